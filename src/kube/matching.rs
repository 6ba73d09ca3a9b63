//! The kubelet's rules for which docker-config key serves an image (pkg/credentialprovider's keyring),
//! written from their description in docs/kubernetes.md:
//!
//! - a key is read as a URL: `http://` or `https://` dropped, `/v1/` or `/v2/` at the start of the path
//!   dropped, a path of just `/` dropped; the keyring key is host[:port] plus what remains of the path;
//!   `?` and `#` start a query and a fragment, so they end the key;
//! - the image is matched as `registry/repository` (`nginx` is `docker.io/library/nginx`);
//! - the key's port must equal the image's (no port matches only no port);
//! - key and image host have the same number of dot-separated parts, each matched as a glob
//!   (`*`, `?`: Go's `filepath.Match`), so `*` stands for exactly one domain segment; a `[` class cannot
//!   occur, since Go's URL parser takes `[` in a host only as an IPv6 literal and rejects the key;
//! - the key's path is a plain string prefix of the image's path (`/team` also serves `/teamx/app`);
//! - keys are tried in reverse string order, which puts longer paths before their prefixes and names
//!   before globs; the credentials of one key in the order their configs were added;
//! - only when no key matched a Docker Hub image: the key `index.docker.io` (what
//!   `https://index.docker.io/v1/` becomes) serves it.

use std::cmp::Ordering;

/// A docker-config key as the kubelet's keyring holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// host[:port][/path], as the keyring indexes it (`index.docker.io`, `registry.example.com/team`).
    pub normalized: String,
    host: String,
    port: String,
    path: String,
}

/// Why a key was dropped or does not serve an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    /// The key is not a URL the kubelet's parser accepts: it ignores the entry.
    Invalid,
    Port,
    /// A different number of domain parts (`example.com` never serves `registry.example.com`).
    DomainParts,
    Host,
    Path,
    /// A bad glob pattern (`[` unclosed): an error, so no match.
    BadPattern,
}

impl Mismatch {
    pub fn explain(self) -> &'static str {
        match self {
            Mismatch::Invalid => "the kubelet cannot parse this key as a URL and ignores it",
            Mismatch::Port => "the port differs (a key without a port serves only images without one)",
            Mismatch::DomainParts => {
                "the host has a different number of dot-separated parts (a glob matches one part only)"
            }
            Mismatch::Host => "the host differs",
            Mismatch::Path => "the key's path is not a prefix of the image's repository",
            Mismatch::BadPattern => "the key's host is a malformed glob",
        }
    }
}

impl Key {
    /// Read a docker-config key the way the kubelet's keyring adds it. `None`: the kubelet ignores it.
    pub fn parse(key: &str) -> Option<Key> {
        let rest = key.strip_prefix("https://").or_else(|| key.strip_prefix("http://")).unwrap_or(key);
        let (host, path) = split_url(rest)?;
        let mut effective = path;
        if effective.starts_with("/v2/") || effective.starts_with("/v1/") {
            effective = &effective[3..];
        }
        let normalized = if !effective.is_empty() && effective != "/" {
            format!("{host}{effective}")
        } else {
            host.to_owned()
        };
        // The keyring re-reads its own key as a URL when it looks an image up.
        let (host, path) = split_url(&normalized)?;
        let (host, port) = split_port(host);
        Some(Key { host: host.to_owned(), port: port.to_owned(), path: path.to_owned(), normalized })
    }

    /// Whether this key serves `target` (`registry/repository`, no tag), or why not.
    pub fn serves(&self, target: &str) -> Result<(), Mismatch> {
        let (host, path) = split_url(target).ok_or(Mismatch::Invalid)?;
        let (host, port) = split_port(host);
        if self.port != port {
            return Err(Mismatch::Port);
        }
        let key_parts: Vec<&str> = self.host.split('.').collect();
        let parts: Vec<&str> = host.split('.').collect();
        if key_parts.len() != parts.len() {
            return Err(Mismatch::DomainParts);
        }
        if !path.starts_with(self.path.as_str()) {
            return Err(Mismatch::Path);
        }
        for (pattern, part) in key_parts.iter().zip(&parts) {
            match glob(pattern.as_bytes(), part.as_bytes()) {
                Some(true) => {}
                Some(false) => return Err(Mismatch::Host),
                None => return Err(Mismatch::BadPattern),
            }
        }
        Ok(())
    }

