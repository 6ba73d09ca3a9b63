//! Links anywhere on a path, as another user plants them: root edits (and reads) a config inside a directory
//! that another user controls while that user swaps a directory of the path for a link to root's own
//! directory, as fast as the kernel allows. No edit may land outside the directory it was meant for, and
//! root's directory must not gain or change a file. Also the rule per component: another user's link is
//! followed only into what that user owns. Root is needed to run the attacker as uid 65534.

mod support;

use regauth_core::config;
use regauth_core::fsread::FileError;
use std::ffi::CString;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{lchown, symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const NOBODY: u32 = 65534;
const EDITS: usize = 1000;
const ROOT_CONFIG: &[u8] = b"{\n\t\"credsStore\": \"root-only-marker\"\n}";
const T: Duration = Duration::from_secs(10);

/// Every entry of `dir`: name, contents, inode and modification time.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>, u64, i64, i64)> {
    let mut all: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            let meta = fs::symlink_metadata(e.path()).unwrap();
            let bytes = if meta.is_file() { fs::read(e.path()).unwrap() } else { Vec::new() };
            (e.file_name().to_string_lossy().into_owned(), bytes, meta.ino(), meta.mtime(), meta.mtime_nsec())
        })
        .collect();
    all.sort();
    all
}

/// A process running as uid/gid 65534 that swaps `a` and `b` (a directory and a link) with
/// `renameat2(RENAME_EXCHANGE)` in a loop, so that the name `a` is the directory or the link and is never
/// missing. Counts its swaps in memory shared with this process. Killed by [`Attacker::stop`], or
/// by the kernel when this process dies.
struct Attacker {
    pid: libc::pid_t,
    swaps: &'static AtomicU64,
}

impl Attacker {
    fn start(a: &Path, b: &Path) -> Attacker {
        let a = CString::new(a.as_os_str().as_bytes()).unwrap();
        let b = CString::new(b.as_os_str().as_bytes()).unwrap();
        // SAFETY: an anonymous shared mapping of one u64, never unmapped (it lives for the test binary).
        let shared = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                8,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(shared, libc::MAP_FAILED);
        // SAFETY: the mapping is 8 bytes, page-aligned and zeroed: a valid AtomicU64.
        let swaps: &'static AtomicU64 = unsafe { &*(shared as *const AtomicU64) };
        // SAFETY: the child calls only async-signal-safe system calls (no allocation, no locks) and ends
        // in _exit; everything it uses was prepared before the fork.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            unsafe {
                if libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setgid(NOBODY) != 0
                    || libc::setuid(NOBODY) != 0
                {
                    libc::_exit(2);
                }
                // After setuid, which clears it: the kernel kills the attacker if this test dies first.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                if libc::getppid() == 1 {
                    libc::_exit(4);
                }
                // The link stays in place for 0 to 15 µs, the directory for 0 to 255 µs: edits mostly
                // start on the directory and meet the link in the middle, the race a check-then-use path
                // loses.
                let mut seed: u32 = 0x9e37_79b9;
                let mut linked = false;
                loop {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    let micros = if linked { seed % 16 } else { seed % 256 };
                    let pause = libc::timespec { tv_sec: 0, tv_nsec: micros as libc::c_long * 1000 };
                    libc::nanosleep(&pause, std::ptr::null_mut());
                    linked = !linked;
                    let r = libc::renameat2(
                        libc::AT_FDCWD,
                        a.as_ptr(),
                        libc::AT_FDCWD,
                        b.as_ptr(),
                        libc::RENAME_EXCHANGE,
                    );
                    if r != 0 {
                        libc::_exit(3);
                    }
                    swaps.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        Attacker { pid, swaps }
    }

    /// Kill it and return how many swaps it made; a child that stopped by itself fails the test.
    fn stop(self) -> u64 {
        let mut status = 0;
        // SAFETY: waitpid/kill on the child this test forked, by its pid.
        unsafe {
            assert_eq!(libc::waitpid(self.pid, &mut status, libc::WNOHANG), 0, "the attacker stopped early");
            libc::kill(self.pid, libc::SIGKILL);
            libc::waitpid(self.pid, &mut status, 0);
        }
        self.swaps.load(Ordering::Relaxed)
    }
}

