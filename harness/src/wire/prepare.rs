//! Turns a [`WireRequest`] into the exact bytes to send: common parameters, signature (v1 or
//! V3), query, headers and form body. Pure and deterministic given a [`PrepareContext`], so the
//! same request prepares the same way in tests, in reports and on the wire.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use super::credentials::Credentials;
use super::sign;
use super::{Format, Method, Signing, WireRequest};

/// The API version every common parameter set carries.
pub(crate) const API_VERSION: &str = "2014-05-26";

/// Content type of a POST form body.
pub(crate) const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// What varies from one send to the next, passed in so that [`prepare`] stays pure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrepareContext {
    /// Value of the V3 `host` header: the endpoint's `host[:port]`, exactly as the HTTP client
    /// will send it (the port only when it is not the scheme's default).
    pub host: String,
    /// Sent as `RegionId` unless the request sets `RegionId` itself or omits it.
    pub region: Option<String>,
    /// The request's `Timestamp` (v1) or `x-acs-date` (V3).
    pub now: SystemTime,
    /// `SignatureNonce` (v1) or `x-acs-signature-nonce` (V3); must be unique per request.
    pub nonce: String,
}

/// A request ready to send. `Debug` hides the signature and the security token.
#[derive(Clone, PartialEq, Eq)]
pub struct PreparedRequest {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// `/?…` (or `/` when there is no query at all), percent-encoded.
    pub path_and_query: String,
    /// Headers to send, in order. The V3 `host` header is listed because it is signed; an HTTP
    /// client sends its own `Host` with the same value.
    pub headers: Vec<(String, String)>,
    /// The form body of a POST (empty for GET).
    pub body: Vec<u8>,
    /// Every parameter as sent, decoded, without `Signature` and `SecurityToken`: the case's
    /// parameters, then common ones, then the pairs of `raw_query`. With V3, `Action`,
    /// `Version`, `Timestamp` and `SignatureNonce` travel in `x-acs-*` headers but are listed
    /// here under their parameter names, so checks read one model for both signatures.
    pub sent_params: Vec<(String, String)>,
}

impl fmt::Debug for PreparedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                let secret = k.eq_ignore_ascii_case("authorization")
                    || k.eq_ignore_ascii_case("x-acs-security-token");
                (k.as_str(), if secret { "<redacted>" } else { v.as_str() })
            })
            .collect();
        f.debug_struct("PreparedRequest")
            .field("method", &self.method)
            .field("path_and_query", &redact_pairs(&self.path_and_query))
            .field("headers", &headers)
            .field("body", &redact_pairs(&String::from_utf8_lossy(&self.body)))
            .field("sent_params", &self.sent_params)
            .finish()
    }
}

/// Replaces the values of `Signature` and `SecurityToken` in `a=b&c=d` text (optionally after
/// a `/?` prefix).
fn redact_pairs(text: &str) -> String {
    let (prefix, query) = match text.split_once('?') {
        Some((p, q)) => (format!("{p}?"), q),
        None if text.starts_with('/') => return text.to_string(),
        None => (String::new(), text),
    };
    let pieces: Vec<String> = query
        .split('&')
        .map(|piece| {
            let key = piece_key(piece);
            if key == "Signature" || key == "SecurityToken" {
                format!("{}=<redacted>", piece.split('=').next().unwrap_or(""))
            } else {
                piece.to_string()
            }
        })
        .collect();
    format!("{prefix}{}", pieces.join("&"))
}

/// The decoded name of one `name=value` piece, decoded as an RPC endpoint decodes it.
fn piece_key(piece: &str) -> String {
    form_urlencoded::parse(piece.as_bytes())
        .next()
        .map(|(k, _)| k.into_owned())
        .unwrap_or_default()
}

