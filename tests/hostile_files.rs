//! Files an attacker prepared, through the real `regauth` binary: links planted where regauth writes (the
//! lock file, temp files) or where a root audit reads (another user's home), and config files that are not
//! files (a FIFO, /dev/zero, a directory, a sparse 1 GB file). Each must end promptly in a clear error with
//! exit 3 (local configuration), leave every file byte for byte as it was, and stay within a small address
//! space. Runs as root (as the CI does) so it can give files to another user (uid 65534, nobody). A secret
//! on stdin that never ends is refused at its cap.

mod support;

use std::fs;
use std::os::unix::fs::{lchown, symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// Address space for a spawned regauth: far less than reading a 1 GB file (or /dev/zero) would take.
const MEMORY_LIMIT: u64 = 256 << 20;
const NOBODY: u32 = 65534;
const PRECIOUS: &[u8] = b"root:precious contents, never to be truncated or rewritten\n";

fn regauth_in(home: &Path) -> Command {
    let mut command = support::command::regauth();
    command.env("HOME", home).env("PATH", "/usr/bin:/bin");
    support::command::limit_memory(&mut command, MEMORY_LIMIT);
    command
}

/// Run to the end and return the exit code and all output. A run that has not ended after a minute (a
/// FIFO read that blocks) is killed and fails the test instead of hanging it.
fn run(command: &mut Command) -> (Option<i32>, String) {
    let child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    let out: Output = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            // SAFETY: kill(2) on the process this test started; it has not been waited for yet.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            panic!("regauth did not end: {command:?}");
        }
    };
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

fn helpers_set(config: &Path) -> (Option<i32>, String) {
    run(regauth_in(config.parent().unwrap()).arg("--config").arg(config).args(["helpers", "set", "pass"]))
}

/// A file with `PRECIOUS` in it, owned by `uid`.
fn victim(dir: &Path, name: &str, uid: u32) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, PRECIOUS).unwrap();
    std::os::unix::fs::chown(&path, Some(uid), Some(uid)).unwrap();
    path
}

/// `config.json.lock` planted as a link: to a file of another user, to a file of our own, dangling. Each is
/// refused, `helpers set` fails with exit 3 naming the lock file, and nothing is written anywhere.
#[test]
fn a_planted_lock_file_link_is_refused_and_its_target_untouched() {
    if !support::need_root("gives the link's target to another user") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = d.join("config.json");
    fs::write(&config, "{}").unwrap();
    let lock = d.join("config.json.lock");
    let others = victim(d, "others-file", NOBODY);
    let ours = victim(d, "our-file", 0);
    for (what, target) in
        [("another user's file", &others), ("our own file", &ours), ("nowhere", &d.join("new"))]
    {
        symlink(target, &lock).unwrap();
        let (code, text) = helpers_set(&config);
        assert_eq!(code, Some(3), "{what}: {text}");
        assert!(text.contains("config.json.lock") && text.contains("symbolic link"), "{what}: {text}");
        assert_eq!(fs::read(&config).unwrap(), b"{}", "{what}: config.json unchanged");
        fs::remove_file(&lock).unwrap();
    }
    assert_eq!(fs::read(&others).unwrap(), PRECIOUS);
    assert_eq!(fs::read(&ours).unwrap(), PRECIOUS);
    assert!(!d.join("new").exists(), "a dangling lock link's target is never created");
    // A lock file that is not ours (a regular file of another user, a hard link, a FIFO) is refused too.
    let foreign = victim(d, "config.json.lock", NOBODY);
    let (code, text) = helpers_set(&config);
    assert_eq!(code, Some(3), "{text}");
    assert!(text.contains("belongs to uid 65534"), "{text}");
    assert_eq!(fs::read(&foreign).unwrap(), PRECIOUS);
    fs::remove_file(&foreign).unwrap();
    fs::hard_link(&ours, &lock).unwrap();
    let (code, text) = helpers_set(&config);
    assert_eq!(code, Some(3), "{text}");
    assert!(text.contains("hard links"), "{text}");
    assert_eq!(fs::read(&ours).unwrap(), PRECIOUS);
    fs::remove_file(&lock).unwrap();
    mkfifo(&lock);
    let (code, text) = helpers_set(&config);
    assert_eq!(code, Some(3), "{text}");
    assert!(text.contains("FIFO"), "{text}");
    fs::remove_file(&lock).unwrap();
    // With the lock path clear, the same command works, and an existing lock file of ours is reused
    // without being rewritten.
    let (code, text) = helpers_set(&config);
    assert_eq!(code, Some(0), "{text}");
    let note = fs::read(&lock).unwrap();
    assert_eq!(helpers_set(&config).0, Some(0));
    assert_eq!(fs::read(&lock).unwrap(), note, "an existing lock file is not rewritten");
}

