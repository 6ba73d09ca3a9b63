//! How every regauth program starts: [`main!`](crate::main) in place of Rust's own start (`lang_start`).
//!
//! Rust's start finds the main thread's stack bounds for its overflow guard with `pthread_getattr_np`,
//! which reads and `sscanf`s /proc/self/maps: about 95,000 instructions, a quarter of a helper's whole
//! `get` (bench/README.md). A program of regauth starts with `#![cfg_attr(not(test), no_main)]` and
//! `regauth_core::main!(run)` instead, which keeps what the programs rely on: standard descriptors 0-2
//! open (on /dev/null when a caller closed one, so no file we open later becomes "stdout"), SIGPIPE ignored
//! (a closed pipe is an `EPIPE` error, which the output code treats as the normal end), stdout flushed at
//! exit, and a panic ends the process with exit code 101 after its message, as before. What it gives up: a
//! stack overflow is a plain SIGSEGV without Rust's one-line message, and a panic names the thread
//! `<unnamed>`.

/// The exit code of a program that panicked, as Rust's start has it.
pub const PANIC_EXIT: i32 = 101;

/// Standard descriptors made sure open and SIGPIPE ignored, as Rust's start does them.
pub fn prepare() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd { fd, events: 0, revents: 0 });
    // SAFETY: poll(2) on a local array of the length given; a zero timeout.
    let polled = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 0) };
    for fd in &fds {
        let closed = if polled < 0 {
            // SAFETY: fcntl(F_GETFD) reads a descriptor's flags and touches no memory.
            let flags = unsafe { libc::fcntl(fd.fd, libc::F_GETFD) };
            flags < 0
        } else {
            fd.revents & libc::POLLNVAL != 0
        };
        if closed {
            // The lowest free descriptor is the closed one: /dev/null takes its place, or the program
            // stops rather than let a later file become a standard stream.
            // SAFETY: open(2) of a NUL-terminated literal.
            let opened = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
            if opened != fd.fd {
                std::process::abort();
            }
        }
    }
    // SAFETY: setting a signal's disposition to SIG_IGN installs no handler code.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}

/// Run a program's body: [`prepare`], the body, then exit with its code (stdout flushed), or
/// [`PANIC_EXIT`] when it panicked (the panic hook has printed the message).
pub fn run(body: fn() -> i32) -> ! {
    prepare();
    let code = std::panic::catch_unwind(body).unwrap_or(PANIC_EXIT);
    std::process::exit(code)
}

/// The C `main` of a `#![cfg_attr(not(test), no_main)]` program whose body is `fn() -> i32` (its exit
/// code); see the module. Under `cargo test` the program keeps the test harness's own `main`.
#[macro_export]
macro_rules! main {
    ($body:path) => {
        #[cfg(not(test))]
        #[no_mangle]
        pub extern "C" fn main(
            _argc: ::std::ffi::c_int,
            _argv: *const *const ::std::ffi::c_char,
        ) -> ::std::ffi::c_int {
            $crate::start::run($body)
        }
        #[cfg(test)]
        const _: fn() -> i32 = $body;
    };
}
