//! Signature verification (v1 HMAC-SHA1 and V3 ACS3-HMAC-SHA256), timestamps and the nonce store.
//!
//! Written independently of any client-side signer on purpose: the contract's test vector pins
//! both halves, and two implementations catch each other's mistakes.

use std::collections::{HashSet, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher, RandomState};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::params::Pair;

/// RFC 3986: everything but `A-Z a-z 0-9 - _ . ~` is escaped, with upper-case hex.
pub(crate) const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// How far a timestamp may be from the emulator's clock, and how long a nonce is remembered.
pub(crate) const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Most nonces remembered at once (**decided**): a ring of this size plus a hash set keeps
/// memory flat. A nonce is forgotten after 15 minutes or when 100 000 newer ones arrived,
/// whichever comes first.
pub(crate) const NONCE_CAPACITY: usize = 100_000;

#[cfg(test)]
pub(crate) fn rfc3986(s: &str) -> String {
    utf8_percent_encode(s, RFC3986).to_string()
}

/// The v1 string to sign: `METHOD&%2F&enc(sorted canonical query)`. Every parameter but
/// `Signature` is signed, empty ones included (the old Python SDK's `SignatureType=`). Sorted
/// by name, then by value (decided): the canonical form of a request that repeats a name must
/// not depend on the order the repeats arrived in.
pub(crate) fn v1_string_to_sign(method: &str, pairs: &[Pair<'_>]) -> String {
    // Sized up front: collected through the filter, the list would grow (and copy) three
    // times on a signed request's 15 or so parameters.
    let mut sorted: Vec<(&str, &str)> = Vec::with_capacity(pairs.len());
    sorted.extend(
        pairs
            .iter()
            .filter(|(k, _)| k != "Signature")
            .map(|(k, v)| (k.as_ref(), v.as_ref())),
    );
    sorted.sort_by(|a, b| (a.0.as_bytes(), a.1.as_bytes()).cmp(&(b.0.as_bytes(), b.1.as_bytes())));
    // The canonical query is encoded twice (each name and value, then the whole): done in one
    // pass, since encoding `%XX` again gives `%25XX`, and the joining `=` and `&` become `%3D`
    // and `%26`. The string to sign is built for every signed request, so this pass counts.
    let length: usize = sorted.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    let mut sts = String::with_capacity(method.len() + 5 + length * 3 / 2);
    sts.push_str(method);
    sts.push_str("&%2F&");
    for (i, (k, v)) in sorted.iter().enumerate() {
        if i > 0 {
            sts.push_str("%26");
        }
        push_encoded_twice(&mut sts, k);
        sts.push_str("%3D");
        push_encoded_twice(&mut sts, v);
    }
    sts
}

/// Appends `rfc3986(rfc3986(s))`: unreserved bytes as they are, every other byte `b` (each
/// byte of a multi-byte character too) as `%25` and the two upper-case hex digits of `b`.
fn push_encoded_twice(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bytes = s.as_bytes();
    // Most names and values are unreserved throughout (`Action`, ids, nonces): one check that
    // reads every byte without stopping early compiles to a vector loop, and they are copied
    // whole.
    if bytes.iter().fold(true, |all, &b| all & is_unreserved(b)) {
        out.push_str(s);
        return;
    }
    let mut plain = 0;
    for (at, &b) in bytes.iter().enumerate() {
        if is_unreserved(b) {
            continue;
        }
        // `plain..at` is a run of ASCII bytes, so both ends are character boundaries.
        if plain < at {
            out.push_str(&s[plain..at]);
        }
        out.push_str("%25");
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xF)]));
        plain = at + 1;
    }
    if plain < bytes.len() {
        out.push_str(&s[plain..]);
    }
}

/// RFC 3986's unreserved bytes, which percent-encoding leaves as they are.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// `base64(HMAC-SHA1(secret + "&", string_to_sign))`.
#[cfg(test)]
pub(crate) fn v1_signature(secret: &str, string_to_sign: &str) -> String {
    V1Key::new(secret).signature(string_to_sign)
}

