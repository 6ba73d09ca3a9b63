//! `regauth login REGISTRY`: prove the credential the way docker does, say per repository what it may do
//! (diagnose's probes, nothing written) before anything is stored, then store it safely: through the
//! helper the config names, else regauth's best store here (and `credHelpers` set), plaintext only when
//! asked.

use super::output::{print, print_report, prompt, say, Failed, Level, UsageError};
use super::registry_args::TrustArgs;
use super::Cli;
use crate::diagnose::{self, Lookup, Observer};
use crate::exit::Exit;
use crate::http::tls;
use crate::http::transport::{TlsOptions, Transport};
use crate::login::handshake::{verify, NotVerified};
use crate::login::report::LoginReport;
use crate::login::rights::{repository_reference, rights, RepoRights};
use crate::login::store::{self, Target};
use crate::placement::IDENTITY_TOKEN_USERNAME;
use crate::resolve::{Credential, CredentialKind};
use regauth_core::config;
use regauth_core::environ::Environ;
use regauth_core::registry::RegistryHost;
use regauth_core::sanitize::{for_terminal, one_line};
use regauth_core::secret::Secret;
use std::io::{BufRead, IsTerminal, Read};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Log in to a registry: check the credential, show what it may do, and store it safely.
///
/// Authentication is checked as docker checks it: GET /v2/, then (for a token registry) a token for no
/// scope with offline_token=true, or Basic. With --repo, each repository gets diagnose's pull and push
/// probes (an upload session opened and cancelled: nothing is written), and a credential that may pull
/// but not push is said to be read-only BEFORE it is stored. The credential goes to the helper the config
/// names for the registry (credHelpers, then credsStore); with none, to regauth's best store here (the
/// Secret Service when one answers on the session bus, else the kernel keyring), and credHelpers is set
/// for the registry so docker, podman, skopeo, buildah and nerdctl ask it. An identity token the token
/// service hands out is stored instead of the password, under the username <token>, as docker does.
/// The password is never a flag value: it is prompted for without echo, or read with --password-stdin
/// (--token-stdin for a registry that takes a token with any username). With no REGISTRY, Docker Hub.
///
/// The file written is docker's config.json (--config DIR); with --authfile FILE, or REGISTRY_AUTH_FILE
/// when --config is not given, containers' auth.json as podman login writes it (the bare host as key;
/// credsStore is not read, as podman does not). The file is read and checked before the registry is
/// asked: a malformed one stops the login (exit 3) and is never overwritten. Before the write, a warning
/// says when a plaintext entry would be shadowed by a helper the file names, and when the store already
/// holds another user's credential for the registry, which is replaced.
#[derive(Debug, clap::Args)]
#[command(after_long_help = concat!(
    "Examples:\n",
    "  regauth login ghcr.io -u me\n",
    "      Prompts for the password (no echo), checks it and stores it in a safe store.\n",
    "  printf %s \"$TOKEN\" | regauth login -u me --password-stdin --repo me/app\n",
    "      Says whether the token may pull and push me/app before storing it, e.g.:\n",
    "        me/app: pull yes, push NO\n",
    "        read-only: this credential may pull but not push me/app\n",
    "  regauth login 127.0.0.1:5000 -u ci --password-stdin --plaintext\n",
    "      Store in config.json's auths, unencrypted (with a warning).\n",
    "  regauth login registry.example.com -u me --repo team/app:1.2 --json\n",
    "  printf %s \"$GITHUB_TOKEN\" | regauth login ghcr.io --token-stdin\n",
    "      A token-only login: the registry takes the token with any username.\n",
    "  printf %s \"$PW\" | regauth login quay.io -u me --password-stdin \\\n",
    "      --authfile ~/auth.json\n",
    "      Writes containers' auth.json, as podman login --authfile does.\n\n",
    "REPO is a repository on REGISTRY, optionally with :TAG or @DIGEST (default tag: latest; a missing tag ",
    "still shows both rights). The exit code is that of the login: 0 when the credential was stored, also ",
    "when a repository's push is refused (see the report or the JSON); 4 when the credential is rejected and ",
    "3 when it could not be stored, and then nothing is stored.\n\n",
    "JSON (--json): `regauth help json`, regauth-login(1), docs/json.md. No secret appears in any output.\n\n",
    crate::exit_codes_help!(0, 1, 2, 3, 4, 7, 8)
))]
pub struct Args {
    /// The registry: host[:port]. Default: Docker Hub (docker.io), as docker login.
    pub registry: Option<String>,

