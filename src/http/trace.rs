//! `regauth --debug`: every HTTP exchange of any command on stderr as it happens, in the words of the
//! transport's exchange log. Nothing here sees a request or an answer: it prints an [`Exchange`] after
//! the transport has cleaned it (every form of every secret it knows redacted, made safe for a
//! terminal, cut), exactly what `diagnose --verbose` and `--json` show. Where the lines go is the CLI's
//! choice (its one message channel), given to [`enable`].

use super::transport::Exchange;
use std::sync::OnceLock;

/// Where traced lines go: one call per exchange, so concurrent requests' lines do not interleave.
pub type Sink = fn(&[String]);

static SINK: OnceLock<Sink> = OnceLock::new();

/// Trace from now on (the CLI's `--debug`) into `sink`.
pub fn enable(sink: Sink) {
    let _ = SINK.set(sink);
}

pub fn enabled() -> bool {
    SINK.get().is_some()
}

/// A request about to be sent: `#index > METHOD URL (auth: KIND)`.
pub(super) fn sent(index: usize, exchange: &Exchange) {
    if enabled() {
        let from = exchange.redirected_from.map(|f| format!(", redirected from #{f}")).unwrap_or_default();
        let line =
            format!("#{index} > {} {} (auth: {}{from})", exchange.method, exchange.url, exchange.auth.name());
        say(&[line]);
    }
}

/// The answer (or the failure) of the exchange, with the challenges, kept headers and error body the
/// log holds.
pub(super) fn answered(index: usize, exchange: &Exchange) {
    if !enabled() {
        return;
    }
    let mut lines = Vec::new();
    match (exchange.status, &exchange.error) {
        (Some(status), _) => lines.push(format!("#{index} < {status} in {} ms", exchange.elapsed_ms)),
        (None, Some(error)) => {
            lines.push(format!("#{index} < no answer after {} ms: {error}", exchange.elapsed_ms))
        }
        (None, None) => lines.push(format!("#{index} < no answer")),
    }
    for challenge in &exchange.challenges {
        lines.push(format!("#{index}   www-authenticate: {challenge}"));
    }
    for (name, value) in &exchange.headers {
        lines.push(format!("#{index}   {name}: {value}"));
    }
    if let Some(body) = &exchange.body {
        lines.push(format!("#{index}   body: {body}"));
    }
    for note in &exchange.notes {
        lines.push(format!("#{index}   note: {note}"));
    }
    say(&lines);
}

fn say(lines: &[String]) {
    if let Some(sink) = SINK.get() {
        sink(lines);
    }
}
