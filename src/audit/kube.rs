//! `regauth audit --kube FILE|-`: a cluster's pull secrets (from `kubectl get secret,serviceaccount,pod,...
//! -o json`) as credentials in the audit inventory, with the findings that matter in a cluster. Plaintext
//! is inherent to a Secret, so it is not a finding here; what is: expired tokens, passwords where the
//! registry offers scoped tokens, one credential copied into many namespaces, pull secrets that a service
//! account or pod names but that are missing, pull secrets nothing names, secrets of the wrong type, and
//! pull secrets whose data does not decode (the kubelet then fails every pull of the pods that name them).
//! Secrets are decoded in memory to classify them (`token_kind`) and are never shown; only `--online` keeps
//! them, in memory, for the checks ([`run`]'s `keep_secrets`).

use super::findings::{Finding, Severity};
use super::sources::{PlaceKind, PlaceState, Scanned, Storage, Stored};
use super::token_kind::{classify, TokenKind};
use super::Report;
use crate::kube::keyring::{plan, secret_entries, CandidateSource, SecretState};
use crate::kube::objects::{self, Cluster, InputError};
use regauth_core::config::AuthEntry;
use regauth_core::reference::Reference;
use regauth_core::sanitize::one_line;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::BuildHasher;
use std::path::PathBuf;

/// A credential in at least this many namespaces is reported as copied around.
pub const COPIES: usize = 3;

/// Registries whose accounts can make scoped tokens, and what to make there.
fn scoped_tokens(registry: &str) -> Option<&'static str> {
    let host = regauth_core::registry::RegistryHost::new(registry);
    if host.is_docker_hub() {
        return Some(
            "a Docker Hub personal access token with Read-only scope (or an organization access token)",
        );
    }
    match host.name() {
        "ghcr.io" => Some("a GitHub personal access token (classic) with only read:packages"),
        "registry.gitlab.com" | "gitlab.com" => Some("a GitLab deploy token with read_registry"),
        "quay.io" => Some("a Quay robot account with read permission"),
        _ => None,
    }
}

/// Read the inputs and audit the pull secrets in them; `keep_secrets` for `--online`, which also needs the
/// images each pull secret serves.
pub fn run(inputs: &[PathBuf], now: i64, host: String, keep_secrets: bool) -> Result<Report, InputError> {
    let cluster = objects::read_inputs(inputs)?;
    let mut report = audit(&cluster, now, host);
    if keep_secrets {
        keep(&cluster, &mut report.credentials);
    }
    Ok(report)
}

/// Each pull-secret credential's secret, and the images the kubelet would pull with it (the repositories
/// that matter for `--online`): every container image of every workload whose plan lists it.
fn keep(cluster: &Cluster, credentials: &mut [Stored]) {
    let mut images: BTreeMap<String, Vec<Reference>> = BTreeMap::new();
    for workload in &cluster.workloads {
        for container in &workload.containers {
            let Ok(reference) = Reference::parse(&container.image) else { continue };
            for candidate in plan(cluster, workload, &reference, None).candidates {
                if let CandidateSource::Secret { namespace, name } = &candidate.source {
                    let location = one_line(&format!("{namespace}/{name}/{}", candidate.key));
                    let list = images.entry(location).or_default();
                    if !list.contains(&reference) {
                        list.push(reference.clone());
                    }
                }
            }
        }
    }
    let by_location: BTreeMap<String, usize> =
        credentials.iter().enumerate().map(|(i, c)| (c.location.clone(), i)).collect();
    for secret in &cluster.secrets {
        let Ok(entries) = secret_entries(secret) else { continue };
        for entry in entries {
            let location = one_line(&format!("{}/{}/{}", secret.namespace, secret.name, entry.key));
            let Some(&index) = by_location.get(&location) else { continue };
            let stored = &mut credentials[index];
            stored.secret = entry.password.clone().or_else(|| entry.identity_token.clone());
            stored.repos = images.remove(&location).unwrap_or_default();
        }
    }
}

