//! The real docker-credential-ecr-login (amazon-ecr-credential-helper, tests/go/credhelpers) as the inner
//! helper of docker-credential-regauth-cache. An ECR API stand-in on 127.0.0.1 answers
//! GetAuthorizationToken; the AWS SDK inside the real helper is pointed at it with AWS_ENDPOINT_URL_ECR
//! (the SDK's own per-service endpoint setting), with made-up keys and the metadata service off, so nothing
//! leaves the machine. The second `get` is served from regauth's cache: the stand-in sees one request.

mod support;

use std::process::Command;
use std::sync::{Arc, Mutex};
use support::command::{clean, regauth, system_path};
use support::helpers::{bin_dir, call, helper_bin};
use support::http_server::{Response, Server};
use support::keyutils::keyutils_namespace;

const HOST: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const TOKEN: &str = "ecr-token-planted-7Hq";

#[test]
fn ecr_login_answers_through_the_cache_and_is_asked_once() {
    let Some(ecr_login) = support::go::need_peer("credhelpers", "docker-credential-ecr-login") else {
        return;
    };
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    let api = Server::start(move |request| {
        seen.lock().unwrap().push((
            request.header("x-amz-target").unwrap_or_default().to_owned(),
            request.header("authorization").unwrap_or_default().to_owned(),
        ));
        use base64::Engine;
        let token = base64::engine::general_purpose::STANDARD.encode(format!("AWS:{TOKEN}"));
        let expires =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 43200;
        Response {
            status: 200,
            body: format!(
                r#"{{"authorizationData":[{{"authorizationToken":"{token}","expiresAt":{expires},"proxyEndpoint":"https://{HOST}"}}]}}"#
            ),
            headers: vec![("Content-Type", "application/x-amz-json-1.1".into())],
        }
    });
    let dir = tempfile::tempdir().unwrap();
    for sub in ["home/.docker", "config", "cache"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
    }
    std::fs::write(dir.path().join("home/.docker/config.json"), "{}").unwrap();
    let namespace = keyutils_namespace("ecr");
    let apply = |c: &mut Command| {
        let mut paths = vec![bin_dir().to_path_buf(), ecr_login.parent().unwrap().to_path_buf()];
        paths.extend(std::env::split_paths(&system_path()));
        c.env("PATH", std::env::join_paths(paths).unwrap())
            .env("HOME", dir.path().join("home"))
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("XDG_CACHE_HOME", dir.path().join("cache"))
            .env("REGAUTH_KEYUTILS_NAMESPACE", &namespace)
            .env("AWS_ACCESS_KEY_ID", "AKIDREGAUTHTEST")
            .env("AWS_SECRET_ACCESS_KEY", "not-a-real-secret-key")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ECR_DISABLE_CACHE", "true")
            .env("AWS_ENDPOINT_URL_ECR", format!("http://127.0.0.1:{}", api.port));
    };
    let mut wrap = regauth();
    apply(&mut wrap);
    let out = wrap.args(["helpers", "wrap", "--registry", HOST, "--inner", "ecr-login"]).output().unwrap();
    assert!(out.status.success(), "wrap: {}", String::from_utf8_lossy(&out.stderr));
    let helper = || {
        let mut c = clean(helper_bin("docker-credential-regauth-cache"));
        apply(&mut c);
        c
    };
    // The real helper on its own first: the stand-in is what it talks to.
    let mut direct = clean(&ecr_login);
    apply(&mut direct);
    let answer = call(direct, "get", HOST);
    assert_eq!(answer.code, 0, "ecr-login: {answer:?}");
    assert!(answer.stdout.contains(TOKEN), "ecr-login did not answer with the stand-in's token");
    requests.lock().unwrap().clear();
    for round in 0..2 {
        let answer = call(helper(), "get", HOST);
        assert_eq!(answer.code, 0, "round {round}: {answer:?}");
        let creds: serde_json::Value = serde_json::from_str(&answer.stdout).unwrap();
        assert_eq!((creds["Username"].as_str(), creds["Secret"].as_str()), (Some("AWS"), Some(TOKEN)));
        assert!(!answer.stderr.contains(TOKEN), "the token reached stderr");
    }
    let seen = requests.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "the stand-in was asked {} times: {seen:?}", seen.len());
    assert_eq!(seen[0].0, "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken");
    assert!(
        seen[0].1.starts_with("AWS4-HMAC-SHA256 Credential=AKIDREGAUTHTEST/"),
        "unsigned: {:?}",
        seen[0].1
    );
    let mut clear = regauth();
    apply(&mut clear);
    let _ = clear.args(["cache", "clear"]).output();
}
