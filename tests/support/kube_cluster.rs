//! A real Kubernetes control plane for `--kube-live`: etcd (Debian's etcd-server) and kube-apiserver
//! (built by scripts/build-go-peers from tests/go/apiserver, the Kubernetes release of tests/go/kubelet),
//! both on 127.0.0.1 with ports chosen at run time, in a private directory, stopped on drop. Clients
//! authenticate with client certificates made here with rcgen (`admin` in `system:masters`, `dev` and
//! `ops`, whose rights the test grants with RBAC); one kubeconfig holds a context for each, both defaulting to
//! no namespace. No scheduler, controller manager or kubelet: objects are stored, nothing runs.

use super::go::need_peer;
use super::need_program;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct KubeCluster {
    pub dir: tempfile::TempDir,
    /// The kubeconfig with the contexts `admin` (current), `dev` and `ops`.
    pub kubeconfig: PathBuf,
    pub port: u16,
    etcd: Child,
    apiserver: Child,
}

/// How long the API server may take to be ready (it installs its RBAC roles first).
const READY: Duration = Duration::from_secs(120);

impl KubeCluster {
    /// Start etcd and the API server; `None` (after a skip) when either program is missing.
    pub fn start() -> Option<KubeCluster> {
        let apiserver_bin = need_peer("apiserver", "kube-apiserver")?;
        let etcd_bin = need_program("etcd")?;
        need_program("kubectl")?;
        let mut dir = tempfile::tempdir().unwrap();
        let mut certs = Certs::write(dir.path());
        // A port someone else took between our look and the server's bind shows as an early exit: retry.
        for attempt in 0..4 {
            let (client, peer, secure) = (super::free_port(), super::free_port(), super::free_port());
            let data = dir.path().join(format!("etcd-{attempt}"));
            let mut etcd = Command::new(&etcd_bin)
                .args(["--name", "t", "--data-dir"])
                .arg(&data)
                .arg(format!("--listen-client-urls=http://127.0.0.1:{client}"))
                .arg(format!("--advertise-client-urls=http://127.0.0.1:{client}"))
                .arg(format!("--listen-peer-urls=http://127.0.0.1:{peer}"))
                .arg(format!("--initial-advertise-peer-urls=http://127.0.0.1:{peer}"))
                .arg(format!("--initial-cluster=t=http://127.0.0.1:{peer}"))
                .stdout(Stdio::null())
                .stderr(log(dir.path(), &format!("etcd-{attempt}.log")))
                .spawn()
                .expect("start etcd");
            if !wait_listening(&mut etcd, client, Duration::from_secs(30)) {
                stop(&mut etcd);
                continue;
            }
            let apiserver = Command::new(&apiserver_bin)
                .arg(format!("--etcd-servers=http://127.0.0.1:{client}"))
                .args(["--bind-address=127.0.0.1", "--advertise-address=127.0.0.1"])
                // The endpoint reconciler refuses a loopback address; nothing here needs the endpoints.
                .arg("--endpoint-reconciler-type=none")
                .arg(format!("--secure-port={secure}"))
                .arg(format!("--tls-cert-file={}", certs.server_cert.display()))
                .arg(format!("--tls-private-key-file={}", certs.server_key.display()))
                .arg(format!("--client-ca-file={}", certs.ca.display()))
                .arg("--authorization-mode=RBAC")
                .arg("--service-account-issuer=https://kubernetes.default.svc")
                .arg(format!("--service-account-key-file={}", certs.sa_public.display()))
                .arg(format!("--service-account-signing-key-file={}", certs.sa_key.display()))
                .arg("--service-cluster-ip-range=10.96.0.0/24")
                .arg(format!("--cert-dir={}", dir.path().join("apiserver-certs").display()))
                .stdout(Stdio::null())
                .stderr(log(dir.path(), &format!("apiserver-{attempt}.log")))
                .spawn()
                .expect("start kube-apiserver");
            let kubeconfig = dir.path().join("kubeconfig");
            std::fs::write(&kubeconfig, certs.kubeconfig(secure)).unwrap();
            let mut cluster = KubeCluster { dir, kubeconfig, port: secure, etcd, apiserver };
            if cluster.wait_ready() {
                return Some(cluster);
            }
            let log = std::fs::read_to_string(cluster.dir.path().join(format!("apiserver-{attempt}.log")))
                .unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(5).collect();
            eprintln!("kube-apiserver attempt {attempt} did not get ready: {tail:?}");
            // Dropping stops both; the next attempt gets a directory of its own.
            drop(cluster);
            dir = tempfile::tempdir().unwrap();
            certs = Certs::write(dir.path());
        }
        panic!("kube-apiserver with etcd did not start in 4 attempts");
    }

    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + READY;
        while Instant::now() < deadline {
            if matches!(self.apiserver.try_wait(), Ok(Some(_))) {
                return false;
            }
            let out = self.kubectl_output(&["get", "--raw", "/readyz"], None);
            if out.status.success() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        false
    }

