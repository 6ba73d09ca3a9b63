//! Real components for integration tests: the distribution registry, token server, keyrings, helper
//! scripts, commands with a cleared environment, golden files.
//!
//! A missing prerequisite skips the test through `skip::skip` (counted by scripts/test), unless
//! `REGAUTH_REQUIRE_REAL=1` (set by scripts/test and `.ci/run`), where it fails.

#![allow(dead_code)] // each test binary uses a different part of the support code

pub mod audit_json;
pub mod bed;
pub mod cache_bed;
pub mod certs;
pub mod clients_doc;
pub mod command;
pub mod containerd;
pub mod differential;
pub mod fleet;
pub mod go;
pub mod golden;
pub mod helpers;
pub mod hostile_server;
pub mod http_server;
pub mod keyring;
pub mod keyutils;
pub mod kube_cluster;
pub mod kube_corpus;
pub mod kubectl;
pub mod leaks;
pub mod registry;
pub mod skip;
pub mod static_build;
pub mod token_env;
pub mod token_server;

#[allow(unused_imports)] // as for dead_code: each test binary uses some
pub use skip::{need_program, need_root, require_real, skip};

use std::net::TcpListener;
use std::path::Path;

/// A port on 127.0.0.1 that nothing listened on a moment ago, for tests of "connection refused". Not for
/// starting a server on: servers we own bind port 0 and report theirs, and the registry retries
/// (registry.rs).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Write an executable shell script, for fake credential helpers.
pub fn write_script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The tests' PATH with `dir` first, for tests that put helpers on it.
pub fn path_with(dir: &Path) -> std::ffi::OsString {
    let mut paths = vec![dir.to_path_buf()];
    paths.extend(std::env::split_paths(&command::system_path()));
    std::env::join_paths(paths).unwrap()
}
