//! The probe sequence of registry-auth.md, which changes no repository:
//! anonymous HEAD of the manifest (learn the challenge) -> pull token -> HEAD with the token ->
//! (push) push token -> open an upload session -> cancel it. Pull takes 3 requests, push at most 6; the
//! credential lookup (which may run a slow helper) runs while the first request is in flight.

use super::classify::{self, Class};
use super::registries::{self, Problem, RegistryType};
use super::report::{CredentialInfo, Finding, RegistryInfo, Report, Step, Verdict, SCHEMA_VERSION};
use crate::environ::Environ;
use crate::http::challenge::{Challenge, Scope};
use crate::http::fetch::{self, Login, TokenOutcome};
use crate::http::jwt::Claims;
use crate::http::transport::{Auth, Failure, Reply, Request, TlsOptions, Transport};
use crate::reference::Reference;
use crate::registry::Client;
use crate::resolve::{self, Credential, CredentialKind, Outcome, Resolution};
use crate::sanitize::one_line;
use crate::secret::Secret;
use reqwest::Method;
use std::sync::Arc;

/// Every manifest media type: an OCI manifest asked for without the OCI type answers 404.
const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

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

pub async fn run(input: Input) -> anyhow::Result<Report> {
    let transport = Transport::new(&input.tls)?;
    let mut probe = Probe::new(input, transport);
    probe.run().await;
    Ok(probe.finish())
}

/// How requests to the registry authenticate once the challenge is known.
enum Session {
    None,
    Basic,
    Bearer(Secret),
}

struct Probe {
    input: Input,
    transport: Transport,
    registry: RegistryInfo,
    credential: Option<Credential>,
    cred_info: CredentialInfo,
    /// The lookup found nothing (not `--anonymous`): a refusal means "log in first".
    cred_missing: bool,
    needs_credential: bool,
    steps: Vec<Finding>,
    warnings: Vec<String>,
    claims: Option<Claims>,
}

