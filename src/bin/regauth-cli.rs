//! The whole `regauth` command, run by the front program (`regauth`, src/main.rs) for every command line it
//! does not answer itself. Started by `regauth_core::main!` instead of Rust's own start: see
//! regauth_core::start.
#![cfg_attr(not(test), no_main)]

regauth_core::main!(regauth::cli::main);

/// mimalloc rather than glibc's malloc: an audit of 100,000 credentials allocates ~1 M blocks across two
/// threads, and glibc's per-thread arenas grow (mprotect), trim and fault their pages back in; mimalloc's
/// thread-local pages take 12-18 % off the audits' wall time and 5-10 % off their peak memory (bench/README.md,
/// "Audits"). Only here: the front (`regauth`) and the helpers allocate too little for it to pay at start.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
