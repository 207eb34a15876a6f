//! How IOS files configuration lines, beyond their grammar: which lines are one setting whose
//! new value replaces the old one in place (`description`, `switchport access vlan`), which
//! features are on by default so that only their `no` form is shown (`no ip proxy-arp`), and
//! where a new top-level line goes (IOS keeps its configuration in a fixed section order, not
//! in the order lines were typed).

use super::config::ConfigNode;
use super::ifname;
use super::modes::Mode;

/// Mode families sharing rules (an interface range follows the interface rules).
fn family(mode: Mode) -> Mode {
    match mode {
        Mode::InterfaceRange => Mode::Interface,
        other => other,
    }
}

/// Single-valued settings, as word patterns: `*` is a word that identifies the setting
/// (`standby 10 priority` and `standby 20 priority` are two settings), `?` a word that is
/// part of the value (`ip access-group A in` replaces `ip access-group B in`). A line
/// matching a pattern replaces the line of the same setting.
static SINGLE_VALUED: &[(Mode, &str)] = &[
    (Mode::Global, "hostname"),
    (Mode::Global, "enable secret"),
    (Mode::Global, "enable password"),
    (Mode::Global, "username *"),
    (Mode::Global, "ip domain name"),
    (Mode::Global, "ip domain-name"),
    (Mode::Global, "ip default-gateway"),
    (Mode::Global, "clock timezone"),
    (Mode::Global, "clock summer-time"),
    (Mode::Global, "spanning-tree mode"),
    (Mode::Global, "spanning-tree vlan * priority"),
    (Mode::Global, "snmp-server contact"),
    (Mode::Global, "snmp-server location"),
    (Mode::Global, "snmp-server chassis-id"),
    (Mode::Global, "snmp-server trap-source"),
    (Mode::Global, "snmp-server source-interface"),
    (Mode::Global, "logging buffered"),
    (Mode::Global, "logging console"),
    (Mode::Global, "logging monitor"),
    (Mode::Global, "logging trap"),
    (Mode::Global, "logging source-interface"),
    (Mode::Global, "logging origin-id"),
    (Mode::Global, "ntp source"),
    (Mode::Global, "ip ssh version"),
    (Mode::Global, "ip ssh time-out"),
    (Mode::Global, "ip ssh authentication-retries"),
    (Mode::Global, "ip ssh source-interface"),
    (Mode::Global, "ip ssh server algorithm encryption"),
    (Mode::Global, "ip ssh server algorithm mac"),
    (Mode::Global, "ip ssh server algorithm kex"),
    (Mode::Global, "ip ssh server algorithm hostkey"),
    (Mode::Global, "ip http authentication"),
    (Mode::Global, "ip http port"),
    (Mode::Global, "ip http max-connections"),
    (Mode::Global, "ip http timeout-policy"),
    (Mode::Global, "ip tftp source-interface"),
    (Mode::Global, "ip ftp source-interface"),
    (Mode::Global, "ip radius source-interface"),
    (Mode::Global, "ip tacacs source-interface"),
    (Mode::Global, "errdisable recovery interval"),
    (Mode::Global, "login block-for"),
    (Mode::Global, "vtp mode"),
    (Mode::Global, "vtp domain"),
    (Mode::Global, "vtp version"),
    (Mode::Global, "ap country"),
    (Mode::Global, "wireless management interface"),
    (Mode::Global, "service timestamps debug"),
    (Mode::Global, "service timestamps log"),
    (Mode::Global, "aaa authentication login *"),
    (Mode::Global, "aaa authorization exec *"),
    (Mode::Global, "aaa session-id"),
    (Mode::Global, "system mtu"),
    (Mode::Interface, "description"),
    (Mode::Interface, "switchport mode"),
    (Mode::Interface, "switchport access vlan"),
    (Mode::Interface, "switchport voice vlan"),
    (Mode::Interface, "switchport trunk native vlan"),
    (Mode::Interface, "switchport trunk allowed vlan"),
    (Mode::Interface, "switchport trunk encapsulation"),
    (Mode::Interface, "switchport port-security maximum"),
    (Mode::Interface, "switchport port-security violation"),
    (Mode::Interface, "switchport port-security aging time"),
    (Mode::Interface, "switchport port-security aging type"),
    (Mode::Interface, "speed"),
    (Mode::Interface, "duplex"),
    (Mode::Interface, "mtu"),
    (Mode::Interface, "bandwidth"),
    (Mode::Interface, "load-interval"),
    (Mode::Interface, "channel-group"),
    (Mode::Interface, "ip address"),
    (Mode::Interface, "ip access-group ? in"),
    (Mode::Interface, "ip access-group ? out"),
    (Mode::Interface, "ip mtu"),
    (Mode::Interface, "ip tcp adjust-mss"),
    (Mode::Interface, "ip vrf forwarding"),
    (Mode::Interface, "ip ospf cost"),
    (Mode::Interface, "ip ospf priority"),
    (Mode::Interface, "ip ospf network"),
    (Mode::Interface, "vrf forwarding"),
    (Mode::Interface, "storm-control broadcast level"),
    (Mode::Interface, "storm-control multicast level"),
    (Mode::Interface, "storm-control unicast level"),
    (Mode::Interface, "storm-control action"),
    (Mode::Interface, "power inline"),
    (Mode::Interface, "spanning-tree portfast"),
    (Mode::Interface, "spanning-tree bpduguard"),
    (Mode::Interface, "spanning-tree bpdufilter"),
    (Mode::Interface, "spanning-tree guard"),
    (Mode::Interface, "spanning-tree cost"),
    (Mode::Interface, "spanning-tree port-priority"),
    (Mode::Interface, "spanning-tree link-type"),
    (Mode::Interface, "standby version"),
    (Mode::Interface, "standby * priority"),
    (Mode::Interface, "standby * ip"),
    (Mode::Interface, "standby * timers"),
    (Mode::Interface, "standby * authentication"),
    (Mode::Interface, "service-policy input"),
    (Mode::Interface, "service-policy output"),
    (Mode::Interface, "encapsulation"),
    (Mode::Interface, "keepalive"),
    (Mode::Interface, "dot1x pae"),
    (Mode::Interface, "authentication port-control"),
    (Mode::Interface, "authentication host-mode"),
    (Mode::Interface, "mac-address"),
    (Mode::Line, "exec-timeout"),
    (Mode::Line, "transport input"),
    (Mode::Line, "transport output"),
    (Mode::Line, "transport preferred"),
    (Mode::Line, "access-class ? in"),
    (Mode::Line, "access-class ? out"),
    (Mode::Line, "login"),
    (Mode::Line, "password"),
    (Mode::Line, "privilege level"),
    (Mode::Line, "session-timeout"),
    (Mode::Line, "absolute-timeout"),
    (Mode::Line, "length"),
    (Mode::Line, "width"),
    (Mode::Line, "stopbits"),
    (Mode::Line, "speed"),
    (Mode::Line, "history size"),
    (Mode::Line, "escape-character"),
    (Mode::Line, "location"),
    (Mode::Line, "logging synchronous"),
    (Mode::Vlan, "name"),
    (Mode::Vlan, "state"),
    (Mode::Vlan, "mtu"),
    (Mode::Wlan, "security wpa psk set-key"),
    (Mode::Wlan, "security pmf"),
    (Mode::Wlan, "security dot1x authentication-list"),
    (Mode::Wlan, "peer-blocking"),
    (Mode::Wlan, "session-timeout"),
    (Mode::Wlan, "dtim"),
    (Mode::WirelessPolicy, "vlan"),
    (Mode::WirelessPolicy, "description"),
    (Mode::WirelessPolicy, "session-timeout"),
    (Mode::WirelessPolicy, "idle-timeout"),
    (Mode::PolicyTag, "wlan *"),
    (Mode::PolicyTag, "description"),
    (Mode::SiteTag, "description"),
    (Mode::SiteTag, "ap-profile"),
    (Mode::SiteTag, "flex-profile"),
    (Mode::RfTag, "description"),
    (Mode::Router, "router-id"),
    (Mode::Router, "auto-cost"),
    (Mode::Router, "maximum-paths"),
    (Mode::Vrf, "rd"),
    (Mode::Vrf, "description"),
    (Mode::ClassMap, "description"),
    (Mode::PolicyMap, "description"),
    (Mode::RouteMap, "description"),
    (Mode::KeyChainKey, "key-string"),
    (Mode::Trustpoint, "enrollment"),
    (Mode::Trustpoint, "subject-name"),
    (Mode::Trustpoint, "revocation-check"),
    (Mode::Trustpoint, "rsakeypair"),
    (Mode::Redundancy, "mode"),
];

