//! Every command's `--help` (regauth, each subcommand, each helper) rendered at 80 and 100 columns, as
//! clap wraps it on a terminal of that width. It fails on what hand-wrapped text turns into there: an
//! orphan word (a short line between two lines of one paragraph) and an example or exit-code line cut in
//! two, which cannot be pasted or read as a table.

use clap::Command;

fn every(cmd: Command, name: String, out: &mut Vec<(String, Command)>) {
    let mut cmd = cmd.name(name.clone());
    cmd.build();
    for sub in cmd.get_subcommands() {
        if sub.get_name() != "help" {
            every(sub.clone(), format!("{name} {}", sub.get_name()), out);
        }
    }
    out.push((name, cmd));
}

fn commands() -> Vec<(String, Command)> {
    let mut out = Vec::new();
    every(regauth::cli::command(), "regauth".into(), &mut out);
    for helper in regauth_helpers::ALL {
        every(helper.command(), helper.name.into(), &mut out);
    }
    every(regauth_helpers::kubelet::command(), regauth_helpers::kubelet::NAME.into(), &mut out);
    out
}

fn render(cmd: &Command, width: usize) -> String {
    let text = cmd.clone().term_width(width).max_term_width(width).render_long_help().to_string();
    text.lines().map(str::trim_end).collect::<Vec<_>>().join("\n")
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Lines that must never be cut: examples (they are pasted) and the rows of the exit-code table.
fn whole_lines(wide: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut in_exit_codes = false;
    for line in wide.lines() {
        let t = line.trim_start();
        if line.is_empty() {
            in_exit_codes = false;
        }
        if line.starts_with("Exit codes:") || line.starts_with("Exit status:") {
            in_exit_codes = true;
            continue;
        }
        let example = indent(line) >= 2
            && (t.starts_with("regauth ")
                || t.starts_with("docker-credential-regauth")
                || t.starts_with("printf ")
                || t.starts_with("curl ")
                || t.starts_with("echo "));
        if example || (in_exit_codes && t.chars().next().is_some_and(|c| c.is_ascii_digit())) {
            out.push(line);
        }
    }
    out
}

/// A short line between two lines of the same paragraph: what text wrapped by hand at one width and
/// wrapped again by clap at a smaller one looks like.
fn orphans(text: &str, width: usize) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for i in 1..lines.len().saturating_sub(1) {
        let (prev, line, next) = (lines[i - 1], lines[i], lines[i + 1]);
        if line.trim().is_empty() || next.trim().is_empty() || prev.trim().is_empty() {
            continue;
        }
        // A list item, a `key: value` row or a table row stands on its own line.
        let t = line.trim_start();
        let key = t.split_whitespace().next().is_some_and(|w| w.ends_with(':'));
        if key || t.starts_with("- ") || t.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            continue;
        }
        let same_paragraph = indent(prev) == indent(line) && indent(line) == indent(next);
        if same_paragraph && line.len() * 2 < width && prev.len() * 4 > width * 3 && !line.ends_with(':') {
            out.push(format!("{prev}\n{line}\n{next}"));
        }
    }
    out
}

#[test]
fn help_renders_at_80_and_100_columns() {
    let mut problems = Vec::new();
    let commands = commands();
    assert!(commands.len() > 20, "{}", commands.len());
    for (name, cmd) in &commands {
        let wide = render(cmd, 1000);
        for width in [80, 100] {
            let text = render(cmd, width);
            let narrow: Vec<&str> = text.lines().collect();
            for line in whole_lines(&wide) {
                if !narrow.contains(&line) {
                    problems.push(format!("{name} at {width}: cut in two: {line:?}"));
                }
            }
            for o in orphans(&text, width) {
                problems.push(format!("{name} at {width}: orphan:\n{o}"));
            }
        }
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n\n"));
}

/// The checks themselves: hand-wrapped text at 80 columns fails both.
#[test]
fn the_checks_see_hand_wrapping() {
    let cmd = Command::new("x").after_long_help(
        "Examples:\n  regauth login registry.example.com -u someone --password-stdin --repo team/app:1.2\n\n\
         A paragraph wrapped by hand at a hundred columns, which clap wraps again at a smaller width\n\
         and leaves a short line between two long ones, as an orphan word does in the middle of it.\n",
    );
    let wide = render(&cmd, 1000);
    let narrow = render(&cmd, 80);
    assert!(whole_lines(&wide).iter().any(|l| !narrow.lines().any(|n| n == *l)));
    assert!(!orphans(&narrow, 80).is_empty(), "{narrow}");
}
