//! The probe sequence of registry-auth.md, which changes no repository:
//! anonymous HEAD of the manifest (learn the challenge) -> pull token -> HEAD with the token ->
//! (push) push token -> open an upload session -> cancel it. Pull takes 3 requests, push at most 6; the
//! credential lookup (which may run a slow helper) runs while the first request is in flight.

use super::credential::look_up;
use super::hosts::{api_host, is_loopback};
use super::registries::{self, Problem, RegistryType};
use super::report::{CredentialInfo, Finding, RegistryInfo, Report, Step, Verdict, SCHEMA_VERSION};
use crate::http::challenge::Challenge;
use crate::http::jwt::Claims;
use crate::http::transport::{Auth, Failure, Reply, Request, TlsOptions, Transport};
use crate::resolve::{self, Credential};
use regauth_core::environ::Environ;
use regauth_core::reference::Reference;
use regauth_core::registry::Client;
use regauth_core::secret::Secret;
use reqwest::Method;
use std::sync::Arc;

/// Every manifest media type: an OCI manifest asked for without the OCI type answers 404.
pub(super) const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

/// Where the credential comes from.
pub enum Lookup {
    /// No credential (`--anonymous`).
    Anonymous,
    /// Given on stdin.
    Explicit(Credential),
    /// What this client would send, found by [`resolve::resolve`].
    Client { client: Client, env: Environ, options: resolve::Options },
}

/// Told about progress and warnings as they happen (the CLI shows them on stderr).
pub trait Observer: Send + Sync {
    fn step(&self, what: &str);
    fn warn(&self, text: &str);
}

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
pub async fn run(input: Input) -> anyhow::Result<Report> {
    let transport = Transport::new(&input.tls)?;
    let mut probe = Probe::new(input, transport);
    probe.run().await;
    Ok(probe.finish())
}

/// How requests to the registry authenticate once the challenge is known.
pub(super) enum Session {
    None,
    Basic,
    Bearer(Secret),
}

pub(super) struct Probe {
    pub(super) input: Input,
    pub(super) transport: Transport,
    pub(super) registry: RegistryInfo,
    pub(super) credential: Option<Credential>,
    pub(super) cred_info: CredentialInfo,
    /// The lookup found nothing (not `--anonymous`): a refusal means "log in first".
    pub(super) cred_missing: bool,
    pub(super) needs_credential: bool,
    pub(super) steps: Vec<Finding>,
    pub(super) warnings: Vec<String>,
    pub(super) claims: Option<Claims>,
}

impl Probe {
    pub(super) fn new(input: Input, transport: Transport) -> Probe {
        let host = input.reference.registry.clone();
        let kind = input.registry_type.unwrap_or_else(|| registries::detect(&host, None));
        Probe {
            registry: RegistryInfo { host, url: None, kind, realm: None, service: None },
            input,
            transport,
            credential: None,
            cred_info: CredentialInfo::default(),
            cred_missing: false,
            needs_credential: false,
            steps: Vec::new(),
            warnings: Vec::new(),
            claims: None,
        }
    }

    pub(super) fn set(&mut self, finding: Finding) {
        self.steps.retain(|f| f.step != finding.step);
        self.steps.push(finding);
    }

    pub(super) fn has(&self, step: Step) -> bool {
        self.steps.iter().any(|f| f.step == step)
    }

    pub(super) fn fix(&self, problem: Problem) -> String {
        let repository = &self.input.reference.repository;
        let mut fix = registries::fix(self.registry.kind, problem, &self.registry.host, repository);
        let username = self.cred_info.username.as_deref().unwrap_or_default();
        if let Some(hint) = registries::namespace_hint(self.registry.kind, problem, username, repository) {
            fix.push(' ');
            fix.push_str(&hint);
        }
        fix
    }

    pub(super) fn warn(&mut self, text: String) {
        self.input.observer.warn(&text);
        self.warnings.push(text);
    }

    pub(super) fn repository(&self) -> &str {
        &self.input.reference.repository
    }

    pub(super) fn base(&self) -> &str {
        self.registry.url.as_deref().unwrap_or_default()
    }

    pub(super) async fn run(&mut self) {
        self.input.observer.step(&format!("reaching {}", self.registry.host));
        let lookup = std::mem::replace(&mut self.input.lookup, Lookup::Anonymous);
        let reference = self.input.reference.clone();
        let lookup_task = tokio::task::spawn_blocking(move || look_up(&reference, lookup));
        let contact = self.first_contact().await;
        match lookup_task.await {
            Ok(found) => self.apply_lookup(found),
            Err(e) => self.set(Finding::new(
                Step::Credential,
                Verdict::LocalConfig,
                format!("credential lookup failed: {e}"),
            )),
        }
        match contact {
            Ok(reply) => self.after_contact(reply).await,
            Err(failure) => self.unreachable(failure),
        }
    }

    /// HTTPS first; plain http only for loopback or `--insecure`, and only when TLS itself did not apply
    /// (a certificate problem is reported, not worked around).
    pub(super) async fn first_contact(&mut self) -> Result<Reply, Failure> {
        let api = api_host(&self.registry.host);
        let https = format!("https://{api}");
        let plain_allowed = self.input.tls.insecure || is_loopback(&api);
        match self.head_manifest(&https, Auth::None).await {
            Ok(reply) => {
                self.registry.url = Some(https);
                Ok(reply)
            }
            Err(f) if plain_allowed && !f.is_certificate() && !f.is_refused() => {
                let http = format!("http://{api}");
                let reply = self.head_manifest(&http, Auth::None).await?;
                self.registry.url = Some(http);
                Ok(reply)
            }
            Err(f) => Err(f),
        }
    }

