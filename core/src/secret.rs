//! A secret value (password, token) that cannot leak by accident.
//!
//! `Secret` has a redacting `Debug`, no `Display`, and is zeroed when dropped. The only way to read it is
//! [`Secret::expose`], so every place a secret leaves the program is greppable.

use std::fmt;
use zeroize::Zeroize;

#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret text. Call only where the value must leave: a helper's stdout, an HTTP header.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Length in bytes, for reports that describe a secret without showing it.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("Secret(<empty>)")
        } else {
            f.write_str("Secret(<redacted>)")
        }
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

/// Secrets shorter than this are not looked for in text: they would redact ordinary words, and are not
/// meaningful secrets to hide.
const MIN_REDACTED: usize = 4;

impl Secret {
    /// Every form this secret travels in and a server could echo back, longest first: the raw value; its
    /// base64 (standard and URL-safe, padded and not); with `username`, the base64 of `username:secret`
    /// that a Basic `Authorization` header carries; percent-encoded (upper- and lower-case hex) and
    /// form-encoded as a query string or form body holds it; and JSON-escaped as a JSON body quotes it.
    pub fn forms(&self, username: Option<&str>) -> Vec<Secret> {
        use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
        use base64::Engine;
        if self.0.len() < MIN_REDACTED {
            return Vec::new();
        }
        let raw = self.0.as_str();
        let mut forms = vec![raw.to_owned()];
        let mut encoded = |bytes: &[u8]| {
            for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
                forms.push(engine.encode(bytes));
            }
        };
        encoded(raw.as_bytes());
        if let Some(user) = username {
            let mut basic = format!("{user}:{raw}");
            encoded(basic.as_bytes());
            basic.zeroize();
        }
        forms.push(percent_encoded(raw, false, true));
        forms.push(percent_encoded(raw, false, false));
        forms.push(percent_encoded(raw, true, true));
        if let Ok(json) = serde_json::to_string(raw) {
            forms.push(json[1..json.len() - 1].to_owned());
        }
        forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        forms.dedup();
        forms.into_iter().map(Secret).collect()
    }
}

/// Percent-encoding of everything but unreserved characters (`form`: space as `+`, as a form body).
fn percent_encoded(text: &str, form: bool, upper: bool) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
            b'*' if form => out.push('*'),
            b' ' if form => out.push('+'),
            _ if upper => out.push_str(&format!("%{b:02X}")),
            _ => out.push_str(&format!("%{b:02x}")),
        }
    }
    out
}

/// Replace every form ([`Secret::forms`], without a username) of each secret in `text` with `<redacted>`.
/// Used on text that came from elsewhere (a helper's stdout, a server body) before it is shown.
pub fn redact_all(text: &str, secrets: &[&Secret]) -> String {
    let forms: Vec<Secret> = secrets.iter().flat_map(|s| s.forms(None)).collect();
    redact_forms(text, &forms)
}

/// Replace each of `forms` (already derived, longest first) in `text` with `<redacted>`.
pub fn redact_forms(text: &str, forms: &[Secret]) -> String {
    let mut out = text.to_owned();
    for form in forms {
        if form.len() >= MIN_REDACTED && out.contains(form.expose()) {
            out = out.replace(form.expose(), "<redacted>");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("hunter2-password");
        let shown = format!("{s:?} {:?}", Some(&s));
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn redact_all_replaces_every_occurrence() {
        let s = Secret::new("tok3n-value");
        let text = "a tok3n-value b tok3n-value";
        assert_eq!(redact_all(text, &[&s]), "a <redacted> b <redacted>");
    }

    #[test]
    fn every_form_is_redacted() {
        use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
        use base64::Engine;
        let s = Secret::new("p@ss w/rd?\"x");
        let forms = s.forms(Some("alice"));
        let echoed = [
            "p@ss w/rd?\"x".to_owned(),
            STANDARD.encode("p@ss w/rd?\"x"),
            URL_SAFE_NO_PAD.encode("p@ss w/rd?\"x"),
            format!("Basic {}", STANDARD.encode("alice:p@ss w/rd?\"x")),
            "p%40ss%20w%2Frd%3F%22x".to_owned(),
            "p%40ss+w%2Frd%3F%22x".to_owned(),
            "p%40ss%20w%2frd%3f%22x".to_owned(),
            r#"{"echo":"p@ss w/rd?\"x"}"#.to_owned(),
        ];
        for text in echoed {
            let out = redact_forms(&text, &forms);
            assert!(out.contains("<redacted>") && !out.contains("rd"), "{text} -> {out}");
        }
        assert!(Secret::new("abc").forms(None).is_empty(), "too short to look for");
        assert_eq!(redact_all("a p@ss w/rd?\"x b", &[&s]), "a <redacted> b");
    }
}
