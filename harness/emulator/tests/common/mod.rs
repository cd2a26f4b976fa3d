//! Test and bench helpers: an independent request signer (v1 and V3), an in-process client
//! driving the router with `oneshot`, and a tiny raw HTTP/1.1 keep-alive client.
//!
//! The signer is written apart from the emulator's verifier on purpose: each half checks the
//! other, and the contract's test vector pins both.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use base64::Engine as _;
use eni_emulator::{Config, Emulator, ManualClock, World, app};
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::BodyExt;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

pub(crate) const REGION: &str = "cn-hangzhou";
/// The emulator's second world, unlike the built-in one in every id, CIDR and the region.
pub(crate) const VARIANT_WORLD: &str = include_str!("../../worlds/variant.yaml");
pub(crate) const MAIN_VSW: &str = "vsw-bp1main00000000000001";
pub(crate) const SMALL_VSW: &str = "vsw-bp1small0000000000001";
pub(crate) const SG: &str = "sg-bp1default00000000001";
pub(crate) const RUNNING: &str = "i-bp1running0000000000001";
pub(crate) const RUNNING_ENI: &str = "eni-bp1running000000000001";
pub(crate) const STOPPED: &str = "i-bp1stopped0000000000001";
pub(crate) const STOPPED_ENI: &str = "eni-bp1stopped000000000001";
pub(crate) const STARTING: &str = "i-bp1starting000000000001";
pub(crate) const STARTING_ENI: &str = "eni-bp1starting00000000001";

/// Leave this default parameter out of the request.
pub(crate) const OMIT: &str = "\u{0}omit";

const ENC: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub(crate) fn enc(s: &str) -> String {
    utf8_percent_encode(s, ENC).to_string()
}

pub(crate) fn timestamp(t: SystemTime) -> String {
    let dt = time::OffsetDateTime::from(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        dt.year(),
        dt.month() as u8,
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// v1: base64(HMAC-SHA1(secret&, METHOD&%2F&enc(sorted k=v joined by &))).
pub(crate) fn sign_v1(method: &str, params: &[(String, String)], secret: &str) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let canonical: Vec<String> = sorted
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    let sts = format!("{method}&{}&{}", enc("/"), enc(&canonical.join("&")));
    let mut mac =
        <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(format!("{secret}&").as_bytes()).unwrap();
    mac.update(sts.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

pub(crate) fn query_string(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// One answer.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Reply {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub(crate) fn code(&self) -> String {
        self.json()["Code"].as_str().unwrap_or("").to_owned()
    }
    pub(crate) fn message(&self) -> String {
        self.json()["Message"].as_str().unwrap_or("").to_owned()
    }
    /// Asserts an error answer: status and code.
    #[track_caller]
    pub(crate) fn assert_error(&self, status: u16, code: &str) -> &Self {
        assert_eq!(
            (self.status, self.code().as_str()),
            (status, code),
            "body: {}",
            self.body
        );
        self
    }
    #[track_caller]
    pub(crate) fn assert_message(&self, message: &str) -> &Self {
        assert_eq!(self.message(), message, "body: {}", self.body);
        self
    }
    #[track_caller]
    pub(crate) fn assert_ok(&self) -> serde_json::Value {
        assert_eq!(self.status, 200, "body: {}", self.body);
        self.json()
    }
}

/// How a test request is carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Carry {
    Get,
    /// POST with every parameter in the form body.
    PostBody,
    /// POST with the parameters split between the query and the body.
    PostBoth,
}

/// An in-process client: signs with v1 and drives `app()` with `oneshot`.
pub(crate) struct Client {
    pub router: Router,
    /// The `RegionId` requests carry unless they say otherwise: the world's.
    pub region: String,
    pub emulator: Emulator,
    pub clock: ManualClock,
    pub access_key_id: String,
    pub secret: String,
    pub carry: Carry,
}

impl Client {
    /// The built-in world on a manual clock set to the real time.
    pub(crate) fn builtin() -> Client {
        Client::with(|_| {})
    }

    /// The built-in world, a manual clock, and whatever `tweak` changes.
    pub(crate) fn with(tweak: impl FnOnce(&mut Config)) -> Client {
        let clock = ManualClock::now_real();
        let mut config = Config::new(World::builtin());
        config.clock = eni_emulator::Clock::Manual(clock.clone());
        tweak(&mut config);
        let clock = match &config.clock {
            eni_emulator::Clock::Manual(c) => c.clone(),
            eni_emulator::Clock::System => clock,
        };
        let region = config.world.region.clone();
        let emulator = Emulator::new(config);
        Client {
            router: app(emulator.clone()),
            region,
            emulator,
            clock,
            access_key_id: "testid".into(),
            secret: "testsecret".into(),
            carry: Carry::Get,
        }
    }

    /// The full, signed parameter list for `action` with `params`. Defaults (`Format=JSON`,
    /// `RegionId`, the signing parameters) give way to a same-named entry of `params`, and are
    /// dropped when that entry's value is [`OMIT`].
    pub(crate) fn signed(&self, action: &str, params: &[(&str, &str)]) -> Vec<(String, String)> {
        // Unique across every client of the process: several clients may talk to one emulator.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let nonce = format!("nonce-{n}-{}", std::process::id());
        let ts = timestamp(self.clock.now());
        let defaults: [(&str, &str); 9] = [
            ("Action", action),
            ("Version", "2014-05-26"),
            ("Format", "JSON"),
            ("RegionId", &self.region),
            ("AccessKeyId", &self.access_key_id),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", &nonce),
            ("Timestamp", &ts),
        ];
        let mut all: Vec<(String, String)> = Vec::new();
        for (k, v) in defaults {
            if !params.iter().any(|(pk, _)| *pk == k) {
                all.push((k.into(), v.into()));
            }
        }
        for (k, v) in params {
            if *v != OMIT && *k != "Signature" {
                all.push(((*k).into(), (*v).into()));
            }
        }
        let method = if self.carry == Carry::Get {
            "GET"
        } else {
            "POST"
        };
        let signature = sign_v1(method, &all, &self.secret);
        match params.iter().find(|(k, _)| *k == "Signature") {
            Some((_, v)) if *v == OMIT => {}
            Some((_, v)) => all.push(("Signature".into(), (*v).into())),
            None => all.push(("Signature".into(), signature)),
        }
        all
    }

    /// A signed call of `action`.
    pub(crate) async fn call(&self, action: &str, params: &[(&str, &str)]) -> Reply {
        let all = self.signed(action, params);
        self.send_pairs(&all).await
    }

    /// Sends already-built parameters the way `carry` says.
    pub(crate) async fn send_pairs(&self, all: &[(String, String)]) -> Reply {
        let request = match self.carry {
            Carry::Get => Request::get(format!("/?{}", query_string(all)))
                .body(Body::empty())
                .unwrap(),
            Carry::PostBody => Request::post("/")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(query_string(all)))
                .unwrap(),
            Carry::PostBoth => {
                let (q, b) = all.split_at(all.len() / 2);
                Request::post(format!("/?{}", query_string(q)))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(Body::from(query_string(b)))
                    .unwrap()
            }
        };
        self.send(request).await
    }

    pub(crate) async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            content_type,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    /// Creates an ENI in `vswitch` and returns its id.
    pub(crate) async fn create_eni(&self, vswitch: &str, extra: &[(&str, &str)]) -> String {
        let mut params = vec![("VSwitchId", vswitch), ("SecurityGroupId", SG)];
        params.extend_from_slice(extra);
        let v = self
            .call("CreateNetworkInterface", &params)
            .await
            .assert_ok();
        v["NetworkInterfaceId"].as_str().unwrap().to_owned()
    }

    /// The addresses an assign answer reports.
    pub(crate) fn assigned(v: &serde_json::Value) -> Vec<String> {
        v["AssignedPrivateIpAddressesSet"]["PrivateIpSet"]["PrivateIpAddress"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_owned())
            .collect()
    }

    /// The secondary addresses `DescribeNetworkInterfaceAttribute` shows for `eni`.
    pub(crate) async fn secondaries(&self, eni: &str) -> Vec<String> {
        let v = self
            .call(
                "DescribeNetworkInterfaceAttribute",
                &[("NetworkInterfaceId", eni)],
            )
            .await
            .assert_ok();
        v["PrivateIpSets"]["PrivateIpSet"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["Primary"] == false)
            .map(|s| s["PrivateIpAddress"].as_str().unwrap().to_owned())
            .collect()
    }

    pub(crate) async fn status_of(&self, eni: &str) -> String {
        let v = self
            .call(
                "DescribeNetworkInterfaceAttribute",
                &[("NetworkInterfaceId", eni)],
            )
            .await;
        if v.status == 404 {
            return "gone".into();
        }
        v.assert_ok()["Status"].as_str().unwrap().to_owned()
    }
}

