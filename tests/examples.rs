//! The example content shipped in the repository must stay valid: the inventory checks
//! clean, every configurable asset renders, every playbook validates.

use netparc::check::check;
use netparc::inventory::Selector;
use std::path::Path;

#[test]
fn example_inventory_checks_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("inventories/hq");
    let report = check(&root, &Selector::all());
    assert_eq!(report.errors, 0, "{}", report.diagnostics);
    assert!(
        report.assets >= 20,
        "a dozen workstations and printers plus network gear"
    );
    assert!(
        report.rendered >= 7,
        "switches, access points and the VPN gateway render"
    );
    assert!(report.playbooks >= 3);
    // the only expected finding: the demo identity kept in the inventory
    let codes: Vec<&str> = report.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        ["audit.identity-in-inventory"],
        "{}",
        report.diagnostics
    );
}

#[test]
fn example_switch_renders_its_intended_configuration() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_netparc"))
        .args(["render", "-i", "inventories/hq", "--limit", "sw-hq-02"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NETPARC_IDENTITY")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("hostname sw-hq-02"), "{text}");
    assert!(text.contains("transport input ssh"), "{text}");
    assert!(!text.contains("{{"), "{text}");
}
