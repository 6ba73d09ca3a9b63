//! Issue 12 end to end: fixture machines made with `--system-root` trees (a private etc/passwd whose users
//! live in /home, /var/lib and /srv) holding credentials of every kind audit knows; keyed fingerprints
//! across machines; `--find-secret-stdin` in a file, a helper and the environment; `audit merge`. Every
//! planted secret is looked for in every output, in every form and as every 8-character piece.

mod support;

use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use support::fleet::*;

#[test]
fn every_kind_is_found_with_its_kind_and_severity_and_never_shown() {
    let planted = every_kind(1);
    let root = machine(&planted);
    let r = root.path();
    let out = audit(r, &["--json", "--fail-on", "never", "--no-helpers", "--host", "fixture-1"]);
    assert_eq!(out.status.code(), Some(0), "{}", texts(&out).1);
    let report = json(&out);
    assert_eq!(report["host"], "fixture-1");
    let creds = report["credentials"].as_array().unwrap();
    let findings = report["findings"].as_array().unwrap();
    for p in &planted {
        let location = r.join(p.file).display().to_string();
        let found = creds
            .iter()
            .find(|c| c["registry"] == p.registry.as_str() && c["location"] == location.as_str())
            .unwrap_or_else(|| panic!("{} in {} not found: {creds:#?}", p.kind, p.file));
        assert_eq!(found["kind"], p.kind, "{}", p.registry);
        assert_eq!(found["username"], p.username.as_str());
        let finding = findings
            .iter()
            .find(|f| {
                f["code"] == "plaintext-credential"
                    && f["registry"] == p.registry.as_str()
                    && f["location"] == location.as_str()
            })
            .unwrap_or_else(|| panic!("no plaintext finding for {}", p.kind));
        assert_eq!(finding["severity"], p.severity, "{} ({})", p.kind, p.registry);
    }
    assert_eq!(creds.len(), planted.len(), "nothing but the planted credentials: {creds:#?}");

    // Users from passwd, wherever their homes are; nobody's missing home is not a user scanned.
    let users: Vec<&str> =
        report["users"].as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap()).collect();
    assert_eq!(users, ["root", "alice", "jenkins", "app", "clean"]);
    let jenkins = report["users"].as_array().unwrap().iter().find(|u| u["name"] == "jenkins").unwrap();
    assert_eq!(jenkins["home"], r.join("var/lib/jenkins").display().to_string());
    assert_eq!(jenkins["source"], "passwd");

    // The clean home gives no finding.
    let clean = r.join("home/clean").display().to_string();
    assert!(!findings.iter().any(|f| f["location"].as_str().unwrap().starts_with(&clean)), "{findings:#?}");

    // BuildKit's seed: what it is, and a finding only for the one others can read.
    let seeds: Vec<&Value> =
        report["scanned"].as_array().unwrap().iter().filter(|s| s["kind"] == "buildkit-token-seed").collect();
    assert_eq!(seeds.len(), 3, "{seeds:#?}");
    assert!(seeds.iter().all(|s| s["note"].as_str().unwrap().contains("not registry credentials")));
    let seed_findings: Vec<&Value> =
        findings.iter().filter(|f| f["code"] == "token-seed-readable-by-others").collect();
    assert_eq!(seed_findings.len(), 1, "{seed_findings:#?}");
    assert_eq!(seed_findings[0]["location"], r.join("home/alice/.docker/.token_seed").display().to_string());
    assert_eq!(seed_findings[0]["severity"], "medium");

    // The summary counts what the lists hold.
    let summary = &report["summary"];
    assert_eq!(summary["credentials"], creds.len());
    assert_eq!(summary["findings"], findings.len());
    let count = |list: &[Value], field: &str, value: &str| list.iter().filter(|x| x[field] == value).count();
    for (severity, n) in summary["bySeverity"].as_object().unwrap() {
        assert_eq!(n.as_u64().unwrap() as usize, count(findings, "severity", severity), "{severity}");
    }
    for (kind, n) in summary["byKind"].as_object().unwrap() {
        assert_eq!(n.as_u64().unwrap() as usize, count(creds, "kind", kind), "{kind}");
    }
    for (code, n) in summary["byCode"].as_object().unwrap() {
        assert_eq!(n.as_u64().unwrap() as usize, count(findings, "code", code), "{code}");
    }
    assert_eq!(summary["byCode"]["plaintext-credential"], planted.len());
    assert_eq!(summary["byStorage"]["plaintext"], planted.len());
    assert!(
        report.get("fingerprintKeyId").is_none() && creds.iter().all(|c| c.get("fingerprint").is_none()),
        "no key, no fingerprint"
    );

    // The text report: the summary first, users named, findings grouped by file; verbose lists every one.
    let text_out = audit(r, &["--fail-on", "never", "--no-helpers", "--host", "fixture-1"]);
    let (text, text_err) = texts(&text_out);
    assert!(text.starts_with("regauth audit of fixture-1\nUsers scanned (5): root ("), "{text}");
    assert!(
        text.contains(&format!("Summary: {} credentials, {} findings", creds.len(), findings.len())),
        "{text}"
    );
    let alice_group =
        format!("plaintext-credential x10  10 credentials stored unencrypted in {}", r.join(ALICE).display());
    assert!(text.contains(&alice_group), "{text}");
    assert!(text.lines().count() < 40, "grouped: {text}");
    let verbose_out = audit(r, &["--fail-on", "never", "--no-helpers", "--verbose"]);
    let (verbose, verbose_err) = texts(&verbose_out);
    assert!(verbose.contains("Quay robot account token for r20.example (user acme+deployer)"), "{verbose}");
    let (json_text, json_err) = texts(&out);
    assert_no_secret(
        &[
            ("json", &json_text),
            ("json stderr", &json_err),
            ("text", &text),
            ("text stderr", &text_err),
            ("verbose", &verbose),
            ("verbose stderr", &verbose_err),
        ],
        &planted,
    );
}

