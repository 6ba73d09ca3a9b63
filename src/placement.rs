//! Where a registry credential goes, written once for `regauth login` and `regauth migrate`: the helper a
//! config names for a registry (`credHelpers`, then `credsStore`), else regauth's best store on this
//! machine; storing through that helper and reading the entry back; and the `credHelpers` keys that make
//! docker, podman, skopeo, buildah and nerdctl ask it.
//!
//! Nothing here writes a config file: callers make their edits through `config::update` (or
//! `update_checked`) with [`set_cred_helpers`], so one locked, atomic write holds every change. A store
//! that fails half-way is undone with [`Stored::roll_back`], which puts back what the helper held before.

use regauth_core::config::Document;
use regauth_core::environ::Environ;
use regauth_core::protocol::{Credentials, HelperClient, HelperError};
use regauth_core::registry::RegistryHost;
use regauth_core::secret::{redact_forms, Secret};
use serde::Serialize;
use std::time::Duration;

/// The kernel-keyring helper: works headless, no daemon; its contents are lost at reboot.
pub const KEYUTILS: &str = "regauth-keyutils";
/// The Secret Service helper: a desktop's keyring over the session bus.
pub const SECRET_SERVICE: &str = "regauth-secretservice";
/// The username that marks the secret as an identity (OAuth refresh) token, as docker stores it.
pub const IDENTITY_TOKEN_USERNAME: &str = "<token>";

/// The helper a config names for a registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Configured {
    pub helper: String,
    /// `credHelpers.<key>` or `credsStore`.
    pub field: String,
}

/// The helper docker would use for `host` in this config: `credHelpers[docker key]`, else (when
/// `read_creds_store`) `credsStore`. containers/image files pass `false`: podman and skopeo ignore
/// `credsStore`; they look `credHelpers` up under the bare host, which for Docker Hub is `docker.io`.
pub fn configured_helper(doc: &Document, host: &RegistryHost, read_creds_store: bool) -> Option<Configured> {
    let keys = if read_creds_store { vec![host.docker_key()] } else { vec![host.as_str().to_owned()] };
    for key in keys {
        if let Some(helper) = doc.cred_helper(&key).filter(|h| !h.is_empty()) {
            return Some(Configured { helper: helper.to_owned(), field: format!("credHelpers.{key}") });
        }
    }
    let store = doc.creds_store().filter(|h| !h.is_empty() && read_creds_store)?;
    Some(Configured { helper: store.to_owned(), field: "credsStore".into() })
}

/// regauth's choice of store on this machine, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chosen {
    pub helper: String,
    pub reason: String,
}

/// The best store that answers here: the Secret Service when a session bus is set and a Secret Service
/// answers on it, else the kernel keyring. Each candidate must be installed and answer `list` within
/// `timeout`. The error says why each was passed over.
pub fn best_store(env: &Environ, timeout: Duration) -> Result<Chosen, String> {
    let mut passed_over = Vec::new();
    let candidates = [
        (SECRET_SERVICE, "a Secret Service answers on the session bus"),
        (KEYUTILS, "the kernel keyring (no Secret Service answers here; its entries are lost at reboot)"),
    ];
    for (helper, reason) in candidates {
        if helper == SECRET_SERVICE && env.get("DBUS_SESSION_BUS_ADDRESS").is_none_or(|v| v.is_empty()) {
            passed_over.push(format!("{helper}: no session bus (DBUS_SESSION_BUS_ADDRESS is not set)"));
            continue;
        }
        let client = HelperClient::new(helper, env.search_path(), timeout);
        match client.list() {
            Ok(_) => return Ok(Chosen { helper: helper.to_owned(), reason: reason.to_owned() }),
            Err(e) => passed_over.push(e.to_string()),
        }
    }
    Err(passed_over.join("; "))
}

