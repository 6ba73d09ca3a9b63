//! `regauth token ...` recognised without clap: building the derive's whole command tree (every subcommand,
//! every argument and its help) costs more instructions than the rest of a cache hit. This parser knows the
//! one command line that is on the path of scripts (`token`, its flags and the global `--config` and
//! `--lock-timeout`) and yields exactly the [`Cli`] clap would; anything it is not sure of (help, version,
//! an unknown or repeated flag, a conflict, a bad value, `--`, a value that starts with `-`, text that is
//! not UTF-8, an empty value) is `None`, and clap parses the command line as before, with its own errors.
//! The tests below hold the two parsers to the same result over a table of command lines.

use super::client_arg::ClientArg;
use super::registry_args::{CredentialArgs, TrustArgs};
use super::{seconds, token, Cli, Command};
use crate::resolve::CONTAINERD_CONFIG;
use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::time::Duration;

/// The environment variables clap reads for the arguments of `token` (`env = ...`).
const ENV_CONFIG: &str = "REGAUTH_CONFIG";
const ENV_LOCK_TIMEOUT: &str = "REGAUTH_LOCK_TIMEOUT";
const ENV_CERTS_D: &str = "REGAUTH_CERTS_D";
/// Set (to anything) to send every command line to clap: the tests compare both paths with it.
pub(super) const ENV_FULL_PARSE: &str = "REGAUTH_FULL_PARSE";

/// `Some` when `args` (without the program name) is a `token` command line this parser is sure of.
pub(super) fn parse(args: &[OsString], env: &dyn Fn(&str) -> Option<OsString>) -> Option<Cli> {
    let mut p = Parsed::default();
    let mut rest = args.iter();
    // Global options before the subcommand; then the subcommand itself.
    loop {
        let arg = rest.next()?.to_str()?;
        if arg == "token" {
            break;
        }
        let (name, inline) = split_long(arg)?;
        if !p.global(name, inline, &mut rest)? {
            return None;
        }
    }
    while let Some(arg) = rest.next() {
        let arg = arg.to_str()?;
        if arg == "-u" {
            let value = value(None, &mut rest)?;
            set_once(&mut p.username, value.to_str()?.to_owned())?;
        } else if arg.starts_with('-') {
            let (name, inline) = split_long(arg)?;
            if !p.global(name, inline, &mut rest)? && !p.token(name, inline, &mut rest)? {
                return None;
            }
        } else {
            set_once(&mut p.image, arg.to_owned())?;
        }
    }
    p.finish(env)
}

/// The command line as far as it was read.
#[derive(Default)]
struct Parsed {
    config: Option<PathBuf>,
    debug: bool,
    lock_timeout: Option<Duration>,
    image: Option<String>,
    push: bool,
    decode: bool,
    json: bool,
    no_cache: bool,
    client: Option<ClientArg>,
    registries_conf: Option<PathBuf>,
    containerd_config: Option<PathBuf>,
    username: Option<String>,
    password_stdin: bool,
    identity_token_stdin: bool,
    anonymous: bool,
    ca_file: Vec<PathBuf>,
    certs_dir: Vec<PathBuf>,
    insecure: bool,
    tls_verify: Option<bool>,
    cert_dir: Vec<PathBuf>,
    helper_timeout: Option<Duration>,
    timeout: Option<Duration>,
}

type Rest<'a> = std::slice::Iter<'a, OsString>;

