//! `LinuxState`: everything a Linux twin *is* between commands — hostname, disk, systemd
//! units, WireGuard interfaces with their loaded peers, hostapd's loaded configuration,
//! the journal — plus the service actions (`wg-quick up/down`, unit start/stop/reload)
//! that turn files on disk into running state. Files and running state are kept apart on
//! purpose: editing a file changes nothing until a reload, a restart or a reboot.

use super::crypto::{derive_private_key, key_to_base64};
use super::fs::{Fs, Node, basename, parent};
use super::hostapd::{self, HostapdConfig};
use super::wireguard::{self, PeerInfo, WgDevice};
use crate::inventory::AssetKind;
use crate::lab::device::{DeviceFacts, DeviceSpec, InterfaceFacts, PlatformState};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;

/// The kernel release every Linux twin reports (`uname -r`, sysDescr).
pub const KERNEL_RELEASE: &str = "6.1.0-netparc-twin";
/// net-snmp's sysObjectID for Linux.
pub const SYS_OBJECT_ID: &str = "1.3.6.1.4.1.8072.3.2.10";
/// Where hostapd's unit reads its configuration.
pub const HOSTAPD_CONF: &str = "/etc/hostapd/hostapd.conf";
/// The address the factory WireGuard configuration gives `wg0`.
pub const FACTORY_WG_ADDRESS: &str = "10.10.200.1/24";
/// Journal entries kept (oldest dropped first): enough for `journalctl -u`, bounded.
const JOURNAL_LIMIT: usize = 2000;

/// What a service action or tool produced, for the shell to pass on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub status: u32,
}

impl Outcome {
    pub fn fail(stderr: impl Into<String>, status: u32) -> Outcome {
        Outcome {
            stdout: String::new(),
            stderr: stderr.into(),
            status,
        }
    }
}

/// systemd's view of a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnitState {
    Active,
    Inactive,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unit {
    pub state: UnitState,
    pub enabled: bool,
    pub pid: u32,
}

/// The units the twin knows how to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UnitKind {
    WgQuick(String),
    Hostapd,
    Ssh,
    /// `openvpn-server@NAME`: `/etc/openvpn/server/NAME.conf`.
    OpenvpnServer(String),
}

/// Canonical unit name (`hostapd` → `hostapd.service`) and its kind, or `None` for a unit
/// the twin does not have.
pub(crate) fn unit_kind(name: &str) -> Option<(String, UnitKind)> {
    let full = canonical_unit(name);
    let stem = full.strip_suffix(".service")?;
    if let Some(iface) = stem.strip_prefix("wg-quick@") {
        return valid_ifname(iface).then(|| (full.clone(), UnitKind::WgQuick(iface.to_string())));
    }
    if let Some(instance) = stem.strip_prefix("openvpn-server@") {
        let plain = !instance.is_empty()
            && instance
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        return plain.then(|| (full.clone(), UnitKind::OpenvpnServer(instance.to_string())));
    }
    match stem {
        "hostapd" => Some((full, UnitKind::Hostapd)),
        "ssh" | "sshd" => Some(("ssh.service".into(), UnitKind::Ssh)),
        _ => None,
    }
}

/// The name systemctl shows for a unit argument: `.service` is implied when the name has
/// no unit suffix (`wg-quick@wg0` → `wg-quick@wg0.service`).
pub(crate) fn canonical_unit(name: &str) -> String {
    let suffixes = [
        ".service", ".socket", ".target", ".timer", ".mount", ".path",
    ];
    if suffixes.iter().any(|s| name.ends_with(s)) {
        name.to_string()
    } else {
        format!("{name}.service")
    }
}

/// An interface name wg-quick accepts (`^[a-zA-Z0-9_=+.-]{1,15}$`).
pub(crate) fn valid_ifname(name: &str) -> bool {
    (1..=15).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_=+.-".contains(c))
}

/// One journal line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JournalEntry {
    pub unit: String,
    pub ident: String,
    pub pid: u32,
    pub message: String,
    pub seq: u64,
}

/// A running OpenVPN server: the tun interface it holds. A restart recreates the interface
/// (new index); nothing else touches it: OpenVPN reads a client's ccd file when the client
/// connects and re-reads its CRL when the file changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OvpnServer {
    pub dev: String,
    pub ifindex: u32,
    pub address: Option<String>,
    pub epoch: u64,
}

/// Where `openvpn-server@NAME` reads its configuration (Debian's unit).
pub(crate) fn openvpn_conf(instance: &str) -> String {
    format!("{}/openvpn/server/{instance}.conf", "\u{2f}etc")
}

/// What the twin checks of an OpenVPN server configuration: `dev tunN`, `ifconfig ADDRESS
/// MASK` (topology subnet), and the inline CA, certificate and key a server needs.
pub(crate) fn parse_openvpn(text: &str) -> Result<(String, Option<String>), String> {
    let mut dev = None;
    let mut address = None;
    let mut inline: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(tag) = line.strip_prefix('<').and_then(|l| l.strip_suffix('>')) {
            if !tag.starts_with('/') {
                inline.push(tag);
            }
            continue;
        }
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some("dev"), Some(name), _) => dev = Some(name.to_string()),
            (Some("ifconfig"), Some(a), Some(mask)) => {
                let prefix = mask
                    .parse::<std::net::Ipv4Addr>()
                    .map(|m| u32::from(m).count_ones())
                    .map_err(|_| format!("Options error: --ifconfig: bad netmask {mask}"))?;
                address = Some(format!("{a}/{prefix}"));
            }
            _ => {}
        }
    }
    let dev = dev.ok_or("Options error: --dev tun|tap|null must be specified")?;
    if !(dev.starts_with("tun") && valid_ifname(&dev)) {
        return Err(format!(
            "Options error: the twin runs tun devices only, not `{dev}`"
        ));
    }
    for needed in ["ca", "cert", "key"] {
        if !inline.contains(&needed) {
            return Err(format!(
                "Options error: You must define {} file (--{needed})",
                match needed {
                    "ca" => "CA",
                    "cert" => "certificate",
                    _ => "private key",
                }
            ));
        }
    }
    Ok((dev, address))
}

/// A network interface as `ip` and SNMP see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NetIf {
    pub index: u32,
    pub name: String,
    pub if_type: u32,
    pub oper_up: bool,
    pub addresses: Vec<String>,
    pub mac: Option<String>,
    pub mtu: u32,
    pub speed_mbps: u32,
}

