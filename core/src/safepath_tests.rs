//! The walk as the caller's own links see it; the rule for other users' links, and the racing attacker, are
//! in tests/path_race.rs (they need root to make another user's links).

use super::*;
use crate::config::write::write_file_atomically;
use crate::fsread::{effective_uid, FileError};
use crate::lock;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::time::Duration;

fn dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().canonicalize().unwrap();
    (dir, d)
}

#[test]
fn own_links_are_followed_anywhere_on_the_path_and_noted() {
    let (_t, d) = dir();
    std::fs::create_dir_all(d.join("real/sub")).unwrap();
    std::fs::write(d.join("real/sub/config.json"), "{}").unwrap();
    symlink("real", d.join("dirlink")).unwrap();
    symlink(d.join("dirlink/sub"), d.join("abs")).unwrap();
    symlink("../dirlink/sub/config.json", d.join("real/file-link")).unwrap();
    let me = effective_uid();
    let place = Place::walk(&d.join("real/file-link"), Walk::follow(me)).unwrap();
    assert_eq!(place.real(), d.join("real/sub/config.json"));
    assert_eq!(place.name(), "config.json");
    let links: Vec<_> = place.links().iter().map(|l| l.path.clone()).collect();
    assert_eq!(links, [d.join("real/file-link"), d.join("dirlink")]);
    assert_eq!(place.read_regular(10).unwrap().bytes, b"{}");
    // An absolute link to a path with a link in it, and `..` after a link (the real parent, as the kernel).
    let place = Place::walk(&d.join("abs/../sub/config.json"), Walk::follow(me)).unwrap();
    assert_eq!(place.real(), d.join("real/sub/config.json"));
    // Not following the last link: the entry is the link, and reading it is refused.
    let place = Place::walk(&d.join("real/file-link"), Walk::entry(me)).unwrap();
    assert!(place.meta().unwrap().file_type().is_symlink());
    assert!(matches!(place.read_regular(10), Err(FileError::Symlink { .. })));
    // No link: said as asked.
    let place = Place::walk(&d.join("real/sub/config.json"), Walk::follow(me)).unwrap();
    assert!(place.links().is_empty());
    assert_eq!(place.real(), d.join("real/sub/config.json"));
}

#[test]
fn loops_end_and_missing_parts_are_made_only_when_asked() {
    let (_t, d) = dir();
    let me = effective_uid();
    symlink("loop-b", d.join("loop-a")).unwrap();
    symlink("loop-a", d.join("loop-b")).unwrap();
    assert!(matches!(Place::walk(&d.join("loop-a/x"), Walk::entry(me)), Err(FileError::Loop { .. })));
    assert!(matches!(Place::walk(&d.join("loop-a"), Walk::follow(me)), Err(FileError::Loop { .. })));
    let deep = d.join("a/b/c/config.json");
    assert!(Place::walk(&deep, Walk::entry(me)).unwrap_err().is_not_found());
    assert!(!d.join("a").exists());
    let place = Place::walk(&deep, Walk { caller: me, follow_last: true, make_dirs: true }).unwrap();
    assert!(place.meta().is_none());
    assert_eq!(std::fs::metadata(d.join("a/b/c")).unwrap().permissions().mode() & 0o777, 0o700);
    // A dangling link of ours to a missing directory: made where it points.
    symlink("made/here", d.join("dangling")).unwrap();
    Place::walk(&d.join("dangling/f"), Walk { caller: me, follow_last: true, make_dirs: true }).unwrap();
    assert!(d.join("made/here").is_dir());
    // A file where a directory should be.
    std::fs::write(d.join("file"), "").unwrap();
    let err = Place::walk(&d.join("file/x"), Walk::entry(me)).unwrap_err();
    assert!(err.to_string().contains("Not a directory"), "{err}");
    // The root directory and a path ending in `..` are directories, not files.
    let err = Place::walk(Path::new("/"), Walk::entry(me)).unwrap_err();
    assert!(matches!(err, FileError::NotRegular { kind: "a directory", .. }), "{err}");
}

/// The point of the walk: once the directory is reached, swapping it for a link (or moving it away)
/// changes nothing about where the lock, the temp file and the rename go.
#[test]
fn a_directory_swapped_after_the_walk_does_not_redirect_the_write() {
    let (_t, d) = dir();
    let me = effective_uid();
    std::fs::create_dir_all(d.join("victim")).unwrap();
    std::fs::write(d.join("victim/config.json"), "victim").unwrap();
    std::fs::create_dir(d.join("mine")).unwrap();
    let place = Place::walk(&d.join("mine/config.json"), Walk::entry(me)).unwrap();
    std::fs::rename(d.join("mine"), d.join("moved")).unwrap();
    symlink(d.join("victim"), d.join("mine")).unwrap();
    let guard = lock::acquire_beside(&place, Duration::from_secs(5)).unwrap();
    write_file_atomically(&guard, &place, b"{}", None).unwrap();
    drop(guard);
    assert_eq!(std::fs::read(d.join("moved/config.json")).unwrap(), b"{}");
    assert!(d.join("moved/config.json.lock").is_file());
    let victim: Vec<_> =
        std::fs::read_dir(d.join("victim")).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(victim, ["config.json"]);
    assert_eq!(std::fs::read(d.join("victim/config.json")).unwrap(), b"victim");
}
