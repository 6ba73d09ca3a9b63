//! Per-registry knowledge: which registry this is (from its host and token realm) and how to fix each
//! class of problem there. Facts from shared/reference/registry-auth.md.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum RegistryType {
    /// Docker Hub (docker.io).
    Dockerhub,
    /// GitHub Container Registry (ghcr.io).
    Ghcr,
    /// GitLab container registry (realm .../jwt/auth).
    Gitlab,
    /// Quay (realm .../v2/auth).
    Quay,
    /// Harbor (realm .../service/token).
    Harbor,
    /// AWS Elastic Container Registry.
    Ecr,
    /// Azure Container Registry.
    Acr,
    /// Google Artifact Registry.
    Gar,
    /// Any other OCI distribution registry.
    Distribution,
}

impl RegistryType {
    pub fn label(self) -> &'static str {
        match self {
            RegistryType::Dockerhub => "Docker Hub",
            RegistryType::Ghcr => "GitHub Container Registry",
            RegistryType::Gitlab => "GitLab container registry",
            RegistryType::Quay => "Quay",
            RegistryType::Harbor => "Harbor",
            RegistryType::Ecr => "AWS ECR",
            RegistryType::Acr => "Azure Container Registry",
            RegistryType::Gar => "Google Artifact Registry",
            RegistryType::Distribution => "OCI distribution registry",
        }
    }
}

/// Recognise a registry from its host (`host[:port]`) and, once known, its token realm.
pub fn detect(host: &str, realm: Option<&str>) -> RegistryType {
    let host =
        host.rsplit_once(':').filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit())).map_or(host, |(h, _)| h);
    let realm_url = realm.and_then(|r| reqwest::Url::parse(r).ok());
    let realm_host = realm_url.as_ref().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
    let realm_path =
        realm_url.as_ref().map(|u| u.path().trim_end_matches('/').to_owned()).unwrap_or_default();
    let ends = |h: &str, suffix: &str| h == suffix.trim_start_matches('.') || h.ends_with(suffix);
    if ends(host, ".docker.io") || realm_host == "auth.docker.io" {
        RegistryType::Dockerhub
    } else if host == "ghcr.io" || host == "docker.pkg.github.com" {
        RegistryType::Ghcr
    } else if ends(host, ".gitlab.com") || realm_path.ends_with("/jwt/auth") {
        RegistryType::Gitlab
    } else if host == "quay.io" || realm_path.ends_with("/v2/auth") {
        RegistryType::Quay
    } else if realm_path.ends_with("/service/token") {
        RegistryType::Harbor
    } else if host.contains(".dkr.ecr.") && host.contains(".amazonaws.com") {
        RegistryType::Ecr
    } else if host.ends_with(".azurecr.io") || realm_path.ends_with("/oauth2/token") {
        RegistryType::Acr
    } else if host.ends_with("-docker.pkg.dev") || ends(host, ".gcr.io") {
        RegistryType::Gar
    } else {
        RegistryType::Distribution
    }
}

/// The classes of problem a fix is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    BadCredential,
    ExpiredCredential,
    NoCredential,
    /// An identity (refresh) token the token service no longer takes: revoked, expired, or issued for
    /// another account. Not a wrong password: the user typed none.
    IdentityTokenRefused,
    PullDenied,
    PushDenied,
    CreateRepositoryFirst,
    RateLimited,
}

/// `regauth login HOST` or `docker login HOST` (no host for Docker Hub, as both take it for the default),
/// as a fix names them, with `extra` arguments before the host.
pub fn login_commands(host: &str, extra: &str) -> String {
    let hub = regauth_core::registry::RegistryHost::new(host).is_docker_hub();
    let args = match (extra.is_empty(), hub) {
        (true, true) => String::new(),
        (true, false) => format!(" {host}"),
        (false, true) => format!(" {extra}"),
        (false, false) => format!(" {extra} {host}"),
    };
    format!("`regauth login{args}` or `docker login{args}`")
}

