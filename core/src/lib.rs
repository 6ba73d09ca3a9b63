//! regauth-core: what every regauth program shares, and nothing that talks HTTP or parses a command line.
//!
//! - [`secret`]: `Secret`, which never prints itself.
//! - [`sanitize`]: untrusted text made safe for a terminal.
//! - [`environ`]: a snapshot of the environment, passed down so lookup rules are testable.
//! - [`reference`]: image references, normalised as docker does.
//! - [`registry`]: the key each client (docker, podman, nerdctl) looks a registry up under.
//! - [`config`]: config.json / auth.json: locate, parse losslessly, edit safely.
//! - [`fsread`]: bounded, non-blocking reads of regular files, and symlinks resolved with their owners.
//! - [`lock`]: lock files for every writer.
//! - [`protocol`]: the credential-helper protocol: wire types, the `Store` trait, serve loop, client.
//! - [`store`]: the credential store backends.
//! - [`token_cache`]: bearer tokens kept across processes (keyring or a 0600 file), keyed without the credential.
//! - [`cache_helper`]: which inner helper docker-credential-regauth-cache wraps for which registry.
//! - [`kubelet`]: the kubelet's image credential provider API (request, response, Go durations).
//! - [`token_expiry`]: when a credential expires, from its own shape (JWT `exp`, ECR tokens).
//! - [`start`]: how every program starts (`main!`), without Rust's costly stack-guard probe.
//! - [`jwt`]: the one JWT claims decoder (no signature check); [`lenient`]: the field type of untrusted JSON.
//!
//! This crate has no async runtime, HTTP or TLS stack and no command-line parser among its dependencies, so
//! the helper binaries, which link only this crate, cannot reach them: `get` runs on every pull.

#![warn(unreachable_pub)]

pub mod cache_helper;
pub mod config;
pub mod environ;
pub mod fsread;
pub mod jwt;
pub mod kubelet;
pub mod lenient;
pub mod lock;
pub mod protocol;
pub mod reference;
pub mod registry;
pub mod safepath;
pub mod sanitize;
pub mod secret;
pub mod start;
pub mod store;
pub mod token_cache;
pub mod token_expiry;
