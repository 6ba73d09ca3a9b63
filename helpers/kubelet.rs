//! docker-credential-regauth-kubelet: a kubelet image credential provider plugin that answers with the
//! credential the node's docker config.json gives for the image, through any docker credential helper.
//!
//! One run answers one request: stdin (bounded, with a deadline) -> [`regauth_core::kubelet::parse_request`]
//! -> [`lookup`] (docker's order: `credHelpers[key]`, else `credsStore`, else `auths`) -> a response on
//! stdout. Errors go to stderr, exit 1, and never carry a secret: what reaches stderr is built from the
//! image, file paths, keys, helper names and the core's helper errors (already sanitised one-liners).

use regauth_core::config::{self, AuthEncoding, AuthEntry, Document};
use regauth_core::environ::Environ;
use regauth_core::kubelet::{self, AuthConfig, Response};
use regauth_core::protocol::{HelperClient, HelperError};
use regauth_core::reference::Reference;
use regauth_core::registry::{self, RegistryHost};
use regauth_core::sanitize;
use regauth_core::secret::Secret;
use regauth_core::token_expiry;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const NAME: &str = "docker-credential-regauth-kubelet";

/// Well inside the kubelet's one minute for the whole plugin run.
pub const DEFAULT_HELPER_TIMEOUT: Duration = Duration::from_secs(20);
/// The longest `--helper-timeout`: the kubelet stops the plugin at one minute.
pub const MAX_HELPER_TIMEOUT: Duration = Duration::from_secs(50);
/// The cache duration of an answer whose credential does not say when it expires.
pub const DEFAULT_CACHE_DURATION: Duration = Duration::from_secs(300);
/// How long the request may take to arrive: the kubelet writes it at once and closes stdin.
pub const STDIN_TIMEOUT: Duration = Duration::from_secs(10);

const ABOUT: &str = "Kubelet image credential provider that answers with the node's docker credentials, \
through any docker credential helper";

const DESCRIPTION: &str =
    "A kubelet image credential provider plugin (credentialprovider.kubelet.k8s.io/v1, \
Kubernetes 1.26 and later). The kubelet does not read credHelpers or credsStore from a docker config; \
this plugin does, so a node can pull with the same credential helpers (ECR, GCR, ACR, pass, \
regauth-keyutils, ...) people use on their workstations.

