//! Shared output plumbing, and the one message channel: everything the CLI says on stderr (errors,
//! warnings, notes, progress, prompts) goes through [`say`] and its neighbours here, sanitised for the
//! terminal once; a command that stops returns its error ([`Failed`] when it carries its own exit code)
//! and [`report_error`] prints it. JSON goes to stdout, and a closed pipe (`regauth ... | head`) is a
//! normal end. tests/cli_one_channel.rs keeps `eprintln!` out of every other file of src/cli.

use crate::exit::Exit;
use regauth_core::config::ConfigError;
use regauth_core::sanitize::for_terminal;
use std::io::Write;

/// The longest message said on stderr (an escape counts for its length).
const MESSAGE_LIMIT: usize = 2000;

/// Print a failure on stderr and return its exit code.
pub(super) fn report_error(err: &anyhow::Error) -> i32 {
    let exit = classify(err);
    say(Level::Error, &error_text(err));
    exit.code() as i32
}

/// What a message on stderr is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    /// `regauth: TEXT`: something failed (the command may go on with the rest).
    Error,
    /// `regauth: warning: TEXT`.
    Warning,
    /// `regauth: note: TEXT`.
    Note,
    /// TEXT alone: what a command did that is not its output (`wrote FILE`).
    Status,
}

/// One message on stderr: one line, sanitised and cut.
pub(super) fn say(level: Level, text: &str) {
    let text = for_terminal(text, MESSAGE_LIMIT);
    let line = match level {
        Level::Error => format!("regauth: {text}\n"),
        Level::Warning => format!("regauth: warning: {text}\n"),
        Level::Note => format!("regauth: note: {text}\n"),
        Level::Status => format!("{text}\n"),
    };
    to_stderr(&line);
}

/// Several lines on stderr as they are laid out (a findings table), each line sanitised.
pub(super) fn say_lines(text: &str) {
    let mut out = String::new();
    for line in text.lines() {
        out.push_str(&for_terminal(line, MESSAGE_LIMIT));
        out.push('\n');
    }
    to_stderr(&out);
}

/// `--debug`'s lines of one HTTP exchange (already redacted and made safe by the transport), in one write.
pub(super) fn debug_lines(lines: &[String]) {
    let text: String = lines.iter().map(|l| format!("regauth: debug: {l}\n")).collect();
    to_stderr(&text);
}

/// A prompt on stderr, without a newline (`Username: `).
pub(super) fn prompt(text: &str) {
    to_stderr(&for_terminal(text, MESSAGE_LIMIT));
}

/// The progress line of a terminal: `Some(step)` shows it in place of the last one, `None` clears it.
pub(super) fn progress(step: Option<&str>) {
    match step {
        Some(step) => to_stderr(&format!("\r\x1b[2Kregauth: {}…", for_terminal(step, 200))),
        None => to_stderr("\r\x1b[2K"),
    }
}

/// A closed or full stderr has nowhere to say so: the message is lost, the command goes on.
fn to_stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|_| err.flush());
}

/// A command stopped with a message and the exit code it decided (a local configuration problem found
/// before any output, a probe that could not start): returned as the command's error, said once by
/// [`report_error`].
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(super) struct Failed {
    pub exit: Exit,
    pub message: String,
}

impl Failed {
    pub(super) fn stop(exit: Exit, message: impl Into<String>) -> anyhow::Error {
        Failed { exit, message: message.into() }.into()
    }

    /// Exit 3 (local configuration) with `message`: the most common stop.
    pub(super) fn local(message: impl std::fmt::Display) -> anyhow::Error {
        Failed::stop(Exit::LocalConfig, message.to_string())
    }
}

/// The error and its causes, each said once. Typed errors (thiserror) put their source's text in their own
/// message so that `to_string()` is complete wherever it is used, and also return it as `source()`; printing
/// the chain as anyhow's `{:#}` does would repeat it ("...: Permission denied (os error 13): Permission
/// denied (os error 13)"). A cause whose text is already in what is printed adds nothing and is left out.
fn error_text(err: &anyhow::Error) -> String {
    let mut text = err.to_string();
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

fn classify(err: &anyhow::Error) -> Exit {
    if let Some(failed) = err.downcast_ref::<Failed>() {
        return failed.exit;
    }
    if err.downcast_ref::<ConfigError>().is_some()
        || err.downcast_ref::<regauth_core::lock::LockError>().is_some()
    {
        return Exit::LocalConfig;
    }
    if err.downcast_ref::<MissingConfigDir>().is_some() {
        return Exit::LocalConfig;
    }
    if err.downcast_ref::<UsageError>().is_some() {
        return Exit::Usage;
    }
    Exit::Internal
}

/// A wrong argument found after parsing (an invalid registry name, say): exit 2 like clap's own errors.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(super) struct UsageError(pub String);

/// `--config DIR` names a directory that is not there, and the command would write into it.
#[derive(Debug, thiserror::Error)]
#[error(
    "--config {}: no such directory (like docker --config, it names a directory holding config.json; \
     make it with `mkdir -m 700 {}` or name an existing one); nothing was written",
    .0.display(),
    .0.display()
)]
pub(super) struct MissingConfigDir(pub std::path::PathBuf);

