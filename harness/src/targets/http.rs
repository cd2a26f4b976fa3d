//! The HTTP target: any endpoint (the real cloud, a served emulator) reached over one pooled
//! client, with requests signed by the wire signer. Built to survive hostile answers: every
//! request has a total deadline, bodies are read chunk by chunk under a hard cap, and garbage
//! is decoded into problems rather than errors. On a plain-HTTP endpoint reached directly, the
//! state read after a request travels pipelined behind it ([`super::pipeline`]).

use std::process;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;

use super::pipeline::Pipeline;
use super::{BoxFuture, Connection, EmulatorKnobs, Exchange, RawAnswer, Target, TransportError};
use crate::profile::Profile;
use crate::wire::prepare::{PrepareContext, PreparedRequest, curl_line};
use crate::wire::{Credentials, Signing, WireRequest, prepare};

/// How to reach and sign for an endpoint.
#[derive(Debug, Clone)]
pub struct HttpTargetOptions {
    /// Scheme, host and port, e.g. `http://127.0.0.1:8080/` or `https://ecs.cn-hangzhou.aliyuncs.com`.
    pub base_url: String,
    /// Sent as `RegionId` unless a request sets or omits it; empty for none.
    pub region: String,
    /// `None` sends requests without `AccessKeyId` and signature (an emulator relaxing signing).
    pub credentials: Option<Credentials>,
    /// The signing used for requests that leave [`WireRequest::signing`] at its default (`V1`):
    /// lets a whole run switch to V3 while a case that asks for V3 or no signing still gets it.
    pub signing: Signing,
    /// Most time spent opening a connection (5 s by default).
    pub connect_timeout: Duration,
    /// Deadline for one whole exchange, headers and body: a server that drips bytes ends as
    /// [`TransportError::Timeout`].
    pub request_timeout: Duration,
    /// Bodies larger than this end as [`TransportError::BodyTooLarge`].
    pub max_body_bytes: usize,
    /// Write the state read after a request behind it on one connection, without waiting for
    /// the request's answer (HTTP/1.1 pipelining; plain `http://` reached without a proxy
    /// only). On by default; off for a server that mishandles pipelined requests.
    pub pipelining: bool,
}

impl HttpTargetOptions {
    /// Options with the defaults: V1 signing, no credentials, 5 s to connect, 30 s per
    /// request, 4 MiB per body.
    pub fn new(base_url: impl Into<String>, region: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            region: region.into(),
            credentials: None,
            signing: Signing::V1,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 4 * 1024 * 1024,
            pipelining: true,
        }
    }

    /// Options for this project's emulator served at `base_url` (`eni-harness serve`): its
    /// built-in test credentials, the profile's region and signing, and the defaults.
    pub fn local_emulator(base_url: impl Into<String>, profile: &Profile) -> Self {
        Self {
            credentials: Some(Credentials::builtin_emulator()),
            signing: profile.signing,
            ..Self::new(base_url, profile.region.clone())
        }
    }
}

/// A target over HTTP. Cheap to clone; all clones share one connection pool.
#[derive(Debug, Clone)]
pub struct HttpTarget {
    inner: Arc<Inner>,
}

/// One case's line to an [`HttpTarget`]: the shared client, nothing per case.
#[derive(Debug, Clone)]
pub(crate) struct HttpConnection {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    options: HttpTargetOptions,
    client: reqwest::Client,
    /// `scheme://host[:port][/path]` without a trailing `/`; `path_and_query` is appended.
    base: String,
    /// The base URL's path without a trailing `/`, as the URL parser left it.
    base_path: String,
    /// What the client sends as `Host`, for the V3 `host` header.
    host: String,
    /// The base URL without any password, for reports.
    shown: String,
    /// Pipelined exchanges, where the endpoint is plain HTTP reached directly and the options
    /// allow them.
    pipeline: Option<Pipeline>,
    /// Set once a pipelined read did not come back: from then on every request goes alone.
    pipelining_failed: AtomicBool,
}

/// A byte the URL parser leaves as it is in a query: RFC 3986's unreserved characters, and the
/// `%`, `&` and `=` of encoded pairs.
fn kept_in_query(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'%' | b'&' | b'=')
}

