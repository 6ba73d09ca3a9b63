//! `regauth diagnose IMAGE`: is the credential wrong, or may it not pull/push this repository?

use super::output::{print_report, Failed, UsageError};
use super::registry_args::{CredentialArgs, TrustArgs};
use super::Cli;
use crate::diagnose::{self, RegistryType};
use crate::exit::Exit;
use crate::http::{tls, transport::TlsOptions};
use regauth_core::environ::Environ;
use regauth_core::reference::Reference;
use regauth_core::sanitize::one_line;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Tell a wrong or expired credential (authentication) from a valid one that may not pull or push this
/// repository (authorization), with the HTTP exchange that proves it and the fix for this registry.
///
/// Probes, in the fewest round trips: an anonymous HEAD of the manifest (learns the challenge), a pull
/// token, a HEAD with it; with --push a push token and an upload session that is cancelled at once.
/// Nothing is ever written to the repository. The credential is the one the chosen client would send
/// (see `regauth resolve`), or given on stdin. Secrets are never printed.
#[derive(Debug, clap::Args)]
#[command(after_long_help = concat!(
    "Examples:\n",
    "  regauth diagnose docker.io/me/app:latest --push\n",
    "      Docker Hub push says 401? A read-only personal access token shows as:\n",
    "        ok       authentication  the token service issued a pull token\n",
    "        DENIED   push            push on me/app is not allowed\n",
    "                 The password is fine: ... lacks the push scope on me/app.\n",
    "                 fix: Create a personal access token with \"Read & Write\" ...\n",
    "      and exit code 5. A repository that does not exist yet is probed the same way: the verdict ",
    "is \"may create it by pushing\" (exit 0) or DENIED (exit 5); on Quay and GitLab, which create a ",
    "repository when asked for a push token on it, push is reported as not probed.\n",
    "  regauth diagnose ghcr.io/org/app:1.2 --client podman\n",
    "      Use the credential podman would send (it ignores credsStore).\n",
    "  printf %s \"$TOKEN\" | regauth diagnose reg.example/team/app --push \\\n",
    "      -u ci --password-stdin\n",
    "  regauth diagnose 127.0.0.1:5000/team/app:v1 --ca-file ca.pem --verbose\n",
    "      Show every request and answer (secrets redacted).\n",
    "  regauth diagnose quay.io/org/app --json | jq '.steps[]|select(.verdict!=\"ok\")'\n\n",
    "Steps (one verdict each): credential, reachability, authentication, pull, push. The whole diagnosis ",
    "has a deadline (--timeout, 30 s); the step it cuts short gets the verdict network (exit 8). ",
    "Verdicts: ok, skipped, authenticationFailed, authorizationDenied, notFound, rateLimited, network, ",
    "localConfig. The exit code is that of the first failing step.\n\n",
    "JSON (--json): `regauth help json`, regauth-diagnose(1), docs/json.md.\n\n",
    "Text from servers is redacted of every form of the credential and tokens, made safe for a terminal ",
    "and cut; bodies are read up to 1 MiB. Redirects to another origin are followed only by GET and HEAD, ",
    "and never with the credential.\n\n",
    "TLS as docker: system roots, plus <certs.d>/HOST[:PORT]/*.crt and the `ca` entries of ",
    "<certs.d>/HOST[:PORT]/hosts.toml, where certs.d is /etc/docker/certs.d, /etc/containerd/certs.d and ",
    "/etc/containers/certs.d (or --certs-dir); a hosts.toml that cannot be read is exit 3. Plain http only for ",
    "loopback or with --insecure. Proxies come from HTTPS_PROXY / HTTP_PROXY / NO_PROXY. NO_COLOR turns ",
    "colours off.\n\n",
    "Kubernetes (--kube FILE|-, repeatable; what `kubectl get pod,job,deployment,serviceaccount,secret -o json` ",
    "prints): for every container, init container and ephemeral container image of every workload (Pod, Job, ",
    "CronJob, Deployment, StatefulSet, DaemonSet, ReplicaSet), the credentials the kubelet would try, in its ",
    "order: the pod's imagePullSecrets (or, when it names none, its service account's, default `default`), ",
    "from the pod's namespace, each secret's keys matched by the kubelet's rules (docs/kubernetes.md), then ",
    "--node-config. Each is probed with the pull diagnosis (one probe per distinct image and credential, run ",
    "concurrently); the kubelet stops at the first that pulls. Per image: which secret and key serve it, why ",
    "the others do not (missing, other namespace, wrong type, undecodable, key that matches nothing), the ",
    "verdict, and the fix with the exact `kubectl create secret docker-registry` command (the password is ",
    "always the placeholder <the token>). No matching credential and an anonymous pull refused: localConfig.\n",
    "  kubectl get pod,job,deployment,serviceaccount,secret -n shop -o json \\\n",
    "      | regauth diagnose --kube -\n",
    "  regauth diagnose --kube cluster.json --node-config node-config.json --json\n",
    "Live (--kube-live [--context C] [-n NS] [KIND/NAME...]): the same, with the objects read through your ",
    "kubectl (its kubeconfig, context and auth plugins) instead of a dump: the workloads named (default every ",
    "pod, deployment, statefulset, daemonset, job and cronjob of the namespace), its service accounts, and the ",
    "pull secrets they name (kubectl get secret/NAME); each kubectl call has --kubectl-timeout, nothing is ",
    "written to disk. A read the cluster refuses: the secret is `unreadable`, the verdict the one reachable ",
    "without it, and a line `missing right: get secrets \"NAME\" in namespace NS (check: kubectl auth can-i ...)`.\n",
    "  regauth diagnose --kube-live --context prod -n shop deployment/web\n",
    "Exit code (--kube, --kube-live): the worst image's verdict, worst first: authenticationFailed 4, ",
    "authorizationDenied 5, localConfig 3, notFound 6, network 8, rateLimited 7; 0 when every image pulls; ",
    "3 when an input cannot be read (--kube-live: kubectl missing, failing, stopped at its timeout, or refused ",
    "the workloads themselves).\n\n",
    crate::exit_codes_help!(0, 1, 2, 3, 4, 5, 6, 7, 8)
))]
#[command(group = clap::ArgGroup::new("kube_input").args(["kube", "kube_live"]))]
pub struct Args {
    /// The image, as you would pass it to docker pull or push. With --kube-live: the first KIND/NAME.
    #[arg(required_unless_present_any = ["kube", "kube_live"])]
    pub image: Option<String>,

