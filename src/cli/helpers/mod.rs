//! `regauth helpers`: list, set and unset credential helpers in docker's config.json through the safe
//! write path (locked, atomic, lossless), instead of hand-editing JSON.

use super::output::{print, print_report, say, Level, UsageError};
use super::Cli;
use crate::exit::Exit;
use regauth_core::cache_helper;
use regauth_core::config::{self, ConfigError};
use regauth_core::environ::Environ;
use regauth_core::protocol::HelperClient;
use regauth_core::registry::RegistryHost;
use regauth_core::sanitize::one_line;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;
use wrap::{unwrap, wrap};

mod wrap;

/// List and configure credential helpers (credsStore and credHelpers in docker's config.json).
///
/// Edits are locked against concurrent writers, written atomically, and keep every other field of the
/// file as it was. A helper NAME means the program docker-credential-NAME on PATH.
#[derive(Debug, clap::Args)]
#[command(after_long_help = concat!(
    "Examples:\n",
    "  regauth helpers list\n",
    "  regauth helpers set regauth-keyutils\n",
    "      Make the kernel-keyring helper the default (credsStore).\n",
    "  regauth helpers set ecr-login \\\n",
    "      --registry 123456789012.dkr.ecr.eu-west-1.amazonaws.com\n",
    "      Use a helper for one registry (credHelpers).\n",
    "  regauth helpers unset --registry ghcr.io\n",
    "  regauth helpers unset\n",
    "      Remove the default helper.\n",
    "  regauth helpers wrap --registry gcr.io --inner gcloud --ttl 10m\n",
    "      Answer gcr.io's gets from a cache in front of docker-credential-gcloud.\n",
    "  regauth helpers unwrap --registry gcr.io\n\n",
    "Docker Hub (docker.io) is written under both \"https://index.docker.io/v1/\" (the key docker uses) ",
    "and \"docker.io\" (the key podman, skopeo and buildah use).\n\n",
    crate::exit_codes_help!(0, 1, 2, 3)
))]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Show the configured helpers, whether each is installed, and its version.
    #[command(after_long_help = crate::exit_codes_help!(0, 1, 2, 3))]
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Configure HELPER as the default (credsStore), or for the registries given with --registry.
    #[command(after_long_help = crate::exit_codes_help!(0, 1, 2, 3))]
    Set {
        /// Helper name: `regauth-keyutils` for docker-credential-regauth-keyutils.
        helper: String,
        /// Registry host[:port] to use the helper for (repeatable; a repository path such as ghcr.io/org is
        /// refused: helpers are chosen per host). Without it, set credsStore. A value already set is
        /// reported as unchanged.
        #[arg(long = "registry", value_name = "HOST")]
        registries: Vec<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Remove the helper for the registries given with --registry, or the default (credsStore).
    #[command(after_long_help = crate::exit_codes_help!(0, 1, 2, 3))]
    Unset {
        /// Registry host[:port] (repeatable). Without it, remove credsStore.
        #[arg(long = "registry", value_name = "HOST")]
        registries: Vec<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Put docker-credential-regauth-cache in front of a helper, for the registries given with --registry
    /// or as the default (credsStore), so that get answers from a cache while the answer is fresh.
    ///
    /// config.json then names regauth-cache; which inner helper it wraps, the TTL and the inner helper's
    /// timeout are recorded in $XDG_CONFIG_HOME/regauth/cache-helper.json (~/.config/regauth/), which docker
    /// login never rewrites. Both files are written under their locks, atomically.
    #[command(after_long_help = concat!(
        "Examples:\n",
        "  regauth helpers wrap --registry gcr.io --registry eu.gcr.io --inner gcloud\n",
        "      Cache docker-credential-gcloud's answers for two registries (5 minutes).\n",
        "  regauth helpers wrap --ttl 1h \\\n",
        "      --registry 123456789012.dkr.ecr.eu-west-1.amazonaws.com\n",
        "      Wrap the helper config.json already names for that registry (ecr-login); an ECR token's ",
        "own expiry shortens the hour when it ends sooner.\n",
        "  regauth helpers wrap --inner pass --ttl 10m\n",
        "      Wrap the default store (credsStore).\n\n",
        "Without --inner, the helper config.json names for that registry (or credsStore) is wrapped. ",
        "Wrapping again changes the TTL or timeout and keeps the inner helper unless --inner is given.\n\n",
        "Usage errors (exit 2): a bad registry, helper name or duration, nothing to wrap.\n\n",
        crate::exit_codes_help!(0, 1, 2, 3)
    ))]
    Wrap {
        /// Registry host[:port] to wrap (repeatable). Without it, wrap the default (credsStore).
        #[arg(long = "registry", value_name = "HOST")]
        registries: Vec<String>,
        /// The helper to wrap: gcloud for docker-credential-gcloud. Default: the one config.json names.
        #[arg(long, value_name = "HELPER")]
        inner: Option<String>,
        /// How long an answer is served: 300, 90s, 5m, 1h (at most 24h). A credential that says when it
        /// expires (JWT, ECR token) is served until 60 s before that at the latest.
        #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = ttl)]
        ttl: Duration,
        /// How long the inner helper may take before it is stopped and named in the error (at most 300).
        #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = super::seconds::timeout)]
        timeout: Duration,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Take docker-credential-regauth-cache away again: config.json names the inner helper, as before wrap.
    #[command(after_long_help = concat!(
        "Examples:\n",
        "  regauth helpers unwrap --registry gcr.io\n",
        "  regauth helpers unwrap            the default (credsStore)\n\n",
        "The registry's cached answers are dropped. A registry that is not wrapped is left as it is.\n\n",
        crate::exit_codes_help!(0, 1, 2, 3)
    ))]
    Unwrap {
        /// Registry host[:port] (repeatable). Without it, unwrap the default (credsStore).
        #[arg(long = "registry", value_name = "HOST")]
        registries: Vec<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// `--ttl`: a Go-style duration (`90s`, `5m`, `1h30m`) or plain seconds, 1 s to 24 h.
fn ttl(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let duration = match text.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => regauth_core::kubelet::parse_go_duration(text)?,
    };
    if duration < Duration::from_secs(1) || duration > cache_helper::MAX_TTL {
        return Err(format!("{} is out of range: give 1s to 24h", one_line(text)));
    }
    Ok(Duration::from_secs(duration.as_secs()))
}

