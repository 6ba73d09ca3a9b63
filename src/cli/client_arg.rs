//! `--client` values: the command-line face of `regauth_core::registry::Client`, which stays free of clap.

use regauth_core::registry::Client;

/// A client whose lookup rules regauth knows, as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClientArg {
    /// Docker CLI (also buildx, compose, docker-py).
    Docker,
    /// podman (containers/image, as cri-o).
    Podman,
    /// nerdctl (and buildkit through it).
    Nerdctl,
    /// buildah (containers/image; reads CONTAINERS_REGISTRIES_CONF like podman).
    Buildah,
    /// skopeo (containers/image; ignores CONTAINERS_REGISTRIES_CONF and DOCKER_CONFIG).
    Skopeo,
    /// crane (go-containerregistry's default keychain).
    Crane,
    /// oras.
    Oras,
    /// helm v4 (its registry config, then docker's).
    Helm,
    /// regctl (its config merged over docker's).
    Regctl,
    /// containerd's CRI image service (the kubelet's pulls): config.toml's registry configs, not
    /// config.json.
    Containerd,
}

impl From<ClientArg> for Client {
    fn from(arg: ClientArg) -> Client {
        match arg {
            ClientArg::Docker => Client::Docker,
            ClientArg::Podman => Client::Podman,
            ClientArg::Nerdctl => Client::Nerdctl,
            ClientArg::Buildah => Client::Buildah,
            ClientArg::Skopeo => Client::Skopeo,
            ClientArg::Crane => Client::Crane,
            ClientArg::Oras => Client::Oras,
            ClientArg::Helm => Client::Helm,
            ClientArg::Regctl => Client::Regctl,
            ClientArg::Containerd => Client::Containerd,
        }
    }
}
