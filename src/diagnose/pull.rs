//! The pull step: HEAD the manifest with the session; on refusal read the body with GET; on 404 read the
//! tag list at the same time to tell a missing tag from a missing repository.

use super::classify::{self, Class};
use super::probe::{now_unix, Probe, Session, MANIFEST_ACCEPT};
use super::registries::Problem;
use super::report::{Finding, Step, Verdict};
use crate::http::transport::{Auth, Reply, Request};
use regauth_core::sanitize::one_line;
use regauth_core::secret::Secret;
use reqwest::Method;

impl Probe {
    pub(super) async fn pull_with(&mut self, token: Secret) {
        self.input.observer.step("checking pull");
        let base = self.base().to_owned();
        match self.head_manifest(&base, Auth::Bearer(&token)).await {
            Ok(reply) => self.judge_manifest(reply, Session::Bearer(token)).await,
            Err(f) => self.unreachable(f),
        }
    }

    /// Judge the answer to a manifest HEAD made with `session`; then push when asked.
    pub(super) async fn judge_manifest(&mut self, reply: Reply, session: Session) {
        let basic = matches!(session, Session::Basic);
        if reply.status == 200 {
            let digest = reply
                .header("docker-content-digest")
                .map(one_line)
                .unwrap_or_else(|| "no digest header".into());
            let kind = reply.header("content-type").map(one_line).unwrap_or_default();
            self.set(
                Finding::new(
                    Step::Pull,
                    Verdict::Ok,
                    format!("may pull {}: the manifest exists ({digest})", self.input.reference),
                )
                .detail(kind)
                .evidence(Some(reply.index)),
            );
            return self.push(session).await;
        }
        if reply.status == 404 {
            return self.not_found(reply, session).await;
        }
        // HEAD has no body: read it with GET, for the evidence.
        let reply = self.get_body(&session, reply).await;
        match classify::registry_refusal(basic, &reply) {
            Class::Authentication { expired } => self.registry_rejected(&reply, expired),
            Class::Authorization => self.pull_denied(&reply),
            Class::RateLimited => {
                let fix = self.fix(Problem::RateLimited);
                self.set(
                    Finding::new(Step::Pull, Verdict::RateLimited, "the registry is rate limiting")
                        .detail(limits(&reply))
                        .evidence(Some(reply.index))
                        .fix(fix),
                );
            }
            Class::NotFound | Class::Server => self.set(
                Finding::new(
                    Step::Pull,
                    Verdict::Network,
                    format!("the registry answered {}: {}", reply.status, one_line(&reply.message())),
                )
                .evidence(Some(reply.index)),
            ),
        }
    }

    pub(super) async fn get_body(&self, session: &Session, head: Reply) -> Reply {
        let r = &self.input.reference;
        let mut req = Request::new(
            Method::GET,
            format!("{}/v2/{}/manifests/{}", self.base(), r.repository, r.manifest_reference()),
            self.auth_of(session),
        );
        req.accept = Some(MANIFEST_ACCEPT);
        match self.transport.send(req).await {
            Ok(reply) if reply.status == head.status => reply,
            _ => head,
        }
    }

    pub(super) fn registry_rejected(&mut self, reply: &Reply, expired_said: bool) {
        let now = now_unix();
        let expired_at = self.claims.as_ref().and_then(|c| c.expires_at).filter(|exp| *exp <= now);
        let expired = expired_said || expired_at.is_some();
        let what =
            if expired { "the token has expired" } else { "the registry rejected the credential or token" };
        let mut finding = Finding::new(Step::Authentication, Verdict::AuthenticationFailed, what);
        if let Some(exp) = expired_at {
            finding = finding.detail(format!(
                "the token expired {} s ago (exp {exp}); check this machine's clock if the token is new",
                now - exp
            ));
        }
        if let Some(e) = reply.challenge_error() {
            finding = finding.detail(format!("challenge error: {}", one_line(e)));
        }
        if !expired && self.claims.is_some() {
            finding = finding.detail(
                "the token is not expired by this machine's clock: the registry may not trust the token service's signing key, or the clocks differ",
            );
        }
        let fix = self.fix(if expired { Problem::ExpiredCredential } else { Problem::BadCredential });
        self.set(
            finding
                .detail(format!("registry said: {} {}", reply.status, one_line(&reply.message())))
                .evidence(Some(reply.index))
                .fix(fix),
        );
    }