/// Read one namespace through kubectl (`--kube-live`: every secret of it) and audit its pull secrets.
pub fn run_live(
    env: &regauth_core::environ::Environ,
    request: &crate::kube::live::Request,
    now: i64,
    host: String,
) -> Result<Report, crate::kube::live::LiveError> {
    let cluster = crate::kube::live::read(env, request)?;
    Ok(audit(&cluster, now, host))
}

/// One entry of a pull secret, classified; its secret already dropped.
#[derive(Clone)]
struct Judged {
    entry: AuthEntry,
    kind: Option<TokenKind>,
    expires_at: Option<i64>,
    /// Per run: equal for the same registry key and secret.
    fingerprint: Option<u64>,
}

/// A pull secret's entries classified (`None` for a secret of another type, which is judged by its type).
fn decode(secret: &objects::Secret, hasher: &impl BuildHasher) -> Option<Result<Vec<Judged>, SecretState>> {
    if !secret.is_pull_secret_type() {
        return None;
    }
    let entries = secret_entries(secret).map(|entries| {
        entries
            .into_iter()
            .map(|mut entry| {
                // No password: the secret is an identity token. Both leave the entry here.
                let identity = entry.password.is_none();
                let secret_text = entry.password.take().or(entry.identity_token.take());
                let (kind, expires_at, fingerprint) = match &secret_text {
                    Some(s) => {
                        let info = classify(entry.username.as_deref().unwrap_or(""), s.expose(), identity);
                        (
                            Some(info.kind),
                            info.expires_at,
                            Some(hasher.hash_one((entry.key.as_str(), s.expose()))),
                        )
                    }
                    None => (None, None, None),
                };
                Judged { entry, kind, expires_at, fingerprint }
            })
            .collect()
    });
    Some(entries)
}

/// Every secret's entries: one result per distinct data (a credential copied into many namespaces, what
/// `kube-secret-copied` reports, is decoded once), decoded on every core; and for each secret, the index of
/// its result. Decoding (base64, the docker config's JSON, the token's form, a hash) is most of the work.
type Decoded = Option<Result<Vec<Judged>, SecretState>>;
fn decode_all(secrets: &[objects::Secret], hasher: &(impl BuildHasher + Sync)) -> (Vec<Decoded>, Vec<usize>) {
    // What `secret_entries` reads of a secret: its type, and the value under its type's key.
    fn data_of(s: &objects::Secret) -> (&str, Option<(bool, &str)>) {
        let value = s.docker_key().and_then(|key| s.data.get(key)).map(|v| match v {
            objects::Value::Base64(text) => (false, text.expose()),
            objects::Value::Plain(text) => (true, text.expose()),
        });
        (s.kind.as_str(), value)
    }
    let mut distinct: HashMap<_, usize> = HashMap::new();
    let mut firsts: Vec<&objects::Secret> = Vec::new();
    let which = secrets
        .iter()
        .map(|s| {
            *distinct.entry(data_of(s)).or_insert_with(|| {
                firsts.push(s);
                firsts.len() - 1
            })
        })
        .collect();
    drop(distinct);
    (super::parallel::map(&firsts, |secret| decode(secret, hasher)), which)
}

