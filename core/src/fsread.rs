//! Reading files that someone else may have prepared: every read regauth makes of a file goes through here.
//!
//! A file is opened without blocking (`O_NONBLOCK`: a FIFO cannot stall the open), without following a link
//! in its last component (`O_NOFOLLOW`) and close-on-exec; `fstat` on the open descriptor must say it is a
//! regular file no larger than the caller's limit, and at most limit + 1 bytes are read, so a FIFO, a
//! device such as /dev/zero, a directory or a sparse 1 GB file each end in a prompt [`FileError`] naming the
//! path, never in a hang or in gigabytes of memory.
//!
//! Links on the way to a file are followed only by the rule of [`crate::safepath`] (the caller's, root's, or
//! the owner's of what they lead to), component by component relative to directory descriptors, so a
//! directory swapped for a link while regauth reads is not read through. [`resolve`] describes where a path
//! leads without opening anything, for reports (`audit`).

#[path = "fsread_mapped.rs"]
mod mapped;

pub use mapped::Mapped;

use crate::safepath::{Place, Walk, MAX_LINKS};
use rustix::fs::{Mode, OFlags, ResolveFlags, CWD};
use rustix::io::Errno;
use std::ffi::OsString;
use std::fs::{File, Metadata};
use std::io::{ErrorKind, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Component, Path, PathBuf};

/// The most regauth reads of one config or auth file (config.json, auth.json, .dockercfg, a cache). Real
/// ones are a few KiB; a file past this is a mistake or an attack.
pub const CONFIG_LIMIT: u64 = 4 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path} does not exist")]
    NotFound { path: PathBuf },
    #[error("{path} is a symbolic link, which regauth does not follow here")]
    Symlink { path: PathBuf },
    #[error("{path} is {kind}, not a regular file")]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error("{path} is larger than {}, the limit for this file; it was not read", size_text(*limit))]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("{path}: too many levels of symbolic links")]
    Loop { path: PathBuf },
    #[error(
        "{} is a symbolic link owned by uid {} to {target}, which belongs to uid {}; it was not followed",
        link.path.display(), link.owner, target_owner.map_or("(no one: it does not exist)".into(), |u| u.to_string())
    )]
    ForeignLink { link: Link, target: PathBuf, target_owner: Option<u32> },
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// What was wrong with the file a path's links lead to, said with the path that was asked for.
    #[error("{path} (a link to {}): {source}", real.display())]
    Via { path: PathBuf, real: PathBuf, source: Box<FileError> },
}

impl FileError {
    /// The error for a failed system call on `path`, with the kinds that have their own variant picked out.
    pub fn io(path: &Path, source: std::io::Error) -> FileError {
        let path = path.to_owned();
        match source.raw_os_error() {
            Some(libc::ENOENT) => FileError::NotFound { path },
            Some(libc::ELOOP) => FileError::Symlink { path },
            Some(libc::EISDIR) => FileError::NotRegular { path, kind: "a directory" },
            // A socket, or a device with nothing behind it, cannot even be opened: say what it is.
            Some(libc::ENXIO | libc::ENODEV | libc::EOPNOTSUPP) => match std::fs::symlink_metadata(&path) {
                Ok(meta) if !meta.file_type().is_file() => {
                    FileError::NotRegular { kind: kind_of(&meta), path }
                }
                _ => FileError::Io { path, source },
            },
            _ => FileError::Io { path, source },
        }
    }

    pub fn is_not_found(&self) -> bool {
        match self {
            FileError::NotFound { .. } => true,
            FileError::Via { source, .. } => source.is_not_found(),
            _ => false,
        }
    }

    /// This error, said with `path` when it concerns `real`, the file `path` leads to.
    pub fn via(self, path: &Path, real: &Path) -> FileError {
        if path == real {
            return self;
        }
        FileError::Via { path: path.to_owned(), real: real.to_owned(), source: Box::new(self) }
    }
}

