//! Deterministic identifiers: ENI ids, request ids and MAC addresses from the seed and a counter.
//!
//! Reproducible ids let two runs of one scenario be compared byte for byte.

/// The splitmix64 finaliser: a cheap, well-mixed bijection on `u64`.
pub(crate) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One pseudo-random word for (seed, stream, n); streams keep the id kinds independent.
pub(crate) fn mix(seed: u64, stream: u64, n: u64) -> u64 {
    splitmix64(splitmix64(seed ^ splitmix64(stream)) ^ n)
}

const ENI_STREAM: u64 = 1;
const REQUEST_STREAM: u64 = 2;
const MAC_STREAM: u64 = 3;

/// `eni-bp1` followed by 17 lower-case base-36 characters.
pub(crate) fn eni_id(seed: u64, n: u64) -> String {
    let hi = mix(seed, ENI_STREAM, n.wrapping_mul(2));
    let lo = mix(seed, ENI_STREAM, n.wrapping_mul(2).wrapping_add(1));
    let mut v = (u128::from(hi) << 64) | u128::from(lo);
    let mut out = String::with_capacity(24);
    out.push_str("eni-bp1");
    for _ in 0..17 {
        let digit = (v % 36) as u32;
        v /= 36;
        out.push(char::from_digit(digit, 36).unwrap_or('0'));
    }
    out
}

/// A request id shaped like `04F0F334-1335-436C-A1D7-6C044FE70008`.
pub(crate) fn request_id(seed: u64, n: u64) -> String {
    let a = mix(seed, REQUEST_STREAM, n.wrapping_mul(2));
    let b = mix(seed, REQUEST_STREAM, n.wrapping_mul(2).wrapping_add(1));
    format!(
        "{:08X}-{:04X}-{:04X}-{:04X}-{:012X}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFFF,
        b >> 48,
        b & 0xFFFF_FFFF_FFFF
    )
}

/// A MAC address in Alibaba Cloud's `00:16:3e` block.
pub(crate) fn mac(seed: u64, n: u64) -> String {
    let v = mix(seed, MAC_STREAM, n);
    format!(
        "00:16:3e:{:02x}:{:02x}:{:02x}",
        (v >> 16) & 0xFF,
        (v >> 8) & 0xFF,
        v & 0xFF
    )
}

/// A stable number for a fixed id (FNV-1a), so ENIs of the world file get stable MACs too.
pub(crate) fn hash_str(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_documented_shapes() {
        let id = eni_id(0, 1);
        assert_eq!(id.len(), 24);
        assert!(id.starts_with("eni-bp1"));
        assert!(
            id[7..]
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        );
        let rid = request_id(0, 1);
        let parts: Vec<usize> = rid.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
        assert!(
            rid.bytes()
                .all(|b| b == b'-' || b.is_ascii_digit() || b.is_ascii_uppercase())
        );
        assert!(mac(0, 1).starts_with("00:16:3e:"));
    }

    #[test]
    fn ids_are_deterministic_and_distinct() {
        assert_eq!(eni_id(7, 3), eni_id(7, 3));
        assert_ne!(eni_id(7, 3), eni_id(7, 4));
        assert_ne!(eni_id(7, 3), eni_id(8, 3));
        assert_eq!(request_id(1, 2), request_id(1, 2));
        assert_ne!(request_id(1, 2), request_id(1, 3));
    }
}
