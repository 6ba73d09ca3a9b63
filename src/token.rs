//! `regauth token`: a bearer token for one repository, from the token cache when it holds a live one.
//!
//! The hit path (credential lookup -> the token service remembered for the registry -> the cache) starts no
//! async runtime and builds no HTTP client. A miss: an anonymous `GET /v2/` for the challenge (https; plain
//! http only on loopback or with `--insecure`) -> Bearer: the token through `http::fetch` (GET with Basic, or
//! the POST refresh grant for an identity token) inside `TokenCache::get_or_fetch`, so concurrent callers
//! make one request. A refused request is judged by diagnose's own rules (`diagnose::refusal`).

use crate::diagnose::credential::{credential_for, Lookup};
use crate::diagnose::grant;
use crate::diagnose::refusal::judge_token_refusal;
use crate::diagnose::{Finding, Step, Verdict};
use crate::exit::Exit;
use crate::http::challenge::Scope;
use crate::http::fetch::{self, Login, TokenOutcome, TokenService};
use crate::http::transport::{Auth, Failure, Reply, Request, TlsOptions, Transport};
use crate::resolve::{Credential, CredentialKind};
use regauth_core::environ::Environ;
use regauth_core::jwt::{self, Claims};
use regauth_core::reference::Reference;
use regauth_core::registry::RegistryHost;
use regauth_core::sanitize::for_terminal;
use regauth_core::secret::Secret;
use regauth_core::token_cache::{Fetched, Fingerprint, Key, Served, TokenCache};
use std::time::Duration;

/// The longest text of a claim that is shown.
const MAX_CLAIM: usize = 200;

pub struct Input {
    pub reference: Reference,
    pub lookup: Lookup,
    pub push: bool,
    /// Read and fill the token cache.
    pub use_cache: bool,
    /// certs.d directories and `--ca-file`s: read on a miss only (a hit connects to nothing).
    pub certs_dirs: Vec<std::path::PathBuf>,
    pub ca_files: Vec<std::path::PathBuf>,
    pub insecure: bool,
    /// The deadline of the network part.
    pub timeout: Duration,
    pub env: Environ,
}

/// What `regauth token` found.
pub enum Outcome {
    Token(Box<Issued>),
    /// The registry issues no bearer tokens: it asks for Basic, or for nothing.
    NoBearer {
        reason: String,
    },
    /// The credential, the token service or the registry said no, or could not be reached; the first
    /// failing finding has the verdict.
    Failed(Vec<Finding>),
}

pub struct Issued {
    pub token: Secret,
    pub registry: String,
    pub repository: String,
    pub scopes: Vec<String>,
    pub realm: String,
    pub service: Option<String>,
    /// When the cache stops serving it (Unix seconds).
    pub expires_at: i64,
    pub from_cache: bool,
    /// The JWT's claims, cleaned for a terminal and redacted of the credential; `None` for opaque tokens.
    pub claims: Option<Claims>,
    /// The actions the token grants on the repository (its claims); `None` for an opaque token, whose
    /// grant could not be checked.
    pub granted: Option<Vec<String>>,
}

impl Outcome {
    pub fn exit(&self) -> Exit {
        match self {
            Outcome::Token(_) => Exit::Ok,
            Outcome::NoBearer { .. } => Exit::NotFound,
            Outcome::Failed(findings) => {
                findings.iter().find(|f| f.verdict.is_failure()).map_or(Exit::Internal, |f| f.verdict.exit())
            }
        }
    }
}

/// Get the token; `notes` receives what the cache discarded or could not do (never a failure).
pub fn run(mut input: Input, notes: &mut dyn FnMut(String)) -> Outcome {
    let lookup = std::mem::replace(&mut input.lookup, Lookup::Anonymous);
    let credential = match credential_for(&input.reference, lookup) {
        Ok(c) => c,
        Err(finding) => return Outcome::Failed(vec![*finding]),
    };
    let cache = open_cache(&input, notes);
    let asked = Asked { reference: &input.reference, push: input.push };
    if let Some(outcome) = cache.as_ref().and_then(|c| hit(&asked, credential.as_ref(), c)) {
        cache.iter().flat_map(TokenCache::take_notes).for_each(&mut *notes);
        return outcome;
    }
    let fingerprint = |cache: &TokenCache| fingerprint_of(cache, credential.as_ref());
    let outcome = miss(&input, credential.as_ref(), cache.as_ref(), &asked.scopes(), &fingerprint);
    if let Some(cache) = &cache {
        cache.take_notes().into_iter().for_each(notes);
    }
    asked.checked(outcome, credential.is_none())
}

