//! `regauth audit merge REPORT.json...`: one report from the `--json` reports of many machines. Each
//! report is read through `fsread` (no link followed, a regular file, at most [`REPORT_LIMIT`]) into typed
//! views that keep only what the merge uses; a report that cannot be read or parsed is listed with its error
//! and the others are merged. Findings are grouped by rule and place across machines, and credentials are
//! correlated by their keyed fingerprint (reports made with the same `--fingerprint-key`).

use super::findings::Severity;
use super::summary::{self, FindingView, Group, Item, Summary};
use regauth_core::fsread;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The most read of one report: an audit of 100,000 entries is some 60 MiB of pretty JSON.
pub const REPORT_LIMIT: u64 = 256 * 1024 * 1024;

/// What the merge reads of a report; everything else in it is ignored.
/// Schema 2 (`schemaVersion`) is camelCase; a report without `schemaVersion` is schema 1, snake_case
/// (regauth before it): the aliases read both.
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
    findings: Vec<FindingIn>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CredentialIn {
    location: String,
    registry: String,
    username: Option<String>,
    storage: String,
    place: Option<String>,
    kind: Option<String>,
    #[serde(alias = "expires_at")]
    expires_at: Option<i64>,
    fingerprint: Option<String>,
}

#[derive(Debug, Deserialize)]
struct FindingIn {
    severity: Severity,
    code: String,
    location: String,
    registry: Option<String>,
    message: String,
    fix: String,
}

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

/// A finding of one machine.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub host: String,
    pub severity: Severity,
    pub code: String,
    pub location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    pub message: String,
    pub fix: String,
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
    /// Every place: host, location, registry, username.
    pub places: Vec<Credential>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
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
    pub findings: Vec<Finding>,
}

/// Read and merge `files`.
pub fn merge(files: &[impl AsRef<Path> + Sync]) -> Merged {
    let mut reports = Vec::new();
    let mut credentials = Vec::new();
    let mut findings = Vec::new();
    let mut key_ids = BTreeSet::new();
    let mut without = 0;
    // Reading and parsing is the work: on every core, the reports then taken in the order given.
    let read_all = super::parallel::map(files, |file| read(file.as_ref()));
    for (file, read) in files.iter().zip(read_all) {
        let file = file.as_ref();
        let shown = file.display().to_string();
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
            users: report.users.len(),
            fingerprint_key_id: report.fingerprint_key_id.clone(),
            error: None,
        });
        let key_id = report.fingerprint_key_id;
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
        findings.extend(report.findings.into_iter().map(|f| Finding {
            host: host.clone(),
            severity: f.severity,
            code: f.code,
            location: f.location,
            registry: f.registry,
            message: f.message,
            fix: f.fix,
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
    let groups = summary::group(findings.iter().map(|f| FindingView {
        severity: f.severity,
        code: &f.code,
        location: &f.location,
        message: &f.message,
        fix: &f.fix,
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
        findings,
    }
}

fn read(file: &Path) -> Result<ReportIn, String> {
    let contents = fsread::read_regular(file, REPORT_LIMIT).map_err(|e| e.to_string())?;
    parse(&contents.bytes).map_err(|e| format!("{}: {e}", file.display()))
}

/// One report's JSON: schema 2, or schema 1 (no `schemaVersion`, snake_case keys).
fn parse(bytes: &[u8]) -> Result<ReportIn, String> {
    let report: ReportIn =
        serde_json::from_slice(bytes).map_err(|e| format!("not a regauth audit --json report: {e}"))?;
    match report.schema_version {
        Some(v) if v > u64::from(super::SCHEMA_VERSION) => Err(format!(
            "a report of schema {v}, made by a newer regauth (this one reads schemas 1 to {})",
            super::SCHEMA_VERSION
        )),
        _ => Ok(report),
    }
}

/// How many credentials and findings a report's JSON holds, or why it is not one (the fuzz target's and
/// the tests' way into the parser).
pub fn parse_report(bytes: &[u8]) -> Result<(usize, usize), String> {
    parse(bytes).map(|r| (r.credentials.len(), r.findings.len()))
}

/// Credentials sharing a keyed fingerprint made with the same key, in more than one place.
fn correlate(credentials: &[(Option<String>, Credential)]) -> Vec<Shared> {
    let mut by_fingerprint: BTreeMap<(&Option<String>, &str), Vec<&Credential>> = BTreeMap::new();
    for (key_id, c) in credentials {
        if let Some(fp) = c.fingerprint.as_deref() {
            by_fingerprint.entry((key_id, fp)).or_default().push(c);
        }
    }
    let mut shared: Vec<Shared> = by_fingerprint
        .into_iter()
        .filter(|(_, places)| places.len() > 1)
        .map(|((key_id, fp), places)| Shared {
            fingerprint: fp.to_owned(),
            fingerprint_key_id: key_id.clone(),
            hosts: places.iter().map(|c| c.host.as_str()).collect::<BTreeSet<_>>().len(),
            kind: places.iter().find_map(|c| c.kind.clone()),
            places: places.into_iter().cloned().collect(),
        })
        .collect();
    shared.sort_by(|a, b| {
        b.hosts
            .cmp(&a.hosts)
            .then_with(|| b.places.len().cmp(&a.places.len()))
            .then_with(|| a.fingerprint.cmp(&b.fingerprint))
    });
    shared
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
                r#"{"schemaVersion":3,"credentials":[],"findings":[]}"#.into(),
                Err("schema 3, made by a newer"),
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
}
