//! What a fuzz run may use, taken from the profile: its VSwitches (the largest first; the
//! smallest is the contention VSwitch), a security group and its instances; the world the
//! in-process reference emulator starts from so that it mirrors the target; and the split of the
//! fixtures into independent lanes, so that several sequences can run against one shared
//! endpoint at once without touching each other's state.

use std::net::Ipv4Addr;

use eni_emulator::{Credential, Instance, InstanceStatus, PrimaryEni, VSwitch, Vpc, World};
use ipnet::Ipv4Net;

use crate::profile::{Fixture, Profile};

/// A VSwitch the fuzzer may create ENIs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VSwitchFixture {
    /// The fixture's name in the profile (`vswitch`), as case files name it.
    pub name: String,
    /// The VSwitch's id on the target.
    pub id: String,
    /// Its block (reserved addresses included).
    pub cidr: Ipv4Net,
}

/// A fixture known by its name in the profile and its id on the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedId {
    /// The fixture's name in the profile.
    pub name: String,
    /// Its id on the target.
    pub id: String,
}

/// An instance the fuzzer may attach ENIs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceFixture {
    /// The fixture's name in the profile.
    pub name: String,
    /// The instance's id on the target.
    pub id: String,
    /// Its instance type, which sets its ENI and address caps.
    pub instance_type: String,
    /// The id of its primary ENI, when the profile gives or discovery found it.
    pub primary_eni: Option<String>,
    /// The primary ENI's primary address, when known.
    pub primary_ip: Option<Ipv4Addr>,
    pub(crate) vswitch_id: Option<String>,
    /// As the profile says; `Running` when it does not.
    pub status: InstanceStatus,
}

/// The fixtures of a fuzz run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixtures {
    /// The region every request names.
    pub region: String,
    /// Largest block first.
    pub vswitches: Vec<VSwitchFixture>,
    /// The security group new ENIs join; `None` if the profile has none.
    pub security_group: Option<NamedId>,
    /// The instances, in the profile's order.
    pub instances: Vec<InstanceFixture>,
}

impl Fixtures {
    /// The fixtures a profile offers. Fuzzing needs at least one VSwitch and a security group.
    pub fn from_profile(profile: &Profile) -> Result<Fixtures, String> {
        let mut vswitches: Vec<VSwitchFixture> = profile
            .vswitches()
            .map(|(name, id, cidr)| VSwitchFixture {
                name: name.into(),
                id: id.into(),
                cidr,
            })
            .collect();
        vswitches.sort_by_key(|v| (v.cidr.prefix_len(), v.name.clone()));
        let security_group = profile
            .fixtures
            .iter()
            .find_map(|(name, fixture)| match fixture {
                Fixture::SecurityGroup { id } => Some(NamedId {
                    name: name.clone(),
                    id: id.clone(),
                }),
                _ => None,
            });
        let instances = profile
            .fixtures
            .iter()
            .filter_map(|(name, fixture)| match fixture {
                Fixture::Instance(instance) => Some(InstanceFixture {
                    name: name.clone(),
                    id: instance.id.clone(),
                    instance_type: instance.instance_type.clone(),
                    primary_eni: instance.primary_eni.clone(),
                    primary_ip: instance.primary_ip,
                    vswitch_id: instance.vswitch.as_ref().and_then(|v| {
                        match profile.fixtures.get(v) {
                            Some(Fixture::VSwitch { id, .. }) => Some(id.clone()),
                            _ => None,
                        }
                    }),
                    status: instance.status.unwrap_or(InstanceStatus::Running),
                }),
                _ => None,
            })
            .collect();
        if vswitches.is_empty() {
            return Err(format!(
                "profile `{}` has no VSwitch fixture; the fuzzer needs one",
                profile.name
            ));
        }
        if security_group.is_none() {
            return Err(format!(
                "profile `{}` has no security group fixture; the fuzzer needs one",
                profile.name
            ));
        }
        Ok(Fixtures {
            region: profile.region.clone(),
            vswitches,
            security_group,
            instances,
        })
    }

