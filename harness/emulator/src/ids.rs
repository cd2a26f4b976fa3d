//! Deterministic identifiers: ENI ids, request ids and MAC addresses from the seed and a counter,
//! in the reference shapes or in the shapes a variant world draws.
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

/// Lower-case base 36, in `char::from_digit` order: the reference ENI id alphabet.
const BASE36: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const HEX: &[u8] = b"0123456789abcdef";
/// RFC 4648's base 32 alphabet, lower-cased.
const BASE32: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";

/// How request ids are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestIdShape {
    /// `04F0F334-1335-436C-A1D7-6C044FE70008` (the reference).
    UpperUuid,
    /// `04f0f334-1335-436c-a1d7-6c044fe70008`.
    LowerUuid,
    /// `04F0F3341335436CA1D76C044FE70008`.
    UpperHex32,
}

/// The shapes of every generated identifier. The reference shapes are ECS's; a variant draws
/// others that are still plausible (ENI ids start with `eni-`, MACs are six colon-separated
/// octets) so that a client assuming one exact shape is caught.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IdShapes {
    /// What every ENI id starts with, `eni-` included.
    eni_prefix: &'static str,
    eni_alphabet: &'static [u8],
    /// Characters after the prefix.
    eni_len: usize,
    request: RequestIdShape,
    /// The first three octets of every MAC, as written.
    mac_prefix: &'static str,
    mac_upper: bool,
    /// The `HostId` of error answers.
    pub host_id: String,
}

impl IdShapes {
    /// ECS's shapes: `eni-bp1` + 17 base-36 characters, upper-case UUID request ids, MACs in
    /// `00:16:3e`, `HostId` `ecs.aliyuncs.com`.
    pub(crate) fn reference() -> IdShapes {
        IdShapes {
            eni_prefix: "eni-bp1",
            eni_alphabet: BASE36,
            eni_len: 17,
            request: RequestIdShape::UpperUuid,
            mac_prefix: "00:16:3e",
            mac_upper: false,
            host_id: "ecs.aliyuncs.com".to_owned(),
        }
    }

    /// Shapes drawn from `seed`, each different from the reference's: another ENI id prefix,
    /// alphabet and length, another request id layout, another MAC block, another `HostId`.
    pub(crate) fn variant(seed: u64, region: &str) -> IdShapes {
        let draw = |n: u64, choices: usize| (mix(seed, 0x1D5, n) % choices as u64) as usize;
        const PREFIXES: [&str; 5] = ["eni-uf6", "eni-2ze", "eni-wz9", "eni-m5e", "eni-"];
        // (alphabet, longest length the 128 random bits fill)
        const ALPHABETS: [(&[u8], usize); 2] = [(HEX, 32), (BASE32, 25)];
        const LENGTHS: [usize; 5] = [12, 14, 20, 22, 24];
        const REQUESTS: [RequestIdShape; 2] =
            [RequestIdShape::LowerUuid, RequestIdShape::UpperHex32];
        const MACS: [&str; 3] = ["02:42:ac", "fa:16:3e", "00:0c:29"];
        let (alphabet, longest) = ALPHABETS[draw(1, ALPHABETS.len())];
        let hosts = [
            format!("ecs.{region}.aliyuncs.com"),
            format!("ecs-{region}.aliyuncs.com"),
            "ecs-vpc.aliyuncs.com".to_owned(),
        ];
        IdShapes {
            eni_prefix: PREFIXES[draw(0, PREFIXES.len())],
            eni_alphabet: alphabet,
            eni_len: LENGTHS[draw(2, LENGTHS.len())].min(longest),
            request: REQUESTS[draw(3, REQUESTS.len())],
            mac_prefix: MACS[draw(4, MACS.len())],
            mac_upper: draw(5, 2) == 1,
            host_id: hosts[draw(6, hosts.len())].clone(),
        }
    }

