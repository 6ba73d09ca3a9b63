//! `regauth resolve` predicts what the real Docker CLI and skopeo do: a logging helper records which
//! helper each real client asked, with which key, and the prediction must match.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::registry::{basic, push_image, Auth, Registry};

struct Bed {
    registry: Registry,
    dir: tempfile::TempDir,
}

impl Bed {
    fn start() -> Option<Bed> {
        support::need_program("docker")?;
        support::need_program("skopeo")?;
        let registry = Registry::start(Auth::Htpasswd(vec![("alice".into(), "alice-pw".into())]), None)?;
        let client = reqwest::blocking::Client::new();
        push_image(&client, &registry.base_url(), "team/app", "v1", Some(&basic("alice", "alice-pw")));
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("bin")).unwrap();
        std::fs::create_dir_all(dir.path().join("run")).unwrap();
        let bed = Bed { registry, dir };
        for name in ["loga", "logb"] {
            // Answers every `get` with alice's credential and logs "<name> <action> <key>".
            support::write_script(
                &bed.bin().join(format!("docker-credential-{name}")),
                &format!(
                    "key=$(cat)\necho \"{name} $1 $key\" >> {log}\n[ \"$1\" = get ] || exit 0\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"alice\",\"Secret\":\"alice-pw\"}}\\n' \"$key\"",
                    log = bed.log().display()
                ),
            );
        }
        Some(bed)
    }
    fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }
    fn log(&self) -> PathBuf {
        self.dir.path().join("helper.log")
    }
    fn config(&self) -> PathBuf {
        self.dir.path().join("config.json")
    }
    fn image(&self) -> String {
        format!("{}/team/app:v1", self.registry.host())
    }
    /// `program` with nothing in its environment but the bed's PATH, HOME, DOCKER_CONFIG and runtime dir.
    fn command(&self, program: &str) -> Command {
        let mut c = support::command::clean(program);
        c.env("PATH", support::path_with(&self.bin()))
            .env("HOME", self.dir.path())
            .env("DOCKER_CONFIG", self.dir.path())
            .env("XDG_RUNTIME_DIR", self.dir.path().join("run"));
        c
    }
    /// (helper, key) pairs the helpers logged for `get`, then the log is cleared.
    fn take_gets(&self) -> Vec<(String, String)> {
        let text = std::fs::read_to_string(self.log()).unwrap_or_default();
        let _ = std::fs::remove_file(self.log());
        let mut gets: Vec<(String, String)> = text
            .lines()
            .filter_map(|l| {
                let mut parts = l.splitn(3, ' ');
                let (name, action, key) = (parts.next()?, parts.next()?, parts.next()?);
                (action == "get").then(|| (name.to_owned(), key.to_owned()))
            })
            .collect();
        gets.dedup();
        gets
    }
    fn docker_inspect(&self) -> Output {
        self.command("docker").args(["manifest", "inspect", "--insecure", &self.image()]).output().unwrap()
    }
    fn skopeo_inspect(&self) -> Output {
        self.command("skopeo")
            .args(["inspect", "--raw", "--tls-verify=false", "--authfile"])
            .arg(self.config())
            .arg(format!("docker://{}", self.image()))
            .output()
            .unwrap()
    }
    fn predict(&self, client: &str) -> serde_json::Value {
        let out = self
            .command(env!("CARGO_BIN_EXE_regauth"))
            .args(["resolve", &self.image(), "--client", client, "--json", "--authfile"])
            .arg(self.config())
            .output()
            .unwrap();
        let _ = std::fs::remove_file(self.log());
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["clients"][0].clone()
    }
}

