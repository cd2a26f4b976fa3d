//! Tests of the whole pipeline: text in, `Case` or rendered errors out.

use std::time::Duration;

use crate::{
    FieldMatch, Format, Item, Member, Method, PageBy, Part, Segment, Signing, Step, Template,
    case_to_yaml, parse_case,
};

const FULL: &str = include_str!("full_example.yaml");

/// Renders every error of `source`, checking on the way that each points inside the source.
fn errors(source: &str) -> String {
    let errors = parse_case(source, "cases/bad.yaml").expect_err("the case should be rejected");
    for e in &errors {
        assert!(e.span.is_in_bounds(source), "{e} is out of bounds");
    }
    errors
        .iter()
        .map(|e| e.render(source))
        .collect::<Vec<_>>()
        .join("\n")
}

fn lit(s: &str) -> Template {
    Template::from_literal(s)
}

#[test]
fn full_example_parses_to_the_expected_structure() {
    let case = parse_case(FULL, "cases/full.yaml").unwrap_or_else(|errors| {
        panic!(
            "{}",
            errors.iter().map(|e| e.render(FULL)).collect::<String>()
        )
    });
    assert_eq!(case.id, "assign.by-address.one");
    assert_eq!(case.title, "Assign one secondary address by value");
    assert_eq!(case.tags, ["assign", "happy-path"]);
    assert_eq!(case.uses, ["vswitch", "security_group"]);
    assert_eq!(case.disabled_checks[0].value, "assign_matches_describe");
    assert_eq!(
        (
            case.disabled_checks[0].span.line,
            case.disabled_checks[0].span.col
        ),
        (5, 21)
    );
    assert!(case.snapshot);
    assert_eq!(case.format, Some(Format::Json));
    assert_eq!(case.signing, Some(Signing::V1));
    assert_eq!(case.emulator.task_duration, Some(Duration::from_secs(2)));
    assert_eq!(case.emulator.async_delay, Some(Duration::from_secs(1)));
    assert_eq!(case.origin, "cases/full.yaml");
    assert_eq!(
        (case.setup.len(), case.steps.len(), case.teardown.len()),
        (1, 5, 1)
    );

    let Step::Send(assign) = &case.steps[0] else {
        panic!("expected a send")
    };
    assert_eq!(assign.name, "assign-one");
    assert_eq!((assign.span.line, assign.span.col), (19, 5));
    assert_eq!(assign.action.as_deref(), Some("AssignPrivateIpAddresses"));
    assert_eq!(assign.method, Method::Post);
    assert_eq!(assign.format, Some(Format::Xml));
    assert_eq!(assign.signing, Some(Signing::V3));
    let keys: Vec<&str> = assign
        .params
        .iter()
        .map(|(k, _)| k.value.as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "NetworkInterfaceId",
            "PrivateIpAddress.1",
            "PrivateIpAddress. 1",
            "SecondaryPrivateIpAddressCount",
            "Flag",
            "PrivateIpAddress.1",
            "PrivateIpAddress.1",
        ]
    );
    let (key, host) = &assign.params[1];
    assert_eq!((key.span.line, key.span.col), (26, 7));
    let [Part::Expr(expr)] = host.parts.as_slice() else {
        panic!("expected one hole, got {host:?}")
    };
    assert_eq!(expr.root, "vswitch");
    assert_eq!(
        expr.member,
        Some(Member {
            name: "host".into(),
            arg: Some(10)
        })
    );
    assert_eq!((expr.span.line, expr.span.col), (26, 27));
    assert_eq!(assign.params[2].1, lit("10"));
    assert_eq!(assign.params[3].1, lit("1.50"));
    assert_eq!(assign.params[4].1, lit("true"));
    assert_eq!(assign.params[6].1, lit("192.168.0.6"));
    assert_eq!(assign.raw_query, Some(lit("PrivateIpAddress.1=%zz")));
    assert_eq!(assign.omit, ["Version"]);
    assert!(assign.corrupt_signature);

    let expect = &assign.expect;
    assert_eq!(expect.status, [200, 403]);
    assert_eq!(expect.codes, ["Operation.Conflict", "InvalidIp.IpAssigned"]);
    let message = expect.message_contains.as_ref().unwrap();
    assert_eq!(message.to_string(), "${vswitch.host(10)}");
    // Inside the quotes: the hole starts one column after the opening `"`.
    assert_eq!(message.exprs().next().unwrap().span.col, 26);
    assert_eq!(expect.fields.len(), 2);
    assert_eq!(
        expect.fields[1].0.segments,
        [
            Segment::Key("PrivateIpSets".into()),
            Segment::Key("PrivateIpSet".into()),
            Segment::Index(0),
            Segment::Key("Primary".into()),
        ]
    );
    assert_eq!(expect.fields[1].1, lit("true"));
    assert_eq!(expect.absent[0].text, "Code");
    assert_eq!(expect.assigned.as_ref().unwrap().len(), 1);
    assert_eq!(expect.assigned_count, Some(3));
    let (count_path, count) = expect.count.as_ref().unwrap();
    assert_eq!(
        (count_path.text.as_str(), *count),
        ("NetworkInterfaceSets.NetworkInterfaceSet", 1)
    );
    assert_eq!(assign.capture[0].0, "first");
    let poll = assign.poll.as_ref().unwrap();
    assert_eq!(poll.until[0].0.text, "Status");
    assert_eq!(poll.until[0].1, lit("InUse"));
    assert_eq!(poll.interval, Duration::from_millis(500));
    assert_eq!(poll.timeout, Duration::from_secs(30));

    assert!(
        matches!(case.steps[1], Step::Wait { duration, .. } if duration == Duration::from_secs(3))
    );
    let Step::Concurrent { sends, .. } = &case.steps[2] else {
        panic!("expected a concurrent group")
    };
    assert_eq!(sends[0].name, "a");
    assert_eq!(sends[1].name, "steps-3.2");
    assert_eq!(sends[0].expect.status, [200, 403]);
    // `code` without `status`: the status is not checked.
    assert!(sends[1].expect.status.is_empty());
    assert_eq!(sends[1].expect.codes, ["InvalidIp.IpUnassigned"]);

    let Step::Send(no_action) = &case.steps[3] else {
        panic!("expected a send")
    };
    assert_eq!(no_action.name, "steps-4");
    assert_eq!(no_action.action, None);
    assert_eq!(no_action.omit, ["Action"]);
    assert!(no_action.paginate.is_none() && no_action.expect.contains.is_empty());

    let Step::Send(paged) = &case.steps[4] else {
        panic!("expected a send")
    };
    let paginate = paged.paginate.as_ref().unwrap();
    assert_eq!(paginate.by, PageBy::Token("NextToken".into()));
    assert_eq!(paginate.parameter(), "NextToken");
    assert_eq!(
        paginate.list.text,
        "NetworkInterfaceSets.NetworkInterfaceSet"
    );
    let [(list, items)] = paged.expect.contains.as_slice() else {
        panic!(
            "expected one order-free list, got {:?}",
            paged.expect.contains
        )
    };
    assert_eq!(list.text, "NetworkInterfaceSets.NetworkInterfaceSet");
    let [Item::Fields(fields)] = items.as_slice() else {
        panic!("expected one item with fields, got {items:?}")
    };
    let keys: Vec<&str> = fields.iter().map(|(path, _)| path.text.as_str()).collect();
    assert_eq!(
        keys,
        [
            "NetworkInterfaceId",
            "Status",
            "PrivateIpSets.PrivateIpSet",
            "SecurityGroupIds.SecurityGroupId"
        ]
    );
    assert_eq!(fields[1].1, FieldMatch::Equals(lit("Available")));
    let FieldMatch::Equals(eni) = &fields[0].1 else {
        panic!("expected a value")
    };
    // Templates in items are checked and placed like any other.
    assert_eq!(eni.exprs().next().unwrap().root, "eni");
    assert_eq!(
        eni.exprs().next().unwrap().span,
        crate::Span { line: 67, col: 33 }
    );
    let FieldMatch::Contains(ips) = &fields[2].1 else {
        panic!("expected a nested list")
    };
    let [Item::Fields(ip)] = ips.as_slice() else {
        panic!("expected one nested item, got {ips:?}")
    };
    assert_eq!(ip[1].1, FieldMatch::Equals(lit("false")));
    let FieldMatch::Contains(groups) = &fields[3].1 else {
        panic!("expected a nested list")
    };
    assert!(
        matches!(groups.as_slice(), [Item::Value(v)] if v.to_string() == "${security_group.id}")
    );
    assert_eq!(paged.templates().count(), 7);

    // Without `expect`: status 200, nothing else.
    let Step::Send(create) = &case.setup[0] else {
        panic!("expected a send")
    };
    assert_eq!(create.expect.status, [200]);
    assert!(create.expect.codes.is_empty());
    assert_eq!(case.sends().count(), 7);
    let Step::Send(delete) = &case.teardown[0] else {
        panic!("expected a send")
    };
    assert_eq!(delete.name, "teardown-1");
    assert_eq!(delete.params[2].1.to_string(), "${unique}-$$x");
    assert_eq!(
        delete.params[2].1.parts.last(),
        Some(&Part::Lit("-$x".into()))
    );
}

