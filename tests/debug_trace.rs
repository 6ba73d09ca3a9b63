//! `regauth --debug`: every command's HTTP exchanges traced on stderr, from the transport's redacted log.
//! A server that echoes every request header and body (the Authorization header, the refresh-token
//! form) back into its challenges, headers and error bodies must not get any form of any secret (raw,
//! base64, base64 of user:secret, URL-encoded) into the trace.

mod support;

use support::hostile_server::{Action, Echo, HostileServer, Request};
use support::leaks::assert_absent;

use std::io::Write;
use std::process::{Output, Stdio};

const PASSWORD: &str = "pa$$w0rd/with+odd=chars";
const BEARER: &str = "bearer-token-issued-77";
const REFRESH: &str = "refresh-token-issued-88";
const IDENTITY: &str = "identity-token-stored-99";

fn echoing_server() -> HostileServer {
    HostileServer::start(move |req: &Request, base: &str| {
        let said = req.echo().replace('"', "'");
        match (req.method.as_str(), req.path()) {
            ("GET", "/token") if req.header("authorization").is_some() => {
                let token = serde_json::json!({
                    "token": BEARER, "refresh_token": REFRESH, "echo": said, "expires_in": 300
                });
                Action::respond(
                    200,
                    &[("X-Echo", &said), ("Docker-Content-Digest", &said)],
                    token.to_string(),
                )
            }
            ("POST", "/token") => {
                let body = serde_json::json!({ "details": said, "error": "invalid_grant" });
                Action::respond(401, &[("X-Echo", &said), ("Docker-Content-Digest", &said)], body.to_string())
            }
            _ => {
                let challenge = format!(
                    "Bearer realm=\"{base}/token\",service=\"echo\",error=\"insufficient_scope\",\
                     error_description=\"{said}\""
                );
                let body = serde_json::json!({ "errors": [{ "code": "DENIED", "message": said }] });
                Action::respond(
                    401,
                    &[("WWW-Authenticate", &challenge), ("Docker-Content-Digest", &said)],
                    body.to_string(),
                )
            }
        }
    })
}

fn run(home: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    let mut command = support::command::regauth();
    command
        .args(args)
        .env("HOME", home)
        .env("DOCKER_CONFIG", home.join(".docker"))
        .env("REGAUTH_CERTS_D", home.join("certs.d"))
        .env("REGAUTH_TOKEN_CACHE", "off")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn debug_traces_every_command_s_exchanges_without_a_secret() {
    let server = echoing_server();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".docker")).unwrap();
    let host = server.host();
    let image = format!("{host}/team/app:v1");
    let runs: Vec<(&str, Vec<&str>, &str)> = vec![
        (
            "diagnose",
            vec!["--debug", "diagnose", &image, "--push", "-u", "alice", "--password-stdin"],
            PASSWORD,
        ),
        (
            "diagnose identity",
            vec!["diagnose", &image, "--debug", "-u", "alice", "--identity-token-stdin"],
            IDENTITY,
        ),
        (
            "token",
            vec!["token", &image, "--debug", "-u", "alice", "--password-stdin", "--no-cache"],
            PASSWORD,
        ),
        (
            "login",
            vec!["login", &host, "--debug", "-u", "alice", "--password-stdin", "--plaintext"],
            PASSWORD,
        ),
    ];
    let secrets = [("alice", PASSWORD), ("alice", BEARER), ("alice", REFRESH), ("alice", IDENTITY)];
    for (name, args, stdin) in &runs {
        let out = run(home.path(), args, stdin);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let trace: Vec<&str> = stderr.lines().filter(|l| l.starts_with("regauth: debug: ")).collect();
        assert!(trace.iter().any(|l| l.contains(" > GET ") || l.contains(" > HEAD ")), "{name}: {stderr}");
        assert!(trace.iter().any(|l| l.contains(" < 401 in ")), "{name}: {stderr}");
        let mut outputs = vec![("stderr", stderr.as_str())];
        // `token` prints the token it was asked for on stdout; every other output holds no secret.
        if *name != "token" {
            outputs.push(("stdout", stdout.as_str()));
        }
        assert_absent(&outputs, &secrets);
        // The echo reached the trace, and what it carried was redacted there.
        assert!(
            trace.iter().any(|l| l.contains("<redacted>")),
            "{name}: nothing echoed was traced: {stderr}"
        );
    }
    // The server did get them: the echo had something to give back.
    let seen: String = server.received().iter().map(Request::echo).collect();
    assert!(seen.contains("Authorization: Basic") || seen.contains("authorization: Basic"), "{seen}");
    assert!(seen.contains(IDENTITY), "the refresh-token grant was not sent");
}

#[test]
fn without_debug_nothing_is_traced() {
    let server = echoing_server();
    let home = tempfile::tempdir().unwrap();
    let image = format!("{}/team/app:v1", server.host());
    let out = run(home.path(), &["diagnose", &image, "--anonymous"], "");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("regauth: debug:"));
}
