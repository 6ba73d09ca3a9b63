//! docker-credential-regauth-cache under races and identity changes (issue 17, point 6): a `store` or
//! `erase` that runs while a slow `get` is in flight is never undone by that `get` caching the old answer
//! afterwards, in either storage; and a change of the inner helper's identity variables (AWS_PROFILE, ...)
//! is a cache miss, while an unrelated variable is not.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::cache_bed::{secret_of, Bed, NOT_FOUND, SERVER};
use support::helpers::{call, Answer};
use support::leaks::assert_absent;
use support::write_script;

/// A fake inner helper `docker-credential-race` whose `get` reads the secret first and answers 150 ms later
/// (the window in which a store or erase lands), whose `store` keeps the secret it was given and whose
/// `erase` removes it.
fn write_race_helper(bed: &Bed) {
    let inner = bed.path("inner");
    let inner = inner.display();
    write_script(
        &bed.path("bin").join("docker-credential-race"),
        &format!(
            r#"echo "$1" >> {inner}/calls
case "$1" in
get)
  read -r url || true
  s=$(cat {inner}/secret 2>/dev/null)
  sleep 0.15
  if [ -z "$s" ]; then echo "{NOT_FOUND}"; exit 1; fi
  printf '{{"ServerURL":"%s","Username":"alice","Secret":"%s"}}\n' "$url" "$s" ;;
store) sed -n 's/.*"Secret":"\([^"]*\)".*/\1/p' > {inner}/secret.new; mv {inner}/secret.new {inner}/secret ;;
erase) cat >/dev/null; rm -f {inner}/secret ;;
list) echo '{{}}' ;;
esac"#
        ),
    );
}

fn helper(bed: &Bed, storage: &str) -> Command {
    let mut command = bed.helper();
    command.env("REGAUTH_TOKEN_CACHE", storage);
    command
}

