//! The emulator handle and the request pipeline: common checks in the contract's order, then
//! faults, then the action, under one lock over the state.
//!
//! Order of the common checks (**decided** where the contract is silent): wire problems
//! (oversize, non-UTF-8), `Action` missing, unknown action, `Version` missing or wrong, `Format`
//! invalid, then authentication — missing `AccessKeyId`, `Signature`, `Timestamp`,
//! `SignatureNonce`, `SignatureMethod`, `SignatureVersion`; wrong method or version; unknown
//! AccessKeyId; malformed or expired timestamp; signature mismatch; nonce reuse — then
//! `RegionId`, then injected faults, then the action's own rules.

// Looked up once per signed request: see the state's maps (`model.rs`).
use foldhash::HashMap;
use std::borrow::Cow;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use axum::http::{HeaderMap, Method};

use crate::actions::{self, Action};
use crate::clock::Clock;
use crate::config::{Config, SigningMode, WireLimits};
use crate::defects::{Defect, Defects};
use crate::error::ApiError;
use crate::journal::{Journal, JournalEntry, JournalVerdict, SECRET_PARAMETERS, SigningKind};
use crate::model::State;
use crate::params::{Pair, Params};
use crate::render::{self, Format};
use crate::sign::{self, NonceStore};
use crate::variant::Choices;
use crate::wire;
use crate::world::{InstanceStatus, World};

/// The reference emulator: its configuration and its state. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct Emulator {
    inner: Arc<Inner>,
}

struct Inner {
    world: World,
    signing: SigningMode,
    clock: Clock,
    limits: WireLimits,
    choices: Choices,
    /// AccessKeyId → its secret and the secret's prepared v1 key.
    credentials: HashMap<String, (String, sign::V1Key)>,
    invalid_code: String,
    defects: Defects,
    journal: Option<Journal>,
    requests: AtomicU64,
    state: Mutex<State>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("region", &self.inner.world.region)
            .field("signing", &self.inner.signing)
            .field("requests", &self.inner.requests.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// One ENI as the emulator holds it, for tests and checkers that look at the state directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EniSnapshot {
    /// The ENI id.
    pub id: String,
    /// Its VSwitch.
    pub vswitch_id: String,
    /// `Available`, `Attaching`, `InUse`, `Detaching` or `Deleting`.
    pub status: String,
    /// `Primary` or `Secondary`.
    pub eni_type: String,
    /// The instance it is attached to (also while attaching or detaching).
    pub instance_id: Option<String>,
    /// Its primary address.
    pub primary_ip: Ipv4Addr,
    /// Its secondary addresses, in the order they were assigned.
    pub secondary_ips: Vec<Ipv4Addr>,
    /// Its IPv4 prefixes (aligned /28 blocks), in the order they were assigned.
    pub ipv4_prefixes: Vec<ipnet::Ipv4Net>,
}

/// What the HTTP layer sends back.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub format: Format,
    pub body: String,
}

/// What the journal needs to know about one finished request.
struct JournalFacts<'a> {
    seq: u64,
    request_id: String,
    method: &'a Method,
    params: &'a Params<'a>,
    /// How many of `params.pairs` came from the query (the rest from a form body).
    query_len: usize,
    headers: &'a HeaderMap,
    is_v3: bool,
    result: Result<(), &'a ApiError>,
    status: u16,
}

/// Whether an admitted request has run already or waits for an injected latency first.
enum Admitted {
    Done(Result<render::Fields, ApiError>),
    Delayed(std::time::Duration),
}

/// A V3 request's parsed `Authorization` (or the header as sent when it does not parse);
/// requests without one are v1.
enum Auth {
    V3(Result<sign::V3Authorization, String>),
}

impl Emulator {
    /// An emulator in the state `config.world` describes. Never fails: validate a world built
    /// in code with [`World::validate`] first for a clear error; an invalid world is served as
    /// it is.
    pub fn new(config: Config) -> Emulator {
        let choices = Choices::new(&config);
        let world = choices.place_primaries(&config.world);
        let state = State::new(&config, &world, choices.clone());
        let credentials = config
            .world
            .credentials
            .iter()
            .map(|c| {
                let key = sign::V1Key::new(&c.access_key_secret);
                (c.access_key_id.clone(), (c.access_key_secret.clone(), key))
            })
            .collect();
        Emulator {
            inner: Arc::new(Inner {
                signing: config.signing,
                clock: config.clock,
                limits: config.limits,
                choices,
                credentials,
                invalid_code: config.contract.invalid_parameter_code.clone(),
                defects: Defects::new(&config.defects),
                journal: config.journal,
                requests: AtomicU64::new(0),
                state: Mutex::new(state),
                world,
            }),
        }
    }

