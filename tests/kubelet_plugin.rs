//! docker-credential-regauth-kubelet as the kubelet runs it: requests built from the v1 request type,
//! responses decoded with the v1 response type (written here from the published API's field names and
//! types, independently of the plugin's encoder, rejecting unknown fields), lookups through auths and fake
//! helpers, helpers that fail or hang, cacheDuration from a credential's expiry, and no secret in any
//! form on stderr.

mod support;

use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use support::command::clean;
use support::helpers::helper_bin;
use support::leaks::assert_absent;
use support::write_script;

const V1: &str = "credentialprovider.kubelet.k8s.io/v1";

/// k8s.io/kubelet/pkg/apis/credentialprovider/v1 CredentialProviderRequest.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CredentialProviderRequest {
    api_version: String,
    kind: String,
    image: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_account_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_account_annotations: Option<BTreeMap<String, String>>,
}

/// CredentialProviderResponse: `cacheDuration` is a *metav1.Duration (a Go duration string), `auth` a
/// map of AuthConfig, both optional.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CredentialProviderResponse {
    api_version: String,
    kind: String,
    cache_key_type: String,
    cache_duration: Option<String>,
    auth: Option<BTreeMap<String, AuthConfig>>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct AuthConfig {
    username: String,
    password: String,
}

fn request_for(image: &str) -> CredentialProviderRequest {
    CredentialProviderRequest {
        api_version: V1.into(),
        kind: "CredentialProviderRequest".into(),
        image: image.into(),
        service_account_token: None,
        service_account_annotations: None,
    }
}

/// Go's time.ParseDuration for what a response may hold (no sign): `[0-9]+(\.[0-9]*)?(h|m|s|ms|us|ns)`
/// repeated, or `0`.
fn go_duration(text: &str) -> Duration {
    if text == "0" {
        return Duration::ZERO;
    }
    let mut nanos = 0f64;
    let mut rest = text;
    assert!(!rest.is_empty(), "empty duration");
    while !rest.is_empty() {
        let number_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).expect("a unit follows");
        let (number, tail) = rest.split_at(number_end);
        let value: f64 = number.parse().unwrap_or_else(|_| panic!("{text:?}: {number:?} is not a number"));
        let unit_end = tail.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_end);
        let scale = match unit {
            "h" => 3600e9,
            "m" => 60e9,
            "s" => 1e9,
            "ms" => 1e6,
            "us" | "µs" => 1e3,
            "ns" => 1.0,
            other => panic!("{text:?}: unit {other:?} is not Go's"),
        };
        nanos += value * scale;
        rest = tail;
    }
    Duration::from_nanos(nanos as u64)
}

struct Plugin {
    dir: tempfile::TempDir,
}

struct Answer {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Answer {
    fn response(&self) -> CredentialProviderResponse {
        assert_eq!(self.code, 0, "stderr: {}", self.stderr);
        let response: CredentialProviderResponse = serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not a v1 response ({e}): {}", self.stdout));
        assert_eq!(response.api_version, V1);
        assert_eq!(response.kind, "CredentialProviderResponse");
        assert!(["Image", "Registry", "Global"].contains(&response.cache_key_type.as_str()));
        assert_eq!(response.cache_key_type, "Registry");
        response
    }

    fn failure(&self) -> &str {
        assert_eq!(self.code, 1, "stdout: {} stderr: {}", self.stdout, self.stderr);
        assert!(self.stdout.is_empty(), "a failure prints no response: {}", self.stdout);
        assert_eq!(self.stderr.lines().count(), 1, "one message: {}", self.stderr);
        &self.stderr
    }
}

impl Plugin {
    fn new() -> Plugin {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("bin")).unwrap();
        Plugin { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn config(&self, json: &str) -> &Plugin {
        std::fs::write(self.path("config.json"), json).unwrap();
        self
    }

    /// A fake `docker-credential-NAME` whose `get` logs the key it was asked and runs `body`.
    fn helper(&self, name: &str, body: &str) -> &Plugin {
        let log = self.path(&format!("{name}.log"));
        write_script(
            &self.path("bin").join(format!("docker-credential-{name}")),
            &format!("key=$(cat)\nprintf '%s %s\\n' \"$1\" \"$key\" >> '{}'\n{body}", log.display()),
        );
        self
    }

    fn asked(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(&format!("{name}.log"))).unwrap_or_default()
    }

