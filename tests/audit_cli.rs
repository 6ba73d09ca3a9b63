//! `regauth audit` on a prepared home directory: every kind of finding, exit codes, no secret in any
//! output, and the `--json` report of representative homes against tests/golden/audit/.

mod support;

use base64::Engine;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;
use support::golden::Golden;

const PAT: &str = "dckr_pat_SuperSecretValue123";
const GHCR_TOKEN: &str = "ghp_AnotherSecretValue456";
const HELPER_SECRET: &str = "never-read-by-audit";

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let h = dir.path();
    std::fs::create_dir_all(h.join(".docker")).unwrap();
    std::fs::create_dir_all(h.join("run/containers")).unwrap();
    std::fs::create_dir_all(h.join(".ecr")).unwrap();
    std::fs::create_dir_all(h.join("bin")).unwrap();
    let docker = format!(
        r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{}"}},"ghcr.io":{{"auth":"{}"}}}},"credHelpers":{{"quay.io":"lister","gcr.io":"gone"}}}}"#,
        b64(&format!("alice:{PAT}")),
        b64(&format!("bob:{GHCR_TOKEN}"))
    );
    let config = h.join(".docker/config.json");
    std::fs::write(&config, docker).unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    // The same PAT again, for podman.
    let auth = format!(r#"{{"auths":{{"docker.io":{{"auth":"{}"}}}}}}"#, b64(&format!("alice:{PAT}")));
    std::fs::write(h.join("run/containers/auth.json"), auth).unwrap();
    // Modes as the usual umask (022) leaves them, whatever this machine's umask is.
    std::fs::set_permissions(h.join("run/containers/auth.json"), std::fs::Permissions::from_mode(0o644))
        .unwrap();
    // An expired ECR token in the ECR helper's cache.
    let ecr_inner =
        b64(r#"{"payload":"p","datakey":"d","version":"2","type":"DATA_KEY","expiration":1600000000}"#);
    let cache = format!(
        r#"{{"version":"1.0","registries":{{"k":{{"AuthorizationToken":"{}","ProxyEndpoint":"https://1234.dkr.ecr.eu-west-1.amazonaws.com","ExpiresAt":"2020-09-13T12:26:40Z"}}}}}}"#,
        b64(&format!("AWS:{ecr_inner}"))
    );
    std::fs::write(h.join(".ecr/cache.json"), cache).unwrap();
    std::fs::set_permissions(h.join(".ecr/cache.json"), std::fs::Permissions::from_mode(0o644)).unwrap();
    support::write_script(
        &h.join("bin/docker-credential-lister"),
        &format!(
            "[ \"$1\" = list ] && echo '{{\"quay.io\":\"robot+ci\"}}' && exit 0\necho '{HELPER_SECRET}'"
        ),
    );
    dir
}

fn audit(home: &Path, args: &[&str]) -> Output {
    audit_with(home, args, &[])
}

fn audit_with(home: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    support::command::regauth()
        .arg("audit")
        .args(args)
        .envs(vars.iter().copied())
        .env("HOME", home)
        .env("PATH", home.join("bin"))
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .output()
        .unwrap()
}

fn all_output(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn finds_every_kind_of_problem_without_showing_a_secret() {
    let dir = home();
    let out = audit(dir.path(), &["--json"]);
    assert_eq!(out.status.code(), Some(9), "high findings fail by default: {}", all_output(&out));
    let shown = all_output(&out);
    for secret in [PAT, GHCR_TOKEN, HELPER_SECRET, "SuperSecret", &b64(&format!("alice:{PAT}"))] {
        assert!(!shown.contains(secret), "secret {secret} printed");
    }
    let report = support::audit_json::expanded(&serde_json::from_slice(&out.stdout).unwrap());
    let creds = report["credentials"].as_array().unwrap();
    let kind_of = |registry: &str| {
        creds.iter().find(|c| c["registry"] == registry).map(|c| c["kind"].clone()).unwrap_or_default()
    };
    assert_eq!(kind_of("https://index.docker.io/v1/"), "docker-hub-personal-access-token");
    assert_eq!(kind_of("ghcr.io"), "github-classic-token");
    assert_eq!(kind_of("https://1234.dkr.ecr.eu-west-1.amazonaws.com"), "aws-ecr-token");
    let quay = creds.iter().find(|c| c["registry"] == "quay.io").unwrap();
    assert_eq!((quay["storage"].as_str(), quay["username"].as_str()), (Some("helper"), Some("robot+ci")));

    let findings = report["findings"].as_array().unwrap();
    let has =
        |code: &str, severity: &str| findings.iter().any(|f| f["code"] == code && f["severity"] == severity);
    assert!(has("plaintext-credential", "high"), "{findings:#?}");
    assert!(has("readable-by-others", "high"), "{findings:#?}");
    assert!(has("expired-credential", "low"), "{findings:#?}");
    assert!(has("duplicated-credential", "low"), "{findings:#?}");
    assert!(has("missing-helper", "medium"), "{findings:#?}");
    let missing = findings.iter().find(|f| f["code"] == "missing-helper").unwrap();
    assert!(missing["message"].as_str().unwrap().contains("docker-credential-gone"));
    assert_eq!(findings[0]["severity"], "high", "most severe first");
    // The fix for a plaintext login in docker's file is the command that moves it.
    let ghcr = findings.iter().find(|f| f["code"] == "plaintext-credential" && f["registry"] == "ghcr.io");
    let fix = ghcr.unwrap()["fix"].as_str().unwrap();
    assert!(fix.contains("`regauth migrate --registry ghcr.io`"), "{fix}");
}

#[test]
fn fail_on_threshold_and_a_clean_machine() {
    let dir = home();
    assert_eq!(audit(dir.path(), &["--fail-on", "never"]).status.code(), Some(0));
    let empty = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(empty.path().join("bin")).unwrap();
    let out = audit(empty.path(), &["--fail-on", "info"]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert!(all_output(&out).contains("none found"));
}

#[test]
fn text_report_names_fixes() {
    let dir = home();
    let out = audit(dir.path(), &["--no-helpers"]);
    let text = all_output(&out);
    assert!(text.starts_with("regauth audit of "), "{text}");
    assert!(text.contains("Summary: 4 credentials"), "{text}");
    assert!(text.contains("chmod 600"), "{text}");
    assert!(text.contains("regauth helpers set regauth-keyutils"), "{text}");
    // The two plaintext entries of config.json are one group, with one fix.
    let config = dir.path().join(".docker/config.json");
    let group = format!("plaintext-credential x2  2 credentials stored unencrypted in {}", config.display());
    assert!(text.contains(&group), "{text}");
    assert!(
        text.contains("https://index.docker.io/v1/, ghcr.io")
            || text.contains("ghcr.io, https://index.docker.io/v1/"),
        "{text}"
    );
    let one = "Docker Hub personal access token for https://index.docker.io/v1/ (user alice)";
    assert!(!text.contains(one), "the default text groups: {text}");
    let verbose = all_output(&audit(dir.path(), &["--no-helpers", "--verbose"]));
    assert!(verbose.contains(one), "{verbose}");
    assert!(verbose.contains("Every finding"), "{verbose}");
    for text in [&text, &verbose] {
        assert!(!text.contains(PAT));
    }
}

#[test]
fn environment_credentials_for_ci_are_inventoried() {
    let dir = home();
    let token = "glpat-EnvSecretValue789";
    let vars = [
        ("REGAUTH_REGISTRY_REGISTRY_GITLAB_COM_USERNAME", "ci-bot"),
        ("REGAUTH_REGISTRY_REGISTRY_GITLAB_COM_PASSWORD", token),
    ];
    let out = audit_with(dir.path(), &["--json", "--no-helpers"], &vars);
    assert!(!all_output(&out).contains(token));
    let report = support::audit_json::expanded(&serde_json::from_slice(&out.stdout).unwrap());
    let entry = report["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["registry"] == "registry.gitlab.com")
        .cloned()
        .expect("the environment credential is listed");
    assert_eq!(entry["storage"], "environment");
    assert_eq!(entry["kind"], "gitlab-personal-access-token");
    assert_eq!(entry["location"], "$REGAUTH_REGISTRY_REGISTRY_GITLAB_COM_PASSWORD");
    let findings = report["findings"].as_array().unwrap();
    assert!(findings.iter().any(|f| f["code"] == "credential-in-environment" && f["severity"] == "info"));
}

#[test]
fn broken_config_is_a_finding_not_a_crash() {
    let dir = home();
    std::fs::write(dir.path().join(".docker/config.json"), "{\"auths\": {").unwrap();
    let out = audit(dir.path(), &["--json", "--fail-on", "medium"]);
    assert_eq!(out.status.code(), Some(9));
    let report = support::audit_json::expanded(&serde_json::from_slice(&out.stdout).unwrap());
    assert!(report["findings"].as_array().unwrap().iter().any(|f| f["code"] == "unreadable-config"));
}

/// A padding-less `auth` is still a plaintext secret on disk (inventoried, fingerprinted), but docker and
/// containers/image cannot decode it: a finding says which reader and why. The kubelet's node config reads
/// it, so nothing is said there.
#[test]
fn an_auth_its_reader_cannot_decode_is_inventoried_and_named() {
    let dir = home();
    let nopad = b64(&format!("carol:{PAT}x")).trim_end_matches('=').to_owned();
    assert_ne!(nopad, b64(&format!("carol:{PAT}x")), "the case needs padding");
    put(
        dir.path(),
        ".docker/config.json",
        &format!(r#"{{"auths":{{"reg.example":{{"auth":"{nopad}"}}}}}}"#),
        0o600,
    );
    put(
        dir.path(),
        "run/containers/auth.json",
        &format!(r#"{{"auths":{{"reg.example":{{"auth":"{nopad}"}}}}}}"#),
        0o600,
    );
    let out = audit(dir.path(), &["--json"]);
    let shown = all_output(&out);
    assert!(!shown.contains(&nopad) && !shown.contains(PAT), "secret printed: {shown}");
    let report = support::audit_json::expanded(&serde_json::from_slice(&out.stdout).unwrap());
    let creds = report["credentials"].as_array().unwrap();
    let reg: Vec<_> = creds.iter().filter(|c| c["registry"] == "reg.example").collect();
    assert_eq!(reg.len(), 2, "{creds:#?}");
    assert!(reg.iter().all(|c| c["username"] == "carol"), "{reg:#?}");
    let findings = report["findings"].as_array().unwrap();
    let unreadable: Vec<&str> = findings
        .iter()
        .filter(|f| f["code"] == "unreadable-auth")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(unreadable.len(), 2, "{findings:#?}");
    assert!(unreadable.iter().any(|m| m.contains("as docker decodes it: missing padding")), "{unreadable:?}");
    assert!(unreadable.iter().any(|m| m.contains("as containers/image")), "{unreadable:?}");
    assert!(findings.iter().any(|f| f["code"] == "plaintext-credential" && f["registry"] == "reg.example"));
}

/// With --all-users a root audit reads other users' configs; a helper answers for whoever runs it, so a
/// helper named only in another user's file must not be asked (its answer would be root's entries).
#[test]
fn helpers_named_in_another_users_config_are_not_asked() {
    if !support::need_root("gives a config file to another user") {
        return;
    }
    let dir = home();
    let config = dir.path().join(".docker/config.json");
    std::os::unix::fs::chown(&config, Some(65534), Some(65534)).unwrap();
    let out = audit(dir.path(), &["--json", "--fail-on", "never"]);
    let report = support::audit_json::expanded(&serde_json::from_slice(&out.stdout).unwrap());
    let creds = report["credentials"].as_array().unwrap();
    assert!(!creds.iter().any(|c| c["storage"] == "helper"), "another user's helper was asked: {creds:#?}");
    let findings = report["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["code"] == "missing-helper"),
        "a missing helper is still reported: {findings:#?}"
    );
    // Owned by us again, the same helper is asked.
    std::os::unix::fs::chown(&config, Some(0), Some(0)).unwrap();
    let out = audit(dir.path(), &["--json", "--fail-on", "never"]);
    let report = support::audit_json::expanded(&serde_json::from_slice(&out.stdout).unwrap());
    assert!(report["credentials"].as_array().unwrap().iter().any(|c| c["storage"] == "helper"));
}

/// A JWT (unsigned: audit only reads its claims) that expires at `exp`.
fn jwt(exp: i64) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let part = |json: String| URL_SAFE_NO_PAD.encode(json);
    let header = part(r#"{"alg":"ES256","typ":"JWT"}"#.to_owned());
    format!("{header}.{}.c2lnbmF0dXJl", part(format!(r#"{{"sub":"robot","exp":{exp}}}"#)))
}

/// Write `text` at `home/relative` with `mode`, so the golden files do not depend on the umask.
fn put(home: &Path, relative: &str, text: &str, mode: u32) {
    let path = home.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Every credential place audit reads, in every state it reports: each `--json` report is compared with
/// tests/golden/audit/<scenario>.json (HOME is `$HOME`; "expired N days ago" has `<N>`).
#[test]
fn json_reports_match_the_golden_files() {
    let mut golden = Golden::new("audit");
    let mut run = |name: &str, home: &tempfile::TempDir, args: &[&str], vars: &[(&str, &str)]| {
        let out = audit_with(home.path(), args, vars);
        golden.replace(home.path().to_str().unwrap(), "$HOME");
        // The report names its machine: the same golden file on every machine.
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
        golden.replace(format!("\"host\": \"{}\"", host.trim()), "\"host\": \"$HOST\"");
        golden.check(name, &support::golden::run_record(out.status.code(), &out.stdout));
    };

    // Plaintext and duplicated tokens, a listing helper, a missing helper, an expired ECR token, mode 0644.
    let every_kind = home();
    run("every-kind-of-finding", &every_kind, &["--json"], &[]);
    run("every-kind-no-helpers", &every_kind, &["--json", "--no-helpers", "--fail-on", "never"], &[]);

    let empty = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(empty.path().join("bin")).unwrap();
    run("clean-machine", &empty, &["--json", "--fail-on", "info"], &[]);

    let broken = home();
    put(broken.path(), ".docker/config.json", "{\"auths\": {", 0o600);
    run("unreadable-config", &broken, &["--json", "--fail-on", "medium"], &[]);

    // JWTs in auths (expired, and valid until 2100), an identity token, credsStore with a listing helper,
    // podman's XDG_CONFIG_HOME file, the legacy ~/.dockercfg, and CI credentials in the environment.
    let tokens = tempfile::tempdir().unwrap();
    let h = tokens.path();
    let auth = |user: &str, secret: &str| b64(&format!("{user}:{secret}"));
    put(
        h,
        ".docker/config.json",
        &format!(
            r#"{{"credsStore":"lister","auths":{{"registry.gitlab.com":{{"auth":"{}"}},"127.0.0.1:5000":{{"auth":"{}"}},"ghcr.io":{{}},"quay.io":{{"identitytoken":"refresh-token-of-quay"}}}}}}"#,
            auth("ci", &jwt(1_600_000_000)),
            auth("robot", &jwt(4_102_444_800)),
        ),
        0o600,
    );
    put(
        h,
        ".config/containers/auth.json",
        &format!(r#"{{"auths":{{"docker.io":{{"auth":"{}"}}}}}}"#, auth("alice", "plain-password")),
        0o600,
    );
    put(
        h,
        ".dockercfg",
        &format!(r#"{{"old.example.com":{{"auth":"{}","email":"e@x"}}}}"#, auth("u", "pw")),
        0o640,
    );
    std::fs::create_dir_all(h.join("bin")).unwrap();
    support::write_script(
        &h.join("bin/docker-credential-lister"),
        "[ \"$1\" = list ] && echo '{\"ghcr.io\":\"octocat\",\"https://index.docker.io/v1/\":\"hub-user\"}'",
    );
    let config_home = format!("{}/.config", h.display());
    let vars = [
        ("REGAUTH_REGISTRY_GHCR_IO_USERNAME", "ci-bot"),
        ("REGAUTH_REGISTRY_GHCR_IO_PASSWORD", "ghp_EnvironmentTokenValue1"),
        ("XDG_CONFIG_HOME", config_home.as_str()),
    ];
    run("tokens-helpers-and-environment", &tokens, &["--json", "--fail-on", "never"], &vars);
    golden.finish();
}
