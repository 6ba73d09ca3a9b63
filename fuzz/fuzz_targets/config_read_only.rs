#![no_main]
//! config files as the audit reads them: wherever the one-pass reader (`config::read_only`) answers, it
//! answers what the lossless loader (`config::Document`) answers, for every reader's decoding and for
//! `~/.dockercfg`'s shape; where it does not answer, `parse` is the loader's answer or error.
use libfuzzer_sys::fuzz_target;
use regauth_core::config::read_only::{self, Entries};
use regauth_core::config::{AuthEncoding, Document};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz/config.json");
    for legacy in [false, true] {
        let doc = if legacy { Document::parse_legacy(data, path) } else { Document::parse(data, path) };
        for client in [AuthEncoding::Docker, AuthEncoding::Containers, AuthEncoding::Kubelet] {
            let want = doc.as_ref().map(|doc| Entries::of_document(doc, client)).map_err(|e| e.to_string());
            if let Some(fast) = read_only::one_pass(data, legacy, client) {
                assert_eq!(Ok(&fast), want.as_ref(), "the one pass and Document differ");
            }
            let got = read_only::parse(data, path, legacy, client).map_err(|e| e.to_string());
            assert_eq!(got, want);
        }
    }
});