The kubelet runs it for images matching the provider's matchImages, writes a CredentialProviderRequest on \
standard input and reads a CredentialProviderResponse from standard output. The plugin looks the image's \
registry up in the docker config.json as the Docker CLI does: credHelpers[KEY], else credsStore, else \
auths[KEY] (or an auths key whose host is the registry's), where KEY is host[:port], or \
https://index.docker.io/v1/ for Docker Hub. A helper is run as docker-credential-NAME from PATH, with one \
deadline over the whole exchange (--helper-timeout). An auths entry's auth is decoded as the kubelet \
decodes it (padded base64, or padding-less when no = ends it), and a file with an entry the kubelet \
cannot decode serves no entry, as the kubelet reads none of it.

The response has cacheKeyType Registry and one auth entry, keyed by the image's registry host[:port] \
(docker.io for Docker Hub), with the username and password found. Nothing found (no config file, no \
entry, or a helper that has no credential for the registry) is an empty auth map: the kubelet then pulls \
without this provider's credentials.

cacheDuration: when the credential says when it expires (a JWT's exp claim, or the expiration inside an \
AWS ECR token), half its remaining life, so the kubelet never hands out a cached credential that has \
expired; 0s (do not cache) once it has expired; otherwise --default-cache-duration.

Only credentials that are a username and a password can be passed on: the kubelet's API has no field for \
an identity (refresh) token or a registry bearer token, so such an entry is an error that says so.

Example provider in the kubelet's --image-credential-provider-config (the binary sits in \
--image-credential-provider-bin-dir):

  apiVersion: kubelet.config.k8s.io/v1
  kind: CredentialProviderConfig
  providers:
    - name: docker-credential-regauth-kubelet
      apiVersion: credentialprovider.kubelet.k8s.io/v1
      matchImages: [\"registry.example.com\", \"*.dkr.ecr.*.amazonaws.com\"]
      defaultCacheDuration: 5m
      args: [\"--config\", \"/etc/regauth/docker-config.json\"]
      env:
        - name: PATH
          value: /usr/local/bin:/usr/bin:/bin

A full example with comments: docs/kubelet-credential-provider.yaml; the guide: docs/kubelet-plugin.md.";

const ENVIRONMENT: &str = "Environment:
  DOCKER_CONFIG
      Directory of config.json when --config is not given.
  HOME
      ~/.docker/config.json when neither --config nor DOCKER_CONFIG is given.
  PATH
      Where docker-credential-NAME helpers are found; set it in the provider's env.
  Helpers inherit the environment (AWS_*, GOOGLE_APPLICATION_CREDENTIALS, ...).";

const EXIT_CODES: &str = "Exit codes:
  0  a CredentialProviderResponse was written (perhaps with an empty auth map)
  1  failure, said in one message on standard error (never a secret)

Failures: a request that is not credentialprovider.kubelet.k8s.io/v1, malformed or over 1 MiB; an \
unreadable config; a helper that is missing, fails, or does not answer in time; a credential the kubelet \
cannot carry; a usage error.";

/// The command line: `--help` and the man page are rendered from it.
pub fn command() -> clap::Command {
    clap::Command::new(NAME)
        .version(env!("CARGO_PKG_VERSION"))
        .about(ABOUT)
        .long_about(DESCRIPTION)
        .arg(
            clap::Arg::new("config")
                .long("config")
                .value_name("PATH")
                .value_parser(clap::value_parser!(PathBuf))
                .help("The docker config.json to read (a file, or a directory holding config.json)")
                .long_help(
                    "The docker config.json to read: a file, or a directory holding config.json. \
                     Default: $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json.",
                ),
        )
        .arg(
            clap::Arg::new("helper-timeout")
                .long("helper-timeout")
                .value_name("SECONDS")
                .default_value("20")
                .value_parser(helper_timeout)
                .help("Deadline for a credential helper's whole answer, 0.001 to 50 seconds"),
        )
        .arg(
            clap::Arg::new("default-cache-duration")
                .long("default-cache-duration")
                .value_name("DURATION")
                .default_value("5m")
                .value_parser(kubelet::parse_go_duration)
                .help("cacheDuration when the credential's expiry is unknown (Go syntax: 5m, 1h30m, 0s)"),
        )
        .after_long_help(format!("{ENVIRONMENT}\n\n{EXIT_CODES}"))
}

fn helper_timeout(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{:?} is not a number of seconds", sanitize::one_line(text)))?;
    if !(0.001..=MAX_HELPER_TIMEOUT.as_secs_f64()).contains(&seconds) {
        return Err(format!(
            "{} is out of range: give 0.001 to {} seconds",
            sanitize::one_line(text),
            MAX_HELPER_TIMEOUT.as_secs()
        ));
    }
    Duration::try_from_secs_f64(seconds).map_err(|e| e.to_string())
}

/// What the provider's `args` set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub config: Option<PathBuf>,
    pub helper_timeout: Duration,
    pub default_cache_duration: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            config: None,
            helper_timeout: DEFAULT_HELPER_TIMEOUT,
            default_cache_duration: DEFAULT_CACHE_DURATION,
        }
    }
}

/// Parse the arguments after the program name.
pub fn options(args: impl IntoIterator<Item = OsString>) -> Result<Options, clap::Error> {
    let matches = command().try_get_matches_from(std::iter::once(OsString::from(NAME)).chain(args))?;
    Ok(Options {
        config: matches.get_one::<PathBuf>("config").cloned(),
        helper_timeout: *matches.get_one::<Duration>("helper-timeout").expect("has a default"),
        default_cache_duration: *matches
            .get_one::<Duration>("default-cache-duration")
            .expect("has a default"),
    })
}

/// The credential found for an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The response's auth key: the image's registry `host[:port]` (`docker.io` for Docker Hub).
    pub registry: String,
    pub username: String,
    pub password: Secret,
    /// Where it came from, for notes: `credHelpers (docker-credential-ecr-login)`, `auths "ghcr.io"`.
    pub source: String,
}

/// The outcome of a lookup that did not fail: the credential, if any, and what is worth saying about it.
#[derive(Debug, Default)]
pub struct Lookup {
    pub found: Option<Found>,
    pub notes: Vec<String>,
}

