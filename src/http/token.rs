//! Token endpoint responses: `token` and/or `access_token`, `expires_in`, `issued_at`, `refresh_token`
//! (distribution docs/spec/auth/token.md and oauth.md).

use super::body::{is_object, value, Lenient};
use regauth_core::secret::Secret;
use serde::Deserialize;

/// The default lifetime when `expires_in` is missing or not positive, per the token spec.
pub const DEFAULT_EXPIRES_IN: u64 = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenResponse {
    /// `token`, else `access_token`.
    pub token: Secret,
    pub expires_in: u64,
    pub issued_at: Option<String>,
    pub refresh_token: Option<Secret>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenResponseError {
    #[error("the token response is not a JSON object")]
    NotAnObject,
    #[error("the token response has neither \"token\" nor \"access_token\"")]
    NoToken,
}

/// The body as sent; the secrets in it become [`Secret`]s at once.
#[derive(Deserialize)]
struct Body {
    token: Option<Lenient<String>>,
    access_token: Option<Lenient<String>>,
    expires_in: Option<Lenient<serde_json::Number>>,
    issued_at: Option<Lenient<String>>,
    refresh_token: Option<Lenient<String>>,
}

/// `expires_in`: whole seconds, or a fraction some servers send (a JSON number either way; serde_json's
/// exact numbers are read through [`serde_json::Number`]).
fn lifetime(n: serde_json::Number) -> Option<u64> {
    n.as_u64().or_else(|| n.as_f64().filter(|f| *f >= 1.0).map(|f| f as u64))
}

impl TokenResponse {
    /// Parse a 200 body. Unknown fields are ignored; wrong types count as absent.
    pub fn parse(body: &[u8]) -> Result<TokenResponse, TokenResponseError> {
        if !is_object(body) {
            return Err(TokenResponseError::NotAnObject);
        }
        let body: Body = serde_json::from_slice(body).map_err(|_| TokenResponseError::NotAnObject)?;
        let text = |field: Option<Lenient<String>>| value(field).filter(|s| !s.is_empty());
        let token =
            text(body.token).or_else(|| text(body.access_token)).ok_or(TokenResponseError::NoToken)?;
        let expires_in =
            value(body.expires_in).and_then(lifetime).filter(|n| *n > 0).unwrap_or(DEFAULT_EXPIRES_IN);
        Ok(TokenResponse {
            token: Secret::new(token),
            expires_in,
            issued_at: text(body.issued_at),
            refresh_token: text(body.refresh_token).map(Secret::new),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_table() {
        #[rustfmt::skip]
        type Want<'a> = Result<(&'a str, u64, Option<&'a str>, Option<&'a str>), TokenResponseError>;
        let cases: Vec<(&str, Want)> = vec![
            (r#"{"token":"t"}"#, Ok(("t", 60, None, None))),
            (r#"{"access_token":"a"}"#, Ok(("a", 60, None, None))),
            (r#"{"token":"t","access_token":"a"}"#, Ok(("t", 60, None, None))),
            (r#"{"token":"","access_token":"a"}"#, Ok(("a", 60, None, None))),
            (
                r#"{"token":"t","expires_in":300,"issued_at":"2024-01-01T00:00:00Z"}"#,
                Ok(("t", 300, Some("2024-01-01T00:00:00Z"), None)),
            ),
            (r#"{"token":"t","expires_in":0}"#, Ok(("t", 60, None, None))),
            (r#"{"token":"t","expires_in":-5}"#, Ok(("t", 60, None, None))),
            (r#"{"token":"t","expires_in":"300"}"#, Ok(("t", 60, None, None))),
            (r#"{"token":"t","expires_in":299.9}"#, Ok(("t", 299, None, None))),
            (
                r#"{"access_token":"a","refresh_token":"r","scope":"repository:x:pull"}"#,
                Ok(("a", 60, None, Some("r"))),
            ),
            (r#"{"token":5}"#, Err(TokenResponseError::NoToken)),
            (r#"{}"#, Err(TokenResponseError::NoToken)),
            (r#"[]"#, Err(TokenResponseError::NotAnObject)),
            (r#"<html>"#, Err(TokenResponseError::NotAnObject)),
            ("", Err(TokenResponseError::NotAnObject)),
        ];
        for (body, want) in cases {
            let got = TokenResponse::parse(body.as_bytes());
            let want = want.map(|(t, e, i, r)| TokenResponse {
                token: Secret::new(t),
                expires_in: e,
                issued_at: i.map(str::to_owned),
                refresh_token: r.map(Secret::new),
            });
            assert_eq!(got, want, "{body}");
        }
    }
}
