//! nerdctl v2.2.1 (on a real containerd) with regauth's helpers as its `credsStore`: login, push, pull and
//! logout through docker-credential-regauth-keyutils, -secretservice and -cache (wrapping keyutils), and
//! pull and push through the read-only -env store, against the distribution registry with token auth. After
//! logout the helper has nothing and a pull is refused, which proves nerdctl erased what it had stored.
//! No secret may appear in nerdctl's output or in config.json.

mod support;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use support::bed::TokenBed;
use support::containerd::{output_within, scratch_context, Containerd};
use support::keyring::SecretService;
use support::keyutils::KeyutilsNamespace;
use support::token_server::{Policy, Style, User};

const PASSWORD: &str = "dckr_pat_helpers-rw-7Kq";

struct Bed {
    ctd: Containerd,
    bed: TokenBed,
    home: tempfile::TempDir,
    /// Variables every nerdctl (and so every helper it runs) gets.
    env: Vec<(String, String)>,
}

impl Bed {
    fn start(helper: &str) -> Option<Bed> {
        let ctd = Containerd::start_with_buildkit()?;
        let policy = Policy::new(Style::Spec).user("me", User::new(PASSWORD, &[("me/*", &["pull", "push"])]));
        let bed = TokenBed::start(policy, "/token", "test-registry")?;
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".docker")).unwrap();
        let config = format!(r#"{{"credsStore":"{helper}"}}"#);
        std::fs::write(home.path().join(".docker/config.json"), config).unwrap();
        Some(Bed { ctd, bed, home, env: Vec::new() })
    }

    fn host(&self) -> String {
        self.bed.registry.host()
    }

    fn image(&self) -> String {
        format!("{}/me/helpers:latest", self.host())
    }

    fn nerdctl(&self, args: &[&str]) -> Command {
        let mut c = self.ctd.nerdctl(self.home.path(), &support::helpers::path());
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c.args(args);
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = output_within(&mut self.nerdctl(args), Duration::from_secs(120));
        assert_no_secret(&out);
        out
    }

    fn login(&self) -> Output {
        let mut c = self.nerdctl(&["login", &self.host(), "-u", "me", "--password-stdin"]);
        c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        child.stdin.take().unwrap().write_all(PASSWORD.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert_no_secret(&out);
        out
    }

    fn build(&self) {
        let context = scratch_context(self.home.path(), "helpers\n");
        let out = self.run(&["build", "-t", &self.image(), context.to_str().unwrap()]);
        assert!(out.status.success(), "build: {}", text(&out));
    }

    /// Push, forget the local image, pull it back.
    fn push_and_pull(&self, what: &str) {
        let push = self.run(&["push", &self.image()]);
        assert!(push.status.success(), "{what}: push: {}", text(&push));
        let rmi = self.run(&["rmi", &self.image()]);
        assert!(rmi.status.success(), "{what}: rmi: {}", text(&rmi));
        let pull = self.run(&["pull", &self.image()]);
        assert!(pull.status.success(), "{what}: pull: {}", text(&pull));
    }

    /// After logout: nothing left for nerdctl to send, so a pull is refused.
    fn assert_pull_refused(&self, what: &str) {
        let _ = self.run(&["rmi", &self.image()]);
        let pull = self.run(&["pull", &self.image()]);
        assert!(!pull.status.success(), "{what}: pulled after logout: {}", text(&pull));
    }

    fn config(&self) -> String {
        std::fs::read_to_string(self.home.path().join(".docker/config.json")).unwrap()
    }

    /// login, push, pull, logout, and nothing left; then its row in docs/clients.md.
    fn full_cycle(&self, what: &str) {
        let login = self.login();
        assert!(login.status.success(), "{what}: login: {}", text(&login));
        assert!(!text(&login).contains("unencrypted"), "{what}: stored in the file: {}", text(&login));
        assert!(
            !self.config().contains("\"auth\""),
            "{what}: config.json holds a credential: {}",
            self.config()
        );
        self.build();
        self.push_and_pull(what);
        let logout = self.run(&["logout", &self.host()]);
        assert!(logout.status.success(), "{what}: logout: {}", text(&logout));
        self.assert_pull_refused(what);
        doc_row(
            what,
            "login, push, pull, logout",
            "all succeed; after logout the helper is empty and pull is refused",
        );
    }
}

