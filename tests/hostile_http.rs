//! `regauth diagnose` against hostile servers the tests own (support::hostile_server): one test per class
//! of fault of issue 8 that the network part closes. Every planted secret is looked for, in every form,
//! in every output (text, --verbose, --json, stderr).

mod support;

#[path = "hostile_http/common.rs"]
mod common;

use common::*;
use support::hostile_server::{Action, Echo, HostileServer, Request};
use support::leaks::assert_absent;

use std::io::Write;
use std::process::Stdio;

/// Class 2: an endless chunked token response, and an error body claiming a terabyte, are cut at the cap
/// (regauth runs in 1 GiB of address space: reading either whole would fail the run).
#[test]
fn bodies_are_read_with_a_cap() {
    let endless = HostileServer::start(|req, base| match req.path() {
        "/token" => Action::StreamForever { status: 200 },
        _ => bearer_challenge(base, ""),
    });
    let image = format!("{}/team/app:v1", endless.host());
    let run = regauth(&["diagnose", &image, "--anonymous", "--json", "--timeout", "60"], None);
    assert_eq!(run.code, 8, "{}", run.shown());
    let authentication = run.step("authentication");
    assert_eq!(authentication["verdict"], "network", "{}", run.shown());
    assert!(run.stdout.contains("body cut at 1048576 bytes"), "{}", run.shown());

    let huge = HostileServer::start(|req, base| match (req.method.as_str(), req.path()) {
        (_, "/token") => Action::respond(200, &[], token_json("opaque-token-1234")),
        ("HEAD", _) if req.header("authorization").is_some() => Action::respond(403, &[], ""),
        ("GET", _) => Action::HugeLength { status: 403 },
        _ => bearer_challenge(base, ""),
    });
    let image = format!("{}/team/app:v1", huge.host());
    let run = regauth(&["diagnose", &image, "--anonymous", "--json", "--timeout", "60"], None);
    assert_eq!(run.code, 5, "{}", run.shown());
    assert!(run.stdout.contains("body cut at 1048576 bytes"), "{}", run.shown());
    assert!(run.stdout.len() < 200_000, "the report carries the body: {} bytes", run.stdout.len());
}

/// Class 3: servers that echo every request header and body (the Authorization header, the refresh-token
/// form) into WWW-Authenticate, error JSON and token claims: no form of the password, the identity token,
/// the bearer token or the refresh token is in any output.
#[test]
fn echoed_secrets_never_reach_any_output() {
    const PASSWORD: &str = "pa$$w0rd/with+odd=chars";
    const BEARER: &str = "bearer-token-issued-77";
    const REFRESH: &str = "refresh-token-issued-88";
    const IDENTITY: &str = "identity-token-stored-99";
    let echo = |req: &Request| req.echo().replace('"', "'");
    let server = HostileServer::start(move |req, base| {
        let said = echo(req);
        match (req.method.as_str(), req.path()) {
            ("GET", "/token") => {
                let token = serde_json::json!({
                    "token": BEARER, "refresh_token": REFRESH, "echo": said, "expires_in": 300
                });
                Action::respond(200, &[], token.to_string())
            }
            ("POST", "/token") => {
                let body = serde_json::json!({ "details": said, "error": "invalid_grant" });
                Action::respond(401, &[("X-Echo", &said)], body.to_string())
            }
            _ if req.header("authorization").is_some() => {
                let challenge = format!(
                    "Bearer realm=\"{base}/token\",error=\"insufficient_scope\",error_description=\"{said}\""
                );
                let body = serde_json::json!({ "errors": [{ "code": "DENIED", "message": said }] });
                Action::respond(
                    401,
                    &[("WWW-Authenticate", &challenge), ("Location", &said)],
                    body.to_string(),
                )
            }
            _ => bearer_challenge(base, &format!(",scope=\"{said}\"")),
        }
    });
    let image = format!("{}/team/app:v1", server.host());
    let password = every_output(
        &["diagnose", &image, "--push", "--username", "alice", "--password-stdin"],
        Some(PASSWORD),
    );
    assert_eq!(password[2].1.code, 5, "{}", password[2].1.shown());
    assert!(
        password[1].1.stdout.contains("<redacted>"),
        "the echo was not shown at all: {}",
        password[1].1.stdout
    );
    let identity =
        every_output(&["diagnose", &image, "--username", "alice", "--identity-token-stdin"], Some(IDENTITY));
    assert_ne!(identity[2].1.code, 0, "{}", identity[2].1.shown());
    let secrets = [("alice", PASSWORD), ("alice", BEARER), ("alice", REFRESH), ("alice", IDENTITY)];
    assert_no_secret(&password, &secrets);
    assert_no_secret(&identity, &secrets);
    // The echo really carried them: the server saw every one it should have.
    let seen: String = server.received().iter().map(Request::echo).collect();
    assert!(seen.contains("Bearer bearer-token-issued-77") && seen.contains("identity-token-stored-99"));
}

