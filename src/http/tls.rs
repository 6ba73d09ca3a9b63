//! Which CA certificates to trust for a registry, the way docker and containerd find them: system roots,
//! plus `<certs.d>/<host[:port]>/*.crt` (docker) and the `ca` entries of `<certs.d>/<host>/hosts.toml`
//! (containerd), plus `--ca-file`.

use std::path::{Path, PathBuf};

/// The certs.d directories docker, containerd and containers/image read.
pub const DEFAULT_CERTS_DIRS: [&str; 3] =
    ["/etc/docker/certs.d", "/etc/containerd/certs.d", "/etc/containers/certs.d"];

/// The extra CA files for `host` (`host` or `host:port`, as in the image reference).
pub fn extra_ca_files(host: &str, certs_dirs: &[PathBuf], ca_files: &[PathBuf]) -> Vec<PathBuf> {
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
        if let Ok(text) = std::fs::read_to_string(host_dir.join("hosts.toml")) {
            files.extend(hosts_toml_cas(&text).into_iter().map(|p| resolve(&host_dir, &p)));
        }
    }
    files.dedup();
    files
}

fn resolve(base: &Path, path: &str) -> PathBuf {
    let path = Path::new(path);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

/// The paths in `ca = "..."` and `ca = ["...", "..."]` lines of a containerd hosts.toml, in any section.
/// A line-level reading, enough for the forms containerd documents; it needs no TOML dependency.
fn hosts_toml_cas(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else { continue };
        if key.trim() != "ca" {
            continue;
        }
        let value = value.split('#').next().unwrap_or_default();
        out.extend(value.split('"').skip(1).step_by(2).filter(|s| !s.is_empty()).map(str::to_owned));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ca_lines_from_hosts_toml() {
        let text = "server = \"https://r\"\nca = \"/a.crt\"\n[host.\"https://m\"]\n  ca = [\"b.crt\", \"/c.crt\"] # mirror\n  capabilities = [\"pull\"]\n";
        assert_eq!(hosts_toml_cas(text), vec!["/a.crt", "b.crt", "/c.crt"]);
    }

    #[test]
    fn finds_certs_d_files_for_the_exact_host() {
        let dir = tempfile::tempdir().unwrap();
        let host = dir.path().join("127.0.0.1:5000");
        std::fs::create_dir_all(&host).unwrap();
        std::fs::write(host.join("ca.crt"), "x").unwrap();
        std::fs::write(host.join("client.cert"), "x").unwrap();
        std::fs::write(host.join("hosts.toml"), "ca = \"extra.pem\"\n").unwrap();
        let files = extra_ca_files("127.0.0.1:5000", &[dir.path().to_path_buf()], &[]);
        assert_eq!(files, vec![host.join("ca.crt"), host.join("extra.pem")]);
        assert!(extra_ca_files("127.0.0.1:5001", &[dir.path().to_path_buf()], &[]).is_empty());
    }
}
