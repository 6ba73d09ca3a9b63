//! `regauth audit --kube FILE|-`: a cluster's pull secrets (from `kubectl get secret,serviceaccount,pod,...
//! -o json`) as credentials in the audit inventory, with the findings that matter in a cluster. Plaintext
//! is inherent to a Secret, so it is not a finding here; what is: expired tokens, passwords where the
//! registry offers scoped tokens, one credential copied into many namespaces, pull secrets that a service
//! account or pod names but that are missing, pull secrets nothing names, secrets of the wrong type, and
//! pull secrets whose data does not decode (the kubelet then fails every pull of the pods that name them).
//! Secrets are decoded in memory to classify them (`token_kind`) and are never shown; only `--online` keeps
//! them, in memory, for the checks ([`run`]'s `keep_secrets`).
//!
//! A dump is read one input at a time and never held whole: each input's secrets are read as views of its
//! text ([`objects::parse_objects`]), reduced to the facts the rules need (`prepare`: pull-secret data
//! decoded once per distinct value, on every core) and the input dropped before the report is built
//! (`rules`). `--online` and `--kube-live` read the cluster whole ([`Cluster`]), as `diagnose --kube` does,
//! and go through the same facts and rules.

#[path = "kube_prepare.rs"]
mod prepare;
#[path = "kube_rules.rs"]
mod rules;

use super::sources::Stored;
use super::Report;
use crate::kube::keyring::{plan, secret_entries, CandidateSource};
use crate::kube::objects::{self, Cluster, InputError, Parsed};
use prepare::Prepared;
use regauth_core::reference::Reference;
use regauth_core::sanitize::one_line;
use rules::Others;
use std::collections::BTreeMap;
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
    if keep_secrets {
        let cluster = objects::read_inputs(inputs)?;
        let mut report = audit(&cluster, now, host);
        keep(&cluster, &mut report.credentials);
        return Ok(report);
    }
    let hasher = std::collections::hash_map::RandomState::new();
    let mut prepared = Prepared::default();
    let (mut service_accounts, mut workloads, mut places) = (Vec::new(), Vec::new(), Vec::new());
    objects::for_each_input(inputs, |place, bytes| {
        let mut parsed = Parsed::default();
        objects::parse_objects(bytes, place, &mut parsed)?;
        prepared.add(&parsed.secrets, &hasher);
        service_accounts.append(&mut parsed.service_accounts);
        workloads.append(&mut parsed.workloads);
        places.push(place.to_owned());
        Ok(())
    })?;
    let others =
        Others { service_accounts: &service_accounts, workloads: &workloads, denied: &[], inputs: &places };
    Ok(rules::judge(prepared, others, now, host))
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

/// Audit the pull secrets of a cluster read whole.
pub fn audit(cluster: &Cluster, now: i64, host: String) -> Report {
    let hasher = std::collections::hash_map::RandomState::new();
    let mut prepared = Prepared::default();
    let views: Vec<objects::SecretView<'_>> = cluster.secrets.iter().map(objects::Secret::view).collect();
    prepared.add(&views, &hasher);
    drop(views);
    let others = Others {
        service_accounts: &cluster.service_accounts,
        workloads: &cluster.workloads,
        denied: &cluster.denied,
        inputs: &cluster.inputs,
    };
    rules::judge(prepared, others, now, host)
}