fn helper_of(prediction: &serde_json::Value) -> Option<(String, String)> {
    let name = prediction["helper"]["name"].as_str()?;
    Some((name.to_owned(), prediction["key"].as_str()?.to_owned()))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[test]
fn creds_store_is_used_by_docker_and_ignored_by_skopeo() {
    let Some(bed) = Bed::start() else { return };
    write(&bed.config(), r#"{"credsStore":"loga"}"#);

    let docker = bed.docker_inspect();
    assert!(docker.status.success(), "docker: {}", stderr(&docker));
    let asked = bed.take_gets();
    let predicted = helper_of(&bed.predict("docker")).expect("resolve predicts a helper for docker");
    assert_eq!(asked.first(), Some(&predicted), "docker asked {asked:?}, resolve predicted {predicted:?}");

    let skopeo = bed.skopeo_inspect();
    assert_eq!(
        skopeo.status.code(),
        Some(1),
        "skopeo should go anonymous and be refused: {}",
        stderr(&skopeo)
    );
    assert!(
        stderr(&skopeo).contains("unauthorized: authentication required"),
        "skopeo failed for another reason: {}",
        stderr(&skopeo)
    );
    assert!(bed.take_gets().is_empty(), "skopeo must not call credsStore");
    let podman = bed.predict("podman");
    assert_eq!(podman["outcome"]["status"], "notFound", "{podman}");
    assert!(podman["helper"].is_null());
}

#[test]
fn cred_helpers_are_used_by_both_with_the_same_key() {
    let Some(bed) = Bed::start() else { return };
    write(
        &bed.config(),
        &format!(r#"{{"credsStore":"loga","credHelpers":{{"{}":"logb"}}}}"#, bed.registry.host()),
    );

    let docker = bed.docker_inspect();
    assert!(docker.status.success(), "docker: {}", stderr(&docker));
    let docker_asked = bed.take_gets();
    let skopeo = bed.skopeo_inspect();
    assert!(skopeo.status.success(), "skopeo: {}", stderr(&skopeo));
    let skopeo_asked = bed.take_gets();

    let docker_predicted = helper_of(&bed.predict("docker")).unwrap();
    let podman_predicted = helper_of(&bed.predict("podman")).unwrap();
    assert_eq!(docker_asked.first(), Some(&docker_predicted), "docker");
    assert_eq!(skopeo_asked.first(), Some(&podman_predicted), "skopeo");
    assert_eq!(docker_predicted.0, "logb");
}

#[test]
fn legacy_url_keys_in_auths_work_for_both_as_predicted() {
    let Some(bed) = Bed::start() else { return };
    let auth = basic("alice", "alice-pw").trim_start_matches("Basic ").to_owned();
    write(&bed.config(), &format!(r#"{{"auths":{{"http://{}":{{"auth":"{auth}"}}}}}}"#, bed.registry.host()));

    let docker = bed.docker_inspect();
    assert!(docker.status.success(), "docker: {}", stderr(&docker));
    let skopeo = bed.skopeo_inspect();
    assert!(skopeo.status.success(), "skopeo: {}", stderr(&skopeo));
    for client in ["docker", "podman"] {
        let p = bed.predict(client);
        assert_eq!(p["outcome"]["username"], "alice", "{client}: {p}");
        assert_eq!(p["key"], format!("http://{}", bed.registry.host()), "{client}: {p}");
    }
}

#[test]
fn padding_less_auth_is_unread_by_docker_and_skopeo_as_predicted() {
    let Some(bed) = Bed::start() else { return };
    let auth = basic("alice", "alice-pw").trim_start_matches("Basic ").trim_end_matches('=').to_owned();
    let host = bed.registry.host();
    write(&bed.config(), &format!(r#"{{"auths":{{"{host}":{{"auth":"{auth}"}}}}}}"#));

    // docker warns, drops the entry and goes anonymous; skopeo stops with the decoding error.
    let docker = bed.docker_inspect();
    assert!(!docker.status.success(), "docker read a padding-less auth: {}", stderr(&docker));
    assert!(stderr(&docker).contains("Error parsing config file"), "{}", stderr(&docker));
    let skopeo = bed.skopeo_inspect();
    assert!(!skopeo.status.success(), "skopeo read a padding-less auth: {}", stderr(&skopeo));
    assert!(stderr(&skopeo).contains("illegal base64"), "{}", stderr(&skopeo));
    for client in ["docker", "podman"] {
        let p = bed.predict(client);
        assert_eq!(p["outcome"]["status"], "configError", "{client}: {p}");
        let message = p["outcome"]["message"].as_str().unwrap();
        assert!(message.contains("not valid base64") && message.contains("missing padding"), "{message}");
        assert!(!message.contains(&auth), "the message echoes the field: {message}");
    }

    // With username and password fields beside it, docker falls back to them.
    write(
        &bed.config(),
        &format!(r#"{{"auths":{{"{host}":{{"auth":"{auth}","username":"alice","password":"alice-pw"}}}}}}"#),
    );
    let docker = bed.docker_inspect();
    assert!(docker.status.success(), "docker: {}", stderr(&docker));
    let p = bed.predict("docker");
    assert_eq!(p["outcome"]["username"], "alice", "{p}");
    assert!(p["notes"].to_string().contains("missing padding"), "{p}");
}
