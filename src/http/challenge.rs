//! `WWW-Authenticate` challenges (RFC 9110 §11.6.1) as registries send them.
//!
//! Registries put several challenges on one line, several lines in one response, upper-case schemes, commas
//! inside quoted scopes and `\"` escapes: see shared/reference/registry-auth.md. The parser never fails; what
//! it cannot read it skips.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Lower-cased: `bearer`, `basic`.
    pub scheme: String,
    /// Parameter names lower-cased; values unquoted and unescaped.
    pub params: BTreeMap<String, String>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    pub fn is_bearer(&self) -> bool {
        self.scheme == "bearer"
    }

    pub fn is_basic(&self) -> bool {
        self.scheme == "basic"
    }

    /// The space-joined resources of `scope`, each kept whole (names may contain `host:port/`).
    pub fn scopes(&self) -> Vec<String> {
        self.param("scope").map(|s| s.split_whitespace().map(str::to_owned).collect()).unwrap_or_default()
    }
}

/// Every challenge in every header line, in order.
pub fn parse_all<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<Challenge> {
    lines.into_iter().flat_map(parse).collect()
}

/// The challenges in one header line.
pub fn parse(line: &str) -> Vec<Challenge> {
    let mut lexer = Lexer { s: line.as_bytes(), i: 0 };
    let mut out: Vec<Challenge> = Vec::new();
    loop {
        lexer.skip_separators();
        let Some(token) = lexer.token() else {
            if lexer.at_end() {
                return out;
            }
            lexer.i += 1; // a stray character: skip it
            continue;
        };
        lexer.skip_spaces();
        if lexer.peek() == Some(b'=') && !out.is_empty() {
            // `name=value`: a parameter of the current challenge (token68 values are not used by registries).
            lexer.i += 1;
            lexer.skip_spaces();
            let value = lexer.value();
            out.last_mut().expect("checked non-empty").params.insert(token.to_ascii_lowercase(), value);
        } else {
            out.push(Challenge { scheme: token.to_ascii_lowercase(), params: BTreeMap::new() });
        }
    }
}

struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
}

impl Lexer<'_> {
    fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn skip_separators(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.i += 1;
        }
    }

    /// An RFC 9110 token (scheme or parameter name).
    fn token(&mut self) -> Option<String> {
        let start = self.i;
        while self.peek().is_some_and(is_tchar) {
            self.i += 1;
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    /// A quoted string (with `\` escapes) or a bare token up to the next comma or space.
    fn value(&mut self) -> String {
        if self.peek() != Some(b'"') {
            let start = self.i;
            while self.peek().is_some_and(|c| c != b',' && c != b' ' && c != b'\t') {
                self.i += 1;
            }
            return String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        }
        self.i += 1;
        let mut bytes = Vec::new();
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    if let Some(next) = self.peek() {
                        bytes.push(next);
                        self.i += 1;
                    }
                }
                _ => bytes.push(c),
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// One resource scope: `type[(class)]:name:actions`. The name may contain `host:port/`, so the type is
/// everything before the first colon and the actions everything after the last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub kind: String,
    pub name: String,
    pub actions: Vec<String>,
}

impl Scope {
    pub fn parse(text: &str) -> Option<Scope> {
        let (kind, rest) = text.split_once(':')?;
        let (name, actions) = rest.rsplit_once(':')?;
        let kind = kind.split('(').next().unwrap_or(kind).to_owned();
        if kind.is_empty() || name.is_empty() {
            return None;
        }
        let actions = actions.split(',').filter(|a| !a.is_empty()).map(str::to_owned).collect();
        Some(Scope { kind, name: name.to_owned(), actions })
    }

    pub fn repository(name: &str, actions: &[&str]) -> Scope {
        Scope {
            kind: "repository".into(),
            name: name.into(),
            actions: actions.iter().map(|a| a.to_string()).collect(),
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.kind, self.name, self.actions.join(","))
    }
}

#[cfg(test)]
#[path = "challenge_tests.rs"]
mod tests;
