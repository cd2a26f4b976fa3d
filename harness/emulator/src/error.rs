//! API errors: code, HTTP status and what the message says, with a constructor for every
//! message and its text in both wordings (the reference's and a variant world's).
//!
//! Reference templates with curly quotes (“ ”) are the seed page's, kept to the letter; the
//! others follow their style and always name the parameter or value at fault. The variant
//! wording says the same in other words, except where the contract quotes a message: those
//! ([`Says::is_quoted`]) read the same in both.

use std::borrow::Cow;
use std::net::Ipv4Addr;

/// Which words messages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Wording {
    /// The reference emulator's messages.
    #[default]
    Reference,
    /// A variant world's: other sentences, and a list item's error names the list, not the key.
    Variant,
}

/// One error answer: rendered by `render` with `RequestId`, `HostId` and `Recommend`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub code: Cow<'static, str>,
    pub status: u16,
    /// What the message says; worded when it is rendered. Boxed: errors travel in every
    /// `Result` of the actions, and most of them are never raised.
    pub says: Box<Says>,
    /// The contract rule that raised it (`assign.row-3`, `common.signature`), for the journal;
    /// empty: `<action>.<code>`.
    pub rule: &'static str,
    /// The parameter the error names, if it names one (for a list item, its key).
    pub param: Option<String>,
}

/// What an error message says, before it is worded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Says {
    Missing {
        name: String,
    },
    Invalid {
        name: String,
    },
    /// An item of list `list` whose key or value is bad: the reference names the key
    /// (`PrivateIpAddress.3`), the variant the list; the contract accepts either.
    InvalidItem {
        list: String,
        key: String,
    },
    UnknownAction {
        action: String,
    },
    EniNotFound {
        id: String,
    },
    VSwitchNotFound {
        id: String,
    },
    SecurityGroupNotFound {
        id: String,
    },
    InstanceNotFound {
        id: String,
    },
    RegionNotFound {
        id: String,
    },
    EniState {
        expecting: String,
        current: String,
    },
    EcsState {
        instance: String,
        current: String,
    },
    Conflict,
    /// `ip` is an address or, for a prefix, the prefix (`192.168.0.16/28`).
    IpInvalid {
        ip: String,
        cidr: String,
    },
    IpAssigned {
        ip: String,
        vswitch: String,
    },
    IpUnassigned {
        ip: String,
    },
    Duplicated {
        ip: Ipv4Addr,
    },
    CapExceeded {
        eni: String,
        would_hold: usize,
        cap: u32,
        reason: String,
    },
    IpNotEnough {
        vswitch: String,
    },
    IdempotentMismatch {
        token: String,
    },
    EniLimit {
        instance: String,
        instance_type: String,
        attached: usize,
    },
    DetachPrimary {
        eni: String,
    },
    EniNotAttached {
        eni: String,
        instance: String,
    },
    NonceUsed {
        nonce: String,
    },
    AccessKeyNotFound {
        id: String,
    },
    IncompleteSignature {
        header: String,
    },
    TimestampFormat {
        name: String,
        value: String,
    },
    TimestampExpired {
        name: String,
        value: String,
        now: String,
    },
    SignatureMismatch {
        string_to_sign: String,
    },
    Internal,
    Throttling,
    ServiceUnavailable,
    TooLarge {
        what: &'static str,
        limit: usize,
    },
    BodyUnreadable,
    /// A connection over the server's cap.
    ConnectionCap {
        cap: usize,
    },
    /// A request line or header block that cannot be parsed.
    HeadUnparseable,
    /// The server stopped waiting for a body that arrived too slowly.
    BodyTimeout {
        detail: String,
    },
}

impl Says {
    /// Whether the contract quotes this message, so that every wording must keep it verbatim:
    /// rows 11, 13 and 16, `InvalidIp.IpUnassigned` and the signature mismatch. (Row 10 is
    /// quoted in part; see [`Says::text`].) The variant's tests hold every wording to it.
    #[cfg(test)]
    pub(crate) fn is_quoted(&self) -> bool {
        matches!(
            self,
            Says::Conflict
                | Says::IpInvalid { .. }
                | Says::IpNotEnough { .. }
                | Says::IpUnassigned { .. }
                | Says::SignatureMismatch { .. }
        )
    }