    /// `index.docker.io`: what `https://index.docker.io/v1/` and `index.docker.io` become; serves Docker Hub
    /// images when no other key did.
    pub fn is_docker_hub_fallback(&self) -> bool {
        self.normalized == DOCKER_HUB_FALLBACK
    }
}

/// The keyring key that serves Docker Hub images when nothing else matched.
pub const DOCKER_HUB_FALLBACK: &str = "index.docker.io";

/// The kubelet's order of keys: reverse string order of the normalized keys.
pub fn order(a: &Key, b: &Key) -> Ordering {
    b.normalized.cmp(&a.normalized)
}

/// Whether `target` (`registry/repository`) is a Docker Hub image for the fallback rule.
pub fn is_docker_hub_target(target: &str) -> bool {
    let first = target.split('/').next().unwrap_or("");
    if first.is_empty() {
        return false;
    }
    if !target.contains('/') || first == "docker.io" || first == "index.docker.io" {
        return true;
    }
    !first.contains(['.', ':'])
}

/// Split `host[:port][/path][?query][#fragment]` (no scheme) into host and path, as Go's URL parser
/// would after a scheme is added; `None` where it reports an error.
fn split_url(text: &str) -> Option<(&str, &str)> {
    let text = text.split('#').next().unwrap_or("");
    let text = text.split('?').next().unwrap_or("");
    let (authority, path) = match text.find('/') {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    };
    // user:password@ is not part of the host.
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    // The ASCII Go refuses in a host (it takes `%` only for non-ASCII bytes; regauth refuses it outright).
    if host.bytes().any(|b| b <= b' ' || b == 0x7f || b"%\\^`{|}".contains(&b)) {
        return None;
    }
    if path.bytes().any(|b| b < b' ' || b == 0x7f) {
        return None;
    }
    if !go_host_ok(host) {
        return None;
    }
    Some((host, path))
}

/// Go's URL parser (Go 1.26, which Kubernetes 1.37 is built with) on a host: a `[` only at the start, as an
/// IPv6 literal (`[::1]`, `[::1]:5000`), so a glob class such as `[a-r]eg.example.com` is an error; no
/// `:` after the port's; a port of digits only.
fn go_host_ok(host: &str) -> bool {
    if let Some(rest) = host.strip_prefix('[') {
        let Some(close) = rest.rfind(']') else { return false };
        let tail = &rest[close + 1..];
        let port_ok =
            tail.is_empty() || tail.strip_prefix(':').is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
        // Only an IPv6 address may be bracketed (an IPv4-mapped one too, a plain IPv4 one not).
        return port_ok
            && !rest[..close].contains('[')
            && rest[..close].parse::<std::net::Ipv6Addr>().is_ok();
    }
    if host.contains('[') {
        return false;
    }
    match host.split_once(':') {
        None => true,
        Some((_, port)) => port.bytes().all(|b| b.is_ascii_digit()),
    }
}

/// `host:port` -> (host, port); a host without a port (or an IPv6 literal without one) -> (host, "").
fn split_port(host: &str) -> (&str, &str) {
    if let Some(rest) = host.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((literal, tail)) => match tail.strip_prefix(':') {
                Some(port) => (literal, port),
                None => (host, ""),
            },
            None => (host, ""),
        };
    }
    match host.split_once(':') {
        Some((h, p)) if !p.contains(':') => (h, p),
        _ => (host, ""),
    }
}