/// Builds the request: common parameters (each replaced by a case parameter of the same name,
/// dropped if named in `omit`), the signature over everything sent, and the wire layout of
/// `req.method`. Without credentials a v1/V3 request goes out with everything but
/// `AccessKeyId`, the signature and the token (for endpoints that relax signing).
///
/// V3: the first `Action`, `Version`, `Timestamp` and `SignatureNonce` (case value or default)
/// travel as `x-acs-action`, `x-acs-version`, `x-acs-date` and `x-acs-signature-nonce`; `omit`
/// takes the parameter name or the header name; omitting `Signature` or `AccessKeyId` drops
/// `Authorization`. `Format` and `RegionId` stay query parameters.
pub fn prepare(
    req: &WireRequest,
    creds: Option<&Credentials>,
    ctx: &PrepareContext,
) -> PreparedRequest {
    match req.signing {
        Signing::V1 | Signing::None => prepare_v1(req, creds, ctx),
        Signing::V3 => prepare_v3(req, creds, ctx),
    }
}

type Pairs = Vec<(String, String)>;

fn pair(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Json => "JSON",
        Format::Xml => "XML",
    }
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Get => "GET",
        Method::Post => "POST",
    }
}

/// `yyyy-MM-ddTHH:mm:ssZ` in UTC. Out-of-range clocks clamp to the epoch rather than panic.
pub(crate) fn format_timestamp(now: SystemTime) -> String {
    let secs = match now.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(0),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(0, |s| -s),
    };
    time::OffsetDateTime::from_unix_timestamp(secs)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .format(TIMESTAMP)
        .expect("an OffsetDateTime has every component the timestamp names")
}

