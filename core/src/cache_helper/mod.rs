//! Which inner helper docker-credential-regauth-cache wraps, for which registry, with which TTL: the file
//! `$XDG_CONFIG_HOME/regauth/cache-helper.json` (`~/.config/regauth/` without XDG_CONFIG_HOME).
//!
//! It is not in docker's config.json on purpose: `docker login` rewrites that file and drops every
//! top-level field it does not know. config.json names only `regauth-cache` (in `credHelpers` or
//! `credsStore`); this file says what it wraps. Written by `regauth helpers wrap|unwrap` under its lock
//! through core's atomic write (0600, in a 0700 directory of ours); read through `fsread` (no link,
//! regular, capped); a file another user owns or others may write is refused, since it names programs to
//! run.

pub mod identity;

use crate::environ::Environ;
use crate::fsread;
use crate::registry::RegistryHost;
use crate::safepath::{Place, Walk};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The helper's name in config.json: the program docker-credential-regauth-cache.
pub const HELPER_NAME: &str = "regauth-cache";
/// How long an answer is served when neither `--ttl` nor the credential says.
pub const DEFAULT_TTL: Duration = Duration::from_secs(300);
/// The longest TTL accepted.
pub const MAX_TTL: Duration = Duration::from_secs(24 * 3600);
/// How long the inner helper may take, unless configured.
pub const DEFAULT_INNER_TIMEOUT: Duration = crate::protocol::DEFAULT_TIMEOUT;
/// The longest inner-helper timeout accepted.
pub const MAX_INNER_TIMEOUT: Duration = Duration::from_secs(300);
const FILE_LIMIT: u64 = 1 << 20;
const VERSION: u32 = 1;

/// What one registry (or the default) is wrapped with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Wrapped {
    /// The inner helper's name: `gcloud` for docker-credential-gcloud.
    pub inner: String,
    pub ttl_seconds: u64,
    pub timeout_seconds: u64,
}

impl Wrapped {
    pub fn ttl(&self) -> Duration {
        Duration::from_secs(self.ttl_seconds).min(MAX_TTL)
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_seconds.max(1)).min(MAX_INNER_TIMEOUT)
    }
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Wrapping {
    pub version: u32,
    /// For every registry not listed (`credsStore: regauth-cache`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Wrapped>,
    /// By registry as `RegistryHost` names it (`docker.io`, `ghcr.io`, `127.0.0.1:5000`).
    #[serde(default)]
    pub registries: BTreeMap<String, Wrapped>,
}

impl Default for Wrapping {
    fn default() -> Wrapping {
        Wrapping { version: VERSION, default: None, registries: BTreeMap::new() }
    }
}

impl Wrapping {
    /// What serves `server_url` (any form a client sends: `host`, `https://host/v1/`): its registry's
    /// entry, else the default.
    pub fn for_server(&self, server_url: &str) -> Option<&Wrapped> {
        self.registries.get(RegistryHost::new(server_url).as_str()).or(self.default.as_ref())
    }

    /// Every inner helper named, once, in order (the default first).
    pub fn inner_helpers(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for w in self.default.iter().chain(self.registries.values()) {
            if !names.contains(&w.inner.as_str()) {
                names.push(&w.inner);
            }
        }
        names
    }
}

/// A helper name is a plain program suffix: letters, digits, `.`, `_`, `-`, starting with a letter or digit.
pub fn valid_helper_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        && name.as_bytes()[0].is_ascii_alphanumeric()
}