/// The server URLs a credential for `host` is stored under in a helper: docker's key, and for Docker Hub
/// also `docker.io`, which podman, skopeo and buildah ask for.
pub fn server_urls(host: &RegistryHost) -> Vec<String> {
    host.helper_keys()
}

/// One change to a config field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `credsStore` or `credHelpers.<key>`.
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// Point every `credHelpers` key of `host` at `helper` (docker's key; for Docker Hub also `docker.io`).
/// Returns the fields that changed.
pub fn set_cred_helpers(doc: &mut Document, host: &RegistryHost, helper: &str) -> Vec<Change> {
    let mut changes = Vec::new();
    for key in host.helper_keys() {
        let old = doc.set_cred_helper(&key, helper);
        if old.as_deref() != Some(helper) {
            changes.push(Change { field: format!("credHelpers.{key}"), old, new: Some(helper.to_owned()) });
        }
    }
    changes
}

/// Why a credential could not be placed in a helper. Messages never hold a secret: a helper's own
/// answer is redacted of every form of the credentials in play before it is kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceError {
    #[error("{program} already holds a different credential for {url}; it was left as it was")]
    Occupied { program: String, url: String },
    #[error("{0}")]
    Helper(String),
    #[error("{program} did not give back what was stored under {url}: {what}")]
    ReadBack { program: String, url: String, what: &'static str },
}

/// What a helper held before [`store_verified`] wrote to it, so that a failure can put it back.
pub struct Stored {
    client: HelperClient,
    previous: Vec<(String, Option<Credentials>)>,
    forms: Vec<Secret>,
}

impl Stored {
    /// Undo the store: put back each entry as it was (erase what was not there). Returns what could not
    /// be undone, one line each.
    pub fn roll_back(self) -> Vec<String> {
        let mut problems = Vec::new();
        for (url, before) in &self.previous {
            let undone = match before {
                Some(creds) => self.client.store(creds),
                None => self.client.erase(url),
            };
            if let Err(e) = undone {
                problems.push(format!("undoing the store under {url}: {}", clean(&e, &self.forms)));
            }
        }
        problems
    }
}

/// A helper error as text, redacted of every form of every secret in play.
fn clean(e: &HelperError, forms: &[Secret]) -> String {
    redact_forms(&e.to_string(), forms)
}

/// Store `username`/`secret` under each of `urls` through `client`, then read every entry back and compare.
///
/// With `replace` false an entry the helper already holds with other contents is left alone
/// ([`PlaceError::Occupied`], nothing stored); an equal one is fine. On any failure what was stored is
/// undone before returning. A helper whose `get` fails (other than not-found) stops everything first:
/// what it holds cannot be told, so nothing could be put back.
pub fn store_verified(
    client: &HelperClient,
    urls: &[String],
    username: &str,
    secret: &Secret,
    replace: bool,
) -> Result<Stored, PlaceError> {
    let (previous, forms) = what_is_there(client, urls, username, secret, replace)?;
    let stored = Stored { client: client.clone(), previous, forms };
    let fail = |stored: Stored, error: PlaceError| {
        let problems = stored.roll_back();
        if problems.is_empty() {
            error
        } else {
            PlaceError::Helper(format!("{error}; {}", problems.join("; ")))
        }
    };
    for url in urls {
        let creds =
            Credentials { server_url: url.clone(), username: username.to_owned(), secret: secret.clone() };
        if let Err(e) = client.store(&creds) {
            let text = clean(&e, &stored.forms);
            return Err(fail(stored, PlaceError::Helper(text)));
        }
    }
    verify_read_back(stored, urls, username, secret, fail)
}

/// The read-only first half of [`store_verified`], for a dry run: would the helper take the credential?
/// Only `get` is asked, so a helper whose `store` fails is found out only by the real run.
pub fn would_store(
    client: &HelperClient,
    urls: &[String],
    username: &str,
    secret: &Secret,
    replace: bool,
) -> Result<(), PlaceError> {
    what_is_there(client, urls, username, secret, replace).map(|_| ())
}

