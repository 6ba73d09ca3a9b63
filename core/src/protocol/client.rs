//! Calling a `docker-credential-*` program the way docker does, but with a timeout, and telling apart the
//! outcomes docker lumps together: not found, helper missing, helper failed, helper hung.

use super::store::Listing;
use super::wire::{decode_credentials, Credentials};
use crate::protocol::ERR_CREDENTIALS_NOT_FOUND;
use crate::sanitize;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Long enough for a helper that unlocks a keyring or asks a cloud API, short enough that a hung helper
/// is named instead of hanging the caller.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HelperError {
    #[error("{program} has no credentials for {server_url}")]
    NotFound { program: String, server_url: String },
    #[error("{program} is not installed (not found on PATH)")]
    Missing { program: String },
    #[error("{program} failed: {message}")]
    Failed { program: String, message: String },
    #[error("{program} did not answer within {}s and was stopped", after.as_secs_f32())]
    TimedOut { program: String, after: Duration },
    #[error("{program} gave an answer that is not valid: {reason}")]
    BadResponse { program: String, reason: String },
}

/// A credential helper named as in config.json (`secretservice` runs `docker-credential-secretservice`).
#[derive(Debug, Clone)]
pub struct HelperClient {
    name: String,
    path: Option<OsString>,
    timeout: Duration,
}

impl HelperClient {
    /// `path` is the PATH to search (None: this process's PATH).
    pub fn new(name: &str, path: Option<OsString>, timeout: Duration) -> HelperClient {
        HelperClient { name: name.to_owned(), path, timeout }
    }

    pub fn program(&self) -> String {
        format!("docker-credential-{}", self.name)
    }

    /// Where the binary is on PATH, if anywhere.
    pub fn locate(&self) -> Option<PathBuf> {
        let path = self.path.clone().or_else(|| std::env::var_os("PATH"))?;
        find_on_path(&self.program(), &path)
    }

    pub fn get(&self, server_url: &str) -> Result<Credentials, HelperError> {
        let out = self.call("get", server_url.as_bytes())?;
        let creds = decode_credentials(out.as_bytes()).map_err(|e| self.bad(e.to_string()))?;
        // docker-credential-pass 0.6.4 answers a missing entry with exit 0 and empty fields.
        if creds.username.is_empty() && creds.secret.is_empty() {
            return Err(HelperError::NotFound { program: self.program(), server_url: server_url.to_owned() });
        }
        Ok(creds)
    }

    pub fn store(&self, creds: &Credentials) -> Result<(), HelperError> {
        let body = super::wire::encode_credentials(creds);
        self.call("store", body.as_bytes()).map(|_| ())
    }

    pub fn erase(&self, server_url: &str) -> Result<(), HelperError> {
        self.call("erase", server_url.as_bytes()).map(|_| ())
    }

    pub fn list(&self) -> Result<Listing, HelperError> {
        let out = self.call("list", b"unused")?;
        serde_json::from_str(&out).map_err(|e| self.bad(format!("list is not a JSON object of strings: {e}")))
    }

    pub fn version(&self) -> Result<String, HelperError> {
        self.call("version", b"").map(|s| sanitize::one_line(&s))
    }

    fn bad(&self, reason: String) -> HelperError {
        HelperError::BadResponse { program: self.program(), reason }
    }

    /// Run `program action` with `input` on stdin; stdout on exit 0, a classified error otherwise.
    fn call(&self, action: &str, input: &[u8]) -> Result<String, HelperError> {
        let program = self.program();
        let RawAnswer { exit_code, stdout: out, stderr: err } = self.run_raw(action, input)?;
        if exit_code == Some(0) {
            return Ok(out);
        }
        let message = out.trim();
        if message == ERR_CREDENTIALS_NOT_FOUND {
            let server_url =
                if action == "list" { String::new() } else { String::from_utf8_lossy(input).into() };
            return Err(HelperError::NotFound { program, server_url });
        }
        let mut message = sanitize::one_line(message);
        if message.is_empty() {
            message = sanitize::one_line(&err);
        }
        if message.is_empty() {
            message = format!("exit status {}", exit_code.map_or("signal".into(), |c| c.to_string()));
        }
        Err(HelperError::Failed { program, message })
    }

