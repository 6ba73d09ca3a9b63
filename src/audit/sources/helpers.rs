//! Credential helpers as a place: each helper named in this user's files asked to `list` (and `get`
//! when a secret is sought or kept).

use super::{place, Inventory, Options, PlaceKind, PlaceState, Scanned, Storage, Stored};
use crate::audit::fingerprint::Fingerprint;
use crate::audit::token_kind::classify;
use regauth_core::environ::Environ;
use regauth_core::protocol::HelperClient;
use std::collections::BTreeSet;

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
pub(super) fn scan_helpers(
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