#[test]
fn full_example_in_canonical_form() {
    let case = parse_case(FULL, "cases/full.yaml").unwrap();
    insta::assert_snapshot!(case_to_yaml(&case));
}

#[test]
fn plain_scalars_keep_their_source_text() {
    let source = r#"
id: scalars
title: Plain scalars are read as written
steps:
  - action: X
    params:
      a: 10
      b: true
      c: 1.50
      d: 0755
      e: 1_000
      f: 0x1F
      g: 1e999
      h: .inf
      i: -0.0
      j: yes
      k: "quoted 1.50"
      l: 'single'
      m: 012.50
      n: +12
      1.0: key as written
      o: &anchor 2.50
      p: *anchor
      q: FALSE
      r: .NaN
"#;
    let case = parse_case(source, "cases/scalars.yaml").unwrap();
    let Step::Send(send) = &case.steps[0] else {
        panic!("expected a send")
    };
    let got: Vec<(String, String)> = send
        .params
        .iter()
        .map(|(k, v)| (k.value.clone(), v.to_string()))
        .collect();
    let want = [
        ("a", "10"),
        ("b", "true"),
        ("c", "1.50"),
        ("d", "0755"),
        ("e", "1_000"),
        ("f", "0x1F"),
        ("g", "1e999"),
        ("h", ".inf"),
        ("i", "-0.0"),
        ("j", "yes"),
        ("k", "quoted 1.50"),
        ("l", "single"),
        ("m", "012.50"),
        ("n", "+12"),
        ("1.0", "key as written"),
        ("o", "2.50"),
        ("p", "2.50"),
        ("q", "FALSE"),
        ("r", ".NaN"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    assert_eq!(got, want);
}

/// Hand-written cases that must survive `case_to_yaml` and back unchanged.
const ROUND_TRIP: &[&str] = &[
    FULL,
    r##"
id: minimal
title: "Title: with a colon # and hash"
steps:
  - action: DescribeRegions
"##,
    r##"
id: tricky-strings
title: "  spaces around  "
snapshot: false
uses: [vsw]
exclusive: [vsw]
steps:
  - name: s1
    action: "Assign PrivateIp"
    params:
      "": ""
      "PrivateIpAddress.1 ": " 10.0.0.1"
      "- dash": "[x]"
      "<<": "="
      "~": "null"
      "#": "a: b"
      'it''s': "tab\there\nnewline \"quoted\" back\\slash"
      unicode: "é ü 中文 \u00a0nbsp \u2028"
      ctrl: "\x01\x7f\u0085"
      dollars: "$$ ${vsw.outside+1} $${x}"
      neg: ${vsw.host(-1)}
      "?": "*star &amp !bang %pct @at `tick"
    raw_query: "a=%zz&b=${unique}"
    expect:
      status: []
  - method: POST
    omit: [Action, Signature]
    expect:
      code: [A, B]
  - action: X
    expect:
      status: 403
      code: C
      assigned: []
  - concurrent:
      - action: A
        pairs:
          - ["k,1", "v]"]
          - ["k,1", "${vsw.host(3)}"]
      - name: two
        action: B
  - wait: 1500ms
"##,
    r##"
id: races
title: Answers raced against an ENI's status and a task, and a wait for the tasks
emulator: { async_delay: 5s, task_duration: 2s }
steps:
  - name: status
    action: AssignPrivateIpAddresses
    params: { NetworkInterfaceId: eni-1 }
    race:
      status_of: eni-1
      when:
        Attaching:
          status: 400
          code: InvalidOperation.InvalidEniState
          message_contains: "“Attaching”."
        InUse: {}
        gone: { status: 404 }
  - name: task
    action: UnassignPrivateIpAddresses
    race:
      task_on: "${unique}"
      when:
        running: { status: 403, code: Operation.Conflict }
        ended:
          contains:
            L: [ { K: v } ]
  - wait: tasks
"##,
    r##"
id: order-free
title: Order-free lists and both ways of paging
uses: [vsw]
steps:
  - name: pages
    action: DescribeNetworkInterfaces
    params: { PageSize: 2 }
    paginate: { page: PageNumber, list: "A[0].B" }
    expect:
      status: 200
      contains:
        "A[0].B":
          - "${vsw.host(3)}"
          - ""
          - "- dash"
          - "true"
          - { x-y_1: "#", C.D: [ "1.50", { E: "${unique}" } ] }
        Top: [ { K: "[v]" } ]
  - action: DescribeNetworkInterfaces
    paginate:
      token: Next-Token_2
      list: L
"##,
];

#[test]
fn round_trip_through_canonical_yaml() {
    for (i, source) in ROUND_TRIP.iter().enumerate() {
        let case = parse_case(source, "cases/rt.yaml").unwrap_or_else(|errors| {
            panic!(
                "case {i}: {}",
                errors.iter().map(|e| e.render(source)).collect::<String>()
            )
        });
        let yaml = case_to_yaml(&case);
        let again = parse_case(&yaml, "cases/rt.yaml").unwrap_or_else(|errors| {
            panic!(
                "case {i} re-emitted:\n{yaml}\n{}",
                errors.iter().map(|e| e.render(&yaml)).collect::<String>()
            )
        });
        assert_eq!(
            again.without_spans(),
            case.without_spans(),
            "case {i}:\n{yaml}"
        );
        // Canonical means a fixed point.
        assert_eq!(case_to_yaml(&again), yaml, "case {i}");
    }
}

/// Text an endpoint chose (a code, a message in a title) written into a case: every character a
/// YAML stream may not hold raw, or that would end a line, comes back as it was.
#[test]
fn hostile_text_survives_the_canonical_writer() {
    let hostile = "x\u{9b}2J\u{1b}]52;c;SGk=\u{7}\rsetup: [x]\n\u{85}\u{2028}\u{2029}\u{202e}\u{2066}\u{feff}\u{fffe}\u{ffff}\u{0}\u{7f}";
    let source = format!(
        "id: t.hostile\ntitle: {}\nsteps:\n  - action: A\n    params: {{ Description: {} }}\n",
        crate::double_quoted(hostile),
        crate::double_quoted(hostile)
    );
    let case = parse_case(&source, "cases/h.yaml").unwrap_or_else(|errors| {
        panic!(
            "{source}\n{}",
            errors.iter().map(|e| e.render(&source)).collect::<String>()
        )
    });
    assert_eq!(case.title, hostile);
    let yaml = case_to_yaml(&case);
    assert!(
        !yaml.lines().any(|line| line.starts_with("setup")),
        "{yaml}"
    );
    assert!(
        !yaml.chars().any(|c| c != '\n'
            && (c.is_control()
                || matches!(
                    c,
                    '\u{2028}'..='\u{202e}' | '\u{fffe}' | '\u{ffff}' | '\u{feff}'
                ))),
        "{yaml}"
    );
    let again = parse_case(&yaml, "cases/h.yaml").unwrap();
    assert_eq!(again.without_spans(), case.without_spans());
    assert!(again.setup.is_empty());
}

/// YAML's implicit keys end at 1024 characters: a longer list path is written as an explicit
/// `? key`, with the items below it.
#[test]
fn long_list_paths_round_trip() {
    let long = "A".repeat(1100);
    let source = format!(
        "id: long\ntitle: t\nsteps:\n  - action: X\n    expect:\n      contains:\n        ? {long}\n        :\n          - ? {long}\n            : v\n            B: [w]\n"
    );
    let case = parse_case(&source, "cases/long.yaml").unwrap();
    let yaml = case_to_yaml(&case);
    assert!(yaml.contains(&format!("? {long}\n")), "{yaml}");
    let again = parse_case(&yaml, "cases/long.yaml").unwrap_or_else(|errors| {
        panic!(
            "{yaml}\n{}",
            errors.iter().map(|e| e.render(&yaml)).collect::<String>()
        )
    });
    assert_eq!(again.without_spans(), case.without_spans());
}

#[test]
fn errors_point_inside_the_source_for_odd_inputs() {
    let inputs = [
        "",
        "\n\n\n",
        "~",
        "- a\n- b\n",
        "id: [",
        "id: \"x",
        "a: 1\r\nb: 2\r\n\r\n",
        "id: x\rtitle: y\rsteps: 3\r",
        "\u{feff}id: x\n",
        "id: x\ntitle: t\nsteps:\n  - action: A\n    params: {k: ${x}}\n",
        "id: x\ntitle: t\nsteps:\n  - action: A\n    params:\n      k: |\n        ${nope}\n",
        "id: x\ntitle: t\nsteps:\n  - action: A\n    params:\n      k: \"\\t${nope}\"\n",
        "x: &a [*a]",
        "? [a]\n: b\n",
        "id: x\n---\nid: y\n",
        "id: x\ntitle: t\nsteps:\n  - action: A\n    expect: {status: 99999999999999999999999}\n",
        "\t",
        "id: 中文\ntitle: 中文\nsteps: [{wait: 中文}]\n",
    ];
    for input in inputs {
        if let Err(errors) = parse_case(input, "cases/odd.yaml") {
            for e in &errors {
                assert!(
                    e.span.is_in_bounds(input),
                    "{input:?}: {e} is out of bounds"
                );
                let _ = e.render(input);
            }
        }
    }
}

#[test]
fn oversized_input_is_rejected_without_parsing() {
    let big = format!("id: x\ntitle: {}\n", "a".repeat(crate::MAX_SOURCE_BYTES));
    let errors = parse_case(&big, "cases/big.yaml").unwrap_err();
    assert!(matches!(
        errors[0].kind,
        crate::SpecErrorKind::TooLarge { .. }
    ));
}

#[test]
fn deep_nesting_and_alias_bombs_are_refused() {
    let deep = format!("id: {}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(parse_case(&deep, "cases/deep.yaml").is_err());
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n",
            p = i - 1
        ));
    }
    assert!(parse_case(&bomb, "cases/bomb.yaml").is_err());
}

