//! `regauth cache list|clear`: the token cache's entries (never a token's text), and removing them; also
//! the answers docker-credential-regauth-cache keeps there (never their secret or username).

use super::output::{print, print_report, say, Failed, Level};
use super::Cli;
use crate::exit::Exit;
use regauth_core::environ::Environ;
use regauth_core::registry::RegistryHost;
use regauth_core::sanitize::one_line;
use regauth_core::token_cache::{Listed, ListedAnswer, TokenCache};
use serde::Serialize;

/// The bearer tokens `regauth token` keeps and the helper answers docker-credential-regauth-cache keeps:
/// list them (registry, scopes or server URL and inner helper, expiry; never a secret) or clear them.
#[derive(Debug, clap::Args)]
#[command(after_long_help = concat!(
    "Examples:\n",
    "  regauth cache list\n",
    "  regauth cache list --registry ghcr.io --json | jq '.entries[].scopes'\n",
    "  regauth cache clear --registry docker.io     drop the cached Docker Hub tokens\n",
    "  regauth cache clear                          drop every cached token\n\n",
    "Where the cache lives: the kernel keyring (keys described regauth:token-cache:<id>), else ",
    "$XDG_CACHE_HOME/regauth/tokens.json (~/.cache/regauth/ without XDG_CACHE_HOME); list and clear read ",
    "both. REGAUTH_TOKEN_CACHE=keyring|file|off chooses where new tokens go.\n\n",
    "JSON (--json): `regauth help json`, regauth-cache-list(1), regauth-cache-clear(1), docs/json.md.\n\n",
    crate::exit_codes_help!(0, 1, 2, 3)
))]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Cached tokens by registry, with their scopes and expiry; never their text.
    #[command(after_long_help = concat!(
        "JSON (--json): `regauth help json`, regauth-cache-list(1), docs/json.md.\n\n",
        crate::exit_codes_help!(0, 1, 2, 3)
    ))]
    List(Filter),
    /// Remove cached tokens and helper answers (of one registry with --registry), and the token services
    /// remembered for it.
    #[command(after_long_help = concat!(
        "JSON (--json): `regauth help json`, regauth-cache-clear(1), docs/json.md.\n\n",
        crate::exit_codes_help!(0, 1, 2, 3)
    ))]
    Clear(Filter),
}

#[derive(Debug, clap::Args)]
pub struct Filter {
    /// Only this registry (as in an image reference: ghcr.io, docker.io, 127.0.0.1:5000).
    #[arg(long, value_name = "REGISTRY")]
    pub registry: Option<String>,

    /// Print JSON instead of text (`regauth help json`).
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListJson<'a> {
    storage: &'a str,
    directory: String,
    entries: &'a [Listed],
    helper_answers: &'a [ListedAnswer],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ClearJson<'a> {
    registry: Option<&'a str>,
    removed: usize,
}

pub(super) fn run(_cli: &Cli, args: &Args, env: &Environ) -> anyhow::Result<Exit> {
    let cache = match TokenCache::open(env) {
        Ok(cache) => cache,
        Err(e) => return Err(Failed::local(e)),
    };
    // `docker.io`, `index.docker.io` and `registry-1.docker.io` are one registry, named as in a reference.
    let registry =
        |filter: &Filter| filter.registry.as_deref().map(|r| RegistryHost::new(r).as_str().to_owned());
    let exit = match &args.action {
        Action::List(filter) => {
            let wanted = registry(filter);
            let entries: Vec<Listed> = cache
                .list()
                .into_iter()
                .filter(|e| wanted.as_deref().is_none_or(|r| e.registry == r))
                .collect();
            let answers: Vec<ListedAnswer> = cache
                .list_answers()
                .into_iter()
                .filter(|e| wanted.as_deref().is_none_or(|r| e.registry == r))
                .collect();
            if filter.json {
                let report = ListJson {
                    storage: cache.storage(),
                    directory: cache.dir().display().to_string(),
                    entries: &entries,
                    helper_answers: &answers,
                };
                print_report(&report, 1, Exit::Ok)?;
            } else {
                let mut text = list_text(&cache, &entries);
                text.push_str(&answers_text(&answers));
                print(&text)?;
            }
            Exit::Ok
        }
        Action::Clear(filter) => {
            let wanted = registry(filter);
            match cache.clear(wanted.as_deref()) {
                Ok(removed) => {
                    if filter.json {
                        print_report(&ClearJson { registry: wanted.as_deref(), removed }, 1, Exit::Ok)?;
                    } else {
                        let whose =
                            wanted.as_deref().map(|r| format!(" of {}", one_line(r))).unwrap_or_default();
                        let noun = if removed == 1 { "token" } else { "tokens" };
                        print(&format!("removed {removed} cached {noun}{whose}\n"))?;
                    }
                    Exit::Ok
                }
                Err(e) => {
                    say(Level::Error, &format!("could not clear the token cache: {e}"));
                    Exit::LocalConfig
                }
            }
        }
    };
    for note in cache.take_notes() {
        say(Level::Note, &note);
    }
    Ok(exit)
}

/// The helper answers section of `list` (nothing when there are none).
fn answers_text(answers: &[ListedAnswer]) -> String {
    if answers.is_empty() {
        return String::new();
    }
    let now = crate::when::now();
    let mut out = String::from("helper answers (docker-credential-regauth-cache)\n");
    for a in answers {
        out.push_str(&format!(
            "  {}  from {} (identity {})  {}  expires {}  ({})\n",
            one_line(&a.server_url),
            one_line(&a.helper),
            a.identity,
            if a.found { "credential" } else { "not found" },
            crate::when::at(a.expires_at, now),
            a.storage
        ));
    }
    out
}

fn list_text(cache: &TokenCache, entries: &[Listed]) -> String {
    if entries.is_empty() {
        return format!("no cached tokens (storage: {}, {})\n", cache.storage(), cache.dir().display());
    }
    let now = crate::when::now();
    let mut out = String::new();
    let mut last: Option<&str> = None;
    for e in entries {
        if last != Some(e.registry.as_str()) {
            out.push_str(&format!("{}\n", one_line(&e.registry)));
            last = Some(&e.registry);
        }
        out.push_str(&format!(
            "  {}  credential {}  expires {}  ({})\n",
            one_line(&e.scopes.join(" ")),
            one_line(&e.credential),
            crate::when::at(e.expires_at, now),
            e.storage
        ));
    }
    out
}
