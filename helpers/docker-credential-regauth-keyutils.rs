//! docker-credential-regauth-keyutils: credentials in the Linux kernel keyring.

use regauth_core::environ::Environ;
use regauth_core::store::KeyutilsStore;
use regauth_helpers::KEYUTILS;

fn main() {
    let store = KeyutilsStore::from_environ(&Environ::from_process());
    std::process::exit(regauth_helpers::main(&KEYUTILS, &store));
}
