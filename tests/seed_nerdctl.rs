//! The seed's scenario end to end (shared/seeds/nerdctl-dockerhub-readonly-pat.md) with the real toolchain:
//! containerd as root, buildkitd on it, nerdctl v2.2.1, the distribution registry and the tests' token server
//! in Docker Hub's style. `nerdctl login` stores the token through docker-credential-regauth-keyutils,
//! `nerdctl -n k8s.io build` builds FROM scratch, `nerdctl push` with the read-only token fails with
//! containerd's own message, `regauth diagnose --client nerdctl --push` on the same image says read-only
//! with the fix, and after the fix (a read-write token, logout, login) the push succeeds. Also the
//! missing-credential case, and `buildctl build --output type=image,push=true` through the helper.
//!
//! Each case checks that regauth's verdict and nerdctl's outcome agree. nerdctl's messages are written
//! to `$REGAUTH_CLIENTS_RECORD` when set (docs/clients.md quotes them).

mod support;

use std::process::{Command, Output};
use support::bed::TokenBed;
use support::clients_doc::{check_section, fatal_message, pinned_version};
use support::containerd::{scratch_context, Containerd};
use support::keyutils::KeyutilsNamespace;
use support::token_server::{Policy, Style, User};

const SERVICE: &str = "test-registry";
const REPO: &str = "me/rocky8-test-docker-hub";
const READ_ONLY: &str = "dckr_pat_read-only-1";
const READ_WRITE: &str = "dckr_pat_read-write-2";

fn read_only() -> User {
    User::new(READ_ONLY, &[("me/*", &["pull"])])
}

fn read_write() -> User {
    User::new(READ_WRITE, &[("me/*", &["pull", "push"])])
}

struct Seed {
    ctd: Containerd,
    bed: TokenBed,
    home: tempfile::TempDir,
    keys: KeyutilsNamespace,
}

