//! A pull secret's data as the kubelet reads it: the base64 under its type's key, then the docker config in
//! it, every `auth` decoded as the kubelet decodes it. Read in one serde pass (`config::read_only`, which
//! hands whatever it cannot read exactly as the lossless loader does to that loader): `audit --kube`
//! decodes 100,000 of these, and building [`Document`]'s tree was most of its run. [`lossless_entries`]
//! is the loader's reading, the reference this one is held to (the tests here and the fuzz target
//! `kube_matching`).

use super::SecretState;
use crate::kube::objects::{self, Secret, ValueRef};
use regauth_core::config::{read_only, AuthEncoding, AuthEntry, AuthProblem, ConfigError, Document};
use std::path::Path;

/// A pull secret's docker config entries, or why it has none (see [`SecretState`]).
pub fn secret_entries(secret: &Secret) -> Result<Vec<AuthEntry>, SecretState> {
    let value = secret.docker_key().and_then(|key| secret.data.get(key)).map(objects::Value::as_ref);
    docker_entries(&secret.kind, value.as_ref())
}

/// [`secret_entries`] of a secret of type `kind` whose value under its type's docker key is `value`.
pub fn docker_entries(kind: &str, value: Option<&ValueRef<'_>>) -> Result<Vec<AuthEntry>, SecretState> {
    let (bytes, place) = config_bytes(kind, value)?;
    let legacy = kind == objects::DOCKERCFG;
    let read = read_only::parse(&bytes, place, legacy, AuthEncoding::Kubelet).map_err(|e| undecodable(&e))?;
    if let Some((entry, problem)) =
        read.entries.iter().find_map(|(entry, problem)| Some((entry, (*problem)?)))
    {
        return Err(unreadable_entry(&entry.key, problem));
    }
    // The one pass decodes each entry leniently, beside the kubelet's verdict on its `auth`. Every `auth`
    // here is one the kubelet decodes, and where it does the lenient reading gives the same pair: it takes
    // every text the kubelet takes (padded or not, CR and LF skipped) and splits it alike, trimming nothing.
    Ok(read.entries.into_iter().map(|(entry, _)| entry).collect())
}

/// [`docker_entries`] through the lossless loader ([`Document`]): the reference it is held to.
pub fn lossless_entries(kind: &str, value: Option<&ValueRef<'_>>) -> Result<Vec<AuthEntry>, SecretState> {
    let (bytes, place) = config_bytes(kind, value)?;
    let doc = if kind == objects::DOCKERCFG {
        Document::parse_legacy(&bytes, place)
    } else {
        Document::parse(&bytes, place)
    };
    let entries = doc.map_err(|e| undecodable(&e))?.auths(AuthEncoding::Kubelet);
    if let Some(bad) = entries.iter().find(|e| e.problem.is_some()) {
        return Err(unreadable_entry(&bad.key, bad.problem.expect("found by its problem")));
    }
    Ok(entries)
}

/// The decoded data under `kind`'s docker key and the name errors give it, or why there is none.
fn config_bytes(
    kind: &str,
    value: Option<&ValueRef<'_>>,
) -> Result<(zeroize::Zeroizing<Vec<u8>>, &'static Path), SecretState> {
    let Some(data_key) = objects::docker_key(kind) else {
        return Err(SecretState::WrongType { kind: kind.to_owned() });
    };
    let Some(value) = value else {
        return Err(SecretState::NoData { key: data_key.into() });
    };
    let Some(bytes) = value.decode() else {
        return Err(SecretState::Undecodable { reason: format!("{data_key} is not valid base64") });
    };
    if bytes.is_empty() {
        return Err(SecretState::NoData { key: data_key.into() });
    }
    Ok((bytes, Path::new(data_key)))
}

/// A config error's text without the value it came from (these errors carry positions, not values).
fn undecodable(e: &ConfigError) -> SecretState {
    SecretState::Undecodable { reason: regauth_core::sanitize::one_line(&e.to_string()) }
}

fn unreadable_entry(key: &str, problem: AuthProblem) -> SecretState {
    SecretState::Undecodable { reason: format!("the entry {key:?}: {problem}") }
}

#[cfg(test)]
#[path = "keyring_data_tests.rs"]
mod tests;