/// What to do about `problem` on this registry. `host` and `repository` fill in commands.
pub fn fix(kind: RegistryType, problem: Problem, host: &str, repository: &str) -> String {
    use Problem::*;
    use RegistryType::*;
    let login = login_commands(host, "");
    let login_user = login_commands(host, "-u USER");
    match (kind, problem) {
        (_, NoCredential) => format!("Log in first: {login} (or pass --username U --password-stdin)."),
        (_, IdentityTokenRefused) => format!(
            "The stored identity (refresh) token is no longer accepted: it was revoked, has expired or \
            belongs to another account. Log in again to get a new one: {login}."
        ),
        (Dockerhub, BadCredential) => format!(
            "Log in again with your Docker ID (not your e-mail) and a personal \
            access token: {login_user} (tokens: https://app.docker.com/settings/personal-access-tokens)."
        ),
        (Dockerhub, ExpiredCredential) => format!(
            "The personal access token has expired: create a new one at \
            https://app.docker.com/settings/personal-access-tokens and log in with it: {login_user}."
        ),
        (Dockerhub, PushDenied) => format!(
            "Create a personal access token with \"Read & Write\" access \
            (the default is Read-only) and log in with it: {login_user}. Organization access \
            tokens (dckr_oat_) log in with the organization name and need write access to {repository}."
        ),
        (Dockerhub, PullDenied) => format!(
            "The account or token may not read {repository}: check the \
            repository name, that it is shared with you, and that the token has at least Read access."
        ),
        (Dockerhub, RateLimited) => "Docker Hub's pull limit is reached: log in (authenticated pulls have a \
            higher limit) or wait for the window to reset (see ratelimit-remaining)."
            .into(),
        (Ghcr, BadCredential | ExpiredCredential) => format!(
            "GHCR refused the token (expired or revoked): use a \
            classic personal access token (ghp_) with read:packages (write:packages to push); fine-grained \
            tokens do not work with ghcr.io. Log in with it: {login}."
        ),
        (Ghcr, PullDenied) => "Use a classic personal access token (ghp_) with read:packages, and make sure \
            the package is visible to that account (or to the workflow's repository)."
            .into(),
        (Ghcr, PushDenied) => "Use a classic personal access token (ghp_) with write:packages; in GitHub \
            Actions give GITHUB_TOKEN `permissions: packages: write` and grant the repository Write access \
            in the package settings."
            .into(),
        (Gitlab, BadCredential | ExpiredCredential) => format!(
            "\"HTTP Basic: Access denied\" means the \
            username or token is wrong or expired: create a deploy token or personal access token with \
            read_registry (write_registry to push) and log in with it: {login}."
        ),
        (Gitlab, PullDenied) => format!(
            "The token lacks registry access to {repository}: give it the \
            read_registry scope (deploy token or access token) and at least Reporter role on the project."
        ),
        (Gitlab, PushDenied) => format!(
            "The token lacks write access to {repository}: give it the \
            write_registry scope and at least Developer role; protected container repositories need a \
            higher role."
        ),
        (Quay, BadCredential | ExpiredCredential) => format!(
            "Check the username and password, or use a \
            robot account (org+name) with its token: {login}."
        ),
        (Quay, PullDenied | PushDenied) => format!(
            "Give the account or robot account (org+name) Read \
            (pull) or Write (push) permission on {repository} in the organisation's settings."
        ),
        (Harbor, BadCredential | ExpiredCredential) => format!(
            "Check the username and password or CLI \
            secret, or use a robot account (robot$name): {login}."
        ),
        (Harbor, PullDenied | PushDenied) => format!(
            "Add the user to the project or use a robot account \
            (robot$name) with the pull / push permission on {repository}."
        ),
        (Ecr, BadCredential | ExpiredCredential) => format!(
            "ECR tokens last 12 hours: `aws ecr \
            get-login-password | docker login --username AWS --password-stdin {host}` (or `regauth login \
            --username AWS --password-stdin {host}`), or use docker-credential-ecr-login."
        ),
        (Ecr, PullDenied) => "Allow ecr:BatchGetImage, ecr:GetDownloadUrlForLayer and \
            ecr:GetAuthorizationToken to the IAM identity (and in the repository policy)."
            .into(),
        (Ecr, PushDenied) => "Allow ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload, \
            ecr:PutImage and ecr:BatchCheckLayerAvailability to the IAM identity."
            .into(),
        (Ecr, CreateRepositoryFirst) => format!(
            "ECR does not create repositories on push: `aws ecr \
            create-repository --repository-name {repository}`."
        ),
        (Acr, BadCredential | ExpiredCredential) => format!(
            "Log in again: `az acr login -n {}` (tokens \
            from az expire after 3 hours), or check the service principal or token password.",
            host.split('.').next().unwrap_or(host)
        ),
        (Acr, PullDenied) => "Assign AcrPull to the identity, or a token whose scope map has content/read \
            on the repository."
            .into(),
        (Acr, PushDenied) => "Assign AcrPush to the identity, or a token whose scope map has content/write \
            on the repository."
            .into(),
        (Gar, BadCredential | ExpiredCredential) => format!(
            "Refresh the credential: `gcloud auth \
            configure-docker {host}` (access tokens last one hour), or use a service-account key."
        ),
        (Gar, PullDenied) => "Grant roles/artifactregistry.reader on the repository to the account.".into(),
        (Gar, PushDenied) => "Grant roles/artifactregistry.writer on the repository to the account.".into(),
        (_, RateLimited) => "The registry is rate limiting: wait for the window to reset (see the limit \
            headers), or authenticate if anonymous."
            .into(),
        (_, CreateRepositoryFirst) => format!(
            "Create the repository {repository} on the registry before \
            pushing."
        ),
        (_, BadCredential | ExpiredCredential) => format!(
            "Check the username and password (or token) and \
            log in again: {login}."
        ),
        (_, PullDenied) => format!(
            "The credential is valid but the registry's policy does not let it pull \
            {repository}: ask the registry's administrator for pull access."
        ),
        (_, PushDenied) => format!(
            "The credential is valid but the registry's policy does not let it push \
            to {repository}: ask the registry's administrator for push access."
        ),
    }
}