/// The credential the Docker CLI would send for `image`, from the config `opts` and `env` name.
/// `Err` is a message for stderr, free of secrets.
pub fn lookup(image: &Reference, opts: &Options, env: &Environ) -> Result<Lookup, String> {
    let mut out = Lookup::default();
    let host = RegistryHost::of_reference(image);
    let key = host.docker_key();
    // The plugin's --config names the file it reads (a directory: its config.json); a file that is not
    // there yet is named as such, unlike `regauth --config DIR`, which follows docker's meaning.
    let explicit =
        opts.config.as_deref().map(|p| if p.is_dir() { p.join("config.json") } else { p.to_owned() });
    let Some(path) = explicit.or_else(|| config::docker_config_path(env, None)) else {
        out.notes.push("no docker config: neither --config, DOCKER_CONFIG nor HOME is set".into());
        return Ok(out);
    };
    let doc = match config::load(&path, false) {
        Ok(Some(doc)) => doc,
        Ok(None) => {
            out.notes.push(format!("{} does not exist", path.display()));
            return Ok(out);
        }
        Err(e) => return Err(e.to_string()),
    };
    let found = |username: String, password: Secret, source: String| Found {
        registry: host.as_str().to_owned(),
        username,
        password,
        source,
    };
    if let Some(helper) = doc.cred_helper(&key) {
        let credential = ask_helper(helper, &key, opts, env)?;
        out.found = credential.map(|(u, p, program)| found(u, p, format!("credHelpers ({program})")));
    } else if let Some(helper) = doc.creds_store() {
        let credential = ask_helper(helper, &key, opts, env)?;
        out.found = credential.map(|(u, p, program)| found(u, p, format!("credsStore ({program})")));
    } else if let Some(entry) = auths_entry(&doc, &key) {
        refuse_undecodable(&doc, &path)?;
        let source = format!("auths \"{}\" in {}", sanitize::one_line(&entry.key), path.display());
        match from_entry(entry)? {
            Some((username, password)) => out.found = Some(found(username, password, source)),
            None => out.notes.push(format!("{source} holds no credential")),
        }
    }
    Ok(out)
}

/// `auths[key]`, else an entry whose key's host is the registry's (docker's file-store fallback, which
/// reads `https://ghcr.io/v1/` for `ghcr.io`). `auth` is decoded as the kubelet decodes it: the plugin
/// must not serve what the kubelet would not read.
fn auths_entry(doc: &Document, key: &str) -> Option<AuthEntry> {
    doc.auth(key, AuthEncoding::Kubelet).or_else(|| {
        let wanted = registry::key_to_hostname(key);
        doc.auths(AuthEncoding::Kubelet).into_iter().find(|e| registry::key_to_hostname(&e.key) == wanted)
    })
}

/// The kubelet reads no entry of a docker config with one `auth` it cannot decode (its JSON decoding of
/// the whole file fails), so the plugin serves none from such a file either.
fn refuse_undecodable(doc: &Document, path: &std::path::Path) -> Result<(), String> {
    match doc.auths(AuthEncoding::Kubelet).into_iter().find(|e| e.problem.is_some()) {
        None => Ok(()),
        Some(bad) => Err(format!(
            "auths entry \"{}\" in {}: {}; the kubelet reads no entry of such a file, so none is served",
            sanitize::one_line(&bad.key),
            path.display(),
            bad.problem.expect("found by its problem")
        )),
    }
}

fn from_entry(entry: AuthEntry) -> Result<Option<(String, Secret)>, String> {
    let key = sanitize::one_line(&entry.key);
    if let Some(problem) = entry.problem {
        return Err(format!("auths entry \"{key}\": {problem}"));
    }
    if entry.identity_token.as_ref().is_some_and(|t| !t.is_empty()) {
        return Err(cannot_carry(&format!("auths entry \"{key}\""), "an identity (refresh) token"));
    }
    if entry.registry_token.as_ref().is_some_and(|t| !t.is_empty()) {
        return Err(cannot_carry(&format!("auths entry \"{key}\""), "a registry bearer token"));
    }
    Ok(entry.password.filter(|p| !p.is_empty()).map(|p| (entry.username.unwrap_or_default(), p)))
}

fn cannot_carry(what: &str, kind: &str) -> String {
    format!(
        "{what} holds {kind}, which the kubelet's credential provider API cannot pass on (it carries only a \
         username and a password); log in with a username and password or token instead"
    )
}

/// `docker-credential-NAME get KEY`: the credential, `None` when the helper has none.
fn ask_helper(
    name: &str,
    key: &str,
    opts: &Options,
    env: &Environ,
) -> Result<Option<(String, Secret, String)>, String> {
    let client = HelperClient::new(name, env.search_path(), opts.helper_timeout);
    let program = client.program();
    match client.get(key) {
        Ok(creds) if creds.is_identity_token() => {
            Err(cannot_carry(&format!("{program}'s answer for {key}"), "an identity (refresh) token"))
        }
        Ok(creds) => Ok(Some((creds.username.clone(), creds.secret.clone(), program))),
        Err(HelperError::NotFound { .. }) => Ok(None),
        Err(e) => Err(format!("asking {program} for {key}: {e}")),
    }
}

