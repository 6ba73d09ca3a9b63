//! The report's most numerous objects (credentials, findings: 100,000 of each) written straight into
//! bytes, as serde_json's pretty printer writes them at depth 2, byte for byte: keys are written as they
//! are (ASCII names), a string that needs no escape is copied whole (serde_json looks at it byte by byte,
//! most of the JSON writer's time), and one that does is escaped by serde_json itself. A test holds each
//! writer to the derived `Serialize` of the same value.

use super::merge::Credential;
use super::Stored;

/// Whether serde_json escapes something in `text`: a control character, `"` or `\`. Eight bytes at a
/// time (the classic "has a byte less than n" / "has a zero byte" word tricks, exact as a yes or no).
fn needs_escape(text: &str) -> bool {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = ONES * 0x80;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH != 0;
    let mut words = text.as_bytes().chunks_exact(8);
    for word in &mut words {
        let x = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        if x.wrapping_sub(ONES * 0x20) & !x & HIGH != 0
            || has_zero(x ^ (ONES * 0x22))
            || has_zero(x ^ (ONES * 0x5c))
        {
            return true;
        }
    }
    words.remainder().iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// `text` as a JSON string.
#[inline]
pub fn string(buf: &mut Vec<u8>, text: &str) {
    if needs_escape(text) {
        serde_json::to_writer(&mut *buf, text).expect("writing to memory does not fail");
    } else {
        buf.push(b'"');
        buf.extend_from_slice(text.as_bytes());
        buf.push(b'"');
    }
}

/// `n` in decimal.
fn unsigned(buf: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[at..]);
}

/// An object's fields, one a line at depth 3 (the object an element of a top-level array field).
pub struct Fields<'b> {
    buf: &'b mut Vec<u8>,
    first: bool,
}

