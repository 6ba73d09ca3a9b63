//! The bearer-token cache: tokens kept across processes so that scripts and short-lived tools do not ask the
//! token service again on every run. No credential is ever kept here, only tokens, and each is found under a
//! key that names the credential by a keyed fingerprint.
//!
//! - **Key**: registry, realm, service, the sorted set of scopes, and the credential's fingerprint
//!   (HMAC-SHA256 under a per-user random key, [`Keyed`]). An entry's id is the HMAC of all of these; the
//!   fields are kept in the entry too (for `list`) and the id is recomputed on every read, so an entry that
//!   does not match its id is discarded.
//! - **Lifetime** ([`expires_at`]): the JWT's `exp`, else `issued_at` + `expires_in` (60 s when absent),
//!   less [`SAFETY_MARGIN`]; never more than [`MAX_LIFETIME`]. A token is never served with less than
//!   [`MIN_LEFT`] left, and one that would not be servable is not stored.
//! - **Storage**: the kernel keyring (one `user` key per entry, described `regauth:token-cache:<id>`, with a
//!   key timeout at its expiry) where it works, else one 0600 file `tokens.json` under
//!   `$XDG_CACHE_HOME/regauth/` (or `~/.cache/regauth/`), written under its lock through core's atomic write.
//!   `REGAUTH_TOKEN_CACHE=keyring|file|off` chooses; `REGAUTH_KEYUTILS_NAMESPACE` moves the keyring entries
//!   into a namespace of their own, as for the keyutils store.
//! - **Distrust**: the cache directory must be a directory of ours that no one else may write; a file or key
//!   that is damaged, truncated, another user's, writable by others or unreadable is discarded (and
//!   replaced by the next store), never trusted and never an error of the command.
//! - **One request**: [`TokenCache::get_or_fetch`] takes the entry's lock (`locks/<NN>.lock`, one of 256
//!   stripes, see [`locks`]; waited for at most [`FETCH_WAIT`]) around the fetch, and looks again once it
//!   holds it, so concurrent callers for one key make one token request.
//!
//! The core has no HTTP: the caller passes the fetch as a closure.
//!
//! The same storage also keeps docker-credential-regauth-cache's helper answers ([`answers`]).

mod answers;
mod dir;
mod entry;
mod keyed;
pub use answers::{
    answer_expires_at, Answer, AnswerKey, Answered, ListedAnswer, CREDENTIAL_MARGIN, NOT_FOUND_LIFETIME,
};
mod file;
mod generations;
mod keyring;
mod locks;
#[cfg(test)]
mod tests;

pub use dir::cache_dir;
pub(crate) use dir::{prepare_dir, trusted_file};
pub(crate) use entry::{Entry, EntryKind};
pub(crate) use keyed::Keyed;

use crate::environ::Environ;
use crate::secret::Secret;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Seconds taken off every lifetime, for clocks that differ and a token used a moment after it is served.
pub const SAFETY_MARGIN: i64 = 10;
/// A token is never served with fewer seconds than this left.
pub const MIN_LEFT: i64 = 30;
/// The lifetime when the token service names none (the token spec's default).
pub const DEFAULT_EXPIRES_IN: u64 = 60;
/// No entry lives longer than this, whatever the token says.
pub const MAX_LIFETIME: i64 = 24 * 3600;
/// How long a caller waits for another process fetching the same token before fetching itself.
pub const FETCH_WAIT: Duration = Duration::from_secs(30);
/// How long a writer waits for the cache file's lock.
const WRITE_WAIT: Duration = Duration::from_secs(5);
/// How long a registry's token service (realm, service) is remembered.
const SERVICE_LIFETIME: i64 = 24 * 3600;

/// The variable that chooses the storage: `keyring`, `file`, `off`, or `auto` (the default).
pub const MODE_VAR: &str = "REGAUTH_TOKEN_CACHE";

/// Limits of what an entry may hold; an entry past them is damaged.
const MAX_TEXT: usize = 2048;
const MAX_SCOPES: usize = 64;
const MAX_TOKEN: usize = 16 * 1024;

/// The cache could not be opened; the caller goes on without it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the token cache is off: {0}")]
pub struct CacheUnavailable(pub String);

/// A credential, as the cache knows it: a keyed hash, or "anonymous".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint(String);

