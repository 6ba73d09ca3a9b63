//! The configurations every Go client runs through. In file texts and variable values `{H}` is the
//! registry's host:port, `{D}` the row's home, and `{a:USER}` base64 of `USER:pw`. A file under `bin/` is
//! an executable put first on PATH (a `docker-credential-NAME` there logs like the shared helpers and runs
//! the given text for `get`). Shared helpers: loga, logb (answer with their name), tok (`<token>`), empty
//! (empty user and secret), nf (not found), broken (exit 1), hang (never answers); `$HOME/list-NAME.json`
//! is what NAME's `list` prints.

pub struct Row {
    pub name: &'static str,
    pub files: &'static [(&'static str, &'static str)],
    pub env: &'static [(&'static str, &'static str)],
    /// Clients whose choice here follows Go's random map order: the user sent is not compared, and
    /// regauth must say that it varies.
    pub random: &'static [&'static str],
}

const fn row(name: &'static str, files: &'static [(&'static str, &'static str)]) -> Row {
    Row { name, files, env: &[], random: &[] }
}

const fn random(
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
    random: &'static [&'static str],
) -> Row {
    Row { name, files, env: &[], random }
}

const fn with_env(
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
    env: &'static [(&'static str, &'static str)],
) -> Row {
    Row { name, files, env, random: &[] }
}

const DOCKER: &str = ".docker/config.json";
const HELM: &str = ".config/helm/registry/config.json";
const REGCTL: &str = ".regctl/config.json";
const PASS_ANSWER: &str = r#"printf '{"ServerURL":"%s","Username":"passuser","Secret":"pw"}\n' "$key""#;

