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
use linux_keyutils::{Key, KeyError, KeyRing, KeyRingIdentifier, KeySerialId, KeyType, Metadata};
use zeroize::Zeroizing;

/// The variable that selects a private description prefix.
/// The one variable the store reads (see [`KeyutilsStore::from_environ`]).
pub const NAMESPACE_VAR: &str = "REGAUTH_KEYUTILS_NAMESPACE";

/// Largest payload of a kernel `user` key.
const MAX_PAYLOAD: usize = 32767;

/// Longest key description `list` can read back. linux-keyutils describes a key into a 512-byte buffer
/// holding `type;uid;gid;perm;description` and a NUL; with ten-digit ids that leaves 475 bytes. A longer
/// description would be stored but could never be listed, so `store` refuses it.
const MAX_DESCRIPTION: usize = 475;

/// The description of the persistent keyring, `_persistent.<uid>`.
const PERSISTENT_PREFIX: &str = "_persistent.";

const HINT: &str = "the kernel keyring is not usable here; inside a container Docker's default seccomp \
                    profile blocks keyctl (use docker-credential-regauth-env, or allow keyctl and add_key \
                    in the profile)";

#[derive(Debug)]
pub struct KeyutilsStore {
    /// The description prefix, or why the namespace variable is unusable (reported by every action but
    /// `version` and `--help`, which never reach the store).
    prefix: Result<String, String>,
}

/// Which keyring holds the entries.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// The persistent keyring of our uid, linked into this process's keyring.
    Persistent(KeyRing),
    /// The user keyring `@u`, on kernels without persistent keyrings.
    User(KeyRing),
}

impl Place {
    fn ring(self) -> KeyRing {
        match self {
            Place::Persistent(ring) | Place::User(ring) => ring,
        }
    }

    /// The keyring as a key whose payload is the ids linked in it. The crate does not expose a keyring's
    /// id: `@u` has a special id, and the persistent keyring is found among the process keyring's links,
    /// where `get_persistent` put it.
    fn contents(self) -> Result<Key, StoreError> {
        let special = |ring: KeyRingIdentifier| Key::from_id(KeySerialId::new(ring as i32));
        match self {
            Place::User(_) => Ok(special(KeyRingIdentifier::User)),
            Place::Persistent(_) => {
                let linked = read(special(KeyRingIdentifier::Process), "read process keyring")?;
                let persistent = key_ids(&linked).find(|&key| {
                    describe(key).is_some_and(|m| {
                        m.get_type() == KeyType::KeyRing && m.get_description().starts_with(PERSISTENT_PREFIX)
                    })
                });
                persistent
                    .ok_or_else(|| StoreError::Failed("keyctl: the persistent keyring is not linked".into()))
            }
        }
    }
}

impl KeyutilsStore {
    /// The store, with the description prefix chosen by `REGAUTH_KEYUTILS_NAMESPACE`.
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

    fn description(&self, server_url: &str) -> Result<String, StoreError> {
        if server_url.contains('\0') {
            return Err(StoreError::Failed("server URL contains a NUL byte".into()));
        }
        Ok(format!("{}{server_url}", self.prefix()?))
    }

    /// The keyring entries live in, linked into this process's keyring so that we possess it (and so hold
    /// the possessor permissions on the keys in it, whatever the session keyring is).
    fn keyring(&self) -> Result<Place, StoreError> {
        match KeyRing::get_persistent(KeyRingIdentifier::Process) {
            Ok(ring) => Ok(Place::Persistent(ring)),
            Err(KeyError::OperationNotSupported) => KeyRing::from_special_id(KeyRingIdentifier::User, true)
                .map(Place::User)
                .map_err(|e| unavailable("get_keyring_id", e)),
            Err(e) => Err(unavailable("get_persistent", e)),
        }
    }