/// The hit path alone, for `regauth`'s small front program (cli::front): the token for `credential` (`None`:
/// anonymous) when the cache holds a live one, else `None`, and the caller runs the whole command, which
/// goes to the network. It takes the credential found, not a lookup, so that the front links no client's
/// lookup but the one it made, no runtime and no HTTP client. `notes` gets what the cache discarded on the
/// way, which the whole command would not see again.
pub fn from_cache(
    reference: &Reference,
    push: bool,
    env: &Environ,
    credential: Option<&Credential>,
    notes: &mut dyn FnMut(String),
) -> Option<Outcome> {
    let cache = TokenCache::open(env).ok()?;
    let outcome = hit(&Asked { reference, push }, credential, &cache);
    cache.take_notes().into_iter().for_each(notes);
    outcome
}

fn open_cache(input: &Input, notes: &mut dyn FnMut(String)) -> Option<TokenCache> {
    if !input.use_cache {
        return None;
    }
    TokenCache::open(&input.env).map_err(|e| notes(e.to_string())).ok()
}

/// What a token is asked for: the repository, and whether to push.
struct Asked<'a> {
    reference: &'a Reference,
    push: bool,
}

impl Asked<'_> {
    fn scopes(&self) -> Vec<String> {
        let actions: &[&str] = if self.push { &["pull", "push"] } else { &["pull"] };
        vec![Scope::repository(&self.reference.repository, actions).to_string()]
    }

    /// A token whose claims lack an action that was asked is no token for the job: diagnose's verdict
    /// instead.
    fn checked(&self, outcome: Outcome, anonymous: bool) -> Outcome {
        let Outcome::Token(issued) = &outcome else { return outcome };
        let Some(granted) = &issued.granted else { return outcome };
        match grant::judge(self.reference, &issued.realm, granted, self.push, anonymous) {
            Some(findings) => Outcome::Failed(findings),
            None => outcome,
        }
    }
}

fn fingerprint_of(cache: &TokenCache, credential: Option<&Credential>) -> Fingerprint {
    match credential {
        Some(c) => cache.fingerprint(&c.username, &c.secret),
        None => Fingerprint::anonymous(),
    }
}

/// A live token in the cache for these scopes and this credential, judged like a fetched one.
fn hit(asked: &Asked, credential: Option<&Credential>, cache: &TokenCache) -> Option<Outcome> {
    let registry = &asked.reference.registry;
    let (realm, service) = cache.service_for(registry)?;
    let scopes = asked.scopes();
    let key =
        Key::new(registry, &realm, service.as_deref(), scopes.clone(), fingerprint_of(cache, credential));
    let served = cache.get(&key)?;
    let outcome = issued(asked.reference, served, scopes, realm, service, credential);
    Some(asked.checked(outcome, credential.is_none()))
}

fn issued(
    reference: &Reference,
    served: Served,
    scopes: Vec<String>,
    realm: String,
    service: Option<String>,
    credential: Option<&Credential>,
) -> Outcome {
    let claims = jwt::decode(served.token.expose()).map(|c| clean_claims(c, &served.token, credential));
    let granted = claims.as_ref().map(|c| c.actions_on(&reference.repository));
    Outcome::Token(Box::new(Issued {
        token: served.token,
        registry: reference.registry.clone(),
        repository: reference.repository.clone(),
        scopes,
        realm,
        service,
        expires_at: served.expires_at,
        from_cache: served.from_cache,
        claims,
        granted,
    }))
}

/// Claims are the token service's text: redacted of the credential, made safe for a terminal, cut.
fn clean_claims(claims: Claims, token: &Secret, credential: Option<&Credential>) -> Claims {
    // Every form of the token is at least as long as the token, and they are applied first, to the claim as
    // it came: a claim shorter than the token cannot hold one. Making the forms of a JWT cost ~70,000
    // instructions of a cache hit, for claims that are almost always shorter.
    let texts = [&claims.issuer, &claims.subject, &claims.audience].into_iter().flatten();
    let access = claims.access.iter().flat_map(|a| [&a.kind, &a.name].into_iter().chain(&a.actions));
    let longest = texts.chain(access).map(String::len).max().unwrap_or(0);
    let mut forms = if longest >= token.len() { token.forms(None) } else { Vec::new() };
    if let Some(c) = credential {
        forms.extend(c.secret.forms(Some(&c.username)));
    }
    let text = |t: String| for_terminal(&regauth_core::secret::redact_forms(&t, &forms), MAX_CLAIM);
    Claims {
        issuer: claims.issuer.map(text),
        subject: claims.subject.map(text),
        audience: claims.audience.map(text),
        access: claims
            .access
            .into_iter()
            .take(32)
            .map(|a| jwt::Access {
                kind: text(a.kind),
                name: text(a.name),
                actions: a.actions.into_iter().take(32).map(text).collect(),
            })
            .collect(),
        ..claims
    }
}

