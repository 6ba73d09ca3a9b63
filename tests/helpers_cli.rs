//! `regauth helpers list/set/unset` as users run them (with a cleared environment: only HOME and PATH).

mod support;

use std::path::Path;
use std::process::Output;
use support::command::regauth;

fn run(dir: &Path, args: &[&str]) -> Output {
    regauth()
        .arg("--config")
        .arg(dir)
        .args(args)
        .env("HOME", dir)
        .env("PATH", dir.join("bin"))
        .output()
        .unwrap()
}

fn bed() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("bin")).unwrap();
    support::write_script(
        &dir.path().join("bin/docker-credential-present"),
        "[ \"$1\" = version ] && echo 'present 1.2.3'; exit 0",
    );
    dir
}

#[test]
fn list_reports_installed_missing_and_versions() {
    let dir = bed();
    std::fs::write(
        dir.path().join("config.json"),
        r#"{"credsStore":"present","credHelpers":{"ghcr.io":"absent"}}"#,
    )
    .unwrap();
    let out = run(dir.path(), &["helpers", "list", "--json"]);
    assert_eq!(out.status.code(), Some(3), "a missing helper is a local problem");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v["helpers"].as_array().unwrap();
    assert_eq!(rows[0]["scope"], "credsStore");
    assert_eq!(rows[0]["version"], "present 1.2.3");
    assert!(rows[0]["path"].is_string());
    assert_eq!(rows[1]["scope"], "ghcr.io");
    assert!(rows[1]["path"].is_null());
    let text = String::from_utf8(run(dir.path(), &["helpers", "list"]).stdout).unwrap();
    assert!(text.contains("MISSING"), "{text}");
    assert!(text.contains("present 1.2.3"), "{text}");
}

#[test]
fn set_for_docker_hub_writes_both_clients_keys_and_warns_when_missing() {
    let dir = bed();
    let out = run(dir.path(), &["helpers", "set", "docker-credential-absent", "--registry", "docker.io"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("docker-credential-absent is not on PATH"));
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("config.json")).unwrap()).unwrap();
    assert_eq!(v["credHelpers"]["https://index.docker.io/v1/"], "absent");
    assert_eq!(v["credHelpers"]["docker.io"], "absent");
    let out = run(dir.path(), &["helpers", "unset", "--registry", "https://index.docker.io/v1/", "--json"]);
    let changes: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(changes["changes"].as_array().unwrap().len(), 2);
    assert_eq!(changes["changes"][0]["old"], "absent");
    assert!(changes["changes"][0]["new"].is_null());
}

#[test]
fn bad_names_are_usage_errors_and_write_nothing() {
    let dir = bed();
    let cases = [
        (
            &["helpers", "set", "../evil"][..],
            "regauth: \"../evil\" is not a helper name: use letters, digits, '.', '_' and '-' (the part after \
             docker-credential-)",
        ),
        (
            &["helpers", "set", "ok", "--registry", "not a host"],
            "regauth: registry \"not a host\" is not a valid host name, IPv4 address or [IPv6] literal",
        ),
        (
            &["helpers", "set", "ok", "--registry", "h:99999"],
            "regauth: registry \"h:99999\" has an invalid port (expected a number from 1 to 65535)",
        ),
    ];
    for (args, message) in cases {
        let out = run(dir.path(), args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.lines().any(|l| l == message), "{args:?}: {stderr}");
        assert!(!dir.path().join("config.json").exists(), "{args:?} wrote a file");
    }
}

#[test]
fn completions_cover_every_subcommand() {
    for shell in ["bash", "zsh", "fish"] {
        let out = regauth().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        for sub in ["resolve", "diagnose", "audit", "helpers", "helper-test"] {
            assert!(script.contains(sub), "{shell} completion lacks {sub}");
        }
    }
    let out = regauth().args(["completions", "tcsh"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "an unknown shell is a usage error: {stderr}");
    assert!(stderr.starts_with("error: invalid value 'tcsh' for '<SHELL>'"), "{stderr}");
}

/// Setting what is already set says so; a repository path is refused, not cut to its host.
#[test]
fn unchanged_is_said_and_a_repository_path_is_refused() {
    let dir = bed();
    let set = |args: &[&str]| run(dir.path(), args);
    let first = set(&["helpers", "set", "present", "--registry", "ghcr.io"]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(String::from_utf8_lossy(&first.stdout).contains("-> \"present\""));
    let again = set(&["helpers", "set", "present", "--registry", "ghcr.io"]);
    let text = String::from_utf8_lossy(&again.stdout);
    assert!(
        text.contains("credHelpers.ghcr.io: \"present\" (unchanged)") && text.contains("unchanged: "),
        "{text}"
    );
    let before = std::fs::read(dir.path().join("config.json")).unwrap();
    for registry in ["ghcr.io/org", "https://ghcr.io/org/app"] {
        let out = set(&["helpers", "set", "present", "--registry", registry]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{registry}: {stderr}");
        assert!(stderr.contains("give --registry ghcr.io"), "{stderr}");
    }
    assert_eq!(std::fs::read(dir.path().join("config.json")).unwrap(), before);
}
