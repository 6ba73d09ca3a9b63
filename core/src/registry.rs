//! Registry hosts and keys: [`RegistryHost`] is a registry's `host[:port]`, with Docker Hub's aliases
//! folded into one name, and the key each client looks it up under in config files and credential
//! helpers. The clients differ, which is why the same login works for docker and not for podman.

use crate::reference::{split_host_port, Reference, DOCKER_HUB, LEGACY_DOCKER_HUB};
use std::fmt;

/// The key the Docker CLI uses for Docker Hub in `auths` and with helpers.
pub const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// Where Docker Hub's registry API answers.
const DOCKER_HUB_API_HOST: &str = "registry-1.docker.io";

/// Every name that means Docker Hub in host text (a `--registry` value, a config key, a server URL a
/// client sends), the canonical one first. `registry.hub.docker.com` is not among them: no client folds
/// it into Docker Hub's key (docker and podman look an image named `registry.hub.docker.com/...` up under
/// `registry.hub.docker.com`), so regauth keeps it a registry of its own everywhere.
pub const DOCKER_HUB_ALIASES: [&str; 3] = [DOCKER_HUB, LEGACY_DOCKER_HUB, DOCKER_HUB_API_HOST];

/// Prefix of the environment store's variables.
pub const ENV_PREFIX: &str = "REGAUTH_REGISTRY_";
/// The clients whose lookup rules regauth knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Client {
    /// Docker CLI (also buildx, compose, docker-py).
    Docker,
    /// podman (containers/image, with podman's default auth file rules; also cri-o's lookup).
    Podman,
    /// nerdctl (its own lookup: several key variants; nerdctl build's pulls go through BuildKit's).
    Nerdctl,
    /// buildah (containers/image, with containers/common's default auth file like podman).
    Buildah,
    /// skopeo (containers/image; `DOCKER_CONFIG` does not name its auth file).
    Skopeo,
    /// crane and every go-containerregistry program using its default keychain.
    Crane,
    /// oras (oras-go's credential store over docker's config.json).
    Oras,
    /// helm v4 (its registry config, then docker's config.json, through oras-go).
    Helm,
    /// regctl (its own config, merged over docker's config.json; regclient).
    Regctl,
    /// BuildKit's client side (buildctl, and nerdctl build): docker/cli's lookup for one key, the host.
    Buildkit,
    /// containerd's CRI image service (what the kubelet pulls through): config.toml's CRI registry
    /// `configs."HOST".auth` for the host hosts.toml sends it to; never docker's config.json.
    Containerd,
}

impl Client {
    /// Every client, in the order `--client all` reports them (new clients are added at the end).
    pub const ALL: [Client; 11] = [
        Client::Docker,
        Client::Podman,
        Client::Nerdctl,
        Client::Buildah,
        Client::Skopeo,
        Client::Crane,
        Client::Oras,
        Client::Helm,
        Client::Regctl,
        Client::Buildkit,
        Client::Containerd,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Client::Docker => "docker",
            Client::Podman => "podman",
            Client::Nerdctl => "nerdctl",
            Client::Buildah => "buildah",
            Client::Skopeo => "skopeo",
            Client::Crane => "crane",
            Client::Oras => "oras",
            Client::Helm => "helm",
            Client::Regctl => "regctl",
            Client::Buildkit => "buildkit",
            Client::Containerd => "containerd",
        }
    }

    /// Whether the client looks credentials up through containers/image.
    pub fn is_containers(self) -> bool {
        matches!(self, Client::Podman | Client::Buildah | Client::Skopeo)
    }
}

/// A registry's `host[:port]`: `docker.io` for Docker Hub (whichever alias named it), otherwise as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegistryHost {
    host: String,
}

impl RegistryHost {
    /// From host text: `host`, `host:port`, or a key such as `https://host:5000/v1/` (scheme and path are
    /// dropped, as docker's `ConvertToHostname` does). Docker Hub's aliases (any case) become `docker.io`.
    /// Not validated: see [`RegistryHost::parse`].
    pub fn new(text: &str) -> RegistryHost {
        let host = key_to_hostname(text);
        if DOCKER_HUB_ALIASES.iter().any(|alias| alias.eq_ignore_ascii_case(host)) {
            RegistryHost { host: DOCKER_HUB.to_owned() }
        } else {
            RegistryHost { host: host.to_owned() }
        }
    }

    /// [`RegistryHost::new`] for text a user typed (surrounding whitespace ignored), refused unless the
    /// host is a valid registry in docker's grammar.
    pub fn parse(text: &str) -> Result<RegistryHost, crate::reference::ReferenceError> {
        let host = RegistryHost::new(text.trim());
        crate::reference::check_registry(&host.host)?;
        Ok(host)
    }

    /// The registry of an image reference. Docker's reference grammar has already named Docker Hub
    /// `docker.io` (it folds only `index.docker.io`); any other name is a registry of its own to every
    /// client, so it is kept as the reference has it.
    pub fn of_reference(reference: &Reference) -> RegistryHost {
        RegistryHost { host: reference.registry.clone() }
    }

    /// `docker.io`, `ghcr.io`, `127.0.0.1:5000`, `[::1]:5000`.
    pub fn as_str(&self) -> &str {
        &self.host
    }

    pub fn is_docker_hub(&self) -> bool {
        self.host == DOCKER_HUB
    }

    /// The host without its port; an IPv6 literal without its brackets.
    pub fn name(&self) -> &str {
        let (name, _port) = split_host_port(&self.host);
        name.strip_prefix('[').and_then(|n| n.strip_suffix(']')).unwrap_or(name)
    }

