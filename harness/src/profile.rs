//! Profiles: what a case may assume about a target. A profile maps the fixtures cases name to the
//! target's real ids and CIDRs, and carries the contract version's limits and code spellings, so
//! that one suite runs unchanged against the emulator, somebody's emulator or the real cloud.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use eni_emulator::InstanceStatus;
use ipnet::Ipv4Net;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::wire::{Format, Signing};

/// The profile used when none is given: the embedded emulator's built-in world.
pub const EMBEDDED_PROFILE: &str = include_str!("../../profiles/embedded.yaml");
/// The fixtures of the emulator's `worlds/lanes.yaml`: the built-in world's and three more
/// independent lanes, for fuzzing a served emulator with several sequences at once.
pub const LANES_PROFILE: &str = include_str!("../../profiles/lanes.yaml");
/// The built-in world as `eni-harness serve` runs it: the embedded profile's fixtures and
/// `serve`'s default timing (see the file).
pub const SERVED_PROFILE: &str = include_str!("../../profiles/served.yaml");
/// The served world [`LANES_PROFILE`] describes.
pub const LANES_WORLD: &str = include_str!("../emulator/worlds/lanes.yaml");

/// A validated profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// The profile's `name:`, as reports and the run's first lines show it.
    pub name: String,
    /// The version of the API documentation the target follows: its caps and code spellings.
    pub contract: Contract,
    /// The region every request names (`RegionId`).
    pub region: String,
    /// The answer format requested of the target (`Format=`).
    pub format: Format,
    /// How requests are signed (V1, V3, or not at all).
    pub signing: Signing,
    /// Every fixture by the name cases use (`uses: [vswitch]`).
    pub fixtures: BTreeMap<String, Fixture>,
    /// Checks turned off for every case run with this profile.
    pub disabled_checks: Vec<String>,
    /// Prefix given to the names of resources a run creates, so leftovers are recognisable.
    pub resource_prefix: String,
    /// Whether the target is the reference emulator making its default choices: only then do
    /// cases tagged `reference-emulator` (pinning a `DECISIONS.md` choice) run.
    pub reference_emulator: bool,
    /// Where this target's own snapshot recordings live (`snapshots: DIR`, relative to the
    /// profile file). Without it, or without a file for a case in it, a case's exchanges are
    /// compared with the reference recording by their contract view only.
    pub snapshots: Option<PathBuf>,
    /// What the target is known to do over time (`timing:`); each part absent when unknown.
    pub timing: Timing,
}

/// What a profile states about the target's timing, so the runner can wait as long as the
/// target needs (no more) and cases about transitions and task conflicts can judge a target
/// whose delays no knob sets. `None` means the profile gives no basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timing {
    /// Typical time an ENI spends in a transition (`Attaching`, `Detaching`, `Deleting`).
    pub transition: Option<Duration>,
    /// How long an assign or unassign keeps its ENI busy as a task (the window in which another
    /// request on the same ENI answers `Operation.Conflict`); `0s` states there is no such window.
    pub task: Option<Duration>,
}

/// One thing that exists on the target before a run and that cases may name.
#[derive(Debug, Clone, PartialEq)]
pub enum Fixture {
    /// A VSwitch cases create ENIs in.
    VSwitch {
        /// Its id on the target.
        id: String,
        /// Its block, as the target reports it.
        cidr: Ipv4Net,
        /// Its zone, when the profile says it.
        zone: Option<String>,
    },
    /// A security group new ENIs join.
    SecurityGroup {
        /// Its id on the target.
        id: String,
    },
    /// An instance ENIs are attached to.
    Instance(InstanceFixture),
}

/// An instance cases attach ENIs to, and what is known of its primary ENI.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceFixture {
    /// Its id on the target.
    pub id: String,
    /// Its instance type, which sets the address caps of its ENIs.
    pub instance_type: String,
    /// Name of the VSwitch fixture its primary ENI sits in.
    pub vswitch: Option<String>,
    /// The id of its primary ENI; `None` when the profile leaves it to discovery.
    pub primary_eni: Option<String>,
    /// The primary ENI's primary address, when known.
    pub primary_ip: Option<Ipv4Addr>,
    /// The state the instance is kept in (`None`: not said, taken as `Running`). The fuzzer's
    /// reference emulator starts with its instances in these states.
    pub status: Option<InstanceStatus>,
}

