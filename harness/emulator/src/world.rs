//! The world file: what exists when the emulator starts, its YAML form and its validation.
//!
//! Validation errors name `origin:line:col` of the offending value (found by locating the value
//! in the text, since the checks run on the parsed value) and say how to fix it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::contract::ContractProfile;

/// Everything that exists at start. One region, one zone, one VPC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct World {
    /// The only region the emulator answers for, e.g. `cn-hangzhou`.
    pub region: String,
    /// The zone of every VSwitch and instance, e.g. `cn-hangzhou-h`.
    pub zone: String,
    /// The VPC every VSwitch belongs to.
    pub vpc: Vpc,
    /// VSwitches; CIDR prefix /16 to /29, inside the VPC, not overlapping.
    pub vswitches: Vec<VSwitch>,
    /// Security group ids.
    pub security_groups: Vec<String>,
    /// Instances, each with its primary ENI.
    pub instances: Vec<Instance>,
    /// Access key pairs accepted for signed requests.
    pub credentials: Vec<Credential>,
}

/// The VPC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Vpc {
    /// Its id, e.g. `vpc-bp1emu000000000000001`.
    pub id: String,
    /// Its CIDR block, prefix /8 to /29.
    #[schemars(with = "String")]
    pub cidr: Ipv4Net,
}

/// A VSwitch. The first address and the last three of its block are reserved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VSwitch {
    /// Its id.
    pub id: String,
    /// Its CIDR block, prefix /16 to /29.
    #[schemars(with = "String")]
    pub cidr: Ipv4Net,
}

/// An instance and its primary ENI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Instance {
    /// Its id.
    pub id: String,
    /// Its type; must be in the contract's instance-type table.
    pub instance_type: String,
    /// Its status; it never changes by itself.
    pub status: InstanceStatus,
    /// Its primary ENI (`InUse`, type `Primary`).
    pub primary_eni: PrimaryEni,
}

/// An instance's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum InstanceStatus {
    /// Running.
    Running,
    /// Stopped.
    Stopped,
    /// Starting.
    Starting,
    /// Stopping.
    Stopping,
}

impl InstanceStatus {
    /// The name ECS uses on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            InstanceStatus::Running => "Running",
            InstanceStatus::Stopped => "Stopped",
            InstanceStatus::Starting => "Starting",
            InstanceStatus::Stopping => "Stopping",
        }
    }
}

/// The primary ENI of an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrimaryEni {
    /// Its id; left out, the emulator generates one (in the shape of its other ENI ids).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The VSwitch it lives in.
    pub vswitch_id: String,
    /// Its primary private address: inside the VSwitch, not reserved, unique. Left out, the
    /// emulator places it at a seeded random free address of the VSwitch (as an endpoint
    /// places its own primaries wherever it likes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_ip: Option<Ipv4Addr>,
    /// Its security groups; each must be listed in the world's `security_groups`.
    pub security_group_ids: Vec<String>,
}

/// An access key pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    /// The AccessKeyId.
    pub access_key_id: String,
    /// The AccessKeySecret.
    pub access_key_secret: String,
}

/// Why a world file was refused: where (`origin:line:col`), what, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorldError {
    /// The text is not YAML of the world's shape.
    #[error("{origin}:{line}:{column}: {message}\n  fix: {fix}")]
    Syntax {
        /// File name or other origin of the text.
        origin: String,
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: u64,
        /// What the YAML reader said.
        message: String,
        /// How to fix it.
        fix: String,
    },
    /// The world is well-formed but inconsistent.
    #[error("{origin}:{line}:{column}: {problem}\n  fix: {fix}")]
    Invalid {
        /// File name or other origin of the text.
        origin: String,
        /// 1-based line (0 when the world did not come from text).
        line: u64,
        /// 1-based column (0 when the world did not come from text).
        column: u64,
        /// What is wrong.
        problem: String,
        /// How to fix it.
        fix: String,
    },
}

