//! Output that scales: counts by severity, token kind, storage, place and rule, and findings grouped by
//! rule and file (and, in `audit merge`, across machines), each group with a count and one fix.
//!
//! Works on owned text views ([`Item`], [`FindingView`]) so that one machine's report and the reports of many
//! machines read back from JSON are summarised by the same code.

use super::findings::{Finding, Severity};
use super::sources::Stored;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The counts a report opens with.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub credentials: usize,
    pub findings: usize,
    pub by_severity: BTreeMap<String, usize>,
    /// Token kinds; `unread` for entries a helper keeps (not fetched).
    pub by_kind: BTreeMap<String, usize>,
    pub by_storage: BTreeMap<String, usize>,
    /// Credentials by the kind of place holding them (docker-config, ecr-cache, helper...).
    pub by_place: BTreeMap<String, usize>,
    /// Findings by rule.
    pub by_code: BTreeMap<String, usize>,
}

/// What the summary counts of a credential.
pub struct Item<'a> {
    pub kind: Option<&'a str>,
    pub storage: &'a str,
    pub place: &'a str,
}

impl Summary {
    pub fn add_credential(&mut self, item: Item<'_>) {
        self.credentials += 1;
        count(&mut self.by_kind, item.kind.unwrap_or("unread"));
        count(&mut self.by_storage, item.storage);
        count(&mut self.by_place, item.place);
    }

    pub fn add_finding(&mut self, severity: Severity, code: &str) {
        self.findings += 1;
        count(&mut self.by_severity, severity.name());
        count(&mut self.by_code, code);
    }

    /// One machine's counts.
    pub fn of(credentials: &[Stored], findings: &[Finding]) -> Summary {
        let mut summary = Summary::default();
        for c in credentials {
            let kind = c.kind.map(|k| k.name());
            summary.add_credential(Item { kind, storage: c.storage.name(), place: c.place.name() });
        }
        for f in findings {
            summary.add_finding(f.severity, f.code);
        }
        summary
    }

    /// The summary as text: one line per count, most severe first, largest counts first.
    pub fn render(&self) -> String {
        let mut out = format!("Summary: {} credentials, {} findings\n", self.credentials, self.findings);
        let severities: Vec<String> = [Severity::High, Severity::Medium, Severity::Low, Severity::Info]
            .iter()
            .filter_map(|s| self.by_severity.get(s.name()).map(|n| format!("{} {n}", s.name())))
            .collect();
        let line = |title: &str, counts: &BTreeMap<String, usize>| {
            if counts.is_empty() {
                return String::new();
            }
            let mut counts: Vec<(&String, &usize)> = counts.iter().collect();
            counts.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
            let text: Vec<String> = counts.iter().map(|(k, n)| format!("{} {n}", one_line(k))).collect();
            format!("  {title:<10} {}\n", text.join(", "))
        };
        if !severities.is_empty() {
            out.push_str(&format!("  {:<10} {}\n", "severity", severities.join(", ")));
        }
        out.push_str(&line("rule", &self.by_code));
        out.push_str(&line("kind", &self.by_kind));
        out.push_str(&line("storage", &self.by_storage));
        out.push_str(&line("place", &self.by_place));
        out
    }
}

/// One more of `key` (its text copied only the first time: a fleet counts 100,000 credentials).
fn count(counts: &mut BTreeMap<String, usize>, key: &str) {
    match counts.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            counts.insert(key.to_owned(), 1);
        }
    }
}

fn one_line(text: &str) -> String {
    regauth_core::sanitize::one_line(text)
}

/// A finding's message or fix as grouping sees it: its text, or (`audit merge`, carrying a report's
/// templates) a template and the credential it speaks of.
#[derive(Debug, Clone, Copy)]
pub enum TextView<'a> {
    Text(&'a str),
    Template(&'a str, super::compact::Subject<'a>),
}

