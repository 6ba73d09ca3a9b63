//! The cache of amazon-ecr-credential-helper (`~/.ecr/cache.json`): ECR tokens in plaintext, with expiry.

use super::sources::{place, Inventory, PlaceKind, PlaceState, Storage, Stored};
use super::token_kind::{classify, TokenKind};
use std::path::Path;

/// amazon-ecr-credential-helper's cache: `registries.<key>.AuthorizationToken` is base64("AWS:<token>").
pub fn scan(path: &Path, mode: Option<u32>, inv: &mut Inventory, fingerprint: &impl Fn(&str) -> u64) {
    use base64::Engine;
    let location = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return inv.scanned.push(place(location, PlaceKind::EcrCache, PlaceState::Missing, None))
        }
        Err(e) => {
            let state = PlaceState::Error { message: format!("cannot read {location}: {e}") };
            return inv.scanned.push(place(location, PlaceKind::EcrCache, state, mode));
        }
    };
    let value: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            let state = PlaceState::Error { message: format!("{location}: not valid JSON: {e}") };
            return inv.scanned.push(place(location, PlaceKind::EcrCache, state, mode));
        }
    };
    let registries = value.get("registries").and_then(|r| r.as_object()).cloned().unwrap_or_default();
    for (key, entry) in registries {
        let Some(token) = entry.get("AuthorizationToken").and_then(|t| t.as_str()) else { continue };
        let decoded = base64::engine::general_purpose::STANDARD.decode(token).ok();
        let text = decoded.and_then(|d| String::from_utf8(d).ok()).unwrap_or_default();
        let password = text.split_once(':').map(|(_, p)| p).unwrap_or(token);
        let mut info = classify("AWS", password, false);
        if info.kind == TokenKind::Password {
            info.kind = TokenKind::AwsEcrToken;
        }
        let expires_at = info
            .expires_at
            .or_else(|| entry.get("ExpiresAt").and_then(|e| e.as_str()).and_then(parse_rfc3339));
        inv.stored.push(Stored {
            location: location.clone(),
            registry: entry.get("ProxyEndpoint").and_then(|p| p.as_str()).unwrap_or(&key).to_owned(),
            username: Some("AWS".into()),
            storage: Storage::Plaintext,
            kind: Some(info.kind),
            expires_at,
            fingerprint: Some(fingerprint(password)),
            file_mode: mode,
            shadowed_by: None,
        });
    }
    inv.scanned.push(place(location, PlaceKind::EcrCache, PlaceState::Read, mode));
}

/// `2024-05-01T10:00:00Z` (optionally with fractional seconds or a numeric offset) -> Unix seconds.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let (date, time) = text.split_once(['T', ' '])?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let (clock, offset) = match time.find(['Z', '+', '-']) {
        Some(i) => (&time[..i], &time[i..]),
        None => (time, "Z"),
    };
    let mut c = clock.split(':');
    let (h, min) = (c.next()?.parse::<i64>().ok()?, c.next()?.parse::<i64>().ok()?);
    let sec = c.next().and_then(|s| s.split('.').next()?.parse::<i64>().ok()).unwrap_or(0);
    let offset_secs = match offset {
        "Z" | "z" => 0,
        o => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let (oh, om) = o[1..].split_once(':').unwrap_or((&o[1..], "0"));
            sign * (oh.parse::<i64>().ok()? * 3600 + om.parse::<i64>().ok()? * 60)
        }
    };
    // Days from civil date (proleptic Gregorian), Howard Hinnant's well-known formula.
    let (y2, m2) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * m2 + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some(days * 86400 + h * 3600 + min * 60 + sec - offset_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_table() {
        let table = [
            ("1970-01-01T00:00:00Z", Some(0)),
            ("2023-11-14T22:13:20Z", Some(1_700_000_000)),
            ("2023-11-14T22:13:20.123456Z", Some(1_700_000_000)),
            ("2023-11-15T00:13:20+02:00", Some(1_700_000_000)),
            ("2023-11-14T20:13:20-02:00", Some(1_700_000_000)),
            ("2024-02-29T00:00:00Z", Some(1_709_164_800)),
            ("garbage", None),
            ("2024-13", None),
            ("", None),
        ];
        for (text, want) in table {
            assert_eq!(parse_rfc3339(text), want, "{text}");
        }
    }
}
