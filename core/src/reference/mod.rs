//! Image references in docker's grammar, normalised to registry / repository / tag / digest.
//!
//! `nginx` is `docker.io/library/nginx:latest`; a first component with `.` or `:`, `localhost`, or an
//! upper-case letter names a registry; `index.docker.io` is `docker.io`.

use std::fmt;
use std::net::Ipv6Addr;

/// Docker Hub's canonical registry name.
pub const DOCKER_HUB: &str = "docker.io";
/// The one other name docker's reference grammar reads as Docker Hub. Host text has a longer list:
/// `registry::DOCKER_HUB_ALIASES`.
pub const LEGACY_DOCKER_HUB: &str = "index.docker.io";
/// Longest repository path, not counting the registry host and its `/` (distribution's
/// NameTotalLengthMax, which its reference package checks against the path alone: `example.com/` followed
/// by 255 × `a` is a valid name).
pub const MAX_NAME_LEN: usize = 255;
/// Longest tag.
const MAX_TAG_LEN: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `docker.io`, `ghcr.io`, `127.0.0.1:5000`, `[::1]:5000`.
    pub registry: String,
    /// `library/nginx`, `team/app`.
    pub repository: String,
    /// The tag; `latest` when neither tag nor digest was given.
    pub tag: Option<String>,
    pub digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("the image reference is empty")]
    Empty,
    #[error("the image reference contains whitespace or a control character")]
    BadCharacter,
    #[error("repository name {0:?} is 64 hexadecimal characters, which docker reserves for image IDs")]
    HexOnlyName(String),
    #[error("registry {0:?} is not a valid host name, IPv4 address or [IPv6] literal")]
    InvalidRegistry(String),
    #[error("registry {0:?} has an invalid port (expected a number from 1 to 65535)")]
    InvalidPort(String),
    #[error("repository name {0:?} must be lowercase (try {1:?})")]
    Uppercase(String, String),
    #[error(
        "repository path component {0:?} is not valid: use lowercase letters, digits and single \
         separators . _ __ -"
    )]
    InvalidComponent(String),
    #[error(
        "repository path is {0} characters long (not counting the registry); the limit is {MAX_NAME_LEN}"
    )]
    NameTooLong(usize),
    #[error("tag {0:?} is not valid: up to {MAX_TAG_LEN} letters, digits, _ . - not starting with . or -")]
    InvalidTag(String),
    #[error(
        "digest {0:?} is not valid: expected ALGORITHM:HEX such as sha256: followed by 64 lowercase hex \
         digits"
    )]
    InvalidDigest(String),
    #[error("digest algorithm {0:?} is not supported (sha256, sha384, sha512)")]
    UnsupportedDigest(String),
}

impl Reference {
    /// Parse and normalise a reference as `docker pull` would.
    pub fn parse(input: &str) -> Result<Reference, ReferenceError> {
        if input.is_empty() {
            return Err(ReferenceError::Empty);
        }
        if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ReferenceError::BadCharacter);
        }
        let (rest, digest) = match input.split_once('@') {
            Some((rest, digest)) => (rest, Some(parse_digest(digest)?)),
            None => (input, None),
        };
        let (name, tag) = split_tag(rest);
        if let Some(tag) = tag {
            check_tag(tag)?;
        }
        if name.is_empty() {
            return Err(ReferenceError::Empty);
        }
        if name.len() == 64 && name.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(ReferenceError::HexOnlyName(name.to_owned()));
        }
        let (registry, path) = split_registry(name);
        check_registry(&registry)?;
        let path =
            if registry == DOCKER_HUB && !path.contains('/') { format!("library/{path}") } else { path };
        for component in path.split('/') {
            check_component(component, &path)?;
        }
        if path.len() > MAX_NAME_LEN {
            return Err(ReferenceError::NameTooLong(path.len()));
        }
        let tag = match (tag, &digest) {
            (Some(t), _) => Some(t.to_owned()),
            (None, None) => Some("latest".to_owned()),
            (None, Some(_)) => None,
        };
        Ok(Reference { registry, repository: path, tag, digest })
    }

    /// What to put in `/v2/<name>/manifests/<reference>`: the digest when there is one, else the tag.
    pub fn manifest_reference(&self) -> &str {
        self.digest.as_deref().or(self.tag.as_deref()).unwrap_or("latest")
    }

    /// `registry/repository`, without tag or digest.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    pub fn is_docker_hub(&self) -> bool {
        self.registry == DOCKER_HUB
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// A tag is after the last `:` that follows the last `/` (so `host:5000/app` has none).
fn split_tag(s: &str) -> (&str, Option<&str>) {
    let last_slash = s.rfind('/').map_or(0, |i| i + 1);
    match s[last_slash..].rfind(':') {
        Some(i) => (&s[..last_slash + i], Some(&s[last_slash + i + 1..])),
        None => (s, None),
    }
}

