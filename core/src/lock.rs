//! Lock files shared by every writer (config files, caches).
//!
//! The lock is an advisory `flock` on `<file>.lock`: the kernel drops it when its holder dies, so a crashed
//! writer never blocks the next one. A lock file lives beside a file other people may control, so it is
//! never followed and never written unless this process just created it: an existing one is opened
//! read-only with `O_NOFOLLOW` and must be a regular file with one link, owned by us or by root. The
//! creator writes its PID and command into a new file; a waiter that gives up names the holder, taking its
//! PID from /proc/locks (the kernel's own record) when the file's note is stale.
//!
//! The lock file is opened relative to its directory's descriptor ([`crate::safepath`]): a directory of the
//! path swapped for a link does not move it elsewhere.

use crate::fsread::{self, FileError};
use crate::safepath::{Place, Walk};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use std::ffi::OsStr;
use std::fs::{File, Metadata, TryLockError};
use std::io::{Read, Seek, Write};
use std::os::fd::BorrowedFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("gave up after waiting {}s for lock {path}{}", timeout.as_secs_f32(), holder_text(holder))]
    Timeout { path: PathBuf, holder: Option<Holder>, timeout: Duration },
    #[error("cannot use lock file {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The way to the lock file's directory was refused (a link of another user) or failed.
    #[error(transparent)]
    Path(#[from] FileError),
    /// Something other than a lock file of ours is at the lock's path: it is left exactly as it is.
    #[error("refusing lock file {path}: {reason}; it was left untouched (remove it if it is not needed)")]
    Refused { path: PathBuf, reason: String },
}

/// Who holds a lock, as the holder wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    pub command: String,
}

fn holder_text(holder: &Option<Holder>) -> String {
    match holder {
        Some(h) => format!(" (held by process {} `{}`)", h.pid, h.command),
        None => String::new(),
    }
}

/// Proof that the lock is held; the lock is released when it is dropped. Writers that need the lock take
/// `&LockGuard` as an argument, so they cannot be called without it.
#[derive(Debug)]
pub struct LockGuard {
    _file: File,
    path: PathBuf,
}

impl LockGuard {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The lock file that guards `target`.
pub fn lock_path_for(target: &Path) -> PathBuf {
    let mut name = target.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".lock");
    target.with_file_name(name)
}

/// Take the lock at `path`, waiting at most `timeout`. Its directory is reached by a walk that follows a
/// link only by the rule of [`crate::safepath`]; the lock file itself is never a link.
pub fn acquire(path: &Path, timeout: Duration) -> Result<LockGuard, LockError> {
    let place = Place::walk(path, Walk::entry(fsread::effective_uid()))?;
    acquire_in(place.dir(), place.name(), path, timeout)
}

/// Take the lock that guards `target` (`<name>.lock` in `target`'s directory, by descriptor).
pub fn acquire_beside(target: &Place, timeout: Duration) -> Result<LockGuard, LockError> {
    let mut name = target.name().to_os_string();
    name.push(".lock");
    acquire_in(target.dir(), &name, &lock_path_for(target.real()), timeout)
}

/// Take the lock file `name` in the directory `dir` (`path` is how it is named in messages).
pub fn acquire_in(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    path: &Path,
    timeout: Duration,
) -> Result<LockGuard, LockError> {
    let (mut file, created) = open_lock_file(dir, name, path)?;
    let started = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(TryLockError::WouldBlock) => {
                let waited = started.elapsed();
                if waited >= timeout {
                    return Err(LockError::Timeout {
                        path: path.to_owned(),
                        holder: find_holder(&mut file),
                        timeout,
                    });
                }
                thread::sleep(pause.min(timeout - waited));
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(TryLockError::Error(source)) => return Err(LockError::Io { path: path.to_owned(), source }),
        }
    }
    if created {
        // Best effort: the lock works without this record, it only improves the timeout message. The file
        // is empty and ours: nothing is truncated.
        let _ = write!(file, "{}\n{}\n", std::process::id(), current_command());
    }
    Ok(LockGuard { _file: file, path: path.to_owned() })
}