/// Temp files regauth would write are planted as links to a precious file: they are removed as a dead
/// writer's leftovers, never written through, and the edit reaches config.json only.
#[test]
fn planted_temp_file_links_are_never_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = d.join("config.json");
    fs::write(&config, "{}").unwrap();
    let precious = victim(d, "precious", fs::metadata(d).unwrap().uid());
    // regauth's PID is not known in advance: plant the name for a range of PIDs, and a few odd ones.
    let mut planted = Vec::new();
    for suffix in (1..200).map(|n| n.to_string()).chain(["".into(), "x".into()]) {
        let link = d.join(format!(".config.json.regauth-tmp-{suffix}"));
        symlink(&precious, &link).unwrap();
        planted.push(link);
    }
    let (code, text) = helpers_set(&config);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(fs::read(&precious).unwrap(), PRECIOUS);
    assert!(fs::read_to_string(&config).unwrap().contains("\"credsStore\": \"pass\""));
    assert!(planted.iter().all(|l| fs::symlink_metadata(l).is_err()), "the planted links are gone");
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

/// What a config.json can be instead of a small regular file, and the words its error must contain.
fn hostile_configs(dir: &Path) -> Vec<(&'static str, PathBuf, &'static str)> {
    let fifo = dir.join("fifo/config.json");
    fs::create_dir_all(fifo.parent().unwrap()).unwrap();
    mkfifo(&fifo);
    let sparse = dir.join("sparse/config.json");
    fs::create_dir_all(sparse.parent().unwrap()).unwrap();
    fs::File::create(&sparse).unwrap().set_len(1 << 30).unwrap();
    let zero = dir.join("zero/config.json");
    fs::create_dir_all(zero.parent().unwrap()).unwrap();
    symlink("/dev/zero", &zero).unwrap();
    let directory = dir.join("directory/config.json");
    fs::create_dir_all(&directory).unwrap();
    vec![
        ("a FIFO", fifo, "FIFO"),
        ("a sparse 1 GB file", sparse, "larger than 4 MiB"),
        ("a link to /dev/zero", zero, "character device"),
        ("a directory", directory, "directory"),
    ]
}

