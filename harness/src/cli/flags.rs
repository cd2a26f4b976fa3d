//! Flags of `serve` and `selftest` that name emulator faults and defects.

use eni_emulator::{Defect, Fault, FaultRule, FaultWhen};

use super::parse_duration;

/// A defect by name; an unknown name lists every known one.
pub(crate) fn parse_defect(name: &str) -> Result<Defect, String> {
    name.parse::<Defect>().map_err(|error| error.to_string())
}

/// Parses `throttling@rate=0.1`, `conflict@nth=3,action=AssignPrivateIpAddresses`,
/// `latency=200ms@rate=1`.
pub(crate) fn parse_fault(text: &str) -> Result<FaultRule, String> {
    let usage = "write KIND@nth=N or KIND@rate=R[,action=NAME], KIND one of throttling, conflict, unavailable, latency=DURATION";
    let (kind, when) = text
        .split_once('@')
        .ok_or_else(|| format!("`{text}`: {usage}"))?;
    let fault = match kind.split_once('=') {
        Some(("latency", duration)) => Fault::Latency(parse_duration(duration)?),
        None if kind == "throttling" => Fault::Throttling,
        None if kind == "conflict" => Fault::Conflict,
        None if kind == "unavailable" => Fault::ServiceUnavailable,
        _ => return Err(format!("`{kind}` is not a fault kind: {usage}")),
    };
    let mut rule_when = None;
    let mut action = None;
    for part in when.split(',') {
        match part.split_once('=') {
            Some(("nth", n)) => {
                let n: u64 = n
                    .parse()
                    .map_err(|_| format!("`nth={n}` needs a whole number ≥ 1"))?;
                if n == 0 {
                    return Err("`nth` counts from 1".into());
                }
                rule_when = Some(FaultWhen::Nth(n));
            }
            Some(("rate", rate)) => {
                let rate: f64 = rate
                    .parse()
                    .map_err(|_| format!("`rate={rate}` needs a number in 0..=1"))?;
                if !(0.0..=1.0).contains(&rate) {
                    return Err(format!("`rate={rate}` needs a number in 0..=1"));
                }
                rule_when = Some(FaultWhen::Rate(rate));
            }
            Some(("action", name)) => action = Some(name.to_string()),
            _ => return Err(format!("`{part}`: {usage}")),
        }
    }
    let when = rule_when.ok_or_else(|| format!("`{text}` says neither nth= nor rate=: {usage}"))?;
    Ok(FaultRule {
        action,
        when,
        fault,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn faults_parse() {
        let rule = parse_fault("conflict@nth=3,action=AssignPrivateIpAddresses").unwrap();
        assert_eq!(rule.action.as_deref(), Some("AssignPrivateIpAddresses"));
        assert!(matches!(rule.when, FaultWhen::Nth(3)));
        assert!(matches!(rule.fault, Fault::Conflict));
        assert!(
            matches!(parse_fault("latency=200ms@rate=1").unwrap().fault, Fault::Latency(d) if d == Duration::from_millis(200))
        );
        assert!(parse_fault("throttling").is_err());
        assert!(parse_fault("throttling@rate=2").is_err());
        assert!(parse_fault("boom@nth=1").is_err());
    }

    #[test]
    fn defects_parse_and_unknown_names_list_the_known_ones() {
        assert_eq!(parse_defect("misspelled-code"), Ok(Defect::MisspelledCode));
        let error = parse_defect("misspeled-code").unwrap_err();
        assert!(error.contains("unknown defect `misspeled-code`"), "{error}");
        for defect in Defect::ALL {
            assert!(error.contains(defect.name()), "{error}");
        }
    }
}