type Previous = Vec<(String, Option<Credentials>)>;

/// What the helper holds under each URL now, and every form of every secret in play (for redaction).
fn what_is_there(
    client: &HelperClient,
    urls: &[String],
    username: &str,
    secret: &Secret,
    replace: bool,
) -> Result<(Previous, Vec<Secret>), PlaceError> {
    let program = client.program();
    let mut forms = secret.forms(Some(username));
    let mut previous = Vec::new();
    for url in urls {
        match client.get(url) {
            Ok(found) => {
                forms.extend(found.secret.forms(Some(&found.username)));
                forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
                let same = found.username == username && found.secret.expose() == secret.expose();
                if !replace && !same {
                    return Err(PlaceError::Occupied { program, url: url.clone() });
                }
                previous.push((url.clone(), Some(found)));
            }
            Err(HelperError::NotFound { .. }) => previous.push((url.clone(), None)),
            Err(e) => return Err(PlaceError::Helper(clean(&e, &forms))),
        }
    }
    Ok((previous, forms))
}

fn verify_read_back(
    stored: Stored,
    urls: &[String],
    username: &str,
    secret: &Secret,
    fail: impl Fn(Stored, PlaceError) -> PlaceError,
) -> Result<Stored, PlaceError> {
    let program = stored.client.program();
    let client = stored.client.clone();
    let client = &client;
    for url in urls {
        let what = match client.get(url) {
            Ok(back) if back.username != username => Some("another username"),
            Ok(back) if back.secret.expose() != secret.expose() => Some("another secret"),
            Ok(_) => None,
            Err(HelperError::NotFound { .. }) => Some("no entry"),
            Err(e) => {
                let text = clean(&e, &stored.forms);
                return Err(fail(stored, PlaceError::Helper(format!("reading back: {text}"))));
            }
        };
        if let Some(what) = what {
            return Err(fail(
                stored,
                PlaceError::ReadBack { program: program.clone(), url: url.clone(), what },
            ));
        }
    }
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::*;
    use regauth_core::registry::DOCKER_HUB_KEY;
    use std::path::Path;

    fn doc(text: &str) -> Document {
        Document::parse(text.as_bytes(), Path::new("/t/config.json")).unwrap()
    }

    #[test]
    fn configured_helper_follows_docker_then_containers() {
        let hub = RegistryHost::parse("docker.io").unwrap();
        let local = RegistryHost::parse("127.0.0.1:5000").unwrap();
        let d = doc(
            r#"{"credsStore":"pass","credHelpers":{"https://index.docker.io/v1/":"hub","docker.io":"c"}}"#,
        );
        assert_eq!(configured_helper(&d, &hub, true).unwrap().helper, "hub");
        assert_eq!(configured_helper(&d, &hub, false).unwrap().helper, "c");
        let local_found = configured_helper(&d, &local, true).unwrap();
        assert_eq!((local_found.helper.as_str(), local_found.field.as_str()), ("pass", "credsStore"));
        assert_eq!(configured_helper(&d, &local, false), None, "containers ignore credsStore");
        assert_eq!(configured_helper(&doc("{}"), &local, true), None);
    }

    #[test]
    fn cred_helpers_for_docker_hub_name_both_keys_and_report_only_changes() {
        let hub = RegistryHost::parse("registry-1.docker.io").unwrap();
        let mut d = doc(r#"{"credHelpers":{"docker.io":"regauth-keyutils"},"x":1}"#);
        let changes = set_cred_helpers(&mut d, &hub, KEYUTILS);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].field, format!("credHelpers.{DOCKER_HUB_KEY}"));
        assert_eq!(d.cred_helper("docker.io"), Some(KEYUTILS));
        assert_eq!(d.cred_helper(DOCKER_HUB_KEY), Some(KEYUTILS));
        assert_eq!(server_urls(&hub), [DOCKER_HUB_KEY, "docker.io"]);
    }
}
