//! `regauth login` and `regauth logout` against the real registry and the tests' token server (spec-style
//! and Docker Hub-style), storing in the kernel keyring through docker-credential-regauth-keyutils (one
//! namespace per test, emptied by a guard), then read by the real Docker CLI and skopeo. No secret in
//! any output.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use support::bed::{Run, TokenBed};
use support::command::clean;
use support::helpers::{call, path};
use support::keyutils::{helper, KeyutilsNamespace};
use support::leaks::assert_absent;
use support::registry::{basic, push_image, Auth, Registry};
use support::token_server::{Policy, Style, User};

const READER: &str = "reader";
const READER_PW: &str = "reader-pw-Qx81vLm";
const WRITER: &str = "writer";
const WRITER_PW: &str = "writer-pw-Zk40aPo";

fn bed(style: Style) -> Option<TokenBed> {
    let policy = Policy::new(style)
        .user(READER, User::new(READER_PW, &[("team/app", &["pull"]), ("me/*", &["pull"])]))
        .user(WRITER, User::new(WRITER_PW, &[("team/app", &["pull", "push"]), ("me/*", &["pull", "push"])]));
    TokenBed::start(policy, "/token", "test-registry")
}

/// regauth with a cleared environment: HOME, DOCKER_CONFIG under `home`, our helpers first on PATH, the
/// test's keyring namespace.
fn regauth(args: &[&str], stdin: &str, home: &Path, namespace: &str) -> Run {
    let mut command = support::command::regauth();
    command
        .args(args)
        .env("HOME", home)
        .env("DOCKER_CONFIG", home.join(".docker"))
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .env("REGAUTH_CERTS_D", home.join("certs.d"))
        .env("REGAUTH_KEYUTILS_NAMESPACE", namespace)
        .env("NO_COLOR", "1")
        .env("PATH", path());
    run_captured(command, stdin)
}

