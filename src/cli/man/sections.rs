//! A command's `after_long_help` split into man page sections, and the sections rendered as roff.

use super::super::topics::{environment, json};
use crate::exit::Exit;
use roff::{bold, roman, Roff};

/// The parts of one command's long help.
pub(super) struct Split {
    /// The lines after "Examples:", as written (commands and their explanations).
    examples: Vec<String>,
    /// `(code, meaning)` from the "Exit codes:" table, continuation lines joined.
    exit_codes: Vec<(String, String)>,
    /// Every other paragraph.
    details: Vec<String>,
}

impl Split {
    pub(super) fn of(command: &clap::Command) -> Split {
        let text = command
            .get_after_long_help()
            .or_else(|| command.get_after_help())
            .map(|t| t.to_string())
            .unwrap_or_default();
        let mut split = Split { examples: Vec::new(), exit_codes: Vec::new(), details: Vec::new() };
        for paragraph in text.split("\n\n") {
            if let Some(rest) = paragraph.strip_prefix("Examples:\n") {
                split.examples.extend(rest.lines().map(str::to_owned));
            } else if let Some(rest) = paragraph.strip_prefix("Exit codes:\n") {
                for line in rest.lines() {
                    let trimmed = line.trim_start();
                    let code: String = trimmed.chars().take_while(char::is_ascii_digit).collect();
                    let indent = line.len() - trimmed.len();
                    match split.exit_codes.last_mut() {
                        Some((_, meaning)) if code.is_empty() || indent > 2 => {
                            meaning.push(' ');
                            meaning.push_str(trimmed);
                        }
                        _ => split.exit_codes.push((code.clone(), trimmed[code.len()..].trim().to_owned())),
                    }
                }
            } else if paragraph.starts_with("Help topics:")
                || paragraph.starts_with("JSON (--json")
                || paragraph.trim().is_empty()
            {
                // regauth(1) has the topics as its own sections; JSON OUTPUT has the schemas.
            } else {
                split.details.push(paragraph.to_owned());
            }
        }
        split
    }

    /// The sections after OPTIONS/SUBCOMMANDS, as roff. `top`: regauth(1); `path`: the command path of
    /// a regauth subcommand (`cache-list`), empty otherwise.
    pub(super) fn render(&self, top: bool, path: &str) -> String {
        let mut roff = Roff::new();
        if !self.details.is_empty() {
            roff.control("SH", ["DETAILS"]);
            for paragraph in &self.details {
                preformatted_or_text(&mut roff, paragraph);
            }
        }
        if !self.examples.is_empty() {
            roff.control("SH", ["EXAMPLES"]);
            roff.control("nf", []);
            for line in &self.examples {
                // A command line in bold, its explanation (indented further) in roman.
                if line.starts_with("      ") || line.starts_with("       ") {
                    roff.text([roman(line.as_str())]);
                } else {
                    roff.text([bold(line.as_str())]);
                }
            }
            roff.control("fi", []);
        }
        if top {
            roff.control("SH", ["ENVIRONMENT"]);
            for (name, meaning) in environment::VARIABLES {
                roff.control("TP", []);
                roff.text([bold(*name)]);
                roff.text([roman(*meaning)]);
            }
            roff.control("SH", ["JSON OUTPUT"]);
            roff.text([roman(json::CONTRACT)]);
            roff.text([roman(
                "Each command's page has its schema; docs/json.md and `regauth help json` have all of them.",
            )]);
            roff.control("SH", ["FILES"]);
            roff.control("TP", []);
            roff.text([bold("PREFIX/libexec/regauth/regauth-cli")]);
            roff.text([roman(
                "The whole command. regauth, the program on PATH, is a small front that answers a token-cache \
                 hit of `regauth token` itself and runs regauth-cli, with the same arguments, for everything \
                 else. It looks for it there, from its own directory, then beside itself; never on PATH.",
            )]);
        }
        let schemas: Vec<_> = if path.is_empty() { Vec::new() } else { json::for_page(path).collect() };
        if !schemas.is_empty() {
            roff.control("SH", ["JSON OUTPUT"]);
            roff.text([roman(
                "With --json, one object on stdout whose first keys are schemaVersion and exitCode (see \
                 regauth(1), JSON OUTPUT), then:",
            )]);
            for schema in schemas {
                roff.control("TP", []);
                roff.text([bold(format!(
                    "regauth {} --json (schemaVersion {})",
                    schema.command, schema.version
                ))]);
                roff.text([roman(schema.fields)]);
            }
        }
        roff.control("SH", ["EXIT STATUS"]);
        if top {
            for exit in Exit::ALL {
                roff.control("TP", []);
                roff.text([bold(exit.code().to_string())]);
                roff.text([roman(format!("{}: {}", exit.summary(), exit.meaning()))]);
            }
        } else if self.exit_codes.is_empty() {
            roff.text([roman("See regauth(1), EXIT STATUS.")]);
        } else {
            for (code, meaning) in &self.exit_codes {
                roff.control("TP", []);
                roff.text([bold(code.as_str())]);
                roff.text([roman(meaning.as_str())]);
            }
        }
        // As clap_mangen's page does (its preamble defines Aq): an apostrophe typeset as one.
        roff.to_roff().replace('\'', "\\*(Aq")
    }
}

/// A paragraph whose lines are indented (a list, a command) keeps its lines; prose is filled.
fn preformatted_or_text(roff: &mut Roff, paragraph: &str) {
    if paragraph.lines().skip(1).any(|l| l.starts_with("  ")) {
        roff.control("PP", []);
        roff.control("nf", []);
        for line in paragraph.lines() {
            roff.text([roman(line)]);
        }
        roff.control("fi", []);
    } else {
        roff.control("PP", []);
        roff.text([roman(paragraph.replace('\n', " "))]);
    }
}

/// docs/json.md, generated: the contract, then each command's schema.
pub(super) fn json_doc() -> String {
    let mut out = String::from(
        "# JSON output\n\n<!-- Generated from src/cli/topics/json.rs by `REGAUTH_BLESS=1 cargo test --test \
         man_pages`; edit that file, not this one. -->\n\n",
    );
    out.push_str(json::CONTRACT);
    out.push_str("\n\n`regauth help json` prints the same; each command's man page has its own schema.\n");
    for schema in json::SCHEMAS {
        out.push_str(&format!(
            "\n## `regauth {} --json`\n\nschemaVersion {}. After `schemaVersion` and `exitCode`: {}\n",
            schema.command, schema.version, schema.fields
        ));
    }
    out.push_str(
        "\n## `regauth audit --json`, `regauth audit merge --json`\n\nSee docs/audit.md. Their keys are still \
         snake_case and they carry no `exitCode` yet; the audit's next schema switches them to this \
         contract.\n\n## Versions\n\n- helper-test: schemaVersion 2 (camelCase: `readOnly`); its output \
         before had no `schemaVersion` and said `read_only`.\n- token, cache list, cache clear, login, \
         logout, migrate, helpers, resolve: `schemaVersion` and `exitCode` added, first in the object; \
         nothing renamed, so still schemaVersion 1.\n",
    );
    out
}
