//! Shared output plumbing: errors to stderr with their exit code, JSON to stdout, and a stdout that treats
//! a closed pipe (`regauth ... | head`) as a normal end.

use crate::exit::Exit;
use regauth_core::config::ConfigError;
use std::io::Write;

/// Print a failure on stderr and return its exit code.
pub(super) fn report_error(err: &anyhow::Error) -> i32 {
    let exit = classify(err);
    eprintln!("regauth: {}", regauth_core::sanitize::for_terminal(&format!("{err:#}"), 2000));
    exit.code() as i32
}

fn classify(err: &anyhow::Error) -> Exit {
    if err.downcast_ref::<ConfigError>().is_some()
        || err.downcast_ref::<regauth_core::lock::LockError>().is_some()
    {
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
pub struct UsageError(pub String);

/// Write `text` to stdout; a closed pipe is not an error.
pub(super) fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Pretty JSON and a newline on stdout.
pub(super) fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    print(&text)
}
