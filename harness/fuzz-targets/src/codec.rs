//! The byte layout of structured fuzz inputs, both ways: `arbitrary` decodes bytes into values
//! (as libfuzzer-sys does), and [`Encode`] writes a value back as bytes that decode to it, so
//! seeds can be written as Rust values instead of being fished out of a fuzzing run.
//!
//! Derived `Arbitrary` reads an enum's variant from a little-endian `u32` (`(x * variants) >> 32`),
//! a `bool` from one byte (`& 1`), a `u8` from one byte, and fields in order. Strings and
//! collections are the exception: the standard ones take their lengths from the *end* of the
//! data, which depends on how much data is left and cannot be written field by field. [`Text`]
//! and [`List`] read a one-byte length from the front instead.

use arbitrary::{Arbitrary, Unstructured};

/// Writes a value as bytes that `arbitrary` decodes back to the same value (only the seed
/// writer and its tests need it, so only tests build it).
#[cfg(test)]
pub(crate) trait Encode {
    fn encode(&self, out: &mut Vec<u8>);
}

/// Encodes `value` as a whole fuzz input.
#[cfg(test)]
pub(crate) fn to_bytes(value: &impl Encode) -> Vec<u8> {
    let mut out = Vec::new();
    value.encode(&mut out);
    out
}

/// Decodes a whole fuzz input the way libfuzzer-sys does; `None` for bytes that do not decode
/// (the fuzzer skips those).
pub(crate) fn from_bytes<'a, T: Arbitrary<'a>>(bytes: &'a [u8]) -> Option<T> {
    T::arbitrary_take_rest(Unstructured::new(bytes)).ok()
}

/// Writes the variant tag derived `Arbitrary` reads as variant `index` of `count`.
#[cfg(test)]
pub(crate) fn encode_tag(index: u32, count: u32, out: &mut Vec<u8>) {
    debug_assert!(index < count);
    // The smallest x with (x * count) >> 32 == index.
    let x = ((u64::from(index) << 32).div_ceil(u64::from(count))) as u32;
    out.extend_from_slice(&x.to_le_bytes());
}

#[cfg(test)]
impl Encode for u8 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
}

#[cfg(test)]
impl Encode for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
}

#[cfg(test)]
impl Encode for u16 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

#[cfg(test)]
impl<T: Encode> Encode for Option<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        // `Option` reads a `bool` first.
        match self {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                v.encode(out);
            }
        }
    }
}

/// A string of at most 255 bytes: a length byte, then the bytes (invalid UTF-8 is replaced).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Text(pub(crate) String);

impl Text {
    #[cfg(test)]
    pub(crate) fn new(s: &str) -> Text {
        Text(s.to_owned())
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'a> Arbitrary<'a> for Text {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let len = usize::from(u8::arbitrary(u)?).min(u.len());
        let bytes = u.bytes(len)?;
        Ok(Text(String::from_utf8_lossy(bytes).into_owned()))
    }

    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(256))
    }
}

#[cfg(test)]
impl Encode for Text {
    fn encode(&self, out: &mut Vec<u8>) {
        let bytes = self.0.as_bytes();
        let len = bytes.len().min(255);
        // Cut on a character boundary so the text decodes to itself.
        let len = (0..=len)
            .rev()
            .find(|&i| self.0.is_char_boundary(i))
            .unwrap_or(0);
        out.push(len as u8);
        out.extend_from_slice(&bytes[..len]);
    }
}

/// Up to `MAX` items: a count byte (taken modulo `MAX + 1`), then the items. Stops early when
/// the data runs out rather than making up items from nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct List<T, const MAX: usize>(pub(crate) Vec<T>);

impl<T, const MAX: usize> Default for List<T, MAX> {
    fn default() -> Self {
        List(Vec::new())
    }
}

impl<T, const MAX: usize> std::ops::Deref for List<T, MAX> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<'a, T: Arbitrary<'a>, const MAX: usize> Arbitrary<'a> for List<T, MAX> {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let count = usize::from(u8::arbitrary(u)?) % (MAX + 1);
        let mut items = Vec::with_capacity(count);
        for _ in 0..count {
            if u.is_empty() {
                break;
            }
            items.push(T::arbitrary(u)?);
        }
        Ok(List(items))
    }

    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, None)
    }
}

#[cfg(test)]
impl<T: Encode, const MAX: usize> Encode for List<T, MAX> {
    fn encode(&self, out: &mut Vec<u8>) {
        assert!(self.0.len() <= MAX, "a List holds at most {MAX} items");
        out.push(self.0.len() as u8);
        for item in &self.0 {
            item.encode(out);
        }
    }
}

/// All the bytes that are left (only sensible as the last field of an input).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Rest(pub(crate) Vec<u8>);

impl<'a> Arbitrary<'a> for Rest {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Rest(u.bytes(u.len())?.to_vec()))
    }

    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (0, None)
    }
}

#[cfg(test)]
impl Encode for Rest {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Arbitrary)]
    enum Three {
        A,
        B(u8),
        C { flag: bool, text: Text },
    }

    impl Encode for Three {
        fn encode(&self, out: &mut Vec<u8>) {
            match self {
                Three::A => encode_tag(0, 3, out),
                Three::B(n) => {
                    encode_tag(1, 3, out);
                    n.encode(out);
                }
                Three::C { flag, text } => {
                    encode_tag(2, 3, out);
                    flag.encode(out);
                    text.encode(out);
                }
            }
        }
    }

    #[test]
    fn encoding_matches_derived_decoding() {
        for count in 1..=40u32 {
            for index in 0..count {
                let mut out = Vec::new();
                encode_tag(index, count, &mut out);
                let x = u32::from_le_bytes(out[..4].try_into().unwrap());
                assert_eq!((u64::from(x) * u64::from(count)) >> 32, u64::from(index));
            }
        }
        let values: List<Three, 4> = List(vec![
            Three::A,
            Three::B(7),
            Three::C {
                flag: true,
                text: Text::new("PrivateIpAddress. 1 — é"),
            },
            Three::C {
                flag: false,
                text: Text::new(""),
            },
        ]);
        let bytes = to_bytes(&values);
        assert_eq!(from_bytes::<List<Three, 4>>(&bytes), Some(values));
        let rest = (Some(3u8), Rest(b"tail".to_vec()));
        let mut out = Vec::new();
        rest.0.encode(&mut out);
        rest.1.encode(&mut out);
        assert_eq!(from_bytes::<(Option<u8>, Rest)>(&out), Some(rest));
    }
}