impl Parsed {
    /// A global option: `Some(true)` taken, `Some(false)` not a global one, `None` give up.
    fn global<'a>(&mut self, name: &str, inline: Option<&'a str>, rest: &mut Rest<'a>) -> Option<bool> {
        match name {
            "config" => set_once(&mut self.config, PathBuf::from(value(inline, rest)?))?,
            // A flag given twice or with a value is clap's to refuse.
            "debug" if self.debug || inline.is_some() => return None,
            "debug" => self.debug = true,
            "lock-timeout" => {
                set_once(&mut self.lock_timeout, seconds::wait(value(inline, rest)?.to_str()?).ok()?)?
            }
            _ => return Some(false),
        }
        Some(true)
    }

    /// An option of `token`: `Some(true)` taken, `Some(false)` unknown, `None` give up.
    fn token<'a>(&mut self, name: &str, inline: Option<&'a str>, rest: &mut Rest<'a>) -> Option<bool> {
        let flag = match name {
            "push" => &mut self.push,
            "decode" => &mut self.decode,
            "json" => &mut self.json,
            "no-cache" => &mut self.no_cache,
            "password-stdin" => &mut self.password_stdin,
            "identity-token-stdin" => &mut self.identity_token_stdin,
            "anonymous" => &mut self.anonymous,
            "insecure" => &mut self.insecure,
            _ => return self.token_value(name, inline, rest),
        };
        if *flag || inline.is_some() {
            return None;
        }
        *flag = true;
        Some(true)
    }

    /// An option of `token` that takes a value.
    fn token_value<'a>(&mut self, name: &str, inline: Option<&'a str>, rest: &mut Rest<'a>) -> Option<bool> {
        match name {
            // require_equals: a bare --tls-verify is true, and the next argument is not its value.
            "tls-verify" => set_once(
                &mut self.tls_verify,
                match inline {
                    None => true,
                    Some("true") => true,
                    Some("false") => false,
                    Some(_) => return None,
                },
            )?,
            "client" => {
                let text = value(inline, rest)?.to_str()?;
                set_once(&mut self.client, <ClientArg as clap::ValueEnum>::from_str(text, false).ok()?)?
            }
            "registries-conf" => set_once(&mut self.registries_conf, PathBuf::from(value(inline, rest)?))?,
            "containerd-config" => {
                set_once(&mut self.containerd_config, PathBuf::from(value(inline, rest)?))?
            }
            "username" => set_once(&mut self.username, value(inline, rest)?.to_str()?.to_owned())?,
            "ca-file" => self.ca_file.push(PathBuf::from(value(inline, rest)?)),
            "cert-dir" => self.cert_dir.push(PathBuf::from(value(inline, rest)?)),
            "certs-dir" => self.certs_dir.extend(split_dirs(value(inline, rest)?)?),
            "helper-timeout" => {
                set_once(&mut self.helper_timeout, seconds::timeout(value(inline, rest)?.to_str()?).ok()?)?
            }
            "timeout" => set_once(&mut self.timeout, seconds::timeout(value(inline, rest)?.to_str()?).ok()?)?,
            _ => return Some(false),
        }
        Some(true)
    }

    /// Requirements, conflicts, environment variables and defaults, as the clap definitions have them.
    fn finish(self, env: &dyn Fn(&str) -> Option<OsString>) -> Option<Cli> {
        let image = self.image?;
        if (self.password_stdin && (self.username.is_none() || self.identity_token_stdin || self.anonymous))
            || (self.identity_token_stdin && self.anonymous)
            || (self.anonymous && self.username.is_some())
            || (self.insecure && self.tls_verify.is_some())
        {
            return None;
        }
        let config = match self.config {
            Some(dir) => Some(dir),
            None => env_value(env, ENV_CONFIG)?.map(PathBuf::from),
        };
        let lock_timeout = match self.lock_timeout {
            Some(t) => t,
            None => match env_value(env, ENV_LOCK_TIMEOUT)? {
                Some(text) => seconds::wait(text.to_str()?).ok()?,
                None => Duration::from_secs(10),
            },
        };
        let certs_dir = match (self.certs_dir.is_empty(), env_value(env, ENV_CERTS_D)?) {
            (true, Some(text)) => split_dirs(&text)?,
            _ => self.certs_dir,
        };
        let args = token::Args {
            image,
            push: self.push,
            decode: self.decode,
            json: self.json,
            no_cache: self.no_cache,
            credential: CredentialArgs {
                client: self.client.unwrap_or(ClientArg::Docker),
                registries_conf: self.registries_conf,
                containerd_config: self.containerd_config.unwrap_or_else(|| CONTAINERD_CONFIG.into()),
                username: self.username,
                password_stdin: self.password_stdin,
                identity_token_stdin: self.identity_token_stdin,
                anonymous: self.anonymous,
            },
            trust: TrustArgs {
                ca_file: self.ca_file,
                certs_dir,
                insecure: self.insecure,
                tls_verify: self.tls_verify,
                cert_dir: self.cert_dir,
            },
            helper_timeout: self.helper_timeout.unwrap_or(Duration::from_secs(10)),
            timeout: self.timeout.unwrap_or(Duration::from_secs(30)),
        };
        Some(Cli { config, lock_timeout, debug: self.debug, command: Command::Token(args) })
    }
}

/// `--name` or `--name=value`; anything else (a short option, `--`, `-`) is not for this parser.
fn split_long(arg: &str) -> Option<(&str, Option<&str>)> {
    let body = arg.strip_prefix("--").filter(|b| !b.is_empty())?;
    Some(match body.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (body, None),
    })
}

/// An option's value: after `=`, else the next argument; empty or dash-led values are left to clap.
fn value<'a>(inline: Option<&'a str>, rest: &mut Rest<'a>) -> Option<&'a OsStr> {
    let value: &OsStr = match inline {
        Some(text) => text.as_ref(),
        None => rest.next()?.as_os_str(),
    };
    let bytes = value.as_encoded_bytes();
    (!bytes.is_empty() && bytes[0] != b'-').then_some(value)
}

fn set_once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value);
    Some(())
}

/// `--certs-dir A:B` and `REGAUTH_CERTS_D` (`value_delimiter = ':'`); an empty part is left to clap.
fn split_dirs(text: &OsStr) -> Option<Vec<PathBuf>> {
    text.to_str()?
        .split(':')
        .map(|part| (!part.is_empty()).then(|| PathBuf::from(part)))
        .collect::<Option<Vec<_>>>()
}

/// An environment variable clap would read: `Some(None)` unset, `Some(Some(_))` set and not empty, `None`
/// (give up) set but empty.
fn env_value(env: &dyn Fn(&str) -> Option<OsString>, name: &str) -> Option<Option<OsString>> {
    match env(name) {
        None => Some(None),
        Some(v) if v.is_empty() => None,
        Some(v) => Some(Some(v)),
    }
}

#[cfg(test)]
#[path = "token_fast_tests.rs"]
mod tests;
