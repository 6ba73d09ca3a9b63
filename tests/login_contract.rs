//! `login` and `logout` as users of docker and podman expect (issue 20, point 2): no registry means Docker
//! Hub; `--authfile` / `REGISTRY_AUTH_FILE` write containers' auth.json as podman does (skopeo reads it);
//! `--token-stdin`; `-p` refused with the way to do it; a malformed config stops the login before the
//! network; warnings before a useless or risky write; `logout --all`. Against the real registry
//! (htpasswd), storing through docker-credential-regauth-keyutils in a namespace of the test's own.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use support::bed::Run;
use support::helpers::{call, path};
use support::http_server::{Response, Server};
use support::keyutils::{helper, KeyutilsNamespace};
use support::leaks::assert_absent;
use support::registry::{basic, push_image, Auth, Registry};

const ALICE: &str = "alice";
const ALICE_PW: &str = "alice-pw-Hq27xNc";
const BOB: &str = "bob";
const BOB_PW: &str = "bob-pw-Lm93tRw";
/// A token-only registry account: any username would do for such registries; htpasswd needs one.
const TOKEN: &str = "tok-Vb81pQz0aa";

fn registry() -> Option<Registry> {
    let registry = Registry::start(
        Auth::Htpasswd(vec![
            (ALICE.into(), ALICE_PW.into()),
            (BOB.into(), BOB_PW.into()),
            ("token".into(), TOKEN.into()),
        ]),
        None,
    )?;
    let client = reqwest::blocking::Client::new();
    push_image(&client, &registry.base_url(), "team/app", "v1", Some(&basic(ALICE, ALICE_PW)));
    Some(registry)
}

fn regauth_with(args: &[&str], stdin: &str, home: &Path, namespace: &str, env: &[(&str, String)]) -> Run {
    let mut command = support::command::regauth();
    command
        .args(args)
        .env("HOME", home)
        .env("DOCKER_CONFIG", home.join(".docker"))
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .env("REGAUTH_CERTS_D", home.join("certs.d"))
        .env("REGAUTH_KEYUTILS_NAMESPACE", namespace)
        .env("PATH", path());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child =
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn regauth(args: &[&str], stdin: &str, home: &Path, namespace: &str) -> Run {
    regauth_with(args, stdin, home, namespace, &[])
}

fn stored(namespace: &str, key: &str) -> Option<String> {
    let answer = call(helper(namespace), "get", key);
    let creds: serde_json::Value = serde_json::from_str(&answer.stdout).ok()?;
    Some(creds["Username"].as_str()?.to_owned())
}

fn docker_config(home: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(home.join(".docker/config.json")).unwrap_or_else(|_| "{}".into());
    serde_json::from_str(&text).unwrap()
}

fn write_docker_config(home: &Path, text: &str) {
    std::fs::create_dir_all(home.join(".docker")).unwrap();
    std::fs::write(home.join(".docker/config.json"), text).unwrap();
}

/// A proxy that records what it is asked to reach and refuses: proves where a login goes without any
/// packet leaving the machine.
fn recording_proxy() -> (Server, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let server = Server::start(move |req| {
        log.lock().unwrap().push(format!("{} {}", req.method, req.target));
        Response { status: 403, body: String::new(), headers: Vec::new() }
    });
    (server, seen)
}

#[test]
fn login_and_logout_without_a_registry_mean_docker_hub() {
    let guard = KeyutilsNamespace::new("contract-hub");
    let home = tempfile::tempdir().unwrap();
    let (proxy, seen) = recording_proxy();
    let proxy_url = format!("http://127.0.0.1:{}", proxy.port);
    let env = [("HTTPS_PROXY", proxy_url.clone()), ("HTTP_PROXY", proxy_url)];
    let run = regauth_with(
        &["login", "-u", ALICE, "--password-stdin", "--json"],
        ALICE_PW,
        home.path(),
        &guard.name,
        &env,
    );
    assert_eq!(run.code, 8, "the proxy refuses, so Docker Hub cannot be reached: {}", run.stderr);
    assert_eq!(run.json()["registry"], "docker.io");
    let seen = seen.lock().unwrap().clone();
    assert!(
        !seen.is_empty() && seen.iter().all(|s| s.starts_with("CONNECT ") && s.contains("docker.io:443")),
        "{seen:?}"
    );
    // logout without a registry: Docker Hub's key goes.
    write_docker_config(
        home.path(),
        r#"{"auths": {"https://index.docker.io/v1/": {"auth": "YTpi"}, "ghcr.io": {"auth": "YTpi"}}}"#,
    );
    let run = regauth(&["logout", "--json"], "", home.path(), &guard.name);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["registry"], "docker.io");
    let auths = docker_config(home.path())["auths"].as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(auths, ["ghcr.io"]);
}

