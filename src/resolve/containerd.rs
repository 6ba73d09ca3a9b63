//! containerd's CRI image service (what the kubelet pulls through, and `crictl pull`): the credential comes
//! from containerd's config.toml, never from docker's config.json. The rules, from containerd v2.2.1
//! (`internal/cri/server/images/image_pull.go`, `internal/cri/config`, `core/remotes/docker/config`):
//!
//! - the CRI registry table is `[plugins."io.containerd.cri.v1.images".registry]`; a file of config
//!   version 2 may have it under `io.containerd.grpc.v1.cri`, which containerd moves to the new name,
//!   replacing what is there; in a version 3 file, and in a version 1 file (brought to version 3 before
//!   the CRI plugin looks), the old names (`cri` too) are ignored;
//! - the host containerd contacts first comes from `config_path` (default
//!   `/etc/containerd/certs.d:/etc/docker/certs.d`): in the first root with a directory `HOST_PORT_`,
//!   `HOST:PORT` or `_default`, hosts.toml's `[host."URL"]` sections in file order, then `server` (or the
//!   registry itself; Docker Hub is `registry-1.docker.io`); the first with the `resolve` capability is
//!   asked for the manifest, and its 401 asks for the credential of that host;
//! - the credential is `configs."HOST".auth` for that exact host, overridden by a deprecated
//!   `auths."URL"` whose URL's host (or the key itself, without a scheme) is that host;
//! - in `auth`: `username` (with `password`; an empty password means no credential), else
//!   `identitytoken` (sent as a refresh token), else `auth` (base64 `user:password`, Go's `StdEncoding`;
//!   a bad one fails the pull; an empty user sends the password as a refresh token);
//! - `mirrors` beside a non-empty `config_path`, or an `auths` key that is no URL, keep the CRI plugin from
//!   starting (nothing is pulled).
//!
//! hosts.toml holds no credential fields in 2.x; a static `Authorization` header there is sent as is, and
//! said in a note.

use super::{Credential, CredentialKind, Options, Outcome, Resolution, Source};
use regauth_core::config::auth_field::{decode, Decoded};
use regauth_core::config::AuthEncoding;
use regauth_core::fsread;
use regauth_core::reference::Reference;
use regauth_core::registry::Client;
use regauth_core::secret::Secret;
use std::path::{Path, PathBuf};

/// Where containerd reads its configuration unless started with `--config`.
pub const DEFAULT_CONFIG: &str = "/etc/containerd/config.toml";
/// `config_path` when the file does not set it.
const DEFAULT_CONFIG_PATH: &str = "/etc/containerd/certs.d:/etc/docker/certs.d";
const IMAGES_PLUGIN: &str = "io.containerd.cri.v1.images";
const GRPC_CRI_PLUGIN: &str = "io.containerd.grpc.v1.cri";
/// A hosts.toml is a few lines; anything past this is not one.
const HOSTS_TOML_LIMIT: u64 = 1024 * 1024;

#[path = "containerd_hosts.rs"]
mod hosts;

/// An `auth` table's fields, as containerd's `AuthConfig` holds them (absent = empty).
#[derive(Debug, Default, Clone)]
struct AuthFields {
    username: String,
    password: Option<Secret>,
    auth: Option<Secret>,
    identity_token: Option<Secret>,
}

/// One `auth` table of the CRI registry configuration.
#[derive(Debug)]
struct HostAuth {
    /// The host it is for, as containerd derives it from the key.
    host: String,
    /// The key as written.
    key: String,
    fields: AuthFields,
    /// From the deprecated `auths` table (laid over `configs`).
    deprecated: bool,
}

/// The CRI registry table, as much of it as decides the credential.
#[derive(Debug, Default)]
struct CriRegistry {
    /// Roots of host directories, `:`-separated ("": none).
    config_path: String,
    auths: Vec<HostAuth>,
    /// Where the table came from (`plugins."NAME".registry`).
    from: Option<String>,
}

