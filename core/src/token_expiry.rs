//! When a credential expires, read from the credential itself where its shape says: a JWT's `exp` claim,
//! or the `expiration` inside an AWS ECR authorization token (`AWS` user, base64 of JSON). No signature is
//! checked and nothing else is read; an opaque secret has no known expiry.
//!
//! The kubelet credential provider (helpers), the cache helper and audit read expiry here; a JWT is read by
//! the one decoder, [`crate::jwt`].

use base64::Engine;
use serde::Deserialize;
use zeroize::Zeroizing;

/// The username amazon-ecr-credential-helper answers with.
pub const ECR_USERNAME: &str = "AWS";

/// Unix seconds at which the credential stops working, when it says so.
pub fn expires_at(username: &str, secret: &str) -> Option<i64> {
    if username == ECR_USERNAME {
        if let Some(expiration) = ecr_expires_at(secret) {
            return Some(expiration);
        }
    }
    jwt_expires_at(secret)
}

/// The `exp` claim of a compact JWS (`header.payload.signature`), when it is one and has a numeric `exp`.
pub fn jwt_expires_at(token: &str) -> Option<i64> {
    crate::jwt::decode(token)?.expires_at
}

/// The `expiration` of an ECR authorization token: base64 of `{"payload":..,"expiration":SECONDS,...}`.
pub fn ecr_expires_at(secret: &str) -> Option<i64> {
    #[derive(Deserialize)]
    struct EcrToken {
        #[serde(rename = "payload")]
        _payload: serde::de::IgnoredAny,
        expiration: serde_json::Value,
    }
    let bytes = Zeroizing::new(base64::engine::general_purpose::STANDARD.decode(secret).ok()?);
    let token: EcrToken = serde_json::from_slice(&bytes).ok()?;
    numeric_date(token.expiration)
}

/// Seconds, whole or fractional (truncated); any other JSON type, or a number out of range, is absent.
fn numeric_date(value: serde_json::Value) -> Option<i64> {
    let number = value.as_number()?;
    if let Some(whole) = number.as_i64() {
        return Some(whole);
    }
    let float = number.as_f64()?;
    (float.is_finite() && float.abs() < 1e15).then_some(float as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.sig", enc(r#"{"alg":"ES256"}"#), enc(payload))
    }

    fn ecr(json: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(json)
    }

    #[test]
    fn expiry_table() {
        let table: Vec<(&str, String, Option<i64>)> = vec![
            ("u", jwt(r#"{"exp":1700000000,"sub":"u"}"#), Some(1_700_000_000)),
            ("u", jwt(r#"{"exp":1.5e3}"#), Some(1500)),
            ("u", jwt(r#"{"sub":"u"}"#), None),
            ("u", jwt(r#"{"exp":"soon"}"#), None),
            ("u", jwt(r#"{"exp":1e300}"#), None),
            ("u", jwt("[1]"), None),
            ("u", "a.b".into(), None),
            ("u", "a.b.c.d".into(), None),
            ("u", "e30.!!!.x".into(), None),
            ("u", "dckr_pat_opaque".into(), None),
            ("u", String::new(), None),
            ("AWS", ecr(r#"{"payload":"x","datakey":"y","expiration":1700000000}"#), Some(1_700_000_000)),
            ("AWS", ecr(r#"{"payload":"x","expiration":1700000000.9}"#), Some(1_700_000_000)),
            ("AWS", ecr(r#"{"expiration":1700000000}"#), None),
            ("AWS", ecr(r#"{"payload":"x","expiration":"tomorrow"}"#), None),
            ("AWS", "not base64!".into(), None),
            // The ECR shape counts only for the ECR user; any user's JWT counts.
            ("someone", ecr(r#"{"payload":"x","expiration":1700000000}"#), None),
            ("AWS", jwt(r#"{"exp":42}"#), Some(42)),
        ];
        for (username, secret, want) in table {
            assert_eq!(expires_at(username, &secret), want, "{username} / {secret}");
        }
    }
}