impl<'b> Fields<'b> {
    /// `{`, at depth 2.
    #[inline]
    pub fn begin(buf: &'b mut Vec<u8>) -> Fields<'b> {
        buf.push(b'{');
        Fields { buf, first: true }
    }

    #[inline]
    fn key(&mut self, key: &str) -> &mut Vec<u8> {
        debug_assert!(!needs_escape(key) && key.is_ascii());
        self.buf.extend_from_slice(if self.first { b"\n      \"" } else { b",\n      \"" });
        self.first = false;
        self.buf.extend_from_slice(key.as_bytes());
        self.buf.extend_from_slice(b"\": ");
        self.buf
    }

    #[inline]
    pub fn str(&mut self, key: &str, value: &str) {
        string(self.key(key), value);
    }

    #[inline]
    pub fn opt_str(&mut self, key: &str, value: Option<&str>) {
        match value {
            Some(value) => self.str(key, value),
            None => self.key(key).extend_from_slice(b"null"),
        }
    }

    #[inline]
    pub fn uint(&mut self, key: &str, value: u64) {
        unsigned(self.key(key), value);
    }

    #[inline]
    pub fn opt_int(&mut self, key: &str, value: Option<i64>) {
        let buf = self.key(key);
        match value {
            None => buf.extend_from_slice(b"null"),
            Some(n) if n < 0 => {
                buf.push(b'-');
                unsigned(buf, n.unsigned_abs());
            }
            Some(n) => unsigned(buf, n as u64),
        }
    }

    /// `}`, on a line of its own at depth 2 when anything was written in it.
    #[inline]
    pub fn end(self) {
        if !self.first {
            self.buf.extend_from_slice(b"\n    ");
        }
        self.buf.push(b'}');
    }
}

/// A credential of the audit's report (`Stored`'s serialised fields).
pub fn stored(buf: &mut Vec<u8>, c: &Stored) {
    let mut o = Fields::begin(buf);
    o.str("location", &c.location);
    o.str("place", c.place.name());
    o.str("registry", &c.registry);
    o.opt_str("username", c.username.as_deref());
    o.str("storage", c.storage.name());
    o.opt_str("kind", c.kind.map(|k| k.name()));
    o.opt_int("expiresAt", c.expires_at);
    if let Some(fingerprint) = &c.keyed_fingerprint {
        o.str("fingerprint", fingerprint);
    }
    o.end();
}

/// A credential of the merged report.
pub fn merged_credential(buf: &mut Vec<u8>, c: &Credential) {
    let mut o = Fields::begin(buf);
    o.str("host", &c.host);
    o.str("location", &c.location);
    o.str("registry", &c.registry);
    o.opt_str("username", c.username.as_deref());
    o.str("storage", &c.storage);
    if let Some(place) = &c.place {
        o.str("place", place);
    }
    o.opt_str("kind", c.kind.as_deref());
    o.opt_int("expiresAt", c.expires_at);
    if let Some(fingerprint) = &c.fingerprint {
        o.str("fingerprint", fingerprint);
    }
    o.end();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::sources::{PlaceKind, Storage};
    use crate::audit::token_kind::TokenKind;

    /// What serde_json's pretty printer writes for `value` as an element of a top-level array field.
    fn serde_at_depth_2(value: &impl serde::Serialize) -> String {
        let text = serde_json::to_string_pretty(&serde_json::json!({ "a": [value] })).unwrap();
        let start = text.find("    {").unwrap() + 4;
        let end = text.rfind("\n  ]").unwrap();
        text[start..end].to_owned()
    }

    #[test]
    fn strings_and_numbers_as_serde_json_writes_them() {
        for text in
            ["", "plain", "q\"uote", "back\\slash", "new\nline", "\u{1}", "é ✓ \u{7f}", &"x".repeat(70)]
        {
            let mut buf = Vec::new();
            string(&mut buf, text);
            assert_eq!(String::from_utf8(buf).unwrap(), serde_json::to_string(text).unwrap());
        }
        for n in [Some(0), Some(9), Some(10), Some(-1), Some(i64::MIN), Some(i64::MAX), None] {
            let mut buf = Vec::new();
            let mut o = Fields::begin(&mut buf);
            o.opt_int("n", n);
            o.uint("u", n.map_or(0, |n| n.unsigned_abs()));
            o.end();
            let want = serde_json::json!({ "n": n, "u": n.map_or(0, |n| n.unsigned_abs()) });
            assert_eq!(String::from_utf8(buf).unwrap(), serde_at_depth_2(&want), "{n:?}");
        }
        let mut buf = Vec::new();
        Fields::begin(&mut buf).end();
        assert_eq!(buf, b"{}");
    }

    #[test]
    fn credentials_as_their_derived_serialize_writes_them() {
        let mut full =
            Stored::new(PlaceKind::DockerConfig, "/h/\"x\"/config.json", "r.io", Storage::Plaintext);
        full.username = Some("u\n".into());
        full.kind = Some(TokenKind::GithubClassicToken);
        full.expires_at = Some(-5);
        full.keyed_fingerprint = Some("hmac-sha256:ab".into());
        let bare = Stored::new(PlaceKind::Helper, "docker-credential-x", "", Storage::Helper);
        for c in [&full, &bare] {
            let mut buf = Vec::new();
            stored(&mut buf, c);
            assert_eq!(String::from_utf8(buf).unwrap(), serde_at_depth_2(c));
        }
        let full = Credential {
            host: "h\t".into(),
            location: "/c".into(),
            registry: "r.io".into(),
            username: Some("u".into()),
            storage: "plaintext".into(),
            place: Some("docker-config".into()),
            kind: Some("password".into()),
            expires_at: Some(1_700_000_000),
            fingerprint: Some("hmac-sha256:ab".into()),
        };
        let bare = Credential {
            username: None,
            place: None,
            kind: None,
            expires_at: None,
            fingerprint: None,
            ..full.clone()
        };
        for c in [&full, &bare] {
            let mut buf = Vec::new();
            merged_credential(&mut buf, c);
            assert_eq!(String::from_utf8(buf).unwrap(), serde_at_depth_2(c));
        }
    }
}
