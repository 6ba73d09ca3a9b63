//! nerdctl's lookup, as nerdctl v2.2.1 does it through docker/cli 29's config code (checked against the
//! real nerdctl by tests/resolve_nerdctl.rs). It differs from the Docker CLI's:
//!
//! - up to seven key variants are tried in order (`host:port`, `https://host:port`, `http://host:port`, and
//!   for port 443 also the bare host with and without a scheme); for Docker Hub those of
//!   `registry-1.docker.io` with `https://index.docker.io/v1/` second, so `docker.io` is never asked;
//! - for each key, `DOCKER_AUTH_CONFIG`'s exact key first, then `credHelpers[key]`, `credsStore` or `auths`;
//! - a helper that fails (or is missing) does not stop the search: only the last key's failure is an error;
//!   a helper's "not found" hides the `auths` entry under that key;
//! - `auths`' legacy fallback compares the key as asked with each entry's host (`https://h/v1/` -> `h`), so
//!   `https://host:port` never matches a legacy entry;
//! - an entry found with only a `registrytoken` ends the search, but nerdctl does not send it: anonymous.

use super::{apply_entry, ask_helper, load_docker_config, CredentialKind, Outcome, Resolution, Source};
use regauth_core::config::{AuthEncoding, AuthEntry, Document};
use regauth_core::environ::Environ;
use regauth_core::reference::Reference;
use regauth_core::registry::{self, Client, RegistryHost};
use std::path::PathBuf;

pub(super) fn resolve(reference: &Reference, env: &Environ, opts: &super::Options) -> Resolution {
    let mut res = Resolution::new(Client::Nerdctl);
    let from_env = docker_auth_config(env, &mut res.notes);
    let doc = load_docker_config(env, opts, &mut res);
    if res.outcome.is_problem() {
        return res; // docker/cli refuses the whole file (nerdctl stops)
    }
    // nerdctl returns docker/cli's load error instead of going on with a half-decoded file.
    if let Some(bad) = doc.iter().flat_map(|d| d.auths(AuthEncoding::Docker)).find(|e| e.problem.is_some()) {
        let problem = bad.problem.expect("found by its problem");
        res.outcome = Outcome::ConfigError {
            message: format!("nerdctl stops: auths entry \"{}\": {problem}", bad.key),
        };
        res.key = Some(bad.key);
        return res;
    }
    let variants = request_keys(&RegistryHost::of_reference(reference));
    let mut failed: Option<Resolution> = None;
    for key in &variants {
        let mut attempt = Resolution::new(Client::Nerdctl);
        attempt.file = res.file.clone();
        attempt.key = Some(key.clone());
        match from_env.as_ref().and_then(|d| d.auth(key, AuthEncoding::Docker)) {
            Some(entry) => {
                attempt.source = Source::DockerAuthConfig;
                attempt.file = Some(PathBuf::from("$DOCKER_AUTH_CONFIG"));
                apply_entry(&mut attempt, entry);
            }
            None => {
                if let Some(doc) = &doc {
                    lookup(doc, key, env, opts, &mut attempt);
                }
            }
        }
        match &attempt.outcome {
            Outcome::Found { kind: CredentialKind::RegistryToken, .. } => {
                attempt.outcome = Outcome::NotFound;
                attempt.credential = None;
                attempt.notes.push(format!(
                    "the entry under \"{key}\" holds only a registrytoken, which nerdctl does not send: it goes anonymous"
                ));
                return with_notes(attempt, res);
            }
            Outcome::Found { .. }
            | Outcome::HelperTimedOut { .. }
            | Outcome::ConfigError { .. }
            | Outcome::Skipped => return with_notes(attempt, res),
            Outcome::HelperFailed { message } | Outcome::HelperMissing { message } => {
                res.notes.push(format!("key \"{key}\": {message}; nerdctl goes on to the next key"));
                failed = Some(attempt);
            }
            Outcome::NotFound => failed = None,
        }
    }
    if let Some(last) = failed {
        // Only the last key's failure reaches nerdctl as an error; earlier ones were noted above.
        res.notes.pop();
        res.notes.push("the helper failed on the last key nerdctl tries: the pull or push fails".into());
        return with_notes(last, res);
    }
    res.key = variants.first().cloned();
    res.notes.push(format!("tried keys: {}", variants.join(", ")));
    res
}

/// The keys nerdctl asks for a pull or push, in order. containerd names Docker Hub by its API host,
/// `registry-1.docker.io`, and nerdctl's variants of that host put `https://index.docker.io/v1/` second
/// (nerdctl's registryurl.go; read from the code, not observed: a test cannot reach Docker Hub).
fn request_keys(host: &RegistryHost) -> Vec<String> {
    if !host.is_docker_hub() {
        return host.nerdctl_keys();
    }
    let api = "registry-1.docker.io";
    vec![
        format!("{api}:443"),
        registry::DOCKER_HUB_KEY.to_owned(),
        format!("https://{api}:443"),
        format!("http://{api}:443"),
        api.to_owned(),
        format!("https://{api}"),
        format!("http://{api}"),
    ]
}

/// `attempt`, after the notes gathered before it.
fn with_notes(mut attempt: Resolution, res: Resolution) -> Resolution {
    attempt.notes.splice(0..0, res.notes);
    attempt
}

/// docker/cli's store for one key: `credHelpers[key]`, else `credsStore`, else the file.
fn lookup(doc: &Document, key: &str, env: &Environ, opts: &super::Options, res: &mut Resolution) {
    if let Some(helper) = doc.cred_helper(key) {
        res.source = Source::CredHelpers;
        ask_helper(helper, key, env, opts, res);
    } else if let Some(helper) = doc.creds_store() {
        res.source = Source::CredsStore;
        ask_helper(helper, key, env, opts, res);
    } else if let Some(entry) = file_entry(doc, key, &mut res.notes) {
        res.source = Source::Auths;
        apply_entry(res, entry);
    }
}

/// docker/cli's file store: `auths[key]`, else an entry whose host (scheme and path dropped) is `key` as
/// asked. Go walks a map there, so when several entries match, which one is used is chance.
fn file_entry(doc: &Document, key: &str, notes: &mut Vec<String>) -> Option<AuthEntry> {
    if let Some(entry) = doc.auth(key, AuthEncoding::Docker) {
        return Some(entry);
    }
    let matching: Vec<AuthEntry> = doc
        .auths(AuthEncoding::Docker)
        .into_iter()
        .filter(|e| registry::key_to_hostname(&e.key) == key)
        .collect();
    let first = matching.first()?.clone();
    if matching.len() > 1 {
        let keys: Vec<&str> = matching.iter().map(|e| e.key.as_str()).collect();
        notes.push(format!(
            "several legacy keys match ({}): nerdctl picks one of them at random (Go map order)",
            keys.join(", ")
        ));
    } else {
        notes.push(format!("matched the legacy key \"{}\"", first.key));
    }
    Some(first)
}

/// `DOCKER_AUTH_CONFIG`, read as docker/cli 29 reads it for nerdctl: exact keys only, before every store.
fn docker_auth_config(env: &Environ, notes: &mut Vec<String>) -> Option<Document> {
    let raw = env.get("DOCKER_AUTH_CONFIG")?;
    match Document::parse(raw.as_encoded_bytes(), &PathBuf::from("$DOCKER_AUTH_CONFIG")) {
        Ok(doc) => Some(doc),
        Err(e) => {
            notes.push(format!("DOCKER_AUTH_CONFIG is ignored: {e}"));
            None
        }
    }
}
