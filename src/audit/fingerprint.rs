//! Fingerprints of secrets: a per-run one that never leaves the process (duplicates on this machine), and,
//! with `--fingerprint-key`, an HMAC-SHA256 under the security team's key, printed in the JSON so the same
//! secret can be matched across machines by whoever holds the key, and by no one else.
//!
//! Also where `--find-secret-stdin` compares: every secret the audit reads passes through
//! [`Fingerprinter::of`], which says whether it is the one sought.

use hmac::{Hmac, Mac};
use regauth_core::fsread;
use regauth_core::secret::Secret;
use sha2::Sha256;
use std::fmt;
use std::hash::BuildHasher;
use std::path::Path;
use std::sync::Arc;
use zeroize::Zeroizing;

/// The most a key file may hold: keys are 32 random bytes, or their hex or base64.
pub const KEY_FILE_LIMIT: u64 = 4096;
/// The fewest bytes a key may have: a shorter one could be guessed.
pub const KEY_MIN_LEN: usize = 16;

/// The key of `--fingerprint-key`. Its bytes are zeroed on drop and never printed.
#[derive(Clone)]
pub struct FingerprintKey(Arc<Keyed>);

/// The key, and the HMAC state after the key block and the credential domain: an audit of 100,000
/// credentials then hashes each secret alone (two SHA-256 blocks) instead of the key's blocks again.
struct Keyed {
    bytes: Zeroizing<Vec<u8>>,
    credential: Hmac<Sha256>,
}

/// The domain of credential fingerprints (the key id has its own).
const CREDENTIAL_DOMAIN: &[u8] = b"regauth audit credential\0";

impl fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FingerprintKey(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("fingerprint key: {0}")]
    File(#[from] fsread::FileError),
    #[error("fingerprint key {path} holds {len} bytes (after trailing white space); a key needs at least {KEY_MIN_LEN}, e.g. `openssl rand -hex 32 > {path}`")]
    TooShort { path: String, len: usize },
}

impl FingerprintKey {
    /// Read a key file: no link followed, a regular file of at most [`KEY_FILE_LIMIT`] bytes. Trailing white
    /// space (the newline `echo` or an editor adds) is not part of the key, so the same key typed twice
    /// gives the same fingerprints.
    pub fn read(path: &Path) -> Result<FingerprintKey, KeyError> {
        let contents = fsread::read_regular(path, KEY_FILE_LIMIT)?;
        let mut bytes = Zeroizing::new(contents.bytes);
        while bytes.last().is_some_and(u8::is_ascii_whitespace) {
            bytes.pop();
        }
        if bytes.len() < KEY_MIN_LEN {
            return Err(KeyError::TooShort { path: path.display().to_string(), len: bytes.len() });
        }
        Ok(FingerprintKey::new(bytes))
    }

    fn new(bytes: Zeroizing<Vec<u8>>) -> FingerprintKey {
        let mut credential = Hmac::<Sha256>::new_from_slice(&bytes).expect("HMAC takes keys of any length");
        credential.update(CREDENTIAL_DOMAIN);
        FingerprintKey(Arc::new(Keyed { bytes, credential }))
    }

    /// A key from bytes (tests).
    pub fn from_bytes(bytes: &[u8]) -> FingerprintKey {
        FingerprintKey::new(Zeroizing::new(bytes.to_vec()))
    }

    fn mac(&self, domain: &[u8], data: &[u8]) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0.bytes).expect("HMAC takes keys of any length");
        mac.update(domain);
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// `hmac-sha256:<64 hex digits>` of a secret: HMAC(key, domain || secret), from the prepared state.
    pub fn fingerprint(&self, secret: &str) -> String {
        let mut mac = self.0.credential.clone();
        mac.update(secret.as_bytes());
        let digest: [u8; 32] = mac.finalize().into_bytes().into();
        let mut out = String::with_capacity(12 + 64);
        out.push_str("hmac-sha256:");
        push_hex(&mut out, &digest);
        out
    }

    /// A short name for the key itself (an HMAC of a fixed text, not of any secret), so `audit merge` can
    /// tell reports made with different keys apart: their fingerprints cannot be compared.
    pub fn id(&self) -> String {
        hex(&self.mac(b"regauth audit key id\0", b"")[..8])
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_hex(&mut out, bytes);
    out
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
}

