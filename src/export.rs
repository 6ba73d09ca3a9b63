//! `regauth export`: the credential a client finds for each named image's registry (in `auths` or through
//! any credential helper), written in a form another tool reads: a Kubernetes pull secret, the docker
//! config.json that a `.dockerconfigjson` holds, or a containers auth.json. The documents are the only
//! place the secret goes; they are returned as [`Secret`] so that nothing prints them by accident.
//!
//! Checking each credential against the registry first (the pull probe, and push when asked) is the
//! CLI's job (src/cli/export.rs), with `diagnose::run`, so a document is written only for credentials
//! that work.

use crate::resolve::{Credential, CredentialKind};
use base64::Engine;
use regauth_core::reference::Reference;
use regauth_core::registry::RegistryHost;
use regauth_core::secret::Secret;
use serde_json::{json, Map, Value};

/// What to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A `kubernetes.io/dockerconfigjson` Secret manifest (JSON, which `kubectl apply -f` reads).
    Secret,
    /// The docker config.json a pull secret's `.dockerconfigjson` holds: `{"auths": {...}}`.
    DockerConfigJson,
    /// A containers auth.json (podman, buildah, skopeo, cri-o): `{"auths": {KEY: {"auth": ...}}}`.
    AuthJson,
    /// A docker config.json for kind's nodes (written to a file), and the kind cluster config that mounts
    /// it where each node's kubelet reads it ([`kind_config`], no secret in it).
    Kind,
}

/// One registry's credential, under the key the format's readers look up.
pub struct Entry {
    pub key: String,
    pub username: String,
    pub secret: Secret,
}

/// Where a Secret manifest goes.
pub struct SecretMeta {
    pub name: String,
    /// None: left out, so `kubectl apply` puts it in the context's namespace.
    pub namespace: Option<String>,
}

/// Why a credential cannot be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(
        "{registry}: the credential of user {username} is an identity (refresh) token or a registry \
         token, which a pull secret or auth.json cannot carry for the kubelet or CRI-O: store a \
         username with a password or access token for this registry"
    )]
    NotPassword { registry: String, username: String },
    #[error(
        "{registry}: two images of this registry name different credentials (users {first} and {second})"
    )]
    Conflict { registry: String, first: String, second: String },
}

/// The key `format`'s readers look a registry up by: docker's (`https://index.docker.io/v1/` for Docker
/// Hub, which kubectl writes and the kubelet reads as its Docker Hub key), or containers'
/// (`docker.io`).
pub fn key_for(reference: &Reference, format: Format) -> String {
    let host = RegistryHost::of_reference(reference);
    match format {
        Format::Secret | Format::DockerConfigJson | Format::Kind => host.docker_key(),
        Format::AuthJson if host.is_docker_hub() => "docker.io".into(),
        Format::AuthJson => host.as_str().to_owned(),
    }
}

/// Add `credential` for `reference`'s registry, once per key.
pub fn add(
    entries: &mut Vec<Entry>,
    reference: &Reference,
    credential: &Credential,
    format: Format,
) -> Result<(), ExportError> {
    let key = key_for(reference, format);
    if credential.kind != CredentialKind::Password {
        return Err(ExportError::NotPassword { registry: key, username: credential.username.clone() });
    }
    if let Some(existing) = entries.iter().find(|e| e.key == key) {
        if existing.username != credential.username || existing.secret != credential.secret {
            return Err(ExportError::Conflict {
                registry: key,
                first: existing.username.clone(),
                second: credential.username.clone(),
            });
        }
        return Ok(());
    }
    entries.push(Entry { key, username: credential.username.clone(), secret: credential.secret.clone() });
    Ok(())
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

fn auths(entries: &[Entry], format: Format) -> Value {
    let mut map = Map::new();
    for e in entries {
        let auth = b64(&format!("{}:{}", e.username, e.secret.expose()));
        let value = match format {
            // As `kubectl create secret docker-registry` writes them: both forms.
            Format::Secret | Format::DockerConfigJson | Format::Kind => {
                json!({"username": e.username, "password": e.secret.expose(), "auth": auth})
            }
            // As podman login writes it.
            Format::AuthJson => json!({"auth": auth}),
        };
        map.insert(e.key.clone(), value);
    }
    json!({ "auths": map })
}

/// The document, pretty JSON with a trailing newline. `meta` is needed for [`Format::Secret`] only.
pub fn render(entries: &[Entry], format: Format, meta: Option<&SecretMeta>) -> Secret {
    let config = auths(entries, format);
    let value = match (format, meta) {
        (Format::Secret, Some(meta)) => {
            let mut metadata = json!({ "name": meta.name });
            if let Some(ns) = &meta.namespace {
                metadata["namespace"] = json!(ns);
            }
            json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": metadata,
                "type": "kubernetes.io/dockerconfigjson",
                "data": { ".dockerconfigjson": b64(&config.to_string()) },
            })
        }
        _ => config,
    };
    let mut text = serde_json::to_string_pretty(&value).expect("strings and maps always serialise");
    text.push('\n');
    Secret::new(text)
}

