//! Where registry credentials are stored, and reading them without keeping a secret.

use super::ecr_cache::ReadError;
use super::token_kind::{classify, TokenInfo, TokenKind};
use regauth_core::config::{self, AuthEntry, Document};
use regauth_core::environ::Environ;
use regauth_core::protocol::HelperClient;
use serde::Serialize;
use std::collections::BTreeSet;
use std::hash::BuildHasher;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Options {
    pub docker_config: Option<PathBuf>,
    pub authfile: Option<PathBuf>,
    /// Also scan every home directory and the system-wide places (needs root to read them all).
    pub all_users: bool,
    /// Ask configured helpers to `list` what they hold.
    pub call_helpers: bool,
    pub helper_timeout: Duration,
    /// The current time in Unix seconds (injectable for tests).
    pub now: i64,
}

/// How a credential is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Storage {
    /// In a file, readable by whoever can read the file.
    Plaintext,
    /// Behind a credential helper (keyring, keychain, cloud).
    Helper,
    /// In an environment variable.
    Environment,
}

/// One stored credential. The secret itself is never kept: only its kind, expiry and a fingerprint used
/// to spot duplicates within this run.
#[derive(Debug, Clone, Serialize)]
pub struct Stored {
    /// The file, helper program or variable it was found in.
    pub location: String,
    pub registry: String,
    pub username: Option<String>,
    pub storage: Storage,
    /// `None` when the secret is behind a helper and was not read.
    pub kind: Option<TokenKind>,
    /// Unix seconds.
    pub expires_at: Option<i64>,
    #[serde(skip)]
    pub fingerprint: Option<u64>,
    /// The file's permission bits, for plaintext credentials.
    #[serde(skip)]
    pub file_mode: Option<u32>,
    /// A helper configured for this key in the same file, which clients ask instead of reading this entry.
    #[serde(skip)]
    pub shadowed_by: Option<Shadow>,
}

