//! `regauth resolve --client nerdctl` against the real nerdctl v2.2.1 (on a real containerd), over a table of
//! configurations: logging helpers record which helper nerdctl asked with which key, and a registry on
//! 127.0.0.1 whose token endpoint records the username nerdctl sent (Basic on GET, the form on POST, or a
//! refresh token) and refuses it, so `nerdctl pull` stops there (tests/support/differential.rs). A row's observed outcome (who was sent,
//! which helper answered with which key, or nerdctl stopped before the token endpoint, or hung on a helper)
//! must equal regauth's prediction; the test names every row that differs.

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;
use support::containerd::{output_within, Containerd};
use support::differential::{self, Seen};

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

struct Bed {
    ctd: Containerd,
    bed: differential::Bed,
}

impl Bed {
    fn start() -> Option<Bed> {
        Some(Bed { ctd: Containerd::start()?, bed: differential::Bed::start() })
    }

    fn image(&self) -> String {
        format!("{}/team/app:v1", self.bed.host())
    }

    /// The row's environment on `c` (DOCKER_CONFIG defaults to HOME/.docker, as for both programs).
    fn env(&self, c: &mut Command, home: &Path, row: &Row) {
        c.env("HOME", home).env_remove("DOCKER_CONFIG");
        for (name, value) in row.env {
            c.env(name, self.bed.fill(value, home));
        }
    }

    fn run_nerdctl(&self, home: &Path, row: &Row) -> (Seen, Output) {
        self.bed.reset();
        let mut c = self.ctd.nerdctl(home, &self.bed.path());
        self.env(&mut c, home, row);
        c.args(["pull", &self.image()]);
        let out = output_within(&mut c, Duration::from_secs(6));
        (self.bed.seen(out.status.code().is_none()), out)
    }

    fn predict(&self, home: &Path, row: &Row) -> (Seen, serde_json::Value) {
        let mut c = support::command::regauth();
        c.env("PATH", self.bed.path());
        self.env(&mut c, home, row);
        self.bed.predict(c, "nerdctl", &self.image())
    }
}

#[test]
fn nerdctl_does_what_resolve_predicts_in_every_row() {
    let Some(bed) = Bed::start() else { return };
    assert!(ROWS.len() >= 40, "the corpus shrank to {}", ROWS.len());
    let mut failures = Vec::new();
    let mut seen = Vec::new();
    for (index, row) in ROWS.iter().enumerate() {
        let home = bed.bed.home(index, row.config, row.files);
        let (real, out) = bed.run_nerdctl(&home, row);
        let (predicted, json) = bed.predict(&home, row);
        eprintln!("nerdctl {}: real {real:?}, predicted {predicted:?}", row.name);
        seen.push((row.name, differential::describe(&real)));
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
    let version = support::clients_doc::pinned_version("seed", "github.com/containerd/nerdctl/v2");
    let rows = differential::doc_rows("nerdctl pull", &version, &seen);
    support::clients_doc::check_section("nerdctl-lookup", &rows);
}
