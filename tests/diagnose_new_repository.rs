//! `regauth diagnose --push` on a repository that does not exist yet (the seed's case: a new repository in
//! the user's own namespace), against the real distribution registry and the tests' token server in each
//! style. A push creates the repository, so a missing repository is not the end: push is probed (nothing
//! written) and the verdict says "may create it" (exit 0) or DENIED (exit 5); on registries that create a
//! repository when merely asked for a push token (Quay, GitLab) it says push cannot be probed.

mod diagnose_golden;
mod support;

use support::bed::{regauth, Run, TokenBed};
use support::token_server::{Policy, Style, User};

const SERVICE: &str = "test-registry";
const NEW: &str = "me/rocky8-test-docker-hub:latest";

/// `me` holds a read-only token for their own namespace, `writer` a read-write one, `stranger` a valid
/// credential with no rights under `me/`.
fn policy(style: Style) -> Policy {
    Policy::new(style)
        .user("me", User::new("read-only-pat-1", &[("me/*", &["pull"])]))
        .user("writer", User::new("read-write-pat-2", &[("me/*", &["pull", "push"])]))
        .user("stranger", User::new("stranger-pw-3", &[("team/app", &["pull"])]))
}

fn args<'a>(image: &'a str, user: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["diagnose", image, "--json", "--username", user, "--password-stdin"];
    args.extend_from_slice(extra);
    args
}

fn diagnose(bed: &TokenBed, user: &str, password: &str, extra: &[&str]) -> Run {
    let home = tempfile::tempdir().unwrap();
    let image = bed.image(NEW);
    regauth(&args(&image, user, extra), Some(password), home.path(), None)
}

/// Compare `run`, made by [`diagnose`] with these arguments, with its golden files (text and JSON).
fn golden(name: &str, run: &Run, bed: &TokenBed, user: &str, password: &str, extra: &[&str]) {
    let home = tempfile::tempdir().unwrap();
    let image = bed.image(NEW);
    diagnose_golden::check(name, run, &args(&image, user, extra), Some(password), home.path(), None);
}

/// The Docker Hub-style token server on 127.0.0.1 is told to be Docker Hub, for Docker Hub's fixes.
const HUB: &[&str] = &["--push", "--registry-type", "dockerhub"];

fn summary(run: &Run, step: &str) -> String {
    run.step(step)["summary"].as_str().unwrap().to_owned()
}

