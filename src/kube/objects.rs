//! What `kubectl get pod,job,deployment,serviceaccount,secret -o json` prints, read into typed structs:
//! a `List` (or single objects, or several files), workloads with pod templates (Pod, Job, CronJob,
//! Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController), ServiceAccounts and Secrets.
//!
//! Every read is bounded: a file through `fsread` (regular file, no link followed in its last component)
//! and stdin alike are cut at [`INPUT_LIMIT`]. Objects of other kinds are counted and skipped; an object
//! whose known fields have the wrong JSON type is skipped with a note naming it, never a panic. Secret data
//! stays base64 text inside a [`Secret`] until it is decoded by whoever needs it.

#[path = "objects_raw.rs"]
mod raw;

use base64::Engine;
use raw::{Item, Object, RawAny, RawSecret, RawServiceAccount, RawWorkload};
use regauth_core::fsread::{self, FileError};
use regauth_core::sanitize::one_line;
use regauth_core::secret::Secret as SecretText;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest input read, per file and for stdin: 256 MiB. A dump of 100,000 pull secrets is about 60 MiB.
pub const INPUT_LIMIT: u64 = 256 * 1024 * 1024;

pub const DOCKER_CONFIG_JSON: &str = "kubernetes.io/dockerconfigjson";
pub const DOCKERCFG: &str = "kubernetes.io/dockercfg";

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("standard input: {0}")]
    Stdin(std::io::Error),
    #[error("standard input is larger than {} MiB", INPUT_LIMIT / (1024 * 1024))]
    StdinTooLarge,
    #[error("{place}: not Kubernetes JSON (line {line}, column {column}): {message}")]
    Json { place: String, line: usize, column: usize, message: String },
    #[error("{place}: the top level is not a Kubernetes object (no \"kind\")")]
    NotAnObject { place: String },
    #[error("standard input (-) can be given only once")]
    StdinTwice,
}

/// Which container list an image comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ContainerType {
    Container,
    InitContainer,
    EphemeralContainer,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Container {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ContainerType,
    pub image: String,
}

/// A workload's pod template (or a Pod's own spec).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Workload {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub containers: Vec<Container>,
    pub image_pull_secrets: Vec<String>,
    /// `spec.serviceAccountName` (or the deprecated `serviceAccount`), `default` when neither.
    pub service_account: String,
}

#[derive(Debug, Clone)]
pub struct ServiceAccount {
    pub namespace: String,
    pub name: String,
    pub image_pull_secrets: Vec<String>,
}

/// A Secret; its values are never shown.
#[derive(Debug)]
pub struct Secret {
    pub namespace: String,
    pub name: String,
    /// `type`; `Opaque` when absent, as the API server defaults it.
    pub kind: String,
    /// `data` (base64 text) with `stringData` folded in (already plain), key by key.
    pub data: SecretData,
}

/// A Secret's values by key, sorted (a pull secret holds one: a vector, not a tree node per secret).
#[derive(Debug, Default)]
pub struct SecretData(Vec<(String, Value)>);

