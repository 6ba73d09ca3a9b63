#![no_main]
//! k3s/rke2 registries.yaml (`audit::registries_yaml::parse`): never panics, stays within its node, byte and
//! depth budget whatever anchors and aliases the input has, and a refusal never quotes the input.
use libfuzzer_sys::fuzz_target;
use regauth::audit::registries_yaml::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match parse(text) {
        Ok(entries) => {
            for (entry, _) in entries {
                assert!(entry.key.len() <= text.len());
            }
        }
        Err(problem) => assert!(problem.to_string().len() < 300),
    }
});
