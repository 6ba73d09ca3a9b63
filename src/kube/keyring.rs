//! Which credentials the kubelet would try for one image of one pod, in its order, and why the rest of
//! what the pod names does not count.
//!
//! Pull secrets: the pod's `imagePullSecrets`, or, when it names none, its service account's (the
//! ServiceAccount admission controller copies them into the pod when it is created), from the pod's own
//! namespace. A missing secret, or one of another type, is skipped silently by the kubelet; a pull secret
//! whose data does not decode makes the kubelet fail to build its keyring, so every pull of the pod fails.
//! All pull secrets form one keyring (see [`super::matching`] for the order), then the node's
//! credentials form another, each with its own Docker Hub fallback.

use super::matching::{self, is_docker_hub_target, Key, Mismatch};
use super::objects::{Cluster, Secret, Workload};
use crate::resolve::{Credential, CredentialKind};
use regauth_core::config::{AuthEncoding, AuthEntry, Document};

#[path = "keyring_data.rs"]
mod data;
pub use data::{docker_entries, lossless_entries, secret_entries};
use regauth_core::reference::Reference;
use serde::Serialize;
use std::path::Path;

/// Where a pull secret name came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum NamedBy {
    Pod,
    ServiceAccount,
}

/// What became of a pull secret the pod names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum SecretState {
    /// Read; its keys are listed.
    Usable,
    /// Not in the pod's namespace (nor anywhere in the input).
    Missing,
    /// Not in the pod's namespace, but a secret of that name is in these.
    OtherNamespace { namespaces: Vec<String> },
    /// Not a docker pull-secret type: the kubelet skips it.
    WrongType {
        #[serde(rename = "type")]
        kind: String,
    },
    /// The right type without its data key (or empty): the kubelet skips it.
    NoData { key: String },
    /// Data that does not decode: the kubelet cannot build its keyring and fails every pull of the pod.
    Undecodable { reason: String },
    /// Not readable by this user (`--kube-live`): the API server refused the read; `right` names what is
    /// missing. Whether the kubelet gets a credential from it is unknown.
    Unreadable { right: String },
}

/// One key of a pull secret or of the node config, and whether it serves the image.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyCheck {
    pub key: String,
    /// The key as the kubelet's keyring holds it (None: ignored, not a URL).
    pub normalized: Option<String>,
    pub matches: bool,
    /// Why it does not serve the image.
    pub why_not: Option<String>,
    pub username: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PullSecretCheck {
    pub name: String,
    pub named_by: NamedBy,
    #[serde(flatten)]
    pub state: SecretState,
    pub keys: Vec<KeyCheck>,
}

/// Where a candidate credential comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "camelCase")]
pub enum CandidateSource {
    /// A pull secret: `namespace/name`.
    Secret { namespace: String, name: String },
    /// The node's docker config (`--node-config`).
    Node { file: String },
}

/// One credential the kubelet would try, in order.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub source: CandidateSource,
    pub key: String,
    pub username: String,
    pub credential: Credential,
    /// Served through the Docker Hub fallback key `index.docker.io`.
    pub fallback: bool,
}

/// The kubelet's view of one image of one pod.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `registry/repository` as matched.
    pub target: String,
    pub pull_secrets: Vec<PullSecretCheck>,
    /// The service account's secrets were used because the pod names none.
    pub from_service_account: bool,
    /// The service account is not in the input, so its secrets are unknown.
    pub service_account_unknown: bool,
    pub node: Vec<KeyCheck>,
    pub candidates: Vec<Candidate>,
    /// A pull secret that stops every pull: `(namespace/name, reason)`.
    pub keyring_error: Option<(String, String)>,
}

/// A docker config read for the kubelet: the `auths` of a config.json (or a bare .dockercfg map).
pub struct NodeConfig {
    pub file: String,
    pub entries: Vec<AuthEntry>,
}

impl NodeConfig {
    /// Its `auth` fields decoded as the kubelet decodes them; like the kubelet, a file with one it cannot
    /// decode gives no entry at all.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<NodeConfig, regauth_core::config::ConfigError> {
        let doc = Document::parse(bytes, path)?;
        let entries = doc.auths(AuthEncoding::Kubelet);
        if let Some(bad) = entries.iter().find(|e| e.problem.is_some()) {
            return Err(regauth_core::config::ConfigError::Invalid(format!(
                "{}: the entry {:?}: {}; the kubelet reads no entry of such a file",
                path.display(),
                bad.key,
                bad.problem.expect("found by its problem")
            )));
        }
        Ok(NodeConfig { file: path.display().to_string(), entries })
    }
}