// ---- rendered errors ----------------------------------------------------------------------

#[test]
fn error_unknown_key_suggests_the_closest() {
    insta::assert_snapshot!(errors(
        "id: unknown-key\ntitle: t\nsteps:\n  - action: AssignPrivateIpAddresses\n    paramz:\n      NetworkInterfaceId: eni-1\n"
    ));
}

#[test]
fn exclusive_fixtures_are_read_and_must_be_used() {
    let good = "id: x\ntitle: t\nuses: [vswitch, small_vswitch]\nexclusive: [small_vswitch]\nsteps:\n  - action: DescribeRegions\n";
    assert_eq!(
        parse_case(good, "c.yaml").unwrap().exclusive,
        ["small_vswitch"]
    );
    let close = errors(
        "id: x\ntitle: t\nuses: [vswitch, small_vswitch]\nexclusive: [small_vswich]\nsteps:\n  - action: DescribeRegions\n",
    );
    assert!(
        close.contains("`small_vswich` is in `exclusive` but not in `uses`")
            && close.contains("cases/bad.yaml:4:13")
            && close.contains("did you mean `small_vswitch`?"),
        "{close}"
    );
    let far = errors(
        "id: x\ntitle: t\nuses: [vswitch]\nexclusive: [running_instance, vswitch, vswitch]\nsteps:\n  - action: DescribeRegions\n",
    );
    assert!(
        far.contains("cases/bad.yaml:4:13") && far.contains("add `running_instance` to `uses`"),
        "{far}"
    );
    assert!(
        far.contains("4:40"),
        "the repeated name is reported too: {far}"
    );
}

