//! Argument validators of the IOS commands the twin models in depth: they check what IOS
//! checks (VLAN ids 1–4094, addresses and masks, keywords after `switchport`…), fail with the
//! error IOS prints at the offending word, and rewrite the line into the form the running
//! configuration shows (`enable algorithm-type scrypt secret x` → `enable secret 9 $9$…`).
//!
//! Each validator is called with the cursor just past its keyword. When the line is the
//! argument of `no`, [`Cursor::neg_stop`] says the negation may stop early
//! (`no switchport access vlan`).

use super::ifname;
use super::parse::{Cursor, ParseError, mask_length, mask_of, parse_ipv4};
use super::secret;
use super::vlans;

/// Exactly one word (a name).
pub fn one_word(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    if c.neg_stop() {
        return Ok(());
    }
    c.word()?;
    c.finish()
}

/// One interface name (`logging source-interface Vlan99`).
pub fn interface_arg(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    if c.neg_stop() {
        return Ok(());
    }
    ifname::parse_interface(c)?;
    c.items.clear();
    c.finish()
}

/// `ip ssh version 1|2`.
pub fn ssh_version(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    if c.neg_stop() {
        return Ok(());
    }
    c.number(1, 2)?;
    c.finish()
}

/// One IPv4 address (`ip default-gateway 10.0.0.1`).
pub fn ipv4_only(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    if c.neg_stop() {
        return Ok(());
    }
    c.ipv4()?;
    c.finish()
}

