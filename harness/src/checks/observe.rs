//! Reading a target's state back: every ENI of the VSwitches a case uses, through paged
//! `DescribeNetworkInterfaces`, as the raw values the invariant checks compare: addresses and,
//! where the target shows them, IPv4 prefixes.

use std::collections::{BTreeMap, BTreeSet};

use super::{describe, plain_listing};
use crate::targets::{Connection, RawAnswer, TransportError};
use crate::wire::{Decoded, Format, Signing, WireRequest, decode_response};

/// Largest page `DescribeNetworkInterfaces` serves with `MaxResults`.
const PAGE_SIZE: &str = "500";
/// A VSwitch holds at most a /16's worth of addresses: 140 pages of 500 is more than that, so
/// a target whose `NextToken` never ends cannot keep a run busy forever.
const MAX_PAGES: usize = 140;

/// One ENI as `DescribeNetworkInterfaces` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EniView {
    /// `NetworkInterfaceId`, as the target spelled it.
    pub id: String,
    /// `Status` (`Available`, `InUse`, `Attaching`, …), as the target spelled it.
    pub status: String,
    /// `VSwitchId`: the VSwitch whose listing showed the ENI.
    pub vswitch_id: String,
    /// `InstanceId` of the instance it is attached to; `None` when detached.
    pub instance_id: Option<String>,
    /// The primary address, as the target spelled it.
    pub primary: Option<String>,
    /// Secondary addresses in the order the target listed them; repeats kept so that an ENI
    /// holding one address twice can be caught.
    pub secondaries: Vec<String>,
    /// IPv4 prefixes (`a.b.c.d/28`) in the order the target listed them, repeats kept; empty
    /// where the target shows none (and always under a contract without prefixes).
    pub prefixes: Vec<String>,
}

impl EniView {
    /// The secondary addresses without repeats or order.
    pub fn secondary_set(&self) -> BTreeSet<String> {
        self.secondaries.iter().cloned().collect()
    }

    /// The prefixes without repeats or order.
    pub fn prefix_set(&self) -> BTreeSet<String> {
        self.prefixes.iter().cloned().collect()
    }
}

/// The ENIs of some VSwitches at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observation {
    /// Every ENI listed, by id.
    pub enis: BTreeMap<String, EniView>,
    /// Requests it took, for the run's statistics.
    pub requests: usize,
}

/// Why the state could not be read back; each names the VSwitch whose listing failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObserveError {
    /// The listing got no answer.
    #[error("DescribeNetworkInterfaces for {vswitch_id}: {error}")]
    NoAnswer {
        /// The VSwitch being listed.
        vswitch_id: String,
        /// Why no answer came.
        #[source]
        error: TransportError,
    },
    #[error("DescribeNetworkInterfaces for {vswitch_id} answered {status} {code}")]
    /// The listing was answered with an error.
    Refused {
        /// The VSwitch being listed.
        vswitch_id: String,
        /// The answer's HTTP status.
        status: u16,
        /// The answer's code, `(no code)` when it had none.
        code: String,
    },
    #[error("an ENI of {vswitch_id} has no NetworkInterfaceId: {item}")]
    /// A listed item has no id to know it by.
    NoEniId {
        /// The VSwitch being listed.
        vswitch_id: String,
        /// The item, as JSON.
        item: String,
    },
    #[error(
        "DescribeNetworkInterfaces for {vswitch_id} did not stop paging after {MAX_PAGES} pages"
    )]
    /// The listing's `NextToken` never ended.
    EndlessPaging {
        /// The VSwitch being listed.
        vswitch_id: String,
    },
}

/// Reads every ENI of the given VSwitches.
pub(crate) async fn observe(
    connection: &dyn Connection,
    vswitch_ids: &[String],
    signing: Signing,
) -> Result<Observation, ObserveError> {
    observe_from(connection, vswitch_ids, signing, None).await
}

