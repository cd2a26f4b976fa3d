//! Where the cases of a suite run on a shared target: the profile's fixtures split into lanes
//! that share no state (the fuzzer's split, `Fixtures::lanes`), each lane a view of the profile
//! in which the fixture names cases use (`vswitch`, `running_instance`, …) stand for that lane's
//! own fixtures (`vswitch_2`, `running_instance_2`, …); and the table of fixtures held by the
//! cases running now, so that a case starts only where nothing it needs is taken.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use eni_spec::Case;

use crate::fuzzer::fixtures::Fixtures;
use crate::profile::{Fixture, Profile};

/// One lane: the profile as the cases on it see it, and which of the profile's own fixtures
/// each name of that view stands for.
#[derive(Debug, Clone)]
pub struct Lane {
    /// The profile with this lane's fixtures under the names cases use.
    pub profile: Arc<Profile>,
    /// A name of the view → the name of the fixture in the whole profile.
    pub names: BTreeMap<String, String>,
}

impl Lane {
    /// The whole profile, every fixture under its own name: the only lane of a target that is
    /// not shared or of a profile that does not split.
    pub fn whole(profile: &Arc<Profile>) -> Lane {
        Lane {
            profile: Arc::clone(profile),
            names: profile
                .fixtures
                .keys()
                .map(|name| (name.clone(), name.clone()))
                .collect(),
        }
    }

    /// Whether the lane offers every fixture the case names.
    pub fn serves(&self, case: &Case) -> bool {
        case.uses.iter().all(|name| self.names.contains_key(name))
    }

    /// The fixtures of the whole profile the case holds while it runs on this lane, each with
    /// whether the case holds it to itself. Every fixture it uses but security groups (only
    /// read), and the VSwitch an instance's primary ENI sits in. Held alone in this version:
    /// a case's read-back of its VSwitches sees every ENI in them, so its checks (a failed
    /// request changed nothing) and snapshots hold only while no other case changes them.
    pub fn holds(&self, case: &Case) -> Vec<Hold> {
        let mut names = BTreeSet::new();
        for name in &case.uses {
            match self.profile.fixtures.get(name) {
                Some(Fixture::SecurityGroup { .. }) | None => {}
                Some(Fixture::Instance(instance)) => {
                    names.insert(name.clone());
                    names.extend(instance.vswitch.clone());
                }
                Some(Fixture::VSwitch { .. }) => {
                    names.insert(name.clone());
                }
            }
        }
        names
            .into_iter()
            .filter_map(|name| {
                let whole = self.names.get(&name)?.clone();
                Some(Hold {
                    settle: case.exclusive.contains(&name),
                    name: whole,
                })
            })
            .collect()
    }

    /// The ids of the VSwitches the case needs to itself, whose `Deleting` ENIs it waits for.
    pub fn exclusive_vswitch_ids(&self, case: &Case) -> Vec<String> {
        let mut ids: Vec<String> = case
            .exclusive
            .iter()
            .filter_map(|name| match self.profile.fixtures.get(name) {
                Some(Fixture::VSwitch { id, .. }) => Some(id.clone()),
                Some(Fixture::Instance(instance)) => {
                    instance
                        .vswitch
                        .as_ref()
                        .and_then(|v| match self.profile.fixtures.get(v) {
                            Some(Fixture::VSwitch { id, .. }) => Some(id.clone()),
                            _ => None,
                        })
                }
                _ => None,
            })
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// The ids of every VSwitch the case holds on this lane.
    pub fn vswitch_ids(&self, case: &Case) -> Vec<String> {
        self.holds(case)
            .iter()
            .filter_map(|hold| match self.whole_fixture(&hold.name) {
                Some(Fixture::VSwitch { id, .. }) => Some(id.clone()),
                _ => None,
            })
            .collect()
    }

    fn whole_fixture(&self, whole_name: &str) -> Option<&Fixture> {
        self.names
            .iter()
            .find(|(_, whole)| whole.as_str() == whole_name)
            .and_then(|(name, _)| self.profile.fixtures.get(name))
    }
}

/// A fixture a running case holds (by its name in the whole profile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub name: String,
    /// The case waits for the fixture's `Deleting` ENIs before it starts (`exclusive:`).
    pub settle: bool,
}

