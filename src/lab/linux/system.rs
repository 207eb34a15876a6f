//! System commands of the twin: `systemctl`, `journalctl`, `wg`, `wg-quick`, `ip`,
//! `hostapd_cli`, `hostname`, `hostnamectl`, `uname`, `sysctl`, `logger` and `reboot`. They read and
//! change the running state (units, WireGuard interfaces, hostapd) through `LinuxState`,
//! with the real tools' output layout and messages.

use super::commands::world_accessible;
use super::crypto::{derive_bytes, derive_private_key, key_to_base64, public_key};
use super::shell::{Flow, Io, Shell};
use super::state::{KERNEL_RELEASE, Outcome, UnitKind, UnitState, canonical_unit, unit_kind};
use super::wireguard::{self, parse_set_args};
use std::fmt::Write as _;

/// Run a system command; `None` when `name` is not one of them.
pub(crate) fn run(
    sh: &mut Shell,
    name: &str,
    args: &[String],
    io: &Io,
) -> Result<Option<u32>, Flow> {
    let status = match name {
        "systemctl" => systemctl(sh, args, io),
        "journalctl" => journalctl(sh, args, io),
        "wg" => wg(sh, args, io),
        "wg-quick" => wg_quick(sh, args, io),
        "ip" => ip(sh, args, io),
        "hostapd_cli" => hostapd_cli(sh, args, io),
        "hostapd" => {
            sh.errln(
                io,
                "hostapd: run it through systemctl (hostapd.service) on this twin",
            );
            1
        }
        "hostname" => hostname(sh, args, io),
        "hostnamectl" => hostnamectl(sh, args, io),
        "uname" => uname(sh, args, io),
        "sysctl" => sysctl(sh, args, io),
        "logger" => logger(sh, args, io),
        "reboot" | "shutdown" | "poweroff" | "halt" => {
            if name == "shutdown" && args.iter().any(|a| a == "-c") {
                return Ok(Some(0));
            }
            sh.reboot = true;
            0
        }
        _ => return Ok(None),
    };
    Ok(Some(status))
}

fn emit(sh: &mut Shell, io: &Io, outcome: Outcome) -> u32 {
    sh.out(io, outcome.stdout);
    sh.err(io, &outcome.stderr);
    outcome.status
}

fn unit_description(kind: &UnitKind) -> String {
    match kind {
        UnitKind::WgQuick(iface) => format!("WireGuard via wg-quick(8) for {iface}"),
        UnitKind::Hostapd => "Access point and authentication server for Wi-Fi and Ethernet".into(),
        UnitKind::Ssh => "OpenBSD Secure Shell server".into(),
        UnitKind::OpenvpnServer(name) => format!("OpenVPN service for {name}"),
    }
}

fn journal_line(sh: &Shell, e: &super::state::JournalEntry) -> String {
    let secs = e.seq;
    format!(
        "Jan 01 {:02}:{:02}:{:02} {} {}[{}]: {}",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60,
        sh.st.hostname,
        e.ident,
        e.pid,
        e.message
    )
}

fn status_block(sh: &Shell, name: &str, kind: &UnitKind) -> (String, u32) {
    let unit = sh.st.units.get(name).cloned();
    let state = unit.as_ref().map_or(UnitState::Inactive, |u| u.state);
    let enabled = unit.as_ref().is_some_and(|u| u.enabled);
    let pid = unit.as_ref().map_or(0, |u| u.pid);
    let (dot, active) = match (state, kind) {
        (UnitState::Active, UnitKind::WgQuick(_)) => ("●", "active (exited)".to_string()),
        (UnitState::Active, _) => ("●", "active (running)".to_string()),
        (UnitState::Failed, _) => ("×", "failed (Result: exit-code)".to_string()),
        (UnitState::Inactive, _) => ("○", "inactive (dead)".to_string()),
    };
    let file = match kind {
        UnitKind::WgQuick(_) => "/lib/systemd/system/wg-quick@.service".to_string(),
        UnitKind::OpenvpnServer(_) => "/lib/systemd/system/openvpn-server@.service".to_string(),
        _ => format!("/lib/systemd/system/{name}"),
    };
    let mut out = String::new();
    let _ = writeln!(out, "{dot} {name} - {}", unit_description(kind));
    let _ = writeln!(
        out,
        "     Loaded: loaded ({file}; {}; preset: enabled)",
        if enabled { "enabled" } else { "disabled" }
    );
    let since = if state == UnitState::Inactive {
        String::new()
    } else {
        " since Thu 2026-01-01 00:00:00 UTC".into()
    };
    let _ = writeln!(out, "     Active: {active}{since}");
    match (state, kind) {
        (UnitState::Active, UnitKind::WgQuick(_)) => {
            let _ = writeln!(
                out,
                "    Process: {pid} ExecStart=/usr/bin/wg-quick up {} (code=exited, status=0/SUCCESS)",
                match kind {
                    UnitKind::WgQuick(i) => i.as_str(),
                    _ => "",
                }
            );
            let _ = writeln!(out, "   Main PID: {pid} (code=exited, status=0/SUCCESS)");
        }
        (UnitState::Active, _) if pid != 0 => {
            let _ = writeln!(
                out,
                "   Main PID: {pid} ({})",
                name.trim_end_matches(".service")
            );
        }
        _ => {}
    }
    let lines: Vec<String> = sh
        .st
        .journal
        .iter()
        .filter(|e| e.unit == name)
        .map(|e| journal_line(sh, e))
        .collect();
    if !lines.is_empty() {
        out.push('\n');
        for l in &lines[lines.len().saturating_sub(10)..] {
            let _ = writeln!(out, "{l}");
        }
    }
    (out, if state == UnitState::Active { 0 } else { 3 })
}

