//! `regauth audit`: every stored registry credential on this machine and what is wrong with it;
//! `--find-secret-stdin` for incident response; `regauth audit merge` for a fleet.

#[path = "audit_render.rs"]
mod render;

use super::output::{print, say, Failed, Level, UsageError};
use super::Cli;
use crate::audit::fingerprint::FingerprintKey;
use crate::audit::{self, merge, Severity};
use crate::exit::Exit;
use regauth_core::environ::Environ;
use regauth_core::sanitize::one_line;
use regauth_core::secret::Secret;
use render::{print_json, print_report_json, render, render_find, render_merge};
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Inventory every stored registry credential (config files, helpers, caches, environment) with findings.
///
/// Looks in docker's config.json, containers' auth.json files, ~/.dockercfg, the ECR helper's cache,
/// helm's registry config, regctl's config (plaintext by design),
/// DOCKER_AUTH_CONFIG and the env helper's REGAUTH_REGISTRY_* variables, and asks each configured
/// credential helper to `list` what it holds. With --all-users: the home of every user in the passwd
/// database (CI runners and services under /var/lib or /srv too), /root and /home/* directories passwd does
/// not list, /run/containers, /etc/containers, the kubelet's config.json and containerd's config.toml; the report names the users
/// scanned. Secrets are read in memory to tell their kind and expiry (Docker Hub personal and organization
/// tokens, GitHub, GitLab, Quay and Harbor robots, JFrog, Azure ACR, Google service-account keys and access
/// tokens, ECR, JWTs...) and are never printed. BuildKit's ~/.docker/.token_seed (per-registry random seeds
/// for its token signing, not credentials) is listed and flagged only when others can read it.
///
/// Findings: plaintext-credential, readable-by-others, expired-credential, duplicated-credential,
/// unreadable-auth (an auth its place's reader, docker, containers/image or the kubelet, cannot decode),
/// missing-helper, helper-error, unreadable-config, credential-in-environment, symlink-to-another-owner
/// (a link in one user's files to root's or another user's file: reported, never followed; credentials are
/// attributed to the file that holds them), token-seed-readable-by-others.
///
/// The text report opens with a summary (counts by severity, rule, token kind, storage, place) and shows
/// findings that share a rule and a file once, with a count and one fix; --verbose and --json list every
/// credential and finding.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, after_long_help = concat!(
    "Examples:\n",
    "  regauth audit\n",
    "      This user's credentials and findings.\n",
    "  sudo regauth audit --all-users --json > audit.json\n",
    "      Every user's home (from passwd), /run/containers, the kubelet's config.json.\n",
    "  sudo regauth audit --all-users --fingerprint-key /etc/regauth/fp.key \\\n",
    "      --json > \"$(hostname).json\"\n",
    "      With keyed fingerprints, to match the same secret across machines (audit merge).\n",
    "  printf %s \"$LEAKED\" | sudo regauth audit --all-users --find-secret-stdin\n",
    "      Where is this leaked token stored? (files, helpers' entries, the environment; exit 9 if found)\n",
    "  regauth audit merge reports/*.json\n",
    "      One report for a fleet (see `regauth audit merge --help`).\n",
    "  regauth audit --fail-on medium\n",
    "      Exit 9 when any finding is medium or worse (for CI and cron).\n",
    "  regauth audit --online --repo ghcr.io/org/app --repo docker.io/org/app\n",
    "      Ask each registry what every stored credential can still do: accepted or not, and per --repo ",
    "pull and push (nothing written; at most 3 requests per credential and repository; a registry ",
    "that answers 429 is asked nothing more). Findings: credential-rejected (high), ",
    "credential-expires-soon (medium, --expires-within DAYS), account-password (medium: accepted, on a ",
    "registry that offers scoped tokens), credential-not-needed (low: anonymous pulls work).\n",
    "  kubectl get secret,serviceaccount,pod,deployment,job,cronjob -A -o json \\\n",
    "      | regauth audit --kube -\n",
    "      A cluster's pull secrets: location namespace/name/key, registry, user, token kind, expiry. ",
    "Findings: kube-undecodable-pull-secret (high), kube-expired-credential (high), ",
    "kube-password-credential (medium: a password where the registry offers scoped tokens), ",
    "kube-missing-pull-secret (medium), kube-wrong-secret-type (medium), kube-secret-copied (low: one ",
    "credential in 3 or more namespaces), kube-unused-pull-secret (low). Plaintext is inherent to a ",
    "Secret and not reported. Storage \"kubernetes-secret\", scanned kind \"kubernetes-objects\". An ",
    "input that cannot be read: exit 3.\n",
    "  regauth audit --kube-live --context prod -n shop\n",
    "      The same for one namespace, read through your kubectl (workloads, service accounts, every ",
    "secret; each call within --kubectl-timeout, nothing written to disk). A read the cluster refuses ",
    "is the finding kube-missing-right (medium), naming the right (check: kubectl auth can-i list ",
    "secrets -n shop). kubectl missing, failing or stopped at its timeout: exit 3.\n\n",
    "JSON (--json): `regauth help json`, regauth-audit(1), docs/json.md.\n\n",
    crate::exit_codes_help!(),
    "\n\nWith --find-secret-stdin: exit 9 when the secret is found, 0 when it is not."
))]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<AuditCommand>,

    /// Scan every user's home (passwd database, /root, /home/*) and the system-wide places (run as root).
    #[arg(long)]
    pub all_users: bool,

    /// containers auth file to scan instead of podman's search list.
    #[arg(long, value_name = "FILE")]
    pub authfile: Option<PathBuf>,

    /// Do not ask credential helpers to list their entries.
    #[arg(long)]
    pub no_helpers: bool,

    /// Seconds to wait for a credential helper's list or get (0.001 to 86400).
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = super::seconds::timeout)]
    pub helper_timeout: Duration,

    /// Exit 9 when a finding is at least this severe.
    #[arg(long, value_enum, value_name = "SEVERITY", default_value = "high")]
    pub fail_on: FailOn,

    /// Audit the pull secrets in this `kubectl get secret,serviceaccount,pod,deployment,... -o json` output
    /// (`-`: stdin) instead of this machine's places. Repeatable; each input at most 256 MiB.
    #[arg(long, value_name = "FILE|-", conflicts_with_all = ["all_users", "authfile"])]
    pub kube: Vec<PathBuf>,

    /// Like --kube, but read one namespace from the cluster through your kubectl (its kubeconfig, context
    /// and auth plugins): its workloads, service accounts and every secret; nothing is written to disk. A
    /// read the cluster refuses is the finding kube-missing-right, naming the right.
    #[arg(long, conflicts_with_all = ["all_users", "authfile", "kube", "find_secret_stdin"])]
    pub kube_live: bool,

    /// With --kube-live: the workloads to read, as KIND/NAME; default every pod, deployment, statefulset,
    /// daemonset, job and cronjob of the namespace.
    #[arg(value_name = "KIND/NAME", requires = "kube_live")]
    pub objects: Vec<String>,

    /// With --kube-live: the kubeconfig context (kubectl --context); default the current one.
    #[arg(long, value_name = "CONTEXT", requires = "kube_live")]
    pub context: Option<String>,

    /// With --kube-live: the namespace (kubectl -n); default the context's, else `default`.
    #[arg(long, short = 'n', value_name = "NAMESPACE", requires = "kube_live")]
    pub namespace: Option<String>,

    /// With --kube-live: seconds each kubectl call may take (0.001 to 86400); a kubectl still running then
    /// is stopped and named (exit 3).
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = super::seconds::timeout)]
    pub kubectl_timeout: Duration,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,

    /// Text: list every credential and every finding after the summary and the groups.
    #[arg(long, short)]
    pub verbose: bool,

    /// Key file for keyed fingerprints (HMAC-SHA256): each credential's fingerprint is printed in the JSON,
    /// so the same secret can be matched across machines by whoever holds the key. Keep the key secret;
    /// make one with `openssl rand -hex 32`. Without it, no fingerprint leaves regauth.
    #[arg(long, value_name = "FILE")]
    pub fingerprint_key: Option<PathBuf>,

    /// Read a leaked secret from stdin and report every place that holds it: config files, caches,
    /// helpers (each listed entry fetched with `get`), environment variables. The secret is never echoed.
    #[arg(long)]
    pub find_secret_stdin: bool,

    /// The name of this machine in the report (default: the kernel's host name).
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,

    #[command(flatten)]
    pub online: super::audit_online::OnlineArgs,

    /// Where the system's places are found (homes, /run, /etc, the kubelet's): for tests, hidden.
    #[arg(long, value_name = "DIR", default_value = "/", hide = true)]
    pub system_root: PathBuf,
}

