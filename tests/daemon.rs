//! The daemon against the twin lab: incidents after N failures with their GTI/GTR clocks,
//! acknowledgement, maintenance windows, flapping, reload, SIGTERM, and the API's refusals.
//! Intervals are short and every wait polls observable state (the database, the views, the
//! API) with a deadline: nothing synchronises on a fixed sleep.

use crate::playbook::Hq;
use netparc::daemon::machine::Status;
use netparc::daemon::store::Incident;
use netparc::daemon::{Daemon, DaemonOptions, Shared};
use netparc::lab::control::FaultRequest;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TOKEN: &str = "daemon-test-token-7c1f9e";

/// The HQ inventory with fast checks: every 200 ms, 150 ms while failing, down after 3
/// failures, up after 2 successes; SNMP gives up after 300 ms; the API token in a file.
fn fast_hq(extra_settings: &str) -> Hq {
    let hq = Hq::new();
    let root = hq.root();
    let edit = |file: &str, from: &str, to: &str| {
        let path = root.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} lacks {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    };
    edit("defaults.yml", "  interval: 30s", "  interval: 200ms");
    edit(
        "defaults.yml",
        "  retry_interval: 10s",
        "  retry_interval: 150ms",
    );
    edit(
        "defaults.yml",
        "  flapping: {changes: 6, window: 15m}",
        "  flapping: {changes: 4, window: 10m}",
    );
    edit(
        "defaults.yml",
        "  timeout_ms: 2000\n  retries: 1\n",
        // Generous: a debug build on two busy cores can take a few hundred ms to answer
        // SNMPv3, and a timeout would be an incident of its own.
        "  timeout_ms: 1000\n  retries: 0\n",
    );
    edit(
        "netparc.yml",
        "  api_token: env:NETPARC_API_TOKEN",
        &format!("  api_token: file:api-token.txt\n{extra_settings}"),
    );
    let token = root.join("api-token.txt");
    std::fs::write(&token, TOKEN).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
    hq
}

async fn start(root: &Path, limit: &str) -> (Daemon, SocketAddr) {
    let mut options = DaemonOptions::new(root);
    options.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    options.lab = true;
    options.limit = Some(limit.to_string());
    options.watch_every = None;
    let daemon = match Daemon::start(options).await {
        Ok(daemon) => daemon,
        Err(error) => panic!("daemon did not start: {error}"),
    };
    let address = daemon.local_addr().unwrap();
    (daemon, address)
}

