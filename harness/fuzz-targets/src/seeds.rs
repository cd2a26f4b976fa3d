//! Seeds for the fuzz targets, written as values: scenarios that reach the emulator's deep
//! states, and the emulator's real answers for the decoder. `fuzz/seeds/` holds their bytes;
//! the tests below keep the two in step (regenerate with
//! `cargo test -p eni-fuzz-targets --lib seeds -- --ignored write_seeds`).

use crate::codec::{List, Text};
use crate::decode_response::{ContentType, DecodeInput};
use crate::emulator_request::{
    ActionName, BodyExtra, Count, FormatParam, Header, HttpMethod, Index, Ip, Key, Knobs,
    KnownAction, ListName, Name, Op, Param, Prefix, RegionParam, Request, Scenario, Value,
};

/// Index of the first ENI a scenario creates among the ids it knows: the builtin world's
/// three primary ENIs and one id that never existed come first.
const CREATED: u8 = 4;
/// Index of the builtin world's running instance, and of its small VSwitch.
const RUNNING: u8 = 0;
const SMALL_VSWITCH: u8 = 1;

fn request(action: KnownAction, params: Vec<Param>) -> Request {
    Request {
        method: HttpMethod::Get,
        action: ActionName::Known(action),
        format: FormatParam::Json,
        region: RegionParam::Right,
        params: List(params),
        headers: List::default(),
        raw_query: None,
        body: BodyExtra::None,
    }
}

fn send(action: KnownAction, params: Vec<Param>) -> Op {
    Op::Send(request(action, params))
}

/// `action` on the first created ENI with `params` after its id, the shape most seeds send.
fn on_created(action: KnownAction, params: Vec<Param>) -> Op {
    send(action, [eni(CREATED)].into_iter().chain(params).collect())
}

/// `action` on the first created ENI with one item of `list`.
fn one_item(action: KnownAction, list: ListName, index: Index, value: Value) -> Op {
    on_created(action, vec![item(list, index, value)])
}

fn p(name: Name, value: Value) -> Param {
    Param {
        key: Key::Name(name),
        value,
        in_body: false,
    }
}

fn item(list: ListName, index: Index, value: Value) -> Param {
    Param {
        key: Key::Item(list, index),
        value,
        in_body: false,
    }
}

fn eni(n: u8) -> Param {
    p(Name::NetworkInterfaceId, Value::Eni(n))
}

fn count(n: u8) -> Param {
    p(
        Name::SecondaryPrivateIpAddressCount,
        Value::Count(Count::N(n)),
    )
}

fn host(vswitch: u8, host: u8) -> Value {
    Value::Ip(Ip::Host { vswitch, host })
}

fn create(vswitch: u8) -> Op {
    send(
        KnownAction::Create,
        vec![
            p(Name::VSwitchId, Value::VSwitch(vswitch)),
            p(Name::SecurityGroupId, Value::SecurityGroup(0)),
        ],
    )
}

fn scenario(knobs: Knobs, ops: Vec<Op>) -> Scenario {
    Scenario {
        knobs,
        ops: List(ops),
    }
}

