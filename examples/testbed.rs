//! The diagnose test bed as a standalone process, for bench/diagnose.sh: a TLS registry with token auth,
//! the tests' token server and `team/app:v1`. Prints shell variables, then serves until stdin closes.

#[path = "../tests/support/mod.rs"]
mod support;

use support::bed::TokenBed;
use support::token_server::{Policy, Style, User};

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let certs = support::certs::server_certs(dir.path());
    let policy = Policy::new(Style::Spec)
        .user("alice", User::new("alice-pw-1", &[("team/app", &["pull", "push"])]))
        .user("bob", User::new("bob-pw-22", &[("team/app", &["pull"])]));
    let bed = TokenBed::start_with(policy, "/token", "test-registry", Some(&certs), "127.0.0.1")
        .expect("docker-registry is needed");
    println!("REGISTRY={}", bed.registry.host());
    // A directory with only ca.crt: skopeo's --cert-dir reads a lone *.key as a client key.
    let ca_dir = dir.path().join("ca");
    std::fs::create_dir_all(&ca_dir).unwrap();
    std::fs::copy(&certs.ca, ca_dir.join("ca.crt")).unwrap();
    println!("CA_DIR={}", ca_dir.display());
    let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut Vec::new());
}
