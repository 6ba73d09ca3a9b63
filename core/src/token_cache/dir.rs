//! Where the cache lives and what of it is trusted: the directory (ours, a directory, not others-writable,
//! reached by a `safepath` walk) and its files (ours alone).

use crate::environ::Environ;
use crate::fsread;
use crate::safepath::{Place, Walk};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// A file of ours that no one else may read or write.
pub(crate) fn trusted_file(meta: &fs::Metadata) -> bool {
    // nlink 0: a writer renamed a new file over the one we had open; what we read is the old whole file.
    // More than one link is another name for it somewhere: not ours alone.
    meta.uid() == fsread::effective_uid() && meta.mode() & 0o077 == 0 && meta.nlink() <= 1
}

/// Where the cache lives: `$XDG_CACHE_HOME/regauth` (an absolute path), else `~/.cache/regauth`.
pub fn cache_dir(env: &Environ) -> Option<PathBuf> {
    let base = env
        .path_buf("XDG_CACHE_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| env.home().map(|h| h.join(".cache")))?;
    Some(base.join("regauth"))
}

/// `dir` (made 0700 when missing) must be a directory, not a link, of ours, that no one else may write.
/// The way to it is walked ([`crate::safepath`]): another user's link on it is refused, and what is made
/// and checked is made and checked by descriptor.
pub(crate) fn prepare_dir(dir: &Path) -> Result<(), String> {
    let how = Walk { caller: fsread::effective_uid(), follow_last: false, make_dirs: true };
    let place = Place::walk(dir, how).map_err(|e| e.to_string())?;
    if place.meta().is_none() {
        match rustix::fs::mkdirat(place.dir(), place.name(), rustix::fs::Mode::from_raw_mode(0o700)) {
            Ok(()) | Err(rustix::io::Errno::EXIST) => {}
            Err(e) => return Err(format!("cannot create {}: {e}", dir.display())),
        }
    }
    let flags = rustix::fs::OFlags::PATH | rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::CLOEXEC;
    let fd = rustix::fs::openat(place.dir(), place.name(), flags, rustix::fs::Mode::empty())
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let meta = fs::File::from(fd).metadata().map_err(|e| format!("{}: {e}", dir.display()))?;
    if !meta.file_type().is_dir() {
        return Err(format!("{} is {}, not a directory", dir.display(), fsread::kind_of(&meta)));
    }
    if meta.uid() != fsread::effective_uid() {
        return Err(format!("{} belongs to uid {}", dir.display(), meta.uid()));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!("{} is writable by others", dir.display()));
    }
    Ok(())
}
