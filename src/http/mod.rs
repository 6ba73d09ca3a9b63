//! The registry HTTP client: challenge parsing, token fetch (GET, POST, refresh), token responses, JWT
//! claims, TLS roots, and a transport that logs every exchange as redacted evidence.

pub mod body;
pub mod challenge;
pub mod fetch;
pub mod jwt;
pub mod tls;
pub mod token;
pub mod transport;