#[derive(Debug, Serialize)]
struct Change {
    /// `credsStore` or `credHelpers.<key>`.
    field: String,
    old: Option<String>,
    new: Option<String>,
}

#[derive(Debug, Serialize)]
struct HelperRow {
    /// `credsStore` or the registry key.
    scope: String,
    helper: String,
    program: String,
    path: Option<PathBuf>,
    version: Option<String>,
    /// For regauth-cache: the inner helper it wraps there (cache-helper.json).
    #[serde(skip_serializing_if = "Option::is_none")]
    wraps: Option<String>,
}

pub(super) fn run(cli: &Cli, args: &Args, env: &Environ) -> anyhow::Result<Exit> {
    let path = match &args.action {
        Action::List { .. } => cli.config_to_read(env)?,
        _ => cli.config_to_write(env)?,
    };
    match &args.action {
        Action::List { json } => list(&path, env, *json),
        Action::Set { helper, registries, json } => {
            let helper = helper_name(helper)?;
            warn_if_missing(&helper, env);
            let changes = edit(&path, cli.lock_timeout, registries, Some(&helper))?;
            report(&path, &changes, *json)
        }
        Action::Unset { registries, json } => {
            let changes = edit(&path, cli.lock_timeout, registries, None)?;
            report(&path, &changes, *json)
        }
        Action::Wrap { registries, inner, ttl, timeout, json } => {
            let changes = wrap(&path, env, cli.lock_timeout, registries, inner.as_deref(), *ttl, *timeout)?;
            report(&path, &changes, *json)
        }
        Action::Unwrap { registries, json } => {
            let changes = unwrap(&path, env, cli.lock_timeout, registries)?;
            report(&path, &changes, *json)
        }
    }
}

