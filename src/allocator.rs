//! regauth-cli's global allocator: mimalloc for `audit`, glibc's malloc for everything else, chosen once
//! from the command line before the first allocation.
//!
//! An audit of 100,000 credentials allocates about a million blocks on two threads; glibc's per-thread
//! arenas spent a third of such a run in page faults and arena growth, and mimalloc takes 12-50 % off the
//! audits' wall time (bench/README.md, "Audits"). A short command pays for mimalloc instead: a `diagnose`
//! took ~1 ms (8 %) more on it, its threads each setting up heaps and pages. So only an audit gets it.
//!
//! Sound because the choice is made exactly once: [`Chosen::use_mimalloc`] takes effect only while nothing
//! has been allocated, and the first allocation settles the choice for the rest of the process, so every
//! block is freed by the allocator that made it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::{c_char, c_int, CStr};
use std::sync::atomic::{AtomicU8, Ordering};

const UNDECIDED: u8 = 0;
const SYSTEM: u8 = 1;
const MIMALLOC: u8 = 2;

/// glibc's malloc or mimalloc, whichever was chosen before the first allocation.
pub struct Chosen {
    state: AtomicU8,
}

impl Chosen {
    /// Undecided: glibc's malloc unless [`Chosen::use_mimalloc`] comes first.
    pub const fn new() -> Chosen {
        Chosen { state: AtomicU8::new(UNDECIDED) }
    }

    /// mimalloc from now on, when nothing has been allocated yet; `false` (and no change) otherwise.
    pub fn use_mimalloc(&self) -> bool {
        self.state.compare_exchange(UNDECIDED, MIMALLOC, Ordering::Relaxed, Ordering::Relaxed).is_ok()
    }

    /// mimalloc when the command line `argv` (C's, `argc` entries) names the `audit` command.
    ///
    /// # Safety
    /// `argv` holds `argc` pointers to NUL-terminated strings, as the C runtime hands them to `main`.
    pub unsafe fn choose_for(&self, argc: c_int, argv: *const *const c_char) {
        let count = usize::try_from(argc).unwrap_or(0);
        // SAFETY: the caller's contract; each entry is a C string that outlives this call.
        let names_audit = (1..count).any(|i| unsafe { is_audit(CStr::from_ptr(*argv.add(i))) });
        if names_audit {
            self.use_mimalloc();
        }
    }

    fn decided(&self) -> u8 {
        match self.state.load(Ordering::Relaxed) {
            UNDECIDED => {
                match self.state.compare_exchange(UNDECIDED, SYSTEM, Ordering::Relaxed, Ordering::Relaxed) {
                    Ok(_) => SYSTEM,
                    Err(now) => now,
                }
            }
            now => now,
        }
    }
}

impl Default for Chosen {
    fn default() -> Chosen {
        Chosen::new()
    }
}

/// An argument that makes this run an audit. Any argument equal to `audit` counts, wherever it stands (an
/// image named `audit` too): a wrong guess only changes the allocator, never what the command does.
pub fn is_audit(arg: &CStr) -> bool {
    arg.to_bytes() == b"audit"
}

// SAFETY: each call goes to the one allocator chosen for the whole process (see the module), which upholds
// GlobalAlloc's contract itself.
unsafe impl GlobalAlloc for Chosen {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if self.decided() == MIMALLOC {
            unsafe { mimalloc::MiMalloc.alloc(layout) }
        } else {
            unsafe { System.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if self.decided() == MIMALLOC {
            unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
        } else {
            unsafe { System.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if self.decided() == MIMALLOC {
            unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
        } else {
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if self.decided() == MIMALLOC {
            unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
        } else {
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }
}

/// mimalloc's number for its purge delay (`mi_option_purge_delay` in mimalloc.h, v3), which the Rust
/// binding does not name; a test pins the number to the option's environment variable.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Have mimalloc hand freed pages back to the system at once rather than after its purge delay (a second
/// in v3, longer than a whole audit): the kube audit's parse buffers are otherwise still resident when its
/// judging peaks, ~15 % of its peak memory (bench/README.md, "Kubernetes"). Harmless under glibc's malloc.
pub fn purge_freed_at_once() {
    // SAFETY: sets one of mimalloc's options, which it allows at any time and from any thread.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Set by [`the_purge_delay_is_the_option_its_variable_sets`] for the copy of this test binary it runs.
    const PROBE: &str = "MIMALLOC_PURGE_DELAY";

    #[test]
    fn the_purge_delay_is_the_option_its_variable_sets() {
        // SAFETY: reads one of mimalloc's options.
        let now = || unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) };
        if let Some(value) = std::env::var_os(PROBE) {
            // The copy: mimalloc read the variable into option number PURGE_DELAY.
            assert_eq!(now().to_string(), value.to_string_lossy(), "{PROBE} is not option {PURGE_DELAY}");
            return;
        }
        let copy = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "allocator::tests::the_purge_delay_is_the_option_its_variable_sets"])
            .args(["--nocapture", "--test-threads", "1"])
            .env(PROBE, "4321")
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&copy.stdout);
        assert!(
            copy.status.success() && said.contains("1 passed"),
            "{said}{}",
            String::from_utf8_lossy(&copy.stderr)
        );
        purge_freed_at_once();
        assert_eq!(now(), 0);
    }

    fn round_trip(chosen: &Chosen) {
        let layout = Layout::from_size_align(100, 16).unwrap();
        // SAFETY: a non-zero layout; the block is grown, then freed with its current layout.
        unsafe {
            let p = chosen.alloc(layout);
            assert!(!p.is_null());
            p.write_bytes(7, 100);
            let q = chosen.realloc(p, layout, 5000);
            assert_eq!(*q.add(99), 7);
            chosen.dealloc(q, Layout::from_size_align(5000, 16).unwrap());
        }
    }

    #[test]
    fn the_first_allocation_settles_the_choice() {
        let chosen = Chosen::new();
        round_trip(&chosen);
        assert!(!chosen.use_mimalloc(), "blocks from glibc's malloc would reach mimalloc's free");
        assert_eq!(chosen.decided(), SYSTEM);

        let chosen = Chosen::new();
        assert!(chosen.use_mimalloc());
        round_trip(&chosen);
        assert_eq!(chosen.decided(), MIMALLOC);
    }

    #[test]
    fn audit_anywhere_on_the_command_line_chooses_mimalloc() {
        let table: &[(&[&CStr], u8)] = &[
            (&[c"regauth", c"audit", c"--json"], MIMALLOC),
            (&[c"regauth", c"--color", c"never", c"audit"], MIMALLOC),
            (&[c"regauth", c"audit", c"merge", c"r.json"], MIMALLOC),
            (&[c"regauth", c"diagnose", c"alpine"], SYSTEM),
            (&[c"regauth", c"token", c"audits/app"], SYSTEM),
            (&[c"regauth", c"AUDIT"], SYSTEM),
            (&[c"audit"], SYSTEM), // the program's own name is not an argument
            (&[], SYSTEM),
        ];
        for (args, want) in table {
            let chosen = Chosen::new();
            let argv: Vec<*const c_char> = args.iter().map(|a| a.as_ptr()).collect();
            // SAFETY: `args.len()` pointers to C string literals.
            unsafe { chosen.choose_for(args.len() as c_int, argv.as_ptr()) };
            assert_eq!(chosen.decided(), *want, "{args:?}");
        }
    }
}
