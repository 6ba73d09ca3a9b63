//! Golden files for `regauth diagnose`: the `--json` report and the text report of every scenario, stored
//! under tests/golden/diagnose/. They prove that a change to diagnose changed no output; `REGAUTH_BLESS=1`
//! rewrites them after a deliberate change (which must not drop a JSON field: the schema only grows). The
//! comparison is support::golden's, shared with audit and resolve; the normalising below is diagnose's own.
//!
//! Only what truly differs between runs is normalised, each to a placeholder that says what it stood for:
//! loopback ports (`127.0.0.1:<port1>`, numbered in order of appearance so the registry and the token
//! server stay apart), temporary directories (`<tmp>`), durations (`elapsedMs` 0, `(<ms> ms)`), upload
//! session ids (`<uuid>`), and times from the clock (`2026-12-05T05:00:00Z (in 5 minutes)` ->
//! `<time> (<relative>)`).
//! The registry lists a challenge's actions and an error's details in Go map order, which changes from run to
//! run: those are put in pull-before-push order (regauth itself always asks `pull,push`).

#![allow(dead_code)] // each test binary uses a different part

use super::support::bed::{regauth, Run};
use super::support::golden;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/diagnose")
}

/// Compare `run` (made with `--json`) with NAME.json, then run the same arguments without `--json` and
/// compare the text report with NAME.txt.
pub fn check(name: &str, run: &Run, args: &[&str], stdin: Option<&str>, home: &Path, path: Option<OsString>) {
    check_json(name, run);
    let text_args: Vec<&str> = args.iter().copied().filter(|a| *a != "--json").collect();
    assert_ne!(text_args.len(), args.len(), "{name}: the run to compare was not made with --json");
    check_text(name, &regauth(&text_args, stdin, home, path));
}

/// Compare a `--json` run with NAME.json.
pub fn check_json(name: &str, run: &Run) {
    let value: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{name}: not JSON ({e}): {}\n{}", run.stdout, run.stderr));
    let mut value = value;
    zero_elapsed(&mut value);
    let mut text = serde_json::to_string_pretty(&value).unwrap();
    text.push('\n');
    let actual = normalise(&text);
    compare(&golden_dir().join(format!("{name}.json")), &actual);
}

/// Compare a text run (stdout, stderr and the exit code) with NAME.txt.
pub fn check_text(name: &str, run: &Run) {
    assert!(!run.stdout.trim_start().starts_with('{'), "{name}: the text report is JSON");
    let mut text = format!("{}--- exit {}\n", run.stdout, run.code);
    if !run.stderr.is_empty() {
        text.push_str("--- stderr\n");
        text.push_str(&run.stderr);
    }
    compare(&golden_dir().join(format!("{name}.txt")), &normalise(&text));
}

fn compare(file: &Path, actual: &str) {
    if let Err(mismatch) = golden::compare(file, actual) {
        panic!("{mismatch}\nafter review, rewrite it with REGAUTH_BLESS=1");
    }
}

fn zero_elapsed(value: &mut serde_json::Value) {
    if let Some(exchanges) = value.get_mut("exchanges").and_then(|e| e.as_array_mut()) {
        for e in exchanges {
            if let Some(ms) = e.get_mut("elapsedMs") {
                *ms = serde_json::json!(0);
            }
        }
    }
}

/// Every per-run value in `text` replaced by its placeholder.
fn normalise(text: &str) -> String {
    let text = temp_dirs(text);
    let text = ports(&text);
    let text = after_each(&text, " (", " ms)", "<ms>");
    let text = times(&text);
    let text = registry_map_order(&text);
    uuids(&text)
}

/// An RFC 3339 UTC time (`2026-12-05T05:00:00Z`) -> `<time>`, and the relative time after it (`(in 5
/// minutes)`, `(3 seconds ago)`, `(now)`) -> `(<relative>)`.
fn times(text: &str) -> String {
    let shape = |b: &[u8]| {
        b.len() >= 20
            && b[..20].iter().zip(b"dddd-dd-ddTdd:dd:ddZ").all(|(c, p)| match p {
                b'd' => c.is_ascii_digit(),
                p => c == p,
            })
    };
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.char_indices().map(|(i, _)| i).find(|&i| shape(&rest.as_bytes()[i..])) {
        out.push_str(&rest[..i]);
        out.push_str("<time>");
        rest = &rest[i + 20..];
        if let Some(inner) = rest.strip_prefix(" (") {
            if let Some(end) = inner.find(')') {
                let said = &inner[..end];
                if said == "now" || said.starts_with("in ") || said.ends_with(" ago") {
                    out.push_str(" (<relative>)");
                    rest = &inner[end + 1..];
                }
            }
        }
    }
    out.push_str(rest);
    out
}

