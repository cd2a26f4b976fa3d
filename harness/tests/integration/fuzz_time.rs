//! `fuzz --time` bounds the whole run, shrinking and proving included, even against endpoints
//! that answer every request badly and slowly: a loopback endpoint of the test's own answering
//! 500 or invalid UTF-8 after a pause, fuzzed with a shrink budget far beyond the run's time,
//! ends within the time plus one request timeout, prints each finding when it comes up, and
//! still writes the smallest case found so far. `--fail-fast` stops at the first finding.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eni_harness::fuzzer::{
    self, Env, FuzzEvent, FuzzOptions, FuzzReport, ShrinkBudget, TargetSpec, Verify,
};
use eni_harness::profile::Profile;
use eni_harness::targets::{EmbeddedTarget, HttpTarget, HttpTargetOptions, Target};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How the hostile endpoint answers.
#[derive(Debug, Clone, Copy)]
enum Hostile {
    ServerError,
    InvalidUtf8,
}

/// Requests whose head is longer than this are answered and the connection closed.
const MAX_HEAD: usize = 64 << 10;

/// Serves `mode` on 127.0.0.1:0, answering each request after `pause`; keep-alive.
async fn hostile(mode: Hostile, pause: Duration) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                loop {
                    // One request: the head, then as much body as it announces.
                    let head_end = loop {
                        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                            break end + 4;
                        }
                        let mut chunk = [0u8; 4096];
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                        }
                        if buffer.len() > MAX_HEAD {
                            return;
                        }
                    };
                    let head = String::from_utf8_lossy(&buffer[..head_end]).to_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    while buffer.len() < head_end + length {
                        let mut chunk = [0u8; 4096];
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                        }
                    }
                    buffer.drain(..head_end + length);
                    tokio::time::sleep(pause).await;
                    let (status, body): (&str, Vec<u8>) = match mode {
                        Hostile::ServerError => (
                            "500 Internal Server Error",
                            br#"{"RequestId":"r","Code":"InternalError","Message":"no"}"#.to_vec(),
                        ),
                        Hostile::InvalidUtf8 => ("200 OK", vec![0xff, 0xfe, b'{', 0xc3, 0x28]),
                    };
                    let mut answer = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    answer.extend_from_slice(&body);
                    if socket.write_all(&answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

/// What the observer saw, and when.
#[derive(Default)]
struct Seen {
    found: Vec<Duration>,
    handled: Vec<Duration>,
}

async fn fuzz_hostile(
    mode: Hostile,
    time: Duration,
    timeout: Duration,
) -> (FuzzReport, Seen, Duration) {
    let url = hostile(mode, Duration::from_millis(250)).await;
    // The fuzzer reads every VSwitch of the profile around each step, a quarter second each
    // here: the /26 for prefix exhaustion, which the seed contract's sequences never use, would
    // spend the budget on reads before the first finding. The bound is what is tested.
    let mut profile = Profile::embedded();
    profile.fixtures.remove("prefix_vswitch");
    let profile = Arc::new(profile);
    let target = Arc::new(
        HttpTarget::new(HttpTargetOptions {
            request_timeout: timeout,
            ..HttpTargetOptions::local_emulator(&url, &profile)
        })
        .unwrap(),
    );
    let spec = TargetSpec::Http {
        target: Arc::clone(&target),
        signing: profile.signing,
    };
    let env = Arc::new(Env::new(Arc::clone(&profile), spec, Duration::from_secs(2)).unwrap());
    let out = std::env::temp_dir().join(format!(
        "eni-harness-fuzz-time-{mode:?}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&out);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let started = Instant::now();
    let observer = {
        let seen = Arc::clone(&seen);
        Arc::new(move |event: &FuzzEvent<'_>| {
            let mut seen = seen.lock().unwrap();
            match event {
                FuzzEvent::Found { .. } => seen.found.push(started.elapsed()),
                FuzzEvent::Handled(_) => seen.handled.push(started.elapsed()),
            }
        })
    };
    let options = FuzzOptions {
        seed: 5,
        runs: None,
        time: Some(time),
        jobs: 1,
        out: Some(out.clone()),
        // Far more than the run has: the run's bound must cut it.
        shrink: ShrinkBudget {
            attempts: 10_000,
            time: Duration::from_secs(600),
        },
        verify: Some(Verify {
            clean: Arc::new(EmbeddedTarget::new(&profile)),
            failing: target as Arc<dyn Target>,
            profile: Arc::clone(&profile),
        }),
        observer: Some(observer),
        ..FuzzOptions::default()
    };
    let report = fuzzer::fuzz(env, options).await;
    let elapsed = started.elapsed();
    let _ = std::fs::remove_dir_all(&out);
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    (report, seen, elapsed)
}

fn assert_bounded(mode: Hostile, report: &FuzzReport, seen: &Seen, elapsed: Duration) {
    eprintln!("{mode:?} in {elapsed:?}:\n{}", report.summary());
    let (time, timeout) = (Duration::from_secs(3), Duration::from_secs(1));
    // Time plus one request timeout, and a little for the test's own scheduling.
    assert!(
        elapsed <= time + timeout + Duration::from_millis(400),
        "{mode:?}: the run took {elapsed:?} with --time {time:?} and a {timeout:?} request timeout\n{}",
        report.summary()
    );
    assert!(
        !report.findings.is_empty(),
        "{mode:?}: no finding\n{}",
        report.summary()
    );
    // Printed when found, long before the run ended, and before it was handled.
    let first = seen
        .found
        .first()
        .copied()
        .expect("a finding was announced");
    assert!(
        first + Duration::from_millis(500) < elapsed,
        "{mode:?}: announced at {first:?} of {elapsed:?}"
    );
    assert!(seen.handled.first().is_none_or(|handled| *handled >= first));
    // The deadline cut a shrink (or its proof) short, and the best case so far was written.
    assert!(
        report.findings.iter().any(|f| f.unfinished.is_some()
            || f.verified
                .as_ref()
                .is_some_and(|v| v.as_ref().is_err_and(|e| e.contains("--time")))),
        "{mode:?}: nothing was cut short by the deadline\n{}",
        report.summary()
    );
    assert!(
        report.findings.iter().all(|f| f.path.is_some()),
        "{mode:?}: a finding without its case\n{}",
        report.summary()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_time_bound_holds_against_an_endpoint_answering_500_while_shrinking() {
    let mode = Hostile::ServerError;
    let (report, seen, elapsed) =
        fuzz_hostile(mode, Duration::from_secs(3), Duration::from_secs(1)).await;
    assert_bounded(mode, &report, &seen, elapsed);
    assert!(report.findings.iter().any(|f| f.kind.check == "no_5xx"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_time_bound_holds_against_an_endpoint_answering_invalid_utf8_while_shrinking() {
    let mode = Hostile::InvalidUtf8;
    let (report, seen, elapsed) =
        fuzz_hostile(mode, Duration::from_secs(3), Duration::from_secs(1)).await;
    assert_bounded(mode, &report, &seen, elapsed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_fast_stops_at_the_first_finding() {
    let profile = Arc::new(Profile::embedded());
    let defect = eni_emulator::Defect::SeedSpaceKey500;
    let configure: fuzzer::Configure = Arc::new(move |config| config.defects = vec![defect]);
    let spec = TargetSpec::Embedded {
        configure,
        label: "embedded (seed-space-key-500)".into(),
    };
    let env = Arc::new(Env::new(Arc::clone(&profile), spec, Duration::ZERO).unwrap());
    let options = FuzzOptions {
        runs: Some(5000),
        time: Some(Duration::from_secs(30)),
        jobs: 1,
        fail_fast: true,
        shrink: ShrinkBudget {
            attempts: 20,
            time: Duration::from_secs(2),
        },
        ..FuzzOptions::default()
    };
    let report = fuzzer::fuzz(env, options).await;
    assert!(report.stopped_at_first, "{}", report.summary());
    assert_eq!(report.findings.len(), 1, "{}", report.summary());
    assert!(report.sequences < 5000, "{}", report.summary());
    assert!(
        !report.is_vacuous(),
        "a run stopped at its finding is judged by it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_endpoint_is_named_as_such_not_blamed_on_the_fixtures() {
    // A port nobody listens on any more.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    drop(listener);
    let profile = Arc::new(Profile::embedded());
    let target = Arc::new(
        HttpTarget::new(HttpTargetOptions {
            request_timeout: Duration::from_secs(1),
            ..HttpTargetOptions::local_emulator(&url, &profile)
        })
        .unwrap(),
    );
    let spec = TargetSpec::Http {
        target,
        signing: profile.signing,
    };
    let env = Arc::new(Env::new(Arc::clone(&profile), spec, Duration::ZERO).unwrap());
    let options = FuzzOptions {
        runs: Some(20),
        time: Some(Duration::from_secs(10)),
        ..FuzzOptions::default()
    };
    let report = fuzzer::fuzz(env, options).await;
    assert!(report.is_vacuous());
    let summary = report.summary();
    assert!(summary.contains("no request was answered"), "{summary}");
    assert!(summary.contains("connect"), "{summary}");
    assert!(
        !summary.contains("check the profile's fixtures"),
        "{summary}"
    );
}