impl SecretData {
    pub fn get(&self, key: &str) -> Option<&Value> {
        let i = self.0.binary_search_by(|(k, _)| k.as_str().cmp(key)).ok()?;
        Some(&self.0[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
}

/// From a map's sorted pairs (a later equal key replaces an earlier one, as a map's insert does).
impl FromIterator<(String, Value)> for SecretData {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(pairs: I) -> SecretData {
        let map: BTreeMap<String, Value> = pairs.into_iter().collect();
        SecretData(map.into_iter().collect())
    }
}

impl std::ops::Index<&str> for SecretData {
    type Output = Value;
    fn index(&self, key: &str) -> &Value {
        self.get(key).expect("a key the secret has")
    }
}

/// A Secret's value: base64 text from `data`, or plain text from `stringData`.
#[derive(Debug)]
pub enum Value {
    Base64(SecretText),
    Plain(SecretText),
}

impl Value {
    /// The bytes, or `None` when the base64 does not decode (the message never holds the value).
    pub fn decode(&self) -> Option<zeroize::Zeroizing<Vec<u8>>> {
        match self {
            Value::Plain(text) => Some(zeroize::Zeroizing::new(text.expose().as_bytes().to_vec())),
            Value::Base64(text) => base64::engine::general_purpose::STANDARD
                .decode(text.expose().trim())
                .ok()
                .map(zeroize::Zeroizing::new),
        }
    }
}

impl Secret {
    /// A docker pull-secret type.
    pub fn is_pull_secret_type(&self) -> bool {
        self.kind == DOCKER_CONFIG_JSON || self.kind == DOCKERCFG
    }

    /// The data key its type reads: `.dockerconfigjson` or `.dockercfg`.
    pub fn docker_key(&self) -> Option<&'static str> {
        match self.kind.as_str() {
            DOCKER_CONFIG_JSON => Some(".dockerconfigjson"),
            DOCKERCFG => Some(".dockercfg"),
            _ => None,
        }
    }

    /// A secret of another type that holds docker config data: named as a pull secret, it is skipped.
    pub fn holds_docker_data(&self) -> bool {
        self.data.contains_key(".dockerconfigjson") || self.data.contains_key(".dockercfg")
    }
}

/// Everything read from the inputs.
#[derive(Debug, Default)]
pub struct Cluster {
    pub workloads: Vec<Workload>,
    pub service_accounts: Vec<ServiceAccount>,
    pub secrets: Vec<Secret>,
    /// Objects of kinds that hold no pod template, service account or secret.
    pub other_objects: usize,
    /// Objects that could not be read, each named.
    pub skipped: Vec<String>,
    /// The inputs read, in order (`-` for stdin; for `--kube-live`, each kubectl command).
    pub inputs: Vec<String>,
    /// Reads the API server refused this user (`--kube-live` only): what stays unknown, and the right
    /// that would show it.
    pub denied: Vec<super::live::Denied>,
    /// Lookups by (namespace, name) and by name, built on first use: a dump holds 100,000 secrets.
    index: std::sync::OnceLock<Index>,
}

#[derive(Debug, Default)]
struct Index {
    secrets: HashMap<(String, String), usize>,
    secrets_by_name: HashMap<String, Vec<usize>>,
    service_accounts: HashMap<(String, String), usize>,
}

impl Cluster {
    fn index(&self) -> &Index {
        self.index.get_or_init(|| {
            let mut index = Index::default();
            for (i, s) in self.secrets.iter().enumerate() {
                // The first of two objects with one name wins, as the first `kubectl get` line would.
                index.secrets.entry((s.namespace.clone(), s.name.clone())).or_insert(i);
                index.secrets_by_name.entry(s.name.clone()).or_default().push(i);
            }
            for (i, sa) in self.service_accounts.iter().enumerate() {
                index.service_accounts.entry((sa.namespace.clone(), sa.name.clone())).or_insert(i);
            }
            index
        })
    }

    pub fn secret(&self, namespace: &str, name: &str) -> Option<&Secret> {
        let i = self.index().secrets.get(&(namespace.to_owned(), name.to_owned()))?;
        self.secrets.get(*i)
    }

    /// Every secret of this name, in any namespace.
    pub fn secrets_named<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a Secret> + 'a {
        let found = self.index().secrets_by_name.get(name).map(Vec::as_slice).unwrap_or_default();
        found.iter().filter_map(|i| self.secrets.get(*i))
    }

    /// The refused read that hides `name` of `resource` in `namespace`, if one does.
    pub fn denied(&self, resource: &str, namespace: &str, name: &str) -> Option<&super::live::Denied> {
        self.denied.iter().find(|d| d.hides(resource, namespace, name))
    }

    pub fn service_account(&self, namespace: &str, name: &str) -> Option<&ServiceAccount> {
        let i = self.index().service_accounts.get(&(namespace.to_owned(), name.to_owned()))?;
        self.service_accounts.get(*i)
    }
}

/// Read every input (`-` is stdin, at most once) into one [`Cluster`].
pub fn read_inputs(inputs: &[PathBuf]) -> Result<Cluster, InputError> {
    let mut cluster = Cluster::default();
    let mut stdin_read = false;
    for input in inputs {
        let (place, bytes) = if input.as_os_str() == "-" {
            if stdin_read {
                return Err(InputError::StdinTwice);
            }
            stdin_read = true;
            ("-".to_owned(), read_stdin()?)
        } else {
            (input.display().to_string(), read_file(input)?)
        };
        parse_into(&bytes, &place, &mut cluster)?;
        cluster.inputs.push(place);
    }
    Ok(cluster)
}

fn read_file(path: &Path) -> Result<Vec<u8>, InputError> {
    Ok(fsread::read_regular(path, INPUT_LIMIT)?.bytes)
}

fn read_stdin() -> Result<Vec<u8>, InputError> {
    let mut bytes = Vec::new();
    std::io::stdin().lock().take(INPUT_LIMIT + 1).read_to_end(&mut bytes).map_err(InputError::Stdin)?;
    if bytes.len() as u64 > INPUT_LIMIT {
        return Err(InputError::StdinTooLarge);
    }
    Ok(bytes)
}

/// Parse one input (a `List`, one object, or several objects one after another as `kubectl get -o json`
/// of single names prints them) into `cluster`. Well-formed input is read straight into typed structs;
/// input with an object of the wrong shape is read again through `serde_json::Value`, object by object,
/// so that only that object is skipped (and named).
pub fn parse_into(bytes: &[u8], place: &str, cluster: &mut Cluster) -> Result<(), InputError> {
    // Lookups made before this input (`--kube-live` reads secrets after looking at service accounts)
    // must see what it adds.
    cluster.index = std::sync::OnceLock::new();
    let typed: Result<Vec<RawAny>, _> =
        serde_json::Deserializer::from_slice(bytes).into_iter::<RawAny>().collect();
    if let Ok(objects) = typed {
        if !objects.is_empty() && objects.iter().all(|o| o.kind.is_some()) {
            for object in objects {
                let kind = object.kind.clone().unwrap_or_default();
                add_typed(raw::convert(object, kind), place, cluster, 0);
            }
            return Ok(());
        }
    }
    parse_lenient(bytes, place, cluster)
}

fn add_typed(object: Object, place: &str, cluster: &mut Cluster, depth: usize) {
    match object {
        Object::List { kind, items } => {
            let Some(items) = items else {
                cluster.skipped.push(format!("{place}: a {} without an \"items\" array", one_line(&kind)));
                return;
            };
            if depth >= MAX_LIST_DEPTH {
                cluster.skipped.push(format!("{place}: Lists nested deeper than {MAX_LIST_DEPTH}"));
                return;
            }
            let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty()).unwrap_or_default();
            for item in items {
                let object = match item {
                    Item::Object(object) => object,
                    Item::Untyped(raw) => raw::convert(*raw, item_kind.to_owned()),
                };
                add_typed(object, place, cluster, depth + 1);
            }
        }
        Object::Secret(secret) => cluster.secrets.push(secret),
        Object::ServiceAccount(sa) => cluster.service_accounts.push(sa),
        Object::Workload(workload) => cluster.workloads.extend(workload),
        Object::Other => cluster.other_objects += 1,
    }
}

