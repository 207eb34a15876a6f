//! Onboarding and offboarding a workstation at the Lyon site, whose VPN gateway runs
//! OpenVPN, on a copy of the example inventory against the twin lab: the client
//! certificate chains to the inventory's CA (`openssl verify`), its key is only in the vault
//! and the 0600 profile, the gateway's ccd file appears without restarting the tunnel;
//! offboarding removes the ccd file and revokes the serial (`openssl crl -text`); the
//! gateway down undoes everything; a gateway without its CA, or whose CA key is not in the
//! vault, refuses before any change. Plus the PKI the gateway and the profile load,
//! checked with OpenSSL.

use crate::onboard::{all_files, differences, lab, onboard, quiet, snapshot, vault_names};
use crate::playbook::Hq;
use netparc::onboard::request::Request;
use netparc::onboard::workflow::{self, Options, Outcome, Report};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const GATEWAY: &str = "vpn-lyon-01";

fn request(name: &str, mac: &str, port: Option<&str>) -> Request {
    Request {
        site: String::from("lyon"),
        name: name.to_string(),
        user: String::from("Luc Bernard"),
        mac: mac.to_string(),
        vlan: String::from("users"),
        switch: port.map(|_| String::from("sw-lyon-01")),
        port: port.map(str::to_string),
        wifi: false,
        vpn: true,
        description: None,
        ticket: Some(String::from("CHG-2026-140")),
        technician: Some(String::from("Marc Lefebvre")),
    }
}

