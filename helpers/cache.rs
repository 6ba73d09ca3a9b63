//! docker-credential-regauth-cache: a helper between the client and an inner helper (gcloud, ecr-login,
//! pass, secretservice, any docker-credential-*), answering `get` from the token cache's storage while the
//! answer is fresh (see `regauth_core::token_cache::answers` and `regauth_core::cache_helper`).
//!
//! No HTTP, no async runtime: a hit is a read of the mapping file, the per-user key and one keyring key.
//! Answers are kept per identity (the environment variables the inner helper reads, hashed; see
//! `regauth_core::cache_helper::identity`); `store` and `erase` drop the registry's answers before and
//! after passing through, and a `get` in flight when they run never caches what it got (the token cache's
//! registry generations).

use regauth_core::cache_helper::{self, Wrapped, Wrapping, HELPER_NAME};
use regauth_core::environ::Environ;
use regauth_core::protocol::{Credentials, HelperClient, HelperError, Listing, Store, StoreError};
use regauth_core::sanitize::one_line;
use regauth_core::token_cache::{Answer, AnswerKey, TokenCache};
use std::cell::RefCell;
use std::time::Duration;

/// How much longer than the inner helper's timeout a caller waits for another process asking it.
const WAIT_BEYOND_TIMEOUT: Duration = Duration::from_secs(5);

/// The wrapping store.
pub struct CacheHelper {
    env: Environ,
    wrapping: Result<Wrapping, String>,
    cache: Option<TokenCache>,
    notes: RefCell<Vec<String>>,
}

impl CacheHelper {
    pub fn from_environ(env: Environ) -> CacheHelper {
        let wrapping = match cache_helper::path(&env) {
            Some(path) => cache_helper::load(&path),
            None => Err("neither XDG_CONFIG_HOME nor HOME is set: no cache-helper.json to read".into()),
        };
        let mut notes = Vec::new();
        let cache = match TokenCache::open(&env) {
            Ok(cache) => Some(cache),
            Err(e) => {
                // Switched off on purpose: pass through without a word.
                if !e.0.ends_with("=off") {
                    notes.push(format!("{e}; asking the inner helper every time"));
                }
                None
            }
        };
        CacheHelper { env, wrapping, cache, notes: RefCell::new(notes) }
    }

    /// What was noted (the cache off, an entry discarded): for standard error, never a secret.
    pub fn take_notes(&self) -> Vec<String> {
        let mut notes = std::mem::take(&mut *self.notes.borrow_mut());
        if let Some(cache) = &self.cache {
            notes.extend(cache.take_notes());
        }
        notes
    }

    fn wrapped(&self, server_url: &str) -> Result<&Wrapped, StoreError> {
        let wrapping =
            self.wrapping.as_ref().map_err(|e| StoreError::Failed(format!("{HELPER_NAME}: {e}")))?;
        let wrapped = wrapping.for_server(server_url).ok_or_else(|| {
            StoreError::Failed(format!(
                "{HELPER_NAME} wraps no helper for {}: run `regauth helpers wrap --registry HOST --inner HELPER`",
                one_line(server_url)
            ))
        })?;
        if wrapped.inner == HELPER_NAME {
            return Err(StoreError::Failed(format!("{HELPER_NAME} cannot wrap itself")));
        }
        Ok(wrapped)
    }

    fn client(&self, wrapped: &Wrapped) -> HelperClient {
        HelperClient::new(&wrapped.inner, self.env.search_path(), wrapped.timeout())
    }

    /// Drop the cached answers for `server_url`'s registry and stop gets in flight from caching theirs
    /// (around a store or erase); a failure is noted.
    fn forget(&self, server_url: &str) {
        if let Some(cache) = &self.cache {
            if let Err(e) = cache.forget_answers(server_url) {
                self.notes.borrow_mut().push(format!("a cached answer could not be removed: {e}"));
            }
        }
    }
}

/// The inner helper's failure as the client sees it: its own message, naming it; "not found" stays so.
fn failure(e: HelperError) -> StoreError {
    match e {
        HelperError::NotFound { .. } => StoreError::NotFound,
        other => StoreError::Failed(other.to_string()),
    }
}

impl Store for CacheHelper {
    fn get(&self, server_url: &str) -> Result<Credentials, StoreError> {
        let wrapped = self.wrapped(server_url)?;
        let client = self.client(wrapped);
        let ask = || match client.get(server_url) {
            Ok(creds) => Ok(Answer::Found { username: creds.username, secret: creds.secret }),
            Err(HelperError::NotFound { .. }) => Ok(Answer::NotFound),
            Err(e) => Err(e),
        };
        let answer = match &self.cache {
            Some(cache) => {
                let key = AnswerKey {
                    server_url: server_url.to_owned(),
                    helper: wrapped.inner.clone(),
                    identity: cache.identity(&wrapped.inner, &self.env),
                };
                cache
                    .answer_or_ask(&key, wrapped.ttl(), wrapped.timeout() + WAIT_BEYOND_TIMEOUT, ask)
                    .map(|a| a.answer)
            }
            None => ask(),
        }
        .map_err(failure)?;
        match answer {
            Answer::Found { username, secret } => {
                Ok(Credentials { server_url: server_url.to_owned(), username, secret })
            }
            Answer::NotFound => Err(StoreError::NotFound),
        }
    }

    fn store(&self, creds: &Credentials) -> Result<(), StoreError> {
        let wrapped = self.wrapped(&creds.server_url)?;
        // Before too: should this process die while the inner helper stores, no get that began before it
        // caches the old answer.
        self.forget(&creds.server_url);
        let result = self.client(wrapped).store(creds).map_err(failure);
        self.forget(&creds.server_url);
        result
    }

    fn erase(&self, server_url: &str) -> Result<(), StoreError> {
        let wrapped = self.wrapped(server_url)?;
        self.forget(server_url);
        let result = self.client(wrapped).erase(server_url).map_err(failure);
        self.forget(server_url);
        result
    }

    fn list(&self) -> Result<Listing, StoreError> {
        let wrapping =
            self.wrapping.as_ref().map_err(|e| StoreError::Failed(format!("{HELPER_NAME}: {e}")))?;
        let mut listing = Listing::new();
        for inner in wrapping.inner_helpers() {
            if inner == HELPER_NAME {
                continue;
            }
            let wrapped = wrapping
                .default
                .iter()
                .chain(wrapping.registries.values())
                .find(|w| w.inner == inner)
                .expect("inner_helpers names configured helpers");
            match self.client(wrapped).list() {
                Ok(found) => {
                    for (url, user) in found {
                        listing.entry(url).or_insert(user);
                    }
                }
                Err(HelperError::NotFound { .. }) => {}
                Err(e) => return Err(StoreError::Failed(e.to_string())),
            }
        }
        Ok(listing)
    }
}
