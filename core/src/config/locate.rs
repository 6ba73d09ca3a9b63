//! Where each client looks for its configuration.

use crate::environ::Environ;
use std::path::{Path, PathBuf};

/// Docker's config.json: `--config` (see [`explicit_config_file`]), `DOCKER_CONFIG`, then
/// `~/.docker/config.json`.
pub fn docker_config_path(env: &Environ, explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(explicit_config_file(path));
    }
    if let Some(dir) = env.path_buf("DOCKER_CONFIG") {
        return Some(dir.join("config.json"));
    }
    env.home().map(|home| home.join(".docker").join("config.json"))
}

/// `--config PATH` read as `docker --config DIR` reads it: the config.json in directory PATH. A PATH that
/// does not exist is such a directory, not yet made (never a file named PATH); only an existing file, or a
/// link that does not lead to a directory, is taken as the config file itself (a convenience docker lacks).
pub fn explicit_config_file(path: &Path) -> PathBuf {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => path.join("config.json"),
        Ok(meta) if meta.file_type().is_symlink() && path.is_dir() => path.join("config.json"),
        Ok(_) => path.to_owned(),
        Err(_) => path.join("config.json"),
    }
}

/// The directory a write through `--config PATH` needs and does not find. docker makes it silently; a
/// mistyped directory would then hold a credential nobody reads, so writers report it instead.
pub fn missing_config_dir(explicit: &Path) -> Option<PathBuf> {
    let file = explicit_config_file(explicit);
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty())?;
    // Only "not there": another error (a file where a directory should be, no permission) is the write's
    // own to report, with the OS's words.
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(dir.to_owned()),
        _ => None,
    }
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

/// The files containers/image (podman, skopeo, buildah) reads, in order, with 5.24's rule: an explicit
/// `--authfile` or `REGISTRY_AUTH_FILE` replaces the whole list; `docker_config` stands in for docker's
/// config.json. The version-aware list is [`containers_search_list`].
pub fn containers_auth_files(
    env: &Environ,
    explicit: Option<&Path>,
    docker_config: Option<&Path>,
) -> Vec<AuthFile> {
    let explicit = explicit.map(Path::to_path_buf).or_else(|| env.path_buf("REGISTRY_AUTH_FILE"));
    containers_search_list(env, explicit.as_deref(), docker_config, true)
}

/// containers/image's search list as a client built on a given version reads it. `explicit` is the auth
/// file the client passes (its `--authfile`, whose default is `REGISTRY_AUTH_FILE` and, for podman and
/// buildah, `$DOCKER_CONFIG/config.json`). Before containers/image 5.24 an explicit file only takes the
/// place of `${XDG_RUNTIME_DIR}/containers/auth.json` and the rest of the list follows it; from 5.24 on
/// (`explicit_replaces_list`) it is the whole list. Duplicates are read once, as reading twice adds nothing.
pub fn containers_search_list(
    env: &Environ,
    explicit: Option<&Path>,
    docker_config: Option<&Path>,
    explicit_replaces_list: bool,
) -> Vec<AuthFile> {
    let mut files = Vec::new();
    match explicit {
        Some(path) => {
            files.push(AuthFile::new(path.to_owned()));
            if explicit_replaces_list {
                return files;
            }
        }
        None => match env.path_buf("XDG_RUNTIME_DIR") {
            Some(dir) => files.push(AuthFile::new(dir.join("containers").join("auth.json"))),
            None => {
                files.push(AuthFile::new(PathBuf::from(format!("/run/containers/{}/auth.json", env.uid()))))
            }
        },
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
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(f.path.clone()));
    files
}

/// Where containers-registries.conf(5) settings come from: the main file, then the `*.conf` drop-ins of
/// each directory in order. `$HOME/.config/containers/registries.conf`, when it exists, replaces the
/// system file and then only `$HOME/.config/containers/registries.conf.d` is read; an explicit file (podman's
/// `CONTAINERS_REGISTRIES_CONF`, skopeo's `--registries-conf`) replaces the main file only. `system_dir`
/// is `/etc/containers` outside tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistriesConf {
    pub main: PathBuf,
    pub dropin_dirs: Vec<PathBuf>,
}

