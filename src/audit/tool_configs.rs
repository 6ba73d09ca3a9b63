//! Credential stores of other tools, read into `auths`-style entries for `audit::sources`: regctl's config
//! (`hosts.NAME.user`/`pass`/`token`, plaintext by design; `credHelper` names a whole program) and
//! containerd's config.toml (`[plugins."<cri plugin>".registry.configs."HOST".auth]`: `username`,
//! `password`, `auth`, `identitytoken`). helm's registry config is docker's format and read as one.

use regauth_core::config::auth_field::{decode, Decoded};
use regauth_core::config::{AuthEncoding, AuthEntry, AuthProblem, Document};
use regauth_core::fsread;
use regauth_core::secret::Secret;
use serde_json::Value;
use std::path::Path;

/// An entry and why its reader cannot decode its `auth`, if it cannot.
pub(super) type ReadEntry = (AuthEntry, Option<AuthProblem>);

fn text(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// regctl's hosts as entries, and the helpers they name (`docker-credential-` dropped, as in config.json).
pub(super) fn regctl_entries(doc: &Document) -> (Vec<AuthEntry>, Vec<(String, String)>) {
    let mut entries = Vec::new();
    let mut helpers = Vec::new();
    let Some(Value::Object(hosts)) = doc.field("hosts") else { return (entries, helpers) };
    for (name, host) in hosts {
        if let Some(helper) = text(host.get("credHelper")) {
            helpers.push((name.clone(), helper.trim_start_matches("docker-credential-").to_owned()));
        }
        entries.push(AuthEntry {
            key: name.clone(),
            username: text(host.get("user")),
            password: text(host.get("pass")).map(Secret::new),
            identity_token: text(host.get("token")).map(Secret::new),
            registry_token: None,
            problem: None,
        });
    }
    (entries, helpers)
}

/// containerd's config.toml read through `fsread` (capped like every config); `Ok(None)` when missing.
/// Each entry comes with why containerd cannot read its `auth` (Go's `StdEncoding` and a `:`; an empty
/// username is taken), if it cannot; the entry itself holds what the field holds whoever reads it.
pub(super) fn containerd_entries(path: &Path) -> Result<Option<Vec<ReadEntry>>, String> {
    let contents = match fsread::read_regular(path, fsread::CONFIG_LIMIT) {
        Ok(contents) => contents,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let text =
        String::from_utf8(contents.bytes).map_err(|_| format!("{}: not UTF-8 text", path.display()))?;
    let root: toml::Table =
        text.parse().map_err(|e: toml::de::Error| format!("{}: {}", path.display(), e.message()))?;
    let mut entries = Vec::new();
    let Some(toml::Value::Table(plugins)) = root.get("plugins") else { return Ok(Some(entries)) };
    for plugin in plugins.values() {
        let configs = plugin.get("registry").and_then(|r| r.get("configs")).and_then(toml::Value::as_table);
        for (host, config) in configs.into_iter().flatten() {
            let Some(auth) = config.get("auth").and_then(toml::Value::as_table) else { continue };
            let field = |name: &str| auth.get(name).and_then(toml::Value::as_str).filter(|s| !s.is_empty());
            let mut entry = AuthEntry {
                key: host.clone(),
                username: field("username").map(str::to_owned),
                password: field("password").map(Secret::new),
                identity_token: field("identitytoken").map(Secret::new),
                registry_token: None,
                problem: None,
            };
            let mut unreadable = None;
            if let Some(encoded) = field("auth") {
                match decode(encoded, AuthEncoding::Lenient) {
                    Ok(Decoded::Pair(user, password)) => {
                        (entry.username, entry.password) = (Some(user), Some(password))
                    }
                    Ok(Decoded::Nothing) => {}
                    Err(problem) => entry.problem = Some(problem),
                }
                unreadable = decode(encoded, AuthEncoding::Containerd).err();
            }
            entries.push((entry, unreadable));
        }
    }
    Ok(Some(entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containerd_cri_auths_of_both_plugin_names() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            r#"version = 2
[plugins."io.containerd.grpc.v1.cri".registry.configs."ghcr.io".auth]
  username = "ci"
  password = "ghp_not_real"
[plugins."io.containerd.cri.v1.images".registry.configs."quay.io".auth]
  auth = "cXVheTpwdw=="
[plugins."io.containerd.grpc.v1.cri".registry.configs."tls.example".tls]
  insecure_skip_verify = true
"#,
        )
        .unwrap();
        let entries = containerd_entries(&path).unwrap().unwrap();
        let users: Vec<_> = entries.iter().map(|(e, _)| (e.key.as_str(), e.username.as_deref())).collect();
        assert_eq!(users, [("quay.io", Some("quay")), ("ghcr.io", Some("ci"))]);
        assert_eq!(containerd_entries(&dir.path().join("none.toml")), Ok(None));
    }

    #[test]
    fn regctl_hosts_and_their_helpers() {
        let doc = Document::parse(
            br#"{"hosts":{"ghcr.io":{"user":"u","pass":"p"},"quay.io":{"credHelper":"docker-credential-pass"}}}"#,
            Path::new("c.json"),
        )
        .unwrap();
        let (entries, helpers) = regctl_entries(&doc);
        assert_eq!(entries.len(), 2);
        assert!(entries[0].has_secret() && !entries[1].has_secret());
        assert_eq!(helpers, [("quay.io".to_owned(), "pass".to_owned())]);
    }
}
