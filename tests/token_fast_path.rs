//! `regauth token` through the front program and the lean parser (cli::front, cli::token_fast) and through
//! clap (`REGAUTH_FULL_PARSE=1`): the same exit code, stdout and stderr, byte for byte, on cache hits,
//! misses, refusals, bad arguments, `--json`, `--decode` and `--help`, against the real registry and token
//! server of the token tests; and the front alone (no regauth-cli beside it) answers a hit.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use support::bed::TokenBed;
use support::token_server::{Policy, Style, User};

const ALICE_PW: &str = "alice-pw-fast-1";
const BOB_PW: &str = "bob-pw-fast-22";

/// (exit code, stdout, stderr) of `regauth ARGS` with this home, cache and stdin; `full` sends it to clap.
fn run(home: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)], full: bool) -> (i32, String, String) {
    let mut command = support::command::regauth();
    command
        .args(args)
        .env("HOME", home)
        .env("DOCKER_CONFIG", home.join(".docker"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("REGAUTH_TOKEN_CACHE", "file")
        .env("REGAUTH_CERTS_D", home.join("certs.d"))
        .env("NO_COLOR", "1")
        .env("PATH", support::command::system_path())
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if full {
        command.env("REGAUTH_FULL_PARSE", "1");
    }
    let mut child = command.spawn().expect("run regauth");
    feed(&mut child, stdin);
    let out = child.wait_with_output().unwrap();
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (out.status.code().unwrap_or(-1), text(out.stdout), text(out.stderr))
}

/// Fresh tokens and times differ between two misses: digits and the token itself are masked.
fn masked(run: (i32, String, String), token: bool) -> (i32, String, String) {
    let mask = |t: String| {
        let t: String = t.chars().map(|c| if c.is_ascii_digit() { '#' } else { c }).collect();
        if token && !t.starts_with('{') {
            return if t.trim().is_empty() { t } else { "<token>\n".into() };
        }
        t
    };
    (run.0, mask(run.1), mask(run.2))
}

#[test]
fn the_lean_path_and_clap_give_the_same_answers() {
    let policy = Policy::new(Style::Spec)
        .user("alice", User::new(ALICE_PW, &[("team/app", &["pull", "push"])]))
        .user("bob", User::new(BOB_PW, &[("team/app", &["pull"])]));
    let Some(bed) = TokenBed::start(policy, "/token", "test-registry") else { return };
    let image = bed.image("team/app:v1");
    let home = tempfile::tempdir().unwrap();
    let auth = base64_alice();
    support::bed::write_docker_config(
        home.path(),
        &serde_json::json!({"auths": {bed.registry.host(): {"auth": auth}}}),
    );
    let alice: &[&str] = &["-u", "alice", "--password-stdin"];
    // Fill the cache for the hits below (pull and push, from stdin and from config.json).
    for args in [with(&image, alice), with(&image, &[alice, &["--push"]].concat()), with(&image, &[])] {
        let (code, _, stderr) = run(home.path(), &args, ALICE_PW, &[], false);
        assert_eq!(code, 0, "{args:?}: {stderr}");
    }

    let requests = bed.tokens.requests();
    let cfg = home.path().join(".docker");
    let cfg = cfg.to_str().unwrap();
    let hits: Vec<Vec<&str>> = vec![
        with(&image, alice),
        with(&image, &[alice, &["--json"]].concat()),
        with(&image, &[alice, &["--decode"]].concat()),
        with(&image, &[alice, &["--json", "--decode", "--push"]].concat()),
        with(&image, &[]),
        with(&image, &["--json", "--client", "docker", "--timeout=5", "--helper-timeout", "2"]),
        [&["--config", cfg, "--lock-timeout=1"][..], &with(&image, &["--ca-file", "/nonexistent.crt"])]
            .concat(),
    ];
    for args in &hits {
        let fast = run(home.path(), args, ALICE_PW, &[], false);
        let full = run(home.path(), args, ALICE_PW, &[], true);
        assert_eq!(fast.0, 0, "{args:?}: {}", fast.2);
        assert_eq!(fast, full, "{args:?}");
    }
    assert_eq!(bed.tokens.requests(), requests, "the hits made no token request");

    // Refusals and misses: --no-cache, a wrong password (exit 4), bob's push (exit 5).
    let refused: Vec<(Vec<&str>, &str)> = vec![
        (with(&image, &[alice, &["--no-cache", "--json"]].concat()), "wrong-password"),
        (with(&image, &["-u", "bob", "--password-stdin", "--push", "--no-cache"]), BOB_PW),
        (with(&image, &["-u", "bob", "--password-stdin", "--push", "--json"]), BOB_PW),
    ];
    for (args, stdin) in &refused {
        let fast = run(home.path(), args, stdin, &[], false);
        let full = run(home.path(), args, stdin, &[], true);
        assert!(fast.0 == 4 || fast.0 == 5, "{args:?}: {fast:?}");
        assert_eq!(masked(fast, false), masked(full, false), "{args:?}");
    }
    for args in [
        with(&image, &[alice, &["--no-cache"]].concat()),
        with(&image, &[alice, &["--no-cache", "--json", "--decode"]].concat()),
    ] {
        let fast = run(home.path(), &args, ALICE_PW, &[], false);
        let full = run(home.path(), &args, ALICE_PW, &[], true);
        assert_eq!(fast.0, 0, "{args:?}: {}", fast.2);
        assert_eq!(masked(fast, true), masked(full, true), "{args:?}");
    }

    // Bad arguments and help: clap answers on both paths; a bad image is the lean path's usage error.
    let bad: Vec<Vec<&str>> = vec![
        vec!["token"],
        vec!["token", "--help"],
        vec!["token", "-h"],
        vec!["help", "token"],
        with(&image, &["--timeout", "0"]),
        with(&image, &["--bogus"]),
        with(&image, &["--password-stdin"]),
        with(&image, &["--push", "--push"]),
        with(&image, &["--tls-verify=maybe"]),
        vec!["token", "UPPER/Case//bad"],
        vec!["token", "nginx", "--client", "nope"],
    ];
    for args in &bad {
        let fast = run(home.path(), args, "", &[], false);
        let full = run(home.path(), args, "", &[], true);
        assert_eq!(fast, full, "{args:?}");
    }
    // The variables clap reads: a bad one is clap's error on both paths, a good one the same answer.
    for env in [[("REGAUTH_LOCK_TIMEOUT", "soon")], [("REGAUTH_CONFIG", cfg)], [("REGAUTH_CERTS_D", "/a:/b")]]
    {
        let args = with(&image, &["--json"]);
        let fast = run(home.path(), &args, "", &env, false);
        let full = run(home.path(), &args, "", &env, true);
        assert_eq!(fast, full, "{env:?}");
    }
}

/// The front program answers a hit whose credential is in config.json by itself: copied where no
/// regauth-cli can be found, it prints what the whole command prints. What it must hand over (a miss, a
/// credential kept by a helper, a credential on stdin, any other command) fails there, naming what is
/// missing, before any helper is asked.
#[test]
fn the_front_alone_answers_a_hit_and_hands_over_the_rest() {
    front_alone(&support::command::regauth_bin());
}

/// The same of the front as the release build ships it: static-pie (`make static`).
#[test]
fn the_static_front_alone_answers_a_hit_and_hands_over_the_rest() {
    let Some(dir) = support::static_build::dir() else { return };
    front_alone(&dir.join("regauth"));
}

fn front_alone(program: &Path) {
    let policy =
        Policy::new(Style::Spec).user("alice", User::new(ALICE_PW, &[("team/app", &["pull", "push"])]));
    let Some(bed) = TokenBed::start(policy, "/token", "test-registry") else { return };
    let image = bed.image("team/app:v1");
    let home = tempfile::tempdir().unwrap();
    let auths = serde_json::json!({"auths": {bed.registry.host(): {"auth": base64_alice()}}});
    support::bed::write_docker_config(home.path(), &auths);
    let lonely = tempfile::tempdir().unwrap();
    let front = lonely.path().join("bin/regauth");
    std::fs::create_dir(lonely.path().join("bin")).unwrap();
    std::fs::copy(program, &front).unwrap();
    let alone = |args: &[&str], stdin: &str| {
        let mut command = support::command::clean(&front);
        command
            .args(args)
            .env("HOME", home.path())
            .env("DOCKER_CONFIG", home.path().join(".docker"))
            .env("XDG_CACHE_HOME", home.path().join("cache"))
            .env("REGAUTH_TOKEN_CACHE", "file")
            .env("NO_COLOR", "1")
            .env("PATH", support::command::system_path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        feed(&mut child, stdin);
        let out = child.wait_with_output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let handed_over = |(code, out, err): (i32, String, String), what: &str| {
        assert_eq!(code, 1, "{what}: {out}{err}");
        assert!(out.is_empty(), "{what}: {out}");
        assert!(err.contains("regauth-cli, the rest of regauth, is not installed"), "{what}: {err}");
    };
    // Before the cache holds the token, the front hands the miss over.
    handed_over(alone(&with(&image, &[]), ""), "a miss");
    for extra in [&[][..], &["--push"], &["--json"], &["--decode"]] {
        let args = with(&image, extra);
        let (code, _, stderr) = run(home.path(), &args, "", &[], false);
        assert!(code == 0, "{args:?}: {stderr}");
        let requests = bed.tokens.requests();
        let front = alone(&args, "");
        assert_eq!(front, run(home.path(), &args, "", &[], true), "{args:?}");
        assert_eq!(bed.tokens.requests(), requests, "{args:?}: the hit made no token request");
    }
    // A credential on stdin, --no-cache, --debug, another client, another command: the whole command's.
    handed_over(alone(&with(&image, &["-u", "alice", "--password-stdin"]), ALICE_PW), "stdin");
    handed_over(alone(&with(&image, &["--no-cache"]), ""), "--no-cache");
    handed_over(alone(&[&["--debug"][..], &with(&image, &[])].concat(), ""), "--debug");
    handed_over(alone(&with(&image, &["--client", "podman"]), ""), "podman");
    handed_over(alone(&["--version"], ""), "--version");
    // A helper keeps the credential: handed over before it is asked (a helper that would answer is on
    // PATH; it records being run).
    let helper_dir = tempfile::tempdir().unwrap();
    let asked = helper_dir.path().join("asked");
    let helper = helper_dir.path().join("docker-credential-recorder");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\ntouch {}\necho '{{\"Username\":\"alice\",\"Secret\":\"{ALICE_PW}\"}}'\n",
            asked.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    support::bed::write_docker_config(home.path(), &serde_json::json!({"credsStore": "recorder"}));
    let mut path = helper_dir.path().as_os_str().to_owned();
    path.push(":");
    path.push(support::command::system_path());
    let mut command = support::command::clean(&front);
    let out = command
        .args(with(&image, &[]))
        .env("HOME", home.path())
        .env("DOCKER_CONFIG", home.path().join(".docker"))
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env("REGAUTH_TOKEN_CACHE", "file")
        .env("PATH", path)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("is not installed"), "{err}");
    assert!(!asked.exists(), "the front asked the helper before handing over");
}

/// Write `stdin` to the child; one that has answered without reading it (a hit) may have exited already.
fn feed(child: &mut std::process::Child, stdin: &str) {
    match child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.unwrap(),
    }
}

/// `token IMAGE EXTRA...`
fn with<'a>(image: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    [&["token", image], extra].concat()
}

fn base64_alice() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("alice:{ALICE_PW}"))
}
