//! The findings of `audit --online`, from what the registries answered: a credential no longer accepted,
//! one that expires soon, a pull secret that may also push, an account password where the registry offers
//! scoped tokens (the registry accepted it, and it has none of the registry's token forms), and a
//! credential that pulling does not need (anonymous pulls of its repositories work).

use super::{CredentialCheck, Online, Right, Status};
use crate::audit::findings::Finding;
use crate::audit::sources::{Storage, Stored};
use crate::audit::token_kind::TokenKind;
use crate::audit::Severity;
use crate::diagnose::registries::RegistryType;
use regauth_core::sanitize::one_line;

const DAY: i64 = 86_400;

/// Findings from `online` about the credentials of `stored`; `expires_within` in seconds.
pub fn judge(stored: &[Stored], online: &Online, now: i64, expires_within: i64) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in stored {
        expires_soon(s, now, expires_within, &mut out);
    }
    for check in &online.credentials {
        let Some(s) = stored.get(check.credential) else { continue };
        match check.status {
            Status::Rejected => rejected(s, check, &mut out),
            Status::Accepted => {
                may_push_from_a_pull_secret(s, check, &mut out);
                account_password(s, check, online, &mut out);
                not_needed(s, check, online, &mut out);
            }
            _ => {}
        }
    }
    out
}

fn who(s: &Stored) -> String {
    match &s.username {
        Some(user) => format!("the credential for {} (user {})", one_line(&s.registry), one_line(user)),
        None => format!("the credential for {}", one_line(&s.registry)),
    }
}

fn finding(s: &Stored, severity: Severity, code: &'static str, message: String, fix: String) -> Finding {
    Finding {
        severity,
        code,
        location: s.location.clone(),
        registry: Some(s.registry.clone()).filter(|r| !r.is_empty()),
        message,
        fix,
    }
}

fn rejected(s: &Stored, check: &CredentialCheck, out: &mut Vec<Finding>) {
    let host = one_line(&s.registry);
    out.push(finding(
        s,
        Severity::High,
        "credential-rejected",
        format!("{} in {} is no longer accepted: {}", who(s), s.location, check.detail),
        format!(
            "log in again with a valid token (`regauth login {host}`), or remove it (`regauth logout {host}`); \
             `regauth diagnose IMAGE` shows the exchange"
        ),
    ));
}

fn expires_soon(s: &Stored, now: i64, within: i64, out: &mut Vec<Finding>) {
    let Some(exp) = s.expires_at.filter(|exp| *exp > now && *exp - now <= within) else { return };
    let days = (exp - now) as f64 / DAY as f64;
    let when = time::OffsetDateTime::from_unix_timestamp(exp)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| exp.to_string());
    out.push(finding(
        s,
        Severity::Medium,
        "credential-expires-soon",
        format!("{} expires {when} (in {days:.1} days)", who(s)),
        "rotate it before then: create a new token and `regauth login` with it".into(),
    ));
}

fn may_push_from_a_pull_secret(s: &Stored, check: &CredentialCheck, out: &mut Vec<Finding>) {
    if s.storage != Storage::KubernetesSecret {
        return;
    }
    let pushable: Vec<&str> =
        check.repositories.iter().filter(|r| r.push == Right::Yes).map(|r| r.repository.as_str()).collect();
    if pushable.is_empty() {
        return;
    }
    out.push(finding(
        s,
        Severity::Medium,
        "pull-secret-may-push",
        format!(
            "the pull secret {} may also push {}: more than pulling needs",
            s.location,
            pushable.iter().map(|r| one_line(r)).collect::<Vec<_>>().join(", ")
        ),
        "make the pull secret from a read-only token (pull scope only) and keep write tokens out of the cluster"
            .into(),
    ));
}

/// Registries that offer scoped tokens instead of the account's password.
fn offers_tokens(kind: RegistryType) -> bool {
    matches!(
        kind,
        RegistryType::Dockerhub
            | RegistryType::Ghcr
            | RegistryType::Gitlab
            | RegistryType::Quay
            | RegistryType::Harbor
    )
}

fn account_password(s: &Stored, check: &CredentialCheck, online: &Online, out: &mut Vec<Finding>) {
    let Some(kind) = online.registries.iter().find(|r| r.registry == check.registry).map(|r| r.kind) else {
        return;
    };
    if s.kind != Some(TokenKind::Password) || !offers_tokens(kind) {
        return;
    }
    out.push(finding(
        s,
        Severity::Medium,
        "account-password",
        format!(
            "{} is accepted by {} and is not one of its token forms: an account password, which can do \
             everything the account can",
            who(s),
            kind.label()
        ),
        format!("create a scoped access token on {} and log in with it instead", kind.label()),
    ));
}

fn not_needed(s: &Stored, check: &CredentialCheck, online: &Online, out: &mut Vec<Finding>) {
    let Some(registry) = online.registries.iter().find(|r| r.registry == check.registry) else { return };
    let public = |repo: &str| registry.anonymous_pull.iter().any(|r| r == repo);
    // Needed where it pulls what anonymous may not, or pushes at all.
    let needed = check
        .repositories
        .iter()
        .any(|r| r.push == Right::Yes || (r.pull == Right::Yes && !public(&r.repository)));
    let publics: Vec<&str> =
        check.repositories.iter().map(|r| r.repository.as_str()).filter(|r| public(r)).collect();
    if needed || publics.is_empty() {
        return;
    }
    out.push(finding(
        s,
        Severity::Low,
        "credential-not-needed",
        format!(
            "{} is not needed for the repositories checked: anonymous pulls of {} work, and it may neither push \
             nor pull anything else there",
            who(s),
            publics.iter().map(|r| one_line(r)).collect::<Vec<_>>().join(", ")
        ),
        format!("remove it (`regauth logout {}`) unless other repositories need it", one_line(&s.registry)),
    ));
}
