//! `regauth login`'s logic below the command line: the handshake that proves a credential
//! ([`handshake`]), what the login found out ([`report`]: the report, its warnings, the identity token to
//! store), each repository's rights from diagnose's probes ([`rights`]), and where the credential goes
//! ([`store`], through `placement`). The command line (src/cli/login) reads the arguments and the
//! password, and prints.

pub mod handshake;
pub mod report;
pub mod rights;
pub mod store;
