//! docker-credential-regauth-keyutils: credentials in the Linux kernel keyring.

#![cfg_attr(not(test), no_main)]

use regauth_core::environ::Environ;
use regauth_core::store::keyutils::NAMESPACE_VAR;
use regauth_core::store::KeyutilsStore;
use regauth_helpers::KEYUTILS;

regauth_core::main!(run);

fn run() -> i32 {
    let store = KeyutilsStore::from_environ(&Environ::from_process_only(&[NAMESPACE_VAR]));
    regauth_helpers::main(&KEYUTILS, &store)
}