fn size_text(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

/// What a file that is not a regular file is, in words.
pub fn kind_of(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_file() {
        "a regular file"
    } else {
        "an unknown kind of file"
    }
}

/// A file's contents and what `fstat` said about the descriptor they were read from.
#[derive(Debug)]
pub struct Contents {
    pub bytes: Vec<u8>,
    pub meta: Metadata,
}

/// Open `path` for reading: no blocking, no link in the last component, close-on-exec; a regular file of
/// at most `limit` bytes (by `fstat`). A link on the way is followed only by the rule of
/// [`crate::safepath`], relative to descriptors, so a directory swapped for a link is not read through.
pub fn open_regular(path: &Path, limit: u64) -> Result<(File, Metadata), FileError> {
    // No link anywhere (the common case): one openat2. Otherwise the walk decides, link by link.
    match rustix::fs::openat2(CWD, path, read_flags(), Mode::empty(), ResolveFlags::NO_SYMLINKS) {
        Ok(fd) => check_regular(File::from(fd), path, limit),
        Err(Errno::NOENT) => Err(FileError::NotFound { path: path.to_owned() }),
        Err(_) => Place::walk(path, Walk::entry(effective_uid()))?.open_regular(limit),
    }
}

pub(crate) fn read_flags() -> OFlags {
    OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOFOLLOW | OFlags::NOCTTY | OFlags::CLOEXEC
}

/// `fstat` on an open file says it is a regular file of at most `limit` bytes.
pub(crate) fn check_regular(file: File, path: &Path, limit: u64) -> Result<(File, Metadata), FileError> {
    let meta = file.metadata().map_err(|e| FileError::io(path, e))?;
    if !meta.file_type().is_file() {
        return Err(FileError::NotRegular { path: path.to_owned(), kind: kind_of(&meta) });
    }
    if meta.len() > limit {
        return Err(FileError::TooLarge { path: path.to_owned(), limit });
    }
    Ok((file, meta))
}

/// Read the regular file at `path` whole, refusing it past `limit` bytes (see [`open_regular`]).
pub fn read_regular(path: &Path, limit: u64) -> Result<Contents, FileError> {
    let (file, meta) = open_regular(path, limit)?;
    let bytes = read_capped(file, path, limit, meta.len())?;
    Ok(Contents { bytes, meta })
}

/// [`read_regular`] into an anonymous mapping ([`Mapped`]): for inputs large enough that the allocator
/// keeping their pages after use would raise the process's peak memory.
pub fn read_regular_mapped(path: &Path, limit: u64) -> Result<Mapped, FileError> {
    let (file, meta) = open_regular(path, limit)?;
    Mapped::read(file, meta.len(), limit)
        .map_err(|e| FileError::io(path, e))?
        .ok_or_else(|| FileError::TooLarge { path: path.to_owned(), limit })
}

/// At most `limit` bytes from `reader`; one more means the file grew past the limit after `fstat`.
pub(crate) fn read_capped(
    reader: impl Read,
    path: &Path,
    limit: u64,
    expected: u64,
) -> Result<Vec<u8>, FileError> {
    let mut bytes = Vec::with_capacity(expected.min(limit) as usize);
    reader.take(limit + 1).read_to_end(&mut bytes).map_err(|e| FileError::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge { path: path.to_owned(), limit });
    }
    Ok(bytes)
}

/// One symbolic link met on the way to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub path: PathBuf,
    /// The link's own owner (`lstat`).
    pub owner: u32,
}

/// Where a path really leads.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The path with every link replaced by what it points to; it may not exist.
    pub real: PathBuf,
    /// The links followed, in order.
    pub links: Vec<Link>,
    /// `lstat` of `real`; `None` when it does not exist.
    pub meta: Option<Metadata>,
}

impl Resolved {
    /// The first link that `caller` should not follow: one owned by neither `caller`, root, nor whoever owns
    /// the file it leads to. A link to a file that does not exist must be the caller's or root's, or
    /// following it would create a file where its owner chose.
    pub fn foreign_link(&self, caller: u32) -> Option<&Link> {
        let target_owner = self.meta.as_ref().map(MetadataExt::uid);
        self.links.iter().find(|l| l.owner != caller && l.owner != 0 && Some(l.owner) != target_owner)
    }
}

