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
//! - [`cli`]: the `regauth` command line and its output.
//! - [`conformance`]: the helper conformance suite behind `regauth helper-test`.
//!
//! The helpers (the `regauth-helpers` package) link only `regauth_core`: no async runtime, no HTTP stack on
//! the `get` path, enforced by the package graph rather than by the linker.

#![warn(unreachable_pub)]

/// The exit-code table as a literal, so clap attributes can `concat!` it after their examples.
#[macro_export]
macro_rules! exit_codes_help {
    () => {
        "Exit codes:
  0  success
  1  internal error
  2  usage error
  3  local configuration problem (config file, credential helper, lock, missing credential)
  4  authentication failed (credential wrong or expired)
  5  authorization denied (valid credential, action not allowed on this repository)
  6  repository or tag not found
  7  rate limited
  8  network or TLS failure
  9  audit findings at or above --fail-on"
    };
}

pub mod audit;
pub mod cli;
pub mod conformance;
pub mod diagnose;
pub mod exit;
pub mod export;
pub mod http;
pub mod kube;
pub mod login;
pub mod placement;
pub mod resolve;
pub mod token;
