//! SECONDS options (`--timeout`, `--helper-timeout`, `--lock-timeout`): one parser, so every command takes the
//! same numbers and none can reach a panic in `Duration` (`1e30`, `NaN` and `inf` are usage errors, exit 2).

use regauth_core::sanitize::one_line;
use std::time::Duration;

/// The longest wait any SECONDS option takes: a day.
const MAX_SECONDS: f64 = 86_400.0;
/// The shortest wait a timeout takes: a millisecond.
const MIN_TIMEOUT: f64 = 0.001;

/// A timeout: [`MIN_TIMEOUT`] to [`MAX_SECONDS`] seconds.
pub(super) fn timeout(text: &str) -> Result<Duration, String> {
    in_range(text, MIN_TIMEOUT)
}

/// A wait that may be zero (do not wait at all) up to [`MAX_SECONDS`].
pub(super) fn wait(text: &str) -> Result<Duration, String> {
    in_range(text, 0.0)
}

fn in_range(text: &str, min: f64) -> Result<Duration, String> {
    let value: f64 =
        text.trim().parse().map_err(|_| format!("{:?} is not a number of seconds", one_line(text)))?;
    if !(min..=MAX_SECONDS).contains(&value) {
        return Err(format!("{} is out of range: give {min} to {MAX_SECONDS} seconds", one_line(text)));
    }
    Duration::try_from_secs_f64(value).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_in_range_or_a_usage_error() {
        assert_eq!(timeout("30"), Ok(Duration::from_secs(30)));
        assert_eq!(timeout("0.25"), Ok(Duration::from_millis(250)));
        assert_eq!(timeout("86400"), Ok(Duration::from_secs(86_400)));
        assert_eq!(wait("0"), Ok(Duration::ZERO));
        for bad in ["0", "-1", "1e30", "NaN", "inf", "-inf", "86401", "", "ten", "1e-300"] {
            assert!(timeout(bad).is_err(), "{bad:?}");
        }
        for bad in ["-1", "-0.5", "1e30", "NaN", "inf", "86400.5", "x"] {
            assert!(wait(bad).is_err(), "{bad:?}");
        }
    }
}
