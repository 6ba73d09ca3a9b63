//! The human report: one line per step, the evidence of failures, the fix; every exchange with --verbose.
//! Verdicts are styled with anstyle; the stream that prints the report (anstream) drops the styles when
//! colour is off (not a terminal, NO_COLOR).

use crate::diagnose::{Finding, Report, Verdict};
use anstyle::{AnsiColor, Style};

fn style(verdict: Verdict) -> Style {
    match verdict {
        Verdict::Ok => Style::new().fg_color(Some(AnsiColor::Green.into())),
        Verdict::Skipped => Style::new().dimmed(),
        _ => Style::new().bold().fg_color(Some(AnsiColor::Red.into())),
    }
}

fn paint(text: &str, verdict: Verdict) -> String {
    let style = style(verdict);
    format!("{style}{text}{style:#}")
}

fn short(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Ok => "ok",
        Verdict::Skipped => "skipped",
        Verdict::AuthenticationFailed => "AUTH FAILED",
        Verdict::AuthorizationDenied => "DENIED",
        Verdict::NotFound => "NOT FOUND",
        Verdict::RateLimited => "RATE LIMITED",
        Verdict::Network => "NETWORK",
        Verdict::LocalConfig => "LOCAL CONFIG",
    }
}

/// The report with styles; print it through an anstream stream, which strips them when colour is off.
pub(super) fn render(report: &Report, verbose: bool) -> String {
    let r = &report.registry;
    let mut out = format!(
        "image      {}{}\nregistry   {} ({}){}\n\n",
        report.image,
        if report.push { " (pull and push)" } else { " (pull)" },
        r.host,
        r.kind.label(),
        r.url.as_ref().map(|u| format!(", {u}")).unwrap_or_default()
    );
    for warning in &report.warnings {
        out.push_str(&format!("warning    {warning}\n"));
    }
    for finding in &report.steps {
        render_finding(&mut out, report, finding, verbose);
    }
    let verdict = report.verdict;
    out.push_str(&format!(
        "\nresult     {} (exit {}); {} request{}\n",
        paint(verdict.label(), verdict),
        report.exit_code,
        report.requests,
        if report.requests == 1 { "" } else { "s" }
    ));
    if verbose {
        out.push_str("\nexchanges\n");
        for index in 0..report.exchanges.len() {
            render_exchange(&mut out, report, index, "  ");
        }
    }
    out
}

fn render_finding(out: &mut String, report: &Report, f: &Finding, verbose: bool) {
    out.push_str(&format!(
        "{}{:<15} {}\n",
        paint(&format!("{:<13}", short(f.verdict)), f.verdict),
        f.step.name(),
        f.summary
    ));
    let pad = " ".repeat(29);
    for d in &f.details {
        out.push_str(&format!("{pad}{d}\n"));
    }
    // Evidence for failures always; for successes only with --verbose (they are listed below anyway).
    if f.verdict.is_failure() {
        for &index in &f.evidence {
            render_exchange(out, report, index, &pad);
        }
    } else if verbose && !f.evidence.is_empty() {
        let list: Vec<String> = f.evidence.iter().map(|i| format!("#{}", i + 1)).collect();
        out.push_str(&format!("{pad}evidence: {}\n", list.join(", ")));
    }
    if let Some(fix) = &f.fix {
        out.push_str(&format!("{pad}fix: {fix}\n"));
    }
}

fn render_exchange(out: &mut String, report: &Report, index: usize, pad: &str) {
    let Some(e) = report.exchanges.get(index) else { return };
    let status = match (e.status, &e.error) {
        (Some(s), _) => s.to_string(),
        (None, Some(err)) => format!("no answer: {err}"),
        (None, None) => "no answer".into(),
    };
    out.push_str(&format!("{pad}#{} {} {} -> {status} ({} ms)\n", index + 1, e.method, e.url, e.elapsed_ms));
    let more = format!("{pad}   ");
    if !matches!(e.auth, crate::http::transport::AuthSent::None) {
        out.push_str(&format!("{more}sent: {} credential (redacted)\n", e.auth.name()));
    }
    for c in &e.challenges {
        out.push_str(&format!("{more}www-authenticate: {c}\n"));
    }
    for (name, value) in &e.headers {
        out.push_str(&format!("{more}{name}: {value}\n"));
    }
    if !e.scopes_asked.is_empty() {
        out.push_str(&format!("{more}scopes asked: {}\n", e.scopes_asked.join(" ")));
    }
    if let Some(granted) = &e.scopes_granted {
        out.push_str(&format!(
            "{more}scopes granted: {}\n",
            if granted.is_empty() { "(none)".into() } else { granted.join(" ") }
        ));
    }
    if let Some(body) = &e.body {
        out.push_str(&format!("{more}body: {body}\n"));
    }
    if let Some(from) = e.redirected_from {
        out.push_str(&format!("{more}reached through the redirect of #{}\n", from + 1));
    }
    for note in &e.notes {
        out.push_str(&format!("{more}note: {note}\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_are_stripped_to_the_same_text() {
        let painted = paint(&format!("{:<13}", "DENIED"), Verdict::AuthorizationDenied);
        assert_eq!(painted, "\x1b[1m\x1b[31mDENIED       \x1b[0m");
        let mut plain = anstream::StripStream::new(Vec::new());
        std::io::Write::write_all(&mut plain, painted.as_bytes()).unwrap();
        assert_eq!(String::from_utf8(plain.into_inner()).unwrap(), "DENIED       ");
    }
}
