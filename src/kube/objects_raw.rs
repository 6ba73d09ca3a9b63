//! The typed pass of [`super`]: serde structs with every field any kind read there has, and a List's items
//! converted into [`Object`]s as they are read, so a dump of 100,000 secrets is never held twice (as raw
//! structs and as the cluster). Items without their own `kind` wait for the List's.

use super::{Container, ContainerType, Secret, ServiceAccount, Value, Workload};
use regauth_core::secret::Secret as SecretText;
use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A List's items, each converted as soon as it is read.
pub(super) struct Items(pub(super) Vec<Item>);

pub(super) enum Item {
    Object(Object),
    /// No `kind` of its own: the List's names it (`kubectl get pods -o json` prints a PodList so).
    Untyped(Box<RawAny>),
}

/// An object of the input, converted.
pub(super) enum Object {
    Secret(Secret),
    ServiceAccount(ServiceAccount),
    /// A kind with a pod template (`None`: the template is missing).
    Workload(Option<Workload>),
    List {
        kind: String,
        items: Option<Vec<Item>>,
    },
    Other,
}

impl<'de> Deserialize<'de> for Items {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Items, D::Error> {
        struct ItemsVisitor;
        impl<'de> Visitor<'de> for ItemsVisitor {
            type Value = Items;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array of Kubernetes objects")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Items, A::Error> {
                let mut items = Vec::new();
                while let Some(raw) = seq.next_element::<RawAny>()? {
                    items.push(match raw.kind.clone() {
                        Some(kind) => Item::Object(convert(raw, kind)),
                        None => Item::Untyped(Box::new(raw)),
                    });
                }
                Ok(Items(items))
            }
        }
        deserializer.deserialize_seq(ItemsVisitor)
    }
}

/// What `raw` is as an object of `kind` (its own, or its List's).
pub(super) fn convert(raw: RawAny, kind: String) -> Object {
    if kind == "List" || kind.ends_with("List") {
        return Object::List { kind, items: raw.items.map(|items| items.0) };
    }
    match kind.as_str() {
        "Secret" => Object::Secret(
            RawSecret {
                metadata: raw.metadata,
                kind: raw.secret_type,
                data: raw.data,
                string_data: raw.string_data,
            }
            .into_secret(),
        ),
        "ServiceAccount" => Object::ServiceAccount(
            RawServiceAccount { metadata: raw.metadata, image_pull_secrets: raw.image_pull_secrets }
                .into_service_account(),
        ),
        kind if is_workload(kind) => Object::Workload(
            RawWorkload { metadata: raw.metadata, spec: raw.spec, template: raw.template }
                .into_workload(kind),
        ),
        _ => Object::Other,
    }
}

/// Every field any kind read here has, for the typed pass. A List's items are converted as they are read
/// (see [`Items`]).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawAny {
    pub(super) kind: Option<String>,
    #[serde(default)]
    metadata: Metadata,
    items: Option<Items>,
    #[serde(rename = "type")]
    secret_type: Option<String>,
    data: Option<BTreeMap<String, Option<String>>>,
    string_data: Option<BTreeMap<String, Option<String>>>,
    image_pull_secrets: Option<Vec<LocalRef>>,
    spec: Option<RawWorkloadSpec>,
    template: Option<RawTemplate>,
}

#[derive(Deserialize, Default)]
pub(super) struct Metadata {
    pub(super) name: Option<String>,
    namespace: Option<String>,
}

impl Metadata {
    /// The object's namespace; `default` when the input leaves it out (as `kubectl create --dry-run`
    /// without `-n` does, and as `kubectl apply` would place it in the default context).
    pub(super) fn namespace(&self) -> String {
        self.namespace.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| "default".into())
    }
}

#[derive(Deserialize)]
pub(super) struct LocalRef {
    #[serde(default)]
    name: Option<String>,
}