/// The live state of a Linux twin (see the module documentation).
#[derive(Debug, Clone)]
pub struct LinuxState {
    pub(crate) hostname: String,
    pub(crate) fs: Fs,
    pub(crate) units: BTreeMap<String, Unit>,
    pub(crate) wg: BTreeMap<String, WgDevice>,
    /// Running OpenVPN servers, by unit instance.
    pub(crate) ovpn: BTreeMap<String, OvpnServer>,
    pub(crate) hostapd: Option<HostapdConfig>,
    pub(crate) journal: Vec<JournalEntry>,
    /// The twin has a radio (`wlan0`): an access point.
    pub(crate) radio: bool,
    /// eth0's address and prefix length.
    pub(crate) eth0: (IpAddr, u8),
    pub(crate) eth0_speed: u32,
    pub(crate) next_ifindex: u32,
    /// Counter behind every "random" value (keys, PIDs, temporary names).
    pub(crate) seq: u64,
    /// Seed for derived keys (the asset name: stable across runs, distinct per twin).
    pub(crate) seed: String,
    pub(crate) epochs: u64,
    /// The factory `/etc` and units: what the twin saves is its difference from them.
    pub(crate) factory: super::saved::Factory,
}

/// A factory-fresh Linux twin for `spec`: a VPN gateway (`/etc/wireguard/wg0.conf` with an
/// `[Interface]` section only, `wg0` up with no peers) or, for an access point, a radio
/// with hostapd serving a setup SSID. Both have the other service installed but idle.
/// The kernel parameters the twin knows, with the value Debian 12 boots with.
pub(crate) const SYSCTL_DEFAULTS: &[(&str, &str)] = &[
    ("net.ipv4.ip_forward", "0"),
    ("net.ipv6.conf.all.forwarding", "0"),
    ("net.ipv4.conf.all.rp_filter", "2"),
    ("net.core.rmem_max", "212992"),
    ("net.core.wmem_max", "212992"),
];

pub fn new_state(spec: &DeviceSpec) -> LinuxState {
    let radio = spec.kind == AssetKind::AccessPoint;
    let eth0 = spec
        .management_prefix
        .or_else(|| {
            spec.real_address
                .map(|a| (a, if a.is_ipv4() { 24 } else { 64 }))
        })
        .unwrap_or((spec.address, if spec.address.is_ipv4() { 32 } else { 128 }));
    let mut st = LinuxState {
        hostname: spec.name.clone(),
        fs: Fs::default(),
        units: BTreeMap::new(),
        wg: BTreeMap::new(),
        ovpn: BTreeMap::new(),
        hostapd: None,
        journal: Vec::new(),
        radio,
        eth0,
        eth0_speed: spec.ports.first().map_or(1000, |p| p.speed_mbps),
        next_ifindex: 1,
        seq: 0,
        seed: spec.name.clone(),
        epochs: 0,
        factory: super::saved::Factory::default(),
    };
    for (dir, mode) in [
        ("/bin", 0o755),
        ("/dev", 0o755),
        ("/etc", 0o755),
        ("/etc/wireguard", 0o700),
        ("/etc/hostapd", 0o755),
        ("/etc/systemd", 0o755),
        ("/etc/systemd/system", 0o755),
        ("/home", 0o755),
        ("/root", 0o700),
        ("/run", 0o755),
        ("/sbin", 0o755),
        ("/tmp", 0o1777),
        ("/usr", 0o755),
        ("/usr/bin", 0o755),
        ("/usr/sbin", 0o755),
        ("/usr/local", 0o755),
        ("/usr/local/bin", 0o755),
        ("/var", 0o755),
        ("/var/log", 0o755),
        ("/var/tmp", 0o1777),
        ("/var/backups", 0o755),
        ("/var/lib", 0o755),
        ("/etc/default", 0o755),
        ("/etc/ssh", 0o755),
        ("/opt", 0o755),
        ("/srv", 0o755),
    ] {
        let _ = st.fs.mkdir(dir, mode);
    }
    if spec.username != "root" && !spec.username.is_empty() && !spec.username.contains('/') {
        let _ = st.fs.mkdir(&format!("/home/{}", spec.username), 0o755);
    }
    let files: Vec<(&str, String, u32)> = vec![
        ("/etc/hostname", format!("{}\n", spec.name), 0o644),
        (
            "/etc/hosts",
            format!("127.0.0.1\tlocalhost\n127.0.1.1\t{}\n", spec.name),
            0o644,
        ),
        (
            "/etc/os-release",
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\n"
                .to_string(),
            0o644,
        ),
        ("/etc/debian_version", "12.5\n".to_string(), 0o644),
    ];
    for (path, text, mode) in files {
        let _ = st.fs.write(path, text.as_bytes(), false, mode);
    }
    let _ = st.fs.mkdir_all("/etc/sysctl.d", 0o755);
    if spec.kind == AssetKind::VpnGateway {
        // The openvpn package is installed too (its folders; no server configured).
        for dir in ["openvpn", "openvpn/server", "openvpn/client"] {
            let _ = st.fs.mkdir(&format!("{}/{dir}", "\u{2f}etc"), 0o755);
        }
        // A Debian WireGuard gateway is installed with forwarding on: it routes its clients.
        let _ = st.fs.write(
            "/etc/sysctl.d/99-wireguard.conf",
            b"# Route the VPN clients to the company networks.\nnet.ipv4.ip_forward = 1\n",
            false,
            0o644,
        );
    }
    if radio {
        let conf = format!(
            "# netparc twin factory configuration\ninterface=wlan0\ndriver=nl80211\nctrl_interface=/run/hostapd\nssid={}-setup\nhw_mode=g\nchannel=6\nwpa=2\nwpa_key_mgmt=WPA-PSK\nwpa_passphrase=netparc-factory\nrsn_pairwise=CCMP\n",
            spec.name
        );
        let _ = st.fs.write(HOSTAPD_CONF, conf.as_bytes(), false, 0o600);
        st.units.insert(
            "hostapd.service".into(),
            Unit {
                state: UnitState::Inactive,
                enabled: true,
                pid: 0,
            },
        );
    } else {
        let key = derive_private_key(&st.seed, 0);
        let conf = format!(
            "# netparc twin factory configuration\n[Interface]\nPrivateKey = {}\nListenPort = 51820\nAddress = {FACTORY_WG_ADDRESS}\n",
            key_to_base64(&key)
        );
        let _ = st
            .fs
            .write("/etc/wireguard/wg0.conf", conf.as_bytes(), false, 0o600);
        st.units.insert(
            "hostapd.service".into(),
            Unit {
                state: UnitState::Inactive,
                enabled: false,
                pid: 0,
            },
        );
        st.units.insert(
            "wg-quick@wg0.service".into(),
            Unit {
                state: UnitState::Inactive,
                enabled: true,
                pid: 0,
            },
        );
    }
    st.units.insert(
        "ssh.service".into(),
        Unit {
            state: UnitState::Active,
            enabled: true,
            pid: 0,
        },
    );
    st.boot();
    st.factory = super::saved::Factory::of(&st);
    st
}