pub(super) fn resolve(reference: &Reference, opts: &Options) -> Resolution {
    let mut res = Resolution::new(Client::Containerd);
    let path = opts.containerd_config.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG));
    res.file = Some(path.clone());
    let registry = match load(&path, &mut res.notes) {
        Ok(registry) => registry,
        Err(message) => {
            res.outcome = Outcome::ConfigError { message };
            return res;
        }
    };
    let contacted = match hosts::first_resolve_host(&reference.registry, &registry.config_path) {
        Ok(contacted) => contacted,
        Err(message) => {
            res.outcome = Outcome::ConfigError { message };
            return res;
        }
    };
    res.notes.extend(contacted.notes);
    let host = contacted.host;
    res.key = Some(host.clone());
    let matching: Vec<&HostAuth> = registry.auths.iter().filter(|a| a.host == host).collect();
    // `auths` are laid over `configs` (in Go's map order among themselves).
    let deprecated: Vec<&HostAuth> = matching.iter().copied().filter(|a| a.deprecated).collect();
    if deprecated.len() > 1 {
        let keys: Vec<&str> = deprecated.iter().map(|a| a.key.as_str()).collect();
        res.notes.push(format!(
            "registry.auths has several keys for {host} ({}): containerd takes one of them in Go's random \
             map order",
            keys.join(", ")
        ));
    }
    let Some(chosen) = deprecated.first().or(matching.first()) else {
        res.notes.push(match &registry.from {
            Some(from) => format!("{from} has no configs.\"{host}\".auth: containerd pulls anonymously"),
            None => "no CRI registry configuration: containerd pulls anonymously".to_owned(),
        });
        return res;
    };
    res.source = Source::CriRegistryConfig;
    let table = if chosen.deprecated { "auths" } else { "configs" };
    if let Some(from) = &registry.from {
        res.notes.push(format!("from {from}.{table}.\"{}\"", chosen.key));
    }
    if chosen.deprecated {
        res.notes.push("registry.auths is deprecated; containerd still reads it".to_owned());
    }
    apply(&mut res, &chosen.fields);
    res
}

/// containerd's `ParseAuth` over one entry's fields.
fn apply(res: &mut Resolution, fields: &AuthFields) {
    let nonempty = |s: &Option<Secret>| s.clone().filter(|s| !s.is_empty());
    let (username, secret) = if !fields.username.is_empty() {
        (fields.username.clone(), nonempty(&fields.password))
    } else if let Some(token) = nonempty(&fields.identity_token) {
        (String::new(), Some(token))
    } else if let Some(auth) = nonempty(&fields.auth) {
        match decode(auth.expose(), AuthEncoding::Containerd) {
            Ok(Decoded::Pair(user, password)) => (user, Some(password).filter(|p| !p.is_empty())),
            Ok(Decoded::Nothing) => (String::new(), None),
            Err(problem) => {
                res.outcome = Outcome::ConfigError {
                    message: format!("{problem}; containerd fails the pull (\"invalid decoded auth\")"),
                };
                return;
            }
        }
    } else {
        res.notes.push("the auth table is empty: containerd pulls anonymously".to_owned());
        return;
    };
    let Some(secret) = secret else {
        res.notes.push(format!(
            "\"{username}\" has no password: containerd sends no credential and asks for an anonymous token"
        ));
        return;
    };
    if username.is_empty() {
        res.found(Credential { username, secret, kind: CredentialKind::IdentityToken });
    } else {
        res.found(Credential { username, secret, kind: CredentialKind::Password });
    }
}