/// V3 signing of a request: returns the headers to add (Authorization included).
pub(crate) fn sign_v3(
    method: &str,
    query: &[(String, String)],
    headers: &[(&str, &str)],
    body: &[u8],
    access_key_id: &str,
    secret: &str,
) -> String {
    let mut q: Vec<(String, String)> = query.iter().map(|(k, v)| (enc(k), enc(v))).collect();
    q.sort();
    let canonical_query: Vec<String> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut hs: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_lowercase(), v.trim().to_owned()))
        .collect();
    hs.sort();
    let canonical_headers: String = hs.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed: Vec<&str> = hs.iter().map(|(k, _)| k.as_str()).collect();
    let signed = signed.join(";");
    let request = format!(
        "{method}\n/\n{}\n{canonical_headers}\n{signed}\n{}",
        canonical_query.join("&"),
        hex::encode(Sha256::digest(body))
    );
    let sts = format!(
        "ACS3-HMAC-SHA256\n{}",
        hex::encode(Sha256::digest(request.as_bytes()))
    );
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(sts.as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    format!(
        "ACS3-HMAC-SHA256 Credential={access_key_id},SignedHeaders={signed},Signature={signature}"
    )
}

/// A minimal HTTP/1.1 client over one keep-alive TCP connection: enough for the emulator's
/// answers, which always carry `Content-Length`.
pub(crate) struct RawHttp {
    stream: tokio::io::BufReader<tokio::net::TcpStream>,
}

impl RawHttp {
    pub(crate) async fn connect(addr: std::net::SocketAddr) -> RawHttp {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        RawHttp {
            stream: tokio::io::BufReader::new(stream),
        }
    }

    /// Sends one request and reads its answer: (status, headers lower-cased, body).
    pub(crate) async fn request(
        &mut self,
        head: &str,
        body: &[u8],
    ) -> (u16, Vec<(String, String)>, Vec<u8>) {
        use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
        let mut bytes = head.as_bytes().to_vec();
        bytes.extend_from_slice(body);
        self.stream.get_mut().write_all(&bytes).await.unwrap();
        let mut line = String::new();
        self.stream.read_line(&mut line).await.unwrap();
        let status: u16 = line.split(' ').nth(1).unwrap_or("0").parse().unwrap();
        let mut headers = Vec::new();
        let mut length = 0usize;
        loop {
            line.clear();
            self.stream.read_line(&mut line).await.unwrap();
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_owned());
                if k == "content-length" {
                    length = v.parse().unwrap();
                }
                headers.push((k, v));
            }
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await.unwrap();
        (status, headers, body)
    }
}
