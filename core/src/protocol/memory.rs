//! An in-memory store for unit tests of the protocol and of code that takes any [`Store`].

use super::store::{Listing, Store, StoreError};
use super::wire::Credentials;
use std::cell::RefCell;
use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: RefCell<BTreeMap<String, Credentials>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Store for MemoryStore {
    fn store(&self, creds: &Credentials) -> Result<(), StoreError> {
        self.entries.borrow_mut().insert(creds.server_url.clone(), creds.clone());
        Ok(())
    }

    fn get(&self, server_url: &str) -> Result<Credentials, StoreError> {
        self.entries.borrow().get(server_url).cloned().ok_or(StoreError::NotFound)
    }

    fn erase(&self, server_url: &str) -> Result<(), StoreError> {
        self.entries.borrow_mut().remove(server_url).map(|_| ()).ok_or(StoreError::NotFound)
    }

    fn list(&self) -> Result<Listing, StoreError> {
        Ok(self.entries.borrow().values().map(|c| (c.server_url.clone(), c.username.clone())).collect())
    }
}
