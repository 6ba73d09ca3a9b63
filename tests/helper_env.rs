//! docker-credential-regauth-env as a process: the key forms clients send, list, refusal to write, and the
//! conformance suite in read-only mode.

mod support;

use std::process::Command;
use support::command::{clean, regauth};
use support::helpers::{call, helper_bin, helper_test, path, with_outcome};

fn helper_path() -> std::path::PathBuf {
    helper_bin("docker-credential-regauth-env")
}

fn helper() -> Command {
    let mut command = clean(helper_path());
    command
        .env("REGAUTH_REGISTRY_127_0_0_1___5000_USERNAME", "ci")
        .env("REGAUTH_REGISTRY_127_0_0_1___5000_PASSWORD", "env-secret-local")
        .env("REGAUTH_REGISTRY_DOCKER_IO_USERNAME", "hub-user")
        .env("REGAUTH_REGISTRY_DOCKER_IO_PASSWORD", "env-secret-hub")
        .env("REGAUTH_REGISTRY_MY__REGISTRY_EXAMPLE_COM_USERNAME", "<token>")
        .env("REGAUTH_REGISTRY_MY__REGISTRY_EXAMPLE_COM_PASSWORD", "env-refresh-token");
    command
}

#[test]
fn get_answers_every_key_form_clients_send() {
    let table = [
        ("127.0.0.1:5000", "ci", "env-secret-local"),
        ("https://127.0.0.1:5000", "ci", "env-secret-local"),
        ("http://127.0.0.1:5000/v2/", "ci", "env-secret-local"),
        ("https://index.docker.io/v1/", "hub-user", "env-secret-hub"),
        ("docker.io", "hub-user", "env-secret-hub"),
        ("registry-1.docker.io", "hub-user", "env-secret-hub"),
        ("My-Registry.Example.com\n", "\\u003ctoken\\u003e", "env-refresh-token"),
    ];
    for (key, username, secret) in table {
        let answer = call(helper(), "get", key);
        assert_eq!(answer.code, 0, "{key:?}: {answer:?}");
        let want = format!(r#"{{"ServerURL":"{}","Username":"{username}","Secret":"{secret}"}}"#, key.trim());
        assert_eq!(answer.stdout.trim(), want, "{key:?}");
    }
    for key in ["127.0.0.1:5001", "ghcr.io", "https://index.docker.io/v1/refresh-token"] {
        let answer = call(helper(), "get", key);
        assert_eq!(
            (answer.code, answer.stdout.trim()),
            (1, "credentials not found in native keychain"),
            "{key}"
        );
    }
}

#[test]
fn list_shows_the_environment_and_writes_are_refused() {
    let listed = call(helper(), "list", "unused");
    assert_eq!(listed.code, 0);
    let listing: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(
        listing,
        serde_json::json!({
            "127.0.0.1:5000": "ci",
            "https://index.docker.io/v1/": "hub-user",
            "my-registry.example.com": "<token>",
        })
    );
    let body = r#"{"ServerURL":"ghcr.io","Username":"u","Secret":"must-not-echo"}"#;
    let answer = call(helper(), "store", body);
    assert_eq!(
        (answer.code, answer.stdout.trim_end()),
        (
            1,
            "docker-credential-regauth-env is read-only: set REGAUTH_REGISTRY_<HOST>_USERNAME and \
             REGAUTH_REGISTRY_<HOST>_PASSWORD instead (see --help)"
        ),
        "{answer:?}"
    );
    assert!(!answer.stdout.contains("must-not-echo") && !answer.stderr.contains("must-not-echo"));
}

#[test]
fn erase_succeeds_and_says_on_stderr_what_stays() {
    // Any failed erase crashes skopeo, podman and buildah 4.x on logout: erase answers success, and for a
    // key the environment provides, stderr (shown to the user) says the variables still provide it.
    let held = call(helper(), "erase", "https://127.0.0.1:5000");
    assert_eq!((held.code, held.stdout.as_str()), (0, ""), "{held:?}");
    assert_eq!(
        held.stderr,
        "docker-credential-regauth-env: read-only: REGAUTH_REGISTRY_127_0_0_1___5000_USERNAME and \
         REGAUTH_REGISTRY_127_0_0_1___5000_PASSWORD still provide the credentials for \
         https://127.0.0.1:5000; unset them to log out\n"
    );
    assert!(!held.stderr.contains("env-secret-local"));
    let absent = call(helper(), "erase", "ghcr.io");
    assert_eq!((absent.code, absent.stdout.as_str(), absent.stderr.as_str()), (0, "", ""));
    // Still there: erase changed nothing.
    assert_eq!(call(helper(), "get", "127.0.0.1:5000").code, 0);
}

#[test]
fn helper_test_reports_a_read_only_helper_with_skipped_checks() {
    let mut regauth = regauth();
    regauth.env("PATH", path());
    let (code, report) = helper_test(regauth, "regauth-env", &[]);
    assert_eq!(report["readOnly"], true, "{report:#}");
    assert_eq!(with_outcome(&report, "fail"), Vec::<String>::new(), "{report:#}");
    assert!(with_outcome(&report, "skip").contains(&"store-then-get".to_owned()));
    assert!(with_outcome(&report, "pass").contains(&"read-only-store-refused".to_owned()));
    assert_eq!(code, 0);
}
