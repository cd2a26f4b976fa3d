//! Turning a scenario's structured request into an HTTP request, with the ids and addresses
//! earlier answers revealed.

use std::net::Ipv4Addr;

use super::scenario::*;
use axum::body::Body as HttpBody;
use axum::http::{HeaderName, HeaderValue, Request as HttpRequest, header};
use eni_emulator::World;
use serde_json::Value as Json;

/// What earlier answers revealed: ENI ids and addresses, for later requests to use.
pub(super) struct Seen {
    enis: Vec<String>,
    ips: Vec<String>,
    /// IPv4 prefixes answers named.
    prefixes: Vec<String>,
    instances: Vec<String>,
    vswitches: Vec<(String, ipnet::Ipv4Net)>,
    security_groups: Vec<String>,
}

impl Seen {
    pub(super) fn new(world: &World) -> Seen {
        let mut enis: Vec<String> = world
            .instances
            .iter()
            .filter_map(|i| i.primary_eni.id.clone())
            .collect();
        enis.push("eni-bp1neverexisted000001".to_owned());
        let mut instances: Vec<String> = world.instances.iter().map(|i| i.id.clone()).collect();
        instances.push("i-bp1neverexisted00000001".to_owned());
        let mut vswitches: Vec<(String, ipnet::Ipv4Net)> = world
            .vswitches
            .iter()
            .map(|v| (v.id.clone(), v.cidr))
            .collect();
        vswitches.push((
            "vsw-bp1neverexisted000001".to_owned(),
            ipnet::Ipv4Net::new(Ipv4Addr::new(10, 9, 0, 0), 24).expect("a /24"),
        ));
        let mut security_groups = world.security_groups.clone();
        security_groups.push("sg-bp1neverexisted0000001".to_owned());
        Seen {
            enis,
            ips: Vec::new(),
            prefixes: Vec::new(),
            instances,
            vswitches,
            security_groups,
        }
    }

    pub(super) fn learn(&mut self, body: &Json) {
        match body {
            Json::String(s) => {
                if s.starts_with("eni-") && !self.enis.contains(s) && self.enis.len() < 32 {
                    self.enis.push(s.clone());
                } else if s.parse::<Ipv4Addr>().is_ok()
                    && !self.ips.contains(s)
                    && self.ips.len() < 64
                {
                    self.ips.push(s.clone());
                } else if s.parse::<ipnet::Ipv4Net>().is_ok()
                    && !self.prefixes.contains(s)
                    && self.prefixes.len() < 32
                {
                    self.prefixes.push(s.clone());
                }
            }
            Json::Array(items) => items.iter().for_each(|i| self.learn(i)),
            Json::Object(map) => map.values().for_each(|v| self.learn(v)),
            _ => {}
        }
    }
}

fn pick<T: Clone>(items: &[T], n: u8) -> T {
    items[usize::from(n) % items.len()].clone()
}

/// A request ready to send, and how to describe it in a failure message.
pub(super) struct Built {
    pub(super) request: HttpRequest<HttpBody>,
    pub(super) method: &'static str,
    pub(super) uri: String,
    pub(super) body_text: String,
}