#[test]
fn error_missing_steps() {
    insta::assert_snapshot!(errors("id: no-steps\ntitle: Nothing to do\n"));
}

#[test]
fn error_two_kinds_in_one_step() {
    insta::assert_snapshot!(errors(
        "id: two-kinds\ntitle: t\nsteps:\n  - action: DescribeRegions\n    wait: 2s\n"
    ));
}

#[test]
fn error_bad_duration() {
    insta::assert_snapshot!(errors(
        "id: bad-duration\ntitle: t\nsteps:\n  - wait: 3\n  - wait: 2h\n"
    ));
}

#[test]
fn error_unclosed_template() {
    insta::assert_snapshot!(errors(
        "id: bad-template\ntitle: t\nsteps:\n  - action: AssignPrivateIpAddresses\n    params:\n      NetworkInterfaceId: ${eni\n"
    ));
}

#[test]
fn error_unknown_variable_suggests_the_closest() {
    insta::assert_snapshot!(errors(
        "id: unknown-var\ntitle: t\nuses: [vswitch]\nsetup:\n  - action: CreateNetworkInterface\n    capture: { eni: NetworkInterfaceId }\nsteps:\n  - action: AssignPrivateIpAddresses\n    params:\n      NetworkInterfaceId: ${enid}\n      PrivateIpAddress.1: ${vswitch.hots(10)}\n"
    ));
}