    /// The message in `wording`.
    pub(crate) fn text(&self, wording: Wording) -> String {
        let variant = wording == Wording::Variant;
        match self {
            Says::Missing { name } if variant => {
                format!("{name} is mandatory for this action and was not given.")
            }
            Says::Missing { name } => format!(
                "The input parameter “{name}” that is mandatory for processing this request is not supplied."
            ),
            Says::Invalid { name } if variant => {
                format!("The value given for {name} is not valid.")
            }
            Says::Invalid { name } => {
                format!("the parameter(s) “{name}” provided is(are) invalid.")
            }
            Says::InvalidItem { list, .. } if variant => {
                format!("The value given for {list} is not valid.")
            }
            Says::InvalidItem { key, .. } => {
                format!("the parameter(s) “{key}” provided is(are) invalid.")
            }
            Says::UnknownAction { action } if variant => {
                format!("There is no action named {action} in this API version.")
            }
            Says::UnknownAction { action } => {
                format!("The specified action “{action}” is not found; check the Action parameter.")
            }
            Says::EniNotFound { id } if variant => {
                format!("No network interface {id} exists in this region.")
            }
            Says::EniNotFound { id } => format!("The specified EniId “{id}” is not found."),
            Says::VSwitchNotFound { id } if variant => {
                format!("No VSwitch {id} exists in this region.")
            }
            Says::VSwitchNotFound { id } => {
                format!("The specified VSwitchId “{id}” is not found.")
            }
            Says::SecurityGroupNotFound { id } if variant => {
                format!("No security group {id} exists in this region.")
            }
            Says::SecurityGroupNotFound { id } => {
                format!("The specified SecurityGroupId “{id}” is not found.")
            }
            Says::InstanceNotFound { id } if variant => {
                format!("No instance {id} exists in this region.")
            }
            Says::InstanceNotFound { id } => {
                format!("The specified InstanceId “{id}” is not found.")
            }
            Says::RegionNotFound { id } if variant => {
                format!("Region {id} is not served by this endpoint.")
            }
            Says::RegionNotFound { id } => format!("The specified RegionId “{id}” is not found."),
            // The contract quotes the second sentence; the variant says only that.
            Says::EniState { expecting, current } if variant => {
                format!("Expecting status is “{expecting}” while current status is “{current}”.")
            }
            Says::EniState { expecting, current } => format!(
                "The operation is not allowed in the current ENI state. Expecting status is “{expecting}” while current status is “{current}”."
            ),
            Says::EcsState { instance, current } if variant => {
                format!("Instance {instance} is {current}; it must be Running or Stopped.")
            }
            Says::EcsState { instance, current } => format!(
                "The operation is not allowed in the current ECS instance state. Expecting status of instance “{instance}” is “Running/Stopped” while current status is “{current}”."
            ),
            Says::Conflict => "ecs task is conflicted.".to_owned(),
            Says::IpInvalid { ip, cidr } => {
                format!(
                    "The specified IpAddress “{ip}” is not valid in VSwitch CIDR block “{cidr}”."
                )
            }
            Says::IpAssigned { ip, vswitch } if variant => {
                format!("{ip} is already in use in VSwitch {vswitch}.")
            }
            Says::IpAssigned { ip, vswitch } => format!(
                "The specified IpAddress “{ip}” is already assigned in VSwitch “{vswitch}”."
            ),
            Says::IpUnassigned { ip } => {
                format!("The specified IP “{ip}” is not assigned on this ENI.")
            }
            Says::Duplicated { ip } if variant => {
                format!("{ip} appears more than once in the request.")
            }
            Says::Duplicated { ip } => {
                format!("The specified IpAddress “{ip}” is given more than once.")
            }
            Says::CapExceeded {
                eni,
                would_hold,
                cap,
                reason,
            } if variant => format!(
                "Too many private IP addresses for {eni}: {would_hold} secondary ones in all, while the limit {reason} is {cap}."
            ),
            Says::CapExceeded {
                eni,
                would_hold,
                cap,
                reason,
            } => format!(
                "The ENI “{eni}” would hold {would_hold} secondary private IP addresses; at most {cap} are allowed {reason}."
            ),
            Says::IpNotEnough { vswitch } => {
                format!("The specified VSwitch \"{vswitch}\" has not enough IpAddress.")
            }
            Says::IdempotentMismatch { token } if variant => format!(
                "ClientToken {token} belongs to an earlier request with different parameters."
            ),
            Says::IdempotentMismatch { token } => format!(
                "The ClientToken “{token}” was already used by a request with other parameters."
            ),
            Says::EniLimit {
                instance,
                instance_type,
                attached,
            } if variant => format!(
                "Instance {instance} ({instance_type}) cannot take another network interface: it has {attached}."
            ),
            Says::EniLimit {
                instance,
                instance_type,
                attached,
            } => format!(
                "The instance “{instance}” of type “{instance_type}” already has {attached} ENIs, the most it allows."
            ),
            Says::DetachPrimary { eni } if variant => {
                format!("{eni} is a primary network interface; primary interfaces stay attached.")
            }
            Says::DetachPrimary { eni } => format!(
                "The ENI “{eni}” is the primary ENI of its instance and cannot be detached."
            ),
            Says::EniNotAttached { eni, instance } if variant => {
                format!("{eni} is not attached to {instance}.")
            }
            Says::EniNotAttached { eni, instance } => {
                format!("The ENI “{eni}” is not attached to the instance “{instance}”.")
            }
            Says::NonceUsed { nonce } if variant => {
                format!("SignatureNonce {nonce} has been used before; send a fresh one.")
            }
            Says::NonceUsed { nonce } => format!(
                "The specified SignatureNonce “{nonce}” was already used within the last 15 minutes."
            ),
            Says::AccessKeyNotFound { id } if variant => {
                format!("AccessKeyId {id} does not exist.")
            }
            Says::AccessKeyNotFound { id } => {
                format!("The specified AccessKeyId “{id}” is not found.")
            }
            Says::IncompleteSignature { header } if variant => {
                format!("Cannot parse the Authorization header {header}.")
            }
            Says::IncompleteSignature { header } => format!(
                "The Authorization header “{header}” is not of the form ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<names>,Signature=<hex>."
            ),
            Says::TimestampFormat { name, value } if variant => {
                format!("{name} {value} is not an ISO 8601 time in UTC.")
            }
            Says::TimestampFormat { name, value } => format!(
                "The specified {name} “{value}” is not of the form yyyy-MM-ddTHH:mm:ssZ (UTC)."
            ),
            Says::TimestampExpired { name, value, now } if variant => {
                format!("{name} {value} is too far from the server clock ({now}).")
            }
            Says::TimestampExpired { name, value, now } => format!(
                "The specified {name} “{value}” is more than 15 minutes away from the server time “{now}”."
            ),
            Says::SignatureMismatch { string_to_sign } => format!(
                "Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"
            ),
            Says::Internal if variant => "An internal error occurred; try again later.".to_owned(),
            Says::Internal => {
                "The request processing has failed due to some unknown error, exception or failure."
                    .to_owned()
            }
            Says::Throttling if variant => "Too many requests; slow down and retry.".to_owned(),
            Says::Throttling => "Request was denied due to request throttling.".to_owned(),
            Says::ServiceUnavailable if variant => {
                "The service is unavailable for a moment; retry later.".to_owned()
            }
            Says::ServiceUnavailable => {
                "The request has failed due to a temporary failure of the server.".to_owned()
            }
            Says::TooLarge { what, limit } if variant => {
                format!("The {what} exceeds {limit} bytes.")
            }
            Says::TooLarge { what, limit } => {
                format!("The request {what} is larger than the limit of {limit} bytes.")
            }
            Says::BodyUnreadable if variant => "Reading the request body failed.".to_owned(),
            Says::BodyUnreadable => "The request body could not be read.".to_owned(),
            Says::ConnectionCap { cap } if variant => {
                format!("Too many connections (the limit is {cap}); try again shortly.")
            }
            Says::ConnectionCap { cap } => {
                format!("The emulator serves at most {cap} connections at once; retry later.")
            }
            Says::HeadUnparseable if variant => "Malformed request line or headers.".to_owned(),
            Says::HeadUnparseable => "The request line or headers could not be parsed.".to_owned(),
            Says::BodyTimeout { detail } if variant => {
                format!("Gave up waiting for the request body ({detail}); closing the connection.")
            }
            Says::BodyTimeout { detail } => format!("{detail}; the connection is closed."),
        }
    }
}