    /// The fixtures split into lanes that share no state, so that sequences on different lanes
    /// can run at once against one endpoint: an instance goes with the VSwitch of its primary
    /// ENI (attaching ties ENIs to instances), each VSwitch holding such a primary ENI starts a
    /// lane, and the VSwitches without one are dealt to the lanes in name order (the security
    /// group, which holds no addresses, is shared). A profile whose instances all sit in one
    /// VSwitch, or name none, is one lane.
    pub fn lanes(&self) -> Vec<Fixtures> {
        let mut anchors: Vec<&VSwitchFixture> = self
            .vswitches
            .iter()
            .filter(|v| {
                self.instances
                    .iter()
                    .any(|i| i.vswitch_id.as_deref() == Some(v.id.as_str()))
            })
            .collect();
        // An instance whose VSwitch the profile does not name could be tied to any lane.
        let unplaced = self.instances.iter().any(|i| {
            !self
                .vswitches
                .iter()
                .any(|v| i.vswitch_id.as_deref() == Some(v.id.as_str()))
        });
        if anchors.len() < 2 || unplaced {
            return vec![self.clone()];
        }
        anchors.sort_by(|a, b| a.name.cmp(&b.name));
        let mut free: Vec<&VSwitchFixture> = self
            .vswitches
            .iter()
            .filter(|v| !anchors.iter().any(|a| a.id == v.id))
            .collect();
        free.sort_by(|a, b| a.name.cmp(&b.name));
        let mut lanes: Vec<Fixtures> = anchors
            .iter()
            .map(|anchor| Fixtures {
                region: self.region.clone(),
                vswitches: vec![(*anchor).clone()],
                security_group: self.security_group.clone(),
                instances: self
                    .instances
                    .iter()
                    .filter(|i| i.vswitch_id.as_deref() == Some(anchor.id.as_str()))
                    .cloned()
                    .collect(),
            })
            .collect();
        let count = lanes.len();
        for (n, vswitch) in free.into_iter().enumerate() {
            lanes[n % count].vswitches.push(vswitch.clone());
        }
        for lane in &mut lanes {
            lane.vswitches
                .sort_by_key(|v| (v.cidr.prefix_len(), v.name.clone()));
        }
        lanes
    }

    /// The VSwitch an operation creates in (0 main, 1 the smallest) and the other one.
    pub fn pick_vswitch(&self, pick: u8) -> (&VSwitchFixture, Option<Ipv4Net>) {
        let chosen = if pick == 0 {
            self.vswitches.first()
        } else {
            self.vswitches.last()
        };
        self.with_other(chosen.expect("at least one VSwitch (checked in from_profile)"))
    }

    /// The VSwitch whose block holds `address` (the main one when none does).
    pub fn vswitch_containing(
        &self,
        address: Option<Ipv4Addr>,
    ) -> (&VSwitchFixture, Option<Ipv4Net>) {
        let index = address
            .and_then(|address| {
                self.vswitches
                    .iter()
                    .position(|v| v.cidr.contains(&address))
            })
            .unwrap_or(0);
        self.with_other(&self.vswitches[index])
    }