#[test]
fn error_capture_used_before_defined() {
    insta::assert_snapshot!(errors(
        "id: too-early\ntitle: t\nsteps:\n  - action: AssignPrivateIpAddresses\n    params: { NetworkInterfaceId: \"${eni}\" }\n  - name: create\n    action: CreateNetworkInterface\n    capture: { eni: NetworkInterfaceId }\n"
    ));
}

#[test]
fn error_duplicate_key() {
    insta::assert_snapshot!(errors(
        "id: dup\ntitle: t\nsteps:\n  - action: AssignPrivateIpAddresses\n    params:\n      PrivateIpAddress.1: 10.0.0.5\n      PrivateIpAddress.1: 10.0.0.6\n"
    ));
}

#[test]
fn error_non_scalar_param() {
    insta::assert_snapshot!(errors(
        "id: non-scalar\ntitle: t\nsteps:\n  - action: AssignPrivateIpAddresses\n    params:\n      PrivateIpAddress: [10.0.0.5, 10.0.0.6]\n      ClientToken:\n"
    ));
}

#[test]
fn error_bad_status() {
    insta::assert_snapshot!(errors(
        "id: bad-status\ntitle: t\nsteps:\n  - action: X\n    expect:\n      status: [200, 700, OK]\n"
    ));
}

