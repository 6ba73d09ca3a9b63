//! `regauth audit --online` against the real registry and the tests' token server, with a population of
//! stored credentials (good, wrong, revoked-as-expired, read-only, read-write, one that expires in two days,
//! one that anonymous pulls make useless, an account password on a registry that offers tokens): every
//! finding where it should be and nowhere else, in text and JSON; no secret in any output; a rate-limited
//! token service is not hammered; a stalled registry ends at the deadline.

mod support;

use base64::Engine;
use std::collections::BTreeSet;
use std::path::Path;
use support::bed::{Run, TokenBed};
use support::hostile_server::{Action, HostileServer};
use support::leaks::assert_absent;
use support::registry::push_image;
use support::token_server::{Policy, Style, User};

const SERVICE: &str = "test-registry";
const ALICE: (&str, &str) = ("alice", "alice-rw-pw-1");
const BOB: (&str, &str) = ("bob", "bob-ro-pw-22");
const MALLORY: (&str, &str) = ("mallory", "not-mallorys-pw-3");
const DAVE: (&str, &str) = ("dave", "dave-expired-pat-4");
const ERIN: (&str, &str) = ("erin", "erin-public-only-5");

/// A JWT-shaped PAT that expires in two days (regauth reads its `exp`; the token server takes it as a
/// password).
fn two_day_token() -> String {
    let e = |v: serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let exp =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 2 * 86_400;
    format!(
        "{}.{}.c2ln",
        e(serde_json::json!({"alg": "ES256"})),
        e(serde_json::json!({"sub": "carol", "exp": exp}))
    )
}

