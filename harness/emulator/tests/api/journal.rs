//! The validation journal: one entry per request, the rule that answered, no secrets.

use std::sync::{Arc, Mutex};

use crate::common::*;
use eni_emulator::{Journal, JournalEntry, JournalVerdict, SigningKind};

pub(crate) fn journaled() -> (Client, Arc<Mutex<Vec<JournalEntry>>>) {
    let entries: Arc<Mutex<Vec<JournalEntry>>> = Arc::default();
    let sink = Arc::clone(&entries);
    let c = Client::with(move |c| {
        c.journal = Some(Journal::new(move |e| sink.lock().unwrap().push(e.clone())));
    });
    (c, entries)
}

#[tokio::test]
async fn every_request_is_judged_by_the_rule_that_answered() {
    let (c, entries) = journaled();
    let a = "AssignPrivateIpAddresses";
    let eni = c.create_eni(MAIN_VSW, &[]).await;
    c.call(
        a,
        &[
            ("NetworkInterfaceId", &eni),
            ("PrivateIpAddress. 1", "192.168.0.9"),
        ],
    )
    .await
    .assert_error(400, "InValidParameter");
    c.call(
        a,
        &[
            ("NetworkInterfaceId", &eni),
            ("SecondaryPrivateIpAddressCount", "1"),
            ("Signature", "bad"),
        ],
    )
    .await
    .assert_error(400, "SignatureDoesNotMatch");
    c.call(
        a,
        &[
            ("NetworkInterfaceId", &eni),
            ("PrivateIpAddress.1", "10.9.9.9"),
        ],
    )
    .await
    .assert_error(403, "InvalidVSwitchId.IpInvalid");
    c.call(
        a,
        &[
            ("AccessKeyId", OMIT),
            ("Signature", OMIT),
            ("SecondaryPrivateIpAddressCount", "1"),
        ],
    )
    .await
    .assert_error(400, "MissingParameter");
    c.call("AssignPrivateIpAdresses", &[])
        .await
        .assert_error(404, "InvalidAction.NotFound");

    let entries = entries.lock().unwrap().clone();
    let seen: Vec<(JournalVerdict, &str, Option<bool>)> = entries
        .iter()
        .map(|e| (e.verdict, e.rule.as_str(), e.signature_valid))
        .collect();
    assert_eq!(
        seen,
        [
            (JournalVerdict::Ok, "ok", Some(true)),
            (JournalVerdict::Malformed, "assign.row-3", Some(true)),
            (
                JournalVerdict::BadSignature,
                "common.signature",
                Some(false)
            ),
            (JournalVerdict::Rejected, "assign.row-13", Some(true)),
            (JournalVerdict::Unsigned, "common.auth-missing", None),
            (JournalVerdict::Malformed, "common.action-unknown", None),
        ]
    );
    assert_eq!(entries[1].parameter.as_deref(), Some("PrivateIpAddress. 1"));
    assert!(!entries[1].well_formed);
    assert_eq!(entries[0].signing, SigningKind::V1);
    assert_eq!(entries[4].signing, SigningKind::None);
    assert_eq!(entries[0].action.as_deref(), Some("CreateNetworkInterface"));
    assert_eq!(
        entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6]
    );
    for e in &entries {
        for (name, value) in &e.params {
            if ["AccessKeyId", "Signature", "SecurityToken"].contains(&name.as_str()) {
                assert_eq!(*value, None, "{name} leaked");
            }
        }
        let line = format!("{e:?}");
        assert!(
            !line.contains("testid") && !line.contains("testsecret"),
            "{line}"
        );
    }
}

#[tokio::test]
async fn no_journal_no_entries_and_same_answers() {
    let (journaled, _) = journaled();
    let plain = Client::builtin();
    let a = journaled.call("DescribeNetworkInterfaces", &[]).await;
    let b = plain.call("DescribeNetworkInterfaces", &[]).await;
    assert_eq!(a.body, b.body);
}
