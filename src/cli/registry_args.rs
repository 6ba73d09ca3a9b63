//! Options shared by the commands that talk to a registry: how to trust it (diagnose, token, login), and
//! where the credential comes from (diagnose, token). One definition, so the flags, their help and the
//! stdin rules cannot drift apart between commands.

use super::client_arg::ClientArg;
use super::output::UsageError;
use super::Cli;
use crate::diagnose::credential::Lookup;
use crate::http::tls;
use crate::resolve::{self, Credential, CredentialKind};
use regauth_core::environ::Environ;
use regauth_core::secret::Secret;
use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

/// A password or token on stdin is a line; anything past this is not one.
const MAX_STDIN_SECRET: u64 = 64 * 1024;

/// Which CAs to trust, and whether to trust none.
#[derive(Debug, Clone, clap::Args)]
pub struct TrustArgs {
    /// Trust this CA certificate (PEM) too. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Vec<PathBuf>,

    /// certs.d directories to search instead of docker's, containerd's and containers'. Repeatable.
    #[arg(long, value_name = "DIR", env = "REGAUTH_CERTS_D", value_delimiter = ':')]
    pub certs_dir: Vec<PathBuf>,

    /// Allow plain http and skip certificate verification (docker's insecure-registries).
    #[arg(long)]
    pub insecure: bool,

    /// podman's and skopeo's spelling: --tls-verify=false is --insecure.
    #[arg(
        long,
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        conflicts_with = "insecure"
    )]
    pub tls_verify: Option<bool>,

    /// podman's and skopeo's spelling: trust the *.crt files in this directory (the directory of one
    /// registry, not a certs.d tree). Repeatable.
    #[arg(long, value_name = "DIR")]
    pub cert_dir: Vec<PathBuf>,
}

impl TrustArgs {
    /// --insecure, or --tls-verify=false.
    pub(super) fn allows_insecure(&self) -> bool {
        self.insecure || self.tls_verify == Some(false)
    }

    /// --ca-file, and the *.crt files of each --cert-dir (a directory that cannot be listed is passed on
    /// as it is, so that reading it fails with its name).
    pub(super) fn all_ca_files(&self) -> Vec<PathBuf> {
        let mut files = self.ca_file.clone();
        for dir in &self.cert_dir {
            match std::fs::read_dir(dir) {
                Ok(entries) => {
                    let mut crts: Vec<PathBuf> = entries
                        .flatten()
                        .map(|e| e.path())
                        .filter(|p| p.extension().is_some_and(|e| e == "crt"))
                        .collect();
                    crts.sort();
                    files.extend(crts);
                }
                Err(_) => files.push(dir.clone()),
            }
        }
        files
    }

    /// `--certs-dir`, else the certs.d directories docker, containerd and containers/image read.
    pub(super) fn certs_dirs(&self) -> Vec<PathBuf> {
        if self.certs_dir.is_empty() {
            tls::DEFAULT_CERTS_DIRS.iter().map(PathBuf::from).collect()
        } else {
            self.certs_dir.clone()
        }
    }
}

/// The credential to use: the one a client would send, one given on stdin, or none.
#[derive(Debug, Clone, clap::Args)]
pub struct CredentialArgs {
    /// Use the credential this client would send.
    #[arg(long, value_enum, default_value = "docker")]
    pub client: ClientArg,

    /// registries.conf for --client podman, buildah or skopeo, as their own --registries-conf (default:
    /// podman's and buildah's CONTAINERS_REGISTRIES_CONF, then the user's or the system's file).
    #[arg(long, value_name = "FILE")]
    pub registries_conf: Option<PathBuf>,

    /// containerd's config.toml for --client containerd, as containerd's own --config.
    #[arg(long, value_name = "FILE", default_value = resolve::CONTAINERD_CONFIG)]
    pub containerd_config: PathBuf,

    /// Username for --password-stdin or --identity-token-stdin.
    #[arg(short = 'u', long, value_name = "USER")]
    pub username: Option<String>,

    /// Read the password (or access token) from stdin instead of the client's config.
    #[arg(long, requires = "username", conflicts_with_all = ["identity_token_stdin", "anonymous"])]
    pub password_stdin: bool,

    /// Read an identity (OAuth refresh) token from stdin.
    #[arg(long, conflicts_with = "anonymous")]
    pub identity_token_stdin: bool,

    /// Use no credential at all.
    #[arg(long, conflicts_with = "username")]
    pub anonymous: bool,
}

impl CredentialArgs {
    /// Where the credential comes from; a secret on stdin is read here (bounded), never from a flag.
    pub(super) fn lookup(
        &self,
        cli: &Cli,
        env: &Environ,
        helper_timeout: Duration,
    ) -> anyhow::Result<Lookup> {
        if self.username.is_some() && !self.password_stdin && !self.identity_token_stdin {
            return Err(
                UsageError("--username needs --password-stdin or --identity-token-stdin".into()).into()
            );
        }
        if self.anonymous {
            return Ok(Lookup::Anonymous);
        }
        let kind = if self.password_stdin {
            CredentialKind::Password
        } else if self.identity_token_stdin {
            CredentialKind::IdentityToken
        } else {
            let options = resolve::Options {
                docker_config: cli.config.clone(),
                registries_conf: self.registries_conf.clone(),
                containerd_config: Some(self.containerd_config.clone()),
                helper_timeout,
                ..resolve::Options::default()
            };
            return Ok(Lookup::Client { client: self.client.into(), env: env.clone(), options });
        };
        let secret = read_stdin_secret()?;
        // docker-credential-helpers store identity tokens under the username "<token>".
        let username = self.username.clone().unwrap_or_else(|| "<token>".into());
        Ok(Lookup::Explicit(Credential { username, secret, kind }))
    }
}

/// A password or token piped on stdin: at most [`MAX_STDIN_SECRET`] bytes, its line end dropped, not empty.
pub(super) fn read_stdin_secret() -> anyhow::Result<Secret> {
    let mut text = zeroize::Zeroizing::new(String::new());
    std::io::stdin().take(MAX_STDIN_SECRET + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_STDIN_SECRET {
        return Err(UsageError(format!(
            "stdin holds more than {MAX_STDIN_SECRET} bytes: not a password or token"
        ))
        .into());
    }
    let secret = Secret::new(text.trim_end_matches(['\n', '\r']));
    if secret.is_empty() {
        return Err(UsageError("stdin is empty: pipe the password or token in".into()).into());
    }
    Ok(secret)
}
