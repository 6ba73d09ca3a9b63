//! The seed's toolchain as real daemons: containerd (root, private root/state/socket, CRI and NRI off, the
//! native snapshotter) and buildkitd on it (containerd worker, host network), with `nerdctl` commands pointed
//! at them and a private HOME. Programs come from tests/go/seed (scripts/build-go-peers); runc from Debian.
//! Both daemons are killed, and their directories removed, on drop.

use super::go::need_peer;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The containerd namespace the seed builds and pushes in (`nerdctl -n k8s.io`).
pub const NAMESPACE: &str = "k8s.io";

/// The seed's programs, built; `None` (after a skip) when something is missing.
pub struct Programs {
    pub containerd: PathBuf,
    pub nerdctl: PathBuf,
    pub buildkitd: PathBuf,
    pub buildctl: PathBuf,
}

impl Programs {
    pub fn find() -> Option<Programs> {
        if !super::need_root("containerd and buildkitd run as root") {
            return None;
        }
        super::need_program("runc")?;
        Some(Programs {
            containerd: need_peer("seed", "containerd")?,
            nerdctl: need_peer("seed", "nerdctl")?,
            buildkitd: need_peer("seed", "buildkitd")?,
            buildctl: need_peer("seed", "buildctl")?,
        })
    }

    /// The directory holding them (for PATH: nerdctl build runs `buildctl`).
    pub fn bin_dir(&self) -> &Path {
        self.nerdctl.parent().unwrap()
    }
}

/// A process killed (and reaped) on drop.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// containerd, and buildkitd on it when asked for.
pub struct Containerd {
    // Field order: buildkitd stops before containerd, both before the directory goes.
    buildkitd: Option<Daemon>,
    containerd: Daemon,
    pub programs: Programs,
    pub dir: tempfile::TempDir,
}

