//! Where registry credentials are stored, and reading them without keeping a secret.

use super::ecr_cache::ReadError;
use super::fingerprint::{Fingerprint, FingerprintKey, Fingerprinter};
use super::token_kind::{classify, TokenInfo, TokenKind};
use super::users::{self, User};
use regauth_core::config::{self, AuthEncoding, AuthEntry, AuthProblem, Document};
use regauth_core::environ::Environ;
use regauth_core::fsread;
use regauth_core::protocol::HelperClient;
use regauth_core::secret::Secret;
use serde::Serialize;
use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
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
    /// Where the system's places are (`/home`, `/root`, `/run`, `/etc`, `/var/lib/kubelet`): `/`, or a
    /// prepared tree in tests.
    pub system_root: PathBuf,
    /// With a key, each credential's keyed fingerprint is reported (`--fingerprint-key`).
    pub fingerprint_key: Option<FingerprintKey>,
    /// The secret `--find-secret-stdin` looks for: helpers are asked to `get` each entry they list, and
    /// every environment variable is compared too.
    pub sought: Option<Arc<Secret>>,
    /// Keep each secret with its credential, and ask helpers to `get` each entry (`audit --online`).
    pub keep_secrets: bool,
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
    /// In a Kubernetes pull secret (`audit --kube`).
    KubernetesSecret,
}

/// One stored credential. The secret itself is never kept: only its kind, expiry and a fingerprint used
/// to spot duplicates within this run (and, with a key, the keyed fingerprint).
///
/// A new source builds one with [`Stored::new`] and sets what it knows (`..Stored::new(...)`), so a field
/// added later does not touch every source.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stored {
    /// The file, helper program or variable it was found in.
    pub location: String,
    /// What kind of place `location` is.
    pub place: PlaceKind,
    pub registry: String,
    pub username: Option<String>,
    pub storage: Storage,
    /// `None` when the secret is behind a helper and was not read.
    pub kind: Option<TokenKind>,
    /// Unix seconds.
    pub expires_at: Option<i64>,
    #[serde(skip)]
    pub fingerprint: Option<u64>,
    /// `hmac-sha256:...` under `--fingerprint-key`; never without a key.
    #[serde(rename = "fingerprint", skip_serializing_if = "Option::is_none")]
    pub keyed_fingerprint: Option<String>,
    /// The secret is the one `--find-secret-stdin` looks for.
    #[serde(skip)]
    pub sought: bool,
    /// The file's permission bits, for plaintext credentials.
    #[serde(skip)]
    pub file_mode: Option<u32>,
    /// A helper configured for this key in the same file, which clients ask instead of reading this entry.
    #[serde(skip)]
    pub shadowed_by: Option<Shadow>,
    /// Why the client that reads this place cannot decode the entry's `auth` (the secret is on disk all
    /// the same, and inventoried).
    #[serde(skip)]
    pub unreadable: Option<AuthProblem>,
    /// The secret, only with [`Options::keep_secrets`]; never serialised.
    #[serde(skip)]
    pub secret: Option<Secret>,
    /// The repositories this credential serves, when its place says (a pull secret: its pods' images);
    /// `audit --online` checks these rather than `--repo`.
    #[serde(skip)]
    pub repos: Vec<regauth_core::reference::Reference>,
}

impl Stored {
    /// A credential found at `location` (a `place`) for `registry`, with nothing else known yet.
    pub fn new(
        place: PlaceKind,
        location: impl Into<String>,
        registry: impl Into<String>,
        storage: Storage,
    ) -> Stored {
        Stored {
            location: location.into(),
            place,
            registry: registry.into(),
            username: None,
            storage,
            kind: None,
            expires_at: None,
            fingerprint: None,
            keyed_fingerprint: None,
            sought: false,
            file_mode: None,
            shadowed_by: None,
            unreadable: None,
            secret: None,
            repos: Vec::new(),
        }
    }

