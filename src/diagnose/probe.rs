//! The driver: runs the steps of registry-auth.md's probe sequence, which changes no repository, and builds
//! the report from their outcomes. Anonymous HEAD of the manifest (learn the challenge) -> pull token ->
//! HEAD with the token -> (push) push token -> open an upload session -> cancel it. Pull takes 3 requests,
//! push at most 6; the credential lookup (which may run a slow helper) runs while the first request is in
//! flight. Each step takes what it needs and returns its outcome; nothing is shared between diagnoses but
//! the observer the caller passes.

use super::authenticate::{self, Authentication, Next};
use super::context::{Context, Observer};
use super::credential::{look_up, CredentialOutcome, Lookup};
use super::pull::{self, Pull};
use super::push::{self, Push};
use super::reachability::{self, Contact};
use super::registries::{self, Problem, RegistryType};
use super::report::{Finding, RegistryInfo, Report, Step, Verdict, SCHEMA_VERSION};
use crate::http::transport::{Failure, TlsOptions, Transport, TransportError};
use regauth_core::reference::Reference;
use std::sync::Arc;

pub struct Input {
    pub reference: Reference,
    pub lookup: Lookup,
    pub push: bool,
    /// Override the registry recognised from host and realm.
    pub registry_type: Option<RegistryType>,
    pub tls: TlsOptions,
    pub observer: Arc<dyn Observer>,
}

/// Fails only when the HTTP client cannot be set up: an unreadable or malformed CA file.
pub async fn run(input: Input) -> Result<Report, TransportError> {
    let transport = Transport::new(&input.tls)?;
    let Input { reference, lookup, push, registry_type, tls, observer } = input;
    let host = reference.registry.clone();
    observer.step(&format!("reaching {host}"));
    let origin = lookup.origin();
    let lookup_task = {
        let reference = reference.clone();
        tokio::task::spawn_blocking(move || look_up(&reference, lookup))
    };
    let contact = reachability::first_contact(&transport, &reference, tls.insecure).await;
    let credential = match lookup_task.await {
        Ok(found) => CredentialOutcome::from_found(found),
        Err(e) => CredentialOutcome::failed(origin, e.to_string()),
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
        Err(failure) => {
            let credential_finding = credential.finding(None);
            (vec![credential_finding, reachability::unreachable(&registry.host, &failure)], Vec::new())
        }
        Ok(contact) => {
            learn_challenge(&mut registry, &contact, registry_type);
            registry.url = Some(contact.base.clone());
            let ctx = Context {
                transport: &transport,
                observer: observer.as_ref(),
                reference: &reference,
                push,
                host: &registry.host,
                base: &contact.base,
                kind: registry.kind,
                realm: registry.realm.as_deref(),
                service: registry.service.as_deref(),
                credential: credential.credential.as_ref(),
            };
            let reached = reachability::reached(&contact.base, contact.reply.index, &tls);
            let access = access(&ctx, contact.reply).await;
            let steps = access.findings(&ctx, &credential, reached);
            (steps, access.warnings)
        }
    };
    Ok(report(&reference, push, registry, credential, steps, warnings, &transport))
}

/// A 401 with a Bearer challenge names the token service, which may also tell which registry this is.
fn learn_challenge(registry: &mut RegistryInfo, contact: &Contact, registry_type: Option<RegistryType>) {
    let reply = &contact.reply;
    let Some(bearer) = reply.challenges.iter().find(|c| c.is_bearer()).filter(|_| reply.status == 401) else {
        return;
    };
    registry.realm = bearer.param("realm").map(str::to_owned);
    registry.service = bearer.param("service").map(str::to_owned);
    if registry_type.is_none() {
        registry.kind = registries::detect(&registry.host, registry.realm.as_deref());
    }
}

/// The outcomes of the steps after first contact.
struct Access {
    authentication: Authentication,
    pull: Option<Pull>,
    push: Option<Push>,
    warnings: Vec<String>,
}

/// Authentication, then pull, then (when pull proved the repository exists) push.
async fn access(ctx: &Context<'_>, first: crate::http::transport::Reply) -> Access {
    let authenticated = authenticate::step(ctx, first).await;
    let (pull, session) = match authenticated.next {
        Next::Head { session, claims } => {
            (Some(pull::step(ctx, &session, claims.as_ref(), None).await), Some(session))
        }
        Next::Judge { reply, session } => {
            (Some(pull::step(ctx, &session, None, Some(reply)).await), Some(session))
        }
        Next::Decided(pull) => (pull, None),
    };
    let push = match (&pull, session) {
        (Some(p), Some(session)) if p.leads_to_push() => Some(push::step(ctx, session).await),
        _ => None,
    };
    Access { authentication: authenticated.outcome, pull, push, warnings: authenticated.warnings }
}

impl Access {
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
            .or_else(|| self.authentication.finding(ctx));
        let pull = self.pull.as_ref().and_then(|p| p.finding(ctx));
        let push = self.push.as_ref().and_then(|p| p.finding(ctx));
        [Some(credential.finding(login_fix)), Some(reachability), authentication, pull, push]
            .into_iter()
            .flatten()
            .collect()
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
    for step in Step::ALL {
        if !steps.iter().any(|f| f.step == step) {
            let why = if step == Step::Push && !push {
                "not asked (use --push)"
            } else {
                "not reached: an earlier step failed"
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
