//! What kind of secret a stored credential is, from its username and shape alone: a Docker Hub personal
//! access token, a GitHub token, an AWS ECR token with its expiry, a JWT with its `exp`... The secret is
//! inspected in memory and never kept or shown.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenKind {
    DockerHubPersonalAccessToken,
    DockerHubOrganizationToken,
    GithubClassicToken,
    GithubFineGrainedToken,
    GithubOauthToken,
    GithubActionsToken,
    GitlabPersonalAccessToken,
    GitlabDeployToken,
    GitlabJobToken,
    GitlabRunnerToken,
    GitlabPipelineTriggerToken,
    GitlabFeedToken,
    GitlabIncomingMailToken,
    GitlabAgentToken,
    GitlabOauthApplicationSecret,
    GitlabScimToken,
    GitlabFeatureFlagsClientToken,
    GithubUserToServerToken,
    GithubRefreshToken,
    QuayRobotToken,
    HarborRobotSecret,
    JfrogReferenceToken,
    JfrogApiKey,
    GcpServiceAccountKey,
    GcpAccessToken,
    AwsEcrToken,
    AzureAcrRefreshToken,
    Jwt,
    IdentityToken,
    RegistryToken,
    Password,
}

impl TokenKind {
    /// Kinds that stay valid until someone revokes them: the worst to find in plaintext.
    pub fn is_long_lived(self) -> bool {
        !matches!(
            self,
            TokenKind::GithubActionsToken
                | TokenKind::GithubUserToServerToken
                | TokenKind::GitlabJobToken
                | TokenKind::GcpAccessToken
                | TokenKind::AwsEcrToken
                | TokenKind::Jwt
                | TokenKind::RegistryToken
        )
    }

    /// The kind of a JSON name (`audit merge` reading a report without a `kinds` table).
    pub fn from_name(name: &str) -> Option<TokenKind> {
        use serde::de::value::{Error, StrDeserializer};
        TokenKind::deserialize(StrDeserializer::<Error>::new(name)).ok()
    }

    /// The JSON name (serde's kebab-case).
    pub fn name(self) -> &'static str {
        match self {
            TokenKind::DockerHubPersonalAccessToken => "docker-hub-personal-access-token",
            TokenKind::DockerHubOrganizationToken => "docker-hub-organization-token",
            TokenKind::GithubClassicToken => "github-classic-token",
            TokenKind::GithubFineGrainedToken => "github-fine-grained-token",
            TokenKind::GithubOauthToken => "github-oauth-token",
            TokenKind::GithubActionsToken => "github-actions-token",
            TokenKind::GitlabPersonalAccessToken => "gitlab-personal-access-token",
            TokenKind::GitlabDeployToken => "gitlab-deploy-token",
            TokenKind::GitlabJobToken => "gitlab-job-token",
            TokenKind::GitlabRunnerToken => "gitlab-runner-token",
            TokenKind::GitlabPipelineTriggerToken => "gitlab-pipeline-trigger-token",
            TokenKind::GitlabFeedToken => "gitlab-feed-token",
            TokenKind::GitlabIncomingMailToken => "gitlab-incoming-mail-token",
            TokenKind::GitlabAgentToken => "gitlab-agent-token",
            TokenKind::GitlabOauthApplicationSecret => "gitlab-oauth-application-secret",
            TokenKind::GitlabScimToken => "gitlab-scim-token",
            TokenKind::GitlabFeatureFlagsClientToken => "gitlab-feature-flags-client-token",
            TokenKind::GithubUserToServerToken => "github-user-to-server-token",
            TokenKind::GithubRefreshToken => "github-refresh-token",
            TokenKind::QuayRobotToken => "quay-robot-token",
            TokenKind::HarborRobotSecret => "harbor-robot-secret",
            TokenKind::JfrogReferenceToken => "jfrog-reference-token",
            TokenKind::JfrogApiKey => "jfrog-api-key",
            TokenKind::GcpServiceAccountKey => "gcp-service-account-key",
            TokenKind::GcpAccessToken => "gcp-access-token",
            TokenKind::AwsEcrToken => "aws-ecr-token",
            TokenKind::AzureAcrRefreshToken => "azure-acr-refresh-token",
            TokenKind::Jwt => "jwt",
            TokenKind::IdentityToken => "identity-token",
            TokenKind::RegistryToken => "registry-token",
            TokenKind::Password => "password",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            TokenKind::DockerHubPersonalAccessToken => "Docker Hub personal access token",
            TokenKind::DockerHubOrganizationToken => {
                "Docker Hub organization access token (the username is the organization)"
            }
            TokenKind::GithubClassicToken => "GitHub classic personal access token",
            TokenKind::GithubFineGrainedToken => "GitHub fine-grained token (GHCR does not accept these)",
            TokenKind::GithubOauthToken => "GitHub OAuth token",
            TokenKind::GithubActionsToken => "GitHub Actions token",
            TokenKind::GitlabPersonalAccessToken => "GitLab personal access token",
            TokenKind::GitlabDeployToken => "GitLab deploy token",
            TokenKind::GitlabJobToken => "GitLab CI job token",
            TokenKind::GitlabRunnerToken => "GitLab runner authentication token",
            TokenKind::GitlabPipelineTriggerToken => "GitLab pipeline trigger token",
            TokenKind::GitlabFeedToken => "GitLab feed token",
            TokenKind::GitlabIncomingMailToken => "GitLab incoming email token",
            TokenKind::GitlabAgentToken => "GitLab agent for Kubernetes token",
            TokenKind::GitlabOauthApplicationSecret => "GitLab OAuth application secret",
            TokenKind::GitlabScimToken => "GitLab SCIM token",
            TokenKind::GitlabFeatureFlagsClientToken => "GitLab feature flags client token",
            TokenKind::GithubUserToServerToken => "GitHub App user-to-server token",
            TokenKind::GithubRefreshToken => "GitHub App refresh token",
            TokenKind::QuayRobotToken => "Quay robot account token",
            TokenKind::HarborRobotSecret => "Harbor robot account secret",
            TokenKind::JfrogReferenceToken => "JFrog reference token",
            TokenKind::JfrogApiKey => "JFrog API key (deprecated by JFrog)",
            TokenKind::GcpServiceAccountKey => "Google service-account key",
            TokenKind::GcpAccessToken => "Google OAuth access token",
            TokenKind::AwsEcrToken => "AWS ECR authorization token",
            TokenKind::AzureAcrRefreshToken => "Azure ACR refresh token",
            TokenKind::Jwt => "JWT",
            TokenKind::IdentityToken => "identity (refresh) token",
            TokenKind::RegistryToken => "registry bearer token",
            TokenKind::Password => "password",
        }
    }
}

