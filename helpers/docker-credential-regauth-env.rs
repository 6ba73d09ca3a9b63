//! docker-credential-regauth-env: read-only credentials from environment variables, for CI.

#![cfg_attr(not(test), no_main)]

use regauth_core::environ::Environ;
use regauth_core::store::EnvStore;
use regauth_helpers::ENV;

regauth_core::main!(run);

fn run() -> i32 {
    regauth_helpers::main(&ENV, &EnvStore::new(Environ::from_process()))
}
