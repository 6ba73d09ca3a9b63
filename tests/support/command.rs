//! Commands for the programs under test with a cleared environment: a test sets every variable it means
//! (HOME, PATH, XDG dirs, DBUS_SESSION_BUS_ADDRESS...), so the developer's DOCKER_CONFIG,
//! REGISTRY_AUTH_FILE, REGAUTH_*, proxies or colours cannot change a result.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::process::Command;

/// `program` with an empty environment.
pub fn clean(program: impl AsRef<OsStr>) -> Command {
    let mut command = Command::new(program);
    command.env_clear();
    command
}

/// `regauth` with an empty environment.
pub fn regauth() -> Command {
    clean(regauth_bin())
}

/// target/<profile>/regauth, beside the running test (target/<profile>/deps/) or example.
pub fn regauth_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.ancestors().find(|d| d.join("regauth").is_file()).expect("regauth is built");
    profile_dir.join("regauth")
}

/// The PATH the tests themselves run with, for commands that need the machine's real programs
/// (docker, skopeo, gpg, dbus-run-session).
pub fn system_path() -> OsString {
    std::env::var_os("PATH").unwrap_or_default()
}

/// Limit the address space of the process `command` starts, so that a test of a bounded read fails with an
/// allocation error instead of taking the machine down when the bound regresses.
pub fn limit_memory(command: &mut Command, bytes: u64) {
    use std::os::unix::process::CommandExt;
    let limit = libc::rlimit { rlim_cur: bytes, rlim_max: bytes };
    // SAFETY: setrlimit is async-signal-safe and only reads `limit`, a copy owned by the closure.
    unsafe {
        command.pre_exec(move || {
            if libc::setrlimit(libc::RLIMIT_AS, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
}