fn credential_of(entry: &AuthEntry) -> Credential {
    // The kubelet passes username and password only (an `auth` field decoded into them).
    Credential {
        username: entry.username.clone().unwrap_or_default(),
        secret: entry.password.clone().unwrap_or_else(|| regauth_core::secret::Secret::new("")),
        kind: CredentialKind::Password,
    }
}

/// `registry/repository` for `reference`, as the kubelet matches it.
pub fn target(reference: &Reference) -> String {
    format!("{}/{}", reference.registry, reference.repository)
}

/// Match `entries` against `target`: the checks and the matching `(Key, entry index)` in keyring order,
/// with the Docker Hub fallback when nothing matched.
fn keyring(entries: &[(&AuthEntry, usize)], target: &str) -> (Vec<KeyCheck>, Vec<(Key, usize, bool)>) {
    let mut checks = Vec::new();
    let mut matched = Vec::new();
    let mut fallback = Vec::new();
    for (entry, owner) in entries {
        let key = Key::parse(&entry.key);
        let result = key.as_ref().map_or(Err(Mismatch::Invalid), |k| k.serves(target));
        if let (Some(k), Ok(())) = (&key, result) {
            matched.push((k.clone(), *owner, false));
        } else if let Some(k) = key.as_ref().filter(|k| k.is_docker_hub_fallback()) {
            fallback.push((k.clone(), *owner, true));
        }
        checks.push(KeyCheck {
            key: entry.key.clone(),
            normalized: key.as_ref().map(|k| k.normalized.clone()),
            matches: result.is_ok(),
            why_not: result.err().map(|m| m.explain().to_owned()),
            username: entry.username.clone(),
        });
    }
    // Stable: within one key, credentials keep the order they were added in.
    matched.sort_by(|a, b| matching::order(&a.0, &b.0));
    if matched.is_empty() && is_docker_hub_target(target) && !fallback.is_empty() {
        for check in checks.iter_mut() {
            if check.normalized.as_deref() == Some(matching::DOCKER_HUB_FALLBACK) {
                check.matches = true;
                check.why_not = None;
            }
        }
        matched = fallback;
    }
    (checks, matched)
}

/// The kubelet's plan for `reference` in `workload`.
pub fn plan(
    cluster: &Cluster,
    workload: &Workload,
    reference: &Reference,
    node: Option<&NodeConfig>,
) -> Plan {
    let target = target(reference);
    let ns = &workload.namespace;
    let mut names: Vec<(String, NamedBy)> =
        workload.image_pull_secrets.iter().map(|n| (n.clone(), NamedBy::Pod)).collect();
    let mut from_service_account = false;
    let mut service_account_unknown = false;
    if names.is_empty() {
        match cluster.service_account(ns, &workload.service_account) {
            Some(sa) => {
                from_service_account = !sa.image_pull_secrets.is_empty();
                names.extend(sa.image_pull_secrets.iter().map(|n| (n.clone(), NamedBy::ServiceAccount)));
            }
            None => service_account_unknown = true,
        }
    }
    let mut seen = std::collections::HashSet::new();
    names.retain(|(n, _)| seen.insert(n.clone()));

    let mut checks = Vec::new();
    let mut usable: Vec<(&Secret, Vec<AuthEntry>)> = Vec::new();
    let mut keyring_error = None;
    for (name, named_by) in names {
        let state = match cluster.secret(ns, &name) {
            None if cluster.denied("secrets", ns, &name).is_some() => SecretState::Unreadable {
                right: cluster.denied("secrets", ns, &name).map(|d| d.right()).unwrap_or_default(),
            },
            None => {
                let namespaces: Vec<String> = cluster
                    .secrets_named(&name)
                    .filter(|s| s.is_pull_secret_type())
                    .map(|s| s.namespace.clone())
                    .collect();
                if namespaces.is_empty() {
                    SecretState::Missing
                } else {
                    SecretState::OtherNamespace { namespaces }
                }
            }
            Some(secret) => match secret_entries(secret) {
                Ok(entries) => {
                    usable.push((secret, entries));
                    SecretState::Usable
                }
                Err(state) => {
                    if let SecretState::Undecodable { reason } = &state {
                        keyring_error.get_or_insert((format!("{ns}/{name}"), reason.clone()));
                    }
                    state
                }
            },
        };
        checks.push(PullSecretCheck { name, named_by, state, keys: Vec::new() });
    }

    let mut candidates = Vec::new();
    // One keyring of every usable pull secret.
    let flat: Vec<(&AuthEntry, usize)> =
        usable.iter().enumerate().flat_map(|(i, (_, entries))| entries.iter().map(move |e| (e, i))).collect();
    let (key_checks, matched) = keyring(&flat, &target);
    let mut at = 0;
    for (secret, entries) in &usable {
        if let Some(check) =
            checks.iter_mut().find(|c| c.name == secret.name && c.state == SecretState::Usable)
        {
            check.keys = key_checks[at..at + entries.len()].to_vec();
        }
        at += entries.len();
    }
    for (key, owner, fallback) in matched {
        let (secret, entries) = &usable[owner];
        for entry in entries.iter().filter(|e| Key::parse(&e.key).as_ref() == Some(&key)) {
            let candidate = Candidate {
                source: CandidateSource::Secret {
                    namespace: secret.namespace.clone(),
                    name: secret.name.clone(),
                },
                key: entry.key.clone(),
                username: entry.username.clone().unwrap_or_default(),
                credential: credential_of(entry),
                fallback,
            };
            if !candidates.iter().any(|c: &Candidate| same(c, &candidate)) {
                candidates.push(candidate);
            }
        }
    }
    let mut node_checks = Vec::new();
    if let Some(node) = node {
        let flat: Vec<(&AuthEntry, usize)> = node.entries.iter().enumerate().map(|(i, e)| (e, i)).collect();
        let (checks, matched) = keyring(&flat, &target);
        node_checks = checks;
        for (_, index, fallback) in matched {
            let entry = &node.entries[index];
            candidates.push(Candidate {
                source: CandidateSource::Node { file: node.file.clone() },
                key: entry.key.clone(),
                username: entry.username.clone().unwrap_or_default(),
                credential: credential_of(entry),
                fallback,
            });
        }
    }
    Plan {
        target,
        pull_secrets: checks,
        from_service_account,
        service_account_unknown,
        node: node_checks,
        candidates,
        keyring_error,
    }
}

