//! Which CA certificates to trust for a registry, the way docker and containerd find them: system roots,
//! plus `<certs.d>/<host[:port]>/*.crt` (docker) and the `ca` entries of `<certs.d>/<host>/hosts.toml`
//! (containerd), plus `--ca-file`.

use regauth_core::fsread;
use regauth_core::registry::RegistryHost;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The certs.d directories docker, containerd and containers/image read.
pub const DEFAULT_CERTS_DIRS: [&str; 3] =
    ["/etc/docker/certs.d", "/etc/containerd/certs.d", "/etc/containers/certs.d"];

/// A hosts.toml is a few lines; anything past this is not one.
const HOSTS_TOML_LIMIT: u64 = 1024 * 1024;

/// A hosts.toml that cannot be read or is not a containerd hosts file.
#[derive(Debug, thiserror::Error)]
#[error("{}: {problem}", path.display())]
pub struct HostsTomlError {
    pub path: PathBuf,
    problem: String,
}

/// The extra CA files for `host` (`host` or `host:port`, as in the image reference), or the hosts.toml
/// that keeps containerd (and so regauth) from knowing which CAs to trust.
pub fn ca_files(
    host: &str,
    certs_dirs: &[PathBuf],
    ca_files: &[PathBuf],
) -> Result<Vec<PathBuf>, HostsTomlError> {
    let mut files = ca_files.to_vec();
    for dir in certs_dirs {
        let host_dir = dir.join(host);
        let mut crts: Vec<PathBuf> = std::fs::read_dir(&host_dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "crt"))
            .collect();
        crts.sort();
        files.extend(crts);
        files.extend(hosts_toml_files(&host_dir, host)?);
    }
    files.dedup();
    Ok(files)
}

/// The CA files `<host_dir>/hosts.toml` names for `host`; none when there is no such file.
fn hosts_toml_files(host_dir: &Path, host: &str) -> Result<Vec<PathBuf>, HostsTomlError> {
    let path = host_dir.join("hosts.toml");
    let contents = match fsread::read_followed(&path, HOSTS_TOML_LIMIT, fsread::effective_uid()) {
        Ok((_, contents)) => contents,
        Err(e) if e.is_not_found() => return Ok(Vec::new()),
        Err(e) => return Err(HostsTomlError { path, problem: format!("cannot read it: {e}") }),
    };
    let text = String::from_utf8_lossy(&contents.bytes);
    match hosts_toml_cas(&text, host) {
        Ok(cas) => Ok(cas.iter().map(|p| resolve(host_dir, p)).collect()),
        Err(problem) => Err(HostsTomlError { path, problem }),
    }
}

fn resolve(base: &Path, path: &str) -> PathBuf {
    let path = Path::new(path);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

/// containerd's hosts.toml, the parts that choose CAs. Other keys (capabilities, skip_verify, client,
/// header, override_path) are allowed and ignored.
#[derive(Debug, Deserialize)]
struct HostsToml {
    /// The upstream registry; the top-level `ca` is for it.
    server: Option<String>,
    ca: Option<CaPaths>,
    /// `[host."https://mirror:5000"]`: each host's own settings.
    #[serde(default)]
    host: BTreeMap<String, HostSection>,
}

#[derive(Debug, Deserialize)]
struct HostSection {
    ca: Option<CaPaths>,
}

/// `ca = "a.crt"` or `ca = ["a.crt", "b.crt"]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum CaPaths {
    One(String),
    Many(Vec<String>),
}

impl CaPaths {
    fn into_vec(self) -> Vec<String> {
        match self {
            CaPaths::One(path) => vec![path],
            CaPaths::Many(paths) => paths,
        }
    }
}