impl World {
    /// The built-in default world; `worlds/default.yaml` is its YAML rendition.
    pub fn builtin() -> World {
        let main = "vsw-bp1main00000000000001";
        let sg = "sg-bp1default00000000001";
        let instance = |id: &str, ty: &str, status, eni: &str, ip: [u8; 4]| Instance {
            id: id.to_owned(),
            instance_type: ty.to_owned(),
            status,
            primary_eni: PrimaryEni {
                id: Some(eni.to_owned()),
                vswitch_id: main.to_owned(),
                primary_ip: Some(Ipv4Addr::from(ip)),
                security_group_ids: vec![sg.to_owned()],
            },
        };
        World {
            region: "cn-hangzhou".to_owned(),
            zone: "cn-hangzhou-h".to_owned(),
            vpc: Vpc {
                id: "vpc-bp1emu000000000000001".to_owned(),
                cidr: net([192, 168, 0, 0], 16),
            },
            vswitches: vec![
                VSwitch {
                    id: main.to_owned(),
                    cidr: net([192, 168, 0, 0], 24),
                },
                VSwitch {
                    id: "vsw-bp1small0000000000001".to_owned(),
                    cidr: net([192, 168, 1, 0], 29),
                },
                VSwitch {
                    id: "vsw-bp1prefix000000000001".to_owned(),
                    cidr: net([192, 168, 2, 0], 26),
                },
            ],
            security_groups: vec![sg.to_owned()],
            instances: vec![
                instance(
                    "i-bp1running0000000000001",
                    "ecs.g6.large",
                    InstanceStatus::Running,
                    "eni-bp1running000000000001",
                    [192, 168, 0, 200],
                ),
                instance(
                    "i-bp1stopped0000000000001",
                    "ecs.g7.xlarge",
                    InstanceStatus::Stopped,
                    "eni-bp1stopped000000000001",
                    [192, 168, 0, 201],
                ),
                instance(
                    "i-bp1starting000000000001",
                    "ecs.g6.large",
                    InstanceStatus::Starting,
                    "eni-bp1starting00000000001",
                    [192, 168, 0, 202],
                ),
            ],
            credentials: vec![Credential {
                access_key_id: "testid".to_owned(),
                access_key_secret: "testsecret".to_owned(),
            }],
        }
    }

    /// Parses and validates a world file against the `seed` profile's instance types.
    /// `origin` names the text in errors (usually its file name).
    pub fn from_yaml(text: &str, origin: &str) -> Result<World, WorldError> {
        let world: World = serde_saphyr::from_str(text).map_err(|e| {
            let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
            WorldError::Syntax {
                origin: origin.to_owned(),
                line,
                column,
                message: e.without_snippet().to_string(),
                fix: "correct the YAML here; the file `worlds/default.yaml` shows every field of a world"
                    .to_owned(),
            }
        })?;
        world.check(&ContractProfile::seed(), Some(text), origin)?;
        Ok(world)
    }

    /// The world as YAML, in the shape [`World::from_yaml`] reads.
    pub fn to_yaml(&self) -> String {
        serde_saphyr::to_string(self).unwrap_or_default()
    }