    /// With --kube-live: the workloads to read, as KIND/NAME (deployment/web, pod/web-0, cronjob/nightly);
    /// default every pod, deployment, statefulset, daemonset, job and cronjob of the namespace.
    #[arg(value_name = "KIND/NAME", requires = "kube_live")]
    pub objects: Vec<String>,

    /// Diagnose every image of every workload in this `kubectl get ... -o json` output (`-`: stdin) the way
    /// the kubelet pulls it: its pull secrets matched by the kubelet's rules, each credential tried in its
    /// order. Repeatable; each input at most 256 MiB.
    #[arg(long, value_name = "FILE|-", conflicts_with_all = [
        "image", "push", "username", "password_stdin", "identity_token_stdin", "anonymous", "client"
    ])]
    pub kube: Vec<PathBuf>,

    /// Like --kube, but read the workloads, service accounts and pull secrets of one namespace from the
    /// cluster through your kubectl (its kubeconfig, context and auth plugins); nothing is written to disk.
    /// A read the cluster refuses is named with the missing right, and the verdicts are those reachable
    /// without it.
    #[arg(long, conflicts_with_all = [
        "kube", "push", "username", "password_stdin", "identity_token_stdin", "anonymous", "client"
    ])]
    pub kube_live: bool,

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

    /// With --kube or --kube-live: the node's docker config.json, tried after the pull secrets (`auths`
    /// only, as the kubelet reads it).
    #[arg(long, value_name = "FILE", requires = "kube_input")]
    pub node_config: Option<PathBuf>,

    /// Also check that the credential may push (opens an upload session and cancels it), also to a
    /// repository that does not exist yet (a push creates it).
    #[arg(long)]
    pub push: bool,

    #[command(flatten)]
    pub credential: CredentialArgs,

    #[command(flatten)]
    pub trust: TrustArgs,

    /// Treat the registry as this type (recognised from host and token realm otherwise).
    #[arg(long, value_enum, value_name = "TYPE")]
    pub registry_type: Option<RegistryType>,

    /// Seconds to wait for a credential helper (0.001 to 86400).
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = super::seconds::timeout)]
    pub helper_timeout: Duration,

    /// Seconds the whole diagnosis may take (0.001 to 86400); when they run out, the report
    /// names the step that did not finish and the exit code is 8.
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = super::seconds::timeout)]
    pub timeout: Duration,

    /// Print the report as JSON (`regauth help json`).
    #[arg(long)]
    pub json: bool,

    /// Show every request and answer, not only the evidence.
    #[arg(long)]
    pub verbose: bool,
}

mod kube;
mod progress;
mod render;

use progress::Progress;
use render::render;

pub(super) fn run(cli: &Cli, args: &Args, env: &Environ) -> anyhow::Result<Exit> {
    if !args.kube.is_empty() || args.kube_live {
        return kube::run(args, env);
    }
    let image = args.image.as_deref().unwrap_or_default();
    let reference = Reference::parse(image).map_err(|e| UsageError(format!("{}: {e}", one_line(image))))?;
    let lookup = args.credential.lookup(cli, env, args.helper_timeout)?;
    let ca_files =
        match tls::ca_files(&reference.registry, &args.trust.certs_dirs(), &args.trust.all_ca_files()) {
            Ok(files) => files,
            // A hosts.toml that cannot be read leaves the trusted CAs unknown: this machine's configuration.
            Err(e) => return Err(Failed::local(e)),
        };
    let progress = Arc::new(Progress::new(std::io::stderr().is_terminal() && !args.json));
    let input = diagnose::Input {
        reference,
        lookup,
        push: args.push,
        registry_type: args.registry_type,
        tls: TlsOptions { ca_files, insecure: args.trust.allows_insecure() },
        observer: progress.clone(),
        timeout: args.timeout,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let report = runtime.block_on(diagnose::run(input));
    // A credential helper still running past the deadline is not waited for.
    runtime.shutdown_background();
    progress.clear();
    let report = match report {
        Ok(report) => report,
        // A CA file that cannot be used is this machine's configuration, not the registry's.
        Err(e) => return Err(Failed::local(e)),
    };
    if args.json {
        print_report(&report, 1, report.exit())?;
    } else {
        // anstream strips the styles off a terminal; NO_COLOR is read from the environment snapshot.
        let choice = if env.get("NO_COLOR").is_some() {
            anstream::ColorChoice::Never
        } else {
            anstream::ColorChoice::Auto
        };
        print_styled(&render(&report, args.verbose), choice)?;
    }
    Ok(report.exit())
}

/// Like `output::print`, through a stream that keeps or strips the styles as `choice` says.
fn print_styled(text: &str, choice: anstream::ColorChoice) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = anstream::AutoStream::new(std::io::stdout().lock(), choice);
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e.into()),
    }
}