    pub(super) fn unreachable(&mut self, failure: Failure) {
        let mut finding = Finding::new(
            Step::Reachability,
            Verdict::Network,
            format!("{} cannot be reached: {}", self.registry.host, failure.cause),
        )
        .evidence(failure.index);
        if failure.is_certificate() && is_loopback(&self.registry.host) {
            finding = finding.detail(
                "docker treats 127.0.0.0/8 as an insecure registry and skips this check; other clients may not",
            );
        }
        finding = if failure.is_certificate() {
            finding.fix(format!(
                "Trust the registry's CA the way docker does: put it in /etc/docker/certs.d/{}/ca.crt (or pass --ca-file FILE); --insecure skips verification.",
                self.registry.host
            ))
        } else if failure.is_refused() {
            finding.fix("Nothing listens there: check the host and port in the image name, and that the registry runs.")
        } else {
            finding.fix("Check DNS, the network path and any proxy (HTTPS_PROXY, NO_PROXY).")
        };
        self.set(finding);
    }

    pub(super) async fn head_manifest(&self, base: &str, auth: Auth<'_>) -> Result<Reply, Failure> {
        let r = &self.input.reference;
        let url = format!("{base}/v2/{}/manifests/{}", r.repository, r.manifest_reference());
        let mut req = Request::new(Method::HEAD, url, auth);
        req.accept = Some(MANIFEST_ACCEPT);
        self.transport.send(req).await
    }

    pub(super) async fn after_contact(&mut self, reply: Reply) {
        let how = if self.base().starts_with("https") {
            if self.input.tls.insecure {
                "https (certificate not verified: --insecure)"
            } else {
                "https, certificate verified"
            }
        } else {
            "plain http"
        };
        let mut reach =
            Finding::new(Step::Reachability, Verdict::Ok, format!("{} answers over {how}", self.base()))
                .evidence(Some(reply.index));
        if !self.input.tls.ca_files.is_empty() {
            reach = reach.detail(format!(
                "extra CA files: {}",
                self.input
                    .tls
                    .ca_files
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        self.set(reach);
        let bearer = reply.challenges.iter().find(|c| c.is_bearer()).cloned();
        let basic = reply.challenges.iter().any(Challenge::is_basic);
        match (reply.status, bearer) {
            (401, Some(challenge)) => self.bearer(challenge).await,
            (401, None) if basic => self.basic(reply.index).await,
            (401, None) => self.set(
                Finding::new(
                    Step::Authentication,
                    Verdict::AuthenticationFailed,
                    "the registry asks for authentication without a Basic or Bearer challenge",
                )
                .evidence(Some(reply.index)),
            ),
            (429, _) => {
                let summary = "not reached: the registry is rate limiting";
                self.set(Finding::new(Step::Authentication, Verdict::Skipped, summary));
                self.judge_manifest(reply, Session::None).await;
            }
            _ => {
                self.set(
                    Finding::new(
                        Step::Authentication,
                        Verdict::Skipped,
                        "not asked: the registry answered without authentication",
                    )
                    .evidence(Some(reply.index)),
                );
                self.judge_manifest(reply, Session::None).await;
            }
        }
    }

    pub(super) fn auth_of<'a>(&'a self, session: &'a Session) -> Auth<'a> {
        match (session, &self.credential) {
            (Session::Bearer(token), _) => Auth::Bearer(token),
            (Session::Basic, Some(c)) => Auth::Basic(&c.username, &c.secret),
            _ => Auth::None,
        }
    }

    pub(super) fn finish(mut self) -> Report {
        if self.needs_credential && self.cred_missing {
            let fix = self.fix(Problem::NoCredential);
            if let Some(f) = self.steps.iter_mut().find(|f| f.step == Step::Credential) {
                f.verdict = Verdict::LocalConfig;
                f.summary = format!(
                    "{}; the registry needs one",
                    f.summary.trim_end_matches(": probing anonymously")
                );
                f.fix = Some(fix);
            }
        }
        for step in Step::ALL {
            if !self.has(step) {
                let why = if step == Step::Push && !self.input.push {
                    "not asked (use --push)"
                } else {
                    "not reached: an earlier step failed"
                };
                self.steps.push(Finding::new(step, Verdict::Skipped, why));
            }
        }
        self.steps.sort_by_key(|f| f.step);
        let verdict = self.steps.iter().map(|f| f.verdict).find(|v| v.is_failure()).unwrap_or(Verdict::Ok);
        let r = &self.input.reference;
        Report {
            schema_version: SCHEMA_VERSION,
            image: r.to_string(),
            registry: self.registry,
            repository: r.repository.clone(),
            reference: r.manifest_reference().to_owned(),
            push: self.input.push,
            credential: self.cred_info,
            steps: self.steps,
            verdict,
            exit_code: verdict.exit().code(),
            warnings: self.warnings,
            requests: self.transport.requests(),
            exchanges: self.transport.exchanges(),
        }
    }
}

pub(super) fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}
