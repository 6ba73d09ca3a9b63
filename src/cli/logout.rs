//! `regauth logout REGISTRY`: erase the registry's credential wherever a client would find it: every key
//! variant docker, nerdctl and podman use, in every helper the configs name for it and in the `auths` of
//! docker's config.json and containers' auth.json files; and the cached tokens of that credential.

use super::output::{print, print_report, say, Level, UsageError};
use super::Cli;
use crate::exit::Exit;
use regauth_core::config::{self, AuthFile};
use regauth_core::environ::Environ;
use regauth_core::protocol::{HelperClient, HelperError};
use regauth_core::registry::RegistryHost;
use regauth_core::sanitize::one_line;
use regauth_core::token_cache::TokenCache;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

/// Log out of a registry: erase its credential from every helper and file clients read it from.
///
/// Every server-URL variant is erased from each helper that docker's config.json (credHelpers for any
/// variant, credsStore) or a containers auth.json (credHelpers) names: docker's key (Docker Hub:
/// https://index.docker.io/v1/), the bare host podman and skopeo use, the http:// and https:// forms
/// docker logout erases, and nerdctl's host:443 variants. Every auths entry for the registry is removed
/// from those files through the safe write path (locked, atomic, other fields kept). Cached tokens of the
/// registry are forgotten. credHelpers entries stay: the next login uses the same store.
///
/// With no REGISTRY, Docker Hub (as docker logout). --all logs out of every registry these files know:
/// each auths key, each credHelpers key, and each server URL the credsStore helper lists. --authfile
/// FILE (default REGISTRY_AUTH_FILE) is the containers auth.json to clean, as podman logout --authfile.
#[derive(Debug, clap::Args)]
#[command(after_long_help = concat!(
    "Examples:\n",
    "  regauth logout ghcr.io\n",
    "      removed: docker-credential-regauth-keyutils: ghcr.io\n",
    "  regauth logout docker.io --json\n",
    "  regauth logout --all\n",
    "      Every registry of config.json, containers' auth.json and the credsStore helper.\n\n",
    "A second logout says there was nothing to remove (exit 0). A helper that cannot be asked, or a ",
    "read-only store that still provides the login (regauth-env), is exit 3.\n\n",
    "JSON (--json): `regauth help json`, regauth-logout(1), docs/json.md.\n\n",
    crate::exit_codes_help!(0, 1, 2, 3)
))]
pub struct Args {
    /// The registry: host[:port]. Default: Docker Hub (docker.io), as docker logout.
    #[arg(conflicts_with = "all")]
    pub registry: Option<String>,

    /// Log out of every registry the config files and the credsStore helper know.
    #[arg(long)]
    pub all: bool,

    /// containers' auth.json to clean too (podman's --authfile). Default: REGISTRY_AUTH_FILE, else
    /// containers' own files.
    #[arg(long, value_name = "FILE")]
    pub authfile: Option<PathBuf>,

