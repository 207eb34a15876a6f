//! The IOS twin's state: its running and startup configurations, its hardware ports, and the
//! views derived from the running configuration (hostname, interfaces, banner, secrets) that
//! the CLI, show commands and SNMP facts read. The configuration is the single source of
//! truth: nothing here duplicates what a line says.

use super::config::{ConfigNode, ConfigTree};
use super::engine::{self, ConfigContext, Flow};
use super::ifname::{self, IfClass};
use super::parse::{mask_length, mask_of, parse_ipv4};
use super::rules;
use super::secret;
use crate::inventory::AssetKind;
use crate::lab::device::{DeviceFacts, DeviceSpec, InterfaceFacts, PlatformState, PortSpec};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

/// The software version the twin reports.
pub const VERSION: &str = "17.9.4";
/// The version line at the top of the configuration (`version 17.9`).
pub const CONFIG_VERSION: &str = "17.9";
/// The version as `show version` pads it in its first line.
pub const VERSION_PADDED: &str = "17.09.04";
/// sysObjectID: a Catalyst 9300.
pub const OBJECT_ID: &str = "1.3.6.1.4.1.9.1.2593";

/// How a switch port forwards, from its `switchport` lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortMode {
    /// `switchport mode access`.
    Access,
    /// `switchport mode trunk`.
    Trunk,
    /// No mode configured: dynamic auto, which forwards as an access port to a host.
    Dynamic,
    /// `no switchport`, or a virtual layer 3 interface.
    Routed,
}

/// One interface as the running configuration describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceView {
    /// Full name.
    pub name: String,
    /// Kind of interface.
    pub class: IfClass,
    /// `description`, empty when none.
    pub description: String,
    /// `shutdown` is configured.
    pub shutdown: bool,
    /// Forwarding mode.
    pub mode: PortMode,
    /// `switchport access vlan` (1 when not set).
    pub access_vlan: u16,
    /// `switchport voice vlan`.
    pub voice_vlan: Option<u16>,
    /// `switchport trunk native vlan` (1 when not set).
    pub native_vlan: u16,
    /// `switchport trunk allowed vlan` as written (`ALL` when not set).
    pub allowed_vlans: String,
    /// Primary IPv4 address and mask.
    pub ipv4: Option<(Ipv4Addr, Ipv4Addr)>,
    /// Nominal speed, Mbit/s.
    pub speed_mbps: u32,
}

/// The state of an IOS twin (see the module documentation).
#[derive(Debug, Clone)]
pub struct IosState {
    pub(crate) running: ConfigTree,
    startup: ConfigTree,
    /// The startup configuration's text, rendered once per change: the lab asks for it
    /// after every command to see whether something was saved (see `persisted`).
    startup_text_cache: std::sync::OnceLock<String>,
    pub(crate) ports: Vec<PortSpec>,
    pub(crate) port_names: Vec<String>,
    pub(crate) default_hostname: String,
    pub(crate) snmp_users: Vec<String>,
    /// Files on `flash:` (configuration snapshots), kept across reloads like flash memory.
    flash: BTreeMap<String, String>,
    booted: Instant,
}

/// A line of a configuration text that the twin refused, from [`IosState::configure`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Line number, from 1.
    pub line: usize,
    /// The line.
    pub text: String,
    /// What the device printed (the `%` message, with its caret line).
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}: {}: {}",
            self.line,
            self.text,
            self.message
                .lines()
                .find(|l| l.starts_with('%') || l.starts_with("Bad"))
                .unwrap_or(self.message.trim())
        )
    }
}

