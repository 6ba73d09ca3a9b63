//! docker-credential-regauth-cache as clients run it: in front of a fake slow helper that counts its calls,
//! in front of the real docker-credential-gcloud, upstream docker-credential-pass and
//! docker-credential-secretservice under the Docker CLI, and under `regauth helper-test`. Every process
//! runs with a cleared environment, a private HOME/XDG dirs and a keyring namespace of its own; no secret
//! may appear in any output, key description or file name.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use support::cache_bed::{secret_of, Bed, NEW_SECRET, NOT_FOUND, SECRET, SERVER};
use support::helpers::{call, helper_test, with_outcome, Answer};
use support::leaks::assert_absent;

#[test]
fn twenty_sequential_gets_within_the_ttl_make_one_inner_call() {
    let bed = Bed::new("seq");
    bed.wrap(&["--registry", SERVER, "--inner", "slow", "--ttl", "5m"]);
    let mut outputs = Vec::new();
    for _ in 0..20 {
        let answer = bed.get(SERVER);
        assert_eq!(secret_of(&answer), SECRET);
        outputs.push(answer.stderr);
    }
    assert_eq!(bed.inner_gets(), 1, "the inner helper was asked more than once within the TTL");
    // Another form of the URL is another question: asked once more, then cached too.
    assert_eq!(secret_of(&bed.get(&format!("https://{SERVER}"))), SECRET);
    assert_eq!(bed.inner_gets(), 2);

    let list = bed.regauth().args(["cache", "list"]).output().unwrap();
    let list_text = String::from_utf8_lossy(&list.stdout).into_owned();
    assert!(list_text.contains(SERVER) && list_text.contains("from slow"), "{list_text}");
    let json = bed.regauth().args(["cache", "list", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["helperAnswers"].as_array().unwrap().len(), 2, "{json}");
    assert_eq!(json["helperAnswers"][0]["helper"], "slow");
    let listed = call(bed.helper(), "list", "");
    assert_eq!(listed.stdout.trim(), format!("{{\"{SERVER}\":\"alice\"}}"));

    let mut texts: Vec<(&str, &str)> = outputs.iter().map(|s| ("stderr", s.as_str())).collect();
    let places = bed.places();
    let json_text = json.to_string();
    texts.extend([
        ("cache list", list_text.as_str()),
        ("cache list --json", &json_text),
        ("places", &places),
    ]);
    assert_absent(&texts, &[("alice", SECRET)]);

    let cleared = bed.regauth().args(["cache", "clear", "--registry", SERVER]).output().unwrap();
    assert!(String::from_utf8_lossy(&cleared.stdout).contains("removed 2"), "{cleared:?}");
    assert_eq!(secret_of(&bed.get(SERVER)), SECRET);
    assert_eq!(bed.inner_gets(), 3, "cache clear did not drop the answer");
}

#[test]
fn thirty_two_concurrent_gets_make_one_inner_call() {
    let bed = Bed::new("conc");
    bed.write_slow_helper("slow", "1");
    bed.wrap(&["--registry", SERVER, "--inner", "slow"]);
    let children: Vec<_> = (0..32)
        .map(|_| {
            let mut child = bed
                .helper()
                .arg("get")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            child.stdin.take().unwrap().write_all(SERVER.as_bytes()).unwrap();
            child
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let answer = Answer {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert_eq!(secret_of(&answer), SECRET);
        assert_absent(&[("stderr", &answer.stderr)], &[("alice", SECRET)]);
    }
    assert_eq!(bed.inner_gets(), 1, "concurrent gets did not share one inner call");
}

#[test]
fn an_expired_answer_is_asked_again() {
    let bed = Bed::new("expiry");
    bed.wrap(&["--registry", SERVER, "--inner", "slow", "--ttl", "2s"]);
    assert_eq!(secret_of(&bed.get(SERVER)), SECRET);
    std::thread::sleep(std::time::Duration::from_millis(3500));
    bed.set_secret(Some(NEW_SECRET));
    assert_eq!(secret_of(&bed.get(SERVER)), NEW_SECRET, "served past its TTL");
    assert_eq!(bed.inner_gets(), 2);
}

#[test]
fn the_inner_helpers_failure_reaches_the_client_with_its_message() {
    let bed = Bed::new("fail");
    bed.wrap(&["--registry", SERVER, "--inner", "slow"]);
    std::fs::write(bed.path("inner").join("fail"), "").unwrap();
    for expected_calls in [1, 2] {
        let answer = bed.get(SERVER);
        assert_eq!(answer.code, 1, "{answer:?}");
        let said = answer.stdout.trim();
        assert!(said.contains("inner exploded: quota exceeded for project p-17"), "{said}");
        assert!(said.contains("docker-credential-slow"), "{said}");
        assert_ne!(said, NOT_FOUND);
        // A failure is never cached.
        assert_eq!(bed.inner_gets(), expected_calls);
    }
}

#[test]
fn a_hung_inner_helper_is_stopped_and_named() {
    let bed = Bed::new("hang");
    bed.write_slow_helper("hang", "30");
    bed.wrap(&["--registry", SERVER, "--inner", "hang", "--timeout", "1"]);
    let answer = bed.get(SERVER);
    assert_eq!(answer.code, 1, "{answer:?}");
    assert!(answer.stdout.contains("docker-credential-hang did not answer within 1s"), "{answer:?}");
}

#[test]
fn not_found_stays_not_found_and_is_remembered_only_briefly() {
    let bed = Bed::new("missing");
    bed.wrap(&["--registry", SERVER, "--inner", "slow", "--ttl", "1h"]);
    bed.set_secret(None);
    let answer = bed.get(SERVER);
    assert_eq!((answer.code, answer.stdout.trim()), (1, NOT_FOUND));
    bed.set_secret(Some(SECRET));
    // Remembered for a few seconds at most, then asked again though the TTL is an hour.
    std::thread::sleep(std::time::Duration::from_secs(6));
    assert_eq!(secret_of(&bed.get(SERVER)), SECRET, "a not-found was cached beyond its short life");
    assert_eq!(bed.inner_gets(), 2);
}

#[test]
fn store_and_erase_pass_through_and_invalidate() {
    let bed = Bed::new("store");
    bed.wrap(&["--registry", SERVER, "--inner", "slow"]);
    assert_eq!(secret_of(&bed.get(SERVER)), SECRET);
    let body = format!(r#"{{"ServerURL":"{SERVER}","Username":"alice","Secret":"{NEW_SECRET}"}}"#);
    let stored = call(bed.helper(), "store", &body);
    assert_eq!(stored.code, 0, "{stored:?}");
    assert_eq!(secret_of(&bed.get(SERVER)), NEW_SECRET, "store did not drop the cached answer");
    let erased = call(bed.helper(), "erase", &format!("https://{SERVER}"));
    assert_eq!(erased.code, 0, "{erased:?}");
    let answer = bed.get(SERVER);
    assert_eq!((answer.code, answer.stdout.trim()), (1, NOT_FOUND), "erase did not drop the cached answer");
    let calls = std::fs::read_to_string(bed.path("inner").join("calls")).unwrap();
    assert_eq!(calls.lines().collect::<Vec<_>>(), ["get", "store", "get", "erase", "get"]);
}

#[test]
fn the_mapping_survives_docker_rewriting_config_json_and_resolve_shows_it() {
    let bed = Bed::new("map");
    let docker_dir = bed.path("home").join(".docker");
    std::fs::create_dir_all(&docker_dir).unwrap();
    std::fs::write(docker_dir.join("config.json"), format!(r#"{{"credHelpers":{{"{SERVER}":"slow"}}}}"#))
        .unwrap();
    bed.wrap(&["--registry", SERVER]);
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(docker_dir.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["credHelpers"][SERVER], "regauth-cache");
    // What docker login leaves: its own fields only.
    std::fs::write(
        docker_dir.join("config.json"),
        format!(r#"{{"credHelpers":{{"{SERVER}":"regauth-cache"}}}}"#),
    )
    .unwrap();
    assert_eq!(secret_of(&bed.get(SERVER)), SECRET);
    let resolved = bed.regauth().args(["resolve", &format!("{SERVER}/team/app"), "--json"]).output().unwrap();
    let text = String::from_utf8_lossy(&resolved.stdout).into_owned();
    assert!(text.contains(r#""wraps":"slow""#) || text.contains(r#""wraps": "slow""#), "{text}");
    let resolved_text = bed.regauth().args(["resolve", &format!("{SERVER}/team/app")]).output().unwrap();
    let resolved_text = String::from_utf8_lossy(&resolved_text.stdout).into_owned();
    assert!(resolved_text.contains("regauth-cache wraps docker-credential-slow"), "{resolved_text}");
    let audit = bed.regauth().args(["audit", "--json"]).output().unwrap();
    let audit_text = String::from_utf8_lossy(&audit.stdout).into_owned();
    assert!(
        audit_text.contains("docker-credential-regauth-cache (wraps docker-credential-slow)"),
        "{audit_text}"
    );
    assert_absent(
        &[("resolve", &text), ("resolve text", &resolved_text), ("audit", &audit_text)],
        &[("alice", SECRET)],
    );

    let listed = bed.regauth().args(["helpers", "list"]).output().unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(listed.contains("regauth-cache -> slow"), "{listed}");

    let out = bed.regauth().args(["helpers", "unwrap", "--registry", SERVER]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(docker_dir.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["credHelpers"][SERVER], "slow");
}

#[test]
fn helper_test_passes_with_an_inner_keyutils_helper() {
    let bed = Bed::new("conf");
    bed.wrap(&["--inner", "regauth-keyutils", "--ttl", "5m"]);
    let (code, report) = helper_test(bed.regauth(), "regauth-cache", &[]);
    assert_eq!(with_outcome(&report, "fail"), Vec::<String>::new(), "{report}");
    assert_eq!(code, 0, "{report}");
}

/// A fresh private gcloud configuration; `token` is the access-token file it answers with, when given.
fn gcloud(bed: &Bed, token: Option<&Path>) -> Command {
    let mut command = bed.helper();
    std::fs::create_dir_all(bed.path("gcloud")).unwrap();
    command.env("CLOUDSDK_CONFIG", bed.path("gcloud"));
    if let Some(token) = token {
        command.env("CLOUDSDK_AUTH_ACCESS_TOKEN_FILE", token);
    }
    command
}

#[test]
fn wraps_the_real_gcloud_helper() {
    let Some(_) = support::need_program("docker-credential-gcloud") else { return };
    let bed = Bed::new("gcloud");
    bed.wrap(&["--registry", "gcr.io", "--inner", "gcloud", "--timeout", "60"]);
    let token_file = bed.path("token");
    let token = "ya29.gcloud-token-planted-Zq81";
    std::fs::write(&token_file, token).unwrap();
    let first = call(gcloud(&bed, Some(&token_file)), "get", "gcr.io");
    assert_eq!(secret_of(&first), token);
    // gcloud cannot answer any more: only the cache can. The variable stays as it was: it is one of
    // gcloud's identity inputs, and a changed one would be another identity (asked again).
    std::fs::remove_file(&token_file).unwrap();
    let hit = call(gcloud(&bed, Some(&token_file)), "get", "gcr.io");
    assert_eq!(secret_of(&hit), token, "the second get did not come from the cache");
    let creds: serde_json::Value = serde_json::from_str(&hit.stdout).unwrap();
    assert_eq!(creds["Username"], "_dcgcloud_token");
    assert_absent(
        &[("stderr", &first.stderr), ("stderr", &hit.stderr), ("places", &bed.places())],
        &[("_dcgcloud_token", token)],
    );

    // No account and nothing cached: gcloud's own message, exit 1.
    bed.wrap(&["--registry", "us-docker.pkg.dev", "--inner", "gcloud", "--timeout", "60"]);
    let failed = call(gcloud(&bed, None), "get", "us-docker.pkg.dev");
    assert_eq!(failed.code, 1, "{failed:?}");
    assert!(failed.stdout.contains("You do not currently have an active account selected"), "{failed:?}");
}

const DOCKER_USER: &str = "alice";
const DOCKER_PASSWORD: &str = "cache-clients-pw-7Rt";

fn run(mut command: Command, stdin: &str) -> Output {
    let mut child =
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let shown = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_absent(&[("client output", &shown)], &[(DOCKER_USER, DOCKER_PASSWORD)]);
    out
}

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// docker login, manifest inspect and logout through the wrapper in front of `inner`, each command made
/// by `base` (which carries the inner helper's keyring or store).
fn docker_through_the_wrapper(bed: &Bed, inner: &str, base: &dyn Fn(&str) -> Command) {
    use support::registry::{basic, push_image, Auth, Registry};
    let Some(_) = support::need_program("docker") else { return };
    let Some(registry) =
        Registry::start(Auth::Htpasswd(vec![(DOCKER_USER.into(), DOCKER_PASSWORD.into())]), None)
    else {
        return;
    };
    let client = reqwest::blocking::Client::new();
    push_image(&client, &registry.base_url(), "team/app", "v1", Some(&basic(DOCKER_USER, DOCKER_PASSWORD)));
    let host = registry.host();
    let docker_dir = bed.path("home").join(".docker");
    std::fs::create_dir_all(&docker_dir).unwrap();
    std::fs::write(docker_dir.join("config.json"), format!(r#"{{"credHelpers":{{"{host}":"{inner}"}}}}"#))
        .unwrap();
    let mut wrap = base(support::command::regauth_bin().to_str().unwrap());
    bed.apply(&mut wrap, false);
    let out = wrap.args(["helpers", "wrap", "--registry", &host]).output().unwrap();
    ok(&out, "regauth helpers wrap");
    let docker = |args: &[&str]| {
        let mut command = base("docker");
        bed.apply(&mut command, false);
        command.args(args).env("DOCKER_HOST", format!("unix://{}", bed.path("no-daemon.sock").display()));
        command
    };
    let image = format!("{host}/team/app:v1");
    let out = run(docker(&["login", &host, "-u", DOCKER_USER, "--password-stdin"]), DOCKER_PASSWORD);
    ok(&out, "docker login");
    let config = std::fs::read_to_string(docker_dir.join("config.json")).unwrap();
    assert!(config.contains("regauth-cache") && !config.contains(DOCKER_PASSWORD), "{config}");
    for _ in 0..2 {
        let out = run(docker(&["manifest", "inspect", "--insecure", &image]), "");
        ok(&out, "docker manifest inspect");
    }
    let listing = run(docker(&["logout", &host]), "");
    ok(&listing, "docker logout");
    let out = run(docker(&["manifest", "inspect", "--insecure", &image]), "");
    let refused = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "manifest inspect worked after logout: {refused}");
    assert!(refused.contains("no basic auth credentials"), "refused for another reason: {refused}");
    assert_absent(&[("places", &bed.places())], &[(DOCKER_USER, DOCKER_PASSWORD)]);
}

#[test]
fn docker_cli_through_the_wrapper_over_upstream_pass() {
    let Some(_) = support::need_program("docker-credential-pass") else { return };
    let Some(store) = support::keyring::PassStore::start() else { return };
    let bed = Bed::new("pass");
    docker_through_the_wrapper(&bed, "pass", &|program| store.command(program));
}

#[test]
fn docker_cli_through_the_wrapper_over_upstream_secretservice() {
    let Some(_) = support::need_program("docker-credential-secretservice") else { return };
    let Some(service) = support::keyring::SecretService::start() else { return };
    let bed = Bed::new("ss");
    docker_through_the_wrapper(&bed, "secretservice", &|program| service.command(program));
}

#[test]
fn the_file_storage_serves_hits_too() {
    use std::os::unix::fs::PermissionsExt;
    let bed = Bed::new("file");
    bed.wrap(&["--registry", SERVER, "--inner", "slow"]);
    for _ in 0..5 {
        let answer = call(
            {
                let mut command = bed.helper();
                command.env("REGAUTH_TOKEN_CACHE", "file");
                command
            },
            "get",
            SERVER,
        );
        assert_eq!(secret_of(&answer), SECRET);
        assert_absent(&[("stderr", &answer.stderr)], &[("alice", SECRET)]);
    }
    assert_eq!(bed.inner_gets(), 1, "the file storage did not serve the answer");
    let file = bed.path("cache").join("regauth").join("tokens.json");
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    assert_absent(&[("places", &bed.places())], &[("alice", SECRET)]);
}
