//! The Linux kernel keyring: no D-Bus, no GPG, no file on disk.
//!
//! Entries live in the caller's *persistent* keyring (keyctl get_persistent), not in the user keyring `@u`:
//! `@u` belongs to the user's running processes and login sessions, while the persistent keyring is made for
//! exactly this case (cron jobs, a later ssh login, a CI runner service) and outlives them. Its timer
//! (`/proc/sys/kernel/keys/persistent_keyring_expiry`, 3 days by default) restarts at every helper call.
//! Kernels built without persistent keyrings fall back to `@u`.
//!
//! One `user` key per entry, described `regauth:docker-credential:<serverURL>`; `list` reads the keyring
//! and keeps only keys with that description prefix, so other programs' keys are never read or changed.
//! `REGAUTH_KEYUTILS_NAMESPACE=NAME` switches to the prefix `regauth@NAME:docker-credential:`, which no
//! default entry can match; tests use it to stay among their own keys.

use crate::environ::Environ;
use crate::protocol::Credentials;
use crate::protocol::{Listing, Store, StoreError};
use crate::secret::Secret;
use std::ffi::CString;
use zeroize::Zeroizing;

/// The variable that selects a private description prefix.
pub const NAMESPACE_VAR: &str = "REGAUTH_KEYUTILS_NAMESPACE";

/// Largest payload of a kernel `user` key.
const MAX_PAYLOAD: usize = 32767;

const HINT: &str = "the kernel keyring is not usable here; inside a container Docker's default seccomp \
                    profile blocks keyctl (use docker-credential-regauth-env, or allow keyctl and add_key \
                    in the profile)";

#[derive(Debug)]
pub struct KeyutilsStore {
    /// The description prefix, or why the namespace variable is unusable (reported by every action but
    /// `version` and `--help`, which never reach the store).
    prefix: Result<String, String>,
}

impl KeyutilsStore {
    /// The store, with the description prefix chosen by [`NAMESPACE_VAR`].
    pub fn from_environ(env: &Environ) -> KeyutilsStore {
        let prefix = match env.get(NAMESPACE_VAR) {
            None => Ok("regauth:docker-credential:".to_owned()),
            Some(ns) => match ns.to_str().filter(|s| valid_namespace(s)) {
                Some(ns) => Ok(format!("regauth@{ns}:docker-credential:")),
                None => Err(format!("{NAMESPACE_VAR} must be 1 to 64 of A-Z a-z 0-9 _ -")),
            },
        };
        KeyutilsStore { prefix }
    }

    fn prefix(&self) -> Result<&str, StoreError> {
        self.prefix.as_deref().map_err(|e| StoreError::Failed(e.clone()))
    }

    fn description(&self, server_url: &str) -> Result<CString, StoreError> {
        CString::new(format!("{}{server_url}", self.prefix()?))
            .map_err(|_| StoreError::Failed("server URL contains a NUL byte".into()))
    }

    /// The keyring entries live in, linked into this process's keyring so that we possess it (and so hold
    /// the possessor permissions on the keys in it, whatever the session keyring is).
    fn keyring(&self) -> Result<i32, StoreError> {
        match sys::get_persistent() {
            Ok(id) => Ok(id),
            Err(libc::EOPNOTSUPP) => Ok(libc::KEY_SPEC_USER_KEYRING),
            Err(e) => Err(unavailable("get_persistent", e)),
        }
    }

    fn find(&self, keyring: i32, server_url: &str) -> Result<i32, StoreError> {
        match sys::search(keyring, &self.description(server_url)?) {
            Ok(id) => Ok(id),
            Err(libc::ENOKEY | libc::EKEYEXPIRED | libc::EKEYREVOKED) => Err(StoreError::NotFound),
            Err(e) => Err(unavailable("search", e)),
        }
    }
}