/// On registries whose first path component is the owner (a user or an organisation), a denied repository
/// outside the user's own namespace is the usual mistake: `ghcr.io/someone-else/app`, a Docker Hub image
/// tagged with another account's name. Says so; an organisation may still grant access, so it is a hint.
pub fn namespace_hint(
    kind: RegistryType,
    problem: Problem,
    username: &str,
    repository: &str,
) -> Option<String> {
    let owned = matches!(
        kind,
        RegistryType::Dockerhub | RegistryType::Ghcr | RegistryType::Gitlab | RegistryType::Quay
    );
    let denied = matches!(problem, Problem::PullDenied | Problem::PushDenied);
    let (owner, _) = repository.split_once('/')?;
    let plain_user = !username.is_empty() && !username.starts_with('<') && !username.contains(['+', '$']);
    if !owned || !denied || !plain_user || owner.eq_ignore_ascii_case(username) || owner == "library" {
        return None;
    }
    Some(format!(
        "Note: you are \"{username}\" but {repository} is under \"{owner}/\": unless {owner} is an \
         organisation that gave you access, push to your own namespace ({}/...).",
        username.to_ascii_lowercase()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_hint_table() {
        use Problem::*;
        use RegistryType::*;
        let hint = |k, p, u, r| namespace_hint(k, p, u, r).is_some();
        assert!(hint(Ghcr, PushDenied, "alice", "bob/app"));
        assert!(hint(Dockerhub, PullDenied, "alice", "bob/app"));
        assert!(!hint(Ghcr, PushDenied, "Alice", "alice/app"), "GitHub names are case-insensitive");
        assert!(!hint(Ghcr, BadCredential, "alice", "bob/app"), "only for refusals of a valid credential");
        assert!(!hint(Distribution, PushDenied, "alice", "bob/app"), "no owner convention");
        assert!(!hint(Dockerhub, PullDenied, "alice", "library/nginx"));
        assert!(!hint(Quay, PushDenied, "org+robot", "org/app"), "robot accounts act for an org");
        assert!(!hint(Ghcr, PushDenied, "<token>", "bob/app"));
        assert!(!hint(Ghcr, PushDenied, "", "bob/app"));
        assert!(!hint(Ghcr, PushDenied, "alice", "app"));
    }

    #[test]
    fn detects_registries_from_host_and_realm() {
        #[rustfmt::skip]
        let cases = [
            ("docker.io", None, RegistryType::Dockerhub),
            ("mirror.local:5000", Some("https://auth.docker.io/token"), RegistryType::Dockerhub),
            ("ghcr.io", Some("https://ghcr.io/token"), RegistryType::Ghcr),
            ("registry.gitlab.com", None, RegistryType::Gitlab),
            ("registry.example.com", Some("https://git.example.com/jwt/auth"), RegistryType::Gitlab),
            ("quay.io", None, RegistryType::Quay),
            ("harbor.example.com", Some("https://harbor.example.com/service/token"), RegistryType::Harbor),
            ("1234.dkr.ecr.eu-west-2.amazonaws.com", None, RegistryType::Ecr),
            ("r.azurecr.io", None, RegistryType::Acr),
            ("europe-docker.pkg.dev", Some("https://europe-docker.pkg.dev/v2/token"), RegistryType::Gar),
            ("127.0.0.1:5000", Some("http://127.0.0.1:5001/token"), RegistryType::Distribution),
            ("notdocker.io", None, RegistryType::Distribution),
        ];
        for (host, realm, want) in cases {
            assert_eq!(detect(host, realm), want, "{host} {realm:?}");
        }
    }

    #[test]
    fn login_fixes_name_regauth_login_beside_docker_login() {
        use Problem::*;
        assert_eq!(login_commands("ghcr.io", ""), "`regauth login ghcr.io` or `docker login ghcr.io`");
        assert_eq!(
            login_commands("docker.io", "-u USER"),
            "`regauth login -u USER` or `docker login -u USER`"
        );
        assert_eq!(login_commands("index.docker.io", ""), "`regauth login` or `docker login`");
        for kind in
            [RegistryType::Dockerhub, RegistryType::Gitlab, RegistryType::Quay, RegistryType::Distribution]
        {
            for problem in [BadCredential, NoCredential, IdentityTokenRefused] {
                let text = fix(kind, problem, "r.example", "a/b");
                let docker =
                    text.find("`docker login").unwrap_or_else(|| panic!("{kind:?} {problem:?}: {text}"));
                let ours =
                    text.find("`regauth login").unwrap_or_else(|| panic!("{kind:?} {problem:?}: {text}"));
                assert!(ours < docker, "{text}");
            }
        }
        let revoked = fix(RegistryType::Distribution, IdentityTokenRefused, "r.example", "a/b");
        assert!(!revoked.contains("password"), "a refused identity token is not a wrong password: {revoked}");
    }

    #[test]
    fn docker_hub_push_fix_names_read_and_write() {
        assert!(
            fix(RegistryType::Dockerhub, Problem::PushDenied, "docker.io", "a/b").contains("Read & Write")
        );
    }
}
