//! The helper programs are linked with packed relative relocations (DT_RELR, `-z pack-relative-relocs`):
//! the loader then applies their relative relocations (about 1,100 in a helper) from a compact bitmap
//! instead of one 24-byte entry each, on every `get`. Needs GNU ld 2.38 or lld 15 to link and glibc 2.36 to
//! run; `REGAUTH_NO_RELR=1` builds for an older glibc. The root package's build.rs does the same for
//! `regauth`.

include!("../build/relr.rs");

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=../build/relr.rs");
    link_with_relr();
}