    /// Seconds to wait for a credential helper (0.001 to 86400).
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = super::seconds::timeout)]
    pub helper_timeout: Duration,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Removed {
    /// `helper` or `file`.
    place: &'static str,
    helper: Option<String>,
    file: Option<PathBuf>,
    key: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LogoutReport {
    /// The registry asked for; `None` with `--all`.
    registry: Option<String>,
    /// Every registry logged out of.
    registries: Vec<String>,
    removed: Vec<Removed>,
    /// Bearer tokens `regauth token` had cached for the registry, now forgotten.
    forgotten_tokens: usize,
    problems: Vec<String>,
}

/// Forget the bearer tokens `regauth token` cached for `host`: the credential they were fetched with is
/// gone. Every credential's tokens for the registry go, which costs at most one token request later. A
/// cache that cannot be opened holds nothing to forget.
fn forget_cached_tokens(host: &RegistryHost, env: &Environ, report: &mut LogoutReport) {
    let Ok(cache) = TokenCache::open(env) else { return };
    match cache.clear(Some(host.as_str())) {
        Ok(n) => report.forgotten_tokens += n,
        Err(e) => report.problems.push(format!("cached tokens of {} were not forgotten: {e}", host.as_str())),
    }
}

/// Every server URL a client may have stored `host`'s credential under: docker's key and docker logout's
/// `http://` and `https://` forms, the bare host of containers/image, and nerdctl's variants.
pub(crate) fn key_variants(host: &RegistryHost) -> Vec<String> {
    let mut keys = host.helper_keys();
    let bare = host.as_str();
    keys.extend([bare.to_owned(), format!("http://{bare}"), format!("https://{bare}")]);
    keys.extend(host.nerdctl_keys());
    let mut seen = std::collections::HashSet::new();
    keys.retain(|k| seen.insert(k.clone()));
    keys
}

/// Docker Hub, the registry of `logout` without one (as docker logout).
const DOCKER_HUB: &str = "docker.io";

pub(super) fn run(cli: &Cli, args: &Args, env: &Environ) -> anyhow::Result<Exit> {
    let asked = match (&args.registry, args.all) {
        (_, true) => None,
        (registry, false) => {
            let registry = registry.as_deref().unwrap_or(DOCKER_HUB);
            Some(
                RegistryHost::parse(registry)
                    .map_err(|e| UsageError(format!("{}: {e}", one_line(registry))))?,
            )
        }
    };
    let docker = cli.config_to_write(env)?;
    let mut files = vec![(docker.clone(), true)];
    for AuthFile { path, legacy } in
        config::containers_auth_files(env, args.authfile.as_deref(), Some(&docker))
    {
        if !legacy && !files.iter().any(|(p, _)| *p == path) {
            files.push((path, false));
        }
    }
    let mut report = LogoutReport {
        registry: asked.as_ref().map(|h| h.as_str().to_owned()),
        registries: Vec::new(),
        removed: Vec::new(),
        forgotten_tokens: 0,
        problems: Vec::new(),
    };
    let mut docs = Vec::new();
    for (path, is_docker) in &files {
        match config::load(path, false) {
            Ok(Some(doc)) => docs.push((path.clone(), *is_docker, doc)),
            Ok(None) => {}
            Err(e) => report.problems.push(e.to_string()),
        }
    }
    let hosts = match asked {
        Some(host) => vec![host],
        None => every_registry(&docs, env, args.helper_timeout, &mut report),
    };
    for host in &hosts {
        report.registries.push(host.as_str().to_owned());
        log_out(cli, args, env, host, &docs, &mut report);
    }
    let exit = if report.problems.is_empty() { Exit::Ok } else { Exit::LocalConfig };
    if args.json {
        print_report(&report, 1, exit)?;
        return Ok(exit);
    }
    let mut out = String::new();
    if report.forgotten_tokens > 0 {
        out.push_str(&format!("forgot: {} cached bearer token(s)\n", report.forgotten_tokens));
    }
    if report.removed.is_empty() && report.problems.is_empty() {
        let whose = report.registry.clone().unwrap_or_else(|| "any registry".into());
        out.push_str(&format!("nothing to remove: no credential for {} was stored\n", one_line(&whose)));
    }
    for r in &report.removed {
        match (&r.helper, &r.file) {
            (Some(h), _) => {
                out.push_str(&format!("removed: docker-credential-{}: {}\n", one_line(h), one_line(&r.key)))
            }
            (None, Some(f)) => {
                out.push_str(&format!("removed: {}: auths.{}\n", f.display(), one_line(&r.key)))
            }
            _ => {}
        }
    }
    print(&out)?;
    for p in &report.problems {
        say(Level::Error, p);
    }
    Ok(exit)
}

/// `--all`: the registries of every auths and credHelpers key, and of every server URL the credsStore
/// helper of docker's config.json lists; each once.
fn every_registry(
    docs: &[(PathBuf, bool, config::Document)],
    env: &Environ,
    timeout: Duration,
    report: &mut LogoutReport,
) -> Vec<RegistryHost> {
    let mut keys: Vec<String> = Vec::new();
    for (_, is_docker, doc) in docs {
        keys.extend(doc.auth_keys().into_iter().map(str::to_owned));
        keys.extend(doc.cred_helpers().into_iter().map(|(k, _)| k.to_owned()));
        if let Some(store) = doc.creds_store().filter(|s| *is_docker && !s.is_empty()) {
            match HelperClient::new(store, env.search_path(), timeout).list() {
                Ok(listing) => keys.extend(listing.into_keys()),
                Err(e) => report.problems.push(e.to_string()),
            }
        }
    }
    let mut hosts: Vec<RegistryHost> = Vec::new();
    for key in keys {
        let without_scheme = key.split_once("://").map_or(key.as_str(), |(_, rest)| rest);
        let host_part = without_scheme.split('/').next().unwrap_or_default();
        match RegistryHost::parse(host_part) {
            Ok(host) if !hosts.contains(&host) => hosts.push(host),
            Ok(_) => {}
            Err(e) => report.problems.push(format!("{}: not a registry: {e}", one_line(&key))),
        }
    }
    hosts
}

/// One registry: every helper the files name for it erased, its auths keys removed, its tokens forgotten.
fn log_out(
    cli: &Cli,
    args: &Args,
    env: &Environ,
    host: &RegistryHost,
    docs: &[(PathBuf, bool, config::Document)],
    report: &mut LogoutReport,
) {
    let variants = key_variants(host);
    // The helpers named for this registry, in the order found.
    let mut helpers: Vec<String> = Vec::new();
    for (_, is_docker, doc) in docs {
        for key in &variants {
            if let Some(h) = doc.cred_helper(key) {
                helpers.push(h.to_owned());
            }
        }
        if *is_docker {
            helpers.extend(doc.creds_store().map(str::to_owned));
        }
    }
    helpers.retain(|h| !h.is_empty());
    let mut seen = std::collections::HashSet::new();
    helpers.retain(|h| seen.insert(h.clone()));
    for helper in &helpers {
        erase_from_helper(helper, &variants, env, args.helper_timeout, report);
    }
    for (path, _, doc) in docs {
        let keys: Vec<String> =
            doc.auth_keys().into_iter().filter(|k| same_registry(k, host)).map(str::to_owned).collect();
        if keys.is_empty() {
            continue;
        }
        let edited = config::update(path, cli.lock_timeout, |doc| {
            Ok(keys.iter().filter(|k| doc.remove_auth(k)).cloned().collect::<Vec<_>>())
        });
        match edited {
            Ok(removed) => report.removed.extend(removed.into_iter().map(|key| Removed {
                place: "file",
                helper: None,
                file: Some(path.clone()),
                key,
            })),
            Err(e) => report.problems.push(e.to_string()),
        }
    }
    forget_cached_tokens(host, env, report);
}

/// An auths key of `host`: any key whose host part (scheme and path dropped) names it.
fn same_registry(key: &str, host: &RegistryHost) -> bool {
    let without_scheme = key.split_once("://").map_or(key, |(_, rest)| rest);
    let host_part = without_scheme.split('/').next().unwrap_or_default();
    let named = RegistryHost::new(host_part);
    named == *host || key_variants(host).iter().any(|v| v == key)
}

/// `get` each variant, `erase` what is there, and `get` again: a read-only store still answers.
fn erase_from_helper(
    helper: &str,
    variants: &[String],
    env: &Environ,
    timeout: Duration,
    report: &mut LogoutReport,
) {
    let client = HelperClient::new(helper, env.search_path(), timeout);
    for url in variants {
        match client.get(url) {
            Ok(_) => {}
            Err(HelperError::NotFound { .. }) => continue,
            Err(e) => {
                report.problems.push(e.to_string());
                return;
            }
        }
        if let Err(e) = client.erase(url) {
            report.problems.push(e.to_string());
            continue;
        }
        match client.get(url) {
            Err(HelperError::NotFound { .. }) => report.removed.push(Removed {
                place: "helper",
                helper: Some(helper.to_owned()),
                file: None,
                key: url.clone(),
            }),
            Ok(_) => report.problems.push(format!(
                "{} still provides a credential for {url} after erase (a read-only store?)",
                client.program()
            )),
            Err(e) => report.problems.push(e.to_string()),
        }
    }
}
