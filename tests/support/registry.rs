//! Debian's `docker-registry` (CNCF distribution 2.8), started on a loopback port for one test (retried on
//! another port when the first is taken) and killed when the handle drops.

use super::command::clean;
use super::{free_port, need_program};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
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

/// The registry could not bind its port: another process holds it.
#[derive(Debug)]
pub struct PortTaken;

pub struct Registry {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
    pub tls: bool,
}

impl Registry {
    /// Start a registry, or `None` when docker-registry is missing and skipping is allowed.
    ///
    /// The registry cannot bind port 0 and tell us its port, so a port that was free a moment ago is
    /// tried; when another process took it in between (the registry exits with "address already in use"),
    /// a new port is tried, a bounded number of times.
    pub fn start(auth: Auth, tls: Option<Tls>) -> Option<Registry> {
        const ATTEMPTS: usize = 8;
        need_program("docker-registry")?;
        for _ in 0..ATTEMPTS {
            if let Ok(registry) = Registry::start_on(&auth, tls.as_ref(), free_port()) {
                return Some(registry);
            }
        }
        panic!("docker-registry found its port taken {ATTEMPTS} times in a row");
    }

    /// One attempt on `port`, which fails only when another process holds it.
    pub fn start_on(auth: &Auth, tls: Option<&Tls>, port: u16) -> Result<Registry, PortTaken> {
        let program = need_program("docker-registry").expect("checked by the caller");
        let dir = tempfile::tempdir().unwrap();
        let auth_section = auth_config(auth, dir.path());
        write_config(dir.path(), port, tls, &auth_section);
        let mut child = spawn(&program, dir.path());
        match wait_ready(&mut child, port, dir.path()) {
            Ready::Listening => Ok(Registry { child, port, dir, tls: tls.is_some() }),
            Ready::AddressInUse => Err(PortTaken),
        }
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
        // The port is in the image references the test holds: it cannot move, so a port taken in the
        // moment between stop and start is a failure.
        match wait_ready(&mut self.child, self.port, self.dir.path()) {
            Ready::Listening => self,
            Ready::AddressInUse => panic!("port {} was taken during the restart", self.port),
        }
    }

    pub fn log(&self) -> String {
        read_log(self.dir.path())
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

/// The `auth:` section of the config (writing the htpasswd file it names).
fn auth_config(auth: &Auth, dir: &Path) -> String {
    match auth {
        Auth::None => String::new(),
        Auth::Htpasswd(users) => {
            let file = dir.join("htpasswd");
            let lines: String =
                users.iter().map(|(u, p)| format!("{u}:{}\n", bcrypt::hash(p, 4).unwrap())).collect();
            std::fs::write(&file, lines).unwrap();
            format!("auth:\n  htpasswd:\n    realm: basic-realm\n    path: {}\n", file.display())
        }
        Auth::Token { realm, service, issuer, rootcertbundle } => format!(
            "auth:\n  token:\n    realm: {realm}\n    service: {service}\n    issuer: {issuer}\n    rootcertbundle: {}\n",
            rootcertbundle.display()
        ),
    }
}

fn write_config(dir: &Path, port: u16, tls: Option<&Tls>, auth: &str) {
    let mut config = String::from("version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n");
    writeln!(
        config,
        "storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true",
        dir.join("data").display()
    )
    .unwrap();
    writeln!(config, "http:\n  addr: 127.0.0.1:{port}\n  secret: regauth-test-secret").unwrap();
    if let Some(tls) = tls {
        writeln!(
            config,
            "  tls:\n    certificate: {}\n    key: {}",
            tls.certificate.display(),
            tls.key.display()
        )
        .unwrap();
    }
    config.push_str(auth);
    std::fs::write(dir.join("config.yml"), config).unwrap();
}

fn read_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("registry.log")).unwrap_or_default()
}

enum Ready {
    Listening,
    AddressInUse,
}

/// Wait until `child` itself listens on `port` (a connection could reach another process that took the
/// port), or exits because the port is taken.
fn wait_ready(child: &mut Child, port: u16, dir: &Path) -> Ready {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            let log = read_log(dir);
            if log.contains("address already in use") {
                return Ready::AddressInUse;
            }
            panic!("docker-registry exited with {status}: {log}");
        }
        if listens(child.id(), port) {
            return Ready::Listening;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("docker-registry did not listen on port {port} within 15 s: {}", read_log(dir));
}

/// Whether process `pid` holds a socket listening on 127.0.0.1:`port` (from /proc: its socket inodes, and
/// the kernel's table of IPv4 TCP sockets).
fn listens(pid: u32, port: u16) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return false };
    let sockets: HashSet<String> = fds
        .flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter_map(|link| Some(link.to_str()?.strip_prefix("socket:[")?.strip_suffix(']')?.to_owned()))
        .collect();
    let local = format!("0100007F:{port:04X}");
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    table.lines().skip(1).any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
        fields.len() > 9 && fields[1] == local && fields[3] == "0A" && sockets.contains(fields[9])
    })
}

fn spawn(program: &Path, dir: &Path) -> Child {
    let log = std::fs::File::create(dir.join("registry.log")).unwrap();
    clean(program)
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
