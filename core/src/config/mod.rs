//! Docker's `config.json` and containers' `auth.json`: where they are, what they say, and how to change
//! them without losing anything.
//!
//! - [`locate`]: the files each client reads, in its order.
//! - [`document`]: a lossless, order-preserving parse with typed views and small edits.
//! - [`write`]: the only way to change a file: locked, re-read under the lock, atomic, durable.

pub mod auth_field;
pub mod document;
mod duplicates;
pub mod locate;
pub mod read_only;
pub mod write;

pub use auth_field::{AuthEncoding, AuthProblem, Base64Problem, Decoded};
pub use document::{AuthEntry, Document};
pub use locate::{
    containers_auth_files, docker_config_path, explicit_config_file, missing_config_dir, AuthFile,
};
pub use write::{load, update, update_checked};

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read, or was refused (a FIFO, a device, too large, another user's link).
    #[error(transparent)]
    File(#[from] crate::fsread::FileError),
    #[error("{path}:{line}:{column}: not valid JSON: {message}; the file was left unchanged")]
    Parse { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{path}: {field} must be {expected}; the file was left unchanged")]
    WrongType { path: PathBuf, field: String, expected: &'static str },
    #[error("cannot write {path}: {source}; the previous file is intact")]
    Write { path: PathBuf, source: std::io::Error },
    #[error(
        "{path}: {} appears twice (clients use the last one); rewriting the file would drop the first, \
         so it was left unchanged: remove one by hand",
        keys.join(", ")
    )]
    DuplicateKeys { path: PathBuf, keys: Vec<String> },
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
    /// Another program rewrote the file, without taking the lock, while an edit was under way.
    #[error("{path} was changed by another program during the edit; it was left as that program wrote it")]
    Changed { path: PathBuf },
    #[error("{0}")]
    Invalid(String),
}