impl ApiError {
    fn new(code: impl Into<Cow<'static, str>>, status: u16, says: Says) -> Self {
        ApiError {
            code: code.into(),
            status,
            says: Box::new(says),
            rule: "",
            param: None,
        }
    }

    /// The same error, raised by contract rule `rule`.
    pub(crate) fn at(mut self, rule: &'static str) -> Self {
        self.rule = rule;
        self
    }

    fn naming(mut self, param: &str) -> Self {
        self.param = Some(param.to_owned());
        self
    }

    /// The message in `wording`.
    pub(crate) fn message(&self, wording: Wording) -> String {
        self.says.text(wording)
    }

    pub(crate) fn missing(name: &str) -> Self {
        Self::new(
            "MissingParameter",
            400,
            Says::Missing {
                name: name.to_owned(),
            },
        )
        .naming(name)
    }

    /// `code` is the profile's spelling (`InValidParameter` or `InvalidParameter`).
    pub(crate) fn invalid(code: &str, name: &str) -> Self {
        Self::new(
            code.to_owned(),
            400,
            Says::Invalid {
                name: name.to_owned(),
            },
        )
        .naming(name)
    }

    /// A bad key or value of an item of list `list`: [`ApiError::invalid`] naming `key` in
    /// the reference wording and `list` in the variant's.
    pub(crate) fn invalid_item(code: &str, list: &str, key: &str) -> Self {
        Self::new(
            code.to_owned(),
            400,
            Says::InvalidItem {
                list: list.to_owned(),
                key: key.to_owned(),
            },
        )
        .naming(key)
    }

