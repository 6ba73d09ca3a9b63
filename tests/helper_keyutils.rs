//! docker-credential-regauth-keyutils against the real kernel keyring, each test in its own description
//! namespace (REGAUTH_KEYUTILS_NAMESPACE) so that no key it did not create is ever read or changed, and
//! whose entries a guard erases when the test ends, passed or failed.

mod support;

use support::command::{clean, regauth};
use support::helpers::{call, helper_bin, helper_test, path, with_outcome};
use support::keyutils::{helper, keyutils_namespace, KeyutilsNamespace};

const NOT_FOUND: &str = "credentials not found in native keychain";

fn helper_path() -> std::path::PathBuf {
    helper_bin("docker-credential-regauth-keyutils")
}

#[test]
fn full_protocol_suite_passes() {
    let namespace = KeyutilsNamespace::new("suite");
    let mut regauth = regauth();
    regauth.env("PATH", path()).env("REGAUTH_KEYUTILS_NAMESPACE", &namespace.name);
    let (code, report) = helper_test(regauth, "regauth-keyutils", &[]);
    assert_eq!(with_outcome(&report, "fail"), Vec::<String>::new(), "{report:#}");
    assert_eq!(with_outcome(&report, "skip"), Vec::<String>::new());
    assert!(with_outcome(&report, "pass").len() >= 14, "{report:#}");
    assert_eq!(code, 0);
}