/// Accept `NAME` or `docker-credential-NAME`; refuse anything that is not a plain program suffix.
fn helper_name(raw: &str) -> Result<String, UsageError> {
    let name = raw.strip_prefix("docker-credential-").unwrap_or(raw);
    let valid = !name.is_empty()
        && name.len() <= 100
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        && name.as_bytes()[0].is_ascii_alphanumeric();
    if valid {
        Ok(name.to_owned())
    } else {
        Err(UsageError(format!(
            "{:?} is not a helper name: use letters, digits, '.', '_' and '-' \
             (the part after docker-credential-)",
            one_line(raw)
        )))
    }
}

/// The config keys for a registry: Docker Hub gets docker's key and podman's.
fn registry_keys(raw: &str) -> Result<Vec<String>, UsageError> {
    Ok(registry_host(raw)?.helper_keys())
}

/// A `--registry` value: a host, never a repository path. docker looks credHelpers up by host, so a
/// helper set for `ghcr.io/org` would serve every repository of ghcr.io: refused rather than cut.
fn registry_host(raw: &str) -> Result<RegistryHost, UsageError> {
    let without_scheme = raw.split_once("://").map_or(raw, |(_, rest)| rest);
    if let Some((host, path)) = without_scheme.split_once('/') {
        if !["", "v1", "v1/", "v2", "v2/"].contains(&path) {
            return Err(UsageError(format!(
                "--registry {}: credential helpers are chosen per registry host, not per repository; \
                 a helper for {} serves every repository there (give --registry {})",
                one_line(raw),
                one_line(host),
                one_line(host)
            )));
        }
    }
    RegistryHost::parse(raw).map_err(|e| UsageError(e.to_string()))
}

fn warn_if_missing(helper: &str, env: &Environ) {
    let client = HelperClient::new(helper, env.search_path(), Duration::from_secs(2));
    if client.locate().is_none() {
        say(
            Level::Warning,
            &format!(
                "{} is not on PATH; clients will fail to use it until it is installed",
                client.program()
            ),
        );
    }
}

fn edit(
    path: &Path,
    lock_timeout: Duration,
    registries: &[String],
    helper: Option<&str>,
) -> anyhow::Result<Vec<Change>> {
    let mut keys = Vec::new();
    for registry in registries {
        keys.extend(registry_keys(registry)?);
    }
    let changes = config::update(path, lock_timeout, |doc| {
        let mut changes = Vec::new();
        if keys.is_empty() {
            let old = doc.set_creds_store(helper);
            changes.push(Change { field: "credsStore".into(), old, new: helper.map(str::to_owned) });
        }
        for key in &keys {
            let old = match helper {
                Some(h) => doc.set_cred_helper(key, h),
                None => doc.remove_cred_helper(key),
            };
            changes.push(Change { field: format!("credHelpers.{key}"), old, new: helper.map(str::to_owned) });
        }
        Ok::<_, ConfigError>(changes)
    })?;
    Ok(changes)
}

fn report(path: &Path, changes: &[Change], json: bool) -> anyhow::Result<Exit> {
    if json {
        print_report(&serde_json::json!({ "file": path, "changes": changes }), 1, Exit::Ok)?;
        return Ok(Exit::Ok);
    }
    let mut out = String::new();
    for c in changes {
        let show =
            |v: &Option<String>| v.as_deref().map_or("(none)".to_owned(), |s| format!("\"{}\"", one_line(s)));
        if c.old == c.new {
            out.push_str(&format!("{}: {} (unchanged)\n", one_line(&c.field), show(&c.new)));
        } else {
            out.push_str(&format!("{}: {} -> {}\n", one_line(&c.field), show(&c.old), show(&c.new)));
        }
    }
    if changes.iter().all(|c| c.old == c.new) {
        out.push_str(&format!("unchanged: {}\n", path.display()));
    } else {
        out.push_str(&format!("written {}\n", path.display()));
    }
    print(&out)?;
    Ok(Exit::Ok)
}

