//! Reading one report of any schema for `audit merge`: typed serde views that keep only what the merge
//! uses, and (schema 3) every finding's place and texts resolved from its credential and its rule's tables.

use super::super::compact;
use super::super::findings::Severity;
use super::REPORT_LIMIT;
use regauth_core::fsread;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// What the merge reads of a report; everything else in it is ignored.
/// Schema 3 says each text once (`kinds`, `rules`; a finding names its credential by index and its texts
/// by index, see `audit::compact`); schema 2 (`schemaVersion`) is camelCase with every text in every
/// finding; a report without `schemaVersion` is schema 1, snake_case (regauth before it): the aliases read
/// both. [`resolve`] gives every finding its place and texts back, whatever the schema.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReportIn {
    schema_version: Option<u64>,
    host: Option<String>,
    #[serde(alias = "fingerprint_key_id")]
    fingerprint_key_id: Option<String>,
    #[serde(default)]
    users: Vec<serde::de::IgnoredAny>,
    credentials: Vec<CredentialIn>,
    /// Schema 3: kind name -> description, for `{credential}` in the rules' texts.
    #[serde(default)]
    kinds: BTreeMap<String, String>,
    /// Schema 3: each rule's distinct messages and fixes.
    #[serde(default)]
    rules: BTreeMap<String, RuleIn>,
    findings: Vec<FindingIn>,
}

