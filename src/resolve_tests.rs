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
        let opts = Options { helper_timeout: Duration::from_millis(500), ..Options::default() };
        resolve(&Reference::parse(image).unwrap(), client, &self.env(), &opts)
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
    for client in Client::ALL {
        let r = bed.resolve("nginx", client);
        assert!(
            matches!(&r.outcome, Outcome::ConfigError { message } if message.contains(":1:")),
            "{client:?}: {:?}",
            r.outcome
        );
    }
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
