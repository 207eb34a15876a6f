//! Owns what IOS does to the lines it is given, so that an intended configuration (from a
//! template) and a running one (from the device) compare equal when IOS would consider them
//! the same configuration: whitespace, interface names written short, VLAN lists, secrets
//! that the device only shows hashed, defaults it hides, ACL sequence numbers. Each line gets
//! a *key* (its comparison form, also what the diff shows) beside the text to type.
//!
//! The IOS knowledge here (hidden defaults, settings replaced in place) is deliberately kept
//! apart from the twin lab's tables in `src/lab/ios/rules.rs`: the twin test pushes our
//! remediation into the twin, so two independent descriptions of IOS check each other.

use super::tree::Node;
use std::borrow::Cow;
use std::collections::BTreeSet;

/// The placeholder a secret value becomes in a key: the device keeps a salted hash, so two
/// secret lines compare equal when everything but the secret matches.
pub const SECRET: &str = "<secret>";

/// One line after normalisation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Item {
    /// The comparison form: words joined by one space, full interface names, canonical VLAN
    /// lists, secrets replaced by [`SECRET`], no ACL sequence number.
    pub key: String,
    /// The line as written (trimmed), what a remediation types.
    pub text: String,
    /// The block's lines.
    pub children: Vec<Item>,
    /// A banner's body lines.
    pub banner: Option<Vec<String>>,
    /// The device never shows this line (`snmp-server user`): it can be sent, not compared.
    pub write_only: bool,
    /// A default IOS does not show (`no shutdown`, `ip proxy-arp`): absent from the running
    /// configuration when in force, so it is not looked for there; it is sent only when the
    /// running configuration says otherwise (`shutdown`), in either mode.
    pub hidden: bool,
}

impl Item {
    /// The key's words.
    pub fn words(&self) -> Vec<&str> {
        self.key.split(' ').collect()
    }
}

/// What kind of block a line sits in, for the rules that depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Top level.
    Global,
    /// `interface …`.
    Interface,
    /// `line …`.
    Line,
    /// `wlan …`.
    Wlan,
    /// `ip access-list …`, `ipv6 access-list …`: an ordered list of entries.
    Acl,
    /// Any other block.
    Other,
}

impl Context {
    /// The context of the children of a block whose header key is `header`.
    pub fn of_block(header: &str) -> Context {
        let words: Vec<&str> = header.split(' ').collect();
        match words.as_slice() {
            ["interface", ..] => Context::Interface,
            ["line", ..] => Context::Line,
            ["wlan", ..] => Context::Wlan,
            ["ip" | "ipv6" | "mac", "access-list", ..] => Context::Acl,
            _ => Context::Other,
        }
    }
}

/// Interface types: full name and the short name show commands and people use. Matching a
/// written type is IOS's: case-insensitive, the short name or any unique prefix of the full
/// name.
const INTERFACE_TYPES: &[(&str, &str)] = &[
    ("Loopback", "Lo"),
    ("Tunnel", "Tu"),
    ("Port-channel", "Po"),
    ("FastEthernet", "Fa"),
    ("GigabitEthernet", "Gi"),
    ("TwoGigabitEthernet", "Tw"),
    ("FiveGigabitEthernet", "Fi"),
    ("TenGigabitEthernet", "Te"),
    ("TwentyFiveGigE", "Twe"),
    ("FortyGigabitEthernet", "Fo"),
    ("HundredGigE", "Hu"),
    ("AppGigabitEthernet", "Ap"),
    ("Ethernet", "Et"),
    ("Vlan", "Vl"),
];

/// Interface types that are hardware ports: they always exist, cannot be removed (only
/// defaulted), and an unconfigured one is the same as one not mentioned.
const PHYSICAL: &[&str] = &[
    "FastEthernet",
    "GigabitEthernet",
    "TwoGigabitEthernet",
    "FiveGigabitEthernet",
    "TenGigabitEthernet",
    "TwentyFiveGigE",
    "FortyGigabitEthernet",
    "HundredGigE",
    "AppGigabitEthernet",
    "Ethernet",
];

