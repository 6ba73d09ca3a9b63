//! `regauth completions SHELL`: shell completion scripts generated from the command definitions.

use crate::exit::Exit;

/// Print a completion script for your shell.
#[derive(Debug, clap::Args)]
#[command(
    after_long_help = concat!(
        "Examples:\n",
        "  regauth completions bash > /etc/bash_completion.d/regauth\n",
        "  regauth completions zsh > \"${fpath[1]}/_regauth\"\n",
        "  regauth completions fish > ~/.config/fish/completions/regauth.fish\n\n",
        crate::exit_codes_help!(0, 1, 2)
    )
)]
pub struct Args {
    /// The shell to generate for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub(super) fn run(args: &Args) -> anyhow::Result<Exit> {
    super::output::print(&String::from_utf8_lossy(&script(args.shell)))?;
    Ok(Exit::Ok)
}

fn script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut command = super::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "regauth", &mut out);
    out
}

/// `(file name, script)` for the completions/ directory that `make install` and the Debian package
/// install: bash, zsh and fish, under the names each shell's vendor directory expects. A test keeps the
/// checked-in copies equal to these.
pub fn files() -> Vec<(String, Vec<u8>)> {
    use clap_complete::Shell;
    [(Shell::Bash, "regauth.bash"), (Shell::Zsh, "_regauth"), (Shell::Fish, "regauth.fish")]
        .into_iter()
        .map(|(shell, name)| (name.to_owned(), script(shell)))
        .collect()
}
