//! The name the runner gives the ENIs a case creates, so that leftovers on a shared target are
//! recognisable, and the request without it, as the case wrote it.

use crate::profile::Profile;

/// The parameter that names an ENI.
pub const RESOURCE_NAME_PARAM: &str = "NetworkInterfaceName";

/// The name the runner gives an ENI a case creates: `<resource_prefix><case id>`, cut at the
/// API's 128 characters, so that leftovers on a shared target are recognisable and `eni-harness
/// cleanup` finds them.
pub fn resource_name(profile: &Profile, case_id: &str) -> String {
    format!("{}{case_id}", profile.resource_prefix)
        .chars()
        .take(128)
        .collect()
}

/// The name to add to a request: only to `CreateNetworkInterface`, only when the case names no
/// ENI itself, and only when the profile has a prefix.
pub fn resource_name_for(
    profile: &Profile,
    case_id: &str,
    params: &[(String, String)],
) -> Option<String> {
    let actions: Vec<&str> = params
        .iter()
        .filter(|(key, _)| key == "Action")
        .map(|(_, value)| value.as_str())
        .collect();
    let creates = actions == ["CreateNetworkInterface"];
    let named = params.iter().any(|(key, _)| key == RESOURCE_NAME_PARAM);
    (creates && !named && !profile.resource_prefix.is_empty())
        .then(|| resource_name(profile, case_id))
}

/// The request as the case wrote it: without the name the runner added. Snapshots show this, so
/// that they read as the case file does.
pub fn without_resource_name(
    request: &crate::wire::WireRequest,
    profile: &Profile,
    case_id: &str,
) -> crate::wire::WireRequest {
    let added = resource_name(profile, case_id);
    let mut request = request.clone();
    let creates = request
        .params
        .iter()
        .any(|(key, value)| key == "Action" && value == "CreateNetworkInterface");
    if creates {
        request
            .params
            .retain(|(key, value)| !(key == RESOURCE_NAME_PARAM && *value == added));
    }
    request
}
