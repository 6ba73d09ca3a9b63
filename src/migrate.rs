//! `regauth migrate`: move plaintext `auths` entries of docker's config.json and containers' auth.json into
//! a credential helper. Per file, under its lock: each entry is stored in the helper, read back and
//! compared, `credHelpers` (or `credsStore` with `--default`) is pointed at it and the secret removed from
//! the file, all in one safe write. Whatever fails, nothing is lost: the entry stays in the file, what was
//! stored for it is taken back out of the helper, and the report says what moved and what did not.
//!
//! A dry run goes through the same plan and asks each helper what it holds (`get` only), and makes the
//! same edit on a copy of the file, so that what it says would move and be configured is what a run
//! does; only what a read cannot foresee (a helper's `store` failing, a lock, another writer) differs.

use crate::placement::{self, Change, Stored, IDENTITY_TOKEN_USERNAME};
use regauth_core::config::{self, AuthEncoding, AuthEntry, ConfigError, Document};
use regauth_core::environ::Environ;
use regauth_core::protocol::HelperClient;
use regauth_core::registry::RegistryHost;
use regauth_core::sanitize::one_line;
use regauth_core::secret::Secret;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    Moved,
    Planned,
    NotMoved,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub file: PathBuf,
    pub keys: Vec<String>,
    pub registry: String,
    pub username: Option<String>,
    pub helper: Option<String>,
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub changes: Vec<Change>,
    #[serde(skip)]
    plan: Option<Plan>,
}

/// What moves for one registry of one file.
#[derive(Debug)]
struct Plan {
    host: RegistryHost,
    /// The username stored (`<token>` for an identity token) and the secret.
    username: String,
    secret: Secret,
    /// The entries as read, compared again under the lock.
    entries: Vec<AuthEntry>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub dry_run: bool,
    pub moved: usize,
    /// Entries a dry run would move (zero after a run).
    pub planned: usize,
    pub not_moved: usize,
    pub items: Vec<Item>,
}

impl Report {
    /// The run's exit code: 3 when any entry did not move.
    pub fn exit(&self) -> crate::exit::Exit {
        if self.not_moved == 0 {
            crate::exit::Exit::Ok
        } else {
            crate::exit::Exit::LocalConfig
        }
    }
}

/// What to move where.
#[derive(Debug, Clone)]
pub struct Options {
    /// The helper to move into; else the one the file names for the registry, else the best store here.
    pub to: Option<String>,
    /// Only these registries (empty: all).
    pub only: Vec<RegistryHost>,
    /// Point `credsStore` at the helper instead of setting `credHelpers` per registry (docker's file).
    pub default: bool,
    pub dry_run: bool,
    pub helper_timeout: Duration,
    pub lock_timeout: Duration,
}

/// A file to migrate: its path and whether it is docker's config.json (else a containers auth.json).
#[derive(Debug, Clone)]
pub struct File {
    pub path: PathBuf,
    pub is_docker: bool,
}

/// The error an edit returns when nothing moved, so that the file is not written at all.
const NOTHING_MOVED: &str = "nothing moved";

/// `--to`'s value: a plain helper suffix.
pub fn valid_helper_name(to: &str) -> bool {
    !to.is_empty()
        && to.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        && to.as_bytes()[0].is_ascii_alphanumeric()
}

