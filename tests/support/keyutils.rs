//! A kernel-keyring namespace (REGAUTH_KEYUTILS_NAMESPACE) unique to one test, and a guard that erases
//! whatever the test left in it when dropped, also when an assertion failed halfway. Entries are
//! erased through our keyutils helper, as the user the test stored them as.

use super::command::clean;
use super::helpers::{call, helper_bin};
use std::process::Command;

/// Makes a command that runs the keyutils helper in a namespace (given as the argument).
type Runner = Box<dyn Fn(&str) -> Command>;

pub struct KeyutilsNamespace {
    pub name: String,
    runner: Runner,
}

impl KeyutilsNamespace {
    /// A fresh namespace; the helper runs as this process's user.
    pub fn new(test: &str) -> KeyutilsNamespace {
        KeyutilsNamespace::with_runner(test, helper)
    }

    /// A fresh namespace whose entries are stored by whatever `runner` runs (another user, another
    /// session keyring); the guard erases through it too.
    pub fn with_runner(test: &str, runner: impl Fn(&str) -> Command + 'static) -> KeyutilsNamespace {
        KeyutilsNamespace { name: keyutils_namespace(test), runner: Box::new(runner) }
    }

    /// The keyutils helper in this namespace, as the runner runs it.
    pub fn helper(&self) -> Command {
        (self.runner)(&self.name)
    }
}

impl Drop for KeyutilsNamespace {
    fn drop(&mut self) {
        let listed = call(self.helper(), "list", "");
        let Ok(serde_json::Value::Object(entries)) = serde_json::from_str(&listed.stdout) else {
            return; // nothing readable: nothing this test could have stored
        };
        for url in entries.keys() {
            let erased = call(self.helper(), "erase", url);
            if erased.code != 0 {
                eprintln!("cleanup of namespace {}: erase {url} failed: {erased:?}", self.name);
            }
        }
    }
}

/// docker-credential-regauth-keyutils in `namespace`, with nothing else in its environment.
pub fn helper(namespace: &str) -> Command {
    let mut command = clean(helper_bin("docker-credential-regauth-keyutils"));
    command.env("REGAUTH_KEYUTILS_NAMESPACE", namespace);
    command
}

/// A namespace name no other test or user shares.
pub fn keyutils_namespace(test: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("t-{test}-{}-{:x}", std::process::id(), nanos & 0xffff_ffff)
}