/// The first request [`observe`] sends for these VSwitches, if any: one a caller may send
/// ahead (pipelined behind a request) and hand to [`observe_from`] answered.
pub(crate) fn first_read(vswitch_ids: &[String], signing: Signing) -> Option<WireRequest> {
    let vswitch_id = vswitch_ids.first()?;
    Some(page_request(vswitch_id, None, signing))
}

/// [`observe`], with the answer to its [`first_read`] already in hand when `first` is given.
pub(crate) async fn observe_from(
    connection: &dyn Connection,
    vswitch_ids: &[String],
    signing: Signing,
    mut first: Option<RawAnswer>,
) -> Result<Observation, ObserveError> {
    let mut observation = Observation::default();
    for vswitch_id in vswitch_ids {
        let mut next_token: Option<String> = None;
        for _page in 0..MAX_PAGES {
            observation.requests += 1;
            let page = match first.take() {
                Some(answer) => answered_page(vswitch_id, &answer),
                None => {
                    let request = page_request(vswitch_id, next_token.as_deref(), signing);
                    let exchange = connection.send(&request).await.map_err(|error| {
                        ObserveError::NoAnswer {
                            vswitch_id: vswitch_id.clone(),
                            error,
                        }
                    })?;
                    decoded_page(vswitch_id, exchange.status, &exchange.decoded)
                }
            }?;
            for view in page.enis {
                observation.enis.insert(view.id.clone(), view);
            }
            next_token = page.next_token;
            if next_token.is_none() {
                break;
            }
        }
        if next_token.is_some() {
            return Err(ObserveError::EndlessPaging {
                vswitch_id: vswitch_id.clone(),
            });
        }
    }
    Ok(observation)
}

/// What one page of a VSwitch's listing shows.
#[derive(Debug, PartialEq)]
struct Page {
    /// Its ENIs, in the order listed.
    enis: Vec<EniView>,
    /// The token of the next page; `None` on the last.
    next_token: Option<String>,
}

/// The page an answer not yet decoded shows: read straight from the body where it is a plain
/// listing, decoded otherwise. Either way the same page, or the same error.
fn answered_page(vswitch_id: &str, answer: &RawAnswer) -> Result<Page, ObserveError> {
    if let Some(page) = plain_page(answer) {
        return Ok(page);
    }
    let decoded = decode_response(answer.status, answer.content_type.as_deref(), &answer.body);
    decoded_page(vswitch_id, answer.status, &decoded)
}

/// The page of a successful plain listing; `None` for any other answer, and for a listing
/// with an item the checks cannot know (the decoded reading names it in its error).
fn plain_page(answer: &RawAnswer) -> Option<Page> {
    if answer.status != 200 {
        return None;
    }
    let plain = plain_listing::read(&answer.body)?;
    Some(Page {
        enis: plain
            .enis
            .into_iter()
            .map(view_of)
            .collect::<Option<Vec<_>>>()?,
        next_token: non_empty(plain.next_token),
    })
}

/// The page a decoded answer shows.
fn decoded_page(vswitch_id: &str, status: u16, decoded: &Decoded) -> Result<Page, ObserveError> {
    if status != 200 {
        return Err(ObserveError::Refused {
            vswitch_id: vswitch_id.to_string(),
            status,
            code: decoded
                .code
                .clone()
                .unwrap_or_else(|| "(no code)".to_string()),
        });
    }
    let enis = describe::listed(decoded)
        .into_iter()
        .flatten()
        .map(|set| {
            eni_view(set).ok_or_else(|| ObserveError::NoEniId {
                vswitch_id: vswitch_id.to_string(),
                item: set.to_string(),
            })
        })
        .collect::<Result<_, _>>()?;
    let next_token = decoded
        .get("NextToken")
        .and_then(|value| value.as_str())
        .filter(|token| !token.is_empty())
        .map(str::to_string);
    Ok(Page { enis, next_token })
}

