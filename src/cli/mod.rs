//! The `regauth` command line: clap definitions, dispatch, and the mapping from outcomes to exit codes.
//!
//! Each subcommand lives in its own module with its arguments and its output (human and `--json`).

mod audit;
mod audit_online;
mod cache;
mod client_arg;
pub mod completions;
mod diagnose;
mod export;
pub mod front;
mod helper_test;
mod helpers;
mod login;
mod logout;
pub mod man;
mod migrate;
mod output;
mod registry_args;
mod resolve;
mod seconds;
mod status;
mod token;
mod token_fast;
pub mod topics;

use crate::exit::Exit;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

const ABOUT: &str =
    "Container-registry credentials: which one is used, where it is stored, and why a login fails";

#[derive(Debug, Parser)]
#[command(name = "regauth", version, about = ABOUT, long_about = None, after_help = topics::listing(),
    after_long_help = format!("{}\n\n{}", concat!(
    "Examples:\n",
    "  regauth resolve ghcr.io/org/app:1.2\n",
    "      Which credential docker, podman and nerdctl would send.\n",
    "  regauth diagnose docker.io/me/app --push\n",
    "      Is it the password, or the permission? (with the fix)\n",
    "  regauth audit\n",
    "      Every stored registry credential, with findings.\n",
    "  regauth token ghcr.io/org/app\n",
    "      A bearer token for curl (cached across runs).\n",
    "  regauth status\n",
    "      Every registry logged into, and whether each login works.\n",
    "  regauth helpers set regauth-keyutils\n",
    "      Make the kernel-keyring helper the default.\n",
    "  regauth helper-test pass\n",
    "      Check docker-credential-pass against the protocol.\n",
    "  regauth <COMMAND> --help\n",
    "      Examples and details for one command.\n\n",
    crate::exit_codes_help!()
), topics::listing()))]
pub struct Cli {
    /// Docker config directory, as docker --config DIR: DIR/config.json is read and written. A DIR that
    /// does not exist is an error for commands that write (it is not made); an existing file is taken as
    /// the config file itself. Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
    #[arg(long, global = true, value_name = "DIR", env = "REGAUTH_CONFIG")]
    pub config: Option<PathBuf>,

    /// Seconds to wait for another writer's lock on a config file before giving up (0: do not wait).
    /// Edits hold the lock for milliseconds.
    #[arg(
        long,
        global = true,
        value_name = "SECONDS",
        env = "REGAUTH_LOCK_TIMEOUT",
        default_value = "10",
        value_parser = seconds::wait
    )]
    pub lock_timeout: std::time::Duration,

    /// Trace every HTTP request and answer on stderr as it happens, secrets redacted as in `diagnose
    /// --verbose` (every form of every credential and token: raw, base64, Basic, URL-encoded).
    #[arg(long, global = true)]
    pub debug: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Resolve(resolve::Args),
    Diagnose(diagnose::Args),
    Export(export::Args),
    Audit(audit::Args),
    Helpers(helpers::Args),
    HelperTest(helper_test::Args),
    Completions(completions::Args),
    Login(login::Args),
    Logout(logout::Args),
    Migrate(migrate::Args),
    Token(token::Args),
    Cache(cache::Args),
    Status(status::Args),
}

impl Cli {
    /// docker's config.json for a command that only reads it.
    pub(crate) fn config_to_read(&self, env: &regauth_core::environ::Environ) -> anyhow::Result<PathBuf> {
        regauth_core::config::docker_config_path(env, self.config.as_deref()).ok_or_else(|| {
            output::UsageError("no config location: set HOME or DOCKER_CONFIG, or pass --config".into())
                .into()
        })
    }

    /// docker's config.json for a command that writes it: `--config DIR` must exist (docker would make it;
    /// a mistyped DIR would then hold a credential no client reads).
    pub(crate) fn config_to_write(&self, env: &regauth_core::environ::Environ) -> anyhow::Result<PathBuf> {
        if let Some(dir) = self.config.as_deref().and_then(regauth_core::config::missing_config_dir) {
            return Err(output::MissingConfigDir(dir).into());
        }
        self.config_to_read(env)
    }
}

/// The clap command tree, for man pages and completions.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// For the `token_argv` fuzz target: the lean `token` parser, when it answers, gives the `Cli` clap gives
/// (compared by its Debug form) for `args` (without the program name), in this process's environment.
#[doc(hidden)]
pub fn lean_token_parse_agrees_with_clap(args: &[std::ffi::OsString]) -> bool {
    let Some(lean) = token_fast::parse(args, &|name| std::env::var_os(name)) else { return true };
    match Cli::try_parse_from(
        std::iter::once(std::ffi::OsString::from("regauth")).chain(args.iter().cloned()),
    ) {
        Ok(full) => format!("{lean:?}") == format!("{full:?}"),
        Err(_) => false,
    }
}

/// Run `regauth` with the process's arguments; returns the exit code.
pub fn main() -> i32 {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(topic) = topics::asked(&args) {
        let text = topics::topic(topic).expect("asked names a topic");
        return match output::print(&text) {
            Ok(()) => 0,
            Err(err) => output::report_error(&err),
        };
    }
    // `regauth token` is on the path of scripts: recognised without building clap's tree (token_fast).
    let fast = match std::env::var_os(token_fast::ENV_FULL_PARSE) {
        None => token_fast::parse(&args[1.min(args.len())..], &|name| std::env::var_os(name)),
        Some(_) => None,
    };
    let cli = match fast.map_or_else(|| Cli::try_parse_from(&args), Ok) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { Exit::Usage.code() as i32 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    if cli.debug {
        crate::http::trace::enable(output::debug_lines);
    }
    let env = regauth_core::environ::Environ::from_process();
    let result = match &cli.command {
        Command::Resolve(args) => resolve::run(&cli, args, &env),
        Command::Audit(args) => audit::run(&cli, args, &env),
        Command::Diagnose(args) => diagnose::run(&cli, args, &env),
        Command::Export(args) => export::run(&cli, args, &env),
        Command::Helpers(args) => helpers::run(&cli, args, &env),
        Command::Completions(args) => completions::run(args),
        Command::HelperTest(args) => helper_test::run(args, &env),
        Command::Login(args) => login::run(&cli, args, &env),
        Command::Logout(args) => logout::run(&cli, args, &env),
        Command::Migrate(args) => migrate::run(&cli, args, &env),
        Command::Token(args) => token::run(&cli, args, &env),
        Command::Cache(args) => cache::run(&cli, args, &env),
        Command::Status(args) => status::run(&cli, args, &env),
    };
    match result {
        Ok(exit) => exit.code() as i32,
        Err(err) => output::report_error(&err),
    }
}
