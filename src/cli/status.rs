//! `regauth status`: this user's registry logins, per client, and whether each still works.

use super::output::{print, print_report};
use super::registry_args::TrustArgs;
use super::Cli;
use crate::audit::online::{self, Status};
use crate::exit::Exit;
use crate::status;
use regauth_core::environ::Environ;
use regauth_core::sanitize::one_line;
use std::time::Duration;

/// Every registry this user is logged into, per client, and whether each login still works.
///
/// For docker and nerdctl (docker's config.json and the helpers it names), podman, buildah and skopeo
/// (containers' auth files and their helpers) and the env helper's variables: where the credential is
/// stored, the username, the token kind and its expiry, and (unless --offline) whether the registry still
/// accepts it, asked as `regauth audit --online` asks (nothing written). Never prints a secret.
#[derive(Debug, clap::Args)]
#[command(after_long_help = concat!(
    "Examples:\n",
    "  regauth status\n",
    "      Every login, checked with its registry.\n",
    "  regauth status --offline\n",
    "      Where each login is stored and when it expires, without the network.\n",
    "  regauth status --json \\\n",
    "      | jq '.registries[].logins[] | select(.status != \"accepted\")'\n\n",
    "JSON (--json): `regauth help json`, regauth-status(1), docs/json.md.\n\n",
    "Exit codes:\n",
    "  0  every login works (or --offline)\n",
    "  1  internal error\n",
    "  2  usage error\n",
    "  4  a login is rejected by its registry (wrong, expired or revoked)\n",
    "  7  a registry is rate limiting\n",
    "  8  a login could not be checked (network, TLS, deadline)"
))]
pub struct Args {
    /// Do not ask the registries: only where each login is stored and what it is.
    #[arg(long)]
    pub offline: bool,

    /// Print JSON instead of text (`regauth help json`).
    #[arg(long)]
    pub json: bool,

    /// Seconds the checks may take in all (0.001 to 86400).
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = super::seconds::timeout)]
    pub timeout: Duration,

    /// Seconds to wait for a credential helper (0.001 to 86400).
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = super::seconds::timeout)]
    pub helper_timeout: Duration,

    #[command(flatten)]
    pub trust: TrustArgs,
}

pub(super) fn run(cli: &Cli, args: &Args, env: &Environ) -> anyhow::Result<Exit> {
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let opts = crate::audit::Options {
        docker_config: cli.config.clone(),
        authfile: None,
        all_users: false,
        call_helpers: true,
        helper_timeout: args.helper_timeout,
        now,
        system_root: "/".into(),
        fingerprint_key: None,
        sought: None,
        keep_secrets: false,
    };
    let online = (!args.offline).then(|| online::Options {
        certs_dirs: args.trust.certs_dirs(),
        ca_files: args.trust.ca_file.clone(),
        insecure: args.trust.insecure,
        deadline: args.timeout,
        ..online::Options::default()
    });
    let report = status::run(env, &opts, online.as_ref());
    if args.json {
        print_report(&report, 1, report.exit())?;
    } else {
        print(&render(&report, now))?;
    }
    Ok(report.exit())
}

fn render(report: &status::Report, now: i64) -> String {
    if report.registries.is_empty() {
        return "Not logged into any registry (regauth login REGISTRY).\n".into();
    }
    let mut out = String::new();
    for registry in &report.registries {
        out.push_str(&format!("{}\n", one_line(&registry.registry)));
        for login in &registry.logins {
            let expiry = match login.expires_at {
                Some(exp) if exp <= now => format!(", EXPIRED {}", crate::when::at(exp, now)),
                Some(exp) => format!(", expires {}", crate::when::at(exp, now)),
                None => String::new(),
            };
            out.push_str(&format!(
                "  {}: user {}, {}, in {} ({}){expiry}\n",
                login.clients.join(", "),
                one_line(login.username.as_deref().unwrap_or("-")),
                login.kind.unwrap_or("kind unknown (kept by the helper)"),
                one_line(&login.location),
                login.storage.name(),
            ));
            if let Some(status) = login.status {
                let detail = login.detail.as_deref().unwrap_or_default();
                out.push_str(&format!("    {}: {detail}\n", word(status)));
            }
        }
    }
    if !report.checked_online {
        out.push_str("(not checked with the registries: --offline)\n");
    }
    out
}

fn word(status: Status) -> &'static str {
    match status {
        Status::Accepted => "ok",
        Status::Rejected => "REJECTED",
        Status::NoLogin => "no login needed",
        Status::RateLimited => "rate limited",
        Status::Unreachable => "not checked",
        Status::TimedOut => "timed out",
        Status::NoSecret => "not read",
    }
}