    /// Record what the audit keeps of the secret: its kind, expiry and fingerprints.
    pub fn with_secret(mut self, info: TokenInfo, fingerprint: Fingerprint) -> Stored {
        self.kind = Some(info.kind);
        self.expires_at = info.expires_at;
        self.fingerprint = Some(fingerprint.local);
        self.keyed_fingerprint = fingerprint.keyed;
        self.sought = fingerprint.sought;
        self.secret = fingerprint.kept;
        self
    }
}

/// Why an `auths` entry is not what clients use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shadow {
    pub helper: String,
    /// `credHelpers` (every client honours it) rather than `credsStore` (podman and skopeo ignore it).
    pub every_client: bool,
}

/// The kinds of place credentials are looked for in. A new source adds its own variant (its JSON name is
/// the kebab-case of the variant) and [`PlaceKind::name`] arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlaceKind {
    DockerConfig,
    ContainersAuth,
    Dockercfg,
    KubeletConfig,
    EcrCache,
    Helper,
    Environment,
    /// The passwd database `--all-users` takes homes from.
    Passwd,
    /// BuildKit's `~/.docker/.token_seed` and its lock: per-registry random seeds, not credentials.
    BuildkitTokenSeed,
    /// `kubectl get ... -o json` output given to `audit --kube`.
    KubernetesObjects,
    /// helm's registry config (docker's format).
    HelmRegistryConfig,
    /// regctl's config: logins in plaintext by design.
    RegctlConfig,
    /// containerd's config.toml (CRI registry auths).
    ContainerdConfig,
    /// k3s's or rke2's registries.yaml (`configs.*.auth`, written into containerd's CRI config).
    RancherRegistries,
}

impl PlaceKind {
    /// The JSON name, for text output and summaries.
    pub fn name(self) -> &'static str {
        match self {
            PlaceKind::DockerConfig => "docker-config",
            PlaceKind::ContainersAuth => "containers-auth",
            PlaceKind::Dockercfg => "dockercfg",
            PlaceKind::KubeletConfig => "kubelet-config",
            PlaceKind::EcrCache => "ecr-cache",
            PlaceKind::Helper => "helper",
            PlaceKind::Environment => "environment",
            PlaceKind::Passwd => "passwd",
            PlaceKind::BuildkitTokenSeed => "buildkit-token-seed",
            PlaceKind::KubernetesObjects => "kubernetes-objects",
            PlaceKind::HelmRegistryConfig => "helm-registry-config",
            PlaceKind::RegctlConfig => "regctl-config",
            PlaceKind::ContainerdConfig => "containerd-config",
            PlaceKind::RancherRegistries => "rancher-registries",
        }
    }
}

impl Storage {
    pub fn name(self) -> &'static str {
        match self {
            Storage::Plaintext => "plaintext",
            Storage::Helper => "helper",
            Storage::Environment => "environment",
            Storage::KubernetesSecret => "kubernetes-secret",
        }
    }
}

/// What BuildKit's token seed is, said wherever the file is listed.
pub const TOKEN_SEED_NOTE: &str = "BuildKit's per-registry random seeds for signing its token requests \
    (created by buildx and nerdctl next to config.json); not registry credentials";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case", rename_all_fields = "camelCase")]
pub enum PlaceState {
    Missing,
    Read,
    Error {
        message: String,
    },
    /// A symbolic link on the way to the file belongs to a user other than the caller, root and the owner of
    /// the file it leads to: it was not followed, and the file was not read through it.
    NotFollowed {
        link: String,
        link_owner: u32,
        target: String,
        target_owner: Option<u32>,
        /// The target owner's name, from the system's passwd file.
        target_owner_name: Option<String>,
    },
}