impl TextView<'_> {
    /// Whether this says `text`, without building it.
    pub fn says(&self, text: &str) -> bool {
        match self {
            TextView::Text(own) => *own == text,
            TextView::Template(template, subject) => super::compact::says(template, subject, text),
        }
    }
}

impl std::fmt::Display for TextView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TextView::Text(text) => f.write_str(text),
            TextView::Template(template, subject) => f.write_str(&super::compact::expand(template, subject)),
        }
    }
}

/// A finding as grouping sees it.
#[derive(Debug, Clone)]
pub struct FindingView<'a> {
    pub severity: Severity,
    pub code: &'a str,
    pub location: &'a str,
    pub message: TextView<'a>,
    pub fix: TextView<'a>,
    pub registry: Option<&'a str>,
    /// The machine, in `audit merge`.
    pub host: Option<&'a str>,
}

impl<'a> From<&'a Finding> for FindingView<'a> {
    fn from(f: &'a Finding) -> FindingView<'a> {
        FindingView {
            severity: f.severity,
            code: f.code,
            location: &f.location,
            message: TextView::Text(&f.message),
            fix: TextView::Text(&f.fix),
            registry: f.registry.as_deref(),
            host: None,
        }
    }
}

/// Findings that share a rule and a place, said once.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// The worst of the group.
    pub severity: Severity,
    pub code: String,
    pub location: String,
    pub count: usize,
    /// Machines the group was found on (`audit merge`); empty for one machine.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    pub message: String,
    pub fix: String,
}

/// Group `findings` by (rule, location); most severe groups first, then by size, then by place.
pub fn group<'a>(findings: impl IntoIterator<Item = FindingView<'a>>) -> Vec<Group> {
    // Hashed (a fleet's 100,000 findings share long places), then put in the ordered map's order.
    let mut groups: super::compact::PlaceMap<(&str, &str), Vec<FindingView<'a>>> = Default::default();
    for f in findings {
        groups.entry((f.code, f.location)).or_default().push(f);
    }
    let mut groups: Vec<((&str, &str), Vec<FindingView<'a>>)> = groups.into_iter().collect();
    groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut out: Vec<Group> =
        groups.into_iter().map(|((code, location), members)| one_group(code, location, &members)).collect();
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| b.count.cmp(&a.count))
            .then_with(|| a.location.cmp(&b.location))
            .then_with(|| a.code.cmp(&b.code))
    });
    out
}

