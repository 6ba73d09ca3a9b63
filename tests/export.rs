//! `regauth export` against the real registry and token server: the credential comes from docker's config
//! (`auths`, or a helper through `credsStore`), is probed first, and the document it writes is read by its
//! real consumers: the API server's own decoding and validation and the kubelet's keyring
//! (tests/go/kubelet), and skopeo for an auth.json. No secret in any other output.

mod support;

use base64::Engine;
use serde_json::{json, Value};
use std::io::Write;
use std::process::Stdio;
use support::bed::{regauth, write_docker_config, Run, TokenBed};
use support::kubectl::kubelet_view;
use support::leaks::assert_absent;
use support::token_server::{Policy, Style, User};

const ALICE: (&str, &str) = ("alice", "alice-export-pw-1");
const CAROL: (&str, &str) = ("carol", "carol-export-pw-2");

fn bed() -> Option<TokenBed> {
    let policy = Policy::new(Style::Spec)
        .user(ALICE.0, User::new(ALICE.1, &[("team/app", &["pull", "push"])]))
        .user(CAROL.0, User::new(CAROL.1, &[("team/app", &["pull"])]));
    TokenBed::start(policy, "/token", "test-registry")
}

fn basic(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

/// A HOME whose docker config holds `user`'s credential for the bed's registry in `auths`.
fn home_with(bed: &TokenBed, (user, password): (&str, &str)) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    write_docker_config(
        home.path(),
        &json!({"auths": {bed.registry.host(): {"auth": basic(user, password)}}}),
    );
    home
}

fn no_leak(run: &Run, secrets: &[(&str, &str)]) {
    assert_absent(&[("stderr", &run.stderr)], secrets);
}

#[test]
fn an_exported_pull_secret_is_valid_and_the_kubelet_uses_it_for_the_image() {
    let Some(bed) = bed() else { return };
    let home = home_with(&bed, ALICE);
    let image = bed.image("team/app:v1");
    let run = regauth(&["export", &image, "--name", "regcred", "-n", "shop"], None, home.path(), None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("verified") && run.stderr.contains("user alice may pull"), "{}", run.stderr);
    no_leak(&run, &[ALICE]);
    let manifest: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(manifest["metadata"], json!({"name": "regcred", "namespace": "shop"}));
    let Some(view) = kubelet_view(&manifest, &[&image, "other.example.com/team/app"]) else { return };
    assert_eq!(view["invalid"], json!([]), "the API server would refuse it: {view}");
    let found = &view["images"][0]["credentials"];
    assert_eq!(found, &json!([{"username": ALICE.0, "password": ALICE.1, "secret": "regcred"}]), "{view}");
    assert_eq!(view["images"][1]["credentials"], json!([]), "only the named registry: {view}");
}

#[test]
fn a_credential_from_a_helper_goes_to_a_new_0600_file() {
    use std::os::unix::fs::PermissionsExt;
    let Some(bed) = bed() else { return };
    let home = tempfile::tempdir().unwrap();
    let helpers = home.path().join("helpers");
    std::fs::create_dir(&helpers).unwrap();
    support::write_script(
        &helpers.join("docker-credential-fake"),
        &format!(
            r#"cat >/dev/null; printf '{{"ServerURL":"x","Username":"{}","Secret":"{}"}}'"#,
            ALICE.0, ALICE.1
        ),
    );
    write_docker_config(home.path(), &json!({"credsStore": "fake"}));
    let out = home.path().join("node-config.json");
    let image = bed.image("team/app:v1");
    let args = ["export", &image, "--format", "dockerconfigjson", "-o", out.to_str().unwrap(), "--push"];
    let run = regauth(&args, None, home.path(), Some(support::path_with(&helpers)));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "the document goes to the file only");
    assert!(run.stderr.contains("may pull and push"), "{}", run.stderr);
    no_leak(&run, &[ALICE]);
    assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
    let config: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let entry = &config["auths"][bed.registry.host()];
    assert_eq!((entry["username"].as_str(), entry["password"].as_str()), (Some(ALICE.0), Some(ALICE.1)));
    // Never over an existing file.
    let again = regauth(&args, None, home.path(), Some(support::path_with(&helpers)));
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(again.stderr.contains("exists"), "{}", again.stderr);
}

