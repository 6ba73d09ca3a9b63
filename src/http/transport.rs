//! The HTTP client regauth probes with: TLS roots like docker, proxies from the environment, and a log of
//! every exchange (secrets redacted, untrusted text sanitised) that the report shows as evidence.
//!
//! Everything a server sends is untrusted: bodies are read with a cap ([`MAX_BODY_READ`]), every form of
//! every secret in play is redacted from what a [`Reply`] shows (its body, headers and challenges) and from
//! the evidence, and redirects are followed by hand, deciding per request: a credential never goes to
//! another origin (scheme, host, port), and a request that is not a GET or HEAD never leaves its origin.

use super::challenge;
use super::system_roots;
use regauth_core::fsread::{self, FileError};
use regauth_core::sanitize::for_terminal;
use regauth_core::secret::{redact_forms, Secret};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The longest error body kept as evidence.
const MAX_BODY: usize = 600;
/// The most of any body regauth reads (error bodies, token responses, tag lists, manifests): a hostile or
/// broken server's endless stream is cut here, and the evidence says so.
pub const MAX_BODY_READ: usize = 1 << 20;
/// Redirects followed for one request.
const MAX_REDIRECTS: usize = 5;
/// A CA bundle of every public root is about 200 KiB; a file past this is not a CA bundle.
const CA_FILE_LIMIT: u64 = 4 * 1024 * 1024;
/// How long one request (connect, answer and body) may take; the diagnosis as a whole has its own deadline.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
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
    /// The [`FileError`] names the file.
    #[error("unusable CA file: {source}")]
    CaFileUnreadable { path: PathBuf, source: FileError },
    #[error("CA file {} is not PEM: {source}", path.display())]
    CaFileNotPem { path: PathBuf, source: reqwest::Error },
    #[error("{}", cause_chain(.0))]
    Client(reqwest::Error),
}

mod failure;
mod reply;
mod request;