/// A new lock file (read-write, `O_EXCL`), or an existing one (read-only) that passes [`check_existing`].
/// `true` when this call created it.
fn open_lock_file(dir: BorrowedFd<'_>, name: &OsStr, path: &Path) -> Result<(File, bool), LockError> {
    let io_err = |source| LockError::Io { path: path.to_owned(), source };
    let create = OFlags::RDWR | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    // A few rounds: another writer may remove or create it between our two opens.
    for _ in 0..3 {
        match rustix::fs::openat(dir, name, create, Mode::from_raw_mode(0o600)) {
            Ok(fd) => return Ok((File::from(fd), true)),
            Err(Errno::EXIST) => {}
            Err(e) => return Err(io_err(e.into())),
        }
        // flock needs no write access: an existing lock file is never opened for writing.
        match rustix::fs::openat(dir, name, fsread::read_flags(), Mode::empty()) {
            Ok(fd) => {
                let file = File::from(fd);
                let meta = file.metadata().map_err(io_err)?;
                check_existing(&meta, fsread::effective_uid())
                    .map_err(|reason| LockError::Refused { path: path.to_owned(), reason })?;
                return Ok((file, false));
            }
            Err(Errno::NOENT) => continue,
            Err(Errno::LOOP) => {
                return Err(LockError::Refused {
                    path: path.to_owned(),
                    reason: "it is a symbolic link".into(),
                })
            }
            Err(e) => return Err(io_err(e.into())),
        }
    }
    Err(io_err(std::io::Error::other("it kept appearing and disappearing while being opened")))
}

/// Why an existing file at a lock's path is not a lock file to use, if it is not.
fn check_existing(meta: &Metadata, caller: u32) -> Result<(), String> {
    if !meta.file_type().is_file() {
        return Err(format!("it is {}, not a regular file", fsread::kind_of(meta)));
    }
    if meta.uid() != caller && meta.uid() != 0 {
        return Err(format!("it belongs to uid {}, not to uid {caller} or root", meta.uid()));
    }
    if meta.nlink() != 1 {
        return Err(format!("it has {} hard links, so it is also another file", meta.nlink()));
    }
    Ok(())
}

/// Who holds the lock on `file`: the kernel's record in /proc/locks for the PID when it has one, the
/// note in the file for the command when it names that PID.
fn find_holder(file: &mut File) -> Option<Holder> {
    let noted = read_holder(file);
    let meta = file.metadata().ok()?;
    let Some(pid) = kernel_holder(&meta) else { return noted };
    match noted {
        Some(h) if h.pid == pid => Some(h),
        _ => {
            let comm = fsread::read_regular(Path::new(&format!("/proc/{pid}/comm")), 256).ok();
            let command = comm
                .map(|c| crate::sanitize::one_line(String::from_utf8_lossy(&c.bytes).trim()))
                .unwrap_or_default();
            Some(Holder { pid, command })
        }
    }
}

/// The PID holding a `flock` on the file `meta` describes, from /proc/locks.
fn kernel_holder(meta: &Metadata) -> Option<u32> {
    let locks = fsread::read_regular(Path::new("/proc/locks"), 1 << 20).ok()?;
    let id = format!("{:02x}:{:02x}:{}", libc::major(meta.dev()), libc::minor(meta.dev()), meta.ino());
    holder_in_proc_locks(&String::from_utf8_lossy(&locks.bytes), &id)
}

/// `1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF`; waiters' lines have `->` after the number.
fn holder_in_proc_locks(text: &str, id: &str) -> Option<u32> {
    text.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            [_, "FLOCK", _, _, pid, file, ..] if *file == id => pid.parse().ok(),
            _ => None,
        }
    })
}

fn read_holder(file: &mut File) -> Option<Holder> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.take(4096).read_to_string(&mut text).ok()?;
    let mut lines = text.lines();
    let pid = lines.next()?.trim().parse().ok()?;
    let command = crate::sanitize::one_line(lines.next().unwrap_or(""));
    Some(Holder { pid, command })
}

fn current_command() -> String {
    // The program name and subcommand only: later arguments could be anything the user typed. `args_os`:
    // `args` panics on an argument that is not UTF-8, and this note must never stop a write.
    command_note(std::env::args_os())
}

