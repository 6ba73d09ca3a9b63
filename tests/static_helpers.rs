//! The helpers as the release build ships them, static-pie (`make static`, support::static_build), where a
//! static glibc could differ from the dynamic build the other helper tests run: no HOME (a static glibc
//! would have to load NSS modules to look the user up; the helpers never do), the Secret Service over a
//! real D-Bus session (zbus: threads, sockets, its executor), the cache helper starting an inner helper
//! (fork and exec), and the kubelet plugin running a helper. Every helper runs with an empty environment
//! but what the test sets: HOME is never among it.

mod support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use support::command::{clean, regauth, system_path};
use support::helpers::{call, helper_test, with_outcome, Answer};
use support::keyring::SecretService;
use support::keyutils::KeyutilsNamespace;
use support::static_build::{self, assert_static_pie, static_programs};

const NOT_FOUND: &str = "credentials not found in native keychain";
const SECRET: &str = "static-secret-Hq4w";

/// PATH with the static helpers first, then `extra`, then the machine's.
fn path(first: &[&Path]) -> std::ffi::OsString {
    let mut paths: Vec<PathBuf> = first.iter().map(|p| p.to_path_buf()).collect();
    paths.extend(std::env::split_paths(&system_path()));
    std::env::join_paths(paths).unwrap()
}

fn secret_of(answer: &Answer) -> String {
    assert_eq!(answer.code, 0, "{answer:?}");
    let creds: serde_json::Value = serde_json::from_str(&answer.stdout).unwrap();
    creds["Secret"].as_str().unwrap().to_owned()
}