/// Whether the two readings of a successful listing's `body` agree: wherever the plain
/// reader reads a page, decoding the body reads the same one. For the fuzz targets, which hold
/// every body they make to it; `false` is a bug in this crate.
#[doc(hidden)]
pub fn listing_readings_agree(content_type: Option<&str>, body: &[u8]) -> bool {
    let answer = RawAnswer {
        status: 200,
        content_type: content_type.map(str::to_string),
        body: bytes::Bytes::copy_from_slice(body),
        elapsed: std::time::Duration::ZERO,
    };
    match plain_page(&answer) {
        None => true,
        Some(plain) => {
            let decoded = decode_response(200, content_type, body);
            decoded_page("vsw", 200, &decoded).is_ok_and(|page| page == plain)
        }
    }
}

/// One page of one VSwitch's ENIs: the first without a token.
fn page_request(vswitch_id: &str, next_token: Option<&str>, signing: Signing) -> WireRequest {
    let mut params = vec![
        (
            "Action".to_string(),
            "DescribeNetworkInterfaces".to_string(),
        ),
        ("VSwitchId".to_string(), vswitch_id.to_string()),
        ("MaxResults".to_string(), PAGE_SIZE.to_string()),
    ];
    if let Some(token) = next_token {
        params.push(("NextToken".to_string(), token.to_string()));
    }
    WireRequest {
        params,
        format: Format::Json,
        signing,
        ..WireRequest::default()
    }
}

fn non_empty(field: Option<String>) -> Option<String> {
    field.filter(|field| !field.is_empty())
}

fn eni_view(set: &serde_json::Value) -> Option<EniView> {
    view_of(describe::eni(set))
}

