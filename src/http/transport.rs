//! The HTTP client regauth probes with: TLS roots like docker, proxies from the environment, and a log of
//! every exchange (secrets redacted, untrusted text sanitised) that the report shows as evidence.

use super::challenge::{self, Challenge};
use regauth_core::sanitize::for_terminal;
use regauth_core::secret::{redact_all, Secret};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The longest error body kept as evidence.
const MAX_BODY: usize = 600;
/// Response headers worth showing: rate limits, the upload location, what a read-only registry allows.
const KEPT_HEADERS: [&str; 8] = [
    "ratelimit-limit",
    "ratelimit-remaining",
    "docker-ratelimit-source",
    "retry-after",
    "docker-content-digest",
    "content-type",
    "location",
    "allow",
];

#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// Extra CA certificates (PEM) to trust on top of the system roots.
    pub ca_files: Vec<PathBuf>,
    /// Skip certificate verification (docker's insecure-registries).
    pub insecure: bool,
}

/// What was sent to prove identity; the value itself is never recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum AuthSent {
    None,
    Basic,
    Bearer,
    RefreshToken,
}

/// One request and its answer, as evidence.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exchange {
    pub method: String,
    pub url: String,
    pub auth: AuthSent,
    pub status: Option<u16>,
    /// The network or TLS failure, when there was no answer.
    pub error: Option<String>,
    /// `WWW-Authenticate` lines.
    pub challenges: Vec<String>,
    pub headers: BTreeMap<String, String>,
    /// The start of an error body (never a success body: it may hold a token).
    pub body: Option<String>,
    pub scopes_asked: Vec<String>,
    /// From the token's `access` claim; `None` when not a token request or the token is opaque.
    pub scopes_granted: Option<Vec<String>>,
    pub elapsed_ms: u64,
}

/// An answer: what the probes need to classify it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub challenges: Vec<Challenge>,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
    /// Index of this exchange in the log.
    pub index: usize,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `error=` of the first bearer challenge: `invalid_token`, `insufficient_scope`.
    pub fn challenge_error(&self) -> Option<&str> {
        self.challenges.iter().find_map(|c| c.param("error"))
    }

    /// The message of the body: distribution's `errors[].code/message`, a token server's `details`, or text.
    pub fn message(&self) -> String {
        error_message(&self.body)
    }
}

/// A request that got no answer.
#[derive(Debug, Clone)]
pub struct Failure {
    pub cause: String,
    /// The exchange, when a request was sent.
    pub index: Option<usize>,
}

impl Failure {
    pub fn is_certificate(&self) -> bool {
        let c = self.cause.to_ascii_lowercase();
        c.contains("certificate") || c.contains("unknownissuer") || c.contains("notvalidforname")
    }

    pub fn is_refused(&self) -> bool {
        let c = self.cause.to_ascii_lowercase();
        c.contains("connection refused") || c.contains("os error 111")
    }
}

pub enum Auth<'a> {
    None,
    Basic(&'a str, &'a Secret),
    Bearer(&'a Secret),
}

pub struct Request<'a> {
    pub method: reqwest::Method,
    pub url: String,
    pub auth: Auth<'a>,
    pub accept: Option<&'a str>,
    /// A form body (`application/x-www-form-urlencoded`), already encoded.
    pub form: Option<String>,
    /// The form carries a refresh token (recorded as such).
    pub refresh: bool,
    pub scopes_asked: Vec<String>,
}

