//! The client-side signer: signature v1 (HMAC-SHA1) and V3 (`ACS3-HMAC-SHA256`), written from
//! the contract alone. The emulator verifies with its own code on purpose: two independent
//! halves pinned by the same test vector catch each other's mistakes.

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// `SignatureMethod` of signature v1.
pub(crate) const V1_SIGNATURE_METHOD: &str = "HMAC-SHA1";
/// `SignatureVersion` of signature v1.
pub(crate) const V1_SIGNATURE_VERSION: &str = "1.0";
/// The algorithm name of V3, first word of its `Authorization` header and string to sign.
pub(crate) const V3_ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// RFC 3986: everything but the unreserved `A-Z a-z 0-9 - _ . ~` is escaped, so a space is
/// `%20` (never `+`) and `*` is `%2A`, as the ECS verifier computes it.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes per RFC 3986 with upper-case hex (`"a b*c~/"` → `a%20b%2Ac~%2F`).
#[cfg(test)]
pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_percent_encoded(&mut out, s);
    out
}

/// Appends `percent_encode(s)` to `out`: every request is signed and encoded, so its query is
/// written into one buffer rather than assembled from a string per name and value.
pub(crate) fn push_percent_encoded(out: &mut String, s: &str) {
    for piece in utf8_percent_encode(s, RFC3986) {
        out.push_str(piece);
    }
}

/// Appends `enc(k)=enc(v)` for each pair, joined with `&`.
pub(crate) fn push_encoded_pairs<'a>(
    out: &mut String,
    pairs: impl IntoIterator<Item = &'a (String, String)>,
) {
    for (i, (k, v)) in pairs.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        push_percent_encoded(out, k);
        out.push('=');
        push_percent_encoded(out, v);
    }
}

/// Parameters sorted as both signatures sort them: by name in byte order, then by value so
/// that repeated names (which a case may send on purpose) still give one canonical order,
/// whatever order they arrived in.
fn sorted<'a>(params: impl IntoIterator<Item = &'a (String, String)>) -> Vec<&'a (String, String)> {
    let mut v: Vec<_> = params.into_iter().collect();
    v.sort_by(|a, b| {
        a.0.as_bytes()
            .cmp(b.0.as_bytes())
            .then_with(|| a.1.as_bytes().cmp(b.1.as_bytes()))
    });
    v
}

/// `enc(k)=enc(v)` pairs, sorted, joined with `&`.
pub(crate) fn canonical_query<'a>(
    params: impl IntoIterator<Item = &'a (String, String)>,
) -> String {
    let sorted = sorted(params);
    let length: usize = sorted.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    let mut out = String::with_capacity(length + length / 4);
    push_encoded_pairs(&mut out, sorted);
    out
}

/// v1 `StringToSign = METHOD & %2F & enc(canonical query)`; a `Signature` parameter, if any,
/// is not signed.
pub(crate) fn string_to_sign_v1(method: &str, params: &[(String, String)]) -> String {
    let query = canonical_query(params.iter().filter(|(k, _)| k != "Signature"));
    let mut out = String::with_capacity(method.len() + 5 + query.len() + query.len() / 2);
    out.push_str(&method.to_ascii_uppercase());
    out.push('&');
    push_percent_encoded(&mut out, "/");
    out.push('&');
    push_percent_encoded(&mut out, &query);
    out
}

