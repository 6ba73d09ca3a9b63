//! Per `--repo`: the repository reference, and its pull and push rights read from diagnose's findings.

use super::UsageError;
use crate::diagnose::{Report, Step, Verdict};
use regauth_core::reference::Reference;
use regauth_core::registry::RegistryHost;
use regauth_core::sanitize::{for_terminal, one_line};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Right {
    Yes,
    No,
    Unknown,
}

impl Right {
    fn text(self) -> &'static str {
        match self {
            Right::Yes => "yes",
            Right::No => "NO",
            Right::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RepoRights {
    pub(super) repository: String,
    reference: String,
    pub(super) pull: Right,
    pub(super) push: Right,
    verdict: Verdict,
    reason: Option<String>,
    fix: Option<String>,
}

/// `REPO[:TAG|@DIGEST]` on `host` (a leading `host/` is accepted) as an image reference.
pub(super) fn repository_reference(host: &RegistryHost, repo: &str) -> Result<Reference, UsageError> {
    let trimmed = repo.trim();
    let name = trimmed.strip_prefix(&format!("{}/", host.as_str())).unwrap_or(trimmed);
    let reference = Reference::parse(&format!("{}/{name}", host.as_str()))
        .map_err(|e| UsageError(format!("--repo {}: {e}", one_line(repo))))?;
    if reference.registry != host.as_str() {
        return Err(UsageError(format!("--repo {}: not a repository on {}", one_line(repo), host.as_str())));
    }
    Ok(reference)
}

/// Pull and push rights from a diagnosis: a missing tag still proves pull (push is probed only when the
/// repository was seen).
pub(super) fn rights(report: &Report) -> RepoRights {
    let step = |s: Step| report.steps.iter().find(|f| f.step == s);
    let push_reached = step(Step::Push).is_some_and(|f| f.verdict != Verdict::Skipped);
    let right = |verdict: Option<Verdict>, missing_ok: bool| match verdict {
        Some(Verdict::Ok) => Right::Yes,
        Some(Verdict::NotFound) if missing_ok => Right::Yes,
        Some(Verdict::AuthorizationDenied) | Some(Verdict::AuthenticationFailed) => Right::No,
        _ => Right::Unknown,
    };
    let failure = report.first_failure();
    let reason = failure.map(|f| {
        let mut text = f.summary.clone();
        if let Some(detail) = f.details.first() {
            text.push_str(". ");
            text.push_str(detail);
        }
        text
    });
    RepoRights {
        repository: report.repository.clone(),
        reference: report.reference.clone(),
        pull: right(step(Step::Pull).map(|f| f.verdict), push_reached),
        push: right(step(Step::Push).map(|f| f.verdict), false),
        verdict: report.verdict,
        reason,
        fix: failure.and_then(|f| f.fix.clone()),
    }
}

pub(super) fn rights_text(r: &RepoRights) -> String {
    let mut out = format!("{}: pull {}, push {}\n", one_line(&r.repository), r.pull.text(), r.push.text());
    if let Some(reason) = &r.reason {
        out.push_str(&format!("  why: {}\n", for_terminal(reason, 600)));
    }
    if let Some(fix) = &r.fix {
        out.push_str(&format!("  fix: {}\n", for_terminal(fix, 600)));
    }
    out
}
