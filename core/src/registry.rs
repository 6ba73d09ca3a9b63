//! Registry keys: how each client turns an image reference into the key it looks up in config files and
//! credential helpers. They differ, which is why the same login works for docker and not for podman.

use crate::reference::{split_host_port, Reference, DOCKER_HUB};

/// The key the Docker CLI uses for Docker Hub in `auths` and with helpers.
pub const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// The clients whose lookup rules regauth knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Client {
    /// Docker CLI (also buildx, compose, docker-py).
    Docker,
    /// containers/image: podman, skopeo, buildah, cri-o.
    Podman,
    /// nerdctl (and buildkit through it).
    Nerdctl,
}

impl Client {
    pub const ALL: [Client; 3] = [Client::Docker, Client::Podman, Client::Nerdctl];

    pub fn name(self) -> &'static str {
        match self {
            Client::Docker => "docker",
            Client::Podman => "podman",
            Client::Nerdctl => "nerdctl",
        }
    }
}

/// Docker CLI: `https://index.docker.io/v1/` for Docker Hub, `host[:port]` otherwise.
pub fn docker_key(registry: &str) -> String {
    if registry == DOCKER_HUB {
        DOCKER_HUB_KEY.to_owned()
    } else {
        registry.to_owned()
    }
}

/// containers/image: the most specific key first, `host/ns/repo`, `host/ns`, ..., `host`.
pub fn containers_keys(reference: &Reference) -> Vec<String> {
    let mut keys = Vec::new();
    let mut name = reference.name();
    keys.push(name.clone());
    while let Some(i) = name.rfind('/') {
        name.truncate(i);
        keys.push(name.clone());
    }
    keys
}

/// nerdctl: the canonical `host:port` (Docker Hub: docker's key) and the legacy variants it also reads,
/// in the order it tries them.
pub fn nerdctl_keys(registry: &str) -> Vec<String> {
    let mut keys = Vec::new();
    if registry == DOCKER_HUB {
        keys.push(DOCKER_HUB_KEY.to_owned());
    }
    let (host, port) = split_host_port(registry);
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

/// Docker's `ConvertToHostname`: `https://host:5000/v1/` -> `host:5000`. Used for legacy `auths` keys.
pub fn key_to_hostname(key: &str) -> &str {
    let rest = key.strip_prefix("https://").or_else(|| key.strip_prefix("http://")).unwrap_or(key);
    rest.split('/').next().unwrap_or(rest)
}

/// containers/image's normalisation of a legacy key: a URL loses scheme and path, and Docker Hub's
/// aliases fold into `docker.io`. A key without a scheme keeps its path (`quay.io/org` stays as it is).
pub fn containers_normalize_key(key: &str) -> String {
    let stripped = key.strip_prefix("https://").or_else(|| key.strip_prefix("http://"));
    let host = match stripped {
        Some(rest) => rest.split('/').next().unwrap_or(rest),
        None => key,
    };
    match host {
        "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Reference {
        Reference::parse(s).unwrap()
    }

    #[test]
    fn docker_keys() {
        let table = [
            ("nginx", "https://index.docker.io/v1/"),
            ("index.docker.io/user/app", "https://index.docker.io/v1/"),
            ("ghcr.io/o/a", "ghcr.io"),
            ("127.0.0.1:5000/team/app", "127.0.0.1:5000"),
            ("[::1]:5000/x", "[::1]:5000"),
            ("localhost/x", "localhost"),
        ];
        for (image, key) in table {
            assert_eq!(docker_key(&r(image).registry), key, "{image}");
        }
    }

    #[test]
    fn containers_key_order() {
        assert_eq!(
            containers_keys(&r("quay.io/org/team/repo:1")),
            ["quay.io/org/team/repo", "quay.io/org/team", "quay.io/org", "quay.io"]
        );
        assert_eq!(
            containers_keys(&r("nginx")),
            ["docker.io/library/nginx", "docker.io/library", "docker.io"]
        );
        assert_eq!(containers_keys(&r("127.0.0.1:5000/app")), ["127.0.0.1:5000/app", "127.0.0.1:5000"]);
    }

    #[test]
    fn nerdctl_key_variants() {
        assert_eq!(
            nerdctl_keys("ghcr.io"),
            [
                "ghcr.io:443",
                "https://ghcr.io:443",
                "http://ghcr.io:443",
                "ghcr.io",
                "https://ghcr.io",
                "http://ghcr.io"
            ]
        );
        assert_eq!(nerdctl_keys("docker.io").len(), 7);
        assert_eq!(nerdctl_keys("docker.io")[0], DOCKER_HUB_KEY);
        assert_eq!(
            nerdctl_keys("127.0.0.1:5000"),
            ["127.0.0.1:5000", "https://127.0.0.1:5000", "http://127.0.0.1:5000"]
        );
    }

    #[test]
    fn legacy_key_normalisation() {
        let table = [
            ("https://index.docker.io/v1/", "index.docker.io", "docker.io"),
            ("http://registry-1.docker.io", "registry-1.docker.io", "docker.io"),
            ("https://my.reg:5000/v2/", "my.reg:5000", "my.reg:5000"),
            ("quay.io", "quay.io", "quay.io"),
            ("quay.io/org/repo", "quay.io", "quay.io/org/repo"),
            ("index.docker.io", "index.docker.io", "docker.io"),
        ];
        for (key, host, normal) in table {
            assert_eq!(key_to_hostname(key), host, "{key}");
            assert_eq!(containers_normalize_key(key), normal, "{key}");
        }
    }
}
