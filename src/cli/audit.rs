//! `regauth audit`: every stored registry credential on this machine and what is wrong with it.

use super::output::{print, print_json};
use super::Cli;
use crate::audit::{self, Severity};
use crate::exit::Exit;
use regauth_core::environ::Environ;
use regauth_core::sanitize::one_line;
use std::path::PathBuf;
use std::time::Duration;

/// Inventory every stored registry credential (config files, helpers, caches, environment) with findings.
///
/// Looks in docker's config.json, containers' auth.json files, ~/.dockercfg, the ECR helper's cache,
/// DOCKER_AUTH_CONFIG and the env helper's REGAUTH_REGISTRY_* variables, and asks each configured
/// credential helper to `list` what it holds. Secrets are read in memory to tell their kind (Docker Hub
/// PAT, GitHub token, ECR token, JWT...) and expiry, and are never printed. Findings: plaintext-credential,
/// readable-by-others, expired-credential, duplicated-credential, missing-helper, helper-error,
/// unreadable-config, credential-in-environment, symlink-to-another-owner (a link in one user's files to
/// root's or another user's file: reported, never followed; credentials are attributed to the file that
/// holds them).
#[derive(Debug, clap::Args)]
#[command(after_long_help = concat!(
    "Examples:\n",
    "  regauth audit\n",
    "      This user's credentials and findings.\n",
    "  sudo regauth audit --all-users --json > audit.json\n",
    "      Every home directory, /run/containers, the kubelet's config.json.\n",
    "  regauth audit --fail-on medium\n",
    "      Exit 9 when any finding is medium or worse (for CI and cron).\n",
    "  kubectl get secret,serviceaccount,pod,deployment,job,cronjob -A -o json | regauth audit --kube -\n",
    "      A cluster's pull secrets: location namespace/name/key, registry, user, token kind, expiry. Findings:\n",
    "      kube-undecodable-pull-secret (high), kube-expired-credential (high), kube-password-credential\n",
    "      (medium: a password where the registry offers scoped tokens), kube-missing-pull-secret (medium),\n",
    "      kube-wrong-secret-type (medium), kube-secret-copied (low: one credential in 3 or more namespaces),\n",
    "      kube-unused-pull-secret (low). Plaintext is inherent to a Secret and not reported. Storage\n",
    "      \"kubernetes-secret\", scanned kind \"kubernetes-objects\". An input that cannot be read: exit 3.\n\n",
    "JSON: {\"credentials\": [{location, registry, username, storage, kind, expires_at}],\n",
    "       \"findings\": [{severity, code, location, message, fix}],",
    " \"scanned\": [{location, kind, state, mode, real_path}]}\n\n",
    crate::exit_codes_help!()
))]
pub struct Args {
    /// Scan every home directory and the system-wide places too (run as root to read them all).
    #[arg(long)]
    pub all_users: bool,

    /// containers auth file to scan instead of podman's search list.
    #[arg(long, value_name = "FILE")]
    pub authfile: Option<PathBuf>,

    /// Do not ask credential helpers to list their entries.
    #[arg(long)]
    pub no_helpers: bool,

    /// Exit 9 when a finding is at least this severe.
    #[arg(long, value_enum, value_name = "SEVERITY", default_value = "high")]
    pub fail_on: FailOn,

    /// Audit the pull secrets in this `kubectl get secret,serviceaccount,pod,deployment,... -o json` output
    /// (`-`: stdin) instead of this machine's places. Repeatable; each input at most 256 MiB.
    #[arg(long, value_name = "FILE|-", conflicts_with_all = ["all_users", "authfile"])]
    pub kube: Vec<PathBuf>,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,

    /// Where the system's places are found (homes, /run, /etc, the kubelet's): for tests, hidden.
    #[arg(long, value_name = "DIR", default_value = "/", hide = true)]
    pub system_root: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Info,
    Low,
    Medium,
    High,
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Info => Some(Severity::Info),
            FailOn::Low => Some(Severity::Low),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::High => Some(Severity::High),
            FailOn::Never => None,
        }
    }
}

pub(super) fn run(cli: &Cli, args: &Args, env: &Environ) -> anyhow::Result<Exit> {
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let opts = audit::Options {
        docker_config: cli.config.clone(),
        authfile: args.authfile.clone(),
        all_users: args.all_users,
        call_helpers: !args.no_helpers,
        helper_timeout: Duration::from_secs(10),
        now,
        system_root: args.system_root.clone(),
    };
    let report = if args.kube.is_empty() {
        audit::run(env, &opts)
    } else {
        match audit::kube::run(&args.kube, now) {
            Ok(report) => report,
            Err(e) => {
                eprintln!("regauth: {}", regauth_core::sanitize::for_terminal(&e.to_string(), 2000));
                return Ok(Exit::LocalConfig);
            }
        }
    };
    if args.json {
        print_json(&report)?;
    } else {
        print(&render(&report))?;
    }
    let failing = args.fail_on.threshold().is_some_and(|t| report.findings.iter().any(|f| f.severity >= t));
    Ok(if failing { Exit::AuditFindings } else { Exit::Ok })
}

fn render(report: &audit::Report) -> String {
    let mut out = format!("Credentials ({})\n", report.credentials.len());
    if report.credentials.is_empty() {
        out.push_str("  none found\n");
    }
    for c in &report.credentials {
        let kind = c.kind.map_or("(kept by the helper)", |k| k.describe());
        let storage = match c.storage {
            audit::sources::Storage::Plaintext => "plaintext",
            audit::sources::Storage::Helper => "helper",
            audit::sources::Storage::Environment => "environment",
            audit::sources::Storage::KubernetesSecret => "kubernetes secret",
        };
        out.push_str(&format!(
            "  {}  user {}  {}  [{storage}] {}\n",
            one_line(&c.registry),
            one_line(c.username.as_deref().unwrap_or("-")),
            kind,
            one_line(&c.location)
        ));
    }
    out.push_str(&format!("\nFindings ({})\n", report.findings.len()));
    if report.findings.is_empty() {
        out.push_str("  none\n");
    }
    for f in &report.findings {
        out.push_str(&format!("  {:<6}  {}  {}\n", f.severity.label(), f.code, one_line(&f.message)));
        out.push_str(&format!("          fix: {}\n", one_line(&f.fix)));
    }
    let present =
        report.scanned.iter().filter(|s| !matches!(s.state, audit::sources::PlaceState::Missing)).count();
    out.push_str(&format!(
        "\nScanned {} places ({present} present); --json lists them.\n",
        report.scanned.len()
    ));
    out
}
