//! The verified state store on real files: sections kept apart, a hand-broken file refused
//! and left as it is, two processes hammering the same file without losing an update, and
//! kill -9 at random moments never leaving a torn file.

use netparc::state::StateStore;
use serde_json::json;
use std::io::BufRead;
use std::process::{Command, Stdio};

/// Environment switch that turns the ignored `child_process` test into a writer process.
const CHILD: &str = "NETPARC_STATE_CHILD";

#[test]
fn sections_are_kept_apart_and_files_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::open(dir.path());
    store
        .update("sw1", "verification", json!({"reachable": true}))
        .unwrap();
    store
        .update("sw1", "last_change", json!({"run": "r1"}))
        .unwrap();
    let sections = store.load("sw1").unwrap();
    assert_eq!(sections["verification"], json!({"reachable": true}));
    assert_eq!(sections["last_change"], json!({"run": "r1"}));
    assert_eq!(sections["asset"], json!("sw1"));
    let path = store.path("sw1").unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# Written by netparc"), "{text}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(store.load("never-seen").unwrap().is_empty());
    let error = store
        .update("../etc", "x", json!(1))
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "`../etc` cannot name a state file (no `/`, no leading `.`, no control characters)"
    );
}

#[test]
fn a_hand_broken_state_file_is_an_error_and_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::open(dir.path());
    store
        .update("sw1", "verification", json!({"reachable": true}))
        .unwrap();
    let path = store.path("sw1").unwrap();
    let broken = "asset: sw1\nverification: {reachable: true\n";
    std::fs::write(&path, broken).unwrap();
    let error = store.load("sw1").unwrap_err().to_string();
    assert!(
        error.starts_with(&format!("{}:", path.display())),
        "{error}"
    );
    assert!(error.contains("is not valid YAML"), "{error}");
    assert!(error.contains("netparc leaves it untouched"), "{error}");
    let error = store
        .update("sw1", "last_change", json!({"run": "r2"}))
        .unwrap_err()
        .to_string();
    assert!(error.contains("is not valid YAML"), "{error}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);
    let (states, errors) = store.load_all();
    assert!(states.is_empty());
    assert_eq!(errors.len(), 1);
}

fn child(dir: &std::path::Path, mode: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            "state::child_process",
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD, format!("{mode}:{}", dir.display()));
    command
}

/// Not a test: the writer process the tests below start (`NETPARC_STATE_CHILD=mode:dir`).
#[test]
#[ignore = "a helper process for the state tests, started by them"]
fn child_process() {
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    let (mode, dir) = spec.split_once(':').unwrap();
    let store = StateStore::open(std::path::Path::new(dir));
    match mode {
        "count" => {
            for _ in 0..200 {
                store
                    .modify("shared", "counter", |old| {
                        json!(old.and_then(|v| v.as_u64()).unwrap_or(0) + 1)
                    })
                    .unwrap();
            }
        }
        "crash" => {
            // Big enough that a write takes a while: a kill lands mid-write often.
            let payload: Vec<String> = (0..2000).map(|i| format!("interface-{i:05}")).collect();
            let mut out = std::io::stdout().lock();
            // Go on from what the killed predecessor left.
            let start = store
                .section("victim", "verification")
                .unwrap()
                .and_then(|v| v["sequence"].as_u64())
                .unwrap_or(0);
            for sequence in start + 1.. {
                store
                    .update(
                        "victim",
                        "verification",
                        json!({"sequence": sequence, "payload": payload}),
                    )
                    .unwrap();
                use std::io::Write;
                writeln!(out, "wrote {sequence}").unwrap();
                out.flush().unwrap();
            }
        }
        other => panic!("unknown child mode {other}"),
    }
}

#[test]
fn two_processes_hammering_the_same_file_lose_no_update() {
    let dir = tempfile::tempdir().unwrap();
    let mut children: Vec<_> = (0..2)
        .map(|_| {
            child(dir.path(), "count")
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in &mut children {
        assert!(child.wait().unwrap().success());
    }
    let store = StateStore::open(dir.path());
    assert_eq!(
        store.section("shared", "counter").unwrap(),
        Some(json!(400))
    );
}

#[test]
fn kill_9_at_any_moment_leaves_the_previous_or_the_next_complete_state() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::open(dir.path());
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..25 {
        let mut writer = child(dir.path(), "crash")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = std::io::BufReader::new(writer.stdout.take().unwrap()).lines();
        // xorshift: a different number of completed writes before each kill.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let wanted = 1 + (seed % 15) as usize;
        let mut last = store
            .section("victim", "verification")
            .unwrap()
            .and_then(|v| v["sequence"].as_u64())
            .unwrap_or(0);
        for line in lines.take(wanted) {
            let line = line.unwrap();
            if let Some(n) = line.strip_prefix("wrote ") {
                last = n.parse().unwrap();
            }
        }
        writer.kill().unwrap();
        writer.wait().unwrap();
        let sections = store
            .load("victim")
            .unwrap_or_else(|e| panic!("round {round}: torn state file: {e}"));
        let sequence = sections["verification"]["sequence"].as_u64().unwrap();
        assert!(
            sequence == last || sequence == last + 1,
            "round {round}: read {sequence}, last completed {last}"
        );
        assert_eq!(
            sections["verification"]["payload"]
                .as_array()
                .unwrap()
                .len(),
            2000
        );
    }
}
