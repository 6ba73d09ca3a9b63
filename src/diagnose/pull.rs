//! The pull step: HEAD the manifest with the session; on refusal read the body with GET; on 404 read the
//! tag list at the same time to tell a missing tag from a missing repository.

use super::classify::{self, Class};
use super::context::{now_unix, Context, Said, Session};
use super::push::Push;
use super::refusal::Refusal;
use super::registries::Problem;
use super::report::{Finding, Step, Verdict};
use crate::http::body;
use crate::http::transport::{Failure, Reply, Request};
use regauth_core::jwt::Claims;
use regauth_core::sanitize::one_line;
use reqwest::Method;

pub(super) enum Pull {
    /// 200: the manifest exists (`redirects`: the exchanges of the redirects that led to it).
    Exists {
        digest: String,
        content_type: String,
        index: usize,
        redirects: Vec<usize>,
    },
    /// 404, and the tag list answered: the repository exists without this tag.
    TagMissing {
        listed: String,
        body: Said,
        tags_index: usize,
    },
    /// 404, and the tag list could not be read either.
    ManifestMissing {
        body: Said,
        tags: Said,
    },
    /// 404, and the tag list is 404 too.
    RepositoryMissing {
        body_index: usize,
        tags: Said,
    },
    /// The credential (or anonymous) may not pull; `granted` is what the token allows on the repository.
    Denied {
        said: Said,
        granted: Option<Vec<String>>,
    },
    RateLimited(Said),
    /// An answer regauth cannot place (a 5xx, a 404 after all).
    Unexpected(Said),
    /// The registry rejected the credential or token itself: an authentication failure.
    Rejected(Rejection),
    /// Basic wanted, no credential: the 401 of `index`.
    LoginRequired {
        index: usize,
    },
    /// The pull token was refused.
    TokenRefused(Refusal),
    Unreachable(Failure),
}

/// A registry's rejection of the credential or token, with what the token said about its expiry.
pub(super) struct Rejection {
    said: Said,
    /// The registry said "expired".
    expired_said: bool,
    /// Seconds since the token expired, and its `exp`, when it has.
    expired: Option<(i64, i64)>,
    /// The token was a JWT (its expiry could be read).
    decoded: bool,
}

/// The pull step: judge `answer` when authentication already made the request, else HEAD the manifest.
pub(super) async fn step(
    ctx: &Context<'_>,
    session: &Session,
    claims: Option<&Claims>,
    answer: Option<Reply>,
) -> Pull {
    let reply = match answer {
        Some(reply) => reply,
        None => {
            ctx.observer.step("checking pull");
            match ctx.manifest(Method::HEAD, ctx.auth(session)).await {
                Ok(reply) => reply,
                Err(f) => return Pull::Unreachable(f),
            }
        }
    };
    if reply.status == 200 {
        let header = |name| reply.header(name).map(one_line);
        return Pull::Exists {
            digest: header("docker-content-digest").unwrap_or_else(|| "no digest header".into()),
            content_type: header("content-type").unwrap_or_default(),
            index: reply.index,
            redirects: reply.redirects.clone(),
        };
    }
    if reply.status == 404 {
        return not_found(ctx, session, reply).await;
    }
    // HEAD has no body: read it with GET, for the evidence.
    let reply = get_body(ctx, session, reply).await;
    let said = Said::of(&reply);
    match classify::registry_refusal(matches!(session, Session::Basic), &reply) {
        Class::Authentication { expired } => Pull::Rejected(Rejection::new(said, expired, claims)),
        Class::Authorization => {
            Pull::Denied { said, granted: claims.map(|c| c.actions_on(ctx.repository())) }
        }
        Class::RateLimited => Pull::RateLimited(said),
        Class::NotFound | Class::Server => Pull::Unexpected(said),
    }
}

/// The manifest again with GET, for the body a HEAD lacks; the HEAD's answer when GET answers otherwise.
async fn get_body(ctx: &Context<'_>, session: &Session, head: Reply) -> Reply {
    match ctx.manifest(Method::GET, ctx.auth(session)).await {
        Ok(reply) if reply.status == head.status => reply,
        _ => head,
    }
}

/// A 404: read the body and the tag list at once to tell a missing tag from a missing repository.
async fn not_found(ctx: &Context<'_>, session: &Session, head: Reply) -> Pull {
    let tags_url = format!("{}/v2/{}/tags/list?n=5", ctx.base, ctx.repository());
    let (body, tags) = tokio::join!(
        get_body(ctx, session, head),
        ctx.transport.send(Request::new(Method::GET, tags_url, ctx.auth(session)))
    );
    match tags {
        Ok(tags) if tags.status == 200 => {
            Pull::TagMissing { listed: tag_list(&tags.body), body: Said::of(&body), tags_index: tags.index }
        }
        Ok(tags) if tags.status != 404 => {
            Pull::ManifestMissing { body: Said::of(&body), tags: Said::of(&tags) }
        }
        Ok(tags) => Pull::RepositoryMissing { body_index: body.index, tags: Said::of(&tags) },
        Err(f) => Pull::Unreachable(f),
    }
}

