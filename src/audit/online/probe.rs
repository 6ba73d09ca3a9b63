//! The checks of one registry: its challenge (one anonymous `GET /v2/`), per repository whether anyone may
//! pull (anonymous token + HEAD), and each credential: authentication, then per repository a token for
//! `pull,push` whose grant says push, and a HEAD of the manifest with it that proves pull. Docker Hub's
//! whole-request refusal of a PAT without push costs one more token request (pull only): at most 3 per
//! credential and repository. Basic registries: `GET /v2/` and a HEAD per repository; push is unknown there
//! (no per-repository rights to read without writing).

use super::{tick, Candidate, CredentialCheck, RegistryCheck, RepositoryCheck, Right, Status};
use crate::diagnose::classify::{is_insufficient_scopes, token_refusal, Class};
use crate::diagnose::context::manifest_request;
use crate::diagnose::registries;
use crate::http::challenge::Scope;
use crate::http::contact::first_contact;
use crate::http::fetch::{self, Login, TokenOutcome, TokenService};
use crate::http::transport::{Auth, Reply, Request, Transport};
use regauth_core::reference::Reference;
use regauth_core::registry::RegistryHost;
use regauth_core::secret::Secret;
use reqwest::Method;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Semaphore;

pub(super) struct Limits {
    pub(super) overall: Arc<Semaphore>,
    pub(super) per_registry: Arc<Semaphore>,
}

/// What first contact taught about the registry.
enum Challenge {
    Bearer { realm: String, service: Option<String> },
    Basic,
    None,
}

