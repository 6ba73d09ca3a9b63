//! `--kube-live`: the objects of one namespace read through the user's own kubectl (its kubeconfig,
//! contexts and auth plugins) instead of a dump, into the same [`Cluster`] the dump path reads, so that
//! `diagnose` and `audit` judge them with the same code.
//!
//! kubectl runs as a child process with the caller's environment, one call at a time, each under a
//! deadline (the process group is killed when it passes, and the call is named) with its standard output
//! capped at [`INPUT_LIMIT`] and its standard error at 64 KiB. Nothing is written to disk by regauth;
//! secret values travel only in kubectl's standard output, never in an argument, and are read into
//! [`crate::kube::objects::Secret`]s like a dump's.
//!
//! What is read, all with `-n NAMESPACE` (the one given, else the context's, else `default`):
//! 1. the workloads: the `KIND/NAME`s given, else every `pods,deployments,statefulsets,daemonsets,jobs,
//!    cronjobs`;
//! 2. `serviceaccounts` (all of the namespace: a pod that names no pull secret uses its account's);
//! 3. `secrets`: for `diagnose`, only the pull secrets the workloads (or their service accounts) name,
//!    by name; for `audit`, all of the namespace's.
//!
//! A read the API server refuses (`Error from server (Forbidden)`) is no failure: it becomes a
//! [`Denied`] in the cluster (the verb, resource, namespace and, for a `get`, the name), the objects it
//! hides stay unknown, and the commands judge what they can without them. Any other kubectl failure
//! stops the read with kubectl's own message.

use super::objects::{parse_into, Cluster, InputError, INPUT_LIMIT};
use regauth_core::environ::Environ;
use regauth_core::protocol::{find_on_path, run_bounded, RunError};
use regauth_core::sanitize;
use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

/// How long one kubectl call may take by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The workload kinds read when no `KIND/NAME` is given (ReplicaSets and Pods owned by these repeat
/// their templates; name them to read them).
pub const WORKLOAD_KINDS: &str = "pods,deployments,statefulsets,daemonsets,jobs,cronjobs";

/// Which secrets to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    /// Only those the workloads and their service accounts name (`diagnose`): `get` by name.
    Named,
    /// Every secret of the namespace (`audit`): `list`.
    All,
}

/// What to read.
#[derive(Debug, Clone)]
pub struct Request {
    pub context: Option<String>,
    pub namespace: Option<String>,
    /// `KIND/NAME`s; empty: every workload of [`WORKLOAD_KINDS`].
    pub objects: Vec<String>,
    pub secrets: Secrets,
    /// For each kubectl call.
    pub timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("kubectl is not on PATH (--kube-live runs your kubectl)")]
    NoKubectl,
    #[error("{0:?} is not KIND/NAME (for example deployment/web or pod/web-0)")]
    BadObject(String),
    #[error("{0:?} is not a namespace name (lower-case letters, digits and '-')")]
    BadNamespace(String),
    #[error("`{command}` failed: {message}")]
    Failed { command: String, message: String },
    #[error("`{command}` did not finish within {} s and was stopped (--kubectl-timeout)", after.as_secs_f32())]
    TimedOut { command: String, after: Duration },
    #[error("`{command}` printed more than {} MiB", INPUT_LIMIT / (1024 * 1024))]
    TooLarge { command: String },
    #[error("`{command}`: {reason}")]
    Run { command: String, reason: String },
    #[error("none of the workloads named was found: {0}")]
    NoWorkload(String),
    #[error("this user may not read the workloads: missing right {}", .0.right())]
    WorkloadsDenied(Denied),
    #[error(transparent)]
    Input(#[from] InputError),
}

/// A read the API server refused: the verb and resource of the missing right, in a namespace, for one
/// object (`name`) or for all of them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Denied {
    pub verb: String,
    pub resource: String,
    pub namespace: String,
    pub name: Option<String>,
}

