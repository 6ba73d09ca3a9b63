//! Credential store backends, each implementing [`crate::protocol::Store`].
//!
//! A helper binary is `protocol::serve` over one store. Backends stay small: they map the four verbs onto
//! their storage and report failures as [`crate::protocol::StoreError`], whose `Display` is what the helper
//! prints.

pub mod env;
pub mod keyutils;
pub mod secret_service;

pub use env::EnvStore;
pub use keyutils::KeyutilsStore;
pub use secret_service::SecretServiceStore;
