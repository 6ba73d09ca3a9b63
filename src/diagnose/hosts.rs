//! Host facts the probes need: Docker Hub's API host, loopback (where plain http is allowed), and whether a
//! token realm is on the registry's own site (else a warning before credentials go there). What a host
//! is (Docker Hub or not, its port, loopback) is `regauth_core::registry::RegistryHost`'s to say.

use regauth_core::registry::RegistryHost;

/// Where the registry at `registry` (as in the image reference) answers: Docker Hub's API lives on
/// registry-1.docker.io.
pub(super) fn api_host(registry: &str) -> String {
    RegistryHost::new(registry).api_host().to_owned()
}

/// `localhost` or a loopback address, with or without a port.
pub(super) fn is_loopback(host_port: &str) -> bool {
    RegistryHost::new(host_port).is_loopback()
}

/// The same host, or both under the same last two labels (auth.docker.io and registry-1.docker.io). A
/// port is part of the text compared: `example.com:5000` and `auth.example.com` are not one site.
pub(super) fn same_site(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if a.parse::<std::net::IpAddr>().is_ok() || b.parse::<std::net::IpAddr>().is_ok() {
        return false;
    }
    fn tail(h: &str) -> Vec<&str> {
        h.rsplit('.').take(2).collect()
    }
    tail(a) == tail(b) && a.contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_hosts() {
        let table = [
            ("docker.io", "registry-1.docker.io"),
            ("registry-1.docker.io", "registry-1.docker.io"),
            ("ghcr.io", "ghcr.io"),
            ("127.0.0.1:5000", "127.0.0.1:5000"),
            ("registry.hub.docker.com", "registry.hub.docker.com"),
        ];
        for (registry, api) in table {
            assert_eq!(api_host(registry), api, "{registry}");
        }
    }

    #[test]
    fn loopback_and_sites() {
        assert!(is_loopback("127.0.0.1:5000") && is_loopback("localhost") && is_loopback("[::1]:5000"));
        assert!(!is_loopback("10.0.0.1:5000") && !is_loopback("example.com"));
        let same = [
            ("auth.docker.io", "registry-1.docker.io"),
            ("127.0.0.1", "127.0.0.1"),
            ("gitlab.example.com", "registry.example.com"),
            ("a.example.com", "example.com"),
        ];
        for (a, b) in same {
            assert!(same_site(a, b), "{a} {b}");
        }
        let other = [
            ("evil.com", "registry.example.com"),
            ("127.0.0.2", "127.0.0.1"),
            ("localhost", "otherhost"),
            ("example.com.evil.net", "example.com"),
            ("auth.example.com", "registry.example.com:5000"),
            ("[::1]", "[::1]:5000"),
        ];
        for (a, b) in other {
            assert!(!same_site(a, b), "{a} {b}");
        }
    }
}
