//! Registry generations: what lets a `store` or `erase` through docker-credential-regauth-cache win over a
//! `get` that asked the inner helper before it and would cache the old answer after it.
//!
//! `<cache dir>/generations` (0600, exactly [`STRIPES`] × 8 bytes) holds one random tag per stripe; a
//! registry's stripe is a byte of the HMAC of its name, so the file is bounded whatever the number of
//! registries (two registries that share a stripe only make each other's in-flight answers uncached).
//! Every change happens under `generations.lock`:
//! - `store`/`erase` ([`Generations::bump`]): a new random tag for the stripe, then the registry's cached
//!   answers are removed, both under the lock; done before and after passing through to the inner helper;
//! - `get` ([`Generations::if_unchanged`]): the tag seen before asking the inner helper must still be the
//!   tag when the answer is written, checked and written under the lock.
//!
//! So an answer is either written before a bump (and the bump's removal drops it) or not written at all.
//! Both storages (keyring and file) go through this one file. A tag is random rather than a counter so that
//! a damaged file, rewritten, cannot come back to a tag an in-flight `get` saw.

use super::{trusted_file, WRITE_WAIT};
use crate::fsread;
use crate::lock::{self, LockGuard};
use crate::safepath::{Place, Walk};
use std::path::{Path, PathBuf};

/// How many tags the file holds.
pub(super) const STRIPES: usize = 256;
const FILE_LEN: usize = STRIPES * 8;

pub(super) struct Generations {
    path: PathBuf,
}

/// A stripe's tag as read; `None`: the file is damaged (then nothing is cached until it is rewritten).
pub(super) type Tag = Option<u64>;

impl Generations {
    pub(super) fn new(dir: &Path) -> Generations {
        Generations { path: dir.join("generations") }
    }

    /// The stripe's tag now (0 while the file does not exist yet).
    pub(super) fn current(&self, stripe: u8) -> Tag {
        self.read(fsread::read_regular(&self.path, FILE_LEN as u64)).map(|tags| tags[usize::from(stripe)])
    }

    /// Under the lock: a fresh tag for `stripe`, then `also` (the removal of the stripe's answers).
    pub(super) fn bump<T>(&self, stripe: u8, also: impl FnOnce() -> T) -> Result<T, String> {
        let (place, guard) = self.lock()?;
        let mut tags = self.read(place.read_regular(FILE_LEN as u64)).unwrap_or_else(|| vec![0; STRIPES]);
        let old = tags[usize::from(stripe)];
        tags[usize::from(stripe)] = fresh_tag(old)?;
        self.write(&place, &guard, &tags)?;
        Ok(also())
    }

    /// Under the lock: `write` runs only when `stripe` still has the tag `seen`. A damaged file is replaced
    /// by fresh tags (nothing written this time). Returns whether `write` ran.
    pub(super) fn if_unchanged(&self, stripe: u8, seen: Tag, write: impl FnOnce()) -> Result<bool, String> {
        let (place, guard) = self.lock()?;
        match self.read(place.read_regular(FILE_LEN as u64)) {
            Some(tags) if seen == Some(tags[usize::from(stripe)]) => {
                write();
                Ok(true)
            }
            Some(_) => Ok(false),
            None => {
                let tags = (0..STRIPES).map(|_| fresh_tag(0)).collect::<Result<Vec<_>, _>>()?;
                self.write(&place, &guard, &tags)?;
                Ok(false)
            }
        }
    }

    /// The lock, taken in the directory a no-follow walk reached; reads and writes under it go through
    /// that directory too ([`crate::safepath`]).
    fn lock(&self) -> Result<(Place, LockGuard), String> {
        let place =
            Place::walk(&self.path, Walk::entry(fsread::effective_uid())).map_err(|e| e.to_string())?;
        let guard = lock::acquire_beside(&place, WRITE_WAIT).map_err(|e| e.to_string())?;
        Ok((place, guard))
    }

    /// The tags, all 0 for a missing file; `None` for one that is not ours alone or not [`FILE_LEN`] long.
    fn read(&self, read: Result<fsread::Contents, fsread::FileError>) -> Option<Vec<u64>> {
        let contents = match read {
            Ok(c) => c,
            Err(e) if e.is_not_found() => return Some(vec![0; STRIPES]),
            Err(_) => return None,
        };
        if !trusted_file(&contents.meta) || contents.bytes.len() != FILE_LEN {
            return None;
        }
        Some(
            contents
                .bytes
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().expect("chunks of 8")))
                .collect(),
        )
    }

    fn write(&self, place: &Place, guard: &LockGuard, tags: &[u64]) -> Result<(), String> {
        let bytes: Vec<u8> = tags.iter().flat_map(|t| t.to_le_bytes()).collect();
        crate::config::write::remove_stale_temp_files(guard, place);
        crate::config::write::write_file_atomically(guard, place, &bytes, None)
            .map_err(|e| format!("cannot write {}: {e}", self.path.display()))
    }
}

/// A random tag other than `old` and 0 (0 is the missing file's).
fn fresh_tag(old: u64) -> Result<u64, String> {
    loop {
        let mut bytes = [0u8; 8];
        // SAFETY: getrandom(2) writes at most `bytes.len()` bytes into the buffer it is given.
        let n = unsafe { libc::getrandom(bytes.as_mut_ptr().cast(), bytes.len(), 0) };
        if n != 8 {
            return Err(format!("getrandom: {}", std::io::Error::last_os_error()));
        }
        let tag = u64::from_le_bytes(bytes);
        if tag != 0 && tag != old {
            return Ok(tag);
        }
    }
}
