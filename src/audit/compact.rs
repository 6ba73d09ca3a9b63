//! The findings of the audit's JSON (schema 3), each long text said once: a finding about one credential
//! names it by its index in `credentials` (its place, registry and user are said there, once), and every
//! finding's message and fix are indexes into its rule's tables (`rules.CODE.messages`, `.fixes`), which
//! hold each distinct text once. In a text of a finding that names a credential, `{credential}`,
//! `{location}`, `{registry}` and `{host}` stand for that credential's description (`KIND for REGISTRY (user
//! USER)`, the kind as `kinds` describes it, `credential` when it has none; ` (user USER)` only with a
//! user), place, registry and registry host. 100,000 plaintext credentials then share one message and a
//! hundred fixes instead of repeating ~600 bytes each.
//!
//! [`Tables::add`] turns a finding's texts into templates (checked: a template is kept only when it gives
//! the text back, byte for byte, else the finding is written with its place and literal texts), and
//! [`expand`] gives them back (`audit merge`, reading a schema 3 report).

use super::findings::Severity;
use serde::ser::{SerializeMap, SerializeStruct, Serializer};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// A map keyed by places and registries, with a multiply-and-rotate hash (FxHash's): the report's writer
/// looks 100,000 findings up by their place, where SipHash's cost showed; nothing here is an attacker's
/// choice of collisions that matters (a slow lookup at worst).
pub type PlaceMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

#[derive(Default)]
pub struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The rules whose findings are about one credential and say so in their texts: linked to it.
pub const PER_CREDENTIAL: &[&str] =
    &["plaintext-credential", "expired-credential", "unreadable-auth", "credential-in-environment"];

/// What a credential lends the texts of a finding about it.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub location: &'a str,
    pub registry: &'a str,
    pub username: Option<&'a str>,
    /// The kind's description; `credential` when the kind is not known.
    pub kind: &'a str,
}

/// A finding as text, to be written.
#[derive(Debug, Clone, Copy)]
pub struct Text<'a> {
    pub severity: Severity,
    pub code: &'a str,
    /// The machine (`audit merge`).
    pub host: Option<&'a str>,
    pub location: &'a str,
    pub registry: Option<&'a str>,
    pub message: &'a str,
    pub fix: &'a str,
}

/// One finding as written: its credential's index, or its place; its texts' indexes.
#[derive(Debug)]
pub struct Out<'a> {
    text: Text<'a>,
    credential: Option<usize>,
    message: usize,
    fix: usize,
}

impl Serialize for Out<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("severity", &self.text.severity)?;
        map.serialize_entry("code", self.text.code)?;
        match self.credential {
            Some(i) => map.serialize_entry("credential", &i)?,
            None => {
                if let Some(host) = self.text.host {
                    map.serialize_entry("host", host)?;
                }
                map.serialize_entry("location", self.text.location)?;
                if let Some(registry) = self.text.registry {
                    map.serialize_entry("registry", registry)?;
                }
            }
        }
        map.serialize_entry("message", &self.message)?;
        map.serialize_entry("fix", &self.fix)?;
        map.end()
    }
}

/// One rule's distinct texts.
#[derive(Debug, Default)]
struct Table {
    messages: Texts,
    fixes: Texts,
}

impl Serialize for Table {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Rule", 2)?;
        st.serialize_field("messages", &self.messages.all)?;
        st.serialize_field("fixes", &self.fixes.all)?;
        st.end()
    }
}

/// Distinct texts in order of first use: templates tried against a credential's texts (the last one
/// used first), literal texts looked up.
#[derive(Debug, Default)]
struct Texts {
    all: Vec<String>,
    literal: HashMap<String, usize>,
    /// Indexes of templates (texts with placeholders), most recently used last.
    templates: Vec<usize>,
}

/// How many templates of one kind of text are tried before making one (and looking it up).
const TRIED: usize = 8;

impl Texts {
    fn literal(&mut self, text: &str) -> usize {
        if let Some(&i) = self.literal.get(text) {
            return i;
        }
        self.all.push(text.to_owned());
        self.literal.insert(text.to_owned(), self.all.len() - 1);
        self.all.len() - 1
    }