#[derive(Debug, Deserialize)]
struct RuleIn {
    #[serde(default)]
    messages: Vec<String>,
    #[serde(default)]
    fixes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CredentialIn {
    pub(super) location: String,
    pub(super) registry: String,
    pub(super) username: Option<String>,
    pub(super) storage: String,
    pub(super) place: Option<String>,
    pub(super) kind: Option<String>,
    #[serde(alias = "expires_at")]
    pub(super) expires_at: Option<i64>,
    pub(super) fingerprint: Option<String>,
}

/// A finding as a report of any schema says it: its place or (schema 3) its credential's index, its texts
/// or (schema 3) their indexes in its rule's tables.
#[derive(Debug, Deserialize)]
struct FindingIn {
    severity: Severity,
    code: String,
    location: Option<String>,
    registry: Option<String>,
    credential: Option<usize>,
    message: TextIn,
    fix: TextIn,
}

/// A finding's text, or its index in its rule's table.
#[derive(Debug)]
enum TextIn {
    Text(String),
    Index(usize),
}

impl<'de> Deserialize<'de> for TextIn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<TextIn, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = TextIn;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or an index")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<TextIn, E> {
                Ok(TextIn::Text(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<TextIn, E> {
                Ok(TextIn::Text(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<TextIn, E> {
                usize::try_from(v).map(TextIn::Index).map_err(|_| E::custom("an index out of range"))
            }
        }
        d.deserialize_any(V)
    }
}

/// A finding's message or fix as read: its text, or (a finding that names its credential) a template.
#[derive(Debug)]
pub(super) enum Said {
    Text(String),
    /// An index into the report's `templates` (the merged report's, once merged).
    Template(usize),
}

/// A report's finding with its place and texts.
#[derive(Debug)]
pub(super) struct FindingText {
    pub(super) severity: Severity,
    pub(super) code: String,
    pub(super) location: String,
    pub(super) registry: Option<String>,
    /// The credential it names (schema 3), by its index in the report: its texts are templates of it.
    pub(super) credential: Option<usize>,
    pub(super) message: Said,
    pub(super) fix: Said,
}

/// A report read, its findings resolved.
#[derive(Debug)]
pub(super) struct Read {
    pub(super) host: Option<String>,
    pub(super) fingerprint_key_id: Option<String>,
    pub(super) users: usize,
    pub(super) credentials: Vec<CredentialIn>,
    pub(super) kinds: BTreeMap<String, String>,
    /// The templates its findings' texts name (`Said::Template`), each of one rule's messages or fixes.
    pub(super) templates: Vec<String>,
    pub(super) findings: Vec<FindingText>,
    /// Whether each credential is the only one of the report at its place and registry (a finding about
    /// it stays linked to it when its host is in no other report).
    pub(super) alone: Vec<bool>,
}

pub(super) fn read(file: &Path) -> Result<Read, String> {
    let contents = fsread::read_regular(file, REPORT_LIMIT).map_err(|e| e.to_string())?;
    parse(&contents.bytes).map_err(|e| format!("{}: {e}", file.display()))
}

/// One report's JSON: schema 3 or 2, or schema 1 (no `schemaVersion`, snake_case keys).
pub(super) fn parse(bytes: &[u8]) -> Result<Read, String> {
    // UTF-8 checked once for the whole report rather than string by string (the same errors: a report
    // that is not UTF-8 is parsed from bytes, for serde_json's own words and position).
    let report: Result<ReportIn, _> = match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(bytes),
    };
    let report = report.map_err(|e| format!("not a regauth audit --json report: {e}"))?;
    match report.schema_version {
        Some(v) if v > u64::from(super::super::SCHEMA_VERSION) => Err(format!(
            "a report of schema {v}, made by a newer regauth (this one reads schemas 1 to {})",
            super::super::SCHEMA_VERSION
        )),
        _ => resolve(report).map_err(|e| format!("not a regauth audit --json report: {e}")),
    }
}

/// Every finding's place, from its credential when it names one (its texts then stay templates of that
/// credential: `audit merge` carries them, and expands them only where it needs the text).
fn resolve(report: ReportIn) -> Result<Read, String> {
    let ReportIn { host, fingerprint_key_id, users, credentials, mut kinds, rules, findings, .. } = report;
    for c in &credentials {
        let Some(kind) = c.kind.as_deref() else { continue };
        if !kinds.contains_key(kind) {
            if let Some(known) = super::super::token_kind::TokenKind::from_name(kind) {
                kinds.insert(kind.to_owned(), known.describe().to_owned());
            }
        }
    }
    // Each rule's texts, in one list: a rule's messages from its first index, then its fixes.
    let mut templates = Vec::new();
    let mut tables = BTreeMap::new();
    for (code, rule) in rules {
        let (messages, fixes) = (templates.len(), templates.len() + rule.messages.len());
        tables.insert(code, (messages, rule.messages.len(), fixes, rule.fixes.len()));
        templates.extend(rule.messages);
        templates.extend(rule.fixes);
    }
    let mut out = Vec::with_capacity(findings.len());
    for (n, f) in findings.into_iter().enumerate() {
        let table = tables.get(&f.code);
        let index = |t: &TextIn, which: &str| -> Result<Option<usize>, String> {
            let TextIn::Index(i) = *t else { return Ok(None) };
            let (start, len) = match (table, which) {
                (Some(&(start, len, _, _)), "message") | (Some(&(_, _, start, len)), _) => (start, len),
                (None, _) => (0, 0),
            };
            (i < len)
                .then_some(Some(start + i))
                .ok_or_else(|| format!("finding {n}: no {which} {i} in rules.{:?}", f.code))
        };
        let (message, fix) = (index(&f.message, "message")?, index(&f.fix, "fix")?);
        let mut said = |t: TextIn, index: Option<usize>, linked: bool| match (t, index) {
            (_, Some(i)) if linked => Said::Template(i),
            (_, Some(i)) => Said::Text(templates[i].clone()),
            (TextIn::Text(text), _) if linked => {
                templates.push(text);
                Said::Template(templates.len() - 1)
            }
            (TextIn::Text(text), _) => Said::Text(text),
            (TextIn::Index(_), None) => unreachable!("an index is resolved above"),
        };
        let finding = match (f.credential, f.location) {
            (Some(i), _) => {
                let c = credentials.get(i).ok_or_else(|| format!("finding {n}: no credential {i}"))?;
                if let Some(kind) = c.kind.as_deref() {
                    if !kinds.contains_key(kind) {
                        return Err(format!("finding {n}: kind {kind:?} is not described in kinds"));
                    }
                }
                FindingText {
                    severity: f.severity,
                    location: c.location.clone(),
                    registry: Some(c.registry.clone()),
                    credential: Some(i),
                    message: said(f.message, message, true),
                    fix: said(f.fix, fix, true),
                    code: f.code,
                }
            }
            (None, Some(location)) => FindingText {
                severity: f.severity,
                location,
                registry: f.registry,
                credential: None,
                message: said(f.message, message, false),
                fix: said(f.fix, fix, false),
                code: f.code,
            },
            (None, None) => return Err(format!("finding {n} has neither a location nor a credential")),
        };
        out.push(finding);
    }
    let mut by_place: compact::PlaceMap<(&str, &str), Option<usize>> = compact::PlaceMap::default();
    for (i, c) in credentials.iter().enumerate() {
        by_place.entry((&c.location, &c.registry)).and_modify(|seen| *seen = None).or_insert(Some(i));
    }
    let alone = (0..credentials.len())
        .map(|i| by_place[&(credentials[i].location.as_str(), credentials[i].registry.as_str())] == Some(i))
        .collect();
    drop(by_place);
    let users = users.len();
    Ok(Read { host, fingerprint_key_id, users, credentials, kinds, templates, findings: out, alone })
}
