//! The `--json` schemas of every command: one table, printed by `regauth help json`, written into each
//! command's man page (JSON OUTPUT) and into docs/json.md. Every report is an object that starts with
//! `schemaVersion` and `exitCode` (cli/output.rs's `print_report` writes both); keys are camelCase.

/// One command's `--json` report.
pub struct Schema {
    /// The command as typed after `regauth` (`cache list`, `diagnose --kube`).
    pub command: &'static str,
    /// Its man page's command path (`cache-list`): where the schema is printed.
    pub page: &'static str,
    pub version: u32,
    /// The fields after `schemaVersion` and `exitCode`.
    pub fields: &'static str,
}

/// What every report shares, said once.
pub const CONTRACT: &str = "\
Every --json report is one JSON object on stdout. It starts with schemaVersion (the report's schema; \
it changes only when a field is renamed or removed, and adding a field does not change it) and exitCode \
(the process's exit code, so a script that keeps only stdout still has it). Keys are camelCase. No \
secret appears in any report, except the bearer token `regauth token --json` was asked for. Errors \
before a report exists (a usage error, an unreadable config file) go to stderr with no JSON.";

pub const SCHEMAS: &[Schema] = &[
    Schema {
        command: "resolve",
        page: "resolve",
        version: 1,
        fields: "image (normalised), registry, repository, clients: one object per client asked \
                 (--client, default docker), in order: {client, file (where the answer came from, or the \
                 first file looked at), key, source: credHelpers|credsStore|auths|dockerAuthConfig|\
                 registriesConf|criRegistryConfig|none, helper: {name, program, path (null: not on PATH), \
                 wraps (regauth-cache)} | null, outcome: {status: found (with username, kind: \
                 password|identityToken|registryToken) | notFound | skipped | helperMissing | helperFailed | \
                 helperTimedOut | configError (each with message)}, notes: [..], version (podman, buildah, \
                 skopeo, when a version-dependent rule was in play: {installed, appliesTo, rules}), \
                 otherVersions (when the installed version is unknown and others differ: [{appliesTo, file, \
                 key, source, outcome}]), asked (crane, oras, helm, regctl: [{helper, key, ...}] every \
                 helper get, in order)}. version, otherVersions and asked are left out when empty.",
    },
    Schema {
        command: "diagnose",
        page: "diagnose",
        version: 1,
        fields: "image, registry: {host, url, type, realm, service}, repository, reference, push, \
                 credential: {origin: client|stdin|anonymous, client, username, kind, file, key, source}, \
                 steps: [{step, verdict, summary, details: [..], evidence: [exchange index], fix}], verdict, \
                 warnings: [..], requests, exchanges: [{method, url, auth: none|basic|bearer|refreshToken, \
                 status, error, challenges: [..], headers: {..}, body, scopesAsked: [..], scopesGranted: \
                 [..]|null, elapsedMs, redirectedFrom, notes: [..]}]. Server text is redacted of every form \
                 of every secret, made safe for a terminal and cut.",
    },
    Schema {
        command: "diagnose --kube",
        page: "diagnose",
        version: 1,
        fields: "inputs (--kube-live: the kubectl calls), skipped: [..], missingRights: [..] (--kube-live, \
                 when a read was refused), verdict, images: [{workload: {kind, namespace, name}, container, \
                 containerType, image, serviceAccount, pullSecrets: [{name, namedBy: pod|serviceAccount, \
                 state: usable|missing|otherNamespace|wrongType|noData|undecodable|unreadable, namespaces, \
                 type, key, reason, right, keys: [{key, normalized, matches, whyNot, username}]}], \
                 fromServiceAccount, serviceAccountUnknown, nodeKeys: [..], attempts: [{source: \
                 secret|node|anonymous, secret, file, key, username, fallback, tried, verdict, summary, \
                 probe}], verdict, exitCode, summary, details: [..], fix}], probes: [diagnose's report, one \
                 per distinct image and credential].",
    },
    Schema {
        command: "token",
        page: "token",
        version: 1,
        fields: "a token: registry, repository, scopes: [..], granted: [actions on the repository] (null: \
                 an opaque token, not checked), realm, service, expiresAt (Unix s), fromCache, token (absent \
                 with --decode), claims (with --decode: {issuer, subject, audience, expiresAt, notBefore, \
                 access: [{type, name, actions}]}, or null for an opaque token). No token: verdict, reason \
                 (no bearer token), findings: [{step, verdict, summary, details: [..], evidence, fix}].",
    },
    Schema {
        command: "login",
        page: "login",
        version: 1,
        fields: "registry, username, authentication: {method: bearer|basic|none, url, realm, identityToken, \
                 summary}, repositories: [{repository, reference, pull: yes|no|unknown, push: \
                 yes|no|unknown, verdict, reason, fix}], readOnly: [repository..], stored: {place: \
                 helper|file, helper, program, chosenBecause, serverUrls: [..], username, file, changes: \
                 [{field, old, new}]} | null, warnings: [..], error.",
    },
    Schema {
        command: "logout",
        page: "logout",
        version: 1,
        fields: "registry (null with --all), registries: [..], removed: [{place: helper|file, helper, file, \
                 key}], forgottenTokens, problems: [..].",
    },
    Schema {
        command: "migrate",
        page: "migrate",
        version: 1,
        fields: "dryRun, moved, planned (entries a dry run would move), notMoved, items: [{file, keys: [..], registry, username, helper, outcome: \
                 moved|planned|notMoved, reason, changes: [{field, old, new}]}].",
    },
    Schema {
        command: "status",
        page: "status",
        version: 1,
        fields:
            "checkedOnline, registries: [{registry, logins: [{clients, location, storage, key, username, \
                 kind, expiresAt, status: accepted|rejected|no-login|rate-limited|unreachable|timed-out|\
                 no-secret|null, detail}]}].",
    },
    Schema {
        command: "cache list",
        page: "cache-list",
        version: 1,
        fields: "storage: keyring|file, directory, entries: [{registry, realm, service, scopes: [..], \
                 credential (the first 12 hex digits of its HMAC fingerprint, or anonymous), expiresAt \
                 (Unix s), storage}], helperAnswers: [{registry, serverUrl, helper (the inner helper), \
                 identity (the first 12 hex digits of the HMAC of its identity variables), found (false: a \
                 remembered \"not found\"), expiresAt, storage}].",
    },
    Schema {
        command: "cache clear",
        page: "cache-clear",
        version: 1,
        fields: "registry (null: every registry), removed (tokens and helper answers).",
    },
    Schema {
        command: "helpers list",
        page: "helpers-list",
        version: 1,
        fields: "file, helpers: [{scope (credsStore or a registry key), helper, program, path (null: not on \
                 PATH), version, wraps (regauth-cache: the inner helper)}].",
    },
    Schema {
        command: "helpers set",
        page: "helpers-set",
        version: 1,
        fields: "file, changes: [{field (credsStore or credHelpers.KEY), old, new}]; old equal to new: \
                 unchanged.",
    },
    Schema {
        command: "helpers unset",
        page: "helpers-unset",
        version: 1,
        fields: "as helpers set: file, changes: [{field, old, new}].",
    },
    Schema {
        command: "helpers wrap",
        page: "helpers-wrap",
        version: 1,
        fields: "as helpers set: file, changes: [{field, old, new}].",
    },
    Schema {
        command: "helpers unwrap",
        page: "helpers-unwrap",
        version: 1,
        fields: "as helpers set: file, changes: [{field, old, new}].",
    },
    Schema {
        command: "helper-test",
        page: "helper-test",
        version: 2,
        fields: "program, readOnly, checks: [{name, outcome: pass|fail|skip, detail}]. Schema 2: camelCase \
                 (schema 1, before it, had no schemaVersion and said read_only).",
    },
    Schema {
        command: "audit",
        page: "audit",
        version: 3,
        fields: "host, fingerprintKeyId (with a key), summary: {credentials, findings, bySeverity, byKind, \
                 byStorage, byPlace, byCode}, users: [{name, uid, home, source: passwd|home-directory}] (with \
                 --all-users), credentials: [{location, place, registry, username, storage, kind, expiresAt, \
                 fingerprint (with --fingerprint-key)}], kinds: {KIND: description}, rules: {CODE: {messages: \
                 [text], fixes: [text]}}, findings: [{severity, code, credential (index into credentials) or \
                 location and registry, message and fix (indexes into rules.CODE.messages and .fixes)}], \
                 scanned: [{location, kind, state, mode, realPath, note}], online (with --online): {checked, \
                 requests, durationMs, timedOut, registries: [{registry, type, auth, rateLimited, \
                 rateLimitRemaining, anonymousPull, requests}], credentials: [{credential (index into \
                 credentials), location, registry, username, status: accepted|rejected|no-login|rate-limited|\
                 unreachable|timed-out|no-secret, detail, repositories: [{repository, pull, push: \
                 yes|no|unknown|missing}], requests}]}. In the texts of a finding with a credential, \
                 {credential} stands for its kind's description (kinds; `credential` without a kind), \
                 ' for ' and its registry, then ' (user USERNAME)' when it has a username; {location}, \
                 {registry} and {host} for its location, registry and registry host. With \
                 --find-secret-stdin: host, found, places (as credentials), users, scanned. Schema 3 says each \
                 text once; schema 2 had location, registry, message and fix as text in every finding; schema \
                 1 had no schemaVersion and snake_case keys. audit merge reads all three.",
    },
    Schema {
        command: "audit merge",
        page: "audit-merge",
        version: 3,
        fields: "reports: [{file, host, credentials, findings, users, fingerprintKeyId, error}], hosts, \
                 summary (as in audit), groups: [{severity, code, location, count, hosts, message, fix}], \
                 sharedCredentials: [{fingerprint, fingerprintKeyId, hosts, kind, places: [index into \
                 credentials]}], fingerprintKeyIds, reportsWithoutFingerprints, credentials: [{host, location, \
                 registry, username, storage, place, kind, expiresAt, fingerprint}], kinds, rules and findings \
                 as in audit (a finding without a credential also has its host). Schema 3: as audit's.",
    },
];

/// `regauth help json`.
pub fn topic() -> String {
    let mut out = format!("JSON output (--json)\n\n{}", super::wrap(CONTRACT, 0));
    for schema in SCHEMAS {
        out.push_str(&format!("\nregauth {} --json (schemaVersion {}):\n", schema.command, schema.version));
        out.push_str(&super::wrap(schema.fields, 2));
    }
    out.push_str("\nregauth audit --json and audit merge: docs/audit.md.\n");
    out
}

/// The schemas printed in the man page of `page` (`cache-list`).
pub fn for_page(page: &str) -> impl Iterator<Item = &'static Schema> + '_ {
    SCHEMAS.iter().filter(move |s| s.page == page)
}
