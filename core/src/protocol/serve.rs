//! The serve loop every helper binary calls: one action from argv, input from stdin, one answer on stdout.
//!
//! stdio are parameters so the whole protocol is tested without spawning a process.

use super::store::{Store, StoreError};
use super::wire::{self, decode_credentials, go_json_string, MAX_INPUT};
use super::{ERR_MISSING_SERVER_URL, ERR_MISSING_USERNAME};
use std::io::{Read, Write};

/// The protocol's actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Store,
    Get,
    Erase,
    List,
    Version,
}

impl Action {
    pub fn parse(word: &str) -> Option<Action> {
        Some(match word {
            "store" => Action::Store,
            "get" => Action::Get,
            "erase" => Action::Erase,
            "list" => Action::List,
            "version" | "--version" | "-v" => Action::Version,
            _ => return None,
        })
    }
}

/// What a helper binary says about itself.
#[derive(Debug, Clone, Copy)]
pub struct HelperInfo<'a> {
    /// Program name, `docker-credential-regauth-keyutils`.
    pub name: &'a str,
    pub version: &'a str,
    /// Full `--help` text: usage, the store's limits, exit codes.
    pub help: &'a str,
}

/// Run one helper invocation and return the process exit code (0 or 1).
///
/// `args` excludes the program name. Errors go to stdout as one line, as docker's clients expect; notes
/// that are not the answer (an entry `list` skipped, an `erase` a read-only store could not do) go to this
/// process's stderr, which clients pass through to the user.
pub fn serve(
    info: &HelperInfo,
    args: &[String],
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    store: &dyn Store,
) -> i32 {
    serve_with_notes(info, args, stdin, stdout, &mut std::io::stderr(), store)
}

/// [`serve`] with the stream notes go to.
pub fn serve_with_notes(
    info: &HelperInfo,
    args: &[String],
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    notes: &mut dyn Write,
    store: &dyn Store,
) -> i32 {
    let mut note = |text: &str| {
        // A closed stderr loses a note, never the answer.
        let _ = writeln!(notes, "{}: {}", info.name, crate::sanitize::one_line(text));
    };
    let result = match args {
        [one] if one == "--help" || one == "-h" || one == "help" => write_out(stdout, info.help).map(|_| 0),
        [one] => match Action::parse(one) {
            Some(action) => run(info, action, stdin, stdout, &mut note, store).map(|_| 0),
            None => Err(format!(
                "{}: unknown action {:?}; expected one of store, get, erase, list, version (see --help)",
                info.name,
                crate::sanitize::one_line(one)
            )),
        },
        _ => Err(format!(
            "{}: expected exactly one argument: store, get, erase, list or version (see --help)",
            info.name
        )),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            // A closed stdout leaves nothing else to tell: exit 1 says it.
            let _ = writeln!(stdout, "{message}");
            let _ = stdout.flush();
            1
        }
    }
}

fn run(
    info: &HelperInfo,
    action: Action,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    note: &mut dyn FnMut(&str),
    store: &dyn Store,
) -> Result<(), String> {
    match action {
        Action::Version => write_out(stdout, &format!("{} {}\n", info.name, info.version)),
        Action::Store => {
            let input = read_input(stdin)?;
            let creds = decode_credentials(&input).map_err(|e| format!("store: {e}"))?;
            if creds.server_url.trim().is_empty() {
                return Err(ERR_MISSING_SERVER_URL.into());
            }
            if creds.username.is_empty() {
                return Err(ERR_MISSING_USERNAME.into());
            }
            check_no_nul("server URL", &creds.server_url)?;
            check_no_nul("username", &creds.username)?;
            store.store(&creds).map_err(|e| e.to_string())
        }
        Action::Get => {
            let server_url = read_server_url(stdin)?;
            let mut creds = store.get(&server_url).map_err(|e| e.to_string())?;
            // Clients match the answer to their question: echo the URL as asked.
            creds.server_url = server_url;
            write_out(stdout, &wire::encode_credentials(&creds))
        }
        Action::Erase => {
            let server_url = read_server_url(stdin)?;
            match store.erase(&server_url) {
                // Idempotent like secretservice and wincred: `docker logout` erases four key variants and
                // `podman logout --all` aborts on a not-found answer.
                Ok(()) | Err(StoreError::NotFound) => Ok(()),
                // Any failure of erase makes skopeo, podman and buildah on containers/image 5.23 crash
                // with a stack overflow on logout (not-found included); success is the one answer every
                // client handles. The store cannot change, so what stays is said on stderr.
                Err(StoreError::ReadOnly(why)) => {
                    note(&why);
                    Ok(())
                }
                Err(e) => Err(e.to_string()),
            }
        }
        Action::List => {
            // Input is ignored (`unused` from docker, empty from docker-py) and never read: typed at a
            // terminal, list answers at once like upstream helpers. Clients ignore a broken pipe on a
            // stdin the helper did not read.
            let listing = store.list_noting(note).map_err(|e| e.to_string())?;
            let body: Vec<String> = listing
                .iter()
                .map(|(url, user)| format!("{}:{}", go_json_string(url), go_json_string(user)))
                .collect();
            write_out(stdout, &format!("{{{}}}\n", body.join(",")))
        }
    }
}