use failure::{cause_chain, describe};
pub use failure::{Failure, FailureKind};
pub use reply::{Exchange, Reply};
use request::{is_redirect, resolve, Origin};
pub use request::{same_origin, Auth, Follow, Request};

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
            .timeout(REQUEST_TIMEOUT)
            // Redirects are followed by hand (`send`), deciding per request where credentials may go.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("regauth/", env!("CARGO_PKG_VERSION")))
            .danger_accept_invalid_certs(tls.insecure)
            // The system's roots, loaded here at a fraction of reqwest's own loading's cost.
            .tls_built_in_root_certs(false);
        for der in system_roots::load() {
            // Trust stores hold ancient roots rustls cannot parse; reqwest skips those too.
            if rustls::RootCertStore::empty()
                .add(rustls::pki_types::CertificateDer::from(der.as_ref()))
                .is_ok()
            {
                let cert = reqwest::Certificate::from_der(&der).map_err(TransportError::Client)?;
                builder = builder.add_root_certificate(cert);
            }
        }
        for file in &tls.ca_files {
            let (_, pem) = fsread::read_followed(file, CA_FILE_LIMIT, fsread::effective_uid())
                .map_err(|source| TransportError::CaFileUnreadable { path: file.clone(), source })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem.bytes)
                .map_err(|source| TransportError::CaFileNotPem { path: file.clone(), source })?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder.build().map_err(TransportError::Client)?;
        Ok(Transport { client, log: Arc::default(), secrets: Arc::default() })
    }

    /// A transport on the same HTTP client (connections, TLS roots) with its own exchange log and its own
    /// secrets: one per credential when many are checked at once, so each redacts only its own.
    pub fn session(&self) -> Transport {
        Transport { client: self.client.clone(), log: Arc::default(), secrets: Arc::default() }
    }

    /// Remember a secret so no evidence or reply ever shows it, in any of its forms (credentials, and tokens
    /// as they arrive).
    pub fn redact(&self, secret: &Secret) {
        self.redact_as(secret, None);
    }

    /// Like [`Transport::redact`], with the forms of `username:secret` too (the Basic header's).
    fn redact_as(&self, secret: &Secret, username: Option<&str>) {
        let mut known = self.secrets.lock().expect("secrets lock");
        let before = known.len();
        for form in secret.forms(username) {
            if !known.contains(&form) {
                known.push(form);
            }
        }
        if known.len() != before {
            // Longest first, so a padded base64 form goes whole before its unpadded prefix.
            known.sort_by_key(|form| std::cmp::Reverse(form.len()));
        }
    }

    /// Mark the exchanges still waiting for an answer as abandoned (`why`), and return their indexes.
    pub fn abandon_pending(&self, why: &str) -> Vec<usize> {
        let mut log = self.log.lock().expect("log lock");
        let mut pending = Vec::new();
        for (index, e) in log.iter_mut().enumerate() {
            if e.status.is_none() && e.error.is_none() {
                e.error = Some(why.to_owned());
                pending.push(index);
            }
        }
        pending
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

    /// Send `req`, following redirects as its [`Follow`] allows; credentials and forms go only to the
    /// request's own origin. Every hop is an exchange in the log; the reply names them.
    pub async fn send(&self, req: Request<'_>) -> Result<Reply, Failure> {
        if let Auth::Basic(user, secret) = req.auth {
            self.redact_as(secret, Some(user));
        }
        let origin = Origin::of(&req.url);
        let (mut method, mut url) = (req.method.clone(), req.url.clone());
        let (mut keep_form, mut from, mut redirects) = (true, None, Vec::new());
        loop {
            let same_origin = origin.is_some() && Origin::of(&url) == origin;
            let hop =
                Hop { method: method.clone(), url: url.clone(), auth: same_origin, form: keep_form, from };
            let (index, answer) = self.exchange(&req, hop).await?;
            let target = match answer.location.as_deref().map(|l| resolve(&url, l)) {
                Some(Some(target)) if is_redirect(answer.status) => target,
                _ => return Ok(self.reply(answer, index, redirects, !same_origin)),
            };
            let leaves = Origin::of(&target) != origin;
            let refused = if redirects.len() == MAX_REDIRECTS {
                Some(format!("redirect not followed: more than {MAX_REDIRECTS} in a row"))
            } else if leaves && req.follow == Follow::SameOrigin {
                Some(format!(
                    "redirect to another origin not followed: a {} {}is sent only to its own origin",
                    method,
                    if req.refresh { "with a refresh token " } else { "" }
                ))
            } else {
                None
            };
            if let Some(note) = refused {
                self.note(index, note);
                return Ok(self.reply(answer, index, redirects, !same_origin));
            }
            if leaves && !matches!(req.auth, Auth::None) {
                self.note(index, "the credential is not sent along to another origin".into());
            }
            // 303, and 301/302 after anything but GET or HEAD, continue as GET without a body.
            let to_get = answer.status == 303
                || (matches!(answer.status, 301 | 302) && method != reqwest::Method::HEAD);
            if to_get && method != reqwest::Method::HEAD {
                method = reqwest::Method::GET;
                keep_form = false;
            }
            redirects.push(index);
            from = Some(index);
            url = target;
        }
    }

    /// One request and its answer (body read up to the cap), logged.
    async fn exchange(&self, req: &Request<'_>, hop: Hop) -> Result<(usize, Answer), Failure> {
        let auth_sent = match (&req.auth, req.refresh && hop.form, hop.auth) {
            (_, true, _) => AuthSent::RefreshToken,
            (_, _, false) | (Auth::None, _, _) => AuthSent::None,
            (Auth::Basic(..), _, _) => AuthSent::Basic,
            (Auth::Bearer(_), _, _) => AuthSent::Bearer,
        };
        let builder = self.builder(req, &hop);
        let exchange = Exchange {
            method: hop.method.to_string(),
            url: self.clean(&strip_query_secrets(&hop.url), 300),
            auth: auth_sent,
            status: None,
            error: None,
            challenges: Vec::new(),
            headers: BTreeMap::new(),
            body: None,
            scopes_asked: req.scopes_asked.clone(),
            scopes_granted: None,
            elapsed_ms: 0,
            redirected_from: hop.from,
            notes: Vec::new(),
        };
        // The index is the exchange's place in send order, taken before the first await: requests sent
        // together (a 404's body and tag list) are logged in a fixed order, not in the order they finish.
        let index = {
            let mut log = self.log.lock().expect("log lock");
            super::trace::sent(log.len(), &exchange);
            log.push(exchange);
            log.len() - 1
        };
        let started = Instant::now();
        let outcome = match builder.send().await {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                let read = if hop.method == reqwest::Method::HEAD || is_redirect(status) {
                    Ok((Vec::new(), false))
                } else {
                    read_capped(&mut response, MAX_BODY_READ).await
                };
                match read {
                    Ok((body, cut)) => Ok((status, headers, body, cut)),
                    Err(err) => {
                        let (kind, cause) = describe(&err);
                        Err((kind, format!("the answer ({status}) broke off: {cause}")))
                    }
                }
            }
            Err(err) => Err(describe(&err)),
        };
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let mut log = self.log.lock().expect("log lock");
        let exchange = &mut log[index];
        exchange.elapsed_ms = elapsed_ms;
        match outcome {
            Ok((status, headers, body, cut)) => {
                if cut {
                    exchange.notes.push(format!("body cut at {MAX_BODY_READ} bytes"));
                }
                let location = headers.get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok());
                let location = location.map(str::to_owned);
                self.record_answer(exchange, status, &headers, &body);
                super::trace::answered(index, exchange);
                Ok((index, Answer { status, headers, body, location }))
            }
            Err((kind, cause)) => {
                let cause = self.clean(&cause, 600);
                exchange.error = Some(cause.clone());
                super::trace::answered(index, exchange);
                Err(Failure { kind, cause, index: Some(index) })
            }
        }
    }

    fn note(&self, index: usize, note: String) {
        if let Some(e) = self.log.lock().expect("log lock").get_mut(index) {
            e.notes.push(note);
        }
    }

    /// The reply the probes see: body, headers and challenges redacted.
    fn reply(&self, answer: Answer, index: usize, redirects: Vec<usize>, from_other_origin: bool) -> Reply {
        let forms = self.secrets.lock().expect("secrets lock").clone();
        let mut headers = reqwest::header::HeaderMap::new();
        for (name, value) in &answer.headers {
            let Ok(text) = value.to_str() else { continue };
            if let Ok(value) = reqwest::header::HeaderValue::from_str(&redact_forms(text, &forms)) {
                headers.append(name.clone(), value);
            }
        }
        let lines = headers.get_all(reqwest::header::WWW_AUTHENTICATE).iter().filter_map(|v| v.to_str().ok());
        let challenges = challenge::parse_all(lines);
        let body = redact_forms(&String::from_utf8_lossy(&answer.body), &forms).into_bytes();
        Reply {
            status: answer.status,
            challenges,
            headers,
            body,
            index,
            redirects,
            from_other_origin,
            raw_body: answer.body,
        }
    }

    fn builder(&self, req: &Request<'_>, hop: &Hop) -> reqwest::RequestBuilder {
        let mut builder = self.client.request(hop.method.clone(), &hop.url);
        builder = match req.auth {
            _ if !hop.auth => builder,
            Auth::None => builder,
            Auth::Basic(user, secret) => builder.basic_auth(user, Some(secret.expose())),
            Auth::Bearer(token) => builder.bearer_auth(token.expose()),
        };
        if let Some(accept) = req.accept {
            builder = builder.header(reqwest::header::ACCEPT, accept);
        }
        match &req.form {
            Some(form) if hop.form && hop.auth => builder = builder.form(form),
            _ if hop.method == reqwest::Method::POST => {
                builder = builder.header(reqwest::header::CONTENT_LENGTH, "0");
            }
            _ => {}
        }
        builder
    }

    /// Fill in the evidence of an answer (cleaned).
    fn record_answer(
        &self,
        exchange: &mut Exchange,
        status: u16,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) {
        exchange.status = Some(status);
        exchange.challenges = headers
            .get_all(reqwest::header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(|l| self.clean(l, 400))
            .collect();
        for name in KEPT_HEADERS {
            if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
                exchange.headers.insert(name.to_owned(), self.clean(&strip_query_secrets(v), 200));
            }
        }
        if status >= 400 && !body.is_empty() {
            exchange.body = Some(self.clean(String::from_utf8_lossy(body).trim(), MAX_BODY));
        }
    }

    /// Redact every form of every known secret, then make the text safe for a terminal and cut it to `max`
    /// characters: for any text from a server that is shown (claims of a token included).
    pub fn clean(&self, text: &str, max: usize) -> String {
        let forms = self.secrets.lock().expect("secrets lock");
        for_terminal(&redact_forms(text, &forms), max)
    }
}

/// One request of a chain of redirects.
struct Hop {
    method: reqwest::Method,
    url: String,
    /// Credentials and the form go along: the hop is on the request's own origin.
    auth: bool,
    /// The form goes along (not after a redirect that turned the request into a GET).
    form: bool,
    from: Option<usize>,
}

/// What came back, before redaction.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
    location: Option<String>,
}

/// Read a body chunk by chunk, stopping at `cap` bytes; `true` when it was cut.
async fn read_capped(
    response: &mut reqwest::Response,
    cap: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = cap - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

/// An upload URL's query carries the registry's signed upload state: not a credential, but noise.
fn strip_query_secrets(url: &str) -> String {
    match url.split_once('?') {
        Some((path, query)) if query.contains("_state=") => format!("{path}?_state=…"),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_state_is_cut() {
        assert_eq!(strip_query_secrets("/v2/a/blobs/uploads/u?_state=abc"), "/v2/a/blobs/uploads/u?_state=…");
        assert_eq!(strip_query_secrets("/t?scope=x"), "/t?scope=x");
    }
}
