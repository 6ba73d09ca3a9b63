//! `regauth audit merge REPORT.json...`: one report from the `--json` reports of many machines. Each
//! report is read through `fsread` (no link followed, a regular file, at most [`REPORT_LIMIT`]) into typed
//! views that keep only what the merge uses; a report that cannot be read or parsed is listed with its error
//! and the others are merged. Findings are grouped by rule and place across machines, and credentials are
//! correlated by their keyed fingerprint (reports made with the same `--fingerprint-key`).

use super::compact::{self, Subject};
use super::findings::Severity;
use super::summary::{self, FindingView, Group, Item, Summary, TextView};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[path = "merge_read.rs"]
mod read;
#[path = "merge_write.rs"]
mod write;

use read::{parse, read, Read, Said};
use write::Views;

/// The most read of one report: an audit of 100,000 entries is some 60 MiB of pretty JSON.
pub const REPORT_LIMIT: u64 = 256 * 1024 * 1024;

/// One input report.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    pub file: String,
    /// The host the report names (`unknown` when it names none).
    pub host: Option<String>,
    pub credentials: usize,
    pub findings: usize,
    pub users: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint_key_id: Option<String>,
    /// Why the report was not merged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A credential of one machine.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Credential {
    pub host: String,
    pub location: String,
    pub registry: String,
    pub username: Option<String>,
    pub storage: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    pub kind: Option<String>,
    pub expires_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

/// A finding of one machine. Its message and fix are texts, or (a schema 3 report's finding about one
/// credential) its report's templates of that credential, carried as they are: [`Finding::message`] and
/// [`Finding::fix`] give the text.
#[derive(Debug)]
pub struct Finding {
    pub host: String,
    pub severity: Severity,
    pub code: String,
    pub location: String,
    pub registry: Option<String>,
    /// The credential its templates speak of (an index into [`Merged::credentials`]).
    credential: Option<usize>,
    message: Said,
    fix: Said,
}

impl Finding {
    pub fn message<'a>(&'a self, merged: &'a Merged) -> Cow<'a, str> {
        merged.text(self, &self.message)
    }

    pub fn fix<'a>(&'a self, merged: &'a Merged) -> Cow<'a, str> {
        merged.text(self, &self.fix)
    }
}

/// One secret (by keyed fingerprint) stored in more than one place.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Shared {
    pub fingerprint: String,
    pub fingerprint_key_id: Option<String>,
    /// Machines holding it.
    pub hosts: usize,
    pub kind: Option<String>,
    /// Every place, as an index into the merged report's `credentials` (schema 3; schema 2 repeated each
    /// credential here).
    pub places: Vec<usize>,
}

/// The merged report. Its JSON (schema 3, as `audit`'s) is written by [`Merged::write_json`]: the fields
/// in order, `kinds` and `rules` before `findings`, each finding linked to its credential (by host, place
/// and registry) as in `audit::compact`.
#[derive(Debug)]
pub struct Merged {
    pub reports: Vec<Source>,
    /// Distinct hosts among the reports merged.
    pub hosts: usize,
    pub summary: Summary,
    /// Findings grouped by rule and place across machines, most severe first.
    pub groups: Vec<Group>,
    /// Secrets found in more than one place, most machines first.
    pub shared_credentials: Vec<Shared>,
    /// The keys (by id) the reports' fingerprints were made with; more than one means some cannot be
    /// compared with others.
    pub fingerprint_key_ids: Vec<String>,
    /// Reports without keyed fingerprints (made without `--fingerprint-key`): their credentials are not
    /// correlated.
    pub reports_without_fingerprints: usize,
    pub credentials: Vec<Credential>,
    /// Kind name -> description, of the kinds the reports hold.
    pub kinds: BTreeMap<String, String>,
    pub findings: Vec<Finding>,
    /// The reports' templates the findings carry (`Said::Template`).
    templates: Vec<String>,
    /// Per credential: whether it is the only one at its host, place and registry; `None` for a host
    /// more than one report names (`write_json` looks those up among all credentials).
    alone: Vec<Option<bool>>,
}

