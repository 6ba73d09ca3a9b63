//! `--config DIR` means what `docker --config DIR` means: the config.json inside DIR. A DIR that does not
//! exist is an error for every command that writes (exit 3, nothing made: no directory, and never a file
//! named DIR); commands that only read find no config there.

mod support;

use std::path::Path;
use std::process::Output;
use support::command::regauth;

fn run(config: &Path, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let home = config.parent().unwrap();
    let mut child = regauth()
        .arg("--config")
        .arg(config)
        .args(args)
        .env("HOME", home)
        .env("PATH", support::helpers::path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

#[test]
fn a_missing_directory_is_an_error_for_every_writer_and_is_never_made() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("typo");
    let port = support::free_port().to_string();
    let registry = format!("127.0.0.1:{port}");
    let writers: [(&[&str], &str); 5] = [
        (&["helpers", "set", "pass"], ""),
        (&["helpers", "unset", "--registry", "ghcr.io"], ""),
        (&["migrate"], ""),
        (&["logout", "ghcr.io"], ""),
        // Refused before the password is read or the registry asked (nothing listens on the port).
        (&["login", &registry, "-u", "me", "--password-stdin"], "pw"),
    ];
    for (args, stdin) in writers {
        let out = run(&missing, args, stdin);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("--config {}: no such directory", missing.display()))
                && stderr.contains("nothing was written"),
            "{args:?}: {stderr}"
        );
        assert!(!missing.exists(), "{args:?} made {}", missing.display());
    }
    // A reader finds nothing there, and makes nothing either.
    let out = run(&missing, &["helpers", "list"], "");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!missing.exists());
}

#[test]
fn an_existing_directory_holds_config_json() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dc");
    std::fs::create_dir(&dir).unwrap();
    let out = run(&dir, &["helpers", "set", "pass"], "");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let written = std::fs::read_to_string(dir.join("config.json")).unwrap();
    assert!(written.contains("\"credsStore\": \"pass\""), "{written}");
    // An existing file is still taken as the config file itself.
    let out = run(&dir.join("config.json"), &["helpers", "set", "regauth-env"], "");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let written = std::fs::read_to_string(dir.join("config.json")).unwrap();
    assert!(written.contains("\"credsStore\": \"regauth-env\""), "{written}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().flatten().filter(|e| e.path().is_dir()).count(), 0);
}