fn parse_lenient(bytes: &[u8], place: &str, cluster: &mut Cluster) -> Result<(), InputError> {
    let mut stream = serde_json::Deserializer::from_slice(bytes).into_iter::<serde_json::Value>();
    let mut any = false;
    loop {
        match stream.next() {
            None => break,
            Some(Ok(value)) => {
                if value.get("kind").and_then(serde_json::Value::as_str).is_none() {
                    return Err(InputError::NotAnObject { place: place.to_owned() });
                }
                any = true;
                add_object(&value, place, cluster, 0);
            }
            Some(Err(e)) => {
                return Err(InputError::Json {
                    place: place.to_owned(),
                    line: e.line(),
                    column: e.column(),
                    message: strip_position(&e.to_string()),
                })
            }
        }
    }
    if !any {
        return Err(InputError::NotAnObject { place: place.to_owned() });
    }
    Ok(())
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Lists may nest (a List of Lists); deeper than this is refused as hostile.
const MAX_LIST_DEPTH: usize = 4;

fn add_object(value: &serde_json::Value, place: &str, cluster: &mut Cluster, depth: usize) {
    let kind = value.get("kind").and_then(serde_json::Value::as_str).unwrap_or("");
    let name = || describe(value, kind);
    if kind == "List" || kind.ends_with("List") {
        let Some(items) = value.get("items").and_then(serde_json::Value::as_array) else {
            cluster.skipped.push(format!("{place}: a {} without an \"items\" array", one_line(kind)));
            return;
        };
        if depth >= MAX_LIST_DEPTH {
            cluster.skipped.push(format!("{place}: Lists nested deeper than {MAX_LIST_DEPTH}"));
            return;
        }
        // `kubectl get pods -o json` prints a PodList whose items may omit their own kind.
        let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty());
        for item in items {
            if item.get("kind").is_none() {
                if let (Some(k), Some(map)) = (item_kind, item.as_object()) {
                    let mut owned = map.clone();
                    owned.insert("kind".into(), serde_json::Value::String(k.to_owned()));
                    add_object(&serde_json::Value::Object(owned), place, cluster, depth + 1);
                    continue;
                }
            }
            add_object(item, place, cluster, depth + 1);
        }
        return;
    }
    let result = match kind {
        "Secret" => RawSecret::deserialize(value).map(|raw| cluster.secrets.push(raw.into_secret())),
        "ServiceAccount" => RawServiceAccount::deserialize(value)
            .map(|raw| cluster.service_accounts.push(raw.into_service_account())),
        kind if raw::is_workload(kind) => RawWorkload::deserialize(value).map(|raw| {
            if let Some(w) = raw.into_workload(kind) {
                cluster.workloads.push(w)
            }
        }),
        _ => {
            cluster.other_objects += 1;
            Ok(())
        }
    };
    if let Err(e) = result {
        cluster.skipped.push(format!("{place}: {}: {}", name(), one_line(&strip_position(&e.to_string()))));
    }
}

fn describe(value: &serde_json::Value, kind: &str) -> String {
    let meta = value.get("metadata");
    let field = |f: &str| meta.and_then(|m| m.get(f)).and_then(serde_json::Value::as_str).unwrap_or("");
    let ns = field("namespace");
    let ns = if ns.is_empty() { "default" } else { ns };
    one_line(&format!("{kind} {ns}/{}", field("name")))
}

#[cfg(test)]
#[path = "objects_tests.rs"]
mod tests;