/// Plan every file, then (unless a dry run) move what the plan holds. The exit code is 0 when nothing stays
/// (or would stay) behind, 3 otherwise.
pub fn run(files: &[File], opts: &Options, env: &Environ) -> Report {
    let mut best: Option<Result<placement::Chosen, String>> = None;
    let mut items = Vec::new();
    for file in files {
        let doc = match config::load(&file.path, false) {
            Ok(Some(doc)) => doc,
            Ok(None) => continue,
            Err(e) => {
                items.push(not_moved(&file.path, Vec::new(), String::new(), None, e.to_string()));
                continue;
            }
        };
        let mut planned = plan_file(&file.path, &doc, &opts.only, reader(file.is_docker));
        for item in &mut planned {
            let Some(plan) = &item.plan else { continue };
            let helper = match &opts.to {
                Some(to) => Ok(to.clone()),
                None => match placement::configured_helper(&doc, &plan.host, file.is_docker) {
                    Some(c) => Ok(c.helper),
                    None => best
                        .get_or_insert_with(|| placement::best_store(env, opts.helper_timeout))
                        .clone()
                        .map(|c| c.helper)
                        .map_err(|why| format!("no credential store answers here ({why})")),
                },
            };
            match helper {
                Ok(h) => item.helper = Some(h),
                Err(why) => refuse(item, why),
            }
        }
        if planned.iter().any(|i| i.plan.is_some()) {
            if opts.dry_run {
                dry_run_file(opts, env, &doc, file.is_docker, &mut planned);
            } else {
                migrate_file(opts, env, &file.path, file.is_docker, &mut planned);
            }
        }
        items.extend(planned);
    }
    let count = |o: Outcome| items.iter().filter(|i| i.outcome == o).count();
    let (moved, planned, not_moved) =
        (count(Outcome::Moved), count(Outcome::Planned), count(Outcome::NotMoved));
    Report { dry_run: opts.dry_run, moved, planned, not_moved, items }
}

fn refuse(item: &mut Item, reason: String) {
    item.outcome = Outcome::NotMoved;
    item.reason = Some(reason);
    item.plan = None;
    item.changes.clear();
}

fn not_moved(
    path: &Path,
    keys: Vec<String>,
    registry: String,
    username: Option<String>,
    reason: String,
) -> Item {
    Item {
        file: path.to_owned(),
        keys,
        registry,
        username,
        helper: None,
        outcome: Outcome::NotMoved,
        reason: Some(reason),
        changes: Vec::new(),
        plan: None,
    }
}

/// Whose decoding of `auth` a file's entries get: docker's for config.json, containers/image's for the
/// containers auth files. An entry its reader cannot decode is refused, with the reason.
fn reader(is_docker: bool) -> AuthEncoding {
    if is_docker {
        AuthEncoding::Docker
    } else {
        AuthEncoding::Containers
    }
}

/// The entries of one file that can move, grouped by registry, and those that cannot, with the reason.
fn plan_file(path: &Path, doc: &Document, only: &[RegistryHost], encoding: AuthEncoding) -> Vec<Item> {
    let mut items: Vec<Item> = Vec::new();
    for entry in doc.auths(encoding) {
        let key = entry.key.clone();
        let has_scheme = key.contains("://");
        let host = RegistryHost::parse(&key).ok();
        if let Some(h) = &host {
            if !only.is_empty() && !only.contains(h) {
                continue;
            }
        } else if !only.is_empty() {
            continue;
        }
        if !entry.has_secret() && entry.problem.is_none() {
            continue; // nothing secret to move
        }
        let registry = host.as_ref().map_or_else(|| one_line(&key), |h| h.as_str().to_owned());
        let user = entry.username.clone();
        let refuse =
            |reason: &str| not_moved(path, vec![key.clone()], registry.clone(), user.clone(), reason.into());
        if let Some(problem) = &entry.problem {
            items.push(refuse(&format!("the entry cannot be read: {problem}")));
            continue;
        }
        let Some(host) = host else {
            items.push(refuse("the key is not a registry host"));
            continue;
        };
        if !has_scheme && key.contains('/') {
            items.push(refuse("a namespaced key: helpers hold one credential per registry"));
            continue;
        }
        let (username, secret) = match (&entry.identity_token, &entry.password, &entry.username) {
            (Some(token), _, _) if !token.is_empty() => (IDENTITY_TOKEN_USERNAME.to_owned(), token.clone()),
            (_, Some(password), Some(username)) if !password.is_empty() && !username.is_empty() => {
                (username.clone(), password.clone())
            }
            _ => {
                items.push(refuse(
                    "no username and password or identity token (a registry token is not a login)",
                ));
                continue;
            }
        };
        // One item per registry: a second key with the same credential joins it; a different one is a
        // conflict that only a person can settle.
        if let Some(existing) = items.iter_mut().find(|i| i.registry == host.as_str() && i.plan.is_some()) {
            let plan = existing.plan.as_mut().expect("checked");
            if plan.username == username && plan.secret.expose() == secret.expose() {
                plan.entries.push(entry.clone());
                existing.keys.push(key);
                continue;
            }
            existing.plan = None;
            existing.outcome = Outcome::NotMoved;
            existing.reason = Some("two different credentials for this registry in the file".into());
            existing.keys.push(key);
            continue;
        }
        if items.iter().any(|i| i.registry == host.as_str() && i.outcome == Outcome::NotMoved) {
            if let Some(i) = items.iter_mut().find(|i| i.registry == host.as_str()) {
                i.keys.push(key);
            }
            continue;
        }
        items.push(Item {
            file: path.to_owned(),
            keys: vec![key],
            registry: host.as_str().to_owned(),
            username: Some(username.clone()),
            helper: None,
            outcome: Outcome::Planned,
            reason: None,
            changes: Vec::new(),
            plan: Some(Plan { host, username, secret, entries: vec![entry] }),
        });
    }
    items
}