fn systemctl(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let mut quiet = false;
    let mut now = false;
    let mut words = Vec::new();
    for a in args {
        match a.as_str() {
            "-q" | "--quiet" => quiet = true,
            "--now" => now = true,
            s if s.starts_with('-') => {}
            _ => words.push(a.clone()),
        }
    }
    let Some(verb) = words.first().cloned() else {
        let mut out =
            String::from("  UNIT                     LOAD   ACTIVE SUB     DESCRIPTION\n");
        let units: Vec<(String, UnitState)> = sh
            .st
            .units
            .iter()
            .map(|(n, u)| (n.clone(), u.state))
            .collect();
        for (n, state) in units {
            let (active, sub) = match state {
                UnitState::Active if n.starts_with("wg-quick@") => ("active", "exited"),
                UnitState::Active => ("active", "running"),
                UnitState::Failed => ("failed", "failed"),
                UnitState::Inactive => ("inactive", "dead"),
            };
            let desc = unit_kind(&n)
                .map(|(_, k)| unit_description(&k))
                .unwrap_or_default();
            let _ = writeln!(out, "  {n:<24} loaded {active:<6} {sub:<7} {desc}");
        }
        sh.out(io, out);
        return 0;
    };
    let units = &words[1..];
    let need_units = |sh: &mut Shell| {
        sh.errln(io, "Too few arguments.");
        1
    };
    match verb.as_str() {
        "start" | "stop" | "restart" | "reload" | "try-restart" | "reload-or-restart"
        | "force-reload" => {
            if units.is_empty() {
                return need_units(sh);
            }
            let mut status = 0;
            for u in units {
                let outcome = match verb.as_str() {
                    "start" => sh.st.unit_start(u),
                    "stop" => sh.st.unit_stop(u),
                    "reload" | "force-reload" => sh.st.unit_reload(u),
                    "try-restart" => {
                        if sh.st.service_active(u) {
                            sh.st.unit_restart(u)
                        } else {
                            Outcome::default()
                        }
                    }
                    _ => sh.st.unit_restart(u),
                };
                let s = emit(sh, io, outcome);
                if status == 0 {
                    status = s;
                }
            }
            status
        }
        "enable" | "disable" => {
            if units.is_empty() {
                return need_units(sh);
            }
            let mut status = 0;
            for u in units {
                let outcome = sh.st.unit_enable(u, verb == "enable");
                let mut s = emit(sh, io, outcome);
                if s == 0 && now {
                    let o = if verb == "enable" {
                        sh.st.unit_start(u)
                    } else {
                        sh.st.unit_stop(u)
                    };
                    s = emit(sh, io, o);
                }
                if status == 0 {
                    status = s;
                }
            }
            status
        }
        "is-active" | "is-failed" | "is-enabled" => {
            if units.is_empty() {
                return need_units(sh);
            }
            let mut all = true;
            let mut out = String::new();
            for u in units {
                let found = unit_kind(u);
                let unit = found.as_ref().and_then(|(n, _)| sh.st.units.get(n));
                let (word, ok) = match verb.as_str() {
                    "is-enabled" => match (&found, unit) {
                        (None, _) => {
                            sh.errln(io, &format!("Failed to get unit file state for {}: No such file or directory", canonical_unit(u)));
                            all = false;
                            continue;
                        }
                        (Some(_), Some(un)) if un.enabled => ("enabled", true),
                        _ => ("disabled", false),
                    },
                    "is-failed" => match unit.map(|un| un.state) {
                        Some(UnitState::Failed) => ("failed", true),
                        Some(UnitState::Active) => ("active", false),
                        _ => ("inactive", false),
                    },
                    _ => match unit.map(|un| un.state) {
                        Some(UnitState::Active) => ("active", true),
                        Some(UnitState::Failed) => ("failed", false),
                        _ => ("inactive", false),
                    },
                };
                all &= ok;
                let _ = writeln!(out, "{word}");
            }
            if !quiet {
                sh.out(io, out);
            }
            if all {
                0
            } else if verb == "is-active" {
                3
            } else {
                1
            }
        }
        "status" => {
            let mut status = 0;
            let mut first = true;
            for u in units {
                let Some((name, kind)) = unit_kind(u) else {
                    sh.errln(
                        io,
                        &format!("Unit {} could not be found.", canonical_unit(u)),
                    );
                    status = 4;
                    continue;
                };
                let (text, s) = status_block(sh, &name, &kind);
                if !first {
                    sh.out(io, "\n");
                }
                first = false;
                sh.out(io, text);
                if status == 0 {
                    status = s;
                }
            }
            if units.is_empty() {
                let host = sh.st.hostname.clone();
                sh.out(
                    io,
                    format!(
                        "● {host}\n    State: running\n    Units: {} loaded\n",
                        sh.st.units.len()
                    ),
                );
            }
            status
        }
        "show" => {
            let props: Vec<String> = args
                .iter()
                .enumerate()
                .filter_map(|(i, a)| {
                    a.strip_prefix("--property=")
                        .map(String::from)
                        .or_else(|| (a == "-p").then(|| args.get(i + 1).cloned()).flatten())
                })
                .flat_map(|p| p.split(',').map(String::from).collect::<Vec<_>>())
                .collect();
            let raw_props: Vec<&String> = args
                .iter()
                .enumerate()
                .filter(|(i, _)| *i > 0 && args[i - 1] == "-p")
                .map(|(_, a)| a)
                .collect();
            let units: Vec<&String> = units.iter().filter(|u| !raw_props.contains(u)).collect();
            let mut out = String::new();
            for u in units {
                let found = unit_kind(u);
                let unit = found.as_ref().and_then(|(n, _)| sh.st.units.get(n));
                let state = unit.map_or(UnitState::Inactive, |un| un.state);
                let all = [
                    ("Id", canonical_unit(u)),
                    (
                        "LoadState",
                        if found.is_some() {
                            "loaded"
                        } else {
                            "not-found"
                        }
                        .to_string(),
                    ),
                    (
                        "ActiveState",
                        match state {
                            UnitState::Active => "active",
                            UnitState::Failed => "failed",
                            UnitState::Inactive => "inactive",
                        }
                        .to_string(),
                    ),
                    (
                        "SubState",
                        match (state, found.as_ref().map(|f| &f.1)) {
                            (UnitState::Active, Some(UnitKind::WgQuick(_))) => "exited",
                            (UnitState::Active, _) => "running",
                            (UnitState::Failed, _) => "failed",
                            _ => "dead",
                        }
                        .to_string(),
                    ),
                    (
                        "UnitFileState",
                        if unit.is_some_and(|un| un.enabled) {
                            "enabled"
                        } else {
                            "disabled"
                        }
                        .to_string(),
                    ),
                    ("MainPID", unit.map_or(0, |un| un.pid).to_string()),
                ];
                for (k, v) in all {
                    if props.is_empty() || props.iter().any(|p| p == k) {
                        let _ = writeln!(out, "{k}={v}");
                    }
                }
            }
            sh.out(io, out);
            0
        }
        "daemon-reload" | "daemon-reexec" => 0,
        "reset-failed" => {
            for unit in sh.st.units.values_mut() {
                if unit.state == UnitState::Failed {
                    unit.state = UnitState::Inactive;
                }
            }
            0
        }
        "reboot" | "poweroff" | "halt" => {
            sh.reboot = true;
            0
        }
        "list-units" | "list-unit-files" => {
            let mut out = String::new();
            let units: Vec<(String, bool, UnitState)> = sh
                .st
                .units
                .iter()
                .map(|(n, u)| (n.clone(), u.enabled, u.state))
                .collect();
            for (n, enabled, state) in units {
                if verb == "list-unit-files" {
                    let _ = writeln!(
                        out,
                        "{n:<32} {}",
                        if enabled { "enabled" } else { "disabled" }
                    );
                } else {
                    let active = match state {
                        UnitState::Active => "active",
                        UnitState::Failed => "failed",
                        UnitState::Inactive => "inactive",
                    };
                    let _ = writeln!(out, "{n:<32} loaded {active}");
                }
            }
            sh.out(io, out);
            0
        }
        other => {
            sh.errln(io, &format!("Unknown command verb '{other}'."));
            1
        }
    }
}