/// Every command that reads or edits config.json, on each hostile config: a prompt error naming the file,
/// exit 3, within the memory limit, and config.json never replaced.
#[test]
fn configs_that_are_not_small_regular_files_fail_promptly() {
    let dir = tempfile::tempdir().unwrap();
    for (what, config, words) in hostile_configs(dir.path()) {
        let config_dir = config.parent().unwrap().to_owned();
        let before = fs::symlink_metadata(&config).unwrap();
        let commands: [(&str, Command); 3] = [
            // `--config DIR`: a directory named config.json given as `--config` would be taken as the
            // config directory itself.
            ("helpers set", {
                let mut c = regauth_in(&config_dir);
                c.arg("--config").arg(&config_dir).args(["helpers", "set", "pass"]);
                c
            }),
            ("helpers list", {
                let mut c = regauth_in(&config_dir);
                c.arg("--config").arg(&config_dir).args(["helpers", "list"]);
                c
            }),
            ("helpers list through DOCKER_CONFIG", {
                let mut c = regauth_in(&config_dir);
                c.env("DOCKER_CONFIG", &config_dir).args(["helpers", "list"]);
                c
            }),
        ];
        for (name, mut command) in commands {
            let (code, text) = run(&mut command);
            assert_eq!(code, Some(3), "{what}, {name}: {text}");
            assert!(text.contains(&*config.to_string_lossy()), "{what}, {name}: names the file: {text}");
            assert!(text.contains(words), "{what}, {name}: says what is wrong: {text}");
        }
        let after = fs::symlink_metadata(&config).unwrap();
        assert!(!Path::new("/dev/zero.lock").exists(), "{what}: no lock file beside a device");
        assert_eq!((before.ino(), before.len()), (after.ino(), after.len()), "{what}: never replaced");
        // The audit reads the same file as a place: a finding, not a hang or a crash.
        let mut audit = regauth_in(&config_dir);
        audit.env("DOCKER_CONFIG", &config_dir).args([
            "audit",
            "--json",
            "--no-helpers",
            "--fail-on",
            "never",
        ]);
        let (code, text) = run(&mut audit);
        assert_eq!(code, Some(0), "{what}, audit: {text}");
        assert!(text.contains("unreadable-config") && text.contains(words), "{what}, audit: {text}");
    }
}