    /// Every id the world names: VPC, VSwitches, security groups, instances and the primary
    /// ENIs it gives ids to.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.vpc.id.as_str())
            .chain(self.vswitches.iter().map(|v| v.id.as_str()))
            .chain(self.security_groups.iter().map(String::as_str))
            .chain(
                self.instances.iter().flat_map(|i| {
                    std::iter::once(i.id.as_str()).chain(i.primary_eni.id.as_deref())
                }),
            )
    }

    /// Checks the world's consistency against `profile` (its instance-type table).
    pub fn validate(&self, profile: &ContractProfile) -> Result<(), WorldError> {
        self.check(profile, None, "<world>")
    }

    fn check(
        &self,
        profile: &ContractProfile,
        text: Option<&str>,
        origin: &str,
    ) -> Result<(), WorldError> {
        let fail = |needle: &str, nth: usize, problem: String, fix: String| {
            let (line, column) = text.map_or((0, 0), |t| locate(t, needle, nth));
            WorldError::Invalid {
                origin: origin.to_owned(),
                line,
                column,
                problem,
                fix,
            }
        };
        if self.region.trim().is_empty() {
            return Err(fail(
                "region",
                1,
                "the region is empty".into(),
                "write e.g. `region: cn-hangzhou`".into(),
            ));
        }
        if self.zone.trim().is_empty() {
            return Err(fail(
                "zone",
                1,
                "the zone is empty".into(),
                "write e.g. `zone: cn-hangzhou-h`".into(),
            ));
        }
        // Every id, of whatever kind, must be unique: the API looks ids up by value alone.
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for id in self.ids() {
            if id.trim().is_empty() {
                return Err(fail(
                    "id:",
                    1,
                    "an id is empty".into(),
                    "give every object a non-empty id".into(),
                ));
            }
            let count = seen.entry(id).or_insert(0);
            *count += 1;
            if *count > 1 {
                return Err(fail(
                    id,
                    *count,
                    format!("the id `{id}` is used more than once"),
                    "give every VPC, VSwitch, security group, instance and ENI its own id".into(),
                ));
            }
        }
        check_cidr(&self.vpc.cidr, 8, "the VPC")
            .map_err(|(p, f)| fail(&self.vpc.cidr.to_string(), 1, p, f))?;
        let mut vswitches: BTreeMap<&str, Ipv4Net> = BTreeMap::new();
        for vsw in &self.vswitches {
            let cidr = vsw.cidr.to_string();
            check_cidr(&vsw.cidr, 16, &format!("VSwitch `{}`", vsw.id))
                .map_err(|(p, f)| fail(&cidr, 1, p, f))?;
            if !self.vpc.cidr.contains(&vsw.cidr) {
                return Err(fail(
                    &cidr,
                    1,
                    format!(
                        "VSwitch `{}` ({cidr}) is not inside the VPC's CIDR {}",
                        vsw.id, self.vpc.cidr
                    ),
                    format!("pick a block inside {}", self.vpc.cidr),
                ));
            }
            if let Some((other, _)) = vswitches
                .iter()
                .find(|(_, o)| o.contains(&vsw.cidr) || vsw.cidr.contains(*o))
            {
                return Err(fail(
                    &cidr,
                    1,
                    format!("VSwitch `{}` ({cidr}) overlaps VSwitch `{other}`", vsw.id),
                    "give every VSwitch its own, non-overlapping block".into(),
                ));
            }
            vswitches.insert(&vsw.id, vsw.cidr);
        }
        let known_sgs: HashSet<&str> = self.security_groups.iter().map(String::as_str).collect();
        let mut addresses: HashSet<Ipv4Addr> = HashSet::new();
        // Primaries the world leaves out, to be placed by the emulator: (instance, VSwitch).
        let mut placed: Vec<(&str, &str, Ipv4Net)> = Vec::new();
        for inst in &self.instances {
            if !profile.instance_type_caps.contains_key(&inst.instance_type) {
                let known: Vec<&str> = profile
                    .instance_type_caps
                    .keys()
                    .map(String::as_str)
                    .collect();
                return Err(fail(
                    &inst.instance_type,
                    1,
                    format!(
                        "instance `{}` has the unknown instance type `{}`",
                        inst.id, inst.instance_type
                    ),
                    format!("use one of: {}", known.join(", ")),
                ));
            }
            let eni = &inst.primary_eni;
            // An ENI the world gives no id is named after its instance.
            let named = eni.id.as_deref().unwrap_or(&inst.id);
            let what = match &eni.id {
                Some(id) => format!("ENI `{id}`"),
                None => format!("the primary ENI of instance `{}`", inst.id),
            };
            let Some(cidr) = vswitches.get(eni.vswitch_id.as_str()) else {
                return Err(fail(
                    &eni.vswitch_id,
                    1,
                    format!("{what} names the unknown VSwitch `{}`", eni.vswitch_id),
                    format!(
                        "use one of: {}",
                        vswitches.keys().copied().collect::<Vec<_>>().join(", ")
                    ),
                ));
            };
            match eni.primary_ip {
                Some(primary_ip) => {
                    let ip = primary_ip.to_string();
                    if !usable(cidr, primary_ip) {
                        return Err(fail(
                            &ip,
                            1,
                            format!(
                                "the primary address {ip} of {what} is outside VSwitch `{}` ({cidr}) or reserved",
                                eni.vswitch_id
                            ),
                            "pick an address of the block other than its first and its last three"
                                .into(),
                        ));
                    }
                    if !addresses.insert(primary_ip) {
                        return Err(fail(
                            &ip,
                            2,
                            format!("the address {ip} is held by two ENIs"),
                            "give every primary ENI its own address".into(),
                        ));
                    }
                }
                None => placed.push((inst.id.as_str(), eni.vswitch_id.as_str(), *cidr)),
            }
            if eni.security_group_ids.is_empty() {
                return Err(fail(
                    named,
                    1,
                    format!("{what} has no security group"),
                    "list at least one id of `security_groups` under `security_group_ids`".into(),
                ));
            }
            for sg in &eni.security_group_ids {
                if !known_sgs.contains(sg.as_str()) {
                    return Err(fail(
                        sg,
                        1,
                        format!("{what} names the unknown security group `{sg}`"),
                        "add it to `security_groups` or name one listed there".into(),
                    ));
                }
            }
        }
        // Every primary left out must find a free usable address of its VSwitch.
        let mut room: HashMap<&str, u64> = HashMap::new();
        for (instance, vswitch_id, cidr) in placed {
            let free = room.entry(vswitch_id).or_insert_with(|| {
                let held = addresses.iter().filter(|ip| cidr.contains(*ip)).count() as u64;
                usable_count(&cidr).saturating_sub(held)
            });
            if *free == 0 {
                return Err(fail(
                    instance,
                    1,
                    format!(
                        "the primary ENI of instance `{instance}` has no free address left in VSwitch `{vswitch_id}` ({cidr})"
                    ),
                    "give the VSwitch a larger block, or fewer instances in it".into(),
                ));
            }
            *free -= 1;
        }
        Ok(())
    }
}