/// Class 4: credentials never cross origins. A refresh-token POST redirected elsewhere is not re-sent;
/// a Basic token request redirected elsewhere arrives without Authorization; a manifest served from
/// another origin is reported with its redirect; an upload location on another origin is not cancelled
/// there.
#[test]
fn credentials_never_cross_origins() {
    const PASSWORD: &str = "basic-secret-pw-11";
    const IDENTITY: &str = "identity-token-stored-22";
    let other = HostileServer::start(|req, _| match req.path() {
        "/token" => Action::respond(200, &[], token_json("token-from-elsewhere-33")),
        p if p.contains("/manifests/") => {
            Action::respond(200, &[("Docker-Content-Digest", "sha256:0123")], "{}")
        }
        _ => Action::respond(204, &[], ""),
    });
    let elsewhere = other.url();

    // The token endpoint redirects every request to the other origin.
    let to = elsewhere.clone();
    let tokens = HostileServer::start(move |req, base| match (req.method.as_str(), req.path()) {
        ("POST", "/token") => Action::redirect(307, &format!("{to}/token")),
        ("GET", "/token") => {
            Action::redirect(302, &format!("{to}/token?{}", req.target.split_once('?').unwrap().1))
        }
        _ if req.header("authorization").is_some() => Action::respond(404, &[], ""),
        _ => bearer_challenge(base, ""),
    });
    let image = format!("{}/team/app:v1", tokens.host());
    let refresh =
        every_output(&["diagnose", &image, "--username", "alice", "--identity-token-stdin"], Some(IDENTITY));
    let json = refresh[2].1.json();
    let posts: Vec<&serde_json::Value> =
        json["exchanges"].as_array().unwrap().iter().filter(|e| e["method"] == "POST").collect();
    assert!(
        posts.iter().any(|e| e["notes"].to_string().contains("not followed")),
        "{}",
        refresh[2].1.shown()
    );
    let basic =
        every_output(&["diagnose", &image, "--username", "alice", "--password-stdin"], Some(PASSWORD));
    // The other origin's token is no evidence about a credential it never saw.
    let authentication = basic[2].1.step("authentication");
    assert_eq!(authentication["verdict"], "network", "{}", basic[2].1.shown());
    assert!(authentication["summary"].to_string().contains("another origin"), "{}", basic[2].1.shown());

    // A Basic registry that serves its manifest from the other origin and puts uploads there.
    let to = elsewhere.clone();
    let registry =
        HostileServer::start(move |req, _| match (req.method.as_str(), req.header("authorization")) {
            (_, None) => Action::respond(401, &[("WWW-Authenticate", "Basic realm=\"hostile\"")], ""),
            ("POST", Some(_)) => {
                Action::respond(202, &[("Location", &format!("{to}/v2/team/app/blobs/uploads/u1"))], "")
            }
            (_, Some(_)) if is_manifest(req) => Action::redirect(307, &format!("{to}{}", req.target)),
            _ => Action::respond(404, &[], ""),
        });
    let image = format!("{}/team/app:v1", registry.host());
    let push = every_output(
        &["diagnose", &image, "--push", "--username", "alice", "--password-stdin"],
        Some(PASSWORD),
    );
    let run = &push[2].1;
    assert_eq!(run.code, 0, "{}", run.shown());
    let pull = run.step("pull");
    assert!(pull["details"].to_string().contains("redirect"), "{}", run.shown());
    let exchanges = run.json()["exchanges"].clone();
    let evidence: Vec<usize> =
        pull["evidence"].as_array().unwrap().iter().map(|i| i.as_u64().unwrap() as usize).collect();
    assert!(evidence.iter().any(|&i| exchanges[i]["status"] == 307), "{}", run.shown());
    assert!(evidence.iter().any(|&i| exchanges[i]["redirectedFrom"].is_number()), "{}", run.shown());
    assert!(run.step("push")["details"].to_string().contains("not cancelled there"), "{}", run.shown());

    let received = other.received();
    assert!(!received.is_empty(), "the redirects were never followed");
    for req in &received {
        assert_eq!(req.header("authorization"), None, "{} {} got a credential", req.method, req.target);
        assert!(
            req.method == "GET" || req.method == "HEAD",
            "{} {} reached another origin",
            req.method,
            req.target
        );
    }
    let seen: Vec<(&str, String)> = received.iter().map(|r| ("other origin", r.echo())).collect();
    let seen: Vec<(&str, &str)> = seen.iter().map(|(n, t)| (*n, t.as_str())).collect();
    assert_absent(&seen, &[("alice", PASSWORD), ("alice", IDENTITY)]);
    let secrets = [("alice", PASSWORD), ("alice", IDENTITY)];
    for runs in [&refresh, &basic, &push] {
        assert_no_secret(runs, &secrets);
    }
}

