//! Which host containerd contacts first for a registry: the host directory under `config_path` and its
//! hosts.toml (containerd's `core/remotes/docker/config/hosts.go`). The credential is looked up for that
//! host, not for the name in the image reference.

use regauth_core::fsread;
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};

pub(super) struct Contacted {
    pub host: String,
    pub notes: Vec<String>,
}

/// One `[host."URL"]` section or the top-level `server`, as containerd keeps them.
#[derive(Debug, PartialEq, Eq)]
struct HostEntry {
    /// `host:port` ("" for a file without `server`: the registry itself).
    host: String,
    resolve: bool,
    /// A static `Authorization` header in its `header` table.
    authorization: bool,
}

/// The registry's default endpoint host: Docker Hub's is `registry-1.docker.io`.
fn default_host(registry: &str) -> String {
    if registry == "docker.io" {
        "registry-1.docker.io".to_owned()
    } else {
        registry.to_owned()
    }
}

/// `host:port` as a directory name: `host_port_`.
fn host_directory(host: &str) -> Option<String> {
    let (name, port) = host.rsplit_once(':').filter(|(name, _)| !name.is_empty())?;
    Some(format!("{name}_{port}_"))
}

/// The host directory for `registry` in `config_path` (roots separated by `:`): in each root in turn,
/// `host_port_`, `host:port`, `_default`; the first that exists.
fn host_dir(registry: &str, config_path: &str) -> Result<Option<PathBuf>, String> {
    for root in config_path.split(':').filter(|r| !r.is_empty()) {
        let root = Path::new(root);
        let candidates = host_directory(registry).into_iter().chain([registry.to_owned(), "_default".into()]);
        for candidate in candidates {
            let path = root.join(candidate);
            match std::fs::metadata(&path) {
                Ok(_) => return Ok(Some(path)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("{}: {e}; containerd fails the pull", path.display())),
            }
        }
    }
    Ok(None)
}

pub(super) fn first_resolve_host(registry: &str, config_path: &str) -> Result<Contacted, String> {
    let mut notes = Vec::new();
    let fallback = default_host(registry);
    let Some(dir) = host_dir(registry, config_path)? else {
        return Ok(Contacted { host: fallback, notes });
    };
    let path = dir.join("hosts.toml");
    let text = match fsread::read_followed(&path, super::HOSTS_TOML_LIMIT, fsread::effective_uid()) {
        Ok((_, contents)) => String::from_utf8_lossy(&contents.bytes).into_owned(),
        Err(e) if e.is_not_found() => String::new(),
        Err(e) => return Err(format!("{e}; containerd fails the pull")),
    };
    if text.is_empty() {
        return Ok(Contacted { host: fallback, notes });
    }
    let entries = match parse(&text) {
        Ok(entries) => entries,
        Err(problem) => {
            notes.push(format!(
                "{}: {problem}; containerd logs the error and ignores the file",
                path.display()
            ));
            return Ok(Contacted { host: fallback, notes });
        }
    };
    for entry in entries.iter().filter(|e| e.authorization) {
        let host = if entry.host.is_empty() { &fallback } else { &entry.host };
        notes.push(format!(
            "{} sets a static Authorization header for {host}: containerd sends it with every request there",
            path.display()
        ));
    }
    let resolvers: Vec<String> = entries
        .into_iter()
        .filter(|e| e.resolve)
        .map(|e| if e.host.is_empty() { fallback.clone() } else { e.host })
        .collect();
    let Some(first) = resolvers.first().cloned() else {
        return Err(format!("{}: no host may resolve a tag; containerd cannot pull", path.display()));
    };
    if first != registry {
        notes.push(format!(
            "{} sends {registry} to {first}: the credential is looked up for {first}",
            path.display()
        ));
    }
    if resolvers.len() > 1 {
        notes.push(format!(
            "when {first} fails, containerd tries {} (each with its own credential)",
            resolvers[1..].join(", ")
        ));
    }
    Ok(Contacted { host: first, notes })
}

/// containerd's `parseHostConfig` for the host part: no scheme means `https://`.
fn url_host(server: &str) -> String {
    let url = if server.starts_with("http") { server.to_owned() } else { format!("https://{server}") };
    let rest = url.split_once("://").map_or("", |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority.rsplit_once('@').map_or(authority, |(_, h)| h).to_owned()
}

fn value<'a>(table: &'a DeTable<'_>, key: &str) -> Option<&'a DeValue<'a>> {
    table.iter().find(|(k, _)| k.get_ref().as_ref() == key).map(|(_, v)| v.get_ref())
}

/// (resolve capability, Authorization header) of one section; an unknown capability is an error.
fn section(table: &DeTable<'_>) -> Result<(bool, bool), String> {
    let resolve = match value(table, "capabilities") {
        None => true,
        Some(DeValue::Array(items)) if items.is_empty() => true,
        Some(DeValue::Array(items)) => {
            let mut resolve = false;
            for item in items.iter() {
                let DeValue::String(name) = item.get_ref() else {
                    return Err("capabilities must be strings".into());
                };
                match name.to_ascii_lowercase().as_str() {
                    "resolve" => resolve = true,
                    "pull" | "push" | "referrers" => {}
                    _ => {
                        return Err(format!("unknown capability {}", regauth_core::sanitize::one_line(name)))
                    }
                }
            }
            resolve
        }
        Some(_) => return Err("capabilities must be an array".into()),
    };
    let authorization = match value(table, "header") {
        Some(DeValue::Table(header)) => {
            header.keys().any(|k| k.get_ref().eq_ignore_ascii_case("authorization"))
        }
        _ => false,
    };
    Ok((resolve, authorization))
}

/// The hosts of a hosts.toml in containerd's order: `[host."URL"]` sections as they appear, then `server`.
fn parse(text: &str) -> Result<Vec<HostEntry>, String> {
    let root = DeTable::parse(text).map_err(|e| format!("not a valid hosts.toml: {}", e.message().trim()))?;
    let root = root.get_ref();
    let mut entries = Vec::new();
    if let Some(DeValue::Table(hosts)) = value(root, "host") {
        let mut ordered: Vec<_> = hosts.iter().collect();
        ordered.sort_by_key(|(k, _)| k.span().start);
        for (url, value) in ordered {
            let DeValue::Table(table) = value.get_ref() else { continue };
            let (resolve, authorization) = section(table)?;
            entries.push(HostEntry { host: url_host(url.get_ref()), resolve, authorization });
        }
    }
    let server = match value(root, "server") {
        Some(DeValue::String(s)) => url_host(s),
        Some(_) => return Err("server must be a string".into()),
        None => String::new(),
    };
    let (resolve, authorization) = section(root)?;
    entries.push(HostEntry { host: server, resolve, authorization });
    Ok(entries)
}
