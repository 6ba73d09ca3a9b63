//! The cache of amazon-ecr-credential-helper (`~/.ecr/cache.json`): ECR tokens in plaintext, with expiry.
//!
//! This module reads the file into [`CachedToken`]s and knows nothing of the inventory: `sources` turns
//! them into stored credentials and the file into a scanned place.

use super::token_kind::{classify, TokenKind};
use regauth_core::fsread;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::path::Path;

/// One token of the cache, its secret already reduced to what the audit keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CachedToken<F> {
    /// `ProxyEndpoint`, else the cache's key.
    pub(super) registry: String,
    pub(super) kind: TokenKind,
    /// Unix seconds: the token's own expiry, else the cache's `ExpiresAt`.
    pub(super) expires_at: Option<i64>,
    pub(super) fingerprint: F,
}

/// Why the cache gave no tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ReadError {
    Missing,
    /// The message names the file.
    Unreadable(String),
}

/// The cache's tokens, in the file's order; `fingerprint` sees each secret, nothing keeps it.
pub(super) fn read<F>(
    path: &Path,
    fingerprint: &impl Fn(&str) -> F,
) -> Result<Vec<CachedToken<F>>, ReadError> {
    let location = path.display();
    // No link followed, a regular file, a few MiB at most: the cache is another program's file.
    let bytes = match fsread::read_regular(path, fsread::CONFIG_LIMIT) {
        Ok(contents) => contents.bytes,
        Err(e) if e.is_not_found() => return Err(ReadError::Missing),
        Err(e) => return Err(ReadError::Unreadable(e.to_string())),
    };
    let cache: Lenient<CacheFile> = serde_json::from_slice(&bytes)
        .map_err(|e| ReadError::Unreadable(format!("{location}: not valid JSON: {e}")))?;
    let Lenient::Valid(CacheFile { registries: Lenient::Valid(Entries(entries)) }) = cache else {
        return Ok(Vec::new());
    };
    Ok(entries.into_iter().filter_map(|(key, entry)| token(key, entry, fingerprint)).collect())
}

fn token<F>(key: String, entry: Entry, fingerprint: &impl Fn(&str) -> F) -> Option<CachedToken<F>> {
    use base64::Engine;
    let Lenient::Valid(token) = entry.authorization_token else { return None };
    // base64("AWS:<token>")
    let decoded = base64::engine::general_purpose::STANDARD.decode(&token).ok();
    let text = zeroize::Zeroizing::new(decoded.and_then(|d| String::from_utf8(d).ok()).unwrap_or_default());
    let password = text.split_once(':').map_or(token.as_str(), |(_, p)| p);
    let mut info = classify("AWS", password, false);
    if info.kind == TokenKind::Password {
        info.kind = TokenKind::AwsEcrToken;
    }
    let cached_expiry = entry.expires_at.valid().and_then(|at| parse_rfc3339(&at));
    Some(CachedToken {
        registry: entry.proxy_endpoint.valid().unwrap_or(key),
        kind: info.kind,
        expires_at: info.expires_at.or(cached_expiry),
        fingerprint: fingerprint(password),
    })
}

/// The helper's cache file: `{"registries": {KEY: Entry, ...}}`; anything else in it is ignored.
#[derive(Debug, Deserialize)]
struct CacheFile {
    #[serde(default = "Lenient::absent")]
    registries: Lenient<Entries>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    #[serde(rename = "AuthorizationToken", default = "Lenient::absent")]
    authorization_token: Lenient<String>,
    #[serde(rename = "ExpiresAt", default = "Lenient::absent")]
    expires_at: Lenient<String>,
    #[serde(rename = "ProxyEndpoint", default = "Lenient::absent")]
    proxy_endpoint: Lenient<String>,
}

/// A value of the expected shape, or anything else, which is skipped rather than failing the file: a
/// cache written by another version of the helper still yields the entries that make sense.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Lenient<T> {
    Valid(T),
    Other(IgnoredAny),
}

