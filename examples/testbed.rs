//! The diagnose test bed as a standalone process, for bench/diagnose.sh: a TLS registry with token auth,
//! the tests' token server and `team/app:v1`. Prints shell variables, then serves until stdin closes.
//! `TESTBED_IMAGES=N` also pushes `team/app1:v1` .. `team/appN:v1`, which alice may pull (bench/kube.sh).

#[path = "../tests/support/mod.rs"]
mod support;

use support::bed::TokenBed;
use support::token_server::{Policy, Style, User};

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let certs = support::certs::server_certs(dir.path());
    let extra: usize = std::env::var("TESTBED_IMAGES").ok().and_then(|n| n.parse().ok()).unwrap_or(0);
    let repos: Vec<String> = (1..=extra).map(|i| format!("team/app{i}")).collect();
    let mut grants: Vec<(&str, &[&str])> = vec![("team/app", &["pull", "push"])];
    grants.extend(repos.iter().map(|r| (r.as_str(), &["pull"][..])));
    let policy = Policy::new(Style::Spec)
        .user("alice", User::new("alice-pw-1", &grants))
        .user("bob", User::new("bob-pw-22", &[("team/app", &["pull"])]));
    let bed = TokenBed::start_with(policy, "/token", "test-registry", Some(&certs), "127.0.0.1")
        .expect("docker-registry is needed");
    if !repos.is_empty() {
        let client = reqwest::blocking::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&std::fs::read(&certs.ca).unwrap()).unwrap())
            .build()
            .unwrap();
        for repo in &repos {
            let admin = bed.tokens.mint("admin", &[(repo.as_str(), &["pull", "push"])]);
            support::registry::push_image(
                &client,
                &bed.registry.base_url(),
                repo,
                "v1",
                Some(&format!("Bearer {admin}")),
            );
        }
    }
    println!("REGISTRY={}", bed.registry.host());
    // A directory with only ca.crt: skopeo's --cert-dir reads a lone *.key as a client key.
    let ca_dir = dir.path().join("ca");
    std::fs::create_dir_all(&ca_dir).unwrap();
    std::fs::copy(&certs.ca, ca_dir.join("ca.crt")).unwrap();
    println!("CA_DIR={}", ca_dir.display());
    let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut Vec::new());
}