pub(super) fn build(request: &Request, world: &World, seen: &Seen) -> Option<Built> {
    let post = request.method == HttpMethod::Post;
    let mut query: Vec<(String, String)> = vec![("Version".into(), "2014-05-26".into())];
    let mut form: Vec<(String, String)> = Vec::new();
    match &request.action {
        ActionName::Known(a) => query.push(("Action".into(), action_name(*a).into())),
        ActionName::Missing => {}
        ActionName::Other(t) => query.push(("Action".into(), t.0.clone())),
    }
    match &request.format {
        FormatParam::Absent => {}
        FormatParam::Json => query.push(("Format".into(), "JSON".into())),
        FormatParam::Xml => query.push(("Format".into(), "XML".into())),
        FormatParam::Lower(json) => {
            query.push(("Format".into(), if *json { "json" } else { "xml" }.into()))
        }
        FormatParam::Other(t) => query.push(("Format".into(), t.0.clone())),
    }
    match &request.region {
        RegionParam::Right => query.push(("RegionId".into(), world.region.clone())),
        RegionParam::Missing => {}
        RegionParam::Other(t) => query.push(("RegionId".into(), t.0.clone())),
    }
    for param in request.params.iter() {
        let key = key_text(&param.key);
        let value = value_text(&param.value, seen);
        if post && param.in_body {
            form.push((key, value));
        } else {
            query.push((key, value));
        }
    }
    let mut query_text = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&query)
        .finish();
    if let Some(raw) = &request.raw_query {
        if !query_text.is_empty() {
            query_text.push('&');
        }
        query_text.push_str(&uri_safe(raw.as_str()));
    }
    let uri = format!("/?{query_text}");
    let mut body_text = if post {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&form)
            .finish()
    } else {
        String::new()
    };
    match &request.body {
        BodyExtra::None => {}
        BodyExtra::Raw(t) => {
            if !body_text.is_empty() {
                body_text.push('&');
            }
            body_text.push_str(t.as_str());
        }
        BodyExtra::Large(n) => body_text.push_str(&"a=b&".repeat(1024 * usize::from(*n % 24))),
    }
    let method = if post { "POST" } else { "GET" };
    let mut builder = HttpRequest::builder().method(method).uri(&uri);
    if post {
        builder = builder.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let mut http = builder.body(HttpBody::from(body_text.clone())).ok()?;
    for h in request.headers.iter() {
        let (name, value) = match h {
            Header::ContentType(kind, junk) => (
                header::CONTENT_TYPE,
                match kind % 4 {
                    0 => "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
                    1 => "application/json".to_owned(),
                    2 => "APPLICATION/X-WWW-FORM-URLENCODED".to_owned(),
                    _ => junk.0.clone(),
                },
            ),
            Header::AcsAction(a) => (
                HeaderName::from_static("x-acs-action"),
                match a {
                    ActionName::Known(a) => action_name(*a).to_owned(),
                    ActionName::Missing => String::new(),
                    ActionName::Other(t) => t.0.clone(),
                },
            ),
            Header::AcsVersion(right) => (
                HeaderName::from_static("x-acs-version"),
                if *right { "2014-05-26" } else { "2016-01-01" }.to_owned(),
            ),
            Header::Authorization(t) => (
                header::AUTHORIZATION,
                format!(
                    "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host,Signature={}",
                    t.0
                ),
            ),
            Header::Other(n, v) => match HeaderName::from_bytes(n.0.as_bytes()) {
                Ok(name) => (name, v.0.clone()),
                Err(_) => continue,
            },
        };
        // Values a client could not send are not the emulator's problem.
        let Ok(value) = HeaderValue::from_str(&value) else {
            continue;
        };
        http.headers_mut().append(name, value);
    }
    Some(Built {
        request: http,
        method,
        uri,
        body_text,
    })
}

/// Percent-encodes the bytes a URI's query cannot hold, keeping `%` (so broken escapes reach
/// the emulator) and everything else a query may contain.
fn uri_safe(raw: &str) -> String {
    let mut out = String::new();
    for b in raw.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"%-._~!$&'()*+,;=:@/?".contains(&b);
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn action_name(a: KnownAction) -> &'static str {
    match a {
        KnownAction::Assign => "AssignPrivateIpAddresses",
        KnownAction::Unassign => "UnassignPrivateIpAddresses",
        KnownAction::Create => "CreateNetworkInterface",
        KnownAction::Delete => "DeleteNetworkInterface",
        KnownAction::Attach => "AttachNetworkInterface",
        KnownAction::Detach => "DetachNetworkInterface",
        KnownAction::Describe => "DescribeNetworkInterfaces",
        KnownAction::DescribeAttribute => "DescribeNetworkInterfaceAttribute",
    }
}

fn key_text(key: &Key) -> String {
    match key {
        Key::Name(n) => format!("{n:?}"),
        Key::Item(list, index) => {
            let n = match index {
                Index::N(n) => (1 + n % 50).to_string(),
                Index::Zero => "0".into(),
                Index::Over(n) => (51 + u32::from(*n)).to_string(),
                Index::LeadingZero(n) => format!("0{}", 1 + n % 50),
                Index::LeadingSpace(n) => format!(" {}", 1 + n % 50),
                Index::TrailingSpace(n) => format!("{} ", 1 + n % 50),
                Index::Negative(n) => format!("-{}", 1 + n % 50),
                Index::Plus(n) => format!("+{}", 1 + n % 50),
                Index::Letter => "x".into(),
                Index::Empty => String::new(),
                Index::Huge => "99999999999999999999999".into(),
                Index::Other(t) => t.0.clone(),
            };
            format!("{list:?}.{n}")
        }
        Key::Other(t) => t.0.clone(),
    }
}

