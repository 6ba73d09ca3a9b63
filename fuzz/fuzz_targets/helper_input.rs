#![no_main]
//! Helper stdin: the serve loop never panics and always answers with exit 0 or 1, on any input.
use libfuzzer_sys::fuzz_target;
use regauth_core::protocol::{serve, HelperInfo};
use regauth_core::protocol::MemoryStore;

const INFO: HelperInfo = HelperInfo { name: "docker-credential-fuzz", version: "0", help: "" };

fuzz_target!(|data: &[u8]| {
    let store = MemoryStore::new();
    for action in ["store", "get", "erase", "list"] {
        let mut out = Vec::new();
        let code = serve(&INFO, &[action.to_string()], &mut &data[..], &mut out, &store);
        assert!(code == 0 || code == 1);
    }
});
