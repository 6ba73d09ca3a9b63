//! The driver: runs the steps of registry-auth.md's probe sequence, which changes no repository, and builds
//! the report from their outcomes. Anonymous HEAD of the manifest (learn the challenge) -> pull token ->
//! HEAD with the token -> (push) push token -> open an upload session -> cancel it. Pull takes 3 requests,
//! push at most 6; the credential lookup (which may run a slow helper) runs while the first request is in
//! flight. Each step takes what it needs and returns its outcome; nothing is shared between diagnoses but
//! the observer the caller passes. The whole diagnosis has one deadline ([`Input::timeout`]): when it runs
//! out, the step in progress is abandoned and its finding says so (verdict network, exit 8).

use super::authenticate::{self, Authentication, Next};
use super::context::{Context, Observer};
use super::credential::{look_up, CredentialOutcome, Lookup};
use super::pull::{self, Pull, PushAfter};
use super::push::{self, Push};
use super::reachability::{self, Contact};
use super::registries::{self, Problem, RegistryType};
use super::report::{Finding, RegistryInfo, Report, Step, Verdict, SCHEMA_VERSION};
use crate::http::transport::{Failure, TlsOptions, Transport, TransportError};
use regauth_core::reference::Reference;
use regauth_core::sanitize::one_line;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{timeout_at, Instant};

pub struct Input {
    pub reference: Reference,
    pub lookup: Lookup,
    pub push: bool,
    /// Override the registry recognised from host and realm.
    pub registry_type: Option<RegistryType>,
    pub tls: TlsOptions,
    pub observer: Arc<dyn Observer>,
    /// The deadline of the whole diagnosis, from its start.
    pub timeout: Duration,
}

/// Fails only when the HTTP client cannot be set up: an unreadable or malformed CA file.
pub async fn run(input: Input) -> Result<Report, TransportError> {
    let transport = Transport::new(&input.tls)?;
    let Input { reference, lookup, push, registry_type, tls, observer, timeout } = input;
    let deadline = Instant::now() + timeout;
    let host = reference.registry.clone();
    observer.step(&format!("reaching {host}"));
    let origin = lookup.origin();
    let lookup_task = {
        let reference = reference.clone();
        tokio::task::spawn_blocking(move || look_up(&reference, lookup))
    };
    let contact =
        timeout_at(deadline, reachability::first_contact(&transport, &reference, tls.insecure)).await;
    let credential = match timeout_at(deadline, lookup_task).await {
        Ok(Ok(found)) => CredentialOutcome::from_found(found),
        Ok(Err(e)) => CredentialOutcome::failed(origin, e.to_string()),
        Err(_) => CredentialOutcome::failed(
            origin,
            format!("the credential lookup did not finish before the {} deadline", seconds(timeout)),
        ),
    };
    if let Some(c) = &credential.credential {
        transport.redact(&c.secret);
    }
    let mut registry = RegistryInfo {
        kind: registry_type.unwrap_or_else(|| registries::detect(&host, None)),
        host,
        url: None,
        realm: None,
        service: None,
    };
    let (steps, warnings) = match contact {
        Err(_) => {
            let ran_out = out_of_time(&transport, Step::Reachability, timeout);
            (vec![credential.finding(None), ran_out], Vec::new())
        }
        Ok(Err(failure)) => {
            let credential_finding = credential.finding(None);
            (vec![credential_finding, reachability::unreachable(&registry.host, &failure)], Vec::new())
        }
        Ok(Ok(contact)) => {
            let challenge = learn_challenge(&mut registry, &contact, registry_type);
            registry.url = Some(contact.base.clone());
            let ctx = Context {
                transport: &transport,
                observer: observer.as_ref(),
                reference: &reference,
                push,
                host: &registry.host,
                base: &contact.base,
                kind: registry.kind,
                realm: challenge.realm.as_deref(),
                service: challenge.service.as_deref(),
                credential: credential.credential.as_ref(),
            };
            let reached = reachability::reached(&contact.base, contact.reply.index, &tls);
            let mut access = Access::default();
            if timeout_at(deadline, access.steps(&ctx, contact.reply)).await.is_err() {
                access.ran_out = Some(out_of_time(&transport, access.at, timeout));
            }
            let steps = access.findings(&ctx, &credential, reached);
            (steps, access.warnings)
        }
    };
    Ok(report(&reference, push, registry, credential, steps, warnings, &transport))
}