fn read_input(stdin: &mut dyn Read) -> Result<Vec<u8>, String> {
    let mut input = Vec::new();
    stdin
        .take(MAX_INPUT as u64 + 1)
        .read_to_end(&mut input)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    if input.len() > MAX_INPUT {
        return Err(format!("input is longer than {MAX_INPUT} bytes"));
    }
    Ok(input)
}

fn read_server_url(stdin: &mut dyn Read) -> Result<String, String> {
    let input = read_input(stdin)?;
    let text = String::from_utf8(input).map_err(|_| "server URL is not valid UTF-8".to_string())?;
    let url = text.trim();
    if url.is_empty() {
        return Err(ERR_MISSING_SERVER_URL.into());
    }
    check_no_nul("server URL", url)?;
    Ok(url.to_owned())
}

/// No store can keep a NUL in a URL or username (kernel key descriptions and D-Bus strings end at one):
/// say so, before a backend reports it as something else.
fn check_no_nul(what: &str, text: &str) -> Result<(), String> {
    if text.contains('\0') {
        return Err(format!("{what} contains a NUL byte"));
    }
    Ok(())
}

fn write_out(stdout: &mut dyn Write, text: &str) -> Result<(), String> {
    stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
        .map_err(|e| format!("cannot write standard output: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::MemoryStore;
    use crate::protocol::ERR_CREDENTIALS_NOT_FOUND;

    const INFO: HelperInfo =
        HelperInfo { name: "docker-credential-test", version: "0.1.0", help: "help text\n" };

    fn call(store: &MemoryStore, args: &[&str], input: &str) -> (i32, String) {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let mut out = Vec::new();
        let code = serve(&INFO, &args, &mut input.as_bytes(), &mut out, store);
        (code, String::from_utf8(out).unwrap())
    }

    #[test]
    fn store_get_list_erase_round_trip() {
        let s = MemoryStore::new();
        let stored = r#"{"ServerURL":"127.0.0.1:5000","Username":"u","Secret":"p@ss"}"#;
        assert_eq!(call(&s, &["store"], stored), (0, String::new()));
        assert_eq!(
            call(&s, &["get"], "127.0.0.1:5000"),
            (0, "{\"ServerURL\":\"127.0.0.1:5000\",\"Username\":\"u\",\"Secret\":\"p@ss\"}\n".into())
        );
        // get trims whitespace, and answers with the URL as asked.
        assert_eq!(call(&s, &["get"], " 127.0.0.1:5000\n").0, 0);
        assert_eq!(call(&s, &["list"], "unused"), (0, "{\"127.0.0.1:5000\":\"u\"}\n".into()));
        assert_eq!(call(&s, &["erase"], "127.0.0.1:5000"), (0, String::new()));
        assert_eq!(call(&s, &["get"], "127.0.0.1:5000"), (1, format!("{ERR_CREDENTIALS_NOT_FOUND}\n")));
        assert_eq!(call(&s, &["list"], ""), (0, "{}\n".into()));
    }

    #[test]
    fn errors_use_dockers_exact_strings() {
        let s = MemoryStore::new();
        assert_eq!(
            call(&s, &["store"], r#"{"Username":"u","Secret":"x"}"#),
            (1, "no credentials server URL\n".into())
        );
        assert_eq!(
            call(&s, &["store"], r#"{"ServerURL":"h","Secret":"x"}"#),
            (1, "no credentials username\n".into())
        );
        assert_eq!(call(&s, &["get"], "  \n"), (1, "no credentials server URL\n".into()));
        assert_eq!(call(&s, &["erase"], ""), (1, "no credentials server URL\n".into()));
        assert_eq!(
            call(&s, &["get"], "nothing-here"),
            (1, "credentials not found in native keychain\n".into())
        );
    }

    #[test]
    fn erase_of_a_missing_entry_succeeds() {
        assert_eq!(call(&MemoryStore::new(), &["erase"], "never-stored"), (0, String::new()));
    }

    #[test]
    fn identity_tokens_round_trip_go_escaped() {
        let s = MemoryStore::new();
        let input = concat!(
            r#"{"ServerURL":"https://index.docker.io/v1/","#,
            r#""Username":"\u003ctoken\u003e","Secret":"refresh"}"#
        );
        assert_eq!(call(&s, &["store"], input).0, 0);
        let (_, out) = call(&s, &["get"], "https://index.docker.io/v1/");
        assert!(out.contains(r#""Username":"\u003ctoken\u003e""#), "{out}");
    }

    #[test]
    fn bad_arguments_and_inputs() {
        let s = MemoryStore::new();
        assert_eq!(call(&s, &[], "").0, 1);
        assert_eq!(call(&s, &["get", "extra"], "").0, 1);
        let (code, out) = call(&s, &["frobnicate"], "");
        assert_eq!(code, 1);
        assert!(out.contains("unknown action"), "{out}");
        assert_eq!(call(&s, &["version"], ""), (0, "docker-credential-test 0.1.0\n".into()));
        assert_eq!(call(&s, &["--help"], ""), (0, "help text\n".into()));
        let (code, out) = call(&s, &["store"], "{not json");
        assert_eq!(code, 1);
        assert!(out.starts_with("store: input is not valid JSON"), "{out}");
        assert_eq!(out.lines().count(), 1);
        let huge = format!("{{\"ServerURL\":\"{}\"}}", "x".repeat(MAX_INPUT + 10));
        assert!(call(&s, &["store"], &huge).1.contains("longer than"));
    }

    /// A stdin that must not be read: a terminal nobody types into.
    struct Untouchable;
    impl Read for Untouchable {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            panic!("list read standard input")
        }
    }

    #[test]
    fn list_answers_without_reading_stdin() {
        let s = MemoryStore::new();
        let mut out = Vec::new();
        assert_eq!(serve(&INFO, &["list".into()], &mut Untouchable, &mut out, &s), 0);
        assert_eq!(out, b"{}\n");
    }

    #[test]
    fn a_nul_in_a_server_url_or_username_is_named() {
        let s = MemoryStore::new();
        for action in ["get", "erase"] {
            assert_eq!(call(&s, &[action], "a\0b"), (1, "server URL contains a NUL byte\n".into()));
        }
        let body = r#"{"ServerURL":"a\u0000b","Username":"u","Secret":"s"}"#;
        assert_eq!(call(&s, &["store"], body), (1, "server URL contains a NUL byte\n".into()));
        let body = r#"{"ServerURL":"h","Username":"u\u0000v","Secret":"s"}"#;
        assert_eq!(call(&s, &["store"], body), (1, "username contains a NUL byte\n".into()));
        // A NUL in the secret is the store's business.
        let body = r#"{"ServerURL":"h","Username":"u","Secret":"s\u0000t"}"#;
        assert_eq!(call(&s, &["store"], body).0, 0);
    }

    /// A store that cannot change and has one entry, `held`.
    struct ReadOnly;
    impl Store for ReadOnly {
        fn store(&self, _: &crate::protocol::Credentials) -> Result<(), StoreError> {
            Err(StoreError::ReadOnly("read-only: cannot store".into()))
        }
        fn get(&self, _: &str) -> Result<crate::protocol::Credentials, StoreError> {
            Err(StoreError::NotFound)
        }
        fn erase(&self, url: &str) -> Result<(), StoreError> {
            match url {
                "held" => Err(StoreError::ReadOnly("read-only: held stays\u{1b}[2J".into())),
                _ => Err(StoreError::NotFound),
            }
        }
        fn list(&self) -> Result<super::super::Listing, StoreError> {
            Ok(Default::default())
        }
        fn list_noting(&self, note: &mut dyn FnMut(&str)) -> Result<super::super::Listing, StoreError> {
            note("skipped one");
            self.list()
        }
    }

    fn call_noting(args: &[&str], input: &str) -> (i32, String, String) {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let (mut out, mut notes) = (Vec::new(), Vec::new());
        let code = serve_with_notes(&INFO, &args, &mut input.as_bytes(), &mut out, &mut notes, &ReadOnly);
        (code, String::from_utf8(out).unwrap(), String::from_utf8(notes).unwrap())
    }

    #[test]
    fn a_read_only_store_answers_erase_with_success_and_a_note() {
        assert_eq!(call_noting(&["erase"], "other"), (0, String::new(), String::new()));
        let (code, out, notes) = call_noting(&["erase"], "held");
        assert_eq!((code, out.as_str()), (0, ""));
        assert_eq!(notes, "docker-credential-test: read-only: held stays\\u{1b}[2J\n");
        // store still fails: a login must not look as if it worked.
        assert_eq!(call_noting(&["store"], r#"{"ServerURL":"h","Username":"u","Secret":"s"}"#).0, 1);
        assert_eq!(
            call_noting(&["list"], ""),
            (0, "{}\n".into(), "docker-credential-test: skipped one\n".into())
        );
    }

    #[test]
    fn failed_store_message_never_contains_the_secret() {
        let s = MemoryStore::new();
        let (code, out) = call(&s, &["store"], r#"{"ServerURL":"h","Username":"","Secret":"sup3rsecret"}"#);
        assert_eq!(code, 1);
        assert!(!out.contains("sup3rsecret"));
    }
}