/// The same secret entry reached twice (two keys of one secret that normalise alike are kept).
fn same(a: &Candidate, b: &Candidate) -> bool {
    a.source == b.source && a.key == b.key
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kube::objects::parse_into;
    use base64::Engine;

    fn secret(ns: &str, name: &str, kind: &str, config: &str) -> String {
        let data = base64::engine::general_purpose::STANDARD.encode(config);
        let key = if kind == super::super::objects::DOCKERCFG { ".dockercfg" } else { ".dockerconfigjson" };
        format!(
            r#"{{"kind":"Secret","metadata":{{"name":"{name}","namespace":"{ns}"}},"type":"{kind}","data":{{"{key}":"{data}"}}}}"#
        )
    }

    fn auth(key: &str, user: &str) -> String {
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:pw-{user}"));
        format!(r#""{key}":{{"auth":"{auth}"}}"#)
    }

    fn cluster(objects: &[String]) -> Cluster {
        let mut c = Cluster::default();
        parse_into(format!(r#"{{"kind":"List","items":[{}]}}"#, objects.join(",")).as_bytes(), "t", &mut c)
            .unwrap();
        c
    }

    fn pod(secrets: &[&str], sa: &str) -> String {
        let refs: Vec<String> = secrets.iter().map(|s| format!(r#"{{"name":"{s}"}}"#)).collect();
        format!(
            r#"{{"kind":"Pod","metadata":{{"name":"p","namespace":"app"}},"spec":{{"serviceAccountName":"{sa}",
            "imagePullSecrets":[{}],"containers":[{{"name":"c","image":"registry.example.com/team/app:1"}}]}}}}"#,
            refs.join(",")
        )
    }

    fn plan_of(c: &Cluster) -> Plan {
        let r = Reference::parse(&c.workloads[0].containers[0].image).unwrap();
        plan(c, &c.workloads[0], &r, None)
    }

    #[test]
    fn order_across_secrets_follows_the_keys() {
        let dcj = super::super::objects::DOCKER_CONFIG_JSON;
        let c = cluster(&[
            pod(&["wide", "narrow", "absent", "elsewhere"], "default"),
            secret("app", "wide", dcj, &format!(r#"{{"auths":{{{}}}}}"#, auth("*.example.com", "w"))),
            secret(
                "app",
                "narrow",
                dcj,
                &format!(
                    r#"{{"auths":{{{},{}}}}}"#,
                    auth("registry.example.com/team", "n"),
                    auth("other.io", "o")
                ),
            ),
            secret("ops", "elsewhere", dcj, "{}"),
        ]);
        let p = plan_of(&c);
        let users: Vec<&str> = p.candidates.iter().map(|c| c.username.as_str()).collect();
        assert_eq!(users, ["n", "w"]);
        assert_eq!(p.pull_secrets[2].state, SecretState::Missing);
        assert_eq!(p.pull_secrets[3].state, SecretState::OtherNamespace { namespaces: vec!["ops".into()] });
        let other = &p.pull_secrets[1].keys[1];
        assert!(!other.matches && other.why_not.is_some());
    }

    #[test]
    fn service_account_secrets_only_when_the_pod_names_none() {
        let dcj = super::super::objects::DOCKER_CONFIG_JSON;
        let sa = r#"{"kind":"ServiceAccount","metadata":{"name":"builder","namespace":"app"},"imagePullSecrets":[{"name":"sa-secret"}]}"#;
        let s = secret(
            "app",
            "sa-secret",
            dcj,
            &format!(r#"{{"auths":{{{}}}}}"#, auth("registry.example.com", "s")),
        );
        let p = plan_of(&cluster(&[pod(&[], "builder"), sa.into(), s.clone()]));
        assert!(p.from_service_account);
        assert_eq!(p.candidates.len(), 1);
        let p = plan_of(&cluster(&[pod(&["x"], "builder"), sa.into(), s]));
        assert!(p.candidates.is_empty());
    }

    #[test]
    fn wrong_type_and_undecodable() {
        let c = cluster(&[
            pod(&["opaque", "broken", "legacy"], "default"),
            secret("app", "opaque", "Opaque", "{}"),
            secret("app", "broken", super::super::objects::DOCKER_CONFIG_JSON, "{not json"),
            secret(
                "app",
                "legacy",
                super::super::objects::DOCKERCFG,
                &format!("{{{}}}", auth("registry.example.com", "l")),
            ),
        ]);
        let p = plan_of(&c);
        assert_eq!(p.pull_secrets[0].state, SecretState::WrongType { kind: "Opaque".into() });
        assert!(matches!(p.pull_secrets[1].state, SecretState::Undecodable { .. }));
        assert_eq!(p.keyring_error.as_ref().unwrap().0, "app/broken");
        assert_eq!(p.candidates[0].username, "l");
    }

    /// The kubelet reads a padding-less `auth` (RawStdEncoding when no `=` ends it), refuses one with white
    /// space after its padding or without `:`, and then no secret of the pod is used.
    #[test]
    fn auth_is_decoded_as_the_kubelet_decodes_it() {
        let dcj = super::super::objects::DOCKER_CONFIG_JSON;
        let encoded = base64::engine::general_purpose::STANDARD.encode("np:pw-np");
        assert!(encoded.ends_with('='), "the case needs padding");
        let with = |auth: &str| format!(r#"{{"auths":{{"registry.example.com":{{"auth":"{auth}"}}}}}}"#);
        let p = plan_of(&cluster(&[
            pod(&["s"], "default"),
            secret("app", "s", dcj, &with(encoded.trim_end_matches('='))),
        ]));
        assert_eq!(p.candidates.len(), 1, "{:?}", p.pull_secrets[0].state);
        assert_eq!(p.candidates[0].username, "np");
        assert!(p.keyring_error.is_none());
        let no_colon = base64::engine::general_purpose::STANDARD.encode("np-pw");
        for (auth, needle) in [(format!("{encoded} "), "white space"), (no_colon, "no \":\"")] {
            let p = plan_of(&cluster(&[pod(&["s"], "default"), secret("app", "s", dcj, &with(&auth))]));
            let (_, reason) = p.keyring_error.as_ref().expect("the kubelet cannot build its keyring");
            assert!(reason.contains(needle) && reason.contains("the kubelet"), "{reason}");
            assert!(!reason.contains(&auth) && !reason.contains("pw-np"), "{reason}");
        }
    }

    #[test]
    fn docker_hub_fallback_only_when_nothing_matched() {
        let dcj = super::super::objects::DOCKER_CONFIG_JSON;
        let hub = |keys: &[(&str, &str)]| {
            let entries: Vec<String> = keys.iter().map(|(k, u)| auth(k, u)).collect();
            format!(r#"{{"auths":{{{}}}}}"#, entries.join(","))
        };
        let hub_pod = r#"{"kind":"Pod","metadata":{"name":"p","namespace":"app"},"spec":{"imagePullSecrets":[{"name":"h"}],"containers":[{"name":"c","image":"me/app"}]}}"#;
        let c = cluster(&[
            hub_pod.into(),
            secret("app", "h", dcj, &hub(&[("https://index.docker.io/v1/", "legacy")])),
        ]);
        let p = plan_of(&c);
        assert_eq!(p.candidates.len(), 1);
        assert!(p.candidates[0].fallback);
        let c = cluster(&[
            hub_pod.into(),
            secret("app", "h", dcj, &hub(&[("https://index.docker.io/v1/", "legacy"), ("docker.io", "new")])),
        ]);
        let users: Vec<String> = plan_of(&c).candidates.iter().map(|c| c.username.clone()).collect();
        assert_eq!(users, ["new"]);
    }
}