/// Read and merge `files`.
pub fn merge(files: &[impl AsRef<Path> + Sync]) -> Merged {
    // Reading and parsing is the work: on every core, the reports then taken in the order given.
    let read_all = super::parallel::map(files, |file| read(file.as_ref()));
    combine(files.iter().map(|f| f.as_ref().display().to_string()), read_all)
}

/// Merge reports given as bytes, named `report-N` (the fuzz target's way into the whole merge: the
/// indexes a report's findings carry are checked on reading, used here and by the writers).
pub fn merge_bytes(reports: &[&[u8]]) -> Merged {
    combine((0..reports.len()).map(|n| format!("report-{n}")), reports.iter().map(|b| parse(b)).collect())
}

/// Merge reports read (or why each could not be), `names` in the same order.
fn combine(names: impl Iterator<Item = String>, read_all: Vec<Result<Read, String>>) -> Merged {
    let mut reports = Vec::new();
    let mut credentials = Vec::new();
    let mut findings = Vec::new();
    let mut key_ids = BTreeSet::new();
    let mut kinds = BTreeMap::new();
    let mut templates = Vec::new();
    let mut without = 0;
    let mut reports_of_host: BTreeMap<&str, usize> = BTreeMap::new();
    for report in read_all.iter().flatten() {
        *reports_of_host.entry(report.host.as_deref().unwrap_or("unknown")).or_default() += 1;
    }
    let shared_hosts: BTreeSet<String> =
        reports_of_host.into_iter().filter(|(_, n)| *n > 1).map(|(host, _)| host.to_owned()).collect();
    let mut alone = Vec::new();
    for (shown, read) in names.zip(read_all) {
        let report = match read {
            Ok(report) => report,
            Err(error) => {
                reports.push(Source {
                    file: shown,
                    host: None,
                    credentials: 0,
                    findings: 0,
                    users: 0,
                    fingerprint_key_id: None,
                    error: Some(error),
                });
                continue;
            }
        };
        let host = report.host.clone().unwrap_or_else(|| "unknown".into());
        match &report.fingerprint_key_id {
            Some(id) => {
                key_ids.insert(id.clone());
            }
            None => without += 1,
        }
        reports.push(Source {
            file: shown,
            host: report.host.clone(),
            credentials: report.credentials.len(),
            findings: report.findings.len(),
            users: report.users,
            fingerprint_key_id: report.fingerprint_key_id.clone(),
            error: None,
        });
        let key_id = report.fingerprint_key_id;
        // A kind another report described first, and otherwise: this report's templates say its own
        // description, so its findings about such a credential are expanded here.
        let mut described_otherwise = BTreeSet::new();
        for (name, description) in &report.kinds {
            match kinds.get(name) {
                Some(first) if first != description => {
                    described_otherwise.insert(name.clone());
                }
                Some(_) => {}
                None => {
                    kinds.insert(name.clone(), description.clone());
                }
            }
        }
        let first_credential = credentials.len();
        let first_template = templates.len();
        for f in report.findings {
            let (mut message, mut fix) = (f.message, f.fix);
            let mut credential = f.credential.map(|i| first_credential + i);
            if let Some(c) = f.credential.map(|i| &report.credentials[i]) {
                if c.kind.as_ref().is_some_and(|k| described_otherwise.contains(k)) {
                    let kind =
                        c.kind.as_deref().and_then(|k| report.kinds.get(k)).expect("checked on reading");
                    let subject = Subject {
                        location: &c.location,
                        registry: &c.registry,
                        username: c.username.as_deref(),
                        kind,
                    };
                    let expand = |said: Said| match said {
                        Said::Template(i) => Said::Text(compact::expand(&report.templates[i], &subject)),
                        text => text,
                    };
                    (message, fix, credential) = (expand(message), expand(fix), None);
                }
            }
            let offset = |said: Said| match said {
                Said::Template(i) => Said::Template(first_template + i),
                text => text,
            };
            findings.push(Finding {
                host: host.clone(),
                severity: f.severity,
                code: f.code,
                location: f.location,
                registry: f.registry,
                credential,
                message: offset(message),
                fix: offset(fix),
            });
        }
        templates.extend(report.templates);
        let shared_host = shared_hosts.contains(&host);
        alone.extend(report.alone.into_iter().map(|alone| (!shared_host).then_some(alone)));
        credentials.extend(report.credentials.into_iter().map(|c| {
            let fingerprint = c.fingerprint.filter(|_| key_id.is_some());
            (
                key_id.clone(),
                Credential {
                    host: host.clone(),
                    location: c.location,
                    registry: c.registry,
                    username: c.username,
                    storage: c.storage,
                    place: c.place,
                    kind: c.kind,
                    expires_at: c.expires_at,
                    fingerprint,
                },
            )
        }));
    }
    let mut summary = Summary::default();
    for (_, c) in &credentials {
        let place = c.place.as_deref().unwrap_or("unknown");
        summary.add_credential(Item { kind: c.kind.as_deref(), storage: &c.storage, place });
    }
    for f in &findings {
        summary.add_finding(f.severity, &f.code);
    }
    let mut views = Views { credentials: &credentials, kinds: &kinds, templates: &templates, last: None };
    let groups = summary::group(findings.iter().map(|f| FindingView {
        severity: f.severity,
        code: &f.code,
        location: &f.location,
        message: views.view(&f.message, f.credential),
        fix: views.view(&f.fix, f.credential),
        registry: f.registry.as_deref(),
        host: Some(&f.host),
    }));
    let shared_credentials = correlate(&credentials);
    let hosts = reports
        .iter()
        .filter(|r| r.error.is_none())
        .map(|r| r.host.as_deref().unwrap_or("unknown"))
        .collect::<BTreeSet<_>>()
        .len();
    Merged {
        reports,
        hosts,
        summary,
        groups,
        shared_credentials,
        fingerprint_key_ids: key_ids.into_iter().collect(),
        reports_without_fingerprints: without,
        credentials: credentials.into_iter().map(|(_, c)| c).collect(),
        kinds,
        findings,
        templates,
        alone,
    }
}

