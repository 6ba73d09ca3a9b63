//! Which credential a client would send for an image, from which file, key and helper, and why.
//!
//! The rules mirror each real client, because they differ: the Docker CLI honours `credsStore`, podman
//! ignores it; Docker Hub is `https://index.docker.io/v1/` for docker and `docker.io` for podman; nerdctl
//! tries several key variants. podman, buildah and skopeo (containers/image) are in [`containers`], with
//! the rules that changed between their versions; nerdctl's lookup is in [`nerdctl`]; containerd's CRI
//! image service (config.toml, never config.json) in [`containerd`]. See
//! shared/reference/helper-protocol.md.

mod containerd;
mod containers;
mod go_clients;
mod nerdctl;
mod regctl;

pub use containerd::DEFAULT_CONFIG as CONTAINERD_CONFIG;
pub use containers::{OtherVersion, Rules, VersionInfo};
pub use go_clients::{helm_registry_config, Asked};
pub use regctl::regctl_config;

use regauth_core::config::{self, AuthEncoding, AuthEntry, Document};
use regauth_core::environ::Environ;
use regauth_core::protocol::{HelperClient, HelperError};
use regauth_core::reference::Reference;
use regauth_core::registry::{self, Client, RegistryHost};
use regauth_core::secret::Secret;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Options {
    /// Docker config (directory or file), as `--config`.
    pub docker_config: Option<PathBuf>,
    /// containers auth file, as `--authfile`.
    pub authfile: Option<PathBuf>,
    /// registries.conf for podman, buildah and skopeo, as their `--registries-conf` (it beats buildah's and
    /// podman's `CONTAINERS_REGISTRIES_CONF`).
    pub registries_conf: Option<PathBuf>,
    /// Call helpers' `get`. Off: report which helper would be asked, without asking.
    pub call_helpers: bool,
    pub helper_timeout: Duration,
    /// Where the system's containers configuration lives (registries.conf and registries.conf.d):
    /// `/etc/containers` outside tests.
    pub containers_config_dir: PathBuf,
    /// containerd's config.toml, as its `--config` (default `/etc/containerd/config.toml`).
    pub containerd_config: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            docker_config: None,
            authfile: None,
            registries_conf: None,
            call_helpers: true,
            helper_timeout: regauth_core::protocol::DEFAULT_TIMEOUT,
            containers_config_dir: PathBuf::from("/etc/containers"),
            containerd_config: None,
        }
    }
}

