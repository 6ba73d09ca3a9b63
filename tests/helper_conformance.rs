//! `regauth helper-test` against Debian's upstream helpers: docker-credential-pass 0.6.4 must fail the
//! not-found check (it answers a missing entry with exit 0 and empty fields), and
//! docker-credential-secretservice runs in a private gnome-keyring.

mod support;

use support::helpers::{helper_test, outcomes, path, with_outcome};
use support::keyring::{PassStore, SecretService};

#[test]
fn upstream_pass_fails_the_not_found_check() {
    let Some(_) = support::need_program("docker-credential-pass") else { return };
    let Some(store) = PassStore::start() else { return };
    let mut regauth = store.command(env!("CARGO_BIN_EXE_regauth"));
    regauth.env("PATH", path());
    let (code, report) = helper_test(regauth, "pass", &[]);
    let failed = with_outcome(&report, "fail");
    assert!(failed.contains(&"get-missing-is-not-found".to_owned()), "{report:#}");
    let (_, _, detail) =
        outcomes(&report).into_iter().find(|(n, _, _)| n == "get-missing-is-not-found").unwrap();
    assert!(detail.contains("exit 0"), "{detail}");
    // What it does store, it returns: the suite is not failing everything.
    assert!(with_outcome(&report, "pass").contains(&"store-then-get".to_owned()), "{report:#}");
    assert_eq!(code, 3);
    // The suite cleaned up: no entry of ours is left in the store.
    let left = store.command("pass").arg("ls").output().unwrap();
    assert!(!String::from_utf8_lossy(&left.stdout).contains("regauth-helper-test"));
}

#[test]
fn upstream_secretservice_in_a_private_keyring() {
    let Some(_) = support::need_program("docker-credential-secretservice") else { return };
    let Some(session) = SecretService::start() else { return };
    let mut regauth = session.command(env!("CARGO_BIN_EXE_regauth"));
    regauth.env("PATH", path());
    let (code, report) = helper_test(regauth, "secretservice", &[]);
    let failed = with_outcome(&report, "fail");
    assert_eq!(failed, Vec::<String>::new(), "{report:#}");
    assert_eq!(code, 0);
}
