//! Where a login is stored: the helper the config names, the best store here, or (asked for) plaintext.
//! Warnings about the write (a helper that shadows a plaintext entry, another user's credential replaced)
//! are handed to the caller before the write they are about.

use crate::placement::{self, Change, IDENTITY_TOKEN_USERNAME};
use regauth_core::config::Document;
use regauth_core::config::{self, AuthEncoding};
use regauth_core::environ::Environ;
use regauth_core::protocol::HelperClient;
use regauth_core::protocol::HelperError;
use regauth_core::registry::RegistryHost;
use regauth_core::sanitize::one_line;
use regauth_core::secret::Secret;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

/// Where the credential went.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredInfo {
    /// `helper` or `file`.
    pub place: &'static str,
    pub helper: Option<String>,
    pub program: Option<String>,
    pub chosen_because: Option<String>,
    pub server_urls: Vec<String>,
    /// `<token>` for an identity token.
    pub username: String,
    pub file: PathBuf,
    pub changes: Vec<Change>,
}

/// The file a login writes: docker's config.json, or containers' auth.json as podman login writes it.
#[derive(Debug, Clone)]
pub struct Target {
    pub path: PathBuf,
    /// containers' auth.json: the bare host as key, `credsStore` not read.
    pub containers: bool,
}

impl Target {
    /// The `auths` key of `host` in this file.
    fn key(&self, host: &RegistryHost) -> String {
        if self.containers {
            host.as_str().to_owned()
        } else {
            host.docker_key()
        }
    }

    fn encoding(&self) -> AuthEncoding {
        if self.containers {
            AuthEncoding::Containers
        } else {
            AuthEncoding::Docker
        }
    }
}

/// Another user's credential for `key` in `holder`, about to be replaced by `username`'s.
fn replacing(holder: &str, key: &str, old: &str, username: &str) -> Option<String> {
    let token = IDENTITY_TOKEN_USERNAME;
    (old != username && old != token && username != token && !old.is_empty()).then(|| {
        format!(
            "{holder} holds {}'s credential for {}: it is replaced by {}'s",
            one_line(old),
            one_line(key),
            one_line(username)
        )
    })
}