impl Probe {
    fn new(input: Input, transport: Transport) -> Probe {
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

    fn set(&mut self, finding: Finding) {
        self.steps.retain(|f| f.step != finding.step);
        self.steps.push(finding);
    }

    fn has(&self, step: Step) -> bool {
        self.steps.iter().any(|f| f.step == step)
    }

    fn fix(&self, problem: Problem) -> String {
        registries::fix(self.registry.kind, problem, &self.registry.host, &self.input.reference.repository)
    }

    fn warn(&mut self, text: String) {
        self.input.observer.warn(&text);
        self.warnings.push(text);
    }

    fn repository(&self) -> &str {
        &self.input.reference.repository
    }

    fn base(&self) -> &str {
        self.registry.url.as_deref().unwrap_or_default()
    }

    async fn run(&mut self) {
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
    async fn first_contact(&mut self) -> Result<Reply, Failure> {
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

    fn unreachable(&mut self, failure: Failure) {
        let mut finding = Finding::new(
            Step::Reachability,
            Verdict::Network,
            format!("{} cannot be reached: {}", self.registry.host, failure.cause),
        )
        .evidence(failure.index);
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

    fn apply_lookup(&mut self, found: Found) {
        let finding = match found {
            Found::Anonymous => {
                self.cred_info.origin = "anonymous".into();
                Finding::new(
                    Step::Credential,
                    Verdict::Ok,
                    "none: probing anonymously as asked (--anonymous)",
                )
            }
            Found::Explicit(credential) => {
                self.cred_info.origin = "stdin".into();
                let summary = format!(
                    "given on stdin: username \"{}\" with a {}",
                    one_line(&credential.username),
                    kind_text(credential.kind)
                );
                self.take(credential);
                Finding::new(Step::Credential, Verdict::Ok, summary)
            }
            Found::Client(resolution) => return self.apply_resolution(*resolution),
        };
        self.set(finding);
    }

    fn take(&mut self, credential: Credential) {
        self.transport.redact(&credential.secret);
        self.cred_info.username = Some(credential.username.clone());
        self.cred_info.kind = Some(credential.kind);
        self.credential = Some(credential);
    }

    fn apply_resolution(&mut self, r: Resolution) {
        let client = r.client.name();
        self.cred_info.origin = "client".into();
        self.cred_info.client = Some(client.into());
        self.cred_info.file = r.file.clone();
        self.cred_info.key = r.key.clone();
        self.cred_info.source =
            serde_json::to_value(r.source).ok().and_then(|v| v.as_str().map(str::to_owned));
        let place = format!(
            "{} key \"{}\"",
            r.file.as_ref().map(|f| f.display().to_string()).unwrap_or_else(|| "no config file".into()),
            r.key.as_deref().unwrap_or_default()
        );
        let helper = r.helper.as_ref().map(|h| h.program.clone());
        let mut finding = match (&r.outcome, r.credential.clone()) {
            (Outcome::Found { .. }, Some(credential)) => {
                let via = helper.map(|h| format!(" through {h}")).unwrap_or_default();
                let summary = format!(
                    "{client} would send username \"{}\" with a {} from {place}{via}",
                    one_line(&credential.username),
                    kind_text(credential.kind)
                );
                self.take(credential);
                Finding::new(Step::Credential, Verdict::Ok, summary)
            }
            (Outcome::HelperMissing { message }, _) => Finding::new(Step::Credential, Verdict::LocalConfig, format!("the credential helper is missing: {}", one_line(message)))
                .fix(format!("Install {} or remove it from credsStore/credHelpers in {place}; docker would otherwise go anonymous.", helper.unwrap_or_default())),
            (Outcome::HelperFailed { message } | Outcome::HelperTimedOut { message }, _) => Finding::new(Step::Credential, Verdict::LocalConfig, format!("the credential helper failed: {}", one_line(message)))
                .fix(format!("Run `echo {} | {} get` to see its error; log in again so it stores a fresh credential.", r.key.as_deref().unwrap_or_default(), helper.unwrap_or_default())),
            (Outcome::ConfigError { message }, _) => Finding::new(Step::Credential, Verdict::LocalConfig, format!("the config cannot be used: {}", one_line(message)))
                .fix("Fix the file named above (it must be valid JSON), or pass --config PATH."),
            _ => {
                self.cred_missing = true;
                Finding::new(Step::Credential, Verdict::Ok, format!("{client} has no credential for this registry ({place}): probing anonymously"))
            }
        };
        finding.details.extend(r.notes.iter().map(|n| one_line(n)));
        self.set(finding);
    }

    async fn head_manifest(&self, base: &str, auth: Auth<'_>) -> Result<Reply, Failure> {
        let r = &self.input.reference;
        let url = format!("{base}/v2/{}/manifests/{}", r.repository, r.manifest_reference());
        let mut req = Request::new(Method::HEAD, url, auth);
        req.accept = Some(MANIFEST_ACCEPT);
        self.transport.send(req).await
    }

    async fn after_contact(&mut self, reply: Reply) {
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
            (401, None) if basic => self.basic().await,
            (401, None) => self.set(
                Finding::new(
                    Step::Authentication,
                    Verdict::AuthenticationFailed,
                    "the registry asks for authentication without a Basic or Bearer challenge",
                )
                .evidence(Some(reply.index)),
            ),
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

    fn warn_before_sending(&mut self, target: &str) {
        if self.credential.is_none() {
            return;
        }
        let Ok(url) = reqwest::Url::parse(target) else { return };
        let host = url.host_str().unwrap_or_default().to_owned();
        let registry_host = api_host(&self.registry.host);
        let registry_host = registry_host
            .rsplit_once(':')
            .map_or(registry_host.as_str(), |(h, _)| h)
            .trim_matches(['[', ']']);
        if url.scheme() == "http" && !is_loopback(&host) {
            self.warn(format!("the credential will be sent over plain http to {}", one_line(url.as_str())));
        }
        if !same_site(&host, registry_host) {
            self.warn(format!(
                "the credential for {} will be sent to the token service on another host: {}",
                self.registry.host,
                one_line(&host)
            ));
        }
    }

    async fn basic(&mut self) {
        let Some(credential) = self.credential.clone() else {
            self.needs_credential = true;
            let index = self.transport.requests().checked_sub(1);
            let fix = self.fix(Problem::NoCredential);
            self.set(
                Finding::new(
                    Step::Authentication,
                    Verdict::AuthorizationDenied,
                    "the registry wants Basic authentication and no credential was given",
                )
                .evidence(index)
                .fix(fix),
            );
            return;
        };
        let base = self.base().to_owned();
        self.warn_before_sending(&base);
        self.input.observer.step("checking the credential (Basic)");
        let reply = self.head_manifest(&base, Auth::Basic(&credential.username, &credential.secret)).await;
        match reply {
            Ok(reply) => {
                if reply.status != 401 {
                    self.set(
                        Finding::new(
                            Step::Authentication,
                            Verdict::Ok,
                            "the registry accepted the credential (Basic)",
                        )
                        .evidence(Some(reply.index)),
                    );
                }
                self.judge_manifest(reply, Session::Basic).await;
            }
            Err(f) => self.unreachable(f),
        }
    }

    fn login<'a>(&self, credential: &'a Option<Credential>) -> Login<'a> {
        match credential {
            None => Login::Anonymous,
            Some(c) if c.kind == CredentialKind::IdentityToken => {
                Login::Refresh { username: &c.username, token: &c.secret }
            }
            Some(c) => Login::Password { username: &c.username, password: &c.secret },
        }
    }

    async fn bearer(&mut self, challenge: Challenge) {
        let realm = challenge.param("realm").map(str::to_owned);
        self.registry.realm = realm.clone();
        self.registry.service = challenge.param("service").map(str::to_owned);
        if self.input.registry_type.is_none() {
            self.registry.kind = registries::detect(&self.registry.host, realm.as_deref());
        }
        let credential = self.credential.clone();
        if let Some(c) = credential.as_ref().filter(|c| c.kind == CredentialKind::RegistryToken) {
            self.set(Finding::new(
                Step::Authentication,
                Verdict::Ok,
                "a registry token is sent as is; the registry's answer judges it",
            ));
            let token = c.secret.clone();
            return self.pull_with(token).await;
        }
        if let Some(realm) = &realm {
            self.warn_before_sending(realm);
        }
        self.input.observer.step("asking the token service for a pull token");
        let scope = Scope::repository(self.repository(), &["pull"]);
        let outcome = fetch::fetch(&self.transport, &challenge, &[scope], self.login(&credential)).await;
        match outcome {
            TokenOutcome::Granted { token, claims, index } => {
                let mut finding = if credential.is_some() {
                    Finding::new(
                        Step::Authentication,
                        Verdict::Ok,
                        "the token service accepted the credential and issued a pull token",
                    )
                } else {
                    Finding::new(
                        Step::Authentication,
                        Verdict::Skipped,
                        "no credential: the token service issued an anonymous token",
                    )
                };
                finding =
                    finding.evidence(Some(index)).detail(token_text(claims.as_ref(), self.repository()));
                if token.refresh_token.is_some() {
                    finding = finding.detail("the token service also issued a refresh token (not shown)");
                }
                self.set(finding);
                self.claims = claims;
                self.pull_with(token.token).await;
            }
            TokenOutcome::Refused(reply) => self.token_refused(&reply, Step::Pull),
            TokenOutcome::Failed(f) => self.set(
                Finding::new(
                    Step::Authentication,
                    Verdict::Network,
                    format!("the token service could not be used: {}", f.cause),
                )
                .evidence(f.index)
                .fix("Check that the realm in the challenge is reachable from here (proxy, DNS, TLS)."),
            ),
        }
    }

    /// A token request for `step`'s scope was refused.
    fn token_refused(&mut self, reply: &Reply, step: Step) {
        let message = one_line(&reply.message());
        let class = classify::token_refusal(self.registry.kind, reply);
        let action = if step == Step::Push { "push" } else { "pull" };
        let denied = if step == Step::Push { Problem::PushDenied } else { Problem::PullDenied };
        let index = Some(reply.index);
        let anonymous = self.credential.is_none();
        match class {
            Class::Authorization if !anonymous => {
                let sentence = if classify::is_insufficient_scopes(&message) {
                    format!("The password is fine: the token service knows this credential, but its token lacks the {action} scope on {}.", self.repository())
                } else {
                    format!(
                        "The token service knows this credential but refuses {action} on {}.",
                        self.repository()
                    )
                };
                if !self.has(Step::Authentication) || step == Step::Pull {
                    self.set(
                        Finding::new(Step::Authentication, Verdict::Ok, sentence.clone()).evidence(index),
                    );
                }
                let fix = self.fix(denied);
                self.set(
                    Finding::new(
                        step,
                        Verdict::AuthorizationDenied,
                        format!("{action} on {} is not allowed for this credential", self.repository()),
                    )
                    .detail(sentence)
                    .detail(format!("token service said: {} {message}", reply.status))
                    .evidence(index)
                    .fix(fix),
                );
            }
            Class::RateLimited => {
                let fix = self.fix(Problem::RateLimited);
                self.set(
                    Finding::new(step, Verdict::RateLimited, "the token service is rate limiting")
                        .detail(limits(reply))
                        .evidence(index)
                        .fix(fix),
                );
            }
            Class::Server => self.set(
                Finding::new(
                    step,
                    Verdict::Network,
                    format!("the token service failed: {} {message}", reply.status),
                )
                .evidence(index),
            ),
            _ if anonymous => {
                self.needs_credential = true;
                let fix = self.fix(Problem::NoCredential);
                self.set(
                    Finding::new(
                        step,
                        Verdict::AuthorizationDenied,
                        format!("anonymous {action} on {} is not allowed", self.repository()),
                    )
                    .detail(format!("token service said: {} {message}", reply.status))
                    .evidence(index)
                    .fix(fix),
                );
            }
            // After a pull token was issued, a refused push token is about the scope, not the credential.
            _ if step == Step::Push => {
                let fix = self.fix(Problem::PushDenied);
                self.set(
                    Finding::new(
                        step,
                        Verdict::AuthorizationDenied,
                        format!(
                            "the token service refuses push on {} to a credential it accepted for pull",
                            self.repository()
                        ),
                    )
                    .detail(format!("token service said: {} {message}", reply.status))
                    .evidence(index)
                    .fix(fix),
                );
            }
            Class::Authentication { expired } => {
                let fix = self.fix(if expired { Problem::ExpiredCredential } else { Problem::BadCredential });
                let what = if expired { "the credential has expired" } else { "the credential is wrong" };
                self.set(
                    Finding::new(
                        Step::Authentication,
                        Verdict::AuthenticationFailed,
                        format!("the token service rejected the credential: {what}"),
                    )
                    .detail(format!("token service said: {} {message}", reply.status))
                    .evidence(index)
                    .fix(fix),
                );
            }
            Class::Authorization | Class::NotFound => {
                self.set(
                    Finding::new(
                        step,
                        Verdict::AuthorizationDenied,
                        format!("the token service refused the {action} token: {} {message}", reply.status),
                    )
                    .evidence(index),
                );
            }
        }
    }

    async fn pull_with(&mut self, token: Secret) {
        self.input.observer.step("checking pull");
        let base = self.base().to_owned();
        match self.head_manifest(&base, Auth::Bearer(&token)).await {
            Ok(reply) => self.judge_manifest(reply, Session::Bearer(token)).await,
            Err(f) => self.unreachable(f),
        }
    }

    fn auth_of<'a>(&'a self, session: &'a Session) -> Auth<'a> {
        match (session, &self.credential) {
            (Session::Bearer(token), _) => Auth::Bearer(token),
            (Session::Basic, Some(c)) => Auth::Basic(&c.username, &c.secret),
            _ => Auth::None,
        }
    }

    /// Judge the answer to a manifest HEAD made with `session`; then push when asked.
    async fn judge_manifest(&mut self, reply: Reply, session: Session) {
        let basic = matches!(session, Session::Basic);
        if reply.status == 200 {
            let digest = reply
                .header("docker-content-digest")
                .map(one_line)
                .unwrap_or_else(|| "no digest header".into());
            let kind = reply.header("content-type").map(one_line).unwrap_or_default();
            self.set(
                Finding::new(
                    Step::Pull,
                    Verdict::Ok,
                    format!("may pull {}: the manifest exists ({digest})", self.input.reference),
                )
                .detail(kind)
                .evidence(Some(reply.index)),
            );
            return self.push(session).await;
        }
        if reply.status == 404 {
            return self.not_found(reply, session).await;
        }
        // HEAD has no body: read it with GET, for the evidence.
        let reply = self.get_body(&session, reply).await;
        match classify::registry_refusal(basic, &reply) {
            Class::Authentication { expired } => self.registry_rejected(&reply, expired),
            Class::Authorization => self.pull_denied(&reply),
            Class::RateLimited => {
                let fix = self.fix(Problem::RateLimited);
                self.set(
                    Finding::new(Step::Pull, Verdict::RateLimited, "the registry is rate limiting")
                        .detail(limits(&reply))
                        .evidence(Some(reply.index))
                        .fix(fix),
                );
            }
            Class::NotFound | Class::Server => self.set(
                Finding::new(
                    Step::Pull,
                    Verdict::Network,
                    format!("the registry answered {}: {}", reply.status, one_line(&reply.message())),
                )
                .evidence(Some(reply.index)),
            ),
        }
    }

    async fn get_body(&self, session: &Session, head: Reply) -> Reply {
        let r = &self.input.reference;
        let mut req = Request::new(
            Method::GET,
            format!("{}/v2/{}/manifests/{}", self.base(), r.repository, r.manifest_reference()),
            self.auth_of(session),
        );
        req.accept = Some(MANIFEST_ACCEPT);
        match self.transport.send(req).await {
            Ok(reply) if reply.status == head.status => reply,
            _ => head,
        }
    }

    fn registry_rejected(&mut self, reply: &Reply, expired_said: bool) {
        let now = now_unix();
        let expired_at = self.claims.as_ref().and_then(|c| c.expires_at).filter(|exp| *exp <= now);
        let expired = expired_said || expired_at.is_some();
        let what =
            if expired { "the token has expired" } else { "the registry rejected the credential or token" };
        let mut finding = Finding::new(Step::Authentication, Verdict::AuthenticationFailed, what);
        if let Some(exp) = expired_at {
            finding = finding.detail(format!(
                "the token expired {} s ago (exp {exp}); check this machine's clock if the token is new",
                now - exp
            ));
        }
        if let Some(e) = reply.challenge_error() {
            finding = finding.detail(format!("challenge error: {}", one_line(e)));
        }
        let fix = self.fix(if expired { Problem::ExpiredCredential } else { Problem::BadCredential });
        self.set(
            finding
                .detail(format!("registry said: {} {}", reply.status, one_line(&reply.message())))
                .evidence(Some(reply.index))
                .fix(fix),
        );
    }

    fn pull_denied(&mut self, reply: &Reply) {
        if self.credential.is_none() {
            self.needs_credential = true;
        }
        let problem = if self.credential.is_none() { Problem::NoCredential } else { Problem::PullDenied };
        let fix = self.fix(problem);
        let who = if self.credential.is_none() { "anonymous" } else { "this credential" };
        let mut finding = Finding::new(
            Step::Pull,
            Verdict::AuthorizationDenied,
            format!("{who} may not pull {} (action pull)", self.repository()),
        )
        .detail(format!("registry said: {} {}", reply.status, one_line(&reply.message())))
        .evidence(Some(reply.index))
        .fix(fix);
        if let Some(e) = reply.challenge_error() {
            finding = finding.detail(format!("challenge error: {}", one_line(e)));
        }
        if let Some(c) = &self.claims {
            finding = finding.detail(format!(
                "the token grants {:?} on {}",
                c.actions_on(self.repository()),
                self.repository()
            ));
        }
        self.set(finding);
    }

    /// A 404: read the body and the tag list at once to tell a missing tag from a missing repository.
    async fn not_found(&mut self, head: Reply, session: Session) {
        let tags_url = format!("{}/v2/{}/tags/list?n=5", self.base(), self.repository());
        let (body, tags) = tokio::join!(
            self.get_body(&session, head),
            self.transport.send(Request::new(Method::GET, tags_url, self.auth_of(&session)))
        );
        let reference = self.input.reference.manifest_reference().to_owned();
        match tags {
            Ok(tags) if tags.status == 200 => {
                let listed = tag_list(&tags.body);
                let finding = if self.input.push {
                    Finding::new(
                        Step::Pull,
                        Verdict::Ok,
                        format!(
                            "may pull from {}; {reference} does not exist yet (a push creates it)",
                            self.repository()
                        ),
                    )
                } else {
                    Finding::new(
                        Step::Pull,
                        Verdict::NotFound,
                        format!("the repository {} exists but has no {reference}", self.repository()),
                    )
                    .fix(format!("Check the tag or digest; existing tags include: {listed}"))
                };
                self.set(
                    finding
                        .detail(format!("registry said: 404 {}", one_line(&body.message())))
                        .evidence(Some(body.index))
                        .evidence(Some(tags.index)),
                );
                if self.input.push {
                    self.push(session).await;
                }
            }
            Ok(tags) => {
                let mut finding = Finding::new(
                    Step::Pull,
                    Verdict::NotFound,
                    format!(
                        "the repository {} does not exist (or is hidden from this credential)",
                        self.repository()
                    ),
                )
                .detail(format!("registry said: {} {}", tags.status, one_line(&tags.message())))
                .evidence(Some(body.index))
                .evidence(Some(tags.index))
                .fix(format!(
                    "Check the repository name ({}): {} answered that it does not know it.",
                    self.input.reference.name(),
                    self.registry.host
                ));
                if self.input.push {
                    finding = finding.detail("push was not probed: asking for a push token can create the repository on some registries (Quay, GitLab)");
                }
                self.set(finding);
            }
            Err(f) => self.unreachable(f),
        }
    }

    async fn push(&mut self, session: Session) {
        if !self.input.push {
            return;
        }
        let session = match session {
            Session::Bearer(_)
                if self.credential.as_ref().is_some_and(|c| c.kind == CredentialKind::RegistryToken) =>
            {
                session
            }
            Session::Bearer(_) => match self.push_token().await {
                Some(token) => Session::Bearer(token),
                None => return,
            },
            other => other,
        };
        self.input.observer.step("opening an upload session (cancelled at once)");
        let url = format!("{}/v2/{}/blobs/uploads/", self.base(), self.repository());
        let reply = match self.transport.send(Request::new(Method::POST, url, self.auth_of(&session))).await {
            Ok(reply) => reply,
            Err(f) => return self.unreachable(f),
        };
        if reply.status == 202 {
            let cancelled = self.cancel_upload(&reply, &session).await;
            self.set(
                Finding::new(
                    Step::Push,
                    Verdict::Ok,
                    format!("may push to {}: an upload session opened", self.repository()),
                )
                .detail(cancelled)
                .evidence(Some(reply.index)),
            );
            return;
        }
        self.upload_refused(&reply, matches!(session, Session::Basic));
    }

    /// The push token (one scope value `pull,push`), asked only after pull proved the repository exists.
    async fn push_token(&mut self) -> Option<Secret> {
        self.input.observer.step("asking the token service for a push token");
        let realm = self.registry.realm.clone()?;
        let mut line = format!("Bearer realm=\"{}\"", realm.replace('"', "\\\""));
        if let Some(s) = &self.registry.service {
            line.push_str(&format!(",service=\"{}\"", s.replace('"', "\\\"")));
        }
        let challenge = crate::http::challenge::parse(&line).pop()?;
        let credential = self.credential.clone();
        let scope = Scope::repository(self.repository(), &["pull", "push"]);
        match fetch::fetch(&self.transport, &challenge, &[scope], self.login(&credential)).await {
            TokenOutcome::Granted { token, claims, .. } => {
                // A spec token service grants the intersection, maybe without push: the upload proves it.
                self.claims = claims;
                Some(token.token)
            }
            TokenOutcome::Refused(reply) => {
                self.token_refused(&reply, Step::Push);
                None
            }
            TokenOutcome::Failed(f) => {
                self.set(
                    Finding::new(
                        Step::Push,
                        Verdict::Network,
                        format!("the token service could not be used: {}", f.cause),
                    )
                    .evidence(f.index),
                );
                None
            }
        }
    }

    async fn cancel_upload(&self, reply: &Reply, session: &Session) -> String {
        let Some(location) = reply.header("location") else {
            return "the registry gave no upload location to cancel".into();
        };
        let url = if location.starts_with('/') {
            format!("{}{location}", self.base())
        } else {
            location.to_owned()
        };
        match self.transport.send(Request::new(Method::DELETE, url, self.auth_of(session))).await {
            Ok(r) if r.status < 300 => "the upload session was cancelled (nothing was written)".into(),
            // distribution wants the delete scope to cancel, which a push token rightly lacks.
            Ok(r) => format!(
                "cancelling the upload session answered {} (nothing was written; the empty session expires on its own)",
                r.status
            ),
            Err(_) => {
                "cancelling the upload session failed (nothing was written; the registry expires it)".into()
            }
        }
    }

    fn upload_refused(&mut self, reply: &Reply, basic: bool) {
        let message = one_line(&reply.message());
        let index = Some(reply.index);
        let finding = match classify::registry_refusal(basic, reply) {
            Class::Authentication { expired } => {
                let fix = self.fix(if expired { Problem::ExpiredCredential } else { Problem::BadCredential });
                Finding::new(
                    Step::Push,
                    Verdict::AuthenticationFailed,
                    "the registry rejected the push token",
                )
                .fix(fix)
            }
            Class::Authorization if reply.status == 405 => Finding::new(
                Step::Push,
                Verdict::AuthorizationDenied,
                "the registry is read-only (maintenance mode): it allows no uploads",
            )
            .fix("Wait until the registry leaves read-only mode, or ask its administrator."),
            Class::Authorization => {
                let fix = self.fix(if self.credential.is_none() {
                    Problem::NoCredential
                } else {
                    Problem::PushDenied
                });
                let mut f = Finding::new(
                    Step::Push,
                    Verdict::AuthorizationDenied,
                    format!("this credential may not push to {} (action push)", self.repository()),
                )
                .fix(fix);
                if let Some(c) = &self.claims {
                    f = f.detail(format!(
                        "asked for [\"pull\", \"push\"]; the token grants {:?}",
                        c.actions_on(self.repository())
                    ));
                }
                f
            }
            Class::NotFound => {
                let fix = self.fix(Problem::CreateRepositoryFirst);
                Finding::new(
                    Step::Push,
                    Verdict::NotFound,
                    format!(
                        "the registry does not accept uploads to {}: the repository must be created first",
                        self.repository()
                    ),
                )
                .fix(fix)
            }
            Class::RateLimited => {
                let fix = self.fix(Problem::RateLimited);
                Finding::new(Step::Push, Verdict::RateLimited, "the registry is rate limiting")
                    .detail(limits(reply))
                    .fix(fix)
            }
            Class::Server => {
                Finding::new(Step::Push, Verdict::Network, format!("the registry answered {}", reply.status))
            }
        };
        let mut finding =
            finding.detail(format!("registry said: {} {message}", reply.status)).evidence(index);
        if let Some(e) = reply.challenge_error() {
            finding = finding.detail(format!("challenge error: {}", one_line(e)));
        }
        self.set(finding);
    }

    fn finish(mut self) -> Report {
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

/// What the lookup found, moved back from the blocking task.
enum Found {
    Anonymous,
    Explicit(Credential),
    Client(Box<Resolution>),
}

fn look_up(reference: &Reference, lookup: Lookup) -> Found {
    match lookup {
        Lookup::Anonymous => Found::Anonymous,
        Lookup::Explicit(c) => Found::Explicit(c),
        Lookup::Client { client, env, options } => {
            Found::Client(Box::new(resolve::resolve(reference, client, &env, &options)))
        }
    }
}

fn kind_text(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::Password => "password or access token",
        CredentialKind::IdentityToken => "identity (refresh) token",
        CredentialKind::RegistryToken => "registry bearer token",
    }
}

fn token_text(claims: Option<&Claims>, repository: &str) -> String {
    match claims {
        Some(c) => format!(
            "JWT for {:?}: grants {:?} on {repository}{}",
            c.subject.clone().unwrap_or_default(),
            c.actions_on(repository),
            c.expires_at.map(|e| format!(", expires in {} s", e - now_unix())).unwrap_or_default()
        ),
        None => "opaque token: judged by the registry's answer".into(),
    }
}

fn limits(reply: &Reply) -> String {
    let parts: Vec<String> =
        ["ratelimit-limit", "ratelimit-remaining", "docker-ratelimit-source", "retry-after"]
            .iter()
            .filter_map(|h| reply.header(h).map(|v| format!("{h}: {}", one_line(v))))
            .collect();
    if parts.is_empty() {
        "no rate-limit headers".into()
    } else {
        parts.join(", ")
    }
}

fn tag_list(body: &[u8]) -> String {
    let tags: Vec<String> = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("tags")?.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|t| t.as_str().map(one_line))
        .collect();
    if tags.is_empty() {
        "none".into()
    } else {
        tags.join(", ")
    }
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// Docker Hub's API lives on registry-1.docker.io.
fn api_host(registry: &str) -> String {
    if registry == crate::reference::DOCKER_HUB {
        "registry-1.docker.io".into()
    } else {
        registry.to_owned()
    }
}

fn is_loopback(host_port: &str) -> bool {
    let host = match host_port.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host_port.rsplit_once(':').map_or(host_port, |(h, _)| h),
    };
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The same host, or both under the same last two labels (auth.docker.io and registry-1.docker.io).
fn same_site(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if a.parse::<std::net::IpAddr>().is_ok() || b.parse::<std::net::IpAddr>().is_ok() {
        return false;
    }
    fn tail(h: &str) -> Vec<&str> {
        h.rsplit('.').take(2).collect()
    }
    tail(a) == tail(b) && a.contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_sites() {
        assert!(is_loopback("127.0.0.1:5000") && is_loopback("localhost") && is_loopback("[::1]:5000"));
        assert!(!is_loopback("10.0.0.1:5000") && !is_loopback("example.com"));
        assert!(same_site("auth.docker.io", "registry-1.docker.io"));
        assert!(!same_site("evil.com", "registry.example.com"));
        assert!(same_site("127.0.0.1", "127.0.0.1") && !same_site("127.0.0.2", "127.0.0.1"));
    }
}
