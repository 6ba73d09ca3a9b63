//! The kubelet's verdict for one image of `diagnose --kube`: its credentials' probes in the kubelet's order,
//! the first that pulls (or why none does), the reasons, and the `kubectl` fix. No I/O: the probes ran
//! before (`kube::diagnosis`), their reports come in by index.

use super::diagnosis::{Attempt, ImageReport, Item, ProbeKey, WorkloadRef};
use super::keyring::{self, Candidate, CandidateSource, Plan, PullSecretCheck, SecretState};
use super::objects::Cluster;
use crate::diagnose::{Report, Verdict};
use regauth_core::reference::Reference;
use regauth_core::sanitize::one_line;
use std::collections::HashMap;

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

/// The verdict for `item` from the outcome of each probe of its chain (`Ok(index into probes)` or why
/// the probe could not run; a probe not run was not needed: an earlier credential pulled).
pub(super) fn judge(
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
    let sa_denied = cluster.denied("serviceaccounts", &w.namespace, &w.service_account);
    if let Some(denied) =
        sa_denied.filter(|_| plan.service_account_unknown && w.image_pull_secrets.is_empty())
    {
        out.details.push(format!(
            "service account {}/{} could not be read: its imagePullSecrets are unknown (missing right {})",
            w.namespace,
            one_line(&w.service_account),
            denied.right()
        ));
    } else if plan.service_account_unknown && w.image_pull_secrets.is_empty() {
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
            for check in &plan.pull_secrets {
                if let SecretState::Unreadable { .. } = &check.state {
                    out.details.push(one_line(&format!(
                        "unless pull secret {} (unreadable here) holds a credential for it: the kubelet then sends \
                         that one and does not pull anonymously",
                        check.name
                    )));
                }
            }
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

/// One pull secret as checked for the image, in a line.
pub fn describe_check(check: &PullSecretCheck, namespace: &str) -> String {
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
        SecretState::Unreadable { right } => {
            format!(
                "cannot be read by this user (missing right {right}): whether it serves the image is unknown"
            )
        }
    };
    one_line(&format!("pull secret {} ({by}): {state}", check.name))
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
    // The most telling reason first: a service account or a secret this user may not read (what it holds
    // is unknown), a secret in another namespace, a key that matches nothing, a wrong type, then a missing
    // secret or none at all.
    if plan.service_account_unknown && w.image_pull_secrets.is_empty() {
        if let Some(denied) = cluster.denied("serviceaccounts", &w.namespace, &w.service_account) {
            out.summary = one_line(&format!(
                "no credential this user can read reaches the kubelet for {}: {probe_summary}",
                reference.registry
            ));
            out.fix = Some(one_line(&format!(
                "service account {} cannot be read with your rights, so its pull secrets are unknown: ask for the \
                 right {}, or run this as someone who has it",
                w.service_account,
                denied.right()
            )));
            return;
        }
    }
    for check in &plan.pull_secrets {
        if let SecretState::Unreadable { right } = &check.state {
            out.summary = one_line(&format!(
                "no credential this user can read reaches the kubelet for {}: {probe_summary}",
                reference.registry
            ));
            out.fix = Some(one_line(&format!(
                "pull secret {} cannot be read with your rights, so whether it serves the image is unknown: ask for \
                 the right {right}, or run this as someone who has it",
                check.name
            )));
            return;
        }
    }
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

#[cfg(test)]
#[path = "verdict_tests.rs"]
mod tests;
