//! docker-credential-regauth-kubelet run by the kubelet's own credential provider plugin manager
//! (k8s.io/kubernetes v1.37.2, linked by tests/go/kubelet): the shipped example CredentialProviderConfig
//! with this test's paths is read and validated by the kubelet, which runs the plugin for matching images
//! only, decodes its answers with its strict codec, caches them by the `cacheKeyType` and `cacheDuration`
//! they carry, and hands the credentials to its keyring. The kubelet's own metrics count the plugin runs,
//! so a lookup served from its cache shows as no run.

mod support;

use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use support::helpers::helper_bin;
use support::leaks::assert_absent;
use support::write_script;

const EXAMPLE: &str = include_str!("../docs/kubelet-credential-provider.yaml");

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    /// A node: a docker config with an `auths` entry, a Docker Hub entry and a helper; the plugin in a bin
    /// dir of its own; the example provider config pointing at them, its default cache duration `cache`.
    fn new(cache: &str, extra_provider_yaml: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let setup = Setup { dir };
        for d in ["bin", "helpers"] {
            std::fs::create_dir(setup.path(d)).unwrap();
        }
        let basic = |u: &str, p: &str| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
        };
        let config = json!({
            "auths": {
                "registry.example.com": {"auth": basic("reg-user", "reg-pw-secret-1")},
                "https://index.docker.io/v1/": {"auth": basic("hub-user", "hub-pw-secret-2")},
                "other.example.com": {"auth": basic("other-user", "other-pw-secret-3")},
            },
            "credHelpers": {
                "registry.example.com:5000": "fake",
                "210987654321.dkr.ecr.eu-west-1.amazonaws.com": "not-installed",
            },
        });
        std::fs::write(setup.path("docker-config.json"), config.to_string()).unwrap();
        write_script(
            &setup.path("helpers").join("docker-credential-fake"),
            r#"cat >/dev/null; printf '{"ServerURL":"registry.example.com:5000","Username":"helper-user","Secret":"helper-pw-secret-4"}'"#,
        );
        // The kubelet runs `<bin dir>/<provider name>`: a wrapper that keeps the requests it was given.
        let requests = setup.path("requests.log");
        write_script(
            &setup.path("bin").join("docker-credential-regauth-kubelet"),
            &format!(
                "tee -a '{}' | exec '{}' \"$@\"",
                requests.display(),
                helper_bin("docker-credential-regauth-kubelet").display()
            ),
        );
        let yaml = EXAMPLE
            .replace("/etc/regauth/docker-config.json", setup.path("docker-config.json").to_str().unwrap())
            .replace(
                "/usr/local/bin:/usr/bin:/bin",
                &format!("{}:/usr/bin:/bin", setup.path("helpers").display()),
            )
            .replace(
                "      - \"--default-cache-duration\"\n      - \"5m\"",
                &format!("      - \"--default-cache-duration\"\n      - \"{cache}\""),
            )
            .replace("    env:\n", &format!("{extra_provider_yaml}    env:\n"));
        assert!(yaml.contains(cache) && yaml.contains("docker-config.json"), "the example changed: {yaml}");
        std::fs::write(setup.path("providers.yaml"), yaml).unwrap();
        setup
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Run the kubelet's plugin manager over `steps` (`[image, sleep ms]`), with `extra` merged into its input.
    fn run(&self, oracle: &Path, steps: &[(&str, u64)], extra: Value) -> (Vec<Value>, String) {
        let steps: Vec<Value> = steps.iter().map(|(i, ms)| json!({"image": i, "sleepMs": ms})).collect();
        let mut input =
            json!({"config": self.path("providers.yaml"), "binDir": self.path("bin"), "steps": steps});
        input.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let mut child = support::command::clean(oracle)
            .arg("plugin")
            .env("PATH", "/usr/bin:/bin")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "kubelet-oracle: {stderr}");
        (serde_json::from_slice(&out.stdout).unwrap(), stderr)
    }

    fn requests(&self) -> String {
        std::fs::read_to_string(self.path("requests.log")).unwrap_or_default()
    }
}