/// The length of a v1 signature: 20 bytes of HMAC-SHA1 in padded base64.
const SIGNATURE_LEN: usize = 28;

/// A credential's v1 HMAC key, prepared once: keying HMAC-SHA1 hashes the padded key twice,
/// which every signed request would otherwise repeat.
#[derive(Clone)]
pub(crate) struct V1Key(Option<Hmac<Sha1>>);

impl V1Key {
    /// The key `secret + "&"`.
    pub(crate) fn new(secret: &str) -> V1Key {
        let mut key = Vec::with_capacity(secret.len() + 1);
        key.extend_from_slice(secret.as_bytes());
        key.push(b'&');
        V1Key(<Hmac<Sha1> as KeyInit>::new_from_slice(&key).ok())
    }

    /// `base64(HMAC-SHA1(secret + "&", string_to_sign))`; empty when the key could not be
    /// made. The bench's signer signs with it.
    pub(crate) fn signature(&self, string_to_sign: &str) -> String {
        let mut text = [0u8; SIGNATURE_LEN];
        match self.sign_into(string_to_sign, &mut text) {
            Some(text) => text.to_owned(),
            None => String::new(),
        }
    }

    /// Whether `signature` is this key's signature of `string_to_sign`. The expected text is
    /// written into a buffer on the stack: every signed request is checked, and an owned
    /// string per check would be an allocation for nothing.
    pub(crate) fn signs(&self, string_to_sign: &str, signature: &str) -> bool {
        let mut text = [0u8; SIGNATURE_LEN];
        self.sign_into(string_to_sign, &mut text)
            .is_some_and(|expected| expected == signature)
    }

    fn sign_into<'b>(
        &self,
        string_to_sign: &str,
        text: &'b mut [u8; SIGNATURE_LEN],
    ) -> Option<&'b str> {
        let mut mac = self.0.clone()?;
        mac.update(string_to_sign.as_bytes());
        let written = base64::engine::general_purpose::STANDARD
            .encode_slice(mac.finalize().into_bytes(), text)
            .ok()?;
        std::str::from_utf8(&text[..written]).ok()
    }
}

/// The parts of a V3 `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct V3Authorization {
    pub access_key_id: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

pub(crate) const V3_ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// Parses `ACS3-HMAC-SHA256 Credential=<AK>,SignedHeaders=<a;b>,Signature=<hex>`; the three
/// parts may come in any order, with optional spaces after the commas.
pub(crate) fn parse_v3_authorization(value: &str) -> Option<V3Authorization> {
    let rest = value.strip_prefix(V3_ALGORITHM)?;
    let rest = rest.strip_prefix(' ')?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (name, value) = part.trim().split_once('=')?;
        match name {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed = Some(value),
            "Signature" => signature = Some(value),
            _ => return None,
        }
    }
    let signed_headers: Vec<String> = signed?
        .split(';')
        .filter(|h| !h.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    Some(V3Authorization {
        access_key_id: credential.filter(|c| !c.is_empty())?.to_owned(),
        signed_headers,
        signature: signature.filter(|s| !s.is_empty())?.to_owned(),
    })
}

/// The V3 canonical request. `query` is the decoded URL query only (never the body);
/// `header` returns the values of one (lower-case) header name, joined by `,`.
pub(crate) fn v3_canonical_request(
    method: &str,
    query: &[Pair<'_>],
    signed_headers: &[String],
    header: impl Fn(&str) -> String,
    body: &[u8],
) -> String {
    let mut sorted: Vec<(&str, &str)> = query
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .collect();
    // By name, then by value, as for v1.
    sorted.sort_by(|a, b| (a.0.as_bytes(), a.1.as_bytes()).cmp(&(b.0.as_bytes(), b.1.as_bytes())));
    let mut out = String::with_capacity(512);
    out.push_str(method);
    out.push_str("\n/\n");
    for (i, (k, v)) in sorted.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.extend(utf8_percent_encode(k, RFC3986));
        out.push('=');
        out.extend(utf8_percent_encode(v, RFC3986));
    }
    out.push('\n');
    let mut names: Vec<&str> = signed_headers.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    for name in &names {
        out.push_str(name);
        out.push(':');
        out.push_str(header(name).trim());
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&names.join(";"));
    out.push('\n');
    out.push_str(&hex::encode(Sha256::digest(body)));
    out
}