impl Store for KeyutilsStore {
    fn store(&self, creds: &Credentials) -> Result<(), StoreError> {
        if creds.username.contains('\0') {
            return Err(StoreError::Failed("username contains a NUL byte".into()));
        }
        let payload = encode(&creds.username, &creds.secret);
        if payload.len() > MAX_PAYLOAD {
            return Err(StoreError::Failed(format!(
                "username and secret are {} bytes; a kernel keyring entry holds at most {MAX_PAYLOAD}",
                payload.len()
            )));
        }
        let keyring = self.keyring()?;
        // add_key replaces the payload of an existing key with the same description: no window without one.
        sys::add_user_key(&self.description(&creds.server_url)?, &payload, keyring).map_err(|e| match e {
            libc::EDQUOT => StoreError::Failed(
                "kernel key quota exceeded: erase unused entries, or raise the sysctls \
                 kernel.keys.maxbytes and kernel.keys.maxkeys"
                    .into(),
            ),
            e => unavailable("add_key", e),
        })
    }

    fn get(&self, server_url: &str) -> Result<Credentials, StoreError> {
        let keyring = self.keyring()?;
        let key = self.find(keyring, server_url)?;
        let payload = read(key)?;
        let (username, secret) = decode(&payload)?;
        Ok(Credentials { server_url: server_url.to_owned(), username, secret })
    }

    fn erase(&self, server_url: &str) -> Result<(), StoreError> {
        let keyring = self.keyring()?;
        let key = self.find(keyring, server_url)?;
        sys::invalidate(key).map_err(|e| unavailable("invalidate", e))
    }

    fn list(&self) -> Result<Listing, StoreError> {
        let prefix = self.prefix()?;
        let keyring = self.keyring()?;
        let ids = sys::read(keyring).map_err(|e| unavailable("read keyring", e))?;
        let mut listing = Listing::new();
        for id in ids.chunks_exact(4).map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]])) {
            // A key that vanished or that we may not view is not ours to report.
            let Ok(description) = sys::describe(id) else { continue };
            // "type;uid;gid;perm;description"
            let mut fields = description.splitn(5, ';');
            let (Some("user"), Some(desc)) = (fields.next(), fields.nth(3)) else { continue };
            let Some(server_url) = desc.strip_prefix(prefix) else { continue };
            if let Ok(payload) = read(id) {
                let (username, _secret) = decode(&payload)?;
                listing.insert(server_url.to_owned(), username);
            }
        }
        Ok(listing)
    }
}

fn valid_namespace(ns: &str) -> bool {
    (1..=64).contains(&ns.len()) && ns.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `username NUL secret`: a username cannot hold NUL (checked on store), the secret may hold anything.
fn encode(username: &str, secret: &Secret) -> Zeroizing<Vec<u8>> {
    let mut payload = Zeroizing::new(Vec::with_capacity(username.len() + 1 + secret.len()));
    payload.extend_from_slice(username.as_bytes());
    payload.push(0);
    payload.extend_from_slice(secret.expose().as_bytes());
    payload
}

fn decode(payload: &[u8]) -> Result<(String, Secret), StoreError> {
    let corrupt = || StoreError::Failed("a regauth keyring entry is not in the expected format".into());
    let nul = payload.iter().position(|&b| b == 0).ok_or_else(corrupt)?;
    let username = std::str::from_utf8(&payload[..nul]).map_err(|_| corrupt())?;
    let secret = std::str::from_utf8(&payload[nul + 1..]).map_err(|_| corrupt())?;
    Ok((username.to_owned(), Secret::new(secret)))
}

fn read(key: i32) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    match sys::read(key) {
        Ok(payload) => Ok(payload),
        Err(libc::EKEYEXPIRED | libc::EKEYREVOKED | libc::ENOKEY) => Err(StoreError::NotFound),
        Err(e) => Err(unavailable("read", e)),
    }
}

fn unavailable(call: &str, errno: i32) -> StoreError {
    let err = std::io::Error::from_raw_os_error(errno);
    match errno {
        libc::ENOSYS | libc::EPERM | libc::EACCES => {
            StoreError::Unavailable(format!("keyctl {call}: {err}: {HINT}"))
        }
        _ => StoreError::Failed(format!("keyctl {call}: {err}")),
    }
}

/// The four keyctl operations used, as raw syscalls: no C library beyond libc.
mod sys {
    use std::ffi::{c_long, CStr};
    use zeroize::Zeroizing;

    type Result<T> = std::result::Result<T, i32>;

