//! The `auth` field of an `auths` entry (`base64(username:password)`), decoded exactly as the program a
//! caller speaks for decodes it. They differ, and a credential one reads is invisible to another:
//!
//! - docker/cli (and nerdctl, which loads config.json with docker/cli's code): Go's `base64.StdEncoding`
//!   (padding required, `\r`/`\n` skipped, non-zero trailing bits accepted), split at the first `:`; no
//!   `:` or an empty username is an error; NULs trimmed from both ends of the password. An error fails
//!   docker's load of the whole file: it warns and leaves undecoded every entry it had not reached yet
//!   (Go's map order, so which ones changes from run to run).
//! - containers/image (podman, buildah, skopeo): `StdEncoding` too; no `:` is "no credential here" (the
//!   next file is read), an empty username is accepted; NULs trimmed from the password.
//! - containerd's CRI image service (config.toml `registry.configs."HOST".auth`): `StdEncoding`; no `:` is
//!   an error (the pull fails), an empty username is accepted (the password is then sent as a refresh
//!   token); NULs trimmed from the password.
//! - the kubelet (`credentialprovider`): `StdEncoding` when the field, trimmed of white space, ends in
//!   `=`, else `RawStdEncoding` (padding-less is read, since Kubernetes 1.17); no `:` is an error; nothing
//!   trimmed. An error fails the whole secret (or node config file).
//! - `Lenient` is no client's: what the field holds whoever can read it (padding optional, surrounding
//!   white space ignored), for the audit's inventory of what is on disk.
//!
//! Errors never carry the value or any part of it.

use crate::secret::Secret;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

/// Go's `base64.StdEncoding` as a decoder: canonical padding required, trailing bits not checked.
const GO_STD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);
/// Go's `base64.RawStdEncoding`: no padding at all (`=` is not in its alphabet).
const GO_RAW_STD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// Go's decoders without their padding rule, for [`AuthEncoding::Lenient`].
const ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Whose decoding of `auth` applies: the program the caller speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthEncoding {
    /// docker/cli's config file loader (docker, nerdctl).
    Docker,
    /// containers/image (podman, buildah, skopeo).
    Containers,
    /// The kubelet's `credentialprovider` (pull secrets, node config files).
    Kubelet,
    /// containerd's CRI image service (config.toml's registry `auth` fields).
    Containerd,
    /// No client's: what the field holds (the audit's inventory of secrets on disk).
    Lenient,
}

impl AuthEncoding {
    /// Who decodes, for messages ("as docker decodes it").
    pub fn reader(self) -> &'static str {
        match self {
            AuthEncoding::Docker => "docker",
            AuthEncoding::Containers => "containers/image (podman, buildah, skopeo)",
            AuthEncoding::Kubelet => "the kubelet",
            AuthEncoding::Containerd => "containerd's CRI",
            AuthEncoding::Lenient => "regauth",
        }
    }
}

/// Why the base64 itself does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base64Problem {
    /// Valid characters, but the `=` padding that this decoder requires is missing.
    MissingPadding,
    /// `=` where this decoder does not take it, or the wrong number of them.
    Padding,
    /// A character outside the base64 alphabet at this (0-based, in characters) position.
    Character { position: usize, whitespace: bool },
    /// A last group of a single character, which encodes no whole byte.
    Length,
}

impl std::fmt::Display for Base64Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Base64Problem::MissingPadding => f.write_str("missing padding"),
            Base64Problem::Padding => f.write_str("padding in the wrong place"),
            Base64Problem::Character { position, whitespace: true } => {
                write!(f, "white space at character {position}")
            }
            Base64Problem::Character { position, whitespace: false } => {
                write!(f, "a character outside base64 at character {position}")
            }
            Base64Problem::Length => f.write_str("a length no base64 text has"),
        }
    }
}

/// Why an `auth` field is unreadable to a reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthProblem {
    #[error("\"auth\" is not valid base64 as {} decodes it: {problem}", .encoding.reader())]
    Base64 { encoding: AuthEncoding, problem: Base64Problem },
    #[error("\"auth\" does not decode to UTF-8 text (regauth cannot read it)")]
    NotUtf8 { encoding: AuthEncoding },
    #[error("\"auth\" does not decode to username:password (no \":\"), which {} refuses", .encoding.reader())]
    NoColon { encoding: AuthEncoding },
    #[error("\"auth\" decodes to an empty username, which {} refuses", .encoding.reader())]
    EmptyUsername { encoding: AuthEncoding },
}

impl AuthProblem {
    pub fn encoding(&self) -> AuthEncoding {
        match *self {
            AuthProblem::Base64 { encoding, .. }
            | AuthProblem::NotUtf8 { encoding }
            | AuthProblem::NoColon { encoding }
            | AuthProblem::EmptyUsername { encoding } => encoding,
        }
    }
}

/// What a reader makes of a non-empty `auth`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// username and password.
    Pair(String, Secret),
    /// containers/image only: no `:`, so no credential here and the search goes on.
    Nothing,
}

/// Decode `auth` as `encoding`'s program does. An empty field is the caller's business (every reader
/// treats it as absent).
pub fn decode(auth: &str, encoding: AuthEncoding) -> Result<Decoded, AuthProblem> {
    let mut text = decode_text(auth, encoding)?;
    let Some(colon) = text.find(':') else {
        zeroize::Zeroize::zeroize(&mut text);
        return match encoding {
            AuthEncoding::Containers => Ok(Decoded::Nothing),
            _ => Err(AuthProblem::NoColon { encoding }),
        };
    };
    if colon == 0 && encoding == AuthEncoding::Docker {
        zeroize::Zeroize::zeroize(&mut text);
        return Err(AuthProblem::EmptyUsername { encoding });
    }
    let password = &text[colon + 1..];
    let password = match encoding {
        AuthEncoding::Docker | AuthEncoding::Containers | AuthEncoding::Containerd => {
            password.trim_matches('\0')
        }
        AuthEncoding::Kubelet | AuthEncoding::Lenient => password,
    };
    let pair = Decoded::Pair(text[..colon].to_owned(), Secret::new(password.to_owned()));
    zeroize::Zeroize::zeroize(&mut text);
    Ok(pair)
}