/// How many credentials and findings a report's JSON holds, or why it is not one (the fuzz target's and
/// the tests' way into the parser).
pub fn parse_report(bytes: &[u8]) -> Result<(usize, usize), String> {
    parse(bytes).map(|r| (r.credentials.len(), r.findings.len()))
}

/// Credentials sharing a keyed fingerprint made with the same key, in more than one place.
fn correlate(credentials: &[(Option<String>, Credential)]) -> Vec<Shared> {
    type Places<'a> = Vec<(usize, &'a Credential)>;
    // Hashed, not ordered (100,000 fingerprints share their first 12 characters); the order comes from
    // the sort below, whose last key is the key id, as the ordered map's was.
    let mut by_fingerprint: compact::PlaceMap<(&Option<String>, &str), Places<'_>> =
        compact::PlaceMap::default();
    for (i, (key_id, c)) in credentials.iter().enumerate() {
        if let Some(fp) = c.fingerprint.as_deref() {
            by_fingerprint.entry((key_id, fp)).or_default().push((i, c));
        }
    }
    let mut shared: Vec<Shared> = by_fingerprint
        .into_iter()
        .filter(|(_, places)| places.len() > 1)
        .map(|((key_id, fp), places)| Shared {
            fingerprint: fp.to_owned(),
            fingerprint_key_id: key_id.clone(),
            hosts: distinct(places.iter().map(|(_, c)| c.host.as_str())),
            kind: places.iter().find_map(|(_, c)| c.kind.clone()),
            places: places.into_iter().map(|(i, _)| i).collect(),
        })
        .collect();
    shared.sort_by(|a, b| {
        b.hosts
            .cmp(&a.hosts)
            .then_with(|| b.places.len().cmp(&a.places.len()))
            .then_with(|| a.fingerprint.cmp(&b.fingerprint))
            .then_with(|| a.fingerprint_key_id.cmp(&b.fingerprint_key_id))
    });
    shared
}