pub const ROWS: &[Row] = &[
    row("nothing", &[]),
    row("docker-auths", &[(DOCKER, r#"{"auths":{"{H}":{"auth":"{a:docker}"}}}"#)]),
    row("username-password-fields", &[(DOCKER, r#"{"auths":{"{H}":{"username":"plain","password":"pw"}}}"#)]),
    row(
        "auth-wins-over-fields",
        &[(DOCKER, r#"{"auths":{"{H}":{"auth":"{a:auth}","username":"fields","password":"x"}}}"#)],
    ),
    row(
        "identity-token-with-auth",
        &[(DOCKER, r#"{"auths":{"{H}":{"auth":"{a:idu}","identitytoken":"refresh"}}}"#)],
    ),
    row("identity-token-only", &[(DOCKER, r#"{"auths":{"{H}":{"identitytoken":"refresh"}}}"#)]),
    row("registry-token-only", &[(DOCKER, r#"{"auths":{"{H}":{"registrytoken":"regtok"}}}"#)]),
    row("empty-entry", &[(DOCKER, r#"{"auths":{"{H}":{}}}"#)]),
    row("auth-not-base64", &[(DOCKER, r#"{"auths":{"{H}":{"auth":"!!not base64!!"}}}"#)]),
    row("auth-without-padding", &[(DOCKER, r#"{"auths":{"{H}":{"auth":"dXNlcjpwdw"}}}"#)]),
    row("auth-without-colon", &[(DOCKER, r#"{"auths":{"{H}":{"auth":"bm9jb2xvbg=="}}}"#)]),
    row("auth-empty-username", &[(DOCKER, r#"{"auths":{"{H}":{"auth":"OnB3"}}}"#)]),
    row(
        "other-entry-broken",
        &[(DOCKER, r#"{"auths":{"{H}":{"auth":"{a:docker}"},"other.example":{"auth":"!!bad"}}}"#)],
    ),
    row("url-key-http", &[(DOCKER, r#"{"auths":{"http://{H}":{"auth":"{a:url}"}}}"#)]),
    row("url-key-https-path", &[(DOCKER, r#"{"auths":{"https://{H}/v1/":{"auth":"{a:url}"}}}"#)]),
    random(
        "exact-key-before-url-key",
        &[(DOCKER, r#"{"auths":{"http://{H}":{"auth":"{a:url}"},"{H}":{"auth":"{a:exact}"}}}"#)],
        &["regctl"],
    ),
    row("repository-key-only", &[(DOCKER, r#"{"auths":{"{H}/team/app":{"auth":"{a:repo}"}}}"#)]),
    row(
        "repository-key-and-host-key",
        &[(DOCKER, r#"{"auths":{"{H}/team/app":{"auth":"{a:repo}"},"{H}":{"auth":"{a:host}"}}}"#)],
    ),
    row("namespace-key-only", &[(DOCKER, r#"{"auths":{"{H}/team":{"auth":"{a:team}"}}}"#)]),
    row("cred-helpers-found", &[(DOCKER, r#"{"credHelpers":{"{H}":"loga"}}"#)]),
    row("cred-helpers-not-found", &[(DOCKER, r#"{"credHelpers":{"{H}":"nf"}}"#)]),
    row(
        "cred-helpers-not-found-beside-auths",
        &[(DOCKER, r#"{"credHelpers":{"{H}":"nf"},"auths":{"{H}":{"auth":"{a:docker}"}}}"#)],
    ),
    row("cred-helpers-failing", &[(DOCKER, r#"{"credHelpers":{"{H}":"broken"}}"#)]),
    row(
        "cred-helpers-failing-beside-auths",
        &[(DOCKER, r#"{"credHelpers":{"{H}":"broken"},"auths":{"{H}":{"auth":"{a:docker}"}}}"#)],
    ),
    row("cred-helpers-missing", &[(DOCKER, r#"{"credHelpers":{"{H}":"absent"}}"#)]),
    row("cred-helpers-hanging", &[(DOCKER, r#"{"credHelpers":{"{H}":"hang"}}"#)]),
    row(
        "cred-helpers-before-auths",
        &[(DOCKER, r#"{"credHelpers":{"{H}":"loga"},"auths":{"{H}":{"auth":"{a:docker}"}}}"#)],
    ),
    row("cred-helpers-repository-key", &[(DOCKER, r#"{"credHelpers":{"{H}/team/app":"loga"}}"#)]),
    row("cred-helpers-empty-answer", &[(DOCKER, r#"{"credHelpers":{"{H}":"empty"}}"#)]),
    row("cred-helpers-token-answer", &[(DOCKER, r#"{"credHelpers":{"{H}":"tok"}}"#)]),
    row("creds-store-unlisted", &[(DOCKER, r#"{"credsStore":"loga"}"#)]),
    row(
        "creds-store-listed",
        &[(DOCKER, r#"{"credsStore":"loga"}"#), ("list-loga.json", r#"{"{H}":"listed"}"#)],
    ),
    row(
        "creds-store-not-found-beside-auths",
        &[(DOCKER, r#"{"credsStore":"nf","auths":{"{H}":{"auth":"{a:docker}"}}}"#)],
    ),
    row("creds-store-failing", &[(DOCKER, r#"{"credsStore":"broken"}"#)]),
    row("creds-store-and-cred-helpers", &[(DOCKER, r#"{"credsStore":"loga","credHelpers":{"{H}":"logb"}}"#)]),
    row(
        "creds-store-listed-and-auths",
        &[
            (DOCKER, r#"{"credsStore":"loga","auths":{"{H}":{"auth":"{a:docker}"}}}"#),
            ("list-loga.json", r#"{"{H}":"listed"}"#),
        ],
    ),
    with_env(
        "docker-config-variable",
        &[("dc/config.json", r#"{"auths":{"{H}":{"auth":"{a:dc}"}}}"#)],
        &[("DOCKER_CONFIG", "{D}/dc")],
    ),
    with_env(
        "docker-config-variable-without-file",
        &[(DOCKER, r#"{"auths":{"{H}":{"auth":"{a:home}"}}}"#)],
        &[("DOCKER_CONFIG", "{D}/nowhere")],
    ),
    with_env(
        "docker-auth-config-variable",
        &[],
        &[("DOCKER_AUTH_CONFIG", r#"{"auths":{"{H}":{"auth":"{a:envvar}"}}}"#)],
    ),
    row("malformed-docker-config", &[(DOCKER, r#"{"auths":{"#)]),
    with_env(
        "registry-auth-file-only",
        &[("a.json", r#"{"auths":{"{H}":{"auth":"{a:authfile}"}}}"#)],
        &[("REGISTRY_AUTH_FILE", "{D}/a.json")],
    ),
    with_env(
        "registry-auth-file-and-docker-config",
        &[
            ("a.json", r#"{"auths":{"{H}":{"auth":"{a:authfile}"}}}"#),
            (DOCKER, r#"{"auths":{"{H}":{"auth":"{a:docker}"}}}"#),
        ],
        &[("REGISTRY_AUTH_FILE", "{D}/a.json")],
    ),
    row(
        "podman-runtime-auth-file",
        &[("run/containers/auth.json", r#"{"auths":{"{H}":{"auth":"{a:runtime}"}}}"#)],
    ),
    row(
        "podman-config-auth-file",
        &[(".config/containers/auth.json", r#"{"auths":{"{H}":{"auth":"{a:xdg}"}}}"#)],
    ),
    row("helm-registry-config", &[(HELM, r#"{"auths":{"{H}":{"auth":"{a:helm}"}}}"#)]),
    row(
        "helm-registry-config-before-docker",
        &[
            (HELM, r#"{"auths":{"{H}":{"auth":"{a:helm}"}}}"#),
            (DOCKER, r#"{"auths":{"{H}":{"auth":"{a:docker}"}}}"#),
        ],
    ),
    row(
        "helm-registry-config-other-registry",
        &[
            (HELM, r#"{"auths":{"other.example":{"auth":"{a:helm}"}}}"#),
            (DOCKER, r#"{"auths":{"{H}":{"auth":"{a:docker}"}}}"#),
        ],
    ),
    row(
        "helm-registry-config-empty-auths",
        &[(HELM, r#"{"auths":{}}"#), (DOCKER, r#"{"auths":{"{H}":{"auth":"{a:docker}"}}}"#)],
    ),
    with_env(
        "helm-registry-config-variable",
        &[("h.json", r#"{"auths":{"{H}":{"auth":"{a:helmvar}"}}}"#)],
        &[("HELM_REGISTRY_CONFIG", "{D}/h.json")],
    ),
    with_env(
        "helm-config-home",
        &[("hc/registry/config.json", r#"{"auths":{"{H}":{"auth":"{a:helmhome}"}}}"#)],
        &[("HELM_CONFIG_HOME", "{D}/hc")],
    ),
    row(
        "pass-on-path",
        &[
            ("bin/pass", "exit 0"),
            ("bin/docker-credential-pass", PASS_ANSWER),
            (DOCKER, r#"{"auths":{"{H}":{"auth":"{a:docker}"}}}"#),
        ],
    ),
    row("regctl-config-login", &[(REGCTL, r#"{"hosts":{"{H}":{"user":"regctl","pass":"pw"}}}"#)]),
    row(
        "regctl-config-over-docker",
        &[
            (REGCTL, r#"{"hosts":{"{H}":{"user":"regctl","pass":"pw"}}}"#),
            (DOCKER, r#"{"auths":{"{H}":{"auth":"{a:docker}"}}}"#),
        ],
    ),
    row(
        "regctl-config-cred-helper",
        &[
            (REGCTL, r#"{"hosts":{"{H}":{"credHelper":"docker-credential-logb"}}}"#),
            (DOCKER, r#"{"auths":{"{H}":{"auth":"{a:docker}"}}}"#),
        ],
    ),
    row(
        "regctl-config-without-docker",
        &[(REGCTL, r#"{"incDockerCred":false}"#), (DOCKER, r#"{"auths":{"{H}":{"auth":"{a:docker}"}}}"#)],
    ),
    row(
        "regctl-xdg-config",
        &[(".config/regctl/config.json", r#"{"hosts":{"{H}":{"user":"regxdg","pass":"pw"}}}"#)],
    ),
];
