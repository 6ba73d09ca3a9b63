//! `regauth resolve --client podman|buildah|skopeo` against the real programs, over a table of
//! configurations: logging helpers record which helper each real client asked with which key, and a fake
//! registry on 127.0.0.1 records the username the client sent (Basic). Each client runs every row; a test
//! fails naming every row where the prediction and the real client differ.
//!
//! Docker Hub rows go through an HTTPS proxy on 127.0.0.1 that refuses every CONNECT, so nothing leaves
//! the machine: the helper asked (and its key) is observed, the username sent over TLS is not.

mod support;

#[path = "resolve_containers/rows.rs"]
mod rows;

use base64::Engine;
use rows::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use support::http_server::{Response, Server};

/// What a client did, or what regauth predicts it does.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    /// The username sent to the registry (`None`: anonymous; not observed for Docker Hub).
    user: Option<String>,
    /// The answering helper asked last, and the key (`None`: no helper answered).
    helper: Option<(String, String)>,
    /// The client stopped before talking to the registry (a configuration or helper problem).
    stopped: bool,
}

struct Bed {
    dir: tempfile::TempDir,
    registry: Server,
    proxy: Server,
    users: Arc<Mutex<Vec<Option<String>>>>,
}

fn basic_user(header: &str) -> Option<String> {
    let encoded = header.strip_prefix("Basic ")?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    Some(text.split_once(':')?.0.to_owned())
}

impl Bed {
    fn start(client: &str) -> Option<Bed> {
        support::need_program(client)?;
        let users = Arc::new(Mutex::new(Vec::new()));
        let log = users.clone();
        let registry = Server::start(move |request| {
            log.lock().unwrap().push(request.header("authorization").and_then(basic_user));
            Response {
                status: 401,
                body: r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#.into(),
                headers: vec![("WWW-Authenticate", r#"Basic realm="differential""#.into())],
            }
        });
        let proxy = Server::start(|_| Response { status: 403, body: String::new(), headers: vec![] });
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let log = dir.path().join("helpers.log");
        for name in ["loga", "logb"] {
            support::write_script(
                &bin.join(format!("docker-credential-{name}")),
                &format!(
                    "key=$(cat)\necho \"{name} $1 $key\" >> {log}\n[ \"$1\" = get ] || exit 0\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"{name}\",\"Secret\":\"pw\"}}\\n' \"$key\"",
                    log = log.display()
                ),
            );
        }
        support::write_script(
            &bin.join("docker-credential-nf"),
            &format!(
                "key=$(cat)\necho \"nf $1 $key\" >> {}\necho 'credentials not found in native keychain'\nexit 1",
                log.display()
            ),
        );
        support::write_script(
            &bin.join("docker-credential-broken"),
            &format!("key=$(cat)\necho \"broken $1 $key\" >> {}\necho 'backend down'\nexit 1", log.display()),
        );
        Some(Bed { dir, registry, proxy, users })
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.registry.port)
    }

    fn fill(&self, text: &str, home: &Path) -> String {
        let mut out = text.replace("{H}", &self.host()).replace("{D}", home.to_str().unwrap());
        for form in ["{a:", "{p:", "{n:"] {
            while let Some(start) = out.find(form) {
                let end = start + out[start..].find('}').unwrap();
                let user = &out[start + 3..end];
                let mut encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:pw"));
                match form {
                    "{p:" => encoded = encoded.trim_end_matches('=').to_owned(),
                    "{n:" => encoded.insert_str(4, "\\n"),
                    _ => {}
                }
                out.replace_range(start..=end, &encoded);
            }
        }
        out
    }

    /// A fresh home for `row`: its files, an empty user registries.conf unless the row has one (so the
    /// machine's /etc/containers/registries.conf is read by neither side), the runtime dir.
    fn home(&self, index: usize, row: &Row) -> PathBuf {
        let home = self.dir.path().join(format!("r{index}"));
        std::fs::create_dir_all(home.join("run")).unwrap();
        let regconf = home.join(REGCONF);
        std::fs::create_dir_all(regconf.parent().unwrap()).unwrap();
        std::fs::write(&regconf, "").unwrap();
        for (path, text) in row.files {
            let path = home.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, self.fill(text, &home)).unwrap();
        }
        home
    }

    fn image(&self, row: &Row) -> String {
        if row.hub {
            "docker.io/library/app:v1".into()
        } else {
            format!("{}/team/app:v1", self.host())
        }
    }

