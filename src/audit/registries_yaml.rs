//! k3s's and rke2's `registries.yaml` (`/etc/rancher/k3s/registries.yaml`, `/etc/rancher/rke2/...`):
//! `configs."HOST".auth` with `username`, `password`, `auth` (base64 `user:password`) and
//! `identity_token`, which k3s writes into containerd's CRI configuration, so an `auth` is decoded as
//! containerd decodes it. Read for `audit::sources` as `auths`-style entries.
//!
//! The file is untrusted input and YAML can make a small file large: it is read through `fsread` with a
//! cap, parsed event by event (yaml-rust2's parser, which keeps its own stack on the heap), and built
//! into a tree of at most [`MAX_NODES`] nodes and [`MAX_BYTES`] of text (an alias counts for everything
//! it copies) and [`MAX_DEPTH`] levels; past any of them the file is refused. Only the first document counts, as for Go's `yaml.Unmarshal`.

use super::tool_configs::ReadEntry;
use regauth_core::config::auth_field::{decode, Decoded};
use regauth_core::config::{AuthEncoding, AuthEntry};
use regauth_core::fsread;
use regauth_core::secret::Secret;
use std::collections::HashMap;
use std::path::Path;
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

/// A registries.yaml is a few dozen lines; anything past this is not one.
pub const LIMIT: u64 = 1024 * 1024;
/// Nodes in the document, aliases expanded.
pub const MAX_NODES: usize = 100_000;
/// Bytes of scalar text in the document, aliases expanded.
pub const MAX_BYTES: usize = 4 * 1024 * 1024;
/// Nesting of sequences and mappings.
pub const MAX_DEPTH: usize = 64;

/// A YAML node: a scalar (with whether it is a plain `null`/`~`/empty), a sequence or a mapping in
/// document order.
#[derive(Debug, Clone)]
enum Node {
    Scalar { text: String, null: bool },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        let Node::Map(entries) = self else { return None };
        // A key given twice: Go's yaml.v3 refuses the file, so which one wins does not matter here.
        entries.iter().find(|(k, _)| k.text() == Some(key)).map(|(_, v)| v)
    }

    fn text(&self) -> Option<&str> {
        match self {
            Node::Scalar { text, null: false } => Some(text),
            _ => None,
        }
    }
}

/// Why a registries.yaml is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Yaml { line: usize, column: usize, what: String },
    TooManyNodes,
    TooDeep,
    UnknownAlias,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Yaml { line, column, what } => {
                write!(f, "not valid YAML at line {line}, column {column}: {what}")
            }
            Problem::TooManyNodes => write!(
                f,
                "more than {MAX_NODES} YAML nodes or {MAX_BYTES} bytes of text (aliases expanded): not a \
                 registries.yaml"
            ),
            Problem::TooDeep => write!(f, "nested more than {MAX_DEPTH} levels: not a registries.yaml"),
            Problem::UnknownAlias => f.write_str("an alias to an anchor that is not defined"),
        }
    }
}

enum Frame {
    Seq(Vec<Node>, usize),
    /// Entries, a key waiting for its value, the anchor.
    Map(Vec<(Node, Node)>, Option<Node>, usize),
}

/// What the tree holds: nodes and bytes of text.
#[derive(Default)]
struct Budget {
    nodes: usize,
    bytes: usize,
}

impl Budget {
    fn spend(&mut self, nodes: usize, bytes: usize) -> Result<(), Problem> {
        self.nodes = self.nodes.saturating_add(nodes);
        self.bytes = self.bytes.saturating_add(bytes);
        if self.nodes > MAX_NODES || self.bytes > MAX_BYTES {
            return Err(Problem::TooManyNodes);
        }
        Ok(())
    }
}

/// (nodes, bytes of text) in `node`; its depth is at most [`MAX_DEPTH`], so the recursion is bounded.
fn size(node: &Node) -> (usize, usize) {
    match node {
        Node::Scalar { text, .. } => (1, text.len()),
        Node::Seq(items) => items.iter().map(size).fold((1, 0), |(n, b), (m, c)| (n + m, b + c)),
        Node::Map(entries) => entries.iter().fold((1, 0), |(n, b), (k, v)| {
            let ((kn, kb), (vn, vb)) = (size(k), size(v));
            (n + kn + vn, b + kb + vb)
        }),
    }
}

