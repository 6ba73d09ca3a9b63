#![no_main]
//! Image references: never panic; a parsed reference's normal form parses to itself.
use libfuzzer_sys::fuzz_target;
use regauth_core::reference::Reference;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(r) = Reference::parse(text) {
        let again = Reference::parse(&r.to_string()).expect("normal form must parse");
        assert_eq!(again, r);
    }
});
