//! The `regauth` command line: clap definitions, dispatch, and the mapping from outcomes to exit codes.
//!
//! Each subcommand lives in its own module with its arguments and its output (human and `--json`).

mod completions;
mod diagnose;
mod helpers;
pub mod man;
mod output;
mod resolve;

use crate::error::{Exit, EXIT_CODES_HELP};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

const ABOUT: &str =
    "Container-registry credentials: which one is used, where it is stored, and why a login fails";

#[derive(Debug, Parser)]
#[command(name = "regauth", version, about = ABOUT, long_about = None, after_long_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// Docker config to use: a directory (like docker --config) or a config.json file.
    /// Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
    #[arg(long, global = true, value_name = "PATH", env = "REGAUTH_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Resolve(resolve::Args),
    Diagnose(diagnose::Args),
    Helpers(helpers::Args),
    Completions(completions::Args),
}

/// The clap command tree, for man pages and completions.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// Run `regauth` with the process's arguments; returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { Exit::Usage.code() as i32 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let env = crate::environ::Environ::from_process();
    let result = match &cli.command {
        Command::Resolve(args) => resolve::run(&cli, args, &env),
        Command::Diagnose(args) => diagnose::run(&cli, args, &env),
        Command::Helpers(args) => helpers::run(&cli, args, &env),
        Command::Completions(args) => completions::run(args),
    };
    match result {
        Ok(exit) => exit.code() as i32,
        Err(err) => output::report_error(&err),
    }
}