#[test]
fn a_malformed_config_stops_the_login_before_the_network_and_is_kept() {
    let guard = KeyutilsNamespace::new("contract-malformed");
    let home = tempfile::tempdir().unwrap();
    let asked = Arc::new(Mutex::new(0));
    let counter = asked.clone();
    let server = Server::start(move |_| {
        *counter.lock().unwrap() += 1;
        Response { status: 200, body: "{}".into(), headers: Vec::new() }
    });
    let bytes = "{\"auths\": {\"ghcr.io\": {\"auth\": \"YTpi\"}},, }";
    write_docker_config(home.path(), bytes);
    let host = format!("127.0.0.1:{}", server.port);
    let run = regauth(&["login", &host, "-u", ALICE, "--password-stdin"], ALICE_PW, home.path(), &guard.name);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("config.json"), "names the file: {}", run.stderr);
    assert_eq!(*asked.lock().unwrap(), 0, "the registry was asked before the config was checked");
    assert_eq!(std::fs::read_to_string(home.path().join(".docker/config.json")).unwrap(), bytes);
}

#[test]
fn a_password_flag_is_refused_with_the_way_to_do_it() {
    let home = tempfile::tempdir().unwrap();
    for args in [
        &["login", "ghcr.io", "-u", ALICE, "-p", ALICE_PW][..],
        &["login", "ghcr.io", "--password", ALICE_PW],
    ] {
        let run = regauth(args, "", home.path(), "none");
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains("use --password-stdin"), "{}", run.stderr);
        assert_absent(&[("stderr", &run.stderr)], &[(ALICE, ALICE_PW)]);
    }
}

#[test]
fn token_stdin_logs_in_with_any_username() {
    let Some(registry) = registry() else { return };
    let guard = KeyutilsNamespace::new("contract-token");
    let home = tempfile::tempdir().unwrap();
    let host = registry.host();
    let run = regauth(&["login", &host, "--token-stdin", "--json"], TOKEN, home.path(), &guard.name);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.json()["username"], "token");
    assert_eq!(stored(&guard.name, &host).as_deref(), Some("token"));
    assert_absent(&[("run", &format!("{}{}", run.stdout, run.stderr))], &[("token", TOKEN)]);
}