    fn find(&self, place: Place, server_url: &str) -> Result<Key, StoreError> {
        match place.ring().search(&self.description(server_url)?) {
            Ok(key) => Ok(key),
            Err(KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked) => {
                Err(StoreError::NotFound)
            }
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
        let description = self.description(&creds.server_url)?;
        if description.len() > MAX_DESCRIPTION {
            return Err(StoreError::Failed(format!(
                "the server URL is {} bytes; this store keeps URLs of at most {} bytes",
                creds.server_url.len(),
                MAX_DESCRIPTION - (description.len() - creds.server_url.len())
            )));
        }
        let place = self.keyring()?;
        // add_key replaces the payload of an existing key with the same description: no window without one.
        match place.ring().add_key(&description, &payload[..]) {
            Ok(_) => Ok(()),
            Err(KeyError::QuotaExceeded) => Err(StoreError::Failed(
                "kernel key quota exceeded: erase unused entries, or raise the sysctls \
                 kernel.keys.maxbytes and kernel.keys.maxkeys"
                    .into(),
            )),
            Err(e) => Err(unavailable("add_key", e)),
        }
    }

    fn get(&self, server_url: &str) -> Result<Credentials, StoreError> {
        let key = self.find(self.keyring()?, server_url)?;
        let payload = read(key, "read")?;
        let (username, secret) = decode(&payload)?;
        Ok(Credentials { server_url: server_url.to_owned(), username, secret })
    }

    fn erase(&self, server_url: &str) -> Result<(), StoreError> {
        let key = self.find(self.keyring()?, server_url)?;
        key.invalidate().map_err(|e| unavailable("invalidate", e))
    }

    fn list(&self) -> Result<Listing, StoreError> {
        self.list_noting(&mut |_| {})
    }

    /// A key with our prefix whose payload does not parse (written by hand with keyctl, say) is left out
    /// with a note, so that one damaged key does not hide every other entry.
    fn list_noting(&self, note: &mut dyn FnMut(&str)) -> Result<Listing, StoreError> {
        let prefix = self.prefix()?;
        let keyring = self.keyring()?.contents()?;
        let ids = read(keyring, "read keyring")?;
        let mut listing = Listing::new();
        for key in key_ids(&ids) {
            // A key that vanished or that we may not view is not ours to report.
            let Some(metadata) = describe(key) else { continue };
            if metadata.get_type() != KeyType::User {
                continue;
            }
            let Some(server_url) = metadata.get_description().strip_prefix(prefix) else { continue };
            let Ok(payload) = read(key, "read") else { continue };
            match decode(&payload) {
                Ok((username, _secret)) => {
                    listing.insert(server_url.to_owned(), username);
                }
                Err(_) => note(&format!(
                    "skipped the keyring entry for {server_url}: its payload is not username NUL secret \
                     (erase it, or store it again)"
                )),
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

/// A key's payload (a keyring's payload is the ids linked in it), zeroed when dropped. The kernel answers
/// a buffer that is too small with the payload's full size: read again with that.
fn read(key: Key, call: &str) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    let mut buf = Zeroizing::new(vec![0u8; 4096]);
    loop {
        let len = match key.read(&mut *buf) {
            Ok(len) => len,
            Err(KeyError::KeyExpired | KeyError::KeyRevoked | KeyError::KeyDoesNotExist) => {
                return Err(StoreError::NotFound)
            }
            Err(e) => return Err(unavailable(call, e)),
        };
        if len <= buf.len() {
            buf.truncate(len);
            return Ok(buf);
        }
        buf = Zeroizing::new(vec![0u8; len]);
    }
}

/// The keys whose ids a keyring's payload holds.
fn key_ids(payload: &[u8]) -> impl Iterator<Item = Key> + '_ {
    payload
        .chunks_exact(4)
        .map(|b| Key::from_id(KeySerialId::new(i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))))
}

/// A key's type and description, or `None` for a key that vanished, that we may not view, or whose
/// description linux-keyutils cannot hold (it panics on one longer than its fixed buffer: such a key was
/// not written by this store, see [`MAX_DESCRIPTION`], and is skipped like any other stranger's key).
fn describe(key: Key) -> Option<Metadata> {
    std::panic::catch_unwind(|| key.metadata()).ok()?.ok()
}

/// The errno behind a keyutils error, for the same messages the kernel's own text gives.
fn errno(e: KeyError) -> Option<i32> {
    Some(match e {
        KeyError::AccessDenied => libc::EACCES,
        KeyError::PermissionDenied => libc::EPERM,
        KeyError::QuotaExceeded => libc::EDQUOT,
        KeyError::BadAddress => libc::EFAULT,
        KeyError::InvalidArguments => libc::EINVAL,
        KeyError::KeyExpired => libc::EKEYEXPIRED,
        KeyError::KeyRevoked => libc::EKEYREVOKED,
        KeyError::KeyRejected => libc::EKEYREJECTED,
        KeyError::KeyDoesNotExist => libc::ENOKEY,
        KeyError::OutOfMemory => libc::ENOMEM,
        KeyError::OperationNotSupported => libc::EOPNOTSUPP,
        KeyError::MissingFileOrDirectory => libc::ENOENT,
        KeyError::Unknown(n) => n,
        KeyError::KeyringDoesNotExist
        | KeyError::InvalidDescription
        | KeyError::InvalidIdentifier
        | KeyError::WriteError => return None,
    })
}

fn unavailable(call: &str, e: KeyError) -> StoreError {
    let Some(errno) = errno(e) else { return StoreError::Failed(format!("keyctl {call}: {e:?}")) };
    let err = std::io::Error::from_raw_os_error(errno);
    match errno {
        libc::ENOSYS | libc::EPERM | libc::EACCES => {
            StoreError::Unavailable(format!("keyctl {call}: {err}: {HINT}"))
        }
        _ => StoreError::Failed(format!("keyctl {call}: {err}")),
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
    fn descriptions_list_could_not_read_back_are_refused_before_the_keyring_is_touched() {
        let store = KeyutilsStore::from_environ(&Environ::empty(0).with(NAMESPACE_VAR, "n"));
        let creds =
            |url: String| Credentials { server_url: url, username: "u".into(), secret: Secret::new("s") };
        let prefix_len = "regauth@n:docker-credential:".len();
        let err = store.store(&creds("h".repeat(MAX_DESCRIPTION - prefix_len + 1))).unwrap_err();
        let limit = MAX_DESCRIPTION - prefix_len;
        assert_eq!(
            err,
            StoreError::Failed(format!(
                "the server URL is {} bytes; this store keeps URLs of at most {limit} bytes",
                limit + 1
            ))
        );
        assert!(matches!(store.get("a\0b"), Err(StoreError::Failed(m)) if m.contains("NUL")));
    }

    #[test]
    fn blocked_keyctl_is_unavailable_with_a_hint() {
        for blocked in [KeyError::PermissionDenied, KeyError::AccessDenied, KeyError::Unknown(libc::ENOSYS)] {
            let err = unavailable("search", blocked);
            assert!(matches!(&err, StoreError::Unavailable(m) if m.contains("seccomp")), "{err}");
        }
        let err = unavailable("read", KeyError::InvalidArguments);
        assert!(matches!(&err, StoreError::Failed(m) if m == "keyctl read: Invalid argument (os error 22)"));
        assert!(matches!(unavailable("read", KeyError::InvalidIdentifier), StoreError::Failed(_)));
    }
}