#[test]
fn a_credential_that_fails_its_probe_is_not_written() {
    let Some(bed) = bed() else { return };
    let image = bed.image("team/app:v1");
    // A wrong password: authentication fails, exit 4.
    let wrong = home_with(&bed, ("alice", "not-alices-password-9"));
    let run = regauth(&["export", &image, "--name", "regcred"], None, wrong.path(), None);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stdout.is_empty() && run.stderr.contains("nothing written"), "{}", run.stderr);
    no_leak(&run, &[("alice", "not-alices-password-9")]);
    // carol may pull but not push: fine without --push, exit 5 with it, and no file.
    let home = home_with(&bed, CAROL);
    let out = home.path().join("secret.json");
    let pull = regauth(&["export", &image, "--name", "regcred"], None, home.path(), None);
    assert_eq!(pull.code, 0, "{}", pull.stderr);
    let args = ["export", &image, "--name", "regcred", "--push", "-o", out.to_str().unwrap()];
    let push = regauth(&args, None, home.path(), None);
    assert_eq!(push.code, 5, "{}", push.stderr);
    assert!(!out.exists());
    no_leak(&push, &[CAROL]);
    // Nothing stored for the registry: a local configuration problem.
    let empty = tempfile::tempdir().unwrap();
    let none = regauth(&["export", &image, "--name", "regcred"], None, empty.path(), None);
    assert_eq!(none.code, 3, "{}", none.stderr);
}

#[test]
fn an_exported_auth_json_lets_skopeo_read_the_image() {
    let Some(bed) = bed() else { return };
    let Some(skopeo) = support::need_program("skopeo") else { return };
    let home = home_with(&bed, ALICE);
    let out = home.path().join("auth.json");
    let image = bed.image("team/app:v1");
    let run = regauth(
        &["export", &image, "--format", "auth.json", "-o", out.to_str().unwrap()],
        None,
        home.path(),
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let inspect = support::command::clean(skopeo)
        .env("PATH", support::command::system_path())
        .env("HOME", home.path())
        .args(["inspect", "--raw", "--tls-verify=false", "--authfile", out.to_str().unwrap()])
        .arg(format!("docker://{image}"))
        .output()
        .unwrap();
    assert!(inspect.status.success(), "skopeo: {}", String::from_utf8_lossy(&inspect.stderr));
}

#[test]
fn a_kind_config_mounts_the_exported_file_where_the_nodes_kubelet_reads_it() {
    let Some(bed) = bed() else { return };
    let Some(oracle) = support::go::need_peer("kubelet", "kubelet-oracle") else { return };
    let home = home_with(&bed, ALICE);
    let out = home.path().join("kind creds.json");
    let image = bed.image("team/app:v1");
    let run = regauth(
        &["export", &image, "--format", "kind", "-o", out.to_str().unwrap()],
        None,
        home.path(),
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    no_leak(&run, &[ALICE]);
    assert_absent(&[("kind config", &run.stdout)], &[ALICE]);
    // kind's own v1alpha4 types read the config strictly; the node's kubelet reads the mounted file.
    let input = json!({"config": run.stdout, "images": [&image, "other.example.com/app"]});
    let mut child = support::command::clean(&oracle)
        .arg("kind")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
    let view: Value = serde_json::from_slice(&child.wait_with_output().unwrap().stdout).unwrap();
    assert_eq!(view["invalid"], json!([]), "{view}");
    let node = &view["nodes"][0];
    assert_eq!(node["role"], "control-plane");
    assert_eq!(
        node["images"][0]["credentials"],
        json!([{"username": ALICE.0, "password": ALICE.1}]),
        "{view}"
    );
    assert_eq!(node["images"][1]["credentials"], json!([]));
}

#[test]
fn usage_errors() {
    let home = tempfile::tempdir().unwrap();
    for args in [
        &["export", "reg.example.com/a"][..],
        &["export", "reg.example.com/a", "--name", "Bad_Name"],
        &["export", "reg.example.com/a", "--name", "ok", "-n", "a.b"],
        &["export", "reg.example.com/a", "--format", "auth.json", "--name", "x"],
        &["export", "reg.example.com/a", "--format", "kind"],
    ] {
        let run = regauth(args, None, home.path(), None);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    }
}
