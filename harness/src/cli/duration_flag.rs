//! The duration syntax every duration flag shares with case files.

use std::time::Duration;

/// Parses a duration flag with the grammar case files use (`500ms`, `2s`, `1m`, `1.5s`; at most
/// an hour), so a value that works in a case works on the command line too.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    eni_spec::parse_duration(text)
        .map_err(|why| format!("`{text}` is not a duration like 500ms, 1.5s or 1m: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert!(parse_duration("2h").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("61m").is_err());
        let refused = parse_duration("2").unwrap_err();
        assert!(
            refused.contains("`2`") && refused.contains("2s"),
            "{refused}"
        );
    }
}
