//! Onboarding speed: one workstation connected end to end on the twin lab, as
//! `netparc onboard --lab --wifi --vpn --switch … --port …` does it, timed wall clock.
//!
//! The target: **onboarding on the twin, all steps, in under 2 s**.
//!
//! On a copy of `inventories/hq` (templates and playbooks beside it, `state/` left out) in a
//! temporary folder, each cycle calls `onboard::workflow::onboard` — the library call behind
//! the command: lock, validation, allocation, keys into the age store, asset file, Kea
//! configuration, lab started, switch and VPN gateway through the playbook engine (backup in
//! git, render, replace push, peer and tunnel-interface checks, verify, record, save),
//! port up by SNMP, ping, Wi-Fi and VPN profiles with the QR code, handover sheet, lab
//! stopped — then `offboard` of the same workstation (timed too), so the next cycle finds
//! the port free. The first cycle meets factory twins (the whole switch configuration is
//! pushed); later ones push only the port and the peer, as on a network netparc already
//! manages. Each cycle is checked (outcome done, every proof passed); a failure exits 1;
//! nothing is asserted on time.
//!
//! Knobs: `NETPARC_ONBOARD_CYCLES` (default 10).

use netparc::onboard::request::Request;
use netparc::onboard::workflow::{self, Options, Outcome};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_name() == "state" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summary(label: &str, times: &[Duration]) {
    let mut sorted: Vec<f64> = times.iter().copied().map(millis).collect();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return;
    }
    println!(
        "{label:<34} n={:<3} min {:>7.1} ms  median {:>7.1} ms  max {:>7.1} ms",
        sorted.len(),
        sorted[0],
        sorted[sorted.len() / 2],
        sorted[sorted.len() - 1]
    );
}

fn main() {
    let cycles: usize = std::env::var("NETPARC_ONBOARD_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("a temporary folder");
    for part in ["inventories/hq", "templates", "playbooks"] {
        copy_tree(&repo.join(part), &dir.path().join(part)).expect("copy the example");
    }
    let root = dir.path().join("inventories/hq");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let options = Options {
        lab: true,
        ..Options::default()
    };
    let mut first = None;
    let mut onboard_times = Vec::new();
    let mut offboard_times = Vec::new();
    let mut failed = false;
    for cycle in 0..cycles {
        let request = Request {
            site: String::from("hq"),
            name: format!("pc-bench-{cycle:02}"),
            user: String::from("Bench User"),
            mac: format!("02:00:00:00:10:{cycle:02x}"),
            vlan: String::from("users"),
            switch: Some(String::from("sw-hq-02")),
            port: Some(String::from("Gi1/0/12")),
            wifi: true,
            vpn: true,
            description: None,
            ticket: None,
            technician: None,
        };
        let started = Instant::now();
        let report = runtime.block_on(workflow::onboard(
            &root,
            &request,
            &options,
            Arc::new(|_| {}),
        ));
        let took = started.elapsed();
        match report {
            Ok(report) if report.outcome == Outcome::Done && report.proofs.iter().all(|p| p.ok) => {
            }
            Ok(report) => {
                eprintln!(
                    "cycle {cycle}: onboarding {:?}: {:?}",
                    report.outcome, report.reason
                );
                failed = true;
                break;
            }
            Err(found) => {
                eprintln!("cycle {cycle}: onboarding refused: {found:?}");
                failed = true;
                break;
            }
        }
        if cycle == 0 {
            first = Some(took);
        } else {
            onboard_times.push(took);
        }
        let started = Instant::now();
        let report = runtime.block_on(workflow::offboard(
            &root,
            &request.name,
            None,
            &options,
            Arc::new(|_| {}),
        ));
        offboard_times.push(started.elapsed());
        if !matches!(report, Ok(ref r) if r.outcome == Outcome::Done) {
            eprintln!(
                "cycle {cycle}: offboarding failed: {:?}",
                report.map(|r| r.reason)
            );
            failed = true;
            break;
        }
    }
    println!(
        "netparc onboarding on the twin lab (switch port + WireGuard peer + Wi-Fi + handover)"
    );
    if let Some(first) = first {
        summary("onboard, factory twins (1st)", &[first]);
    }
    summary("onboard, managed twins", &onboard_times);
    summary("offboard", &offboard_times);
    println!("target: onboarding under 2000 ms wall time");
    if failed {
        std::process::exit(1);
    }
}