    /// Run `program action` with `input` on stdin and return what it did, unclassified: for checks of the
    /// protocol itself (`regauth helper-test`). Errors only when it cannot run, hangs, or floods.
    ///
    /// The timeout covers the whole exchange: writing the input, reading both outputs to their end and the
    /// exit. A helper is done when its output ends, not when it exits: a process it started that keeps
    /// stdout open holds the answer open too, so at the deadline the whole process group is killed and
    /// nothing waits for that output any longer. Standard output is capped at [`MAX_OUTPUT`] (a helper
    /// that streams forever is stopped there); only the first [`MAX_STDERR`] bytes of stderr are kept.
    pub fn run_raw(&self, action: &str, input: &[u8]) -> Result<RawAnswer, HelperError> {
        let program = self.program();
        let Some(binary) = self.locate() else {
            return Err(HelperError::Missing { program });
        };
        let mut command = Command::new(&binary);
        command.arg(action);
        match run_bounded(&mut command, input, self.timeout, MAX_OUTPUT) {
            Ok(done) => Ok(RawAnswer {
                exit_code: done.exit_code,
                stdout: String::from_utf8_lossy(&done.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&done.stderr).into_owned(),
            }),
            Err(RunError::Start(e)) => {
                Err(HelperError::Failed { program, message: format!("cannot start: {e}") })
            }
            Err(RunError::TimedOut) => Err(HelperError::TimedOut { program, after: self.timeout }),
            Err(RunError::Flood) => {
                Err(self.bad(format!("it wrote more than {MAX_OUTPUT} bytes on standard output")))
            }
            Err(RunError::Read(e)) => {
                Err(HelperError::Failed { program, message: format!("cannot read its output: {e}") })
            }
            Err(RunError::Wait(e)) => {
                Err(HelperError::Failed { program, message: format!("cannot wait for it: {e}") })
            }
        }
    }
}

/// What a program run by [`run_bounded`] did.
#[derive(Debug)]
pub struct Bounded {
    /// None when a signal ended it.
    pub exit_code: Option<i32>,
    pub stdout: Vec<u8>,
    /// At most [`MAX_STDERR`] bytes; the rest was read and dropped.
    pub stderr: Vec<u8>,
}

/// Why [`run_bounded`] gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot start: {0}")]
    Start(std::io::Error),
    #[error("did not finish in time and was stopped")]
    TimedOut,
    #[error("wrote more on standard output than is read")]
    Flood,
    #[error("cannot read its output: {0}")]
    Read(std::io::Error),
    #[error("cannot wait for it: {0}")]
    Wait(std::io::Error),
}

/// Run `command` with `input` on stdin, its stdout read up to `max_stdout` bytes and its stderr up to
/// [`MAX_STDERR`] (the rest dropped), everything within `timeout`.
///
/// The timeout covers the whole exchange: writing the input, reading both outputs to their end and the
/// exit. A program is done when its output ends, not when it exits: a process it started that keeps
/// stdout open holds the answer open too, so at the deadline the whole process group (the command runs
/// in its own) is killed and nothing waits for that output any longer. A program that writes more than
/// `max_stdout` is stopped there. The command's stdio is set here; its arguments and environment are the
/// caller's.
pub fn run_bounded(
    command: &mut Command,
    input: &[u8],
    timeout: Duration,
    max_stdout: usize,
) -> Result<Bounded, RunError> {
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Own process group, so a timeout also stops whatever the program started.
        .process_group(0)
        .spawn()
        .map_err(RunError::Start)?;
    let deadline = started + timeout;
    let outcome = exchange(&mut child, input, deadline, max_stdout);
    let stop = |child: &mut std::process::Child| {
        // SAFETY: kill(2) on the process group we created; no memory is touched.
        unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
        let _ = child.kill();
        let _ = child.wait();
    };
    let (stdout, stderr) = match outcome {
        Ok(outputs) => outputs,
        Err(stopped) => {
            stop(&mut child);
            return Err(match stopped {
                Stopped::Deadline => RunError::TimedOut,
                Stopped::Flood => RunError::Flood,
                Stopped::Io(e) => RunError::Read(e),
            });
        }
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                stop(&mut child);
                return Err(RunError::TimedOut);
            }
            Ok(None) => thread::sleep(poll_interval(started.elapsed())),
            Err(e) => {
                stop(&mut child);
                return Err(RunError::Wait(e));
            }
        }
    };
    Ok(Bounded { exit_code: status.code(), stdout, stderr })
}