fn mkdir(path: &Path, uid: u32, mode: u32) {
    fs::create_dir(path).unwrap();
    std::os::unix::fs::chown(path, Some(uid), Some(uid)).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn planted_link(target: &Path, at: &Path, uid: u32) {
    symlink(target, at).unwrap();
    lchown(at, Some(uid), Some(uid)).unwrap();
}

/// Whichever of the two names is the real directory now.
fn real_dir(a: &Path, b: &Path) -> PathBuf {
    [a, b].into_iter().find(|p| fs::symlink_metadata(p).unwrap().is_dir()).unwrap().to_owned()
}

/// A refusal of the attacker's link, as the walk says it.
fn is_refusal(text: &str) -> bool {
    text.contains("is a symbolic link owned by uid 65534") && text.contains("it was not followed")
}

/// The racing attacker of issue 17: root's `config::update` (what `helpers set` runs) and `config::load`
/// 1,000 times each on `<attacker's dir>/docker/config.json` while the attacker swaps `docker` (root's
/// directory, inside the attacker's) with a link to root's own directory. Then 200 edits of
/// cache-helper.json the same way. Every edit either lands in `docker` (counted in the file at the end) or
/// is refused as a foreign link; root's directory is unchanged, file by file.
#[test]
fn a_racing_attacker_never_gets_a_root_edit_outside_its_directory() {
    if !support::need_root("runs an attacker as uid 65534 against root's edits") {
        return;
    }
    let top = tempfile::tempdir().unwrap();
    let t = top.path().canonicalize().unwrap();
    fs::set_permissions(&t, fs::Permissions::from_mode(0o755)).unwrap();
    let root_dir = t.join("root-docker");
    mkdir(&root_dir, 0, 0o755);
    fs::write(root_dir.join("config.json"), ROOT_CONFIG).unwrap();
    fs::write(root_dir.join("cache-helper.json"), b"{\"version\":1,\"registries\":{}}\n").unwrap();
    let attackers = t.join("attacker");
    mkdir(&attackers, NOBODY, 0o755);
    let docker = attackers.join("docker");
    mkdir(&docker, 0, 0o700);
    let swap = attackers.join("swap");
    planted_link(&root_dir, &swap, NOBODY);
    let before = snapshot(&root_dir);

    let attacker = Attacker::start(&docker, &swap);
    let config_path = docker.join("config.json");
    let (mut landed, mut refused, mut reads_refused) = (0, 0, 0);
    let started = Instant::now();
    for i in 0..EDITS {
        let key = format!("r{i}.example");
        match config::update(&config_path, T, |doc| Ok(doc.set_cred_helper(&key, "pass"))) {
            Ok(_) => landed += 1,
            Err(e) => {
                assert!(is_refusal(&e.to_string()), "edit {i}: {e}");
                refused += 1;
            }
        }
        match config::load(&config_path, false) {
            Ok(Some(doc)) => assert_ne!(doc.creds_store(), Some("root-only-marker"), "read {i} read root's"),
            Ok(None) => {}
            Err(e) => {
                assert!(is_refusal(&e.to_string()), "read {i}: {e}");
                reads_refused += 1;
            }
        }
    }
    let edits_took = started.elapsed();
    let helper_path = docker.join("cache-helper.json");
    let (mut helper_landed, mut helper_refused) = (0, 0);
    for i in 0..200 {
        let wrapped =
            regauth_core::cache_helper::Wrapped { inner: "pass".into(), ttl_seconds: 60, timeout_seconds: 5 };
        match regauth_core::cache_helper::update(&helper_path, T, |w| {
            w.registries.insert(format!("h{i}.example"), wrapped);
            Ok(())
        }) {
            Ok(()) => helper_landed += 1,
            Err(e) => {
                // Its directory is checked first: met as the link itself, it is no directory of ours.
                let not_a_dir = e.contains("is a symbolic link, not a directory");
                assert!(is_refusal(&e) || not_a_dir, "cache-helper edit {i}: {e}");
                helper_refused += 1;
            }
        }
    }
    let swaps = attacker.stop();
    eprintln!(
        "{EDITS} config edits in {edits_took:?}: {landed} landed, {refused} refused; {reads_refused} of {EDITS} \
         reads refused; cache-helper.json: {helper_landed} landed, {helper_refused} refused; {swaps} swaps"
    );

    assert_eq!(snapshot(&root_dir), before, "root's directory gained or changed a file");
    let mine = real_dir(&docker, &swap);
    let written = config::load(&mine.join("config.json"), false).unwrap().unwrap();
    assert_eq!(written.cred_helpers().len(), landed, "every edit that landed is in the right file");
    let helper = regauth_core::cache_helper::load(&mine.join("cache-helper.json")).unwrap();
    assert_eq!(helper.registries.len(), helper_landed);
    // The race was real: the attacker swapped throughout, and some edits met the link.
    assert!(swaps > EDITS as u64, "{swaps} swaps");
    assert!(refused > 0 && landed > 0, "landed {landed}, refused {refused}");
}

/// The rule at every component: another user's link is followed only into a directory and a file that
/// user owns; a link of theirs to root's directory, to their directory holding root's file, or to nothing
/// is refused, and nothing is made below it. Root's own links are followed.
#[test]
fn another_users_link_is_followed_only_into_what_that_user_owns() {
    if !support::need_root("gives links to another user") {
        return;
    }
    let top = tempfile::tempdir().unwrap();
    let t = top.path().canonicalize().unwrap();
    let root_dir = t.join("root");
    mkdir(&root_dir, 0, 0o755);
    fs::write(root_dir.join("config.json"), ROOT_CONFIG).unwrap();
    let theirs = t.join("theirs");
    mkdir(&theirs, NOBODY, 0o755);
    let their_config = theirs.join("config.json");
    fs::write(&their_config, "{}").unwrap();
    std::os::unix::fs::chown(&their_config, Some(NOBODY), Some(NOBODY)).unwrap();
    let mixed = t.join("mixed");
    mkdir(&mixed, NOBODY, 0o755);
    fs::write(mixed.join("config.json"), ROOT_CONFIG).unwrap();
    planted_link(&root_dir, &t.join("to-root"), NOBODY);
    planted_link(&theirs, &t.join("to-theirs"), NOBODY);
    planted_link(&mixed, &t.join("to-mixed"), NOBODY);
    planted_link(&t.join("nowhere/deeper"), &t.join("to-nowhere"), NOBODY);
    symlink(&root_dir, t.join("roots-own")).unwrap();
    let before = snapshot(&root_dir);

    let edit =
        |dir: &str| {
            config::update(&t.join(dir).join("config.json"), T, |doc| {
                Ok(doc.set_cred_helper("x.example", "pass"))
            })
        };
    for refused in ["to-root", "to-mixed", "to-nowhere"] {
        let err = edit(refused).unwrap_err();
        assert!(is_refusal(&err.to_string()), "{refused}: {err}");
        let err = config::load(&t.join(refused).join("config.json"), false).unwrap_err();
        assert!(matches!(err, config::ConfigError::File(FileError::ForeignLink { .. })), "{refused}: {err}");
        let err =
            regauth_core::fsread::read_regular(&t.join(refused).join("config.json"), 1 << 20).unwrap_err();
        assert!(matches!(err, FileError::ForeignLink { .. }), "{refused}: {err}");
    }
    assert!(!t.join("nowhere").exists(), "nothing is made below another user's link");
    assert_eq!(snapshot(&root_dir), before);
    assert_eq!(fs::read(mixed.join("config.json")).unwrap(), ROOT_CONFIG);
    // Into their own directory and file: followed, as before.
    edit("to-theirs").unwrap();
    assert!(fs::read_to_string(&their_config).unwrap().contains("x.example"));
    assert_eq!(fs::metadata(&their_config).unwrap().uid(), NOBODY, "their file stays theirs");
    // Root's own link to root's directory: followed.
    edit("roots-own").unwrap();
    assert!(fs::read_to_string(root_dir.join("config.json")).unwrap().contains("x.example"));
}