fn journalctl(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let mut units = Vec::new();
    let mut lines: Option<usize> = None;
    let mut cat = false;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "-u" || a == "--unit" {
            if let Some(u) = args.get(i + 1) {
                units.push(canonical_unit(u));
            }
            i += 2;
            continue;
        }
        if let Some(u) = a
            .strip_prefix("--unit=")
            .or_else(|| a.strip_prefix("-u").filter(|s| !s.is_empty()))
        {
            units.push(canonical_unit(u));
        } else if a == "-n" || a == "--lines" {
            lines = args.get(i + 1).and_then(|n| n.parse().ok());
            i += 2;
            continue;
        } else if let Some(n) = a
            .strip_prefix("--lines=")
            .or_else(|| a.strip_prefix("-n").filter(|s| !s.is_empty()))
        {
            lines = n.parse().ok();
        } else if a == "-o" {
            cat = args.get(i + 1).is_some_and(|o| o == "cat");
            i += 2;
            continue;
        } else if a == "-e" && lines.is_none() {
            lines = Some(1000);
        }
        i += 1;
    }
    let entries: Vec<String> = sh
        .st
        .journal
        .iter()
        .filter(|e| units.is_empty() || units.contains(&e.unit))
        .map(|e| {
            if cat {
                e.message.clone()
            } else {
                journal_line(sh, e)
            }
        })
        .collect();
    let start = lines.map_or(0, |n| entries.len().saturating_sub(n));
    if entries.is_empty() {
        sh.out(io, "-- No entries --\n");
        return 0;
    }
    let out: String = entries[start..].iter().map(|l| format!("{l}\n")).collect();
    sh.out(io, out);
    0
}

