//! Our helpers under the Go clients: crane, oras and helm (built from tests/go/*) log in, push, pull and log
//! out against the real distribution registry (htpasswd) with `credsStore` naming
//! docker-credential-regauth-keyutils, -secretservice or -cache (wrapping keyutils); regctl, which never
//! stores into a helper, pushes and pulls with `credHelpers` naming ours. -env serves pulls from its
//! variables. The newest upstream docker-credential-secretservice (tests/go/credhelpers) and ours read what
//! the other stored, both ways. After each logout the helper holds nothing and a pull is refused. The
//! password never shows in any client's output.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use support::command::clean;
use support::helpers::bin_dir;
use support::keyring::SecretService;
use support::keyutils::KeyutilsNamespace;
use support::registry::{basic, push_image, Auth, Registry};

const USER: &str = "alice";
const PASSWORD: &str = "go-clients-pw-8Qz";

/// Where the test runs a client: a home, and the keyring it reaches.
struct Place {
    home: PathBuf,
    keyring: Keyring,
    registry: Registry,
    _dir: tempfile::TempDir,
}

enum Keyring {
    Keyutils(KeyutilsNamespace),
    SecretService(SecretService),
}

impl Place {
    fn new(test: &str, keyring: &str) -> Option<Place> {
        let registry = Registry::start(Auth::Htpasswd(vec![(USER.into(), PASSWORD.into())]), None)?;
        let client = reqwest::blocking::Client::new();
        push_image(&client, &registry.base_url(), "team/app", "v1", Some(&basic(USER, PASSWORD)));
        let dir = tempfile::tempdir().unwrap();
        let (keyring, home) = match keyring {
            "secretservice" => {
                let ss = SecretService::start()?;
                let home = ss.dir.path().to_owned();
                (Keyring::SecretService(ss), home)
            }
            _ => (Keyring::Keyutils(KeyutilsNamespace::new(test)), dir.path().join("home")),
        };
        std::fs::create_dir_all(home.join(".docker")).unwrap();
        Some(Place { home, keyring, registry, _dir: dir })
    }

    fn host(&self) -> String {
        self.registry.host()
    }

    /// `program` in this place: its keyring, HOME, and our helpers (then upstream's, then the system's) on
    /// PATH.
    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = match &self.keyring {
            Keyring::SecretService(ss) => ss.command(program),
            Keyring::Keyutils(ns) => {
                let mut c = clean(program);
                c.env("REGAUTH_KEYUTILS_NAMESPACE", &ns.name);
                c
            }
        };
        let upstream = support::go::peers_root().join("credhelpers/current/bin");
        let mut paths = vec![bin_dir().to_owned(), upstream];
        paths.extend(std::env::split_paths(&support::command::system_path()));
        c.env("PATH", std::env::join_paths(paths).unwrap())
            .env("HOME", &self.home)
            .env("HELM_REGISTRY_CONFIG", self.home.join("helm-registry.json"))
            .current_dir(&self.home);
        c
    }

    /// Both config files (docker's and helm's) name `store`.
    fn use_store(&self, store: &str) {
        let json = format!(r#"{{"credsStore":"{store}"}}"#);
        std::fs::write(self.home.join(".docker/config.json"), &json).unwrap();
        std::fs::write(self.home.join("helm-registry.json"), &json).unwrap();
    }

    /// What `helper` holds for this registry: `Some(user)` when it holds our password.
    fn stored(&self, helper: &str) -> Option<String> {
        let out = run_helper(self.command(format!("docker-credential-{helper}")).arg("get"), &self.host());
        if !out.status.success() {
            assert_eq!(
                String::from_utf8_lossy(&out.stdout).trim(),
                "credentials not found in native keychain"
            );
            return None;
        }
        let creds: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(creds["Secret"], PASSWORD);
        Some(creds["Username"].as_str().unwrap().to_owned())
    }
}

/// A helper's own answer (a `get` prints the secret: that is its job).
fn run_helper(command: &mut Command, stdin: &str) -> Output {
    let mut child =
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// A client's run: it must never show the password.
fn run(command: &mut Command, stdin: &str) -> Output {
    let out = run_helper(command, stdin);
    let shown = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!shown.contains(PASSWORD), "the password was printed: {shown}");
    out
}

