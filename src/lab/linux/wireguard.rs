//! WireGuard as the twin models it: the kernel side (an interface with its private key,
//! port and *loaded* peers), the wg(8) configuration format with the real tool's parser
//! rules and error messages, wg-quick's extra keys and `strip`, and the text of `wg show`,
//! `wg showconf` and friends. The file on disk and the loaded peers are deliberately
//! separate: only `wg setconf/syncconf/addconf/set` or a (re)start change what is loaded.

use super::crypto::{key_from_base64, key_to_base64, public_key};
use ipnetwork::IpNetwork;
use std::fmt::Write as _;
use std::net::IpAddr;

/// One peer as loaded in a running WireGuard interface (what `wg show` reports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerInfo {
    /// Base64 public key.
    pub public_key: String,
    /// Allowed IPs as `wg show` prints them (`10.10.200.10/32`), host bits masked.
    pub allowed_ips: Vec<String>,
    /// A preshared key is set.
    pub preshared: bool,
    /// The endpoint (`203.0.113.7:51820`), when one is configured.
    pub endpoint: Option<String>,
    /// Persistent keepalive interval in seconds, when on.
    pub persistent_keepalive: Option<u16>,
}

/// A peer in the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Peer {
    pub public_key: [u8; 32],
    pub preshared: Option<[u8; 32]>,
    pub endpoint: Option<String>,
    pub allowed_ips: Vec<IpNetwork>,
    pub keepalive: u16,
}

impl Peer {
    fn new(public_key: [u8; 32]) -> Peer {
        Peer {
            public_key,
            preshared: None,
            endpoint: None,
            allowed_ips: Vec::new(),
            keepalive: 0,
        }
    }

    pub fn info(&self) -> PeerInfo {
        PeerInfo {
            public_key: key_to_base64(&self.public_key),
            allowed_ips: self.allowed_ips.iter().map(ToString::to_string).collect(),
            preshared: self.preshared.is_some(),
            endpoint: self.endpoint.clone(),
            persistent_keepalive: (self.keepalive != 0).then_some(self.keepalive),
        }
    }
}

/// A WireGuard interface in the kernel, as `wg-quick up` leaves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WgDevice {
    pub name: String,
    pub ifindex: u32,
    pub private_key: Option<[u8; 32]>,
    pub listen_port: u16,
    pub fwmark: u32,
    pub peers: Vec<Peer>,
    /// Addresses wg-quick assigned (`ip address add`), as written (`10.10.200.1/24`).
    pub addresses: Vec<String>,
    pub mtu: u32,
    /// Which creation of an interface this is: a restart makes a new one, a syncconf not.
    pub epoch: u64,
}

/// A peer section of a configuration (or a `wg set … peer` clause).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ConfPeer {
    pub public_key: Option<[u8; 32]>,
    pub preshared: Option<[u8; 32]>,
    pub endpoint: Option<String>,
    /// (network, remove) pairs; `replace_allowed` says whether they replace the old set.
    pub allowed_ips: Vec<(IpNetwork, bool)>,
    pub replace_allowed: bool,
    pub keepalive: Option<u16>,
    pub remove: bool,
}

/// What a wg(8) configuration (file or `wg set` arguments) says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct WgConf {
    pub private_key: Option<[u8; 32]>,
    pub listen_port: Option<u16>,
    pub fwmark: Option<u32>,
    pub peers: Vec<ConfPeer>,
}

/// A parse failure: what the real tool prints on stderr, line by line.
pub(crate) type ConfError = String;

fn parse_port(value: &str) -> Result<u16, ConfError> {
    if value.is_empty() {
        return Err("Unable to parse empty port".into());
    }
    value
        .parse::<u16>()
        .map_err(|_| format!("Servname not supported for ai_socktype: `{value}'"))
}