/// The raw v1 MAC: HMAC-SHA1 keyed with `secret + "&"`.
fn mac_v1(secret: &str, method: &str, params: &[(String, String)]) -> Vec<u8> {
    let key = format!("{secret}&");
    // HMAC takes keys of any length: this cannot fail.
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(key.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(string_to_sign_v1(method, params).as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// v1 `Signature = base64(HMAC-SHA1(secret + "&", StringToSign))`.
pub(crate) fn sign_v1(secret: &str, method: &str, params: &[(String, String)]) -> String {
    base64::engine::general_purpose::STANDARD.encode(mac_v1(secret, method, params))
}

/// A v1 signature that is well-formed (base64 of 20 bytes) but certainly wrong: the right MAC
/// with its first byte inverted. Lets a case check that a bad signature is refused.
pub(crate) fn corrupt_sign_v1(secret: &str, method: &str, params: &[(String, String)]) -> String {
    let mut mac = mac_v1(secret, method, params);
    mac[0] ^= 0xff;
    base64::engine::general_purpose::STANDARD.encode(mac)
}

/// Lower-case hex SHA-256.
pub(crate) fn hex_sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// A V3 canonical request and its `SignedHeaders` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CanonicalRequestV3 {
    /// `METHOD\n/\nquery\nheaders\nsigned-headers\nhex(sha256(body))`.
    pub canonical_request: String,
    /// `a;b;c`: the lower-case names of the signed headers, sorted.
    pub signed_headers: String,
}

/// Builds the V3 canonical request. Every header in `headers` is signed (the caller passes
/// exactly the ones to sign): names lower-cased, values trimmed, sorted by name.
pub(crate) fn canonical_request_v3(
    method: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    body: &[u8],
) -> CanonicalRequestV3 {
    let mut hs: Vec<(String, &str)> = headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim()))
        .collect();
    hs.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    let canonical_headers: String = hs.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed_headers = hs
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical_request = format!(
        "{}\n/\n{}\n{}\n{}\n{}",
        method.to_ascii_uppercase(),
        canonical_query(query),
        canonical_headers,
        signed_headers,
        hex_sha256(body)
    );
    CanonicalRequestV3 {
        canonical_request,
        signed_headers,
    }
}

/// V3 `StringToSign = "ACS3-HMAC-SHA256\n" + hex(sha256(canonical request))`.
pub(crate) fn string_to_sign_v3(canonical_request: &str) -> String {
    format!(
        "{V3_ALGORITHM}\n{}",
        hex_sha256(canonical_request.as_bytes())
    )
}