fn value_text(value: &Value, seen: &Seen) -> String {
    match value {
        Value::Eni(n) => pick(&seen.enis, *n),
        Value::Instance(n) => pick(&seen.instances, *n),
        Value::VSwitch(n) => pick(&seen.vswitches, *n).0,
        Value::SecurityGroup(n) => pick(&seen.security_groups, *n),
        Value::Ip(ip) => ip_text(ip, seen),
        Value::Count(c) => match c {
            Count::N(n) => n.to_string(),
            Count::Huge => "18446744073709551617".into(),
            Count::Negative => "-1".into(),
            Count::Fraction => "1.5".into(),
            Count::Padded(n) => format!("0{n}"),
            Count::Plus(n) => format!("+{n}"),
            Count::Other(t) => t.0.clone(),
        },
        Value::ClientToken(n) => match n % 4 {
            0 => "token-a".into(),
            1 => "token-b".into(),
            2 => "t".repeat(65),
            _ => "tøken".into(),
        },
        Value::Word(n) => pick(
            &[
                "Available",
                "InUse",
                "Attaching",
                "Detaching",
                "Deleting",
                "Primary",
                "Secondary",
                "available",
            ],
            *n,
        )
        .to_owned(),
        Value::Empty => String::new(),
        Value::NonAscii(n) => pick(
            &["ｅｎｉ", "١٩٢.١٦٨.٠.٥", "\u{0}", "é", "😀", "\u{feff}1"],
            *n,
        )
        .to_owned(),
        Value::Other(t) => t.0.clone(),
        Value::Prefix(prefix) => prefix_text(prefix, seen),
    }
}

fn prefix_text(prefix: &Prefix, seen: &Seen) -> String {
    let block = |vswitch: u8, block: u8| {
        let (_, net) = pick(&seen.vswitches, vswitch);
        let blocks = 1u32 << 28u8.saturating_sub(net.prefix_len());
        let start = u32::from(net.network()).wrapping_add((u32::from(block) % blocks) * 16);
        Ipv4Addr::from(start)
    };
    match prefix {
        Prefix::Block { vswitch, block: n } => format!("{}/28", block(*vswitch, *n)),
        Prefix::Seen(n) if !seen.prefixes.is_empty() => pick(&seen.prefixes, *n),
        Prefix::Seen(n) => format!("{}/28", block(0, *n)),
        Prefix::Unaligned { vswitch, host } => {
            let (_, net) = pick(&seen.vswitches, *vswitch);
            let size = 1u64 << (32 - net.prefix_len());
            let base = u32::from(net.network());
            let address = Ipv4Addr::from(base.wrapping_add((u64::from(*host) % size) as u32));
            format!("{address}/28")
        }
        Prefix::Length { block: n, length } => format!("{}/{}", block(0, *n), length % 33),
        Prefix::Bare(n) => block(0, *n).to_string(),
        Prefix::Spaced(n) => format!(" {}/28", block(0, *n)),
        Prefix::Other(t) => t.0.clone(),
    }
}

fn ip_text(ip: &Ip, seen: &Seen) -> String {
    match ip {
        Ip::Host { vswitch, host } => {
            let (_, net) = pick(&seen.vswitches, *vswitch);
            let size = 1u64 << (32 - net.prefix_len());
            let base = u32::from(net.network());
            Ipv4Addr::from(base.wrapping_add((u64::from(*host) % size) as u32)).to_string()
        }
        Ip::Seen(n) if !seen.ips.is_empty() => pick(&seen.ips, *n),
        Ip::Seen(n) => Ipv4Addr::new(192, 168, 0, *n).to_string(),
        Ip::Outside(n) => Ipv4Addr::new(172, 16, 0, *n).to_string(),
        Ip::LeadingZeros(n) => format!("192.168.0.0{n}"),
        Ip::Ipv6 => "2408:4000::1".into(),
        Ip::Octet256 => "192.168.0.256".into(),
        Ip::ThreeOctets => "192.168.0".into(),
        Ip::Spaced(n) => format!(" 192.168.0.{n}"),
        Ip::Other(t) => t.0.clone(),
    }
}
