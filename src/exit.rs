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
    /// Every code, in order: the source of `regauth help exit-codes` and of regauth(1)'s EXIT STATUS.
    pub const ALL: [Exit; 10] = [
        Exit::Ok,
        Exit::Internal,
        Exit::Usage,
        Exit::LocalConfig,
        Exit::AuthenticationFailed,
        Exit::AuthorizationDenied,
        Exit::NotFound,
        Exit::RateLimited,
        Exit::Network,
        Exit::AuditFindings,
    ];

    pub fn code(self) -> u8 {
        self as u8
    }

    /// One line, as each command's `--help` table says it (`exit_code_line!` spells the same words, as
    /// literals for clap's attributes; a test keeps the two equal).
    pub fn summary(self) -> &'static str {
        match self {
            Exit::Ok => "success",
            Exit::Internal => "internal error",
            Exit::Usage => "usage error",
            Exit::LocalConfig => "local configuration: config file, helper, lock, no credential",
            Exit::AuthenticationFailed => "authentication failed: the credential is wrong or expired",
            Exit::AuthorizationDenied => "authorization denied: valid credential, action not allowed",
            Exit::NotFound => "repository or tag not found (token: no bearer token)",
            Exit::RateLimited => "rate limited",
            Exit::Network => "network or TLS failure",
            Exit::AuditFindings => "audit findings at or above --fail-on",
        }
    }

    /// What the code means, for scripts deciding what to do next.
    pub fn meaning(self) -> &'static str {
        match self {
            Exit::Ok => "Everything checked is fine.",
            Exit::Internal => "An unexpected internal error; please report it.",
            Exit::Usage => "The command line was wrong (clap's own errors use 2 as well).",
            Exit::LocalConfig => {
                "A problem on this machine: an unreadable or malformed config file, a credential helper \
                 missing or failing, a lock not had in time, no credential where one is needed."
            }
            Exit::AuthenticationFailed => {
                "The registry rejected the credential itself: wrong, expired or revoked."
            }
            Exit::AuthorizationDenied => {
                "The credential is valid but may not do the asked action (pull, push) on this repository."
            }
            Exit::NotFound => {
                "The repository or tag does not exist; for `regauth token`, the registry issues no bearer \
                 tokens."
            }
            Exit::RateLimited => "The registry is rate limiting: try later, or log in for a higher limit.",
            Exit::Network => "The registry could not be reached: DNS, connection, TLS, proxy or a deadline.",
            Exit::AuditFindings => {
                "`regauth audit` found problems at or above the chosen severity (--fail-on)."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Exit;

    /// The literal rows clap's attributes use say what `Exit::summary` says.
    #[test]
    fn help_rows_are_the_summaries() {
        let rows = [
            crate::exit_code_line!(0),
            crate::exit_code_line!(1),
            crate::exit_code_line!(2),
            crate::exit_code_line!(3),
            crate::exit_code_line!(4),
            crate::exit_code_line!(5),
            crate::exit_code_line!(6),
            crate::exit_code_line!(7),
            crate::exit_code_line!(8),
            crate::exit_code_line!(9),
        ];
        for (exit, row) in Exit::ALL.iter().zip(rows) {
            assert_eq!(row, format!("\n  {}  {}", exit.code(), exit.summary()));
        }
        assert!(Exit::ALL.iter().enumerate().all(|(i, e)| usize::from(e.code()) == i));
    }
}
