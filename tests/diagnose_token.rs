//! `regauth diagnose` against a real distribution registry with token auth and a token server owned by the
//! test, in the spec's style (grants the intersection) and Docker Hub's (refuses the whole request).

mod diagnose_golden;
mod support;

use support::bed::{regauth, write_docker_config, Run, TokenBed};
use support::token_server::{Policy, Style, User};

const SERVICE: &str = "test-registry";

fn bed(style: Style) -> Option<TokenBed> {
    let policy = Policy::new(style)
        .user("alice", User::new("alice-pw-1", &[("team/app", &["pull", "push"])]))
        .user("bob", User::new("bob-pw-22", &[("team/app", &["pull"])]))
        .user("carol", User::new("carol-pw-3", &[("other/repo", &["pull", "push"])]))
        .user("dave", User { expired: true, ..User::new("dave-pw-44", &[("team/app", &["pull", "push"])]) });
    TokenBed::start(policy, "/token", SERVICE)
}

fn args<'a>(image: &'a str, user: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["diagnose", image, "--json", "--username", user, "--password-stdin"];
    args.extend_from_slice(extra);
    args
}

fn diagnose(bed: &TokenBed, image: &str, user: &str, password: &str, extra: &[&str]) -> Run {
    let home = tempfile::tempdir().unwrap();
    let image = bed.image(image);
    regauth(&args(&image, user, extra), Some(password), home.path(), None)
}

/// Compare `run`, made by [`diagnose`] with these arguments, with its golden files.
fn golden(name: &str, run: &Run, bed: &TokenBed, image: &str, user: &str, password: &str, extra: &[&str]) {
    let home = tempfile::tempdir().unwrap();
    let image = bed.image(image);
    diagnose_golden::check(name, run, &args(&image, user, extra), Some(password), home.path(), None);
}

