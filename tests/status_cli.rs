//! `regauth status` against the real registry and the tests' token server: every login per client, where
//! it is stored, and whether it still works; exit 4 when one is rejected, 0 offline; no secret shown.

mod support;

use base64::Engine;
use std::path::Path;
use support::bed::{Run, TokenBed};
use support::leaks::assert_absent;
use support::token_server::{Policy, Style, User};

fn auth(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

fn status(home: &Path, extra: &[&str]) -> Run {
    let out = support::command::regauth()
        .arg("status")
        .args(extra)
        .env("HOME", home)
        .env("DOCKER_CONFIG", home.join(".docker"))
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .env("REGAUTH_CERTS_D", home.join("certs.d"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn every_login_per_client_and_whether_it_works() {
    let policy = Policy::new(Style::Spec)
        .user("alice", User::new("alice-status-pw-1", &[("team/app", &["pull"])]))
        .user("dave", User::new("dave-status-pw-2", &[("team/app", &["pull"])]));
    let Some(bed) = TokenBed::start(policy, "/token", "test-registry") else { return };
    let host = bed.registry.host();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".docker")).unwrap();
    std::fs::create_dir_all(home.path().join("run/containers")).unwrap();
    let docker = serde_json::json!({"auths": {host.clone(): {"auth": auth("alice", "alice-status-pw-1")}}});
    std::fs::write(home.path().join(".docker/config.json"), docker.to_string()).unwrap();
    let podman = serde_json::json!({"auths": {host.clone(): {"auth": auth("dave", "revoked-status-pw-3")}}});
    std::fs::write(home.path().join("run/containers/auth.json"), podman.to_string()).unwrap();

    let run = status(home.path(), &["--json"]);
    assert_eq!(run.code, 4, "{}{}", run.stdout, run.stderr);
    let json = run.json();
    assert_eq!(json["exitCode"], 4);
    let logins = json["registries"][0]["logins"].as_array().unwrap().clone();
    let by = |user: &str| logins.iter().find(|l| l["username"] == user).cloned().unwrap();
    assert_eq!(by("alice")["clients"], serde_json::json!(["docker", "nerdctl"]), "{json:#}");
    assert_eq!(by("alice")["status"], "accepted", "{json:#}");
    assert_eq!(by("dave")["clients"], serde_json::json!(["podman", "buildah", "skopeo"]), "{json:#}");
    assert_eq!(by("dave")["status"], "rejected", "{json:#}");

    let text = status(home.path(), &[]);
    assert!(text.stdout.contains("REJECTED"), "{}", text.stdout);
    let offline = status(home.path(), &["--offline"]);
    assert_eq!(offline.code, 0, "{}{}", offline.stdout, offline.stderr);
    assert!(offline.stdout.contains("--offline"), "{}", offline.stdout);
    assert_absent(
        &[
            ("json", &run.stdout),
            ("text", &text.stdout),
            ("offline", &offline.stdout),
            ("stderr", &text.stderr),
        ],
        &[("alice", "alice-status-pw-1"), ("dave", "revoked-status-pw-3")],
    );
}

/// An expiry in the text is RFC 3339 and how far from now, as every text output shows a time.
#[test]
fn an_expiry_is_shown_as_rfc3339_and_how_far_from_now() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".docker")).unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let exp = now + 3 * 86_400 + 3_600;
    let b64url = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let jwt = format!("{}.{}.c2ln", b64url(r#"{"alg":"none"}"#), b64url(&format!(r#"{{"exp":{exp}}}"#)));
    let docker = serde_json::json!({"auths": {"r.example": {"auth": auth("ci", &jwt)}}});
    std::fs::write(home.path().join(".docker/config.json"), docker.to_string()).unwrap();
    let run = status(home.path(), &["--offline"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let at = time::OffsetDateTime::from_unix_timestamp(exp)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    assert!(run.stdout.contains(&format!(", expires {at} (in 3 days)")), "{}", run.stdout);
    assert_absent(&[("text", &run.stdout), ("stderr", &run.stderr)], &[("ci", &jwt)]);
}
