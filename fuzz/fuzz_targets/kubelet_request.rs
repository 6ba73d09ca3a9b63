#![no_main]
//! The kubelet plugin's request parser: never panics, refuses what is over the limit, and an accepted
//! request is a v1 request with an image; a refusal never quotes more than the short apiVersion or kind.
use libfuzzer_sys::fuzz_target;
use regauth_core::kubelet::{parse_request, Request, MAX_REQUEST};

fuzz_target!(|data: &[u8]| {
    match parse_request(data) {
        Ok(Request { image }) => {
            assert!(data.len() <= MAX_REQUEST);
            assert!(!image.is_empty());
        }
        Err(e) => assert!(e.to_string().len() < 400),
    }
});