/// A dry run of one file: each helper asked what it holds (read only), and the edit made on a copy of the
/// document, so that the changes shown are those a run makes.
fn dry_run_file(opts: &Options, env: &Environ, doc: &Document, is_docker: bool, items: &mut [Item]) {
    let mut accepted = Vec::new();
    for (index, item) in items.iter_mut().enumerate() {
        let Some(plan) = &item.plan else { continue };
        let helper = item.helper.clone().expect("a planned item has a helper");
        let client = HelperClient::new(&helper, env.search_path(), opts.helper_timeout);
        let urls = placement::server_urls(&plan.host);
        match placement::would_store(&client, &urls, &plan.username, &plan.secret, false) {
            Ok(()) => accepted.push(index),
            Err(e) => refuse(item, e.to_string()),
        }
    }
    let mut copy = doc.clone();
    edit(&mut copy, items, &accepted, opts.default, is_docker);
}

/// Under the file's lock: store each planned item, then edit and write once. On a failed write every
/// store is taken back.
fn migrate_file(opts: &Options, env: &Environ, path: &Path, is_docker: bool, items: &mut [Item]) {
    let mut stored: Vec<(usize, Stored)> = Vec::new();
    let result = config::update_checked(path, opts.lock_timeout, |doc| {
        for (index, item) in items.iter_mut().enumerate() {
            let Some(plan) = &item.plan else { continue };
            let helper = item.helper.clone().expect("a planned item has a helper");
            let unchanged =
                plan.entries.iter().all(|e| doc.auth(&e.key, reader(is_docker)).as_ref() == Some(e));
            if !unchanged {
                item.outcome = Outcome::NotMoved;
                item.reason = Some("the entry changed after it was read; left as it now is".into());
                continue;
            }
            let client = HelperClient::new(&helper, env.search_path(), opts.helper_timeout);
            let urls = placement::server_urls(&plan.host);
            match placement::store_verified(&client, &urls, &plan.username, &plan.secret, false) {
                Ok(s) => stored.push((index, s)),
                Err(e) => {
                    item.outcome = Outcome::NotMoved;
                    item.reason = Some(e.to_string());
                }
            }
        }
        if stored.is_empty() {
            return Err(ConfigError::Invalid(NOTHING_MOVED.into()));
        }
        let indexes: Vec<usize> = stored.iter().map(|(i, _)| *i).collect();
        edit(doc, items, &indexes, opts.default, is_docker);
        Ok(())
    });
    match result {
        Ok(()) => {
            for (index, _) in stored {
                items[index].outcome = Outcome::Moved;
            }
        }
        Err(e) => {
            let nothing = matches!(&e, ConfigError::Invalid(m) if m == NOTHING_MOVED);
            for (index, s) in stored {
                let item = &mut items[index];
                let mut reason = format!("{e}; the entry stays in the file");
                for problem in s.roll_back() {
                    reason.push_str("; ");
                    reason.push_str(&problem);
                }
                refuse(item, reason);
            }
            if !nothing {
                for item in items.iter_mut().filter(|i| i.outcome == Outcome::Planned) {
                    refuse(item, format!("{e}; the entry stays in the file"));
                }
            }
        }
    }
}