/// Go's `filepath.Match` for one domain part: `*` any run, `?` one character, `[...]` a class (`^`
/// negates, `a-z` ranges, `\` escapes). `None` for a malformed pattern.
fn glob(pattern: &[u8], name: &[u8]) -> Option<bool> {
    // Iterative with one backtrack point for the last `*`: linear in practice, never recursive.
    let (mut p, mut n) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    let mut malformed = false;
    while n < name.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    star = Some((p + 1, n));
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    n += 1;
                    continue;
                }
                b'[' => match class(&pattern[p..], name[n]) {
                    Some((true, len)) => {
                        p += len;
                        n += 1;
                        continue;
                    }
                    Some((false, _)) => {}
                    None => {
                        malformed = true;
                        break;
                    }
                },
                b'\\' => {
                    if p + 1 >= pattern.len() {
                        malformed = true;
                        break;
                    }
                    if pattern[p + 1] == name[n] {
                        p += 2;
                        n += 1;
                        continue;
                    }
                }
                c => {
                    if c == name[n] {
                        p += 1;
                        n += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, sn)) => {
                p = sp;
                n = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return check_rest(&pattern[p.min(pattern.len())..]).map(|_| false),
        }
    }
    if malformed {
        return None;
    }
    while p < pattern.len() && pattern[p] == b'*' {
        p += 1;
    }
    if p == pattern.len() {
        return Some(true);
    }
    check_rest(&pattern[p..]).map(|_| false)
}