#[test]
fn error_tab_indentation() {
    insta::assert_snapshot!(errors("id: tabs\ntitle: t\nsteps:\n\t- action: X\n"));
}

#[test]
fn error_many_at_once() {
    insta::assert_snapshot!(errors(
        "id: Bad_Id\ntitle: t\nsignin: v1\nsteps:\n  - action: X\n    method: get\n    omit: [Versoin]\n    expect: { fields: { \"a..b\": x } }\n  - concurrent:\n      - wait: 1s\n      - action: Y\n        poll: { until: { Status: InUse } }\n  - name: steps-1\n    action: Z\n"
    ));
}

#[test]
fn error_contains_mistakes() {
    insta::assert_snapshot!(errors(
        "id: contains\ntitle: t\nsteps:\n  - action: X\n    expect:\n      contains:\n        A.B: []\n        C: { K: v }\n        D:\n          - {}\n          - [x]\n          - K: { L: v }\n          - K: []\n          - Id: ${nope}\n        \"E[x]\": [v]\n  - action: Y\n    expect: { contains: [A] }\n"
    ));
}

#[test]
fn error_paginate_mistakes() {
    insta::assert_snapshot!(errors(
        "id: paginate\ntitle: t\nsteps:\n  - action: A\n    paginate: { token: NextToken, page: PageNumber, list: L }\n  - action: B\n    paginate: { list: L }\n  - action: C\n    params: { NextToken: x }\n    paginate: { token: NextToken }\n  - action: D\n    paginate: { page: \"Page Number\", list: L }\n    poll: { until: { S: x } }\n    expect: { status: 403, code: X }\n  - concurrent:\n      - action: E\n        paginate: { page: PageNumber, list: L }\n"
    ));
}

#[test]
fn a_paged_read_may_say_status_200() {
    let source = "id: p\ntitle: t\nsteps:\n  - action: A\n    params: { PageSize: 2 }\n    paginate: { page: PageNumber, list: L }\n    expect: { status: 200 }\n";
    let case = parse_case(source, "cases/p.yaml").unwrap_or_else(|errors| {
        panic!(
            "{}",
            errors.iter().map(|e| e.render(source)).collect::<String>()
        )
    });
    let Step::Send(send) = &case.steps[0] else {
        panic!("expected a send")
    };
    assert_eq!(
        send.paginate.as_ref().map(|p| &p.by),
        Some(&PageBy::Number("PageNumber".into()))
    );
}

#[test]
fn error_step_with_no_kind() {
    insta::assert_snapshot!(errors(
        "id: no-kind\ntitle: t\nsteps:\n  - params: { A: b }\n"
    ));
}

