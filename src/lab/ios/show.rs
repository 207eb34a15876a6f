//! The text of the IOS twin's `show` commands, laid out as IOS-XE lays them out (column
//! widths, header lines), so that people and parsers (TextFSM / ntc-templates, Netmiko's
//! `use_textfsm`) read them as they read a real switch. Computed from the running
//! configuration, the device's uptime and its faults. The wireless ones (`show wlan …`)
//! follow the Catalyst 9800 embedded controller; `show power inline` a PoE Catalyst.

use super::config::ConfigTree;
use super::engine;
use super::ifname::{self, IfClass};
use super::parse::mask_length;
use super::rules;
use super::state::{CONFIG_VERSION, InterfaceView, IosState, PortMode, VERSION, VERSION_PADDED};
use crate::lab::device::DeviceSpec;
use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What show commands read besides the configuration.
pub struct ShowContext<'a> {
    /// The device spec.
    pub spec: &'a DeviceSpec,
    /// The platform state.
    pub ios: &'a IosState,
    /// Time since the last boot.
    pub uptime: Duration,
    /// Boots so far (1: never reloaded).
    pub boots: u32,
    /// Interfaces forced down by a fault.
    pub down: &'a [String],
}

impl ShowContext<'_> {
    fn oper_up(&self, view: &InterfaceView) -> bool {
        !view.shutdown && !self.down.iter().any(|d| d == &view.name)
    }
}

/// A configuration as a file holds it: from the first `!` to `end`.
pub fn config_text(tree: &ConfigTree) -> String {
    body(tree)
}

fn body(tree: &ConfigTree) -> String {
    let mut out = format!("!\nversion {CONFIG_VERSION}\n");
    out.push_str(&group_lines(tree).render(&|n| rules::rank(n)));
    out.push_str("!\nend\n");
    out
}

/// The configuration as IOS shows it: consecutive lines of one kind with the same
/// configuration as one range (`line vty 0 15`, or `line vty 0 4` and `line vty 5 15` when
/// they differ). The engine keeps them split where a command cut them.
fn group_lines(tree: &ConfigTree) -> ConfigTree {
    let mut grouped = ConfigTree::default();
    for node in &tree.lines {
        if let (Some((kind, first, last)), Some(previous)) =
            (engine::line_range(&node.text), grouped.lines.last_mut())
            && let Some((k, a, b)) = engine::line_range(&previous.text)
            && k == kind
            && b + 1 == first
            && previous.children == node.children
        {
            previous.text = engine::line_header(&kind, a, last);
            continue;
        }
        grouped.lines.push(node.clone());
    }
    grouped
}

/// `show running-config`.
pub fn running_config(ios: &IosState) -> String {
    let body = body(&ios.running);
    format!(
        "Building configuration...\n\nCurrent configuration : {} bytes\n{body}",
        body.len()
    )
}

/// `show running-config interface X`.
pub fn running_interface(ios: &IosState, name: &str) -> String {
    let block = ios
        .interface_block(name)
        .map(|n| n.render(0))
        .unwrap_or_else(|| format!("interface {name}\n"));
    let body = format!("!\n{block}end\n");
    format!(
        "Building configuration...\n\nCurrent configuration : {} bytes\n{body}",
        body.len()
    )
}

/// `show startup-config`.
pub fn startup_config(ios: &IosState) -> String {
    if ios.startup().lines.is_empty() {
        return "startup-config is not present\n".to_string();
    }
    let body = body(ios.startup());
    format!("Using {} out of 2097152 bytes\n{body}", body.len())
}

/// IOS's uptime phrase: `1 hour, 5 minutes`, `2 weeks, 1 day, 3 minutes`.
pub fn uptime_phrase(uptime: Duration) -> String {
    let minutes = uptime.as_secs() / 60;
    let parts = [
        (minutes / (365 * 24 * 60), "year"),
        (minutes / (7 * 24 * 60) % 52, "week"),
        (minutes / (24 * 60) % 7, "day"),
        (minutes / 60 % 24, "hour"),
        (minutes % 60, "minute"),
    ];
    let words: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}{}", if *n == 1 { "" } else { "s" }))
        .collect();
    if words.is_empty() {
        "0 minutes".to_string()
    } else {
        words.join(", ")
    }
}

