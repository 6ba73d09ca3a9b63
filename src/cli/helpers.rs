//! `regauth helpers`: list, set and unset credential helpers in docker's config.json through the safe
//! write path (locked, atomic, lossless), instead of hand-editing JSON.

use super::output::{print, print_json, UsageError};
use super::Cli;
use crate::exit::Exit;
use regauth_core::config::{self, ConfigError};
use regauth_core::environ::Environ;
use regauth_core::protocol::HelperClient;
use regauth_core::registry::RegistryHost;
use regauth_core::sanitize::one_line;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    "  regauth helpers set ecr-login --registry 123456789012.dkr.ecr.eu-west-1.amazonaws.com\n",
    "      Use a helper for one registry (credHelpers).\n",
    "  regauth helpers unset --registry ghcr.io\n",
    "  regauth helpers unset\n",
    "      Remove the default helper.\n\n",
    "Docker Hub (docker.io) is written under both \"https://index.docker.io/v1/\" (the key docker uses)\n",
    "and \"docker.io\" (the key podman, skopeo and buildah use).\n\n",
    crate::exit_codes_help!()
))]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Show the configured helpers, whether each is installed, and its version.
    #[command(after_long_help = crate::exit_codes_help!())]
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Configure HELPER as the default (credsStore), or for the registries given with --registry.
    #[command(after_long_help = crate::exit_codes_help!())]
    Set {
        /// Helper name: `regauth-keyutils` for docker-credential-regauth-keyutils.
        helper: String,
        /// Registry host[:port] to use the helper for (repeatable). Without it, set credsStore.
        #[arg(long = "registry", value_name = "HOST")]
        registries: Vec<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Remove the helper for the registries given with --registry, or the default (credsStore).
    #[command(after_long_help = crate::exit_codes_help!())]
    Unset {
        /// Registry host[:port] (repeatable). Without it, remove credsStore.
        #[arg(long = "registry", value_name = "HOST")]
        registries: Vec<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
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
}

pub(super) fn run(cli: &Cli, args: &Args, env: &Environ) -> anyhow::Result<Exit> {
    let path = config::docker_config_path(env, cli.config.as_deref()).ok_or_else(|| {
        UsageError("no config location: set HOME or DOCKER_CONFIG, or pass --config".into())
    })?;
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
    let host = RegistryHost::parse(raw).map_err(|e| UsageError(e.to_string()))?;
    Ok(host.helper_keys())
}

fn warn_if_missing(helper: &str, env: &Environ) {
    let client = HelperClient::new(helper, env.search_path(), Duration::from_secs(2));
    if client.locate().is_none() {
        eprintln!(
            "regauth: warning: {} is not on PATH; clients will fail to use it until it is installed",
            client.program()
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
        print_json(&serde_json::json!({ "file": path, "changes": changes }))?;
        return Ok(Exit::Ok);
    }
    let mut out = String::new();
    for c in changes {
        let show =
            |v: &Option<String>| v.as_deref().map_or("(none)".to_owned(), |s| format!("\"{}\"", one_line(s)));
        out.push_str(&format!("{}: {} -> {}\n", one_line(&c.field), show(&c.old), show(&c.new)));
    }
    out.push_str(&format!("written {}\n", path.display()));
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
    for (scope, helper) in entries {
        let client = HelperClient::new(&helper, env.search_path(), Duration::from_secs(2));
        let path = client.locate();
        let version = path.as_ref().and_then(|_| client.version().ok());
        rows.push(HelperRow { scope, helper, program: client.program(), path, version });
    }
    let missing = rows.iter().any(|r| r.path.is_none());
    if json {
        print_json(&serde_json::json!({ "file": path, "helpers": rows }))?;
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
            out.push_str(&format!("  {:<30} {:<24} {}\n", one_line(&r.scope), one_line(&r.helper), state));
        }
        print(&out)?;
    }
    Ok(if missing { Exit::LocalConfig } else { Exit::Ok })
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
        for bad in ["", "bad host", "h:99999", "-x.io"] {
            assert!(registry_keys(bad).is_err(), "{bad:?}");
        }
    }
}
