//! The authentication step: Basic straight to the registry, or a pull token from the challenge's realm
//! (GET with Basic, POST refresh_token for identity tokens). Returns what happened and what the pull step
//! does next.

use super::context::{now_unix, Context, Session};
use super::hosts::{api_host, is_loopback, same_site};
use super::pull::Pull;
use super::refusal::Refusal;
use super::report::{Finding, Step, Verdict};
use crate::http::challenge::Scope;
use crate::http::fetch::{self, TokenOutcome, TokenService};
use crate::http::transport::{Auth, Failure, Reply};
use crate::resolve::CredentialKind;
use regauth_core::jwt::Claims;
use regauth_core::sanitize::one_line;
use reqwest::Method;

pub(super) enum Authentication {
    /// The registry answered the anonymous request without asking for authentication.
    NotAsked { index: usize },
    /// The first answer was 429: authentication never came up.
    RateLimited,
    /// 401 without a Basic or Bearer challenge.
    NoChallenge { index: usize },
    /// Basic wanted, no credential to send.
    NoCredential,
    /// Basic sent; `accepted` is the exchange when the answer was not 401.
    BasicSent { accepted: Option<usize> },
    /// A stored registry token, sent as is.
    RegistryToken,
    /// The token service issued a pull token.
    Issued { index: usize, anonymous: bool, details: Vec<String> },
    /// The token service refused the pull token.
    Refused(Refusal),
    /// The token service could not be used.
    ServiceFailed(Failure),
}

/// What the pull step does after authentication.
pub(super) enum Next {
    /// HEAD the manifest with this session.
    Head { session: Session, claims: Option<Claims> },
    /// The manifest's answer is already here (made with this session).
    Judge { reply: Reply, session: Session },
    /// Authentication decided the pull step (or that it is not reached).
    Decided(Option<Pull>),
}

pub(super) struct Authenticated {
    pub(super) outcome: Authentication,
    pub(super) next: Next,
    pub(super) warnings: Vec<String>,
}

impl Authenticated {
    fn new(outcome: Authentication, next: Next) -> Authenticated {
        Authenticated { outcome, next, warnings: Vec::new() }
    }
}

/// Authenticate as the first answer (`reply`, anonymous) asks.
pub(super) async fn step(ctx: &Context<'_>, reply: Reply) -> Authenticated {
    let bearer = reply.challenges.iter().any(|c| c.is_bearer());
    let basic = reply.challenges.iter().any(|c| c.is_basic());
    let index = reply.index;
    match reply.status {
        401 if bearer => bearer_token(ctx).await,
        401 if basic => basic_auth(ctx, index).await,
        401 => Authenticated::new(Authentication::NoChallenge { index }, Next::Decided(None)),
        429 => Authenticated::new(Authentication::RateLimited, Next::Judge { reply, session: Session::None }),
        _ => Authenticated::new(
            Authentication::NotAsked { index },
            Next::Judge { reply, session: Session::None },
        ),
    }
}

/// Warnings before the credential goes to `target`: plain http off loopback, or another site.
fn warnings_before_sending(ctx: &Context<'_>, target: &str) -> Vec<String> {
    let mut warnings = Vec::new();
    let Ok(url) = reqwest::Url::parse(target) else { return warnings };
    if ctx.anonymous() {
        return warnings;
    }
    let host = url.host_str().unwrap_or_default().to_owned();
    let registry_host = api_host(ctx.host);
    let registry_host =
        registry_host.rsplit_once(':').map_or(registry_host.as_str(), |(h, _)| h).trim_matches(['[', ']']);
    if url.scheme() == "http" && !is_loopback(&host) {
        warnings.push(format!("the credential will be sent over plain http to {}", one_line(url.as_str())));
    }
    if !same_site(&host, registry_host) {
        warnings.push(format!(
            "the credential for {} will be sent to the token service on another host: {}",
            ctx.host,
            one_line(&host)
        ));
    }
    for w in &warnings {
        ctx.observer.warn(w);
    }
    warnings
}

/// `challenged` is the exchange whose 401 asked for Basic.
async fn basic_auth(ctx: &Context<'_>, challenged: usize) -> Authenticated {
    let Some(credential) = ctx.credential else {
        let pull = Pull::LoginRequired { index: challenged };
        return Authenticated::new(Authentication::NoCredential, Next::Decided(Some(pull)));
    };
    let warnings = warnings_before_sending(ctx, ctx.base);
    ctx.observer.step("checking the credential (Basic)");
    let (outcome, next) = match ctx
        .manifest(Method::HEAD, Auth::Basic(&credential.username, &credential.secret))
        .await
    {
        Ok(reply) => (
            Authentication::BasicSent { accepted: (reply.status != 401).then_some(reply.index) },
            Next::Judge { reply, session: Session::Basic },
        ),
        Err(f) => (Authentication::BasicSent { accepted: None }, Next::Decided(Some(Pull::Unreachable(f)))),
    };
    Authenticated { outcome, next, warnings }
}

