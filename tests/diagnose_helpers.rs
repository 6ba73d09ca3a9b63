//! `regauth diagnose` with the credential docker would take from config.json: a missing or failing
//! credential helper is a local configuration problem (exit 3), named before anything else.

mod diagnose_golden;
mod support;

use support::bed::{regauth, write_docker_config};
use support::registry::{Auth, Registry};

fn registry() -> Option<Registry> {
    Registry::start(Auth::Htpasswd(vec![("alice".into(), "helper-pw-5".into())]), None)
}

#[test]
fn missing_helper_is_local_configuration() {
    let Some(registry) = registry() else { return };
    let home = tempfile::tempdir().unwrap();
    write_docker_config(home.path(), &serde_json::json!({"credHelpers": {registry.host(): "nosuchhelper"}}));
    let image = format!("{}/team/app:v1", registry.host());
    let args = ["diagnose", &image, "--json"];
    let run = regauth(&args, None, home.path(), None);
    assert_eq!(run.code, 3, "{}", run.stdout);
    let cred = run.step("credential");
    assert_eq!(cred["verdict"], "localConfig");
    assert!(cred["summary"].as_str().unwrap().contains("missing"), "{cred}");
    assert!(run.fix("credential").contains("Install docker-credential-nosuchhelper"), "{cred}");
    diagnose_golden::check("helpers_missing_helper", &run, &args, None, home.path(), None);
}

#[test]
fn failing_helper_is_local_configuration() {
    let Some(registry) = registry() else { return };
    let home = tempfile::tempdir().unwrap();
    let bin = home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    support::write_script(&bin.join("docker-credential-broken"), "echo 'keyring is locked' ; exit 1");
    write_docker_config(home.path(), &serde_json::json!({"credsStore": "broken"}));
    let image = format!("{}/team/app:v1", registry.host());
    let args = ["diagnose", &image, "--json"];
    let run = regauth(&args, None, home.path(), Some(support::path_with(&bin)));
    assert_eq!(run.code, 3, "{}", run.stdout);
    let cred = run.step("credential");
    assert_eq!(cred["verdict"], "localConfig");
    assert!(cred["summary"].as_str().unwrap().contains("keyring is locked"), "{cred}");
    assert!(run.fix("credential").contains("docker-credential-broken get"), "{cred}");
    assert_eq!(run.json()["credential"]["source"], "credsStore");
    let path = Some(support::path_with(&bin));
    diagnose_golden::check("helpers_failing_helper", &run, &args, None, home.path(), path);
}

#[test]
fn working_helper_credential_is_used() {
    let Some(registry) = registry() else { return };
    let home = tempfile::tempdir().unwrap();
    let bin = home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let reply = format!(r#"{{"ServerURL":"{}","Username":"alice","Secret":"helper-pw-5"}}"#, registry.host());
    support::write_script(&bin.join("docker-credential-fine"), &format!("cat >/dev/null; echo '{reply}'"));
    write_docker_config(home.path(), &serde_json::json!({"credHelpers": {registry.host(): "fine"}}));
    let image = format!("{}/team/app:v1", registry.host());
    let args = ["diagnose", &image, "--json", "--verbose"];
    let run = regauth(&args, None, home.path(), Some(support::path_with(&bin)));
    // The image was never pushed: authenticated, then the repository is missing.
    assert_eq!(run.code, 6, "{}", run.stdout);
    assert_eq!(run.verdict("credential"), "ok");
    assert_eq!(run.verdict("authentication"), "ok");
    assert!(!run.all_output().contains("helper-pw-5"));
    let path = Some(support::path_with(&bin));
    diagnose_golden::check("helpers_working_helper", &run, &args, None, home.path(), path);
}

#[test]
fn the_client_decides_which_credential_is_probed() {
    let Some(registry) = registry() else { return };
    let home = tempfile::tempdir().unwrap();
    let bin = home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    support::write_script(&bin.join("docker-credential-broken"), "echo 'keyring is locked' ; exit 1");
    let auth = base64_of("alice:helper-pw-5");
    write_docker_config(
        home.path(),
        &serde_json::json!({"credsStore": "broken", "auths": {registry.host(): {"auth": auth}}}),
    );
    let image = format!("{}/team/app:v1", registry.host());
    let path = Some(support::path_with(&bin));
    // docker asks the credsStore helper, which fails.
    let docker_args = ["diagnose", &image, "--json"];
    let docker = regauth(&docker_args, None, home.path(), path.clone());
    assert_eq!(docker.code, 3, "{}", docker.stdout);
    // podman ignores credsStore and uses the auths entry: authenticated (the image was never pushed).
    let podman_args = ["diagnose", &image, "--json", "--client", "podman"];
    let podman = regauth(&podman_args, None, home.path(), path.clone());
    assert_eq!(podman.verdict("credential"), "ok", "{}", podman.stdout);
    assert_eq!(podman.verdict("authentication"), "ok", "{}", podman.stdout);
    assert_eq!(podman.json()["credential"]["client"], "podman");
    assert_eq!(podman.code, 6, "{}", podman.stdout);
    diagnose_golden::check(
        "helpers_docker_asks_the_failing_store",
        &docker,
        &docker_args,
        None,
        home.path(),
        path.clone(),
    );
    diagnose_golden::check("helpers_podman_uses_auths", &podman, &podman_args, None, home.path(), path);
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}