    /// `text` as a template for `subject`, or `None` when no template gives it back.
    fn template(&mut self, text: &str, subject: &Subject<'_>, host: &mut Option<String>) -> Option<usize> {
        for (n, &i) in self.templates.iter().rev().take(TRIED).enumerate() {
            if matches(&self.all[i], subject, text, host) {
                let at = self.templates.len() - 1 - n;
                let i = self.templates.remove(at);
                self.templates.push(i);
                return Some(i);
            }
        }
        let template = make_template(text, subject, host)?;
        let i = match self.literal.get(&template) {
            Some(&i) => i,
            None => {
                self.all.push(template.clone());
                self.literal.insert(template, self.all.len() - 1);
                self.all.len() - 1
            }
        };
        self.templates.retain(|&t| t != i);
        self.templates.push(i);
        Some(i)
    }
}

/// The `rules` and `findings` of a schema 3 report, built finding by finding.
#[derive(Debug, Default)]
pub struct Tables {
    rules: BTreeMap<String, Table>,
}

impl Tables {
    /// Add a finding; `subject`: the credential it is about (its index), when it names one.
    pub fn add<'a>(&mut self, text: Text<'a>, subject: Option<(usize, Subject<'_>)>) -> Out<'a> {
        if !self.rules.contains_key(text.code) {
            self.rules.insert(text.code.to_owned(), Table::default());
        }
        let table = self.rules.get_mut(text.code).expect("inserted above");
        if let Some((index, subject)) = subject.filter(|_| PER_CREDENTIAL.contains(&text.code)) {
            let mut host = None;
            let message = table.messages.template(text.message, &subject, &mut host);
            let fix = message.and_then(|_| table.fixes.template(text.fix, &subject, &mut host));
            if let (Some(message), Some(fix)) = (message, fix) {
                return Out { text, credential: Some(index), message, fix };
            }
        }
        let message = table.messages.literal(text.message);
        let fix = table.fixes.literal(text.fix);
        Out { text, credential: None, message, fix }
    }
}

impl Serialize for Tables {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.rules.len()))?;
        for (code, table) in &self.rules {
            map.serialize_entry(code, table)?;
        }
        map.end()
    }
}

const PLACEHOLDERS: [(&str, Piece); 4] = [
    ("{credential}", Piece::Credential),
    ("{location}", Piece::Location),
    ("{registry}", Piece::Registry),
    ("{host}", Piece::Host),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    Credential,
    Location,
    Registry,
    Host,
}

/// A template's pieces: literal text and placeholders, in order.
fn pieces(template: &str) -> impl Iterator<Item = Result<&str, Piece>> {
    let mut rest = template;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        if let Some((name, piece)) = PLACEHOLDERS.iter().find(|(name, _)| rest.starts_with(name)) {
            rest = &rest[name.len()..];
            return Some(Err(*piece));
        }
        // `{` is ASCII: no byte of another character is one, so its byte offset is a character boundary.
        let end = rest.as_bytes()[1..].iter().position(|&b| b == b'{').map_or(rest.len(), |i| i + 1);
        let (text, tail) = rest.split_at(end);
        rest = tail;
        Some(Ok(text))
    })
}

fn host_of(registry: &str) -> String {
    regauth_core::registry::RegistryHost::new(registry).to_string()
}

/// What a template says of `subject`.
pub fn expand(template: &str, subject: &Subject<'_>) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    for piece in pieces(template) {
        match piece {
            Ok(text) => out.push_str(text),
            Err(Piece::Credential) => {
                out.push_str(subject.kind);
                out.push_str(" for ");
                out.push_str(subject.registry);
                if let Some(user) = subject.username {
                    out.push_str(" (user ");
                    out.push_str(user);
                    out.push(')');
                }
            }
            Err(Piece::Location) => out.push_str(subject.location),
            Err(Piece::Registry) => out.push_str(subject.registry),
            Err(Piece::Host) => out.push_str(&host_of(subject.registry)),
        }
    }
    out
}

