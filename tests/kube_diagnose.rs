//! `regauth diagnose --kube` against the real registry and token server of the diagnose tests, with
//! Kubernetes objects made by the real `kubectl` (`create secret docker-registry`, `create deployment`,
//! `create job`, `create serviceaccount`, all `--dry-run=client -o json`) and edited where a scenario
//! needs a broken one. Each scenario lives in its own namespace: run alone for its exit code, and all
//! together for the worst-verdict exit code and one probe per distinct (image, credential).

mod support;

use support::kubectl::{kubectl, pull_secret};

use serde_json::{json, Value};
use support::bed::{regauth, Run, TokenBed};
use support::leaks::assert_absent;
use support::token_server::{Policy, Style, User};

const SECRETS: &[(&str, &str)] = &[
    ("alice", "alice-pw-1-secret"),
    ("carol", "carol-pw-3-secret"),
    ("dave", "dave-pw-44-secret"),
    ("alice", "wrong-password-9"),
];

fn bed() -> Option<TokenBed> {
    let policy = Policy::new(Style::Spec)
        // alice may pull team/apq too (as a token for a whole namespace may), so the typo is a 404.
        .user(
            "alice",
            User::new("alice-pw-1-secret", &[("team/app", &["pull", "push"]), ("team/apq", &["pull"])]),
        )
        .user("carol", User::new("carol-pw-3-secret", &[("other/repo", &["pull"])]))
        .user("dave", User { expired: true, ..User::new("dave-pw-44-secret", &[("team/app", &["pull"])]) });
    TokenBed::start(policy, "/token", "test-registry")
}

/// A Deployment (from kubectl) naming `pull_secrets`.
fn deployment(ns: &str, image: &str, pull_secrets: &[&str]) -> Value {
    let mut d = kubectl(&["create", "deployment", "web", &format!("--image={image}"), "-n", ns]);
    if !pull_secrets.is_empty() {
        let refs: Vec<Value> = pull_secrets.iter().map(|n| json!({"name": n})).collect();
        d["spec"]["template"]["spec"]["imagePullSecrets"] = Value::Array(refs);
    }
    d
}

fn list(items: Vec<Value>) -> String {
    json!({"apiVersion": "v1", "kind": "List", "items": items}).to_string()
}

struct Scenario {
    ns: &'static str,
    objects: Vec<Value>,
    verdict: &'static str,
    exit: i32,
    /// Text the image's fix must hold (empty: no fix).
    fix: &'static [&'static str],
}