const WG_USAGE: &str = "Usage: wg <cmd> [<args>]\n\nAvailable subcommands:\n  show: Shows the current configuration and device information\n  showconf: Shows the current configuration of a given WireGuard interface, for use with `setconf'\n  set: Change the current configuration, add peers, remove peers, or change peers\n  setconf: Applies a configuration file to a WireGuard interface\n  addconf: Appends a configuration file to a WireGuard interface\n  syncconf: Synchronizes a configuration file to a WireGuard interface\n  genkey: Generates a new private key and writes it to stdout\n  genpsk: Generates a new preshared key and writes it to stdout\n  pubkey: Reads a private key from stdin and writes a public key to stdout\nYou may pass `--help' to any of these subcommands to view usage.\n";

const SHOW_USAGE: &str = "Usage: wg show { <interface> | all | interfaces } [public-key | private-key | listen-port | fwmark | peers | preshared-keys | endpoints | allowed-ips | latest-handshakes | transfer | persistent-keepalive | dump]\n";

fn wg(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let Some(sub) = args.first().map(String::as_str) else {
        return wg_show(sh, &[], io);
    };
    let rest = &args[1..];
    match sub {
        "show" => wg_show(sh, rest, io),
        "showconf" => {
            if rest.len() != 1 {
                sh.err(io, "Usage: wg showconf <interface>\n");
                return 1;
            }
            match sh.st.wg.get(&rest[0]) {
                Some(dev) => {
                    let text = wireguard::render_showconf(dev);
                    sh.out(io, text);
                    0
                }
                None => {
                    sh.errln(io, "Unable to access interface: No such device");
                    1
                }
            }
        }
        "setconf" | "addconf" | "syncconf" => {
            if rest.len() != 2 {
                sh.err(
                    io,
                    &format!("Usage: wg {sub} <interface> <configuration filename>\n"),
                );
                return 1;
            }
            let text = match sh.read_input(io, &rest[1]) {
                Ok(d) => String::from_utf8_lossy(&d).into_owned(),
                Err(e) => {
                    sh.errln(io, &format!("fopen: {}", e.message()));
                    return 1;
                }
            };
            let outcome = sh.st.wg_load(sub, &rest[0], &text);
            emit(sh, io, outcome)
        }
        "set" => {
            let Some(iface) = rest.first() else {
                sh.err(io, "Usage: wg set <interface> [listen-port <port>] [fwmark <mark>] [private-key <file path>] [peer <base64 public key> [remove] [preshared-key <file path>] [endpoint <ip>:<port>] [persistent-keepalive <interval seconds>] [allowed-ips <ip1>/<cidr1>[,<ip2>/<cidr2>]...] ]...\n");
                return 1;
            };
            let mut read_errors = String::new();
            let parsed = {
                let mut read_key = |path: &str| -> Result<Option<[u8; 32]>, String> {
                    match sh.read_input(io, path) {
                        Ok(d) => {
                            let text = String::from_utf8_lossy(&d);
                            let trimmed = text.trim();
                            if trimmed.is_empty() {
                                Ok(None)
                            } else {
                                wireguard::parse_key(trimmed).map(Some)
                            }
                        }
                        Err(e) => {
                            read_errors.push_str(&format!("fopen: {}\n", e.message()));
                            Err(String::new())
                        }
                    }
                };
                parse_set_args(&rest[1..], &mut read_key)
            };
            sh.err(io, &read_errors);
            let (conf, clear_private, warnings) = match parsed {
                Ok(p) => p,
                Err(msg) => {
                    if !msg.is_empty() {
                        sh.errln(io, &msg);
                    }
                    return 1;
                }
            };
            for w in warnings {
                sh.errln(io, &w);
            }
            match sh.st.wg.get_mut(iface.as_str()) {
                Some(dev) => {
                    wireguard::addconf(dev, &conf);
                    if clear_private {
                        dev.private_key = None;
                    }
                    0
                }
                None => {
                    sh.errln(io, "Unable to modify interface: No such device");
                    1
                }
            }
        }
        "genkey" | "genpsk" => {
            if world_accessible(sh, &io.out) {
                sh.err(io, "Warning: writing to world accessible file.\nConsider setting the umask to 077 and trying again.\n");
            }
            let n = sh.st.next_seq() + 10_000;
            let key = if sub == "genkey" {
                derive_private_key(&sh.st.seed, n)
            } else {
                derive_bytes(&sh.st.seed, n)
            };
            sh.out(io, format!("{}\n", key_to_base64(&key)));
            0
        }
        "pubkey" => {
            let input = io.stdin.read_all();
            let text = String::from_utf8_lossy(&input);
            let key_text: String = text.chars().take(44).collect();
            if key_text.chars().count() < 44 {
                sh.errln(io, "wg: Key is not the correct length or format");
                return 1;
            }
            if text.chars().skip(44).any(|c| !c.is_whitespace()) {
                sh.errln(io, "wg: Trailing characters found after key");
                return 1;
            }
            match super::crypto::key_from_base64(&key_text) {
                Some(k) => {
                    sh.out(io, format!("{}\n", key_to_base64(&public_key(&k))));
                    0
                }
                None => {
                    sh.errln(io, "wg: Key is not the correct length or format");
                    1
                }
            }
        }
        "--version" | "-v" | "version" => {
            sh.out(
                io,
                "wireguard-tools v1.0.20210914 - https://git.zx2c4.com/wireguard-tools/\n",
            );
            0
        }
        "--help" | "-h" | "help" => {
            sh.out(io, WG_USAGE);
            0
        }
        other => {
            sh.err(io, &format!("Invalid subcommand: `{other}'\n{WG_USAGE}"));
            1
        }
    }
}

