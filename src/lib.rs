//! regauth: container-registry credentials.
//!
//! The library behind the `regauth` command and the `docker-credential-regauth-*` helpers:
//!
//! - [`reference`]: image references, normalised as docker does.
//! - [`registry`]: the key each client (docker, podman, nerdctl) looks a registry up under.
//! - [`config`]: config.json / auth.json: locate, parse losslessly, edit safely.
//! - [`lock`]: lock files for every writer.
//! - [`protocol`]: the credential-helper protocol: wire types, serve loop, client with timeout.
//! - [`store`]: credential stores behind one trait.
//! - [`resolve`]: which credential each client would send, and why.
//! - [`audit`]: an inventory of stored credentials and findings about them.
//! - [`http`]: the registry HTTP client: challenges, token fetch, JWT claims, TLS roots, evidence log.
//! - [`diagnose`]: probes, verdicts and per-registry fixes behind `regauth diagnose`.
//! - [`cli`]: the `regauth` command line and its output.
//!
//! Helpers link only `protocol` and `store`: no async runtime, no HTTP stack on the `get` path.

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
pub mod config;
pub mod conformance;
pub mod diagnose;
pub mod environ;
pub mod error;
pub mod helper;
pub mod http;
pub mod lock;
pub mod protocol;
pub mod reference;
pub mod registry;
pub mod resolve;
pub mod sanitize;
pub mod secret;
pub mod store;
