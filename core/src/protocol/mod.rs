//! The docker credential-helper protocol: wire types, the `Store` trait every backend implements, the serve
//! loop used by helper binaries, and a client that runs any `docker-credential-*` program with a timeout.
//!
//! Facts: shared/reference/helper-protocol.md. One argument (the action), input on stdin, output and errors
//! on stdout, exit 0 or 1. This module depends on no backend: `store` implements [`Store`], never the
//! reverse.

mod client;
mod memory;
mod serve;
mod store;
mod wire;

pub use client::{
    find_on_path, run_bounded, Bounded, HelperClient, HelperError, RawAnswer, RunError, DEFAULT_TIMEOUT,
    MAX_OUTPUT, MAX_STDERR,
};
pub use memory::MemoryStore;
pub use serve::{serve, serve_with_notes, Action, HelperInfo};
pub use store::{Listing, Store, StoreError};
pub use wire::{decode_credentials, encode_credentials, Credentials, WireError, MAX_INPUT};

/// What a helper prints on stdout (exit 1) when it has no entry for a server URL. Must match
/// docker-credential-helpers byte for byte: clients recognise "not found" only by this exact text.
pub const ERR_CREDENTIALS_NOT_FOUND: &str = "credentials not found in native keychain";
/// `store` with an empty or missing `ServerURL`.
pub const ERR_MISSING_SERVER_URL: &str = "no credentials server URL";
/// `store` with an empty or missing `Username`.
pub const ERR_MISSING_USERNAME: &str = "no credentials username";
