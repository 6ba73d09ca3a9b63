//! A config file as an order-preserving JSON object: every field regauth does not know survives an edit,
//! in its place. Typed views read `auths`, `credsStore` and `credHelpers`; edits touch one entry.

use super::auth_field::{self, AuthEncoding, AuthProblem, Decoded};
use super::ConfigError;
use crate::secret::Secret;
use base64::Engine;
use serde_json::{Map, Value};
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    root: Map<String, Value>,
    /// One level of indentation as found in the file (docker writes a tab).
    indent: String,
    trailing_newline: bool,
    /// Lines end in CRLF (a file edited on Windows): kept when writing.
    crlf: bool,
    /// Keys that appear twice in one object (see `config::duplicates`): such a file is never rewritten.
    duplicate_keys: Vec<String>,
    /// `~/.dockercfg`: the root is the `auths` map.
    legacy: bool,
}

/// One `auths` entry, decoded. Secrets stay wrapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthEntry {
    pub key: String,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub identity_token: Option<Secret>,
    pub registry_token: Option<Secret>,
    /// Why `auth` is unreadable to the reader it was decoded for (the other fields are as in the file).
    pub problem: Option<AuthProblem>,
}

impl AuthEntry {
    /// Whether the entry carries any secret at all.
    pub fn has_secret(&self) -> bool {
        [&self.password, &self.identity_token, &self.registry_token]
            .iter()
            .any(|s| s.as_ref().is_some_and(|s| !s.is_empty()))
    }
}

impl Default for Document {
    fn default() -> Self {
        Document {
            root: Map::new(),
            indent: "\t".into(),
            trailing_newline: false,
            crlf: false,
            duplicate_keys: Vec::new(),
            legacy: false,
        }
    }
}

