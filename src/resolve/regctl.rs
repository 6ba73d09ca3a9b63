//! regctl (regclient): docker's config.json turned into per-registry host entries at start, then regctl's
//! own config merged over them; the helper, if one is left, is asked at the first request. Read from
//! regclient's source and checked against the real program by tests/resolve_go_clients.rs.
//!
//! What sets it apart: `auths` keys with a path (`https://host/v1/`, `host/ns`) are dropped; `credsStore`
//! only covers the registries its `list` names (regctl runs `list` on every start); a helper that fails or
//! is missing leaves whatever user and password were merged before it (usually none: anonymous), never an
//! error; regctl's config keeps passwords in plain text.

use super::go_clients::Asked;
use super::{ask_helper, Credential, CredentialKind, Options, Outcome, Resolution, Source};
use base64::Engine;
use regauth_core::config::{self, Document};
use regauth_core::environ::Environ;
use regauth_core::protocol::HelperClient;
use regauth_core::reference::Reference;
use regauth_core::registry::{Client, RegistryHost, DOCKER_HUB_KEY};
use regauth_core::secret::Secret;
use serde_json::Value;
use std::path::{Path, PathBuf};

const HUB: &str = "docker.io";

/// The merged host entry for one registry (regclient's `config.Host`, the fields that matter here).
#[derive(Default, Clone)]
struct Host {
    user: String,
    pass: String,
    token: String,
    helper: String,
    cred_host: String,
    /// Where the last field that counts came from, for the report.
    from: Option<(PathBuf, String, Source)>,
}

impl Host {
    /// regclient's `Host.Merge` for the credential fields.
    fn merge(&mut self, new: &Host) {
        if new.helper.is_empty() && (!new.pass.is_empty() || !self.token.is_empty()) {
            self.helper.clear();
        }
        if !new.helper.is_empty() && new.user.is_empty() && new.pass.is_empty() && new.token.is_empty() {
            (self.user, self.pass, self.token) = (String::new(), String::new(), String::new());
        }
        for (mine, theirs) in [
            (&mut self.user, &new.user),
            (&mut self.pass, &new.pass),
            (&mut self.token, &new.token),
            (&mut self.helper, &new.helper),
            (&mut self.cred_host, &new.cred_host),
        ] {
            if !theirs.is_empty() {
                *mine = theirs.clone();
            }
        }
        self.from = new.from.clone();
    }
}

/// regclient's `parseName`: (scheme, registry, path); Docker Hub's names are `docker.io`.
fn parse_name(name: &str) -> (&str, &str, &str) {
    if [DOCKER_HUB_KEY, "registry-1.docker.io", HUB].contains(&name) {
        return ("https", HUB, "");
    }
    let (scheme, rest) = match name.find("://") {
        Some(i) if i > 0 => (&name[..i], &name[i + 3..]),
        _ => ("https", name),
    };
    match rest.find('/') {
        Some(i) if i > 0 => (scheme, &rest[..i], &rest[i + 1..]),
        _ => (scheme, rest, ""),
    }
}

/// The registry a config key names, when regclient accepts the key (no path, http or https).
fn key_registry(name: &str) -> Option<&str> {
    let (scheme, registry, path) = parse_name(name);
    (path.is_empty() && (scheme == "https" || scheme == "http")).then_some(registry)
}

/// `HostNewName(name)`'s credential host: the key as written when it is not the bare registry.
fn cred_host(name: &str, registry: &str) -> String {
    if registry == HUB {
        DOCKER_HUB_KEY.to_owned()
    } else if name != registry {
        name.to_owned()
    } else {
        String::new()
    }
}

