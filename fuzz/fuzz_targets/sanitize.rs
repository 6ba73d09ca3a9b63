#![no_main]
//! Terminal sanitising and redaction of any text: the output holds no control or format character, is no
//! longer than asked (plus the `…` that marks a cut), and holds no form of a secret found in the text.
use libfuzzer_sys::fuzz_target;
use regauth_core::sanitize::{for_terminal, needs_escape};
use regauth_core::secret::{redact_forms, Secret};

fuzz_target!(|data: &[u8]| {
    let Some((&max, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let max = usize::from(max) * 4;
    let out = for_terminal(&text, max);
    assert!(!out.chars().any(needs_escape), "{out:?}");
    assert!(out.chars().count() <= max + 1, "{} > {max}", out.chars().count());

    let (secret, text) = text.split_once('\n').unwrap_or(("", &text));
    let secret = Secret::new(secret);
    let forms = secret.forms(Some("user"));
    let redacted = redact_forms(text, &forms);
    // A secret with `<` or `>` can be formed anew across the edge of a `<redacted>`; one inside it is it.
    let plain = !secret.expose().contains(['<', '>']) && !"<redacted>".contains(secret.expose());
    if secret.len() >= 4 && plain {
        assert!(!redacted.contains(secret.expose()));
    }
});
