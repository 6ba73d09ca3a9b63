//! The merged report's texts and JSON: a finding's message and fix as text (expanded from its report's
//! template where it carries one), the findings' texts as grouping sees them, and `Merged::write_json`
//! (schema 3), which carries each report's templates into its own `rules` instead of making them again.

use super::read::Said;
use super::{compact, Credential, Finding, Merged, Subject, TextView};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The credential, if one alone, at each host, place and registry.
type ByPlace<'a> = compact::PlaceMap<(&'a str, &'a str, &'a str), Option<usize>>;

/// What credential `c` lends a template's placeholders; `None` when its kind is not described.
fn subject<'a>(c: &'a Credential, kinds: &'a BTreeMap<String, String>) -> Option<Subject<'a>> {
    let kind = match c.kind.as_deref() {
        None => "credential",
        Some(name) => kinds.get(name)?,
    };
    Some(Subject { location: &c.location, registry: &c.registry, username: c.username.as_deref(), kind })
}

/// The findings' texts as grouping sees them: templates with the credential they speak of.
pub(super) struct Views<'a> {
    pub(super) credentials: &'a [(Option<String>, Credential)],
    pub(super) kinds: &'a BTreeMap<String, String>,
    pub(super) templates: &'a [String],
    /// The last kind looked up, and its description: findings come in runs of one kind.
    pub(super) last: Option<(&'a str, &'a str)>,
}

impl<'a> Views<'a> {
    pub(super) fn view(&mut self, said: &'a Said, credential: Option<usize>) -> TextView<'a> {
        let i = match said {
            Said::Text(text) => return TextView::Text(text),
            Said::Template(i) => *i,
        };
        let c = &self.credentials[credential.expect("a template speaks of a credential")].1;
        let kind = match (c.kind.as_deref(), self.last) {
            (None, _) => "credential",
            (Some(name), Some((last, description))) if last == name => description,
            (Some(name), _) => {
                let description = self.kinds.get(name).expect("its kind is described (merge)");
                self.last = Some((name, description));
                description
            }
        };
        let subject =
            Subject { location: &c.location, registry: &c.registry, username: c.username.as_deref(), kind };
        TextView::Template(&self.templates[i], subject)
    }
}

impl Merged {
    /// The merged report's JSON (schema 3), `schemaVersion` and `exitCode` first (`audit::json_out`).
    pub fn write_json<W: std::io::Write>(&self, exit_code: i32, out: W) -> std::io::Result<W> {
        // A finding is linked to the credential its host, place and registry name alone. A finding that
        // names its credential already (a report's, whose host no other report names) is looked up in
        // `alone`; the others in this map, made when the first of them comes.
        let mut by_place: Option<ByPlace<'_>> = None;
        let mut place_map = || {
            let mut map = compact::PlaceMap::default();
            map.reserve(self.credentials.len());
            for (i, c) in self.credentials.iter().enumerate() {
                let key = (c.host.as_str(), c.location.as_str(), c.registry.as_str());
                map.entry(key).and_modify(|seen| *seen = None).or_insert(Some(i));
            }
            map
        };
        let mut tables = compact::Tables::default();
        let mut kinds = BTreeMap::new();
        // Which templates can be carried as they are (no braces of their own), found once each.
        let plain: Vec<bool> = self.templates.iter().map(|t| compact::is_plain(t)).collect();
        let findings: Vec<compact::Out<'_>> = self
            .findings
            .iter()
            .map(|f| {
                let head = compact::Head {
                    severity: f.severity,
                    code: &f.code,
                    host: Some(&f.host),
                    location: &f.location,
                    registry: f.registry.as_deref(),
                };
                let linked = match f.credential.map(|i| (i, self.alone[i])) {
                    Some((i, Some(alone))) => alone.then_some(i),
                    _ => f.registry.as_deref().and_then(|r| {
                        let by_place = by_place.get_or_insert_with(&mut place_map);
                        by_place.get(&(f.host.as_str(), f.location.as_str(), r)).copied().flatten()
                    }),
                };
                let subject = linked.and_then(|i| {
                    let c = &self.credentials[i];
                    let subject = subject(c, &self.kinds)?;
                    if let Some(name) = c.kind.as_deref() {
                        kinds.insert(name, subject.kind);
                    }
                    Some((i, subject))
                });
                // A report's templates of this very credential: carried, not expanded and made again.
                if let (Some((i, _)), Said::Template(m), Said::Template(x)) = (subject, &f.message, &f.fix) {
                    if f.credential == Some(i)
                        && plain[*m]
                        && plain[*x]
                        && compact::PER_CREDENTIAL.contains(&&*f.code)
                    {
                        return tables.add_templates(head, i, &self.templates[*m], &self.templates[*x]);
                    }
                }
                tables.add(head, (f.message(self), f.fix(self)), subject)
            })
            .collect();
        let mut o = crate::audit::json_out::Object::begin(out)?;
        o.field("schemaVersion", &crate::audit::SCHEMA_VERSION)?;
        o.field("exitCode", &exit_code)?;
        o.array("reports", &self.reports)?;
        o.field("hosts", &self.hosts)?;
        o.field("summary", &self.summary)?;
        o.array("groups", &self.groups)?;
        o.array("sharedCredentials", &self.shared_credentials)?;
        o.field("fingerprintKeyIds", &self.fingerprint_key_ids)?;
        o.field("reportsWithoutFingerprints", &self.reports_without_fingerprints)?;
        o.array_with("credentials", &self.credentials, |buf, c| {
            crate::audit::json_fields::merged_credential(buf, c);
            Ok(())
        })?;
        crate::audit::compact::write_findings(&mut o, &kinds, &tables, &findings)?;
        o.end()
    }
}

impl Merged {
    /// A finding's message or fix as text.
    pub(super) fn text<'a>(&'a self, f: &Finding, said: &'a Said) -> Cow<'a, str> {
        match said {
            Said::Text(text) => Cow::Borrowed(text),
            Said::Template(i) => {
                let c = &self.credentials[f.credential.expect("a template speaks of a credential")];
                let subject = subject(c, &self.kinds).expect("its kind is described (merge)");
                Cow::Owned(compact::expand(&self.templates[*i], &subject))
            }
        }
    }
}
