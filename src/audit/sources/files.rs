//! Reading one file place (docker, containers, helm, regctl, containerd, registries.yaml, the ECR cache,
//! BuildKit's token seed) into [`Stored`] entries, links resolved first.

use super::{place, Inventory, PlaceKind, PlaceState, Scanned, Shadow, Storage, Stored, TOKEN_SEED_NOTE};
use crate::audit::ecr_cache::ReadError;
use crate::audit::fingerprint::Fingerprint;
use crate::audit::token_kind::{classify, TokenInfo, TokenKind};
use crate::audit::users;
use regauth_core::config::{self, AuthEncoding, AuthEntry, AuthProblem};
use regauth_core::fsread;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// A reader of another tool's file into entries (`Ok(None)`: missing).
type ToolReader = fn(&Path) -> Result<Option<Vec<crate::audit::tool_configs::ReadEntry>>, String>;

/// Read one place. Links on the way are followed only when [`fsread::Resolved::foreign_link`] finds none
/// (with `--all-users` as root, a user's link to root's or another user's file is reported, never read
/// through); what is read is attributed to the real file, which is set in `read` (the caller drops this
/// place's findings when an earlier place read the same file).
pub(super) fn scan_file(
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
    // A config file gone (no mode to show) or unreadable: a place with no entries.
    let unread = |location: String, state: PlaceState| {
        let mode = if matches!(state, PlaceState::Missing) { None } else { mode };
        with_real(place(location, kind, state, mode))
    };
    let tool_entries = match kind {
        PlaceKind::ContainerdConfig => Some(crate::audit::tool_configs::containerd_entries as ToolReader),
        PlaceKind::RancherRegistries => Some(crate::audit::registries_yaml::entries as ToolReader),
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
    if kind == PlaceKind::RegctlConfig {
        let doc = match contents(config::load(&resolved.real, false)) {
            Ok(doc) => doc,
            Err(state) => return inv.scanned.push(unread(location, state)),
        };
        let mut scanned = with_real(place(location, kind, PlaceState::Read, mode));
        scanned.owner = resolved.meta.as_ref().map(MetadataExt::uid);
        let (entries, helpers) = crate::audit::tool_configs::regctl_entries(&doc);
        scanned.helpers = helpers;
        for entry in entries {
            let entry = Entry { entry, unreadable: None, mode, shadowed_by: None };
            push_entry(inv, (kind, &real), Storage::Plaintext, entry, fingerprint);
        }
        return inv.scanned.push(scanned);
    }
    let encoding = match kind {
        PlaceKind::ContainersAuth => AuthEncoding::Containers,
        PlaceKind::KubeletConfig => AuthEncoding::Kubelet,
        _ => AuthEncoding::Docker,
    };
    // The audit only reads: the one-pass reader (the lossless loader's answer, without its tree).
    let read = config::read_only::load(&resolved.real, kind == PlaceKind::Dockercfg, encoding);
    let file = match contents(read) {
        Ok(file) => file,
        Err(state) => return inv.scanned.push(unread(location, state)),
    };
    let mut scanned = with_real(place(location, kind, PlaceState::Read, mode));
    scanned.owner = resolved.meta.as_ref().map(MetadataExt::uid);
    let config::read_only::Entries { creds_store, cred_helpers, entries } = file;
    inv.stored.reserve(entries.len());
    let helper_of = |key: &str| cred_helpers.iter().find(|(k, _)| k == key).map(|(_, h)| h.as_str());
    for (entry, unreadable) in entries {
        let shadow = match (helper_of(&entry.key), creds_store.as_deref()) {
            (Some(h), _) => Some(Shadow { helper: format!("docker-credential-{h}"), every_client: true }),
            (None, Some(h)) if kind == PlaceKind::DockerConfig => {
                Some(Shadow { helper: format!("docker-credential-{h}"), every_client: false })
            }
            _ => None,
        };
        let entry = Entry { entry, unreadable, mode, shadowed_by: shadow };
        push_entry(inv, (kind, &real), Storage::Plaintext, entry, fingerprint);
    }
    if let Some(store) = creds_store {
        scanned.helpers.push(("credsStore".into(), store));
    }
    scanned.helpers.extend(cred_helpers);
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
    let tokens = match crate::audit::ecr_cache::read(path, fingerprint) {
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

/// One entry of a file or variable and what the audit knows about it there.
pub(super) struct Entry {
    pub(super) entry: AuthEntry,
    pub(super) unreadable: Option<AuthProblem>,
    pub(super) mode: Option<u32>,
    pub(super) shadowed_by: Option<Shadow>,
}

pub(super) fn push_entry(
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

/// A config file's contents, or the state of its place when it is gone or cannot be read.
fn contents<T>(read: Result<Option<T>, config::ConfigError>) -> Result<T, PlaceState> {
    match read {
        Ok(Some(contents)) => Ok(contents),
        Ok(None) => Err(PlaceState::Missing),
        Err(e) => Err(PlaceState::Error { message: e.to_string() }),
    }
}
