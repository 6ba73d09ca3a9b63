//! podman, buildah and skopeo: containers/image's credential lookup (pkg/docker/config), as each client
//! sets it up, by version.
//!
//! The order, for an image `host/ns/repo`:
//! 1. registries.conf `credential-helpers` (default `["containers-auth.json"]`), in order. A helper is
//!    asked `get host`; `containers-auth.json` stands for the auth files below. A not-found answer, or a
//!    failure, goes on to the next one; a failure is the answer only when nothing later finds a credential.
//! 2. The auth files: the client's explicit file (`--authfile`, default `REGISTRY_AUTH_FILE`, and for podman
//!    and buildah `$DOCKER_CONFIG/config.json`), which from containers/image 5.24 on is the whole list and
//!    before it only takes the runtime file's place; otherwise `$XDG_RUNTIME_DIR/containers/auth.json`,
//!    `$XDG_CONFIG_HOME/containers/auth.json`, `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`,
//!    `~/.dockercfg`. In each file: `credHelpers[host]` (not found: next file); else the first `auths` key
//!    that exists, most specific first (`host/ns/repo`, `host/ns`, `host`), ends that file's search, even
//!    an entry without a usable `auth`; else a URL-style key of the same host. Only `auth` holds a
//!    credential (`identitytoken` counts beside it); `credsStore` is never read.

use super::{ask_helper, note_duplicates, Credential, CredentialKind, Options, Outcome, Resolution, Source};
use regauth_core::config::{self, auth_field, locate, AuthEncoding, AuthProblem, Decoded, Document};
use regauth_core::environ::Environ;
use regauth_core::fsread;
use regauth_core::reference::Reference;
use regauth_core::registry::{self, Client, RegistryHost};
use regauth_core::secret::Secret;
use serde::Serialize;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The registries.conf value that stands for the auth files.
const AUTH_FILES: &str = "containers-auth.json";
/// Largest registries.conf (or drop-in) read.
const MAX_REGISTRIES_CONF: u64 = 1 << 20;

/// The rules that differ between versions of one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rules {
    /// containers/image 5.24 and later: an explicit auth file is the whole search list.
    pub authfile_replaces_list: bool,
    /// podman 4 and buildah 1.24 on: `$DOCKER_CONFIG/config.json` is the default `--authfile`.
    pub docker_config_is_authfile: bool,
}

/// Which version's rules were applied, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionInfo {
    /// What `<client> --version` said; `None` when it is not installed or did not answer.
    pub installed: Option<String>,
    /// The versions whose rules were applied (`podman 4.4 and later`).
    pub applies_to: String,
    pub rules: Rules,
}

/// What another version of the client would do, when the installed version is unknown and it differs.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OtherVersion {
    pub applies_to: String,
    pub file: Option<PathBuf>,
    pub key: Option<String>,
    pub source: Source,
    pub outcome: Outcome,
}

/// (major, minor, patch) where a rule starts, per client.
struct Boundaries {
    replaces_list: (u32, u32, u32),
    docker_config: Option<(u32, u32, u32)>,
}

fn boundaries(client: Client) -> Boundaries {
    match client {
        Client::Buildah => Boundaries { replaces_list: (1, 29, 0), docker_config: Some((1, 24, 0)) },
        Client::Skopeo => Boundaries { replaces_list: (1, 11, 0), docker_config: None },
        _ => Boundaries { replaces_list: (4, 4, 0), docker_config: Some((4, 0, 0)) },
    }
}

fn version_text(v: (u32, u32, u32)) -> String {
    format!("{}.{}", v.0, v.1)
}

/// The rules of `version`; `None` (unknown) gets the newest rules.
fn rules_for(client: Client, version: Option<(u32, u32, u32)>) -> (Rules, String) {
    let b = boundaries(client);
    let name = client.name();
    let replaces = version.is_none_or(|v| v >= b.replaces_list);
    let docker_config = b.docker_config.is_some_and(|since| version.is_none_or(|v| v >= since));
    let applies_to = if replaces {
        format!("{name} {} and later (containers/image 5.24 and later)", version_text(b.replaces_list))
    } else {
        format!("{name} before {} (containers/image before 5.24)", version_text(b.replaces_list))
    };
    (Rules { authfile_replaces_list: replaces, docker_config_is_authfile: docker_config }, applies_to)
}

