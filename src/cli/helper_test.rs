//! `regauth helper-test NAME`: run the conformance suite (crate::conformance) against a credential helper.

use super::output::{print, print_report};
use crate::conformance::{self, Outcome, Report};
use crate::exit::Exit;
use regauth_core::environ::Environ;
use regauth_core::protocol::{HelperClient, DEFAULT_TIMEOUT};
use std::fmt::Write as _;

/// Check that a credential helper speaks the protocol the way docker's clients expect.
///
/// Runs docker-credential-NAME from PATH through store, get, erase, list and version with server URLs
/// unique to this run (under .invalid), reports every check, and erases what it stored. Checks: version;
/// get of a missing entry answers exactly "credentials not found in native keychain" with exit 1; the
/// missing server URL and username errors; store then get; list; whitespace trimming on get; identity
/// tokens (<token>); case-insensitive field names; a 30000-byte secret; a unicode secret; erase then get;
/// no secret on stderr or in an error; cleanup. A helper that refuses store with a message saying
/// "read-only" (or with --read-only) has its store checks reported as skipped.
#[derive(Debug, clap::Args)]
#[command(after_long_help = concat!(
    "Examples:\n",
    "  regauth helper-test regauth-keyutils\n",
    "  regauth helper-test secretservice --json\n",
    "  regauth helper-test regauth-env --read-only\n\n",
    "Exit status 0 means every check passed (skipped checks do not fail); 3 means a check failed or the ",
    "helper is not installed.\n\n",
    crate::exit_codes_help!(0, 1, 2, 3)
))]
pub struct Args {
    /// Helper name: `pass` for docker-credential-pass.
    pub helper: String,
    /// The helper is read-only: do not expect store to work; report store checks as skipped.
    #[arg(long)]
    pub read_only: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub(super) fn run(args: &Args, env: &Environ) -> anyhow::Result<Exit> {
    let name = args.helper.strip_prefix("docker-credential-").unwrap_or(&args.helper);
    let client = HelperClient::new(name, env.search_path(), DEFAULT_TIMEOUT);
    let report = match conformance::run(&client, args.read_only) {
        Ok(report) => report,
        // Missing, hung or unstartable: the helper is the local problem, like a failed check.
        Err(e) => return Err(super::output::Failed::local(e)),
    };
    let exit = if report.count(Outcome::Fail) == 0 { Exit::Ok } else { Exit::LocalConfig };
    if args.json {
        // Schema 2: camelCase keys (`readOnly`), as every other command's; 1 was snake_case.
        print_report(&report, 2, exit)?;
    } else {
        print(&text(&report))?;
    }
    Ok(exit)
}

fn text(report: &Report) -> String {
    let mut out = format!("{}{}\n", report.program, if report.read_only { " (read-only)" } else { "" });
    for check in &report.checks {
        let word = match check.outcome {
            Outcome::Pass => "pass",
            Outcome::Fail => "FAIL",
            Outcome::Skip => "skip",
        };
        let _ = write!(out, "  {word}  {}", check.name);
        if !check.detail.is_empty() {
            let _ = write!(out, ": {}", regauth_core::sanitize::one_line(&check.detail));
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{} passed, {} failed, {} skipped",
        report.count(Outcome::Pass),
        report.count(Outcome::Fail),
        report.count(Outcome::Skip)
    );
    out
}
