//! A request as the probes write it, which redirects it follows, and the origin rule for credentials.

use regauth_core::secret::Secret;

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
    /// Which redirects to follow.
    pub follow: Follow,
}

/// Which redirects a request follows. Whatever the choice, credentials are sent only to the origin the
/// request was made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    /// Redirects on the request's own origin, and to another origin without credentials (a registry that
    /// serves manifests or blobs from a CDN). The default for GET and HEAD.
    Anywhere,
    /// Only redirects on the request's own origin; the default for any other method (a form with a refresh
    /// token, an upload, a DELETE).
    SameOrigin,
}

impl<'a> Request<'a> {
    pub fn new(method: reqwest::Method, url: impl Into<String>, auth: Auth<'a>) -> Request<'a> {
        let follow = if method == reqwest::Method::GET || method == reqwest::Method::HEAD {
            Follow::Anywhere
        } else {
            Follow::SameOrigin
        };
        Request {
            follow,
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

/// Scheme, host and port: where a credential belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Origin(String, String, Option<u16>);

impl Origin {
    pub(super) fn of(url: &str) -> Option<Origin> {
        let url = reqwest::Url::parse(url).ok()?;
        Some(Origin(
            url.scheme().to_owned(),
            url.host_str()?.to_ascii_lowercase(),
            url.port_or_known_default(),
        ))
    }
}

/// Whether `a` and `b` are URLs on the same origin (scheme, host, port); `false` when either is not a URL.
pub fn same_origin(a: &str, b: &str) -> bool {
    matches!((Origin::of(a), Origin::of(b)), (Some(x), Some(y)) if x == y)
}

pub(super) fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// A `Location` resolved against the URL that answered; `None` when it is not a usable http(s) URL.
pub(super) fn resolve(base: &str, location: &str) -> Option<String> {
    let url = reqwest::Url::parse(base).ok()?.join(location).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}
