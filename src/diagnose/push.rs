//! The push step: a push token (one scope value `repository:N:pull,push`), an upload session opened and
//! cancelled at once. Nothing is written; no cross-repository mounts. It runs after pull proved the
//! repository exists, and for a repository that does not exist yet (a push creates it), except on
//! registries that create a repository when merely asked for a push token on it (Quay, GitLab).

use super::classify::{self, Class};
use super::context::{Context, Said, Session};
use super::refusal::Refusal;
use super::registries::{Problem, RegistryType};
use super::report::{Finding, Step, Verdict};
use crate::http::challenge::Scope;
use crate::http::fetch::{self, TokenOutcome, TokenService};
use crate::http::transport::{same_origin, Failure, Reply, Request};
use crate::resolve::CredentialKind;
use regauth_core::secret::Secret;
use reqwest::Method;

pub(super) enum Push {
    /// Without `--push`.
    NotAsked,
    /// No token service to ask for a push token (the challenge had no realm).
    NoTokenService,
    TokenRefused(Refusal),
    TokenFailed(Failure),
    /// Not probed: asking this registry for a push token on a repository that does not exist creates it.
    WouldWrite(RegistryType),
    /// The upload session opened; `cancelled` says how cancelling it went; `new_repository`: the
    /// repository does not exist yet.
    Allowed {
        index: usize,
        cancelled: String,
        new_repository: bool,
    },
    /// The upload was refused; `granted` is what the push token allows on the repository.
    Refused {
        said: Said,
        class: Class,
        granted: Option<Vec<String>>,
    },
    Unreachable(Failure),
}

/// The push step with the session pull used; `new_repository`: pull found no repository (yet).
pub(super) async fn step(ctx: &Context<'_>, session: Session, new_repository: bool) -> Push {
    if !ctx.push {
        return Push::NotAsked;
    }
    if new_repository && creates_on_push_token(ctx.kind) {
        return Push::WouldWrite(ctx.kind);
    }
    let registry_token = ctx.credential.is_some_and(|c| c.kind == CredentialKind::RegistryToken);
    let (session, granted) = match session {
        Session::Bearer(_) if registry_token => (session, None),
        Session::Bearer(_) => match push_token(ctx).await {
            Ok((token, granted)) => (Session::Bearer(token), granted),
            Err(outcome) => return outcome,
        },
        other => (other, None),
    };
    ctx.observer.step("opening an upload session (cancelled at once)");
    let url = format!("{}/v2/{}/blobs/uploads/", ctx.base, ctx.repository());
    let reply = match ctx.transport.send(Request::new(Method::POST, url, ctx.auth(&session))).await {
        Ok(reply) => reply,
        Err(f) => return Push::Unreachable(f),
    };
    if reply.status == 202 {
        let cancelled = cancel_upload(ctx, &reply, &session).await;
        return Push::Allowed { index: reply.index, cancelled, new_repository };
    }
    let class = classify::registry_refusal(matches!(session, Session::Basic), &reply);
    Push::Refused { said: Said::of(&reply), class, granted }
}

/// The push token (one scope value `pull,push`) and the actions its claims grant, if it is a JWT. A spec
/// token service grants the intersection, maybe without push: the upload proves it.
async fn push_token(ctx: &Context<'_>) -> Result<(Secret, Option<Vec<String>>), Push> {
    ctx.observer.step("asking the token service for a push token");
    let realm = ctx.realm.ok_or(Push::NoTokenService)?;
    let scope = Scope::repository(ctx.repository(), &["pull", "push"]);
    let service = TokenService { realm, service: ctx.service };
    match fetch::fetch(ctx.transport, service, &[scope], ctx.login()).await {
        TokenOutcome::Granted { token, claims, .. } => {
            Ok((token.token, claims.map(|c| c.actions_on(ctx.repository()))))
        }
        TokenOutcome::Refused(reply) => Err(Push::TokenRefused(Refusal::new(ctx, &reply, Step::Push))),
        TokenOutcome::Failed(f) => Err(Push::TokenFailed(f)),
    }
}

async fn cancel_upload(ctx: &Context<'_>, reply: &Reply, session: &Session) -> String {
    let Some(location) = reply.header("location") else {
        return "the registry gave no upload location to cancel".into();
    };
    // A relative location is on the registry; an absolute one must be on the registry's own origin: the
    // DELETE carries the credential, and a hostile Location must not pick where it goes.
    let url = match reqwest::Url::parse(ctx.base).and_then(|base| base.join(location)) {
        Ok(url) if same_origin(url.as_str(), ctx.base) => url.to_string(),
        _ => {
            return format!(
                "the upload location is not on {} ({}): not cancelled there (nothing was written; the \
                 registry expires the empty session)",
                ctx.base,
                ctx.transport.clean(location, 200)
            )
        }
    };
    match ctx.transport.send(Request::new(Method::DELETE, url, ctx.auth(session))).await {
        Ok(r) if r.status < 300 => "the upload session was cancelled (nothing was written)".into(),
        // distribution wants the delete scope to cancel, which a push token rightly lacks.
        Ok(r) => format!(
            "cancelling the upload session answered {} (nothing was written; the empty session expires on \
                its own)",
            r.status
        ),
        Err(_) => {
            "cancelling the upload session failed (nothing was written; the registry expires it)".into()
        }
    }
}