    /// Username (prompted for on a terminal when left out).
    #[arg(short = 'u', long, value_name = "USER")]
    pub username: Option<String>,

    /// Read the password (or access token) from stdin instead of prompting.
    #[arg(long, conflicts_with = "token_stdin")]
    pub password_stdin: bool,

    /// Read a token from stdin, for registries that take a token with any username (the username is
    /// -u USER, else "token").
    #[arg(long)]
    pub token_stdin: bool,

    /// Refused: a password on the command line is seen by every user of the machine (ps,
    /// /proc/PID/cmdline) and kept in shell history. Pipe it in with --password-stdin.
    #[arg(short = 'p', long = "password", value_name = "PASSWORD", hide = true, allow_hyphen_values = true)]
    pub password: Option<String>,

    /// Write containers' auth.json FILE (podman's --authfile) instead of docker's config.json.
    /// Default: REGISTRY_AUTH_FILE, when --config is not given.
    #[arg(long, value_name = "FILE")]
    pub authfile: Option<PathBuf>,

    /// Report pull and push rights on this repository before storing (repeatable).
    #[arg(long = "repo", value_name = "REPO")]
    pub repos: Vec<String>,

    /// Store in config.json's auths, unencrypted, instead of a credential helper.
    #[arg(long)]
    pub plaintext: bool,

    #[command(flatten)]
    pub trust: TrustArgs,

    /// Seconds to wait for a credential helper (0.001 to 86400).
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = super::seconds::timeout)]
    pub helper_timeout: Duration,

    /// Seconds the check of the credential, and each repository's probes, may take (0.001 to 86400).
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = super::seconds::timeout)]
    pub timeout: Duration,

    /// Print a JSON report instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Diagnose's progress is not shown by login: its rights lines say what came of it.
struct Quiet;

impl Observer for Quiet {
    fn step(&self, _: &str) {}
    fn warn(&self, _: &str) {}
}

/// Docker Hub, the registry of `login` without one (as docker login).
const DOCKER_HUB: &str = "docker.io";

