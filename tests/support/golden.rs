//! Golden files: a command's `--json` output kept under tests/golden/<group>/<name>.json (and, through
//! [`compare`], any other output a test keeps). Only what truly
//! varies between runs (temp paths, times) is replaced by placeholders; everything else must match byte for
//! byte. `REGAUTH_BLESS=1` rewrites the files; a mismatch shows a line diff and says whether the change only
//! adds fields (what the JSON schemas allow) or removes or changes some.

use std::path::{Path, PathBuf};

pub struct Golden {
    dir: PathBuf,
    /// `(text, placeholder)`, longest text first so a path is replaced before its prefix.
    replacements: Vec<(String, String)>,
    mismatches: Vec<String>,
}

impl Golden {
    /// Files under tests/golden/`group`/.
    pub fn new(group: &str) -> Golden {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(group);
        Golden { dir, replacements: Vec::new(), mismatches: Vec::new() }
    }

    /// Write `placeholder` wherever `text` (a temp path, a port) appears.
    pub fn replace(&mut self, text: impl AsRef<str>, placeholder: &str) -> &mut Golden {
        self.replacements.push((text.as_ref().to_owned(), placeholder.to_owned()));
        self.replacements.sort_by_key(|(text, _)| std::cmp::Reverse(text.len()));
        self
    }

    /// `text` as the golden file would hold it.
    pub fn normalise(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (from, to) in &self.replacements {
            out = out.replace(from, to);
        }
        days_ago(&out)
    }

    /// Compare `actual` with `<name>.json`; mismatches are collected and reported by `finish`.
    pub fn check(&mut self, name: &str, actual: &str) {
        let path = self.dir.join(format!("{name}.json"));
        let mut actual = self.normalise(actual);
        if !actual.ends_with('\n') {
            actual.push('\n');
        }
        if let Err(mismatch) = compare(&path, &actual) {
            self.mismatches.push(mismatch);
        }
    }

    /// Compare a text run with `<name>.txt`: stdout, then `--- exit CODE`, then stderr when there is any
    /// (the layout of diagnose's text golden files).
    pub fn check_text(&mut self, name: &str, code: Option<i32>, stdout: &[u8], stderr: &[u8]) {
        let (stdout, stderr) = (String::from_utf8_lossy(stdout), String::from_utf8_lossy(stderr));
        let mut text = format!("{stdout}--- exit {}\n", code.map_or("signal".to_owned(), |c| c.to_string()));
        if !stderr.is_empty() {
            text.push_str("--- stderr\n");
            text.push_str(&stderr);
        }
        let path = self.dir.join(format!("{name}.txt"));
        if let Err(mismatch) = compare(&path, &self.normalise(&text)) {
            self.mismatches.push(mismatch);
        }
    }

    /// Panic with every mismatch, if any.
    pub fn finish(&mut self) {
        let mismatches = std::mem::take(&mut self.mismatches);
        assert!(
            mismatches.is_empty(),
            "{}\n{} golden file(s) differ; after review, rewrite them with REGAUTH_BLESS=1",
            mismatches.join("\n"),
            mismatches.len()
        );
    }
}

/// What a golden file holds for one run: `{"exit": CODE, "stdout": <the JSON printed>}`, pretty-printed
/// (keys in the order the program printed them). Output that is not JSON is kept as a string.
pub fn run_record(code: Option<i32>, stdout: &[u8]) -> String {
    let text = String::from_utf8_lossy(stdout);
    let stdout = serde_json::from_str(&text).unwrap_or_else(|_| serde_json::Value::String(text.into_owned()));
    serde_json::to_string_pretty(&serde_json::json!({"exit": code, "stdout": stdout})).unwrap()
}

/// Compare `actual` with the golden file at `path`: `Err` holds what differs, as a line diff, and whether the
/// change only adds JSON fields. With `REGAUTH_BLESS=1` the file is rewritten instead, unless the new output
/// drops a JSON field the old one had (the schemas only grow).
pub fn compare(path: &Path, actual: &str) -> Result<(), String> {
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    let json = (serde_json::from_str(&expected), serde_json::from_str(actual));
    if bless() {
        if let (Ok(old), Ok(new)) = &json {
            let mut removed = Vec::new();
            removed_fields(old, new, String::new(), &mut removed);
            assert!(removed.is_empty(), "{}: the new output drops fields {removed:?}", path.display());
        }
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
        return Ok(());
    }
    if expected == actual {
        return Ok(());
    }
    let kind = match json {
        (Ok(e), Ok(a)) if only_adds(&e, &a) => "only adds fields (the schema allows it): review and bless",
        (Ok(_), Ok(_)) => "removes or changes fields, which the schema promises not to do",
        _ if expected.is_empty() => "no golden file yet",
        _ => "differs",
    };
    Err(format!("{} {kind}:\n{}", path.display(), diff(&expected, actual)))
}

fn bless() -> bool {
    std::env::var("REGAUTH_BLESS").is_ok_and(|v| v == "1")
}

/// Whether `actual` holds everything `expected` holds, with the same values (objects may have more keys).
fn only_adds(expected: &serde_json::Value, actual: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            e.iter().all(|(k, v)| a.get(k).is_some_and(|w| only_adds(v, w)))
        }
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(v, w)| only_adds(v, w))
        }
        _ => expected == actual,
    }
}

/// Paths of object keys in `old` that `new` lacks (array items compared by position).
fn removed_fields(old: &serde_json::Value, new: &serde_json::Value, at: String, out: &mut Vec<String>) {
    use serde_json::Value;
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            for (key, value) in o {
                match n.get(key) {
                    Some(v) => removed_fields(value, v, format!("{at}.{key}"), out),
                    None => out.push(format!("{at}.{key}")),
                }
            }
        }
        (Value::Array(o), Value::Array(n)) => {
            for (i, (a, b)) in o.iter().zip(n).enumerate() {
                removed_fields(a, b, format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// "expired 1234 days ago" -> "expired <N> days ago": the count grows every day.
fn days_ago(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("expired ") {
        let (before, after) = rest.split_at(at + "expired ".len());
        out.push_str(before);
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 && after[digits..].starts_with(" days ago") {
            out.push_str("<N>");
            rest = &after[digits..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// A line diff (`-` golden, `+` actual) with two lines of context around each change.
fn diff(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    // Longest common subsequence table, from the end.
    let mut lcs = vec![vec![0u32; a.len() + 1]; e.len() + 1];
    for i in (0..e.len()).rev() {
        for j in (0..a.len()).rev() {
            lcs[i][j] = if e[i] == a[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let mut lines: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < e.len() || j < a.len() {
        if i < e.len() && j < a.len() && e[i] == a[j] {
            lines.push((' ', e[i]));
            (i, j) = (i + 1, j + 1);
        } else if i < e.len() && (j == a.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            lines.push(('-', e[i]));
            i += 1;
        } else {
            lines.push(('+', a[j]));
            j += 1;
        }
    }
    let near_change =
        |k: usize| lines[k.saturating_sub(2)..(k + 3).min(lines.len())].iter().any(|(m, _)| *m != ' ');
    let mut out = String::new();
    let mut skipped = false;
    for (k, (mark, line)) in lines.iter().enumerate() {
        if near_change(k) {
            out.push_str(&format!("{mark} {line}\n"));
            skipped = false;
        } else if !skipped {
            out.push_str("  ...\n");
            skipped = true;
        }
    }
    out
}
