//! A conformance suite for any `docker-credential-*` program: does it answer the way docker's clients
//! expect (shared/reference/helper-protocol.md)? Used by `regauth helper-test`.
//!
//! Every check uses server URLs unique to this run under `.invalid` (a name that can never resolve), and
//! the suite erases what it stored before it returns. Secrets are throwaway values; they are still kept out
//! of every reported detail.

use regauth_core::protocol::{decode_credentials, HelperClient, HelperError, RawAnswer};
use regauth_core::protocol::{ERR_CREDENTIALS_NOT_FOUND, ERR_MISSING_SERVER_URL, ERR_MISSING_USERNAME};
use regauth_core::sanitize::one_line;
use regauth_core::secret::{redact_all, Secret};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// Size of the large secret: below the kernel keyring's 32767-byte entry limit, far above real tokens.
pub const LARGE_SECRET_BYTES: usize = 30_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    Skip,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    pub name: &'static str,
    pub outcome: Outcome,
    /// Why it failed or was skipped; empty on a pass.
    pub detail: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub program: String,
    /// Whether store-based checks were skipped because the helper refuses to store.
    pub read_only: bool,
    pub checks: Vec<Check>,
}

impl Report {
    pub fn count(&self, outcome: Outcome) -> usize {
        self.checks.iter().filter(|c| c.outcome == outcome).count()
    }

    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }
}

/// Run every check against `client`'s program. `read_only`: expect `store` to be refused (it is also
/// detected from the first refusal that says "read-only").
pub fn run(client: &HelperClient, read_only: bool) -> Result<Report, HelperError> {
    if client.locate().is_none() {
        return Err(HelperError::Missing { program: client.program() });
    }
    let mut suite = Suite::new(client, read_only);
    suite.run_all()?;
    Ok(Report { program: client.program(), read_only: suite.read_only, checks: suite.checks })
}

type Verdict = Result<(), String>;

struct Suite<'a> {
    client: &'a HelperClient,
    read_only: bool,
    /// Unique to this run: `regauth-helper-test-<pid>-<time>.invalid`.
    base: String,
    used: Vec<String>,
    secrets: Vec<Secret>,
    checks: Vec<Check>,
    /// Failing calls whose stdout or stderr showed a secret: reported by the `no-secret-in-output` check.
    leaks: Vec<String>,
}

const USER: &str = "regauth-test-user";

