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
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

#[path = "compact_text.rs"]
mod text;

pub use text::{expand, is_plain, says};

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

/// What a finding says besides its message and fix, to be written.
#[derive(Debug, Clone, Copy)]
pub struct Head<'a> {
    pub severity: Severity,
    pub code: &'a str,
    /// The machine (`audit merge`).
    pub host: Option<&'a str>,
    pub location: &'a str,
    pub registry: Option<&'a str>,
}

/// One finding as written: its credential's index, or its place; its texts' indexes.
#[derive(Debug)]
pub struct Out<'a> {
    text: Head<'a>,
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

impl Out<'_> {
    /// What its `Serialize` writes, at depth 2 (`audit::json_fields`).
    pub fn write_json(&self, buf: &mut Vec<u8>) {
        let mut o = super::json_fields::Fields::begin(buf);
        o.str("severity", self.text.severity.name());
        o.str("code", self.text.code);
        match self.credential {
            Some(i) => o.uint("credential", i as u64),
            None => {
                if let Some(host) = self.text.host {
                    o.str("host", host);
                }
                o.str("location", self.text.location);
                if let Some(registry) = self.text.registry {
                    o.str("registry", registry);
                }
            }
        }
        o.uint("message", self.message as u64);
        o.uint("fix", self.fix as u64);
        o.end();
    }
}

/// One rule's distinct texts.
#[derive(Debug, Default)]
struct Table<'a> {
    messages: Texts<'a>,
    fixes: Texts<'a>,
}

impl Serialize for Table<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Rule", 2)?;
        st.serialize_field("messages", &self.messages.all)?;
        st.serialize_field("fixes", &self.fixes.all)?;
        st.end()
    }
}

/// Distinct texts in order of first use: templates tried against a credential's texts (the last one
/// used first), literal texts looked up. A text the report holds is borrowed, not copied: a cluster's
/// 100,000 findings each say their own place, and two copies of each (list and lookup) were a quarter of
/// the audit's peak memory.
#[derive(Debug, Default)]
struct Texts<'a> {
    all: Vec<Cow<'a, str>>,
    literal: HashMap<Cow<'a, str>, usize>,
    /// Templates (texts with placeholders) by index into `all`, each with its pieces, most recently used
    /// last.
    templates: Vec<(usize, text::Compiled)>,
}

/// How many templates of one kind of text are tried before making one (and looking it up).
const TRIED: usize = 8;

impl<'a> Texts<'a> {
    /// `text`'s index, added when new.
    fn index(&mut self, text: Cow<'a, str>) -> usize {
        if let Some(&i) = self.literal.get(&*text) {
            return i;
        }
        // Free for a borrowed text; an owned one (a template, a merged report's text) is copied.
        self.literal.insert(text.clone(), self.all.len());
        self.all.push(text);
        self.all.len() - 1
    }

    fn literal(&mut self, text: Cow<'a, str>) -> usize {
        self.index(text)
    }

    /// Text `i`, a template, used last.
    fn used(&mut self, i: usize) -> usize {
        match self.templates.iter().rposition(|&(t, _)| t == i) {
            Some(at) if at + 1 == self.templates.len() => {}
            Some(at) => {
                let template = self.templates.remove(at);
                self.templates.push(template);
            }
            None => self.templates.push((i, text::Compiled::of(&self.all[i]))),
        }
        i
    }

    /// `text` as a template for `subject`, or `None` when no template gives it back.
    fn template(&mut self, text: &str, subject: &Subject<'_>, host: &mut Option<String>) -> Option<usize> {
        for n in 0..self.templates.len().min(TRIED) {
            let at = self.templates.len() - 1 - n;
            let (i, compiled) = &self.templates[at];
            if compiled.matches(&self.all[*i], subject, text, host) {
                let template = self.templates.remove(at);
                let i = template.0;
                self.templates.push(template);
                return Some(i);
            }
        }
        let template = text::make_template(text, subject, host)?;
        let i = self.index(Cow::Owned(template));
        Some(self.used(i))
    }

    /// A template carried as it is (`audit merge`): its index, as [`Texts::template`] gives it for the
    /// text it expands to when that text's own template is this one.
    fn carry(&mut self, template: &'a str) -> usize {
        if let Some(&(i, _)) = self.templates.last() {
            if self.all[i] == template {
                return i;
            }
        }
        let i = self.index(Cow::Borrowed(template));
        self.used(i)
    }
}

/// The `rules` and `findings` of a schema 3 report, built finding by finding; texts borrowed for `'a`.
#[derive(Debug, Default)]
pub struct Tables<'a> {
    rules: BTreeMap<String, Table<'a>>,
}