impl Fixture {
    /// The fixture's id on the target, whatever its kind.
    pub fn id(&self) -> &str {
        match self {
            Fixture::VSwitch { id, .. } | Fixture::SecurityGroup { id } => id,
            Fixture::Instance(instance) => &instance.id,
        }
    }
}

/// The limits and code spellings of one version of the API documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct Contract {
    /// The contract version's name: `seed` or `current`.
    pub name: String,
    /// Secondary addresses an ENI may hold while `Available`.
    pub available_cap: u32,
    /// Largest `N` in `PrivateIpAddress.N`.
    pub max_list_index: u32,
    /// Private IPv4 addresses per ENI, primary included, by instance type.
    pub instance_types: BTreeMap<String, u32>,
    /// Error codes as the case files spell them (the seed page's spelling) → as this target
    /// spells them. Codes not listed are spelled the same.
    pub code_spellings: BTreeMap<String, String>,
    /// Largest `N` of `Ipv4Prefix.N` and largest `Ipv4PrefixCount`; 0: this version of the API
    /// has no IPv4 prefixes (the seed page), and no prefix check applies.
    pub max_ipv4_prefixes: u32,
}

impl Contract {
    /// The seed page's contract: `InValidParameter`, an `Available` cap of 10.
    pub fn seed() -> Contract {
        Contract {
            name: "seed".into(),
            available_cap: 10,
            max_list_index: 50,
            instance_types: instance_type_caps(),
            code_spellings: BTreeMap::new(),
            max_ipv4_prefixes: 0,
        }
    }

    /// The 2021+ documentation: `InvalidParameter`, an `Available` cap of 49.
    pub fn current() -> Contract {
        Contract {
            name: "current".into(),
            available_cap: 49,
            max_list_index: 50,
            instance_types: instance_type_caps(),
            code_spellings: BTreeMap::from([(
                "InValidParameter".into(),
                "InvalidParameter".into(),
            )]),
            max_ipv4_prefixes: 10,
        }
    }

    pub(crate) fn by_name(name: &str) -> Option<Contract> {
        match name {
            "seed" => Some(Contract::seed()),
            "current" => Some(Contract::current()),
            _ => None,
        }
    }

    /// Whether this version of the API has IPv4 prefixes.
    pub fn has_prefixes(&self) -> bool {
        self.max_ipv4_prefixes > 0
    }

    /// How this target spells a code that a case file spells `code`.
    pub fn spell<'a>(&'a self, code: &'a str) -> &'a str {
        self.code_spellings.get(code).map_or(code, String::as_str)
    }

    /// Secondary addresses an ENI attached to an instance of this type may hold.
    pub fn secondary_cap(&self, instance_type: &str) -> Option<u32> {
        self.instance_types
            .get(instance_type)
            .map(|total| total.saturating_sub(1))
    }
}

/// Private IPv4 addresses per ENI, primary included (the 2021 instance-family tables).
fn instance_type_caps() -> BTreeMap<String, u32> {
    [
        ("ecs.g5.large", 6),
        ("ecs.g6.large", 6),
        ("ecs.g6.xlarge", 10),
        ("ecs.g6.2xlarge", 10),
        ("ecs.g7.large", 6),
        ("ecs.g7.xlarge", 15),
        ("ecs.g7.2xlarge", 15),
    ]
    .into_iter()
    .map(|(name, cap)| (name.to_string(), cap))
    .collect()
}

