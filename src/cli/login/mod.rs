//! `regauth login REGISTRY`: prove the credential the way docker does, say per repository what it may do
//! (diagnose's probes, nothing written) before anything is stored, then store it safely: through the
//! helper the config names, else regauth's best store here (and `credHelpers` set), plaintext only when
//! asked.

use super::output::{print, print_report, UsageError};
use super::registry_args::TrustArgs;
use super::Cli;
use crate::diagnose::{self, Lookup, Observer};
use crate::exit::Exit;
use crate::http::tls;
use crate::http::transport::{TlsOptions, Transport};
use crate::login::handshake::{verify, NotVerified, Verified};
use crate::placement::{Change, IDENTITY_TOKEN_USERNAME};
use crate::resolve::{Credential, CredentialKind};
use regauth_core::config;
use regauth_core::environ::Environ;
use regauth_core::registry::RegistryHost;
use regauth_core::sanitize::{for_terminal, one_line};
use regauth_core::secret::Secret;
use serde::Serialize;
use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

mod repos;
mod store;

use repos::{repository_reference, rights, rights_text, RepoRights, Right};

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

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LoginReport {
    registry: String,
    username: String,
    authentication: AuthInfo,
    repositories: Vec<RepoRights>,
    read_only: Vec<String>,
    stored: Option<StoredInfo>,
    warnings: Vec<String>,
    error: Option<String>,
    /// How many of `warnings` were already said on stderr (text mode says them before the write).
    #[serde(skip)]
    said: usize,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct AuthInfo {
    /// `bearer`, `basic`, or `none` (the registry asks no login).
    method: Option<&'static str>,
    url: Option<String>,
    realm: Option<String>,
    identity_token: bool,
    summary: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct StoredInfo {
    /// `helper` or `file`.
    place: &'static str,
    helper: Option<String>,
    program: Option<String>,
    chosen_because: Option<String>,
    server_urls: Vec<String>,
    /// `<token>` for an identity token.
    username: String,
    file: PathBuf,
    changes: Vec<Change>,
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
    let references =
        args.repos.iter().map(|r| repository_reference(&host, r)).collect::<Result<Vec<_>, _>>()?;
    let target = store::Target::choose(cli, args, env)?;
    // The file is read and checked before the registry is asked: a malformed one would stop the write
    // after the round trip (it is never overwritten), so it stops the login now.
    let doc = config::load(&target.path, false)?.unwrap_or_default();
    let (username, secret) = read_credential(args)?;
    let ca_files = match tls::ca_files(host.as_str(), &args.trust.certs_dirs(), &args.trust.all_ca_files()) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("regauth: {}", for_terminal(&e.to_string(), 2000));
            return Ok(Exit::LocalConfig);
        }
    };
    let tls = TlsOptions { ca_files, insecure: args.trust.allows_insecure() };
    let transport = match Transport::new(&tls) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("regauth: {}", for_terminal(&e.to_string(), 2000));
            return Ok(Exit::LocalConfig);
        }
    };
    transport.redact(&secret);
    let mut report = LoginReport {
        registry: host.as_str().to_owned(),
        username: username.clone(),
        authentication: AuthInfo::default(),
        repositories: Vec::new(),
        read_only: Vec::new(),
        stored: None,
        warnings: Vec::new(),
        error: None,
        said: 0,
    };
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
        Ok(v) => describe(&mut report, v, &username, &host),
    };
    if let Some(realm) = report.authentication.realm.as_deref() {
        if realm.starts_with("http://") && !host.is_loopback() && !args.trust.allows_insecure() {
            report.warnings.push(format!(
                "the token service {} is plain http: the credential travelled unencrypted",
                one_line(realm)
            ));
        }
    }
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
                eprintln!("regauth: {}", for_terminal(&e.to_string(), 2000));
                runtime.shutdown_background();
                return Ok(Exit::LocalConfig);
            }
        };
        if !args.json {
            print(&rights_text(&rights))?;
        }
        report.repositories.push(rights);
    }
    runtime.shutdown_background();
    report.read_only = report
        .repositories
        .iter()
        .filter(|r| r.pull == Right::Yes && r.push == Right::No)
        .map(|r| r.repository.clone())
        .collect();
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
            eprintln!("regauth: warning: {}", for_terminal(w, 2000));
        }
    }
    let mut early = Vec::new();
    let mut warn = |w: String| {
        if !args.json {
            eprintln!("regauth: warning: {}", for_terminal(&w, 2000));
        }
        early.push(w);
    };
    let placed = if args.plaintext {
        store::plaintext(cli, &target, &doc, &host, &username, &secret, identity.as_ref(), &mut warn)
    } else {
        store::in_helper(cli, args, env, &target, &doc, &host, store_user, store_secret, &mut warn)
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
            eprint!("Username: ");
            std::io::stderr().flush()?;
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

/// Fill the report's authentication from what was proven; returns the identity token, if one came.
fn describe(
    report: &mut LoginReport,
    verified: Verified,
    username: &str,
    host: &RegistryHost,
) -> Option<Secret> {
    let auth = &mut report.authentication;
    let user = one_line(username);
    match verified {
        Verified::NoAuth { url } => {
            auth.method = Some("none");
            auth.summary =
                format!("{} asks no login on {url}: the credential could not be checked", host.as_str());
            auth.url = Some(url);
            report.warnings.push("the registry asks no login: the credential was not checked".into());
            None
        }
        Verified::Basic { url } => {
            auth.method = Some("basic");
            auth.summary = format!("{} accepted {user}'s credential (Basic)", host.as_str());
            auth.url = Some(url);
            None
        }
        Verified::Bearer { url, realm, identity } => {
            auth.method = Some("bearer");
            auth.identity_token = identity.is_some();
            auth.summary = format!(
                "the token service {} accepted {user}'s credential{}",
                one_line(&realm),
                if identity.is_some() { " and issued an identity token" } else { "" }
            );
            auth.url = Some(url);
            auth.realm = Some(realm);
            identity
        }
    }
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
        eprintln!("regauth: login failed: {}", for_terminal(&report.authentication.summary, 2000));
        return Ok(exit);
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
        eprintln!("regauth: warning: {}", for_terminal(w, 2000));
    }
    match &report.error {
        Some(e) => eprintln!("regauth: {}", for_terminal(e, 2000)),
        None => print("Login Succeeded\n")?,
    }
    Ok(exit)
}
