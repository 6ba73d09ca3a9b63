//! Reading a config file, and the one safe way to change it.
//!
//! `update`: resolve symlinks, take `<file>.lock`, re-read under the lock, apply the edit, write a temp
//! file beside the target, fsync, rename over it, fsync the directory. A file that does not parse is never
//! written; a failed write leaves the old file intact; the old file's mode and owner carry over, a new file
//! is 0600.

use super::{ConfigError, Document};
use crate::lock::{self, LockGuard};
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Read and parse `path`. A missing file is `Ok(None)`.
pub fn load(path: &Path, legacy: bool) -> Result<Option<Document>, ConfigError> {
    match fs::read(path) {
        Ok(bytes) => {
            let doc =
                if legacy { Document::parse_legacy(&bytes, path) } else { Document::parse(&bytes, path) };
            doc.map(Some)
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) if e.kind() == ErrorKind::IsADirectory => Err(ConfigError::NotAFile { path: path.to_owned() }),
        Err(source) => Err(ConfigError::Read { path: path.to_owned(), source }),
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
    let target = resolve_symlinks(path)?;
    let dir = parent_dir(&target);
    if !dir.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|source| ConfigError::Write { path: dir.clone(), source })?;
    }
    let guard = lock::acquire(&lock::lock_path_for(&target), timeout)?;
    remove_stale_temp_files(&guard, &target);
    let previous = match fs::metadata(&target) {
        Ok(meta) if !meta.is_file() => return Err(ConfigError::NotAFile { path: target }),
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(source) => return Err(ConfigError::Read { path: target, source }),
    };
    let mut doc = load(&target, false)?.unwrap_or_default();
    if !doc.duplicate_keys().is_empty() {
        return Err(ConfigError::DuplicateKeys { path: target, keys: doc.duplicate_keys().to_vec() });
    }
    let result = edit(&mut doc)?;
    write_atomically(&guard, &target, &doc.to_bytes(), previous.as_ref())?;
    Ok(result)
}

fn parent_dir(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Follow symlinks to the file that is really written, even when the last link dangles.
fn resolve_symlinks(path: &Path) -> Result<PathBuf, ConfigError> {
    let mut current = path.to_owned();
    for _ in 0..40 {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&current)
                    .map_err(|source| ConfigError::Read { path: current.clone(), source })?;
                current = if link.is_absolute() { link } else { parent_dir(&current).join(link) };
            }
            _ => return Ok(current),
        }
    }
    Err(ConfigError::SymlinkLoop { path: path.to_owned() })
}

const TEMP_MARK: &str = ".regauth-tmp-";

fn temp_prefix(target: &Path) -> String {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    format!(".{name}{TEMP_MARK}")
}

/// Temp files are only made under the lock, so any found while holding it belong to a writer that died.
fn remove_stale_temp_files(_guard: &LockGuard, target: &Path) {
    let prefix = temp_prefix(target);
    let Ok(entries) = fs::read_dir(parent_dir(target)) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn write_atomically(
    _guard: &LockGuard,
    target: &Path,
    bytes: &[u8],
    previous: Option<&fs::Metadata>,
) -> Result<(), ConfigError> {
    let dir = parent_dir(target);
    let temp = dir.join(format!("{}{}", temp_prefix(target), std::process::id()));
    let fail = |source| ConfigError::Write { path: target.to_owned(), source };
    let written = (|| -> std::io::Result<()> {
        let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temp)?;
        if let Some(meta) = previous {
            keep_owner_and_mode(&file, meta)?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, target)?;
        File::open(&dir)?.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(fail(e));
    }
    Ok(())
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

    #[test]
    fn directory_in_place_of_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        fs::create_dir(&path).unwrap();
        assert!(matches!(update(&path, T, |_| Ok(())), Err(ConfigError::NotAFile { .. })));
    }
}
