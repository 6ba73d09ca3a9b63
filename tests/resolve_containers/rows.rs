//! The configurations tests/resolve_containers.rs runs podman, buildah and skopeo over, with what each
//! must do.

/// One configuration. In file texts and variable values `{H}` is the registry's host:port, `{D}` the row's
/// directory (HOME is `{D}`, XDG_RUNTIME_DIR `{D}/run`), `{a:USER}` base64 of `USER:pw`, `{p:USER}` the
/// same without its `=` padding, and `{n:USER}` the same with a JSON `\n` after its fourth character.
pub struct Row {
    pub name: &'static str,
    pub files: &'static [(&'static str, &'static str)],
    pub env: &'static [(&'static str, &'static str)],
    /// Docker Hub (`docker.io/library/app`) instead of the local registry's `{H}/team/app:v1`.
    pub hub: bool,
    /// `--registries-conf {D}/FILE`, given to the client and to `regauth resolve` alike.
    pub registries_conf: Option<&'static str>,
}

pub const fn row(name: &'static str, files: &'static [(&'static str, &'static str)]) -> Row {
    Row { name, files, env: &[], hub: false, registries_conf: None }
}

pub const fn with_env(
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
    env: &'static [(&'static str, &'static str)],
) -> Row {
    Row { name, files, env, hub: false, registries_conf: None }
}

pub const fn with_flag(
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
    file: &'static str,
) -> Row {
    Row { name, files, env: &[], hub: false, registries_conf: Some(file) }
}

pub const RUNTIME: &str = "run/containers/auth.json";
pub const DOCKER: &str = ".docker/config.json";
pub const XDG: &str = ".config/containers/auth.json";
pub const REGCONF: &str = ".config/containers/registries.conf";