    pub(crate) fn unknown_action(action: &str) -> Self {
        Self::new(
            "InvalidAction.NotFound",
            404,
            Says::UnknownAction {
                action: action.to_owned(),
            },
        )
    }

    pub(crate) fn eni_not_found(id: &str) -> Self {
        Self::new(
            "InvalidEniId.NotFound",
            404,
            Says::EniNotFound { id: id.to_owned() },
        )
    }

    pub(crate) fn vswitch_not_found(id: &str) -> Self {
        Self::new(
            "InvalidVSwitchId.NotFound",
            404,
            Says::VSwitchNotFound { id: id.to_owned() },
        )
    }

    pub(crate) fn security_group_not_found(id: &str) -> Self {
        Self::new(
            "InvalidSecurityGroupId.NotFound",
            404,
            Says::SecurityGroupNotFound { id: id.to_owned() },
        )
    }

    pub(crate) fn instance_not_found(id: &str) -> Self {
        Self::new(
            "InvalidInstanceId.NotFound",
            404,
            Says::InstanceNotFound { id: id.to_owned() },
        )
    }

    pub(crate) fn region_not_found(id: &str) -> Self {
        Self::new(
            "InvalidRegionId.NotFound",
            404,
            Says::RegionNotFound { id: id.to_owned() },
        )
    }

    pub(crate) fn eni_state(expecting: &str, current: &str) -> Self {
        Self::new(
            "InvalidOperation.InvalidEniState",
            400,
            Says::EniState {
                expecting: expecting.to_owned(),
                current: current.to_owned(),
            },
        )
    }

