//! Fixture machines for audit's fleet tests (tests/audit_fleet.rs): `--system-root`
//! trees with a private etc/passwd whose users live in /home, /var/lib and /srv, holding credentials of
//! every kind audit knows, and the checks that no planted secret shows in any output.

use super::leaks::assert_absent;
use base64::Engine;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

pub fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Letters and digits from a seed, so each planted secret is distinct and never ordinary text.
pub fn tail(seed: u64, len: usize, alphabet: &[u8]) -> String {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            alphabet[(x >> 33) as usize % alphabet.len()] as char
        })
        .collect()
}

pub const ALNUM: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
pub const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// One planted credential: where, for which registry and user, the secret, its public prefix (not looked
/// for: it is the documented form), and what audit must say.
#[derive(Clone)]
pub struct Planted {
    pub file: &'static str,
    pub registry: String,
    pub username: String,
    pub secret: String,
    pub public_prefix: usize,
    pub kind: &'static str,
    pub severity: &'static str,
}

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

pub const ALICE: &str = "home/alice/.docker/config.json";
pub const JENKINS: &str = "var/lib/jenkins/.docker/config.json";
pub const APP: &str = "srv/app/.config/containers/auth.json";

/// Every kind of issue 12, spread over three users' files; `seed` makes a machine's secrets its own.
pub fn every_kind(seed: u64) -> Vec<Planted> {
    let mut n = 0;
    let mut plant = |file, user: &str, prefix: &str, len: usize, alphabet: &[u8], kind, severity| {
        n += 1;
        Planted {
            file,
            registry: format!("r{n:02}.example"),
            username: user.to_owned(),
            secret: format!("{prefix}{}", tail(seed * 1000 + n, len, alphabet)),
            public_prefix: prefix.len(),
            kind,
            severity,
        }
    };
    let mut all = vec![
        plant(ALICE, "alice", "dckr_pat_", 27, ALNUM, "docker-hub-personal-access-token", "high"),
        plant(ALICE, "myorg", "dckr_oat_", 27, ALNUM, "docker-hub-organization-token", "high"),
        plant(ALICE, "octo", "ghp_", 36, ALNUM, "github-classic-token", "high"),
        plant(ALICE, "octo", "github_pat_", 60, ALNUM, "github-fine-grained-token", "high"),
        plant(ALICE, "octo", "gho_", 36, ALNUM, "github-oauth-token", "high"),
        plant(ALICE, "octo", "ghs_", 36, ALNUM, "github-actions-token", "medium"),
        plant(ALICE, "octo", "ghu_", 36, ALNUM, "github-user-to-server-token", "medium"),
        plant(ALICE, "octo", "ghr_", 36, ALNUM, "github-refresh-token", "high"),
        plant(ALICE, "me", "glpat-", 20, ALNUM, "gitlab-personal-access-token", "high"),
        plant(ALICE, "deploy", "gldt-", 20, ALNUM, "gitlab-deploy-token", "high"),
        plant(JENKINS, "ci", "glcbt-", 20, ALNUM, "gitlab-job-token", "medium"),
        plant(JENKINS, "ci", "glrt-", 20, ALNUM, "gitlab-runner-token", "high"),
        plant(JENKINS, "ci", "glptt-", 20, ALNUM, "gitlab-pipeline-trigger-token", "high"),
        plant(JENKINS, "ci", "glft-", 20, ALNUM, "gitlab-feed-token", "high"),
        plant(JENKINS, "ci", "glimt-", 20, ALNUM, "gitlab-incoming-mail-token", "high"),
        plant(JENKINS, "ci", "glagent-", 40, ALNUM, "gitlab-agent-token", "high"),
        plant(JENKINS, "ci", "gloas-", 40, ALNUM, "gitlab-oauth-application-secret", "high"),
        plant(JENKINS, "ci", "glsoat-", 20, ALNUM, "gitlab-scim-token", "high"),
        plant(JENKINS, "ci", "glffct-", 20, ALNUM, "gitlab-feature-flags-client-token", "high"),
        plant(APP, "acme+deployer", "", 64, UPPER, "quay-robot-token", "high"),
        plant(APP, "robot$proj+ci", "", 32, ALNUM, "harbor-robot-secret", "high"),
        plant(APP, "me", "cmVmdGtu", 56, ALNUM, "jfrog-reference-token", "high"),
        plant(APP, "me", "AKCp", 69, ALNUM, "jfrog-api-key", "high"),
        plant(APP, "00000000-0000-0000-0000-000000000000", "", 40, ALNUM, "azure-acr-refresh-token", "high"),
        plant(APP, "oauth2accesstoken", "ya29.", 60, ALNUM, "gcp-access-token", "medium"),
        plant(APP, "app", "", 24, ALNUM, "password", "high"),
    ];
    // A service-account key (JSON, and its base64) and an ECR token valid for 12 hours.
    let key =
        format!(r#"{{"type":"service_account","private_key":"{}"}}"#, tail(seed * 1000 + 90, 48, ALNUM));
    let public = r#"{"type":"service_account","private_key":""#.len();
    all.push(Planted {
        file: APP,
        registry: "gcr.io".into(),
        username: "_json_key".into(),
        secret: key.clone(),
        public_prefix: public,
        kind: "gcp-service-account-key",
        severity: "high",
    });
    let key64 = b64(&format!(
        r#"{{"type":"service_account","private_key":"{}"}}"#,
        tail(seed * 1000 + 91, 48, ALNUM)
    ));
    all.push(Planted {
        file: APP,
        registry: "europe-docker.pkg.dev".into(),
        username: "_json_key_base64".into(),
        secret: key64,
        public_prefix: 8,
        kind: "gcp-service-account-key",
        severity: "high",
    });
    let ecr = b64(&format!(
        r#"{{"payload":"{}","datakey":"d","version":"2","type":"DATA_KEY","expiration":{}}}"#,
        tail(seed * 1000 + 92, 40, ALNUM),
        now() + 12 * 3600
    ));
    all.push(Planted {
        file: APP,
        registry: "1234.dkr.ecr.eu-west-1.amazonaws.com".into(),
        username: "AWS".into(),
        secret: ecr,
        public_prefix: 0,
        kind: "aws-ecr-token",
        severity: "medium",
    });
    all
}

/// Write `text` at `root/relative` with `mode`.
pub fn put(root: &Path, relative: &str, text: &str, mode: u32) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A machine: passwd with users in /home, /var/lib and /srv (and a clean one), `planted` in their files.
pub fn machine(planted: &[Planted]) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    put(
        r,
        "etc/passwd",
        "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n\
         jenkins:x:999:999::/var/lib/jenkins:/bin/sh\napp:x:998:998::/srv/app:/usr/sbin/nologin\n\
         clean:x:1001:1001::/home/clean:/bin/sh\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n",
        0o644,
    );
    for home in ["root", "home/alice", "var/lib/jenkins", "srv/app", "home/clean/.docker"] {
        std::fs::create_dir_all(r.join(home)).unwrap();
    }
    put(r, "home/clean/.docker/config.json", r#"{"auths":{}}"#, 0o600);
    for file in [ALICE, JENKINS, APP] {
        let entries: Vec<String> = planted
            .iter()
            .filter(|p| p.file == file)
            .map(|p| {
                format!(r#""{}":{{"auth":"{}"}}"#, p.registry, b64(&format!("{}:{}", p.username, p.secret)))
            })
            .collect();
        put(r, file, &format!(r#"{{"auths":{{{}}}}}"#, entries.join(",")), 0o600);
    }
    // BuildKit's seeds: alice's readable by everyone, jenkins' private.
    put(r, "home/alice/.docker/.token_seed", r#"{"r01.example":{"Seed":"c2VlZA=="}}"#, 0o644);
    put(r, "var/lib/jenkins/.docker/.token_seed", "{}", 0o600);
    put(r, "var/lib/jenkins/.docker/.token_seed.lock", "", 0o600);
    root
}

/// `regauth audit --all-users --system-root ROOT ARGS` with a cleared environment and an empty own home.
pub fn audit(root: &Path, args: &[&str]) -> Output {
    let own = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(own.path().join("bin")).unwrap();
    super::command::regauth()
        .args(["audit", "--all-users", "--system-root"])
        .arg(root)
        .args(args)
        .env("HOME", own.path())
        .env("PATH", own.path().join("bin"))
        .output()
        .unwrap()
}

/// The JSON on `out`'s stdout, findings expanded (`audit_json::expanded`).
pub fn json(out: &Output) -> Value {
    super::audit_json::expanded(&raw_json(out))
}

/// The JSON on `out`'s stdout, as written.
pub fn raw_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)))
}

pub fn texts(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// No form of any planted secret, and no 8-character piece of one past its documented prefix, in `outputs`.
pub fn assert_no_secret(outputs: &[(&str, &str)], planted: &[Planted]) {
    let pairs: Vec<(&str, &str)> = planted.iter().map(|p| (p.username.as_str(), p.secret.as_str())).collect();
    assert_absent(outputs, &pairs);
    for (i, p) in planted.iter().enumerate() {
        let bytes = p.secret.as_bytes();
        for start in 0..bytes.len().saturating_sub(7) {
            if start + 8 <= p.public_prefix {
                continue;
            }
            let piece = std::str::from_utf8(&bytes[start..start + 8]).unwrap();
            for (name, text) in outputs {
                assert!(
                    !text.contains(piece),
                    "{name} holds an 8-character piece of planted secret #{i} ({})",
                    p.kind
                );
            }
        }
    }
}
