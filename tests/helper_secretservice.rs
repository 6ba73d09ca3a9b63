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
fn items_are_stored_in_upstreams_form() {
    let Some(session) = SecretService::start() else { return };
    let Some(_) = support::need_program("secret-tool") else { return };
    let body = r#"{"ServerURL":"127.0.0.1:5999","Username":"erin","Secret":"browser-secret-1"}"#;
    assert_eq!(call(session.command(helper_path()), "store", body).code, 0);
    let shown = secret_tool_search(&session, "127.0.0.1:5999");
    for needle in [
        "label = 127.0.0.1:5999",
        "schema = io.docker.Credentials",
        "attribute.server = 127.0.0.1:5999",
        "attribute.username = erin",
        "attribute.docker_cli = 1",
        "attribute.label = Docker Credentials",
    ] {
        assert!(shown.contains(needle), "{needle:?} not in {shown}");
    }
    // Storing again under another username replaces the entry instead of adding one.
    let body = r#"{"ServerURL":"127.0.0.1:5999","Username":"frank","Secret":"browser-secret-2"}"#;
    assert_eq!(call(session.command(helper_path()), "store", body).code, 0);
    let listed = call(session.command(helper_path()), "list", "unused");
    assert_eq!(listed.stdout.trim(), r#"{"127.0.0.1:5999":"frank"}"#);
    assert_eq!(secret_tool_search(&session, "127.0.0.1:5999").matches("attribute.server").count(), 1);
}

/// Every item for `server`, as secret-tool shows them (secrets included: test values only).
fn secret_tool_search(session: &SecretService, server: &str) -> String {
    let out = session.command("secret-tool").args(["search", "--all", "server", server]).output().unwrap();
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn upstream(session: &SecretService) -> Option<std::process::Command> {
    let program = support::need_program("docker-credential-secretservice")?;
    Some(session.command(program))
}

fn credentials(answer: &support::helpers::Answer) -> (String, String) {
    assert_eq!(answer.code, 0, "{answer:?}");
    let creds: serde_json::Value = serde_json::from_str(&answer.stdout).unwrap();
    (creds["Username"].as_str().unwrap().to_owned(), creds["Secret"].as_str().unwrap().to_owned())
}

#[test]
fn upstream_reads_what_we_store_and_we_read_what_upstream_stores() {
    let Some(session) = SecretService::start() else { return };
    let Some(_) = upstream(&session) else { return };
    let ours = || session.command(helper_path());
    let theirs = || upstream(&session).unwrap();

    // Upstream stores, we read and list.
    let body =
        r#"{"ServerURL":"https://index.docker.io/v1/","Username":"\u003ctoken\u003e","Secret":"up-tok-1"}"#;
    assert_eq!(call(theirs(), "store", body).code, 0);
    let body = r#"{"ServerURL":"upstream.example:5000","Username":"uma","Secret":"up-secret-2"}"#;
    assert_eq!(call(theirs(), "store", body).code, 0);
    assert_eq!(
        credentials(&call(ours(), "get", "https://index.docker.io/v1/")),
        ("<token>".into(), "up-tok-1".into())
    );
    assert_eq!(
        credentials(&call(ours(), "get", "upstream.example:5000")),
        ("uma".into(), "up-secret-2".into())
    );

    // We store, upstream reads and lists.
    let body = r#"{"ServerURL":"ours.example:5000","Username":"olga","Secret":"our-secret-3"}"#;
    assert_eq!(call(ours(), "store", body).code, 0);
    assert_eq!(
        credentials(&call(theirs(), "get", "ours.example:5000")),
        ("olga".into(), "our-secret-3".into())
    );

    // Both list all three.
    let want = serde_json::json!({
        "https://index.docker.io/v1/": "<token>",
        "upstream.example:5000": "uma",
        "ours.example:5000": "olga",
    });
    for (who, lister) in [("ours", ours()), ("upstream", theirs())] {
        let listed = call(lister, "list", "");
        let listing: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
        assert_eq!(listing, want, "{who} list");
    }

    // Upstream adds an item per username: after it logs in again as someone else, we answer the newest.
    std::thread::sleep(std::time::Duration::from_millis(1100)); // Modified has a resolution of seconds
    let body = r#"{"ServerURL":"upstream.example:5000","Username":"ulla","Secret":"up-secret-4"}"#;
    assert_eq!(call(theirs(), "store", body).code, 0);
    assert_eq!(
        credentials(&call(ours(), "get", "upstream.example:5000")),
        ("ulla".into(), "up-secret-4".into())
    );
    let listing: serde_json::Value = serde_json::from_str(&call(ours(), "list", "").stdout).unwrap();
    assert_eq!(listing["upstream.example:5000"], "ulla");

    // Our erase removes every item for the server, upstream's too; upstream's erase removes ours.
    assert_eq!(call(ours(), "erase", "upstream.example:5000").code, 0);
    let gone = call(theirs(), "get", "upstream.example:5000");
    assert_eq!((gone.code, gone.stdout.trim()), (1, NOT_FOUND));
    assert_eq!(call(theirs(), "erase", "ours.example:5000").code, 0);
    let gone = call(ours(), "get", "ours.example:5000");
    assert_eq!((gone.code, gone.stdout.trim()), (1, NOT_FOUND));
}

#[test]
fn items_of_earlier_regauth_versions_are_read_replaced_and_erased() {
    let Some(session) = SecretService::start() else { return };
    let Some(_) = support::need_program("secret-tool") else { return };
    let ours = || session.command(helper_path());
    // An item as regauth wrote them before it took upstream's form. The keyring gets its default
    // collection from a first store.
    let body = r#"{"ServerURL":"first.example","Username":"x","Secret":"first-secret"}"#;
    assert_eq!(call(ours(), "store", body).code, 0);
    let legacy = |server: &str, user: &str, secret: &str| {
        let mut command = session.command("secret-tool");
        command.args([
            "store",
            &format!("--label=regauth: {server}"),
            "xdg:schema",
            "io.regauth.DockerCredential",
            "regauth",
            "docker-credential",
            "server",
            server,
            "username",
            user,
        ]);
        let mut child = command.stdin(std::process::Stdio::piped()).spawn().unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), secret.as_bytes()).unwrap();
        assert!(child.wait().unwrap().success(), "secret-tool store");
    };
    legacy("legacy.example", "lena", "legacy-secret-1");
    legacy("erase.example", "ella", "legacy-secret-2");
    assert_eq!(
        credentials(&call(ours(), "get", "legacy.example")),
        ("lena".into(), "legacy-secret-1".into())
    );
    let listing: serde_json::Value = serde_json::from_str(&call(ours(), "list", "").stdout).unwrap();
    assert_eq!(
        listing,
        serde_json::json!({"first.example": "x", "legacy.example": "lena", "erase.example": "ella"})
    );

    // store replaces the old form with upstream's.
    let body = r#"{"ServerURL":"legacy.example","Username":"lena","Secret":"new-secret"}"#;
    assert_eq!(call(ours(), "store", body).code, 0);
    let shown = secret_tool_search(&session, "legacy.example");
    assert_eq!(shown.matches("attribute.server").count(), 1, "{shown}");
    assert!(shown.contains("schema = io.docker.Credentials"), "{shown}");

    // erase removes the old form too.
    assert_eq!(call(ours(), "erase", "erase.example").code, 0);
    assert!(!secret_tool_search(&session, "erase.example").contains("attribute.server"));
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
    let (mut daemon, address) = private_bus(dir.path(), None);
    let mut command = clean(helper_path());
    command.env("DBUS_SESSION_BUS_ADDRESS", &address);
    let answer = call(command, "get", "ghcr.io");
    let _ = daemon.kill();
    let _ = daemon.wait();
    assert_eq!(answer.code, 1, "{answer:?}");
    assert!(answer.stdout.starts_with("no Secret Service on the session bus"), "{answer:?}");
}