/// Build the factory state of an IOS twin from its spec: the factory configuration (hostname,
/// enable secret, the login user, every port, the management SVI, SSH version 2, vty lines
/// with local login over SSH), saved as the startup configuration.
pub fn new_state(spec: &DeviceSpec) -> IosState {
    // Inventories may write ports short (`Gi1/0/1`); the device knows them by full name.
    let ports: Vec<crate::lab::device::PortSpec> = spec
        .ports
        .iter()
        .map(|p| crate::lab::device::PortSpec {
            name: super::ifname::canonical(&p.name),
            speed_mbps: p.speed_mbps,
        })
        .collect();
    let port_names: Vec<String> = ports.iter().map(|p| p.name.clone()).collect();
    let default_hostname = match spec.kind {
        AssetKind::Router | AssetKind::Firewall | AssetKind::VpnGateway => "Router",
        _ => "Switch",
    };
    let mut state = IosState {
        running: ConfigTree::default(),
        startup: ConfigTree::default(),
        startup_text_cache: std::sync::OnceLock::new(),
        ports,
        port_names,
        default_hostname: default_hostname.to_string(),
        snmp_users: Vec::new(),
        flash: BTreeMap::new(),
        booted: Instant::now(),
    };
    let hostname: String = spec
        .name
        .chars()
        .map(|c| if c.is_whitespace() { '-' } else { c })
        .collect();
    let mut lines = Vec::new();
    if !hostname.is_empty() {
        lines.push(format!("hostname {hostname}"));
    }
    if let Some(secret) = spec.enable_secret.as_deref().filter(|s| !s.is_empty()) {
        lines.push(format!("enable secret {secret}"));
    }
    if !spec.username.is_empty() && !spec.username.contains(char::is_whitespace) {
        lines.push(format!(
            "username {} privilege 15 secret {}",
            spec.username, spec.password
        ));
    }
    if let Some(vlan) = spec.management_vlan.filter(|v| (1..=4094).contains(v)) {
        lines.push(format!("interface Vlan{vlan}"));
        match spec.management_prefix {
            Some((IpAddr::V4(address), len)) => {
                lines.push(format!(" ip address {address} {}", mask_of(len)));
            }
            Some((IpAddr::V6(address), len)) => {
                lines.push(format!(" ipv6 address {address}/{len}"));
            }
            None => {}
        }
    }
    // IOS-XE ships with its web UI on and shows it (both forms of these lines are shown):
    // a backup of a factory switch must be able to bring them back.
    lines.push("ip http server".to_string());
    lines.push("ip http secure-server".to_string());
    lines.push("ip ssh version 2".to_string());
    lines.push("line vty 0 15".to_string());
    lines.push(" login local".to_string());
    lines.push(" transport input ssh".to_string());
    state.normalize();
    // The factory lines are built from the spec and always parse; a spec value IOS would
    // refuse (a hostname with odd characters…) is simply left out.
    let _ = state.configure(&lines.join("\n"));
    let running = state.running.clone();
    state.set_startup(running);
    state
}

impl IosState {
    /// Replace the startup configuration (and forget its rendered text).
    pub(crate) fn set_startup(&mut self, startup: ConfigTree) {
        self.startup = startup;
        self.startup_text_cache = std::sync::OnceLock::new();
    }

    /// The hostname the running configuration sets (IOS's default when none).
    pub fn hostname(&self) -> String {
        self.running
            .top(&["hostname"])
            .and_then(|n| n.words().get(1).map(|s| s.to_string()))
            .unwrap_or_else(|| self.default_hostname.clone())
    }

    /// The running configuration.
    pub fn running(&self) -> &ConfigTree {
        &self.running
    }

    /// The saved (startup) configuration.
    pub fn startup(&self) -> &ConfigTree {
        &self.startup
    }

    /// The hardware ports.
    pub fn ports(&self) -> &[PortSpec] {
        &self.ports
    }

    /// True when the running configuration is the saved one.
    pub fn is_saved(&self) -> bool {
        self.running == self.startup
    }

    /// `write memory`: the running configuration becomes the startup configuration.
    pub fn save(&mut self) {
        self.set_startup(self.running.clone());
    }

    /// The running configuration as `show running-config` prints it (from `Building
    /// configuration...` to `end`).
    pub fn running_config(&self) -> String {
        super::show::running_config(self)
    }

    /// The startup configuration as `show startup-config` prints it.
    pub fn startup_config(&self) -> String {
        super::show::startup_config(self)
    }

