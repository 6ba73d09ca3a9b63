//! The result of a diagnosis: one finding per step, the exchanges that prove them, and the exit code.
//! Serialised as the documented `--json` schema (schemaVersion 1): only add fields, never rename.

use super::registries::RegistryType;
use crate::exit::Exit;
use crate::http::transport::Exchange;
use crate::resolve::{CredentialKind, Source};
use regauth_core::registry::Client;
use serde::Serialize;
use std::path::PathBuf;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Step {
    Credential,
    Reachability,
    Authentication,
    Pull,
    Push,
}

impl Step {
    pub const ALL: [Step; 5] =
        [Step::Credential, Step::Reachability, Step::Authentication, Step::Pull, Step::Push];

    pub fn name(self) -> &'static str {
        match self {
            Step::Credential => "credential",
            Step::Reachability => "reachability",
            Step::Authentication => "authentication",
            Step::Pull => "pull",
            Step::Push => "push",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Verdict {
    Ok,
    Skipped,
    AuthenticationFailed,
    AuthorizationDenied,
    NotFound,
    RateLimited,
    Network,
    LocalConfig,
}

impl Verdict {
    pub fn is_failure(self) -> bool {
        !matches!(self, Verdict::Ok | Verdict::Skipped)
    }

    pub fn exit(self) -> Exit {
        match self {
            Verdict::Ok | Verdict::Skipped => Exit::Ok,
            Verdict::AuthenticationFailed => Exit::AuthenticationFailed,
            Verdict::AuthorizationDenied => Exit::AuthorizationDenied,
            Verdict::NotFound => Exit::NotFound,
            Verdict::RateLimited => Exit::RateLimited,
            Verdict::Network => Exit::Network,
            Verdict::LocalConfig => Exit::LocalConfig,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Skipped => "skipped",
            Verdict::AuthenticationFailed => "authentication failed",
            Verdict::AuthorizationDenied => "authorization denied",
            Verdict::NotFound => "not found",
            Verdict::RateLimited => "rate limited",
            Verdict::Network => "network or TLS failure",
            Verdict::LocalConfig => "local configuration problem",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub step: Step,
    pub verdict: Verdict,
    /// One sentence.
    pub summary: String,
    pub details: Vec<String>,
    /// Indexes into `exchanges`: the requests that prove the verdict.
    pub evidence: Vec<usize>,
    pub fix: Option<String>,
}

impl Finding {
    pub fn new(step: Step, verdict: Verdict, summary: impl Into<String>) -> Finding {
        Finding {
            step,
            verdict,
            summary: summary.into(),
            details: Vec::new(),
            evidence: Vec::new(),
            fix: None,
        }
    }

    pub fn detail(mut self, text: impl Into<String>) -> Finding {
        self.details.push(text.into());
        self
    }

    pub fn evidence(mut self, index: Option<usize>) -> Finding {
        self.evidence.extend(index);
        self
    }

    pub fn fix(mut self, text: impl Into<String>) -> Finding {
        self.fix = Some(text.into());
        self
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryInfo {
    /// As in the image reference: `docker.io`, `127.0.0.1:5000`.
    pub host: String,
    /// The base URL probed, once known.
    pub url: Option<String>,
    #[serde(rename = "type")]
    pub kind: RegistryType,
    pub realm: Option<String>,
    pub service: Option<String>,
}

/// Where the credential came from; never the secret.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialInfo {
    pub origin: Origin,
    pub client: Option<Client>,
    pub username: Option<String>,
    pub kind: Option<CredentialKind>,
    pub file: Option<PathBuf>,
    pub key: Option<String>,
    /// `credHelpers`, `credsStore`, `auths`, ...
    pub source: Option<Source>,
}

impl CredentialInfo {
    pub fn new(origin: Origin) -> CredentialInfo {
        CredentialInfo {
            origin,
            client: None,
            username: None,
            kind: None,
            file: None,
            key: None,
            source: None,
        }
    }
}

/// How the credential was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// What a client (`--client`) would send.
    Client,
    /// `--password-stdin` or `--identity-token-stdin`.
    Stdin,
    /// `--anonymous`.
    Anonymous,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub schema_version: u32,
    pub image: String,
    pub registry: RegistryInfo,
    pub repository: String,
    pub reference: String,
    pub push: bool,
    pub credential: CredentialInfo,
    pub steps: Vec<Finding>,
    /// The first failing step's verdict, else `ok`.
    pub verdict: Verdict,
    pub exit_code: u8,
    pub warnings: Vec<String>,
    /// HTTP requests sent, failed connections included.
    pub requests: usize,
    pub exchanges: Vec<Exchange>,
}

impl Report {
    pub fn exit(&self) -> Exit {
        self.verdict.exit()
    }

    /// The first failing finding, which decides the exit code.
    pub fn first_failure(&self) -> Option<&Finding> {
        self.steps.iter().find(|f| f.verdict.is_failure())
    }
}
