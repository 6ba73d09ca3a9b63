//! `regauth`, the program on PATH, is a small front: it answers `regauth token IMAGE` from the token cache
//! itself and hands every other command line, unchanged, to the whole command (`regauth-cli`, [`main_full`])
//! by exec. A cache hit is on the path of scripts and builds; the whole command is a 10 MB binary whose
//! loading alone (relocations, page faults) costs more than the hit's own work, so the hit is served by a
//! program that links only what a hit needs: the lean `token` parser, docker's config lookup, the token
//! cache and the answer's printing. No HTTP client, runtime or clap command tree is linked into it.
//!
//! What the front does not serve goes to the whole command before anything is said or written: a miss (the
//! network), `--no-cache`, `--debug`, a credential on stdin, a client other than docker, a credential kept
//! by a helper (the whole command asks it once; asking here too would run a slow helper twice on a miss),
//! and every command line the lean parser is unsure of (clap then gives its own errors and help).
//!
//! [`main_full`]: super::main

use super::client_arg::ClientArg;
use super::output::{report_error, say, Level};
use super::{token, token_fast, Cli, Command};
use crate::exit::Exit;
use crate::resolve::{self, Credential, Outcome as Resolved};
use regauth_core::environ::Environ;
use regauth_core::reference::Reference;
use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

/// The whole command's program: in `../libexec/regauth/` from the front's directory once installed, beside
/// the front in a build tree.
pub const FULL_PROGRAM: &str = "regauth-cli";

/// The variables a hit reads (docker's config lookup, the token cache and its keyring): copying only these
/// spares the copy and sort of the whole environment. A debug build panics on a read of any other, so the
/// tests catch one added to the hit path but not here.
const HIT_VARIABLES: &[&str] = &[
    "DOCKER_AUTH_CONFIG",
    "DOCKER_CONFIG",
    "HOME",
    // Only to see whether a configured helper is installed: the front never runs one.
    "PATH",
    "XDG_CACHE_HOME",
    regauth_core::token_cache::MODE_VAR,
    regauth_core::store::keyutils::NAMESPACE_VAR,
];

/// Run `regauth` with the process's arguments; returns the exit code (when it does not exec).
pub fn main() -> i32 {
    let args: Vec<OsString> = std::env::args_os().collect();
    match serve_hit(&args) {
        Some(code) => code,
        None => run_full(&args),
    }
}

/// The exit code of a `regauth token` answered from the cache; `None` for anything the whole command does.
fn serve_hit(args: &[OsString]) -> Option<i32> {
    if std::env::var_os(token_fast::ENV_FULL_PARSE).is_some() {
        return None;
    }
    let cli = token_fast::parse(args.get(1..)?, &|name| std::env::var_os(name))?;
    let Command::Token(asked) = &cli.command else { return None };
    let credential = &asked.credential;
    if cli.debug
        || asked.no_cache
        || credential.password_stdin
        || credential.identity_token_stdin
        || credential.username.is_some()
        || credential.client != ClientArg::Docker
    {
        return None;
    }
    let env = Environ::from_process_only(HIT_VARIABLES);
    let reference = Reference::parse(&asked.image).ok()?;
    let credential = if credential.anonymous { None } else { docker_credential(&cli, &reference, &env)? };
    let mut notes = Vec::new();
    let found = crate::token::from_cache(&reference, asked.push, &env, credential.as_ref(), &mut |note| {
        notes.push(note)
    });
    // What the cache discarded is gone for the whole command: said here, hit or miss.
    notes.iter().for_each(|note| say(Level::Note, note));
    let outcome = found?;
    Some(match token::answer(asked, &outcome) {
        Ok(exit) => exit.code() as i32,
        Err(err) => report_error(&err),
    })
}

/// What docker would send, when it is in the config itself (`Some(None)`: nothing, so anonymous); `None`
/// when a helper keeps it or the config cannot be used: the whole command asks, and says why.
fn docker_credential(cli: &Cli, reference: &Reference, env: &Environ) -> Option<Option<Credential>> {
    let options = resolve::Options {
        docker_config: cli.config.clone(),
        call_helpers: false,
        ..resolve::Options::default()
    };
    let found = resolve::resolve_docker(reference, env, &options);
    match found.outcome {
        Resolved::Found { .. } => Some(Some(found.credential?)),
        Resolved::NotFound => Some(None),
        _ => None,
    }
}

/// Exec the whole command with this command line (its program name included); returns only on failure.
fn run_full(args: &[OsString]) -> i32 {
    let program = match full_program() {
        Ok(program) => program,
        Err(why) => {
            say(Level::Error, &why);
            return Exit::Internal.code() as i32;
        }
    };
    let mut command = std::process::Command::new(&program);
    if let Some(name) = args.first() {
        command.arg0(name);
    }
    let err = command.args(args.iter().skip(1)).exec();
    say(Level::Error, &format!("cannot run {}: {err}", program.display()));
    Exit::Internal.code() as i32
}

/// The whole command's program, found from the front's own path (never from PATH).
fn full_program() -> Result<PathBuf, String> {
    let exe = std::env::current_exe()
        .map_err(|e| format!("cannot find {FULL_PROGRAM}: the path of this program is unknown: {e}"))?;
    let places = full_program_places(&exe);
    places.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        let looked: Vec<String> = places.iter().map(|p| p.display().to_string()).collect();
        format!("{FULL_PROGRAM}, the rest of regauth, is not installed: looked for {}", looked.join(" and "))
    })
}

/// Where [`FULL_PROGRAM`] may be for a front at `exe`: the install layout first, then the build tree.
fn full_program_places(exe: &Path) -> Vec<PathBuf> {
    let dir = exe.parent().unwrap_or(Path::new("/"));
    let mut places = Vec::with_capacity(2);
    if let Some(prefix) = dir.parent() {
        places.push(prefix.join("libexec/regauth").join(FULL_PROGRAM));
    }
    places.push(dir.join(FULL_PROGRAM));
    places
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_command_is_looked_for_in_libexec_then_beside_the_front() {
        assert_eq!(
            full_program_places(Path::new("/usr/bin/regauth")),
            [PathBuf::from("/usr/libexec/regauth/regauth-cli"), PathBuf::from("/usr/bin/regauth-cli")]
        );
        assert_eq!(
            full_program_places(Path::new("/work/target/release/regauth")),
            [
                PathBuf::from("/work/target/libexec/regauth/regauth-cli"),
                PathBuf::from("/work/target/release/regauth-cli")
            ]
        );
        assert_eq!(full_program_places(Path::new("/regauth")), [PathBuf::from("/regauth-cli")]);
    }
}
