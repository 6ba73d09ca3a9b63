//! `regauth audit --online`: its options, running the checks with progress on a terminal, and its part of
//! the report (text and JSON). The checks and rules live in `audit::online`.

use super::output::{self, UsageError};
use super::registry_args::TrustArgs;
use crate::audit;
use crate::audit::online::{self, Online, Right, Status};
use regauth_core::reference::Reference;
use regauth_core::sanitize::one_line;
use std::io::IsTerminal;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct OnlineArgs {
    /// Ask each credential's registry what it can still do (uses the network; nothing is written): is it
    /// accepted, and per --repo may it pull and push. Adds the findings credential-rejected,
    /// credential-expires-soon, pull-secret-may-push, account-password and credential-not-needed.
    #[arg(long, conflicts_with = "find_secret_stdin")]
    pub online: bool,

    /// A repository that matters (REGISTRY/REPO[:TAG]), checked for pull and push with every credential of
    /// its registry. Repeatable. With --kube, a pull secret is checked for the images of the workloads that
    /// use it instead.
    #[arg(long = "repo", value_name = "IMAGE", requires = "online")]
    pub repos: Vec<String>,

    /// credential-expires-soon: a credential that expires within this many days (default 14).
    #[arg(long, value_name = "DAYS", default_value = "14", value_parser = clap::value_parser!(u32).range(0..=3650))]
    pub expires_within: u32,

    /// Seconds the online checks may take in all (0.001 to 86400); what is not checked by then is reported
    /// as timed out.
    #[arg(long, value_name = "SECONDS", default_value = "120", value_parser = super::seconds::timeout)]
    pub online_timeout: Duration,

    #[command(flatten)]
    pub trust: TrustArgs,
}

impl OnlineArgs {
    fn options(&self) -> anyhow::Result<online::Options> {
        let repos = self
            .repos
            .iter()
            .map(|r| Reference::parse(r).map_err(|e| UsageError(format!("--repo {}: {e}", one_line(r)))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(online::Options {
            repos,
            certs_dirs: self.trust.certs_dirs(),
            ca_files: self.trust.ca_file.clone(),
            insecure: self.trust.insecure,
            deadline: self.online_timeout,
            ..online::Options::default()
        })
    }
}

/// Run the online checks (`audit::online::apply`) with progress on a terminal.
pub(super) fn apply(
    report: &mut audit::Report,
    args: &OnlineArgs,
    now: i64,
    show_progress: bool,
) -> anyhow::Result<()> {
    let opts = args.options()?;
    let terminal = show_progress && std::io::stderr().is_terminal();
    let progress = move |done: usize, total: usize| {
        if terminal {
            output::progress(Some(&format!("checking credentials online: {done}/{total}")));
        }
    };
    online::apply(report, &opts, now, i64::from(args.expires_within) * 86_400, &progress);
    if terminal {
        output::progress(None);
    }
    Ok(())
}

/// The online section of the text report.
pub(super) fn render(online: &Online, credentials: &[audit::Stored]) -> String {
    let mut out = format!(
        "\nOnline ({} credentials checked, {} requests, {:.1} s{})\n",
        online.checked,
        online.requests,
        online.duration_ms as f64 / 1000.0,
        if online.timed_out { "; the deadline ran out" } else { "" }
    );
    for r in &online.registries {
        let mut line = format!("  registry {}: {}", one_line(&r.registry), r.auth);
        if r.rate_limited {
            line.push_str(", RATE LIMITED (not asked further)");
        }
        if !r.anonymous_pull.is_empty() {
            line.push_str(&format!(", anonymous pull of {}", r.anonymous_pull.join(", ")));
        }
        out.push_str(&line);
        out.push('\n');
    }
    for c in &online.credentials {
        let place = credentials.get(c.credential).map_or("", |s| s.location.as_str());
        out.push_str(&format!(
            "  {:<12} {} user {} ({}): {}\n",
            status_word(c.status),
            one_line(&c.registry),
            one_line(c.username.as_deref().unwrap_or("-")),
            one_line(place),
            c.detail
        ));
        for r in &c.repositories {
            out.push_str(&format!(
                "               {}: pull {}, push {}\n",
                one_line(&r.repository),
                right_word(r.pull),
                right_word(r.push)
            ));
        }
    }
    out
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Accepted => "accepted",
        Status::Rejected => "REJECTED",
        Status::NoLogin => "no login",
        Status::RateLimited => "rate limited",
        Status::Unreachable => "unreachable",
        Status::TimedOut => "timed out",
        Status::NoSecret => "not read",
    }
}

fn right_word(right: Right) -> &'static str {
    match right {
        Right::Yes => "yes",
        Right::No => "NO",
        Right::Unknown => "unknown",
        Right::Missing => "(not found)",
    }
}
