//! The files to read: this user's places, or with `--all-users` every home's and the system's.

use super::{place, Inventory, Options, PlaceKind, PlaceState};
use crate::audit::users;
use regauth_core::config;
use regauth_core::environ::Environ;
use std::path::{Path, PathBuf};

/// The files to read: this user's, or with `all_users` every home's and the system's.
pub(super) fn places(env: &Environ, opts: &Options, inv: &mut Inventory) -> Vec<(PathBuf, PlaceKind)> {
    let mut out = Vec::new();
    if let Some(path) = config::docker_config_path(env, opts.docker_config.as_deref()) {
        if let Some(dir) = path.parent() {
            out.push((dir.join(".token_seed"), PlaceKind::BuildkitTokenSeed));
            out.push((dir.join(".token_seed.lock"), PlaceKind::BuildkitTokenSeed));
        }
        out.push((path, PlaceKind::DockerConfig));
    }
    for file in config::containers_auth_files(env, opts.authfile.as_deref(), opts.docker_config.as_deref()) {
        let kind = if file.legacy { PlaceKind::Dockercfg } else { PlaceKind::ContainersAuth };
        out.push((file.path, kind));
    }
    if let Some(home) = env.home() {
        out.push((home.join(".ecr/cache.json"), PlaceKind::EcrCache));
    }
    out.extend(crate::resolve::helm_registry_config(env).map(|p| (p, PlaceKind::HelmRegistryConfig)));
    out.extend(crate::resolve::regctl_config(env).map(|p| (p, PlaceKind::RegctlConfig)));
    if opts.all_users {
        let system = |path: &str| opts.system_root.join(path);
        let (homes, passwd_error) = users::homes(&opts.system_root);
        let passwd = system("etc/passwd").display().to_string();
        let state = match passwd_error {
            None => PlaceState::Read,
            Some(e) if e.is_not_found() => PlaceState::Missing,
            Some(e) => PlaceState::Error { message: e.to_string() },
        };
        inv.scanned.push(place(passwd, PlaceKind::Passwd, state, None));
        for (user, home) in homes {
            inv.users.push(user);
            out.push((home.join(".docker/.token_seed"), PlaceKind::BuildkitTokenSeed));
            out.push((home.join(".docker/.token_seed.lock"), PlaceKind::BuildkitTokenSeed));
            out.push((home.join(".docker/config.json"), PlaceKind::DockerConfig));
            out.push((home.join(".config/containers/auth.json"), PlaceKind::ContainersAuth));
            out.push((home.join(".dockercfg"), PlaceKind::Dockercfg));
            out.push((home.join(".ecr/cache.json"), PlaceKind::EcrCache));
            out.push((home.join(".config/helm/registry/config.json"), PlaceKind::HelmRegistryConfig));
            out.push((home.join(".regctl/config.json"), PlaceKind::RegctlConfig));
        }
        for dir in subdirs(&system("run/containers")) {
            out.push((dir.join("auth.json"), PlaceKind::ContainersAuth));
        }
        for dir in subdirs(&system("run/user")) {
            out.push((dir.join("containers/auth.json"), PlaceKind::ContainersAuth));
        }
        out.push((system("var/lib/kubelet/config.json"), PlaceKind::KubeletConfig));
        out.push((system("etc/containers/auth.json"), PlaceKind::ContainersAuth));
        out.push((system("etc/containerd/config.toml"), PlaceKind::ContainerdConfig));
        out.push((system("etc/rancher/k3s/registries.yaml"), PlaceKind::RancherRegistries));
        out.push((system("etc/rancher/rke2/registries.yaml"), PlaceKind::RancherRegistries));
    }
    out
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect())
        .unwrap_or_default();
    dirs.sort();
    dirs
}
