//! docker-credential-regauth-cache: answers `get` from a cache in front of a slow inner helper.

#![cfg_attr(not(test), no_main)]

use regauth_core::environ::Environ;
use regauth_helpers::cache::CacheHelper;
use regauth_helpers::CACHE;

regauth_core::main!(run);

fn run() -> i32 {
    // SAFETY: this program never changes its environment (no set_var, no C code that does): a hit reads it
    // in place instead of copying every variable to find its inner helper's few.
    let env = unsafe { Environ::from_process_in_place() };
    let helper = CacheHelper::from_environ(env);
    let code = regauth_helpers::main(&CACHE, &helper);
    for note in helper.take_notes() {
        eprintln!("{}: note: {}", CACHE.name, regauth_core::sanitize::one_line(&note));
    }
    code
}