/// The view of an ENI as an answer shows it; `None` when it has no id to know it by.
fn view_of(shown: describe::DescribedEni) -> Option<EniView> {
    let mut primary = non_empty(shown.private_ip);
    let mut secondaries = Vec::new();
    for ip in shown.ips.into_iter().filter(|ip| !ip.address.is_empty()) {
        if ip.primary {
            primary.get_or_insert(ip.address);
        } else {
            secondaries.push(ip.address);
        }
    }
    Some(EniView {
        id: non_empty(shown.id)?,
        status: shown.status.unwrap_or_default(),
        vswitch_id: shown.vswitch_id.unwrap_or_default(),
        instance_id: non_empty(shown.instance_id),
        primary,
        secondaries,
        prefixes: shown
            .prefixes
            .into_iter()
            .filter(|prefix| !prefix.is_empty())
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;
    use crate::targets::{EmbeddedTarget, EmulatorKnobs};

    fn request(params: &[(&str, &str)], format: Format) -> WireRequest {
        WireRequest {
            params: params
                .iter()
                .map(|(key, value)| (key.to_string(), value.to_string()))
                .collect(),
            format,
            ..WireRequest::default()
        }
    }

    /// What the emulator answers to state reads: each VSwitch of the built-in world listed in
    /// both formats and both paging styles, after ENIs were created on it, attached, given
    /// addresses and (under the `current` contract) IPv4 prefixes, in the reference world and
    /// in a variant one.
    async fn emulator_listings() -> Vec<(Option<String>, bytes::Bytes)> {
        let current = Profile::parse(
            include_str!("../../../profiles/current.yaml"),
            "profiles/current.yaml",
        )
        .unwrap();
        let mut out = Vec::new();
        for profile in [Profile::embedded(), current] {
            for variant in [None, Some(3)] {
                let target = EmbeddedTarget::new(&profile).with_variant(variant);
                let connection = target.open(&EmulatorKnobs::default());
                let vswitches: Vec<&str> = profile
                    .fixtures
                    .values()
                    .filter_map(|fixture| match fixture {
                        crate::profile::Fixture::VSwitch { id, .. } => Some(id.as_str()),
                        _ => None,
                    })
                    .collect();
                let group = profile.fixtures["security_group"].id().to_string();
                // Twelve ENIs on the main VSwitch, so that its first page of ten has a next one.
                let main = profile.fixtures["vswitch"].id();
                let on = std::iter::repeat_n(&main, 12).chain(vswitches.iter());
                for (n, vswitch) in on.enumerate() {
                    let params = [
                        ("Action", "CreateNetworkInterface"),
                        ("VSwitchId", vswitch),
                        ("SecurityGroupId", &group),
                    ];
                    let created = connection.send(&request(&params, Format::Json)).await;
                    let created = created.unwrap();
                    let Some(id) = created.decoded.get("NetworkInterfaceId") else {
                        continue;
                    };
                    let id = id.as_str().unwrap().to_string();
                    let count = (n % 3).to_string();
                    let mut assign = vec![
                        ("Action", "AssignPrivateIpAddresses"),
                        ("NetworkInterfaceId", id.as_str()),
                        ("SecondaryPrivateIpAddressCount", count.as_str()),
                    ];
                    if profile.contract.name == "current" && n % 2 == 1 {
                        assign[2] = ("Ipv4PrefixCount", "1");
                    }
                    connection
                        .send(&request(&assign, Format::Json))
                        .await
                        .unwrap();
                    if n == 0 {
                        let attach = [
                            ("Action", "AttachNetworkInterface"),
                            ("NetworkInterfaceId", id.as_str()),
                            ("InstanceId", profile.fixtures["running_instance"].id()),
                        ];
                        connection
                            .send(&request(&attach, Format::Json))
                            .await
                            .unwrap();
                    }
                }
                for vswitch in &vswitches {
                    for paging in [("MaxResults", "10"), ("PageSize", "100")] {
                        for format in [Format::Json, Format::Xml] {
                            let params = [
                                ("Action", "DescribeNetworkInterfaces"),
                                ("VSwitchId", vswitch),
                                paging,
                            ];
                            let read = connection.send(&request(&params, format)).await.unwrap();
                            assert_eq!(read.status, 200, "{:?}", read.body);
                            out.push((read.content_type, read.body));
                        }
                    }
                }
            }
        }
        out
    }

    fn answer(body: &[u8]) -> RawAnswer {
        RawAnswer {
            status: 200,
            content_type: Some("application/json;charset=utf-8".into()),
            body: bytes::Bytes::copy_from_slice(body),
            elapsed: std::time::Duration::ZERO,
        }
    }

    #[tokio::test]
    async fn every_json_listing_the_emulator_answers_is_read_plainly_as_it_decodes() {
        let listings = emulator_listings().await;
        let (mut plain, mut tokens, mut prefixes, mut attached) = (0, 0, 0, 0);
        for (content_type, body) in &listings {
            let text = String::from_utf8_lossy(body);
            let answer = RawAnswer {
                content_type: content_type.clone(),
                ..answer(body)
            };
            match plain_page(&answer) {
                Some(page) => {
                    plain += 1;
                    tokens += usize::from(page.next_token.is_some());
                    prefixes += usize::from(page.enis.iter().any(|eni| !eni.prefixes.is_empty()));
                    attached += usize::from(page.enis.iter().any(|eni| eni.instance_id.is_some()));
                    let decoded = decode_response(200, content_type.as_deref(), body);
                    assert_eq!(Ok(page), decoded_page("vsw", 200, &decoded), "{text}");
                }
                None => assert!(text.starts_with('<'), "a JSON listing given way: {text}"),
            }
            assert!(
                listing_readings_agree(content_type.as_deref(), body),
                "{text}"
            );
        }
        // Half the listings are JSON; among them pages with a next token, prefixes, and an
        // attached ENI, so that the plain reading is held to each.
        assert_eq!(plain * 2, listings.len());
        assert!(
            tokens > 0 && prefixes > 0 && attached > 0,
            "{tokens} {prefixes} {attached}"
        );
    }

    #[tokio::test]
    async fn damaged_listings_read_plainly_read_as_they_decode() {
        let listings = emulator_listings().await;
        // The three longest: first pages of ten of the main VSwitch, with a next token, an
        // attached ENI and, under the `current` contract, prefixes.
        let mut bodies: Vec<&bytes::Bytes> = listings
            .iter()
            .filter(|(content_type, _)| {
                content_type
                    .as_deref()
                    .is_some_and(|ct| ct.contains("json"))
            })
            .map(|(_, body)| body)
            .collect();
        bodies.sort_by_key(|body| std::cmp::Reverse(body.len()));
        let replacements = b"\"{}[],:0n \\x\xff";
        let (mut tried, mut still_plain) = (0, 0);
        for body in bodies.into_iter().take(3) {
            // About 80 places in each, spread over the whole body.
            for at in (0..body.len()).step_by(body.len() / 80 + 1) {
                for &byte in replacements {
                    let mut damaged = body.to_vec();
                    damaged[at] = byte;
                    tried += 1;
                    still_plain += usize::from(plain_page(&answer(&damaged)).is_some());
                    assert!(
                        listing_readings_agree(Some("application/json"), &damaged),
                        "{}",
                        String::from_utf8_lossy(&damaged)
                    );
                }
            }
        }
        // Most damage leaves a readable listing (a changed letter) or none at all.
        assert!(
            still_plain > tried / 10 && still_plain < tried,
            "{still_plain} of {tried}"
        );
    }

    #[test]
    fn the_plain_reading_gives_way_where_the_decoder_reads_otherwise() {
        let eni = r#"{"NetworkInterfaceId":"eni-1","Status":"InUse","VSwitchId":"vsw-1","PrivateIpSets":{"PrivateIpSet":[{"PrivateIpAddress":"10.0.0.2","Primary":true}]}}"#;
        let page = |sets: &str| format!(r#"{{"RequestId":"R","NetworkInterfaceSets":{sets}}}"#);
        let listing = |items: &str| page(&format!(r#"{{"NetworkInterfaceSet":[{items}]}}"#));
        let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        let given_way = [
            // Lists as the decoder mends them: empty, bare, null or text.
            page("{}"),
            page("null"),
            page(r#""""#),
            page(&format!(r#"{{"NetworkInterfaceSet":{eni}}}"#)),
            r#"{"RequestId":"R"}"#.to_string(),
            listing(
                &eni.replace(r#"[{"PrivateIpAddress""#, r#"{"PrivateIpAddress""#)
                    .replace("true}]", "true}"),
            ),
            listing(&eni.replace(
                r#"{"PrivateIpSet":[{"PrivateIpAddress":"10.0.0.2","Primary":true}]}"#,
                r#""""#,
            )),
            // Values of other types than endpoints send, which the decoder turns into text.
            listing(&eni.replace(r#""InUse""#, "7")),
            listing(&eni.replace("true", "1")),
            listing(&eni.replace(r#""eni-1""#, "{}")),
            listing(r#""eni-1""#),
            page(r#"{"NetworkInterfaceSet":[]},"NextToken":5"#),
            // A field given twice: the decoder keeps the last.
            listing(&eni.replace(
                r#""Status":"InUse""#,
                r#""Status":"InUse","Status":"Deleting""#,
            )),
            page(r#"{"NetworkInterfaceSet":[]},"NetworkInterfaceSets":{"NetworkInterfaceSet":[]}"#),
            // An item without an id: the decoded reading names it in its error.
            listing(&eni.replace(r#""NetworkInterfaceId":"eni-1","#, "")),
            listing(&eni.replace(r#""eni-1""#, r#""""#)),
            // Nesting past the decoder's depth, and a number it refuses, where nobody looks.
            listing(&eni.replace(r#""Status""#, &format!(r#""Deep":{},"Status""#, deep(61)))),
            listing(&eni.replace(r#""Status""#, r#""Huge":1e400,"Status""#)),
            // Not UTF-8, a byte-order mark, a second document, not an object.
            format!("\u{feff}{}", listing(eni)),
            listing(eni).replace("vsw-1", "vsw-\u{0}1"),
            format!("{} {{}}", listing(eni)),
            format!("[{}]", listing(eni)),
        ];
        for body in &given_way {
            assert_eq!(plain_page(&answer(body.as_bytes())), None, "{body}");
            assert!(listing_readings_agree(None, body.as_bytes()), "{body}");
        }
        let mut bad_utf8 = listing(eni).into_bytes();
        bad_utf8[40] = 0xff;
        assert_eq!(plain_page(&answer(&bad_utf8)), None);

        let read = [
            listing(eni),
            listing(""),
            // Nesting up to the decoder's depth, a field it skips, text escaped, nulls.
            listing(&eni.replace(r#""Status""#, &format!(r#""Deep":{},"Status""#, deep(60)))),
            listing(&eni.replace("eni-1", r#"eni-\u0031"#)),
            listing(&eni.replace(
                r#""VSwitchId":"vsw-1""#,
                r#""VSwitchId":null,"InstanceId":null"#,
            )),
            listing(&eni.replace("true", r#""true""#)),
            listing(&eni.replace("true", "null")),
            listing(&eni.replace(
                r#"{"PrivateIpSet":[{"PrivateIpAddress":"10.0.0.2","Primary":true}]}"#,
                r#"{"Other":[]}"#,
            )),
            listing(&eni.replace(r#""PrivateIpAddress":"10.0.0.2","#, "")),
            listing(&format!("{eni},{}", eni.replace("eni-1", "eni-2"))),
            listing(&format!("{eni},{eni}")),
            page(r#"{"NetworkInterfaceSet":[],"Extra":{"a":[1,2.5,true,null]}},"NextToken":"""#),
            page(r#"{"NetworkInterfaceSet":[]},"NextToken":"abc""#),
            format!(" \r\n{}\t", listing(eni)),
        ];
        for body in &read {
            assert!(plain_page(&answer(body.as_bytes())).is_some(), "{body}");
            assert!(listing_readings_agree(None, body.as_bytes()), "{body}");
        }
        let page = plain_page(&answer(read[2].as_bytes())).unwrap();
        assert_eq!(page.enis[0].id, "eni-1");
        assert_eq!(page.enis[0].primary.as_deref(), Some("10.0.0.2"));
        assert_eq!(
            plain_page(&answer(read[12].as_bytes()))
                .unwrap()
                .next_token
                .as_deref(),
            Some("abc")
        );
    }

    #[test]
    fn reads_primary_and_secondaries_from_a_describe_entry() {
        let set = serde_json::json!({
            "NetworkInterfaceId": "eni-1", "Status": "InUse", "VSwitchId": "vsw-1",
            "InstanceId": "i-1", "PrivateIpAddress": "10.0.0.2",
            "PrivateIpSets": {"PrivateIpSet": [
                {"PrivateIpAddress": "10.0.0.2", "Primary": "true"},
                {"PrivateIpAddress": "10.0.0.7", "Primary": "false"},
                {"PrivateIpAddress": "10.0.0.7", "Primary": "false"}
            ]},
            "Ipv4PrefixSets": {"Ipv4PrefixSet": [{"Ipv4Prefix": "10.0.0.16/28"}, {"Ipv4Prefix": ""}]}
        });
        let view = eni_view(&set).unwrap();
        assert_eq!(view.prefixes, ["10.0.0.16/28"]);
        assert_eq!(view.primary.as_deref(), Some("10.0.0.2"));
        assert_eq!(view.secondaries, ["10.0.0.7", "10.0.0.7"]);
        assert_eq!(view.instance_id.as_deref(), Some("i-1"));
    }
}
