//! Wire types of the helper protocol.
//!
//! Input field names are matched case-insensitively (Go's encoding/json does so); output uses docker's
//! names. Identity tokens travel with the username `<token>`.

use crate::secret::Secret;
use serde_json::{Map, Value};

/// Longest input a helper accepts: docker's helpers read one 64 KiB line.
pub const MAX_INPUT: usize = 64 * 1024;

/// Username that marks the secret as an OAuth identity (refresh) token.
const IDENTITY_TOKEN_USERNAME: &str = "<token>";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub server_url: String,
    pub username: String,
    pub secret: Secret,
}

impl Credentials {
    pub fn is_identity_token(&self) -> bool {
        self.username == IDENTITY_TOKEN_USERNAME
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    #[error("input is longer than {MAX_INPUT} bytes")]
    TooLong,
    #[error("input is not valid JSON: {0}")]
    NotJson(String),
    #[error("input is not a JSON object")]
    NotObject,
    #[error("field {0} is not a string")]
    NotString(&'static str),
}

/// Decode a `store` request or a `get` response. Missing fields become empty strings (docker does the
/// same); the caller decides which empty fields are errors.
pub fn decode_credentials(input: &[u8]) -> Result<Credentials, WireError> {
    if input.len() > MAX_INPUT {
        return Err(WireError::TooLong);
    }
    // serde_json's message names line and column, never the input itself, so it cannot echo a secret.
    let value: Value = serde_json::from_slice(input).map_err(|e| WireError::NotJson(e.to_string()))?;
    let Value::Object(map) = value else {
        return Err(WireError::NotObject);
    };
    Ok(Credentials {
        server_url: field(&map, "serverurl", "ServerURL")?,
        username: field(&map, "username", "Username")?,
        secret: Secret::new(field(&map, "secret", "Secret")?),
    })
}

fn field(map: &Map<String, Value>, lower: &str, name: &'static str) -> Result<String, WireError> {
    // Go picks the exact-case match first, then any case-insensitive one.
    let found = map.get(name).or_else(|| map.iter().find(|(k, _)| k.to_lowercase() == lower).map(|(_, v)| v));
    match found {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(WireError::NotString(name)),
    }
}

/// Encode credentials the way docker's helpers do: one JSON object and a newline, with `<`, `>` and `&`
/// escaped as Go does (clients then send `\u003ctoken\u003e` back in `store`).
pub fn encode_credentials(creds: &Credentials) -> String {
    let mut out = String::from("{\"ServerURL\":");
    out.push_str(&go_json_string(&creds.server_url));
    out.push_str(",\"Username\":");
    out.push_str(&go_json_string(&creds.username));
    out.push_str(",\"Secret\":");
    out.push_str(&go_json_string(creds.secret.expose()));
    out.push_str("}\n");
    out
}

/// A JSON string literal with Go's HTML-safe escaping.
pub(crate) fn go_json_string(s: &str) -> String {
    let plain = serde_json::to_string(s).expect("a string always serialises");
    plain
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> Credentials {
        decode_credentials(input.as_bytes()).unwrap()
    }

    #[test]
    fn decode_table() {
        let c = ok(r#"{"ServerURL":"h","Username":"u","Secret":"s"}"#);
        assert_eq!((c.server_url.as_str(), c.username.as_str(), c.secret.expose()), ("h", "u", "s"));
        let c = ok(r#"{"serverurl":"h","USERNAME":"u","secret":"s","Extra":1}"#);
        assert_eq!((c.server_url.as_str(), c.username.as_str(), c.secret.expose()), ("h", "u", "s"));
        let c = ok(r#"{"ServerURL":"h","Username":"\u003ctoken\u003e","Secret":"r"}"#);
        assert!(c.is_identity_token());
        let c = ok(r#"{"ServerURL":"h"}"#);
        assert_eq!(c.username, "");
        let c = ok(r#"{"ServerURL":"h","Username":null,"Secret":"s"}"#);
        assert_eq!(c.username, "");
        let c = ok("  {\"ServerURL\":\"h\",\"Username\":\"u\",\"Secret\":\"s\"}\n");
        assert_eq!(c.server_url, "h");

        let bad: &[(&str, WireError)] = &[
            ("", WireError::NotJson(String::new())),
            ("not json", WireError::NotJson(String::new())),
            ("[1,2]", WireError::NotObject),
            ("\"x\"", WireError::NotObject),
            (r#"{"ServerURL":5}"#, WireError::NotString("ServerURL")),
            (r#"{"Secret":{"a":1}}"#, WireError::NotString("Secret")),
            (r#"{"ServerURL":"h""#, WireError::NotJson(String::new())),
        ];
        for (input, want) in bad {
            let got = decode_credentials(input.as_bytes()).unwrap_err();
            match (want, &got) {
                (WireError::NotJson(_), WireError::NotJson(_)) => {}
                _ => assert_eq!(&got, want, "input {input:?}"),
            }
        }
        let long = format!(r#"{{"ServerURL":"{}"}}"#, "a".repeat(MAX_INPUT));
        assert_eq!(decode_credentials(long.as_bytes()).unwrap_err(), WireError::TooLong);
    }

    #[test]
    fn json_errors_never_echo_the_secret() {
        let err = decode_credentials(br#"{"Secret":"topsecret-value" garbage}"#).unwrap_err();
        assert!(!err.to_string().contains("topsecret"), "{err}");
    }

    #[test]
    fn encode_escapes_like_go() {
        let c = Credentials {
            server_url: "https://index.docker.io/v1/".into(),
            username: "<token>".into(),
            secret: Secret::new("a&b\"c"),
        };
        assert_eq!(
            encode_credentials(&c),
            concat!(
                "{\"ServerURL\":\"https://index.docker.io/v1/\",",
                "\"Username\":\"\\u003ctoken\\u003e\",\"Secret\":\"a\\u0026b\\\"c\"}\n"
            )
        );
        assert_eq!(decode_credentials(encode_credentials(&c).as_bytes()).unwrap(), c);
    }
}