fn command_note(args: impl Iterator<Item = std::ffi::OsString>) -> String {
    args.take(3).map(|a| a.to_string_lossy().into_owned()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;
    use std::os::unix::fs::symlink;

    #[test]
    fn proc_locks_lines() {
        let text = "1: POSIX  ADVISORY  WRITE 10 08:01:77 0 EOF\n\
                    2: FLOCK  ADVISORY  WRITE 4242 08:01:77 0 EOF\n\
                    2: -> FLOCK  ADVISORY  WRITE 4343 08:01:77 0 EOF\n";
        assert_eq!(holder_in_proc_locks(text, "08:01:77"), Some(4242));
        assert_eq!(holder_in_proc_locks(text, "08:01:78"), None);
    }

    /// Whatever is planted at the lock's path is refused and left byte for byte as it was.
    #[test]
    fn anything_but_our_own_regular_lock_file_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let victim = d.join("victim");
        std::fs::write(&victim, "precious\n").unwrap();
        let lock = d.join("config.json.lock");
        let refused = |what: &str| {
            let err = acquire(&lock, Duration::from_millis(50)).unwrap_err();
            assert!(matches!(err, LockError::Refused { .. }), "{what}: {err}");
            assert!(err.to_string().contains("config.json.lock"), "{what}: {err}");
            assert_eq!(std::fs::read(&victim).unwrap(), b"precious\n", "{what}");
            std::fs::remove_file(&lock).or_else(|_| std::fs::remove_dir(&lock)).unwrap();
        };
        symlink(&victim, &lock).unwrap();
        refused("a link to a file of ours");
        symlink(d.join("nowhere"), &lock).unwrap();
        refused("a dangling link");
        assert!(!d.join("nowhere").exists(), "a dangling link's target is not created");
        std::fs::hard_link(&victim, &lock).unwrap();
        refused("a hard link");
        std::fs::create_dir(&lock).unwrap();
        refused("a directory");
    }

    #[test]
    fn an_existing_lock_file_is_used_but_never_written() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("config.json.lock");
        std::fs::write(&lock, "1\nsomeone else\n").unwrap();
        let guard = acquire(&lock, Duration::from_secs(1)).unwrap();
        assert_eq!(std::fs::read(&lock).unwrap(), b"1\nsomeone else\n");
        // The stale note does not mislead a waiter: the kernel says who holds it.
        let err = acquire(&lock, Duration::from_millis(30)).unwrap_err();
        match &err {
            LockError::Timeout { holder: Some(h), .. } => assert_eq!(h.pid, std::process::id()),
            other => panic!("unexpected {other:?}"),
        }
        drop(guard);
    }

    #[test]
    fn existing_lock_file_rules() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "").unwrap();
        let meta = std::fs::metadata(&file).unwrap();
        let me = meta.uid();
        assert_eq!(check_existing(&meta, me), Ok(()));
        let other = if me == 0 { 65534 } else { me + 1 };
        match check_existing(&meta, other) {
            Ok(()) => assert_eq!(me, 0, "only root's files are taken from another user"),
            Err(reason) => assert!(reason.contains(&format!("belongs to uid {me}")), "{reason}"),
        }
        let dir_meta = std::fs::metadata(dir.path()).unwrap();
        assert_eq!(check_existing(&dir_meta, me).unwrap_err(), "it is a directory, not a regular file");
    }

    #[test]
    fn second_taker_times_out_and_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json.lock");
        let first = acquire(&path, Duration::from_secs(1)).unwrap();
        let err = acquire(&path, Duration::from_millis(60)).unwrap_err();
        match &err {
            LockError::Timeout { holder: Some(h), .. } => assert_eq!(h.pid, std::process::id()),
            other => panic!("unexpected {other:?}"),
        }
        assert!(err.to_string().contains("config.json.lock"), "{err}");
        drop(first);
        acquire(&path, Duration::from_millis(60)).expect("free after the holder is gone");
    }

    #[test]
    fn a_non_utf8_argument_is_noted_lossily() {
        use std::os::unix::ffi::OsStringExt;
        let args =
            ["regauth", "helpers"].map(Into::into).into_iter().chain([OsString::from_vec(b"\xffx".to_vec())]);
        assert_eq!(command_note(args.chain(["secret-arg".into()])), "regauth helpers \u{fffd}x");
    }

    #[test]
    fn lock_path_is_beside_the_target() {
        assert_eq!(lock_path_for(Path::new("/a/config.json")), Path::new("/a/config.json.lock"));
    }
}