/// The `Timestamp` parameter's shape (ISO 8601 in UTC, to the second).
const TIMESTAMP: &[time::format_description::BorrowedFormatItem<'_>] =
    time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

fn encode_pairs(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    sign::push_encoded_pairs(&mut out, pairs);
    out
}

/// `/?query[&raw]`; the raw text goes after everything else, byte for byte.
fn path_and_query(pairs: &[(String, String)], raw: Option<&str>) -> String {
    let mut q = String::with_capacity(256);
    q.push_str("/?");
    sign::push_encoded_pairs(&mut q, pairs);
    if let Some(raw) = raw {
        if q.len() > 2 {
            q.push('&');
        }
        q.push_str(raw);
    }
    if q.len() == 2 {
        q.truncate(1);
    }
    q
}

/// The pairs of `raw_query` as the endpoint will decode them (leniently, like a form).
fn raw_pairs(raw: Option<&str>) -> Pairs {
    raw.map(|r| {
        form_urlencoded::parse(r.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    })
    .unwrap_or_default()
}

fn without_secrets(pairs: impl IntoIterator<Item = (String, String)>) -> Pairs {
    pairs
        .into_iter()
        .filter(|(k, _)| k != "Signature" && k != "SecurityToken")
        .collect()
}

struct Common<'a> {
    req: &'a WireRequest,
    list: Pairs,
}

impl<'a> Common<'a> {
    fn new(req: &'a WireRequest) -> Self {
        Self {
            req,
            list: Vec::new(),
        }
    }

    fn omitted(&self, name: &str) -> bool {
        self.req.omit.iter().any(|o| o == name)
    }

    fn in_params(&self, name: &str) -> bool {
        self.req.params.iter().any(|(k, _)| k == name)
    }

    /// Adds a common parameter unless the case omits it or sets it itself (then the case's
    /// value, in the case's position, is what goes out).
    fn add(&mut self, name: &str, value: &str) {
        if !self.omitted(name) && !self.in_params(name) {
            self.list.push(pair(name, value));
        }
    }
}

fn prepare_v1(
    req: &WireRequest,
    creds: Option<&Credentials>,
    ctx: &PrepareContext,
) -> PreparedRequest {
    let method = method_name(req.method);
    let signed = req.signing == Signing::V1;
    let mut common = Common::new(req);
    common.add("Format", format_name(req.format));
    common.add("Version", API_VERSION);
    if signed {
        if let Some(c) = creds {
            common.add("AccessKeyId", &c.access_key_id);
        }
        common.add("SignatureMethod", sign::V1_SIGNATURE_METHOD);
        common.add("SignatureVersion", sign::V1_SIGNATURE_VERSION);
        common.add("SignatureNonce", &ctx.nonce);
        common.add("Timestamp", &format_timestamp(ctx.now));
        if let Some(token) = creds.and_then(|c| c.security_token.as_ref()) {
            common.add("SecurityToken", token.expose());
        }
    }
    if let Some(region) = &ctx.region {
        common.add("RegionId", region);
    }
    let mut common = common.list;

    let raw = raw_pairs(req.raw_query.as_deref());
    if signed
        && let Some(c) = creds
        && !req.omit.iter().any(|o| o == "Signature")
        && !req.params.iter().any(|(k, _)| k == "Signature")
    {
        let all: Pairs = req
            .params
            .iter()
            .chain(&common)
            .chain(&raw)
            .cloned()
            .collect();
        let signature = if req.corrupt_signature {
            sign::corrupt_sign_v1(c.secret.expose(), method, &all)
        } else {
            sign::sign_v1(c.secret.expose(), method, &all)
        };
        common.push(pair("Signature", &signature));
    }

    let (query, body, headers): (Pairs, Pairs, Pairs) = match req.method {
        Method::Get => {
            let q = req.params.iter().chain(&common).cloned().collect();
            (q, Vec::new(), Vec::new())
        }
        Method::Post => (
            common.clone(),
            req.params.clone(),
            vec![pair("content-type", FORM_CONTENT_TYPE)],
        ),
    };
    let sent_params = without_secrets(
        req.params
            .iter()
            .chain(&common)
            .chain(&raw)
            .cloned()
            .collect::<Pairs>(),
    );
    PreparedRequest {
        method,
        path_and_query: path_and_query(&query, req.raw_query.as_deref()),
        headers,
        body: encode_pairs(&body).into_bytes(),
        sent_params,
    }
}

/// Parameters that V3 carries in headers instead of the query.
const V3_HEADER_PARAMS: [(&str, &str); 4] = [
    ("Action", "x-acs-action"),
    ("Version", "x-acs-version"),
    ("Timestamp", "x-acs-date"),
    ("SignatureNonce", "x-acs-signature-nonce"),
];

fn prepare_v3(
    req: &WireRequest,
    creds: Option<&Credentials>,
    ctx: &PrepareContext,
) -> PreparedRequest {
    let method = method_name(req.method);
    let omitted = |names: &[&str]| req.omit.iter().any(|o| names.iter().any(|n| o == n));

    // The first occurrence of a header-borne parameter moves to its header; later repeats
    // stay parameters, so a case can still send them twice.
    let mut case_params: Pairs = req.params.clone();
    let timestamp = format_timestamp(ctx.now);
    let mut header_params: Pairs = Vec::new();
    let mut headers: Pairs = Vec::new();
    for (param, header) in V3_HEADER_PARAMS {
        let from_case = case_params
            .iter()
            .position(|(k, _)| k == param)
            .map(|i| case_params.remove(i).1);
        let value = match (from_case, param) {
            (Some(v), _) => Some(v),
            (None, "Version") => Some(API_VERSION.to_string()),
            (None, "Timestamp") => Some(timestamp.clone()),
            (None, "SignatureNonce") => Some(ctx.nonce.clone()),
            (None, _) => None,
        };
        if let Some(v) = value
            && !omitted(&[param, header])
        {
            headers.push(pair(header, &v));
            header_params.push(pair(param, &v));
        }
    }

    let mut common = Common::new(req);
    common.add("Format", format_name(req.format));
    if let Some(region) = &ctx.region {
        common.add("RegionId", region);
    }
    let common = common.list;

    let (query, body): (Pairs, Pairs) = match req.method {
        Method::Get => (
            case_params.iter().chain(&common).cloned().collect(),
            Vec::new(),
        ),
        Method::Post => (common.clone(), case_params.clone()),
    };
    let body_bytes = encode_pairs(&body).into_bytes();

    if !omitted(&["host"]) {
        headers.insert(0, pair("host", &ctx.host));
    }
    if req.method == Method::Post && !omitted(&["content-type", "Content-Type"]) {
        headers.push(pair("content-type", FORM_CONTENT_TYPE));
    }
    if !omitted(&["x-acs-content-sha256"]) {
        headers.push(pair("x-acs-content-sha256", &sign::hex_sha256(&body_bytes)));
    }
    if let Some(token) = creds.and_then(|c| c.security_token.as_ref())
        && !omitted(&["SecurityToken", "x-acs-security-token"])
    {
        headers.push(pair("x-acs-security-token", token.expose()));
    }

    let raw = raw_pairs(req.raw_query.as_deref());
    if let Some(c) = creds
        && !omitted(&["Signature", "Authorization", "authorization", "AccessKeyId"])
    {
        let signed_query: Pairs = query.iter().chain(&raw).cloned().collect();
        let cr = sign::canonical_request_v3(method, &signed_query, &headers, &body_bytes);
        let sts = sign::string_to_sign_v3(&cr.canonical_request);
        let signature = if req.corrupt_signature {
            sign::corrupt_sign_v3(c.secret.expose(), &sts)
        } else {
            sign::sign_v3(c.secret.expose(), &sts)
        };
        headers.push(pair(
            "authorization",
            &sign::authorization_v3(&c.access_key_id, &cr.signed_headers, &signature),
        ));
    }

    // Action first, as the runner orders a case's parameters; the other header-borne ones
    // after the common parameters.
    let (action, other_headers): (Pairs, Pairs) =
        header_params.into_iter().partition(|(k, _)| k == "Action");
    let sent_params = without_secrets(
        action
            .into_iter()
            .chain(case_params)
            .chain(common)
            .chain(other_headers)
            .chain(raw),
    );
    PreparedRequest {
        method,
        path_and_query: path_and_query(&query, req.raw_query.as_deref()),
        headers,
        body: body_bytes,
        sent_params,
    }
}

/// Parameters a reproduction leaves out: they identify, sign or date one particular send.
fn dropped_in_repro(key: &str) -> bool {
    key.starts_with("Signature") || matches!(key, "AccessKeyId" | "SecurityToken" | "Timestamp")
}

/// Headers a reproduction leaves out, for the same reason (`host` comes from the URL).
fn header_dropped_in_repro(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "host"
            | "authorization"
            | "x-acs-date"
            | "x-acs-signature-nonce"
            | "x-acs-security-token"
            | "x-acs-content-sha256"
    )
}

