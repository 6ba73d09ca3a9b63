//! The compact facts the rules of [`super`] need of each secret, taken from [`SecretView`]s while the input
//! they borrow from is still there, so that the input can go before the report is built: per secret its
//! namespace and type (interned: a dump has few), its name, and an index into the decoded pull-secret data
//! (decoded once per distinct data, on every core). Secrets are decoded to classify them and dropped at once.

use crate::audit::parallel;
use crate::audit::token_kind::{classify, TokenKind};
use crate::kube::keyring::{docker_entries, SecretState};
use crate::kube::objects::{SecretView, ValueRef};
use std::collections::HashMap;
use std::hash::BuildHasher;

/// One entry of a pull secret, classified; its secret already dropped.
#[derive(Clone)]
pub(super) struct Judged {
    pub(super) key: String,
    pub(super) username: Option<String>,
    pub(super) kind: Option<TokenKind>,
    pub(super) expires_at: Option<i64>,
    /// Per run: equal for the same registry key and secret.
    pub(super) fingerprint: Option<u64>,
}

/// A pull secret's data, decoded.
pub(super) enum Decoded {
    Entries(Vec<Judged>),
    /// The kubelet cannot build its keyring from it (why, without the value).
    Undecodable(String),
    /// Nothing the kubelet reads (no data under the type's key, or empty).
    Nothing,
}

/// What the rules read of one secret.
pub(super) struct Facts {
    namespace: u32,
    kind: u32,
    /// In [`Prepared::names`].
    name: (usize, usize),
    /// A type the kubelet reads.
    pub(super) pull: bool,
    /// Data under a docker key, whatever the type.
    pub(super) holds_docker_data: bool,
    /// Into [`Prepared::decoded`] (pull secrets only).
    pub(super) decoded: usize,
}

/// Every secret's facts, in input order.
#[derive(Default)]
pub(super) struct Prepared {
    pub(super) secrets: Vec<Facts>,
    pub(super) decoded: Vec<Decoded>,
    /// How many secrets hold each of `decoded`.
    pub(super) uses: Vec<u32>,
    strings: Vec<Box<str>>,
    interned: HashMap<Box<str>, u32>,
    names: String,
}

impl Prepared {
    pub(super) fn namespace(&self, facts: &Facts) -> &str {
        &self.strings[facts.namespace as usize]
    }

    /// The namespace's number: equal for equal namespaces.
    pub(super) fn namespace_id(&self, facts: &Facts) -> u32 {
        facts.namespace
    }

    pub(super) fn namespace_of_id(&self, id: u32) -> &str {
        &self.strings[id as usize]
    }

    pub(super) fn kind(&self, facts: &Facts) -> &str {
        &self.strings[facts.kind as usize]
    }

    pub(super) fn name(&self, facts: &Facts) -> &str {
        &self.names[facts.name.0..facts.name.1]
    }

    /// `text`'s number; `last` is the one given for the same field of the secret before, which most
    /// secrets share (nearly all have one type, and `kubectl get` lists a namespace's secrets together).
    fn intern(&mut self, text: &str, last: &mut Option<u32>) -> u32 {
        if let Some(id) = last.filter(|&id| *self.strings[id as usize] == *text) {
            return id;
        }
        let id = self.intern_new(text);
        *last = Some(id);
        id
    }

    fn intern_new(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.interned.get(text) {
            return id;
        }
        let id = u32::try_from(self.strings.len()).expect("fewer than 2^32 namespaces and types");
        self.strings.push(text.into());
        self.interned.insert(text.into(), id);
        id
    }

    /// Add `secrets` (one input's), decoding each distinct pull-secret data once, on every core.
    pub(super) fn add(&mut self, secrets: &[SecretView<'_>], hasher: &(impl BuildHasher + Sync)) {
        // What `docker_entries` reads of a secret: its type, and the value under its type's key.
        type Data<'s> = (&'s str, Option<(bool, &'s str)>);
        // Sized once: growing it would hash every distinct value (hundreds of bytes each) again per doubling.
        let mut distinct: HashMap<Data<'_>, usize> = HashMap::with_capacity(secrets.len());
        let mut firsts: Vec<(&str, Option<&ValueRef<'_>>)> = Vec::new();
        let base = self.decoded.len();
        let (mut last_namespace, mut last_kind) = (None, None);
        self.secrets.reserve(secrets.len());
        for secret in secrets {
            let pull = secret.is_pull_secret_type();
            let decoded = if pull {
                let value = secret.docker_value();
                let data = (secret.kind.as_ref(), value.map(ValueRef::text));
                let i = base
                    + *distinct.entry(data).or_insert_with(|| {
                        firsts.push((secret.kind.as_ref(), value));
                        self.uses.push(0);
                        firsts.len() - 1
                    });
                self.uses[i] += 1;
                i
            } else {
                usize::MAX
            };
            let start = self.names.len();
            self.names.push_str(&secret.name);
            let facts = Facts {
                namespace: self.intern(&secret.namespace, &mut last_namespace),
                kind: self.intern(&secret.kind, &mut last_kind),
                name: (start, self.names.len()),
                pull,
                holds_docker_data: secret.holds_docker_data(),
                decoded,
            };
            self.secrets.push(facts);
        }
        drop(distinct);
        // In parts: the workers' result lists and their ordering are then a part's, not 100,000 entries'
        // (megabytes touched once, which the allocator keeps to the end of the run).
        self.decoded.reserve_exact(firsts.len());
        for part in firsts.chunks(DECODED_AT_ONCE) {
            self.decoded.extend(parallel::map(part, |&(kind, value)| decode(kind, value, hasher)));
        }
    }
}

/// How many distinct data are decoded in one go (by [`parallel::map`]).
const DECODED_AT_ONCE: usize = 4096;

fn decode(kind: &str, value: Option<&ValueRef<'_>>, hasher: &impl BuildHasher) -> Decoded {
    let entries = match docker_entries(kind, value) {
        Ok(entries) => entries,
        Err(SecretState::Undecodable { reason }) => return Decoded::Undecodable(reason),
        Err(_) => return Decoded::Nothing,
    };
    // A fresh vector: collecting in place would keep the entries' allocation (an `AuthEntry` is several
    // times a `Judged`) for as long as the facts live.
    let mut judged = Vec::with_capacity(entries.len());
    for mut entry in entries {
        // No password: the secret is an identity token. Both leave the entry here.
        let identity = entry.password.is_none();
        let secret = entry.password.take().or(entry.identity_token.take());
        let (kind, expires_at, fingerprint) = match &secret {
            Some(s) => {
                let info = classify(entry.username.as_deref().unwrap_or(""), s.expose(), identity);
                (Some(info.kind), info.expires_at, Some(hasher.hash_one((entry.key.as_str(), s.expose()))))
            }
            None => (None, None, None),
        };
        judged.push(Judged {
            key: std::mem::take(&mut entry.key),
            username: entry.username.take(),
            kind,
            expires_at,
            fingerprint,
        });
    }
    Decoded::Entries(judged)
}
