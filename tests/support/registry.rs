//! Debian's `docker-registry` (CNCF distribution 2.8), started on a free loopback port for one test and
//! killed when the handle drops.

use super::{free_port, need_program};
use std::fmt::Write as _;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How clients prove who they are to this registry.
pub enum Auth {
    /// No authentication at all.
    None,
    /// htpasswd with these `(user, password)` pairs (bcrypt, as distribution requires).
    Htpasswd(Vec<(String, String)>),
    /// Token auth: the registry trusts JWTs signed by a key in `rootcertbundle` (a PEM file).
    Token { realm: String, service: String, issuer: String, rootcertbundle: PathBuf },
}

/// TLS for the registry: PEM certificate and key files.
pub struct Tls {
    pub certificate: PathBuf,
    pub key: PathBuf,
}

pub struct Registry {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
    pub tls: bool,
}

impl Registry {
    /// Start a registry, or `None` when docker-registry is missing and skipping is allowed.
    pub fn start(auth: Auth, tls: Option<Tls>) -> Option<Registry> {
        let program = need_program("docker-registry")?;
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut config =
            String::from("version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n");
        writeln!(
            config,
            "storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true",
            dir.path().join("data").display()
        )
        .unwrap();
        writeln!(config, "http:\n  addr: 127.0.0.1:{port}\n  secret: regauth-test-secret").unwrap();
        if let Some(tls) = &tls {
            writeln!(
                config,
                "  tls:\n    certificate: {}\n    key: {}",
                tls.certificate.display(),
                tls.key.display()
            )
            .unwrap();
        }
        match &auth {
            Auth::None => {}
            Auth::Htpasswd(users) => {
                let file = dir.path().join("htpasswd");
                let lines: String =
                    users.iter().map(|(u, p)| format!("{u}:{}\n", bcrypt::hash(p, 4).unwrap())).collect();
                std::fs::write(&file, lines).unwrap();
                writeln!(config, "auth:\n  htpasswd:\n    realm: basic-realm\n    path: {}", file.display())
                    .unwrap();
            }
            Auth::Token { realm, service, issuer, rootcertbundle } => {
                writeln!(
                    config,
                    "auth:\n  token:\n    realm: {realm}\n    service: {service}\n    issuer: {issuer}\n    rootcertbundle: {}",
                    rootcertbundle.display()
                )
                .unwrap();
            }
        }
        std::fs::write(dir.path().join("config.yml"), config).unwrap();
        let child = spawn(&program, dir.path());
        let mut registry = Registry { child, port, dir, tls: tls.is_some() };
        registry.wait_ready();
        Some(registry)
    }

    /// Restart the same registry (same port, data and auth) in read-only maintenance mode, as operators
    /// do during garbage collection: pulls work, uploads are refused with 405.
    pub fn restart_read_only(mut self) -> Registry {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let path = self.dir.path().join("config.yml");
        let config = std::fs::read_to_string(&path).unwrap();
        let config = config.replacen(
            "storage:\n",
            "storage:\n  maintenance:\n    readonly:\n      enabled: true\n",
            1,
        );
        std::fs::write(&path, config).unwrap();
        let program = need_program("docker-registry").expect("it ran a moment ago");
        self.child = spawn(&program, self.dir.path());
        self.wait_ready();
        self
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("docker-registry exited with {status}: {}", self.log());
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("docker-registry did not listen on port {} within 15 s: {}", self.port, self.log());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// `127.0.0.1:PORT`, the registry part of image references.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn base_url(&self) -> String {
        format!("{}://127.0.0.1:{}", if self.tls { "https" } else { "http" }, self.port)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }
}

fn spawn(program: &std::path::Path, dir: &std::path::Path) -> Child {
    let log = std::fs::File::create(dir.join("registry.log")).unwrap();
    Command::new(program)
        .arg("serve")
        .arg(dir.join("config.yml"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start docker-registry")
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Push a one-layer image through the registry API (upload, PUT ?digest=, PUT manifest), so tests need no
/// daemon. `authorization` is a full header value (`Basic ...` or `Bearer ...`).
pub fn push_image(
    client: &reqwest::blocking::Client,
    base_url: &str,
    repository: &str,
    tag: &str,
    authorization: Option<&str>,
) {
    use sha2::{Digest, Sha256};
    let digest = |bytes: &[u8]| format!("sha256:{:x}", Sha256::digest(bytes));
    let layer = format!("layer of {repository}:{tag}").into_bytes();
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#.to_vec();
    for blob in [&layer, &config] {
        let mut start = client.post(format!("{base_url}/v2/{repository}/blobs/uploads/"));
        if let Some(a) = authorization {
            start = start.header("Authorization", a);
        }
        let response = start.send().unwrap();
        assert_eq!(response.status().as_u16(), 202, "upload start: {:?}", response.text());
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let location = if location.starts_with('/') { format!("{base_url}{location}") } else { location };
        let separator = if location.contains('?') { '&' } else { '?' };
        let mut put = client
            .put(format!("{location}{separator}digest={}", digest(blob)))
            .header("Content-Type", "application/octet-stream")
            .body(blob.clone());
        if let Some(a) = authorization {
            put = put.header("Authorization", a);
        }
        let response = put.send().unwrap();
        assert_eq!(response.status().as_u16(), 201, "blob put: {:?}", response.text());
    }
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{}","size":{}}}]}}"#,
        digest(&config),
        config.len(),
        digest(&layer),
        layer.len()
    );
    let mut put = client
        .put(format!("{base_url}/v2/{repository}/manifests/{tag}"))
        .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
        .body(manifest);
    if let Some(a) = authorization {
        put = put.header("Authorization", a);
    }
    let response = put.send().unwrap();
    assert_eq!(response.status().as_u16(), 201, "manifest put: {:?}", response.text());
}

/// `Basic base64(user:password)`.
pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}
