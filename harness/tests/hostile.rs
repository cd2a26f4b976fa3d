//! The harness against a hostile endpoint of its own (loopback, port 0), one mode per class of
//! attack: terminal escapes, forged lines, C1 controls in codes, noncharacters, a 3 MB message,
//! invalid UTF-8, 5xx answers, hostile ids in successful answers, and credentials in the target
//! URL. Each mode runs the real `eni-harness run` on a copy of the parser, wire and common cases
//! (their snapshots too, so snapshot diffs are exercised) and checks every sink: stdout and
//! stderr, JUnit (parsed as XML), JSON, Markdown and HTML carry no raw control characters, no
//! forged line, no injected tag, no password, and stay bounded in size and time.
//!
//! Regression cases written from such answers are checked too: their header comments cannot be
//! ended early, and `eni-harness list` reads them back as the case found.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header::CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use eni_harness::escape::is_hostile;

/// One class of hostile answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// ESC sequences (clear screen, OSC 0 title, OSC 52 clipboard, OSC 8 link), C1 CSI, bidi.
    TerminalEscapes,
    /// CR, LF, NEL and U+2028 in the message, each followed by a forged verdict line.
    LineBreaks,
    /// C1 controls in the code.
    C1InCode,
    /// U+FFFE/U+FFFF, NUL and other controls XML 1.0 cannot carry.
    Noncharacters,
    /// A 3 MB message, under the body cap.
    HugeMessage,
    /// Bytes that are not UTF-8.
    InvalidUtf8,
    /// 500 and 503 answers with hostile bodies.
    ServerErrors,
    /// Successful answers whose ids and addresses are hostile.
    HostileIds,
}

const FORGED: &str = "FAKE: PASS: 999 passed, 0 failed";

fn hostile_text() -> String {
    "\u{1b}[2J\u{1b}]0;pwned\u{7}\u{1b}]52;c;SGVsbG8=\u{7}\u{1b}]8;;http://evil.example/\u{1b}\\click\u{1b}]8;;\u{1b}\\ \u{9b}31m \u{202e}gnp.exe \u{2066}x\u{2069}".to_string()
}

fn answer(mode: Mode, count: u64) -> (StatusCode, &'static str, Vec<u8>) {
    let error = |code: &str, message: &str| {
        serde_json::to_vec(&serde_json::json!({
            "RequestId": format!("req-{count}\u{1b}[1m"),
            "HostId": "ecs.example",
            "Code": code,
            "Message": message,
        }))
        .unwrap()
    };
    let json = "application/json";
    match mode {
        Mode::TerminalEscapes => (
            StatusCode::BAD_REQUEST,
            json,
            error(&format!("InvalidParameter{}", hostile_text()), &hostile_text()),
        ),
        Mode::LineBreaks => (
            StatusCode::BAD_REQUEST,
            json,
            error(
                "InvalidParameter",
                &format!(
                    "bad\r\n{FORGED}\r{FORGED}\n{FORGED}\u{85}{FORGED}\u{2028}{FORGED}\u{2029}{FORGED}"
                ),
            ),
        ),
        Mode::C1InCode => (
            StatusCode::FORBIDDEN,
            json,
            error("Invalid\u{9b}Ip\u{85}.IpAssigned\u{90}", "c1: \u{9d}\u{9c}"),
        ),
        Mode::Noncharacters => (
            StatusCode::BAD_REQUEST,
            json,
            error(
                "InvalidParameter\u{fffe}",
                "\u{0}\u{b}\u{c}\u{fffe}\u{ffff}\u{7f} end",
            ),
        ),
        Mode::HugeMessage => (
            StatusCode::BAD_REQUEST,
            json,
            error("InvalidParameter", &"M".repeat(3_000_000)),
        ),
        Mode::InvalidUtf8 => (
            StatusCode::BAD_REQUEST,
            json,
            b"{\"RequestId\":\"r\xff\",\"Code\":\"Bad\xfe\xff\x1b[2J\",\"Message\":\"\xc3\x28 \xed\xa0\x80 \x9b\"}"
                .to_vec(),
        ),
        Mode::ServerErrors if count.is_multiple_of(2) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "text/html",
            format!("<html><script>alert(1)</script>{}</html>", hostile_text()).into_bytes(),
        ),
        Mode::ServerErrors => (
            StatusCode::INTERNAL_SERVER_ERROR,
            json,
            error(&format!("InternalError{}", hostile_text()), FORGED),
        ),
        Mode::HostileIds => {
            let eni = format!("eni-{}\n{FORGED}", hostile_text());
            let body = serde_json::json!({
                "RequestId": format!("req-{count}\u{1b}[2J"),
                "NetworkInterfaceId": eni,
                "AssignedPrivateIpAddressesSet": {
                    "NetworkInterfaceId": eni,
                    "PrivateIpSet": { "PrivateIpAddress": ["\u{1b}[31m192.168.0.9\r\nFAKE", "\u{9b}2J"] },
                },
                "TotalCount": 1,
                // A well-formed state (so the steps after a create run), whose one ENI has a
                // hostile id and is not the one the case created.
                "NetworkInterfaceSets": { "NetworkInterfaceSet": [{
                    "NetworkInterfaceId": "eni-other\u{202e}\u{1b}[2J",
                    // Named as the harness names what it creates, for `cleanup` to list.
                    "NetworkInterfaceName": format!("eni-harness-{}\n{FORGED}", hostile_text()),
                    "InstanceId": format!("i-\u{9b}2J\r{FORGED}"),
                    "Status": "InUse",
                    "Type": "Secondary",
                    "VSwitchId": "vsw-bp1main00000000000001",
                    "PrivateIpAddress": "192.168.0.7",
                    "PrivateIpSets": { "PrivateIpSet": [
                        { "PrivateIpAddress": "192.168.0.7", "Primary": true },
                    ] },
                }] },
            });
            (StatusCode::OK, json, serde_json::to_vec(&body).unwrap())
        }
    }
}