/// A token realm that redirects to another origin: the credential is not sent there, so whatever that
/// origin hands out is no evidence. diagnose, token and login refuse it: no token printed or cached, no
/// "authenticated", nothing stored, exit 8 naming the other origin; the registry here takes any token.
#[test]
fn a_token_from_another_origin_is_never_used() {
    const PASSWORD: &str = "basic-secret-pw-44";
    const ELSEWHERE_TOKEN: &str = "token-from-elsewhere-55";
    let other = HostileServer::start(|req, _| match req.path() {
        "/token" => Action::respond(200, &[], token_json(ELSEWHERE_TOKEN)),
        _ => Action::respond(404, &[], ""),
    });
    let to = other.url();
    let registry = HostileServer::start(move |req, base| match (req.path(), req.header("authorization")) {
        ("/token", _) => {
            Action::redirect(302, &format!("{to}/token?{}", req.target.split_once('?').unwrap().1))
        }
        (_, Some(_)) if is_manifest(req) => {
            Action::respond(200, &[("Docker-Content-Digest", "sha256:0123")], "{}")
        }
        (_, Some(_)) => Action::respond(200, &[], "{}"),
        _ => bearer_challenge(base, ""),
    });
    let image = format!("{}/team/app:v1", registry.host());
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = support::command::regauth()
            .args(args)
            .env("HOME", home.path())
            .env("DOCKER_CONFIG", home.path().join(".docker"))
            .env("XDG_CACHE_HOME", home.path().join("cache"))
            .env("REGAUTH_TOKEN_CACHE", "file")
            .env("REGAUTH_CERTS_D", home.path().join("certs.d"))
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                // `cache list` reads no stdin and may be gone before the write: a broken pipe is no failure.
                let _ = child.stdin.take().unwrap().write_all(PASSWORD.as_bytes());
                child.wait_with_output()
            })
            .unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    };
    let diagnose = run(&["diagnose", &image, "--username", "alice", "--password-stdin", "--json"]);
    assert_eq!(diagnose.code, 8, "{}", diagnose.shown());
    assert_eq!(diagnose.step("authentication")["verdict"], "network", "{}", diagnose.shown());
    let token = run(&["token", &image, "--username", "alice", "--password-stdin"]);
    assert_eq!(token.code, 8, "{}", token.shown());
    assert!(token.stderr.contains("another origin"), "{}", token.shown());
    let cached = run(&["cache", "list", "--json"]);
    assert!(
        !cached.stdout.contains("team/app"),
        "a token from another origin was cached: {}",
        cached.shown()
    );
    let login = run(&["login", &registry.host(), "-u", "alice", "--password-stdin"]);
    assert_eq!(login.code, 8, "{}", login.shown());
    assert!(!login.stdout.contains("authenticated"), "{}", login.shown());
    assert!(
        login.stdout.contains("another origin") || login.stderr.contains("another origin"),
        "{}",
        login.shown()
    );
    assert!(!home.path().join(".docker/config.json").exists(), "login stored a credential");
    for r in [&diagnose, &token, &cached, &login] {
        for text in [&r.stdout, &r.stderr] {
            assert!(!text.contains(ELSEWHERE_TOKEN), "the other origin's token was shown: {}", r.shown());
        }
    }
    let secrets = [("alice", PASSWORD)];
    let shown: Vec<(&str, &str)> = [&diagnose, &token, &login]
        .iter()
        .flat_map(|r| [("stdout", r.stdout.as_str()), ("stderr", r.stderr.as_str())])
        .collect();
    assert_absent(&shown, &secrets);
    for req in other.received() {
        assert_eq!(req.header("authorization"), None, "{} {} got a credential", req.method, req.target);
    }
}

