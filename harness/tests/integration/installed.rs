//! The binary as an installed tool: run from a folder with no checkout, it serves a built-in
//! world by name, runs the suite it carries against it with a profile written by hand from that
//! world, and writes the suite out for a team that wants its own copy.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::scratch::Scratch;

const BIN: &str = env!("CARGO_BIN_EXE_eni-harness");

/// The command run in `dir`, its cache there too (a clean machine has none).
fn harness(dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .current_dir(dir)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
        .env_remove("ALIBABA_CLOUD_SECURITY_TOKEN");
    command
}

/// `eni-harness serve` on a loopback port 0; killed on drop.
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

fn serve(dir: &Path, world: &str) -> Served {
    serve_with(dir, &["--world", world])
}

/// What a user writes for the lanes world from its file: the first lane's ids and CIDRs, the
/// instances by id and type only (the run reads their primaries), no claim to be the reference
/// emulator and no recordings of its own. The region comes from the environment.
const MINE: &str = "\
name: mine
contract: seed
region: ${env:EH_TEST_REGION}
format: JSON
signing: v1
fixtures:
  vswitch: {kind: vswitch, id: vsw-bp1main00000000000001, cidr: 192.168.0.0/24, zone: cn-hangzhou-h}
  small_vswitch: {kind: vswitch, id: vsw-bp1small0000000000001, cidr: 192.168.1.0/29, zone: cn-hangzhou-h}
  security_group: {kind: security_group, id: sg-bp1default00000000001}
  running_instance: {kind: instance, id: i-bp1running0000000000001, type: ecs.g6.large}
  stopped_instance: {kind: instance, id: i-bp1stopped0000000000001, type: ecs.g7.xlarge, status: Stopped}
  starting_instance: {kind: instance, id: i-bp1starting000000000001, type: ecs.g6.large, status: Starting}
";

/// The whole path for a new user: from a folder with no checkout, serve the lanes world
/// by name, let `init` discover a profile from the endpoint, and pass the built-in suite with it.
#[test]
fn from_any_folder_init_writes_a_profile_the_built_in_suite_passes_with() {
    let scratch = Scratch::new("installed", "init");
    let served = serve(&scratch.0, "lanes");
    let init = harness(&scratch.0)
        .args(["init", "--target", &served.url])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&init.stdout);
    assert_eq!(
        init.status.code(),
        Some(0),
        "{said}\n{}",
        String::from_utf8_lossy(&init.stderr)
    );
    assert!(
        said.contains("built-in"),
        "init checked the built-in suite's fixtures: {said}"
    );
    assert!(
        said.contains(&format!(
            "Next: eni-harness run --target {} --profile profile.yaml",
            served.url
        )),
        "init says what to run next, against the endpoint it read: {said}"
    );
    let output = harness(&scratch.0)
        .args(["run", "--target", &served.url, "--profile", "profile.yaml"])
        .args(["--no-progress", "--timeout", "10s"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("Suite: built-in"), "{stdout}");
    let verdict = stdout.lines().last().unwrap();
    assert!(
        verdict.starts_with("PASS: ") && verdict.contains(" 0 failed"),
        "{verdict}"
    );
}

#[test]
fn from_any_folder_the_built_in_suite_passes_against_a_served_built_in_world() {
    let scratch = Scratch::new("installed", "run");
    let served = serve(&scratch.0, "lanes");
    // A profile written by hand (`init` writes one from the endpoint: the test above).
    std::fs::write(scratch.0.join("mine.yaml"), MINE).unwrap();
    let started = Instant::now();
    let output = harness(&scratch.0)
        .args(["run", "--target", &served.url, "--profile", "mine.yaml"])
        .args(["--no-progress", "--timeout", "10s", "--json", "report.json"])
        .env("EH_TEST_REGION", "cn-hangzhou")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("Suite: built-in"), "{stdout}");
    let verdict = stdout.lines().last().unwrap();
    assert!(
        verdict.starts_with("PASS: ") && verdict.contains(" 0 failed"),
        "{verdict}"
    );
    let passed: usize = verdict["PASS: ".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(passed > 100, "{verdict}");
    assert!(scratch.0.join("report.json").is_file());
    assert!(started.elapsed() < Duration::from_secs(300));
}

