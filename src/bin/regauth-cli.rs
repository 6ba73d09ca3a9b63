//! The whole `regauth` command, run by the front program (`regauth`, src/main.rs) for every command line it
//! does not answer itself. Started by `regauth_core::main!` instead of Rust's own start: see
//! regauth_core::start.
#![cfg_attr(not(test), no_main)]

regauth_core::main!(regauth::cli::main);