fn key_file(dir: &Path, name: &str, key: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("{key}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

fn fingerprint_of(report: &Value, registry: &str) -> String {
    report["credentials"].as_array().unwrap().iter().find(|c| c["registry"] == registry).unwrap()
        ["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Same key: the same secret on two machines has one fingerprint; another key: another. `audit merge`
/// finds the shared secret, groups findings across the machines and shows no secret.
#[test]
fn keyed_fingerprints_match_across_machines_and_merge_correlates_them() {
    let first = every_kind(1);
    let mut second = every_kind(2);
    // The same Docker Hub token on both machines.
    second[0].secret = first[0].secret.clone();
    let (one, two) = (machine(&first), machine(&second));
    let keys = tempfile::tempdir().unwrap();
    let key1 = key_file(keys.path(), "k1", "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978");
    let key2 = key_file(keys.path(), "k2", "ffeeddccbbaa99887766554433221100ffeeddccbbaa9988");
    let run = |root: &Path, key: &Path, host: &str| {
        let key = key.to_str().unwrap();
        audit(
            root,
            &["--json", "--fail-on", "never", "--no-helpers", "--fingerprint-key", key, "--host", host],
        )
    };
    let (out1, out2, out2b) =
        (run(one.path(), &key1, "m1"), run(two.path(), &key1, "m2"), run(two.path(), &key2, "m2"));
    let (r1, r2, r2b) = (json(&out1), json(&out2), json(&out2b));
    let hub = first[0].registry.as_str();
    assert_eq!(fingerprint_of(&r1, hub), fingerprint_of(&r2, hub), "same secret, same key");
    assert_ne!(fingerprint_of(&r2, hub), fingerprint_of(&r2b, hub), "another key");
    assert_ne!(
        fingerprint_of(&r1, "r02.example"),
        fingerprint_of(&r2, "r02.example"),
        "other secrets differ"
    );
    assert_eq!(r1["fingerprintKeyId"], r2["fingerprintKeyId"]);
    assert_ne!(r1["fingerprintKeyId"], r2b["fingerprintKeyId"]);

    // Merge the two reports made with the same key.
    let reports = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, out) in [("m1.json", &out1), ("m2.json", &out2)] {
        let path = reports.path().join(name);
        std::fs::write(&path, &out.stdout).unwrap();
        files.push(path);
    }
    let merge = |args: &[&str]| {
        support::command::regauth().args(["audit", "merge"]).args(&files).args(args).output().unwrap()
    };
    let merged_out = merge(&["--json", "--fail-on", "never"]);
    assert_eq!(merged_out.status.code(), Some(0), "{}", texts(&merged_out).1);
    let merged = json(&merged_out);
    assert_eq!(merged["hosts"], 2);
    assert_eq!(merged["summary"]["credentials"], 2 * first.len());
    let shared = merged["sharedCredentials"].as_array().unwrap();
    assert_eq!(shared.len(), 1, "{shared:#?}");
    assert_eq!(shared[0]["hosts"], 2);
    assert_eq!(shared[0]["kind"], "docker-hub-personal-access-token");
    // The two trees have different paths, so each machine's places are groups of their own here (the
    // same path on many machines is one group: below).
    assert_eq!(merged["findings"].as_array().unwrap().len(), r1["findings"].as_array().unwrap().len() * 2);
    let text_out = merge(&["--fail-on", "never"]);
    let (text, text_err) = texts(&text_out);
    assert!(text.contains("2 reports from 2 machines"), "{text}");
    assert!(text.contains("docker-hub-personal-access-token on 2 machines, 2 places"), "{text}");
    let verbose_out = merge(&["--verbose", "--fail-on", "never"]);
    let (verbose, verbose_err) = texts(&verbose_out);
    let (merged_text, merged_err) = texts(&merged_out);
    let all: Vec<Planted> = first.iter().chain(&second).cloned().collect();
    assert_no_secret(
        &[
            ("merge json", &merged_text),
            ("merge json stderr", &merged_err),
            ("merge text", &text),
            ("merge text stderr", &text_err),
            ("merge verbose", &verbose),
            ("merge verbose stderr", &verbose_err),
            ("report 1", &texts(&out1).0),
            ("report 2b", &texts(&out2b).0),
        ],
        &all,
    );

    // Findings at the same place on many machines are one group.
    let same_place = [("a.json", "web-1"), ("b.json", "web-2"), ("c.json", "web-3")].map(|(name, host)| {
        let mut report = r1.clone();
        report["host"] = host.into();
        let path = reports.path().join(name);
        std::fs::write(&path, serde_json::to_vec(&report).unwrap()).unwrap();
        path
    });
    let out =
        support::command::regauth().args(["audit", "merge", "--json"]).args(&same_place).output().unwrap();
    assert_eq!(out.status.code(), Some(9), "high findings fail by default");
    let merged = json(&out);
    let seed_group = merged["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["code"] == "token-seed-readable-by-others")
        .unwrap();
    assert_eq!((seed_group["count"].as_u64(), seed_group["hosts"].as_array().unwrap().len()), (Some(3), 3));
    assert_eq!(
        merged["sharedCredentials"].as_array().unwrap().len(),
        first.len(),
        "every secret is on 3 machines"
    );
}

/// A schema 3 report as schema 2 wrote it: every finding with its place and texts, no `rules` or `kinds`.
fn as_schema_2(report: &Value) -> Value {
    let mut old = support::audit_json::expanded(report);
    old["schemaVersion"] = 2.into();
    old
}

/// A schema 3 report as regauth before schema 2 wrote it: no schemaVersion or exitCode, snake_case keys.
fn as_schema_1(report: &Value) -> Value {
    let mut old = as_schema_2(report);
    let top = old.as_object_mut().unwrap();
    top.remove("schemaVersion").unwrap();
    top.remove("exitCode").unwrap();
    let id = top.remove("fingerprintKeyId").unwrap();
    top.insert("fingerprint_key_id".into(), id);
    for c in top["credentials"].as_array_mut().unwrap() {
        let c = c.as_object_mut().unwrap();
        let expires = c.remove("expiresAt").unwrap();
        c.insert("expires_at".into(), expires);
    }
    old
}

/// Reports say their schema and exit code; `audit merge` reads schema 1 reports (snake_case) and schema 2
/// ones (every text in every finding) beside schema 3 ones, correlating their fingerprints, and refuses a
/// report of a schema newer than it knows.
#[test]
fn merge_reads_reports_of_the_previous_schema() {
    let first = every_kind(3);
    let mut second = every_kind(4);
    second[0].secret = first[0].secret.clone();
    let (one, two) = (machine(&first), machine(&second));
    let keys = tempfile::tempdir().unwrap();
    let key = key_file(keys.path(), "k", "00112233445566778899aabbccddeeff00112233");
    let run = |root: &Path, host: &str| {
        let args = ["--json", "--no-helpers", "--fingerprint-key", key.to_str().unwrap(), "--host", host];
        audit(root, &args)
    };
    let (out1, out2) = (run(one.path(), "old"), run(two.path(), "new"));
    let (r1, r2) = (raw_json(&out1), raw_json(&out2));
    for (out, report) in [(&out1, &r1), (&out2, &r2)] {
        assert_eq!(report["schemaVersion"], 3);
        assert!(report["findings"][0]["message"].is_u64(), "schema 3: texts by index");
        assert_eq!(
            report["exitCode"].as_i64(),
            out.status.code().map(i64::from),
            "exitCode is the exit code"
        );
        assert!(report.get("fingerprint_key_id").is_none() && report["summary"].get("by_kind").is_none());
    }
    assert_eq!(out1.status.code(), Some(9), "high findings: exit 9, and exitCode 9");
    let with_expiry =
        r1["credentials"].as_array().unwrap().iter().filter(|c| c["expiresAt"].is_i64()).count();
    assert!(with_expiry > 0, "the fixture has credentials with an expiry");

    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, report: &Value| {
        let path = dir.path().join(name);
        std::fs::write(&path, serde_json::to_vec_pretty(report).unwrap()).unwrap();
        path
    };
    let merge = |files: &[std::path::PathBuf]| {
        let out = support::command::regauth()
            .args(["audit", "merge", "--json", "--fail-on", "never"])
            .args(files)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", texts(&out).1);
        json(&out)
    };
    let current = merge(&[write("current.json", &r1), write("new.json", &r2)]);
    for (schema, old) in [(1, as_schema_1(&r1)), (2, as_schema_2(&r1))] {
        let merged = merge(&[write("old.json", &old), write("new.json", &r2)]);
        assert_eq!((merged["schemaVersion"].as_u64(), merged["exitCode"].as_u64()), (Some(3), Some(0)));
        assert_eq!(merged["reportsWithoutFingerprints"], 0, "the schema {schema} report's key id is read");
        assert_eq!(merged["fingerprintKeyIds"].as_array().unwrap().len(), 1);
        let shared = merged["sharedCredentials"].as_array().unwrap();
        assert_eq!((shared.len(), shared[0]["hosts"].as_u64()), (1, Some(2)), "{shared:#?}");
        let old_expiring = merged["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["host"] == "old" && c["expiresAt"].is_i64())
            .count();
        assert_eq!(old_expiring, with_expiry, "the schema {schema} report's expiry is read");
        // The same findings, texts and all, whatever schema the old machine's report was written in.
        let texts = |m: &Value| {
            m["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| (f["host"].clone(), f["location"].clone(), f["message"].clone(), f["fix"].clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(texts(&merged), texts(&current), "schema {schema}");
        assert_eq!(merged["groups"], current["groups"], "schema {schema}");
    }

    let mut newer = r2.clone();
    newer["schemaVersion"] = 4.into();
    let newer = write("newer.json", &newer);
    let out = support::command::regauth()
        .args(["audit", "merge", "--fail-on", "never"])
        .arg(&newer)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(texts(&out).1.contains("schema 4, made by a newer regauth"), "{}", texts(&out).1);
}

#[test]
fn merge_names_an_unreadable_report_and_merges_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.json");
    std::fs::write(&good, r#"{"host":"h","credentials":[],"findings":[]}"#).unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "dckr_pat_NotAReportButASecret1").unwrap();
    let fifo = dir.path().join("fifo.json");
    let status = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&good, &link).unwrap();
    let out = support::command::regauth()
        .args(["audit", "merge"])
        .args([&good, &bad, &fifo, &link])
        .output()
        .unwrap();
    let (text, err) = texts(&out);
    assert_eq!(out.status.code(), Some(3), "{text}{err}");
    assert!(text.contains("1 reports from 1 machines (3 unreadable"), "{text}");
    assert!(err.contains("bad.json: not a regauth audit --json report"), "{err}");
    assert!(err.contains("FIFO"), "a FIFO is refused, not waited on: {err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert!(
        !text.contains("NotAReport") && !err.contains("NotAReport"),
        "parse errors quote no input: {err}"
    );
}

/// A fake helper that lists one entry and answers `get` with `secret`.
fn helper_home(secret: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::create_dir_all(h.join("bin")).unwrap();
    put(h, ".docker/config.json", r#"{"credsStore":"fake","auths":{}}"#, 0o600);
    support::write_script(
        &h.join("bin/docker-credential-fake"),
        &format!(
            "case \"$1\" in\n list) echo '{{\"helper.example\":\"bot\"}}' ;;\n get) read url; echo '{{\"ServerURL\":\"helper.example\",\"Username\":\"bot\",\"Secret\":\"{secret}\"}}' ;;\n *) exit 1 ;;\nesac"
        ),
    );
    home
}

fn find(home: &Path, root: &Path, secret: &str, vars: &[(&str, &str)], json_out: bool) -> Output {
    use std::io::Write;
    let mut command = support::command::regauth();
    command
        .args(["audit", "--all-users", "--find-secret-stdin", "--system-root"])
        .arg(root)
        .env("HOME", home)
        .env("PATH", home.join("bin"))
        .envs(vars.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if json_out {
        command.arg("--json");
    }
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(format!("{secret}\n").as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn find_secret_stdin_finds_a_file_a_helper_and_the_environment() {
    let planted = every_kind(3);
    let root = machine(&planted);
    let in_file = &planted[8]; // glpat- in alice's config.json
    let in_helper = format!("ghp_{}", tail(77, 36, ALNUM));
    let in_env = format!("glcbt-{}", tail(78, 20, ALNUM));
    let nowhere = format!("dckr_pat_{}", tail(79, 27, ALNUM));
    let home = helper_home(&in_helper);
    let vars = [("CI_REGISTRY_PASSWORD", in_env.as_str()), ("OTHER", "nothing")];
    let mut outputs = Vec::new();
    let mut places_of = |secret: &str| {
        let out = find(home.path(), root.path(), secret, &vars, true);
        let report = json(&out);
        let text_out = find(home.path(), root.path(), secret, &vars, false);
        let (text, text_err) = texts(&text_out);
        outputs.push((
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
        outputs.push((text.clone(), text_err));
        (
            out.status.code(),
            report["found"].as_u64().unwrap(),
            report["places"].as_array().unwrap().clone(),
            text,
        )
    };

    let (code, found, places, text) = places_of(&in_file.secret);
    assert_eq!((code, found), (Some(9), 1), "{places:#?}");
    assert_eq!(places[0]["location"], root.path().join(ALICE).display().to_string());
    assert_eq!(
        (places[0]["registry"].as_str(), places[0]["storage"].as_str()),
        (Some(in_file.registry.as_str()), Some("plaintext"))
    );
    assert!(text.contains("The secret is stored in 1 places"), "{text}");

    let (code, found, places, _) = places_of(&in_helper);
    assert_eq!((code, found), (Some(9), 1), "{places:#?}");
    assert_eq!(places[0]["location"], "docker-credential-fake");
    assert_eq!(
        (places[0]["storage"].as_str(), places[0]["kind"].as_str()),
        (Some("helper"), Some("github-classic-token"))
    );

    let (code, found, places, _) = places_of(&in_env);
    assert_eq!((code, found), (Some(9), 1), "{places:#?}");
    assert_eq!(places[0]["location"], "$CI_REGISTRY_PASSWORD");
    assert_eq!(places[0]["storage"], "environment");

    let (code, found, _, text) = places_of(&nowhere);
    assert_eq!((code, found), (Some(0), 0));
    assert!(text.contains("not stored in any place scanned"), "{text}");

    let mut all = planted.clone();
    for (secret, user) in [(&in_helper, "bot"), (&in_env, "ci"), (&nowhere, "x")] {
        all.push(Planted {
            secret: secret.clone(),
            username: user.into(),
            public_prefix: 6,
            ..planted[0].clone()
        });
    }
    let named: Vec<(String, &str)> =
        outputs.iter().enumerate().map(|(i, (o, _))| (format!("find output {i}"), o.as_str())).collect();
    let errs: Vec<(String, &str)> =
        outputs.iter().enumerate().map(|(i, (_, e))| (format!("find stderr {i}"), e.as_str())).collect();
    let views: Vec<(&str, &str)> = named.iter().chain(&errs).map(|(n, t)| (n.as_str(), *t)).collect();
    assert_no_secret(&views, &all);
}

#[test]
fn find_secret_stdin_refuses_an_empty_secret_without_echoing() {
    let home = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let out = find(home.path(), root.path(), "", &[], false);
    assert_eq!(out.status.code(), Some(2));
    assert!(texts(&out).1.contains("fewer than 4 characters"), "{}", texts(&out).1);
}

#[test]
fn a_bad_fingerprint_key_is_refused_before_anything_is_scanned() {
    let root = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let short = key_file(keys.path(), "short", "tooshort");
    let out = audit(root.path(), &["--json", "--fingerprint-key", short.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let (stdout, stderr) = texts(&out);
    assert!(stdout.is_empty() && stderr.contains("at least 16"), "{stderr}");
    assert!(!stderr.contains("tooshort"), "the key is not echoed: {stderr}");
}
