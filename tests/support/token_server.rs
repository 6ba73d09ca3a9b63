//! A token server owned by the tests: a real HTTP server on 127.0.0.1 that signs real ES256 JWTs the
//! distribution registry verifies. Its policy decides per user and repository, in the spec's way (grant the
//! intersection, maybe empty) or Docker Hub's (401 "insufficient scopes" when any asked action is not
//! allowed) or GitLab's (GET only; 403 for a credential without registry scope). It can issue expired
//! tokens, refresh tokens, and answer 429.

use super::certs::{signing_key, SigningKey};
use super::http_server::{Request, Response, Server};
use base64::Engine;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

pub const ISSUER: &str = "regauth-test-issuer";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Spec,
    DockerHub,
    GitLab,
}

#[derive(Debug, Clone, Default)]
pub struct User {
    pub password: String,
    /// `(repository, actions)` this user may do; `ns/*` covers every repository under `ns/`.
    pub grants: Vec<(String, Vec<String>)>,
    /// Tokens for this user are already expired.
    pub expired: bool,
    /// GitLab style: false means the credential has no registry scope at all (403).
    pub no_registry_scope: bool,
    /// The credential itself has expired (a PAT past its date): every token request is refused, saying so.
    pub credential_expired: bool,
}

impl User {
    pub fn new(password: &str, grants: &[(&str, &[&str])]) -> User {
        User {
            password: password.into(),
            grants: grants
                .iter()
                .map(|(r, a)| (r.to_string(), a.iter().map(|x| x.to_string()).collect()))
                .collect(),
            ..User::default()
        }
    }
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub style: Style,
    pub users: HashMap<String, User>,
    /// What anonymous requests may do.
    pub anonymous: Vec<(String, Vec<String>)>,
    pub rate_limited: bool,
    /// The tokens' lifetime in seconds (their `exp` and `expires_in`); 300 when `None`.
    pub lifetime: Option<u64>,
}

impl Policy {
    pub fn new(style: Style) -> Policy {
        Policy { style, users: HashMap::new(), anonymous: Vec::new(), rate_limited: false, lifetime: None }
    }

    pub fn user(mut self, name: &str, user: User) -> Policy {
        self.users.insert(name.into(), user);
        self
    }
}

struct State {
    policy: Policy,
    refresh_tokens: HashMap<String, String>,
    /// `METHOD grant` lines, for tests that assert how tokens were asked for.
    log: Vec<String>,
    /// Every request the token endpoint received, answered or refused.
    requests: usize,
    /// Who asked for what: `METHOD user=NAME scope=A scope=B` per request (`user=` empty: anonymous or a
    /// refresh token), for tests that compare a real client's requests with a prediction.
    asked: Vec<String>,
}

pub struct TokenServer {
    /// Stops when dropped.
    _server: Server,
    state: Arc<Mutex<State>>,
    key: Arc<SigningKey>,
    pub port: u16,
    /// The host name in the realm: `127.0.0.1`, or `localhost` to look like another host.
    pub realm_host: String,
    pub path: String,
    pub service: String,
    pub bundle: PathBuf,
    _dir: tempfile::TempDir,
}

impl TokenServer {
    /// Serve `policy` at `http://127.0.0.1:PORT{path}` for `service`.
    pub fn start(policy: Policy, path: &str, service: &str) -> TokenServer {
        let dir = tempfile::tempdir().unwrap();
        let key = Arc::new(signing_key(dir.path()));
        let state = Arc::new(Mutex::new(State {
            policy,
            refresh_tokens: HashMap::new(),
            log: Vec::new(),
            requests: 0,
            asked: Vec::new(),
        }));
        let server = {
            let (state, key, service) = (state.clone(), key.clone(), service.to_owned());
            Server::start(move |request| handle(request, &state, &key, &service))
        };
        let port = server.port;
        TokenServer {
            _server: server,
            state,
            key: key.clone(),
            port,
            realm_host: "127.0.0.1".into(),
            path: path.into(),
            service: service.into(),
            bundle: key.bundle.clone(),
            _dir: dir,
        }
    }

    pub fn realm(&self) -> String {
        format!("http://{}:{}{}", self.realm_host, self.port, self.path)
    }

    /// A token minted directly (for pushing test images), as if `subject` had asked.
    pub fn mint(&self, subject: &str, access: &[(&str, &[&str])]) -> String {
        let access: Vec<(String, Vec<String>)> =
            access.iter().map(|(r, a)| (r.to_string(), a.iter().map(|x| x.to_string()).collect())).collect();
        sign(&self.key, subject, &self.service, &access, false)
    }

    pub fn set_rate_limited(&self, on: bool) {
        self.state.lock().unwrap().policy.rate_limited = on;
    }

    /// Replace (or add) `name`'s credential and rights, as when an account's token is swapped for another.
    pub fn set_user(&self, name: &str, user: User) {
        self.state.lock().unwrap().policy.users.insert(name.into(), user);
    }

