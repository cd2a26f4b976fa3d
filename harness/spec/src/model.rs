//! The validated case: what a case file means once parsed, in types that cannot hold an
//! invalid state, and the names the language reserves (template roots, fixture members, the
//! parameters a step may leave out).

use std::time::Duration;

use crate::error::{Span, Spanned};
use crate::path::Path;
use crate::template::Template;

/// Larger case files are rejected before parsing: a case is a page of YAML, and the cap bounds
/// the work a fuzzed input can cause.
pub const MAX_SOURCE_BYTES: usize = 1 << 20;

/// Template roots that exist in every case without being listed in `uses`.
pub const BUILTIN_ROOTS: &[&str] = &["region", "unique", "limits"];

/// Members of the built-in `limits` root.
pub const LIMITS_MEMBERS: &[&str] = &["available_cap", "max_list_index"];

/// Members a fixture root may have. Which fixture is a VSwitch and which an instance is known
/// only at run time, so the runner, not the parser, checks that the member fits the fixture.
pub const FIXTURE_MEMBERS: &[&str] = &[
    "id",
    "cidr",
    "network",
    "broadcast",
    "host",
    "free",
    "free_count",
    "free_prefix",
    "first_usable",
    "last_usable",
    "outside",
    "secondary_cap",
    "type",
    "zone",
    "primary_ip",
    "primary_eni",
];

/// The common parameters a step may leave out with `omit`.
pub const OMITTABLE_PARAMS: &[&str] = &[
    "Action",
    "Version",
    "Format",
    "RegionId",
    "AccessKeyId",
    "Signature",
    "SignatureNonce",
    "Timestamp",
    "SignatureMethod",
    "SignatureVersion",
];

/// A validated case.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Unique across the suite (`assign.by-count.one`); `--filter id:` and reports use it.
    pub id: String,
    /// One line saying what the case shows, for reports.
    pub title: String,
    /// Labels `--filter tag:` and the coverage table read (`contract-row-7`, `prefix`, ...).
    pub tags: Vec<String>,
    /// Fixtures the case needs from the profile.
    pub uses: Vec<String>,
    /// Fixtures (of `uses`) the case needs to itself on a shared target: no other case runs on
    /// them meanwhile, and ENIs still being deleted from them are waited for before it starts
    /// (exhaustion, fixed addresses, whole-VSwitch listings).
    pub exclusive: Vec<String>,
    /// Checks turned off for this case; the runner knows the valid names.
    pub disabled_checks: Vec<Spanned<String>>,
    /// Whether the case's exchanges are compared with a reviewed snapshot.
    pub snapshot: bool,
    /// `None`: the target's default.
    pub format: Option<Format>,
    /// `None`: the target's default.
    pub signing: Option<Signing>,
    /// Knobs only an emulator honours; a case setting any is skipped on other targets.
    pub emulator: EmulatorKnobs,
    /// Steps that prepare the state the case is about; a failure there fails the case.
    pub setup: Vec<Step>,
    /// The steps the case is about.
    pub steps: Vec<Step>,
    /// Runs even when a step fails.
    pub teardown: Vec<Step>,
    /// The case file, as errors and reports name it.
    pub origin: String,
}

/// The response format a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `Format=JSON`.
    Json,
    /// `Format=XML`.
    Xml,
}

/// How a request is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signing {
    /// Signature v1 (HMAC-SHA1 over the canonical query).
    V1,
    /// `ACS3-HMAC-SHA256` with an `Authorization` header.
    V3,
    /// No signature and no credentials (for endpoints that relax signing).
    None,
}

/// The HTTP method of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Method {
    /// Parameters in the query string.
    #[default]
    Get,
    /// Parameters in an `application/x-www-form-urlencoded` body.
    Post,
}

/// Settings only an emulator honours; a remote target ignores them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmulatorKnobs {
    /// How long an assign or unassign keeps its ENI busy after it answered (`Operation.Conflict`).
    pub task_duration: Option<Duration>,
    /// How long `Attaching`, `Detaching` and `Deleting` last.
    pub async_delay: Option<Duration>,
}

