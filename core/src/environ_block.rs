//! The process's environment block (`environ`), read where it is: no copy of any variable, so that a
//! program that looks up a few names or scans for a few prefixes pays little for a large environment.
//! Entries are split as std splits them (at the first `=` after the first byte; an entry without one is
//! skipped), and of a name given twice the last counts, as in [`super::Environ`]'s copy.
//!
//! Everything here reads the block unlocked: callers hold [`super::Environ::from_process_in_place`]'s
//! promise that the process does not change its environment.

use std::ffi::{c_char, CStr, OsStr};
use std::os::unix::ffi::OsStrExt;

extern "C" {
    static environ: *const *const c_char;
}

/// Each entry's start, in block order.
fn entries() -> impl Iterator<Item = *const u8> {
    // SAFETY: the block is a NULL-terminated array of NUL-terminated strings that nobody changes while
    // it is read (the promise above); a NULL `environ` (cleared with clearenv) is an empty block.
    let mut at = unsafe { environ };
    std::iter::from_fn(move || {
        if at.is_null() {
            return None;
        }
        // SAFETY: `at` points into the array, at most at its NULL end (not read past).
        let entry = unsafe { *at };
        if entry.is_null() {
            return None;
        }
        // SAFETY: not past the NULL that ends the array, which was not reached yet.
        at = unsafe { at.add(1) };
        Some(entry.cast::<u8>())
    })
}

/// The NUL-terminated string at `p`, for as long as the block stays as it is.
///
/// # Safety
/// `p` points into a string of the block, which is not changed while the slice lives.
unsafe fn text<'a>(p: *const u8) -> &'a [u8] {
    // SAFETY: per the caller.
    unsafe { CStr::from_ptr(p.cast::<c_char>()) }.to_bytes()
}

/// The value of `name`: the last entry of that name.
pub(super) fn get(name: &str) -> Option<&'static OsStr> {
    let name = name.as_bytes();
    // No variable has an empty name, nor a `=` after its first byte (std's split), nor a NUL: a NUL in
    // `name` would match the NUL that ends an entry, and the walk below would read past it.
    if name.is_empty() || name[1..].contains(&b'=') || name.contains(&0) {
        return None;
    }
    let mut found = None;
    for entry in entries() {
        // Compared byte by byte without measuring the entry: the NUL that ends it differs from every
        // byte of `name`, so no byte past it is read.
        // SAFETY: each byte read is at most the entry's NUL (see above).
        let same = name.iter().enumerate().all(|(i, &b)| unsafe { *entry.add(i) } == b)
            && unsafe { *entry.add(name.len()) } == b'=';
        if same {
            // SAFETY: the value starts after the `=`, inside the entry.
            found = Some(OsStr::from_bytes(unsafe { text(entry.add(name.len() + 1)) }));
        }
    }
    found
}

/// Every variable whose name `keep` takes, in block order (names may repeat). Only a taken variable's value
/// is measured: the others cost the walk through their names.
pub(super) fn scan(mut keep: impl FnMut(&OsStr) -> bool) -> Vec<(&'static OsStr, &'static OsStr)> {
    let mut taken = Vec::new();
    for entry in entries() {
        // std's split: at the first `=` after the first byte; an empty entry, or one without a `=`, is
        // skipped.
        // SAFETY: the entry's first byte (its NUL when empty).
        if unsafe { *entry } == 0 {
            continue;
        }
        let mut at = 1;
        // SAFETY: bytes up to the entry's NUL, which ends the walk.
        while !matches!(unsafe { *entry.add(at) }, 0 | b'=') {
            at += 1;
        }
        // SAFETY: `at` is at the entry's NUL or at its `=`.
        if unsafe { *entry.add(at) } == 0 {
            continue;
        }
        // SAFETY: the name is the `at` bytes before the `=`, inside the entry.
        let name = OsStr::from_bytes(unsafe { std::slice::from_raw_parts(entry, at) });
        if keep(name) {
            // SAFETY: the value starts after the `=`, inside the entry.
            taken.push((name, OsStr::from_bytes(unsafe { text(entry.add(at + 1)) })));
        }
    }
    taken
}