/// The CRI registry table of `path` (containerd's defaults when the file is missing); `Err` when
/// containerd would not start its CRI plugin, or not start at all.
fn load(path: &Path, notes: &mut Vec<String>) -> Result<CriRegistry, String> {
    let defaults = CriRegistry { config_path: DEFAULT_CONFIG_PATH.to_owned(), ..CriRegistry::default() };
    let contents = match fsread::read_followed(path, fsread::CONFIG_LIMIT, fsread::effective_uid()) {
        Ok((_, contents)) => contents,
        Err(e) if e.is_not_found() => {
            notes.push(format!("{} does not exist: containerd runs on its defaults", path.display()));
            return Ok(defaults);
        }
        Err(e) => return Err(e.to_string()),
    };
    let text = String::from_utf8(contents.bytes)
        .map_err(|_| format!("{}: not UTF-8 text; containerd does not start", path.display()))?;
    let root: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        format!("{}: {}; containerd does not start", path.display(), e.message().trim())
    })?;
    let version = root.get("version").and_then(toml::Value::as_integer).unwrap_or(1);
    let plugins = root.get("plugins").and_then(toml::Value::as_table);
    let registry_of = |name: &str| {
        plugins.and_then(|p| p.get(name)).and_then(|p| p.get("registry")).and_then(toml::Value::as_table)
    };
    let (name, table) = if version != 2 {
        // A version 1 file is brought to version 3 before the CRI plugin sees it, so its own move of the
        // old table never happens: `cri` and `io.containerd.grpc.v1.cri` registry tables count only in a
        // version 2 file.
        for old in [GRPC_CRI_PLUGIN, "cri"] {
            if registry_of(old).is_some() {
                notes.push(format!(
                    "plugins.\"{old}\".registry is ignored in a version {version} config: containerd reads \
                     plugins.\"{IMAGES_PLUGIN}\".registry"
                ));
            }
        }
        (IMAGES_PLUGIN, registry_of(IMAGES_PLUGIN))
    } else {
        match registry_of(GRPC_CRI_PLUGIN) {
            Some(table) => {
                notes.push(format!(
                    "a version 2 config: containerd moves plugins.\"{GRPC_CRI_PLUGIN}\".registry to \
                     plugins.\"{IMAGES_PLUGIN}\".registry"
                ));
                (GRPC_CRI_PLUGIN, Some(table))
            }
            None => (IMAGES_PLUGIN, registry_of(IMAGES_PLUGIN)),
        }
    };
    let Some(table) = table else { return Ok(defaults) };
    let from = format!("plugins.\"{name}\".registry");
    let config_path = match table.get("config_path") {
        None => DEFAULT_CONFIG_PATH.to_owned(),
        // A version 2 file's empty config_path is given the default when moved.
        Some(toml::Value::String(s)) if s.is_empty() && version < 3 => DEFAULT_CONFIG_PATH.to_owned(),
        Some(toml::Value::String(s)) => s.clone(),
        Some(_) => return Err(format!("{from}.config_path is not a string; containerd does not start")),
    };
    let mirrors = table.get("mirrors").and_then(toml::Value::as_table).is_some_and(|m| !m.is_empty());
    if mirrors && !config_path.is_empty() {
        return Err(format!(
            "{from}: `mirrors` cannot be set when `config_path` is provided; containerd's CRI plugin does \
             not start"
        ));
    }
    if mirrors {
        notes.push(format!("{from}.mirrors is not modelled: the first host is taken to be the registry"));
    }
    let mut auths = Vec::new();
    for (host, config) in table.get("configs").and_then(toml::Value::as_table).into_iter().flatten() {
        if let Some(auth) = config.get("auth") {
            let fields = auth_fields(auth, &format!("{from}.configs.\"{host}\""))?;
            auths.push(HostAuth { host: host.clone(), key: host.clone(), fields, deprecated: false });
        }
    }
    for (key, auth) in table.get("auths").and_then(toml::Value::as_table).into_iter().flatten() {
        let host = auths_key_host(key).map_err(|e| {
            format!("{from}.auths: failed to parse registry url \"{key}\": {e}; containerd's CRI plugin does not start")
        })?;
        let fields = auth_fields(auth, &format!("{from}.auths.\"{key}\""))?;
        auths.push(HostAuth { host, key: key.clone(), fields, deprecated: true });
    }
    Ok(CriRegistry { config_path, auths, from: Some(from) })
}

/// An `auth` table's fields; a field of another type stops containerd.
fn auth_fields(value: &toml::Value, at: &str) -> Result<AuthFields, String> {
    let Some(table) = value.as_table() else {
        return Err(format!("{at}.auth is not a table; containerd does not start"));
    };
    let text = |name: &str| match table.get(name) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{at}.auth.{name} is not a string; containerd does not start")),
    };
    Ok(AuthFields {
        username: text("username")?.unwrap_or_default(),
        password: text("password")?.map(Secret::new),
        auth: text("auth")?.map(Secret::new),
        identity_token: text("identitytoken")?.map(Secret::new),
    })
}

/// The host a deprecated `auths` key stands for, as containerd derives it with Go's `url.Parse`: with a
/// scheme, the URL's host (empty for `host:port`, which Go reads as scheme `host`); without, the key
/// itself; a colon in the first path segment without a scheme is an error.
fn auths_key_host(key: &str) -> Result<String, &'static str> {
    let mut scheme_end = None;
    for (i, c) in key.char_indices() {
        match c {
            'a'..='z' | 'A'..='Z' => {}
            '0'..='9' | '+' | '-' | '.' if i > 0 => {}
            ':' if i == 0 => return Err("missing protocol scheme"),
            ':' => {
                scheme_end = Some(i);
                break;
            }
            _ => break,
        }
    }
    match scheme_end {
        Some(end) => {
            let rest = &key[end + 1..];
            let Some(authority) = rest.strip_prefix("//") else { return Ok(String::new()) };
            let host = authority.split(['/', '?', '#']).next().unwrap_or_default();
            Ok(host.rsplit_once('@').map_or(host, |(_, h)| h).to_owned())
        }
        None => {
            let first = key.split(['/', '?', '#']).next().unwrap_or_default();
            if first.contains(':') {
                return Err("first path segment in URL cannot contain colon");
            }
            Ok(key.to_owned())
        }
    }
}

#[cfg(test)]
#[path = "containerd_tests.rs"]
mod tests;
