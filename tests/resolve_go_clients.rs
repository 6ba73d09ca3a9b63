//! `regauth resolve --client crane|oras|helm|regctl` against the real programs (pinned and built from
//! tests/go/*), over one table of configurations: logging helpers record every `get` each real client made
//! (helper and key, in order), and a registry on 127.0.0.1 with its own token endpoint records what was
//! sent (a Basic username at the token endpoint, a refresh-token grant, or a registry token sent as is).
//! A test fails naming every row where the prediction and the real client differ, and writes the client's
//! row of docs/clients.md's result table to target/go-clients-results/<client>.md.

mod support;

use base64::Engine;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::http_server::{Request, Response, Server};

#[path = "resolve_go_clients/rows.rs"]
mod rows;
use rows::{Row, ROWS};

/// What a client did, or what regauth predicts it does.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    /// What was sent: a username, `<identity>` (a refresh-token grant) or `<registry-token>`; `None`:
    /// anonymous.
    user: Option<String>,
    /// Every helper `get`, in order: (helper, key).
    asked: Vec<(String, String)>,
    /// The client stopped before asking for a token (a configuration or helper error).
    stopped: bool,
    /// The client was still waiting (on a hanging helper) when the test gave up on it.
    hung: bool,
}

#[derive(Debug, Clone)]
enum Event {
    Token(Option<String>),
    RegistryToken,
}

struct Bed {
    dir: tempfile::TempDir,
    registry: Server,
    events: Arc<Mutex<Vec<Event>>>,
}

fn basic_user(header: &str) -> Option<String> {
    let encoded = header.strip_prefix("Basic ")?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    Some(text.split_once(':')?.0.to_owned())
}