fn wg_show(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let names: Vec<String> = sh.st.wg.keys().cloned().collect();
    match args {
        [] => {
            let text: Vec<String> = sh.st.wg.values().map(wireguard::render_show).collect();
            sh.out(io, text.join("\n"));
            0
        }
        [which] if which == "interfaces" => {
            if !names.is_empty() {
                sh.out(io, format!("{}\n", names.join(" ")));
            }
            0
        }
        [which] if which == "all" => {
            let text: Vec<String> = sh.st.wg.values().map(wireguard::render_show).collect();
            sh.out(io, text.join("\n"));
            0
        }
        [which, field] if which == "all" => {
            let mut out = String::new();
            for dev in sh.st.wg.values() {
                match wireguard::render_field(dev, field, &format!("{}\t", dev.name)) {
                    Some(t) => out.push_str(&t),
                    None => {
                        sh.err(io, SHOW_USAGE);
                        return 1;
                    }
                }
            }
            sh.out(io, out);
            0
        }
        [iface] | [iface, _] => {
            let Some(dev) = sh.st.wg.get(iface.as_str()) else {
                sh.errln(io, "Unable to access interface: No such device");
                return 1;
            };
            let text = match args.get(1) {
                None => Some(wireguard::render_show(dev)),
                Some(field) => wireguard::render_field(dev, field, ""),
            };
            match text {
                Some(t) => {
                    sh.out(io, t);
                    0
                }
                None => {
                    sh.err(io, SHOW_USAGE);
                    1
                }
            }
        }
        _ => {
            sh.err(io, SHOW_USAGE);
            1
        }
    }
}

const WG_QUICK_USAGE: &str = "Usage: wg-quick [ up | down | save | strip ] [ CONFIG_FILE | INTERFACE ]\n\n  CONFIG_FILE is a configuration file, whose filename is the interface name\n  followed by `.conf'. Otherwise, INTERFACE is an interface name, with\n  configuration found at /etc/wireguard/INTERFACE.conf. It is to be readable\n  by wg(8)'s `setconf' sub-command, with the exception of the following additions\n  to the [Interface] section, which are handled by wg-quick:\n\n  - Address: may be specified one or more times and contains one or more\n    IP addresses (with an optional CIDR mask) to be set for the interface.\n  - DNS: an optional DNS server to use while the device is up.\n  - MTU: an optional MTU for the interface; if unspecified, auto-calculated.\n  - Table: an optional routing table to which routes will be added.\n  - PreUp, PostUp, PreDown, PostDown: script snippets which will be executed\n    by bash(1) at the corresponding phases of the link.\n  - SaveConfig: if set to `true', the configuration is saved from the current\n    state of the interface upon shutdown.\n\nSee wg-quick(8) for more info and examples.\n";

fn wg_quick(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let [cmd, target] = args else {
        sh.err(io, WG_QUICK_USAGE);
        return 1;
    };
    if !matches!(cmd.as_str(), "up" | "down" | "save" | "strip") {
        sh.err(io, WG_QUICK_USAGE);
        return 1;
    }
    let cwd = sh.env.cwd.clone();
    let (path, iface) = match sh.st.quick_target(&cwd, target) {
        Ok(t) => t,
        Err(msg) => {
            sh.err(io, &msg);
            return 1;
        }
    };
    let outcome = match cmd.as_str() {
        "up" => sh.st.wg_quick_up(&path, &iface),
        "down" => sh.st.wg_quick_down(&path, &iface),
        "save" => sh.st.wg_quick_save(&path, &iface),
        _ => sh.st.wg_quick_strip(&path),
    };
    emit(sh, io, outcome)
}