/// Scenarios that each walk into one corner of the contract.
pub(crate) fn emulator_request_seeds() -> Vec<(&'static str, Scenario)> {
    use KnownAction::*;
    let plain = Knobs::default();
    let current = Knobs {
        current_profile: true,
        ..Knobs::default()
    };
    vec![
        (
            "create-assign-describe",
            scenario(
                plain,
                vec![
                    create(0),
                    one_item(Assign, ListName::PrivateIpAddress, Index::N(0), host(0, 10)),
                    send(
                        Describe,
                        vec![item(
                            ListName::NetworkInterfaceId,
                            Index::N(0),
                            Value::Eni(CREATED),
                        )],
                    ),
                    send(DescribeAttribute, vec![eni(CREATED)]),
                ],
            ),
        ),
        (
            "assign-to-cap",
            scenario(
                plain,
                vec![
                    create(0),
                    on_created(Assign, vec![count(10)]),
                    on_created(Assign, vec![count(1)]),
                ],
            ),
        ),
        (
            "small-vswitch-runs-out",
            scenario(
                plain,
                vec![
                    create(SMALL_VSWITCH),
                    on_created(Assign, vec![count(2)]),
                    create(SMALL_VSWITCH),
                    send(Assign, vec![eni(CREATED + 1), count(2)]),
                ],
            ),
        ),
        (
            "attach-assign-detach-delete",
            scenario(
                plain,
                vec![
                    create(0),
                    on_created(Attach, vec![p(Name::InstanceId, Value::Instance(RUNNING))]),
                    on_created(Assign, vec![count(1)]),
                    Op::Advance(3),
                    on_created(Assign, vec![count(5)]),
                    on_created(Assign, vec![count(1)]),
                    on_created(Detach, vec![p(Name::InstanceId, Value::Instance(RUNNING))]),
                    Op::Advance(3),
                    send(Delete, vec![eni(CREATED)]),
                    on_created(Assign, vec![count(1)]),
                    Op::Advance(3),
                    send(Describe, vec![]),
                ],
            ),
        ),
        (
            "malformed-list-keys-and-values",
            scenario(
                plain,
                vec![
                    create(0),
                    one_item(
                        Assign,
                        ListName::PrivateIpAddress,
                        Index::LeadingSpace(0),
                        host(0, 11),
                    ),
                    one_item(Assign, ListName::PrivateIpAddress, Index::Zero, host(0, 11)),
                    one_item(
                        Assign,
                        ListName::PrivateIpAddress,
                        Index::Over(0),
                        host(0, 11),
                    ),
                    one_item(
                        Assign,
                        ListName::PrivateIpAddress,
                        Index::LeadingZero(0),
                        host(0, 11),
                    ),
                    one_item(
                        Assign,
                        ListName::PrivateIpAddress,
                        Index::N(0),
                        Value::Ip(Ip::Ipv6),
                    ),
                    one_item(
                        Assign,
                        ListName::PrivateIpAddress,
                        Index::N(0),
                        Value::Ip(Ip::LeadingZeros(5)),
                    ),
                    on_created(
                        Assign,
                        vec![
                            item(ListName::PrivateIpAddress, Index::N(0), host(0, 12)),
                            item(ListName::PrivateIpAddress, Index::N(2), host(0, 12)),
                        ],
                    ),
                    on_created(
                        Assign,
                        vec![p(
                            Name::SecondaryPrivateIpAddressCount,
                            Value::Count(Count::Huge),
                        )],
                    ),
                    on_created(
                        Assign,
                        vec![p(Name::SecondaryPrivateIpAddressCount, Value::NonAscii(1))],
                    ),
                    on_created(
                        Assign,
                        vec![
                            count(1),
                            item(ListName::PrivateIpAddress, Index::N(0), host(0, 13)),
                        ],
                    ),
                ],
            ),
        ),
        (
            "reserved-outside-and-taken",
            scenario(
                plain,
                vec![
                    create(0),
                    one_item(
                        Assign,
                        ListName::PrivateIpAddress,
                        Index::N(0),
                        host(0, 255),
                    ),
                    one_item(
                        Assign,
                        ListName::PrivateIpAddress,
                        Index::N(0),
                        Value::Ip(Ip::Outside(9)),
                    ),
                    one_item(
                        Assign,
                        ListName::PrivateIpAddress,
                        Index::N(0),
                        host(0, 200),
                    ),
                    one_item(
                        Assign,
                        ListName::PrivateIpAddress,
                        Index::N(0),
                        host(SMALL_VSWITCH, 3),
                    ),
                    send(Assign, vec![eni(3), count(1)]),
                    // Atomicity: the first address is fine, the second is taken.
                    on_created(
                        Assign,
                        vec![
                            item(ListName::PrivateIpAddress, Index::N(0), host(0, 20)),
                            item(ListName::PrivateIpAddress, Index::N(1), host(0, 200)),
                        ],
                    ),
                    send(DescribeAttribute, vec![eni(CREATED)]),
                ],
            ),
        ),
        (
            "client-token-replay-and-mismatch",
            scenario(
                plain,
                vec![
                    create(0),
                    on_created(
                        Assign,
                        vec![count(2), p(Name::ClientToken, Value::ClientToken(0))],
                    ),
                    on_created(
                        Assign,
                        vec![count(2), p(Name::ClientToken, Value::ClientToken(0))],
                    ),
                    on_created(
                        Assign,
                        vec![count(3), p(Name::ClientToken, Value::ClientToken(0))],
                    ),
                    on_created(
                        Assign,
                        vec![count(1), p(Name::ClientToken, Value::ClientToken(2))],
                    ),
                ],
            ),
        ),
        (
            "unassign-seen-addresses",
            scenario(
                plain,
                vec![
                    create(0),
                    on_created(Assign, vec![count(3)]),
                    one_item(
                        Unassign,
                        ListName::PrivateIpAddress,
                        Index::N(0),
                        Value::Ip(Ip::Seen(1)),
                    ),
                    one_item(
                        Unassign,
                        ListName::PrivateIpAddress,
                        Index::N(0),
                        Value::Ip(Ip::Seen(0)),
                    ),
                    send(Unassign, vec![eni(CREATED)]),
                    one_item(
                        Unassign,
                        ListName::PrivateIpAddress,
                        Index::N(0),
                        host(0, 100),
                    ),
                    send(Describe, vec![]),
                ],
            ),
        ),
        (
            "busy-eni-conflict",
            scenario(
                Knobs {
                    busy_tasks: true,
                    ..plain
                },
                vec![
                    create(0),
                    on_created(Assign, vec![count(1)]),
                    on_created(Assign, vec![count(1)]),
                    Op::Advance(1),
                    on_created(Assign, vec![count(1)]),
                ],
            ),
        ),
        (
            "current-profile-seeded-allocation",
            scenario(
                Knobs {
                    busy_tasks: false,
                    current_profile: true,
                    seeded_allocation: true,
                },
                vec![
                    create(0),
                    on_created(Assign, vec![count(40)]),
                    on_created(Assign, vec![count(10)]),
                ],
            ),
        ),
        (
            "post-form-xml-and-v3-headers",
            scenario(
                plain,
                vec![
                    create(0),
                    Op::Send(Request {
                        method: HttpMethod::Post,
                        format: FormatParam::Xml,
                        params: List(vec![
                            Param {
                                in_body: true,
                                ..eni(CREATED)
                            },
                            Param {
                                in_body: true,
                                ..count(2)
                            },
                        ]),
                        ..request(Assign, vec![])
                    }),
                    Op::Send(Request {
                        format: FormatParam::Absent,
                        headers: List(vec![
                            Header::AcsAction(ActionName::Known(Describe)),
                            Header::AcsVersion(true),
                            Header::Authorization(Text::new("00")),
                        ]),
                        ..request(Assign, vec![])
                    }),
                ],
            ),
        ),
        (
            "describe-filters-and-paging",
            scenario(
                plain,
                vec![
                    create(0),
                    create(0),
                    send(
                        Describe,
                        vec![p(Name::MaxResults, Value::Count(Count::N(10)))],
                    ),
                    send(
                        Describe,
                        vec![p(Name::NextToken, Value::Other(Text::new("1")))],
                    ),
                    send(
                        Describe,
                        vec![
                            p(Name::PageNumber, Value::Count(Count::N(2))),
                            p(Name::PageSize, Value::Count(Count::N(1))),
                        ],
                    ),
                    send(
                        Describe,
                        vec![
                            p(Name::Status, Value::Word(0)),
                            p(Name::VSwitchId, Value::VSwitch(0)),
                        ],
                    ),
                    send(
                        Describe,
                        vec![item(ListName::PrivateIpAddress, Index::N(0), host(0, 200))],
                    ),
                ],
            ),
        ),
        (
            "common-errors",
            scenario(
                plain,
                vec![
                    Op::Send(Request {
                        action: ActionName::Missing,
                        ..request(Describe, vec![])
                    }),
                    Op::Send(Request {
                        action: ActionName::Other(Text::new("assignprivateipaddresses")),
                        ..request(Describe, vec![])
                    }),
                    Op::Send(Request {
                        format: FormatParam::Other(Text::new("YAML")),
                        ..request(Describe, vec![])
                    }),
                    Op::Send(Request {
                        region: RegionParam::Other(Text::new("cn-nowhere")),
                        ..request(Describe, vec![])
                    }),
                    Op::Send(Request {
                        raw_query: Some(Text::new("PrivateIpAddress.1=%zz&%FF=%")),
                        ..request(Assign, vec![eni(0)])
                    }),
                    Op::Send(Request {
                        method: HttpMethod::Post,
                        body: BodyExtra::Large(17),
                        ..request(Describe, vec![])
                    }),
                    Op::Send(Request {
                        method: HttpMethod::Post,
                        headers: List(vec![Header::ContentType(3, Text::new("text/plain"))]),
                        body: BodyExtra::Raw(Text::new("Action=DescribeNetworkInterfaces")),
                        ..request(Describe, vec![])
                    }),
                ],
            ),
        ),
        (
            "prefixes-assign-unassign",
            scenario(
                current,
                vec![
                    create(0),
                    one_item(Assign, ListName::Ipv4Prefix, Index::N(0), block(0, 1)),
                    on_created(Assign, vec![prefix_count(2)]),
                    send(DescribeAttribute, vec![eni(CREATED)]),
                    on_created(
                        Unassign,
                        vec![
                            item(ListName::Ipv4Prefix, Index::N(0), seen_prefix(0)),
                            item(ListName::Ipv4Prefix, Index::N(1), seen_prefix(1)),
                        ],
                    ),
                    send(
                        Describe,
                        vec![item(
                            ListName::NetworkInterfaceId,
                            Index::N(0),
                            Value::Eni(CREATED),
                        )],
                    ),
                    // A prefix over an address in use (the running instance's primary).
                    one_item(Assign, ListName::Ipv4Prefix, Index::N(0), block(0, 12)),
                    // Exhausting the small VSwitch's blocks: a /29 has none.
                    on_created(Assign, vec![prefix_count(10)]),
                ],
            ),
        ),
        (
            "prefixes-create-delete",
            scenario(
                current,
                vec![
                    send(
                        Create,
                        vec![
                            p(Name::VSwitchId, Value::VSwitch(0)),
                            p(Name::SecurityGroupId, Value::SecurityGroup(0)),
                            prefix_count(1),
                        ],
                    ),
                    // The prefix the first create took, asked for again.
                    send(
                        Create,
                        vec![
                            p(Name::VSwitchId, Value::VSwitch(0)),
                            p(Name::SecurityGroupId, Value::SecurityGroup(0)),
                            item(ListName::Ipv4Prefix, Index::N(0), seen_prefix(0)),
                        ],
                    ),
                    // Prefixes beside secondary addresses: refused.
                    send(
                        Create,
                        vec![
                            p(Name::VSwitchId, Value::VSwitch(0)),
                            p(Name::SecurityGroupId, Value::SecurityGroup(0)),
                            count(1),
                            prefix_count(1),
                        ],
                    ),
                    send(Delete, vec![eni(CREATED)]),
                    Op::Advance(3),
                    send(
                        Assign,
                        vec![
                            eni(0),
                            item(ListName::Ipv4Prefix, Index::N(0), seen_prefix(0)),
                        ],
                    ),
                ],
            ),
        ),
        (
            "prefixes-invalid-mixes",
            scenario(
                current,
                vec![
                    create(0),
                    on_created(
                        Assign,
                        vec![
                            item(ListName::PrivateIpAddress, Index::N(0), host(0, 40)),
                            item(ListName::Ipv4Prefix, Index::N(0), block(0, 3)),
                        ],
                    ),
                    on_created(
                        Assign,
                        vec![
                            item(ListName::Ipv4Prefix, Index::N(0), block(0, 3)),
                            prefix_count(1),
                        ],
                    ),
                    on_created(Assign, vec![count(1), prefix_count(1)]),
                    one_item(
                        Assign,
                        ListName::Ipv4Prefix,
                        Index::N(0),
                        Value::Prefix(Prefix::Unaligned {
                            vswitch: 0,
                            host: 49,
                        }),
                    ),
                    one_item(
                        Assign,
                        ListName::Ipv4Prefix,
                        Index::N(0),
                        Value::Prefix(Prefix::Length {
                            block: 3,
                            length: 27,
                        }),
                    ),
                    one_item(Assign, ListName::Ipv4Prefix, Index::N(10), block(0, 3)),
                    on_created(
                        Assign,
                        vec![
                            item(ListName::Ipv4Prefix, Index::N(0), block(0, 3)),
                            item(ListName::Ipv4Prefix, Index::N(1), block(0, 3)),
                        ],
                    ),
                    // The reserved first block, and one outside every VSwitch.
                    one_item(Assign, ListName::Ipv4Prefix, Index::N(0), block(0, 0)),
                    one_item(Assign, ListName::Ipv4Prefix, Index::N(0), block(2, 1)),
                    on_created(Assign, vec![prefix_count(11)]),
                    on_created(
                        Unassign,
                        vec![
                            item(ListName::PrivateIpAddress, Index::N(0), host(0, 40)),
                            item(ListName::Ipv4Prefix, Index::N(0), block(0, 3)),
                        ],
                    ),
                ],
            ),
        ),
    ]
}