/// Where the answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Source {
    /// A per-registry helper in `credHelpers`.
    CredHelpers,
    /// The default helper in `credsStore`.
    CredsStore,
    /// An entry in `auths`.
    Auths,
    /// The `DOCKER_AUTH_CONFIG` environment variable.
    DockerAuthConfig,
    /// A helper in registries.conf `credential-helpers` (podman, buildah, skopeo).
    RegistriesConf,
    /// containerd's config.toml: the CRI registry's `configs."HOST".auth` (or the deprecated `auths`).
    CriRegistryConfig,
    /// Nothing configured: the client goes anonymous.
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CredentialKind {
    /// Username and password (or a personal access token used as one).
    Password,
    /// An OAuth refresh token (`identitytoken`, or a helper's `<token>` user).
    IdentityToken,
    /// A bearer token sent as is (`registrytoken`).
    RegistryToken,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum Outcome {
    /// A credential was found.
    Found { username: String, kind: CredentialKind },
    /// No credential: the client would pull anonymously.
    NotFound,
    /// A helper would be asked, but `--no-helpers` was given.
    Skipped,
    #[serde(rename = "helperMissing")]
    HelperMissing { message: String },
    #[serde(rename = "helperFailed")]
    HelperFailed { message: String },
    #[serde(rename = "helperTimedOut")]
    HelperTimedOut { message: String },
    #[serde(rename = "configError")]
    ConfigError { message: String },
}

impl Outcome {
    /// Whether this outcome is a local problem the user must fix (exit 3).
    pub fn is_problem(&self) -> bool {
        matches!(
            self,
            Outcome::HelperMissing { .. }
                | Outcome::HelperFailed { .. }
                | Outcome::HelperTimedOut { .. }
                | Outcome::ConfigError { .. }
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HelperStatus {
    /// The name in config.json (`secretservice`).
    pub name: String,
    /// `docker-credential-secretservice`.
    pub program: String,
    /// Where it is on PATH; `None` when missing.
    pub path: Option<PathBuf>,
    /// For docker-credential-regauth-cache: the inner helper it wraps for this key (cache-helper.json).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wraps: Option<String>,
}

/// The secret itself; never serialised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub username: String,
    pub secret: Secret,
    pub kind: CredentialKind,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolution {
    pub client: Client,
    /// The file the answer came from (or the first one looked at when nothing was found).
    pub file: Option<PathBuf>,
    /// The key that matched (or was asked of the helper).
    pub key: Option<String>,
    pub source: Source,
    pub helper: Option<HelperStatus>,
    pub outcome: Outcome,
    /// Facts worth knowing: a `credsStore` podman ignores, a legacy key matched, an unreadable file.
    pub notes: Vec<String>,
    /// podman, buildah, skopeo: the version whose rules were applied, when a rule that changed between
    /// versions was in play.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<VersionInfo>,
    /// podman, buildah, skopeo: what other versions would answer, when the installed version is unknown
    /// and they differ.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other_versions: Vec<OtherVersion>,
    /// crane, oras, helm, regctl: every helper `get` made, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub asked: Vec<Asked>,
    #[serde(skip)]
    pub credential: Option<Credential>,
}

impl Resolution {
    fn new(client: Client) -> Resolution {
        Resolution {
            client,
            file: None,
            key: None,
            source: Source::None,
            helper: None,
            outcome: Outcome::NotFound,
            notes: Vec::new(),
            version: None,
            other_versions: Vec::new(),
            asked: Vec::new(),
            credential: None,
        }
    }

    fn found(&mut self, credential: Credential) {
        self.outcome = Outcome::Found { username: credential.username.clone(), kind: credential.kind };
        self.credential = Some(credential);
    }

    fn is_settled(&self) -> bool {
        !matches!(self.outcome, Outcome::NotFound)
    }
}

/// What `client` would send for `reference`.
pub fn resolve(reference: &Reference, client: Client, env: &Environ, opts: &Options) -> Resolution {
    match client {
        Client::Docker => resolve_docker(reference, env, opts),
        Client::Podman | Client::Buildah | Client::Skopeo => {
            containers::resolve(reference, client, env, opts)
        }
        Client::Nerdctl => nerdctl::resolve(reference, env, opts),
        Client::Buildkit => resolve_buildkit(reference, env, opts),
        Client::Crane => go_clients::resolve_crane(reference, env, opts),
        Client::Oras => go_clients::resolve_oras(reference, env, opts),
        Client::Helm => go_clients::resolve_helm(reference, env, opts),
        Client::Regctl => regctl::resolve(reference, env, opts),
        Client::Containerd => containerd::resolve(reference, opts),
    }
}

/// What docker would send (also the front program's lookup, which links no other client's rules).
pub fn resolve_docker(reference: &Reference, env: &Environ, opts: &Options) -> Resolution {
    let mut res = Resolution::new(Client::Docker);
    let key = RegistryHost::of_reference(reference).docker_key();
    res.key = Some(key.clone());
    if let Some(raw) = env.get("DOCKER_AUTH_CONFIG") {
        let path = PathBuf::from("$DOCKER_AUTH_CONFIG");
        match Document::parse(raw.as_encoded_bytes(), &path) {
            Ok(doc) => {
                // docker/cli's memory store: the exact key only, then the config file's stores.
                if let Some(entry) = doc.auth(&key, AuthEncoding::Docker) {
                    res.source = Source::DockerAuthConfig;
                    res.file = Some(path);
                    apply_entry(&mut res, entry);
                    return res;
                }
            }
            Err(e) => res.notes.push(format!("DOCKER_AUTH_CONFIG is ignored: {e}")),
        }
    }
    let Some(doc) = load_docker_config(env, opts, &mut res) else { return res };
    docker_lookup(&doc, &key, env, opts, &mut res);
    res
}

/// BuildKit's client side (buildctl; buildx and nerdctl build alike) asks docker/cli's config for one key,
/// the host (Docker Hub: `https://index.docker.io/v1/`): docker's own lookup, without nerdctl's variants; a
/// config that does not load is a warning and anonymous; a `registrytoken` is handed to buildkitd as the
/// bearer token itself (tests/seed_buildkit.rs checks it against buildctl over nerdctl's corpus).
fn resolve_buildkit(reference: &Reference, env: &Environ, opts: &Options) -> Resolution {
    let mut res = resolve_docker(reference, env, opts);
    res.client = Client::Buildkit;
    if let Outcome::ConfigError { message } = &res.outcome {
        // buildctl loads the file with docker/cli's LoadDefaultConfigFile: a warning, then an empty config.
        res.notes.push(format!("buildctl warns about the config and goes on without it: {message}"));
        res.outcome = Outcome::NotFound;
    }
    res
}

/// Docker's config.json, as docker and nerdctl read it; `None` (with the reason in `res`) when there is
/// nothing to look in.
fn load_docker_config(env: &Environ, opts: &Options, res: &mut Resolution) -> Option<Document> {
    let Some(path) = config::docker_config_path(env, opts.docker_config.as_deref()) else {
        res.notes.push("no config file: neither DOCKER_CONFIG nor HOME is set".into());
        return None;
    };
    res.file = Some(path.clone());
    match config::load(&path, false) {
        Ok(Some(doc)) => {
            note_duplicates(&doc, &path, &mut res.notes);
            Some(doc)
        }
        Ok(None) => {
            res.notes.push(format!("{} does not exist", path.display()));
            None
        }
        Err(e) => {
            res.outcome = Outcome::ConfigError { message: e.to_string() };
            None
        }
    }
}

/// The Docker CLI's order for one key: `credHelpers[key]`, else `credsStore`, else `auths`.
fn docker_lookup(doc: &Document, key: &str, env: &Environ, opts: &Options, res: &mut Resolution) {
    res.key = Some(key.to_owned());
    if let Some(helper) = doc.cred_helper(key) {
        res.source = Source::CredHelpers;
        ask_helper(helper, key, env, opts, res);
    } else if let Some(helper) = doc.creds_store() {
        res.source = Source::CredsStore;
        ask_helper(helper, key, env, opts, res);
    } else if let Some(entry) = lookup_auths(doc, key, &mut res.notes) {
        res.source = Source::Auths;
        note_other_undecodable(doc, &entry.key, &mut res.notes);
        apply_entry(res, entry);
    }
}

fn note_duplicates(doc: &Document, path: &std::path::Path, notes: &mut Vec<String>) {
    for key in doc.duplicate_keys() {
        notes.push(format!("{}: {key} appears twice; clients use the last one", path.display()));
    }
}

/// `auths[key]`, else a legacy key whose hostname is `key` (docker's file-store fallback), decoded as
/// docker/cli decodes it (nerdctl loads config.json with the same code).
fn lookup_auths(doc: &Document, key: &str, notes: &mut Vec<String>) -> Option<AuthEntry> {
    if let Some(entry) = doc.auth(key, AuthEncoding::Docker) {
        return Some(entry);
    }
    let wanted = registry::key_to_hostname(key);
    let entry =
        doc.auths(AuthEncoding::Docker).into_iter().find(|e| registry::key_to_hostname(&e.key) == wanted)?;
    notes.push(format!("matched the legacy key \"{}\"", entry.key));
    Some(entry)
}

/// docker/cli decodes every `auth` when it loads the file and stops at the first that fails, in Go's
/// random map order: the entries it had not reached stay undecoded, so another entry's bad `auth` makes
/// this one's a coin toss.
fn note_other_undecodable(doc: &Document, key: &str, notes: &mut Vec<String>) {
    for entry in doc.auths(AuthEncoding::Docker) {
        if let Some(problem) = entry.problem.filter(|_| entry.key != key) {
            notes.push(format!(
                "auths entry \"{}\": {problem}; docker warns \"Error parsing config file\" and, depending \
                 on the order it happens to read entries in, may leave \"{key}\" undecoded too (then it sends \
                 no credential)",
                entry.key
            ));
        }
    }
}

fn apply_entry(res: &mut Resolution, entry: AuthEntry) {
    res.key = Some(entry.key.clone());
    if let Some(problem) = &entry.problem {
        let fields = entry.username.is_some() && entry.password.as_ref().is_some_and(|p| !p.is_empty());
        if !fields {
            res.outcome = Outcome::ConfigError {
                message: format!(
                    "auths entry \"{}\": {problem}; docker warns \"Error parsing config file\" and sends no \
                     credential",
                    entry.key
                ),
            };
            return;
        }
        res.notes.push(format!(
            "auths entry \"{}\": {problem}; docker warns and uses the entry's \"username\" and \"password\" \
             fields instead",
            entry.key
        ));
    }
    let username = entry.username.unwrap_or_default();
    let credential = if let Some(token) = entry.identity_token {
        Credential { username, secret: token, kind: CredentialKind::IdentityToken }
    } else if let Some(token) = entry.registry_token {
        Credential { username, secret: token, kind: CredentialKind::RegistryToken }
    } else if let Some(password) = entry.password.filter(|p| !p.is_empty()) {
        Credential { username, secret: password, kind: CredentialKind::Password }
    } else {
        res.notes.push(format!("auths entry \"{}\" has no credential in it", entry.key));
        return;
    };
    res.found(credential);
}

fn ask_helper(name: &str, key: &str, env: &Environ, opts: &Options, res: &mut Resolution) {
    let client = HelperClient::new(name, env.search_path(), opts.helper_timeout);
    let path = client.locate();
    let wraps = wrapped_helper(name, key, env, res);
    res.helper =
        Some(HelperStatus { name: name.to_owned(), program: client.program(), path: path.clone(), wraps });
    if path.is_none() {
        res.outcome = Outcome::HelperMissing { message: format!("{} is not on PATH", client.program()) };
        return;
    }
    if !opts.call_helpers {
        res.outcome = Outcome::Skipped;
        return;
    }
    match client.get(key) {
        Ok(creds) => {
            let kind = if creds.is_identity_token() {
                CredentialKind::IdentityToken
            } else {
                CredentialKind::Password
            };
            res.found(Credential { username: creds.username.clone(), secret: creds.secret.clone(), kind });
        }
        Err(HelperError::NotFound { .. }) => res.outcome = Outcome::NotFound,
        Err(e @ HelperError::Missing { .. }) => {
            res.outcome = Outcome::HelperMissing { message: e.to_string() }
        }
        Err(e @ HelperError::TimedOut { .. }) => {
            res.outcome = Outcome::HelperTimedOut { message: e.to_string() }
        }
        Err(e) => res.outcome = Outcome::HelperFailed { message: e.to_string() },
    }
}

/// For the caching wrapper, the inner helper it would ask for `key` (and a note saying so); `None` for
/// any other helper.
fn wrapped_helper(name: &str, key: &str, env: &Environ, res: &mut Resolution) -> Option<String> {
    use regauth_core::cache_helper;
    if name != cache_helper::HELPER_NAME {
        return None;
    }
    let path = cache_helper::path(env)?;
    match cache_helper::load(&path) {
        Ok(wrapping) => match wrapping.for_server(key) {
            Some(w) => {
                res.notes.push(format!(
                    "regauth-cache wraps docker-credential-{} here (answers cached up to {}s; {})",
                    w.inner,
                    w.ttl().as_secs(),
                    path.display()
                ));
                Some(w.inner.clone())
            }
            None => {
                res.notes
                    .push(format!("regauth-cache wraps no helper for this registry ({})", path.display()));
                None
            }
        },
        Err(e) => {
            res.notes.push(format!("regauth-cache's mapping cannot be read: {e}"));
            None
        }
    }
}

#[cfg(test)]
#[path = "resolve_tests.rs"]
mod tests;