/// One entry of `setup`, `steps` or `teardown`.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "the shape is the runner's contract, and a case holds a few dozen steps at most"
)]
pub enum Step {
    /// One request.
    Send(Send),
    /// Let time pass.
    Wait {
        /// Zero for `wait: tasks`.
        duration: Duration,
        /// `wait: tasks`: until every task the case started has ended, as long as the case's
        /// task time (`emulator.task_duration` where the target honours it, else the profile's
        /// `timing.task`) after the answer that started the last one.
        tasks: bool,
        /// Where the step is in the case file, for errors.
        span: Span,
    },
    /// Requests sent at once; captures become visible after the group.
    Concurrent {
        /// The requests, in file order.
        sends: Vec<Send>,
        /// Where the group is in the case file, for errors.
        span: Span,
    },
}

/// One request and what to check in its response.
#[derive(Debug, Clone, PartialEq)]
pub struct Send {
    /// Unique within the case; defaults to `<section>-<index>` (1-based), and
    /// `<section>-<index>.<n>` inside a concurrent group.
    pub name: String,
    /// Where the step is in the case file, for errors.
    pub span: Span,
    /// `None` only when `omit` lists `Action`.
    pub action: Option<String>,
    /// The HTTP method.
    pub method: Method,
    /// `None`: the case's format, else the target's default.
    pub format: Option<Format>,
    /// `None`: the case's signing, else the target's default.
    pub signing: Option<Signing>,
    /// `params` then `pairs`, each in file order; keys are sent verbatim.
    pub params: Vec<(Spanned<String>, Template)>,
    /// Query text appended verbatim after the signed parameters (for undecodable input).
    pub raw_query: Option<Template>,
    /// Common parameters to leave out, from [`OMITTABLE_PARAMS`].
    pub omit: Vec<String>,
    /// Send a signature that has the right shape but is wrong.
    pub corrupt_signature: bool,
    /// What the answer must look like.
    pub expect: Expect,
    /// Variable name and the response path its value is read from, in file order. A refusal
    /// (a status outside 2xx) without that path leaves the variable unbound, and the teardown
    /// steps naming it are skipped: what was refused made nothing to give back.
    pub capture: Vec<(String, Path)>,
    /// Re-send the request until the answer shows the wanted values.
    pub poll: Option<Poll>,
    /// Send every page of a paged read; the expectations see the pages joined.
    pub paginate: Option<Paginate>,
    /// The answer raced against a state that changes on its own (a transition, a task): one
    /// expectation per state, judged by reads right before and after the request. `expect` is
    /// then unused (its default).
    pub race: Option<Race>,
}

/// A request whose right answer depends on a state that may change while it is under way, on a
/// target whose timing no knob sets: the runner reads that state right before and right after
/// the request and accepts the branch of a state it read, never one it did not (success while
/// both reads say `Attaching` fails; refusal while both say `InUse` fails too).
#[derive(Debug, Clone, PartialEq)]
pub struct Race {
    /// What the race reads: an ENI's status, or whether a task is still in flight.
    pub on: RaceOn,
    /// State and what the answer must be in it, in file order. For a status race the first is
    /// the state the race starts in, the only one accepted where the target honours the case's
    /// knobs (its clock stands still between requests, so the race has one result); a task race
    /// is decided by the clock there too.
    pub when: Vec<(String, Expect)>,
    /// Where the race is in the case file, for errors.
    pub span: Span,
}

/// What a race reads.
#[derive(Debug, Clone, PartialEq)]
pub enum RaceOn {
    /// This ENI's `Status` as `DescribeNetworkInterfaces` lists it, or [`RACE_GONE`] when it no
    /// longer lists the ENI. Needs `emulator.async_delay` (on other targets, the profile's
    /// `timing.transition`).
    Status(Template),
    /// Whether a task this case started on this ENI (a successful assign or unassign) is still
    /// in flight: [`TASK_RUNNING`] or [`TASK_ENDED`], judged by the clock against the task time.
    /// Needs `emulator.task_duration` (on other targets, the profile's `timing.task`).
    Task(Template),
}

/// The state of an ENI that `DescribeNetworkInterfaces` no longer lists.
pub const RACE_GONE: &str = "gone";
/// A task still in flight.
pub const TASK_RUNNING: &str = "running";
/// A task that has ended (or none was started).
pub const TASK_ENDED: &str = "ended";
/// The ENI statuses a status race may name (besides [`RACE_GONE`]).
pub const ENI_STATUSES: &[&str] = &[
    "Available",
    "Attaching",
    "InUse",
    "Detaching",
    "Deleting",
    "Creating",
    "CreateFailed",
];

