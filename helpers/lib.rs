//! regauth-helpers: what the `docker-credential-regauth-*` binaries share: their documentation, written
//! once and rendered both as `--help` and as the man page, and the `main` that serves one protocol call
//! over a store. [`kubelet`] is the kubelet credential provider plugin, which is no protocol helper: it
//! has a command line of its own (`kubelet::command`, also rendered as its man page).

#![warn(unreachable_pub)]

pub mod cache;
pub mod kubelet;

use regauth_core::protocol::{serve, HelperInfo, Store};
use std::ffi::OsString;
use std::io::{stdin, stdout};

/// One helper's documentation.
#[derive(Debug, Clone, Copy)]
pub struct HelperDoc {
    /// Program name: `docker-credential-regauth-keyutils`.
    pub name: &'static str,
    /// One line: what it stores where.
    pub about: &'static str,
    /// How it stores, when to use it, its limits.
    pub description: &'static str,
    /// The environment variables it reads.
    pub environment: &'static str,
}

/// Exit codes of every helper, fixed by the protocol.
const EXIT_CODES: &str = "Exit codes:
  0  success
  1  failure; one line on standard output says why. A missing entry is exactly
     \"credentials not found in native keychain\", the only text docker's clients recognise.";

const USAGE: &str = "Configure it in ~/.docker/config.json as {\"credsStore\": \"NAME\"} or per registry in \
\"credHelpers\" (podman, skopeo and buildah read only credHelpers), where NAME is the program name without \
docker-credential-; `regauth helpers set NAME` does it for you. `regauth helper-test NAME` checks any helper \
against the protocol.";

pub const KEYUTILS: HelperDoc = HelperDoc {
    name: "docker-credential-regauth-keyutils",
    about: "Docker credential helper that keeps credentials in the Linux kernel keyring",
    description: "Docker credential helper that keeps credentials in the Linux kernel keyring: no D-Bus, no \
GPG, no file on disk. Meant for headless servers and CI runners, for root and for normal users.

Entries live in the user's persistent keyring (keyctl get_persistent), which outlives login sessions and the \
processes that stored them (a later ssh login, a cron job and a service of the same user all see them), \
unlike the user keyring @u, which belongs to the running sessions. Kernels without persistent keyrings fall \
back to @u. Each entry is a \"user\" key described regauth:docker-credential:SERVER_URL; list reports only \
keys with that prefix, and no other program's key is read or changed.

Limits: the kernel keyring is memory: every entry is lost at reboot, so log in again after one. The \
persistent keyring expires after /proc/sys/kernel/keys/persistent_keyring_expiry seconds without use (3 days \
by default); every call of this helper restarts that timer. One entry holds at most 32767 bytes of username \
and secret. Normal users share a kernel quota (sysctl kernel.keys.maxbytes, 20000 bytes by default, and \
kernel.keys.maxkeys). Inside a container Docker's default seccomp profile blocks keyctl: the helper then \
says the keyring is not usable; use docker-credential-regauth-env there.",
    environment: "  REGAUTH_KEYUTILS_NAMESPACE=NAME
      Use the description prefix regauth@NAME:docker-credential: instead of the default, so \
that a test or a second tenant sees only its own entries (NAME: 1-64 of A-Z a-z 0-9 _ -).",
};