/// Why a profile could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file could not be read.
    #[error("cannot read profile {path}: {source}")]
    Read {
        /// The file, as given.
        path: String,
        /// Why reading it failed.
        source: std::io::Error,
    },
    /// The text is not YAML of a profile's shape.
    #[error("profile {origin}: {message}")]
    Syntax {
        /// The file (or built-in profile) the text came from.
        origin: String,
        /// The parser's message, with its line and column.
        message: String,
    },
    /// The YAML is well formed but a value is not usable.
    #[error("profile {origin}: {message}\n  = help: {help}")]
    Invalid {
        /// The file (or built-in profile) the text came from.
        origin: String,
        /// What is wrong, naming the key.
        message: String,
        /// How to fix it.
        help: String,
    },
}

impl Profile {
    /// The built-in profile of the embedded emulator.
    pub fn embedded() -> Profile {
        Profile::parse(EMBEDDED_PROFILE, "profiles/embedded.yaml")
            .expect("the built-in profile is valid (a unit test pins it)")
    }

    /// The built-in world as `eni-harness serve` runs it ([`SERVED_PROFILE`]).
    pub fn served() -> Profile {
        Profile::parse(SERVED_PROFILE, "profiles/served.yaml")
            .expect("the served profile is valid (a unit test pins it)")
    }

    /// The profile of the emulator's `worlds/lanes.yaml` ([`LANES_PROFILE`]).
    pub fn lanes() -> Profile {
        Profile::parse(LANES_PROFILE, "profiles/lanes.yaml")
            .expect("the lanes profile is valid (a unit test pins it)")
    }

    /// Reads and validates the profile at `path`; `${env:NAME}` values come from the
    /// environment.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Profile::parse(&text, &path.display().to_string())
    }

    /// Parses and validates a profile's text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Profile, ProfileError> {
        let text = expand_env(text, origin, |name| std::env::var(name).ok())?;
        let raw: RawProfile =
            serde_saphyr::from_str(&text).map_err(|error| ProfileError::Syntax {
                origin: origin.to_string(),
                message: error.to_string(),
            })?;
        raw.validate(origin)
    }

    /// The code spelling this profile expects for a code as case files write it.
    pub fn spell<'a>(&'a self, code: &'a str) -> &'a str {
        self.contract.spell(code)
    }

    /// The VSwitch fixtures, by name.
    pub fn vswitches(&self) -> impl Iterator<Item = (&str, &str, Ipv4Net)> {
        self.fixtures
            .iter()
            .filter_map(|(name, fixture)| match fixture {
                Fixture::VSwitch { id, cidr, .. } => Some((name.as_str(), id.as_str(), *cidr)),
                _ => None,
            })
    }

    /// The instance type of an instance id, when a fixture names it.
    pub fn instance_type_of(&self, instance_id: &str) -> Option<&str> {
        self.fixtures.values().find_map(|fixture| match fixture {
            Fixture::Instance(instance) if instance.id == instance_id => {
                Some(instance.instance_type.as_str())
            }
            _ => None,
        })
    }
}