    /// `localhost` or a loopback address: where plain http is allowed.
    pub fn is_loopback(&self) -> bool {
        let name = self.name();
        name == "localhost" || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    /// Where the registry API answers: Docker Hub's is `registry-1.docker.io`.
    pub fn api_host(&self) -> &str {
        if self.is_docker_hub() {
            DOCKER_HUB_API_HOST
        } else {
            &self.host
        }
    }

    /// Docker CLI: `https://index.docker.io/v1/` for Docker Hub, `host[:port]` otherwise.
    pub fn docker_key(&self) -> String {
        if self.is_docker_hub() {
            DOCKER_HUB_KEY.to_owned()
        } else {
            self.host.clone()
        }
    }

    /// containers/image: the most specific key first, `host/ns/repo`, `host/ns`, ..., `host`.
    pub fn containers_keys(&self, repository: &str) -> Vec<String> {
        let mut name = format!("{}/{repository}", self.host);
        let mut keys = vec![name.clone()];
        while let Some(i) = name.rfind('/') {
            name.truncate(i);
            keys.push(name.clone());
        }
        keys
    }

    /// The `credHelpers` keys that make every client use one helper for this registry: docker's key, and
    /// for Docker Hub also `docker.io`, the key podman, skopeo and buildah use.
    pub fn helper_keys(&self) -> Vec<String> {
        let mut keys = vec![self.docker_key()];
        if self.is_docker_hub() {
            keys.push(self.host.clone());
        }
        keys
    }

    /// nerdctl: the canonical `host:port` (Docker Hub: docker's key first) and the legacy variants it also
    /// reads, in the order it tries them.
    pub fn nerdctl_keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        if self.is_docker_hub() {
            keys.push(DOCKER_HUB_KEY.to_owned());
        }
        let (host, port) = split_host_port(&self.host);
        let port = port.unwrap_or("443");
        let with_port = format!("{host}:{port}");
        keys.push(with_port.clone());
        keys.push(format!("https://{with_port}"));
        keys.push(format!("http://{with_port}"));
        if port == "443" {
            keys.push(host.to_owned());
            keys.push(format!("https://{host}"));
            keys.push(format!("http://{host}"));
        }
        keys.dedup();
        keys
    }

    /// The environment store's variable stem, `REGAUTH_REGISTRY_<HOST>`: the host lower-cased, then
    /// upper-cased with `.` -> `_`, `-` -> `__` and `:` -> `___`. `None` for a host outside docker's domain
    /// grammar (an IPv6 literal has no variable name).
    ///
    /// The mapping is one-to-one: in a registry host `.` and `:` always sit between letters or digits and
    /// a `-` never starts or ends a label, so a run of underscores is read back unambiguously (1: `.`,
    /// 3: `:`, 2k: k hyphens); [`RegistryHost::from_env_stem`] is its inverse.
    pub fn env_stem(&self) -> Option<String> {
        env_stem(&self.host.to_ascii_lowercase())
    }

    /// The inverse of [`RegistryHost::env_stem`], on the part after `REGAUTH_REGISTRY_`. A name that
    /// spells one of Docker Hub's other aliases (`INDEX_DOCKER_IO`) is not read: Docker Hub's is `DOCKER_IO`.
    pub fn from_env_stem(encoded: &str) -> Option<RegistryHost> {
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
        // Round-trip check: only names this scheme produces for a canonical host are read back.
        let host = RegistryHost::new(&host);
        (host.env_stem()?.strip_prefix(ENV_PREFIX)? == encoded).then_some(host)
    }
}

impl fmt::Display for RegistryHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.host)
    }
}

/// `REGAUTH_REGISTRY_<HOST>` for a valid lower-case `host[:port]`.
fn env_stem(host: &str) -> Option<String> {
    if !valid_env_host(host) {
        return None;
    }
    let mut name = String::from(ENV_PREFIX);
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

/// docker's domain grammar, lower case: labels of letters, digits and inner hyphens joined by dots,
/// optional `:port`.
fn valid_env_host(host: &str) -> bool {
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

/// Docker's `ConvertToHostname`: `https://host:5000/v1/` -> `host:5000`. Used for legacy `auths` keys.
pub fn key_to_hostname(key: &str) -> &str {
    let rest = key.strip_prefix("https://").or_else(|| key.strip_prefix("http://")).unwrap_or(key);
    rest.split('/').next().unwrap_or(rest)
}

/// containers/image's normalisation of a legacy key: a URL loses scheme and path, and Docker Hub's
/// aliases fold into `docker.io`. A key without a scheme keeps its path (`quay.io/org` stays as it is).
pub fn containers_normalize_key(key: &str) -> String {
    let has_scheme = key.starts_with("https://") || key.starts_with("http://");
    let host = RegistryHost::new(key);
    if has_scheme || host.is_docker_hub() && !key.contains('/') {
        host.host
    } else {
        key.to_owned()
    }
}

/// containers/image's fallback match of an `auths` key against a registry: scheme stripped, and then the
/// path cut when there was a scheme or the file is the legacy `~/.dockercfg`; Docker Hub's names
/// (`docker.io`, `index.docker.io`, `registry-1.docker.io`, compared exactly as written) are one.
/// `quay.io/org` in a current file stays a namespaced key and matches no registry.
pub fn containers_key_matches_registry(key: &str, legacy: bool, registry: &str) -> bool {
    let stripped = key.strip_prefix("http://").unwrap_or(key);
    let stripped = stripped.strip_prefix("https://").unwrap_or(stripped);
    let host = if legacy || stripped.len() != key.len() {
        stripped.split('/').next().unwrap_or("")
    } else {
        stripped
    };
    let hub = |h: &str| DOCKER_HUB_ALIASES.contains(&h);
    host == registry || (hub(host) && hub(registry))
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
