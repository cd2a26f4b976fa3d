//! The validation journal: one [`JournalEntry`] per request, saying how it was signed, whether
//! it was well-formed, and which contract rule answered it. SDK teams point their client at an
//! emulator with a journal and read what their client sent wrong.
//!
//! Secrets never reach the journal: the values of `AccessKeyId`, `Signature`, `SecurityToken`
//! and the `Authorization` header are left out, and so are error messages that would echo them.

use std::sync::Arc;

use serde::Serialize;

/// Receives every entry, in the order requests finished. Called on the request's task: keep it
/// short (append a line, send on a channel).
#[derive(Clone)]
pub struct Journal {
    sink: Arc<dyn Fn(&JournalEntry) + Send + Sync>,
}

impl Journal {
    /// A journal that hands each entry to `sink`.
    pub fn new(sink: impl Fn(&JournalEntry) + Send + Sync + 'static) -> Journal {
        Journal {
            sink: Arc::new(sink),
        }
    }

    pub(crate) fn record(&self, entry: &JournalEntry) {
        (self.sink)(entry);
    }
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Journal(..)")
    }
}

/// Parameters whose values are secrets (or identify a credential): only their names are kept.
pub const SECRET_PARAMETERS: [&str; 3] = ["AccessKeyId", "Signature", "SecurityToken"];

/// One request as the emulator judged it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JournalEntry {
    /// The emulator's request number, from 1.
    pub seq: u64,
    /// The answer's `RequestId`.
    pub request_id: String,
    /// When the request finished, on the emulator's clock (`yyyy-MM-ddTHH:mm:ssZ`).
    pub time: String,
    /// The action asked for (`Action`, or `x-acs-action` for V3), as sent; absent if none.
    pub action: Option<String>,
    /// `GET` or `POST`.
    pub method: String,
    /// How the request was signed.
    pub signing: SigningKind,
    /// Whether the signature matched: `None` when it was not checked (the request was refused
    /// before, or signatures are not verified).
    pub signature_valid: Option<bool>,
    /// Whether the parameters were well-formed: `false` when the answering rule is a syntax
    /// rule (a missing or malformed parameter, an unknown action, a wrong version).
    pub well_formed: bool,
    /// What the request amounts to, for a client's author.
    pub verdict: JournalVerdict,
    /// The contract rule that answered: `assign.row-3`, `common.signature`, `ok`, …
    pub rule: String,
    /// The error code; absent on success.
    pub code: Option<String>,
    /// The parameter an error names, when it names one (`PrivateIpAddress. 1`).
    pub parameter: Option<String>,
    /// The HTTP status answered.
    pub status: u16,
    /// Every parameter, in arrival order: `[name, value]`, the value `null` for secrets.
    pub params: Vec<(String, Option<String>)>,
    /// What the request did that the contract does not decide and the emulator did
    /// (`timestamp-fractional-seconds`, `signature-in-form-body`, …; DECISIONS.md, "Client
    /// deviations"). Left out of the line when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deviations: Vec<String>,
    /// What the request carried that a correct client would not send, though it was answered as
    /// the contract says (`stray-parameter`, `placeholder-value`; see `deviation.rs`). Left out
    /// of the line when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mistakes: Vec<String>,
}

/// How a request was signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SigningKind {
    /// `Signature` and friends in the parameters.
    V1,
    /// An `Authorization: ACS3-HMAC-SHA256 …` header.
    V3,
    /// Neither.
    None,
}

/// What a request amounts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum JournalVerdict {
    /// Answered 200.
    Ok,
    /// Well-formed and authenticated, refused by a rule of the action (an address in use, an
    /// unknown ENI, a cap): the API working as documented.
    Rejected,
    /// A missing or malformed parameter, an unknown action, a wrong `Version` or `Format`.
    Malformed,
    /// No credentials at all.
    Unsigned,
    /// A signature that does not match, or an `Authorization` header that does not parse.
    BadSignature,
    /// Signed, but refused by another authentication rule: unknown AccessKeyId, timestamp
    /// malformed or out of the window, nonce reused.
    AuthFailed,
    /// An injected fault (throttling, unavailability) or an oversize request.
    Fault,
}