fn parse_fwmark(value: &str) -> Result<u32, ConfError> {
    let err = || format!("Fwmark is neither 0/off nor 0-0xffffffff: `{value}'");
    if value.eq_ignore_ascii_case("off") {
        return Ok(0);
    }
    if !value.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(err());
    }
    let parsed = match value.strip_prefix("0x") {
        Some(hex) if !hex.is_empty() => u32::from_str_radix(hex, 16),
        _ => value.parse::<u32>(),
    };
    parsed.map_err(|_| err())
}

pub(crate) fn parse_key(value: &str) -> Result<[u8; 32], ConfError> {
    key_from_base64(value)
        .ok_or_else(|| format!("Key is not the correct length or format: `{value}'"))
}

fn parse_keepalive(value: &str) -> Result<u16, ConfError> {
    if value.eq_ignore_ascii_case("off") {
        return Ok(0);
    }
    if value.starts_with(|c: char| c.is_ascii_digit())
        && let Ok(n) = value.parse::<u16>()
    {
        return Ok(n);
    }
    Err(format!(
        "Persistent keepalive interval is neither 0/off nor 1-65535: `{value}'"
    ))
}

fn valid_hostname(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
        })
}

/// An endpoint `host:port` or `[v6]:port`. The twin resolves no names: a syntactically
/// valid host name is kept as written.
fn parse_endpoint(value: &str) -> Result<String, ConfError> {
    if value.is_empty() {
        return Err("Unable to parse empty endpoint".into());
    }
    let no_port = || format!("Unable to find port of endpoint: `{value}'");
    let (host, port) = if let Some(rest) = value.strip_prefix('[') {
        let Some(close) = rest.find(']') else {
            return Err(format!(
                "Unable to find matching brace of endpoint: `{value}'"
            ));
        };
        let host = &rest[..close];
        let after = &rest[close + 1..];
        match after.strip_prefix(':') {
            Some(port) if !port.is_empty() => (host, port),
            _ => return Err(no_port()),
        }
    } else {
        match value.rfind(':') {
            Some(i) if i + 1 < value.len() => (&value[..i], &value[i + 1..]),
            _ => return Err(no_port()),
        }
    };
    let unknown = || format!("Name or service not known: `{value}'");
    let port: u16 = port
        .parse()
        .map_err(|_| format!("Servname not supported for ai_socktype: `{value}'"))?;
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => Ok(format!("[{v6}]:{port}")),
        Ok(IpAddr::V4(v4)) => Ok(format!("{v4}:{port}")),
        Err(_) if valid_hostname(host) => Ok(format!("{host}:{port}")),
        Err(_) => Err(unknown()),
    }
}

/// A comma-separated AllowedIPs list (whitespace already removed), with wg's `+`/`-`
/// incremental prefixes. Returns the entries and whether they replace the old set, plus
/// warnings (host bits set).
fn parse_allowed_ips(
    value: &str,
    warnings: &mut Vec<String>,
) -> Result<(Vec<(IpNetwork, bool)>, bool), ConfError> {
    let mut entries = Vec::new();
    let mut replace = true;
    if value.is_empty() {
        return Ok((entries, replace));
    }
    for raw in value.split(',') {
        let (entry, remove) = match raw.as_bytes().first() {
            Some(b'-') => {
                replace = false;
                (&raw[1..], true)
            }
            Some(b'+') => {
                replace = false;
                (&raw[1..], false)
            }
            _ => (raw, false),
        };
        let (ip_text, mask) = match entry.split_once('/') {
            Some((ip, mask)) => (ip, Some(mask)),
            None => (entry, None),
        };
        let ip: IpAddr = if ip_text.contains(':') {
            ip_text.parse::<std::net::Ipv6Addr>().map(IpAddr::V6)
        } else {
            ip_text.parse::<std::net::Ipv4Addr>().map(IpAddr::V4)
        }
        .map_err(|_| format!("Unable to parse IP address: `{ip_text}'"))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let cidr = match mask {
            Some(m) => {
                if !m.starts_with(|c: char| c.is_ascii_digit()) {
                    return Err(format!("AllowedIP is not in the correct format: `{entry}'"));
                }
                match m.parse::<u8>() {
                    Ok(c) if c <= max => c,
                    _ => {
                        return Err(format!("AllowedIP is not in the correct format: `{entry}'"));
                    }
                }
            }
            None => max,
        };
        let net = IpNetwork::new(ip, cidr)
            .map_err(|_| format!("AllowedIP is not in the correct format: `{entry}'"))?;
        let masked = IpNetwork::new(net.network(), cidr).unwrap_or(net);
        if masked.ip() != ip {
            warnings.push(format!(
                "Warning: AllowedIP has nonzero host part: {ip_text}/{}",
                mask.unwrap_or("")
            ));
        }
        entries.push((masked, remove));
    }
    Ok((entries, replace))
}

