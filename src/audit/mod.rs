//! `regauth audit`: an inventory of every stored registry credential on this machine (config files,
//! helpers, caches, the environment) and findings about them, without ever showing a secret.
//!
//! - [`sources`]: where credentials live, and reading them into [`Stored`] items.
//! - [`token_kind`]: what kind of secret each is (PAT, ECR token, JWT...), and when it expires.
//! - [`findings`]: the rules (plaintext, readable by others, expired, duplicated, missing helper...).
//! - [`kube`]: a cluster's pull secrets (`--kube`) and the cluster's own rules.

mod ecr_cache;
pub mod findings;
pub mod kube;
pub mod sources;
pub mod token_kind;

pub use findings::{Finding, Severity};
pub use sources::{Options, Scanned, Stored};

use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Report {
    /// Every credential found, secrets omitted.
    pub credentials: Vec<Stored>,
    pub findings: Vec<Finding>,
    /// Every place looked at, present or not.
    pub scanned: Vec<Scanned>,
}

/// Scan the places `opts` names and judge what is there.
pub fn run(env: &regauth_core::environ::Environ, opts: &Options) -> Report {
    let inventory = sources::collect(env, opts);
    let findings = findings::judge(&inventory, opts.now);
    Report { credentials: inventory.stored, findings, scanned: inventory.scanned }
}
