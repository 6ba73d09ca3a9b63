//! An entry as the cache stores it (in the keyring or tokens.json), and what makes one well formed.

use super::{answers, Fingerprint, Listed, MAX_SCOPES, MAX_TEXT, MAX_TOKEN};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

/// An entry as stored: a token, or a registry's token service.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Entry {
    pub(super) kind: EntryKind,
    pub(super) registry: String,
    pub(super) realm: String,
    pub(super) service: Option<String>,
    #[serde(default)]
    pub(super) scopes: Vec<String>,
    #[serde(default)]
    pub(super) credential: String,
    #[serde(default)]
    pub(super) token: String,
    pub(super) expires_at: i64,
    /// A helper answer's identity inputs, hashed (see [`answers`]); empty for the other kinds.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(super) identity: String,
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.token.zeroize();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum EntryKind {
    Token,
    Service,
    /// A credential helper's answer, kept by docker-credential-regauth-cache (see [`answers`]).
    Answer,
    /// A credential helper's "not found", kept for a few seconds.
    Missing,
}

impl Entry {
    /// Within the limits, and either a token entry with a token or a service entry without one.
    pub(super) fn well_formed(&self) -> bool {
        let text_ok = |t: &str| !t.is_empty() && t.len() <= MAX_TEXT && !t.contains('\0');
        text_ok(&self.registry)
            && text_ok(&self.realm)
            && self.service.as_deref().is_none_or(|s| s.len() <= MAX_TEXT && !s.contains('\0'))
            && self.scopes.len() <= MAX_SCOPES
            && self.scopes.iter().all(|s| text_ok(s))
            && self.scopes.windows(2).all(|w| w[0] < w[1])
            && match self.kind {
                EntryKind::Token => {
                    self.identity.is_empty()
                        && text_ok(&self.credential)
                        && !self.token.is_empty()
                        && self.token.len() <= MAX_TOKEN
                        && self.token.bytes().all(|b| b.is_ascii_graphic())
                }
                EntryKind::Service => {
                    self.token.is_empty() && self.credential.is_empty() && self.identity.is_empty()
                }
                EntryKind::Answer | EntryKind::Missing => answers::well_formed(self),
            }
    }

    pub(super) fn listed(&self, storage: &'static str) -> Listed {
        Listed {
            registry: self.registry.clone(),
            realm: self.realm.clone(),
            service: self.service.clone(),
            scopes: self.scopes.clone(),
            credential: Fingerprint(self.credential.clone()).short().to_owned(),
            expires_at: self.expires_at,
            storage,
        }
    }
}
