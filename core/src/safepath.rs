//! Paths walked one component at a time, so that no link on the way is followed unless the rule allows it
//! and nothing done after the walk can be redirected by a component swapped meanwhile.
//!
//! [`Place::walk`] first asks the kernel to open the directory with `openat2(RESOLVE_NO_SYMLINKS)`: one
//! system call when the path has no link (the common case). When it has one (or the kernel has no openat2),
//! the path is walked from `/` with `openat(O_PATH|O_NOFOLLOW)` per component. A link is seen as a link (the
//! descriptor is the link itself), its owner read with `fstat` and its text with `readlinkat` on that same
//! descriptor, and its text walked the same way (at most [`MAX_LINKS`] links, like the kernel's ELOOP).
//!
//! The rule, checked for every link on the way: a link is followed only when it belongs to the caller, to
//! root, or to the owner of what it leads to (the directory, or the file); a link of anyone else must in
//! addition belong to the owner of the file at the end, as before this walk existed. A link to nothing must
//! be the caller's or root's, and missing directories are made only below such links.
//!
//! The walk ends in a [`Place`]: an `O_PATH` descriptor of the directory and the entry's name in it. Reads,
//! lock files, temp files, renames and the directory's fsync all happen relative to that descriptor.

use crate::fsread::{kind_of, Contents, FileError, Link};
use rustix::fs::{Mode, OFlags, ResolveFlags, CWD};
use rustix::io::Errno;
use std::ffi::{OsStr, OsString};
use std::fs::{File, Metadata};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

/// Links followed on the way to one file before giving up, like the kernel's limit.
pub const MAX_LINKS: usize = 40;

/// How to walk.
#[derive(Debug, Clone, Copy)]
pub struct Walk {
    /// Whose links are trusted besides root's (the effective uid).
    pub caller: u32,
    /// Follow a link in the last component (by the rule); otherwise it is the entry itself.
    pub follow_last: bool,
    /// Make missing directories (0700) on the way.
    pub make_dirs: bool,
}

impl Walk {
    /// For a read of a file the caller named: links followed by the rule, the last one too.
    pub fn follow(caller: u32) -> Walk {
        Walk { caller, follow_last: true, make_dirs: false }
    }

    /// For a file that must not be a link itself (lock files, caches, reads with `O_NOFOLLOW`).
    pub fn entry(caller: u32) -> Walk {
        Walk { caller, follow_last: false, make_dirs: false }
    }
}

/// An entry of a directory, reached by a walk: the directory is held open, so whatever is done through
/// this place happens in that directory even if its path is changed afterwards.
#[derive(Debug)]
pub struct Place {
    dir: OwnedFd,
    name: OsString,
    real: PathBuf,
    links: Vec<Link>,
    meta: Option<Metadata>,
}

impl Place {
    /// Walk to `path` (see the module documentation).
    pub fn walk(path: &Path, how: Walk) -> Result<Place, FileError> {
        let absolute = std::path::absolute(path).map_err(|e| FileError::io(path, e))?;
        if let Some(place) = fast(path, &absolute, how)? {
            return Ok(place);
        }
        let mut walker = Walker { how, links: Vec::new(), pending: Vec::new(), make_dirs: how.make_dirs };
        let (dir, name, meta) = match walker.walk(root()?, &absolute, false)? {
            End::Dir(cur) => return Err(FileError::NotRegular { path: cur.path, kind: "a directory" }),
            End::Entry { dir, name, meta } => (dir, name, meta),
        };
        // Said as asked when no link was followed: the same file, in the caller's words.
        let real = if walker.links.is_empty() { path.to_owned() } else { dir.path.join(&name) };
        let owner = meta.as_ref().map(MetadataExt::uid);
        if let Some(link) = walker.pending.iter().find(|l| Some(l.owner) != owner) {
            return Err(FileError::ForeignLink { link: link.clone(), target: real, target_owner: owner });
        }
        Ok(Place { dir: dir.fd, name, real, links: walker.links, meta })
    }