/// What a response must look like. Empty lists and `None` mean "not checked".
#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    /// Accepted HTTP statuses; `[200]` when `expect` is left out.
    pub status: Vec<u16>,
    /// Accepted error codes.
    pub codes: Vec<String>,
    /// Text the error's `Message` must contain.
    pub message_contains: Option<Template>,
    /// Response path and the value it must have (compared as strings).
    pub fields: Vec<(Path, Template)>,
    /// Paths that must not exist.
    pub absent: Vec<Path>,
    /// The exact set of addresses the assign reports.
    pub assigned: Option<Vec<Template>>,
    /// How many addresses the assign must report.
    pub assigned_count: Option<u32>,
    /// Path of a list and its required length.
    pub count: Option<(Path, usize)>,
    /// Path of a list and the items it must hold, in any order: one distinct element for each.
    pub contains: Vec<(Path, Vec<Item>)>,
    /// Where the expectation is in the case file, for errors.
    pub span: Span,
}

/// What one element of an order-free list (`contains`) must look like.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A scalar element with this value (a list of strings, such as security group ids).
    Value(Template),
    /// An object element whose fields, at paths relative to the element, all match; never empty.
    Fields(Vec<(Path, FieldMatch)>),
}

/// What one field of an [`Item::Fields`] element must hold.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldMatch {
    /// The field's value, compared as text.
    Equals(Template),
    /// The field is a list holding these items, in any order (never empty).
    Contains(Vec<Item>),
}

/// A paged read: the request is sent again for every page, and the pages' lists are joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paginate {
    /// How the next page is asked for: a token, or a page number.
    pub by: PageBy,
    /// The list each page holds part of (`NetworkInterfaceSets.NetworkInterfaceSet`).
    pub list: Path,
}

/// How the next page is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageBy {
    /// This parameter is set from the answer's field of the same name (`NextToken`) until the
    /// answer's token is empty or absent; the first page is sent without it.
    Token(String),
    /// This parameter counts pages from 1 (`PageNumber`) until a page is empty or the pages
    /// hold `TotalCount` items.
    Number(String),
}

impl Paginate {
    /// Pages sent at most; an endpoint that pages on past it fails the step.
    pub const MAX_PAGES: usize = 100;

    /// The request parameter the runner sets on each page.
    #[must_use]
    pub fn parameter(&self) -> &str {
        match &self.by {
            PageBy::Token(name) | PageBy::Number(name) => name,
        }
    }
}

/// Re-send a request until every `until` path has its value, or the timeout passes.
#[derive(Debug, Clone, PartialEq)]
pub struct Poll {
    /// Response path and the value it must reach; all must hold at once.
    pub until: Vec<(Path, Template)>,
    /// Time between two sends.
    pub interval: Duration,
    /// Time after which the step fails.
    pub timeout: Duration,
}

impl Poll {
    /// `interval` when the case leaves it out.
    pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);
    /// `timeout` when the case leaves it out.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
}

impl RaceOn {
    /// The ENI the race reads.
    #[must_use]
    pub fn template(&self) -> &Template {
        match self {
            RaceOn::Status(t) | RaceOn::Task(t) => t,
        }
    }
}

impl Expect {
    /// The expectation's templates, in file order.
    pub fn templates(&self) -> impl Iterator<Item = &Template> {
        self.message_contains
            .iter()
            .chain(self.fields.iter().map(|(_, t)| t))
            .chain(self.assigned.iter().flatten())
            .chain(contains_templates(&self.contains))
    }

    fn templates_mut(&mut self) -> impl Iterator<Item = &mut Template> {
        self.message_contains
            .iter_mut()
            .chain(self.fields.iter_mut().map(|(_, t)| t))
            .chain(self.assigned.iter_mut().flatten())
            .chain(contains_templates_mut(&mut self.contains))
    }

    /// What a step without `expect` checks: status 200 and nothing else.
    #[must_use]
    pub fn default_at(span: Span) -> Expect {
        Expect {
            status: vec![200],
            codes: Vec::new(),
            message_contains: None,
            fields: Vec::new(),
            absent: Vec::new(),
            assigned: None,
            assigned_count: None,
            count: None,
            contains: Vec::new(),
            span,
        }
    }
}

