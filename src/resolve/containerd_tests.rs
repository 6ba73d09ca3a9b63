use super::*;

const IMAGES: &str = r#"plugins."io.containerd.cri.v1.images".registry"#;
const OLD: &str = r#"plugins."io.containerd.grpc.v1.cri".registry"#;

/// (user sent or `<refresh>`, key, status) for `image` with config.toml `config` and files under the
/// temp dir (`{T}` in texts is the temp dir).
fn run(image: &str, config: Option<&str>, files: &[(&str, &str)]) -> (Option<String>, String, &'static str) {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().display().to_string();
    if let Some(config) = config {
        std::fs::write(dir.path().join("config.toml"), config.replace("{T}", &t)).unwrap();
    }
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let opts = Options { containerd_config: Some(dir.path().join("config.toml")), ..Options::default() };
    let res = resolve(&Reference::parse(image).unwrap(), &opts);
    let user = match &res.outcome {
        Outcome::Found { username, kind: CredentialKind::IdentityToken } => {
            assert!(username.is_empty());
            Some("<refresh>".to_owned())
        }
        Outcome::Found { username, .. } => Some(username.clone()),
        _ => None,
    };
    let status = match res.outcome {
        Outcome::Found { .. } => "found",
        Outcome::NotFound => "none",
        Outcome::ConfigError { .. } => "error",
        _ => "other",
    };
    (user, res.key.unwrap_or_default(), status)
}

fn v3(body: &str) -> String {
    format!("version = 3\n[{IMAGES}]\n  config_path = \"{{T}}/certs.d\"\n{body}")
}

#[test]
fn parse_auth_as_containerd_does() {
    let auth = |fields: &str| format!("[{IMAGES}.configs.\"r.example:5000\".auth]\n{fields}\n");
    let cases: &[(&str, Option<&str>, &str)] = &[
        ("username = \"u\"\npassword = \"pw\"", Some("u"), "found"),
        // username wins over auth and identitytoken.
        ("username = \"u\"\npassword = \"pw\"\nauth = \"YTpi\"\nidentitytoken = \"t\"", Some("u"), "found"),
        // A username without a password: containerd asks anonymously.
        ("username = \"u\"", None, "none"),
        ("identitytoken = \"t\"", Some("<refresh>"), "found"),
        ("identitytoken = \"t\"\nauth = \"YTpi\"", Some("<refresh>"), "found"),
        ("auth = \"YTpi\"", Some("a"), "found"),
        ("auth = \"OnB3\"", Some("<refresh>"), "found"),
        ("auth = \"YTo=\"", None, "none"),
        ("auth = \"bm9jb2xvbg==\"", None, "error"),
        ("auth = \"YTpi!\"", None, "error"),
        ("auth = \"YWxpY2U6cHc\"", None, "error"),
        ("password = \"pw\"", None, "none"),
        ("", None, "none"),
        ("username = 5", None, "error"),
    ];
    for (fields, user, status) in cases {
        let got = run("r.example:5000/a", Some(&v3(&auth(fields))), &[]);
        assert_eq!((got.0.as_deref(), got.2), (*user, *status), "{fields}");
        if got.2 != "error" {
            assert_eq!(got.1, "r.example:5000");
        }
    }
}

#[test]
fn which_table_counts_by_config_version() {
    let both = |version: u8| {
        format!(
            "version = {version}\n[{IMAGES}.configs.\"r.example\".auth]\nusername = \"new\"\npassword = \"p\"\n\
             [{OLD}.configs.\"r.example\".auth]\nusername = \"old\"\npassword = \"p\"\n"
        )
    };
    assert_eq!(run("r.example/a", Some(&both(3)), &[]).0.as_deref(), Some("new"));
    assert_eq!(run("r.example/a", Some(&both(2)), &[]).0.as_deref(), Some("old"));
    let only_new =
        format!("version = 2\n[{IMAGES}.configs.\"r.example\".auth]\nusername = \"new\"\npassword = \"p\"\n");
    assert_eq!(run("r.example/a", Some(&only_new), &[]).0.as_deref(), Some("new"));
    // containerd brings a version 1 file to version 3 before its CRI plugin could move the old table.
    let v1 = "[plugins.cri.registry.configs.\"r.example\".auth]\nusername = \"v1\"\npassword = \"p\"\n";
    assert_eq!(run("r.example/a", Some(v1), &[]).0.as_deref(), None);
    assert_eq!(run("r.example/a", None, &[]), (None, "r.example".into(), "none"));
    assert_eq!(run("r.example/a", Some("version = [\n"), &[]).2, "error");
}