    /// The directory (an `O_PATH` descriptor: good for `*at` calls, not for reading).
    pub fn dir(&self) -> BorrowedFd<'_> {
        self.dir.as_fd()
    }

    /// The entry's name in [`Place::dir`].
    pub fn name(&self) -> &OsStr {
        &self.name
    }

    /// Where the entry really is, for messages.
    pub fn real(&self) -> &Path {
        &self.real
    }

    /// The links followed, in order.
    pub fn links(&self) -> &[Link] {
        &self.links
    }

    /// The entry as the walk found it (not following a link); `None` when it did not exist.
    pub fn meta(&self) -> Option<&Metadata> {
        self.meta.as_ref()
    }

    /// An error when the entry existed and was not a regular file.
    pub fn refuse_non_regular(&self) -> Result<(), FileError> {
        match &self.meta {
            Some(meta) if !meta.file_type().is_file() => {
                Err(FileError::NotRegular { path: self.real.clone(), kind: kind_of(meta) })
            }
            _ => Ok(()),
        }
    }

    /// Another entry of the same directory.
    pub fn sibling(&self, name: impl Into<OsString>) -> Result<Place, FileError> {
        let name = name.into();
        let real = self.real.with_file_name(&name);
        let dir = rustix::fs::openat(&self.dir, ".", path_flags() | OFlags::DIRECTORY, Mode::empty())
            .map_err(|e| FileError::io(&real, e.into()))?;
        Ok(Place { dir, name, real, links: Vec::new(), meta: None })
    }

    /// Open the entry for reading: no blocking, no link, close-on-exec; a regular file of at most `limit`
    /// bytes (by `fstat`).
    pub fn open_regular(&self, limit: u64) -> Result<(File, Metadata), FileError> {
        let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOFOLLOW | OFlags::NOCTTY | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&self.dir, &self.name, flags, Mode::empty())
            .map_err(|e| FileError::io(&self.real, e.into()))?;
        crate::fsread::check_regular(File::from(fd), &self.real, limit)
    }

    /// The entry's contents whole, refused past `limit` bytes (see [`Place::open_regular`]).
    pub fn read_regular(&self, limit: u64) -> Result<Contents, FileError> {
        let (file, meta) = self.open_regular(limit)?;
        let bytes = crate::fsread::read_capped(file, &self.real, limit, meta.len())?;
        Ok(Contents { bytes, meta })
    }

    /// The directory opened for reading its entries and for fsync.
    pub fn open_dir(&self) -> std::io::Result<OwnedFd> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        Ok(rustix::fs::openat(&self.dir, ".", flags, Mode::empty())?)
    }
}

/// One system call when the directory's path has no link at all (`openat2` with `RESOLVE_NO_SYMLINKS`);
/// `None` (walk instead) when it has one, is missing, or the kernel cannot say.
fn fast(path: &Path, absolute: &Path, how: Walk) -> Result<Option<Place>, FileError> {
    let (Some(parent), Some(Component::Normal(name))) =
        (absolute.parent(), absolute.components().next_back())
    else {
        return Ok(None);
    };
    let flags = path_flags() | OFlags::DIRECTORY;
    let Ok(dir) = rustix::fs::openat2(CWD, parent, flags, Mode::empty(), ResolveFlags::NO_SYMLINKS) else {
        return Ok(None);
    };
    let meta = match rustix::fs::openat(&dir, name, path_flags(), Mode::empty()) {
        Ok(fd) => Some(File::from(fd).metadata().map_err(|e| FileError::io(absolute, e))?),
        Err(Errno::NOENT) => None,
        Err(e) => return Err(FileError::io(absolute, e.into())),
    };
    if how.follow_last && meta.as_ref().is_some_and(|m| m.file_type().is_symlink()) {
        return Ok(None);
    }
    let place = Place { dir, name: name.to_owned(), real: path.to_owned(), links: Vec::new(), meta };
    Ok(Some(place))
}

fn path_flags() -> OFlags {
    OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC
}

fn root() -> Result<Cur, FileError> {
    let fd = rustix::fs::openat(CWD, "/", path_flags() | OFlags::DIRECTORY, Mode::empty())
        .map_err(|e| FileError::io(Path::new("/"), e.into()))?;
    Ok(Cur { fd, path: PathBuf::from("/") })
}

/// A directory reached so far: held open, and its path for messages.
struct Cur {
    fd: OwnedFd,
    path: PathBuf,
}

/// Where a walk ended.
enum End {
    Dir(Cur),
    Entry { dir: Cur, name: OsString, meta: Option<Metadata> },
}

impl End {
    fn owner(&self) -> Result<Option<u32>, FileError> {
        match self {
            End::Dir(cur) => {
                let st = rustix::fs::fstat(&cur.fd).map_err(|e| FileError::io(&cur.path, e.into()))?;
                Ok(Some(st.st_uid))
            }
            End::Entry { meta, .. } => Ok(meta.as_ref().map(MetadataExt::uid)),
        }
    }

    fn path(&self) -> PathBuf {
        match self {
            End::Dir(cur) => cur.path.clone(),
            End::Entry { dir, name, .. } => dir.path.join(name),
        }
    }
}

struct Walker {
    how: Walk,
    /// Every link followed.
    links: Vec<Link>,
    /// Links followed because their owner owns what they lead to: that owner must own the file too.
    pending: Vec<Link>,
    /// Whether missing directories are made here (not below another user's link).
    make_dirs: bool,
}

