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
