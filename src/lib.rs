//! regauth: container-registry credentials.
//!
//! The library behind the `regauth` command. What it shares with the `docker-credential-regauth-*` helpers
//! (config files, references, registry keys, the helper protocol, stores, locks) is the `regauth_core`
//! crate; this crate adds what needs HTTP or a command line:
//!
//! - [`resolve`]: which credential each client would send, and why.
//! - [`audit`]: an inventory of stored credentials and findings about them.
//! - [`http`]: the registry HTTP client: challenges, token fetch, JWT claims, TLS roots, evidence log.
//! - [`diagnose`]: probes, verdicts and per-registry fixes behind `regauth diagnose`.
//! - [`placement`]: where a credential is stored (the configured helper, else the best store here), shared by
//!   `login` and `migrate`.
//! - [`migrate`]: plaintext `auths` entries moved into a credential helper, and the dry run's plan.
//! - [`cli`]: the `regauth` command line and its output.
//! - [`conformance`]: the helper conformance suite behind `regauth helper-test`.
//!
//! The helpers (the `regauth-helpers` package) link only `regauth_core`: no async runtime, no HTTP stack on
//! the `get` path, enforced by the package graph rather than by the linker.

#![warn(unreachable_pub)]

/// The exit-code table as a literal, so clap attributes can `concat!` it after their examples: the codes
/// a command can return (`exit_codes_help!(0, 1, 2, 3)`), or all of them (`exit_codes_help!()`).
#[macro_export]
macro_rules! exit_codes_help {
    () => {
        $crate::exit_codes_help!(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
    };
    ($($code:tt),+) => {
        concat!("Exit codes:", $($crate::exit_code_line!($code)),+)
    };
}

/// One row of the exit-code table (src/exit.rs has the meanings), short enough for an 80-column terminal.
#[doc(hidden)]
#[macro_export]
macro_rules! exit_code_line {
    (0) => {
        "\n  0  success"
    };
    (1) => {
        "\n  1  internal error"
    };
    (2) => {
        "\n  2  usage error"
    };
    (3) => {
        "\n  3  local configuration: config file, helper, lock, no credential"
    };
    (4) => {
        "\n  4  authentication failed: the credential is wrong or expired"
    };
    (5) => {
        "\n  5  authorization denied: valid credential, action not allowed"
    };
    (6) => {
        "\n  6  repository or tag not found (token: no bearer token)"
    };
    (7) => {
        "\n  7  rate limited"
    };
    (8) => {
        "\n  8  network or TLS failure"
    };
    (9) => {
        "\n  9  audit findings at or above --fail-on"
    };
}

pub mod allocator;
pub mod audit;
pub mod cli;
pub mod conformance;
pub mod diagnose;
pub mod exit;
pub mod export;
pub mod http;
pub mod kube;
pub mod login;
pub mod migrate;
pub mod placement;
pub mod resolve;
pub mod status;
pub mod token;
pub mod when;
