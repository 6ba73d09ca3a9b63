//! What a refused token request means, for the pull and the push scope alike: rate limited, a wrong
//! realm, a failing service, a login needed, a scope refused to a known credential, or a bad credential.

use super::classify::{self, Class};
use super::context::{Context, Said};
use super::registries::Problem;
use super::report::{Finding, Step, Verdict};
use crate::http::transport::Reply;
use regauth_core::sanitize::one_line;

/// A token request for the pull or the push scope, refused.
#[derive(Debug, Clone)]
pub(super) struct Refusal {
    /// [`Step::Pull`] or [`Step::Push`]: the scope asked for.
    step: Step,
    said: Said,
    meaning: Meaning,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meaning {
    RateLimited,
    /// 404: the challenge's realm serves no tokens.
    RealmNotFound,
    ServiceFailed,
    /// No credential was sent: log in.
    Anonymous,
    /// The credential is known but may not have this scope.
    Scope {
        insufficient_scopes: bool,
    },
    /// A push token refused to a credential the service accepted for pull.
    PushAfterPull,
    BadCredential {
        expired: bool,
    },
}

impl Refusal {
    pub(super) fn new(ctx: &Context<'_>, reply: &Reply, step: Step) -> Refusal {
        let said = Said::of(reply);
        let meaning = match classify::token_refusal(ctx.kind, reply) {
            Class::RateLimited => Meaning::RateLimited,
            Class::NotFound => Meaning::RealmNotFound,
            Class::Server => Meaning::ServiceFailed,
            _ if ctx.anonymous() => Meaning::Anonymous,
            Class::Authorization => {
                Meaning::Scope { insufficient_scopes: classify::is_insufficient_scopes(&said.message) }
            }
            // After a pull token was issued, a refused push token is about the scope, not the credential.
            _ if step == Step::Push => Meaning::PushAfterPull,
            Class::Authentication { expired } => Meaning::BadCredential { expired },
        };
        Refusal { step, said, meaning }
    }

    pub(super) fn needs_login(&self) -> bool {
        self.meaning == Meaning::Anonymous
    }

    fn action(&self) -> &'static str {
        if self.step == Step::Push {
            "push"
        } else {
            "pull"
        }
    }

    /// Why a scope was refused to a known credential.
    fn scope_sentence(&self, ctx: &Context<'_>, insufficient_scopes: bool) -> String {
        let (action, repository) = (self.action(), ctx.repository());
        if insufficient_scopes {
            format!(
                "The password is fine: the token service knows this credential, but its token lacks the \
                {action} scope on {repository}."
            )
        } else {
            format!("The token service knows this credential but refuses {action} on {repository}.")
        }
    }

    /// What the refusal says about the credential: accepted (a pull scope refused), or rejected.
    pub(super) fn authentication_finding(&self, ctx: &Context<'_>) -> Option<Finding> {
        let index = Some(self.said.index);
        match self.meaning {
            Meaning::Scope { insufficient_scopes } if self.step == Step::Pull => Some(
                Finding::new(
                    Step::Authentication,
                    Verdict::Ok,
                    self.scope_sentence(ctx, insufficient_scopes),
                )
                .evidence(index),
            ),
            Meaning::BadCredential { expired } => {
                let what = match (ctx.identity_token(), expired) {
                    (true, _) => {
                        "the token service refused the identity (refresh) token: revoked, expired or \
                        not this account's"
                    }
                    (false, true) => "the token service rejected the credential as expired",
                    (false, false) => "the token service rejected the credential as wrong",
                };
                let problem = if expired { Problem::ExpiredCredential } else { Problem::BadCredential };
                Some(
                    Finding::new(Step::Authentication, Verdict::AuthenticationFailed, what)
                        .detail(self.said.token_service_said())
                        .evidence(index)
                        .fix(ctx.fix(problem)),
                )
            }
            _ => None,
        }
    }