/// The lanes of a profile on a shared target. A profile that does not split (one VSwitch holding
/// instances, or instances whose VSwitch it does not name) is one lane, the whole profile.
///
/// A lane offers a case's fixture name `B` when it holds a fixture of that name, or one named
/// `B_<suffix>` (`vswitch_2` for `vswitch`) of the same kind and shape: a VSwitch of the same
/// prefix length, an instance of the same type and state. The shape matters because cases rely
/// on it (the /29's four usable addresses, the instance type's cap, a Stopped instance).
pub(crate) fn lanes_of(profile: &Arc<Profile>) -> Vec<Lane> {
    let Ok(fixtures) = Fixtures::from_profile(profile) else {
        return vec![Lane::whole(profile)];
    };
    let split = fixtures.lanes();
    if split.len() < 2 {
        return vec![Lane::whole(profile)];
    }
    let lane_names: Vec<BTreeSet<String>> = split
        .iter()
        .map(|lane| {
            lane.vswitches
                .iter()
                .map(|v| v.name.clone())
                .chain(lane.instances.iter().map(|i| i.name.clone()))
                .collect()
        })
        .collect();
    let in_a_lane: BTreeSet<&String> = lane_names.iter().flatten().collect();
    let shared: Vec<&String> = profile
        .fixtures
        .keys()
        .filter(|name| !in_a_lane.contains(name))
        .collect();
    lane_names
        .iter()
        .map(|own| {
            // A name of another lane that one of this lane's fixtures extends with a suffix.
            let mut names: BTreeMap<String, String> = BTreeMap::new();
            for whole in own {
                let base = in_a_lane
                    .iter()
                    .filter(|other| !own.contains(**other))
                    .filter(|other| {
                        whole
                            .strip_prefix(other.as_str())
                            .and_then(|rest| rest.strip_prefix('_'))
                            .is_some_and(|suffix| {
                                !suffix.is_empty()
                                    && suffix
                                        .chars()
                                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                            })
                    })
                    .filter(|other| same_shape(profile, other, whole))
                    .max_by_key(|other| other.len());
                match base {
                    Some(base) => names.insert((*base).clone(), whole.clone()),
                    None => names.insert(whole.clone(), whole.clone()),
                };
            }
            for name in &shared {
                names.insert((*name).clone(), (*name).clone());
            }
            // A name this lane has of its own and also stands for under a base name is kept
            // only under the base name: one fixture, one name, as snapshots show it.
            let mapped: BTreeSet<String> = names
                .iter()
                .filter(|(name, whole)| name != whole)
                .map(|(_, whole)| whole.clone())
                .collect();
            names.retain(|name, whole| name != whole || !mapped.contains(whole));
            let back: HashMap<&String, &String> =
                names.iter().map(|(name, whole)| (whole, name)).collect();
            let mut view = Profile::clone(profile);
            view.fixtures = names
                .iter()
                .filter_map(|(name, whole)| {
                    let mut fixture = profile.fixtures.get(whole)?.clone();
                    if let Fixture::Instance(instance) = &mut fixture
                        && let Some(vswitch) = &instance.vswitch
                    {
                        instance.vswitch = Some(
                            back.get(vswitch)
                                .map_or_else(|| vswitch.clone(), |name| (*name).clone()),
                        );
                    }
                    Some((name.clone(), fixture))
                })
                .collect();
            Lane {
                profile: Arc::new(view),
                names,
            }
        })
        .collect()
}

/// Whether fixture `whole` can stand in for `base` in a case: same kind, same shape.
fn same_shape(profile: &Profile, base: &str, whole: &str) -> bool {
    match (profile.fixtures.get(base), profile.fixtures.get(whole)) {
        (Some(Fixture::VSwitch { cidr: a, .. }), Some(Fixture::VSwitch { cidr: b, .. })) => {
            a.prefix_len() == b.prefix_len()
        }
        (Some(Fixture::Instance(a)), Some(Fixture::Instance(b))) => {
            let running = eni_emulator::InstanceStatus::Running;
            a.instance_type == b.instance_type
                && a.status.unwrap_or(running) == b.status.unwrap_or(running)
        }
        _ => false,
    }
}

/// The fixtures held by the cases running now.
#[derive(Debug, Default)]
pub(crate) struct Holds {
    taken: BTreeSet<String>,
}

impl Holds {
    /// Whether every one of `wanted` is free.
    pub(crate) fn free(&self, wanted: &[Hold]) -> bool {
        wanted.iter().all(|hold| !self.taken.contains(&hold.name))
    }