#[test]
fn deprecated_auths_override_configs_and_need_a_url() {
    let text = |key: &str| {
        v3(&format!(
            "[{IMAGES}.configs.\"r.example:5000\".auth]\nusername = \"configs\"\npassword = \"p\"\n\
             [{IMAGES}.auths.\"{key}\"]\nusername = \"auths\"\npassword = \"p\"\n"
        ))
    };
    assert_eq!(
        run("r.example:5000/a", Some(&text("https://r.example:5000")), &[]).0.as_deref(),
        Some("auths")
    );
    assert_eq!(
        run("r.example:5000/a", Some(&text("https://other.example")), &[]).0.as_deref(),
        Some("configs")
    );
    // Go reads `r.example:5000` as scheme `r.example`: its host is empty, so it matches nothing.
    assert_eq!(run("r.example:5000/a", Some(&text("r.example:5000")), &[]).0.as_deref(), Some("configs"));
    assert_eq!(run("r.example:5000/a", Some(&text("127.0.0.1:5000")), &[]).2, "error");
}

#[test]
fn auths_keys_read_as_go_url_parse() {
    let cases: &[(&str, Result<&str, ()>)] = &[
        ("https://r.example:5000", Ok("r.example:5000")),
        ("http://u@r.example/v2/", Ok("r.example")),
        ("r.example", Ok("r.example")),
        ("r.example/v1/", Ok("r.example/v1/")),
        ("r.example:5000", Ok("")),
        ("localhost:5000", Ok("")),
        ("127.0.0.1:5000", Err(())),
        (":5000", Err(())),
    ];
    for (key, want) in cases {
        let got = auths_key_host(key).map_err(|_| ());
        let want = want.map(str::to_owned);
        assert_eq!(got, want, "{key}");
    }
}

#[test]
fn hosts_toml_picks_the_host_asked_for_the_credential() {
    let config = v3(&format!(
        "[{IMAGES}.configs.\"r.example:5000\".auth]\nusername = \"registry\"\npassword = \"p\"\n\
         [{IMAGES}.configs.\"mirror.example\".auth]\nusername = \"mirror\"\npassword = \"p\"\n\
         [{IMAGES}.configs.\"registry-1.docker.io\".auth]\nusername = \"hub\"\npassword = \"p\"\n"
    ));
    let cases: &[(&str, &str, &str, Option<&str>)] = &[
        ("certs.d/r.example:5000/hosts.toml", "server = \"http://r.example:5000\"\n", "r.example:5000", Some("registry")),
        ("certs.d/r.example_5000_/hosts.toml", "server = \"https://mirror.example\"\n", "mirror.example", Some("mirror")),
        (
            "certs.d/r.example:5000/hosts.toml",
            "server = \"https://r.example:5000\"\n[host.\"https://mirror.example\"]\n",
            "mirror.example",
            Some("mirror"),
        ),
        (
            "certs.d/r.example:5000/hosts.toml",
            "[host.\"https://mirror.example\"]\ncapabilities = [\"pull\"]\n[host.\"https://other.example\"]\n",
            "other.example",
            None,
        ),
        ("certs.d/_default/hosts.toml", "server = \"mirror.example\"\n", "mirror.example", Some("mirror")),
        // containerd ignores a hosts.toml it cannot parse (an unknown capability too).
        ("certs.d/r.example:5000/hosts.toml", "server = [\n", "r.example:5000", Some("registry")),
        (
            "certs.d/r.example:5000/hosts.toml",
            "[host.\"https://mirror.example\"]\ncapabilities = [\"fly\"]\n",
            "r.example:5000",
            Some("registry"),
        ),
        ("certs.d/elsewhere/hosts.toml", "server = \"https://mirror.example\"\n", "r.example:5000", Some("registry")),
    ];
    for (path, hosts, key, user) in cases {
        let got = run("r.example:5000/a", Some(&config), &[(path, hosts)]);
        assert_eq!((got.1.as_str(), got.0.as_deref()), (*key, *user), "{path}: {hosts}");
    }
    let got = run("nginx", Some(&config), &[]);
    assert_eq!((got.1.as_str(), got.0.as_deref()), ("registry-1.docker.io", Some("hub")));
}

#[test]
fn mirrors_beside_config_path_stop_the_cri_plugin() {
    let config = v3(&format!("[{IMAGES}.mirrors.\"r.example\"]\nendpoint = [\"https://m.example\"]\n"));
    assert_eq!(run("r.example/a", Some(&config), &[]).2, "error");
}