    /// The finding of the step whose scope was asked for.
    pub(super) fn step_finding(&self, ctx: &Context<'_>) -> Option<Finding> {
        let (step, said, repository) = (self.step, &self.said, ctx.repository());
        let index = Some(said.index);
        let finding = match self.meaning {
            Meaning::RateLimited => {
                Finding::new(step, Verdict::RateLimited, "the token service is rate limiting")
                    .detail(said.limits.clone())
                    .evidence(index)
                    .fix(ctx.fix(Problem::RateLimited))
            }
            Meaning::RealmNotFound => Finding::new(
                step,
                Verdict::Network,
                format!(
                    "the token service answered 404 at {}: the challenge's realm is wrong",
                    ctx.realm.map(one_line).unwrap_or_default()
                ),
            )
            .evidence(index)
            .fix(
                "The registry's token realm does not serve tokens: ask its administrator to fix the \
                auth.token.realm setting.",
            ),
            Meaning::ServiceFailed => Finding::new(
                step,
                Verdict::Network,
                format!("the token service failed: {} {}", said.status, said.message),
            )
            .evidence(index),
            Meaning::Anonymous => Finding::new(
                step,
                Verdict::AuthorizationDenied,
                format!("anonymous {} on {repository} is not allowed", self.action()),
            )
            .detail(said.token_service_said())
            .evidence(index)
            .fix(ctx.fix(Problem::NoCredential)),
            Meaning::Scope { insufficient_scopes } => self.scope_finding(ctx, insufficient_scopes),
            Meaning::PushAfterPull => Finding::new(
                step,
                Verdict::AuthorizationDenied,
                format!(
                    "the token service refuses push on {repository} to a credential it accepted for pull"
                ),
            )
            .detail(said.token_service_said())
            .evidence(index)
            .fix(ctx.fix(Problem::PushDenied)),
            Meaning::BadCredential { .. } => return None,
        };
        Some(finding)
    }

    fn scope_finding(&self, ctx: &Context<'_>, insufficient_scopes: bool) -> Finding {
        let action = self.action();
        let denied = if self.step == Step::Push { Problem::PushDenied } else { Problem::PullDenied };
        let mut finding = Finding::new(
            self.step,
            Verdict::AuthorizationDenied,
            format!("{action} on {} is not allowed for this credential", ctx.repository()),
        )
        .detail(self.scope_sentence(ctx, insufficient_scopes))
        .detail(self.said.token_service_said());
        if self.step == Step::Push && insufficient_scopes {
            // The seed case: containerd sends the pull and the push scope in one token request.
            finding = finding.detail(
                "nerdctl, containerd and buildkit ask for pull and push in one token request, so with this \
                    token even their pull-time checks fail with 401",
            );
        }
        finding.evidence(Some(self.said.index)).fix(ctx.fix(denied))
    }
}

/// Told nothing: a refusal judged outside a diagnosis has no progress to show.
struct Silent;

impl super::context::Observer for Silent {
    fn step(&self, _: &str) {}
    fn warn(&self, _: &str) {}
}

/// What a token request refused outside a diagnosis (`regauth token`) means, judged exactly as diagnose
/// judges it: the authentication finding (when the refusal says something about the credential) and the
/// finding of the step whose scope was asked for (`push`: pull and push in one request, after a pull token
/// was granted). The first failing one carries the verdict and exit code.
#[allow(clippy::too_many_arguments)]
pub(crate) fn judge_token_refusal(
    transport: &crate::http::transport::Transport,
    reference: &regauth_core::reference::Reference,
    base: &str,
    realm: &str,
    service: Option<&str>,
    credential: Option<&crate::resolve::Credential>,
    reply: &Reply,
    push: bool,
) -> Vec<Finding> {
    let ctx = Context {
        transport,
        observer: &Silent,
        reference,
        push,
        host: &reference.registry,
        base,
        kind: super::registries::detect(&reference.registry, Some(realm)),
        realm: Some(realm),
        service,
        credential,
    };
    let refusal = Refusal::new(&ctx, reply, if push { Step::Push } else { Step::Pull });
    refusal.authentication_finding(&ctx).into_iter().chain(refusal.step_finding(&ctx)).collect()
}
