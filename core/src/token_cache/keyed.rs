//! The per-user random key of the cache's fingerprints and entry ids, and the HMACs made with it.

use super::{answers, trusted_file, Entry, EntryKind, Fingerprint, Key, WRITE_WAIT};
use crate::fsread;
use crate::safepath::{Place, Walk};
use crate::secret::Secret;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fs;
use std::io::Read;
use std::path::Path;

/// The per-user random key of the fingerprints and ids, kept in `<cache dir>/key` (32 bytes, 0600).
pub(crate) struct Keyed {
    /// The HMAC state with the key already absorbed, cloned for each HMAC: keying it once instead of
    /// per HMAC saves two of the few SHA-256 blocks a cache hit hashes. As secret as the key itself.
    keyed: Hmac<Sha256>,
}

const KEY_LEN: usize = 32;

impl Keyed {
    pub(super) fn new(key: &[u8; KEY_LEN]) -> Keyed {
        Keyed { keyed: <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length") }
    }

    #[cfg(test)]
    pub(super) fn from_bytes(bytes: [u8; 32]) -> Keyed {
        Keyed::new(&bytes)
    }

    /// HMAC-SHA256 of `parts`, each prefixed by its length so that no two lists of parts collide.
    pub(super) fn mac(&self, domain: &str, parts: &[&[u8]]) -> String {
        let mut mac = self.keyed.clone();
        mac.update(domain.as_bytes());
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        hex(&mac.finalize().into_bytes())
    }

    pub(crate) fn fingerprint(&self, username: &str, secret: &Secret) -> Fingerprint {
        Fingerprint(
            self.mac("regauth token-cache v1 credential", &[username.as_bytes(), secret.expose().as_bytes()]),
        )
    }

    /// The id of a token entry: `t-` and 32 hex digits.
    pub(super) fn token_id(&self, key: &Key) -> String {
        let mut parts: Vec<&[u8]> = vec![
            key.registry.as_bytes(),
            key.realm.as_bytes(),
            key.service.as_deref().unwrap_or("\0none").as_bytes(),
            key.credential.as_str().as_bytes(),
        ];
        parts.extend(key.scopes.iter().map(|s| s.as_bytes()));
        format!("t-{}", &self.mac("regauth token-cache v1 token", &parts)[..32])
    }

    /// The id of a registry's token-service entry: `s-` and 32 hex digits.
    pub(super) fn service_id(&self, registry: &str) -> String {
        format!("s-{}", &self.mac("regauth token-cache v1 service", &[registry.as_bytes()])[..32])
    }

    /// The id an entry must be stored under.
    pub(super) fn id_of(&self, entry: &Entry) -> String {
        match entry.kind {
            EntryKind::Answer | EntryKind::Missing => answers::id_of(self, entry),
            EntryKind::Service => self.service_id(&entry.registry),
            EntryKind::Token => self.token_id(&Key::new(
                &entry.registry,
                &entry.realm,
                entry.service.as_deref(),
                entry.scopes.iter().cloned(),
                Fingerprint(entry.credential.clone()),
            )),
        }
    }

    /// Read `<dir>/key`, or make it. A key file that is not ours, is readable or writable by others, or is not
    /// exactly 32 bytes is replaced (which makes every entry unreachable: they no longer match their ids).
    pub(super) fn load_or_create(dir: &Path) -> Result<Keyed, String> {
        let path = dir.join("key");
        if let Some(keyed) = Keyed::read(fsread::read_regular(&path, KEY_LEN as u64)) {
            return Ok(keyed);
        }
        let place = Place::walk(&path, Walk::entry(fsread::effective_uid())).map_err(|e| e.to_string())?;
        let guard = crate::lock::acquire_beside(&place, WRITE_WAIT).map_err(|e| e.to_string())?;
        // Another process may have made it while we waited.
        if let Some(keyed) = Keyed::read(place.read_regular(KEY_LEN as u64)) {
            return Ok(keyed);
        }
        let mut key = zeroize::Zeroizing::new([0u8; KEY_LEN]);
        let mut random = fs::File::open("/dev/urandom").map_err(|e| format!("/dev/urandom: {e}"))?;
        random.read_exact(&mut key[..]).map_err(|e| format!("/dev/urandom: {e}"))?;
        crate::config::write::remove_stale_temp_files(&guard, &place);
        crate::config::write::write_file_atomically(&guard, &place, &key[..], None)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(Keyed::new(&key))
    }

    pub(super) fn read(read: Result<fsread::Contents, fsread::FileError>) -> Option<Keyed> {
        let contents = read.ok()?;
        let bytes = zeroize::Zeroizing::new(contents.bytes);
        if !trusted_file(&contents.meta) || bytes.len() != KEY_LEN {
            return None;
        }
        let mut key = zeroize::Zeroizing::new([0u8; KEY_LEN]);
        key.copy_from_slice(&bytes);
        Some(Keyed::new(&key))
    }
}

/// Lower-case hex. By table, not `format!` per byte: a cache hit computes three of these (identity, id, and
/// the id again to check the entry), and formatting was most of their cost.
pub(super) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}
