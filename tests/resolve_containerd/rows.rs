//! The configurations containerd's CRI image service runs through (tests/resolve_containerd.rs). In texts
//! `{H}` is the registry's host:port, `{D}` the row's directory (containerd's HOME too), `{a:USER}` base64
//! of `USER:pw`, `{P}` the registry's port. `cri` is appended to the shared part of config.toml; `files` are written under `{D}`.
//! The registry speaks plain http, so a row that reaches it names `http://` in a hosts.toml.

pub struct Row {
    pub name: &'static str,
    /// config.toml's `version`.
    pub version: u8,
    pub cri: &'static str,
    pub files: &'static [(&'static str, &'static str)],
    /// The image (default `{H}/team/app:v1`).
    pub image: Option<&'static str>,
}

/// hosts.toml sending the registry's own name to it over http.
const HTTP: (&str, &str) = ("certs.d/{H}/hosts.toml", "server = \"http://{H}\"\n");
/// The image of a registry that does not exist; hosts.toml sends it elsewhere.
const ELSEWHERE: Option<&str> = Some("registry.invalid/team/app:v1");

const fn v3(name: &'static str, cri: &'static str) -> Row {
    Row { name, version: 3, cri, files: &[HTTP], image: None }
}

const fn v3_files(
    name: &'static str,
    cri: &'static str,
    files: &'static [(&'static str, &'static str)],
) -> Row {
    Row { name, version: 3, cri, files, image: None }
}

const fn elsewhere(
    name: &'static str,
    cri: &'static str,
    files: &'static [(&'static str, &'static str)],
) -> Row {
    Row { name, version: 3, cri, files, image: ELSEWHERE }
}

pub const ROWS: &[Row] = &[
    v3(
        "configs-username-password",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  username = "cri"
  password = "pw"
"#,
    ),
    v3(
        "configs-auth-field",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  auth = "{a:criauth}"
"#,
    ),
    v3(
        "configs-identity-token",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  identitytoken = "refresh-1"
"#,
    ),
    v3(
        "configs-username-without-password",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  username = "nopass"
"#,
    ),
    v3(
        "configs-password-without-username",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  password = "pw"
"#,
    ),
    v3(
        "configs-empty-auth-table",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
"#,
    ),
    v3(
        "configs-username-wins-over-auth",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  username = "fields"
  password = "pw"
  auth = "{a:auth}"
"#,
    ),
    v3(
        "configs-identity-token-wins-over-auth",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  identitytoken = "refresh-2"
  auth = "{a:auth}"
"#,
    ),
    v3(
        "configs-username-wins-over-identity-token",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  username = "fields"
  password = "pw"
  identitytoken = "refresh-3"
"#,
    ),
    v3(
        "configs-username-without-password-beats-identity-token",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  username = "nopass"
  identitytoken = "refresh-4"
"#,
    ),
    v3(
        "configs-auth-empty-username",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  auth = "OnB3"
"#,
    ),
    v3(
        "configs-auth-empty-password",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  auth = "YTo="
"#,
    ),
    v3(
        "configs-auth-not-base64",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  auth = "!!not base64!!"
"#,
    ),
    v3(
        "configs-auth-without-colon",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  auth = "bm9jb2xvbg=="
"#,
    ),
    v3(
        "configs-auth-without-padding",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  auth = "dXNlcjpwdw"
"#,
    ),
    v3(
        "configs-auth-with-newline",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  auth = "bmV3bGluZTpw\ndw=="
"#,
    ),
    v3(
        "no-configs",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
"#,
    ),
    v3(
        "configs-other-port",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."127.0.0.1:1".auth]
  username = "other"
  password = "pw"
"#,
    ),
    v3(
        "configs-host-without-port",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."127.0.0.1".auth]
  username = "bare"
  password = "pw"
"#,
    ),
    v3(
        "configs-url-key-not-a-host",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."http://{H}".auth]
  username = "url"
  password = "pw"
"#,
    ),
    v3(
        "configs-two-hosts",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."127.0.0.1:1".auth]
  username = "other"
  password = "pw"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  username = "this"
  password = "pw"
"#,
    ),
    v3(
        "auths-url",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.auths."http://{H}"]
  username = "auths"
  password = "pw"
"#,
    ),
    v3(
        "auths-url-with-path",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.auths."https://{H}/v2/"]
  username = "auths"
  password = "pw"
"#,
    ),
    v3(
        "auths-override-configs",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  username = "configs"
  password = "pw"
[plugins."io.containerd.cri.v1.images".registry.auths."http://{H}"]
  username = "auths"
  password = "pw"
"#,
    ),
    v3(
        "auths-host-port-is-no-url",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.auths."{H}"]
  username = "auths"
  password = "pw"