pub const SECRET_SERVICE: HelperDoc = HelperDoc {
    name: "docker-credential-regauth-secretservice",
    about: "Docker credential helper that keeps credentials in the Secret Service (gnome-keyring, KeePassXC)",
    description:
        "Docker credential helper that keeps credentials in the freedesktop Secret Service over the \
D-Bus session bus (gnome-keyring, KeePassXC, KWallet), in the default keyring. Meant for desktops.

Interchangeable with upstream docker-credential-secretservice (docker-credential-helpers): each reads \
what the other stored, so switching credsStore between secretservice and regauth-secretservice, either way, \
needs no new login. store writes upstream's form: the item is labelled with the server URL and carries the \
attributes xdg:schema=io.docker.Credentials, server=SERVER_URL, username=USERNAME, docker_cli=1 and \
label=\"Docker Credentials\"; it replaces every other item for that server (upstream keeps one item per \
username, and earlier regauth versions wrote xdg:schema=io.regauth.DockerCredential, regauth=docker-credential), \
so one login per server remains. get and list read both forms; where a server has several items, the \
newest wins. erase removes every item for the server in both forms. Other programs' items are never \
touched. Secrets are transferred in a plain session: the bus socket is private to the user, and whoever \
could eavesdrop on it could ask the Secret Service for the item directly, so a Diffie-Hellman session would \
only add time.

Limits: needs a D-Bus session bus and a running, unlocked Secret Service. A locked keyring is reported as \
locked and a missing bus as missing (exit 1, one line), never as \"not found\". The helper cannot show an \
unlock prompt: unlock the keyring first (desktop login, or gnome-keyring-daemon --unlock). A bus or a \
Secret Service that does not answer within 5 seconds (connecting, or any one call) is reported as such, \
exit 1, instead of hanging the client.",
    environment: "  DBUS_SESSION_BUS_ADDRESS
      The session bus; when unset, $XDG_RUNTIME_DIR/bus is tried.",
};

pub const ENV: HelperDoc = HelperDoc {
    name: "docker-credential-regauth-env",
    about: "Docker credential helper that reads credentials from environment variables (read-only, for CI)",
    description: "Docker credential helper that reads credentials from environment variables: read-only, \
meant for CI jobs whose secrets arrive as variables. store fails with a message saying so; list shows \
every registry the environment provides. erase changes nothing and exits 0: for a registry the environment \
provides it says on standard error which variables still hold the login (unset them to log out). It does \
not fail, because skopeo, podman and buildah built on containers/image 5.23 crash on logout when a \
helper's erase fails, whatever the message.

Each registry host[:port] has one pair of variables, REGAUTH_REGISTRY_<HOST>_USERNAME and \
REGAUTH_REGISTRY_<HOST>_PASSWORD, where <HOST> is the host upper-cased with \".\" written \"_\", \"-\" \
written \"__\" and \":\" written \"___\". Docker Hub is DOCKER_IO whichever key a client asks with \
(https://index.docker.io/v1/, docker.io, index.docker.io, registry-1.docker.io; registry.hub.docker.com \
is a host of its own, as it is to docker and podman). get accepts host, host:port, http(s)://host \
and http(s)://host/v1/ or /v2/. Two hosts never share a name: in a host name \".\" and \":\" sit between \
letters or digits and \"-\" never starts or ends a label, so every run of underscores reads back one way. \
The port is part of the name (ghcr.io:443 is not ghcr.io); IPv6 literals have no variable.

Examples:
  - 127.0.0.1:5000: REGAUTH_REGISTRY_127_0_0_1___5000_USERNAME and _PASSWORD
  - ghcr.io: REGAUTH_REGISTRY_GHCR_IO_USERNAME and _PASSWORD
  - my-registry.example.com: REGAUTH_REGISTRY_MY__REGISTRY_EXAMPLE_COM_USERNAME
  - Docker Hub: REGAUTH_REGISTRY_DOCKER_IO_USERNAME and _PASSWORD

For an identity token, set the username variable to <token>.",
    environment: "  REGAUTH_REGISTRY_<HOST>_USERNAME, REGAUTH_REGISTRY_<HOST>_PASSWORD
      One pair per registry, named as described above. Both must be set and non-empty.",
};