impl Case {
    /// Every send of the case in file order: setup, steps, teardown, groups flattened.
    pub fn sends(&self) -> impl Iterator<Item = &Send> {
        self.setup
            .iter()
            .chain(&self.steps)
            .chain(&self.teardown)
            .flat_map(|step| match step {
                Step::Send(send) => std::slice::from_ref(send),
                Step::Concurrent { sends, .. } => sends.as_slice(),
                Step::Wait { .. } => &[],
            })
    }

    /// The same case with every span set to [`Span::UNKNOWN`], for comparing cases parsed from
    /// different text (a round trip through [`case_to_yaml`](crate::case_to_yaml)).
    #[must_use]
    pub fn without_spans(&self) -> Case {
        let mut case = self.clone();
        for check in &mut case.disabled_checks {
            check.span = Span::UNKNOWN;
        }
        for step in case
            .setup
            .iter_mut()
            .chain(&mut case.steps)
            .chain(&mut case.teardown)
        {
            match step {
                Step::Send(send) => send.clear_spans(),
                Step::Wait { span, .. } => *span = Span::UNKNOWN,
                Step::Concurrent { sends, span } => {
                    *span = Span::UNKNOWN;
                    sends.iter_mut().for_each(Send::clear_spans);
                }
            }
        }
        case
    }
}

impl Send {
    /// Every template of the request and its checks, in file order.
    pub fn templates(&self) -> impl Iterator<Item = &Template> {
        self.params
            .iter()
            .map(|(_, t)| t)
            .chain(&self.raw_query)
            .chain(self.expect.templates())
            .chain(
                self.poll
                    .iter()
                    .flat_map(|p| p.until.iter().map(|(_, t)| t)),
            )
            .chain(self.race.iter().flat_map(|race| {
                std::iter::once(race.on.template())
                    .chain(race.when.iter().flat_map(|(_, expect)| expect.templates()))
            }))
    }

    fn templates_mut(&mut self) -> impl Iterator<Item = &mut Template> {
        self.params
            .iter_mut()
            .map(|(_, t)| t)
            .chain(&mut self.raw_query)
            .chain(self.expect.templates_mut())
            .chain(
                self.poll
                    .iter_mut()
                    .flat_map(|p| p.until.iter_mut().map(|(_, t)| t)),
            )
            .chain(self.race.iter_mut().flat_map(|race| {
                let on = match &mut race.on {
                    RaceOn::Status(t) | RaceOn::Task(t) => t,
                };
                std::iter::once(on).chain(
                    race.when
                        .iter_mut()
                        .flat_map(|(_, expect)| expect.templates_mut()),
                )
            }))
    }

    fn clear_spans(&mut self) {
        self.span = Span::UNKNOWN;
        self.expect.span = Span::UNKNOWN;
        if let Some(race) = &mut self.race {
            race.span = Span::UNKNOWN;
            for (_, expect) in &mut race.when {
                expect.span = Span::UNKNOWN;
            }
        }
        for (key, _) in &mut self.params {
            key.span = Span::UNKNOWN;
        }
        for template in self.templates_mut() {
            for expr in template.exprs_mut() {
                expr.span = Span::UNKNOWN;
            }
        }
    }
}

/// Writes the walk over `contains` items once for each kind of borrow, since the shared and
/// the exclusive walk differ only in `mut`.
macro_rules! contains_templates_fn {
    ($(#[$doc:meta])* $name:ident $(, $mut:tt)?) => {
        $(#[$doc])*
        fn $name(contains: &$($mut)? [(Path, Vec<Item>)]) -> Vec<&$($mut)? Template> {
            fn walk<'a>(items: &'a $($mut)? [Item], out: &mut Vec<&'a $($mut)? Template>) {
                for item in items {
                    match item {
                        Item::Value(template) => out.push(template),
                        Item::Fields(fields) => {
                            for (_, field) in fields {
                                match field {
                                    FieldMatch::Equals(template) => out.push(template),
                                    FieldMatch::Contains(nested) => walk(nested, out),
                                }
                            }
                        }
                    }
                }
            }
            let mut out = Vec::new();
            for (_, items) in contains {
                walk(items, &mut out);
            }
            out
        }
    };
}

contains_templates_fn!(
    /// The templates of `contains` items, nested lists included, in file order.
    contains_templates
);
contains_templates_fn!(
    /// The same templates as [`contains_templates`], to be rewritten in place.
    contains_templates_mut,
    mut
);
