//! crane (go-containerregistry's default keychain over docker/cli's config code), oras and helm (oras-go's
//! credential stores): which file, keys and helpers each asks, read from their sources and checked against
//! the real programs by tests/resolve_go_clients.rs. docs/clients.md has the rules in prose.
//!
//! What sets them apart from the Docker CLI: a helper that fails (or is missing) stops the client with an
//! error instead of going anonymous; `auth` is decoded strictly (standard base64 with padding, a colon);
//! crane asks `host/repository` before `host`, each key with its own credHelpers/credsStore choice; helm
//! reads its own registry config first and, like oras-go with default-store detection, asks
//! `docker-credential-pass` (when `pass` is on PATH) or `-secretservice` for a file that configures nothing.

use super::{ask_helper, Credential, CredentialKind, Options, Outcome, Resolution, Source};
use base64::Engine;
use regauth_core::config::{self, Document};
use regauth_core::environ::Environ;
use regauth_core::reference::Reference;
use regauth_core::registry::{self, Client, RegistryHost};
use regauth_core::secret::Secret;
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One helper `get` a client makes, in order (crane may ask two keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Asked {
    pub helper: String,
    pub key: String,
}

/// An `auths` entry as Go's `encoding/json` and a strict `auth` decoder see it.
#[derive(Default)]
struct GoAuth {
    username: String,
    password: String,
    identity_token: String,
    registry_token: String,
}

impl GoAuth {
    fn is_empty(&self) -> bool {
        self.username.is_empty()
            && self.password.is_empty()
            && self.identity_token.is_empty()
            && self.registry_token.is_empty()
    }
}

/// Go's `base64.StdEncoding` (padding required) then `user:password`; docker/cli also refuses an empty user.
fn strict_decode(auth: &str, need_user: bool) -> Result<(String, String), String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(auth.replace(['\r', '\n'], ""))
        .map_err(|_| "\"auth\" is not valid base64".to_string())?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    match text.split_once(':') {
        Some((user, _)) if need_user && user.is_empty() => Err("\"auth\" has an empty username".into()),
        Some((user, pass)) => Ok((user.to_owned(), pass.trim_matches('\0').to_owned())),
        None => Err("\"auth\" does not decode to username:password".into()),
    }
}

/// One entry through Go's decoder: a non-string field is a decoding error, as in Go.
fn go_entry(key: &str, value: &Value, need_user: bool) -> Result<GoAuth, String> {
    let Value::Object(map) = value else { return Err(format!("auths entry \"{key}\" is not an object")) };
    let field = |name: &str| -> Result<String, String> {
        match map.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(format!("auths entry \"{key}\": \"{name}\" is not a string")),
        }
    };
    let mut entry = GoAuth {
        username: field("username")?,
        password: field("password")?,
        identity_token: field("identitytoken")?,
        registry_token: field("registrytoken")?,
    };
    let auth = field("auth")?;
    if !auth.is_empty() {
        let (user, pass) =
            strict_decode(&auth, need_user).map_err(|e| format!("auths entry \"{key}\": {e}"))?;
        (entry.username, entry.password) = (user, pass);
    }
    Ok(entry)
}

fn auths(doc: &Document) -> Vec<(String, Value)> {
    match doc.field("auths") {
        Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        _ => Vec::new(),
    }
}

fn found_from(res: &mut Resolution, entry: GoAuth) {
    let (secret, kind) = if !entry.identity_token.is_empty() {
        (entry.identity_token, CredentialKind::IdentityToken)
    } else if !entry.registry_token.is_empty() {
        (entry.registry_token, CredentialKind::RegistryToken)
    } else {
        (entry.password, CredentialKind::Password)
    };
    res.found(Credential { username: entry.username, secret: Secret::new(secret), kind });
}

