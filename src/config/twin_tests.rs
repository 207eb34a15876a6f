//! The remediation against the IOS twin: every IOS asset of the example inventory, from the
//! twin's factory state, pushed through the twin's command line exactly as the driver will
//! (enable, `configure terminal`, the lines, `end`), then read back. Push twice: first
//! "changed", then "ok, no change".

use super::{remediation, unified_diff};
use crate::driver::Mode;
use crate::lab::device::{CliSession, Device, DeviceSpec};
use crate::lab::ios::{IosState, new_session, new_state};
use std::net::Ipv4Addr;

/// The rendered intended configuration and twin spec of every IOS asset of inventories/hq.
pub(super) fn hq_ios_assets() -> Vec<(String, String, DeviceSpec)> {
    use crate::check::{load_templates, open_resolver};
    use crate::intent::render_selected;
    use crate::inventory::{Inventory, Selector};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inventories/hq");
    let Some(inventory) = Inventory::load(&root).inventory else {
        panic!("the example inventory loads");
    };
    let templates = load_templates(&inventory).expect("templates load");
    let resolver = open_resolver(&inventory);
    let (intents, diagnostics) =
        render_selected(&inventory, &templates, &resolver, &Selector::all());
    assert!(diagnostics.is_empty(), "{diagnostics}");
    let mut out = Vec::new();
    for (n, intent) in intents
        .iter()
        .filter(|i| i.template.starts_with("ios/"))
        .enumerate()
    {
        let asset = inventory
            .assets
            .iter()
            .find(|a| a.value.name == intent.asset)
            .expect("a rendered asset exists");
        let address = Ipv4Addr::new(127, 0, 0, 10 + n as u8);
        let spec = crate::lab::build::spec_for(&inventory, asset, &resolver, address)
            .unwrap_or_else(|d| panic!("{}: {d}", intent.asset));
        out.push((intent.asset.clone(), intent.text.clone(), spec));
    }
    assert!(out.len() >= 5, "switches and access points render");
    out
}

/// A privileged session on a twin.
pub(super) struct Cli<'d> {
    device: &'d Device,
    session: crate::lab::ios::IosSession,
}

