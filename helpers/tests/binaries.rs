//! Each helper binary as a process: the arguments around the protocol's verbs (help, version, a wrong or
//! missing action). The verbs themselves are tested in the regauth package against the real stores and
//! clients; these tests also make `cargo test` build the binaries those tests run.

use std::process::{Command, Stdio};

const HELPERS: [&str; 3] = [
    env!("CARGO_BIN_EXE_docker-credential-regauth-keyutils"),
    env!("CARGO_BIN_EXE_docker-credential-regauth-secretservice"),
    env!("CARGO_BIN_EXE_docker-credential-regauth-env"),
];

fn run(helper: &str, args: &[&str]) -> (i32, String) {
    let out = Command::new(helper).args(args).stdin(Stdio::null()).output().expect("start helper");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn version_names_the_program_and_the_package_version() {
    for helper in HELPERS {
        let (code, out) = run(helper, &["version"]);
        let name = std::path::Path::new(helper).file_name().unwrap().to_str().unwrap();
        assert_eq!(code, 0, "{name} version");
        assert!(out.contains(name) && out.contains(env!("CARGO_PKG_VERSION")), "{name} version: {out:?}");
    }
}

#[test]
fn help_documents_exit_codes() {
    for helper in HELPERS {
        let (code, out) = run(helper, &["--help"]);
        assert_eq!(code, 0, "{helper} --help");
        assert!(
            out.contains("Exit codes:") && out.contains("credentials not found in native keychain"),
            "{out}"
        );
    }
}

#[test]
fn a_missing_or_unknown_action_fails_with_one_line() {
    for helper in HELPERS {
        for args in [&[][..], &["frobnicate"][..]] {
            let (code, out) = run(helper, args);
            assert_eq!(code, 1, "{helper} {args:?}");
            assert_eq!(out.trim_end().lines().count(), 1, "{helper} {args:?}: {out:?}");
        }
    }
}