/// Ask `helper` for `key` and record it; a helper answer with neither user nor secret counts as nothing
/// (Go clients compare with an empty credential).
fn ask(helper: &str, key: &str, env: &Environ, opts: &Options, res: &mut Resolution) {
    res.key = Some(key.to_owned());
    ask_helper(helper, key, env, opts, res);
    if res.helper.as_ref().is_some_and(|h| h.path.is_some()) && opts.call_helpers {
        res.asked.push(Asked { helper: helper.to_owned(), key: key.to_owned() });
    }
    let empty = res.credential.as_ref().is_some_and(|c| c.username.is_empty() && c.secret.is_empty());
    if empty {
        res.credential = None;
        res.outcome = Outcome::NotFound;
        res.notes.push(format!("docker-credential-{helper} answered an empty credential: treated as none"));
    }
    if res.outcome.is_problem() {
        res.notes.push(format!("{} stops with this error; it does not go on anonymously", res.client.name()));
    }
}

fn load(path: &Path, res: &mut Resolution) -> Option<Document> {
    match config::load(path, false) {
        Ok(doc) => Some(doc.unwrap_or_default()),
        Err(e) => {
            res.outcome = Outcome::ConfigError { message: e.to_string() };
            None
        }
    }
}

fn outcome_message(outcome: &Outcome) -> String {
    match outcome {
        Outcome::ConfigError { message } => message.clone(),
        _ => String::new(),
    }
}

fn is_file(path: &Path) -> bool {
    path.metadata().is_ok_and(|m| !m.is_dir())
}

/// go-containerregistry's default keychain: which file it loads, or `None` (anonymous).
fn crane_file(env: &Environ, opts: &Options) -> Option<PathBuf> {
    // regauth's --config stands for DOCKER_CONFIG: used when the file is there.
    let explicit = config::docker_config_path(env, opts.docker_config.as_deref())
        .filter(|_| opts.docker_config.is_some());
    if let Some(file) = explicit.filter(|f| is_file(f)) {
        return Some(file);
    }
    let home = env.home().filter(|h| !h.as_os_str().is_empty());
    let docker_config = env.path_buf("DOCKER_CONFIG").filter(|d| !d.as_os_str().is_empty());
    let found = home.as_ref().is_some_and(|h| is_file(&h.join(".docker/config.json")))
        || docker_config.as_ref().is_some_and(|d| is_file(&d.join("config.json")));
    if found {
        // docker/cli's config.Load(DOCKER_CONFIG): that directory when set, even when only ~/.docker had a file.
        return config::docker_config_path(env, None);
    }
    if let Some(file) = env.path_buf("REGISTRY_AUTH_FILE").filter(|f| is_file(f)) {
        return Some(file);
    }
    let config_dir = env
        .path_buf("XDG_CONFIG_HOME")
        .filter(|d| !d.as_os_str().is_empty())
        .or_else(|| home.map(|h| h.join(".config")));
    let runtime = env
        .path_buf("XDG_RUNTIME_DIR")
        .filter(|d| !d.as_os_str().is_empty())
        .map(|d| d.join("containers/auth.json"));
    let podman = match runtime {
        Some(r) if is_file(&r) => Some(r),
        other => config_dir.map(|d| d.join("containers/auth.json")).or(other),
    };
    podman.filter(|p| is_file(p))
}