#[derive(Clone)]
struct Endpoint {
    mode: Mode,
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

async fn respond(State(endpoint): State<Endpoint>, uri: Uri, body: Bytes) -> Response {
    let count = endpoint
        .count
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let params: Vec<(String, String)> =
        form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .chain(form_urlencoded::parse(&body))
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
            .collect();
    // The runner waits while a VSwitch shows a Deleting ENI; these modes are about text, so
    // the filter is honoured and nothing is Deleting.
    let deleting = params
        .iter()
        .any(|(key, value)| key == "Status" && value == "Deleting");
    if deleting && endpoint.mode == Mode::HostileIds {
        let body = serde_json::json!({
            "RequestId": "r\u{1b}[2J",
            "TotalCount": 0,
            "NetworkInterfaceSets": { "NetworkInterfaceSet": [] },
        });
        return (
            StatusCode::OK,
            [(CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response();
    }
    let (status, content_type, body) = answer(endpoint.mode, count);
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// The hostile endpoint on 127.0.0.1:0, served from its own thread until dropped.
struct Hostile {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Hostile {
    fn start(mode: Mode) -> Hostile {
        let (ready, bound) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                ready.send(listener.local_addr().unwrap()).unwrap();
                let endpoint = Endpoint {
                    mode,
                    count: Default::default(),
                };
                let app = axum::Router::new().fallback(respond).with_state(endpoint);
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        let addr = bound.recv_timeout(Duration::from_secs(10)).unwrap();
        Hostile {
            url: format!("http://{addr}/"),
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        let _ = self.stop.take().map(|stop| stop.send(()));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A scratch folder with copies of some case folders and their snapshots, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str, folders: &[&str]) -> Scratch {
        let root = std::env::temp_dir().join(format!("eni-hostile-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        for folder in folders {
            copy_tree(
                &repo.join("cases").join(folder),
                &root.join("cases").join(folder),
            );
            copy_tree(
                &repo.join("snapshots").join(folder),
                &root.join("snapshots").join(folder),
            );
        }
        Scratch(root)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.is_dir() {
            copy_tree(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

/// Runs the harness binary in `dir`, killed if it outlives `limit`.
fn harness(dir: &Path, args: &[&str], limit: Duration) -> Ran {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_eni-harness"))
        .args(args)
        .current_dir(dir)
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
        .env_remove("ALIBABA_CLOUD_SECURITY_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drained in threads, so a full pipe never stalls the child.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut text).unwrap();
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut text).unwrap();
        text
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("eni-harness {args:?} ran longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ran {
        code: status.code(),
        stdout: String::from_utf8(out.join().unwrap()).expect("stdout is UTF-8"),
        stderr: String::from_utf8(err.join().unwrap()).expect("stderr is UTF-8"),
        took: started.elapsed(),
    }
}

/// The raw control characters in `text` (line feeds are the sink's own).
fn raw_controls(text: &str) -> Vec<char> {
    let mut found: Vec<char> = text
        .chars()
        .filter(|c| *c != '\n' && is_hostile(*c))
        .collect();
    found.dedup();
    found
}

/// Tags the matrix page is made of; anything else was injected.
const HTML_TAGS: &[&str] = &[
    "!doctype", "html", "head", "meta", "title", "style", "body", "h1", "h2", "table", "thead",
    "tbody", "tr", "th", "td", "p", "span", "small", "br", "code", "ul", "li",
];

fn check_html(page: &str) {
    assert_eq!(
        raw_controls(page),
        Vec::<char>::new(),
        "raw controls in HTML"
    );
    for piece in page.split('<').skip(1) {
        let name: String = piece
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '!')
            .collect::<String>()
            .to_ascii_lowercase();
        assert!(HTML_TAGS.contains(&name.as_str()), "injected tag <{name}");
    }
}

/// XML 1.0's `Char` production: what a well-formed document may contain at all.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// Parses the JUnit file with an XML parser, to the end; the parser does not enforce which
/// characters XML allows, so that is checked here, for raw characters and references alike.
fn check_junit(xml: &str) {
    assert!(
        xml.chars().all(xml_char),
        "a character XML 1.0 cannot carry"
    );
    assert_eq!(
        raw_controls(xml),
        Vec::<char>::new(),
        "raw controls in JUnit"
    );
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut testcases = 0;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Start(tag) | quick_xml::events::Event::Empty(tag)) => {
                if tag.name().as_ref() == "testcase" {
                    testcases += 1;
                }
                for attribute in tag.attributes() {
                    let value = attribute
                        .expect("well-formed attribute")
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .expect("attribute value unescapes")
                        .into_owned();
                    assert!(value.chars().all(xml_char), "{value:?}");
                    assert_eq!(raw_controls(&value), Vec::<char>::new(), "{value:?}");
                }
            }
            Ok(quick_xml::events::Event::GeneralRef(reference)) => {
                if let Some(c) = reference.resolve_char_ref().expect("a valid reference") {
                    assert!(xml_char(c) && !is_hostile(c), "&#{:x};", u32::from(c));
                }
            }
            Ok(_) => {}
            Err(error) => panic!(
                "JUnit is not well-formed XML at {}: {error}",
                reader.buffer_position()
            ),
        }
    }
    assert!(testcases > 0);
}

/// The suite against the endpoint in `mode`, every sink checked; gives back the JSON report.
fn suite_against(mode: Mode) -> String {
    let name = format!("{mode:?}").to_lowercase();
    let scratch = Scratch::new(&name, &["parser", "wire", "common"]);
    let endpoint = Hostile::start(mode);
    let ran = harness(
        &scratch.0,
        &[
            "run",
            "cases",
            "--target",
            &endpoint.url,
            "--timeout",
            "5s",
            "--jobs",
            "4",
            "--no-progress",
            "--junit",
            "junit.xml",
            "--json",
            "report.json",
            "--markdown",
            "matrix.md",
            "--html",
            "matrix.html",
        ],
        Duration::from_secs(120),
    );
    drop(endpoint);
    assert_eq!(ran.code, Some(1), "{}\n{}", ran.stderr, ran.stdout);
    for (sink, text) in [("stdout", &ran.stdout), ("stderr", &ran.stderr)] {
        assert_eq!(
            raw_controls(text),
            Vec::<char>::new(),
            "raw controls in {sink}"
        );
        for line in text.lines() {
            assert!(
                !line.starts_with("FAKE") && !line.starts_with("PASS"),
                "a forged line in {sink}: {line:?}"
            );
        }
    }
    let verdict = ran.stdout.lines().last().unwrap_or("");
    assert!(verdict.starts_with("FAIL: "), "{verdict}");
    let read = |file: &str| std::fs::read_to_string(scratch.0.join(file)).unwrap();
    let (junit, json, markdown, html) = (
        read("junit.xml"),
        read("report.json"),
        read("matrix.md"),
        read("matrix.html"),
    );
    check_junit(&junit);
    check_html(&html);
    assert_eq!(
        raw_controls(&markdown),
        Vec::<char>::new(),
        "raw controls in Markdown"
    );
    assert!(!markdown.contains("<script") && !markdown.lines().any(|l| l.starts_with("FAKE")));
    assert_eq!(
        raw_controls(&json),
        Vec::<char>::new(),
        "raw controls in JSON"
    );
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let cases = report["cases"].as_array().unwrap();
    assert!(cases.len() > 60, "{}", cases.len());
    for case in cases {
        for failure in case["failures"].as_array().unwrap() {
            let message = failure["message"].as_str().unwrap();
            assert!(message.len() <= 16 * 1024 + 64, "{} bytes", message.len());
        }
    }
    // Bounded whatever the endpoint sends: about 16 KiB per failure at most, where a 3 MB
    // message copied into every failure made 120 MB of each.
    for (sink, size) in [
        ("stdout", ran.stdout.len()),
        ("JSON", json.len()),
        ("JUnit", junit.len()),
        ("Markdown", markdown.len()),
        ("HTML", html.len()),
    ] {
        assert!(size < 8 << 20, "{sink}: {size} bytes");
    }
    // Snapshots proposed from these answers are bounded too (they are kept in memory until
    // the run ends).
    let mut proposed = 0;
    for path in files_under(&scratch.0.join("snapshots")) {
        if path.to_string_lossy().ends_with(".snap.new") {
            proposed += 1;
            let size = std::fs::metadata(&path).unwrap().len();
            assert!(size < 256 << 10, "{}: {size} bytes", path.display());
        }
    }
    assert!(proposed > 0, "no snapshot was compared");
    assert!(ran.took < Duration::from_secs(90), "{:?}", ran.took);
    json
}

fn files_under(folder: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(folder).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn terminal_escapes_reach_no_sink_raw() {
    suite_against(Mode::TerminalEscapes);
}

#[test]
fn line_breaks_in_messages_forge_no_line() {
    suite_against(Mode::LineBreaks);
}

#[test]
fn c1_controls_in_codes_reach_no_sink_raw() {
    suite_against(Mode::C1InCode);
}

#[test]
fn noncharacters_keep_junit_well_formed() {
    suite_against(Mode::Noncharacters);
}

#[test]
fn a_3_mb_message_keeps_every_report_bounded() {
    suite_against(Mode::HugeMessage);
}

#[test]
fn invalid_utf8_reaches_no_sink_raw() {
    suite_against(Mode::InvalidUtf8);
}

#[test]
fn server_errors_reach_no_sink_raw() {
    suite_against(Mode::ServerErrors);
}

#[test]
fn hostile_ids_in_successful_answers_reach_no_sink_raw() {
    let json = suite_against(Mode::HostileIds);
    // The hostile ids did reach the invariants' messages (shown escaped).
    assert!(
        json.contains("is not listed by DescribeNetworkInterfaces"),
        "the mode exercises the invariants"
    );
    assert!(json.contains("eni-\\u001b[2J"), "captured ids are quoted");
}

#[test]
fn a_password_in_the_target_url_is_refused_and_never_shown() {
    let scratch = Scratch::new("password", &["parser"]);
    let endpoint = Hostile::start(Mode::TerminalEscapes);
    let with_password = endpoint.url.replace("http://", "http://admin:s3cret-pw@");
    for args in [
        vec![
            "run",
            "cases",
            "--target",
            &with_password,
            "--no-progress",
            "--json",
            "r.json",
        ],
        vec![
            "fuzz",
            "--target",
            &with_password,
            "--runs",
            "1",
            "--no-write",
        ],
    ] {
        let ran = harness(&scratch.0, &args, Duration::from_secs(30));
        let all = format!("{}{}", ran.stdout, ran.stderr);
        assert!(
            !all.contains("s3cret-pw") && !all.contains("admin"),
            "{all}"
        );
        assert_eq!(ran.code, Some(2), "{all}");
        assert!(all.contains("carries a user name or password"), "{all}");
    }
    assert!(!scratch.0.join("r.json").exists());
}

#[test]
fn cleanup_shows_what_the_endpoint_answered_as_text() {
    let scratch = Scratch::new("cleanup", &[]);
    let profile = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/embedded.yaml"),
    )
    .unwrap();
    std::fs::create_dir_all(&scratch.0).unwrap();
    std::fs::write(
        scratch.0.join("profile.yaml"),
        format!("{profile}\nresource_prefix: eni-harness-\n"),
    )
    .unwrap();
    let endpoint = Hostile::start(Mode::HostileIds);
    for yes in [false, true] {
        let mut args = vec![
            "cleanup",
            "--target",
            &endpoint.url,
            "--profile",
            "profile.yaml",
            "--timeout",
            "5s",
            "--wait",
            "1s",
        ];
        if yes {
            args.push("--yes");
        }
        let ran = harness(&scratch.0, &args, Duration::from_secs(60));
        for text in [&ran.stdout, &ran.stderr] {
            assert_eq!(raw_controls(text), Vec::<char>::new(), "{text}");
            assert!(!text.lines().any(|line| line.starts_with("FAKE")), "{text}");
        }
        assert!(
            ran.stdout.contains("eni-harness-\\u{1b}[2J"),
            "{}",
            ran.stdout
        );
    }
}

/// A finding's message with a lone CR once ended the case header's comment and planted a live
/// `setup:` step; a C1 character in a code made the case unparseable.
#[test]
fn regression_cases_from_hostile_answers_cannot_carry_live_yaml() {
    use eni_harness::fuzz::emit::{Provenance, case_file};
    use eni_harness::fuzz::exec::{Env, Expected, StepRecord, TargetSpec};
    use eni_harness::fuzz::ops::{Rendered, Val};
    use eni_harness::fuzz::oracle::Kind;
    use eni_harness::profile::Profile;

    let planted = "\rsetup:\r  - { action: DeleteNetworkInterface, params: { NetworkInterfaceId: \"${running_instance.primary_eni}\" } }\r";
    let provenance = Provenance {
        kind: Kind {
            check: "differential".into(),
            signature: "AssignPrivateIpAddresses 200 vs 403 Invalid\u{9b}Ip\u{85}\u{fffe}".into(),
        },
        message: format!("answered `X`{planted}\u{85}\u{2028}\u{2029}{FORGED}\u{1b}[2J"),
        rests_on: "AssignPrivateIpAddresses row 6\u{1b}[2J".into(),
        seed: 7,
        sequence: 3,
        target: "http://127.0.0.1:1/\u{1b}]0;t\u{7}".into(),
    };
    let spec = TargetSpec::Embedded {
        configure: std::sync::Arc::new(|_| {}),
        label: "embedded".into(),
    };
    let env = Env::new(
        std::sync::Arc::new(Profile::embedded()),
        spec,
        std::time::Duration::ZERO,
    )
    .unwrap();
    let steps = vec![StepRecord {
        rendered: Rendered::Send {
            action: "AssignPrivateIpAddresses",
            params: vec![
                (
                    "NetworkInterfaceId".into(),
                    Val::Text("eni-bp1running000000000001".into()),
                ),
                (
                    "SecondaryPrivateIpAddressCount".into(),
                    Val::Text("1\u{9b}\u{fffe}".into()),
                ),
            ],
        },
        expected: Expected {
            statuses: vec![400],
            codes: vec!["InvalidParameter".into()],
        },
        created: None,
        settle_before: None,
        chosen: Vec::new(),
    }];
    let case = case_file(&steps, &env, &provenance).expect("the case is written");
    assert_eq!(
        raw_controls(&case.text),
        Vec::<char>::new(),
        "{}",
        case.text
    );
    let comments: Vec<&str> = case
        .text
        .lines()
        .take_while(|line| line.starts_with('#'))
        .collect();
    assert_eq!(comments.len(), 3, "{}", case.text);
    assert!(
        case.text.lines().all(|line| !line.starts_with("setup")),
        "{}",
        case.text
    );
    let back = eni_spec::parse_case(&case.text, &case.case.origin).unwrap();
    assert_eq!(back.without_spans(), case.case.without_spans());
    assert!(back.setup.is_empty());
    assert!(
        back.sends()
            .all(|send| send.action.as_deref() != Some("DeleteNetworkInterface"))
    );

    // `eni-harness list` reads it back, and shows it without raw controls.
    let scratch = Scratch::new("emitted", &[]);
    let folder = scratch.0.join("cases").join("regressions");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join(format!("{}.yaml", case.slug)), &case.text).unwrap();
    let ran = harness(&scratch.0, &["list", "cases"], Duration::from_secs(30));
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(ran.stdout.contains("1 cases"), "{}", ran.stdout);
    assert_eq!(raw_controls(&ran.stdout), Vec::<char>::new());
}
