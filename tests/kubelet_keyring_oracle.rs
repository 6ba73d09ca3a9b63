//! The kubelet's own keyring (k8s.io/kubernetes, linked by tests/go/kubelet) as the judge of
//! `regauth diagnose --kube`: for a generated corpus of pods, pull secrets and images, the credentials the
//! kubelet would try for each image, in its order, must be regauth's candidates, case for case.
//!
//! Only the candidate lists are compared. The probes that diagnose runs after choosing them go to a proxy
//! on a closed local port, so nothing leaves the machine and every probe ends at once.

mod support;

use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};
use support::kube_corpus::{self, Case};

const SEED: u64 = 0x5eed_1900_2026;
const CASES: usize = 320;

/// One image's answer, from either side: the keyring could not be built, or these (secret, username)s.
#[derive(Debug, PartialEq)]
enum Answer {
    KeyringError,
    Credentials(Vec<(String, String)>),
}

fn run_oracle(oracle: &std::path::Path, cases: &[Case]) -> Vec<Value> {
    let input: Vec<Value> = cases
        .iter()
        .map(|c| json!({"id": c.id, "secrets": c.kubelet_secrets(), "images": c.images}))
        .collect();
    let mut child = support::command::clean(oracle)
        .arg("keyring")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kubelet-oracle");
    child.stdin.take().unwrap().write_all(&serde_json::to_vec(&input).unwrap()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "kubelet-oracle: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn run_regauth(cases: &[Case]) -> Value {
    let mut items = Vec::new();
    for c in cases {
        items.push(c.pod());
        items.extend(c.secrets.iter().cloned());
    }
    let list = json!({"apiVersion": "v1", "kind": "List", "items": items}).to_string();
    let home = tempfile::tempdir().unwrap();
    let proxy = format!("http://127.0.0.1:{}", support::free_port());
    let mut child = Command::new(support::command::regauth_bin())
        .env_clear()
        .args(["diagnose", "--kube", "-", "--json", "--timeout", "120"])
        .env("HOME", home.path())
        .env("HTTPS_PROXY", &proxy)
        .env("HTTP_PROXY", &proxy)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run regauth");
    child.stdin.take().unwrap().write_all(list.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("regauth printed no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)))
}

fn regauth_answer(image: &Value) -> Answer {
    let secrets = image["pullSecrets"].as_array().unwrap();
    if secrets.iter().any(|s| s["state"] == "undecodable") {
        return Answer::KeyringError;
    }
    let found = image["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["source"] == "secret")
        .map(|a| {
            let secret = a["secret"].as_str().unwrap_or_default();
            // regauth names `namespace/name`; the kubelet the name.
            let name = secret.rsplit('/').next().unwrap().to_owned();
            (name, a["username"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    Answer::Credentials(found)
}

fn oracle_answer(case: &Value, index: usize, passwords: &HashMap<String, String>) -> Answer {
    if case["error"].is_string() {
        return Answer::KeyringError;
    }
    let image = &case["images"][index];
    assert!(image["error"].is_null(), "the kubelet cannot parse {image}");
    let found = image["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let user = c["username"].as_str().unwrap().to_owned();
            // Each username has its own password: the kubelet must hand over the pair as stored.
            if let Some(expected) = passwords.get(&user) {
                assert_eq!(c["password"].as_str().unwrap(), expected, "password of {user}");
            }
            (c["secret"].as_str().unwrap_or_default().to_owned(), user)
        })
        .collect();
    Answer::Credentials(found)
}

#[test]
fn kubelet_keyring_and_diagnose_kube_agree_on_every_case() {
    let Some(oracle) = support::go::need_peer("kubelet", "kubelet-oracle") else { return };
    let mut passwords = HashMap::new();
    let cases = kube_corpus::generate(SEED, CASES, &mut passwords);
    let kubelet = run_oracle(&oracle, &cases);
    let regauth = run_regauth(&cases);
    let images = regauth["images"].as_array().unwrap();

    let mut mismatches = Vec::new();
    let (mut compared, mut errors, mut several, mut none) = (0, 0, 0, 0);
    for (case, answer) in cases.iter().zip(&kubelet) {
        assert_eq!(answer["id"], case.id.as_str());
        for (index, image) in case.images.iter().enumerate() {
            let ours = images
                .iter()
                .find(|i| {
                    i["workload"]["namespace"] == case.id.as_str() && i["container"] == format!("c{index}")
                })
                .unwrap_or_else(|| panic!("regauth has no report for {} c{index}", case.id));
            let norm = normalized_by_user(ours);
            let theirs = canonical(oracle_answer(answer, index, &passwords), &norm);
            match &theirs {
                Answer::KeyringError => errors += 1,
                Answer::Credentials(c) if c.is_empty() => none += 1,
                Answer::Credentials(c) if c.len() > 1 => several += 1,
                Answer::Credentials(_) => {}
            }
            compared += 1;
            let mine = canonical(regauth_answer(ours), &norm);
            if mine != theirs {
                mismatches.push(format!(
                    "{} {image}: kubelet {theirs:?}, regauth {mine:?}\n  secrets: {}",
                    case.id,
                    describe(case)
                ));
            }
        }
    }
    eprintln!(
        "compared {compared} images of {} cases: {errors} keyring errors, {none} with no credential, \
         {several} with several",
        cases.len()
    );
    assert!(mismatches.is_empty(), "{} of {compared} differ:\n{}", mismatches.len(), mismatches.join("\n"));
    // The corpus must reach every kind of answer, or agreeing proves little.
    assert!(errors >= 10 && none >= 50 && several >= 50, "corpus too narrow");
}

/// Each username's key as the keyring holds it, from regauth's report of the pod's pull secrets.
fn normalized_by_user(image: &Value) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for secret in image["pullSecrets"].as_array().unwrap() {
        for key in secret["keys"].as_array().into_iter().flatten() {
            let user = key["username"].as_str().unwrap_or_default().to_owned();
            map.insert(user, key["normalized"].as_str().unwrap_or_default().to_owned());
        }
    }
    map
}

/// The kubelet adds one secret's entries by ranging over a Go map, so entries of one secret whose keys
/// become the same keyring key come in random order: sort each such run by username, on both sides.
fn canonical(answer: Answer, norm: &HashMap<String, String>) -> Answer {
    let Answer::Credentials(mut list) = answer else { return answer };
    let group = |c: &(String, String)| (c.0.clone(), norm.get(&c.1).cloned().unwrap_or_default());
    let mut start = 0;
    while start < list.len() {
        let mut end = start + 1;
        while end < list.len() && group(&list[end]) == group(&list[start]) {
            end += 1;
        }
        list[start..end].sort();
        start = end;
    }
    Answer::Credentials(list)
}

/// The case's secrets with their data decoded, for a failure message (the corpus holds no real secret).
fn describe(case: &Case) -> String {
    use base64::Engine;
    let mut out = String::new();
    for name in &case.pull_secret_names {
        let Some(s) = case.secrets.iter().find(|s| s["metadata"]["name"] == name.as_str()) else {
            out.push_str(&format!("{name}: absent; "));
            continue;
        };
        for (key, value) in s["data"].as_object().unwrap() {
            let bytes = base64::engine::general_purpose::STANDARD.decode(value.as_str().unwrap()).unwrap();
            out.push_str(&format!("{name} {} {key}={}; ", s["type"], String::from_utf8_lossy(&bytes)));
        }
    }
    out
}