    fn errno() -> i32 {
        std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO)
    }

    fn check(ret: c_long) -> Result<c_long> {
        if ret < 0 {
            Err(errno())
        } else {
            Ok(ret)
        }
    }

    /// The persistent keyring of our uid, linked into our process keyring.
    pub fn get_persistent() -> Result<i32> {
        // SAFETY: integer arguments only.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_keyctl,
                libc::KEYCTL_GET_PERSISTENT,
                -1 as c_long,
                libc::KEY_SPEC_PROCESS_KEYRING,
            )
        };
        check(ret).map(|id| id as i32)
    }

    pub fn search(keyring: i32, description: &CStr) -> Result<i32> {
        // SAFETY: both strings are NUL-terminated and outlive the call.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_keyctl,
                libc::KEYCTL_SEARCH,
                keyring,
                c"user".as_ptr(),
                description.as_ptr(),
                0,
            )
        };
        check(ret).map(|id| id as i32)
    }

    pub fn add_user_key(description: &CStr, payload: &[u8], keyring: i32) -> Result<()> {
        // SAFETY: the strings are NUL-terminated; the payload pointer and length describe one live slice.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_add_key,
                c"user".as_ptr(),
                description.as_ptr(),
                payload.as_ptr(),
                payload.len(),
                keyring,
            )
        };
        check(ret).map(|_| ())
    }

    pub fn invalidate(key: i32) -> Result<()> {
        // SAFETY: integer arguments only.
        check(unsafe { libc::syscall(libc::SYS_keyctl, libc::KEYCTL_INVALIDATE, key) }).map(|_| ())
    }

    /// A key's payload (a keyring's payload is its key ids), zeroed when dropped.
    pub fn read(key: i32) -> Result<Zeroizing<Vec<u8>>> {
        let mut buf = Zeroizing::new(vec![0u8; 4096]);
        loop {
            // SAFETY: buf is writable for buf.len() bytes.
            let ret = unsafe {
                libc::syscall(libc::SYS_keyctl, libc::KEYCTL_READ, key, buf.as_mut_ptr(), buf.len())
            };
            let len = check(ret)? as usize;
            if len <= buf.len() {
                buf.truncate(len);
                return Ok(buf);
            }
            // The payload is larger than the buffer: KEYCTL_READ returned its full size. Retry with that.
            buf = Zeroizing::new(vec![0u8; len]);
        }
    }

    /// `type;uid;gid;perm;description`.
    pub fn describe(key: i32) -> Result<String> {
        let mut buf = vec![0u8; 512];
        loop {
            // SAFETY: buf is writable for buf.len() bytes.
            let ret = unsafe {
                libc::syscall(libc::SYS_keyctl, libc::KEYCTL_DESCRIBE, key, buf.as_mut_ptr(), buf.len())
            };
            let len = check(ret)? as usize;
            if len <= buf.len() {
                // The length includes the terminating NUL.
                buf.truncate(len.saturating_sub(1));
                return Ok(String::from_utf8_lossy(&buf).into_owned());
            }
            buf = vec![0u8; len];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trip_and_corruption() {
        let payload = encode("<token>", &Secret::new("a\0b ünï"));
        let (user, secret) = decode(&payload).unwrap();
        assert_eq!((user.as_str(), secret.expose()), ("<token>", "a\0b ünï"));
        assert!(matches!(decode(b"no separator"), Err(StoreError::Failed(_))));
        assert!(matches!(decode(b"\xff\0x"), Err(StoreError::Failed(_))));
    }

    #[test]
    fn namespace_is_validated_and_changes_the_prefix() {
        let store = KeyutilsStore::from_environ(&Environ::empty(0));
        assert_eq!(store.prefix().unwrap(), "regauth:docker-credential:");
        let store = KeyutilsStore::from_environ(&Environ::empty(0).with(NAMESPACE_VAR, "t-1_a"));
        assert_eq!(store.prefix().unwrap(), "regauth@t-1_a:docker-credential:");
        for bad in ["a:b", "x y", &"n".repeat(65)] {
            let store = KeyutilsStore::from_environ(&Environ::empty(0).with(NAMESPACE_VAR, bad));
            assert!(matches!(store.get("h"), Err(StoreError::Failed(_))), "{bad}");
        }
    }

    #[test]
    fn blocked_keyctl_is_unavailable_with_a_hint() {
        let err = unavailable("search", libc::EPERM);
        assert!(matches!(&err, StoreError::Unavailable(m) if m.contains("seccomp")), "{err}");
        assert!(matches!(unavailable("read", libc::EINVAL), StoreError::Failed(_)));
    }
}
