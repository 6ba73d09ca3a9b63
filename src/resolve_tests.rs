use super::*;
use std::os::unix::fs::PermissionsExt;

struct Bed {
    dir: tempfile::TempDir,
}

impl Bed {
    fn new() -> Bed {
        let bed = Bed { dir: tempfile::tempdir().unwrap() };
        std::fs::create_dir_all(bed.bin()).unwrap();
        std::fs::create_dir_all(bed.home().join(".docker")).unwrap();
        bed
    }
    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }
    fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }
    fn env(&self) -> Environ {
        Environ::empty(4242)
            .with("HOME", self.home())
            .with("PATH", self.bin())
            .with("XDG_RUNTIME_DIR", self.dir.path().join("run"))
    }
    fn docker_config(&self, text: &str) {
        std::fs::write(self.home().join(".docker/config.json"), text).unwrap();
    }
    fn auth_json(&self, text: &str) {
        let dir = self.dir.path().join("run/containers");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("auth.json"), text).unwrap();
    }
    /// A fake helper: answers `get` for `key` with user `u`, secret `s`, and not-found otherwise.
    fn helper(&self, name: &str, body: &str) {
        let path = self.bin().join(format!("docker-credential-{name}"));
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    fn resolve(&self, image: &str, client: Client) -> Resolution {
        self.resolve_env(image, client, &self.env())
    }
    fn resolve_env(&self, image: &str, client: Client, env: &Environ) -> Resolution {
        let opts = Options {
            helper_timeout: Duration::from_millis(500),
            containers_config_dir: self.dir.path().join("etc"),
            containerd_config: Some(self.dir.path().join("etc/containerd/config.toml")),
            ..Options::default()
        };
        resolve(&Reference::parse(image).unwrap(), client, env, &opts)
    }
    fn file(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }
    /// A fake `podman`/`buildah`/`skopeo` that only answers `--version`.
    fn client_version(&self, client: Client, version: &str) {
        self.helper_at(client.name(), &format!("echo '{} version {version}'", client.name()));
    }
    fn helper_at(&self, file: &str, body: &str) {
        let path = self.bin().join(file);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

fn user_of(r: &Resolution) -> Option<&str> {
    match &r.outcome {
        Outcome::Found { username, .. } => Some(username),
        _ => None,
    }
}

const ANSWERING_HELPER: &str = r#"read key
case "$1" in
  get) case "$key" in
         127.0.0.1:5000|https://index.docker.io/v1/|docker.io|ghcr.io|ghcr.io:443)
           printf '{"ServerURL":"%s","Username":"helper-user","Secret":"helper-secret"}\n' "$key";;
         *) echo "credentials not found in native keychain"; exit 1;;
       esac;;
  *) exit 0;;
esac"#;

#[test]
fn docker_uses_auths_when_no_helper_is_configured() {
    let bed = Bed::new();
    bed.docker_config(concat!(
        r#"{"auths":{"https://index.docker.io/v1/":{"auth":"aHViLXVzZXI6cHc="},"#,
        r#""127.0.0.1:5000":{"auth":"bG9jYWw6cHc="}}}"#
    ));
    let r = bed.resolve("nginx", Client::Docker);
    assert_eq!((r.source, user_of(&r)), (Source::Auths, Some("hub-user")));
    assert_eq!(r.key.as_deref(), Some("https://index.docker.io/v1/"));
    assert_eq!(r.credential.as_ref().unwrap().secret.expose(), "pw");
    let r = bed.resolve("127.0.0.1:5000/team/app", Client::Docker);
    assert_eq!(user_of(&r), Some("local"));
    let r = bed.resolve("ghcr.io/o/a", Client::Docker);
    assert_eq!((r.source, &r.outcome), (Source::None, &Outcome::NotFound));
}

