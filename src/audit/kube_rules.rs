//! The cluster rules of [`super`] over the [`Prepared`] facts of every secret, the service accounts and
//! workloads that name pull secrets, and the reads the API server refused: the audit report.

use super::prepare::{Decoded, Judged, Prepared};
use super::{scoped_tokens, COPIES};
use crate::audit::findings::{Finding, Severity};
use crate::audit::sources::{PlaceKind, PlaceState, Scanned, Storage, Stored};
use crate::audit::token_kind::TokenKind;
use crate::audit::Report;
use crate::kube::live::Denied;
use crate::kube::objects::{ServiceAccount, Workload};
use regauth_core::sanitize::one_line;
use std::collections::HashMap;

/// Which secrets the service accounts and workloads name as pull secrets, worked out before the report is
/// built so that the lookup table is gone by then.
struct References {
    /// By secret, in [`Prepared::secrets`] order.
    named: Vec<bool>,
    /// Who names a secret of a type the kubelet does not read (for its finding), by secret.
    who: HashMap<usize, String>,
    /// Pull secrets named but not in the input: (namespace, name, who names it), sorted.
    missing: Vec<(String, String, String)>,
}

fn references(prepared: &Prepared, others: &Others<'_>) -> References {
    // (namespace, name) -> who names it (kind, namespace, name), and whether the input has it
    type Who<'a> = Vec<(&'a str, &'a str, &'a str)>;
    let named = others.service_accounts.iter().map(|sa| sa.image_pull_secrets.len()).sum::<usize>()
        + others.workloads.iter().map(|w| w.image_pull_secrets.len()).sum::<usize>();
    let mut referenced: HashMap<(&str, &str), (Who, bool)> = HashMap::with_capacity(named);
    let who = others
        .service_accounts
        .iter()
        .flat_map(|sa| {
            sa.image_pull_secrets.iter().map(move |s| (s, ("ServiceAccount", &sa.namespace, &sa.name)))
        })
        .chain(others.workloads.iter().flat_map(|w| {
            w.image_pull_secrets.iter().map(move |s| (s, (w.kind.as_str(), &w.namespace, &w.name)))
        }));
    for (secret, (kind, namespace, name)) in who {
        let entry = referenced.entry((namespace.as_str(), secret.as_str())).or_default();
        entry.0.push((kind, namespace.as_str(), name.as_str()));
    }
    let text = |who: &Who| {
        let who: Vec<String> = who.iter().map(|(kind, ns, name)| format!("{kind} {ns}/{name}")).collect();
        who.join(", ")
    };
    let mut references = References {
        named: Vec::with_capacity(prepared.secrets.len()),
        who: HashMap::new(),
        missing: Vec::new(),
    };
    for (index, facts) in prepared.secrets.iter().enumerate() {
        let names = referenced.get_mut(&(prepared.namespace(facts), prepared.name(facts)));
        references.named.push(names.is_some());
        if let Some((who, found)) = names {
            *found = true;
            if !facts.pull {
                references.who.insert(index, text(who));
            }
        }
    }
    for ((namespace, name), (who, found)) in &referenced {
        if !found {
            references.missing.push(((*namespace).to_owned(), (*name).to_owned(), text(who)));
        }
    }
    references.missing.sort_unstable();
    references
}

/// The objects the rules read besides the secrets.
pub(super) struct Others<'a> {
    pub service_accounts: &'a [ServiceAccount],
    pub workloads: &'a [Workload],
    pub denied: &'a [Denied],
    pub inputs: &'a [String],
}

