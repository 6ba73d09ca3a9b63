//! `regauth diagnose --kube-live` and `audit --kube-live` against a real kube-apiserver with etcd started
//! here (tests/support/kube_cluster.rs), through the real kubectl, and the real registry and token server
//! of the diagnose tests as the registry the images live on.
//!
//! - For the same objects, `--kube-live` gives the same image reports as `--kube` of `kubectl get -o json`
//!   (every field of every image), and audit the same credentials and findings.
//! - RBAC: `dev` may read workloads and service accounts but no secrets: the verdict is the one reachable
//!   without them (anonymous, or the node's config), the unreadable secret is named as such (not as
//!   missing), and one line names the missing right; the audit says which right it lacked.
//! - kubectl never sees a secret in its arguments, and no output holds one.
//! - A kubectl that hangs is stopped at --kubectl-timeout and named.

mod support;

use serde_json::{json, Value};
use std::path::Path;
use std::process::Stdio;
use support::bed::{Run, TokenBed};
use support::kube_cluster::KubeCluster;
use support::kubectl::{kubectl, kubelet_view, pull_secret};
use support::leaks::assert_absent;
use support::token_server::{Policy, Style, User};

const SECRETS: &[(&str, &str)] =
    &[("alice", "alice-pw-1-secret"), ("carol", "carol-pw-3-secret"), ("alice", "wrong-password-9")];

fn bed() -> Option<TokenBed> {
    let policy = Policy::new(Style::Spec)
        .user("alice", User::new("alice-pw-1-secret", &[("team/app", &["pull", "push"])]))
        .user("carol", User::new("carol-pw-3-secret", &[("other/repo", &["pull"])]));
    TokenBed::start(policy, "/token", "test-registry")
}

fn deployment(ns: &str, image: &str, pull_secrets: &[&str]) -> Value {
    let mut d = kubectl(&["create", "deployment", "web", &format!("--image={image}"), "-n", ns]);
    if !pull_secrets.is_empty() {
        let refs: Vec<Value> = pull_secrets.iter().map(|n| json!({"name": n})).collect();
        d["spec"]["template"]["spec"]["imagePullSecrets"] = Value::Array(refs);
    }
    d
}

fn namespace(ns: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
}

/// Each namespace's objects and the verdict its one image gets.
fn scenarios(bed: &TokenBed) -> Vec<(&'static str, Vec<Value>, &'static str)> {
    let host = bed.registry.host();
    let image = bed.image("team/app:v1");
    let mut builder = kubectl(&["create", "serviceaccount", "builder", "-n", "sa"]);
    builder["imagePullSecrets"] = json!([{"name": "regcred"}]);
    let mut job = kubectl(&["create", "job", "nightly", &format!("--image={image}"), "-n", "sa"]);
    job["spec"]["template"]["spec"]["serviceAccountName"] = json!("builder");
    // A Pod that names no pull secret: the API server's ServiceAccount admission copies its account's
    // into it (no controller manager runs here, so the account is made by hand).
    let mut default_sa = kubectl(&["create", "serviceaccount", "default", "-n", "pod"]);
    default_sa["imagePullSecrets"] = json!([{"name": "regcred"}]);
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "pod"},
        "spec": {"containers": [{"name": "web", "image": image}]}});
    vec![
        (
            "right",
            vec![
                deployment("right", &image, &["regcred"]),
                pull_secret("regcred", "right", &host, "alice", "alice-pw-1-secret"),
            ],
            "ok",
        ),
        ("sa", vec![builder, job, pull_secret("regcred", "sa", &host, "alice", "alice-pw-1-secret")], "ok"),
        (
            "pod",
            vec![default_sa, pull_secret("regcred", "pod", &host, "alice", "alice-pw-1-secret"), pod],
            "ok",
        ),
        (
            "readonly",
            vec![
                deployment("readonly", &image, &["regcred"]),
                pull_secret("regcred", "readonly", &host, "carol", "carol-pw-3-secret"),
            ],
            "authorizationDenied",
        ),
        (
            "two",
            vec![
                deployment("two", &image, &["good", "stale", "absent"]),
                pull_secret("good", "two", &host, "alice", "alice-pw-1-secret"),
                pull_secret("stale", "two", &format!("{host}/team"), "alice", "wrong-password-9"),
            ],
            "ok",
        ),
        (
            "keyform",
            vec![
                deployment("keyform", &image, &["regcred"]),
                pull_secret("regcred", "keyform", "http://127.0.0.1/v2/", "alice", "alice-pw-1-secret"),
            ],
            "localConfig",
        ),
    ]
}

