//! `regauth audit --online`: what each stored credential can still do, asked of its registry. For every
//! credential whose secret the inventory could read, the authentication step of diagnose and, per
//! repository that matters (`--repo`), whether it may pull and push: at most 3 requests per credential and
//! repository, nothing written (push is read from the token's grant, not tried). Each registry is reached
//! once for its challenge and, per repository, once anonymously (does it need a credential at all?).
//!
//! Bounded and polite: a limit of requests in flight overall and per registry, a deadline for the run and
//! one per credential, and a registry that answers 429 is asked nothing more (the rest of its credentials
//! are reported as not checked). No server text is kept: results are our own words and status codes, so
//! nothing a server echoes can carry a secret into the report.

mod probe;
pub mod rules;

use super::sources::Stored;
use super::token_kind::TokenKind;
use crate::http::transport::{TlsOptions, Transport};
use regauth_core::reference::Reference;
use regauth_core::registry::RegistryHost;
use regauth_core::secret::Secret;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// How the online checks run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The repositories that matter (each names its registry); a credential is checked on those of its own.
    pub repos: Vec<Reference>,
    pub certs_dirs: Vec<std::path::PathBuf>,
    pub ca_files: Vec<std::path::PathBuf>,
    pub insecure: bool,
    /// Checks in flight at once, overall and per registry.
    pub concurrency: usize,
    pub per_registry: usize,
    /// The whole run, and one credential.
    pub deadline: Duration,
    pub per_credential: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            repos: Vec::new(),
            certs_dirs: Vec::new(),
            ca_files: Vec::new(),
            insecure: false,
            concurrency: 32,
            per_registry: 16,
            deadline: Duration::from_secs(120),
            per_credential: Duration::from_secs(20),
        }
    }
}

/// What a credential may do on one repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Right {
    Yes,
    No,
    /// The registry could not say without writing (an opaque token's push, Basic registries' push).
    Unknown,
    /// The repository or tag does not exist.
    Missing,
}

