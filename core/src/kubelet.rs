//! The kubelet's image credential provider API, `credentialprovider.kubelet.k8s.io/v1`: the request the
//! kubelet writes on a plugin's stdin, the response the plugin prints, and the Go duration strings its
//! `cacheDuration` is written in. Facts: shared/reference/kubernetes.md.
//!
//! The request is untrusted input read from a pipe: it is bounded ([`MAX_REQUEST`]), parsed as JSON
//! without echoing any of it back (it may carry a service account token), and only `apiVersion`, `kind`
//! and `image` are read. Unknown fields are ignored, so a newer kubelet's additions do not break it.

use crate::sanitize;
use crate::secret::Secret;
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;

/// The one API version served. The kubelet sends the version named in its provider config and rejects a
/// response of another, so answers carry this one too.
pub const API_VERSION: &str = "credentialprovider.kubelet.k8s.io/v1";
pub const REQUEST_KIND: &str = "CredentialProviderRequest";
pub const RESPONSE_KIND: &str = "CredentialProviderResponse";

/// Largest request read: an image name, and a service account token with annotations when the provider
/// asks for them, are a few KiB.
pub const MAX_REQUEST: usize = 1024 * 1024;

/// Longest cache duration accepted or written: a year.
pub const MAX_CACHE_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

/// What a request asks: credentials for one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// As the kubelet sent it: `HOST/REPO`, possibly with a tag or digest.
    pub image: String,
}

/// Why a request was refused. No variant carries request text except the (sanitised, cut) values of
/// `apiVersion` and `kind`, which are not secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("the request is empty")]
    Empty,
    #[error("the request is longer than {MAX_REQUEST} bytes")]
    TooLarge,
    #[error("the request is not valid JSON (line {line}, column {column})")]
    NotJson { line: usize, column: usize },
    #[error("the request is not a JSON object")]
    NotObject,
    #[error("the request has no apiVersion (expected {API_VERSION})")]
    MissingApiVersion,
    #[error("apiVersion {0:?} is not supported (expected {API_VERSION})")]
    UnsupportedApiVersion(String),
    #[error("the request has no kind (expected {REQUEST_KIND})")]
    MissingKind,
    #[error("kind {0:?} is not a request (expected {REQUEST_KIND})")]
    WrongKind(String),
    #[error("the request has no image")]
    MissingImage,
    #[error("field {0} is not a string")]
    NotString(&'static str),
}

/// Parse a `CredentialProviderRequest`.
pub fn parse_request(bytes: &[u8]) -> Result<Request, RequestError> {
    if bytes.len() > MAX_REQUEST {
        return Err(RequestError::TooLarge);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(RequestError::Empty);
    }
    // serde_json's syntax errors say where, never what: the position is all that is kept.
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| RequestError::NotJson { line: e.line(), column: e.column() })?;
    let Value::Object(map) = value else { return Err(RequestError::NotObject) };
    let text = |name: &'static str| match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(RequestError::NotString(name)),
    };
    let shown = |s: &str| sanitize::for_terminal(s, 100);
    match text("apiVersion")? {
        None | Some("") => return Err(RequestError::MissingApiVersion),
        Some(API_VERSION) => {}
        Some(other) => return Err(RequestError::UnsupportedApiVersion(shown(other))),
    }
    match text("kind")? {
        None | Some("") => return Err(RequestError::MissingKind),
        Some(REQUEST_KIND) => {}
        Some(other) => return Err(RequestError::WrongKind(shown(other))),
    }
    match text("image")? {
        None | Some("") => Err(RequestError::MissingImage),
        Some(image) => Ok(Request { image: image.to_owned() }),
    }
}

/// One credential in a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    pub username: String,
    pub password: Secret,
}

/// A `CredentialProviderResponse` with `cacheKeyType: Registry`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub cache_duration: Duration,
    /// Registry key (`HOST[:PORT]`, matched by the kubelet's rules) -> credential; empty: none.
    pub auth: Vec<(String, AuthConfig)>,
}

impl Response {
    /// The JSON the kubelet reads, with a trailing newline. The only place a password leaves.
    pub fn encode(&self) -> String {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Wire {
            api_version: &'static str,
            kind: &'static str,
            cache_key_type: &'static str,
            cache_duration: String,
            auth: serde_json::Map<String, Value>,
        }
        let auth = self
            .auth
            .iter()
            .map(|(key, config)| {
                let mut entry = serde_json::Map::new();
                entry.insert("username".into(), Value::String(config.username.clone()));
                entry.insert("password".into(), Value::String(config.password.expose().to_owned()));
                (key.clone(), Value::Object(entry))
            })
            .collect();
        let wire = Wire {
            api_version: API_VERSION,
            kind: RESPONSE_KIND,
            cache_key_type: "Registry",
            cache_duration: format_go_duration(self.cache_duration),
            auth,
        };
        let mut text = serde_json::to_string(&wire).expect("strings and maps always serialise");
        text.push('\n');
        text
    }
}