impl Fingerprint {
    pub fn anonymous() -> Fingerprint {
        Fingerprint("anonymous".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 12 characters, for listings.
    pub fn short(&self) -> &str {
        &self.0[..self.0.len().min(12)]
    }
}

/// What a cached token is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// The registry as in the image reference (`ghcr.io`, `127.0.0.1:5000`).
    pub registry: String,
    pub realm: String,
    pub service: Option<String>,
    /// Sorted, without duplicates.
    pub scopes: BTreeSet<String>,
    pub credential: Fingerprint,
}

impl Key {
    pub fn new(
        registry: &str,
        realm: &str,
        service: Option<&str>,
        scopes: impl IntoIterator<Item = String>,
        credential: Fingerprint,
    ) -> Key {
        Key {
            registry: registry.to_owned(),
            realm: realm.to_owned(),
            service: service.map(str::to_owned),
            scopes: scopes.into_iter().collect(),
            credential,
        }
    }
}

/// What the fetch closure hands back: the token and what the token service said about its lifetime.
#[derive(Debug)]
pub struct Fetched {
    pub token: Secret,
    /// The JWT's `exp`, when the token is a JWT that has one.
    pub jwt_exp: Option<i64>,
    /// The response's `issued_at`, in Unix seconds.
    pub issued_at: Option<i64>,
    /// The response's `expires_in`.
    pub expires_in: Option<u64>,
}

/// A token, from the cache or just fetched.
#[derive(Debug)]
pub struct Served {
    pub token: Secret,
    /// Unix seconds after which the cache no longer serves it (the lifetime less the safety margin).
    pub expires_at: i64,
    /// It came from the cache: no request was made.
    pub from_cache: bool,
    /// It was fetched and is now in the cache.
    pub stored: bool,
}

/// One cached token, as `list` shows it: never its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listed {
    pub registry: String,
    pub realm: String,
    pub service: Option<String>,
    pub scopes: Vec<String>,
    /// The fingerprint's first 12 characters, or `anonymous`.
    pub credential: String,
    pub expires_at: i64,
    /// `keyring` or `file`.
    pub storage: &'static str,
}

/// When a fetched token stops being served: its end of life (the JWT's `exp`, else `issued_at` (no later
/// than `requested_at`, our own clock) + `expires_in`, 60 s when absent) less [`SAFETY_MARGIN`], and never
/// more than [`MAX_LIFETIME`] after `requested_at`.
pub fn expires_at(fetched: &Fetched, requested_at: i64) -> i64 {
    let end = match fetched.jwt_exp {
        Some(exp) => exp,
        None => {
            let issued = fetched.issued_at.map_or(requested_at, |i| i.min(requested_at));
            let lifetime = fetched.expires_in.filter(|n| *n > 0).unwrap_or(DEFAULT_EXPIRES_IN);
            issued.saturating_add(i64::try_from(lifetime).unwrap_or(i64::MAX))
        }
    };
    end.saturating_sub(SAFETY_MARGIN).min(requested_at.saturating_add(MAX_LIFETIME))
}

/// A token that expires (the cache's sense) at `expires_at` may be served at `now`.
pub fn servable(expires_at: i64, now: i64) -> bool {
    expires_at.saturating_sub(now) >= MIN_LEFT
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Which storage [`TokenCache::open`] picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Auto,
    Keyring,
    File,
}

/// The token cache of the user running regauth.
pub struct TokenCache {
    dir: PathBuf,
    keyed: Keyed,
    file: file::FileStore,
    /// The registries' generations, which let store/erase win over a get in flight ([`generations`]).
    generations: generations::Generations,
    /// The kernel keyring, when it works here and the mode allows it.
    keyring: Option<keyring::KeyringStore>,
    /// What was discarded or could not be done, for the caller to show.
    notes: RefCell<Vec<String>>,
}

impl TokenCache {
    /// Open the cache for the user of `env` (see the module's documentation for where it lives).
    pub fn open(env: &Environ) -> Result<TokenCache, CacheUnavailable> {
        let unavailable = |why: String| CacheUnavailable(why);
        let mode = match env.get(MODE_VAR).map(|v| v.to_string_lossy().into_owned()).as_deref() {
            None | Some("" | "auto") => Mode::Auto,
            Some("keyring") => Mode::Keyring,
            Some("file") => Mode::File,
            Some("off") => return Err(unavailable(format!("{MODE_VAR}=off"))),
            Some(other) => {
                return Err(unavailable(format!(
                    "{MODE_VAR} must be auto, keyring, file or off, not {:?}",
                    crate::sanitize::one_line(other)
                )))
            }
        };
        let dir =
            cache_dir(env).ok_or_else(|| unavailable("neither XDG_CACHE_HOME nor HOME is set".into()))?;
        prepare_dir(&dir).map_err(unavailable)?;
        prepare_dir(&dir.join("locks")).map_err(unavailable)?;
        let keyed = Keyed::load_or_create(&dir).map_err(unavailable)?;
        let keyring = match mode {
            Mode::File => None,
            Mode::Auto => keyring::KeyringStore::open(env).ok(),
            Mode::Keyring => Some(keyring::KeyringStore::open(env).map_err(unavailable)?),
        };
        Ok(TokenCache {
            file: file::FileStore::new(&dir),
            generations: generations::Generations::new(&dir),
            dir,
            keyed,
            keyring,
            notes: RefCell::new(Vec::new()),
        })
    }