fn one_group(code: &str, location: &str, members: &[FindingView<'_>]) -> Group {
    let severity = members.iter().map(|f| f.severity).max().unwrap_or(Severity::Info);
    // Members come machine by machine: each run of one host is added once.
    let mut distinct_hosts = BTreeSet::new();
    let mut previous = None;
    for host in members.iter().filter_map(|f| f.host) {
        if previous != Some(host) {
            distinct_hosts.insert(host);
            previous = Some(host);
        }
    }
    let hosts: Vec<String> = distinct_hosts.into_iter().map(str::to_owned).collect();
    let first = &members[0];
    let (first_message, first_fix) = (first.message.to_string(), first.fix.to_string());
    let same_message = members.iter().all(|f| f.message.says(&first_message));
    let same_fix = members.iter().all(|f| f.fix.says(&first_fix));
    let count = members.len();
    let on_hosts = if hosts.len() > 1 { format!(" on {} machines", hosts.len()) } else { String::new() };
    let message = if same_message {
        format!(
            "{}{}",
            first_message,
            if count > 1 { format!(" ({count} times{on_hosts})") } else { String::new() }
        )
    } else {
        let registries: BTreeSet<&str> = members.iter().filter_map(|f| f.registry).collect();
        let named = match registries.len() {
            0 => String::new(),
            n if n <= 3 => format!(": {}", registries.into_iter().collect::<Vec<_>>().join(", ")),
            n => format!(
                ": {} and {} more registries",
                registries.into_iter().take(3).collect::<Vec<_>>().join(", "),
                n - 3
            ),
        };
        let what = match code {
            "plaintext-credential" => format!("{count} credentials stored unencrypted in {location}"),
            "expired-credential" => format!("{count} expired credentials in {location}"),
            "credential-in-environment" => format!("{count} credentials in the environment ({location})"),
            "duplicated-credential" => {
                format!("{count} secrets stored more than once, first seen in {location}")
            }
            "missing-helper" => format!("{location} names {count} helpers that are not installed"),
            _ => format!("{count} {code} findings at {location}"),
        };
        format!("{what}{on_hosts}{named}")
    };
    let fix = if same_fix {
        first_fix
    } else {
        match code {
            "plaintext-credential" => {
                "move them into a credential helper: `regauth migrate` (--dry-run first to \
                see the plan; --verbose or --json: the fix for each)"
                    .to_owned()
            }
            "expired-credential" => {
                "remove them (`docker logout REGISTRY` for each) or log in again".to_owned()
            }
            _ => format!("{first_fix} (and others: --verbose or --json lists each)"),
        }
    };
    Group { severity, code: code.to_owned(), location: location.to_owned(), count, hosts, message, fix }
}

/// Groups as text, each with its count and one fix.
pub fn render_groups(groups: &[Group]) -> String {
    let mut out = String::new();
    for g in groups {
        let count = if g.count > 1 { format!(" x{}", g.count) } else { String::new() };
        out.push_str(&format!("  {:<6}  {}{count}  {}\n", g.severity.label(), g.code, one_line(&g.message)));
        out.push_str(&format!("          fix: {}\n", one_line(&g.fix)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view<'a>(
        code: &'a str,
        location: &'a str,
        message: &'a str,
        fix: &'a str,
        host: Option<&'a str>,
    ) -> FindingView<'a> {
        FindingView {
            severity: Severity::High,
            code,
            location,
            message: TextView::Text(message),
            fix: TextView::Text(fix),
            registry: Some(message),
            host,
        }
    }

    #[test]
    fn findings_of_one_rule_and_file_become_one_group() {
        let groups = group(vec![
            view("plaintext-credential", "/a", "a.io", "fix a", None),
            view("plaintext-credential", "/a", "b.io", "fix b", None),
            view("plaintext-credential", "/b", "c.io", "fix c", None),
            FindingView { severity: Severity::Low, ..view("expired-credential", "/a", "m", "f", None) },
        ]);
        assert_eq!(groups.len(), 3);
        assert_eq!((groups[0].count, groups[0].location.as_str()), (2, "/a"));
        assert!(
            groups[0].message.contains("2 credentials stored unencrypted in /a: a.io, b.io"),
            "{}",
            groups[0].message
        );
        assert!(groups[0].fix.contains("`regauth migrate`"), "{}", groups[0].fix);
        assert_eq!((groups[1].count, groups[1].fix.as_str()), (1, "fix c"));
        assert_eq!(groups[2].severity, Severity::Low);
    }

    #[test]
    fn groups_across_machines_count_hosts() {
        let groups = group(vec![
            view("readable-by-others", "/h/c.json", "same", "chmod", Some("a")),
            view("readable-by-others", "/h/c.json", "same", "chmod", Some("b")),
        ]);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].hosts, ["a", "b"]);
        assert_eq!(groups[0].message, "same (2 times on 2 machines)");
    }

    #[test]
    fn summary_counts() {
        let mut s = Summary::default();
        s.add_credential(Item { kind: Some("password"), storage: "plaintext", place: "docker-config" });
        s.add_credential(Item { kind: None, storage: "helper", place: "helper" });
        s.add_finding(Severity::High, "plaintext-credential");
        assert_eq!((s.credentials, s.findings), (2, 1));
        assert_eq!(s.by_kind["unread"], 1);
        let text = s.render();
        assert!(text.contains("severity   high 1"), "{text}");
    }
}