fn netparc(root: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_netparc"))
        .args(["secrets", "-i"])
        .arg(root)
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn secret(root: &Path, name: &str) -> String {
    netparc(root, &["get", name])
}

/// The Linux twin's saved `/etc` files: path → content.
fn twin_files(root: &Path, device: &str) -> BTreeMap<String, String> {
    use base64::Engine;
    let text = std::fs::read_to_string(root.join(format!("state/lab/devices/{device}.linux.json")))
        .unwrap_or_default();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let mut out = BTreeMap::new();
    for entry in value["files"].as_array().into_iter().flatten() {
        if let (Some(path), Some(content)) = (entry["path"].as_str(), entry["content"].as_str()) {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(content)
                .unwrap();
            out.insert(
                path.to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            );
        }
    }
    out
}

fn ccd(name: &str) -> String {
    format!("{}/openvpn/server/{GATEWAY}/ccd/{name}", "\u{2f}etc")
}

/// The index the gateway's tunnel interface had before and after the change.
fn tunnel_indexes(report: &Report) -> (String, String) {
    let run = report.run.as_ref().expect("a device run");
    let gateway = run
        .assets
        .iter()
        .find(|a| a.asset == GATEWAY)
        .expect("the gateway ran");
    let output = |name: &str| {
        gateway
            .steps
            .iter()
            .find(|s| s.name == name)
            .and_then(|s| s.output.clone())
            .unwrap_or_default()
    };
    (
        output("Tunnel interface before the change"),
        output("Tunnel interface after the change"),
    )
}

fn openssl(args: &[&str]) -> String {
    let output = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(output.status.success(), "openssl {args:?}: {output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The PEM block between `<tag>` and `</tag>` of an inline OpenVPN file.
fn inline(text: &str, tag: &str) -> String {
    let start = text
        .find(&format!("<{tag}>\n"))
        .unwrap_or_else(|| panic!("no <{tag}>"))
        + tag.len()
        + 3;
    let end = text.find(&format!("</{tag}>")).unwrap();
    text[start..end].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openvpn_onboarding_issues_a_certificate_of_the_ca_and_offboarding_revokes_it() {
    use std::os::unix::fs::PermissionsExt;
    let hq = Hq::new();
    let root = hq.root();
    // A first client deploys the gateway (its server file, CRL and ccd folder).
    let first = onboard(
        &hq,
        &request("pc-lyon-10", "aa:bb:cc:00:10:10", None),
        &lab(),
    )
    .await;
    assert_eq!(first.outcome, Outcome::Done, "{:?}", first.reason);
    let report = onboard(
        &hq,
        &request("pc-lyon-11", "aa:bb:cc:00:10:11", Some("Gi1/0/7")),
        &lab(),
    )
    .await;
    assert_eq!(report.outcome, Outcome::Done, "{:?}", report.reason);
    let (gateway, tunnel) = report.vpn.clone().expect("a VPN address");
    assert_eq!(gateway, GATEWAY);
    assert!(tunnel.to_string().starts_with("10.20.200."), "{tunnel}");

    // The reload of the second onboarding left the tunnel interface alone.
    let (before, after) = tunnel_indexes(&report);
    assert!(before.contains("tun0"), "no tunnel before: {before:?}");
    assert_eq!(before, after, "the tunnel interface was recreated");

    // The asset records the certificate, not the key.
    let asset = std::fs::read_to_string(root.join("assets/workstations/pc-lyon-11.yml")).unwrap();
    assert!(
        asset.contains("certificate:") && asset.contains("serial:"),
        "{asset}"
    );
    assert!(
        asset.contains("private_key: vault:vpn/clients/pc-lyon-11"),
        "{asset}"
    );
    assert!(!asset.contains("public_key"), "{asset}");
    let serial = asset
        .lines()
        .find_map(|l| l.trim().strip_prefix("serial: "))
        .unwrap()
        .trim_matches('"')
        .to_string();

    // The profile: 0600, its certificate chains to the inventory's CA, CN = workstation,
    // clientAuth; the key in it is the vault's.
    let out = root.join("state/handover/pc-lyon-11");
    let profile_path = out.join("pc-lyon-11.ovpn");
    assert!(report.files.contains(&profile_path), "{:?}", report.files);
    let mode = std::fs::metadata(&profile_path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let profile = std::fs::read_to_string(&profile_path).unwrap();
    assert!(
        profile.contains("remote vpn-lyon.example.net 1194"),
        "{profile}"
    );
    assert!(profile.contains("<tls-crypt>"), "{profile}");
    let cert = out.join("client.crt");
    std::fs::write(&cert, inline(&profile, "cert")).unwrap();
    let ca = root.join("pki/vpn-lyon-01-ca.crt");
    let verified = openssl(&[
        "verify",
        "-purpose",
        "sslclient",
        "-CAfile",
        ca.to_str().unwrap(),
        cert.to_str().unwrap(),
    ]);
    assert!(verified.contains(": OK"), "{verified}");
    let text = openssl(&[
        "x509",
        "-in",
        cert.to_str().unwrap(),
        "-noout",
        "-text",
        "-serial",
    ]);
    assert!(text.contains("CN = pc-lyon-11"), "{text}");
    assert!(text.contains("TLS Web Client Authentication"), "{text}");
    assert!(text.contains("prime256v1"), "{text}");
    assert!(text.contains(&format!("serial={serial}")), "{text}");
    std::fs::remove_file(&cert).unwrap();
    let key = secret(&root, "vpn/clients/pc-lyon-11");
    assert!(key.contains("PRIVATE KEY"), "the vault holds no key");
    assert_eq!(inline(&profile, "key").trim(), key.trim());
    // The key is nowhere else: every other file of the inventory and the twins' state.
    let body: Vec<&str> = key
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 20)
        .collect();
    assert!(!body.is_empty());
    for file in all_files(&root) {
        if file == profile_path || file.ends_with("secrets.age") {
            continue;
        }
        let bytes = std::fs::read(&file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for line in &body {
            assert!(
                !text.contains(line),
                "the client key leaked into {}",
                file.display()
            );
        }
    }
    let sheet = std::fs::read_to_string(out.join("handover.md")).unwrap();
    assert!(sheet.contains("pc-lyon-11.ovpn"), "{sheet}");

    // The gateway twin: the client's ccd file with its address, the server file.
    let files = twin_files(&root, GATEWAY);
    let mask = "255.255.255.0";
    let client = files
        .get(&ccd("pc-lyon-11"))
        .expect("the ccd file of pc-lyon-11");
    assert!(
        client.contains(&format!("\nifconfig-push {tunnel} {mask}\n")),
        "{client}"
    );
    assert!(files.contains_key(&ccd("pc-lyon-10")));
    let server = files
        .iter()
        .find(|(p, _)| p.ends_with("vpn-lyon-01.conf"))
        .map(|(_, t)| t.clone())
        .expect("the server file");
    assert!(
        server.contains("ccd-exclusive") && server.contains("crl-verify"),
        "{server}"
    );

    // Offboarding: the ccd file goes, the serial is in the CRL, the key leaves the vault.
    let off = workflow::offboard(
        &root,
        "pc-lyon-11",
        Some("left the company"),
        &lab(),
        quiet(),
    )
    .await
    .unwrap_or_else(|found| panic!("offboarding refused: {found:?}"));
    assert_eq!(off.outcome, Outcome::Done, "{:?}", off.reason);
    let files = twin_files(&root, GATEWAY);
    assert!(
        !files.contains_key(&ccd("pc-lyon-11")),
        "the ccd file is still there"
    );
    assert!(
        files.contains_key(&ccd("pc-lyon-10")),
        "another client's ccd file went"
    );
    let crl = root.join("pki/vpn-lyon-01-crl.pem");
    let listed = openssl(&["crl", "-in", crl.to_str().unwrap(), "-noout", "-text"]);
    assert!(
        listed.contains(&format!("Serial Number: {serial}")),
        "{listed}"
    );
    let verified = Command::new("openssl")
        .args([
            "crl",
            "-in",
            crl.to_str().unwrap(),
            "-noout",
            "-CAfile",
            ca.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&verified.stderr).contains("verify OK"),
        "{verified:?}"
    );
    // The gateway got that CRL.
    let on_twin = files
        .iter()
        .find(|(p, _)| p.ends_with("/crl.pem"))
        .map(|(_, t)| t.clone())
        .expect("the CRL on the gateway");
    let kept = std::fs::read_to_string(&crl).unwrap();
    assert!(on_twin.contains(kept.trim()), "the gateway has an old CRL");
    assert!(!vault_names(&root).contains(&String::from("vpn/clients/pc-lyon-11")));
    let archived = std::fs::read_to_string(root.join("assets/retired/pc-lyon-11.yml")).unwrap();
    assert!(archived.contains(&serial), "{archived}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_openvpn_gateway_undoes_everything() {
    let hq = Hq::new();
    let root = hq.root();
    // A first onboarding on the switch and the gateway, so both twins have a saved
    // configuration to compare with; the second gets a port made an access port for it.
    edit(
        &root,
        "assets/switches/sw-lyon-01.yml",
        "{name: GigabitEthernet1/0/9, mode: unused}",
        "{name: GigabitEthernet1/0/9, vlan: users}",
    );
    let first = onboard(
        &hq,
        &request("pc-lyon-20", "aa:bb:cc:00:20:20", Some("Gi1/0/7")),
        &lab(),
    )
    .await;
    assert_eq!(first.outcome, Outcome::Done, "{:?}", first.reason);
    let before = snapshot(&root);
    let names = vault_names(&root);
    let twin = twin_files(&root, GATEWAY);
    let options = Options {
        faults: vec![format!("{GATEWAY}:down")],
        ..lab()
    };
    let report = onboard(
        &hq,
        &request("pc-lyon-21", "aa:bb:cc:00:20:21", Some("Gi1/0/9")),
        &options,
    )
    .await;
    assert_eq!(report.outcome, Outcome::RolledBack);
    let reason = report.reason.unwrap_or_default();
    assert!(reason.contains("vpn-lyon-01 unreachable"), "{reason}");
    assert!(report.files.is_empty());
    let changed = differences(&before, &snapshot(&root));
    assert!(changed.is_empty(), "left behind: {changed:?}");
    assert_eq!(
        vault_names(&root),
        names,
        "the client key was left in the vault"
    );
    assert_eq!(twin_files(&root, GATEWAY), twin);
    assert!(!root.join("assets/workstations/pc-lyon-21.yml").exists());
}

/// Onboard `name` and expect a refusal that changed nothing; returns `code: message` lines.
async fn refused(hq: &Hq, name: &str) -> String {
    let root = hq.root();
    let before = snapshot(&root);
    let names = vault_names(&root);
    let found = workflow::onboard(
        &root,
        &request(name, "aa:bb:cc:00:30:30", None),
        &lab(),
        quiet(),
    )
    .await
    .expect_err("the onboarding must be refused");
    let changed = differences(&before, &snapshot(&root));
    assert!(changed.is_empty(), "a refused onboarding wrote {changed:?}");
    assert_eq!(vault_names(&root), names);
    found
        .iter()
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect::<Vec<_>>()
        .join("\n")
}

fn edit(root: &Path, file: &str, from: &str, to: &str) {
    let path = root.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from} not in {file}");
    std::fs::write(&path, text.replace(from, to)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_openvpn_gateway_without_its_ca_refuses_before_any_change() {
    let hq = Hq::new();
    edit(
        &hq.root(),
        "assets/vpn/vpn-lyon-01.yml",
        "  ca: pki/vpn-lyon-01-ca.crt\n",
        "",
    );
    let found = refused(&hq, "pc-lyon-30").await;
    assert!(
        found.contains(
            "inventory.openvpn-no-ca: OpenVPN gateway `vpn-lyon-01` has no CA certificate"
        ),
        "{found}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ca_key_missing_from_the_vault_refuses_before_any_change() {
    let hq = Hq::new();
    edit(
        &hq.root(),
        "assets/vpn/vpn-lyon-01.yml",
        "vault:vpn/lyon-ca-key",
        "vault:vpn/lyon-ca-key-lost",
    );
    let found = refused(&hq, "pc-lyon-31").await;
    assert!(
        found.contains("onboard.ca-key: the CA key of OpenVPN gateway `vpn-lyon-01` (vault:vpn/lyon-ca-key-lost) cannot be read"),
        "{found}"
    );
}

/// What OpenVPN loads at start, checked with OpenSSL: the gateway's certificate (inline in
/// its rendered server file) chains to the CA for serverAuth and its inline key is that
/// certificate's; the CRL the gateway got verifies with the CA; the client profile's CA is
/// the inventory's. (`openvpn` itself has no option-only check for a TLS server: it would
/// open a tun device, which tests must not.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_loads_a_consistent_pki() {
    let hq = Hq::new();
    let root = hq.root();
    let report = onboard(
        &hq,
        &request("pc-lyon-40", "aa:bb:cc:00:40:40", None),
        &lab(),
    )
    .await;
    assert_eq!(report.outcome, Outcome::Done, "{:?}", report.reason);
    let files = twin_files(&root, GATEWAY);
    let server = files
        .iter()
        .find(|(p, _)| p.ends_with("vpn-lyon-01.conf"))
        .map(|(_, t)| t.clone())
        .expect("the server file");
    let work = tempfile::tempdir().unwrap();
    let path = |name: &str| work.path().join(name).to_str().unwrap().to_string();
    std::fs::write(path("cert.pem"), inline(&server, "cert")).unwrap();
    std::fs::write(path("key.pem"), inline(&server, "key")).unwrap();
    std::fs::write(path("ca.pem"), inline(&server, "ca")).unwrap();
    let ca = root.join("pki/vpn-lyon-01-ca.crt");
    let ca = ca.to_str().unwrap();
    let verified = openssl(&[
        "verify",
        "-purpose",
        "sslserver",
        "-CAfile",
        ca,
        &path("cert.pem"),
    ]);
    assert!(verified.contains(": OK"), "{verified}");
    let from_cert = openssl(&["x509", "-in", &path("cert.pem"), "-noout", "-pubkey"]);
    let from_key = openssl(&["pkey", "-in", &path("key.pem"), "-pubout"]);
    assert_eq!(
        from_cert, from_key,
        "the inline key is not the certificate's"
    );
    assert_eq!(
        std::fs::read_to_string(path("ca.pem")).unwrap().trim(),
        std::fs::read_to_string(ca).unwrap().trim()
    );
    let crl = files
        .iter()
        .find(|(p, _)| p.ends_with("/crl.pem"))
        .map(|(_, t)| t.clone())
        .unwrap();
    std::fs::write(path("crl.pem"), crl).unwrap();
    let checked = Command::new("openssl")
        .args(["crl", "-in", &path("crl.pem"), "-noout", "-CAfile", ca])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&checked.stderr).contains("verify OK"),
        "{checked:?}"
    );
    let profile =
        std::fs::read_to_string(root.join("state/handover/pc-lyon-40/pc-lyon-40.ovpn")).unwrap();
    assert_eq!(
        inline(&profile, "ca").trim(),
        std::fs::read_to_string(ca).unwrap().trim()
    );
    assert_eq!(
        inline(&profile, "tls-crypt").trim(),
        inline(&server, "tls-crypt").trim()
    );
    std::fs::write(path("client.pem"), inline(&profile, "cert")).unwrap();
    std::fs::write(path("client.key"), inline(&profile, "key")).unwrap();
    assert_eq!(
        openssl(&["x509", "-in", &path("client.pem"), "-noout", "-pubkey"]),
        openssl(&["pkey", "-in", &path("client.key"), "-pubout"])
    );
}

/// `netparc check` on the inventory: (exit success, output).
fn check(root: &Path) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_netparc"))
        .args(["check", "-i"])
        .arg(root)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn openvpn_gateway_mistakes_are_reported_with_their_place() {
    let hq = Hq::new();
    let root = hq.root();
    let (ok, text) = check(&root);
    assert!(ok, "{text}");
    let file = "assets/vpn/vpn-lyon-01.yml";
    edit(&root, file, "  ca: pki/vpn-lyon-01-ca.crt\n", "");
    edit(&root, file, "  ca_key: vault:vpn/lyon-ca-key\n", "");
    edit(
        &root,
        file,
        "  cert: pki/vpn-lyon-01.crt\n",
        "  cert: pki/missing.crt\n",
    );
    edit(
        &root,
        file,
        "  crl: pki/vpn-lyon-01-crl.pem\n",
        "  crl: pki/vpn-lyon-01.crt\n",
    );
    let (ok, text) = check(&root);
    assert!(!ok, "{text}");
    for expected in [
        "error[inventory.openvpn-no-ca]: OpenVPN gateway `vpn-lyon-01` has no CA certificate",
        "error[inventory.openvpn-no-ca-key]: OpenVPN gateway `vpn-lyon-01` has no CA key reference",
        "error[inventory.openvpn-bad-cert]: the certificate of OpenVPN gateway `vpn-lyon-01`: cannot read pki/missing.crt",
        // `vpn:` for what is missing, the value for what is wrong.
        "assets/vpn/vpn-lyon-01.yml:24:1\n  = asset: vpn-lyon-01, field: vpn.ca\n",
        "assets/vpn/vpn-lyon-01.yml:32:9\n  = asset: vpn-lyon-01, field: vpn.cert\n",
    ] {
        assert!(text.contains(expected), "{expected} missing from\n{text}");
    }
    // A CA that is not a CA, a CRL that is not one, a CRL of another CA.
    let hq = Hq::new();
    let root = hq.root();
    edit(
        &root,
        file,
        "  ca: pki/vpn-lyon-01-ca.crt\n",
        "  ca: pki/vpn-lyon-01.crt\n",
    );
    let (_, text) = check(&root);
    assert!(
        text.contains("error[inventory.openvpn-bad-ca]: the CA of OpenVPN gateway `vpn-lyon-01`: pki/vpn-lyon-01.crt: `O=Atelier Durand SARL, CN=vpn-lyon-01` is not a CA certificate"),
        "{text}"
    );
    let hq = Hq::new();
    let root = hq.root();
    edit(
        &root,
        file,
        "  crl: pki/vpn-lyon-01-crl.pem\n",
        "  crl: pki/vpn-lyon-01.crt\n",
    );
    let (_, text) = check(&root);
    assert!(
        text.contains("error[inventory.openvpn-bad-crl]: the CRL pki/vpn-lyon-01.crt of OpenVPN gateway `vpn-lyon-01`: no `-----BEGIN X509 CRL-----` block"),
        "{text}"
    );
    // No CRL yet: a warning (onboarding writes one).
    let hq = Hq::new();
    let root = hq.root();
    std::fs::remove_file(root.join("pki/vpn-lyon-01-crl.pem")).unwrap();
    let (ok, text) = check(&root);
    assert!(ok, "{text}");
    assert!(
        text.contains(
            "warning[inventory.openvpn-no-crl]: OpenVPN gateway `vpn-lyon-01` has no CRL yet"
        ),
        "{text}"
    );
    // A CRL a few days from its next update: OpenVPN would soon refuse every client.
    let hq = Hq::new();
    let root = hq.root();
    let ca = std::fs::read_to_string(root.join("pki/vpn-lyon-01-ca.crt")).unwrap();
    let key = netparc::secrets::Secret::new(secret(&root, "vpn/lyon-ca-key").trim_end());
    let today = netparc::inventory::date::Date::today();
    let issued = netparc::inventory::date::Date::from_days_since_epoch(
        today.days_since_epoch() - netparc::pki::CRL_DAYS + 10,
    );
    let expiring = netparc::pki::sign_crl(&ca, &key, &[], 7, issued).unwrap();
    std::fs::write(root.join("pki/vpn-lyon-01-crl.pem"), expiring).unwrap();
    let (ok, text) = check(&root);
    assert!(ok, "{text}");
    assert!(
        text.contains("warning[inventory.openvpn-crl-expiring]: the CRL pki/vpn-lyon-01-crl.pem of OpenVPN gateway `vpn-lyon-01` expires on ")
            && text.contains("after that OpenVPN refuses every client"),
        "{text}"
    );
    // A workstation on the OpenVPN gateway without a certificate.
    let hq = Hq::new();
    let root = hq.root();
    std::fs::write(
        root.join("assets/pc-lyon-50.yml"),
        "name: pc-lyon-50\nkind: workstation\nsite: lyon\naddress: 10.20.10.50\nvpn_client:\n  gateway: vpn-lyon-01\n  address: 10.20.200.50\n  public_key: n0eK6o1fWXM8gqtWEf14+7l7GXJ0Sgt6d3dUHudPw3w=\n",
    )
    .unwrap();
    let (_, text) = check(&root);
    assert!(
        text.contains("error[inventory.vpn-client-incomplete]: `pc-lyon-50` is a client of OpenVPN gateway `vpn-lyon-01` but has no certificate"),
        "{text}"
    );
}
