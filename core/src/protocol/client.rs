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
    /// protocol itself (`regauth helper-test`). Errors only when it cannot run or hangs.
    pub fn run_raw(&self, action: &str, input: &[u8]) -> Result<RawAnswer, HelperError> {
        let program = self.program();
        let Some(binary) = self.locate() else {
            return Err(HelperError::Missing { program });
        };
        let mut child = Command::new(&binary)
            .arg(action)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Own process group, so a timeout also stops whatever a helper script started.
            .process_group(0)
            .spawn()
            .map_err(|e| HelperError::Failed {
                program: program.clone(),
                message: format!("cannot start: {e}"),
            })?;

        let mut stdin = child.stdin.take().expect("stdin is piped");
        let to_send = input.to_vec();
        let writer = thread::spawn(move || {
            // A helper may exit without reading (version): a broken pipe here is not an error.
            let _ = stdin.write_all(&to_send);
        });
        let stdout = read_in_background(child.stdout.take().expect("stdout is piped"));
        let stderr = read_in_background(child.stderr.take().expect("stderr is piped"));

        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if started.elapsed() >= self.timeout => {
                    // SAFETY: kill(2) on the process group we created; no memory is touched.
                    unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(HelperError::TimedOut { program, after: self.timeout });
                }
                Ok(None) => thread::sleep(poll_interval(started.elapsed())),
                Err(e) => {
                    return Err(HelperError::Failed { program, message: format!("cannot wait for it: {e}") })
                }
            }
        };
        let _ = writer.join();
        let stdout = stdout.join().unwrap_or_default();
        let stderr = stderr.join().unwrap_or_default();
        Ok(RawAnswer {
            exit_code: status.code(),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        })
    }
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

fn read_in_background(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        buf
    })
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