impl<'a> Tables<'a> {
    fn table(&mut self, code: &str) -> &mut Table<'a> {
        if !self.rules.contains_key(code) {
            self.rules.insert(code.to_owned(), Table::default());
        }
        self.rules.get_mut(code).expect("inserted above")
    }

    /// Add a finding with its texts; `subject`: the credential it is about (its index), when it names one.
    pub fn add<M: Into<Cow<'a, str>>, F: Into<Cow<'a, str>>>(
        &mut self,
        head: Head<'a>,
        (message, fix): (M, F),
        subject: Option<(usize, Subject<'_>)>,
    ) -> Out<'a> {
        let (message, fix) = (message.into(), fix.into());
        let table = self.table(head.code);
        if let Some((index, subject)) = subject.filter(|_| PER_CREDENTIAL.contains(&head.code)) {
            let mut host = None;
            let message = table.messages.template(&message, &subject, &mut host);
            let fix = message.and_then(|_| table.fixes.template(&fix, &subject, &mut host));
            if let (Some(message), Some(fix)) = (message, fix) {
                return Out { text: head, credential: Some(index), message, fix };
            }
        }
        let message = table.messages.literal(message);
        let fix = table.fixes.literal(fix);
        Out { text: head, credential: None, message, fix }
    }

    /// Add a finding about credential `index` whose message and fix are templates already ([`is_plain`]
    /// ones, a schema 3 report's, carried by `audit merge` instead of expanded and made again): each is
    /// said once, in order of first use, as [`Tables::add`] says the texts they expand to.
    pub fn add_templates(&mut self, head: Head<'a>, index: usize, message: &'a str, fix: &'a str) -> Out<'a> {
        let table = self.table(head.code);
        let message = table.messages.carry(message);
        let fix = table.fixes.carry(fix);
        Out { text: head, credential: Some(index), message, fix }
    }
}

impl Serialize for Tables<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.rules.len()))?;
        for (code, table) in &self.rules {
            map.serialize_entry(code, table)?;
        }
        map.end()
    }
}

/// `kinds`, `rules` and `findings`, in that order, into a report being written: a reader meets the tables
/// before the indexes into them. The one place the audit's and the merge's writers say so.
pub fn write_findings<W: std::io::Write>(
    o: &mut super::json_out::Object<W>,
    kinds: &impl Serialize,
    tables: &Tables<'_>,
    findings: &[Out<'_>],
) -> std::io::Result<()> {
    o.field("kinds", kinds)?;
    o.field("rules", tables)?;
    o.array_with("findings", findings, |buf, f| {
        f.write_json(buf);
        Ok(())
    })
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
        let head = Head {
            severity: Severity::High,
            code: "plaintext-credential",
            host: None,
            location: s.location,
            registry: Some(s.registry),
        };
        let a = tables.add(
            head,
            (
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
        let b = tables.add(
            Head { registry: Some("q.io"), ..head },
            ("GitHub token for q.io is stored unencrypted in /h/.docker/config.json", "migrate q.io"),
            Some((1, other)),
        );
        assert_eq!((b.credential, b.message, b.fix), (Some(1), 0, 0), "the same templates serve");
        // Braces of its own, or a rule not about one credential: literal, with its place.
        let c = tables.add(head, ("odd {text}", "f"), Some((2, s)));
        assert_eq!(c.credential, None);
        let d = tables.add(Head { code: "readable-by-others", ..head }, ("m /h", "chmod"), Some((0, s)));
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
    fn a_finding_is_written_as_its_serialize_writes_it() {
        let mut tables = Tables::default();
        let s = subject();
        let head = Head {
            severity: Severity::Medium,
            code: "plaintext-credential",
            host: Some("h\"1"),
            location: s.location,
            registry: Some(s.registry),
        };
        let linked = tables.add_templates(head, 12, "{credential} in {location}", "f");
        let at_place = tables.add(head, ("m", "f"), None);
        let bare = tables.add(Head { host: None, registry: None, ..head }, ("m2", "f2"), None);
        assert_eq!((linked.message, at_place.message, bare.message), (0, 1, 2));
        assert_eq!(
            (linked.fix, at_place.fix, bare.fix),
            (0, 0, 1),
            "a carried template and a text, said once"
        );
        for out in [linked, at_place, bare] {
            let mut buf = Vec::new();
            out.write_json(&mut buf);
            let text = serde_json::to_string_pretty(&serde_json::json!({ "a": [out] })).unwrap();
            let want = &text[text.find("    {").unwrap() + 4..text.rfind("\n  ]").unwrap()];
            assert_eq!(String::from_utf8(buf).unwrap(), want);
        }
    }

    #[test]
    fn only_templates_without_braces_of_their_own_are_carried() {
        assert!(is_plain(
            "{credential} is stored unencrypted in {location}; `docker login {host}` {registry}"
        ));
        assert!(is_plain(""));
        assert!(!is_plain("{x} {credential}"));
        assert!(!is_plain("{credential} }"));
        let s = subject();
        assert!(says(
            "{credential} at {location}",
            &s,
            "GitHub token for r.io (user u) at /h/.docker/config.json"
        ));
        assert!(!says(
            "{credential} at {location}",
            &s,
            "GitHub token for r.io (user u) at /h/.docker/config.jso"
        ));
        assert!(!says("{registry}", &s, "r.io "));
    }

    #[test]
    fn a_text_no_template_gives_back_stays_literal() {
        // The registry is part of the place: replacing both would not give the text back.
        let s = Subject { location: "/r.io", registry: "r.io", username: None, kind: "credential" };
        let mut host = None;
        let template = text::make_template("credential for r.io in /r.io", &s, &mut host);
        assert_eq!(template.map(|t| expand(&t, &s)).as_deref(), Some("credential for r.io in /r.io"));
        let s = Subject { location: "", registry: "", username: None, kind: "credential" };
        assert_eq!(text::make_template("x", &s, &mut None).as_deref(), Some("x"));
    }
}
