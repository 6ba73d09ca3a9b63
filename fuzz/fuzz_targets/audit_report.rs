#![no_main]
//! `audit merge`'s reading of a report (schema 1, 2 or 3, from any machine of a fleet) never panics on any
//! bytes, nor does merging it (alone, and beside itself: the same host twice) and writing the merged
//! report: the indexes a schema 3 report carries are checked on reading and used by the merge's writers.
use libfuzzer_sys::fuzz_target;
use regauth::audit::merge;

fuzz_target!(|data: &[u8]| {
    if merge::parse_report(data).is_err() {
        return;
    }
    for reports in [&[data][..], &[data, data][..]] {
        let merged = merge::merge_bytes(reports);
        for f in &merged.findings {
            let _ = (f.message(&merged), f.fix(&merged));
        }
        merged.write_json(0, std::io::sink()).expect("writing to a sink does not fail");
    }
});