/// A small deterministic fuzzer: mutated seed cases must never panic, every error must point
/// inside its input, and every mutant that still parses must survive the canonical round trip.
#[test]
fn mutated_cases_never_panic_and_round_trip() {
    const TOKENS: &[&str] = &[
        "${",
        "}",
        "${eni}",
        "${vswitch.host(-1)}",
        "$$",
        "$",
        ":",
        ": ",
        "- ",
        "\n",
        "  ",
        "\t",
        "[",
        "]",
        "{",
        "}",
        ",",
        "\"",
        "'",
        "&a ",
        "*a",
        "~",
        "#",
        "é",
        "\r",
        "\r\n",
        "1.50",
        "true",
        "null",
        "action: X\n",
        "  - wait: 1s\n",
        "concurrent:\n",
        "pairs: [[a, b]]",
        "status: 200",
        "poll: {until: {A: b}}",
        "capture: {v: A.B[0]}",
        "<<: ",
        "? ",
        "!!str ",
        "|\n",
        ">-\n",
        "\\",
        "\u{2028}",
        "\u{feff}",
        "0x1F",
        "1e999",
        "omit: [Action]",
        "contains: {L: [{K: v}, w]}",
        "paginate: {token: T, list: L}",
        "paginate: {page: P, list: L}",
        "- {A.B: [x]}",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: usize| -> usize {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % (n.max(1) as u64)).unwrap_or(0)
    };
    let mut parsed = 0;
    for round in 0..600 {
        let seed = ROUND_TRIP[round % ROUND_TRIP.len()];
        let mut text: Vec<char> = seed.chars().collect();
        for _ in 0..=next(4) {
            let at = next(text.len() + 1);
            match next(4) {
                0 => {
                    let end = (at + next(12)).min(text.len());
                    text.drain(at..end);
                }
                1 | 2 => {
                    let token = TOKENS[next(TOKENS.len())];
                    text.splice(at..at, token.chars());
                }
                _ => {
                    if at < text.len() {
                        text[at] =
                            char::from_u32(u32::try_from(next(0x80)).unwrap_or(0)).unwrap_or(' ');
                    }
                }
            }
        }
        let input: String = text.into_iter().collect();
        match parse_case(&input, "cases/mutant.yaml") {
            Ok(case) => {
                parsed += 1;
                let yaml = case_to_yaml(&case);
                let again = parse_case(&yaml, "cases/mutant.yaml").unwrap_or_else(|errors| {
                    panic!(
                        "input {input:?}\nre-emitted:\n{yaml}\n{}",
                        errors.iter().map(|e| e.render(&yaml)).collect::<String>()
                    )
                });
                assert_eq!(
                    again.without_spans(),
                    case.without_spans(),
                    "input {input:?}"
                );
            }
            Err(errors) => {
                assert!(!errors.is_empty());
                for e in &errors {
                    assert!(
                        e.span.is_in_bounds(&input),
                        "{input:?}: {e} is out of bounds"
                    );
                    let _ = e.render(&input);
                }
            }
        }
    }
    // The mutations are mild enough that some mutants stay valid and exercise the round trip.
    assert!(parsed > 20, "only {parsed} mutants parsed");
}

#[test]
fn error_race_reads_one_thing() {
    insta::assert_snapshot!(errors(
        "id: race\ntitle: t\nsteps:\n  - action: A\n    race: { status_of: x, task_on: y, when: { InUse: { status: 200 } } }\n  - action: B\n    race: { when: { InUse: { status: 200 } } }\n"
    ));
}

/// Every YAML file under `dir` (recursively), with its path.
fn yaml_files(dir: &std::path::Path, found: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "yaml")
            && let Ok(text) = std::fs::read_to_string(&path)
        {
            found.push((path.display().to_string(), text));
        }
    }
}

/// The fast path gives serde-saphyr's tree or nothing (`yaml_readings_agree`, the fuzz
/// targets' check); whether it read one. On a disagreement both readings are shown.
fn assert_same_tree(origin: &str, source: &str) -> bool {
    assert!(
        crate::yaml_readings_agree(source),
        "{origin}: the two paths read different trees\nevents: {:#?}\nserde-saphyr: {:#?}",
        crate::raw_events::tree(source),
        crate::raw::parse_with_serde(source).map_err(|error| error.message)
    );
    crate::raw_events::tree(source).is_some()
}

