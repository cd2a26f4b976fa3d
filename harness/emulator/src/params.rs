//! Parameter syntax: scalar look-ups, `Name.N` list keys, canonical addresses and whole numbers.
//!
//! Keys are case-sensitive and kept exactly as sent (`PrivateIpAddress. 1` with its space is
//! its own key). A scalar given more than once (e.g. in the query and in the body) takes its
//! first value, query before body (**decided**).

use std::borrow::Cow;
use std::net::Ipv4Addr;

/// One decoded parameter, name and value: borrowed from the request where it was sent without
/// escapes (most of them: no copy per parameter), owned where decoding changed it.
pub(crate) type Pair<'a> = (Cow<'a, str>, Cow<'a, str>);

/// The decoded parameters of one request, in arrival order: query first, then body.
#[derive(Debug, Default, Clone)]
pub(crate) struct Params<'a> {
    pub pairs: Vec<Pair<'a>>,
}

/// One list item: its key as sent, its index and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Item<'a> {
    pub key: &'a str,
    pub index: u32,
    pub value: &'a str,
}

impl Params<'_> {
    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_ref())
    }

    /// The first value of `name`, treating an empty value as absent.
    pub(crate) fn get_nonempty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// Whether any key belongs to list `name`: `name` itself or `name.` followed by anything.
    /// Malformed keys count, so that they are answered as malformed rather than as absent.
    pub(crate) fn has_list(&self, name: &str) -> bool {
        self.pairs.iter().any(|(k, _)| is_list_key(k, name))
    }

    /// The items of list `name`, ordered by index. `Err(key)` names the first malformed key in
    /// arrival order: the bare name, an index that is not a whole number without sign, spaces
    /// or leading zeros, an index outside `1..=max`, or an index given twice.
    pub(crate) fn list(&self, name: &str, max: u32) -> Result<Vec<Item<'_>>, &str> {
        let mut items: Vec<Item<'_>> = Vec::new();
        for (key, value) in &self.pairs {
            let (key, value) = (key.as_ref(), value.as_ref());
            if !is_list_key(key, name) {
                continue;
            }
            let index = key
                .get(name.len() + 1..)
                .and_then(|suffix| whole_number(suffix, 1, u64::from(max)))
                .and_then(|n| u32::try_from(n).ok());
            match index {
                Some(index) if !items.iter().any(|i| i.index == index) => {
                    items.push(Item { key, index, value });
                }
                _ => return Err(key),
            }
        }
        items.sort_by_key(|i| i.index);
        Ok(items)
    }
}

/// Parameters from literal pairs, in the order given, for the tests of every module.
#[cfg(test)]
pub(crate) fn params(pairs: &[(&str, &str)]) -> Params<'static> {
    Params {
        pairs: pairs
            .iter()
            .map(|(k, v)| (Cow::Owned((*k).to_owned()), Cow::Owned((*v).to_owned())))
            .collect(),
    }
}

fn is_list_key(key: &str, name: &str) -> bool {
    key.strip_prefix(name)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// A whole number in `min..=max` written canonically: ASCII digits only, no sign, no spaces,
/// no leading zeros (**decided**: `01` is refused like `1.0`).
pub(crate) fn whole_number(s: &str, min: u64, max: u64) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if s.len() > 1 && s.starts_with('0') {
        return None;
    }
    let n: u64 = s.parse().ok()?;
    (min..=max).contains(&n).then_some(n)
}

/// A canonical dotted-quad IPv4 address: four decimal parts 0..=255, no leading zeros, no
/// spaces, nothing else.
pub(crate) fn canonical_ipv4(s: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = s.split('.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.len() > 3 {
            return None;
        }
        *octet = u8::try_from(whole_number(part, 0, 255)?).ok()?;
    }
    parts.next().is_none().then(|| Ipv4Addr::from(octets))
}

/// A canonical aligned IPv4 /28: a canonical address with its 4 host bits zero, then `/28`
/// (**decided**: `/27`, `192.168.0.17/28`, spaces or leading zeros are refused).
pub(crate) fn canonical_prefix28(s: &str) -> Option<ipnet::Ipv4Net> {
    let (addr, len) = s.split_once('/')?;
    if len != "28" {
        return None;
    }
    let addr = canonical_ipv4(addr)?;
    let net = ipnet::Ipv4Net::new(addr, 28).ok()?;
    (net.network() == addr).then_some(net)
}

