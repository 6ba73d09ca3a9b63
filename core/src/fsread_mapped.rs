//! A large input (a cluster dump of 40 MiB and more) read into memory of its own, an anonymous mapping,
//! rather than the heap: dropping it gives the pages back to the system at once (`munmap`), where the
//! allocator would keep them for its next blocks and the process's peak memory would be the input's plus
//! everything made after it. Its pages are left out of core dumps: the input may hold secrets.

use std::io::{self, Read};

/// Bytes read whole into an anonymous mapping, unmapped on drop.
pub struct Mapped {
    ptr: *mut u8,
    len: usize,
    capacity: usize,
}

// SAFETY: `Mapped` owns its mapping alone, as a `Vec<u8>` owns its buffer.
unsafe impl Send for Mapped {}
// SAFETY: only `&[u8]` is lent out.
unsafe impl Sync for Mapped {}

impl Mapped {
    /// All of `reader` (`expected` bytes by `fstat`, a guess), or `None` when it has more than `limit`.
    pub fn read(mut reader: impl Read, expected: u64, limit: u64) -> io::Result<Option<Mapped>> {
        // One byte past what is expected: the read that finds the end then needs no growth.
        let first = expected.min(limit).saturating_add(1).max(4096);
        let mut mapped = Mapped::new(usize::try_from(first).map_err(io::Error::other)?)?;
        loop {
            if mapped.len == mapped.capacity {
                if mapped.len as u64 > limit {
                    return Ok(None);
                }
                let grown = (mapped.capacity as u64).saturating_mul(2).min(limit.saturating_add(1));
                mapped.grow(usize::try_from(grown).map_err(io::Error::other)?)?;
            }
            // SAFETY: `len..capacity` lies inside the mapping, which is readable and writable.
            let spare = unsafe {
                std::slice::from_raw_parts_mut(mapped.ptr.add(mapped.len), mapped.capacity - mapped.len)
            };
            match reader.read(spare) {
                Ok(0) => break,
                Ok(n) => mapped.len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok((mapped.len as u64 <= limit).then_some(mapped))
    }

    fn new(capacity: usize) -> io::Result<Mapped> {
        // SAFETY: a fresh private anonymous mapping, no address given; checked below.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                capacity,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let mapped = Mapped { ptr: ptr.cast(), len: 0, capacity };
        mapped.no_dump();
        Ok(mapped)
    }

    fn grow(&mut self, capacity: usize) -> io::Result<()> {
        // SAFETY: the mapping is ours, of `self.capacity` bytes; it may move, and nothing borrows it now.
        let ptr = unsafe { libc::mremap(self.ptr.cast(), self.capacity, capacity, libc::MREMAP_MAYMOVE) };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        self.ptr = ptr.cast();
        self.capacity = capacity;
        self.no_dump();
        Ok(())
    }

    fn no_dump(&self) {
        // SAFETY: advice on our own mapping; a kernel without MADV_DONTDUMP refuses it, which is harmless.
        unsafe { libc::madvise(self.ptr.cast(), self.capacity, libc::MADV_DONTDUMP) };
    }
}

impl std::ops::Deref for Mapped {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // SAFETY: the first `len` bytes of the mapping were written by `read`.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        // The pages leave the process (the kernel zeroes them before any other use), so the secrets in
        // them need no zeroing first.
        // SAFETY: the mapping is ours and nothing borrows it any more.
        unsafe { libc::munmap(self.ptr.cast(), self.capacity) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_whole_inputs_up_to_the_limit() {
        let text: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        // (length, what fstat said, limit): right, too small, too large, zero.
        for (len, expected, limit) in [
            (0, 0, 10),
            (1, 1, 10),
            (10, 10, 10),
            (20_000, 20_000, 1 << 20),
            (20_000, 0, 1 << 20),
            (20_000, 100, 20_000),
            (5_000, 20_000, 1 << 20),
            (4096, 4095, 1 << 20),
            (8192, 4096, 8192),
        ] {
            let got = Mapped::read(&text[..len], expected, limit).unwrap();
            assert_eq!(got.as_deref(), Some(&text[..len]), "{len} bytes, {expected} expected");
        }
        for (len, expected, limit) in [(11, 11, 10), (11, 0, 10), (20_000, 100, 19_999), (8193, 8193, 8192)] {
            assert!(
                Mapped::read(&text[..len], expected, limit).unwrap().is_none(),
                "{len} bytes, limit {limit}"
            );
        }
    }

    #[test]
    fn a_read_error_is_returned() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("broken"))
            }
        }
        assert_eq!(Mapped::read(Failing, 10, 100).err().map(|e| e.to_string()).as_deref(), Some("broken"));
    }
}