/// How many distinct texts: they come in runs (a machine's credentials together), each run counted once.
pub(super) fn distinct<'a>(texts: impl Iterator<Item = &'a str>) -> usize {
    let mut seen = BTreeSet::new();
    let mut previous = None;
    for text in texts {
        if previous != Some(text) {
            seen.insert(text);
            previous = Some(text);
        }
    }
    seen.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reports of both schemas and what is not a report: (JSON, credentials and findings, or an error's
    /// words).
    #[test]
    fn report_parsing_table() {
        let cred1 = r#"{"location":"/c","registry":"r","storage":"plaintext","expires_at":5}"#;
        let cred2 = r#"{"location":"/c","registry":"r","storage":"plaintext","expiresAt":5}"#;
        let finding = r#"{"severity":"low","code":"c","location":"/c","message":"m","fix":"f"}"#;
        let linked =
            r#"{"severity":"high","code":"plaintext-credential","credential":0,"message":0,"fix":0}"#;
        const RULES: &str =
            r#""rules":{"plaintext-credential":{"messages":["{credential} in {location}"],"fixes":["f"]}}"#;
        type Expected = Result<(usize, usize), &'static str>;
        let ok = |c: usize, f: usize| -> Expected { Ok((c, f)) };
        let cases: &[(String, Expected)] = &[
            (
                format!(r#"{{"host":"h","fingerprint_key_id":"k","credentials":[{cred1}],"findings":[]}}"#),
                ok(1, 0),
            ),
            (
                format!(
                    r#"{{"schemaVersion":2,"exitCode":9,"fingerprintKeyId":"k","credentials":[{cred2}],"findings":[{finding}]}}"#
                ),
                ok(1, 1),
            ),
            (r#"{"schemaVersion":1,"credentials":[],"findings":[]}"#.into(), ok(0, 0)),
            (
                r#"{"schemaVersion":4,"credentials":[],"findings":[]}"#.into(),
                Err("schema 4, made by a newer"),
            ),
            // Schema 3: a finding names its credential and its rule's texts by index.
            (format!(r#"{{"schemaVersion":3,"credentials":[{cred2}],{RULES},"findings":[{linked}]}}"#), ok(1, 1)),
            (
                format!(r#"{{"schemaVersion":3,"credentials":[],{RULES},"findings":[{linked}]}}"#),
                Err("no credential 0"),
            ),
            (
                format!(r#"{{"schemaVersion":3,"credentials":[{cred2}],{RULES},"findings":[{}]}}"#, linked.replace("\"fix\":0", "\"fix\":1")),
                Err("no fix 1"),
            ),
            (
                format!(r#"{{"schemaVersion":3,"credentials":[{}],{RULES},"findings":[{linked}]}}"#, cred2.replace("plaintext\"", "plaintext\",\"kind\":\"new-kind\"")),
                Err("kind \"new-kind\" is not described"),
            ),
            (
                r#"{"schemaVersion":3,"credentials":[],"findings":[{"severity":"low","code":"c","message":"m","fix":"f"}]}"#.into(),
                Err("neither a location nor a credential"),
            ),
            (r#"{"schemaVersion":-1,"credentials":[],"findings":[]}"#.into(), Err("not a regauth audit")),
            (r#"{"credentials":[]}"#.into(), Err("missing field `findings`")),
            (r#"{"credentials":[{"location":"/c"}],"findings":[]}"#.into(), Err("missing field `registry`")),
            (r#"{"credentials":[],"findings":[{"severity":"dire"}]}"#.into(), Err("unknown variant `dire`")),
            (r#"{"credentials":[],"findings":[],"expiresAt":"x"}"#.into(), ok(0, 0)),
            (
                format!(r#"{{"credentials":[{}],"findings":[]}}"#, cred2.replace("5", "\"5\"")),
                Err("invalid type: string"),
            ),
            ("[]".into(), Err("not a regauth audit")),
            ("dckr_pat_NotAReport".into(), Err("not a regauth audit")),
            (String::new(), Err("EOF")),
        ];
        for (json, expected) in cases {
            match (parse_report(json.as_bytes()), expected) {
                (Ok(got), Ok(want)) => assert_eq!(got, *want, "{json}"),
                (Err(e), Err(words)) => assert!(e.contains(words), "{json}: {e}"),
                (got, want) => panic!("{json}: {got:?}, expected {want:?}"),
            }
        }
    }

    fn report(host: &str, key: Option<&str>, fp: &str) -> String {
        let key = key.map_or("null".to_owned(), |k| format!("\"{k}\""));
        format!(
            r#"{{"host":"{host}","fingerprint_key_id":{key},"summary":{{}},"credentials":[{{"location":"/h/c.json","place":"docker-config","registry":"ghcr.io","username":"u","storage":"plaintext","kind":"password","expires_at":null,"fingerprint":"{fp}"}}],"findings":[{{"severity":"high","code":"plaintext-credential","location":"/h/c.json","registry":"ghcr.io","message":"m","fix":"f"}}],"scanned":[]}}"#
        )
    }

    #[test]
    fn merges_groups_and_correlates_by_key() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let files = [
            write("a.json", &report("a", Some("k1"), "hmac-sha256:aa")),
            write("b.json", &report("b", Some("k1"), "hmac-sha256:aa")),
            write("c.json", &report("c", Some("k2"), "hmac-sha256:aa")),
            write("bad.json", "{\"host\": 3"),
            dir.path().join("missing.json"),
        ];
        let merged = merge(&files);
        assert_eq!(merged.hosts, 3);
        assert_eq!(merged.reports.iter().filter(|r| r.error.is_some()).count(), 2);
        assert_eq!(merged.summary.credentials, 3);
        assert_eq!(merged.groups.len(), 1);
        assert_eq!((merged.groups[0].count, merged.groups[0].hosts.len()), (3, 3));
        assert_eq!(
            merged.shared_credentials.len(),
            1,
            "k2's equal text is another key's: not the same secret"
        );
        assert_eq!(merged.shared_credentials[0].hosts, 2);
        assert_eq!(merged.fingerprint_key_ids, ["k1", "k2"]);
    }

    /// A schema 3 report's linked finding stays linked, its templates carried, unless another report
    /// names the same host (then its host, place and registry name two credentials: written as text).
    #[test]
    fn carried_findings_stay_linked_only_where_one_credential_answers() {
        let dir = tempfile::tempdir().unwrap();
        let report = |name: &str, host: &str| {
            let path = dir.path().join(name);
            let json = format!(
                r#"{{"schemaVersion":3,"host":"{host}","credentials":[{{"location":"/c","registry":"r.io","storage":"plaintext"}}],"rules":{{"plaintext-credential":{{"messages":["{{credential}} in {{location}}"],"fixes":["f {{registry}}"]}}}},"findings":[{{"severity":"high","code":"plaintext-credential","credential":0,"message":0,"fix":0}}]}}"#
            );
            std::fs::write(&path, json).unwrap();
            path
        };
        let files = [report("a.json", "a"), report("b.json", "b"), report("c.json", "a")];
        let merged = merge(&files);
        let json: serde_json::Value =
            serde_json::from_slice(&merged.write_json(0, Vec::new()).unwrap()).unwrap();
        let findings = json["findings"].as_array().unwrap();
        let linked: Vec<bool> = findings.iter().map(|f| f.get("credential").is_some()).collect();
        assert_eq!(linked, [false, true, false], "{findings:?}");
        assert_eq!(findings[1]["credential"], 1);
        let rule = &json["rules"]["plaintext-credential"];
        assert_eq!(
            rule["messages"],
            serde_json::json!(["credential for r.io in /c", "{credential} in {location}"])
        );
        assert_eq!(rule["fixes"], serde_json::json!(["f r.io", "f {registry}"]));
        assert_eq!(merged.findings[1].message(&merged), "credential for r.io in /c");
    }
}
