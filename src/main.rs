//! `regauth`: the small front program (cli::front). It answers a token-cache hit itself and execs the
//! whole command, regauth-cli, for everything else. Started by `regauth_core::main!` instead of Rust's own
//! start: see regauth_core::start.
#![cfg_attr(not(test), no_main)]

regauth_core::main!(regauth::cli::front::main);
