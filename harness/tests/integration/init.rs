//! `eni-harness init` end to end, as a user runs it: `serve` started from another folder, `init`
//! against it, then the suite with the profile it wrote. Loopback, port 0, every child bounded.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A folder of this test's own, outside the repository.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eni-init-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A served emulator, killed when dropped.
struct Served {
    child: Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path, extra: &[&str]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eni-harness"))
        .args(["serve", "--addr", "127.0.0.1:0", "--async-delay", "0s"])
        .args(extra)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    // The first line names the URL it bound.
    let first = lines.next().expect("serve printed a line").unwrap();
    let url = first
        .split_whitespace()
        .find(|word| word.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no URL in `{first}`"))
        .to_string();
    // Keep draining, so a full pipe never stalls the server.
    std::thread::spawn(move || for _ in lines {});
    Served { child, url }
}

/// Runs the harness in `dir`, killed if it outlives `limit`.
fn harness(dir: &Path, args: &[&str], limit: Duration) -> Output {
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
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("eni-harness {args:?} ran longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn init_then_run(world: Option<&str>, name: &str) {
    let dir = scratch(name);
    let world = world.map(|w| repo().join(w).display().to_string());
    let extra: Vec<&str> = match &world {
        Some(world) => vec!["--world", world.as_str()],
        None => vec![],
    };
    let served = serve(&dir, &extra);
    let cases = repo().join("cases").display().to_string();
    let init = harness(
        &dir,
        &["init", "--target", &served.url, "--cases", &cases],
        Duration::from_secs(60),
    );
    let said = text(&init);
    assert!(init.status.success(), "{said}");
    assert!(said.contains("Every case of"), "{said}");
    let written = std::fs::read_to_string(dir.join("profile.yaml")).unwrap();
    for fixture in [
        "vswitch:",
        "small_vswitch:",
        "security_group:",
        "running_instance:",
        "stopped_instance:",
        "starting_instance:",
    ] {
        assert!(written.contains(fixture), "{fixture}\n{written}");
    }
    // Written once: a second init does not overwrite it.
    let again = harness(
        &dir,
        &["init", "--target", &served.url, "--cases", &cases],
        Duration::from_secs(60),
    );
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));

    let run = harness(
        &dir,
        &[
            "run",
            &cases,
            "--target",
            &served.url,
            "--profile",
            "profile.yaml",
        ],
        Duration::from_secs(300),
    );
    let said = text(&run);
    assert!(run.status.success(), "{said}");
    let verdict = said
        .lines()
        .find(|line| line.starts_with("PASS: "))
        .unwrap_or_else(|| panic!("no verdict in:\n{said}"));
    assert!(verdict.contains(" 0 failed"), "{verdict}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn init_against_the_lanes_world_writes_a_profile_the_suite_passes_with() {
    init_then_run(Some("harness/emulator/worlds/lanes.yaml"), "lanes");
}

#[test]
fn init_against_the_default_world_writes_a_profile_the_suite_passes_with() {
    init_then_run(None, "default");
}

#[test]
fn init_refuses_a_region_the_endpoint_does_not_serve() {
    let dir = scratch("region");
    let served = serve(&dir, &[]);
    let init = harness(
        &dir,
        &["init", "--target", &served.url, "--region", "cn-nowhere"],
        Duration::from_secs(60),
    );
    let said = text(&init);
    assert_eq!(init.status.code(), Some(1), "{said}");
    assert!(said.contains("InvalidRegionId.NotFound"), "{said}");
    assert!(!dir.join("profile.yaml").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