/// Run regauth with a cleared environment, the cluster's kubeconfig, and `path` as PATH (the tests' own
/// when None).
fn regauth(cluster: &KubeCluster, args: &[&str], stdin: Option<&str>, path: Option<&Path>) -> Run {
    use std::io::Write;
    let home = tempfile::tempdir().unwrap();
    let path = match path {
        Some(dir) => support::path_with(dir),
        None => support::command::system_path(),
    };
    let mut child = support::command::regauth()
        .args(args)
        .env("HOME", home.path())
        .env("KUBECONFIG", &cluster.kubeconfig)
        .env("REGAUTH_CERTS_D", home.path().join("certs.d"))
        .env("NO_COLOR", "1")
        .env("PATH", path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run regauth");
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A kubectl on PATH that logs its arguments (one call a line) and runs the real one.
fn logging_kubectl(dir: &Path) -> std::path::PathBuf {
    let real = support::need_program("kubectl").unwrap();
    let log = dir.join("argv.log");
    support::write_script(
        &dir.join("kubectl"),
        &format!("printf '%s\\n' \"$*\" >> '{}'\nexec '{}' \"$@\"", log.display(), real.display()),
    );
    log
}

/// What the admin's dump of a namespace is: the objects the dump path reads.
fn dump(cluster: &KubeCluster, ns: &str) -> String {
    cluster.kubectl(&["get", "pods,deployments,jobs,serviceaccounts,secrets", "-n", ns, "-o", "json"])
}

fn images(run: &Run) -> Vec<Value> {
    let json = run.json();
    let mut images = json["images"].as_array().cloned().unwrap_or_default();
    for image in &mut images {
        // An attempt's probe is an index into the report's own probes.
        for a in image["attempts"].as_array_mut().into_iter().flatten() {
            a.as_object_mut().unwrap().remove("probe");
        }
    }
    images
}

#[test]
fn live_reads_give_the_dump_verdicts_and_rbac_gives_what_is_reachable() {
    let Some(cluster) = KubeCluster::start() else { return };
    let Some(bed) = bed() else { return };
    let scenarios = scenarios(&bed);
    let mut objects: Vec<Value> = scenarios.iter().map(|(ns, _, _)| namespace(ns)).collect();
    objects.push(namespace("rbac"));
    cluster.apply(&objects);
    for (_, objects, _) in &scenarios {
        cluster.apply(objects);
    }
    let bin = tempfile::tempdir().unwrap();
    let argv = logging_kubectl(bin.path());
    let mut outputs = Vec::new();

    for (ns, _, verdict) in &scenarios {
        let live = regauth(
            &cluster,
            &["diagnose", "--kube-live", "-n", ns, "--json", "--timeout", "20"],
            None,
            Some(bin.path()),
        );
        let from_dump = regauth(
            &cluster,
            &["diagnose", "--kube", "-", "--json", "--timeout", "20"],
            Some(&dump(&cluster, ns)),
            None,
        );
        let live_images = images(&live);
        assert_eq!(live_images.len(), 1, "{ns}: {}{}", live.stdout, live.stderr);
        assert_eq!(live_images[0]["verdict"], *verdict, "{ns}: {:#}", live_images[0]);
        assert_eq!(live_images, images(&from_dump), "{ns}: live and dump differ");
        assert_eq!(live.code, from_dump.code, "{ns}");
        assert!(live.json().get("missingRights").is_none(), "{ns}: the admin may read everything");
        outputs.push(live.all_output());
        outputs.push(from_dump.all_output());
    }
    let pod = regauth(&cluster, &["diagnose", "--kube-live", "-n", "pod", "--json"], None, None).json();
    let image = &pod["images"][0];
    assert_eq!(image["workload"]["kind"], "Pod");
    assert_eq!(
        image["pullSecrets"][0]["namedBy"], "pod",
        "admission copied the account's secret into the pod"
    );
    // Named objects only, and the secrets they name only.
    let named = regauth(
        &cluster,
        &["diagnose", "--kube-live", "-n", "sa", "job/nightly", "--json"],
        None,
        Some(bin.path()),
    );
    assert_eq!(named.code, 0, "{}{}", named.stdout, named.stderr);
    assert_eq!(named.json()["inputs"][0], "kubectl get job/nightly -n sa -o json");
    let absent = regauth(&cluster, &["diagnose", "--kube-live", "-n", "sa", "job/absent"], None, None);
    assert_eq!(absent.code, 3, "{}{}", absent.stdout, absent.stderr);
    assert!(
        absent.stderr.contains("none of the workloads named was found")
            && absent.stderr.contains("\"absent\" not found"),
        "{}",
        absent.stderr
    );

    // RBAC: dev reads workloads and service accounts in rbac, never secrets.
    let host = bed.registry.host();
    let mut builder = kubectl(&["create", "serviceaccount", "builder", "-n", "rbac"]);
    builder["imagePullSecrets"] = json!([{"name": "regcred"}]);
    let mut job = kubectl(&[
        "create",
        "job",
        "nightly",
        &format!("--image={}", bed.image("team/app:v1")),
        "-n",
        "rbac",
    ]);
    job["spec"]["template"]["spec"]["serviceAccountName"] = json!("builder");
    cluster.apply(&[
        deployment("rbac", &bed.image("team/app:v1"), &["regcred"]),
        pull_secret("regcred", "rbac", &host, "alice", "alice-pw-1-secret"),
        builder,
        job,
    ]);
    cluster.kubectl(&[
        "create",
        "role",
        "reader",
        "-n",
        "rbac",
        "--verb=get,list",
        "--resource=pods,deployments,statefulsets,daemonsets,jobs,cronjobs,serviceaccounts",
    ]);
    cluster.kubectl(&["create", "rolebinding", "dev-reads", "-n", "rbac", "--role=reader", "--user=dev"]);
    let admin = regauth(&cluster, &["diagnose", "--kube-live", "-n", "rbac", "--json"], None, None);
    assert_eq!(admin.code, 0, "{}{}", admin.stdout, admin.stderr);

    let dev = regauth(
        &cluster,
        &["diagnose", "--kube-live", "--context", "dev", "-n", "rbac", "--json"],
        None,
        Some(bin.path()),
    );
    let json = dev.json();
    let image = &json["images"][0];
    // Without the secret, the kubelet's view from here is an anonymous pull, which the registry refuses.
    assert_eq!(image["verdict"], "localConfig", "{image:#}");
    assert_eq!(dev.code, 3);
    assert_eq!(image["pullSecrets"][0]["state"], "unreadable", "{image:#}");
    assert_eq!(image["attempts"][0]["source"], "anonymous");
    assert!(
        image["fix"].as_str().unwrap().contains("get secrets \"regcred\" in namespace rbac"),
        "{image:#}"
    );
    assert_eq!(
        json["missingRights"],
        json!(["get secrets \"regcred\" in namespace rbac (check: kubectl auth can-i get secrets/regcred -n rbac)"])
    );
    let text = regauth(&cluster, &["diagnose", "--kube-live", "--context", "dev", "-n", "rbac"], None, None);
    let lines: Vec<&str> = text.stdout.lines().filter(|l| l.starts_with("missing right: ")).collect();
    assert_eq!(lines.len(), 1, "{}", text.stdout);
    assert!(lines[0].contains("get secrets \"regcred\" in namespace rbac"), "{}", text.stdout);
    // What is reachable without the secret: the node's own credential pulls.
    let node = bin.path().join("node-config.json");
    let auth = base64_encode("alice:alice-pw-1-secret");
    std::fs::write(&node, json!({"auths": {host.clone(): {"auth": auth}}}).to_string()).unwrap();
    let with_node = regauth(
        &cluster,
        &[
            "diagnose",
            "--kube-live",
            "--context",
            "dev",
            "-n",
            "rbac",
            "--node-config",
            node.to_str().unwrap(),
            "--json",
        ],
        None,
        None,
    );
    assert_eq!(with_node.code, 0, "{}{}", with_node.stdout, with_node.stderr);
    let json = with_node.json();
    assert_eq!(json["images"][0]["attempts"][0]["source"], "node");
    assert_eq!(json["missingRights"].as_array().map(Vec::len), Some(1));
    outputs.extend([dev.all_output(), text.all_output(), with_node.all_output(), admin.all_output()]);

    // ops reads deployments and jobs only: the job's service account, and so its pull secrets, are unknown.
    cluster.kubectl(&[
        "create",
        "role",
        "deployer",
        "-n",
        "rbac",
        "--verb=get,list",
        "--resource=deployments,jobs",
    ]);
    cluster.kubectl(&["create", "rolebinding", "ops-deploys", "-n", "rbac", "--role=deployer", "--user=ops"]);
    let ops = regauth(
        &cluster,
        &["diagnose", "--kube-live", "--context", "ops", "-n", "rbac", "--json"],
        None,
        None,
    );
    assert_eq!(ops.code, 3, "{}{}", ops.stdout, ops.stderr);
    let json = ops.json();
    let rights = json["missingRights"].to_string();
    for right in [
        "list pods in namespace rbac",
        "list serviceaccounts in namespace rbac",
        "get secrets \\\"regcred\\\"",
    ] {
        assert!(rights.contains(right), "{right}: {rights}");
    }
    let job = json["images"].as_array().unwrap().iter().find(|i| i["workload"]["kind"] == "Job").unwrap();
    assert_eq!(job["verdict"], "localConfig", "{job:#}");
    assert_eq!(job["serviceAccountUnknown"], true);
    assert!(job["details"].to_string().contains("service account rbac/builder could not be read"), "{job:#}");
    assert!(job["fix"].as_str().unwrap().contains("right list serviceaccounts in namespace rbac"), "{job:#}");
    outputs.push(ops.all_output());

    // audit: the admin's live audit is the dump's; dev's names the right it lacks.
    let summary = |run: &Run| {
        let json = run.json();
        let findings: Vec<(String, String)> = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["code"].as_str().unwrap().to_owned(), f["location"].as_str().unwrap().to_owned()))
            .collect();
        (findings, json["credentials"].clone())
    };
    for ns in ["two", "rbac"] {
        let live = regauth(&cluster, &["audit", "--kube-live", "-n", ns, "--json"], None, Some(bin.path()));
        let from_dump =
            regauth(&cluster, &["audit", "--kube", "-", "--json"], Some(&dump(&cluster, ns)), None);
        assert_eq!(summary(&live), summary(&from_dump), "{ns}");
        assert!(live.json()["credentials"].as_array().is_some_and(|c| !c.is_empty()), "{ns}");
        outputs.extend([live.all_output(), from_dump.all_output()]);
    }
    let dev_audit =
        regauth(&cluster, &["audit", "--kube-live", "--context", "dev", "-n", "rbac", "--json"], None, None);
    let (findings, credentials) = summary(&dev_audit);
    assert_eq!(
        findings,
        [("kube-missing-right".to_owned(), "rbac/secrets".to_owned())],
        "{}",
        dev_audit.stdout
    );
    assert_eq!(credentials, json!([]));
    let message = support::audit_json::expanded(&dev_audit.json())["findings"][0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("list secrets in namespace rbac"), "{message}");
    outputs.push(dev_audit.all_output());

    // No secret in any output, nor in any kubectl argument.
    let argv = std::fs::read_to_string(argv).unwrap();
    assert!(argv.contains("get secret/regcred -n rbac -o json --ignore-not-found"), "{argv}");
    outputs.push(argv);
    let named: Vec<(&str, &str)> = outputs.iter().map(|o| ("output", o.as_str())).collect();
    assert_absent(&named, SECRETS);
}

