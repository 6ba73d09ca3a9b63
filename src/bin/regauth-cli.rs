//! The whole `regauth` command, run by the front program (`regauth`, src/main.rs) for every command line it
//! does not answer itself. Started by its own C `main` instead of Rust's own start (see
//! regauth_core::start), which chooses the allocator before anything is allocated: mimalloc for `audit`,
//! glibc's malloc for the rest (regauth::allocator says why).
#![cfg_attr(not(test), no_main)]

#[global_allocator]
static ALLOCATOR: regauth::allocator::Chosen = regauth::allocator::Chosen::new();

#[cfg(not(test))]
#[no_mangle]
extern "C" fn main(argc: std::ffi::c_int, argv: *const *const std::ffi::c_char) -> std::ffi::c_int {
    // SAFETY: argc and argv as the C runtime hands them to `main`.
    unsafe { ALLOCATOR.choose_for(argc, argv) };
    regauth_core::start::run(regauth::cli::main)
}
