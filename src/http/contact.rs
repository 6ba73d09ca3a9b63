//! First contact with a registry, one rule for diagnose, token and login (docker's): https first; plain
//! http only for a loopback registry or with `--insecure`, and then only when TLS itself did not apply. A
//! certificate failure is reported, never worked around by trying plain http; a port that refused https
//! refuses http too.

use super::transport::{Failure, Reply};
use regauth_core::registry::RegistryHost;
use std::future::Future;

/// The registry answered the first request.
pub struct Contact {
    /// `https://host` or `http://host` (Docker Hub's API host for docker.io).
    pub base: String,
    pub reply: Reply,
}

/// Send the first request with `send(base)`, at `https://` and, where the rule allows, at `http://`.
pub async fn first_contact<F, Fut>(host: &RegistryHost, insecure: bool, send: F) -> Result<Contact, Failure>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<Reply, Failure>>,
{
    let api = host.api_host();
    let https = format!("https://{api}");
    match send(https.clone()).await {
        Ok(reply) => Ok(Contact { base: https, reply }),
        Err(f) if may_fall_back(host, insecure, &f) => {
            let http = format!("http://{api}");
            let reply = send(http.clone()).await?;
            Ok(Contact { base: http, reply })
        }
        Err(f) => Err(f),
    }
}

/// Whether plain http may follow https's `failure`.
fn may_fall_back(host: &RegistryHost, insecure: bool, failure: &Failure) -> bool {
    (insecure || host.is_loopback()) && !failure.is_certificate() && !failure.is_refused()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::transport::FailureKind;

    fn failure(kind: FailureKind) -> Failure {
        Failure { kind, cause: "x".into(), index: None }
    }

    #[test]
    fn plain_http_only_for_loopback_or_insecure_and_never_after_a_certificate_failure() {
        let table = [
            ("127.0.0.1:5000", false, FailureKind::Tls, true),
            ("localhost:5000", false, FailureKind::Network, true),
            ("[::1]:5000", false, FailureKind::TimedOut, true),
            ("127.0.0.1:5000", false, FailureKind::Certificate, false),
            ("127.0.0.1:5000", false, FailureKind::Refused, false),
            ("registry.example.com", false, FailureKind::Tls, false),
            ("registry.example.com", true, FailureKind::Tls, true),
            ("registry.example.com", true, FailureKind::Certificate, false),
            ("docker.io", false, FailureKind::Network, false),
        ];
        for (host, insecure, kind, want) in table {
            let got = may_fall_back(&RegistryHost::new(host), insecure, &failure(kind));
            assert_eq!(got, want, "{host} insecure={insecure} {kind:?}");
        }
    }
}