fn string(value: Option<&Value>) -> String {
    value.and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// regclient's docker config reader, for the entries of `registry`, in order.
fn docker_hosts(
    doc: &Document,
    path: &Path,
    registry: &str,
    env: &Environ,
    opts: &Options,
    res: &mut Resolution,
) -> Vec<Host> {
    let mut out = Vec::new();
    let helpers: Vec<(String, String)> =
        doc.cred_helpers().into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    let auth_keys: Vec<String> = doc.auth_keys().into_iter().map(str::to_owned).collect();
    if let Some(Value::Object(auths)) = doc.field("auths") {
        for (name, entry) in auths {
            if key_registry(name) != Some(registry) {
                continue;
            }
            let helper = helpers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
            let (mut user, mut pass) = (string(entry.get("username")), string(entry.get("password")));
            let auth = string(entry.get("auth"));
            if !auth.is_empty() {
                let decoded = base64::engine::general_purpose::STANDARD.decode(&auth).ok().and_then(|b| {
                    let text = String::from_utf8_lossy(&b).into_owned();
                    text.split_once(':').map(|(u, p)| (u.to_owned(), p.trim_matches('\0').to_owned()))
                });
                let Some(pair) = decoded else {
                    res.notes
                        .push(format!("auths entry \"{name}\": \"auth\" does not decode; regctl skips it"));
                    continue;
                };
                (user, pass) = pair;
            }
            let token = string(entry.get("identitytoken"));
            if (user.is_empty() || pass.is_empty()) && token.is_empty() && helper.is_empty() {
                continue;
            }
            let source = if helper.is_empty() { Source::Auths } else { Source::CredHelpers };
            out.push(Host {
                user,
                pass,
                token,
                helper,
                cred_host: cred_host(name, registry),
                from: Some((path.to_path_buf(), name.clone(), source)),
            });
        }
    }
    if out.len() > 1 {
        res.notes.push(format!(
            "{}: {} auths keys name this registry; regctl merges them in Go's random map order, so which login wins varies",
            path.display(),
            out.len()
        ));
    }
    for (name, helper) in &helpers {
        if key_registry(name) == Some(registry) && !auth_keys.contains(name) {
            out.push(Host {
                helper: helper.clone(),
                cred_host: cred_host(name, registry),
                from: Some((path.to_path_buf(), name.clone(), Source::CredHelpers)),
                ..Host::default()
            });
        }
    }
    if let Some(store) = doc.creds_store().filter(|s| !s.is_empty()) {
        if !opts.call_helpers {
            res.notes.push(format!("credsStore {store}: regctl uses it only for registries its list names; not run (--no-helpers)"));
        } else {
            let client = HelperClient::new(store, env.search_path(), opts.helper_timeout);
            match client.list() {
                Ok(list) => {
                    for (name, user) in list {
                        if key_registry(&name) == Some(registry) {
                            out.push(Host {
                                user,
                                helper: store.to_owned(),
                                cred_host: cred_host(&name, registry),
                                from: Some((path.to_path_buf(), name.clone(), Source::CredsStore)),
                                ..Host::default()
                            });
                        }
                    }
                }
                Err(e) => {
                    res.notes.push(format!("credsStore {store}: list failed, so regctl ignores it ({e})"))
                }
            }
        }
    }
    out
}

/// regctl's own config: REGCTL_CONFIG, else `$XDG_CONFIG_HOME/regctl/config.json` when it exists, else
/// `~/.regctl/config.json`.
pub fn regctl_config(env: &Environ) -> Option<PathBuf> {
    if let Some(file) = env.path_buf("REGCTL_CONFIG").filter(|p| !p.as_os_str().is_empty()) {
        return Some(file);
    }
    let home = env.home();
    let app = env
        .path_buf("XDG_CONFIG_HOME")
        .filter(|p| !p.as_os_str().is_empty())
        .or_else(|| home.as_ref().map(|h| h.join(".config")));
    match app.map(|a| a.join("regctl/config.json")) {
        Some(file) if file.exists() => Some(file),
        _ => home.map(|h| h.join(".regctl/config.json")),
    }
}

fn regctl_host(value: &Value, name: &str, registry: &str, path: &Path) -> Host {
    Host {
        user: string(value.get("user")),
        pass: string(value.get("pass")),
        token: string(value.get("token")),
        // regctl names the whole program; ours are all docker-credential-*.
        helper: string(value.get("credHelper")).trim_start_matches("docker-credential-").to_owned(),
        cred_host: string(value.get("credHost")),
        from: Some((path.to_path_buf(), name.to_owned(), Source::Auths)),
    }
    .with_default_cred_host(registry)
}

impl Host {
    fn with_default_cred_host(mut self, registry: &str) -> Host {
        if self.cred_host.is_empty() && registry == HUB {
            self.cred_host = DOCKER_HUB_KEY.to_owned();
        }
        self
    }
}

pub(super) fn resolve(reference: &Reference, env: &Environ, opts: &Options) -> Resolution {
    let mut res = Resolution::new(Client::Regctl);
    let host = RegistryHost::of_reference(reference);
    let registry = host.as_str();
    let own_path = regctl_config(env);
    let own = match own_path.as_ref().map(|p| config::load(p, false)) {
        Some(Ok(Some(doc))) => Some(doc),
        Some(Err(e)) => {
            res.notes.push(format!("regctl warns and ignores its config: {e}"));
            None
        }
        _ => None,
    };
    let own_hosts = own.as_ref().and_then(|d| d.field("hosts")).and_then(Value::as_object);
    let default = own.as_ref().and_then(|d| d.field("hostDefault")).filter(|v| v.is_object());
    let mut merged = match (default, &own_path) {
        (Some(v), Some(p)) => regctl_host(v, "hostDefault", registry, p),
        _ => Host::default().with_default_cred_host(registry),
    };
    let include_docker =
        own.as_ref().and_then(|d| d.field("incDockerCred")).and_then(Value::as_bool).unwrap_or(true);
    if include_docker {
        if let Some(path) = config::docker_config_path(env, opts.docker_config.as_deref()) {
            res.file = Some(path.clone());
            match config::load(&path, false) {
                Ok(Some(doc)) => docker_hosts(&doc, &path, registry, env, opts, &mut res)
                    .iter()
                    .for_each(|h| merged.merge(h)),
                Ok(None) => {}
                Err(e) => res.notes.push(format!("regctl warns and ignores docker's config: {e}")),
            }
        }
        if let Some(raw) = env.get("DOCKER_AUTH_CONFIG").filter(|v| !v.is_empty()) {
            let path = PathBuf::from("$DOCKER_AUTH_CONFIG");
            if let Ok(doc) = Document::parse(raw.as_encoded_bytes(), &path) {
                docker_hosts(&doc, &path, registry, env, opts, &mut res).iter().for_each(|h| merged.merge(h));
            }
        }
    }
    if let (Some(hosts), Some(path)) = (own_hosts, &own_path) {
        for (name, value) in hosts {
            let name_registry = if [DOCKER_HUB_KEY, "registry-1.docker.io", HUB].contains(&name.as_str()) {
                HUB
            } else {
                name.as_str()
            };
            if name_registry == registry && value.is_object() {
                merged.merge(&regctl_host(value, name, registry, path));
            }
        }
    }
    finish(merged, registry, env, opts, &mut res);
    res
}

fn finish(merged: Host, registry: &str, env: &Environ, opts: &Options, res: &mut Resolution) {
    if let Some((path, key, source)) = &merged.from {
        (res.file, res.key, res.source) = (Some(path.clone()), Some(key.clone()), *source);
    } else {
        res.key = Some(registry.to_owned());
    }
    let (mut user, mut pass, mut token) = (merged.user.clone(), merged.pass.clone(), merged.token.clone());
    if !merged.helper.is_empty() {
        let key = if merged.cred_host.is_empty() { registry.to_owned() } else { merged.cred_host.clone() };
        if res.source == Source::Auths {
            res.source = Source::CredHelpers;
        }
        ask_helper(&merged.helper, &key, env, opts, res);
        if res.helper.as_ref().is_some_and(|h| h.path.is_some()) && opts.call_helpers {
            res.asked.push(Asked { helper: merged.helper.clone(), key: key.clone() });
        }
        res.key = Some(key);
        match res.credential.take() {
            Some(c) if c.kind == CredentialKind::IdentityToken => {
                (user, pass, token) = (String::new(), String::new(), c.secret.expose().to_owned())
            }
            Some(c) => (user, pass, token) = (c.username, c.secret.expose().to_owned(), String::new()),
            None if matches!(res.outcome, Outcome::HelperTimedOut { .. }) => {
                res.notes
                    .push("regctl sets no deadline on a helper: it waits as long as the helper does".into());
                return;
            }
            None if res.outcome.is_problem() => {
                res.notes.push(format!(
                    "regctl logs the helper's error and goes on with what it had: {}",
                    if user.is_empty() && token.is_empty() { "anonymous" } else { "the merged login" }
                ));
            }
            None => {}
        }
        if matches!(res.outcome, Outcome::Skipped) {
            return;
        }
    }
    res.outcome = Outcome::NotFound;
    if !token.is_empty() {
        res.found(Credential {
            username: user,
            secret: Secret::new(token),
            kind: CredentialKind::IdentityToken,
        });
    } else if !user.is_empty() {
        res.found(Credential { username: user, secret: Secret::new(pass), kind: CredentialKind::Password });
    }
}