fn run_captured(mut command: Command, stdin: &str) -> Run {
    let mut child =
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// What the keyring holds under `key`: (username, secret).
fn stored(namespace: &str, key: &str) -> Option<(String, String)> {
    let answer = call(helper(namespace), "get", key);
    if answer.code != 0 {
        assert_eq!(answer.stdout.trim(), "credentials not found in native keychain", "{answer:?}");
        return None;
    }
    let creds: serde_json::Value = serde_json::from_str(&answer.stdout).unwrap();
    Some((creds["Username"].as_str().unwrap().to_owned(), creds["Secret"].as_str().unwrap().to_owned()))
}

fn config_text(home: &Path) -> String {
    std::fs::read_to_string(home.join(".docker/config.json")).unwrap_or_default()
}

fn docker(home: &Path, namespace: &str, args: &[&str]) -> Output {
    let mut command = clean("docker");
    command
        .args(args)
        .env("HOME", home)
        .env("DOCKER_CONFIG", home.join(".docker"))
        .env("PATH", path())
        .env("REGAUTH_KEYUTILS_NAMESPACE", namespace)
        .env("DOCKER_HOST", format!("unix://{}", home.join("no-daemon.sock").display()));
    command.output().unwrap()
}

fn skopeo(home: &Path, namespace: &str, args: &[&str]) -> Output {
    let mut command = clean("skopeo");
    command
        .args(args)
        .arg("--authfile")
        .arg(home.join(".docker/config.json"))
        .env("PATH", path())
        .env("REGAUTH_KEYUTILS_NAMESPACE", namespace)
        .env("HOME", home)
        .env("XDG_RUNTIME_DIR", home.join("run"));
    command.output().unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn read_only_is_reported_before_storing(style: Style, name: &str) {
    let Some(bed) = bed(style) else { return };
    let guard = KeyutilsNamespace::new(name);
    let home = tempfile::tempdir().unwrap();
    let host = bed.registry.host();

    let run = regauth(
        &["login", &host, "-u", READER, "--password-stdin", "--repo", "team/app:v1", "--json"],
        READER_PW,
        home.path(),
        &guard.name,
    );
    assert_eq!(run.code, 0, "{}", run.all_output());
    let json = run.json();
    let repo = &json["repositories"][0];
    assert_eq!(repo["repository"], "team/app");
    assert_eq!(repo["pull"], "yes", "{json:#}");
    assert_eq!(repo["push"], "no", "{json:#}");
    assert_eq!(repo["verdict"], "authorizationDenied");
    assert!(repo["reason"].as_str().unwrap().contains("push"), "{json:#}");
    assert_eq!(json["readOnly"], serde_json::json!(["team/app"]));
    assert_eq!(json["authentication"]["method"], "bearer");
    assert_eq!(json["stored"]["helper"], "regauth-keyutils");

    // Text: the read-only line comes before the line that says where it was stored.
    let run = regauth(
        &["login", &host, "-u", READER, "--password-stdin", "--repo", "team/app"],
        READER_PW,
        home.path(),
        &guard.name,
    );
    assert_eq!(run.code, 0, "{}", run.all_output());
    let read_only = run.stdout.find("read-only: this credential may pull but not push team/app").unwrap();
    let stored_at = run.stdout.find("stored: in docker-credential-regauth-keyutils").unwrap();
    assert!(read_only < stored_at, "{}", run.stdout);
    assert!(run.stdout.contains("team/app: pull yes, push NO"), "{}", run.stdout);

    // A writer is not read-only.
    let run = regauth(
        &["login", &host, "-u", WRITER, "--password-stdin", "--repo", "team/app", "--json"],
        WRITER_PW,
        home.path(),
        &guard.name,
    );
    assert_eq!(run.code, 0, "{}", run.all_output());
    assert_eq!(run.json()["repositories"][0]["push"], "yes");
    assert_eq!(run.json()["readOnly"], serde_json::json!([]));
    let (_, token) = stored(&guard.name, &host).unwrap();
    assert_absent(
        &[("output", &run.all_output()), ("config", &config_text(home.path()))],
        &[(READER, READER_PW), (WRITER, WRITER_PW), ("<token>", &token)],
    );
}

#[test]
fn pull_only_credential_is_read_only_with_spec_token_server() {
    read_only_is_reported_before_storing(Style::Spec, "login-spec");
}

#[test]
fn pull_only_credential_is_read_only_with_docker_hub_token_server() {
    read_only_is_reported_before_storing(Style::DockerHub, "login-hub");
}

/// The seed's case at login: a repository that does not exist yet in the user's own namespace, with a
/// read-only token (Docker Hub's style: the push-scoped token request is refused) and a read-write one.
#[test]
fn a_new_repository_is_read_only_for_a_read_only_token_and_creatable_for_a_writer() {
    let Some(bed) = bed(Style::DockerHub) else { return };
    let guard = KeyutilsNamespace::new("login-new-repo");
    let home = tempfile::tempdir().unwrap();
    let host = bed.registry.host();
    let login = |user: &str, password: &str| {
        let args = ["login", &host, "-u", user, "--password-stdin", "--repo", "me/new-app", "--json"];
        regauth(&args, password, home.path(), &guard.name)
    };
    let run = login(READER, READER_PW);
    assert_eq!(run.code, 0, "{}", run.all_output());
    let json = run.json();
    assert_eq!(json["repositories"][0]["push"], "no", "{json:#}");
    assert_eq!(json["readOnly"], serde_json::json!(["me/new-app"]), "{json:#}");
    let run = login(WRITER, WRITER_PW);
    assert_eq!(run.code, 0, "{}", run.all_output());
    let json = run.json();
    assert_eq!(json["repositories"][0]["push"], "yes", "{json:#}");
    assert_eq!(json["readOnly"], serde_json::json!([]), "{json:#}");
}

/// No helper configured: the credential (an identity token, which the token service hands out for
/// offline_token=true) lands in the kernel keyring, credHelpers is set, config.json holds no secret; the
/// Docker CLI then reads it through the helper (refreshing through POST). logout removes it; the Docker CLI then reads
/// nothing; a second logout has nothing to remove.
#[test]
fn login_stores_in_the_keyring_clients_read_it_and_logout_removes_it() {
    let Some(_) = support::need_program("docker") else { return };
    let Some(bed) = bed(Style::Spec) else { return };
    let guard = KeyutilsNamespace::new("login-clients");
    let ns = &guard.name;
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".docker")).unwrap();
    std::fs::write(home.path().join(".docker/config.json"), "{\n\t\"x-unknown\": {\"kept\": true}\n}\n")
        .unwrap();
    let host = bed.registry.host();
    let image = format!("{host}/team/app:v1");

    let login = regauth(&["login", &host, "-u", READER, "--password-stdin"], READER_PW, home.path(), ns);
    assert_eq!(login.code, 0, "{}", login.all_output());
    assert!(login.stdout.contains("Login Succeeded"), "{}", login.stdout);
    assert!(login
        .stdout
        .contains(&format!("configured: credHelpers.{host}: (none) -> \"regauth-keyutils\"")));
    assert!(login.stdout.contains("no helper was configured"), "{}", login.stdout);
    let (username, identity_token) = stored(ns, &host).expect("stored in the keyring");
    assert_eq!(username, "<token>", "an identity token is stored as <token>");
    assert_ne!(identity_token, READER_PW);
    let config: serde_json::Value = serde_json::from_str(&config_text(home.path())).unwrap();
    assert_eq!(config["credHelpers"][&host], "regauth-keyutils");
    assert_eq!(config["x-unknown"]["kept"], true);
    assert!(config.get("auths").is_none_or(|a| a.as_object().unwrap().is_empty()), "{config}");

    let out = docker(home.path(), ns, &["manifest", "inspect", "--insecure", &image]);
    assert!(out.status.success(), "docker manifest inspect: {}", text(&out));
    let out =
        skopeo(home.path(), ns, &["inspect", "--raw", "--tls-verify=false", &format!("docker://{image}")]);
    assert!(out.status.success(), "skopeo inspect: {}", text(&out));
    // The token service saw the identity token come back from both clients (they refresh through POST).
    let refreshes = bed.tokens.log().iter().filter(|l| *l == "POST refresh_token").count();
    assert!(refreshes >= 2, "{:?}", bed.tokens.log());

    // A bearer token fetched with the stored credential is cached; logout forgets it with the credential.
    let token = regauth(&["token", &image], "", home.path(), ns);
    assert_eq!(token.code, 0, "{}", token.all_output());
    let cached = |home: &Path| regauth(&["cache", "list", "--json"], "", home, ns).json()["entries"].clone();
    assert!(cached(home.path()).as_array().unwrap().iter().any(|e| e["registry"] == host.as_str()));

    let logout = regauth(&["logout", &host, "--json"], "", home.path(), ns);
    assert_eq!(logout.code, 0, "{}", logout.all_output());
    assert!(logout.json()["forgottenTokens"].as_u64().unwrap() >= 1, "{}", logout.stdout);
    assert!(!cached(home.path()).as_array().unwrap().iter().any(|e| e["registry"] == host.as_str()));
    let removed = logout.json()["removed"].clone();
    assert!(removed.as_array().unwrap().iter().any(|r| r["key"] == host.as_str() && r["place"] == "helper"));
    assert_eq!(stored(ns, &host), None);
    let out = docker(home.path(), ns, &["manifest", "inspect", "--insecure", &image]);
    assert!(!out.status.success(), "docker still read a credential: {}", text(&out));

    let again = regauth(&["logout", &host], "", home.path(), ns);
    assert_eq!(again.code, 0, "{}", again.all_output());
    assert!(again.stdout.contains("nothing to remove"), "{}", again.stdout);
    assert_absent(
        &[
            ("login", &login.all_output()),
            ("logout", &logout.all_output()),
            ("config", &config_text(home.path())),
        ],
        &[(READER, READER_PW), ("<token>", &identity_token)],
    );
}