fn split_registry(name: &str) -> (String, String) {
    let Some((first, rest)) = name.split_once('/') else {
        return (DOCKER_HUB.to_owned(), name.to_owned());
    };
    let is_registry =
        first.contains(['.', ':']) || first == "localhost" || first.chars().any(|c| c.is_ascii_uppercase());
    if !is_registry {
        return (DOCKER_HUB.to_owned(), name.to_owned());
    }
    let registry = if first == LEGACY_DOCKER_HUB { DOCKER_HUB } else { first };
    (registry.to_owned(), rest.to_owned())
}

/// Split `host[:port]`, `[v6]:port`; the port text is returned unchecked.
pub fn split_host_port(registry: &str) -> (&str, Option<&str>) {
    if registry.starts_with('[') {
        return match registry.find(']') {
            Some(end) => match &registry[end + 1..] {
                "" => (&registry[..=end], None),
                rest => (&registry[..=end], Some(rest.strip_prefix(':').unwrap_or(rest))),
            },
            None => (registry, None),
        };
    }
    match registry.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (registry, None),
    }
}

pub fn check_registry(registry: &str) -> Result<(), ReferenceError> {
    let invalid = || ReferenceError::InvalidRegistry(registry.to_owned());
    let (host, port) = split_host_port(registry);
    if let Some(inner) = host.strip_prefix('[') {
        let inner = inner.strip_suffix(']').ok_or_else(invalid)?;
        inner.parse::<Ipv6Addr>().map_err(|_| invalid())?;
    } else {
        if host.is_empty() {
            return Err(invalid());
        }
        for label in host.split('.') {
            let bytes = label.as_bytes();
            let ok = !bytes.is_empty()
                && bytes.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
                && bytes[0] != b'-'
                && bytes[bytes.len() - 1] != b'-';
            if !ok {
                return Err(invalid());
            }
        }
    }
    if let Some(port) = port {
        let valid = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && matches!(port.parse::<u32>(), Ok(1..=65535));
        if !valid {
            return Err(ReferenceError::InvalidPort(registry.to_owned()));
        }
    }
    Ok(())
}

/// `[a-z0-9]+` joined by `.`, `_`, `__` or one or more `-`.
fn check_component(component: &str, path: &str) -> Result<(), ReferenceError> {
    if component.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(ReferenceError::Uppercase(path.to_owned(), path.to_lowercase()));
    }
    let invalid = || ReferenceError::InvalidComponent(component.to_owned());
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return Err(invalid());
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let sep = &component[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|b| b == b'-');
        if !ok {
            return Err(invalid());
        }
    }
    Ok(())
}

fn check_tag(tag: &str) -> Result<(), ReferenceError> {
    let bytes = tag.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let ok = !bytes.is_empty()
        && bytes.len() <= MAX_TAG_LEN
        && word(bytes[0])
        && bytes.iter().all(|&b| word(b) || b == b'.' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ReferenceError::InvalidTag(tag.to_owned()))
    }
}

fn parse_digest(digest: &str) -> Result<String, ReferenceError> {
    let invalid = || ReferenceError::InvalidDigest(digest.to_owned());
    let (algorithm, hex) = digest.split_once(':').ok_or_else(invalid)?;
    let want_len = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        "" => return Err(invalid()),
        other if other.bytes().all(|b| b.is_ascii_alphanumeric() || b"+._-".contains(&b)) => {
            return Err(ReferenceError::UnsupportedDigest(other.to_owned()))
        }
        _ => return Err(invalid()),
    };
    let lower_hex = hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if hex.len() != want_len || !lower_hex {
        return Err(invalid());
    }
    Ok(digest.to_owned())
}

#[cfg(test)]
mod tests;