/// The `ca` paths of a hosts.toml that apply to `host` itself: the top-level `ca` (which belongs to
/// `server`, unless `server` names another registry), and the `ca` of a `[host."URL"]` section whose URL
/// names `host`. A mirror's CA is the mirror's: trusting it for the registry would make a certificate
/// pass here that containerd rejects.
fn hosts_toml_cas(text: &str, host: &str) -> Result<Vec<String>, String> {
    let parsed: HostsToml = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|span| text[..span.start].matches('\n').count() + 1);
        let at = line.map(|n| format!(" (line {n})")).unwrap_or_default();
        format!("not a valid containerd hosts.toml{at}: {}", e.message().trim())
    })?;
    let registry = RegistryHost::new(host);
    let names_registry = |url: &str| RegistryHost::new(url) == registry;
    let mut out = Vec::new();
    if parsed.server.as_deref().is_none_or(names_registry) {
        out.extend(parsed.ca.map(CaPaths::into_vec).unwrap_or_default());
    }
    for (url, section) in parsed.host {
        if names_registry(&url) {
            out.extend(section.ca.map(CaPaths::into_vec).unwrap_or_default());
        }
    }
    out.retain(|p| !p.is_empty());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_toml_table() {
        let ok: &[(&str, &str, &[&str])] = &[
            ("simple string", "server = \"https://r:5000\"\nca = \"/a.crt\"\n", &["/a.crt"]),
            ("no server", "ca = \"extra.pem\"\n", &["extra.pem"]),
            ("array", "ca = [\"b.crt\", \"/c.crt\"] # two\n", &["b.crt", "/c.crt"]),
            (
                "multi-line array",
                "ca = [\n  \"/a.crt\",\n  # note\n  \"/b.crt\",\n]\n",
                &["/a.crt", "/b.crt"],
            ),
            ("literal string", "ca = '/etc/ca \"quoted\".crt'\n", &["/etc/ca \"quoted\".crt"]),
            ("literal with backslash", "ca = 'C:\\certs\\ca.crt'\n", &["C:\\certs\\ca.crt"]),
            ("hash inside a string", "ca = \"/a#b.crt\"\n", &["/a#b.crt"]),
            (
                "mirror section is the mirror's",
                concat!(
                    "server = \"https://r:5000\"\nca = \"/r.crt\"\n",
                    "[host.\"https://mirror.local\"]\n  ca = \"/m.crt\"\n  capabilities = [\"pull\"]\n"
                ),
                &["/r.crt"],
            ),
            (
                "section for the registry itself",
                "[host.\"https://r:5000\"]\n  ca = [\"/own.crt\"]\n  skip_verify = false\n",
                &["/own.crt"],
            ),
            ("server elsewhere", "server = \"https://other.example\"\nca = \"/o.crt\"\n", &[]),
            ("nothing about ca", "[host.\"https://r:5000\"]\ncapabilities = [\"pull\"]\n", &[]),
            ("empty", "", &[]),
        ];
        for (name, text, want) in ok {
            assert_eq!(hosts_toml_cas(text, "r:5000").unwrap(), *want, "{name}");
        }
        // Docker Hub's directory is docker.io; its API host registry-1.docker.io names the same registry.
        let hub = concat!(
            "server = \"https://registry-1.docker.io\"\n",
            "[host.\"https://registry-1.docker.io\"]\nca = \"/h.crt\"\n"
        );
        assert_eq!(hosts_toml_cas(hub, "docker.io").unwrap(), ["/h.crt"]);

        let bad = [
            ("unclosed array", "ca = [\"/a.crt\",\n", "line 1"),
            ("number", "ca = 5\n", "line 1"),
            ("not toml", "server = https://r\n", "line 1"),
            ("duplicate key", "ca = \"a\"\nca = \"b\"\n", "duplicate key"),
            ("second line", "server = \"https://r\"\nca = [1, \n", "line 2"),
            ("host not a table", "host = 3\n", "line 1"),
        ];
        for (name, text, line) in bad {
            let err = hosts_toml_cas(text, "r:5000").unwrap_err();
            assert!(
                err.starts_with("not a valid containerd hosts.toml") && err.contains(line),
                "{name}: {err}"
            );
        }
    }

    #[test]
    fn a_broken_hosts_toml_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let host = dir.path().join("r:5000");
        std::fs::create_dir_all(&host).unwrap();
        std::fs::write(host.join("ca.crt"), "x").unwrap();
        std::fs::write(host.join("hosts.toml"), "ca = [\n").unwrap();
        let dirs = [dir.path().to_path_buf()];
        let err = ca_files("r:5000", &dirs, &[]).unwrap_err();
        assert_eq!(err.path, host.join("hosts.toml"));
        assert!(err.to_string().starts_with(&format!("{}: not a valid", host.join("hosts.toml").display())));
    }

    #[test]
    fn finds_certs_d_files_for_the_exact_host() {
        let dir = tempfile::tempdir().unwrap();
        let host = dir.path().join("127.0.0.1:5000");
        std::fs::create_dir_all(&host).unwrap();
        std::fs::write(host.join("ca.crt"), "x").unwrap();
        std::fs::write(host.join("client.cert"), "x").unwrap();
        std::fs::write(host.join("hosts.toml"), "ca = \"extra.pem\"\n").unwrap();
        let files = ca_files("127.0.0.1:5000", &[dir.path().to_path_buf()], &[]).unwrap();
        assert_eq!(files, vec![host.join("ca.crt"), host.join("extra.pem")]);
        assert!(ca_files("127.0.0.1:5001", &[dir.path().to_path_buf()], &[]).unwrap().is_empty());
    }
}