/// The username `az acr login --expose-token` and ACR's token exchange use: the password is a refresh token.
const AZURE_TOKEN_USER: &str = "00000000-0000-0000-0000-000000000000";

/// The kind, and the expiry (Unix seconds) when the secret carries one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenInfo {
    pub kind: TokenKind,
    pub expires_at: Option<i64>,
}

/// Classify a credential. `identity` marks an `identitytoken` field or a helper's `<token>` user.
pub fn classify(username: &str, secret: &str, identity: bool) -> TokenInfo {
    let plain = |kind| TokenInfo { kind, expires_at: None };
    if let Some((_, _, kind)) =
        PREFIXES.iter().find(|(p, min, _)| secret.starts_with(p) && secret.len() >= *min)
    {
        return plain(*kind);
    }
    if is_quay_robot(username, secret) {
        return plain(TokenKind::QuayRobotToken);
    }
    // Harbor 2 names robots `robot$NAME` or `robot$PROJECT+NAME` (the `robot$` prefix is Harbor's default).
    if username.len() > "robot$".len() && username.starts_with("robot$") {
        return plain(TokenKind::HarborRobotSecret);
    }
    if username == "_json_key" || username == "_json_key_base64" {
        return plain(TokenKind::GcpServiceAccountKey);
    }
    if username == "oauth2accesstoken" {
        return plain(TokenKind::GcpAccessToken);
    }
    if username == "gitlab-ci-token" {
        return plain(TokenKind::GitlabJobToken);
    }
    if username == "AWS" {
        if let Some(expires_at) = regauth_core::token_expiry::ecr_expires_at(secret) {
            return TokenInfo { kind: TokenKind::AwsEcrToken, expires_at: Some(expires_at) };
        }
    }
    if let Some(exp) = jwt_expiry(secret) {
        let kind = if username == AZURE_TOKEN_USER {
            TokenKind::AzureAcrRefreshToken
        } else if identity {
            TokenKind::IdentityToken
        } else {
            TokenKind::Jwt
        };
        return TokenInfo { kind, expires_at: exp };
    }
    if username == AZURE_TOKEN_USER {
        return plain(TokenKind::AzureAcrRefreshToken);
    }
    if identity {
        return plain(TokenKind::IdentityToken);
    }
    plain(TokenKind::Password)
}

