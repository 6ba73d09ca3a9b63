//! Real podman and buildah through regauth's helpers, against the real distribution registry with
//! htpasswd auth: login (store), pull (get), push (get), logout (erase) through the keyutils helper named
//! in `credHelpers` of the client's auth file, and pull and push through the read-only env helper. Each
//! client runs as root with `--storage-driver vfs` and a private `--root`/`--runroot`, with a cleared
//! environment; each test has its own kernel-keyring namespace, emptied by a guard however it ends.

mod support;

use regauth_core::registry::RegistryHost;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use support::command::clean;
use support::helpers::{call, path};
use support::keyutils::{helper, KeyutilsNamespace};
use support::registry::{basic, Auth, Registry};

const USER: &str = "carol";
const PASSWORD: &str = "containers-pw-8Qz";

struct Client {
    program: &'static str,
    registry: Registry,
    dir: tempfile::TempDir,
    authfile: PathBuf,
    vars: Vec<(String, String)>,
}

impl Client {
    fn start(program: &'static str) -> Option<Client> {
        support::need_program(program)?;
        if !support::need_root(&format!("{program} pulls into private vfs storage as root here")) {
            return None;
        }
        let registry = Registry::start(Auth::Htpasswd(vec![(USER.into(), PASSWORD.into())]), None)?;
        push_tar_image(&registry.base_url(), "team/app", "v1");
        let dir = tempfile::Builder::new().prefix("rgc").tempdir_in("/tmp").unwrap();
        std::fs::create_dir_all(dir.path().join("run")).unwrap();
        // An empty user registries.conf: the machine's /etc/containers/registries.conf plays no part.
        let conf = dir.path().join(".config/containers/registries.conf");
        std::fs::create_dir_all(conf.parent().unwrap()).unwrap();
        std::fs::write(&conf, "").unwrap();
        let authfile = dir.path().join("auth.json");
        Some(Client { program, registry, dir, authfile, vars: Vec::new() })
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = clean(self.program);
        let root = self.dir.path().join("root");
        let runroot = self.dir.path().join("rr");
        c.arg("--storage-driver").arg("vfs").arg("--root").arg(root).arg("--runroot").arg(runroot);
        if self.program == "podman" {
            c.args(["--events-backend", "none"]);
        }
        c.args(args)
            .env("PATH", path())
            .env("HOME", self.dir.path())
            .env("XDG_RUNTIME_DIR", self.dir.path().join("run"))
            .env("REGISTRY_AUTH_FILE", &self.authfile)
            .envs(self.vars.iter().map(|(k, v)| (k, v)));
        c
    }

    fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start client");
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        let shown =
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(!shown.contains(PASSWORD), "{} printed the password: {shown}", self.program);
        out
    }

    fn ok(&self, args: &[&str], stdin: &str) -> Output {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "{} {args:?} failed: {}{}",
            self.program,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn image(&self, repository: &str) -> String {
        format!("{}/{repository}:v1", self.registry.host())
    }

    fn pull(&self, image: &str) -> Output {
        let mut args = vec!["pull", "--tls-verify=false"];
        if self.program == "buildah" {
            args.extend(["--policy", "always"]);
        }
        args.push(image);
        self.run(&args, "")
    }

    fn push(&self, from: &str, to: &str) -> Output {
        self.run(&["push", "--tls-verify=false", from, &format!("docker://{to}")], "")
    }
}