impl LinuxState {
    /// The contents of a file on the twin's disk.
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        self.fs.read(path).ok()
    }

    /// The permission bits of a file or directory.
    pub fn file_mode(&self, path: &str) -> Option<u32> {
        self.fs.get(path).map(Node::mode)
    }

    /// Put a file on the disk directly (tests, fixtures), creating its directories.
    /// Fails only on the twin's size caps or a file standing where a directory should be.
    pub fn set_file(&mut self, path: &str, data: &[u8], mode: u32) -> Result<(), String> {
        let path = super::fs::normalize("/", path);
        self.fs
            .mkdir_all(parent(&path), 0o755)
            .and_then(|()| self.fs.write(&path, data, false, mode))
            .and_then(|()| self.fs.set_mode(&path, mode))
            .map_err(|e| format!("{path}: {}", e.message()))
    }

    /// The running hostname.
    pub fn hostname(&self) -> &str {
        &self.hostname
    }

    /// The peers currently loaded in a WireGuard interface (empty when it is down): what
    /// `wg show` reports, which differs from the file until `wg syncconf` or a restart.
    pub fn loaded_peers(&self, iface: &str) -> Vec<PeerInfo> {
        self.wg
            .get(iface)
            .map(|dev| dev.peers.iter().map(|p| p.info()).collect())
            .unwrap_or_default()
    }

    /// The public key of a running WireGuard interface.
    pub fn wg_public_key(&self, iface: &str) -> Option<String> {
        let dev = self.wg.get(iface)?;
        dev.private_key
            .as_ref()
            .map(|k| key_to_base64(&super::crypto::public_key(k)))
    }

    /// How many times interfaces were created before this one came up (`None` when down):
    /// `wg syncconf` keeps it, a restart or reboot changes it — so a test can tell whether
    /// a change disrupted the tunnel.
    pub fn wg_epoch(&self, iface: &str) -> Option<u64> {
        self.wg.get(iface).map(|d| d.epoch)
    }

    /// The tun interface index of a running OpenVPN server (`openvpn-server@NAME`), `None`
    /// when it is not running: a restart changes it, nothing else does.
    pub fn openvpn_ifindex(&self, instance: &str) -> Option<u32> {
        self.ovpn.get(instance).map(|s| s.ifindex)
    }

    /// True when systemd reports the unit active (`hostapd`, `wg-quick@wg0`, with or
    /// without `.service`).
    pub fn service_active(&self, unit: &str) -> bool {
        unit_kind(unit)
            .and_then(|(name, _)| self.units.get(&name))
            .is_some_and(|u| u.state == UnitState::Active)
    }

    /// The SSIDs hostapd currently broadcasts (empty when it is not running).
    pub fn loaded_ssids(&self) -> Vec<String> {
        self.hostapd
            .as_ref()
            .map(HostapdConfig::ssids)
            .unwrap_or_default()
    }

    /// The configuration hostapd loaded, when running.
    pub fn hostapd_config(&self) -> Option<&HostapdConfig> {
        self.hostapd.as_ref()
    }

    /// Journal lines (`ident[pid]: message`) of a unit, oldest first.
    pub fn journal(&self, unit: &str) -> Vec<String> {
        let full = unit_kind(unit).map_or_else(|| unit.to_string(), |(n, _)| n);
        self.journal
            .iter()
            .filter(|e| e.unit == full)
            .map(|e| format!("{}[{}]: {}", e.ident, e.pid, e.message))
            .collect()
    }

    /// The port the kernel picks when a configuration sets none.
    fn random_port(&mut self) -> u16 {
        40000 + (self.next_seq().wrapping_mul(7919) % 20000) as u16
    }

    pub(crate) fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// A fresh process id (deterministic, plausible).
    pub(crate) fn new_pid(&mut self) -> u32 {
        let n = self.next_seq();
        400 + (n as u32 % 30000) * 7 % 30000
    }

    pub(crate) fn log(&mut self, unit: &str, ident: &str, pid: u32, message: &str) {
        let seq = self.next_seq();
        for line in message.lines() {
            self.journal.push(JournalEntry {
                unit: unit.to_string(),
                ident: ident.to_string(),
                pid,
                message: line.to_string(),
                seq,
            });
        }
        if self.journal.len() > JOURNAL_LIMIT {
            let excess = self.journal.len() - JOURNAL_LIMIT;
            self.journal.drain(..excess);
        }
    }

    /// Boot: interfaces come up, enabled units start from the files on disk.
    /// Kernel parameters as the kernel starts them, then `/etc/sysctl.d/*.conf` and
    /// `/etc/sysctl.conf` applied, as systemd-sysctl does at boot.
    fn sysctl_boot(&mut self) {
        let _ = self.fs.remove_tree("/proc/sys");
        for (name, value) in SYSCTL_DEFAULTS {
            let _ = self.sysctl_set(name, value);
        }
        let mut files: Vec<String> = self
            .fs
            .children("/etc/sysctl.d")
            .into_iter()
            .filter(|(name, node)| !node.is_dir() && name.ends_with(".conf"))
            .map(|(name, _)| format!("/etc/sysctl.d/{name}"))
            .collect();
        files.sort();
        files.push(String::from("/etc/sysctl.conf"));
        for file in files {
            let _ = self.sysctl_load(&file);
        }
    }

    /// The file under `/proc/sys` of a parameter (`net.ipv4.ip_forward`).
    pub(crate) fn sysctl_path(name: &str) -> String {
        format!("/proc/sys/{}", name.replace('.', "/"))
    }

    /// A parameter's value, None when the kernel has no such parameter.
    pub(crate) fn sysctl_get(&self, name: &str) -> Option<String> {
        self.fs
            .read(&Self::sysctl_path(name))
            .ok()
            .map(|d| String::from_utf8_lossy(d).trim_end().to_string())
    }

    /// Set a parameter (the twin knows the ones in [`SYSCTL_DEFAULTS`]).
    pub(crate) fn sysctl_set(&mut self, name: &str, value: &str) -> Result<(), String> {
        if !SYSCTL_DEFAULTS.iter().any(|(known, _)| *known == name) {
            return Err(format!(
                "sysctl: cannot stat {}: No such file or directory",
                Self::sysctl_path(name)
            ));
        }
        let path = Self::sysctl_path(name);
        let _ = self.fs.mkdir_all(super::fs::parent(&path), 0o555);
        self.fs
            .write(&path, format!("{value}\n").as_bytes(), false, 0o644)
            .map_err(|e| format!("sysctl: setting key \"{name}\": {}", e.message()))
    }

    /// Apply a sysctl.conf-style file; returns the `name = value` lines applied, or why not.
    pub(crate) fn sysctl_load(&mut self, path: &str) -> Result<Vec<String>, String> {
        let text = match self.fs.read(path) {
            Ok(data) => String::from_utf8_lossy(data).into_owned(),
            Err(_) => {
                return Err(format!(
                    "sysctl: cannot open \"{path}\": No such file or directory"
                ));
            }
        };
        let mut applied = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some((name, value)) = line.split_once('=') {
                let (name, value) = (name.trim(), value.trim());
                self.sysctl_set(name, value)?;
                applied.push(format!("{name} = {value}"));
            }
        }
        Ok(applied)
    }

    fn boot(&mut self) {
        self.next_ifindex = if self.radio { 4 } else { 3 };
        self.sysctl_boot();
        let names: Vec<String> = self.units.keys().cloned().collect();
        for name in &names {
            if let Some(unit) = self.units.get_mut(name) {
                unit.state = if name == "ssh.service" {
                    UnitState::Active
                } else {
                    UnitState::Inactive
                };
            }
        }
        for name in names {
            if self.units.get(&name).is_some_and(|u| u.enabled) && name != "ssh.service" {
                let _ = self.unit_start(&name);
            }
        }
    }

    /// The interfaces, in ifIndex order.
    pub(crate) fn interfaces(&self) -> Vec<NetIf> {
        let mut list = vec![
            NetIf {
                index: 1,
                name: "lo".into(),
                if_type: 24,
                oper_up: true,
                addresses: vec!["127.0.0.1/8".into(), "::1/128".into()],
                mac: None,
                mtu: 65536,
                speed_mbps: 0,
            },
            NetIf {
                index: 2,
                name: "eth0".into(),
                if_type: 6,
                oper_up: true,
                addresses: vec![format!("{}/{}", self.eth0.0, self.eth0.1)],
                mac: Some(self.mac("eth0")),
                mtu: 1500,
                speed_mbps: self.eth0_speed,
            },
        ];
        if self.radio {
            list.push(NetIf {
                index: 3,
                name: "wlan0".into(),
                if_type: 71,
                oper_up: self.hostapd.is_some(),
                addresses: Vec::new(),
                mac: Some(self.mac("wlan0")),
                mtu: 1500,
                speed_mbps: 0,
            });
        }
        let mut wgs: Vec<&WgDevice> = self.wg.values().collect();
        wgs.sort_by_key(|d| d.ifindex);
        for dev in wgs {
            list.push(NetIf {
                index: dev.ifindex,
                name: dev.name.clone(),
                if_type: 131,
                oper_up: true,
                addresses: dev.addresses.clone(),
                mac: None,
                mtu: dev.mtu,
                speed_mbps: 0,
            });
        }
        for server in self.ovpn.values() {
            list.push(NetIf {
                index: server.ifindex,
                name: server.dev.clone(),
                if_type: 1,
                oper_up: true,
                addresses: server.address.iter().cloned().collect(),
                mac: None,
                mtu: 1500,
                speed_mbps: 0,
            });
        }
        list.sort_by_key(|i| i.index);
        list
    }

    fn mac(&self, iface: &str) -> String {
        let h = super::crypto::sha256(format!("{}:{iface}", self.seed).as_bytes());
        format!("52:54:00:{:02x}:{:02x}:{:02x}", h[0], h[1], h[2])
    }

    // ---- WireGuard ------------------------------------------------------------------

    /// Resolve a wg-quick argument (`wg0` or a path to `NAME.conf`) to (file, interface).
    pub(crate) fn quick_target(&self, cwd: &str, arg: &str) -> Result<(String, String), String> {
        let path = if valid_ifname(arg) && !arg.contains('/') {
            format!("/etc/wireguard/{arg}.conf")
        } else {
            super::fs::normalize(cwd, arg)
        };
        if self.fs.get(&path).is_none() {
            let shown = if valid_ifname(arg) && !arg.contains('/') {
                path.clone()
            } else {
                arg.to_string()
            };
            return Err(format!("wg-quick: `{shown}' does not exist\n"));
        }
        let name = basename(&path);
        match name.strip_suffix(".conf") {
            Some(iface) if valid_ifname(iface) => Ok((path.clone(), iface.to_string())),
            _ => Err(
                "wg-quick: The config file must be a valid interface name, followed by .conf\n"
                    .into(),
            ),
        }
    }

    /// wg-quick's warning when both the file and its folder are world accessible.
    fn world_warning(&self, path: &str) -> String {
        let file = self.fs.get(path).map_or(0, Node::mode);
        let dir = self.fs.get(parent(path)).map_or(0, Node::mode);
        if file & dir & 0o007 != 0 {
            format!("Warning: `{path}' is world accessible\n")
        } else {
            String::new()
        }
    }

    /// `wg-quick strip`: the file without wg-quick's keys.
    pub(crate) fn wg_quick_strip(&self, path: &str) -> Outcome {
        match self.fs.read(path) {
            Ok(data) => Outcome {
                stdout: wireguard::parse_quick(&String::from_utf8_lossy(data)).stripped,
                stderr: self.world_warning(path),
                status: 0,
            },
            Err(e) => Outcome::fail(format!("wg-quick: `{path}': {}\n", e.message()), 1),
        }
    }

    /// `wg-quick up`: create the interface from the file, as the real script does (its
    /// `[#]` trace on stderr). Hooks (PreUp/PostUp…) are shown, not run.
    pub(crate) fn wg_quick_up(&mut self, path: &str, iface: &str) -> Outcome {
        let mut err = self.world_warning(path);
        if self.wg.contains_key(iface) {
            err.push_str(&format!("wg-quick: `{iface}' already exists\n"));
            return Outcome::fail(err, 1);
        }
        let text = match self.fs.read(path) {
            Ok(data) => String::from_utf8_lossy(data).into_owned(),
            Err(e) => {
                err.push_str(&format!("wg-quick: `{path}': {}\n", e.message()));
                return Outcome::fail(err, 1);
            }
        };
        let quick = wireguard::parse_quick(&text);
        for (hook, cmd) in &quick.hooks {
            if hook.eq_ignore_ascii_case("PreUp") {
                let _ = writeln!(err, "[#] {cmd}");
            }
        }
        let _ = writeln!(err, "[#] ip link add {iface} type wireguard");
        let _ = writeln!(err, "[#] wg setconf {iface} /dev/fd/63");
        let teardown = |err: &mut String| {
            let _ = writeln!(err, "[#] ip link delete dev {iface}");
        };
        let conf = match wireguard::parse_conf(&quick.stripped) {
            Ok((conf, warnings)) => {
                for w in warnings {
                    let _ = writeln!(err, "{w}");
                }
                conf
            }
            Err(msg) => {
                err.push_str(&msg);
                teardown(&mut err);
                return Outcome::fail(err, 1);
            }
        };
        for address in &quick.addresses {
            let family = if address.contains(':') { 6 } else { 4 };
            let _ = writeln!(err, "[#] ip -{family} address add {address} dev {iface}");
            if let Err(msg) = wireguard::check_address(address) {
                let _ = writeln!(err, "{msg}");
                teardown(&mut err);
                return Outcome::fail(err, 1);
            }
        }
        let mtu = match quick.mtu.as_deref().map(str::parse::<u32>) {
            None => 1420,
            Some(Ok(m)) if (68..=65535).contains(&m) => m,
            Some(_) => {
                let _ = writeln!(
                    err,
                    "Error: argument \"{}\" is wrong: Invalid \"mtu\" value",
                    quick.mtu.as_deref().unwrap_or("")
                );
                teardown(&mut err);
                return Outcome::fail(err, 1);
            }
        };
        let _ = writeln!(err, "[#] ip link set mtu {mtu} up dev {iface}");
        if !quick.dns.is_empty() {
            let _ = writeln!(err, "[#] resolvconf -a {iface} -m 0 -x");
        }
        for (hook, cmd) in &quick.hooks {
            if hook.eq_ignore_ascii_case("PostUp") {
                let _ = writeln!(err, "[#] {cmd}");
            }
        }
        self.epochs += 1;
        let mut dev = WgDevice {
            name: iface.to_string(),
            ifindex: self.next_ifindex,
            private_key: None,
            listen_port: 0,
            fwmark: 0,
            peers: Vec::new(),
            addresses: quick.addresses.clone(),
            mtu,
            epoch: self.epochs,
        };
        self.next_ifindex += 1;
        let port = self.random_port();
        wireguard::setconf(&mut dev, &conf, port);
        self.wg.insert(iface.to_string(), dev);
        Outcome {
            stdout: String::new(),
            stderr: err,
            status: 0,
        }
    }

    /// `wg-quick down`.
    pub(crate) fn wg_quick_down(&mut self, path: &str, iface: &str) -> Outcome {
        if !self.wg.contains_key(iface) {
            return Outcome::fail(
                format!("wg-quick: `{iface}' is not a WireGuard interface\n"),
                1,
            );
        }
        let mut err = self.world_warning(path);
        let quick = self
            .fs
            .read(path)
            .map(|d| wireguard::parse_quick(&String::from_utf8_lossy(d)))
            .unwrap_or_default();
        if quick.save_config {
            let saved = self.wg_quick_save_text(path, iface);
            let _ = writeln!(err, "[#] wg showconf {iface}");
            if let Some(text) = saved {
                let _ = self.fs.write(path, text.as_bytes(), false, 0o600);
            }
        }
        for (hook, cmd) in &quick.hooks {
            if hook.eq_ignore_ascii_case("PreDown") {
                let _ = writeln!(err, "[#] {cmd}");
            }
        }
        let _ = writeln!(err, "[#] ip link delete dev {iface}");
        if !quick.dns.is_empty() {
            let _ = writeln!(err, "[#] resolvconf -d {iface} -f");
        }
        for (hook, cmd) in &quick.hooks {
            if hook.eq_ignore_ascii_case("PostDown") {
                let _ = writeln!(err, "[#] {cmd}");
            }
        }
        self.wg.remove(iface);
        Outcome {
            stdout: String::new(),
            stderr: err,
            status: 0,
        }
    }

    /// The file `wg-quick save` would write: the running configuration plus the file's
    /// wg-quick settings.
    fn wg_quick_save_text(&self, path: &str, iface: &str) -> Option<String> {
        let dev = self.wg.get(iface)?;
        let quick = self
            .fs
            .read(path)
            .map(|d| wireguard::parse_quick(&String::from_utf8_lossy(d)))
            .unwrap_or_default();
        let running = wireguard::render_showconf(dev);
        let mut extra = String::new();
        for a in &quick.addresses {
            let _ = writeln!(extra, "Address = {a}");
        }
        if !quick.dns.is_empty() {
            let _ = writeln!(extra, "DNS = {}", quick.dns.join(", "));
        }
        if let Some(mtu) = &quick.mtu {
            let _ = writeln!(extra, "MTU = {mtu}");
        }
        if let Some(table) = &quick.table {
            let _ = writeln!(extra, "Table = {table}");
        }
        for (hook, cmd) in &quick.hooks {
            let _ = writeln!(extra, "{hook} = {cmd}");
        }
        if quick.save_config {
            let _ = writeln!(extra, "SaveConfig = true");
        }
        Some(running.replacen("[Interface]\n", &format!("[Interface]\n{extra}"), 1))
    }

    /// `wg-quick save`.
    pub(crate) fn wg_quick_save(&mut self, path: &str, iface: &str) -> Outcome {
        match self.wg_quick_save_text(path, iface) {
            Some(text) => match self.fs.write(path, text.as_bytes(), false, 0o600) {
                Ok(()) => Outcome {
                    stdout: String::new(),
                    stderr: format!("[#] wg showconf {iface}\n"),
                    status: 0,
                },
                Err(e) => Outcome::fail(format!("wg-quick: `{path}': {}\n", e.message()), 1),
            },
            None => Outcome::fail(
                format!("wg-quick: `{iface}' is not a WireGuard interface\n"),
                1,
            ),
        }
    }

    /// `wg syncconf/setconf/addconf IFACE` with the configuration text already read.
    pub(crate) fn wg_load(&mut self, mode: &str, iface: &str, text: &str) -> Outcome {
        let (conf, warnings) = match wireguard::parse_conf(text) {
            Ok(ok) => ok,
            Err(msg) => return Outcome::fail(msg, 1),
        };
        let port = self.random_port();
        let Some(dev) = self.wg.get_mut(iface) else {
            let what = if mode == "syncconf" {
                "Unable to access current interface configuration"
            } else {
                "Unable to modify interface"
            };
            return Outcome::fail(format!("{what}: No such device\n"), 1);
        };
        match mode {
            "setconf" => wireguard::setconf(dev, &conf, port),
            "addconf" => wireguard::addconf(dev, &conf),
            _ => wireguard::syncconf(dev, &conf, port),
        }
        let mut stderr = String::new();
        for w in warnings {
            let _ = writeln!(stderr, "{w}");
        }
        Outcome {
            stdout: String::new(),
            stderr,
            status: 0,
        }
    }

    // ---- systemd ----------------------------------------------------------------------

    fn unit_entry(&mut self, name: &str) -> &mut Unit {
        self.units.entry(name.to_string()).or_insert(Unit {
            state: UnitState::Inactive,
            enabled: false,
            pid: 0,
        })
    }

    /// A unit whose main process exited with an error while starting: marked failed, the
    /// journal says so as systemd would, and the caller gets `job_failed`'s message.
    fn start_failed(&mut self, name: &str, desc: &str, lines: &[String]) -> Outcome {
        self.unit_entry(name).state = UnitState::Failed;
        self.log(
            name,
            "systemd",
            1,
            &format!(
                "{name}: Main process exited, code=exited, status=1/FAILURE\n{name}: Failed with result 'exit-code'.\nFailed to start {desc}."
            ),
        );
        self.job_failed(name, lines)
    }

    fn job_failed(&self, name: &str, detail: &[String]) -> Outcome {
        let mut err = format!(
            "Job for {name} failed because the control process exited with error code.\nSee \"systemctl status {name}\" and \"journalctl -xeu {name}\" for details.\n"
        );
        for line in detail {
            let _ = writeln!(err, "{line}");
        }
        Outcome::fail(err, 1)
    }

    /// Log a tool's stderr under a unit and return the lines in journal form for the
    /// caller's stderr.
    fn log_output(&mut self, unit: &str, ident: &str, pid: u32, text: &str) -> Vec<String> {
        self.log(unit, ident, pid, text);
        let host = self.hostname.clone();
        text.lines()
            .map(|l| format!("{host} {ident}[{pid}]: {l}"))
            .collect()
    }

    /// `systemctl start UNIT` (canonical name).
    pub(crate) fn unit_start(&mut self, name: &str) -> Outcome {
        let Some((name, kind)) = unit_kind(name) else {
            let name = canonical_unit(name);
            return Outcome::fail(
                format!("Failed to start {name}: Unit {name} not found.\n"),
                5,
            );
        };
        if self
            .units
            .get(&name)
            .is_some_and(|u| u.state == UnitState::Active)
        {
            return Outcome::default();
        }
        let pid = self.new_pid();
        match kind {
            UnitKind::Ssh => {
                self.unit_entry(&name).state = UnitState::Active;
                Outcome::default()
            }
            UnitKind::OpenvpnServer(instance) => {
                let desc = format!("OpenVPN service for {instance}");
                self.log(&name, "systemd", 1, &format!("Starting {desc}..."));
                let path = openvpn_conf(&instance);
                let parsed = match self.fs.read(&path) {
                    Ok(data) => parse_openvpn(&String::from_utf8_lossy(data)),
                    Err(_) => Err(format!(
                        "Options error: In [CMD-LINE]:1: Error opening configuration file: {instance}.conf"
                    )),
                };
                let in_use = parsed.as_ref().ok().and_then(|(dev, _)| {
                    (self.wg.contains_key(dev) || self.ovpn.values().any(|s| &s.dev == dev))
                        .then(|| format!("ERROR: Cannot open TUN/TAP dev /dev/net/{dev}: Device or resource busy"))
                });
                match (parsed, in_use) {
                    (Ok((dev, address)), None) => {
                        self.epochs += 1;
                        let server = OvpnServer {
                            dev: dev.clone(),
                            ifindex: self.next_ifindex,
                            address,
                            epoch: self.epochs,
                        };
                        self.next_ifindex += 1;
                        self.ovpn.insert(instance.clone(), server);
                        self.log(
                            &name,
                            "openvpn",
                            pid,
                            &format!(
                                "TUN/TAP device {dev} opened\nInitialization Sequence Completed"
                            ),
                        );
                        let unit = self.unit_entry(&name);
                        unit.state = UnitState::Active;
                        unit.pid = pid;
                        self.log(&name, "systemd", 1, &format!("Started {desc}."));
                        Outcome::default()
                    }
                    (Err(message), _) | (Ok(_), Some(message)) => {
                        let lines = self.log_output(
                            &name,
                            "openvpn",
                            pid,
                            &format!("{message}\nExiting due to fatal error"),
                        );
                        self.start_failed(&name, &desc, &lines)
                    }
                }
            }
            UnitKind::WgQuick(iface) => {
                let desc = format!("WireGuard via wg-quick(8) for {iface}");
                self.log(&name, "systemd", 1, &format!("Starting {desc}..."));
                let path = format!("/etc/wireguard/{iface}.conf");
                let result = if self.fs.get(&path).is_none() {
                    Outcome::fail(format!("wg-quick: `{path}' does not exist\n"), 1)
                } else {
                    self.wg_quick_up(&path, &iface)
                };
                let lines = self.log_output(&name, "wg-quick", pid, &result.stderr);
                if result.status == 0 {
                    let unit = self.unit_entry(&name);
                    unit.state = UnitState::Active;
                    unit.pid = pid;
                    self.log(&name, "systemd", 1, &format!("Finished {desc}."));
                    Outcome::default()
                } else {
                    self.start_failed(&name, &desc, &lines)
                }
            }
            UnitKind::Hostapd => {
                let desc = "Access point and authentication server for Wi-Fi and Ethernet";
                self.log(&name, "systemd", 1, &format!("Starting {desc}..."));
                match self.hostapd_load() {
                    Ok(conf) => {
                        let iface = conf.interface.clone();
                        self.hostapd = Some(conf);
                        let unit = self.unit_entry(&name);
                        unit.state = UnitState::Active;
                        unit.pid = pid;
                        self.log(&name, "systemd", 1, &format!("Started {desc}."));
                        self.log(
                            &name,
                            "hostapd",
                            pid,
                            &format!(
                                "{iface}: interface state UNINITIALIZED->ENABLED\n{iface}: AP-ENABLED"
                            ),
                        );
                        Outcome::default()
                    }
                    Err(messages) => {
                        let mut text = messages.join("\n");
                        text.push_str(&format!(
                            "\nFailed to set up interface with {HOSTAPD_CONF}\nFailed to initialize interface"
                        ));
                        let lines = self.log_output(&name, "hostapd", pid, &text);
                        self.unit_entry(&name).state = UnitState::Failed;
                        self.log(
                            &name,
                            "systemd",
                            1,
                            &format!(
                                "{name}: Control process exited, code=exited, status=1/FAILURE\n{name}: Failed with result 'exit-code'.\nFailed to start {desc}."
                            ),
                        );
                        self.job_failed(&name, &lines)
                    }
                }
            }
        }
    }

    /// Read and validate hostapd's file; the radio must exist.
    fn hostapd_load(&self) -> Result<HostapdConfig, Vec<String>> {
        let data = self.fs.read(HOSTAPD_CONF).map_err(|_| {
            vec![format!(
                "Could not open configuration file '{HOSTAPD_CONF}' for reading."
            )]
        })?;
        let conf = hostapd::parse(&String::from_utf8_lossy(data), HOSTAPD_CONF)?;
        if !(self.radio && conf.interface == "wlan0") {
            return Err(vec![
                format!(
                    "Could not read interface {} flags: No such device",
                    conf.interface
                ),
                "nl80211 driver initialization failed.".into(),
            ]);
        }
        Ok(conf)
    }

    /// `systemctl stop UNIT`.
    pub(crate) fn unit_stop(&mut self, name: &str) -> Outcome {
        let Some((name, kind)) = unit_kind(name) else {
            let name = canonical_unit(name);
            return Outcome::fail(
                format!("Failed to stop {name}: Unit {name} not loaded.\n"),
                5,
            );
        };
        let was_active = self
            .units
            .get(&name)
            .is_some_and(|u| u.state == UnitState::Active);
        if let Some(unit) = self.units.get_mut(&name) {
            unit.state = UnitState::Inactive;
        }
        if !was_active {
            return Outcome::default();
        }
        match kind {
            UnitKind::WgQuick(iface) => {
                let path = format!("/etc/wireguard/{iface}.conf");
                let pid = self.new_pid();
                let out = self.wg_quick_down(&path, &iface);
                self.log(&name, "wg-quick", pid, &out.stderr);
                self.log(
                    &name,
                    "systemd",
                    1,
                    &format!("Stopped WireGuard via wg-quick(8) for {iface}."),
                );
            }
            UnitKind::Hostapd => {
                let pid = self.units.get(&name).map_or(0, |u| u.pid);
                if let Some(conf) = self.hostapd.take() {
                    let iface = conf.interface;
                    self.log(
                        &name,
                        "hostapd",
                        pid,
                        &format!(
                            "{iface}: interface state ENABLED->DISABLED\n{iface}: AP-DISABLED"
                        ),
                    );
                }
                self.log(
                    &name,
                    "systemd",
                    1,
                    "Stopped Access point and authentication server for Wi-Fi and Ethernet.",
                );
            }
            UnitKind::Ssh => {
                // Stopping sshd keeps existing sessions on a real system too.
            }
            UnitKind::OpenvpnServer(instance) => {
                let pid = self.units.get(&name).map_or(0, |u| u.pid);
                if let Some(server) = self.ovpn.remove(&instance) {
                    self.log(
                        &name,
                        "openvpn",
                        pid,
                        &format!(
                            "SIGTERM received, process exiting\nClosing TUN/TAP interface {}",
                            server.dev
                        ),
                    );
                }
                self.log(
                    &name,
                    "systemd",
                    1,
                    &format!("Stopped OpenVPN service for {instance}."),
                );
            }
        }
        Outcome::default()
    }

    /// `systemctl restart UNIT`: stop, then start from the file.
    pub(crate) fn unit_restart(&mut self, name: &str) -> Outcome {
        if unit_kind(name).is_none() {
            let name = canonical_unit(name);
            return Outcome::fail(
                format!("Failed to restart {name}: Unit {name} not found.\n"),
                5,
            );
        }
        let _ = self.unit_stop(name);
        self.unit_start(name)
    }

    /// `systemctl reload UNIT`: wg-quick's ExecReload (`wg syncconf` from the stripped
    /// file) or hostapd's SIGHUP (re-read the file, keep the old one when it is invalid).
    pub(crate) fn unit_reload(&mut self, name: &str) -> Outcome {
        let Some((name, kind)) = unit_kind(name) else {
            let name = canonical_unit(name);
            return Outcome::fail(
                format!("Failed to reload {name}: Unit {name} not found.\n"),
                5,
            );
        };
        if !self
            .units
            .get(&name)
            .is_some_and(|u| u.state == UnitState::Active)
        {
            return Outcome::fail(format!("{name} is not active, cannot reload.\n"), 1);
        }
        match kind {
            UnitKind::Ssh => Outcome::default(),
            // Debian's openvpn-server@.service has no ExecReload.
            UnitKind::OpenvpnServer(_) => Outcome::fail(
                format!(
                    "Failed to reload {name}: Job type reload is not applicable for unit {name}.\n"
                ),
                1,
            ),
            UnitKind::WgQuick(iface) => {
                let desc = format!("WireGuard via wg-quick(8) for {iface}");
                self.log(&name, "systemd", 1, &format!("Reloading {desc}..."));
                let path = format!("/etc/wireguard/{iface}.conf");
                let stripped = self.wg_quick_strip(&path);
                let result = if stripped.status != 0 {
                    stripped
                } else {
                    let mut r = self.wg_load("syncconf", &iface, &stripped.stdout);
                    r.stderr = stripped.stderr + &r.stderr;
                    r
                };
                let pid = self.new_pid();
                let lines = self.log_output(&name, "bash", pid, &result.stderr);
                if result.status == 0 {
                    self.log(&name, "systemd", 1, &format!("Reloaded {desc}."));
                    Outcome::default()
                } else {
                    self.log(
                        &name,
                        "systemd",
                        1,
                        &format!(
                            "{name}: Control process exited, code=exited, status=1/FAILURE\nReload failed for {desc}."
                        ),
                    );
                    self.job_failed(&name, &lines)
                }
            }
            UnitKind::Hostapd => {
                let pid = self.units.get(&name).map_or(0, |u| u.pid);
                self.log(
                    &name,
                    "systemd",
                    1,
                    "Reloading Access point and authentication server for Wi-Fi and Ethernet...",
                );
                match self.hostapd_load() {
                    Ok(conf) => {
                        self.hostapd = Some(conf);
                        self.log(&name, "hostapd", pid, "wlan0: AP-ENABLED");
                        self.log(&name, "systemd", 1, "Reloaded Access point and authentication server for Wi-Fi and Ethernet.");
                        Outcome::default()
                    }
                    Err(messages) => {
                        let lines = self.log_output(&name, "hostapd", pid, &messages.join("\n"));
                        let mut err = format!(
                            "Job for {name} failed: hostapd rejected {HOSTAPD_CONF} and kept its previous configuration.\nSee \"journalctl -xeu {name}\" for details.\n"
                        );
                        for line in lines {
                            let _ = writeln!(err, "{line}");
                        }
                        Outcome::fail(err, 1)
                    }
                }
            }
        }
    }

    /// Mark a unit enabled or not without systemctl's output (booting from saved state).
    pub(crate) fn set_unit_enabled(&mut self, name: &str, enabled: bool) {
        self.unit_entry(name).enabled = enabled;
    }

    /// `systemctl enable/disable UNIT`.
    pub(crate) fn unit_enable(&mut self, name: &str, enable: bool) -> Outcome {
        let verb = if enable { "enable" } else { "disable" };
        let Some((name, kind)) = unit_kind(name) else {
            let name = canonical_unit(name);
            return Outcome::fail(
                format!("Failed to {verb} unit: Unit file {name} does not exist.\n"),
                1,
            );
        };
        let unit = self.unit_entry(&name);
        let changed = unit.enabled != enable;
        unit.enabled = enable;
        let link_dir = "/etc/systemd/system/multi-user.target.wants";
        let link = format!("{link_dir}/{name}");
        let target = match kind {
            UnitKind::WgQuick(_) => "/lib/systemd/system/wg-quick@.service".to_string(),
            UnitKind::OpenvpnServer(_) => "/lib/systemd/system/openvpn-server@.service".to_string(),
            _ => format!("/lib/systemd/system/{name}"),
        };
        if !changed {
            return Outcome::default();
        }
        if enable {
            let _ = self.fs.mkdir_all(link_dir, 0o755);
            let _ = self.fs.write(&link, target.as_bytes(), false, 0o644);
            Outcome {
                stdout: String::new(),
                stderr: format!("Created symlink {link} → {target}.\n"),
                status: 0,
            }
        } else {
            let _ = self.fs.remove_file(&link);
            Outcome {
                stdout: String::new(),
                stderr: format!("Removed \"{link}\".\n"),
                status: 0,
            }
        }
    }
}

