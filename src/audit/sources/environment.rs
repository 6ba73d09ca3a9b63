//! The environment as a place: variables that hold the sought secret, and the env helper's
//! `REGAUTH_REGISTRY_*` variables.

use super::{Inventory, PlaceKind, Storage, Stored};
use crate::audit::fingerprint::Fingerprint;
use crate::audit::token_kind::classify;
use regauth_core::environ::Environ;
use std::collections::BTreeSet;

/// Every environment variable that holds the sought secret, whole or inside its value (a variable such as
/// CI_REGISTRY_PASSWORD, or a JSON config in one), by name only.
pub(super) fn scan_environment_for_sought(
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
pub(super) fn scan_env_helper_variables(
    env: &Environ,
    inv: &mut Inventory,
    fingerprint: &impl Fn(&str) -> Fingerprint,
) {
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
