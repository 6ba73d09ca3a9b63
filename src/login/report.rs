//! What a login found out and did, as the report (text and `--json`) says it.

use super::handshake::Verified;
use super::rights::{RepoRights, Right};
use super::store::StoredInfo;
use regauth_core::registry::RegistryHost;
use regauth_core::sanitize::one_line;
use regauth_core::secret::Secret;
use serde::Serialize;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginReport {
    pub registry: String,
    pub username: String,
    pub authentication: AuthInfo,
    pub repositories: Vec<RepoRights>,
    pub read_only: Vec<String>,
    pub stored: Option<StoredInfo>,
    pub warnings: Vec<String>,
    pub error: Option<String>,
    /// How many of `warnings` were already said on stderr (text mode says them before the write).
    #[serde(skip)]
    pub said: usize,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthInfo {
    /// `bearer`, `basic`, or `none` (the registry asks no login).
    pub method: Option<&'static str>,
    pub url: Option<String>,
    pub realm: Option<String>,
    pub identity_token: bool,
    pub summary: String,
}

impl LoginReport {
    pub fn new(host: &RegistryHost, username: &str) -> LoginReport {
        LoginReport {
            registry: host.as_str().to_owned(),
            username: username.to_owned(),
            authentication: AuthInfo::default(),
            repositories: Vec::new(),
            read_only: Vec::new(),
            stored: None,
            warnings: Vec::new(),
            error: None,
            said: 0,
        }
    }

    /// Fill the authentication from what was proven, with its warnings (no login asked; a token service
    /// on plain http for a registry that is not loopback and not `--insecure`); returns the identity token,
    /// if one came.
    pub fn authenticated(
        &mut self,
        verified: Verified,
        username: &str,
        host: &RegistryHost,
        insecure: bool,
    ) -> Option<Secret> {
        let identity = self.describe(verified, username, host);
        if let Some(realm) = self.authentication.realm.as_deref() {
            if realm.starts_with("http://") && !host.is_loopback() && !insecure {
                self.warnings.push(format!(
                    "the token service {} is plain http: the credential travelled unencrypted",
                    one_line(realm)
                ));
            }
        }
        identity
    }

    fn describe(&mut self, verified: Verified, username: &str, host: &RegistryHost) -> Option<Secret> {
        let auth = &mut self.authentication;
        let user = one_line(username);
        match verified {
            Verified::NoAuth { url } => {
                auth.method = Some("none");
                auth.summary =
                    format!("{} asks no login on {url}: the credential could not be checked", host.as_str());
                auth.url = Some(url);
                self.warnings.push("the registry asks no login: the credential was not checked".into());
                None
            }
            Verified::Basic { url } => {
                auth.method = Some("basic");
                auth.summary = format!("{} accepted {user}'s credential (Basic)", host.as_str());
                auth.url = Some(url);
                None
            }
            Verified::Bearer { url, realm, identity } => {
                auth.method = Some("bearer");
                auth.identity_token = identity.is_some();
                auth.summary = format!(
                    "the token service {} accepted {user}'s credential{}",
                    one_line(&realm),
                    if identity.is_some() { " and issued an identity token" } else { "" }
                );
                auth.url = Some(url);
                auth.realm = Some(realm);
                identity
            }
        }
    }

    /// The repositories the credential may pull but not push (said before anything is stored).
    pub fn note_read_only(&mut self) {
        self.read_only = self
            .repositories
            .iter()
            .filter(|r| r.pull == Right::Yes && r.push == Right::No)
            .map(|r| r.repository.clone())
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::Verdict;

    fn host(h: &str) -> RegistryHost {
        RegistryHost::parse(h).unwrap()
    }

    #[test]
    fn an_identity_token_is_kept_and_said() {
        let mut report = LoginReport::new(&host("r.example"), "me");
        let verified = Verified::Bearer {
            url: "https://r.example/v2/".into(),
            realm: "https://auth.r.example/token".into(),
            identity: Some(Secret::new("refresh-Kx1")),
        };
        let identity = report.authenticated(verified, "me", &host("r.example"), false);
        assert_eq!(identity.map(|s| s.expose().to_owned()).as_deref(), Some("refresh-Kx1"));
        assert!(report.authentication.identity_token);
        assert_eq!(
            report.authentication.summary,
            "the token service https://auth.r.example/token accepted me's credential and issued an identity token"
        );
        assert!(report.warnings.is_empty());
    }

    #[test]
    fn a_plain_http_token_service_is_a_warning_unless_loopback_or_insecure() {
        let bearer = || Verified::Bearer {
            url: "https://r.example/v2/".into(),
            realm: "http://auth.r.example/token".into(),
            identity: None,
        };
        let mut report = LoginReport::new(&host("r.example"), "me");
        report.authenticated(bearer(), "me", &host("r.example"), false);
        assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
        let mut insecure = LoginReport::new(&host("r.example"), "me");
        insecure.authenticated(bearer(), "me", &host("r.example"), true);
        assert!(insecure.warnings.is_empty());
        let mut loopback = LoginReport::new(&host("127.0.0.1:5000"), "me");
        loopback.authenticated(bearer(), "me", &host("127.0.0.1:5000"), false);
        assert!(loopback.warnings.is_empty());
        let mut none = LoginReport::new(&host("r.example"), "me");
        none.authenticated(
            Verified::NoAuth { url: "https://r.example/v2/".into() },
            "me",
            &host("r.example"),
            false,
        );
        assert_eq!(none.authentication.method, Some("none"));
        assert_eq!(none.warnings, ["the registry asks no login: the credential was not checked"]);
    }

    #[test]
    fn read_only_is_pull_without_push() {
        let rights = |repository: &str, pull, push| RepoRights {
            repository: repository.into(),
            reference: "latest".into(),
            pull,
            push,
            verdict: Verdict::Ok,
            reason: None,
            fix: None,
        };
        let mut report = LoginReport::new(&host("r.example"), "me");
        report.repositories = vec![
            rights("a", Right::Yes, Right::No),
            rights("b", Right::Yes, Right::Yes),
            rights("c", Right::Unknown, Right::No),
        ];
        report.note_read_only();
        assert_eq!(report.read_only, ["a"]);
    }
}
