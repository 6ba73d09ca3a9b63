//! The file storage: `<cache dir>/tokens.json`, 0600, `{"version": 1, "entries": {"<id>": entry}}`.
//!
//! Read through `fsread` (no link, regular, capped); a file that is not ours, that others may read or
//! write, or that does not parse counts as empty and is replaced by the next write. Writes take
//! `tokens.json.lock`, re-read, drop expired entries, and go through core's atomic write.

use super::{is_token, now_unix, trusted_file, Entry, WRITE_WAIT};
use crate::fsread;
use crate::lock;
use crate::safepath::{Place, Walk};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The most the cache file may hold.
const FILE_LIMIT: u64 = 1 << 20;
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    version: u32,
    entries: BTreeMap<String, serde_json::Value>,
}

pub(super) struct FileStore {
    path: PathBuf,
}

impl FileStore {
    pub(super) fn new(dir: &Path) -> FileStore {
        FileStore { path: dir.join("tokens.json") }
    }

    /// Every entry that parses, with its id; what was discarded is noted.
    pub(super) fn all(&self, note: &mut dyn FnMut(String)) -> Vec<(String, Entry)> {
        self.parse(fsread::read_regular(&self.path, FILE_LIMIT), note)
    }

    /// The entries of what a read of the file gave.
    fn parse(
        &self,
        read: Result<fsread::Contents, fsread::FileError>,
        note: &mut dyn FnMut(String),
    ) -> Vec<(String, Entry)> {
        let contents = match read {
            Ok(c) => c,
            Err(e) if e.is_not_found() => return Vec::new(),
            Err(e) => {
                note(format!("discarded the token cache file: {e}"));
                return Vec::new();
            }
        };
        if !trusted_file(&contents.meta) {
            note(format!(
                "discarded the token cache file {}: it is not this user's alone (owner or mode)",
                self.path.display()
            ));
            return Vec::new();
        }
        let document: Document = match serde_json::from_slice(&contents.bytes) {
            Ok(d) => d,
            Err(_) => {
                note(format!("discarded the token cache file {}: it is damaged", self.path.display()));
                return Vec::new();
            }
        };
        if document.version != VERSION {
            note(format!("discarded the token cache file {}: unknown version", self.path.display()));
            return Vec::new();
        }
        let mut entries = Vec::new();
        for (id, value) in document.entries {
            match serde_json::from_value::<Entry>(value) {
                Ok(entry) => entries.push((id, entry)),
                Err(_) => note("discarded a damaged entry of the token cache file".into()),
            }
        }
        entries
    }

    pub(super) fn get(&self, id: &str, note: &mut dyn FnMut(String)) -> Option<Entry> {
        self.all(note).into_iter().find(|(i, _)| i == id).map(|(_, e)| e)
    }

    pub(super) fn put(&self, id: &str, entry: &Entry, now: i64) -> Result<(), String> {
        self.rewrite(|entries| {
            entries.retain(|(i, e)| i != id && e.expires_at > now);
            entries.push((id.to_owned(), entry.clone()));
            0
        })
        .map(|_| ())
    }

    /// Remove the entries `matches` picks; returns how many tokens went.
    pub(super) fn remove(&self, matches: &dyn Fn(&str, &Entry) -> bool) -> Result<usize, String> {
        if !self.path.exists() {
            return Ok(0);
        }
        self.rewrite(|entries| {
            let before = entries.iter().filter(|(_, e)| is_token(e)).count();
            entries.retain(|(i, e)| !matches(i, e));
            before - entries.iter().filter(|(_, e)| is_token(e)).count()
        })
    }

    /// Under the lock: read, `edit`, drop expired entries, write atomically.
    fn rewrite(&self, edit: impl FnOnce(&mut Vec<(String, Entry)>) -> usize) -> Result<usize, String> {
        // Lock, read and write all happen in the directory the walk reached, whatever its path does meanwhile.
        let place =
            Place::walk(&self.path, Walk::entry(fsread::effective_uid())).map_err(|e| e.to_string())?;
        let guard = lock::acquire_beside(&place, WRITE_WAIT).map_err(|e| e.to_string())?;
        crate::config::write::remove_stale_temp_files(&guard, &place);
        let mut entries = self.parse(place.read_regular(FILE_LIMIT), &mut |_| {});
        let result = edit(&mut entries);
        let now = now_unix();
        entries.retain(|(_, e)| e.expires_at > now);
        let mut document = Document { version: VERSION, entries: BTreeMap::new() };
        for (id, entry) in entries {
            let value = serde_json::to_value(&entry).map_err(|e| e.to_string())?;
            document.entries.insert(id, value);
        }
        let bytes = zeroize::Zeroizing::new(serde_json::to_vec(&document).map_err(|e| e.to_string())?);
        // Tokens in `document` are overwritten as its values drop; the serialised copy is zeroed too.
        crate::config::write::write_file_atomically(&guard, &place, &bytes, None)
            .map_err(|e| format!("cannot write {}: {e}", self.path.display()))?;
        Ok(result)
    }
}