/// The first document of `text` as a tree, within the limits.
fn document(text: &str) -> Result<Option<Node>, Problem> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut budget = Budget::default();
    loop {
        let (event, mark) = parser.next_token().map_err(|e| Problem::Yaml {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            what: regauth_core::sanitize::one_line(e.info()),
        })?;
        let (node, anchor) = match event {
            Event::StreamEnd | Event::DocumentEnd if stack.is_empty() => return Ok(None),
            Event::Nothing | Event::StreamStart | Event::DocumentStart => continue,
            Event::StreamEnd | Event::DocumentEnd => {
                return Err(Problem::Yaml {
                    line: mark.line(),
                    column: mark.col() + 1,
                    what: "the document ends inside a collection".into(),
                })
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(Problem::TooDeep);
                }
                budget.spend(1, 0)?;
                stack.push(match event {
                    Event::SequenceStart(..) => Frame::Seq(Vec::new(), anchor),
                    _ => Frame::Map(Vec::new(), None, anchor),
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq(items, anchor)) => (Node::Seq(items), anchor),
                Some(Frame::Map(entries, _, anchor)) => (Node::Map(entries), anchor),
                None => continue,
            },
            Event::Scalar(text, style, anchor, _) => {
                budget.spend(1, text.len())?;
                let plain = style == TScalarStyle::Plain;
                let null = plain && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL");
                (Node::Scalar { text, null }, anchor)
            }
            Event::Alias(id) => {
                let anchored = anchors.get(&id).ok_or(Problem::UnknownAlias)?;
                // Counted before the copy is made, so a copy never takes the tree past the budget.
                let (nodes, bytes) = size(anchored);
                budget.spend(nodes, bytes)?;
                (anchored.clone(), 0)
            }
        };
        if anchor > 0 {
            // The anchor keeps a copy of its own: counted like one.
            let (nodes, bytes) = size(&node);
            budget.spend(nodes, bytes)?;
            anchors.insert(anchor, node.clone());
        }
        match stack.last_mut() {
            None => return Ok(Some(node)),
            Some(Frame::Seq(items, _)) => items.push(node),
            Some(Frame::Map(entries, key, _)) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
    }
}

/// The `configs.*.auth` entries of a registries.yaml text, each with why containerd cannot decode its
/// `auth`, if it cannot.
pub fn parse(text: &str) -> Result<Vec<ReadEntry>, Problem> {
    let Some(root) = document(text)? else { return Ok(Vec::new()) };
    let mut entries = Vec::new();
    let Some(Node::Map(configs)) = root.get("configs") else { return Ok(entries) };
    for (host, config) in configs {
        let (Some(host), Some(auth)) = (host.text(), config.get("auth")) else { continue };
        let field = |name: &str| auth.get(name).and_then(Node::text).filter(|s| !s.is_empty());
        let mut entry = AuthEntry {
            key: host.to_owned(),
            username: field("username").map(str::to_owned),
            password: field("password").map(Secret::new),
            identity_token: field("identity_token").map(Secret::new),
            registry_token: None,
            problem: None,
        };
        let mut unreadable = None;
        if let Some(encoded) = field("auth") {
            match decode(encoded, AuthEncoding::Lenient) {
                Ok(Decoded::Pair(user, password)) => {
                    (entry.username, entry.password) = (Some(user), Some(password))
                }
                Ok(Decoded::Nothing) => {}
                Err(problem) => entry.problem = Some(problem),
            }
            unreadable = decode(encoded, AuthEncoding::Containerd).err();
        }
        entries.push((entry, unreadable));
    }
    Ok(entries)
}

/// A registries.yaml read through `fsread`; `Ok(None)` when it is missing.
pub(super) fn entries(path: &Path) -> Result<Option<Vec<ReadEntry>>, String> {
    let contents = match fsread::read_regular(path, LIMIT) {
        Ok(contents) => contents,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let text =
        String::from_utf8(contents.bytes).map_err(|_| format!("{}: not UTF-8 text", path.display()))?;
    parse(&text).map(Some).map_err(|problem| format!("{}: {problem}", path.display()))
}

#[cfg(test)]
#[path = "registries_yaml_tests.rs"]
mod tests;
