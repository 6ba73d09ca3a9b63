//! `regauth resolve IMAGE`: which credential each client would send, from where, and why.

use super::output::{print, print_report, UsageError};
use super::Cli;
use crate::exit::Exit;
use crate::resolve::{self, Outcome, Resolution, Source};
use regauth_core::environ::Environ;
use regauth_core::reference::Reference;
use regauth_core::registry::Client;
use regauth_core::sanitize::one_line;
use std::path::PathBuf;
use std::time::Duration;

/// Show which credential docker, podman, nerdctl, buildah, skopeo, buildkit, crane, oras, helm, regctl
/// and containerd's CRI would send for an image, and why.
///
/// For each client: the config file and key it looks up, whether the answer comes from credHelpers,
/// credsStore, auths or registries.conf credential-helpers, the helper program and whether it is
/// installed, and the username found. Secrets are never printed. Helpers are asked with `get` (with a
/// timeout) unless --no-helpers.
///
/// podman, buildah and skopeo follow containers/image, whose handling of an explicit auth file
/// (--authfile, REGISTRY_AUTH_FILE, and for podman and buildah DOCKER_CONFIG) changed in 5.24: older
/// versions fall through to the rest of the search list, newer ones stop there. When that matters the
/// installed client is asked its version (`podman --version`); when it is not installed, the newer rules
/// answer and the older outcome is shown too.
///
/// containerd (its CRI image service, which the kubelet pulls through) reads no config.json: its
/// credential is config.toml's `[plugins."io.containerd.cri.v1.images".registry.configs."HOST".auth]`
/// for the host its hosts.toml (under `config_path`) sends the pull to first.
#[derive(Debug, clap::Args)]
#[command(after_long_help = concat!(
    "Examples:\n",
    "  regauth resolve nginx\n",
    "      Which credential would `docker pull nginx` use?\n",
    "  regauth resolve ghcr.io/org/app:1.2 --client all\n",
    "      Compare every client (podman, buildah and skopeo ignore credsStore).\n",
    "  REGISTRY_AUTH_FILE=ci-auth.json regauth resolve quay.io/org/app --client podman\n",
    "      Does podman stop at that file, or go on to ~/.docker/config.json? (It depends on the version.)\n",
    "  regauth resolve quay.io/org/app --client skopeo --registries-conf ci.conf\n",
    "      What `skopeo --registries-conf ci-registries.conf inspect` would send.\n",
    "  regauth resolve 127.0.0.1:5000/team/app --json | jq .[0].source\n",
    "  regauth resolve quay.io/org/app --no-helpers\n",
    "  regauth resolve registry.example/app --client containerd \\\n",
    "      --containerd-config /etc/containerd/config.toml\n",
    "      What the kubelet's pull through containerd's CRI would send.\n",
    "      Show which helper would be asked, without running it.\n\n",
    "Exit 0 also when no credential is found (the client would pull anonymously).\n\n",
    crate::exit_codes_help!(0, 1, 2, 3)
))]
pub struct Args {
    /// The image, as you would pass it to docker pull (nginx, ghcr.io/org/app:tag,
    /// host:5000/repo@sha256:...).
    pub image: String,

    /// Which client's lookup rules to apply (all: every one, in this order: docker, podman, nerdctl,
    /// buildah, skopeo, crane, oras, helm, regctl, buildkit, containerd).
    #[arg(long, value_enum, default_value = "all")]
    pub client: ClientChoice,

    /// containers auth file for podman/skopeo/buildah (default: REGISTRY_AUTH_FILE, then their search list).
    #[arg(long, value_name = "FILE")]
    pub authfile: Option<PathBuf>,

    /// registries.conf for podman/buildah/skopeo, as their own --registries-conf (default: podman's and
    /// buildah's CONTAINERS_REGISTRIES_CONF, then ~/.config/containers/registries.conf or
    /// /etc/containers/registries.conf); its credential-helpers are asked first.
    #[arg(long, value_name = "FILE")]
    pub registries_conf: Option<PathBuf>,

    /// containerd's config.toml for --client containerd, as containerd's own --config.
    #[arg(long, value_name = "FILE", default_value = resolve::CONTAINERD_CONFIG)]
    pub containerd_config: PathBuf,

    /// Do not run credential helpers; only say which one would be asked.
    #[arg(long)]
    pub no_helpers: bool,

    /// Seconds to wait for a credential helper before stopping it.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = super::seconds::timeout)]
    pub helper_timeout: Duration,

    /// Print JSON instead of text (`regauth help json`): the image and one object per client.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClientChoice {
    Docker,
    Podman,
    Nerdctl,
    Buildah,
    Skopeo,
    Crane,
    Oras,
    Helm,
    Regctl,
    /// BuildKit's client side (buildctl, buildx, nerdctl build): docker's lookup for the host alone.
    Buildkit,
    /// containerd's CRI image service: config.toml's registry configs for the host hosts.toml picks.
    Containerd,
    /// Every client above.
    All,
}

