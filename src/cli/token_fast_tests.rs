//! The lean `token` parser against clap: same `Cli` (compared by its Debug form) wherever the lean one
//! answers, and every `token` flag of the clap definition in the table.

use super::*;
use clap::Parser;

fn lean(args: &[&str], env: &[(&str, &str)]) -> Option<Cli> {
    let args: Vec<OsString> = args.iter().map(OsString::from).collect();
    let env = |name: &str| env.iter().find(|(n, _)| *n == name).map(|(_, v)| OsString::from(v));
    parse(&args, &env)
}

fn clap(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("regauth").chain(args.iter().copied()))
}

/// Command lines the lean parser takes: it must, and clap must agree.
const TAKEN: &[&[&str]] = &[
    &["token", "ghcr.io/org/app"],
    &["token", "nginx", "--push"],
    &["token", "nginx", "--decode"],
    &["token", "--json", "nginx"],
    &["token", "nginx", "--no-cache"],
    &["token", "nginx", "--client", "podman"],
    &["token", "nginx", "--client=containerd", "--containerd-config=/etc/c.toml"],
    &["token", "nginx", "--client", "skopeo", "--registries-conf", "/etc/r.conf"],
    &["token", "nginx", "-u", "ci", "--password-stdin"],
    &["token", "nginx", "--username=ci", "--identity-token-stdin"],
    &["token", "nginx", "--identity-token-stdin"],
    &["token", "nginx", "--anonymous"],
    &["token", "nginx", "--ca-file", "a.crt", "--ca-file=b.crt"],
    &["token", "nginx", "--certs-dir", "/a:/b", "--certs-dir=/c"],
    &["token", "nginx", "--insecure"],
    &["token", "--tls-verify", "nginx"],
    &["token", "nginx", "--tls-verify=false"],
    &["token", "nginx", "--tls-verify=true"],
    &["token", "nginx", "--cert-dir", "/d", "--cert-dir", "/e"],
    &["token", "nginx", "--helper-timeout", "0.5", "--timeout=3"],
    &["token", "nginx", "--timeout", "86400", "--helper-timeout=0.001"],
    &["--config", "/cfg", "token", "nginx"],
    &["--debug", "token", "nginx", "--json"],
    &["token", "nginx", "--debug"],
    &["--config=/cfg", "--lock-timeout", "0", "token", "nginx"],
    &["token", "nginx", "--config", "/cfg", "--lock-timeout=2.5"],
    &["--lock-timeout", "1", "token", "reg.example:5000/team/app@sha256:0123", "--json", "--push"],
    &["token", "help"],
    &[
        "--config",
        "/c",
        "token",
        "--push",
        "--decode",
        "--json",
        "--no-cache",
        "--client",
        "crane",
        "--registries-conf",
        "/r",
        "--containerd-config",
        "/t",
        "--username",
        "u",
        "--password-stdin",
        "--ca-file",
        "/f",
        "--certs-dir",
        "/g",
        "--tls-verify=false",
        "--cert-dir",
        "/h",
        "--helper-timeout",
        "4",
        "--timeout",
        "5",
        "--lock-timeout",
        "6",
        "docker.io/me/app:1",
    ],
];