impl HttpTarget {
    /// A target for `options`; fails naming the problem when the base URL is not usable (not
    /// http or https, no host, a user name or password in it).
    pub fn new(options: HttpTargetOptions) -> anyhow::Result<Self> {
        // Errors show the URL without credentials: they reach terminals and CI logs.
        let shown =
            crate::escape::terminal(&crate::escape::url_without_userinfo(&options.base_url))
                .into_owned();
        let url = reqwest::Url::parse(&options.base_url)
            .with_context(|| format!("base URL `{shown}` is not a URL"))?;
        anyhow::ensure!(
            matches!(url.scheme(), "http" | "https"),
            "base URL `{shown}` must start with http:// or https://"
        );
        // Credentials in a URL would be shown wherever the URL is (banners, reports, curl
        // lines) and are never sent: refuse them rather than drop them silently.
        anyhow::ensure!(
            url.username().is_empty() && url.password().is_none(),
            "base URL `{shown}` carries a user name or password (left out here): credentials \
             never go in the URL; set ALIBABA_CLOUD_ACCESS_KEY_ID and \
             ALIBABA_CLOUD_ACCESS_KEY_SECRET instead (a loopback emulator needs none)"
        );
        let host_name = url
            .host_str()
            .with_context(|| format!("base URL `{shown}` has no host"))?
            .to_string();
        // `Url::port` is `None` for the scheme's default port, which is exactly when an HTTP
        // client leaves the port out of `Host`.
        let host = match url.port() {
            Some(port) => format!("{host_name}:{port}"),
            None => host_name.clone(),
        };
        let base_path = url.path().trim_end_matches('/').to_string();
        let base = format!("{}://{}{base_path}", url.scheme(), host);
        let shown = url.to_string();

        let mut builder = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            // Backstop only: `send` enforces the deadline itself to report it as a Timeout.
            .timeout(options.request_timeout + Duration::from_secs(1))
            .pool_idle_timeout(Duration::from_secs(30))
            // An API endpoint that redirects is a finding, and following would resend signed
            // parameters elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("eni-harness/", env!("CARGO_PKG_VERSION")));
        // A proxy cannot reach this machine's loopback: keep local emulators direct even when
        // the environment names a proxy for real-cloud runs.
        let loopback = host_name == "localhost"
            || host_name
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if loopback {
            builder = builder.no_proxy();
        }
        // A plain-HTTP target never speaks TLS (redirects are not followed): no certificate
        // roots to load, which is most of the client's start-up (about 3 ms here).
        if url.scheme() == "http" {
            builder = builder.tls_certs_only([]);
        }
        let client = builder.build().context("could not build the HTTP client")?;
        // Pipelining writes straight to the endpoint's socket: only where the ordinary client
        // would go there directly too (no proxy in the way) and there is no TLS to speak.
        let direct = loopback
            || ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
                .iter()
                .all(|name| std::env::var_os(name).is_none_or(|value| value.is_empty()));
        let pipeline = (options.pipelining && url.scheme() == "http" && direct).then(|| {
            let port = url.port_or_known_default().unwrap_or(80);
            Pipeline::new(
                format!("{host_name}:{port}"),
                host.clone(),
                options.connect_timeout,
                options.max_body_bytes,
            )
        });
        Ok(Self {
            inner: Arc::new(Inner {
                options,
                client,
                base,
                base_path,
                host,
                shown,
                pipeline,
                pipelining_failed: AtomicBool::new(false),
            }),
        })
    }

    /// The options the target was made with.
    pub fn options(&self) -> &HttpTargetOptions {
        &self.inner.options
    }

    /// The pipelined client, where this target pipelines.
    #[cfg(test)]
    pub(crate) fn inner_pipelines(&self) -> Option<&Pipeline> {
        self.inner.pipeline.as_ref()
    }

    /// A copy-pasteable unsigned `curl` command for `req` against this target's base URL (for
    /// an emulator that relaxes signing): nonce, timestamp and signature are left out.
    pub fn curl_for(&self, req: &WireRequest) -> String {
        let req = self.inner.effective(req);
        let prepared = prepare(&req, None, &self.inner.context());
        curl_line(&prepared, &self.inner.options.base_url)
    }
}