#[test]
fn a_second_process_sees_what_the_first_stored_and_other_namespaces_do_not() {
    let guard = KeyutilsNamespace::new("cross");
    let other_guard = KeyutilsNamespace::new("other");
    let (ns, other) = (&guard.name, &other_guard.name);
    let url = "https://cross-process.regauth-test.invalid";
    let secret = "cross-process-secret-Zq9";
    let body = format!(r#"{{"ServerURL":"{url}","Username":"carol","Secret":"{secret}"}}"#);
    assert_eq!(call(helper(ns), "store", &body).code, 0);

    let got = call(helper(ns), "get", url);
    assert_eq!(got.code, 0, "{got:?}");
    let creds: serde_json::Value = serde_json::from_str(&got.stdout).unwrap();
    assert_eq!((creds["Username"].as_str(), creds["Secret"].as_str()), (Some("carol"), Some(secret)));
    let listed: serde_json::Value = serde_json::from_str(&call(helper(ns), "list", "unused").stdout).unwrap();
    assert_eq!(listed, serde_json::json!({ url: "carol" }));

    // Another namespace neither sees nor lists it: descriptions never collide.
    let elsewhere = call(helper(other), "get", url);
    assert_eq!((elsewhere.code, elsewhere.stdout.trim()), (1, NOT_FOUND));
    assert_eq!(call(helper(other), "list", "unused").stdout.trim(), "{}");

    assert_eq!(call(helper(ns), "erase", url).code, 0);
    let gone = call(helper(ns), "get", url);
    assert_eq!((gone.code, gone.stdout.trim()), (1, NOT_FOUND));
    for answer in [got, elsewhere, gone] {
        assert!(!answer.stderr.contains(secret));
    }
}

#[test]
fn entries_outlive_the_session_keyring_that_stored_them() {
    // Two `keyctl session -` runs are two login sessions with different session keyrings.
    let Some(keyctl) = support::need_program("keyctl") else { return };
    let ns = KeyutilsNamespace::with_runner("session", move |ns| {
        let mut command = clean(&keyctl);
        command
            .args([
                "session".as_ref(),
                "-".as_ref(),
                helper_bin("docker-credential-regauth-keyutils").as_os_str(),
            ])
            .env("REGAUTH_KEYUTILS_NAMESPACE", ns);
        command
    });
    let url = "127.0.0.1:65001";
    let body = format!(r#"{{"ServerURL":"{url}","Username":"dave","Secret":"session-secret-77"}}"#);
    let in_new_session = |action: &str, input: &str| call(ns.helper(), action, input);
    assert_eq!(in_new_session("store", &body).code, 0);
    let got = in_new_session("get", url);
    assert_eq!(got.code, 0, "{got:?}");
    assert!(got.stdout.contains("\"Username\":\"dave\""));
    assert_eq!(in_new_session("erase", url).code, 0);
    let gone = in_new_session("get", url);
    assert_eq!((gone.code, gone.stdout.trim()), (1, NOT_FOUND));
}

#[test]
fn an_unusable_namespace_is_one_line_on_stdout_and_exit_1() {
    let answer = call(helper("not valid!"), "get", "ghcr.io");
    assert_eq!(
        (answer.code, answer.stdout.as_str()),
        (1, "REGAUTH_KEYUTILS_NAMESPACE must be 1 to 64 of A-Z a-z 0-9 _ -\n"),
        "{answer:?}"
    );
    // version and --help do not need the keyring.
    assert_eq!(call(helper("not valid!"), "version", "").code, 0);
    let help = call(clean(helper_path()), "--help", "");
    assert!(help.stdout.contains("reboot") && help.stdout.contains("seccomp"), "{}", help.stdout);
}

#[test]
fn a_blocked_keyring_says_what_to_do_instead_of_not_found() {
    // Docker's default seccomp profile answers keyctl and add_key with EPERM: do the same to the helper.
    use std::os::unix::process::CommandExt;
    let body = r#"{"ServerURL":"ghcr.io","Username":"u","Secret":"blocked-secret-9"}"#;
    for (action, input) in [("get", "ghcr.io"), ("store", body), ("list", "unused"), ("erase", "ghcr.io")] {
        let mut command = helper(&keyutils_namespace("blocked")); // nothing can be stored: no guard
                                                                  // SAFETY: only async-signal-safe prctl(2) calls between fork and exec.
        unsafe { command.pre_exec(block_keyctl) };
        let answer = call(command, action, input);
        assert_eq!(answer.code, 1, "{action}: {answer:?}");
        assert_eq!(answer.stdout.lines().count(), 1, "{action}: {answer:?}");
        assert!(answer.stdout.contains("not usable") && answer.stdout.contains("seccomp"), "{answer:?}");
        assert!(!answer.stdout.contains("blocked-secret-9"));
    }
}

/// A seccomp filter that fails keyctl(2) and add_key(2) with EPERM and allows everything else.
fn block_keyctl() -> std::io::Result<()> {
    let stmt = |code: u32, k: u32| libc::sock_filter { code: code as u16, jt: 0, jf: 0, k };
    let jeq = |k: i64, jt: u8, jf: u8| libc::sock_filter {
        code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
        jt,
        jf,
        k: k as u32,
    };
    let filter = [
        stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0), // seccomp_data.nr
        jeq(libc::SYS_keyctl, 2, 0),
        jeq(libc::SYS_add_key, 1, 0),
        stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW),
        stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ERRNO | libc::EPERM as u32),
    ];
    let program = libc::sock_fprog { len: filter.len() as u16, filter: filter.as_ptr() as *mut _ };
    // SAFETY: prctl with a pointer to a filter program that outlives the call.
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
            || libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &program) != 0
        {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

#[test]
fn a_normal_user_keeps_entries_across_login_sessions() {
    // Needs root to become another user (as a normal user, the tests above already cover it).
    if !support::need_root("becomes uid 65534 to test a normal user's keyring") {
        return;
    }
    let (Some(setpriv), Some(keyctl)) = (support::need_program("setpriv"), support::need_program("keyctl"))
    else {
        return;
    };
    // Each call is a new session keyring (a new login) of uid 65534 (nobody); the guard erases as nobody.
    let nobody = KeyutilsNamespace::with_runner("nobody", move |ns| {
        let mut command = clean(&setpriv);
        command
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&keyctl)
            .args([
                "session".as_ref(),
                "-".as_ref(),
                helper_bin("docker-credential-regauth-keyutils").as_os_str(),
            ])
            .env("REGAUTH_KEYUTILS_NAMESPACE", ns);
        command
    });
    let ns = &nobody.name;
    let as_nobody = |action: &str, input: &str| call(nobody.helper(), action, input);
    let body = r#"{"ServerURL":"127.0.0.1:65002","Username":"nobody","Secret":"nobody-secret-3"}"#;
    let stored = as_nobody("store", body);
    assert_eq!(stored.code, 0, "{stored:?}");
    let got = as_nobody("get", "127.0.0.1:65002");
    assert_eq!(got.code, 0, "{got:?}");
    assert!(got.stdout.contains("nobody-secret-3"));
    // root's keyring does not have it: the entry is in nobody's own persistent keyring.
    let as_root = call(helper(ns), "get", "127.0.0.1:65002");
    assert_eq!((as_root.code, as_root.stdout.trim()), (1, NOT_FOUND), "{as_root:?}");
    assert_eq!(as_nobody("erase", "127.0.0.1:65002").code, 0);
    let gone = as_nobody("get", "127.0.0.1:65002");
    assert_eq!((gone.code, gone.stdout.trim()), (1, NOT_FOUND), "{gone:?}");
}

