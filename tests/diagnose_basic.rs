//! `regauth diagnose` against htpasswd (Basic) registries, over plain http and TLS with a private CA, and
//! against a closed port.

mod diagnose_golden;
mod support;

use support::bed::{regauth, Run};
use support::certs::server_certs;
use support::registry::{basic, push_image, Auth, Registry, Tls};

fn users() -> Auth {
    Auth::Htpasswd(vec![("alice".into(), "basic-pw-77".into())])
}

fn args<'a>(image: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["diagnose", image, "--json", "--username", "alice", "--password-stdin"];
    args.extend_from_slice(extra);
    args
}

fn run_as(image: &str, password: &str, extra: &[&str], home: &std::path::Path) -> Run {
    regauth(&args(image, extra), Some(password), home, None)
}

/// Compare `run`, made by [`run_as`] with these arguments, with its golden files.
fn golden(name: &str, run: &Run, image: &str, password: &str, extra: &[&str], home: &std::path::Path) {
    diagnose_golden::check(name, run, &args(image, extra), Some(password), home, None);
}

#[test]
fn htpasswd_right_password_may_pull_and_push() {
    let Some(registry) = Registry::start(users(), None) else { return };
    let client = reqwest::blocking::Client::new();
    push_image(&client, &registry.base_url(), "team/app", "v1", Some(&basic("alice", "basic-pw-77")));
    let home = tempfile::tempdir().unwrap();
    let image = format!("{}/team/app:v1", registry.host());
    let run = run_as(&image, "basic-pw-77", &["--push"], home.path());
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.verdict("authentication"), "ok");
    assert_eq!(run.verdict("pull"), "ok");
    assert_eq!(run.verdict("push"), "ok");
    assert_eq!(run.json()["exchanges"][1]["challenges"][0], "Basic realm=\"basic-realm\"");
    golden("basic_may_pull_and_push", &run, &image, "basic-pw-77", &["--push"], home.path());
}

#[test]
fn htpasswd_wrong_password_is_authentication() {
    let Some(registry) = Registry::start(users(), None) else { return };
    let home = tempfile::tempdir().unwrap();
    let image = format!("{}/team/app:v1", registry.host());
    let run = run_as(&image, "wrong-pw-00", &["--push"], home.path());
    assert_eq!(run.code, 4, "{}", run.stdout);
    assert_eq!(run.verdict("authentication"), "authenticationFailed");
    assert!(run.fix("authentication").contains("Check the username and password"), "{}", run.stdout);
    assert!(!run.all_output().contains("wrong-pw-00"));
    golden("basic_wrong_password", &run, &image, "wrong-pw-00", &["--push"], home.path());
}

fn tls_registry(dir: &std::path::Path) -> Option<(Registry, std::path::PathBuf)> {
    let certs = server_certs(dir);
    let tls = Tls { certificate: certs.certificate.clone(), key: certs.key.clone() };
    let registry = Registry::start(users(), Some(tls))?;
    let ca = reqwest::Certificate::from_pem(&std::fs::read(&certs.ca).unwrap()).unwrap();
    let client = reqwest::blocking::Client::builder().add_root_certificate(ca).build().unwrap();
    push_image(&client, &registry.base_url(), "team/app", "v1", Some(&basic("alice", "basic-pw-77")));
    Some((registry, certs.ca))
}

#[test]
fn tls_with_a_private_ca_trusted_through_certs_d() {
    let pki = tempfile::tempdir().unwrap();
    let Some((registry, ca)) = tls_registry(pki.path()) else { return };
    let home = tempfile::tempdir().unwrap();
    let host_dir = home.path().join("certs.d").join(registry.host());
    std::fs::create_dir_all(&host_dir).unwrap();
    std::fs::copy(&ca, host_dir.join("ca.crt")).unwrap();
    let image = format!("{}/team/app:v1", registry.host());
    let run = run_as(&image, "basic-pw-77", &[], home.path());
    assert_eq!(run.code, 0, "{}", run.stdout);
    let reach = run.step("reachability");
    assert!(reach["summary"].as_str().unwrap().contains("certificate verified"), "{reach}");
    assert!(reach.to_string().contains("ca.crt"), "{reach}");
    assert!(run.json()["registry"]["url"].as_str().unwrap().starts_with("https://"));
    golden("basic_tls_trusted_through_certs_d", &run, &image, "basic-pw-77", &[], home.path());
}

#[test]
fn tls_with_an_untrusted_ca_is_a_tls_failure() {
    let pki = tempfile::tempdir().unwrap();
    let Some((registry, _ca)) = tls_registry(pki.path()) else { return };
    let home = tempfile::tempdir().unwrap();
    let image = format!("{}/team/app:v1", registry.host());
    let run = run_as(&image, "basic-pw-77", &[], home.path());
    assert_eq!(run.code, 8, "{}", run.stdout);
    let reach = run.step("reachability");
    assert_eq!(reach["verdict"], "network");
    assert!(reach["summary"].as_str().unwrap().to_lowercase().contains("certificate"), "{reach}");
    assert!(run.fix("reachability").contains(&format!("certs.d/{}/ca.crt", registry.host())), "{reach}");
    // No fallback to plain http, and the password never left.
    assert_eq!(run.json()["requests"], 1);
    golden("basic_tls_untrusted", &run, &image, "basic-pw-77", &[], home.path());
}

