//! config.json edits through the real `regauth` binary: lossless, locked against concurrent writers,
//! atomic under SIGKILL, and never applied to a file that does not parse.

mod support;

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// regauth with a cleared environment: `home` as HOME, and a PATH without our or the developer's helpers.
fn regauth_in(home: &Path) -> Command {
    let mut command = support::command::regauth();
    command.env("HOME", home).env("PATH", "/usr/bin:/bin");
    command
}

fn regauth(config: &Path, args: &[&str]) -> Output {
    regauth_in(config.parent().unwrap()).arg("--config").arg(config).args(args).output().unwrap()
}

fn parse(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

/// A config with fields regauth does not know, at the top level and inside `auths` entries, in an order
/// that is not alphabetical.
const FOREIGN: &str = r#"{
	"zeta": {"nested": [3, 1.50, null, "x"], "k": true},
	"auths": {
		"quay.io": {"auth": "dTpw", "email": "e@x", "x-vendor": {"a": 1}},
		"https://index.docker.io/v1/": {"auth": "aHViOnB3", "zz": 1, "aa": 2}
	},
	"HttpHeaders": {"User-Agent": "x"},
	"credHelpers": {"gcr.io": "gcloud"},
	"big": 123456789012345678901234567890,
	"alpha": "last"
}"#;

#[test]
fn every_edit_keeps_everything_it_did_not_touch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    fs::write(&path, FOREIGN).unwrap();
    let before = parse(&path);
    let edits: &[&[&str]] = &[
        &["helpers", "set", "regauth-keyutils", "--registry", "127.0.0.1:5000"],
        &["helpers", "set", "pass"],
        &["helpers", "unset", "--registry", "127.0.0.1:5000"],
        &["helpers", "unset"],
    ];
    for args in edits {
        let out = regauth(&path, args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let after = parse(&path);
        let (b, a) = (before.as_object().unwrap(), after.as_object().unwrap());
        // Every untouched top-level field is equal and in the same order.
        let untouched = |m: &serde_json::Map<String, serde_json::Value>| -> Vec<(String, String)> {
            m.iter()
                .filter(|(k, _)| *k != "credHelpers" && *k != "credsStore")
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect()
        };
        assert_eq!(untouched(a), untouched(b), "after {args:?}");
        assert_eq!(a["credHelpers"]["gcr.io"], "gcloud", "after {args:?}");
    }
    // After set + unset of everything, the file is the original content (tab-indented like docker).
    assert_eq!(parse(&path), before);
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains("\n\t\"zeta\""), "{text}");
    assert!(text.contains("123456789012345678901234567890"), "big numbers keep every digit");
    assert!(text.contains("1.50"), "numbers keep their spelling");
}