/// The rules just before the 5.24 boundary, for the other outcome when the version is unknown.
fn older_rules(client: Client) -> (Rules, String) {
    let b = boundaries(client);
    let (major, minor, _) = b.replaces_list;
    rules_for(client, Some((major, minor.saturating_sub(1), 99)))
}

/// `podman version 4.3.1` -> (4, 3, 1).
pub(super) fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let word = text.split_whitespace().find(|w| w.starts_with(|c: char| c.is_ascii_digit()))?;
    let mut parts = word.split(|c: char| !c.is_ascii_digit()).map(|p| p.parse::<u32>());
    Some((parts.next()?.ok()?, parts.next()?.ok()?, parts.next().and_then(Result::ok).unwrap_or(0)))
}

/// Run `<client> --version` from the environment's PATH, stopped after `timeout`; its first line.
fn detect_version(client: Client, env: &Environ, timeout: Duration) -> Option<String> {
    let search = env.search_path()?;
    let program = std::env::split_paths(&search).map(|d| d.join(client.name())).find(|p| p.is_file())?;
    let mut child = Command::new(program)
        .arg("--version")
        .env_clear()
        .envs(env.vars())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    let mut out = String::new();
    child.stdout.take()?.take(4096).read_to_string(&mut out).ok()?;
    let line = out.lines().next()?.trim().to_owned();
    parse_version(&line).map(|_| line)
}

/// The explicit auth file `client` passes: `--authfile` (`opts.authfile`), else `REGISTRY_AUTH_FILE`, else
/// for podman and buildah `$DOCKER_CONFIG/config.json`.
fn explicit_authfile(client: Client, env: &Environ, opts: &Options, rules: Rules) -> Option<PathBuf> {
    let docker_config = || env.path_buf("DOCKER_CONFIG").map(|d| d.join("config.json"));
    opts.authfile.clone().or_else(|| env.path_buf("REGISTRY_AUTH_FILE")).or_else(|| {
        if rules.docker_config_is_authfile && client != Client::Skopeo {
            docker_config()
        } else {
            None
        }
    })
}

/// What `client` would send for `reference`.
pub(super) fn resolve(reference: &Reference, client: Client, env: &Environ, opts: &Options) -> Resolution {
    let explicit_possible = opts.authfile.is_some()
        || env.get("REGISTRY_AUTH_FILE").is_some()
        || (client != Client::Skopeo && env.get("DOCKER_CONFIG").is_some());
    if !explicit_possible {
        // No rule that differs between versions applies: no need to ask which version is installed.
        let (rules, _) = rules_for(client, None);
        return resolve_with(reference, client, env, opts, rules);
    }
    let installed = detect_version(client, env, opts.helper_timeout);
    let version = installed.as_deref().and_then(parse_version);
    let (rules, applies_to) = rules_for(client, version);
    let mut res = resolve_with(reference, client, env, opts, rules);
    if version.is_none() {
        let (old_rules, old_applies_to) = older_rules(client);
        let old = resolve_with(reference, client, env, opts, old_rules);
        if (&old.file, &old.key, old.source, &old.outcome) != (&res.file, &res.key, res.source, &res.outcome)
        {
            res.notes.push(format!(
                "{} is not installed here (or did not say its version): this is what {applies_to} do; \
                 {old_applies_to} would answer differently (see otherVersions)",
                client.name()
            ));
            res.other_versions.push(OtherVersion {
                applies_to: old_applies_to,
                file: old.file,
                key: old.key,
                source: old.source,
                outcome: old.outcome,
            });
        }
    }
    res.version = Some(VersionInfo { installed, applies_to, rules });
    res
}

