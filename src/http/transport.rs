//! The HTTP client regauth probes with: TLS roots like docker, proxies from the environment, and a log of
//! every exchange (secrets redacted, untrusted text sanitised) that the report shows as evidence.

use super::body::error_message;
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

impl AuthSent {
    /// As in the JSON report.
    pub fn name(self) -> &'static str {
        match self {
            AuthSent::None => "none",
            AuthSent::Basic => "basic",
            AuthSent::Bearer => "bearer",
            AuthSent::RefreshToken => "refreshToken",
        }
    }
}

/// The HTTP client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("cannot read CA file {}: {source}", path.display())]
    CaFileUnreadable { path: PathBuf, source: std::io::Error },
    #[error("CA file {} is not PEM: {source}", path.display())]
    CaFileNotPem { path: PathBuf, source: reqwest::Error },
    #[error("{}", cause_chain(.0))]
    Client(reqwest::Error),
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

/// A request that got no usable answer.
#[derive(Debug, Clone)]
pub struct Failure {
    pub kind: FailureKind,
    /// The error and its sources, sanitised and redacted, for people.
    pub cause: String,
    /// The exchange, when a request was sent.
    pub index: Option<usize>,
}

/// What kind of failure, read from the error's source chain (never from its text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Nothing listens on that port.
    Refused,
    /// The server's certificate was not accepted.
    Certificate,
    /// Another TLS failure (a plain-http server answering a TLS hello lands here).
    Tls,
    TimedOut,
    /// Any other network failure (DNS, reset, proxy).
    Network,
    /// An answer or a URL regauth cannot use (no realm, a realm that is not a URL, a token body without a
    /// token).
    Protocol,
}

impl Failure {
    /// A failure before or after the exchange that is not a network failure.
    pub fn protocol(cause: impl Into<String>, index: Option<usize>) -> Failure {
        Failure { kind: FailureKind::Protocol, cause: cause.into(), index }
    }

    pub fn is_certificate(&self) -> bool {
        self.kind == FailureKind::Certificate
    }

    pub fn is_refused(&self) -> bool {
        self.kind == FailureKind::Refused
    }
}

/// Classify a failed request by walking its source chain down to the I/O and TLS errors.
fn failure_kind(err: &reqwest::Error) -> FailureKind {
    let found = chain_kind(err);
    match found {
        Some(kind) => kind,
        None if err.is_timeout() => FailureKind::TimedOut,
        None => FailureKind::Network,
    }
}

