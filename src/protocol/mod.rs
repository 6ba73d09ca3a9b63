//! The docker credential-helper protocol: wire types, the serve loop used by helper binaries, and a
//! client that runs any `docker-credential-*` program with a timeout.
//!
//! Facts: shared/reference/helper-protocol.md. One argument (the action), input on stdin, output and errors
//! on stdout, exit 0 or 1.

mod client;
mod serve;
mod wire;

pub use client::{find_on_path, HelperClient, HelperError, RawAnswer, DEFAULT_TIMEOUT};
pub use serve::{serve, Action, HelperInfo};
pub use wire::{decode_credentials, encode_credentials, Credentials, WireError, MAX_INPUT};