fn resolve_with(
    reference: &Reference,
    client: Client,
    env: &Environ,
    opts: &Options,
    rules: Rules,
) -> Resolution {
    let mut res = Resolution::new(client);
    let registry = RegistryHost::of_reference(reference).as_str().to_owned();
    let explicit = explicit_authfile(client, env, opts, rules);
    if let Some(path) = &explicit {
        // podman and buildah check that the file exists before they start; skopeo reads it as empty.
        if client != Client::Skopeo && !path.exists() {
            res.file = Some(path.clone());
            res.outcome = Outcome::ConfigError {
                message: format!("{} stops: its auth file {} does not exist", client.name(), path.display()),
            };
            return res;
        }
    }
    let (helpers, conf_file) = match credential_helpers(client, env, opts) {
        Ok(found) => found,
        Err((file, message)) => {
            res.file = Some(file);
            res.outcome = Outcome::ConfigError { message };
            return res;
        }
    };
    let files = locate::containers_search_list(
        env,
        explicit.as_deref(),
        opts.docker_config.as_deref(),
        rules.authfile_replaces_list,
    );
    let mut first_problem: Option<Resolution> = None;
    for helper in &helpers {
        let mut attempt = Resolution::new(client);
        if helper == AUTH_FILES {
            search_files(&files, reference, &registry, env, opts, &mut attempt);
        } else {
            attempt.file = conf_file.clone();
            attempt.key = Some(registry.clone());
            attempt.source = Source::RegistriesConf;
            ask_helper(helper, &registry, env, opts, &mut attempt);
        }
        res.notes.append(&mut attempt.notes);
        if attempt.is_settled() && !attempt.outcome.is_problem() {
            attempt.notes = std::mem::take(&mut res.notes);
            return attempt;
        }
        if attempt.outcome.is_problem() && first_problem.is_none() {
            first_problem = Some(attempt);
        }
    }
    if let Some(mut problem) = first_problem {
        // containers/image goes on after a failure and reports it only when nothing later answered.
        problem.notes = std::mem::take(&mut res.notes);
        return problem;
    }
    if helpers.len() > 1 || helpers.first().is_some_and(|h| h != AUTH_FILES) {
        res.notes.push(format!("registries.conf credential-helpers asked in order: {}", helpers.join(", ")));
    }
    res.key = Some(registry);
    res
}

/// The auth files in order, for the `containers-auth.json` step.
fn search_files(
    files: &[locate::AuthFile],
    reference: &Reference,
    registry: &str,
    env: &Environ,
    opts: &Options,
    res: &mut Resolution,
) {
    let keys = RegistryHost::of_reference(reference).containers_keys(&reference.repository);
    for file in files {
        let doc = match config::load(&file.path, file.legacy) {
            Ok(Some(doc)) => doc,
            Ok(None) => continue,
            Err(e) => {
                // containers/image stops at a file it cannot parse.
                res.file = Some(file.path.clone());
                res.outcome = Outcome::ConfigError { message: e.to_string() };
                return;
            }
        };
        note_duplicates(&doc, &file.path, &mut res.notes);
        if let Some(store) = doc.creds_store() {
            res.notes.push(format!(
                "{} sets credsStore \"{store}\", which podman, skopeo and buildah ignore",
                file.path.display()
            ));
        }
        if let Some(helper) = doc.cred_helper(registry) {
            res.file = Some(file.path.clone());
            res.key = Some(registry.to_owned());
            res.source = Source::CredHelpers;
            ask_helper(helper, registry, env, opts, res);
            if res.is_settled() {
                return;
            }
            res.notes.push(format!(
                "{}: credHelpers helper {helper} has nothing for {registry}; the next file is read",
                file.path.display()
            ));
            res.helper = None;
            res.source = Source::None;
            continue;
        }
        let candidates: Vec<String> = if file.legacy { vec![registry.to_owned()] } else { keys.clone() };
        let key = candidates.into_iter().find(|k| raw_entry(&doc, file.legacy, k).is_some()).or_else(|| {
            doc.auth_keys()
                .into_iter()
                .find(|k| registry::containers_key_matches_registry(k, file.legacy, registry))
                .map(str::to_owned)
        });
        let Some(key) = key else { continue };
        match decode_entry(&doc, file.legacy, &key) {
            Ok(Some(credential)) => {
                res.file = Some(file.path.clone());
                res.key = Some(key);
                res.source = Source::Auths;
                res.found(credential);
                return;
            }
            Ok(None) => res.notes.push(format!(
                "{}: auths entry \"{key}\" has no usable \"auth\" (podman, skopeo and buildah read only \
                 \"auth\"); it ends this file's search and the next file is read",
                file.path.display()
            )),
            Err(problem) => {
                res.file = Some(file.path.clone());
                res.key = Some(key.clone());
                res.source = Source::Auths;
                res.outcome = Outcome::ConfigError { message: format!("auths entry \"{key}\": {problem}") };
                return;
            }
        }
    }
}

fn raw_entry<'a>(doc: &'a Document, legacy: bool, key: &str) -> Option<&'a serde_json::Value> {
    if legacy {
        doc.field(key)
    } else {
        doc.field("auths")?.get(key)
    }
}