impl Denied {
    /// `get secrets "regcred" in namespace app`.
    pub fn right(&self) -> String {
        format!(
            "{} {}{} in namespace {}",
            self.verb,
            self.resource,
            self.name.as_deref().map(|n| format!(" {n:?}")).unwrap_or_default(),
            self.namespace
        )
    }

    /// The kubectl command that checks the right.
    pub fn check(&self) -> String {
        format!(
            "kubectl auth can-i {} {}{} -n {}",
            self.verb,
            self.resource,
            self.name.as_deref().map(|n| format!("/{n}")).unwrap_or_default(),
            self.namespace
        )
    }

    /// Does this refusal hide `name` of `resource` in `namespace`?
    pub fn hides(&self, resource: &str, namespace: &str, name: &str) -> bool {
        self.resource == resource
            && self.namespace == namespace
            && self.name.as_deref().is_none_or(|n| n == name)
    }
}

/// Read the objects `request` names into a [`Cluster`], through the kubectl on `env`'s PATH.
pub fn read(env: &Environ, request: &Request) -> Result<Cluster, LiveError> {
    for object in &request.objects {
        check_object(object)?;
    }
    let path = env.search_path().ok_or(LiveError::NoKubectl)?;
    let program = find_on_path("kubectl", &path).ok_or(LiveError::NoKubectl)?;
    let kubectl = Kubectl { program, env, context: request.context.clone(), timeout: request.timeout };
    let namespace = match &request.namespace {
        Some(ns) => ns.clone(),
        None => kubectl.context_namespace()?,
    };
    if !is_namespace(&namespace) {
        return Err(LiveError::BadNamespace(sanitize::one_line(&namespace)));
    }
    let mut cluster = Cluster::default();
    let what: Vec<String> =
        if request.objects.is_empty() { vec![WORKLOAD_KINDS.to_owned()] } else { request.objects.clone() };
    let denied = kubectl.get(&what, &namespace, &mut cluster, false)?;
    let asked =
        if request.objects.is_empty() { WORKLOAD_KINDS.split(',').count() } else { request.objects.len() };
    if !denied.is_empty() && denied.len() >= asked {
        return Err(LiveError::WorkloadsDenied(denied[0].clone()));
    }
    if !request.objects.is_empty() && cluster.workloads.is_empty() && denied.is_empty() {
        return Err(LiveError::NoWorkload(cluster.skipped.join("; ")));
    }
    kubectl.get(&["serviceaccounts".to_owned()], &namespace, &mut cluster, false)?;
    match request.secrets {
        Secrets::All => {
            kubectl.get(&["secrets".to_owned()], &namespace, &mut cluster, false)?;
        }
        Secrets::Named => {
            let names = named_secrets(&cluster, &namespace);
            if !names.is_empty() {
                let what: Vec<String> = names.iter().map(|n| format!("secret/{n}")).collect();
                kubectl.get(&what, &namespace, &mut cluster, true)?;
            }
        }
    }
    Ok(cluster)
}

/// The pull secrets the kubelet would look up for the workloads read: each one's own, or its service
/// account's when it names none.
fn named_secrets(cluster: &Cluster, namespace: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for w in cluster.workloads.iter().filter(|w| w.namespace == namespace) {
        if !w.image_pull_secrets.is_empty() {
            names.extend(w.image_pull_secrets.iter().cloned());
        } else if let Some(sa) = cluster.service_account(namespace, &w.service_account) {
            names.extend(sa.image_pull_secrets.iter().cloned());
        }
    }
    // Only names kubectl would take as a name: anything else cannot exist in the API either.
    names.retain(|n| is_dns_subdomain(n));
    names
}

struct Kubectl<'a> {
    program: std::path::PathBuf,
    env: &'a Environ,
    context: Option<String>,
    timeout: Duration,
}