/// The full name of an interface written in any accepted form (`Gi1/0/1`, `vlan99`), or the
/// word unchanged when it does not name an interface.
pub fn interface_name(word: &str) -> String {
    let Some(at) = word
        .find(|c: char| c.is_ascii_digit())
        .filter(|at| *at >= 2)
    else {
        return word.to_string();
    };
    let (kind, number) = word.split_at(at);
    let lower = kind.to_ascii_lowercase();
    let exact = INTERFACE_TYPES.iter().find(|(full, short)| {
        full.to_ascii_lowercase() == lower || short.to_ascii_lowercase() == lower
    });
    let found = exact.or_else(|| {
        let mut prefixed = INTERFACE_TYPES
            .iter()
            .filter(|(full, _)| full.to_ascii_lowercase().starts_with(&lower));
        match (prefixed.next(), prefixed.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        }
    });
    match found {
        Some((full, _)) => format!("{full}{number}"),
        None => word.to_string(),
    }
}

/// True when `name` (full) is a hardware port, or VLAN 1's interface, which IOS never
/// deletes either.
pub fn is_permanent_interface(name: &str) -> bool {
    let kind = name
        .split(|c: char| c.is_ascii_digit())
        .next()
        .unwrap_or("");
    PHYSICAL.contains(&kind) || name == "Vlan1"
}

/// `10,20-22` → the ids; `None` when it is not a VLAN list.
fn vlan_list(text: &str) -> Option<BTreeSet<u32>> {
    let mut set = BTreeSet::new();
    for part in text.split(',') {
        let (lo, hi) = match part.split_once('-') {
            Some((lo, hi)) => (lo.parse::<u32>().ok()?, hi.parse::<u32>().ok()?),
            None => {
                let id = part.parse::<u32>().ok()?;
                (id, id)
            }
        };
        if lo > hi || hi > 4094 {
            return None;
        }
        set.extend(lo..=hi);
    }
    Some(set)
}

/// The compact form IOS shows a VLAN list in (`1-4,10`).
fn compact_vlans(set: &BTreeSet<u32>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut run: Option<(u32, u32)> = None;
    for id in set.iter().copied() {
        run = match run {
            Some((start, end)) if id == end + 1 => Some((start, id)),
            Some((start, end)) => {
                parts.push(span(start, end));
                Some((id, id))
            }
            None => Some((id, id)),
        };
    }
    if let Some((start, end)) = run {
        parts.push(span(start, end));
    }
    parts.join(",")
}

fn span(start: u32, end: u32) -> String {
    if start == end {
        start.to_string()
    } else {
        format!("{start}-{end}")
    }
}

/// Lines whose free text must not be touched (a description may well say `Gi1/0/1`).
fn is_free_text(words: &[&str]) -> bool {
    matches!(
        words.first().copied(),
        Some("description" | "remark" | "name" | "alias" | "location" | "contact")
    ) || matches!(words, ["snmp-server", "contact" | "location", ..])
}

/// Encryption types IOS writes before a secret value.
fn is_secret_type(word: &str) -> bool {
    matches!(word, "0" | "5" | "6" | "7" | "8" | "9")
}

/// Replace `[TYPE] VALUE` at `words[at..]` by [`SECRET`] (the value runs to the end of the
/// line: IOS takes the rest of the line as the secret).
fn mask_rest(words: &mut Vec<Cow<'_, str>>, at: usize) {
    words.truncate(at);
    words.push(Cow::Borrowed(SECRET));
}

