//! Paged reads (`paginate`) run against scripted endpoints: the pages are joined for the
//! expectations, each is recorded and counted, and an endpoint that lists an ENI twice, drops
//! one, ignores the page asked for or never stops paging fails the step.

use std::sync::Arc;
use std::time::Duration;

use super::{CaseContext, run_case, skip_reason};
use crate::profile::Profile;
use crate::runner::{CaseOutcome, Verdict};
use crate::targets::{BoxFuture, Connection, EmulatorKnobs, Exchange, Target, TransportError};
use crate::wire::Signing;
use crate::wire::{WireRequest, decode_response};
use eni_spec::Case;

/// An endpoint that answers every request with `(status, JSON body)` computed from it.
type Script = dyn Fn(&WireRequest) -> (u16, serde_json::Value) + Send + Sync;

struct Scripted(Arc<Script>);

impl Target for Scripted {
    fn describe(&self) -> String {
        "scripted".into()
    }

    fn is_shared(&self) -> bool {
        false
    }

    fn supports_knobs(&self) -> bool {
        false
    }

    fn connect(&self, _: &EmulatorKnobs) -> anyhow::Result<Box<dyn Connection>> {
        Ok(Box::new(Scripted(Arc::clone(&self.0))))
    }
}

impl Connection for Scripted {
    fn send<'a>(
        &'a self,
        request: &'a WireRequest,
    ) -> BoxFuture<'a, Result<Exchange, TransportError>> {
        let (status, body) = (self.0)(request);
        let text = body.to_string();
        let decoded = decode_response(status, Some("application/json"), text.as_bytes());
        Box::pin(async move {
            Ok(Exchange {
                method: "GET",
                params: request.params.clone(),
                raw_query: None,
                status,
                content_type: Some("application/json".into()),
                body: text.into(),
                decoded,
                elapsed: Duration::ZERO,
            })
        })
    }

    fn wait(&self, _: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

fn param<'r>(request: &'r WireRequest, name: &str) -> Option<&'r str> {
    request
        .params
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// The ENIs the scripted endpoints hold.
const ENIS: [&str; 5] = ["eni-a", "eni-b", "eni-c", "eni-d", "eni-e"];