fn ip(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let mut brief = false;
    let mut family: Option<u8> = None;
    let mut words = Vec::new();
    for a in args {
        match a.as_str() {
            "-br" | "-brief" | "--brief" => brief = true,
            "-4" => family = Some(4),
            "-6" => family = Some(6),
            "-c" | "-color" | "--color" | "-d" | "-details" | "-s" | "-stats" | "-o"
            | "-oneline" => {}
            s if s.starts_with("-c=") || s.starts_with("--color=") => {}
            s if s.starts_with('-') => {
                sh.errln(io, &format!("Option \"{s}\" is unknown, try \"ip -help\"."));
                return 255;
            }
            _ => words.push(a.as_str()),
        }
    }
    let object = match words.first().copied() {
        None => {
            sh.errln(io, "Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n       ip [ -force ] -batch filename\nwhere  OBJECT := { address | link | route | ... }");
            return 255;
        }
        Some("a" | "addr" | "address") => "addr",
        Some("l" | "link") => "link",
        Some("r" | "ro" | "route") => "route",
        Some(other) => {
            sh.errln(
                io,
                &format!("Object \"{other}\" is unknown, try \"ip help\"."),
            );
            return 255;
        }
    };
    let mut rest = &words[1..];
    if let Some(&verb) = rest.first() {
        match verb {
            "show" | "list" | "lst" | "ls" => rest = &rest[1..],
            "add" | "del" | "delete" | "set" | "change" | "replace" | "flush" => {
                sh.errln(io, "RTNETLINK answers: Operation not supported");
                return 2;
            }
            _ => {}
        }
    }
    let dev = match rest {
        ["dev", d, ..] | [d, ..] if *d != "dev" => Some(d.to_string()),
        _ => None,
    };
    let interfaces = sh.st.interfaces();
    if let Some(d) = &dev
        && !interfaces.iter().any(|i| &i.name == d)
    {
        sh.errln(io, &format!("Device \"{d}\" does not exist."));
        return 1;
    }
    let mut out = String::new();
    if object == "route" {
        let (addr, prefix) = sh.st.eth0;
        if let Ok(net) = ipnetwork::IpNetwork::new(addr, prefix)
            && addr.is_ipv4() == (family != Some(6))
        {
            if let Some(gw) = net.iter().nth(1).filter(|g| *g != addr) {
                let _ = writeln!(out, "default via {gw} dev eth0 proto static");
            }
            let _ = writeln!(
                out,
                "{}/{prefix} dev eth0 proto kernel scope link src {addr}",
                net.network()
            );
        }
        for i in interfaces.iter().filter(|i| i.if_type == 131) {
            for a in &i.addresses {
                if let Ok(net) = a.parse::<ipnetwork::IpNetwork>() {
                    let _ = writeln!(
                        out,
                        "{}/{} dev {} proto kernel scope link src {}",
                        net.network(),
                        net.prefix(),
                        i.name,
                        net.ip()
                    );
                }
            }
        }
        sh.out(io, out);
        return 0;
    }
    for i in interfaces
        .iter()
        .filter(|i| dev.as_ref().is_none_or(|d| *d == i.name))
    {
        let state = match (i.if_type, i.oper_up) {
            (24 | 131, _) => "UNKNOWN",
            (_, true) => "UP",
            (_, false) => "DOWN",
        };
        let flags = match i.if_type {
            24 => "LOOPBACK,UP,LOWER_UP",
            131 => "POINTOPOINT,NOARP,UP,LOWER_UP",
            _ if i.oper_up => "BROADCAST,MULTICAST,UP,LOWER_UP",
            _ => "NO-CARRIER,BROADCAST,MULTICAST,UP",
        };
        let addrs: Vec<&String> = i
            .addresses
            .iter()
            .filter(|a| match family {
                Some(4) => !a.contains(':'),
                Some(6) => a.contains(':'),
                _ => true,
            })
            .collect();
        if brief {
            if object == "addr" {
                let list: String = addrs.iter().map(|a| format!("{a} ")).collect();
                let _ = writeln!(out, "{:<16} {:<14} {list}", i.name, state);
            } else {
                let mac = match (i.if_type, &i.mac) {
                    (24, _) => "00:00:00:00:00:00 ".to_string(),
                    (_, Some(m)) => format!("{m} "),
                    _ => String::new(),
                };
                let _ = writeln!(out, "{:<16} {:<14} {mac}<{flags}> ", i.name, state);
            }
            continue;
        }
        let qdisc = if i.if_type == 6 || i.if_type == 71 {
            "fq_codel"
        } else {
            "noqueue"
        };
        let mode = if object == "link" {
            " mode DEFAULT"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{}: {}: <{flags}> mtu {} qdisc {qdisc} state {state}{mode} group default qlen 1000",
            i.index, i.name, i.mtu
        );
        let _ = match (i.if_type, &i.mac) {
            (24, _) => writeln!(
                out,
                "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00"
            ),
            (_, Some(m)) => writeln!(out, "    link/ether {m} brd ff:ff:ff:ff:ff:ff"),
            _ => writeln!(out, "    link/none "),
        };
        if object == "addr" {
            for a in addrs {
                let scope = if i.if_type == 24 { "host" } else { "global" };
                let (kw, brd) = if a.contains(':') {
                    ("inet6", String::new())
                } else {
                    let b = a
                        .parse::<ipnetwork::IpNetwork>()
                        .ok()
                        .filter(|n| i.if_type == 6 && n.prefix() < 31)
                        .map(|n| format!(" brd {}", n.broadcast_or_ip()))
                        .unwrap_or_default();
                    ("inet", b)
                };
                let label = if kw == "inet" {
                    format!(" {}", i.name)
                } else {
                    String::new()
                };
                let _ = writeln!(out, "    {kw} {a}{brd} scope {scope}{label}");
                let _ = writeln!(out, "       valid_lft forever preferred_lft forever");
            }
        }
    }
    sh.out(io, out);
    0
}

trait Broadcast {
    fn broadcast_or_ip(&self) -> std::net::IpAddr;
}