/// Secrets: the key keeps everything but the value (and the hash algorithm chosen, which IOS
/// shows as the resulting type). Returns true when the line is write-only.
fn mask_secrets(words: &mut Vec<Cow<'_, str>>, context: Context) -> bool {
    let w: Vec<&str> = words.iter().map(|word| word.as_ref()).collect();
    match w.as_slice() {
        ["enable", ..] if context == Context::Global => {
            // `enable [algorithm-type X] secret|password [level N] [TYPE] VALUE`.
            let mut out = vec![String::from("enable")];
            let mut i = 1;
            if w.get(i) == Some(&"algorithm-type") {
                i += 2;
            }
            if let Some(kind) = w.get(i) {
                out.push(kind.to_string());
                i += 1;
            }
            if w.get(i) == Some(&"level") {
                out.extend(w.iter().skip(i).take(2).map(|s| s.to_string()));
            }
            out.push(SECRET.to_string());
            *words = out.into_iter().map(Cow::Owned).collect();
        }
        ["username", ..] => {
            let mut out: Vec<String> = Vec::new();
            let mut i = 0;
            while i < w.len() {
                match w[i] {
                    "algorithm-type" => i += 2,
                    "secret" | "password" => {
                        out.push(w[i].to_string());
                        out.push(SECRET.to_string());
                        break;
                    }
                    other => {
                        out.push(other.to_string());
                        i += 1;
                    }
                }
            }
            *words = out.into_iter().map(Cow::Owned).collect();
        }
        ["snmp-server", "user", ..] => {
            // IOS never shows SNMPv3 users in the configuration.
            let keep = w.iter().position(|x| *x == "auth").unwrap_or(w.len());
            mask_rest(words, keep);
            return true;
        }
        ["security", "wpa", "psk", "set-key", _, ..] => mask_rest(words, 5),
        ["password", ..] if context == Context::Line => mask_rest(words, 1),
        ["key-string", ..] => mask_rest(words, 1),
        // A server's `key [TYPE] VALUE`; `key 1` opening a key-chain entry is no secret.
        ["key", next, _, ..] if is_secret_type(next) => mask_rest(words, 1),
        ["key", value] if value.parse::<u64>().is_err() => mask_rest(words, 1),
        _ => {}
    }
    false
}

/// Defaults IOS does not show: the positive form of a feature that is on by default
/// (`ip proxy-arp`), `no shutdown` on an interface.
fn is_hidden_default(context: Context, key: &str) -> bool {
    const GLOBAL: &[&str] = &[
        "service pad",
        "service dhcp",
        "service password-recovery",
        // Off by default on IOS-XE, so its `no` form is not shown.
        "no service config",
        "ip domain lookup",
        "ip domain-lookup",
        "ip source-route",
        "ip gratuitous-arps",
        "ip bootp server",
        "ip classless",
        "ip cef",
        "ip routing",
        "cdp run",
        "logging console",
    ];
    const INTERFACE: &[&str] = &[
        "no shutdown",
        "ip proxy-arp",
        "ip redirects",
        "ip unreachables",
        "ip route-cache",
        "ip mroute-cache",
        "switchport",
        "cdp enable",
        "keepalive",
        "negotiation auto",
        "lldp transmit",
        "lldp receive",
        "snmp trap link-status",
        "autostate",
    ];
    // `stopbits 1` is the console default Catalyst 9000 switches show anyway.
    const LINE: &[&str] = &["exec", "motd-banner", "exec-banner", "stopbits 1"];
    const WLAN: &[&str] = &[
        "broadcast-ssid",
        "security wpa",
        "security wpa wpa2",
        "security wpa akm dot1x",
        "security ft adaptive",
    ];
    let table = match context {
        Context::Global => GLOBAL,
        Context::Interface => INTERFACE,
        Context::Line => LINE,
        Context::Wlan => WLAN,
        Context::Acl | Context::Other => &[],
    };
    table.contains(&key)
}

/// The key of one line in `context`, and whether it is write-only.
pub fn key_of(text: &str, context: Context) -> (String, bool) {
    // Words are borrowed from the line; only those rewritten below are owned (this runs for
    // every line of every configuration compared).
    let mut words: Vec<Cow<'_, str>> = text.split_whitespace().map(Cow::Borrowed).collect();
    // An ACL entry's sequence number is where it sits, not what it is.
    if context == Context::Acl && words.len() > 1 && words[0].chars().all(|c| c.is_ascii_digit()) {
        words.remove(0);
    }
    let plain: Vec<&str> = words.iter().map(|word| word.as_ref()).collect();
    if is_free_text(&plain) {
        return (plain.join(" "), false);
    }
    // Interface names: the block header, and the word after a keyword that takes one.
    let takes_interface = |previous: &str| {
        matches!(
            previous,
            "interface" | "source-interface" | "source" | "trap-source" | "local-interface"
        )
    };
    for i in 1..words.len() {
        if takes_interface(&words[i - 1]) {
            let name = interface_name(&words[i]);
            if name != words[i] {
                words[i] = Cow::Owned(name);
            }
        }
    }
    // VLAN lists in the compact form IOS shows.
    let plain: Vec<&str> = words.iter().map(|word| word.as_ref()).collect();
    let list_at = match plain.as_slice() {
        ["switchport", "trunk", "allowed", "vlan", list, ..] if vlan_list(list).is_some() => {
            Some(4)
        }
        ["spanning-tree", "vlan", _, ..] => Some(2),
        ["vlan", _] if context == Context::Global => Some(1),
        _ => None,
    };
    if let Some(at) = list_at
        && let Some(set) = vlan_list(&words[at])
    {
        words[at] = Cow::Owned(compact_vlans(&set));
    }
    let write_only = mask_secrets(&mut words, context);
    (words.join(" "), write_only)
}

