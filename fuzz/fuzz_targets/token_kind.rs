#![no_main]
//! Secret classification (JWT and ECR token decoding) never panics on any username or secret.
use libfuzzer_sys::fuzz_target;
use regauth::audit::token_kind::classify;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (user, secret) = text.split_once('\n').unwrap_or(("", text));
    let _ = classify(user, secret, false);
    let _ = classify(user, secret, true);
});
