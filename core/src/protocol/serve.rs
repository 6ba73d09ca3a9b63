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
/// `args` excludes the program name. Errors go to stdout as one line, as docker's clients expect.
pub fn serve(
    info: &HelperInfo,
    args: &[String],
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    store: &dyn Store,
) -> i32 {
    let result = match args {
        [one] if one == "--help" || one == "-h" || one == "help" => write_out(stdout, info.help).map(|_| 0),
        [one] => match Action::parse(one) {
            Some(action) => run(info, action, stdin, stdout, store).map(|_| 0),
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
                Err(e) => Err(e.to_string()),
            }
        }
        Action::List => {
            // Input is ignored (`unused` from docker, empty from docker-py); read it so the writer never
            // sees a broken pipe.
            let _ = read_input(stdin);
            let listing = store.list().map_err(|e| e.to_string())?;
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
    Ok(url.to_owned())
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

    #[test]
    fn failed_store_message_never_contains_the_secret() {
        let s = MemoryStore::new();
        let (code, out) = call(&s, &["store"], r#"{"ServerURL":"h","Username":"","Secret":"sup3rsecret"}"#);
        assert_eq!(code, 1);
        assert!(!out.contains("sup3rsecret"));
    }
}