/// `ACS3-HMAC-SHA256\n` + hex(SHA-256(canonical request)).
pub(crate) fn v3_string_to_sign(canonical_request: &str) -> String {
    format!(
        "{V3_ALGORITHM}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    )
}

/// hex(HMAC-SHA256(secret, string_to_sign)), lower case.
pub(crate) fn v3_signature(secret: &str, string_to_sign: &str) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(string_to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Parses `yyyy-MM-ddTHH:mm:ssZ` (UTC); fractional seconds (`.123`) are accepted because some
/// SDKs send them.
pub(crate) fn parse_timestamp(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() < 20
        || b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || b.get(10) != Some(&b'T')
    {
        return None;
    }
    if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') || b.last() != Some(&b'Z') {
        return None;
    }
    let tail = s.get(19..s.len() - 1)?;
    if !tail.is_empty() {
        let frac = tail.strip_prefix('.')?;
        if frac.is_empty() || frac.len() > 9 || !frac.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(range)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second;
    if secs >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(secs.unsigned_abs()))
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))
    }
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Whether `ts` lies within 15 minutes of `now`, either way.
pub(crate) fn within_window(ts: SystemTime, now: SystemTime) -> bool {
    let off = match now.duration_since(ts) {
        Ok(ahead) => ahead,
        Err(behind) => behind.duration(),
    };
    off <= WINDOW
}

/// Remembers recent nonces per AccessKeyId, bounded in count and age.
#[derive(Debug, Default)]
pub(crate) struct NonceStore {
    ring: VecDeque<(u64, SystemTime)>,
    set: HashSet<u64, BuildHasherDefault<DigestHasher>>,
}

/// The nonce set's hasher: its keys are already SipHash digests under a random key (see
/// [`NonceStore::key`]), so hashing them again at each look into the set would add
/// nothing but time.
#[derive(Debug, Default)]
struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed (`write_u64`); other input is folded in all the same.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, key: u64) {
        self.0 = key;
    }
}

impl NonceStore {
    /// A 64-bit digest stands for (AccessKeyId, nonce) so that the store's size does not depend
    /// on what clients send; two different nonces collide with odds of about 2^-47 per request
    /// at full capacity. The digest's key is random per process, so that no client can choose
    /// nonces whose digests crowd one corner of the set.
    pub(crate) fn key(access_key_id: &str, nonce: &str) -> u64 {
        static DIGEST_KEY: OnceLock<RandomState> = OnceLock::new();
        let mut h = DIGEST_KEY.get_or_init(RandomState::new).build_hasher();
        access_key_id.hash(&mut h);
        nonce.hash(&mut h);
        h.finish()
    }

    /// Claims `key` for a request at `now`: `false` if it is remembered already (the nonce was
    /// used). A claimed key is then kept ([`NonceStore::keep`]) or, when the request is refused
    /// for another reason, given back ([`NonceStore::release`]): one look into the set per signed
    /// request instead of two, which at capacity are each a cache miss or two.
    pub(crate) fn claim(&mut self, key: u64, now: SystemTime) -> bool {
        self.expire(now);
        self.set.insert(key)
    }

    /// Remembers a claimed key, forgetting the oldest when the store is full.
    pub(crate) fn keep(&mut self, key: u64, now: SystemTime) {
        while self.ring.len() >= NONCE_CAPACITY {
            if let Some((old, _)) = self.ring.pop_front() {
                self.set.remove(&old);
            }
        }
        self.ring.push_back((key, now));
    }

    /// Gives back a claimed key that is not to be kept.
    pub(crate) fn release(&mut self, key: u64) {
        self.set.remove(&key);
    }

    #[cfg(test)]
    pub(crate) fn seen(&mut self, key: u64, now: SystemTime) -> bool {
        self.expire(now);
        self.set.contains(&key)
    }

