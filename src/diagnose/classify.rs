//! What an answer means. Registries differ in status codes and wording (registry-auth.md's matrix); these
//! rules keep the wording checks in one place.

use super::registries::RegistryType;
use crate::http::transport::Reply;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The credential itself was refused; `expired` when the registry said so.
    Authentication {
        expired: bool,
    },
    /// The credential is valid but may not do this.
    Authorization,
    NotFound,
    RateLimited,
    /// A server-side failure (5xx) or an answer regauth cannot place.
    Server,
}

/// Docker Hub refuses a whole token request when a PAT lacks one asked action (docker/cli#4511).
pub fn is_insufficient_scopes(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("insufficient scopes") || m.contains("insufficient_scope")
}

fn says_expired(message: &str) -> bool {
    message.to_ascii_lowercase().contains("expired")
}

/// A token endpoint's non-200 answer.
pub fn token_refusal(kind: RegistryType, reply: &Reply) -> Class {
    let message = reply.message();
    match reply.status {
        429 => Class::RateLimited,
        401 | 403 if is_insufficient_scopes(&message) => Class::Authorization,
        401 | 403 if says_expired(&message) => Class::Authentication { expired: true },
        // GHCR answers 403 DENIED for an expired or revoked token.
        403 if kind == RegistryType::Ghcr => Class::Authentication { expired: false },
        // GitLab: 403 "access forbidden" for a credential without any registry scope.
        403 => Class::Authorization,
        401 | 400 => Class::Authentication { expired: false },
        404 => Class::NotFound,
        _ => Class::Server,
    }
}

/// A registry's non-2xx answer to a request made with `scheme` (`basic`, `bearer`, or none).
pub fn registry_refusal(basic: bool, reply: &Reply) -> Class {
    let message = reply.message();
    match reply.status {
        429 => Class::RateLimited,
        // htpasswd and ECR-style Basic registries have no per-repository refusal on 401.
        401 if basic => Class::Authentication { expired: says_expired(&message) },
        401 if reply.challenge_error() == Some("invalid_token") => Class::Authentication { expired: false },
        401 => Class::Authorization,
        403 if says_expired(&message) => Class::Authentication { expired: true },
        403 | 405 => Class::Authorization,
        404 => Class::NotFound,
        _ => Class::Server,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::challenge;

    fn reply(status: u16, challenge_line: &str, body: &str) -> Reply {
        Reply::new(status, challenge::parse(challenge_line), body.as_bytes(), 0)
    }

    #[test]
    fn token_endpoint_table() {
        use Class::*;
        use RegistryType::*;
        #[rustfmt::skip]
        let cases = [
            (Dockerhub, 401, r#"{"details":"incorrect username or password"}"#, Authentication { expired: false }),
            (Dockerhub, 401, r#"{"details":"access token has insufficient scopes"}"#, Authorization),
            (Dockerhub, 401, r#"{"details":"personal access token is expired"}"#, Authentication { expired: true }),
            (Ghcr, 403, r#"{"errors":[{"code":"DENIED","message":"denied"}]}"#, Authentication { expired: false }),
            (Gitlab, 403, r#"{"error":"access forbidden"}"#, Authorization),
            (Gitlab, 401, "HTTP Basic: Access denied", Authentication { expired: false }),
            (Distribution, 429, "TOOMANYREQUESTS", RateLimited),
            (Distribution, 500, "", Server),
        ];
        for (kind, status, body, want) in cases {
            assert_eq!(token_refusal(kind, &reply(status, "", body)), want, "{kind:?} {status} {body}");
        }
    }

    #[test]
    fn registry_table() {
        use Class::*;
        #[rustfmt::skip]
        let cases = [
            (false, 401, r#"Bearer realm="r",error="invalid_token""#, "", Authentication { expired: false }),
            (false, 401, r#"Bearer realm="r",error="insufficient_scope""#, "", Authorization),
            (true, 401, r#"Basic realm="r""#, "", Authentication { expired: false }),
            (true, 403, "", "Your authorization token has expired.", Authentication { expired: true }),
            (true, 403, "", "not authorized to perform: ecr:InitiateLayerUpload", Authorization),
            (false, 403, "", r#"Permission "artifactregistry.repositories.uploadArtifacts" denied"#, Authorization),
            (false, 405, "", "", Authorization),
            (false, 404, "", r#"{"errors":[{"code":"NAME_UNKNOWN"}]}"#, NotFound),
            (false, 429, "", "", RateLimited),
            (false, 502, "", "", Server),
        ];
        for (basic, status, line, body, want) in cases {
            assert_eq!(registry_refusal(basic, &reply(status, line, body)), want, "{status} {line} {body}");
        }
    }
}
