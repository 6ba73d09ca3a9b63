//! The helpers as the release build ships them: `make static` links them static-pie into
//! target/release-static (the Makefile's STATIC_BINARIES, which `make install` and the Debian package take
//! them from). Built once per test process; scripts/test runs `make static` before `cargo test`, so in CI
//! each test binary's call is cargo's freshness check (cargo's lock on target/static orders concurrent ones).

use super::need_program;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The programs the Makefile's STATIC_PROGRAMS names (`make static-programs`): what `make static` builds.
pub fn static_programs() -> &'static [String] {
    static LIST: OnceLock<Vec<String>> = OnceLock::new();
    LIST.get_or_init(|| {
        let out = Command::new("make")
            .args(["-s", "--no-print-directory", "-C"])
            .arg(checkout())
            .arg("static-programs")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "make static-programs: {}", String::from_utf8_lossy(&out.stderr));
        let list: Vec<String> =
            String::from_utf8_lossy(&out.stdout).split_whitespace().map(str::to_owned).collect();
        assert!(!list.is_empty(), "the Makefile's STATIC_PROGRAMS is empty");
        list
    })
}

pub fn checkout() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// target/release-static after `make static`; `None` (after a loud skip) without make.
pub fn dir() -> Option<&'static Path> {
    need_program("make")?;
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        let out = Command::new("make")
            .arg("-C")
            .arg(checkout())
            .arg("static")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "make static failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        checkout().join("target/release-static")
    });
    Some(dir)
}

/// One static helper.
pub fn helper(name: &str) -> Option<PathBuf> {
    Some(dir()?.join(name))
}

/// What the ELF headers say about how a program is linked and loaded.
#[derive(Debug, Default)]
pub struct Linkage {
    /// ET_DYN with no PT_INTERP and no DT_NEEDED, DF_1_PIE: static-pie (no loader, no shared library).
    pub static_pie: bool,
    /// PT_INTERP: started by the dynamic loader.
    pub interp: bool,
    pub needed: Vec<String>,
    /// DT_RELR: packed relative relocations.
    pub relr: bool,
    /// Full RELRO: PT_GNU_RELRO and BIND_NOW.
    pub full_relro: bool,
}

/// `readelf -d -l -h` of `program`; `None` (after a loud skip) without readelf.
pub fn linkage(program: &Path) -> Option<Linkage> {
    need_program("readelf")?;
    let out = Command::new("readelf").args(["-W", "-h", "-l", "-d"]).arg(program).output().unwrap();
    assert!(out.status.success(), "readelf {}: {}", program.display(), String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut l = Linkage::default();
    let pie_type = text.lines().any(|t| t.trim_start().starts_with("Type:") && t.contains("DYN"));
    l.interp = text.lines().any(|t| t.trim_start().starts_with("INTERP "));
    l.needed = text
        .lines()
        .filter(|t| t.contains("(NEEDED)"))
        .filter_map(|t| Some(t.split('[').nth(1)?.trim_end_matches(']').to_owned()))
        .collect();
    let flags_1_pie = text.lines().any(|t| t.contains("(FLAGS_1)") && t.contains(" PIE"));
    l.static_pie = pie_type && flags_1_pie && !l.interp && l.needed.is_empty();
    l.relr = text.lines().any(|t| t.contains("(RELR)"));
    let bind_now = text.lines().any(|t| {
        (t.contains("(FLAGS)") && t.contains("BIND_NOW")) || (t.contains("(FLAGS_1)") && t.contains(" NOW"))
    });
    l.full_relro = bind_now && text.lines().any(|t| t.trim_start().starts_with("GNU_RELRO"));
    Some(l)
}

/// Fails unless `program` is static-pie with DT_RELR and full RELRO.
pub fn assert_static_pie(program: &Path) {
    let Some(l) = linkage(program) else { return };
    assert!(
        l.static_pie && l.relr && l.full_relro,
        "{} is not static-pie with RELR and full RELRO: {l:?}",
        program.display()
    );
}
