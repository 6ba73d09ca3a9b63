#![no_main]
//! WWW-Authenticate lines from a registry: never panic; schemes and parameter names come out lower-case;
//! a scope that parses prints back to a scope that parses to the same value.
use libfuzzer_sys::fuzz_target;
use regauth::http::challenge::{parse, Scope};

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else { return };
    for challenge in parse(line) {
        assert_eq!(challenge.scheme, challenge.scheme.to_ascii_lowercase());
        assert!(challenge.params.keys().all(|k| *k == k.to_ascii_lowercase()));
        for scope in challenge.scopes() {
            if let Some(s) = Scope::parse(&scope) {
                assert_eq!(Scope::parse(&s.to_string()), Some(s));
            }
        }
    }
});