/// This helper's row in docs/clients.md (its own section).
fn doc_row(helper: &str, case: &str, did: &str) {
    let version = support::clients_doc::pinned_version("seed", "github.com/containerd/nerdctl/v2");
    let row = [
        "nerdctl".to_owned(),
        version,
        format!("`credsStore: regauth-{helper}`: {case}"),
        did.to_owned(),
        "-".to_owned(),
    ];
    support::clients_doc::check_section(&format!("nerdctl-helper-{helper}"), &[row]);
}

fn text(out: &Output) -> String {
    format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn assert_no_secret(out: &Output) {
    assert!(!text(out).contains(PASSWORD), "a secret was printed: {}", text(out));
}

#[test]
fn keyutils_helper_login_push_pull_logout() {
    let Some(mut bed) = Bed::start("regauth-keyutils") else { return };
    let keys = KeyutilsNamespace::new("seed-helpers-keyutils");
    bed.env.push(("REGAUTH_KEYUTILS_NAMESPACE".into(), keys.name.clone()));
    bed.full_cycle("keyutils");
    let listed = support::helpers::call(keys.helper(), "list", "");
    assert_eq!(listed.stdout.trim(), "{}", "logout left entries behind: {listed:?}");
}

#[test]
fn secretservice_helper_login_push_pull_logout() {
    let Some(service) = SecretService::start() else { return };
    let Some(mut bed) = Bed::start("regauth-secretservice") else { return };
    bed.env.push(("DBUS_SESSION_BUS_ADDRESS".into(), service.address.clone()));
    bed.full_cycle("secretservice");
    let helper = service.command(support::helpers::helper_bin("docker-credential-regauth-secretservice"));
    let listed = support::helpers::call(helper, "list", "");
    assert!(!listed.stdout.contains(&bed.host()), "logout left entries behind: {listed:?}");
}

#[test]
fn cache_helper_wrapping_keyutils_login_push_pull_logout() {
    let Some(mut bed) = Bed::start("regauth-cache") else { return };
    let keys = KeyutilsNamespace::new("seed-helpers-cache");
    let dirs = tempfile::tempdir().unwrap();
    let (config, cache) = (dirs.path().join("config"), dirs.path().join("cache"));
    for d in [&config, &cache] {
        std::fs::create_dir_all(d).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    bed.env.extend([
        ("REGAUTH_KEYUTILS_NAMESPACE".to_owned(), keys.name.clone()),
        ("XDG_CONFIG_HOME".to_owned(), config.display().to_string()),
        ("XDG_CACHE_HOME".to_owned(), cache.display().to_string()),
    ]);
    let wrap = support::command::regauth()
        .args(["helpers", "wrap", "--registry", &bed.host(), "--inner", "regauth-keyutils", "--ttl", "5m"])
        .env("HOME", bed.home.path())
        .env("XDG_CONFIG_HOME", &config)
        .env("DOCKER_CONFIG", bed.home.path().join(".docker"))
        .env("PATH", support::helpers::path())
        .output()
        .unwrap();
    assert!(wrap.status.success(), "helpers wrap: {}", text(&wrap));
    std::fs::write(bed.home.path().join(".docker/config.json"), r#"{"credsStore":"regauth-cache"}"#).unwrap();
    bed.full_cycle("cache");
    let listed = support::helpers::call(keys.helper(), "list", "");
    assert_eq!(listed.stdout.trim(), "{}", "logout left entries in the wrapped store: {listed:?}");
}

/// The env store is read-only: nerdctl login cannot store into it (and says so), pull and push use the
/// variables, and logout cannot take them away (the helper says which variables still hold the login).
#[test]
fn env_helper_pull_and_push_from_variables_login_refused() {
    let Some(mut bed) = Bed::start("regauth-env") else { return };
    let stem = bed.host().replace('.', "_").replace(':', "___");
    bed.env.extend([
        (format!("REGAUTH_REGISTRY_{stem}_USERNAME"), "me".to_owned()),
        (format!("REGAUTH_REGISTRY_{stem}_PASSWORD"), PASSWORD.to_owned()),
    ]);
    let login = bed.login();
    assert!(!login.status.success(), "login stored into a read-only store: {}", text(&login));
    assert!(text(&login).contains("is read-only"), "{}", text(&login));
    bed.build();
    bed.push_and_pull("env");
    let logout = bed.run(&["logout", &bed.host()]);
    assert!(text(&logout).contains("still provide the credentials"), "{}", text(&logout));
    let again = bed.run(&["pull", &bed.image()]);
    assert!(again.status.success(), "the variables still hold the login: {}", text(&again));
    let refused = support::clients_doc::fatal_message(&login.stderr);
    let did = format!("login fails: `{refused}`; push and pull use the variables; logout leaves them");
    doc_row("env", "login, push, pull, logout", &did);
}
