//! Interop: Netmiko's stock `cisco_ios` driver drives the IOS twin unchanged. The fixture's
//! lab is started, `tests/interop/netmiko_ios.py` logs in with Netmiko (enable, show
//! version, a configuration set, save, show), and the test checks both what Netmiko read
//! and what the twin now holds. A missing Python or Netmiko fails the test with how to
//! install it: this claim must never pass unchecked.

use crate::util::{Fixture, SECRETS};
use netparc::check::open_resolver;
use netparc::inventory::{Inventory, Selector};
use netparc::lab::ios::IosState;
use netparc::lab::{Lab, LabOptions};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const INSTALL: &str = "install it with `python3 -m venv /opt/netparc-venv && \
     /opt/netparc-venv/bin/pip install netmiko` (as .ci/run does), or set \
     NETPARC_NETMIKO_PYTHON to a Python that has Netmiko";

/// The Python that has Netmiko.
fn python() -> PathBuf {
    std::env::var_os("NETPARC_NETMIKO_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/netparc-venv/bin/python"))
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/netmiko_ios.py")
}

/// The lines of the top-level block starting with `header` in an IOS configuration text.
fn block<'a>(config: &'a str, header: &str) -> Vec<&'a str> {
    let mut lines = config.lines().skip_while(|line| *line != header);
    match lines.next() {
        Some(_) => lines.take_while(|line| line.starts_with(' ')).collect(),
        None => Vec::new(),
    }
}

/// Run the script against `sw1` of `lab`; the child blocks, so it runs on the blocking pool
/// while the runtime's workers keep serving the twin. Netmiko's own timeouts (connect 10 s,
/// each read 10 s) bound how long it can take.
async fn run_netmiko(lab: &Lab) -> Output {
    let address = lab.twin("sw1").and_then(|t| t.ssh).expect("sw1 has SSH");
    let python = python();
    if !python.exists() {
        panic!(
            "no Python at {} for the Netmiko interop test: {INSTALL}",
            python.display()
        );
    }
    tokio::task::spawn_blocking(move || {
        Command::new(&python)
            .arg(script())
            .arg(address.ip().to_string())
            .arg(address.port().to_string())
            .arg("netadmin")
            // Secrets through the environment, never on a command line others can read.
            .env("NETPARC_NETMIKO_PASSWORD", SECRETS[0].1)
            .env("NETPARC_NETMIKO_SECRET", SECRETS[1].1)
            .env_remove("NETPARC_NETMIKO_SESSION_LOG")
            .output()
            .unwrap_or_else(|error| panic!("cannot run {}: {error}; {INSTALL}", python.display()))
    })
    .await
    .expect("the Netmiko subprocess thread")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netmikos_cisco_ios_driver_configures_the_ios_twin() {
    let fixture = Fixture::new();
    let inventory = Inventory::load(fixture.path())
        .inventory
        .expect("fixture loads");
    let resolver = open_resolver(&inventory);
    let options = LabOptions {
        ssh_port: 0,
        snmp_port: 0,
        state_dir: fixture.file("state/lab"),
        salt: String::from("netmiko-ios"),
        selector: Selector::parse("sw1").expect("selector"),
        isolated: false,
    };
    let lab = Lab::start(&inventory, &resolver, &options)
        .await
        .expect("lab starts");
    let device = lab.twin("sw1").expect("twin sw1").device.clone();
    let running_of = || {
        let state = device.state();
        let ios = state
            .platform
            .as_any()
            .downcast_ref::<IosState>()
            .expect("sw1 runs the IOS twin");
        (ios.running_config(), ios.is_saved())
    };
    let (before, _) = running_of();
    assert!(!before.contains("netmiko"), "{before}");

    let output = run_netmiko(&lab).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() == Some(2) {
        panic!(
            "Netmiko is not importable by {}: {INSTALL}\n{stdout}",
            python().display()
        );
    }
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|error| {
        panic!("the script printed no JSON ({error}):\n{stdout}\nstderr:\n{stderr}")
    });
    assert!(
        output.status.success() && report["ok"] == true,
        "Netmiko failed against the twin at stage {}: {}\n{stdout}\nstderr:\n{stderr}",
        report["stage"],
        report["error"]
    );
    assert_eq!(report["prompt"], "sw1#", "{stdout}");
    let shown = report["running_include"].as_str().unwrap_or_default();
    assert_eq!(shown.trim(), "description netmiko was here", "{stdout}");
    let vlans = report["vlan_brief"].as_str().unwrap_or_default();
    let voice = vlans
        .lines()
        .find(|line| line.starts_with("30 "))
        .unwrap_or_else(|| panic!("no VLAN 30 in show vlan brief:\n{vlans}"));
    assert!(
        voice.split_whitespace().collect::<Vec<_>>()[..3] == ["30", "voice", "active"]
            && voice.contains("Gi1/0/2"),
        "{voice}"
    );
    assert!(
        report["save_output"]
            .as_str()
            .unwrap_or_default()
            .contains("[OK]"),
        "{stdout}"
    );

    // The twin itself changed, and the change was saved.
    let (after, saved) = running_of();
    assert_eq!(block(&after, "vlan 30"), [" name voice"], "{after}");
    let port = block(&after, "interface GigabitEthernet1/0/2");
    for line in [
        " description netmiko was here",
        " switchport access vlan 30",
    ] {
        assert!(port.contains(&line), "{line:?} missing from {port:?}");
    }
    assert!(saved, "save_config left the running configuration unsaved");
    lab.stop().await;
}