"#,
    ),
    v3(
        "mirrors-beside-config-path",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.mirrors."{H}"]
  endpoint = ["http://{H}"]
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  username = "cri"
  password = "pw"
"#,
    ),
    Row {
        name: "v2-old-plugin-name",
        version: 2,
        cri: r#"[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.grpc.v1.cri".registry.configs."{H}".auth]
  username = "old"
  password = "pw"
"#,
        files: &[HTTP],
        image: None,
    },
    Row {
        name: "v2-new-plugin-name",
        version: 2,
        cri: r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  username = "new"
  password = "pw"
"#,
        files: &[HTTP],
        image: None,
    },
    Row {
        name: "v2-old-name-replaces-new",
        version: 2,
        cri: r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  username = "new"
  password = "pw"
[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.grpc.v1.cri".registry.configs."{H}".auth]
  username = "old"
  password = "pw"
"#,
        files: &[HTTP],
        image: None,
    },
    v3(
        "v3-old-plugin-name-ignored",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.grpc.v1.cri".registry.configs."{H}".auth]
  username = "old"
  password = "pw"
"#,
    ),
    Row {
        name: "v1-cri-plugin-name-ignored",
        version: 1,
        cri: r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins.cri.registry.configs."{H}".auth]
  username = "v1"
  password = "pw"
"#,
        files: &[HTTP],
        image: None,
    },
    v3_files(
        "hosts-dir-with-port-underscores",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  username = "cri"
  password = "pw"
"#,
        &[("certs.d/127.0.0.1_{P}_/hosts.toml", "server = \"http://{H}\"\n")],
    ),
    v3_files(
        "hosts-default-dir",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  username = "cri"
  password = "pw"
"#,
        &[("certs.d/_default/hosts.toml", "server = \"http://{H}\"\n")],
    ),
    v3_files(
        "hosts-second-root",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/empty:{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  username = "cri"
  password = "pw"
"#,
        &[HTTP, ("empty/README", "no host directories here\n")],
    ),
    elsewhere(
        "hosts-server-elsewhere-uses-its-host",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."registry.invalid".auth]
  username = "image-name"
  password = "pw"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  username = "server"
  password = "pw"
"#,
        &[("certs.d/registry.invalid/hosts.toml", "server = \"http://{H}\"\n")],
    ),
    elsewhere(
        "hosts-server-elsewhere-image-name-not-asked",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."registry.invalid".auth]
  username = "image-name"
  password = "pw"
"#,
        &[("certs.d/registry.invalid/hosts.toml", "server = \"http://{H}\"\n")],
    ),
    elsewhere(
        "hosts-mirror-first",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."registry.invalid".auth]
  username = "image-name"
  password = "pw"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  username = "mirror"
  password = "pw"
"#,
        &[(
            "certs.d/registry.invalid/hosts.toml",
            "server = \"https://registry.invalid\"\n[host.\"http://{H}\"]\n  capabilities = [\"pull\", \"resolve\"]\n",
        )],
    ),
    v3_files(
        "hosts-pull-only-mirror-skipped",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."registry.invalid".auth]
  username = "mirror"
  password = "pw"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  username = "server"
  password = "pw"
"#,
        &[(
            "certs.d/{H}/hosts.toml",
            "server = \"http://{H}\"\n[host.\"https://registry.invalid\"]\n  capabilities = [\"pull\"]\n",
        )],
    ),
    elsewhere(
        "hosts-capabilities-any-case",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  username = "mirror"
  password = "pw"
"#,
        &[(
            "certs.d/registry.invalid/hosts.toml",
            "server = \"https://registry.invalid\"\n[host.\"http://{H}\"]\n  capabilities = [\"PULL\", \"Resolve\"]\n",
        )],
    ),
    elsewhere(
        "hosts-two-mirrors-first-wins",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = "{D}/certs.d"
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  username = "first"
  password = "pw"
[plugins."io.containerd.cri.v1.images".registry.configs."localhost:1".auth]
  username = "second"
  password = "pw"
"#,
        &[(
            "certs.d/registry.invalid/hosts.toml",
            "[host.\"http://{H}\"]\n[host.\"http://localhost:1\"]\n",
        )],
    ),
    // No host directories: containerd's older endpoint logic, which speaks http to a loopback registry.
    v3_files(
        "config-path-empty",
        r#"[plugins."io.containerd.cri.v1.images".registry]
  config_path = ""
[plugins."io.containerd.cri.v1.images".registry.configs."{H}".auth]
  username = "cri"
  password = "pw"
"#,
        &[],
    ),
];
