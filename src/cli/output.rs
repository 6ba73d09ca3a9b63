//! Shared output plumbing: errors to stderr with their exit code, JSON to stdout, and a stdout that treats
//! a closed pipe (`regauth ... | head`) as a normal end.

use crate::exit::Exit;
use regauth_core::config::ConfigError;
use std::io::Write;

/// Print a failure on stderr and return its exit code.
pub(super) fn report_error(err: &anyhow::Error) -> i32 {
    let exit = classify(err);
    eprintln!("regauth: {}", regauth_core::sanitize::for_terminal(&error_text(err), 2000));
    exit.code() as i32
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

/// Pretty JSON and a newline on stdout, as it is: audit's (branch w7-audit moves it to [`print_report`]).
pub(super) fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    print(&text)
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
}