/// Command lines the lean parser leaves to clap (help, errors, anything unusual).
const LEFT: &[&[&str]] = &[
    &[],
    &["token"],
    &["--help"],
    &["-h"],
    &["--version"],
    &["-V"],
    &["help", "token"],
    &["token", "--help"],
    &["token", "nginx", "-h"],
    &["resolve", "nginx"],
    &["token", "nginx", "other"],
    &["token", "nginx", "--push", "--push"],
    &["token", "nginx", "--json=true"],
    &["token", "nginx", "--client", "nope"],
    &["token", "nginx", "--client"],
    &["token", "nginx", "--timeout", "0"],
    &["token", "nginx", "--timeout", "1e30"],
    &["token", "nginx", "--helper-timeout", "NaN"],
    &["token", "nginx", "--lock-timeout", "-1"],
    &["token", "nginx", "--password-stdin"],
    &["token", "nginx", "-u", "x", "--password-stdin", "--identity-token-stdin"],
    &["token", "nginx", "--anonymous", "-u", "x"],
    &["token", "nginx", "--anonymous", "--identity-token-stdin"],
    &["token", "nginx", "--insecure", "--tls-verify=false"],
    &["token", "nginx", "--tls-verify=maybe"],
    &["token", "nginx", "--tls-verify", "false"],
    &["token", "nginx", "--", "x"],
    &["token", "--", "nginx"],
    &["token", "-"],
    &["token", "nginx", "--unknown"],
    &["token", "nginx", "-uci"],
    &["token", "nginx", "-u"],
    &["token", "nginx", "--username="],
    &["token", "nginx", "--username", "-x"],
    &["token", "nginx", "--certs-dir", "a::b"],
    &["token", "nginx", "--config", "/a", "--config", "/b"],
    &["--debug", "token", "nginx", "--debug"],
    &["token", "nginx", "--debug=true"],
    &["--config", "/a", "token", "nginx", "--config", "/b"],
    &["token", "nginx", "--timeout", "1", "--timeout", "2"],
    &["token", "nginx", "-u", "a", "--username", "b", "--password-stdin"],
];

#[test]
fn the_lean_parser_and_clap_agree() {
    for args in TAKEN {
        let fast = lean(args, &[]).unwrap_or_else(|| panic!("the lean parser left {args:?} to clap"));
        let full = clap(args).unwrap_or_else(|e| panic!("clap refused {args:?}: {e}"));
        assert_eq!(format!("{fast:?}"), format!("{full:?}"), "{args:?}");
    }
    for args in LEFT {
        assert!(lean(args, &[]).is_none(), "the lean parser took {args:?}");
    }
}

/// Each variable clap reads stands for its flag; an empty one, or a bad value, is left to clap.
#[test]
fn environment_variables_read_as_clap_reads_them() {
    let cases: &[(&str, &str, &str)] = &[
        (ENV_CONFIG, "/env/cfg", "--config"),
        (ENV_LOCK_TIMEOUT, "7", "--lock-timeout"),
        (ENV_CERTS_D, "/x:/y", "--certs-dir"),
    ];
    for (name, value, flag) in cases {
        let fast = lean(&["token", "nginx"], &[(name, value)]).expect(name);
        let full = clap(&["token", "nginx", flag, value]).unwrap();
        assert_eq!(format!("{fast:?}"), format!("{full:?}"), "{name}");
        // The flag wins over the variable.
        let fast = lean(&["token", "nginx", flag, "1"], &[(name, value)]).expect(name);
        let full = clap(&["token", "nginx", flag, "1"]).unwrap();
        assert_eq!(format!("{fast:?}"), format!("{full:?}"), "{name} and {flag}");
        assert!(lean_of(name, ""), "{name} empty");
    }
    assert!(lean_of(ENV_LOCK_TIMEOUT, "soon"));
    assert!(lean_of(ENV_CERTS_D, "/x::/y"));
}

/// True when the lean parser leaves `token nginx` with this variable to clap.
fn lean_of(name: &str, value: &str) -> bool {
    lean(&["token", "nginx"], &[(name, value)]).is_none()
}

/// Every option of clap's `token` (and every global one) is in [`TAKEN`]: a flag added to the clap
/// definition fails here until the lean parser knows it.
#[test]
fn the_table_covers_every_flag_of_token() {
    let command = super::super::command();
    let token = command.find_subcommand("token").expect("token");
    let globals = command.get_arguments().map(|a| (a.get_id().to_string(), a.get_long()));
    let longs: Vec<String> = token
        .get_arguments()
        .map(|a| (a.get_id().to_string(), a.get_long()))
        .chain(globals)
        .filter_map(|(id, long)| long.map(str::to_owned).or((id != "image").then_some(id)))
        .filter(|l| !matches!(l.as_str(), "help" | "version"))
        .collect();
    assert!(longs.len() >= 19, "{longs:?}");
    for long in longs {
        let flag = format!("--{long}");
        let used =
            TAKEN.iter().any(|args| args.iter().any(|a| *a == flag || a.starts_with(&format!("{flag}="))));
        assert!(used, "{flag} is not in the table of command lines the lean parser takes");
    }
}
