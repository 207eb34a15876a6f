//! The DHCP configurations netparc renders are accepted by the real servers: the example
//! inventory's sites are rendered into a temporary copy and `kea-dhcp4 -t` and
//! `dnsmasq --test` (which only parse a configuration: no socket, no lease file, no server)
//! must accept them, and must refuse a hand-made broken one, so the check can fail. A
//! missing server fails the test with how to install it (.ci/run does): this claim must
//! never pass unchecked.

use crate::playbook::Hq;
use netparc::inventory::{Inventory, Located};
use netparc::onboard::dhcp::{self, DhcpConfigs};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const INSTALL: &str = "install it with `apt-get install kea-dhcp4-server` (as .ci/run does), \
     or set NETPARC_KEA_DHCP4 to a kea-dhcp4 binary";

const INSTALL_DNSMASQ: &str = "install it with `apt-get install dnsmasq-base` (as .ci/run \
     does: the binary without the service), or set NETPARC_DNSMASQ to a dnsmasq binary";

/// A server binary: `variable`, else on `PATH`, else in /usr/sbin (Debian puts both there,
/// outside an ordinary user's `PATH`).
fn server(variable: &str, name: &str, install: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(variable) {
        return PathBuf::from(path);
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|path| path.is_file())
    });
    on_path
        .or_else(|| Some(Path::new("/usr/sbin").join(name)).filter(|p| p.is_file()))
        .unwrap_or_else(|| panic!("no {name} for the DHCP configuration test: {install}"))
}

/// Kea's DHCPv4 server.
fn kea_dhcp4() -> PathBuf {
    server("NETPARC_KEA_DHCP4", "kea-dhcp4", INSTALL)
}

/// `dnsmasq --test --conf-file=file`: a syntax check, then exit.
fn dnsmasq_check(file: &Path) -> Output {
    let dnsmasq = server("NETPARC_DNSMASQ", "dnsmasq", INSTALL_DNSMASQ);
    Command::new(&dnsmasq)
        .arg("--test")
        .arg(format!("--conf-file={}", file.display()))
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "cannot run {}: {error}; {INSTALL_DNSMASQ}",
                dnsmasq.display()
            )
        })
}

fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `kea-dhcp4 -t file`: parse and check the configuration, then exit. Its lock and pid
/// folders point into `scratch`, so nothing is written outside the test's folder.
pub fn kea_check(file: &Path, scratch: &Path) -> Output {
    let kea = kea_dhcp4();
    Command::new(&kea)
        .arg("-t")
        .arg(file)
        .env("KEA_LOCKFILE_DIR", scratch)
        .env("KEA_PIDFILE_DIR", scratch)
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}; {INSTALL}", kea.display()))
}

fn assert_kea_accepts(file: &Path, scratch: &Path) {
    let out = kea_check(file, scratch);
    assert!(
        out.status.success(),
        "kea-dhcp4 -t refused {}:\n{}\n--- the file:\n{}",
        file.display(),
        said(&out),
        std::fs::read_to_string(file).unwrap_or_default()
    );
}

fn load(root: &Path) -> Inventory {
    let outcome = Inventory::load(root);
    outcome
        .inventory
        .unwrap_or_else(|| panic!("the example inventory loads: {}", outcome.diagnostics))
}

/// The assets of `site` that get a reservation: a MAC and an IPv4 address.
fn reserved(inventory: &Inventory, site: &str) -> Vec<(String, IpAddr)> {
    inventory
        .assets
        .iter()
        .map(|asset: &Located<_>| &asset.value)
        .filter(|asset| asset.site == site && asset.mac.is_some())
        .filter_map(|asset| Some((asset.name.clone(), asset.address.filter(IpAddr::is_ipv4)?)))
        .collect()
}

