//! Reading a config file, and the one safe way to change it.
//!
//! `update`: walk to the file's directory ([`crate::safepath`]: links followed only by the rule, the
//! directory held open), take `<file>.lock`, re-read under the lock, apply the edit, write a temp file
//! beside the target, fsync, rename over it, fsync the directory, all relative to that directory. A file that does not parse is never
//! written; a failed write leaves the old file intact; the old file's mode and owner carry over, a new file
//! is 0600.

use super::{ConfigError, Document};
use crate::fsread;
use crate::lock::{self, LockGuard};
use crate::safepath::{Place, Walk};
use rustix::fs::{AtFlags, Mode, OFlags};
use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

/// Read and parse `path`. A missing file is `Ok(None)`.
///
/// Links in the path are followed only when they are the caller's, root's, or owned by whoever owns the
/// file they lead to (`fsread::Resolved::foreign_link`); the file must be a regular file of at most
/// [`fsread::CONFIG_LIMIT`] bytes.
pub fn load(path: &Path, legacy: bool) -> Result<Option<Document>, ConfigError> {
    match fsread::read_followed(path, fsread::CONFIG_LIMIT, fsread::effective_uid()) {
        Ok((_, contents)) => parse(&contents.bytes, path, legacy).map(Some),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn parse(bytes: &[u8], path: &Path, legacy: bool) -> Result<Document, ConfigError> {
    if legacy {
        Document::parse_legacy(bytes, path)
    } else {
        Document::parse(bytes, path)
    }
}

/// Apply `edit` to the file at `path` under its lock and write the result atomically.
///
/// `edit` returns whatever the caller wants back; when it fails, nothing is written.
pub fn update<T>(
    path: &Path,
    timeout: Duration,
    edit: impl FnOnce(&mut Document) -> Result<T, ConfigError>,
) -> Result<T, ConfigError> {
    update_with(path, timeout, false, edit)
}

/// [`update`] for an edit that takes a while (it runs credential helpers under the lock): before writing,
/// the file is read again, and when a writer that does not take the lock (the Docker CLI, podman) changed
/// it meanwhile, nothing is written ([`ConfigError::Changed`]) so that its change is not lost.
pub fn update_checked<T>(
    path: &Path,
    timeout: Duration,
    edit: impl FnOnce(&mut Document) -> Result<T, ConfigError>,
) -> Result<T, ConfigError> {
    update_with(path, timeout, true, edit)
}

fn update_with<T>(
    path: &Path,
    timeout: Duration,
    recheck: bool,
    edit: impl FnOnce(&mut Document) -> Result<T, ConfigError>,
) -> Result<T, ConfigError> {
    // The file really written is where the links lead, unless the rule refuses one of them; from here on
    // everything happens relative to the directory reached, so a component swapped later changes nothing.
    let how = Walk { caller: fsread::effective_uid(), follow_last: true, make_dirs: true };
    let place = Place::walk(path, how)?;
    // Before any lock file is made beside it: a link to /dev/zero must not leave /dev/zero.lock behind.
    place.refuse_non_regular().map_err(|e| e.via(path, place.real()))?;
    let target = place.real().to_owned();
    let guard = lock::acquire_beside(&place, timeout)?;
    remove_stale_temp_files(&guard, &place);
    // Re-read under the lock, without following a link swapped in since: a regular file or nothing.
    let existing = match place.read_regular(fsread::CONFIG_LIMIT) {
        Ok(contents) => Some(contents),
        Err(e) if e.is_not_found() => None,
        Err(e) => return Err(e.into()),
    };
    let mut doc = match &existing {
        Some(contents) => parse(&contents.bytes, &target, false)?,
        None => Document::default(),
    };
    if !doc.duplicate_keys().is_empty() {
        return Err(ConfigError::DuplicateKeys { path: target, keys: doc.duplicate_keys().to_vec() });
    }
    let result = edit(&mut doc)?;
    if recheck {
        let now = match place.read_regular(fsread::CONFIG_LIMIT) {
            Ok(contents) => Some(contents.bytes),
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(e.into()),
        };
        if now.as_deref() != existing.as_ref().map(|c| c.bytes.as_slice()) {
            return Err(ConfigError::Changed { path: target });
        }
    }
    write_file_atomically(&guard, &place, &doc.to_bytes(), existing.as_ref().map(|c| &c.meta))
        .map_err(|source| ConfigError::Write { path: target, source })?;
    Ok(result)
}

const TEMP_MARK: &str = ".regauth-tmp-";

fn temp_prefix(name: &OsStr) -> String {
    format!(".{}{TEMP_MARK}", name.to_string_lossy())
}

/// Temp files are only made under the lock, so any found while holding it belong to a writer that died.
pub(crate) fn remove_stale_temp_files(_guard: &LockGuard, target: &Place) {
    let prefix = temp_prefix(target.name());
    let Ok(mut entries) = target.open_dir().and_then(|fd| Ok(rustix::fs::Dir::new(fd)?)) else {
        return;
    };
    while let Some(Ok(entry)) = entries.read() {
        if entry.file_name().to_bytes().starts_with(prefix.as_bytes()) {
            let _ = rustix::fs::unlinkat(target.dir(), entry.file_name(), AtFlags::empty());
        }
    }
}

/// The one atomic write of core (config files, the token cache): under `target`'s lock, a temp file in
/// `target`'s directory (by descriptor) created `O_EXCL|O_NOFOLLOW` (0600, or `previous`'s mode and owner),
/// written, fsynced, renamed over `target` with `renameat`, and the directory fsynced. A failure removes the
/// temp file and leaves `target` as it was.
pub(crate) fn write_file_atomically(
    _guard: &LockGuard,
    target: &Place,
    bytes: &[u8],
    previous: Option<&fs::Metadata>,
) -> std::io::Result<()> {
    let dir = target.dir();
    let temp = format!("{}{}", temp_prefix(target.name()), std::process::id());
    let written = (|| -> std::io::Result<()> {
        // O_EXCL and O_NOFOLLOW: a file or link planted under this name is never written through; the
        // write fails and the target stays as it was.
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let mut file = File::from(rustix::fs::openat(dir, &temp, flags, Mode::from_raw_mode(0o600))?);
        if let Some(meta) = previous {
            keep_owner_and_mode(&file, meta)?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        rustix::fs::renameat(dir, &temp, dir, target.name())?;
        Ok(rustix::fs::fsync(target.open_dir()?)?)
    })();
    if written.is_err() {
        let _ = rustix::fs::unlinkat(dir, &temp, AtFlags::empty());
    }
    written
}

fn keep_owner_and_mode(file: &File, meta: &fs::Metadata) -> std::io::Result<()> {
    // The temp file was just created, so it belongs to our effective uid: only root can give it to
    // another owner, and only root needs to (a user's file is already the user's).
    let running_as_root = file.metadata()?.uid() == 0;
    if running_as_root && (meta.uid() != 0 || meta.gid() != 0) {
        std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()))?;
    }
    file.set_permissions(fs::Permissions::from_mode(meta.mode() & 0o7777))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fsread::FileError;
    use std::os::unix::fs::symlink;

    const T: Duration = Duration::from_secs(5);

    #[test]
    fn new_file_is_0600_with_tab_indent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("config.json");
        update(&path, T, |doc| {
            doc.set_creds_store(Some("regauth-keyutils"));
            Ok(())
        })
        .unwrap();
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        assert_eq!(fs::read_to_string(&path).unwrap(), "{\n\t\"credsStore\": \"regauth-keyutils\"\n}");
    }

    #[test]
    fn update_checked_leaves_a_file_changed_during_the_edit_as_the_other_writer_left_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        fs::write(&path, "{\"a\": 1}").unwrap();
        let err = update_checked(&path, T, |doc| {
            fs::write(&path, "{\"b\": 2}").unwrap(); // a writer that ignores the lock
            Ok(doc.set_creds_store(Some("x")))
        })
        .unwrap_err();
        assert!(matches!(err, ConfigError::Changed { .. }), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "{\"b\": 2}");
        update_checked(&path, T, |doc| Ok(doc.set_creds_store(Some("x")))).unwrap();
        assert!(fs::read_to_string(&path).unwrap().contains("\"credsStore\": \"x\""));
    }

    #[test]
    fn existing_mode_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        fs::write(&path, "{}").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        update(&path, T, |doc| Ok(doc.set_cred_helper("h", "x"))).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o644);
    }

    #[test]
    fn symlink_stays_a_symlink_and_target_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real").join("config.json");
        fs::create_dir_all(real.parent().unwrap()).unwrap();
        fs::write(&real, "{\"a\": 1}").unwrap();
        let link = dir.path().join("config.json");
        symlink("real/config.json", &link).unwrap();
        update(&link, T, |doc| Ok(doc.set_cred_helper("h", "x"))).unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert!(fs::read_to_string(&real).unwrap().contains("\"h\": \"x\""));
        // A dangling link gets its target created.
        let dangling = dir.path().join("d.json");
        symlink("made/by-update.json", &dangling).unwrap();
        fs::create_dir_all(dir.path().join("made")).unwrap();
        update(&dangling, T, |doc| Ok(doc.set_creds_store(Some("x")))).unwrap();
        assert!(fs::symlink_metadata(&dangling).unwrap().file_type().is_symlink());
        assert!(dir.path().join("made/by-update.json").is_file());
    }

    #[test]
    fn malformed_file_is_never_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let damaged = b"{\"auths\": {\"h\": {\"auth\": \"x\"}},, }";
        fs::write(&path, damaged).unwrap();
        let mut called = false;
        let err = update(&path, T, |doc| {
            called = true;
            Ok(doc.set_creds_store(Some("x")))
        })
        .unwrap_err();
        assert!(!called);
        assert!(err.to_string().contains(":1:"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), damaged);
    }

    #[test]
    fn failing_edit_writes_nothing_and_stale_temps_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        fs::write(&path, "{\"keep\": true}").unwrap();
        fs::write(dir.path().join(".config.json.regauth-tmp-99999"), "half").unwrap();
        let err =
            update(&path, T, |_| -> Result<(), _> { Err(ConfigError::Invalid("no".into())) }).unwrap_err();
        assert_eq!(err.to_string(), "no");
        assert_eq!(fs::read_to_string(&path).unwrap(), "{\"keep\": true}");
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains(TEMP_MARK))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn a_file_with_duplicate_keys_is_never_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let text = "{\"credsStore\": \"a\", \"credsStore\": \"b\"}";
        fs::write(&path, text).unwrap();
        let err = update(&path, T, |doc| Ok(doc.set_cred_helper("h", "x"))).unwrap_err();
        assert!(matches!(err, ConfigError::DuplicateKeys { .. }), "{err}");
        assert!(err.to_string().contains("\"credsStore\" appears twice"), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), text);
    }

    /// A link planted under the temp file's name is never written through: under the lock it is removed as
    /// a stale temp file, and a link planted after that makes the write fail.
    #[test]
    fn a_planted_temp_file_link_is_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let victim = dir.path().join("victim");
        fs::write(&path, "{}").unwrap();
        fs::write(&victim, "precious").unwrap();
        let temp = dir.path().join(format!("{}{}", temp_prefix("config.json".as_ref()), std::process::id()));
        symlink(&victim, &temp).unwrap();
        let place = Place::walk(&path, Walk::entry(fsread::effective_uid())).unwrap();
        let guard = lock::acquire_beside(&place, T).unwrap();
        let err = write_file_atomically(&guard, &place, b"{\"x\": 1}", None).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EEXIST), "{err}");
        drop(guard);
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert_eq!(fs::read(&path).unwrap(), b"{}");
        // Through `update`, the planted link is cleared first and the edit goes to the target only.
        update(&path, T, |doc| Ok(doc.set_creds_store(Some("x")))).unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(fs::read_to_string(&path).unwrap().contains("credsStore"));
        assert!(fs::symlink_metadata(&temp).is_err(), "the planted link was removed");
    }

    #[test]
    fn directory_in_place_of_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        fs::create_dir(&path).unwrap();
        let err = update(&path, T, |_| Ok(())).unwrap_err();
        assert!(matches!(err, ConfigError::File(FileError::NotRegular { .. })), "{err}");
    }
}
