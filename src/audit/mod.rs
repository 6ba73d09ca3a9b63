//! `regauth audit`: an inventory of every stored registry credential on this machine (config files,
//! helpers, caches, the environment) and findings about them, without ever showing a secret.
//!
//! - [`sources`]: where credentials live, and reading them into [`Stored`] items.
//! - [`users`]: whose homes `--all-users` scans (the passwd database, then /root and /home/*).
//! - [`token_kind`]: what kind of secret each is (PAT, ECR token, JWT...), and when it expires.
//! - [`fingerprint`]: per-run and keyed (HMAC) fingerprints; the comparison behind `--find-secret-stdin`.
//! - [`findings`]: the rules (plaintext, readable by others, expired, duplicated, missing helper...).
//! - [`kube`]: a cluster's pull secrets (`--kube`) and the cluster's own rules.
//! - [`summary`]: counts and findings grouped by rule and file, for one machine or many.
//! - [`merge`]: one report from the JSON reports of many machines.
//! - [`parallel`]: work spread over the cores, results in input order (homes, pull secrets, reports).
//! - [`online`]: `--online`: what each credential can still do, asked of its registry (and its findings).
//!
//! A new source (a module beside `sources`) returns [`Stored`] items built with [`Stored::new`] and
//! [`Scanned`] places, each with its own [`sources::PlaceKind`] variant; [`run`] appends them to the
//! inventory before [`findings::judge`], so every rule, the summary, the fingerprints and the merge see them.

pub mod compact;
mod ecr_cache;
pub mod findings;
pub mod fingerprint;
pub mod json_fields;
pub mod json_out;
pub mod kube;
pub mod merge;
pub mod online;
pub mod parallel;
pub mod registries_yaml;
pub mod sources;
pub mod summary;
pub mod token_kind;
mod tool_configs;
pub mod users;

pub use findings::{Finding, Severity};
pub use sources::{Options, Scanned, Stored};

use serde::Serialize;

/// The audit's JSON schema (`audit`, `--find-secret-stdin`, `audit merge`), printed as `schemaVersion`
/// with `exitCode` first: 3 says each long text once (`compact`: findings name their credential by index,
/// their texts are indexes into `rules`); 2 is camelCase with every text in every finding; a report
/// without `schemaVersion` is schema 1 (snake_case, regauth before it). `audit merge` reads all three.
pub const SCHEMA_VERSION: u32 = 3;

/// One machine's audit. Its JSON (schema 3) is written by [`Report::write_json`]: the fields below in
/// order, with `kinds` and `rules` before `findings` (see [`compact`]).
#[derive(Debug)]
pub struct Report {
    /// The machine (`--host`, else the kernel's host name).
    pub host: String,
    /// With `--fingerprint-key`: a name for the key (not a secret), so reports made with different keys are
    /// not compared.
    pub fingerprint_key_id: Option<String>,
    pub summary: summary::Summary,
    /// With `--all-users`: whose homes were scanned.
    pub users: Vec<users::User>,
    /// Every credential found, secrets omitted.
    pub credentials: Vec<Stored>,
    pub findings: Vec<Finding>,
    /// Every place looked at, present or not.
    pub scanned: Vec<Scanned>,
    /// With `--online`: what each credential's registry answered.
    pub online: Option<online::Online>,
}

