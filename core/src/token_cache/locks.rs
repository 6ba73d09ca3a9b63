//! The token cache's per-entry locks, striped: an entry's lock is `locks/<NN>.lock`, where NN is the first
//! two hex digits of its id (an HMAC, so evenly spread), which bounds `locks/` at [`STRIPES`] files however
//! many entries come and go. Lock files are never removed while in use: removing a file another process
//! may hold a `flock` on would let a third lock a new file of the same name, and two would fetch at once.
//! Two entries that share a stripe wait for each other's fetch (at most the caller's wait).
//!
//! Versions before striping left one `locks/<id>.lock` per entry; `regauth cache clear` removes those
//! ([`remove_legacy`]): at worst an old process still running then fetches once more.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// How many lock files `locks/` holds at most.
pub(super) const STRIPES: usize = 256;
// Two hex digits name a stripe.
const _: () = assert!(STRIPES == 16 * 16);

/// The lock file of the entry `id` (`t-`, `a-` or `s-` and hex digits).
pub(super) fn entry_lock(dir: &Path, id: &str) -> PathBuf {
    let stripe = id
        .get(2..4)
        .filter(|s| s.bytes().all(|b| b.is_ascii_hexdigit()))
        .map_or_else(|| "00".to_owned(), str::to_ascii_lowercase);
    dir.join("locks").join(format!("{stripe}.lock"))
}

/// Remove the per-entry lock files older versions left (`[ats]-<32 hex digits>.lock`, regular files of
/// ours); returns how many went.
pub(super) fn remove_legacy(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir.join("locks")) else { return 0 };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !legacy_name(name) {
            continue;
        }
        let path = entry.path();
        let ours = fs::symlink_metadata(&path)
            .is_ok_and(|m| m.file_type().is_file() && m.uid() == crate::fsread::effective_uid());
        if ours && fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    removed
}

fn legacy_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".lock") else { return false };
    let Some(hex) =
        stem.strip_prefix("t-").or_else(|| stem.strip_prefix("a-")).or_else(|| stem.strip_prefix("s-"))
    else {
        return false;
    };
    hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripes_and_legacy_names() {
        let dir = Path::new("/c");
        assert_eq!(entry_lock(dir, "a-3f00000000000000000000000000000a"), dir.join("locks/3f.lock"));
        assert_eq!(entry_lock(dir, "x"), dir.join("locks/00.lock"));
        assert_eq!(entry_lock(dir, "t-/../x"), dir.join("locks/00.lock"));
        assert!(legacy_name("a-0123456789abcdef0123456789abcdef.lock"));
        assert!(legacy_name("t-0123456789abcdef0123456789abcdef.lock"));
        assert!(!legacy_name("3f.lock"));
        assert!(!legacy_name("a-0123456789abcdef0123456789abcdef"));
        assert!(!legacy_name("a-0123456789ABCDEF0123456789abcdef.lock"));
    }
}
