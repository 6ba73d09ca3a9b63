//! `regauth diagnose --kube FILE|-`: for every image of every workload, the credentials the kubelet would
//! try (crate::kube::keyring), each probed with the pull diagnosis in that order, and the verdict the
//! kubelet would reach: it stops at the first credential that pulls. One probe per distinct (image,
//! credential), run concurrently.

use super::Args;
use crate::diagnose::{self, Lookup, Observer, Report, Verdict};
use crate::exit::Exit;
use crate::http::{tls, transport::TlsOptions};
use crate::kube::keyring::{self, KeyCheck, NodeConfig, Plan, PullSecretCheck};
use crate::kube::live;
use crate::kube::objects::{self, Cluster, ContainerType, Workload};
use regauth_core::fsread;
use regauth_core::reference::Reference;
use serde::Serialize;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::path::PathBuf;
use std::sync::Arc;

mod judge;
mod render;

use judge::judge;
use render::render;

/// How many probes run at once.
const CONCURRENCY: usize = 16;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct KubeReport {
    schema_version: u32,
    inputs: Vec<String>,
    /// Objects that could not be read.
    skipped: Vec<String>,
    /// `--kube-live`: the rights this user lacks to read what the verdicts would need (each verdict is the
    /// one reachable without them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    missing_rights: Vec<String>,
    images: Vec<ImageReport>,
    /// Every pull diagnosis run, in the single-image `--json` schema; attempts point into it.
    probes: Vec<Report>,
    verdict: Verdict,
    exit_code: u8,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WorkloadRef {
    kind: String,
    namespace: String,
    name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImageReport {
    workload: WorkloadRef,
    container: String,
    container_type: ContainerType,
    image: String,
    service_account: String,
    pull_secrets: Vec<PullSecretCheck>,
    /// The pull secrets are the service account's (the pod names none).
    from_service_account: bool,
    /// The service account is not in the input: its pull secrets are unknown.
    service_account_unknown: bool,
    node_keys: Vec<KeyCheck>,
    attempts: Vec<Attempt>,
    verdict: Verdict,
    exit_code: u8,
    summary: String,
    details: Vec<String>,
    fix: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Attempt {
    /// `secret`, `node` or `anonymous`.
    source: &'static str,
    secret: Option<String>,
    file: Option<String>,
    key: Option<String>,
    username: Option<String>,
    /// Served through Docker Hub's fallback key.
    fallback: bool,
    /// False when an earlier credential already pulled: the kubelet stops there.
    tried: bool,
    verdict: Option<Verdict>,
    summary: Option<String>,
    probe: Option<usize>,
}

/// The kubelet's verdicts, worst first: the exit code is the worst image's.
fn rank(v: Verdict) -> u8 {
    match v {
        Verdict::AuthenticationFailed => 7,
        Verdict::AuthorizationDenied => 6,
        Verdict::LocalConfig => 5,
        Verdict::NotFound => 4,
        Verdict::Network => 3,
        Verdict::RateLimited => 2,
        Verdict::Skipped => 1,
        Verdict::Ok => 0,
    }
}

struct Quiet;
impl Observer for Quiet {
    fn step(&self, _: &str) {}
    fn warn(&self, _: &str) {}
}

/// One probe: an image and a credential (None: anonymous), told apart by a keyed hash of the secret.
#[derive(Clone, PartialEq, Eq, Hash)]
struct ProbeKey {
    image: String,
    user: Option<String>,
    secret_hash: u64,
}

struct Item<'a> {
    workload: &'a Workload,
    container: &'a objects::Container,
    reference: Result<Reference, String>,
    plan: Option<Plan>,
    chain: Vec<ProbeKey>,
}

pub(super) fn run(cli_args: &Args, env: &regauth_core::environ::Environ) -> anyhow::Result<Exit> {
    let cluster = if cli_args.kube_live {
        let request = live::Request {
            context: cli_args.context.clone(),
            namespace: cli_args.namespace.clone(),
            objects: cli_args.image.iter().chain(&cli_args.objects).cloned().collect(),
            secrets: live::Secrets::Named,
            timeout: cli_args.kubectl_timeout,
        };
        live::read(env, &request).map_err(|e| e.to_string())
    } else {
        objects::read_inputs(&cli_args.kube).map_err(|e| e.to_string())
    };
    let cluster = match cluster {
        Ok(c) => c,
        Err(e) => {
            eprintln!("regauth: {}", regauth_core::sanitize::for_terminal(&e, 2000));
            return Ok(Exit::LocalConfig);
        }
    };
    let node = match &cli_args.node_config {
        None => None,
        Some(path) => {
            let read = fsread::read_regular(path, fsread::CONFIG_LIMIT)
                .map_err(|e| e.to_string())
                .and_then(|c| NodeConfig::parse(&c.bytes, path).map_err(|e| e.to_string()));
            match read {
                Ok(n) => Some(n),
                Err(e) => {
                    eprintln!("regauth: {}", regauth_core::sanitize::for_terminal(&e, 2000));
                    return Ok(Exit::LocalConfig);
                }
            }
        }
    };
    let report = diagnose_cluster(&cluster, node.as_ref(), cli_args)?;
    if cli_args.json {
        super::super::output::print_report(&report, 1, report.verdict.exit())?;
    } else {
        super::super::output::print(&render(&report))?;
    }
    Ok(report.verdict.exit())
}

fn diagnose_cluster(cluster: &Cluster, node: Option<&NodeConfig>, args: &Args) -> anyhow::Result<KubeReport> {
    let hasher = std::collections::hash_map::RandomState::new();
    let mut credentials: HashMap<ProbeKey, Option<crate::resolve::Credential>> = HashMap::new();
    let mut items = Vec::new();
    for workload in &cluster.workloads {
        for container in &workload.containers {
            let reference = Reference::parse(&container.image).map_err(|e| e.to_string());
            let plan = reference.as_ref().ok().map(|r| keyring::plan(cluster, workload, r, node));
            let mut chain = Vec::new();
            if let (Ok(r), Some(p)) = (&reference, &plan) {
                if p.keyring_error.is_none() {
                    let image = r.to_string();
                    if p.candidates.is_empty() {
                        let key = ProbeKey { image: image.clone(), user: None, secret_hash: 0 };
                        credentials.entry(key.clone()).or_insert(None);
                        chain.push(key);
                    }
                    for c in &p.candidates {
                        let key = ProbeKey {
                            image: image.clone(),
                            user: Some(c.username.clone()),
                            secret_hash: hasher.hash_one(c.credential.secret.expose()),
                        };
                        credentials.entry(key.clone()).or_insert_with(|| Some(c.credential.clone()));
                        chain.push(key);
                    }
                }
            }
            items.push(Item { workload, container, reference, plan, chain });
        }
    }
    let chains: Vec<Vec<ProbeKey>> = {
        let mut seen = std::collections::HashSet::new();
        items
            .iter()
            .filter(|i| !i.chain.is_empty() && seen.insert(i.chain.clone()))
            .map(|i| i.chain.clone())
            .collect()
    };
    let certs_dirs = args.trust.certs_dirs();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let results = runtime.block_on(probe_all(chains, credentials, args, &certs_dirs));
    runtime.shutdown_background();

    let mut probes = Vec::new();
    let mut index: HashMap<ProbeKey, usize> = HashMap::new();
    let mut outcome: HashMap<ProbeKey, Result<usize, String>> = HashMap::new();
    for (key, result) in results {
        match result {
            Ok(report) => {
                index.insert(key.clone(), probes.len());
                outcome.insert(key, Ok(probes.len()));
                probes.push(report);
            }
            Err(e) => {
                outcome.insert(key, Err(e));
            }
        }
    }
    let images: Vec<ImageReport> = items.iter().map(|i| judge(i, cluster, &probes, &outcome)).collect();
    let verdict = images.iter().map(|i| i.verdict).max_by_key(|v| rank(*v)).unwrap_or(Verdict::Ok);
    Ok(KubeReport {
        schema_version: 1,
        inputs: cluster.inputs.clone(),
        skipped: cluster.skipped.clone(),
        missing_rights: cluster
            .denied
            .iter()
            .map(|d| format!("{} (check: {})", d.right(), d.check()))
            .collect(),
        images,
        probes,
        verdict,
        exit_code: verdict.exit().code(),
    })
}

/// Run every chain (the kubelet's order for one image), each stopping at the first pull that succeeds;
/// each distinct probe runs once, however many chains share it.
async fn probe_all(
    chains: Vec<Vec<ProbeKey>>,
    credentials: HashMap<ProbeKey, Option<crate::resolve::Credential>>,
    args: &Args,
    certs_dirs: &[PathBuf],
) -> Vec<(ProbeKey, Result<Report, String>)> {
    type Cell = Arc<tokio::sync::OnceCell<Result<Report, String>>>;
    let cells: HashMap<ProbeKey, Cell> = credentials.keys().map(|k| (k.clone(), Cell::default())).collect();
    let cells = Arc::new(cells);
    let credentials = Arc::new(credentials);
    let limit = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let mut tasks = tokio::task::JoinSet::new();
    for chain in chains {
        let (cells, credentials, limit) = (cells.clone(), credentials.clone(), limit.clone());
        let (ca_file, certs_dirs) = (args.trust.all_ca_files(), certs_dirs.to_vec());
        let (insecure, timeout, registry_type) =
            (args.trust.allows_insecure(), args.timeout, args.registry_type);
        tasks.spawn(async move {
            for key in chain {
                let cell = cells[&key].clone();
                let result = cell
                    .get_or_init(|| async {
                        let _permit = limit.acquire().await;
                        let reference = Reference::parse(&key.image).map_err(|e| e.to_string())?;
                        let ca_files = tls::ca_files(&reference.registry, &certs_dirs, &ca_file)
                            .map_err(|e| e.to_string())?;
                        let lookup = match &credentials[&key] {
                            Some(c) => Lookup::Explicit(c.clone()),
                            None => Lookup::Anonymous,
                        };
                        let input = diagnose::Input {
                            reference,
                            lookup,
                            push: false,
                            registry_type,
                            tls: TlsOptions { ca_files, insecure },
                            observer: Arc::new(Quiet),
                            timeout,
                        };
                        diagnose::run(input).await.map_err(|e| e.to_string())
                    })
                    .await;
                if matches!(result, Ok(r) if !r.verdict.is_failure()) {
                    break;
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let cells = Arc::try_unwrap(cells).unwrap_or_else(|a| (*a).clone());
    let mut out: Vec<(ProbeKey, Result<Report, String>)> = cells
        .into_iter()
        .filter_map(|(k, cell)| Arc::try_unwrap(cell).ok().and_then(|c| c.into_inner()).map(|r| (k, r)))
        .collect();
    out.sort_by(|a, b| (&a.0.image, &a.0.user).cmp(&(&b.0.image, &b.0.user)));
    out
}
