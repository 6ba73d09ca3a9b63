//! The configurations of docker's config.json that the differential tests of containerd's clients run
//! through (tests/resolve_nerdctl.rs: nerdctl pull; tests/seed_buildkit.rs: buildctl build): per-row files,
//! environment, and helpers that answer (`loga`, `logb`, `token`), have nothing (`nf`), answer empty
//! (`empty`), fail (`broken`), are missing (`nothere`) or hang (`hang`), from tests/support/differential.rs.

/// One configuration. In texts `{H}` is the registry's host:port, `{D}` the row's HOME, `{a:USER}` base64
/// of `USER:pw`.
pub struct Row {
    pub name: &'static str,
    /// config.json's text (`None`: no file).
    pub config: Option<&'static str>,
    pub env: &'static [(&'static str, &'static str)],
    /// Other files under HOME.
    pub files: &'static [(&'static str, &'static str)],
    /// Clients this row is not run for, because their answer follows Go's random map order (said in a
    /// comment at the row).
    pub not_for: &'static [&'static str],
}

impl Row {
    pub fn is_for(&self, client: &str) -> bool {
        !self.not_for.contains(&client)
    }
}

const fn row(name: &'static str, config: &'static str) -> Row {
    Row { name, config: Some(config), env: &[], files: &[], not_for: &[] }
}