impl Kubectl<'_> {
    /// The arguments before the verb: `--context` when given.
    fn base_args(&self) -> Vec<String> {
        self.context.iter().map(|c| format!("--context={c}")).collect()
    }

    /// How the call is named in messages and in the report's `inputs` (no secret is ever an argument).
    fn describe(args: &[String]) -> String {
        sanitize::one_line(&format!("kubectl {}", args.join(" ")))
    }

    fn run(&self, args: &[String]) -> Result<(Vec<u8>, String, Option<i32>), LiveError> {
        let command = Self::describe(args);
        let mut cmd = Command::new(&self.program);
        cmd.args(args).env_clear().envs(self.env.vars());
        match run_bounded(&mut cmd, b"", self.timeout, INPUT_LIMIT as usize) {
            Ok(done) => Ok((done.stdout, String::from_utf8_lossy(&done.stderr).into_owned(), done.exit_code)),
            Err(RunError::TimedOut) => Err(LiveError::TimedOut { command, after: self.timeout }),
            Err(RunError::Flood) => Err(LiveError::TooLarge { command }),
            Err(e) => Err(LiveError::Run { command, reason: e.to_string() }),
        }
    }

    /// The namespace of the context in use (kubectl's own default: `default`).
    fn context_namespace(&self) -> Result<String, LiveError> {
        let mut args = self.base_args();
        args.extend(
            ["config", "view", "--minify", "-o", "jsonpath={.contexts[0].context.namespace}"]
                .map(String::from),
        );
        let (out, err, code) = self.run(&args)?;
        if code != Some(0) {
            return Err(LiveError::Failed { command: Self::describe(&args), message: message(&err, code) });
        }
        let ns = String::from_utf8_lossy(&out).trim().to_owned();
        Ok(if ns.is_empty() { "default".into() } else { ns })
    }

    /// `kubectl get WHAT -n NS -o json` into `cluster`; the refusals, also recorded in `cluster.denied`.
    /// Objects that do not exist are named in `cluster.skipped` (or ignored, with `ignore_missing`).
    fn get(
        &self,
        what: &[String],
        namespace: &str,
        cluster: &mut Cluster,
        ignore_missing: bool,
    ) -> Result<Vec<Denied>, LiveError> {
        let mut args = self.base_args();
        args.push("get".into());
        args.extend(what.iter().cloned());
        args.extend(["-n".into(), namespace.to_owned(), "-o".into(), "json".into()]);
        if ignore_missing {
            args.push("--ignore-not-found".into());
        }
        let command = Self::describe(&args);
        let (out, err, code) = self.run(&args)?;
        let out = zeroize::Zeroizing::new(out);
        let mut denied = Vec::new();
        let mut failures = Vec::new();
        let mut missing = 0;
        for line in err.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if let Some(d) = forbidden(line, namespace) {
                denied.push(d);
            } else if line.contains("(NotFound)") {
                missing += 1;
                cluster.skipped.push(sanitize::one_line(&format!("{command}: {line}")));
            } else if code != Some(0) && !line.starts_with("Warning:") {
                failures.push(line.to_owned());
            }
        }
        if code != Some(0) && (!failures.is_empty() || (denied.is_empty() && missing == 0)) {
            let message =
                if failures.is_empty() { message(&err, code) } else { message(&failures.join("\n"), code) };
            return Err(LiveError::Failed { command, message });
        }
        if !out.iter().all(u8::is_ascii_whitespace) {
            parse_into(&out, &command, cluster)?;
        }
        cluster.inputs.push(command);
        for d in &denied {
            if !cluster.denied.contains(d) {
                cluster.denied.push(d.clone());
            }
        }
        Ok(denied)
    }
}

/// kubectl's error text: its own last lines (klog's retry lines dropped when it says more), made safe
/// and cut; its exit status when it said nothing.
fn message(stderr: &str, code: Option<i32>) -> String {
    let lines: Vec<&str> = stderr.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let plain: Vec<&str> = lines.iter().copied().filter(|l| !is_klog(l)).collect();
    let chosen = if plain.is_empty() { &lines } else { &plain };
    let last = &chosen[chosen.len().saturating_sub(3)..];
    let text = sanitize::one_line(&last.join("; "));
    let text: String = text.chars().take(1000).collect();
    if text.is_empty() {
        format!("exit status {}", code.map_or("(signal)".into(), |c| c.to_string()))
    } else {
        text
    }
}