fn stored(namespace: &str, key: &str) -> Option<String> {
    let answer = call(helper(namespace), "get", key);
    if answer.code != 0 {
        assert_eq!(answer.stdout.trim(), "credentials not found in native keychain");
        return None;
    }
    let creds: serde_json::Value = serde_json::from_str(&answer.stdout).unwrap();
    assert_eq!(creds["Secret"], PASSWORD);
    Some(creds["Username"].as_str().unwrap().to_owned())
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn round_trip_through_keyutils(program: &'static str) {
    let Some(mut client) = Client::start(program) else { return };
    let guard = KeyutilsNamespace::new(program);
    let namespace = guard.name.clone();
    client.vars.push(("REGAUTH_KEYUTILS_NAMESPACE".into(), namespace.clone()));
    let host = client.registry.host();
    std::fs::write(&client.authfile, format!(r#"{{"credHelpers":{{"{host}":"regauth-keyutils"}}}}"#))
        .unwrap();

    client.ok(&["login", "--tls-verify=false", "-u", USER, "--password-stdin", &host], PASSWORD);
    assert_eq!(
        stored(&namespace, &host).as_deref(),
        Some(USER),
        "{program} login did not store via the helper"
    );
    let authfile = std::fs::read_to_string(&client.authfile).unwrap();
    assert!(!authfile.contains("\"auth\""), "{program} wrote the credential to the file: {authfile}");

    let image = client.image("team/app");
    let out = client.pull(&image);
    assert!(out.status.success(), "{program} pull: {}", stderr(&out));
    let copy = client.image("team/copy");
    let out = client.push(&image, &copy);
    assert!(out.status.success(), "{program} push: {}", stderr(&out));

    client.ok(&["logout", &host], "");
    assert_eq!(stored(&namespace, &host), None, "{program} logout did not erase via the helper");
    // Without the helper's answer the registry refuses: the pull and push above used the helper.
    let out = client.pull(&copy);
    assert!(!out.status.success(), "{program} pulled without credentials");
    assert!(
        stderr(&out).contains("unauthorized") || stderr(&out).contains("authentication required"),
        "{program} was refused for another reason: {}",
        stderr(&out)
    );
}

fn pull_and_push_through_the_env_helper(program: &'static str) {
    let Some(mut client) = Client::start(program) else { return };
    let host = client.registry.host();
    let stem = RegistryHost::new(&host).env_stem().unwrap();
    client.vars.push((format!("{stem}_USERNAME"), USER.into()));
    client.vars.push((format!("{stem}_PASSWORD"), PASSWORD.into()));
    std::fs::write(&client.authfile, format!(r#"{{"credHelpers":{{"{host}":"regauth-env"}}}}"#)).unwrap();
    let image = client.image("team/app");
    let out = client.pull(&image);
    assert!(out.status.success(), "{program} pull: {}", stderr(&out));
    let out = client.push(&image, &client.image("team/env-copy"));
    assert!(out.status.success(), "{program} push: {}", stderr(&out));
    // Without the variables the helper has nothing, and the registry refuses.
    client.vars.clear();
    let out = client.pull(&client.image("team/env-copy"));
    assert!(!out.status.success(), "{program} pulled without credentials");
}

#[test]
fn podman_logs_in_pulls_pushes_and_logs_out_through_keyutils() {
    round_trip_through_keyutils("podman");
}

#[test]
fn buildah_logs_in_pulls_pushes_and_logs_out_through_keyutils() {
    round_trip_through_keyutils("buildah");
}

#[test]
fn podman_pulls_and_pushes_through_the_env_helper() {
    pull_and_push_through_the_env_helper("podman");
}

#[test]
fn buildah_pulls_and_pushes_through_the_env_helper() {
    pull_and_push_through_the_env_helper("buildah");
}

/// A one-file tar archive (ustar), so the layer is one that podman and buildah can unpack.
fn one_file_tar(name: &str, content: &[u8]) -> Vec<u8> {
    let mut header = [0u8; 512];
    header[..name.len()].copy_from_slice(name.as_bytes());
    let octal = |field: &mut [u8], value: usize| {
        let text = format!("{value:0width$o}\0", width = field.len() - 1);
        field.copy_from_slice(text.as_bytes());
    };
    octal(&mut header[100..108], 0o644);
    octal(&mut header[108..116], 0);
    octal(&mut header[116..124], 0);
    octal(&mut header[124..136], content.len());
    octal(&mut header[136..148], 0);
    header[156] = b'0';
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    header[148..156].fill(b' ');
    let sum: usize = header.iter().map(|b| *b as usize).sum();
    octal(&mut header[148..155], sum);
    header[155] = b' ';
    let mut tar = header.to_vec();
    tar.extend_from_slice(content);
    tar.resize(tar.len().div_ceil(512) * 512 + 1024, 0);
    tar
}

/// Push an image whose one layer is a real tar through the registry API (upload, PUT ?digest=, PUT
/// manifest), as the registry's owner.
fn push_tar_image(base_url: &str, repository: &str, tag: &str) {
    use sha2::{Digest, Sha256};
    let client = reqwest::blocking::Client::new();
    let authorization = basic(USER, PASSWORD);
    let digest = |bytes: &[u8]| format!("sha256:{:x}", Sha256::digest(bytes));
    let layer = one_file_tar("hello.txt", b"hello from the regauth tests\n");
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{}},"rootfs":{{"type":"layers","diff_ids":["{}"]}}}}"#,
        digest(&layer)
    )
    .into_bytes();
    for blob in [&layer, &config] {
        let response = client
            .post(format!("{base_url}/v2/{repository}/blobs/uploads/"))
            .header("Authorization", &authorization)
            .send()
            .unwrap();
        assert_eq!(response.status().as_u16(), 202, "upload start: {:?}", response.text());
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let location = if location.starts_with('/') { format!("{base_url}{location}") } else { location };
        let separator = if location.contains('?') { '&' } else { '?' };
        let response = client
            .put(format!("{location}{separator}digest={}", digest(blob)))
            .header("Authorization", &authorization)
            .header("Content-Type", "application/octet-stream")
            .body(blob.clone())
            .send()
            .unwrap();
        assert_eq!(response.status().as_u16(), 201, "blob put: {:?}", response.text());
    }
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{}","size":{}}}]}}"#,
        digest(&config),
        config.len(),
        digest(&layer),
        layer.len()
    );
    let response = client
        .put(format!("{base_url}/v2/{repository}/manifests/{tag}"))
        .header("Authorization", &authorization)
        .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
        .body(manifest)
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 201, "manifest put: {:?}", response.text());
}