/// Follow every symbolic link in `path` (not only the last component), noting each link's owner. The rest
/// of a path below a missing component is kept as written.
pub fn resolve(path: &Path) -> Result<Resolved, FileError> {
    let absolute = std::path::absolute(path).map_err(|e| FileError::io(path, e))?;
    let mut todo: Vec<OsString> = Vec::new();
    push_components(&mut todo, &absolute);
    let mut real = PathBuf::from("/");
    let mut links = Vec::new();
    while let Some(part) = todo.pop() {
        if part == ".." {
            real.pop();
            continue;
        }
        let next = real.join(&part);
        match std::fs::symlink_metadata(&next) {
            Ok(meta) if meta.file_type().is_symlink() => {
                if links.len() >= MAX_LINKS {
                    return Err(FileError::Loop { path: path.to_owned() });
                }
                let target = std::fs::read_link(&next).map_err(|e| FileError::io(&next, e))?;
                links.push(Link { path: next, owner: meta.uid() });
                if target.is_absolute() {
                    real = PathBuf::from("/");
                }
                push_components(&mut todo, &target);
            }
            Ok(_) => real = next,
            Err(e) if e.kind() == ErrorKind::NotFound || e.raw_os_error() == Some(libc::ENOTDIR) => {
                real = next;
                while let Some(rest) = todo.pop() {
                    real.push(rest);
                }
                return Ok(Resolved { real, links, meta: None });
            }
            Err(e) => return Err(FileError::io(&next, e)),
        }
    }
    let meta = std::fs::symlink_metadata(&real).ok();
    Ok(Resolved { real, links, meta })
}

/// `path`'s components onto a stack (last component at the bottom), `.` dropped, `..` kept as text.
fn push_components(stack: &mut Vec<OsString>, path: &Path) {
    let parts: Vec<OsString> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_owned()),
            Component::ParentDir => Some("..".into()),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => None,
        })
        .collect();
    stack.extend(parts.into_iter().rev());
}

