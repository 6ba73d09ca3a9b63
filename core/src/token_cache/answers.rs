//! A second kind of entry in the token cache's storage: a credential helper's answer to `get`, kept by
//! docker-credential-regauth-cache so that a slow helper (gcloud, ecr-login, pass) is asked once per
//! lifetime instead of on every pull.
//!
//! Same storage, key, distrust and lock discipline as the tokens: the kernel keyring (`<prefix>a-<id>`, a
//! key timeout at the entry's expiry) or the 0600 `tokens.json` under its lock; the id is the HMAC (per-user
//! key) of the server URL as the client asked, the inner helper's name and its identity (the HMAC of the
//! uid and the environment variables that helper reads, `cache_helper::identity`), so none shows in a key
//! description or the file's ids, and another AWS profile or gcloud account is another entry. An entry holds:
//! - `registry`: the server URL's registry (`RegistryHost`), for `regauth cache list|clear --registry`;
//! - `service`: the server URL as asked; `realm`: the inner helper's name; `identity`: the identity HMAC;
//! - `credential`: the username; `token`: the secret (empty for a remembered "not found").
//!
//! A `store` or `erase` always wins over a `get` in flight: [`TokenCache::forget_answers`] bumps the
//! registry's generation and removes its answers under one lock, and [`TokenCache::answer_or_ask`] writes
//! only when the generation it saw before asking is still current, checked under that lock
//! (`generations`).
//!
//! Lifetime ([`answer_expires_at`]): the configured TTL, shortened to the credential's own expiry (JWT
//! `exp`, an ECR token's `expiration`; see `token_expiry`) less [`CREDENTIAL_MARGIN`]; a "not found" lives
//! [`NOT_FOUND_LIFETIME`] at most. Never beyond the TTL nor [`super::MAX_LIFETIME`].

use super::{locks, now_unix, Entry, EntryKind, Fingerprint, Keyed, TokenCache, MAX_TEXT, MAX_TOKEN};
use crate::environ::Environ;
use crate::registry::RegistryHost;
use crate::secret::Secret;
use serde::Serialize;
use std::time::Duration;

/// Seconds a helper's "not found" is remembered (never longer than the TTL).
pub const NOT_FOUND_LIFETIME: i64 = 5;
/// A credential that says when it expires stops being served this many seconds before.
pub const CREDENTIAL_MARGIN: i64 = 60;

/// Which answer: the server URL as the client asked, from which inner helper, for which identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerKey {
    pub server_url: String,
    /// The inner helper's name (`gcloud` for docker-credential-gcloud).
    pub helper: String,
    /// [`TokenCache::identity`] of the inner helper in the caller's environment.
    pub identity: Fingerprint,
}

/// What an inner helper answered to `get`.
#[derive(Debug)]
pub enum Answer {
    Found { username: String, secret: Secret },
    NotFound,
}

/// An answer, from the cache or just asked.
#[derive(Debug)]
pub struct Answered {
    pub answer: Answer,
    /// Unix seconds until which the cache serves it.
    pub expires_at: i64,
    pub from_cache: bool,
}

/// One cached answer as `regauth cache list` shows it: never the secret, nor the username.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedAnswer {
    pub registry: String,
    pub server_url: String,
    pub helper: String,
    /// The first 12 hex digits of the identity HMAC: answers for one URL and helper differ by it.
    pub identity: String,
    /// `false`: a remembered "not found".
    pub found: bool,
    pub expires_at: i64,
    pub storage: &'static str,
}

/// Until when an answer asked at `now` is served: `now + ttl`, or earlier when the credential says it
/// expires ([`CREDENTIAL_MARGIN`] before that); a "not found" at most [`NOT_FOUND_LIFETIME`].
pub fn answer_expires_at(answer: &Answer, ttl: Duration, now: i64) -> i64 {
    let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX).min(super::MAX_LIFETIME);
    let by_ttl = now.saturating_add(ttl);
    match answer {
        Answer::NotFound => by_ttl.min(now.saturating_add(NOT_FOUND_LIFETIME)),
        Answer::Found { username, secret } => {
            match crate::token_expiry::expires_at(username, secret.expose()) {
                Some(exp) => by_ttl.min(exp.saturating_sub(CREDENTIAL_MARGIN)),
                None => by_ttl,
            }
        }
    }
}

