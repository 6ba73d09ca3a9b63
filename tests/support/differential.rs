//! The bed of the differential tests against containerd and its clients (tests/resolve_nerdctl.rs,
//! tests/seed_buildkit.rs, tests/resolve_containerd.rs): a registry on 127.0.0.1 that answers every
//! request with a Bearer challenge whose token endpoint (on the same server) records who was sent (Basic
//! user, a password grant's username, or a refresh token) and refuses it; a bearer token sent to the
//! registry itself is a registry token, recorded as `<registry token>`; logging helpers (`loga`, `logb`
//! answer with their own name as user, `nf` has nothing, `broken` fails, `empty` answers empty, `token`
//! answers an identity token, `hang` never answers); and per-row homes with `{H}` (host:port), `{D}`
//! (HOME) and `{a:USER}` (base64 `USER:pw`) filled in. The registry's manifests answer 401 whatever is
//! sent, so the client stops at the token.

use super::http_server::{Request, Response, Server};
use base64::Engine;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// What a client did, or what regauth predicts it does.
#[derive(Debug, PartialEq, Eq)]
pub struct Seen {
    /// The username sent to the token endpoint (`<refresh token>` for an identity token, `<registry token>`
    /// for a bearer token sent to the registry as is; `None`: anonymous).
    pub user: Option<String>,
    /// The answering helper asked last, and the key (`None`: no helper answered).
    pub helper: Option<(String, String)>,
    /// `asked-token`, `stopped` (before the token endpoint: a configuration or helper error) or `hung`.
    pub end: &'static str,
}

pub struct Bed {
    pub dir: tempfile::TempDir,
    pub registry: Server,
    asked: Arc<Mutex<Vec<Option<String>>>>,
}

fn basic_user(header: &str) -> Option<String> {
    let encoded = header.strip_prefix("Basic ")?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    Some(String::from_utf8(bytes).ok()?.split_once(':')?.0.to_owned())
}

/// Who asked the token endpoint: Basic user, a password grant's username, or a refresh token.
fn token_user(request: &Request) -> Option<String> {
    if let Some(user) = request.header("authorization").and_then(basic_user).filter(|u| !u.is_empty()) {
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
        _ => request.header("authorization").map(|_| "<refresh token>".into()),
    }
}

impl Bed {
    pub fn start() -> Bed {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = asked.clone();
        let port = Arc::new(Mutex::new(0u16));
        let realm_port = port.clone();
        let registry = Server::start(move |request| {
            if request.path() == "/token" {
                log.lock().unwrap().push(token_user(request));
                let body = r#"{"details":"refused by the test"}"#.into();
                return Response { status: 401, body, headers: vec![] };
            }
            // The token endpoint refuses every token, so a bearer token here is a registry token sent as is.
            if request.header("authorization").is_some_and(|a| a.starts_with("Bearer ")) {
                log.lock().unwrap().push(Some("<registry token>".into()));
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
            super::write_script(
                &bin.join(format!("docker-credential-{name}")),
                &format!("key=$(cat)\necho \"{name} $1 $key\" >> {log}\n{rest}"),
            )
        };
        for name in ["loga", "logb"] {
            logged(
                name,
                &format!(
                    "[ \"$1\" = get ] || exit 0\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"{name}\",\"Secret\":\"pw\"}}\\n' \"$key\""
                ),
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
        Bed { dir, registry, asked }
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.registry.port)
    }

    pub fn fill(&self, text: &str, home: &Path) -> String {
        let mut out = text.replace("{H}", &self.host()).replace("{D}", home.to_str().unwrap());
        while let Some(start) = out.find("{a:") {
            let end = start + out[start..].find('}').unwrap();
            let user = &out[start + 3..end];
            let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:pw"));
            out.replace_range(start..=end, &encoded);
        }
        out
    }

    /// A fresh HOME for row `index`: `config` as .docker/config.json (when given) and `files` under it.
    pub fn home(&self, index: usize, config: Option<&str>, files: &[(&str, &str)]) -> PathBuf {
        let home = self.dir.path().join(format!("r{index}"));
        std::fs::create_dir_all(home.join(".docker")).unwrap();
        if let Some(config) = config {
            std::fs::write(home.join(".docker/config.json"), self.fill(config, &home)).unwrap();
        }
        for (path, text) in files {
            let path = home.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, self.fill(text, &home)).unwrap();
        }
        home
    }

    /// PATH with the logging helpers first, then our binaries and the system's.
    pub fn path(&self) -> std::ffi::OsString {
        let mut paths = vec![self.dir.path().join("bin"), super::helpers::bin_dir().to_path_buf()];
        paths.extend(std::env::split_paths(&super::command::system_path()));
        std::env::join_paths(paths).unwrap()
    }

    /// Forget what earlier rows recorded.
    pub fn reset(&self) {
        let _ = std::fs::remove_file(self.log());
        self.asked.lock().unwrap().clear();
    }

    /// What the client did since [`Bed::reset`], given whether it was killed at its deadline.
    pub fn seen(&self, hung: bool) -> Seen {
        let asked = self.asked.lock().unwrap().clone();
        let end = if hung {
            "hung"
        } else if asked.is_empty() {
            "stopped"
        } else {
            "asked-token"
        };
        let user = asked.into_iter().flatten().next();
        Seen { user, helper: self.answered().pop(), end }
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

    /// regauth's prediction for `client` from `resolve --json` (helper timeout 2 s) run by `command`.
    pub fn predict(
        &self,
        command: std::process::Command,
        client: &str,
        image: &str,
    ) -> (Seen, serde_json::Value) {
        self.predict_with(command, client, image, &[])
    }

    /// The same with more arguments for `resolve` (`--containerd-config FILE`).
    pub fn predict_with(
        &self,
        mut command: std::process::Command,
        client: &str,
        image: &str,
        more: &[&std::ffi::OsStr],
    ) -> (Seen, serde_json::Value) {
        let out = command
            .args(["resolve", image, "--client", client, "--json", "--helper-timeout", "2"])
            .args(more)
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("resolve printed no JSON ({e}): {out:?}"));
        let p = v["clients"][0].clone();
        let status = p["outcome"]["status"].as_str().unwrap_or_default();
        let user = (status == "found").then(|| match p["outcome"]["kind"].as_str() {
            Some("identityToken") => "<refresh token>".to_owned(),
            Some("registryToken") => "<registry token>".to_owned(),
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

/// A row's outcome in words, for docs/clients.md (ports written as PORT).
pub fn describe(seen: &Seen) -> String {
    let sent = match (&seen.user, seen.end) {
        (_, "hung") => "hangs on the helper".to_owned(),
        (_, "stopped") => "fails before asking for a token".to_owned(),
        (Some(user), _) => format!("sends `{user}`"),
        (None, _) => "goes anonymous".to_owned(),
    };
    let via = match &seen.helper {
        Some((helper, key)) => {
            format!(" (helper `{helper}`, key `{}`)", super::clients_doc::without_ports(key))
        }
        None => String::new(),
    };
    format!("{sent}{via}")
}

/// docs/clients.md rows of a differential test: every row agreed with regauth, or the test failed first.
pub fn doc_rows(client: &str, version: &str, seen: &[(&str, String)]) -> Vec<super::clients_doc::Row> {
    seen.iter()
        .map(|(case, did)| {
            [
                client.to_owned(),
                version.to_owned(),
                format!("`{case}`"),
                did.clone(),
                "the same (predicted)".to_owned(),
            ]
        })
        .collect()
}
