//! Hostile credential helpers against regauth's helper client, through `regauth resolve` (which asks
//! `credsStore` with `get`): one that streams forever on stdout, one that answers and exits but leaves a
//! process holding its stdout open. regauth runs under an address-space limit, so a lost output cap fails
//! the test instead of exhausting the machine; every run must end on its own.

mod support;

use std::process::{Command, Output};
use std::time::Duration;
use support::command::{limit_memory, regauth};
use support::write_script;

/// `regauth resolve` of an image on 127.0.0.1:5000 with `credsStore` = the fake helper `hostile`, whose
/// script is `body`; its output, or a panic when it is still running after a minute.
fn resolve_with(body: &str, extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    write_script(&bin.join("docker-credential-hostile"), body);
    let config = dir.path().join("docker");
    std::fs::create_dir(&config).unwrap();
    std::fs::write(config.join("config.json"), r#"{"credsStore":"hostile"}"#).unwrap();
    let mut command = regauth();
    command
        .args(["resolve", "127.0.0.1:5000/team/app:v1", "--client", "docker"])
        .args(extra)
        .env("HOME", dir.path())
        .env("DOCKER_CONFIG", &config)
        .env("PATH", support::path_with(&bin));
    limit_memory(&mut command, 1 << 30);
    finish(command)
}

fn finish(mut command: Command) -> Output {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(command.output().unwrap()));
    rx.recv_timeout(Duration::from_secs(60)).expect("regauth waited for the helper without end")
}

fn shown(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn a_helper_streaming_forever_is_stopped_at_the_output_cap() {
    let out = resolve_with("exec yes '{\"ServerURL\":\"x\",\"Username\":\"u\",\"Secret\":\"s\"}'", &[]);
    let shown = shown(&out);
    assert!(out.status.code().is_some(), "regauth was killed by a signal: {shown}");
    assert!(shown.contains("more than 1048576 bytes on standard output"), "{shown}");
}

#[test]
fn a_grandchild_holding_stdout_open_does_not_outlive_the_timeout() {
    let body = "echo '{\"ServerURL\":\"x\",\"Username\":\"u\",\"Secret\":\"s\"}'\n(sleep 300) &\nexit 0";
    let out = resolve_with(body, &["--helper-timeout", "2"]);
    let shown = shown(&out);
    assert!(out.status.code().is_some(), "regauth was killed by a signal: {shown}");
    assert!(shown.contains("did not answer within 2s"), "{shown}");
}