/// The effective uid of this process: whose files it creates, and whose links it trusts.
pub fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Read a file the caller named, following links in its path (the last one too) only by the rule of
/// [`crate::safepath`], every step relative to a descriptor. Returns where the bytes really came from.
pub fn read_followed(path: &Path, limit: u64, caller: u32) -> Result<(PathBuf, Contents), FileError> {
    if let Ok(fd) = rustix::fs::openat2(CWD, path, read_flags(), Mode::empty(), ResolveFlags::NO_SYMLINKS) {
        let (file, meta) = check_regular(File::from(fd), path, limit)?;
        let bytes = read_capped(file, path, limit, meta.len())?;
        return Ok((path.to_owned(), Contents { bytes, meta }));
    }
    let place = Place::walk(path, Walk::follow(caller))?;
    let contents = place.read_regular(limit).map_err(|e| e.via(path, place.real()))?;
    Ok((place.real().to_owned(), contents))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// What each kind of file gives, read with a small limit.
    #[test]
    fn file_kinds_and_sizes() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let limit = 1024;
        std::fs::write(d.join("empty"), "").unwrap();
        std::fs::write(d.join("small"), "{}").unwrap();
        std::fs::write(d.join("at-limit"), vec![b'x'; limit as usize]).unwrap();
        std::fs::write(d.join("over-limit"), vec![b'x'; limit as usize + 1]).unwrap();
        File::create(d.join("sparse")).unwrap().set_len(1 << 30).unwrap();
        std::fs::create_dir(d.join("dir")).unwrap();
        let fifo = std::ffi::CString::new(d.join("fifo").into_os_string().into_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        symlink(d.join("small"), d.join("link")).unwrap();
        symlink("/dev/zero", d.join("zero-link")).unwrap();
        let socket = std::os::unix::net::UnixListener::bind(d.join("socket")).unwrap();

        type Check = fn(&Result<Contents, FileError>) -> bool;
        let table: &[(&str, Check)] = &[
            ("empty", |r| r.as_ref().is_ok_and(|c| c.bytes.is_empty())),
            ("small", |r| r.as_ref().is_ok_and(|c| c.bytes == b"{}")),
            ("at-limit", |r| r.as_ref().is_ok_and(|c| c.bytes.len() == 1024)),
            ("over-limit", |r| matches!(r, Err(FileError::TooLarge { limit: 1024, .. }))),
            ("sparse", |r| matches!(r, Err(FileError::TooLarge { .. }))),
            ("dir", |r| matches!(r, Err(FileError::NotRegular { kind: "a directory", .. }))),
            ("fifo", |r| matches!(r, Err(FileError::NotRegular { kind: "a FIFO (named pipe)", .. }))),
            ("socket", |r| matches!(r, Err(FileError::NotRegular { kind: "a socket", .. }))),
            ("link", |r| matches!(r, Err(FileError::Symlink { .. }))),
            ("zero-link", |r| matches!(r, Err(FileError::Symlink { .. }))),
            ("missing", |r| matches!(r, Err(FileError::NotFound { .. }))),
        ];
        for (name, check) in table {
            let result = read_regular(&d.join(name), limit);
            assert!(check(&result), "{name}: {result:?}");
            if let Err(e) = result {
                assert!(e.to_string().contains(&*d.join(name).to_string_lossy()), "{name}: {e}");
            }
        }
        for device in ["/dev/zero", "/dev/null"] {
            let err = read_regular(Path::new(device), limit).unwrap_err();
            assert_eq!(err.to_string(), format!("{device} is a character device, not a regular file"));
        }
        drop(socket);
    }

    #[test]
    fn the_limit_is_named_in_words() {
        let err = FileError::TooLarge { path: "/x/config.json".into(), limit: CONFIG_LIMIT };
        assert_eq!(
            err.to_string(),
            "/x/config.json is larger than 4 MiB, the limit for this file; it was not read"
        );
        assert_eq!(size_text(1000), "1000 bytes");
        assert_eq!(size_text(64 << 10), "64 KiB");
    }

    #[test]
    fn a_file_that_grows_past_the_limit_while_read_is_refused() {
        let err = read_capped(&[0u8; 11][..], Path::new("f"), 10, 0).unwrap_err();
        assert!(matches!(err, FileError::TooLarge { limit: 10, .. }));
        assert_eq!(read_capped(&[0u8; 10][..], Path::new("f"), 10, 0).unwrap().len(), 10);
    }

    #[test]
    fn resolve_follows_every_link_and_notes_its_owner() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(d.join("real/sub")).unwrap();
        std::fs::write(d.join("real/sub/config.json"), "{}").unwrap();
        symlink("real", d.join("dirlink")).unwrap();
        symlink("../dirlink/sub/config.json", d.join("real/file-link")).unwrap();
        let r = resolve(&d.join("real/file-link")).unwrap();
        assert_eq!(r.real, d.join("real/sub/config.json"));
        let me = effective_uid();
        assert_eq!(
            r.links,
            [Link { path: d.join("real/file-link"), owner: me }, Link { path: d.join("dirlink"), owner: me }]
        );
        assert!(r.foreign_link(me).is_none());
        // A dangling link keeps the rest of the path.
        symlink("nowhere/config.json", d.join("dangling")).unwrap();
        let r = resolve(&d.join("dangling")).unwrap();
        assert_eq!(r.real, d.join("nowhere/config.json"));
        assert!(r.meta.is_none());
        // A loop ends.
        symlink("loop-b", d.join("loop-a")).unwrap();
        symlink("loop-a", d.join("loop-b")).unwrap();
        assert!(matches!(resolve(&d.join("loop-a")), Err(FileError::Loop { .. })));
    }

    #[test]
    fn foreign_link_rule() {
        let meta_of = |path: &str| std::fs::symlink_metadata(path).ok();
        let root_file = meta_of("/");
        let link = |owner| Link { path: "/home/u/.docker/config.json".into(), owner };
        let at = |links: Vec<Link>, meta| Resolved { real: "/t".into(), links, meta };
        // `/` belongs to root: a user's link to it is foreign to anyone but that user.
        assert!(at(vec![link(1000)], root_file.clone()).foreign_link(0).is_some());
        assert!(at(vec![link(1000)], root_file.clone()).foreign_link(1000).is_none());
        assert!(
            at(vec![link(0)], root_file.clone()).foreign_link(1000).is_none(),
            "root's links are trusted"
        );
        assert!(at(vec![link(1000)], None).foreign_link(0).is_some(), "a dangling link of another user");
        assert!(at(vec![], root_file).foreign_link(1000).is_none());
    }
}