    #[cfg(test)]
    pub(crate) fn insert(&mut self, key: u64, now: SystemTime) {
        if self.claim(key, now) {
            self.keep(key, now);
        }
    }

    fn expire(&mut self, now: SystemTime) {
        while let Some(&(key, at)) = self.ring.front() {
            if now.duration_since(at).is_ok_and(|age| age > WINDOW) {
                self.ring.pop_front();
                self.set.remove(&key);
            } else {
                break;
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.ring.len()
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    fn pairs<'a>(list: &[(&'a str, &'a str)]) -> Vec<Pair<'a>> {
        list.iter()
            .map(|(k, v)| (Cow::Borrowed(*k), Cow::Borrowed(*v)))
            .collect()
    }

    #[test]
    fn v1_contract_vector() {
        let params = pairs(&[
            ("Version", "2014-05-26"),
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("Format", "XML"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Signature", "ignored"),
        ]);
        let sts = v1_string_to_sign("GET", &params);
        assert_eq!(
            sts,
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1\
             %26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp\
             %3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
        );
        assert_eq!(
            v1_signature("testsecret", &sts),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
        let key = V1Key::new("testsecret");
        assert!(key.signs(&sts, "OLeaidS1JvxuMvnyHOwuJ+uX5qY="));
        for wrong in [
            "",
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY",
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY==",
            "oLeaidS1JvxuMvnyHOwuJ+uX5qY=",
        ] {
            assert!(!key.signs(&sts, wrong), "{wrong}");
        }
    }

    #[test]
    fn v1_signs_empty_parameters_and_encodes_spaces() {
        let sts = v1_string_to_sign(
            "POST",
            &pairs(&[("SignatureType", ""), ("PrivateIpAddress. 1", "a b*")]),
        );
        assert_eq!(
            sts,
            "POST&%2F&PrivateIpAddress.%25201%3Da%2520b%252A%26SignatureType%3D"
        );
    }

    #[test]
    fn rfc3986_set() {
        assert_eq!(rfc3986("a b*c~/"), "a%20b%2Ac~%2F");
    }

    #[test]
    fn one_pass_is_encoding_twice() {
        for s in [
            "",
            "plain-_.~09AZaz",
            "a b*c~/",
            "%41+&=",
            "é€😀x",
            "\u{0}\n\u{7f}",
            "ü",
        ] {
            let mut once = String::new();
            push_encoded_twice(&mut once, s);
            assert_eq!(once, rfc3986(&rfc3986(s)), "{s:?}");
        }
    }

    /// A deliberately naive second implementation of the V3 algorithm, written straight from
    /// the algorithm's description, against which the real one is compared.
    fn v3_by_hand(
        method: &str,
        query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        secret: &str,
    ) -> String {
        let mut hs: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_lowercase(), v.trim().to_string()))
            .collect();
        hs.sort();
        let canonical_headers: String = hs.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let signed: Vec<String> = hs.iter().map(|(k, _)| k.clone()).collect();
        let body_hash: String = Sha256::digest(body)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let cr = format!(
            "{method}\n/\n{query}\n{canonical_headers}\n{}\n{body_hash}",
            signed.join(";")
        );
        let cr_hash: String = Sha256::digest(cr.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let sts = format!("ACS3-HMAC-SHA256\n{cr_hash}");
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(sts.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn v3_matches_an_independent_computation() {
        let headers = [
            ("x-acs-action", "AssignPrivateIpAddresses"),
            ("x-acs-version", "2014-05-26"),
            ("x-acs-date", "2024-01-02T03:04:05Z"),
            ("x-acs-signature-nonce", "n-1"),
            ("Host", " ecs.aliyuncs.com "),
        ];
        let query = pairs(&[
            ("RegionId", "cn-hangzhou"),
            ("NetworkInterfaceId", "eni-1"),
            ("A b", "x*y"),
        ]);
        let body = b"SecondaryPrivateIpAddressCount=2";
        let signed: Vec<String> = [
            "x-acs-version",
            "host",
            "x-acs-action",
            "x-acs-date",
            "x-acs-signature-nonce",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let lookup = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| (*v).to_owned())
                .unwrap_or_default()
        };
        let cr = v3_canonical_request("POST", &query, &signed, lookup, body);
        let ours = v3_signature("testsecret", &v3_string_to_sign(&cr));
        let theirs = v3_by_hand(
            "POST",
            "A%20b=x%2Ay&NetworkInterfaceId=eni-1&RegionId=cn-hangzhou",
            &headers,
            body,
            "testsecret",
        );
        assert_eq!(ours, theirs);
        assert_eq!(ours.len(), 64);
    }

    #[test]
    fn v3_authorization_header() {
        let a = parse_v3_authorization(
            "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;X-Acs-Date,Signature=abc",
        )
        .unwrap();
        assert_eq!(a.access_key_id, "testid");
        assert_eq!(a.signed_headers, ["host", "x-acs-date"]);
        assert_eq!(a.signature, "abc");
        assert!(parse_v3_authorization("ACS3-HMAC-SHA256 Credential=a,Signature=b").is_none());
        assert!(
            parse_v3_authorization("ACS3-HMAC-SHA256 Credential=,SignedHeaders=a,Signature=b")
                .is_none()
        );
        assert!(parse_v3_authorization("Bearer x").is_none());
    }

    #[test]
    fn timestamps() {
        let t = parse_timestamp("2016-02-23T12:46:24Z").unwrap();
        assert_eq!(
            t.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            1_456_231_584
        );
        assert!(parse_timestamp("2016-02-23T12:46:24.123Z").is_some());
        assert!(parse_timestamp("2024-02-29T00:00:00Z").is_some());
        for bad in [
            "",
            "2016-02-23 12:46:24Z",
            "2016-02-23T12:46:24",
            "2016-02-30T12:46:24Z",
            "2023-02-29T00:00:00Z",
            "2016-13-01T00:00:00Z",
            "2016-02-23T24:00:00Z",
            "2016-02-23T12:46:24+08:00",
            "+016-02-23T12:46:24Z",
            "2016-02-23T12:46:24.Z",
            "１０16-02-23T12:46:24Z",
        ] {
            assert!(parse_timestamp(bad).is_none(), "{bad:?}");
        }
        let now = t + Duration::from_secs(900);
        assert!(within_window(t, now));
        assert!(!within_window(t, now + Duration::from_secs(1)));
        assert!(within_window(now, t));
    }

    #[test]
    fn nonce_store_is_bounded_and_expires() {
        let mut store = NonceStore::default();
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
        for i in 0..(NONCE_CAPACITY as u64 + 10) {
            store.insert(i, t0);
        }
        assert_eq!(store.len(), NONCE_CAPACITY);
        assert!(!store.seen(0, t0));
        assert!(store.seen(NONCE_CAPACITY as u64, t0));
        assert!(!store.seen(NONCE_CAPACITY as u64, t0 + WINDOW + Duration::from_secs(1)));
        assert_eq!(store.len(), 0);
    }

    /// The timestamp grammar at each of its edges: every separator checked on its own, the
    /// first and last value of every field, the fraction's 1 to 9 digits, and the calendar's
    /// month lengths and leap years (the century rule both ways).
    #[test]
    fn timestamp_edges() {
        for good in [
            "2016-01-01T00:00:00Z",
            "2016-12-31T23:59:59Z",
            "2016-04-30T12:00:00Z",
            "2016-02-23T12:46:24.1Z",
            "2016-02-23T12:46:24.123456789Z",
            "2000-02-29T00:00:00Z",
            "2100-02-28T00:00:00Z",
        ] {
            assert!(parse_timestamp(good).is_some(), "{good:?}");
        }
        for bad in [
            "2016x02-23T12:46:24Z",
            "2016-02x23T12:46:24Z",
            "2016-02-23x12:46:24Z",
            "2016-02-23T12x46:24Z",
            "2016-02-23T12:46x24Z",
            "2016-02-23T12:46:24x",
            "2016-02-23T12:46:24.1234567890Z",
            "2016-02-23T12:46:24.12345678901Z",
            "2016-02-23T12:46:24.12a4Z",
            "2016-02-23T12:46:24x123Z",
            "2016-00-23T12:46:24Z",
            "2016-02-00T12:46:24Z",
            "2016-04-31T12:46:24Z",
            "2016-01-32T12:46:24Z",
            "2100-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2016-02-23T12:60:24Z",
            "2016-02-23T12:46:60Z",
            "2016-02-23T-1:46:24Z",
        ] {
            assert!(parse_timestamp(bad).is_none(), "{bad:?}");
        }
    }

    /// Seconds since the epoch of timestamps before and after it, in every part of the
    /// calendar arithmetic (January and February count in the year before), checked against
    /// values computed elsewhere.
    #[test]
    fn timestamps_count_from_the_epoch() {
        let seconds = |text: &str| -> i64 {
            let t = parse_timestamp(text).unwrap_or_else(|| panic!("{text:?} refused"));
            match t.duration_since(UNIX_EPOCH) {
                Ok(after) => i64::try_from(after.as_secs()).unwrap(),
                Err(before) => -i64::try_from(before.duration().as_secs()).unwrap(),
            }
        };
        for (text, expected) in [
            ("1970-01-01T00:00:00Z", 0),
            ("1970-01-01T00:00:01Z", 1),
            ("1969-12-31T23:59:59Z", -1),
            ("2000-03-01T00:00:00Z", 951_868_800),
            ("2024-12-31T23:59:59Z", 1_735_689_599),
            ("1900-03-01T01:02:03Z", -2_203_887_477),
            ("2100-02-28T13:14:15Z", 4_107_503_655),
            ("1600-01-01T00:00:00Z", -11_676_096_000),
            ("0001-01-01T00:00:00Z", -62_135_596_800),
            ("9999-12-31T23:59:59Z", 253_402_300_799),
        ] {
            assert_eq!(seconds(text), expected, "{text}");
        }
    }

    /// Day numbers, day after day from 1600 to 2400 (four centuries each way of the 400-year
    /// cycle), against a count kept with a leap-year rule of its own.
    #[test]
    fn day_numbers_follow_the_calendar() {
        let leap = |y: i64| y % 400 == 0 || (y % 4 == 0 && y % 100 != 0);
        let mut expected = -135_140; // 1600-01-01
        for year in 1600..=2400 {
            for month in 1..=12 {
                let length = match month {
                    2 if leap(year) => 29,
                    2 => 28,
                    4 | 6 | 9 | 11 => 30,
                    _ => 31,
                };
                assert_eq!(days_in_month(year, month), length, "{year}-{month}");
                for day in 1..=length {
                    assert_eq!(
                        days_from_civil(year, month, day),
                        expected,
                        "{year}-{month}-{day}"
                    );
                    expected += 1;
                }
            }
        }
    }

    /// A nonce exactly 15 minutes old is still remembered; a moment later it is not.
    #[test]
    fn a_nonce_is_remembered_for_the_whole_window() {
        let mut store = NonceStore::default();
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
        store.insert(7, t0);
        assert!(store.seen(7, t0 + WINDOW));
        assert!(!store.seen(7, t0 + WINDOW + Duration::from_nanos(1)));
    }

    /// A parameter with an empty name and value (`=` alone in a query) is signed like any other,
    /// without a panic.
    #[test]
    fn v1_signs_an_empty_name_and_value() {
        let sts = v1_string_to_sign("GET", &pairs(&[("", ""), ("A", "b")]));
        assert_eq!(sts, "GET&%2F&%3D%26A%3Db");
    }

    /// The string to sign is reserved once at about its final size (every signed request
    /// builds one): a long name and value neither make it grow nor reserve a multiple of it.
    #[test]
    fn v1_string_to_sign_is_reserved_at_its_size() {
        let (name, value) = ("K".repeat(1000), "v".repeat(1000));
        let sts = v1_string_to_sign("GET", &pairs(&[(&name, &value), ("Action", "Describe")]));
        assert_eq!(sts.len(), 2031);
        assert!(sts.capacity() <= 2 * sts.len(), "{}", sts.capacity());
    }
}