/// The outcome of one credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Accepted,
    /// The registry or its token service refused the credential (wrong, expired or revoked).
    Rejected,
    /// Not checked: the registry asked for nothing, or rate limited, or could not be reached, or no time.
    NoLogin,
    RateLimited,
    Unreachable,
    TimedOut,
    /// The secret was not readable here (a helper's entry it would not give, a broken entry).
    NoSecret,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryCheck {
    pub repository: String,
    pub pull: Right,
    pub push: Right,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialCheck {
    /// Index into the report's `credentials`.
    pub credential: usize,
    pub location: String,
    pub registry: String,
    pub username: Option<String>,
    pub status: Status,
    /// One sentence in regauth's words (never a server's text).
    pub detail: String,
    pub repositories: Vec<RepositoryCheck>,
    /// Requests this credential's checks sent.
    pub requests: usize,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryCheck {
    pub registry: String,
    /// Which registry this is, from its host and token realm (what the account-password rule reads).
    #[serde(rename = "type")]
    pub kind: crate::diagnose::RegistryType,
    /// `bearer`, `basic`, `none` (asks no login) or `unreachable`.
    pub auth: &'static str,
    pub rate_limited: bool,
    /// Docker Hub's `ratelimit-remaining`, when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit_remaining: Option<String>,
    /// Repositories anyone may pull without a credential.
    pub anonymous_pull: Vec<String>,
    pub requests: usize,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Online {
    pub checked: usize,
    pub requests: usize,
    pub duration_ms: u64,
    /// The run's deadline ran out before every credential was checked.
    pub timed_out: bool,
    pub registries: Vec<RegistryCheck>,
    pub credentials: Vec<CredentialCheck>,
}

/// One credential to check, with its secret.
pub(super) struct Candidate {
    pub(super) index: usize,
    pub(super) username: String,
    pub(super) secret: Secret,
    pub(super) identity_token: bool,
    /// The repositories to check: the credential's own (a pull secret's images), else `--repo`'s.
    pub(super) repos: Vec<Reference>,
}

/// Run the checks over `report`'s credentials, drop every secret the inventory kept, and add their findings
/// (`expires_within`: seconds, for credential-expires-soon), the new summary and the online section.
pub fn apply(
    report: &mut super::Report,
    opts: &Options,
    now: i64,
    expires_within: i64,
    progress: &(dyn Fn(usize, usize) + Sync),
) {
    let checked = check(&report.credentials, opts, progress);
    for credential in &mut report.credentials {
        credential.secret = None;
    }
    report.findings.extend(rules::judge(&report.credentials, &checked, now, expires_within));
    report.findings.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.location.cmp(&b.location)));
    report.summary = super::summary::Summary::of(&report.credentials, &report.findings);
    report.online = Some(checked);
}

/// Check every credential of `stored` that has its secret; `progress(done, total)` after each.
pub fn check(stored: &[Stored], opts: &Options, progress: &(dyn Fn(usize, usize) + Sync)) -> Online {
    let started = Instant::now();
    let mut results = Vec::new();
    let mut by_registry: BTreeMap<String, Vec<Candidate>> = BTreeMap::new();
    for (index, s) in stored.iter().enumerate() {
        let Some(host) = RegistryHost::parse(&s.registry).ok().filter(|_| !s.registry.is_empty()) else {
            continue;
        };
        match (&s.secret, &s.username) {
            (Some(secret), Some(username)) => {
                by_registry.entry(host.as_str().to_owned()).or_default().push(Candidate {
                    index,
                    username: username.clone(),
                    secret: secret.clone(),
                    identity_token: s.kind == Some(TokenKind::IdentityToken),
                    repos: own_or(&s.repos, &opts.repos, host.as_str()),
                })
            }
            _ => results.push(unchecked(index, s, Status::NoSecret, "the secret could not be read here")),
        }
    }
    let total: usize = by_registry.values().map(Vec::len).sum();
    // One thread: the checks wait on the network, and a join of futures polls them all at once.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            for s in by_registry.values().flatten() {
                let why = format!("the network runtime could not start: {e}");
                results.push(unchecked(s.index, &stored[s.index], Status::Unreachable, &why));
            }
            return finish(results, Vec::new(), started, false);
        }
    };
    let done = Arc::new(AtomicUsize::new(0));
    let overall = Arc::new(Semaphore::new(opts.concurrency.max(1)));
    let deadline = tokio::time::Instant::now() + opts.deadline;
    let outcome = runtime.block_on(async {
        let mut tasks = Vec::new();
        for (registry, candidates) in by_registry {
            let (opts, overall, done) = (opts.clone(), overall.clone(), done.clone());
            // Anonymous pulls are checked for every repository a candidate of this registry is checked for.
            let mut repos: Vec<Reference> = Vec::new();
            for repo in candidates.iter().flat_map(|c| &c.repos) {
                if !repos.contains(repo) {
                    repos.push(repo.clone());
                }
            }
            tasks.push(async move {
                let tls = match crate::http::tls::ca_files(&registry, &opts.certs_dirs, &opts.ca_files) {
                    Ok(ca_files) => TlsOptions { ca_files, insecure: opts.insecure },
                    Err(_) => TlsOptions { ca_files: Vec::new(), insecure: opts.insecure },
                };
                let transport = Transport::new(&tls);
                let limits = probe::Limits {
                    overall,
                    per_registry: Arc::new(Semaphore::new(opts.per_registry.max(1))),
                };
                probe::registry(
                    transport.ok(),
                    &registry,
                    candidates,
                    &repos,
                    &limits,
                    &opts,
                    &done,
                    total,
                    progress,
                )
                .await
            });
        }
        tokio::time::timeout_at(deadline, futures_util::future::join_all(tasks)).await
    });
    runtime.shutdown_background();
    let timed_out = outcome.is_err();
    let mut registries = Vec::new();
    match outcome {
        Ok(all) => {
            for (registry, checks) in all {
                registries.push(registry);
                results.extend(checks);
            }
        }
        Err(_) => {
            // Whatever did not finish is reported as timed out, by the candidates' indexes.
        }
    }
    for r in &mut results {
        r.location = stored[r.credential].location.clone();
    }
    let seen: std::collections::BTreeSet<usize> = results.iter().map(|r| r.credential).collect();
    for (index, s) in stored.iter().enumerate() {
        if s.secret.is_some() && !seen.contains(&index) && RegistryHost::parse(&s.registry).is_ok() {
            results.push(unchecked(index, s, Status::TimedOut, "the run's deadline ran out first"));
        }
    }
    finish(results, registries, started, timed_out)
}

/// `own` when the credential has repositories of its own, else those of `all` on `registry`.
fn own_or(own: &[Reference], all: &[Reference], registry: &str) -> Vec<Reference> {
    let own: Vec<Reference> = own.iter().filter(|r| r.registry == registry).cloned().collect();
    if own.is_empty() {
        all.iter().filter(|r| r.registry == registry).cloned().collect()
    } else {
        own
    }
}

fn unchecked(index: usize, s: &Stored, status: Status, why: &str) -> CredentialCheck {
    CredentialCheck {
        credential: index,
        location: s.location.clone(),
        registry: s.registry.clone(),
        username: s.username.clone(),
        status,
        detail: why.to_owned(),
        repositories: Vec::new(),
        requests: 0,
    }
}

fn finish(
    mut credentials: Vec<CredentialCheck>,
    registries: Vec<RegistryCheck>,
    started: Instant,
    timed_out: bool,
) -> Online {
    credentials.sort_by_key(|c| c.credential);
    let requests = credentials.iter().map(|c| c.requests).sum::<usize>()
        + registries.iter().map(|r| r.requests).sum::<usize>();
    Online {
        checked: credentials
            .iter()
            .filter(|c| matches!(c.status, Status::Accepted | Status::Rejected))
            .count(),
        requests,
        duration_ms: started.elapsed().as_millis() as u64,
        timed_out,
        registries,
        credentials,
    }
}

/// Count one finished credential and report progress.
pub(super) fn tick(done: &AtomicUsize, total: usize, progress: &(dyn Fn(usize, usize) + Sync)) {
    let n = done.fetch_add(1, Ordering::Relaxed) + 1;
    progress(n, total);
}