pub const CACHE: HelperDoc = HelperDoc {
    name: "docker-credential-regauth-cache",
    about: "Docker credential helper that caches a slow inner helper's answers (gcloud, ecr-login, pass)",
    description: "Docker credential helper that sits between the client and an inner helper (ecr-login, \
gcloud, gcr, pass, secretservice, any docker-credential-*) and answers get from a cache while the answer is \
fresh, so that a helper that takes most of a second is asked once every few minutes instead of on every \
pull, build step and credHelpers entry.

Configure it with `regauth helpers wrap --registry HOST --inner HELPER [--ttl 5m]` (or without --registry, \
as the default credsStore): config.json then names regauth-cache, and the inner helper, TTL and timeout \
live in $XDG_CONFIG_HOME/regauth/cache-helper.json (~/.config/regauth/), which docker login never \
rewrites. `regauth helpers unwrap` puts the inner helper back.

get: a cached answer is served until the TTL (5 minutes by default, at most a day) or, sooner, until 60 \
seconds before the credential's own expiry when it tells (a JWT's exp, an ECR token's expiration, an \
identity token that is a JWT). Otherwise the inner helper is asked, with a timeout (10 seconds by default, \
`--timeout`); concurrent gets for one server URL wait for the first one's answer (bounded by the timeout \
plus 5 seconds) instead of each asking. The inner helper's failure reaches the client as a failure with its \
own message and exit 1, never as \"not found\"; a hung inner helper is stopped and named. A genuine \
\"not found\" stays \"not found\" and is remembered for 5 seconds only. store and erase pass through to the \
inner helper and drop the cached answers for that registry (every URL form and identity), before and after; \
a get that was asking the inner helper meanwhile does not cache what it got, so a docker logout or a new \
password is never undone by an old answer. list passes through (the union of the wrapped helpers' lists).

Identity: answers are kept per identity, so that switching AWS_PROFILE or the gcloud account within the \
TTL asks the inner helper again instead of serving the previous identity's credential. The identity is the \
uid and the environment variables the inner helper reads, hashed with the cache's per-user key (never kept \
in clear); a variable no helper reads changes nothing. Every helper: HOME, DOCKER_CONFIG, PATH, \
XDG_CONFIG_HOME; and by inner helper:
  - ecr-login: AWS_*
  - gcloud, gcr: CLOUDSDK_*, GOOGLE_*, GCE_METADATA_*, AWS_* (AWS federation)
  - acr-env, acr: AZURE_*, MSI_*, IDENTITY_*, IMDS_*
  - pass: PASSWORD_STORE_*, GNUPGHOME
  - secretservice, regauth-secretservice: DBUS_SESSION_BUS_ADDRESS,
    XDG_RUNTIME_DIR
  - regauth-keyutils: REGAUTH_KEYUTILS_NAMESPACE
  - regauth-env: REGAUTH_REGISTRY_*
  - any other helper: every variable above.

Storage is the token cache's: the kernel keyring (one key per answer, described regauth:token-cache:a-<id>, \
with a key timeout at its expiry) where it works, else $XDG_CACHE_HOME/regauth/tokens.json (0600, written \
under its lock). The id is a keyed hash (per-user random key) of the server URL, the inner helper and its \
identity; no secret is ever in a description, a file name or any output. Lock files under the cache's locks/ \
are 256 at most, however many entries come and go. `regauth cache list` shows the cached answers \
(never their secrets), `regauth cache clear` drops them.",
    environment: "  REGAUTH_TOKEN_CACHE=auto|keyring|file|off
      Where answers are kept (auto: the kernel keyring, else the file); off asks the inner helper \
every time.
  REGAUTH_KEYUTILS_NAMESPACE=NAME
      Keep the keyring entries under regauth@NAME:token-cache: (tests, a second tenant).
  XDG_CONFIG_HOME, XDG_CACHE_HOME, HOME
      Where cache-helper.json and the file storage live.
  PATH
      Where the inner helper docker-credential-HELPER is found.
  AWS_*, CLOUDSDK_*, GOOGLE_*, AZURE_*, PASSWORD_STORE_*, ... (see Identity)
      The inner helper's identity: part of a cached answer's key, hashed.",
};

/// Every helper this crate builds, for man pages and tests.
pub const ALL: [&HelperDoc; 4] = [&KEYUTILS, &SECRET_SERVICE, &ENV, &CACHE];

