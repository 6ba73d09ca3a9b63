//! Skipping a test whose real component is missing, in one place: a loud `SKIPPED:` line, a line in the
//! file named by `REGAUTH_SKIP_LOG` (scripts/test counts and prints them at the end), and a panic instead
//! when `REGAUTH_REQUIRE_REAL=1`, so CI cannot pass a test that proved nothing.

use std::io::Write;
use std::path::PathBuf;

/// Whether a missing real component must fail the test instead of skipping it.
pub fn require_real() -> bool {
    std::env::var("REGAUTH_REQUIRE_REAL").is_ok_and(|v| v == "1")
}

/// The one way a test skips: call it, then return without asserting anything. Records
/// `<test binary>::<test>: <reason>` in `$REGAUTH_SKIP_LOG` (when set) and on stderr; panics with
/// `REGAUTH_REQUIRE_REAL=1`.
pub fn skip(reason: &str) {
    let line = format!("{}: {reason}", test_name());
    if let Some(log) = std::env::var_os("REGAUTH_SKIP_LOG").filter(|v| !v.is_empty()) {
        // One short append per line: O_APPEND keeps lines from parallel tests whole.
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap_or_else(|e| panic!("REGAUTH_SKIP_LOG={}: {e}", PathBuf::from(&log).display()));
        let mark = if require_real() { "REFUSED (REGAUTH_REQUIRE_REAL=1)" } else { "SKIPPED" };
        file.write_all(format!("{mark} {line}\n").as_bytes()).expect("write REGAUTH_SKIP_LOG");
    }
    if require_real() {
        panic!(
            "{line}: skipping is not allowed with REGAUTH_REQUIRE_REAL=1; .ci/run installs what is missing"
        );
    }
    eprintln!("SKIPPED: {line}");
}

/// `Some(path)` of a program on PATH; `None` (after `skip`) when it is missing.
pub fn need_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path).map(|d| d.join(program)).find(|p| p.is_file());
    if found.is_none() {
        skip(&format!("{program} is not installed (run scripts/install-test-deps)"));
    }
    found
}

/// `true` when this process runs as root; otherwise `skip`s with `why`.
pub fn need_root(why: &str) -> bool {
    // SAFETY: geteuid(2) cannot fail and touches no memory.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        skip(&format!("needs root: {why}"));
    }
    root
}

/// `binary::test`: libtest names each test's thread after the test.
fn test_name() -> String {
    let exe = std::env::current_exe().ok();
    let stem = exe.as_deref().and_then(|p| p.file_stem()).map(|s| s.to_string_lossy().into_owned());
    // Cargo names test binaries `<target>-<hash>`.
    let binary = stem.as_deref().map(|s| s.rsplit_once('-').map_or(s, |(name, _)| name)).unwrap_or("?");
    let thread = std::thread::current();
    format!("{binary}::{}", thread.name().unwrap_or("?"))
}