/// What the audit keeps of a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// Random per run: equal within this run for equal secrets, meaningless outside it.
    pub local: u64,
    /// With a key: the keyed fingerprint, printed in the JSON.
    pub keyed: Option<String>,
    /// The secret is the one `--find-secret-stdin` looks for.
    pub sought: bool,
    /// The secret itself, kept only when the run checks credentials online (`audit --online`).
    pub kept: Option<Secret>,
}

/// Makes [`Fingerprint`]s for one run.
#[derive(Debug)]
pub struct Fingerprinter {
    local: std::collections::hash_map::RandomState,
    key: Option<FingerprintKey>,
    sought: Option<Arc<Secret>>,
    keep: bool,
}

impl Fingerprinter {
    pub fn new(key: Option<FingerprintKey>, sought: Option<Arc<Secret>>) -> Fingerprinter {
        Fingerprinter { local: Default::default(), key, sought, keep: false }
    }

    /// Also keep each secret in its fingerprint (for `audit --online`, which sends it to its registry).
    pub fn keeping_secrets(mut self, keep: bool) -> Fingerprinter {
        self.keep = keep;
        self
    }

    pub fn of(&self, secret: &str) -> Fingerprint {
        Fingerprint {
            local: self.local.hash_one(secret),
            keyed: self.key.as_ref().map(|k| k.fingerprint(secret)),
            sought: self.sought.as_ref().is_some_and(|s| same(s.expose().as_bytes(), secret.as_bytes())),
            kept: self.keep.then(|| Secret::new(secret.to_owned())),
        }
    }
}

/// Equality that takes the same time wherever the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_fingerprints_depend_on_key_and_secret_only() {
        let a = FingerprintKey::from_bytes(b"0123456789abcdef0123456789abcdef");
        let a_again = FingerprintKey::from_bytes(b"0123456789abcdef0123456789abcdef");
        let b = FingerprintKey::from_bytes(b"fedcba9876543210fedcba9876543210");
        assert_eq!(a.fingerprint("s3cret-value"), a_again.fingerprint("s3cret-value"));
        assert_ne!(a.fingerprint("s3cret-value"), b.fingerprint("s3cret-value"));
        assert_ne!(a.fingerprint("s3cret-value"), a.fingerprint("s3cret-valuf"));
        // The prepared state gives HMAC(key, domain || secret), the fingerprint of schema 1 reports.
        assert_eq!(
            a.fingerprint("s3cret-value"),
            format!("hmac-sha256:{}", hex(&a.mac(CREDENTIAL_DOMAIN, b"s3cret-value")))
        );
        assert_eq!(hex(&[0x00, 0x9f, 0xa5, 0xff]), "009fa5ff");
        // The same value from another HMAC implementation (Python's hmac module).
        assert_eq!(
            a.fingerprint("s3cret-value"),
            "hmac-sha256:d9e5af3f04068b7be9bb139f343bafaf18d4e53fb7a65f02563decb8a910f6e1"
        );
        assert_eq!(a.id(), a_again.id());
        assert_ne!(a.id(), b.id());
        let fp = a.fingerprint("s3cret-value");
        assert!(fp.starts_with("hmac-sha256:") && fp.len() == 12 + 64, "{fp}");
        assert!(!fp.contains("s3cret"));
        assert!(!format!("{a:?}").contains("0123"));
    }

    #[test]
    fn key_files_are_bounded_and_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, "0123456789abcdef0123456789abcdef\n").unwrap();
        let key = FingerprintKey::read(&path).unwrap();
        assert_eq!(key.id(), FingerprintKey::from_bytes(b"0123456789abcdef0123456789abcdef").id());
        std::fs::write(&path, "short\n").unwrap();
        assert!(matches!(FingerprintKey::read(&path), Err(KeyError::TooShort { len: 5, .. })));
        std::fs::write(&path, vec![b'k'; KEY_FILE_LIMIT as usize + 1]).unwrap();
        assert!(FingerprintKey::read(&path).is_err());
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("link")).unwrap();
        assert!(FingerprintKey::read(&dir.path().join("link")).is_err(), "a link is not followed");
    }

    #[test]
    fn the_sought_secret_is_recognised_and_nothing_else() {
        let f = Fingerprinter::new(None, Some(Arc::new(Secret::new("leaked-token-1"))));
        assert!(f.of("leaked-token-1").sought);
        assert!(!f.of("leaked-token-2").sought);
        assert!(!f.of("leaked-token-1 ").sought);
        assert!(f.of("x").keyed.is_none());
        assert_eq!(f.of("abc").local, f.of("abc").local);
    }
}
