#![no_main]
//! PEM trust bundles (http::system_roots): never panic; every text found is whitespace-free and its
//! block is really in the input.
use libfuzzer_sys::fuzz_target;
use regauth::http::system_roots::pem_texts;

fuzz_target!(|data: &[u8]| {
    for text in pem_texts(data) {
        assert!(!text.iter().any(u8::is_ascii_whitespace));
        assert!(text.len() <= data.len());
    }
});
