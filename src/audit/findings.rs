//! The audit's rules: what is wrong with the credentials found, how bad it is, and how to fix it.

use super::sources::{Inventory, PlaceKind, PlaceState, Storage, Stored};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
}

impl Severity {
    /// The JSON name.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "INFO",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub severity: Severity,
    /// Stable identifier for scripts: `plaintext-credential`, `readable-by-others`, ...
    pub code: &'static str,
    pub location: String,
    /// The registry the credential is for, when the finding is about one credential.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    pub message: String,
    pub fix: String,
}

pub fn judge(inv: &Inventory, now: i64) -> Vec<Finding> {
    // The rules about one credential at a time (100,000 messages on a large fleet machine): on every core.
    let per_credential = super::parallel::map(&inv.stored, |stored| {
        let mut found = Vec::new();
        plaintext(stored, now, &mut found);
        expired(stored, now, &mut found);
        unreadable(stored, &mut found);
        found
    });
    let mut out: Vec<Finding> = Vec::with_capacity(per_credential.iter().map(Vec::len).sum::<usize>() + 64);
    out.extend(per_credential.into_iter().flatten());
    readable_by_others(inv, &mut out);
    duplicates(&inv.stored, &mut out);
    broken_places(inv, &mut out);
    links_not_followed(inv, &mut out);
    token_seeds_readable(inv, &mut out);
    missing_helpers(inv, &mut out);
    sort(&mut out);
    out
}

/// Most severe first, then by place, stably (the order of the rules within a place is kept). Sorted by an
/// integer key (severity, the place's rank among the distinct places) rather than by comparing the
/// places' text: 100,000 findings share a thousand places.
fn sort(findings: &mut Vec<Finding>) {
    // Findings come in runs of one place: each run's place is added once.
    let mut places = std::collections::BTreeSet::new();
    let mut previous = None;
    for f in findings.iter() {
        if previous != Some(f.location.as_str()) {
            places.insert(f.location.as_str());
            previous = Some(f.location.as_str());
        }
    }
    let rank: std::collections::HashMap<&str, u32> =
        places.into_iter().enumerate().map(|(i, place)| (place, i as u32)).collect();
    let mut last: Option<(&str, u32)> = None;
    let mut keyed: Vec<(u64, u32)> = Vec::with_capacity(findings.len());
    for (i, f) in findings.iter().enumerate() {
        let place = match last {
            Some((text, r)) if text == f.location => r,
            _ => rank[f.location.as_str()],
        };
        last = Some((&f.location, place));
        let severity = 3 - f.severity as u64;
        keyed.push(((severity << 32) | u64::from(place), i as u32));
    }
    keyed.sort_by_key(|&(key, _)| key);
    let mut slots: Vec<Option<Finding>> = std::mem::take(findings).into_iter().map(Some).collect();
    findings.extend(keyed.into_iter().map(|(_, i)| slots[i as usize].take().expect("each index once")));
}

fn describe(stored: &Stored) -> String {
    let mut out = String::with_capacity(96);
    describe_into(stored, &mut out);
    out
}

/// `KIND for REGISTRY (user USER)`, appended (100,000 of them on a fleet machine: no `format!`).
fn describe_into(stored: &Stored, out: &mut String) {
    out.push_str(stored.kind.map_or("credential", |k| k.describe()));
    out.push_str(" for ");
    out.push_str(&stored.registry);
    if let Some(user) = &stored.username {
        out.push_str(" (user ");
        out.push_str(user);
        out.push(')');
    }
}

/// An entry whose `auth` the client reading the place cannot decode: that client has no credential there.
fn unreadable(stored: &Stored, out: &mut Vec<Finding>) {
    let Some(problem) = &stored.unreadable else { return };
    out.push(Finding {
        severity: Severity::Low,
        code: "unreadable-auth",
        registry: Some(stored.registry.clone()),
        location: stored.location.clone(),
        message: format!("{} in {}: {problem}, so it is not used", describe(stored), stored.location),
        fix: format!(
            "log in again (`{}`), which rewrites the entry as padded base64 of user:password",
            docker_command("login", &stored.registry)
        ),
    });
}

fn is_expired(stored: &Stored, now: i64) -> bool {
    stored.expires_at.is_some_and(|exp| exp <= now)
}