    /// The cache's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `keyring` or `file`: where new entries go.
    pub fn storage(&self) -> &'static str {
        if self.keyring.is_some() {
            "keyring"
        } else {
            "file"
        }
    }

    /// The fingerprint of a credential under this user's key.
    pub fn fingerprint(&self, username: &str, secret: &Secret) -> Fingerprint {
        self.keyed.fingerprint(username, secret)
    }

    /// What was discarded or failed since the cache was opened (damaged entries, a write that failed);
    /// none of it is an error of the command.
    pub fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut *self.notes.borrow_mut())
    }

    fn note(&self, text: String) {
        self.notes.borrow_mut().push(text);
    }

    /// The entry under `id` from the primary storage, when it is well formed and matches its id.
    fn read(&self, id: &str) -> Option<Entry> {
        self.read_matching(id, |entry| self.keyed.id_of(entry) == id)
    }

    /// [`TokenCache::read`] for a caller that knows what the entry under `id` must hold: `is_for` checks
    /// the fields the id was derived from, which proves the same as deriving the id again, for less.
    fn read_matching(&self, id: &str, is_for: impl FnOnce(&Entry) -> bool) -> Option<Entry> {
        let note = &mut |t: String| self.note(t);
        let entry = match &self.keyring {
            Some(k) => k.get(id, note),
            None => self.file.get(id, note),
        }?;
        if entry.well_formed() && is_for(&entry) {
            Some(entry)
        } else {
            self.note("discarded a cache entry that does not match its key".into());
            self.remove_ids(&[id.to_owned()]);
            None
        }
    }

    fn write(&self, id: &str, entry: &Entry) {
        let result = match &self.keyring {
            Some(k) => k.put(id, entry, entry.expires_at.saturating_sub(now_unix())),
            None => self.file.put(id, entry, now_unix()),
        };
        if let Err(e) = result {
            self.note(format!("the token was not cached: {e}"));
        }
    }

    fn remove_ids(&self, ids: &[String]) {
        let result = match &self.keyring {
            Some(k) => k.remove(&|id, _| ids.iter().any(|i| i == id)).map(|_| ()),
            None => self.file.remove(&|id, _| ids.iter().any(|i| i == id)).map(|_| ()),
        };
        if let Err(e) = result {
            self.note(format!("could not remove a cache entry: {e}"));
        }
    }

    /// A live token for `key`, if the cache holds one with at least [`MIN_LEFT`] seconds left.
    pub fn get(&self, key: &Key) -> Option<Served> {
        let entry = self.read(&self.keyed.token_id(key))?;
        if entry.kind != EntryKind::Token || !servable(entry.expires_at, now_unix()) {
            return None;
        }
        Some(Served {
            token: Secret::new(entry.token.as_str()),
            expires_at: entry.expires_at,
            from_cache: true,
            stored: false,
        })
    }

    /// The cached token for `key`, or the one `fetch` gets, which is then cached (when it lives long
    /// enough to be served again). Concurrent callers for one key wait for the first one's fetch (at most
    /// [`FETCH_WAIT`]; after that each fetches itself). The cache never fails the call: only `fetch` does.
    pub fn get_or_fetch<E>(
        &self,
        key: &Key,
        fetch: impl FnOnce() -> Result<Fetched, E>,
    ) -> Result<Served, E> {
        if let Some(served) = self.get(key) {
            return Ok(served);
        }
        let id = self.keyed.token_id(key);
        let guard = match crate::lock::acquire(&locks::entry_lock(&self.dir, &id), FETCH_WAIT) {
            Ok(guard) => Some(guard),
            Err(e) => {
                self.note(format!("fetching without waiting for another process: {e}"));
                None
            }
        };
        if guard.is_some() {
            if let Some(served) = self.get(key) {
                return Ok(served);
            }
        }
        let requested_at = now_unix();
        let fetched = fetch()?;
        let expires_at = expires_at(&fetched, requested_at);
        let stored = servable(expires_at, now_unix());
        if stored {
            let entry = Entry {
                kind: EntryKind::Token,
                registry: key.registry.clone(),
                realm: key.realm.clone(),
                service: key.service.clone(),
                scopes: key.scopes.iter().cloned().collect(),
                credential: key.credential.as_str().to_owned(),
                token: fetched.token.expose().to_owned(),
                expires_at,
                identity: String::new(),
            };
            if entry.well_formed() {
                self.write(&id, &entry);
            }
        }
        drop(guard);
        Ok(Served { token: fetched.token, expires_at, from_cache: false, stored })
    }

    /// The token service (realm, service) last seen for `registry`, so that a cached token can be found
    /// without asking the registry.
    pub fn service_for(&self, registry: &str) -> Option<(String, Option<String>)> {
        let entry = self.read(&self.keyed.service_id(registry))?;
        (entry.kind == EntryKind::Service && entry.expires_at > now_unix())
            .then(|| (entry.realm.clone(), entry.service.clone()))
    }

    /// Remember the token service `registry`'s challenge named.
    pub fn remember_service(&self, registry: &str, realm: &str, service: Option<&str>) {
        if self.service_for(registry).is_some_and(|(r, s)| r == realm && s.as_deref() == service) {
            return;
        }
        let entry = Entry {
            kind: EntryKind::Service,
            registry: registry.to_owned(),
            realm: realm.to_owned(),
            service: service.map(str::to_owned),
            scopes: Vec::new(),
            credential: String::new(),
            token: String::new(),
            expires_at: now_unix().saturating_add(SERVICE_LIFETIME),
            identity: String::new(),
        };
        if entry.well_formed() {
            self.write(&self.keyed.service_id(registry), &entry);
        }
    }

    /// Every live cached token, in the keyring and in the file, sorted by registry; never a token's text.
    pub fn list(&self) -> Vec<Listed> {
        let mut listed: Vec<Listed> = self
            .live(|kind| kind == EntryKind::Token)
            .into_iter()
            .map(|(storage, entry)| entry.listed(storage))
            .collect();
        listed.sort_by(|a, b| {
            (&a.registry, &a.scopes, a.expires_at).cmp(&(&b.registry, &b.scopes, b.expires_at))
        });
        listed
    }

    /// The unexpired, well-formed entries of the `wanted` kinds whose id checks out, with where each is kept
    /// (`keyring` or `file`).
    fn live(&self, wanted: impl Fn(EntryKind) -> bool) -> Vec<(&'static str, Entry)> {
        let now = now_unix();
        let keyring = self.keyring.as_ref().map(|k| k.all(&mut |_| {})).unwrap_or_default();
        let file = self.file.all(&mut |_| {});
        let tagged = keyring.into_iter().map(|e| ("keyring", e)).chain(file.into_iter().map(|e| ("file", e)));
        tagged
            .filter(|(_, (id, entry))| {
                wanted(entry.kind)
                    && entry.expires_at > now
                    && entry.well_formed()
                    && self.keyed.id_of(entry) == *id
            })
            .map(|(storage, (_, entry))| (storage, entry))
            .collect()
    }

    /// Remove the tokens of `registry` (every registry with `None`), the token services remembered for it
    /// and the helper answers cached for it, from the keyring and the file. Returns how many tokens and
    /// helper answers were removed. Lock files older versions left per entry go too ([`locks`]).
    pub fn clear(&self, registry: Option<&str>) -> Result<usize, String> {
        locks::remove_legacy(&self.dir);
        self.remove_everywhere(&|entry: &Entry| registry.is_none_or(|r| entry.registry == r))
    }

    /// Remove the tokens fetched with one credential for `registry` (for `logout`). Returns how many.
    pub fn forget_credential(&self, registry: &str, credential: &Fingerprint) -> Result<usize, String> {
        self.remove_everywhere(&|entry: &Entry| {
            entry.kind == EntryKind::Token
                && entry.registry == registry
                && entry.credential == credential.as_str()
        })
    }

    fn remove_everywhere(&self, matches: &dyn Fn(&Entry) -> bool) -> Result<usize, String> {
        let tokens = |_: &str, e: &Entry| matches(e);
        let mut removed = 0;
        if let Some(k) = &self.keyring {
            removed += k.remove(&tokens)?;
        }
        removed += self.file.remove(&tokens)?;
        Ok(removed)
    }
}

/// Whether an entry counts in a removal count: a token or a cached helper answer (not a token service).
fn is_token(entry: &Entry) -> bool {
    entry.kind != EntryKind::Service
}