async fn bearer_token(ctx: &Context<'_>) -> Authenticated {
    if let Some(c) = ctx.credential.filter(|c| c.kind == CredentialKind::RegistryToken) {
        let next = Next::Head { session: Session::Bearer(c.secret.clone()), claims: None };
        return Authenticated::new(Authentication::RegistryToken, next);
    }
    let warnings = ctx.realm.map(|realm| warnings_before_sending(ctx, realm)).unwrap_or_default();
    ctx.observer.step("asking the token service for a pull token");
    let Some(realm) = ctx.realm else {
        let failed = Authentication::ServiceFailed(Failure::protocol("the challenge has no realm", None));
        return Authenticated { outcome: failed, next: Next::Decided(None), warnings };
    };
    let scope = Scope::repository(ctx.repository(), &["pull"]);
    let service = TokenService { realm, service: ctx.service };
    let (outcome, next) = match fetch::fetch(ctx.transport, service, &[scope], ctx.login()).await {
        TokenOutcome::Granted { token, claims, index } => {
            let mut details = vec![token_text(claims.as_ref(), ctx.repository())];
            if token.refresh_token.is_some() {
                details.push("the token service also issued a refresh token (not shown)".into());
            }
            let issued = Authentication::Issued { index, anonymous: ctx.anonymous(), details };
            (issued, Next::Head { session: Session::Bearer(token.token), claims })
        }
        TokenOutcome::Refused(reply) => {
            let refusal = Refusal::new(ctx, &reply, Step::Pull);
            (Authentication::Refused(refusal.clone()), Next::Decided(Some(Pull::TokenRefused(refusal))))
        }
        TokenOutcome::Failed(f) => (Authentication::ServiceFailed(f), Next::Decided(None)),
    };
    Authenticated { outcome, next, warnings }
}

fn token_text(claims: Option<&Claims>, repository: &str) -> String {
    match claims {
        Some(c) => format!(
            "JWT for {:?}: grants {:?} on {repository}{}",
            c.subject.clone().unwrap_or_default(),
            c.actions_on(repository),
            c.expires_at.map(|e| format!(", expires {}", crate::when::at(e, now_unix()))).unwrap_or_default()
        ),
        None => "opaque token: judged by the registry's answer".into(),
    }
}

impl Authentication {
    /// The authentication finding, unless a later answer decides it (see [`Pull::authentication_finding`]).
    pub(super) fn finding(&self, ctx: &Context<'_>) -> Option<Finding> {
        let step = Step::Authentication;
        Some(match self {
            Authentication::NotAsked { index } => Finding::new(
                step,
                Verdict::Skipped,
                "not asked: the registry answered without authentication",
            )
            .evidence(Some(*index)),
            Authentication::RateLimited => {
                Finding::new(step, Verdict::Skipped, "not reached: the registry is rate limiting")
            }
            Authentication::NoChallenge { index } => Finding::new(
                step,
                Verdict::AuthenticationFailed,
                "the registry asks for authentication without a Basic or Bearer challenge",
            )
            .evidence(Some(*index)),
            Authentication::NoCredential => Finding::new(step, Verdict::Skipped, "no credential to send"),
            Authentication::BasicSent { accepted } => {
                Finding::new(step, Verdict::Ok, "the registry accepted the credential (Basic)")
                    .evidence(Some((*accepted)?))
            }
            Authentication::RegistryToken => Finding::new(
                step,
                Verdict::Ok,
                "a registry token is sent as is; the registry's answer judges it",
            ),
            Authentication::Issued { index, anonymous, details } => {
                let finding = if *anonymous {
                    Finding::new(
                        step,
                        Verdict::Skipped,
                        "no credential: the token service issued an anonymous token",
                    )
                } else {
                    Finding::new(
                        step,
                        Verdict::Ok,
                        "the token service accepted the credential and issued a pull token",
                    )
                };
                details.iter().fold(finding.evidence(Some(*index)), |f, d| f.detail(d.clone()))
            }
            Authentication::Refused(refusal) => return refusal.authentication_finding(ctx),
            Authentication::ServiceFailed(f) => Finding::new(
                step,
                Verdict::Network,
                format!("the token service could not be used: {}", f.cause),
            )
            .evidence(f.index)
            .fix("Check that the realm in the challenge is reachable from here (proxy, DNS, TLS)."),
        })
    }
}