impl Document {
    /// Parse a file's bytes. Empty or blank input is an empty config, as docker treats it.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Document, ConfigError> {
        Self::parse_as(bytes, path, false)
    }

    /// Parse `~/.dockercfg`, whose root is the auths map.
    pub fn parse_legacy(bytes: &[u8], path: &Path) -> Result<Document, ConfigError> {
        Self::parse_as(bytes, path, true)
    }

    fn parse_as(bytes: &[u8], path: &Path, legacy: bool) -> Result<Document, ConfigError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Document { legacy, ..Document::default() });
        }
        let value: Value = serde_json::from_slice(bytes).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            line: e.line(),
            column: e.column(),
            message: strip_position(&e.to_string()),
        })?;
        let Value::Object(root) = value else {
            return Err(wrong_type(path, "the top level", "a JSON object"));
        };
        let doc = Document {
            root,
            indent: detect_indent(bytes),
            trailing_newline: bytes.ends_with(b"\n"),
            crlf: bytes.windows(2).any(|w| w == b"\r\n"),
            duplicate_keys: super::duplicates::find(bytes),
            legacy,
        };
        doc.check_types(path)?;
        Ok(doc)
    }

    /// Refuse files whose known fields have the wrong shape: an edit would otherwise have to guess.
    fn check_types(&self, path: &Path) -> Result<(), ConfigError> {
        if let Some(auths) = self.auths_map_value() {
            let Value::Object(auths) = auths else {
                return Err(wrong_type(path, "\"auths\"", "an object"));
            };
            for (key, entry) in auths {
                if !entry.is_object() {
                    return Err(wrong_type(path, &format!("\"auths\".{key:?}"), "an object"));
                }
            }
        }
        if self.legacy {
            return Ok(());
        }
        match self.root.get("credsStore") {
            None | Some(Value::String(_)) | Some(Value::Null) => {}
            Some(_) => return Err(wrong_type(path, "\"credsStore\"", "a string")),
        }
        match self.root.get("credHelpers") {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                if let Some((key, _)) = map.iter().find(|(_, v)| !v.is_string()) {
                    return Err(wrong_type(path, &format!("\"credHelpers\".{key:?}"), "a string"));
                }
            }
            Some(_) => return Err(wrong_type(path, "\"credHelpers\"", "an object")),
        }
        Ok(())
    }

    fn auths_map_value(&self) -> Option<&Value> {
        if self.legacy {
            None
        } else {
            self.root.get("auths").filter(|v| !v.is_null())
        }
    }

    fn auths_map(&self) -> Option<&Map<String, Value>> {
        if self.legacy {
            return Some(&self.root);
        }
        self.auths_map_value().and_then(Value::as_object)
    }

    /// The default helper (`credsStore`), if set and not empty.
    pub fn creds_store(&self) -> Option<&str> {
        self.root.get("credsStore").and_then(Value::as_str).filter(|s| !s.is_empty())
    }

    /// `credHelpers`: registry -> helper name, in file order.
    pub fn cred_helpers(&self) -> Vec<(&str, &str)> {
        self.root
            .get("credHelpers")
            .and_then(Value::as_object)
            .map(|m| m.iter().filter_map(|(k, v)| Some((k.as_str(), v.as_str()?))).collect())
            .unwrap_or_default()
    }

    pub fn cred_helper(&self, key: &str) -> Option<&str> {
        self.root.get("credHelpers")?.get(key)?.as_str()
    }

    /// Every `auths` key, in file order.
    pub fn auth_keys(&self) -> Vec<&str> {
        self.auths_map().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default()
    }

    /// The entry stored under exactly `key`, its `auth` decoded as `encoding`'s program decodes it.
    pub fn auth(&self, key: &str, encoding: AuthEncoding) -> Option<AuthEntry> {
        let entry = self.auths_map()?.get(key)?.as_object()?;
        Some(decode_entry(key, entry, encoding))
    }

    /// Every entry, in file order, decoded as `encoding`'s program decodes it.
    pub fn auths(&self, encoding: AuthEncoding) -> Vec<AuthEntry> {
        self.auth_keys().into_iter().filter_map(|k| self.auth(k, encoding)).collect()
    }

    /// A top-level field, for code that reads other tools' settings.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.root.get(name)
    }

    /// Keys that appear twice in one object, as paths (`auths."ghcr.io"`).
    pub fn duplicate_keys(&self) -> &[String] {
        &self.duplicate_keys
    }

    /// Point `credHelpers[registry]` at `helper`. Returns the previous helper.
    pub fn set_cred_helper(&mut self, registry: &str, helper: &str) -> Option<String> {
        let helpers = object_field(&mut self.root, "credHelpers");
        helpers.insert(registry.to_owned(), Value::String(helper.to_owned())).and_then(into_string)
    }

    /// Remove `credHelpers[registry]`; an emptied `credHelpers` is removed too.
    pub fn remove_cred_helper(&mut self, registry: &str) -> Option<String> {
        let helpers = self.root.get_mut("credHelpers")?.as_object_mut()?;
        let old = helpers.shift_remove(registry).and_then(into_string);
        if helpers.is_empty() {
            self.root.shift_remove("credHelpers");
        }
        old
    }

    /// Set or clear `credsStore`. Returns the previous value.
    pub fn set_creds_store(&mut self, helper: Option<&str>) -> Option<String> {
        match helper {
            Some(h) => self.root.insert("credsStore".into(), Value::String(h.to_owned())),
            None => self.root.shift_remove("credsStore"),
        }
        .and_then(into_string)
    }

    /// Store a username and password under `key` as docker does (`auth` = base64 user:password), keeping
    /// any other fields of an existing entry.
    pub fn set_auth(&mut self, key: &str, username: &str, password: &Secret) {
        let auths = if self.legacy { &mut self.root } else { object_field(&mut self.root, "auths") };
        let entry = auths.entry(key.to_owned()).or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let entry = entry.as_object_mut().expect("made an object above");
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{}", password.expose()));
        entry.insert("auth".into(), Value::String(encoded));
        entry.shift_remove("username");
        entry.shift_remove("password");
    }

    /// Store an identity (OAuth refresh) token under `key` as docker does: `auth` holds `username:` with no
    /// password, `identitytoken` the token; other fields of an existing entry are kept.
    pub fn set_identity_token(&mut self, key: &str, username: &str, token: &Secret) {
        self.set_auth(key, username, &Secret::new(""));
        let auths = if self.legacy { &mut self.root } else { object_field(&mut self.root, "auths") };
        if let Some(entry) = auths.get_mut(key).and_then(Value::as_object_mut) {
            entry.insert("identitytoken".into(), Value::String(token.expose().to_owned()));
        }
    }

    /// Remove `auths[key]`. Returns whether it was there.
    pub fn remove_auth(&mut self, key: &str) -> bool {
        let auths = if self.legacy {
            Some(&mut self.root)
        } else {
            self.root.get_mut("auths").and_then(Value::as_object_mut)
        };
        auths.is_some_and(|m| m.shift_remove(key).is_some())
    }

    /// Remove the secret fields of `auths[key]` (`auth`, `username`, `password`, `identitytoken`,
    /// `registrytoken`), keeping any other field; an entry left with nothing else is removed. Returns
    /// whether the entry was there.
    pub fn remove_auth_secret(&mut self, key: &str) -> bool {
        let auths = if self.legacy {
            Some(&mut self.root)
        } else {
            self.root.get_mut("auths").and_then(Value::as_object_mut)
        };
        let Some(auths) = auths else { return false };
        let Some(entry) = auths.get_mut(key) else { return false };
        if let Some(fields) = entry.as_object_mut() {
            for field in ["auth", "username", "password", "identitytoken", "registrytoken"] {
                fields.shift_remove(field);
            }
            if !fields.is_empty() {
                return true;
            }
        }
        auths.shift_remove(key);
        true
    }

    /// The file's new bytes: the detected indentation, keys in their original order.
    pub fn to_bytes(&self) -> Vec<u8> {
        use serde::Serialize;
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(self.indent.as_bytes());
        let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
        self.root.serialize(&mut ser).expect("a JSON value always serialises");
        if self.trailing_newline {
            out.push(b'\n');
        }
        if self.crlf {
            // serde_json escapes any \n inside strings, so every raw \n here is a line end.
            out = String::from_utf8(out).expect("serde_json writes UTF-8").replace('\n', "\r\n").into_bytes();
        }
        out
    }
}