/// Answer one request: the response to print and the notes for stderr, or the error for stderr.
pub fn respond(
    request: &[u8],
    opts: &Options,
    env: &Environ,
    now: i64,
) -> Result<(String, Vec<String>), String> {
    let request = kubelet::parse_request(request).map_err(|e| e.to_string())?;
    let shown = sanitize::for_terminal(&request.image, 300);
    let image = Reference::parse(&request.image)
        .map_err(|e| format!("image \"{shown}\" is not a valid reference: {e}"))?;
    let Lookup { found, mut notes } =
        lookup(&image, opts, env).map_err(|e| format!("image \"{shown}\": {e}"))?;
    let Some(found) = found else {
        notes.push(format!("no credential for {shown}: answered an empty auth"));
        let response = Response { cache_duration: opts.default_cache_duration, auth: Vec::new() };
        return Ok((response.encode(), notes));
    };
    let expires_at = token_expiry::expires_at(&found.username, found.password.expose());
    let cache_duration = kubelet::cache_duration(expires_at, now, opts.default_cache_duration);
    if expires_at.is_some_and(|exp| exp <= now) {
        notes.push(format!(
            "the credential from {} has expired: answered it with cacheDuration 0s",
            found.source
        ));
    }
    let auth = vec![(found.registry, AuthConfig { username: found.username, password: found.password })];
    Ok((Response { cache_duration, auth }.encode(), notes))
}

/// Read stdin up to one byte past `limit` (so an oversized request is seen as such), within `timeout`.
fn read_request(limit: usize, timeout: Duration) -> Result<Vec<u8>, String> {
    let (sender, receiver) = mpsc::channel();
    // A thread, so that a writer that never closes stdin is given up on: exiting ends the thread too.
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let read = std::io::stdin().lock().take(limit as u64 + 1).read_to_end(&mut bytes).map(|_| bytes);
        let _ = sender.send(read);
    });
    match receiver.recv_timeout(timeout) {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) => Err(format!("cannot read the request on standard input: {e}")),
        Err(_) => Err(format!("no complete request on standard input within {}s", timeout.as_secs())),
    }
}

/// The program: one request in, one response out; returns the exit code.
pub fn main() -> i32 {
    let say = |message: &str| {
        let _ = writeln!(std::io::stderr().lock(), "{NAME}: {message}");
    };
    let opts = match options(std::env::args_os().skip(1)) {
        Ok(opts) => opts,
        Err(e) => {
            let informational = matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            );
            let _ = e.print();
            return if informational { 0 } else { 1 };
        }
    };
    let env = Environ::from_process();
    let outcome = read_request(kubelet::MAX_REQUEST, STDIN_TIMEOUT).and_then(|request| {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        respond(&request, &opts, &env, now)
    });
    match outcome {
        Ok((response, notes)) => {
            for note in notes {
                say(&note);
            }
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = stdout.write_all(response.as_bytes()).and_then(|()| stdout.flush()) {
                say(&format!("cannot write the response: {e}"));
                return 1;
            }
            0
        }
        Err(message) => {
            say(&message);
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Options, clap::Error> {
        options(list.iter().map(OsString::from))
    }

    #[test]
    fn arguments() {
        assert_eq!(args(&[]).unwrap(), Options::default());
        let opts =
            args(&["--config", "/etc/d.json", "--helper-timeout", "2.5", "--default-cache-duration=1h"])
                .unwrap();
        assert_eq!(
            opts,
            Options {
                config: Some("/etc/d.json".into()),
                helper_timeout: Duration::from_millis(2500),
                default_cache_duration: Duration::from_secs(3600),
            }
        );
        assert_eq!(args(&["--default-cache-duration", "0s"]).unwrap().default_cache_duration, Duration::ZERO);
        for bad in [
            &["--helper-timeout", "0"][..],
            &["--helper-timeout", "51"],
            &["--helper-timeout", "NaN"],
            &["--default-cache-duration", "5"],
            &["--default-cache-duration", "-1m"],
            &["get"],
            &["--frobnicate"],
        ] {
            assert!(args(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn help_documents_the_provider() {
        let help = command().render_long_help().to_string();
        for needle in [
            "credentialprovider.kubelet.k8s.io/v1",
            "credHelpers",
            "credsStore",
            "cacheDuration",
            "half its remaining life",
            "matchImages",
            "Exit codes",
            "DOCKER_CONFIG",
            "identity (refresh) token",
        ] {
            assert!(help.contains(needle), "--help lacks {needle:?}");
        }
    }
}