pub(super) fn run(cli: &Cli, args: &Args, env: &Environ) -> anyhow::Result<Exit> {
    if args.password.is_some() {
        return Err(UsageError(
            "-p/--password is not accepted: a password among the arguments is visible to every user of \
             the machine (ps, /proc) and kept in shell history; use --password-stdin (or answer the \
             prompt)"
                .into(),
        )
        .into());
    }
    let registry = args.registry.as_deref().unwrap_or(DOCKER_HUB);
    let host =
        RegistryHost::parse(registry).map_err(|e| UsageError(format!("{}: {e}", one_line(registry))))?;
    let references = args
        .repos
        .iter()
        .map(|r| repository_reference(&host, r).map_err(UsageError))
        .collect::<Result<Vec<_>, _>>()?;
    let target = choose_target(cli, args, env)?;
    // The file is read and checked before the registry is asked: a malformed one would stop the write
    // after the round trip (it is never overwritten), so it stops the login now.
    let doc = config::load(&target.path, false)?.unwrap_or_default();
    let (username, secret) = read_credential(args)?;
    let ca_files = tls::ca_files(host.as_str(), &args.trust.certs_dirs(), &args.trust.all_ca_files())
        .map_err(Failed::local)?;
    let tls = TlsOptions { ca_files, insecure: args.trust.allows_insecure() };
    let transport = Transport::new(&tls).map_err(Failed::local)?;
    transport.redact(&secret);
    let mut report = LoginReport::new(&host, &username);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let verified = runtime.block_on(async {
        tokio::time::timeout(
            args.timeout,
            verify(&transport, &host, args.trust.allows_insecure(), &username, &secret),
        )
        .await
        .unwrap_or_else(|_| {
            Err(NotVerified {
                exit: Exit::Network,
                summary: format!("no answer within {} s", args.timeout.as_secs_f64()),
            })
        })
    });
    let identity = match verified {
        Err(not) => {
            report.authentication.summary = not.summary;
            return finish(report, not.exit, args.json, &transport);
        }
        Ok(v) => report.authenticated(v, &username, &host, args.trust.allows_insecure()),
    };
    if !args.json {
        let said = if report.authentication.method == Some("none") { "not checked" } else { "authenticated" };
        print(&format!("{said}: {}\n", report.authentication.summary))?;
    }
    // Each repository: diagnose's probes with this credential, pull and push, nothing written.
    for reference in references {
        let input = diagnose::Input {
            reference,
            lookup: Lookup::Explicit(Credential {
                username: username.clone(),
                secret: secret.clone(),
                kind: CredentialKind::Password,
            }),
            push: true,
            registry_type: None,
            tls: tls.clone(),
            observer: Arc::new(Quiet),
            timeout: args.timeout,
        };
        let probed = runtime.block_on(diagnose::run(input));
        let rights = match probed {
            Ok(diagnosis) => rights(&diagnosis),
            Err(e) => {
                runtime.shutdown_background();
                return Err(Failed::local(e));
            }
        };
        if !args.json {
            print(&rights_text(&rights))?;
        }
        report.repositories.push(rights);
    }
    runtime.shutdown_background();
    report.note_read_only();
    if !report.read_only.is_empty() && !args.json {
        // Said before anything is stored.
        print(&format!(
            "read-only: this credential may pull but not push {}\n",
            report.read_only.iter().map(|r| one_line(r)).collect::<Vec<_>>().join(", ")
        ))?;
    }
    let (store_user, store_secret) = match &identity {
        Some(token) => (IDENTITY_TOKEN_USERNAME, token),
        None => (username.as_str(), &secret),
    };
    // Warnings are said before the write they are about (the JSON report carries them all).
    if !args.json {
        for w in &report.warnings {
            say(Level::Warning, w);
        }
    }
    let mut early = Vec::new();
    let mut warn = |w: String| {
        if !args.json {
            say(Level::Warning, &w);
        }
        early.push(w);
    };
    let placed = if args.plaintext {
        let identity = identity.as_ref();
        store::plaintext(cli.lock_timeout, &target, &doc, &host, &username, &secret, identity, &mut warn)
    } else {
        let timeouts = (cli.lock_timeout, args.helper_timeout);
        store::in_helper(
            timeouts.0,
            timeouts.1,
            env,
            &target,
            &doc,
            &host,
            store_user,
            store_secret,
            &mut warn,
        )
    };
    report.warnings.extend(early);
    report.said = report.warnings.len();
    let exit = match placed {
        Ok(stored) => {
            report.stored = Some(stored);
            Exit::Ok
        }
        Err(e) => {
            report.error = Some(e);
            Exit::LocalConfig
        }
    };
    finish(report, exit, args.json, &transport)
}

/// The username of a token-only login (`--token-stdin` without `-u`): such registries take any.
const TOKEN_USERNAME: &str = "token";