fn mac_v3(secret: &str, string_to_sign: &str) -> Vec<u8> {
    // HMAC takes keys of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(string_to_sign.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// V3 `Signature = hex(HMAC-SHA256(secret, StringToSign))`.
pub(crate) fn sign_v3(secret: &str, string_to_sign: &str) -> String {
    hex::encode(mac_v3(secret, string_to_sign))
}

/// A V3 signature that is well-formed (64 hex digits) but certainly wrong.
pub(crate) fn corrupt_sign_v3(secret: &str, string_to_sign: &str) -> String {
    let mut mac = mac_v3(secret, string_to_sign);
    mac[0] ^= 0xff;
    hex::encode(mac)
}

/// `ACS3-HMAC-SHA256 Credential=<AK>,SignedHeaders=<list>,Signature=<hex>`.
pub(crate) fn authorization_v3(
    access_key_id: &str,
    signed_headers: &str,
    signature: &str,
) -> String {
    format!(
        "{V3_ALGORITHM} Credential={access_key_id},SignedHeaders={signed_headers},Signature={signature}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn contract_vector_params() -> Vec<(String, String)> {
        // Deliberately not in sorted order: the signer must sort.
        p(&[
            ("Version", "2014-05-26"),
            ("Action", "DescribeRegions"),
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Format", "XML"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("AccessKeyId", "testid"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
        ])
    }

    #[test]
    fn encoding_is_rfc3986() {
        assert_eq!(percent_encode("a b*c~/"), "a%20b%2Ac~%2F");
        assert_eq!(percent_encode("-_.~AZaz09"), "-_.~AZaz09");
        assert_eq!(percent_encode("+=&:é"), "%2B%3D%26%3A%C3%A9");
    }

    #[test]
    fn v1_contract_vector() {
        let params = contract_vector_params();
        assert_eq!(
            string_to_sign_v1("GET", &params),
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML\
             %26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf\
             %26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z\
             %26Version%3D2014-05-26"
        );
        assert_eq!(
            sign_v1("testsecret", "GET", &params),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
    }

    #[test]
    fn v1_ignores_a_signature_param_and_input_order() {
        let mut params = contract_vector_params();
        params.reverse();
        params.push(("Signature".into(), "whatever".into()));
        assert_eq!(
            sign_v1("testsecret", "get", &params),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
    }

    #[test]
    fn v1_corrupt_signature_is_wellformed_but_different() {
        let params = contract_vector_params();
        let bad = corrupt_sign_v1("testsecret", "GET", &params);
        assert_ne!(bad, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&bad)
            .unwrap();
        assert_eq!(bytes.len(), 20);
    }

    #[test]
    fn v1_keys_with_spaces_and_repeats_are_encoded_and_sorted() {
        let params = p(&[
            ("PrivateIpAddress.1", "10.0.0.9"),
            ("PrivateIpAddress. 1", "10.0.0.5"),
            ("PrivateIpAddress.1", "10.0.0.7"),
        ]);
        assert_eq!(
            canonical_query(&params),
            "PrivateIpAddress.%201=10.0.0.5&PrivateIpAddress.1=10.0.0.7&PrivateIpAddress.1=10.0.0.9"
        );
    }

    /// A V3 vector derived step by step; the two digests were computed from the literal
    /// canonical request with a second, unrelated SHA-256/HMAC implementation.
    #[test]
    fn v3_vector_step_by_step() {
        let query = p(&[("RegionId", "cn-hangzhou"), ("Format", "JSON")]);
        let headers = p(&[
            ("x-acs-version", "2014-05-26"),
            ("host", "ecs.cn-hangzhou.aliyuncs.com"),
            ("x-acs-action", "DescribeRegions"),
            ("x-acs-date", "2024-01-02T03:04:05Z"),
            ("x-acs-signature-nonce", "nonce-1"),
            (
                "X-Acs-Content-Sha256",
                " e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 ",
            ),
        ]);
        let cr = canonical_request_v3("GET", &query, &headers, b"");
        let expected_cr = "GET\n\
            /\n\
            Format=JSON&RegionId=cn-hangzhou\n\
            host:ecs.cn-hangzhou.aliyuncs.com\n\
            x-acs-action:DescribeRegions\n\
            x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
            x-acs-date:2024-01-02T03:04:05Z\n\
            x-acs-signature-nonce:nonce-1\n\
            x-acs-version:2014-05-26\n\
            \n\
            host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n\
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(cr.canonical_request, expected_cr);
        assert_eq!(
            cr.signed_headers,
            "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"
        );
        let sts = string_to_sign_v3(&cr.canonical_request);
        assert_eq!(sts, format!("ACS3-HMAC-SHA256\n{}", V3_CR_SHA256));
        assert_eq!(sign_v3("testsecret", &sts), V3_SIGNATURE);
        assert_eq!(
            authorization_v3("testid", &cr.signed_headers, V3_SIGNATURE),
            format!(
                "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders={},Signature={V3_SIGNATURE}",
                cr.signed_headers
            )
        );
        let bad = corrupt_sign_v3("testsecret", &sts);
        assert_ne!(bad, V3_SIGNATURE);
        assert_eq!(bad.len(), 64);
    }

    const V3_CR_SHA256: &str = "0e9eb127bd44634d2af02574ed290294e26d6e5915ca76f400c4edaa95c7bd50";
    const V3_SIGNATURE: &str = "0e68a2a504f5a61bb5061a55bb772b314e2b653ef711a57ce584c3ba67159c59";

    #[test]
    fn v3_body_hash_and_query_encoding() {
        let query = p(&[("a b", "x*y")]);
        let cr = canonical_request_v3("post", &query, &[], b"Action=X");
        assert!(
            cr.canonical_request
                .starts_with("POST\n/\na%20b=x%2Ay\n\n\n")
        );
        assert!(cr.canonical_request.ends_with(&hex_sha256(b"Action=X")));
        assert_eq!(
            hex_sha256(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
