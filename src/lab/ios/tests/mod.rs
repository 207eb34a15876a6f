//! Tests of the IOS twin through its public interface: a [`Device`] built from a spec, and
//! sessions typing lines at it the way the SSH layer would.

use super::{IosState, new_session, new_state};
use crate::inventory::AssetKind;
use crate::lab::device::{CliOutput, CliSession, Device, DeviceSpec, Platform, PortSpec};
use std::net::{IpAddr, Ipv4Addr};

mod cli;
mod config;
mod fuzz;
mod netmiko;

/// A 8 × 1G + 2 × 10G access switch with an enable secret and a management SVI.
pub fn spec() -> DeviceSpec {
    let mut ports: Vec<PortSpec> = (1..=8)
        .map(|n| PortSpec {
            name: format!("GigabitEthernet1/0/{n}"),
            speed_mbps: 1000,
        })
        .collect();
    ports.extend((1..=2).map(|n| PortSpec {
        name: format!("TenGigabitEthernet1/1/{n}"),
        speed_mbps: 10_000,
    }));
    DeviceSpec {
        name: "sw1".into(),
        kind: AssetKind::Switch,
        platform: Platform::Ios,
        address: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)),
        real_address: Some(IpAddr::V4(Ipv4Addr::new(10, 0, 99, 11))),
        model: "C9300-48P".into(),
        serial: "FOC2345X0YZ".into(),
        username: "admin".into(),
        password: "Admin-Pass-1".into(),
        enable_secret: Some("Enable-Secret-1".into()),
        authorized_keys: Vec::new(),
        snmp: None,
        contact: "noc@example.test".into(),
        location: "HQ rack 1".into(),
        ports,
        management_vlan: Some(99),
        management_prefix: Some((IpAddr::V4(Ipv4Addr::new(10, 0, 99, 11)), 24)),
    }
}

/// A twin device in its factory state.
pub fn device_from(spec: DeviceSpec) -> Device {
    let state = new_state(&spec);
    Device::new(spec, Box::new(state))
}

/// The default test device.
pub fn device() -> Device {
    device_from(spec())
}

/// A terminal on a device: types lines, keeps what the user would see.
pub struct Term<'d> {
    pub device: &'d Device,
    pub session: super::IosSession,
}

impl<'d> Term<'d> {
    pub fn new(device: &'d Device) -> Term<'d> {
        let mut session = new_session();
        session.greeting(device);
        Term { device, session }
    }

    /// A terminal already in privileged mode.
    pub fn enabled(device: &'d Device) -> Term<'d> {
        let mut term = Term::new(device);
        if term.prompt().ends_with('>') {
            term.send("enable");
            term.send("Enable-Secret-1");
        }
        assert!(term.prompt().ends_with('#'), "{}", term.prompt());
        term
    }

    /// A terminal in `(config)#`.
    pub fn config(device: &'d Device) -> Term<'d> {
        let mut term = Term::enabled(device);
        term.send("configure terminal");
        term
    }

    pub fn prompt(&self) -> String {
        self.session.prompt(self.device)
    }

    /// Type a line; the text printed before the next prompt.
    pub fn send(&mut self, line: &str) -> String {
        self.execute(line).text
    }

    pub fn execute(&mut self, line: &str) -> CliOutput {
        self.session.execute(self.device, line)
    }

    /// Type lines, returning the screen as the user sees it (prompt, echoed line, output).
    pub fn screen(&mut self, lines: &[&str]) -> String {
        let mut screen = String::new();
        for line in lines {
            screen.push_str(&self.prompt());
            screen.push_str(line);
            screen.push('\n');
            screen.push_str(&self.send(line));
        }
        screen.push_str(&self.prompt());
        screen
    }

    /// Type lines that must all be accepted silently.
    pub fn quiet(&mut self, lines: &[&str]) {
        for line in lines {
            let prompt = self.prompt();
            let out = self.send(line);
            assert_eq!(out, "", "{prompt}{line}");
        }
    }
}

/// Run `f` on the device's IOS state.
pub fn ios<R>(device: &Device, f: impl FnOnce(&mut IosState) -> R) -> R {
    let mut state = device.state();
    f(state
        .platform
        .as_any_mut()
        .downcast_mut::<IosState>()
        .expect("an IOS state"))
}

/// The running configuration's body lines (without the header), for compact assertions.
pub fn running(device: &Device) -> String {
    ios(device, |s| s.running_config())
}