/// Write `text` to stdout; a closed pipe is not an error.
pub(super) fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Print a command's `--json` report under the one contract every command keeps (docs/json.md): a JSON
/// object whose `schemaVersion` is the command's schema and whose `exitCode` is the process's exit code.
/// The one place both are written: a report that carries them already (diagnose's and status's library
/// reports) keeps their position, and `exitCode` is set to `exit` whatever it said.
pub(super) fn print_report(body: &impl serde::Serialize, schema: u32, exit: Exit) -> anyhow::Result<()> {
    let mut value = serde_json::to_value(body)?;
    let text = contract(&mut value, schema, exit).and_then(|()| Ok(serde_json::to_string_pretty(&value)?));
    // A report may hold a secret the user asked for (`token --json`): no copy is left behind.
    scrub(&mut value);
    let mut text = zeroize::Zeroizing::new(text?);
    text.push('\n');
    print(&text)
}

/// `schemaVersion` and `exitCode` in `value`, first unless already there.
pub(super) fn contract(value: &mut serde_json::Value, schema: u32, exit: Exit) -> anyhow::Result<()> {
    let serde_json::Value::Object(body) = value else {
        anyhow::bail!("a --json report must be an object");
    };
    if let Some(said) = body.get("schemaVersion") {
        anyhow::ensure!(*said == schema, "report says schemaVersion {said}, its command {schema}");
    }
    if let Some(said) = body.get_mut("exitCode") {
        debug_assert_eq!(*said, exit.code(), "a report's exitCode differs from the process's");
        *said = exit.code().into();
        return Ok(());
    }
    let mut out = serde_json::Map::new();
    out.insert("schemaVersion".into(), body.shift_remove("schemaVersion").unwrap_or_else(|| schema.into()));
    out.insert("exitCode".into(), exit.code().into());
    out.append(body);
    *body = out;
    Ok(())
}

/// Overwrite every string in `value` before it is dropped.
fn scrub(value: &mut serde_json::Value) {
    use zeroize::Zeroize;
    match value {
        serde_json::Value::String(s) => s.zeroize(),
        serde_json::Value::Array(items) => items.iter_mut().for_each(scrub),
        serde_json::Value::Object(map) => map.values_mut().for_each(scrub),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use regauth_core::fsread::FileError;
    use regauth_core::lock::LockError;
    use std::io;

    fn denied() -> io::Error {
        io::Error::from_raw_os_error(libc::EACCES)
    }

    /// The contract's two fields: first when absent, in place (and set to the real code) when present.
    #[test]
    fn contract_fields() {
        let mut bare = serde_json::json!({"a": 1});
        contract(&mut bare, 2, Exit::LocalConfig).unwrap();
        assert_eq!(bare.to_string(), r#"{"schemaVersion":2,"exitCode":3,"a":1}"#);
        let mut carried = serde_json::json!({"schemaVersion": 1, "a": 1, "exitCode": 0});
        contract(&mut carried, 1, Exit::Ok).unwrap();
        assert_eq!(carried.to_string(), r#"{"schemaVersion":1,"a":1,"exitCode":0}"#);
        assert!(contract(&mut serde_json::json!({"schemaVersion": 1}), 2, Exit::Ok).is_err());
        assert!(contract(&mut serde_json::json!([1]), 1, Exit::Ok).is_err());
    }

    /// Every way an OS error reaches the CLI: its text appears exactly once, and context is kept.
    #[test]
    fn os_text_is_said_once() {
        let os = denied().to_string();
        let errors: Vec<anyhow::Error> = vec![
            ConfigError::from(FileError::Io { path: "/c/config.json".into(), source: denied() }).into(),
            ConfigError::Write { path: "/c/config.json".into(), source: denied() }.into(),
            LockError::Io { path: "/c/config.json.lock".into(), source: denied() }.into(),
            anyhow::Error::from(ConfigError::Write { path: "/c".into(), source: denied() })
                .context("helpers set"),
            anyhow::Error::from(denied()).context("reading the answer"),
            anyhow::Error::from(denied()),
        ];
        for err in &errors {
            let text = error_text(err);
            assert_eq!(text.matches(&os).count(), 1, "{text}");
        }
        assert_eq!(
            error_text(&errors[3]),
            format!("helpers set: cannot write /c: {os}; the previous file is intact")
        );
        assert_eq!(error_text(&errors[4]), format!("reading the answer: {os}"));
    }

    #[test]
    fn a_failure_carries_its_exit_code_to_the_printer() {
        assert_eq!(classify(&Failed::local("no CA file")), Exit::LocalConfig);
        assert_eq!(classify(&Failed::stop(Exit::Network, "down")), Exit::Network);
        assert_eq!(classify(&anyhow::anyhow!("other")), Exit::Internal);
        assert_eq!(error_text(&Failed::local("a: b")), "a: b");
    }
}
