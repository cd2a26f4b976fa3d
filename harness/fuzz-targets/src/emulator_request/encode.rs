//! Writing scenarios back to the bytes `arbitrary` decodes them from, field by field in the
//! order `derive(Arbitrary)` reads them, so seeds can be written as Rust values.

use super::scenario::*;
use crate::codec::{Encode, encode_tag};

impl Encode for Scenario {
    fn encode(&self, out: &mut Vec<u8>) {
        self.knobs.encode(out);
        self.ops.encode(out);
    }
}

impl Encode for Knobs {
    fn encode(&self, out: &mut Vec<u8>) {
        self.busy_tasks.encode(out);
        self.current_profile.encode(out);
        self.seeded_allocation.encode(out);
    }
}

impl Encode for Op {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Op::Send(r) => {
                encode_tag(0, 2, out);
                r.encode(out);
            }
            Op::Advance(s) => {
                encode_tag(1, 2, out);
                s.encode(out);
            }
        }
    }
}

impl Encode for Request {
    fn encode(&self, out: &mut Vec<u8>) {
        self.method.encode(out);
        self.action.encode(out);
        self.format.encode(out);
        self.region.encode(out);
        self.params.encode(out);
        self.headers.encode(out);
        self.raw_query.encode(out);
        self.body.encode(out);
    }
}

/// Encodes fieldless enums by their position among their `ALL` (declared with the enum).
macro_rules! encode_unit_enum {
    ($($ty:ty),* $(,)?) => {$(
        impl Encode for $ty {
            fn encode(&self, out: &mut Vec<u8>) {
                let index = <$ty>::ALL.iter().position(|v| v == self).unwrap_or(0);
                encode_tag(index as u32, <$ty>::ALL.len() as u32, out);
            }
        }
    )*};
}

encode_unit_enum!(HttpMethod, KnownAction, Name, ListName);

impl Encode for ActionName {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            ActionName::Known(a) => {
                encode_tag(0, 3, out);
                a.encode(out);
            }
            ActionName::Missing => encode_tag(1, 3, out),
            ActionName::Other(t) => {
                encode_tag(2, 3, out);
                t.encode(out);
            }
        }
    }
}

impl Encode for FormatParam {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            FormatParam::Absent => encode_tag(0, 5, out),
            FormatParam::Json => encode_tag(1, 5, out),
            FormatParam::Xml => encode_tag(2, 5, out),
            FormatParam::Lower(json) => {
                encode_tag(3, 5, out);
                json.encode(out);
            }
            FormatParam::Other(t) => {
                encode_tag(4, 5, out);
                t.encode(out);
            }
        }
    }
}

impl Encode for RegionParam {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            RegionParam::Right => encode_tag(0, 3, out),
            RegionParam::Missing => encode_tag(1, 3, out),
            RegionParam::Other(t) => {
                encode_tag(2, 3, out);
                t.encode(out);
            }
        }
    }
}

impl Encode for Param {
    fn encode(&self, out: &mut Vec<u8>) {
        self.key.encode(out);
        self.value.encode(out);
        self.in_body.encode(out);
    }
}

impl Encode for Key {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Key::Name(n) => {
                encode_tag(0, 3, out);
                n.encode(out);
            }
            Key::Item(list, index) => {
                encode_tag(1, 3, out);
                list.encode(out);
                index.encode(out);
            }
            Key::Other(t) => {
                encode_tag(2, 3, out);
                t.encode(out);
            }
        }
    }
}

impl Encode for Index {
    fn encode(&self, out: &mut Vec<u8>) {
        let (tag, n, text) = match self {
            Index::N(n) => (0, Some(n), None),
            Index::Zero => (1, None, None),
            Index::Over(n) => (2, Some(n), None),
            Index::LeadingZero(n) => (3, Some(n), None),
            Index::LeadingSpace(n) => (4, Some(n), None),
            Index::TrailingSpace(n) => (5, Some(n), None),
            Index::Negative(n) => (6, Some(n), None),
            Index::Plus(n) => (7, Some(n), None),
            Index::Letter => (8, None, None),
            Index::Empty => (9, None, None),
            Index::Huge => (10, None, None),
            Index::Other(t) => (11, None, Some(t)),
        };
        encode_tag(tag, 12, out);
        if let Some(n) = n {
            n.encode(out);
        }
        if let Some(t) = text {
            t.encode(out);
        }
    }
}

