//! What the tests of tests/hostile_http.rs share: running regauth under a watchdog and a memory limit,
//! every output form of one run, the leak scan, and the challenges and tokens the hostile servers send.

use super::support::hostile_server::{Action, Request};
use super::support::leaks::assert_absent;
use std::io::{Read, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Longer than any run may take: regauth's own --timeout ends every run long before.
pub const WATCHDOG: Duration = Duration::from_secs(120);
/// The address space regauth runs in where a body could be unbounded.
pub const MEMORY_LIMIT: u64 = 1 << 30;

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", self.stdout, self.stderr))
    }

    pub fn step(&self, name: &str) -> serde_json::Value {
        self.json()["steps"].as_array().unwrap().iter().find(|s| s["step"] == name).cloned().unwrap()
    }

    pub fn shown(&self) -> String {
        format!("exit {}\n{}\n{}", self.code, self.stdout, self.stderr)
    }
}

/// Run regauth with a cleared environment, a private HOME, `stdin`, an address-space limit, and a watchdog
/// that fails the test if it does not finish.
pub fn regauth(args: &[&str], stdin: Option<&str>) -> Run {
    let home = tempfile::tempdir().unwrap();
    let mut command = super::support::command::regauth();
    command
        .args(args)
        .env("HOME", home.path())
        .env("DOCKER_CONFIG", home.path().join(".docker"))
        .env("REGAUTH_CERTS_D", home.path().join("certs.d"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    super::support::command::limit_memory(&mut command, MEMORY_LIMIT);
    let mut child = command.spawn().expect("run regauth");
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let stdout = std::thread::spawn(move || {
        let mut s = Vec::new();
        out.read_to_end(&mut s).unwrap();
        s
    });
    let stderr = std::thread::spawn(move || {
        let mut s = Vec::new();
        err.read_to_end(&mut s).unwrap();
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > WATCHDOG {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("regauth {args:?} did not finish");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&stderr.join().unwrap()).into_owned(),
    }
}

/// The same diagnosis as text, text with --verbose, and --json; `(name, run)` for each.
pub fn every_output(args: &[&str], stdin: Option<&str>) -> Vec<(&'static str, Run)> {
    let with = |extra: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(extra);
        regauth(&all, stdin)
    };
    vec![("text", with(&[])), ("verbose", with(&["--verbose"])), ("json", with(&["--json"]))]
}

/// stdout and stderr of every run, named, for `assert_absent`.
pub fn outputs(runs: &[(&'static str, Run)]) -> Vec<(String, String)> {
    runs.iter()
        .flat_map(|(name, run)| {
            [(format!("{name} stdout"), run.stdout.clone()), (format!("{name} stderr"), run.stderr.clone())]
        })
        .collect()
}

pub fn assert_no_secret(runs: &[(&'static str, Run)], secrets: &[(&str, &str)]) {
    let outputs = outputs(runs);
    let refs: Vec<(&str, &str)> = outputs.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    assert_absent(&refs, secrets);
}

/// `401` with a Bearer challenge whose realm is `base/token`.
pub fn bearer_challenge(base: &str, extra: &str) -> Action {
    let challenge = format!("Bearer realm=\"{base}/token\",service=\"hostile\"{extra}");
    Action::respond(401, &[("WWW-Authenticate", &challenge)], r#"{"errors":[{"code":"UNAUTHORIZED"}]}"#)
}

pub fn is_manifest(req: &Request) -> bool {
    req.path().contains("/manifests/")
}

pub fn token_json(token: &str) -> String {
    serde_json::json!({ "token": token, "expires_in": 300 }).to_string()
}

/// A JWT (unsigned: regauth does not check signatures) with these claims.
pub fn jwt(claims: &serde_json::Value) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let part = |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.c2ln", part(&serde_json::json!({"alg": "ES256", "typ": "JWT"})), part(claims))
}
