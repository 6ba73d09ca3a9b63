//! The human report: one line per step, the evidence of failures, the fix; every exchange with --verbose.
//! Colours only when asked (a terminal without NO_COLOR).

use crate::diagnose::{Finding, Report, Verdict};

fn paint(text: &str, verdict: Verdict, colour: bool) -> String {
    let code = match verdict {
        Verdict::Ok => "32",
        Verdict::Skipped => "2",
        _ => "1;31",
    };
    if colour {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
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

pub fn render(report: &Report, verbose: bool, colour: bool) -> String {
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
        render_finding(&mut out, report, finding, verbose, colour);
    }
    let verdict = report.verdict;
    out.push_str(&format!(
        "\nresult     {} (exit {}); {} request{}\n",
        paint(verdict.label(), verdict, colour),
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

fn render_finding(out: &mut String, report: &Report, f: &Finding, verbose: bool, colour: bool) {
    out.push_str(&format!(
        "{}{:<15} {}\n",
        paint(&format!("{:<13}", short(f.verdict)), f.verdict, colour),
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
}