/// Whether `template` says `text` of `subject`, without building it.
fn matches(template: &str, subject: &Subject<'_>, text: &str, host: &mut Option<String>) -> bool {
    let mut rest = text;
    let eat = |piece: &str, rest: &mut &str| match rest.strip_prefix(piece) {
        Some(tail) => {
            *rest = tail;
            true
        }
        None => false,
    };
    for piece in pieces(template) {
        let ok = match piece {
            Ok(literal) => eat(literal, &mut rest),
            Err(Piece::Credential) => {
                eat(subject.kind, &mut rest)
                    && eat(" for ", &mut rest)
                    && eat(subject.registry, &mut rest)
                    && subject.username.is_none_or(|user| {
                        eat(" (user ", &mut rest) && eat(user, &mut rest) && eat(")", &mut rest)
                    })
            }
            Err(Piece::Location) => eat(subject.location, &mut rest),
            Err(Piece::Registry) => eat(subject.registry, &mut rest),
            Err(Piece::Host) => eat(host.get_or_insert_with(|| host_of(subject.registry)), &mut rest),
        };
        if !ok {
            return false;
        }
    }
    rest.is_empty()
}

/// `text` with what `subject` lends it replaced by placeholders, when that gives it back exactly (a text
/// with braces of its own is never a template).
fn make_template(text: &str, subject: &Subject<'_>, host: &mut Option<String>) -> Option<String> {
    if text.contains(['{', '}']) {
        return None;
    }
    let credential = expand("{credential}", subject);
    let host = host.get_or_insert_with(|| host_of(subject.registry)).clone();
    let mut template = text.replace(&credential, "{credential}");
    for (value, name) in
        [(subject.location, "{location}"), (subject.registry, "{registry}"), (&host, "{host}")]
    {
        if !value.is_empty() && !value.contains(['{', '}']) {
            template = template.replace(value, name);
        }
    }
    (expand(&template, subject) == text).then_some(template)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject() -> Subject<'static> {
        Subject {
            location: "/h/.docker/config.json",
            registry: "r.io",
            username: Some("u"),
            kind: "GitHub token",
        }
    }

    #[test]
    fn templates_give_each_text_back() {
        let mut tables = Tables::default();
        let s = subject();
        let text = |message: &'static str, fix: &'static str| Text {
            severity: Severity::High,
            code: "plaintext-credential",
            host: None,
            location: s.location,
            registry: Some(s.registry),
            message,
            fix,
        };
        let a = tables.add(
            text(
                "GitHub token for r.io (user u) is stored unencrypted in /h/.docker/config.json",
                "migrate r.io",
            ),
            Some((0, s)),
        );
        assert_eq!((a.credential, a.message, a.fix), (Some(0), 0, 0));
        let table = &tables.rules["plaintext-credential"];
        assert_eq!(table.messages.all[0], "{credential} is stored unencrypted in {location}");
        assert_eq!(table.fixes.all[0], "migrate {registry}");
        let other = Subject { registry: "q.io", username: None, ..s };
        let text_b = Text { registry: Some("q.io"), ..text("", "migrate q.io") };
        let b = tables.add(
            Text {
                message: "GitHub token for q.io is stored unencrypted in /h/.docker/config.json",
                ..text_b
            },
            Some((1, other)),
        );
        assert_eq!((b.credential, b.message, b.fix), (Some(1), 0, 0), "the same templates serve");
        // Braces of its own, or a rule not about one credential: literal, with its place.
        let c = tables.add(text("odd {text}", "f"), Some((2, s)));
        assert_eq!(c.credential, None);
        let d = tables.add(Text { code: "readable-by-others", ..text("m /h", "chmod") }, Some((0, s)));
        assert_eq!(d.credential, None);
        for (template, want) in [
            (
                "{credential} is stored unencrypted in {location}",
                "GitHub token for r.io (user u) is stored unencrypted in /h/.docker/config.json",
            ),
            ("`docker login {host}` {registry}{location}", "`docker login r.io` r.io/h/.docker/config.json"),
            ("no placeholder {x} here", "no placeholder {x} here"),
        ] {
            assert_eq!(expand(template, &s), want);
        }
    }

    #[test]
    fn a_text_no_template_gives_back_stays_literal() {
        // The registry is part of the place: replacing both would not give the text back.
        let s = Subject { location: "/r.io", registry: "r.io", username: None, kind: "credential" };
        let mut host = None;
        let template = make_template("credential for r.io in /r.io", &s, &mut host);
        assert_eq!(template.map(|t| expand(&t, &s)).as_deref(), Some("credential for r.io in /r.io"));
        let s = Subject { location: "", registry: "", username: None, kind: "credential" };
        assert_eq!(make_template("x", &s, &mut None).as_deref(), Some("x"));
    }
}