pub fn registries_conf(env: &Environ, explicit: Option<&Path>, system_dir: &Path) -> RegistriesConf {
    let user_dir = env.home().map(|h| h.join(".config").join("containers"));
    let user_file = user_dir.as_ref().map(|d| d.join("registries.conf"));
    let user_dropins = user_dir.as_ref().map(|d| d.join("registries.conf.d"));
    if explicit.is_none() {
        if let Some(file) = user_file.filter(|f| f.exists()) {
            return RegistriesConf { main: file, dropin_dirs: user_dropins.into_iter().collect() };
        }
    }
    let main = explicit.map_or_else(|| system_dir.join("registries.conf"), Path::to_path_buf);
    let mut dropin_dirs = vec![system_dir.join("registries.conf.d")];
    dropin_dirs.extend(user_dropins);
    RegistriesConf { main, dropin_dirs }
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
        assert_eq!(docker_config_path(&Environ::empty(0), None), None);
    }

    /// `--config PATH` as docker's `--config DIR`: a directory's config.json; a missing PATH is a missing
    /// directory (never a file named PATH); an existing file is taken as it is.
    #[test]
    fn explicit_config_is_a_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let env = Environ::empty(1000).with("DOCKER_CONFIG", "/etc/dc");
        let dir = tmp.path().join("d");
        std::fs::create_dir(&dir).unwrap();
        assert_eq!(docker_config_path(&env, Some(&dir)).unwrap(), dir.join("config.json"));
        assert_eq!(missing_config_dir(&dir), None);
        let file = dir.join("config.json");
        std::fs::write(&file, "{}").unwrap();
        assert_eq!(docker_config_path(&env, Some(&file)).unwrap(), file);
        assert_eq!(missing_config_dir(&file), None);
        let missing = tmp.path().join("typo");
        assert_eq!(docker_config_path(&env, Some(&missing)).unwrap(), missing.join("config.json"));
        assert_eq!(missing_config_dir(&missing), Some(missing.clone()));
        let missing_json = tmp.path().join("new.json");
        assert_eq!(missing_config_dir(&missing_json), Some(missing_json));
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        assert_eq!(docker_config_path(&env, Some(&link)).unwrap(), link.join("config.json"));
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

    #[test]
    fn containers_search_list_by_version() {
        let env = Environ::empty(7).with("HOME", "/h").with("XDG_RUNTIME_DIR", "/r");
        let paths = |explicit: Option<&str>, replaces: bool, env: &Environ| -> Vec<PathBuf> {
            containers_search_list(env, explicit.map(Path::new), None, replaces)
                .into_iter()
                .map(|f| f.path)
                .collect()
        };
        assert_eq!(
            paths(None, true, &env),
            [
                "/r/containers/auth.json",
                "/h/.config/containers/auth.json",
                "/h/.docker/config.json",
                "/h/.dockercfg"
            ]
            .map(PathBuf::from)
        );
        assert_eq!(paths(Some("/a.json"), true, &env), [PathBuf::from("/a.json")]);
        // 5.23: the explicit file takes the runtime file's place, the rest follows.
        assert_eq!(
            paths(Some("/a.json"), false, &env),
            ["/a.json", "/h/.config/containers/auth.json", "/h/.docker/config.json", "/h/.dockercfg"]
                .map(PathBuf::from)
        );
        // podman with DOCKER_CONFIG on 5.23: that file first, read once.
        let env = env.with("DOCKER_CONFIG", "/d");
        assert_eq!(
            paths(Some("/d/config.json"), false, &env),
            ["/d/config.json", "/h/.config/containers/auth.json", "/h/.dockercfg"].map(PathBuf::from)
        );
    }

    #[test]
    fn registries_conf_places() {
        let home = tempfile::tempdir().unwrap();
        let env = Environ::empty(7).with("HOME", home.path());
        let user = home.path().join(".config/containers");
        let system = Path::new("/etc/containers");
        assert_eq!(
            registries_conf(&env, None, system),
            RegistriesConf {
                main: system.join("registries.conf"),
                dropin_dirs: vec![system.join("registries.conf.d"), user.join("registries.conf.d")],
            }
        );
        assert_eq!(registries_conf(&env, Some(Path::new("/x.conf")), system).main, Path::new("/x.conf"));
        std::fs::create_dir_all(&user).unwrap();
        std::fs::write(user.join("registries.conf"), "").unwrap();
        assert_eq!(
            registries_conf(&env, None, system),
            RegistriesConf {
                main: user.join("registries.conf"),
                dropin_dirs: vec![user.join("registries.conf.d")]
            }
        );
    }
}