    /// The `n`th ENI id of `seed`.
    pub(crate) fn eni_id(&self, seed: u64, n: u64) -> String {
        let hi = mix(seed, ENI_STREAM, n.wrapping_mul(2));
        let lo = mix(seed, ENI_STREAM, n.wrapping_mul(2).wrapping_add(1));
        let mut v = (u128::from(hi) << 64) | u128::from(lo);
        let base = self.eni_alphabet.len() as u128;
        let mut out = String::with_capacity(self.eni_prefix.len() + self.eni_len);
        out.push_str(self.eni_prefix);
        for _ in 0..self.eni_len {
            let digit = (v % base) as usize;
            v /= base;
            out.push(char::from(self.eni_alphabet[digit]));
        }
        out
    }

    /// The `n`th request id of `seed`.
    pub(crate) fn request_id(&self, seed: u64, n: u64) -> String {
        let (a, b) = request_words(seed, n);
        let [a1, a2, a3, b1, b2] = uuid_groups(a, b);
        // Written digit by digit rather than with `format!`: every answer carries one.
        let mut out = String::with_capacity(36);
        match self.request {
            RequestIdShape::UpperUuid | RequestIdShape::LowerUuid => {
                let upper = self.request == RequestIdShape::UpperUuid;
                for (i, (value, digits)) in [(a1, 8), (a2, 4), (a3, 4), (b1, 4), (b2, 12)]
                    .into_iter()
                    .enumerate()
                {
                    if i > 0 {
                        out.push('-');
                    }
                    push_hex(&mut out, value, digits, upper);
                }
            }
            RequestIdShape::UpperHex32 => {
                push_hex(&mut out, a, 16, true);
                push_hex(&mut out, b, 16, true);
            }
        }
        out
    }

    /// The `n`th MAC address of `seed`.
    pub(crate) fn mac(&self, seed: u64, n: u64) -> String {
        let v = mix(seed, MAC_STREAM, n);
        let (x, y, z) = ((v >> 16) & 0xFF, (v >> 8) & 0xFF, v & 0xFF);
        if self.mac_upper {
            format!(
                "{}:{x:02X}:{y:02X}:{z:02X}",
                self.mac_prefix.to_ascii_uppercase()
            )
        } else {
            format!("{}:{x:02x}:{y:02x}:{z:02x}", self.mac_prefix)
        }
    }
}

/// The two 64-bit words the `n`th request id of `seed` is written from.
fn request_words(seed: u64, n: u64) -> (u64, u64) {
    (
        mix(seed, REQUEST_STREAM, n.wrapping_mul(2)),
        mix(seed, REQUEST_STREAM, n.wrapping_mul(2).wrapping_add(1)),
    )
}

/// The five groups of a UUID-shaped request id (8, 4, 4, 4 and 12 hex digits) cut from its
/// two words.
fn uuid_groups(a: u64, b: u64) -> [u64; 5] {
    [
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFFF,
        b >> 48,
        b & 0xFFFF_FFFF_FFFF,
    ]
}