fn network(summary: String) -> Outcome {
    Outcome::Failed(vec![Finding::new(Step::Reachability, Verdict::Network, summary)])
}

/// Why a fetch inside the cache did not give a token.
enum NotIssued {
    /// A token that lacks an asked action (its grant on the repository): not cached, judged.
    Short(Vec<String>),
    Refused(Box<Reply>),
    Failed(Failure),
    TimedOut,
}

fn miss(
    input: &Input,
    credential: Option<&Credential>,
    cache: Option<&TokenCache>,
    scopes: &[String],
    fingerprint: &dyn Fn(&TokenCache) -> Fingerprint,
) -> Outcome {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return network(format!("cannot start the network runtime: {e}")),
    };
    let ca_files =
        match crate::http::tls::ca_files(&input.reference.registry, &input.certs_dirs, &input.ca_files) {
            Ok(files) => files,
            // A hosts.toml that cannot be read leaves the trusted CAs unknown: this machine's configuration.
            Err(e) => {
                return Outcome::Failed(vec![Finding::new(
                    Step::Reachability,
                    Verdict::LocalConfig,
                    for_terminal(&e.to_string(), 2000),
                )])
            }
        };
    let tls = TlsOptions { ca_files, insecure: input.insecure };
    let transport = match Transport::new(&tls) {
        Ok(t) => t,
        Err(e) => {
            return Outcome::Failed(vec![Finding::new(
                Step::Reachability,
                Verdict::LocalConfig,
                for_terminal(&e.to_string(), 2000),
            )])
        }
    };
    if let Some(c) = credential {
        transport.redact(&c.secret);
    }
    let deadline = tokio::time::Instant::now() + input.timeout;
    let reference = &input.reference;
    let contact = within(&runtime, deadline, first_contact(&transport, reference, input.insecure));
    let (base, reply) = match contact {
        Err(_) => return network(format!("no answer from {} within the timeout", reference.registry)),
        Ok(Err(f)) => return network(format!("cannot reach {}: {}", reference.registry, f.cause)),
        Ok(Ok(c)) => c,
    };
    let bearer = reply.challenges.iter().find(|c| c.is_bearer()).filter(|_| reply.status == 401);
    let Some(bearer) = bearer else {
        let reason = match reply.status {
            401 if reply.challenges.iter().any(|c| c.is_basic()) => {
                "the registry uses Basic authentication: it issues no bearer tokens (send the credential \
                 itself)"
                    .to_owned()
            }
            200..=299 => {
                "the registry does not ask for authentication: there is no bearer token to get".to_owned()
            }
            429 => {
                return Outcome::Failed(vec![Finding::new(
                    Step::Reachability,
                    Verdict::RateLimited,
                    "the registry is rate limiting",
                )])
            }
            status => {
                return network(format!(
                    "the registry answered GET /v2/ with {status} and no Bearer challenge"
                ))
            }
        };
        return Outcome::NoBearer { reason };
    };
    let Some(realm) = bearer.param("realm").map(str::to_owned) else {
        return network("the registry's Bearer challenge names no realm".into());
    };
    let service = bearer.param("service").map(str::to_owned);
    let scope_list: Vec<Scope> = scopes.iter().filter_map(|s| Scope::parse(s)).collect();
    let endpoint = TokenService { realm: &realm, service: service.as_deref() };
    let fetch_now = || -> Result<Fetched, NotIssued> {
        let outcome =
            within(&runtime, deadline, fetch::fetch(&transport, endpoint, &scope_list, login_of(credential)));
        match outcome {
            Err(_) => Err(NotIssued::TimedOut),
            Ok(TokenOutcome::Granted { claims: Some(claims), .. })
                if grant::judge(
                    reference,
                    &realm,
                    &claims.actions_on(&reference.repository),
                    input.push,
                    false,
                )
                .is_some() =>
            {
                Err(NotIssued::Short(claims.actions_on(&reference.repository)))
            }
            Ok(TokenOutcome::Granted { token, claims, .. }) => Ok(Fetched {
                jwt_exp: claims.as_ref().and_then(|c| c.expires_at),
                issued_at: token.issued_at.as_deref().and_then(rfc3339),
                expires_in: Some(token.expires_in),
                token: token.token,
            }),
            Ok(TokenOutcome::Refused(reply)) => Err(NotIssued::Refused(Box::new(reply))),
            Ok(TokenOutcome::Failed(f)) => Err(NotIssued::Failed(f)),
        }
    };
    let result = match cache {
        Some(cache) => {
            cache.remember_service(&reference.registry, &realm, service.as_deref());
            let key = Key::new(
                &reference.registry,
                &realm,
                service.as_deref(),
                scopes.to_vec(),
                fingerprint(cache),
            );
            cache.get_or_fetch(&key, fetch_now)
        }
        None => fetch_now().map(|f| Served {
            expires_at: regauth_core::token_cache::expires_at(&f, now_unix()),
            token: f.token,
            from_cache: false,
            stored: false,
        }),
    };
    match result {
        Ok(served) => issued(reference, served, scopes.to_vec(), realm, service, credential),
        Err(NotIssued::Short(granted)) => {
            let judged = grant::judge(reference, &realm, &granted, input.push, credential.is_none());
            Outcome::Failed(judged.unwrap_or_default())
        }
        Err(NotIssued::TimedOut) => network("the token service did not answer within the timeout".into()),
        Err(NotIssued::Failed(f)) => network(format!("the token service could not be used: {}", f.cause)),
        Err(NotIssued::Refused(reply)) => {
            let judged = |reply: &Reply, push: bool| {
                judge_token_refusal(
                    &transport,
                    reference,
                    &base,
                    &realm,
                    service.as_deref(),
                    credential,
                    reply,
                    push,
                )
            };
            if !input.push {
                return Outcome::Failed(judged(&reply, false));
            }
            // Pull and push were asked for at once: as diagnose does, pull decides whether the credential
            // itself is refused, and only then is the refusal about push.
            let pull = [Scope::repository(&reference.repository, &["pull"])];
            let pulled =
                within(&runtime, deadline, fetch::fetch(&transport, endpoint, &pull, login_of(credential)));
            match pulled {
                Ok(TokenOutcome::Refused(pull_reply)) => Outcome::Failed(judged(&pull_reply, false)),
                _ => Outcome::Failed(judged(&reply, true)),
            }
        }
    }
}

