//! Lock files shared by every writer (config files, caches).
//!
//! The lock is an advisory `flock` on `<file>.lock`: the kernel drops it when its holder dies, so a crashed
//! writer never blocks the next one. The holder writes its PID and command into the file, so a waiter that
//! gives up can say who holds it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

/// How long writers wait for each other by default. Edits hold the lock for milliseconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("gave up after waiting {}s for lock {path}{}", timeout.as_secs_f32(), holder_text(holder))]
    Timeout { path: PathBuf, holder: Option<Holder>, timeout: Duration },
    #[error("cannot use lock file {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
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

/// Take the lock at `path`, waiting at most `timeout`.
pub fn acquire(path: &Path, timeout: Duration) -> Result<LockGuard, LockError> {
    let io_err = |source| LockError::Io { path: path.to_owned(), source };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(io_err)?;
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
                        holder: read_holder(&mut file),
                        timeout,
                    });
                }
                thread::sleep(pause.min(timeout - waited));
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(TryLockError::Error(e)) => return Err(io_err(e)),
        }
    }
    // Best effort: the lock works without this record, it only improves the timeout message.
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = write!(file, "{}\n{}\n", std::process::id(), current_command());
    Ok(LockGuard { _file: file, path: path.to_owned() })
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
