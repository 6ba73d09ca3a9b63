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
        crate::exit_codes_help!()
    )
)]
pub struct Args {
    /// The shell to generate for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub(super) fn run(args: &Args) -> anyhow::Result<Exit> {
    let mut command = super::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "regauth", &mut out);
    super::output::print(&String::from_utf8_lossy(&out))?;
    Ok(Exit::Ok)
}