/// A place that was looked at.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Scanned {
    pub location: String,
    pub kind: PlaceKind,
    #[serde(flatten)]
    pub state: PlaceState,
    /// Permission bits as octal text, for files that exist.
    pub mode: Option<String>,
    /// The file really read, when links lead from `location` to another path; credentials found are
    /// attributed to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub real_path: Option<String>,
    /// What the file is, when it is not a credential store.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
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
    /// Whose homes were scanned (with `all_users`).
    pub users: Vec<User>,
}

/// What scanning one place found, and the real file it read (`None` when it read none).
#[derive(Default)]
struct PlaceScan {
    real: Option<PathBuf>,
    inv: Inventory,
}

pub fn collect(env: &Environ, opts: &Options) -> Inventory {
    let mut inv = Inventory::default();
    let fingerprinter = Fingerprinter::new(opts.fingerprint_key.clone(), opts.sought.clone())
        .keeping_secrets(opts.keep_secrets);
    let fingerprint = |secret: &str| fingerprinter.of(secret);
    // Each place is scanned on its own (on every core: 1,000 homes are CPU work), then added in order; a
    // real file already read through an earlier place is not added again (the first place wins).
    let places = places(env, opts, &mut inv);
    let caller = env.uid();
    let scans = super::parallel::map(&places, |(path, kind)| {
        let mut scan = PlaceScan::default();
        scan_file(path, *kind, caller, &opts.system_root, &mut scan.real, &mut scan.inv, &fingerprint);
        scan
    });
    let mut seen = BTreeSet::new();
    for scan in scans {
        if scan.real.is_some_and(|real| !seen.insert(real)) {
            continue;
        }
        inv.stored.extend(scan.inv.stored);
        inv.scanned.extend(scan.inv.scanned);
    }
    if let Some(raw) = env.get("DOCKER_AUTH_CONFIG") {
        let location = "$DOCKER_AUTH_CONFIG".to_owned();
        match Document::parse(raw.as_encoded_bytes(), Path::new(&location)) {
            Ok(doc) => {
                for (entry, unreadable) in inventory_entries(&doc, AuthEncoding::Docker) {
                    let place = (PlaceKind::Environment, location.as_str());
                    let entry = Entry { entry, unreadable, mode: None, shadowed_by: None };
                    push_entry(&mut inv, place, Storage::Environment, entry, &fingerprint);
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
    if opts.sought.is_some() {
        scan_environment_for_sought(env, &mut inv, &fingerprint);
    }
    scan_helpers(env, opts, &mut inv, &fingerprint);
    inv
}

/// Every environment variable that holds the sought secret, whole or inside its value (a variable such as
/// CI_REGISTRY_PASSWORD, or a JSON config in one), by name only.
fn scan_environment_for_sought(
    env: &Environ,
    inv: &mut Inventory,
    fingerprint: &impl Fn(&str) -> Fingerprint,
) {
    let already: BTreeSet<String> = inv
        .stored
        .iter()
        .filter(|s| s.sought && s.storage == Storage::Environment)
        .map(|s| s.location.clone())
        .collect();
    for (name, value) in env.vars() {
        let name = format!("${}", name.to_string_lossy());
        let Some(value) = value.to_str() else { continue };
        if already.contains(&name) || name == "$DOCKER_AUTH_CONFIG" {
            continue;
        }
        // Whole value first (the common case, compared in constant time), then inside it.
        let fp = fingerprint(value);
        let inside = !fp.sought && contains_secret(value, fingerprint);
        if fp.sought || inside {
            let mut stored = Stored::new(PlaceKind::Environment, name, "", Storage::Environment);
            stored.sought = true;
            inv.stored.push(stored);
        }
    }
}

/// Whether some substring of `text` is the sought secret (it is compared only through `fingerprint`).
fn contains_secret(text: &str, fingerprint: &impl Fn(&str) -> Fingerprint) -> bool {
    // Word-like pieces: a secret sits between quotes, colons, spaces, `=` or commas in a value.
    text.split(|c: char| c.is_whitespace() || "\"',;=:&".contains(c))
        .any(|piece| !piece.is_empty() && fingerprint(piece).sought)
}

/// `REGAUTH_REGISTRY_<HOST>_USERNAME/_PASSWORD`, what docker-credential-regauth-env serves.
fn scan_env_helper_variables(env: &Environ, inv: &mut Inventory, fingerprint: &impl Fn(&str) -> Fingerprint) {
    use regauth_core::protocol::Store;
    use regauth_core::store::EnvStore;
    let store = EnvStore::new(env.clone());
    let Ok(listing) = store.list() else { return };
    for (key, username) in listing {
        let Ok(creds) = store.get(&key) else { continue };
        let info = classify(&creds.username, creds.secret.expose(), creds.is_identity_token());
        let stem = regauth_core::store::env::variable_stem(&key);
        let location = format!("${}_PASSWORD", stem.unwrap_or_default());
        let stored = Stored::new(PlaceKind::Environment, location, key, Storage::Environment)
            .with_secret(info, fingerprint(creds.secret.expose()));
        inv.stored.push(Stored { username: Some(username), ..stored });
    }
}

fn place(location: String, kind: PlaceKind, state: PlaceState, mode: Option<u32>) -> Scanned {
    Scanned {
        location,
        kind,
        state,
        mode: mode.map(|m| format!("{:04o}", m & 0o7777)),
        real_path: None,
        note: None,
        helpers: Vec::new(),
        owner: None,
    }
}

/// The files to read: this user's, or with `all_users` every home's and the system's.
fn places(env: &Environ, opts: &Options, inv: &mut Inventory) -> Vec<(PathBuf, PlaceKind)> {
    let mut out = Vec::new();
    if let Some(path) = config::docker_config_path(env, opts.docker_config.as_deref()) {
        if let Some(dir) = path.parent() {
            out.push((dir.join(".token_seed"), PlaceKind::BuildkitTokenSeed));
            out.push((dir.join(".token_seed.lock"), PlaceKind::BuildkitTokenSeed));
        }
        out.push((path, PlaceKind::DockerConfig));
    }
    for file in config::containers_auth_files(env, opts.authfile.as_deref(), opts.docker_config.as_deref()) {
        let kind = if file.legacy { PlaceKind::Dockercfg } else { PlaceKind::ContainersAuth };
        out.push((file.path, kind));
    }
    if let Some(home) = env.home() {
        out.push((home.join(".ecr/cache.json"), PlaceKind::EcrCache));
    }
    out.extend(crate::resolve::helm_registry_config(env).map(|p| (p, PlaceKind::HelmRegistryConfig)));
    out.extend(crate::resolve::regctl_config(env).map(|p| (p, PlaceKind::RegctlConfig)));
    if opts.all_users {
        let system = |path: &str| opts.system_root.join(path);
        let (homes, passwd_error) = users::homes(&opts.system_root);
        let passwd = system("etc/passwd").display().to_string();
        let state = match passwd_error {
            None => PlaceState::Read,
            Some(e) if e.is_not_found() => PlaceState::Missing,
            Some(e) => PlaceState::Error { message: e.to_string() },
        };
        inv.scanned.push(place(passwd, PlaceKind::Passwd, state, None));
        for (user, home) in homes {
            inv.users.push(user);
            out.push((home.join(".docker/.token_seed"), PlaceKind::BuildkitTokenSeed));
            out.push((home.join(".docker/.token_seed.lock"), PlaceKind::BuildkitTokenSeed));
            out.push((home.join(".docker/config.json"), PlaceKind::DockerConfig));
            out.push((home.join(".config/containers/auth.json"), PlaceKind::ContainersAuth));
            out.push((home.join(".dockercfg"), PlaceKind::Dockercfg));
            out.push((home.join(".ecr/cache.json"), PlaceKind::EcrCache));
            out.push((home.join(".config/helm/registry/config.json"), PlaceKind::HelmRegistryConfig));
            out.push((home.join(".regctl/config.json"), PlaceKind::RegctlConfig));
        }
        for dir in subdirs(&system("run/containers")) {
            out.push((dir.join("auth.json"), PlaceKind::ContainersAuth));
        }
        for dir in subdirs(&system("run/user")) {
            out.push((dir.join("containers/auth.json"), PlaceKind::ContainersAuth));
        }
        out.push((system("var/lib/kubelet/config.json"), PlaceKind::KubeletConfig));
        out.push((system("etc/containers/auth.json"), PlaceKind::ContainersAuth));
        out.push((system("etc/containerd/config.toml"), PlaceKind::ContainerdConfig));
        out.push((system("etc/rancher/k3s/registries.yaml"), PlaceKind::RancherRegistries));
        out.push((system("etc/rancher/rke2/registries.yaml"), PlaceKind::RancherRegistries));
    }
    out
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect())
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// A reader of another tool's file into entries (`Ok(None)`: missing).
type ToolReader = fn(&Path) -> Result<Option<Vec<super::tool_configs::ReadEntry>>, String>;

/// Read one place. Links on the way are followed only when [`fsread::Resolved::foreign_link`] finds none
/// (with `--all-users` as root, a user's link to root's or another user's file is reported, never read
/// through); what is read is attributed to the real file, which is set in `read` (the caller drops this
/// place's findings when an earlier place read the same file).
fn scan_file(
    path: &Path,
    kind: PlaceKind,
    caller: u32,
    system_root: &Path,
    read: &mut Option<PathBuf>,
    inv: &mut Inventory,
    fingerprint: &impl Fn(&str) -> Fingerprint,
) {
    let location = path.display().to_string();
    let resolved = match fsread::resolve(path) {
        Ok(resolved) => resolved,
        Err(e) => {
            let state = PlaceState::Error { message: e.to_string() };
            return inv.scanned.push(place(location, kind, state, None));
        }
    };
    if let Some(link) = resolved.foreign_link(caller) {
        let target_owner = resolved.meta.as_ref().map(MetadataExt::uid);
        let state = PlaceState::NotFollowed {
            link: link.path.display().to_string(),
            link_owner: link.owner,
            target: resolved.real.display().to_string(),
            target_owner,
            target_owner_name: target_owner
                .and_then(|uid| users::name_of(system_root, uid))
                .map(|name| regauth_core::sanitize::one_line(&name)),
        };
        return inv.scanned.push(place(location, kind, state, None));
    }
    if kind == PlaceKind::BuildkitTokenSeed {
        // Only its mode matters: it is never read. Listed only when it exists.
        let Some(meta) = resolved.meta.as_ref() else { return };
        let mut scanned = place(location, kind, PlaceState::Read, Some(meta.mode()));
        let real = resolved.real.display().to_string();
        scanned.real_path = (real != scanned.location).then_some(real);
        scanned.note = Some(TOKEN_SEED_NOTE);
        scanned.owner = Some(meta.uid());
        if !meta.file_type().is_file() {
            scanned.state = PlaceState::Error {
                message: format!("{} is {}, not a regular file", scanned.location, fsread::kind_of(meta)),
            };
        }
        return inv.scanned.push(scanned);
    }
    *read = Some(resolved.real.clone());
    let real = resolved.real.display().to_string();
    let mode = resolved.meta.as_ref().map(MetadataExt::mode);
    if kind == PlaceKind::EcrCache {
        return scan_ecr_cache(&resolved.real, location, mode, inv, fingerprint);
    }
    let with_real = |mut scanned: Scanned| {
        scanned.real_path = (real != scanned.location).then(|| real.clone());
        scanned
    };
    let tool_entries = match kind {
        PlaceKind::ContainerdConfig => Some(super::tool_configs::containerd_entries as ToolReader),
        PlaceKind::RancherRegistries => Some(super::registries_yaml::entries as ToolReader),
        _ => None,
    };
    if let Some(read) = tool_entries {
        let state = match read(&resolved.real) {
            Ok(None) => return inv.scanned.push(with_real(place(location, kind, PlaceState::Missing, None))),
            Ok(Some(entries)) => {
                for (entry, unreadable) in entries {
                    let entry = Entry { entry, unreadable, mode, shadowed_by: None };
                    push_entry(inv, (kind, &real), Storage::Plaintext, entry, fingerprint);
                }
                PlaceState::Read
            }
            Err(message) => PlaceState::Error { message },
        };
        return inv.scanned.push(with_real(place(location, kind, state, mode)));
    }
    let loaded = config::load(&resolved.real, kind == PlaceKind::Dockercfg);
    let doc = match loaded {
        Ok(Some(doc)) => doc,
        Ok(None) => return inv.scanned.push(with_real(place(location, kind, PlaceState::Missing, None))),
        Err(e) => {
            let state = PlaceState::Error { message: e.to_string() };
            return inv.scanned.push(with_real(place(location, kind, state, mode)));
        }
    };
    let mut scanned = with_real(place(location, kind, PlaceState::Read, mode));
    scanned.owner = resolved.meta.as_ref().map(MetadataExt::uid);
    if kind == PlaceKind::RegctlConfig {
        let (entries, helpers) = super::tool_configs::regctl_entries(&doc);
        scanned.helpers = helpers;
        for entry in entries {
            let entry = Entry { entry, unreadable: None, mode, shadowed_by: None };
            push_entry(inv, (kind, &real), Storage::Plaintext, entry, fingerprint);
        }
        return inv.scanned.push(scanned);
    }
    if let Some(store) = doc.creds_store() {
        scanned.helpers.push(("credsStore".into(), store.to_owned()));
    }
    for (key, helper) in doc.cred_helpers() {
        scanned.helpers.push((key.to_owned(), helper.to_owned()));
    }
    let encoding = match kind {
        PlaceKind::ContainersAuth => AuthEncoding::Containers,
        PlaceKind::KubeletConfig => AuthEncoding::Kubelet,
        _ => AuthEncoding::Docker,
    };
    for (entry, unreadable) in inventory_entries(&doc, encoding) {
        let shadow = match (doc.cred_helper(&entry.key), doc.creds_store()) {
            (Some(h), _) => Some(Shadow { helper: format!("docker-credential-{h}"), every_client: true }),
            (None, Some(h)) if kind == PlaceKind::DockerConfig => {
                Some(Shadow { helper: format!("docker-credential-{h}"), every_client: false })
            }
            _ => None,
        };
        let entry = Entry { entry, unreadable, mode, shadowed_by: shadow };
        push_entry(inv, (kind, &real), Storage::Plaintext, entry, fingerprint);
    }
    inv.scanned.push(scanned);
}

/// amazon-ecr-credential-helper's cache: every token is a plaintext credential of user `AWS`.
fn scan_ecr_cache(
    path: &Path,
    location: String,
    mode: Option<u32>,
    inv: &mut Inventory,
    fingerprint: &impl Fn(&str) -> Fingerprint,
) {
    let real = path.display().to_string();
    let with_real = |mut scanned: Scanned| {
        scanned.real_path = (real != scanned.location).then(|| real.clone());
        scanned
    };
    let tokens = match super::ecr_cache::read(path, fingerprint) {
        Ok(tokens) => tokens,
        Err(ReadError::Missing) => {
            return inv.scanned.push(with_real(place(
                location,
                PlaceKind::EcrCache,
                PlaceState::Missing,
                None,
            )))
        }
        Err(ReadError::Unreadable(message)) => {
            let state = PlaceState::Error { message };
            return inv.scanned.push(with_real(place(location, PlaceKind::EcrCache, state, mode)));
        }
    };
    for token in tokens {
        let info = TokenInfo { kind: token.kind, expires_at: token.expires_at };
        let stored = Stored::new(PlaceKind::EcrCache, real.clone(), token.registry, Storage::Plaintext)
            .with_secret(info, token.fingerprint);
        inv.stored.push(Stored { username: Some("AWS".into()), file_mode: mode, ..stored });
    }
    inv.scanned.push(with_real(place(location, PlaceKind::EcrCache, PlaceState::Read, mode)));
}

/// Every entry with what it holds (decoded leniently: a secret the client cannot decode is still on
/// disk), and why the client that reads the place cannot decode its `auth`, if it cannot.
fn inventory_entries(doc: &Document, client: AuthEncoding) -> Vec<(AuthEntry, Option<AuthProblem>)> {
    doc.auths(AuthEncoding::Lenient)
        .into_iter()
        .map(|entry| {
            let unreadable = doc.auth(&entry.key, client).and_then(|e| e.problem);
            (entry, unreadable)
        })
        .collect()
}

/// One entry of a file or variable and what the audit knows about it there.
struct Entry {
    entry: AuthEntry,
    unreadable: Option<AuthProblem>,
    mode: Option<u32>,
    shadowed_by: Option<Shadow>,
}

fn push_entry(
    inv: &mut Inventory,
    (place, location): (PlaceKind, &str),
    storage: Storage,
    Entry { entry, unreadable, mode, shadowed_by }: Entry,
    fingerprint: &impl Fn(&str) -> Fingerprint,
) {
    if !entry.has_secret() && entry.problem.is_none() && unreadable.is_none() {
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
    let stored = Stored::new(place, location, entry.key.clone(), storage);
    let stored = match secret {
        Some(s) => stored.with_secret(info, fingerprint(s.expose())),
        None => Stored { kind: Some(info.kind), expires_at: info.expires_at, ..stored },
    };
    inv.stored.push(Stored { username: entry.username, file_mode: mode, shadowed_by, unreadable, ..stored });
}

/// The place name of a helper: for docker-credential-regauth-cache, with the inner helpers it wraps (its
/// `list` is theirs), from this user's cache-helper.json.
fn wrapper_location(name: &str, program: String, env: &Environ) -> String {
    use regauth_core::cache_helper;
    if name != cache_helper::HELPER_NAME {
        return program;
    }
    match cache_helper::path(env).map(|p| cache_helper::load(&p)) {
        Some(Ok(wrapping)) if !wrapping.inner_helpers().is_empty() => {
            let inner: Vec<String> =
                wrapping.inner_helpers().iter().map(|h| format!("docker-credential-{h}")).collect();
            format!("{program} (wraps {})", inner.join(", "))
        }
        _ => format!("{program} (wraps nothing)"),
    }
}

/// Ask each helper named in this user's own config files to `list`. A helper answers for whoever runs it,
/// so one named only in another user's file (with `--all-users`) is not asked: its entries would be ours.
///
/// With `--find-secret-stdin`, each entry listed is also fetched (`get`, under the same timeout) and
/// compared: its kind and fingerprints are kept, its secret is not.
fn scan_helpers(
    env: &Environ,
    opts: &Options,
    inv: &mut Inventory,
    fingerprint: &impl Fn(&str) -> Fingerprint,
) {
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
        let location = wrapper_location(&name, client.program(), env);
        match client.list() {
            Ok(listing) => {
                for (registry, username) in listing {
                    let mut stored =
                        Stored::new(PlaceKind::Helper, location.clone(), registry, Storage::Helper);
                    if opts.sought.is_some() || opts.keep_secrets {
                        // A failed get leaves the entry as listed: the helper answered list, it may
                        // still hold the secret, and the error would say nothing about it.
                        if let Ok(creds) = client.get(&stored.registry) {
                            let info =
                                classify(&creds.username, creds.secret.expose(), creds.is_identity_token());
                            stored = stored.with_secret(info, fingerprint(creds.secret.expose()));
                        }
                    }
                    inv.stored.push(Stored { username: Some(username).filter(|u| !u.is_empty()), ..stored });
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
