//! `regauth migrate`: move plaintext `auths` entries of docker's config.json and containers' auth.json into
//! a credential helper. Per file, under its lock: each entry is stored in the helper, read back and
//! compared, `credHelpers` (or `credsStore` with `--default`) is pointed at it and the secret removed from
//! the file, all in one safe write. Whatever fails, nothing is lost: the entry stays in the file, what was
//! stored for it is taken back out of the helper, and the report says what moved and what did not.

use super::output::{print, print_report, UsageError};
use super::Cli;
use crate::exit::Exit;
use crate::placement::{self, Change, Stored, IDENTITY_TOKEN_USERNAME};
use regauth_core::config::{self, AuthEncoding, AuthEntry, ConfigError, Document};
use regauth_core::environ::Environ;
use regauth_core::protocol::HelperClient;
use regauth_core::registry::RegistryHost;
use regauth_core::sanitize::{for_terminal, one_line};
use regauth_core::secret::Secret;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Move plaintext credentials out of config.json and auth.json into a credential helper.
///
/// Each auths entry with a password or identity token is stored in the helper (--to, else the one the
/// file names for the registry, else the best store here: Secret Service when one answers, else the
/// kernel keyring), read back and compared; then, under the file's lock and in one atomic write,
/// credHelpers is set for the registry (credsStore with --default) and the secret is removed from the
/// entry (other fields stay; an emptied entry goes). On any failure the entry stays as it was and what was
/// stored for it is taken back out of the helper. Identity tokens move as <token>.
#[derive(Debug, clap::Args)]
#[command(after_long_help = concat!(
    "Examples:\n",
    "  regauth migrate --dry-run\n",
    "      Show what would move where; nothing is changed.\n",
    "  regauth migrate\n",
    "      moved: ghcr.io (me) from ~/.docker/config.json auths.ghcr.io to docker-credential-regauth-keyutils\n",
    "  regauth migrate --to regauth-secretservice --registry docker.io --default\n\n",
    "Files: docker's config.json (--config, DOCKER_CONFIG, ~/.docker) and containers' auth.json files ",
    "(REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json and ~/.config/containers/auth.json). ",
    "In auth.json, credHelpers is set even with --default (podman and skopeo ignore credsStore). ",
    "Entries left in place, with the reason: a namespaced key (quay.io/org: helpers are per registry), an ",
    "auth its file's reader cannot decode (docker for config.json, containers/image for auth.json: Go's ",
    "base64 with = padding), a registry token, two different credentials for one registry in one file, ",
    "a helper that already holds another credential for the registry, a helper that fails or gives back ",
    "something else, a lock not had in time, a file another program changed meanwhile, a failed write. ",
    "Exit 0 when every entry moved (or there was none), 3 when any stayed.\n\n",
    "JSON (--json): `regauth help json`, regauth-migrate(1), docs/json.md.\n\n",
    crate::exit_codes_help!(0, 1, 2, 3)
))]
pub struct Args {
    /// Helper to move into (NAME of docker-credential-NAME). Default: the one the file names for the
    /// registry, else the best store here.
    #[arg(long, value_name = "HELPER")]
    pub to: Option<String>,

    /// Only this registry's entries (repeatable).
    #[arg(long = "registry", value_name = "HOST")]
    pub registries: Vec<String>,

    /// Make the helper docker's default (credsStore) instead of setting credHelpers per registry.
    #[arg(long)]
    pub default: bool,

    /// Show the plan; change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Seconds to wait for a credential helper (0.001 to 86400).
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = super::seconds::timeout)]
    pub helper_timeout: Duration,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
