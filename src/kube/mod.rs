//! Kubernetes: pods, their pull secrets and service accounts read from `kubectl get -o json` output, and
//! the kubelet's rules for which credential it sends for an image.
//!
//! - [`objects`]: the typed, bounded reading of Lists, workloads, ServiceAccounts and Secrets.
//! - [`matching`]: the kubelet's key matching (globs per domain part, port, path prefix, order, Docker Hub).
//! - [`keyring`]: for one image of one pod, the credentials the kubelet would try and why others do not
//!   count. `regauth diagnose --kube` probes them; `regauth audit --kube` inventories the secrets.
//! - [`live`]: the same objects read through the user's kubectl (`--kube-live`), refusals kept as such.
//! - [`diagnosis`]: `diagnose --kube`: every image's credentials probed in the kubelet's order.
//! - [`verdict`]: the kubelet's verdict for one image from those probes, with the reasons and the fix.

pub mod diagnosis;
pub mod keyring;
pub mod live;
pub mod matching;
pub mod objects;
pub mod verdict;
