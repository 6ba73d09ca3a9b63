//! JWT payload decoding, without checking the signature: the registry checks it. regauth only reads what
//! was granted (`access`) and when it expires, to explain a refusal. Opaque tokens (GHCR) decode to `None`
//! and are judged by probing.

use base64::Engine;
use serde::Serialize;

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

/// The claims of a compact JWS, or `None` when the token is not one.
pub fn decode(token: &str) -> Option<Claims> {
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let object = value.as_object()?;
    let text = |k: &str| object.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let number = |k: &str| object.get(k).and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)));
    let audience = text("aud").or_else(|| {
        object.get("aud")?.as_array()?.iter().filter_map(|v| v.as_str()).next().map(str::to_owned)
    });
    let access = object
        .get("access")
        .and_then(|v| v.as_array())
        .map(|items| items.iter().filter_map(access_entry).collect())
        .unwrap_or_default();
    Some(Claims {
        issuer: text("iss"),
        subject: text("sub"),
        audience,
        expires_at: number("exp"),
        not_before: number("nbf"),
        access,
    })
}

fn access_entry(value: &serde_json::Value) -> Option<Access> {
    let object = value.as_object()?;
    Some(Access {
        kind: object.get("type")?.as_str()?.to_owned(),
        name: object.get("name")?.as_str()?.to_owned(),
        actions: object
            .get("actions")
            .and_then(|a| a.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
            .unwrap_or_default(),
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
    }
}