/// The scopes regauth asked the token service for, over the whole run.
fn scopes_asked(run: &Run) -> Vec<String> {
    run.json()["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["scopesAsked"].as_array().cloned().unwrap_or_default())
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

/// The repository is still unknown to the registry: the probe wrote nothing.
fn assert_still_missing(bed: &TokenBed) {
    let token = bed.tokens.mint("admin", &[("me/rocky8-test-docker-hub", &["pull"])]);
    let url = format!("{}/v2/me/rocky8-test-docker-hub/tags/list", bed.registry.base_url());
    let reply = reqwest::blocking::Client::new().get(url).bearer_auth(token).send().unwrap();
    assert_eq!(reply.status().as_u16(), 404, "the probe created the repository: {}", reply.text().unwrap());
}

#[test]
fn docker_hub_read_only_token_on_a_new_repository_is_denied_push_with_the_fix() {
    let Some(bed) = TokenBed::start(policy(Style::DockerHub), "/token", SERVICE) else { return };
    let run = diagnose(&bed, "me", "read-only-pat-1", HUB);
    assert_eq!(run.code, 5, "{}", run.stdout);
    assert_eq!(run.verdict("pull"), "ok", "{}", run.stdout);
    assert!(summary(&run, "pull").contains("does not exist yet"), "{}", run.stdout);
    assert_eq!(run.verdict("push"), "authorizationDenied", "{}", run.stdout);
    assert!(run.step("push").to_string().contains("insufficient scopes"), "{}", run.stdout);
    assert_eq!(run.verdict("authentication"), "ok", "the password is fine: {}", run.stdout);
    assert!(run.fix("push").contains("Read & Write"), "{}", run.stdout);
    assert_still_missing(&bed);
    golden("new_repository_dockerhub_read_only", &run, &bed, "me", "read-only-pat-1", HUB);
}

#[test]
fn docker_hub_read_write_token_may_create_the_new_repository() {
    let Some(bed) = TokenBed::start(policy(Style::DockerHub), "/token", SERVICE) else { return };
    let run = diagnose(&bed, "writer", "read-write-pat-2", HUB);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(summary(&run, "pull").contains("does not exist yet"), "{}", run.stdout);
    assert_eq!(run.verdict("push"), "ok", "{}", run.stdout);
    assert!(summary(&run, "push").contains("may create it by pushing"), "{}", run.stdout);
    assert_still_missing(&bed);
    golden("new_repository_dockerhub_read_write", &run, &bed, "writer", "read-write-pat-2", HUB);
}

#[test]
fn spec_token_server_read_only_grant_on_a_new_repository_is_denied_with_what_was_granted() {
    let Some(bed) = TokenBed::start(policy(Style::Spec), "/token", SERVICE) else { return };
    let run = diagnose(&bed, "me", "read-only-pat-1", &["--push"]);
    assert_eq!(run.code, 5, "{}", run.stdout);
    assert_eq!(run.verdict("push"), "authorizationDenied", "{}", run.stdout);
    assert!(
        run.step("push")["details"].to_string().contains("the token grants [\\\"pull\\\"]"),
        "{}",
        run.stdout
    );
    let writer = diagnose(&bed, "writer", "read-write-pat-2", &["--push"]);
    assert_eq!(writer.code, 0, "{}", writer.stdout);
    assert_still_missing(&bed);
}

/// A credential that may not even read the namespace: pull is refused the way a missing repository is on
/// Docker Hub, so push is probed too, and refused.
#[test]
fn a_credential_without_rights_there_is_denied_push_too() {
    let Some(bed) = TokenBed::start(policy(Style::Spec), "/token", SERVICE) else { return };
    let run = diagnose(&bed, "stranger", "stranger-pw-3", &["--push"]);
    assert_eq!(run.code, 5, "{}", run.stdout);
    assert_eq!(run.verdict("pull"), "authorizationDenied", "{}", run.stdout);
    assert_eq!(run.verdict("push"), "authorizationDenied", "push was not probed: {}", run.stdout);
}

/// Without --push a missing repository is still "not found" (exit 6): pulling it cannot work.
#[test]
fn without_push_a_missing_repository_is_not_found() {
    let Some(bed) = TokenBed::start(policy(Style::Spec), "/token", SERVICE) else { return };
    let run = diagnose(&bed, "writer", "read-write-pat-2", &[]);
    assert_eq!(run.code, 6, "{}", run.stdout);
    assert_eq!(run.verdict("pull"), "notFound", "{}", run.stdout);
    assert!(!scopes_asked(&run).iter().any(|s| s.contains("push")), "{}", run.stdout);
}

/// Harbor (realm /service/token) answers like the spec: the project's robot may create the repository.
#[test]
fn harbor_robot_with_push_may_create_the_new_repository() {
    let Some(bed) = TokenBed::start(policy(Style::Spec), "/service/token", SERVICE) else { return };
    let run = diagnose(&bed, "writer", "read-write-pat-2", &["--push"]);
    assert_eq!(run.json()["registry"]["type"], "harbor", "{}", run.stdout);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let denied = diagnose(&bed, "me", "read-only-pat-1", &["--push"]);
    assert_eq!(denied.code, 5, "{}", denied.stdout);
    assert!(denied.fix("push").contains("robot"), "{}", denied.stdout);
}

/// GitLab (realm /jwt/auth) and Quay (realm /v2/auth) create a repository when asked for a push token on
/// one that does not exist: no push scope is asked, and the report says push cannot be probed.
#[test]
fn gitlab_and_quay_are_not_asked_for_a_push_token_on_a_new_repository() {
    for (style, path, kind) in [(Style::GitLab, "/jwt/auth", "gitlab"), (Style::Spec, "/v2/auth", "quay")] {
        let Some(bed) = TokenBed::start(policy(style), path, SERVICE) else { return };
        let run = diagnose(&bed, "writer", "read-write-pat-2", &["--push"]);
        assert_eq!(run.json()["registry"]["type"], kind, "{}", run.stdout);
        assert_eq!(run.code, 6, "{kind}: {}", run.stdout);
        assert_eq!(run.verdict("push"), "skipped", "{kind}: {}", run.stdout);
        assert!(summary(&run, "push").contains("cannot be probed without writing"), "{kind}: {}", run.stdout);
        let asked = scopes_asked(&run);
        assert!(!asked.iter().any(|s| s.contains("push")), "{kind} was asked for push: {asked:?}");
        golden(&format!("new_repository_{kind}"), &run, &bed, "writer", "read-write-pat-2", &["--push"]);
    }
}