fn plaintext(stored: &Stored, now: i64, out: &mut Vec<Finding>) {
    if stored.storage == Storage::Environment {
        out.push(Finding {
            // Environment variables are the intended way to hand CI a credential: worth knowing, no more.
            severity: Severity::Info,
            code: "credential-in-environment",
            registry: Some(stored.registry.clone()).filter(|r| !r.is_empty()),
            location: stored.location.clone(),
            message: format!("{} is in the environment, inherited by every child process", describe(stored)),
            fix: "pass it only to the process that needs it, or use a credential helper".into(),
        });
        return;
    }
    if stored.storage != Storage::Plaintext {
        return;
    }
    let long_lived = stored.kind.is_some_and(|k| k.is_long_lived());
    let severity = match (is_expired(stored, now), long_lived) {
        (true, _) => Severity::Low,
        (false, true) => Severity::High,
        (false, false) => Severity::Medium,
    };
    let mut message = String::with_capacity(160 + stored.location.len());
    describe_into(stored, &mut message);
    message.push_str(" is stored unencrypted in ");
    message.push_str(&stored.location);
    let migrates = matches!(stored.place, PlaceKind::DockerConfig | PlaceKind::ContainersAuth);
    let migrate = migrate_command(&stored.registry);
    let fix = match &stored.shadowed_by {
        Some(shadow) if shadow.every_client => {
            message.push_str(&format!("; no client reads it, they ask {} instead", shadow.helper));
            format!("delete the \"{}\" entry from auths in {}", stored.registry, stored.location)
        }
        Some(shadow) => {
            message.push_str(&format!(
                "; docker asks {} instead, but podman, skopeo and buildah ignore credsStore and still \
                 read it",
                shadow.helper
            ));
            format!("`{migrate}` moves it into {} and sets credHelpers, which podman and skopeo read", shadow.helper)
        }
        None if migrates => {
            let mut fix = String::with_capacity(160 + migrate.len());
            fix.push_str("move it into a credential helper: `");
            fix.push_str(&migrate);
            fix.push_str("` (stored, read back, then removed from the file; --dry-run shows the plan)");
            fix
        }
        // regauth migrate moves docker's and containers' files only: elsewhere, the client's own way.
        None => format!(
            "store it in a helper: `regauth helpers set regauth-keyutils` (headless) or `regauth-secretservice` \
             (desktop), then log in again (`regauth login` or `{}`) and remove the entry",
            docker_command("login", &stored.registry)
        ),
    };
    out.push(Finding {
        severity,
        code: "plaintext-credential",
        registry: Some(stored.registry.clone()),
        location: stored.location.clone(),
        message,
        fix,
    });
}

/// `regauth migrate` for one registry's plaintext entries: it stores them in a helper, reads them back and only
/// then removes them from the file.
fn migrate_command(registry: &str) -> String {
    let host = regauth_core::registry::RegistryHost::new(registry);
    let mut command = String::from("regauth migrate --registry ");
    std::fmt::Write::write_fmt(&mut command, format_args!("{host}")).expect("a String takes any text");
    command
}

/// `docker login` / `docker logout` for a key: no argument for Docker Hub.
fn docker_command(verb: &str, registry: &str) -> String {
    let host = regauth_core::registry::RegistryHost::new(registry);
    if host.is_docker_hub() {
        format!("docker {verb}")
    } else {
        format!("docker {verb} {host}")
    }
}

fn expired(stored: &Stored, now: i64, out: &mut Vec<Finding>) {
    let Some(exp) = stored.expires_at.filter(|&e| e <= now) else { return };
    let days = time::Duration::seconds(now - exp).whole_days();
    out.push(Finding {
        severity: Severity::Low,
        code: "expired-credential",
        registry: Some(stored.registry.clone()),
        location: stored.location.clone(),
        message: format!(
            "{} expired {} ago",
            describe(stored),
            if days > 0 { format!("{days} days") } else { "less than a day".into() }
        ),
        fix: format!("remove it (`{}`) or log in again", docker_command("logout", &stored.registry)),
    });
}

fn readable_by_others(inv: &Inventory, out: &mut Vec<Finding>) {
    let mut files: BTreeMap<&str, u32> = BTreeMap::new();
    let mut previous: Option<(&str, u32)> = None;
    for stored in inv.stored.iter().filter(|s| s.storage == Storage::Plaintext) {
        if let Some(mode) = stored.file_mode {
            // A file's credentials come in a run: each run is one insertion.
            if previous != Some((stored.location.as_str(), mode)) {
                files.insert(&stored.location, mode);
                previous = Some((&stored.location, mode));
            }
        }
    }
    for (file, mode) in files {
        let (severity, who) = if mode & 0o004 != 0 {
            (Severity::High, "every user on this machine")
        } else if mode & 0o040 != 0 {
            (Severity::Medium, "its group")
        } else {
            continue;
        };
        out.push(Finding {
            severity,
            code: "readable-by-others",
            registry: None,
            location: file.to_owned(),
            message: format!(
                "{file} holds credentials and is readable by {who} (mode {:04o})",
                mode & 0o7777
            ),
            fix: format!("chmod 600 {file}"),
        });
    }
}

