//! docker-credential-regauth-env: read-only credentials from environment variables, for CI.

use regauth::environ::Environ;
use regauth::helper::{self, ENV};
use regauth::store::EnvStore;

fn main() {
    std::process::exit(helper::main(&ENV, &EnvStore::new(Environ::from_process())));
}