/// The username (flag, or a prompt on a terminal) and the password (stdin, or a prompt without echo).
fn read_credential(args: &Args) -> anyhow::Result<(String, Secret)> {
    let terminal = std::io::stdin().is_terminal();
    let username = match &args.username {
        Some(u) => u.clone(),
        None if args.token_stdin => TOKEN_USERNAME.to_owned(),
        None if terminal && !args.password_stdin => {
            prompt("Username: ");
            let mut line = String::new();
            std::io::stdin().lock().take(4096).read_line(&mut line)?;
            line.trim().to_owned()
        }
        None => return Err(UsageError("give the username with -u USER".into()).into()),
    };
    if username.is_empty() || username.contains(['\0', '\n', '\r']) || username.contains(':') {
        return Err(UsageError("the username must be one line, without ':'".into()).into());
    }
    let secret = if args.password_stdin || args.token_stdin {
        super::registry_args::read_stdin_secret()?
    } else if terminal {
        let mut text = rpassword::prompt_password("Password: ")?;
        let secret = Secret::new(text.as_str());
        zeroize::Zeroize::zeroize(&mut text);
        secret
    } else {
        return Err(
            UsageError("stdin is not a terminal: pipe the password in with --password-stdin".into()).into()
        );
    };
    if secret.is_empty() {
        return Err(UsageError("the password is empty".into()).into());
    }
    Ok((username, secret))
}

/// `--authfile`, else `REGISTRY_AUTH_FILE` when `--config` is not given (podman's rule), else docker's
/// config.json (`--config DIR` must exist).
fn choose_target(cli: &Cli, args: &Args, env: &Environ) -> anyhow::Result<Target> {
    if args.authfile.is_some() && cli.config.is_some() {
        return Err(UsageError("--config and --authfile name two files to write: give one".into()).into());
    }
    let authfile = args.authfile.clone().or_else(|| match cli.config {
        None => env.path_buf("REGISTRY_AUTH_FILE"),
        Some(_) => None,
    });
    Ok(match authfile {
        Some(path) => Target { path, containers: true },
        None => Target { path: cli.config_to_write(env)?, containers: false },
    })
}

fn rights_text(r: &RepoRights) -> String {
    let mut out = format!("{}: pull {}, push {}\n", one_line(&r.repository), r.pull.text(), r.push.text());
    if let Some(reason) = &r.reason {
        out.push_str(&format!("  why: {}\n", for_terminal(reason, 600)));
    }
    if let Some(fix) = &r.fix {
        out.push_str(&format!("  fix: {}\n", for_terminal(fix, 600)));
    }
    out
}

fn finish(mut report: LoginReport, exit: Exit, json: bool, transport: &Transport) -> anyhow::Result<Exit> {
    // Everything said passes the transport's redaction once more: it knows every secret in play.
    if let Some(e) = &mut report.error {
        *e = transport.clean(e, 2000);
    }
    if json {
        print_report(&report, 1, exit)?;
        return Ok(exit);
    }
    let mut out = String::new();
    if report.authentication.method.is_none() {
        return Err(Failed::stop(exit, format!("login failed: {}", report.authentication.summary)));
    }
    if let Some(stored) = &report.stored {
        match stored.place {
            "file" => out.push_str(&format!(
                "stored: in {} under auths.{}\n",
                stored.file.display(),
                one_line(&stored.server_urls.join(", "))
            )),
            _ => {
                let identity = if stored.username == IDENTITY_TOKEN_USERNAME {
                    " (an identity token, as <token>)"
                } else {
                    ""
                };
                out.push_str(&format!(
                    "stored: in {} under {}{identity}\n",
                    stored.program.as_deref().unwrap_or_default(),
                    one_line(&stored.server_urls.join(", "))
                ));
                if let Some(because) = &stored.chosen_because {
                    out.push_str(&format!("  because {}\n", for_terminal(because, 600)));
                }
            }
        }
        for c in &stored.changes {
            let show = |v: &Option<String>| {
                v.as_deref().map_or("(none)".to_owned(), |s| format!("\"{}\"", one_line(s)))
            };
            out.push_str(&format!(
                "configured: {}: {} -> {} in {}\n",
                one_line(&c.field),
                show(&c.old),
                show(&c.new),
                stored.file.display()
            ));
        }
    }
    print(&out)?;
    for w in &report.warnings[report.said..] {
        say(Level::Warning, w);
    }
    match &report.error {
        Some(e) => Err(Failed::stop(exit, e.clone())),
        None => {
            print("Login Succeeded\n")?;
            Ok(exit)
        }
    }
}
