//! Running credential helpers and `regauth helper-test` as separate processes, as clients do.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where cargo put our binaries (regauth, and the helpers of the regauth-helpers package): the directory to
/// put first on PATH. (`option_env!`: cargo defines the variable for integration tests only, and examples
/// share this code.)
pub fn bin_dir() -> &'static Path {
    match option_env!("CARGO_BIN_EXE_regauth") {
        Some(regauth) => Path::new(regauth).parent().unwrap(),
        None => panic!("binaries are known to integration tests only"),
    }
}

/// One of our helper binaries. They belong to the regauth-helpers package, which links only regauth-core;
/// `cargo test` at the workspace top builds them (their own tests in helpers/tests/ need them) before any
/// test runs. A test of this package run alone needs them built first.
pub fn helper_bin(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    assert!(
        path.is_file(),
        "{} is not built: run `cargo build -p regauth-helpers` (or `cargo test` at the workspace top)",
        path.display()
    );
    path
}

/// PATH with our binaries first.
pub fn path() -> OsString {
    super::path_with(bin_dir())
}

/// What one process did.
#[derive(Debug)]
pub struct Answer {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run `command ACTION` with `input` on stdin.
pub fn call(mut command: Command, action: &str, input: &str) -> Answer {
    let mut child = command
        .arg(action)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start helper");
    // A helper may exit without reading (version): ignore a broken pipe.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    let out = child.wait_with_output().unwrap();
    Answer {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `regauth helper-test NAME --json` (plus `extra`), run by `command` (which carries PATH and env).
/// Returns the exit code and the report.
pub fn helper_test(mut command: Command, name: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let out = command.args(["helper-test", name, "--json"]).args(extra).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("helper-test {name}: no JSON report ({e}): {stdout} {}", String::from_utf8_lossy(&out.stderr))
    });
    (out.status.code().unwrap_or(-1), report)
}

/// `name -> (outcome, detail)` of every check in a helper-test report.
pub fn outcomes(report: &serde_json::Value) -> Vec<(String, String, String)> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let field = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
            (field("name"), field("outcome"), field("detail"))
        })
        .collect()
}

/// Names of the checks with this outcome.
pub fn with_outcome(report: &serde_json::Value, outcome: &str) -> Vec<String> {
    outcomes(report).into_iter().filter(|(_, o, _)| o == outcome).map(|(n, _, _)| n).collect()
}