/// `--plaintext`: auths in the file, as docker's file store (or podman) writes it. Said first: a helper
/// the file names for the registry, which clients ask instead (the entry would never be used), and
/// another user's entry being replaced.
#[allow(clippy::too_many_arguments)]
pub fn plaintext(
    lock_timeout: Duration,
    target: &Target,
    doc: &Document,
    host: &RegistryHost,
    username: &str,
    secret: &Secret,
    identity: Option<&Secret>,
    warn: &mut dyn FnMut(String),
) -> Result<StoredInfo, String> {
    let path = &target.path;
    let key = target.key(host);
    if let Some(c) = placement::configured_helper(doc, host, !target.containers) {
        warn(format!(
            "{} in {} names {} for {}: clients ask that helper, not auths, so this plaintext entry will \
             not be used (without --plaintext the credential goes to the helper)",
            one_line(&c.field),
            path.display(),
            one_line(&c.helper),
            host.as_str()
        ));
    }
    if let Some(old) = doc.auth(&key, target.encoding()).and_then(|a| a.username) {
        if let Some(w) = replacing(&path.display().to_string(), &key, &old, username) {
            warn(w);
        }
    }
    // containers/image reads an identity token only beside a password: there the password is kept.
    let identity = identity.filter(|_| !target.containers);
    config::update(path, lock_timeout, |doc| {
        match identity {
            Some(token) => doc.set_identity_token(&key, username, token),
            None => doc.set_auth(&key, username, secret),
        }
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    warn(format!(
        "the credential is stored unencrypted in {}: anyone who can read the file can use it \
         (`regauth migrate --registry {}` moves it into a credential store)",
        path.display(),
        host.as_str()
    ));
    Ok(StoredInfo {
        place: "file",
        helper: None,
        program: None,
        chosen_because: None,
        server_urls: vec![key],
        username: if identity.is_some() { IDENTITY_TOKEN_USERNAME.into() } else { username.into() },
        file: path.to_owned(),
        changes: Vec::new(),
    })
}

/// Through the helper the config names, else the best store here with `credHelpers` set for the registry.
/// Said first: another user's credential in the helper, which is replaced.
#[allow(clippy::too_many_arguments)]
pub fn in_helper(
    lock_timeout: Duration,
    helper_timeout: Duration,
    env: &Environ,
    target: &Target,
    doc: &Document,
    host: &RegistryHost,
    username: &str,
    secret: &Secret,
    warn: &mut dyn FnMut(String),
) -> Result<StoredInfo, String> {
    let path = &target.path;
    let urls = placement::server_urls(host);
    let configured = placement::configured_helper(doc, host, !target.containers);
    let (helper, because, choose) = match &configured {
        Some(c) => (c.helper.clone(), format!("{} names it in {}", c.field, path.display()), false),
        None => {
            let chosen = placement::best_store(env, helper_timeout).map_err(|why| {
                format!(
                    "no credential store answers on this machine ({why}); nothing was stored: install \
                     docker-credential-regauth-keyutils, or pass --plaintext"
                )
            })?;
            (
                chosen.helper,
                format!("no helper was configured for {}: {}", host.as_str(), chosen.reason),
                true,
            )
        }
    };
    let client = HelperClient::new(&helper, env.search_path(), helper_timeout);
    for url in &urls {
        match client.get(url) {
            Ok(found) => {
                if let Some(w) = replacing(&client.program(), url, &found.username, username) {
                    warn(w);
                    break;
                }
            }
            Err(HelperError::NotFound { .. }) => {}
            Err(_) => break, // store_verified asks again and reports it
        }
    }
    let stored = placement::store_verified(&client, &urls, username, secret, true)
        .map_err(|e| format!("nothing was stored: {e}"))?;
    let mut changes = Vec::new();
    if choose {
        match config::update(path, lock_timeout, |doc| Ok(placement::set_cred_helpers(doc, host, &helper))) {
            Ok(c) => changes = c,
            Err(e) => {
                let problems = stored.roll_back();
                let mut text = format!("{e}; the credential was taken out of {} again", client.program());
                for p in problems {
                    text.push_str("; ");
                    text.push_str(&p);
                }
                return Err(text);
            }
        }
    } else if configured.as_ref().is_some_and(|c| c.field == "credsStore") {
        warn(format!(
            "podman, skopeo and buildah ignore credsStore: `regauth helpers set {helper} --registry {}` \
             makes them ask {} too",
            host.as_str(),
            client.program()
        ));
    }
    if doc.auth(&target.key(host), target.encoding()).is_some_and(|a| a.has_secret()) {
        warn(format!(
            "{} still holds a plaintext credential for {} in auths: `regauth migrate --registry {}` moves it",
            path.display(),
            host.as_str(),
            host.as_str()
        ));
    }
    Ok(StoredInfo {
        place: "helper",
        program: Some(client.program()),
        helper: Some(helper),
        chosen_because: Some(because),
        server_urls: urls,
        username: username.to_owned(),
        file: path.to_owned(),
        changes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacing_another_users_credential_is_said_and_nothing_else() {
        let said = replacing("docker-credential-x", "ghcr.io", "alice", "bob").unwrap();
        assert_eq!(said, "docker-credential-x holds alice's credential for ghcr.io: it is replaced by bob's");
        assert_eq!(replacing("h", "k", "alice", "alice"), None, "the same user logs in again");
        assert_eq!(replacing("h", "k", "", "bob"), None);
        assert_eq!(replacing("h", "k", IDENTITY_TOKEN_USERNAME, "bob"), None, "whose token is unknown");
        assert_eq!(replacing("h", "k", "alice", IDENTITY_TOKEN_USERNAME), None);
    }

    #[test]
    fn the_key_is_dockers_or_the_bare_host() {
        let host = RegistryHost::parse("index.docker.io").unwrap();
        let docker = Target { path: "/c/config.json".into(), containers: false };
        let containers = Target { path: "/c/auth.json".into(), containers: true };
        assert_eq!(docker.key(&host), regauth_core::registry::DOCKER_HUB_KEY);
        assert_eq!(containers.key(&host), "docker.io");
    }

    #[test]
    fn a_plaintext_login_warns_of_a_helper_that_shadows_it_before_writing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, r#"{"credHelpers":{"r.example":"pass"}}"#).unwrap();
        let doc = config::load(&path, false).unwrap().unwrap();
        let target = Target { path: path.clone(), containers: false };
        let host = RegistryHost::parse("r.example").unwrap();
        let mut warnings = Vec::new();
        let stored = plaintext(
            Duration::from_secs(5),
            &target,
            &doc,
            &host,
            "me",
            &Secret::new("pw-Zq81"),
            None,
            &mut |w| warnings.push(w),
        )
        .unwrap();
        assert_eq!(stored.place, "file");
        assert!(warnings[0].contains("names pass for r.example"), "{warnings:?}");
        assert!(warnings.last().unwrap().contains("regauth migrate --registry r.example"), "{warnings:?}");
        assert!(warnings.iter().all(|w| !w.contains("pw-Zq81")));
    }
}