#[test]
fn every_static_helper_is_static_pie_and_starts_without_home() {
    let Some(dir) = static_build::dir() else { return };
    for p in static_programs() {
        assert_static_pie(&dir.join(p));
        if !p.starts_with("docker-credential-") {
            // The front `regauth` hands --version to regauth-cli, which is not here: tests/install.rs runs it
            // installed, beside regauth-cli.
            continue;
        }
        let out = clean(dir.join(p)).arg("--version").output().unwrap();
        assert!(out.status.success(), "{p} --version: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn keyutils_passes_the_protocol_suite_without_home() {
    let Some(dir) = static_build::dir() else { return };
    let helper = dir.join("docker-credential-regauth-keyutils");
    let namespace = KeyutilsNamespace::with_runner("static", move |ns| {
        let mut command = clean(&helper);
        command.env("REGAUTH_KEYUTILS_NAMESPACE", ns);
        command
    });
    let mut suite = regauth();
    suite.env("PATH", path(&[dir])).env("REGAUTH_KEYUTILS_NAMESPACE", &namespace.name);
    let (code, report) = helper_test(suite, "regauth-keyutils", &[]);
    assert_eq!(with_outcome(&report, "fail"), Vec::<String>::new(), "{report:#}");
    assert_eq!(with_outcome(&report, "skip"), Vec::<String>::new());
    assert_eq!(code, 0);
}

#[test]
fn env_answers_without_home() {
    let Some(dir) = static_build::dir() else { return };
    let mut helper = clean(dir.join("docker-credential-regauth-env"));
    helper
        .env("REGAUTH_REGISTRY_STATIC_EXAMPLE_USERNAME", "ci")
        .env("REGAUTH_REGISTRY_STATIC_EXAMPLE_PASSWORD", SECRET);
    assert_eq!(secret_of(&call(helper, "get", "https://static.example")), SECRET);
}

#[test]
fn secretservice_passes_the_protocol_suite_over_a_real_session_and_answers_without_home() {
    let Some(dir) = static_build::dir() else { return };
    let Some(session) = SecretService::start() else { return };
    let mut suite = session.command(support::command::regauth_bin());
    suite.env("PATH", path(&[dir]));
    let (code, report) = helper_test(suite, "regauth-secretservice", &[]);
    assert_eq!(with_outcome(&report, "fail"), Vec::<String>::new(), "{report:#}");
    assert_eq!(with_outcome(&report, "skip"), Vec::<String>::new());
    assert_eq!(code, 0);

    let helper = || {
        let mut command = session.command(dir.join("docker-credential-regauth-secretservice"));
        command.env_remove("HOME");
        command
    };
    let body = format!(r#"{{"ServerURL":"static.example","Username":"ci","Secret":"{SECRET}"}}"#);
    assert_eq!(call(helper(), "store", &body).code, 0);
    assert_eq!(secret_of(&call(helper(), "get", "static.example")), SECRET);
    assert_eq!(call(helper(), "erase", "static.example").code, 0);
    assert_eq!(call(helper(), "get", "static.example").stdout.trim(), NOT_FOUND);
}

/// The cache helper over the static env helper (copied into `bin`, so the test can swap it): a miss starts
/// the inner helper, a hit answers from the file cache without it. No HOME: XDG dirs only.
#[test]
fn cache_runs_its_inner_helper_and_answers_a_hit_without_home() {
    let Some(dir) = static_build::dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let sub = |name: &str| {
        let p = tmp.path().join(name);
        std::fs::create_dir_all(&p).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o700)).unwrap();
        p
    };
    let (bin, config, cache) = (sub("bin"), sub("config/regauth"), sub("cache"));
    let inner = bin.join("docker-credential-regauth-env");
    std::fs::copy(dir.join("docker-credential-regauth-env"), &inner).unwrap();
    let mapping = r#"{"version":1,"registries":{"static.example":{"inner":"regauth-env","ttlSeconds":600,"timeoutSeconds":10}}}"#;
    std::fs::write(config.join("cache-helper.json"), mapping).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(config.join("cache-helper.json"), std::fs::Permissions::from_mode(0o600))
        .unwrap();
    let helper = || {
        let mut command = clean(dir.join("docker-credential-regauth-cache"));
        command
            .env("PATH", path(&[&bin]))
            .env("XDG_CONFIG_HOME", tmp.path().join("config"))
            .env("XDG_CACHE_HOME", &cache)
            .env("REGAUTH_TOKEN_CACHE", "file")
            .env("REGAUTH_REGISTRY_STATIC_EXAMPLE_USERNAME", "ci")
            .env("REGAUTH_REGISTRY_STATIC_EXAMPLE_PASSWORD", SECRET);
        command
    };
    assert_eq!(secret_of(&call(helper(), "get", "static.example")), SECRET, "a miss asks the inner helper");
    // The inner helper now fails: only the cache can answer.
    std::fs::remove_file(&inner).unwrap();
    support::write_script(&inner, "echo inner helper asked; exit 1");
    assert_eq!(secret_of(&call(helper(), "get", "static.example")), SECRET, "a hit");
    let refused = call(helper(), "get", "other.example");
    assert_eq!(refused.code, 1, "{refused:?}");

    // Neither XDG_CONFIG_HOME nor HOME: a clear refusal, no look-up of the user.
    let bare = call(clean(dir.join("docker-credential-regauth-cache")), "get", "static.example");
    assert_eq!(bare.code, 1, "{bare:?}");
    assert!(bare.stdout.contains("neither XDG_CONFIG_HOME nor HOME is set"), "{bare:?}");
}

/// The kubelet plugin, as the kubelet starts it (no HOME), asking the static env helper through
/// credHelpers.
#[test]
fn kubelet_plugin_runs_a_helper_without_home() {
    let Some(dir) = static_build::dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.json");
    std::fs::write(&config, r#"{"credHelpers":{"static.example":"regauth-env"}}"#).unwrap();
    let mut child = clean(dir.join("docker-credential-regauth-kubelet"))
        .arg("--config")
        .arg(&config)
        .env("PATH", path(&[dir]))
        .env("REGAUTH_REGISTRY_STATIC_EXAMPLE_USERNAME", "ci")
        .env("REGAUTH_REGISTRY_STATIC_EXAMPLE_PASSWORD", SECRET)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let request = r#"{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"static.example/team/app:v1"}"#;
    use std::io::Write;
    child.stdin.take().unwrap().write_all(request.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains(SECRET), "{stderr}");
    let response: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(response["auth"]["static.example"]["password"], SECRET, "{response}");
    assert_eq!(response["auth"]["static.example"]["username"], "ci", "{response}");
}

/// A session bus on TCP named by host name is the one path of a static helper into glibc's NSS (zbus
/// resolves it with getaddrinfo). A static glibc (2.34 and later) has the `files` and `dns` sources built
/// in: `localhost` resolves from /etc/hosts without loading a module, and the answer is the bus's refusal,
/// not a lookup failure or a crash. (Other sources in nsswitch.conf, e.g. mdns or myhostname, would be
/// loaded with dlopen, which needs the glibc version the helper was linked with: docs/ARCHITECTURE.md.)
#[test]
fn secretservice_resolves_a_tcp_bus_host_name_without_home() {
    let Some(dir) = static_build::dir() else { return };
    let address = format!("tcp:host=localhost,port={}", support::free_port());
    let mut helper = clean(dir.join("docker-credential-regauth-secretservice"));
    helper.env("DBUS_SESSION_BUS_ADDRESS", &address);
    let answer = call(helper, "get", "static.example");
    assert_eq!(answer.code, 1, "{answer:?}");
    assert!(answer.stdout.contains("no D-Bus session bus"), "{answer:?}");
    assert!(answer.stdout.contains("Connection refused"), "resolved, then refused: {answer:?}");
}
