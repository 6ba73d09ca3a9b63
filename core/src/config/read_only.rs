//! A config file as the audit reads it: what it holds (`auths`, `credsStore`, `credHelpers`), read in one
//! serde pass into borrowed fields, with nothing kept that the audit does not read. [`Document`] (lossless,
//! order-preserving, `arbitrary_precision`, a second pass for duplicate keys) stays the loader of every
//! edit; a fleet machine's audit reads 1,000 files of 100 entries, where building that tree was most of
//! the run.
//!
//! The answer is always [`Document`]'s: the one pass accepts only what it can read exactly as
//! [`Document`] reads it (an object at the top; `auths` and each entry objects; `credsStore` a string or
//! null; `credHelpers` an object of strings or null; no key twice in any object it reads; serde_json's
//! private number or raw-value keys nowhere) and hands anything else (a syntax error, a wrong type, a
//! duplicate key) to [`Document::parse`], whose result or error is returned. Values it does not read are
//! still walked by serde_json's own parser (`deserialize_any`, as [`serde_json::Value`] is), so what is
//! valid JSON, the nesting limit and the string checks are the same. `read_only_tests.rs` holds a table
//! of cases, and the `config_read_only` fuzz target compares the two readers on any input.

use super::auth_field::{self, AuthEncoding, AuthProblem};
use super::document::{entry_from_fields, AuthEntry, EntryFields};
use super::{ConfigError, Document};
use crate::fsread;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::path::Path;
use walk::{Key, Skip, Text};

#[path = "read_only_walk.rs"]
mod walk;

/// What the audit reads of a config file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Entries {
    /// `credsStore`, when set and not empty.
    pub creds_store: Option<String>,
    /// `credHelpers`, registry -> helper, in file order.
    pub cred_helpers: Vec<(String, String)>,
    /// Every `auths` entry in file order, decoded leniently (what the field holds, whoever reads it),
    /// with why the file's own reader cannot decode its `auth`, if it cannot.
    pub entries: Vec<(AuthEntry, Option<AuthProblem>)>,
}

impl Entries {
    /// `credHelpers[key]`, as [`Document::cred_helper`].
    pub fn cred_helper(&self, key: &str) -> Option<&str> {
        self.cred_helpers.iter().find(|(k, _)| k == key).map(|(_, helper)| helper.as_str())
    }

    /// What [`Document`] makes of the file: the reference the one pass is held to.
    pub fn of_document(doc: &Document, client: AuthEncoding) -> Entries {
        Entries {
            creds_store: doc.creds_store().map(str::to_owned),
            cred_helpers: doc.cred_helpers().into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect(),
            entries: doc
                .auths(AuthEncoding::Lenient)
                .into_iter()
                .map(|entry| {
                    let unreadable = doc.auth(&entry.key, client).and_then(|e| e.problem);
                    (entry, unreadable)
                })
                .collect(),
        }
    }
}

/// Read `path` (through `fsread`, as [`super::load`]) for the audit; `Ok(None)` when it is missing.
/// `legacy`: `~/.dockercfg`, whose top level is the auths map. `client`: whose decoding of `auth` the
/// file is read with (docker, containers/image, the kubelet).
pub fn load(path: &Path, legacy: bool, client: AuthEncoding) -> Result<Option<Entries>, ConfigError> {
    match fsread::read_followed(path, fsread::CONFIG_LIMIT, fsread::effective_uid()) {
        Ok((_, contents)) => parse(&contents.bytes, path, legacy, client).map(Some),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// A file's bytes for the audit: [`Document`]'s answer, in one pass when the file allows it.
pub fn parse(bytes: &[u8], path: &Path, legacy: bool, client: AuthEncoding) -> Result<Entries, ConfigError> {
    if let Some(entries) = one_pass(bytes, legacy, client) {
        return Ok(entries);
    }
    let doc = if legacy { Document::parse_legacy(bytes, path) } else { Document::parse(bytes, path) }?;
    Ok(Entries::of_document(&doc, client))
}

/// The one pass; `None` hands the file to [`Document`].
pub fn one_pass(bytes: &[u8], legacy: bool, client: AuthEncoding) -> Option<Entries> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Some(Entries::default());
    }
    // UTF-8 checked once, not string by string; a file that is not UTF-8 is Document's to word.
    let text = std::str::from_utf8(bytes).ok()?;
    let mut de = serde_json::Deserializer::from_str(text);
    let raw = Root { legacy }.deserialize(&mut de).ok()?;
    de.end().ok()?;
    let entries = raw
        .auths
        .iter()
        .map(|(key, fields)| {
            let fields = fields.borrowed();
            let unreadable =
                fields.auth.filter(|a| !a.is_empty()).and_then(|a| auth_field::problem(a, client));
            (entry_from_fields(key, fields, AuthEncoding::Lenient), unreadable)
        })
        .collect();
    Some(Entries {
        creds_store: raw.creds_store.filter(|s| !s.is_empty()).map(Cow::into_owned),
        cred_helpers: raw.cred_helpers.into_iter().map(|(k, v)| (k.into_owned(), v.into_owned())).collect(),
        entries,
    })
}