    /// How many requests the token endpoint has received.
    pub fn requests(&self) -> usize {
        self.state.lock().unwrap().requests
    }

    /// Issue tokens that live `seconds` (their `exp` and `expires_in`).
    pub fn set_lifetime(&self, seconds: u64) {
        self.state.lock().unwrap().policy.lifetime = Some(seconds);
    }

    pub fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }

    /// `METHOD user=NAME scope=...` for every token request received, answered or refused.
    pub fn asked(&self) -> Vec<String> {
        self.state.lock().unwrap().asked.clone()
    }

    /// A refresh token for `user`, as `docker login` would have stored it as `identitytoken`.
    pub fn issue_refresh_token(&self, user: &str) -> String {
        let token = format!("rt-{user}-{}", now());
        self.state.lock().unwrap().refresh_tokens.insert(token.clone(), user.into());
        token
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

type Reply = (u16, String, Vec<(&'static str, String)>);

fn handle(request: &Request, state: &Mutex<State>, key: &SigningKey, service: &str) -> Response {
    let is_post = request.method == "POST";
    let url = format!("http://x{}", request.target);
    let (status, body, headers) =
        decide(state, key, service, is_post, &url, &request.body, request.header("authorization"));
    Response { status, body, headers }
}

fn pairs(text: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://x/?{text}")).unwrap().query_pairs().into_owned().collect()
}

fn decide(
    state: &Mutex<State>,
    key: &SigningKey,
    service: &str,
    is_post: bool,
    url: &str,
    body: &str,
    authorization: Option<&str>,
) -> Reply {
    let mut state = state.lock().unwrap();
    state.requests += 1;
    let asked = describe_request(is_post, url, body, authorization, &state.refresh_tokens);
    state.asked.push(asked);
    let policy = state.policy.clone();
    if policy.rate_limited {
        let headers = vec![
            ("ratelimit-limit", "100;w=21600".to_owned()),
            ("ratelimit-remaining", "0;w=21600".to_owned()),
            ("docker-ratelimit-source", "127.0.0.1".to_owned()),
        ];
        return (
            429,
            r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."}]}"#
                .into(),
            headers,
        );
    }
    let (subject, scopes, offline) = if is_post {
        if policy.style == Style::GitLab {
            state.log.push("POST refused (GET only)".into());
            return (404, "404 page not found".into(), vec![]);
        }
        let form = pairs(body);
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
        let grant = get("grant_type");
        state.log.push(format!("POST {grant}"));
        let subject = match grant.as_str() {
            "refresh_token" => match state.refresh_tokens.get(&get("refresh_token")) {
                Some(user) => user.clone(),
                None => return (401, r#"{"error":"invalid_grant"}"#.into(), vec![]),
            },
            "password" => match policy.users.get(&get("username")) {
                Some(u) if u.password == get("password") => get("username"),
                _ => return unauthorized(policy.style),
            },
            _ => return (400, r#"{"error":"unsupported_grant_type"}"#.into(), vec![]),
        };
        let scopes: Vec<String> = get("scope").split_whitespace().map(str::to_owned).collect();
        (Some(subject), scopes, get("access_type") == "offline")
    } else {
        let query = pairs(url.split_once('?').map(|(_, q)| q).unwrap_or_default());
        let scopes: Vec<String> = query
            .iter()
            .filter(|(k, _)| k == "scope")
            .flat_map(|(_, v)| v.split_whitespace().map(str::to_owned))
            .collect();
        let offline = query.iter().any(|(k, v)| k == "offline_token" && v == "true");
        let subject = match authorization.and_then(decode_basic) {
            None => None,
            Some((user, secret)) => {
                let by_password = policy.users.get(&user).is_some_and(|u| u.password == secret);
                let by_refresh =
                    state.refresh_tokens.get(&secret).is_some_and(|u| *u == user || user == "<token>");
                if by_password {
                    Some(user)
                } else if by_refresh {
                    state.refresh_tokens.get(&secret).cloned()
                } else {
                    state.log.push("GET bad credential".into());
                    return unauthorized(policy.style);
                }
            }
        };
        state.log.push(format!("GET {}", if subject.is_some() { "basic" } else { "anonymous" }));
        (subject, scopes, offline)
    };
    let user = subject.as_ref().and_then(|s| policy.users.get(s));
    if user.is_some_and(|u| u.credential_expired) {
        return (401, r#"{"details":"personal access token is expired"}"#.into(), vec![]);
    }
    if policy.style == Style::GitLab && user.is_some_and(|u| u.no_registry_scope) {
        return (403, r#"{"error":"access forbidden"}"#.into(), vec![]);
    }
    let allowed = user.map(|u| u.grants.clone()).unwrap_or_else(|| policy.anonymous.clone());
    let mut access: Vec<(String, Vec<String>)> = Vec::new();
    for scope in &scopes {
        let Some((rest, actions)) = scope.strip_prefix("repository:").and_then(|s| s.rsplit_once(':')) else {
            continue;
        };
        let may: Vec<String> =
            allowed.iter().filter(|(r, _)| grant_covers(r, rest)).flat_map(|(_, a)| a.clone()).collect();
        let asked: Vec<String> = actions.split(',').map(str::to_owned).collect();
        if policy.style == Style::DockerHub && subject.is_some() && asked.iter().any(|a| !may.contains(a)) {
            return (401, r#"{"details":"access token has insufficient scopes"}"#.into(), vec![]);
        }
        access.push((rest.to_owned(), asked.into_iter().filter(|a| may.contains(a)).collect()));
    }
    let expired = user.is_some_and(|u| u.expired);
    let lifetime = policy.lifetime.unwrap_or(300);
    let token = sign_for(key, subject.as_deref().unwrap_or_default(), service, &access, expired, lifetime);
    let mut response = serde_json::json!({"token": token, "access_token": token, "expires_in": lifetime});
    if offline {
        if let Some(s) = &subject {
            let refresh = format!("rt-{s}-issued-{}", now());
            state.refresh_tokens.insert(refresh.clone(), s.clone());
            response["refresh_token"] = refresh.into();
        }
    }
    (200, response.to_string(), vec![])
}

/// A grant names one repository, or `ns/*` for every repository under `ns/` (an account's own namespace,
/// as Docker Hub grants it, including repositories that do not exist yet).
fn grant_covers(grant: &str, repository: &str) -> bool {
    match grant.strip_suffix("/*") {
        Some(namespace) => repository.strip_prefix(namespace).is_some_and(|rest| rest.starts_with('/')),
        None => grant == repository,
    }
}

fn unauthorized(style: Style) -> Reply {
    match style {
        Style::GitLab => (401, "HTTP Basic: Access denied\n".into(), vec![]),
        _ => (401, r#"{"details":"incorrect username or password"}"#.into(), vec![]),
    }
}

/// `METHOD user=NAME scope=A scope=B` (scopes in the order sent; a POST's space-separated ones split). NAME
/// is the Basic or form username, or the owner of the refresh token sent (`NAME(refresh)`).
fn describe_request(
    is_post: bool,
    url: &str,
    body: &str,
    authorization: Option<&str>,
    refresh_tokens: &HashMap<String, String>,
) -> String {
    let (method, fields) = if is_post {
        ("POST", pairs(body))
    } else {
        ("GET", pairs(url.split_once('?').map(|(_, q)| q).unwrap_or_default()))
    };
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let basic = authorization.and_then(decode_basic);
    let refresh = basic.as_ref().map(|(_, secret)| secret.clone()).or_else(|| field("refresh_token"));
    let user = match (basic.as_ref().map(|(u, _)| u.as_str()), refresh.and_then(|t| refresh_tokens.get(&t))) {
        (_, Some(owner)) => format!("{owner}(refresh)"),
        (Some(user), None) if !user.is_empty() => user.to_owned(),
        _ => field("username").unwrap_or_default(),
    };
    let mut line = format!("{method} user={user}");
    for (_, value) in fields.iter().filter(|(k, _)| k == "scope") {
        for scope in value.split_whitespace() {
            line.push_str(&format!(" scope={scope}"));
        }
    }
    line
}

fn decode_basic(header: &str) -> Option<(String, String)> {
    let encoded = header.strip_prefix("Basic ")?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, secret) = text.split_once(':')?;
    Some((user.into(), secret.into()))
}

/// A compact ES256 JWS the registry accepts: `kid` names the key in the bundle, `aud` is the service.
fn sign(
    key: &SigningKey,
    subject: &str,
    service: &str,
    access: &[(String, Vec<String>)],
    expired: bool,
) -> String {
    sign_for(key, subject, service, access, expired, 300)
}

/// [`sign`] with a lifetime of `lifetime` seconds.
fn sign_for(
    key: &SigningKey,
    subject: &str,
    service: &str,
    access: &[(String, Vec<String>)],
    expired: bool,
    lifetime: u64,
) -> String {
    use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let now = now() as i64;
    let (nbf, exp) = if expired { (now - 7200, now - 3600) } else { (now - 10, now + lifetime as i64) };
    let header = serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": key.kid});
    let access: Vec<serde_json::Value> = access
        .iter()
        .map(|(name, actions)| serde_json::json!({"type": "repository", "name": name, "actions": actions}))
        .collect();
    let claims = serde_json::json!({
        "iss": ISSUER, "sub": subject, "aud": service, "exp": exp, "nbf": nbf, "iat": nbf,
        "jti": format!("{subject}-{now}-{}", access.len()), "access": access,
    });
    let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    let rng = ring::rand::SystemRandom::new();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &key.pkcs8, &rng).unwrap();
    let signature = pair.sign(&rng, input.as_bytes()).unwrap();
    format!("{input}.{}", b64(signature.as_ref()))
}