/// login, diagnose and token make first contact by one rule: a certificate failure is never retried over
/// plain http, even on loopback (login used to fall back after any error).
#[test]
fn login_and_token_do_not_fall_back_to_http_after_a_certificate_failure() {
    let pki = tempfile::tempdir().unwrap();
    let Some((registry, _ca)) = tls_registry(pki.path()) else { return };
    let home = tempfile::tempdir().unwrap();
    let login = ["login", &registry.host(), "--username", "alice", "--password-stdin"];
    let image = format!("{}/team/app:v1", registry.host());
    let token = ["token", &image, "--username", "alice", "--password-stdin", "--no-cache"];
    for args in [&login[..], &token[..]] {
        let run = support::bed::regauth(args, Some("basic-pw-77"), home.path(), None);
        let shown = format!("{args:?}: exit {}\n{}{}", run.code, run.stdout, run.stderr);
        assert_eq!(run.code, 8, "{shown}");
        assert!(format!("{}{}", run.stdout, run.stderr).to_lowercase().contains("certificate"), "{shown}");
    }
    assert!(!home.path().join(".docker/config.json").exists(), "login stored a credential");
}

#[test]
fn unreachable_registry_is_a_network_failure() {
    let port = support::free_port(); // free a moment ago: nothing listens there
    let home = tempfile::tempdir().unwrap();
    let image = format!("127.0.0.1:{port}/team/app:v1");
    let run = run_as(&image, "basic-pw-77", &["--push"], home.path());
    assert_eq!(run.code, 8, "{}", run.stdout);
    assert_eq!(run.verdict("reachability"), "network");
    assert!(
        run.step("reachability")["summary"].as_str().unwrap().contains("Connection refused"),
        "{}",
        run.stdout
    );
    assert!(run.fix("reachability").contains("Nothing listens there"));
    assert_eq!(run.verdict("pull"), "skipped");
    golden("basic_unreachable", &run, &image, "basic-pw-77", &["--push"], home.path());
}

#[test]
fn unusable_ca_file_is_local_configuration() {
    let home = tempfile::tempdir().unwrap();
    let bad = home.path().join("bad.crt");
    std::fs::write(&bad, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n").unwrap();
    let port = support::free_port();
    let image = format!("127.0.0.1:{port}/team/app:v1");
    let run = regauth(
        &["diagnose", &image, "--anonymous", "--ca-file", bad.to_str().unwrap()],
        None,
        home.path(),
        None,
    );
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("bad.crt"), "{}", run.stderr);
    diagnose_golden::check_text("basic_unusable_ca_file", &run);
}

#[test]
fn anonymous_on_a_basic_registry_is_denied_with_a_login_fix() {
    let Some(registry) = Registry::start(users(), None) else { return };
    let home = tempfile::tempdir().unwrap();
    let image = format!("{}/team/app:v1", registry.host());
    let args = ["diagnose", &image, "--json", "--anonymous"];
    let run = regauth(&args, None, home.path(), None);
    assert_eq!(run.code, 5, "{}", run.stdout);
    assert_eq!(run.verdict("authentication"), "skipped");
    assert_eq!(run.verdict("pull"), "authorizationDenied");
    assert!(run.fix("pull").contains("Log in first"), "{}", run.stdout);
    diagnose_golden::check("basic_anonymous", &run, &args, None, home.path(), None);
}

#[test]
fn insecure_skips_verification_of_an_untrusted_certificate() {
    let pki = tempfile::tempdir().unwrap();
    let Some((registry, _ca)) = tls_registry(pki.path()) else { return };
    let home = tempfile::tempdir().unwrap();
    let image = format!("{}/team/app:v1", registry.host());
    let run = run_as(&image, "basic-pw-77", &["--insecure"], home.path());
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.step("reachability")["summary"].as_str().unwrap().contains("not verified"), "{}", run.stdout);
    golden("basic_tls_insecure", &run, &image, "basic-pw-77", &["--insecure"], home.path());
}

#[test]
fn read_only_registry_refuses_push_and_says_why() {
    let Some(registry) = Registry::start(users(), None) else { return };
    let client = reqwest::blocking::Client::new();
    push_image(&client, &registry.base_url(), "team/app", "v1", Some(&basic("alice", "basic-pw-77")));
    let registry = registry.restart_read_only();
    let home = tempfile::tempdir().unwrap();
    let image = format!("{}/team/app:v1", registry.host());
    let run = run_as(&image, "basic-pw-77", &["--push"], home.path());
    assert_eq!(run.verdict("authentication"), "ok", "{}", run.stdout);
    assert_eq!(run.verdict("pull"), "ok", "{}", run.stdout);
    assert_ne!(run.verdict("push"), "ok", "{}", run.stdout);
    assert_ne!(run.code, 0);
    let push = run.step("push").to_string();
    assert!(push.contains("read-only"), "{push}");
    assert!(run.fix("push").contains("read-only mode"), "{}", run.fix("push"));
    golden("basic_read_only_registry_push", &run, &image, "basic-pw-77", &["--push"], home.path());
}