    pub(crate) fn ecs_state(instance: &str, current: &str) -> Self {
        Self::new(
            "InvalidOperation.InvalidEcsState",
            400,
            Says::EcsState {
                instance: instance.to_owned(),
                current: current.to_owned(),
            },
        )
    }

    pub(crate) fn conflict() -> Self {
        Self::new("Operation.Conflict", 403, Says::Conflict)
    }

    /// `ip`: an address, or a prefix that is not wholly usable in the block.
    pub(crate) fn ip_invalid(ip: impl std::fmt::Display, cidr: &str) -> Self {
        Self::new(
            "InvalidVSwitchId.IpInvalid",
            403,
            Says::IpInvalid {
                ip: ip.to_string(),
                cidr: cidr.to_owned(),
            },
        )
    }

    /// `ip`: an address, or a prefix that overlaps something in use.
    pub(crate) fn ip_assigned(ip: impl std::fmt::Display, vswitch: &str) -> Self {
        Self::new(
            "InvalidIp.IpAssigned",
            403,
            Says::IpAssigned {
                ip: ip.to_string(),
                vswitch: vswitch.to_owned(),
            },
        )
    }

    pub(crate) fn ip_unassigned(ip: &str) -> Self {
        Self::new(
            "InvalidIp.IpUnassigned",
            403,
            Says::IpUnassigned { ip: ip.to_owned() },
        )
    }

    pub(crate) fn duplicated(ip: Ipv4Addr) -> Self {
        Self::new(
            "InvalidPrivateIpAddress.Duplicated",
            400,
            Says::Duplicated { ip },
        )
    }

    pub(crate) fn cap_exceeded(eni: &str, would_hold: usize, cap: u32, reason: &str) -> Self {
        Self::new(
            "MaxEniPrivateIpsCountExceeded",
            403,
            Says::CapExceeded {
                eni: eni.to_owned(),
                would_hold,
                cap,
                reason: reason.to_owned(),
            },
        )
    }

    pub(crate) fn ip_not_enough(vswitch: &str) -> Self {
        Self::new(
            "InvalidVSwitchId.IpNotEnough",
            403,
            Says::IpNotEnough {
                vswitch: vswitch.to_owned(),
            },
        )
    }

    /// Row 16 as the `current` contract also allows it to be answered (the same message).
    pub(crate) fn quota_exceeded(vswitch: &str) -> Self {
        Self::new(
            "QuotaExceeded.PrivateIpAddress",
            403,
            Says::IpNotEnough {
                vswitch: vswitch.to_owned(),
            },
        )
    }

    pub(crate) fn idempotent_mismatch(token: &str) -> Self {
        Self::new(
            "IdempotentParameterMismatch",
            400,
            Says::IdempotentMismatch {
                token: token.to_owned(),
            },
        )
    }

    /// Attaching beyond the instance type's ENI count.
    pub(crate) fn eni_limit(instance: &str, instance_type: &str, attached: usize) -> Self {
        Self::new(
            "EniPerInstanceLimitExceeded",
            403,
            Says::EniLimit {
                instance: instance.to_owned(),
                instance_type: instance_type.to_owned(),
                attached,
            },
        )
    }

    /// Detaching a primary ENI, answered with `status` (the contract gives none).
    pub(crate) fn detach_primary(eni: &str, status: u16) -> Self {
        Self::new(
            "InvalidOperation.DetachPrimaryEniNotAllowed",
            status,
            Says::DetachPrimary {
                eni: eni.to_owned(),
            },
        )
    }

    pub(crate) fn eni_not_attached(eni: &str, instance: &str) -> Self {
        Self::new(
            "InvalidOperation.EniNotAttached",
            400,
            Says::EniNotAttached {
                eni: eni.to_owned(),
                instance: instance.to_owned(),
            },
        )
    }