/// Why an `auths` entry is not what clients use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shadow {
    pub helper: String,
    /// `credHelpers` (every client honours it) rather than `credsStore` (podman and skopeo ignore it).
    pub every_client: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlaceKind {
    DockerConfig,
    ContainersAuth,
    Dockercfg,
    KubeletConfig,
    EcrCache,
    Helper,
    Environment,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum PlaceState {
    Missing,
    Read,
    Error { message: String },
}

/// A place that was looked at.
#[derive(Debug, Clone, Serialize)]
pub struct Scanned {
    pub location: String,
    pub kind: PlaceKind,
    #[serde(flatten)]
    pub state: PlaceState,
    /// Permission bits as octal text, for files that exist.
    pub mode: Option<String>,
    /// Helpers a config file names (credsStore and credHelpers), for the missing-helper rule.
    #[serde(skip)]
    pub helpers: Vec<(String, String)>,
    /// Owner of the file: a helper named in another user's config would answer with this user's entries.
    #[serde(skip)]
    pub owner: Option<u32>,
}

/// What the scan gathered.
#[derive(Debug, Default)]
pub struct Inventory {
    pub stored: Vec<Stored>,
    pub scanned: Vec<Scanned>,
    /// helper name -> whether its binary is on PATH.
    pub helpers_present: Vec<(String, bool)>,
}

pub fn collect(env: &Environ, opts: &Options) -> Inventory {
    let mut inv = Inventory::default();
    let hasher = std::collections::hash_map::RandomState::new();
    let fingerprint = |secret: &str| hasher.hash_one(secret);
    for (path, kind) in places(env, opts) {
        scan_file(&path, kind, &mut inv, &fingerprint);
    }
    if let Some(raw) = env.get("DOCKER_AUTH_CONFIG") {
        let location = "$DOCKER_AUTH_CONFIG".to_owned();
        match Document::parse(raw.as_encoded_bytes(), Path::new(&location)) {
            Ok(doc) => {
                for entry in doc.auths() {
                    push_entry(&mut inv, &location, Storage::Environment, entry, None, None, &fingerprint);
                }
                inv.scanned.push(place(location, PlaceKind::Environment, PlaceState::Read, None));
            }
            Err(e) => inv.scanned.push(place(
                location,
                PlaceKind::Environment,
                PlaceState::Error { message: e.to_string() },
                None,
            )),
        }
    }
    scan_env_helper_variables(env, &mut inv, &fingerprint);
    scan_helpers(env, opts, &mut inv);
    inv
}

/// `REGAUTH_REGISTRY_<HOST>_USERNAME/_PASSWORD`, what docker-credential-regauth-env serves.
fn scan_env_helper_variables(env: &Environ, inv: &mut Inventory, fingerprint: &impl Fn(&str) -> u64) {
    use regauth_core::protocol::Store;
    use regauth_core::store::EnvStore;
    let store = EnvStore::new(env.clone());
    let Ok(listing) = store.list() else { return };
    for (key, username) in listing {
        let Ok(creds) = store.get(&key) else { continue };
        let info = classify(&creds.username, creds.secret.expose(), creds.is_identity_token());
        let stem = regauth_core::store::env::variable_stem(&key);
        inv.stored.push(Stored {
            location: format!("${}_PASSWORD", stem.unwrap_or_default()),
            registry: key,
            username: Some(username),
            storage: Storage::Environment,
            kind: Some(info.kind),
            expires_at: info.expires_at,
            fingerprint: Some(fingerprint(creds.secret.expose())),
            file_mode: None,
            shadowed_by: None,
        });
    }
}

fn place(location: String, kind: PlaceKind, state: PlaceState, mode: Option<u32>) -> Scanned {
    Scanned {
        location,
        kind,
        state,
        mode: mode.map(|m| format!("{:04o}", m & 0o7777)),
        helpers: Vec::new(),
        owner: None,
    }
}

/// The files to read: this user's, or with `all_users` every home's and the system's.
fn places(env: &Environ, opts: &Options) -> Vec<(PathBuf, PlaceKind)> {
    let mut out = Vec::new();
    if let Some(path) = config::docker_config_path(env, opts.docker_config.as_deref()) {
        out.push((path, PlaceKind::DockerConfig));
    }
    for file in config::containers_auth_files(env, opts.authfile.as_deref(), opts.docker_config.as_deref()) {
        let kind = if file.legacy { PlaceKind::Dockercfg } else { PlaceKind::ContainersAuth };
        out.push((file.path, kind));
    }
    if let Some(home) = env.home() {
        out.push((home.join(".ecr/cache.json"), PlaceKind::EcrCache));
    }
    if opts.all_users {
        let mut homes = vec![PathBuf::from("/root")];
        homes.extend(subdirs(Path::new("/home")));
        for home in homes {
            out.push((home.join(".docker/config.json"), PlaceKind::DockerConfig));
            out.push((home.join(".config/containers/auth.json"), PlaceKind::ContainersAuth));
            out.push((home.join(".dockercfg"), PlaceKind::Dockercfg));
            out.push((home.join(".ecr/cache.json"), PlaceKind::EcrCache));
        }
        for dir in subdirs(Path::new("/run/containers")) {
            out.push((dir.join("auth.json"), PlaceKind::ContainersAuth));
        }
        for dir in subdirs(Path::new("/run/user")) {
            out.push((dir.join("containers/auth.json"), PlaceKind::ContainersAuth));
        }
        out.push((PathBuf::from("/var/lib/kubelet/config.json"), PlaceKind::KubeletConfig));
        out.push((PathBuf::from("/etc/containers/auth.json"), PlaceKind::ContainersAuth));
    }
    let mut seen = BTreeSet::new();
    out.retain(|(path, _)| seen.insert(path.canonicalize().unwrap_or_else(|_| path.clone())));
    out
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect())
        .unwrap_or_default();
    dirs.sort();
    dirs
}

fn scan_file(path: &Path, kind: PlaceKind, inv: &mut Inventory, fingerprint: &impl Fn(&str) -> u64) {
    let location = path.display().to_string();
    let mode = std::fs::metadata(path).ok().map(|m| m.mode());
    if kind == PlaceKind::EcrCache {
        return scan_ecr_cache(path, mode, inv, fingerprint);
    }
    let loaded = config::load(path, kind == PlaceKind::Dockercfg);
    let doc = match loaded {
        Ok(Some(doc)) => doc,
        Ok(None) => return inv.scanned.push(place(location, kind, PlaceState::Missing, None)),
        Err(e) => {
            return inv.scanned.push(place(
                location,
                kind,
                PlaceState::Error { message: e.to_string() },
                mode,
            ))
        }
    };
    let mut scanned = place(location.clone(), kind, PlaceState::Read, mode);
    scanned.owner = std::fs::metadata(path).ok().map(|m| m.uid());
    if let Some(store) = doc.creds_store() {
        scanned.helpers.push(("credsStore".into(), store.to_owned()));
    }
    for (key, helper) in doc.cred_helpers() {
        scanned.helpers.push((key.to_owned(), helper.to_owned()));
    }
    for entry in doc.auths() {
        let shadow = match (doc.cred_helper(&entry.key), doc.creds_store()) {
            (Some(h), _) => Some(Shadow { helper: format!("docker-credential-{h}"), every_client: true }),
            (None, Some(h)) if kind == PlaceKind::DockerConfig => {
                Some(Shadow { helper: format!("docker-credential-{h}"), every_client: false })
            }
            _ => None,
        };
        push_entry(inv, &location, Storage::Plaintext, entry, mode, shadow, fingerprint);
    }
    inv.scanned.push(scanned);
}

