//! `regauth resolve --client nerdctl` against the real nerdctl v2.2.1 (on a real containerd), over a table of
//! configurations: logging helpers record which helper nerdctl asked with which key, and a registry on
//! 127.0.0.1 whose token endpoint records the username nerdctl sent (Basic on GET, the form on POST, or a
//! refresh token) and refuses it, so `nerdctl pull` stops there. A row's observed outcome (who was sent,
//! which helper answered with which key, or nerdctl stopped before the token endpoint, or hung on a helper)
//! must equal regauth's prediction; the test names every row that differs.

mod support;

use base64::Engine;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::containerd::{output_within, Containerd};
use support::http_server::{Request, Response, Server};

/// One configuration. In texts `{H}` is the registry's host:port, `{D}` the row's HOME, `{a:USER}` base64
/// of `USER:pw`.
struct Row {
    name: &'static str,
    /// config.json's text (`None`: no file).
    config: Option<&'static str>,
    env: &'static [(&'static str, &'static str)],
    /// Other files under HOME.
    files: &'static [(&'static str, &'static str)],
}

const fn row(name: &'static str, config: &'static str) -> Row {
    Row { name, config: Some(config), env: &[], files: &[] }
}

const ROWS: &[Row] = &[
    row("auths-host-port", r#"{"auths":{"{H}":{"auth":"{a:plain}"}}}"#),
    row("auths-https-key", r#"{"auths":{"https://{H}":{"auth":"{a:https}"}}}"#),
    row("auths-http-key", r#"{"auths":{"http://{H}":{"auth":"{a:http}"}}}"#),
    row("auths-legacy-v1-path", r#"{"auths":{"https://{H}/v1/":{"auth":"{a:legacy}"}}}"#),
    row("auths-legacy-v2-path", r#"{"auths":{"http://{H}/v2/":{"auth":"{a:legacy}"}}}"#),
    row(
        "auths-exact-before-https",
        r#"{"auths":{"https://{H}":{"auth":"{a:https}"},"{H}":{"auth":"{a:exact}"}}}"#,
    ),
    // Two URL keys of one host both match the legacy fallback, which walks a Go map (chance decides): only
    // rows whose answer does not depend on that order belong here.
    row("empty-https-entry-then-http", r#"{"auths":{"https://{H}":{},"http://{H}":{"auth":"{a:http}"}}}"#),
    row("empty-config", r#"{}"#),
    Row { name: "no-config-file", config: None, env: &[], files: &[] },
    row("auths-other-port", r#"{"auths":{"127.0.0.1:1":{"auth":"{a:other}"}}}"#),
    row("auths-host-without-port", r#"{"auths":{"127.0.0.1":{"auth":"{a:bare}"}}}"#),
    row("username-password-fields", r#"{"auths":{"{H}":{"username":"fields","password":"pw"}}}"#),
    row("auth-empty-password", r#"{"auths":{"{H}":{"auth":"ZW1wdHlwdzo="}}}"#),
    row("identity-token-with-auth", r#"{"auths":{"{H}":{"auth":"{a:idt}","identitytoken":"refresh-1"}}}"#),
    row("identity-token-only", r#"{"auths":{"{H}":{"identitytoken":"refresh-2"}}}"#),
    row("registry-token-only", r#"{"auths":{"{H}":{"registrytoken":"bearer-3"}}}"#),
    row("empty-entry-then-https", r#"{"auths":{"{H}":{},"https://{H}":{"auth":"{a:https}"}}}"#),
    row("email-only-then-http", r#"{"auths":{"{H}":{"email":"a@b"},"http://{H}":{"auth":"{a:http}"}}}"#),
    row("auth-not-base64", r#"{"auths":{"{H}":{"auth":"!!not base64!!"}}}"#),
    row("auth-without-colon", r#"{"auths":{"{H}":{"auth":"bm9jb2xvbg=="}}}"#),
    row("malformed-json", r#"{"auths":{"#),
    row("cred-helpers-found", r#"{"credHelpers":{"{H}":"loga"}}"#),
    row("cred-helpers-https-key", r#"{"credHelpers":{"https://{H}":"loga"}}"#),
    row("cred-helpers-http-key", r#"{"credHelpers":{"http://{H}":"logb"}}"#),
    row("cred-helpers-bare-host-not-asked", r#"{"credHelpers":{"127.0.0.1":"loga"}}"#),
    row(
        "cred-helpers-not-found-same-key-auths",
        r#"{"credHelpers":{"{H}":"nf"},"auths":{"{H}":{"auth":"{a:file}"}}}"#,
    ),
    row(
        "cred-helpers-not-found-https-auths",
        r#"{"credHelpers":{"{H}":"nf"},"auths":{"https://{H}":{"auth":"{a:https}"}}}"#,
    ),
    row(
        "cred-helpers-failing-then-https-auths",
        r#"{"credHelpers":{"{H}":"broken"},"auths":{"https://{H}":{"auth":"{a:https}"}}}"#,
    ),
    row("cred-helpers-failing-first-key-only", r#"{"credHelpers":{"{H}":"broken"}}"#),
    row("cred-helpers-failing-last-key", r#"{"credHelpers":{"http://{H}":"broken"}}"#),
    row("cred-helpers-missing-program", r#"{"credHelpers":{"{H}":"nothere"}}"#),
    row("cred-helpers-before-creds-store", r#"{"credHelpers":{"{H}":"logb"},"credsStore":"loga"}"#),
    row(
        "creds-store-before-cred-helpers-https",
        r#"{"credHelpers":{"https://{H}":"logb"},"credsStore":"loga"}"#,
    ),
    row("cred-helpers-not-found-then-creds-store", r#"{"credHelpers":{"{H}":"nf"},"credsStore":"loga"}"#),
    row("creds-store-found", r#"{"credsStore":"loga"}"#),
    row("creds-store-not-found", r#"{"credsStore":"nf"}"#),
    row("creds-store-not-found-auths-unread", r#"{"credsStore":"nf","auths":{"{H}":{"auth":"{a:file}"}}}"#),
    row("creds-store-failing", r#"{"credsStore":"broken"}"#),
    row("creds-store-missing-program", r#"{"credsStore":"nothere"}"#),
    row("creds-store-empty-answer", r#"{"credsStore":"empty"}"#),
    row("creds-store-identity-token", r#"{"credsStore":"token"}"#),
    row("cred-helpers-hang", r#"{"credHelpers":{"{H}":"hang"}}"#),
    row("creds-store-hang", r#"{"credsStore":"hang"}"#),
    Row {
        name: "docker-auth-config",
        config: None,
        env: &[("DOCKER_AUTH_CONFIG", r#"{"auths":{"{H}":{"auth":"{a:env}"}}}"#)],
        files: &[],
    },
    Row {
        name: "docker-auth-config-before-creds-store",
        config: Some(r#"{"credsStore":"loga"}"#),
        env: &[("DOCKER_AUTH_CONFIG", r#"{"auths":{"{H}":{"auth":"{a:env}"}}}"#)],
        files: &[],
    },
    Row {
        name: "docker-auth-config-https-key-after-file",
        config: Some(r#"{"auths":{"{H}":{"auth":"{a:file}"}}}"#),
        env: &[("DOCKER_AUTH_CONFIG", r#"{"auths":{"https://{H}":{"auth":"{a:env}"}}}"#)],
        files: &[],
    },
    Row {
        name: "docker-config-dir",
        config: Some(r#"{"auths":{"{H}":{"auth":"{a:home}"}}}"#),
        env: &[("DOCKER_CONFIG", "{D}/dc")],
        files: &[("dc/config.json", r#"{"auths":{"{H}":{"auth":"{a:dc}"}}}"#)],
    },
    Row {
        name: "docker-config-dir-without-file",
        config: Some(r#"{"auths":{"{H}":{"auth":"{a:home}"}}}"#),
        env: &[("DOCKER_CONFIG", "{D}/nowhere")],
        files: &[],
    },
];

/// What nerdctl did, or what regauth predicts it does.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    /// The username sent to the token endpoint (`<refresh token>` for an identity token; `None`: anonymous).
    user: Option<String>,
    /// The answering helper asked last, and the key (`None`: no helper answered).
    helper: Option<(String, String)>,
    /// `asked-token`, `stopped` (before the token endpoint: a configuration or helper error) or `hung`.
    end: &'static str,
}

struct Bed {
    ctd: Containerd,
    dir: tempfile::TempDir,
    registry: Server,
    asked: Arc<Mutex<Vec<Option<String>>>>,
}

fn basic_user(header: &str) -> Option<String> {
    let encoded = header.strip_prefix("Basic ")?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    Some(String::from_utf8(bytes).ok()?.split_once(':')?.0.to_owned())
}

/// Who asked the token endpoint: Basic user, a password grant's username, or a refresh token.
fn token_user(request: &Request) -> Option<String> {
    if let Some(user) = request.header("authorization").and_then(basic_user) {
        return Some(user);
    }
    let form: Vec<(String, String)> = reqwest::Url::parse(&format!("http://x/?{}", request.body))
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    match get("grant_type").as_deref() {
        Some("refresh_token") => Some("<refresh token>".into()),
        Some("password") => get("username"),
        _ => None,
    }
}

impl Bed {
    fn start() -> Option<Bed> {
        let ctd = Containerd::start()?;
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = asked.clone();
        let port = Arc::new(Mutex::new(0u16));
        let realm_port = port.clone();
        let registry = Server::start(move |request| {
            if request.path() == "/token" {
                log.lock().unwrap().push(token_user(request));
                return Response {
                    status: 401,
                    body: r#"{"details":"refused by the test"}"#.into(),
                    headers: vec![],
                };
            }
            let realm = format!("http://127.0.0.1:{}/token", realm_port.lock().unwrap());
            Response {
                status: 401,
                body: r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#.into(),
                headers: vec![(
                    "WWW-Authenticate",
                    format!(
                        r#"Bearer realm="{realm}",service="differential",scope="repository:team/app:pull""#
                    ),
                )],
            }
        });
        *port.lock().unwrap() = registry.port;
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let log = dir.path().join("helpers.log");
        let log = log.display();
        let logged = |name: &str, rest: &str| {
            support::write_script(
                &bin.join(format!("docker-credential-{name}")),
                &format!("key=$(cat)\necho \"{name} $1 $key\" >> {log}\n{rest}"),
            )
        };
        for name in ["loga", "logb"] {
            logged(
                name,
                &format!("[ \"$1\" = get ] || exit 0\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"{name}\",\"Secret\":\"pw\"}}\\n' \"$key\""),
            );
        }
        logged("nf", "echo 'credentials not found in native keychain'\nexit 1");
        logged("broken", "echo 'backend down'\nexit 1");
        logged("empty", "printf '{\"ServerURL\":\"%s\",\"Username\":\"\",\"Secret\":\"\"}\\n' \"$key\"");
        logged(
            "token",
            "printf '{\"ServerURL\":\"%s\",\"Username\":\"<token>\",\"Secret\":\"refresh-4\"}\\n' \"$key\"",
        );
        logged("hang", "exec sleep 60");
        Some(Bed { ctd, dir, registry, asked })
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.registry.port)
    }

    fn fill(&self, text: &str, home: &Path) -> String {
        let mut out = text.replace("{H}", &self.host()).replace("{D}", home.to_str().unwrap());
        while let Some(start) = out.find("{a:") {
            let end = start + out[start..].find('}').unwrap();
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{}:pw", &out[start + 3..end]));
            out.replace_range(start..=end, &encoded);
        }
        out
    }

    fn home(&self, index: usize, row: &Row) -> PathBuf {
        let home = self.dir.path().join(format!("r{index}"));
        std::fs::create_dir_all(home.join(".docker")).unwrap();
        if let Some(config) = row.config {
            std::fs::write(home.join(".docker/config.json"), self.fill(config, &home)).unwrap();
        }
        for (path, text) in row.files {
            let path = home.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, self.fill(text, &home)).unwrap();
        }
        home
    }

    fn path(&self) -> std::ffi::OsString {
        support::path_with(&self.dir.path().join("bin"))
    }

    /// The row's environment on `c` (DOCKER_CONFIG defaults to HOME/.docker, as for both programs).
    fn env(&self, c: &mut Command, home: &Path, row: &Row) {
        c.env("HOME", home).env_remove("DOCKER_CONFIG");
        for (name, value) in row.env {
            c.env(name, self.fill(value, home));
        }
    }

    fn run_nerdctl(&self, home: &Path, row: &Row) -> (Seen, Output) {
        let _ = std::fs::remove_file(self.log());
        self.asked.lock().unwrap().clear();
        let mut c = self.ctd.nerdctl(home, &self.path());
        self.env(&mut c, home, row);
        c.args(["pull", &format!("{}/team/app:v1", self.host())]);
        let out = output_within(&mut c, Duration::from_secs(6));
        let asked = self.asked.lock().unwrap().clone();
        let end = if out.status.code().is_none() {
            "hung"
        } else if asked.is_empty() {
            "stopped"
        } else {
            "asked-token"
        };
        let user = asked.into_iter().flatten().next();
        (Seen { user, helper: self.answered().pop(), end }, out)
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("helpers.log")
    }

    /// (helper, key) of each `get` that a helper with an answer (loga, logb, token) was asked.
    fn answered(&self) -> Vec<(String, String)> {
        let text = std::fs::read_to_string(self.log()).unwrap_or_default();
        text.lines()
            .filter_map(|l| {
                let mut parts = l.splitn(3, ' ');
                let (name, action, key) = (parts.next()?, parts.next()?, parts.next()?);
                let answers = name.starts_with("log") || name == "token";
                (action == "get" && answers).then(|| (name.to_owned(), key.to_owned()))
            })
            .collect()
    }

    fn predict(&self, home: &Path, row: &Row) -> (Seen, serde_json::Value) {
        let mut c = support::command::regauth();
        c.env("PATH", self.path());
        self.env(&mut c, home, row);
        let image = format!("{}/team/app:v1", self.host());
        let out = c
            .args(["resolve", &image, "--client", "nerdctl", "--json", "--helper-timeout", "2"])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{}: resolve printed no JSON ({e}): {out:?}", row.name));
        let p = v["clients"][0].clone();
        let status = p["outcome"]["status"].as_str().unwrap_or_default();
        let user = (status == "found").then(|| match p["outcome"]["kind"].as_str() {
            Some("identityToken") => "<refresh token>".to_owned(),
            _ => p["outcome"]["username"].as_str().unwrap().to_owned(),
        });
        let from_helper = matches!(p["source"].as_str(), Some("credHelpers" | "credsStore"));
        let helper = (status == "found" && from_helper).then(|| {
            (p["helper"]["name"].as_str().unwrap().to_owned(), p["key"].as_str().unwrap().to_owned())
        });
        let end = match status {
            "found" | "notFound" => "asked-token",
            "helperTimedOut" => "hung",
            _ => "stopped",
        };
        (Seen { user, helper, end }, p)
    }
}

#[test]
fn nerdctl_does_what_resolve_predicts_in_every_row() {
    let Some(bed) = Bed::start() else { return };
    assert!(ROWS.len() >= 40, "the corpus shrank to {}", ROWS.len());
    let mut failures = Vec::new();
    for (index, row) in ROWS.iter().enumerate() {
        let home = bed.home(index, row);
        let (real, out) = bed.run_nerdctl(&home, row);
        let (predicted, json) = bed.predict(&home, row);
        eprintln!("nerdctl {}: real {real:?}, predicted {predicted:?}", row.name);
        if real != predicted {
            failures.push(format!(
                "{}: nerdctl did {real:?}, regauth predicted {predicted:?}\n  resolve: {json}\n  nerdctl: {}",
                row.name,
                String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or_default()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows differ:\n{}",
        failures.len(),
        ROWS.len(),
        failures.join("\n")
    );
}
