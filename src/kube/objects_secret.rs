//! A Secret of [`super`]'s input, in two forms: [`SecretView`], its strings borrowed from the input where
//! JSON lets them be (the audit reads a dump through these and never copies it), and [`Secret`], owned,
//! its values kept as [`regauth_core::secret::Secret`] (the cluster that `diagnose --kube` and `--kube-live`
//! keep). Values are never shown, by either.

use base64::Engine;
use regauth_core::secret::Secret as SecretText;
use std::borrow::Cow;
use std::collections::BTreeMap;

pub const DOCKER_CONFIG_JSON: &str = "kubernetes.io/dockerconfigjson";
pub const DOCKERCFG: &str = "kubernetes.io/dockercfg";

/// The data key a Secret of type `kind` holds its docker config under: `.dockerconfigjson` or
/// `.dockercfg`; `None` for a type the kubelet does not read.
pub fn docker_key(kind: &str) -> Option<&'static str> {
    match kind {
        DOCKER_CONFIG_JSON => Some(".dockerconfigjson"),
        DOCKERCFG => Some(".dockercfg"),
        _ => None,
    }
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
        self.as_ref().decode()
    }

    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Base64(text) => ValueRef::Base64(Cow::Borrowed(text.expose())),
            Value::Plain(text) => ValueRef::Plain(Cow::Borrowed(text.expose())),
        }
    }
}

impl Secret {
    /// A docker pull-secret type.
    pub fn is_pull_secret_type(&self) -> bool {
        self.docker_key().is_some()
    }

    /// The data key its type reads: `.dockerconfigjson` or `.dockercfg`.
    pub fn docker_key(&self) -> Option<&'static str> {
        docker_key(&self.kind)
    }

    /// A secret of another type that holds docker config data: named as a pull secret, it is skipped.
    pub fn holds_docker_data(&self) -> bool {
        self.data.contains_key(".dockerconfigjson") || self.data.contains_key(".dockercfg")
    }

    /// The secret as a view of its own strings.
    pub fn view(&self) -> SecretView<'_> {
        SecretView {
            namespace: Cow::Borrowed(&self.namespace),
            name: Cow::Borrowed(&self.name),
            kind: Cow::Borrowed(&self.kind),
            data: self.data.iter().map(|(k, v)| (Cow::Borrowed(k), v.as_ref())).collect(),
        }
    }
}

/// A Secret's value as the input holds it (see [`Value`]); never shown.
pub enum ValueRef<'a> {
    Base64(Cow<'a, str>),
    Plain(Cow<'a, str>),
}

impl ValueRef<'_> {
    /// The bytes, or `None` when the base64 does not decode (the message never holds the value).
    pub fn decode(&self) -> Option<zeroize::Zeroizing<Vec<u8>>> {
        match self {
            ValueRef::Plain(text) => Some(zeroize::Zeroizing::new(text.as_bytes().to_vec())),
            ValueRef::Base64(text) => base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .ok()
                .map(zeroize::Zeroizing::new),
        }
    }

    /// The text and whether it is plain (from `stringData`), for telling equal values apart from others.
    pub fn text(&self) -> (bool, &str) {
        match self {
            ValueRef::Base64(text) => (false, text),
            ValueRef::Plain(text) => (true, text),
        }
    }

    fn into_owned(self) -> ValueRef<'static> {
        match self {
            ValueRef::Base64(text) => ValueRef::Base64(Cow::Owned(text.into_owned())),
            ValueRef::Plain(text) => ValueRef::Plain(Cow::Owned(text.into_owned())),
        }
    }
}

/// A Secret with its strings borrowed from the input where they could be (see [`Secret`] for the fields).
pub struct SecretView<'a> {
    pub namespace: Cow<'a, str>,
    pub name: Cow<'a, str>,
    pub kind: Cow<'a, str>,
    /// Sorted by key; `stringData` folded in.
    pub data: Vec<(Cow<'a, str>, ValueRef<'a>)>,
}

impl std::fmt::Debug for SecretView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<&str> = self.data.iter().map(|(k, _)| k.as_ref()).collect();
        f.debug_struct("SecretView")
            .field("namespace", &self.namespace)
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("keys", &keys)
            .finish()
    }
}

impl<'a> SecretView<'a> {
    pub fn get(&self, key: &str) -> Option<&ValueRef<'a>> {
        let i = self.data.binary_search_by(|(k, _)| k.as_ref().cmp(key)).ok()?;
        Some(&self.data[i].1)
    }

    /// See [`Secret::is_pull_secret_type`].
    pub fn is_pull_secret_type(&self) -> bool {
        docker_key(&self.kind).is_some()
    }

    /// See [`Secret::holds_docker_data`].
    pub fn holds_docker_data(&self) -> bool {
        self.get(".dockerconfigjson").is_some() || self.get(".dockercfg").is_some()
    }

    /// The value under its type's docker key, if its type has one and it is there.
    pub fn docker_value(&self) -> Option<&ValueRef<'a>> {
        docker_key(&self.kind).and_then(|key| self.get(key))
    }

    pub fn into_secret(self) -> Secret {
        let data = self
            .data
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    ValueRef::Base64(text) => Value::Base64(SecretText::new(text.into_owned())),
                    ValueRef::Plain(text) => Value::Plain(SecretText::new(text.into_owned())),
                };
                (k.into_owned(), v)
            })
            .collect();
        Secret {
            namespace: self.namespace.into_owned(),
            name: self.name.into_owned(),
            kind: self.kind.into_owned(),
            // Already sorted, each key once.
            data: SecretData(data),
        }
    }

    /// The same secret, owning its strings.
    pub fn into_owned(self) -> SecretView<'static> {
        SecretView {
            namespace: Cow::Owned(self.namespace.into_owned()),
            name: Cow::Owned(self.name.into_owned()),
            kind: Cow::Owned(self.kind.into_owned()),
            data: self.data.into_iter().map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned())).collect(),
        }
    }
}
