//! The environment of the `regauth token` and `regauth cache` tests (tests/token_cache.rs): a private HOME,
//! XDG_CACHE_HOME and keyring namespace, the storage forced, every output kept for the leak scan.

use super::bed::Run;
use super::keyutils::keyutils_namespace;
use super::leaks::assert_absent;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// One test's private HOME, XDG_CACHE_HOME and keyring namespace, and the storage it forces.
pub struct Env {
    pub home: tempfile::TempDir,
    pub namespace: String,
    pub storage: &'static str,
    /// Every output seen, for the leak scan.
    pub seen: std::cell::RefCell<Vec<String>>,
}

impl Env {
    pub fn new(test: &str, storage: &'static str) -> Env {
        Env {
            home: tempfile::tempdir().unwrap(),
            namespace: keyutils_namespace(test),
            storage,
            seen: Default::default(),
        }
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.home.path().join("cache/regauth")
    }

    pub fn tokens_file(&self) -> PathBuf {
        self.cache_dir().join("tokens.json")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = super::command::regauth();
        command
            .args(args)
            .env("HOME", self.home.path())
            .env("DOCKER_CONFIG", self.home.path().join(".docker"))
            .env("XDG_CACHE_HOME", self.home.path().join("cache"))
            .env("REGAUTH_KEYUTILS_NAMESPACE", &self.namespace)
            .env("REGAUTH_TOKEN_CACHE", self.storage)
            .env("REGAUTH_CERTS_D", self.home.path().join("certs.d"))
            .env("NO_COLOR", "1")
            .env("PATH", super::command::system_path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    pub fn spawn(&self, args: &[&str], stdin: &str) -> Child {
        use std::io::Write;
        let mut child = self.command(args).spawn().expect("run regauth");
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child
    }

    pub fn finish(&self, child: Child) -> Run {
        let out = child.wait_with_output().unwrap();
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        self.seen.borrow_mut().push(run.all_output());
        run
    }

    pub fn run(&self, args: &[&str], stdin: &str) -> Run {
        self.finish(self.spawn(args, stdin))
    }

    /// `regauth token IMAGE --username USER --password-stdin EXTRA...`
    pub fn token(&self, image: &str, user: &str, password: &str, extra: &[&str]) -> Run {
        let mut args = vec!["token", image, "--username", user, "--password-stdin"];
        args.extend_from_slice(extra);
        self.run(&args, password)
    }

    /// The keyring entries of this namespace: (description, payload).
    pub fn keyring_entries(&self) -> Vec<(String, String)> {
        let keyctl = |args: &[&str]| {
            let out = Command::new("keyctl").args(args).output().unwrap();
            String::from_utf8_lossy(&out.stdout).trim().to_owned()
        };
        let ring = keyctl(&["get_persistent", "@p"]);
        let prefix = format!("regauth@{}:token-cache:", self.namespace);
        let mut entries = Vec::new();
        for id in keyctl(&["rlist", &ring]).split_whitespace() {
            let description = keyctl(&["rdescribe", id]);
            if description.contains(&prefix) {
                entries.push((description, keyctl(&["pipe", id])));
            }
        }
        entries
    }

    /// Every place the cache keeps something, as text.
    pub fn cache_contents(&self) -> Vec<(String, String)> {
        let mut all = self.keyring_entries();
        for entry in std::fs::read_dir(self.cache_dir()).into_iter().flatten().flatten() {
            if entry.path().is_file() {
                let bytes = std::fs::read(entry.path()).unwrap();
                all.push((entry.path().display().to_string(), String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
        all
    }

    /// No form of any planted secret, and no 8-character piece of one, in any output or cache place.
    pub fn assert_no_secret(&self, secrets: &[(&str, &str)]) {
        let mut texts: Vec<(String, String)> =
            self.seen.borrow().iter().enumerate().map(|(i, t)| (format!("run #{i}"), t.clone())).collect();
        texts.extend(self.cache_contents());
        let outputs: Vec<(&str, &str)> = texts.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
        assert_absent(&outputs, secrets);
        for (_, secret) in secrets {
            for piece in secret.as_bytes().windows(8) {
                let piece = std::str::from_utf8(piece).unwrap();
                for (name, text) in &outputs {
                    assert!(!text.contains(piece), "{name} holds an 8-character piece of a secret");
                }
            }
        }
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        // Keys expire on their own (a key timeout each); this removes them at once.
        let _ = self.command(&["cache", "clear"]).output();
    }
}

pub fn storages() -> Vec<&'static str> {
    super::skip::need_program("keyctl").map(|_| vec!["file", "keyring"]).unwrap_or_else(|| vec!["file"])
}