fn list(path: &Path, env: &Environ, json: bool) -> anyhow::Result<Exit> {
    let doc = config::load(path, false)?.unwrap_or_default();
    let mut rows = Vec::new();
    let mut entries: Vec<(String, String)> = Vec::new();
    if let Some(store) = doc.creds_store() {
        entries.push(("credsStore".into(), store.to_owned()));
    }
    entries.extend(doc.cred_helpers().into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())));
    let wrapping = cache_helper::path(env).and_then(|p| cache_helper::load(&p).ok());
    for (scope, helper) in entries {
        let client = HelperClient::new(&helper, env.search_path(), Duration::from_secs(2));
        let path = client.locate();
        let version = path.as_ref().and_then(|_| client.version().ok());
        let wraps = (helper == cache_helper::HELPER_NAME)
            .then(|| match &wrapping {
                Some(w) if scope == "credsStore" => w.default.as_ref().map(|d| d.inner.clone()),
                Some(w) => w.for_server(&scope).map(|d| d.inner.clone()),
                None => None,
            })
            .flatten();
        rows.push(HelperRow { scope, helper, program: client.program(), path, version, wraps });
    }
    let exit = if rows.iter().any(|r| r.path.is_none()) { Exit::LocalConfig } else { Exit::Ok };
    if json {
        print_report(&serde_json::json!({ "file": path, "helpers": rows }), 1, exit)?;
    } else {
        let mut out = format!("{}\n", path.display());
        if rows.is_empty() {
            out.push_str("  no credential helpers configured: credentials are stored in the file itself\n");
        }
        for r in &rows {
            let state = match (&r.path, &r.version) {
                (None, _) => "MISSING (not on PATH)".to_owned(),
                (Some(p), Some(v)) => format!("{} ({})", p.display(), one_line(v)),
                (Some(p), None) => format!("{} (version unknown)", p.display()),
            };
            let helper = match &r.wraps {
                Some(inner) => format!("{} -> {}", r.helper, inner),
                None => r.helper.clone(),
            };
            out.push_str(&format!("  {:<30} {:<24} {}\n", one_line(&r.scope), one_line(&helper), state));
        }
        print(&out)?;
    }
    Ok(exit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use regauth_core::registry::DOCKER_HUB_KEY;

    #[test]
    fn helper_names() {
        assert_eq!(helper_name("regauth-keyutils").unwrap(), "regauth-keyutils");
        assert_eq!(helper_name("docker-credential-pass").unwrap(), "pass");
        for bad in ["", "../x", "a b", "-x", "x/y", "docker-credential-"] {
            assert!(helper_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn registry_key_table() {
        assert_eq!(registry_keys("ghcr.io").unwrap(), ["ghcr.io"]);
        assert_eq!(registry_keys("https://ghcr.io/").unwrap(), ["ghcr.io"]);
        assert_eq!(registry_keys("127.0.0.1:5000").unwrap(), ["127.0.0.1:5000"]);
        assert_eq!(registry_keys("docker.io").unwrap(), [DOCKER_HUB_KEY, "docker.io"]);
        assert_eq!(registry_keys("https://index.docker.io/v1/").unwrap(), [DOCKER_HUB_KEY, "docker.io"]);
        assert_eq!(registry_keys("registry-1.docker.io").unwrap(), [DOCKER_HUB_KEY, "docker.io"]);
        assert_eq!(registry_keys("registry.hub.docker.com").unwrap(), ["registry.hub.docker.com"]);
        assert!(registry_keys("ghcr.io/org").is_err());
        assert!(registry_keys("https://ghcr.io/org/app").is_err());
        for bad in ["", "bad host", "h:99999", "-x.io"] {
            assert!(registry_keys(bad).is_err(), "{bad:?}");
        }
    }
}