/// distribution's `scope="repository:N:push,pull"` and its error details for push before pull, in the one
/// order (see the module's notes).
fn registry_map_order(text: &str) -> String {
    let mut text = text.replace(":push,pull\\\"", ":pull,push\\\"").replace(":push,pull\"", ":pull,push\"");
    let detail =
        |action: &str| format!(r#"{{"Type":"repository","Class":"","Name":"team/app","Action":"{action}"}}"#);
    let push_pull = format!("{},{}", detail("push"), detail("pull"));
    let pull_push = format!("{},{}", detail("pull"), detail("push"));
    let escape = |s: &str| s.replace('"', "\\\"");
    text = text.replace(&push_pull, &pull_push).replace(&escape(&push_pull), &escape(&pull_push));
    text
}

/// `/tmp/.tmpXXXXXX` (tempfile's directories) -> `<tmp>`.
fn temp_dirs(text: &str) -> String {
    let base = std::env::temp_dir().join(".tmp");
    let base = base.to_str().unwrap();
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(base) {
        out.push_str(&rest[..i]);
        out.push_str("<tmp>");
        rest = rest[i + base.len()..].trim_start_matches(|c: char| c.is_ascii_alphanumeric());
    }
    out.push_str(rest);
    out
}

/// `127.0.0.1:41234` / `localhost:41234` -> `127.0.0.1:<port1>`, numbered by first appearance.
fn ports(text: &str) -> String {
    let mut seen: Vec<String> = Vec::new();
    let mut out = String::new();
    let mut rest = text;
    loop {
        let next =
            ["127.0.0.1:", "localhost:"].iter().filter_map(|h| rest.find(h).map(|i| (i, h.len()))).min();
        let Some((i, len)) = next else { break };
        out.push_str(&rest[..i + len]);
        rest = &rest[i + len..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            continue;
        }
        let port = &rest[..digits];
        let n = match seen.iter().position(|p| p == port) {
            Some(n) => n + 1,
            None => {
                seen.push(port.to_owned());
                seen.len()
            }
        };
        out.push_str(&format!("<port{n}>"));
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

/// Digits between `before` and `after` -> `placeholder`.
fn after_each(text: &str, before: &str, after: &str, placeholder: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(before) {
        out.push_str(&rest[..i + before.len()]);
        rest = &rest[i + before.len()..];
        let tail = rest.trim_start_matches('-');
        let digits = tail.len() - tail.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 && tail[digits..].starts_with(after) {
            out.push_str(placeholder);
            rest = &tail[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// Upload session ids (8-4-4-4-12 hex) -> `<uuid>`.
fn uuids(text: &str) -> String {
    let bytes = text.as_bytes();
    let shape = [8, 4, 4, 4, 12];
    let is_uuid_at = |start: usize| {
        let mut i = start;
        for (n, len) in shape.iter().enumerate() {
            if n > 0 {
                if bytes.get(i) != Some(&b'-') {
                    return false;
                }
                i += 1;
            }
            for _ in 0..*len {
                if !bytes.get(i).is_some_and(u8::is_ascii_hexdigit) {
                    return false;
                }
                i += 1;
            }
        }
        true
    };
    let mut out = String::new();
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        if (i == 0 || !bytes[i - 1].is_ascii_hexdigit()) && is_uuid_at(i) {
            out.push_str(&text[copied..i]);
            out.push_str("<uuid>");
            i += 36;
            copied = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[test]
fn normalises_only_what_varies() {
    let tmp = std::env::temp_dir().join(".tmpAb12Cd/.docker/config.json");
    let text = format!(
        "http://127.0.0.1:40001/v2 token http://localhost:40002/t again 127.0.0.1:40001 port 127.0.0.1:x \
         {} (12 ms) expires 2026-12-05T05:00:00Z (in 4 minutes), the token expired 2026-12-05T04:00:00Z (5 \
         seconds ago); at 2026-12-05T04:00:00Z (said) \
         /uploads/0a1b2c3d-0000-4000-8000-00000000abcd?_state=… status 401 (exit 5) \
         scope=\"repository:team/app:push,pull\" \
         {{\"Type\":\"repository\",\"Class\":\"\",\"Name\":\"team/app\",\"Action\":\"push\"}},\
         {{\"Type\":\"repository\",\"Class\":\"\",\"Name\":\"team/app\",\"Action\":\"pull\"}}",
        tmp.display()
    );
    assert_eq!(
        normalise(&text),
        "http://127.0.0.1:<port1>/v2 token http://localhost:<port2>/t again 127.0.0.1:<port1> port 127.0.0.1:x \
         <tmp>/.docker/config.json (<ms> ms) expires <time> (<relative>), the token expired <time> (<relative>); \
         at <time> (said) \
         /uploads/<uuid>?_state=… status 401 (exit 5) \
         scope=\"repository:team/app:pull,push\" \
         {\"Type\":\"repository\",\"Class\":\"\",\"Name\":\"team/app\",\"Action\":\"pull\"},\
         {\"Type\":\"repository\",\"Class\":\"\",\"Name\":\"team/app\",\"Action\":\"push\"}"
    );
}