/// Prefixes that say what a token is, from each issuer's documentation, with the shortest length a token
/// of that kind has (a prefix alone, or a short password that happens to start like one, is not a token).
const PREFIXES: &[(&str, usize, TokenKind)] = &[
    ("dckr_pat_", 10, TokenKind::DockerHubPersonalAccessToken),
    ("dckr_oat_", 10, TokenKind::DockerHubOrganizationToken),
    ("ghp_", 5, TokenKind::GithubClassicToken),
    ("github_pat_", 12, TokenKind::GithubFineGrainedToken),
    ("gho_", 5, TokenKind::GithubOauthToken),
    ("ghs_", 5, TokenKind::GithubActionsToken),
    ("ghu_", 5, TokenKind::GithubUserToServerToken),
    ("ghr_", 5, TokenKind::GithubRefreshToken),
    ("glpat-", 7, TokenKind::GitlabPersonalAccessToken),
    ("gldt-", 6, TokenKind::GitlabDeployToken),
    ("glcbt-", 7, TokenKind::GitlabJobToken),
    ("glrt-", 6, TokenKind::GitlabRunnerToken),
    ("glptt-", 7, TokenKind::GitlabPipelineTriggerToken),
    ("glft-", 6, TokenKind::GitlabFeedToken),
    ("glimt-", 7, TokenKind::GitlabIncomingMailToken),
    ("glagent-", 9, TokenKind::GitlabAgentToken),
    ("gloas-", 7, TokenKind::GitlabOauthApplicationSecret),
    ("glsoat-", 8, TokenKind::GitlabScimToken),
    ("glffct-", 8, TokenKind::GitlabFeatureFlagsClientToken),
    ("ya29.", 6, TokenKind::GcpAccessToken),
    // base64 of "reftkn": JFrog reference (access) tokens, 64 characters.
    ("cmVmdGtu", 40, TokenKind::JfrogReferenceToken),
    // JFrog API keys: 73 characters.
    ("AKCp", 64, TokenKind::JfrogApiKey),
];