/// A fake system for `audit --all-users --system-root`: root's home with a config, and two users' homes
/// whose configs are links. Returns the root of the tree.
fn fake_system() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let put = |relative: &str, text: &str, uid: u32| {
        let path = r.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::chown(&path, Some(uid), Some(uid)).unwrap();
    };
    // base64("root:rootsecret"), base64("u:bobsecret"), base64("m:mallorysecret")
    put("root/.docker/config.json", r#"{"auths":{"root.example":{"auth":"cm9vdDpyb290c2VjcmV0"}}}"#, 0);
    put("home/bob/.docker/config.json", r#"{"auths":{"bob.example":{"auth":"dTpib2JzZWNyZXQ="}}}"#, 1234);
    // The legacy .dockercfg format: the map of registries is the whole file.
    put("home/mallory/dotfiles/docker.json", r#"{"m.example":{"auth":"bTptYWxsb3J5c2VjcmV0"}}"#, NOBODY);
    put("etc/passwd", "root:x:0:0::/root:/bin/sh\nbob:x:1234:1234::/home/bob:/bin/sh\n", 0);
    let link = |relative: &str, target: &Path, uid: u32| {
        let path = r.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        symlink(target, &path).unwrap();
        lchown(&path, Some(uid), Some(uid)).unwrap();
    };
    // mallory (nobody) points her docker config at root's, her containers auth at bob's, and her
    // .dockercfg at a file of her own elsewhere (followed: it is hers).
    link("home/mallory/.docker/config.json", &r.join("root/.docker/config.json"), NOBODY);
    link("home/mallory/.config/containers/auth.json", &r.join("home/bob/.docker/config.json"), NOBODY);
    link("home/mallory/.dockercfg", &r.join("home/mallory/dotfiles/docker.json"), NOBODY);
    // A whole directory link: her .ecr is root's.
    put("root/.ecr/cache.json", "{}", 0);
    link("home/mallory/.ecr", &r.join("root/.ecr"), NOBODY);
    root
}

/// `audit --all-users` never reads through one user's link to root's or another user's file: each such
/// link is a finding naming the link, the target and its owner, and every credential is attributed to the
/// file that really holds it. A user's link to her own file is followed.
#[test]
fn audit_all_users_reports_links_to_other_owners_files_and_attributes_credentials_truly() {
    if !support::need_root("gives files and links to other users") {
        return;
    }
    let system = fake_system();
    let r = system.path();
    let home = tempfile::tempdir().unwrap();
    let out = support::command::regauth()
        .args(["audit", "--all-users", "--json", "--no-helpers", "--fail-on", "never", "--system-root"])
        .arg(r)
        .env("HOME", home.path())
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report = support::audit_json::expanded(&serde_json::from_slice(&out.stdout).unwrap());
    let text = serde_json::to_string(&report).unwrap();
    for secret in ["rootsecret", "bobsecret", "mallorysecret"] {
        assert!(!text.contains(secret), "{secret} printed");
    }
    let at = |relative: &str| r.join(relative).display().to_string();
    let locations_of = |registry: &str| -> Vec<String> {
        report["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["registry"] == registry)
            .map(|c| c["location"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(locations_of("root.example"), [at("root/.docker/config.json")], "root's, once, as root's");
    assert_eq!(locations_of("bob.example"), [at("home/bob/.docker/config.json")], "bob's, once, as bob's");
    assert_eq!(locations_of("m.example"), [at("home/mallory/dotfiles/docker.json")], "the real file");

    let findings = report["findings"].as_array().unwrap();
    let link_finding = |relative: &str| {
        findings
            .iter()
            .find(|f| f["code"] == "symlink-to-another-owner" && f["location"] == at(relative))
            .unwrap_or_else(|| panic!("no finding for {relative}: {findings:#?}"))["message"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let to_root = link_finding("home/mallory/.docker/config.json");
    assert!(
        to_root.contains(&at("root/.docker/config.json")) && to_root.contains("root (uid 0)"),
        "{to_root}"
    );
    assert!(to_root.contains("uid 65534"), "names the link's owner: {to_root}");
    let to_bob = link_finding("home/mallory/.config/containers/auth.json");
    assert!(
        to_bob.contains(&at("home/bob/.docker/config.json")) && to_bob.contains("bob (uid 1234)"),
        "{to_bob}"
    );
    let to_root_dir = link_finding("home/mallory/.ecr");
    assert!(to_root_dir.contains(&at("root/.ecr/cache.json")), "{to_root_dir}");
    assert_eq!(
        findings.iter().filter(|f| f["code"] == "symlink-to-another-owner").count(),
        3,
        "her own link is not a finding: {findings:#?}"
    );
    let scanned = report["scanned"].as_array().unwrap();
    let own_link = scanned.iter().find(|s| s["location"] == at("home/mallory/.dockercfg")).unwrap();
    assert_eq!(own_link["state"], "read");
    assert_eq!(own_link["realPath"], at("home/mallory/dotfiles/docker.json"));
}

/// An error the OS gives is said once, not twice (the CLI used to print a typed error and then its
/// source again).
#[test]
fn os_errors_are_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    fs::write(&config, "{}").unwrap();
    // A path below a regular file: ENOTDIR from the OS, whoever runs the test.
    let below = config.join("sub/config.json");
    let (code, text) = helpers_set(&below);
    assert_eq!(code, Some(3), "{text}");
    let os = std::io::Error::from_raw_os_error(libc::ENOTDIR).to_string();
    assert_eq!(text.matches(&os).count(), 1, "{text}");
}

/// A "password" on stdin that never ends (/dev/zero) is cut at the cap and refused as a usage error, for
/// every command that reads a secret from stdin, before anything reaches the network.
#[test]
fn an_endless_secret_on_stdin_is_refused_not_read_whole() {
    let home = tempfile::tempdir().unwrap();
    let commands: [&[&str]; 3] = [
        &["diagnose", "127.0.0.1:9/team/app", "--username", "u", "--password-stdin"],
        &["token", "127.0.0.1:9/team/app", "--username", "u", "--password-stdin"],
        &["login", "127.0.0.1:9", "-u", "u", "--password-stdin"],
    ];
    for args in commands {
        let mut command = regauth_in(home.path());
        command.args(args).stdin(fs::File::open("/dev/zero").unwrap());
        let (code, text) = run(&mut command);
        assert_eq!(code, Some(2), "{args:?}: {text}");
        assert!(text.contains("stdin holds more than 65536 bytes"), "{args:?}: {text}");
    }
}
