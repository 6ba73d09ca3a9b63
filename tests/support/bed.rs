//! A token-auth registry with its token server and one image (`team/app:v1`), and a way to run
//! `regauth` against it with a private HOME, so tests never read the machine's own config.

use super::certs::ServerCerts;
use super::registry::{push_image, Auth, Registry, Tls};
use super::token_server::{Policy, TokenServer, ISSUER};
use std::ffi::OsString;
use std::path::Path;
use std::process::Stdio;

pub struct TokenBed {
    pub tokens: TokenServer,
    pub registry: Registry,
}

impl TokenBed {
    /// `path` is the realm's path (`/token`; GitLab's is `/jwt/auth`).
    pub fn start(policy: Policy, path: &str, service: &str) -> Option<TokenBed> {
        TokenBed::start_with(policy, path, service, None, "127.0.0.1")
    }

    /// The same, with the registry on TLS with these certificates, and `realm_host` in the token realm.
    pub fn start_with(
        policy: Policy,
        path: &str,
        service: &str,
        tls: Option<&ServerCerts>,
        realm_host: &str,
    ) -> Option<TokenBed> {
        let mut tokens = TokenServer::start(policy, path, service);
        tokens.realm_host = realm_host.into();
        let auth = Auth::Token {
            realm: tokens.realm(),
            service: service.into(),
            issuer: ISSUER.into(),
            rootcertbundle: tokens.bundle.clone(),
        };
        let registry = Registry::start(
            auth,
            tls.map(|c| Tls { certificate: c.certificate.clone(), key: c.key.clone() }),
        )?;
        let admin = tokens.mint("admin", &[("team/app", &["pull", "push"])]);
        let mut client = reqwest::blocking::Client::builder();
        if let Some(c) = tls {
            client = client.add_root_certificate(
                reqwest::Certificate::from_pem(&std::fs::read(&c.ca).unwrap()).unwrap(),
            );
        }
        let client = client.build().unwrap();
        push_image(&client, &registry.base_url(), "team/app", "v1", Some(&format!("Bearer {admin}")));
        Some(TokenBed { tokens, registry })
    }

    pub fn image(&self, name: &str) -> String {
        format!("{}/{name}", self.registry.host())
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }

    /// The finding of one step in the JSON report.
    pub fn step(&self, name: &str) -> serde_json::Value {
        let json = self.json();
        json["steps"].as_array().unwrap().iter().find(|s| s["step"] == name).cloned().unwrap()
    }

    pub fn verdict(&self, step: &str) -> String {
        self.step(step)["verdict"].as_str().unwrap().to_owned()
    }

    pub fn fix(&self, step: &str) -> String {
        self.step(step)["fix"].as_str().unwrap_or_default().to_owned()
    }

    /// Everything the run printed, for "never shows a secret" checks.
    pub fn all_output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Run regauth with a cleared environment and `home` as HOME (config in `home/.docker`), `home/certs.d` as
/// the certs.d directory, no proxies, no colours; `path` replaces the tests' PATH when given.
pub fn regauth(args: &[&str], stdin: Option<&str>, home: &Path, path: Option<OsString>) -> Run {
    use std::io::Write;
    let mut command = super::command::regauth();
    command
        .args(args)
        .env("HOME", home)
        .env("DOCKER_CONFIG", home.join(".docker"))
        .env("REGAUTH_CERTS_D", home.join("certs.d"))
        .env("NO_COLOR", "1")
        .env("PATH", path.unwrap_or_else(super::command::system_path))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("run regauth");
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Write `home/.docker/config.json`.
pub fn write_docker_config(home: &Path, json: &serde_json::Value) {
    let dir = home.join(".docker");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.json"), serde_json::to_vec_pretty(json).unwrap()).unwrap();
}