#[test]
fn the_event_path_reads_every_shipped_case_file_as_serde_saphyr_does() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in [
        "cases",
        "fuzz/seeds/case_parser",
        "fuzz/seeds/case_roundtrip",
    ] {
        yaml_files(&root.join(dir), &mut files);
    }
    files.push(("full_example.yaml".into(), FULL.to_string()));
    let shipped = files
        .iter()
        .filter(|(path, _)| path.contains("/cases/"))
        .count();
    assert!(shipped >= 100, "only {shipped} case files found");
    let mut fast = 0;
    let mut slow = Vec::new();
    for (path, text) in &files {
        if assert_same_tree(path, text) {
            fast += 1;
        } else if path.contains("/cases/") {
            slow.push(path.as_str());
        }
    }
    // The fast path must keep paying for itself: nearly every shipped case takes it.
    assert!(
        slow.len() * 20 <= shipped,
        "{} of {shipped} shipped case files miss the fast path: {slow:?}",
        slow.len()
    );
    assert!(fast > 0);
}

#[test]
fn the_event_path_gives_way_on_yaml_it_does_not_read_as_serde_saphyr_does() {
    // Each of these is left to serde-saphyr (its errors, its typing, its anchors).
    let left = [
        "a: &x 1\nb: *x\n",
        "base: &b { k: v }\nc:\n  <<: *b\n",
        "a: !!str 1\n",
        "%YAML 1.2\n---\na: 1\n",
        "a: 1\n---\nb: 2\n",
        "a: 1\na: 2\n",
        "a: 1.50\n",
        "a: 0x1F\n",
        "a: 0755\n",
        "a: 1_000\n",
        "a: .inf\n",
        "a: yes\n",
        "a: True\n",
        "a: NULL\n",
        "a: +5\n",
        "a: -0\n",
        "a: 123456789012345678901234567890\n",
        "a: two\n  lines\n",
        "? [k]\n: v\n",
        "a: [1, 2\n",
        "",
        "# only a comment\n",
        "a: 2014-05-26\n",
        "a: ünïcode\n",
        "a: 256.1\n",
        "a: 1e5\n",
        "a: 12:30\n",
        "a: 0b101\n",
    ];
    for source in left {
        assert!(
            crate::raw_events::tree(source).is_none(),
            "the fast path read {source:?}"
        );
    }
    // And these it reads, exactly as serde-saphyr does.
    let read = [
        "a: 1\nb: -12\nc: 0\nd: true\ne: false\nf: ~\ng: null\nh:\ni: word\n",
        "a: 'single ''quoted'''\nb: \"double \\t quoted\"\nc: \"\"\n",
        "a: |\n  literal\n  block\nb: >\n  folded\n  block\nc: |-\n  kept\n",
        "list:\n  - one\n  - { k: \"${eni}\", j: [x, \"y\"] }\n  - []\n  - {}\n",
        "---\nexplicit: start # with a comment\n# and another\n",
        "key with spaces: value with spaces\n$ref: /path/to/thing\n",
        "nested:\n  deeper:\n    deepest: [1, [2, [3]]]\n",
        "a:\tb\nwait: 2s\nip: 256.1.1.1\nprefix: 192.168.000.016/28\nms: 10ms\n",
    ];
    for source in read {
        assert!(
            assert_same_tree(source, source),
            "the fast path gave way on {source:?}"
        );
    }
}

#[test]
fn the_event_path_agrees_with_serde_saphyr_on_damaged_case_files() {
    // Shipped case files with one byte replaced by a character that means something in YAML:
    // wherever the fast path still reads a tree, serde-saphyr must read the same one. Seeded,
    // so a failure comes back the same way.
    const SIGNIFICANT: &[u8] = b":- \n\"'#[]{},&*!|>0.\t~?%@`";
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    yaml_files(&root.join("cases"), &mut files);
    files.sort();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |bound: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(state >> 33).unwrap_or(0) % bound.max(1)
    };
    let (mut read, mut tried) = (0, 0);
    for (path, text) in files.iter().step_by(4) {
        for _ in 0..12 {
            let mut bytes = text.clone().into_bytes();
            let at = next(bytes.len());
            bytes[at] = SIGNIFICANT[next(SIGNIFICANT.len())];
            let Ok(damaged) = String::from_utf8(bytes) else {
                continue;
            };
            tried += 1;
            if assert_same_tree(&format!("{path} with byte {at} replaced"), &damaged) {
                read += 1;
            }
        }
    }
    assert!(tried > 500 && read > tried / 4, "{read} of {tried} read");
}
