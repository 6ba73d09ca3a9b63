//! docs/clients.md's tables are written by the tests that observed them: each test renders its rows
//! (client, version, case, what the client did, what regauth said) into its own section between
//! `<!-- generated:NAME -->` and `<!-- end:NAME -->`, and fails when the file says something else;
//! `REGAUTH_BLESS=1` rewrites the section. So the table cannot drift from what the tests saw.

use std::io::Write;
use std::path::{Path, PathBuf};

fn doc_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/clients.md")
}

/// The version tests/go/NAME/go.mod pins for `module` (`v2.2.1`), or `?`.
pub fn pinned_version(go_module: &str, module: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/go").join(go_module).join("go.mod");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix(module).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or("?")
        .to_owned()
}

/// One row: client, version, case, the client's outcome, regauth's verdict.
pub type Row = [String; 5];

/// Check (or with `REGAUTH_BLESS=1` write) section `name` of docs/clients.md.
pub fn check_section(name: &str, rows: &[Row]) {
    let mut table =
        String::from("| client | version | case | the client did | regauth said |\n|---|---|---|---|---|\n");
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| c.replace('|', "\\|").replace('\n', " ")).collect();
        table.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    let (begin, end) = (format!("<!-- generated:{name} -->\n"), format!("<!-- end:{name} -->"));
    let _lock = lock();
    let path = doc_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (Some(start), Some(stop)) = (text.find(&begin), text.find(&end)) else {
        panic!("{} has no section {begin:?} ... {end:?}", path.display());
    };
    let current = &text[start + begin.len()..stop];
    if current == table {
        return;
    }
    if std::env::var("REGAUTH_BLESS").is_ok_and(|v| v == "1") {
        let new = format!("{}{begin}{table}{}", &text[..start], &text[stop..]);
        std::fs::write(&path, new).unwrap();
        return;
    }
    panic!(
        "{} section {name} differs from what the test saw; after review, rewrite it with REGAUTH_BLESS=1\n--- file\n{current}--- observed\n{table}",
        path.display()
    );
}

/// An exclusive lock on a file in the temp dir, so parallel tests rewrite docs/clients.md in turn.
fn lock() -> std::fs::File {
    use std::os::unix::io::AsRawFd;
    let path = std::env::temp_dir().join("regauth-clients-doc.lock");
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&path).unwrap();
    // SAFETY: flock(2) on a descriptor this function owns; no memory is touched.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
    assert_eq!(rc, 0, "flock {}", path.display());
    let _ = file.flush();
    file
}

/// The message of the last `level=fatal` line (containerd's clients log that way), with loopback ports
/// written as PORT; else the last line of stderr.
pub fn fatal_message(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let line = text.lines().rev().find(|l| l.contains("level=fatal")).or_else(|| text.lines().last());
    let line = line.unwrap_or_default();
    let message = line
        .split_once("msg=\"")
        .map(|(_, rest)| rest.strip_suffix('"').unwrap_or(rest).replace("\\\"", "\""))
        .unwrap_or_else(|| line.to_owned());
    without_ports(&message)
}

/// `127.0.0.1:12345` -> `127.0.0.1:PORT`.
pub fn without_ports(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("127.0.0.1:") {
        out.push_str(&rest[..i + 10]);
        rest = &rest[i + 10..];
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 {
            out.push_str("PORT");
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}
