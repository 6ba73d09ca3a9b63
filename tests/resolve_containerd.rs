//! `regauth resolve --client containerd` against the real containerd v2.2.1 with its CRI image service on:
//! per row, containerd starts as root (private root, state and socket, CRI on, no CNI: pulls need none)
//! with the row's config.toml and hosts.toml files, `crictl pull` (cri-tools, tests/go/cri) asks its CRI
//! image service for an image of a registry on 127.0.0.1 whose token endpoint records who was sent and
//! refuses (tests/support/differential.rs), and regauth's prediction from the same files must equal what
//! was sent. Every row also has a docker config.json with a login for the registry in containerd's HOME,
//! which containerd must never read.

mod support;

#[path = "resolve_containerd/rows.rs"]
mod rows;

use rows::{Row, ROWS};
use std::ffi::OsStr;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use support::containerd::output_within;
use support::differential::{self, Seen};

/// The parts of config.toml every row shares: private directories, no NRI or tracing. `{V}` is the
/// row's config version, `{D}` its directory.
const BASE: &str = r#"version = {V}
root = "{D}/root"
state = "{D}/state"
disabled_plugins = ["io.containerd.nri.v1.nri", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "{D}/c.sock"
[ttrpc]
  address = "{D}/c.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "{D}/opt"
"#;

struct Programs {
    containerd: PathBuf,
    crictl: PathBuf,
}

/// containerd for one row, killed on drop.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Bed {
    programs: Programs,
    bed: differential::Bed,
}

impl Bed {
    fn start() -> Option<Bed> {
        if !support::need_root("containerd runs as root") {
            return None;
        }
        support::need_program("runc")?;
        let programs = Programs {
            containerd: support::go::need_peer("seed", "containerd")?,
            crictl: support::go::need_peer("cri", "crictl")?,
        };
        Some(Bed { programs, bed: differential::Bed::start() })
    }

    fn image(&self, row: &Row) -> String {
        row.image.unwrap_or("{H}/team/app:v1").replace("{H}", &self.bed.host())
    }

    /// The row's directory (short: the socket path is limited to 108 bytes) with config.toml, hosts.toml
    /// files and a docker config.json that must not count.
    fn prepare(&self, row: &Row) -> tempfile::TempDir {
        let dir = tempfile::Builder::new().prefix("cri").tempdir_in("/tmp").unwrap();
        let d = dir.path();
        let base = BASE.replace("{V}", &row.version.to_string()).replace("{D}", d.to_str().unwrap());
        let config = format!("{base}{}", self.bed.fill(row.cri, d));
        std::fs::write(d.join("config.toml"), config).unwrap();
        for (path, text) in row.files {
            let port = self.bed.registry.port.to_string();
            let path = d.join(self.bed.fill(&path.replace("{P}", &port), d));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, self.bed.fill(text, d)).unwrap();
        }
        std::fs::create_dir_all(d.join(".docker")).unwrap();
        let docker = self.bed.fill(r#"{"auths":{"{H}":{"auth":"{a:docker-config}"}}}"#, d);
        std::fs::write(d.join(".docker/config.json"), docker).unwrap();
        dir
    }

    /// containerd on the row's config; `None` when it exits (a config it refuses) before it listens.
    fn containerd(&self, dir: &Path) -> Option<Daemon> {
        let log = std::fs::File::create(dir.join("containerd.log")).unwrap();
        let mut c = support::command::clean(&self.programs.containerd);
        c.arg("--config")
            .arg(dir.join("config.toml"))
            .env("PATH", support::command::system_path())
            .env("HOME", dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        let mut daemon = Daemon(c.spawn().unwrap());
        let deadline = Instant::now() + Duration::from_secs(30);
        while UnixStream::connect(dir.join("c.sock")).is_err() {
            if daemon.0.try_wait().unwrap().is_some() {
                return None;
            }
            assert!(Instant::now() < deadline, "containerd did not listen in 30 s: {}", log_tail(dir));
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(daemon)
    }

    fn run_crictl(&self, dir: &Path, row: &Row) -> Seen {
        self.bed.reset();
        let Some(daemon) = self.containerd(dir) else { return self.bed.seen(false) };
        let socket = format!("unix://{}", dir.join("c.sock").display());
        std::fs::write(dir.join("crictl.yaml"), format!("image-endpoint: {socket}\n")).unwrap();
        let mut c = support::command::clean(&self.programs.crictl);
        c.env("HOME", dir).arg("--config").arg(dir.join("crictl.yaml"));
        c.args(["--image-endpoint", &socket, "--timeout", "8s", "pull", &self.image(row)]);
        let out = output_within(&mut c, Duration::from_secs(10));
        drop(daemon);
        let seen = self.bed.seen(out.status.code().is_none());
        eprintln!("  crictl: {}", String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or_default());
        seen
    }

    fn predict(&self, dir: &Path, row: &Row) -> (Seen, serde_json::Value) {
        let mut c = support::command::regauth();
        c.env("PATH", self.bed.path()).env("HOME", dir);
        let config = dir.join("config.toml");
        let more: [&OsStr; 2] = ["--containerd-config".as_ref(), config.as_os_str()];
        self.bed.predict_with(c, "containerd", &self.image(row), &more)
    }
}

fn log_tail(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("containerd.log")).unwrap_or_default();
    let lines: Vec<&str> =
        text.lines().filter(|l| l.contains("level=error") || l.contains("level=warn")).collect();
    lines.iter().rev().take(3).copied().collect::<Vec<_>>().join("\n    ")
}

#[test]
fn containerd_cri_does_what_resolve_predicts_in_every_row() {
    let Some(bed) = Bed::start() else { return };
    assert!(ROWS.len() >= 40, "the corpus shrank to {}", ROWS.len());
    let mut failures = Vec::new();
    let mut seen = Vec::new();
    for row in ROWS {
        let dir = bed.prepare(row);
        let real = bed.run_crictl(dir.path(), row);
        let (predicted, json) = bed.predict(dir.path(), row);
        eprintln!("containerd {}: real {real:?}, predicted {predicted:?}", row.name);
        seen.push((row.name, differential::describe(&real)));
        if real != predicted {
            failures.push(format!(
                "{}: containerd did {real:?}, regauth predicted {predicted:?}\n  resolve: {json}\n  containerd: {}",
                row.name,
                log_tail(dir.path())
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
    let version = support::clients_doc::pinned_version("seed", "github.com/containerd/containerd/v2");
    let rows = differential::doc_rows("containerd CRI (crictl pull)", &version, &seen);
    support::clients_doc::check_section("containerd-cri-lookup", &rows);
}
