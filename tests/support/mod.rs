//! Real components for integration tests: the distribution registry, helper scripts, temp configs.
//!
//! A missing prerequisite skips the test with a loud message, unless `REGAUTH_REQUIRE_REAL=1`
//! (set by `.ci/run`), where it fails.

#![allow(dead_code)] // each test binary uses a different part of the support code

pub mod bed;
pub mod certs;
pub mod helpers;
pub mod http_server;
pub mod keyring;
pub mod registry;
pub mod token_server;

use std::net::TcpListener;
use std::path::{Path, PathBuf};

/// Whether a missing real component must fail the test instead of skipping it.
pub fn require_real() -> bool {
    std::env::var("REGAUTH_REQUIRE_REAL").is_ok_and(|v| v == "1")
}

/// `Some(path)` of a program on PATH; `None` (after a loud message) when it is missing and skipping is
/// allowed; a panic when `REGAUTH_REQUIRE_REAL=1`.
pub fn need_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path).map(|d| d.join(program)).find(|p| p.is_file());
    if found.is_none() {
        if require_real() {
            panic!("{program} is required (REGAUTH_REQUIRE_REAL=1) but is not on PATH; .ci/run installs it");
        }
        eprintln!("SKIPPED: {program} is not installed; run .ci/run or install it to run this test");
    }
    found
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Write an executable shell script, for fake credential helpers.
pub fn write_script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// PATH with `dir` first, for tests that put helpers on it.
pub fn path_with(dir: &Path) -> std::ffi::OsString {
    let mut paths = vec![dir.to_path_buf()];
    paths.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    std::env::join_paths(paths).unwrap()
}