/// One helper call that must end on its own: the answer, or a panic when it is still running after a
/// generous minute (the helper's own deadline is a few seconds).
fn call_ending(command: std::process::Command, action: &str, input: &str) -> support::helpers::Answer {
    let (action, input) = (action.to_owned(), input.to_owned());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(call(command, &action, &input)));
    rx.recv_timeout(std::time::Duration::from_secs(60)).expect("the helper waited for the bus forever")
}

#[test]
fn a_bus_that_accepts_and_never_answers_is_an_error_in_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("bus");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    // Accept every connection and keep it open without writing a byte.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    for action in ["get", "list"] {
        let mut command = clean(helper_path());
        command.env("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}", socket.display()));
        let answer = call_ending(command, action, "ghcr.io");
        assert_eq!(answer.code, 1, "{answer:?}");
        assert_eq!(answer.stdout.lines().count(), 1, "{answer:?}");
        assert!(answer.stdout.starts_with("the D-Bus session bus did not answer within 5 s"), "{answer:?}");
    }
}

#[test]
fn a_secret_service_that_never_answers_is_an_error_in_seconds() {
    // A real bus whose org.freedesktop.secrets is activated by a program that never takes the name: the
    // bus holds every call to it until the activation times out (25 s by default).
    let Some(_) = support::need_program("dbus-daemon") else { return };
    let dir = tempfile::tempdir().unwrap();
    let services = dir.path().join("services");
    std::fs::create_dir(&services).unwrap();
    std::fs::write(
        services.join("org.freedesktop.secrets.service"),
        "[D-BUS Service]\nName=org.freedesktop.secrets\nExec=/bin/sleep 40\n",
    )
    .unwrap();
    let (mut daemon, address) = private_bus(dir.path(), Some(&services));
    let mut command = clean(helper_path());
    command.env("DBUS_SESSION_BUS_ADDRESS", &address);
    let answer = call_ending(command, "get", "ghcr.io");
    let _ = daemon.kill();
    let _ = daemon.wait();
    assert_eq!(answer.code, 1, "{answer:?}");
    assert_eq!(answer.stdout.lines().count(), 1, "{answer:?}");
    assert!(
        answer.stdout.starts_with("the Secret Service did not answer OpenSession within 5 s"),
        "{answer:?}"
    );
}

