//! Fetching a bearer token from a challenge's realm: GET with Basic credentials (docker's way), or the
//! OAuth2 POST `refresh_token` grant when an identity token is stored, falling back to GET when the token
//! server does not take POST (GitLab answers 404).

use super::challenge::Scope;
use super::token::TokenResponse;
use super::transport::{Auth, Failure, Reply, Request, Transport, MAX_BODY_READ};
use regauth_core::jwt::{self, Access, Claims};
use regauth_core::secret::Secret;
use reqwest::Method;

/// The client id sent with OAuth2 requests, as docker sends its own name.
const CLIENT_ID: &str = "regauth";
/// The longest text of a token's claims that is kept (a subject, a repository name, an action).
const MAX_CLAIM: usize = 200;
/// The most `access` entries, and actions in one, that are kept.
const MAX_ACCESS: usize = 32;

/// Who asks for the token.
pub enum Login<'a> {
    Anonymous,
    Password { username: &'a str, password: &'a Secret },
    Refresh { username: &'a str, token: &'a Secret },
}

pub enum TokenOutcome {
    Granted {
        token: TokenResponse,
        claims: Option<Claims>,
        index: usize,
    },
    /// The token endpoint answered, but not with a token.
    Refused(Reply),
    Failed(Failure),
}

/// Where tokens come from: a Bearer challenge's `realm` and `service`.
#[derive(Debug, Clone, Copy)]
pub struct TokenService<'a> {
    pub realm: &'a str,
    pub service: Option<&'a str>,
}

/// Ask the token service for a token covering `scopes`.
pub async fn fetch(
    transport: &Transport,
    endpoint: TokenService<'_>,
    scopes: &[Scope],
    login: Login<'_>,
) -> TokenOutcome {
    let TokenService { realm, service } = endpoint;
    let scope_texts: Vec<String> = scopes.iter().map(Scope::to_string).collect();
    let result = match login {
        Login::Refresh { username, token } => {
            let post = post_refresh(transport, realm, service, &scope_texts, token).await;
            match post {
                Ok(reply) if reply.status == 404 || reply.status == 405 => {
                    get(transport, realm, service, &scope_texts, Auth::Basic(username, token), Some(username))
                        .await
                }
                other => other,
            }
        }
        Login::Password { username, password } => {
            get(transport, realm, service, &scope_texts, Auth::Basic(username, password), Some(username))
                .await
        }
        Login::Anonymous => get(transport, realm, service, &scope_texts, Auth::None, None).await,
    };
    let reply = match result {
        Ok(reply) => reply,
        Err(failure) => return TokenOutcome::Failed(failure),
    };
    if reply.from_other_origin {
        return TokenOutcome::Failed(other_origin(&reply));
    }
    if reply.status != 200 {
        return TokenOutcome::Refused(reply);
    }
    // The one place a body is read as sent: the token in it is not known to the transport yet.
    match TokenResponse::parse(reply.secret_body()) {
        Ok(token) => {
            transport.redact(&token.token);
            if let Some(r) = &token.refresh_token {
                transport.redact(r);
            }
            // Claims are text from the token service like any other: redacted, made safe, cut.
            let claims = jwt::decode(token.token.expose()).map(|c| clean_claims(transport, c));
            if let Some(c) = &claims {
                let granted = c
                    .access
                    .iter()
                    .map(|a| format!("{}:{}:{}", a.kind, a.name, a.actions.join(",")))
                    .map(|g| transport.clean(&g, MAX_CLAIM))
                    .collect();
                transport.set_granted(reply.index, granted);
            }
            TokenOutcome::Granted { token, claims, index: reply.index }
        }
        Err(e) => {
            let cut = if reply.body.len() >= MAX_BODY_READ {
                format!(" (body cut at {MAX_BODY_READ} bytes)")
            } else {
                String::new()
            };
            TokenOutcome::Failed(Failure::protocol(format!("{e}{cut}"), Some(reply.index)))
        }
    }
}

/// The token service redirected to another origin, which answered: the credential was not sent there, so
/// neither a token nor a refusal from it says anything about the credential, and a token from it is not used.
pub fn other_origin(reply: &Reply) -> Failure {
    Failure::protocol(
        format!(
            "the token service redirected to another origin, which answered {}: the credential is never sent \
             there, so what it answers proves nothing and its token is not used",
            reply.status
        ),
        Some(reply.index),
    )
}

/// Every text of the claims redacted and made safe for a terminal, each cut to [`MAX_CLAIM`] characters.
fn clean_claims(transport: &Transport, claims: Claims) -> Claims {
    let text = |t: String| transport.clean(&t, MAX_CLAIM);
    Claims {
        issuer: claims.issuer.map(text),
        subject: claims.subject.map(text),
        audience: claims.audience.map(text),
        access: claims
            .access
            .into_iter()
            .take(MAX_ACCESS)
            .map(|a| Access {
                kind: text(a.kind),
                name: text(a.name),
                actions: a.actions.into_iter().take(MAX_ACCESS).map(text).collect(),
            })
            .collect(),
        ..claims
    }
}

async fn get(
    transport: &Transport,
    realm: &str,
    service: Option<&str>,
    scopes: &[String],
    auth: Auth<'_>,
    account: Option<&str>,
) -> Result<Reply, Failure> {
    let mut url = match reqwest::Url::parse(realm) {
        Ok(url) => url,
        Err(e) => return Err(Failure::protocol(format!("the realm is not a URL: {e}"), None)),
    };
    {
        let mut query = url.query_pairs_mut();
        if let Some(s) = service {
            query.append_pair("service", s);
        }
        for scope in scopes {
            query.append_pair("scope", scope);
        }
        if let Some(a) = account.filter(|a| !a.is_empty()) {
            query.append_pair("account", a);
        }
    }
    let mut req = Request::new(Method::GET, url.as_str(), auth);
    req.scopes_asked = scopes.to_vec();
    transport.send(req).await
}

async fn post_refresh(
    transport: &Transport,
    realm: &str,
    service: Option<&str>,
    scopes: &[String],
    token: &Secret,
) -> Result<Reply, Failure> {
    let joined = scopes.join(" ");
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", token.expose()),
        ("client_id", CLIENT_ID),
        ("access_type", "offline"),
    ];
    if let Some(s) = service {
        form.push(("service", s));
    }
    if !scopes.is_empty() {
        form.push(("scope", &joined));
    }
    let mut req = Request::new(Method::POST, realm, Auth::None);
    req.form = Some(form);
    req.refresh = true;
    req.scopes_asked = scopes.to_vec();
    transport.send(req).await
}
