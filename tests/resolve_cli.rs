//! `regauth resolve` as users run it: text and JSON output, exit codes, helpers found, missing, failing and
//! hanging, never a secret on screen, and the `--json` answers of representative configs against
//! tests/golden/resolve/.

mod support;

use std::path::Path;
use std::process::Output;
use support::golden::{run_record, Golden};

const SECRET: &str = "s3cr3t-helper-password";

fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    support::write_script(
        &bin.join("docker-credential-fake"),
        &format!(
            "read key\n[ \"$1\" = get ] || exit 0\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"helper-user\",\"Secret\":\"{SECRET}\"}}\\n' \"$key\""
        ),
    );
    support::write_script(
        &bin.join("docker-credential-broken"),
        &format!("echo 'backend down, token {SECRET}' >&2; exit 1"),
    );
    support::write_script(&bin.join("docker-credential-hangs"), "/bin/sleep 60; echo late");
    (dir, bin)
}

fn resolve(dir: &Path, bin: &Path, config: &str, args: &[&str]) -> Output {
    resolve_with(dir, bin, config, args, &[])
}

/// `regauth --config DIR/config.json resolve ARGS --containerd-config DIR/containerd/config.toml` with a
/// cleared environment: PATH (only `bin`), HOME,
/// XDG_RUNTIME_DIR and `vars`.
fn resolve_with(dir: &Path, bin: &Path, config: &str, args: &[&str], vars: &[(&str, &Path)]) -> Output {
    let config_path = dir.join("config.json");
    std::fs::write(&config_path, config).unwrap();
    support::command::regauth()
        .arg("--config")
        .arg(&config_path)
        .arg("resolve")
        .args(args)
        // containerd's file of this test, not the machine's /etc/containerd/config.toml.
        .arg("--containerd-config")
        .arg(dir.join("containerd/config.toml"))
        .env("PATH", bin)
        .env("HOME", dir)
        .env("XDG_RUNTIME_DIR", dir.join("run"))
        .envs(vars.iter().copied())
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn json_names_file_key_source_helper_and_user_for_each_client() {
    let (dir, bin) = setup();
    let config = r#"{"credsStore":"fake","auths":{"127.0.0.1:5000":{"auth":"ZmlsZS11c2VyOmZpbGUtcHc="}}}"#;
    let out = resolve(dir.path(), &bin, config, &["127.0.0.1:5000/team/app:v1", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!text(&out).contains(SECRET) && !text(&out).contains("file-pw"));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["image"], "127.0.0.1:5000/team/app:v1");
    let clients = v["clients"].as_array().unwrap();
    let by = |name: &str| clients.iter().find(|c| c["client"] == name).unwrap().clone();
    let docker = by("docker");
    assert_eq!(docker["source"], "credsStore");
    assert_eq!(docker["key"], "127.0.0.1:5000");
    assert_eq!(docker["helper"]["program"], "docker-credential-fake");
    assert!(docker["helper"]["path"].as_str().unwrap().ends_with("bin/docker-credential-fake"));
    assert_eq!(docker["outcome"]["status"], "found");
    assert_eq!(docker["outcome"]["username"], "helper-user");
    let podman = by("podman");
    assert_eq!(podman["source"], "auths", "podman ignores credsStore");
    assert_eq!(podman["outcome"]["username"], "file-user");
    assert!(podman["notes"][0].as_str().unwrap().contains("ignore"));
    assert_eq!(by("nerdctl")["source"], "credsStore");
}

#[test]
fn problems_exit_3_and_are_named() {
    let (dir, bin) = setup();
    let config = r#"{"credHelpers":{"a.io":"absent","b.io":"broken","c.io":"hangs"}}"#;
    let cases = [
        ("a.io/x", "docker-credential-absent is not on PATH"),
        ("b.io/x", "docker-credential-broken failed: backend down"),
        ("c.io/x", "docker-credential-hangs did not answer within 0.5s"),
    ];
    for (image, expected) in cases {
        let out =
            resolve(dir.path(), &bin, config, &[image, "--client", "docker", "--helper-timeout", "0.5"]);
        let shown = text(&out);
        assert_eq!(out.status.code(), Some(3), "{image}: {shown}");
        assert!(shown.contains(expected), "{image}: {shown}");
        assert!(shown.contains("PROBLEM"), "{image}: {shown}");
    }
}

#[test]
fn secrets_from_a_failing_helper_are_not_hidden_but_ours_never_printed() {
    // The helper's own error text is shown (sanitised) because it is the evidence; what regauth itself
    // holds as a secret is never printed.
    let (dir, bin) = setup();
    let out = resolve(dir.path(), &bin, r#"{"credsStore":"fake"}"#, &["ghcr.io/o/a"]);
    assert_eq!(out.status.code(), Some(0));
    let shown = text(&out);
    assert!(shown.contains("helper-user"), "{shown}");
    assert!(!shown.contains(SECRET), "{shown}");
}

#[test]
fn no_helpers_says_which_would_be_asked() {
    let (dir, bin) = setup();
    let out = resolve(
        dir.path(),
        &bin,
        r#"{"credsStore":"hangs"}"#,
        &["nginx", "--no-helpers", "--client", "docker"],
    );
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(shown.contains("credsStore -> docker-credential-hangs"), "{shown}");
    assert!(shown.contains("https://index.docker.io/v1/"), "{shown}");
    assert!(shown.contains("--no-helpers"), "{shown}");
}

#[test]
fn bad_image_is_a_usage_error() {
    let (dir, bin) = setup();
    let cases = [
        ("User/App", "regauth: User/App: repository name \"App\" must be lowercase (try \"app\")"),
        (
            "nginx@sha256:xyz",
            "regauth: nginx@sha256:xyz: digest \"sha256:xyz\" is not valid: expected ALGORITHM:HEX such as \
             sha256: followed by 64 lowercase hex digits",
        ),
        ("", "regauth: : the image reference is empty"),
    ];
    for (image, message) in cases {
        let out = resolve(dir.path(), &bin, "{}", &[image]);
        assert_eq!(out.status.code(), Some(2), "{image}: {}", text(&out));
        assert_eq!(String::from_utf8_lossy(&out.stderr).trim_end(), message, "{image}");
        assert!(out.stdout.is_empty(), "{image}: {}", text(&out));
    }
}

/// Name, config.json, arguments, extra environment.
type Scenario<'a> = (&'a str, String, &'a [&'a str], &'a [(&'a str, &'a Path)]);

/// A JWT-shaped secret (unsigned: resolve never checks it) that expired in 2020.
const EXPIRED_JWT: &str =
    "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJyb2JvdCIsImV4cCI6MTYwMDAwMDAwMH0.c2ln";

/// Every source a client can take a credential from, in every state resolve reports, for docker, podman
/// and nerdctl at once: each `--json` answer is compared with tests/golden/resolve/<scenario>.json (the
/// temp dir is `$DIR`).
#[test]
fn json_answers_match_the_golden_files() {
    let (dir, bin) = setup();
    let d = dir.path();
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    let mut golden = Golden::new("resolve");
    golden.replace(d.to_str().unwrap(), "$DIR");
    let podman_file = d.join("podman-auth.json");
    std::fs::write(
        &podman_file,
        format!(r#"{{"auths":{{"docker.io":{{"auth":"{}"}}}}}}"#, b64("podman-user:podman-pw")),
    )
    .unwrap();
    let with_podman_file: &[(&str, &Path)] = &[("REGISTRY_AUTH_FILE", &podman_file)];
    let scenarios: &[Scenario] = &[
        (
            "creds-store-and-auths",
            r#"{"credsStore":"fake","auths":{"127.0.0.1:5000":{"auth":"ZmlsZS11c2VyOmZpbGUtcHc="}}}"#.into(),
            &["127.0.0.1:5000/team/app:v1"],
            &[],
        ),
        (
            "cred-helpers-per-registry",
            r#"{"credsStore":"absent","credHelpers":{"ghcr.io":"fake","docker.io":"fake"}}"#.into(),
            &["ghcr.io/o/a@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"],
            &[],
        ),
        (
            "docker-hub-keys",
            format!(
                r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{}"}},"docker.io":{{"auth":"{}"}}}}}}"#,
                b64("hub-user:hub-pw"),
                b64("short-key-user:pw")
            ),
            &["nginx"],
            &[],
        ),
        ("podman-auth-file", "{}".into(), &["docker.io/library/nginx:1.27"], with_podman_file),
        (
            "legacy-url-key-identity-token-and-jwt",
            format!(
                r#"{{"auths":{{"http://127.0.0.1:5000":{{"identitytoken":"refresh-secret"}},"https://registry.gitlab.com":{{"auth":"{}"}}}}}}"#,
                b64(&format!("ci:{EXPIRED_JWT}"))
            ),
            &["127.0.0.1:5000/team/app"],
            &[],
        ),
        (
            "expired-jwt-in-auths",
            format!(
                r#"{{"auths":{{"registry.gitlab.com":{{"auth":"{}"}}}}}}"#,
                b64(&format!("ci:{EXPIRED_JWT}"))
            ),
            &["registry.gitlab.com/group/project"],
            &[],
        ),
        ("helper-missing", r#"{"credHelpers":{"a.io":"absent"}}"#.into(), &["a.io/x"], &[]),
        ("helper-failing", r#"{"credHelpers":{"b.io":"broken"}}"#.into(), &["b.io/x"], &[]),
        (
            "helper-hanging",
            r#"{"credHelpers":{"c.io":"hangs"}}"#.into(),
            &["c.io/x", "--helper-timeout", "0.5"],
            &[],
        ),
        ("no-helpers", r#"{"credsStore":"hangs"}"#.into(), &["nginx", "--no-helpers"], &[]),
        ("nothing-anywhere", "{}".into(), &["quay.io/o/a:v2"], &[]),
    ];
    for (name, config, args, vars) in scenarios {
        // The text report of the same scenario, beside its JSON.
        let out = resolve_with(d, &bin, config, args, vars);
        golden.check_text(name, out.status.code(), &out.stdout, &out.stderr);
        let args: Vec<&str> = args.iter().copied().chain(["--json"]).collect();
        let out = resolve_with(d, &bin, config, &args, vars);
        // The failing helper's own message (which names SECRET) is evidence and shown; nothing else is.
        let shown = text(&out).replace(&format!("backend down, token {SECRET}"), "");
        for secret in [SECRET, "file-pw", "hub-pw", "podman-pw", "refresh-secret", EXPIRED_JWT] {
            assert!(!shown.contains(secret), "{name}: {secret} shown");
        }
        golden.check(name, &run_record(out.status.code(), &out.stdout));
    }
    golden.finish();
}

#[test]
fn helper_timeout_out_of_range_is_a_usage_error_not_a_panic() {
    let (dir, bin) = setup();
    for value in ["1e30", "86400.5", "inf", "NaN", "0", "-1"] {
        let arg = format!("--helper-timeout={value}");
        let out = resolve(dir.path(), &bin, "{}", &["nginx", &arg]);
        assert_eq!(out.status.code(), Some(2), "--helper-timeout {value}: {}", text(&out));
        assert!(text(&out).contains("--helper-timeout"), "{value}: {}", text(&out));
        assert!(!text(&out).contains("panicked"), "{value}: {}", text(&out));
    }
    let out = resolve(dir.path(), &bin, "{}", &["nginx", "--helper-timeout", "86400"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// `--registries-conf` stands for the containers clients' own option: its credential-helpers are asked,
/// it beats CONTAINERS_REGISTRIES_CONF, and a file that does not exist stops the client; diagnose takes
/// it with `--client buildah|skopeo|podman`.
#[test]
fn registries_conf_option_for_resolve_and_diagnose() {
    let (dir, bin) = setup();
    let conf = dir.path().join("ci-registries.conf");
    std::fs::write(&conf, r#"credential-helpers = ["fake"]"#).unwrap();
    let other = dir.path().join("other.conf");
    std::fs::write(&other, r#"credential-helpers = ["absent"]"#).unwrap();
    let vars = [("CONTAINERS_REGISTRIES_CONF", other.as_path())];
    for client in ["podman", "buildah", "skopeo"] {
        let args = ["127.0.0.1:5000/team/app", "--client", client, "--json", "--registries-conf"];
        let mut args: Vec<&str> = args.to_vec();
        args.push(conf.to_str().unwrap());
        let out = resolve_with(dir.path(), &bin, "{}", &args, &vars);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let c = &v["clients"][0];
        assert_eq!(
            (c["source"].as_str(), c["helper"]["name"].as_str()),
            (Some("registriesConf"), Some("fake")),
            "{c}"
        );
        // Without the option, the variable is read by podman and buildah only.
        let out = resolve_with(dir.path(), &bin, "{}", &args[..4], &vars);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let helper = v["clients"][0]["helper"]["name"].as_str().map(str::to_owned);
        let expected = (client != "skopeo").then(|| "absent".to_owned());
        assert_eq!(helper, expected, "{client}: {v}");
    }
    let missing = dir.path().join("missing.conf");
    let out = support::command::regauth()
        .args(["diagnose", "127.0.0.1:1/x", "--client", "skopeo", "--timeout", "3", "--registries-conf"])
        .arg(&missing)
        .env("PATH", &bin)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("skopeo stops: the registries.conf --registries-conf names"),
        "{}",
        text(&out)
    );
}