    pub(crate) fn nonce_used(nonce: &str) -> Self {
        Self::new(
            "SignatureNonceUsed",
            400,
            Says::NonceUsed {
                nonce: nonce.to_owned(),
            },
        )
    }

    pub(crate) fn access_key_not_found(id: &str) -> Self {
        Self::new(
            "InvalidAccessKeyId.NotFound",
            404,
            Says::AccessKeyNotFound { id: id.to_owned() },
        )
    }

    pub(crate) fn incomplete_signature(header: &str) -> Self {
        Self::new(
            "IncompleteSignature",
            400,
            Says::IncompleteSignature {
                header: header.to_owned(),
            },
        )
    }

    pub(crate) fn timestamp_format(name: &str, value: &str) -> Self {
        Self::new(
            "InvalidTimeStamp.Format",
            400,
            Says::TimestampFormat {
                name: name.to_owned(),
                value: value.to_owned(),
            },
        )
    }

    pub(crate) fn timestamp_expired(name: &str, value: &str, now: String) -> Self {
        Self::new(
            "InvalidTimeStamp.Expired",
            400,
            Says::TimestampExpired {
                name: name.to_owned(),
                value: value.to_owned(),
                now,
            },
        )
    }

    pub(crate) fn signature_mismatch(string_to_sign: &str) -> Self {
        Self::new(
            "SignatureDoesNotMatch",
            400,
            Says::SignatureMismatch {
                string_to_sign: string_to_sign.to_owned(),
            },
        )
    }

    pub(crate) fn internal() -> Self {
        Self::new("InternalError", 500, Says::Internal)
    }

    pub(crate) fn throttling() -> Self {
        Self::new("Throttling", 400, Says::Throttling)
    }

    pub(crate) fn service_unavailable() -> Self {
        Self::new("ServiceUnavailable", 503, Says::ServiceUnavailable)
    }

    pub(crate) fn too_large(what: &'static str, limit: usize) -> Self {
        Self::new("RequestEntityTooLarge", 413, Says::TooLarge { what, limit })
    }

    /// A body that cannot be read at all (a broken chunked encoding, a dropped connection).
    pub(crate) fn body_unreadable() -> Self {
        Self::new("InvalidParameter", 400, Says::BodyUnreadable)
    }

    /// A connection over the server's cap (`503 ServiceUnavailable`).
    pub(crate) fn connection_cap(cap: usize) -> Self {
        Self::new("ServiceUnavailable", 503, Says::ConnectionCap { cap })
    }

    /// A request head that cannot be parsed (`400 InvalidParameter`).
    pub(crate) fn head_unparseable() -> Self {
        Self::new("InvalidParameter", 400, Says::HeadUnparseable)
    }