impl<'a> Request<'a> {
    pub fn new(method: reqwest::Method, url: impl Into<String>, auth: Auth<'a>) -> Request<'a> {
        Request {
            method,
            url: url.into(),
            auth,
            accept: None,
            form: None,
            refresh: false,
            scopes_asked: Vec::new(),
        }
    }
}

#[derive(Clone)]
pub struct Transport {
    client: reqwest::Client,
    log: Arc<Mutex<Vec<Exchange>>>,
    secrets: Arc<Mutex<Vec<Secret>>>,
}

impl Transport {
    pub fn new(tls: &TlsOptions) -> anyhow::Result<Transport> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::limited(5))
            .user_agent(concat!("regauth/", env!("CARGO_PKG_VERSION")))
            .danger_accept_invalid_certs(tls.insecure);
        for file in &tls.ca_files {
            let pem = std::fs::read(file)
                .map_err(|e| anyhow::anyhow!("cannot read CA file {}: {e}", file.display()))?;
            for cert in reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| anyhow::anyhow!("CA file {} is not PEM: {e}", file.display()))?
            {
                builder = builder.add_root_certificate(cert);
            }
        }
        Ok(Transport { client: builder.build()?, log: Arc::default(), secrets: Arc::default() })
    }

    /// Remember a secret so no evidence ever shows it (credentials, and tokens as they arrive).
    pub fn redact(&self, secret: &Secret) {
        self.secrets.lock().expect("secrets lock").push(secret.clone());
    }

    pub fn exchanges(&self) -> Vec<Exchange> {
        self.log.lock().expect("log lock").clone()
    }

    pub fn requests(&self) -> usize {
        self.log.lock().expect("log lock").len()
    }

    /// Record the scopes a token grants on the exchange that fetched it.
    pub fn set_granted(&self, index: usize, granted: Vec<String>) {
        if let Some(e) = self.log.lock().expect("log lock").get_mut(index) {
            e.scopes_granted = Some(granted);
        }
    }

    pub async fn send(&self, req: Request<'_>) -> Result<Reply, Failure> {
        let auth_sent = match (&req.auth, req.refresh) {
            (_, true) => AuthSent::RefreshToken,
            (Auth::None, _) => AuthSent::None,
            (Auth::Basic(..), _) => AuthSent::Basic,
            (Auth::Bearer(_), _) => AuthSent::Bearer,
        };
        let mut builder = self.client.request(req.method.clone(), &req.url);
        builder = match req.auth {
            Auth::None => builder,
            Auth::Basic(user, secret) => builder.basic_auth(user, Some(secret.expose())),
            Auth::Bearer(token) => builder.bearer_auth(token.expose()),
        };
        if let Some(accept) = req.accept {
            builder = builder.header(reqwest::header::ACCEPT, accept);
        }
        if let Some(form) = req.form {
            builder =
                builder.header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(form);
        } else if req.method == reqwest::Method::POST {
            builder = builder.header(reqwest::header::CONTENT_LENGTH, "0");
        }
        let mut exchange = Exchange {
            method: req.method.to_string(),
            url: self.clean(&strip_query_secrets(&req.url), 300),
            auth: auth_sent,
            status: None,
            error: None,
            challenges: Vec::new(),
            headers: BTreeMap::new(),
            body: None,
            scopes_asked: req.scopes_asked,
            scopes_granted: None,
            elapsed_ms: 0,
        };
        // The index is the exchange's place in send order, taken before the first await: requests sent
        // together (a 404's body and tag list) are logged in a fixed order, not in the order they finish.
        let index = {
            let mut log = self.log.lock().expect("log lock");
            log.push(exchange.clone());
            log.len() - 1
        };
        let started = Instant::now();
        let outcome = match builder.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                let body = if req.method == reqwest::Method::HEAD {
                    Vec::new()
                } else {
                    response.bytes().await.map(|b| b.to_vec()).unwrap_or_default()
                };
                Ok((status, headers, body))
            }
            Err(err) => Err(cause_chain(&err)),
        };
        exchange.elapsed_ms = started.elapsed().as_millis() as u64;
        let mut log = self.log.lock().expect("log lock");
        match outcome {
            Ok((status, headers, body)) => {
                let lines: Vec<&str> = headers
                    .get_all(reqwest::header::WWW_AUTHENTICATE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .collect();
                exchange.status = Some(status);
                exchange.challenges = lines.iter().map(|l| self.clean(l, 400)).collect();
                for name in KEPT_HEADERS {
                    if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
                        exchange.headers.insert(name.to_owned(), self.clean(&strip_query_secrets(v), 200));
                    }
                }
                if status >= 400 && !body.is_empty() {
                    exchange.body = Some(self.clean(String::from_utf8_lossy(&body).trim(), MAX_BODY));
                }
                let challenges = challenge::parse_all(lines);
                log[index] = exchange;
                Ok(Reply { status, challenges, headers, body, index })
            }
            Err(cause) => {
                let cause = self.clean(&cause, 600);
                exchange.error = Some(cause.clone());
                log[index] = exchange;
                Err(Failure { cause, index: Some(index) })
            }
        }
    }

    /// Redact every known secret, then make the text safe for a terminal.
    fn clean(&self, text: &str, max: usize) -> String {
        let secrets = self.secrets.lock().expect("secrets lock");
        let refs: Vec<&Secret> = secrets.iter().collect();
        for_terminal(&redact_all(text, &refs), max)
    }
}

/// An upload URL's query carries the registry's signed upload state: not a credential, but noise.
fn strip_query_secrets(url: &str) -> String {
    match url.split_once('?') {
        Some((path, query)) if query.contains("_state=") => format!("{path}?_state=…"),
        _ => url.to_owned(),
    }
}

/// `outer: inner: innermost`, without repeating text a source already contains.
fn cause_chain(err: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![err.to_string()];
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}

/// The human part of an error body.
pub fn error_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
        if let Some(errors) = value.get("errors").and_then(|e| e.as_array()) {
            let parts: Vec<String> = errors
                .iter()
                .map(|e| {
                    let code = e.get("code").and_then(|c| c.as_str()).unwrap_or_default();
                    let message = e.get("message").and_then(|c| c.as_str()).unwrap_or_default();
                    format!("{code} {message}").trim().to_owned()
                })
                .collect();
            return parts.join("; ");
        }
        for key in ["details", "detail", "message", "error_description", "error"] {
            if let Some(s) = value.get(key).and_then(|v| v.as_str()) {
                return s.to_owned();
            }
        }
    }
    text.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_from_known_shapes() {
        let cases = [
            (
                r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[]}]}"#,
                "UNAUTHORIZED authentication required",
            ),
            (r#"{"details":"access token has insufficient scopes"}"#, "access token has insufficient scopes"),
            (r#"{"error":"access forbidden"}"#, "access forbidden"),
            ("HTTP Basic: Access denied\n", "HTTP Basic: Access denied"),
        ];
        for (body, want) in cases {
            assert_eq!(error_message(body.as_bytes()), want);
        }
    }

    #[test]
    fn upload_state_is_cut() {
        assert_eq!(strip_query_secrets("/v2/a/blobs/uploads/u?_state=abc"), "/v2/a/blobs/uploads/u?_state=…");
        assert_eq!(strip_query_secrets("/t?scope=x"), "/t?scope=x");
    }
}