/// Most a helper may write on standard output: a credential is a few KiB, a `list` of thousands of
/// registries well under this.
pub const MAX_OUTPUT: usize = 1024 * 1024;
/// How much of a helper's standard error is kept (the rest is read and dropped).
pub const MAX_STDERR: usize = 64 * 1024;

/// Why an exchange stopped before its end.
enum Stopped {
    Deadline,
    Flood,
    Io(std::io::Error),
}

/// Feed `input` to the child and read its stdout and stderr to their end, all in this thread, until
/// `deadline`: one poll(2) over the three pipes, so that no pipe can block the others.
fn exchange(
    child: &mut std::process::Child,
    input: &[u8],
    deadline: Instant,
    max_stdout: usize,
) -> Result<(Vec<u8>, Vec<u8>), Stopped> {
    use std::os::fd::AsRawFd;
    let mut stdin = child.stdin.take();
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    for fd in [
        stdin.as_ref().map(|p| p.as_raw_fd()),
        stdout.as_ref().map(|p| p.as_raw_fd()),
        stderr.as_ref().map(|p| p.as_raw_fd()),
    ]
    .into_iter()
    .flatten()
    {
        set_nonblocking(fd).map_err(Stopped::Io)?;
    }
    if input.is_empty() {
        stdin = None;
    }
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut sent = 0;
    let mut chunk = vec![0u8; 16 * 1024];
    while stdout.is_some() || stderr.is_some() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Stopped::Deadline);
        }
        let mut fds = Vec::with_capacity(3);
        let mut push = |fd: Option<i32>, events| {
            if let Some(fd) = fd {
                fds.push(libc::pollfd { fd, events, revents: 0 });
            }
        };
        push(stdin.as_ref().map(|p| p.as_raw_fd()), libc::POLLOUT);
        push(stdout.as_ref().map(|p| p.as_raw_fd()), libc::POLLIN);
        push(stderr.as_ref().map(|p| p.as_raw_fd()), libc::POLLIN);
        let millis = left.as_millis().clamp(1, i32::MAX as u128) as i32;
        // SAFETY: `fds` is a valid, initialised array of `fds.len()` pollfd structs that outlives the call.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, millis) };
        if ready < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(Stopped::Io(e));
        }
        let ready = |fd: Option<i32>| fd.is_some_and(|fd| fds.iter().any(|p| p.fd == fd && p.revents != 0));
        if ready(stdin.as_ref().map(|p| p.as_raw_fd())) {
            let pipe = stdin.as_mut().expect("polled");
            match pipe.write(&input[sent..]) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                // A helper may exit without reading (version, list): a broken pipe is not an error.
                Err(_) => sent = input.len(),
            }
            if sent == input.len() {
                stdin = None;
            }
        }
        if ready(stdout.as_ref().map(|p| p.as_raw_fd())) {
            match drain(stdout.as_mut().expect("polled"), &mut chunk, &mut out, max_stdout + 1)? {
                Drained::Open => {}
                Drained::Closed => stdout = None,
            }
            if out.len() > max_stdout {
                return Err(Stopped::Flood);
            }
        }
        if ready(stderr.as_ref().map(|p| p.as_raw_fd())) {
            match drain(stderr.as_mut().expect("polled"), &mut chunk, &mut err, MAX_STDERR)? {
                Drained::Open => {}
                Drained::Closed => stderr = None,
            }
        }
    }
    Ok((out, err))
}

enum Drained {
    Open,
    Closed,
}

/// Read what a non-blocking pipe holds now, keeping at most `keep` bytes in `buf` (the rest is dropped).
fn drain(pipe: &mut impl Read, chunk: &mut [u8], buf: &mut Vec<u8>, keep: usize) -> Result<Drained, Stopped> {
    loop {
        match pipe.read(chunk) {
            Ok(0) => return Ok(Drained::Closed),
            Ok(n) => {
                let room = keep.saturating_sub(buf.len()).min(n);
                buf.extend_from_slice(&chunk[..room]);
                if buf.len() >= keep {
                    return Ok(Drained::Open);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(Drained::Open),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Stopped::Io(e)),
        }
    }
}

fn set_nonblocking(fd: i32) -> std::io::Result<()> {
    // SAFETY: fcntl(2) on a pipe descriptor this process owns; no memory is passed.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    // SAFETY: as above.
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// What a helper did with one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawAnswer {
    /// None when a signal ended it.
    pub exit_code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Start fast (a helper answers in ~1 ms), back off to 10 ms so a slow one costs no CPU.
fn poll_interval(elapsed: Duration) -> Duration {
    if elapsed < Duration::from_millis(20) {
        Duration::from_micros(200)
    } else {
        Duration::from_millis(10)
    }
}

/// The first executable file called `program` in a PATH-style list.
pub fn find_on_path(program: &str, path: &std::ffi::OsStr) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate, |m| m.permissions().mode() & 0o111 != 0))
}