/// `30 s`, `2.5 s`.
fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// The finding of `step` when the deadline ran out during it; the requests still waiting are its evidence.
fn out_of_time(transport: &Transport, step: Step, timeout: Duration) -> Finding {
    let pending = transport.abandon_pending("no answer before the deadline");
    let finding = Finding::new(
        step,
        Verdict::Network,
        format!("timed out: the {} deadline ran out during the {} step", seconds(timeout), step.name()),
    )
    .detail(if pending.is_empty() {
        "every request had its answer: the time went on waiting between them".to_owned()
    } else {
        "a server accepted the request but did not finish answering in time".to_owned()
    })
    .fix(
        "Check that the registry and its token service answer (a server that accepts connections and then \
         stalls, or sends very slowly), and any proxy; --timeout SECONDS allows more time.",
    );
    pending.into_iter().fold(finding, |f, i| f.evidence(Some(i)))
}

/// The Bearer challenge's token service, as sent (what requests use); the report keeps it made safe.
#[derive(Default)]
struct TokenService {
    realm: Option<String>,
    service: Option<String>,
}

/// A 401 with a Bearer challenge names the token service, which may also tell which registry this is.
fn learn_challenge(
    registry: &mut RegistryInfo,
    contact: &Contact,
    registry_type: Option<RegistryType>,
) -> TokenService {
    let reply = &contact.reply;
    let Some(bearer) = reply.challenges.iter().find(|c| c.is_bearer()).filter(|_| reply.status == 401) else {
        return TokenService::default();
    };
    let found = TokenService {
        realm: bearer.param("realm").map(str::to_owned),
        service: bearer.param("service").map(str::to_owned),
    };
    registry.realm = found.realm.as_deref().map(one_line);
    registry.service = found.service.as_deref().map(one_line);
    if registry_type.is_none() {
        registry.kind = registries::detect(&registry.host, found.realm.as_deref());
    }
    found
}

/// The outcomes of the steps after first contact, filled in as they finish: when the deadline runs out,
/// the steps that finished keep their outcome and `at` names the one that did not.
struct Access {
    authentication: Option<Authentication>,
    pull: Option<Pull>,
    push: Option<Push>,
    warnings: Vec<String>,
    /// The step in progress.
    at: Step,
    /// The finding of the step the deadline cut.
    ran_out: Option<Finding>,
}

impl Default for Access {
    fn default() -> Access {
        Access {
            authentication: None,
            pull: None,
            push: None,
            warnings: Vec::new(),
            at: Step::Authentication,
            ran_out: None,
        }
    }
}

impl Access {
    /// Authentication, then pull, then push (for an existing repository, or one a push would create).
    async fn steps(&mut self, ctx: &Context<'_>, first: crate::http::transport::Reply) {
        self.at = Step::Authentication;
        let authenticated = authenticate::step(ctx, first).await;
        self.warnings = authenticated.warnings;
        self.authentication = Some(authenticated.outcome);
        self.at = Step::Pull;
        let session = match authenticated.next {
            Next::Head { session, claims } => {
                self.pull = Some(pull::step(ctx, &session, claims.as_ref(), None).await);
                Some(session)
            }
            Next::Judge { reply, session } => {
                self.pull = Some(pull::step(ctx, &session, None, Some(reply)).await);
                Some(session)
            }
            Next::Decided(pull) => {
                self.pull = pull;
                None
            }
        };
        self.at = Step::Push;
        if let (Some(p), Some(session)) = (&self.pull, session) {
            match p.push_after(ctx) {
                PushAfter::Existing => self.push = Some(push::step(ctx, session, false).await),
                PushAfter::NewRepository => self.push = Some(push::step(ctx, session, true).await),
                PushAfter::No => {}
            }
        }
    }

    fn unreachable(&self) -> Option<&Failure> {
        match (&self.pull, &self.push) {
            (_, Some(Push::Unreachable(f))) | (Some(Pull::Unreachable(f)), _) => Some(f),
            _ => None,
        }
    }

