//! What a fuzz run may use, taken from the profile: its VSwitches (the largest first; the
//! smallest is the contention VSwitch), a security group and its instances; and the world the
//! in-process reference emulator starts from so that it mirrors the target.

use std::net::Ipv4Addr;

use eni_emulator::{Credential, Instance, InstanceStatus, PrimaryEni, VSwitch, Vpc, World};
use ipnet::Ipv4Net;

use crate::profile::{Fixture, Profile};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VSwitchFixture {
    /// The fixture's name in the profile (`vswitch`), as case files name it.
    pub name: String,
    pub id: String,
    pub cidr: Ipv4Net,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedId {
    pub name: String,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceFixture {
    pub name: String,
    pub id: String,
    pub instance_type: String,
    pub primary_eni: Option<String>,
    pub primary_ip: Option<Ipv4Addr>,
    pub vswitch_id: Option<String>,
}

/// The fixtures of a fuzz run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixtures {
    pub region: String,
    /// Largest block first.
    pub vswitches: Vec<VSwitchFixture>,
    pub security_group: Option<NamedId>,
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

    /// The VSwitch an operation creates in (0 main, 1 the smallest) and the other one.
    pub fn pick_vswitch(&self, pick: u8) -> (&VSwitchFixture, Option<Ipv4Net>) {
        let chosen = if pick == 0 {
            self.vswitches.first()
        } else {
            self.vswitches.last()
        };
        let chosen = chosen.expect("at least one VSwitch (checked in from_profile)");
        let other = self
            .vswitches
            .iter()
            .find(|v| v.id != chosen.id)
            .map(|v| v.cidr);
        (chosen, other)
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
        let chosen = &self.vswitches[index];
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

    pub fn vswitch_ids(&self) -> Vec<String> {
        self.vswitches.iter().map(|v| v.id.clone()).collect()
    }

    /// The world for the in-process reference: the built-in world when every fixture is part of
    /// it (the embedded profile, a served emulator), else a world built from the fixtures, with
    /// every instance `Running`.
    pub fn reference_world(&self) -> World {
        let builtin = World::builtin();
        let in_builtin = self.vswitches.iter().all(|v| {
            builtin
                .vswitches
                .iter()
                .any(|b| b.id == v.id && b.cidr == v.cidr)
        }) && self
            .instances
            .iter()
            .all(|i| builtin.instances.iter().any(|b| b.id == i.id));
        if in_builtin {
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
                .filter_map(|i| {
                    Some(Instance {
                        id: i.id.clone(),
                        instance_type: i.instance_type.clone(),
                        status: InstanceStatus::Running,
                        primary_eni: PrimaryEni {
                            id: i.primary_eni.clone()?,
                            vswitch_id: i.vswitch_id.clone()?,
                            primary_ip: i.primary_ip?,
                            security_group_ids: vec![sg.clone()],
                        },
                    })
                })
                .collect(),
            credentials: vec![Credential {
                access_key_id: "testid".into(),
                access_key_secret: "testsecret".into(),
            }],
        }
    }
}
