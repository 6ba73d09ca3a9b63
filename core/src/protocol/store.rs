//! The `Store` trait: one credential backend, named after the protocol's verbs. Backends live in
//! `crate::store`; the serve loop takes any `Store`.

use super::wire::Credentials;
use super::ERR_CREDENTIALS_NOT_FOUND;
use std::collections::BTreeMap;

/// `server URL -> username`, the answer to `list`.
pub type Listing = BTreeMap<String, String>;

pub trait Store {
    /// Create or replace the entry for `creds.server_url`.
    fn store(&self, creds: &Credentials) -> Result<(), StoreError>;
    /// The entry stored under exactly this server URL; [`StoreError::NotFound`] when there is none.
    fn get(&self, server_url: &str) -> Result<Credentials, StoreError>;
    /// Remove the entry. Removing what is not there is [`StoreError::NotFound`]; a store that cannot
    /// change answers [`StoreError::ReadOnly`] saying what stays. `serve` decides what the client is told
    /// (success in both cases, see `serve`).
    fn erase(&self, server_url: &str) -> Result<(), StoreError>;
    /// Every entry this store owns.
    fn list(&self) -> Result<Listing, StoreError>;
    /// [`Store::list`], telling `note` about each entry it had to leave out (a damaged one, say) instead
    /// of failing the whole list. The helper's `list` calls this; stores that skip nothing need not
    /// implement it.
    fn list_noting(&self, note: &mut dyn FnMut(&str)) -> Result<Listing, StoreError> {
        let _ = note;
        self.list()
    }
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