#[derive(PartialEq)]
enum Section {
    None,
    Interface,
    Peer,
}

/// Parse a wg(8) configuration (what `wg setconf/syncconf/addconf` read): whitespace is
/// removed from every line, `#` starts a comment, keys are case-insensitive. wg-quick's
/// keys (Address, DNS…) are *not* accepted here, as with the real tool. On error, the
/// stderr text (ending with `Configuration parsing error` or `Invalid configuration`).
/// On success, the configuration and any warnings.
pub(crate) fn parse_conf(text: &str) -> Result<(WgConf, Vec<String>), ConfError> {
    let mut conf = WgConf::default();
    let mut warnings = Vec::new();
    let mut section = Section::None;
    for raw in text.split('\n') {
        let uncommented = raw.split('#').next().unwrap_or("");
        let line: String = uncommented
            .chars()
            .filter(|c| !matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c'))
            .collect();
        if line.is_empty() {
            continue;
        }
        if let Err(msg) = conf_line(&mut conf, &mut section, &line, &mut warnings) {
            return Err(format!("{msg}\nConfiguration parsing error\n"));
        }
    }
    if conf.peers.iter().any(|p| p.public_key.is_none()) {
        return Err("A peer is missing a public key\nInvalid configuration\n".into());
    }
    Ok((conf, warnings))
}

/// The value after `key=` when the line starts with it (case-insensitively) and the value
/// is not empty (wg's `get_value`).
fn value_of<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let name = line.get(..key.len())?;
    let value = line.get(key.len()..)?.strip_prefix('=')?;
    (name.eq_ignore_ascii_case(key) && !value.is_empty()).then_some(value)
}

fn conf_line(
    conf: &mut WgConf,
    section: &mut Section,
    line: &str,
    warnings: &mut Vec<String>,
) -> Result<(), ConfError> {
    if line.eq_ignore_ascii_case("[Interface]") {
        *section = Section::Interface;
        return Ok(());
    }
    if line.eq_ignore_ascii_case("[Peer]") {
        *section = Section::Peer;
        conf.peers.push(ConfPeer {
            replace_allowed: true,
            ..ConfPeer::default()
        });
        return Ok(());
    }
    let unrecognized = || format!("Line unrecognized: `{line}'");
    match section {
        Section::Interface => {
            if let Some(v) = value_of(line, "ListenPort") {
                conf.listen_port = Some(parse_port(v)?);
            } else if let Some(v) = value_of(line, "FwMark") {
                conf.fwmark = Some(parse_fwmark(v)?);
            } else if let Some(v) = value_of(line, "PrivateKey") {
                conf.private_key = Some(parse_key(v)?);
            } else {
                return Err(unrecognized());
            }
        }
        Section::Peer => {
            let Some(peer) = conf.peers.last_mut() else {
                return Err(unrecognized());
            };
            if let Some(v) = value_of(line, "Endpoint") {
                peer.endpoint = Some(parse_endpoint(v)?);
            } else if let Some(v) = value_of(line, "PublicKey") {
                peer.public_key = Some(parse_key(v)?);
            } else if let Some(v) = value_of(line, "AllowedIPs") {
                let (entries, replace) = parse_allowed_ips(v, warnings)?;
                peer.allowed_ips.extend(entries);
                peer.replace_allowed &= replace;
            } else if let Some(v) = value_of(line, "PersistentKeepalive") {
                peer.keepalive = Some(parse_keepalive(v)?);
            } else if let Some(v) = value_of(line, "PresharedKey") {
                peer.preshared = Some(parse_key(v)?);
            } else {
                return Err(unrecognized());
            }
        }
        Section::None => return Err(unrecognized()),
    }
    Ok(())
}