/// Normalise a parsed configuration (see the module documentation). Hidden defaults are
/// flagged (see [`Item::hidden`]); under `aaa new-model`, `login`/`login local` on lines are dropped (IOS removes
/// them: the lines then authenticate through AAA).
pub fn normalize(nodes: &[Node]) -> Vec<Item> {
    let aaa = nodes
        .iter()
        .any(|n| n.text.split_whitespace().eq(["aaa", "new-model"]));
    let mut items = normalize_level(nodes, Context::Global, aaa);
    regroup_lines(&mut items);
    items
}

/// The lines a `line` header covers: (kind, first, last). `console` is `con`. None for a
/// header this module does not read as a range (absolute line numbers, odd input).
pub fn line_range(key: &str) -> Option<(String, u32, u32)> {
    let words: Vec<&str> = key.split(' ').collect();
    let (kind, first, last) = match words.as_slice() {
        ["line", kind, first] => (*kind, *first, *first),
        ["line", kind, first, last] => (*kind, *first, *last),
        _ => return None,
    };
    let kind = match kind {
        "con" | "console" => "con",
        "aux" => "aux",
        "vty" => "vty",
        _ => return None,
    };
    let (first, last) = (first.parse::<u32>().ok()?, last.parse::<u32>().ok()?);
    (first <= last && last - first < 1024).then(|| (kind.to_string(), first, last))
}

/// The header of a range of lines.
pub fn line_header(kind: &str, first: u32, last: u32) -> String {
    if first == last {
        format!("line {kind} {first}")
    } else {
        format!("line {kind} {first} {last}")
    }
}

/// Lines in one canonical grouping: IOS may show `line vty 0 15` as `line vty 0 4` and
/// `line vty 5 15` (or the reverse), so every `line` block is expanded to its lines and
/// consecutive lines with the same configuration are grouped again. Both sides then name
/// the same blocks whenever they configure the lines the same way.
fn regroup_lines(items: &mut Vec<Item>) {
    let Some(at) = items.iter().position(|i| line_range(&i.key).is_some()) else {
        return;
    };
    // Per kind (in order of appearance), per line number, the configuration.
    let mut kinds: Vec<(String, std::collections::BTreeMap<u32, Vec<Item>>)> = Vec::new();
    items.retain(|item| {
        let Some((kind, first, last)) = line_range(&item.key) else {
            return true;
        };
        let index = match kinds.iter().position(|(k, _)| *k == kind) {
            Some(index) => index,
            None => {
                kinds.push((kind, Default::default()));
                kinds.len() - 1
            }
        };
        for number in first..=last {
            let lines = kinds[index].1.entry(number).or_default();
            for child in &item.children {
                add_item(lines, child.clone(), Context::Line);
            }
        }
        false
    });
    let signature = |children: &[Item]| {
        let mut keys: Vec<(String, bool)> =
            children.iter().map(|c| (c.key.clone(), c.hidden)).collect();
        keys.sort();
        keys
    };
    let mut grouped: Vec<Item> = Vec::new();
    for (kind, numbers) in kinds {
        let mut run: Option<(u32, u32, Vec<Item>)> = None;
        for (number, children) in numbers {
            run = match run {
                Some((first, last, current))
                    if number == last + 1 && signature(&current) == signature(&children) =>
                {
                    Some((first, number, current))
                }
                Some((first, last, current)) => {
                    grouped.push(line_item(&kind, first, last, current));
                    Some((number, number, children))
                }
                None => Some((number, number, children)),
            };
        }
        if let Some((first, last, current)) = run {
            grouped.push(line_item(&kind, first, last, current));
        }
    }
    let at = at.min(items.len());
    items.splice(at..at, grouped);
}