impl Target for HttpTarget {
    fn describe(&self) -> String {
        self.inner.shown.clone()
    }

    fn is_shared(&self) -> bool {
        true
    }

    fn supports_knobs(&self) -> bool {
        false
    }

    fn connect(&self, knobs: &EmulatorKnobs) -> anyhow::Result<Box<dyn Connection>> {
        anyhow::ensure!(
            knobs.is_empty(),
            "{} cannot honour emulator knobs ({knobs:?})",
            self.describe()
        );
        Ok(Box::new(HttpConnection {
            inner: Arc::clone(&self.inner),
        }))
    }
}

impl Connection for HttpConnection {
    fn send<'a>(
        &'a self,
        request: &'a WireRequest,
    ) -> BoxFuture<'a, Result<Exchange, TransportError>> {
        Box::pin(self.inner.send(request))
    }

    fn send_then_read<'a>(
        &'a self,
        request: &'a WireRequest,
        read: &'a WireRequest,
    ) -> BoxFuture<'a, (Result<Exchange, TransportError>, Option<RawAnswer>)> {
        Box::pin(self.inner.send_then_read(request, read))
    }

    fn wait(&self, duration: Duration) -> BoxFuture<'_, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

impl Inner {
    /// The request with the run's signing where it leaves the default; copied only then.
    fn effective<'r>(&self, req: &'r WireRequest) -> std::borrow::Cow<'r, WireRequest> {
        if req.signing == Signing::V1 && self.options.signing != Signing::V1 {
            let mut req = req.clone();
            req.signing = self.options.signing;
            return std::borrow::Cow::Owned(req);
        }
        std::borrow::Cow::Borrowed(req)
    }

    fn context(&self) -> PrepareContext {
        PrepareContext {
            host: self.host.clone(),
            region: Some(self.options.region.clone()).filter(|r| !r.is_empty()),
            now: SystemTime::now(),
            nonce: next_nonce(),
        }
    }

    fn prepared(&self, request: &WireRequest) -> PreparedRequest {
        let req = self.effective(request);
        prepare(&req, self.options.credentials.as_ref(), &self.context())
    }

    /// The URL `prepared` goes to. It holds the signature: errors name the problem, never the
    /// URL.
    fn url(&self, prepared: &PreparedRequest) -> Result<reqwest::Url, TransportError> {
        // A `#` would start a fragment, which is never sent: escape it so raw query text
        // reaches the endpoint.
        let url = format!(
            "{}{}",
            self.base,
            prepared.path_and_query.replace('#', "%23")
        );
        reqwest::Url::parse(&url)
            .map_err(|e| TransportError::Other(format!("could not form the request URL: {e}")))
    }

    /// The request line's target for `prepared`: the path and query of [`Self::url`], byte for
    /// byte what the ordinary client would send.
    fn request_target(&self, prepared: &PreparedRequest) -> Result<String, TransportError> {
        // Encoded pairs (what every request but a raw query is) hold only bytes the URL parser
        // keeps as they are in a query, behind a path it has already normalised: joined as they
        // are, without parsing the whole URL again for each request.
        if let Some(query) = prepared.path_and_query.strip_prefix("/?")
            && query.bytes().all(kept_in_query)
        {
            return Ok(format!("{}{}", self.base_path, prepared.path_and_query));
        }
        self.parsed_target(prepared)
    }

    /// The path and query of [`Self::url`].
    fn parsed_target(&self, prepared: &PreparedRequest) -> Result<String, TransportError> {
        let url = self.url(prepared)?;
        let mut target = url.path().to_string();
        if let Some(query) = url.query() {
            target.push('?');
            target.push_str(query);
        }
        Ok(target)
    }

    /// `request`, then `read` behind it on one connection where the endpoint allows; the read's
    /// answer is `None` when it did not come back whole (the caller then reads again itself).
    async fn send_then_read(
        &self,
        request: &WireRequest,
        read: &WireRequest,
    ) -> (Result<Exchange, TransportError>, Option<RawAnswer>) {
        let Some(pipeline) = self
            .pipeline
            .as_ref()
            .filter(|_| !self.pipelining_failed.load(Ordering::Relaxed))
        else {
            return (self.send(request).await, None);
        };
        let first = self.prepared(request);
        let then = self.prepared(read);
        let outgoing = |prepared: &PreparedRequest| {
            let target = self.request_target(prepared)?;
            pipeline.outgoing(prepared, &target)
        };
        let (first_out, then_out) = match (outgoing(&first), outgoing(&then)) {
            (Ok(first_out), Ok(then_out)) => (first_out, then_out),
            // The ordinary client reports what is wrong with the request.
            _ => return (self.send(request).await, None),
        };
        let mut answers = pipeline
            .exchange(&[first_out, then_out], self.options.request_timeout)
            .await
            .into_iter();
        let exchange = match answers.next() {
            Some(Ok(answer)) => Exchange::answered(
                request,
                first,
                answer.status,
                answer.content_type,
                answer.body,
                answer.elapsed,
            ),
            Some(Err(error)) => return (Err(error), None),
            None => return (Err(TransportError::Other("no answer".into())), None),
        };
        match answers.next() {
            Some(Ok(read)) => (Ok(exchange), Some(read)),
            Some(Err(error)) => {
                // A server that drops or refuses pipelined requests is not asked again: the
                // rest of the run sends one request at a time, as the note says.
                if !self.pipelining_failed.swap(true, Ordering::Relaxed) {
                    eprintln!(
                        "note: {} did not answer a state read sent pipelined behind a request ({error}); every request now goes alone (`--no-pipelining` does that from the start)",
                        self.shown
                    );
                }
                (Ok(exchange), None)
            }
            None => (Ok(exchange), None),
        }
    }

    async fn send(&self, request: &WireRequest) -> Result<Exchange, TransportError> {
        let prepared = self.prepared(request);
        let url = self.url(&prepared)?;
        let method = match prepared.method {
            "POST" => reqwest::Method::POST,
            _ => reqwest::Method::GET,
        };
        let mut builder = self.client.request(method, url);
        for (name, value) in &prepared.headers {
            // Signed, but sent by the client itself (HTTP/1 `Host`, HTTP/2 `:authority`).
            if name.eq_ignore_ascii_case("host") {
                continue;
            }
            builder = builder.header(name.as_str(), value.as_str());
        }
        if prepared.method == "POST" {
            builder = builder.body(prepared.body.clone());
        }

        let timeout = self.options.request_timeout;
        let started = Instant::now();
        let outcome = tokio::time::timeout(timeout, async {
            let response = builder.send().await.map_err(|e| transport(e, timeout))?;
            read_capped(response, self.options.max_body_bytes, timeout).await
        })
        .await;
        let (status, content_type, body) = match outcome {
            Err(_elapsed) => return Err(TransportError::Timeout(timeout)),
            Ok(result) => result?,
        };
        Ok(Exchange::answered(
            request,
            prepared,
            status,
            content_type,
            body,
            started.elapsed(),
        ))
    }
}