/// (username, password) pairs the kubelet's keyring returned for one step.
fn creds(step: &Value) -> Vec<(String, String)> {
    assert!(step["error"].is_null(), "{step}");
    step["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["username"].as_str().unwrap().to_owned(), c["password"].as_str().unwrap().to_owned()))
        .collect()
}

fn pair(u: &str, p: &str) -> Vec<(String, String)> {
    vec![(u.to_owned(), p.to_owned())]
}

#[test]
fn the_kubelet_gets_credentials_for_matching_images_only_and_caches_them_per_registry() {
    let Some(oracle) = support::go::need_peer("kubelet", "kubelet-oracle") else { return };
    let setup = Setup::new("2s", "");
    let (steps, stderr) = setup.run(
        &oracle,
        &[
            ("registry.example.com/team/app:v1", 0),
            // Same registry: the kubelet's cache (cacheKeyType Registry) answers, no new run.
            ("registry.example.com/other/tool", 0),
            // A helper through credHelpers.
            ("registry.example.com:5000/team/app", 0),
            ("nginx", 0),
            // Credentials exist, but the provider's matchImages do not name the registry: not asked.
            ("other.example.com/app", 0),
            // Matched, nothing configured: the plugin runs and answers an empty auth.
            ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app", 0),
            // cacheDuration 2s (--default-cache-duration) is what the kubelet keeps it for, not the
            // config's defaultCacheDuration of 5m: after it, a new run.
            ("registry.example.com/team/app:v2", 2300),
        ],
        json!({}),
    );
    let want: [(Vec<(String, String)>, u64); 7] = [
        (pair("reg-user", "reg-pw-secret-1"), 1),
        (pair("reg-user", "reg-pw-secret-1"), 1),
        (pair("helper-user", "helper-pw-secret-4"), 2),
        (pair("hub-user", "hub-pw-secret-2"), 3),
        (vec![], 3),
        (vec![], 4),
        (pair("reg-user", "reg-pw-secret-1"), 5),
    ];
    for (n, (step, (credentials, execs))) in steps.iter().zip(want).enumerate() {
        assert_eq!(creds(step), credentials, "step {n}: {step}");
        assert_eq!(step["execs"], execs, "plugin runs after step {n}: {step}");
        assert_eq!(step["errors"], 0, "the kubelet counted a failed run: {step}\n{stderr}");
    }
    // A response the strict codec refused would be logged by the kubelet and give no credentials.
    assert!(!stderr.contains("error decoding"), "{stderr}");
    assert_eq!(setup.requests().lines().count(), 5, "{}", setup.requests());
    assert_absent(
        &[("kubelet log", &stderr)],
        &[
            ("reg-user", "reg-pw-secret-1"),
            ("hub-user", "hub-pw-secret-2"),
            ("helper-user", "helper-pw-secret-4"),
        ],
    );
}

#[test]
fn a_zero_cache_duration_makes_the_kubelet_ask_every_time() {
    let Some(oracle) = support::go::need_peer("kubelet", "kubelet-oracle") else { return };
    let setup = Setup::new("0s", "");
    let image = "registry.example.com/team/app";
    let (steps, _) = setup.run(&oracle, &[(image, 0), (image, 0), (image, 0)], json!({}));
    let runs: Vec<u64> = steps.iter().map(|s| s["execs"].as_u64().unwrap()).collect();
    assert_eq!(runs, [1, 2, 3]);
    for step in &steps {
        assert_eq!(creds(step), pair("reg-user", "reg-pw-secret-1"));
    }
}

#[test]
fn a_service_account_token_from_the_kubelet_is_accepted_and_never_shown() {
    let Some(oracle) = support::go::need_peer("kubelet", "kubelet-oracle") else { return };
    let token = "eyJhbGciOiJSUzI1NiJ9.sa-token-payload-7d3f.sig-9a1c";
    let attributes = "    tokenAttributes:\n      serviceAccountTokenAudience: regauth-test\n      \
                      cacheType: ServiceAccount\n      requireServiceAccount: true\n      \
                      optionalServiceAccountAnnotationKeys: [\"example.com/team\"]\n";
    let setup = Setup::new("5m", attributes);
    let pod = json!({"namespace": "shop", "name": "web-1", "uid": "pod-uid-1", "serviceAccount": "builder"});
    let sa = json!({"uid": "sa-uid-1", "annotations": {"example.com/team": "shop"}, "token": token});
    let steps =
        [("registry.example.com/team/app", 0), ("210987654321.dkr.ecr.eu-west-1.amazonaws.com/app", 0)];
    let (steps, stderr) = setup.run(&oracle, &steps, json!({"pod": pod, "serviceAccount": sa}));
    assert_eq!(creds(&steps[0]), pair("reg-user", "reg-pw-secret-1"));
    assert_eq!(steps[0]["errors"], 0, "{stderr}");
    // A helper that is not installed: the plugin fails and the kubelet logs its message, which names the
    // helper and holds no token.
    assert_eq!(creds(&steps[1]), vec![]);
    assert_eq!(steps[1]["errors"], 1, "{stderr}");
    assert!(stderr.contains("docker-credential-not-installed"), "{stderr}");
    // The kubelet did send the token and the annotations (KEP-4412): the plugin got them and answered.
    let requests = setup.requests();
    assert!(requests.contains(token) && requests.contains("example.com/team"), "{requests}");
    assert_absent(&[("kubelet log", &stderr)], &[("", token)]);
}