/// The prefix of serde_json's private keys: a map whose first key is its number token is a number (with
/// `arbitrary_precision`, which the workspace enables), one with its raw-value token raw JSON.
const PRIVATE: &str = "$serde_json::private::";
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Anything the one pass does not read exactly as [`Document`] does: hand the file over.
fn refuse<E: de::Error>() -> E {
    E::custom("not for the one pass")
}

#[derive(Default)]
struct Raw<'de> {
    auths: Vec<(Cow<'de, str>, Fields<'de>)>,
    creds_store: Option<Cow<'de, str>>,
    cred_helpers: Vec<(Cow<'de, str>, Cow<'de, str>)>,
}

#[derive(Default)]
struct Fields<'de> {
    auth: Option<Cow<'de, str>>,
    username: Option<Cow<'de, str>>,
    password: Option<Cow<'de, str>>,
    identity_token: Option<Cow<'de, str>>,
    registry_token: Option<Cow<'de, str>>,
}

impl Fields<'_> {
    fn borrowed(&self) -> EntryFields<'_> {
        EntryFields {
            auth: self.auth.as_deref(),
            username: self.username.as_deref(),
            password: self.password.as_deref(),
            identity_token: self.identity_token.as_deref(),
            registry_token: self.registry_token.as_deref(),
        }
    }
}

/// The keys of one object; [`Seen::finish`] hands the file over when one came twice (the audit reads what
/// [`Document`] reads, last-wins in the first one's place; simpler to let it).
struct Seen<'de>(Vec<Cow<'de, str>>);

impl<'de> Seen<'de> {
    fn new() -> Self {
        Seen(Vec::new())
    }

    /// The next key of `map`, refused when it is one of serde_json's private keys.
    fn next<A: MapAccess<'de>>(&mut self, map: &mut A) -> Result<Option<Cow<'de, str>>, A::Error> {
        let Some(key) = map.next_key_seed(Key)? else { return Ok(None) };
        if key.starts_with(PRIVATE) {
            return Err(refuse());
        }
        self.0.push(key.clone());
        Ok(Some(key))
    }

    /// Refused when a key came twice: a look at each pair for a few keys, else sorted (no hashing: an
    /// `auths` of 100 entries is the common case, and duplicates are rare).
    fn finish<E: de::Error>(self) -> Result<(), E> {
        let keys = self.0;
        let twice = if keys.len() <= 8 {
            keys.iter().enumerate().any(|(i, k)| keys[..i].contains(k))
        } else {
            let mut sorted: Vec<&str> = keys.iter().map(|k| k.as_ref()).collect();
            sorted.sort_unstable();
            sorted.windows(2).any(|w| w[0] == w[1])
        };
        if twice {
            return Err(refuse());
        }
        Ok(())
    }
}

/// The top level.
struct Root {
    legacy: bool,
}

