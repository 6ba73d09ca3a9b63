//! Where a login is stored: the helper the config names, the best store here, or (asked for) plaintext.

use super::{Args, StoredInfo};
use crate::cli::Cli;
use crate::placement::{self, IDENTITY_TOKEN_USERNAME};
use regauth_core::config::{self, AuthEncoding};
use regauth_core::environ::Environ;
use regauth_core::protocol::HelperClient;
use regauth_core::registry::RegistryHost;
use regauth_core::secret::Secret;
use std::path::Path;

/// `--plaintext`: auths in config.json, as docker's file store writes it.
pub(super) fn plaintext(
    cli: &Cli,
    path: &Path,
    host: &RegistryHost,
    username: &str,
    secret: &Secret,
    identity: Option<&Secret>,
    warnings: &mut Vec<String>,
) -> Result<StoredInfo, String> {
    let key = host.docker_key();
    config::update(path, cli.lock_timeout, |doc| {
        match identity {
            Some(token) => doc.set_identity_token(&key, username, token),
            None => doc.set_auth(&key, username, secret),
        }
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    warnings.push(format!(
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
#[allow(clippy::too_many_arguments)]
pub(super) fn in_helper(
    cli: &Cli,
    args: &Args,
    env: &Environ,
    path: &Path,
    host: &RegistryHost,
    username: &str,
    secret: &Secret,
    warnings: &mut Vec<String>,
) -> Result<StoredInfo, String> {
    let doc = config::load(path, false).map_err(|e| e.to_string())?.unwrap_or_default();
    let urls = placement::server_urls(host);
    let configured = placement::configured_helper(&doc, host, true);
    let (helper, because, choose) = match &configured {
        Some(c) => (c.helper.clone(), format!("{} names it in {}", c.field, path.display()), false),
        None => {
            let chosen = placement::best_store(env, args.helper_timeout).map_err(|why| {
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
    let client = HelperClient::new(&helper, env.search_path(), args.helper_timeout);
    let stored = placement::store_verified(&client, &urls, username, secret, true)
        .map_err(|e| format!("nothing was stored: {e}"))?;
    let mut changes = Vec::new();
    if choose {
        match config::update(path, cli.lock_timeout, |doc| {
            Ok(placement::set_cred_helpers(doc, host, &helper))
        }) {
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
        warnings.push(format!(
            "podman, skopeo and buildah ignore credsStore: `regauth helpers set {helper} --registry {}` \
             makes them ask {} too",
            host.as_str(),
            client.program()
        ));
    }
    if doc.auth(&host.docker_key(), AuthEncoding::Docker).is_some_and(|a| a.has_secret()) {
        warnings.push(format!(
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