fn reservations(kea: &str) -> Vec<serde_json::Value> {
    let body = kea.split_once('\n').expect("a header line").1;
    let config: serde_json::Value = serde_json::from_str(body).expect("JSON after the header");
    config["Dhcp4"]["subnet4"]
        .as_array()
        .expect("subnet4")
        .iter()
        .flat_map(|subnet| {
            subnet["reservations"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn kea_accepts_the_example_sites_configurations() {
    let hq = Hq::new();
    let inventory = load(&hq.root());

    // hq is served by Kea: write_site writes its file where the inventory keeps state.
    let written = dhcp::write_site(&inventory, "hq").expect("hq renders");
    let file = hq.root().join("state/dhcp/hq/kea-dhcp4.conf");
    assert_eq!(written, vec![file.clone()]);
    assert_kea_accepts(&file, &hq.root());
    let kea = std::fs::read_to_string(&file).expect("read");
    let expected = reserved(&inventory, "hq");
    assert!(
        expected.len() >= 8,
        "workstations and printers of hq: {expected:?}"
    );
    let rendered = reservations(&kea);
    assert_eq!(rendered.len(), expected.len(), "{kea}");
    for (name, address) in &expected {
        assert!(
            rendered.iter().any(|r| r["hostname"] == name.as_str()
                && r["ip-address"] == address.to_string().as_str()),
            "no reservation for {name} ({address}) in:\n{kea}"
        );
    }

    // Lyon is served by dnsmasq; its Kea rendering must be as good if it ever moves to Kea.
    let written = dhcp::write_site(&inventory, "lyon").expect("lyon renders");
    assert_eq!(
        written,
        vec![hq.root().join("state/dhcp/lyon/dnsmasq.conf")]
    );
    let dnsmasq = std::fs::read_to_string(&written[0]).expect("read");
    for (name, address) in reserved(&inventory, "lyon") {
        assert!(
            dnsmasq.lines().any(|line| line.starts_with("dhcp-host=")
                && line.ends_with(&format!(",{address},{name}"))),
            "no dhcp-host for {name} in:\n{dnsmasq}"
        );
    }
    let lyon = hq.root().join("lyon-kea.conf");
    std::fs::write(
        &lyon,
        dhcp::render_kea(&inventory, "lyon").expect("renders"),
    )
    .expect("write");
    assert_kea_accepts(&lyon, &hq.root());
}

#[test]
fn an_offboarded_workstation_leaves_a_configuration_kea_accepts_without_it() {
    let hq = Hq::new();
    let mut inventory = load(&hq.root());
    let before = dhcp::render_site(&inventory, "hq").expect("renders");
    assert!(
        before
            .kea
            .as_deref()
            .is_some_and(|k| k.contains("\"pc-hq-03\""))
    );

    inventory
        .assets
        .retain(|asset| asset.value.name != "pc-hq-03");
    let after = dhcp::render_site(&inventory, "hq").expect("renders");
    let DhcpConfigs {
        kea: Some(kea),
        dnsmasq: None,
    } = after
    else {
        panic!("hq is served by Kea: {after:?}");
    };
    assert!(
        !kea.contains("pc-hq-03") && !kea.contains("a4:bb:6d:91:02:3e"),
        "{kea}"
    );
    assert_eq!(
        reservations(&kea).len() + 1,
        reservations(before.kea.as_deref().unwrap_or_default()).len()
    );
    dhcp::write_site(&inventory, "hq").expect("writes");
    assert_kea_accepts(&hq.root().join("state/dhcp/hq/kea-dhcp4.conf"), &hq.root());
}

/// The check can fail: a reservation outside its subnet (made by hand: netparc never renders
/// one) is refused, and Kea says why.
#[test]
fn kea_refuses_a_broken_configuration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("broken.conf");
    let config = serde_json::json!({
        "Dhcp4": {
            "interfaces-config": {"interfaces": ["*"]},
            "lease-database": {"type": "memfile", "persist": false},
            "valid-lifetime": 86400,
            "subnet4": [{
                "id": 1001,
                "subnet": "10.10.10.0/24",
                "pools": [{"pool": "10.10.10.100 - 10.10.10.199"}],
                "reservations": [{
                    "hw-address": "3c:ec:ef:4a:10:21",
                    "ip-address": "10.10.11.21",
                    "hostname": "pc-hq-01",
                }],
            }],
        }
    });
    std::fs::write(
        &file,
        format!(
            "// broken on purpose\n{}\n",
            serde_json::to_string_pretty(&config).expect("json")
        ),
    )
    .expect("write");
    let out = kea_check(&file, dir.path());
    let said = said(&out);
    assert!(!out.status.success(), "kea-dhcp4 -t accepted it:\n{said}");
    assert!(
        said.contains("10.10.11.21"),
        "Kea names the reservation:\n{said}"
    );
}

#[test]
fn dnsmasq_accepts_the_example_sites_configurations_and_refuses_a_broken_one() {
    let hq = Hq::new();
    let inventory = load(&hq.root());
    // Lyon is served by dnsmasq; hq's rendering covers a reservations-only subnet (printers).
    let lyon = dhcp::write_site(&inventory, "lyon").expect("lyon renders");
    let hq_file = hq.root().join("hq.dnsmasq.conf");
    std::fs::write(
        &hq_file,
        dhcp::render_dnsmasq(&inventory, "hq").expect("renders"),
    )
    .expect("write");
    for file in [&lyon[0], &hq_file] {
        let out = dnsmasq_check(file);
        assert!(
            out.status.success(),
            "dnsmasq --test refused {}:\n{}\n--- the file:\n{}",
            file.display(),
            said(&out),
            std::fs::read_to_string(file).unwrap_or_default()
        );
    }
    assert!(
        std::fs::read_to_string(&hq_file)
            .expect("read")
            .contains("dhcp-range=set:vlan50,10.10.50.0,static,255.255.255.0,86400"),
        "the printers' subnet is served for its reservations only"
    );

    let broken = hq.root().join("broken.dnsmasq.conf");
    std::fs::write(
        &broken,
        "dhcp-host=3c:ec:ef:4a:10:zz,10.10.10.21,pc-hq-01\n",
    )
    .expect("write");
    let out = dnsmasq_check(&broken);
    assert!(
        !out.status.success(),
        "dnsmasq --test accepted it:\n{}",
        said(&out)
    );
}