impl<T> Lenient<T> {
    fn absent() -> Lenient<T> {
        Lenient::Other(IgnoredAny)
    }

    fn valid(self) -> Option<T> {
        match self {
            Lenient::Valid(value) => Some(value),
            Lenient::Other(_) => None,
        }
    }
}

/// The `registries` object in the file's order; entries of another shape left out.
#[derive(Debug)]
struct Entries(Vec<(String, Entry)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Entries, D::Error> {
        struct InOrder;
        impl<'de> Visitor<'de> for InOrder {
            type Value = Entries;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of registries")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut entries = Vec::new();
                while let Some((key, entry)) = map.next_entry::<String, Lenient<Entry>>()? {
                    if let Lenient::Valid(entry) = entry {
                        entries.push((key, entry));
                    }
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(InOrder)
    }
}

/// RFC 3339 (`2024-05-01T10:00:00Z`, fractional seconds and numeric offsets allowed) -> Unix seconds.
fn parse_rfc3339(text: &str) -> Option<i64> {
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    Some(at.unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_table() {
        let table = [
            ("1970-01-01T00:00:00Z", Some(0)),
            ("2023-11-14T22:13:20Z", Some(1_700_000_000)),
            ("2023-11-14T22:13:20.123456Z", Some(1_700_000_000)),
            ("2023-11-15T00:13:20+02:00", Some(1_700_000_000)),
            ("2023-11-14T20:13:20-02:00", Some(1_700_000_000)),
            ("2024-02-29T00:00:00Z", Some(1_709_164_800)),
            ("2024-05-01T10:00:00.123456789Z", Some(1_714_557_600)),
            ("garbage", None),
            ("2024-13", None),
            ("2023-02-29T00:00:00Z", None),
            ("", None),
        ];
        for (text, want) in table {
            assert_eq!(parse_rfc3339(text), want, "{text}");
        }
    }

    fn read_text(text: &str) -> Result<Vec<CachedToken<u64>>, ReadError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.json");
        std::fs::write(&path, text).unwrap();
        read(&path, &|secret: &str| secret.len() as u64)
    }

    #[test]
    fn cache_files_table() {
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let two = format!(
            r#"{{"registries":{{
                "z-key":{{"AuthorizationToken":"{}","ExpiresAt":"2023-11-14T22:13:20Z",
                          "ProxyEndpoint":"https://1.dkr.ecr.eu-west-1.amazonaws.com"}},
                "a-key":{{"AuthorizationToken":"{}","ExpiresAt":5}},
                "no-token":{{"ExpiresAt":"2023-11-14T22:13:20Z"}},
                "odd":[1,2]
            }},"version":"1.0"}}"#,
            b64("AWS:secret-one"),
            b64("AWS:pw-2")
        );
        let tokens = read_text(&two).unwrap();
        let want = [
            CachedToken {
                registry: "https://1.dkr.ecr.eu-west-1.amazonaws.com".into(),
                kind: TokenKind::AwsEcrToken,
                expires_at: Some(1_700_000_000),
                fingerprint: 10,
            },
            CachedToken {
                registry: "a-key".into(),
                kind: TokenKind::AwsEcrToken,
                expires_at: None,
                fingerprint: 4,
            },
        ];
        assert_eq!(tokens, want);
        for empty in ["{}", "[]", r#"{"registries":7}"#, r#"{"registries":{}}"#, "null"] {
            assert_eq!(read_text(empty), Ok(Vec::new()), "{empty}");
        }
        let Err(ReadError::Unreadable(message)) = read_text("{not json") else { panic!("not an error") };
        assert!(message.contains("cache.json: not valid JSON: "), "{message}");
        assert_eq!(read(Path::new("/nonexistent/cache.json"), &|_: &str| 0), Err(ReadError::Missing));
    }
}