pub fn audit(cluster: &Cluster, now: i64, host: String) -> Report {
    let hasher = std::collections::hash_map::RandomState::new();
    // Sized once: a dump of 100,000 pull secrets grows no vector of 100,000 credentials by doubling.
    let mut credentials = Vec::with_capacity(cluster.secrets.len());
    let mut findings = Vec::new();
    // namespace/name -> who names it
    let mut referenced: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for sa in &cluster.service_accounts {
        for name in &sa.image_pull_secrets {
            referenced
                .entry((sa.namespace.clone(), name.clone()))
                .or_default()
                .push(format!("ServiceAccount {}/{}", sa.namespace, sa.name));
        }
    }
    for w in &cluster.workloads {
        for name in &w.image_pull_secrets {
            referenced
                .entry((w.namespace.clone(), name.clone()))
                .or_default()
                .push(format!("{} {}/{}", w.kind, w.namespace, w.name));
        }
    }
    // fingerprint -> namespaces and locations
    let mut copies: BTreeMap<u64, (BTreeSet<String>, Vec<String>, String)> = BTreeMap::new();
    // Decoding and classifying (base64, the docker config's JSON, the token's form, a hash) is most of the
    // work: done on every core, a chunk at a time so that no more than a chunk's entries are held at once.
    let (decoded, which) = decode_all(&cluster.secrets, &hasher);
    for (secret, &which) in cluster.secrets.iter().zip(&which) {
        let decoded = decoded[which].clone();
        let place = format!("{}/{}", secret.namespace, secret.name);
        let is_referenced = referenced.contains_key(&(secret.namespace.clone(), secret.name.clone()));
        if !secret.is_pull_secret_type() {
            if secret.holds_docker_data() || is_referenced {
                let who = referenced.get(&(secret.namespace.clone(), secret.name.clone()));
                findings.push(Finding {
                    severity: Severity::Medium,
                    code: "kube-wrong-secret-type",
                    registry: None,
                    location: place.clone(),
                    message: one_line(&format!(
                        "secret {place} is of type {}{}: the kubelet reads only kubernetes.io/dockerconfigjson and \
                         kubernetes.io/dockercfg and skips it",
                        secret.kind,
                        who.map(|w| format!(", yet {} names it as a pull secret", w.join(", "))).unwrap_or_default()
                    )),
                    fix: format!(
                        "recreate it with `kubectl create secret docker-registry {} --docker-server=... \
                         --docker-username=... --docker-password=<the token> -n {}`",
                        secret.name, secret.namespace
                    ),
                });
            }
            continue;
        }
        let entries = match decoded {
            Some(Ok(entries)) => entries,
            Some(Err(SecretState::Undecodable { reason })) => {
                findings.push(Finding {
                    severity: Severity::High,
                    code: "kube-undecodable-pull-secret",
                    registry: None,
                    location: place.clone(),
                    message: one_line(&format!(
                        "pull secret {place} does not decode ({reason}): the kubelet cannot build its keyring, so \
                         every pull of a pod that names it fails"
                    )),
                    fix: format!("recreate it with `kubectl create secret docker-registry {} ... -n {}`", secret.name, secret.namespace),
                });
                continue;
            }
            Some(Err(_)) | None => Vec::new(),
        };
        if !is_referenced {
            findings.push(Finding {
                severity: Severity::Low,
                code: "kube-unused-pull-secret",
                registry: None,
                location: place.clone(),
                message: format!(
                    "pull secret {place} is named by no service account or pod in the input: a credential nobody uses"
                ),
                fix: format!(
                    "delete it (`kubectl delete secret {} -n {}`) once no workload outside this dump needs it",
                    secret.name, secret.namespace
                ),
            });
        }
        for Judged { entry, kind, expires_at, fingerprint } in entries {
            let username = entry.username.clone();
            let location = format!("{place}/{}", entry.key);
            if let Some(fp) = fingerprint {
                let slot =
                    copies.entry(fp).or_insert_with(|| (BTreeSet::new(), Vec::new(), entry.key.clone()));
                slot.0.insert(secret.namespace.clone());
                slot.1.push(location.clone());
            }
            let describe = format!(
                "{} for {}{}",
                kind.map_or("credential", TokenKind::describe),
                entry.key,
                username.as_ref().map(|u| format!(" (user {u})")).unwrap_or_default()
            );
            if expires_at.is_some_and(|e| e <= now) {
                findings.push(Finding {
                    severity: Severity::High,
                    code: "kube-expired-credential",
                    registry: Some(entry.key.clone()),
                    location: location.clone(),
                    message: one_line(&format!("{describe} in pull secret {place} has expired: pulls with it fail")),
                    fix: format!(
                        "put a fresh token in it: `kubectl create secret docker-registry {} --docker-server={} \
                         --docker-username={} --docker-password=<the token> -n {} --dry-run=client -o yaml | kubectl \
                         apply -f -`, or have a controller or credential provider plugin refresh it",
                        secret.name,
                        entry.key,
                        username.as_deref().unwrap_or("<user>"),
                        secret.namespace
                    ),
                });
            }
            if kind == Some(TokenKind::Password) {
                if let Some(token) = scoped_tokens(&entry.key) {
                    findings.push(Finding {
                        severity: Severity::Medium,
                        code: "kube-password-credential",
                        registry: Some(entry.key.clone()),
                        location: location.clone(),
                        message: one_line(&format!(
                            "pull secret {place} holds an account password for {}: anyone who can read secrets in {} \
                             gets the whole account",
                            entry.key, secret.namespace
                        )),
                        fix: format!("use {token} instead, and change the account's password"),
                    });
                }
            }
            credentials.push(Stored {
                place: PlaceKind::KubernetesObjects,
                keyed_fingerprint: None,
                sought: false,
                location: one_line(&location),
                registry: entry.key.clone(),
                username,
                storage: Storage::KubernetesSecret,
                kind,
                expires_at,
                fingerprint,
                file_mode: None,
                shadowed_by: None,
                unreadable: None,
                secret: None,
                repos: Vec::new(),
            });
        }
    }
    for (namespaces, locations, key) in copies.into_values() {
        if namespaces.len() >= COPIES {
            let shown: Vec<&str> = namespaces.iter().take(10).map(String::as_str).collect();
            findings.push(Finding {
                severity: Severity::Low,
                code: "kube-secret-copied",
                registry: None,
                location: one_line(&locations[0]),
                message: one_line(&format!(
                    "the same credential for {key} is in {} namespaces ({}{}): one leak exposes all, and a rotation \
                     must reach every copy",
                    namespaces.len(),
                    shown.join(", "),
                    if namespaces.len() > shown.len() { ", ..." } else { "" }
                )),
                fix: "use one credential per namespace or team, or a kubelet credential provider on the nodes".into(),
            });
        }
    }
    for denied in &cluster.denied {
        findings.push(Finding {
            severity: Severity::Medium,
            code: "kube-missing-right",
            registry: None,
            location: format!("{}/{}", denied.namespace, denied.name.as_deref().unwrap_or(&denied.resource)),
            message: one_line(&format!(
                "missing right: {} (check: {}): what it hides is not audited{}",
                denied.right(),
                denied.check(),
                if denied.resource == "secrets" {
                    ", and pull secrets named but unreadable are not reported missing"
                } else {
                    ""
                }
            )),
            fix: format!(
                "run the audit as someone who may {} {} in {}, or grant it (a Role with {} on {})",
                denied.verb, denied.resource, denied.namespace, denied.verb, denied.resource
            ),
        });
    }
    for ((namespace, name), who) in &referenced {
        if cluster.secret(namespace, name).is_none() && cluster.denied("secrets", namespace, name).is_none() {
            findings.push(Finding {
                severity: Severity::Medium,
                code: "kube-missing-pull-secret",
                registry: None,
                location: format!("{namespace}/{name}"),
                message: one_line(&format!(
                    "{} names the pull secret {name}, which is not in namespace {namespace}: the kubelet skips it \
                     silently and pulls without it",
                    who.join(", ")
                )),
                fix: format!(
                    "create it: `kubectl create secret docker-registry {name} --docker-server=... --docker-username=... \
                     --docker-password=<the token> -n {namespace}`, or remove the reference"
                ),
            });
        }
    }
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.location.cmp(&b.location)));
    let scanned = cluster
        .inputs
        .iter()
        .map(|input| Scanned {
            location: input.clone(),
            kind: PlaceKind::KubernetesObjects,
            state: PlaceState::Read,
            mode: None,
            real_path: None,
            note: None,
            helpers: Vec::new(),
            owner: None,
        })
        .collect();
    let summary = super::summary::Summary::of(&credentials, &findings);
    Report {
        host,
        fingerprint_key_id: None,
        summary,
        users: Vec::new(),
        credentials,
        findings,
        scanned,
        online: None,
    }
}
