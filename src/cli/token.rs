//! `regauth token IMAGE`: print a bearer token for the repository, from the token cache when it can.

use super::output::{print, print_report, say, say_lines, Level, UsageError};
use super::registry_args::{CredentialArgs, TrustArgs};
use super::Cli;
use crate::diagnose::Finding;
use crate::exit::Exit;
use crate::token::{self, Issued, Outcome};
use regauth_core::environ::Environ;
use regauth_core::jwt::Claims;
use regauth_core::reference::Reference;
use regauth_core::sanitize::one_line;
use serde::Serialize;
use std::time::Duration;

/// Print a bearer token for the repository of IMAGE, for curl and scripts.
///
/// The credential is the one the chosen client would send (see `regauth resolve`), or given on stdin. The
/// token comes from the token cache while it has at least 30 s left (a cache hit makes no network request),
/// else from the registry's token service, and is then cached (see `regauth cache`). Only the token is
/// printed: never the credential.
#[derive(Debug, clap::Args)]
#[command(after_long_help = concat!(
    "Examples:\n",
    "  curl -H \"Authorization: Bearer $(regauth token ghcr.io/org/app)\" \\\n",
    "       https://ghcr.io/v2/org/app/tags/list\n",
    "  regauth token docker.io/me/app --push --decode\n",
    "      Show what the push token grants (access, expiry, issuer, audience), not the token.\n",
    "  printf %s \"$PAT\" | regauth token reg.example/team/app -u ci --password-stdin\n",
    "  regauth token quay.io/org/app --json | jq -r .token\n\n",
    "A refused scope gets diagnose's verdict and exit code (4: the credential is wrong or expired; 5: it ",
    "may not pull or push this repository), with the fix, on stderr. So does a token that the token ",
    "service issued without an action that was asked (a spec token server grants only what the credential ",
    "may do: --push with a pull-only grant is exit 5, and no token is printed or cached); an opaque token ",
    "cannot be checked, which a note on stderr says. A registry that asks for Basic ",
    "authentication (or none) issues no bearer tokens: exit 6, saying so.\n\n",
    "Cache: tokens live in the kernel keyring (a key per token, with a timeout) or, where it is not usable, ",
    "in $XDG_CACHE_HOME/regauth/tokens.json (0600). REGAUTH_TOKEN_CACHE=keyring|file|off chooses; ",
    "--no-cache neither reads nor writes it. The cache never holds the credential: a token is found under an ",
    "HMAC of it. `regauth diagnose` never reads the cache.\n\n",
    "JSON (--json): `regauth help json`, regauth-token(1), docs/json.md.\n\n",
    crate::exit_codes_help!(0, 1, 2, 3, 4, 5, 6, 7, 8)
))]
pub struct Args {
    /// The image whose repository the token is for (the tag does not matter).
    pub image: String,

    /// A token that may push too (scope pull,push).
    #[arg(long)]
    pub push: bool,

    /// Show the token's claims (access, expiry, issuer, audience) instead of the token.
    #[arg(long)]
    pub decode: bool,

    /// Print JSON instead of text (`regauth help json`).
    #[arg(long)]
    pub json: bool,

    /// Neither read nor write the token cache.
    #[arg(long)]
    pub no_cache: bool,

    #[command(flatten)]
    pub credential: CredentialArgs,

    #[command(flatten)]
    pub trust: TrustArgs,

    /// Seconds to wait for a credential helper (0.001 to 86400).
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = super::seconds::timeout)]
    pub helper_timeout: Duration,

    /// Seconds the network part may take (0.001 to 86400).
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = super::seconds::timeout)]
    pub timeout: Duration,
}

pub(super) fn run(cli: &Cli, args: &Args, env: &Environ) -> anyhow::Result<Exit> {
    let reference =
        Reference::parse(&args.image).map_err(|e| UsageError(format!("{}: {e}", one_line(&args.image))))?;
    let lookup = args.credential.lookup(cli, env, args.helper_timeout)?;
    let input = token::Input {
        reference,
        lookup,
        push: args.push,
        use_cache: !args.no_cache,
        certs_dirs: args.trust.certs_dirs(),
        ca_files: args.trust.all_ca_files(),
        insecure: args.trust.allows_insecure(),
        timeout: args.timeout,
        env: env.clone(),
    };
    let outcome = token::run(input, &mut |note| say(Level::Note, &note));
    answer(args, &outcome)
}

