//! The one JWT payload decoder (diagnose, token, the token cache, audit and the kubelet plugin read claims
//! through it), without checking the signature: the registry checks it. regauth reads what was granted
//! (`access`) and when it expires, to explain a refusal or to bound a cache. Opaque tokens (GHCR) decode to
//! `None`.

use crate::lenient::{is_object, items, value, Lenient};
use base64::Engine;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claims {
    pub issuer: Option<String>,
    pub subject: Option<String>,
    pub audience: Option<String>,
    pub expires_at: Option<i64>,
    pub not_before: Option<i64>,
    pub access: Vec<Access>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Access {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub actions: Vec<String>,
}

impl Claims {
    /// The actions granted on one repository.
    pub fn actions_on(&self, repository: &str) -> Vec<String> {
        self.access
            .iter()
            .filter(|a| a.kind == "repository" && a.name == repository)
            .flat_map(|a| a.actions.iter().cloned())
            .collect()
    }
}

/// The payload as sent: standard claims and distribution's `access`.
#[derive(Deserialize)]
struct Payload {
    iss: Option<Lenient<String>>,
    sub: Option<Lenient<String>>,
    aud: Option<Lenient<Audience>>,
    exp: Option<Lenient<serde_json::Number>>,
    nbf: Option<Lenient<serde_json::Number>>,
    access: Option<Lenient<Vec<Lenient<AccessEntry>>>>,
}

/// `aud` is one string or a list of them.
#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<Lenient<String>>),
}

#[derive(Deserialize)]
struct AccessEntry {
    #[serde(rename = "type")]
    kind: String,
    name: String,
    actions: Option<Lenient<Vec<Lenient<String>>>>,
}

/// A NumericDate: seconds, whole or fractional (truncated); a number out of range counts as absent.
fn seconds(n: serde_json::Number) -> Option<i64> {
    if let Some(whole) = n.as_i64() {
        return Some(whole);
    }
    let float = n.as_f64()?;
    (float.is_finite() && float.abs() < 1e15).then_some(float as i64)
}

/// The claims of a compact JWS, or `None` when the token is not one.
pub fn decode(token: &str) -> Option<Claims> {
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    // The payload of a token is as secret as the token: zeroed when dropped.
    let bytes = Zeroizing::new(
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?,
    );
    if !is_object(&bytes) {
        return None;
    }
    let payload: Payload = serde_json::from_slice(&bytes).ok()?;
    let audience = value(payload.aud).and_then(|aud| match aud {
        Audience::One(a) => Some(a),
        Audience::Many(list) => list.into_iter().find_map(Lenient::get),
    });
    let access = items(payload.access)
        .into_iter()
        .map(|a| Access { kind: a.kind, name: a.name, actions: items(a.actions) })
        .collect();
    Some(Claims {
        issuer: value(payload.iss),
        subject: value(payload.sub),
        audience,
        expires_at: value(payload.exp).and_then(seconds),
        not_before: value(payload.nbf).and_then(seconds),
        access,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.sig", enc(r#"{"alg":"ES256"}"#), enc(payload))
    }

    #[test]
    fn reads_access_and_times() {
        let c = decode(&jwt(
            r#"{"iss":"i","sub":"alice","aud":"svc","exp":100,"nbf":1,"access":[{"type":"repository","name":"team/app","actions":["pull"]},{"type":"repository","name":"other","actions":[]}]}"#,
        ))
        .unwrap();
        assert_eq!(c.subject.as_deref(), Some("alice"));
        assert_eq!(c.audience.as_deref(), Some("svc"));
        assert_eq!(c.expires_at, Some(100));
        assert_eq!(c.actions_on("team/app"), vec!["pull"]);
        assert!(c.actions_on("other").is_empty());
        assert!(c.actions_on("missing").is_empty());
    }

    #[test]
    fn opaque_and_broken_tokens_are_not_jwts() {
        for token in ["djE6b3BhcXVl", "a.b", "a.b.c.d", "e30.!!!.x", "e30.WzFd.x", ""] {
            assert_eq!(decode(token), None, "{token}");
        }
        assert_eq!(decode(&jwt(r#"{"aud":["a","b"]}"#)).unwrap().audience.as_deref(), Some("a"));
        assert_eq!(decode(&jwt(r#"{"aud":[1,"b"]}"#)).unwrap().audience.as_deref(), Some("b"));
        assert_eq!(decode(&jwt("[1]")), None, "a payload that is not an object");
    }

    #[test]
    fn fields_of_another_type_count_as_absent() {
        let c = decode(&jwt(
            r#"{"sub":5,"exp":1.5e3,"nbf":"soon","access":[{"type":"repository","name":"a","actions":["pull",3]},{"name":"no type"},7]}"#,
        ))
        .unwrap();
        assert_eq!(c.subject, None);
        assert_eq!(c.expires_at, Some(1500));
        assert_eq!(c.not_before, None);
        assert_eq!(decode(&jwt(r#"{"exp":1e300}"#)).unwrap().expires_at, None, "out of range");
        assert_eq!(c.access.len(), 1);
        assert_eq!(c.actions_on("a"), vec!["pull"]);
    }
}
