//! A read-only store for CI: credentials come from environment variables, one pair per registry host.
//!
//! `REGAUTH_REGISTRY_<HOST>_USERNAME` and `REGAUTH_REGISTRY_<HOST>_PASSWORD`, where `<HOST>` is the
//! registry's `host[:port]` upper-cased with `.` -> `_`, `-` -> `__` and `:` -> `___`. Docker Hub is
//! `DOCKER_IO` whichever key a client asks with (`https://index.docker.io/v1/`, `docker.io`, ...).
//!
//! The mapping is one-to-one: in a registry host (docker's reference grammar) `.` and `:` always sit
//! between letters or digits and a `-` never starts or ends a label, so a run of underscores is read back
//! unambiguously (1: `.`, 3: `:`, 2k: k hyphens). IPv6 literals have no variable name.

use crate::environ::Environ;
use crate::protocol::Credentials;
use crate::protocol::{Listing, Store, StoreError};
use crate::reference::DOCKER_HUB;
use crate::registry::DOCKER_HUB_KEY;
use crate::secret::Secret;

const PREFIX: &str = "REGAUTH_REGISTRY_";
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
        let host = host_of_key(server_url).ok_or(StoreError::NotFound)?;
        let name = variable_stem(&host).ok_or(StoreError::NotFound)?;
        let username = self.value(&format!("{name}{USERNAME}")).ok_or(StoreError::NotFound)?;
        let secret = self.value(&format!("{name}{PASSWORD}")).ok_or(StoreError::NotFound)?;
        Ok(Credentials { server_url: server_url.to_owned(), username, secret: Secret::new(secret) })
    }

    fn erase(&self, _server_url: &str) -> Result<(), StoreError> {
        Err(StoreError::ReadOnly(READ_ONLY.into()))
    }

    fn list(&self) -> Result<Listing, StoreError> {
        let mut listing = Listing::new();
        for (name, value) in self.env.vars() {
            let Some(encoded) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)?.strip_suffix(USERNAME))
            else {
                continue;
            };
            let Some(host) = decode_host(encoded) else { continue };
            let (Some(username), Some(_)) =
                (value.to_str(), self.env.get(&format!("{PREFIX}{encoded}{PASSWORD}")))
            else {
                continue;
            };
            if username.is_empty() {
                continue;
            }
            let key = if host == DOCKER_HUB { DOCKER_HUB_KEY.to_owned() } else { host };
            listing.insert(key, username.to_owned());
        }
        Ok(listing)
    }
}

/// The registry host a client's key names: `https://host:5000/v2/` -> `host:5000`; Docker Hub's keys ->
/// `docker.io`. Keys with other paths (docker's `.../v1/refresh-token`) name no host.
pub fn host_of_key(key: &str) -> Option<String> {
    let rest = key.strip_prefix("https://").or_else(|| key.strip_prefix("http://")).unwrap_or(key);
    let (host, path) = rest.split_once('/').map_or((rest, ""), |(h, p)| (h, p));
    if !matches!(path, "" | "v1" | "v1/" | "v2" | "v2/") {
        return None;
    }
    let host = host.to_ascii_lowercase();
    Some(match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => DOCKER_HUB.to_owned(),
        _ => host,
    })
}

/// `REGAUTH_REGISTRY_<HOST>` for a valid lower-case `host[:port]`.
pub fn variable_stem(host: &str) -> Option<String> {
    if !valid_host(host) {
        return None;
    }
    let mut name = String::from(PREFIX);
    for c in host.chars() {
        match c {
            '.' => name.push('_'),
            '-' => name.push_str("__"),
            ':' => name.push_str("___"),
            c => name.push(c.to_ascii_uppercase()),
        }
    }
    Some(name)
}

/// The inverse of [`variable_stem`] on the part after the prefix.
fn decode_host(encoded: &str) -> Option<String> {
    let mut host = String::new();
    let mut chars = encoded.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '_' {
            host.push(c.to_ascii_lowercase());
            continue;
        }
        let mut run = 1;
        while chars.next_if_eq(&'_').is_some() {
            run += 1;
        }
        match run {
            1 => host.push('.'),
            3 => host.push(':'),
            n if n % 2 == 0 => host.extend(std::iter::repeat_n('-', n / 2)),
            _ => return None,
        }
    }
    // Round-trip check: only names this scheme produces are read back.
    (variable_stem(&host)?.strip_prefix(PREFIX)? == encoded).then_some(host)
}

/// docker's domain grammar: labels of letters, digits and inner hyphens joined by dots, optional `:port`.
fn valid_host(host: &str) -> bool {
    let (name, port) = host.split_once(':').map_or((host, None), |(n, p)| (n, Some(p)));
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    let label_ok = |l: &str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    port_ok && name.split('.').all(label_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_names_table() {
        let table = [
            ("127.0.0.1:5000", "REGAUTH_REGISTRY_127_0_0_1___5000"),
            ("ghcr.io", "REGAUTH_REGISTRY_GHCR_IO"),
            ("docker.io", "REGAUTH_REGISTRY_DOCKER_IO"),
            ("my-registry.example.com", "REGAUTH_REGISTRY_MY__REGISTRY_EXAMPLE_COM"),
            ("xn--bcher-kva.de:443", "REGAUTH_REGISTRY_XN____BCHER__KVA_DE___443"),
            ("localhost", "REGAUTH_REGISTRY_LOCALHOST"),
        ];
        for (host, name) in table {
            assert_eq!(variable_stem(host).as_deref(), Some(name), "{host}");
            assert_eq!(decode_host(name.strip_prefix(PREFIX).unwrap()).as_deref(), Some(host), "{name}");
        }
        for bad in ["", "-a.com", "a-.com", "a..b", "a_b", "[::1]:5000", "a:", "a:x", "A.com"] {
            assert_eq!(variable_stem(bad), None, "{bad}");
        }
        for bad in ["A__", "A_____B", "_A", "A____", "A_B_"] {
            assert_eq!(decode_host(bad), None, "{bad}");
        }
    }

    #[test]
    fn distinct_hosts_never_share_a_name() {
        let hosts = ["a.b", "a-b", "a:5", "a--b", "a.b.c", "a-b.c", "a.b-c", "ab", "a.5", "a-5", "a5"];
        let names: std::collections::BTreeSet<_> = hosts.iter().map(|h| variable_stem(h).unwrap()).collect();
        assert_eq!(names.len(), hosts.len());
    }

    #[test]
    fn key_forms_clients_send() {
        let table = [
            ("127.0.0.1:5000", Some("127.0.0.1:5000")),
            ("https://127.0.0.1:5000", Some("127.0.0.1:5000")),
            ("http://GHCR.io/", Some("ghcr.io")),
            ("https://index.docker.io/v1/", Some("docker.io")),
            ("docker.io", Some("docker.io")),
            ("registry-1.docker.io", Some("docker.io")),
            ("https://ghcr.io/v2/", Some("ghcr.io")),
            ("https://index.docker.io/v1/refresh-token", None),
        ];
        for (key, host) in table {
            assert_eq!(host_of_key(key).as_deref(), host, "{key}");
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
        let want: Listing = [("127.0.0.1:5000", "alice"), (DOCKER_HUB_KEY, "bob")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert_eq!(listing, want);
        let creds = Credentials { server_url: "h".into(), username: "u".into(), secret: Secret::new("s") };
        assert!(matches!(store.store(&creds), Err(StoreError::ReadOnly(m)) if m.contains("read-only")));
        assert!(matches!(store.erase("h"), Err(StoreError::ReadOnly(_))));
    }
}
