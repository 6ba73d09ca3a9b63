//! `regauth migrate` against the real registry: plaintext auths move into the kernel keyring through
//! docker-credential-regauth-keyutils (one namespace per test, emptied by a guard), and the Docker CLI and
//! skopeo still read them, through the helper. A failure injected at each step leaves config.json as it
//! was and the credential usable. No secret in any output.

mod support;

use base64::Engine;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use support::bed::Run;
use support::command::clean;
use support::helpers::{call, path};
use support::keyutils::{helper, KeyutilsNamespace};
use support::leaks::assert_absent;
use support::registry::{basic, push_image, Auth, Registry};

const USER: &str = "mover";
const PASSWORD: &str = "mover-pw-Rt55kQz";
const IDENTITY: &str = "identity-token-Yp20mWs";

fn registry() -> Option<Registry> {
    let registry = Registry::start(Auth::Htpasswd(vec![(USER.into(), PASSWORD.into())]), None)?;
    let client = reqwest::blocking::Client::new();
    push_image(&client, &registry.base_url(), "team/app", "v1", Some(&basic(USER, PASSWORD)));
    Some(registry)
}

fn auth(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

/// A config.json with the plaintext credential, an identity token for another registry and unknown fields.
fn plaintext_config(host: &str) -> String {
    format!(
        "{{\n\t\"auths\": {{\n\t\t\"{host}\": {{\n\t\t\t\"auth\": \"{}\",\n\t\t\t\"x-note\": \"kept\"\n\t\t}},\n\t\t\
         \"tokens.example.test\": {{\n\t\t\t\"auth\": \"{}\",\n\t\t\t\"identitytoken\": \"{IDENTITY}\"\n\t\t}}\n\t}},\n\t\
         \"psFormat\": \"table {{{{.ID}}}}\",\n\t\"x-unknown\": [1, 2]\n}}\n",
        auth(USER, PASSWORD),
        auth(USER, "")
    )
}

fn regauth(args: &[&str], home: &Path, namespace: &str, path_var: std::ffi::OsString) -> Run {
    let mut command = support::command::regauth();
    command
        .args(args)
        .env("HOME", home)
        .env("DOCKER_CONFIG", home.join(".docker"))
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .env("REGAUTH_KEYUTILS_NAMESPACE", namespace)
        .env("NO_COLOR", "1")
        .env("PATH", path_var)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = command.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn stored(namespace: &str, key: &str) -> Option<(String, String)> {
    let answer = call(helper(namespace), "get", key);
    if answer.code != 0 {
        return None;
    }
    let creds: serde_json::Value = serde_json::from_str(&answer.stdout).unwrap();
    Some((creds["Username"].as_str().unwrap().to_owned(), creds["Secret"].as_str().unwrap().to_owned()))
}

fn config_path(home: &Path) -> PathBuf {
    home.join(".docker/config.json")
}

fn write_config(home: &Path, text: &str) {
    std::fs::create_dir_all(home.join(".docker")).unwrap();
    std::fs::write(config_path(home), text).unwrap();
}

fn docker_reads(home: &Path, namespace: &str, image: &str) -> Output {
    let mut command = clean("docker");
    command
        .args(["manifest", "inspect", "--insecure", image])
        .env("HOME", home)
        .env("DOCKER_CONFIG", home.join(".docker"))
        .env("PATH", path())
        .env("REGAUTH_KEYUTILS_NAMESPACE", namespace)
        .env("DOCKER_HOST", format!("unix://{}", home.join("no-daemon.sock").display()));
    command.output().unwrap()
}

fn skopeo_reads(home: &Path, namespace: &str, image: &str) -> Output {
    let mut command = clean("skopeo");
    command
        .args(["inspect", "--tls-verify=false", &format!("docker://{image}"), "--authfile"])
        .arg(config_path(home))
        .env("PATH", path())
        .env("REGAUTH_KEYUTILS_NAMESPACE", namespace)
        .env("HOME", home)
        .env("XDG_RUNTIME_DIR", home.join("run"));
    command.output().unwrap()
}

fn shown(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn plaintext_moves_into_the_keyring_and_clients_still_read_it() {
    let Some(registry) = registry() else { return };
    let guard = KeyutilsNamespace::new("migrate-ok");
    let ns = &guard.name;
    let home = tempfile::tempdir().unwrap();
    let host = registry.host();
    let image = format!("{host}/team/app:v1");
    let original = plaintext_config(&host);
    write_config(home.path(), &original);

    let dry = regauth(&["migrate", "--dry-run"], home.path(), ns, path());
    assert_eq!(dry.code, 0, "{}", dry.all_output());
    assert!(dry.stdout.contains(&format!("would move: {host} (mover)")), "{}", dry.stdout);
    assert!(dry.stdout.contains("would move: tokens.example.test (<token>)"), "{}", dry.stdout);
    assert_eq!(
        std::fs::read_to_string(config_path(home.path())).unwrap(),
        original,
        "dry run changed the file"
    );
    assert_eq!(stored(ns, &host), None);

    let run = regauth(&["migrate", "--json"], home.path(), ns, path());
    assert_eq!(run.code, 0, "{}", run.all_output());
    let json = run.json();
    assert_eq!(json["moved"], 2, "{json:#}");
    assert_eq!(json["notMoved"], 0);
    assert_eq!(stored(ns, &host), Some((USER.to_owned(), PASSWORD.to_owned())));
    assert_eq!(stored(ns, "tokens.example.test"), Some(("<token>".to_owned(), IDENTITY.to_owned())));
    let text = std::fs::read_to_string(config_path(home.path())).unwrap();
    let config: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(config["credHelpers"][&host], "regauth-keyutils");
    assert_eq!(config["credHelpers"]["tokens.example.test"], "regauth-keyutils");
    assert_eq!(config["auths"][&host], serde_json::json!({"x-note": "kept"}), "{text}");
    assert!(config["auths"].get("tokens.example.test").is_none(), "{text}");
    assert_eq!(config["x-unknown"], serde_json::json!([1, 2]));
    assert_eq!(config["psFormat"], "table {{.ID}}");

    let docker = docker_reads(home.path(), ns, &image);
    assert!(docker.status.success(), "docker: {}", shown(&docker));
    let skopeo = skopeo_reads(home.path(), ns, &image);
    assert!(skopeo.status.success(), "skopeo: {}", shown(&skopeo));

    let again = regauth(&["migrate"], home.path(), ns, path());
    assert_eq!(again.code, 0);
    assert!(again.stdout.contains("nothing to migrate"), "{}", again.stdout);
    assert_absent(
        &[
            ("dry", &dry.all_output()),
            ("run", &run.all_output()),
            ("config", &text),
            ("docker", &shown(&docker)),
            ("skopeo", &shown(&skopeo)),
        ],
        &[(USER, PASSWORD), ("<token>", IDENTITY)],
    );
}

/// A directory with fake helpers first on PATH (our helpers after it).
fn fake_helpers(dir: &Path, namespace: &str) -> std::ffi::OsString {
    let not_found = "echo 'credentials not found in native keychain'; exit 1";
    support::write_script(
        &dir.join("docker-credential-fail"),
        &format!("case \"$1\" in get) {not_found};; store) cat >/dev/null; echo 'store refused by the backend'; exit 1;; *) exit 0;; esac"),
    );
    // Stores nothing and then answers with another secret.
    support::write_script(
        &dir.join("docker-credential-liar"),
        &format!(
            "case \"$1\" in get) if [ -e '{m}' ]; then echo '{{\"ServerURL\":\"x\",\"Username\":\"{USER}\",\"Secret\":\"other-secret-000\"}}'; else {not_found}; fi;; store) cat >/dev/null; touch '{m}';; erase) rm -f '{m}';; *) exit 0;; esac",
            m = dir.join("liar-marker").display()
        ),
    );
    // The keyutils helper, but its store also rewrites config.json as a writer that ignores the lock would.
    support::write_script(
        &dir.join("docker-credential-racer"),
        &format!(
            "if [ \"$1\" = store ]; then printf '{{\"rewritten\": true}}\\n' > \"$DOCKER_CONFIG/config.json\"; fi\nREGAUTH_KEYUTILS_NAMESPACE='{namespace}' exec docker-credential-regauth-keyutils \"$@\""
        ),
    );
    let ours = path();
    std::env::join_paths(std::iter::once(dir.to_path_buf()).chain(std::env::split_paths(&ours))).unwrap()
}

#[test]
fn a_failure_at_each_step_leaves_the_file_as_it_was_and_the_credential_usable() {
    let Some(registry) = registry() else { return };
    let docker = support::need_program("docker").is_some();
    let guard = KeyutilsNamespace::new("migrate-fail");
    let ns = &guard.name;
    let home = tempfile::tempdir().unwrap();
    let scripts = tempfile::tempdir().unwrap();
    let path_var = fake_helpers(scripts.path(), ns);
    let host = registry.host();
    let image = format!("{host}/team/app:v1");
    let original = plaintext_config(&host);
    let mut outputs = Vec::new();

    let cases: [(&str, &[&str], &str); 3] = [
        ("helper store fails", &["--to", "fail"], "store refused by the backend"),
        ("read-back differs", &["--to", "liar"], "did not give back what was stored"),
        ("file changed during the edit", &["--to", "racer"], "changed by another program"),
    ];
    for (what, extra, reason) in cases {
        write_config(home.path(), &original);
        let mut args = vec!["migrate", "--registry", host.as_str(), "--json"];
        args.extend_from_slice(extra);
        let run = regauth(&args, home.path(), ns, path_var.clone());
        assert_eq!(run.code, 3, "{what}: {}", run.all_output());
        let json = run.json();
        assert_eq!(json["moved"], 0, "{what}: {json:#}");
        let item = &json["items"][0];
        assert_eq!(item["outcome"], "notMoved", "{what}");
        assert!(item["reason"].as_str().unwrap().contains(reason), "{what}: {json:#}");
        let now = std::fs::read_to_string(config_path(home.path())).unwrap();
        if what == "file changed during the edit" {
            assert_eq!(now, "{\"rewritten\": true}\n", "the other writer's change was overwritten");
        } else {
            assert_eq!(now, original, "{what}: config.json changed");
        }
        assert_eq!(stored(ns, &host), None, "{what}: the store was not taken back");
        assert!(!scripts.path().join("liar-marker").exists(), "{what}: the liar's entry was not erased");
        outputs.push(run.all_output());
        if docker && now == original {
            let out = docker_reads(home.path(), ns, &image);
            assert!(out.status.success(), "{what}: the credential is no longer usable: {}", shown(&out));
        }
    }

    // Lock timeout: another writer holds config.json.lock.
    write_config(home.path(), &original);
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(home.path().join(".docker/config.json.lock"))
        .unwrap();
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a file this test owns and keeps open for the duration.
    assert_eq!(unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) }, 0);
    let run = regauth(&["--lock-timeout", "0.3", "migrate", "--json"], home.path(), ns, path_var.clone());
    assert_eq!(run.code, 3, "{}", run.all_output());
    assert_eq!(run.json()["moved"], 0);
    assert_eq!(std::fs::read_to_string(config_path(home.path())).unwrap(), original);
    assert_eq!(stored(ns, &host), None);
    outputs.push(run.all_output());
    drop(lock);

    // A helper that already holds another credential for the registry is not overwritten.
    let input = format!(r#"{{"ServerURL":"{host}","Username":"someone","Secret":"held-secret-777"}}"#);
    assert_eq!(call(helper(ns), "store", &input).code, 0);
    let run = regauth(&["migrate", "--registry", &host, "--json"], home.path(), ns, path_var.clone());
    assert_eq!(run.code, 3, "{}", run.all_output());
    assert!(run.json()["items"][0]["reason"].as_str().unwrap().contains("already holds"), "{}", run.stdout);
    assert_eq!(std::fs::read_to_string(config_path(home.path())).unwrap(), original);
    assert_eq!(stored(ns, &host), Some(("someone".to_owned(), "held-secret-777".to_owned())));
    outputs.push(run.all_output());

    let all: Vec<(&str, &str)> = outputs.iter().map(|o| ("output", o.as_str())).collect();
    assert_absent(&all, &[(USER, PASSWORD), ("<token>", IDENTITY), ("someone", "held-secret-777")]);
}

/// An entry docker cannot decode (padding-less `auth`) is not moved: the plan says why, the file stays.
#[test]
fn an_entry_docker_cannot_decode_is_refused_with_the_reason() {
    let guard = KeyutilsNamespace::new("migrate-nopad");
    let home = tempfile::tempdir().unwrap();
    let auth = base64::engine::general_purpose::STANDARD_NO_PAD.encode(format!("{USER}:{PASSWORD}x"));
    let original = format!(r#"{{"auths":{{"nopad.example.test":{{"auth":"{auth}"}}}}}}"#);
    write_config(home.path(), &original);
    let run = regauth(&["migrate", "--dry-run", "--json"], home.path(), &guard.name, path());
    let json = run.json();
    let item = &json["items"][0];
    assert_eq!(item["outcome"], "notMoved", "{json:#}");
    let reason = item["reason"].as_str().unwrap();
    assert!(reason.contains("as docker decodes it: missing padding"), "{reason}");
    assert_absent(&[("output", &run.all_output())], &[(USER, PASSWORD)]);
    assert_eq!(std::fs::read_to_string(config_path(home.path())).unwrap(), original);
}

/// The dry run's plan is what the run then does, on the same files: several entries (two keys of one
/// registry, an identity token), one shadowed by a credHelpers entry whose helper already holds another
/// credential, one whose helper holds the same one, one whose helper is not installed, a namespaced key and
/// an entry docker cannot decode. Item by item, and in the summary counts of the text and the JSON.
#[test]
fn the_dry_run_plan_is_what_the_run_does() {
    let guard = KeyutilsNamespace::new("migrate-plan");
    let ns = &guard.name;
    let home = tempfile::tempdir().unwrap();
    let nopad = base64::engine::general_purpose::STANDARD_NO_PAD.encode(format!("{USER}:{PASSWORD}x"));
    let original = format!(
        r#"{{"auths":{{
            "a.example.test":{{"auth":"{a}"}},
            "https://a.example.test/v1/":{{"auth":"{a}"}},
            "tokens.example.test":{{"auth":"{t}","identitytoken":"{IDENTITY}"}},
            "shadow.example.test":{{"auth":"{a}"}},
            "same.example.test":{{"auth":"{a}"}},
            "absent.example.test":{{"auth":"{a}"}},
            "quay.io/org":{{"auth":"{a}"}},
            "nopad.example.test":{{"auth":"{nopad}"}}}},
          "credHelpers":{{"shadow.example.test":"regauth-keyutils","same.example.test":"regauth-keyutils",
            "absent.example.test":"absent-helper"}}}}"#,
        a = auth(USER, PASSWORD),
        t = auth(USER, ""),
    );
    write_config(home.path(), &original);
    for (host, user, secret) in
        [("shadow.example.test", "someone", "held-secret-777"), ("same.example.test", USER, PASSWORD)]
    {
        let input = format!(r#"{{"ServerURL":"{host}","Username":"{user}","Secret":"{secret}"}}"#);
        assert_eq!(call(helper(ns), "store", &input).code, 0);
    }

    let dry_text = regauth(&["migrate", "--dry-run"], home.path(), ns, path());
    let dry = regauth(&["migrate", "--dry-run", "--json"], home.path(), ns, path());
    assert_eq!(std::fs::read_to_string(config_path(home.path())).unwrap(), original, "the dry run wrote");
    assert_eq!(stored(ns, "a.example.test"), None, "the dry run stored");
    let run = regauth(&["migrate", "--json"], home.path(), ns, path());
    let (plan, done) = (dry.json(), run.json());
    assert_eq!(dry.code, run.code, "{plan:#}\n{done:#}");
    assert_eq!(run.code, 3, "{done:#}");

    let plan_items = plan["items"].as_array().unwrap();
    let done_items = done["items"].as_array().unwrap();
    assert_eq!(plan_items.len(), done_items.len(), "{plan:#}\n{done:#}");
    for (p, d) in plan_items.iter().zip(done_items) {
        let what = &p["registry"];
        let expected = if p["outcome"] == "planned" { "moved" } else { "notMoved" };
        assert_eq!(d["outcome"], expected, "{what}: planned {p:#}, done {d:#}");
        for field in ["file", "keys", "registry", "username", "helper", "reason", "changes"] {
            assert_eq!(p[field], d[field], "{what}: {field} differs: planned {p:#}, done {d:#}");
        }
    }
    let outcome = |json: &serde_json::Value, registry: &str| {
        json["items"].as_array().unwrap().iter().find(|i| i["registry"] == registry).unwrap()["outcome"]
            .clone()
    };
    for (registry, expected) in [
        ("a.example.test", "moved"),
        ("tokens.example.test", "moved"),
        ("same.example.test", "moved"),
        ("shadow.example.test", "notMoved"),
        ("absent.example.test", "notMoved"),
        ("quay.io", "notMoved"),
        ("nopad.example.test", "notMoved"),
    ] {
        assert_eq!(outcome(&done, registry), expected, "{registry}: {done:#}");
    }
    assert_eq!(
        (plan["planned"].clone(), plan["moved"].clone()),
        (serde_json::json!(3), serde_json::json!(0))
    );
    assert_eq!(
        (done["moved"].clone(), done["planned"].clone()),
        (serde_json::json!(3), serde_json::json!(0))
    );
    assert_eq!(plan["notMoved"], done["notMoved"]);
    assert_eq!(done["notMoved"], 4);
    assert!(
        dry_text.stdout.ends_with("dry run: 3 would move, 4 would not; nothing changed\n"),
        "{}",
        dry_text.stdout
    );
    assert!(
        dry_text
            .stdout
            .contains("  would configure: credHelpers.a.example.test: (none) -> \"regauth-keyutils\""),
        "{}",
        dry_text.stdout
    );
    assert_eq!(stored(ns, "shadow.example.test"), Some(("someone".to_owned(), "held-secret-777".to_owned())));
    assert_eq!(stored(ns, "a.example.test"), Some((USER.to_owned(), PASSWORD.to_owned())));
    assert_absent(
        &[("dry", &dry.all_output()), ("dry text", &dry_text.all_output()), ("run", &run.all_output())],
        &[(USER, PASSWORD), ("<token>", IDENTITY), ("someone", "held-secret-777")],
    );
}
