//! The system's trusted root certificates, from the same files and giving the same set as the
//! rustls-native-certs crate (which reqwest would otherwise call), at a fraction of its cost.
//!
//! Measured on a `diagnose` (callgrind): 18.4 M of its 24.1 M instructions were that crate's loading. A
//! Debian trust store holds every root twice (the bundle file and one file per root in the directory)
//! and the crate decodes each copy with a constant-time base64 decoder meant for private keys. Here the
//! blocks are found with `memchr` and decoded by the `base64` crate's decoder: public data, no timing to
//! hide; a text seen before (the same root in the bundle and in its own file) is not decoded again.
//!
//! Where to look is the crate's rule: `SSL_CERT_FILE` and `SSL_CERT_DIR` (a `:` list) when either is set,
//! else the places openssl-probe finds. Unlike the crate, a path that is not a regular file (a FIFO, a
//! device) is skipped rather than read, a file is read up to [`FILE_LIMIT`], and a malformed block skips
//! that block only.

use base64::Engine;
use rustls::pki_types::CertificateDer;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// A trust bundle is a few hundred kilobytes; past this a file is not one.
pub const FILE_LIMIT: u64 = 16 * 1024 * 1024;

const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
const END: &[u8] = b"-----END CERTIFICATE-----";

/// The system's roots (DER), sorted, each once.
pub fn load() -> Vec<CertificateDer<'static>> {
    let (file, dirs) = locations();
    load_from(file.as_deref(), &dirs)
}

/// The bundle file and the directories to read, as rustls-native-certs chooses them.
pub fn locations() -> (Option<PathBuf>, Vec<PathBuf>) {
    let file = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
    let dirs: Vec<PathBuf> = std::env::var_os("SSL_CERT_DIR")
        .map(|dirs| std::env::split_paths(&dirs).filter(|p| !p.as_os_str().is_empty()).collect())
        .unwrap_or_default();
    if file.is_some() || !dirs.is_empty() {
        return (file, dirs);
    }
    let probed = openssl_probe::probe();
    (probed.cert_file, probed.cert_dir)
}

/// The certificates in `file` and in the files of `dirs` (not their subdirectories), each file once
/// however many links lead to it; sorted, each certificate once.
pub fn load_from(file: Option<&Path>, dirs: &[PathBuf]) -> Vec<CertificateDer<'static>> {
    let mut read = Reader::default();
    if let Some(file) = file {
        read.file(file);
    }
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        for entry in entries.flatten() {
            read.file(&entry.path());
        }
    }
    let mut certs = read.certs;
    certs.sort_unstable_by(|a, b| a.as_ref().cmp(b.as_ref()));
    certs.dedup();
    certs
}

#[derive(Default)]
struct Reader {
    files_seen: HashSet<(u64, u64)>,
    texts_seen: HashSet<Text>,
    certs: Vec<CertificateDer<'static>>,
}

impl Reader {
    fn file(&mut self, path: &Path) {
        // A file seen through another link is not opened again (Debian's directory links every root twice).
        let Ok(meta) = std::fs::metadata(path) else { return };
        if !meta.is_file() || !self.files_seen.insert((meta.dev(), meta.ino())) {
            return;
        }
        // Opened without blocking and checked again on the descriptor: a FIFO swapped in meanwhile is not
        // waited on. Links are followed: the trust store is made of them, and whoever can write the
        // directory can add roots without one.
        let opened =
            std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY).open(path);
        let Ok(file) = opened else { return };
        if !file.metadata().is_ok_and(|m| m.is_file() && (m.dev(), m.ino()) == (meta.dev(), meta.ino())) {
            return;
        }
        let mut bytes = Vec::with_capacity(meta.len().min(FILE_LIMIT) as usize);
        if file.take(FILE_LIMIT).read_to_end(&mut bytes).is_err() {
            return;
        }
        for text in pem_texts(&bytes).into_iter().map(Text) {
            // Each root is in the bundle and in a file of its own: decoded once.
            if self.texts_seen.contains(&text) {
                continue;
            }
            if let Some(der) = decode(&text.0) {
                self.certs.push(CertificateDer::from(der));
            }
            self.texts_seen.insert(text);
        }
    }
}

/// A block's text, hashed by its length and last bytes only (the end of the signature, which tells
/// certificates apart) and compared whole.
#[derive(PartialEq, Eq)]
struct Text(Vec<u8>);

impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.len().hash(state);
        self.0[self.0.len().saturating_sub(16)..].hash(state);
    }
}

/// The base64 text of each `CERTIFICATE` block in a PEM file, whitespace removed; other blocks (keys,
/// `TRUSTED CERTIFICATE`) and an unterminated last block are not certificates to trust.
pub fn pem_texts(pem: &[u8]) -> Vec<Vec<u8>> {
    let mut texts = Vec::new();
    let mut rest = pem;
    while let Some(start) = find(rest, BEGIN) {
        let after = &rest[start + BEGIN.len()..];
        let Some(end) = find(after, END) else { break };
        let body = &after[..end];
        // A BEGIN line of another kind inside the block would make it two blocks run together.
        if find(body, b"-----").is_none() {
            texts.push(without_whitespace(body));
        }
        rest = &after[end + END.len()..];
    }
    texts
}

/// `body` without its whitespace, a line at a time: PEM lines are whole runs of base64.
fn without_whitespace(body: &[u8]) -> Vec<u8> {
    let mut text = Vec::with_capacity(body.len());
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', body).chain([body.len()]);
    for end in ends {
        let line = body[start..end].trim_ascii();
        start = end + 1;
        // Whitespace inside a line (rare): ' ', '\t', '\r' and form feed, the rest of ASCII whitespace
        // being '\n', which ends lines.
        let inner = memchr::memchr3(b' ', b'\t', b'\r', line).or_else(|| memchr::memchr(0x0c, line));
        if inner.is_some() {
            text.extend(line.iter().filter(|b| !b.is_ascii_whitespace()));
        } else {
            text.extend_from_slice(line);
        }
    }
    text
}

/// A block's DER, when its text is base64 of something.
fn decode(text: &[u8]) -> Option<Vec<u8>> {
    let der = base64::engine::general_purpose::STANDARD.decode(text).ok()?;
    (!der.is_empty()).then_some(der)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

#[cfg(test)]
#[path = "system_roots_tests.rs"]
mod tests;