#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    Merge(MergeArgs),
}

/// One report from the `audit --json` reports of many machines.
///
/// Reads each report (a regular file, no link followed, at most 256 MiB), and prints the same summary as
/// `audit` over all machines, findings grouped by rule and place across machines (with how many machines),
/// and the secrets stored in more than one place, matched by keyed fingerprint (reports made with the same
/// --fingerprint-key; reports without one are merged but not correlated). A report that cannot be read is
/// named and the others are merged (exit 3).
#[derive(Debug, clap::Args)]
#[command(after_long_help = concat!(
    "Collecting reports:\n",
    "  ssh loop (copy the key file to each machine first, mode 0600; it stays there):\n",
    "    mkdir -p reports\n",
    "    for h in $(cat hosts.txt); do\n",
    "      ssh \"$h\" sudo regauth audit --all-users --json --fail-on never \\\n",
    "        --fingerprint-key /etc/regauth/fp.key \\\n",
    "        > \"reports/$h.json\" || echo \"$h: failed\" >&2\n",
    "    done\n",
    "    regauth audit merge reports/*.json\n",
    "  Ansible ad-hoc commands (one file per host under reports/HOST/):\n",
    "    ansible all -b -m ansible.builtin.shell -a 'regauth audit --all-users \\\n",
    "      --fingerprint-key /etc/regauth/fp.key --json --fail-on never \\\n",
    "      > /tmp/regauth-audit.json'\n",
    "    ansible all -b -m ansible.builtin.fetch \\\n",
    "      -a 'src=/tmp/regauth-audit.json dest=reports/'\n",
    "    regauth audit merge reports/*/tmp/regauth-audit.json\n\n",
    "Reads reports of schema 3 (each text once), schema 2 (camelCase, every text in every finding) and \
     schema 1 (snake_case, no schemaVersion).\n\n",
    "JSON (--json): `regauth help json`, regauth-audit-merge(1), docs/json.md.\n\n",
    crate::exit_codes_help!(),
    "\n\nA report that cannot be read or parsed: exit 3 (the others are still merged)."
))]
pub struct MergeArgs {
    /// Reports made by `regauth audit --json` (one per machine).
    #[arg(required = true, value_name = "REPORT.json")]
    pub reports: Vec<PathBuf>,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,