fn line_item(kind: &str, first: u32, last: u32, children: Vec<Item>) -> Item {
    let header = line_header(kind, first, last);
    Item {
        key: header.clone(),
        text: header,
        children,
        ..Item::default()
    }
}

/// The VLANs IOS creates by itself for the intent: a port put in an access or voice VLAN
/// that does not exist makes IOS create it (`% Access VLAN does not exist. Creating vlan
/// 10`), so the intent implies a `vlan N` block it does not write. Added before the first
/// interface, where the remediation then creates it explicitly.
pub fn imply_vlans(items: &mut Vec<Item>) {
    let mut implied: Vec<u16> = Vec::new();
    for item in items.iter().filter(|i| i.key.starts_with("interface ")) {
        for child in &item.children {
            let words = child.words();
            if let ["switchport", "access" | "voice", "vlan", id] = words.as_slice()
                && let Ok(id) = id.parse::<u16>()
                && (2..=4094).contains(&id)
                && !implied.contains(&id)
            {
                implied.push(id);
            }
        }
    }
    implied.retain(|id| !items.iter().any(|i| i.key == format!("vlan {id}")));
    let at = items
        .iter()
        .position(|i| i.key.starts_with("interface "))
        .unwrap_or(items.len());
    for (k, id) in implied.into_iter().enumerate() {
        let text = format!("vlan {id}");
        items.insert(
            at + k,
            Item {
                key: text.clone(),
                text,
                ..Item::default()
            },
        );
    }
}

fn normalize_level(nodes: &[Node], context: Context, aaa: bool) -> Vec<Item> {
    let mut items: Vec<Item> = Vec::new();
    for node in nodes {
        let (key, write_only) = key_of(&node.text, context);
        let hidden = node.children.is_empty() && is_hidden_default(context, &key);
        if aaa && context == Context::Line && (key == "login" || key == "login local") {
            continue;
        }
        let children = normalize_level(&node.children, Context::of_block(&key), aaa);
        let item = Item {
            key,
            text: node.text.clone(),
            children,
            banner: node.banner.clone(),
            write_only,
            hidden,
        };
        add_item(&mut items, item, context);
    }
    items
}

/// Add `item` to a level as IOS would: a line given twice is one line (an ACL entry too:
/// IOS does not add an entry the list already has); a block given twice is one block
/// holding the lines of both; a second value of a single-valued setting replaces the first.
fn add_item(items: &mut Vec<Item>, item: Item, context: Context) {
    if context != Context::Acl
        && item.children.is_empty()
        && item.banner.is_none()
        && let Some(at) = items.iter().position(|i| {
            i.key != item.key && i.children.is_empty() && same_setting(context, &i.key, &item.key)
        })
    {
        items[at] = item;
        return;
    }
    match items.iter_mut().find(|i| i.key == item.key) {
        Some(_) if context == Context::Acl => {}
        Some(existing) => {
            let inner = Context::of_block(&existing.key);
            for child in item.children {
                add_item(&mut existing.children, child, inner);
            }
            if item.banner.is_some() {
                existing.banner = item.banner;
            }
        }
        None => items.push(item),
    }
}

/// Top-level lines the device writes for itself (boot markers, licences, its self-signed
/// certificate, platform settings, settings shown in both forms): replace mode leaves them alone, since no template
/// writes them and removing them would break the device, not align it.
pub fn is_device_owned(key: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "boot-start-marker",
        "boot-end-marker",
        "boot system",
        "license ",
        "redundancy",
        "transceiver ",
        "crypto pki ",
        "diagnostic ",
        "memory ",
        "platform ",
        "switch ",
        "call-home",
        "control-plane",
        "service-template ",
        "device-tracking ",
        "ip forward-protocol ",
        "ip http client ",
        // IOS-XE shows the web server's state either way (`ip http server` or `no ip http
        // server`): no line removes it, so an intent that does not mention it leaves it.
        "ip http server",
        "ip http secure-server",
        "no ip http server",
        "no ip http secure-server",
        "vrf definition Mgmt-vrf",
        "multilink bundle-name ",
    ];
    PREFIXES
        .iter()
        .any(|p| key == p.trim_end() || key.starts_with(p))
}

