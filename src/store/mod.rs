//! Credential stores behind one trait named after the helper protocol's verbs.
//!
//! A helper binary is `protocol::serve` over one store. Backends stay small: they map the four verbs onto
//! their storage and report failures as [`StoreError`], whose `Display` is what the helper prints.

pub mod env;
pub mod keyutils;
mod memory;
pub mod secret_service;

pub use env::EnvStore;
pub use keyutils::KeyutilsStore;
pub use memory::MemoryStore;
pub use secret_service::SecretServiceStore;

use crate::error::ERR_CREDENTIALS_NOT_FOUND;
use crate::protocol::Credentials;
use std::collections::BTreeMap;

/// `server URL -> username`, the answer to `list`.
pub type Listing = BTreeMap<String, String>;

pub trait Store {
    /// Create or replace the entry for `creds.server_url`.
    fn store(&self, creds: &Credentials) -> Result<(), StoreError>;
    /// The entry stored under exactly this server URL; [`StoreError::NotFound`] when there is none.
    fn get(&self, server_url: &str) -> Result<Credentials, StoreError>;
    /// Remove the entry. Removing what is not there is [`StoreError::NotFound`]; `serve` decides what
    /// the client is told.
    fn erase(&self, server_url: &str) -> Result<(), StoreError>;
    /// Every entry this store owns.
    fn list(&self) -> Result<Listing, StoreError>;
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    /// No entry: printed as docker's exact not-found string, the only one clients recognise.
    #[error("{}", ERR_CREDENTIALS_NOT_FOUND)]
    NotFound,
    /// The store cannot change (the environment store).
    #[error("{0}")]
    ReadOnly(String),
    /// The backing service is not there or not usable (no session bus, locked keyring, keyctl blocked).
    #[error("{0}")]
    Unavailable(String),
    /// Anything else, with a message that names what failed and never a secret.
    #[error("{0}")]
    Failed(String),
}