/// Registries that create a repository when asked for a push token on one that does not exist
/// (shared/reference/registry-auth.md): there, push cannot be probed for a new repository without writing.
fn creates_on_push_token(kind: RegistryType) -> bool {
    matches!(kind, RegistryType::Quay | RegistryType::Gitlab)
}

impl Push {
    /// Whether the step asked the registry anything.
    pub(super) fn probed(&self) -> bool {
        !matches!(self, Push::NotAsked | Push::WouldWrite(_))
    }

    pub(super) fn allowed(&self) -> bool {
        matches!(self, Push::Allowed { .. })
    }

    /// Why push was not probed, when the registry cannot be asked without writing.
    pub(super) fn not_probed_because(&self) -> Option<String> {
        match self {
            Push::WouldWrite(kind) => Some(format!(
                "push was not probed: {} creates a repository as soon as it is asked for a push token on one \
                 that does not exist, and diagnose writes nothing",
                kind.label()
            )),
            _ => None,
        }
    }

    pub(super) fn needs_login(&self) -> bool {
        matches!(self, Push::TokenRefused(refusal) if refusal.needs_login())
    }

    pub(super) fn finding(&self, ctx: &Context<'_>) -> Option<Finding> {
        Some(match self {
            Push::NotAsked | Push::NoTokenService | Push::Unreachable(_) => return None,
            Push::TokenRefused(refusal) => return refusal.step_finding(ctx),
            Push::TokenFailed(f) => Finding::new(
                Step::Push,
                Verdict::Network,
                format!("the token service could not be used: {}", f.cause),
            )
            .evidence(f.index),
            Push::WouldWrite(_) => Finding::new(
                Step::Push,
                Verdict::Skipped,
                format!(
                    "cannot be probed without writing: {} does not exist, and {} would create it",
                    ctx.repository(),
                    ctx.kind.label()
                ),
            )
            .fix(format!(
                "Push once to create {} (or create it in {}'s web interface), then diagnose --push again; \
                 a refused push names the missing right.",
                ctx.repository(),
                ctx.kind.label()
            )),
            Push::Allowed { index, cancelled, new_repository } => {
                let summary = if *new_repository {
                    format!(
                        "may push to {}: an upload session opened; the repository does not exist yet and \
                         this credential may create it by pushing",
                        ctx.repository()
                    )
                } else {
                    format!("may push to {}: an upload session opened", ctx.repository())
                };
                Finding::new(Step::Push, Verdict::Ok, summary)
                    .detail(cancelled.clone())
                    .evidence(Some(*index))
            }
            Push::Refused { said, class, granted } => upload_refused(ctx, said, *class, granted.as_deref()),
        })
    }
}

fn upload_refused(ctx: &Context<'_>, said: &Said, class: Class, granted: Option<&[String]>) -> Finding {
    let finding = match class {
        Class::Authentication { expired } => {
            let problem = if expired { Problem::ExpiredCredential } else { Problem::BadCredential };
            Finding::new(Step::Push, Verdict::AuthenticationFailed, "the registry rejected the push token")
                .fix(ctx.fix(problem))
        }
        Class::Authorization if said.status == 405 => Finding::new(
            Step::Push,
            Verdict::AuthorizationDenied,
            "the registry is read-only (maintenance mode): it allows no uploads",
        )
        .fix("Wait until the registry leaves read-only mode, or ask its administrator."),
        Class::Authorization => {
            let problem = if ctx.anonymous() { Problem::NoCredential } else { Problem::PushDenied };
            let f = Finding::new(
                Step::Push,
                Verdict::AuthorizationDenied,
                format!("this credential may not push to {} (action push)", ctx.repository()),
            )
            .fix(ctx.fix(problem));
            match granted {
                Some(granted) => {
                    f.detail(format!("asked for [\"pull\", \"push\"]; the token grants {granted:?}"))
                }
                None => f,
            }
        }
        Class::NotFound => Finding::new(
            Step::Push,
            Verdict::NotFound,
            format!(
                "the registry does not accept uploads to {}: the repository must be created first",
                ctx.repository()
            ),
        )
        .fix(ctx.fix(Problem::CreateRepositoryFirst)),
        Class::RateLimited => Finding::new(Step::Push, Verdict::RateLimited, "the registry is rate limiting")
            .detail(said.limits.clone())
            .fix(ctx.fix(Problem::RateLimited)),
        Class::Server => {
            Finding::new(Step::Push, Verdict::Network, format!("the registry answered {}", said.status))
        }
    };
    let finding = finding.detail(said.registry_said()).evidence(Some(said.index));
    match said.challenge_detail() {
        Some(detail) => finding.detail(detail),
        None => finding,
    }
}
