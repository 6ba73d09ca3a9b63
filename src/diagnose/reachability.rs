//! The reachability step: the first request (an anonymous HEAD of the manifest, https first; plain http
//! only for loopback or `--insecure`, and only when TLS itself did not apply), and what a request that got
//! no answer means.

use super::context::manifest_request;
use super::hosts::is_loopback;
use super::report::{Finding, Step, Verdict};
use crate::http::contact;
use crate::http::transport::{Auth, Failure, TlsOptions, Transport};
use regauth_core::reference::Reference;
use regauth_core::registry::RegistryHost;
use reqwest::Method;

pub(super) use crate::http::contact::Contact;

/// An anonymous HEAD of the manifest, by the one first-contact rule (`http::contact`).
pub(super) async fn first_contact(
    transport: &Transport,
    reference: &Reference,
    insecure: bool,
) -> Result<Contact, Failure> {
    let host = RegistryHost::new(&reference.registry);
    contact::first_contact(&host, insecure, |base| {
        transport.send(manifest_request(Method::HEAD, &base, reference, Auth::None))
    })
    .await
}

/// The registry answered at `base`; the exchange is `index`.
pub(super) fn reached(base: &str, index: usize, tls: &TlsOptions) -> Finding {
    let how = match (base.starts_with("https"), tls.insecure) {
        (true, true) => "https (certificate not verified: --insecure)",
        (true, false) => "https, certificate verified",
        (false, _) => "plain http",
    };
    let finding = Finding::new(Step::Reachability, Verdict::Ok, format!("{base} answers over {how}"))
        .evidence(Some(index));
    if tls.ca_files.is_empty() {
        return finding;
    }
    let files: Vec<String> = tls.ca_files.iter().map(|p| p.display().to_string()).collect();
    finding.detail(format!("extra CA files: {}", files.join(", ")))
}

/// A request to `host` got no answer.
pub(super) fn unreachable(host: &str, failure: &Failure) -> Finding {
    let mut finding = Finding::new(
        Step::Reachability,
        Verdict::Network,
        format!("{host} cannot be reached: {}", failure.cause),
    )
    .evidence(failure.index);
    if failure.is_certificate() && is_loopback(host) {
        finding = finding.detail(
            "docker treats 127.0.0.0/8 as an insecure registry and skips this check; other clients may not",
        );
    }
    finding.fix(if failure.is_certificate() {
        format!(
            "Trust the registry's CA the way docker does: put it in /etc/docker/certs.d/{host}/ca.crt (or \
                pass --ca-file FILE); --insecure skips verification."
        )
    } else if failure.is_refused() {
        "Nothing listens there: check the host and port in the image name, and that the registry runs.".into()
    } else {
        "Check DNS, the network path and any proxy (HTTPS_PROXY, NO_PROXY).".into()
    })
}
