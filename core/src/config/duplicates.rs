//! Keys that appear twice in one JSON object. serde_json (like Go) keeps the last value, so a file with a
//! duplicate reads as clients read it, but writing it back would silently drop the first copy: such a file
//! is read, and never rewritten.

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

/// Paths (`auths."ghcr.io"`) of keys that appear more than once in their object.
pub(crate) fn find(bytes: &[u8]) -> Vec<String> {
    let found = RefCell::new(Vec::new());
    let mut de = serde_json::Deserializer::from_slice(bytes);
    // Only called on bytes that already parsed; an error here just means no finding.
    let _ = Walk { path: String::new(), found: &found }.deserialize(&mut de);
    found.into_inner()
}

struct Walk<'a> {
    path: String,
    found: &'a RefCell<Vec<String>>,
}

impl<'a> Walk<'a> {
    fn child(&self, key: &str) -> Walk<'a> {
        let quoted = serde_json::to_string(key).unwrap_or_default();
        let path = if self.path.is_empty() { quoted } else { format!("{}.{quoted}", self.path) };
        Walk { path, found: self.found }
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                self.found.borrow_mut().push(self.child(&key).path);
            }
            map.next_value_seed(self.child(&key))?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_table() {
        let table: &[(&str, &[&str])] = &[
            (r#"{"a":1,"b":2}"#, &[]),
            (r#"{"a":1,"a":2}"#, &["\"a\""]),
            (r#"{"auths":{"ghcr.io":{"auth":"x"},"ghcr.io":{"auth":"y"}}}"#, &["\"auths\".\"ghcr.io\""]),
            (
                r#"{"auths":{"h":{"auth":"x","auth":"y"}},"n":12345678901234567890123}"#,
                &["\"auths\".\"h\".\"auth\""],
            ),
            (r#"{"x":[{"a":1,"a":1}],"y":{"a":1},"z":{"a":1}}"#, &[]),
            (r#"{"a":{},"a":{},"a":{}}"#, &["\"a\"", "\"a\""]),
            ("[]", &[]),
        ];
        for (text, want) in table {
            assert_eq!(find(text.as_bytes()), *want, "{text}");
        }
    }
}
