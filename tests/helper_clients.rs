//! Real clients through our keyutils helper against the real distribution registry with htpasswd auth:
//! the Docker CLI (credsStore) and skopeo (credHelpers) log in (store), read (get) and log out (erase).
//! Each test has its own kernel-keyring namespace, emptied by a guard however the test ends; the password
//! never shows in any client output. Clients run with a cleared environment.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use support::command::clean;
use support::helpers::{call, path};
use support::keyutils::{helper, KeyutilsNamespace};
use support::registry::{basic, push_image, Auth, Registry};

const USER: &str = "alice";
const PASSWORD: &str = "clients-right-pw-5Xk";

fn registry() -> Option<Registry> {
    let registry = Registry::start(Auth::Htpasswd(vec![(USER.into(), PASSWORD.into())]), None)?;
    let client = reqwest::blocking::Client::new();
    push_image(&client, &registry.base_url(), "team/app", "v1", Some(&basic(USER, PASSWORD)));
    Some(registry)
}

fn run(mut command: Command, stdin: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start client");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let shown = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!shown.contains(PASSWORD), "a client printed the password: {shown}");
    out
}

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The helper's own view of the entry: `Some(username)` when it holds our password.
fn stored(namespace: &str, key: &str) -> Option<String> {
    let answer = call(helper(namespace), "get", key);
    if answer.code != 0 {
        assert_eq!(answer.stdout.trim(), "credentials not found in native keychain");
        return None;
    }
    let creds: serde_json::Value = serde_json::from_str(&answer.stdout).unwrap();
    assert_eq!(creds["Secret"], PASSWORD);
    Some(creds["Username"].as_str().unwrap().to_owned())
}

#[test]
fn docker_cli_logs_in_reads_and_logs_out_through_the_helper() {
    let Some(_) = support::need_program("docker") else { return };
    let Some(registry) = registry() else { return };
    let guard = KeyutilsNamespace::new("docker");
    let namespace = &guard.name;
    let config = tempfile::tempdir().unwrap();
    std::fs::write(config.path().join("config.json"), r#"{"credsStore":"regauth-keyutils"}"#).unwrap();
    let docker = |args: &[&str]| {
        let mut command = clean("docker");
        command
            .args(args)
            .env("HOME", config.path())
            .env("DOCKER_CONFIG", config.path())
            .env("PATH", path())
            .env("REGAUTH_KEYUTILS_NAMESPACE", namespace)
            // No daemon: login falls back to a client-side login, as on a machine without dockerd.
            .env("DOCKER_HOST", format!("unix://{}", config.path().join("no-daemon.sock").display()));
        command
    };
    let host = registry.host();
    let image = format!("{host}/team/app:v1");

    let out = run(docker(&["login", &host, "-u", USER, "--password-stdin"]), PASSWORD);
    ok(&out, "docker login");
    assert_eq!(stored(namespace, &host).as_deref(), Some(USER), "docker login did not store via the helper");
    let config_text = std::fs::read_to_string(config.path().join("config.json")).unwrap();
    assert!(!config_text.contains(PASSWORD) && !config_text.contains("\"auth\""), "{config_text}");

    let out = run(docker(&["manifest", "inspect", "--insecure", &image]), "");
    ok(&out, "docker manifest inspect");
    assert!(String::from_utf8_lossy(&out.stdout).contains("schemaVersion"));

    let out = run(docker(&["logout", &host]), "");
    ok(&out, "docker logout");
    assert_eq!(stored(namespace, &host), None, "docker logout did not erase via the helper");
    // Without the helper's answer the registry refuses: the inspect above really used the helper.
    let out = run(docker(&["manifest", "inspect", "--insecure", &image]), "");
    let refused = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "manifest inspect worked without credentials: {refused}");
    assert!(refused.contains("no basic auth credentials"), "refused for another reason: {refused}");
}

#[test]
fn skopeo_logs_in_reads_and_logs_out_through_cred_helpers() {
    let Some(_) = support::need_program("skopeo") else { return };
    let Some(registry) = registry() else { return };
    let guard = KeyutilsNamespace::new("skopeo");
    let namespace = &guard.name;
    let dir = tempfile::tempdir().unwrap();
    let host = registry.host();
    let authfile = dir.path().join("auth.json");
    std::fs::write(&authfile, format!(r#"{{"credHelpers":{{"{host}":"regauth-keyutils"}}}}"#)).unwrap();
    let skopeo = |args: &[&str], authfile: &Path| {
        let mut command = clean("skopeo");
        command
            .args(args)
            .arg("--authfile")
            .arg(authfile)
            .env("PATH", path())
            .env("REGAUTH_KEYUTILS_NAMESPACE", namespace)
            .env("HOME", dir.path())
            .env("XDG_RUNTIME_DIR", dir.path());
        command
    };
    let image = format!("docker://{host}/team/app:v1");

    let out = run(
        skopeo(&["login", "--tls-verify=false", "-u", USER, "--password-stdin", &host], &authfile),
        PASSWORD,
    );
    ok(&out, "skopeo login");
    assert_eq!(stored(namespace, &host).as_deref(), Some(USER), "skopeo login did not store via the helper");
    assert!(!std::fs::read_to_string(&authfile).unwrap().contains(PASSWORD));

    let out = run(skopeo(&["inspect", "--tls-verify=false", &image], &authfile), "");
    ok(&out, "skopeo inspect");
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"Digest\""));

    let out = run(skopeo(&["logout", &host], &authfile), "");
    ok(&out, "skopeo logout");
    assert_eq!(stored(namespace, &host), None, "skopeo logout did not erase via the helper");
    let out = run(skopeo(&["inspect", "--tls-verify=false", &image], &authfile), "");
    let refused = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "inspect worked without credentials: {refused}");
    assert!(
        refused.contains("unauthorized: authentication required"),
        "refused for another reason: {refused}"
    );
}

/// The read-only env helper configured for a registry, `logout` by skopeo, podman and buildah (all on
/// containers/image 5.23, which crashes with a stack overflow when a helper's erase fails): each exits 0
/// and says it removed the login.
#[test]
fn skopeo_podman_and_buildah_log_out_cleanly_with_the_read_only_env_helper() {
    let dir = tempfile::tempdir().unwrap();
    let host = "127.0.0.1:5099";
    let authfile = dir.path().join("auth.json");
    for client in ["skopeo", "podman", "buildah"] {
        let Some(program) = support::need_program(client) else { continue };
        for (args, with_variables) in [(vec![host], true), (vec![host], false), (vec!["--all"], true)] {
            std::fs::write(&authfile, format!(r#"{{"credHelpers":{{"{host}":"regauth-env"}}}}"#)).unwrap();
            let mut command = clean(&program);
            command
                .arg("logout")
                .arg("--authfile")
                .arg(&authfile)
                .args(&args)
                .env("PATH", path())
                .env("HOME", dir.path())
                .env("XDG_RUNTIME_DIR", dir.path());
            if with_variables {
                command
                    .env("REGAUTH_REGISTRY_127_0_0_1___5099_USERNAME", USER)
                    .env("REGAUTH_REGISTRY_127_0_0_1___5099_PASSWORD", PASSWORD);
            }
            let out = run(command, "");
            let shown =
                format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert_eq!(out.status.code(), Some(0), "{client} logout {args:?}: {shown}");
            assert!(shown.contains("Removed login credentials"), "{client} logout {args:?}: {shown}");
            assert!(!shown.contains("stack overflow"));
            // The helper's note that the variables still provide the login reaches the user.
            assert_eq!(shown.contains("still provide the credentials"), with_variables, "{shown}");
        }
    }
}