    /// Text: list every finding of every machine after the groups.
    #[arg(long, short)]
    pub verbose: bool,

    /// Exit 9 when a finding of any machine is at least this severe.
    #[arg(long, value_enum, value_name = "SEVERITY", default_value = "high")]
    pub fail_on: FailOn,
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

    fn failing(self, mut severities: impl Iterator<Item = Severity>) -> bool {
        self.threshold().is_some_and(|t| severities.any(|s| s >= t))
    }
}

/// The most read of a secret on stdin.
const SECRET_LIMIT: u64 = 64 * 1024;

pub(super) fn run(cli: &Cli, args: &Args, env: &Environ) -> anyhow::Result<Exit> {
    if let Some(AuditCommand::Merge(merge_args)) = &args.command {
        return run_merge(merge_args);
    }
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let fingerprint_key = args
        .fingerprint_key
        .as_deref()
        .map(FingerprintKey::read)
        .transpose()
        .map_err(|e| UsageError(e.to_string()))?;
    let sought = if args.find_secret_stdin { Some(Arc::new(read_secret()?)) } else { None };
    let opts = audit::Options {
        docker_config: cli.config.clone(),
        authfile: args.authfile.clone(),
        all_users: args.all_users,
        call_helpers: !args.no_helpers,
        helper_timeout: args.helper_timeout,
        now,
        system_root: args.system_root.clone(),
        fingerprint_key,
        sought,
        keep_secrets: args.online.online,
    };
    let host = args.host.clone().unwrap_or_else(audit::host_name);
    if opts.sought.is_some() {
        let report = audit::find(env, &opts, host);
        let exit = if report.found > 0 { Exit::AuditFindings } else { Exit::Ok };
        if args.json {
            print_json(&report, exit)?;
        } else {
            print(&render_find(&report, opts.call_helpers))?;
        }
        return Ok(exit);
    }
    let report = if args.kube_live {
        let request = crate::kube::live::Request {
            context: args.context.clone(),
            namespace: args.namespace.clone(),
            objects: args.objects.clone(),
            secrets: crate::kube::live::Secrets::All,
            timeout: args.kubectl_timeout,
        };
        match audit::kube::run_live(env, &request, now, host) {
            Ok(report) => report,
            Err(e) => return Err(Failed::local(e)),
        }
    } else if args.kube.is_empty() {
        audit::run(env, &opts, host)
    } else {
        crate::allocator::purge_freed_at_once();
        match audit::kube::run(&args.kube, now, host, args.online.online) {
            Ok(report) => report,
            Err(e) => return Err(Failed::local(e)),
        }
    };
    let mut report = report;
    if args.online.online {
        super::audit_online::apply(&mut report, &args.online, now, !args.json)?;
    }
    let failing = args.fail_on.failing(report.findings.iter().map(|f| f.severity));
    let exit = if failing { Exit::AuditFindings } else { Exit::Ok };
    if args.json {
        print_report_json(|out| report.write_json(exit.code() as i32, out).map(drop))?;
    } else {
        let mut text = render(&report, args.verbose, args.all_users);
        if let Some(online) = &report.online {
            text.push_str(&super::audit_online::render(online, &report.credentials));
        }
        print(&text)?;
    }
    if !args.online.online {
        // The process ends now: freeing 100,000 credentials and their findings one by one is wasted time.
        // (With --online the report holds secrets, which are zeroed as they are dropped.)
        std::mem::forget(report);
    }
    Ok(exit)
}