/// A `wg set` argument list (after the interface name), as wg's `config_read_cmd` reads
/// it. Key files are read by the caller through `read_key`, which returns the key (or
/// `None` for an empty file, meaning "remove") or the error text.
pub(crate) fn parse_set_args(
    args: &[String],
    mut read_key: impl FnMut(&str) -> Result<Option<[u8; 32]>, ConfError>,
) -> Result<(WgConf, bool, Vec<String>), ConfError> {
    let mut conf = WgConf::default();
    let mut clear_private = false;
    let mut warnings = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        let next = args.get(i + 1).map(String::as_str);
        let in_peer = !conf.peers.is_empty();
        match (arg, next) {
            ("listen-port", Some(v)) if !in_peer => conf.listen_port = Some(parse_port(v)?),
            ("fwmark", Some(v)) if !in_peer => conf.fwmark = Some(parse_fwmark(v)?),
            ("private-key", Some(path)) if !in_peer => match read_key(path)? {
                Some(key) => conf.private_key = Some(key),
                None => clear_private = true,
            },
            ("peer", Some(key)) => conf.peers.push(ConfPeer {
                public_key: Some(parse_key(key)?),
                ..ConfPeer::default()
            }),
            ("remove", _) if in_peer => {
                if let Some(p) = conf.peers.last_mut() {
                    p.remove = true;
                }
                i += 1;
                continue;
            }
            ("endpoint", Some(v)) if in_peer => {
                let endpoint = parse_endpoint(v)?;
                if let Some(p) = conf.peers.last_mut() {
                    p.endpoint = Some(endpoint);
                }
            }
            ("allowed-ips", Some(v)) if in_peer => {
                let cleaned: String = v.chars().filter(|c| !c.is_whitespace()).collect();
                let (entries, replace) = parse_allowed_ips(&cleaned, &mut warnings)?;
                if let Some(p) = conf.peers.last_mut() {
                    p.allowed_ips = entries;
                    p.replace_allowed = replace;
                }
            }
            ("persistent-keepalive", Some(v)) if in_peer => {
                let keepalive = parse_keepalive(v)?;
                if let Some(p) = conf.peers.last_mut() {
                    p.keepalive = Some(keepalive);
                }
            }
            ("preshared-key", Some(path)) if in_peer => {
                let key = read_key(path)?;
                if let Some(p) = conf.peers.last_mut() {
                    // An empty key file removes the preshared key, as with the real tool.
                    p.preshared = Some(key.unwrap_or([0; 32]));
                }
            }
            _ => return Err(format!("Invalid argument: {arg}")),
        }
        i += 2;
    }
    Ok((conf, clear_private, warnings))
}

fn update_peer(peer: &mut Peer, conf: &ConfPeer) {
    if let Some(psk) = conf.preshared {
        peer.preshared = (psk != [0; 32]).then_some(psk);
    }
    if let Some(endpoint) = &conf.endpoint {
        peer.endpoint = Some(endpoint.clone());
    }
    if let Some(k) = conf.keepalive {
        peer.keepalive = k;
    }
    if conf.replace_allowed {
        peer.allowed_ips.clear();
    }
    for (net, remove) in &conf.allowed_ips {
        if *remove {
            peer.allowed_ips.retain(|n| n != net);
        } else if !peer.allowed_ips.contains(net) {
            peer.allowed_ips.push(*net);
        }
    }
}