pub(super) fn judge(mut prepared: Prepared, others: Others<'_>, now: i64, host: String) -> Report {
    // Sized once: a dump of 100,000 pull secrets grows no vector of 100,000 credentials by doubling.
    let mut credentials = Vec::with_capacity(prepared.secrets.len());
    let mut findings = Vec::new();
    let references = references(&prepared, &others);
    // (fingerprint, namespace, secret, credential): the copies of each credential
    let mut copies: Vec<(u64, u32, usize, usize)> = Vec::new();
    // Each distinct data's entries are moved into the credentials at their last use, not copied.
    let mut decoded = std::mem::take(&mut prepared.decoded);
    let mut uses = std::mem::take(&mut prepared.uses);
    for (index, facts) in prepared.secrets.iter().enumerate() {
        let namespace = prepared.namespace(facts);
        let name = prepared.name(facts);
        let place = cat(&[namespace, "/", name]);
        let is_referenced = references.named[index];
        if !facts.pull {
            if facts.holds_docker_data || is_referenced {
                findings.push(Finding {
                    severity: Severity::Medium,
                    code: "kube-wrong-secret-type",
                    registry: None,
                    location: place.clone(),
                    message: line(format!(
                        "secret {place} is of type {}{}: the kubelet reads only kubernetes.io/dockerconfigjson and \
                         kubernetes.io/dockercfg and skips it",
                        prepared.kind(facts),
                        references
                            .who
                            .get(&index)
                            .map(|who| format!(", yet {who} names it as a pull secret"))
                            .unwrap_or_default()
                    )),
                    fix: format!(
                        "recreate it with `kubectl create secret docker-registry {name} --docker-server=... \
                         --docker-username=... --docker-password=<the token> -n {namespace}`"
                    ),
                });
            }
            continue;
        }
        uses[facts.decoded] -= 1;
        let last = uses[facts.decoded] == 0;
        let entries = match &mut decoded[facts.decoded] {
            Decoded::Entries(entries) if last => std::mem::take(entries),
            Decoded::Entries(entries) => entries.clone(),
            Decoded::Undecodable(reason) => {
                findings.push(Finding {
                    severity: Severity::High,
                    code: "kube-undecodable-pull-secret",
                    registry: None,
                    location: place.clone(),
                    message: line(format!(
                        "pull secret {place} does not decode ({reason}): the kubelet cannot build its keyring, so \
                         every pull of a pod that names it fails"
                    )),
                    fix: format!("recreate it with `kubectl create secret docker-registry {name} ... -n {namespace}`"),
                });
                continue;
            }
            Decoded::Nothing => Vec::new(),
        };
        if !is_referenced {
            findings.push(Finding {
                severity: Severity::Low,
                code: "kube-unused-pull-secret",
                registry: None,
                location: place.clone(),
                message: cat(&[
                    "pull secret ",
                    &place,
                    " is named by no service account or pod in the input: a credential nobody uses",
                ]),
                fix: cat(&[
                    "delete it (`kubectl delete secret ",
                    name,
                    " -n ",
                    namespace,
                    "`) once no workload outside this dump needs it",
                ]),
            });
        }
        for Judged { key, username, kind, expires_at, fingerprint } in entries {
            let location = cat(&[&place, "/", &key]);
            if let Some(fp) = fingerprint {
                copies.push((fp, prepared.namespace_id(facts), index, credentials.len()));
            }
            if expires_at.is_some_and(|e| e <= now) {
                let describe = format!(
                    "{} for {key}{}",
                    kind.map_or("credential", TokenKind::describe),
                    username.as_ref().map(|u| format!(" (user {u})")).unwrap_or_default()
                );
                findings.push(Finding {
                    severity: Severity::High,
                    code: "kube-expired-credential",
                    registry: Some(key.clone()),
                    location: location.clone(),
                    message: line(format!("{describe} in pull secret {place} has expired: pulls with it fail")),
                    fix: format!(
                        "put a fresh token in it: `kubectl create secret docker-registry {name} --docker-server={key} \
                         --docker-username={} --docker-password=<the token> -n {namespace} --dry-run=client -o yaml | \
                         kubectl apply -f -`, or have a controller or credential provider plugin refresh it",
                        username.as_deref().unwrap_or("<user>"),
                    ),
                });
            }
            if kind == Some(TokenKind::Password) {
                if let Some(token) = scoped_tokens(&key) {
                    findings.push(Finding {
                        severity: Severity::Medium,
                        code: "kube-password-credential",
                        registry: Some(key.clone()),
                        location: location.clone(),
                        message: line(cat(&[
                            "pull secret ",
                            &place,
                            " holds an account password for ",
                            &key,
                            ": anyone who can read secrets in ",
                            namespace,
                            " gets the whole account",
                        ])),
                        fix: cat(&["use ", token, " instead, and change the account's password"]),
                    });
                }
            }
            credentials.push(Stored {
                place: PlaceKind::KubernetesObjects,
                keyed_fingerprint: None,
                sought: false,
                location: line(location),
                registry: key,
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
    drop(decoded);
    copied(&prepared, &credentials, copies, &mut findings);
    for denied in others.denied {
        findings.push(Finding {
            severity: Severity::Medium,
            code: "kube-missing-right",
            registry: None,
            location: format!("{}/{}", denied.namespace, denied.name.as_deref().unwrap_or(&denied.resource)),
            message: line(format!(
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
    for (namespace, name, who) in &references.missing {
        if !others.denied.iter().any(|d| d.hides("secrets", namespace, name)) {
            findings.push(Finding {
                severity: Severity::Medium,
                code: "kube-missing-pull-secret",
                registry: None,
                location: format!("{namespace}/{name}"),
                message: line(format!(
                    "{} names the pull secret {name}, which is not in namespace {namespace}: the kubelet skips it \
                     silently and pulls without it",
                    who
                )),
                fix: format!(
                    "create it: `kubectl create secret docker-registry {name} --docker-server=... --docker-username=... \
                     --docker-password=<the token> -n {namespace}`, or remove the reference"
                ),
            });
        }
    }
    drop(prepared);
    sort(&mut findings);
    let scanned = others
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
    let summary = crate::audit::summary::Summary::of(&credentials, &findings);
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

/// `kube-secret-copied`: each credential (by fingerprint) in at least [`COPIES`] namespaces, in fingerprint
/// order, named by its first copy.
fn copied(
    prepared: &Prepared,
    credentials: &[Stored],
    mut copies: Vec<(u64, u32, usize, usize)>,
    findings: &mut Vec<Finding>,
) {
    copies.sort_unstable_by_key(|&(fp, _, _, credential)| (fp, credential));
    for group in copies.chunk_by(|a, b| a.0 == b.0) {
        let mut namespaces: Vec<&str> =
            group.iter().map(|&(_, ns, _, _)| prepared.namespace_of_id(ns)).collect();
        namespaces.sort_unstable();
        namespaces.dedup();
        if namespaces.len() < COPIES {
            continue;
        }
        let (_, _, secret, credential) = group[0];
        let facts = &prepared.secrets[secret];
        let key = &credentials[credential].registry;
        let first = format!("{}/{}/{key}", prepared.namespace(facts), prepared.name(facts));
        let shown = &namespaces[..namespaces.len().min(10)];
        findings.push(Finding {
            severity: Severity::Low,
            code: "kube-secret-copied",
            registry: None,
            location: line(first),
            message: line(format!(
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

/// `text`, or [`one_line`] of it when it needs cleaning: most of a dump's 100,000 lines are short printable
/// ASCII, which `one_line` would copy unchanged.
fn line(text: String) -> String {
    let bytes = text.as_bytes();
    let clean = bytes.len() <= LINE_MAX
        && bytes.iter().all(|&b| (b' '..=b'~').contains(&b) || b == b'\t')
        && !bytes.first().is_some_and(|b| b.is_ascii_whitespace())
        && !bytes.last().is_some_and(|b| b.is_ascii_whitespace());
    if clean {
        text
    } else {
        one_line(&text)
    }
}

/// What [`one_line`] cuts a line to (in characters; a clean ASCII line has as many bytes).
const LINE_MAX: usize = 400;

/// Most severe first, then by location, findings of equal rank in the order they were made (a stable
/// sort), without the stable sort's scratch copy of every finding: an order sorted in place, then applied.
fn sort(findings: &mut [Finding]) {
    let mut order: Vec<u32> = (0..u32::try_from(findings.len()).expect("fewer than 2^32 findings")).collect();
    order.sort_unstable_by(|&a, &b| {
        let (fa, fb) = (&findings[a as usize], &findings[b as usize]);
        fb.severity.cmp(&fa.severity).then_with(|| fa.location.cmp(&fb.location)).then(a.cmp(&b))
    });
    // Position `i` takes the finding at `order[i]`: follow each cycle once, marking places done.
    for start in 0..order.len() {
        let mut at = start;
        loop {
            let from = order[at] as usize;
            order[at] = at as u32;
            if from == start || from == at {
                break;
            }
            findings.swap(at, from);
            at = from;
        }
    }
}

/// The parts joined, in a string of exactly their length (`format!` guesses, and a dump's 300,000 lines
/// would carry the slack).
fn cat(parts: &[&str]) -> String {
    let mut text = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        text.push_str(part);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_is_one_line_without_the_copy() {
        let long = "x".repeat(LINE_MAX + 1);
        let exact = "y".repeat(LINE_MAX);
        for text in [
            "ns/name/ghcr.io",
            "",
            " leading",
            "trailing ",
            "\ttab\tinside",
            "tab at the end\t",
            "bell\u{7}",
            "new\nline",
            "ünïcode",
            "bidi\u{202e}",
            "del\u{7f}",
            &long,
            &exact,
        ] {
            assert_eq!(line(text.to_owned()), one_line(text), "{text:?}");
        }
    }

    fn finding(severity: Severity, location: &str, code: &'static str) -> Finding {
        Finding {
            severity,
            code,
            location: location.into(),
            registry: None,
            message: String::new(),
            fix: String::new(),
        }
    }

    #[test]
    fn sort_is_most_severe_first_then_by_location_and_stable() {
        let mut findings = vec![
            finding(Severity::Low, "b", "1"),
            finding(Severity::Medium, "z", "2"),
            finding(Severity::Low, "a", "3"),
            finding(Severity::Low, "b", "4"),
            finding(Severity::High, "y", "5"),
            finding(Severity::Low, "b", "6"),
            finding(Severity::Medium, "a", "7"),
        ];
        let mut expected = findings.clone();
        expected.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.location.cmp(&b.location)));
        sort(&mut findings);
        let codes = |f: &[Finding]| f.iter().map(|f| f.code).collect::<Vec<_>>();
        assert_eq!(codes(&findings), ["5", "7", "2", "3", "1", "4", "6"]);
        assert_eq!(codes(&findings), codes(&expected));
        // Longer inputs, against the standard stable sort.
        let mut many: Vec<Finding> = (0..500u32)
            .map(|i| {
                finding(
                    [Severity::Low, Severity::Medium, Severity::High][(i * 7 % 3) as usize],
                    &format!("{}", i * 31 % 17),
                    "x",
                )
            })
            .collect();
        for (i, f) in many.iter_mut().enumerate() {
            f.message = i.to_string();
        }
        let mut expected = many.clone();
        expected.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.location.cmp(&b.location)));
        sort(&mut many);
        let messages = |f: &[Finding]| f.iter().map(|f| f.message.clone()).collect::<Vec<_>>();
        assert_eq!(messages(&many), messages(&expected));
    }

    #[test]
    fn cat_is_the_parts_at_their_length() {
        let text = cat(&["pull secret ", "ns/name", " is named"]);
        assert_eq!(text, "pull secret ns/name is named");
        assert_eq!(text.capacity(), text.len());
    }
}