/// The leaked secret: at most 64 KiB of UTF-8 on stdin, a final newline dropped. Errors never quote it.
fn read_secret() -> anyhow::Result<Secret> {
    let mut bytes = zeroize::Zeroizing::new(Vec::new());
    std::io::stdin().lock().take(SECRET_LIMIT + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > SECRET_LIMIT {
        return Err(UsageError(
            "--find-secret-stdin: stdin holds more than 64 KiB; pipe in one secret".into(),
        )
        .into());
    }
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Err(UsageError("--find-secret-stdin: the secret on stdin is not UTF-8 text".into()).into());
    };
    let secret = Secret::new(text.strip_suffix('\n').map_or(text, |t| t.strip_suffix('\r').unwrap_or(t)));
    if secret.len() < 4 {
        return Err(UsageError(
            "--find-secret-stdin: stdin holds fewer than 4 characters; pipe in the secret (printf %s \"$SECRET\" | ...)"
                .into(),
        )
        .into());
    }
    Ok(secret)
}

fn run_merge(args: &MergeArgs) -> anyhow::Result<Exit> {
    let merged = merge::merge(&args.reports);
    let unreadable = merged.reports.iter().any(|r| r.error.is_some());
    let exit = if unreadable {
        Exit::LocalConfig
    } else if args.fail_on.failing(merged.findings.iter().map(|f| f.severity)) {
        Exit::AuditFindings
    } else {
        Exit::Ok
    };
    if args.json {
        print_report_json(|out| merged.write_json(exit.code() as i32, out).map(drop))?;
    } else {
        print(&render_merge(&merged, args.verbose))?;
    }
    for r in merged.reports.iter().filter(|r| r.error.is_some()) {
        say(Level::Error, &one_line(r.error.as_deref().unwrap_or_default()));
    }
    // As for one report: the process ends, nothing to free one by one.
    std::mem::forget(merged);
    Ok(exit)
}
