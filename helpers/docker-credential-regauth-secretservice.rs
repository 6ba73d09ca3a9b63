//! docker-credential-regauth-secretservice: credentials in the freedesktop Secret Service over D-Bus.

use regauth::helper::{self, SECRET_SERVICE};
use regauth::store::SecretServiceStore;

fn main() {
    std::process::exit(helper::main(&SECRET_SERVICE, &SecretServiceStore::new()));
}