impl ClientChoice {
    fn clients(self) -> Vec<Client> {
        match self {
            ClientChoice::Docker => vec![Client::Docker],
            ClientChoice::Podman => vec![Client::Podman],
            ClientChoice::Nerdctl => vec![Client::Nerdctl],
            ClientChoice::Buildah => vec![Client::Buildah],
            ClientChoice::Skopeo => vec![Client::Skopeo],
            ClientChoice::Crane => vec![Client::Crane],
            ClientChoice::Oras => vec![Client::Oras],
            ClientChoice::Helm => vec![Client::Helm],
            ClientChoice::Regctl => vec![Client::Regctl],
            ClientChoice::Buildkit => vec![Client::Buildkit],
            ClientChoice::Containerd => vec![Client::Containerd],
            ClientChoice::All => Client::ALL.to_vec(),
        }
    }
}

pub(super) fn run(cli: &Cli, args: &Args, env: &Environ) -> anyhow::Result<Exit> {
    let reference =
        Reference::parse(&args.image).map_err(|e| UsageError(format!("{}: {e}", one_line(&args.image))))?;
    let opts = resolve::Options {
        docker_config: cli.config.clone(),
        authfile: args.authfile.clone(),
        registries_conf: args.registries_conf.clone(),
        containerd_config: Some(args.containerd_config.clone()),
        call_helpers: !args.no_helpers,
        helper_timeout: args.helper_timeout,
        ..resolve::Options::default()
    };
    let results: Vec<Resolution> =
        args.client.clients().into_iter().map(|c| resolve::resolve(&reference, c, env, &opts)).collect();
    let problem = results.iter().any(|r| r.outcome.is_problem());
    let exit = if problem { Exit::LocalConfig } else { Exit::Ok };
    if args.json {
        let report = serde_json::json!({
            "image": reference.to_string(),
            "registry": reference.registry,
            "repository": reference.repository,
            "clients": results,
        });
        print_report(&report, 1, exit)?;
    } else {
        print(&render(&reference, &results))?;
    }
    Ok(exit)
}

fn render(reference: &Reference, results: &[Resolution]) -> String {
    let mut out = format!(
        "image      {reference}\n           registry {}, repository {}\n",
        reference.registry, reference.repository
    );
    for r in results {
        out.push('\n');
        out.push_str(&format!("{}\n", r.client.name()));
        if let Some(file) = &r.file {
            out.push_str(&format!("  file     {}\n", one_line(&file.display().to_string())));
        }
        if let Some(key) = &r.key {
            out.push_str(&format!("  key      {}\n", one_line(key)));
        }
        out.push_str(&format!("  source   {}\n", source_text(r)));
        out.push_str(&format!("  result   {}\n", outcome_text(&r.outcome)));
        if let Some(version) = &r.version {
            let installed = version.installed.as_deref().map_or("not installed here".into(), one_line);
            out.push_str(&format!("  version  {installed}: rules of {}\n", one_line(&version.applies_to)));
        }
        for asked in &r.asked {
            out.push_str(&format!(
                "  asked    docker-credential-{} get {}\n",
                one_line(&asked.helper),
                one_line(&asked.key)
            ));
        }
        for other in &r.other_versions {
            let at = match (&other.file, &other.key) {
                (Some(file), Some(key)) => format!(" ({}, key {})", file.display(), key),
                _ => String::new(),
            };
            out.push_str(&format!(
                "  other    {}: {}{}\n",
                one_line(&other.applies_to),
                outcome_text(&other.outcome),
                one_line(&at)
            ));
        }
        for note in &r.notes {
            out.push_str(&format!("  note     {}\n", one_line(note)));
        }
    }
    out
}

fn source_text(r: &Resolution) -> String {
    let helper = r.helper.as_ref().map(|h| match &h.path {
        Some(path) => format!("{} ({})", h.program, path.display()),
        None => format!("{} (NOT INSTALLED)", h.program),
    });
    match (r.source, helper) {
        (Source::CredHelpers, Some(h)) => format!("credHelpers -> {}", one_line(&h)),
        (Source::CredsStore, Some(h)) => format!("credsStore -> {}", one_line(&h)),
        (Source::Auths, _) => "auths (stored in the file itself)".into(),
        (Source::DockerAuthConfig, _) => "DOCKER_AUTH_CONFIG environment variable".into(),
        (Source::RegistriesConf, Some(h)) => {
            format!("registries.conf credential-helpers -> {}", one_line(&h))
        }
        (Source::CriRegistryConfig, _) => {
            "containerd's CRI registry configs (stored in config.toml itself)".into()
        }
        (Source::None, _) => "none".into(),
        (_, None) => "helper".into(),
    }
}

fn outcome_text(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Found { username, kind } => {
            let kind = match kind {
                resolve::CredentialKind::Password => "password or access token",
                resolve::CredentialKind::IdentityToken => "identity (refresh) token",
                resolve::CredentialKind::RegistryToken => "registry bearer token",
            };
            format!("username \"{}\" with a {kind}", one_line(username))
        }
        Outcome::NotFound => "no credential: the client pulls anonymously".into(),
        Outcome::Skipped => "helper not asked (--no-helpers)".into(),
        Outcome::HelperMissing { message } => format!("PROBLEM: {}", one_line(message)),
        Outcome::HelperFailed { message } => format!("PROBLEM: {}", one_line(message)),
        Outcome::HelperTimedOut { message } => format!("PROBLEM: {}", one_line(message)),
        Outcome::ConfigError { message } => format!("PROBLEM: {}", one_line(message)),
    }
}