    /// Takes `wanted`, which must be free.
    pub(crate) fn take(&mut self, wanted: &[Hold]) {
        for hold in wanted {
            let fresh = self.taken.insert(hold.name.clone());
            debug_assert!(fresh, "{} taken twice", hold.name);
        }
    }

    pub(crate) fn give_back(&mut self, held: &[Hold]) {
        for hold in held {
            self.taken.remove(&hold.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lanes_profile() -> Arc<Profile> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/lanes.yaml");
        Arc::new(Profile::load(&path).expect("the shipped lanes profile loads"))
    }

    fn case(text: &str) -> Case {
        eni_spec::parse_case(text, "t.yaml").expect("the test case parses")
    }

    #[test]
    fn the_lanes_profile_gives_four_lanes_under_the_base_names() {
        let lanes = lanes_of(&lanes_profile());
        assert_eq!(lanes.len(), 4);
        let first = &lanes[0];
        assert_eq!(first.names["vswitch"], "vswitch");
        assert_eq!(first.names["stopped_instance"], "stopped_instance");
        let second = &lanes[1];
        assert_eq!(second.names["vswitch"], "vswitch_2");
        assert_eq!(second.names["small_vswitch"], "small_vswitch_2");
        assert_eq!(second.names["running_instance"], "running_instance_2");
        assert_eq!(second.names["security_group"], "security_group");
        // No Stopped instance on lane 2: a case needing one runs on the first lane only.
        assert!(!second.names.contains_key("stopped_instance"));
        // One fixture, one name: `vswitch_2` appears only as `vswitch`.
        assert!(!second.profile.fixtures.contains_key("vswitch_2"));
        match &second.profile.fixtures["running_instance"] {
            Fixture::Instance(instance) => {
                assert_eq!(instance.id, "i-bp1lane2running00000001");
                assert_eq!(instance.vswitch.as_deref(), Some("vswitch"));
            }
            other => panic!("not an instance: {other:?}"),
        }
        match &second.profile.fixtures["vswitch"] {
            Fixture::VSwitch { id, .. } => assert_eq!(id, "vsw-bp1lane2main000000001"),
            other => panic!("not a VSwitch: {other:?}"),
        }
        let stopped = case(
            "id: s\ntitle: t\nuses: [vswitch, stopped_instance]\nsteps:\n  - action: DescribeRegions\n",
        );
        let serving: Vec<bool> = lanes.iter().map(|lane| lane.serves(&stopped)).collect();
        assert_eq!(serving, [true, false, false, false]);
    }

    #[test]
    fn the_embedded_profile_is_one_lane() {
        let lanes = lanes_of(&Arc::new(Profile::embedded()));
        assert_eq!(lanes.len(), 1);
        assert_eq!(lanes[0].names["vswitch"], "vswitch");
    }

    #[test]
    fn holds_are_the_lanes_own_fixtures_and_exclusive_ones_settle() {
        let lanes = lanes_of(&lanes_profile());
        let exhaustion = case(
            "id: x\ntitle: t\nuses: [small_vswitch, running_instance, security_group]\nexclusive: [small_vswitch]\nsteps:\n  - action: DescribeRegions\n",
        );
        let holds = lanes[2].holds(&exhaustion);
        let names: Vec<(&str, bool)> = holds
            .iter()
            .map(|hold| (hold.name.as_str(), hold.settle))
            .collect();
        assert_eq!(
            names,
            [
                ("running_instance_3", false),
                ("small_vswitch_3", true),
                ("vswitch_3", false)
            ]
        );
        assert_eq!(
            lanes[2].exclusive_vswitch_ids(&exhaustion),
            ["vsw-bp1lane3small00000001"]
        );
        let mut table = Holds::default();
        assert!(table.free(&holds));
        table.take(&holds);
        // A case on the same lane wanting any of them waits; one on another lane does not.
        let plain = case(
            "id: p\ntitle: t\nuses: [vswitch, security_group]\nsteps:\n  - action: DescribeRegions\n",
        );
        assert!(!table.free(&lanes[2].holds(&plain)));
        assert!(table.free(&lanes[1].holds(&plain)));
        table.give_back(&holds);
        assert!(table.free(&lanes[2].holds(&plain)));
    }
}