fn wrong_type(path: &Path, field: &str, expected: &'static str) -> ConfigError {
    ConfigError::WrongType { path: path.to_owned(), field: field.to_owned(), expected }
}

/// serde_json appends " at line L column C"; the error already carries both.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

fn into_string(v: Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// `root[name]` as an object, created (at the end) when missing or null.
fn object_field<'a>(root: &'a mut Map<String, Value>, name: &str) -> &'a mut Map<String, Value> {
    let slot = root.entry(name.to_owned()).or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut().expect("made an object above")
}

/// The indentation of the first indented line: a tab, or N spaces. Docker's tab when there is none.
fn detect_indent(bytes: &[u8]) -> String {
    for line in bytes.split(|b| *b == b'\n').skip(1) {
        let indent: Vec<u8> = line.iter().take_while(|b| **b == b' ' || **b == b'\t').copied().collect();
        if !indent.is_empty() && line.len() > indent.len() {
            return String::from_utf8(indent).unwrap_or_else(|_| "\t".into());
        }
    }
    "\t".into()
}

/// The fields of an `auths` entry an [`AuthEntry`] is made of, as strings (a field of another type is
/// absent): the one decoding shared by [`Document`] and the audit's read-only view (`config::read_only`).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct EntryFields<'a> {
    pub(super) auth: Option<&'a str>,
    pub(super) username: Option<&'a str>,
    pub(super) password: Option<&'a str>,
    pub(super) identity_token: Option<&'a str>,
    pub(super) registry_token: Option<&'a str>,
}

fn decode_entry(key: &str, entry: &Map<String, Value>, encoding: AuthEncoding) -> AuthEntry {
    let field = |name: &str| entry.get(name).and_then(Value::as_str);
    let fields = EntryFields {
        auth: field("auth"),
        username: field("username"),
        password: field("password"),
        identity_token: field("identitytoken"),
        registry_token: field("registrytoken"),
    };
    entry_from_fields(key, fields, encoding)
}

pub(super) fn entry_from_fields(key: &str, fields: EntryFields<'_>, encoding: AuthEncoding) -> AuthEntry {
    let secret = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(Secret::new);
    let mut out = AuthEntry {
        key: key.to_owned(),
        username: fields.username.filter(|s| !s.is_empty()).map(str::to_owned),
        password: secret(fields.password),
        identity_token: secret(fields.identity_token),
        registry_token: secret(fields.registry_token),
        problem: None,
    };
    // A decodable `auth` wins over separate username/password fields; one that does not decode leaves
    // them as they are (docker then uses them).
    if let Some(auth) = fields.auth.filter(|s| !s.is_empty()) {
        match auth_field::decode(auth, encoding) {
            Ok(Decoded::Pair(user, password)) => {
                out.username = Some(user);
                out.password = Some(password);
            }
            Ok(Decoded::Nothing) => {}
            Err(problem) => out.problem = Some(problem),
        }
    }
    out
}

#[cfg(test)]
#[path = "document_tests.rs"]
mod tests;
