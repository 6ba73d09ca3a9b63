// Started by `regauth_core::main!` instead of Rust's own start: see regauth_core::start.
#![cfg_attr(not(test), no_main)]

regauth_core::main!(regauth::cli::main);