    /// kubectl as `admin` with the cluster's kubeconfig and a private HOME (its discovery cache).
    pub fn kubectl_command(&self) -> Command {
        let mut command = super::command::clean("kubectl");
        command
            .env("PATH", super::command::system_path())
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.dir.path());
        command
    }

    fn kubectl_output(&self, args: &[&str], stdin: Option<&str>) -> std::process::Output {
        use std::io::Write;
        let mut child = self
            .kubectl_command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run kubectl");
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
        drop(input);
        child.wait_with_output().unwrap()
    }

    /// `kubectl ARGS` as admin; panics on failure; stdout.
    pub fn kubectl(&self, args: &[&str]) -> String {
        self.kubectl_stdin(args, None)
    }

    /// `kubectl ARGS` as admin with `stdin`; panics on failure; stdout.
    pub fn kubectl_stdin(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.kubectl_output(args, stdin);
        assert!(out.status.success(), "kubectl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// `kubectl apply -f -` of these objects as admin.
    pub fn apply(&self, objects: &[serde_json::Value]) {
        let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": objects});
        self.kubectl_stdin(&["apply", "-f", "-"], Some(&list.to_string()));
    }
}

impl Drop for KubeCluster {
    fn drop(&mut self) {
        stop(&mut self.apiserver);
        stop(&mut self.etcd);
    }
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn log(dir: &Path, name: &str) -> Stdio {
    Stdio::from(std::fs::File::create(dir.join(name)).unwrap())
}

/// Whether something accepts connections on 127.0.0.1:`port` before `within` (false when `child` exits).
fn wait_listening(child: &mut Child, port: u16, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return false;
        }
        if std::net::TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200))
            .is_ok()
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// The CA, the API server's certificate, the service-account key and the two users' client certificates.
struct Certs {
    ca: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
    sa_key: PathBuf,
    sa_public: PathBuf,
    users: Vec<(String, PathBuf, PathBuf)>,
}

impl Certs {
    fn write(dir: &Path) -> Certs {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, "regauth test cluster CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let write = |name: &str, text: String| {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let server_key = KeyPair::generate().unwrap();
        let mut server_params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        server_params.distinguished_name.push(DnType::CommonName, "kube-apiserver");
        let server = server_params.signed_by(&server_key, &ca, &ca_key).unwrap();
        let sa = KeyPair::generate().unwrap();
        let mut users = Vec::new();
        // The user is the certificate's CN, its groups the O entries.
        for (user, group) in [("admin", Some("system:masters")), ("dev", None), ("ops", None)] {
            let key = KeyPair::generate().unwrap();
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params.distinguished_name.push(DnType::CommonName, user);
            if let Some(g) = group {
                params.distinguished_name.push(DnType::OrganizationName, g);
            }
            let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
            users.push((
                user.to_owned(),
                write(&format!("{user}.crt"), cert.pem()),
                write(&format!("{user}.key"), key.serialize_pem()),
            ));
        }
        Certs {
            ca: write("ca.crt", ca.pem()),
            server_cert: write("apiserver.crt", server.pem()),
            server_key: write("apiserver.key", server_key.serialize_pem()),
            sa_key: write("sa.key", sa.serialize_pem()),
            sa_public: write("sa.pub", sa.public_key_pem()),
            users,
        }
    }

    fn kubeconfig(&self, port: u16) -> String {
        let mut text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: https://127.0.0.1:{port}\n    \
             certificate-authority: {}\nusers:\n",
            self.ca.display()
        );
        for (user, cert, key) in &self.users {
            text.push_str(&format!(
                "- name: {user}\n  user:\n    client-certificate: {}\n    client-key: {}\n",
                cert.display(),
                key.display()
            ));
        }
        text.push_str("contexts:\n");
        for (user, _, _) in &self.users {
            text.push_str(&format!("- name: {user}\n  context:\n    cluster: test\n    user: {user}\n"));
        }
        text.push_str("current-context: admin\n");
        text
    }
}
