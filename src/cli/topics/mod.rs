//! `regauth help TOPIC` (gh's style): environment, exit-codes and json. Each topic is built from what the
//! program does: the exit codes from `crate::exit::Exit`, the variables from `environment::VARIABLES`
//! (a test checks them against the variables the source reads), the schemas from `json::SCHEMAS`. The
//! same text is in regauth(1) (ENVIRONMENT, EXIT STATUS, JSON OUTPUT) and docs/json.md.

pub mod environment;
pub mod json;

use crate::exit::Exit;

/// `(name, one line)` of every topic, as the top-level help lists them.
pub const TOPICS: &[(&str, &str)] = &[
    ("environment", "the environment variables regauth reads"),
    ("exit-codes", "what each exit code means"),
    ("json", "the --json contract and every command's schema"),
];

/// The topic's text, or `None` for a name that is not a topic (clap's `help COMMAND` then).
pub fn topic(name: &str) -> Option<String> {
    match name {
        "environment" => Some(environment::topic()),
        "exit-codes" => Some(exit_codes()),
        "json" => Some(json::topic()),
        _ => None,
    }
}

/// The list printed after the top-level help.
pub fn listing() -> String {
    let mut out = String::from("Help topics:\n");
    for (name, line) in TOPICS {
        out.push_str(&format!("  regauth help {name:<12} {line}\n"));
    }
    out.pop();
    out
}

/// `regauth help exit-codes`.
pub fn exit_codes() -> String {
    let mut out = String::from(
        "Exit codes of regauth (every command's --help lists the ones it can return; codes are never \
         renumbered, only added)\n\n",
    );
    for exit in Exit::ALL {
        out.push_str(&format!("  {}  {}\n", exit.code(), exit.summary()));
        out.push_str(&wrap(exit.meaning(), 5));
    }
    out
}

/// `text` as lines of at most 100 columns, each indented by `indent`. The topics are printed as they
/// are, not through clap, so they keep to a width that fits 100-column terminals.
pub(crate) fn wrap(text: &str, indent: usize) -> String {
    let width = 100 - indent;
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            out.push_str(&format!("{:indent$}{line}\n", ""));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(&format!("{:indent$}{line}\n", ""));
    }
    out
}

/// Whether the command line asks for a topic: `regauth help TOPIC`, nothing after it.
pub fn asked(args: &[std::ffi::OsString]) -> Option<&'static str> {
    match args {
        [_, help, name] if help == "help" => {
            TOPICS.iter().map(|(topic, _)| *topic).find(|topic| name.to_str() == Some(topic))
        }
        _ => None,
    }
}
