//! Onboarding and offboarding a workstation on a copy of the example inventory, against the
//! twin lab: the whole procedure, every bad input the issue names (nothing written, nothing
//! changed), the VPN gateway unreachable (everything undone), check mode, and two
//! onboardings at once in two processes never sharing an address.

use crate::playbook::Hq;
use netparc::inventory::Inventory;
use netparc::onboard::request::Request;
use netparc::onboard::workflow::{self, Options, Outcome, Report};
use netparc::playbook::engine::EventSink;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(crate) fn quiet() -> EventSink {
    Arc::new(|_| {})
}

pub(crate) fn lab() -> Options {
    Options {
        lab: true,
        ..Options::default()
    }
}

fn request(name: &str, mac: &str) -> Request {
    Request {
        site: String::from("hq"),
        name: name.to_string(),
        user: String::from("Jeanne Martin"),
        mac: mac.to_string(),
        vlan: String::from("users"),
        switch: Some(String::from("sw-hq-02")),
        port: Some(String::from("Gi1/0/12")),
        wifi: true,
        vpn: true,
        description: Some(String::from("Accounting - desk 12")),
        ticket: Some(String::from("CHG-2026-120")),
        technician: Some(String::from("Marc Lefebvre")),
    }
}

/// Every file a person or a device keeps, by path, with its bytes: human-owned files,
/// DHCP configurations and what the twins saved. Run logs, transcripts, backups, caches
/// and locks are history, not state; the secrets store is compared by its entries (age
/// encrypts with fresh randomness each time).
pub(crate) fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let relative = path.strip_prefix(root).unwrap().to_path_buf();
            let text = relative.to_string_lossy().to_string();
            let history = [
                "state/runs",
                "state/transcripts",
                "state/backups",
                "state/cache",
                "state/assets",
                "state/lab/boots",
                "state/lab/known_hosts",
                "state/lab/host-keys",
                "secrets.age",
            ];
            if history.iter().any(|h| text.starts_with(h)) || text.ends_with(".lock") {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// What `snapshot` leaves out as history: run reports, transcripts, recorded states.
fn history(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let out: Vec<(PathBuf, Vec<u8>)> = ["state/runs", "state/transcripts", "state/assets"]
        .iter()
        .flat_map(|folder| all_files(&root.join(folder)))
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    assert!(!out.is_empty(), "no run report or transcript was written");
    out
}

/// Every file under `dir`, recursively.
pub(crate) fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// The paths whose content differs between two snapshots (readable in a failure).
pub(crate) fn differences(
    before: &BTreeMap<PathBuf, Vec<u8>>,
    after: &BTreeMap<PathBuf, Vec<u8>>,
) -> Vec<String> {
    let mut paths: Vec<&PathBuf> = before.keys().chain(after.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter(|p| before.get(*p) != after.get(*p))
        .map(|p| p.display().to_string())
        .collect()
}

pub(crate) fn vault_names(root: &Path) -> Vec<String> {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_netparc"))
        .args(["secrets", "-i"])
        .arg(root)
        .arg("list")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn load(root: &Path) -> Inventory {
    let outcome = Inventory::load(root);
    outcome.inventory.expect("the inventory loads")
}

fn next_free(root: &Path, vlan: &str) -> IpAddr {
    netparc::plan::next_free(&load(root), "hq", vlan, false).unwrap()
}

fn saved(root: &Path, device: &str) -> String {
    let dir = root.join("state/lab/devices");
    for suffix in [".ios.cfg", ".linux.json"] {
        if let Ok(text) = std::fs::read_to_string(dir.join(format!("{device}{suffix}"))) {
            return text;
        }
    }
    String::new()
}

/// The Linux twin's saved files in clear (its saved state carries contents as base64).
fn linux_files(root: &Path, device: &str) -> String {
    use base64::Engine;
    fn walk(value: &serde_json::Value, out: &mut String) {
        match value {
            serde_json::Value::String(text) => {
                if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(text)
                    && let Ok(clear) = String::from_utf8(bytes)
                {
                    out.push_str(&clear);
                    out.push('\n');
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            serde_json::Value::Object(map) => map.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let value: serde_json::Value = serde_json::from_str(&saved(root, device)).unwrap_or_default();
    let mut out = String::new();
    walk(&value, &mut out);
    out
}

fn interface_block<'a>(config: &'a str, name: &str) -> &'a str {
    let start = config
        .find(&format!("interface {name}\n"))
        .unwrap_or_else(|| panic!("no {name} in\n{config}"));
    let rest = &config[start..];
    let end = rest[1..].find("\ninterface ").map_or(rest.len(), |e| e + 1);
    &rest[..end]
}

pub(crate) async fn onboard(hq: &Hq, request: &Request, options: &Options) -> Report {
    workflow::onboard(&hq.root(), request, options, quiet())
        .await
        .unwrap_or_else(|found| panic!("onboarding refused: {found:?}"))
}

async fn refused(hq: &Hq, request: &Request) -> String {
    let before = snapshot(&hq.root());
    let names = vault_names(&hq.root());
    let found = workflow::onboard(&hq.root(), request, &lab(), quiet())
        .await
        .expect_err("the onboarding must be refused");
    let changed = differences(&before, &snapshot(&hq.root()));
    assert!(changed.is_empty(), "a refused onboarding wrote {changed:?}");
    assert_eq!(vault_names(&hq.root()), names);
    found
        .iter()
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onboarding_connects_verifies_records_and_hands_over_then_offboarding_undoes_it() {
    let hq = Hq::new();
    let root = hq.root();
    let expected = next_free(&root, "users");
    let before = snapshot(&root);
    let report = onboard(&hq, &request("pc-compta-12", "AA-BB-CC-DD-EE-FF"), &lab()).await;
    assert_eq!(report.outcome, Outcome::Done, "{:?}", report.reason);
    assert_eq!(report.address, Some(expected));
    assert!(
        report.proofs.len() >= 2 && report.proofs.iter().all(|p| p.ok),
        "{:?}",
        report.proofs
    );
    assert!(
        report
            .proofs
            .iter()
            .any(|p| p.check.contains("ifOperStatus"))
    );

    // One new human-owned file, no other rewritten.
    let after = snapshot(&root);
    let asset_file = PathBuf::from("assets/workstations/pc-compta-12.yml");
    for (path, bytes) in &before {
        if !path.starts_with("state") {
            assert_eq!(
                after.get(path),
                Some(bytes),
                "{} was rewritten",
                path.display()
            );
        }
    }
    let added: Vec<&PathBuf> = after
        .keys()
        .filter(|p| !before.contains_key(*p) && !p.starts_with("state"))
        .collect();
    assert_eq!(added, vec![&asset_file]);
    let text = String::from_utf8_lossy(&after[&asset_file]).to_string();
    assert!(text.contains(&format!("address: {expected}")), "{text}");
    assert!(text.contains("mac: \"aa:bb:cc:dd:ee:ff\""), "{text}");
    assert!(text.contains("vault:vpn/clients/pc-compta-12"), "{text}");
    let inventory = load(&root);
    let asset = inventory
        .asset("pc-compta-12")
        .expect("the new asset loads");
    let client = asset.value.vpn_client.as_ref().expect("a VPN peer");
    assert_eq!(client.gateway, "vpn-hq-01");
    assert!(vault_names(&root).contains(&String::from("vpn/clients/pc-compta-12")));
    assert!(vault_names(&root).contains(&String::from("vpn/psk/pc-compta-12")));

    // The DHCP reservation, accepted by the real Kea.
    let kea = root.join("state/dhcp/hq/kea-dhcp4.conf");
    let conf = std::fs::read_to_string(&kea).unwrap();
    assert!(
        conf.contains("\"hw-address\": \"aa:bb:cc:dd:ee:ff\""),
        "{conf}"
    );
    assert!(conf.contains(&format!("\"ip-address\": \"{expected}\"")));
    let scratch = tempfile::tempdir().unwrap();
    let checked = crate::dhcp::kea_check(&kea, scratch.path());
    assert!(checked.status.success(), "{checked:?}");

    // The switch port, as the twin saved it.
    let switch = saved(&root, "sw-hq-02");
    let port = interface_block(&switch, "GigabitEthernet1/0/12");
    for line in [
        "switchport access vlan 10",
        "switchport voice vlan 20",
        "spanning-tree portfast",
        "spanning-tree bpduguard enable",
        "switchport port-security mac-address aabb.ccdd.eeff vlan access",
        "pc-compta-12 (Jeanne Martin)",
    ] {
        assert!(port.contains(line), "{line} missing from\n{port}");
    }
    // The gateway kept its other peers and gained this one.
    let gateway = linux_files(&root, "vpn-hq-01");
    assert!(
        gateway.contains(&format!(
            "PublicKey = {}",
            client.public_key.as_deref().unwrap()
        )),
        "{gateway}"
    );
    assert!(gateway.contains("PublicKey = n0eK6o1fWXM8gqtWEf14+7l7GXJ0Sgt6d3dUHudPw3w="));

    // Profiles and the handover sheet: keys only in the files meant to hold them.
    let out = root.join("state/handover/pc-compta-12");
    let wireguard = std::fs::read_to_string(out.join("pc-compta-12.conf")).unwrap();
    assert!(
        wireguard.contains("[Interface]") && wireguard.contains("Endpoint = vpn.example.net:51820")
    );
    assert!(wireguard.contains(&format!("Address = {}/32", report.vpn.as_ref().unwrap().1)));
    let png = std::fs::read(out.join("pc-compta-12-wireguard-qr.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    for name in [
        "wifi-Atelier-Durand.nmconnection",
        "wifi-Atelier-Durand.wpa_supplicant.conf",
        "wifi-Atelier-Durand.xml",
        "pc-compta-12.conf",
    ] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(out.join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{name} is readable by others");
    }
    let private_key = wireguard
        .lines()
        .find_map(|l| l.strip_prefix("PrivateKey = "))
        .unwrap()
        .to_string();
    for sheet in ["handover.md", "handover.html"] {
        let text = std::fs::read_to_string(out.join(sheet)).unwrap();
        assert!(
            text.contains(&expected.to_string()),
            "{sheet} lacks the address"
        );
        assert!(text.contains("Atelier-Durand") && text.contains("WireGuard"));
        assert!(
            !text.contains(&private_key),
            "{sheet} holds the private key"
        );
    }

    // The keys live in the secrets store and the profile only: no report, transcript,
    // state file or asset file holds them.
    let secret = |name: &str| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_netparc"))
            .args(["secrets", "-i"])
            .arg(&root)
            .args(["get", name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    };
    let psk = secret("vpn/psk/pc-compta-12");
    assert_eq!(private_key, secret("vpn/clients/pc-compta-12"));
    assert_eq!(psk.len(), 44);
    assert!(
        format!("{report:?}").len() < 4000,
        "the report's Debug is not meant to carry files"
    );
    for (path, bytes) in snapshot(&root).into_iter().chain(history(&root)) {
        if path.ends_with("pc-compta-12.conf") || path.ends_with("pc-compta-12-wireguard-qr.png") {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        for value in [&psk, &private_key] {
            assert!(
                !text.contains(value.as_str()),
                "{} holds a VPN key",
                path.display()
            );
        }
    }

    // The same workstation again: refused.
    let again = refused(&hq, &request("pc-compta-12", "aa:bb:cc:00:00:01")).await;
    assert!(
        again.contains("onboard.duplicate-name: an asset named `pc-compta-12` already exists"),
        "{again}"
    );

    // Offboarding: port shut and reset, peer removed, address and reservation released.
    let report = workflow::offboard(&root, "pc-compta-12", Some("CHG-2026-130"), &lab(), quiet())
        .await
        .unwrap();
    assert_eq!(report.outcome, Outcome::Done, "{:?}", report.reason);
    assert!(!root.join(&asset_file).exists());
    let archive = std::fs::read_to_string(root.join("assets/retired/pc-compta-12.yml")).unwrap();
    assert!(
        archive.contains("retired:") && archive.contains("GigabitEthernet1/0/12"),
        "{archive}"
    );
    let inventory = load(&root);
    assert!(inventory.asset("pc-compta-12").unwrap().value.is_retired());
    assert_eq!(
        next_free(&root, "users"),
        expected,
        "the address is free again"
    );
    let conf = std::fs::read_to_string(&kea).unwrap();
    assert!(
        !conf.contains("aa:bb:cc:dd:ee:ff"),
        "the reservation is still there"
    );
    assert!(
        !vault_names(&root)
            .iter()
            .any(|n| n.contains("pc-compta-12"))
    );
    let switch = saved(&root, "sw-hq-02");
    let port = interface_block(&switch, "GigabitEthernet1/0/12");
    assert!(
        port.contains(" shutdown\n") && !port.contains("port-security"),
        "{port}"
    );
    assert!(port.contains("free, was pc-compta-12"), "{port}");
    let gateway = linux_files(&root, "vpn-hq-01");
    assert!(
        !gateway.contains(client.public_key.as_deref().unwrap()),
        "the peer is still on the gateway"
    );
    assert!(gateway.contains("PublicKey = n0eK6o1fWXM8gqtWEf14+7l7GXJ0Sgt6d3dUHudPw3w="));

    // The port is free again for the next workstation, whose MAC may even be the old one.
    let mut next = request("pc-compta-14", "aa:bb:cc:dd:ee:ff");
    next.vpn = false;
    next.wifi = false;
    let report = onboard(&hq, &next, &lab()).await;
    assert_eq!(report.outcome, Outcome::Done, "{:?}", report.reason);
    let switch = saved(&root, "sw-hq-02");
    let port = interface_block(&switch, "GigabitEthernet1/0/12");
    assert!(
        !port.contains(" shutdown\n") && port.contains("pc-compta-14"),
        "{port}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_refused_before_anything_changes() {
    let hq = Hq::new();
    // A tiny VLAN whose only host address is taken.
    let plan = hq.root().join("plan/hq.yml");
    let mut text = std::fs::read_to_string(&plan).unwrap();
    text.push_str(
        "\n  - id: 300\n    name: tiny\n    purpose: data\n    subnets:\n      - prefix: 10.10.250.0/30\n        gateway: 10.10.250.1\n",
    );
    std::fs::write(&plan, text).unwrap();
    std::fs::write(
        hq.root().join("assets/tiny-host.yml"),
        "name: tiny-host\nkind: workstation\nsite: hq\naddress: 10.10.250.2\nvlan: tiny\n",
    )
    .unwrap();

    let duplicate_mac = refused(&hq, &request("pc-new", "d8:bb:c1:5e:20:9c")).await;
    assert!(
        duplicate_mac.contains(
            "onboard.duplicate-mac: MAC address d8:bb:c1:5e:20:9c is already `pc-hq-07`'s"
        ),
        "{duplicate_mac}"
    );
    let duplicate_name = refused(&hq, &request("pc-hq-07", "aa:bb:cc:00:00:02")).await;
    assert!(
        duplicate_name.contains("onboard.duplicate-name: an asset named `pc-hq-07` already exists"),
        "{duplicate_name}"
    );
    let mut full = request("pc-new", "aa:bb:cc:00:00:03");
    full.vlan = String::from("tiny");
    full.switch = None;
    full.port = None;
    let full = refused(&hq, &full).await;
    assert!(
        full.contains("onboard.vlan-full: VLAN `tiny` is full: no free static address left in 10.10.250.0/30 (utilisation 100.0%"),
        "{full}"
    );
    let mut unknown_switch = request("pc-new", "aa:bb:cc:00:00:04");
    unknown_switch.switch = Some(String::from("sw-hq-09"));
    let unknown_switch = refused(&hq, &unknown_switch).await;
    assert!(
        unknown_switch.contains("onboard.unknown-switch: site `hq` has no switch `sw-hq-09`"),
        "{unknown_switch}"
    );
    let mut unknown_port = request("pc-new", "aa:bb:cc:00:00:05");
    unknown_port.port = Some(String::from("Gi1/0/99"));
    let unknown_port = refused(&hq, &unknown_port).await;
    assert!(
        unknown_port.contains("onboard.unknown-port: switch `sw-hq-02` has no port `Gi1/0/99`"),
        "{unknown_port}"
    );
    let mut in_use = request("pc-new", "aa:bb:cc:00:00:06");
    in_use.port = Some(String::from("GigabitEthernet1/0/1"));
    let in_use = refused(&hq, &in_use).await;
    assert!(
        in_use.contains("onboard.port-in-use: port GigabitEthernet1/0/1 of `sw-hq-02` is already used by `pc-hq-07`"),
        "{in_use}"
    );
    let mut trunk = request("pc-new", "aa:bb:cc:00:00:07");
    trunk.port = Some(String::from("Gi1/0/11"));
    let trunk = refused(&hq, &trunk).await;
    assert!(trunk.contains("onboard.port-not-access"), "{trunk}");
    let bad_mac = refused(&hq, &request("pc-new", "aa:bb:cc:dd:ee")).await;
    assert!(
        bad_mac.contains("onboard.bad-mac: `aa:bb:cc:dd:ee` is not a MAC address"),
        "{bad_mac}"
    );
    let mut unknown_vlan = request("pc-new", "aa:bb:cc:00:00:08");
    unknown_vlan.vlan = String::from("user");
    let unknown_vlan = refused(&hq, &unknown_vlan).await;
    assert!(
        unknown_vlan.contains("onboard.unknown-vlan: site `hq` has no VLAN `user`"),
        "{unknown_vlan}"
    );
    // Several problems at once: all reported.
    let mut many = request("pc-hq-07", "d8:bb:c1:5e:20:9c");
    many.port = Some(String::from("GigabitEthernet1/0/1"));
    let many = refused(&hq, &many).await;
    for code in ["duplicate-name", "duplicate-mac", "port-in-use"] {
        assert!(many.contains(code), "{code} missing from\n{many}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_vpn_gateway_undoes_everything() {
    let hq = Hq::new();
    let root = hq.root();
    // A first onboarding so the switch twin has a saved configuration to compare with.
    let mut first = request("pc-compta-20", "aa:bb:cc:00:00:20");
    first.port = Some(String::from("Gi1/0/5"));
    first.vpn = false;
    first.wifi = false;
    assert_eq!(onboard(&hq, &first, &lab()).await.outcome, Outcome::Done);
    let before = snapshot(&root);
    let names = vault_names(&root);
    let switch_before = saved(&root, "sw-hq-02");
    let options = Options {
        faults: vec![String::from("vpn-hq-01:down")],
        ..lab()
    };
    let report = onboard(&hq, &request("pc-compta-21", "aa:bb:cc:00:00:21"), &options).await;
    assert_eq!(report.outcome, Outcome::RolledBack);
    let reason = report.reason.unwrap_or_default();
    assert!(reason.contains("vpn-hq-01 unreachable"), "{reason}");
    assert!(report.files.is_empty());
    let changed = differences(&before, &snapshot(&root));
    assert!(changed.is_empty(), "left behind: {changed:?}");
    assert_eq!(
        vault_names(&root),
        names,
        "the VPN keys were left in the secrets store"
    );
    assert_eq!(
        saved(&root, "sw-hq-02"),
        switch_before,
        "the switch was not restored"
    );
    assert!(!root.join("assets/workstations/pc-compta-21.yml").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_mode_changes_nothing() {
    let hq = Hq::new();
    let root = hq.root();
    let before = snapshot(&root);
    let names = vault_names(&root);
    let options = Options {
        check: true,
        ..lab()
    };
    let report = onboard(&hq, &request("pc-compta-30", "aa:bb:cc:00:00:30"), &options).await;
    assert_eq!(report.outcome, Outcome::Checked);
    assert_eq!(report.reason, None);
    let run = report.run.expect("the devices were planned");
    assert!(run.assets.iter().all(|a| a.diff.is_some()), "no diff shown");
    let after: BTreeMap<_, _> = snapshot(&root)
        .into_iter()
        .filter(|(p, _)| !p.starts_with("state/lab"))
        .collect();
    let before: BTreeMap<_, _> = before
        .into_iter()
        .filter(|(p, _)| !p.starts_with("state/lab"))
        .collect();
    let changed = differences(&before, &after);
    assert!(changed.is_empty(), "check mode wrote {changed:?}");
    assert_eq!(vault_names(&root), names);
    assert!(!root.join("assets/workstations/pc-compta-30.yml").exists());

    // Offboarding in check mode: the plan, nothing done.
    let before = snapshot(&root);
    let report = workflow::offboard(&root, "pc-hq-07", None, &options, quiet())
        .await
        .unwrap();
    assert_eq!(report.outcome, Outcome::Checked);
    let run = report.run.expect("the switch was planned");
    let diff = run.assets[0].diff.clone().unwrap_or_default();
    assert!(diff.contains("free, was pc-hq-07"), "{diff}");
    let changed = differences(&before, &snapshot(&root));
    assert!(
        changed.iter().all(|p| p.starts_with("state/lab")),
        "check mode wrote {changed:?}"
    );
    assert!(!root.join("assets/retired/pc-hq-07.yml").exists());
}

#[test]
fn two_onboardings_at_once_never_share_an_address() {
    let hq = Hq::new();
    let root = hq.root();
    let spawn = |name: &str, mac: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_netparc"))
            .args([
                "onboard", "--lab", "--site", "hq", "--vlan", "users", "--user", "Test",
            ])
            .args(["--name", name, "--mac", mac, "--format", "json", "-i"])
            .arg(&root)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let first = spawn("pc-race-1", "aa:bb:cc:00:01:01");
    let second = spawn("pc-race-2", "aa:bb:cc:00:01:02");
    let mut addresses = Vec::new();
    for child in [first, second] {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{output:?}");
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        addresses.push(report["address"].as_str().unwrap().to_string());
    }
    assert_ne!(addresses[0], addresses[1]);
    let inventory = load(&root);
    for (name, address) in [("pc-race-1", &addresses[0]), ("pc-race-2", &addresses[1])] {
        let asset = inventory.asset(name).unwrap();
        assert_eq!(asset.value.address.unwrap().to_string(), *address);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_reload_that_drops_the_other_tunnels_is_undone() {
    let hq = Hq::new();
    let root = hq.root();
    // A first client, so the gateway twin has a saved state to compare with.
    let mut first = request("pc-compta-39", "aa:bb:cc:00:00:39");
    first.switch = None;
    first.port = None;
    assert_eq!(onboard(&hq, &first, &lab()).await.outcome, Outcome::Done);
    // A template that restarts the interface instead of `wg syncconf` (reload).
    let template = root.join("../../templates/linux/wireguard-gateway.tera");
    let text = std::fs::read_to_string(&template).unwrap();
    let restart = text.replace(
        "{%- set reload = \"systemctl reload wg-quick@\"",
        "{%- set reload = \"systemctl restart wg-quick@\"",
    );
    assert_ne!(text, restart, "the template's reload line moved");
    std::fs::write(&template, restart).unwrap();
    let before = snapshot(&root);
    let mut wants = request("pc-compta-40", "aa:bb:cc:00:00:40");
    wants.switch = None;
    wants.port = None;
    let report = onboard(&hq, &wants, &lab()).await;
    assert_eq!(report.outcome, Outcome::RolledBack);
    let reason = report.reason.unwrap_or_default();
    assert!(
        reason.contains("vpn-hq-01: the reload recreated the tunnel interface"),
        "{reason}"
    );
    let changed = differences(&before, &snapshot(&root));
    assert!(changed.is_empty(), "left behind: {changed:?}");
}

#[test]
fn the_onboarding_playbooks_run_the_same_procedure() {
    let hq = Hq::new();
    let root = hq.root();
    let run = |playbook: &str, vars: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_netparc"));
        command
            .args(["run", "--lab", "--format", "json", "-i"])
            .arg(&root);
        command.arg(hq.playbook(playbook));
        for var in vars {
            command.args(["--var", var]);
        }
        command.output().unwrap()
    };
    let output = run(
        "onboard-workstation.yml",
        &[
            "name=pc-compta-50",
            "user=Jeanne Martin",
            "mac=aa:bb:cc:00:00:50",
            "switch=sw-hq-02",
            "port=Gi1/0/12",
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["outcome"], "done");
    assert!(
        report["vpn"].is_array(),
        "the playbook's vpn: true was not applied"
    );
    let text = std::fs::read_to_string(root.join("assets/workstations/pc-compta-50.yml")).unwrap();
    assert!(text.contains("(CHG-ONBOARDING)"), "{text}");
    // A missing variable is named.
    let output = run("onboard-workstation.yml", &["name=pc-compta-51", "user=X"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("this playbook needs `--var mac=…`"),
        "{stderr}"
    );
    // And an unknown one.
    let output = run("offboard-workstation.yml", &["name=pc-compta-50", "mac=x"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--var `mac` is not a variable of this playbook"),
        "{stderr}"
    );
    let output = run("offboard-workstation.yml", &["name=pc-compta-50"]);
    assert!(output.status.success(), "{output:?}");
    assert!(root.join("assets/retired/pc-compta-50.yml").exists());
}