impl HelperDoc {
    /// The command description that `--help` and the man page are rendered from.
    pub fn command(&self) -> clap::Command {
        clap::Command::new(self.name)
            .version(env!("CARGO_PKG_VERSION"))
            .about(self.about)
            .long_about(format!("{}\n\n{USAGE}", self.description))
            .disable_version_flag(true)
            .disable_help_flag(true)
            .arg(
                clap::Arg::new("action")
                    .value_name("ACTION")
                    .required(true)
                    .value_parser(["store", "get", "erase", "list", "version"])
                    .help(
                        "store: read {\"ServerURL\",\"Username\",\"Secret\"} JSON on stdin and keep it; \
                         get: read a server URL on stdin, print the JSON; erase: read a server URL, remove \
                         it; list: print {serverURL: username} JSON; version",
                    ),
            )
            .after_long_help(format!("Environment:\n{}\n\n{EXIT_CODES}", self.environment))
    }

    /// The `--help` text.
    pub fn help_text(&self) -> String {
        self.command().render_long_help().to_string()
    }
}

/// Serve one call of the helper protocol from this process's argv and stdio; returns the exit code.
pub fn main(doc: &HelperDoc, store: &dyn Store) -> i32 {
    let args: Vec<String> =
        std::env::args_os().skip(1).map(|a: OsString| a.to_string_lossy().into_owned()).collect();
    // Rendering help costs a few hundred microseconds: only when asked for.
    let help = match args.as_slice() {
        [one] if matches!(one.as_str(), "--help" | "-h" | "help") => doc.help_text(),
        _ => String::new(),
    };
    let info = HelperInfo { name: doc.name, version: env!("CARGO_PKG_VERSION"), help: &help };
    serve(&info, &args, &mut stdin().lock(), &mut stdout().lock(), store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_states_limits_environment_and_exit_codes() {
        let keyutils = KEYUTILS.help_text();
        for needle in ["reboot", "seccomp", "persistent", "REGAUTH_KEYUTILS_NAMESPACE", "Exit codes", "32767"]
        {
            assert!(keyutils.contains(needle), "keyutils --help lacks {needle:?}");
        }
        let secret_service = SECRET_SERVICE.help_text();
        for needle in [
            "locked",
            "DBUS_SESSION_BUS_ADDRESS",
            "io.docker.Credentials",
            "docker-credential-secretservice",
            "5 seconds",
        ] {
            assert!(secret_service.contains(needle), "secretservice --help lacks {needle:?}");
        }
        let cache = CACHE.help_text();
        for needle in
            ["cache-helper.json", "regauth helpers wrap", "not found", "5 seconds", "REGAUTH_TOKEN_CACHE"]
        {
            assert!(cache.contains(needle), "cache --help lacks {needle:?}");
        }
        let env = ENV.help_text();
        for needle in
            ["read-only", "REGAUTH_REGISTRY_127_0_0_1___5000_USERNAME", "DOCKER_IO", "Exit codes", "exits 0"]
        {
            assert!(env.contains(needle), "env --help lacks {needle:?}");
        }
    }
}

#[cfg(test)]
mod identity_docs {
    use regauth_core::cache_helper::identity::{describe, GENERIC, KNOWN};

    /// The cache helper's documentation lists what each known helper reads, as the code has it.
    #[test]
    fn the_cache_helpers_identity_list_is_the_codes() {
        // Compared with runs of white space made one space: a long item is wrapped in the help.
        let text = super::CACHE.description.split_whitespace().collect::<Vec<_>>().join(" ");
        for (helpers, vars) in KNOWN {
            let line = format!("- {}: {}", helpers.join(", "), describe(*vars));
            assert!(text.contains(&line), "cache --help lacks the item {line:?}");
        }
        for name in regauth_core::cache_helper::identity::ALWAYS {
            assert!(text.contains(name), "cache --help lacks {name}");
        }
        assert!(!describe(GENERIC).is_empty());
    }
}
