//! The text report of `diagnose --kube` and `--kube-live`.

use super::KubeReport;
use crate::diagnose::Verdict;
use crate::kube::keyring::{self, PullSecretCheck, SecretState};
use crate::kube::objects::ContainerType;
use regauth_core::sanitize::one_line;

pub(super) fn describe_check(check: &PullSecretCheck, namespace: &str) -> String {
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

pub(super) fn render(report: &KubeReport) -> String {
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
    for right in &report.missing_rights {
        out.push_str(&format!(
            "missing right: {}; the verdicts are those reachable without it\n",
            one_line(right)
        ));
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
