//! `regauth audit` finds the stores of other tools: helm's registry config and regctl's config as the real
//! programs (tests/go/helm, tests/go/regctl) write them on `registry login` (plaintext: no helper is
//! configured), and containerd's config.toml CRI auths in a `--system-root` tree, with token kinds and the
//! plaintext finding as for docker's files, and never a secret in the report.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use support::command::{clean, regauth};
use support::registry::{Auth, Registry};

const USER: &str = "alice";
const PASSWORD: &str = "tool-stores-pw-3Jd";
const GITHUB_PAT: &str = "ghp_000000000000000000000000000000000000";

fn login(program: &Path, home: &Path, args: &[&str]) {
    let out = run(program, home, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn run(program: &Path, home: &Path, args: &[&str]) -> std::process::Output {
    // Only the tools on PATH: no pass or secretservice helper to detect, so the logins stay in the files.
    let mut child = clean(program)
        .args(args)
        .env("HOME", home)
        .env("PATH", "/nonexistent")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(PASSWORD.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn audit(home: &Path, extra: &[&str]) -> serde_json::Value {
    let out = regauth()
        .args(["audit", "--json"])
        .args(extra)
        .env("HOME", home)
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    for secret in [PASSWORD, GITHUB_PAT] {
        assert!(!text.contains(secret), "audit printed a secret: {text}");
    }
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("no JSON ({e}): {text}"));
    support::audit_json::expanded(&report)
}

fn credential<'a>(report: &'a serde_json::Value, place: &str) -> Option<&'a serde_json::Value> {
    report["credentials"].as_array()?.iter().find(|c| c["place"] == place)
}

fn has_plaintext_finding(report: &serde_json::Value, location: &str) -> bool {
    report["findings"]
        .as_array()
        .is_some_and(|f| f.iter().any(|f| f["code"] == "plaintext-credential" && f["location"] == location))
}

#[test]
fn helm_and_regctl_logins_are_found_in_their_own_files() {
    let Some(helm) = support::go::need_peer("helm", "helm") else { return };
    let Some(regctl) = support::go::need_peer("regctl", "regctl") else { return };
    let Some(registry) = Registry::start(Auth::Htpasswd(vec![(USER.into(), PASSWORD.into())]), None) else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let h = registry.host();
    login(
        &helm,
        home.path(),
        &["registry", "login", &h, "--username", USER, "--password-stdin", "--plain-http"],
    );
    // Plain http for this registry; the ping it tries fails for want of a login, the setting stays.
    run(&regctl, home.path(), &["registry", "set", &h, "--tls", "disabled"]);
    login(&regctl, home.path(), &["registry", "login", &h, "--user", USER, "--pass-stdin"]);
    let report = audit(home.path(), &[]);
    for (place, file) in [
        ("helm-registry-config", ".config/helm/registry/config.json"),
        ("regctl-config", ".regctl/config.json"),
    ] {
        let location = home.path().join(file).display().to_string();
        let found = credential(&report, place).unwrap_or_else(|| panic!("no {place} credential: {report}"));
        assert_eq!((found["registry"].as_str(), found["username"].as_str()), (Some(h.as_str()), Some(USER)));
        assert_eq!(
            (found["storage"].as_str(), found["location"].as_str()),
            (Some("plaintext"), Some(location.as_str()))
        );
        assert!(has_plaintext_finding(&report, &location), "{place}: no plaintext finding: {report}");
    }
}

#[test]
fn containerd_cri_auths_are_found_under_the_system_root() {
    let root = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let config = root.path().join("etc/containerd/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::write(root.path().join("etc/passwd"), "").unwrap();
    std::fs::write(
        &config,
        format!(
            "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry.configs.\"ghcr.io\".auth]\n  username = \"ci\"\n  password = \"{GITHUB_PAT}\"\n"
        ),
    )
    .unwrap();
    let report = audit(home.path(), &["--all-users", "--system-root", root.path().to_str().unwrap()]);
    let found = credential(&report, "containerd-config").unwrap_or_else(|| panic!("nothing found: {report}"));
    assert_eq!((found["registry"].as_str(), found["username"].as_str()), (Some("ghcr.io"), Some("ci")));
    assert_eq!(found["kind"].as_str(), Some("github-classic-token"), "{found}");
    assert!(has_plaintext_finding(&report, &config.display().to_string()), "{report}");
}

#[test]
fn k3s_and_rke2_registries_yaml_are_found_under_the_system_root() {
    use base64::Engine;
    let root = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let k3s = root.path().join("etc/rancher/k3s/registries.yaml");
    let rke2 = root.path().join("etc/rancher/rke2/registries.yaml");
    std::fs::create_dir_all(k3s.parent().unwrap()).unwrap();
    std::fs::create_dir_all(rke2.parent().unwrap()).unwrap();
    std::fs::write(root.path().join("etc/passwd"), "").unwrap();
    // containerd (which k3s hands `auth` to) needs base64 padding: this one lacks it.
    let unpadded = base64::engine::general_purpose::STANDARD_NO_PAD.encode(format!("robot:{PASSWORD}x"));
    std::fs::write(
        &k3s,
        format!(
            "mirrors:\n  docker.io:\n    endpoint:\n      - \"https://mirror.example\"\nconfigs:\n  \"ghcr.io\":\n    auth:\n      username: ci\n      password: {GITHUB_PAT}\n  registry.example:5000:\n    auth:\n      auth: {unpadded}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        &rke2,
        format!("configs:\n  quay.io:\n    auth: {{username: u, password: \"{PASSWORD}\"\n"),
    )
    .unwrap();
    let report = audit(home.path(), &["--all-users", "--system-root", root.path().to_str().unwrap()]);
    let found: Vec<&serde_json::Value> = report["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["place"] == "rancher-registries")
        .collect();
    let seen: Vec<_> = found.iter().map(|c| (c["registry"].as_str(), c["username"].as_str())).collect();
    assert_eq!(
        seen,
        [(Some("ghcr.io"), Some("ci")), (Some("registry.example:5000"), Some("robot"))],
        "{report}"
    );
    assert_eq!(found[0]["kind"].as_str(), Some("github-classic-token"), "{report}");
    let k3s_location = k3s.display().to_string();
    assert!(has_plaintext_finding(&report, &k3s_location), "{report}");
    let unreadable = report["findings"].as_array().unwrap().iter().any(|f| {
        f["code"] == "unreadable-auth"
            && f["location"] == k3s_location.as_str()
            && f["registry"] == "registry.example:5000"
    });
    assert!(unreadable, "no unreadable-auth finding for the unpadded auth: {report}");
    // The broken rke2 file is named as a place that could not be read, without its content.
    let rke2_place = report["scanned"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["location"] == rke2.display().to_string().as_str())
        .unwrap_or_else(|| panic!("rke2's file not scanned: {report}"));
    assert_eq!(rke2_place["state"], "error", "{rke2_place}");
    assert!(rke2_place["message"].as_str().unwrap().contains("not valid YAML"), "{rke2_place}");
}