/// Poll `probe` every 20 ms until it returns Some, or fail after `seconds`.
async fn wait_for<T>(what: &str, seconds: u64, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Some(found) = probe() {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn status(shared: &Shared, asset: &str) -> Option<Status> {
    shared.views().get(asset).map(|v| v.status)
}

fn incidents_of(shared: &Shared, asset: &str) -> Vec<Incident> {
    shared
        .store
        .incidents_since(0, 1000)
        .unwrap()
        .into_iter()
        .filter(|i| i.asset == asset)
        .collect()
}

fn fault(daemon: &Daemon, asset: &str, fault: &str, on: bool) {
    set_fault(&daemon.lab().unwrap(), asset, fault, on);
}

fn set_fault(lab: &netparc::lab::Lab, asset: &str, fault: &str, on: bool) {
    lab.fault(&FaultRequest {
        asset: asset.into(),
        fault: fault.into(),
        on,
    })
    .unwrap();
}

/// One HTTP/1.1 request; (status, body).
async fn http(
    address: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let code = response
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (code, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_down_device_opens_one_incident_after_n_failures_and_resolves_with_its_clocks() {
    let hq = fast_hq("");
    let (daemon, address) = start(&hq.root(), "sw-hq-02").await;
    let shared = daemon.shared();
    let lab = daemon.lab().unwrap();
    let stop = Arc::new(tokio::sync::Notify::new());
    let running = tokio::spawn(daemon_run(daemon, stop.clone()));
    wait_for("sw-hq-02 up", 30, || {
        (status(&shared, "sw-hq-02") == Some(Status::Up)).then_some(())
    })
    .await;

    set_fault(&lab, "sw-hq-02", "down", true);
    let opened = wait_for("an incident", 30, || {
        incidents_of(&shared, "sw-hq-02").into_iter().next()
    })
    .await;
    assert_eq!(opened.kind, "down");
    assert_eq!(opened.service_level.as_deref(), Some("silver"));
    assert_eq!(
        (opened.gti_target_ms, opened.gtr_target_ms),
        (Some(4 * 3_600_000), Some(86_400_000))
    );
    assert_eq!(opened.priority, 2, "switches: impact high, urgency medium");
    // Exactly N = 3 failed checks: two while still up, the third turned it down.
    let history = shared.store.history("sw-hq-02", 1000).unwrap();
    let failed_while_up = history
        .iter()
        .filter(|c| c.outcome == "failed" && c.status == "up")
        .count();
    assert_eq!(failed_while_up, 2, "{history:?}");
    // More failed checks open nothing more.
    let seen = history.len();
    wait_for("three more checks", 30, || {
        (shared.store.history("sw-hq-02", 1000).unwrap().len() >= seen + 3).then_some(())
    })
    .await;
    assert_eq!(incidents_of(&shared, "sw-hq-02").len(), 1);

    // Acknowledged: the GTI clock stops there.
    let (code, body) = http(
        address,
        "POST",
        &format!("/api/incidents/{}/acknowledge", opened.id),
        Some(TOKEN),
        r#"{"by": "alice"}"#,
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let acked = shared.store.incident(opened.id).unwrap();
    let acked_at = acked.acknowledged_at.unwrap();
    let gti = acked.clocks(acked_at + 60_000).gti_ms;
    assert_eq!(gti, acked_at - opened.opened_at);
    assert_eq!(acked.clocks(acked_at + 3_600_000).gti_ms, gti, "stopped");
    assert!(acked.clocks(acked_at + 60_000).gtr_running);

    set_fault(&lab, "sw-hq-02", "down", false);
    let resolved = wait_for("resolution", 30, || {
        shared
            .store
            .incident(opened.id)
            .ok()
            .filter(|i| i.resolved_at.is_some())
    })
    .await;
    assert_eq!(resolved.resolved_by.as_deref(), Some("auto"));
    let clocks = resolved.clocks(resolved.resolved_at.unwrap() + 3_600_000);
    assert_eq!(
        clocks.gtr_ms,
        resolved.resolved_at.unwrap() - opened.opened_at
    );
    assert_eq!(clocks.gti_ms, gti);
    assert!(!clocks.gti_breached && !clocks.gtr_breached);
    assert_eq!(status(&shared, "sw-hq-02"), Some(Status::Up));
    assert_eq!(incidents_of(&shared, "sw-hq-02").len(), 1);

    // The status page and the metrics show it.
    let (code, page) = http(address, "GET", "/", None, "").await;
    assert_eq!(code, 200);
    assert!(
        page.contains("data-asset=\"sw-hq-02\" data-status=up"),
        "{page}"
    );
    let (_, metrics) = http(address, "GET", "/metrics", None, "").await;
    assert!(
        metrics.contains("probe_success{asset=\"sw-hq-02\",site=\"hq\",kind=\"switch\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("netparc_open_incidents{site=\"hq\"} 0"));
    stop.notify_one();
    running.await.unwrap();
}

/// Run the daemon until `stop` is notified.
async fn daemon_run(daemon: Daemon, stop: Arc<tokio::sync::Notify>) {
    daemon.run(async move { stop.notified().await }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_maintenance_window_suppresses_the_incident() {
    let start_at = netparc::inventory::date::Date::timestamp(
        std::time::SystemTime::now() - Duration::from_secs(120),
    );
    let start_at = &start_at[..16];
    let hq = fast_hq("  concurrency: 8\n");
    let root = hq.root();
    let path = root.join("netparc.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replacen(
        "  maintenance:\n",
        &format!(
            "  maintenance:\n    - {{name: switch swap, limit: sw-hq-02, start: {start_at}, duration: 1h}}\n"
        ),
        1,
    );
    std::fs::write(&path, text).unwrap();
    let (daemon, address) = start(&root, "sw-hq-02").await;
    fault(&daemon, "sw-hq-02", "down", true);
    let shared = daemon.shared();
    let stop = Arc::new(tokio::sync::Notify::new());
    let running = tokio::spawn(daemon_run(daemon, stop.clone()));
    wait_for("sw-hq-02 down", 30, || {
        (status(&shared, "sw-hq-02") == Some(Status::Down)).then_some(())
    })
    .await;
    let seen = shared.store.history("sw-hq-02", 1000).unwrap().len();
    wait_for("more checks", 30, || {
        (shared.store.history("sw-hq-02", 1000).unwrap().len() >= seen + 2).then_some(())
    })
    .await;
    assert!(incidents_of(&shared, "sw-hq-02").is_empty());
    assert_eq!(
        shared.views()["sw-hq-02"].maintenance.as_deref(),
        Some("switch swap")
    );
    let (_, page) = http(address, "GET", "/", None, "").await;
    assert!(page.contains("maintenance: switch swap"), "{page}");
    // Every moment it was watched lies in the window: nothing is measured against it.
    assert!(page.contains("(maintenance left out: "), "{page}");
    stop.notify_one();
    running.await.unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_netparc"))
        .args(["sla", "-i", ".", "--since", "1d", "--format", "json"])
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(output.status.success());
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["maintenance_excluded"], true);
    let row = report["assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["asset"] == "sw-hq-02")
        .unwrap();
    assert_eq!(row["observed_ms"], 0, "{row}");
    assert_eq!(row["down_ms"], 0, "{row}");
    assert!(row["availability"].is_null(), "{row}");
    // Down from its first state (the fault was on before the first check), all of it in
    // the window.
    assert!(row["down_in_maintenance_ms"].as_i64().unwrap() > 0, "{row}");
    assert_eq!(
        row["maintenance_ms"], row["down_in_maintenance_ms"],
        "{row}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_business_hours_service_level_counts_only_business_time_and_says_so() {
    use netparc::inventory::date::Date;
    // Every day worked round the clock, except yesterday, today and tomorrow (UTC): at
    // whatever time the test runs, the clocks stand at zero and fall due the day after.
    let today = Date::today().days_since_epoch();
    let day = |n: i64| Date::from_days_since_epoch(today + n).to_string();
    let hq = fast_hq("");
    let root = hq.root();
    let path = root.join("netparc.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let from = text.find("  business_hours:\n").unwrap();
    let end = from + text[from..].find("holidays:").unwrap();
    let end = end + text[end..].find('\n').unwrap() + 1;
    let text = format!(
        "{}  business_hours:\n    days: [mon, tue, wed, thu, fri, sat, sun]\n    from: \"00:00\"\n    \
         to: \"24:00\"\n    holidays: [\"{}\", \"{}\", \"{}\"]\n{}",
        &text[..from],
        day(-1),
        day(0),
        day(1),
        &text[end..]
    )
    .replacen(
        "    silver: {gti: 4h, gtr: 1d}",
        "    silver: {gti: 4h, gtr: 1d, hours: business}",
        1,
    );
    std::fs::write(&path, text).unwrap();
    let (daemon, address) = start(&root, "sw-hq-02").await;
    fault(&daemon, "sw-hq-02", "down", true);
    let shared = daemon.shared();
    let stop = Arc::new(tokio::sync::Notify::new());
    let running = tokio::spawn(daemon_run(daemon, stop.clone()));
    let opened = wait_for("an incident", 30, || {
        incidents_of(&shared, "sw-hq-02").into_iter().next()
    })
    .await;
    assert_eq!(opened.service_level.as_deref(), Some("silver"));
    let clocks = opened.clocks(netparc::daemon::now_ms());
    let midnight = |n: i64| (today + n) * 86_400_000;
    assert_eq!(
        (clocks.hours.as_str(), clocks.gti_ms, clocks.gtr_ms),
        ("business", 0, 0)
    );
    assert_eq!(clocks.gti_due_at, Some(midnight(2) + 4 * 3_600_000));
    assert_eq!(clocks.gtr_due_at, Some(midnight(3)));
    let (code, body) = http(address, "GET", "/api/incidents", None, "").await;
    assert_eq!(code, 200);
    let list: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(list[0]["clocks"]["hours"], "business", "{body}");
    assert_eq!(list[0]["business_hours"]["to"], "24:00", "{body}");
    let (_, page) = http(address, "GET", "/", None, "").await;
    assert!(page.contains(">business</td>"), "{page}");
    stop.notify_one();
    running.await.unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_netparc"))
        .args(["incidents", "-i", "."])
        .current_dir(&root)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    let row = text.lines().find(|l| l.contains("sw-hq-02")).unwrap();
    assert!(row.contains(" business "), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flapping_device_raises_one_flapping_state_not_a_storm() {
    let hq = fast_hq("");
    let root = hq.root();
    // Down after 1 failure, up after 1 success: every toggle is a change.
    let path = root.join("defaults.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text
        .replacen("  failures: 3\n", "  failures: 1\n", 1)
        .replacen("  successes: 2\n", "  successes: 1\n", 1);
    std::fs::write(&path, text).unwrap();
    let (daemon, _) = start(&root, "sw-hq-02").await;
    let lab = daemon.lab().unwrap();
    let shared = daemon.shared();
    let stop = Arc::new(tokio::sync::Notify::new());
    let running = tokio::spawn(daemon_run(daemon, stop.clone()));
    let toggle = |on: bool| {
        lab.fault(&FaultRequest {
            asset: "sw-hq-02".into(),
            fault: "down".into(),
            on,
        })
        .unwrap();
    };
    wait_for("up", 30, || {
        (status(&shared, "sw-hq-02") == Some(Status::Up)).then_some(())
    })
    .await;
    let mut down = false;
    for _ in 0..10 {
        down = !down;
        toggle(down);
        let want = if down { "failed" } else { "good" };
        // Wait for a check that saw the new state.
        wait_for("a check seeing the toggle", 30, || {
            shared
                .store
                .history("sw-hq-02", 1)
                .unwrap()
                .first()
                .filter(|c| c.outcome == want)
                .map(|_| ())
        })
        .await;
    }
    assert_eq!(status(&shared, "sw-hq-02"), Some(Status::Flapping));
    let incidents = incidents_of(&shared, "sw-hq-02");
    // Before detection (4 changes) the two downs opened two incidents; ten toggles did not
    // open ten.
    assert!(incidents.len() <= 2, "{incidents:?}");
    assert_eq!(
        incidents.iter().filter(|i| i.resolved_at.is_none()).count(),
        1,
        "one open incident while flapping"
    );
    stop.notify_one();
    running.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_keeps_incidents_and_states() {
    let hq = fast_hq("");
    let (daemon, address) = start(&hq.root(), "sw-hq-02").await;
    fault(&daemon, "sw-hq-02", "down", true);
    let lab = daemon.lab().unwrap();
    let shared = daemon.shared();
    let stop = Arc::new(tokio::sync::Notify::new());
    let running = tokio::spawn(daemon_run(daemon, stop.clone()));
    let opened = wait_for("an incident", 30, || {
        incidents_of(&shared, "sw-hq-02").into_iter().next()
    })
    .await;
    let before = shared.world();
    // An inventory edit, then a reload through the API.
    let path = hq.root().join("defaults.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("  rtt_ms: 150", "  rtt_ms: 180", 1)).unwrap();
    let (code, body) = http(address, "POST", "/api/reload", Some(TOKEN), "").await;
    assert_eq!(code, 202, "{body}");
    wait_for("the reload", 30, || {
        (!Arc::ptr_eq(&before, &shared.world())).then_some(())
    })
    .await;
    assert_eq!(shared.world().policies[0].rtt_ms, 180.0);
    let seen = shared.store.history("sw-hq-02", 1000).unwrap().len();
    wait_for("more checks", 30, || {
        (shared.store.history("sw-hq-02", 1000).unwrap().len() >= seen + 3).then_some(())
    })
    .await;
    assert_eq!(status(&shared, "sw-hq-02"), Some(Status::Down));
    assert_eq!(incidents_of(&shared, "sw-hq-02"), vec![opened.clone()]);
    lab.fault(&FaultRequest {
        asset: "sw-hq-02".into(),
        fault: "down".into(),
        on: false,
    })
    .unwrap();
    wait_for("resolution of the same incident", 30, || {
        shared
            .store
            .incident(opened.id)
            .ok()
            .filter(|i| i.resolved_at.is_some())
    })
    .await;
    assert_eq!(incidents_of(&shared, "sw-hq-02").len(), 1);
    stop.notify_one();
    running.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_endpoints_need_the_token_and_well_formed_json() {
    let hq = fast_hq("");
    let (daemon, address) = start(&hq.root(), "sw-hq-02").await;
    let shared = daemon.shared();
    let id = shared
        .store
        .open_incident(&netparc::daemon::store::NewIncident {
            asset: "sw-hq-02".into(),
            site: "hq".into(),
            kind: "down".into(),
            priority: 2,
            reason: "test".into(),
            service_level: None,
            opened_at: 1,
        })
        .unwrap();
    let stop = Arc::new(tokio::sync::Notify::new());
    let running = tokio::spawn(daemon_run(daemon, stop.clone()));
    let ack = format!("/api/incidents/{id}/acknowledge");
    let (code, body) = http(address, "POST", &ack, None, r#"{"by": "eve"}"#).await;
    assert_eq!(code, 401, "{body}");
    assert!(!body.contains(TOKEN));
    let (code, _) = http(address, "POST", &ack, Some("wrong"), r#"{"by": "eve"}"#).await;
    assert_eq!(code, 401);
    let (code, _) = http(
        address,
        "POST",
        &format!("/api/incidents/{id}/resolve"),
        None,
        r#"{"by": "eve"}"#,
    )
    .await;
    assert_eq!(code, 401);
    let (code, _) = http(address, "POST", "/api/reload", None, "").await;
    assert_eq!(code, 401);
    let (code, body) = http(address, "POST", &ack, Some(TOKEN), r#"{"by": "#).await;
    assert_eq!(code, 400);
    assert!(body.contains("malformed JSON body"), "{body}");
    let (code, body) = http(address, "POST", &ack, Some(TOKEN), r#"{"who": "x"}"#).await;
    assert_eq!(code, 400, "{body}");
    let (code, _) = http(
        address,
        "POST",
        "/api/incidents/999/acknowledge",
        Some(TOKEN),
        r#"{"by": "bob"}"#,
    )
    .await;
    assert_eq!(code, 404);
    assert!(shared.store.incident(id).unwrap().acknowledged_at.is_none());
    let (code, body) = http(
        address,
        "POST",
        &format!("/api/incidents/{id}/resolve"),
        Some(TOKEN),
        r#"{"by": "bob", "note": "replaced the PSU"}"#,
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("replaced the PSU"));
    let (code, _) = http(address, "GET", "/healthz", None, "").await;
    assert_eq!(code, 200);
    stop.notify_one();
    running.await.unwrap();
}

#[test]
fn sighup_reloads_and_sigterm_flushes_state_and_database() {
    use std::io::BufRead;
    let hq = fast_hq("");
    let root = hq.root();
    let log = hq.root().join("daemon.log");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_netparc"))
        .args([
            "daemon",
            "-i",
            ".",
            "--lab",
            "--limit",
            "sw-hq-02",
            "--listen",
            "127.0.0.1:0",
            "--writeback",
            "1h",
        ])
        .current_dir(&root)
        .env("RUST_LOG", "info,async_snmp=off")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("netparc daemon: http://"), "{line}");
    let state = root.join("state/assets/sw-hq-02.yml");
    let checked_at = |path: &Path| -> Option<String> {
        let text = std::fs::read_to_string(path).ok()?;
        text.lines()
            .find(|l| l.trim_start().starts_with("checked_at:"))
            .map(str::to_string)
    };
    // The first state change (unknown → up) is written at once.
    let deadline = Instant::now() + Duration::from_secs(30);
    let first = loop {
        if let Some(found) = checked_at(&state) {
            break found;
        }
        assert!(
            Instant::now() < deadline,
            "no write-back of the first state"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    // Later checks (same state) are held back by --writeback 1h, until SIGTERM. Wait for
    // them in the database (a second connection: WAL lets it read while the daemon writes).
    let store = netparc::daemon::store::Store::open(&root.join("state/netparc.db")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while store.history("sw-hq-02", 10).unwrap().len() < 4 {
        assert!(Instant::now() < deadline, "no further checks");
        std::thread::sleep(Duration::from_millis(20));
    }
    // checked_at has second resolution: let checks run for more than a second.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = store.history("sw-hq-02", 1000).unwrap();
        let span = rows.first().map(|r| r.at).unwrap_or(0) - rows.last().map(|r| r.at).unwrap_or(0);
        if span > 2_000 {
            break;
        }
        assert!(Instant::now() < deadline, "no further checks");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(checked_at(&state), Some(first.clone()), "held back");
    let pid = i32::try_from(child.id()).unwrap();
    // SIGHUP reloads (the log says so), and the daemon goes on.
    // SAFETY (both kills): kill(2) on the pid of the child spawned above; no memory is shared.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGHUP) }, 0);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("inventory reloaded")
    {
        assert!(Instant::now() < deadline, "no reload after SIGHUP");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(child.try_wait().unwrap().is_none(), "still running");
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the daemon did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit:?}");
    let last = checked_at(&state).unwrap();
    assert_ne!(last, first, "the held-back state was flushed on SIGTERM");
    // The WAL was folded into the database.
    let wal = root.join("state/netparc.db-wal");
    assert!(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) == 0);
    // The commands read the database without a daemon.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_netparc"))
        .args(["sla", "-i", ".", "--since", "1d"])
        .current_dir(&root)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("sw-hq-02") && text.contains("100.000%"),
        "{text}"
    );
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_netparc"))
        .args(["incidents", "-i", "."])
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("0 incident(s)"));
}

/// A tiny webhook receiver: every request body, as sent.
async fn webhook_receiver() -> (SocketAddr, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = Vec::new();
            let mut chunk = [0u8; 4096];
            // Read the head, then as many body bytes as Content-Length says.
            while let Ok(read) = stream.read(&mut chunk).await {
                if read == 0 {
                    break;
                }
                buffer.extend_from_slice(&chunk[..read]);
                let text = String::from_utf8_lossy(&buffer).to_string();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length = head
                        .lines()
                        .find_map(|l| l.strip_prefix("Content-Length: "))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if body.len() >= length {
                        let _ = tx.send(body.to_string());
                        break;
                    }
                }
            }
            let _ = stream
                .write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
                .await;
        }
    });
    (address, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interface_down_is_a_degraded_incident_raised_when_down_and_the_webhook_hears_of_it() {
    let (hook, mut received) = webhook_receiver().await;
    let hq = fast_hq(&format!("  webhook: http://{hook}/netparc\n"));
    let (daemon, _) = start(&hq.root(), "sw-hq-02").await;
    let lab = daemon.lab().unwrap();
    let shared = daemon.shared();
    let stop = Arc::new(tokio::sync::Notify::new());
    let running = tokio::spawn(daemon_run(daemon, stop.clone()));
    wait_for("up", 30, || {
        (status(&shared, "sw-hq-02") == Some(Status::Up)).then_some(())
    })
    .await;
    set_fault(
        &lab,
        "sw-hq-02",
        "interface-down=GigabitEthernet1/0/1",
        true,
    );
    let opened = wait_for("a degraded incident", 30, || {
        incidents_of(&shared, "sw-hq-02").into_iter().next()
    })
    .await;
    assert_eq!(opened.kind, "degraded");
    assert!(
        opened.reason.contains("Gi1/0/1") || opened.reason.contains("GigabitEthernet1/0/1"),
        "{}",
        opened.reason
    );
    // Impact high, urgency medium lowered to low for a degraded asset: P3.
    assert_eq!(opened.priority, 3);
    assert_eq!(status(&shared, "sw-hq-02"), Some(Status::Degraded));
    let body = tokio::time::timeout(Duration::from_secs(30), received.recv())
        .await
        .expect("the webhook was called")
        .unwrap();
    let event: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(event["event"], "opened");
    assert_eq!(event["incident"]["id"], opened.id);
    assert!(!body.contains(TOKEN));
    set_fault(
        &lab,
        "sw-hq-02",
        "interface-down=GigabitEthernet1/0/1",
        false,
    );
    let body = tokio::time::timeout(Duration::from_secs(30), received.recv())
        .await
        .expect("the webhook was called again")
        .unwrap();
    assert!(body.contains("\"resolved\""), "{body}");
    stop.notify_one();
    running.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inventory_file_change_reloads() {
    let hq = fast_hq("");
    let mut options = DaemonOptions::new(hq.root());
    options.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    options.lab = true;
    options.limit = Some("sw-hq-02".into());
    options.watch_every = Some(Duration::from_millis(100));
    let daemon = Daemon::start(options).await.unwrap();
    let shared = daemon.shared();
    let stop = Arc::new(tokio::sync::Notify::new());
    let running = tokio::spawn(daemon_run(daemon, stop.clone()));
    let before = shared.world();
    let path = hq.root().join("defaults.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    // A longer file (the size is part of the fingerprint, whatever the clock's resolution).
    std::fs::write(&path, text.replacen("  rtt_ms: 150", "  rtt_ms: 1500", 1)).unwrap();
    wait_for("the reload", 30, || {
        (!Arc::ptr_eq(&before, &shared.world())).then_some(())
    })
    .await;
    assert_eq!(shared.world().policies[0].rtt_ms, 1500.0);
    // A broken edit keeps the previous inventory.
    let current = shared.world();
    std::fs::write(&path, "monitoring: [not, a, map\n").unwrap();
    let checks = shared.store.history("sw-hq-02", 1000).unwrap().len();
    wait_for("checks going on", 30, || {
        (shared.store.history("sw-hq-02", 1000).unwrap().len() >= checks + 3).then_some(())
    })
    .await;
    assert!(Arc::ptr_eq(&current, &shared.world()));
    stop.notify_one();
    running.await.unwrap();
}

#[test]
fn check_reports_monitoring_mistakes() {
    let hq = Hq::new();
    let root = hq.root();
    let path = root.join("defaults.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text
        .replacen("  retry_interval: 10s", "  retry_intervall: 10s", 1)
        .replacen("  service_level: bronze", "  service_level: platinum", 1);
    std::fs::write(&path, text).unwrap();
    // Business hours: a bad day, closing before opening, an unknown `hours:` value.
    let path = root.join("netparc.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text
        .replacen(
            "    days: [mon, tue, wed, thu, fri]",
            "    days: [mon, tue, wed, thu, fri, caturday]",
            1,
        )
        .replacen("    to: \"18:00\"", "    to: \"08:00\"", 1)
        .replacen(
            "    silver: {gti: 4h, gtr: 1d}",
            "    silver: {gti: 4h, gtr: 1d, hours: ouvrees}",
            1,
        );
    std::fs::write(&path, &text).unwrap();
    let line_of = |needle: &str| {
        1 + text
            .lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle}"))
    };
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_netparc"))
        .args(["check", "-i", "."])
        .current_dir(&root)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("retry_intervall"), "{stderr}");
    assert!(stderr.contains("retry_interval"), "did you mean: {stderr}");
    assert!(
        stderr.contains("defaults: service level `platinum` is not defined"),
        "{stderr}"
    );
    for (message, line) in [
        (
            "business_hours: `caturday` is not a day (expected mon, tue, wed, thu, fri, sat or sun)",
            line_of("caturday"),
        ),
        (
            "business_hours: closing time 08:00 is not after opening time 08:30",
            line_of("to: \"08:00\""),
        ),
        (
            "service level `silver`: `hours: ouvrees` is not known (expected business or 24/7)",
            line_of("ouvrees"),
        ),
    ] {
        let found = stderr
            .lines()
            .position(|l| l.contains(message))
            .unwrap_or_else(|| panic!("no {message:?} in {stderr}"));
        // The location is printed with the message (same line or the next one).
        let around = stderr
            .lines()
            .skip(found)
            .take(3)
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            around.contains(&format!("netparc.yml:{line}:")),
            "{message:?} not located at line {line}: {stderr}"
        );
    }
}

/// Chromium, as Debian ships it (.ci/run installs it).
fn chromium() -> std::path::PathBuf {
    let found = ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|path| path.is_file())
        })
    });
    found.unwrap_or_else(|| {
        panic!(
            "no chromium for the status page test: install it with `apt-get install chromium` \
             (as .ci/run does)"
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_page_in_a_headless_browser_shows_the_down_device_and_its_incident() {
    let browser = chromium();
    let hq = fast_hq("");
    let (daemon, address) = start(&hq.root(), "sw-hq-02").await;
    let lab = daemon.lab().unwrap();
    let shared = daemon.shared();
    let stop = Arc::new(tokio::sync::Notify::new());
    let running = tokio::spawn(daemon_run(daemon, stop.clone()));
    set_fault(&lab, "sw-hq-02", "down", true);
    let opened = wait_for("an incident", 30, || {
        incidents_of(&shared, "sw-hq-02").into_iter().next()
    })
    .await;
    let profile = tempfile::tempdir().unwrap();
    let url = format!("http://{address}/");
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                // Loopback only (the project's network rule): every other name resolves to
                // nothing, anything not on loopback (which bypasses proxies by default) would
                // go to a dead proxy on loopback, and Chromium's own background traffic
                // (updates, metrics, safe browsing) is off.
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                "--proxy-server=127.0.0.1:9",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-default-apps",
                "--disable-domain-reliability",
                "--disable-client-side-phishing-detection",
                "--no-pings",
                "--metrics-recording-only",
                "--timeout=10000",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("--dump-dom")
            .arg(url)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        dom.contains(r#"data-asset="sw-hq-02" data-status="down""#),
        "the down device: {dom}"
    );
    assert!(
        dom.contains(r#"<tr class="incident" data-asset="sw-hq-02"><td>"#)
            && dom.contains(&format!("<td>{}</td><td>P2</td>", opened.id)),
        "its incident: {dom}"
    );
    stop.notify_one();
    running.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_due_together_run_as_one_batch_and_every_row_is_written() {
    // Six assets every 200 ms: their checks fall due together and are batched (one
    // `verify_assets` call, one transaction per batch); none is lost on the way.
    let hq = fast_hq("");
    let (daemon, address) = start(&hq.root(), "kind:switch,kind:access_point").await;
    let shared = daemon.shared();
    let assets: Vec<String> = shared
        .world()
        .assets()
        .map(|(a, _)| a.value.name.clone())
        .collect();
    assert!(assets.len() >= 5, "{assets:?}");
    let stop = Arc::new(tokio::sync::Notify::new());
    let running = tokio::spawn(daemon_run(daemon, stop.clone()));
    let counters = shared.counters.clone();
    let load = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
    wait_for("batched checks", 30, || {
        let every = assets
            .iter()
            .all(|a| shared.store.history(a, 1000).unwrap().len() >= 5);
        (every && load(&counters.batches) < load(&counters.checks)).then_some(())
    })
    .await;
    let (code, metrics) = http(address, "GET", "/metrics", None, "").await;
    assert_eq!(code, 200);
    assert!(
        metrics.contains("# TYPE netparc_checks_late_total counter"),
        "{metrics}"
    );
    assert!(
        metrics.contains("netparc_check_batches_total "),
        "{metrics}"
    );
    stop.notify_one();
    running.await.unwrap();
    // Every check whose batch came back has its row: the rows of a batch are written
    // together or not at all, and at most the batches in flight at the stop are missing.
    let rows: usize = assets
        .iter()
        .map(|a| shared.store.history(a, 100_000).unwrap().len())
        .sum();
    let checks = usize::try_from(load(&counters.checks)).unwrap();
    assert!(
        rows <= checks && checks - rows <= assets.len(),
        "{rows} rows, {checks} checks"
    );
    for asset in &assets {
        assert_eq!(status(&shared, asset), Some(Status::Up), "{asset}");
    }
}