impl<'a> Suite<'a> {
    fn new(client: &'a HelperClient, read_only: bool) -> Suite<'a> {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
        Suite {
            client,
            read_only,
            base: format!("regauth-helper-test-{}-{nanos:x}.invalid", std::process::id()),
            used: Vec::new(),
            secrets: Vec::new(),
            checks: Vec::new(),
            leaks: Vec::new(),
        }
    }

    fn url(&mut self, name: &str) -> String {
        let url = format!("https://{name}.{}", self.base);
        self.used.push(url.clone());
        url
    }

    fn secret(&mut self, value: String) -> Secret {
        let secret = Secret::new(value);
        self.secrets.push(secret.clone());
        secret
    }

    fn record(&mut self, name: &'static str, verdict: Verdict) {
        let (outcome, detail) = match verdict {
            Ok(()) => (Outcome::Pass, String::new()),
            Err(reason) => (Outcome::Fail, reason),
        };
        self.checks.push(Check { name, outcome, detail });
    }

    fn skip(&mut self, name: &'static str, why: &str) {
        self.checks.push(Check { name, outcome: Outcome::Skip, detail: why.to_owned() });
    }

    /// One call; stdout and stderr are checked for secrets when the call fails or writes to stderr.
    fn call(&mut self, action: &str, input: &str) -> Result<RawAnswer, HelperError> {
        let answer = self.client.run_raw(action, input.as_bytes())?;
        let exposed: Vec<&Secret> = self.secrets.iter().collect();
        let failed_stdout = if answer.exit_code == Some(0) { "" } else { answer.stdout.as_str() };
        for text in [failed_stdout, answer.stderr.as_str()] {
            if redact_all(text, &exposed) != text {
                self.leaks.push(format!("{action} printed a secret"));
            }
        }
        Ok(answer)
    }

    /// Describe an answer for a failure message: exit code and one line of output, secrets redacted.
    fn describe(&self, answer: &RawAnswer) -> String {
        let exposed: Vec<&Secret> = self.secrets.iter().collect();
        let out = redact_all(answer.stdout.trim(), &exposed);
        let exit = answer.exit_code.map_or("a signal".to_owned(), |c| format!("exit {c}"));
        if out.is_empty() {
            format!("{exit} with nothing on stdout")
        } else {
            format!("{exit} with stdout {:?}", one_line(&out))
        }
    }

    fn store(&mut self, body: &str) -> Result<Verdict, HelperError> {
        let answer = self.call("store", body)?;
        Ok(if answer.exit_code == Some(0) {
            Ok(())
        } else {
            Err(format!("store: {}", self.describe(&answer)))
        })
    }

    /// `get` must answer exit 0 with this username and secret.
    fn expect_get(
        &mut self,
        question: &str,
        username: &str,
        secret: &Secret,
    ) -> Result<Verdict, HelperError> {
        let answer = self.call("get", question)?;
        if answer.exit_code != Some(0) {
            return Ok(Err(format!("get: {}", self.describe(&answer))));
        }
        let creds = match decode_credentials(answer.stdout.as_bytes()) {
            Ok(creds) => creds,
            Err(e) => return Ok(Err(format!("get: answer is not credentials JSON: {e}"))),
        };
        Ok(if creds.username != username {
            Err(format!("get: Username {:?}, expected {username:?}", one_line(&creds.username)))
        } else if creds.secret != *secret {
            Err(format!(
                "get: Secret differs from the stored one ({} bytes, stored {})",
                creds.secret.len(),
                secret.len()
            ))
        } else {
            Ok(())
        })
    }

    /// `action` must fail with exactly `text` on stdout and exit 1.
    fn expect_error(&mut self, action: &str, input: &str, text: &str) -> Result<Verdict, HelperError> {
        let answer = self.call(action, input)?;
        Ok(if answer.exit_code == Some(1) && answer.stdout.trim() == text {
            Ok(())
        } else {
            Err(format!("expected exit 1 with {text:?}, got {}", self.describe(&answer)))
        })
    }

    fn round_trip(
        &mut self,
        name: &str,
        username: &str,
        body: impl Fn(&str, &str) -> String,
        secret: &Secret,
    ) -> Result<Verdict, HelperError> {
        let url = self.url(name);
        if let Err(e) = self.store(&body(&url, secret.expose()))? {
            return Ok(Err(e));
        }
        self.expect_get(&url, username, secret)
    }

    fn run_all(&mut self) -> Result<(), HelperError> {
        let version = self.call("version", "")?;
        let line = version.stdout.trim();
        let verdict = if version.exit_code == Some(0) && !line.is_empty() && !line.contains('\n') {
            Ok(())
        } else {
            Err(format!("version: {}", self.describe(&version)))
        };
        self.record("version", verdict);

        let missing = self.url("missing");
        let verdict = self.expect_error("get", &missing, ERR_CREDENTIALS_NOT_FOUND)?;
        self.record("get-missing-is-not-found", verdict);
        let verdict = self.expect_error("get", "", ERR_MISSING_SERVER_URL)?;
        self.record("get-without-server-url", verdict);
        let body = format!(r#"{{"Username":"{USER}","Secret":"x-secret-1"}}"#);
        let verdict = self.expect_error("store", &body, ERR_MISSING_SERVER_URL)?;
        self.record("store-without-server-url", verdict);
        let url = self.url("no-username");
        let verdict = self.expect_error(
            "store",
            &format!(r#"{{"ServerURL":"{url}","Secret":"x-secret-2"}}"#),
            ERR_MISSING_USERNAME,
        )?;
        self.record("store-without-username", verdict);

        let plain =
            |url: &str, secret: &str| credentials_json("ServerURL", "Username", "Secret", url, USER, secret);
        let main_url = self.url("main");
        let main_secret = self.secret(format!("regauth-test-secret-{}", self.base));
        let stored = self.call("store", &plain(&main_url, main_secret.expose()))?;
        if stored.exit_code != Some(0) && !self.read_only {
            self.read_only = stored.stdout.to_lowercase().contains("read-only")
                || stored.stdout.to_lowercase().contains("read only");
        }
        if self.read_only {
            self.read_only_checks(&stored);
        } else {
            self.store_checks(&stored, &main_url, &main_secret)?;
        }

        let leaks = std::mem::take(&mut self.leaks);
        let verdict = if leaks.is_empty() { Ok(()) } else { Err(leaks.join("; ")) };
        self.record("no-secret-in-output", verdict);
        Ok(())
    }

    fn read_only_checks(&mut self, stored: &RawAnswer) {
        let verdict = if stored.exit_code == Some(1)
            && !stored.stdout.trim().is_empty()
            && !stored.stdout.trim().contains('\n')
        {
            Ok(())
        } else {
            Err(format!(
                "a read-only helper must refuse store with exit 1 and one line: {}",
                self.describe(stored)
            ))
        };
        self.record("read-only-store-refused", verdict);
        let why = "the helper is read-only";
        for name in STORE_CHECKS {
            self.skip(name, why);
        }
    }

    fn store_checks(
        &mut self,
        stored: &RawAnswer,
        main_url: &str,
        main_secret: &Secret,
    ) -> Result<(), HelperError> {
        let verdict = match stored.exit_code {
            Some(0) => self.expect_get(main_url, USER, main_secret)?,
            _ => Err(format!("store: {}", self.describe(stored))),
        };
        self.record("store-then-get", verdict);

        let answer = self.call("list", "unused")?;
        let verdict = match serde_json::from_str::<BTreeMap<String, String>>(&answer.stdout) {
            _ if answer.exit_code != Some(0) => Err(format!("list: {}", self.describe(&answer))),
            Ok(listing) if listing.get(main_url).map(String::as_str) == Some(USER) => Ok(()),
            Ok(_) => Err(format!("list does not show {main_url} -> {USER}")),
            Err(e) => Err(format!("list is not a JSON object of strings: {e}")),
        };
        self.record("list-shows-stored", verdict);

        let verdict = self.expect_get(&format!("  {main_url} \n"), USER, main_secret)?;
        self.record("get-trims-whitespace", verdict);

        let token = self.secret(format!("regauth-test-refresh-token-{}", self.base));
        // Clients send the username as Go escapes it: \u003ctoken\u003e.
        let escaped = |url: &str, secret: &str| {
            credentials_json("ServerURL", "Username", "Secret", url, "\\u003ctoken\\u003e", secret)
        };
        let verdict = self.round_trip("token", "<token>", escaped, &token)?;
        self.record("identity-token", verdict);

        let secret = self.secret(format!("regauth-test-lower-{}", self.base));
        let lower =
            |url: &str, secret: &str| credentials_json("serverurl", "USERNAME", "secret", url, USER, secret);
        let verdict = self.round_trip("case", USER, lower, &secret)?;
        self.record("case-insensitive-fields", verdict);

        let large = self.secret("L".repeat(LARGE_SECRET_BYTES - 8) + "-regauth");
        let plain =
            |url: &str, secret: &str| credentials_json("ServerURL", "Username", "Secret", url, USER, secret);
        let verdict = self.round_trip("large", USER, plain, &large)?;
        self.record("large-secret", verdict);

        let unicode = self.secret(format!("pässwörd-密码-🔑-\"\\<>&-{}", self.base));
        let verdict = self.round_trip("unicode", USER, plain, &unicode)?;
        self.record("unicode-secret", verdict);

        let answer = self.call("erase", main_url)?;
        let verdict = if answer.exit_code == Some(0) {
            self.expect_error("get", main_url, ERR_CREDENTIALS_NOT_FOUND)?
                .map_err(|e| format!("get after erase: {e}"))
        } else {
            Err(format!("erase: {}", self.describe(&answer)))
        };
        self.record("erase-then-get-is-not-found", verdict);

        self.cleanup()
    }

    /// Erase everything this run may have stored, then make sure `list` shows none of it.
    fn cleanup(&mut self) -> Result<(), HelperError> {
        for url in self.used.clone() {
            self.call("erase", &url)?;
        }
        let answer = self.call("list", "unused")?;
        let left: Vec<String> = serde_json::from_str::<BTreeMap<String, String>>(&answer.stdout)
            .map(|l| l.into_keys().filter(|k| k.contains(&self.base)).collect())
            .unwrap_or_default();
        let verdict = if left.is_empty() {
            Ok(())
        } else {
            Err(format!("still listed after erase: {}", left.join(", ")))
        };
        self.record("cleanup", verdict);
        Ok(())
    }
}

/// Checks that need a helper that stores.
const STORE_CHECKS: [&str; 9] = [
    "store-then-get",
    "list-shows-stored",
    "get-trims-whitespace",
    "identity-token",
    "case-insensitive-fields",
    "large-secret",
    "unicode-secret",
    "erase-then-get-is-not-found",
    "cleanup",
];

/// A `store` body with chosen field names; `username` is inserted as JSON text (it may hold escapes).
fn credentials_json(
    url_field: &str,
    user_field: &str,
    secret_field: &str,
    url: &str,
    username: &str,
    secret: &str,
) -> String {
    let secret = serde_json::to_string(secret).expect("a string always serialises");
    format!(r#"{{"{url_field}":"{url}","{user_field}":"{username}","{secret_field}":{secret}}}"#) + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::time::Duration;

    fn script(dir: &Path, name: &str, body: &str) -> HelperClient {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(format!("docker-credential-{name}"));
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        HelperClient::new(name, Some(dir.as_os_str().to_owned()), Duration::from_secs(5))
    }

    #[test]
    fn a_helper_that_answers_empty_credentials_fails_the_not_found_check() {
        let dir = tempfile::tempdir().unwrap();
        // Like docker-credential-pass 0.6.4: exit 0 with empty fields for anything.
        let client = script(
            dir.path(),
            "emptyget",
            r#"case "$1" in
              get) printf '{"ServerURL":"x","Username":"","Secret":""}\n';;
              list) echo '{}';;
              version) echo 1;;
            esac"#,
        );
        let report = run(&client, false).unwrap();
        let check = report.check("get-missing-is-not-found").unwrap();
        assert_eq!(check.outcome, Outcome::Fail, "{check:?}");
        assert!(check.detail.contains("exit 0"), "{}", check.detail);
        assert_eq!(report.check("store-then-get").unwrap().outcome, Outcome::Fail);
    }

    #[test]
    fn a_refusing_helper_is_read_only_and_its_store_checks_skip() {
        let dir = tempfile::tempdir().unwrap();
        let client = script(
            dir.path(),
            "ro",
            r#"read -r input; case "$1" in
              get)
                if [ -z "$input" ]; then echo 'no credentials server URL'
                else echo 'credentials not found in native keychain'; fi
                exit 1;;
              store)
                case "$input" in
                  *ServerURL*Username*) echo 'this helper is read-only';;
                  *ServerURL*) echo 'no credentials username';;
                  *) echo 'no credentials server URL';;
                esac
                exit 1;;
              list) echo '{}';; version) echo 1;; esac"#,
        );
        let report = run(&client, false).unwrap();
        assert!(report.read_only);
        assert_eq!(report.count(Outcome::Fail), 0, "{:#?}", report.checks);
        assert_eq!(report.count(Outcome::Skip), STORE_CHECKS.len());
    }

    #[test]
    fn a_missing_helper_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let client = HelperClient::new(
            "nothing-here",
            Some(dir.path().as_os_str().to_owned()),
            Duration::from_secs(1),
        );
        assert!(matches!(run(&client, false), Err(HelperError::Missing { .. })));
    }
}
