//! `regauth diagnose`: tell a bad credential (authentication) from a valid credential that may not pull or
//! push one repository (authorization), with the exchange that proves it and the fix for the registry.
//!
//! [`probe`] runs the sequence of registry-auth.md (its steps in `credential`, `authenticate`, `pull`,
//! `push`), [`classify`] reads each answer, [`registries`] knows
//! each registry's fixes, [`report`] holds the result that the CLI prints as text or JSON.

mod authenticate;
pub mod classify;
mod credential;
mod hosts;
pub mod probe;
mod pull;
mod push;
pub mod registries;
pub mod report;

pub use probe::{run, Input, Lookup, Observer};
pub use registries::RegistryType;
pub use report::{Finding, Report, Step, Verdict};
