//! Kubernetes objects made by the real kubectl, offline (`--dry-run=client -o json`), for the fixtures of
//! `diagnose --kube` and `audit --kube`.

use serde_json::Value;
use std::process::Command;

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