/// logout erases every variant docker, nerdctl and podman use, from the helper and from auths of
/// config.json and containers' auth.json.
#[test]
fn logout_removes_every_key_variant() {
    let guard = KeyutilsNamespace::new("logout-variants");
    let ns = &guard.name;
    let home = tempfile::tempdir().unwrap();
    let host = "reg.example.test:5000";
    let variants = [host.to_owned(), format!("https://{host}"), format!("http://{host}")];
    for url in &variants {
        let input = format!(r#"{{"ServerURL":"{url}","Username":"u","Secret":"variant-secret-9"}}"#);
        assert_eq!(call(helper(ns), "store", &input).code, 0);
    }
    let auths = format!(
        r#"{{"auths":{{"{host}":{{"auth":"dTpwYXNzd29yZDE="}},"https://{host}/v1/":{{"auth":"dTpwYXNzd29yZDE="}},"other.test":{{"auth":"dTpw"}}}},"credHelpers":{{"{host}":"regauth-keyutils"}}}}"#
    );
    std::fs::create_dir_all(home.path().join(".docker")).unwrap();
    std::fs::write(home.path().join(".docker/config.json"), &auths).unwrap();
    std::fs::create_dir_all(home.path().join("run/containers")).unwrap();
    std::fs::write(
        home.path().join("run/containers/auth.json"),
        format!(r#"{{"auths":{{"{host}":{{"auth":"dTpwYXNzd29yZDE="}},"{host}/team":{{"auth":"dTpw"}}}}}}"#),
    )
    .unwrap();

    let run = regauth(&["logout", host, "--json"], "", home.path(), ns);
    assert_eq!(run.code, 0, "{}", run.all_output());
    let removed = run.json()["removed"].as_array().unwrap().len();
    assert_eq!(removed, 3 + 2 + 2, "{}", run.stdout);
    for url in &variants {
        assert_eq!(stored(ns, url), None, "{url}");
    }
    let config: serde_json::Value = serde_json::from_str(&config_text(home.path())).unwrap();
    assert_eq!(config["credHelpers"][host], "regauth-keyutils", "credHelpers stay for the next login");
    assert_eq!(config["auths"].as_object().unwrap().keys().collect::<Vec<_>>(), ["other.test"]);
    let containers = std::fs::read_to_string(home.path().join("run/containers/auth.json")).unwrap();
    assert!(!containers.contains(host), "{containers}");
    let again = regauth(&["logout", host], "", home.path(), ns);
    assert!(again.stdout.contains("nothing to remove"), "{}", again.stdout);
}

/// A Basic-auth registry gives no identity token: the password itself is stored, under the username, and
/// the Docker CLI and skopeo read it through the helper. A wrong password stores nothing (exit 4).
#[test]
fn basic_registry_stores_the_password_and_clients_read_it() {
    let Some(registry) = Registry::start(Auth::Htpasswd(vec![(WRITER.into(), WRITER_PW.into())]), None)
    else {
        return;
    };
    let client = reqwest::blocking::Client::new();
    push_image(&client, &registry.base_url(), "team/app", "v1", Some(&basic(WRITER, WRITER_PW)));
    let guard = KeyutilsNamespace::new("login-basic");
    let home = tempfile::tempdir().unwrap();
    let host = registry.host();

    let wrong = regauth(
        &["login", &host, "-u", WRITER, "--password-stdin"],
        "wrong-pw-1234",
        home.path(),
        &guard.name,
    );
    assert_eq!(wrong.code, 4, "{}", wrong.all_output());
    assert!(wrong.stderr.contains("refused"), "{}", wrong.stderr);
    assert_eq!(stored(&guard.name, &host), None);
    assert!(!home.path().join(".docker/config.json").exists(), "nothing is written for a rejected login");

    let run = regauth(
        &["login", &host, "-u", WRITER, "--password-stdin", "--repo", "team/app:v1", "--json"],
        WRITER_PW,
        home.path(),
        &guard.name,
    );
    assert_eq!(run.code, 0, "{}", run.all_output());
    assert_eq!(run.json()["authentication"]["method"], "basic");
    assert_eq!(run.json()["repositories"][0]["push"], "yes");
    assert_eq!(stored(&guard.name, &host), Some((WRITER.to_owned(), WRITER_PW.to_owned())));
    assert!(!config_text(home.path()).contains("\"auth\""));
    let image = format!("{host}/team/app:v1");
    let mut clients = String::new();
    if support::need_program("docker").is_some() {
        let out = docker(home.path(), &guard.name, &["manifest", "inspect", "--insecure", &image]);
        assert!(out.status.success(), "docker manifest inspect: {}", text(&out));
        clients.push_str(&text(&out));
    }
    if support::need_program("skopeo").is_some() {
        let out = skopeo(
            home.path(),
            &guard.name,
            &["inspect", "--tls-verify=false", &format!("docker://{image}")],
        );
        assert!(out.status.success(), "skopeo inspect: {}", text(&out));
        clients.push_str(&text(&out));
    }
    assert_absent(
        &[
            ("run", &run.all_output()),
            ("wrong", &wrong.all_output()),
            ("config", &config_text(home.path())),
            ("clients", &clients),
        ],
        &[(WRITER, WRITER_PW), (WRITER, "wrong-pw-1234")],
    );
}

/// --plaintext writes auths, with a warning; no helper is touched.
#[test]
fn plaintext_only_when_asked_with_a_warning() {
    let Some(registry) = Registry::start(Auth::Htpasswd(vec![(WRITER.into(), WRITER_PW.into())]), None)
    else {
        return;
    };
    let guard = KeyutilsNamespace::new("login-plain");
    let home = tempfile::tempdir().unwrap();
    let host = registry.host();
    let run = regauth(
        &["login", &host, "-u", WRITER, "--password-stdin", "--plaintext"],
        WRITER_PW,
        home.path(),
        &guard.name,
    );
    assert_eq!(run.code, 0, "{}", run.all_output());
    assert!(run.stderr.contains("unencrypted"), "{}", run.stderr);
    let config: serde_json::Value = serde_json::from_str(&config_text(home.path())).unwrap();
    assert!(config["auths"][&host]["auth"].is_string());
    assert!(config.get("credHelpers").is_none());
    assert_eq!(stored(&guard.name, &host), None);
    assert_absent(&[("run", &run.all_output())], &[(WRITER, WRITER_PW)]);
}

/// The helper the config names is used, and config.json is not changed.
#[test]
fn a_configured_helper_is_used_and_the_config_left_alone() {
    let Some(registry) = Registry::start(Auth::Htpasswd(vec![(WRITER.into(), WRITER_PW.into())]), None)
    else {
        return;
    };
    let guard = KeyutilsNamespace::new("login-configured");
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".docker")).unwrap();
    let original = "{\"credsStore\": \"regauth-keyutils\", \"z\": [1]}";
    std::fs::write(home.path().join(".docker/config.json"), original).unwrap();
    let host = registry.host();
    let run = regauth(
        &["login", &host, "-u", WRITER, "--password-stdin", "--json"],
        WRITER_PW,
        home.path(),
        &guard.name,
    );
    assert_eq!(run.code, 0, "{}", run.all_output());
    assert!(run.json()["stored"]["chosenBecause"].as_str().unwrap().contains("credsStore"));
    assert_eq!(config_text(home.path()), original);
    assert_eq!(stored(&guard.name, &host), Some((WRITER.to_owned(), WRITER_PW.to_owned())));
}