/// A pattern tail that was not reached: still malformed if it has a broken class or escape, like Go.
fn check_rest(rest: &[u8]) -> Option<()> {
    let mut i = 0;
    while i < rest.len() {
        match rest[i] {
            b'[' => {
                let (_, len) = class(&rest[i..], 0)?;
                i += len;
            }
            b'\\' => {
                if i + 1 >= rest.len() {
                    return None;
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    Some(())
}

/// A `[...]` class at the start of `pattern` against `c`: (matched, bytes of the class), `None` malformed.
fn class(pattern: &[u8], c: u8) -> Option<(bool, usize)> {
    let mut i = 1;
    let negated = pattern.get(i) == Some(&b'^');
    if negated {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let lo = *pattern.get(i)?;
        if lo == b']' && !first {
            i += 1;
            break;
        }
        first = false;
        let (lo, next) = escaped(pattern, i)?;
        i = next;
        let mut hi = lo;
        if pattern.get(i) == Some(&b'-') {
            let (h, next) = escaped(pattern, i + 1)?;
            hi = h;
            i = next;
        }
        if lo <= c && c <= hi {
            matched = true;
        }
    }
    Some((matched != negated, i))
}

/// One class character at `i` (`\x` escapes): (char, next index). A bare `-` or `]` where a character is
/// needed is malformed, as in Go.
fn escaped(pattern: &[u8], i: usize) -> Option<(u8, usize)> {
    match *pattern.get(i)? {
        b'\\' => Some((*pattern.get(i + 1)?, i + 2)),
        b'-' | b']' => None,
        c => Some((c, i + 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serves(key: &str, target: &str) -> Result<(), Mismatch> {
        Key::parse(key).ok_or(Mismatch::Invalid)?.serves(target)
    }

    #[test]
    fn keys_normalize_like_the_keyring() {
        for (key, normalized) in [
            ("https://index.docker.io/v1/", "index.docker.io"),
            ("index.docker.io", "index.docker.io"),
            ("docker.io", "docker.io"),
            ("http://registry.example.com:5000/v2/", "registry.example.com:5000"),
            ("registry.example.com/team/", "registry.example.com/team/"),
            ("registry.example.com/v2/team", "registry.example.com/team"),
            ("https://user:pw@registry.example.com/x", "registry.example.com/x"),
            ("registry.example.com?x=1#y", "registry.example.com"),
            ("*.example.com", "*.example.com"),
        ] {
            assert_eq!(Key::parse(key).unwrap().normalized, normalized, "{key}");
        }
        for bad in ["registry example.com", "host:port", "host:5000x", "[::1", "ho\u{1}st", "[::1]x", "h:1:2"]
        {
            assert_eq!(Key::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn matching_table() {
        use Mismatch::*;
        let table: &[(&str, &str, Result<(), Mismatch>)] = &[
            ("registry.example.com", "registry.example.com/team/app", Ok(())),
            ("https://registry.example.com/v2/", "registry.example.com/team/app", Ok(())),
            ("registry.example.com/team", "registry.example.com/team/app", Ok(())),
            // a plain string prefix, as the kubelet compares
            ("registry.example.com/team", "registry.example.com/teamx/app", Ok(())),
            ("registry.example.com/other", "registry.example.com/team/app", Err(Path)),
            ("*.example.com", "registry.example.com/team/app", Ok(())),
            ("*.example.com", "example.com/team/app", Err(DomainParts)),
            ("*.example.com", "a.b.example.com/app", Err(DomainParts)),
            ("*.*.com", "a.example.com/app", Ok(())),
            // `?` starts a URL query: the key is the host `reg`
            ("reg?stry.example.com", "registry.example.com/app", Err(DomainParts)),
            // Go's URL parser takes `[` in a host only as an IPv6 literal: no glob class gets through.
            ("[q-s]egistry.example.com", "registry.example.com/app", Err(Invalid)),
            ("[^r]egistry.example.com", "registry.example.com/app", Err(Invalid)),
            ("[registry.example.com", "registry.example.com/app", Err(Invalid)),
            ("x[y.example.com", "registry.example.com/app", Err(Invalid)),
            ("[1.2.3.4]:5000", "[1.2.3.4]:5000/app", Err(Invalid)),
            ("a.example.com:5000:1", "a.example.com:5000/app", Err(Invalid)),
            ("registr?.example.com", "registry.example.com/app", Err(DomainParts)),
            ("registr\\y.example.com", "registry.example.com/app", Err(Invalid)),
            ("<registry>.example.com", "<registry>.example.com/app", Ok(())),
            ("registry.example.com/team/", "registry.example.com/team/app", Ok(())),
            ("example.com", "registry.example.com/app", Err(DomainParts)),
            ("other.example.com", "registry.example.com/app", Err(Host)),
            ("127.0.0.1:5000", "127.0.0.1:5000/team/app", Ok(())),
            ("127.0.0.1", "127.0.0.1:5000/team/app", Err(Port)),
            ("127.0.0.1:5001", "127.0.0.1:5000/team/app", Err(Port)),
            ("127.0.0.1:5000", "127.0.0.1/team/app", Err(Port)),
            ("http://127.0.0.1:5000/v1/", "127.0.0.1:5000/team/app", Ok(())),
            ("docker.io", "docker.io/library/nginx", Ok(())),
            // index.docker.io serves Docker Hub only through the fallback
            ("https://index.docker.io/v1/", "docker.io/library/nginx", Err(DomainParts)),
            ("registry-1.docker.io", "docker.io/library/nginx", Err(DomainParts)),
            ("[::1]:5000", "[::1]:5000/team/app", Ok(())),
            ("Registry.example.com", "registry.example.com/app", Err(Host)),
        ];
        for (key, target, expected) in table {
            assert_eq!(serves(key, target), *expected, "{key} vs {target}");
        }
    }

    #[test]
    fn order_is_reverse_string_order() {
        let mut keys: Vec<Key> = ["*.example.com", "registry.example.com", "registry.example.com/team"]
            .iter()
            .map(|k| Key::parse(k).unwrap())
            .collect();
        keys.sort_by(order);
        let names: Vec<&str> = keys.iter().map(|k| k.normalized.as_str()).collect();
        assert_eq!(names, ["registry.example.com/team", "registry.example.com", "*.example.com"]);
    }

    #[test]
    fn docker_hub_targets() {
        for t in ["docker.io/library/nginx", "index.docker.io/x/y", "me/app", "nginx", "localhost/app"] {
            assert!(is_docker_hub_target(t), "{t}");
        }
        for t in ["ghcr.io/me/app", "127.0.0.1:5000/app", "registry.example.com/app", "/x"] {
            assert!(!is_docker_hub_target(t), "{t}");
        }
    }

    #[test]
    fn glob_matches_go_filepath_match() {
        for (p, n, want) in [
            ("*", "abc", Some(true)),
            ("a*c", "abbbc", Some(true)),
            ("a*c", "abbbd", Some(false)),
            ("a\\*c", "a*c", Some(true)),
            ("a[", "a", None),
            ("[]a]", "]", None),
            ("[a-]", "a", None),
            ("ab[", "x", None),
            ("*x", "", Some(false)),
            ("", "", Some(true)),
            ("[\\]]", "]", Some(true)),
        ] {
            assert_eq!(glob(p.as_bytes(), n.as_bytes()), want, "{p:?} vs {n:?}");
        }
    }
}