fn auth(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

fn bed(carol_token: &str, path: &str) -> Option<TokenBed> {
    let mut policy = Policy::new(Style::Spec)
        .user(
            ALICE.0,
            User::new(ALICE.1, &[("team/app", &["pull", "push"]), ("team/public", &["pull", "push"])]),
        )
        .user(BOB.0, User::new(BOB.1, &[("team/app", &["pull"])]))
        .user("mallory", User::new("mallorys-real-pw", &[("team/app", &["pull"])]))
        .user(DAVE.0, User { credential_expired: true, ..User::new(DAVE.1, &[("team/app", &["pull"])]) })
        .user("carol", User::new(carol_token, &[("team/app", &["pull"])]))
        .user(ERIN.0, User::new(ERIN.1, &[("team/public", &["pull"])]));
    policy.anonymous = vec![("team/public".into(), vec!["pull".into()])];
    let bed = TokenBed::start(policy, path, SERVICE)?;
    let admin = bed.tokens.mint("admin", &[("team/public", &["pull", "push"])]);
    let client = reqwest::blocking::Client::new();
    push_image(&client, &bed.registry.base_url(), "team/public", "v1", Some(&format!("Bearer {admin}")));
    Some(bed)
}

/// docker's config.json with one credential per key spelling of the registry, and a containers auth file
/// and the env helper's variables with more.
fn population(home: &Path, host: &str, carol: &str) -> Vec<(String, String)> {
    let port = host.rsplit(':').next().unwrap();
    let docker = serde_json::json!({"auths": {
        host: {"auth": auth(ALICE.0, ALICE.1)},
        format!("http://{host}"): {"auth": auth(BOB.0, BOB.1)},
        format!("https://{host}"): {"auth": auth(MALLORY.0, MALLORY.1)},
        format!("localhost:{port}"): {"auth": auth("carol", carol)},
    }});
    std::fs::create_dir_all(home.join(".docker")).unwrap();
    std::fs::write(home.join(".docker/config.json"), docker.to_string()).unwrap();
    let containers = serde_json::json!({"auths": {host: {"auth": auth(DAVE.0, DAVE.1)}}});
    std::fs::write(home.join("auth.json"), containers.to_string()).unwrap();
    let stem = format!("REGAUTH_REGISTRY_127_0_0_1___{port}");
    vec![(format!("{stem}_USERNAME"), ERIN.0.into()), (format!("{stem}_PASSWORD"), ERIN.1.into())]
}

fn audit(home: &Path, env: &[(String, String)], extra: &[&str]) -> Run {
    let authfile = home.join("auth.json");
    let mut args = vec!["audit", "--online", "--no-helpers", "--fail-on", "never", "--authfile"];
    args.push(authfile.to_str().unwrap());
    args.extend_from_slice(extra);
    let mut command = support::command::regauth();
    command
        .args(&args)
        .env("HOME", home)
        .env("DOCKER_CONFIG", home.join(".docker"))
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .env("REGAUTH_CERTS_D", home.join("certs.d"))
        .env("NO_COLOR", "1");
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `(code, username)` of every online finding in a JSON report.
fn online_findings(json: &serde_json::Value) -> BTreeSet<(String, String)> {
    const ONLINE: [&str; 5] = [
        "credential-rejected",
        "credential-expires-soon",
        "pull-secret-may-push",
        "account-password",
        "credential-not-needed",
    ];
    let credentials = json["credentials"].as_array().unwrap();
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| ONLINE.contains(&f["code"].as_str().unwrap()))
        .map(|f| {
            let message = f["message"].as_str().unwrap();
            let user = credentials
                .iter()
                .filter_map(|c| c["username"].as_str())
                .find(|u| message.contains(&format!("(user {u})")))
                .unwrap_or("?");
            (f["code"].as_str().unwrap().to_owned(), user.to_owned())
        })
        .collect()
}

fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[test]
fn every_finding_where_it_should_be_and_nowhere_else() {
    let carol = two_day_token();
    let Some(bed) = bed(&carol, "/token") else { return };
    let host = bed.registry.host();
    let port = host.rsplit(':').next().unwrap().to_owned();
    let home = tempfile::tempdir().unwrap();
    let env = population(home.path(), &host, &carol);
    let repos = [
        format!("{host}/team/app:v1"),
        format!("{host}/team/public:v1"),
        format!("localhost:{port}/team/app:v1"),
    ];
    let mut extra = vec!["--json"];
    for r in &repos {
        extra.extend(["--repo", r.as_str()]);
    }
    let run = audit(home.path(), &env, &extra);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let json = support::audit_json::expanded(&run.json());
    let online = &json["online"];
    let status = |user: &str| {
        online["credentials"].as_array().unwrap().iter().find(|c| c["username"] == user).cloned().unwrap()
    };
    assert_eq!(status("alice")["status"], "accepted", "{online:#}");
    let app = |user: &str| status(user)["repositories"][0].clone();
    assert_eq!((app("alice")["pull"].clone(), app("alice")["push"].clone()), ("yes".into(), "yes".into()));
    assert_eq!((app("bob")["pull"].clone(), app("bob")["push"].clone()), ("yes".into(), "no".into()));
    assert_eq!(status("mallory")["status"], "rejected");
    assert_eq!(status("dave")["status"], "rejected");
    assert!(status("dave")["detail"].as_str().unwrap().contains("expired"), "{online:#}");
    assert_eq!(status("carol")["status"], "accepted");
    assert_eq!(online["registries"][0]["anonymousPull"], serde_json::json!(["team/public"]), "{online:#}");
    let found = online_findings(&json);
    let want = set(&[
        ("credential-rejected", "mallory"),
        ("credential-rejected", "dave"),
        ("credential-expires-soon", "carol"),
        ("credential-not-needed", "erin"),
    ]);
    assert_eq!(found, want, "{:#}", json["findings"]);
    // At most 3 requests per credential and repository.
    for c in online["credentials"].as_array().unwrap() {
        let repos = c["repositories"].as_array().unwrap().len().max(1);
        assert!(c["requests"].as_u64().unwrap() as usize <= 3 * repos, "{c:#}");
    }
    // Text says the same.
    let text = audit(home.path(), &env, &extra[1..]);
    if std::env::var_os("SHOW").is_some() {
        eprintln!("{}", text.stdout);
    }
    assert!(text.stdout.contains("REJECTED"), "{}", text.stdout);
    assert!(text.stdout.contains("credential-expires-soon"), "{}", text.stdout);
    let secrets = [ALICE, BOB, MALLORY, DAVE, ERIN, ("carol", carol.as_str())];
    assert_absent(
        &[
            ("json", &run.stdout),
            ("stderr", &run.stderr),
            ("text", &text.stdout),
            ("text stderr", &text.stderr),
        ],
        &secrets,
    );
}

/// An account password on a registry that offers scoped tokens (Harbor: realm /service/token) is called
/// so once the registry accepted it; a robot's secret is not.
#[test]
fn an_accepted_account_password_where_tokens_exist() {
    let carol = two_day_token();
    let Some(bed) = bed(&carol, "/service/token") else { return };
    let host = bed.registry.host();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".docker")).unwrap();
    let config = serde_json::json!({"auths": {host.clone(): {"auth": auth(ALICE.0, ALICE.1)}}});
    std::fs::write(home.path().join(".docker/config.json"), config.to_string()).unwrap();
    std::fs::write(home.path().join("auth.json"), "{}").unwrap();
    let run = audit(home.path(), &[], &["--json"]);
    let json = support::audit_json::expanded(&run.json());
    assert_eq!(json["online"]["registries"][0]["type"], "harbor", "{:#}", json["online"]);
    assert_eq!(online_findings(&json), set(&[("account-password", "alice")]), "{:#}", json["findings"]);
}