fn apply_interface(dev: &mut WgDevice, conf: &WgConf) {
    if let Some(key) = conf.private_key {
        dev.private_key = Some(key);
    }
    if let Some(port) = conf.listen_port {
        dev.listen_port = port;
    }
    if let Some(mark) = conf.fwmark {
        dev.fwmark = mark;
    }
}

/// What `setconf` and `syncconf` do to the interface itself: the file is the whole
/// truth, so a missing PrivateKey removes the key, a missing ListenPort lets the kernel
/// pick a random port (`random_port`), a missing FwMark turns it off — as with the real
/// tool, which catches drivers that push a partial configuration.
fn replace_interface(dev: &mut WgDevice, conf: &WgConf, random_port: u16) {
    dev.private_key = conf.private_key;
    dev.listen_port = conf.listen_port.filter(|p| *p != 0).unwrap_or(random_port);
    dev.fwmark = conf.fwmark.unwrap_or(0);
}

/// `wg setconf`: the interface becomes exactly the configuration (peers re-created).
pub(crate) fn setconf(dev: &mut WgDevice, conf: &WgConf, random_port: u16) {
    replace_interface(dev, conf, random_port);
    dev.peers.clear();
    add_peers(dev, conf);
}

/// `wg addconf` / `wg set`: add or update the peers named, leave the others alone.
pub(crate) fn addconf(dev: &mut WgDevice, conf: &WgConf) {
    apply_interface(dev, conf);
    add_peers(dev, conf);
}

fn add_peers(dev: &mut WgDevice, conf: &WgConf) {
    for cp in &conf.peers {
        let Some(key) = cp.public_key else { continue };
        if cp.remove {
            dev.peers.retain(|p| p.public_key != key);
            continue;
        }
        match dev.peers.iter_mut().find(|p| p.public_key == key) {
            Some(peer) => update_peer(peer, cp),
            None => {
                let mut peer = Peer::new(key);
                update_peer(&mut peer, cp);
                dev.peers.push(peer);
            }
        }
    }
}

/// `wg syncconf`: peers absent from the configuration are removed, the others updated in
/// place (their sessions survive), new ones added. Keepalive and preshared key follow the
/// file exactly, so a key removed from the file is removed from the peer.
pub(crate) fn syncconf(dev: &mut WgDevice, conf: &WgConf, random_port: u16) {
    replace_interface(dev, conf, random_port);
    dev.peers.retain(|p| {
        conf.peers
            .iter()
            .any(|c| c.public_key == Some(p.public_key))
    });
    let mut exact = conf.clone();
    for cp in &mut exact.peers {
        cp.preshared = Some(cp.preshared.unwrap_or([0; 32]));
        cp.keepalive = Some(cp.keepalive.unwrap_or(0));
    }
    add_peers(dev, &exact);
}

/// Keys of the `[Interface]` section that belong to wg-quick, not to wg(8).
const WG_QUICK_KEYS: [&str; 9] = [
    "address",
    "mtu",
    "dns",
    "table",
    "preup",
    "predown",
    "postup",
    "postdown",
    "saveconfig",
];

/// A wg-quick configuration file split in two: wg-quick's own settings and the rest (what
/// `wg-quick strip` prints and what `wg setconf` gets).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct QuickConf {
    pub addresses: Vec<String>,
    pub dns: Vec<String>,
    pub mtu: Option<String>,
    pub table: Option<String>,
    /// (hook name, command), in file order.
    pub hooks: Vec<(String, String)>,
    pub save_config: bool,
    /// The configuration without wg-quick's keys, one trimmed line each.
    pub stripped: String,
}