fn prefix_count(n: u8) -> Param {
    p(Name::Ipv4PrefixCount, Value::Count(Count::N(n)))
}

fn block(vswitch: u8, block: u8) -> Value {
    Value::Prefix(Prefix::Block { vswitch, block })
}

fn seen_prefix(n: u8) -> Value {
    Value::Prefix(Prefix::Seen(n))
}

/// The decoder's seeds: every answer the emulator gives to the scenario seeds (JSON and XML,
/// success and error), under their real status and content type.
pub(crate) fn decode_response_seeds() -> Vec<(String, DecodeInput)> {
    let mut out = Vec::new();
    // One body per format, status and code is plenty.
    let mut kinds = std::collections::BTreeSet::new();
    for (name, scenario) in emulator_request_seeds() {
        for format in [FormatParam::Json, FormatParam::Xml] {
            let mut scenario = scenario.clone();
            for op in &mut scenario.ops.0 {
                if let Op::Send(r) = op {
                    r.format = format.clone();
                }
            }
            let answers = crate::emulator_request::answers(&scenario);
            for (i, (status, content_type, body)) in answers.into_iter().enumerate() {
                let content_type = match content_type.as_deref() {
                    Some(ct) if ct.contains("json") => ContentType::Json,
                    Some(ct) if ct.contains("xml") => ContentType::Xml,
                    Some(ct) => ContentType::Other(Text::new(ct)),
                    None => ContentType::None,
                };
                let word = if format == FormatParam::Json {
                    "json"
                } else {
                    "xml"
                };
                let code = eni_harness::wire::decode_response(status, None, &body).code;
                if !kinds.insert((word, status, code)) {
                    continue;
                }
                out.push((
                    format!("{name}-{i}-{word}"),
                    DecodeInput {
                        status,
                        content_type,
                        paths: List(vec![Text::new("NetworkInterfaceSets.NetworkInterfaceSet[*].PrivateIpSets.PrivateIpSet[*].PrivateIpAddress")]),
                        body: super::codec::Rest(body),
                    },
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::codec::{from_bytes, to_bytes};

    /// The repository's root: this crate lives two folders below it.
    fn repository() -> &'static Path {
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
    }

    fn seeds_dir(target: &str) -> PathBuf {
        repository().join("fuzz/seeds").join(target)
    }

    /// A sample of the case files: every invalid one, and the first few of each folder.
    fn case_seeds() -> Vec<(String, Vec<u8>)> {
        let cases = repository().join("cases");
        let mut out = Vec::new();
        let mut folders: Vec<PathBuf> = std::fs::read_dir(&cases)
            .expect("cases/")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        folders.sort();
        for folder in folders {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
                .expect("a case folder")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
                .collect();
            files.sort();
            let keep = if folder.ends_with("invalid") {
                files.len()
            } else {
                3
            };
            for file in files.into_iter().take(keep) {
                let folder_name = folder.file_name().unwrap_or_default().to_string_lossy();
                let name = format!(
                    "{folder_name}-{}",
                    file.file_name().unwrap_or_default().to_string_lossy()
                );
                out.push((name, std::fs::read(&file).expect("a case file")));
            }
        }
        out
    }

    #[test]
    fn seed_values_survive_encoding() {
        for (name, value) in emulator_request_seeds() {
            let bytes = to_bytes(&value);
            assert_eq!(
                from_bytes::<Scenario>(&bytes).as_ref(),
                Some(&value),
                "{name}"
            );
            crate::emulator_request::run_scenario(&value);
        }
        for (name, value) in decode_response_seeds() {
            let bytes = to_bytes(&value);
            assert_eq!(
                from_bytes::<DecodeInput>(&bytes).as_ref(),
                Some(&value),
                "{name}"
            );
        }
    }

    /// The committed `emulator_request` seeds are the bytes of today's values: when the input
    /// types change, old bytes mean other requests, and this test asks for new ones.
    #[test]
    fn committed_emulator_seeds_are_current() {
        let dir = seeds_dir("emulator_request");
        for (name, value) in emulator_request_seeds() {
            let path = dir.join(name);
            let committed = std::fs::read(&path).unwrap_or_default();
            assert!(
                committed == to_bytes(&value),
                "{} is stale: run `cargo test -p eni-fuzz-targets --lib seeds -- --ignored write_seeds`",
                path.display()
            );
        }
    }

    /// The properties `emulator_request` checks are strong enough to catch the emulator's planted
    /// defects that break a general property (not those that only misspell a code or a
    /// status, which the conformance cases catch), from the seeds alone.
    #[test]
    fn seeds_catch_planted_defects() {
        const CAUGHT: &[&str] = &[
            "ip-outside-vswitch-accepted",
            "reserved-address-handed-out",
            "duplicate-in-one-call",
            "duplicate-across-enis",
            "available-cap-missing",
            "available-cap-off-by-one",
            "instance-cap-ignored",
            "partial-assignment",
            "unassign-missing-accepted",
            "primary-unassignable",
            "seed-space-key-500",
            "client-token-ignored",
            "describe-disagrees",
            "error-without-request-id",
            "malformed-xml-error",
        ];
        for name in CAUGHT {
            let defect: eni_emulator::Defect = name.parse().expect("a planted defect");
            let caught = emulator_request_seeds().into_iter().any(|(_, scenario)| {
                let mut config = eni_emulator::Config::new(eni_emulator::World::builtin());
                config.defects = vec![defect];
                let run = std::panic::AssertUnwindSafe(|| {
                    crate::emulator_request::run_scenario_with(&scenario, config)
                });
                std::panic::catch_unwind(run).is_err()
            });
            assert!(caught, "no seed catches the planted defect {name}");
        }
    }

    #[test]
    #[ignore = "writes fuzz/seeds/; run by hand after changing the input types or the seeds"]
    fn write_seeds() {
        let write = |target: &str, name: &str, bytes: &[u8]| {
            let dir = seeds_dir(target);
            std::fs::create_dir_all(&dir).expect("a seeds folder");
            std::fs::write(dir.join(name), bytes).expect("a seed file");
        };
        for (name, value) in emulator_request_seeds() {
            write("emulator_request", name, &to_bytes(&value));
        }
        for (name, value) in decode_response_seeds() {
            write("decode_response", &name, &to_bytes(&value));
        }
        for (name, bytes) in case_seeds() {
            write("case_parser", &name, &bytes);
            write("case_roundtrip", &name, &bytes);
        }
    }
}
