//! What the steps after first contact read and none of them writes: the image, the registry as its answer
//! described it, the credential. Also the pieces several steps use: the manifest request, the session a
//! request authenticates with, and what an answer said. Nothing here is shared between diagnoses.

use super::registries::{self, Problem, RegistryType};
use crate::http::fetch::Login;
use crate::http::transport::{Auth, Failure, Reply, Request, Transport};
use crate::resolve::{Credential, CredentialKind};
use regauth_core::reference::Reference;
use regauth_core::sanitize::one_line;
use regauth_core::secret::Secret;
use reqwest::Method;

/// Every manifest media type: an OCI manifest asked for without the OCI type answers 404.
const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
    application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, \
    application/vnd.docker.distribution.manifest.v2+json";

/// Told about progress and warnings as they happen (the CLI shows them on stderr).
pub trait Observer: Send + Sync {
    fn step(&self, what: &str);
    fn warn(&self, text: &str);
}

/// The facts of one diagnosis once the registry has answered.
pub(super) struct Context<'a> {
    pub(super) transport: &'a Transport,
    pub(super) observer: &'a dyn Observer,
    pub(super) reference: &'a Reference,
    pub(super) push: bool,
    /// As in the image reference: `docker.io`, `127.0.0.1:5000`.
    pub(super) host: &'a str,
    /// The base URL that answered first contact.
    pub(super) base: &'a str,
    pub(super) kind: RegistryType,
    /// The Bearer challenge's token service, when there was one.
    pub(super) realm: Option<&'a str>,
    pub(super) service: Option<&'a str>,
    pub(super) credential: Option<&'a Credential>,
}

impl Context<'_> {
    pub(super) fn repository(&self) -> &str {
        &self.reference.repository
    }

    pub(super) fn anonymous(&self) -> bool {
        self.credential.is_none()
    }

    /// Whether the credential is an identity (refresh) token: a refusal of it is not a wrong password.
    pub(super) fn identity_token(&self) -> bool {
        self.credential.is_some_and(|c| c.kind == CredentialKind::IdentityToken)
    }

    /// What to do about `problem` on this registry, with a namespace hint where it applies. A refused
    /// identity token gets its own fix whatever the registry: it is not a password to check.
    pub(super) fn fix(&self, problem: Problem) -> String {
        let problem = match problem {
            Problem::BadCredential | Problem::ExpiredCredential if self.identity_token() => {
                Problem::IdentityTokenRefused
            }
            p => p,
        };
        let repository = self.repository();
        let mut fix = registries::fix(self.kind, problem, self.host, repository);
        let username = self.credential.map(|c| c.username.as_str()).unwrap_or_default();
        if let Some(hint) = registries::namespace_hint(self.kind, problem, username, repository) {
            fix.push(' ');
            fix.push_str(&hint);
        }
        fix
    }

    pub(super) fn auth<'s>(&'s self, session: &'s Session) -> Auth<'s> {
        match (session, self.credential) {
            (Session::Bearer(token), _) => Auth::Bearer(token),
            (Session::Basic, Some(c)) => Auth::Basic(&c.username, &c.secret),
            _ => Auth::None,
        }
    }

    /// How a token request proves who asks.
    pub(super) fn login(&self) -> Login<'_> {
        match self.credential {
            None => Login::Anonymous,
            Some(c) if c.kind == CredentialKind::IdentityToken => {
                Login::Refresh { username: &c.username, token: &c.secret }
            }
            Some(c) => Login::Password { username: &c.username, password: &c.secret },
        }
    }

    pub(super) async fn manifest(&self, method: Method, auth: Auth<'_>) -> Result<Reply, Failure> {
        self.transport.send(manifest_request(method, self.base, self.reference, auth)).await
    }
}

/// `METHOD <base>/v2/<name>/manifests/<reference>` accepting every manifest type.
pub(crate) fn manifest_request<'a>(
    method: Method,
    base: &str,
    reference: &Reference,
    auth: Auth<'a>,
) -> Request<'a> {
    let url = format!("{base}/v2/{}/manifests/{}", reference.repository, reference.manifest_reference());
    let mut req = Request::new(method, url, auth);
    req.accept = Some(MANIFEST_ACCEPT);
    req
}

/// How requests to the registry authenticate once the challenge is known.
pub(super) enum Session {
    None,
    Basic,
    Bearer(Secret),
}

/// What an answer said, as findings quote it (untrusted text already made one safe line).
#[derive(Debug, Clone)]
pub(super) struct Said {
    pub(super) status: u16,
    pub(super) message: String,
    /// The challenge's `error=`: `invalid_token`, `insufficient_scope`.
    pub(super) challenge_error: Option<String>,
    /// The rate-limit headers, or a sentence saying there were none.
    pub(super) limits: String,
    pub(super) index: usize,
}

impl Said {
    pub(super) fn of(reply: &Reply) -> Said {
        Said {
            status: reply.status,
            message: one_line(&reply.message()),
            challenge_error: reply.challenge_error().map(one_line),
            limits: limits(reply),
            index: reply.index,
        }
    }

    pub(super) fn registry_said(&self) -> String {
        format!("registry said: {} {}", self.status, self.message)
    }

    pub(super) fn token_service_said(&self) -> String {
        format!("token service said: {} {}", self.status, self.message)
    }

    pub(super) fn challenge_detail(&self) -> Option<String> {
        self.challenge_error.as_ref().map(|e| format!("challenge error: {e}"))
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

/// Seconds since the Unix epoch, for token expiry.
pub(super) fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