/// Split a wg-quick file as wg-quick's `parse_options` does (lines are read with `read -r`,
/// so leading and trailing blanks go; comments stay in the stripped text).
pub(crate) fn parse_quick(text: &str) -> QuickConf {
    let mut quick = QuickConf::default();
    let mut in_interface = false;
    let mut lines: Vec<&str> = text.split('\n').collect();
    if lines.last() == Some(&"") {
        lines.pop();
    }
    for raw in lines {
        let line = raw.trim_matches([' ', '\t']);
        let stripped = line.split('#').next().unwrap_or("");
        let key = stripped.split('=').next().unwrap_or("").trim();
        let value = stripped
            .split_once('=')
            .map(|(_, v)| v.trim())
            .unwrap_or(stripped.trim());
        if key.starts_with('[') {
            in_interface = key.eq_ignore_ascii_case("[interface]");
        }
        if in_interface {
            let lower = key.to_ascii_lowercase();
            if WG_QUICK_KEYS.contains(&lower.as_str()) {
                match lower.as_str() {
                    "address" => quick.addresses.extend(
                        value
                            .split(',')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(String::from),
                    ),
                    "dns" => quick.dns.extend(
                        value
                            .split(',')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(String::from),
                    ),
                    "mtu" => quick.mtu = Some(value.to_string()),
                    "table" => quick.table = Some(value.to_string()),
                    "saveconfig" => quick.save_config = value == "true",
                    _ => quick.hooks.push((key.to_string(), value.to_string())),
                }
                continue;
            }
        }
        quick.stripped.push_str(line);
        quick.stripped.push('\n');
    }
    quick
}

/// `wg show IFACE` in the real tool's layout (without colours).
pub(crate) fn render_show(dev: &WgDevice) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "interface: {}", dev.name);
    if let Some(key) = &dev.private_key {
        let _ = writeln!(out, "  public key: {}", key_to_base64(&public_key(key)));
        let _ = writeln!(out, "  private key: (hidden)");
    }
    if dev.listen_port != 0 {
        let _ = writeln!(out, "  listening port: {}", dev.listen_port);
    }
    if dev.fwmark != 0 {
        let _ = writeln!(out, "  fwmark: 0x{:x}", dev.fwmark);
    }
    for peer in &dev.peers {
        let _ = writeln!(out);
        let _ = writeln!(out, "peer: {}", key_to_base64(&peer.public_key));
        if peer.preshared.is_some() {
            let _ = writeln!(out, "  preshared key: (hidden)");
        }
        if let Some(endpoint) = &peer.endpoint {
            let _ = writeln!(out, "  endpoint: {endpoint}");
        }
        let ips = if peer.allowed_ips.is_empty() {
            "(none)".to_string()
        } else {
            peer.allowed_ips
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(out, "  allowed ips: {ips}");
        if peer.keepalive != 0 {
            let _ = writeln!(
                out,
                "  persistent keepalive: every {} seconds",
                peer.keepalive
            );
        }
    }
    out
}

/// `wg showconf IFACE`.
pub(crate) fn render_showconf(dev: &WgDevice) -> String {
    let mut out = String::from("[Interface]\n");
    if dev.listen_port != 0 {
        let _ = writeln!(out, "ListenPort = {}", dev.listen_port);
    }
    if dev.fwmark != 0 {
        let _ = writeln!(out, "FwMark = 0x{:x}", dev.fwmark);
    }
    if let Some(key) = &dev.private_key {
        let _ = writeln!(out, "PrivateKey = {}", key_to_base64(key));
    }
    for peer in &dev.peers {
        let _ = writeln!(out, "\n[Peer]");
        let _ = writeln!(out, "PublicKey = {}", key_to_base64(&peer.public_key));
        if let Some(psk) = &peer.preshared {
            let _ = writeln!(out, "PresharedKey = {}", key_to_base64(psk));
        }
        if !peer.allowed_ips.is_empty() {
            let ips: Vec<String> = peer.allowed_ips.iter().map(ToString::to_string).collect();
            let _ = writeln!(out, "AllowedIPs = {}", ips.join(", "));
        }
        if let Some(endpoint) = &peer.endpoint {
            let _ = writeln!(out, "Endpoint = {endpoint}");
        }
        if peer.keepalive != 0 {
            let _ = writeln!(out, "PersistentKeepalive = {}", peer.keepalive);
        }
    }
    out
}