impl Broadcast for ipnetwork::IpNetwork {
    fn broadcast_or_ip(&self) -> std::net::IpAddr {
        match self {
            ipnetwork::IpNetwork::V4(n) => std::net::IpAddr::V4(n.broadcast()),
            ipnetwork::IpNetwork::V6(n) => std::net::IpAddr::V6(n.ip()),
        }
    }
}

fn hostapd_cli(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let mut words = Vec::new();
    let mut i = 0;
    while i < args.len() {
        if args[i] == "-i" || args[i] == "-p" {
            i += 2;
            continue;
        }
        if !args[i].starts_with('-') {
            words.push(args[i].clone());
        }
        i += 1;
    }
    let Some(conf) = sh.st.hostapd.clone() else {
        sh.errln(
            io,
            "Failed to connect to hostapd - wpa_ctrl_open: No such file or directory",
        );
        return 255;
    };
    match words.first().map(String::as_str).unwrap_or("status") {
        "status" => {
            let mut out = String::from("state=ENABLED\nphy=phy0\n");
            let channel = conf.channel.unwrap_or(0);
            let freq = if channel == 0 {
                0
            } else if channel <= 13 {
                2407 + 5 * channel
            } else {
                5000 + 5 * channel
            };
            let _ = writeln!(out, "freq={freq}\nchannel={channel}");
            for (n, b) in conf.bsses.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "bss[{n}]={}\nssid[{n}]={}\nnum_sta[{n}]=0",
                    b.ifname, b.ssid
                );
            }
            sh.out(io, out);
            0
        }
        "get_config" => {
            let b = &conf.bsses[0];
            let mut out = format!("ssid={}\n", b.ssid);
            if b.wpa != 0 {
                let _ = writeln!(
                    out,
                    "wpa={}\nkey_mgmt={}",
                    b.wpa,
                    b.key_mgmt.as_deref().unwrap_or("WPA-PSK")
                );
            }
            sh.out(io, out);
            0
        }
        "reload" => {
            let outcome = sh.st.unit_reload("hostapd.service");
            if outcome.status == 0 {
                sh.out(io, "OK\n");
                0
            } else {
                sh.out(io, "FAIL\n");
                1
            }
        }
        "ping" => {
            sh.out(io, "PONG\n");
            0
        }
        "all_sta" | "list_sta" => 0,
        other => {
            sh.out(io, format!("UNKNOWN COMMAND\n{other}\n"));
            1
        }
    }
}

fn hostname(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    match args.first().map(String::as_str) {
        None | Some("-f" | "--fqdn" | "-s" | "--short" | "-A") => {
            let h = sh.st.hostname.clone();
            let h = if args.first().is_some_and(|a| a == "-s" || a == "--short") {
                h.split('.').next().unwrap_or("").to_string()
            } else {
                h
            };
            sh.out(io, format!("{h}\n"));
            0
        }
        Some("-I" | "--all-ip-addresses" | "-i") => {
            let (addr, _) = sh.st.eth0;
            sh.out(io, format!("{addr} \n"));
            0
        }
        Some(name) if !name.starts_with('-') => {
            if name.is_empty()
                || name.len() > 64
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            {
                sh.errln(io, "hostname: the specified hostname is invalid");
                return 1;
            }
            sh.st.hostname = name.to_string();
            0
        }
        Some(other) => {
            sh.errln(
                io,
                &format!(
                    "hostname: invalid option -- '{}'",
                    other.trim_start_matches('-')
                ),
            );
            1
        }
    }
}

fn hostnamectl(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let words: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    match words.first().map(|s| s.as_str()) {
        None | Some("status") => {
            let h = sh.st.hostname.clone();
            sh.out(
                io,
                format!(" Static hostname: {h}\n       Icon name: computer-vm\n         Chassis: vm\n  Virtualization: kvm\nOperating System: Debian GNU/Linux 12 (bookworm)\n          Kernel: Linux {KERNEL_RELEASE}\n    Architecture: x86-64\n"),
            );
            0
        }
        Some("hostname") if words.len() == 1 => {
            let h = sh.st.hostname.clone();
            sh.out(io, format!("{h}\n"));
            0
        }
        Some("set-hostname" | "hostname") => {
            let Some(name) = words.get(1) else {
                sh.errln(io, "Too few arguments.");
                return 1;
            };
            if name.is_empty()
                || name.len() > 64
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            {
                sh.errln(io, &format!("Invalid hostname '{name}'"));
                return 1;
            }
            sh.st.hostname = name.to_string();
            let _ = sh.st.fs.write(
                "/etc/hostname",
                format!("{name}\n").as_bytes(),
                false,
                0o644,
            );
            0
        }
        Some(other) => {
            sh.errln(io, &format!("Unknown command verb '{other}'."));
            1
        }
    }
}