/// Quay robot accounts: username `ORG+NAME`, token 64 upper-case letters and digits.
fn is_quay_robot(username: &str, secret: &str) -> bool {
    let robot = username.split_once('+').is_some_and(|(org, name)| {
        let part = |s: &str| {
            !s.is_empty()
                && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
        };
        part(org) && part(name)
    });
    robot && secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// `Some(exp)` for a JWT (exp may be absent), `None` when `secret` is not a JWT. The same decoder that
/// reads registry tokens in `diagnose`.
pub fn jwt_expiry(secret: &str) -> Option<Option<i64>> {
    regauth_core::jwt::decode(secret).map(|claims| claims.expires_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn jwt(payload: &str) -> String {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("{}.{}.sig", e.encode(r#"{"alg":"RS256","typ":"JWT"}"#), e.encode(payload))
    }

    #[test]
    fn classification_table() {
        let ecr = base64::engine::general_purpose::STANDARD.encode(
            r#"{"payload":"x","datakey":"y","version":"2","type":"DATA_KEY","expiration":1700000000}"#,
        );
        let exp_jwt = jwt(r#"{"exp":1700000000,"sub":"u"}"#);
        let no_exp_jwt = jwt(r#"{"sub":"u"}"#);
        let quay = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ01".to_owned();
        assert_eq!(quay.len(), 64);
        let table: Vec<(&str, String, bool, TokenKind, Option<i64>)> = vec![
            ("me", "dckr_pat_abc".into(), false, TokenKind::DockerHubPersonalAccessToken, None),
            ("org", "dckr_oat_abc".into(), false, TokenKind::DockerHubOrganizationToken, None),
            ("me", "ghp_abc".into(), false, TokenKind::GithubClassicToken, None),
            ("me", "github_pat_abc".into(), false, TokenKind::GithubFineGrainedToken, None),
            ("me", "gho_abc".into(), false, TokenKind::GithubOauthToken, None),
            ("me", "ghs_abc".into(), false, TokenKind::GithubActionsToken, None),
            ("me", "glpat-abc".into(), false, TokenKind::GitlabPersonalAccessToken, None),
            ("deploy", "gldt-abc".into(), false, TokenKind::GitlabDeployToken, None),
            ("gitlab-ci-token", "abc".into(), false, TokenKind::GitlabJobToken, None),
            (
                "_json_key",
                "{\"type\":\"service_account\"}".into(),
                false,
                TokenKind::GcpServiceAccountKey,
                None,
            ),
            ("oauth2accesstoken", "abc".into(), false, TokenKind::GcpAccessToken, None),
            ("x", "ya29.abc".into(), false, TokenKind::GcpAccessToken, None),
            ("AWS", ecr.clone(), false, TokenKind::AwsEcrToken, Some(1_700_000_000)),
            ("AWS", "plain-password".into(), false, TokenKind::Password, None),
            (
                "00000000-0000-0000-0000-000000000000",
                exp_jwt.clone(),
                true,
                TokenKind::AzureAcrRefreshToken,
                Some(1_700_000_000),
            ),
            ("u", exp_jwt.clone(), false, TokenKind::Jwt, Some(1_700_000_000)),
            ("<token>", exp_jwt, true, TokenKind::IdentityToken, Some(1_700_000_000)),
            ("u", no_exp_jwt, false, TokenKind::Jwt, None),
            ("<token>", "opaque".into(), true, TokenKind::IdentityToken, None),
            ("u", "hunter2".into(), false, TokenKind::Password, None),
            // Issue 12's kinds, good and bad.
            ("me", "ghu_abc".into(), false, TokenKind::GithubUserToServerToken, None),
            ("me", "ghr_abc".into(), false, TokenKind::GithubRefreshToken, None),
            ("me", "ghu_".into(), false, TokenKind::Password, None),
            ("me", "glcbt-abc".into(), false, TokenKind::GitlabJobToken, None),
            ("me", "glrt-abc".into(), false, TokenKind::GitlabRunnerToken, None),
            ("me", "glptt-abc".into(), false, TokenKind::GitlabPipelineTriggerToken, None),
            ("me", "glft-abc".into(), false, TokenKind::GitlabFeedToken, None),
            ("me", "glimt-abc".into(), false, TokenKind::GitlabIncomingMailToken, None),
            ("me", "glagent-abc".into(), false, TokenKind::GitlabAgentToken, None),
            ("me", "gloas-abc".into(), false, TokenKind::GitlabOauthApplicationSecret, None),
            ("me", "glsoat-abc".into(), false, TokenKind::GitlabScimToken, None),
            ("me", "glffct-abc".into(), false, TokenKind::GitlabFeatureFlagsClientToken, None),
            ("me", "glrt".into(), false, TokenKind::Password, None),
            ("me", "glrtabc".into(), false, TokenKind::Password, None),
            ("me", "glrt-".into(), false, TokenKind::Password, None),
            ("myorg", "dckr_oat_abc".into(), false, TokenKind::DockerHubOrganizationToken, None),
            ("acme+ci_bot", quay.clone(), false, TokenKind::QuayRobotToken, None),
            ("acme+ci_bot", quay.to_lowercase(), false, TokenKind::Password, None),
            ("acme+ci_bot", quay[1..].to_owned(), false, TokenKind::Password, None),
            ("acme", quay.clone(), false, TokenKind::Password, None),
            ("+ci", quay.clone(), false, TokenKind::Password, None),
            ("robot$ci", "whatever".into(), false, TokenKind::HarborRobotSecret, None),
            ("robot$library+ci", "whatever".into(), false, TokenKind::HarborRobotSecret, None),
            ("robot$", "whatever".into(), false, TokenKind::Password, None),
            ("robot", "whatever".into(), false, TokenKind::Password, None),
            ("me", format!("cmVmdGtu{}", "A".repeat(56)), false, TokenKind::JfrogReferenceToken, None),
            ("me", "cmVmdGtuOjA".into(), false, TokenKind::Password, None),
            ("me", format!("AKCp{}", "b".repeat(69)), false, TokenKind::JfrogApiKey, None),
            ("me", "AKCpassword".into(), false, TokenKind::Password, None),
            (
                "00000000-0000-0000-0000-000000000000",
                "opaque-refresh".into(),
                false,
                TokenKind::AzureAcrRefreshToken,
                None,
            ),
            ("00000000-0000-0000-0000-000000000001", "opaque".into(), false, TokenKind::Password, None),
            (
                "_json_key_base64",
                "eyJ0eXBlIjoic2VydmljZV9hY2NvdW50In0=".into(),
                false,
                TokenKind::GcpServiceAccountKey,
                None,
            ),
            ("oauth2accesstoken", "ya29.abc".into(), false, TokenKind::GcpAccessToken, None),
            ("aws", ecr.clone(), false, TokenKind::Password, None),
            ("u", "a.b.c".into(), false, TokenKind::Password, None),
            ("u", "".into(), false, TokenKind::Password, None),
        ];
        for (user, secret, identity, kind, exp) in table {
            let info = classify(user, &secret, identity);
            assert_eq!((info.kind, info.expires_at), (kind, exp), "{user} / {secret}");
        }
    }

    #[test]
    fn names_are_the_json_names() {
        for kind in [
            TokenKind::DockerHubPersonalAccessToken,
            TokenKind::GithubUserToServerToken,
            TokenKind::JfrogApiKey,
        ] {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.name());
        }
    }

    #[test]
    fn long_lived_kinds() {
        assert!(TokenKind::DockerHubPersonalAccessToken.is_long_lived());
        assert!(TokenKind::Password.is_long_lived());
        assert!(!TokenKind::AwsEcrToken.is_long_lived());
        assert!(TokenKind::GcpServiceAccountKey.is_long_lived(), "a service-account key lives until deleted");
        assert!(!TokenKind::GcpAccessToken.is_long_lived());
        assert!(TokenKind::QuayRobotToken.is_long_lived() && TokenKind::HarborRobotSecret.is_long_lived());
    }
}