impl<'d> Cli<'d> {
    pub(super) fn open(device: &'d Device) -> Cli<'d> {
        let mut session = new_session();
        session.greeting(device);
        let mut cli = Cli { device, session };
        if cli.prompt().ends_with('>') {
            cli.send("enable");
            let secret = device.spec.enable_secret.clone().unwrap_or_default();
            cli.send(&secret);
        }
        assert!(cli.prompt().ends_with('#'), "{}", cli.prompt());
        cli
    }

    pub(super) fn prompt(&self) -> String {
        self.session.prompt(self.device)
    }

    pub(super) fn send(&mut self, line: &str) -> String {
        self.session.execute(self.device, line).text
    }

    /// Type configuration lines as the driver does; panics naming the first refused line.
    pub(super) fn configure(&mut self, asset: &str, lines: &[String]) {
        self.send("configure terminal");
        for line in lines {
            let prompt = self.prompt();
            let out = self.send(line);
            let refused = [
                "% Invalid",
                "% Incomplete",
                "% Ambiguous",
                "% Unknown",
                "% Duplicate",
            ]
            .iter()
            .any(|e| out.contains(e))
                || out.contains("may not be deleted");
            assert!(
                !refused,
                "{asset}: the twin refused `{line}` at `{prompt}`:\n{out}\nwhole remediation:\n{}",
                lines.join("\n")
            );
        }
        self.send("end");
        assert!(self.prompt().ends_with('#'), "{asset}: {}", self.prompt());
    }

    pub(super) fn running(&mut self) -> String {
        self.send("terminal length 0");
        self.send("show running-config")
    }
}

/// A twin in its factory state.
pub(super) fn twin(spec: DeviceSpec) -> Device {
    let state: IosState = new_state(&spec);
    Device::new(spec, Box::new(state))
}

#[test]
fn every_hq_ios_asset_converges_in_one_push_then_reports_no_change() {
    for (asset, intended, spec) in hq_ios_assets() {
        let device = twin(spec);
        let mut cli = Cli::open(&device);
        let factory = cli.running();
        let first = remediation(&factory, &intended, Mode::Merge);
        assert!(
            !first.is_empty(),
            "{asset}: the factory state differs from the intent"
        );
        assert!(!unified_diff(&factory, &intended, &asset).is_empty());
        cli.configure(&asset, &first);
        let pushed = cli.running();
        let merge = remediation(&pushed, &intended, Mode::Merge);
        let replace = remediation(&pushed, &intended, Mode::Replace);
        let diff = unified_diff(&pushed, &intended, &asset);
        assert!(
            merge.is_empty() && replace.is_empty() && diff.is_empty(),
            "{asset}: not converged after one push\nmerge: {merge:#?}\nreplace: {replace:#?}\n{diff}\nfirst push:\n{}",
            first.join("\n")
        );
    }
}

#[test]
fn replace_from_factory_converges_too() {
    for (asset, intended, spec) in hq_ios_assets() {
        let device = twin(spec);
        let mut cli = Cli::open(&device);
        let factory = cli.running();
        let first = remediation(&factory, &intended, Mode::Replace);
        cli.configure(&asset, &first);
        let pushed = cli.running();
        let diff = unified_diff(&pushed, &intended, &asset);
        assert!(
            remediation(&pushed, &intended, Mode::Replace).is_empty() && diff.is_empty(),
            "{asset}:\n{diff}"
        );
    }
}

/// The diff people read before the first push shows every change and no secret.
#[test]
fn the_first_push_diff_shows_no_secret() {
    for (asset, intended, spec) in hq_ios_assets() {
        let device = twin(spec);
        let factory = Cli::open(&device).running();
        let diff = unified_diff(&factory, &intended, &asset);
        assert!(
            diff.contains(&format!("+++ intended ({asset})\n")),
            "{diff}"
        );
        assert!(diff.contains("\n+banner motd ^C\n"), "{asset}:\n{diff}");
        let secrets: Vec<&str> = intended
            .lines()
            .filter(|l| {
                l.contains(" secret ") || l.contains("set-key") || l.contains("snmp-server user")
            })
            .flat_map(|l| {
                // The word after `secret`, `ascii 0`, `sha-2 256`, `aes 128`.
                let words: Vec<&str> = l.split_whitespace().collect();
                words
                    .windows(2)
                    .filter(|w| matches!(w[0], "secret" | "0" | "256" | "128"))
                    .map(|w| w[1])
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(!secrets.is_empty(), "{asset}: the intent holds secrets");
        for secret in secrets {
            assert!(
                !diff.contains(secret),
                "{asset}: a secret shows in the diff"
            );
        }
    }
}

/// What a real Catalyst 9000 shows beyond the twin: comments with timestamps, sections the
/// device writes for itself, the out-of-band port, ACL sequence numbers, vty lines split in
/// two ranges, `stopbits 1`. Once the intent is in place, none of it is a difference.
#[test]
fn a_real_ios_xe_rendering_of_the_pushed_intent_is_no_difference() {
    let Some((asset, intended, spec)) = hq_ios_assets().into_iter().find(|a| a.0 == "sw-hq-02")
    else {
        panic!("sw-hq-02 renders");
    };
    let device = twin(spec);
    let mut cli = Cli::open(&device);
    let factory = cli.running();
    cli.configure(&asset, &remediation(&factory, &intended, Mode::Merge));
    let pushed = cli.running();
    let mut real = String::from(
        "Building configuration...\n\nCurrent configuration : 12345 bytes\n!\n! Last configuration change at 10:02:11 CET Mon Mar 4 2024 by netadmin\n!\nversion 17.9\n",
    );
    let mut acl_seq = 0;
    let mut in_acl = false;
    for line in pushed.lines().skip(4) {
        if line == "version 17.9" {
            real.push_str("boot-start-marker\nboot-end-marker\n!\nvrf definition Mgmt-vrf\n !\n address-family ipv4\n exit-address-family\n!\nlicense boot level network-essentials\n!\ncrypto pki trustpoint TP-self-signed-4242\n enrollment selfsigned\n revocation-check none\n!\ncrypto pki certificate chain TP-self-signed-4242\n certificate self-signed 01\n  30820330 30820218 A0030201 02020101\n  \tquit\n!\nredundancy\n mode sso\n!\ntransceiver type all\n monitoring\n!\ninterface GigabitEthernet0/0\n vrf forwarding Mgmt-vrf\n no ip address\n negotiation auto\n!\n");
            continue;
        }
        if line.starts_with("ip access-list ") {
            in_acl = true;
            acl_seq = 0;
        } else if !line.starts_with(' ') {
            in_acl = false;
        }
        if in_acl && line.starts_with(' ') {
            acl_seq += 10;
            real.push_str(&format!(" {acl_seq}{line}\n"));
        } else if line == "line con 0" {
            real.push_str("line con 0\n stopbits 1\n");
        } else if line == "line vty 0 15" {
            real.push_str("line vty 0 4\n");
            let block: Vec<&str> = pushed
                .lines()
                .skip_while(|l| *l != "line vty 0 15")
                .skip(1)
                .take_while(|l| l.starts_with(' '))
                .collect();
            for child in &block {
                real.push_str(child);
                real.push('\n');
            }
            real.push_str("line vty 5 15\n");
        } else {
            real.push_str(line);
            real.push('\n');
        }
    }
    assert!(
        real.contains("line vty 5 15\n transport input ssh\n"),
        "{real}"
    );
    assert!(real.contains(" 50 deny   any log\n"), "{real}");
    for mode in [Mode::Merge, Mode::Replace] {
        let planned = remediation(&real, &intended, mode);
        assert!(planned.is_empty(), "{mode:?}: {planned:#?}");
    }
    assert_eq!(unified_diff(&real, &intended, &asset), "");
}
