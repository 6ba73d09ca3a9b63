//! config.json edits through the real `regauth` binary: lossless, locked against concurrent writers,
//! atomic under SIGKILL, and never applied to a file that does not parse.

mod support;

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn regauth(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_regauth"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap()
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
            Command::new(env!("CARGO_BIN_EXE_regauth"))
                .arg("--config")
                .arg(&path)
                .args([
                    "helpers",
                    "set",
                    &format!("helper-{i}"),
                    "--registry",
                    &format!("reg-{i}.example:5000"),
                ])
                .env("PATH", "/usr/bin:/bin")
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

/// SIGKILL a writer at pseudo-random moments in 500 writes: the file always parses and no entry is half
/// written. A large unknown field makes each write take long enough to be interrupted mid-way.
#[test]
fn sigkill_during_writes_never_leaves_a_broken_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    let padding = "p".repeat(1 << 20);
    fs::write(&path, format!("{{\"padding\": \"{padding}\", \"credHelpers\": {{}}}}")).unwrap();
    let writer = |i: u32| {
        Command::new(env!("CARGO_BIN_EXE_regauth"))
            .arg("--config")
            .arg(&path)
            .args(["helpers", "set", &format!("helper-{i}"), "--registry", &format!("reg-{i}.example")])
            .env("PATH", "/usr/bin:/bin")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    // Kill moments spread over a whole write's lifetime on this machine, measured, plus a margin.
    let started = std::time::Instant::now();
    assert!(writer(1000).wait().unwrap().success());
    let lifetime = started.elapsed().as_micros() as u64 * 6 / 5 + 1;
    let mut seed: u64 = 0x5eed_1234_abcd;
    let mut killed = 0;
    for i in 0..500 {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let delay = Duration::from_micros((seed >> 33) % lifetime);
        let mut child = writer(i);
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
        let doc: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap())
            .unwrap_or_else(|e| panic!("config broken after kill {i}: {e}"));
        assert_eq!(doc["padding"].as_str().map(str::len), Some(padding.len()), "padding cut after kill {i}");
        for (key, value) in doc["credHelpers"].as_object().unwrap() {
            let n = key.trim_start_matches("reg-").trim_end_matches(".example");
            assert_eq!(value, &format!("helper-{n}"), "half-written entry after kill {i}");
        }
    }
    let survivors = parse(&path)["credHelpers"].as_object().unwrap().len();
    eprintln!("500 writers over {lifetime} µs: {killed} killed while running, {survivors} entries written");
    let temps = fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("tmp"));
    assert!(temps.count() <= 1, "dead writers' temp files pile up");
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

    let fresh = dir.path().join("new").join("config.json");
    assert!(regauth(&fresh, &["helpers", "set", "pass"]).status.success());
    assert_eq!(fs::metadata(&fresh).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn a_held_lock_times_out_naming_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    fs::write(&path, "{}").unwrap();
    let _held =
        regauth_core::lock::acquire(&dir.path().join("config.json.lock"), Duration::from_secs(1)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_regauth"))
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