/// `--authfile` (and REGISTRY_AUTH_FILE) write containers' auth.json under the bare host, as podman
/// login and skopeo login do; skopeo then reads the credential from it. docker's config.json is not
/// touched.
#[test]
fn authfile_writes_containers_auth_json_as_podman_does() {
    let Some(registry) = registry() else { return };
    let guard = KeyutilsNamespace::new("contract-authfile");
    let home = tempfile::tempdir().unwrap();
    let host = registry.host();
    let ours = home.path().join("ours.json");
    let run = regauth(
        &[
            "login",
            &host,
            "-u",
            ALICE,
            "--password-stdin",
            "--plaintext",
            "--authfile",
            ours.to_str().unwrap(),
        ],
        ALICE_PW,
        home.path(),
        &guard.name,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&ours).unwrap()).unwrap();
    assert!(!home.path().join(".docker/config.json").exists(), "docker's config was written");
    if let Some(skopeo) = support::need_program("skopeo") {
        // skopeo login (containers/image, as podman) writes the same shape.
        let theirs = home.path().join("theirs.json");
        let mut child = support::command::clean(&skopeo)
            .args(["login", "--tls-verify=false", "-u", ALICE, "--password-stdin", "--authfile"])
            .arg(&theirs)
            .arg(&host)
            .env("HOME", home.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(ALICE_PW.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "skopeo login: {}", String::from_utf8_lossy(&out.stderr));
        let theirs: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&theirs).unwrap()).unwrap();
        assert_eq!(written["auths"][&host]["auth"], theirs["auths"][&host]["auth"], "{written} vs {theirs}");
    }
    assert!(written["auths"][&host]["auth"].is_string(), "{written}");

    // REGISTRY_AUTH_FILE, into a helper: credHelpers[host] in that file, the secret in the keyring.
    let env_file = home.path().join("env-auth.json");
    let env = [("REGISTRY_AUTH_FILE", env_file.display().to_string())];
    let run = regauth_with(
        &["login", &host, "-u", ALICE, "--password-stdin"],
        ALICE_PW,
        home.path(),
        &guard.name,
        &env,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&env_file).unwrap()).unwrap();
    assert_eq!(written["credHelpers"][&host], "regauth-keyutils", "{written}");
    assert_eq!(stored(&guard.name, &host).as_deref(), Some(ALICE));
    assert!(!home.path().join(".docker/config.json").exists(), "docker's config was written");
    if let Some(skopeo) = support::need_program("skopeo") {
        let out = support::command::clean(&skopeo)
            .args(["inspect", "--tls-verify=false", "--authfile"])
            .arg(&env_file)
            .arg(format!("docker://{host}/team/app:v1"))
            .env("HOME", home.path())
            .env("PATH", path())
            .env("REGAUTH_KEYUTILS_NAMESPACE", &guard.name)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "skopeo inspect through the helper: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Said before the write: a plaintext entry that credHelpers shadows, and another user's credential
/// being replaced (in a helper and in a file).
#[test]
fn warnings_before_a_useless_or_risky_write() {
    let Some(registry) = registry() else { return };
    let guard = KeyutilsNamespace::new("contract-warn");
    let home = tempfile::tempdir().unwrap();
    let host = registry.host();
    let login = |user: &str, pw: &str, extra: &[&str]| {
        let mut args = vec!["login", &host, "-u", user, "--password-stdin", "--json"];
        args.extend_from_slice(extra);
        let run = regauth(&args, pw, home.path(), &guard.name);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.json()["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert!(login(ALICE, ALICE_PW, &[]).iter().all(|w| !w.contains("replaced")));
    let replaced = login(BOB, BOB_PW, &[]);
    assert!(
        replaced.iter().any(|w| w.contains("holds alice's credential") && w.contains("replaced by bob's")),
        "{replaced:?}"
    );
    // credHelpers now names the keyring for the registry: a plaintext entry would never be read.
    let shadowed = login(ALICE, ALICE_PW, &["--plaintext"]);
    assert!(
        shadowed.iter().any(|w| w.contains("credHelpers") && w.contains("will not be used")),
        "{shadowed:?}"
    );
    let replaced = login(BOB, BOB_PW, &["--plaintext"]);
    assert!(replaced.iter().any(|w| w.contains("holds alice's credential")), "{replaced:?}");
    // Text mode says them on stderr.
    let run = regauth(&["login", &host, "-u", ALICE, "--password-stdin"], ALICE_PW, home.path(), &guard.name);
    assert!(
        run.stderr.contains("regauth: warning:") && run.stderr.contains("bob's credential"),
        "{}",
        run.stderr
    );
}

#[test]
fn logout_all_empties_every_registry_of_the_files_and_the_store() {
    let Some(registry) = registry() else { return };
    let guard = KeyutilsNamespace::new("contract-all");
    let home = tempfile::tempdir().unwrap();
    let host = registry.host();
    let run = regauth(&["login", &host, "-u", ALICE, "--password-stdin"], ALICE_PW, home.path(), &guard.name);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // A plaintext entry of another registry, and a credsStore entry no file names.
    let mut config = docker_config(home.path());
    config["auths"] = serde_json::json!({"other.example": {"auth": "YTpi"}});
    config["credsStore"] = "regauth-keyutils".into();
    write_docker_config(home.path(), &serde_json::to_string(&config).unwrap());
    let answer = call(
        helper(&guard.name),
        "store",
        r#"{"ServerURL":"third.example","Username":"c","Secret":"s3cr3t-x"}"#,
    );
    assert_eq!(answer.code, 0, "{answer:?}");

    let run = regauth(&["logout", "--all", "--json"], "", home.path(), &guard.name);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    assert_eq!(json["registry"], serde_json::Value::Null);
    let registries: Vec<&str> =
        json["registries"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    for r in [host.as_str(), "other.example", "third.example"] {
        assert!(registries.contains(&r), "{r} missing from {registries:?}");
    }
    assert_eq!(stored(&guard.name, &host), None);
    assert_eq!(stored(&guard.name, "third.example"), None);
    assert!(docker_config(home.path())["auths"].as_object().is_none_or(|a| a.is_empty()));
    // Twice: nothing left to remove.
    let run = regauth(&["logout", "--all"], "", home.path(), &guard.name);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("nothing to remove"), "{}", run.stdout);
}

/// podman's and skopeo's spellings, where users type them: --tls-verify=false is --insecure, and
/// --cert-dir DIR trusts the *.crt files of DIR. Against the real registry on TLS with a private CA.
#[test]
fn podman_spellings_tls_verify_and_cert_dir() {
    use support::certs::server_certs;
    use support::registry::Tls;
    let pki = tempfile::tempdir().unwrap();
    let certs = server_certs(pki.path());
    let tls = Tls { certificate: certs.certificate.clone(), key: certs.key.clone() };
    let Some(registry) = Registry::start(Auth::Htpasswd(vec![(ALICE.into(), ALICE_PW.into())]), Some(tls))
    else {
        return;
    };
    let ca = reqwest::Certificate::from_pem(&std::fs::read(&certs.ca).unwrap()).unwrap();
    let client = reqwest::blocking::Client::builder().add_root_certificate(ca).build().unwrap();
    push_image(&client, &registry.base_url(), "team/app", "v1", Some(&basic(ALICE, ALICE_PW)));
    let home = tempfile::tempdir().unwrap();
    let cert_dir = pki.path().join("registry-certs");
    std::fs::create_dir(&cert_dir).unwrap();
    std::fs::copy(&certs.ca, cert_dir.join("ca.crt")).unwrap();
    let image = format!("{}/team/app:v1", registry.host());
    let diagnose = |extra: &[&str]| {
        let mut args = vec!["diagnose", &image, "-u", ALICE, "--password-stdin", "--json"];
        args.extend_from_slice(extra);
        regauth(&args, ALICE_PW, home.path(), "none")
    };
    let untrusted = diagnose(&[]);
    assert_eq!(untrusted.code, 8, "a private CA is not trusted without being named: {}", untrusted.stderr);
    let verified = diagnose(&["--cert-dir", cert_dir.to_str().unwrap()]);
    assert_eq!(verified.code, 0, "--cert-dir: {}{}", verified.stdout, verified.stderr);
    let unverified = diagnose(&["--tls-verify=false"]);
    assert_eq!(unverified.code, 0, "--tls-verify=false: {}{}", unverified.stdout, unverified.stderr);
    let verify = diagnose(&["--tls-verify=true"]);
    assert_eq!(verify.code, 8, "--tls-verify=true verifies: {}", verify.stderr);
    let both = diagnose(&["--tls-verify=true", "--insecure"]);
    assert_eq!(both.code, 2, "{}", both.stderr);
}