/// The first TLS error or telling I/O error kind in `err` and its sources. An `io::Error`'s `source()`
/// skips the error it wraps (and TLS errors arrive wrapped in one or two of them), so that is followed too.
fn chain_kind(err: &(dyn std::error::Error + 'static)) -> Option<FailureKind> {
    if let Some(tls) = err.downcast_ref::<rustls::Error>() {
        return Some(tls_kind(tls));
    }
    if let Some(io) = err.downcast_ref::<std::io::Error>() {
        if let Some(kind) = io.get_ref().and_then(|inner| chain_kind(inner)) {
            return Some(kind);
        }
        match io.kind() {
            std::io::ErrorKind::ConnectionRefused => return Some(FailureKind::Refused),
            std::io::ErrorKind::TimedOut => return Some(FailureKind::TimedOut),
            _ => {}
        }
    }
    err.source().and_then(chain_kind)
}

fn tls_kind(err: &rustls::Error) -> FailureKind {
    match err {
        rustls::Error::InvalidCertificate(_)
        | rustls::Error::NoCertificatesPresented
        | rustls::Error::InvalidCertRevocationList(_) => FailureKind::Certificate,
        _ => FailureKind::Tls,
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
    /// A form body, sent `application/x-www-form-urlencoded`.
    pub form: Option<Vec<(&'static str, &'a str)>>,
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
    pub fn new(tls: &TlsOptions) -> Result<Transport, TransportError> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::limited(5))
            .user_agent(concat!("regauth/", env!("CARGO_PKG_VERSION")))
            .danger_accept_invalid_certs(tls.insecure);
        for file in &tls.ca_files {
            let pem = std::fs::read(file)
                .map_err(|source| TransportError::CaFileUnreadable { path: file.clone(), source })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|source| TransportError::CaFileNotPem { path: file.clone(), source })?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder.build().map_err(TransportError::Client)?;
        Ok(Transport { client, log: Arc::default(), secrets: Arc::default() })
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
        let builder = self.builder(&req);
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
            Err(err) => Err((failure_kind(&err), cause_chain(&err))),
        };
        exchange.elapsed_ms = started.elapsed().as_millis() as u64;
        let mut log = self.log.lock().expect("log lock");
        match outcome {
            Ok((status, headers, body)) => {
                let challenges = self.record_answer(&mut exchange, status, &headers, &body);
                log[index] = exchange;
                Ok(Reply { status, challenges, headers, body, index })
            }
            Err((kind, cause)) => {
                let cause = self.clean(&cause, 600);
                exchange.error = Some(cause.clone());
                log[index] = exchange;
                Err(Failure { kind, cause, index: Some(index) })
            }
        }
    }

    fn builder(&self, req: &Request<'_>) -> reqwest::RequestBuilder {
        let mut builder = self.client.request(req.method.clone(), &req.url);
        builder = match req.auth {
            Auth::None => builder,
            Auth::Basic(user, secret) => builder.basic_auth(user, Some(secret.expose())),
            Auth::Bearer(token) => builder.bearer_auth(token.expose()),
        };
        if let Some(accept) = req.accept {
            builder = builder.header(reqwest::header::ACCEPT, accept);
        }
        if let Some(form) = &req.form {
            builder = builder.form(form);
        } else if req.method == reqwest::Method::POST {
            builder = builder.header(reqwest::header::CONTENT_LENGTH, "0");
        }
        builder
    }

    /// Fill in the evidence of an answer (cleaned); the answer's challenges, parsed.
    fn record_answer(
        &self,
        exchange: &mut Exchange,
        status: u16,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) -> Vec<Challenge> {
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
            exchange.body = Some(self.clean(String::from_utf8_lossy(body).trim(), MAX_BODY));
        }
        challenge::parse_all(lines)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_classified_from_the_source_chain_not_the_text() {
        use std::io::{Error, ErrorKind};
        #[derive(Debug, thiserror::Error)]
        #[error("tcp connect error")]
        struct Connect(#[source] Error);
        let certificate = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let wrapped = |e: rustls::Error| Error::other(Error::new(ErrorKind::InvalidData, e));
        let cases: Vec<(Box<dyn std::error::Error + 'static>, Option<FailureKind>)> = vec![
            (Box::new(wrapped(certificate)), Some(FailureKind::Certificate)),
            (Box::new(rustls::Error::NoCertificatesPresented), Some(FailureKind::Certificate)),
            (
                Box::new(wrapped(rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType))),
                Some(FailureKind::Tls),
            ),
            (Box::new(Connect(Error::from(ErrorKind::ConnectionRefused))), Some(FailureKind::Refused)),
            (Box::new(Error::from(ErrorKind::TimedOut)), Some(FailureKind::TimedOut)),
            // Words in a message prove nothing.
            (Box::new(Error::other("invalid peer certificate: connection refused")), None),
        ];
        for (err, want) in cases {
            assert_eq!(chain_kind(err.as_ref()), want, "{err:?}");
        }
    }

    #[test]
    fn upload_state_is_cut() {
        assert_eq!(strip_query_secrets("/v2/a/blobs/uploads/u?_state=abc"), "/v2/a/blobs/uploads/u?_state=…");
        assert_eq!(strip_query_secrets("/t?scope=x"), "/t?scope=x");
    }
}
