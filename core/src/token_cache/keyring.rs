//! The kernel-keyring storage: one `user` key per entry in the caller's persistent keyring (`@u` on kernels
//! without one), described `regauth:token-cache:<id>` (`regauth@NAME:token-cache:<id>` with
//! `REGAUTH_KEYUTILS_NAMESPACE=NAME`), its payload the entry's JSON, with a key timeout at the entry's
//! expiry so that the kernel drops it. A key that is not ours, that others may write, or whose payload does
//! not parse is discarded.

use super::{is_token, Entry};
use crate::environ::Environ;
use crate::fsread;
use linux_keyutils::{
    Key, KeyError, KeyPermissions, KeyRing, KeyRingIdentifier, KeyType, Metadata, Permission,
};

const NAMESPACE_VAR: &str = "REGAUTH_KEYUTILS_NAMESPACE";
/// Largest payload read back (a kernel `user` key holds at most 32767 bytes).
const MAX_PAYLOAD: usize = 32767;
/// The first read's buffer: an entry (a token and its key's fields) fits in it.
const FIRST_READ: usize = 4096;
/// The most links of the keyring `all` reads (bytes: 4 per link).
const MAX_LINKS_BYTES: usize = 4 * 8192;

pub(super) struct KeyringStore {
    prefix: String,
    ring: KeyRing,
}

impl KeyringStore {
    pub(super) fn open(env: &Environ) -> Result<KeyringStore, String> {
        let prefix = match env.get(NAMESPACE_VAR) {
            None => "regauth:token-cache:".to_owned(),
            Some(ns) => match ns.to_str().filter(|s| valid_namespace(s)) {
                Some(ns) => format!("regauth@{ns}:token-cache:"),
                None => return Err(format!("{NAMESPACE_VAR} must be 1 to 64 of A-Z a-z 0-9 _ -")),
            },
        };
        let ring = match KeyRing::get_persistent(KeyRingIdentifier::Process) {
            Ok(ring) => ring,
            Err(KeyError::OperationNotSupported) => {
                KeyRing::from_special_id(KeyRingIdentifier::User, true)
                    .map_err(|e| format!("keyctl: the user keyring: {e:?}"))?
            }
            Err(e) => return Err(format!("keyctl: the persistent keyring: {e:?}")),
        };
        ring.metadata().map_err(|e| format!("keyctl: the keyring cannot be described: {e:?}"))?;
        Ok(KeyringStore { prefix, ring })
    }

    fn description(&self, id: &str) -> String {
        format!("{}{id}", self.prefix)
    }

    pub(super) fn get(&self, id: &str, note: &mut dyn FnMut(String)) -> Option<Entry> {
        let key = self.ring.search(&self.description(id)).ok()?;
        self.entry(key, note)
    }

    /// The entry a key holds, when the key is ours, writable by no one else, and parses; otherwise the key
    /// is invalidated (when we may) and noted.
    fn entry(&self, key: Key, note: &mut dyn FnMut(String)) -> Option<Entry> {
        let meta = describe(key)?;
        if !trusted(&meta) {
            note("discarded a token cache key that is not this user's alone".into());
            let _ = key.invalidate();
            return None;
        }
        // Entries are a few KiB: a buffer of MAX_PAYLOAD, zeroed twice (made and dropped), cost more than
        // the rest of a hit. The kernel answers a short buffer with the payload's size: read again then.
        let mut buf = zeroize::Zeroizing::new(vec![0u8; FIRST_READ]);
        let mut len = key.read(&mut *buf).ok()?;
        if len > MAX_PAYLOAD {
            let _ = key.invalidate();
            return None;
        }
        if len > buf.len() {
            buf = zeroize::Zeroizing::new(vec![0u8; len]);
            len = key.read(&mut *buf).ok()?;
            if len > buf.len() {
                // Replaced meanwhile by a larger entry: a miss, not a guess.
                return None;
            }
        }
        match serde_json::from_slice::<Entry>(&buf[..len]) {
            Ok(entry) => Some(entry),
            Err(_) => {
                note("discarded a damaged token cache key".into());
                let _ = key.invalidate();
                None
            }
        }
    }

