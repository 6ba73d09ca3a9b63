//! The Go programs the tests run against (real peers such as nerdctl or crane, and harnesses that link
//! other projects' code as oracles), built by scripts/build-go-peers from the pinned modules under
//! tests/go/NAME/ into `$REGAUTH_GO_PEERS/NAME/current/bin` (default /var/cache/regauth/go), outside the
//! checkout. A program that is not built skips the test (a failure with `REGAUTH_REQUIRE_REAL=1`).

use std::path::PathBuf;

/// Where scripts/build-go-peers puts each module's programs.
pub fn peers_root() -> PathBuf {
    std::env::var_os("REGAUTH_GO_PEERS")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/regauth/go"))
}

/// `Some(path)` of `program` built from the module tests/go/`module`; `None` (after `skip`) when it is not
/// built.
pub fn need_peer(module: &str, program: &str) -> Option<PathBuf> {
    let path = peers_root().join(module).join("current/bin").join(program);
    if path.is_file() {
        return Some(path);
    }
    super::skip(&format!(
        "{program} (tests/go/{module}) is not built at {} (run scripts/build-go-peers {module})",
        path.display()
    ));
    None
}
