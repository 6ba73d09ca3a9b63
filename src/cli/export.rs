//! `regauth export IMAGE...`: parse, check each credential with the pull (and push) probe, write the
//! document to stdout or a new 0600 file. The documents come from crate::export.

use super::client_arg::ClientArg;
use super::output::{print, say, Failed, Level, UsageError};
use super::registry_args::TrustArgs;
use super::Cli;
use crate::diagnose::{self, Lookup, Observer, Verdict};
use crate::exit::Exit;
use crate::export::{self, Entry, Format, SecretMeta};
use crate::http::{tls, transport::TlsOptions};
use crate::resolve::{self, Outcome};
use regauth_core::environ::Environ;
use regauth_core::reference::Reference;
use regauth_core::sanitize::one_line;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Write the credential that a client (default docker) finds for each image's registry, in `auths` or
/// through any credential helper, as a Kubernetes pull secret, a docker config.json, a containers
/// auth.json or a kind cluster config: for the named registries only, and only after each credential passed the pull probe on
/// its image (and the push probe with --push). To stdout, or a new file of mode 0600 with --output.
/// The secret is in that document and nowhere else.
#[derive(Debug, clap::Args)]
#[command(after_long_help = concat!(
    "Examples:\n",
    "  regauth export ghcr.io/org/app --name regcred -n shop | kubectl apply -f -\n",
    "      A pull secret for the pod's namespace, with the credential docker uses for that registry.\n",
    "  regauth export ghcr.io/org/app nginx --format dockerconfigjson -o node.json\n",
    "      A docker config.json with two registries (for /var/lib/kubelet/config.json, say).\n",
    "  regauth export quay.io/org/app --format auth.json --client podman --push \\\n",
    "      -o auth.json\n",
    "  regauth export ghcr.io/org/app --format kind -o ~/kind-creds.json > kind.yaml\n",
    "      kind create cluster --config kind.yaml: its node pulls ghcr.io/org images with that credential.\n\n",
    "Formats: secret (a kubernetes.io/dockerconfigjson Secret, JSON; needs --name; without --namespace ",
    "the manifest has none and kubectl uses the context's), dockerconfigjson ({\"auths\": ...} with username, ",
    "password and auth per registry, as kubectl writes it), auth.json (containers: {\"auths\": {KEY: {auth}}}, ",
    "Docker Hub as docker.io), kind (the dockerconfigjson document to -o FILE, and on stdout a kind cluster ",
    "config that mounts that file at /var/lib/kubelet/config.json of the node, where its kubelet reads it). ",
    "Docker Hub's key in the others is https://index.docker.io/v1/. ",
    "Each image is probed as `regauth diagnose IMAGE [--push]` would, with the credential found; the first ",
    "that fails stops the export with that verdict's exit code and nothing is written. Identity (refresh) ",
    "tokens and registry tokens are refused: the kubelet and CRI-O take only a username and password. ",
    "--output never replaces a file: it creates a new one, mode 0600, and refuses a path that exists.\n\n",
    crate::exit_codes_help!(0, 1, 2, 3, 4, 5, 6, 7, 8)
))]
pub struct Args {
    /// Images whose registries' credentials to export (their repositories are probed).
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<String>,

    /// What to write.
    #[arg(long, value_enum, default_value = "secret")]
    pub format: FormatArg,

    /// The Secret's name (--format secret).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// The Secret's namespace (--format secret); without it, the manifest names none.
    #[arg(long, short = 'n', value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// Write to this new file (mode 0600) instead of stdout; an existing path is refused.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also require that each credential may push to its image's repository.
    #[arg(long)]
    pub push: bool,

    /// Export the credential this client would send.
    #[arg(long, value_enum, default_value = "docker")]
    pub client: ClientArg,

    #[command(flatten)]
    pub trust: TrustArgs,

    /// Seconds to wait for a credential helper (0.001 to 86400).
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = super::seconds::timeout)]
    pub helper_timeout: Duration,

    /// Seconds each image's probe may take (0.001 to 86400).
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = super::seconds::timeout)]
    pub timeout: Duration,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    Secret,
    Dockerconfigjson,
    #[value(name = "auth.json")]
    AuthJson,
    Kind,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Secret => Format::Secret,
            FormatArg::Dockerconfigjson => Format::DockerConfigJson,
            FormatArg::AuthJson => Format::AuthJson,
            FormatArg::Kind => Format::Kind,
        }
    }
}

struct Quiet;
impl Observer for Quiet {
    fn step(&self, _: &str) {}
    fn warn(&self, _: &str) {}
}