/// Features on by default: the plain form is not shown, `no <feature>` is. A trailing `+`
/// means the feature takes a value that its `no` form may repeat (`no ip address A M`).
static DEFAULT_ON: &[(Mode, &str)] = &[
    (Mode::Global, "service pad"),
    (Mode::Global, "service dhcp"),
    (Mode::Global, "service password-recovery"),
    (Mode::Global, "ip domain lookup"),
    (Mode::Global, "ip domain-lookup"),
    (Mode::Global, "ip source-route"),
    (Mode::Global, "ip gratuitous-arps"),
    (Mode::Global, "ip bootp server"),
    (Mode::Global, "ip classless"),
    (Mode::Global, "ip cef"),
    // Catalyst 9000 switches route by default (IOS-XE 16 and later): only `no ip routing`
    // is shown.
    (Mode::Global, "ip routing"),
    (Mode::Global, "cdp run"),
    (Mode::Global, "logging console"),
    (Mode::Interface, "ip proxy-arp"),
    (Mode::Interface, "ip redirects"),
    (Mode::Interface, "ip unreachables"),
    (Mode::Interface, "ip route-cache"),
    (Mode::Interface, "ip mroute-cache"),
    (Mode::Interface, "ip address +"),
    (Mode::Interface, "switchport"),
    (Mode::Interface, "cdp enable"),
    (Mode::Interface, "keepalive"),
    (Mode::Interface, "negotiation auto"),
    (Mode::Interface, "lldp transmit"),
    (Mode::Interface, "lldp receive"),
    (Mode::Interface, "snmp trap link-status"),
    (Mode::Interface, "autostate"),
    (Mode::Line, "exec"),
    (Mode::Line, "motd-banner"),
    (Mode::Line, "exec-banner"),
    (Mode::Wlan, "broadcast-ssid"),
    (Mode::Wlan, "security wpa"),
    (Mode::Wlan, "security wpa wpa2"),
    (Mode::Wlan, "security wpa akm dot1x"),
    (Mode::Wlan, "security ft adaptive"),
];

