//! The credential step: what the lookup found (client config, stdin, or none) and how it is reported.
//! The lookup may run a slow helper, so it is a plain function the driver runs in a blocking task.

use super::report::{CredentialInfo, Finding, Origin, Step, Verdict};
use crate::resolve::{self, Credential, CredentialKind, Outcome, Resolution};
use regauth_core::environ::Environ;
use regauth_core::reference::Reference;
use regauth_core::registry::Client;
use regauth_core::sanitize::one_line;

/// Where the credential comes from.
pub enum Lookup {
    /// No credential (`--anonymous`).
    Anonymous,
    /// Given on stdin.
    Explicit(Credential),
    /// What this client would send, found by [`resolve::resolve`].
    Client { client: Client, env: Environ, options: resolve::Options },
}

impl Lookup {
    pub(super) fn origin(&self) -> Origin {
        match self {
            Lookup::Anonymous => Origin::Anonymous,
            Lookup::Explicit(_) => Origin::Stdin,
            Lookup::Client { .. } => Origin::Client,
        }
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

/// The credential step's outcome: the credential to send, if any, and what to say about it.
pub(super) struct CredentialOutcome {
    pub(super) credential: Option<Credential>,
    pub(super) info: CredentialInfo,
    pub(super) state: CredentialState,
    /// The resolver's notes, shown as details.
    pub(super) notes: Vec<String>,
}

pub(super) enum CredentialState {
    /// A credential will be sent; the summary says whose and from where.
    Usable { summary: String },
    /// `--anonymous`.
    AnonymousAsked,
    /// The client has none for this registry, so the probe goes anonymously.
    NoneStored { client: &'static str, place: String },
    /// The lookup failed: a helper missing or failing, a config that cannot be used.
    Broken { summary: String, fix: String },
    /// The lookup task itself failed.
    LookupFailed { error: String },
}

impl CredentialOutcome {
    fn new(info: CredentialInfo, state: CredentialState) -> CredentialOutcome {
        CredentialOutcome { credential: None, info, state, notes: Vec::new() }
    }

    pub(super) fn failed(origin: Origin, error: String) -> CredentialOutcome {
        CredentialOutcome::new(CredentialInfo::new(origin), CredentialState::LookupFailed { error })
    }

    pub(super) fn from_found(found: Found) -> CredentialOutcome {
        match found {
            Found::Anonymous => CredentialOutcome::new(
                CredentialInfo::new(Origin::Anonymous),
                CredentialState::AnonymousAsked,
            ),
            Found::Explicit(credential) => {
                let summary = format!(
                    "given on stdin: username \"{}\" with {}",
                    one_line(&credential.username),
                    kind_text(credential.kind)
                );
                let mut outcome = CredentialOutcome::new(
                    CredentialInfo::new(Origin::Stdin),
                    CredentialState::Usable { summary },
                );
                outcome.take(credential);
                outcome
            }
            Found::Client(resolution) => CredentialOutcome::from_resolution(*resolution),
        }
    }

    fn take(&mut self, credential: Credential) {
        self.info.username = Some(credential.username.clone());
        self.info.kind = Some(credential.kind);
        self.credential = Some(credential);
    }

    fn from_resolution(r: Resolution) -> CredentialOutcome {
        let client = r.client.name();
        let info = CredentialInfo {
            client: Some(r.client),
            file: r.file.clone(),
            key: r.key.clone(),
            source: Some(r.source),
            ..CredentialInfo::new(Origin::Client)
        };
        let file =
            r.file.as_ref().map(|f| f.display().to_string()).unwrap_or_else(|| "no config file".into());
        let place = match &r.key {
            Some(key) => format!("{} key \"{}\"", one_line(&file), one_line(key)),
            None => one_line(&file),
        };
        let helper = r.helper.as_ref().map(|h| h.program.as_str());
        let key = r.key.as_deref().unwrap_or_default();
        let helper_name = helper.unwrap_or_default();
        let (state, credential) = match (&r.outcome, r.credential) {
            (Outcome::Found { .. }, Some(credential)) => {
                let via = helper.map(|h| format!(" through {h}")).unwrap_or_default();
                let summary = format!(
                    "{client} would send username \"{}\" with {} from {place}{via}",
                    one_line(&credential.username),
                    kind_text(credential.kind)
                );
                (CredentialState::Usable { summary }, Some(credential))
            }
            (Outcome::HelperMissing { message }, _) => (
                CredentialState::Broken {
                    summary: format!("the credential helper is missing: {}", one_line(message)),
                    fix: format!(
                        "Install {helper_name} or remove it from credsStore/credHelpers in {place}: \
                         until then the client cannot read the stored credential."
                    ),
                },
                None,
            ),
            (Outcome::HelperFailed { message } | Outcome::HelperTimedOut { message }, _) => (
                CredentialState::Broken {
                    // The message names the helper and says it failed or timed out: said once.
                    summary: if message.starts_with("docker-credential-") {
                        one_line(message)
                    } else {
                        format!("the credential helper failed: {}", one_line(message))
                    },
                    fix: format!(
                        "Run `echo {key} | {helper_name} get` to see its error; log in again so it \
                         stores a fresh credential."
                    ),
                },
                None,
            ),
            (Outcome::ConfigError { message }, _) => (
                CredentialState::Broken {
                    summary: format!("the config cannot be used: {}", one_line(message)),
                    // The message names the file, and the entry when one `auth` is unreadable.
                    fix: "Fix what the message names (a file that does not parse or is missing, or an auths \
                          entry: `regauth login` or `docker login` rewrites it as padded base64), or point the \
                          client at \
                          another file (--config, --registries-conf)."
                        .into(),
                },
                None,
            ),
            _ => (CredentialState::NoneStored { client, place }, None),
        };
        let mut outcome = CredentialOutcome::new(info, state);
        outcome.notes = r.notes.iter().map(|n| one_line(n)).collect();
        if let Some(credential) = credential {
            outcome.take(credential);
        }
        outcome
    }

    /// The finding. `login_fix` is set when a later step found that the registry wants a login, which
    /// makes "nothing stored" the local problem to fix.
    pub(super) fn finding(&self, login_fix: Option<String>) -> Finding {
        let finding = match &self.state {
            CredentialState::Usable { summary } => {
                Finding::new(Step::Credential, Verdict::Ok, summary.clone())
            }
            CredentialState::AnonymousAsked => Finding::new(
                Step::Credential,
                Verdict::Ok,
                "none: probing anonymously as asked (--anonymous)",
            ),
            CredentialState::NoneStored { client, place } => match login_fix {
                Some(fix) => Finding::new(
                    Step::Credential,
                    Verdict::LocalConfig,
                    format!("{client} has no credential for this registry ({place}); the registry needs one"),
                )
                .fix(fix),
                None => Finding::new(
                    Step::Credential,
                    Verdict::Ok,
                    format!("{client} has no credential for this registry ({place}): probing anonymously"),
                ),
            },
            CredentialState::Broken { summary, fix } => {
                Finding::new(Step::Credential, Verdict::LocalConfig, summary.clone()).fix(fix.clone())
            }
            CredentialState::LookupFailed { error } => Finding::new(
                Step::Credential,
                Verdict::LocalConfig,
                format!("credential lookup failed: {error}"),
            ),
        };
        self.notes.iter().fold(finding, |f, note| f.detail(note.clone()))
    }
}

fn kind_text(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::Password => "a password or access token",
        CredentialKind::IdentityToken => "an identity (refresh) token",
        CredentialKind::RegistryToken => "a registry bearer token",
    }
}

/// The credential step for a command that fetches a token outside a diagnosis (`regauth token`): the
/// credential to send (`None`: anonymous), or the finding that says why the client's credential cannot be
/// used, exactly as diagnose reports it.
pub(crate) fn credential_for(
    reference: &Reference,
    lookup: Lookup,
) -> Result<Option<Credential>, Box<Finding>> {
    let outcome = CredentialOutcome::from_found(look_up(reference, lookup));
    match outcome.state {
        CredentialState::Broken { .. } | CredentialState::LookupFailed { .. } => {
            Err(Box::new(outcome.finding(None)))
        }
        _ => Ok(outcome.credential),
    }
}
