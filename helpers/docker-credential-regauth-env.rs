//! docker-credential-regauth-env: read-only credentials from environment variables, for CI.

use regauth_core::environ::Environ;
use regauth_core::store::EnvStore;
use regauth_helpers::ENV;

fn main() {
    std::process::exit(regauth_helpers::main(&ENV, &EnvStore::new(Environ::from_process())));
}
