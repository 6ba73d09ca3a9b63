//! The programs are linked with packed relative relocations (DT_RELR, `-z pack-relative-relocs`): the loader
//! then applies the binary's ~12,000 relative relocations from a compact bitmap instead of one 24-byte entry
//! each, about 170,000 instructions less on every start of `regauth` (bench/README.md). Needs GNU ld 2.38 or
//! lld 15 to link and glibc 2.36 to run; `REGAUTH_NO_RELR=1` builds for an older glibc.
//! helpers/build.rs is the same for the helper programs.

include!("build/relr.rs");

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/relr.rs");
    link_with_relr();
}
