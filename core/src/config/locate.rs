//! Where each client looks for its configuration.

use crate::environ::Environ;
use std::path::{Path, PathBuf};

/// Docker's config.json: `--config` (a directory, or a file for convenience), `DOCKER_CONFIG`,
/// then `~/.docker/config.json`.
pub fn docker_config_path(env: &Environ, explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(if path.is_dir() { path.join("config.json") } else { path.to_owned() });
    }
    if let Some(dir) = env.path_buf("DOCKER_CONFIG") {
        return Some(dir.join("config.json"));
    }
    env.home().map(|home| home.join(".docker").join("config.json"))
}

/// One file in containers/image's search list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthFile {
    pub path: PathBuf,
    /// `~/.dockercfg`: the `auths` map is the whole file.
    pub legacy: bool,
}

impl AuthFile {
    fn new(path: PathBuf) -> AuthFile {
        AuthFile { path, legacy: false }
    }
}

/// The files containers/image (podman, skopeo, buildah) reads, in order. An explicit `--authfile` or
/// `REGISTRY_AUTH_FILE` replaces the whole list; `docker_config` stands in for docker's config.json.
pub fn containers_auth_files(
    env: &Environ,
    explicit: Option<&Path>,
    docker_config: Option<&Path>,
) -> Vec<AuthFile> {
    if let Some(path) = explicit.map(Path::to_path_buf).or_else(|| env.path_buf("REGISTRY_AUTH_FILE")) {
        return vec![AuthFile::new(path)];
    }
    let mut files = Vec::new();
    match env.path_buf("XDG_RUNTIME_DIR") {
        Some(dir) => files.push(AuthFile::new(dir.join("containers").join("auth.json"))),
        None => files.push(AuthFile::new(PathBuf::from(format!("/run/containers/{}/auth.json", env.uid())))),
    }
    let home = env.home();
    let config_home = env.path_buf("XDG_CONFIG_HOME").or_else(|| home.as_ref().map(|h| h.join(".config")));
    if let Some(dir) = config_home {
        files.push(AuthFile::new(dir.join("containers").join("auth.json")));
    }
    if let Some(docker) = docker_config_path(env, docker_config) {
        files.push(AuthFile::new(docker));
    }
    if let Some(home) = home {
        files.push(AuthFile { path: home.join(".dockercfg"), legacy: true });
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_order() {
        let env = Environ::empty(1000).with("HOME", "/home/u");
        assert_eq!(docker_config_path(&env, None).unwrap(), Path::new("/home/u/.docker/config.json"));
        let env = env.with("DOCKER_CONFIG", "/etc/dc");
        assert_eq!(docker_config_path(&env, None).unwrap(), Path::new("/etc/dc/config.json"));
        assert_eq!(docker_config_path(&env, Some(Path::new("/x/c.json"))).unwrap(), Path::new("/x/c.json"));
        assert_eq!(docker_config_path(&Environ::empty(0), None), None);
    }

    #[test]
    fn containers_order() {
        let env = Environ::empty(1000).with("HOME", "/home/u").with("XDG_RUNTIME_DIR", "/run/user/1000");
        let paths: Vec<_> =
            containers_auth_files(&env, None, None).into_iter().map(|f| (f.path, f.legacy)).collect();
        assert_eq!(
            paths,
            [
                (PathBuf::from("/run/user/1000/containers/auth.json"), false),
                (PathBuf::from("/home/u/.config/containers/auth.json"), false),
                (PathBuf::from("/home/u/.docker/config.json"), false),
                (PathBuf::from("/home/u/.dockercfg"), true),
            ]
        );
        let env =
            Environ::empty(7).with("HOME", "/h").with("XDG_CONFIG_HOME", "/cfg").with("DOCKER_CONFIG", "/d");
        let paths: Vec<_> = containers_auth_files(&env, None, None).into_iter().map(|f| f.path).collect();
        assert_eq!(
            paths,
            ["/run/containers/7/auth.json", "/cfg/containers/auth.json", "/d/config.json", "/h/.dockercfg"]
                .map(PathBuf::from)
        );
        let env = env.with("REGISTRY_AUTH_FILE", "/a.json");
        assert_eq!(containers_auth_files(&env, None, None), [AuthFile::new("/a.json".into())]);
        assert_eq!(
            containers_auth_files(&env, Some(Path::new("/b.json")), None),
            [AuthFile::new("/b.json".into())]
        );
    }
}
