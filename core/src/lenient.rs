//! [`Lenient`], the field type of every typed view of untrusted JSON (registry bodies, token responses,
//! JWT claims): a field of an unexpected type counts as absent, because a client must read what real
//! servers send without failing on the rest.

use serde::de::IgnoredAny;
use serde::Deserialize;

/// A field that is a `T`, or anything else (which counts as absent).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Lenient<T> {
    Value(T),
    Other(IgnoredAny),
}

impl<T> Lenient<T> {
    pub fn get(self) -> Option<T> {
        match self {
            Lenient::Value(v) => Some(v),
            Lenient::Other(_) => None,
        }
    }
}

/// `Option<Lenient<T>>` (absent, null or of another type) as an `Option<T>`.
pub fn value<T>(field: Option<Lenient<T>>) -> Option<T> {
    field.and_then(Lenient::get)
}

/// A list whose items of another type are dropped.
pub fn items<T>(field: Option<Lenient<Vec<Lenient<T>>>>) -> Vec<T> {
    value(field).unwrap_or_default().into_iter().filter_map(Lenient::get).collect()
}

/// Whether `body` is a JSON object at the top (serde reads a struct from an array too).
pub fn is_object(body: &[u8]) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}