fn handle(request: &Request, port: u16, events: &Mutex<Vec<Event>>) -> Response {
    let auth = request.header("authorization").unwrap_or_default().to_owned();
    if request.path().starts_with("/token") {
        let who = if request.body.contains("refresh_token=") {
            Some("<identity>".to_owned())
        } else {
            basic_user(&auth)
        };
        events.lock().unwrap().push(Event::Token(who));
        return Response {
            status: 200,
            body: r#"{"token":"granted","access_token":"granted","expires_in":300}"#.into(),
            headers: vec![("Content-Type", "application/json".into())],
        };
    }
    if auth == "Bearer granted" {
        return Response {
            status: 404,
            body: r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#.into(),
            headers: vec![("Content-Type", "application/json".into())],
        };
    }
    if auth.starts_with("Bearer ") {
        events.lock().unwrap().push(Event::RegistryToken);
    }
    Response {
        status: 401,
        body: r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#.into(),
        headers: vec![(
            "WWW-Authenticate",
            format!(r#"Bearer realm="http://127.0.0.1:{port}/token",service="differential""#),
        )],
    }
}

/// A logging helper: records `NAME ACTION KEY`; `get` answers `ANSWER`, `list` prints `$HOME/list-NAME.json`.
fn helper_script(name: &str, log: &Path, answer: &str) -> String {
    format!(
        "key=$(cat)\necho \"{name} $1 $key\" >> {log}\n\
         if [ \"$1\" = list ]; then cat \"$HOME/list-{name}.json\" 2>/dev/null || echo '{{}}'; exit 0; fi\n\
         [ \"$1\" = get ] || exit 0\n{answer}",
        log = log.display()
    )
}

impl Bed {
    fn start() -> Bed {
        let events = Arc::new(Mutex::new(Vec::new()));
        let port = Arc::new(AtomicU16::new(0));
        let (log, at) = (events.clone(), port.clone());
        let registry = Server::start(move |request| handle(request, at.load(Ordering::SeqCst), &log));
        port.store(registry.port, Ordering::SeqCst);
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        let tools = dir.path().join("tools");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(&tools).unwrap();
        // The tools the helper scripts use, and nothing else: whether `pass` is on PATH is up to a row.
        for tool in ["cat", "sleep"] {
            let real =
                ["/usr/bin", "/bin"].iter().map(|d| Path::new(d).join(tool)).find(|p| p.exists()).unwrap();
            std::os::unix::fs::symlink(real, tools.join(tool)).unwrap();
        }
        let log = dir.path().join("helpers.log");
        let answer = |user: &str| {
            format!("printf '{{\"ServerURL\":\"%s\",\"Username\":\"{user}\",\"Secret\":\"pw\"}}\\n' \"$key\"")
        };
        let scripts = [
            ("loga", answer("loga")),
            ("logb", answer("logb")),
            ("tok", answer("<token>")),
            ("empty", "printf '{\"ServerURL\":\"%s\",\"Username\":\"\",\"Secret\":\"\"}\\n' \"$key\"".into()),
            ("nf", "echo 'credentials not found in native keychain'\nexit 1".into()),
            ("broken", "echo 'backend down'\nexit 1".into()),
            ("hang", "exec sleep 30".into()),
        ];
        for (name, body) in scripts {
            support::write_script(
                &bin.join(format!("docker-credential-{name}")),
                &helper_script(name, &log, &body),
            );
        }
        Bed { dir, registry, events }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.registry.port)
    }

    fn fill(&self, text: &str, home: &Path) -> String {
        let mut out = text.replace("{H}", &self.host()).replace("{D}", home.to_str().unwrap());
        while let Some(start) = out.find("{a:") {
            let end = start + out[start..].find('}').unwrap();
            let user = &out[start + 3..end];
            let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:pw"));
            out.replace_range(start..=end, &encoded);
        }
        out
    }

    /// A fresh home for `row` (files under `bin/` are made executable and come first on PATH).
    fn home(&self, client: &str, index: usize, row: &Row) -> PathBuf {
        let home = self.dir.path().join(format!("{client}-{index}"));
        std::fs::create_dir_all(home.join("run")).unwrap();
        std::fs::create_dir_all(home.join("bin")).unwrap();
        for (path, text) in row.files {
            let full = home.join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            if path.starts_with("bin/") {
                let name = path.trim_start_matches("bin/docker-credential-");
                support::write_script(&full, &helper_script(name, &self.log(), &self.fill(text, &home)));
            } else {
                std::fs::write(&full, self.fill(text, &home)).unwrap();
            }
        }
        home
    }

    fn command(&self, program: impl AsRef<std::ffi::OsStr>, home: &Path, row: &Row) -> Command {
        let mut c = support::command::clean(program);
        let path = std::env::join_paths([
            home.join("bin"),
            self.dir.path().join("bin"),
            self.dir.path().join("tools"),
        ]);
        c.env("PATH", path.unwrap()).env("HOME", home).env("XDG_RUNTIME_DIR", home.join("run"));
        for (name, value) in row.env {
            c.env(name, self.fill(value, home));
        }
        c
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("helpers.log")
    }

    /// Every `get` logged since the last call, (helper, key) in order.
    fn take_asked(&self) -> Vec<(String, String)> {
        let text = std::fs::read_to_string(self.log()).unwrap_or_default();
        let _ = std::fs::remove_file(self.log());
        text.lines()
            .filter_map(|l| {
                let mut parts = l.splitn(3, ' ');
                let (name, action, key) = (parts.next()?, parts.next()?, parts.next()?);
                (action == "get").then(|| (name.to_owned(), key.to_owned()))
            })
            .collect()
    }

    fn run_client(&self, client: &str, program: &Path, home: &Path, row: &Row) -> (Seen, String) {
        self.take_asked();
        self.events.lock().unwrap().clear();
        let host = self.host();
        let mut c = self.command(program, home, row);
        match client {
            "crane" => c.args(["manifest", "--insecure", &format!("{host}/team/app:v1")]),
            "oras" => c.args(["manifest", "fetch", "--plain-http", &format!("{host}/team/app:v1")]),
            "helm" => {
                c.args(["pull", &format!("oci://{host}/team/app"), "--version", "1.0.0", "--plain-http"])
            }
            _ => c.args([
                "--host",
                &format!("reg={host},tls=disabled"),
                "manifest",
                "get",
                &format!("{host}/team/app:v1"),
            ]),
        };
        let (hung, stderr) = run_with_deadline(c, Duration::from_secs(5));
        let events = self.events.lock().unwrap().clone();
        let user = events.iter().find_map(|e| match e {
            Event::Token(Some(user)) => Some(user.clone()),
            Event::RegistryToken => Some("<registry-token>".to_owned()),
            Event::Token(None) => None,
        });
        let stopped = !hung && events.is_empty();
        (Seen { user, asked: self.take_asked(), stopped, hung }, stderr)
    }

    fn predict(&self, client: &str, home: &Path, row: &Row) -> (Seen, serde_json::Value) {
        let out = self
            .command(support::command::regauth_bin(), home, row)
            .args(["resolve", &format!("{}/team/app:v1", self.host()), "--client", client, "--json"])
            .args(["--helper-timeout", "2"])
            .output()
            .unwrap();
        let _ = self.take_asked();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{}: resolve printed no JSON ({e}): {out:?}", row.name));
        let p = v["clients"][0].clone();
        let status = p["outcome"]["status"].as_str().unwrap_or_default();
        let user = (status == "found").then(|| match p["outcome"]["kind"].as_str() {
            Some("identityToken") => "<identity>".to_owned(),
            Some("registryToken") => "<registry-token>".to_owned(),
            _ => p["outcome"]["username"].as_str().unwrap().to_owned(),
        });
        let asked = p["asked"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|x| (x["helper"].as_str().unwrap().into(), x["key"].as_str().unwrap().into()))
                    .collect()
            })
            .unwrap_or_default();
        let hung = status == "helperTimedOut";
        let stopped = !hung && !matches!(status, "found" | "notFound");
        (Seen { user, asked, stopped, hung }, p)
    }
}

