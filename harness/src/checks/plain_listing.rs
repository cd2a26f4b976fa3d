//! One page of a state read taken straight from a plain JSON body, without the decoded tree.
//!
//! The runner reads the VSwitch back behind every mutating step. Decoding that listing into the
//! order-keeping tree, only to pick a few fields of each ENI out of it, was a quarter of all the
//! work the client did on a run of assigns and unassigns. This reader visits the body once and
//! keeps only those fields, reading each exactly as the decoder followed by
//! [`describe::eni`](super::describe::eni) would.
//!
//! It gives way (`None`) on anything whose reading it is not sure of, and the caller then
//! decodes the body: a value of a type other than the one endpoints send (a number, a list
//! sent bare, text for a list), a field given twice, a missing list, nesting deeper than the
//! decoder takes, or anything `serde_json` refuses. Every token of a field it does not need is
//! still parsed the way the decoder parses it, so a body the decoder refuses is refused here
//! too.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::describe::{DescribedEni, ENI_LIST_KEYS, IP_SET_PATH, PREFIX_SET_PATH, ShownIp};
use crate::wire::decode::MAX_DEPTH;

/// What one page of a listing shows, as the decoder and `describe::eni` would read it.
#[derive(Debug)]
pub(crate) struct PlainPage {
    /// Its ENIs, in the order listed.
    pub enis: Vec<DescribedEni>,
    /// `NextToken` as written (empty text included), `None` when absent.
    pub next_token: Option<String>,
}

/// The page a body shows, or `None` where the decoder must read it.
pub(crate) fn read(body: &[u8]) -> Option<PlainPage> {
    // The decoder reads text: a body that is not UTF-8 is its to repair and judge.
    let text = std::str::from_utf8(body).ok()?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let page = deserializer.deserialize_map(Page).ok()?;
    deserializer.end().ok()?;
    Some(page)
}

/// Any error: the reader gives way, so what went wrong is never shown.
fn give_way<E: de::Error>() -> E {
    E::custom("not a plain listing")
}

/// Which of `names` a key is, if any (`None`: a field this reader skips).
struct Field(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for Field {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for Field {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().position(|name| *name == key))
    }
}

/// A value this reader does not need, parsed as the decoder parses it (numbers too, so that
/// one out of range is refused here as there), and refused past the decoder's depth.
struct Skip {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        if self.depth > MAX_DEPTH {
            return Err(give_way());
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let depth = self.depth + 1;
        while seq.next_element_seed(Skip { depth })?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let depth = self.depth + 1;
        while map.next_key_seed(Field(&[]))?.is_some() {
            map.next_value_seed(Skip { depth })?;
        }
        Ok(())
    }
}

/// A text field: text as written; `null` is empty text, as the decoder makes it.
struct Text;

impl Visitor<'_> for Text {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("text")
    }

    fn visit_str<E>(self, text: &str) -> Result<String, E> {
        Ok(text.to_string())
    }

    fn visit_string<E>(self, text: String) -> Result<String, E> {
        Ok(text)
    }

    fn visit_unit<E>(self) -> Result<String, E> {
        Ok(String::new())
    }
}

/// `Primary`: the decoder writes `true` as the text `true`, which is what marks a primary.
struct Primary;

impl Visitor<'_> for Primary {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("true, false or text")
    }

    fn visit_bool<E>(self, primary: bool) -> Result<bool, E> {
        Ok(primary)
    }

    fn visit_str<E>(self, text: &str) -> Result<bool, E> {
        Ok(text == "true")
    }

    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// Visitors that take their value from whatever JSON value comes, each its own seed.
macro_rules! seed_from_any {
    ($($visitor:ty => $value:ty),* $(,)?) => {$(
        impl<'de> DeserializeSeed<'de> for $visitor {
            type Value = $value;

            fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<$value, D::Error> {
                deserializer.deserialize_any(self)
            }
        }
    )*};
}

seed_from_any!(
    Text => String,
    Primary => bool,
    Eni => DescribedEni,
    IpEntry => Option<ShownIp>,
    PrefixEntry => Option<String>,
);

/// Sets a field met for the first time; a field met twice makes the reader give way (the
/// decoder keeps the last one, in the first one's place).
fn once<T, E: de::Error>(slot: &mut Option<T>, value: T) -> Result<(), E> {
    match slot {
        Some(_) => Err(give_way()),
        None => {
            *slot = Some(value);
            Ok(())
        }
    }
}

/// Visits an object at `depth`: each key of `names` goes to `known` (with its index), every
/// other key's value is skipped one level down.
fn fields<'de, A: MapAccess<'de>>(
    mut map: A,
    names: &'static [&'static str],
    depth: usize,
    mut known: impl FnMut(usize, &mut A) -> Result<(), A::Error>,
) -> Result<(), A::Error> {
    while let Some(field) = map.next_key_seed(Field(names))? {
        match field {
            Some(index) => known(index, &mut map)?,
            None => map.next_value_seed(Skip { depth: depth + 1 })?,
        }
    }
    Ok(())
}

/// A list of objects, each read by `item`.
struct List<T>(T);

impl<'de, T: DeserializeSeed<'de> + Copy> DeserializeSeed<'de> for List<T> {
    type Value = Vec<T::Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, T: DeserializeSeed<'de> + Copy> Visitor<'de> for List<T> {
    type Value = Vec<T::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element_seed(self.0)? {
            items.push(item);
        }
        Ok(items)
    }
}