fn tag_list(body: &[u8]) -> String {
    let tags: Vec<String> = body::tags(body).iter().map(|t| one_line(t)).collect();
    if tags.is_empty() {
        "none".into()
    } else {
        tags.join(", ")
    }
}

impl Rejection {
    fn new(said: Said, expired_said: bool, claims: Option<&Claims>) -> Rejection {
        let now = now_unix();
        let expired = claims.and_then(|c| c.expires_at).filter(|exp| *exp <= now).map(|exp| (now - exp, exp));
        Rejection { said, expired_said, expired, decoded: claims.is_some() }
    }

    fn finding(&self, ctx: &Context<'_>) -> Finding {
        let expired = self.expired_said || self.expired.is_some();
        let what =
            if expired { "the token has expired" } else { "the registry rejected the credential or token" };
        let mut finding = Finding::new(Step::Authentication, Verdict::AuthenticationFailed, what);
        if let Some((ago, exp)) = self.expired {
            finding = finding.detail(format!(
                "the token expired {}; check this machine's clock if the token is new",
                crate::when::at(exp, exp + ago)
            ));
        }
        if let Some(detail) = self.said.challenge_detail() {
            finding = finding.detail(detail);
        }
        if !expired && self.decoded {
            finding = finding.detail(
                "the token is not expired by this machine's clock: the registry may not trust the token \
                    service's signing key, or the clocks differ",
            );
        }
        let problem = if expired { Problem::ExpiredCredential } else { Problem::BadCredential };
        finding.detail(self.said.registry_said()).evidence(Some(self.said.index)).fix(ctx.fix(problem))
    }
}

/// What the push step does after a pull outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PushAfter {
    /// Pull proved the repository exists: probe push.
    Existing,
    /// The repository was not found (or could not be read, which is how Docker Hub answers for one that
    /// does not exist yet): a push would create it, so probe whether this credential may.
    NewRepository,
    /// Nothing to probe: pull failed in a way push cannot get past.
    No,
}

impl Pull {
    /// Whether, and how, the push step follows.
    pub(super) fn push_after(&self, ctx: &Context<'_>) -> PushAfter {
        match self {
            Pull::Exists { .. } | Pull::TagMissing { .. } => PushAfter::Existing,
            Pull::RepositoryMissing { .. } | Pull::ManifestMissing { .. } => PushAfter::NewRepository,
            Pull::Denied { .. } if !ctx.anonymous() => PushAfter::NewRepository,
            _ => PushAfter::No,
        }
    }

    /// A registry that refused anonymous access: the credential step names the missing login.
    pub(super) fn needs_login(&self, ctx: &Context<'_>) -> bool {
        match self {
            Pull::LoginRequired { .. } => true,
            Pull::Denied { .. } => ctx.anonymous(),
            Pull::TokenRefused(refusal) => refusal.needs_login(),
            _ => false,
        }
    }

    /// The registry's answer decides authentication after all when it rejected the credential.
    pub(super) fn authentication_finding(&self, ctx: &Context<'_>) -> Option<Finding> {
        match self {
            Pull::Rejected(rejection) => Some(rejection.finding(ctx)),
            _ => None,
        }
    }

    /// The pull finding; `push` is the push step's outcome, which decides what a missing repository means.
    pub(super) fn finding(&self, ctx: &Context<'_>, push: Option<&Push>) -> Option<Finding> {
        let repository = ctx.repository();
        let creates = push.is_some_and(Push::probed);
        Some(match self {
            Pull::Exists { digest, content_type, index, redirects } => {
                let finding = Finding::new(
                    Step::Pull,
                    Verdict::Ok,
                    format!("may pull {}: the manifest exists ({digest})", ctx.reference),
                )
                .detail(content_type.clone());
                let finding = match redirects.first() {
                    Some(_) => redirects.iter().fold(finding, |f, i| f.evidence(Some(*i))).detail(format!(
                        "the manifest was served after {} redirect(s) (see the evidence); credentials are \
                         never sent to another origin",
                        redirects.len()
                    )),
                    None => finding,
                };
                finding.evidence(Some(*index))
            }
            Pull::TagMissing { listed, body, tags_index } => tag_missing(ctx, listed, body, *tags_index),
            Pull::ManifestMissing { body, tags } if creates => not_yet(
                format!(
                    "{repository} has no manifest {} yet: a push creates it",
                    ctx.reference.manifest_reference()
                ),
                body,
                tags,
            ),
            Pull::ManifestMissing { body, tags } => missing_manifest(ctx, body, tags),
            Pull::RepositoryMissing { body_index, tags } if creates => {
                let finding = Finding::new(
                    Step::Pull,
                    Verdict::Ok,
                    format!("{repository} does not exist yet: a push creates it"),
                );
                finding.detail(tags.registry_said()).evidence(Some(*body_index)).evidence(Some(tags.index))
            }
            Pull::RepositoryMissing { body_index, tags } => missing_repository(ctx, *body_index, tags, push),
            Pull::Denied { said, .. } if push.is_some_and(Push::allowed) => Finding::new(
                Step::Pull,
                Verdict::Ok,
                format!(
                    "{repository} cannot be read, yet this credential may push to it: it does not exist yet \
                     (registries such as Docker Hub answer a repository that does not exist as one that may \
                     not be read) and a push creates it"
                ),
            )
            .detail(said.registry_said())
            .evidence(Some(said.index)),
            Pull::Denied { said, granted } => denied(ctx, said, granted.as_deref(), push),
            Pull::RateLimited(said) => {
                Finding::new(Step::Pull, Verdict::RateLimited, "the registry is rate limiting")
                    .detail(said.limits.clone())
                    .evidence(Some(said.index))
                    .fix(ctx.fix(Problem::RateLimited))
            }
            Pull::Unexpected(said) => Finding::new(
                Step::Pull,
                Verdict::Network,
                format!("the registry answered {}: {}", said.status, said.message),
            )
            .evidence(Some(said.index)),
            Pull::LoginRequired { index } => Finding::new(
                Step::Pull,
                Verdict::AuthorizationDenied,
                format!(
                    "anonymous pull of {repository} is not allowed: the registry wants Basic authentication"
                ),
            )
            .evidence(Some(*index))
            .fix(ctx.fix(Problem::NoCredential)),
            Pull::TokenRefused(refusal) => return refusal.step_finding(ctx),
            Pull::Rejected(_) | Pull::Unreachable(_) => return None,
        })
    }
}

