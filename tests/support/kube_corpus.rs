//! A generated corpus of pods with pull secrets, for comparing regauth's idea of the kubelet's keyring with
//! the kubelet's own (tests/go/kubelet). Deterministic: the same seed makes the same cases, so a failure
//! names a case that can be looked at again.
//!
//! Every credential has a username of its own, so an ordered list of usernames says which credentials were
//! chosen and in which order; the password of each is kept to check that the right one came with it.

use base64::Engine;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Keys of every shape a docker config in a pull secret is seen with.
pub const KEYS: &[&str] = &[
    "reg.example.com",
    "https://reg.example.com",
    "http://reg.example.com/v1/",
    "https://reg.example.com/v2/",
    "https://reg.example.com/",
    "reg.example.com/team",
    "reg.example.com/team/",
    "reg.example.com/team/app",
    "https://reg.example.com/team/app/deeper",
    "reg.example.com/teamx",
    "reg.example.com/v1/team",
    "reg.example.com:5000",
    "https://reg.example.com:5000/v2/",
    "reg.example.com:443",
    "*.example.com",
    "*.*.com",
    "*.example.com:5000",
    "*.example.com/team",
    "[a-r]eg.example.com",
    "[^r]eg.example.com",
    "example.com",
    "a.b.example.com",
    "Reg.example.com",
    "reg.example.com?x=1",
    "user@reg.example.com",
    "reg.example.com:notaport",
    "has space.example.com",
    "10.1.2.3:5000",
    "10.1.2.3",
    "https://10.1.2.3:5000/v2/",
    "10.1.2.*:5000",
    "[::1]:5000",
    "localhost:5000",
    "localhost",
    "https://index.docker.io/v1/",
    "index.docker.io",
    "docker.io",
    "https://docker.io",
    "docker.io/team",
    "docker.io/library",
    "registry-1.docker.io",
    "*.docker.io",
];

/// Images of every shape a pod names, for the registries above.
pub const IMAGES: &[&str] = &[
    "reg.example.com/team/app:v1",
    "reg.example.com/team/app/deeper/still",
    "reg.example.com/teamx/app",
    "reg.example.com/other/x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "reg.example.com:5000/team/app",
    "reg.example.com:443/team/app",
    "a.b.example.com/app",
    "example.com/app:1",
    "ceg.example.com/app",
    "10.1.2.3:5000/team/app",
    "10.1.2.3/app",
    "localhost:5000/app",
    "localhost/app",
    "nginx",
    "library/nginx:1.27",
    "team/app",
    "docker.io/team/app:1",
    "index.docker.io/team/app",
    "registry-1.docker.io/team/app",
];

/// How an entry of a docker config carries its credential.
#[derive(Clone, Copy)]
enum Shape {
    Auth,
    UserPassword,
    /// `auth` and a different `username`/`password`: `auth` wins.
    Both,
    /// An `auth` that is not base64 of `user:password`: the keyring cannot be built.
    BadAuth,
    /// Only an identity token: no username or password for the kubelet.
    IdentityToken,
}

/// A pod's namespace, pull-secret objects and images, with what the harness is given.
pub struct Case {
    pub id: String,
    /// The Secret objects in the namespace (some of another type or without data).
    pub secrets: Vec<Value>,
    /// Names the pod lists in `imagePullSecrets`, in order (some not present).
    pub pull_secret_names: Vec<String>,
    pub images: Vec<String>,
}

impl Case {
    /// The pod, as `kubectl get pod -o json` prints it.
    pub fn pod(&self) -> Value {
        let containers: Vec<Value> = self
            .images
            .iter()
            .enumerate()
            .map(|(i, image)| json!({"name": format!("c{i}"), "image": image}))
            .collect();
        let refs: Vec<Value> = self.pull_secret_names.iter().map(|n| json!({"name": n})).collect();
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "pod", "namespace": self.id},
               "spec": {"containers": containers, "imagePullSecrets": refs}})
    }

    /// The secrets the kubelet receives for the pod: those it names that exist, in the pod's order.
    pub fn kubelet_secrets(&self) -> Vec<Value> {
        self.pull_secret_names
            .iter()
            .filter_map(|n| self.secrets.iter().find(|s| s["metadata"]["name"] == n.as_str()).cloned())
            .collect()
    }
}

