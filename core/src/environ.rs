//! The process environment, passed down explicitly so that file location and lookup rules are tested
//! without touching the real environment: a copy of it (or of a few of its variables, or one a test
//! made), or, for a program that promises not to change its environment, the process's own block read in
//! place ([`Environ::from_process_in_place`]).

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::sync::Arc;

/// Cheap to clone (the variables are shared): commands hand copies to lookups and threads.
#[derive(Debug, Clone, Default)]
pub struct Environ {
    /// Sorted by name, one entry per name: a sorted vector costs a helper's start less than a map's nodes.
    /// Empty and unread when `in_place`.
    vars: Arc<Vec<(OsString, OsString)>>,
    /// Read the process's environment block where it is instead of `vars` (see `environ_block.rs`).
    in_place: bool,
    uid: u32,
    /// For [`Environ::from_process_only`]: the names taken. Asking for another is a bug that would read
    /// "unset" silently, so debug builds (every test) panic on it.
    only: Option<&'static [&'static str]>,
}

impl Environ {
    pub fn from_process() -> Environ {
        // SAFETY: getuid(2) cannot fail and touches no memory.
        let uid = unsafe { libc::getuid() };
        Environ { vars: Arc::new(sorted(std::env::vars_os().collect())), in_place: false, uid, only: None }
    }

    /// The process's environment read where it is, each look-up a scan of the block: nothing is copied, so
    /// a program that reads a few variables (the cache helper's hit: ~15 names and its inner helper's
    /// prefixes) pays ~100 instructions per variable of the environment instead of the ~2,500 of copying
    /// and sorting it. What it answers is what [`Environ::from_process`] would.
    ///
    /// # Safety
    /// The process does not change its environment (`std::env::set_var`, `remove_var`, C's `setenv`,
    /// `putenv`, `unsetenv`, `clearenv`) while this `Environ`, a clone of it or anything read from it
    /// lives: its look-ups read the block unlocked and hand out slices of its strings.
    pub unsafe fn from_process_in_place() -> Environ {
        // SAFETY: getuid(2) cannot fail and touches no memory.
        Environ { vars: Arc::default(), in_place: true, uid: unsafe { libc::getuid() }, only: None }
    }

    /// Only these variables of the process (and the uid): for a program that reads a known few, so that its
    /// start does not copy and sort the whole environment (~45,000 instructions of a helper's `get`).
    /// Asking it for any other variable (or for them all, [`Environ::vars`]) panics in a debug build.
    pub fn from_process_only(names: &'static [&'static str]) -> Environ {
        let vars = names.iter().filter_map(|n| std::env::var_os(n).map(|v| (OsString::from(n), v))).collect();
        let vars = sorted(vars);
        // SAFETY: getuid(2) cannot fail and touches no memory.
        Environ { vars: Arc::new(vars), in_place: false, uid: unsafe { libc::getuid() }, only: Some(names) }
    }

    /// An empty environment, for tests: add variables with [`Environ::with`].
    pub fn empty(uid: u32) -> Environ {
        Environ { vars: Arc::default(), in_place: false, uid, only: None }
    }

    pub fn with(mut self, key: &str, value: impl Into<OsString>) -> Environ {
        if self.in_place {
            // A changed environment is a copy.
            let copy = block::scan(|_| true).into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
            self.vars = Arc::new(sorted(copy));
            self.in_place = false;
        }
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
        let value = if self.in_place {
            block::get(key)?
        } else {
            let at = self.vars.binary_search_by(|(name, _)| name.as_os_str().cmp(OsStr::new(key))).ok()?;
            self.vars[at].1.as_os_str()
        };
        Some(value).filter(|v| !v.is_empty())
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

    /// Every variable, sorted by name, for code that scans the environment (the env store, audit).
    pub fn vars(&self) -> impl Iterator<Item = (&OsStr, &OsStr)> {
        self.vars_named(|_| true).into_iter()
    }

    /// The variables whose name `keep` takes, sorted by name (empty values too): for a scan by name (the
    /// cache helper's identity prefixes) that copies nothing when reading in place, and sorts only what
    /// it took.
    pub fn vars_named(&self, mut keep: impl FnMut(&OsStr) -> bool) -> Vec<(&OsStr, &OsStr)> {
        debug_assert!(self.only.is_none(), "every variable is read of an Environ::from_process_only");
        if !self.in_place {
            return self
                .vars
                .iter()
                .filter(|(k, _)| keep(k))
                .map(|(k, v)| (k.as_os_str(), v.as_os_str()))
                .collect();
        }
        let mut taken = block::scan(keep);
        // Stable, after reversing: of equal names the last in the block comes first, and `dedup_by` keeps
        // the first (as `sorted` does).
        taken.reverse();
        taken.sort_by(|a, b| a.0.cmp(b.0));
        taken.dedup_by(|later, earlier| later.0 == earlier.0);
        taken
    }
}

#[path = "environ_block.rs"]
mod block;

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
    fn in_place_answers_what_the_copy_answers() {
        // SAFETY: no test changes the process's environment.
        let in_place = unsafe { Environ::from_process_in_place() };
        let copy = Environ::from_process();
        let all: Vec<_> = copy.vars().collect();
        assert!(!all.is_empty(), "the test runs with an environment");
        assert_eq!(in_place.vars().collect::<Vec<_>>(), all);
        for name in all.iter().filter_map(|(name, _)| name.to_str()) {
            assert_eq!(in_place.get(name), copy.get(name), "{name}");
        }
        for name in ["", "=", "P", "PATH=", "PATH\0", "=\0", "REGAUTH_TEST_SURELY_UNSET_VARIABLE"] {
            assert_eq!(in_place.get(name), copy.get(name), "{name}");
        }
        let keep = |name: &OsStr| name.as_encoded_bytes().first() == Some(&b'P');
        assert_eq!(in_place.vars_named(keep), copy.vars_named(keep));
        assert_eq!(in_place.uid(), copy.uid());
        let changed = in_place.clone().with("REGAUTH_TEST_SURELY_UNSET_VARIABLE", "1");
        assert_eq!(changed.get("REGAUTH_TEST_SURELY_UNSET_VARIABLE"), Some(OsStr::new("1")));
        assert_eq!(changed.get("PATH"), copy.get("PATH"));
        assert_eq!(
            in_place.get("REGAUTH_TEST_SURELY_UNSET_VARIABLE"),
            None,
            "the process's environment is left alone"
        );
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "HOME is read but was not taken")]
    fn a_variable_not_taken_is_a_bug_in_debug_builds() {
        let _ = Environ::from_process_only(&["PATH"]).get("HOME");
    }
}
