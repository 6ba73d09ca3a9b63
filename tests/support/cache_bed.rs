//! The bed of the cache-helper tests (tests/cache_helper.rs, tests/cache_helper_races.rs): private dirs, a
//! fake slow inner helper that counts its calls, a keyring namespace of its own.

use super::command::{clean, regauth, system_path};
use super::helpers::{bin_dir, call, helper_bin, Answer};
use super::keyutils::keyutils_namespace;
use super::write_script;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const SECRET: &str = "slow-secret-planted-4Qz";
pub const NEW_SECRET: &str = "slow-secret-after-store-8Wv";
pub const SERVER: &str = "slow.example";
pub const NOT_FOUND: &str = "credentials not found in native keychain";

/// One test's private dirs, fake helpers and keyring namespace; its cached answers are cleared on drop.
pub struct Bed {
    pub dir: tempfile::TempDir,
    pub namespace: String,
}

impl Bed {
    pub fn new(test: &str) -> Bed {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["home", "config", "cache", "bin", "inner"] {
            let path = dir.path().join(sub);
            std::fs::create_dir(&path).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let bed = Bed { dir, namespace: keyutils_namespace(test) };
        bed.write_slow_helper("slow", "0.3");
        bed.set_secret(Some(SECRET));
        bed
    }

    pub fn path(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    /// The variables that place the cache, its mapping and the fake helpers; HOME too unless `home` is
    /// false (a keyring's own command sets it).
    pub fn apply(&self, command: &mut Command, home: bool) {
        let mut paths = vec![self.path("bin"), bin_dir().to_path_buf()];
        paths.extend(std::env::split_paths(&system_path()));
        command
            .env("PATH", std::env::join_paths(paths).unwrap())
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_CACHE_HOME", self.path("cache"))
            .env("REGAUTH_KEYUTILS_NAMESPACE", &self.namespace)
            .env("DOCKER_CONFIG", self.path("home").join(".docker"));
        if home {
            command.env("HOME", self.path("home"));
        }
    }

    pub fn helper(&self) -> Command {
        let mut command = clean(helper_bin("docker-credential-regauth-cache"));
        self.apply(&mut command, true);
        command
    }

    pub fn regauth(&self) -> Command {
        let mut command = regauth();
        self.apply(&mut command, true);
        command
    }

    pub fn get(&self, url: &str) -> Answer {
        call(self.helper(), "get", url)
    }

    /// `regauth helpers wrap ARGS`, which must succeed.
    pub fn wrap(&self, args: &[&str]) {
        let out = self.regauth().args(["helpers", "wrap"]).args(args).output().unwrap();
        assert!(out.status.success(), "wrap {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// A fake inner helper `docker-credential-NAME` that logs each action to inner/calls and sleeps
    /// `sleep` seconds on get; it answers with the secret in inner/secret, "not found" without that file,
    /// and fails with its own message while inner/fail exists. store writes NEW_SECRET, erase removes it.
    pub fn write_slow_helper(&self, name: &str, sleep: &str) {
        let inner = self.path("inner");
        let inner = inner.display();
        write_script(
            &self.path("bin").join(format!("docker-credential-{name}")),
            &format!(
                r#"echo "$1" >> {inner}/calls
case "$1" in
get)
  read -r url || true
  sleep {sleep}
  if [ -f {inner}/fail ]; then echo "inner exploded: quota exceeded for project p-17"; exit 1; fi
  if [ ! -f {inner}/secret ]; then echo "{NOT_FOUND}"; exit 1; fi
  printf '{{"ServerURL":"%s","Username":"alice","Secret":"%s"}}\n' "$url" "$(cat {inner}/secret)" ;;
store) cat >/dev/null; echo {NEW_SECRET} > {inner}/secret ;;
erase) cat >/dev/null; rm -f {inner}/secret ;;
list) echo '{{"{SERVER}":"alice"}}' ;;
esac"#
            ),
        );
    }

    pub fn set_secret(&self, secret: Option<&str>) {
        let path = self.path("inner").join("secret");
        match secret {
            Some(s) => std::fs::write(path, format!("{s}\n")).unwrap(),
            None => {
                let _ = std::fs::remove_file(path);
            }
        }
    }

    /// How many times the inner helper was asked to `get`.
    pub fn inner_gets(&self) -> usize {
        std::fs::read_to_string(self.path("inner").join("calls"))
            .unwrap_or_default()
            .lines()
            .filter(|l| *l == "get")
            .count()
    }

    /// Everything a leak could hide in: the cache's file names and the kernel's key descriptions.
    pub fn places(&self) -> String {
        let mut names = String::new();
        for entry in walk(&self.path("cache")) {
            names.push_str(&entry.display().to_string());
            names.push('\n');
        }
        names.push_str(&std::fs::read_to_string("/proc/keys").unwrap_or_default());
        names
    }
}

impl Drop for Bed {
    fn drop(&mut self) {
        let _ = self.regauth().args(["cache", "clear"]).output();
    }
}

pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        }
        out.push(path);
    }
    out
}

pub fn secret_of(answer: &Answer) -> String {
    assert_eq!(answer.code, 0, "get failed: {answer:?}");
    let creds: serde_json::Value = serde_json::from_str(&answer.stdout).unwrap();
    creds["Secret"].as_str().unwrap().to_owned()
}
