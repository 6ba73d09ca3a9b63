//! What a granted token allows, against what was asked. A spec token server grants the intersection of
//! what was asked and what the credential may do, so a token asked for `pull,push` can come back with
//! `pull` alone and no error: a client that takes it as a push token fails later with a 401 that looks like
//! a wrong password. Read from the JWT's `access` claims; an opaque token cannot be checked.

use super::registries::{self, Problem};
use super::report::{Finding, Step, Verdict};
use regauth_core::reference::Reference;

/// The actions asked for: `pull`, and `push` with it when asked.
pub(crate) fn asked(push: bool) -> &'static [&'static str] {
    if push {
        &["pull", "push"]
    } else {
        &["pull"]
    }
}

/// Diagnose's findings when `granted` (the token's actions on the repository) lacks an action that was
/// asked; `None` when it has them all.
pub(crate) fn judge(
    reference: &Reference,
    realm: &str,
    granted: &[String],
    push: bool,
    anonymous: bool,
) -> Option<Vec<Finding>> {
    let asked = asked(push);
    let missing: Vec<&str> = asked.iter().copied().filter(|a| !granted.iter().any(|g| g == a)).collect();
    let action = *missing.first()?;
    let repository = &reference.repository;
    let (step, problem) = match (action, anonymous) {
        ("pull", true) => (Step::Pull, Problem::NoCredential),
        ("pull", false) => (Step::Pull, Problem::PullDenied),
        _ => (Step::Push, Problem::PushDenied),
    };
    let who = if anonymous { "anonymous" } else { "this credential" };
    let kind = registries::detect(&reference.registry, Some(realm));
    let mut finding = Finding::new(
        step,
        Verdict::AuthorizationDenied,
        format!("{who} may not {action} {repository}: the token service left {action} out of the token"),
    )
    .detail(format!("asked for {asked:?}; the token grants {granted:?} on {repository}"));
    if !anonymous {
        finding = finding.detail(format!(
            "The password is fine: the token service accepted the credential, but grants no {action} on \
             {repository}."
        ));
    }
    let finding = finding.fix(registries::fix(kind, problem, &reference.registry, repository));
    let authenticated = Finding::new(
        Step::Authentication,
        Verdict::Ok,
        "the token service accepted the credential and issued a token",
    );
    Some(vec![authenticated, finding])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn granted(actions: &[&str]) -> Vec<String> {
        actions.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn a_grant_without_an_asked_action_is_authorization() {
        let reference = Reference::parse("registry.example.com/team/app").unwrap();
        let realm = "https://registry.example.com/token";
        let table: [(&[&str], bool, bool, Option<Step>); 7] = [
            (&["pull", "push"], true, false, None),
            (&["push", "pull", "delete"], true, false, None),
            (&["pull"], false, false, None),
            (&["pull"], true, false, Some(Step::Push)),
            (&[], true, false, Some(Step::Pull)),
            (&[], false, true, Some(Step::Pull)),
            (&["PUSH", "pull"], true, false, Some(Step::Push)),
        ];
        for (actions, push, anonymous, want) in table {
            let judged = judge(&reference, realm, &granted(actions), push, anonymous);
            let step = judged.as_ref().map(|f| f[1].step);
            assert_eq!(step, want, "{actions:?} push={push}");
            if let Some(findings) = judged {
                assert_eq!(findings[1].verdict, Verdict::AuthorizationDenied);
                assert_eq!(findings[1].verdict.exit().code(), 5);
                assert!(findings[1].fix.is_some());
            }
        }
    }
}
