//! Each helper binary as a process: the arguments around the protocol's verbs (help, version, a wrong or
//! missing action). The verbs themselves are tested in the regauth package against the real stores and
//! clients; these tests also make `cargo test` build the binaries those tests run. Each run has an empty
//! environment, so nothing of the developer's (REGAUTH_*, DBUS_SESSION_BUS_ADDRESS) changes an answer.

use std::process::{Command, Stdio};

const HELPERS: [&str; 3] = [
    env!("CARGO_BIN_EXE_docker-credential-regauth-keyutils"),
    env!("CARGO_BIN_EXE_docker-credential-regauth-secretservice"),
    env!("CARGO_BIN_EXE_docker-credential-regauth-env"),
];

fn run(helper: &str, args: &[&str]) -> (i32, String) {
    let out =
        Command::new(helper).env_clear().args(args).stdin(Stdio::null()).output().expect("start helper");
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
        let name = std::path::Path::new(helper).file_name().unwrap().to_str().unwrap();
        let cases: [(&[&str], String); 2] = [
            (&[], format!("{name}: expected exactly one argument: store, get, erase, list or version (see --help)\n")),
            (
                &["frobnicate"],
                format!(
                    "{name}: unknown action \"frobnicate\"; expected one of store, get, erase, list, version (see --help)\n"
                ),
            ),
        ];
        for (args, message) in cases {
            assert_eq!(run(helper, args), (1, message), "{name} {args:?}");
        }
    }
}

/// The programs start through `regauth_core::main!`, not Rust's own start: SIGPIPE is still ignored (a
/// reader that went away is an error the program handles, not a signal that kills it) and a closed
/// standard descriptor is /dev/null, so the answer's write succeeds and the exit code is the program's.
#[test]
fn a_gone_reader_or_closed_streams_are_no_signal_and_no_failure() {
    use std::os::unix::process::ExitStatusExt;
    for helper in HELPERS {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let status = Command::new(helper)
            .env_clear()
            .arg("--help")
            .stdin(Stdio::null())
            .stdout(writer)
            .stderr(Stdio::null())
            .status()
            .expect("start helper");
        assert_eq!(status.signal(), None, "{helper} --help into a closed pipe: {status:?}");
        let status = Command::new("sh")
            .args(["-c", "exec \"$0\" version <&- >&- 2>&-", helper])
            .env_clear()
            .status()
            .expect("start sh");
        assert_eq!(status.code(), Some(0), "{helper} version with its standard streams closed");
    }
}
