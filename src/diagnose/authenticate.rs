//! The authentication step: Basic straight to the registry, or a pull token from the challenge's realm
//! (GET with Basic, POST refresh_token for identity tokens), and what a refused token request means.

use super::classify::{self, Class};
use super::hosts::{api_host, is_loopback, same_site};
use super::probe::{now_unix, Probe, Session};
use super::pull::limits;
use super::registries::{self, Problem};
use super::report::{Finding, Step, Verdict};
use crate::http::challenge::{Challenge, Scope};
use crate::http::fetch::{self, Login, TokenOutcome};
use crate::http::jwt::Claims;
use crate::http::transport::{Auth, Reply};
use crate::resolve::{Credential, CredentialKind};
use regauth_core::sanitize::one_line;

impl Probe {
    pub(super) fn warn_before_sending(&mut self, target: &str) {
        if self.credential.is_none() {
            return;
        }
        let Ok(url) = reqwest::Url::parse(target) else { return };
        let host = url.host_str().unwrap_or_default().to_owned();
        let registry_host = api_host(&self.registry.host);
        let registry_host = registry_host
            .rsplit_once(':')
            .map_or(registry_host.as_str(), |(h, _)| h)
            .trim_matches(['[', ']']);
        if url.scheme() == "http" && !is_loopback(&host) {
            self.warn(format!("the credential will be sent over plain http to {}", one_line(url.as_str())));
        }
        if !same_site(&host, registry_host) {
            self.warn(format!(
                "the credential for {} will be sent to the token service on another host: {}",
                self.registry.host,
                one_line(&host)
            ));
        }
    }

    /// `challenged` is the exchange whose 401 asked for Basic.
    pub(super) async fn basic(&mut self, challenged: usize) {
        let Some(credential) = self.credential.clone() else {
            self.needs_credential = true;
            let fix = self.fix(Problem::NoCredential);
            self.set(Finding::new(Step::Authentication, Verdict::Skipped, "no credential to send"));
            let summary = format!(
                "anonymous pull of {} is not allowed: the registry wants Basic authentication",
                self.repository()
            );
            self.set(
                Finding::new(Step::Pull, Verdict::AuthorizationDenied, summary)
                    .evidence(Some(challenged))
                    .fix(fix),
            );
            return;
        };
        let base = self.base().to_owned();
        self.warn_before_sending(&base);
        self.input.observer.step("checking the credential (Basic)");
        let reply = self.head_manifest(&base, Auth::Basic(&credential.username, &credential.secret)).await;
        match reply {
            Ok(reply) => {
                if reply.status != 401 {
                    self.set(
                        Finding::new(
                            Step::Authentication,
                            Verdict::Ok,
                            "the registry accepted the credential (Basic)",
                        )
                        .evidence(Some(reply.index)),
                    );
                }
                self.judge_manifest(reply, Session::Basic).await;
            }
            Err(f) => self.unreachable(f),
        }
    }