fn ok(out: Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One Go client's commands against `host`.
struct Client {
    name: &'static str,
    program: PathBuf,
}

impl Client {
    fn get(name: &'static str, module: &str) -> Option<Client> {
        Some(Client { name, program: support::go::need_peer(module, name)? })
    }

    fn login(&self, place: &Place) -> Output {
        let h = place.host();
        let mut c = place.command(&self.program);
        match self.name {
            "crane" => c.args(["auth", "login", &h, "-u", USER, "--password-stdin"]),
            "oras" => c.args(["login", "--plain-http", "-u", USER, "--password-stdin", &h]),
            _ => c.args(["registry", "login", &h, "--username", USER, "--password-stdin", "--plain-http"]),
        };
        run(&mut c, PASSWORD)
    }

    fn logout(&self, place: &Place) -> Output {
        let h = place.host();
        let mut c = place.command(&self.program);
        match self.name {
            "crane" => c.args(["auth", "logout", &h]),
            "oras" => c.args(["logout", &h]),
            _ => c.args(["registry", "logout", &h]),
        };
        run(&mut c, "")
    }

    fn push(&self, place: &Place) -> Output {
        let h = place.host();
        let mut c = place.command(&self.program);
        match self.name {
            "crane" => {
                c.args(["copy", "--insecure", &format!("{h}/team/app:v1"), &format!("{h}/team/app:crane")])
            }
            "oras" => {
                std::fs::write(place.home.join("note.txt"), "pushed by oras").unwrap();
                c.args(["push", "--plain-http", &format!("{h}/team/oras:v1"), "note.txt"])
            }
            _ => {
                let chart = helm_chart(place, &self.program);
                c.args(["push"]).arg(chart).args([&format!("oci://{h}/team"), "--plain-http"])
            }
        };
        run(&mut c, "")
    }

    fn pull(&self, place: &Place) -> Output {
        let h = place.host();
        let out = place.home.join("pulled");
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out).unwrap();
        let mut c = place.command(&self.program);
        match self.name {
            "crane" => c.args(["pull", "--insecure", &format!("{h}/team/app:v1")]).arg(out.join("app.tar")),
            "oras" => c.args(["pull", "--plain-http", &format!("{h}/team/oras:v1"), "-o"]).arg(&out),
            _ => c
                .args(["pull", &format!("oci://{h}/team/app"), "--version", "0.1.0", "--plain-http", "-d"])
                .arg(&out),
        };
        run(&mut c, "")
    }
}

/// A one-file chart packaged by helm itself.
fn helm_chart(place: &Place, helm: &Path) -> PathBuf {
    let dir = place.home.join("chart/app");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("Chart.yaml"), "apiVersion: v2\nname: app\nversion: 0.1.0\n").unwrap();
    ok(run(place.command(helm).args(["package", "chart/app", "-d", "chart"]), ""), "helm package");
    place.home.join("chart/app-0.1.0.tgz")
}

/// login, push, pull, logout through `store` (named in both config files); the helper `holder` holds the
/// login in between (the cache passes it to the helper it wraps).
fn cycle(client: &Client, place: &Place, store: &str, holder: &str) {
    let what = |step: &str| format!("{} {step} through {store}", client.name);
    ok(client.login(place), &what("login"));
    assert_eq!(place.stored(holder).as_deref(), Some(USER), "{}", what("login stored nothing"));
    let config = std::fs::read_to_string(place.home.join(".docker/config.json")).unwrap()
        + &std::fs::read_to_string(place.home.join("helm-registry.json")).unwrap();
    assert!(!config.contains("\"auth\""), "{}: a plaintext login was written: {config}", what("login"));
    ok(client.push(place), &what("push"));
    ok(client.pull(place), &what("pull"));
    ok(client.logout(place), &what("logout"));
    assert_eq!(place.stored(holder), None, "{}", what("logout left the login"));
    assert!(!client.pull(place).status.success(), "{}", what("pull after logout succeeded"));
}

fn clients() -> Vec<Client> {
    [("crane", "clients"), ("oras", "oras"), ("helm", "helm")]
        .into_iter()
        .filter_map(|(name, module)| Client::get(name, module))
        .collect()
}

#[test]
fn crane_oras_and_helm_log_in_push_pull_and_log_out_through_keyutils() {
    for client in clients() {
        let Some(place) = Place::new(&format!("go-{}", client.name), "keyutils") else { return };
        place.use_store("regauth-keyutils");
        cycle(&client, &place, "regauth-keyutils", "regauth-keyutils");
    }
}

#[test]
fn crane_oras_and_helm_log_in_push_pull_and_log_out_through_secretservice() {
    for client in clients() {
        let Some(place) = Place::new(&format!("go-{}", client.name), "secretservice") else { return };
        place.use_store("regauth-secretservice");
        cycle(&client, &place, "regauth-secretservice", "regauth-secretservice");
    }
}

