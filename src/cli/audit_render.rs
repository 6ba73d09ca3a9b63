//! `regauth audit`'s output: the text reports (one machine, `--find-secret-stdin`, `audit merge`) and the
//! JSON, written as it is serialised (a fleet's report is tens of MiB: never built as one string), with
//! the schema version and the exit code first.

use crate::audit::{self, merge, summary};
use crate::exit::Exit;
use regauth_core::sanitize::one_line;
use serde::Serialize;
use std::io::Write;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Versioned<'a, T> {
    schema_version: u32,
    /// The process's exit code, so a stored report says how the run ended.
    exit_code: i32,
    #[serde(flatten)]
    body: &'a T,
}

/// Pretty JSON and a newline on stdout, written through a buffer as it is serialised; a closed pipe is
/// not an error.
pub(super) fn print_json(body: &impl Serialize, exit: Exit) -> anyhow::Result<()> {
    let versioned = Versioned { schema_version: audit::SCHEMA_VERSION, exit_code: exit.code() as i32, body };
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = serde_json::to_writer_pretty(&mut out, &versioned)
        .map_err(std::io::Error::from)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    match written {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// A report (`audit`) or a merged one (`audit merge`) on stdout, through their own JSON writers
/// (`audit::json_out`), as [`print_json`] writes the rest; a closed pipe is not an error.
pub(super) fn print_report_json(
    write: impl FnOnce(&mut std::io::BufWriter<std::io::StdoutLock<'static>>) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = write(&mut out).and_then(|()| out.write_all(b"\n")).and_then(|()| out.flush());
    match written {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn storage(s: audit::sources::Storage) -> &'static str {
    s.name()
}

fn credential_line(c: &audit::Stored) -> String {
    let kind = c.kind.map_or("(kept by the helper)", |k| k.describe());
    let registry = if c.registry.is_empty() { "-" } else { &c.registry };
    format!(
        "  {}  user {}  {}  [{}] {}\n",
        one_line(registry),
        one_line(c.username.as_deref().unwrap_or("-")),
        kind,
        storage(c.storage),
        one_line(&c.location)
    )
}

pub(super) fn render(report: &audit::Report, verbose: bool, all_users: bool) -> String {
    let mut out = format!("regauth audit of {}\n", one_line(&report.host));
    if all_users {
        out.push_str(&render_users(&report.users));
    } else {
        out.push_str("Users: this user only (--all-users scans every user's home)\n");
    }
    out.push('\n');
    out.push_str(&report.summary.render());
    let views = report.findings.iter().map(summary::FindingView::from);
    let groups = summary::group(views);
    out.push_str(&format!("\nFindings ({} in {} groups)\n", report.findings.len(), groups.len()));
    if groups.is_empty() {
        out.push_str("  none\n");
    }
    out.push_str(&summary::render_groups(&groups));
    let notes: Vec<&audit::Scanned> = report.scanned.iter().filter(|s| s.note.is_some()).collect();
    if !notes.is_empty() {
        out.push_str("\nOther files\n");
        for s in notes {
            let mode = s.mode.as_deref().map(|m| format!(" (mode {m})")).unwrap_or_default();
            out.push_str(&format!("  {}{mode}: {}\n", one_line(&s.location), s.note.unwrap_or_default()));
        }
    }
    if verbose {
        out.push_str(&format!("\nCredentials ({})\n", report.credentials.len()));
        if report.credentials.is_empty() {
            out.push_str("  none found\n");
        }
        for c in &report.credentials {
            out.push_str(&credential_line(c));
        }
        out.push_str(&format!("\nEvery finding ({})\n", report.findings.len()));
        for f in &report.findings {
            out.push_str(&format!("  {:<6}  {}  {}\n", f.severity.label(), f.code, one_line(&f.message)));
            out.push_str(&format!("          fix: {}\n", one_line(&f.fix)));
        }
    } else if report.credentials.is_empty() {
        out.push_str("\nCredentials: none found\n");
    } else {
        out.push_str(&format!(
            "\nCredentials: {}; --verbose or --json lists them.\n",
            report.credentials.len()
        ));
    }
    let present =
        report.scanned.iter().filter(|s| !matches!(s.state, audit::sources::PlaceState::Missing)).count();
    out.push_str(&format!(
        "\nScanned {} places ({present} present); --json lists them.\n",
        report.scanned.len()
    ));
    out
}

/// The users scanned: every one up to 20, then a count.
fn render_users(users: &[audit::users::User]) -> String {
    const SHOWN: usize = 20;
    let listed: Vec<String> =
        users.iter().take(SHOWN).map(|u| format!("{} ({})", one_line(&u.name), one_line(&u.home))).collect();
    let more = if users.len() > SHOWN {
        format!(" and {} more (--json lists them)", users.len() - SHOWN)
    } else {
        String::new()
    };
    format!("Users scanned ({}): {}{more}\n", users.len(), listed.join(", "))
}

pub(super) fn render_find(report: &audit::FindReport, helpers_asked: bool) -> String {
    let mut out = String::new();
    if report.found == 0 {
        out.push_str(&format!(
            "The secret is not stored in any place scanned on {}.\n",
            one_line(&report.host)
        ));
    } else {
        out.push_str(&format!(
            "The secret is stored in {} places on {}:\n",
            report.found,
            one_line(&report.host)
        ));
        for c in &report.places {
            out.push_str(&credential_line(c));
        }
        out.push_str("Rotate it at its issuer first, then remove every copy.\n");
    }
    if !report.users.is_empty() {
        out.push_str(&render_users(&report.users));
    }
    let present =
        report.scanned.iter().filter(|s| !matches!(s.state, audit::sources::PlaceState::Missing)).count();
    out.push_str(&format!(
        "Scanned {} places ({present} present){}; --json lists them.\n",
        report.scanned.len(),
        if helpers_asked { ", every helper entry fetched" } else { ", helpers not asked (--no-helpers)" }
    ));
    out
}

pub(super) fn render_merge(merged: &merge::Merged, verbose: bool) -> String {
    let read = merged.reports.iter().filter(|r| r.error.is_none()).count();
    let mut out = format!(
        "regauth audit merge: {read} reports from {} machines{}\n",
        merged.hosts,
        match merged.reports.len() - read {
            0 => String::new(),
            n => format!(" ({n} unreadable, listed at the end)"),
        }
    );
    let users: usize = merged.reports.iter().map(|r| r.users).sum();
    if users > 0 {
        out.push_str(&format!("Users scanned: {users}\n"));
    }
    out.push('\n');
    out.push_str(&merged.summary.render());
    out.push_str(&format!(
        "\nFindings ({} in {} groups across machines)\n",
        merged.findings.len(),
        merged.groups.len()
    ));
    if merged.groups.is_empty() {
        out.push_str("  none\n");
    }
    for g in &merged.groups {
        let count = if g.count > 1 { format!(" x{}", g.count) } else { String::new() };
        let hosts = match g.hosts.len() {
            0 | 1 => format!("[{}] ", g.hosts.first().map_or("?".into(), |h| one_line(h))),
            n => format!("[{n} machines] "),
        };
        out.push_str(&format!(
            "  {:<6}  {}{count}  {hosts}{}\n",
            g.severity.label(),
            g.code,
            one_line(&g.message)
        ));
        out.push_str(&format!("          fix: {}\n", one_line(&g.fix)));
    }
    out.push_str("\nThe same secret in more than one place (keyed fingerprints)\n");
    if merged.fingerprint_key_ids.len() > 1 {
        out.push_str(&format!(
            "  note: the reports were made with {} different keys; only fingerprints of the same key are compared\n",
            merged.fingerprint_key_ids.len()
        ));
    }
    if merged.reports_without_fingerprints > 0 {
        out.push_str(&format!(
            "  note: {} reports have no keyed fingerprints (made without --fingerprint-key): not correlated\n",
            merged.reports_without_fingerprints
        ));
    }
    if merged.shared_credentials.is_empty() {
        out.push_str("  none\n");
    }
    const PLACES_SHOWN: usize = 5;
    for s in &merged.shared_credentials {
        let short = s.fingerprint.strip_prefix("hmac-sha256:").unwrap_or(&s.fingerprint);
        out.push_str(&format!(
            "  {}  {} on {} machines, {} places\n",
            one_line(&short[..short.len().min(16)]),
            one_line(s.kind.as_deref().unwrap_or("unknown kind")),
            s.hosts,
            s.places.len()
        ));
        for p in s.places.iter().take(if verbose { usize::MAX } else { PLACES_SHOWN }) {
            let p = &merged.credentials[*p];
            out.push_str(&format!(
                "      {}: {}  {}  user {}\n",
                one_line(&p.host),
                one_line(&p.location),
                one_line(&p.registry),
                one_line(p.username.as_deref().unwrap_or("-"))
            ));
        }
        if !verbose && s.places.len() > PLACES_SHOWN {
            out.push_str(&format!("      ... and {} more (--verbose)\n", s.places.len() - PLACES_SHOWN));
        }
    }
    if verbose {
        out.push_str(&format!("\nEvery finding ({})\n", merged.findings.len()));
        for f in &merged.findings {
            out.push_str(&format!(
                "  {:<6}  {}  {}: {}\n",
                f.severity.label(),
                one_line(&f.code),
                one_line(&f.host),
                one_line(&f.message(merged))
            ));
            out.push_str(&format!("          fix: {}\n", one_line(&f.fix(merged))));
        }
    }
    let errors: Vec<&merge::Source> = merged.reports.iter().filter(|r| r.error.is_some()).collect();
    if !errors.is_empty() {
        out.push_str("\nReports not merged\n");
        for r in errors {
            out.push_str(&format!("  {}\n", one_line(r.error.as_deref().unwrap_or_default())));
        }
    }
    out
}