    fn needs_login(&self, ctx: &Context<'_>) -> bool {
        self.pull.as_ref().is_some_and(|p| p.needs_login(ctx))
            || self.push.as_ref().is_some_and(Push::needs_login)
    }

    /// One finding per step that was reached, in step order.
    fn findings(&self, ctx: &Context<'_>, credential: &CredentialOutcome, reached: Finding) -> Vec<Finding> {
        let login_fix = self.needs_login(ctx).then(|| ctx.fix(Problem::NoCredential));
        let reachability = match self.unreachable() {
            Some(failure) => reachability::unreachable(ctx.host, failure),
            None => reached,
        };
        let authentication = self
            .pull
            .as_ref()
            .and_then(|p| p.authentication_finding(ctx))
            .or_else(|| self.authentication.as_ref().and_then(|a| a.finding(ctx)));
        let pull = self.pull.as_ref().and_then(|p| p.finding(ctx, self.push.as_ref()));
        let push = self.push.as_ref().and_then(|p| p.finding(ctx));
        let mut findings: Vec<Finding> =
            [Some(credential.finding(login_fix)), Some(reachability), authentication, pull, push]
                .into_iter()
                .flatten()
                .collect();
        if let Some(ran_out) = &self.ran_out {
            findings.retain(|f| f.step != ran_out.step);
            findings.push(ran_out.clone());
        }
        findings
    }
}

/// Why `step` has no finding of its own: a step before it failed, or a later step's request stopped
/// before this one could be decided (a rate limit on the pull token request leaves authentication open:
/// the token service never looked at the credential).
fn skipped_because(step: Step, first_failure: Option<(Step, Verdict)>) -> String {
    match first_failure {
        Some((failed, Verdict::RateLimited)) if failed > step => format!(
            "not decided: rate limited at the {} step, before the credential was checked",
            failed.name()
        ),
        Some((failed, verdict)) if failed > step => {
            format!("not decided: the {} step stopped first ({})", failed.name(), verdict.label())
        }
        Some((failed, _)) => format!("not reached: the {} step failed", failed.name()),
        None => "not reached".to_owned(),
    }
}

fn report(
    reference: &Reference,
    push: bool,
    registry: RegistryInfo,
    credential: CredentialOutcome,
    mut steps: Vec<Finding>,
    warnings: Vec<String>,
    transport: &Transport,
) -> Report {
    let first_failure =
        steps.iter().filter(|f| f.verdict.is_failure()).min_by_key(|f| f.step).map(|f| (f.step, f.verdict));
    for step in Step::ALL {
        if !steps.iter().any(|f| f.step == step) {
            let why = if step == Step::Push && !push {
                "not asked (use --push)".to_owned()
            } else {
                skipped_because(step, first_failure)
            };
            steps.push(Finding::new(step, Verdict::Skipped, why));
        }
    }
    steps.sort_by_key(|f| f.step);
    let verdict = steps.iter().map(|f| f.verdict).find(|v| v.is_failure()).unwrap_or(Verdict::Ok);
    Report {
        schema_version: SCHEMA_VERSION,
        image: reference.to_string(),
        registry,
        repository: reference.repository.clone(),
        reference: reference.manifest_reference().to_owned(),
        push,
        credential: credential.info,
        steps,
        verdict,
        exit_code: verdict.exit().code(),
        warnings,
        requests: transport.requests(),
        exchanges: transport.exchanges(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skipped_step_says_which_step_decided() {
        let rate_limited = Some((Step::Pull, Verdict::RateLimited));
        let why = skipped_because(Step::Authentication, rate_limited);
        assert!(!why.contains("earlier step failed"), "{why}");
        assert_eq!(why, "not decided: rate limited at the pull step, before the credential was checked");
        assert_eq!(skipped_because(Step::Push, rate_limited), "not reached: the pull step failed");
        assert_eq!(
            skipped_because(Step::Pull, Some((Step::Authentication, Verdict::AuthenticationFailed))),
            "not reached: the authentication step failed"
        );
    }
}
