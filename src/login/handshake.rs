//! Login's handshake, as docker's: GET /v2/ (https; plain http on loopback or with --insecure), then for
//! a Bearer challenge a token for no scope with offline_token=true and GET /v2/ with it, or GET /v2/ with
//! Basic. What came of it is [`Verified`] or [`NotVerified`] (with the exit code it means); nothing is
//! stored here.

use crate::exit::Exit;
use crate::http::token::TokenResponse;
use crate::http::transport::{Auth, Failure, Reply, Request, Transport};
use regauth_core::registry::RegistryHost;
use regauth_core::sanitize::one_line;
use regauth_core::secret::Secret;
use reqwest::Method;

/// The client id sent to token services, as docker sends its own name.
pub const CLIENT_ID: &str = "regauth";
/// How the credential was proven.
pub enum Verified {
    NoAuth { url: String },
    Basic { url: String },
    Bearer { url: String, realm: String, identity: Option<Secret> },
}

/// Why it was not.
pub struct NotVerified {
    pub exit: Exit,
    pub summary: String,
}

/// docker's check: GET /v2/ (https; plain http on loopback or with --insecure), then for a Bearer
/// challenge a token for no scope with offline_token=true and GET /v2/ with it, or GET /v2/ with Basic.
pub async fn verify(
    transport: &Transport,
    host: &RegistryHost,
    insecure: bool,
    username: &str,
    secret: &Secret,
) -> Result<Verified, NotVerified> {
    let get = |base: String| async move { get_v2(transport, &base, Auth::None).await };
    let (base, first) = match crate::http::contact::first_contact(host, insecure, get).await {
        Ok(contact) => (contact.base, contact.reply),
        Err(f) => return Err(unreachable(host, &f)),
    };
    let url = format!("{base}/v2/");
    match first.status {
        200 => return Ok(Verified::NoAuth { url }),
        401 => {}
        status => return Err(unexpected(transport, "the registry", status, &first)),
    }
    if let Some(bearer) = first.challenges.iter().find(|c| c.is_bearer()) {
        let Some(realm) = bearer.param("realm").map(str::to_owned) else {
            return Err(NotVerified {
                exit: Exit::Network,
                summary: "the registry's Bearer challenge names no realm".into(),
            });
        };
        let service = bearer.param("service").map(str::to_owned);
        let token = token(transport, &realm, service.as_deref(), username, secret).await?;
        let check = get_v2(transport, &base, Auth::Bearer(&token.token)).await;
        return match check {
            Ok(reply) if reply.status == 200 => {
                Ok(Verified::Bearer { url, realm, identity: token.refresh_token })
            }
            Ok(reply) => Err(NotVerified {
                exit: Exit::AuthenticationFailed,
                summary: format!(
                    "the registry refused the token its token service issued (HTTP {}): {}",
                    reply.status,
                    transport.clean(&reply.message(), 300)
                ),
            }),
            Err(f) => Err(unreachable(host, &f)),
        };
    }
    if first.challenges.iter().any(|c| c.is_basic()) {
        return match get_v2(transport, &base, Auth::Basic(username, secret)).await {
            Ok(reply) if reply.status == 200 => Ok(Verified::Basic { url }),
            Ok(reply) if reply.status == 401 || reply.status == 403 => Err(NotVerified {
                exit: Exit::AuthenticationFailed,
                summary: format!(
                    "the registry refused {}'s credential (HTTP {}): {}",
                    one_line(username),
                    reply.status,
                    transport.clean(&reply.message(), 300)
                ),
            }),
            Ok(reply) => Err(unexpected(transport, "the registry", reply.status, &reply)),
            Err(f) => Err(unreachable(host, &f)),
        };
    }
    Err(NotVerified {
        exit: Exit::Network,
        summary: "the registry answered 401 without a Basic or Bearer challenge".into(),
    })
}

async fn get_v2(transport: &Transport, base: &str, auth: Auth<'_>) -> Result<Reply, Failure> {
    transport.send(Request::new(Method::GET, format!("{base}/v2/"), auth)).await
}

/// A token for no scope, asked with offline_token=true as docker asks, so that a token service that hands
/// out identity (refresh) tokens gives one.
async fn token(
    transport: &Transport,
    realm: &str,
    service: Option<&str>,
    username: &str,
    secret: &Secret,
) -> Result<TokenResponse, NotVerified> {
    let mut url = reqwest::Url::parse(realm).map_err(|e| NotVerified {
        exit: Exit::Network,
        summary: format!("the challenge's realm is not a URL: {e}"),
    })?;
    {
        let mut query = url.query_pairs_mut();
        if let Some(s) = service {
            query.append_pair("service", s);
        }
        query.append_pair("client_id", CLIENT_ID);
        query.append_pair("offline_token", "true");
        query.append_pair("account", username);
    }
    let reply = transport
        .send(Request::new(Method::GET, url.as_str(), Auth::Basic(username, secret)))
        .await
        .map_err(|f| NotVerified {
            exit: Exit::Network,
            summary: format!("the token service did not answer: {}", f.cause),
        })?;
    if reply.from_other_origin {
        return Err(NotVerified {
            exit: Exit::Network,
            summary: format!("not authenticated: {}", crate::http::fetch::other_origin(&reply).cause),
        });
    }
    match reply.status {
        200 => {}
        401 | 403 => {
            return Err(NotVerified {
                exit: Exit::AuthenticationFailed,
                summary: format!(
                    "the token service refused {}'s credential (HTTP {}): {}",
                    one_line(username),
                    reply.status,
                    transport.clean(&reply.message(), 300)
                ),
            })
        }
        status => return Err(unexpected(transport, "the token service", status, &reply)),
    }
    let token = TokenResponse::parse(reply.secret_body()).map_err(|e| NotVerified {
        exit: Exit::Network,
        summary: format!("the token service's answer is not a token: {e}"),
    })?;
    transport.redact(&token.token);
    if let Some(r) = &token.refresh_token {
        transport.redact(r);
    }
    Ok(token)
}

fn unreachable(host: &RegistryHost, failure: &Failure) -> NotVerified {
    NotVerified {
        exit: Exit::Network,
        summary: format!("{} cannot be reached: {}", host.as_str(), failure.cause),
    }
}

fn unexpected(transport: &Transport, who: &str, status: u16, reply: &Reply) -> NotVerified {
    let exit = if status == 429 { Exit::RateLimited } else { Exit::Network };
    NotVerified {
        exit,
        summary: format!("{who} answered HTTP {status}: {}", transport.clean(&reply.message(), 300)),
    }
}