pub(super) fn resolve_crane(reference: &Reference, env: &Environ, opts: &Options) -> Resolution {
    let mut res = Resolution::new(Client::Crane);
    let host = RegistryHost::of_reference(reference);
    let registry_name = if host.is_docker_hub() { "index.docker.io" } else { host.as_str() };
    // `host/repository`, then the registry (Docker Hub's as docker's v1 URL).
    let keys = [format!("{registry_name}/{}", reference.repository), host.docker_key()];
    let Some(path) = crane_file(env, opts) else {
        res.notes.push("no docker config.json and no containers auth.json: crane goes anonymous".into());
        return res;
    };
    res.file = Some(path.clone());
    let Some(doc) = load(&path, &mut res) else { return res };
    // docker/cli decodes every entry's `auth` on load: one bad entry fails the whole file.
    let mut entries = Vec::new();
    for (key, value) in auths(&doc) {
        match go_entry(&key, &value, true) {
            Ok(entry) => entries.push((key, entry)),
            Err(message) => {
                res.outcome = Outcome::ConfigError { message: format!("{}: {message}", path.display()) };
                return res;
            }
        }
    }
    let env_auths = docker_auth_config(env, &mut res.notes);
    for key in &keys {
        if let Some((user, pass)) = env_auths.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()) {
            res.source = Source::DockerAuthConfig;
            res.key = Some(key.clone());
            found_from(&mut res, GoAuth { username: user, password: pass, ..GoAuth::default() });
            return res;
        }
        let helper = doc.cred_helper(key).map(str::to_owned).or_else(|| doc.creds_store().map(str::to_owned));
        if let Some(helper) = helper.filter(|h| !h.is_empty()) {
            res.source =
                if doc.cred_helper(key).is_some() { Source::CredHelpers } else { Source::CredsStore };
            ask(&helper, key, env, opts, &mut res);
            if res.is_settled() {
                return res;
            }
            continue;
        }
        let entry = entries
            .iter()
            .position(|(k, _)| k == key)
            .or_else(|| entries.iter().position(|(k, _)| registry::key_to_hostname(k) == key));
        if let Some(i) = entry {
            let (entry_key, entry) = entries.swap_remove(i);
            if !entry.is_empty() {
                res.source = Source::Auths;
                res.key = Some(entry_key);
                found_from(&mut res, entry);
                return res;
            }
        }
    }
    res.key = Some(keys[0].clone());
    res.notes.push(format!("tried keys: {}", keys.join(", ")));
    res
}

/// DOCKER_AUTH_CONFIG as docker/cli 29 reads it: `{"auths":{KEY:{"auth":...}}}` only; anything else is
/// ignored as a whole (with a warning on stderr).
fn docker_auth_config(env: &Environ, notes: &mut Vec<String>) -> Vec<(String, (String, String))> {
    let Some(raw) = env.get("DOCKER_AUTH_CONFIG").filter(|v| !v.is_empty()) else { return Vec::new() };
    let parsed = serde_json::from_slice::<Value>(raw.as_encoded_bytes()).ok().and_then(|v| {
        let Value::Object(root) = v else { return None };
        if root.keys().any(|k| !k.eq_ignore_ascii_case("auths")) {
            return None;
        }
        let mut out = Vec::new();
        for (key, entry) in root.values().next()?.as_object()? {
            let auth = entry.get("auth")?.as_str()?;
            out.push((key.clone(), strict_decode(auth, true).ok()?));
        }
        Some(out)
    });
    parsed.unwrap_or_else(|| {
        notes.push("DOCKER_AUTH_CONFIG is ignored: not in the form docker/cli accepts".into());
        Vec::new()
    })
}

/// oras-go's key for a registry: Docker Hub's is docker's v1 URL.
fn oras_key(host: &RegistryHost) -> String {
    host.docker_key()
}

/// oras-go's `ToHostname`: scheme prefixes trimmed, path cut (no URL parsing).
fn oras_hostname(key: &str) -> &str {
    let rest = key.strip_prefix("http://").unwrap_or(key);
    let rest = rest.strip_prefix("https://").unwrap_or(rest);
    rest.split('/').next().unwrap_or(rest)
}

/// oras-go's DynamicStore.Get on one loaded file. `detect`: oras-go's default-store detection (helm).
fn oras_store(doc: &Document, key: &str, detect: bool, env: &Environ, opts: &Options, res: &mut Resolution) {
    let configured = doc.creds_store().is_some_and(|s| !s.is_empty())
        || !doc.cred_helpers().is_empty()
        || !auths(doc).is_empty();
    let helper = doc
        .cred_helper(key)
        .filter(|h| !h.is_empty())
        .map(|h| (h.to_owned(), Source::CredHelpers))
        .or_else(|| doc.creds_store().filter(|s| !s.is_empty()).map(|s| (s.to_owned(), Source::CredsStore)))
        .or_else(|| {
            (detect && !configured).then(|| default_store(env)).flatten().map(|h| (h, Source::CredsStore))
        });
    if let Some((helper, source)) = helper {
        if source == Source::CredsStore && !configured {
            res.notes.push(format!(
                "{}: nothing configured, so oras-go detects docker-credential-{helper}",
                res.file.as_deref().unwrap_or(Path::new("?")).display()
            ));
        }
        res.source = source;
        ask(&helper, key, env, opts, res);
        return;
    }
    let all = auths(doc);
    let entry =
        all.iter().find(|(k, _)| k == key).or_else(|| all.iter().find(|(k, _)| oras_hostname(k) == key));
    let Some((entry_key, value)) = entry else { return };
    match go_entry(entry_key, value, false) {
        Ok(entry) if entry.is_empty() => {}
        Ok(entry) => {
            res.source = Source::Auths;
            res.key = Some(entry_key.clone());
            found_from(res, entry);
        }
        Err(message) => res.outcome = Outcome::ConfigError { message },
    }
}

