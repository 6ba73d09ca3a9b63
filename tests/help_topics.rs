//! `regauth help TOPIC`: the topics print, `help COMMAND` is still clap's, the top-level help lists them,
//! and the environment topic names every variable the program reads.

use std::path::Path;
use std::process::Command;

fn regauth(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_regauth")).args(args).env_clear().output().unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn topics_print_and_commands_stay_clap_s() {
    let (code, text) = regauth(&["help", "exit-codes"]);
    assert_eq!(code, 0);
    for exit in regauth::exit::Exit::ALL {
        assert!(text.contains(&format!("  {}  {}\n", exit.code(), exit.summary())), "{text}");
    }
    let (code, text) = regauth(&["help", "json"]);
    assert_eq!(code, 0);
    assert!(text.contains("regauth helper-test --json (schemaVersion 2)"), "{text}");
    let (code, text) = regauth(&["help", "environment"]);
    assert_eq!(code, 0);
    assert!(text.contains("REGISTRY_AUTH_FILE"), "{text}");
    let (code, text) = regauth(&["help", "resolve"]);
    assert_eq!(code, 0);
    assert!(text.starts_with("Show which credential"), "{text}");
    for args in [&["--help"][..], &["-h"], &["help"]] {
        let (_, text) = regauth(args);
        for (topic, _) in regauth::cli::topics::TOPICS {
            assert!(text.contains(&format!("regauth help {topic}")), "{args:?}: {text}");
        }
    }
    assert_eq!(regauth(&["help", "no-such-topic"]).0, 2);
}

/// Variable names in the source that are not environment variables regauth reads.
const NOT_READ: &[&str] = &[
    "REGAUTH_BLESS",                      // tests only
    "DOCKER_IO",                          // part of a REGAUTH_REGISTRY_ name in a table
    "REGAUTH_TEST_SURELY_UNSET_VARIABLE", // a unit test's name for a variable nobody sets
];

/// Every quoted name the source uses that looks like one of the variables a container tool reads
/// (REGAUTH_*, DOCKER_*, XDG_*, REGISTRY_AUTH_FILE, CONTAINERS_*, NO_COLOR, DBUS_*, *_PROXY) is in
/// `regauth help environment`. A variable added to the code without a line there fails here.
#[test]
fn environment_topic_names_every_variable_read() {
    let listed: Vec<&str> = regauth::cli::topics::environment::VARIABLES.iter().map(|(n, _)| *n).collect();
    let known = |name: &str| {
        NOT_READ.contains(&name)
            || listed.contains(&name)
            || (name.starts_with("REGAUTH_REGISTRY_") && listed.contains(&"REGAUTH_REGISTRY_<HOST>_USERNAME"))
            || (name.ends_with("_PROXY") && listed.contains(&"HTTPS_PROXY"))
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut missing = Vec::new();
    for dir in ["src", "core/src"] {
        for file in rust_files(&root.join(dir)) {
            let text = std::fs::read_to_string(&file).unwrap();
            for name in quoted_names(&text) {
                if !known(&name) {
                    missing.push(format!("{name} ({})", file.display()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "not in `regauth help environment` (topics/environment.rs): {missing:?}");
}

fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// `"NAME"` literals shaped like an environment variable of interest.
fn quoted_names(text: &str) -> Vec<String> {
    let prefixes = ["REGAUTH_", "DOCKER_", "XDG_", "REGISTRY_AUTH_FILE", "CONTAINERS_", "NO_COLOR", "DBUS_"];
    let mut out = Vec::new();
    for piece in text.split('"').skip(1).step_by(2) {
        let shaped = !piece.is_empty()
            && piece.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            && (prefixes.iter().any(|p| piece.starts_with(p)) || piece.ends_with("_PROXY"));
        if shaped {
            out.push(piece.to_owned());
        }
    }
    out
}