/// The one edit of a file, for a run and (on a copy) a dry run: the helper configured for each item at
/// `indexes`, and its secrets removed; each item's `changes` say what was set.
fn edit(doc: &mut Document, items: &mut [Item], indexes: &[usize], default: bool, is_docker: bool) {
    let mut default_changed = false;
    for &index in indexes {
        let item = &mut items[index];
        let plan = item.plan.as_ref().expect("stored items have a plan");
        let helper = item.helper.clone().expect("a planned item has a helper");
        if default && is_docker {
            if !default_changed {
                let old = doc.set_creds_store(Some(&helper));
                if old.as_deref() != Some(helper.as_str()) {
                    item.changes.push(Change { field: "credsStore".into(), old, new: Some(helper.clone()) });
                }
                default_changed = true;
            }
            // A credHelpers entry for the registry would win over credsStore: point it here too.
            if placement::configured_helper(doc, &plan.host, true).is_some_and(|c| c.helper != helper) {
                item.changes.extend(placement::set_cred_helpers(doc, &plan.host, &helper));
            }
        } else {
            item.changes.extend(placement::set_cred_helpers(doc, &plan.host, &helper));
        }
        for key in &item.keys {
            doc.remove_auth_secret(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Document {
        Document::parse(text.as_bytes(), Path::new("/t/config.json")).unwrap()
    }

    fn b64(s: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn the_plan_groups_keys_of_one_registry_and_refuses_what_cannot_move() {
        let d = doc(&format!(
            r#"{{"auths":{{"a.io":{{"auth":"{a}"}},"https://a.io/v1/":{{"auth":"{a}"}},"b.io":{{"auth":"{a}"}},
            "https://b.io":{{"auth":"{b}"}},"quay.io/org":{{"auth":"{a}"}},"c.io":{{"auth":"bm9wYWQ"}},
            "d.io":{{"registrytoken":"t"}}}}}}"#,
            a = b64("u:p"),
            b = b64("u:other"),
        ));
        let items = plan_file(Path::new("/t/config.json"), &d, &[], AuthEncoding::Docker);
        let by = |r: &str| items.iter().find(|i| i.registry == r).unwrap();
        assert_eq!(by("a.io").outcome, Outcome::Planned);
        assert_eq!(by("a.io").keys, ["a.io", "https://a.io/v1/"]);
        assert_eq!(by("b.io").outcome, Outcome::NotMoved);
        assert!(by("b.io").reason.as_deref().unwrap().contains("two different credentials"));
        assert!(by("quay.io").reason.as_deref().unwrap().contains("namespaced"), "quay.io/org");
        assert!(by("c.io").reason.as_deref().unwrap().contains("cannot be read"));
        assert!(by("d.io").reason.as_deref().unwrap().contains("a registry token is not a login"));
        let only = [RegistryHost::parse("a.io").unwrap()];
        let items = plan_file(Path::new("/t/config.json"), &d, &only, AuthEncoding::Docker);
        assert_eq!(items.len(), 1);
    }

    #[test]
    fn the_edit_sets_the_helper_and_removes_only_the_secret() {
        let mut d = doc(&format!(r#"{{"auths":{{"a.io":{{"auth":"{}","x":1}}}}}}"#, b64("u:p")));
        let mut items = plan_file(Path::new("/t/config.json"), &d, &[], AuthEncoding::Docker);
        items[0].helper = Some("regauth-keyutils".into());
        edit(&mut d, &mut items, &[0], false, true);
        assert_eq!(d.cred_helper("a.io"), Some("regauth-keyutils"));
        assert_eq!(items[0].changes.len(), 1);
        assert!(d.auths(AuthEncoding::Docker).iter().all(|e| !e.has_secret()));
        let mut d2 = doc(&format!(r#"{{"auths":{{"a.io":{{"auth":"{}"}}}}}}"#, b64("u:p")));
        let mut items = plan_file(Path::new("/t/config.json"), &d2, &[], AuthEncoding::Docker);
        items[0].helper = Some("pass".into());
        edit(&mut d2, &mut items, &[0], true, true);
        assert_eq!(items[0].changes[0].field, "credsStore");
        assert_eq!(d2.cred_helper("a.io"), None, "--default sets credsStore only");
    }

    #[test]
    fn helper_names_are_plain_suffixes() {
        for good in ["regauth-keyutils", "pass", "ecr-login", "a.b_c"] {
            assert!(valid_helper_name(good), "{good}");
        }
        for bad in ["", "-x", "../x", "a/b", "a b", ".x"] {
            assert!(!valid_helper_name(bad), "{bad}");
        }
    }
}