/// True for the dedicated out-of-band management port (`vrf forwarding Mgmt-vrf`, the
/// Catalyst `GigabitEthernet0/0`): the device's own, left alone by replace like the
/// device-owned sections, since defaulting it would cut out-of-band access.
pub fn is_out_of_band(item: &Item) -> bool {
    item.key.starts_with("interface ")
        && item
            .children
            .iter()
            .any(|c| c.key == "vrf forwarding Mgmt-vrf" || c.key == "ip vrf forwarding Mgmt-vrf")
}

/// True for a block that says nothing about something that always exists: a hardware port
/// or a `line` with no configuration is the same as one not mentioned (IOS shows every
/// port, templates may not).
pub fn is_bare_permanent(item: &Item) -> bool {
    item.children.iter().all(|c| c.hidden)
        && (item.key.starts_with("line ")
            || item
                .key
                .strip_prefix("interface ")
                .is_some_and(is_permanent_interface))
}

/// Settings that hold one value: a new value replaces the old one in place, so no `no` is
/// needed (nor wanted: `no description` after the new description would remove it). Word
/// patterns: `*` is a word naming the setting (`standby 10 priority`), `?` a word of the
/// value (`ip access-group A in`); other words must match.
/// [`SINGLE_VALUED`] split into words once.
static SINGLE_VALUED_WORDS: std::sync::LazyLock<Vec<(Context, Vec<&'static str>)>> =
    std::sync::LazyLock::new(|| {
        SINGLE_VALUED
            .iter()
            .map(|(context, pattern)| (*context, pattern.split(' ').collect()))
            .collect()
    });

const SINGLE_VALUED: &[(Context, &str)] = &[
    (Context::Global, "hostname"),
    (Context::Global, "enable secret"),
    (Context::Global, "enable password"),
    (Context::Global, "username *"),
    (Context::Global, "ip domain name"),
    (Context::Global, "ip domain-name"),
    (Context::Global, "ip default-gateway"),
    (Context::Global, "clock timezone"),
    (Context::Global, "clock summer-time"),
    (Context::Global, "spanning-tree mode"),
    (Context::Global, "spanning-tree vlan ? priority"),
    (Context::Global, "snmp-server contact"),
    (Context::Global, "snmp-server location"),
    (Context::Global, "snmp-server trap-source"),
    (Context::Global, "snmp-server source-interface"),
    (Context::Global, "logging buffered"),
    (Context::Global, "logging console"),
    (Context::Global, "logging trap"),
    (Context::Global, "logging source-interface"),
    (Context::Global, "ntp source"),
    (Context::Global, "ip ssh version"),
    (Context::Global, "ip ssh time-out"),
    (Context::Global, "ip ssh authentication-retries"),
    (Context::Global, "ip ssh source-interface"),
    (Context::Global, "ip ssh server algorithm encryption"),
    (Context::Global, "ip ssh server algorithm mac"),
    (Context::Global, "ip ssh server algorithm kex"),
    (Context::Global, "errdisable recovery interval"),
    (Context::Global, "login block-for"),
    (Context::Global, "vtp mode"),
    (Context::Global, "vtp domain"),
    (Context::Global, "ap country"),
    (Context::Global, "wireless management interface"),
    (Context::Global, "service timestamps debug"),
    (Context::Global, "service timestamps log"),
    (Context::Global, "aaa authentication login *"),
    (Context::Global, "aaa authorization exec *"),
    (Context::Global, "aaa session-id"),
    (Context::Interface, "description"),
    (Context::Interface, "switchport mode"),
    (Context::Interface, "switchport access vlan"),
    (Context::Interface, "switchport voice vlan"),
    (Context::Interface, "switchport trunk native vlan"),
    (Context::Interface, "switchport trunk allowed vlan"),
    (Context::Interface, "switchport port-security maximum"),
    (Context::Interface, "switchport port-security violation"),
    (Context::Interface, "speed"),
    (Context::Interface, "duplex"),
    (Context::Interface, "mtu"),
    (Context::Interface, "channel-group"),
    (Context::Interface, "ip access-group ? in"),
    (Context::Interface, "ip access-group ? out"),
    (Context::Interface, "storm-control broadcast level"),
    (Context::Interface, "storm-control multicast level"),
    (Context::Interface, "storm-control action"),
    (Context::Interface, "power inline"),
    (Context::Interface, "spanning-tree portfast"),
    (Context::Interface, "spanning-tree bpduguard"),
    (Context::Interface, "standby version"),
    (Context::Interface, "standby * priority"),
    (Context::Interface, "standby * ip"),
    (Context::Line, "exec-timeout"),
    (Context::Line, "transport input"),
    (Context::Line, "transport output"),
    (Context::Line, "access-class ? in"),
    (Context::Line, "access-class ? out"),
    (Context::Line, "privilege level"),
    (Context::Line, "password"),
    (Context::Other, "name"),
    (Context::Other, "description"),
    (Context::Wlan, "security pmf"),
    (Context::Wlan, "security wpa psk set-key"),
    (Context::Other, "vlan"),
];

/// The first word of a key after any `no`: two lines can only set the same setting when
/// theirs are equal.
fn setting_keyword(key: &str) -> &str {
    let key = key.strip_prefix("no ").unwrap_or(key);
    key.split(' ').next().unwrap_or("")
}

/// True when `a` and `b` (keys, in `context`) set the same single-valued setting, so `b`
/// replaces `a` in place. A `no X` line is the same setting as any `X …` line.
pub fn same_setting(context: Context, a: &str, b: &str) -> bool {
    // Every rule below needs both lines to start with the same keyword (after a `no`), and
    // no pattern starts with a wildcard: most pairs a configuration's siblings form are
    // told apart here. Nothing allocates: this runs for every pair of sibling lines that
    // share a keyword (keys are words joined by single spaces).
    let keyword = setting_keyword(a);
    if keyword != setting_keyword(b) {
        return false;
    }
    for (negated, other) in [(a, b), (b, a)] {
        if let Some(positive) = negated.strip_prefix("no ")
            && !other.starts_with("no ")
            && other != "no"
            && starts_with_words(other, positive)
        {
            return true;
        }
    }
    // A secondary address is a value of its own.
    let secondary = |key: &str| key == "secondary" || key.ends_with(" secondary");
    if secondary(a) || secondary(b) {
        return false;
    }
    if context == Context::Interface
        && starts_with_words(a, "ip address")
        && starts_with_words(b, "ip address")
    {
        return true;
    }
    let mut patterns = SINGLE_VALUED_WORDS
        .iter()
        .filter(|(c, p)| *c == context && p.first() == Some(&keyword))
        .peekable();
    if patterns.peek().is_none() {
        return false;
    }
    let (aw, bw) = (FirstWords::of(a), FirstWords::of(b));
    patterns.any(|(_, p)| {
        aw.fits(p)
            && bw.fits(p)
            && p.iter()
                .enumerate()
                .all(|(i, x)| *x != "*" || aw.words[i] == bw.words[i])
    })
}

/// True when `key`'s words begin with `prefix`'s.
fn starts_with_words(key: &str, prefix: &str) -> bool {
    key.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
}

/// Room for the longest single-valued pattern (checked by a test).
const PATTERN_WORDS: usize = 12;

/// The first words of a key, on the stack, and how many it has in all.
struct FirstWords<'a> {
    words: [&'a str; PATTERN_WORDS],
    count: usize,
}

impl<'a> FirstWords<'a> {
    fn of(key: &'a str) -> FirstWords<'a> {
        let mut words = [""; PATTERN_WORDS];
        let mut count = 0;
        for word in key.split(' ') {
            if let Some(slot) = words.get_mut(count) {
                *slot = word;
            }
            count += 1;
        }
        FirstWords { words, count }
    }

    /// The key matches `pattern` (`*` and `?`: any word) and may say more after it.
    fn fits(&self, pattern: &[&str]) -> bool {
        self.count >= pattern.len()
            && pattern
                .iter()
                .zip(&self.words)
                .all(|(p, w)| *p == "*" || *p == "?" || p == w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_single_valued_pattern_fits_the_words_kept() {
        for (_, pattern) in SINGLE_VALUED_WORDS.iter() {
            assert!(pattern.len() <= PATTERN_WORDS, "{pattern:?}");
        }
    }

    #[test]
    fn interface_names_expand() {
        assert_eq!(interface_name("Gi1/0/1"), "GigabitEthernet1/0/1");
        assert_eq!(
            interface_name("gigabitethernet1/0/1"),
            "GigabitEthernet1/0/1"
        );
        assert_eq!(interface_name("vlan99"), "Vlan99");
        assert_eq!(interface_name("Po1"), "Port-channel1");
        assert_eq!(interface_name("Te1/1/1"), "TenGigabitEthernet1/1/1");
        assert_eq!(interface_name("v3"), "v3");
        assert_eq!(interface_name("10.0.0.1"), "10.0.0.1");
        assert!(is_permanent_interface("GigabitEthernet1/0/1"));
        assert!(!is_permanent_interface("Vlan99"));
    }

    #[test]
    fn keys_compare_what_ios_compares() {
        let k = |t: &str| key_of(t, Context::Global).0;
        assert_eq!(k("interface Gi1/0/5"), "interface GigabitEthernet1/0/5");
        assert_eq!(
            k("ip ssh source-interface vlan99"),
            "ip ssh source-interface Vlan99"
        );
        assert_eq!(
            k("enable algorithm-type scrypt secret S3cret!"),
            k("enable secret 9 $9$abc$def")
        );
        assert_eq!(
            k("username u privilege 15 algorithm-type scrypt secret X y"),
            "username u privilege 15 secret <secret>"
        );
        assert_eq!(
            k("username u privilege 15 secret 9 $9$x"),
            "username u privilege 15 secret <secret>"
        );
        assert_ne!(
            k("username u privilege 15 secret 9 $9$x"),
            k("username u secret 9 $9$x")
        );
        assert_eq!(
            k("spanning-tree vlan 1,2,3,10 priority 4096"),
            "spanning-tree vlan 1-3,10 priority 4096"
        );
        assert_eq!(
            key_of(
                " switchport trunk allowed vlan 30,31,32",
                Context::Interface
            )
            .0,
            "switchport trunk allowed vlan 30-32"
        );
        assert_eq!(key_of("20 deny   any log", Context::Acl).0, "deny any log");
        assert_eq!(
            key_of("description Gi1/0/1 uplink", Context::Interface).0,
            "description Gi1/0/1 uplink"
        );
        assert!(
            key_of(
                "snmp-server user u G v3 auth sha x priv aes 128 y",
                Context::Global
            )
            .1
        );
        let other = |t: &str| key_of(t, Context::Other).0;
        assert_eq!(other("key 7 0822455D0A16"), other("key Cleartext"));
        assert_eq!(other("key 1"), "key 1");
        assert_eq!(
            key_of("password 7 0822455D0A16", Context::Line).0,
            "password <secret>"
        );
    }

    #[test]
    fn settings_replaced_in_place() {
        let i = Context::Interface;
        assert!(same_setting(i, "description a", "description b c"));
        assert!(same_setting(
            i,
            "switchport access vlan 10",
            "switchport access vlan 20"
        ));
        assert!(!same_setting(
            i,
            "switchport access vlan 10",
            "switchport voice vlan 10"
        ));
        assert!(same_setting(
            i,
            "no ip address",
            "ip address 10.0.0.1 255.0.0.0"
        ));
        assert!(!same_setting(
            i,
            "ip address 10.0.0.1 255.0.0.0",
            "ip address 10.0.0.2 255.0.0.0 secondary"
        ));
        assert!(same_setting(
            i,
            "standby 10 priority 100",
            "standby 10 priority 110"
        ));
        assert!(!same_setting(
            i,
            "standby 10 priority 100",
            "standby 20 priority 110"
        ));
        let g = Context::Global;
        assert!(same_setting(
            g,
            "username a privilege 15 secret <secret>",
            "username a secret <secret>"
        ));
        assert!(!same_setting(
            g,
            "username a secret <secret>",
            "username b secret <secret>"
        ));
        assert!(!same_setting(
            g,
            "ntp server 10.0.0.1",
            "ntp server 10.0.0.2"
        ));
        assert!(same_setting(
            Context::Line,
            "access-class A in",
            "access-class B in"
        ));
    }
}
