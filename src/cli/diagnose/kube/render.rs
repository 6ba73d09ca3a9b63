//! The text report of `diagnose --kube` and `--kube-live`.

use crate::diagnose::Verdict;
use crate::kube::diagnosis::KubeReport;
use crate::kube::objects::ContainerType;
use regauth_core::sanitize::one_line;

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