pub const ROWS: &[Row] = &[
    row("runtime-auth-json", &[(RUNTIME, r#"{"auths":{"{H}":{"auth":"{a:runtime}"}}}"#)]),
    row("docker-config", &[(DOCKER, r#"{"auths":{"{H}":{"auth":"{a:docker}"}}}"#)]),
    row(
        "runtime-before-docker-config",
        &[
            (RUNTIME, r#"{"auths":{"{H}":{"auth":"{a:runtime}"}}}"#),
            (DOCKER, r#"{"auths":{"{H}":{"auth":"{a:docker}"}}}"#),
        ],
    ),
    row("xdg-config-auth-json", &[(XDG, r#"{"auths":{"{H}":{"auth":"{a:xdg}"}}}"#)]),
    row("legacy-dockercfg", &[(".dockercfg", r#"{"{H}":{"auth":"{a:legacy}","email":"x@y"}}"#)]),
    row("cred-helpers-found", &[(DOCKER, r#"{"credHelpers":{"{H}":"loga"}}"#)]),
    row(
        "cred-helpers-not-found-next-file",
        &[
            (RUNTIME, r#"{"credHelpers":{"{H}":"nf"}}"#),
            (DOCKER, r#"{"auths":{"{H}":{"auth":"{a:docker}"}}}"#),
        ],
    ),
    row("cred-helpers-not-found-anonymous", &[(DOCKER, r#"{"credHelpers":{"{H}":"nf"}}"#)]),
    row(
        "cred-helpers-not-found-same-file-auths-unread",
        &[(DOCKER, r#"{"credHelpers":{"{H}":"nf"},"auths":{"{H}":{"auth":"{a:docker}"}}}"#)],
    ),
    row(
        "cred-helpers-before-auths",
        &[(DOCKER, r#"{"credHelpers":{"{H}":"loga"},"auths":{"{H}":{"auth":"{a:docker}"}}}"#)],
    ),
    row("creds-store-ignored", &[(DOCKER, r#"{"credsStore":"loga","auths":{"{H}":{"auth":"{a:docker}"}}}"#)]),
    row("creds-store-only", &[(DOCKER, r#"{"credsStore":"loga"}"#)]),
    row(
        "namespace-key-first",
        &[(RUNTIME, r#"{"auths":{"{H}":{"auth":"{a:host}"},"{H}/team":{"auth":"{a:team}"}}}"#)],
    ),
    row(
        "repository-key-first",
        &[(RUNTIME, r#"{"auths":{"{H}/team":{"auth":"{a:team}"},"{H}/team/app":{"auth":"{a:app}"}}}"#)],
    ),
    row(
        "other-namespace-uses-host",
        &[(RUNTIME, r#"{"auths":{"{H}/other":{"auth":"{a:other}"},"{H}":{"auth":"{a:host}"}}}"#)],
    ),
    row(
        "empty-namespace-entry-ends-file",
        &[
            (RUNTIME, r#"{"auths":{"{H}/team":{},"{H}":{"auth":"{a:host}"}}}"#),
            (DOCKER, r#"{"auths":{"{H}":{"auth":"{a:docker}"}}}"#),
        ],
    ),
    row(
        "empty-host-entry-next-file",
        &[(RUNTIME, r#"{"auths":{"{H}":{}}}"#), (DOCKER, r#"{"auths":{"{H}":{"auth":"{a:docker}"}}}"#)],
    ),
    row("username-password-only", &[(DOCKER, r#"{"auths":{"{H}":{"username":"plain","password":"pw"}}}"#)]),
    row(
        "identity-token-only-next-file",
        &[
            (RUNTIME, r#"{"auths":{"{H}":{"identitytoken":"refresh"}}}"#),
            (DOCKER, r#"{"auths":{"{H}":{"auth":"{a:docker}"}}}"#),
        ],
    ),
    row("auth-without-colon", &[(DOCKER, r#"{"auths":{"{H}":{"auth":"bm9jb2xvbg=="}}}"#)]),
    row("url-key-http", &[(DOCKER, r#"{"auths":{"http://{H}":{"auth":"{a:url}"}}}"#)]),
    row("url-key-https-path", &[(DOCKER, r#"{"auths":{"https://{H}/v1/":{"auth":"{a:url}"}}}"#)]),
    row(
        "exact-key-before-url-key",
        &[(DOCKER, r#"{"auths":{"http://{H}":{"auth":"{a:url}"},"{H}":{"auth":"{a:exact}"}}}"#)],
    ),
    Row {
        name: "registry-auth-file-with-entry",
        files: &[("a.json", r#"{"auths":{"{H}":{"auth":"{a:authfile}"}}}"#)],
        env: &[("REGISTRY_AUTH_FILE", "{D}/a.json")],
        hub: false,
        registries_conf: None,
    },
    Row {
        name: "registry-auth-file-without-entry",
        files: &[("a.json", r#"{"auths":{}}"#), (DOCKER, r#"{"auths":{"{H}":{"auth":"{a:docker}"}}}"#)],
        env: &[("REGISTRY_AUTH_FILE", "{D}/a.json")],
        hub: false,
        registries_conf: None,
    },
    Row {
        name: "registry-auth-file-replaces-runtime-file",
        files: &[("a.json", r#"{"auths":{}}"#), (RUNTIME, r#"{"auths":{"{H}":{"auth":"{a:runtime}"}}}"#)],
        env: &[("REGISTRY_AUTH_FILE", "{D}/a.json")],
        hub: false,
        registries_conf: None,
    },
    Row {
        name: "docker-config-with-entry",
        files: &[("dc/config.json", r#"{"auths":{"{H}":{"auth":"{a:dc}"}}}"#)],
        env: &[("DOCKER_CONFIG", "{D}/dc")],
        hub: false,
        registries_conf: None,
    },
    Row {
        name: "docker-config-and-runtime-file",
        files: &[
            ("dc/config.json", r#"{"auths":{}}"#),
            (RUNTIME, r#"{"auths":{"{H}":{"auth":"{a:runtime}"}}}"#),
        ],
        env: &[("DOCKER_CONFIG", "{D}/dc")],
        hub: false,
        registries_conf: None,
    },
    Row {
        name: "docker-config-without-file",
        files: &[(RUNTIME, r#"{"auths":{"{H}":{"auth":"{a:runtime}"}}}"#)],
        env: &[("DOCKER_CONFIG", "{D}/nowhere")],
        hub: false,
        registries_conf: None,
    },
    row(
        "registries-conf-helper-only",
        &[
            (REGCONF, r#"credential-helpers = ["loga"]"#),
            (RUNTIME, r#"{"auths":{"{H}":{"auth":"{a:runtime}"}}}"#),
        ],
    ),
    row(
        "registries-conf-not-found-then-files",
        &[
            (REGCONF, r#"credential-helpers = ["nf", "containers-auth.json"]"#),
            (RUNTIME, r#"{"auths":{"{H}":{"auth":"{a:runtime}"}}}"#),
        ],
    ),
    row(
        "registries-conf-files-then-helper",
        &[(REGCONF, r#"credential-helpers = ["containers-auth.json", "logb"]"#)],
    ),
    row(
        "registries-conf-drop-in-overrides",
        &[
            (REGCONF, r#"credential-helpers = ["loga"]"#),
            (".config/containers/registries.conf.d/50-x.conf", r#"credential-helpers = ["logb"]"#),
        ],
    ),
    row(
        "registries-conf-failing-helper-then-found",
        &[
            (REGCONF, r#"credential-helpers = ["broken", "containers-auth.json"]"#),
            (DOCKER, r#"{"auths":{"{H}":{"auth":"{a:docker}"}}}"#),
        ],
    ),
    row("auth-not-base64", &[(DOCKER, r#"{"auths":{"{H}":{"auth":"!!not base64!!"}}}"#)]),
    // Go's StdEncoding: padding required, CR/LF skipped, other white space refused, trailing bits unchecked.
    row("auth-padding-less", &[(DOCKER, r#"{"auths":{"{H}":{"auth":"{p:nopad}"}}}"#)]),
    row(
        "auth-padding-less-stops-before-next-file",
        &[
            (RUNTIME, r#"{"auths":{"{H}":{"auth":"{p:nopad}"}}}"#),
            (DOCKER, r#"{"auths":{"{H}":{"auth":"{a:docker}"}}}"#),
        ],
    ),
    row("auth-line-break-skipped", &[(DOCKER, r#"{"auths":{"{H}":{"auth":"{n:docker}"}}}"#)]),
    row("auth-trailing-space", &[(DOCKER, r#"{"auths":{"{H}":{"auth":"{a:nopad} "}}}"#)]),
    row("auth-trailing-bits-unchecked", &[(DOCKER, r#"{"auths":{"{H}":{"auth":"YWxpY2U6cHd="}}}"#)]),
    row(
        "auth-padding-less-other-entry-unread",
        &[(DOCKER, r#"{"auths":{"other.example":{"auth":"{p:nopad}"},"{H}":{"auth":"{a:docker}"}}}"#)],
    ),
    // CONTAINERS_REGISTRIES_CONF: podman and buildah read it, skopeo does not; --registries-conf beats it.
    with_env(
        "registries-conf-variable",
        &[("alt.conf", r#"credential-helpers = ["loga"]"#)],
        &[("CONTAINERS_REGISTRIES_CONF", "{D}/alt.conf")],
    ),
    with_env(
        "registries-conf-variable-missing-file",
        &[(DOCKER, r#"{"auths":{"{H}":{"auth":"{a:docker}"}}}"#)],
        &[("CONTAINERS_REGISTRIES_CONF", "{D}/missing.conf")],
    ),
    with_env(
        "registries-conf-variable-user-drop-in-still-read",
        &[
            ("alt.conf", r#"credential-helpers = ["loga"]"#),
            (".config/containers/registries.conf.d/50-x.conf", r#"credential-helpers = ["logb"]"#),
        ],
        &[("CONTAINERS_REGISTRIES_CONF", "{D}/alt.conf")],
    ),
    with_flag("registries-conf-option", &[("alt.conf", r#"credential-helpers = ["loga"]"#)], "alt.conf"),
    with_flag(
        "registries-conf-option-missing-file",
        &[(DOCKER, r#"{"auths":{"{H}":{"auth":"{a:docker}"}}}"#)],
        "missing.conf",
    ),
    Row {
        name: "registries-conf-option-beats-variable",
        files: &[
            ("alt.conf", r#"credential-helpers = ["loga"]"#),
            ("b.conf", r#"credential-helpers = ["logb"]"#),
        ],
        env: &[("CONTAINERS_REGISTRIES_CONF", "{D}/alt.conf")],
        hub: false,
        registries_conf: Some("b.conf"),
    },
    Row {
        name: "hub-cred-helpers-docker-io",
        files: &[(DOCKER, r#"{"credHelpers":{"docker.io":"loga"}}"#)],
        env: &[],
        hub: true,
        registries_conf: None,
    },
    Row {
        name: "hub-cred-helpers-v1-key-not-read",
        files: &[(DOCKER, r#"{"credHelpers":{"https://index.docker.io/v1/":"loga"}}"#)],
        env: &[],
        hub: true,
        registries_conf: None,
    },
    Row {
        name: "hub-registries-conf-helper",
        files: &[(REGCONF, r#"credential-helpers = ["logb"]"#)],
        env: &[],
        hub: true,
        registries_conf: None,
    },
];