pub const ROWS: &[Row] = &[
    row("auths-host-port", r#"{"auths":{"{H}":{"auth":"{a:plain}"}}}"#),
    row("auths-https-key", r#"{"auths":{"https://{H}":{"auth":"{a:https}"}}}"#),
    row("auths-http-key", r#"{"auths":{"http://{H}":{"auth":"{a:http}"}}}"#),
    row("auths-legacy-v1-path", r#"{"auths":{"https://{H}/v1/":{"auth":"{a:legacy}"}}}"#),
    row("auths-legacy-v2-path", r#"{"auths":{"http://{H}/v2/":{"auth":"{a:legacy}"}}}"#),
    row(
        "auths-exact-before-https",
        r#"{"auths":{"https://{H}":{"auth":"{a:https}"},"{H}":{"auth":"{a:exact}"}}}"#,
    ),
    // Two URL keys of one host both match the legacy fallback, which walks a Go map (chance decides): only
    // rows whose answer does not depend on that order belong here.
    // nerdctl asks `https://` before `http://`; docker/cli (buildctl) walks its legacy fallback in Go's map
    // order, so which of the two keys buildctl takes is chance.
    Row {
        name: "empty-https-entry-then-http",
        config: Some(r#"{"auths":{"https://{H}":{},"http://{H}":{"auth":"{a:http}"}}}"#),
        env: &[],
        files: &[],
        not_for: &["buildkit"],
    },
    row("empty-config", r#"{}"#),
    Row { name: "no-config-file", config: None, env: &[], files: &[], not_for: &[] },
    row("auths-other-port", r#"{"auths":{"127.0.0.1:1":{"auth":"{a:other}"}}}"#),
    row("auths-host-without-port", r#"{"auths":{"127.0.0.1":{"auth":"{a:bare}"}}}"#),
    row("username-password-fields", r#"{"auths":{"{H}":{"username":"fields","password":"pw"}}}"#),
    row("auth-empty-password", r#"{"auths":{"{H}":{"auth":"ZW1wdHlwdzo="}}}"#),
    row("identity-token-with-auth", r#"{"auths":{"{H}":{"auth":"{a:idt}","identitytoken":"refresh-1"}}}"#),
    row("identity-token-only", r#"{"auths":{"{H}":{"identitytoken":"refresh-2"}}}"#),
    row("registry-token-only", r#"{"auths":{"{H}":{"registrytoken":"bearer-3"}}}"#),
    row("empty-entry-then-https", r#"{"auths":{"{H}":{},"https://{H}":{"auth":"{a:https}"}}}"#),
    row("email-only-then-http", r#"{"auths":{"{H}":{"email":"a@b"},"http://{H}":{"auth":"{a:http}"}}}"#),
    row("auth-not-base64", r#"{"auths":{"{H}":{"auth":"!!not base64!!"}}}"#),
    row("auth-without-colon", r#"{"auths":{"{H}":{"auth":"bm9jb2xvbg=="}}}"#),
    row("malformed-json", r#"{"auths":{"#),
    row("cred-helpers-found", r#"{"credHelpers":{"{H}":"loga"}}"#),
    row("cred-helpers-https-key", r#"{"credHelpers":{"https://{H}":"loga"}}"#),
    row("cred-helpers-http-key", r#"{"credHelpers":{"http://{H}":"logb"}}"#),
    row("cred-helpers-bare-host-not-asked", r#"{"credHelpers":{"127.0.0.1":"loga"}}"#),
    row(
        "cred-helpers-not-found-same-key-auths",
        r#"{"credHelpers":{"{H}":"nf"},"auths":{"{H}":{"auth":"{a:file}"}}}"#,
    ),
    row(
        "cred-helpers-not-found-https-auths",
        r#"{"credHelpers":{"{H}":"nf"},"auths":{"https://{H}":{"auth":"{a:https}"}}}"#,
    ),
    row(
        "cred-helpers-failing-then-https-auths",
        r#"{"credHelpers":{"{H}":"broken"},"auths":{"https://{H}":{"auth":"{a:https}"}}}"#,
    ),
    row("cred-helpers-failing-first-key-only", r#"{"credHelpers":{"{H}":"broken"}}"#),
    row("cred-helpers-failing-last-key", r#"{"credHelpers":{"http://{H}":"broken"}}"#),
    row("cred-helpers-missing-program", r#"{"credHelpers":{"{H}":"nothere"}}"#),
    row("cred-helpers-before-creds-store", r#"{"credHelpers":{"{H}":"logb"},"credsStore":"loga"}"#),
    row(
        "creds-store-before-cred-helpers-https",
        r#"{"credHelpers":{"https://{H}":"logb"},"credsStore":"loga"}"#,
    ),
    row("cred-helpers-not-found-then-creds-store", r#"{"credHelpers":{"{H}":"nf"},"credsStore":"loga"}"#),
    row("creds-store-found", r#"{"credsStore":"loga"}"#),
    row("creds-store-not-found", r#"{"credsStore":"nf"}"#),
    row("creds-store-not-found-auths-unread", r#"{"credsStore":"nf","auths":{"{H}":{"auth":"{a:file}"}}}"#),
    row("creds-store-failing", r#"{"credsStore":"broken"}"#),
    row("creds-store-missing-program", r#"{"credsStore":"nothere"}"#),
    row("creds-store-empty-answer", r#"{"credsStore":"empty"}"#),
    row("creds-store-identity-token", r#"{"credsStore":"token"}"#),
    row("cred-helpers-hang", r#"{"credHelpers":{"{H}":"hang"}}"#),
    row("creds-store-hang", r#"{"credsStore":"hang"}"#),
    Row {
        name: "docker-auth-config",
        config: None,
        env: &[("DOCKER_AUTH_CONFIG", r#"{"auths":{"{H}":{"auth":"{a:env}"}}}"#)],
        files: &[],
        not_for: &[],
    },
    Row {
        name: "docker-auth-config-before-creds-store",
        config: Some(r#"{"credsStore":"loga"}"#),
        env: &[("DOCKER_AUTH_CONFIG", r#"{"auths":{"{H}":{"auth":"{a:env}"}}}"#)],
        files: &[],
        not_for: &[],
    },
    Row {
        name: "docker-auth-config-https-key-after-file",
        config: Some(r#"{"auths":{"{H}":{"auth":"{a:file}"}}}"#),
        env: &[("DOCKER_AUTH_CONFIG", r#"{"auths":{"https://{H}":{"auth":"{a:env}"}}}"#)],
        files: &[],
        not_for: &[],
    },
    Row {
        name: "docker-config-dir",
        config: Some(r#"{"auths":{"{H}":{"auth":"{a:home}"}}}"#),
        env: &[("DOCKER_CONFIG", "{D}/dc")],
        files: &[("dc/config.json", r#"{"auths":{"{H}":{"auth":"{a:dc}"}}}"#)],
        not_for: &[],
    },
    Row {
        name: "docker-config-dir-without-file",
        config: Some(r#"{"auths":{"{H}":{"auth":"{a:home}"}}}"#),
        env: &[("DOCKER_CONFIG", "{D}/nowhere")],
        files: &[],
        not_for: &[],
    },
];