#[test]
fn podman_ignores_creds_store_and_docker_honours_it() {
    let bed = Bed::new();
    bed.helper("fake", ANSWERING_HELPER);
    bed.docker_config(r#"{"credsStore":"fake","auths":{"docker.io":{"auth":"ZmlsZS11c2VyOnB3"}}}"#);
    let docker = bed.resolve("nginx", Client::Docker);
    assert_eq!((docker.source, user_of(&docker)), (Source::CredsStore, Some("helper-user")));
    assert_eq!(docker.helper.as_ref().unwrap().program, "docker-credential-fake");
    let podman = bed.resolve("nginx", Client::Podman);
    assert_eq!((podman.source, user_of(&podman)), (Source::Auths, Some("file-user")));
    assert!(podman.notes.iter().any(|n| n.contains("ignore")), "{:?}", podman.notes);
    assert_eq!(podman.file.as_deref(), Some(bed.home().join(".docker/config.json").as_path()));
}

#[test]
fn cred_helpers_win_for_every_client() {
    let bed = Bed::new();
    bed.helper("fake", ANSWERING_HELPER);
    bed.docker_config(
        r#"{"credHelpers":{"127.0.0.1:5000":"fake"},"auths":{"127.0.0.1:5000":{"auth":"ZmlsZS11c2VyOnB3"}}}"#,
    );
    for client in [Client::Docker, Client::Podman, Client::Nerdctl] {
        let r = bed.resolve("127.0.0.1:5000/team/app", client);
        assert_eq!((r.source, user_of(&r)), (Source::CredHelpers, Some("helper-user")), "{client:?}");
    }
}

#[test]
fn helper_missing_failing_and_hanging_are_told_apart() {
    let bed = Bed::new();
    bed.helper("broken", "echo 'keyring exploded' ; exit 1");
    bed.helper("hangs", "sleep 30");
    bed.docker_config(r#"{"credHelpers":{"a.io":"absent","b.io":"broken","c.io":"hangs"}}"#);
    let r = bed.resolve("a.io/x", Client::Docker);
    assert!(matches!(r.outcome, Outcome::HelperMissing { .. }), "{:?}", r.outcome);
    assert!(r.helper.as_ref().unwrap().path.is_none());
    let r = bed.resolve("b.io/x", Client::Docker);
    match &r.outcome {
        Outcome::HelperFailed { message } => {
            assert!(message.contains("keyring exploded"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    let started = std::time::Instant::now();
    let r = bed.resolve("c.io/x", Client::Docker);
    match &r.outcome {
        Outcome::HelperTimedOut { message } => {
            assert!(message.contains("docker-credential-hangs"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(10), "the hung helper was not stopped");
}

#[test]
fn podman_prefers_the_most_specific_key_and_the_first_file() {
    let bed = Bed::new();
    bed.auth_json(r#"{"auths":{"quay.io/org":{"auth":"b3JnOnB3"},"quay.io":{"auth":"aG9zdDpwdw=="}}}"#);
    bed.docker_config(r#"{"auths":{"quay.io/org/app":{"auth":"ZG9ja2VyOnB3"}}}"#);
    let r = bed.resolve("quay.io/org/app", Client::Podman);
    assert_eq!(user_of(&r), Some("org"));
    assert_eq!(r.key.as_deref(), Some("quay.io/org"));
    let r = bed.resolve("quay.io/other/app", Client::Podman);
    assert_eq!(user_of(&r), Some("host"));
}

#[test]
fn nerdctl_tries_its_key_variants() {
    let bed = Bed::new();
    bed.docker_config(r#"{"auths":{"https://ghcr.io":{"auth":"bmVyZDpwdw=="}}}"#);
    let r = bed.resolve("ghcr.io/o/a", Client::Nerdctl);
    assert_eq!(user_of(&r), Some("nerd"));
    assert_eq!(r.key.as_deref(), Some("https://ghcr.io"));
}

#[test]
fn malformed_config_is_a_problem_not_anonymous() {
    let bed = Bed::new();
    bed.docker_config("{\"auths\": {,}");
    // containerd's CRI reads no config.json at all.
    let others = [Client::Buildkit, Client::Containerd];
    for client in Client::ALL.into_iter().filter(|c| !others.contains(c)) {
        let r = bed.resolve("nginx", client);
        // helm and regctl drop a docker config they cannot read and go on (tests/resolve_go_clients.rs).
        if matches!(client, Client::Helm | Client::Regctl) {
            assert_eq!(r.outcome, Outcome::NotFound, "{client:?}");
            assert!(r.notes.iter().any(|n| n.contains(":1:")), "{client:?}: {:?}", r.notes);
            continue;
        }
        assert!(
            matches!(&r.outcome, Outcome::ConfigError { message } if message.contains(":1:")),
            "{client:?}: {:?}",
            r.outcome
        );
    }
    // buildctl warns and goes on with an empty config.
    let r = bed.resolve("nginx", Client::Buildkit);
    assert_eq!(r.outcome, Outcome::NotFound);
    assert!(r.notes.iter().any(|n| n.contains("buildctl warns")), "{:?}", r.notes);
}

#[test]
fn identity_tokens_and_docker_auth_config() {
    let bed = Bed::new();
    bed.docker_config(r#"{"auths":{"ghcr.io":{"username":"u","identitytoken":"refresh"}}}"#);
    let r = bed.resolve("ghcr.io/o/a", Client::Docker);
    assert!(matches!(r.outcome, Outcome::Found { kind: CredentialKind::IdentityToken, .. }));
    let env = bed.env().with("DOCKER_AUTH_CONFIG", r#"{"auths":{"ghcr.io":{"auth":"ZW52OnB3"}}}"#);
    let r = resolve(&Reference::parse("ghcr.io/o/a").unwrap(), Client::Docker, &env, &Options::default());
    assert_eq!((r.source, user_of(&r)), (Source::DockerAuthConfig, Some("env")));
}

const CONTAINERS: [Client; 3] = [Client::Podman, Client::Buildah, Client::Skopeo];

#[test]
fn containers_cred_helper_not_found_goes_on_to_the_next_file() {
    let bed = Bed::new();
    bed.helper("fake", ANSWERING_HELPER);
    bed.auth_json(r#"{"credHelpers":{"quay.io":"fake"}}"#);
    bed.docker_config(r#"{"auths":{"quay.io":{"auth":"ZG9ja2VyOnB3"}}}"#);
    for client in CONTAINERS {
        let r = bed.resolve("quay.io/org/app", client);
        assert_eq!((r.source, user_of(&r)), (Source::Auths, Some("docker")), "{client:?} {:?}", r.notes);
        assert_eq!(r.file.as_deref(), Some(bed.home().join(".docker/config.json").as_path()));
        assert!(r.helper.is_none());
    }
    // A failing helper stops the files (containers/image returns its error).
    bed.helper("fake", "echo boom; exit 1");
    let r = bed.resolve("quay.io/org/app", Client::Podman);
    assert!(matches!(r.outcome, Outcome::HelperFailed { .. }), "{:?}", r.outcome);
}

#[test]
fn containers_first_existing_key_ends_the_file_even_when_empty() {
    let bed = Bed::new();
    bed.auth_json(r#"{"auths":{"quay.io/org":{},"quay.io":{"auth":"aG9zdDpwdw=="}}}"#);
    bed.docker_config(r#"{"auths":{"quay.io":{"auth":"ZG9ja2VyOnB3"}}}"#);
    let r = bed.resolve("quay.io/org/app", Client::Skopeo);
    assert_eq!((user_of(&r), r.key.as_deref()), (Some("docker"), Some("quay.io")), "{:?}", r.notes);
    assert!(r.notes.iter().any(|n| n.contains("\"quay.io/org\" has no usable")), "{:?}", r.notes);
    // Another namespace: the auth.json host entry answers.
    let r = bed.resolve("quay.io/other/app", Client::Skopeo);
    assert_eq!(user_of(&r), Some("host"));
}

#[test]
fn containers_read_only_auth_not_username_password_or_identity_token_alone() {
    let bed = Bed::new();
    bed.docker_config(concat!(
        r#"{"auths":{"a.io":{"username":"u","password":"p"},"b.io":{"identitytoken":"t"},"#,
        r#""c.io":{"auth":"Yzpw","identitytoken":"refresh"},"d.io":{"auth":"bm9jb2xvbg=="},"e.io":{"auth":"!!"}}}"#
    ));
    for client in CONTAINERS {
        for image in ["a.io/x", "b.io/x", "d.io/x"] {
            let r = bed.resolve(image, client);
            assert_eq!(r.outcome, Outcome::NotFound, "{client:?} {image}");
        }
        let r = bed.resolve("c.io/x", client);
        assert_eq!(r.outcome, Outcome::Found { username: "c".into(), kind: CredentialKind::IdentityToken });
        assert!(matches!(bed.resolve("e.io/x", client).outcome, Outcome::ConfigError { .. }));
    }
    // docker reads username/password and identity tokens alone.
    assert_eq!(user_of(&bed.resolve("a.io/x", Client::Docker)), Some("u"));
}

#[test]
fn registry_auth_file_without_the_entry_by_version() {
    let bed = Bed::new();
    bed.docker_config(r#"{"auths":{"docker.io":{"auth":"aHViOnB3"}}}"#);
    let authfile = bed.file("auth.json", r#"{"auths":{"ghcr.io":{"auth":"Z2g6cHc="}}}"#);
    let env = bed.env().with("REGISTRY_AUTH_FILE", &authfile);
    for (client, old, new) in [
        (Client::Podman, "4.3.1", "4.4.0"),
        (Client::Buildah, "1.28.2", "1.29.0"),
        (Client::Skopeo, "1.9.3", "1.11.0"),
    ] {
        bed.client_version(client, old);
        let r = bed.resolve_env("nginx", client, &env);
        assert_eq!(user_of(&r), Some("hub"), "{client:?} {old}: falls through");
        assert_eq!(
            r.version.as_ref().unwrap().installed.as_deref(),
            Some(&*format!("{} version {old}", client.name()))
        );
        assert!(!r.version.as_ref().unwrap().rules.authfile_replaces_list);
        bed.client_version(client, new);
        let r = bed.resolve_env("nginx", client, &env);
        assert_eq!(r.outcome, Outcome::NotFound, "{client:?} {new}: the file is the whole list");
        assert!(r.other_versions.is_empty());
        // With the entry, every version agrees.
        assert_eq!(user_of(&bed.resolve_env("ghcr.io/o/a", client, &env)), Some("gh"));
        std::fs::remove_file(bed.bin().join(client.name())).unwrap();
        let r = bed.resolve_env("nginx", client, &env);
        assert_eq!(r.outcome, Outcome::NotFound, "{client:?}: unknown version, newest rules first");
        assert_eq!(r.other_versions.len(), 1, "{client:?}");
        assert!(matches!(&r.other_versions[0].outcome, Outcome::Found { username, .. } if username == "hub"));
        assert!(r.other_versions[0].applies_to.contains("before"), "{}", r.other_versions[0].applies_to);
    }
}

#[test]
fn docker_config_is_podman_and_buildahs_auth_file_not_skopeos() {
    let bed = Bed::new();
    bed.auth_json(r#"{"auths":{"ghcr.io":{"auth":"cnVudGltZTpwdw=="}}}"#);
    let dc = bed.dir.path().join("dc");
    bed.file("dc/config.json", r#"{"auths":{"quay.io":{"auth":"ZGM6cHc="}}}"#);
    let env = bed.env().with("DOCKER_CONFIG", &dc);
    bed.client_version(Client::Podman, "4.3.1");
    bed.client_version(Client::Skopeo, "1.9.3");
    // podman 4.3: $DOCKER_CONFIG/config.json takes the runtime auth.json's place.
    let r = bed.resolve_env("ghcr.io/o/a", Client::Podman, &env);
    assert_eq!(r.outcome, Outcome::NotFound, "{:?}", r.file);
    assert!(r.version.as_ref().unwrap().rules.docker_config_is_authfile);
    assert_eq!(user_of(&bed.resolve_env("quay.io/o/a", Client::Podman, &env)), Some("dc"));
    // skopeo reads the runtime file, and DOCKER_CONFIG only as docker's place in the list.
    assert_eq!(user_of(&bed.resolve_env("ghcr.io/o/a", Client::Skopeo, &env)), Some("runtime"));
    assert_eq!(user_of(&bed.resolve_env("quay.io/o/a", Client::Skopeo, &env)), Some("dc"));
    // podman refuses to start when that file does not exist.
    let env = bed.env().with("DOCKER_CONFIG", bed.dir.path().join("nowhere"));
    assert!(matches!(
        bed.resolve_env("quay.io/o/a", Client::Podman, &env).outcome,
        Outcome::ConfigError { .. }
    ));
    assert_eq!(bed.resolve_env("quay.io/o/a", Client::Skopeo, &env).outcome, Outcome::NotFound);
}

#[test]
fn registries_conf_credential_helpers_are_asked_in_order() {
    let bed = Bed::new();
    bed.helper("fake", ANSWERING_HELPER);
    bed.helper("nothing", "echo 'credentials not found in native keychain'; exit 1");
    bed.docker_config(r#"{"auths":{"ghcr.io":{"auth":"ZmlsZTpwdw=="},"quay.io":{"auth":"ZmlsZTpwdw=="}}}"#);
    // The system file, then a drop-in that overrides it.
    bed.file("etc/registries.conf", r#"credential-helpers = ["fake"]"#);
    let r = bed.resolve("ghcr.io/o/a", Client::Buildah);
    assert_eq!(
        (r.source, user_of(&r), r.key.as_deref()),
        (Source::RegistriesConf, Some("helper-user"), Some("ghcr.io"))
    );
    assert_eq!(r.file.as_deref(), Some(bed.dir.path().join("etc/registries.conf").as_path()));
    // Only the helpers listed are asked: without containers-auth.json the files are not read.
    assert_eq!(bed.resolve("quay.io/o/a", Client::Buildah).outcome, Outcome::NotFound);
    bed.file(
        "etc/registries.conf.d/10-x.conf",
        r#"credential-helpers = ["nothing", "containers-auth.json"]"#,
    );
    bed.file("etc/registries.conf.d/20-y.txt", r#"credential-helpers = ["fake"]"#);
    let r = bed.resolve("ghcr.io/o/a", Client::Skopeo);
    assert_eq!((r.source, user_of(&r)), (Source::Auths, Some("file")));
    // The user's registries.conf replaces the system file and its drop-ins.
    bed.file("home/.config/containers/registries.conf", r#"credential-helpers = ["fake"]"#);
    assert_eq!(user_of(&bed.resolve("ghcr.io/o/a", Client::Podman)), Some("helper-user"));
    bed.file("home/.config/containers/registries.conf", "credential-helpers = [");
    assert!(matches!(bed.resolve("ghcr.io/o/a", Client::Podman).outcome, Outcome::ConfigError { .. }));
}

#[test]
fn version_lines_parse() {
    use super::containers::parse_version;
    assert_eq!(parse_version("podman version 4.3.1"), Some((4, 3, 1)));
    assert_eq!(
        parse_version("buildah version 1.28.2 (image-spec 1.1.0-rc2, runtime-spec 1.0.2-dev)"),
        Some((1, 28, 2))
    );
    assert_eq!(parse_version("skopeo version 1.9.3"), Some((1, 9, 3)));
    assert_eq!(parse_version("podman version 5.0.0-dev"), Some((5, 0, 0)));
    assert_eq!(parse_version("nonsense"), None);
}

/// docker refuses a padding-less `auth` (falling back to the entry's username/password fields), and
/// another entry's bad `auth` makes this one's a coin toss; the kubelet's reading is not docker's.
#[test]
fn docker_decodes_auth_with_go_std_encoding() {
    let bed = Bed::new();
    // "u:pw" is dTpwdw== in base64; dTpwdw is the same without its padding.
    bed.docker_config(
        r#"{"auths":{"a.io":{"auth":"dTpwdw"},"b.io":{"auth":"dTpwdw","username":"f","password":"g"}}}"#,
    );
    let a = bed.resolve("a.io/x", Client::Docker);
    let Outcome::ConfigError { message } = &a.outcome else { panic!("{a:?}") };
    assert!(message.contains("as docker decodes it: missing padding"), "{message}");
    let b = bed.resolve("b.io/x", Client::Docker);
    assert_eq!(b.outcome, Outcome::Found { username: "f".into(), kind: CredentialKind::Password }, "{b:?}");
    assert!(b.notes.iter().any(|n| n.contains("missing padding") && n.contains("\"username\"")), "{b:?}");

    bed.docker_config(r#"{"auths":{"a.io":{"auth":"dTpwdw"},"c.io":{"auth":"dTpwdw=="}}}"#);
    let c = bed.resolve("c.io/x", Client::Docker);
    assert_eq!(c.outcome, Outcome::Found { username: "u".into(), kind: CredentialKind::Password }, "{c:?}");
    assert!(
        c.notes.iter().any(|n| n.contains("\"a.io\"") && n.contains("may leave \"c.io\" undecoded")),
        "{c:?}"
    );
    // containers/image decodes only the entry it looks up.
    assert!(bed.resolve("c.io/x", Client::Podman).notes.iter().all(|n| !n.contains("a.io")));
    // nerdctl returns the loader's error: no lookup at all.
    let n = bed.resolve("c.io/x", Client::Nerdctl);
    let Outcome::ConfigError { message } = &n.outcome else { panic!("{n:?}") };
    assert!(
        message.starts_with("nerdctl stops: auths entry \"a.io\"") && message.contains("missing padding")
    );
}

#[test]
fn nerdctl_asks_docker_hub_by_its_api_host_and_the_v1_key() {
    let bed = Bed::new();
    bed.helper(
        "hub",
        "read key; printf '{\"ServerURL\":\"%s\",\"Username\":\"hub\",\"Secret\":\"s\"}\\n' \"$key\"",
    );
    // nerdctl never asks docker.io: the credHelpers entry under it is not used.
    bed.docker_config(r#"{"credHelpers":{"docker.io":"hub"}}"#);
    let r = bed.resolve("nginx", Client::Nerdctl);
    assert_eq!(r.outcome, Outcome::NotFound, "{r:?}");
    assert!(r.notes.iter().any(|n| n.contains("registry-1.docker.io:443, https://index.docker.io/v1/")));
    // The API host with :443 comes before the v1 key.
    bed.docker_config(
        r#"{"credHelpers":{"https://index.docker.io/v1/":"hub","registry-1.docker.io:443":"hub"}}"#,
    );
    let r = bed.resolve("nginx", Client::Nerdctl);
    assert_eq!(r.key.as_deref(), Some("registry-1.docker.io:443"), "{r:?}");
    bed.docker_config(r#"{"auths":{"https://index.docker.io/v1/":{"auth":"dTpw"}}}"#);
    let r = bed.resolve("nginx", Client::Nerdctl);
    assert_eq!(r.key.as_deref(), Some("https://index.docker.io/v1/"), "{r:?}");
}