    fn command(&self, program: impl AsRef<std::ffi::OsStr>, home: &Path, row: &Row) -> Command {
        let mut c = support::command::clean(program);
        c.env("PATH", support::path_with(&self.dir.path().join("bin")))
            .env("HOME", home)
            .env("XDG_RUNTIME_DIR", home.join("run"))
            .env("HTTPS_PROXY", format!("http://127.0.0.1:{}", self.proxy.port))
            .env("HTTP_PROXY", format!("http://127.0.0.1:{}", self.proxy.port));
        for (name, value) in row.env {
            c.env(name, self.fill(value, home));
        }
        c
    }

    fn run_client(&self, client: &str, home: &Path, row: &Row) -> (Seen, Output) {
        let _ = std::fs::remove_file(self.log());
        self.users.lock().unwrap().clear();
        let image = self.image(row);
        let storage = |c: &mut Command| {
            c.arg("--storage-driver")
                .arg("vfs")
                .arg("--root")
                .arg(home.join("root"))
                .arg("--runroot")
                .arg(home.join("rr"));
        };
        let mut c = self.command(client, home, row);
        if let Some(file) = row.registries_conf {
            c.arg("--registries-conf").arg(home.join(file));
        }
        match client {
            "podman" => {
                storage(&mut c);
                c.args(["--events-backend", "none", "pull", "--tls-verify=false", &image]);
            }
            "buildah" => {
                storage(&mut c);
                c.args(["pull", "--policy", "always", "--tls-verify=false", &image]);
            }
            _ => {
                c.args(["inspect", "--raw", "--tls-verify=false", &format!("docker://{image}")]);
            }
        }
        let out = c.output().unwrap();
        let users = self.users.lock().unwrap().clone();
        // containers/image answers a Basic challenge even without a credential, as user "": anonymous.
        let user = users.iter().flatten().find(|u| !u.is_empty()).cloned();
        let helper = self.answered().pop();
        // Docker Hub rows never reach a registry; a stop there shows as no proxy attempt, not observed.
        let stopped = !row.hub && users.is_empty();
        (Seen { user: if row.hub { None } else { user }, helper, stopped }, out)
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("helpers.log")
    }

    /// (helper, key) of each `get` a helper that answers (loga, logb) was asked.
    fn answered(&self) -> Vec<(String, String)> {
        let text = std::fs::read_to_string(self.log()).unwrap_or_default();
        text.lines()
            .filter_map(|l| {
                let mut parts = l.splitn(3, ' ');
                let (name, action, key) = (parts.next()?, parts.next()?, parts.next()?);
                (action == "get" && name.starts_with("log")).then(|| (name.to_owned(), key.to_owned()))
            })
            .collect()
    }

    fn predict(&self, client: &str, home: &Path, row: &Row) -> (Seen, serde_json::Value) {
        let mut c = self.command(support::command::regauth_bin(), home, row);
        c.args(["resolve", &self.image(row), "--client", client, "--json"]);
        if let Some(file) = row.registries_conf {
            c.arg("--registries-conf").arg(home.join(file));
        }
        let out = c.output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{}: resolve printed no JSON ({e}): {out:?}", row.name));
        let p = v["clients"][0].clone();
        let status = p["outcome"]["status"].as_str().unwrap_or_default();
        let user =
            (status == "found" && !row.hub).then(|| p["outcome"]["username"].as_str().unwrap().to_owned());
        let from_helper = matches!(p["source"].as_str(), Some("credHelpers" | "registriesConf"));
        let helper = (status == "found" && from_helper).then(|| {
            (p["helper"]["name"].as_str().unwrap().to_owned(), p["key"].as_str().unwrap().to_owned())
        });
        let stopped = !row.hub && !matches!(status, "found" | "notFound");
        (Seen { user, helper, stopped }, p)
    }
}

fn differential(client: &str) {
    let Some(bed) = Bed::start(client) else { return };
    assert!(ROWS.len() >= 30);
    let mut failures = Vec::new();
    for (index, row) in ROWS.iter().enumerate() {
        let home = bed.home(index, row);
        let (real, out) = bed.run_client(client, &home, row);
        let (predicted, json) = bed.predict(client, &home, row);
        eprintln!("{client} {}: real {real:?}, predicted {predicted:?}", row.name);
        if real != predicted {
            failures.push(format!(
                "{}: {client} did {real:?}, regauth predicted {predicted:?}\n  resolve: {json}\n  {client} stderr: {}",
                row.name,
                String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or_default()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows differ:\n{}",
        failures.len(),
        ROWS.len(),
        failures.join("\n")
    );
}

#[test]
fn podman_does_what_resolve_predicts_in_every_row() {
    differential("podman");
}

#[test]
fn buildah_does_what_resolve_predicts_in_every_row() {
    differential("buildah");
}

#[test]
fn skopeo_does_what_resolve_predicts_in_every_row() {
    differential("skopeo");
}
