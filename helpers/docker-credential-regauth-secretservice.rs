//! docker-credential-regauth-secretservice: credentials in the freedesktop Secret Service over D-Bus.

#![cfg_attr(not(test), no_main)]

use regauth_core::store::SecretServiceStore;
use regauth_helpers::SECRET_SERVICE;

regauth_core::main!(run);

fn run() -> i32 {
    regauth_helpers::main(&SECRET_SERVICE, &SecretServiceStore::new())
}