fn uname(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let host = sh.st.hostname.clone();
    let fields = [
        ('s', "Linux".to_string()),
        ('n', host),
        ('r', KERNEL_RELEASE.to_string()),
        ('v', "#1 SMP".to_string()),
        ('m', "x86_64".to_string()),
        ('o', "GNU/Linux".to_string()),
    ];
    let mut wanted = String::new();
    for a in args {
        match a.as_str() {
            "-a" | "--all" => wanted.push_str("snrvmo"),
            "--kernel-name" => wanted.push('s'),
            "--nodename" => wanted.push('n'),
            "--kernel-release" => wanted.push('r'),
            "--machine" => wanted.push('m'),
            s if s.starts_with('-') && !s.starts_with("--") => {
                for c in s[1..].chars() {
                    match c {
                        'a' => wanted.push_str("snrvmo"),
                        'p' | 'i' => wanted.push('m'),
                        c if "snrvmo".contains(c) => wanted.push(c),
                        other => {
                            sh.errln(io, &format!("uname: invalid option -- '{other}'\nTry 'uname --help' for more information."));
                            return 1;
                        }
                    }
                }
            }
            other => {
                sh.errln(
                    io,
                    &format!(
                        "uname: extra operand '{other}'\nTry 'uname --help' for more information."
                    ),
                );
                return 1;
            }
        }
    }
    if wanted.is_empty() {
        wanted.push('s');
    }
    let parts: Vec<&str> = fields
        .iter()
        .filter(|(c, _)| wanted.contains(*c))
        .map(|(_, v)| v.as_str())
        .collect();
    sh.out(io, format!("{}\n", parts.join(" ")));
    0
}

fn logger(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let mut tag = sh.env.user.clone();
    let mut words = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "-t" | "--tag" => {
                if let Some(t) = args.get(i + 1) {
                    tag = t.clone();
                }
                i += 2;
                continue;
            }
            "-p" | "--priority" => {
                i += 2;
                continue;
            }
            s if s.starts_with('-') && words.is_empty() => {}
            s => words.push(s.to_string()),
        }
        i += 1;
    }
    let message = if words.is_empty() {
        String::from_utf8_lossy(&io.stdin.read_all())
            .trim_end()
            .to_string()
    } else {
        words.join(" ")
    };
    let pid = sh.env.pid;
    sh.st.log("", &tag, pid, &message);
    0
}

/// `sysctl NAME…`, `sysctl -n NAME`, `sysctl -w NAME=VALUE…`, `sysctl -p [FILE]`,
/// `sysctl --system`, as procps prints them (`net.ipv4.ip_forward = 1`).
fn sysctl(sh: &mut Shell, args: &[String], io: &Io) -> u32 {
    let mut values_only = false;
    let mut write = false;
    let mut load: Option<Option<String>> = None;
    let mut system = false;
    let mut names = Vec::new();
    let mut iter = args.iter().peekable();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "-n" | "--values" => values_only = true,
            "-w" | "--write" => write = true,
            "-q" | "--quiet" => {}
            "--system" => system = true,
            "-p" | "--load" => {
                let file = iter.next_if(|a| !a.starts_with('-')).cloned();
                load = Some(file);
            }
            other if other.starts_with("-p") => load = Some(Some(other[2..].to_string())),
            other if other.starts_with('-') => {
                sh.errln(
                    io,
                    &format!(
                        "sysctl: invalid option -- '{}'",
                        other.trim_start_matches('-')
                    ),
                );
                return 1;
            }
            other => names.push(other.to_string()),
        }
    }
    let print = |sh: &mut Shell, name: &str, value: &str| {
        if values_only {
            sh.out(io, format!("{value}\n"));
        } else {
            sh.out(io, format!("{name} = {value}\n"));
        }
    };
    if system || load.is_some() {
        let files = if system {
            let mut files: Vec<String> = sh
                .st
                .fs
                .children("/etc/sysctl.d")
                .into_iter()
                .filter(|(name, node)| !node.is_dir() && name.ends_with(".conf"))
                .map(|(name, _)| format!("/etc/sysctl.d/{name}"))
                .collect();
            files.sort();
            files.push(String::from("/etc/sysctl.conf"));
            files
        } else {
            vec![
                load.flatten()
                    .unwrap_or_else(|| String::from("/etc/sysctl.conf")),
            ]
        };
        let mut status = 0;
        for file in files {
            if system {
                sh.out(io, format!("* Applying {file} ...\n"));
            }
            match sh.st.sysctl_load(&file) {
                Ok(lines) => {
                    for line in lines {
                        sh.out(io, format!("{line}\n"));
                    }
                }
                Err(message) => {
                    // `--system` skips missing files; `-p FILE` does not.
                    if !system {
                        sh.errln(io, &message);
                        status = 255;
                    }
                }
            }
        }
        return status;
    }
    if names.is_empty() {
        sh.errln(
            io,
            "sysctl: no variables specified\nTry `sysctl --help' for more information.",
        );
        return 255;
    }
    let mut status = 0;
    for name in names {
        match name.split_once('=') {
            Some((key, value)) if write || !value.is_empty() => {
                let (key, value) = (key.trim(), value.trim());
                match sh.st.sysctl_set(key, value) {
                    Ok(()) => print(sh, key, value),
                    Err(message) => {
                        sh.errln(io, &message);
                        status = 255;
                    }
                }
            }
            _ => match sh.st.sysctl_get(&name) {
                Some(value) => print(sh, &name, &value),
                None => {
                    sh.errln(
                        io,
                        &format!(
                            "sysctl: cannot stat {}: No such file or directory",
                            super::state::LinuxState::sysctl_path(&name)
                        ),
                    );
                    status = 255;
                }
            },
        }
    }
    status
}