/// Print what `regauth token` found (the token, its claims, or why there is none) and give its exit code;
/// the front program (cli::front) prints a cache hit with it too, so both answer byte for byte alike.
pub(super) fn answer(args: &Args, outcome: &Outcome) -> anyhow::Result<Exit> {
    let exit = outcome.exit();
    match outcome {
        Outcome::Token(issued) => {
            if args.push && issued.granted.is_none() && !args.json {
                say(Level::Note, "the token is opaque: whether it grants push could not be checked");
            }
            if args.json {
                print_report(&TokenJson::of(issued, args.decode), 1, exit)?;
            } else if args.decode {
                print(&claims_text(issued))?;
            } else {
                let mut line = zeroize::Zeroizing::new(issued.token.expose().to_owned());
                line.push('\n');
                print(&line)?;
            }
        }
        Outcome::NoBearer { reason } => {
            if args.json {
                let report = FailureJson { verdict: "noBearerToken", reason: Some(reason), findings: &[] };
                print_report(&report, 1, exit)?;
            } else {
                say(Level::Error, reason);
            }
        }
        Outcome::Failed(findings) => {
            let verdict = findings
                .iter()
                .find(|f| f.verdict.is_failure())
                .and_then(|f| serde_json::to_value(f.verdict).ok())
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "internal".into());
            if args.json {
                print_report(&FailureJson { verdict: &verdict, reason: None, findings }, 1, exit)?;
            } else {
                say_lines(&findings_text(findings));
            }
        }
    }
    Ok(exit)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenJson<'a> {
    registry: &'a str,
    repository: &'a str,
    scopes: &'a [String],
    /// The actions the token grants on the repository; null for an opaque token (not checked).
    granted: Option<&'a [String]>,
    realm: &'a str,
    service: Option<&'a str>,
    expires_at: i64,
    from_cache: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    claims: Option<Option<&'a Claims>>,
}

impl<'a> TokenJson<'a> {
    fn of(issued: &'a Issued, decode: bool) -> TokenJson<'a> {
        TokenJson {
            registry: &issued.registry,
            repository: &issued.repository,
            scopes: &issued.scopes,
            granted: issued.granted.as_deref(),
            realm: &issued.realm,
            service: issued.service.as_deref(),
            expires_at: issued.expires_at,
            from_cache: issued.from_cache,
            token: (!decode).then(|| issued.token.expose()),
            claims: decode.then_some(issued.claims.as_ref()),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FailureJson<'a> {
    verdict: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    findings: &'a [Finding],
}

fn unix_text(t: i64) -> String {
    crate::when::at(t, crate::when::now())
}

/// The claims, one per line; never the token or its signature.
fn claims_text(issued: &Issued) -> String {
    let mut out = format!("scopes asked: {}\n", issued.scopes.join(" "));
    out.push_str(&format!(
        "cached until: {}{}\n",
        unix_text(issued.expires_at),
        if issued.from_cache { " (served from the cache)" } else { "" }
    ));
    let Some(c) = &issued.claims else {
        out.push_str("claims: none (an opaque token, not a JWT)\n");
        return out;
    };
    let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
    out.push_str(&format!("issuer: {}\n", or_none(&c.issuer)));
    out.push_str(&format!("subject: {}\n", or_none(&c.subject)));
    out.push_str(&format!("audience: {}\n", or_none(&c.audience)));
    out.push_str(&format!("expires: {}\n", c.expires_at.map_or("(none)".into(), unix_text)));
    if c.access.is_empty() {
        out.push_str("access: none granted\n");
    }
    for a in &c.access {
        let actions = if a.actions.is_empty() { "(nothing)".to_owned() } else { a.actions.join(",") };
        out.push_str(&format!("access: {} {} {}\n", a.kind, a.name, actions));
    }
    out
}

fn findings_text(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings
        .iter()
        .filter(|f| f.verdict.is_failure())
        .chain(findings.iter().filter(|f| !f.verdict.is_failure()))
    {
        // "authentication failed" names its step already: "authentication: authentication failed" stutters.
        let (step, verdict) = (f.step.name(), f.verdict.label());
        if verdict.starts_with(step) {
            out.push_str(&format!("regauth: {verdict}: {}\n", f.summary));
        } else {
            out.push_str(&format!("regauth: {step}: {verdict}: {}\n", f.summary));
        }
        for d in &f.details {
            out.push_str(&format!("  {d}\n"));
        }
        if let Some(fix) = &f.fix {
            out.push_str(&format!("  fix: {fix}\n"));
        }
    }
    out
}
