//! Times as text output shows them, in one form everywhere: RFC 3339 in UTC, then how far from now
//! (`2026-12-08T05:00:00Z (in 3 days)`, `2026-12-02T05:00:00Z (3 days ago)`). JSON keeps Unix seconds.

/// `t` (Unix seconds) as RFC 3339 with how far it is from `now`.
pub fn at(t: i64, now: i64) -> String {
    format!("{} ({})", rfc3339(t), relative(t, now))
}

/// `t` (Unix seconds) as RFC 3339 in UTC; the bare number when it is out of range.
pub fn rfc3339(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| t.to_string())
}

/// `in 3 days`, `3 days ago`, `now`: the largest unit that gives at least 2 (1 day only from 24 hours to
/// 48), rounded down.
pub fn relative(t: i64, now: i64) -> String {
    let delta = t.saturating_sub(now);
    if delta == 0 {
        return "now".into();
    }
    let amount = span(delta.unsigned_abs());
    if delta > 0 {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

/// Now as Unix seconds.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn span(seconds: u64) -> String {
    const MINUTE: u64 = 60;
    const HOUR: u64 = 60 * MINUTE;
    const DAY: u64 = 24 * HOUR;
    let (n, unit) = if seconds < 2 * MINUTE {
        (seconds, "second")
    } else if seconds < 2 * HOUR {
        (seconds / MINUTE, "minute")
    } else if seconds < DAY {
        (seconds / HOUR, "hour")
    } else {
        (seconds / DAY, "day")
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_table() {
        let now = 1_800_000_000;
        #[rustfmt::skip]
        let cases = [
            (0, "now"),
            (1, "in 1 second"),
            (-1, "1 second ago"),
            (119, "in 119 seconds"),
            (120, "in 2 minutes"),
            (-300, "5 minutes ago"),
            (7_199, "in 119 minutes"),
            (7_200, "in 2 hours"),
            (86_399, "in 23 hours"),
            (86_400, "in 1 day"),
            (3 * 86_400 + 5, "in 3 days"),
            (-3 * 86_400, "3 days ago"),
            (-400 * 86_400, "400 days ago"),
        ];
        for (delta, want) in cases {
            assert_eq!(relative(now + delta, now), want, "{delta}");
        }
        assert_eq!(relative(i64::MAX, i64::MIN), format!("in {} days", i64::MAX as u64 / 86_400));
    }

    #[test]
    fn at_is_rfc3339_and_relative() {
        assert_eq!(at(1_800_000_000, 1_800_000_000 - 3 * 86_400), "2027-01-15T08:00:00Z (in 3 days)");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(i64::MAX), i64::MAX.to_string(), "out of range: the number");
    }
}