/// A stable MAC-like address for the device, from its name.
fn base_mac(spec: &DeviceSpec) -> [u8; 6] {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in spec.name.bytes().chain(spec.serial.bytes()) {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    let h = hash.to_be_bytes();
    [0x00, 0x1e, h[0], h[1], h[2], h[3] & 0xc0]
}

fn dotted_mac(mac: [u8; 6], offset: u8) -> String {
    let mut mac = mac;
    mac[5] = mac[5].wrapping_add(offset);
    format!(
        "{:02x}{:02x}.{:02x}{:02x}.{:02x}{:02x}",
        mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]
    )
}

fn type_label(full_type: &str) -> &'static str {
    match full_type {
        "FastEthernet" => "Fast Ethernet",
        "GigabitEthernet" => "Gigabit Ethernet",
        "TwoGigabitEthernet" => "Two Gigabit Ethernet",
        "FiveGigabitEthernet" => "Five Gigabit Ethernet",
        "TenGigabitEthernet" => "Ten Gigabit Ethernet",
        "TwentyFiveGigE" => "TwentyFive Gigabit Ethernet",
        "FortyGigabitEthernet" => "Forty Gigabit Ethernet",
        "HundredGigE" => "Hundred Gigabit Ethernet",
        _ => "Ethernet",
    }
}

/// `show version`.
pub fn version(ctx: &ShowContext<'_>) -> String {
    let spec = ctx.spec;
    let hostname = ctx.ios.hostname();
    let uptime = uptime_phrase(ctx.uptime);
    let reason = if ctx.boots > 1 {
        ("Reload Command", "Reload Command")
    } else {
        ("power-on", "PowerOn")
    };
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for port in ctx.ios.ports() {
        if let Some((ty, _)) = ifname::split(&port.name) {
            let label = type_label(ty.full);
            match counts.iter_mut().find(|(l, _)| *l == label) {
                Some((_, n)) => *n += 1,
                None => counts.push((label, 1)),
            }
        }
    }
    let mac = base_mac(spec);
    let mut out = String::new();
    let _ = write!(
        out,
        "Cisco IOS XE Software, Version {VERSION_PADDED}\n\
         Cisco IOS Software [netparc twin], {model} Software (CAT9K_IOSXE), Version {VERSION}, RELEASE SOFTWARE (fc5)\n\
         Technical Support: http://www.cisco.com/techsupport\n\
         Copyright (c) 1986-2023 by Cisco Systems, Inc.\n\
         Compiled Thu 02-Nov-23 05:41 by mcpre\n\
         \n\
         \n\
         Cisco IOS-XE software, Copyright (c) 2005-2023 by cisco Systems, Inc.\n\
         All rights reserved.  This is a netparc twin: a simulated device for tests\n\
         and previews, not Cisco software.\n\
         \n\
         \n\
         ROM: IOS-XE ROMMON\n\
         BOOTLDR: System Bootstrap, Version 17.9.1r, RELEASE SOFTWARE (P)\n\
         \n\
         {hostname} uptime is {uptime}\n\
         Uptime for this control processor is {uptime}\n\
         System returned to ROM by {returned}\n\
         System image file is \"flash:packages.conf\"\n\
         Last reload reason: {last}\n\
         \n\
         \n\
         cisco {model} (X86) processor with 1392780K/6147K bytes of memory.\n\
         Processor board ID {serial}\n",
        model = spec.model,
        serial = spec.serial,
        returned = reason.0,
        last = reason.1,
    );
    for (label, n) in &counts {
        let _ = writeln!(out, "{n} {label} interfaces");
    }
    let _ = write!(
        out,
        "2048K bytes of non-volatile configuration memory.\n\
         8388608K bytes of physical memory.\n\
         11264000K bytes of Flash at flash:.\n\
         \n\
         Base Ethernet MAC Address          : {mac}\n\
         Model Number                       : {model}\n\
         System Serial Number               : {serial}\n\
         \n\
         \n\
         Switch Ports Model              SW Version        SW Image              Mode   \n\
         ------ ----- -----              ----------        ----------            ----   \n\
         *    1 {ports:<5} {model:<18} {VERSION_PADDED:<17} CAT9K_IOSXE           INSTALL\n\
         \n\
         \n\
         Configuration register is 0x102\n\
         \n",
        mac = mac
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
        model = spec.model,
        serial = spec.serial,
        ports = ctx.ios.ports().len(),
    );
    out
}