fn net(addr: [u8; 4], prefix: u8) -> Ipv4Net {
    Ipv4Net::new(Ipv4Addr::from(addr), prefix).unwrap_or_default()
}

fn check_cidr(cidr: &Ipv4Net, min_prefix: u8, what: &str) -> Result<(), (String, String)> {
    if !(min_prefix..=29).contains(&cidr.prefix_len()) {
        return Err((
            format!(
                "{what} has the prefix /{}, outside /{min_prefix}../29",
                cidr.prefix_len()
            ),
            format!("use a prefix from /{min_prefix} to /29"),
        ));
    }
    if cidr.addr() != cidr.network() {
        return Err((
            format!("{what}'s block {cidr} has host bits set"),
            format!("write {}", cidr.trunc()),
        ));
    }
    Ok(())
}

/// How many addresses of `cidr` are usable: all but the first and the last three.
fn usable_count(cidr: &Ipv4Net) -> u64 {
    (1u64 << (32 - u32::from(cidr.prefix_len()))).saturating_sub(4)
}

/// Inside the block and neither its first address nor one of its last three.
pub(crate) fn usable(cidr: &Ipv4Net, ip: Ipv4Addr) -> bool {
    let (first, last) = (u32::from(cidr.network()), u32::from(cidr.broadcast()));
    let ip = u32::from(ip);
    ip > first && ip.saturating_add(3) <= last && ip <= last
}

