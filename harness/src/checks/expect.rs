//! A step's own expectations (status, code, message, fields, assigned addresses) held against
//! what came back. Templates are evaluated by the runner first; this compares plain values.

use crate::target::Exchange;

/// The path in an Assign answer where the assigned addresses are listed.
pub const ASSIGNED_PATH: &str = "AssignedPrivateIpAddressesSet.PrivateIpSet.PrivateIpAddress";

/// A step's expectations with every template evaluated and every code spelled for the target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expectation {
    /// Accepted statuses; empty means not checked.
    pub status: Vec<u16>,
    /// Accepted codes; empty means not checked.
    pub codes: Vec<String>,
    pub message_contains: Option<String>,
    pub fields: Vec<(String, String)>,
    pub absent: Vec<String>,
    pub assigned: Option<Vec<String>>,
    pub assigned_count: Option<u32>,
    pub count: Option<(String, usize)>,
}

/// Every way the answer differs from the expectation, one line each.
pub fn mismatches(expectation: &Expectation, exchange: &Exchange) -> Vec<String> {
    let decoded = &exchange.decoded;
    let mut found = Vec::new();
    let actual_code = decoded.code.as_deref().unwrap_or("");
    if !expectation.status.is_empty() && !expectation.status.contains(&exchange.status) {
        found.push(format!(
            "status: expected {}, got {}{}",
            one_of(expectation.status.iter().map(u16::to_string)),
            exchange.status,
            if actual_code.is_empty() {
                String::new()
            } else {
                format!(
                    " {actual_code}: {}",
                    decoded.message.as_deref().unwrap_or("")
                )
            }
        ));
    }
    // A step that accepts a success among its outcomes (`status: [200, 403]`) checks the code
    // only when the answer is an error: a success has no code.
    let success_accepted = exchange.status == 200 && expectation.status.contains(&200);
    if !expectation.codes.is_empty()
        && !success_accepted
        && !expectation.codes.iter().any(|code| code == actual_code)
    {
        found.push(format!(
            "code: expected {}, got {}",
            one_of(expectation.codes.iter().cloned()),
            if actual_code.is_empty() {
                "no code".to_string()
            } else {
                format!("`{actual_code}`")
            }
        ));
    }
    if let Some(needle) = &expectation.message_contains {
        let message = decoded.message.as_deref().unwrap_or("");
        if !message.contains(needle.as_str()) {
            found.push(format!(
                "message: expected it to contain {needle:?}, got {message:?}"
            ));
        }
    }
    for (path, expected) in &expectation.fields {
        match decoded.get(path).map(scalar_text) {
            Some(Some(actual)) if actual == *expected => {}
            Some(Some(actual)) => found.push(format!(
                "field {path}: expected {expected:?}, got {actual:?}"
            )),
            Some(None) => found.push(format!(
                "field {path}: expected {expected:?}, got a list or object"
            )),
            None => found.push(format!(
                "field {path}: expected {expected:?}, but it is absent"
            )),
        }
    }
    for path in &expectation.absent {
        if decoded.get(path).is_some() {
            found.push(format!(
                "field {path}: expected it absent, but it is present"
            ));
        }
    }
    let assigned = decoded.strings_at(ASSIGNED_PATH);
    if let Some(expected) = &expectation.assigned {
        let mut expected_sorted = expected.clone();
        expected_sorted.sort();
        let mut actual_sorted = assigned.clone();
        actual_sorted.sort();
        if expected_sorted != actual_sorted {
            found.push(format!(
                "assigned: expected [{}], got [{}]",
                expected.join(", "),
                assigned.join(", ")
            ));
        }
    }
    if let Some(count) = expectation.assigned_count
        && assigned.len() != count as usize
    {
        found.push(format!(
            "assigned: expected {count} addresses, got {}: [{}]",
            assigned.len(),
            assigned.join(", ")
        ));
    }
    if let Some((path, expected)) = &expectation.count {
        let actual = match decoded.get(path) {
            Some(serde_json::Value::Array(items)) => items.len(),
            Some(_) => 1,
            None => 0,
        };
        if actual != *expected {
            found.push(format!(
                "count of {path}: expected {expected}, got {actual}"
            ));
        }
    }
    found
}

/// A scalar as text (the decoded model holds every scalar as a string already).
fn scalar_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Null => Some(String::new()),
        serde_json::Value::Bool(flag) => Some(flag.to_string()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn one_of(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    match items.as_slice() {
        [one] => one.clone(),
        _ => format!("one of [{}]", items.join(", ")),
    }
}