#[test]
fn the_namespace_guard_erases_what_a_failing_test_left() {
    let (sender, receiver) = std::sync::mpsc::channel();
    let failed = std::thread::spawn(move || {
        let ns = KeyutilsNamespace::new("guard");
        sender.send(ns.name.clone()).unwrap();
        let body =
            r#"{"ServerURL":"guard.regauth-test.invalid","Username":"ivan","Secret":"guard-secret-4"}"#;
        assert_eq!(call(ns.helper(), "store", body).code, 0);
        panic!("an assertion fails after the store");
    })
    .join();
    assert!(failed.is_err(), "the test body panicked");
    let name = receiver.recv().unwrap();
    let left = call(helper(&name), "list", "");
    assert_eq!((left.code, left.stdout.trim()), (0, "{}"), "the guard left entries behind");
}

#[test]
fn a_damaged_entry_is_skipped_by_list_with_a_note_not_a_failure() {
    let Some(keyctl) = support::need_program("keyctl") else { return };
    let guard = KeyutilsNamespace::new("damaged");
    let ns = &guard.name;
    let body =
        r#"{"ServerURL":"good.regauth-test.invalid","Username":"judy","Secret":"damaged-test-secret"}"#;
    assert_eq!(call(helper(ns), "store", body).code, 0);
    // A key with our prefix whose payload has no NUL between username and secret, as a hand-made
    // `keyctl padd` would leave. The guard lists before erasing and so never sees it: erase it here.
    let damaged = "damaged.regauth-test.invalid";
    struct EraseDamaged<'a>(&'a str, &'a str);
    impl Drop for EraseDamaged<'_> {
        fn drop(&mut self) {
            let _ = call(helper(self.0), "erase", self.1);
        }
    }
    let _erase = EraseDamaged(ns, damaged);
    // One session keyring for both keyctl calls, so that the persistent keyring is possessed when written.
    let planted = clean(&keyctl)
        .args(["session", "-", "sh", "-c"])
        .arg(r#"printf no-separator | "$0" padd user "$1" "$("$0" get_persistent @s)""#)
        .arg(&keyctl)
        .arg(format!("regauth@{ns}:docker-credential:{damaged}"))
        .output()
        .unwrap();
    assert!(planted.status.success(), "keyctl padd: {}", String::from_utf8_lossy(&planted.stderr));

    let listed = call(helper(ns), "list", "");
    assert_eq!((listed.code, listed.stdout.trim()), (0, r#"{"good.regauth-test.invalid":"judy"}"#));
    assert_eq!(
        listed.stderr.trim(),
        format!(
            "docker-credential-regauth-keyutils: skipped the keyring entry for {damaged}: its payload is not \
             username NUL secret (erase it, or store it again)"
        )
    );
    // get names the damage; erase removes it.
    let got = call(helper(ns), "get", damaged);
    assert_eq!((got.code, got.stdout.trim()), (1, "a regauth keyring entry is not in the expected format"));
    assert_eq!(call(helper(ns), "erase", damaged).code, 0);
    assert_eq!(call(helper(ns), "list", "").stderr, "");
}

#[test]
fn a_nul_in_a_server_url_is_named_and_errors_never_repeat_the_os_text() {
    let ns = KeyutilsNamespace::new("nul");
    let answer = call(ns.helper(), "get", "a\0b");
    assert_eq!((answer.code, answer.stdout.as_str()), (1, "server URL contains a NUL byte\n"));
    // A blocked keyctl: the OS text appears once.
    use std::os::unix::process::CommandExt;
    let mut command = helper(&ns.name);
    // SAFETY: only async-signal-safe prctl(2) calls between fork and exec.
    unsafe { command.pre_exec(block_keyctl) };
    let answer = call(command, "get", "ghcr.io");
    assert_eq!(answer.stdout.matches("Operation not permitted").count(), 1, "{answer:?}");
}

#[test]
fn list_answers_while_stdin_stays_open() {
    // Typed at a terminal, nobody ends the input: list must not wait for it.
    use std::process::Stdio;
    let ns = KeyutilsNamespace::new("tty");
    let mut child = ns.helper().arg("list").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let _stdin = child.stdin.take(); // held open until the end of the test
    let (tx, rx) = std::sync::mpsc::channel();
    let mut stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        let mut out = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut out);
        let _ = tx.send(out);
    });
    let answer = rx.recv_timeout(std::time::Duration::from_secs(60));
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(answer.expect("list waited for its input to end").trim(), "{}");
}