/// Reads the body chunk by chunk, refusing it as soon as it passes `limit` (or announces it
/// will), so a hostile endpoint cannot make the harness buffer without bound.
async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
    timeout: Duration,
) -> Result<(u16, Option<String>, bytes::Bytes), TransportError> {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Err(TransportError::BodyTooLarge { limit });
    }
    // An answer that arrives in one chunk (most do) is kept as it came, not copied.
    let mut first: Option<bytes::Bytes> = None;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport(e, timeout))? {
        let held = first.as_ref().map_or(0, bytes::Bytes::len) + body.len();
        if held + chunk.len() > limit {
            return Err(TransportError::BodyTooLarge { limit });
        }
        match first.take() {
            None if body.is_empty() => first = Some(chunk),
            None => body.extend_from_slice(&chunk),
            Some(earlier) => {
                body.reserve(earlier.len() + chunk.len());
                body.extend_from_slice(&earlier);
                body.extend_from_slice(&chunk);
            }
        }
    }
    Ok((
        status,
        content_type,
        first.unwrap_or_else(|| bytes::Bytes::from(body)),
    ))
}

/// Maps a client error; its URL (which carries the signature) is dropped first.
fn transport(error: reqwest::Error, timeout: Duration) -> TransportError {
    let error = error.without_url();
    if error.is_timeout() {
        return TransportError::Timeout(timeout);
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    if error.is_connect() {
        TransportError::Connect(text)
    } else {
        TransportError::Other(text)
    }
}

/// A nonce unique per request: unique within the process by a counter, across processes and
/// machines by the process id and the time the process started. No randomness needed.
fn next_nonce() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    // Both read once: the process id is a system call each time it is asked for, and every
    // signed request asks.
    static PROCESS: OnceLock<(u128, u32)> = OnceLock::new();
    let (started, pid) = *PROCESS.get_or_init(|| {
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        (started, process::id())
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{started:x}-{pid:x}-{n:x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::decode::BodyFormat;
    use crate::wire::{Method, sign};
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::Mutex;

    /// What the test server saw of one request.
    #[derive(Debug, Clone)]
    struct Seen {
        head: String,
        body: Vec<u8>,
    }

    impl Seen {
        fn request_line(&self) -> &str {
            self.head.lines().next().unwrap_or("")
        }

        fn header(&self, name: &str) -> Option<String> {
            self.head.lines().skip(1).find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
            })
        }

        fn query_pairs(&self) -> Vec<(String, String)> {
            let target = self.request_line().split(' ').nth(1).unwrap_or("");
            let query = target.split_once('?').map_or("", |(_, q)| q);
            form_urlencoded::parse(query.as_bytes())
                .chain(form_urlencoded::parse(&self.body))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        }
    }

    fn read_request(stream: &mut TcpStream) -> Option<Seen> {
        let mut buf = Vec::new();
        let mut byte = [0u8; 1];
        while !buf.ends_with(b"\r\n\r\n") {
            if stream.read(&mut byte).ok()? == 0 {
                return None;
            }
            buf.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&buf).into_owned();
        let mut seen = Seen {
            head,
            body: Vec::new(),
        };
        let len: usize = seen
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        seen.body = vec![0; len];
        stream.read_exact(&mut seen.body).ok()?;
        Some(seen)
    }

    /// A raw HTTP/1.1 server on 127.0.0.1:0; `respond` writes whatever it likes, hostile or not.
    fn serve(
        respond: impl Fn(&mut TcpStream, &Seen) + Send + Sync + 'static,
    ) -> (String, Arc<Mutex<Vec<Seen>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}/", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let respond = Arc::new(respond);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let log = Arc::clone(&log);
                let respond = Arc::clone(&respond);
                std::thread::spawn(move || {
                    if let Some(request) = read_request(&mut stream) {
                        log.lock().unwrap().push(request.clone());
                        respond(&mut stream, &request);
                    }
                });
            }
        });
        (base, seen)
    }

    fn reply(stream: &mut TcpStream, status: &str, content_type: &str, body: &[u8]) {
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(body);
    }

    fn options(base: &str) -> HttpTargetOptions {
        HttpTargetOptions {
            credentials: Some(Credentials::new("testid", "testsecret").with_security_token("tok")),
            ..HttpTargetOptions::new(base, "cn-hangzhou")
        }
    }

    fn assign() -> WireRequest {
        WireRequest {
            params: vec![
                ("Action".into(), "AssignPrivateIpAddresses".into()),
                ("NetworkInterfaceId".into(), "eni-1".into()),
                ("PrivateIpAddress.1".into(), "10.0.0.5".into()),
            ],
            ..WireRequest::default()
        }
    }

    async fn send(
        options: HttpTargetOptions,
        req: &WireRequest,
    ) -> Result<Exchange, TransportError> {
        let target = HttpTarget::new(options).unwrap();
        let conn = target.connect(&EmulatorKnobs::default()).unwrap();
        conn.send(req).await
    }

    #[test]
    fn the_request_target_is_what_the_url_parser_makes_of_it() {
        // Joined without parsing where the query is encoded pairs; whatever the path to the
        // request line, the bytes must be the parser's.
        let values = [
            "10.0.0.5",
            "a b",
            "ü/ß?#&=+%",
            "quote\"'<>`{}|\\^",
            "%zz%2",
            "",
        ];
        let raw_queries = [None, Some("x=1&y= 2#3"), Some("%41=%zz&k=ü"), Some("")];
        for base in [
            "http://127.0.0.1:8080",
            "http://127.0.0.1:8080/",
            "http://[::1]:9/ecs/api/",
            "https://example.com/a%20b/./c/../d",
            "http://example.com/x%2e/%2E%2e/y",
        ] {
            let target = HttpTarget::new(options(base)).unwrap();
            for value in values {
                for raw_query in raw_queries {
                    let mut request = WireRequest {
                        raw_query: raw_query.map(str::to_string),
                        ..assign()
                    };
                    request.params.push(("Description".into(), value.into()));
                    let prepared = target.inner.prepared(&request);
                    if raw_query.is_none() {
                        // Encoded pairs only: the join, not the parser, makes this one.
                        let query = prepared.path_and_query.strip_prefix("/?").unwrap();
                        assert!(query.bytes().all(kept_in_query), "{query}");
                    }
                    assert_eq!(
                        target.inner.request_target(&prepared).ok(),
                        target.inner.parsed_target(&prepared).ok(),
                        "{base} with {value:?} and {raw_query:?}"
                    );
                }
            }
        }
    }

    const ASSIGN_JSON: &str = r#"{"RequestId":"R1","AssignedPrivateIpAddressesSet":{"NetworkInterfaceId":"eni-1","PrivateIpSet":{"PrivateIpAddress":["10.0.0.5"]}}}"#;

    #[tokio::test]
    async fn normal_json_answer_and_a_verifiable_v1_signature() {
        let (base, seen) =
            serve(|s, _| reply(s, "200 OK", "application/json", ASSIGN_JSON.as_bytes()));
        let ex = send(options(&base), &assign()).await.unwrap();
        assert_eq!(ex.status, 200);
        assert_eq!(ex.method, "GET");
        assert_eq!(ex.decoded.format, BodyFormat::Json);
        assert_eq!(ex.decoded.request_id.as_deref(), Some("R1"));
        assert!(ex.decoded.problems.is_empty(), "{:?}", ex.decoded.problems);
        assert_eq!(ex.body.as_ref(), ASSIGN_JSON.as_bytes());
        assert_eq!(
            ex.params[0],
            ("Action".into(), "AssignPrivateIpAddresses".into())
        );
        assert!(
            ex.params
                .iter()
                .all(|(k, _)| k != "Signature" && k != "SecurityToken")
        );
        assert!(!format!("{ex:?}").contains("tok"));

        let seen = seen.lock().unwrap()[0].clone();
        let got = seen.query_pairs();
        let signature = got
            .iter()
            .find(|(k, _)| k == "Signature")
            .unwrap()
            .1
            .clone();
        assert_eq!(sign::sign_v1("testsecret", "GET", &got), signature);
        assert!(got.contains(&("SecurityToken".into(), "tok".into())));
        assert!(got.contains(&("RegionId".into(), "cn-hangzhou".into())));
    }

    #[tokio::test]
    async fn v3_post_goes_out_with_headers_and_body() {
        let (base, seen) =
            serve(|s, _| reply(s, "200 OK", "application/json", ASSIGN_JSON.as_bytes()));
        let mut opts = options(&base);
        opts.signing = Signing::V3;
        let mut req = assign();
        req.method = Method::Post;
        let ex = send(opts, &req).await.unwrap();
        assert_eq!(ex.method, "POST");
        let seen = seen.lock().unwrap()[0].clone();
        assert_eq!(
            seen.header("x-acs-action").as_deref(),
            Some("AssignPrivateIpAddresses")
        );
        assert_eq!(seen.header("x-acs-security-token").as_deref(), Some("tok"));
        assert!(
            seen.header("authorization")
                .unwrap()
                .starts_with("ACS3-HMAC-SHA256 Credential=testid,")
        );
        assert_eq!(
            seen.head.matches("host:").count() + seen.head.matches("Host:").count(),
            1
        );
        assert_eq!(
            seen.header("host"),
            Some(
                base.trim_start_matches("http://")
                    .trim_end_matches('/')
                    .to_string()
            )
        );
        assert_eq!(
            seen.body,
            b"NetworkInterfaceId=eni-1&PrivateIpAddress.1=10.0.0.5"
        );
        assert_eq!(
            seen.header("x-acs-content-sha256"),
            Some(sign::hex_sha256(&seen.body))
        );
    }

    #[tokio::test]
    async fn garbage_is_decoded_into_problems() {
        let (base, _) =
            serve(|s, _| reply(s, "500 Oops", "text/plain", b"\x00\xffnot json <at all"));
        let ex = send(options(&base), &assign()).await.unwrap();
        assert_eq!(ex.status, 500);
        assert_eq!(ex.decoded.format, BodyFormat::Unparseable);
        assert!(!ex.decoded.problems.is_empty());
    }

    #[tokio::test]
    async fn bodies_over_the_cap_fail_cleanly() {
        // Announced length over the cap.
        let (base, _) = serve(|s, _| reply(s, "200 OK", "application/json", &vec![b' '; 10_000]));
        let mut opts = options(&base);
        opts.max_body_bytes = 1024;
        let err = send(opts.clone(), &assign()).await.unwrap_err();
        assert_eq!(err, TransportError::BodyTooLarge { limit: 1024 });

        // Chunked, no length: caught while reading.
        let (base, _) = serve(|s, _| {
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
            );
            for _ in 0..20 {
                let _ = s.write_all(format!("200\r\n{}\r\n", " ".repeat(0x200)).as_bytes());
            }
            let _ = s.write_all(b"0\r\n\r\n");
        });
        opts.base_url = base;
        let err = send(opts, &assign()).await.unwrap_err();
        assert_eq!(err, TransportError::BodyTooLarge { limit: 1024 });
    }

    #[tokio::test]
    async fn a_slow_drip_times_out_within_the_deadline() {
        let (base, _) = serve(|s, _| {
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
            );
            for _ in 0..100 {
                if s.write_all(b" ").is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        });
        let mut opts = options(&base);
        opts.request_timeout = Duration::from_secs(1);
        let started = Instant::now();
        let err = send(opts, &assign()).await.unwrap_err();
        assert_eq!(err, TransportError::Timeout(Duration::from_secs(1)));
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn a_closed_port_is_a_connect_error_without_secrets() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = send(options(&format!("http://127.0.0.1:{port}/")), &assign())
            .await
            .unwrap_err();
        assert!(matches!(err, TransportError::Connect(_)), "{err:?}");
        let text = err.to_string();
        assert!(
            !text.contains("Signature") && !text.contains("tok"),
            "{text}"
        );
    }

    #[test]
    fn target_facts_curl_and_debug() {
        let target = HttpTarget::new(options("http://127.0.0.1:8080/")).unwrap();
        assert!(target.is_shared());
        assert!(!target.supports_knobs());
        assert_eq!(target.describe(), "http://127.0.0.1:8080/");
        let knobs = EmulatorKnobs {
            task_duration: Some(Duration::from_secs(1)),
            ..EmulatorKnobs::default()
        };
        assert!(target.connect(&knobs).is_err());
        let debug = format!("{target:?}");
        assert!(
            !debug.contains("testsecret") && !debug.contains("tok\""),
            "{debug}"
        );
        let curl = target.curl_for(&assign());
        assert_eq!(
            curl,
            "curl -sS -i 'http://127.0.0.1:8080/?Action=AssignPrivateIpAddresses\
             &NetworkInterfaceId=eni-1&PrivateIpAddress.1=10.0.0.5&Format=JSON\
             &Version=2014-05-26&RegionId=cn-hangzhou'"
        );
        assert!(HttpTarget::new(HttpTargetOptions::new("ftp://x/", "r")).is_err());
        assert!(HttpTarget::new(HttpTargetOptions::new("not a url", "r")).is_err());
    }

    #[test]
    fn credentials_in_the_url_are_refused_without_being_shown() {
        for url in [
            "http://user:s3cret@127.0.0.1:8080/",
            "http://s3cret@127.0.0.1:8080/",
            "ftp://user:s3cret@x/",
        ] {
            let error = HttpTarget::new(HttpTargetOptions::new(url, "r")).unwrap_err();
            let text = format!("{error:#}");
            assert!(!text.contains("s3cret"), "{text}");
            assert!(
                text.contains("127.0.0.1:8080") || text.contains("x/"),
                "{text}"
            );
        }
    }

    #[test]
    fn nonces_are_unique() {
        let a = next_nonce();
        let b = next_nonce();
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
    }
}
