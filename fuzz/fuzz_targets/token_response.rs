#![no_main]
//! Token endpoint bodies and the tokens in them: never panic; a parsed response has a token and a
//! positive lifetime; JWT decoding of any text never panics.
use libfuzzer_sys::fuzz_target;
use regauth::http::token::TokenResponse;
use regauth_core::jwt;

fuzz_target!(|data: &[u8]| {
    if let Ok(response) = TokenResponse::parse(data) {
        assert!(!response.token.is_empty());
        assert!(response.expires_in > 0);
        let _ = jwt::decode(response.token.expose());
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = jwt::decode(text);
    }
});