fn wait_for_socket(path: &Path, daemon: &mut Child, log: &Path, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while UnixStream::connect(path).is_err() {
        if let Ok(Some(status)) = daemon.try_wait() {
            panic!("{what} exited ({status}): {}", std::fs::read_to_string(log).unwrap_or_default());
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on {} in 30 s: {}",
            path.display(),
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn spawn_logged(mut command: Command, log: &Path) -> Child {
    let file = std::fs::File::create(log).unwrap();
    command.stdin(Stdio::null()).stdout(file.try_clone().unwrap()).stderr(file);
    command.spawn().unwrap_or_else(|e| panic!("start {command:?}: {e}"))
}

impl Containerd {
    /// containerd alone (enough for pull and push); `None` after a skip.
    pub fn start() -> Option<Containerd> {
        let programs = Programs::find()?;
        // A short path: unix socket paths are limited to 108 bytes.
        let dir = tempfile::Builder::new().prefix("ctd").tempdir_in("/tmp").unwrap();
        let d = dir.path().display().to_string();
        let config = format!(
            r#"version = 3
root = "{d}/root"
state = "{d}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.images", "io.containerd.cri.v1.runtime", "io.containerd.nri.v1.nri", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "{d}/c.sock"
[ttrpc]
  address = "{d}/c.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "{d}/opt"
"#
        );
        std::fs::write(dir.path().join("config.toml"), config).unwrap();
        let log = dir.path().join("containerd.log");
        let mut command = super::command::clean(&programs.containerd);
        command
            .arg("--config")
            .arg(dir.path().join("config.toml"))
            .env("PATH", super::command::system_path());
        let mut child = spawn_logged(command, &log);
        wait_for_socket(&dir.path().join("c.sock"), &mut child, &log, "containerd");
        Some(Containerd { buildkitd: None, containerd: Daemon(child), programs, dir })
    }

    /// containerd with buildkitd on it (its containerd worker in [`NAMESPACE`], native snapshotter, host
    /// network: FROM scratch builds need no CNI).
    pub fn start_with_buildkit() -> Option<Containerd> {
        Containerd::start_with_buildkit_config("")
    }

    /// The same with `toml` as buildkitd.toml (e.g. `[registry."127.0.0.1:PORT"]` with `http = true`).
    pub fn start_with_buildkit_config(toml: &str) -> Option<Containerd> {
        let mut c = Containerd::start()?;
        std::fs::write(c.dir.path().join("buildkitd.toml"), toml).unwrap();
        c.start_buildkitd();
        Some(c)
    }

    /// A new buildkitd in place of the running one (same config and root): it forgets the registry
    /// authorizers it shares between sessions, so one test row cannot answer for the next.
    pub fn restart_buildkitd(&mut self) {
        self.buildkitd = None;
        self.start_buildkitd();
    }

    fn start_buildkitd(&mut self) {
        let d = self.dir.path().to_path_buf();
        let log = d.join("buildkitd.log");
        let mut command = super::command::clean(&self.programs.buildkitd);
        command
            .arg("--config")
            .arg(d.join("buildkitd.toml"))
            .arg("--root")
            .arg(d.join("buildkit"))
            .arg("--addr")
            .arg(format!("unix://{}", d.join("bk.sock").display()))
            // Its trace socket defaults to /run/buildkit/otel-grpc.sock, one path for every buildkitd on
            // the machine: a second one (another test) or a stale socket stops it with EADDRINUSE.
            .arg("--otel-socket-path")
            .arg(d.join("otel.sock"))
            .args(["--oci-worker=false", "--containerd-worker=true"])
            .arg("--containerd-worker-addr")
            .arg(d.join("c.sock"))
            .args(["--containerd-worker-namespace", NAMESPACE])
            .args(["--containerd-worker-snapshotter", "native", "--containerd-worker-net", "host"])
            .env("PATH", super::command::system_path())
            .env("HOME", d.join("bkhome"))
            .env("OTEL_SDK_DISABLED", "true");
        let _ = std::fs::remove_file(d.join("bk.sock"));
        let _ = std::fs::remove_file(d.join("otel.sock"));
        let mut child = spawn_logged(command, &log);
        wait_for_socket(&d.join("bk.sock"), &mut child, &log, "buildkitd");
        self.buildkitd = Some(Daemon(child));
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("c.sock")
    }

    pub fn buildkit_host(&self) -> String {
        format!("unix://{}", self.dir.path().join("bk.sock").display())
    }

    /// `nerdctl` on this containerd, namespace [`NAMESPACE`], the native snapshotter, its own data root and
    /// an empty nerdctl.toml, with `home` as HOME and `home/.docker` as DOCKER_CONFIG; PATH is `path`
    /// (helpers first) with the seed's programs after it.
    pub fn nerdctl(&self, home: &Path, path: &std::ffi::OsStr) -> Command {
        let toml = self.dir.path().join("nerdctl.toml");
        if !toml.exists() {
            std::fs::write(&toml, "").unwrap();
        }
        let mut paths: Vec<PathBuf> = std::env::split_paths(path).collect();
        paths.push(self.programs.bin_dir().to_path_buf());
        let mut c = super::command::clean(&self.programs.nerdctl);
        c.env("PATH", std::env::join_paths(paths).unwrap())
            .env("HOME", home)
            .env("DOCKER_CONFIG", home.join(".docker"))
            .env("NERDCTL_TOML", toml)
            .env("BUILDKIT_HOST", self.buildkit_host())
            .arg("--address")
            .arg(self.socket())
            .args(["--namespace", NAMESPACE, "--snapshotter", "native"])
            .arg("--data-root")
            .arg(self.dir.path().join("nerdctl"))
            .arg("--hosts-dir")
            .arg(self.dir.path().join("certs.d"))
            .stdin(Stdio::null());
        c
    }

    /// `buildctl` against this buildkitd, with `home` as HOME and DOCKER_CONFIG under it.
    pub fn buildctl(&self, home: &Path, path: &std::ffi::OsStr) -> Command {
        let mut c = super::command::clean(&self.programs.buildctl);
        c.env("PATH", path)
            .env("HOME", home)
            .env("DOCKER_CONFIG", home.join(".docker"))
            .arg("--addr")
            .arg(self.buildkit_host())
            .stdin(Stdio::null());
        c
    }
}

/// A build context for `FROM scratch` + `COPY` of one small file, whose content makes each image unique.
pub fn scratch_context(dir: &Path, content: &str) -> PathBuf {
    let context = dir.join("context");
    std::fs::create_dir_all(&context).unwrap();
    std::fs::write(context.join("hello.txt"), content).unwrap();
    std::fs::write(context.join("Dockerfile"), "FROM scratch\nCOPY hello.txt /hello.txt\n").unwrap();
    context
}

/// Run `command` (stdin as set) and collect its output; at `limit` its process group is killed and the
/// output so far returned with no exit code (`status.code()` is `None`): a client that hangs on a helper
/// hangs for ever, and the tests call that "hung".
pub fn output_within(command: &mut Command, limit: Duration) -> std::process::Output {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    command.stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
    let mut child = command.spawn().unwrap_or_else(|e| panic!("start {command:?}: {e}"));
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stdout.read_to_end(&mut v);
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stderr.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            // SAFETY: kill(2) on the group this test started; no memory is touched.
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    std::process::Output { status, stdout: out.join().unwrap(), stderr: err.join().unwrap() }
}