impl Encode for Value {
    fn encode(&self, out: &mut Vec<u8>) {
        const COUNT: u32 = 12;
        match self {
            Value::Eni(n) => {
                encode_tag(0, COUNT, out);
                n.encode(out);
            }
            Value::Instance(n) => {
                encode_tag(1, COUNT, out);
                n.encode(out);
            }
            Value::VSwitch(n) => {
                encode_tag(2, COUNT, out);
                n.encode(out);
            }
            Value::SecurityGroup(n) => {
                encode_tag(3, COUNT, out);
                n.encode(out);
            }
            Value::Ip(ip) => {
                encode_tag(4, COUNT, out);
                ip.encode(out);
            }
            Value::Count(c) => {
                encode_tag(5, COUNT, out);
                c.encode(out);
            }
            Value::ClientToken(n) => {
                encode_tag(6, COUNT, out);
                n.encode(out);
            }
            Value::Word(n) => {
                encode_tag(7, COUNT, out);
                n.encode(out);
            }
            Value::Empty => encode_tag(8, COUNT, out),
            Value::NonAscii(n) => {
                encode_tag(9, COUNT, out);
                n.encode(out);
            }
            Value::Other(t) => {
                encode_tag(10, COUNT, out);
                t.encode(out);
            }
            Value::Prefix(prefix) => {
                encode_tag(11, COUNT, out);
                prefix.encode(out);
            }
        }
    }
}

impl Encode for Prefix {
    fn encode(&self, out: &mut Vec<u8>) {
        const COUNT: u32 = 7;
        match self {
            Prefix::Block { vswitch, block } => {
                encode_tag(0, COUNT, out);
                vswitch.encode(out);
                block.encode(out);
            }
            Prefix::Seen(n) => {
                encode_tag(1, COUNT, out);
                n.encode(out);
            }
            Prefix::Unaligned { vswitch, host } => {
                encode_tag(2, COUNT, out);
                vswitch.encode(out);
                host.encode(out);
            }
            Prefix::Length { block, length } => {
                encode_tag(3, COUNT, out);
                block.encode(out);
                length.encode(out);
            }
            Prefix::Bare(n) => {
                encode_tag(4, COUNT, out);
                n.encode(out);
            }
            Prefix::Spaced(n) => {
                encode_tag(5, COUNT, out);
                n.encode(out);
            }
            Prefix::Other(t) => {
                encode_tag(6, COUNT, out);
                t.encode(out);
            }
        }
    }
}

impl Encode for Ip {
    fn encode(&self, out: &mut Vec<u8>) {
        const COUNT: u32 = 9;
        match self {
            Ip::Host { vswitch, host } => {
                encode_tag(0, COUNT, out);
                vswitch.encode(out);
                host.encode(out);
            }
            Ip::Seen(n) => {
                encode_tag(1, COUNT, out);
                n.encode(out);
            }
            Ip::Outside(n) => {
                encode_tag(2, COUNT, out);
                n.encode(out);
            }
            Ip::LeadingZeros(n) => {
                encode_tag(3, COUNT, out);
                n.encode(out);
            }
            Ip::Ipv6 => encode_tag(4, COUNT, out),
            Ip::Octet256 => encode_tag(5, COUNT, out),
            Ip::ThreeOctets => encode_tag(6, COUNT, out),
            Ip::Spaced(n) => {
                encode_tag(7, COUNT, out);
                n.encode(out);
            }
            Ip::Other(t) => {
                encode_tag(8, COUNT, out);
                t.encode(out);
            }
        }
    }
}

impl Encode for Count {
    fn encode(&self, out: &mut Vec<u8>) {
        const COUNT: u32 = 7;
        match self {
            Count::N(n) => {
                encode_tag(0, COUNT, out);
                n.encode(out);
            }
            Count::Huge => encode_tag(1, COUNT, out),
            Count::Negative => encode_tag(2, COUNT, out),
            Count::Fraction => encode_tag(3, COUNT, out),
            Count::Padded(n) => {
                encode_tag(4, COUNT, out);
                n.encode(out);
            }
            Count::Plus(n) => {
                encode_tag(5, COUNT, out);
                n.encode(out);
            }
            Count::Other(t) => {
                encode_tag(6, COUNT, out);
                t.encode(out);
            }
        }
    }
}

impl Encode for Header {
    fn encode(&self, out: &mut Vec<u8>) {
        const COUNT: u32 = 5;
        match self {
            Header::ContentType(kind, junk) => {
                encode_tag(0, COUNT, out);
                kind.encode(out);
                junk.encode(out);
            }
            Header::AcsAction(a) => {
                encode_tag(1, COUNT, out);
                a.encode(out);
            }
            Header::AcsVersion(right) => {
                encode_tag(2, COUNT, out);
                right.encode(out);
            }
            Header::Authorization(t) => {
                encode_tag(3, COUNT, out);
                t.encode(out);
            }
            Header::Other(n, v) => {
                encode_tag(4, COUNT, out);
                n.encode(out);
                v.encode(out);
            }
        }
    }
}

impl Encode for BodyExtra {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            BodyExtra::None => encode_tag(0, 3, out),
            BodyExtra::Raw(t) => {
                encode_tag(1, 3, out);
                t.encode(out);
            }
            BodyExtra::Large(n) => {
                encode_tag(2, 3, out);
                n.encode(out);
            }
        }
    }
}