fn scenarios(bed: &TokenBed) -> Vec<Scenario> {
    let host = bed.registry.host();
    let image = bed.image("team/app:v1");
    let job_image = image.clone();
    let mut sa_only = kubectl(&["create", "serviceaccount", "builder", "-n", "sa"]);
    sa_only["imagePullSecrets"] = json!([{"name": "regcred"}]);
    let mut job = kubectl(&["create", "job", "nightly", &format!("--image={job_image}"), "-n", "sa"]);
    job["spec"]["template"]["spec"]["serviceAccountName"] = json!("builder");
    vec![
        Scenario {
            ns: "right",
            objects: vec![
                deployment("right", &image, &["regcred"]),
                pull_secret("regcred", "right", &host, "alice", "alice-pw-1-secret"),
            ],
            verdict: "ok",
            exit: 0,
            fix: &[],
        },
        Scenario {
            ns: "elsewhere",
            objects: vec![
                deployment("elsewhere", &image, &["regcred"]),
                pull_secret("regcred", "ops", &host, "alice", "alice-pw-1-secret"),
            ],
            verdict: "localConfig",
            exit: 3,
            fix: &[
                "is in namespace",
                "ops",
                "kubectl create secret docker-registry regcred",
                "-n elsewhere",
                "--docker-username=alice",
                "<the token>",
            ],
        },
        Scenario {
            ns: "sa",
            objects: vec![job, sa_only, pull_secret("regcred", "sa", &host, "alice", "alice-pw-1-secret")],
            verdict: "ok",
            exit: 0,
            fix: &[],
        },
        Scenario {
            ns: "keyform",
            // The key without the registry's port serves nothing on that port.
            objects: vec![
                deployment("keyform", &image, &["regcred"]),
                pull_secret("regcred", "keyform", "http://127.0.0.1/v2/", "alice", "alice-pw-1-secret"),
            ],
            verdict: "localConfig",
            exit: 3,
            fix: &["none serves", "the port differs", "--docker-server=127.0.0.1:"],
        },
        Scenario {
            ns: "readonly",
            objects: vec![
                deployment("readonly", &image, &["regcred"]),
                pull_secret("regcred", "readonly", &host, "carol", "carol-pw-3-secret"),
            ],
            verdict: "authorizationDenied",
            exit: 5,
            fix: &[
                "user carol logs in but may not pull",
                "team/app",
                "--docker-username=carol",
                "kubectl apply -f -",
            ],
        },
        Scenario {
            ns: "expired",
            objects: vec![
                deployment("expired", &image, &["regcred"]),
                pull_secret("regcred", "expired", &host, "dave", "dave-pw-44-secret"),
            ],
            verdict: "authenticationFailed",
            exit: 4,
            fix: &["rejects the password or token of user dave", "-n expired"],
        },
        Scenario {
            ns: "wrongpw",
            objects: vec![
                deployment("wrongpw", &image, &["regcred"]),
                pull_secret("regcred", "wrongpw", &host, "alice", "wrong-password-9"),
            ],
            verdict: "authenticationFailed",
            exit: 4,
            fix: &[
                "rejects the password or token of user alice",
                "kubectl create secret docker-registry regcred",
                "-n wrongpw",
            ],
        },
        Scenario {
            ns: "typo",
            objects: vec![
                deployment("typo", &bed.image("team/apq:v1"), &["regcred"]),
                pull_secret("regcred", "typo", &host, "alice", "alice-pw-1-secret"),
            ],
            verdict: "notFound",
            exit: 6,
            fix: &["does not exist", "team/apq:v1", "Deployment typo/web"],
        },
        Scenario {
            ns: "two",
            // The first secret's key is more specific (a path), so the kubelet tries it first.
            objects: vec![
                deployment("two", &image, &["good", "stale"]),
                pull_secret("good", "two", &host, "alice", "alice-pw-1-secret"),
                pull_secret("stale", "two", &format!("{host}/team"), "alice", "wrong-password-9"),
            ],
            verdict: "ok",
            exit: 0,
            fix: &["repair or remove", "stale", "-n two"],
        },
    ]
}

fn diagnose(input: &str, extra: &[&str]) -> Run {
    let home = tempfile::tempdir().unwrap();
    let mut args = vec!["diagnose", "--kube", "-", "--json", "--timeout", "20"];
    args.extend_from_slice(extra);
    regauth(&args, Some(input), home.path(), None)
}

fn image_of<'a>(run: &'a Value, ns: &str) -> &'a Value {
    run["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["workload"]["namespace"] == ns)
        .unwrap_or_else(|| panic!("no image in {ns}"))
}

fn check(image: &Value, s: &Scenario) {
    assert_eq!(image["verdict"], s.verdict, "{}: {image:#}", s.ns);
    assert_eq!(image["exitCode"], s.exit, "{}", s.ns);
    let fix = image["fix"].as_str().unwrap_or_default();
    for part in s.fix {
        assert!(fix.contains(part), "{}: fix lacks {part:?}: {fix}", s.ns);
    }
    if s.fix.is_empty() {
        assert!(image["fix"].is_null(), "{}: {fix}", s.ns);
    }
}

#[test]
fn every_scenario_alone_and_all_together() {
    if support::need_program("kubectl").is_none() {
        return;
    }
    let Some(bed) = bed() else { return };
    let scenarios = scenarios(&bed);
    let mut outputs = Vec::new();
    for s in &scenarios {
        let run = diagnose(&list(s.objects.clone()), &[]);
        assert_eq!(run.code, s.exit, "{}: {}{}", s.ns, run.stdout, run.stderr);
        let json = run.json();
        assert_eq!(json["exitCode"], s.exit);
        check(image_of(&json, s.ns), s);
        outputs.push(run.all_output());
    }
    let all: Vec<Value> = scenarios.iter().flat_map(|s| s.objects.clone()).collect();
    let run = diagnose(&list(all.clone()), &[]);
    // The worst verdict is authentication (two namespaces).
    assert_eq!(run.code, 4, "{}{}", run.stdout, run.stderr);
    let json = run.json();
    for s in &scenarios {
        check(image_of(&json, s.ns), s);
    }
    // One probe per distinct (image, credential): alice's good secret serves four namespaces.
    let probes = json["probes"].as_array().unwrap();
    let alice_ok = probes
        .iter()
        .filter(|p| {
            p["credential"]["username"] == "alice"
                && p["image"].as_str().unwrap().ends_with("team/app:v1")
                && p["verdict"] == "ok"
        })
        .count();
    assert_eq!(alice_ok, 1, "{:#}", json["probes"]);
    outputs.push(run.all_output());
    // The text report of the same input.
    let home = tempfile::tempdir().unwrap();
    let text = regauth(&["diagnose", "--kube", "-", "--timeout", "20"], Some(&list(all)), home.path(), None);
    assert_eq!(text.code, 4);
    assert!(text.stdout.contains("AUTH FAILED") && text.stdout.contains("fix: "), "{}", text.stdout);
    outputs.push(text.all_output());
    let named: Vec<(&str, &str)> = outputs.iter().map(|o| ("output", o.as_str())).collect();
    assert_absent(&named, SECRETS);
}