/// 1-based line and column of the `nth` occurrence of `needle` in `text`, or of the start.
fn locate(text: &str, needle: &str, nth: usize) -> (u64, u64) {
    let mut from = 0;
    let mut found = None;
    for _ in 0..nth.max(1) {
        match text.get(from..).and_then(|rest| rest.find(needle)) {
            Some(at) => {
                found = Some(from + at);
                from += at + needle.len().max(1);
            }
            None => break,
        }
    }
    let Some(at) = found else { return (1, 1) };
    let before = text.get(..at).unwrap_or("");
    let line = before.matches('\n').count() as u64 + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u64 + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT_YAML: &str = include_str!("../worlds/default.yaml");

    #[test]
    fn default_yaml_is_the_builtin_world() {
        let world = World::from_yaml(DEFAULT_YAML, "worlds/default.yaml").unwrap();
        assert_eq!(world, World::builtin());
    }

    #[test]
    fn builtin_world_is_valid_and_round_trips() {
        World::builtin().validate(&ContractProfile::seed()).unwrap();
        let yaml = World::builtin().to_yaml();
        assert_eq!(World::from_yaml(&yaml, "x").unwrap(), World::builtin());
    }

    #[test]
    fn syntax_errors_name_the_position_and_a_fix() {
        let text = DEFAULT_YAML.replace("zone: cn-hangzhou-h", "zone: cn-hangzhou-h\nzones: 1");
        let err = World::from_yaml(&text, "w.yaml").unwrap_err().to_string();
        assert!(err.starts_with("w.yaml:"), "{err}");
        assert!(err.contains("zones"), "{err}");
        assert!(err.contains("fix:"), "{err}");
        let WorldError::Syntax { line, .. } = World::from_yaml(&text, "w.yaml").unwrap_err() else {
            panic!("expected a syntax error")
        };
        let expected = text.lines().position(|l| l.starts_with("zones")).unwrap() as u64 + 1;
        assert_eq!(line, expected);
    }

    fn invalid(text: &str) -> (u64, String) {
        match World::from_yaml(text, "w.yaml").unwrap_err() {
            WorldError::Invalid {
                line, problem, fix, ..
            } => (line, format!("{problem} / {fix}")),
            other => panic!("expected a validation error, got {other}"),
        }
    }

    fn line_of(text: &str, needle: &str) -> u64 {
        text.lines().position(|l| l.contains(needle)).unwrap() as u64 + 1
    }

    #[test]
    fn unknown_instance_type_lists_the_known_ones() {
        let text = DEFAULT_YAML.replacen("ecs.g7.xlarge", "ecs.zz.huge", 1);
        let (line, msg) = invalid(&text);
        assert_eq!(line, line_of(&text, "ecs.zz.huge"));
        assert!(
            msg.contains("ecs.zz.huge")
                && msg.contains("ecs.g6.large")
                && msg.contains("ecs.g7.2xlarge"),
            "{msg}"
        );
    }

    #[test]
    fn bad_prefixes_and_placement_are_refused() {
        let (_, msg) = invalid(&DEFAULT_YAML.replace("192.168.1.0/29", "192.168.1.0/30"));
        assert!(msg.contains("/30"), "{msg}");
        let (_, msg) = invalid(&DEFAULT_YAML.replace("192.168.1.0/29", "10.0.0.0/24"));
        assert!(msg.contains("not inside the VPC"), "{msg}");
        let (_, msg) = invalid(&DEFAULT_YAML.replace("192.168.1.0/29", "192.168.0.0/25"));
        assert!(msg.contains("overlaps"), "{msg}");
        let (_, msg) = invalid(&DEFAULT_YAML.replace("192.168.1.0/29", "192.168.1.4/29"));
        assert!(
            msg.contains("host bits") && msg.contains("192.168.1.0/29"),
            "{msg}"
        );
    }

    #[test]
    fn primary_addresses_must_be_usable_and_unique() {
        let (_, msg) = invalid(&DEFAULT_YAML.replace("192.168.0.201", "192.168.0.255"));
        assert!(msg.contains("reserved"), "{msg}");
        let (_, msg) = invalid(&DEFAULT_YAML.replace("192.168.0.201", "192.168.0.0"));
        assert!(msg.contains("reserved"), "{msg}");
        let text = DEFAULT_YAML.replace("192.168.0.201", "192.168.0.200");
        let (line, msg) = invalid(&text);
        assert!(msg.contains("two ENIs"), "{msg}");
        let second = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.contains("192.168.0.200"))
            .nth(1)
            .unwrap()
            .0;
        assert_eq!(line, second as u64 + 1);
    }

    #[test]
    fn ids_must_be_unique() {
        let text = DEFAULT_YAML.replace("i-bp1stopped0000000000001", "i-bp1running0000000000001");
        let (_, msg) = invalid(&text);
        assert!(msg.contains("more than once"), "{msg}");
    }

    const VARIANT_YAML: &str = include_str!("../worlds/variant.yaml");

    #[test]
    fn primaries_may_leave_out_their_id_and_address() {
        let world = World::from_yaml(VARIANT_YAML, "worlds/variant.yaml").unwrap();
        assert_eq!(world.region, "cn-shanghai");
        assert_eq!(world.instances.len(), 3);
        for instance in &world.instances {
            assert_eq!(instance.primary_eni.id, None);
            assert_eq!(instance.primary_eni.primary_ip, None);
        }
        let yaml = world.to_yaml();
        assert!(
            !yaml.contains("primary_ip") && !yaml.contains("\n      id:"),
            "{yaml}"
        );
        assert_eq!(World::from_yaml(&yaml, "x").unwrap(), world);
        assert_eq!(
            world.ids().filter(|id| id.starts_with("eni-")).count(),
            0,
            "an ENI without an id names none"
        );
    }

    #[test]
    fn primaries_left_out_must_find_room() {
        // The /29 holds four usable addresses: a fifth primary has none.
        let mut text = VARIANT_YAML.replace(
            "vswitch_id: vsw-uf6variantmain00000a",
            "vswitch_id: vsw-uf6variantsmall0000a",
        );
        let instance = "  - id: i-extra{n}\n    instance_type: ecs.g6.large\n    status: Running\n    primary_eni:\n      vswitch_id: vsw-uf6variantsmall0000a\n      security_group_ids: [sg-uf6variant00000000000a]\n";
        let at = text.find("# Access key pairs").unwrap();
        text.insert_str(at, &instance.replace("{n}", "1"));
        World::from_yaml(&text, "w.yaml").unwrap();
        let at = text.find("# Access key pairs").unwrap();
        text.insert_str(at, &instance.replace("{n}", "2"));
        let (line, msg) = invalid(&text);
        assert!(
            msg.contains("no free address left") && msg.contains("i-extra2"),
            "{msg}"
        );
        assert_eq!(line, line_of(&text, "i-extra2"));
        // A primary the world gives takes its address from the room too.
        let given = text.replace(
            "i-extra2\n    instance_type: ecs.g6.large\n    status: Running\n    primary_eni:\n      vswitch_id: vsw-uf6variantsmall0000a\n",
            "i-extra2\n    instance_type: ecs.g6.large\n    status: Running\n    primary_eni:\n      vswitch_id: vsw-uf6variantsmall0000a\n      primary_ip: 10.20.9.18\n",
        );
        assert_ne!(given, text);
        let (_, msg) = invalid(&given);
        assert!(msg.contains("no free address left"), "{msg}");
    }

    #[test]
    fn usable_excludes_first_and_last_three() {
        let cidr: Ipv4Net = "192.168.1.0/29".parse().unwrap();
        let ok: Vec<u8> = (0..8)
            .filter(|i| usable(&cidr, Ipv4Addr::new(192, 168, 1, *i)))
            .collect();
        assert_eq!(ok, [1, 2, 3, 4]);
    }
}
