//! The audit's JSON written as serde_json's pretty printer writes it, byte for byte, with its long arrays
//! (100,000 credentials and findings) serialised on every core (`audit::parallel`), each worker writing
//! its share of the elements at their depth, joined in order. [`Object`] writes one object's fields;
//! [`Pretty`] is serde_json's `PrettyFormatter` (two spaces) starting at a given depth.

use serde::Serialize;
use serde_json::ser::Formatter;
use std::io::{self, Write};

/// serde_json's `PrettyFormatter` with two spaces, starting `depth` levels in.
pub struct Pretty {
    depth: usize,
    has_value: bool,
}

fn indent<W: ?Sized + Write>(w: &mut W, depth: usize) -> io::Result<()> {
    for _ in 0..depth {
        w.write_all(b"  ")?;
    }
    Ok(())
}

impl Pretty {
    pub fn at(depth: usize) -> Pretty {
        Pretty { depth, has_value: false }
    }

    /// `[` or `{`: one level deeper, nothing in it yet.
    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    /// `]` or `}`: on a line of its own when anything was written in it.
    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            w.write_all(b"\n")?;
            indent(w, self.depth)?;
        }
        w.write_all(bracket)
    }
}

impl Formatter for Pretty {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        indent(w, self.depth)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        indent(w, self.depth)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// A value at `depth`, as serde_json's pretty printer writes it there.
fn value_at<W: Write>(w: &mut W, depth: usize, value: &(impl Serialize + ?Sized)) -> io::Result<()> {
    value
        .serialize(&mut serde_json::Serializer::with_formatter(w, Pretty::at(depth)))
        .map_err(io::Error::from)
}

/// The top-level object of a report, field by field.
pub struct Object<W: Write> {
    out: W,
    first: bool,
}

impl<W: Write> Object<W> {
    pub fn begin(mut out: W) -> io::Result<Object<W>> {
        out.write_all(b"{")?;
        Ok(Object { out, first: true })
    }

    fn key(&mut self, key: &str) -> io::Result<()> {
        self.out.write_all(if self.first { b"\n" } else { b",\n" })?;
        self.first = false;
        indent(&mut self.out, 1)?;
        value_at(&mut self.out, 1, key)?;
        self.out.write_all(b": ")
    }

    pub fn field(&mut self, key: &str, value: &(impl Serialize + ?Sized)) -> io::Result<()> {
        self.key(key)?;
        value_at(&mut self.out, 1, value)
    }

    /// An array field, its elements serialised on every core.
    pub fn array<T: Serialize + Sync>(&mut self, key: &str, items: &[T]) -> io::Result<()> {
        self.array_with(key, items, |buf, item| value_at(buf, 2, item))
    }

    /// An array field, each element written by `write` (at depth 2, as serde_json writes it there), on
    /// every core.
    pub fn array_with<T: Sync>(
        &mut self,
        key: &str,
        items: &[T],
        write: impl Fn(&mut Vec<u8>, &T) -> io::Result<()> + Sync,
    ) -> io::Result<()> {
        self.key(key)?;
        if items.is_empty() {
            return self.out.write_all(b"[]");
        }
        self.out.write_all(b"[")?;
        // Chunks serialised on every core into a few reused buffers and written in order as they come: the
        // writing overlaps the serialising, and a few chunks' buffers (~0.5 MB each), not the whole array's
        // (~40 MB), are in memory at once.
        const CHUNK: usize = 1024;
        let chunks: Vec<&[T]> = items.chunks(CHUNK).collect();
        let fill = |buf: &mut Vec<u8>, n: usize| -> io::Result<()> {
            for (i, item) in chunks[n].iter().enumerate() {
                buf.write_all(if n == 0 && i == 0 { b"\n" } else { b",\n" })?;
                indent(buf, 2)?;
                write(buf, item)?;
            }
            Ok(())
        };
        let out = &mut self.out;
        super::parallel::stream_in_order(chunks.len(), CHUNK * 512, fill, |buf| out.write_all(buf))?;
        self.out.write_all(b"\n")?;
        indent(&mut self.out, 1)?;
        self.out.write_all(b"]")
    }

    pub fn end(mut self) -> io::Result<W> {
        if !self.first {
            self.out.write_all(b"\n")?;
        }
        self.out.write_all(b"}")?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same bytes as serde_json's own pretty printer, arrays long and short, empty or not.
    #[test]
    fn writes_what_serde_json_writes() {
        #[derive(Serialize)]
        struct Item {
            a: u32,
            b: Vec<u32>,
            c: std::collections::BTreeMap<String, String>,
            d: Option<String>,
        }
        let item = |i: u32| Item {
            a: i,
            b: (0..i % 3).collect(),
            c: (0..i % 2).map(|k| (format!("k{k}"), "v\"\n".into())).collect(),
            d: i.is_multiple_of(2).then(|| "é".into()),
        };
        for n in [0, 1, 2, 513, 4097, 16_385, 20_000] {
            let items: Vec<Item> = (0..n).map(item).collect();
            let mut ours = Object::begin(Vec::new()).unwrap();
            ours.field("x", "y").unwrap();
            ours.array("items", &items).unwrap();
            ours.field("empty", &Vec::<u32>::new()).unwrap();
            ours.field("obj", &std::collections::BTreeMap::from([("k", 1)])).unwrap();
            let ours = ours.end().unwrap();
            let mut theirs = serde_json::Map::new();
            theirs.insert("x".into(), "y".into());
            theirs.insert("items".into(), serde_json::to_value(&items).unwrap());
            theirs.insert("empty".into(), serde_json::json!([]));
            theirs.insert("obj".into(), serde_json::json!({"k": 1}));
            let theirs = serde_json::to_vec_pretty(&theirs).unwrap();
            assert_eq!(String::from_utf8(ours).unwrap(), String::from_utf8(theirs).unwrap(), "{n} items");
        }
        let empty = Object::begin(Vec::new()).unwrap().end().unwrap();
        assert_eq!(empty, serde_json::to_vec_pretty(&serde_json::Map::new()).unwrap());
    }
}
