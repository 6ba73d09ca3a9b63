//! `regauth audit --kube` of a cluster dump with planted credentials of every kind, made with the real
//! `kubectl` and edited where a case needs a broken object: every finding with its severity, the
//! inventory, the exit code, and no secret in any output.

mod support;

use support::kubectl::{kubectl, pull_secret};

use base64::Engine;
use serde_json::json;
use support::bed::regauth;
use support::leaks::assert_absent;

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

fn b64url(text: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

fn expired_jwt() -> String {
    format!(
        "{}.{}.c2lnbmF0dXJlLXBsYWNlaG9sZGVy",
        b64url(r#"{"alg":"ES256","typ":"JWT"}"#),
        b64url(r#"{"sub":"ci","exp":1600000000}"#)
    )
}

const PASSWORD: &str = "Sup3r-Secret-Passw0rd";
const PAT: &str = "dckr_pat_SharedToken1234567";
const GHCR: &str = "ghp_0123456789abcdefghijABCDEFGHIJ012345";
const LEGACY: &str = "legacy-dockercfg-pw-77";

fn dump() -> (String, Vec<(&'static str, String)>) {
    let jwt = expired_jwt();
    let mut items = Vec::new();
    // A Docker Hub account password, named by the default service account.
    items.push(pull_secret("hub", "apps", "https://index.docker.io/v1/", "me", PASSWORD));
    let mut sa = kubectl(&["create", "serviceaccount", "default", "-n", "apps"]);
    sa["imagePullSecrets"] = json!([{"name": "hub"}, {"name": "ghost"}]);
    items.push(sa);
    // An expired token, named by a deployment.
    items.push(pull_secret("ci", "apps", "registry.example.com", "ci", &jwt));
    let mut web =
        kubectl(&["create", "deployment", "web", "--image=registry.example.com/apps/web:1", "-n", "apps"]);
    web["spec"]["template"]["spec"]["imagePullSecrets"] =
        json!([{"name": "ci"}, {"name": "opaque"}, {"name": "broken"}, {"name": "gh"}, {"name": "old"}]);
    items.push(web);
    // The same PAT copied into three namespaces, named by nobody.
    for ns in ["team-a", "team-b", "team-c"] {
        items.push(pull_secret("shared", ns, "docker.io", "bot", PAT));
    }
    // A pull secret of the wrong type (Opaque with docker data).
    let mut opaque = pull_secret("opaque", "apps", "ghcr.io", "me", GHCR);
    opaque["type"] = json!("Opaque");
    items.push(opaque);
    // Data that does not decode.
    let mut broken = pull_secret("broken", "apps", "ghcr.io", "me", GHCR);
    broken["data"][".dockerconfigjson"] = json!(b64("{\"auths\":{\"ghcr.io\":{\"auth\":\"%%%\"}}}"));
    items.push(broken);
    // A GitHub token (no finding of its own) and a legacy .dockercfg secret.
    items.push(pull_secret("gh", "apps", "ghcr.io", "me", GHCR));
    let legacy = json!({"quay.io": {"auth": b64(&format!("robot:{LEGACY}"))}}).to_string();
    items.push(json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockercfg",
        "metadata": {"name": "old", "namespace": "apps"}, "data": {".dockercfg": b64(&legacy)}}));
    let dump = json!({"apiVersion": "v1", "kind": "List", "items": items}).to_string();
    let secrets = vec![
        ("me", PASSWORD.to_owned()),
        ("ci", jwt),
        ("bot", PAT.to_owned()),
        ("me", GHCR.to_owned()),
        ("robot", LEGACY.to_owned()),
    ];
    (dump, secrets)
}

#[test]
fn a_cluster_dump_with_every_kind_of_finding() {
    if support::need_program("kubectl").is_none() {
        return;
    }
    let (dump, secrets) = dump();
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("cluster.json");
    std::fs::write(&file, &dump).unwrap();
    let run = regauth(&["audit", "--kube", file.to_str().unwrap(), "--json"], None, home.path(), None);
    assert_eq!(run.code, 9, "{}{}", run.stdout, run.stderr);
    let json = run.json();
    let findings = json["findings"].as_array().unwrap();
    let has = |code: &str, severity: &str, location: &str| {
        findings.iter().any(|f| {
            f["code"] == code
                && f["severity"] == severity
                && f["location"].as_str().unwrap().starts_with(location)
        })
    };
    for (code, severity, location) in [
        ("kube-undecodable-pull-secret", "high", "apps/broken"),
        ("kube-expired-credential", "high", "apps/ci/registry.example.com"),
        ("kube-password-credential", "medium", "apps/hub/https://index.docker.io/v1/"),
        ("kube-missing-pull-secret", "medium", "apps/ghost"),
        ("kube-wrong-secret-type", "medium", "apps/opaque"),
        ("kube-secret-copied", "low", "team-a/shared/docker.io"),
        ("kube-unused-pull-secret", "low", "team-b/shared"),
    ] {
        assert!(has(code, severity, location), "no {severity} {code} at {location}: {findings:#?}");
    }
    // No finding for what is fine: the GitHub token and the legacy secret, both named by the deployment.
    assert!(
        !findings.iter().any(|f| f["location"].as_str().unwrap().starts_with("apps/gh/")),
        "{findings:#?}"
    );
    assert!(!findings.iter().any(|f| f["code"] == "plaintext-credential"));
    let credentials = json["credentials"].as_array().unwrap();
    let kind_of = |location: &str| {
        credentials
            .iter()
            .find(|c| c["location"] == location)
            .unwrap_or_else(|| panic!("{location}: {credentials:#?}"))
    };
    assert_eq!(kind_of("apps/hub/https://index.docker.io/v1/")["kind"], "password");
    assert_eq!(kind_of("apps/ci/registry.example.com")["kind"], "jwt");
    assert_eq!(kind_of("apps/ci/registry.example.com")["expiresAt"], 1600000000);
    assert_eq!(kind_of("apps/gh/ghcr.io")["kind"], "github-classic-token");
    assert_eq!(kind_of("apps/old/quay.io")["username"], "robot");
    assert_eq!(kind_of("team-c/shared/docker.io")["storage"], "kubernetes-secret");
    assert_eq!(json["scanned"][0]["kind"], "kubernetes-objects");

    let text = regauth(&["audit", "--kube", "-"], Some(&dump), home.path(), None);
    assert_eq!(text.code, 9, "{}", text.stderr);
    assert!(
        text.stdout.contains("kube-secret-copied") && text.stdout.contains("storage    kubernetes-secret 7"),
        "{}",
        text.stdout
    );
    let never = regauth(&["audit", "--kube", "-", "--fail-on", "never"], Some(&dump), home.path(), None);
    assert_eq!(never.code, 0);
    let pairs: Vec<(&str, &str)> = secrets.iter().map(|(u, s)| (*u, s.as_str())).collect();
    assert_absent(
        &[("json", &run.all_output()), ("text", &text.all_output()), ("never", &never.all_output())],
        &pairs,
    );
}

#[test]
fn unreadable_input_is_exit_3() {
    let home = tempfile::tempdir().unwrap();
    let run = regauth(&["audit", "--kube", "-"], Some("{\"kind\": "), home.path(), None);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("not Kubernetes JSON"), "{}", run.stderr);
    let run = regauth(&["audit", "--kube", "/dev/zero"], None, home.path(), None);
    assert_eq!(run.code, 3, "{}", run.stderr);
}