fn login_of(credential: Option<&Credential>) -> Login<'_> {
    match credential {
        None => Login::Anonymous,
        Some(c) if c.kind == CredentialKind::IdentityToken => {
            Login::Refresh { username: &c.username, token: &c.secret }
        }
        Some(c) => Login::Password { username: &c.username, password: &c.secret },
    }
}

/// An anonymous `GET /v2/`, by the one first-contact rule (`http::contact`).
async fn first_contact(
    transport: &Transport,
    reference: &Reference,
    insecure: bool,
) -> Result<(String, Reply), Failure> {
    let host = RegistryHost::new(&reference.registry);
    let get =
        |base: String| transport.send(Request::new(reqwest::Method::GET, format!("{base}/v2/"), Auth::None));
    let contact = crate::http::contact::first_contact(&host, insecure, get).await?;
    Ok((contact.base, contact.reply))
}

fn rfc3339(text: &str) -> Option<i64> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// `future` run to its end or to `deadline`, on `runtime` (the timer is made inside it).
fn within<F: std::future::Future>(
    runtime: &tokio::runtime::Runtime,
    deadline: tokio::time::Instant,
    future: F,
) -> Result<F::Output, tokio::time::error::Elapsed> {
    runtime.block_on(async move { tokio::time::timeout_at(deadline, future).await })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(subject: &str, name: &str) -> Claims {
        Claims {
            issuer: Some("issuer".into()),
            subject: Some(subject.into()),
            audience: None,
            expires_at: None,
            not_before: None,
            access: vec![jwt::Access {
                kind: "repository".into(),
                name: name.into(),
                actions: vec!["pull".into()],
            }],
        }
    }

    /// The token's forms are skipped only for claims too short to hold one: a claim that holds the token
    /// (or its base64) is still redacted, and so is the credential in a short claim.
    #[test]
    fn claims_are_redacted_of_the_token_and_the_credential() {
        let token = Secret::new("eyJ.a-long-enough-token-value-0123456789");
        let credential = Credential {
            username: "ci".into(),
            secret: Secret::new("pw-secret-42"),
            kind: CredentialKind::Password,
        };
        let b64 = {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(token.expose())
        };
        let cases = [
            (format!("me {}", token.expose()), "me <redacted>"),
            (format!("x{b64}"), "x<redacted>"),
            ("me pw-secret-42".to_owned(), "me <redacted>"),
            ("plain".to_owned(), "plain"),
        ];
        for (subject, shown) in cases {
            let cleaned = clean_claims(claims(&subject, "team/app"), &token, Some(&credential));
            assert_eq!(cleaned.subject.as_deref(), Some(shown), "{subject}");
            assert_eq!(cleaned.access[0].name, "team/app");
        }
        let cleaned = clean_claims(claims("s", token.expose()), &token, None);
        assert_eq!(cleaned.access[0].name, "<redacted>");
    }
}