/// A small xorshift generator: reproducible without a crate.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `count` cases from `seed`; `passwords` gets every username's password.
pub fn generate(seed: u64, count: usize, passwords: &mut HashMap<String, String>) -> Vec<Case> {
    let mut rng = Rng::new(seed);
    (0..count).map(|n| case(&mut rng, n, passwords)).collect()
}

fn case(rng: &mut Rng, n: usize, passwords: &mut HashMap<String, String>) -> Case {
    let id = format!("c{n:03}");
    let mut secrets = Vec::new();
    let mut names = Vec::new();
    for s in 0..1 + rng.below(3) {
        let name = format!("s{s}");
        names.push(name.clone());
        match rng.below(20) {
            // Named but absent: skipped.
            0 => continue,
            // Another type, or the right type without its data key: skipped.
            1 => secrets.push(secret(&id, &name, "Opaque", "x", b"{}")),
            2 => secrets.push(secret(&id, &name, "kubernetes.io/dockercfg", ".dockerconfigjson", b"{}")),
            _ => {
                let legacy = rng.below(4) == 0;
                let auths = entries(rng, &id, &name, passwords);
                let (kind, key, body) = if legacy {
                    ("kubernetes.io/dockercfg", ".dockercfg", Value::Object(auths))
                } else {
                    ("kubernetes.io/dockerconfigjson", ".dockerconfigjson", json!({"auths": auths}))
                };
                let mut bytes = serde_json::to_vec(&body).unwrap();
                if rng.below(60) == 0 {
                    bytes = b"{not json".to_vec();
                }
                secrets.push(secret(&id, &name, kind, key, &bytes));
            }
        }
    }
    let images = (0..2 + rng.below(3)).map(|_| rng.pick(IMAGES).to_string()).collect();
    Case { id, secrets, pull_secret_names: names, images }
}

fn entries(
    rng: &mut Rng,
    ns: &str,
    secret: &str,
    passwords: &mut HashMap<String, String>,
) -> Map<String, Value> {
    let mut auths = Map::new();
    for e in 0..1 + rng.below(4) {
        let key = rng.pick(KEYS).to_string();
        if auths.contains_key(&key) {
            continue;
        }
        let user = format!("{ns}-{secret}-{e}");
        let password = format!("pw-{user}");
        passwords.insert(user.clone(), password.clone());
        let shape = match rng.below(40) {
            0 => Shape::BadAuth,
            1 => Shape::IdentityToken,
            2..=9 => Shape::Both,
            10..=24 => Shape::UserPassword,
            _ => Shape::Auth,
        };
        let auth = b64(format!("{user}:{password}").as_bytes());
        let entry = match shape {
            Shape::Auth => json!({"auth": auth, "email": "x@example.com"}),
            Shape::UserPassword => json!({"username": user, "password": password}),
            Shape::Both => json!({"auth": auth, "username": "not-this-one", "password": "nor-this"}),
            Shape::BadAuth => match rng.below(2) {
                0 => json!({"auth": "%%%not-base64"}),
                _ => json!({"auth": b64(b"no-colon-here")}),
            },
            Shape::IdentityToken => json!({"identitytoken": "refresh-token-value"}),
        };
        auths.insert(key, entry);
    }
    auths
}

fn secret(ns: &str, name: &str, kind: &str, key: &str, bytes: &[u8]) -> Value {
    json!({"apiVersion": "v1", "kind": "Secret", "type": kind,
           "metadata": {"name": name, "namespace": ns, "uid": format!("uid-{ns}-{name}")},
           "data": {key: b64(bytes)}})
}