/// A token service that answers 429 is asked nothing more: the rest are reported as rate limited.
#[test]
fn a_rate_limited_registry_is_not_hammered() {
    let carol = two_day_token();
    let Some(bed) = bed(&carol, "/token") else { return };
    let host = bed.registry.host();
    let home = tempfile::tempdir().unwrap();
    let env = population(home.path(), &host, &carol);
    bed.tokens.set_rate_limited(true);
    let before = bed.tokens.requests();
    let repo = format!("{host}/team/app:v1");
    let run = audit(home.path(), &env, &["--json", "--repo", &repo]);
    let asked = bed.tokens.requests() - before;
    let json = support::audit_json::expanded(&run.json());
    assert!(asked <= 3, "the token service got {asked} requests after its first 429: {:#}", json["online"]);
    let limited = json["online"]["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "rate-limited")
        .count();
    assert!(limited >= 4, "{:#}", json["online"]);
    assert_eq!(json["online"]["registries"][0]["rateLimited"], true);
}

/// A registry that accepts connections and never answers: the run ends at --online-timeout.
#[test]
fn a_stalled_registry_ends_at_the_deadline() {
    let stalled = HostileServer::start(|_, _| Action::Stall);
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".docker")).unwrap();
    let config = serde_json::json!({"auths": {stalled.host(): {"auth": auth("stuck", "stuck-pw-77")}}});
    std::fs::write(home.path().join(".docker/config.json"), config.to_string()).unwrap();
    std::fs::write(home.path().join("auth.json"), "{}").unwrap();
    let started = std::time::Instant::now();
    let run = audit(home.path(), &[], &["--json", "--online-timeout", "2"]);
    assert!(started.elapsed().as_secs_f64() < 10.0, "took {:?}", started.elapsed());
    let json = support::audit_json::expanded(&run.json());
    assert_eq!(json["online"]["timedOut"], true, "{:#}", json["online"]);
    assert_eq!(json["online"]["credentials"][0]["status"], "timed-out");
}

/// A cluster's pull secrets, checked for the images their workloads pull: the one that may also push
/// those repositories is reported, the read-only one and the one no workload uses are not.
#[test]
fn a_pull_secret_that_may_push_what_its_pods_pull() {
    if support::need_program("kubectl").is_none() {
        return;
    }
    use support::kubectl::{kubectl, pull_secret};
    let Some(bed) = bed("carol-unused", "/token") else { return };
    let host = bed.registry.host();
    let image = format!("--image={host}/team/app:v1");
    let mut items = vec![
        pull_secret("rw", "apps", &host, ALICE.0, ALICE.1),
        pull_secret("ro", "apps", &host, BOB.0, BOB.1),
        // Alice's token again, named by no workload: nothing says which repositories matter for it.
        pull_secret("spare", "other", &host, ALICE.0, ALICE.1),
    ];
    for (name, secret) in [("writer", "rw"), ("reader", "ro")] {
        let mut deployment = kubectl(&["create", "deployment", name, &image, "-n", "apps"]);
        deployment["spec"]["template"]["spec"]["imagePullSecrets"] = serde_json::json!([{"name": secret}]);
        items.push(deployment);
    }
    let home = tempfile::tempdir().unwrap();
    let dump = home.path().join("cluster.json");
    std::fs::write(
        &dump,
        serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items}).to_string(),
    )
    .unwrap();
    let run = support::command::regauth()
        .args(["audit", "--kube", dump.to_str().unwrap(), "--online", "--json", "--fail-on", "never"])
        .env("HOME", home.path())
        .env("REGAUTH_CERTS_D", home.path().join("certs.d"))
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert_eq!(run.status.code(), Some(0), "{stdout}{stderr}");
    let json = support::audit_json::expanded(&serde_json::from_str(&stdout).unwrap());
    let may_push: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "pull-secret-may-push")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(may_push.len(), 1, "{:#}", json["findings"]);
    assert!(may_push[0].contains("apps/rw/") && may_push[0].contains("team/app"), "{may_push:?}");
    // Every pull secret was checked; the unused one for authentication only.
    let checks = json["online"]["credentials"].as_array().unwrap();
    assert_eq!(checks.len(), 3, "{checks:#?}");
    assert!(checks.iter().all(|c| c["status"] == "accepted"), "{checks:#?}");
    let spare = checks.iter().find(|c| c["location"].as_str().unwrap().starts_with("other/spare/")).unwrap();
    assert_eq!(spare["repositories"], serde_json::json!([]), "{spare:#}");
    assert_absent(&[("json", &stdout), ("stderr", &stderr)], &[ALICE, BOB]);
}
