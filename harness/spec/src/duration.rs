//! Durations as case files write them: `500ms`, `2s`, `1m`, `1.5s`.
//!
//! Whole milliseconds only, at most an hour: finer steps mean nothing to a remote endpoint, and
//! the cap keeps a typo (`60m` meant as `60s`) from hanging a run for days.

use std::time::Duration;

/// The longest duration a case may ask for.
pub const MAX_DURATION: Duration = Duration::from_secs(3600);

/// Parses `<number>(ms|s|m)`, where the number may have a fraction as long as the result is a
/// whole number of milliseconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, unit_ms) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1u128)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1_000)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60_000)
    } else if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') && !text.is_empty() {
        return Err(format!("missing unit; write `{text}s` or `{text}ms`"));
    } else {
        return Err("expected a number followed by `ms`, `s` or `m`".into());
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits_ok(whole) || !digits_ok(fraction) || number.ends_with('.') {
        return Err("expected a number followed by `ms`, `s` or `m`".into());
    }
    // Fixed-point arithmetic on the digits, so `0.1s` is exactly 100ms (no float rounding).
    if whole.len() > 12 || fraction.len() > 12 {
        return Err("longer than one hour".into());
    }
    let whole: u128 = whole.parse().map_err(|_| "not a number".to_string())?;
    let scale = 10u128.pow(u32::try_from(fraction.len()).unwrap_or(12));
    let fraction_value: u128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().map_err(|_| "not a number".to_string())?
    };
    let scaled = whole * scale * unit_ms + fraction_value * unit_ms;
    if !scaled.is_multiple_of(scale) {
        return Err("finer than a millisecond".into());
    }
    let ms = scaled / scale;
    if ms > MAX_DURATION.as_millis() {
        return Err("longer than one hour".into());
    }
    Ok(Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX)))
}

/// The canonical spelling: the largest unit that divides the duration exactly.
#[must_use]
pub fn format_duration(duration: Duration) -> String {
    let ms = duration.as_millis();
    if ms != 0 && ms.is_multiple_of(60_000) {
        format!("{}m", ms / 60_000)
    } else if ms != 0 && ms.is_multiple_of(1_000) {
        format!("{}s", ms / 1_000)
    } else if ms == 0 {
        "0s".into()
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_fractions() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("0.1s"), Ok(Duration::from_millis(100)));
        assert_eq!(parse_duration("60m"), Ok(MAX_DURATION));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn rejects_bad_spellings() {
        for bad in [
            "",
            "2",
            "s",
            "-1s",
            "1.s",
            ".5s",
            "1h",
            "2 s",
            "1.0001s",
            "61m",
            "3600001ms",
            "1e3ms",
            "99999999999999999999m",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn format_round_trips() {
        for ms in [0u64, 1, 999, 1000, 1500, 60_000, 90_000, 3_600_000] {
            let d = Duration::from_millis(ms);
            assert_eq!(parse_duration(&format_duration(d)), Ok(d));
        }
    }
}
