#![no_main]
//! `regauth token` command lines: wherever the lean parser (cli::token_fast) answers, clap parses the same
//! command line to the same `Cli`. Input bytes split on NUL into arguments; an argument whose first byte is
//! below 0x30 is taken from a dictionary of the flags and values that matter, so most lines reach the
//! parser's interesting paths.
use libfuzzer_sys::fuzz_target;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

const WORDS: &[&str] = &[
    "token",
    "nginx",
    "--push",
    "--decode",
    "--json",
    "--no-cache",
    "--client",
    "podman",
    "--client=crane",
    "--registries-conf",
    "--containerd-config",
    "-u",
    "--username",
    "--password-stdin",
    "--identity-token-stdin",
    "--anonymous",
    "--ca-file",
    "--certs-dir",
    "a:b",
    "--insecure",
    "--tls-verify",
    "--tls-verify=false",
    "--cert-dir",
    "--helper-timeout",
    "--timeout",
    "0.5",
    "1e30",
    "--config",
    "--lock-timeout",
    "0",
    "--",
    "-",
    "-h",
    "--help",
    "help",
    "=",
    "",
];

fuzz_target!(|data: &[u8]| {
    let mut args: Vec<OsString> = Vec::new();
    for part in data.split(|b| *b == 0).take(24) {
        match part.first() {
            Some(b) if *b < 0x30 => args.push(WORDS[usize::from(*b) % WORDS.len()].into()),
            _ => args.push(OsString::from_vec(part.to_vec())),
        }
    }
    assert!(regauth::cli::lean_token_parse_agrees_with_clap(&args), "{args:?}");
});