    /// `chosen`, and the block of the first other VSwitch (where addresses of another VSwitch
    /// come from), if there is one.
    fn with_other<'a>(
        &'a self,
        chosen: &'a VSwitchFixture,
    ) -> (&'a VSwitchFixture, Option<Ipv4Net>) {
        let other = self
            .vswitches
            .iter()
            .find(|v| v.id != chosen.id)
            .map(|v| v.cidr);
        (chosen, other)
    }

    /// The smallest VSwitch: where contention happens.
    pub fn small_vswitch(&self) -> &VSwitchFixture {
        self.vswitches
            .last()
            .expect("at least one VSwitch (checked in from_profile)")
    }

    /// The ids of the instances' primary ENIs.
    pub fn primary_enis(&self) -> Vec<String> {
        self.instances
            .iter()
            .filter_map(|i| i.primary_eni.clone())
            .collect()
    }

    pub(crate) fn vswitch_ids(&self) -> Vec<String> {
        self.vswitches.iter().map(|v| v.id.clone()).collect()
    }

    /// The world for the in-process reference: the built-in world when the profile names its
    /// fixtures (the embedded profile, a served emulator), with the profile's other VSwitches and
    /// instances added (a served world that extends the built-in one, such as `lanes.yaml`);
    /// else a world built from the fixtures. Instances the built-in world does not know are in
    /// the state their fixture gives (`Running` if none).
    pub fn reference_world(&self) -> World {
        let mut builtin = World::builtin();
        let known_vswitch = |v: &VSwitchFixture| {
            builtin
                .vswitches
                .iter()
                .any(|b| b.id == v.id && b.cidr == v.cidr)
        };
        let extra_vswitches: Vec<&VSwitchFixture> = self
            .vswitches
            .iter()
            .filter(|v| !known_vswitch(v))
            .collect();
        let extends_builtin = self.vswitches.iter().any(known_vswitch)
            && extra_vswitches.iter().all(|v| {
                builtin.vpc.cidr.contains(&v.cidr)
                    && !builtin.vswitches.iter().any(|b| {
                        b.cidr.contains(&v.cidr.network()) || v.cidr.contains(&b.cidr.network())
                    })
            });
        if extends_builtin {
            builtin
                .vswitches
                .extend(extra_vswitches.iter().map(|v| VSwitch {
                    id: v.id.clone(),
                    cidr: v.cidr,
                }));
            let sg = builtin.security_groups.first().cloned().unwrap_or_default();
            let extra_instances: Vec<Instance> = self
                .instances
                .iter()
                .filter(|i| !builtin.instances.iter().any(|b| b.id == i.id))
                .filter_map(|i| Self::reference_instance(i, &sg))
                .collect();
            builtin.instances.extend(extra_instances);
            return builtin;
        }
        let first = self.vswitches[0].cidr.network();
        let sg = self
            .security_group
            .as_ref()
            .map(|sg| sg.id.clone())
            .unwrap_or_default();
        World {
            region: self.region.clone(),
            zone: format!("{}-a", self.region),
            vpc: Vpc {
                id: "vpc-fuzzreference00000001".into(),
                cidr: Ipv4Net::new(first, 8)
                    .map(|n| n.trunc())
                    .unwrap_or_else(|_| self.vswitches[0].cidr),
            },
            vswitches: self
                .vswitches
                .iter()
                .map(|v| VSwitch {
                    id: v.id.clone(),
                    cidr: v.cidr,
                })
                .collect(),
            security_groups: vec![sg.clone()],
            instances: self
                .instances
                .iter()
                .filter_map(|i| Self::reference_instance(i, &sg))
                .collect(),
            credentials: vec![Credential {
                access_key_id: "testid".into(),
                access_key_secret: "testsecret".into(),
            }],
        }
    }

    /// An instance fixture as an instance of the reference's world (`None` when the profile
    /// leaves out its primary ENI, VSwitch or address).
    fn reference_instance(instance: &InstanceFixture, security_group: &str) -> Option<Instance> {
        Some(Instance {
            id: instance.id.clone(),
            instance_type: instance.instance_type.clone(),
            status: instance.status,
            primary_eni: PrimaryEni {
                id: Some(instance.primary_eni.clone()?),
                vswitch_id: instance.vswitch_id.clone()?,
                primary_ip: Some(instance.primary_ip?),
                security_group_ids: vec![security_group.to_string()],
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::LANES_WORLD;

    fn lanes_fixtures() -> Fixtures {
        Fixtures::from_profile(&Profile::lanes()).unwrap()
    }

    #[test]
    fn the_embedded_profile_is_one_lane() {
        let fixtures = Fixtures::from_profile(&Profile::embedded()).unwrap();
        assert_eq!(fixtures.lanes(), vec![fixtures.clone()]);
        assert_eq!(fixtures.reference_world(), World::builtin());
    }

    #[test]
    fn the_lanes_profile_splits_into_four_lanes_that_share_no_state() {
        let fixtures = lanes_fixtures();
        let lanes = fixtures.lanes();
        assert_eq!(lanes.len(), 4);
        let mut vswitches: Vec<&str> = Vec::new();
        let mut instances: Vec<&str> = Vec::new();
        for lane in &lanes {
            // A /24 with the lane's instances, a /26 for prefix exhaustion and a /29 for
            // address exhaustion.
            let prefixes: Vec<u8> = lane.vswitches.iter().map(|v| v.cidr.prefix_len()).collect();
            assert_eq!(prefixes, vec![24, 26, 29], "{lane:?}");
            for instance in &lane.instances {
                assert_eq!(
                    instance.vswitch_id.as_deref(),
                    Some(lane.vswitches[0].id.as_str()),
                    "an instance goes with the VSwitch of its primary ENI"
                );
            }
            assert!(!lane.instances.is_empty());
            vswitches.extend(lane.vswitches.iter().map(|v| v.id.as_str()));
            instances.extend(lane.instances.iter().map(|i| i.id.as_str()));
        }
        let (mut all_v, mut all_i) = (fixtures.vswitch_ids(), fixtures.instances.clone());
        all_v.sort();
        all_i.sort_by(|a, b| a.id.cmp(&b.id));
        vswitches.sort();
        instances.sort();
        assert_eq!(vswitches, all_v, "every VSwitch in exactly one lane");
        let all_i: Vec<&str> = all_i.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(instances, all_i, "every instance in exactly one lane");
        // The first lane is the built-in world's: its cases run with the embedded profile too.
        assert_eq!(lanes[0].reference_world(), World::builtin());
    }

    #[test]
    fn instances_in_one_vswitch_or_unplaced_make_one_lane() {
        let mut fixtures = lanes_fixtures();
        for instance in &mut fixtures.instances {
            instance.vswitch_id = fixtures.vswitches[0].id.clone().into();
        }
        assert_eq!(fixtures.lanes().len(), 1);
        let mut fixtures = lanes_fixtures();
        fixtures.instances[0].vswitch_id = None;
        assert_eq!(fixtures.lanes().len(), 1);
    }

    #[test]
    fn a_world_built_from_fixtures_keeps_the_instance_states_the_profile_gives() {
        let text = "name: cloud\nregion: cn-beijing\nfixtures:\n  v: {kind: vswitch, id: vsw-x, cidr: 10.1.0.0/24}\n  sg: {kind: security_group, id: sg-x}\n  up: {kind: instance, id: i-up, type: ecs.g6.large, vswitch: v, primary_eni: eni-up, primary_ip: 10.1.0.10}\n  down: {kind: instance, id: i-down, type: ecs.g6.large, vswitch: v, primary_eni: eni-down, primary_ip: 10.1.0.11, status: Stopped}\n";
        let profile = Profile::parse(text, "cloud.yaml").unwrap();
        let world = Fixtures::from_profile(&profile).unwrap().reference_world();
        let status = |id: &str| world.instances.iter().find(|i| i.id == id).unwrap().status;
        assert_eq!(status("i-up"), InstanceStatus::Running);
        assert_eq!(status("i-down"), InstanceStatus::Stopped);
        world
            .validate(&eni_emulator::ContractProfile::seed())
            .unwrap();
    }

    #[test]
    fn the_lanes_profile_describes_the_lanes_world() {
        let sorted = |mut world: World| {
            world.vswitches.sort_by(|a, b| a.id.cmp(&b.id));
            world.instances.sort_by(|a, b| a.id.cmp(&b.id));
            world
        };
        let served = World::from_yaml(LANES_WORLD, "worlds/lanes.yaml").unwrap();
        assert_eq!(
            sorted(lanes_fixtures().reference_world()),
            sorted(served),
            "profiles/lanes.yaml and worlds/lanes.yaml name the same fixtures"
        );
    }
}
