//! Golden files for the commands that have no golden test of their own (diagnose, resolve and audit
//! have theirs): each command's text and `--json` output on a private HOME, against a fake registry the
//! test owns where a command needs one, under tests/golden/<command>/ (`cache list` in cache-list/).
//! tests/golden_coverage.rs fails when a command of the clap tree has none.
//! Rewrite with: REGAUTH_BLESS=1 cargo test --test golden_commands

mod support;

use base64::Engine;
use support::golden::{run_record, Golden};
use support::hostile_server::{Action, HostileServer, Request};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

const USER: &str = "alice";
const PASSWORD: &str = "s3cret-pw-123";
const TOKEN: &str = "fake-bearer-token";

/// A registry with a token service: `alice`'s password gets a pull token, which the registry takes.
fn fake_registry() -> HostileServer {
    let basic =
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}")));
    HostileServer::start(move |req: &Request, base: &str| {
        let auth = req.header("authorization");
        match req.path() {
            "/token" if auth == Some(basic.as_str()) => Action::respond(
                200,
                &[("Content-Type", "application/json")],
                format!(r#"{{"token":"{TOKEN}","expires_in":300}}"#),
            ),
            "/token" => Action::respond(401, &[], r#"{"errors":[{"code":"UNAUTHORIZED","message":"no"}]}"#),
            _ if auth == Some(&format!("Bearer {TOKEN}")) => Action::respond(
                200,
                &[
                    ("Content-Type", "application/vnd.oci.image.manifest.v1+json"),
                    (
                        "Docker-Content-Digest",
                        "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                    ),
                ],
                "{}",
            ),
            _ => {
                let challenge = format!("Bearer realm=\"{base}/token\",service=\"fake\"");
                Action::respond(
                    401,
                    &[("WWW-Authenticate", &challenge)],
                    r#"{"errors":[{"code":"UNAUTHORIZED"}]}"#,
                )
            }
        }
    })
}

/// A private HOME: config.json with `alice`'s plaintext login for `registry`, regauth's helpers on PATH.
struct Home {
    dir: tempfile::TempDir,
    registry: String,
}

impl Home {
    fn new(registry: &str) -> Home {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let built = support::command::regauth_bin();
        for helper in ["env", "cache"] {
            let name = format!("docker-credential-regauth-{helper}");
            std::os::unix::fs::symlink(built.with_file_name(&name), bin.join(&name)).unwrap();
        }
        for sub in [".docker", "cache", "config", "run"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        let home = Home { dir, registry: registry.to_owned() };
        home.reset();
        home
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn config(&self) -> PathBuf {
        self.path().join(".docker/config.json")
    }

    /// config.json as each run starts from.
    fn reset(&self) {
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
        std::fs::write(self.config(), format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, self.registry))
            .unwrap();
        // Not the umask's: the audit's findings depend on the mode.
        std::fs::set_permissions(self.config(), std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        let _ = std::fs::remove_dir_all(self.path().join("config/regauth"));
    }

    fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut command = support::command::regauth();
        command
            .args(args)
            .env("HOME", self.path())
            .env("PATH", self.path().join("bin"))
            .env("XDG_CACHE_HOME", self.path().join("cache"))
            .env("XDG_CONFIG_HOME", self.path().join("config"))
            .env("XDG_RUNTIME_DIR", self.path().join("run"))
            .env("REGAUTH_CERTS_D", self.path().join("certs.d"))
            .env("REGAUTH_TOKEN_CACHE", "file")
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }
}

/// Unix times and durations that differ per run, as placeholders.
fn steady(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("\"expiresAt\": ") {
        let (head, tail) = rest.split_at(at + "\"expiresAt\": ".len());
        out.push_str(head);
        let digits = tail.chars().take_while(char::is_ascii_digit).count();
        out.push_str(if digits > 0 { "\"<unix time>\"" } else { "" });
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

/// Each `(golden name, arguments, stdin)` run twice, as text and with --json (when `json`), each from
/// the same starting config.json.
struct Case<'a> {
    group: &'a str,
    name: &'a str,
    args: Vec<&'a str>,
    stdin: &'a str,
    json: bool,
}

fn case<'a>(group: &'a str, name: &'a str, args: &[&'a str], stdin: &'a str, json: bool) -> Case<'a> {
    Case { group, name, args: args.to_vec(), stdin, json }
}

#[test]
fn every_command_s_text_and_json_match_the_golden_files() {
    let server = fake_registry();
    let host = server.host();
    let port = host.rsplit(':').next().unwrap().to_owned();
    let home = Home::new(&host);
    let image = format!("{host}/team/app:v1");
    // audit merge reads reports: this home's own.
    let report = home.path().join("report.json");
    std::fs::write(&report, home.run(&["audit", "--json"], "").stdout).unwrap();
    let report = report.to_str().unwrap();
    let cases = [
        case("status", "offline", &["status", "--offline"], "", true),
        case("status", "online", &["status"], "", true),
        case("token", "pull", &["token", &image, "--no-cache"], "", true),
        case(
            "token",
            "wrong-password",
            &["token", &image, "-u", USER, "--password-stdin", "--no-cache"],
            "nope-wrong-1",
            true,
        ),
        case(
            "login",
            "plaintext",
            &["login", &host, "-u", USER, "--password-stdin", "--plaintext"],
            PASSWORD,
            true,
        ),
        case(
            "login",
            "wrong-password",
            &["login", &host, "-u", USER, "--password-stdin", "--plaintext"],
            "nope-wrong-1",
            true,
        ),
        case("logout", "file", &["logout", &host], "", true),
        case("logout", "nothing", &["logout", "quay.io"], "", true),
        case("migrate", "dry-run", &["migrate", "--dry-run", "--to", "regauth-env"], "", true),
        case("migrate", "read-only-store", &["migrate", "--to", "regauth-env"], "", true),
        case("export", "dockerconfigjson", &["export", &image, "--format", "dockerconfigjson"], "", false),
        case("cache-list", "empty", &["cache", "list"], "", true),
        case("cache-clear", "all", &["cache", "clear"], "", true),
        case("helpers-list", "none", &["helpers", "list"], "", true),
        case("helpers-set", "registry", &["helpers", "set", "regauth-env", "--registry", &host], "", true),
        case("helpers-unset", "registry", &["helpers", "unset", "--registry", &host], "", true),
        case(
            "helpers-wrap",
            "registry",
            &["helpers", "wrap", "--inner", "regauth-env", "--registry", &host],
            "",
            true,
        ),
        case("helpers-unwrap", "registry", &["helpers", "unwrap", "--registry", &host], "", true),
        case("helper-test", "read-only", &["helper-test", "regauth-env"], "", true),
        case("completions", "bash", &["completions", "bash"], "", false),
        // audit's JSON has golden files of its own (tests/audit_cli.rs); its text report here.
        case("audit", "cli-plaintext-login", &["audit"], "", false),
        case("audit-merge", "one-report", &["audit", "merge", report], "", true),
    ];
    let mut goldens: Vec<(String, Golden)> = Vec::new();
    for case in &cases {
        let at = match goldens.iter().position(|(g, _)| g == case.group) {
            Some(at) => at,
            None => {
                let mut golden = Golden::new(case.group);
                golden.replace(home.path().to_str().unwrap(), "$HOME");
                golden.replace(format!(":{port}"), ":<port>");
                let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
                golden.replace(host.trim(), "$HOST");
                goldens.push((case.group.to_owned(), golden));
                goldens.len() - 1
            }
        };
        let golden = &mut goldens[at].1;
        home.reset();
        let out = home.run(&case.args, case.stdin);
        if case.group == "completions" {
            // The script itself is completions/regauth.bash, kept by tests/man_pages.rs: only its start here.
            let head: String =
                String::from_utf8_lossy(&out.stdout).lines().take(3).map(|l| format!("{l}\n")).collect();
            golden.check_text(case.name, out.status.code(), head.as_bytes(), &out.stderr);
            continue;
        }
        golden.check_text(
            case.name,
            out.status.code(),
            steady(&String::from_utf8_lossy(&out.stdout)).as_bytes(),
            &out.stderr,
        );
        if case.json {
            home.reset();
            let mut args = case.args.clone();
            args.push("--json");
            let out = home.run(&args, case.stdin);
            let record = run_record(out.status.code(), &out.stdout);
            golden.check(case.name, &steady(&record));
            let stdout: serde_json::Value = serde_json::from_slice(&out.stdout)
                .unwrap_or_else(|e| panic!("{:?}: not JSON ({e})", case.args));
            assert_eq!(stdout["exitCode"], out.status.code().unwrap(), "{:?}", case.args);
            assert!(stdout["schemaVersion"].is_u64(), "{:?}", case.args);
        }
    }
    for (_, golden) in &mut goldens {
        golden.finish();
    }
}