/// Everything one credential's checks share.
struct Registry {
    base: String,
    challenge: Challenge,
    kind: registries::RegistryType,
    /// Set at the first 429: nothing more is asked of this registry.
    limited: AtomicBool,
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn registry(
    transport: Option<Transport>,
    name: &str,
    candidates: Vec<Candidate>,
    repos: &[Reference],
    limits: &Limits,
    opts: &super::Options,
    done: &AtomicUsize,
    total: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> (RegistryCheck, Vec<CredentialCheck>) {
    let mut check = RegistryCheck {
        registry: name.to_owned(),
        kind: registries::detect(name, None),
        auth: "unreachable",
        rate_limited: false,
        rate_limit_remaining: None,
        anonymous_pull: Vec::new(),
        requests: 0,
    };
    let everyone = |status: Status, why: &str| -> Vec<CredentialCheck> {
        candidates.iter().map(|c| result(c, name, status, why.to_owned(), Vec::new(), 0)).collect()
    };
    let Some(transport) = transport else {
        let all = everyone(Status::Unreachable, "the HTTP client could not be set up (a CA file)");
        candidates.iter().for_each(|_| tick(done, total, progress));
        return (check, all);
    };
    let host = RegistryHost::new(name);
    let contact = {
        let session = transport.session();
        let _permit = limits.overall.acquire().await;
        let get = |base: String| {
            let session = session.clone();
            async move { session.send(Request::new(Method::GET, format!("{base}/v2/"), Auth::None)).await }
        };
        let contact = first_contact(&host, opts.insecure, get).await;
        check.requests += session.requests();
        contact
    };
    let contact = match contact {
        Ok(contact) => contact,
        Err(_) => {
            candidates.iter().for_each(|_| tick(done, total, progress));
            return (check, everyone(Status::Unreachable, "the registry could not be reached"));
        }
    };
    check.rate_limit_remaining =
        contact.reply.header("ratelimit-remaining").map(regauth_core::sanitize::one_line);
    let bearer = contact.reply.challenges.iter().find(|c| c.is_bearer());
    let challenge = match (contact.reply.status, bearer) {
        (401, Some(b)) => match b.param("realm") {
            Some(realm) => {
                Challenge::Bearer { realm: realm.to_owned(), service: b.param("service").map(str::to_owned) }
            }
            None => Challenge::None,
        },
        (401, None) if contact.reply.challenges.iter().any(|c| c.is_basic()) => Challenge::Basic,
        (429, _) => {
            check.rate_limited = true;
            candidates.iter().for_each(|_| tick(done, total, progress));
            return (check, everyone(Status::RateLimited, "the registry answered 429: not asked further"));
        }
        _ => Challenge::None,
    };
    check.auth = match challenge {
        Challenge::Bearer { .. } => "bearer",
        Challenge::Basic => "basic",
        Challenge::None => "none",
    };
    let realm = match &challenge {
        Challenge::Bearer { realm, .. } => Some(realm.as_str()),
        _ => None,
    };
    check.kind = registries::detect(name, realm);
    let reg = Registry { kind: check.kind, base: contact.base, challenge, limited: AtomicBool::new(false) };
    if let Challenge::None = reg.challenge {
        candidates.iter().for_each(|_| tick(done, total, progress));
        return (check, everyone(Status::NoLogin, "the registry asks for no login: nothing to check"));
    }
    // Anonymous pulls, once per repository.
    for repo in repos {
        let session = transport.session();
        let _permits = (limits.overall.acquire().await, limits.per_registry.acquire().await);
        if anonymous_pull(&session, &reg, repo).await == Right::Yes {
            check.anonymous_pull.push(repo.repository.clone());
        }
        check.requests += session.requests();
    }
    let checks = candidates.iter().map(|c| {
        let (reg, transport) = (&reg, &transport);
        async move {
            let _permits = (limits.overall.acquire().await, limits.per_registry.acquire().await);
            let session = transport.session();
            session.redact(&c.secret);
            let checked = tokio::time::timeout(opts.per_credential, credential(&session, reg, c)).await;
            let requests = session.requests();
            tick(done, total, progress);
            match checked {
                Ok((status, detail, repositories)) => result(c, name, status, detail, repositories, requests),
                Err(_) => result(
                    c,
                    name,
                    Status::TimedOut,
                    "no answer within the time per credential".into(),
                    Vec::new(),
                    requests,
                ),
            }
        }
    });
    let results = futures_util::future::join_all(checks).await;
    check.rate_limited = reg.limited.load(Ordering::Relaxed);
    (check, results)
}

fn result(
    c: &Candidate,
    registry: &str,
    status: Status,
    detail: String,
    repositories: Vec<RepositoryCheck>,
    requests: usize,
) -> CredentialCheck {
    CredentialCheck {
        credential: c.index,
        location: String::new(),
        registry: registry.to_owned(),
        username: Some(c.username.clone()),
        status,
        detail,
        repositories,
        requests,
    }
}

type Checked = (Status, String, Vec<RepositoryCheck>);

async fn credential(session: &Transport, reg: &Registry, c: &Candidate) -> Checked {
    if reg.limited.load(Ordering::Relaxed) {
        return (
            Status::RateLimited,
            "the registry answered 429 to an earlier request: not asked".into(),
            Vec::new(),
        );
    }
    match &reg.challenge {
        Challenge::Bearer { realm, service } => bearer(session, reg, c, realm, service.as_deref()).await,
        Challenge::Basic => basic(session, reg, c).await,
        Challenge::None => (Status::NoLogin, "the registry asks for no login".into(), Vec::new()),
    }
}

fn login(c: &Candidate) -> Login<'_> {
    if c.identity_token {
        Login::Refresh { username: &c.username, token: &c.secret }
    } else {
        Login::Password { username: &c.username, password: &c.secret }
    }
}

/// The outcome of one token request, as the online checks read it.
enum Token {
    Granted {
        token: Secret,
        granted: Option<Vec<String>>,
    },
    /// Docker Hub: the credential is valid, but lacks an asked action.
    Insufficient,
    Rejected(String),
    RateLimited,
    Failed,
}

async fn token(
    session: &Transport,
    reg: &Registry,
    c: &Candidate,
    realm: &str,
    service: Option<&str>,
    scopes: &[Scope],
    repo: &str,
) -> Token {
    let endpoint = TokenService { realm, service };
    match fetch::fetch(session, endpoint, scopes, login(c)).await {
        TokenOutcome::Granted { token, claims, .. } => {
            Token::Granted { token: token.token, granted: claims.map(|c| c.actions_on(repo)) }
        }
        TokenOutcome::Refused(reply) => match token_refusal(reg.kind, &reply) {
            Class::RateLimited => {
                reg.limited.store(true, Ordering::Relaxed);
                Token::RateLimited
            }
            Class::Authorization if is_insufficient_scopes(&reply.message()) => Token::Insufficient,
            Class::Authentication { expired: true } => Token::Rejected(format!(
                "the token service refused the credential as expired (HTTP {})",
                reply.status
            )),
            Class::Authentication { .. } | Class::Authorization => {
                Token::Rejected(format!("the token service refused the credential (HTTP {})", reply.status))
            }
            Class::NotFound | Class::Server => Token::Failed,
        },
        TokenOutcome::Failed(_) => Token::Failed,
    }
}

async fn bearer(
    session: &Transport,
    reg: &Registry,
    c: &Candidate,
    realm: &str,
    service: Option<&str>,
) -> Checked {
    if c.repos.is_empty() {
        return match token(session, reg, c, realm, service, &[], "").await {
            Token::Granted { .. } | Token::Insufficient => {
                (Status::Accepted, "the token service accepted the credential".into(), Vec::new())
            }
            Token::Rejected(why) => (Status::Rejected, why, Vec::new()),
            Token::RateLimited => (Status::RateLimited, "the token service answered 429".into(), Vec::new()),
            Token::Failed => (Status::Unreachable, "the token service could not be used".into(), Vec::new()),
        };
    }
    let mut repositories = Vec::new();
    let mut accepted = false;
    for repo in &c.repos {
        let name = repo.repository.as_str();
        let both = [Scope::repository(name, &["pull", "push"])];
        let (token_for_pull, push) = match token(session, reg, c, realm, service, &both, name).await {
            Token::Granted { token, granted: Some(granted) } => {
                let push = if granted.iter().any(|a| a == "push") { Right::Yes } else { Right::No };
                let pull = granted.iter().any(|a| a == "pull");
                (pull.then_some(token), push)
            }
            Token::Granted { token, granted: None } => (Some(token), Right::Unknown),
            Token::Insufficient => {
                let pull = [Scope::repository(name, &["pull"])];
                match token(session, reg, c, realm, service, &pull, name).await {
                    Token::Granted { token, granted } => {
                        let pull_granted = granted.is_none_or(|g| g.iter().any(|a| a == "pull"));
                        (pull_granted.then_some(token), Right::No)
                    }
                    Token::Insufficient => (None, Right::No),
                    other => return not_accepted(other, accepted, repositories),
                }
            }
            other => return not_accepted(other, accepted, repositories),
        };
        accepted = true;
        let pull = match token_for_pull {
            None => Right::No,
            Some(token) => {
                session.redact(&token);
                head(session, reg, repo, Auth::Bearer(&token)).await
            }
        };
        repositories.push(RepositoryCheck { repository: name.to_owned(), pull, push });
    }
    (Status::Accepted, "the token service accepted the credential".into(), repositories)
}

/// A token request that did not grant: the credential's status from it.
fn not_accepted(token: Token, accepted: bool, repositories: Vec<RepositoryCheck>) -> Checked {
    match token {
        Token::Rejected(why) if !accepted => (Status::Rejected, why, repositories),
        Token::RateLimited => {
            (Status::RateLimited, "the token service answered 429: not asked further".into(), repositories)
        }
        _ if accepted => (
            Status::Accepted,
            "the token service accepted the credential; a later request failed".into(),
            repositories,
        ),
        _ => (Status::Unreachable, "the token service could not be used".into(), repositories),
    }
}

async fn basic(session: &Transport, reg: &Registry, c: &Candidate) -> Checked {
    let url = format!("{}/v2/", reg.base);
    let auth = Auth::Basic(&c.username, &c.secret);
    let reply = match session.send(Request::new(Method::GET, url, auth)).await {
        Ok(reply) => reply,
        Err(_) => return (Status::Unreachable, "the registry could not be reached".into(), Vec::new()),
    };
    match reply.status {
        200 => {}
        429 => {
            reg.limited.store(true, Ordering::Relaxed);
            return (Status::RateLimited, "the registry answered 429".into(), Vec::new());
        }
        401 | 403 => {
            return (
                Status::Rejected,
                format!("the registry refused the credential (HTTP {})", reply.status),
                Vec::new(),
            )
        }
        status => return (Status::Unreachable, format!("the registry answered HTTP {status}"), Vec::new()),
    }
    let mut repositories = Vec::new();
    for repo in &c.repos {
        let pull = head(session, reg, repo, Auth::Basic(&c.username, &c.secret)).await;
        repositories.push(RepositoryCheck {
            repository: repo.repository.clone(),
            pull,
            push: Right::Unknown,
        });
    }
    (Status::Accepted, "the registry accepted the credential (Basic)".into(), repositories)
}

/// HEAD of the manifest: 200 pulls, 404 is missing, anything else may not.
async fn head(session: &Transport, reg: &Registry, repo: &Reference, auth: Auth<'_>) -> Right {
    if reg.limited.load(Ordering::Relaxed) {
        return Right::Unknown;
    }
    match session.send(manifest_request(Method::HEAD, &reg.base, repo, auth)).await {
        Ok(reply) => right_of(reg, &reply),
        Err(_) => Right::Unknown,
    }
}

fn right_of(reg: &Registry, reply: &Reply) -> Right {
    match reply.status {
        200 => Right::Yes,
        404 => Right::Missing,
        429 => {
            reg.limited.store(true, Ordering::Relaxed);
            Right::Unknown
        }
        401 | 403 => Right::No,
        _ => Right::Unknown,
    }
}

/// Whether anyone may pull `repo`: an anonymous pull token and a HEAD with it (Bearer), or a HEAD (Basic).
async fn anonymous_pull(session: &Transport, reg: &Registry, repo: &Reference) -> Right {
    match &reg.challenge {
        Challenge::Bearer { realm, service } => {
            let scope = [Scope::repository(&repo.repository, &["pull"])];
            let endpoint = TokenService { realm, service: service.as_deref() };
            match fetch::fetch(session, endpoint, &scope, Login::Anonymous).await {
                TokenOutcome::Granted { token, claims, .. } => {
                    if claims.is_some_and(|c| !c.actions_on(&repo.repository).iter().any(|a| a == "pull")) {
                        return Right::No;
                    }
                    session.redact(&token.token);
                    head(session, reg, repo, Auth::Bearer(&token.token)).await
                }
                TokenOutcome::Refused(reply) if reply.status == 429 => {
                    reg.limited.store(true, Ordering::Relaxed);
                    Right::Unknown
                }
                _ => Right::No,
            }
        }
        Challenge::Basic => head(session, reg, repo, Auth::None).await,
        Challenge::None => Right::Yes,
    }
}
