//! A read-only store for CI: credentials come from environment variables, one pair per registry host.
//!
//! `REGAUTH_REGISTRY_<HOST>_USERNAME` and `REGAUTH_REGISTRY_<HOST>_PASSWORD`, where `<HOST>` is the
//! registry's `host[:port]` upper-cased with `.` -> `_`, `-` -> `__` and `:` -> `___`
//! ([`RegistryHost::env_stem`], one-to-one). Docker Hub is `DOCKER_IO` whichever of its aliases a client
//! asks with (`https://index.docker.io/v1/`, `docker.io`, `registry-1.docker.io`). IPv6 literals have no
//! variable name.

use crate::environ::Environ;
use crate::protocol::Credentials;
use crate::protocol::{Listing, Store, StoreError};
use crate::registry::{RegistryHost, ENV_PREFIX};
use crate::secret::Secret;

const USERNAME: &str = "_USERNAME";
const PASSWORD: &str = "_PASSWORD";

const READ_ONLY: &str =
    "docker-credential-regauth-env is read-only: set REGAUTH_REGISTRY_<HOST>_USERNAME and \
                         REGAUTH_REGISTRY_<HOST>_PASSWORD instead (see --help)";

#[derive(Debug)]
pub struct EnvStore {
    env: Environ,
}

impl EnvStore {
    pub fn new(env: Environ) -> EnvStore {
        EnvStore { env }
    }

    fn value(&self, name: &str) -> Option<String> {
        self.env.get(name).and_then(|v| v.to_str()).map(str::to_owned)
    }
}

impl Store for EnvStore {
    fn store(&self, _creds: &Credentials) -> Result<(), StoreError> {
        Err(StoreError::ReadOnly(READ_ONLY.into()))
    }

    fn get(&self, server_url: &str) -> Result<Credentials, StoreError> {
        let name = variable_stem(server_url).ok_or(StoreError::NotFound)?;
        let username = self.value(&format!("{name}{USERNAME}")).ok_or(StoreError::NotFound)?;
        let secret = self.value(&format!("{name}{PASSWORD}")).ok_or(StoreError::NotFound)?;
        Ok(Credentials { server_url: server_url.to_owned(), username, secret: Secret::new(secret) })
    }

    /// Nothing to remove for a key the environment does not provide; for one it does, the refusal says
    /// which variables still provide it (`serve` answers success either way: see there why).
    fn erase(&self, server_url: &str) -> Result<(), StoreError> {
        self.get(server_url)?;
        let stem = variable_stem(server_url).ok_or(StoreError::NotFound)?;
        Err(StoreError::ReadOnly(format!(
            "read-only: {stem}{USERNAME} and {stem}{PASSWORD} still provide the credentials for \
             {server_url}; unset them to log out"
        )))
    }

    fn list(&self) -> Result<Listing, StoreError> {
        let mut listing = Listing::new();
        for (name, value) in self.env.vars() {
            let Some(encoded) =
                name.to_str().and_then(|n| n.strip_prefix(ENV_PREFIX)?.strip_suffix(USERNAME))
            else {
                continue;
            };
            let Some(host) = RegistryHost::from_env_stem(encoded) else { continue };
            let (Some(username), Some(_)) =
                (value.to_str(), self.env.get(&format!("{ENV_PREFIX}{encoded}{PASSWORD}")))
            else {
                continue;
            };
            if username.is_empty() {
                continue;
            }
            listing.insert(host.docker_key(), username.to_owned());
        }
        Ok(listing)
    }
}

/// The variable stem, `REGAUTH_REGISTRY_<HOST>`, for the key a client asks with: `https://host:5000/v2/`
/// -> `host:5000`; Docker Hub's keys -> `DOCKER_IO`. Keys with other paths (docker's
/// `.../v1/refresh-token`) name no host.
pub fn variable_stem(key: &str) -> Option<String> {
    let rest = key.strip_prefix("https://").or_else(|| key.strip_prefix("http://")).unwrap_or(key);
    let path = rest.split_once('/').map_or("", |(_, path)| path);
    if !matches!(path, "" | "v1" | "v1/" | "v2" | "v2/") {
        return None;
    }
    RegistryHost::new(key).env_stem()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_forms_clients_send() {
        let table = [
            ("127.0.0.1:5000", Some("127_0_0_1___5000")),
            ("https://127.0.0.1:5000", Some("127_0_0_1___5000")),
            ("http://GHCR.io/", Some("GHCR_IO")),
            ("https://index.docker.io/v1/", Some("DOCKER_IO")),
            ("docker.io", Some("DOCKER_IO")),
            ("registry-1.docker.io", Some("DOCKER_IO")),
            ("registry.hub.docker.com", Some("REGISTRY_HUB_DOCKER_COM")),
            ("https://ghcr.io/v2/", Some("GHCR_IO")),
            ("https://index.docker.io/v1/refresh-token", None),
            ("[::1]:5000", None),
        ];
        for (key, stem) in table {
            let want = stem.map(|s| format!("{ENV_PREFIX}{s}"));
            assert_eq!(variable_stem(key), want, "{key}");
        }
    }

    #[test]
    fn get_list_and_read_only() {
        let env = Environ::empty(0)
            .with("REGAUTH_REGISTRY_127_0_0_1___5000_USERNAME", "alice")
            .with("REGAUTH_REGISTRY_127_0_0_1___5000_PASSWORD", "pw1")
            .with("REGAUTH_REGISTRY_DOCKER_IO_USERNAME", "bob")
            .with("REGAUTH_REGISTRY_DOCKER_IO_PASSWORD", "pw2")
            .with("REGAUTH_REGISTRY_GHCR_IO_USERNAME", "no-password")
            .with("REGAUTH_REGISTRY_INDEX_DOCKER_IO_USERNAME", "never-read")
            .with("REGAUTH_REGISTRY_INDEX_DOCKER_IO_PASSWORD", "x")
            .with("REGAUTH_REGISTRY_bad_USERNAME", "x")
            .with("REGAUTH_REGISTRY_bad_PASSWORD", "x");
        let store = EnvStore::new(env);
        let c = store.get("https://127.0.0.1:5000").unwrap();
        assert_eq!(
            (c.server_url.as_str(), c.username.as_str(), c.secret.expose()),
            ("https://127.0.0.1:5000", "alice", "pw1")
        );
        assert_eq!(store.get("https://index.docker.io/v1/").unwrap().username, "bob");
        assert_eq!(store.get("docker.io").unwrap().secret.expose(), "pw2");
        assert_eq!(store.get("ghcr.io").unwrap_err(), StoreError::NotFound);
        assert_eq!(store.get("127.0.0.1:5001").unwrap_err(), StoreError::NotFound);
        let listing = store.list().unwrap();
        let want: Listing = [("127.0.0.1:5000", "alice"), (crate::registry::DOCKER_HUB_KEY, "bob")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert_eq!(listing, want);
        let creds = Credentials { server_url: "h".into(), username: "u".into(), secret: Secret::new("s") };
        assert!(matches!(store.store(&creds), Err(StoreError::ReadOnly(m)) if m.contains("read-only")));
        assert_eq!(store.erase("h"), Err(StoreError::NotFound));
        let Err(StoreError::ReadOnly(held)) = store.erase("docker.io") else { panic!("erase of a held key") };
        assert_eq!(
            held,
            "read-only: REGAUTH_REGISTRY_DOCKER_IO_USERNAME and REGAUTH_REGISTRY_DOCKER_IO_PASSWORD still \
             provide the credentials for docker.io; unset them to log out"
        );
    }
}