#[test]
fn the_service_account_and_the_two_secrets_are_explained() {
    if support::need_program("kubectl").is_none() {
        return;
    }
    let Some(bed) = bed() else { return };
    let scenarios = scenarios(&bed);
    let by_ns = |ns: &str| scenarios.iter().find(|s| s.ns == ns).unwrap();
    let json = diagnose(&list(by_ns("sa").objects.clone()), &[]).json();
    let image = image_of(&json, "sa");
    assert_eq!(image["workload"]["kind"], "Job");
    assert_eq!(image["fromServiceAccount"], true);
    assert_eq!(image["pullSecrets"][0]["namedBy"], "serviceAccount");

    let json = diagnose(&list(by_ns("two").objects.clone()), &[]).json();
    let image = image_of(&json, "two");
    let attempts = image["attempts"].as_array().unwrap();
    assert_eq!(attempts[0]["secret"], "two/stale");
    assert_eq!(attempts[0]["verdict"], "authenticationFailed");
    assert_eq!(attempts[1]["secret"], "two/good");
    assert_eq!(attempts[1]["verdict"], "ok");
    let details = image["details"].to_string();
    assert!(details.contains("two/stale") && details.contains("tried first and fails"), "{details}");

    // The key form that matches nothing is named with its reason.
    let json = diagnose(&list(by_ns("keyform").objects.clone()), &[]).json();
    let key = &image_of(&json, "keyform")["pullSecrets"][0]["keys"][0];
    assert_eq!(key["matches"], false);
    assert_eq!(key["normalized"], "127.0.0.1");
}

#[test]
fn node_credentials_come_after_pull_secrets_and_broken_input_is_exit_3() {
    if support::need_program("kubectl").is_none() {
        return;
    }
    let Some(bed) = bed() else { return };
    let host = bed.registry.host();
    let dir = tempfile::tempdir().unwrap();
    let node = dir.path().join("config.json");
    let auth = base64_encode("alice:alice-pw-1-secret");
    std::fs::write(
        &node,
        json!({"auths": {host.clone(): {"auth": auth}}, "credsStore": "ignored"}).to_string(),
    )
    .unwrap();
    let objects = vec![deployment("node", &bed.image("team/app:v1"), &[])];
    let run = diagnose(&list(objects), &["--node-config", node.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let json = run.json();
    let image = image_of(&json, "node");
    assert_eq!(image["attempts"][0]["source"], "node");
    assert!(image["details"].to_string().contains("serviceaccount"), "{image:#}");

    // Undecodable pull secret data: the kubelet cannot build its keyring, nothing is probed.
    let mut broken = pull_secret("regcred", "bad", &host, "alice", "alice-pw-1-secret");
    broken["data"][".dockerconfigjson"] = json!(base64_encode("{\"auths\": [1]"));
    let run = diagnose(&list(vec![deployment("bad", &bed.image("team/app:v1"), &["regcred"]), broken]), &[]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    let json = run.json();
    assert!(image_of(&json, "bad")["summary"].as_str().unwrap().contains("cannot build its keyring"));
    assert!(json["probes"].as_array().unwrap().is_empty());

    let home = tempfile::tempdir().unwrap();
    let run = regauth(&["diagnose", "--kube", "-"], Some("not json"), home.path(), None);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let run = regauth(&["diagnose", "--kube", dir.path().to_str().unwrap()], None, home.path(), None);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("directory"), "{}", run.stderr);
}

fn base64_encode(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}