    /// Apply configuration text as if typed after `configure terminal` (indentation, `!`
    /// comments and a final `end` allowed). Every line is tried; the refused ones are
    /// returned with what the device printed.
    pub fn configure(&mut self, text: &str) -> Result<(), Vec<ConfigError>> {
        let mut context = ConfigContext::default();
        let mut errors = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            let result = engine::apply_line(self, &mut context, line, 0);
            if result.error {
                errors.push(ConfigError {
                    line: index + 1,
                    text: line.to_string(),
                    message: result.text,
                });
            }
            if matches!(result.flow, Flow::End | Flow::Exit) {
                break;
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Replace the running configuration with a complete one, as `configure replace` does:
    /// lines absent from `text` are gone afterwards. Show-command headers (`Building
    /// configuration...`, `Current configuration : N bytes`) are skipped. Refused lines are
    /// returned; the rest is applied.
    pub fn replace_running(&mut self, text: &str) -> Result<(), Vec<ConfigError>> {
        let (fresh, result) = self.parsed(text);
        self.running = fresh.running;
        self.snmp_users = fresh.snmp_users;
        result
    }

    /// This device with `text` as its whole running configuration.
    fn parsed(&self, text: &str) -> (IosState, Result<(), Vec<ConfigError>>) {
        let mut fresh = self.clone();
        fresh.running = ConfigTree::default();
        fresh.normalize();
        let body: Vec<&str> = text
            .lines()
            .map(|l| {
                if l.starts_with("Building configuration") || l.starts_with("Current configuration")
                {
                    ""
                } else {
                    l
                }
            })
            .collect();
        let result = fresh.configure(&body.join("\n"));
        (fresh, result)
    }

    /// Make `text` the startup configuration (`copy flash:x startup-config`).
    pub fn replace_startup(&mut self, text: &str) -> Result<(), Vec<ConfigError>> {
        let (fresh, result) = self.parsed(text);
        self.set_startup(fresh.running);
        result
    }

    /// The text of the startup configuration, as a file holds it.
    pub fn startup_text(&self) -> String {
        super::show::config_text(&self.startup)
    }

    /// The text `copy running-config flash:` writes: the configuration from its first `!`.
    pub fn running_text(&self) -> String {
        super::show::config_text(&self.running)
    }

    /// Write a file on `flash:` (the SSH layer's SCP, or `copy … flash:`).
    pub fn flash_write(&mut self, name: &str, text: &str) {
        self.flash.insert(flash_name(name), text.to_string());
    }

    /// Read a file on `flash:`.
    pub fn flash_read(&self, name: &str) -> Option<&str> {
        self.flash.get(&flash_name(name)).map(String::as_str)
    }

    /// Delete a file on `flash:`; false when it did not exist.
    pub fn flash_delete(&mut self, name: &str) -> bool {
        self.flash.remove(&flash_name(name)).is_some()
    }

    /// The files on `flash:` and their sizes.
    pub fn flash_files(&self) -> Vec<(String, usize)> {
        self.flash
            .iter()
            .map(|(n, t)| (n.clone(), t.len()))
            .collect()
    }

    /// True when `enable` asks for a secret (an `enable secret` or `enable password` is set).
    pub fn enable_protected(&self) -> bool {
        self.running.top(&["enable", "secret"]).is_some()
            || self.running.top(&["enable", "password"]).is_some()
    }

    /// Check a secret typed at `enable`'s `Password:` prompt.
    pub fn check_enable(&self, typed: &str) -> bool {
        if let Some(line) = self.running.top(&["enable", "secret"]) {
            let words = line.words();
            return match words.as_slice() {
                ["enable", "secret", "level", _, kind, stored]
                | ["enable", "secret", kind, stored] => secret::matches(kind, stored, typed),
                _ => false,
            };
        }
        if let Some(line) = self.running.top(&["enable", "password"]) {
            let words = line.words();
            return match words.as_slice() {
                ["enable", "password", "level", _, stored] | ["enable", "password", stored] => {
                    *stored == typed
                }
                _ => false,
            };
        }
        true
    }

    /// Check a login against the `username` lines of the running configuration: `None` when
    /// the user is not configured (the SSH layer then uses the spec's credentials), otherwise
    /// whether the password matches. Lets a pushed `username … secret` take effect at the next
    /// login, as on a real device.
    pub fn check_login(&self, user: &str, password: &str) -> Option<bool> {
        let line = self.running.top(&["username", user])?;
        let words = line.words();
        let value_of = |key: &str| {
            let at = words.iter().position(|w| *w == key)?;
            Some((words.get(at + 1).copied()?, words.get(at + 2).copied()?))
        };
        if let Some((kind, stored)) = value_of("secret") {
            return Some(secret::matches(kind, stored, password));
        }
        if let Some((kind, stored)) = value_of("password") {
            return Some(kind == "0" && stored == password);
        }
        Some(words.contains(&"nopassword"))
    }

    /// The privilege level of a configured user (1 when the line gives none).
    pub fn user_privilege(&self, user: &str) -> Option<u8> {
        let line = self.running.top(&["username", user])?;
        let words = line.words();
        let level = words
            .iter()
            .position(|w| *w == "privilege")
            .and_then(|at| words.get(at + 1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        Some(level)
    }

    /// The text of `banner <kind>` (`motd`, `login`, `exec`), if configured.
    pub fn banner(&self, kind: &str) -> Option<String> {
        let node = self.running.top(&["banner", kind])?;
        let body = &node.verbatim[..node.verbatim.len().saturating_sub(1)];
        Some(body.join("\n"))
    }

    /// The `interface` block of the running configuration named `name` (full name).
    pub fn interface_block(&self, name: &str) -> Option<&ConfigNode> {
        self.running.top(&["interface", name])
    }

    /// Every interface: the hardware ports and the virtual interfaces of the running
    /// configuration, in the order IOS lists them.
    pub fn interfaces(&self) -> Vec<InterfaceView> {
        let mut names: Vec<String> = self.port_names.clone();
        for node in self.running.tops(&["interface"]) {
            if let Some(name) = node.words().get(1)
                && !names.iter().any(|n| n == name)
            {
                names.push(name.to_string());
            }
        }
        names.sort_by_key(|n| ifname::sort_key(n));
        names.iter().map(|n| self.interface_view(n)).collect()
    }

    /// One interface's view (defaults when it has no block).
    pub fn interface_view(&self, name: &str) -> InterfaceView {
        let class = ifname::class_of(name);
        let speed_mbps = self
            .ports
            .iter()
            .find(|p| p.name == name)
            .map_or(1000, |p| p.speed_mbps);
        let mut view = InterfaceView {
            name: name.to_string(),
            class,
            description: String::new(),
            shutdown: false,
            mode: match class {
                IfClass::Physical | IfClass::PortChannel => PortMode::Dynamic,
                _ => PortMode::Routed,
            },
            access_vlan: 1,
            voice_vlan: None,
            native_vlan: 1,
            allowed_vlans: "ALL".to_string(),
            ipv4: None,
            speed_mbps,
        };
        let Some(block) = self.interface_block(name) else {
            return view;
        };
        for child in &block.children {
            let words = child.words();
            match words.as_slice() {
                ["description", ..] => {
                    view.description =
                        child.text["description ".len().min(child.text.len())..].to_string()
                }
                ["shutdown"] => view.shutdown = true,
                ["no", "switchport"] => view.mode = PortMode::Routed,
                ["switchport", "mode", "access"] if view.mode != PortMode::Routed => {
                    view.mode = PortMode::Access
                }
                ["switchport", "mode", "trunk"] if view.mode != PortMode::Routed => {
                    view.mode = PortMode::Trunk
                }
                ["switchport", "access", "vlan", id] => view.access_vlan = id.parse().unwrap_or(1),
                ["switchport", "voice", "vlan", id] => view.voice_vlan = id.parse().ok(),
                ["switchport", "trunk", "native", "vlan", id] => {
                    view.native_vlan = id.parse().unwrap_or(1)
                }
                ["switchport", "trunk", "allowed", "vlan", list] => {
                    view.allowed_vlans = list.to_string()
                }
                ["ip", "address", address, mask] => {
                    if let (Some(a), Some(m)) = (parse_ipv4(address), parse_ipv4(mask))
                        && mask_length(m).is_some()
                    {
                        view.ipv4 = Some((a, m));
                    }
                }
                _ => {}
            }
        }
        view
    }

    /// The VLANs of the running configuration (`vlan N` blocks) with their names, plus
    /// VLAN 1, sorted.
    pub fn vlans(&self) -> Vec<(u16, Option<String>, bool)> {
        let mut vlans: Vec<(u16, Option<String>, bool)> = vec![(1, Some("default".into()), false)];
        for node in self.running.tops(&["vlan"]) {
            let words = node.words();
            let Some(id) = words.get(1).and_then(|w| w.parse::<u16>().ok()) else {
                continue;
            };
            let name = node.child_value(&["name"]);
            let shutdown = node.has_child("shutdown");
            match vlans.iter_mut().find(|v| v.0 == id) {
                Some(v) => {
                    if name.is_some() && id != 1 {
                        v.1 = name;
                    }
                    v.2 = shutdown;
                }
                None => vlans.push((id, name, shutdown)),
            }
        }
        vlans.sort_by_key(|v| v.0);
        vlans
    }

    /// The `clock timezone` of the running configuration: name and offset in minutes.
    pub fn timezone(&self) -> (String, i64) {
        let Some(line) = self.running.top(&["clock", "timezone"]) else {
            return ("UTC".to_string(), 0);
        };
        let words = line.words();
        let name = words.get(2).unwrap_or(&"UTC").to_string();
        let hours: i64 = words.get(3).and_then(|h| h.parse().ok()).unwrap_or(0);
        let minutes: i64 = words.get(4).and_then(|m| m.parse().ok()).unwrap_or(0);
        let offset = hours * 60 + if hours < 0 { -minutes } else { minutes };
        (name, offset)
    }

    /// Every `ip address` of the running configuration (what `ping` answers for itself).
    pub fn own_addresses(&self) -> Vec<Ipv4Addr> {
        self.interfaces()
            .iter()
            .filter(|i| !i.shutdown)
            .filter_map(|i| i.ipv4.map(|(a, _)| a))
            .collect()
    }

    /// The steady traffic an interface carries while up, in bytes per second in and out:
    /// different per port, so pollers computing rates from the counters (which grow with
    /// uptime) see plausible, non-zero numbers.
    pub fn traffic_rate(&self, name: &str) -> (u64, u64) {
        if let Some(position) = self.ports.iter().position(|p| p.name == name) {
            let index = position as u64 + 1;
            return (1_200 + 37 * index, 900 + 23 * index);
        }
        match ifname::class_of(name) {
            IfClass::Vlan => (150, 120),
            _ => (0, 0),
        }
    }

    /// Physical ports always exist: a configuration without their block (after
    /// `write erase` and a reload) still shows them.
    pub(crate) fn normalize(&mut self) {
        for name in self.port_names.clone() {
            let path = vec![format!("interface {name}")];
            self.running
                .ensure(&path, &|lines, text| rules::top_level_position(lines, text));
        }
    }
}

/// A file name on `flash:` without its file system (`flash:/a.cfg`, `bootflash:a.cfg`,
/// `a.cfg` → `a.cfg`).
pub fn flash_name(path: &str) -> String {
    let name = match path.split_once(':') {
        Some((_, rest)) => rest,
        None => path,
    };
    name.trim_start_matches('/').to_string()
}

impl PlatformState for IosState {
    fn facts(&self, spec: &DeviceSpec) -> DeviceFacts {
        let snmp = |key: &str| {
            self.running.top(&["snmp-server", key]).map(|n| {
                n.text[format!("snmp-server {key} ").len().min(n.text.len())..].to_string()
            })
        };
        let seconds = self.booted.elapsed().as_secs();
        let mut interfaces = Vec::new();
        let views = self.interfaces();
        for (position, port) in self.ports.iter().enumerate() {
            let view = views
                .iter()
                .find(|v| v.name == port.name)
                .cloned()
                .unwrap_or_else(|| self.interface_view(&port.name));
            let up = !view.shutdown;
            let (rate_in, rate_out) = self.traffic_rate(&port.name);
            interfaces.push(InterfaceFacts {
                index: position as u32 + 1,
                name: port.name.clone(),
                alias: view.description,
                admin_up: up,
                oper_up: up,
                speed_mbps: port.speed_mbps,
                if_type: 6,
                in_octets: if up { seconds * rate_in } else { 0 },
                out_octets: if up { seconds * rate_out } else { 0 },
            });
        }
        let ports = self.ports.len() as u32;
        for view in views.iter().filter(|v| v.class == IfClass::Vlan) {
            let id: u32 = view.name["Vlan".len()..].parse().unwrap_or(0);
            let up = !view.shutdown;
            interfaces.push(InterfaceFacts {
                // Stable whatever other SVIs come and go: after the ports, by VLAN id.
                index: ports + id,
                name: view.name.clone(),
                alias: view.description.clone(),
                admin_up: up,
                oper_up: up,
                speed_mbps: 1000,
                if_type: 53,
                in_octets: if up {
                    seconds * self.traffic_rate(&view.name).0
                } else {
                    0
                },
                out_octets: if up {
                    seconds * self.traffic_rate(&view.name).1
                } else {
                    0
                },
            });
        }
        DeviceFacts {
            descr: format!(
                "Cisco IOS Software [netparc twin], {} Software, Version {VERSION}",
                spec.model
            ),
            object_id: OBJECT_ID.to_string(),
            name: self.hostname(),
            contact: snmp("contact").unwrap_or_else(|| spec.contact.clone()),
            location: snmp("location").unwrap_or_else(|| spec.location.clone()),
            serial: spec.serial.clone(),
            interfaces,
        }
    }

    fn reboot(&mut self, _spec: &DeviceSpec) {
        self.running = self.startup.clone();
        self.normalize();
        self.booted = Instant::now();
    }

    /// The startup configuration, as a file holds it (`!`, `version`, the lines, `end`):
    /// what NVRAM keeps through a power cut. Unsaved running changes are not in it.
    fn persisted(&self) -> Option<Vec<u8>> {
        Some(
            self.startup_text_cache
                .get_or_init(|| self.startup_text())
                .clone()
                .into_bytes(),
        )
    }

    /// Boot as after a reload with `saved` as the startup configuration. The whole text must
    /// be accepted (a file that ends early, or that an IOS twin no longer parses, is
    /// refused rather than half-applied: the twin then starts from factory).
    fn boot_from(&mut self, saved: &[u8], spec: &DeviceSpec) -> Result<(), String> {
        let text = std::str::from_utf8(saved)
            .map_err(|_| String::from("not a configuration: the file is not UTF-8 text"))?;
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.is_empty())
            .collect();
        // What `persisted` writes ends with `end`: without it the file was cut short or is
        // not ours.
        if lines.last() != Some(&"end") {
            return Err(String::from(
                "not a complete configuration: it does not end with `end`",
            ));
        }
        let erased = lines
            .iter()
            .all(|l| *l == "!" || *l == "end" || l.starts_with("version "));
        let (fresh, result) = self.parsed(text);
        if let Err(errors) = result {
            let first = errors.first().map(ToString::to_string).unwrap_or_default();
            return Err(format!(
                "{} line(s) of the configuration refused, the first: {first}",
                errors.len()
            ));
        }
        // `write erase` saved an empty configuration: it stays empty, as in NVRAM.
        let startup = if erased {
            ConfigTree::default()
        } else {
            fresh.running
        };
        self.set_startup(startup);
        self.snmp_users = fresh.snmp_users;
        self.reboot(spec);
        Ok(())
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}
