//! API errors: code, HTTP status and message, with constructors for every message template.
//!
//! Templates with curly quotes (“ ”) are the seed page's, kept to the letter; the others follow
//! their style and always name the parameter or value at fault.

use std::borrow::Cow;
use std::net::Ipv4Addr;

/// One error answer: rendered by `render` with `RequestId`, `HostId` and `Recommend`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub code: Cow<'static, str>,
    pub status: u16,
    pub message: String,
    /// The contract rule that raised it (`assign.row-3`, `common.signature`), for the journal;
    /// empty: `<action>.<code>`.
    pub rule: &'static str,
    /// The parameter the error names, if it names one.
    pub param: Option<String>,
}

impl ApiError {
    pub fn new(
        code: impl Into<Cow<'static, str>>,
        status: u16,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            code: code.into(),
            status,
            message: message.into(),
            rule: "",
            param: None,
        }
    }

    /// The same error, raised by contract rule `rule`.
    pub fn at(mut self, rule: &'static str) -> Self {
        self.rule = rule;
        self
    }

    fn naming(mut self, param: &str) -> Self {
        self.param = Some(param.to_owned());
        self
    }

    pub fn missing(name: &str) -> Self {
        Self::new(
            "MissingParameter",
            400,
            format!(
                "The input parameter “{name}” that is mandatory for processing this request is not supplied."
            ),
        )
        .naming(name)
    }

    /// `code` is the profile's spelling (`InValidParameter` or `InvalidParameter`).
    pub fn invalid(code: &str, name: &str) -> Self {
        Self::new(
            code.to_owned(),
            400,
            format!("the parameter(s) “{name}” provided is(are) invalid."),
        )
        .naming(name)
    }

    pub fn unknown_action(action: &str) -> Self {
        Self::new(
            "InvalidAction.NotFound",
            404,
            format!("The specified action “{action}” is not found; check the Action parameter."),
        )
    }

    pub fn eni_not_found(id: &str) -> Self {
        Self::new(
            "InvalidEniId.NotFound",
            404,
            format!("The specified EniId “{id}” is not found."),
        )
    }

    pub fn vswitch_not_found(id: &str) -> Self {
        Self::new(
            "InvalidVSwitchId.NotFound",
            404,
            format!("The specified VSwitchId “{id}” is not found."),
        )
    }

    pub fn security_group_not_found(id: &str) -> Self {
        Self::new(
            "InvalidSecurityGroupId.NotFound",
            404,
            format!("The specified SecurityGroupId “{id}” is not found."),
        )
    }

    pub fn instance_not_found(id: &str) -> Self {
        Self::new(
            "InvalidInstanceId.NotFound",
            404,
            format!("The specified InstanceId “{id}” is not found."),
        )
    }

    pub fn region_not_found(id: &str) -> Self {
        Self::new(
            "InvalidRegionId.NotFound",
            404,
            format!("The specified RegionId “{id}” is not found."),
        )
    }

    pub fn eni_state(expecting: &str, current: &str) -> Self {
        Self::new(
            "InvalidOperation.InvalidEniState",
            400,
            format!(
                "The operation is not allowed in the current ENI state. Expecting status is “{expecting}” while current status is “{current}”."
            ),
        )
    }

    pub fn ecs_state(instance: &str, current: &str) -> Self {
        Self::new(
            "InvalidOperation.InvalidEcsState",
            400,
            format!(
                "The operation is not allowed in the current ECS instance state. Expecting status of instance “{instance}” is “Running/Stopped” while current status is “{current}”."
            ),
        )
    }

    pub fn conflict() -> Self {
        Self::new("Operation.Conflict", 403, "ecs task is conflicted.")
    }

    pub fn ip_invalid(ip: Ipv4Addr, cidr: &str) -> Self {
        Self::new(
            "InvalidVSwitchId.IpInvalid",
            403,
            format!("The specified IpAddress “{ip}” is not valid in VSwitch CIDR block “{cidr}”."),
        )
    }

    pub fn ip_assigned(ip: Ipv4Addr, vswitch: &str) -> Self {
        Self::new(
            "InvalidIp.IpAssigned",
            403,
            format!("The specified IpAddress “{ip}” is already assigned in VSwitch “{vswitch}”."),
        )
    }

    pub fn ip_unassigned(ip: &str) -> Self {
        Self::new(
            "InvalidIp.IpUnassigned",
            403,
            format!("The specified IP “{ip}” is not assigned on this ENI."),
        )
    }

    pub fn duplicated(ip: Ipv4Addr) -> Self {
        Self::new(
            "InvalidPrivateIpAddress.Duplicated",
            400,
            format!("The specified IpAddress “{ip}” is given more than once."),
        )
    }

    pub fn cap_exceeded(eni: &str, would_hold: usize, cap: u32, reason: &str) -> Self {
        Self::new(
            "MaxEniPrivateIpsCountExceeded",
            403,
            format!(
                "The ENI “{eni}” would hold {would_hold} secondary private IP addresses; at most {cap} are allowed {reason}."
            ),
        )
    }

    pub fn ip_not_enough(vswitch: &str) -> Self {
        Self::new(
            "InvalidVSwitchId.IpNotEnough",
            403,
            format!("The specified VSwitch \"{vswitch}\" has not enough IpAddress."),
        )
    }

    pub fn idempotent_mismatch(token: &str) -> Self {
        Self::new(
            "IdempotentParameterMismatch",
            400,
            format!(
                "The ClientToken “{token}” was already used by a request with other parameters."
            ),
        )
    }

    pub fn internal() -> Self {
        Self::new(
            "InternalError",
            500,
            "The request processing has failed due to some unknown error, exception or failure.",
        )
    }

    pub fn throttling() -> Self {
        Self::new(
            "Throttling",
            400,
            "Request was denied due to request throttling.",
        )
    }

    pub fn service_unavailable() -> Self {
        Self::new(
            "ServiceUnavailable",
            503,
            "The request has failed due to a temporary failure of the server.",
        )
    }

    pub fn too_large(what: &str, limit: usize) -> Self {
        Self::new(
            "RequestEntityTooLarge",
            413,
            format!("The request {what} is larger than the limit of {limit} bytes."),
        )
    }
}