/// `wg show IFACE FIELD` (the machine-readable forms); `prefix` is `"wg0\t"` for
/// `wg show all FIELD`. `None` for an unknown field.
pub(crate) fn render_field(dev: &WgDevice, field: &str, prefix: &str) -> Option<String> {
    let mut out = String::new();
    let key_or_none = |k: &Option<[u8; 32]>| k.as_ref().map_or("(none)".to_string(), key_to_base64);
    match field {
        "public-key" => {
            let _ = writeln!(
                out,
                "{prefix}{}",
                dev.private_key
                    .as_ref()
                    .map_or("(none)".to_string(), |k| key_to_base64(&public_key(k)))
            );
        }
        "private-key" => {
            let _ = writeln!(out, "{prefix}{}", key_or_none(&dev.private_key));
        }
        "listen-port" => {
            let _ = writeln!(out, "{prefix}{}", dev.listen_port);
        }
        "fwmark" => {
            if dev.fwmark == 0 {
                let _ = writeln!(out, "{prefix}off");
            } else {
                let _ = writeln!(out, "{prefix}0x{:x}", dev.fwmark);
            }
        }
        "peers" => {
            for p in &dev.peers {
                let _ = writeln!(out, "{prefix}{}", key_to_base64(&p.public_key));
            }
        }
        "preshared-keys" => {
            for p in &dev.peers {
                let _ = writeln!(
                    out,
                    "{prefix}{}\t{}",
                    key_to_base64(&p.public_key),
                    key_or_none(&p.preshared)
                );
            }
        }
        "endpoints" => {
            for p in &dev.peers {
                let _ = writeln!(
                    out,
                    "{prefix}{}\t{}",
                    key_to_base64(&p.public_key),
                    p.endpoint.as_deref().unwrap_or("(none)")
                );
            }
        }
        "allowed-ips" => {
            for p in &dev.peers {
                let ips = if p.allowed_ips.is_empty() {
                    "(none)".to_string()
                } else {
                    p.allowed_ips
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                let _ = writeln!(out, "{prefix}{}\t{ips}", key_to_base64(&p.public_key));
            }
        }
        "latest-handshakes" => {
            for p in &dev.peers {
                let _ = writeln!(out, "{prefix}{}\t0", key_to_base64(&p.public_key));
            }
        }
        "transfer" => {
            for p in &dev.peers {
                let _ = writeln!(out, "{prefix}{}\t0\t0", key_to_base64(&p.public_key));
            }
        }
        "persistent-keepalive" => {
            for p in &dev.peers {
                let k = if p.keepalive == 0 {
                    "off".to_string()
                } else {
                    p.keepalive.to_string()
                };
                let _ = writeln!(out, "{prefix}{}\t{k}", key_to_base64(&p.public_key));
            }
        }
        "dump" => {
            let fwmark = if dev.fwmark == 0 {
                "off".to_string()
            } else {
                format!("0x{:x}", dev.fwmark)
            };
            let _ = writeln!(
                out,
                "{prefix}{}\t{}\t{}\t{fwmark}",
                key_or_none(&dev.private_key),
                dev.private_key
                    .as_ref()
                    .map_or("(none)".to_string(), |k| key_to_base64(&public_key(k))),
                dev.listen_port
            );
            for p in &dev.peers {
                let ips = if p.allowed_ips.is_empty() {
                    "(none)".to_string()
                } else {
                    p.allowed_ips
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                };
                let k = if p.keepalive == 0 {
                    "off".to_string()
                } else {
                    p.keepalive.to_string()
                };
                let _ = writeln!(
                    out,
                    "{prefix}{}\t{}\t{}\t{ips}\t0\t0\t0\t{k}",
                    key_to_base64(&p.public_key),
                    key_or_none(&p.preshared),
                    p.endpoint.as_deref().unwrap_or("(none)")
                );
            }
        }
        _ => return None,
    }
    Some(out)
}

/// Validate an address wg-quick would add with `ip address add`.
pub(crate) fn check_address(address: &str) -> Result<(), String> {
    if address.parse::<IpNetwork>().is_ok() || address.parse::<IpAddr>().is_ok() {
        Ok(())
    } else {
        Err(format!(
            "Error: any valid prefix is expected rather than \"{address}\"."
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::linux::crypto::derive_private_key;

    fn key(n: u64) -> String {
        key_to_base64(&derive_private_key("t", n))
    }

    #[test]
    fn parses_a_full_config_with_comments_and_odd_spacing() {
        let text = format!(
            "# managed\n[Interface]\nPrivateKey = {}\nListenPort=51820\n\n[Peer]\n  PublicKey = {} # alice\nPresharedKey = {}\nAllowedIPs = 10.10.200.10/32, fd00::10\nEndpoint = 203.0.113.7:51820\nPersistentKeepalive = 25\n",
            key(1),
            key(2),
            key(3)
        );
        let (conf, warnings) = parse_conf(&text).unwrap();
        assert!(warnings.is_empty());
        assert_eq!(conf.listen_port, Some(51820));
        let peer = &conf.peers[0];
        assert_eq!(peer.allowed_ips.len(), 2);
        assert_eq!(peer.allowed_ips[1].0.to_string(), "fd00::10/128");
        assert_eq!(peer.endpoint.as_deref(), Some("203.0.113.7:51820"));
        assert_eq!(peer.keepalive, Some(25));
    }

    #[test]
    fn errors_match_the_real_tool() {
        for (text, want) in [
            (
                "[Interface]\nAddress = 10.0.0.1/24\n",
                "Line unrecognized: `Address=10.0.0.1/24'\nConfiguration parsing error\n",
            ),
            (
                "PrivateKey = x\n",
                "Line unrecognized: `PrivateKey=x'\nConfiguration parsing error\n",
            ),
            (
                "[Peer]\nPublicKey = abc\n",
                "Key is not the correct length or format: `abc'\nConfiguration parsing error\n",
            ),
            (
                "[Peer]\nAllowedIPs = 10.0.0.300/32\n",
                "Unable to parse IP address: `10.0.0.300'\nConfiguration parsing error\n",
            ),
            (
                "[Peer]\nAllowedIPs = 10.0.0.1/33\n",
                "AllowedIP is not in the correct format: `10.0.0.1/33'\nConfiguration parsing error\n",
            ),
            (
                "[Peer]\nAllowedIPs = 10.0.0.1/32\n",
                "A peer is missing a public key\nInvalid configuration\n",
            ),
            (
                "[Interface]\nListenPort = abc\n",
                "Servname not supported for ai_socktype: `abc'\nConfiguration parsing error\n",
            ),
        ] {
            assert_eq!(parse_conf(text).unwrap_err(), want, "{text:?}");
        }
    }

    #[test]
    fn strip_drops_only_wg_quick_keys() {
        let q = parse_quick(
            "[Interface]\n  Address = 10.10.200.1/24\nDNS=1.1.1.1\nPrivateKey = k\nPostUp = iptables -A x\n\n[Peer]\nPublicKey = p\n",
        );
        assert_eq!(q.addresses, vec!["10.10.200.1/24"]);
        assert_eq!(q.dns, vec!["1.1.1.1"]);
        assert_eq!(q.hooks.len(), 1);
        assert_eq!(
            q.stripped,
            "[Interface]\nPrivateKey = k\n\n[Peer]\nPublicKey = p\n"
        );
    }

    #[test]
    fn allowed_ips_are_masked_with_a_warning() {
        let mut w = Vec::new();
        let (entries, replace) = parse_allowed_ips("10.1.2.3/24,+10.9.0.0/16", &mut w).unwrap();
        assert!(!replace);
        assert_eq!(entries[0].0.to_string(), "10.1.2.0/24");
        assert_eq!(w.len(), 1);
    }
}
