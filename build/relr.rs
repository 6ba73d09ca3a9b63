// Shared by build.rs and helpers/build.rs (each `include!`s it): link the package's programs with packed
// relative relocations (DT_RELR) on Linux with glibc, unless REGAUTH_NO_RELR is set.
fn link_with_relr() {
    println!("cargo:rerun-if-env-changed=REGAUTH_NO_RELR");
    let target = |key: &str| std::env::var(key).unwrap_or_default();
    if target("CARGO_CFG_TARGET_OS") == "linux"
        && target("CARGO_CFG_TARGET_ENV") == "gnu"
        && std::env::var_os("REGAUTH_NO_RELR").is_none()
    {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