/// amazon-ecr-credential-helper's cache: every token is a plaintext credential of user `AWS`.
fn scan_ecr_cache(path: &Path, mode: Option<u32>, inv: &mut Inventory, fingerprint: &impl Fn(&str) -> u64) {
    let location = path.display().to_string();
    let tokens = match super::ecr_cache::read(path, fingerprint) {
        Ok(tokens) => tokens,
        Err(ReadError::Missing) => {
            return inv.scanned.push(place(location, PlaceKind::EcrCache, PlaceState::Missing, None))
        }
        Err(ReadError::Unreadable(message)) => {
            let state = PlaceState::Error { message };
            return inv.scanned.push(place(location, PlaceKind::EcrCache, state, mode));
        }
    };
    for token in tokens {
        inv.stored.push(Stored {
            location: location.clone(),
            registry: token.registry,
            username: Some("AWS".into()),
            storage: Storage::Plaintext,
            kind: Some(token.kind),
            expires_at: token.expires_at,
            fingerprint: Some(token.fingerprint),
            file_mode: mode,
            shadowed_by: None,
        });
    }
    inv.scanned.push(place(location, PlaceKind::EcrCache, PlaceState::Read, mode));
}

fn push_entry(
    inv: &mut Inventory,
    location: &str,
    storage: Storage,
    entry: AuthEntry,
    mode: Option<u32>,
    shadowed_by: Option<Shadow>,
    fingerprint: &impl Fn(&str) -> u64,
) {
    if !entry.has_secret() && entry.problem.is_none() {
        return;
    }
    let username = entry.username.clone().unwrap_or_default();
    let (secret, identity) = match (&entry.identity_token, &entry.registry_token, &entry.password) {
        (Some(t), _, _) => (Some(t), true),
        (None, Some(t), _) => (Some(t), false),
        (None, None, p) => (p.as_ref(), false),
    };
    let info = match (secret, entry.registry_token.is_some() && entry.identity_token.is_none()) {
        (Some(s), true) => TokenInfo {
            kind: TokenKind::RegistryToken,
            expires_at: classify("", s.expose(), false).expires_at,
        },
        (Some(s), false) => classify(&username, s.expose(), identity),
        (None, _) => TokenInfo { kind: TokenKind::Password, expires_at: None },
    };
    inv.stored.push(Stored {
        location: location.to_owned(),
        registry: entry.key.clone(),
        username: entry.username,
        storage,
        kind: Some(info.kind),
        expires_at: info.expires_at,
        fingerprint: secret.map(|s| fingerprint(s.expose())),
        file_mode: mode,
        shadowed_by,
    });
}

/// Ask each helper named in this user's own config files to `list`. A helper answers for whoever runs it,
/// so one named only in another user's file (with `--all-users`) is not asked: its entries would be ours.
fn scan_helpers(env: &Environ, opts: &Options, inv: &mut Inventory) {
    let own = |s: &Scanned| s.owner.is_none_or(|uid| uid == env.uid());
    let names: BTreeSet<String> = inv
        .scanned
        .iter()
        .filter(|s| own(s))
        .flat_map(|s| s.helpers.iter().map(|(_, h)| h.clone()))
        .collect();
    let others: BTreeSet<String> = inv
        .scanned
        .iter()
        .filter(|s| !own(s))
        .flat_map(|s| s.helpers.iter().map(|(_, h)| h.clone()))
        .filter(|h| !names.contains(h))
        .collect();
    for name in others {
        let client = HelperClient::new(&name, env.search_path(), opts.helper_timeout);
        inv.helpers_present.push((name, client.locate().is_some()));
    }
    for name in names {
        let client = HelperClient::new(&name, env.search_path(), opts.helper_timeout);
        let present = client.locate().is_some();
        inv.helpers_present.push((name.clone(), present));
        if !present || !opts.call_helpers {
            continue;
        }
        let location = client.program();
        match client.list() {
            Ok(listing) => {
                for (registry, username) in listing {
                    inv.stored.push(Stored {
                        location: location.clone(),
                        registry,
                        username: Some(username).filter(|u| !u.is_empty()),
                        storage: Storage::Helper,
                        kind: None,
                        expires_at: None,
                        fingerprint: None,
                        file_mode: None,
                        shadowed_by: None,
                    });
                }
                inv.scanned.push(place(location, PlaceKind::Helper, PlaceState::Read, None));
            }
            Err(e) => inv.scanned.push(place(
                location,
                PlaceKind::Helper,
                PlaceState::Error { message: e.to_string() },
                None,
            )),
        }
    }
}
