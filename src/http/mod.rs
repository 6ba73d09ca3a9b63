//! The registry HTTP client: challenge parsing, token fetch (GET, POST, refresh), token responses (JWT
//! claims are the core's `jwt`), TLS roots, and a transport that logs every exchange as redacted evidence.

pub mod body;
pub mod challenge;
pub mod contact;
pub mod fetch;
pub mod system_roots;
pub mod tls;
pub mod token;
pub mod trace;
pub mod transport;