impl Walker {
    /// Walk `path` from `base`: every component but the last is a directory; the last is one too when
    /// `want_dir`, else the entry.
    fn walk(&mut self, base: Cur, path: &Path, want_dir: bool) -> Result<End, FileError> {
        let parts = components(path);
        let Some((last, init)) = parts.split_last() else { return Ok(End::Dir(base)) };
        let mut cur = base;
        for part in init {
            cur = self.dir_step(cur, part)?;
        }
        if want_dir {
            return self.dir_step(cur, last).map(End::Dir);
        }
        if last == ".." {
            return parent(cur).map(End::Dir);
        }
        let fd = match rustix::fs::openat(&cur.fd, last, path_flags(), Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(End::Entry { dir: cur, name: last.clone(), meta: None }),
            Err(e) => return Err(FileError::io(&cur.path.join(last), e.into())),
        };
        let file = File::from(fd);
        let meta = file.metadata().map_err(|e| FileError::io(&cur.path.join(last), e))?;
        if self.how.follow_last && meta.file_type().is_symlink() {
            return self.follow(cur, file, meta.uid(), last, false);
        }
        Ok(End::Entry { dir: cur, name: last.clone(), meta: Some(meta) })
    }

    /// One directory further down: `part` in `cur`, made when missing (if allowed), a link followed.
    fn dir_step(&mut self, cur: Cur, part: &OsStr) -> Result<Cur, FileError> {
        if part == ".." {
            return parent(cur);
        }
        let here = cur.path.join(part);
        // Two rounds: a directory made here may be swapped before it is opened.
        for _ in 0..2 {
            let fd = match rustix::fs::openat(&cur.fd, part, path_flags(), Mode::empty()) {
                Ok(fd) => fd,
                Err(Errno::NOENT) if self.make_dirs => {
                    match rustix::fs::mkdirat(&cur.fd, part, Mode::from_raw_mode(0o700)) {
                        Ok(()) | Err(Errno::EXIST) => continue,
                        Err(e) => return Err(FileError::io(&here, e.into())),
                    }
                }
                Err(e) => return Err(FileError::io(&here, e.into())),
            };
            let file = File::from(fd);
            let meta = file.metadata().map_err(|e| FileError::io(&here, e))?;
            let kind = meta.file_type();
            if kind.is_dir() {
                return Ok(Cur { fd: file.into(), path: here });
            }
            if kind.is_symlink() {
                return match self.follow(cur, file, meta.uid(), part, true)? {
                    End::Dir(dir) => Ok(dir),
                    End::Entry { .. } => unreachable!("a walk for a directory ends in one"),
                };
            }
            return Err(FileError::io(&here, Errno::NOTDIR.into()));
        }
        Err(FileError::io(&here, std::io::Error::other("it kept appearing and disappearing")))
    }

    /// Where the link `file` (named `name` in `cur`, owned by `owner`) leads, if the rule allows it.
    fn follow(
        &mut self,
        cur: Cur,
        file: File,
        owner: u32,
        name: &OsStr,
        want_dir: bool,
    ) -> Result<End, FileError> {
        let link = Link { path: cur.path.join(name), owner };
        if self.links.len() >= MAX_LINKS {
            return Err(FileError::Loop { path: link.path });
        }
        // The descriptor is the link itself: its text is read from it, not from a path that can change.
        let text =
            rustix::fs::readlinkat(&file, "", Vec::new()).map_err(|e| FileError::io(&link.path, e.into()))?;
        let target = PathBuf::from(OsString::from_vec(text.into_bytes()));
        self.links.push(link.clone());
        let shown = cur.path.join(&target);
        let base = if target.is_absolute() { root()? } else { cur };
        let trusted = owner == self.how.caller || owner == 0;
        // Below another user's link nothing is made: it would be made where that user chose.
        let make_dirs = self.make_dirs;
        self.make_dirs = make_dirs && trusted;
        let end = self.walk(base, &target, want_dir);
        self.make_dirs = make_dirs;
        let end = match end {
            // Another user's link to nothing: following it would make or read a file where they chose.
            Err(e) if !trusted && e.is_not_found() => {
                return Err(FileError::ForeignLink { link, target: shown, target_owner: None })
            }
            end => end?,
        };
        if !trusted {
            let led_to = end.owner()?;
            if led_to != Some(owner) {
                return Err(FileError::ForeignLink { link, target: end.path(), target_owner: led_to });
            }
            self.pending.push(link);
        }
        Ok(end)
    }
}

/// The directory above `cur` (`..` is never a link).
fn parent(mut cur: Cur) -> Result<Cur, FileError> {
    let fd = rustix::fs::openat(&cur.fd, "..", path_flags() | OFlags::DIRECTORY, Mode::empty())
        .map_err(|e| FileError::io(&cur.path, e.into()))?;
    cur.path.pop();
    Ok(Cur { fd, path: cur.path })
}

/// `path`'s components, `.` dropped, `..` kept as text.
fn components(path: &Path) -> Vec<OsString> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_owned()),
            Component::ParentDir => Some("..".into()),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => None,
        })
        .collect()
}

#[cfg(test)]
#[path = "safepath_tests.rs"]
mod tests;