    /// Store `entry` under `id`, to be dropped by the kernel `timeout` seconds from now.
    pub(super) fn put(&self, id: &str, entry: &Entry, timeout: i64) -> Result<(), String> {
        let payload = zeroize::Zeroizing::new(serde_json::to_vec(entry).map_err(|e| e.to_string())?);
        if payload.len() > MAX_PAYLOAD {
            return Err("the token is too large for a keyring entry".into());
        }
        let description = self.description(id);
        // A stranger's key under our description (another user's, or one others may write) is not updated
        // in place: it goes first.
        if let Ok(old) = self.ring.search(&description) {
            if describe(old).is_some_and(|m| !trusted(&m)) {
                let _ = old.invalidate();
                let _ = self.ring.unlink_key(old);
            }
        }
        let key =
            self.ring.add_key(&description, &payload[..]).map_err(|e| format!("keyctl add_key: {e:?}"))?;
        // Possessor and owner (the same user, also from another process) may do everything; no one else
        // anything.
        let mut perms = KeyPermissions::new();
        perms.set_posessor_perms(Permission::ALL);
        perms.set_user_perms(Permission::ALL);
        if let Err(e) = key.set_perms(perms) {
            let _ = key.invalidate();
            return Err(format!("keyctl setperm: {e:?}"));
        }
        let seconds = usize::try_from(timeout.max(1)).unwrap_or(usize::MAX);
        if let Err(e) = key.set_timeout(seconds) {
            let _ = key.invalidate();
            return Err(format!("keyctl set_timeout: {e:?}"));
        }
        Ok(())
    }

    /// Every key with our prefix that holds an entry, with its id.
    pub(super) fn all(&self, note: &mut dyn FnMut(String)) -> Vec<(String, Entry)> {
        let ring = self.ring;
        let Ok(Ok(links)) = std::panic::catch_unwind(move || ring.get_links(MAX_LINKS_BYTES)) else {
            return Vec::new();
        };
        let mut entries = Vec::new();
        for node in links.iter() {
            let Some(key) = node.as_key() else { continue };
            let Some(meta) = describe(key) else { continue };
            if meta.get_type() != KeyType::User {
                continue;
            }
            let Some(id) = meta.get_description().strip_prefix(&self.prefix) else { continue };
            let id = id.to_owned();
            if let Some(entry) = self.entry(key, note) {
                entries.push((id, entry));
            }
        }
        entries
    }

    /// Invalidate the keys `matches` picks; returns how many held tokens.
    pub(super) fn remove(&self, matches: &dyn Fn(&str, &Entry) -> bool) -> Result<usize, String> {
        let ring = self.ring;
        let links = match std::panic::catch_unwind(move || ring.get_links(MAX_LINKS_BYTES)) {
            Ok(Ok(links)) => links,
            Ok(Err(e)) => return Err(format!("keyctl read keyring: {e:?}")),
            Err(_) => return Err("keyctl read keyring failed".into()),
        };
        let mut removed = 0;
        for node in links.iter() {
            let Some(key) = node.as_key() else { continue };
            let Some(meta) = describe(key) else { continue };
            let Some(id) = meta.get_description().strip_prefix(&self.prefix) else { continue };
            if meta.get_type() != KeyType::User {
                continue;
            }
            let Some(entry) = self.entry(key, &mut |_| {}) else { continue };
            if matches(id, &entry) {
                key.invalidate().map_err(|e| format!("keyctl invalidate: {e:?}"))?;
                removed += usize::from(is_token(&entry));
            }
        }
        Ok(removed)
    }
}

/// Ours, and no one but its possessor and owner may change it.
fn trusted(meta: &Metadata) -> bool {
    let bits = meta.get_perms().bits();
    let change = u32::from((Permission::WRITE | Permission::SETATTR).bits());
    let group_or_other = (bits & 0xff) | ((bits >> 8) & 0xff);
    meta.get_uid() == fsread::effective_uid() && group_or_other & change == 0
}

/// A key's metadata, or `None` for one that vanished, that we may not view, or whose description
/// linux-keyutils cannot hold (it panics on one longer than its buffer: not a key of ours).
fn describe(key: Key) -> Option<Metadata> {
    std::panic::catch_unwind(|| key.metadata()).ok()?.ok()
}

fn valid_namespace(ns: &str) -> bool {
    (1..=64).contains(&ns.len()) && ns.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}
