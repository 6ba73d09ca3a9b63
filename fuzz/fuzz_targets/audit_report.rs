#![no_main]
//! `audit merge`'s reading of a report (schema 1, 2 or 3, from any machine of a fleet) never panics on any
//! bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = regauth::audit::merge::parse_report(data);
});
