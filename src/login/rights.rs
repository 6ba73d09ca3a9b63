//! Per `--repo`: the repository reference, and its pull and push rights read from diagnose's findings.

use crate::diagnose::{Report, Step, Verdict};
use regauth_core::reference::Reference;
use regauth_core::registry::RegistryHost;
use regauth_core::sanitize::one_line;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Right {
    Yes,
    No,
    Unknown,
}

impl Right {
    pub fn text(self) -> &'static str {
        match self {
            Right::Yes => "yes",
            Right::No => "NO",
            Right::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoRights {
    pub repository: String,
    pub reference: String,
    pub pull: Right,
    pub push: Right,
    pub verdict: Verdict,
    pub reason: Option<String>,
    pub fix: Option<String>,
}

/// `REPO[:TAG|@DIGEST]` on `host` (a leading `host/` is accepted) as an image reference; the error names
/// the argument.
pub fn repository_reference(host: &RegistryHost, repo: &str) -> Result<Reference, String> {
    let trimmed = repo.trim();
    let name = trimmed.strip_prefix(&format!("{}/", host.as_str())).unwrap_or(trimmed);
    let reference = Reference::parse(&format!("{}/{name}", host.as_str()))
        .map_err(|e| format!("--repo {}: {e}", one_line(repo)))?;
    if reference.registry != host.as_str() {
        return Err(format!("--repo {}: not a repository on {}", one_line(repo), host.as_str()));
    }
    Ok(reference)
}

/// Pull and push rights from a diagnosis: a missing tag still proves pull (push is probed only when the
/// repository was seen).
pub fn rights(report: &Report) -> RepoRights {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_references_table() {
        let host = RegistryHost::parse("ghcr.io").unwrap();
        #[rustfmt::skip]
        let cases: [(&str, Result<&str, &str>); 5] = [
            ("me/app", Ok("ghcr.io/me/app:latest")),
            ("ghcr.io/me/app:v1", Ok("ghcr.io/me/app:v1")),
            (" me/app ", Ok("ghcr.io/me/app:latest")),
            ("quay.io/me/app", Ok("ghcr.io/quay.io/me/app:latest")),
            ("Me/App", Err("--repo Me/App: ")),
        ];
        for (repo, want) in cases {
            match (repository_reference(&host, repo), want) {
                (Ok(r), Ok(w)) => assert_eq!(r.to_string(), w, "{repo}"),
                (Err(e), Err(w)) => assert!(e.starts_with(w), "{repo}: {e}"),
                (got, _) => panic!("{repo}: {got:?}"),
            }
        }
    }
}