/// Replaces every `${env:NAME}` outside comments with the variable's value, so that one profile
/// serves every CI job (ids and endpoints per job). A value may hold only characters that stay
/// one plain YAML word (letters, digits, `-_.:/+=~,`), so that the environment can change values
/// but never the profile's structure; an unset or empty variable is an error naming its line.
fn expand_env(
    text: &str,
    origin: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<String, ProfileError> {
    const OPEN: &str = "${env:";
    if !text.contains(OPEN) {
        return Ok(text.to_string());
    }
    let invalid = |line: usize, message: String, help: &str| ProfileError::Invalid {
        origin: format!("{origin}:{line}"),
        message,
        help: help.to_string(),
    };
    let mut out = String::with_capacity(text.len());
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let number = index + 1;
        if line.trim_start().starts_with('#') {
            out.push_str(line);
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find(OPEN) {
            out.push_str(&rest[..at]);
            let after = &rest[at + OPEN.len()..];
            let Some(end) = after.find('}') else {
                return Err(invalid(
                    number,
                    "`${env:` is not closed".into(),
                    "write `${env:NAME}`",
                ));
            };
            let name = &after[..end];
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(invalid(
                    number,
                    format!(
                        "`${{env:{}}}` does not name an environment variable",
                        crate::escape::terminal(name)
                    ),
                    "a name has letters, digits and `_`, e.g. `${env:ECS_VSWITCH_ID}`",
                ));
            }
            let value = lookup(name).unwrap_or_default();
            if value.is_empty() {
                return Err(invalid(
                    number,
                    format!("`${{env:{name}}}`: the environment variable {name} is not set"),
                    "set it for this run, or write the value in the profile",
                ));
            }
            if !value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=~,".contains(&b))
            {
                // The value is not shown: a profile's variables are ids, but a mistaken one
                // could hold anything.
                return Err(invalid(
                    number,
                    format!(
                        "`${{env:{name}}}`: the value of {name} holds a character a profile value cannot (spaces, quotes, `#`, `&`, ...)"
                    ),
                    "profile values from the environment hold letters, digits and `-_.:/+=~,` only",
                ));
            }
            out.push_str(&value);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
    }
    Ok(out)
}

/// The JSON Schema of a profile file, from the types that read it.
pub fn json_schema() -> schemars::Schema {
    schemars::schema_for!(RawProfile)
}

/// A profile: what the suite may assume about a target (its fixtures' ids and CIDRs, the
/// contract version it follows, its limits and timing).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "eni-harness profile")]
struct RawProfile {
    name: String,
    #[serde(default)]
    contract: Option<String>,
    region: String,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    signing: Option<String>,
    #[serde(default)]
    fixtures: BTreeMap<String, RawFixture>,
    #[serde(default)]
    limits: Option<RawLimits>,
    #[serde(default)]
    codes: BTreeMap<String, String>,
    #[serde(default)]
    checks: Option<RawChecks>,
    #[serde(default)]
    resource_prefix: Option<String>,
    #[serde(default)]
    reference_emulator: bool,
    #[serde(default)]
    snapshots: Option<String>,
    #[serde(default)]
    timing: Option<RawTiming>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawTiming {
    #[serde(default)]
    transition: Option<String>,
    #[serde(default)]
    task: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawFixture {
    kind: String,
    id: String,
    #[serde(default)]
    cidr: Option<String>,
    #[serde(default)]
    zone: Option<String>,
    #[serde(default, rename = "type")]
    instance_type: Option<String>,
    #[serde(default)]
    vswitch: Option<String>,
    #[serde(default)]
    primary_eni: Option<String>,
    #[serde(default)]
    primary_ip: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    #[serde(default)]
    available_cap: Option<u32>,
    #[serde(default)]
    max_list_index: Option<u32>,
    #[serde(default)]
    instance_types: BTreeMap<String, u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawChecks {
    #[serde(default)]
    disable: Vec<String>,
}

impl RawProfile {
    fn validate(self, origin: &str) -> Result<Profile, ProfileError> {
        let invalid = |message: String, help: &str| ProfileError::Invalid {
            origin: origin.to_string(),
            message,
            help: help.to_string(),
        };
        let snapshots = match self.snapshots.as_deref().map(str::trim) {
            None => None,
            Some("") => {
                return Err(invalid(
                    "`snapshots` is empty".into(),
                    "name the folder of this target's own recordings, e.g. `snapshots: snapshots-mine` (relative to the profile file), or leave the key out to compare with the reference recordings by their contract view",
                ));
            }
            Some(dir) => {
                let base = Path::new(origin).parent().unwrap_or(Path::new(""));
                let path = base.join(dir);
                if path.exists() && !path.is_dir() {
                    return Err(invalid(
                        format!(
                            "`snapshots: {dir}` is {}, a file, not a folder",
                            path.display()
                        ),
                        "name a folder (it is created on `--snapshots update`)",
                    ));
                }
                Some(path)
            }
        };
        let timing = match &self.timing {
            None => Timing::default(),
            Some(raw) => {
                let duration = |key: &str, text: &Option<String>| {
                    match text.as_deref() {
                    None => Ok(None),
                    Some(text) => eni_spec::parse_duration(text.trim())
                        .map(Some)
                        .map_err(|error| {
                            invalid(
                                format!("`timing.{key}: {text}`: {error}"),
                                "write a duration such as `2s` or `500ms`, or leave the key out when the target's timing is unknown",
                            )
                        }),
                }
                };
                Timing {
                    transition: duration("transition", &raw.transition)?,
                    task: duration("task", &raw.task)?,
                }
            }
        };
        let contract_name = self.contract.as_deref().unwrap_or("seed");
        let mut contract = Contract::by_name(contract_name).ok_or_else(|| {
            invalid(
                format!("unknown contract `{contract_name}`"),
                "use `seed` or `current`",
            )
        })?;
        if let Some(limits) = self.limits {
            if let Some(cap) = limits.available_cap {
                contract.available_cap = cap;
            }
            if let Some(max) = limits.max_list_index {
                contract.max_list_index = max;
            }
            contract.instance_types.extend(limits.instance_types);
        }
        contract.code_spellings.extend(self.codes);

        let format = match self
            .format
            .as_deref()
            .map(str::to_ascii_uppercase)
            .as_deref()
        {
            None | Some("JSON") => Format::Json,
            Some("XML") => Format::Xml,
            Some(other) => {
                return Err(invalid(
                    format!("unknown format `{other}`"),
                    "use `JSON` or `XML`",
                ));
            }
        };
        let signing = match self.signing.as_deref() {
            None | Some("v1") => Signing::V1,
            Some("v3") => Signing::V3,
            Some("none") => Signing::None,
            Some(other) => {
                return Err(invalid(
                    format!("unknown signing `{other}`"),
                    "use `v1`, `v3` or `none`",
                ));
            }
        };

        let mut fixtures = BTreeMap::new();
        for (name, raw) in &self.fixtures {
            let fixture = raw
                .validate(name)
                .map_err(|(message, help)| invalid(message, help))?;
            fixtures.insert(name.clone(), fixture);
        }
        for (name, fixture) in &fixtures {
            if let Fixture::Instance(instance) = fixture {
                if let Some(vswitch) = &instance.vswitch
                    && !matches!(fixtures.get(vswitch), Some(Fixture::VSwitch { .. }))
                {
                    return Err(invalid(
                        format!(
                            "fixture `{name}` names vswitch `{vswitch}`, which is not a vswitch fixture"
                        ),
                        "name a fixture of kind vswitch defined in this profile",
                    ));
                }
                if !contract
                    .instance_types
                    .contains_key(&instance.instance_type)
                {
                    let known: Vec<_> = contract.instance_types.keys().cloned().collect();
                    return Err(invalid(
                        format!(
                            "fixture `{name}` has instance type `{}`, whose per-ENI address cap is unknown",
                            instance.instance_type
                        ),
                        &format!(
                            "add it under `limits.instance_types` (known: {})",
                            known.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(Profile {
            name: self.name,
            contract,
            region: self.region,
            format,
            signing,
            fixtures,
            disabled_checks: self.checks.map(|checks| checks.disable).unwrap_or_default(),
            resource_prefix: self
                .resource_prefix
                .unwrap_or_else(|| "eni-harness-".into()),
            reference_emulator: self.reference_emulator,
            snapshots,
            timing,
        })
    }
}

impl RawFixture {
    fn validate(&self, name: &str) -> Result<Fixture, (String, &'static str)> {
        match self.kind.as_str() {
            "vswitch" => {
                let cidr = self.cidr.as_deref().ok_or_else(|| {
                    (
                        format!("vswitch fixture `{name}` has no `cidr`"),
                        "add e.g. `cidr: 192.168.0.0/24`",
                    )
                })?;
                let cidr: Ipv4Net = cidr.parse().map_err(|_| {
                    (
                        format!("fixture `{name}`: `{cidr}` is not an IPv4 CIDR block"),
                        "write it like `192.168.0.0/24`",
                    )
                })?;
                if cidr != cidr.trunc() {
                    return Err((
                        format!("fixture `{name}`: `{cidr}` has host bits set"),
                        "write the network address, e.g. `192.168.0.0/24`",
                    ));
                }
                Ok(Fixture::VSwitch {
                    id: self.id.clone(),
                    cidr,
                    zone: self.zone.clone(),
                })
            }
            "security_group" => Ok(Fixture::SecurityGroup {
                id: self.id.clone(),
            }),
            "instance" => {
                let instance_type = self.instance_type.clone().ok_or_else(|| {
                    (
                        format!("instance fixture `{name}` has no `type`"),
                        "add e.g. `type: ecs.g6.large`",
                    )
                })?;
                let primary_ip = match &self.primary_ip {
                    None => None,
                    Some(text) => Some(text.parse().map_err(|_| {
                        (
                            format!("fixture `{name}`: primary_ip `{text}` is not an IPv4 address"),
                            "write a dotted quad such as `192.168.0.200`",
                        )
                    })?),
                };
                let status = match self.status.as_deref() {
                    None => None,
                    Some("Running") => Some(InstanceStatus::Running),
                    Some("Stopped") => Some(InstanceStatus::Stopped),
                    Some("Starting") => Some(InstanceStatus::Starting),
                    Some("Stopping") => Some(InstanceStatus::Stopping),
                    Some(other) => {
                        return Err((
                            format!("fixture `{name}`: status `{other}` is not an instance state"),
                            "write `Running`, `Stopped`, `Starting` or `Stopping`",
                        ));
                    }
                };
                Ok(Fixture::Instance(InstanceFixture {
                    id: self.id.clone(),
                    instance_type,
                    vswitch: self.vswitch.clone(),
                    primary_eni: self.primary_eni.clone(),
                    primary_ip,
                    status,
                }))
            }
            other => Err((
                format!("fixture `{name}` has unknown kind `{other}`"),
                "use `vswitch`, `security_group` or `instance`",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn environment_values_fill_a_profile_and_never_its_structure() {
        let lookup = |name: &str| match name {
            "VSW" => Some("vsw-ci-7".to_string()),
            "EVIL" => Some("x\nfixtures: {}".to_string()),
            "EMPTY" => Some(String::new()),
            _ => None,
        };
        let text = "# ${env:NOT_READ} in a comment\nid: ${env:VSW}\nother: a-${env:VSW}-b\n";
        assert_eq!(
            super::expand_env(text, "p.yaml", lookup).unwrap(),
            "# ${env:NOT_READ} in a comment\nid: vsw-ci-7\nother: a-vsw-ci-7-b\n"
        );
        for (text, expected) in [
            (
                "a: 1\nid: ${env:UNSET}\n",
                "p.yaml:2: `${env:UNSET}`: the environment variable UNSET is not set",
            ),
            ("id: ${env:EMPTY}\n", "is not set"),
            ("id: ${env:EVIL}\n", "holds a character"),
            ("id: ${env:A-B}\n", "does not name an environment variable"),
            ("id: ${env:VSW\n", "is not closed"),
        ] {
            let error = super::expand_env(text, "p.yaml", lookup)
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{text:?}: {error}");
            assert!(error.contains("help:"), "{error}");
            assert!(!error.contains("fixtures: {}"), "{error}");
        }
    }

    use super::*;

    #[test]
    fn snapshots_folder_is_relative_to_the_profile_and_checked() {
        assert_eq!(
            Profile::embedded().snapshots,
            Some(PathBuf::from("profiles/../snapshots"))
        );
        let text =
            EMBEDDED_PROFILE.replace("snapshots: ../snapshots", "snapshots: mine/recordings");
        let profile = Profile::parse(&text, "ci/endpoint.yaml").unwrap();
        assert_eq!(profile.snapshots, Some(PathBuf::from("ci/mine/recordings")));
        let without = EMBEDDED_PROFILE.replace("snapshots: ../snapshots\n", "");
        assert_eq!(Profile::parse(&without, "p.yaml").unwrap().snapshots, None);
        let empty = EMBEDDED_PROFILE.replace("snapshots: ../snapshots", "snapshots: \"\"");
        let error = Profile::parse(&empty, "p.yaml").unwrap_err().to_string();
        assert!(
            error.contains("`snapshots` is empty") && error.contains("help:"),
            "{error}"
        );
        // A file where a folder belongs.
        let file = EMBEDDED_PROFILE.replace("snapshots: ../snapshots", "snapshots: Cargo.toml");
        let error = Profile::parse(&file, "p.yaml").unwrap_err().to_string();
        assert!(error.contains("a file, not a folder"), "{error}");
    }

    #[test]
    fn timing_is_read_when_stated_and_unknown_otherwise() {
        assert_eq!(Profile::embedded().timing, Timing::default());
        let stated = format!("{EMBEDDED_PROFILE}timing:\n  transition: 2s\n  task: 0s\n");
        let timing = Profile::parse(&stated, "p.yaml").unwrap().timing;
        assert_eq!(timing.transition, Some(Duration::from_secs(2)));
        assert_eq!(timing.task, Some(Duration::ZERO));
        let bad = format!("{EMBEDDED_PROFILE}timing:\n  transition: 2 seconds\n");
        let error = Profile::parse(&bad, "p.yaml").unwrap_err().to_string();
        assert!(
            error.contains("timing.transition") && error.contains("help:"),
            "{error}"
        );
    }

    #[test]
    fn served_profile_states_serves_default_timing() {
        let served = Profile::served();
        assert_eq!(served.timing.transition, Some(Duration::from_secs(2)));
        assert_eq!(served.fixtures, Profile::embedded().fixtures);
    }

    #[test]
    fn builtin_profile_is_valid() {
        let profile = Profile::embedded();
        assert_eq!(profile.contract, Contract::seed());
        assert!(
            matches!(profile.fixtures["small_vswitch"], Fixture::VSwitch { cidr, .. } if cidr.prefix_len() == 29)
        );
        assert_eq!(
            profile.instance_type_of("i-bp1running0000000000001"),
            Some("ecs.g6.large")
        );
    }

    #[test]
    fn current_contract_respells_invalid_parameter() {
        assert_eq!(
            Contract::current().spell("InValidParameter"),
            "InvalidParameter"
        );
        assert_eq!(
            Contract::seed().spell("InValidParameter"),
            "InValidParameter"
        );
        assert_eq!(Contract::seed().secondary_cap("ecs.g7.xlarge"), Some(14));
    }

    #[test]
    fn unknown_key_names_the_place() {
        let error = Profile::parse("name: x\nregion: r\nfixturez: {}\n", "p.yaml").unwrap_err();
        let text = error.to_string();
        assert!(text.contains("p.yaml"), "{text}");
        assert!(text.contains("fixturez"), "{text}");
        assert!(text.contains("3:"), "{text}");
    }

    #[test]
    fn bad_cidr_is_explained() {
        let text =
            "name: x\nregion: r\nfixtures:\n  v: {kind: vswitch, id: vsw-1, cidr: 10.0.0.1/24}\n";
        let error = Profile::parse(text, "p.yaml").unwrap_err().to_string();
        assert!(error.contains("host bits"), "{error}");
    }

    #[test]
    fn an_instance_state_is_read_and_a_wrong_one_explained() {
        let profile = Profile::embedded();
        let status = |name: &str| match &profile.fixtures[name] {
            Fixture::Instance(instance) => instance.status,
            _ => unreachable!(),
        };
        assert_eq!(status("stopped_instance"), Some(InstanceStatus::Stopped));
        assert_eq!(status("running_instance"), None);
        let text = "name: x\nregion: r\nfixtures:\n  i: {kind: instance, id: i-1, type: ecs.g6.large, status: Halted}\n";
        let error = Profile::parse(text, "p.yaml").unwrap_err().to_string();
        assert!(
            error.contains("Halted") && error.contains("`Stopped`"),
            "{error}"
        );
    }
}