/// `ip route [vrf V] PREFIX MASK NEXT-HOP|INTERFACE [distance] [name N] [tag T] [permanent]`.
pub fn ip_route(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    if c.try_keyword(&["vrf"]).is_some() {
        c.word()?;
    }
    if c.try_keyword(&["profile", "static"]).is_some() {
        c.rest_words();
        return Ok(());
    }
    c.ipv4()?;
    if c.neg_stop() {
        return Ok(());
    }
    mask(c)?;
    if c.neg_stop() {
        return Ok(());
    }
    match c.peek() {
        Some(token) if parse_ipv4(token.text).is_some() => {
            c.ipv4()?;
        }
        Some(_) => {
            ifname::parse_interface(c)?;
            c.items.clear();
            if let Some(token) = c.peek()
                && parse_ipv4(token.text).is_some()
            {
                c.ipv4()?;
            }
        }
        None => return Err(ParseError::Incomplete),
    }
    while !c.at_end() {
        if let Some(token) = c.peek()
            && token.text.chars().all(|ch| ch.is_ascii_digit())
        {
            c.number(1, 255)?;
            continue;
        }
        match c.keyword(&["name", "permanent", "tag", "track", "global", "multicast"])? {
            "name" | "tag" | "track" => {
                c.word()?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// A netmask: a dotted quad (contiguity is checked by the commands that care).
fn mask(c: &mut Cursor<'_>) -> Result<std::net::Ipv4Addr, ParseError> {
    c.ipv4()
}

/// `banner motd|login|exec|incoming <delimiter>text…`: the kind and the raw rest go to items.
pub fn banner(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    let kind = c.keyword(&[
        "exec",
        "incoming",
        "login",
        "motd",
        "prompt-timeout",
        "slip-ppp",
    ])?;
    if c.neg_stop() {
        c.items.push(kind.to_string());
        return Ok(());
    }
    let rest = c.rest_raw().ok_or(ParseError::Incomplete)?;
    // The text is not part of the line's words: the engine stores it as the banner body.
    c.words.pop();
    c.items.push(kind.to_string());
    c.items.push(rest);
    Ok(())
}

/// `class-map [match-any|match-all] NAME`, `policy-map [type T] NAME`.
pub fn class_map(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    if c.neg_stop() {
        return Ok(());
    }
    if c.try_keyword(&["type"]).is_some() {
        c.word()?;
    }
    c.try_keyword(&["match-all", "match-any"]);
    c.word()?;
    c.finish()
}

/// Split `[TYPE] SECRET` after `secret`/`password`: a leading 0/5/7/8/9 followed by more text
/// is the encryption type. Returns (type, value as typed).
fn typed_secret(
    c: &mut Cursor<'_>,
    types: &[&str],
) -> Result<(Option<String>, String), ParseError> {
    let first = c.peek().ok_or(ParseError::Incomplete)?;
    let has_more = c.tokens().len() > c.position() + 1;
    if has_more && types.contains(&first.text) {
        c.advance();
        let value = c.rest_raw().ok_or(ParseError::Incomplete)?;
        c.words.pop();
        return Ok((Some(first.text.to_string()), value));
    }
    let value = c.rest_raw().ok_or(ParseError::Incomplete)?;
    c.words.pop();
    Ok((None, value))
}

/// The stored form of a secret: clear text (or type 0) becomes a type 9 hash; an already
/// hashed secret is kept with its type.
fn stored_secret(kind: Option<String>, value: String) -> (String, String) {
    match kind.as_deref() {
        None | Some("0") => ("9".to_string(), secret::type9(&value)),
        Some(kind) => (kind.to_string(), value),
    }
}

/// `enable secret …`, `enable algorithm-type scrypt secret …`, `enable password …`.
pub fn enable(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    let what = c.keyword(&["algorithm-type", "password", "secret"])?;
    let what = if what == "algorithm-type" {
        c.keyword(&["md5", "scrypt", "sha256"])?;
        c.keyword(&["secret"])?
    } else {
        what
    };
    c.words.truncate(1);
    c.words.push(what.to_string());
    if c.neg_stop() {
        return Ok(());
    }
    if c.try_keyword(&["level"]).is_some() {
        c.number(1, 15)?;
    }
    if what == "secret" {
        let (kind, value) = typed_secret(c, &["0", "5", "8", "9"])?;
        let (kind, value) = stored_secret(kind, value);
        c.words.push(kind);
        c.words.push(value);
    } else {
        let (kind, value) = typed_secret(c, &["0", "7"])?;
        if let Some(kind) = kind.filter(|k| k != "0") {
            c.words.push(kind);
        }
        c.words.push(value);
    }
    Ok(())
}

/// `hostname NAME`: one word.
pub fn hostname(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    if c.neg_stop() {
        return Ok(());
    }
    c.word()?;
    c.finish()
}

/// `interface NAME` or `interface range LIST`: members go to items.
pub fn interface(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    if c.try_keyword(&["range"]).is_some() {
        ifname::parse_range(c)?;
        return Ok(());
    }
    ifname::parse_interface(c)?;
    c.finish()
}

/// `line con 0`, `line vty 0 15`, `line aux 0`; the header is stored as IOS shows it.
pub fn line(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    let kind = c.keyword(&["aux", "console", "vty"])?;
    if kind == "console"
        && let Some(last) = c.words.last_mut()
    {
        *last = "con".to_string();
    }
    let max = if kind == "vty" { 1869 } else { 0 };
    let first = c.number(0, max)?;
    if kind == "vty" && !c.at_end() {
        c.number(first, max)?;
    }
    c.finish()
}

/// `username NAME [privilege N] [algorithm-type T] secret|password S`; the secret is stored
/// hashed, as IOS shows it.
pub fn username(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    c.word()?;
    if c.neg_stop() {
        return Ok(());
    }
    while !c.at_end() {
        let option = c.keyword(&[
            "access-class",
            "algorithm-type",
            "autocommand",
            "nopassword",
            "one-time",
            "password",
            "privilege",
            "secret",
            "view",
        ])?;
        match option {
            "privilege" => {
                c.number(0, 15)?;
            }
            "algorithm-type" => {
                c.keyword(&["md5", "scrypt", "sha256"])?;
                // IOS shows the resulting hash type, not the algorithm chosen.
                c.words.truncate(c.words.len() - 2);
            }
            "access-class" | "view" => {
                c.word()?;
            }
            "autocommand" => {
                c.rest_raw().ok_or(ParseError::Incomplete)?;
            }
            "secret" => {
                let (kind, value) = typed_secret(c, &["0", "5", "8", "9"])?;
                let (kind, value) = stored_secret(kind, value);
                c.words.push(kind);
                c.words.push(value);
            }
            "password" => {
                let (kind, value) = typed_secret(c, &["0", "7"])?;
                c.words.push(kind.unwrap_or_else(|| "0".to_string()));
                c.words.push(value);
            }
            _ => {}
        }
    }
    Ok(())
}

/// `vlan 10`, `vlan 10,20-22` (ids to items), or `vlan internal allocation …` and friends.
pub fn vlan(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    if c.try_keyword(&[
        "access-map",
        "configuration",
        "dot1q",
        "filter",
        "group",
        "internal",
    ])
    .is_some()
    {
        if c.at_end() && !c.neg {
            return Err(ParseError::Incomplete);
        }
        c.rest_words();
        return Ok(());
    }
    let token = c.peek().ok_or(ParseError::Incomplete)?;
    let set = vlans::parse_list(token.text).ok_or(ParseError::Invalid { col: token.col })?;
    c.advance();
    c.words.push(vlans::format_list(&set));
    c.items.extend(set.iter().map(|id| id.to_string()));
    c.finish()
}

/// `name WORD` in a VLAN (at most 32 characters).
pub fn vlan_name(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    if c.neg_stop() {
        return Ok(());
    }
    let token = c.peek().ok_or(ParseError::Incomplete)?;
    if token.text.chars().count() > 32 {
        return Err(ParseError::Invalid { col: token.col });
    }
    c.word()?;
    c.finish()
}

/// `wlan PROFILE ID SSID`.
pub fn wlan(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    c.word()?;
    if c.neg_stop() {
        return Ok(());
    }
    c.number(1, 4096)?;
    if !c.at_end() {
        c.word()?;
    }
    c.finish()
}

/// `ip address A M [secondary]`, `ip address dhcp`, `ip address pool P`. A mask with holes,
/// or an address that is the subnet's network or broadcast address, puts IOS's `Bad mask`
/// message in items (IOS prints it and keeps the old address).
pub fn ip_address(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    if c.neg_stop() {
        return Ok(());
    }
    match c.try_keyword(&["dhcp", "negotiated", "pool"]) {
        Some("dhcp") => {
            c.rest_words();
            return Ok(());
        }
        Some("pool") => {
            c.word()?;
            return c.finish();
        }
        Some(_) => return c.finish(),
        None => {}
    }
    let address = c.ipv4()?;
    if c.neg_stop() {
        return Ok(());
    }
    let mask = mask(c)?;
    c.try_keyword(&["secondary"]);
    c.finish()?;
    if c.neg {
        return Ok(());
    }
    match mask_length(mask) {
        None => c.items.push(format!(
            "Bad mask 0x{:X} for address {address}",
            u32::from(mask)
        )),
        Some(len) if len <= 30 => {
            let bits = u32::from(address);
            let m = u32::from(mask_of(len));
            if bits & !m == 0 || bits & !m == !m {
                c.items
                    .push(format!("Bad mask /{len} for address {address}"));
            }
        }
        Some(_) => {}
    }
    Ok(())
}

/// `channel-group N mode active|passive|on|auto|desirable`; N goes to items.
pub fn channel_group(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    if c.neg_stop() {
        return Ok(());
    }
    let n = c.number(1, 128)?;
    if c.neg_stop() {
        return Ok(());
    }
    c.keyword(&["mode"])?;
    c.keyword(&["active", "auto", "desirable", "on", "passive"])?;
    c.finish()?;
    c.items.push(n.to_string());
    Ok(())
}

/// A MAC address in Cisco form (`0011.2233.4455`), normalised.
fn mac(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    let token = c.peek().ok_or(ParseError::Incomplete)?;
    let parts: Vec<&str> = token.text.split('.').collect();
    let ok = parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.chars().all(|ch| ch.is_ascii_hexdigit()));
    if !ok {
        return Err(ParseError::Invalid { col: token.col });
    }
    c.advance();
    c.words.push(
        parts
            .iter()
            .map(|p| format!("{:0>4}", p.to_ascii_lowercase()))
            .collect::<Vec<_>>()
            .join("."),
    );
    Ok(())
}

/// `mac-address H.H.H` on an interface.
pub fn mac_arg(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    if c.neg_stop() {
        return Ok(());
    }
    mac(c)?;
    c.finish()
}

/// `spanning-tree vlan LIST cost|port-priority N` on an interface.
pub fn stp_if_vlan(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    vlan_list_word(c)?;
    if c.neg_stop() {
        return Ok(());
    }
    match c.keyword(&["cost", "port-priority"])? {
        "cost" => c.number(1, 200_000_000)?,
        _ => c.number(0, 240)?,
    };
    c.finish()
}

/// A VLAN list word; pushes its compact form and returns it.
fn vlan_list_word(c: &mut Cursor<'_>) -> Result<String, ParseError> {
    let token = c.peek().ok_or(ParseError::Incomplete)?;
    let set = vlans::parse_list(token.text).ok_or(ParseError::Invalid { col: token.col })?;
    c.advance();
    let list = vlans::format_list(&set);
    c.words.push(list.clone());
    Ok(list)
}

/// `switchport …`: mode, access/voice VLAN, trunk allowed/native VLANs, port-security and
/// the rest. Effects beyond storing the line are left in items:
/// `["access", id]`, `["voice", id]`, `["allowed", op, list]`.
pub fn switchport(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    if c.at_end() {
        return Ok(());
    }
    let what = c.keyword(&[
        "access",
        "backup",
        "block",
        "host",
        "mode",
        "nonegotiate",
        "port-security",
        "priority",
        "private-vlan",
        "protected",
        "trunk",
        "voice",
    ])?;
    match what {
        "access" => {
            c.keyword(&["vlan"])?;
            if c.neg_stop() {
                return Ok(());
            }
            let id = c.number(1, 4094)?;
            c.items.push("access".to_string());
            c.items.push(id.to_string());
        }
        "voice" => {
            c.keyword(&["vlan"])?;
            if c.neg_stop() {
                return Ok(());
            }
            if c.try_keyword(&["dot1p", "none", "untagged"]).is_none() {
                let id = c.number(1, 4094)?;
                c.items.push("voice".to_string());
                c.items.push(id.to_string());
            }
        }
        "mode" => {
            if c.neg_stop() {
                return Ok(());
            }
            match c.keyword(&["access", "dot1q-tunnel", "dynamic", "private-vlan", "trunk"])? {
                "dynamic" => {
                    c.keyword(&["auto", "desirable"])?;
                }
                "private-vlan" => {
                    c.keyword(&["host", "promiscuous", "trunk"])?;
                }
                _ => {}
            }
        }
        "trunk" => match c.keyword(&["allowed", "encapsulation", "native", "pruning"])? {
            "allowed" => {
                c.keyword(&["vlan"])?;
                if c.neg_stop() {
                    return Ok(());
                }
                let op = c.try_keyword(&["add", "all", "except", "none", "remove"]);
                let list = match op {
                    Some("all") | Some("none") => String::new(),
                    _ => vlan_list_word(c)?,
                };
                c.items.push("allowed".to_string());
                c.items.push(op.unwrap_or("set").to_string());
                c.items.push(list);
            }
            "encapsulation" => {
                if c.neg_stop() {
                    return Ok(());
                }
                c.keyword(&["dot1q", "isl", "negotiate"])?;
            }
            "native" => {
                c.keyword(&["vlan"])?;
                if c.neg_stop() {
                    return Ok(());
                }
                if c.try_keyword(&["tag"]).is_none() {
                    c.number(1, 4094)?;
                }
            }
            _ => {
                if c.at_end() && !c.neg {
                    return Err(ParseError::Incomplete);
                }
                c.rest_words();
            }
        },
        "port-security" => {
            if c.at_end() {
                return Ok(());
            }
            match c.keyword(&["aging", "mac-address", "maximum", "violation"])? {
                "maximum" => {
                    if c.neg_stop() {
                        return Ok(());
                    }
                    c.number(1, 4097)?;
                    if c.try_keyword(&["vlan"]).is_some() {
                        c.opt_keyword(&["access", "voice"])?;
                    }
                }
                "violation" => {
                    if c.neg_stop() {
                        return Ok(());
                    }
                    c.keyword(&["protect", "restrict", "shutdown"])?;
                }
                "mac-address" => {
                    if c.neg_stop() {
                        return Ok(());
                    }
                    let sticky = c.try_keyword(&["sticky"]).is_some();
                    if !(sticky && c.at_end()) {
                        mac(c)?;
                    }
                    if c.try_keyword(&["vlan"]).is_some() {
                        c.keyword(&["access", "voice"])?;
                    }
                }
                _ => {
                    if c.neg_stop() {
                        return Ok(());
                    }
                    match c.keyword(&["static", "time", "type"])? {
                        "time" => {
                            c.number(0, 1440)?;
                        }
                        "type" => {
                            c.keyword(&["absolute", "inactivity"])?;
                        }
                        _ => {}
                    }
                }
            }
        }
        "block" => {
            if c.neg_stop() {
                return Ok(());
            }
            c.keyword(&["multicast", "unicast"])?;
        }
        "backup" | "priority" | "private-vlan" => {
            if c.at_end() && !c.neg {
                return Err(ParseError::Incomplete);
            }
            c.rest_words();
        }
        _ => {}
    }
    c.finish()
}

/// `exec-timeout MINUTES [SECONDS]`.
pub fn exec_timeout(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    if c.neg_stop() {
        return Ok(());
    }
    c.number(0, 35_791)?;
    if !c.at_end() {
        c.number(0, 2_147_483)?;
    }
    c.finish()
}

/// `transport input|output|preferred ssh telnet …`.
pub fn transport(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    if c.neg_stop() {
        return Ok(());
    }
    const PROTOCOLS: &[&str] = &[
        "all", "lapb-ta", "lat", "mop", "none", "pad", "rlogin", "ssh", "telnet", "udptn", "v120",
    ];
    c.keyword(PROTOCOLS)?;
    while !c.at_end() {
        c.keyword(PROTOCOLS)?;
    }
    Ok(())
}

/// IOS aligns `deny` with `permit` in access lists (`deny   any`).
fn pad_action(c: &mut Cursor<'_>) {
    if let Some(last) = c.words.last_mut()
        && last == "deny"
    {
        *last = "deny  ".to_string();
    }
}

/// An address spec of a standard list: `any`, `host A`, `A [WILDCARD]`.
fn std_address(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    let token = c.peek().ok_or(ParseError::Incomplete)?;
    if parse_ipv4(token.text).is_some() {
        c.ipv4()?;
        if let Some(next) = c.peek()
            && parse_ipv4(next.text).is_some()
        {
            c.ipv4()?;
        }
        return Ok(());
    }
    if c.keyword(&["any", "host"])? == "host" {
        c.ipv4()?;
    }
    Ok(())
}

/// `permit|deny any|host A|A W [log]` in a standard list.
pub fn acl_standard(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    pad_action(c);
    if c.neg_stop() {
        return Ok(());
    }
    std_address(c)?;
    c.opt_keyword(&["log"])?;
    c.finish()
}

/// An address spec of an extended list: `any`, `host A`, `A WILDCARD`, `object-group N`.
fn ext_address(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    let token = c.peek().ok_or(ParseError::Incomplete)?;
    if parse_ipv4(token.text).is_some() {
        c.ipv4()?;
        c.ipv4()?;
        return Ok(());
    }
    match c.keyword(&["any", "host", "object-group"])? {
        "host" => {
            c.ipv4()?;
        }
        "object-group" => {
            c.word()?;
        }
        _ => {}
    }
    Ok(())
}

/// A port match after a TCP/UDP address: `eq|neq|lt|gt P`, `range P1 P2`.
fn port_match(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    match c.try_keyword(&["eq", "gt", "lt", "neq", "range"]) {
        Some("range") => {
            c.word()?;
            c.word()?;
        }
        Some(_) => {
            c.word()?;
        }
        None => {}
    }
    Ok(())
}

/// `permit|deny PROTOCOL SRC [PORT] DST [PORT] [options]` in an extended list.
pub fn acl_extended(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    pad_action(c);
    if c.neg_stop() {
        return Ok(());
    }
    let token = c.peek().ok_or(ParseError::Incomplete)?;
    let ports = if token.text.chars().all(|ch| ch.is_ascii_digit()) {
        c.number(0, 255)?;
        false
    } else {
        let protocol = c.keyword(&[
            "ahp",
            "eigrp",
            "esp",
            "gre",
            "icmp",
            "igmp",
            "ip",
            "ipinip",
            "nos",
            "object-group",
            "ospf",
            "pcp",
            "pim",
            "sctp",
            "tcp",
            "udp",
        ])?;
        if protocol == "object-group" {
            c.word()?;
        }
        matches!(protocol, "tcp" | "udp" | "sctp")
    };
    ext_address(c)?;
    if ports {
        port_match(c)?;
    }
    ext_address(c)?;
    if ports {
        port_match(c)?;
    }
    c.rest_words();
    Ok(())
}