    /// A body that arrived more slowly than the server waits for (`408 RequestTimeout`).
    pub(crate) fn body_timeout(detail: String) -> Self {
        Self::new("RequestTimeout", 408, Says::BodyTimeout { detail })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_message() -> Vec<Says> {
        let ip = Ipv4Addr::new(10, 20, 8, 9);
        let s = |v: &str| v.to_owned();
        vec![
            Says::Missing { name: s("A") },
            Says::Invalid { name: s("A") },
            Says::InvalidItem {
                list: s("PrivateIpAddress"),
                key: s("PrivateIpAddress.3"),
            },
            Says::UnknownAction { action: s("X") },
            Says::EniNotFound { id: s("eni-x") },
            Says::VSwitchNotFound { id: s("vsw-x") },
            Says::SecurityGroupNotFound { id: s("sg-x") },
            Says::InstanceNotFound { id: s("i-x") },
            Says::RegionNotFound { id: s("r") },
            Says::EniState {
                expecting: s("Available/InUse"),
                current: s("Attaching"),
            },
            Says::EcsState {
                instance: s("i-x"),
                current: s("Starting"),
            },
            Says::Conflict,
            Says::IpInvalid {
                ip: ip.to_string(),
                cidr: s("10.20.8.0/24"),
            },
            Says::IpAssigned {
                ip: ip.to_string(),
                vswitch: s("vsw-x"),
            },
            Says::IpUnassigned { ip: s("10.20.8.9") },
            Says::Duplicated { ip },
            Says::CapExceeded {
                eni: s("eni-x"),
                would_hold: 11,
                cap: 10,
                reason: s("on an Available ENI"),
            },
            Says::IpNotEnough {
                vswitch: s("vsw-x"),
            },
            Says::IdempotentMismatch { token: s("t") },
            Says::EniLimit {
                instance: s("i-x"),
                instance_type: s("ecs.g6.large"),
                attached: 2,
            },
            Says::DetachPrimary { eni: s("eni-x") },
            Says::EniNotAttached {
                eni: s("eni-x"),
                instance: s("i-x"),
            },
            Says::NonceUsed { nonce: s("n") },
            Says::AccessKeyNotFound { id: s("k") },
            Says::IncompleteSignature { header: s("h") },
            Says::TimestampFormat {
                name: s("Timestamp"),
                value: s("x"),
            },
            Says::TimestampExpired {
                name: s("Timestamp"),
                value: s("x"),
                now: s("y"),
            },
            Says::SignatureMismatch {
                string_to_sign: s("GET&%2F&x"),
            },
            Says::Internal,
            Says::Throttling,
            Says::ServiceUnavailable,
            Says::TooLarge {
                what: "body",
                limit: 1,
            },
            Says::BodyUnreadable,
            Says::BodyTimeout { detail: s("slow") },
            Says::ConnectionCap { cap: 10 },
            Says::HeadUnparseable,
        ]
    }

    #[test]
    fn the_variant_rewords_every_message_the_contract_does_not_quote() {
        for says in every_message() {
            let (reference, variant) = (says.text(Wording::Reference), says.text(Wording::Variant));
            if says.is_quoted() {
                assert_eq!(reference, variant, "{says:?}");
            } else {
                assert_ne!(reference, variant, "{says:?}");
            }
        }
    }

    #[test]
    fn quoted_messages_are_the_contracts_to_the_letter() {
        let ip = Ipv4Addr::new(192, 168, 0, 9);
        for wording in [Wording::Reference, Wording::Variant] {
            assert_eq!(Says::Conflict.text(wording), "ecs task is conflicted.");
            assert_eq!(
                Says::IpNotEnough {
                    vswitch: "vsw-a".into()
                }
                .text(wording),
                "The specified VSwitch \"vsw-a\" has not enough IpAddress."
            );
            assert_eq!(
                Says::IpInvalid {
                    ip: ip.to_string(),
                    cidr: "192.168.0.0/24".into()
                }
                .text(wording),
                "The specified IpAddress “192.168.0.9” is not valid in VSwitch CIDR block “192.168.0.0/24”."
            );
            assert_eq!(
                Says::IpUnassigned {
                    ip: "192.168.0.9".into()
                }
                .text(wording),
                "The specified IP “192.168.0.9” is not assigned on this ENI."
            );
            assert!(
                Says::EniState {
                    expecting: "Available/InUse".into(),
                    current: "Deleting".into()
                }
                .text(wording)
                .ends_with(
                    "Expecting status is “Available/InUse” while current status is “Deleting”."
                )
            );
            assert!(
                Says::SignatureMismatch {
                    string_to_sign: "STS".into()
                }
                .text(wording)
                .starts_with("Specified signature is not matched with our calculation. server string to sign is:")
            );
        }
    }

    #[test]
    fn a_list_items_error_names_the_key_or_the_list() {
        let err =
            ApiError::invalid_item("InValidParameter", "PrivateIpAddress", "PrivateIpAddress.3");
        assert!(
            err.message(Wording::Reference)
                .contains("“PrivateIpAddress.3”")
        );
        let variant = err.message(Wording::Variant);
        assert!(
            variant.contains("PrivateIpAddress ") && !variant.contains(".3"),
            "{variant}"
        );
        assert_eq!(err.param.as_deref(), Some("PrivateIpAddress.3"));
    }
}