#[test]
fn crane_oras_and_helm_log_in_push_pull_and_log_out_through_the_cache() {
    for client in clients() {
        let Some(place) = Place::new(&format!("go-cache-{}", client.name), "keyutils") else { return };
        place.use_store("regauth-keyutils");
        let wrapped = run(place.command(support::command::regauth_bin()).args(["helpers", "wrap"]), "");
        ok(wrapped, "regauth helpers wrap");
        place.use_store("regauth-cache");
        cycle(&client, &place, "regauth-cache", "regauth-keyutils");
    }
}

#[test]
fn crane_oras_and_helm_pull_with_the_env_helper() {
    for client in clients() {
        let Some(place) = Place::new(&format!("go-env-{}", client.name), "keyutils") else { return };
        // The image (or chart, or artifact) each pulls is put there with a login first.
        place.use_store("regauth-keyutils");
        ok(client.login(&place), "login");
        ok(client.push(&place), "push");
        ok(client.logout(&place), "logout");
        place.use_store("regauth-env");
        let stem = format!("REGAUTH_REGISTRY_{}", place.host().replace('.', "_").replace(':', "___"));
        let mut pull = client.pull_command(&place);
        pull.env(format!("{stem}_USERNAME"), USER).env(format!("{stem}_PASSWORD"), PASSWORD);
        ok(run(&mut pull, ""), &format!("{} pull through regauth-env", client.name));
        assert!(!client.pull(&place).status.success(), "{} pulled without the variables", client.name);
    }
}

impl Client {
    fn pull_command(&self, place: &Place) -> Command {
        let h = place.host();
        let mut c = place.command(&self.program);
        let out = place.home.join("pulled-env");
        std::fs::create_dir_all(&out).unwrap();
        match self.name {
            "crane" => c.args(["pull", "--insecure", &format!("{h}/team/app:v1")]).arg(out.join("app.tar")),
            "oras" => c.args(["pull", "--plain-http", &format!("{h}/team/oras:v1",), "-o"]).arg(&out),
            _ => c
                .args(["pull", &format!("oci://{h}/team/app"), "--version", "0.1.0", "--plain-http", "-d"])
                .arg(&out),
        };
        c
    }
}

/// regctl never stores into a helper (its login goes to its own config); with `credHelpers` naming ours
/// it pushes and pulls, and without the entry it is refused.
#[test]
fn regctl_pushes_and_pulls_through_our_helpers() {
    let Some(regctl) = support::go::need_peer("regctl", "regctl") else { return };
    for (keyring, helper) in [("keyutils", "regauth-keyutils"), ("secretservice", "regauth-secretservice")] {
        let Some(place) = Place::new("go-regctl", keyring) else { return };
        let h = place.host();
        let stored = run_helper(
            place.command(format!("docker-credential-{helper}")).arg("store"),
            &format!(r#"{{"ServerURL":"{h}","Username":"{USER}","Secret":"{PASSWORD}"}}"#),
        );
        ok(stored, "store");
        std::fs::write(
            place.home.join(".docker/config.json"),
            format!(r#"{{"credHelpers":{{"{h}":"{helper}"}}}}"#),
        )
        .unwrap();
        let regctl_run = |args: &[&str]| {
            run(place.command(&regctl).args(["--host", &format!("reg={h},tls=disabled")]).args(args), "")
        };
        ok(
            regctl_run(&["image", "copy", &format!("{h}/team/app:v1"), &format!("{h}/team/app:regctl")]),
            "regctl copy",
        );
        ok(regctl_run(&["manifest", "get", &format!("{h}/team/app:regctl")]), "regctl manifest get");
        ok(run(place.command(format!("docker-credential-{helper}")).arg("erase"), &h), "erase");
        assert!(!regctl_run(&["manifest", "get", &format!("{h}/team/app:regctl")]).status.success());
    }
}

/// Upstream's newest docker-credential-secretservice and ours read each other's items: crane logs in through
/// one and pulls through the other, both ways.
#[test]
fn upstream_secretservice_and_ours_are_interchangeable_under_crane() {
    let Some(crane) = Client::get("crane", "clients") else { return };
    let Some(_) = support::go::need_peer("credhelpers", "docker-credential-secretservice") else { return };
    for (first, second) in
        [("secretservice", "regauth-secretservice"), ("regauth-secretservice", "secretservice")]
    {
        let Some(place) = Place::new("go-interchange", "secretservice") else { return };
        place.use_store(first);
        ok(crane.login(&place), &format!("crane login through {first}"));
        place.use_store(second);
        assert_eq!(place.stored(second).as_deref(), Some(USER), "{second} does not see what {first} stored");
        ok(crane.pull(&place), &format!("crane pull through {second} after a login through {first}"));
        ok(crane.logout(&place), &format!("crane logout through {second}"));
        assert_eq!(place.stored(first), None, "{first} still holds what {second} erased");
    }
}