/// A `ClientToken`: 1 to 64 printable ASCII characters (space included).
pub(crate) fn valid_client_token(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_addresses() {
        assert_eq!(
            canonical_ipv4("192.168.0.1"),
            Some(Ipv4Addr::new(192, 168, 0, 1))
        );
        assert_eq!(canonical_ipv4("0.0.0.0"), Some(Ipv4Addr::UNSPECIFIED));
        for bad in [
            "",
            "192.168.0.01",
            " 192.168.0.1",
            "192.168.0.1 ",
            "192.168.0.256",
            "192.168.0",
            "192.168.0.1.2",
            "::1",
            "192.168.0.+1",
            "192.168.0.-1",
            "1e1.0.0.1",
            "192.168..1",
            "0x1.0.0.1",
            "192.168.0.0001",
        ] {
            assert_eq!(canonical_ipv4(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn canonical_prefixes() {
        assert_eq!(
            canonical_prefix28("192.168.0.16/28").map(|n| n.to_string()),
            Some("192.168.0.16/28".to_owned())
        );
        for bad in [
            "192.168.0.17/28",
            "192.168.0.16/27",
            "192.168.0.0/29",
            "192.168.0.16",
            "192.168.0.16/028",
            "192.168.0.016/28",
            " 192.168.0.16/28",
            "192.168.0.16/28 ",
            "192.168.0.16 /28",
            "192.168.0.16/",
            "/28",
            "",
            "192.168.0.16/28/28",
        ] {
            assert_eq!(canonical_prefix28(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn whole_numbers() {
        assert_eq!(whole_number("1", 1, 50), Some(1));
        assert_eq!(whole_number("50", 1, 50), Some(50));
        for bad in [
            "",
            "0",
            "-1",
            "1.5",
            "abc",
            "51",
            "01",
            " 1",
            "1 ",
            "+1",
            "99999999999999999999999",
        ] {
            assert_eq!(whole_number(bad, 1, 50), None, "{bad:?}");
        }
    }

    #[test]
    fn whole_numbers_have_at_most_19_digits_whatever_the_range() {
        // 20 digits can still fit a u64, but the length bound refuses them before parsing, so no
        // range a caller passes lets one through; 19 digits pass when the range allows.
        assert_eq!(whole_number("12345678901234567890", 0, u64::MAX), None);
        assert_eq!(
            whole_number("1234567890123456789", 0, u64::MAX),
            Some(1_234_567_890_123_456_789)
        );
    }

    #[test]
    fn list_keys() {
        let p = params(&[
            ("PrivateIpAddress.3", "b"),
            ("PrivateIpAddress.1", "a"),
            ("Other", "x"),
        ]);
        let items = p.list("PrivateIpAddress", 50).unwrap();
        assert_eq!(
            items.iter().map(|i| i.value).collect::<Vec<_>>(),
            ["a", "b"]
        );
        for bad in [
            "PrivateIpAddress. 1",
            "PrivateIpAddress.0",
            "PrivateIpAddress.01",
            "PrivateIpAddress.x",
            "PrivateIpAddress.-1",
            "PrivateIpAddress.1 ",
            "PrivateIpAddress.51",
            "PrivateIpAddress",
            "PrivateIpAddress.",
            "PrivateIpAddress.1.2",
        ] {
            let p = params(&[("PrivateIpAddress.2", "a"), (bad, "x")]);
            assert_eq!(p.list("PrivateIpAddress", 50), Err(bad), "{bad:?}");
            assert!(p.has_list("PrivateIpAddress"));
        }
        let twice = params(&[("PrivateIpAddress.1", "a"), ("PrivateIpAddress.1", "b")]);
        assert_eq!(
            twice.list("PrivateIpAddress", 50),
            Err("PrivateIpAddress.1")
        );
        let other = params(&[("PrivateIpAddressX.1", "a"), ("privateipaddress.1", "a")]);
        assert!(!other.has_list("PrivateIpAddress"));
        assert_eq!(other.list("PrivateIpAddress", 50), Ok(vec![]));
    }

    #[test]
    fn client_tokens() {
        assert!(valid_client_token("abc-123 X~"));
        assert!(valid_client_token(&"a".repeat(64)));
        assert!(!valid_client_token(&"a".repeat(65)));
        assert!(!valid_client_token("é"));
        assert!(!valid_client_token("a\tb"));
        assert!(!valid_client_token(""));
    }
}