impl PlatformState for LinuxState {
    fn facts(&self, spec: &DeviceSpec) -> DeviceFacts {
        DeviceFacts {
            descr: format!("Linux {} {KERNEL_RELEASE} #1 SMP x86_64", self.hostname),
            object_id: SYS_OBJECT_ID.into(),
            name: self.hostname.clone(),
            contact: spec.contact.clone(),
            location: spec.location.clone(),
            serial: spec.serial.clone(),
            interfaces: self
                .interfaces()
                .into_iter()
                .map(|i| InterfaceFacts {
                    index: i.index,
                    name: i.name,
                    alias: String::new(),
                    admin_up: true,
                    oper_up: i.oper_up,
                    speed_mbps: i.speed_mbps,
                    if_type: i.if_type,
                    in_octets: 0,
                    out_octets: 0,
                })
                .collect(),
        }
    }

    /// Files persist (a real disk), `/tmp` is emptied, the hostname is read back from
    /// `/etc/hostname`, kernel state (WireGuard peers set by hand, hostapd's loaded SSIDs)
    /// is lost and enabled units start again from their files.
    fn reboot(&mut self, _spec: &DeviceSpec) {
        self.fs.clear_dir("/tmp");
        self.fs.clear_dir("/run");
        self.hostname = self
            .fs
            .read("/etc/hostname")
            .ok()
            .and_then(|d| {
                String::from_utf8_lossy(d)
                    .lines()
                    .next()
                    .map(|l| l.trim().to_string())
            })
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".into());
        self.wg.clear();
        self.ovpn.clear();
        self.hostapd = None;
        self.journal.clear();
        self.boot();
    }

    /// `/etc` as it differs from the factory, and the units enabled or disabled since:
    /// what the disk keeps (see `saved`).
    fn persisted(&self) -> Option<Vec<u8>> {
        Some(super::saved::persisted(self))
    }

    /// Write the saved `/etc` back over the factory disk and boot: enabled units start from
    /// their files, sysctl settings apply, WireGuard interfaces come up from theirs.
    fn boot_from(&mut self, saved: &[u8], spec: &DeviceSpec) -> Result<(), String> {
        let mut next = super::saved::apply(self, saved)?;
        next.reboot(spec);
        *self = next;
        Ok(())
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}