fn methods(run: &Run) -> Vec<String> {
    run.json()["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["method"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn valid_credential_may_pull_and_push_and_nothing_is_written() {
    let Some(bed) = bed(Style::Spec) else { return };
    let run = diagnose(&bed, "team/app:v1", "alice", "alice-pw-1", &["--push"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    for step in ["credential", "reachability", "authentication", "pull", "push"] {
        assert_eq!(run.verdict(step), "ok", "{step}: {}", run.stdout);
    }
    let methods = methods(&run);
    assert!(methods.contains(&"DELETE".to_owned()), "upload session not cancelled: {methods:?}");
    assert!(!methods.iter().any(|m| m == "PUT" || m == "PATCH"), "wrote to the repository: {methods:?}");
    // https attempt (plain http registry on loopback), anonymous HEAD, token, HEAD, push token, POST, DELETE.
    assert!(run.json()["requests"].as_u64().unwrap() <= 7, "{methods:?}");
    let tags = reqwest::blocking::Client::new()
        .get(format!("{}/v2/team/app/tags/list", bed.registry.base_url()))
        .bearer_auth(bed.tokens.mint("admin", &[("team/app", &["pull"])]))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(tags.contains(r#"["v1"]"#), "{tags}");
    golden("token_spec_may_pull_and_push", &run, &bed, "team/app:v1", "alice", "alice-pw-1", &["--push"]);
}

#[test]
fn read_only_credential_asking_push_spec_style_is_authorization() {
    let Some(bed) = bed(Style::Spec) else { return };
    let run = diagnose(&bed, "team/app:v1", "bob", "bob-pw-22", &["--push"]);
    assert_eq!(run.code, 5, "{}", run.stdout);
    assert_eq!(run.verdict("authentication"), "ok");
    assert_eq!(run.verdict("pull"), "ok");
    assert_eq!(run.verdict("push"), "authorizationDenied");
    let push = run.step("push");
    assert!(push["summary"].as_str().unwrap().contains("may not push to team/app"), "{push}");
    assert!(push.to_string().contains(r#"the token grants [\"pull\"]"#), "{push}");
    assert!(run.fix("push").contains("push access"), "{push}");
    let evidence = &run.json()["exchanges"][push["evidence"][0].as_u64().unwrap() as usize];
    assert_eq!(evidence["method"], "POST");
    assert_eq!(evidence["status"], 401);
    assert!(evidence["challenges"][0].as_str().unwrap().contains("insufficient_scope"), "{evidence}");
    golden("token_spec_read_only_push", &run, &bed, "team/app:v1", "bob", "bob-pw-22", &["--push"]);
}

#[test]
fn read_only_credential_asking_push_docker_hub_style_says_the_password_is_fine() {
    let Some(bed) = bed(Style::DockerHub) else { return };
    let run = diagnose(&bed, "team/app:v1", "bob", "bob-pw-22", &["--push", "--registry-type", "dockerhub"]);
    assert_eq!(run.code, 5, "{}", run.stdout);
    assert_eq!(run.verdict("authentication"), "ok");
    assert_eq!(run.verdict("pull"), "ok");
    assert_eq!(run.verdict("push"), "authorizationDenied");
    assert!(run.step("push").to_string().contains("The password is fine"), "{}", run.stdout);
    assert!(run.fix("push").contains("Read & Write"), "{}", run.fix("push"));
    assert!(run.step("push").to_string().contains("in one token request"), "{}", run.stdout);
    let json = run.json();
    let evidence = &json["exchanges"][run.step("push")["evidence"][0].as_u64().unwrap() as usize];
    assert_eq!(evidence["status"], 401);
    assert!(evidence["body"].as_str().unwrap().contains("insufficient scopes"), "{evidence}");
    assert_eq!(evidence["scopesAsked"][0], "repository:team/app:pull,push");
    let extra = ["--push", "--registry-type", "dockerhub"];
    golden("token_dockerhub_read_only_push", &run, &bed, "team/app:v1", "bob", "bob-pw-22", &extra);
}

#[test]
fn docker_hub_style_human_report_names_the_scope() {
    let Some(bed) = bed(Style::DockerHub) else { return };
    let home = tempfile::tempdir().unwrap();
    let image = bed.image("team/app:v1");
    let args = [
        "diagnose",
        &image,
        "--push",
        "--username",
        "bob",
        "--password-stdin",
        "--registry-type",
        "dockerhub",
    ];
    let run = regauth(&args, Some("bob-pw-22"), home.path(), None);
    assert_eq!(run.code, 5);
    assert!(run.stdout.contains("The password is fine"), "{}", run.stdout);
    assert!(run.stdout.contains("DENIED       push"), "{}", run.stdout);
    assert!(run.stdout.contains("result     authorization denied (exit 5)"), "{}", run.stdout);
    // The same scenario and text golden as the test above.
    diagnose_golden::check_text("token_dockerhub_read_only_push", &run);
}

#[test]
fn wrong_password_is_authentication() {
    let Some(bed) = bed(Style::Spec) else { return };
    let run = diagnose(&bed, "team/app:v1", "alice", "not-the-password", &["--push"]);
    assert_eq!(run.code, 4, "{}", run.stdout);
    assert_eq!(run.verdict("authentication"), "authenticationFailed");
    assert_eq!(run.verdict("pull"), "skipped");
    assert!(run.fix("authentication").contains("Check the username and password"), "{}", run.stdout);
    golden("token_spec_wrong_password", &run, &bed, "team/app:v1", "alice", "not-the-password", &["--push"]);
}

#[test]
fn expired_token_is_authentication_with_the_expiry() {
    let Some(bed) = bed(Style::Spec) else { return };
    let run = diagnose(&bed, "team/app:v1", "dave", "dave-pw-44", &[]);
    assert_eq!(run.code, 4, "{}", run.stdout);
    let auth = run.step("authentication");
    assert_eq!(auth["verdict"], "authenticationFailed");
    assert!(auth["summary"].as_str().unwrap().contains("expired"), "{auth}");
    assert!(auth.to_string().contains("invalid_token"), "{auth}");
    assert!(run.fix("authentication").contains("log in again"), "{auth}");
    golden("token_spec_expired_token", &run, &bed, "team/app:v1", "dave", "dave-pw-44", &[]);
}

#[test]
fn credential_for_another_repository_is_pull_authorization() {
    let Some(bed) = bed(Style::Spec) else { return };
    let run = diagnose(&bed, "team/app:v1", "carol", "carol-pw-3", &[]);
    assert_eq!(run.code, 5, "{}", run.stdout);
    assert_eq!(run.verdict("authentication"), "ok");
    assert_eq!(run.verdict("pull"), "authorizationDenied");
    assert!(run.fix("pull").contains("pull access"), "{}", run.stdout);
    assert!(run.step("pull").to_string().contains("the token grants []"), "{}", run.stdout);
    golden("token_spec_other_repository", &run, &bed, "team/app:v1", "carol", "carol-pw-3", &[]);
}

#[test]
fn missing_tag_is_not_found_and_lists_tags() {
    let Some(bed) = bed(Style::Spec) else { return };
    let run = diagnose(&bed, "team/app:v9", "alice", "alice-pw-1", &[]);
    assert_eq!(run.code, 6, "{}", run.stdout);
    assert_eq!(run.verdict("pull"), "notFound");
    assert!(run.step("pull")["summary"].as_str().unwrap().contains("has no v9"), "{}", run.stdout);
    assert!(run.fix("pull").contains("v1"), "{}", run.stdout);
    golden("token_spec_missing_tag", &run, &bed, "team/app:v9", "alice", "alice-pw-1", &[]);
}

#[test]
fn missing_tag_is_fine_when_pushing() {
    let Some(bed) = bed(Style::Spec) else { return };
    let run = diagnose(&bed, "team/app:v9", "alice", "alice-pw-1", &["--push"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.verdict("push"), "ok");
    golden("token_spec_missing_tag_push", &run, &bed, "team/app:v9", "alice", "alice-pw-1", &["--push"]);
}

#[test]
fn missing_repository_is_not_found() {
    let Some(bed) = bed(Style::Spec) else { return };
    let run = diagnose(&bed, "other/repo:v1", "carol", "carol-pw-3", &[]);
    assert_eq!(run.code, 6, "{}", run.stdout);
    assert_eq!(run.verdict("pull"), "notFound");
    assert!(run.step("pull")["summary"].as_str().unwrap().contains("does not exist"), "{}", run.stdout);
    assert!(run.fix("pull").contains("Check the repository name"), "{}", run.stdout);
    assert_eq!(run.verdict("push"), "skipped");
    golden("token_spec_missing_repository", &run, &bed, "other/repo:v1", "carol", "carol-pw-3", &[]);
    // With --push, a missing repository is one a push creates: carol may (tests/diagnose_new_repository.rs).
    let push = diagnose(&bed, "other/repo:v1", "carol", "carol-pw-3", &["--push"]);
    assert_eq!(push.code, 0, "{}", push.stdout);
    assert!(push.step("pull")["summary"].as_str().unwrap().contains("does not exist yet"), "{}", push.stdout);
}

#[test]
fn anonymous_on_a_private_repository_needs_a_login() {
    let Some(bed) = bed(Style::Spec) else { return };
    let home = tempfile::tempdir().unwrap();
    let image = bed.image("team/app:v1");
    let run = regauth(&["diagnose", &image, "--json", "--anonymous"], None, home.path(), None);
    assert_eq!(run.code, 5, "{}", run.stdout);
    assert_eq!(run.verdict("credential"), "ok");
    assert_eq!(run.verdict("pull"), "authorizationDenied");
    assert!(run.fix("pull").contains("Log in first"), "{}", run.stdout);
    let args = ["diagnose", &image, "--json", "--anonymous"];
    diagnose_golden::check("token_spec_anonymous", &run, &args, None, home.path(), None);

    // The same without --anonymous and with no stored credential: the missing login is the local problem.
    let run = regauth(&["diagnose", &image, "--json"], None, home.path(), None);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(run.verdict("credential"), "localConfig");
    assert!(
        run.fix("credential").contains(&format!("docker login {}", bed.registry.host())),
        "{}",
        run.stdout
    );
    let args = ["diagnose", &image, "--json"];
    diagnose_golden::check("token_spec_no_stored_credential", &run, &args, None, home.path(), None);
}

#[test]
fn stored_identity_token_is_refreshed_with_post() {
    let Some(bed) = bed(Style::Spec) else { return };
    let refresh = bed.tokens.issue_refresh_token("alice");
    let home = tempfile::tempdir().unwrap();
    write_docker_config(
        home.path(),
        &serde_json::json!({"auths": {bed.registry.host(): {"auth": "YWxpY2U6", "identitytoken": refresh}}}),
    );
    let image = bed.image("team/app:v1");
    let run = regauth(&["diagnose", &image, "--json", "--push"], None, home.path(), None);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.json()["credential"]["kind"], "identityToken");
    let log = bed.tokens.log();
    assert_eq!(log, vec!["POST refresh_token", "POST refresh_token"], "{log:?}");
    assert_eq!(run.json()["exchanges"][2]["auth"], "refreshToken");
    assert!(!run.all_output().contains(&refresh));
    let args = ["diagnose", &image, "--json", "--push"];
    diagnose_golden::check("token_spec_stored_identity_token", &run, &args, None, home.path(), None);
}

/// A stored identity token the token service no longer takes (revoked): an authentication failure, but the
/// user typed no password, so neither the finding nor its fix speaks of one.
#[test]
fn a_revoked_identity_token_is_not_called_a_wrong_password() {
    let Some(bed) = bed(Style::Spec) else { return };
    let home = tempfile::tempdir().unwrap();
    let revoked = "revoked-refresh-token-Qm4";
    write_docker_config(
        home.path(),
        &serde_json::json!({"auths": {bed.registry.host(): {"auth": "YWxpY2U6", "identitytoken": revoked}}}),
    );
    let image = bed.image("team/app:v1");
    let run = regauth(&["diagnose", &image, "--json"], None, home.path(), None);
    assert_eq!(run.code, 4, "{}", run.stdout);
    let auth = run.step("authentication");
    let summary = auth["summary"].as_str().unwrap();
    assert!(summary.contains("identity (refresh) token"), "{summary}");
    let fix = run.fix("authentication");
    assert!(!fix.to_lowercase().contains("password") && !summary.contains("wrong"), "{summary} / {fix}");
    assert!(fix.contains("`regauth login") && fix.contains("`docker login"), "{fix}");
    assert!(!run.all_output().contains(revoked));
    let args = ["diagnose", &image, "--json"];
    diagnose_golden::check("token_spec_revoked_identity_token", &run, &args, None, home.path(), None);
}

#[test]
fn rate_limited_token_service_is_reported_with_its_headers() {
    let Some(bed) = bed(Style::DockerHub) else { return };
    bed.tokens.set_rate_limited(true);
    let run = diagnose(&bed, "team/app:v1", "alice", "alice-pw-1", &[]);
    assert_eq!(run.code, 7, "{}", run.stdout);
    let pull = run.step("pull");
    assert_eq!(pull["verdict"], "rateLimited");
    assert!(pull.to_string().contains("ratelimit-remaining: 0;w=21600"), "{pull}");
    // The token service stopped before it looked at the credential: authentication is open, not failed.
    let auth = run.step("authentication");
    assert_eq!(auth["verdict"], "skipped");
    let why = auth["summary"].as_str().unwrap();
    assert!(!why.contains("failed") && why.contains("rate limited"), "{why}");
    golden("token_dockerhub_rate_limited", &run, &bed, "team/app:v1", "alice", "alice-pw-1", &[]);
}

#[test]
fn secrets_never_appear_in_any_output() {
    let Some(bed) = bed(Style::Spec) else { return };
    let refresh = bed.tokens.issue_refresh_token("bob");
    let home = tempfile::tempdir().unwrap();
    let image = bed.image("team/app:v1");
    let mut runs = Vec::new();
    for format in [&["--verbose"][..], &["--json"][..]] {
        for (user, password) in [("alice", "alice-pw-1"), ("bob", "bob-pw-22"), ("alice", "wrong-secret-9")] {
            let mut args = vec!["diagnose", image.as_str(), "--push", "--username", user, "--password-stdin"];
            args.extend_from_slice(format);
            runs.push((password.to_owned(), regauth(&args, Some(password), home.path(), None)));
        }
        let mut args =
            vec!["diagnose", image.as_str(), "--push", "--identity-token-stdin", "--username", "bob"];
        args.extend_from_slice(format);
        runs.push((refresh.clone(), regauth(&args, Some(&refresh), home.path(), None)));
    }
    for (secret, run) in &runs {
        let all = run.all_output();
        assert!(!all.is_empty());
        assert!(!all.contains(secret.as_str()), "secret shown: {all}");
        // Every token the server issued is a JWT, whose header starts with eyJ.
        assert!(!all.contains("eyJ"), "token shown: {all}");
        assert!(!all.contains(&refresh), "refresh token shown: {all}");
    }
    let verbose = &runs[0].1.stdout;
    assert!(
        verbose.contains("exchanges") && verbose.contains("sent: basic credential (redacted)"),
        "{verbose}"
    );
    let names = ["alice_push", "bob_push", "wrong_password_push", "identity_token_bob_push"];
    for (i, name) in names.iter().enumerate() {
        diagnose_golden::check_text(&format!("token_spec_verbose_{name}"), &runs[i].1);
        diagnose_golden::check_json(&format!("token_spec_{name}"), &runs[i + 4].1);
    }
}

#[test]
fn warns_before_the_credential_goes_to_a_realm_on_another_host() {
    let policy = Policy::new(Style::Spec).user("alice", User::new("alice-pw-1", &[("team/app", &["pull"])]));
    let Some(bed) = TokenBed::start_with(policy, "/token", SERVICE, None, "localhost") else { return };
    let home = tempfile::tempdir().unwrap();
    let image = bed.image("team/app:v1");
    let run = regauth(
        &["diagnose", &image, "--username", "alice", "--password-stdin"],
        Some("alice-pw-1"),
        home.path(),
        None,
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let warning = format!("regauth: warning: the credential for {} will be sent to the token service on another host: localhost", bed.registry.host());
    assert!(run.stderr.contains(&warning), "{}", run.stderr);
    assert!(run.stdout.contains("warning    the credential for"), "{}", run.stdout);
    diagnose_golden::check_text("token_spec_realm_on_another_host", &run);
}

#[test]
fn stored_registry_token_is_sent_as_is() {
    let Some(bed) = bed(Style::Spec) else { return };
    let token = bed.tokens.mint("alice", &[("team/app", &["pull"])]);
    let home = tempfile::tempdir().unwrap();
    write_docker_config(
        home.path(),
        &serde_json::json!({"auths": {bed.registry.host(): {"registrytoken": token}}}),
    );
    let image = bed.image("team/app:v1");
    let run = regauth(&["diagnose", &image, "--json", "--push", "--verbose"], None, home.path(), None);
    assert_eq!(run.json()["credential"]["kind"], "registryToken");
    assert_eq!(run.verdict("pull"), "ok", "{}", run.stdout);
    // The token was minted for pull only, and is not exchanged for another: push is refused.
    assert_eq!(run.verdict("push"), "authorizationDenied", "{}", run.stdout);
    assert_eq!(run.code, 5);
    assert!(bed.tokens.log().is_empty(), "asked the token service: {:?}", bed.tokens.log());
    assert!(!run.all_output().contains(&token));
    let args = ["diagnose", &image, "--json", "--push", "--verbose"];
    diagnose_golden::check("token_spec_stored_registry_token", &run, &args, None, home.path(), None);
}