/// A klog line: `E1204 20:44:44.932958   10035 file.go:265] ...`.
fn is_klog(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 5
        && matches!(b[0], b'E' | b'W' | b'I' | b'F')
        && b[1..5].iter().all(u8::is_ascii_digit)
        && b[5] == b' '
}

/// `Error from server (Forbidden): secrets "regcred" is forbidden: User "dev" cannot get resource
/// "secrets" in API group "" in the namespace "app"` -> get secrets "regcred" in app.
fn forbidden(line: &str, namespace: &str) -> Option<Denied> {
    let rest = line.split_once("(Forbidden):")?.1.trim();
    let quoted = |text: &str, after: &str| -> Option<String> {
        let start = text.find(after)? + after.len();
        let tail = &text[start..];
        let tail = tail.strip_prefix('"')?;
        Some(tail[..tail.find('"')?].to_owned())
    };
    let verb = rest.split_once("cannot ")?.1.split_whitespace().next()?.to_owned();
    let resource = quoted(rest, "resource ")?;
    let namespace = quoted(rest, "in the namespace ").unwrap_or_else(|| namespace.to_owned());
    // `secrets "regcred" is forbidden` names the object; `secrets is forbidden` (a list) does not.
    let head = rest.split(" is forbidden").next().unwrap_or_default();
    let name =
        head.split_once(' ').and_then(|(_, n)| n.strip_prefix('"')?.strip_suffix('"').map(str::to_owned));
    Some(Denied {
        verb: sanitize::one_line(&verb),
        resource: sanitize::one_line(&resource),
        namespace: sanitize::one_line(&namespace),
        name: name.map(|n| sanitize::one_line(&n)),
    })
}

fn check_object(object: &str) -> Result<(), LiveError> {
    let ok = object.split_once('/').is_some_and(|(kind, name)| {
        !kind.is_empty()
            && kind.len() <= 253
            && kind.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            && !kind.starts_with('-')
            && is_dns_subdomain(name)
    });
    if ok {
        Ok(())
    } else {
        Err(LiveError::BadObject(sanitize::one_line(object)))
    }
}

/// An object name as the API server takes it (RFC 1123 subdomain).
fn is_dns_subdomain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && !name.starts_with(['-', '.'])
}

/// A namespace name (RFC 1123 label).
fn is_namespace(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_answers() {
        let get = forbidden(
            r#"Error from server (Forbidden): secrets "regcred" is forbidden: User "dev" cannot get resource "secrets" in API group "" in the namespace "app""#,
            "x",
        )
        .unwrap();
        assert_eq!(
            get,
            Denied {
                verb: "get".into(),
                resource: "secrets".into(),
                namespace: "app".into(),
                name: Some("regcred".into())
            }
        );
        assert_eq!(get.right(), "get secrets \"regcred\" in namespace app");
        assert_eq!(get.check(), "kubectl auth can-i get secrets/regcred -n app");
        let list = forbidden(
            r#"Error from server (Forbidden): serviceaccounts is forbidden: User "dev" cannot list resource "serviceaccounts" in API group "" in the namespace "app""#,
            "x",
        )
        .unwrap();
        assert_eq!((list.verb.as_str(), list.name.as_deref()), ("list", None));
        assert!(list.hides("serviceaccounts", "app", "default"));
        assert!(!get.hides("secrets", "app", "other"));
        assert!(forbidden("Error from server (NotFound): pods \"x\" not found", "app").is_none());
    }

    #[test]
    fn names_are_checked_before_kubectl_sees_them() {
        for good in ["pod/web-0", "deployment.apps/web", "cronjob/nightly"] {
            check_object(good).unwrap();
        }
        for bad in ["web", "pod/", "/web", "pod/Web", "--kubeconfig=/x/y", "pod/-x", "pod/a b"] {
            assert!(check_object(bad).is_err(), "{bad}");
        }
        assert!(is_namespace("kube-system") && !is_namespace("-n") && !is_namespace("A"));
    }
}