/// `regauth export` applied to the real API server, read back by kubectl, is what the kubelet's keyring
/// uses for the image; and `--kube-live` then finds it and pulls with it.
#[test]
fn an_exported_secret_applied_to_the_api_server_serves_the_image() {
    let Some(cluster) = KubeCluster::start() else { return };
    let Some(bed) = bed() else { return };
    let image = bed.image("team/app:v1");
    let home = tempfile::tempdir().unwrap();
    let auth = base64_encode("alice:alice-pw-1-secret");
    support::bed::write_docker_config(home.path(), &json!({"auths": {bed.registry.host(): {"auth": auth}}}));
    let export = support::bed::regauth(
        &["export", &image, "--name", "regcred", "-n", "shop"],
        None,
        home.path(),
        None,
    );
    assert_eq!(export.code, 0, "{}", export.stderr);
    cluster.apply(&[namespace("shop")]);
    cluster.kubectl_stdin(&["apply", "-f", "-"], Some(&export.stdout));
    let stored: Value =
        serde_json::from_str(&cluster.kubectl(&["get", "secret", "regcred", "-n", "shop", "-o", "json"]))
            .unwrap();
    assert_eq!(stored["type"], "kubernetes.io/dockerconfigjson");
    let Some(view) = kubelet_view(&stored, &[&image]) else { return };
    assert_eq!(view["invalid"], json!([]), "{view}");
    assert_eq!(
        view["images"][0]["credentials"],
        json!([{"username": "alice", "password": "alice-pw-1-secret", "secret": "regcred"}])
    );
    cluster.apply(&[deployment("shop", &image, &["regcred"])]);
    let live = regauth(&cluster, &["diagnose", "--kube-live", "-n", "shop", "--json"], None, None);
    assert_eq!(live.code, 0, "{}{}", live.stdout, live.stderr);
    assert_eq!(live.json()["images"][0]["attempts"][0]["secret"], "shop/regcred");
    assert_absent(&[("export stderr", &export.stderr), ("live", &live.all_output())], SECRETS);
}

#[test]
fn a_hanging_kubectl_is_stopped_and_named() {
    let bin = tempfile::tempdir().unwrap();
    support::write_script(&bin.path().join("kubectl"), "sleep 30");
    let home = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let out = support::command::regauth()
        .args(["diagnose", "--kube-live", "-n", "app", "--kubectl-timeout", "1"])
        .env("HOME", home.path())
        .env("PATH", support::path_with(bin.path()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "{:?}", started.elapsed());
    assert!(
        stderr.contains("`kubectl get pods,deployments,statefulsets,daemonsets,jobs,cronjobs -n app -o json` did not finish within 1 s"),
        "{stderr}"
    );
    // And no kubectl at all.
    let empty = tempfile::tempdir().unwrap();
    let out = support::command::regauth()
        .args(["audit", "--kube-live"])
        .env("HOME", home.path())
        .env("PATH", empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("kubectl is not on PATH"));
}

fn base64_encode(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}
