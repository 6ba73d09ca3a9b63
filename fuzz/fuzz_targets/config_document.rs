#![no_main]
//! config.json: never panic; a parsed document written back parses to the same document.
use libfuzzer_sys::fuzz_target;
use regauth_core::config::Document;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz/config.json");
    if let Ok(doc) = Document::parse(data, path) {
        let _ = doc.auths(regauth_core::config::AuthEncoding::Docker);
        let _ = doc.auths(regauth_core::config::AuthEncoding::Kubelet);
        let _ = doc.cred_helpers();
        let again = Document::parse(&doc.to_bytes(), path).expect("our own output must parse");
        assert_eq!(again.to_bytes(), doc.to_bytes());
    }
});