fn meta(args: &Args) -> anyhow::Result<Option<SecretMeta>> {
    let format = Format::from(args.format);
    if format != Format::Secret {
        if args.name.is_some() || args.namespace.is_some() {
            return Err(UsageError("--name and --namespace are for --format secret".into()).into());
        }
        return Ok(None);
    }
    let Some(name) = args.name.clone() else {
        return Err(UsageError("--format secret needs --name (the Secret's name)".into()).into());
    };
    if !export::valid_name(&name, false) {
        return Err(UsageError(format!("--name {}: not a valid Secret name", one_line(&name))).into());
    }
    if let Some(ns) = &args.namespace {
        if !export::valid_name(ns, true) {
            return Err(UsageError(format!("--namespace {}: not a valid namespace", one_line(ns))).into());
        }
    }
    Ok(Some(SecretMeta { name, namespace: args.namespace.clone() }))
}

pub(super) fn run(cli: &Cli, args: &Args, env: &Environ) -> anyhow::Result<Exit> {
    let meta = meta(args)?;
    let format = Format::from(args.format);
    if format == Format::Kind && args.output.is_none() {
        return Err(UsageError("--format kind needs -o FILE: the config.json the nodes mount".into()).into());
    }
    let mut references = Vec::new();
    for image in &args.images {
        let r = Reference::parse(image).map_err(|e| UsageError(format!("{}: {e}", one_line(image))))?;
        references.push(r);
    }
    if let Some(path) = &args.output {
        if path.symlink_metadata().is_ok() {
            return Err(
                UsageError(format!("{}: exists; --output writes a new file only", path.display())).into()
            );
        }
    }
    let options = resolve::Options {
        docker_config: cli.config.clone(),
        helper_timeout: args.helper_timeout,
        ..resolve::Options::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let mut entries: Vec<Entry> = Vec::new();
    let exit = (|| -> anyhow::Result<Exit> {
        for reference in &references {
            let resolution = resolve::resolve(reference, args.client.into(), env, &options);
            let credential = match (&resolution.outcome, &resolution.credential) {
                (Outcome::Found { .. }, Some(c)) => c.clone(),
                (outcome, _) => {
                    let why = match outcome {
                        Outcome::NotFound => "no credential is stored for it".to_owned(),
                        Outcome::HelperMissing { message }
                        | Outcome::HelperFailed { message }
                        | Outcome::HelperTimedOut { message }
                        | Outcome::ConfigError { message } => message.clone(),
                        _ => "no credential was found".to_owned(),
                    };
                    return Err(Failed::local(format!("{}: {why}", reference.registry)));
                }
            };
            if let Err(e) = export::add(&mut entries, reference, &credential, format) {
                return Err(Failed::local(e));
            }
            let ca_files = match tls::ca_files(
                &reference.registry,
                &args.trust.certs_dirs(),
                &args.trust.all_ca_files(),
            ) {
                Ok(files) => files,
                Err(e) => return Err(Failed::local(e)),
            };
            let input = diagnose::Input {
                reference: reference.clone(),
                lookup: Lookup::Explicit(credential.clone()),
                push: args.push,
                registry_type: None,
                tls: TlsOptions { ca_files, insecure: args.trust.allows_insecure() },
                observer: Arc::new(Quiet),
                timeout: args.timeout,
            };
            let report = match runtime.block_on(diagnose::run(input)) {
                Ok(r) => r,
                Err(e) => return Err(Failed::local(e)),
            };
            let checked = if args.push { "pull and push" } else { "pull" };
            if report.verdict != Verdict::Ok {
                let why = report.first_failure().map(|f| f.summary.clone()).unwrap_or_default();
                return Err(Failed::stop(
                    report.exit(),
                    format!(
                        "{}: user {} fails the {checked} probe, nothing written: {why}",
                        reference.name(),
                        one_line(&credential.username),
                    ),
                ));
            }
            say(
                Level::Status,
                &format!(
                    "verified {}: user {} may {checked} ({})",
                    reference.name(),
                    one_line(&credential.username),
                    resolution.key.as_deref().map(one_line).unwrap_or_default()
                ),
            );
        }
        Ok(Exit::Ok)
    })();
    runtime.shutdown_background();
    let exit = exit?;
    if exit != Exit::Ok {
        return Ok(exit);
    }
    let document = export::render(&entries, format, meta.as_ref());
    match &args.output {
        None => print(document.expose())?,
        Some(path) => {
            write_new(path, document.expose().as_bytes())?;
            say(Level::Status, &format!("wrote {} (mode 0600)", path.display()));
            if format == Format::Kind {
                print(&export::kind_config(&std::path::absolute(path)?))?;
            }
        }
    }
    Ok(Exit::Ok)
}

/// Create `path` (never an existing file or link) with mode 0600 and write `bytes`.
fn write_new(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}