fn media_type(speed_mbps: u32) -> &'static str {
    match speed_mbps {
        0..=100 => "10/100BaseTX",
        101..=1000 => "10/100/1000BaseTX",
        1001..=2500 => "100/1000/2.5GBaseTX",
        2501..=5000 => "100/1000/2.5G/5GBaseTX",
        5001..=10000 => "SFP-10GBase-SR",
        10001..=25000 => "SFP-25GBase-SR",
        25001..=40000 => "QSFP-40G-SR4",
        _ => "QSFP-100G-SR4",
    }
}

fn status_word(ctx: &ShowContext<'_>, view: &InterfaceView) -> &'static str {
    if view.shutdown {
        "disabled"
    } else if ctx.oper_up(view) {
        "connected"
    } else {
        "notconnect"
    }
}

fn truncate(text: &str, width: usize) -> String {
    text.chars().take(width).collect()
}

/// `show interfaces status`.
pub fn interfaces_status(ctx: &ShowContext<'_>, only: Option<&str>) -> String {
    let mut out = String::from(
        "\nPort         Name               Status       Vlan       Duplex  Speed Type\n",
    );
    for view in ctx.ios.interfaces() {
        if !matches!(view.class, IfClass::Physical | IfClass::PortChannel)
            || only.is_some_and(|o| o != view.name)
        {
            continue;
        }
        let status = status_word(ctx, &view);
        let vlan = match view.mode {
            PortMode::Routed => "routed".to_string(),
            PortMode::Trunk => "trunk".to_string(),
            _ => view.access_vlan.to_string(),
        };
        let connected = status == "connected";
        let (duplex, speed) = match (connected, view.speed_mbps) {
            (true, s) if s >= 10_000 => ("full".to_string(), format!("{}G", s / 1000)),
            (true, s) => ("a-full".to_string(), format!("a-{s}")),
            (false, _) => ("auto".to_string(), "auto".to_string()),
        };
        let kind = if view.class == IfClass::PortChannel {
            ""
        } else {
            media_type(view.speed_mbps)
        };
        let line = format!(
            "{:<13}{:<19}{:<13}{:<11}{:>6} {:>6} {}",
            ifname::short_name(&view.name),
            truncate(&view.description, 18),
            status,
            vlan,
            duplex,
            speed,
            kind
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn admin_oper(ctx: &ShowContext<'_>, view: &InterfaceView) -> (&'static str, &'static str) {
    if view.shutdown {
        ("admin down", "down")
    } else if ctx.oper_up(view) {
        ("up", "up")
    } else {
        ("down", "down")
    }
}

/// `show interfaces description`.
pub fn interfaces_description(ctx: &ShowContext<'_>, only: Option<&str>) -> String {
    let mut out =
        String::from("Interface                      Status         Protocol Description\n");
    for view in ctx.ios.interfaces() {
        if only.is_some_and(|o| o != view.name) {
            continue;
        }
        let (status, protocol) = admin_oper(ctx, &view);
        let line = format!(
            "{:<31}{:<15}{:<9}{}",
            ifname::short_name(&view.name),
            status,
            protocol,
            view.description
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `show interfaces [X]`: the per-interface report.
pub fn interfaces(ctx: &ShowContext<'_>, only: Option<&str>) -> String {
    let mac = base_mac(ctx.spec);
    let seconds = ctx.uptime.as_secs();
    let mut out = String::new();
    for (position, view) in ctx.ios.interfaces().iter().enumerate() {
        if only.is_some_and(|o| o != view.name) {
            continue;
        }
        let up = ctx.oper_up(view);
        let state = if view.shutdown {
            "administratively down, line protocol is down (disabled)".to_string()
        } else if up {
            format!(
                "up, line protocol is up{}",
                if view.class == IfClass::Physical {
                    " (connected)"
                } else {
                    ""
                }
            )
        } else {
            format!(
                "down, line protocol is down{}",
                if view.class == IfClass::Physical {
                    " (notconnect)"
                } else {
                    ""
                }
            )
        };
        let hardware = match view.class {
            IfClass::Vlan => "Ethernet SVI".to_string(),
            IfClass::Loopback => "Loopback".to_string(),
            IfClass::Tunnel => "Tunnel".to_string(),
            IfClass::PortChannel => "EtherChannel".to_string(),
            IfClass::Physical => ifname::split(&view.name)
                .map_or("Ethernet", |(t, _)| type_label(t.full))
                .to_string(),
        };
        let address = dotted_mac(mac, position as u8 + 1);
        let _ = writeln!(out, "{} is {state} ", view.name);
        let _ = writeln!(
            out,
            "  Hardware is {hardware}, address is {address} (bia {address})"
        );
        if !view.description.is_empty() {
            let _ = writeln!(out, "  Description: {}", view.description);
        }
        if let Some((ip, mask)) = view.ipv4 {
            let _ = writeln!(
                out,
                "  Internet address is {ip}/{}",
                mask_length(mask).unwrap_or(32)
            );
        }
        let _ = writeln!(
            out,
            "  MTU 1500 bytes, BW {} Kbit/sec, DLY 10 usec, \n     reliability 255/255, txload 1/255, rxload 1/255\n  Encapsulation ARPA, loopback not set",
            u64::from(view.speed_mbps) * 1000
        );
        if view.class == IfClass::Physical {
            let _ = writeln!(
                out,
                "  Keepalive set (10 sec)\n  {}, {}Mb/s, media type is {}",
                if up { "Full-duplex" } else { "Auto-duplex" },
                view.speed_mbps,
                media_type(view.speed_mbps)
            );
        }
        let (rate_in, rate_out) = if up {
            ctx.ios.traffic_rate(&view.name)
        } else {
            (0, 0)
        };
        let (in_bytes, out_bytes) = (seconds * rate_in, seconds * rate_out);
        let _ = write!(
            out,
            "  5 minute input rate {} bits/sec, {} packets/sec\n  5 minute output rate {} bits/sec, {} packets/sec\n     {} packets input, {in_bytes} bytes, 0 no buffer\n     0 input errors, 0 CRC, 0 frame, 0 overrun, 0 ignored\n     {} packets output, {out_bytes} bytes, 0 underruns\n     0 output errors, 0 collisions, 0 interface resets\n",
            rate_in * 8,
            u64::from(rate_in > 0) * 2,
            rate_out * 8,
            u64::from(rate_out > 0) * 2,
            in_bytes / 400,
            out_bytes / 400,
        );
    }
    out
}

fn vlan_name(ios: &IosState, id: u16) -> String {
    ios.vlans()
        .into_iter()
        .find(|v| v.0 == id)
        .and_then(|v| v.1)
        .unwrap_or_else(|| format!("VLAN{id:04}"))
}

/// `show interfaces switchport`.
pub fn interfaces_switchport(ctx: &ShowContext<'_>, only: Option<&str>) -> String {
    let mut out = String::new();
    for view in ctx.ios.interfaces() {
        if !matches!(view.class, IfClass::Physical | IfClass::PortChannel)
            || only.is_some_and(|o| o != view.name)
        {
            continue;
        }
        let _ = writeln!(out, "Name: {}", ifname::short_name(&view.name));
        if view.mode == PortMode::Routed {
            out.push_str("Switchport: Disabled\n\n");
            continue;
        }
        let (admin, oper) = match view.mode {
            PortMode::Access => ("static access", "static access"),
            PortMode::Trunk => ("trunk", "trunk"),
            _ => ("dynamic auto", "static access"),
        };
        let voice = match view.voice_vlan {
            Some(id) => format!("{id} ({})", vlan_name(ctx.ios, id)),
            None => "none".to_string(),
        };
        let _ = write!(
            out,
            "Switchport: Enabled\n\
             Administrative Mode: {admin}\n\
             Operational Mode: {oper}\n\
             Administrative Trunking Encapsulation: dot1q\n\
             Negotiation of Trunking: {}\n\
             Access Mode VLAN: {} ({})\n\
             Trunking Native Mode VLAN: {} ({})\n\
             Administrative Native VLAN tagging: enabled\n\
             Voice VLAN: {voice}\n\
             Administrative private-vlan host-association: none\n\
             Operational private-vlan: none\n\
             Trunking VLANs Enabled: {}\n\
             Pruning VLANs Enabled: 2-1001\n\
             Capture Mode Disabled\n\
             Capture VLANs Allowed: ALL\n\
             \n\
             Protected: false\n\
             Unknown unicast blocked: disabled\n\
             Unknown multicast blocked: disabled\n\
             Appliance trust: none\n\n",
            if view.mode == PortMode::Dynamic {
                "On"
            } else {
                "Off"
            },
            view.access_vlan,
            vlan_name(ctx.ios, view.access_vlan),
            view.native_vlan,
            vlan_name(ctx.ios, view.native_vlan),
            view.allowed_vlans,
        );
    }
    out
}

/// Which VLANs `show vlan` lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VlanSelect {
    /// All.
    All,
    /// `id N[,M]`.
    Ids(Vec<u16>),
    /// `name X`.
    Name(String),
}

/// `show vlan brief` (and `show vlan`, `show vlan id N`, `show vlan name X`).
pub fn vlan_brief(ios: &IosState, select: &VlanSelect) -> String {
    let views = ios.interfaces();
    let mut rows: Vec<(u16, String, String)> = ios
        .vlans()
        .into_iter()
        .map(|(id, name, shutdown)| {
            let name = name.unwrap_or_else(|| format!("VLAN{id:04}"));
            let status = if shutdown { "act/lshut" } else { "active" };
            (id, name, status.to_string())
        })
        .collect();
    for (id, name) in [
        (1002, "fddi-default"),
        (1003, "token-ring-default"),
        (1004, "fddinet-default"),
        (1005, "trnet-default"),
    ] {
        if !rows.iter().any(|r| r.0 == id) {
            rows.push((id, name.to_string(), "act/unsup".to_string()));
        }
    }
    rows.sort_by_key(|r| r.0);
    let selected = |id: u16, name: &str| match select {
        VlanSelect::All => true,
        VlanSelect::Ids(ids) => ids.contains(&id),
        VlanSelect::Name(n) => n == name,
    };
    let mut out = String::from(
        "\nVLAN Name                             Status    Ports\n---- -------------------------------- --------- -------------------------------\n",
    );
    for (id, name, status) in rows {
        if !selected(id, &name) {
            continue;
        }
        let ports: Vec<String> = views
            .iter()
            .filter(|v| matches!(v.class, IfClass::Physical | IfClass::PortChannel))
            .filter(|v| matches!(v.mode, PortMode::Access | PortMode::Dynamic))
            .filter(|v| v.access_vlan == id || v.voice_vlan == Some(id))
            .map(|v| ifname::short_name(&v.name))
            .collect();
        let mut chunks = ports.chunks(4);
        let first = chunks.next().map(|c| c.join(", ")).unwrap_or_default();
        let line = format!("{id:<4} {:<32} {status:<9} {first}", truncate(&name, 32));
        out.push_str(line.trim_end());
        out.push('\n');
        for chunk in chunks {
            let _ = writeln!(out, "{:48}{}", "", chunk.join(", "));
        }
    }
    out
}

/// `show vlan summary`.
pub fn vlan_summary(ios: &IosState) -> String {
    let n = ios.vlans().len() + 4;
    format!(
        "Number of existing VLANs           : {n}\n Number of existing VTP VLANs      : {n}\n Number of existing extended VLANS : 0\n\n"
    )
}

/// `show ip interface brief`.
pub fn ip_interface_brief(ctx: &ShowContext<'_>, only: Option<&str>) -> String {
    let mut out = String::from(
        "Interface              IP-Address      OK? Method Status                Protocol\n",
    );
    for view in ctx.ios.interfaces() {
        if only.is_some_and(|o| o != view.name) {
            continue;
        }
        let (address, method) = match view.ipv4 {
            Some((ip, mask)) => {
                let line = format!("ip address {ip} {mask}");
                let saved = ctx
                    .ios
                    .startup()
                    .top(&["interface", &view.name])
                    .is_some_and(|b| b.has_child(&line));
                (ip.to_string(), if saved { "NVRAM" } else { "manual" })
            }
            None => ("unassigned".to_string(), "unset"),
        };
        let (status, protocol) = if view.shutdown {
            ("administratively down", "down")
        } else if ctx.oper_up(&view) {
            ("up", "up")
        } else {
            ("down", "down")
        };
        // A name longer than its column pushes the row right, as on IOS.
        let line = format!(
            "{:<22} {:<15} {:<3} {:<6} {:<21} {}",
            view.name, address, "YES", method, status, protocol
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `show inventory`.
pub fn inventory(spec: &DeviceSpec) -> String {
    format!(
        "NAME: \"Chassis\", DESCR: \"Cisco {model} Chassis\"\nPID: {model:<18}, VID: V01  , SN: {serial}\n\n",
        model = spec.model,
        serial = spec.serial
    )
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `show clock`: `*10:15:32.123 UTC Mon Mar 4 2024` (the star: time not authoritative, no
/// NTP server configured).
pub fn clock(ios: &IosState, now: SystemTime) -> String {
    let (zone, offset_minutes) = ios.timezone();
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let millis = since.subsec_millis();
    let seconds = since.as_secs() as i64 + offset_minutes * 60;
    let days = seconds.div_euclid(86_400);
    let in_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil(days);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    let synced = ios.running.top(&["ntp", "server"]).is_some();
    format!(
        "{}{:02}:{:02}:{:02}.{millis:03} {zone} {} {} {day} {year}\n",
        if synced { "" } else { "*" },
        in_day / 3600,
        in_day / 60 % 60,
        in_day % 60,
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS[(month as usize).saturating_sub(1).min(11)],
    )
}

/// `show access-lists` / `show ip access-lists`: the named lists with sequence numbers.
pub fn access_lists(ios: &IosState) -> String {
    let mut out = String::new();
    for node in ios.running.tops(&["ip", "access-list"]) {
        let words = node.words();
        let (Some(kind), Some(name)) = (words.get(2), words.get(3)) else {
            continue;
        };
        let title = if *kind == "standard" {
            "Standard"
        } else {
            "Extended"
        };
        let _ = writeln!(out, "{title} IP access list {name}");
        for (i, entry) in node.children.iter().enumerate() {
            let seq = entry.seq.unwrap_or((i as u64 + 1) * 10);
            let _ = writeln!(out, "    {seq} {}", entry.text);
        }
    }
    out
}

/// One WLAN as its `wlan PROFILE ID SSID` block configures it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WlanView {
    /// Profile name.
    pub profile: String,
    /// WLAN id.
    pub id: String,
    /// Network name.
    pub ssid: String,
    /// `no shutdown` was typed (a WLAN is created shut down).
    pub up: bool,
    /// WPA2 (RSN) policy: on unless `no security wpa wpa2`.
    pub wpa2: bool,
    /// WPA3 policy: `security wpa wpa3`.
    pub wpa3: bool,
    /// AKM 802.1X: on unless `no security wpa akm dot1x`.
    pub dot1x: bool,
    /// AKM PSK.
    pub psk: bool,
    /// AKM SAE.
    pub sae: bool,
    /// `security pmf mandatory|optional`: Required, Optional, else Disabled.
    pub pmf: &'static str,
    /// `broadcast-ssid`: on unless negated.
    pub broadcast: bool,
    /// `peer-blocking drop|forward-upstream`.
    pub peer_blocking: String,
}

/// The WLANs of the running configuration, in the order they were configured.
pub fn wlans(ios: &IosState) -> Vec<WlanView> {
    ios.running
        .tops(&["wlan"])
        .filter_map(|node| {
            let words = node.words();
            let (profile, id, ssid) =
                (words.get(1)?, words.get(2)?, words.get(3).or(words.get(1))?);
            let has = |line: &str| node.has_child(line);
            Some(WlanView {
                profile: profile.to_string(),
                id: id.to_string(),
                ssid: ssid.to_string(),
                up: !has("shutdown"),
                wpa2: !has("no security wpa wpa2") && !has("no security wpa"),
                wpa3: has("security wpa wpa3"),
                dot1x: !has("no security wpa akm dot1x"),
                psk: has("security wpa akm psk"),
                sae: has("security wpa akm sae"),
                pmf: if has("security pmf mandatory") {
                    "Required"
                } else if has("security pmf optional") {
                    "Optional"
                } else {
                    "Disabled"
                },
                broadcast: !has("no broadcast-ssid"),
                peer_blocking: node
                    .child_value(&["peer-blocking"])
                    .unwrap_or_else(|| "Disabled".to_string()),
            })
        })
        .collect()
}

fn enabled(on: bool) -> &'static str {
    if on { "Enabled" } else { "Disabled" }
}

/// `show wlan summary`, as a Catalyst 9800 (embedded wireless controller) prints it.
pub fn wlan_summary(ios: &IosState) -> String {
    let wlans = wlans(ios);
    let mut out = format!(
        "\nNumber of WLANs: {}\n\nID   Profile Name                     SSID                             Status Security\n{}\n",
        wlans.len(),
        "-".repeat(119)
    );
    for w in &wlans {
        let mut security = String::new();
        for (on, tag) in [
            (w.wpa2, "[WPA2]"),
            (w.wpa3, "[WPA3]"),
            (w.dot1x, "[802.1x]"),
            (w.psk, "[PSK]"),
            (w.sae, "[SAE]"),
            (w.wpa2 || w.wpa3, "[AES]"),
        ] {
            if on {
                security.push_str(tag);
            }
        }
        let line = format!(
            "{:<4} {:<32} {:<32} {:<6} {}",
            w.id,
            truncate(&w.profile, 32),
            truncate(&w.ssid, 32),
            if w.up { "UP" } else { "DOWN" },
            security
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push('\n');
    out
}

/// `show wlan name X` / `show wlan id N`: the WLAN's detail, in the 9800 layout.
pub fn wlan_detail(ios: &IosState, which: impl Fn(&WlanView) -> bool) -> String {
    let Some(w) = wlans(ios).into_iter().find(|w| which(w)) else {
        return "% WLAN not found\n".to_string();
    };
    let row = |label: &str, value: &str| format!("{label:<47}: {value}\n");
    let mut out = format!(
        "WLAN Profile Name     : {}\n{}\n",
        w.profile,
        "=".repeat(48)
    );
    out.push_str(&row("Identifier", &w.id));
    out.push_str(&row("Description", ""));
    out.push_str(&row("Network Name (SSID)", &w.ssid));
    out.push_str(&row("Status", enabled(w.up)));
    out.push_str(&row("Broadcast SSID", enabled(w.broadcast)));
    out.push_str(&row("Peer-to-Peer Blocking Action", &w.peer_blocking));
    out.push_str("Security\n");
    out.push_str(&row("    802.11 Authentication", "Open System"));
    out.push_str(&row("    Static WEP Keys", "Disabled"));
    out.push_str(&row(
        "    Wi-Fi Protected Access (WPA/WPA2/WPA3)",
        enabled(w.wpa2 || w.wpa3),
    ));
    out.push_str(&row("        WPA (SSN IE)", "Disabled"));
    out.push_str(&row("        WPA2 (RSN IE)", enabled(w.wpa2)));
    out.push_str(&row("            MPSK", "Disabled"));
    out.push_str(&row("            AES Cipher", enabled(w.wpa2)));
    out.push_str(&row("        WPA3 (WPA3 IE)", enabled(w.wpa3)));
    out.push_str(&row("            AES Cipher", enabled(w.wpa3)));
    out.push_str("        Auth Key Management\n");
    for (label, on) in [
        ("            802.1x", w.dot1x),
        ("            PSK", w.psk),
        ("            CCKM", false),
        ("            FT dot1x", false),
        ("            FT PSK", false),
        ("            Dot1x-SHA256", false),
        ("            PSK-SHA256", false),
        ("            SAE", w.sae),
        ("            OWE", false),
        ("            SUITEB-1X", false),
        ("            SUITEB192-1X", false),
    ] {
        out.push_str(&row(label, enabled(on)));
    }
    out.push_str(&row("        PMF Support", w.pmf));
    out.push_str(&row("        PMF Association Comeback Timeout", "1"));
    out.push_str(&row("        PMF SA Query Time", "200"));
    out
}

/// `show power inline [X]`: the PoE budget and each copper port. The twin has a phone on
/// every enabled port with a voice VLAN (class 2, 6.3 W), nothing elsewhere.
pub fn power_inline(ios: &IosState, model: &str, only: Option<&str>) -> String {
    let only = only.map(ifname::canonical);
    let available: f64 = if model.contains("-48") { 740.0 } else { 370.0 };
    let mut rows = String::new();
    let mut used = 0.0;
    for port in ios.ports() {
        if port.speed_mbps > 1000 || ifname::class_of(&port.name) != IfClass::Physical {
            continue; // uplink optics carry no power
        }
        let view = ios.interface_view(&port.name);
        let block = ios.interface_block(&port.name);
        let admin = match block
            .and_then(|b| b.child_value(&["power", "inline"]))
            .as_deref()
        {
            Some(v) if v.starts_with("never") => "off",
            Some(v) if v.starts_with("static") => "static",
            _ => "auto",
        };
        let phone = admin != "off" && !view.shutdown && view.voice_vlan.is_some();
        let (oper, watts, device, class) = if phone {
            ("on", 6.3, "IP Phone 8845", "2")
        } else {
            ("off", 0.0, "n/a", "n/a")
        };
        used += watts;
        if only.as_ref().is_some_and(|o| *o != port.name) {
            continue;
        }
        let line = format!(
            "{:<9} {:<6} {:<10} {:<7.1} {:<19} {:<5} {:.1}",
            ifname::short_name(&port.name),
            admin,
            oper,
            watts,
            device,
            class,
            30.0
        );
        rows.push_str(&line);
        rows.push('\n');
    }
    format!(
        "Module   Available     Used     Remaining\n          (Watts)     (Watts)    (Watts) \n------   ---------   --------   ---------\n1        {available:>9.1}   {used:>8.1}   {:>9.1}\nInterface Admin  Oper       Power   Device              Class Max\n                            (Watts)                            \n--------- ------ ---------- ------- ------------------- ----- ----\n{rows}\n",
        available - used
    )
}

/// `show cdp neighbors`: the twin has no neighbours.
pub fn cdp_neighbors() -> String {
    "Capability Codes: R - Router, T - Trans Bridge, B - Source Route Bridge\n                  S - Switch, H - Host, I - IGMP, r - Repeater, P - Phone, \n                  D - Remote, C - CVTA, M - Two-port Mac Relay \n\nDevice ID        Local Intrfce     Holdtme    Capability  Platform  Port ID\n\nTotal cdp entries displayed : 0\n".to_string()
}

/// `show lldp neighbors`.
pub fn lldp_neighbors() -> String {
    "Capability codes:\n    (R) Router, (B) Bridge, (T) Telephone, (C) DOCSIS Cable Device\n    (W) WLAN Access Point, (P) Repeater, (S) Station, (O) Other\n\nDevice ID           Local Intf     Hold-time  Capability      Port ID\n\nTotal entries displayed: 0\n\n".to_string()
}

/// `show mac address-table`.
pub fn mac_address_table() -> String {
    "          Mac Address Table\n-------------------------------------------\n\nVlan    Mac Address       Type        Ports\n----    -----------       --------    -----\nTotal Mac Addresses for this criterion: 0\n".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_phrases() {
        assert_eq!(uptime_phrase(Duration::from_secs(0)), "0 minutes");
        assert_eq!(
            uptime_phrase(Duration::from_secs(65 * 60)),
            "1 hour, 5 minutes"
        );
        assert_eq!(
            uptime_phrase(Duration::from_secs(((8 * 24 + 2) * 60 + 1) * 60)),
            "1 week, 1 day, 2 hours, 1 minute"
        );
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(19_786), (2024, 3, 4));
        assert_eq!(civil(-1), (1969, 12, 31));
    }
}