impl<'de> DeserializeSeed<'de> for Root {
    type Value = Raw<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Root {
    type Value = Raw<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut raw = Raw::default();
        if self.legacy {
            raw.auths = Auths { legacy: true }.visit_map(map)?.unwrap_or_default();
            return Ok(raw);
        }
        let mut seen = Seen::new();
        while let Some(key) = seen.next(&mut map)? {
            match key.as_ref() {
                "auths" => raw.auths = map.next_value_seed(Auths { legacy: false })?.unwrap_or_default(),
                "credsStore" => raw.creds_store = map.next_value_seed(Text { strict: true })?,
                "credHelpers" => raw.cred_helpers = map.next_value_seed(Helpers)?,
                _ => map.next_value_seed(Skip)?,
            }
        }
        seen.finish()?;
        Ok(raw)
    }
}

/// The `auths` map (or, `legacy`, the top level): `None` for null.
struct Auths {
    legacy: bool,
}

impl<'de> DeserializeSeed<'de> for Auths {
    type Value = Option<Vec<(Cow<'de, str>, Fields<'de>)>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Auths {
    type Value = Option<Vec<(Cow<'de, str>, Fields<'de>)>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object or null")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::new();
        let mut seen = Seen::new();
        while let Some(key) = seen.next(&mut map)? {
            if self.legacy && matches!(key.as_ref(), "credsStore" | "credHelpers") {
                // Document reads these at the top level of any file, `~/.dockercfg` too: its to read.
                return Err(refuse());
            }
            // `~/.dockercfg`: a value that is not an object is no entry (and no error); in config.json it
            // is an error, [`Document`]'s to word.
            if let Some(fields) = map.next_value_seed(Entry { legacy: self.legacy })? {
                entries.push((key, fields));
            }
        }
        seen.finish()?;
        Ok(Some(entries))
    }
}

/// One entry: `None` (legacy only) when it is not an object.
struct Entry {
    legacy: bool,
}

impl<'de> DeserializeSeed<'de> for Entry {
    type Value = Option<Fields<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        if self.legacy {
            // Whatever it is, it is walked as Value walks it; only an object is an entry.
            return d.deserialize_any(LegacyEntry);
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Entry {
    type Value = Option<Fields<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        entry_fields(map).map(Some)
    }
}

fn entry_fields<'de, A: MapAccess<'de>>(mut map: A) -> Result<Fields<'de>, A::Error> {
    let mut fields = Fields::default();
    let mut seen = Seen::new();
    while let Some(key) = seen.next(&mut map)? {
        let slot = match key.as_ref() {
            "auth" => &mut fields.auth,
            "username" => &mut fields.username,
            "password" => &mut fields.password,
            "identitytoken" => &mut fields.identity_token,
            "registrytoken" => &mut fields.registry_token,
            _ => {
                map.next_value_seed(Skip)?;
                continue;
            }
        };
        // A field of another type is absent, as for Document's `as_str`.
        *slot = map.next_value_seed(Text { strict: false })?;
    }
    seen.finish()?;
    Ok(fields)
}

/// A `~/.dockercfg` value: an object is an entry, anything else is walked and dropped.
struct LegacyEntry;

impl<'de> Visitor<'de> for LegacyEntry {
    type Value = Option<Fields<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        entry_fields(map).map(Some)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Skip.visit_seq(seq).map(|()| None)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// `credHelpers`: null, or an object of strings.
struct Helpers;

impl<'de> DeserializeSeed<'de> for Helpers {
    type Value = Vec<(Cow<'de, str>, Cow<'de, str>)>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Helpers {
    type Value = Vec<(Cow<'de, str>, Cow<'de, str>)>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of strings or null")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut helpers = Vec::new();
        let mut seen = Seen::new();
        while let Some(key) = seen.next(&mut map)? {
            match map.next_value_seed(Text { strict: true })? {
                Some(helper) => helpers.push((key, helper)),
                None => return Err(refuse()),
            }
        }
        seen.finish()?;
        Ok(helpers)
    }
}

#[cfg(test)]
#[path = "read_only_tests.rs"]
mod tests;
