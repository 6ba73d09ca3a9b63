//! Installing regauth as the README says: `make install` into a staging root, and the Debian package built
//! by cargo-deb and installed with dpkg, after which the real Docker CLI finds a regauth helper on PATH and
//! logs in to the real registry through it.
//!
//! The package is installed into a private root (`dpkg --root`, with its own dpkg database), not into the
//! machine's /usr: tests run in parallel, and many give their programs a PATH that includes /usr/bin while
//! asserting which helper is (not) installed, so a system-wide install would change their answers, and a
//! test that died halfway would leave the machine changed. The private database holds the machine's own
//! libc6 and libgcc-s1 entries, so dpkg checks the package's dependencies for real (no --force-depends).
//!
//! Both take `regauth-cli`, the whole command, from the test build (target/debug: a release build of it for
//! one test costs CI minutes on two cores) and the front `regauth` and the helpers from `make static`
//! (target/release-static, static-pie, as the release build ships them; support::static_build builds them
//! once), and check from the ELF headers that the installed front and helpers are static-pie with DT_RELR
//! and full RELRO, and regauth-cli (in libexec/regauth/) dynamic. `regauth --version` and `regauth
//! resolve` then run through the installed front into the installed regauth-cli.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use support::command::clean;
use support::helpers::{bin_dir, helper_bin};
use support::keyutils::KeyutilsNamespace;
use support::registry::{basic, push_image, Auth, Registry};
use support::static_build::{self, assert_static_pie, linkage, static_programs};

const USER: &str = "deb-user";
const PASSWORD: &str = "deb-right-pw-Q7v";

const PROGRAMS: [&str; 6] = [
    "regauth",
    "docker-credential-regauth-keyutils",
    "docker-credential-regauth-secretservice",
    "docker-credential-regauth-env",
    "docker-credential-regauth-cache",
    "docker-credential-regauth-kubelet",
];

/// Files every install puts in place, relative to the prefix (bin/ aside).
const SHARED: [&str; 5] = [
    "share/man/man1/regauth.1",
    "share/man/man1/regauth-login.1",
    "share/man/man1/docker-credential-regauth-keyutils.1",
    "share/doc/regauth/examples/kubelet-credential-provider.yaml",
    "share/fish/vendor_completions.d/regauth.fish",
];

fn checkout() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn ok(out: &Output, what: &str) -> String {
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{what} failed ({:?}): {text}", out.status.code());
    assert!(!text.contains(PASSWORD), "{what} printed the password: {text}");
    text
}

/// The test build's regauth-cli and the static programs; `None` (after a loud skip) without make.
fn built() -> Option<()> {
    helper_bin("regauth-cli");
    static_build::dir()?;
    Some(())
}

/// Every installed static program (the front and the helpers) static-pie (RELR, full RELRO), regauth-cli
/// dynamic (its DNS goes through NSS).
fn assert_linkage(prefix: &Path) {
    for p in static_programs() {
        assert_static_pie(&prefix.join("bin").join(p));
    }
    let whole = prefix.join("libexec/regauth/regauth-cli");
    if let Some(l) = linkage(&whole) {
        assert!(l.interp && l.needed.iter().any(|n| n.starts_with("libc.so")), "regauth-cli: {l:?}");
    }
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode()
        & 0o7777
}

#[test]
fn make_install_puts_programs_pages_completions_and_example_under_destdir() {
    let Some(make) = support::need_program("make") else { return };
    let Some(()) = built() else { return };
    let stage = tempfile::tempdir().unwrap();
    let run = |target: &str| {
        let out = Command::new(&make)
            .arg("-C")
            .arg(checkout())
            .arg(target)
            .arg("PREFIX=/opt/ra")
            .arg(format!("DESTDIR={}", stage.path().display()))
            .arg(format!("BINARIES={}", bin_dir().display()))
            .output()
            .unwrap();
        ok(&out, &format!("make {target}"));
    };
    run("install");
    let prefix = stage.path().join("opt/ra");
    for p in PROGRAMS {
        assert_eq!(mode(&prefix.join("bin").join(p)), 0o755, "{p}");
    }
    // The whole command, which the front program `regauth` execs: in libexec, not on PATH.
    assert_eq!(mode(&prefix.join("libexec/regauth/regauth-cli")), 0o755);
    assert_linkage(&prefix);
    for f in SHARED
        .iter()
        .chain(&["share/bash-completion/completions/regauth", "share/zsh/site-functions/_regauth"])
    {
        assert_eq!(mode(&prefix.join(f)), 0o644, "{f}");
    }
    let pages = std::fs::read_dir(prefix.join("share/man/man1")).unwrap().count();
    assert_eq!(pages, std::fs::read_dir(checkout().join("man")).unwrap().count(), "every man page");
    let version = clean(prefix.join("bin/regauth")).arg("--version").output().unwrap();
    assert!(ok(&version, "installed regauth --version").starts_with("regauth "));
    run("uninstall");
    let left: Vec<_> = walk(&prefix).into_iter().filter(|p| p.is_file()).collect();
    assert!(left.is_empty(), "make uninstall left {left:?}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        }
        out.push(path);
    }
    out
}

/// cargo-deb, installed by scripts/install-test-deps into a per-machine directory outside the checkout.
fn cargo_deb() -> Option<PathBuf> {
    let root = std::env::var_os("REGAUTH_TOOLS")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/regauth/tools"));
    let path = root.join("bin/cargo-deb");
    if path.is_file() {
        return Some(path);
    }
    support::skip(&format!(
        "cargo-deb is not installed at {} (run scripts/install-test-deps)",
        path.display()
    ));
    None
}

