//! Tables of `registry`: host forms, Docker Hub's aliases, each client's keys and the env store's names.

use super::*;

#[test]
fn containers_fallback_key_table() {
    for (key, legacy, registry, matches) in [
        ("https://index.docker.io/v1/", false, "docker.io", true),
        ("http://127.0.0.1:5000", false, "127.0.0.1:5000", true),
        ("https://127.0.0.1:5000/v2/", false, "127.0.0.1:5000", true),
        ("index.docker.io", false, "docker.io", true),
        ("registry-1.docker.io", false, "docker.io", true),
        ("quay.io/org", false, "quay.io", false),
        ("quay.io/org", true, "quay.io", true),
        ("Index.Docker.io", false, "docker.io", false),
        ("registry.hub.docker.com", false, "docker.io", false),
        ("ghcr.io", false, "quay.io", false),
    ] {
        assert_eq!(
            containers_key_matches_registry(key, legacy, registry),
            matches,
            "{key} legacy={legacy} {registry}"
        );
    }
}

fn r(s: &str) -> Reference {
    Reference::parse(s).unwrap()
}

fn host(s: &str) -> RegistryHost {
    RegistryHost::new(s)
}

#[test]
fn host_text_table() {
    // text, host, Docker Hub?, docker key, API host
    let table = [
        ("docker.io", "docker.io", true, DOCKER_HUB_KEY, "registry-1.docker.io"),
        ("index.docker.io", "docker.io", true, DOCKER_HUB_KEY, "registry-1.docker.io"),
        ("registry-1.docker.io", "docker.io", true, DOCKER_HUB_KEY, "registry-1.docker.io"),
        ("Index.Docker.IO", "docker.io", true, DOCKER_HUB_KEY, "registry-1.docker.io"),
        ("https://index.docker.io/v1/", "docker.io", true, DOCKER_HUB_KEY, "registry-1.docker.io"),
        ("http://registry-1.docker.io", "docker.io", true, DOCKER_HUB_KEY, "registry-1.docker.io"),
        (
            "registry.hub.docker.com",
            "registry.hub.docker.com",
            false,
            "registry.hub.docker.com",
            "registry.hub.docker.com",
        ),
        ("hub.docker.com", "hub.docker.com", false, "hub.docker.com", "hub.docker.com"),
        ("notdocker.io", "notdocker.io", false, "notdocker.io", "notdocker.io"),
        ("docker.io.evil.com", "docker.io.evil.com", false, "docker.io.evil.com", "docker.io.evil.com"),
        ("ghcr.io", "ghcr.io", false, "ghcr.io", "ghcr.io"),
        ("https://ghcr.io/v2/", "ghcr.io", false, "ghcr.io", "ghcr.io"),
        ("quay.io/org/repo", "quay.io", false, "quay.io", "quay.io"),
        ("127.0.0.1:5000", "127.0.0.1:5000", false, "127.0.0.1:5000", "127.0.0.1:5000"),
        ("[::1]:5000", "[::1]:5000", false, "[::1]:5000", "[::1]:5000"),
        ("localhost", "localhost", false, "localhost", "localhost"),
    ];
    for (text, want, hub, docker, api) in table {
        let h = host(text);
        assert_eq!(
            (h.as_str(), h.is_docker_hub(), h.docker_key().as_str(), h.api_host()),
            (want, hub, docker, api),
            "{text}"
        );
    }
}