impl Seed {
    fn start(test: &str) -> Option<Seed> {
        let ctd = Containerd::start_with_buildkit()?;
        let bed = TokenBed::start(Policy::new(Style::DockerHub).user("me", read_only()), "/token", SERVICE)?;
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".docker")).unwrap();
        std::fs::write(home.path().join(".docker/config.json"), r#"{"credsStore":"regauth-keyutils"}"#)
            .unwrap();
        Some(Seed { ctd, bed, home, keys: KeyutilsNamespace::new(test) })
    }

    fn image(&self, repo: &str) -> String {
        format!("{}/{repo}:latest", self.bed.registry.host())
    }

    fn nerdctl(&self, args: &[&str]) -> Command {
        let mut c = self.ctd.nerdctl(self.home.path(), &support::helpers::path());
        c.env("REGAUTH_KEYUTILS_NAMESPACE", &self.keys.name).args(args);
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        run(self.nerdctl(args), &format!("nerdctl {}", args[0]))
    }

    fn login(&self, password: &str) -> Output {
        let mut c = self.nerdctl(&["login", &self.bed.registry.host(), "-u", "me", "--password-stdin"]);
        c.stdin(std::process::Stdio::piped());
        let out = with_stdin(c, password);
        record("nerdctl login", &out);
        out
    }

    fn build(&self, image: &str) {
        let context = scratch_context(self.home.path(), &format!("built for {image}\n"));
        let out = self.run(&["build", "-t", image, context.to_str().unwrap()]);
        assert!(out.status.success(), "nerdctl build failed: {}", text(&out));
    }

    /// `regauth diagnose IMAGE --client nerdctl --push` with the same HOME, DOCKER_CONFIG and helpers.
    fn diagnose(&self, image: &str) -> support::bed::Run {
        let out = support::command::regauth()
            .args([
                "diagnose",
                image,
                "--client",
                "nerdctl",
                "--push",
                "--registry-type",
                "dockerhub",
                "--json",
            ])
            .env("HOME", self.home.path())
            .env("DOCKER_CONFIG", self.home.path().join(".docker"))
            .env("PATH", support::helpers::path())
            .env("REGAUTH_KEYUTILS_NAMESPACE", &self.keys.name)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        support::bed::Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The tags the registry holds for `repo` (read with an admin token).
    fn tags(&self, repo: &str) -> Vec<String> {
        let token = self.bed.tokens.mint("admin", &[(repo, &["pull"])]);
        let url = format!("{}/v2/{repo}/tags/list", self.bed.registry.base_url());
        let reply = reqwest::blocking::Client::new().get(url).bearer_auth(token).send().unwrap();
        if reply.status().as_u16() == 404 {
            return Vec::new();
        }
        let json: serde_json::Value = reply.json().unwrap();
        json["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_owned()).collect()
    }
}

/// Run a client under a deadline (a hung client is a failure, not a hung test).
fn run(mut c: Command, what: &str) -> Output {
    let out = support::containerd::output_within(&mut c, std::time::Duration::from_secs(180));
    record(what, &out);
    out
}

fn with_stdin(mut c: Command, input: &str) -> Output {
    use std::io::Write;
    c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(out: &Output) -> String {
    format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Append what a client printed to `$REGAUTH_CLIENTS_RECORD`, for docs/clients.md.
fn record(what: &str, out: &Output) {
    let Some(path) = std::env::var_os("REGAUTH_CLIENTS_RECORD") else { return };
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
    writeln!(file, "## {what} (exit {:?})\n{}", out.status.code(), text(out).trim()).unwrap();
}

fn assert_no_secret(out: &str) {
    for secret in [READ_ONLY, READ_WRITE] {
        assert!(!out.contains(secret), "a secret was printed: {out}");
    }
}

#[test]
fn read_only_token_push_fails_as_in_the_seed_regauth_says_why_and_the_fix_works() {
    let Some(seed) = Seed::start("seed-ro") else { return };
    let image = seed.image(REPO);
    let login = seed.login(READ_ONLY);
    assert!(login.status.success(), "nerdctl login: {}", text(&login));
    assert!(!text(&login).contains("unencrypted"), "login went to the plain file: {}", text(&login));
    let config = std::fs::read_to_string(seed.home.path().join(".docker/config.json")).unwrap();
    assert!(!config.contains(READ_ONLY) && !config.contains("auth\""), "secret in config.json: {config}");
    seed.build(&image);

    // The read-only token: nerdctl's push fails with containerd's message, which hides the token
    // endpoint's body and shows both scope parameters (pull, and pull,push).
    let push = seed.run(&["push", &image]);
    let said = text(&push);
    let refused = fatal_message(&push.stderr);
    assert!(!push.status.success(), "a read-only token pushed: {said}");
    assert!(said.contains("failed to fetch oauth token"), "{said}");
    assert!(said.contains("401 Unauthorized"), "{said}");
    let scopes =
        format!("scope=repository%3A{}%3Apull&scope=repository%3A{}%3Apull%2Cpush", enc(REPO), enc(REPO));
    assert!(said.contains(&scopes), "nerdctl did not ask for pull and pull,push: {said}");
    assert!(!said.contains("insufficient scopes"), "containerd now shows the body: {said}");
    assert_no_secret(&said);
    let asked = seed.bed.tokens.asked();
    assert!(
        asked.iter().any(|a| a.contains("user=me(refresh)")
            && a.contains(&format!("scope=repository:{REPO}:pull scope=repository:{REPO}:pull,push"))),
        "the token server did not see the seed's request: {asked:?}"
    );
    assert!(seed.tags(REPO).is_empty(), "something was pushed");

    // regauth on the same image, with nerdctl's credential (through the same helper): read-only + the fix.
    let run = seed.diagnose(&image);
    assert_eq!(run.code, 5, "{}", run.all_output());
    assert_eq!(run.verdict("authentication"), "ok", "{}", run.stdout);
    assert_eq!(run.verdict("push"), "authorizationDenied", "{}", run.stdout);
    assert!(run.step("push").to_string().contains("insufficient scopes"), "{}", run.stdout);
    assert!(run.fix("push").contains("Read & Write"), "{}", run.stdout);
    assert_eq!(run.json()["credential"]["source"], "credsStore", "{}", run.stdout);
    assert_no_secret(&run.all_output());
    let mut rows = vec![[
        "nerdctl".to_owned(),
        nerdctl_version(),
        "push, Docker Hub-style read-only token (login through regauth-keyutils)".to_owned(),
        format!("fails: `{refused}`"),
        format!("{}; fix: Read & Write token", verdicts(&run, &["authentication", "push"])),
    ]];

    // The fix: a Read & Write token for the same account; logout, login, push.
    seed.bed.tokens.set_user("me", read_write());
    let logout = seed.run(&["logout", &seed.bed.registry.host()]);
    assert!(logout.status.success(), "nerdctl logout: {}", text(&logout));
    assert!(seed.login(READ_WRITE).status.success());
    let run = seed.diagnose(&image);
    assert_eq!(run.code, 0, "{}", run.all_output());
    assert_eq!(run.verdict("push"), "ok", "{}", run.stdout);
    let push = seed.run(&["push", &image]);
    assert!(push.status.success(), "push with the read-write token: {}", text(&push));
    assert_eq!(seed.tags(REPO), vec!["latest".to_owned()]);
    rows.push([
        "nerdctl".to_owned(),
        nerdctl_version(),
        "push after the fix: read-write token, logout, login".to_owned(),
        "pushed".to_owned(),
        verdicts(&run, &["authentication", "push"]),
    ]);
    check_section("nerdctl-seed-read-only", &rows);
}

#[test]
fn without_a_credential_nerdctl_push_fails_and_regauth_says_log_in_first() {
    let Some(seed) = Seed::start("seed-none") else { return };
    let image = seed.image(REPO);
    seed.build(&image);
    let push = seed.run(&["push", &image]);
    let said = text(&push);
    assert!(!push.status.success(), "an anonymous push worked: {said}");
    assert!(said.contains("push access denied") && said.contains("insufficient_scope"), "{said}");
    let run = seed.diagnose(&image);
    assert_ne!(run.code, 0, "{}", run.all_output());
    assert_eq!(run.code, 3, "{}", run.all_output());
    assert_eq!(run.json()["credential"]["source"], "none", "{}", run.stdout);
    assert_eq!(run.verdict("credential"), "localConfig", "{}", run.stdout);
    assert!(run.step("credential")["summary"].as_str().unwrap().contains("nerdctl has no credential"));
    assert!(run.fix("credential").contains("Log in first"), "{}", run.stdout);
    assert_eq!(run.verdict("pull"), "authorizationDenied", "{}", run.stdout);
    assert!(seed.tags(REPO).is_empty());
    let row = [
        "nerdctl".to_owned(),
        nerdctl_version(),
        "push, not logged in".to_owned(),
        format!("fails: `{}`", fatal_message(&push.stderr)),
        format!("{}; fix: log in first", verdicts(&run, &["credential", "pull"])),
    ];
    check_section("nerdctl-seed-missing", &[row]);
}

#[test]
fn buildctl_pushes_through_the_helper() {
    let Some(seed) = Seed::start("seed-buildctl") else { return };
    seed.bed.tokens.set_user("me", read_write());
    assert!(seed.login(READ_WRITE).status.success());
    let repo = "me/built-by-buildctl";
    let context = scratch_context(seed.home.path(), "buildctl\n");
    let ctx = context.to_str().unwrap();
    let output = format!("type=image,name={},push=true,registry.insecure=true", seed.image(repo));
    let mut c = seed.ctd.buildctl(seed.home.path(), &support::helpers::path());
    c.env("REGAUTH_KEYUTILS_NAMESPACE", &seed.keys.name).args([
        "build",
        "--frontend",
        "dockerfile.v0",
        "--local",
        &format!("context={ctx}"),
        "--local",
        &format!("dockerfile={ctx}"),
        "--output",
        &output,
    ]);
    let out = run(c, "buildctl build");
    assert!(out.status.success(), "buildctl push: {}", text(&out));
    assert_eq!(seed.tags(repo), vec!["latest".to_owned()]);
    let asked = seed.bed.tokens.asked();
    assert!(asked.iter().any(|a| a.contains("user=me") && a.contains("push")), "{asked:?}");
    let row = [
        "buildctl".to_owned(),
        format!(
            "buildctl/buildkitd {} (containerd worker)",
            pinned_version("seed", "github.com/moby/buildkit")
        ),
        "build --output type=image,push=true, read-write token through regauth-keyutils".to_owned(),
        "pushed".to_owned(),
        "-".to_owned(),
    ];
    check_section("buildkit-seed-push", &[row]);
}

fn nerdctl_version() -> String {
    format!(
        "nerdctl {} on containerd {}",
        pinned_version("seed", "github.com/containerd/nerdctl/v2"),
        pinned_version("seed", "github.com/containerd/containerd/v2")
    )
}

/// `exit N, STEP VERDICT` for the steps that decided the run.
fn verdicts(run: &support::bed::Run, steps: &[&str]) -> String {
    let said: Vec<String> = steps.iter().map(|s| format!("{s} {}", run.verdict(s))).collect();
    format!("`regauth diagnose --client nerdctl --push`: exit {}, {}", run.code, said.join(", "))
}

/// Percent-encoding of a repository in a query, as containerd writes it (`/` -> `%2F`).
fn enc(repo: &str) -> String {
    repo.replace('/', "%2F")
}