#[test]
fn sixty_four_concurrent_writers_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    fs::write(&path, FOREIGN).unwrap();
    let children: Vec<_> = (0..64)
        .map(|i| {
            regauth_in(dir.path())
                .arg("--config")
                .arg(&path)
                .args([
                    "helpers",
                    "set",
                    &format!("helper-{i}"),
                    "--registry",
                    &format!("reg-{i}.example:5000"),
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let doc = parse(&path);
    let helpers = doc["credHelpers"].as_object().unwrap();
    for i in 0..64 {
        assert_eq!(helpers[&format!("reg-{i}.example:5000")], format!("helper-{i}"), "entry {i}");
    }
    assert_eq!(helpers.len(), 65, "64 new entries plus gcr.io");
    assert_eq!(doc["zeta"]["k"], true);
}

/// Where a writer was when it was frozen (SIGSTOP, then waited for), before the SIGKILL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Moment {
    /// Its temp file exists: it is between creating the temp file and renaming it over the config.
    MidWrite,
    /// Alive without a temp file: not started writing (or already renamed, before exiting).
    Elsewhere,
    /// It had already exited.
    Finished,
}

/// SIGKILL writers at pseudo-random moments over a write's lifetime, then at the moment their temp file
/// exists; each is frozen first so where the kill lands is observed, not guessed. After every kill the
/// config is the old document byte for byte or the new one complete, a kill mid-write always leaves the old
/// one, and enough kills are proven to have landed mid-write. A large unknown field makes each write long.
#[test]
fn sigkill_during_writes_never_leaves_a_broken_file() {
    const RANDOM_KILLS: u32 = 500;
    const MID_WRITE_KILLS: usize = 50;
    const MAX_AIMED_KILLS: u32 = 2000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    let padding = "p".repeat(1 << 20);
    fs::write(&path, format!("{{\"padding\": \"{padding}\", \"credHelpers\": {{}}}}")).unwrap();
    let temp_of = |pid: u32| dir.path().join(format!(".config.json.regauth-tmp-{pid}"));
    let writer = |i: u32| {
        regauth_in(dir.path())
            .arg("--config")
            .arg(&path)
            .args(["helpers", "set", &format!("helper-{i}"), "--registry", &format!("reg-{i}.example")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    // One kill: start writer `i`, let `wait` decide when, freeze it, see where it is, kill it, check the file.
    let kill_one = |i: u32, wait: &dyn Fn(&mut std::process::Child)| -> Moment {
        let old = fs::read(&path).unwrap();
        let mut new: serde_json::Value = serde_json::from_slice(&old).unwrap();
        new["credHelpers"][format!("reg-{i}.example")] = format!("helper-{i}").into();
        let mut child = writer(i);
        wait(&mut child);
        let temp = temp_of(child.id());
        let moment = freeze(&mut child, &temp);
        let _ = child.kill();
        let _ = child.wait();
        let now = fs::read(&path).unwrap();
        if now != old {
            let doc: serde_json::Value = serde_json::from_slice(&now)
                .unwrap_or_else(|e| panic!("config broken after kill {i} ({moment:?}): {e}"));
            assert_eq!(
                doc, new,
                "after kill {i} ({moment:?}) the config is neither the old nor the new document"
            );
            assert_ne!(moment, Moment::MidWrite, "kill {i} mid-write, yet the config changed");
        } else {
            assert_ne!(moment, Moment::Finished, "writer {i} finished without writing");
        }
        moment
    };
    // Moments spread over a whole write's lifetime on this machine, measured, plus a margin.
    let started = std::time::Instant::now();
    assert!(writer(100_000).wait().unwrap().success());
    let lifetime = started.elapsed().as_micros() as u64 * 6 / 5 + 1;
    let mut seed: u64 = 0x5eed_1234_abcd;
    let mut moments = Vec::new();
    for i in 0..RANDOM_KILLS {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let delay = Duration::from_micros((seed >> 33) % lifetime);
        moments.push(kill_one(i, &|_| std::thread::sleep(delay)));
    }
    // Then aimed at the write itself: as soon as the writer's temp file exists.
    let mid_write = |moments: &[Moment]| moments.iter().filter(|m| **m == Moment::MidWrite).count();
    let mut aimed = 0;
    while mid_write(&moments) < MID_WRITE_KILLS && aimed < MAX_AIMED_KILLS {
        let wait_for_temp = |child: &mut std::process::Child| {
            let temp = temp_of(child.id());
            while !temp.exists() && child.try_wait().unwrap().is_none() {
                std::hint::spin_loop();
            }
        };
        moments.push(kill_one(RANDOM_KILLS + aimed, &wait_for_temp));
        aimed += 1;
    }
    let count = |m: Moment| moments.iter().filter(|x| **x == m).count();
    let survivors = parse(&path)["credHelpers"].as_object().unwrap().len();
    eprintln!(
        "{} kills ({aimed} aimed at the temp file, lifetime {lifetime} µs): {} mid-write, {} before or after \
         the write, {} after exit; {survivors} entries written",
        moments.len(),
        count(Moment::MidWrite),
        count(Moment::Elsewhere),
        count(Moment::Finished)
    );
    assert!(
        count(Moment::MidWrite) >= MID_WRITE_KILLS,
        "only {} of {} kills landed while a temp file existed",
        count(Moment::MidWrite),
        moments.len()
    );
    let temps = fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("tmp"));
    assert!(temps.count() <= 1, "dead writers' temp files pile up");
}

/// Stop `child` (SIGSTOP, then wait until it has stopped or exited) and say where it is.
fn freeze(child: &mut std::process::Child, temp: &Path) -> Moment {
    if child.try_wait().unwrap().is_some() {
        return Moment::Finished;
    }
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: kill(2) and waitpid(2) on our own child, with a pointer to a local int.
    let waited = unsafe {
        libc::kill(pid, libc::SIGSTOP);
        libc::waitpid(pid, &mut status, libc::WUNTRACED)
    };
    assert_eq!(waited, pid, "waitpid: {}", std::io::Error::last_os_error());
    if !libc::WIFSTOPPED(status) {
        // Reaped here: std's later wait() finds no child, which the caller ignores.
        return Moment::Finished;
    }
    if temp.exists() {
        Moment::MidWrite
    } else {
        Moment::Elsewhere
    }
}

#[test]
fn malformed_configs_are_reported_and_left_unchanged() {
    let damages: &[(&str, &str)] = &[
        ("truncated", "{\"auths\": {\"h\": {\"auth\": \"dTpw\"}"),
        ("trailing comma", "{\"auths\": {},}"),
        ("missing comma", "{\n\t\"a\": 1\n\t\"b\": 2\n}"),
        ("single quotes", "{'auths': {}}"),
        ("comment", "{\n// docker does not allow this\n}"),
        ("nul byte", "{\"a\": \"\u{0}\"}"),
        ("binary garbage", "\u{1}\u{2}\u{3}"),
        ("two documents", "{} {}"),
        ("array at top", "[{\"auths\": {}}]"),
        ("auths is a list", "{\"auths\": [\"quay.io\"]}"),
        ("credHelpers value not a string", "{\"credHelpers\": {\"gcr.io\": 5}}"),
        ("credsStore not a string", "{\"credsStore\": {\"name\": \"pass\"}}"),
        ("invalid utf-8", "{\"a\": \"\u{fffd}\"}"),
    ];
    for (kind, text) in damages {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let mut bytes = text.as_bytes().to_vec();
        if *kind == "invalid utf-8" {
            bytes = b"{\"a\": \"\xff\xfe\"}".to_vec();
        }
        fs::write(&path, &bytes).unwrap();
        let out = regauth(&path, &["helpers", "set", "pass", "--registry", "ghcr.io"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{kind}: {stderr}");
        assert!(
            stderr.contains(&path.display().to_string()),
            "{kind}: error does not name the file: {stderr}"
        );
        let positioned = stderr.contains(".json:") || stderr.contains("must be");
        assert!(positioned, "{kind}: error gives no position or field: {stderr}");
        assert!(stderr.contains("unchanged"), "{kind}: {stderr}");
        assert_eq!(fs::read(&path).unwrap(), bytes, "{kind}: bytes changed");
        // resolve reports the same problem instead of pretending there is no credential.
        let out = regauth(&path, &["resolve", "ghcr.io/o/a", "--client", "docker"]);
        assert_eq!(out.status.code(), Some(3), "{kind}: resolve");
    }
}

#[test]
fn symlinks_modes_and_new_files() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("dotfiles").join("docker-config.json");
    fs::create_dir_all(real.parent().unwrap()).unwrap();
    fs::write(&real, "{}").unwrap();
    fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join("config.json");
    symlink(&real, &link).unwrap();
    assert!(regauth(&link, &["helpers", "set", "pass"]).status.success());
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link was replaced");
    assert_eq!(parse(&real)["credsStore"], "pass");
    assert_eq!(fs::metadata(&real).unwrap().permissions().mode() & 0o777, 0o640);

    // --config DIR, as docker's: a new config.json in it is 0600 (a missing DIR: tests/config_dir.rs).
    let fresh = dir.path().join("new");
    fs::create_dir(&fresh).unwrap();
    assert!(regauth(&fresh, &["helpers", "set", "pass"]).status.success());
    assert_eq!(fs::metadata(fresh.join("config.json")).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn a_held_lock_times_out_naming_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    fs::write(&path, "{}").unwrap();
    let _held =
        regauth_core::lock::acquire(&dir.path().join("config.json.lock"), Duration::from_secs(1)).unwrap();
    let out = regauth_in(dir.path())
        .args(["--config", path.to_str().unwrap(), "helpers", "set", "pass"])
        .env("REGAUTH_LOCK_TIMEOUT", "0.3")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("config.json.lock"), "{stderr}");
    assert!(stderr.contains(&format!("process {}", std::process::id())), "{stderr}");
    assert!(stderr.contains("after waiting 0.3s"), "the configured timeout is honoured: {stderr}");
    assert_eq!(fs::read_to_string(&path).unwrap(), "{}");
}

#[test]
fn duplicate_keys_are_read_but_never_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    let text = r#"{"auths": {"ghcr.io": {"auth": "Zmlyc3Q6cHc="}, "ghcr.io": {"auth": "bGFzdDpwdw=="}}}"#;
    fs::write(&path, text).unwrap();
    let out = regauth(&path, &["helpers", "set", "pass"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("\"auths\".\"ghcr.io\" appears twice"), "{stderr}");
    assert_eq!(fs::read_to_string(&path).unwrap(), text, "the first copy would have been lost");
    // Reading goes on as clients read it (the last copy wins), with a note.
    let out = regauth(&path, &["resolve", "ghcr.io/o/a", "--client", "docker"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("\"last\""), "{stdout}");
    assert!(stdout.contains("appears twice"), "{stdout}");
}
