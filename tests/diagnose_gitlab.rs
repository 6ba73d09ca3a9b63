//! `regauth diagnose` against a token server that behaves like GitLab's (realm `/jwt/auth`, service
//! `container_registry`, GET only, 403 for a credential without registry scope): recognised as GitLab from
//! the realm, with GitLab's fixes.

mod diagnose_golden;
mod support;

use support::bed::{regauth, TokenBed};
use support::token_server::{Policy, Style, User};

fn bed() -> Option<TokenBed> {
    let policy = Policy::new(Style::GitLab)
        .user("deploy", User::new("gl-deploy-pw", &[("team/app", &["pull", "push"])]))
        .user("noscope", User { no_registry_scope: true, ..User::new("gl-noscope-pw", &[]) });
    TokenBed::start(policy, "/jwt/auth", "container_registry")
}

#[test]
fn credential_without_registry_scope_is_authorization_with_gitlab_fix() {
    let Some(bed) = bed() else { return };
    let home = tempfile::tempdir().unwrap();
    let image = bed.image("team/app:v1");
    let args = ["diagnose", &image, "--json", "--username", "noscope", "--password-stdin"];
    let run = regauth(&args, Some("gl-noscope-pw"), home.path(), None);
    assert_eq!(run.code, 5, "{}", run.stdout);
    assert_eq!(run.json()["registry"]["type"], "gitlab");
    assert_eq!(run.verdict("authentication"), "ok");
    assert_eq!(run.verdict("pull"), "authorizationDenied");
    assert!(run.step("pull").to_string().contains("access forbidden"), "{}", run.stdout);
    assert!(run.fix("pull").contains("read_registry"), "{}", run.stdout);
    diagnose_golden::check("gitlab_no_registry_scope", &run, &args, Some("gl-noscope-pw"), home.path(), None);
}

#[test]
fn wrong_token_is_authentication_with_gitlab_fix() {
    let Some(bed) = bed() else { return };
    let home = tempfile::tempdir().unwrap();
    let image = bed.image("team/app:v1");
    let args = ["diagnose", &image, "--json", "--username", "deploy", "--password-stdin"];
    let run = regauth(&args, Some("not-the-token"), home.path(), None);
    assert_eq!(run.code, 4, "{}", run.stdout);
    assert_eq!(run.verdict("authentication"), "authenticationFailed");
    assert!(run.fix("authentication").contains("HTTP Basic: Access denied"), "{}", run.stdout);
    diagnose_golden::check("gitlab_wrong_token", &run, &args, Some("not-the-token"), home.path(), None);
}

#[test]
fn identity_token_falls_back_to_get_when_post_is_refused() {
    let Some(bed) = bed() else { return };
    let refresh = bed.tokens.issue_refresh_token("deploy");
    let home = tempfile::tempdir().unwrap();
    let image = bed.image("team/app:v1");
    let args = ["diagnose", &image, "--json", "--push", "--username", "deploy", "--identity-token-stdin"];
    let run = regauth(&args, Some(&refresh), home.path(), None);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let log = bed.tokens.log();
    assert_eq!(
        log,
        vec!["POST refused (GET only)", "GET basic", "POST refused (GET only)", "GET basic"],
        "{log:?}"
    );
    assert!(!run.all_output().contains(&refresh));
    diagnose_golden::check(
        "gitlab_identity_token_get_fallback",
        &run,
        &args,
        Some(&refresh),
        home.path(),
        None,
    );
}