pub(super) fn well_formed(entry: &Entry) -> bool {
    let text_ok = |t: &str| !t.is_empty() && t.len() <= MAX_TEXT && !t.contains('\0');
    let server_ok = entry.service.as_deref().is_some_and(text_ok);
    let common = text_ok(&entry.registry)
        && text_ok(&entry.realm)
        && text_ok(&entry.identity)
        && server_ok
        && entry.scopes.is_empty()
        && entry.credential.len() <= MAX_TEXT
        && !entry.credential.contains('\0');
    common
        && match entry.kind {
            EntryKind::Answer => {
                !entry.token.is_empty() && entry.token.len() <= MAX_TOKEN && !entry.token.contains('\0')
            }
            EntryKind::Missing => entry.token.is_empty() && entry.credential.is_empty(),
            EntryKind::Token | EntryKind::Service => false,
        }
}

fn answer_id(keyed: &Keyed, key: &AnswerKey) -> String {
    format!(
        "a-{}",
        &keyed.mac(
            "regauth token-cache v2 helper answer",
            &[key.server_url.as_bytes(), key.helper.as_bytes(), key.identity.as_str().as_bytes()]
        )[..32]
    )
}

pub(super) fn id_of(keyed: &Keyed, entry: &Entry) -> String {
    answer_id(
        keyed,
        &AnswerKey {
            server_url: entry.service.clone().unwrap_or_default(),
            helper: entry.realm.clone(),
            identity: Fingerprint(entry.identity.clone()),
        },
    )
}

/// The generation stripe of `server_url`'s registry: one byte of its HMAC.
fn stripe(keyed: &Keyed, server_url: &str) -> u8 {
    let registry = RegistryHost::new(server_url);
    let mac = keyed.mac("regauth token-cache v1 generation", &[registry.as_str().as_bytes()]);
    u8::from_str_radix(&mac[..2], 16).expect("hex")
}

#[cfg(test)]
pub(super) fn stripe_of(cache: &TokenCache, server_url: &str) -> u8 {
    stripe(&cache.keyed, server_url)
}

impl TokenCache {
    /// The identity of the inner helper `helper` in `env`: the HMAC of the uid and the variables it reads
    /// (`cache_helper::identity`), so that an answer is served only to the identity it was asked for.
    pub fn identity(&self, helper: &str, env: &Environ) -> Fingerprint {
        let uid = env.uid().to_be_bytes();
        let inputs = crate::cache_helper::identity::inputs(helper, env);
        let mut parts: Vec<&[u8]> = vec![&uid];
        for (name, value) in &inputs {
            parts.push(name.as_encoded_bytes());
            parts.push(value.as_encoded_bytes());
        }
        Fingerprint(self.keyed.mac("regauth token-cache v1 helper identity", &parts))
    }

    /// The cached answer for `key`, while it lives.
    pub fn cached_answer(&self, key: &AnswerKey) -> Option<Answered> {
        // The entry must be `key`'s: then it matches its id (derived from these fields) too.
        let entry = self.read_matching(&answer_id(&self.keyed, key), |e| {
            matches!(e.kind, EntryKind::Answer | EntryKind::Missing)
                && e.service.as_deref() == Some(key.server_url.as_str())
                && e.realm == key.helper
                && e.identity == key.identity.as_str()
        })?;
        if entry.expires_at <= now_unix() {
            return None;
        }
        let answer = match entry.kind {
            EntryKind::Answer => Answer::Found {
                username: entry.credential.clone(),
                secret: Secret::new(entry.token.as_str()),
            },
            EntryKind::Missing => Answer::NotFound,
            EntryKind::Token | EntryKind::Service => return None,
        };
        Some(Answered { answer, expires_at: entry.expires_at, from_cache: true })
    }

