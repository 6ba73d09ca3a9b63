//! Proof that no secret left: every form a secret travels in (raw, base64, base64 of `user:secret` as in
//! a Basic header, URL-encoded) is looked for in every output a test captured.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine;

/// The forms of `secret` (sent as `username`'s) that must never appear in output.
pub fn forms(username: &str, secret: &str) -> Vec<String> {
    let basic = format!("{username}:{secret}");
    let mut forms = vec![
        secret.to_owned(),
        STANDARD.encode(secret),
        STANDARD_NO_PAD.encode(secret),
        URL_SAFE_NO_PAD.encode(secret),
        STANDARD_NO_PAD.encode(&basic),
        url_encoded(secret),
    ];
    forms.sort();
    forms.dedup();
    forms
}

/// Panic naming the output and the form when any form of any `(username, secret)` appears in `outputs`
/// (`(name, text)` pairs such as `("stdout", ...)`). The secret itself is never printed.
pub fn assert_absent(outputs: &[(&str, &str)], secrets: &[(&str, &str)]) {
    for (username, secret) in secrets {
        assert!(secret.len() >= 8, "a planted secret must be long enough not to occur by chance");
        for (i, form) in forms(username, secret).iter().enumerate() {
            for (name, text) in outputs {
                assert!(!text.contains(form.as_str()), "{name} holds form #{i} of {username}'s secret");
            }
        }
    }
}

/// Percent-encoding of everything but unreserved characters, as a form body or query string holds it.
fn url_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