fn page_body(enis: &[&str], extra: serde_json::Value) -> serde_json::Value {
    let sets: Vec<serde_json::Value> = enis
        .iter()
        .map(|id| serde_json::json!({"NetworkInterfaceId": id, "Status": "Available"}))
        .collect();
    let mut body = serde_json::json!({
        "RequestId": "R",
        "TotalCount": ENIS.len(),
        "NetworkInterfaceSets": {"NetworkInterfaceSet": sets},
    });
    if let (Some(body), serde_json::Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    body
}

/// Token paging over [`ENIS`], two a page; `start_of` says where the page after the one
/// starting at `offset` starts (a correct endpoint: `offset + 2`).
fn by_token(start_of: fn(usize) -> usize, order: fn(&mut Vec<&str>)) -> Arc<Script> {
    Arc::new(move |request| {
        let offset: usize = param(request, "NextToken")
            .and_then(|token| token.strip_prefix('t')?.parse().ok())
            .unwrap_or(0);
        let end = (offset + 2).min(ENIS.len());
        let mut page: Vec<&str> = ENIS[offset.min(end)..end].to_vec();
        order(&mut page);
        let next = start_of(offset);
        let token = if next < ENIS.len() {
            format!("t{next}")
        } else {
            String::new()
        };
        (
            200,
            page_body(
                &page,
                serde_json::json!({"NextToken": token, "Offset": offset}),
            ),
        )
    })
}

/// Number paging over [`ENIS`] with `PageSize`; `page_of` maps the page asked for to the page
/// answered (a correct endpoint: itself).
fn by_number(page_of: fn(usize) -> usize) -> Arc<Script> {
    Arc::new(move |request| {
        let size: usize = param(request, "PageSize").map_or(10, |s| s.parse().unwrap_or(10));
        let number: usize = param(request, "PageNumber").map_or(1, |n| n.parse().unwrap_or(1));
        let start = (page_of(number).saturating_sub(1) * size).min(ENIS.len());
        let end = (start + size).min(ENIS.len());
        (
            200,
            page_body(&ENIS[start..end], serde_json::json!({"PageNumber": number})),
        )
    })
}

const EVERY_ENI_ONCE: &str = "
    expect:
      count: { path: NetworkInterfaceSets.NetworkInterfaceSet, equals: 5 }
      contains:
        NetworkInterfaceSets.NetworkInterfaceSet:
          - { NetworkInterfaceId: eni-a }
          - { NetworkInterfaceId: eni-b }
          - { NetworkInterfaceId: eni-c }
          - { NetworkInterfaceId: eni-d }
          - { NetworkInterfaceId: eni-e }
";

async fn run(script: Arc<Script>, step: &str) -> CaseOutcome {
    let source = format!("id: paging\ntitle: t\nsteps:\n  - name: all\n{step}{EVERY_ENI_ONCE}");
    let case = eni_spec::parse_case(&source, "cases/paging.yaml").unwrap_or_else(|errors| {
        panic!(
            "{}",
            errors.iter().map(|e| e.render(&source)).collect::<String>()
        )
    });
    let context = CaseContext {
        profile: Arc::new(Profile::embedded()),
        repro_url: String::new(),
        run_token: "test".into(),
    };
    run_case(&case, &Scripted(script), &context).await
}

const TOKEN_STEP: &str = "    action: DescribeNetworkInterfaces
    params: { MaxResults: 2 }
    paginate: { token: NextToken, list: NetworkInterfaceSets.NetworkInterfaceSet }
";

const NUMBER_STEP: &str = "    action: DescribeNetworkInterfaces
    params: { PageSize: 2 }
    paginate: { page: PageNumber, list: NetworkInterfaceSets.NetworkInterfaceSet }
";

fn messages(outcome: &CaseOutcome) -> Vec<&str> {
    outcome
        .failures
        .iter()
        .map(|f| f.message.as_str())
        .collect()
}

#[tokio::test]
async fn token_pages_are_joined_recorded_and_counted() {
    let correct = by_token(|offset| offset + 2, |_| {});
    let step = format!("{TOKEN_STEP}    capture: {{ last: NextToken }}\n");
    let outcome = run(correct, &step).await;
    assert_eq!(outcome.verdict, Verdict::Pass, "{:?}", messages(&outcome));
    assert_eq!(outcome.requests, 3);
    let snapshot = outcome.snapshot_text.unwrap();
    for page in 1..=3 {
        assert!(
            snapshot.contains(&format!("step: steps.all.page-{page}\n")),
            "{snapshot}"
        );
    }
    assert!(!snapshot.contains("step: steps.all\n"), "{snapshot}");
    // Pages 2 and 3 carry the token the previous page gave; the first none.
    assert_eq!(
        snapshot.matches("NextToken: <next-token>").count(),
        4,
        "{snapshot}"
    );
}

#[tokio::test]
async fn the_joined_answer_has_the_first_pages_fields_and_the_last_token() {
    let correct = by_token(|offset| offset + 2, |_| {});
    let source = format!(
        "id: paging\ntitle: t\nsteps:\n  - name: all\n{TOKEN_STEP}    expect: {{ fields: {{ NextToken: \"\", Offset: \"0\" }} }}\n"
    );
    let case = eni_spec::parse_case(&source, "cases/paging.yaml").unwrap();
    let context = CaseContext {
        profile: Arc::new(Profile::embedded()),
        repro_url: String::new(),
        run_token: "test".into(),
    };
    let outcome = run_case(&case, &Scripted(correct), &context).await;
    assert_eq!(outcome.verdict, Verdict::Pass, "{:?}", messages(&outcome));
}

#[tokio::test]
async fn the_order_within_and_across_pages_is_the_endpoints() {
    let reversed = by_token(|offset| offset + 2, |page| page.reverse());
    let outcome = run(reversed, TOKEN_STEP).await;
    assert_eq!(outcome.verdict, Verdict::Pass, "{:?}", messages(&outcome));
}

/// "Every ENI exactly once": pages that each start one early list most ENIs twice (count
/// fails); a listing that repeats one ENI and then skips another keeps the count right, and
/// `contains` fails.
#[tokio::test]
async fn an_eni_listed_on_two_pages_fails() {
    let overlapping = by_token(|offset| offset + 1, |_| {});
    let outcome = run(overlapping, TOKEN_STEP).await;
    assert_eq!(outcome.verdict, Verdict::Fail);
    assert!(
        messages(&outcome)
            .contains(&"count of NetworkInterfaceSets.NetworkInterfaceSet: expected 5, got 9"),
        "{:?}",
        messages(&outcome)
    );
    // Pages a,b / b,c / e: as many ENIs as there are, but one twice and one never.
    let repeat_then_skip = by_token(|offset| if offset == 0 { 1 } else { offset + 3 }, |_| {});
    let outcome = run(repeat_then_skip, TOKEN_STEP).await;
    assert_eq!(outcome.verdict, Verdict::Fail);
    let found = messages(&outcome);
    assert!(
        found.iter().any(|m| m.starts_with("contains NetworkInterfaceSets.NetworkInterfaceSet: no element matches {NetworkInterfaceId: \"eni-d\"}")),
        "{found:?}"
    );
}

#[tokio::test]
async fn page_numbers_stop_at_total_count() {
    let correct = by_number(|number| number);
    let outcome = run(correct, NUMBER_STEP).await;
    assert_eq!(outcome.verdict, Verdict::Pass, "{:?}", messages(&outcome));
    // Pages of 2, 2 and 1 reach TotalCount 5: no fourth, empty page is asked for.
    assert_eq!(outcome.requests, 3);
}

#[tokio::test]
async fn an_endpoint_ignoring_the_page_number_fails() {
    let always_first = by_number(|_| 1);
    let outcome = run(always_first, NUMBER_STEP).await;
    assert_eq!(outcome.verdict, Verdict::Fail);
    let found = messages(&outcome);
    assert!(
        found.contains(&"count of NetworkInterfaceSets.NetworkInterfaceSet: expected 5, got 6"),
        "{found:?}"
    );
}

#[tokio::test]
async fn paging_stops_after_a_hundred_pages() {
    let endless: Arc<Script> = Arc::new(|_| {
        (
            200,
            page_body(&["eni-a"], serde_json::json!({"NextToken": "again"})),
        )
    });
    let outcome = run(endless, TOKEN_STEP).await;
    assert_eq!(outcome.verdict, Verdict::Fail);
    assert_eq!(outcome.requests, eni_spec::Paginate::MAX_PAGES);
    let found = messages(&outcome);
    assert!(
        found.contains(&"still paging after 100 pages: every answer gave another `NextToken`; a paged read stops there"),
        "{found:?}"
    );
    // Without TotalCount, number paging runs until an empty page, bounded the same way.
    let never_empty: Arc<Script> = Arc::new(|_| {
        (
            200,
            serde_json::json!({"RequestId": "R", "NetworkInterfaceSets": {"NetworkInterfaceSet": [{"NetworkInterfaceId": "eni-a"}]}}),
        )
    });
    let outcome = run(never_empty, NUMBER_STEP).await;
    assert_eq!(outcome.requests, eni_spec::Paginate::MAX_PAGES);
    assert!(
        messages(&outcome).iter().any(|m| m.starts_with("still paging after 100 pages: no page was empty, and the pages hold 100 elements, short of TotalCount (absent)")),
        "{:?}",
        messages(&outcome)
    );
}

#[tokio::test]
async fn every_page_must_answer_200() {
    let second_fails: Arc<Script> = Arc::new(|request| match param(request, "NextToken") {
        None => (
            200,
            page_body(&ENIS[..2], serde_json::json!({"NextToken": "t2"})),
        ),
        Some(_) => (
            400,
            serde_json::json!({"RequestId": "R", "Code": "InvalidParameter", "Message": "NextToken is invalid"}),
        ),
    });
    let outcome = run(second_fails, TOKEN_STEP).await;
    assert_eq!(outcome.verdict, Verdict::Fail);
    assert_eq!(outcome.requests, 2);
    let page_failure = outcome
        .failures
        .iter()
        .find(|f| {
            f.message
                .starts_with("page 2 answered 400 InvalidParameter: NextToken is invalid")
        })
        .unwrap_or_else(|| panic!("{:?}", messages(&outcome)));
    assert_eq!(page_failure.step, "all");
    // The reproduction is of the failing page, token included.
    assert!(
        page_failure
            .curl
            .as_deref()
            .is_some_and(|curl| curl.contains("NextToken=t2")),
        "{page_failure:?}"
    );
}

fn case_tagged(tags: &str) -> Case {
    let source = format!(
        "id: t.case\ntitle: t\ntags: [{tags}]\nsteps:\n  - action: DescribeNetworkInterfaces\n"
    );
    eni_spec::parse_case(&source, "t.yaml").unwrap()
}

#[test]
fn reference_emulator_cases_run_only_against_the_reference_emulator() {
    let mut profile = Profile::embedded();
    assert!(profile.reference_emulator);
    let case = case_tagged("common, reference-emulator");
    assert_eq!(skip_reason(&case, &profile), None);
    profile.reference_emulator = false;
    let reason = skip_reason(&case, &profile).unwrap();
    assert!(reason.contains("DECISIONS.md"), "{reason}");
    assert_eq!(skip_reason(&case_tagged("common"), &profile), None);
}

#[test]
fn signing_specific_cases_skip_under_the_other_signature_version() {
    let mut profile = Profile::embedded();
    let v1_only = case_tagged("v1-only");
    let v3_only = case_tagged("v3-only");
    assert_eq!(skip_reason(&v1_only, &profile), None);
    assert!(skip_reason(&v3_only, &profile).is_some());
    profile.signing = Signing::V3;
    assert!(skip_reason(&v1_only, &profile).unwrap().contains("V3"));
    assert_eq!(skip_reason(&v3_only, &profile), None);
}