/// Why `encoding`'s program cannot decode `auth`, if it cannot: [`decode`]'s error, without keeping what
/// it decodes (the audit asks this of every entry beside its lenient reading: decoded on the stack, then
/// zeroed, when it is short).
pub fn problem(auth: &str, encoding: AuthEncoding) -> Option<AuthProblem> {
    let mut stack = [0u8; 768];
    let decoded = match prepare(auth, encoding) {
        Err(problem) => return Some(problem),
        Ok((text, engine, raw)) if base64::decoded_len_estimate(text.len()) <= stack.len() => {
            match engine.decode_slice(text.as_bytes(), &mut stack) {
                Ok(n) => Some(n),
                Err(base64::DecodeSliceError::DecodeError(e)) => {
                    return Some(base64_problem(e, &text, raw, encoding))
                }
                Err(base64::DecodeSliceError::OutputSliceTooSmall) => None,
            }
        }
        Ok(_) => None,
    };
    let problem = match decoded {
        Some(n) => text_problem(&stack[..n], encoding),
        None => match decode_text(auth, encoding) {
            Ok(mut text) => {
                let problem = text_problem(text.as_bytes(), encoding);
                zeroize::Zeroize::zeroize(&mut text);
                problem
            }
            Err(problem) => Some(problem),
        },
    };
    zeroize::Zeroize::zeroize(&mut stack);
    problem
}

/// What a reader refuses in decoded text: not UTF-8, no `:`, an empty username (docker).
fn text_problem(bytes: &[u8], encoding: AuthEncoding) -> Option<AuthProblem> {
    match std::str::from_utf8(bytes).map(|text| text.find(':')) {
        Err(_) => Some(AuthProblem::NotUtf8 { encoding }),
        Ok(None) if encoding == AuthEncoding::Containers => None,
        Ok(None) => Some(AuthProblem::NoColon { encoding }),
        Ok(Some(0)) if encoding == AuthEncoding::Docker => Some(AuthProblem::EmptyUsername { encoding }),
        Ok(Some(_)) => None,
    }
}

/// The text the decoder reads (trimmed for `Lenient`, CR and LF dropped), its engine, and whether it is
/// the kubelet's padding-less one; or the character it cannot take.
fn prepare(
    auth: &str,
    encoding: AuthEncoding,
) -> Result<(std::borrow::Cow<'_, str>, &'static GeneralPurpose, bool), AuthProblem> {
    let auth = if encoding == AuthEncoding::Lenient { auth.trim() } else { auth };
    let raw = encoding == AuthEncoding::Kubelet && !auth.trim().ends_with('=');
    let line_ends =
        foreign_character(auth, raw).map_err(|problem| AuthProblem::Base64 { encoding, problem })?;
    // Go's decoders skip CR and LF wherever they are (a copy only when there are some: the audit of a
    // fleet machine decodes 100,000 fields).
    let text: std::borrow::Cow<str> = if line_ends {
        auth.chars().filter(|c| !matches!(c, '\r' | '\n')).collect::<String>().into()
    } else {
        auth.into()
    };
    let engine = match encoding {
        AuthEncoding::Lenient => &ANY_PADDING,
        _ if raw => &GO_RAW_STD,
        _ => &GO_STD,
    };
    Ok((text, engine, raw))
}

fn base64_problem(e: base64::DecodeError, text: &str, raw: bool, encoding: AuthEncoding) -> AuthProblem {
    let problem = match e {
        base64::DecodeError::InvalidLength(_) => Base64Problem::Length,
        base64::DecodeError::InvalidPadding if !raw && !text.contains('=') => Base64Problem::MissingPadding,
        _ => Base64Problem::Padding,
    };
    AuthProblem::Base64 { encoding, problem }
}

/// The base64 of `auth` decoded to text, as `encoding`'s program decodes it.
fn decode_text(auth: &str, encoding: AuthEncoding) -> Result<String, AuthProblem> {
    let (text, engine, raw) = prepare(auth, encoding)?;
    let bytes = engine.decode(text.as_bytes()).map_err(|e| base64_problem(e, &text, raw, encoding))?;
    String::from_utf8(bytes).map_err(|e| {
        let mut bytes = e.into_bytes();
        zeroize::Zeroize::zeroize(&mut bytes);
        AuthProblem::NotUtf8 { encoding }
    })
}

/// The first character the decoder cannot take at all (CR and LF are skipped; `=` is padding, except for
/// the kubelet's padding-less decoder, which has none); else whether there is a CR or LF to skip. A scan
/// of bytes: every character the decoder takes is ASCII, so the first byte it cannot take starts the
/// first character it cannot take.
fn foreign_character(auth: &str, raw: bool) -> Result<bool, Base64Problem> {
    let mut line_ends = false;
    for (i, b) in auth.bytes().enumerate() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' => {}
            b'\r' | b'\n' => line_ends = true,
            b'=' if !raw => {}
            b'=' => return Err(Base64Problem::Padding),
            _ => {
                let c = auth[i..].chars().next().unwrap_or_default();
                let position = auth[..i].chars().count();
                return Err(Base64Problem::Character { position, whitespace: c.is_whitespace() });
            }
        }
    }
    Ok(line_ends)
}

#[cfg(test)]
#[path = "auth_field_tests.rs"]
mod tests;