    fn run_raw(&self, args: &[&str], stdin: &[u8]) -> Answer {
        let mut command = clean(helper_bin("docker-credential-regauth-kubelet"));
        command
            .args(["--config", self.path("config.json").to_str().unwrap()])
            .args(args)
            .env("PATH", format!("{}:/usr/bin:/bin", self.path("bin").display()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        let _ = input.write_all(stdin);
        drop(input);
        let out = child.wait_with_output().unwrap();
        Answer {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    fn run(&self, args: &[&str], request: &CredentialProviderRequest) -> Answer {
        self.run_raw(args, serde_json::to_string(request).unwrap().as_bytes())
    }
}

fn basic(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

fn jwt_expiring_at(exp: u64) -> String {
    let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.c2lnbmF0dXJlLXBsYWNlaG9sZGVy",
        enc(r#"{"alg":"ES256","typ":"JWT"}"#),
        enc(&format!(r#"{{"sub":"robot","exp":{exp}}}"#))
    )
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn helper_answer(user: &str, secret: &str) -> String {
    format!(r#"printf '{{"ServerURL":"%s","Username":"{user}","Secret":"{secret}"}}' "$key""#)
}

fn credential(response: &CredentialProviderResponse, registry: &str) -> AuthConfig {
    let auth = response.auth.as_ref().expect("an auth map");
    assert_eq!(auth.len(), 1, "{auth:?}");
    let AuthConfig { username, password } =
        auth.get(registry).unwrap_or_else(|| panic!("no {registry} in {auth:?}"));
    AuthConfig { username: username.clone(), password: password.clone() }
}

#[test]
fn a_credential_in_auths() {
    let plugin = Plugin::new();
    plugin.config(&format!(
        r#"{{"auths":{{"127.0.0.1:5000":{{"auth":"{}"}},"https://ghcr.io/v1/":{{"auth":"{}"}},"https://index.docker.io/v1/":{{"auth":"{}"}}}}}}"#,
        basic("ci", "kubelet-auths-pw-1"),
        basic("bot", "kubelet-auths-pw-2"),
        basic("hub", "kubelet-auths-pw-3"),
    ));
    let table = [
        ("127.0.0.1:5000/team/app:v1", "127.0.0.1:5000", "ci", "kubelet-auths-pw-1"),
        (
            "127.0.0.1:5000/team/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "127.0.0.1:5000",
            "ci",
            "kubelet-auths-pw-1",
        ),
        // docker's fallback: an auths key whose host is the registry's.
        ("ghcr.io/org/app", "ghcr.io", "bot", "kubelet-auths-pw-2"),
        // Docker Hub: looked up as https://index.docker.io/v1/, answered as docker.io.
        ("docker.io/library/nginx", "docker.io", "hub", "kubelet-auths-pw-3"),
        ("nginx", "docker.io", "hub", "kubelet-auths-pw-3"),
    ];
    for (image, registry, username, password) in table {
        let answer = plugin.run(&[], &request_for(image));
        let response = answer.response();
        assert_eq!(
            go_duration(response.cache_duration.as_deref().unwrap()),
            Duration::from_secs(300),
            "{image}"
        );
        assert_eq!(
            credential(&response, registry),
            AuthConfig { username: username.into(), password: password.into() },
            "{image}"
        );
        assert_absent(&[("stderr", &answer.stderr)], &[(username, password)]);
    }
    let answer = plugin.run(&["--default-cache-duration", "1h30m"], &request_for("ghcr.io/org/app"));
    assert_eq!(go_duration(answer.response().cache_duration.as_deref().unwrap()), Duration::from_secs(5400));
}

#[test]
fn an_image_with_no_credential_is_an_empty_auth() {
    let plugin = Plugin::new();
    plugin.config(&format!(
        r#"{{"auths":{{"ghcr.io":{{"auth":"{}"}},"quay.io":{{}}}}}}"#,
        basic("bot", "kubelet-other-pw")
    ));
    for image in
        ["registry.example.com/app", "ghcr.io:443/org/app", "quay.io/org/app", "docker.io/library/nginx"]
    {
        let answer = plugin.run(&[], &request_for(image));
        let response = answer.response();
        assert!(response.auth.unwrap_or_default().is_empty(), "{image}");
        assert_absent(&[("stderr", &answer.stderr)], &[("bot", "kubelet-other-pw")]);
    }
    // No config file at all.
    std::fs::remove_file(plugin.path("config.json")).unwrap();
    let answer = plugin.run(&[], &request_for("ghcr.io/org/app"));
    assert!(answer.response().auth.unwrap_or_default().is_empty());
    assert!(answer.stderr.contains("does not exist"), "{}", answer.stderr);
}

#[test]
fn cred_helpers_and_creds_store_in_docker_order() {
    let plugin = Plugin::new();
    plugin
        .helper("fleet", &helper_answer("fleet-user", "kubelet-helper-pw-1"))
        .helper("store", &helper_answer("store-user", "kubelet-helper-pw-2"))
        .helper("empty", "echo 'credentials not found in native keychain'; exit 1")
        .config(&format!(
            r#"{{"credHelpers":{{"registry.example.com:5000":"fleet","https://index.docker.io/v1/":"fleet","quay.io":"empty"}},
                "credsStore":"store",
                "auths":{{"ghcr.io":{{"auth":"{}"}}}}}}"#,
            basic("ignored", "kubelet-shadowed-pw")
        ));
    let table = [
        ("registry.example.com:5000/a/b:1", "registry.example.com:5000", "fleet-user", "kubelet-helper-pw-1"),
        ("nginx:latest", "docker.io", "fleet-user", "kubelet-helper-pw-1"),
        // credsStore wins over auths, as in docker.
        ("ghcr.io/org/app", "ghcr.io", "store-user", "kubelet-helper-pw-2"),
    ];
    for (image, registry, username, password) in table {
        let answer = plugin.run(&[], &request_for(image));
        let response = answer.response();
        assert_eq!(
            credential(&response, registry),
            AuthConfig { username: username.into(), password: password.into() },
            "{image}"
        );
        assert_absent(
            &[("stderr", &answer.stderr)],
            &[(username, password), ("ignored", "kubelet-shadowed-pw")],
        );
    }
    assert_eq!(plugin.asked("fleet"), "get registry.example.com:5000\nget https://index.docker.io/v1/\n");
    assert_eq!(plugin.asked("store"), "get ghcr.io\n");
    // A helper with nothing for the registry: an empty answer, not an error, and credsStore is not asked.
    let answer = plugin.run(&[], &request_for("quay.io/org/app"));
    assert!(answer.response().auth.unwrap_or_default().is_empty());
    assert_eq!(plugin.asked("empty"), "get quay.io\n");
    assert_eq!(plugin.asked("store"), "get ghcr.io\n");
}

#[test]
fn failing_missing_and_hanging_helpers_are_named() {
    let plugin = Plugin::new();
    plugin
        .helper("broken", "echo 'vault sealed' ; exit 1")
        .helper("hang", "sleep 30")
        .config(r#"{"credHelpers":{"broken.example.com":"broken","hang.example.com":"hang","gone.example.com":"gone"}}"#);
    let broken = plugin.run(&[], &request_for("broken.example.com/app"));
    let message = broken.failure();
    assert!(message.contains("docker-credential-broken") && message.contains("vault sealed"), "{message}");

    let gone = plugin.run(&[], &request_for("gone.example.com/app"));
    assert!(gone.failure().contains("docker-credential-gone is not installed"), "{}", gone.stderr);

    let hang = plugin.run(&["--helper-timeout", "0.5"], &request_for("hang.example.com/app"));
    let message = hang.failure();
    assert!(
        message.contains("docker-credential-hang") && message.contains("did not answer within 0.5s"),
        "{message}"
    );
    assert!(message.contains("hang.example.com"), "{message}");
}

#[test]
fn cache_duration_is_half_the_credential_remaining_life() {
    let plugin = Plugin::new();
    let exp = now() + 7200;
    let token = jwt_expiring_at(exp);
    let expired = jwt_expiring_at(now() - 60);
    let ecr = base64::engine::general_purpose::STANDARD
        .encode(format!(r#"{{"payload":"kubelet-ecr-payload","datakey":"d","version":"2","type":"DATA_KEY","expiration":{}}}"#, now() + 43_200));
    plugin
        .helper("jwt", &helper_answer("robot", &token))
        .helper("ecr", &helper_answer("AWS", &ecr))
        .config(&format!(
            r#"{{"credHelpers":{{"jwt.example.com":"jwt","123456789012.dkr.ecr.eu-west-1.amazonaws.com":"ecr"}},
                "auths":{{"old.example.com":{{"auth":"{}"}}}}}}"#,
            basic("robot", &expired)
        ));

    let answer = plugin.run(&[], &request_for("jwt.example.com/app"));
    let response = answer.response();
    assert_eq!(credential(&response, "jwt.example.com").password, token);
    let cached = go_duration(response.cache_duration.as_deref().unwrap());
    // Half of the two hours left when the token was made, less the seconds this test took.
    assert!(cached <= Duration::from_secs(3600) && cached > Duration::from_secs(3300), "{cached:?}");
    assert_absent(&[("stderr", &answer.stderr)], &[("robot", &token)]);

    let answer = plugin.run(&[], &request_for("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app"));
    let cached = go_duration(answer.response().cache_duration.as_deref().unwrap());
    assert!(cached <= Duration::from_secs(21_600) && cached > Duration::from_secs(21_300), "{cached:?}");

    let answer = plugin.run(&[], &request_for("old.example.com/app"));
    let response = answer.response();
    assert_eq!(response.cache_duration.as_deref(), Some("0s"), "an expired credential is not cached");
    assert_eq!(credential(&response, "old.example.com").password, expired);
    assert!(answer.stderr.contains("has expired"), "{}", answer.stderr);
    assert_absent(&[("stderr", &answer.stderr)], &[("robot", &expired)]);
}

#[test]
fn credentials_the_kubelet_cannot_carry_are_refused_without_showing_them() {
    let plugin = Plugin::new();
    plugin.helper("oauth", &helper_answer("<token>", "kubelet-refresh-token-1")).config(&format!(
        r#"{{"credHelpers":{{"oauth.example.com":"oauth"}},
            "auths":{{"id.example.com":{{"auth":"{}","identitytoken":"kubelet-identity-token-2"}},
                      "bearer.example.com":{{"registrytoken":"kubelet-registry-token-3"}}}}}}"#,
        basic("someone", "kubelet-beside-token-pw")
    ));
    let table = [
        ("oauth.example.com/app", "identity (refresh) token"),
        ("id.example.com/app", "identity (refresh) token"),
        ("bearer.example.com/app", "registry bearer token"),
    ];
    for (image, needle) in table {
        let answer = plugin.run(&[], &request_for(image));
        let message = answer.failure();
        assert!(message.contains(needle), "{image}: {message}");
        assert_absent(
            &[("stderr", &answer.stderr)],
            &[
                ("<token>", "kubelet-refresh-token-1"),
                ("", "kubelet-identity-token-2"),
                ("", "kubelet-registry-token-3"),
                ("someone", "kubelet-beside-token-pw"),
            ],
        );
    }
}

/// The kubelet's own decoding: padded base64, or padding-less when no `=` ends the field (RawStdEncoding);
/// a field it cannot decode fails its reading of the whole file, so the plugin serves nothing from it.
#[test]
fn auth_is_served_only_as_the_kubelet_reads_it() {
    let plugin = Plugin::new();
    let padded = basic("ci", "kubelet-nopad-pw-01");
    assert!(padded.ends_with('='), "the case needs padding: {padded}");
    plugin.config(&format!(
        r#"{{"auths":{{"127.0.0.1:5000":{{"auth":"{}"}}}}}}"#,
        padded.trim_end_matches('=')
    ));
    let answer = plugin.run(&[], &request_for("127.0.0.1:5000/team/app"));
    assert_eq!(
        credential(&answer.response(), "127.0.0.1:5000"),
        AuthConfig { username: "ci".into(), password: "kubelet-nopad-pw-01".into() }
    );
    let refused = [
        (format!(r#"{{"127.0.0.1:5000":{{"auth":"{padded} "}}}}"#), "white space at character"),
        (r#"{"127.0.0.1:5000":{"auth":"%%%not-base64"}}"#.to_owned(), "not valid base64"),
        (
            format!(r#"{{"other.example":{{"auth":"%%%"}},"127.0.0.1:5000":{{"auth":"{padded}"}}}}"#),
            "reads no entry of such a file",
        ),
    ];
    for (auths, needle) in &refused {
        plugin.config(&format!(r#"{{"auths":{auths}}}"#));
        let answer = plugin.run(&[], &request_for("127.0.0.1:5000/team/app"));
        let message = answer.failure();
        assert!(message.contains(needle), "{auths}: {message}");
        assert_absent(&[("stderr", &answer.stderr)], &[("ci", "kubelet-nopad-pw-01")]);
    }
    let no_colon = base64::engine::general_purpose::STANDARD.encode("ci-kubelet-no-colon");
    plugin.config(&format!(r#"{{"auths":{{"127.0.0.1:5000":{{"auth":"{no_colon}"}}}}}}"#));
    let answer = plugin.run(&[], &request_for("127.0.0.1:5000/team/app"));
    assert!(answer.failure().contains("no \":\""), "{}", answer.stderr);
}

#[test]
fn the_request_is_never_echoed() {
    let plugin = Plugin::new();
    plugin.config(r#"{"auths":{}}"#);
    let token = "eyJhbGciOiJSUzI1NiJ9.kubelet-sa-token-payload.signature-part";
    let mut annotations = BTreeMap::new();
    annotations.insert("example.com/role".to_string(), "kubelet-annotation-value".to_string());
    let mut request = request_for("ghcr.io/org/app");
    request.service_account_token = Some(token.into());
    request.service_account_annotations = Some(annotations);
    let answer = plugin.run(&[], &request);
    assert!(answer.response().auth.unwrap_or_default().is_empty());
    assert_absent(&[("stdout", &answer.stdout), ("stderr", &answer.stderr)], &[("", token)]);

    // Refused requests carrying the token: another version, broken JSON, too large.
    let json = serde_json::to_string(&request).unwrap();
    let mut oversized = json.clone().into_bytes();
    oversized.truncate(oversized.len() - 1);
    oversized.extend_from_slice(br#","pad":""#);
    oversized.resize(2 * 1024 * 1024, b'a');
    let inputs = [
        json.replace(V1, "credentialprovider.kubelet.k8s.io/v1beta1").into_bytes(),
        json.as_bytes()[..json.len() - 3].to_vec(),
        json.replace("kubelet-sa-token-payload", "kubelet-sa-token-payload\\q").into_bytes(),
        oversized,
    ];
    for input in inputs {
        let answer = plugin.run_raw(&[], &input);
        answer.failure();
        assert_absent(&[("stderr", &answer.stderr)], &[("", token), ("", "kubelet-annotation-value")]);
    }
}

#[test]
fn the_example_provider_config_names_this_plugin_and_its_arguments() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = std::fs::read_to_string(root.join("docs/kubelet-credential-provider.yaml")).unwrap();
    for needle in [
        "kind: CredentialProviderConfig",
        "name: docker-credential-regauth-kubelet",
        "apiVersion: credentialprovider.kubelet.k8s.io/v1",
        "\"--config\"",
        "\"--helper-timeout\"",
        "\"--default-cache-duration\"",
        "defaultCacheDuration:",
        "matchImages:",
    ] {
        assert!(example.contains(needle), "the example lacks {needle:?}");
    }
    // Its args are ones the plugin accepts.
    let plugin = Plugin::new();
    plugin.config("{}");
    let answer = plugin
        .run(&["--helper-timeout", "20", "--default-cache-duration", "5m"], &request_for("a.example.com/b"));
    assert_eq!(answer.response().cache_duration.as_deref(), Some("5m0s"));
}