fn is_executable(path: &Path, check: impl Fn(&std::fs::Metadata) -> bool) -> bool {
    std::fs::metadata(path).map(|m| m.is_file() && check(&m)).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A helper `docker-credential-NAME` running `body` as a shell script, in its own directory.
    fn fake(name: &str, body: &str, timeout: Duration) -> (tempfile::TempDir, HelperClient) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("docker-credential-{name}"));
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        let client = HelperClient::new(name, Some(dir.path().as_os_str().to_owned()), timeout);
        (dir, client)
    }

    #[test]
    fn answers_are_classified() {
        let body = r#"read -r url
case "$1" in
get) case "$url" in h) echo '{"ServerURL":"h","Username":"u","Secret":"s"}';;
     *) echo 'credentials not found in native keychain'; exit 1;; esac;;
list) echo '{"h":"u"}';;
store) cat >/dev/null; echo 'disk full' >&2; exit 1;;
esac"#;
        let (_dir, client) = fake("classify", body, Duration::from_secs(20));
        assert_eq!(client.get("h").unwrap().username, "u");
        assert!(matches!(client.get("x"), Err(HelperError::NotFound { .. })));
        assert_eq!(client.list().unwrap().get("h").map(String::as_str), Some("u"));
        let creds = Credentials { server_url: "h".into(), username: "u".into(), secret: "s".into() };
        let err = client.store(&creds).unwrap_err();
        assert_eq!(err, HelperError::Failed { program: client.program(), message: "disk full".into() });
    }

    #[test]
    fn a_grandchild_holding_stdout_open_is_stopped_at_the_deadline() {
        // The helper answers and exits, but leaves a process behind that keeps its stdout open.
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("grandchild-alive");
        let body = format!("echo '{{\"h\":\"u\"}}'\n(touch '{}'; sleep 300) &\nexit 0", marker.display());
        let (_dir, client) = fake("lingers", &body, Duration::from_secs(2));
        let (tx, rx) = std::sync::mpsc::channel();
        thread::spawn(move || tx.send(client.list()));
        let answer = rx.recv_timeout(Duration::from_secs(60)).expect("the exchange outlived its timeout");
        assert!(matches!(answer, Err(HelperError::TimedOut { .. })), "{answer:?}");
        assert!(marker.exists(), "the grandchild never ran");
    }

    #[test]
    fn a_helper_that_hangs_without_reading_is_stopped() {
        let (_dir, client) = fake("hangs", "sleep 300", Duration::from_secs(1));
        // More input than a pipe holds, so that writing it would block too.
        let creds =
            Credentials { server_url: "h".into(), username: "u".into(), secret: "x".repeat(200_000).into() };
        assert!(matches!(client.store(&creds), Err(HelperError::TimedOut { .. })));
    }

    #[test]
    fn a_helper_that_streams_forever_is_stopped_at_the_output_cap() {
        let (_dir, client) = fake("streams", "exec yes '{\"h\":\"u\"}'", Duration::from_secs(60));
        match client.run_raw("list", b"unused") {
            Err(HelperError::BadResponse { reason, .. }) => {
                assert!(reason.contains("more than 1048576 bytes"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn stderr_is_kept_up_to_its_cap_and_drained_beyond() {
        let body = "head -c 1000000 /dev/zero | tr '\\0' e >&2; echo '{}'";
        let (_dir, client) = fake("noisy", body, Duration::from_secs(60));
        let answer = client.run_raw("list", b"").unwrap();
        assert_eq!((answer.exit_code, answer.stdout.as_str()), (Some(0), "{}\n"));
        assert_eq!(answer.stderr.len(), MAX_STDERR);
    }
}
