//! Keyrings for helper tests: a private gnome-keyring inside its own D-Bus session and a private pass store.
//! Both live in a temp dir that is removed, with every item in it, when the handle drops (the kernel
//! keyring is in keyutils.rs).

use super::command::{clean, system_path};
use super::need_program;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The password of the test keyring.
const KEYRING_PASSWORD: &str = "regauth-test-keyring-pw";

/// A `dbus-run-session` with gnome-keyring's secrets component, unlocked, and private HOME/XDG dirs.
/// Ends (bus and daemon) when dropped.
pub struct SecretService {
    child: Child,
    pub address: String,
    pub dir: tempfile::TempDir,
}

impl SecretService {
    /// `None` (after a loud message) when a component is missing and skipping is allowed.
    pub fn start() -> Option<SecretService> {
        need_program("dbus-run-session")?;
        need_program("gnome-keyring-daemon")?;
        let dir = tempfile::tempdir().unwrap();
        let script = r#"eval "$(printf %s "$REGAUTH_TEST_KEYRING_PW" | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
echo "address=$DBUS_SESSION_BUS_ADDRESS"
exec cat >/dev/null"#;
        let mut command = clean("dbus-run-session");
        command
            .env("PATH", system_path())
            .args(["--", "sh", "-c", script])
            .env("REGAUTH_TEST_KEYRING_PW", KEYRING_PASSWORD);
        private_dirs(&mut command, dir.path());
        use std::os::unix::process::CommandExt;
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start dbus-run-session");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let address = line.trim().strip_prefix("address=").unwrap_or_default().to_owned();
        assert!(!address.is_empty(), "dbus-run-session gave no bus address: {line:?}");
        Some(SecretService { child, address, dir })
    }

    /// A command that runs inside this session: nothing in its environment but the bus address, the
    /// private dirs and the tests' PATH.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = clean(program);
        command.env("PATH", system_path()).env("DBUS_SESSION_BUS_ADDRESS", &self.address);
        private_dirs(&mut command, self.dir.path());
        command
    }

    /// Lock the default (login) collection, as a screen lock or a fresh login without unlock would.
    pub fn lock(&self) {
        let status = self
            .command("dbus-send")
            .args([
                "--session",
                "--dest=org.freedesktop.secrets",
                "--type=method_call",
                "--print-reply",
                "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.Lock",
                "array:objpath:/org/freedesktop/secrets/collection/login",
            ])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "locking the keyring failed");
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the process group we created; no memory is touched.
        unsafe { libc::kill(-(self.child.id() as i32), libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

fn private_dirs(command: &mut Command, dir: &Path) {
    for (var, sub) in [
        ("HOME", "home"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_RUNTIME_DIR", "run"),
    ] {
        let path = dir.join(sub);
        std::fs::create_dir_all(&path).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
        command.env(var, path);
    }
}

/// A pass store with its own GnuPG home and an unprotected key, for docker-credential-pass.
pub struct PassStore {
    pub dir: tempfile::TempDir,
}

impl PassStore {
    pub fn start() -> Option<PassStore> {
        need_program("gpg")?;
        need_program("pass")?;
        let dir = tempfile::tempdir().unwrap();
        let store = PassStore { dir };
        let params = store.dir.path().join("key-params");
        std::fs::write(
            &params,
            "%no-protection\nKey-Type: EdDSA\nKey-Curve: ed25519\nSubkey-Type: ECDH\nSubkey-Curve: cv25519\n\
             Name-Real: regauth test\nName-Email: test@regauth.invalid\nExpire-Date: 0\n%commit\n",
        )
        .unwrap();
        let out = store.command("gpg").args(["--batch", "--generate-key"]).arg(&params).output().unwrap();
        assert!(out.status.success(), "gpg --generate-key: {}", String::from_utf8_lossy(&out.stderr));
        let out = store.command("gpg").args(["--list-keys", "--with-colons"]).output().unwrap();
        let listing = String::from_utf8(out.stdout).unwrap();
        let fpr = listing.lines().find_map(|l| l.strip_prefix("fpr:")).unwrap().trim_matches(':').to_owned();
        let out = store.command("pass").args(["init", &fpr]).output().unwrap();
        assert!(out.status.success(), "pass init: {}", String::from_utf8_lossy(&out.stderr));
        Some(store)
    }

    /// A command with nothing in its environment but this store's GNUPGHOME, PASSWORD_STORE_DIR and HOME,
    /// and the tests' PATH.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let gnupg = self.dir.path().join("gnupg");
        if !gnupg.exists() {
            std::fs::create_dir(&gnupg).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&gnupg, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let mut command = clean(program);
        command
            .env("PATH", system_path())
            .env("GNUPGHOME", gnupg)
            .env("PASSWORD_STORE_DIR", self.dir.path().join("pass"))
            .env("HOME", self.dir.path());
        command
    }
}

impl Drop for PassStore {
    fn drop(&mut self) {
        // gpg-agent started for this GNUPGHOME: stop it.
        let _ = self.command("gpgconf").args(["--kill", "all"]).status();
    }
}
