//! The push step, only after pull proved the repository exists: a push token (one scope value
//! `repository:N:pull,push`), an upload session opened and cancelled at once. Nothing is written; no
//! cross-repository mounts.

use super::classify::{self, Class};
use super::probe::{Probe, Session};
use super::pull::limits;
use super::registries::Problem;
use super::report::{Finding, Step, Verdict};
use crate::http::challenge::Scope;
use crate::http::fetch::{self, TokenOutcome};
use crate::http::transport::{Reply, Request};
use crate::resolve::CredentialKind;
use regauth_core::sanitize::one_line;
use regauth_core::secret::Secret;
use reqwest::Method;

impl Probe {
    pub(super) async fn push(&mut self, session: Session) {
        if !self.input.push {
            return;
        }
        let session = match session {
            Session::Bearer(_)
                if self.credential.as_ref().is_some_and(|c| c.kind == CredentialKind::RegistryToken) =>
            {
                session
            }
            Session::Bearer(_) => match self.push_token().await {
                Some(token) => Session::Bearer(token),
                None => return,
            },
            other => other,
        };
        self.input.observer.step("opening an upload session (cancelled at once)");
        let url = format!("{}/v2/{}/blobs/uploads/", self.base(), self.repository());
        let reply = match self.transport.send(Request::new(Method::POST, url, self.auth_of(&session))).await {
            Ok(reply) => reply,
            Err(f) => return self.unreachable(f),
        };
        if reply.status == 202 {
            let cancelled = self.cancel_upload(&reply, &session).await;
            self.set(
                Finding::new(
                    Step::Push,
                    Verdict::Ok,
                    format!("may push to {}: an upload session opened", self.repository()),
                )
                .detail(cancelled)
                .evidence(Some(reply.index)),
            );
            return;
        }
        self.upload_refused(&reply, matches!(session, Session::Basic));
    }

    /// The push token (one scope value `pull,push`), asked only after pull proved the repository exists.
    pub(super) async fn push_token(&mut self) -> Option<Secret> {
        self.input.observer.step("asking the token service for a push token");
        let realm = self.registry.realm.clone()?;
        let mut line = format!("Bearer realm=\"{}\"", realm.replace('"', "\\\""));
        if let Some(s) = &self.registry.service {
            line.push_str(&format!(",service=\"{}\"", s.replace('"', "\\\"")));
        }
        let challenge = crate::http::challenge::parse(&line).pop()?;
        let credential = self.credential.clone();
        let scope = Scope::repository(self.repository(), &["pull", "push"]);
        match fetch::fetch(&self.transport, &challenge, &[scope], self.login(&credential)).await {
            TokenOutcome::Granted { token, claims, .. } => {
                // A spec token service grants the intersection, maybe without push: the upload proves it.
                self.claims = claims;
                Some(token.token)
            }
            TokenOutcome::Refused(reply) => {
                self.token_refused(&reply, Step::Push);
                None
            }
            TokenOutcome::Failed(f) => {
                self.set(
                    Finding::new(
                        Step::Push,
                        Verdict::Network,
                        format!("the token service could not be used: {}", f.cause),
                    )
                    .evidence(f.index),
                );
                None
            }
        }
    }

    pub(super) async fn cancel_upload(&self, reply: &Reply, session: &Session) -> String {
        let Some(location) = reply.header("location") else {
            return "the registry gave no upload location to cancel".into();
        };
        let url = if location.starts_with('/') {
            format!("{}{location}", self.base())
        } else {
            location.to_owned()
        };
        match self.transport.send(Request::new(Method::DELETE, url, self.auth_of(session))).await {
            Ok(r) if r.status < 300 => "the upload session was cancelled (nothing was written)".into(),
            // distribution wants the delete scope to cancel, which a push token rightly lacks.
            Ok(r) => format!(
                "cancelling the upload session answered {} (nothing was written; the empty session expires on its own)",
                r.status
            ),
            Err(_) => {
                "cancelling the upload session failed (nothing was written; the registry expires it)".into()
            }
        }
    }

    pub(super) fn upload_refused(&mut self, reply: &Reply, basic: bool) {
        let message = one_line(&reply.message());
        let index = Some(reply.index);
        let finding = match classify::registry_refusal(basic, reply) {
            Class::Authentication { expired } => {
                let fix = self.fix(if expired { Problem::ExpiredCredential } else { Problem::BadCredential });
                Finding::new(
                    Step::Push,
                    Verdict::AuthenticationFailed,
                    "the registry rejected the push token",
                )
                .fix(fix)
            }
            Class::Authorization if reply.status == 405 => Finding::new(
                Step::Push,
                Verdict::AuthorizationDenied,
                "the registry is read-only (maintenance mode): it allows no uploads",
            )
            .fix("Wait until the registry leaves read-only mode, or ask its administrator."),
            Class::Authorization => {
                let fix = self.fix(if self.credential.is_none() {
                    Problem::NoCredential
                } else {
                    Problem::PushDenied
                });
                let mut f = Finding::new(
                    Step::Push,
                    Verdict::AuthorizationDenied,
                    format!("this credential may not push to {} (action push)", self.repository()),
                )
                .fix(fix);
                if let Some(c) = &self.claims {
                    f = f.detail(format!(
                        "asked for [\"pull\", \"push\"]; the token grants {:?}",
                        c.actions_on(self.repository())
                    ));
                }
                f
            }
            Class::NotFound => {
                let fix = self.fix(Problem::CreateRepositoryFirst);
                Finding::new(
                    Step::Push,
                    Verdict::NotFound,
                    format!(
                        "the registry does not accept uploads to {}: the repository must be created first",
                        self.repository()
                    ),
                )
                .fix(fix)
            }
            Class::RateLimited => {
                let fix = self.fix(Problem::RateLimited);
                Finding::new(Step::Push, Verdict::RateLimited, "the registry is rate limiting")
                    .detail(limits(reply))
                    .fix(fix)
            }
            Class::Server => {
                Finding::new(Step::Push, Verdict::Network, format!("the registry answered {}", reply.status))
            }
        };
        let mut finding =
            finding.detail(format!("registry said: {} {message}", reply.status)).evidence(index);
        if let Some(e) = reply.challenge_error() {
            finding = finding.detail(format!("challenge error: {}", one_line(e)));
        }
        self.set(finding);
    }
}
