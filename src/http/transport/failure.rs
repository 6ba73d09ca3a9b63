//! A request that got no usable answer, and what kind of failure it was: read from the error's source
//! chain (I/O error kinds, `rustls::Error`), never from its text. The text for people is one line: the
//! causes below the HTTP client's own wrappers ("error sending request for url (..)", "client error
//! (Connect)"), which repeat the URL the exchange already shows.

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

/// What kind of failure a request met, and its cause for people (one line, see [`request_cause`]); a TLS
/// failure that does not say so itself (a plain-http server answering the hello) is named as one.
pub(super) fn describe(err: &reqwest::Error) -> (FailureKind, String) {
    let kind = failure_kind(err);
    let cause = request_cause(err);
    if kind == FailureKind::Tls && !cause.to_ascii_lowercase().contains("tls") {
        return (kind, format!("TLS handshake failed: {cause}"));
    }
    (kind, cause)
}

/// The causes of a failed request for people, one line: the HTTP client's outer layers (which name the URL,
/// already in the exchange, and the connector) dropped when something below them says what went wrong.
fn request_cause(err: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = std::error::Error::source(err);
    while let Some(e) = source {
        let text = e.to_string();
        let wrapper = text.starts_with("client error (") && e.source().is_some();
        if !wrapper && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    if parts.is_empty() {
        return cause_chain(err);
    }
    parts.join(": ")
}

/// `outer: inner: innermost`, without repeating text a source already contains.
pub(super) fn cause_chain(err: &dyn std::error::Error) -> String {
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
}