/// Where the file lives for the user of `env`.
pub fn path(env: &Environ) -> Option<PathBuf> {
    let base = env
        .path_buf("XDG_CONFIG_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| env.home().map(|h| h.join(".config")))?;
    Some(base.join("regauth").join("cache-helper.json"))
}

/// Read the file; a missing one is empty. Refused: another user's file, one others may write, a link,
/// one that does not parse or names a helper that is not a plain name.
pub fn load(path: &Path) -> Result<Wrapping, String> {
    checked(fsread::read_regular(path, FILE_LIMIT), path)
}

/// What a read of the file at `path` gave, checked and parsed.
fn checked(read: Result<fsread::Contents, fsread::FileError>, path: &Path) -> Result<Wrapping, String> {
    let contents = match read {
        Ok(c) => c,
        Err(e) if e.is_not_found() => return Ok(Wrapping::default()),
        Err(e) => return Err(e.to_string()),
    };
    let meta = &contents.meta;
    if meta.uid() != fsread::effective_uid() && meta.uid() != 0 {
        return Err(format!("{} belongs to uid {}, not to this user", path.display(), meta.uid()));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!("{} is writable by others", path.display()));
    }
    let wrapping: Wrapping = serde_json::from_slice(&contents.bytes)
        .map_err(|e| format!("{} is damaged (line {}, column {})", path.display(), e.line(), e.column()))?;
    if wrapping.version != VERSION {
        return Err(format!("{}: unknown version {}", path.display(), wrapping.version));
    }
    if let Some(bad) =
        wrapping.default.iter().chain(wrapping.registries.values()).find(|w| !valid_helper_name(&w.inner))
    {
        return Err(format!(
            "{} names {:?}, which is not a helper name",
            path.display(),
            crate::sanitize::one_line(&bad.inner)
        ));
    }
    Ok(wrapping)
}

/// Under the file's lock (waited for at most `lock_timeout`): read, `edit`, write atomically (0600; the
/// directory made 0700 when missing, and refused unless it is ours and no one else may write it).
pub fn update<T>(
    path: &Path,
    lock_timeout: Duration,
    edit: impl FnOnce(&mut Wrapping) -> Result<T, String>,
) -> Result<T, String> {
    let dir = path.parent().ok_or_else(|| format!("{} has no directory", path.display()))?;
    crate::token_cache::prepare_dir(dir)?;
    // Lock, read and write all happen in the directory the walk reached, whatever its path does meanwhile.
    let place = Place::walk(path, Walk::entry(fsread::effective_uid())).map_err(|e| e.to_string())?;
    let guard = crate::lock::acquire_beside(&place, lock_timeout).map_err(|e| e.to_string())?;
    crate::config::write::remove_stale_temp_files(&guard, &place);
    let mut wrapping = checked(place.read_regular(FILE_LIMIT), path)?;
    let result = edit(&mut wrapping)?;
    let mut bytes = serde_json::to_vec_pretty(&wrapping).map_err(|e| e.to_string())?;
    bytes.push(b'\n');
    crate::config::write::write_file_atomically(&guard, &place, &bytes, None)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrapped(inner: &str) -> Wrapped {
        Wrapped { inner: inner.into(), ttl_seconds: 60, timeout_seconds: 5 }
    }

    #[test]
    fn lookup_by_registry_then_default() {
        let mut w = Wrapping::default();
        w.registries.insert("gcr.io".into(), wrapped("gcloud"));
        w.registries.insert("docker.io".into(), wrapped("pass"));
        assert_eq!(w.for_server("gcr.io").unwrap().inner, "gcloud");
        assert_eq!(w.for_server("https://gcr.io").unwrap().inner, "gcloud");
        assert_eq!(w.for_server("https://index.docker.io/v1/").unwrap().inner, "pass");
        assert!(w.for_server("ghcr.io").is_none());
        w.default = Some(wrapped("secretservice"));
        assert_eq!(w.for_server("ghcr.io").unwrap().inner, "secretservice");
        assert_eq!(w.inner_helpers(), ["secretservice", "pass", "gcloud"]);
    }

    #[test]
    fn file_round_trip_and_refusals() {
        let dir = std::env::temp_dir().join(format!("regauth-cache-helper-{}", std::process::id()));
        let path = dir.join("regauth").join("cache-helper.json");
        update(&path, Duration::from_secs(5), |w| {
            w.default = Some(wrapped("gcloud"));
            Ok(())
        })
        .unwrap();
        assert_eq!(load(&path).unwrap().default.unwrap().inner, "gcloud");
        let mode = std::fs::metadata(&path).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::write(
            &path,
            r#"{"version":1,"default":{"inner":"../x","ttlSeconds":1,"timeoutSeconds":1}}"#,
        )
        .unwrap();
        assert!(load(&path).unwrap_err().contains("not a helper name"));
        std::fs::write(&path, "{").unwrap();
        assert!(load(&path).unwrap_err().contains("damaged"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
