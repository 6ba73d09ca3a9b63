//! Unit tests of `kube::verdict`: a pod and its pull secrets parsed as kubectl prints them, judged.

use super::*;
use crate::kube::objects;

/// A pod in `default` naming the pull secret `regcred`, and `objects` (JSON objects) beside it.
fn cluster(image: &str, others: &[String]) -> Cluster {
    let pod = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"containers": [{"name": "app", "image": image}], "imagePullSecrets": [{"name": "regcred"}]}
    });
    let mut items = vec![pod.to_string()];
    items.extend_from_slice(others);
    let list = format!(r#"{{"apiVersion":"v1","kind":"List","items":[{}]}}"#, items.join(","));
    let mut cluster = Cluster::default();
    objects::parse_into(list.as_bytes(), "test", &mut cluster).unwrap();
    cluster
}

fn pull_secret(namespace: &str, server: &str) -> String {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let config = format!(r#"{{"auths":{{"{server}":{{"auth":"{}"}}}}}}"#, b64("robot:pw-Xy7"));
    serde_json::json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "regcred", "namespace": namespace},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": b64(&config)}
    })
    .to_string()
}

/// The one image of the pod judged with every probe of its chain failed to run (`why`).
fn judged(cluster: &Cluster, why: &str) -> ImageReport {
    let workload = &cluster.workloads[0];
    let container = &workload.containers[0];
    let reference = Reference::parse(&container.image).map_err(|e| e.to_string());
    let plan = reference.as_ref().ok().map(|r| keyring::plan(cluster, workload, r, None));
    let image = reference.as_ref().map(|r| r.to_string()).unwrap_or_default();
    let candidates = plan.as_ref().map_or(0, |p| p.candidates.len()).max(1);
    let chain: Vec<ProbeKey> = (0..candidates)
        .map(|n| ProbeKey { image: image.clone(), user: None, secret_hash: n as u64 })
        .collect();
    let outcome = chain.iter().map(|k| (k.clone(), Err(why.to_owned()))).collect();
    let item = Item { workload, container, reference, plan, chain };
    judge(&item, cluster, &[], &outcome)
}

#[test]
fn an_invalid_image_is_the_kubelets_invalid_image_name() {
    let report = judged(&cluster("Not A Reference", &[]), "unused");
    assert_eq!(report.verdict, Verdict::LocalConfig);
    assert!(report.summary.contains("InvalidImageName"), "{}", report.summary);
    assert!(report.fix.as_deref().unwrap().contains("container app in Pod default/web"), "{:?}", report.fix);
}

#[test]
fn a_missing_pull_secret_is_created_with_kubectl() {
    let report = judged(&cluster("ghcr.io/me/app:v1", &[]), "no answer");
    assert_eq!(report.verdict, Verdict::LocalConfig);
    assert!(
        report.summary.starts_with("no credential for ghcr.io reaches the kubelet"),
        "{}",
        report.summary
    );
    assert_eq!(
        report.fix.as_deref(),
        Some(
            "create the pull secret regcred that the pod names: kubectl create secret docker-registry regcred \
             --docker-server=ghcr.io --docker-username=<user> --docker-password=<the token> -n default"
        )
    );
    assert_eq!(report.attempts[0].source, "anonymous");
    assert_eq!(report.attempts[0].summary.as_deref(), Some("no answer"));
}

#[test]
fn a_pull_secret_in_another_namespace_is_named_with_where_it_must_go() {
    let report = judged(&cluster("ghcr.io/me/app:v1", &[pull_secret("tools", "ghcr.io")]), "refused");
    let fix = report.fix.unwrap();
    assert!(fix.starts_with("secret regcred is in namespace tools, not in default"), "{fix}");
    assert!(fix.contains("--docker-username=robot"), "the user is read from the other copy: {fix}");
    assert!(!fix.contains("pw-Xy7"), "never the password: {fix}");
}

#[test]
fn a_failing_credential_is_named_with_the_command_that_replaces_it() {
    let report = judged(&cluster("ghcr.io/me/app:v1", &[pull_secret("default", "ghcr.io")]), "helper hung");
    assert_eq!(report.verdict, Verdict::LocalConfig);
    assert_eq!(report.attempts[0].source, "secret");
    assert_eq!(report.attempts[0].secret.as_deref(), Some("default/regcred"));
    assert!(report.summary.starts_with("no credential pulls: secret default/regcred"), "{}", report.summary);
}

#[test]
fn kubectl_commands_use_dockers_key_for_docker_hub_and_a_placeholder_password() {
    let hub = Reference::parse("nginx").unwrap();
    assert_eq!(server(&hub), regauth_core::registry::DOCKER_HUB_KEY);
    assert_eq!(server(&Reference::parse("quay.io/a/b").unwrap()), "quay.io");
    let replace = create_command("regcred", "quay.io", Some(""), "ns", true);
    assert!(replace.contains("--docker-username=<user>") && replace.ends_with("| kubectl apply -f -"));
    assert!(replace.contains("--docker-password=<the token>"));
}
