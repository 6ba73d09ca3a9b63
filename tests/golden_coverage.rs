//! Every command of the clap tree has golden files under tests/golden/<command>/ (`cache list` in
//! cache-list/): its text output (`*.txt`) and, when it takes --json, its JSON (`*.json`), and every JSON
//! golden file keeps the contract: `schemaVersion` and `exitCode` (equal to the exit code recorded).
//! A new command, or a new --json, without golden files fails here. Commands are read from the clap
//! tree, not from a list, so none can be forgotten.

use std::path::Path;

/// `(golden directory, command)` for every command a user can run.
fn runnable(cmd: &clap::Command, path: &str, out: &mut Vec<(String, clap::Command)>) {
    let has_subcommands = cmd.get_subcommands().any(|s| s.get_name() != "help");
    if !path.is_empty() && (!has_subcommands || !cmd.is_subcommand_required_set()) {
        out.push((path.to_owned(), cmd.clone()));
    }
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let sub_path =
            if path.is_empty() { sub.get_name().to_owned() } else { format!("{path}-{}", sub.get_name()) };
        runnable(sub, &sub_path, out);
    }
}

fn files(dir: &Path, ext: &str) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    out.sort();
    out
}

#[test]
fn every_command_has_text_and_json_golden_files() {
    let mut tree = regauth::cli::command();
    tree.build();
    let mut commands = Vec::new();
    runnable(&tree, "", &mut commands);
    assert!(commands.len() >= 15, "{:?}", commands.iter().map(|(p, _)| p).collect::<Vec<_>>());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut problems = Vec::new();
    for (path, cmd) in &commands {
        let dir = root.join(path);
        if files(&dir, "txt").is_empty() {
            problems.push(format!("{path}: no text golden file (tests/golden/{path}/*.txt)"));
        }
        if !cmd.get_arguments().any(|a| a.get_id() == "json") {
            continue;
        }
        if !regauth::cli::topics::json::SCHEMAS.iter().any(|s| s.page == path) {
            problems.push(format!("{path}: --json without a schema in src/cli/topics/json.rs"));
        }
        let jsons = files(&dir, "json");
        if jsons.is_empty() {
            problems.push(format!("{path}: --json without a golden file (tests/golden/{path}/*.json)"));
        }
        for file in jsons {
            let value: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            // A run record ({exit, stdout}) or the report itself.
            let (exit, report) = match value.get("stdout") {
                Some(stdout) => (value.get("exit").cloned(), stdout.clone()),
                None => (None, value.clone()),
            };
            let name = file.strip_prefix(&root).unwrap().display().to_string();
            if !report["schemaVersion"].is_u64() {
                problems.push(format!("{name}: no schemaVersion"));
            }
            match (&report["exitCode"], exit) {
                (code, _) if !code.is_u64() => problems.push(format!("{name}: no exitCode")),
                (code, Some(exit)) if *code != exit => {
                    problems.push(format!("{name}: exitCode {code}, exit {exit}"))
                }
                _ => {}
            }
        }
    }
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}
