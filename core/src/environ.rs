//! A snapshot of the process environment, passed down explicitly so that file location and lookup rules
//! are tested without touching the real environment.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::sync::Arc;

/// Cheap to clone (the variables are shared): commands hand copies to lookups and threads.
#[derive(Debug, Clone, Default)]
pub struct Environ {
    /// Sorted by name, one entry per name: a sorted vector costs a helper's start less than a map's nodes.
    vars: Arc<Vec<(OsString, OsString)>>,
    uid: u32,
    /// For [`Environ::from_process_only`]: the names taken. Asking for another is a bug that would read
    /// "unset" silently, so debug builds (every test) panic on it.
    only: Option<&'static [&'static str]>,
}

impl Environ {
    pub fn from_process() -> Environ {
        // SAFETY: getuid(2) cannot fail and touches no memory.
        let uid = unsafe { libc::getuid() };
        Environ { vars: Arc::new(sorted(std::env::vars_os().collect())), uid, only: None }
    }

    /// Only these variables of the process (and the uid): for a program that reads a known few, so that its
    /// start does not copy and sort the whole environment (~45,000 instructions of a helper's `get`).
    /// Asking it for any other variable (or for them all, [`Environ::vars`]) panics in a debug build.
    pub fn from_process_only(names: &'static [&'static str]) -> Environ {
        let vars = names.iter().filter_map(|n| std::env::var_os(n).map(|v| (OsString::from(n), v))).collect();
        let vars = sorted(vars);
        // SAFETY: getuid(2) cannot fail and touches no memory.
        Environ { vars: Arc::new(vars), uid: unsafe { libc::getuid() }, only: Some(names) }
    }

    /// An empty environment, for tests: add variables with [`Environ::with`].
    pub fn empty(uid: u32) -> Environ {
        Environ { vars: Arc::default(), uid, only: None }
    }

    pub fn with(mut self, key: &str, value: impl Into<OsString>) -> Environ {
        let vars = Arc::make_mut(&mut self.vars);
        match vars.binary_search_by(|(name, _)| name.as_os_str().cmp(OsStr::new(key))) {
            Ok(at) => vars[at].1 = value.into(),
            Err(at) => vars.insert(at, (key.into(), value.into())),
        }
        self
    }

    /// A variable's value; an empty value counts as unset, as the Go clients treat it.
    pub fn get(&self, key: &str) -> Option<&OsStr> {
        debug_assert!(
            self.only.is_none_or(|names| names.contains(&key)),
            "{key} is read but was not taken from the process (Environ::from_process_only)"
        );
        let at = self.vars.binary_search_by(|(name, _)| name.as_os_str().cmp(OsStr::new(key))).ok()?;
        Some(self.vars[at].1.as_os_str()).filter(|v| !v.is_empty())
    }

    pub fn path_buf(&self, key: &str) -> Option<PathBuf> {
        self.get(key).map(PathBuf::from)
    }

    pub fn home(&self) -> Option<PathBuf> {
        self.path_buf("HOME")
    }

    pub fn uid(&self) -> u32 {
        self.uid
    }

    /// PATH as a value to hand to a helper client.
    pub fn search_path(&self) -> Option<OsString> {
        self.get("PATH").map(|p| p.to_owned())
    }

    /// Every variable, for code that scans the environment (the env store, audit).
    pub fn vars(&self) -> impl Iterator<Item = (&OsStr, &OsStr)> {
        debug_assert!(self.only.is_none(), "every variable is read of an Environ::from_process_only");
        self.vars.iter().map(|(k, v)| (k.as_os_str(), v.as_os_str()))
    }
}

/// By name, one entry per name: the last one given wins, as it did in the map this replaced.
fn sorted(mut vars: Vec<(OsString, OsString)>) -> Vec<(OsString, OsString)> {
    vars.reverse();
    // Stable: of equal names the last given now comes first, and `dedup_by` keeps the first.
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    vars.dedup_by(|later, earlier| later.0 == earlier.0);
    vars
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_named_variables_and_clones_share_them() {
        const NAMES: &[&str] = &["PATH", "REGAUTH_TEST_SURELY_UNSET_VARIABLE"];
        let only = Environ::from_process_only(NAMES);
        assert_eq!(only.get("PATH"), std::env::var_os("PATH").as_deref().filter(|v| !v.is_empty()));
        assert_eq!(only.get("REGAUTH_TEST_SURELY_UNSET_VARIABLE"), None);
        assert_eq!(only.vars.len(), usize::from(std::env::var_os("PATH").is_some()));
        assert_eq!(only.uid(), Environ::from_process().uid());
        let whole = Environ::from_process().with("X", "1");
        let copy = whole.clone().with("X", "2");
        assert_eq!(copy.get("X"), Some(OsStr::new("2")));
        assert_eq!(whole.get("X"), Some(OsStr::new("1")), "a changed copy leaves the original alone");
    }

    #[test]
    fn sorted_by_name_with_the_last_of_a_name_kept() {
        let pairs = |list: &[(&str, &str)]| -> Vec<(OsString, OsString)> {
            list.iter().map(|(k, v)| (OsString::from(k), OsString::from(v))).collect()
        };
        let env = Environ {
            vars: Arc::new(sorted(pairs(&[("B", "1"), ("A", "x"), ("B", "2"), ("C", "")]))),
            ..Environ::empty(0)
        };
        assert_eq!(*env.vars, pairs(&[("A", "x"), ("B", "2"), ("C", "")]));
        assert_eq!(env.get("B"), Some(OsStr::new("2")));
        assert_eq!(env.get("C"), None, "empty counts as unset");
        assert_eq!(env.get("D"), None);
        let env = env.with("AA", "3").with("A", "y");
        assert_eq!(*env.vars, pairs(&[("A", "y"), ("AA", "3"), ("B", "2"), ("C", "")]));
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "HOME is read but was not taken")]
    fn a_variable_not_taken_is_a_bug_in_debug_builds() {
        let _ = Environ::from_process_only(&["PATH"]).get("HOME");
    }
}
