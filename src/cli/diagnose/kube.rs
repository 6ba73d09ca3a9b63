//! `regauth diagnose --kube FILE|-`: for every image of every workload, the credentials the kubelet would
//! try (crate::kube::keyring), each probed with the pull diagnosis in that order, and the verdict the
//! kubelet would reach: it stops at the first credential that pulls. One probe per distinct (image,
//! credential), run concurrently.

use super::Args;
use crate::diagnose::{self, Lookup, Observer, Report, Verdict};
use crate::exit::Exit;
use crate::http::{tls, transport::TlsOptions};
use crate::kube::keyring::{
    self, Candidate, CandidateSource, KeyCheck, NodeConfig, Plan, PullSecretCheck, SecretState,
};
use crate::kube::objects::{self, Cluster, ContainerType, Workload};
use regauth_core::fsread;
use regauth_core::reference::Reference;
use regauth_core::sanitize::one_line;
use serde::Serialize;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::path::PathBuf;
use std::sync::Arc;

/// How many probes run at once.
const CONCURRENCY: usize = 16;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct KubeReport {
    schema_version: u32,
    inputs: Vec<String>,
    /// Objects that could not be read.
    skipped: Vec<String>,
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

pub(super) fn run(cli_args: &Args) -> anyhow::Result<Exit> {
    let cluster = match objects::read_inputs(&cli_args.kube) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("regauth: {}", regauth_core::sanitize::for_terminal(&e.to_string(), 2000));
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
        super::super::output::print_json(&report)?;
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

/// `--docker-server` for kubectl: its own default for Docker Hub, else the registry host.
fn server(reference: &Reference) -> String {
    if reference.is_docker_hub() {
        regauth_core::registry::DOCKER_HUB_KEY.to_owned()
    } else {
        reference.registry.clone()
    }
}

/// The `kubectl create secret docker-registry` command; the password is always the placeholder.
fn create_command(name: &str, server: &str, user: Option<&str>, namespace: &str, replace: bool) -> String {
    let user = user.filter(|u| !u.is_empty()).unwrap_or("<user>");
    let mut cmd = format!(
        "kubectl create secret docker-registry {name} --docker-server={server} --docker-username={user} \
         --docker-password=<the token> -n {namespace}"
    );
    if replace {
        cmd.push_str(" --dry-run=client -o yaml | kubectl apply -f -");
    }
    one_line(&cmd)
}

fn attach_command(item: &Item, name: &str) -> String {
    one_line(&format!(
        "kubectl patch serviceaccount {} -n {} -p '{{\"imagePullSecrets\":[{{\"name\":\"{name}\"}}]}}' (or name it \
         in the pod's imagePullSecrets)",
        item.workload.service_account, item.workload.namespace
    ))
}

fn candidate_label(c: &Candidate) -> String {
    let place = match &c.source {
        CandidateSource::Secret { namespace, name } => format!("secret {namespace}/{name}"),
        CandidateSource::Node { file } => format!("node config {file}"),
    };
    one_line(&format!(
        "{place} (key {:?}, user {})",
        c.key,
        if c.username.is_empty() { "-" } else { &c.username }
    ))
}

fn judge(
    item: &Item,
    cluster: &Cluster,
    probes: &[Report],
    outcome: &HashMap<ProbeKey, Result<usize, String>>,
) -> ImageReport {
    let w = item.workload;
    let mut out = ImageReport {
        workload: WorkloadRef { kind: w.kind.clone(), namespace: w.namespace.clone(), name: w.name.clone() },
        container: item.container.name.clone(),
        container_type: item.container.kind,
        image: item.container.image.clone(),
        service_account: w.service_account.clone(),
        pull_secrets: Vec::new(),
        from_service_account: false,
        service_account_unknown: false,
        node_keys: Vec::new(),
        attempts: Vec::new(),
        verdict: Verdict::Ok,
        exit_code: 0,
        summary: String::new(),
        details: Vec::new(),
        fix: None,
    };
    let reference = match &item.reference {
        Ok(r) => r,
        Err(e) => {
            out.verdict = Verdict::LocalConfig;
            out.exit_code = out.verdict.exit().code();
            out.summary = one_line(&format!(
                "the image is not a valid reference ({e}): the kubelet reports InvalidImageName"
            ));
            out.fix = Some(format!(
                "correct the image of container {} in {} {}/{}",
                one_line(&item.container.name),
                w.kind,
                w.namespace,
                one_line(&w.name)
            ));
            return out;
        }
    };
    let plan = item.plan.as_ref().expect("a plan for every valid reference");
    out.pull_secrets = plan.pull_secrets.clone();
    out.from_service_account = plan.from_service_account;
    out.service_account_unknown = plan.service_account_unknown;
    out.node_keys = plan.node.clone();
    for check in &plan.pull_secrets {
        out.details.push(describe_check(check, &w.namespace));
    }
    if plan.service_account_unknown && w.image_pull_secrets.is_empty() {
        out.details.push(format!(
            "service account {}/{} is not in the input: its imagePullSecrets are unknown (add it: kubectl get \
             serviceaccount -o json)",
            w.namespace,
            one_line(&w.service_account)
        ));
    }
    if let Some((secret, reason)) = &plan.keyring_error {
        out.verdict = Verdict::LocalConfig;
        out.summary = one_line(&format!(
            "pull secret {secret} does not decode ({reason}): the kubelet cannot build its keyring and every pull of \
             this pod fails before reaching the registry"
        ));
        let name = secret.rsplit('/').next().unwrap_or(secret);
        out.fix = Some(format!(
            "recreate it: {}",
            create_command(name, &server(reference), None, &w.namespace, true)
        ));
        out.exit_code = out.verdict.exit().code();
        return out;
    }
    // The attempts, in order, until one pulls.
    let mut first_ok = None;
    let mut first_failure: Option<(usize, Verdict)> = None;
    let chain_is_anonymous = plan.candidates.is_empty();
    for (i, key) in item.chain.iter().enumerate() {
        let candidate = plan.candidates.get(i);
        let mut attempt = Attempt {
            source: match candidate.map(|c| &c.source) {
                Some(CandidateSource::Secret { .. }) => "secret",
                Some(CandidateSource::Node { .. }) => "node",
                None => "anonymous",
            },
            secret: candidate.and_then(|c| match &c.source {
                CandidateSource::Secret { namespace, name } => Some(format!("{namespace}/{name}")),
                _ => None,
            }),
            file: candidate.and_then(|c| match &c.source {
                CandidateSource::Node { file } => Some(file.clone()),
                _ => None,
            }),
            key: candidate.map(|c| c.key.clone()),
            username: candidate.map(|c| c.username.clone()),
            fallback: candidate.is_some_and(|c| c.fallback),
            tried: first_ok.is_none(),
            verdict: None,
            summary: None,
            probe: None,
        };
        if first_ok.is_none() {
            match outcome.get(key) {
                Some(Ok(p)) => {
                    let report = &probes[*p];
                    attempt.probe = Some(*p);
                    attempt.verdict = Some(report.verdict);
                    attempt.summary = report.first_failure().map(|f| f.summary.clone());
                    if report.verdict.is_failure() {
                        first_failure.get_or_insert((i, report.verdict));
                    } else {
                        first_ok = Some(i);
                    }
                }
                Some(Err(e)) => {
                    attempt.verdict = Some(Verdict::LocalConfig);
                    attempt.summary = Some(one_line(e));
                    first_failure.get_or_insert((i, Verdict::LocalConfig));
                }
                None => attempt.tried = false,
            }
        }
        out.attempts.push(attempt);
    }
    let repo = format!("{}/{}", reference.registry, reference.repository);
    match (first_ok, chain_is_anonymous) {
        (Some(_), true) => {
            out.summary = "no pull secret serves this image; it pulls anonymously (a public image)".into();
        }
        (Some(i), false) => {
            let c = &plan.candidates[i];
            out.summary = one_line(&format!("pulls with {}", candidate_label(c)));
            for (j, earlier) in plan.candidates[..i].iter().enumerate() {
                let why = out.attempts[j].summary.clone().unwrap_or_default();
                out.details.push(one_line(&format!(
                    "{} is tried first and fails: {why}; the kubelet moves on to the next credential",
                    candidate_label(earlier)
                )));
            }
            if i > 0 {
                if let CandidateSource::Secret { namespace, name } = &plan.candidates[0].source {
                    out.fix = Some(format!(
                        "repair or remove the broken credential so pulls do not depend on a fallback: {}",
                        create_command(
                            name,
                            &server(reference),
                            Some(&plan.candidates[0].username),
                            namespace,
                            true
                        )
                    ));
                }
            }
        }
        (None, _) => {
            let (at, verdict) = first_failure.unwrap_or((0, Verdict::LocalConfig));
            let report = out.attempts.get(at).and_then(|a| a.probe).map(|p| &probes[p]);
            let probe_summary = out.attempts.get(at).and_then(|a| a.summary.clone()).unwrap_or_default();
            let probe_fix = report.and_then(|r| r.first_failure()).and_then(|f| f.fix.clone());
            if chain_is_anonymous {
                no_credential(&mut out, item, cluster, plan, reference, verdict, &probe_summary);
            } else {
                let c = &plan.candidates[at];
                out.verdict = verdict;
                out.summary = one_line(&format!(
                    "no credential pulls{}: {} {}: {probe_summary}",
                    if plan.candidates.len() > 1 { " (the kubelet tries each)" } else { "" },
                    candidate_label(c),
                    verdict.label()
                ));
                let (name, namespace) = match &c.source {
                    CandidateSource::Secret { namespace, name } => (name.clone(), namespace.clone()),
                    CandidateSource::Node { file } => (format!("<node config {file}>"), w.namespace.clone()),
                };
                let update = create_command(&name, &server(reference), Some(&c.username), &namespace, true);
                out.fix = Some(match verdict {
                    Verdict::AuthenticationFailed => format!(
                        "the registry rejects the password or token of user {} (wrong, expired or revoked): put a valid \
                         one in the secret: {update}",
                        one_line(&c.username)
                    ),
                    Verdict::AuthorizationDenied => format!(
                        "user {} logs in but may not pull {repo}: grant it pull access to {repo} (or use a token with \
                         read access to it), then update the secret: {update}",
                        one_line(&c.username)
                    ),
                    Verdict::NotFound => format!(
                        "{} does not exist: check the image of container {} in {} {}/{}{}",
                        one_line(&reference.to_string()),
                        one_line(&item.container.name),
                        w.kind,
                        w.namespace,
                        one_line(&w.name),
                        probe_fix.map(|f| format!(" ({f})")).unwrap_or_default()
                    ),
                    _ => probe_fix.unwrap_or_else(|| "see the probe's findings (--json)".into()),
                });
            }
        }
    }
    out.exit_code = out.verdict.exit().code();
    out
}

/// No credential reaches the kubelet for this image: it pulled anonymously, and that failed.
fn no_credential(
    out: &mut ImageReport,
    item: &Item,
    cluster: &Cluster,
    plan: &Plan,
    reference: &Reference,
    verdict: Verdict,
    probe_summary: &str,
) {
    let w = item.workload;
    out.verdict = match verdict {
        Verdict::NotFound | Verdict::Network | Verdict::RateLimited => verdict,
        _ => Verdict::LocalConfig,
    };
    out.summary = one_line(&format!(
        "no credential for {} reaches the kubelet, so it pulls anonymously: {probe_summary}",
        reference.registry
    ));
    let srv = server(reference);
    // The most telling reason first: a secret in another namespace, a key that matches nothing, a wrong
    // type, then a missing secret or none at all.
    for check in &plan.pull_secrets {
        if let SecretState::OtherNamespace { namespaces } = &check.state {
            let user = cluster
                .secret(&namespaces[0], &check.name)
                .and_then(|s| keyring::secret_entries(s).ok())
                .and_then(|e| e.into_iter().find_map(|e| e.username));
            out.fix = Some(format!(
                "secret {} is in namespace {}, not in {} where the pod runs (pull secrets are read from the pod's \
                 namespace only): create it there: {}",
                one_line(&check.name),
                namespaces.join(", "),
                w.namespace,
                create_command(&check.name, &srv, user.as_deref(), &w.namespace, false)
            ));
            return;
        }
    }
    for check in &plan.pull_secrets {
        if check.state == SecretState::Usable && !check.keys.is_empty() {
            let keys: Vec<String> = check.keys.iter().map(|k| format!("{:?}", k.key)).collect();
            let user = check.keys.iter().find_map(|k| k.username.clone());
            out.fix = Some(one_line(&format!(
                "secret {} has the key(s) {} but none serves {} ({}): recreate it with --docker-server={srv}: {}",
                check.name,
                keys.join(", "),
                plan.target,
                check.keys[0].why_not.as_deref().unwrap_or("no match"),
                create_command(&check.name, &srv, user.as_deref(), &w.namespace, true)
            )));
            return;
        }
    }
    for check in &plan.pull_secrets {
        if let SecretState::WrongType { kind } = &check.state {
            out.fix = Some(one_line(&format!(
                "secret {} is of type {kind}; the kubelet reads only kubernetes.io/dockerconfigjson and \
                 kubernetes.io/dockercfg: recreate it: kubectl delete secret {} -n {} && {}",
                check.name,
                check.name,
                w.namespace,
                create_command(&check.name, &srv, None, &w.namespace, false)
            )));
            return;
        }
    }
    let name = plan
        .pull_secrets
        .iter()
        .find(|c| matches!(c.state, SecretState::Missing | SecretState::NoData { .. }))
        .map_or("regcred".to_owned(), |c| c.name.clone());
    let named = plan.pull_secrets.iter().any(|c| c.name == name);
    out.fix = Some(if named {
        format!(
            "create the pull secret {} that the pod names: {}",
            one_line(&name),
            create_command(&name, &srv, None, &w.namespace, false)
        )
    } else {
        format!(
            "create a pull secret and name it in the pod or its service account: {}; then {}",
            create_command(&name, &srv, None, &w.namespace, false),
            attach_command(item, &name)
        )
    });
}

fn describe_check(check: &PullSecretCheck, namespace: &str) -> String {
    let by = match check.named_by {
        keyring::NamedBy::Pod => "named by the pod",
        keyring::NamedBy::ServiceAccount => "from the service account",
    };
    let state = match &check.state {
        SecretState::Usable => {
            let keys: Vec<String> = check
                .keys
                .iter()
                .map(|k| match (&k.why_not, k.matches) {
                    (_, true) => format!("key {:?} serves the image", k.key),
                    (Some(why), false) => format!("key {:?} does not: {why}", k.key),
                    (None, false) => format!("key {:?} does not", k.key),
                })
                .collect();
            if keys.is_empty() {
                "read; it has no auths entries".into()
            } else {
                keys.join("; ")
            }
        }
        SecretState::Missing => {
            format!("missing: no such secret in {namespace} (the kubelet skips it silently)")
        }
        SecretState::OtherNamespace { namespaces } => {
            format!(
                "not in {namespace}, only in {} (the kubelet reads the pod's namespace only)",
                namespaces.join(", ")
            )
        }
        SecretState::WrongType { kind } => {
            format!("type {kind}, not a docker pull-secret type (the kubelet skips it)")
        }
        SecretState::NoData { key } => format!("no {key} data (the kubelet skips it)"),
        SecretState::Undecodable { reason } => format!("does not decode: {reason}"),
    };
    one_line(&format!("pull secret {} ({by}): {state}", check.name))
}

fn render(report: &KubeReport) -> String {
    let mut out = String::new();
    for image in &report.images {
        let w = &image.workload;
        out.push_str(&format!(
            "{} {}/{}  {} {}  {}\n",
            w.kind,
            one_line(&w.namespace),
            one_line(&w.name),
            match image.container_type {
                ContainerType::Container => "container",
                ContainerType::InitContainer => "init container",
                ContainerType::EphemeralContainer => "ephemeral container",
            },
            one_line(&image.container),
            one_line(&image.image)
        ));
        out.push_str(&format!("  {:<14} {}\n", verdict_word(image.verdict), one_line(&image.summary)));
        for d in &image.details {
            out.push_str(&format!("                 {}\n", one_line(d)));
        }
        for (i, a) in image.attempts.iter().enumerate() {
            let who = match (a.source, &a.secret, &a.file) {
                ("secret", Some(s), _) => format!("secret {s}"),
                ("node", _, Some(f)) => format!("node config {f}"),
                _ => "anonymous".to_owned(),
            };
            let result = if !a.tried {
                "not tried: an earlier credential pulled".to_owned()
            } else {
                match a.verdict {
                    Some(Verdict::Ok) => "pulls".to_owned(),
                    Some(v) => format!("{}: {}", v.label(), a.summary.clone().unwrap_or_default()),
                    None => "not probed".to_owned(),
                }
            };
            out.push_str(&format!(
                "  try {}  {who}{}{}  {}\n",
                i + 1,
                a.key.as_ref().map(|k| format!(" key {k:?}")).unwrap_or_default(),
                a.username
                    .as_ref()
                    .filter(|u| !u.is_empty())
                    .map(|u| format!(" user {u}"))
                    .unwrap_or_default(),
                one_line(&result)
            ));
        }
        if let Some(fix) = &image.fix {
            out.push_str(&format!("  fix: {}\n", one_line(fix)));
        }
        out.push('\n');
    }
    for s in &report.skipped {
        out.push_str(&format!("skipped: {}\n", one_line(s)));
    }
    let failing = report.images.iter().filter(|i| i.verdict.is_failure()).count();
    out.push_str(&format!(
        "{} images, {} failing, {} probes; verdict: {} (exit {})\n",
        report.images.len(),
        failing,
        report.probes.len(),
        report.verdict.label(),
        report.exit_code
    ));
    out
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Ok => "ok",
        Verdict::Skipped => "skipped",
        Verdict::AuthenticationFailed => "AUTH FAILED",
        Verdict::AuthorizationDenied => "DENIED",
        Verdict::NotFound => "NOT FOUND",
        Verdict::RateLimited => "RATE LIMITED",
        Verdict::Network => "NETWORK",
        Verdict::LocalConfig => "LOCAL CONFIG",
    }
}