/// A private dpkg root whose database knows the machine's own libc6 and libgcc-s1, so dpkg checks the
/// package's Depends against something real.
fn private_root() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let admin = root.path().join("var/lib/dpkg");
    for d in ["info", "updates", "triggers"] {
        std::fs::create_dir_all(admin.join(d)).unwrap();
    }
    let status = Command::new("dpkg-query").args(["-s", "libc6", "libgcc-s1"]).output().unwrap();
    assert!(status.status.success(), "dpkg-query: {}", String::from_utf8_lossy(&status.stderr));
    std::fs::write(admin.join("status"), &status.stdout).unwrap();
    std::fs::write(admin.join("available"), "").unwrap();
    root
}

fn dpkg(root: &Path, args: &[&str]) -> Output {
    Command::new("dpkg")
        .arg(format!("--root={}", root.display()))
        .args(["--log=/dev/null", "--force-not-root"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn debian_package_installs_with_dpkg_and_docker_logs_in_through_its_helper() {
    let Some(cargo_deb) = cargo_deb() else { return };
    let Some(_) = support::need_program("dpkg") else { return };
    let Some(docker) = support::need_program("docker") else { return };
    let Some(()) = built() else { return };
    let Some(registry) = Registry::start(Auth::Htpasswd(vec![(USER.into(), PASSWORD.into())]), None) else {
        return;
    };
    let client = reqwest::blocking::Client::new();
    push_image(&client, &registry.base_url(), "team/app", "v1", Some(&basic(USER, PASSWORD)));

    // The package, from the test build's regauth (cargo-deb maps target/release/ in the assets to the
    // profile's dir) and the static helpers (target/release-static/, a plain path).
    let out_dir = tempfile::tempdir().unwrap();
    let target_dir = bin_dir().parent().unwrap();
    let built = Command::new(&cargo_deb)
        .args(["deb", "--no-build", "--profile", "dev", "--no-strip", "--fast", "-q", "-p", "regauth", "-o"])
        .arg(out_dir.path())
        .arg("--manifest-path")
        .arg(checkout().join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target_dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    ok(&built, "cargo deb");
    let deb = std::fs::read_dir(out_dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .expect("cargo deb made a .deb");
    let fields = Command::new("dpkg-deb").arg("-f").arg(&deb).args(["Package", "Depends"]).output().unwrap();
    let fields = ok(&fields, "dpkg-deb -f");
    assert!(fields.contains("Package: regauth") && fields.contains("libc6 (>= 2.36)"), "{fields}");

    let root = private_root();
    let installed = dpkg(root.path(), &["-i", deb.to_str().unwrap()]);
    ok(&installed, "dpkg -i");
    let usr = root.path().join("usr");
    for p in PROGRAMS {
        assert_eq!(mode(&usr.join("bin").join(p)), 0o755, "{p}");
    }
    assert_eq!(mode(&usr.join("libexec/regauth/regauth-cli")), 0o755);
    assert_linkage(&usr);
    // Debian's policy: man pages gzipped (cargo-deb does it).
    for f in SHARED.iter().chain(&["share/bash-completion/completions/regauth"]) {
        let f = if f.ends_with(".1") { format!("{f}.gz") } else { f.to_string() };
        assert!(usr.join(&f).is_file(), "the package lacks /usr/{f}");
    }
    let listed = dpkg(root.path(), &["-L", "regauth"]);
    assert!(ok(&listed, "dpkg -L").contains("/usr/bin/docker-credential-regauth-keyutils"));

    // The real Docker CLI, with only the package's bin/ and docker itself on PATH, and credsStore naming
    // the package's keyutils helper.
    let guard = KeyutilsNamespace::new("deb");
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("config.json"), r#"{"credsStore":"regauth-keyutils"}"#).unwrap();
    let path = std::env::join_paths([usr.join("bin"), docker.parent().unwrap().to_owned()]).unwrap();
    let run = |program: &Path, args: &[&str], stdin: &str| {
        let mut child = clean(program)
            .args(args)
            .env("HOME", home.path())
            .env("DOCKER_CONFIG", home.path())
            .env("PATH", &path)
            .env("REGAUTH_KEYUTILS_NAMESPACE", &guard.name)
            .env("DOCKER_HOST", format!("unix://{}", home.path().join("no-daemon.sock").display()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let host = registry.host();
    ok(&run(&docker, &["login", &host, "-u", USER, "--password-stdin"], PASSWORD), "docker login");
    let config = std::fs::read_to_string(home.path().join("config.json")).unwrap();
    assert!(!config.contains(PASSWORD) && !config.contains("\"auth\""), "docker wrote plaintext: {config}");
    // The installed helper holds it, and the installed regauth says docker would send it from there.
    let installed_helper = usr.join("bin/docker-credential-regauth-keyutils");
    let listed = ok(&run(&installed_helper, &["list"], ""), "helper list");
    assert!(listed.contains(&host) && listed.contains(USER), "{listed}");
    let resolved = ok(
        &run(&usr.join("bin/regauth"), &["resolve", &format!("{host}/team/app:v1"), "--json"], ""),
        "resolve",
    );
    assert!(resolved.contains("docker-credential-regauth-keyutils") && resolved.contains(USER), "{resolved}");
    let image = format!("{host}/team/app:v1");
    let inspected = ok(&run(&docker, &["manifest", "inspect", "--insecure", &image], ""), "manifest inspect");
    assert!(inspected.contains("schemaVersion"), "{inspected}");
    ok(&run(&docker, &["logout", &host], ""), "docker logout");
    let listed = ok(&run(&installed_helper, &["list"], ""), "helper list");
    assert!(!listed.contains(&host), "docker logout left {listed}");

    let removed = dpkg(root.path(), &["--purge", "regauth"]);
    ok(&removed, "dpkg --purge");
    assert!(!usr.join("bin/regauth").exists(), "dpkg --purge left /usr/bin/regauth");
}
