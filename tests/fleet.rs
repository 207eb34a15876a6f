//! `netparc inventory`: assets merged with their verified state and lifecycle, in table,
//! JSON and CSV; expiries flagged; a broken state file warned about, never fatal.

use crate::playbook::{Bench, Hq};
use netparc::fleet;
use netparc::inventory::Selector;
use netparc::inventory::date::Date;
use netparc::playbook::engine::RunOptions;

fn netparc() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_netparc"))
}

#[test]
fn lifecycle_expiries_are_flagged_ninety_days_ahead() {
    let hq = Hq::new();
    let inventory = hq.inventory();
    let today: Date = "2026-11-25".parse().unwrap();
    let (rows, errors) = fleet::rows(
        &inventory,
        &Selector::parse("kind:switch,kind:vpn_gateway").unwrap(),
        today,
    );
    assert!(errors.is_empty());
    let row = |name: &str| rows.iter().find(|r| r.name == name).unwrap().clone();
    assert_eq!(row("vpn-hq-01").expiring, vec!["warranty ends in 25 days"]);
    assert_eq!(
        row("sw-lyon-01").expiring,
        vec!["warranty ended 24 days ago"]
    );
    assert!(row("sw-hq-01").expiring.is_empty());
    assert_eq!(row("sw-hq-01").serial.as_deref(), Some("FOC2418L1KZ"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_shows_in_the_inventory_and_a_broken_state_file_is_a_warning() {
    let hq = Hq::new();
    let bench = Bench::start(&hq, "sw-hq-02", true).await;
    let report = bench
        .run(
            &hq.playbook("provision-access-switches.yml"),
            RunOptions {
                limit: Some(String::from("sw-hq-02")),
                ..RunOptions::default()
            },
        )
        .await;
    assert!(report.succeeded(), "{report:#?}");
    bench.access.close().await;
    let output = netparc()
        .args(["inventory", "--format", "json", "-i"])
        .arg(hq.root())
        .output()
        .unwrap();
    assert!(output.status.success());
    let rows: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let sw = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "sw-hq-02")
        .unwrap();
    assert_eq!(sw["last_change_run"], serde_json::json!(report.run));
    assert_eq!(sw["last_change_changed"], serde_json::json!(true));
    // The playbook's verify step ran the probes; its record step wrote them back.
    assert_eq!(sw["verdict"], serde_json::json!("passed"));
    assert_eq!(sw["config"], serde_json::json!("in_sync"));
    assert_eq!(sw["reachable"], serde_json::json!(true));
    assert_eq!(
        sw["backup_revision"],
        serde_json::json!(report.assets[0].backup_revision)
    );
    let output = netparc()
        .args(["inventory", "--format", "csv", "--limit", "sw-hq-02", "-i"])
        .arg(hq.root())
        .output()
        .unwrap();
    let csv = String::from_utf8_lossy(&output.stdout);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "name,kind,site,address,model,serial,warranty_end,licence_end,expiring,verified_at,verdict,rtt_ms,config,last_change"
        )
    );
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("sw-hq-02,switch,hq,10.10.99.12,C9200L-24P-4G,JAE2517093F,")
    );
    // A hand-broken state file: a warning naming it, the others still listed.
    let broken = hq.root().join("state/assets/sw-hq-02.yml");
    std::fs::write(&broken, "asset: [sw-hq-02\n").unwrap();
    let output = netparc()
        .args(["inventory", "-i"])
        .arg(hq.root())
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning:") && stderr.contains("sw-hq-02.yml"),
        "{stderr}"
    );
    assert!(stderr.contains("is not valid YAML"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&broken).unwrap(),
        "asset: [sw-hq-02\n"
    );
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.lines().next().unwrap().starts_with("name"), "{table}");
    assert!(table.contains("sw-lyon-01"), "{table}");
}