    /// The world the emulator started from (not its current state), with the primaries the
    /// configured world leaves out placed: every primary ENI here has its id and address.
    pub fn world(&self) -> &World {
        &self.inner.world
    }

    /// Checks the contract's IP invariants over the whole current state: every address inside
    /// its VSwitch and not reserved, no address held twice, caps respected, and the internal
    /// bookkeeping consistent. `Err` describes the first violation.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut state = self.lock();
        state.settle(self.inner.clock.now());
        state.check_invariants()
    }

    /// Every ENI in creation order, after applying the transitions due now.
    pub fn network_interfaces(&self) -> Vec<EniSnapshot> {
        let mut state = self.lock();
        state.settle(self.inner.clock.now());
        state
            .order
            .values()
            .filter_map(|id| state.enis.get(id))
            .map(|e| EniSnapshot {
                id: e.id.clone(),
                vswitch_id: e.vswitch_id.clone(),
                status: e.status.as_str().to_owned(),
                eni_type: e.kind.as_str().to_owned(),
                instance_id: e.instance_id.clone(),
                primary_ip: e.primary_ip,
                secondary_ips: e.secondary.clone(),
                ipv4_prefixes: e.prefixes.clone(),
            })
            .collect()
    }

    /// Removes a VSwitch as if it had been deleted out of band, leaving its ENIs behind: the
    /// only way to reach `InvalidVSwitchId.NotFound` for an existing ENI. Returns whether it
    /// existed.
    pub fn remove_vswitch(&self, id: &str) -> bool {
        self.lock().vswitches.remove(id).is_some()
    }

    /// Sets an instance's status, as if it had been started or stopped out of band. Returns
    /// whether the instance exists.
    pub fn set_instance_status(&self, id: &str, status: InstanceStatus) -> bool {
        match self.lock().instances.get_mut(id) {
            Some(instance) => {
                instance.status = status;
                true
            }
            None => false,
        }
    }

    /// Idempotency records currently held (for memory checks).
    pub fn idempotency_records(&self) -> usize {
        self.lock().idempotency.len()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied request: every action
        // checks everything before it changes anything. So a poisoned lock is still sound.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn limits(&self) -> WireLimits {
        self.inner.limits
    }

    /// The next request's number (from 1) and its `RequestId`.
    fn next_request(&self) -> (u64, String) {
        let n = self.inner.requests.fetch_add(1, Ordering::Relaxed) + 1;
        let choices = &self.inner.choices;
        (n, choices.shapes.request_id(choices.id_seed, n))
    }

    /// An error raised before the parameters could be read (oversize input).
    pub(crate) fn wire_error(&self, method: &Method, err: &ApiError) -> Answer {
        let (seq, request_id) = self.next_request();
        let err = err.clone().at("common.wire");
        let answer = Answer {
            status: err.status,
            format: Format::Xml,
            body: self.render_error(Format::Xml, &request_id, &err),
        };
        if let Some(journal) = &self.inner.journal {
            let entry = self.journal_entry(JournalFacts {
                seq,
                request_id,
                method,
                params: &Params::default(),
                query_len: 0,
                headers: &HeaderMap::new(),
                is_v3: false,
                result: Err(&err),
                status: answer.status,
            });
            journal.record(&entry);
        }
        answer
    }

    /// The answer to a request that was never read: a connection over the server's cap, a
    /// request head too large or unparseable. XML with a fresh `RequestId`; not journaled, since
    /// nothing of the request is known.
    pub(crate) fn unread_error(&self, err: &ApiError) -> Answer {
        let (_, request_id) = self.next_request();
        Answer {
            status: err.status,
            format: Format::Xml,
            body: self.render_error(Format::Xml, &request_id, err),
        }
    }

    /// Handles one request end to end.
    pub(crate) async fn handle(
        &self,
        method: &Method,
        query: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Answer {
        let (seq, request_id) = self.next_request();
        let mut pairs = Vec::with_capacity(16);
        let mut format = Format::Xml;
        let decoded = self.decode(method, query, headers, body, &mut pairs);
        let params = Params { pairs };
        let mut is_v3 = false;
        let mut from_query = params.pairs.len();
        let result = match decoded {
            Ok(query_len) => {
                from_query = query_len;
                let v3 = v3_auth(headers);
                is_v3 = v3.is_some();
                let default = if is_v3 { Format::Json } else { Format::Xml };
                format = match params.get("Format") {
                    None | Some("") => default,
                    Some(f) => Format::parse(f).unwrap_or(default),
                };
                self.process(method, &params, query_len, headers, body, v3)
                    .await
            }
            Err(err) => Err(err),
        };
        let answer = match &result {
            Ok((action, fields)) => Answer {
                status: 200,
                format,
                body: render::success(format, action.name(), &request_id, fields),
            },
            Err(err) => Answer {
                status: self.http_status(err),
                format,
                body: self.render_error(format, &request_id, err),
            },
        };
        if let Some(journal) = &self.inner.journal {
            let entry = self.journal_entry(JournalFacts {
                seq,
                request_id,
                method,
                params: &params,
                query_len: from_query,
                headers,
                is_v3,
                result: result.as_ref().map(|_| ()),
                status: answer.status,
            });
            journal.record(&entry);
        }
        answer
    }

    fn render_error(&self, format: Format, request_id: &str, err: &ApiError) -> String {
        let choices = &self.inner.choices;
        let speech = render::Speech {
            wording: choices.wording,
            host_id: &choices.shapes.host_id,
        };
        render::error(format, request_id, err, speech, self.inner.defects)
    }

    /// The HTTP status an error is answered with.
    fn http_status(&self, err: &ApiError) -> u16 {
        // Defect: every client error collapses to 400, as in emulators that map "any refusal"
        // to Bad Request.
        if self.inner.defects.has(Defect::WrongHttpStatus) && matches!(err.status, 403 | 404) {
            return 400;
        }
        err.status
    }

    /// What the journal says about one finished request. Only built when a journal is set.
    fn journal_entry(&self, facts: JournalFacts<'_>) -> JournalEntry {
        let JournalFacts {
            seq,
            request_id,
            method,
            params,
            query_len,
            headers,
            is_v3,
            result,
            status,
        } = facts;
        let signing = if is_v3 {
            SigningKind::V3
        } else if params.get("Signature").is_some() || params.get("AccessKeyId").is_some() {
            SigningKind::V1
        } else {
            SigningKind::None
        };
        let action = match (is_v3, wire::header_value(headers, "x-acs-action")) {
            (true, a) if !a.is_empty() => Some(a),
            _ => params.get_nonempty("Action").map(str::to_owned),
        };
        let verified = self.inner.signing == SigningMode::Verify
            && !self.inner.defects.has(Defect::SignaturesUnchecked);
        let (verdict, rule, code, parameter, signature_checked) = match result {
            Ok(()) => (JournalVerdict::Ok, "ok".to_owned(), None, None, true),
            Err(err) => {
                let (verdict, checked) = self.classify(err, signing);
                let rule = if err.rule.is_empty() {
                    let short = action
                        .as_deref()
                        .and_then(Action::from_name)
                        .map_or("request", Action::short_name);
                    format!("{short}.{}", err.code)
                } else {
                    err.rule.to_owned()
                };
                (
                    verdict,
                    rule,
                    Some(err.code.to_string()),
                    err.param.clone(),
                    checked,
                )
            }
        };
        let signature_valid = match (verified && signature_checked, verdict) {
            (false, _) => None,
            (true, JournalVerdict::BadSignature) => Some(false),
            (true, _) => Some(true),
        };
        let has_acs_headers = !wire::header_value(headers, "x-acs-action").is_empty()
            || !wire::header_value(headers, "x-acs-version").is_empty();
        let deviations = crate::deviation::detect(
            method,
            params,
            query_len,
            is_v3,
            has_acs_headers,
            action.as_deref(),
        )
        .into_iter()
        .map(str::to_owned)
        .collect();
        let mistakes = crate::deviation::mistakes(params)
            .into_iter()
            .map(str::to_owned)
            .collect();
        let params = params
            .pairs
            .iter()
            .map(|(k, v)| {
                let value = (!SECRET_PARAMETERS.contains(&k.as_ref())).then(|| v.to_string());
                (k.to_string(), value)
            })
            .collect();
        JournalEntry {
            seq,
            request_id,
            time: format_time(self.inner.clock.now()),
            action,
            method: method.as_str().to_owned(),
            signing,
            signature_valid,
            well_formed: !matches!(
                verdict,
                JournalVerdict::Malformed | JournalVerdict::Unsigned
            ),
            verdict,
            rule,
            code,
            parameter,
            status,
            params,
            deviations,
            mistakes,
        }
    }

    /// The journal verdict of an error, and whether the signature was compared before it.
    fn classify(&self, err: &ApiError, signing: SigningKind) -> (JournalVerdict, bool) {
        use JournalVerdict::*;
        match err.rule {
            "common.wire"
            | "common.action-missing"
            | "common.action-unknown"
            | "common.version"
            | "common.format"
            | "common.signature-method"
            | "common.timestamp-format" => (Malformed, false),
            "common.auth-missing" if signing == SigningKind::None => (Unsigned, false),
            "common.auth-missing" => (Malformed, false),
            "common.access-key" | "common.timestamp-expired" => (AuthFailed, false),
            "common.authorization" => (BadSignature, false),
            "common.signature" => (BadSignature, true),
            "common.nonce" => (AuthFailed, true),
            "common.region-missing" => (Malformed, true),
            "common.fault" => (Fault, true),
            _ if err.code == "MissingParameter"
                || err.code == "InvalidParameter"
                || err.code == self.inner.invalid_code =>
            {
                (Malformed, true)
            }
            _ => (Rejected, true),
        }
    }

    /// Decodes the query and (for a POST form) the body into `pairs`; returns how many came
    /// from the query.
    fn decode<'a>(
        &self,
        method: &Method,
        query: Option<&'a str>,
        headers: &HeaderMap,
        body: &'a [u8],
        pairs: &mut Vec<Pair<'a>>,
    ) -> Result<usize, ApiError> {
        let invalid =
            |key: String| ApiError::invalid(&self.inner.invalid_code, &key).at("common.wire");
        if let Some(query) = query {
            if query.len() > self.inner.limits.max_query_bytes {
                return Err(
                    ApiError::too_large("query string", self.inner.limits.max_query_bytes)
                        .at("common.wire"),
                );
            }
            wire::decode_form(query.as_bytes(), pairs).map_err(invalid)?;
        }
        let query_len = pairs.len();
        if body.len() > self.inner.limits.max_body_bytes {
            return Err(
                ApiError::too_large("body", self.inner.limits.max_body_bytes).at("common.wire"),
            );
        }
        if *method == Method::POST && !body.is_empty() && wire::body_is_form(headers) {
            wire::decode_form(body, pairs).map_err(invalid)?;
        }
        Ok(query_len)
    }

    async fn process(
        &self,
        method: &Method,
        params: &Params<'_>,
        query_len: usize,
        headers: &HeaderMap,
        body: &[u8],
        v3: Option<Auth>,
    ) -> Result<(Action, render::Fields), ApiError> {
        let inner = &*self.inner;
        let is_v3 = v3.is_some();
        let header = |name: &str| Some(wire::header_value(headers, name)).filter(|v| !v.is_empty());

        // The headers are read only for V3, where they take precedence.
        // Borrowed from the parameters unless a header gives it: no copy per request.
        let action_name: Option<Cow<'_, str>> =
            match is_v3.then(|| header("x-acs-action")).flatten() {
                Some(a) => Some(Cow::Owned(a)),
                None => params.get_nonempty("Action").map(Cow::Borrowed),
            };
        let action_name = action_name.ok_or_else(|| {
            ApiError::missing(if is_v3 { "x-acs-action" } else { "Action" })
                .at("common.action-missing")
        })?;
        let action = Action::from_name(&action_name)
            .ok_or_else(|| ApiError::unknown_action(&action_name).at("common.action-unknown"))?;

        let version: Option<Cow<'_, str>> = match is_v3.then(|| header("x-acs-version")).flatten() {
            Some(v) => Some(Cow::Owned(v)),
            None => params.get_nonempty("Version").map(Cow::Borrowed),
        };
        match version.as_deref() {
            None => {
                return Err(
                    ApiError::missing(if is_v3 { "x-acs-version" } else { "Version" })
                        .at("common.version"),
                );
            }
            Some("2014-05-26") => {}
            // The contract's common-error table spells this one `InvalidParameter` in every
            // profile.
            Some(_) => {
                return Err(ApiError::invalid("InvalidParameter", "Version").at("common.version"));
            }
        }
        // A variant answers an invalid `Format` in the default format instead (see `handle`).
        if let Some(f) = params.get("Format")
            && !f.is_empty()
            && Format::parse(f).is_none()
            && inner.choices.refuses_invalid_format()
        {
            return Err(ApiError::invalid(&inner.invalid_code, "Format").at("common.format"));
        }

        let now = inner.clock.now();
        let nonce = match (inner.signing, v3) {
            (SigningMode::Relaxed, _) => None,
            (SigningMode::Verify, None) => Some(self.verify_v1(method, params, now)?),
            (SigningMode::Verify, Some(Auth::V3(auth))) => {
                Some(self.verify_v3(method, params, query_len, headers, body, auth, now)?)
            }
        };

        let admitted = self.admit(action, params, nonce, now)?;
        let fields = match admitted {
            Admitted::Done(result) => result?,
            Admitted::Delayed(latency) => {
                tokio::time::sleep(latency).await;
                self.run_action(action, params)?
            }
        };
        Ok((action, fields))
    }

    /// Under the lock: nonce reuse, `RegionId`, faults; then the action itself unless a
    /// latency fault delays it.
    fn admit(
        &self,
        action: Action,
        params: &Params,
        nonce: Option<(u64, String)>,
        now: SystemTime,
    ) -> Result<Admitted, ApiError> {
        let mut state = self.lock();
        if let Some((key, value)) = &nonce
            && !state.nonces.claim(*key, now)
        {
            return Err(ApiError::nonce_used(value).at("common.nonce"));
        }
        // A nonce is used up only by a request admitted past these checks.
        let checked = (|| {
            match params.get_nonempty("RegionId") {
                // The one action of the API that lists regions needs none (as in ECS).
                None if action == Action::DescribeRegions => {}
                None => return Err(ApiError::missing("RegionId").at("common.region-missing")),
                Some(r) if r != self.inner.world.region => {
                    return Err(ApiError::region_not_found(r).at("common.region"));
                }
                Some(_) => {}
            }
            let decision = state.faults.decide(action.name());
            match decision.error {
                Some(err) => Err(err.at("common.fault")),
                None => Ok(decision),
            }
        })();
        if let Some((key, _)) = &nonce {
            match &checked {
                Ok(_) => state.nonces.keep(*key, now),
                Err(_) => state.nonces.release(*key),
            }
        }
        let decision = checked?;
        if !decision.latency.is_zero() {
            return Ok(Admitted::Delayed(decision.latency));
        }
        let now = self.inner.clock.now();
        state.settle(now);
        Ok(Admitted::Done(actions::run(
            action, &mut state, params, now,
        )))
    }

    fn run_action(&self, action: Action, params: &Params) -> Result<render::Fields, ApiError> {
        let mut state = self.lock();
        let now = self.inner.clock.now();
        state.settle(now);
        actions::run(action, &mut state, params, now)
    }

    fn secret(&self, access_key_id: &str) -> Result<&str, ApiError> {
        self.credential(access_key_id)
            .map(|(secret, _)| secret.as_str())
    }

    fn credential(&self, access_key_id: &str) -> Result<&(String, sign::V1Key), ApiError> {
        self.inner
            .credentials
            .get(access_key_id)
            .ok_or_else(|| ApiError::access_key_not_found(access_key_id).at("common.access-key"))
    }

    /// v1 checks; returns the nonce's store key and text, to be checked and recorded under
    /// the lock.
    fn verify_v1(
        &self,
        method: &Method,
        params: &Params,
        now: SystemTime,
    ) -> Result<(u64, String), ApiError> {
        let invalid = &self.inner.invalid_code;
        let required = |name: &str| {
            params
                .get_nonempty(name)
                .ok_or_else(|| ApiError::missing(name).at("common.auth-missing"))
        };
        let access_key_id = required("AccessKeyId")?;
        let signature = required("Signature")?;
        let timestamp = required("Timestamp")?;
        let nonce = required("SignatureNonce")?;
        if required("SignatureMethod")? != "HMAC-SHA1" {
            return Err(ApiError::invalid(invalid, "SignatureMethod").at("common.signature-method"));
        }
        if required("SignatureVersion")? != "1.0" {
            return Err(
                ApiError::invalid(invalid, "SignatureVersion").at("common.signature-method")
            );
        }
        let (_, key) = self.credential(access_key_id)?;
        check_timestamp("Timestamp", timestamp, now)?;
        let sts = sign::v1_string_to_sign(method.as_str(), &params.pairs);
        // Defect: the signature must be present but is never compared.
        if !self.inner.defects.has(Defect::SignaturesUnchecked) && !key.signs(&sts, signature) {
            return Err(signature_mismatch(&sts));
        }
        Ok((NonceStore::key(access_key_id, nonce), nonce.to_owned()))
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "each argument is one independent part of the operation; a struct would only rename them"
    )]
    fn verify_v3(
        &self,
        method: &Method,
        params: &Params,
        query_len: usize,
        headers: &HeaderMap,
        body: &[u8],
        auth: Result<sign::V3Authorization, String>,
        now: SystemTime,
    ) -> Result<(u64, String), ApiError> {
        let auth = auth
            .map_err(|header| ApiError::incomplete_signature(&header).at("common.authorization"))?;
        let required = |name: &str| {
            Some(wire::header_value(headers, name))
                .filter(|v| !v.is_empty())
                .ok_or_else(|| ApiError::missing(name).at("common.auth-missing"))
        };
        let date = required("x-acs-date")?;
        let nonce = required("x-acs-signature-nonce")?;
        let secret = self.secret(&auth.access_key_id)?;
        check_timestamp("x-acs-date", &date, now)?;
        let query = params.pairs.get(..query_len).unwrap_or(&[]);
        let canonical = sign::v3_canonical_request(
            method.as_str(),
            query,
            &auth.signed_headers,
            |name| wire::header_value(headers, name),
            body,
        );
        let sts = sign::v3_string_to_sign(&canonical);
        // Defect: the signature must be present but is never compared.
        if !self.inner.defects.has(Defect::SignaturesUnchecked)
            && !sign::v3_signature(secret, &sts).eq_ignore_ascii_case(&auth.signature)
        {
            return Err(signature_mismatch(&sts));
        }
        Ok((NonceStore::key(&auth.access_key_id, &nonce), nonce))
    }
}

