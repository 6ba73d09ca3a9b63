//! One message channel: everything the `regauth` command says on stderr goes through src/cli/output.rs
//! (`say`, `say_lines`, `prompt`, `progress`, `report_error`), sanitised there once. This fails when a
//! file of src/cli writes to stderr itself.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `eprintln!`, `eprint!` or a write to `std::io::stderr()` (asking whether it is a terminal is fine), outside
/// comments.
fn writes_to_stderr(source: &str) -> Vec<(usize, String)> {
    source
        .lines()
        .enumerate()
        .filter(|(_, line)| {
            let code = line.split("//").next().unwrap_or_default();
            code.contains("eprintln!") || code.contains("eprint!") || code.contains("stderr().lock()")
        })
        .map(|(n, line)| (n + 1, line.trim().to_owned()))
        .collect()
}

#[test]
fn only_output_rs_writes_to_stderr() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src/cli"), &mut files);
    assert!(files.len() > 10, "src/cli not found: {files:?}");
    let mut found = Vec::new();
    for file in files {
        let name = file.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        if name == "src/cli/output.rs" {
            continue;
        }
        for (line, text) in writes_to_stderr(&std::fs::read_to_string(&file).unwrap()) {
            found.push(format!("{name}:{line}: {text}"));
        }
    }
    assert!(found.is_empty(), "stderr written outside src/cli/output.rs:\n{}", found.join("\n"));
}

#[test]
fn the_check_sees_each_form() {
    let source = "let x = 1; // eprintln!(\"in a comment\")\n    eprintln!(\"a\");\neprint!(\"b\");\nlet e = std::io::stderr().lock();\nlet t = std::io::stderr().is_terminal();\n";
    let lines: Vec<usize> = writes_to_stderr(source).into_iter().map(|(n, _)| n).collect();
    assert_eq!(lines, [2, 3, 4]);
}