/// Class 5: a server that accepts and never answers, and one that trickles a byte a second, end at the
/// deadline (--timeout) with a finding that names the step, exit 8.
#[test]
fn stalls_and_trickles_end_at_the_deadline() {
    let stall = HostileServer::start(|_, _| Action::Stall);
    let image = format!("{}/team/app:v1", stall.host());
    let run = regauth(&["diagnose", &image, "--anonymous", "--json", "--timeout", "2"], None);
    assert_eq!(run.code, 8, "{}", run.shown());
    let reachability = run.step("reachability");
    assert_eq!(reachability["verdict"], "network");
    assert!(
        reachability["summary"].as_str().unwrap().contains("during the reachability step"),
        "{}",
        run.shown()
    );

    let trickle = HostileServer::start(|req, base| match req.path() {
        "/token" => Action::Trickle { status: 200 },
        _ => bearer_challenge(base, ""),
    });
    let image = format!("{}/team/app:v1", trickle.host());
    let run = regauth(&["diagnose", &image, "--anonymous", "--timeout", "3"], None);
    assert_eq!(run.code, 8, "{}", run.shown());
    assert!(run.stdout.contains("during the authentication step"), "{}", run.shown());
}

/// Every string of a JSON value.
fn strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| {
            out.push(k.clone());
            strings(v, out)
        }),
        _ => {}
    }
}

/// Class 6: escape sequences (an OSC 52 clipboard write, CSI), bidi overrides and zero-width characters
/// in an error body and token claims never reach the terminal raw, in text or in --json strings (which
/// `jq -r` prints raw); a 600 kB claim (as much as fits in a token response under the body cap) does not
/// make a 600 kB line.
#[test]
fn server_text_is_safe_for_a_terminal() {
    const NASTY: &str = "\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\u{9b}31m\u{202e}gnp.exe\u{2066}\u{200b}";
    let server = HostileServer::start(|req, base| {
        let claims = serde_json::json!({
            "sub": format!("{NASTY}{}", "s".repeat(600_000)),
            "iss": NASTY,
            "exp": 4_000_000_000u64,
            "access": [{
                "type": "repository",
                "name": format!("team/app{NASTY}"),
                "actions": ["pull", NASTY],
            }],
        });
        match req.path() {
            "/token" => Action::respond(200, &[], token_json(&jwt(&claims))),
            _ if req.header("authorization").is_some() => {
                // Header values are ASCII on the wire (hyper refuses control bytes): a bidi override in
                // one would make it unreadable text, which regauth ignores.
                let challenge = format!("Bearer realm=\"{base}/token\",error=\"insufficient_scope\"");
                let body =
                    serde_json::json!({ "errors": [{ "code": "DENIED", "message": NASTY.repeat(5000) }] });
                Action::respond(403, &[("WWW-Authenticate", &challenge)], body.to_string())
            }
            _ => bearer_challenge(base, ""),
        }
    });
    let image = format!("{}/team/app:v1", server.host());
    let runs = every_output(&["diagnose", &image, "--anonymous"], None);
    let bad = |c: char| {
        (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{202e}' | '\u{2066}' | '\u{200b}')
    };
    for (name, run) in &runs {
        assert_eq!(run.code, 5, "{name}: {}", run.shown());
        for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
            assert!(!text.contains(bad), "{name} {stream} holds a raw control or format character");
            let longest = text.lines().map(str::len).max().unwrap_or(0);
            assert!(longest < 8_000, "{name} {stream} has a {longest}-byte line");
        }
        assert!(run.stdout.contains("\\u{1b}]52"), "{name}: the escape is shown escaped: {}", run.stdout);
    }
    let mut texts = Vec::new();
    strings(&runs[2].1.json(), &mut texts);
    for text in texts {
        assert!(!text.contains(bad), "a --json string holds a raw control or format character");
        assert!(text.len() < 8_000, "a --json string of {} bytes", text.len());
    }
}

/// Class 7: numeric options out of range are usage errors (exit 2), never a panic.
#[test]
fn seconds_out_of_range_are_usage_errors() {
    for option in ["--timeout", "--helper-timeout"] {
        for value in ["1e30", "NaN", "inf", "-1", "0", "1e-30", "ten"] {
            let arg = format!("{option}={value}");
            let run = regauth(&["diagnose", "127.0.0.1:9/team/app", "--anonymous", &arg], None);
            assert_eq!(run.code, 2, "{arg}: {}", run.shown());
            assert!(!run.stderr.contains("panicked"), "{arg}: {}", run.stderr);
            assert!(run.stderr.contains(option), "{arg}: the message names the option: {}", run.stderr);
        }
    }
}