/// Run `c` to its end or `limit`; (gave up, last stderr line). The client and whatever it started are
/// killed as one process group.
fn run_with_deadline(mut c: Command, limit: Duration) -> (bool, String) {
    use std::os::unix::process::CommandExt;
    let err = tempfile::NamedTempFile::new().unwrap();
    c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(err.reopen().unwrap()).process_group(0);
    let mut child = c.spawn().unwrap();
    let started = Instant::now();
    let hung = loop {
        if child.try_wait().unwrap().is_some() {
            break false;
        }
        if started.elapsed() > limit {
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status();
            let _ = child.wait();
            break true;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = std::fs::read_to_string(err.path()).unwrap_or_default();
    (hung, text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default().chars().take(300).collect())
}

fn differential(client: &str, module: &str, upstream: &str) {
    let Some(program) = support::go::need_peer(module, client) else { return };
    let bed = Bed::start();
    assert!(ROWS.len() >= 40);
    let mut failures = Vec::new();
    for (index, row) in ROWS.iter().enumerate() {
        let home = bed.home(client, index, row);
        let (real, stderr) = bed.run_client(client, &program, &home, row);
        let (mut predicted, json) = bed.predict(client, &home, row);
        eprintln!("{client} {}: real {real:?}, predicted {predicted:?}", row.name);
        if row.random.contains(&client) {
            if !json["notes"].to_string().contains("random") {
                failures.push(format!(
                    "{}: {client}'s choice is random, and regauth does not say so: {json}",
                    row.name
                ));
            }
            predicted.user.clone_from(&real.user);
        }
        if real != predicted {
            failures.push(format!(
                "{}: {client} did {real:?}, regauth predicted {predicted:?}\n  resolve: {json}\n  {client} stderr: {stderr}",
                row.name
            ));
        }
    }
    record(client, module, &pinned(module, upstream), ROWS.len(), failures.len());
    assert!(
        failures.is_empty(),
        "{} of {} rows differ:\n{}",
        failures.len(),
        ROWS.len(),
        failures.join("\n")
    );
}

/// `upstream`'s version as tests/go/`module`/go.mod pins it (what was built and run).
fn pinned(module: &str, upstream: &str) -> String {
    let go_mod = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/go").join(module).join("go.mod");
    let text = std::fs::read_to_string(go_mod).unwrap();
    let line = text.lines().find(|l| l.trim_start().starts_with(&format!("{upstream} "))).unwrap();
    format!("{upstream} {}", line.split_whitespace().nth(1).unwrap())
}

/// The client's row of docs/clients.md's table (client, version, result), for the docs to be copied from.
fn record(client: &str, module: &str, version: &str, rows: usize, failed: usize) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/go-clients-results");
    std::fs::create_dir_all(&dir).unwrap();
    let result =
        if failed == 0 { format!("{rows} of {rows} agree") } else { format!("{failed} of {rows} differ") };
    let line = format!("| {client} | {version} (tests/go/{module}) | {result} |\n");
    std::fs::write(dir.join(format!("{client}.md")), line).unwrap();
}

#[test]
fn crane_does_what_resolve_predicts_in_every_row() {
    differential("crane", "clients", "github.com/google/go-containerregistry");
}

#[test]
fn oras_does_what_resolve_predicts_in_every_row() {
    differential("oras", "oras", "oras.land/oras");
}

#[test]
fn helm_does_what_resolve_predicts_in_every_row() {
    differential("helm", "helm", "helm.sh/helm/v4");
}

#[test]
fn regctl_does_what_resolve_predicts_in_every_row() {
    differential("regctl", "regctl", "github.com/regclient/regclient");
}