pub(super) fn names(refs: Option<Vec<LocalRef>>) -> Vec<String> {
    refs.unwrap_or_default().into_iter().filter_map(|r| r.name).filter(|n| !n.is_empty()).collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawSecret {
    #[serde(default)]
    metadata: Metadata,
    #[serde(rename = "type")]
    kind: Option<String>,
    data: Option<BTreeMap<String, Option<String>>>,
    string_data: Option<BTreeMap<String, Option<String>>>,
}

impl RawSecret {
    pub(super) fn into_secret(self) -> Secret {
        let mut data = BTreeMap::new();
        for (k, v) in self.data.unwrap_or_default() {
            data.insert(k, Value::Base64(SecretText::new(v.unwrap_or_default())));
        }
        for (k, v) in self.string_data.unwrap_or_default() {
            data.insert(k, Value::Plain(SecretText::new(v.unwrap_or_default())));
        }
        Secret {
            namespace: self.metadata.namespace(),
            name: self.metadata.name.clone().unwrap_or_default(),
            kind: self.kind.filter(|k| !k.is_empty()).unwrap_or_else(|| "Opaque".into()),
            data: data.into_iter().collect(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawServiceAccount {
    #[serde(default)]
    pub(super) metadata: Metadata,
    pub(super) image_pull_secrets: Option<Vec<LocalRef>>,
}

impl RawServiceAccount {
    pub(super) fn into_service_account(self) -> ServiceAccount {
        ServiceAccount {
            namespace: self.metadata.namespace(),
            name: self.metadata.name.unwrap_or_default(),
            image_pull_secrets: names(self.image_pull_secrets),
        }
    }
}

/// The kinds that carry a pod template (or are a pod).
pub(super) fn is_workload(kind: &str) -> bool {
    matches!(
        kind,
        "Pod"
            | "Job"
            | "CronJob"
            | "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "ReplicationController"
            | "PodTemplate"
    )
}

#[derive(Deserialize)]
pub(super) struct RawWorkload {
    #[serde(default)]
    metadata: Metadata,
    spec: Option<RawWorkloadSpec>,
    /// A PodTemplate's template is at the top level.
    template: Option<RawTemplate>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawWorkloadSpec {
    template: Option<RawTemplate>,
    job_template: Option<RawJobTemplate>,
    #[serde(flatten)]
    pod: RawPodSpec,
}

#[derive(Deserialize)]
struct RawJobTemplate {
    spec: Option<RawJobSpec>,
}

#[derive(Deserialize)]
struct RawJobSpec {
    template: Option<RawTemplate>,
}

#[derive(Deserialize)]
struct RawTemplate {
    spec: Option<RawPodSpec>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawPodSpec {
    containers: Option<Vec<RawContainer>>,
    init_containers: Option<Vec<RawContainer>>,
    ephemeral_containers: Option<Vec<RawContainer>>,
    image_pull_secrets: Option<Vec<LocalRef>>,
    service_account_name: Option<String>,
    service_account: Option<String>,
}

#[derive(Deserialize)]
struct RawContainer {
    name: Option<String>,
    image: Option<String>,
}

impl RawWorkload {
    pub(super) fn into_workload(self, kind: &str) -> Option<Workload> {
        let namespace = self.metadata.namespace();
        let name = self.metadata.name.unwrap_or_default();
        let pod = if kind == "Pod" {
            self.spec.map(|s| s.pod)
        } else if kind == "PodTemplate" {
            self.template.and_then(|t| t.spec)
        } else if kind == "CronJob" {
            self.spec
                .and_then(|s| s.job_template)
                .and_then(|j| j.spec)
                .and_then(|j| j.template)
                .and_then(|t| t.spec)
        } else {
            self.spec.and_then(|s| s.template).and_then(|t| t.spec)
        }?;
        let mut containers = Vec::new();
        for (list, kind) in [
            (pod.init_containers, ContainerType::InitContainer),
            (pod.containers, ContainerType::Container),
            (pod.ephemeral_containers, ContainerType::EphemeralContainer),
        ] {
            for c in list.unwrap_or_default() {
                if let Some(image) = c.image.filter(|i| !i.is_empty()) {
                    containers.push(Container { name: c.name.unwrap_or_default(), kind, image });
                }
            }
        }
        let service_account = pod
            .service_account_name
            .filter(|s| !s.is_empty())
            .or(pod.service_account.filter(|s| !s.is_empty()))
            .unwrap_or_else(|| "default".into());
        Some(Workload {
            kind: kind.to_owned(),
            namespace,
            name,
            containers,
            image_pull_secrets: names(pod.image_pull_secrets),
            service_account,
        })
    }
}
