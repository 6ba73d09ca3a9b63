//! docker-credential-regauth-keyutils: credentials in the Linux kernel keyring.

use regauth::environ::Environ;
use regauth::helper::{self, KEYUTILS};
use regauth::store::KeyutilsStore;

fn main() {
    let store = KeyutilsStore::from_environ(&Environ::from_process());
    std::process::exit(helper::main(&KEYUTILS, &store));
}
