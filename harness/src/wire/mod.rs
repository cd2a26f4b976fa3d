//! The client side of the wire: what a request is before it is signed, how it is signed (v1 and
//! V3, written independently of the emulator's verifier on purpose), and how any answer —
//! JSON, XML or garbage — is decoded into one model.

pub(crate) mod credentials;
pub mod decode;
pub(crate) mod prepare;
pub(crate) mod sign;

pub use credentials::{Credentials, CredentialsError, Secret};
pub use decode::{Decoded, decode_response};
pub use prepare::{PrepareContext, PreparedRequest, prepare};

/// HTTP method of an RPC call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Parameters in the query string.
    #[default]
    Get,
    /// Parameters go in an `application/x-www-form-urlencoded` body.
    Post,
}

/// Response format asked for with the `Format` common parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// `Format=JSON`.
    #[default]
    Json,
    /// `Format=XML`.
    Xml,
}

/// How a request is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Signing {
    /// Signature v1 (HMAC-SHA1 over the canonical query), common parameters in the query.
    #[default]
    V1,
    /// `ACS3-HMAC-SHA256` with `x-acs-*` headers and an `Authorization` header.
    V3,
    /// No signature and no credentials at all (for endpoints that relax signing).
    None,
}

/// A request as a case describes it, before common parameters and the signature are added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WireRequest {
    /// How the parameters travel: query or form body.
    pub method: Method,
    /// Parameters verbatim, in order, repeats allowed. A parameter named like a common one
    /// (`Version`, `Timestamp`, `SignatureNonce`, `AccessKeyId`, `Format`, `RegionId`, …)
    /// replaces the value the signer would have put there.
    pub params: Vec<(String, String)>,
    /// Query text appended verbatim after the signed parameters (for undecodable input). Its
    /// pairs are decoded leniently (as `application/x-www-form-urlencoded`) and signed too.
    pub raw_query: Option<String>,
    /// The `Format` asked for, so the answer decodes as it should.
    pub format: Format,
    /// How the request is signed.
    pub signing: Signing,
    /// Common parameters (or V3 headers) to leave out, e.g. `Version`, `Signature`.
    pub omit: Vec<String>,
    /// Send a signature that is valid base64/hex but wrong.
    pub corrupt_signature: bool,
}