/// A V3 request is one whose `Authorization` names the V3 algorithm. Some v1 SDKs also send
/// `x-acs-action`/`x-acs-version` headers next to v1 parameters, so those headers alone do not
/// make a request V3.
fn v3_auth(headers: &HeaderMap) -> Option<Auth> {
    let authorization = wire::header_value(headers, "authorization");
    if authorization.starts_with(sign::V3_ALGORITHM) {
        return Some(Auth::V3(
            sign::parse_v3_authorization(&authorization).ok_or(authorization),
        ));
    }
    None
}

fn check_timestamp(name: &str, value: &str, now: SystemTime) -> Result<(), ApiError> {
    let Some(ts) = sign::parse_timestamp(value) else {
        return Err(ApiError::timestamp_format(name, value).at("common.timestamp-format"));
    };
    if !sign::within_window(ts, now) {
        return Err(ApiError::timestamp_expired(name, value, format_time(now))
            .at("common.timestamp-expired"));
    }
    Ok(())
}

fn signature_mismatch(sts: &str) -> ApiError {
    ApiError::signature_mismatch(sts).at("common.signature")
}

/// `yyyy-MM-ddTHH:mm:ssZ`, the shape of every time an answer carries.
const ANSWER_TIME: &[time::format_description::BorrowedFormatItem<'_>] =
    time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// `yyyy-MM-ddTHH:mm:ssZ`.
pub(crate) fn format_time(t: SystemTime) -> String {
    time::OffsetDateTime::from(t)
        .format(ANSWER_TIME)
        .expect("an OffsetDateTime has every component the answer time names")
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::format_time;

    #[test]
    fn answer_times_are_iso_8601_in_utc_to_the_second() {
        assert_eq!(format_time(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let later = UNIX_EPOCH + Duration::from_millis(1_456_231_584_999);
        assert_eq!(format_time(later), "2016-02-23T12:46:24Z");
    }
}
