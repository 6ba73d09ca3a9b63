//! The credential step: what the lookup found (client config, stdin, or none) and how it is reported.

use super::probe::{Lookup, Probe};
use super::report::{Finding, Step, Verdict};
use crate::resolve::{self, Credential, CredentialKind, Outcome, Resolution};
use regauth_core::reference::Reference;
use regauth_core::sanitize::one_line;

impl Probe {
    pub(super) fn apply_lookup(&mut self, found: Found) {
        let finding = match found {
            Found::Anonymous => {
                self.cred_info.origin = "anonymous".into();
                Finding::new(
                    Step::Credential,
                    Verdict::Ok,
                    "none: probing anonymously as asked (--anonymous)",
                )
            }
            Found::Explicit(credential) => {
                self.cred_info.origin = "stdin".into();
                let summary = format!(
                    "given on stdin: username \"{}\" with a {}",
                    one_line(&credential.username),
                    kind_text(credential.kind)
                );
                self.take(credential);
                Finding::new(Step::Credential, Verdict::Ok, summary)
            }
            Found::Client(resolution) => return self.apply_resolution(*resolution),
        };
        self.set(finding);
    }

    pub(super) fn take(&mut self, credential: Credential) {
        self.transport.redact(&credential.secret);
        self.cred_info.username = Some(credential.username.clone());
        self.cred_info.kind = Some(credential.kind);
        self.credential = Some(credential);
    }

    pub(super) fn apply_resolution(&mut self, r: Resolution) {
        let client = r.client.name();
        self.cred_info.origin = "client".into();
        self.cred_info.client = Some(client.into());
        self.cred_info.file = r.file.clone();
        self.cred_info.key = r.key.clone();
        self.cred_info.source =
            serde_json::to_value(r.source).ok().and_then(|v| v.as_str().map(str::to_owned));
        let file =
            r.file.as_ref().map(|f| f.display().to_string()).unwrap_or_else(|| "no config file".into());
        let place = match &r.key {
            Some(key) => format!("{} key \"{}\"", one_line(&file), one_line(key)),
            None => one_line(&file),
        };
        let helper = r.helper.as_ref().map(|h| h.program.clone());
        let mut finding = match (&r.outcome, r.credential.clone()) {
            (Outcome::Found { .. }, Some(credential)) => {
                let via = helper.map(|h| format!(" through {h}")).unwrap_or_default();
                let summary = format!(
                    "{client} would send username \"{}\" with a {} from {place}{via}",
                    one_line(&credential.username),
                    kind_text(credential.kind)
                );
                self.take(credential);
                Finding::new(Step::Credential, Verdict::Ok, summary)
            }
            (Outcome::HelperMissing { message }, _) => Finding::new(Step::Credential, Verdict::LocalConfig, format!("the credential helper is missing: {}", one_line(message)))
                .fix(format!("Install {} or remove it from credsStore/credHelpers in {place}: until then the client cannot read the stored credential.", helper.unwrap_or_default())),
            (Outcome::HelperFailed { message } | Outcome::HelperTimedOut { message }, _) => Finding::new(Step::Credential, Verdict::LocalConfig, format!("the credential helper failed: {}", one_line(message)))
                .fix(format!("Run `echo {} | {} get` to see its error; log in again so it stores a fresh credential.", r.key.as_deref().unwrap_or_default(), helper.unwrap_or_default())),
            (Outcome::ConfigError { message }, _) => Finding::new(Step::Credential, Verdict::LocalConfig, format!("the config cannot be used: {}", one_line(message)))
                .fix("Fix the file named above (it must be valid JSON), or pass --config PATH."),
            _ => {
                self.cred_missing = true;
                Finding::new(Step::Credential, Verdict::Ok, format!("{client} has no credential for this registry ({place}): probing anonymously"))
            }
        };
        finding.details.extend(r.notes.iter().map(|n| one_line(n)));
        self.set(finding);
    }
}

/// What the lookup found, moved back from the blocking task.
pub(super) enum Found {
    Anonymous,
    Explicit(Credential),
    Client(Box<Resolution>),
}

pub(super) fn look_up(reference: &Reference, lookup: Lookup) -> Found {
    match lookup {
        Lookup::Anonymous => Found::Anonymous,
        Lookup::Explicit(c) => Found::Explicit(c),
        Lookup::Client { client, env, options } => {
            Found::Client(Box::new(resolve::resolve(reference, client, &env, &options)))
        }
    }
}

fn kind_text(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::Password => "password or access token",
        CredentialKind::IdentityToken => "identity (refresh) token",
        CredentialKind::RegistryToken => "registry bearer token",
    }
}