/// A list wrapper (`{"PrivateIpSet": [..]}`) at `depth`: the list under `item`, or no items
/// where the wrapper has none (as the decoder's reading finds none).
#[derive(Clone, Copy)]
struct Wrapper<T> {
    item: &'static [&'static str],
    depth: usize,
    entries: T,
}

impl<'de, T: DeserializeSeed<'de> + Copy> DeserializeSeed<'de> for Wrapper<T> {
    type Value = Option<Vec<T::Value>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, T: DeserializeSeed<'de> + Copy> Visitor<'de> for Wrapper<T> {
    type Value = Option<Vec<T::Value>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list wrapper")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let mut items = None;
        fields(map, self.item, self.depth, |_, map| {
            let list = map.next_value_seed(List(self.entries))?;
            once(&mut items, list)
        })?;
        Ok(items)
    }
}

/// The whole body: `NetworkInterfaceSets` and `NextToken`.
struct Page;

const PAGE_FIELDS: &[&str] = &[ENI_LIST_KEYS[0], "NextToken"];

/// The item key under a list wrapper, of a path that is the wrapper then the item.
const fn item_of(path: &'static [&'static str]) -> &'static [&'static str] {
    path.split_at(1).1
}

impl<'de> Visitor<'de> for Page {
    type Value = PlainPage;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a listing")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<PlainPage, A::Error> {
        let mut enis = None;
        let mut next_token = None;
        fields(map, PAGE_FIELDS, 0, |index, map| match index {
            0 => {
                let sets = Wrapper {
                    item: item_of(ENI_LIST_KEYS),
                    depth: 1,
                    entries: Eni,
                };
                // A wrapper without its list is the decoder's to read.
                let listed = map.next_value_seed(sets)?.ok_or_else(give_way)?;
                once(&mut enis, listed)
            }
            _ => once(&mut next_token, map.next_value_seed(Text)?),
        })?;
        Ok(PlainPage {
            enis: enis.ok_or_else(give_way)?,
            next_token,
        })
    }
}

/// One listed ENI, at depth 3 (body, `NetworkInterfaceSets`, `NetworkInterfaceSet`, item).
#[derive(Clone, Copy)]
struct Eni;

const ENI_DEPTH: usize = 3;
/// The five text fields first, in the order of [`DescribedEni`]'s (the visitor keeps them by
/// index), then the two list wrappers.
const ENI_FIELDS: &[&str] = &[
    "NetworkInterfaceId",
    "Status",
    "VSwitchId",
    "InstanceId",
    "PrivateIpAddress",
    IP_SET_PATH[0],
    PREFIX_SET_PATH[0],
];

impl<'de> Visitor<'de> for Eni {
    type Value = DescribedEni;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an ENI")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<DescribedEni, A::Error> {
        let mut texts: [Option<String>; 5] = Default::default();
        let mut ips = None;
        let mut prefixes = None;
        fields(map, ENI_FIELDS, ENI_DEPTH, |index, map| match index {
            5 => {
                let sets = Wrapper {
                    item: item_of(IP_SET_PATH),
                    depth: ENI_DEPTH + 1,
                    entries: IpEntry,
                };
                let listed = map.next_value_seed(sets)?.unwrap_or_default();
                once(&mut ips, listed.into_iter().flatten().collect())
            }
            6 => {
                let sets = Wrapper {
                    item: item_of(PREFIX_SET_PATH),
                    depth: ENI_DEPTH + 1,
                    entries: PrefixEntry,
                };
                let listed = map.next_value_seed(sets)?.unwrap_or_default();
                once(&mut prefixes, listed.into_iter().flatten().collect())
            }
            text => once(&mut texts[text], map.next_value_seed(Text)?),
        })?;
        let [id, status, vswitch_id, instance_id, private_ip] = texts;
        Ok(DescribedEni {
            id,
            status,
            vswitch_id,
            instance_id,
            private_ip,
            ips: ips.unwrap_or_default(),
            prefixes: prefixes.unwrap_or_default(),
        })
    }
}

/// Where an entry of an ENI's lists keeps its fields: body, sets, set, item, wrapper, list,
/// entry.
const ENTRY_DEPTH: usize = ENI_DEPTH + 3;

/// One `PrivateIpSet` entry: `None` when it carries no address (the decoder's reading skips
/// it).
#[derive(Clone, Copy)]
struct IpEntry;

impl<'de> Visitor<'de> for IpEntry {
    type Value = Option<ShownIp>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an address entry")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let mut address = None;
        let mut primary = None;
        fields(
            map,
            &["PrivateIpAddress", "Primary"],
            ENTRY_DEPTH,
            |index, map| match index {
                0 => once(&mut address, map.next_value_seed(Text)?),
                _ => once(&mut primary, map.next_value_seed(Primary)?),
            },
        )?;
        Ok(address.map(|address| ShownIp {
            address,
            primary: primary.unwrap_or(false),
        }))
    }
}

/// One `Ipv4PrefixSet` entry: its `Ipv4Prefix`, `None` when it has none.
#[derive(Clone, Copy)]
struct PrefixEntry;

impl<'de> Visitor<'de> for PrefixEntry {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a prefix entry")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let mut prefix = None;
        fields(map, &["Ipv4Prefix"], ENTRY_DEPTH, |_, map| {
            once(&mut prefix, map.next_value_seed(Text)?)
        })?;
        Ok(prefix)
    }
}