/// Where a node's kubelet reads docker credentials: its root directory's config.json.
pub const KUBELET_CONFIG: &str = "/var/lib/kubelet/config.json";

/// A kind cluster config (`kind create cluster --config`) whose node mounts `config_json` (absolute) where
/// its kubelet reads registry credentials. Add the same `extraMounts` to any worker nodes.
pub fn kind_config(config_json: &std::path::Path) -> String {
    // JSON strings are YAML strings: any path is quoted safely.
    let host = serde_json::to_string(&config_json.to_string_lossy()).expect("a string serialises");
    [
        "# kind create cluster --config THIS-FILE: the node's kubelet pulls with the credentials in"
            .to_owned(),
        format!("# {host} (keep that file: kind mounts it when the node starts)."),
        "kind: Cluster".into(),
        "apiVersion: kind.x-k8s.io/v1alpha4".into(),
        "nodes:".into(),
        "- role: control-plane".into(),
        "  extraMounts:".into(),
        format!("  - containerPath: {KUBELET_CONFIG}"),
        format!("    hostPath: {host}"),
        "    readOnly: true".into(),
        String::new(),
    ]
    .join("\n")
}

/// Whether `name` is a valid Secret name or namespace: a DNS subdomain (a namespace: a DNS label).
pub fn valid_name(name: &str, label: bool) -> bool {
    let max = if label { 63 } else { 253 };
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.len() <= 63
            && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !p.starts_with('-')
            && !p.ends_with('-')
    };
    !name.is_empty() && name.len() <= max && if label { part_ok(name) } else { name.split('.').all(part_ok) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential(user: &str, secret: &str, kind: CredentialKind) -> Credential {
        Credential { username: user.into(), secret: Secret::new(secret), kind }
    }

    #[test]
    fn keys_per_format() {
        let hub = Reference::parse("nginx").unwrap();
        let own = Reference::parse("127.0.0.1:5000/team/app").unwrap();
        assert_eq!(key_for(&hub, Format::Secret), "https://index.docker.io/v1/");
        assert_eq!(key_for(&hub, Format::AuthJson), "docker.io");
        assert_eq!(key_for(&own, Format::DockerConfigJson), "127.0.0.1:5000");
        assert_eq!(key_for(&own, Format::AuthJson), "127.0.0.1:5000");
    }

    #[test]
    fn a_secret_manifest_holds_the_config_and_the_credential() {
        let mut entries = Vec::new();
        let r = Reference::parse("reg.example.com/team/app").unwrap();
        let c = credential("ci", "pw-123456", CredentialKind::Password);
        add(&mut entries, &r, &c, Format::Secret).unwrap();
        add(&mut entries, &Reference::parse("reg.example.com/other").unwrap(), &c, Format::Secret).unwrap();
        assert_eq!(entries.len(), 1);
        let meta = SecretMeta { name: "regcred".into(), namespace: Some("shop".into()) };
        let doc: Value =
            serde_json::from_str(render(&entries, Format::Secret, Some(&meta)).expose()).unwrap();
        assert_eq!(doc["type"], "kubernetes.io/dockerconfigjson");
        assert_eq!(doc["metadata"], json!({"name": "regcred", "namespace": "shop"}));
        let data = base64::engine::general_purpose::STANDARD
            .decode(doc["data"][".dockerconfigjson"].as_str().unwrap())
            .unwrap();
        let config: Value = serde_json::from_slice(&data).unwrap();
        assert_eq!(config["auths"]["reg.example.com"]["password"], "pw-123456");
        assert_eq!(config["auths"]["reg.example.com"]["auth"], b64("ci:pw-123456"));
    }

    #[test]
    fn tokens_and_conflicts_are_refused_without_the_secret() {
        let r = Reference::parse("reg.example.com/a").unwrap();
        let mut entries = Vec::new();
        let token = credential("<token>", "refresh-secret-1", CredentialKind::IdentityToken);
        let e = add(&mut entries, &r, &token, Format::Secret).unwrap_err().to_string();
        assert!(e.contains("identity") && !e.contains("refresh-secret-1"), "{e}");
        add(&mut entries, &r, &credential("a", "pw-a-123", CredentialKind::Password), Format::Secret)
            .unwrap();
        let e = add(&mut entries, &r, &credential("b", "pw-b-456", CredentialKind::Password), Format::Secret)
            .unwrap_err()
            .to_string();
        assert!(e.contains("users a and b") && !e.contains("pw-"), "{e}");
    }

    #[test]
    fn names() {
        assert!(valid_name("regcred", false) && valid_name("a.b-c", false) && valid_name("shop", true));
        for bad in ["", "Reg", "a_b", "-a", "a.", &"x".repeat(254)] {
            assert!(!valid_name(bad, false), "{bad}");
        }
        assert!(!valid_name("a.b", true));
    }
}
