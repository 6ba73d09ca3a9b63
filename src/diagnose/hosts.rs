//! Host facts the probes need: Docker Hub's API host, loopback (where plain http is allowed), and whether a
//! token realm is on the registry's own site (else a warning before credentials go there).

/// Docker Hub's API lives on registry-1.docker.io.
pub(super) fn api_host(registry: &str) -> String {
    if registry == regauth_core::reference::DOCKER_HUB {
        "registry-1.docker.io".into()
    } else {
        registry.to_owned()
    }
}

pub(super) fn is_loopback(host_port: &str) -> bool {
    let host = match host_port.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host_port.rsplit_once(':').map_or(host_port, |(h, _)| h),
    };
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The same host, or both under the same last two labels (auth.docker.io and registry-1.docker.io).
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
    fn loopback_and_sites() {
        assert!(is_loopback("127.0.0.1:5000") && is_loopback("localhost") && is_loopback("[::1]:5000"));
        assert!(!is_loopback("10.0.0.1:5000") && !is_loopback("example.com"));
        assert!(same_site("auth.docker.io", "registry-1.docker.io"));
        assert!(!same_site("evil.com", "registry.example.com"));
        assert!(same_site("127.0.0.1", "127.0.0.1") && !same_site("127.0.0.2", "127.0.0.1"));
    }
}
