//! `regauth diagnose`: tell a bad credential (authentication) from a valid credential that may not pull or
//! push one repository (authorization), with the exchange that proves it and the fix for the registry.
//!
//! [`probe`] drives the sequence of registry-auth.md: each step (`credential`, `reachability`,
//! `authenticate`, `pull`, `push`; `refusal` reads a refused token request for both) is a function that
//! reads a `context::Context` and returns a typed outcome, and the driver turns the outcomes into findings.
//! [`classify`] reads each answer, [`registries`] knows each registry's fixes, [`report`] holds the result
//! that the CLI prints as text or JSON.

mod authenticate;
pub mod classify;
pub(crate) mod context;
pub(crate) mod credential;
pub(crate) mod grant;
mod hosts;
pub mod probe;
mod pull;
mod push;
mod reachability;
pub(crate) mod refusal;
pub mod registries;
pub mod report;

pub use context::Observer;
pub use credential::Lookup;
pub use probe::{run, Input};
pub use registries::RegistryType;
pub use report::{Finding, Report, Step, Verdict};