enum Outcome {
    Moved,
    Planned,
    NotMoved,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    file: PathBuf,
    keys: Vec<String>,
    registry: String,
    username: Option<String>,
    helper: Option<String>,
    outcome: Outcome,
    reason: Option<String>,
    changes: Vec<Change>,
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
struct Report {
    dry_run: bool,
    moved: usize,
    not_moved: usize,
    items: Vec<Item>,
}

/// The error an edit returns when nothing moved, so that the file is not written at all.
const NOTHING_MOVED: &str = "nothing moved";

pub(super) fn run(cli: &Cli, args: &Args, env: &Environ) -> anyhow::Result<Exit> {
    let only: Vec<RegistryHost> = args
        .registries
        .iter()
        .map(|r| RegistryHost::parse(r).map_err(|e| UsageError(format!("{}: {e}", one_line(r)))))
        .collect::<Result<_, _>>()?;
    if let Some(to) = &args.to {
        let valid = !to.is_empty()
            && to.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            && to.as_bytes()[0].is_ascii_alphanumeric();
        if !valid {
            return Err(UsageError(format!("--to {}: not a helper name", one_line(to))).into());
        }
    }
    let docker = cli.config_to_write(env)?;
    let mut files = vec![(docker.clone(), true)];
    for f in config::containers_auth_files(env, None, Some(&docker)) {
        if !f.legacy && !files.iter().any(|(p, _)| *p == f.path) {
            files.push((f.path, false));
        }
    }
    let mut best: Option<Result<placement::Chosen, String>> = None;
    let mut items = Vec::new();
    for (path, is_docker) in &files {
        let doc = match config::load(path, false) {
            Ok(Some(doc)) => doc,
            Ok(None) => continue,
            Err(e) => {
                items.push(not_moved(path, Vec::new(), String::new(), None, e.to_string()));
                continue;
            }
        };
        let mut planned = plan_file(path, &doc, &only, reader(*is_docker));
        for item in &mut planned {
            let Some(plan) = &item.plan else { continue };
            let helper = match &args.to {
                Some(to) => Ok(to.clone()),
                None => match placement::configured_helper(&doc, &plan.host, *is_docker) {
                    Some(c) => Ok(c.helper),
                    None => best
                        .get_or_insert_with(|| placement::best_store(env, args.helper_timeout))
                        .clone()
                        .map(|c| c.helper)
                        .map_err(|why| format!("no credential store answers here ({why})")),
                },
            };
            match helper {
                Ok(h) => item.helper = Some(h),
                Err(why) => {
                    item.outcome = Outcome::NotMoved;
                    item.reason = Some(why);
                    item.plan = None;
                }
            }
        }
        if !args.dry_run && planned.iter().any(|i| i.plan.is_some()) {
            migrate_file(cli, args, env, path, *is_docker, &mut planned);
        }
        items.extend(planned);
    }
    let moved = items.iter().filter(|i| i.outcome == Outcome::Moved).count();
    let not_moved = items.iter().filter(|i| i.outcome == Outcome::NotMoved).count();
    let exit = if not_moved == 0 { Exit::Ok } else { Exit::LocalConfig };
    let report = Report { dry_run: args.dry_run, moved, not_moved, items };
    if args.json {
        print_report(&report, 1, exit)?;
    } else {
        print(&text(&report, &files))?;
    }
    Ok(exit)
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

/// Under the file's lock: store each planned item, then edit and write once. On a failed write every
/// store is taken back.
fn migrate_file(cli: &Cli, args: &Args, env: &Environ, path: &Path, is_docker: bool, items: &mut [Item]) {
    let mut stored: Vec<(usize, Stored)> = Vec::new();
    let result = config::update_checked(path, cli.lock_timeout, |doc| {
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
            let client = HelperClient::new(&helper, env.search_path(), args.helper_timeout);
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
        let mut default_changed = false;
        for (index, _) in &stored {
            let item = &mut items[*index];
            let plan = item.plan.as_ref().expect("stored items have a plan");
            let helper = item.helper.clone().expect("a planned item has a helper");
            if args.default && is_docker {
                if !default_changed {
                    let old = doc.set_creds_store(Some(&helper));
                    if old.as_deref() != Some(helper.as_str()) {
                        item.changes.push(Change {
                            field: "credsStore".into(),
                            old,
                            new: Some(helper.clone()),
                        });
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
                item.outcome = Outcome::NotMoved;
                item.reason = Some(reason);
                item.changes.clear();
            }
            if !nothing {
                for item in items.iter_mut().filter(|i| i.outcome == Outcome::Planned) {
                    item.outcome = Outcome::NotMoved;
                    item.reason = Some(format!("{e}; the entry stays in the file"));
                }
            }
        }
    }
}

fn text(report: &Report, files: &[(PathBuf, bool)]) -> String {
    let mut out = String::new();
    if report.items.is_empty() {
        let names: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
        out.push_str(&format!("nothing to migrate: no plaintext credentials in {}\n", names.join(", ")));
        return out;
    }
    for item in &report.items {
        let who = item.username.as_deref().map(|u| format!(" ({})", one_line(u))).unwrap_or_default();
        let keys: Vec<String> = item.keys.iter().map(|k| format!("auths.{}", one_line(k))).collect();
        let place =
            format!("{}{who} from {} {}", one_line(&item.registry), item.file.display(), keys.join(", "));
        let to =
            item.helper.as_deref().map(|h| format!("docker-credential-{}", one_line(h))).unwrap_or_default();
        match item.outcome {
            Outcome::Planned => out.push_str(&format!("would move: {place} to {to}\n")),
            Outcome::Moved => out.push_str(&format!("moved: {place} to {to}\n")),
            Outcome::NotMoved => out.push_str(&format!(
                "not moved: {place}: {}\n",
                for_terminal(item.reason.as_deref().unwrap_or_default(), 600)
            )),
        }
        for c in &item.changes {
            let show = |v: &Option<String>| {
                v.as_deref().map_or("(none)".to_owned(), |s| format!("\"{}\"", one_line(s)))
            };
            out.push_str(&format!(
                "  configured: {}: {} -> {}\n",
                one_line(&c.field),
                show(&c.old),
                show(&c.new)
            ));
        }
    }
    out.push_str(&format!(
        "{} moved, {} not moved{}\n",
        report.moved,
        report.not_moved,
        if report.dry_run { " (dry run: nothing changed)" } else { "" }
    ));
    out
}
