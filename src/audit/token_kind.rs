//! What kind of secret a stored credential is, from its username and shape alone: a Docker Hub personal
//! access token, a GitHub token, an AWS ECR token with its expiry, a JWT with its `exp`... The secret is
//! inspected in memory and never kept or shown.

use base64::Engine;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
                | TokenKind::GitlabJobToken
                | TokenKind::GcpAccessToken
                | TokenKind::AwsEcrToken
                | TokenKind::Jwt
                | TokenKind::RegistryToken
        )
    }

    pub fn describe(self) -> &'static str {
        match self {
            TokenKind::DockerHubPersonalAccessToken => "Docker Hub personal access token",
            TokenKind::DockerHubOrganizationToken => "Docker Hub organization access token",
            TokenKind::GithubClassicToken => "GitHub classic personal access token",
            TokenKind::GithubFineGrainedToken => "GitHub fine-grained token (GHCR does not accept these)",
            TokenKind::GithubOauthToken => "GitHub OAuth token",
            TokenKind::GithubActionsToken => "GitHub Actions token",
            TokenKind::GitlabPersonalAccessToken => "GitLab personal access token",
            TokenKind::GitlabDeployToken => "GitLab deploy token",
            TokenKind::GitlabJobToken => "GitLab CI job token",
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

/// The kind, and the expiry (Unix seconds) when the secret carries one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenInfo {
    pub kind: TokenKind,
    pub expires_at: Option<i64>,
}

/// Classify a credential. `identity` marks an `identitytoken` field or a helper's `<token>` user.
pub fn classify(username: &str, secret: &str, identity: bool) -> TokenInfo {
    let plain = |kind| TokenInfo { kind, expires_at: None };
    let prefixes: [(&str, TokenKind); 10] = [
        ("dckr_pat_", TokenKind::DockerHubPersonalAccessToken),
        ("dckr_oat_", TokenKind::DockerHubOrganizationToken),
        ("ghp_", TokenKind::GithubClassicToken),
        ("github_pat_", TokenKind::GithubFineGrainedToken),
        ("gho_", TokenKind::GithubOauthToken),
        ("ghs_", TokenKind::GithubActionsToken),
        ("glpat-", TokenKind::GitlabPersonalAccessToken),
        ("gldt-", TokenKind::GitlabDeployToken),
        ("glcbt-", TokenKind::GitlabJobToken),
        ("ya29.", TokenKind::GcpAccessToken),
    ];
    if let Some((_, kind)) = prefixes.iter().find(|(p, _)| secret.starts_with(p)) {
        return plain(*kind);
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
        if let Some(expires_at) = ecr_expiry(secret) {
            return TokenInfo { kind: TokenKind::AwsEcrToken, expires_at: Some(expires_at) };
        }
    }
    if let Some(exp) = jwt_expiry(secret) {
        let kind = if username == "00000000-0000-0000-0000-000000000000" {
            TokenKind::AzureAcrRefreshToken
        } else if identity {
            TokenKind::IdentityToken
        } else {
            TokenKind::Jwt
        };
        return TokenInfo { kind, expires_at: exp };
    }
    if identity {
        return plain(TokenKind::IdentityToken);
    }
    plain(TokenKind::Password)
}

/// `Some(exp)` for a JWT (exp may be absent), `None` when `secret` is not a JWT. The same decoder that
/// reads registry tokens in `diagnose`.
pub fn jwt_expiry(secret: &str) -> Option<Option<i64>> {
    crate::http::jwt::decode(secret).map(|claims| claims.expires_at)
}

/// ECR tokens are base64 of JSON with a `payload` and an `expiration` (Unix seconds).
fn ecr_expiry(secret: &str) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct EcrToken {
        #[serde(rename = "payload")]
        _payload: serde::de::IgnoredAny,
        expiration: f64,
    }
    let bytes = zeroize::Zeroizing::new(base64::engine::general_purpose::STANDARD.decode(secret).ok()?);
    let token: EcrToken = serde_json::from_slice(&bytes).ok()?;
    Some(token.expiration as i64)
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
            ("AWS", ecr, false, TokenKind::AwsEcrToken, Some(1_700_000_000)),
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
            ("u", "a.b.c".into(), false, TokenKind::Password, None),
            ("u", "".into(), false, TokenKind::Password, None),
        ];
        for (user, secret, identity, kind, exp) in table {
            let info = classify(user, &secret, identity);
            assert_eq!((info.kind, info.expires_at), (kind, exp), "{user} / {secret}");
        }
    }

    #[test]
    fn long_lived_kinds() {
        assert!(TokenKind::DockerHubPersonalAccessToken.is_long_lived());
        assert!(TokenKind::Password.is_long_lived());
        assert!(!TokenKind::AwsEcrToken.is_long_lived());
    }
}