/// Keeps the `a=b` pieces of `text` whose decoded name is not dropped, byte for byte.
fn filter_pieces(text: &str) -> String {
    text.split('&')
        .filter(|piece| !dropped_in_repro(&piece_key(piece)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Quotes for POSIX shells: single quotes, with `'` written as `'\''`.
pub(crate) fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Longest curl line kept, in bytes: a request can quote values an endpoint answered earlier
/// (a captured id), and a failure keeps its curl line.
pub(crate) const CURL_LIMIT: usize = 64 * 1024;

/// A copy-pasteable, unsigned `curl` command reproducing `prepared` against `base_url` (an
/// emulator with relaxed signing): credentials, signature, nonce and timestamp are left out, and
/// so is any user name or password in `base_url`; everything else — odd keys, repeats, raw
/// query text — is kept as sent, up to [`CURL_LIMIT`].
pub(crate) fn curl_line(prepared: &PreparedRequest, base_url: &str) -> String {
    let base = crate::escape::url_without_userinfo(base_url);
    let base = base.trim_end_matches('/');
    let path = match prepared.path_and_query.split_once('?') {
        Some((path, query)) => {
            let kept = filter_pieces(query);
            if kept.is_empty() {
                path.to_string()
            } else {
                format!("{path}?{kept}")
            }
        }
        None => prepared.path_and_query.clone(),
    };
    let mut parts = vec!["curl -sS -i".to_string()];
    if prepared.method != "GET" {
        parts.push(format!("-X {}", prepared.method));
    }
    for (name, value) in &prepared.headers {
        if !header_dropped_in_repro(name) {
            parts.push(format!("-H {}", shell_quote(&format!("{name}: {value}"))));
        }
    }
    if prepared.method == "POST" {
        let body = filter_pieces(&String::from_utf8_lossy(&prepared.body));
        parts.push(format!("--data-binary {}", shell_quote(&body)));
    }
    parts.push(shell_quote(&format!("{base}{path}")));
    crate::escape::cut(&parts.join(" "), CURL_LIMIT).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn p(pairs: &[(&str, &str)]) -> Pairs {
        pairs.iter().map(|(k, v)| pair(k, v)).collect()
    }

    fn ctx() -> PrepareContext {
        PrepareContext {
            host: "127.0.0.1:8080".into(),
            region: Some("cn-hangzhou".into()),
            // 2016-02-23T12:46:24Z
            now: UNIX_EPOCH + Duration::from_secs(1_456_231_584),
            nonce: "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf".into(),
        }
    }

    fn creds() -> Credentials {
        Credentials::new("testid", "testsecret")
    }

    fn assign(method: Method) -> WireRequest {
        WireRequest {
            method,
            params: p(&[
                ("Action", "AssignPrivateIpAddresses"),
                ("NetworkInterfaceId", "eni-1"),
                ("PrivateIpAddress.1", "10.0.0.5"),
            ]),
            ..WireRequest::default()
        }
    }

    /// Decodes the query (and form body) the way an endpoint does.
    fn received(prepared: &PreparedRequest) -> Pairs {
        let query = prepared
            .path_and_query
            .split_once('?')
            .map(|(_, q)| q)
            .unwrap_or("");
        form_urlencoded::parse(query.as_bytes())
            .chain(form_urlencoded::parse(&prepared.body))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    fn get<'a>(pairs: &'a Pairs, k: &str) -> Option<&'a str> {
        pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }

    #[test]
    fn timestamp_format() {
        assert_eq!(format_timestamp(ctx().now), "2016-02-23T12:46:24Z");
        assert_eq!(format_timestamp(UNIX_EPOCH), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn v1_reproduces_the_contract_vector() {
        let req = WireRequest {
            params: p(&[("Action", "DescribeRegions")]),
            format: Format::Xml,
            ..WireRequest::default()
        };
        let ctx = PrepareContext {
            region: None,
            ..ctx()
        };
        let prepared = prepare(&req, Some(&creds()), &ctx);
        let got = received(&prepared);
        assert_eq!(get(&got, "Signature"), Some("OLeaidS1JvxuMvnyHOwuJ+uX5qY="));
        assert_eq!(prepared.method, "GET");
        assert!(prepared.body.is_empty());
        assert!(prepared.headers.is_empty());
    }

    #[test]
    fn v1_get_has_all_common_params_and_verifies() {
        let prepared = prepare(&assign(Method::Get), Some(&creds()), &ctx());
        let got = received(&prepared);
        for name in [
            "Action",
            "Format",
            "Version",
            "AccessKeyId",
            "SignatureMethod",
            "SignatureVersion",
            "SignatureNonce",
            "Timestamp",
            "RegionId",
            "Signature",
        ] {
            assert!(get(&got, name).is_some(), "{name} missing");
        }
        assert_eq!(get(&got, "Format"), Some("JSON"));
        assert_eq!(get(&got, "RegionId"), Some("cn-hangzhou"));
        assert_eq!(got[0], pair("Action", "AssignPrivateIpAddresses"));
        let sig = get(&got, "Signature").unwrap().to_string();
        assert_eq!(sign::sign_v1("testsecret", "GET", &got), sig);
        assert!(prepared.sent_params.iter().all(|(k, _)| k != "Signature"));
        assert_eq!(prepared.sent_params.len(), got.len() - 1);
    }

    #[test]
    fn v1_post_splits_query_and_body_and_signs_the_union() {
        let prepared = prepare(&assign(Method::Post), Some(&creds()), &ctx());
        assert_eq!(prepared.method, "POST");
        assert_eq!(
            prepared.headers,
            vec![pair("content-type", FORM_CONTENT_TYPE)]
        );
        let body = String::from_utf8(prepared.body.clone()).unwrap();
        assert_eq!(
            body,
            "Action=AssignPrivateIpAddresses&NetworkInterfaceId=eni-1&PrivateIpAddress.1=10.0.0.5"
        );
        assert!(!prepared.path_and_query.contains("NetworkInterfaceId"));
        assert!(prepared.path_and_query.contains("Signature="));
        let got = received(&prepared);
        let sig = get(&got, "Signature").unwrap().to_string();
        assert_eq!(sign::sign_v1("testsecret", "POST", &got), sig);
    }

    #[test]
    fn case_params_replace_common_ones_and_omit_removes() {
        let mut req = assign(Method::Get);
        req.params.push(pair("Version", "2013-01-01"));
        req.omit = vec!["Timestamp".into(), "RegionId".into()];
        let prepared = prepare(&req, Some(&creds()), &ctx());
        let got = received(&prepared);
        let versions: Vec<_> = got.iter().filter(|(k, _)| k == "Version").collect();
        assert_eq!(versions, vec![&pair("Version", "2013-01-01")]);
        assert!(get(&got, "Timestamp").is_none());
        assert!(get(&got, "RegionId").is_none());
        let sig = get(&got, "Signature").unwrap().to_string();
        assert_eq!(sign::sign_v1("testsecret", "GET", &got), sig);

        req.omit = vec!["Signature".into()];
        let prepared = prepare(&req, Some(&creds()), &ctx());
        assert!(get(&received(&prepared), "Signature").is_none());
    }

    #[test]
    fn odd_keys_repeats_and_raw_query_are_sent_and_signed() {
        let mut req = assign(Method::Get);
        req.params.push(pair("PrivateIpAddress. 1", "10.0.0.6"));
        req.params.push(pair("PrivateIpAddress.1", "10.0.0.7"));
        req.raw_query = Some("PrivateIpAddress.2=10.0.0.8&Odd=%zz+x".into());
        let prepared = prepare(&req, Some(&creds()), &ctx());
        assert!(
            prepared
                .path_and_query
                .contains("PrivateIpAddress.%201=10.0.0.6")
        );
        assert!(
            prepared
                .path_and_query
                .ends_with("&PrivateIpAddress.2=10.0.0.8&Odd=%zz+x")
        );
        let got = received(&prepared);
        assert_eq!(
            got.iter()
                .filter(|(k, _)| k == "PrivateIpAddress.1")
                .count(),
            2
        );
        assert_eq!(get(&got, "Odd"), Some("%zz x"));
        let sig = get(&got, "Signature").unwrap().to_string();
        assert_eq!(sign::sign_v1("testsecret", "GET", &got), sig);
        assert!(prepared.sent_params.contains(&pair("Odd", "%zz x")));
        assert!(
            prepared
                .sent_params
                .contains(&pair("PrivateIpAddress. 1", "10.0.0.6"))
        );
    }

    #[test]
    fn corrupt_signature_is_wrong_but_present() {
        let mut req = assign(Method::Get);
        req.corrupt_signature = true;
        let prepared = prepare(&req, Some(&creds()), &ctx());
        let got = received(&prepared);
        let sig = get(&got, "Signature").unwrap().to_string();
        assert_ne!(sign::sign_v1("testsecret", "GET", &got), sig);
        assert_eq!(sig.len(), 28);
    }

    #[test]
    fn security_token_is_sent_but_never_listed_or_debugged() {
        let creds = creds().with_security_token("tok-SECRET");
        let prepared = prepare(&assign(Method::Get), Some(&creds), &ctx());
        assert_eq!(
            get(&received(&prepared), "SecurityToken"),
            Some("tok-SECRET")
        );
        assert!(
            prepared
                .sent_params
                .iter()
                .all(|(k, _)| k != "SecurityToken")
        );
        let debug = format!("{prepared:?}");
        assert!(!debug.contains("tok-SECRET"), "{debug}");
        let sig = get(&received(&prepared), "Signature").unwrap().to_string();
        assert!(!debug.contains(&sign::percent_encode(&sig)), "{debug}");
        assert!(debug.contains("Signature=<redacted>"), "{debug}");

        let mut req = assign(Method::Get);
        req.signing = Signing::V3;
        let prepared = prepare(&req, Some(&creds), &ctx());
        let debug = format!("{prepared:?}");
        assert!(!debug.contains("tok-SECRET"), "{debug}");
        assert!(!debug.contains("Signature="), "{debug}");
    }

    #[test]
    fn unsigned_request_has_no_signing_params() {
        let mut req = assign(Method::Get);
        req.signing = Signing::None;
        let prepared = prepare(&req, Some(&creds()), &ctx());
        let names: Vec<_> = received(&prepared).into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            names,
            vec![
                "Action",
                "NetworkInterfaceId",
                "PrivateIpAddress.1",
                "Format",
                "Version",
                "RegionId"
            ]
        );
    }

    #[test]
    fn v1_without_credentials_sends_no_key_and_no_signature() {
        let prepared = prepare(&assign(Method::Get), None, &ctx());
        let got = received(&prepared);
        assert!(get(&got, "AccessKeyId").is_none());
        assert!(get(&got, "Signature").is_none());
        assert!(get(&got, "SignatureNonce").is_some());
    }

    fn header<'a>(prepared: &'a PreparedRequest, name: &str) -> Option<&'a str> {
        get(&prepared.headers, name)
    }

    /// Recomputes the V3 signature from what the endpoint would receive.
    fn verify_v3(prepared: &PreparedRequest, secret: &str) -> bool {
        let auth = header(prepared, "authorization").unwrap();
        let rest = auth.strip_prefix("ACS3-HMAC-SHA256 ").unwrap();
        let fields: Vec<(&str, &str)> = rest
            .split(',')
            .map(|f| f.split_once('=').unwrap())
            .collect();
        let signed: Vec<&str> = fields[1].1.split(';').collect();
        let signed_headers: Pairs = prepared
            .headers
            .iter()
            .filter(|(k, _)| signed.contains(&k.as_str()))
            .cloned()
            .collect();
        let query = prepared
            .path_and_query
            .split_once('?')
            .map(|(_, q)| q)
            .unwrap_or("");
        let query: Pairs = form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let cr =
            sign::canonical_request_v3(prepared.method, &query, &signed_headers, &prepared.body);
        assert_eq!(cr.signed_headers, fields[1].1);
        let sts = sign::string_to_sign_v3(&cr.canonical_request);
        sign::sign_v3(secret, &sts) == fields[2].1
    }

    #[test]
    fn v3_get_moves_action_to_headers_and_signs() {
        let mut req = assign(Method::Get);
        req.signing = Signing::V3;
        let prepared = prepare(&req, Some(&creds()), &ctx());
        assert_eq!(header(&prepared, "host"), Some("127.0.0.1:8080"));
        assert_eq!(
            header(&prepared, "x-acs-action"),
            Some("AssignPrivateIpAddresses")
        );
        assert_eq!(header(&prepared, "x-acs-version"), Some(API_VERSION));
        assert_eq!(
            header(&prepared, "x-acs-date"),
            Some("2016-02-23T12:46:24Z")
        );
        assert_eq!(
            header(&prepared, "x-acs-signature-nonce"),
            Some("3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf")
        );
        assert_eq!(
            header(&prepared, "x-acs-content-sha256"),
            Some(sign::hex_sha256(b"").as_str())
        );
        let got = received(&prepared);
        assert!(get(&got, "Action").is_none());
        assert_eq!(get(&got, "Format"), Some("JSON"));
        assert_eq!(get(&got, "RegionId"), Some("cn-hangzhou"));
        assert!(verify_v3(&prepared, "testsecret"));
        assert_eq!(
            prepared.sent_params[0],
            pair("Action", "AssignPrivateIpAddresses")
        );
        assert!(prepared.sent_params.contains(&pair("Version", API_VERSION)));

        req.corrupt_signature = true;
        let prepared = prepare(&req, Some(&creds()), &ctx());
        assert!(!verify_v3(&prepared, "testsecret"));
    }

    #[test]
    fn v3_post_signs_body_and_omit_removes_headers() {
        let mut req = assign(Method::Post);
        req.signing = Signing::V3;
        req.raw_query = Some("Extra=1".into());
        let prepared = prepare(&req, Some(&creds().with_security_token("t")), &ctx());
        assert_eq!(
            String::from_utf8(prepared.body.clone()).unwrap(),
            "NetworkInterfaceId=eni-1&PrivateIpAddress.1=10.0.0.5"
        );
        assert_eq!(
            header(&prepared, "x-acs-content-sha256"),
            Some(sign::hex_sha256(&prepared.body).as_str())
        );
        assert_eq!(header(&prepared, "content-type"), Some(FORM_CONTENT_TYPE));
        assert_eq!(header(&prepared, "x-acs-security-token"), Some("t"));
        assert!(verify_v3(&prepared, "testsecret"));
        let auth = header(&prepared, "authorization").unwrap();
        assert!(auth.contains("SignedHeaders=content-type;host;x-acs-action;"));

        req.omit = vec!["Version".into(), "Signature".into()];
        let prepared = prepare(&req, Some(&creds()), &ctx());
        assert!(header(&prepared, "x-acs-version").is_none());
        assert!(header(&prepared, "authorization").is_none());
        assert!(prepared.sent_params.iter().all(|(k, _)| k != "Version"));
    }

    #[test]
    fn curl_line_is_unsigned_and_quoted() {
        let mut req = assign(Method::Get);
        req.params.push(pair("Description", "it's"));
        let prepared = prepare(&req, Some(&creds().with_security_token("tok")), &ctx());
        let line = curl_line(&prepared, "http://127.0.0.1:8080/");
        assert_eq!(
            line,
            "curl -sS -i 'http://127.0.0.1:8080/?Action=AssignPrivateIpAddresses\
             &NetworkInterfaceId=eni-1&PrivateIpAddress.1=10.0.0.5&Description=it%27s\
             &Format=JSON&Version=2014-05-26&RegionId=cn-hangzhou'"
        );

        let mut req = assign(Method::Post);
        req.params.push(pair("Description", "it's"));
        req.signing = Signing::V3;
        let prepared = prepare(&req, Some(&creds()), &ctx());
        let line = curl_line(&prepared, "http://h:1");
        assert_eq!(
            line,
            "curl -sS -i -X POST -H 'x-acs-action: AssignPrivateIpAddresses' \
             -H 'x-acs-version: 2014-05-26' -H 'content-type: application/x-www-form-urlencoded' \
             --data-binary 'NetworkInterfaceId=eni-1&PrivateIpAddress.1=10.0.0.5&Description=it%27s' \
             'http://h:1/?Format=JSON&RegionId=cn-hangzhou'"
        );
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
    }

    #[test]
    fn curl_line_never_shows_credentials_in_the_url_and_is_bounded() {
        let prepared = prepare(&assign(Method::Get), None, &ctx());
        let line = curl_line(&prepared, "http://user:s3cret@127.0.0.1:8080/");
        assert!(!line.contains("s3cret") && !line.contains("user"), "{line}");
        assert!(line.contains("'http://127.0.0.1:8080/?Action="), "{line}");

        let mut req = assign(Method::Get);
        req.params
            .push(pair("NetworkInterfaceId", &"e".repeat(1 << 20)));
        let line = curl_line(&prepare(&req, None, &ctx()), "http://h/");
        assert!(line.len() < CURL_LIMIT + 64, "{}", line.len());
        assert!(line.ends_with("bytes more"));
    }
}
