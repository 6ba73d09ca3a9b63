//! Where registry credentials are stored, and reading them without keeping a secret: the types of the
//! inventory and [`collect`], which reads every place. [`places`] lists the files, [`files`] reads one,
//! [`helpers`] asks the credential helpers, [`environment`] reads the variables.

use crate::audit::fingerprint::{Fingerprint, FingerprintKey, Fingerprinter};
use crate::audit::token_kind::{TokenInfo, TokenKind};
use crate::audit::users::User;
use regauth_core::config::{AuthEncoding, AuthProblem};
use regauth_core::environ::Environ;
use regauth_core::secret::Secret;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

mod environment;
mod files;
mod helpers;
mod places;

use environment::{scan_env_helper_variables, scan_environment_for_sought};
use files::{push_entry, scan_file, Entry};
use helpers::scan_helpers;
use places::places;

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
    let scans = crate::audit::parallel::map(&places, |(path, kind)| {
        let mut scan = PlaceScan::default();
        scan_file(path, *kind, caller, &opts.system_root, &mut scan.real, &mut scan.inv, &fingerprint);
        scan
    });
    let mut seen = BTreeSet::new();
    // One allocation for the whole inventory (100,000 credentials): no copies as it grows.
    inv.stored.reserve(scans.iter().map(|s| s.inv.stored.len()).sum());
    inv.scanned.reserve(scans.iter().map(|s| s.inv.scanned.len()).sum());
    for scan in scans {
        if scan.real.is_some_and(|real| !seen.insert(real)) {
            continue;
        }
        inv.stored.extend(scan.inv.stored);
        inv.scanned.extend(scan.inv.scanned);
    }
    if let Some(raw) = env.get("DOCKER_AUTH_CONFIG") {
        let location = "$DOCKER_AUTH_CONFIG".to_owned();
        let path = Path::new(&location);
        match regauth_core::config::read_only::parse(
            raw.as_encoded_bytes(),
            path,
            false,
            AuthEncoding::Docker,
        ) {
            Ok(file) => {
                for (entry, unreadable) in file.entries {
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