impl Report {
    /// The report's JSON (schema 3), `schemaVersion` and `exitCode` first, as serde_json's pretty printer
    /// writes it; the long arrays serialised on every core ([`json_out`]).
    pub fn write_json<W: std::io::Write>(&self, exit_code: i32, out: W) -> std::io::Result<W> {
        // A finding about one credential is linked to it when its place and registry name exactly one.
        let mut by_place: compact::PlaceMap<(&str, &str), Option<usize>> = compact::PlaceMap::default();
        by_place.reserve(self.credentials.len());
        for (i, c) in self.credentials.iter().enumerate() {
            by_place.entry((&c.location, &c.registry)).and_modify(|seen| *seen = None).or_insert(Some(i));
        }
        // Each finding's credential looked up on every core (100,000 look-ups of cold strings); the
        // templates are then made in order, as their indexes are given in order of first use.
        let findings: Vec<(usize, &[Finding])> = self.findings.chunks(4096).enumerate().collect();
        let linked: Vec<Option<usize>> = parallel::map(&findings, |(_, chunk)| {
            let link = |f: &Finding| {
                f.registry.as_deref().and_then(|r| by_place.get(&(f.location.as_str(), r)).copied().flatten())
            };
            chunk.iter().map(link).collect::<Vec<_>>()
        })
        .concat();
        // Not needed while the arrays are written (100,000 entries: megabytes at the peak).
        drop(by_place);
        let mut tables = compact::Tables::default();
        let mut kinds = std::collections::BTreeMap::new();
        let mut last_kind = None;
        let findings: Vec<compact::Out<'_>> = self
            .findings
            .iter()
            .zip(linked)
            .map(|(f, linked)| {
                let head = compact::Head {
                    severity: f.severity,
                    code: f.code,
                    host: None,
                    location: &f.location,
                    registry: f.registry.as_deref(),
                };
                let subject = linked.map(|i| {
                    let c = &self.credentials[i];
                    // Findings come in runs of one kind: the map is asked only when it changes.
                    if let Some(kind) = c.kind.filter(|_| c.kind != last_kind) {
                        kinds.insert(kind.name(), kind.describe());
                        last_kind = c.kind;
                    }
                    let subject = compact::Subject {
                        location: &c.location,
                        registry: &c.registry,
                        username: c.username.as_deref(),
                        kind: c.kind.map_or("credential", |k| k.describe()),
                    };
                    (i, subject)
                });
                tables.add(head, (&f.message, &f.fix), subject)
            })
            .collect();
        let mut o = json_out::Object::begin(out)?;
        o.field("schemaVersion", &SCHEMA_VERSION)?;
        o.field("exitCode", &exit_code)?;
        o.field("host", &self.host)?;
        if let Some(id) = &self.fingerprint_key_id {
            o.field("fingerprintKeyId", id)?;
        }
        o.field("summary", &self.summary)?;
        if !self.users.is_empty() {
            o.array("users", &self.users)?;
        }
        o.array_with("credentials", &self.credentials, |buf, c| {
            json_fields::stored(buf, c);
            Ok(())
        })?;
        compact::write_findings(&mut o, &kinds, &tables, &findings)?;
        o.array("scanned", &self.scanned)?;
        if let Some(online) = &self.online {
            o.field("online", online)?;
        }
        o.end()
    }
}

/// Scan the places `opts` names and judge what is there.
pub fn run(env: &regauth_core::environ::Environ, opts: &Options, host: String) -> Report {
    let inventory = sources::collect(env, opts);
    let findings = findings::judge(&inventory, opts.now);
    let summary = summary::Summary::of(&inventory.stored, &findings);
    Report {
        host,
        fingerprint_key_id: opts.fingerprint_key.as_ref().map(|k| k.id()),
        summary,
        users: inventory.users,
        credentials: inventory.stored,
        findings,
        scanned: inventory.scanned,
        online: None,
    }
}

/// Where `--find-secret-stdin` found the secret.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FindReport {
    pub host: String,
    /// How many places hold it.
    pub found: usize,
    /// Each place, secrets omitted (the fields of `credentials` in the audit report).
    pub places: Vec<Stored>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<users::User>,
    /// Every place looked at.
    pub scanned: Vec<Scanned>,
}

/// Look for `opts.sought` everywhere the audit looks (helpers are asked to `get` each entry).
pub fn find(env: &regauth_core::environ::Environ, opts: &Options, host: String) -> FindReport {
    let inventory = sources::collect(env, opts);
    let places: Vec<Stored> = inventory.stored.into_iter().filter(|s| s.sought).collect();
    FindReport { host, found: places.len(), places, users: inventory.users, scanned: inventory.scanned }
}

/// This machine's name: the kernel's host name (/proc/sys/kernel/hostname, as `uname -n`), or `unknown`.
pub fn host_name() -> String {
    let path = std::path::Path::new("/proc/sys/kernel/hostname");
    let name = regauth_core::fsread::read_regular(path, 256)
        .map(|c| String::from_utf8_lossy(&c.bytes).trim().to_owned())
        .unwrap_or_default();
    if name.is_empty() {
        "unknown".into()
    } else {
        name
    }
}
