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
//! - [`cli`]: the `regauth` command line and its output.
//!
//! Helpers link only `protocol` and `store`: no async runtime, no HTTP stack on the `get` path.

pub mod cli;
pub mod config;
pub mod environ;
pub mod error;
pub mod lock;
pub mod protocol;
pub mod reference;
pub mod registry;
pub mod resolve;
pub mod sanitize;
pub mod secret;
pub mod store;
