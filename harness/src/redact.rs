//! Redaction for snapshots: values that differ between targets or runs become tokens that keep
//! identity, so a snapshot recorded against one target compares against another. The first ENI
//! a case meets is `<eni:1>` wherever it appears; an address the case wrote as
//! `${vswitch.host(10)}` is `<vswitch.host(10)>`; an address the endpoint chose is `<ip:N>`;
//! fixture ids are their fixture's name. Runs only after every check has seen the raw values.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::LazyLock;

use regex::{Captures, Regex};

use crate::checks::invariants::canonical_ipv4;
use crate::profile::{Fixture, Profile};

/// Timestamps, addresses, CIDR blocks, ENI and VPC ids and MAC addresses inside any text.
static VOLATILE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?P<time>\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z\b)
      | (?P<cidr>\b\d{1,3}(?:\.\d{1,3}){3}/\d{1,2}\b)
      | (?P<ip>\b\d{1,3}(?:\.\d{1,3}){3}\b)
      | (?P<eni>\beni-[0-9a-z]+\b)
      | (?P<vpc>\bvpc-[0-9a-z]+\b)
      | (?P<mac>\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b)",
    )
    .expect("the pattern is valid")
});

/// Fields whose whole value varies per request.
const OPAQUE_FIELDS: &[(&str, &str)] =
    &[("RequestId", "<request-id>"), ("NextToken", "<next-token>")];

/// The marker after which ECS echoes its string to sign, which holds a timestamp and a nonce.
const STRING_TO_SIGN_MARKER: &str = "server string to sign is:";

/// One case's redaction table. Tokens are handed out in the order values are first met.
#[derive(Debug)]
pub(crate) struct Redactor {
    /// Exact values with fixed names: fixture ids and CIDRs, addresses a case named by expression.
    named: HashMap<String, String>,
    /// Volatile values met so far and their tokens.
    seen: HashMap<String, String>,
    counters: HashMap<&'static str, usize>,
    /// VSwitch blocks of the profile: addresses inside them differ between targets.
    blocks: Vec<ipnet::Ipv4Net>,
    /// Request parameters whose value the case computed from the target's state (a
    /// `free_count`): (step, key, value) → token. Kept apart from `named`, since a number must not
    /// be replaced wherever else it appears.
    request_values: HashMap<(String, String, String), String>,
}

impl Redactor {
    pub(crate) fn new(profile: &Profile) -> Redactor {
        let mut named = HashMap::new();
        for (name, fixture) in &profile.fixtures {
            named.insert(fixture.id().to_string(), format!("<{name}>"));
            match fixture {
                Fixture::VSwitch { cidr, zone, .. } => {
                    named.insert(cidr.to_string(), format!("<{name}.cidr>"));
                    if let Some(zone) = zone {
                        named.insert(zone.clone(), "<zone>".into());
                    }
                }
                Fixture::Instance(instance) => {
                    if let Some(eni) = &instance.primary_eni {
                        named.insert(eni.clone(), format!("<{name}.primary_eni>"));
                    }
                    if let Some(ip) = instance.primary_ip {
                        named.insert(ip.to_string(), format!("<{name}.primary_ip>"));
                    }
                }
                Fixture::SecurityGroup { .. } => {}
            }
        }
        named.insert(profile.region.clone(), "<region>".into());
        Redactor {
            named,
            seen: HashMap::new(),
            counters: HashMap::new(),
            request_values: HashMap::new(),
            blocks: profile.vswitches().map(|(_, _, cidr)| cidr).collect(),
        }
    }

    /// Gives a value the case computed from an expression the expression as its name, e.g.
    /// `192.168.0.10` → `<vswitch.host(10)>`. Only target-specific values need this: addresses
    /// inside a fixture block and run-unique tokens.
    pub(crate) fn name_value(&mut self, value: &str, expression: &str) {
        // An address a fixture's member gave (`vswitch.outside`) differs by target even where it
        // lies in no block of the profile.
        let fixture_member = expression.contains('.');
        // A prefix picked free (`vswitch.free_prefix(1)`) is the target's choice as well.
        let target_specific = canonical_ipv4(value)
            .is_some_and(|ip| fixture_member || self.in_blocks(ip))
            || expression == "unique"
            || (fixture_member && expression.contains(".free_prefix(") && value.contains('/'));
        if target_specific && !self.named.contains_key(value) {
            self.named
                .insert(value.to_string(), format!("<{expression}>"));
        }
    }

    /// Names the value a request parameter got from the target's state (`<small_vswitch.free_count>`),
    /// for that parameter only.
    pub(crate) fn name_request_value(&mut self, step: &str, key: &str, value: &str, token: String) {
        self.request_values.insert(
            (step.to_string(), key.to_string(), value.to_string()),
            token,
        );
    }

    /// A request parameter's value as the snapshot shows it.
    pub(crate) fn request_text(&mut self, step: &str, key: &str, value: &str) -> String {
        let named = (step.to_string(), key.to_string(), value.to_string());
        match self.request_values.get(&named) {
            Some(token) => token.clone(),
            None => self.text(value),
        }
    }

    /// Gives a value the runner made up a fixed token: the name it gives the ENIs a case
    /// creates (`<resource_prefix><case id>`) differs by target, and must not be taken apart by
    /// the patterns (`…-eni-secondary` is no ENI id).
    pub(crate) fn name_fixed(&mut self, value: &str, token: &str) {
        if !value.is_empty() {
            self.named.insert(value.to_string(), token.to_string());
        }
    }