    /// The cached answer for `key`, or the one `ask` gets (then cached, see [`answer_expires_at`]).
    /// Concurrent callers for one key wait for the first one's `ask` on the entry's lock (at most `wait`;
    /// after that each asks itself) and look again once they hold it. An `ask` that fails is not cached,
    /// nor one that a [`TokenCache::forget_answers`] (a store or erase) overtook.
    pub fn answer_or_ask<E>(
        &self,
        key: &AnswerKey,
        ttl: Duration,
        wait: Duration,
        ask: impl FnOnce() -> Result<Answer, E>,
    ) -> Result<Answered, E> {
        if let Some(answered) = self.cached_answer(key) {
            return Ok(answered);
        }
        let id = answer_id(&self.keyed, key);
        let guard = match crate::lock::acquire(&locks::entry_lock(&self.dir, &id), wait) {
            Ok(guard) => Some(guard),
            Err(e) => {
                self.note(format!("asking without waiting for another process: {e}"));
                None
            }
        };
        if guard.is_some() {
            if let Some(answered) = self.cached_answer(key) {
                return Ok(answered);
            }
        }
        let stripe = stripe(&self.keyed, &key.server_url);
        let seen = self.generations.current(stripe);
        let answer = ask()?;
        let now = now_unix();
        let expires_at = answer_expires_at(&answer, ttl, now);
        if expires_at > now {
            let (kind, username, secret) = match &answer {
                Answer::Found { username, secret } => (EntryKind::Answer, username.clone(), secret.expose()),
                Answer::NotFound => (EntryKind::Missing, String::new(), ""),
            };
            let entry = Entry {
                kind,
                registry: RegistryHost::new(&key.server_url).as_str().to_owned(),
                realm: key.helper.clone(),
                service: Some(key.server_url.clone()),
                scopes: Vec::new(),
                credential: username,
                token: secret.to_owned(),
                expires_at,
                identity: key.identity.as_str().to_owned(),
            };
            if entry.well_formed() {
                // Written only while no store or erase has come between `seen` and now.
                if let Err(e) = self.generations.if_unchanged(stripe, seen, || self.write(&id, &entry)) {
                    self.note(format!("the answer was not cached: {e}"));
                }
            }
        }
        drop(guard);
        Ok(Answered { answer, expires_at, from_cache: false })
    }

    /// Remove every cached answer for the registry of `server_url` (whichever URL form, inner helper and
    /// identity), and bump its generation so that no `get` in flight writes one back: before and after a
    /// `store` or `erase`. Returns how many. Without the generation (its lock or file failing) the answers
    /// are still removed, and the error says the in-flight guarantee did not hold.
    pub fn forget_answers(&self, server_url: &str) -> Result<usize, String> {
        let registry = RegistryHost::new(server_url);
        let remove = || {
            self.remove_everywhere(&|entry: &Entry| {
                matches!(entry.kind, EntryKind::Answer | EntryKind::Missing)
                    && entry.registry == registry.as_str()
            })
        };
        match self.generations.bump(stripe(&self.keyed, server_url), remove) {
            Ok(removed) => removed,
            Err(e) => {
                remove()?;
                Err(format!("a get in flight may cache the old answer again: {e}"))
            }
        }
    }

    /// Every live cached answer, in the keyring and in the file, sorted by registry.
    pub fn list_answers(&self) -> Vec<ListedAnswer> {
        let mut listed: Vec<ListedAnswer> = self
            .live(|kind| matches!(kind, EntryKind::Answer | EntryKind::Missing))
            .into_iter()
            .map(|(storage, entry)| ListedAnswer {
                found: entry.kind == EntryKind::Answer,
                server_url: entry.service.clone().unwrap_or_default(),
                helper: entry.realm.clone(),
                identity: Fingerprint(entry.identity.clone()).short().to_owned(),
                registry: entry.registry.clone(),
                expires_at: entry.expires_at,
                storage,
            })
            .collect();
        listed.sort_by(|a, b| {
            (&a.registry, &a.server_url, a.expires_at).cmp(&(&b.registry, &b.server_url, b.expires_at))
        });
        listed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes() {
        let ttl = Duration::from_secs(300);
        let opaque = Answer::Found { username: "u".into(), secret: Secret::new("opaque") };
        assert_eq!(answer_expires_at(&opaque, ttl, 1000), 1300);
        assert_eq!(answer_expires_at(&Answer::NotFound, ttl, 1000), 1000 + NOT_FOUND_LIFETIME);
        assert_eq!(answer_expires_at(&Answer::NotFound, Duration::from_secs(2), 1000), 1002);
        // A JWT that ends sooner than the TTL shortens it; one that ends later does not lengthen it.
        let jwt = |exp: i64| {
            use base64::Engine;
            let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
            format!("{}.{}.sig", e.encode("{}"), e.encode(format!("{{\"exp\":{exp}}}")))
        };
        let soon = Answer::Found { username: "u".into(), secret: Secret::new(jwt(1100)) };
        assert_eq!(answer_expires_at(&soon, ttl, 1000), 1100 - CREDENTIAL_MARGIN);
        let late = Answer::Found { username: "u".into(), secret: Secret::new(jwt(99_999)) };
        assert_eq!(answer_expires_at(&late, ttl, 1000), 1300);
        let expired = Answer::Found { username: "u".into(), secret: Secret::new(jwt(900)) };
        assert!(answer_expires_at(&expired, ttl, 1000) <= 1000);
        // Never beyond a day.
        assert_eq!(answer_expires_at(&opaque, Duration::from_secs(u64::MAX), 0), super::super::MAX_LIFETIME);
    }
}
