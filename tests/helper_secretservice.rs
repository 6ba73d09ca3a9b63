//! docker-credential-regauth-secretservice against a real gnome-keyring in a private D-Bus session:
//! the full protocol suite, recognisable items, and a locked keyring and a missing bus reported as such.

mod support;

use support::command::clean;
use support::helpers::{call, helper_bin, helper_test, path, with_outcome};
use support::keyring::SecretService;

fn helper_path() -> std::path::PathBuf {
    helper_bin("docker-credential-regauth-secretservice")
}

const NOT_FOUND: &str = "credentials not found in native keychain";

#[test]
fn full_protocol_suite_passes() {
    let Some(session) = SecretService::start() else { return };
    let mut regauth = session.command(env!("CARGO_BIN_EXE_regauth"));
    regauth.env("PATH", path());
    let (code, report) = helper_test(regauth, "regauth-secretservice", &[]);
    assert_eq!(with_outcome(&report, "fail"), Vec::<String>::new(), "{report:#}");
    assert_eq!(with_outcome(&report, "skip"), Vec::<String>::new());
    assert_eq!(code, 0);
}

#[test]
fn items_are_recognisable_in_a_keyring_browser() {
    let Some(session) = SecretService::start() else { return };
    let Some(_) = support::need_program("secret-tool") else { return };
    let body = r#"{"ServerURL":"127.0.0.1:5999","Username":"erin","Secret":"browser-secret-1"}"#;
    assert_eq!(call(session.command(helper_path()), "store", body).code, 0);
    let out = session
        .command("secret-tool")
        .args(["search", "--all", "regauth", "docker-credential", "server", "127.0.0.1:5999"])
        .output()
        .unwrap();
    let shown = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    for needle in [
        "label = regauth: 127.0.0.1:5999",
        "schema = io.regauth.DockerCredential",
        "attribute.username = erin",
    ] {
        assert!(shown.contains(needle), "{needle:?} not in {shown}");
    }
    // Storing again under another username replaces the entry instead of adding one.
    let body = r#"{"ServerURL":"127.0.0.1:5999","Username":"frank","Secret":"browser-secret-2"}"#;
    assert_eq!(call(session.command(helper_path()), "store", body).code, 0);
    let listed = call(session.command(helper_path()), "list", "unused");
    assert_eq!(listed.stdout.trim(), r#"{"127.0.0.1:5999":"frank"}"#);
}

#[test]
fn a_locked_keyring_is_reported_as_locked_not_as_not_found() {
    let Some(session) = SecretService::start() else { return };
    let secret = "locked-secret-Q1";
    let body = format!(r#"{{"ServerURL":"ghcr.io","Username":"gina","Secret":"{secret}"}}"#);
    assert_eq!(call(session.command(helper_path()), "store", &body).code, 0);
    session.lock();
    let answers = [
        call(session.command(helper_path()), "get", "ghcr.io"),
        call(session.command(helper_path()), "get", "never-stored.invalid"),
        call(session.command(helper_path()), "store", &body),
        call(session.command(helper_path()), "list", "unused"),
    ];
    for answer in &answers {
        assert_eq!(answer.code, 1, "{answer:?}");
        assert_eq!(answer.stdout.lines().count(), 1, "{answer:?}");
        assert!(answer.stdout.contains("locked"), "{answer:?}");
        assert_ne!(answer.stdout.trim(), NOT_FOUND);
        assert!(!answer.stdout.contains(secret) && !answer.stderr.contains(secret));
    }
}

#[test]
fn no_session_bus_is_reported_as_such() {
    let empty = tempfile::tempdir().unwrap();
    let mut command = clean(helper_path());
    command.env("XDG_RUNTIME_DIR", empty.path());
    let answer = call(command, "get", "ghcr.io");
    assert_eq!(answer.code, 1, "{answer:?}");
    assert_eq!(answer.stdout.lines().count(), 1, "{answer:?}");
    assert!(answer.stdout.starts_with("no D-Bus session bus"), "{answer:?}");
}

#[test]
fn a_bus_without_a_secret_service_is_reported_as_such() {
    // A bare bus: nothing provides org.freedesktop.secrets and activation finds no service file.
    let Some(_) = support::need_program("dbus-daemon") else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bus.conf");
    let socket = dir.path().join("bus");
    std::fs::write(
        &config,
        format!(
            "<busconfig><type>session</type><listen>unix:path={}</listen><auth>EXTERNAL</auth>\
             <policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>\
             <allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>",
            socket.display()
        ),
    )
    .unwrap();
    let mut daemon = clean("dbus-daemon")
        .arg(format!("--config-file={}", config.display()))
        .arg("--nofork")
        .spawn()
        .unwrap();
    for _ in 0..200 {
        if socket.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let mut command = clean(helper_path());
    command.env("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}", socket.display()));
    let answer = call(command, "get", "ghcr.io");
    let _ = daemon.kill();
    let _ = daemon.wait();
    assert_eq!(answer.code, 1, "{answer:?}");
    assert!(answer.stdout.starts_with("no Secret Service on the session bus"), "{answer:?}");
}
