//! `regauth migrate`: its arguments and its report as text; the work is `crate::migrate`'s.

use super::output::{print, print_report, UsageError};
use super::Cli;
use crate::exit::Exit;
use crate::migrate::{self, File, Options, Outcome, Report};
use regauth_core::config;
use regauth_core::environ::Environ;
use regauth_core::registry::RegistryHost;
use regauth_core::sanitize::{for_terminal, one_line};
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

    /// Show the plan: what a run would move and configure (each helper is asked what it already holds);
    /// change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Seconds to wait for a credential helper (0.001 to 86400).
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = super::seconds::timeout)]
    pub helper_timeout: Duration,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub(super) fn run(cli: &Cli, args: &Args, env: &Environ) -> anyhow::Result<Exit> {
    let only: Vec<RegistryHost> = args
        .registries
        .iter()
        .map(|r| RegistryHost::parse(r).map_err(|e| UsageError(format!("{}: {e}", one_line(r)))))
        .collect::<Result<_, _>>()?;
    if let Some(to) = &args.to {
        if !migrate::valid_helper_name(to) {
            return Err(UsageError(format!("--to {}: not a helper name", one_line(to))).into());
        }
    }
    let docker = cli.config_to_write(env)?;
    let mut files = vec![File { path: docker.clone(), is_docker: true }];
    for f in config::containers_auth_files(env, None, Some(&docker)) {
        if !f.legacy && !files.iter().any(|known| known.path == f.path) {
            files.push(File { path: f.path, is_docker: false });
        }
    }
    let options = Options {
        to: args.to.clone(),
        only,
        default: args.default,
        dry_run: args.dry_run,
        helper_timeout: args.helper_timeout,
        lock_timeout: cli.lock_timeout,
    };
    let report = migrate::run(&files, &options, env);
    let exit = report.exit();
    if args.json {
        print_report(&report, 1, exit)?;
    } else {
        print(&text(&report, &files))?;
    }
    Ok(exit)
}

fn text(report: &Report, files: &[File]) -> String {
    let mut out = String::new();
    if report.items.is_empty() {
        let names: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
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
        let verb = if report.dry_run { "would configure" } else { "configured" };
        for c in &item.changes {
            let show = |v: &Option<String>| {
                v.as_deref().map_or("(none)".to_owned(), |s| format!("\"{}\"", one_line(s)))
            };
            out.push_str(&format!(
                "  {verb}: {}: {} -> {}\n",
                one_line(&c.field),
                show(&c.old),
                show(&c.new)
            ));
        }
    }
    if report.dry_run {
        out.push_str(&format!(
            "dry run: {} would move, {} would not; nothing changed\n",
            report.planned, report.not_moved
        ));
    } else {
        out.push_str(&format!("{} moved, {} not moved\n", report.moved, report.not_moved));
    }
    out
}
