//! `netparc docs`: the addressing plan, the equipment with its verified state and the port
//! maps, as Markdown and a self-contained HTML page.

use crate::playbook::Hq;

#[test]
fn docs_hold_the_plan_the_equipment_and_the_port_maps_in_markdown_and_html() {
    let hq = Hq::new();
    let out = hq.root().join("../../docs-out");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_netparc"))
        .args(["docs", "-i"])
        .arg(hq.root())
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let markdown = std::fs::read_to_string(out.join("network.md")).unwrap();
    assert!(
        markdown.starts_with("# Network documentation: Atelier Durand SARL"),
        "{markdown}"
    );
    assert!(markdown.contains("## Site hq: Head office, Paris"));
    assert!(
        markdown.contains(
            "| 10 | users | data | 10.10.10.0/24 | 10.10.10.1 | 10.10.10.100-10.10.10.199 | 254 |"
        ),
        "{markdown}"
    );
    assert!(markdown.contains("### Port map of sw-hq-02"));
    assert!(markdown.contains(
        "| GigabitEthernet1/0/1 | access | 10 (users) | 20 (voice) | Open space desk 1 | pc-hq-07 (workstation), lea.rousseau, d8:bb:c1:5e:20:9c |"
    ));
    assert!(markdown.contains("| vpn-hq-01 | vpn_gateway |"));
    let html = std::fs::read_to_string(out.join("network.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<h3>Port map of sw-hq-02</h3>"));
    // Self-contained: no script, no external resource.
    assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"));
    assert!(!html.contains("<link"));
}
