//! What the transport gives back: an answer ([`Reply`], redacted) and the evidence of each exchange.

use super::super::body::error_message;
use super::super::challenge::Challenge;
use super::AuthSent;
use serde::Serialize;
use std::collections::BTreeMap;

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
    /// The exchange whose redirect led here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirected_from: Option<usize>,
    /// What regauth did about this answer: a body cut at the cap, a redirect not followed, credentials
    /// withheld from another origin, no answer before the deadline.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// An answer: what the probes need to classify it. Its body, headers and challenges are redacted of every
/// form of every secret the transport knows; only [`Reply::secret_body`] is as sent.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub challenges: Vec<Challenge>,
    pub headers: reqwest::header::HeaderMap,
    /// The body (at most [`MAX_BODY_READ`] bytes), redacted.
    pub body: Vec<u8>,
    /// Index of this exchange in the log.
    pub index: usize,
    /// The exchanges of the redirects that led here, in order.
    pub redirects: Vec<usize>,
    /// Redirects led to another origin (scheme, host, port) than the request's, which gave this answer:
    /// it proves nothing about a credential that was not sent there.
    pub from_other_origin: bool,
    pub(super) raw_body: Vec<u8>,
}

impl Reply {
    /// An answer as is, for tests of what reads one.
    pub fn new(status: u16, challenges: Vec<Challenge>, body: &[u8], index: usize) -> Reply {
        Reply {
            status,
            challenges,
            headers: Default::default(),
            body: body.to_vec(),
            index,
            redirects: Vec::new(),
            from_other_origin: false,
            raw_body: body.to_vec(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as the server sent it, not redacted: only for reading a token response, whose token the
    /// transport does not know yet. Never print it.
    pub fn secret_body(&self) -> &[u8] {
        &self.raw_body
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