/// Features whose plain form and `no` form are both shown (a WLAN is `shutdown` until
/// `no shutdown`; IOS-XE shows `ip http server` and `no ip http server`).
static SHOWN_BOTH: &[(Mode, &str)] = &[
    (Mode::Global, "ip http server"),
    (Mode::Global, "ip http secure-server"),
    (Mode::Wlan, "shutdown"),
    (Mode::WirelessPolicy, "shutdown"),
];

fn pattern_matches(pattern: &[&str], words: &[&str]) -> bool {
    words.len() >= pattern.len()
        && pattern
            .iter()
            .zip(words)
            .all(|(p, w)| *p == "*" || *p == "?" || p == w)
}

/// [`SINGLE_VALUED`] split into words once: the twin compares every line pushed with its
/// siblings, and splitting the table for each pair was most of a configuration's cost.
static SINGLE_VALUED_WORDS: std::sync::LazyLock<Vec<(Mode, Vec<&'static str>)>> =
    std::sync::LazyLock::new(|| {
        SINGLE_VALUED
            .iter()
            .map(|(mode, pattern)| (*mode, pattern.split(' ').collect()))
            .collect()
    });

/// True when `a` and `b` set the same single-valued setting in `mode` (so `b` replaces `a`).
pub fn same_setting(mode: Mode, a: &[&str], b: &[&str]) -> bool {
    if a == b {
        return true;
    }
    let mode = family(mode);
    // A secondary address is a value of its own, not the interface's address.
    let secondary = |w: &[&str]| w.last() == Some(&"secondary");
    SINGLE_VALUED_WORDS
        .iter()
        .filter(|(m, _)| *m == mode)
        .any(|(_, pattern)| {
            pattern_matches(pattern, a)
                && pattern_matches(pattern, b)
                && !(matches!(pattern[0], "ip" | "standby") && (secondary(a) || secondary(b)))
                && pattern
                    .iter()
                    .enumerate()
                    .all(|(i, p)| *p != "*" || a[i] == b[i])
        })
}

fn listed(table: &[(Mode, &'static str)], mode: Mode, words: &[&str]) -> Option<&'static str> {
    let mode = family(mode);
    table
        .iter()
        .filter(|(m, _)| *m == mode)
        .map(|(_, feature)| *feature)
        .find_map(|entry| {
            let (feature, valued) = match entry.strip_suffix(" +") {
                Some(feature) => (feature, true),
                None => (entry, false),
            };
            let parts: Vec<&str> = feature.split(' ').collect();
            let matches = if valued {
                words.starts_with(&parts)
            } else {
                words == parts.as_slice()
            };
            matches.then_some(feature)
        })
}

/// The default-on feature `no <words>` turns off, if any (its `no` form is then shown).
pub fn negation_shown(mode: Mode, words: &[&str]) -> Option<&'static str> {
    listed(DEFAULT_ON, mode, words).or_else(|| listed(SHOWN_BOTH, mode, words))
}

/// True when `words` is a default-on feature turned back on: nothing to show.
pub fn positive_hidden(mode: Mode, words: &[&str]) -> bool {
    let mode = family(mode);
    DEFAULT_ON.iter().any(|(m, feature)| {
        *m == mode
            && feature
                .trim_end_matches(" +")
                .split(' ')
                .eq(words.iter().copied())
    })
}

/// The section of the running configuration a top-level line belongs to, in IOS's order.
pub fn rank(node: &ConfigNode) -> u32 {
    let words = node.words();
    let words: &[&str] = match words.first() {
        Some(&"no") => &words[1..],
        _ => &words,
    };
    let first = words.first().copied().unwrap_or("");
    let second = words.get(1).copied().unwrap_or("");
    match first {
        "version" => 0,
        "service" => 10,
        "platform" | "hostname" => 20,
        "vrf" => 25,
        "boot-start-marker" | "boot" | "boot-end-marker" => 27,
        "logging" => match second {
            "host" | "trap" | "source-interface" | "facility" | "origin-id" => 160,
            _ => 30,
        },
        "enable" => 40,
        "aaa" => 50,
        "clock" => 60,
        "switch" | "system" => 62,
        // The services after the interfaces come in a fixed order too.
        "ip" | "ipv6" => match second {
            "default-gateway" => 146,
            "forward-protocol" => 147,
            "http" => 148,
            "tftp" | "ftp" | "scp" => 149,
            "ssh" => 150,
            "route" => 151,
            "access-list" => 152,
            "prefix-list" => 153,
            "radius" | "tacacs" => 154,
            "sla" => 156,
            _ => 70,
        },
        "login" => 75,
        "device-tracking" => 77,
        "vtp" => 78,
        "crypto" => 80,
        "license" | "memory" | "diagnostic" => 85,
        "spanning-tree" | "errdisable" => 90,
        "username" => 95,
        "redundancy" => 100,
        "transceiver" => 102,
        "vlan" => 110,
        "lldp" | "cdp" => 112,
        "class-map" | "policy-map" => 120,
        "interface" => 130,
        "wireless" | "wlan" | "ap" => 135,
        "access-list" => 155,
        "route-map" => 157,
        "snmp-server" => 165,
        "radius" | "radius-server" | "tacacs" | "tacacs-server" => 167,
        "control-plane" => 170,
        "banner" => 180,
        "archive" => 186,
        "line" => 190,
        "event" | "alias" => 195,
        "ntp" => 200,
        _ => 140,
    }
}

/// Within a section, the order of sorted blocks (interfaces by name, VLANs and lines by
/// number); `None` keeps the order lines were added in.
fn sort_key(text: &str) -> Option<(u8, Vec<u64>)> {
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        ["interface", name] => Some(ifname::sort_key(name)),
        ["vlan", id] => id.parse().ok().map(|id| (0, vec![id])),
        ["line", kind, numbers @ ..] => {
            let kind = match *kind {
                "con" => 0,
                "aux" => 1,
                _ => 2,
            };
            Some((
                kind,
                numbers.iter().map(|n| n.parse().unwrap_or(0)).collect(),
            ))
        }
        _ => None,
    }
}

/// Where a new top-level line goes: after the lines of its section (sorted blocks in their
/// order), before the next section.
pub fn top_level_position(lines: &[ConfigNode], text: &str) -> usize {
    let new = ConfigNode::line(text);
    let rank_new = rank(&new);
    let key_new = sort_key(text);
    lines
        .iter()
        .position(|n| {
            let r = rank(n);
            r > rank_new
                || (r == rank_new
                    && match (&key_new, sort_key(&n.text)) {
                        (Some(new), Some(existing)) => existing > *new,
                        _ => false,
                    })
        })
        .unwrap_or(lines.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<&str> {
        s.split(' ').collect()
    }

    #[test]
    fn no_single_valued_pattern_starts_with_a_wildcard() {
        // engine::set_line compares first words before calling same_setting.
        for (_, pattern) in SINGLE_VALUED {
            assert!(!pattern.starts_with(['*', '?']), "{pattern}");
        }
    }

    #[test]
    fn single_valued_settings() {
        let m = Mode::Interface;
        assert!(same_setting(m, &w("description a"), &w("description b c")));
        assert!(same_setting(
            m,
            &w("switchport access vlan 10"),
            &w("switchport access vlan 20")
        ));
        assert!(!same_setting(
            m,
            &w("switchport access vlan 10"),
            &w("switchport voice vlan 20")
        ));
        assert!(same_setting(
            m,
            &w("standby 10 priority 100"),
            &w("standby 10 priority 110")
        ));
        assert!(!same_setting(
            m,
            &w("standby 10 priority 100"),
            &w("standby 20 priority 110")
        ));
        assert!(same_setting(
            m,
            &w("ip access-group A in"),
            &w("ip access-group B in")
        ));
        assert!(!same_setting(
            m,
            &w("ip access-group A in"),
            &w("ip access-group B out")
        ));
        assert!(!same_setting(
            m,
            &w("ip address 10.0.0.1 255.0.0.0"),
            &w("ip address 10.0.0.2 255.0.0.0 secondary")
        ));
        assert!(same_setting(
            Mode::InterfaceRange,
            &w("speed 100"),
            &w("speed 1000")
        ));
        assert!(same_setting(
            Mode::Global,
            &w("username a privilege 15 secret 9 x"),
            &w("username a secret 9 y")
        ));
        assert!(!same_setting(
            Mode::Global,
            &w("username a secret 9 x"),
            &w("username b secret 9 x")
        ));
    }

    #[test]
    fn default_on_features() {
        assert_eq!(
            negation_shown(Mode::Interface, &w("ip proxy-arp")),
            Some("ip proxy-arp")
        );
        assert_eq!(
            negation_shown(Mode::Interface, &w("ip address 10.0.0.1 255.0.0.0")),
            Some("ip address")
        );
        assert_eq!(negation_shown(Mode::Interface, &w("shutdown")), None);
        assert_eq!(
            negation_shown(Mode::Interface, &w("switchport voice vlan")),
            None
        );
        assert_eq!(
            negation_shown(Mode::Interface, &w("switchport")),
            Some("switchport")
        );
        assert_eq!(negation_shown(Mode::Wlan, &w("shutdown")), Some("shutdown"));
        assert!(positive_hidden(Mode::Interface, &w("switchport")));
        assert!(!positive_hidden(
            Mode::Interface,
            &w("switchport mode access")
        ));
        assert!(!positive_hidden(Mode::Wlan, &w("shutdown")));
    }

    #[test]
    fn placement() {
        let lines: Vec<ConfigNode> = [
            "hostname sw1",
            "vlan 10",
            "vlan 30",
            "interface GigabitEthernet1/0/2",
            "interface Vlan1",
            "line con 0",
        ]
        .into_iter()
        .map(ConfigNode::line)
        .collect();
        assert_eq!(top_level_position(&lines, "vlan 20"), 2);
        assert_eq!(top_level_position(&lines, "vlan 5"), 1);
        assert_eq!(
            top_level_position(&lines, "interface GigabitEthernet1/0/1"),
            3
        );
        assert_eq!(top_level_position(&lines, "interface Vlan10"), 5);
        assert_eq!(top_level_position(&lines, "interface Port-channel1"), 3);
        assert_eq!(top_level_position(&lines, "service pad"), 0);
        assert_eq!(top_level_position(&lines, "ntp server 10.0.0.1"), 6);
        assert_eq!(top_level_position(&lines, "snmp-server contact x"), 5);
    }
}
