//! docker-credential-regauth-kubelet as a process with an empty environment: its command line, and the
//! requests it refuses before looking anything up. Lookups through helpers, the response schema and
//! secrets in output are tested in the regauth package (tests/kubelet_plugin.rs).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const PLUGIN: &str = env!("CARGO_BIN_EXE_docker-credential-regauth-kubelet");
const V1: &str = "credentialprovider.kubelet.k8s.io/v1";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Run {
    let mut child = Command::new(PLUGIN)
        .env_clear()
        .envs(env.iter().copied())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the plugin");
    let mut input = child.stdin.take().unwrap();
    // The plugin stops reading after 1 MiB + 1 byte: a larger write may meet a closed pipe.
    let _ = input.write_all(stdin);
    drop(input);
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn request(api_version: &str, image: &str) -> Vec<u8> {
    format!(r#"{{"apiVersion":"{api_version}","kind":"CredentialProviderRequest","image":"{image}"}}"#)
        .into_bytes()
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("kubelet-plugin").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn help_and_version() {
    let help = run(&["--help"], &[], b"");
    assert_eq!(help.code, 0, "{}", help.stderr);
    for needle in ["credentialprovider.kubelet.k8s.io/v1", "--helper-timeout", "Exit codes:", "matchImages"] {
        assert!(help.stdout.contains(needle), "--help lacks {needle:?}");
    }
    let version = run(&["--version"], &[], b"");
    assert_eq!(version.code, 0);
    assert!(version.stdout.contains(env!("CARGO_PKG_VERSION")), "{}", version.stdout);
}

#[test]
fn usage_errors_exit_1_without_reading_a_request() {
    for args in [
        &["get"][..],
        &["--helper-timeout", "0"],
        &["--helper-timeout", "60"],
        &["--default-cache-duration", "5"],
    ] {
        let out = run(args, &[], &request(V1, "ghcr.io/a/b"));
        assert_eq!(out.code, 1, "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn refused_requests() {
    let mut oversized = br#"{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"a","pad":""#.to_vec();
    oversized.resize(3 * 1024 * 1024, b'x');
    let table: Vec<(Vec<u8>, &str)> = vec![
        (request("credentialprovider.kubelet.k8s.io/v1beta1", "ghcr.io/a/b"), "is not supported"),
        (request("credentialprovider.kubelet.k8s.io/v1alpha1", "ghcr.io/a/b"), "is not supported"),
        (request("v1", "ghcr.io/a/b"), "is not supported"),
        (b"{\"apiVersion\":".to_vec(), "not valid JSON"),
        (b"not json".to_vec(), "not valid JSON"),
        (b"".to_vec(), "empty"),
        (oversized, "longer than 1048576 bytes"),
        (request(V1, "Not/A/Valid/Reference"), "not a valid reference"),
        (request(V1, ""), "no image"),
    ];
    for (input, message) in table {
        let out = run(&[], &[], &input);
        let shown = String::from_utf8_lossy(&input[..input.len().min(60)]).into_owned();
        assert_eq!(out.code, 1, "{shown}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{shown}: {}", out.stdout);
        assert!(out.stderr.starts_with("docker-credential-regauth-kubelet: "), "{shown}: {}", out.stderr);
        assert!(out.stderr.contains(message), "{shown}: {}", out.stderr);
    }
}

#[test]
fn no_config_anywhere_is_an_empty_answer() {
    let out = run(&[], &[], &request(V1, "ghcr.io/a/b"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "{\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\"kind\":\"CredentialProviderResponse\",\
         \"cacheKeyType\":\"Registry\",\"cacheDuration\":\"5m0s\",\"auth\":{}}\n"
    );
    assert!(out.stderr.contains("neither --config, DOCKER_CONFIG nor HOME"), "{}", out.stderr);
}

#[test]
fn config_found_by_flag_by_docker_config_and_by_home() {
    let dir = scratch("locate");
    let config = r#"{"auths":{"ghcr.io":{"auth":"Ym90OmtsdC1wdy0x"}}}"#; // bot:klt-pw-1
    std::fs::create_dir_all(dir.join(".docker")).unwrap();
    std::fs::write(dir.join(".docker/config.json"), config).unwrap();
    let home = dir.to_str().unwrap();
    let docker_config = dir.join(".docker");
    let flag = dir.join(".docker/config.json");
    type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>);
    let cases: [Case; 4] = [
        (vec!["--config", flag.to_str().unwrap()], vec![]),
        (vec!["--config", docker_config.to_str().unwrap()], vec![]),
        (vec![], vec![("DOCKER_CONFIG", docker_config.to_str().unwrap())]),
        (vec![], vec![("HOME", home)]),
    ];
    for (args, env) in cases {
        let out = run(&args, &env, &request(V1, "ghcr.io/team/app:1"));
        assert_eq!(out.code, 0, "{args:?} {env:?}: {}", out.stderr);
        assert!(
            out.stdout.contains(r#""auth":{"ghcr.io":{"username":"bot","password":"klt-pw-1"}}"#),
            "{args:?} {env:?}: {}",
            out.stdout
        );
    }
    // --config wins over DOCKER_CONFIG.
    let out = run(
        &["--config", "/nonexistent/config.json"],
        &[("DOCKER_CONFIG", docker_config.to_str().unwrap())],
        &request(V1, "ghcr.io/a"),
    );
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains(r#""auth":{}"#), "{}", out.stdout);
    assert!(out.stderr.contains("/nonexistent/config.json does not exist"), "{}", out.stderr);
}
