//! The environment variables `regauth` reads, for `regauth help environment` and regauth(1). A test
//! (tests/help_topics.rs) reads the source for every variable name the program looks up and fails when
//! one is not here.

/// `(name, what it does)`.
pub const VARIABLES: &[(&str, &str)] = &[
    ("REGAUTH_CONFIG", "as --config DIR: docker's config directory (DIR/config.json)."),
    ("REGAUTH_LOCK_TIMEOUT", "as --lock-timeout: seconds to wait for another writer's lock (default 10)."),
    ("REGAUTH_CERTS_D", "as --certs-dir: certs.d directories, colon-separated."),
    (
        "REGAUTH_FULL_PARSE",
        "set (to anything): `regauth token` is neither answered by the small front program from the token \
         cache nor parsed by the fast path: regauth-cli and its full command-line parser do it all (the \
         answers are the same; tests compare the two).",
    ),
    (
        "REGAUTH_TOKEN_CACHE",
        "keyring, file or off: where `regauth token` and docker-credential-regauth-cache keep tokens.",
    ),
    (
        "REGAUTH_KEYUTILS_NAMESPACE",
        "a prefix for the kernel-keyring keys of the keyutils helper and the token cache (tests, several \
         identities on one account).",
    ),
    (
        "REGAUTH_REGISTRY_<HOST>_USERNAME",
        "with _PASSWORD: the credential docker-credential-regauth-env serves for HOST (in capitals, . as _, \
         - as __ and : as ___); resolve, diagnose and logout read them through that helper.",
    ),
    ("DOCKER_CONFIG", "docker's config directory, when --config is not given (default ~/.docker)."),
    (
        "DOCKER_AUTH_CONFIG",
        "a config.json document BuildKit reads before the file (resolve --client buildkit).",
    ),
    (
        "REGISTRY_AUTH_FILE",
        "containers' auth.json, as podman reads it: resolve, login --authfile's default, logout, migrate, \
         audit.",
    ),
    ("CONTAINERS_REGISTRIES_CONF", "podman's and buildah's registries.conf (resolve: credential-helpers)."),
    ("XDG_RUNTIME_DIR", "where containers' auth.json lives first ($XDG_RUNTIME_DIR/containers/auth.json)."),
    ("XDG_CONFIG_HOME", "~/.config: containers' auth.json, cache-helper.json, helm's registry config."),
    ("XDG_CACHE_HOME", "~/.cache: the token cache's file storage ($XDG_CACHE_HOME/regauth)."),
    ("HOME", "where ~/.docker, ~/.config and ~/.cache are."),
    ("PATH", "where docker-credential-* helpers, kubectl and the clients asked for a version are found."),
    (
        "DBUS_SESSION_BUS_ADDRESS",
        "the session bus of the Secret Service (login and migrate choose it when it answers).",
    ),
    (
        "HTTPS_PROXY",
        "with HTTP_PROXY and NO_PROXY (and their lower-case forms): the proxy for registry requests.",
    ),
    (
        "SSL_CERT_FILE",
        "with SSL_CERT_DIR (a : list): the system's trusted roots, instead of the places OpenSSL uses.",
    ),
    ("NO_COLOR", "set: diagnose prints no colours."),
];

/// `regauth help environment`.
pub fn topic() -> String {
    let mut out = String::from("Environment variables regauth reads\n\n");
    for (name, meaning) in VARIABLES {
        out.push_str(&format!("  {name}\n"));
        out.push_str(&super::wrap(meaning, 6));
    }
    out.push_str(
        "\nThe helpers read their own (docker-credential-regauth-env: REGAUTH_REGISTRY_*; \
         docker-credential-regauth-cache: its inner helpers' identity variables): see their man pages.\n",
    );
    out
}