fn tag_missing(ctx: &Context<'_>, listed: &str, body: &Said, tags_index: usize) -> Finding {
    let (repository, reference) = (ctx.repository(), ctx.reference.manifest_reference());
    let finding = if ctx.push {
        Finding::new(
            Step::Pull,
            Verdict::Ok,
            format!("may pull from {repository}; {reference} does not exist yet (a push creates it)"),
        )
    } else {
        Finding::new(
            Step::Pull,
            Verdict::NotFound,
            format!("the repository {repository} exists but has no {reference}"),
        )
        .fix(format!("Check the tag or digest; existing tags include: {listed}"))
    };
    finding
        .detail(format!("registry said: 404 {}", body.message))
        .evidence(Some(body.index))
        .evidence(Some(tags_index))
}

fn missing_manifest(ctx: &Context<'_>, body: &Said, tags: &Said) -> Finding {
    Finding::new(
        Step::Pull,
        Verdict::NotFound,
        format!("{} has no manifest {}", ctx.repository(), ctx.reference.manifest_reference()),
    )
    .detail(format!("registry said: 404 {}", body.message))
    .detail(format!(
        "the tag list could not be read ({} {}), so a missing tag and a missing repository look the same",
        tags.status, tags.message
    ))
    .evidence(Some(body.index))
    .evidence(Some(tags.index))
    .fix(format!("Check the repository name and the tag or digest of {}.", ctx.reference))
}

/// With `--push`, a manifest that is not there yet is what a push makes: not a failure of pull.
fn not_yet(summary: String, body: &Said, tags: &Said) -> Finding {
    Finding::new(Step::Pull, Verdict::Ok, summary)
        .detail(format!("registry said: 404 {}", body.message))
        .evidence(Some(body.index))
        .evidence(Some(tags.index))
}

fn missing_repository(ctx: &Context<'_>, body_index: usize, tags: &Said, push: Option<&Push>) -> Finding {
    let finding = Finding::new(
        Step::Pull,
        Verdict::NotFound,
        format!("the repository {} does not exist (or is hidden from this credential)", ctx.repository()),
    )
    .detail(tags.registry_said())
    .evidence(Some(body_index))
    .evidence(Some(tags.index))
    .fix(format!(
        "Check the repository name ({}): {} answered that it does not know it.",
        ctx.reference.name(),
        ctx.host
    ));
    match push.and_then(Push::not_probed_because) {
        Some(why) => finding.detail(why),
        None => finding,
    }
}

fn denied(ctx: &Context<'_>, said: &Said, granted: Option<&[String]>, push: Option<&Push>) -> Finding {
    let repository = ctx.repository();
    let (who, problem) = if ctx.anonymous() {
        ("anonymous", Problem::NoCredential)
    } else {
        ("this credential", Problem::PullDenied)
    };
    let mut finding = Finding::new(
        Step::Pull,
        Verdict::AuthorizationDenied,
        format!("{who} may not pull {repository} (action pull)"),
    )
    .detail(said.registry_said())
    .detail(
        "registries answer the same for a repository that does not exist or is hidden: check the name too",
    )
    .evidence(Some(said.index))
    .fix(ctx.fix(problem));
    if let Some(detail) = said.challenge_detail() {
        finding = finding.detail(detail);
    }
    if let Some(granted) = granted {
        finding = finding.detail(format!("the token grants {granted:?} on {repository}"));
    }
    if let Some(why) = push.and_then(Push::not_probed_because) {
        finding = finding.detail(why);
    }
    finding
}