fn duplicates(stored: &[Stored], out: &mut Vec<Finding>) {
    let mut groups: BTreeMap<u64, Vec<&Stored>> = BTreeMap::new();
    for s in stored {
        if let Some(fp) = s.fingerprint {
            groups.entry(fp).or_default().push(s);
        }
    }
    for group in groups.values().filter(|g| g.len() > 1) {
        let places: Vec<String> = group.iter().map(|s| format!("{} in {}", s.registry, s.location)).collect();
        out.push(Finding {
            severity: Severity::Low,
            code: "duplicated-credential",
            registry: None,
            location: group[0].location.clone(),
            message: format!("the same secret is stored {} times: {}", group.len(), places.join("; ")),
            fix: "keep one copy; when it leaks or is rotated, every copy must go".into(),
        });
    }
}

fn broken_places(inv: &Inventory, out: &mut Vec<Finding>) {
    for place in &inv.scanned {
        let PlaceState::Error { message } = &place.state else { continue };
        let (code, fix) = match place.kind {
            PlaceKind::Helper => {
                ("helper-error", "run the helper by hand (`echo | PROGRAM list`) to see why it fails")
            }
            _ => ("unreadable-config", "fix or remove the file: clients ignore it or fail on it"),
        };
        out.push(Finding {
            severity: Severity::Medium,
            code,
            location: place.location.clone(),
            registry: None,
            message: message.clone(),
            fix: fix.into(),
        });
    }
}

/// BuildKit's `.token_seed` (and its lock) hold no registry credential; they matter only when others can
/// read them.
fn token_seeds_readable(inv: &Inventory, out: &mut Vec<Finding>) {
    for place in inv.scanned.iter().filter(|p| p.kind == PlaceKind::BuildkitTokenSeed) {
        let Some(mode) = place.mode.as_deref().and_then(|m| u32::from_str_radix(m, 8).ok()) else { continue };
        let (severity, who) = if mode & 0o004 != 0 {
            (Severity::Medium, "every user on this machine")
        } else if mode & 0o040 != 0 {
            (Severity::Low, "its group")
        } else {
            continue;
        };
        let file = &place.location;
        out.push(Finding {
            severity,
            code: "token-seed-readable-by-others",
            location: file.clone(),
            registry: None,
            message: format!(
                "{file} is BuildKit's token seed ({}) and is readable by {who} (mode {mode:04o}): whoever reads it \
                 can derive the keys BuildKit signs its token requests with",
                super::sources::TOKEN_SEED_NOTE
            ),
            fix: format!("chmod 600 {file}"),
        });
    }
}

/// A link planted by one user to another's (or root's) file: someone may be trying to make a privileged
/// tool read that file as theirs, or, in a tool that writes, write it.
fn links_not_followed(inv: &Inventory, out: &mut Vec<Finding>) {
    for place in &inv.scanned {
        let PlaceState::NotFollowed { link, link_owner, target, target_owner, target_owner_name } =
            &place.state
        else {
            continue;
        };
        let owner = match (target_owner, target_owner_name) {
            (Some(uid), Some(name)) => format!("a file of {name} (uid {uid})"),
            (Some(uid), None) => format!("a file of uid {uid}"),
            (None, _) => "a path that does not exist (following it would create a file there)".to_owned(),
        };
        out.push(Finding {
            severity: Severity::Medium,
            code: "symlink-to-another-owner",
            registry: None,
            location: link.clone(),
            message: format!(
                "{link} (owned by uid {link_owner}) is a symbolic link to {target}, {owner}; it was not followed, \
                 and that file's credentials are not counted as {}'s",
                place.location
            ),
            fix: format!("remove the link {link}, or find out why uid {link_owner} points it at another user's file"),
        });
    }
}

fn missing_helpers(inv: &Inventory, out: &mut Vec<Finding>) {
    for place in &inv.scanned {
        for (scope, helper) in &place.helpers {
            let present = inv.helpers_present.iter().any(|(name, ok)| name == helper && *ok);
            if present {
                continue;
            }
            let place_scope = scope;
            let scope =
                if scope == "credsStore" { scope.clone() } else { format!("credHelpers[\"{scope}\"]") };
            out.push(Finding {
                severity: Severity::Medium,
                code: "missing-helper",
                registry: None,
                location: place.location.clone(),
                message: format!(
                    "{scope} names helper \"{helper}\" but docker-credential-{helper} is not on PATH: \
                     logins fail and pulls silently go anonymous"
                ),
                fix: match scope.strip_prefix("credHelpers[") {
                    Some(_) => format!(
                        "install docker-credential-{helper}, or remove it: \
                         `regauth helpers unset --registry {place_scope}`"
                    ),
                    None => {
                        format!("install docker-credential-{helper}, or remove it: `regauth helpers unset`")
                    }
                },
            });
        }
    }
}