#[test]
fn a_nul_in_a_server_url_is_named_not_taken_for_a_missing_bus() {
    let Some(session) = SecretService::start() else { return };
    let answer = call(session.command(helper_path()), "get", "ghcr.io\0evil");
    assert_eq!((answer.code, answer.stdout.as_str()), (1, "server URL contains a NUL byte\n"));
    let body = r#"{"ServerURL":"ghcr.io\u0000x","Username":"u","Secret":"nul-secret"}"#;
    let answer = call(session.command(helper_path()), "store", body);
    assert_eq!((answer.code, answer.stdout.as_str()), (1, "server URL contains a NUL byte\n"));
}

/// A bare session bus in `dir` (no service files unless `services` is given); its address.
fn private_bus(dir: &std::path::Path, services: Option<&std::path::Path>) -> (std::process::Child, String) {
    let config = dir.join("bus.conf");
    let socket = dir.join("bus");
    let servicedir =
        services.map(|d| format!("<servicedir>{}</servicedir>", d.display())).unwrap_or_default();
    std::fs::write(
        &config,
        format!(
            "<busconfig><type>session</type><listen>unix:path={}</listen><auth>EXTERNAL</auth>{servicedir}\
             <policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>\
             <allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>",
            socket.display()
        ),
    )
    .unwrap();
    let daemon = clean("dbus-daemon")
        .arg(format!("--config-file={}", config.display()))
        .arg("--nofork")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..200 {
        if socket.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    (daemon, format!("unix:path={}", socket.display()))
}

/// The Docker CLI against a real registry, switching `credsStore` between upstream's helper and ours in
/// both directions: a login made through one is used and logged out through the other.
#[test]
fn docker_cli_keeps_its_login_when_credsstore_switches_between_upstream_and_ours() {
    use support::registry::{basic, push_image, Auth, Registry};
    const USER: &str = "sam";
    const PASSWORD: &str = "switch-pw-8Hd";
    let Some(_) = support::need_program("docker") else { return };
    let Some(session) = SecretService::start() else { return };
    let Some(_) = upstream(&session) else { return };
    let Some(registry) = Registry::start(Auth::Htpasswd(vec![(USER.into(), PASSWORD.into())]), None) else {
        return;
    };
    push_image(
        &reqwest::blocking::Client::new(),
        &registry.base_url(),
        "team/app",
        "v1",
        Some(&basic(USER, PASSWORD)),
    );
    let host = registry.host();
    let image = format!("{host}/team/app:v1");
    let config = tempfile::tempdir().unwrap();
    let use_store = |name: &str| {
        std::fs::write(config.path().join("config.json"), format!(r#"{{"credsStore":"{name}"}}"#)).unwrap()
    };
    let docker = |args: &[&str], stdin: &str| {
        let mut command = session.command("docker");
        command
            .args(args)
            .env("DOCKER_CONFIG", config.path())
            .env("PATH", path())
            .env("DOCKER_HOST", format!("unix://{}", config.path().join("no-daemon.sock").display()));
        let answer = call_stdin(command, stdin);
        assert!(!answer.stdout.contains(PASSWORD) && !answer.stderr.contains(PASSWORD), "{answer:?}");
        answer
    };

    for (first, second) in
        [("secretservice", "regauth-secretservice"), ("regauth-secretservice", "secretservice")]
    {
        use_store(first);
        let login = docker(&["login", &host, "-u", USER, "--password-stdin"], PASSWORD);
        assert_eq!(login.code, 0, "login through {first}: {login:?}");
        use_store(second);
        let inspect = docker(&["manifest", "inspect", "--insecure", &image], "");
        assert_eq!(inspect.code, 0, "inspect through {second} after login through {first}: {inspect:?}");
        assert!(inspect.stdout.contains("schemaVersion"));
        let logout = docker(&["logout", &host], "");
        assert_eq!(logout.code, 0, "logout through {second}: {logout:?}");
        use_store(first);
        let refused = docker(&["manifest", "inspect", "--insecure", &image], "");
        assert_eq!(refused.code, 1, "{first} still had the login after logout through {second}: {refused:?}");
        assert!(refused.stderr.contains("no basic auth credentials"), "{refused:?}");
    }
}

/// Run `command` with `stdin` as its input.
fn call_stdin(mut command: std::process::Command, stdin: &str) -> support::helpers::Answer {
    use std::process::Stdio;
    let mut child =
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    support::helpers::Answer {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
