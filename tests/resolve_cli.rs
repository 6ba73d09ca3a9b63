//! `regauth resolve` as users run it: text and JSON output, exit codes, helpers found, missing, failing and
//! hanging, and never a secret on screen.

mod support;

use std::path::Path;
use std::process::{Command, Output};

const SECRET: &str = "s3cr3t-helper-password";

fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    support::write_script(
        &bin.join("docker-credential-fake"),
        &format!(
            "read key\n[ \"$1\" = get ] || exit 0\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"helper-user\",\"Secret\":\"{SECRET}\"}}\\n' \"$key\""
        ),
    );
    support::write_script(
        &bin.join("docker-credential-broken"),
        &format!("echo 'backend down, token {SECRET}' >&2; exit 1"),
    );
    support::write_script(&bin.join("docker-credential-hangs"), "/bin/sleep 60; echo late");
    (dir, bin)
}

fn resolve(dir: &Path, bin: &Path, config: &str, args: &[&str]) -> Output {
    let config_path = dir.join("config.json");
    std::fs::write(&config_path, config).unwrap();
    Command::new(env!("CARGO_BIN_EXE_regauth"))
        .arg("--config")
        .arg(&config_path)
        .arg("resolve")
        .args(args)
        .env("PATH", bin)
        .env("HOME", dir)
        .env("XDG_RUNTIME_DIR", dir.join("run"))
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("DOCKER_AUTH_CONFIG")
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn json_names_file_key_source_helper_and_user_for_each_client() {
    let (dir, bin) = setup();
    let config = r#"{"credsStore":"fake","auths":{"127.0.0.1:5000":{"auth":"ZmlsZS11c2VyOmZpbGUtcHc="}}}"#;
    let out = resolve(dir.path(), &bin, config, &["127.0.0.1:5000/team/app:v1", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!text(&out).contains(SECRET) && !text(&out).contains("file-pw"));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["image"], "127.0.0.1:5000/team/app:v1");
    let clients = v["clients"].as_array().unwrap();
    let by = |name: &str| clients.iter().find(|c| c["client"] == name).unwrap().clone();
    let docker = by("docker");
    assert_eq!(docker["source"], "credsStore");
    assert_eq!(docker["key"], "127.0.0.1:5000");
    assert_eq!(docker["helper"]["program"], "docker-credential-fake");
    assert!(docker["helper"]["path"].as_str().unwrap().ends_with("bin/docker-credential-fake"));
    assert_eq!(docker["outcome"]["status"], "found");
    assert_eq!(docker["outcome"]["username"], "helper-user");
    let podman = by("podman");
    assert_eq!(podman["source"], "auths", "podman ignores credsStore");
    assert_eq!(podman["outcome"]["username"], "file-user");
    assert!(podman["notes"][0].as_str().unwrap().contains("ignore"));
    assert_eq!(by("nerdctl")["source"], "credsStore");
}

#[test]
fn problems_exit_3_and_are_named() {
    let (dir, bin) = setup();
    let config = r#"{"credHelpers":{"a.io":"absent","b.io":"broken","c.io":"hangs"}}"#;
    let cases = [
        ("a.io/x", "docker-credential-absent is not on PATH"),
        ("b.io/x", "docker-credential-broken failed: backend down"),
        ("c.io/x", "docker-credential-hangs did not answer within 0.5s"),
    ];
    for (image, expected) in cases {
        let out =
            resolve(dir.path(), &bin, config, &[image, "--client", "docker", "--helper-timeout", "0.5"]);
        let shown = text(&out);
        assert_eq!(out.status.code(), Some(3), "{image}: {shown}");
        assert!(shown.contains(expected), "{image}: {shown}");
        assert!(shown.contains("PROBLEM"), "{image}: {shown}");
    }
}

#[test]
fn secrets_from_a_failing_helper_are_not_hidden_but_ours_never_printed() {
    // The helper's own error text is shown (sanitised) because it is the evidence; what regauth itself
    // holds as a secret is never printed.
    let (dir, bin) = setup();
    let out = resolve(dir.path(), &bin, r#"{"credsStore":"fake"}"#, &["ghcr.io/o/a"]);
    assert_eq!(out.status.code(), Some(0));
    let shown = text(&out);
    assert!(shown.contains("helper-user"), "{shown}");
    assert!(!shown.contains(SECRET), "{shown}");
}

#[test]
fn no_helpers_says_which_would_be_asked() {
    let (dir, bin) = setup();
    let out = resolve(
        dir.path(),
        &bin,
        r#"{"credsStore":"hangs"}"#,
        &["nginx", "--no-helpers", "--client", "docker"],
    );
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(shown.contains("credsStore -> docker-credential-hangs"), "{shown}");
    assert!(shown.contains("https://index.docker.io/v1/"), "{shown}");
    assert!(shown.contains("--no-helpers"), "{shown}");
}

#[test]
fn bad_image_is_a_usage_error() {
    let (dir, bin) = setup();
    for image in ["User/App", "nginx@sha256:xyz", ""] {
        let out = resolve(dir.path(), &bin, "{}", &[image]);
        assert_eq!(out.status.code(), Some(2), "{image}: {}", text(&out));
        assert!(text(&out).contains("regauth:"), "{}", text(&out));
    }
}