#[test]
fn parse_refuses_what_is_not_a_registry() {
    assert_eq!(RegistryHost::parse(" https://ghcr.io/ ").unwrap().as_str(), "ghcr.io");
    assert_eq!(RegistryHost::parse("127.0.0.1:5000").unwrap().as_str(), "127.0.0.1:5000");
    for bad in ["", "bad host", "h:99999", "-x.io", "a..b", "[::1", "[zz]:5000", "h:"] {
        assert!(RegistryHost::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn the_reference_grammar_folds_a_subset_of_the_aliases() {
    // The grammar keeps `registry-1.docker.io/...` a registry of its own, as docker does; every
    // name it folds into docker.io is one of the aliases.
    for image in ["nginx", "index.docker.io/user/app", "docker.io/user/app"] {
        assert!(RegistryHost::of_reference(&r(image)).is_docker_hub(), "{image}");
        assert!(DOCKER_HUB_ALIASES.iter().any(|a| image.starts_with(a)) || !image.contains('/'));
    }
    assert!(!RegistryHost::of_reference(&r("registry-1.docker.io/library/nginx")).is_docker_hub());
    assert!(!RegistryHost::of_reference(&r("registry.hub.docker.com/library/nginx")).is_docker_hub());
}

#[test]
fn loopback_table() {
    for good in ["127.0.0.1:5000", "localhost", "localhost:5000", "[::1]:5000", "[::1]", "127.3.2.1"] {
        assert!(host(good).is_loopback(), "{good}");
    }
    for bad in ["10.0.0.1:5000", "example.com", "localhost.example.com", "::1", "[::2]:5000", "docker.io"] {
        assert!(!host(bad).is_loopback(), "{bad}");
    }
    assert_eq!(host("[::1]:5000").name(), "::1");
    assert_eq!(host("ghcr.io:443").name(), "ghcr.io");
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
        ("registry-1.docker.io/library/nginx", "registry-1.docker.io"),
    ];
    for (image, key) in table {
        assert_eq!(RegistryHost::of_reference(&r(image)).docker_key(), key, "{image}");
    }
}

#[test]
fn helper_keys_cover_docker_and_podman() {
    assert_eq!(host("ghcr.io").helper_keys(), ["ghcr.io"]);
    assert_eq!(host("docker.io").helper_keys(), [DOCKER_HUB_KEY, "docker.io"]);
    assert_eq!(host("https://index.docker.io/v1/").helper_keys(), [DOCKER_HUB_KEY, "docker.io"]);
    assert_eq!(host("registry.hub.docker.com").helper_keys(), ["registry.hub.docker.com"]);
}

#[test]
fn containers_key_order() {
    let keys = |image: &str| {
        let reference = r(image);
        RegistryHost::of_reference(&reference).containers_keys(&reference.repository)
    };
    assert_eq!(
        keys("quay.io/org/team/repo:1"),
        ["quay.io/org/team/repo", "quay.io/org/team", "quay.io/org", "quay.io"]
    );
    assert_eq!(keys("nginx"), ["docker.io/library/nginx", "docker.io/library", "docker.io"]);
    assert_eq!(keys("127.0.0.1:5000/app"), ["127.0.0.1:5000/app", "127.0.0.1:5000"]);
}

#[test]
fn nerdctl_key_variants() {
    assert_eq!(
        host("ghcr.io").nerdctl_keys(),
        [
            "ghcr.io:443",
            "https://ghcr.io:443",
            "http://ghcr.io:443",
            "ghcr.io",
            "https://ghcr.io",
            "http://ghcr.io"
        ]
    );
    assert_eq!(host("docker.io").nerdctl_keys().len(), 7);
    assert_eq!(host("docker.io").nerdctl_keys()[0], DOCKER_HUB_KEY);
    assert_eq!(
        host("127.0.0.1:5000").nerdctl_keys(),
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
        ("index.docker.io/org", "index.docker.io", "index.docker.io/org"),
        ("https://registry.hub.docker.com/v1/", "registry.hub.docker.com", "registry.hub.docker.com"),
    ];
    for (key, host, normal) in table {
        assert_eq!(key_to_hostname(key), host, "{key}");
        assert_eq!(containers_normalize_key(key), normal, "{key}");
    }
}

#[test]
fn env_variable_names_table() {
    let table = [
        ("127.0.0.1:5000", "REGAUTH_REGISTRY_127_0_0_1___5000"),
        ("ghcr.io", "REGAUTH_REGISTRY_GHCR_IO"),
        ("docker.io", "REGAUTH_REGISTRY_DOCKER_IO"),
        ("my-registry.example.com", "REGAUTH_REGISTRY_MY__REGISTRY_EXAMPLE_COM"),
        ("xn--bcher-kva.de:443", "REGAUTH_REGISTRY_XN____BCHER__KVA_DE___443"),
        ("localhost", "REGAUTH_REGISTRY_LOCALHOST"),
        ("registry.hub.docker.com", "REGAUTH_REGISTRY_REGISTRY_HUB_DOCKER_COM"),
    ];
    for (text, name) in table {
        assert_eq!(host(text).env_stem().as_deref(), Some(name), "{text}");
        let back = RegistryHost::from_env_stem(name.strip_prefix(ENV_PREFIX).unwrap());
        assert_eq!(back.as_ref().map(RegistryHost::as_str), Some(text), "{name}");
    }
    // Docker Hub has one name whichever alias names it; upper case is read as lower case.
    assert_eq!(host("registry-1.docker.io").env_stem().as_deref(), Some("REGAUTH_REGISTRY_DOCKER_IO"));
    assert_eq!(host("GHCR.io").env_stem().as_deref(), Some("REGAUTH_REGISTRY_GHCR_IO"));
    for bad in ["", "-a.com", "a-.com", "a..b", "a_b", "[::1]:5000", "a:", "a:x"] {
        assert_eq!(host(bad).env_stem(), None, "{bad}");
    }
    for bad in ["A__", "A_____B", "_A", "A____", "A_B_", "INDEX_DOCKER_IO", "REGISTRY__1_DOCKER_IO"] {
        assert_eq!(RegistryHost::from_env_stem(bad), None, "{bad}");
    }
}

#[test]
fn distinct_hosts_never_share_a_variable() {
    let hosts = ["a.b", "a-b", "a:5", "a--b", "a.b.c", "a-b.c", "a.b-c", "ab", "a.5", "a-5", "a5"];
    let names: std::collections::BTreeSet<_> = hosts.iter().map(|h| host(h).env_stem().unwrap()).collect();
    assert_eq!(names.len(), hosts.len());
}
