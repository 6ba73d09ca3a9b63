//! The typed pass of [`super`]: serde structs with every field any kind read there has, a List's items
//! converted into [`Object`]s as they are read, and a Secret's strings borrowed from the input where JSON
//! lets them be ([`Text`]: a string without escapes), so a dump of 100,000 secrets is never copied whole.
//! Items without their own `kind` wait for the List's.

use super::{Container, ContainerType, SecretView, ServiceAccount, ValueRef, Workload};
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::marker::PhantomData;

/// A JSON string, borrowed from the input unless it holds escapes (then decoded into its own copy).
#[derive(PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Text<'a>(pub(super) Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Text<'a>, D::Error> {
        struct TextVisitor<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                // As serde says it for a `String`, so that a skipped object's note reads the same.
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Borrowed(text)))
            }
            fn visit_str<E>(self, text: &str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(text.to_owned())))
            }
            fn visit_string<E>(self, text: String) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(text)))
            }
        }
        deserializer.deserialize_string(TextVisitor(PhantomData))
    }
}

/// A JSON object of strings (a Secret's `data` or `stringData`; a `null` value is empty) as pairs sorted
/// by key, a later equal key replacing an earlier one as a map's insert does: a vector, not a tree node
/// per secret.
pub(super) struct Pairs<'a>(Vec<(Text<'a>, Option<Text<'a>>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Pairs<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Pairs<'a>, D::Error> {
        struct PairsVisitor<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for PairsVisitor<'a> {
            type Value = Pairs<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pairs<'a>, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry::<Text<'a>, Option<Text<'a>>>()? {
                    pairs.push(pair);
                }
                Ok(Pairs(sorted_last_wins(pairs)))
            }
        }
        deserializer.deserialize_map(PairsVisitor(PhantomData))
    }
}

/// `pairs` sorted by key; of equal keys only the last one given.
fn sorted_last_wins<K: Ord, V>(mut pairs: Vec<(K, V)>) -> Vec<(K, V)> {
    if pairs.len() < 2 {
        return pairs;
    }
    // Stable: equal keys keep their order, so the last of each run is the last given.
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out: Vec<(K, V)> = Vec::with_capacity(pairs.len());
    for pair in pairs {
        match out.last_mut() {
            Some(last) if last.0 == pair.0 => *last = pair,
            _ => out.push(pair),
        }
    }
    out
}

/// A List's items, each converted as soon as it is read.
pub(super) struct Items<'a>(pub(super) Vec<Item<'a>>);

pub(super) enum Item<'a> {
    Object(Object<'a>),
    /// No `kind` of its own: the List's names it (`kubectl get pods -o json` prints a PodList so).
    Untyped(Box<RawAny<'a>>),
}

/// An object of the input, converted.
pub(super) enum Object<'a> {
    Secret(SecretView<'a>),
    ServiceAccount(ServiceAccount),
    /// A kind with a pod template (`None`: the template is missing).
    Workload(Option<Workload>),
    List {
        kind: String,
        items: Option<Vec<Item<'a>>>,
    },
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for Items<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Items<'a>, D::Error> {
        struct ItemsVisitor<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for ItemsVisitor<'a> {
            type Value = Items<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array of Kubernetes objects")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Items<'a>, A::Error> {
                let mut items = Vec::new();
                while let Some(raw) = seq.next_element::<RawAny<'a>>()? {
                    items.push(match raw.kind.clone() {
                        Some(kind) => Item::Object(convert(raw, kind)),
                        None => Item::Untyped(Box::new(raw)),
                    });
                }
                Ok(Items(items))
            }
        }
        deserializer.deserialize_seq(ItemsVisitor(PhantomData))
    }
}

/// What `raw` is as an object of `kind` (its own, or its List's).
pub(super) fn convert(raw: RawAny<'_>, kind: String) -> Object<'_> {
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
            .into_view(),
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
pub(super) struct RawAny<'a> {
    pub(super) kind: Option<String>,
    #[serde(default, borrow)]
    metadata: Metadata<'a>,
    #[serde(borrow)]
    items: Option<Items<'a>>,
    #[serde(rename = "type", borrow)]
    secret_type: Option<Text<'a>>,
    #[serde(borrow)]
    data: Option<Pairs<'a>>,
    #[serde(borrow)]
    string_data: Option<Pairs<'a>>,
    image_pull_secrets: Option<Vec<LocalRef>>,
    spec: Option<RawWorkloadSpec>,
    template: Option<RawTemplate>,
}

#[derive(Deserialize, Default)]
pub(super) struct Metadata<'a> {
    #[serde(borrow)]
    pub(super) name: Option<Text<'a>>,
    #[serde(borrow)]
    namespace: Option<Text<'a>>,
}

impl<'a> Metadata<'a> {
    /// The object's namespace; `default` when the input leaves it out (as `kubectl create --dry-run`
    /// without `-n` does, and as `kubectl apply` would place it in the default context).
    pub(super) fn namespace(&mut self) -> Cow<'a, str> {
        match self.namespace.take() {
            Some(Text(ns)) if !ns.is_empty() => ns,
            _ => Cow::Borrowed("default"),
        }
    }

    fn name(&mut self) -> Cow<'a, str> {
        self.name.take().map(|t| t.0).unwrap_or_default()
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
pub(super) struct RawSecret<'a> {
    #[serde(default, borrow)]
    metadata: Metadata<'a>,
    #[serde(rename = "type", borrow)]
    kind: Option<Text<'a>>,
    #[serde(borrow)]
    data: Option<Pairs<'a>>,
    #[serde(borrow)]
    string_data: Option<Pairs<'a>>,
}

impl<'a> RawSecret<'a> {
    /// The secret, `stringData` folded into `data` (its value wins for a key in both, as the API server's).
    pub(super) fn into_view(mut self) -> SecretView<'a> {
        let text = |v: Option<Text<'a>>| v.map(|t| t.0).unwrap_or_default();
        let data = self
            .data
            .map(|p| p.0)
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.0, ValueRef::Base64(text(v))));
        let plain = self
            .string_data
            .map(|p| p.0)
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.0, ValueRef::Plain(text(v))));
        SecretView {
            namespace: self.metadata.namespace(),
            name: self.metadata.name(),
            kind: self.kind.map(|k| k.0).filter(|k| !k.is_empty()).unwrap_or(Cow::Borrowed("Opaque")),
            data: sorted_last_wins(data.chain(plain).collect()),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawServiceAccount<'a> {
    #[serde(default, borrow)]
    pub(super) metadata: Metadata<'a>,
    pub(super) image_pull_secrets: Option<Vec<LocalRef>>,
}

impl RawServiceAccount<'_> {
    pub(super) fn into_service_account(mut self) -> ServiceAccount {
        ServiceAccount {
            namespace: self.metadata.namespace().into_owned(),
            name: self.metadata.name().into_owned(),
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
pub(super) struct RawWorkload<'a> {
    #[serde(default, borrow)]
    metadata: Metadata<'a>,
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

impl RawWorkload<'_> {
    pub(super) fn into_workload(mut self, kind: &str) -> Option<Workload> {
        let namespace = self.metadata.namespace().into_owned();
        let name = self.metadata.name().into_owned();
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