/// A stable number for a fixed id (FNV-1a), so ENIs of the world file get stable MACs too.
pub(crate) fn hash_str(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Appends the low `digits` hex digits of `value`, zero-padded.
fn push_hex(out: &mut String, value: u64, digits: u32, upper: bool) {
    let alphabet: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    for i in (0..digits).rev() {
        out.push(char::from(alphabet[((value >> (i * 4)) & 0xF) as usize]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_documented_shapes() {
        let shapes = IdShapes::reference();
        let id = shapes.eni_id(0, 1);
        assert_eq!(id.len(), 24);
        assert!(id.starts_with("eni-bp1"));
        assert!(
            id[7..]
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        );
        let rid = shapes.request_id(0, 1);
        let parts: Vec<usize> = rid.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
        assert!(
            rid.bytes()
                .all(|b| b == b'-' || b.is_ascii_digit() || b.is_ascii_uppercase())
        );
        assert!(shapes.mac(0, 1).starts_with("00:16:3e:"));
        assert_eq!(shapes.host_id, "ecs.aliyuncs.com");
    }

    #[test]
    fn reference_ids_keep_their_exact_values() {
        // Recorded runs and journals hold these: the reference shapes must never drift.
        let shapes = IdShapes::reference();
        assert_eq!(shapes.eni_id(0, 1), "eni-bp1q6x2c4uk3ni3v8yqv");
        assert_eq!(
            shapes.request_id(0, 1),
            "9A1D04B0-A2B0-E83A-0BA9-61878D766E39"
        );
        assert_eq!(shapes.mac(0, 1), "00:16:3e:90:b6:89");
    }

    #[test]
    fn request_ids_are_written_as_format_would() {
        for request in [
            RequestIdShape::UpperUuid,
            RequestIdShape::LowerUuid,
            RequestIdShape::UpperHex32,
        ] {
            let shapes = IdShapes {
                request,
                ..IdShapes::reference()
            };
            for n in [0, 1, 2, 99, u64::MAX] {
                let (a, b) = request_words(3, n);
                let [a1, a2, a3, b1, b2] = uuid_groups(a, b);
                let expected = match request {
                    RequestIdShape::UpperUuid => {
                        format!("{a1:08X}-{a2:04X}-{a3:04X}-{b1:04X}-{b2:012X}")
                    }
                    RequestIdShape::LowerUuid => {
                        format!("{a1:08x}-{a2:04x}-{a3:04x}-{b1:04x}-{b2:012x}")
                    }
                    RequestIdShape::UpperHex32 => format!("{a:016X}{b:016X}"),
                };
                assert_eq!(shapes.request_id(3, n), expected);
            }
        }
    }

    #[test]
    fn ids_are_deterministic_and_distinct() {
        let shapes = IdShapes::reference();
        assert_eq!(shapes.eni_id(7, 3), shapes.eni_id(7, 3));
        assert_ne!(shapes.eni_id(7, 3), shapes.eni_id(7, 4));
        assert_ne!(shapes.eni_id(7, 3), shapes.eni_id(8, 3));
        assert_eq!(shapes.request_id(1, 2), shapes.request_id(1, 2));
        assert_ne!(shapes.request_id(1, 2), shapes.request_id(1, 3));
    }

    #[test]
    fn variant_shapes_differ_from_the_reference_and_stay_plausible() {
        let reference = IdShapes::reference();
        let mut prefixes = std::collections::BTreeSet::new();
        for seed in 0..40 {
            let shapes = IdShapes::variant(seed, "cn-shanghai");
            assert_eq!(shapes, IdShapes::variant(seed, "cn-shanghai"));
            let id = shapes.eni_id(seed, 1);
            assert!(id.starts_with("eni-"), "{id}");
            assert!(id.len() > 12, "{id}");
            assert!(
                id.bytes()
                    .all(|b| b == b'-' || b.is_ascii_digit() || b.is_ascii_lowercase()),
                "{id}"
            );
            assert_ne!(
                (shapes.eni_alphabet, shapes.eni_len),
                (reference.eni_alphabet, reference.eni_len)
            );
            assert_ne!(shapes.request, reference.request);
            assert!(
                !shapes
                    .mac(seed, 1)
                    .to_ascii_lowercase()
                    .starts_with("00:16:3e")
            );
            assert_eq!(shapes.mac(seed, 1).split(':').count(), 6);
            assert_ne!(shapes.host_id, reference.host_id);
            let rid = shapes.request_id(seed, 1);
            let reference_like = rid.len() == 36 && rid.bytes().any(|b| b.is_ascii_uppercase());
            assert!(!reference_like, "{rid}");
            prefixes.insert(shapes.eni_prefix);
        }
        assert!(
            prefixes.len() > 2,
            "seeds draw several prefixes: {prefixes:?}"
        );
    }
}