    /// Redacts a decoded body (or any value tree) in place.
    pub(crate) fn value(&mut self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, field) in map.iter_mut() {
                    if let Some((_, token)) = OPAQUE_FIELDS.iter().find(|(name, _)| name == key)
                        && let serde_json::Value::String(text) = field
                    {
                        if !text.is_empty() {
                            self.named
                                .entry(text.clone())
                                .or_insert_with(|| token.to_string());
                            *text = token.to_string();
                        }
                        continue;
                    }
                    self.value(field);
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|item| self.value(item)),
            // What an endpoint answered is kept in the snapshot (and in memory until the run
            // ends) only up to a bound: a 3 MB message would otherwise be copied into every one.
            serde_json::Value::String(text) => {
                *text = self.text(&crate::escape::cut(text, crate::escape::LINE_LIMIT));
            }
            _ => {}
        }
    }

    /// Redacts one piece of text.
    pub(crate) fn text(&mut self, text: &str) -> String {
        let mut text = match text.find(STRING_TO_SIGN_MARKER) {
            Some(at) => format!("{}{STRING_TO_SIGN_MARKER}<string-to-sign>", &text[..at]),
            None => text.to_string(),
        };
        if let Some(token) = self.named.get(&text) {
            return token.clone();
        }
        // Ids and request ids inside longer text; addresses and blocks are left to the pattern
        // below, since `192.168.0.1` is a prefix of `192.168.0.10`. Longest first, so that a
        // value inside another (a region inside a zone) cannot break it.
        let mut inner: Vec<(&String, &String)> = self
            .named
            .iter()
            .filter(|(value, _)| {
                !value.is_empty() && canonical_ipv4(value).is_none() && !value.contains('/')
            })
            .collect();
        inner.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(b.0)));
        for (value, token) in inner {
            if text.contains(value.as_str()) {
                text = text.replace(value.as_str(), token);
            }
        }
        VOLATILE
            .replace_all(&text, |captures: &Captures| self.token_for(captures))
            .into_owned()
    }

    fn token_for(&mut self, captures: &Captures) -> String {
        let whole = &captures[0];
        if let Some(token) = self.named.get(whole) {
            return token.clone();
        }
        // Server clocks differ between targets and runs; a case's own timestamps are literals
        // that stay readable in its request section only through this one token.
        if captures.name("time").is_some() {
            return "<timestamp>".into();
        }
        let kind = if captures.name("cidr").is_some() {
            "cidr"
        } else if captures.name("ip").is_some() {
            // Addresses outside every fixture block are the same on every target (a case's
            // literal `10.0.0.1`), and spellings that are not canonical are what a case tests.
            match canonical_ipv4(whole) {
                Some(ip) if self.in_blocks(ip) => "ip",
                _ => return whole.to_string(),
            }
        } else if captures.name("eni").is_some() {
            "eni"
        } else if captures.name("vpc").is_some() {
            "vpc"
        } else {
            "mac"
        };
        if let Some(token) = self.seen.get(whole) {
            return token.clone();
        }
        let counter = self.counters.entry(kind).or_insert(0);
        *counter += 1;
        let token = format!("<{kind}:{counter}>");
        self.seen.insert(whole.to_string(), token.clone());
        token
    }

    fn in_blocks(&self, ip: Ipv4Addr) -> bool {
        self.blocks.iter().any(|block| block.contains(&ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_is_kept_across_values() {
        let mut redactor = Redactor::new(&Profile::embedded());
        redactor.name_value("192.168.0.10", "vswitch.host(10)");
        let mut body = serde_json::json!({
            "RequestId": "04F0F334-1335-436C-A1D7-6C044FE70008",
            "NetworkInterfaceId": "eni-bp1abc",
            "VSwitchId": "vsw-bp1main00000000000001",
            "PrivateIpSet": ["192.168.0.10", "192.168.0.77", "10.0.0.1", "192.168.0.010"],
            "Message": "eni-bp1abc and eni-bp1def hold 192.168.0.77 in 192.168.0.0/24",
            "Recommend": "https://api.aliyun.com/troubleshoot?q=X&requestId=04F0F334-1335-436C-A1D7-6C044FE70008"
        });
        redactor.value(&mut body);
        assert_eq!(
            body,
            serde_json::json!({
                "RequestId": "<request-id>",
                "NetworkInterfaceId": "<eni:1>",
                "VSwitchId": "<vswitch>",
                "PrivateIpSet": ["<vswitch.host(10)>", "<ip:1>", "10.0.0.1", "192.168.0.010"],
                "Message": "<eni:1> and <eni:2> hold <ip:1> in <vswitch.cidr>",
                "Recommend": "https://api.aliyun.com/troubleshoot?q=X&requestId=<request-id>"
            })
        );
    }

    #[test]
    fn long_answers_are_cut_in_snapshots() {
        let mut redactor = Redactor::new(&Profile::embedded());
        let mut body = serde_json::json!({ "Message": "M".repeat(3_000_000), "Code": "X" });
        redactor.value(&mut body);
        let message = body["Message"].as_str().unwrap();
        assert!(message.len() < 4200, "{}", message.len());
        assert!(message.ends_with("bytes more"));
        assert_eq!(body["Code"], "X");
    }

    #[test]
    fn server_times_are_hidden() {
        let mut redactor = Redactor::new(&Profile::embedded());
        let text = redactor.text("“2020-01-01T00:00:00Z” is more than 15 minutes away from the server time “2026-11-25T19:20:01Z”.");
        assert_eq!(
            text,
            "“<timestamp>” is more than 15 minutes away from the server time “<timestamp>”."
        );
    }

    #[test]
    fn string_to_sign_is_hidden() {
        let mut redactor = Redactor::new(&Profile::embedded());
        let text = redactor.text("Specified signature is not matched with our calculation. server string to sign is:GET&%2F&AccessKeyId%3Dtestid");
        assert_eq!(
            text,
            "Specified signature is not matched with our calculation. server string to sign is:<string-to-sign>"
        );
    }
}