    pub(super) fn login<'a>(&self, credential: &'a Option<Credential>) -> Login<'a> {
        match credential {
            None => Login::Anonymous,
            Some(c) if c.kind == CredentialKind::IdentityToken => {
                Login::Refresh { username: &c.username, token: &c.secret }
            }
            Some(c) => Login::Password { username: &c.username, password: &c.secret },
        }
    }

    pub(super) async fn bearer(&mut self, challenge: Challenge) {
        let realm = challenge.param("realm").map(str::to_owned);
        self.registry.realm = realm.clone();
        self.registry.service = challenge.param("service").map(str::to_owned);
        if self.input.registry_type.is_none() {
            self.registry.kind = registries::detect(&self.registry.host, realm.as_deref());
        }
        let credential = self.credential.clone();
        if let Some(c) = credential.as_ref().filter(|c| c.kind == CredentialKind::RegistryToken) {
            self.set(Finding::new(
                Step::Authentication,
                Verdict::Ok,
                "a registry token is sent as is; the registry's answer judges it",
            ));
            let token = c.secret.clone();
            return self.pull_with(token).await;
        }
        if let Some(realm) = &realm {
            self.warn_before_sending(realm);
        }
        self.input.observer.step("asking the token service for a pull token");
        let scope = Scope::repository(self.repository(), &["pull"]);
        let outcome = fetch::fetch(&self.transport, &challenge, &[scope], self.login(&credential)).await;
        match outcome {
            TokenOutcome::Granted { token, claims, index } => {
                let mut finding = if credential.is_some() {
                    Finding::new(
                        Step::Authentication,
                        Verdict::Ok,
                        "the token service accepted the credential and issued a pull token",
                    )
                } else {
                    Finding::new(
                        Step::Authentication,
                        Verdict::Skipped,
                        "no credential: the token service issued an anonymous token",
                    )
                };
                finding =
                    finding.evidence(Some(index)).detail(token_text(claims.as_ref(), self.repository()));
                if token.refresh_token.is_some() {
                    finding = finding.detail("the token service also issued a refresh token (not shown)");
                }
                self.set(finding);
                self.claims = claims;
                self.pull_with(token.token).await;
            }
            TokenOutcome::Refused(reply) => self.token_refused(&reply, Step::Pull),
            TokenOutcome::Failed(f) => self.set(
                Finding::new(
                    Step::Authentication,
                    Verdict::Network,
                    format!("the token service could not be used: {}", f.cause),
                )
                .evidence(f.index)
                .fix("Check that the realm in the challenge is reachable from here (proxy, DNS, TLS)."),
            ),
        }
    }

    /// A token request for `step`'s scope was refused.
    pub(super) fn token_refused(&mut self, reply: &Reply, step: Step) {
        let message = one_line(&reply.message());
        let class = classify::token_refusal(self.registry.kind, reply);
        let action = if step == Step::Push { "push" } else { "pull" };
        let denied = if step == Step::Push { Problem::PushDenied } else { Problem::PullDenied };
        let index = Some(reply.index);
        let anonymous = self.credential.is_none();
        match class {
            Class::RateLimited => {
                let fix = self.fix(Problem::RateLimited);
                self.set(
                    Finding::new(step, Verdict::RateLimited, "the token service is rate limiting")
                        .detail(limits(reply))
                        .evidence(index)
                        .fix(fix),
                );
            }
            Class::NotFound => self.set(
                Finding::new(
                    step,
                    Verdict::Network,
                    format!("the token service answered 404 at {}: the challenge's realm is wrong", self.registry.realm.as_deref().map(one_line).unwrap_or_default()),
                )
                .evidence(index)
                .fix("The registry's token realm does not serve tokens: ask its administrator to fix the auth.token.realm setting."),
            ),
            Class::Server => self.set(
                Finding::new(
                    step,
                    Verdict::Network,
                    format!("the token service failed: {} {message}", reply.status),
                )
                .evidence(index),
            ),
            _ if anonymous => {
                self.needs_credential = true;
                let fix = self.fix(Problem::NoCredential);
                self.set(
                    Finding::new(
                        step,
                        Verdict::AuthorizationDenied,
                        format!("anonymous {action} on {} is not allowed", self.repository()),
                    )
                    .detail(format!("token service said: {} {message}", reply.status))
                    .evidence(index)
                    .fix(fix),
                );
            }
            Class::Authorization => {
                let sentence = if classify::is_insufficient_scopes(&message) {
                    format!("The password is fine: the token service knows this credential, but its token lacks the {action} scope on {}.", self.repository())
                } else {
                    format!(
                        "The token service knows this credential but refuses {action} on {}.",
                        self.repository()
                    )
                };
                if !self.has(Step::Authentication) || step == Step::Pull {
                    self.set(
                        Finding::new(Step::Authentication, Verdict::Ok, sentence.clone()).evidence(index),
                    );
                }
                let fix = self.fix(denied);
                let mut finding = Finding::new(
                    step,
                    Verdict::AuthorizationDenied,
                    format!("{action} on {} is not allowed for this credential", self.repository()),
                )
                .detail(sentence)
                .detail(format!("token service said: {} {message}", reply.status));
                if step == Step::Push && classify::is_insufficient_scopes(&message) {
                    // The seed case: containerd sends the pull and the push scope in one token request.
                    finding = finding.detail(
                        "nerdctl, containerd and buildkit ask for pull and push in one token request, so with this token even their pull-time checks fail with 401",
                    );
                }
                self.set(finding.evidence(index).fix(fix));
            }
            // After a pull token was issued, a refused push token is about the scope, not the credential.
            _ if step == Step::Push => {
                let fix = self.fix(Problem::PushDenied);
                self.set(
                    Finding::new(
                        step,
                        Verdict::AuthorizationDenied,
                        format!(
                            "the token service refuses push on {} to a credential it accepted for pull",
                            self.repository()
                        ),
                    )
                    .detail(format!("token service said: {} {message}", reply.status))
                    .evidence(index)
                    .fix(fix),
                );
            }
            Class::Authentication { expired } => {
                let fix = self.fix(if expired { Problem::ExpiredCredential } else { Problem::BadCredential });
                let what = if expired { "the credential has expired" } else { "the credential is wrong" };
                self.set(
                    Finding::new(
                        Step::Authentication,
                        Verdict::AuthenticationFailed,
                        format!("the token service rejected the credential: {what}"),
                    )
                    .detail(format!("token service said: {} {message}", reply.status))
                    .evidence(index)
                    .fix(fix),
                );
            }
        }
    }
}

fn token_text(claims: Option<&Claims>, repository: &str) -> String {
    match claims {
        Some(c) => format!(
            "JWT for {:?}: grants {:?} on {repository}{}",
            c.subject.clone().unwrap_or_default(),
            c.actions_on(repository),
            c.expires_at.map(|e| format!(", expires in {} s", e - now_unix())).unwrap_or_default()
        ),
        None => "opaque token: judged by the registry's answer".into(),
    }
}
