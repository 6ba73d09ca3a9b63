//! The process exit codes of `regauth`.

/// Exit codes of `regauth`. Scripts rely on them: never renumber, only add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Everything checked is fine.
    Ok = 0,
    /// An unexpected internal error.
    Internal = 1,
    /// The command line was wrong (clap uses 2 as well).
    Usage = 2,
    /// Local configuration problem: unreadable or malformed config, helper missing or failing, lock timeout,
    /// no credential where one is needed.
    LocalConfig = 3,
    /// The registry rejected the credential itself (wrong or expired).
    AuthenticationFailed = 4,
    /// The credential is valid but may not do the asked action on this repository.
    AuthorizationDenied = 5,
    /// The repository or tag does not exist.
    NotFound = 6,
    /// The registry is rate limiting.
    RateLimited = 7,
    /// The registry could not be reached: DNS, connection, TLS, timeout.
    Network = 8,
    /// `regauth audit` found problems at or above the chosen severity.
    AuditFindings = 9,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }
}