fn finish(child: std::process::Child) -> Answer {
    let out = child.wait_with_output().unwrap();
    Answer {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// 100 rounds: the inner helper holds `old-K`, a `get` starts, and after a delay that varies from 0 to
/// 220 ms (before, during and after the inner helper's read) a `store` of `new-K` (even rounds) or an
/// `erase` (odd rounds) runs through the wrapper. Once both are done, the next `get` must show the
/// store or erase, never `old-K`.
fn store_and_erase_win(storage: &str) {
    let bed = Bed::new(&format!("race-{storage}"));
    write_race_helper(&bed);
    bed.wrap(&["--registry", SERVER, "--inner", "race", "--ttl", "1h"]);
    let mut undone = Vec::new();
    for round in 0..100u64 {
        let old = format!("old-{round}");
        let new = format!("new-{round}");
        bed.set_secret(Some(&old));
        let cleared = bed.regauth().args(["cache", "clear", "--registry", SERVER]).output().unwrap();
        assert!(cleared.status.success(), "{cleared:?}");
        let mut getter = helper(&bed, storage)
            .arg("get")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        getter.stdin.take().unwrap().write_all(SERVER.as_bytes()).unwrap();
        std::thread::sleep(Duration::from_millis(round * 37 % 221));
        let erase = round % 2 == 1;
        let changed = if erase {
            call(helper(&bed, storage), "erase", SERVER)
        } else {
            let body = format!(r#"{{"ServerURL":"{SERVER}","Username":"alice","Secret":"{new}"}}"#);
            call(helper(&bed, storage), "store", &body)
        };
        assert_eq!(changed.code, 0, "{changed:?}");
        let in_flight = finish(getter);
        // The get in flight may see either side of the change.
        if in_flight.code == 0 {
            assert!([&old, &new].contains(&&secret_of(&in_flight)), "{in_flight:?}");
        }
        let after = call(helper(&bed, storage), "get", SERVER);
        let seen = if after.code == 0 { secret_of(&after) } else { after.stdout.trim().to_owned() };
        let wanted = if erase { NOT_FOUND.to_owned() } else { new };
        if seen != wanted {
            undone
                .push(format!("round {round} ({}): served {seen:?}", if erase { "erase" } else { "store" }));
        }
    }
    assert!(undone.is_empty(), "a get in flight undid a store or erase:\n{}", undone.join("\n"));
    // The cache was in use (a storage that cannot be opened passes every get through).
    let asked = bed.inner_gets();
    call(
        helper(&bed, storage),
        "store",
        &format!(r#"{{"ServerURL":"{SERVER}","Username":"a","Secret":"s"}}"#),
    );
    for _ in 0..3 {
        assert_eq!(secret_of(&call(helper(&bed, storage), "get", SERVER)), "s");
    }
    assert_eq!(bed.inner_gets(), asked + 1, "the {storage} storage did not cache");
}

#[test]
fn store_and_erase_during_a_slow_get_are_never_undone_keyring() {
    store_and_erase_win("keyring");
}

#[test]
fn store_and_erase_during_a_slow_get_are_never_undone_file() {
    store_and_erase_win("file");
}

/// A fake inner helper `docker-credential-NAME` that answers at once with the secret in inner/secret.
fn identity_case(helper: &str, base: &[(&str, &str)], changed: (&str, &str), misses: bool) {
    let bed = Bed::new(&format!("id-{helper}"));
    bed.write_slow_helper(helper, "0");
    bed.wrap(&["--registry", SERVER, "--inner", helper]);
    let get = |extra: Option<(&str, &str)>| {
        let mut command = bed.helper();
        command.envs(base.iter().copied());
        if let Some((k, v)) = extra {
            command.env(k, v);
        }
        let answer = call(command, "get", SERVER);
        secret_of(&answer);
        answer
    };
    let first = get(None);
    let again = get(None);
    assert_eq!(bed.inner_gets(), 1, "{helper}: the same identity was not served from the cache");
    let other = get(Some(changed));
    let expected = if misses { 2 } else { 1 };
    assert_eq!(
        bed.inner_gets(),
        expected,
        "{helper}: {}={} changed: asked {} times",
        changed.0,
        changed.1,
        bed.inner_gets()
    );
    // The first identity's answer is still there.
    get(None);
    assert_eq!(bed.inner_gets(), expected, "{helper}: the first identity's answer was lost");
    let listed = bed.regauth().args(["cache", "list", "--json"]).output().unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let identities: std::collections::BTreeSet<&str> =
        listed["helperAnswers"].as_array().unwrap().iter().map(|a| a["identity"].as_str().unwrap()).collect();
    assert_eq!(identities.len(), expected, "{helper}: {listed}");
    let listed = listed.to_string();
    let places = bed.places();
    let mut texts = vec![("places", places.as_str()), ("cache list --json", listed.as_str())];
    for answer in [&first, &again, &other] {
        texts.push(("stderr", answer.stderr.as_str()));
    }
    let planted: Vec<(&str, &str)> = base.iter().chain([&changed]).map(|(_, v)| ("identity", *v)).collect();
    assert_absent(&texts, &planted);
}

#[test]
fn a_changed_identity_variable_misses_the_cache() {
    let profile = ("AWS_PROFILE", "profile-alpha-planted-3Jx");
    // ecr-login reads the AWS_* variables.
    identity_case("ecr-login", &[profile], ("AWS_PROFILE", "profile-beta-planted-8Kd"), true);
    identity_case("ecr-login", &[profile], ("AWS_ROLE_ARN", "arn:aws:iam::1:role/planted-r"), true);
    identity_case("ecr-login", &[profile], ("AWS_ECR_CACHE_DIR", "/tmp/planted-ecr-cache"), true);
    // gcloud reads CLOUDSDK_* and GOOGLE_*; a variable no helper reads changes nothing.
    let account = ("CLOUDSDK_CORE_ACCOUNT", "a@planted.example");
    identity_case("gcloud", &[account], ("CLOUDSDK_CORE_ACCOUNT", "b@planted.example"), true);
    identity_case("gcloud", &[account], ("GOOGLE_APPLICATION_CREDENTIALS", "/planted/sa.json"), true);
    identity_case("gcloud", &[account], ("UNRELATED_PLANTED_VAR", "x-planted-value"), false);
    identity_case("acr-env", &[], ("AZURE_CLIENT_ID", "client-planted-5Ng"), true);
    identity_case("pass", &[], ("PASSWORD_STORE_DIR", "/planted/store"), true);
    identity_case("secretservice", &[], ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/planted/bus"), true);
    // Every helper: HOME and DOCKER_CONFIG; an unknown one: the union of the known sets.
    identity_case("slow", &[], ("DOCKER_CONFIG", "/planted/docker"), true);
    identity_case("slow", &[profile], ("AWS_PROFILE", "profile-beta-planted-8Kd"), true);
    identity_case("slow", &[], ("UNRELATED_PLANTED_VAR", "x-planted-value"), false);
}
