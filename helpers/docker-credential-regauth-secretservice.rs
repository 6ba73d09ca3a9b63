//! docker-credential-regauth-secretservice: credentials in the freedesktop Secret Service over D-Bus.

use regauth_core::store::SecretServiceStore;
use regauth_helpers::SECRET_SERVICE;

fn main() {
    std::process::exit(regauth_helpers::main(&SECRET_SERVICE, &SecretServiceStore::new()));
}