/// oras-go on Linux: `pass` when the `pass` program is on PATH, else `secretservice`; used only when
/// that helper is installed.
fn default_store(env: &Environ) -> Option<String> {
    let on_path = |name: &str| {
        env.search_path().is_some_and(|p| std::env::split_paths(&p).any(|dir| is_executable(&dir.join(name))))
    };
    let name = if on_path("pass") { "pass" } else { "secretservice" };
    on_path(&format!("docker-credential-{name}")).then(|| name.to_owned())
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn docker_config_file(env: &Environ, opts: &Options) -> Option<PathBuf> {
    config::docker_config_path(env, opts.docker_config.as_deref())
}

pub(super) fn resolve_oras(reference: &Reference, env: &Environ, opts: &Options) -> Resolution {
    let mut res = Resolution::new(Client::Oras);
    let key = oras_key(&RegistryHost::of_reference(reference));
    res.key = Some(key.clone());
    let Some(path) = docker_config_file(env, opts) else {
        res.outcome = Outcome::ConfigError { message: "neither DOCKER_CONFIG nor HOME is set".into() };
        return res;
    };
    res.file = Some(path.clone());
    let Some(doc) = load(&path, &mut res) else { return res };
    oras_store(&doc, &key, false, env, opts, &mut res);
    res
}

/// helm's registry config: HELM_REGISTRY_CONFIG, else `registry/config.json` under HELM_CONFIG_HOME, else
/// under `$XDG_CONFIG_HOME/helm` (`~/.config/helm`).
pub fn helm_registry_config(env: &Environ) -> Option<PathBuf> {
    let set = |name: &str| env.path_buf(name).filter(|p| !p.as_os_str().is_empty());
    if let Some(file) = set("HELM_REGISTRY_CONFIG") {
        return Some(file);
    }
    if let Some(dir) = set("HELM_CONFIG_HOME") {
        return Some(dir.join("registry/config.json"));
    }
    let base = set("XDG_CONFIG_HOME").or_else(|| env.home().map(|h| h.join(".config")))?;
    Some(base.join("helm/registry/config.json"))
}

pub(super) fn resolve_helm(reference: &Reference, env: &Environ, opts: &Options) -> Resolution {
    let mut res = Resolution::new(Client::Helm);
    let key = oras_key(&RegistryHost::of_reference(reference));
    res.key = Some(key.clone());
    let files: Vec<PathBuf> =
        [helm_registry_config(env), docker_config_file(env, opts)].into_iter().flatten().collect();
    // helm loads both files before any request: a broken registry config fails every command, a broken
    // docker config is dropped without a word.
    let mut docs = Vec::new();
    for (i, path) in files.iter().enumerate() {
        res.file = Some(path.clone());
        let Some(doc) = load(path, &mut res) else {
            if i == 0 {
                return res;
            }
            res.notes.push(format!("{}: {}; helm ignores it", path.display(), outcome_message(&res.outcome)));
            res.outcome = Outcome::NotFound;
            continue;
        };
        docs.push((path.clone(), doc));
    }
    for (path, doc) in &docs {
        res.file = Some(path.clone());
        oras_store(doc, &key, true, env, opts, &mut res);
        if res.is_settled() {
            return res;
        }
    }
    res.file = files.first().cloned();
    res.key = Some(key);
    res
}
