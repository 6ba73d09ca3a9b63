//! Kubernetes objects made by the real kubectl, offline (`--dry-run=client -o json`), for the fixtures of
//! `diagnose --kube` and `audit --kube`.

use serde_json::{json, Value};
use std::io::Write;
use std::process::{Command, Stdio};

/// What `kubectl ARGS --dry-run=client -o json` prints.
pub fn kubectl(args: &[&str]) -> Value {
    let out = Command::new("kubectl")
        .args(args)
        .args(["--dry-run=client", "-o", "json"])
        .output()
        .expect("run kubectl");
    assert!(out.status.success(), "kubectl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A `kubernetes.io/dockerconfigjson` pull secret, as `kubectl create secret docker-registry` makes it.
pub fn pull_secret(name: &str, ns: &str, server: &str, user: &str, password: &str) -> Value {
    kubectl(&[
        "create",
        "secret",
        "docker-registry",
        name,
        &format!("--docker-server={server}"),
        &format!("--docker-username={user}"),
        &format!("--docker-password={password}"),
        "-n",
        ns,
    ])
}

/// The API server's decoder and validation, then the kubelet's keyring built from the secret `manifest`
/// alone (tests/go/kubelet's `kubelet-oracle secret`): per image, the credentials the kubelet would send.
/// `None` (after a skip) when the oracle is not built.
pub fn kubelet_view(manifest: &Value, images: &[&str]) -> Option<Value> {
    let oracle = super::go::need_peer("kubelet", "kubelet-oracle")?;
    let input = json!({"manifest": manifest, "namespace": "default", "images": images});
    let mut child = super::command::clean(&oracle)
        .arg("secret")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    Some(serde_json::from_slice(&out.stdout).unwrap())
}