    pub(super) fn pull_denied(&mut self, reply: &Reply) {
        if self.credential.is_none() {
            self.needs_credential = true;
        }
        let problem = if self.credential.is_none() { Problem::NoCredential } else { Problem::PullDenied };
        let fix = self.fix(problem);
        let who = if self.credential.is_none() { "anonymous" } else { "this credential" };
        let mut finding = Finding::new(
            Step::Pull,
            Verdict::AuthorizationDenied,
            format!("{who} may not pull {} (action pull)", self.repository()),
        )
        .detail(format!("registry said: {} {}", reply.status, one_line(&reply.message())))
        .detail("registries answer the same for a repository that does not exist or is hidden: check the name too")
        .evidence(Some(reply.index))
        .fix(fix);
        if let Some(e) = reply.challenge_error() {
            finding = finding.detail(format!("challenge error: {}", one_line(e)));
        }
        if let Some(c) = &self.claims {
            finding = finding.detail(format!(
                "the token grants {:?} on {}",
                c.actions_on(self.repository()),
                self.repository()
            ));
        }
        self.set(finding);
    }

    /// A 404: read the body and the tag list at once to tell a missing tag from a missing repository.
    pub(super) async fn not_found(&mut self, head: Reply, session: Session) {
        let tags_url = format!("{}/v2/{}/tags/list?n=5", self.base(), self.repository());
        let (body, tags) = tokio::join!(
            self.get_body(&session, head),
            self.transport.send(Request::new(Method::GET, tags_url, self.auth_of(&session)))
        );
        let reference = self.input.reference.manifest_reference().to_owned();
        match tags {
            Ok(tags) if tags.status == 200 => {
                let listed = tag_list(&tags.body);
                let finding = if self.input.push {
                    Finding::new(
                        Step::Pull,
                        Verdict::Ok,
                        format!(
                            "may pull from {}; {reference} does not exist yet (a push creates it)",
                            self.repository()
                        ),
                    )
                } else {
                    Finding::new(
                        Step::Pull,
                        Verdict::NotFound,
                        format!("the repository {} exists but has no {reference}", self.repository()),
                    )
                    .fix(format!("Check the tag or digest; existing tags include: {listed}"))
                };
                self.set(
                    finding
                        .detail(format!("registry said: 404 {}", one_line(&body.message())))
                        .evidence(Some(body.index))
                        .evidence(Some(tags.index)),
                );
                if self.input.push {
                    self.push(session).await;
                }
            }
            Ok(tags) if tags.status != 404 => self.set(
                Finding::new(
                    Step::Pull,
                    Verdict::NotFound,
                    format!("{} has no manifest {reference}", self.repository()),
                )
                .detail(format!("registry said: 404 {}", one_line(&body.message())))
                .detail(format!(
                    "the tag list could not be read ({} {}), so a missing tag and a missing repository look the same",
                    tags.status,
                    one_line(&tags.message())
                ))
                .evidence(Some(body.index))
                .evidence(Some(tags.index))
                .fix(format!("Check the repository name and the tag or digest of {}.", self.input.reference)),
            ),
            Ok(tags) => {
                let mut finding = Finding::new(
                    Step::Pull,
                    Verdict::NotFound,
                    format!(
                        "the repository {} does not exist (or is hidden from this credential)",
                        self.repository()
                    ),
                )
                .detail(format!("registry said: {} {}", tags.status, one_line(&tags.message())))
                .evidence(Some(body.index))
                .evidence(Some(tags.index))
                .fix(format!(
                    "Check the repository name ({}): {} answered that it does not know it.",
                    self.input.reference.name(),
                    self.registry.host
                ));
                if self.input.push {
                    finding = finding.detail("push was not probed: asking for a push token can create the repository on some registries (Quay, GitLab)");
                }
                self.set(finding);
            }
            Err(f) => self.unreachable(f),
        }
    }
}

pub(super) fn limits(reply: &Reply) -> String {
    let parts: Vec<String> =
        ["ratelimit-limit", "ratelimit-remaining", "docker-ratelimit-source", "retry-after"]
            .iter()
            .filter_map(|h| reply.header(h).map(|v| format!("{h}: {}", one_line(v))))
            .collect();
    if parts.is_empty() {
        "no rate-limit headers".into()
    } else {
        parts.join(", ")
    }
}

fn tag_list(body: &[u8]) -> String {
    let tags: Vec<String> = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("tags")?.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|t| t.as_str().map(one_line))
        .collect();
    if tags.is_empty() {
        "none".into()
    } else {
        tags.join(", ")
    }
}
