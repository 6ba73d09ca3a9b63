//! Whose credential an inner helper answers with: the environment variables each helper reads to pick an
//! identity (an AWS profile, a gcloud account, a pass store). docker-credential-regauth-cache keys every
//! cached answer by these too (as an HMAC under the cache's per-user key, never in clear), so switching
//! `AWS_PROFILE` within the TTL asks the inner helper again instead of serving the other identity's answer.
//!
//! Every helper: the uid and [`ALWAYS`]. Known helpers add their own set ([`for_helper`]); an unknown
//! helper gets the union of every known set, since any of them may be what it reads. The lists are over-
//! rather than under-inclusive: a needless miss costs one inner call, a missing variable serves the wrong
//! identity.

use crate::environ::Environ;
use std::ffi::OsStr;

/// Read by every helper (its home, docker's config directory, which program `PATH` finds, XDG config).
pub const ALWAYS: &[&str] = &["HOME", "DOCKER_CONFIG", "PATH", "XDG_CONFIG_HOME"];

/// The variables one helper reads: exact names and name prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdentityVars {
    pub names: &'static [&'static str],
    pub prefixes: &'static [&'static str],
}

/// The known helpers, by name as in `credHelpers`, and what each reads.
pub const KNOWN: &[(&[&str], IdentityVars)] = &[
    // The AWS SDK's credential chain (profiles, keys, roles, web identity, container and IMDS endpoints,
    // config and credentials files, region) and the helper's own AWS_ECR_* settings.
    (&["ecr-login"], IdentityVars { names: &[], prefixes: &["AWS_"] }),
    // gcloud's properties (CLOUDSDK_CONFIG, CLOUDSDK_CORE_ACCOUNT, CLOUDSDK_ACTIVE_CONFIG_NAME, any
    // CLOUDSDK_SECTION_PROPERTY), application default credentials, the metadata server; AWS_* because
    // workload identity federation from AWS reads AWS credentials and region from the environment.
    (
        &["gcloud", "gcr"],
        IdentityVars { names: &[], prefixes: &["CLOUDSDK_", "GOOGLE_", "GCE_METADATA_", "AWS_"] },
    ),
    // Azure service principals, workload identity and managed identity endpoints.
    (&["acr-env", "acr"], IdentityVars { names: &[], prefixes: &["AZURE_", "MSI_", "IDENTITY_", "IMDS_"] }),
    (&["pass"], IdentityVars { names: &["GNUPGHOME"], prefixes: &["PASSWORD_STORE_"] }),
    (
        &["secretservice", "regauth-secretservice"],
        IdentityVars { names: &["DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"], prefixes: &[] },
    ),
    (&["regauth-keyutils"], IdentityVars { names: &["REGAUTH_KEYUTILS_NAMESPACE"], prefixes: &[] }),
    (&["regauth-env"], IdentityVars { names: &[], prefixes: &["REGAUTH_REGISTRY_"] }),
];

/// What an unknown helper is assumed to read: every known set.
pub const GENERIC: IdentityVars = IdentityVars {
    names: &["GNUPGHOME", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "REGAUTH_KEYUTILS_NAMESPACE"],
    prefixes: &[
        "AWS_",
        "CLOUDSDK_",
        "GOOGLE_",
        "GCE_METADATA_",
        "AZURE_",
        "MSI_",
        "IDENTITY_",
        "IMDS_",
        "PASSWORD_STORE_",
        "REGAUTH_REGISTRY_",
    ],
};

/// What `helper` reads (besides [`ALWAYS`]).
pub fn for_helper(helper: &str) -> IdentityVars {
    KNOWN.iter().find(|(names, _)| names.contains(&helper)).map_or(GENERIC, |(_, vars)| *vars)
}

/// The identity inputs of `helper` in `env`: every variable of [`ALWAYS`] and its set that is set, as
/// (name, value), sorted by name (the environment's own order). Hash them; never show or store them.
pub fn inputs<'a>(helper: &str, env: &'a Environ) -> Vec<(&'a OsStr, &'a OsStr)> {
    let vars = for_helper(helper);
    // Chosen by name first: a hit reads the environment in place and sorts only these.
    let mut taken = env.vars_named(|name| {
        // Most of an environment is other programs' variables: a look at the first byte turns them away.
        let first = name.as_encoded_bytes().first().copied().unwrap_or_default();
        let starts = |list: &[&str]| list.iter().any(|n| n.as_bytes().first() == Some(&first));
        if !(starts(ALWAYS) || starts(vars.names) || starts(vars.prefixes)) {
            return false;
        }
        let Some(name) = name.to_str() else { return false };
        ALWAYS.contains(&name)
            || vars.names.contains(&name)
            || vars.prefixes.iter().any(|p| name.starts_with(p))
    });
    taken.retain(|(_, value)| !value.is_empty());
    taken
}

/// The list for one helper, for its documentation: `AWS_*, HOME, ...`.
pub fn describe(vars: IdentityVars) -> String {
    let mut all: Vec<String> = vars.prefixes.iter().map(|p| format!("{p}*")).collect();
    all.extend(vars.names.iter().map(|n| (*n).to_owned()));
    all.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_helper_reads_its_own_set_and_an_unknown_one_every_set() {
        let env = Environ::empty(1000)
            .with("HOME", "/home/a")
            .with("AWS_PROFILE", "p")
            .with("CLOUDSDK_CORE_ACCOUNT", "a@b")
            .with("PASSWORD_STORE_DIR", "/s")
            .with("AZURE_CLIENT_ID", "c")
            .with("EDITOR", "vi")
            .with("AWS_EMPTY", "");
        let names = |helper: &str| -> Vec<String> {
            inputs(helper, &env).iter().map(|(n, _)| n.to_string_lossy().into_owned()).collect()
        };
        assert_eq!(names("ecr-login"), ["AWS_PROFILE", "HOME"]);
        assert_eq!(names("gcloud"), ["AWS_PROFILE", "CLOUDSDK_CORE_ACCOUNT", "HOME"]);
        assert_eq!(names("pass"), ["HOME", "PASSWORD_STORE_DIR"]);
        assert_eq!(names("acr-env"), ["AZURE_CLIENT_ID", "HOME"]);
        assert_eq!(
            names("my-own-helper"),
            ["AWS_PROFILE", "AZURE_CLIENT_ID", "CLOUDSDK_CORE_ACCOUNT", "HOME", "PASSWORD_STORE_DIR"]
        );
        // The generic set holds every known one.
        for (_, vars) in KNOWN {
            assert!(vars.names.iter().all(|n| GENERIC.names.contains(n)), "{vars:?}");
            assert!(vars.prefixes.iter().all(|p| GENERIC.prefixes.contains(p)), "{vars:?}");
        }
    }
}
