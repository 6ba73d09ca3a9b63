//! `regauth status` (as `gh auth status`): for this user, every registry logged into, which clients use the
//! credential (docker and nerdctl read docker's config and its helpers; podman, buildah and skopeo
//! containers' auth files), where it is stored, the username, token kind and expiry, and, unless offline,
//! whether the registry still accepts it (the engine of `audit --online`). Never a secret.

use crate::audit::online::{self, Status};
use crate::audit::sources::{self, Options, PlaceKind, Storage, Stored};
use crate::exit::Exit;
use regauth_core::environ::Environ;
use regauth_core::registry::RegistryHost;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Login {
    /// The clients that send this credential.
    pub clients: Vec<&'static str>,
    /// The file, helper program or variable that holds it.
    pub location: String,
    pub storage: Storage,
    /// The key it is stored under.
    pub key: String,
    pub username: Option<String>,
    pub kind: Option<&'static str>,
    /// Unix seconds, when the credential says.
    pub expires_at: Option<i64>,
    /// `None` offline.
    pub status: Option<Status>,
    pub detail: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Registry {
    pub registry: String,
    pub logins: Vec<Login>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub schema_version: u32,
    pub registries: Vec<Registry>,
    pub checked_online: bool,
    pub exit_code: u8,
}

impl Report {
    /// 0 when every login is accepted (or not checked offline), 4 when one is rejected, 7 rate limited,
    /// 8 when one could not be checked (network, deadline).
    pub fn exit(&self) -> Exit {
        let statuses = self.registries.iter().flat_map(|r| &r.logins).filter_map(|l| l.status);
        let mut exit = Exit::Ok;
        for status in statuses {
            let this = match status {
                Status::Rejected => Exit::AuthenticationFailed,
                Status::RateLimited => Exit::RateLimited,
                Status::Unreachable | Status::TimedOut => Exit::Network,
                Status::Accepted | Status::NoLogin | Status::NoSecret => Exit::Ok,
            };
            if rank(this) > rank(exit) {
                exit = this;
            }
        }
        exit
    }
}

fn rank(exit: Exit) -> u8 {
    match exit {
        Exit::AuthenticationFailed => 3,
        Exit::Network => 2,
        Exit::RateLimited => 1,
        _ => 0,
    }
}

/// This user's logins, checked with `online` unless it is `None`.
pub fn run(env: &Environ, opts: &Options, online: Option<&online::Options>) -> Report {
    let opts = Options { keep_secrets: online.is_some(), ..opts.clone() };
    let inventory = sources::collect(env, &opts);
    let checked = online.map(|o| online::check(&inventory.stored, o, &|_, _| {}));
    let mut by_registry: BTreeMap<String, Vec<Login>> = BTreeMap::new();
    for (index, stored) in inventory.stored.iter().enumerate() {
        let Some(clients) = clients_of(stored, &inventory.scanned) else { continue };
        let host = RegistryHost::new(&stored.registry);
        let result = checked.as_ref().and_then(|c| c.credentials.iter().find(|r| r.credential == index));
        by_registry.entry(host.as_str().to_owned()).or_default().push(Login {
            clients,
            location: stored.location.clone(),
            storage: stored.storage,
            key: stored.registry.clone(),
            username: stored.username.clone(),
            kind: stored.kind.map(|k| k.describe()),
            expires_at: stored.expires_at,
            status: result.map(|r| r.status),
            detail: result.map(|r| r.detail.clone()),
        });
    }
    let registries =
        by_registry.into_iter().map(|(registry, logins)| Registry { registry, logins }).collect();
    let mut report =
        Report { schema_version: 1, registries, checked_online: checked.is_some(), exit_code: 0 };
    report.exit_code = report.exit().code();
    report
}

/// Which clients send `stored`; `None` for places that are not a login (seeds, the passwd file).
fn clients_of(stored: &Stored, scanned: &[sources::Scanned]) -> Option<Vec<&'static str>> {
    const DOCKER: [&str; 2] = ["docker", "nerdctl"];
    const CONTAINERS: [&str; 3] = ["podman", "buildah", "skopeo"];
    Some(match stored.place {
        PlaceKind::DockerConfig | PlaceKind::Dockercfg => DOCKER.to_vec(),
        PlaceKind::ContainersAuth => CONTAINERS.to_vec(),
        PlaceKind::Environment => vec!["docker-credential-regauth-env"],
        PlaceKind::Helper => {
            let mut clients = Vec::new();
            for place in scanned.iter().filter(|p| {
                p.helpers.iter().any(|(_, h)| stored.location.starts_with(&format!("docker-credential-{h}")))
            }) {
                let those: &[&'static str] = match place.kind {
                    PlaceKind::ContainersAuth => &CONTAINERS,
                    _ => &DOCKER,
                };
                for c in those {
                    if !clients.contains(c) {
                        clients.push(*c);
                    }
                }
            }
            clients
        }
        PlaceKind::KubeletConfig => vec!["kubelet"],
        PlaceKind::EcrCache => vec!["docker-credential-ecr-login"],
        _ => return None,
    })
}
