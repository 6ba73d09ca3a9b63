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
#[path = "objects_secret.rs"]
mod secret;

use raw::{Item, Object, RawAny, RawSecret, RawServiceAccount, RawWorkload};
use regauth_core::fsread::{self, FileError};
use regauth_core::sanitize::one_line;
pub use secret::{
    docker_key, Secret, SecretData, SecretView, Value, ValueRef, DOCKERCFG, DOCKER_CONFIG_JSON,
};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The largest input read, per file and for stdin: 256 MiB. A dump of 100,000 pull secrets is about 60 MiB.
pub const INPUT_LIMIT: u64 = 256 * 1024 * 1024;

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
    for_each_input(inputs, |place, bytes| {
        parse_into(bytes, place, &mut cluster)?;
        cluster.inputs.push(place.to_owned());
        Ok(())
    })?;
    Ok(cluster)
}

/// Read the inputs one at a time (`-` is stdin, at most once) and give each, with its name, to `read`;
/// each is given back to the system (unmapped: [`fsread::Mapped`]) before the next is read.
pub fn for_each_input(
    inputs: &[PathBuf],
    mut read: impl FnMut(&str, &[u8]) -> Result<(), InputError>,
) -> Result<(), InputError> {
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
        read(&place, &bytes)?;
    }
    Ok(())
}

fn read_file(path: &Path) -> Result<fsread::Mapped, InputError> {
    Ok(fsread::read_regular_mapped(path, INPUT_LIMIT)?)
}

fn read_stdin() -> Result<fsread::Mapped, InputError> {
    fsread::Mapped::read(std::io::stdin().lock(), 0, INPUT_LIMIT)
        .map_err(InputError::Stdin)?
        .ok_or(InputError::StdinTooLarge)
}

/// The objects of one or more inputs as read, secrets borrowing their strings from the input (see
/// [`SecretView`]): what [`parse_objects`] gives a reader that does not keep the input, as the audit.
#[derive(Debug, Default)]
pub struct Parsed<'a> {
    pub secrets: Vec<SecretView<'a>>,
    pub service_accounts: Vec<ServiceAccount>,
    pub workloads: Vec<Workload>,
    /// Objects of kinds that hold no pod template, service account or secret.
    pub other_objects: usize,
    /// Objects that could not be read, each named.
    pub skipped: Vec<String>,
}

/// Parse one input (a `List`, one object, or several objects one after another as `kubectl get -o json`
/// of single names prints them) into `cluster`. See [`parse_objects`].
pub fn parse_into(bytes: &[u8], place: &str, cluster: &mut Cluster) -> Result<(), InputError> {
    // Lookups made before this input (`--kube-live` reads secrets after looking at service accounts)
    // must see what it adds.
    cluster.index = std::sync::OnceLock::new();
    let mut parsed = Parsed::default();
    let result = parse_objects(bytes, place, &mut parsed);
    // What was read before an error counts, as it always has.
    cluster.secrets.extend(parsed.secrets.into_iter().map(SecretView::into_secret));
    cluster.service_accounts.extend(parsed.service_accounts);
    cluster.workloads.extend(parsed.workloads);
    cluster.other_objects += parsed.other_objects;
    cluster.skipped.extend(parsed.skipped);
    result
}

/// Parse one input into `parsed`. Well-formed input is read straight into typed structs, its secrets'
/// strings borrowed from `bytes`; input with an object of the wrong shape is read again through
/// `serde_json::Value`, object by object, so that only that object is skipped (and named).
pub fn parse_objects<'a>(bytes: &'a [u8], place: &str, parsed: &mut Parsed<'a>) -> Result<(), InputError> {
    let typed: Result<Vec<RawAny<'a>>, _> =
        serde_json::Deserializer::from_slice(bytes).into_iter::<RawAny<'a>>().collect();
    if let Ok(objects) = typed {
        if !objects.is_empty() && objects.iter().all(|o| o.kind.is_some()) {
            for object in objects {
                let kind = object.kind.clone().unwrap_or_default();
                add_typed(raw::convert(object, kind), place, parsed, 0);
            }
            return Ok(());
        }
    }
    parse_lenient(bytes, place, parsed)
}

fn add_typed<'a>(object: Object<'a>, place: &str, parsed: &mut Parsed<'a>, depth: usize) {
    match object {
        Object::List { kind, items } => {
            let Some(items) = items else {
                parsed.skipped.push(format!("{place}: a {} without an \"items\" array", one_line(&kind)));
                return;
            };
            if depth >= MAX_LIST_DEPTH {
                parsed.skipped.push(format!("{place}: Lists nested deeper than {MAX_LIST_DEPTH}"));
                return;
            }
            let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty()).unwrap_or_default();
            for item in items {
                let object = match item {
                    Item::Object(object) => object,
                    Item::Untyped(raw) => raw::convert(*raw, item_kind.to_owned()),
                };
                add_typed(object, place, parsed, depth + 1);
            }
        }
        Object::Secret(secret) => parsed.secrets.push(secret),
        Object::ServiceAccount(sa) => parsed.service_accounts.push(sa),
        Object::Workload(workload) => parsed.workloads.extend(workload),
        Object::Other => parsed.other_objects += 1,
    }
}

fn parse_lenient(bytes: &[u8], place: &str, parsed: &mut Parsed<'_>) -> Result<(), InputError> {
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
                add_object(&value, place, parsed, 0);
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

fn add_object(value: &serde_json::Value, place: &str, parsed: &mut Parsed<'_>, depth: usize) {
    let kind = value.get("kind").and_then(serde_json::Value::as_str).unwrap_or("");
    let name = || describe(value, kind);
    if kind == "List" || kind.ends_with("List") {
        let Some(items) = value.get("items").and_then(serde_json::Value::as_array) else {
            parsed.skipped.push(format!("{place}: a {} without an \"items\" array", one_line(kind)));
            return;
        };
        if depth >= MAX_LIST_DEPTH {
            parsed.skipped.push(format!("{place}: Lists nested deeper than {MAX_LIST_DEPTH}"));
            return;
        }
        // `kubectl get pods -o json` prints a PodList whose items may omit their own kind.
        let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty());
        for item in items {
            if item.get("kind").is_none() {
                if let (Some(k), Some(map)) = (item_kind, item.as_object()) {
                    let mut owned = map.clone();
                    owned.insert("kind".into(), serde_json::Value::String(k.to_owned()));
                    add_object(&serde_json::Value::Object(owned), place, parsed, depth + 1);
                    continue;
                }
            }
            add_object(item, place, parsed, depth + 1);
        }
        return;
    }
    let result = match kind {
        "Secret" => {
            RawSecret::deserialize(value).map(|raw| parsed.secrets.push(raw.into_view().into_owned()))
        }
        "ServiceAccount" => RawServiceAccount::deserialize(value)
            .map(|raw| parsed.service_accounts.push(raw.into_service_account())),
        kind if raw::is_workload(kind) => RawWorkload::deserialize(value).map(|raw| {
            if let Some(w) = raw.into_workload(kind) {
                parsed.workloads.push(w)
            }
        }),
        _ => {
            parsed.other_objects += 1;
            Ok(())
        }
    };
    if let Err(e) = result {
        parsed.skipped.push(format!("{place}: {}: {}", name(), one_line(&strip_position(&e.to_string()))));
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
