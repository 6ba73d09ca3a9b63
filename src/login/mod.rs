//! `regauth login`'s logic below the command line: the handshake that proves a credential
//! ([`handshake`]). Where it is stored is `placement`'s.

pub mod handshake;
