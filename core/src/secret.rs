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

/// Replace every occurrence of each non-empty secret in `text` with `<redacted>`.
/// Used on text that came from elsewhere (a helper's stdout, a server body) before it is shown.
pub fn redact_all(text: &str, secrets: &[&Secret]) -> String {
    let mut out = text.to_owned();
    for secret in secrets {
        // Very short values would redact ordinary words; they are not meaningful secrets to hide in text.
        if secret.len() >= 4 {
            out = out.replace(secret.expose(), "<redacted>");
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
}