/// containers/image's reading of an entry: `auth` only. `Ok(None)`: nothing usable (missing, empty, no
/// `:`), so the next file is read; `Err`: `auth` is not base64 as Go's decoder reads it, which fails the
/// lookup.
fn decode_entry(doc: &Document, legacy: bool, key: &str) -> Result<Option<Credential>, AuthProblem> {
    let entry = raw_entry(doc, legacy, key);
    let field =
        |name: &str| entry.and_then(|e| e.get(name)).and_then(serde_json::Value::as_str).unwrap_or("");
    let auth = field("auth");
    if auth.is_empty() {
        return Ok(None);
    }
    let (username, password) = match auth_field::decode(auth, AuthEncoding::Containers)? {
        Decoded::Pair(username, password) => (username, password),
        Decoded::Nothing => return Ok(None),
    };
    let token = field("identitytoken");
    if !token.is_empty() {
        return Ok(Some(Credential {
            username,
            secret: Secret::new(token.to_owned()),
            kind: CredentialKind::IdentityToken,
        }));
    }
    let password = Secret::new(password.expose().trim_matches('\n').to_owned());
    if username.is_empty() && password.is_empty() {
        return Ok(None);
    }
    Ok(Some(Credential { username, secret: password, kind: CredentialKind::Password }))
}

/// registries.conf `credential-helpers` as the client reads it, and the file that set them (`None`: the
/// default). `Err((file, message))`: a file that does not parse, which stops the client.
type Helpers = (Vec<String>, Option<PathBuf>);

fn credential_helpers(client: Client, env: &Environ, opts: &Options) -> Result<Helpers, (PathBuf, String)> {
    let explicit = explicit_registries_conf(client, env, opts);
    if let Some((path, from)) = &explicit {
        // All three stop before any lookup when the file they were told to read is missing.
        if !path.exists() {
            let message = format!(
                "{} stops: the registries.conf {from} names, {}, does not exist",
                client.name(),
                path.display()
            );
            return Err((path.clone(), message));
        }
    }
    let explicit = explicit.map(|(path, _)| path);
    let places = locate::registries_conf(env, explicit.as_deref(), &opts.containers_config_dir);
    let mut files = vec![places.main];
    for dir in &places.dropin_dirs {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        let mut names: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "conf") && p.is_file())
            .collect();
        names.sort();
        files.extend(names);
    }
    let mut helpers: Option<(Vec<String>, PathBuf)> = None;
    for file in files {
        if let Some(list) = read_credential_helpers(&file)? {
            helpers = Some((list, file));
        }
    }
    Ok(match helpers {
        Some((list, file)) if !list.is_empty() => (list, Some(file)),
        _ => (vec![AUTH_FILES.to_owned()], None),
    })
}

/// The registries.conf the client was told to read, and what told it: `--registries-conf` (all three;
/// regauth's option stands for it), else `CONTAINERS_REGISTRIES_CONF` for podman and buildah (skopeo
/// ignores the variable, as the real programs show).
fn explicit_registries_conf(
    client: Client,
    env: &Environ,
    opts: &Options,
) -> Option<(PathBuf, &'static str)> {
    if let Some(path) = &opts.registries_conf {
        return Some((path.clone(), "--registries-conf"));
    }
    match client {
        Client::Podman | Client::Buildah => {
            env.path_buf("CONTAINERS_REGISTRIES_CONF").map(|p| (p, "CONTAINERS_REGISTRIES_CONF"))
        }
        _ => None,
    }
}

/// One file's `credential-helpers`: `Ok(None)` when the file is missing or does not set it.
fn read_credential_helpers(path: &Path) -> Result<Option<Vec<String>>, (PathBuf, String)> {
    let fail = |message: String| (path.to_owned(), format!("{}: {message}", path.display()));
    let text = match fsread::read_followed(path, MAX_REGISTRIES_CONF, fsread::effective_uid()) {
        Ok((_, contents)) => String::from_utf8_lossy(&contents.bytes).into_owned(),
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err((path.to_owned(), e.to_string())),
    };
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| fail(e.message().to_owned()))?;
    match table.get("credential-helpers") {
        None => Ok(None),
        Some(toml::Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str().map(str::to_owned).ok_or_else(|| fail("credential-helpers must be strings".into()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(fail("credential-helpers must be an array of strings".into())),
    }
}