/// How long the kubelet may cache a credential: half its remaining life when its expiry is known (as the
/// cloud providers' plugins do, so a cached credential is never handed out expired), zero when it has
/// expired, else `default`. Capped at [`MAX_CACHE_DURATION`].
pub fn cache_duration(expires_at: Option<i64>, now: i64, default: Duration) -> Duration {
    let duration = match expires_at {
        Some(exp) if exp <= now => Duration::ZERO,
        Some(exp) => {
            let half = (i128::from(exp) - i128::from(now)) / 2;
            Duration::from_secs(u64::try_from(half).unwrap_or(u64::MAX))
        }
        None => default,
    };
    duration.min(MAX_CACHE_DURATION)
}

/// Go's `time.Duration.String()` of whole seconds: `0s`, `45s`, `5m0s`, `6h0m0s`, `1h30m5s`.
pub fn format_go_duration(duration: Duration) -> String {
    let total = duration.as_secs();
    let (hours, minutes, seconds) = (total / 3600, total / 60 % 60, total % 60);
    if hours > 0 {
        format!("{hours}h{minutes}m{seconds}s")
    } else if minutes > 0 {
        format!("{minutes}m{seconds}s")
    } else {
        format!("{seconds}s")
    }
}

/// Go's `time.ParseDuration`, for durations that are not negative: `0`, `300ms`, `1.5h`, `2h45m`, up
/// to [`MAX_CACHE_DURATION`]. Units: `ns`, `us` (`µs`, `μs`), `ms`, `s`, `m`, `h`.
pub fn parse_go_duration(text: &str) -> Result<Duration, String> {
    let invalid =
        || format!("{:?} is not a duration such as 5m, 1h30m or 90s", sanitize::for_terminal(text, 40));
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total_ns: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int_part, after) = rest.split_at(int_len);
        let (frac_part, after) = match after.strip_prefix('.') {
            Some(after) => {
                let len = after.bytes().take_while(u8::is_ascii_digit).count();
                after.split_at(len)
            }
            None => ("", after),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(invalid());
        }
        let unit_len = after.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let unit_ns: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return Err(invalid()),
        };
        // Digits beyond what a u128 holds are refused, not wrapped.
        let whole: u128 = if int_part.is_empty() { 0 } else { int_part.parse().map_err(|_| invalid())? };
        let frac_digits = &frac_part[..frac_part.len().min(18)];
        let frac: u128 =
            if frac_digits.is_empty() { 0 } else { frac_digits.parse().map_err(|_| invalid())? };
        let frac_ns = frac * unit_ns / 10u128.pow(frac_digits.len() as u32);
        total_ns = whole
            .checked_mul(unit_ns)
            .and_then(|ns| ns.checked_add(frac_ns))
            .and_then(|ns| ns.checked_add(total_ns))
            .ok_or_else(invalid)?;
        if total_ns > MAX_CACHE_DURATION.as_nanos() {
            return Err(format!(
                "{} is longer than {}",
                sanitize::for_terminal(text, 40),
                format_go_duration(MAX_CACHE_DURATION)
            ));
        }
        rest = after;
    }
    Ok(Duration::from_nanos(total_ns as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(api_version: &str, kind: &str, image: &str) -> String {
        serde_json::json!({"apiVersion": api_version, "kind": kind, "image": image}).to_string()
    }

    #[test]
    fn request_table() {
        let good = [
            (request(API_VERSION, REQUEST_KIND, "ghcr.io/team/app"), "ghcr.io/team/app"),
            (
                format!(
                    r#" {{"apiVersion":"{API_VERSION}","kind":"{REQUEST_KIND}","image":"127.0.0.1:5000/a:v1",
                    "serviceAccountToken":"eyJ.secret.x","serviceAccountAnnotations":{{"a":"b"}},"future":[1]}}
"#
                ),
                "127.0.0.1:5000/a:v1",
            ),
        ];
        for (input, image) in good {
            assert_eq!(parse_request(input.as_bytes()), Ok(Request { image: image.into() }), "{input}");
        }
        let big = format!(r#"{{"image":"{}"}}"#, "a".repeat(MAX_REQUEST));
        let bad: Vec<(String, RequestError)> = vec![
            (String::new(), RequestError::Empty),
            (" \n".into(), RequestError::Empty),
            (big, RequestError::TooLarge),
            ("{".into(), RequestError::NotJson { line: 1, column: 1 }),
            (r#"{"image":"a"} trailing"#.into(), RequestError::NotJson { line: 1, column: 15 }),
            ("[]".into(), RequestError::NotObject),
            (r#""text""#.into(), RequestError::NotObject),
            (r#"{"kind":"CredentialProviderRequest","image":"a"}"#.into(), RequestError::MissingApiVersion),
            (
                request("credentialprovider.kubelet.k8s.io/v1beta1", REQUEST_KIND, "a"),
                RequestError::UnsupportedApiVersion("credentialprovider.kubelet.k8s.io/v1beta1".into()),
            ),
            (
                request("credentialprovider.kubelet.k8s.io/v1alpha1", REQUEST_KIND, "a"),
                RequestError::UnsupportedApiVersion("credentialprovider.kubelet.k8s.io/v1alpha1".into()),
            ),
            (
                request("v1\u{1b}[31m", REQUEST_KIND, "a"),
                RequestError::UnsupportedApiVersion("v1\\u{1b}[31m".into()),
            ),
            (
                format!(r#"{{"apiVersion":1,"kind":"{REQUEST_KIND}","image":"a"}}"#),
                RequestError::NotString("apiVersion"),
            ),
            (format!(r#"{{"apiVersion":"{API_VERSION}","image":"a"}}"#), RequestError::MissingKind),
            (request(API_VERSION, RESPONSE_KIND, "a"), RequestError::WrongKind(RESPONSE_KIND.into())),
            (request(API_VERSION, REQUEST_KIND, ""), RequestError::MissingImage),
            (
                format!(r#"{{"apiVersion":"{API_VERSION}","kind":"{REQUEST_KIND}"}}"#),
                RequestError::MissingImage,
            ),
            (
                format!(r#"{{"apiVersion":"{API_VERSION}","kind":"{REQUEST_KIND}","image":["a"]}}"#),
                RequestError::NotString("image"),
            ),
        ];
        for (input, want) in bad {
            assert_eq!(parse_request(input.as_bytes()), Err(want), "{:.80}", input);
        }
    }

    #[test]
    fn errors_never_quote_the_request() {
        let token = "sa-token-value-never-shown";
        for input in [
            format!(r#"{{"serviceAccountToken":"{token}","#),
            format!(r#"{{"serviceAccountToken":"{token}","apiVersion":"x"}}"#),
            format!(r#"{{"serviceAccountToken":"{token}\q"}}"#),
        ] {
            let message = parse_request(input.as_bytes()).unwrap_err().to_string();
            assert!(!message.contains(token), "{message}");
        }
    }

    #[test]
    fn response_has_the_v1_fields() {
        let response = Response {
            cache_duration: Duration::from_secs(3600 * 6),
            auth: vec![(
                "ghcr.io".into(),
                AuthConfig { username: "u\"1".into(), password: Secret::new("p<w>") },
            )],
        };
        assert_eq!(
            response.encode(),
            "{\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\"kind\":\"CredentialProviderResponse\",\
             \"cacheKeyType\":\"Registry\",\"cacheDuration\":\"6h0m0s\",\
             \"auth\":{\"ghcr.io\":{\"username\":\"u\\\"1\",\"password\":\"p<w>\"}}}\n"
        );
        let empty = Response { cache_duration: Duration::ZERO, auth: Vec::new() }.encode();
        assert!(empty.contains(r#""cacheDuration":"0s","auth":{}"#), "{empty}");
    }

    #[test]
    fn cache_duration_is_half_the_remaining_life() {
        let default = Duration::from_secs(300);
        assert_eq!(cache_duration(Some(1_000 + 7_200), 1_000, default), Duration::from_secs(3_600));
        assert_eq!(cache_duration(Some(1_001), 1_000, default), Duration::ZERO);
        assert_eq!(cache_duration(Some(1_000), 1_000, default), Duration::ZERO);
        assert_eq!(cache_duration(Some(5), 1_000, default), Duration::ZERO, "expired");
        assert_eq!(cache_duration(None, 1_000, default), default);
        assert_eq!(cache_duration(Some(i64::MAX), i64::MIN, default), MAX_CACHE_DURATION);
    }

    #[test]
    fn go_durations_round_trip() {
        let table = [
            (0, "0s"),
            (1, "1s"),
            (59, "59s"),
            (60, "1m0s"),
            (300, "5m0s"),
            (3_661, "1h1m1s"),
            (21_600, "6h0m0s"),
        ];
        for (secs, text) in table {
            assert_eq!(format_go_duration(Duration::from_secs(secs)), text);
            assert_eq!(parse_go_duration(text), Ok(Duration::from_secs(secs)), "{text}");
        }
        assert_eq!(format_go_duration(Duration::from_millis(1_999)), "1s", "whole seconds, truncated");
        let parsed = [
            ("0", Duration::ZERO),
            ("+5m", Duration::from_secs(300)),
            ("1.5h", Duration::from_secs(5_400)),
            (".5s", Duration::from_millis(500)),
            ("1.s", Duration::from_secs(1)),
            ("2h45m", Duration::from_secs(9_900)),
            ("300ms", Duration::from_millis(300)),
            ("10us", Duration::from_micros(10)),
            ("10µs", Duration::from_micros(10)),
            ("7ns", Duration::from_nanos(7)),
            ("8760h", MAX_CACHE_DURATION),
        ];
        for (text, want) in parsed {
            assert_eq!(parse_go_duration(text), Ok(want), "{text}");
        }
        for bad in [
            "",
            "5",
            "-5m",
            "5 m",
            "m",
            ".s",
            "5d",
            "1h-5m",
            "8761h",
            "99999999999999999999999999999999999999999h",
            "1e3s",
            "NaN",
        ] {
            assert!(parse_go_duration(bad).is_err(), "{bad:?}");
        }
    }
}