#[test]
fn an_exported_copy_is_the_suite_and_runs_where_it_lies() {
    let scratch = Scratch::new("installed", "export");
    let exported = harness(&scratch.0)
        .args(["cases", "export", "copy"])
        .output()
        .unwrap();
    assert_eq!(
        exported.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in [
        "cases/assign/by-count-one.yaml",
        "profiles/lanes.yaml",
        "harness/emulator/worlds/lanes.yaml",
    ] {
        assert_eq!(
            std::fs::read(scratch.0.join("copy").join(file)).unwrap(),
            std::fs::read(checkout.join(file)).unwrap(),
            "{file}"
        );
    }
    // A second export over an edited copy refuses and names the file.
    let edited = scratch.0.join("copy/profiles/lanes.yaml");
    std::fs::write(&edited, "name: edited\n").unwrap();
    let again = harness(&scratch.0)
        .args(["cases", "export", "copy"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("lanes.yaml"));
    // In the copy, `run` takes the cases/ there, and the README's world path works as written.
    let copy = scratch.0.join("copy");
    let served = serve(&copy, "harness/emulator/worlds/lanes.yaml");
    let output = harness(&copy)
        .args([
            "run",
            "--target",
            &served.url,
            "--profile",
            "lanes",
            "--filter",
            "tag:assign",
        ])
        .args(["--no-progress", "--timeout", "10s"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("Suite: cases/ in the current folder"),
        "{stdout}"
    );
    assert!(
        stdout.lines().last().unwrap().contains(" 0 failed"),
        "{stdout}"
    );
}

#[test]
fn unknown_world_and_profile_names_say_what_exists() {
    let scratch = Scratch::new("installed", "names");
    let output = harness(&scratch.0)
        .args(["serve", "--world", "lanse"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("lanse") && stderr.contains("lanes"),
        "{stderr}"
    );
    let output = harness(&scratch.0)
        .args(["run", "--profile", "lanse", "--no-progress"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("lanse") && stderr.contains("embedded"),
        "{stderr}"
    );
}

/// A shared target that fails one request: with `--retries 1` the case that met it is FLAKY in
/// the console, the JSON and the JUnit report (a `flakyFailure`), and the run passes; without
/// retries it fails.
#[test]
fn a_case_passing_on_a_retry_is_flaky_in_every_report() {
    let scratch = Scratch::new("installed", "flaky");
    let run = |served: &Served, retries: &str| {
        harness(&scratch.0)
            .args(["run", "--target", &served.url, "--profile", "served"])
            .args(["--filter", "id:assign.by-count.one", "--retries", retries])
            .args(["--no-progress", "--json", "r.json", "--junit", "j.xml"])
            .output()
            .unwrap()
    };
    let served = serve_with(&scratch.0, &["--fault", "unavailable@nth=1"]);
    let output = run(&served, "0");
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    drop(served);
    let served = serve_with(&scratch.0, &["--fault", "unavailable@nth=1"]);
    let output = run(&served, "1");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("FLAKY") && stdout.contains("attempt 1:"),
        "{stdout}"
    );
    assert!(
        stdout.lines().last().unwrap().contains("0 failed, 1 flaky"),
        "{stdout}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(scratch.0.join("r.json")).unwrap()).unwrap();
    assert_eq!(json["flaky"], 1);
    assert_eq!(json["cases"][0]["verdict"], "flaky");
    assert_eq!(
        json["cases"][0]["failed_attempts"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let junit = std::fs::read_to_string(scratch.0.join("j.xml")).unwrap();
    assert!(junit.contains("<flakyFailure"), "{junit}");
    assert!(!junit.contains("<failure"), "{junit}");
}

fn serve_with(dir: &Path, extra: &[&str]) -> Served {
    let mut child = harness(dir)
        .args(["serve", "--addr", "127.0.0.1:0", "--async-delay", "0s"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = read_url(&mut child);
    Served { child, url }
}

fn read_url(child: &mut Child) -> String {
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(at) = line.find("http://127.0.0.1:") {
                let url: String = line[at..].split_whitespace().next().unwrap().to_string();
                let _ = sender.send(url);
            }
        }
    });
    receiver
        .recv_timeout(Duration::from_secs(30))
        .expect("serve printed its URL")
}

/// The GitHub Action's script as CI runs it (harness/tests/action.sh), and the action passing
/// the script every variable it reads.
#[test]
fn the_github_action_runs_as_ci_runs_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let action = std::fs::read_to_string(root.join("action.yml")).unwrap();
    let script = std::fs::read_to_string(root.join("action/run.sh")).unwrap();
    for variable in [
        "ENI_HARNESS",
        "INPUT_TARGET",
        "INPUT_PROFILE",
        "INPUT_REPORTS",
        "INPUT_ARGS",
    ] {
        assert!(
            action.contains(&format!("{variable}: ")),
            "action.yml sets {variable}"
        );
        assert!(script.contains(variable), "run.sh reads {variable}");
    }
    assert!(action.contains("using: composite"));
    let output = Command::new("bash")
        .arg(root.join("harness/tests/action.sh"))
        .arg(BIN)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `fmt --check` passes on the repository's cases; on a file out of canonical form it names the
/// file and exits 1, and `fmt` then rewrites it, comments and schema line included.
#[test]
fn fmt_check_passes_on_the_suite_and_names_what_it_would_change() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(BIN)
        .current_dir(root)
        .args(["fmt", "--check", "cases"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let scratch = Scratch::new("installed", "fmt");
    let folder = scratch.0.join("cases/mine");
    std::fs::create_dir_all(&folder).unwrap();
    let file = folder.join("one.yaml");
    let source = "# why this case\nid: mine.one\ntitle: \"One\"\nsteps:\n  - name: s   # the step\n    action: DescribeNetworkInterfaces\n    expect: { status: 200 }\n";
    std::fs::write(&file, source).unwrap();
    let check = harness(&scratch.0)
        .args(["fmt", "--check", "cases"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(
        stdout.contains("would reformat cases/mine/one.yaml"),
        "{stdout}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), source);
    let fix = harness(&scratch.0).args(["fmt", "cases"]).output().unwrap();
    assert_eq!(fix.status.code(), Some(0));
    let formatted = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        formatted,
        "# yaml-language-server: $schema=../../schemas/case.schema.json\n# why this case\nid: mine.one\ntitle: One\nsteps:\n  - name: s  # the step\n    action: DescribeNetworkInterfaces\n"
    );
    let again = harness(&scratch.0)
        .args(["fmt", "--check", "cases"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0));
}

/// `--require-coverage` fails a run that leaves a row of the contract unexercised, naming the
/// rows, and passes the whole suite, which reaches every row.
#[test]
fn require_coverage_fails_a_run_that_leaves_rows_unreached_and_passes_the_suite() {
    let scratch = Scratch::new("installed", "coverage");
    let one_case = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases/assign/by-count-one.yaml");
    let run = |args: &[&str]| {
        let output = harness(&scratch.0)
            .arg("run")
            .args(args)
            .arg("--no-progress")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        (output.status.code(), stdout)
    };
    let one = one_case.to_str().unwrap();
    // The checkout's case run from outside its checkout has no recording beside it: without
    // `--snapshots off` a proposal would be written next to the scratch folder, outside it.
    let (code, stdout) = run(&[one, "--snapshots", "off"]);
    assert_eq!(code, Some(0), "the case passes without the flag: {stdout}");
    let (code, stdout) = run(&[one, "--snapshots", "off", "--require-coverage"]);
    assert_eq!(code, Some(1), "{stdout}");
    let line = stdout
        .lines()
        .find(|line| line.starts_with("coverage: "))
        .unwrap_or_else(|| panic!("a line names the unreached rows: {stdout}"));
    assert!(
        line.contains("--require-coverage") && line.contains("16"),
        "{line}"
    );
    let (code, stdout) = run(&["--require-coverage"]);
    assert_eq!(
        code,
        Some(0),
        "the built-in suite reaches every row: {stdout}"
    );
    assert!(!stdout.contains("reached by no case"), "{stdout}");
}
