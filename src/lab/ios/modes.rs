//! The configuration modes of the IOS twin and their grammars: which keywords each mode
//! accepts first, what follows them, and which lines open a sub-mode. A line that is not in a
//! sub-mode's grammar is tried in its parent modes, as IOS does (`interface Gi1/0/2` typed in
//! `(config-if)#` moves to the next interface); so sub-mode tables must not swallow global
//! commands: a keyword shared with global configuration (`ip`, `logging`, `spanning-tree`…)
//! lists its sub-keywords instead of taking any argument.

use super::grammar::k::{args, custom, flag, opt, sub, sub_opt, text};
use super::grammar::{Kw, Next};
use super::validators as v;

/// A configuration mode (below privileged EXEC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// `(config)#`.
    Global,
    /// `(config-if)#`.
    Interface,
    /// `(config-if-range)#`.
    InterfaceRange,
    /// `(config-vlan)#`.
    Vlan,
    /// `(config-line)#`.
    Line,
    /// `(config-router)#`.
    Router,
    /// `(config-router-af)#`.
    RouterAf,
    /// `(config-std-nacl)#`.
    StdNacl,
    /// `(config-ext-nacl)#`.
    ExtNacl,
    /// `(config-ipv6-acl)#`.
    Ipv6Acl,
    /// `(config-archive)#`.
    Archive,
    /// `(config-archive-log-cfg)#`.
    ArchiveLogCfg,
    /// `(config-wlan)#`.
    Wlan,
    /// `(config-wireless-policy)#`.
    WirelessPolicy,
    /// `(config-policy-tag)#`.
    PolicyTag,
    /// `(config-site-tag)#`.
    SiteTag,
    /// `(config-rf-tag)#`.
    RfTag,
    /// `(config-cmap)#`.
    ClassMap,
    /// `(config-pmap)#`.
    PolicyMap,
    /// `(config-pmap-c)#`.
    PolicyMapClass,
    /// `(config-route-map)#`.
    RouteMap,
    /// `(dhcp-config)#`.
    DhcpPool,
    /// `(config-dhcpv6)#`.
    Ipv6DhcpPool,
    /// `(config-vrf)#`.
    Vrf,
    /// `(config-vrf-af)#`.
    VrfAf,
    /// `(config-keychain)#`.
    KeyChain,
    /// `(config-keychain-key)#`.
    KeyChainKey,
    /// `(config-sg-radius)#`.
    SgRadius,
    /// `(config-sg-tacacs+)#`.
    SgTacacs,
    /// `(config-radius-server)#`.
    RadiusServer,
    /// `(config-server-tacacs)#`.
    TacacsServer,
    /// `(ca-trustpoint)#`.
    Trustpoint,
    /// `(config-cp)#`.
    ControlPlane,
    /// `(config-red)#`.
    Redundancy,
    /// `(config-track)#`.
    Track,
    /// `(config-ip-sla)#`.
    IpSla,
}

impl Mode {
    /// The part of the prompt between the parentheses (`config-if`).
    pub fn prompt(self) -> &'static str {
        match self {
            Mode::Global => "config",
            Mode::Interface => "config-if",
            Mode::InterfaceRange => "config-if-range",
            Mode::Vlan => "config-vlan",
            Mode::Line => "config-line",
            Mode::Router => "config-router",
            Mode::RouterAf => "config-router-af",
            Mode::StdNacl => "config-std-nacl",
            Mode::ExtNacl => "config-ext-nacl",
            Mode::Ipv6Acl => "config-ipv6-acl",
            Mode::Archive => "config-archive",
            Mode::ArchiveLogCfg => "config-archive-log-cfg",
            Mode::Wlan => "config-wlan",
            Mode::WirelessPolicy => "config-wireless-policy",
            Mode::PolicyTag => "config-policy-tag",
            Mode::SiteTag => "config-site-tag",
            Mode::RfTag => "config-rf-tag",
            Mode::ClassMap => "config-cmap",
            Mode::PolicyMap => "config-pmap",
            Mode::PolicyMapClass => "config-pmap-c",
            Mode::RouteMap => "config-route-map",
            Mode::DhcpPool => "dhcp-config",
            Mode::Ipv6DhcpPool => "config-dhcpv6",
            Mode::Vrf => "config-vrf",
            Mode::VrfAf => "config-vrf-af",
            Mode::KeyChain => "config-keychain",
            Mode::KeyChainKey => "config-keychain-key",
            Mode::SgRadius => "config-sg-radius",
            Mode::SgTacacs => "config-sg-tacacs+",
            Mode::RadiusServer => "config-radius-server",
            Mode::TacacsServer => "config-server-tacacs",
            Mode::Trustpoint => "ca-trustpoint",
            Mode::ControlPlane => "config-cp",
            Mode::Redundancy => "config-red",
            Mode::Track => "config-track",
            Mode::IpSla => "config-ip-sla",
        }
    }

    /// The grammar of the mode. `layer3_only` selects the interface grammar of SVIs,
    /// loopbacks and tunnels, which have no switchport, spanning-tree or PoE commands.
    pub fn table(self, layer3_only: bool) -> &'static [Kw<Act>] {
        match self {
            Mode::Global => GLOBAL,
            Mode::Interface | Mode::InterfaceRange if layer3_only => IF_L3,
            Mode::Interface | Mode::InterfaceRange => IF_PHYS,
            Mode::Vlan => VLAN,
            Mode::Line => LINE,
            Mode::Router => ROUTER,
            Mode::RouterAf => ROUTER_AF,
            Mode::StdNacl => STD_NACL,
            Mode::ExtNacl => EXT_NACL,
            Mode::Ipv6Acl => IPV6_ACL,
            Mode::Archive => ARCHIVE,
            Mode::ArchiveLogCfg => ARCHIVE_LOG_CFG,
            Mode::Wlan => WLAN,
            Mode::WirelessPolicy => WIRELESS_POLICY,
            Mode::PolicyTag => POLICY_TAG,
            Mode::SiteTag => SITE_TAG,
            Mode::RfTag => RF_TAG,
            Mode::ClassMap => CLASS_MAP,
            Mode::PolicyMap => POLICY_MAP,
            Mode::PolicyMapClass => POLICY_MAP_CLASS,
            Mode::RouteMap => ROUTE_MAP,
            Mode::DhcpPool => DHCP_POOL,
            Mode::Ipv6DhcpPool => IPV6_DHCP_POOL,
            Mode::Vrf => VRF,
            Mode::VrfAf => VRF_AF,
            Mode::KeyChain => KEY_CHAIN,
            Mode::KeyChainKey => KEY_CHAIN_KEY,
            Mode::SgRadius => SG_RADIUS,
            Mode::SgTacacs => SG_TACACS,
            Mode::RadiusServer => RADIUS_SERVER,
            Mode::TacacsServer => TACACS_SERVER,
            Mode::Trustpoint => TRUSTPOINT,
            Mode::ControlPlane => CONTROL_PLANE,
            Mode::Redundancy => REDUNDANCY,
            Mode::Track => TRACK,
            Mode::IpSla => IP_SLA,
        }
    }

    /// True for access-list modes, where a line may start with a sequence number.
    pub fn is_acl(self) -> bool {
        matches!(self, Mode::StdNacl | Mode::ExtNacl | Mode::Ipv6Acl)
    }

    /// Lines a new block of this mode starts with (a new WLAN or policy profile is shut
    /// down until `no shutdown`).
    pub fn initial_children(self) -> &'static [&'static str] {
        match self {
            Mode::Wlan | Mode::WirelessPolicy => &["shutdown"],
            _ => &[],
        }
    }
}

/// What a configuration line does beyond being stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// The line is a block header: create the block and enter this mode.
    Enter(Mode),
    /// `interface X` / `interface range …`: the validator left the members in `items`.
    Interface,
    /// `vlan 10,20`: the ids are in `items` (none for `vlan internal allocation…`).
    Vlan,
    /// `line vty 0 15`.
    Line,
    /// `banner motd ^C…`: items are the banner kind and the text after it.
    Banner,
    /// `snmp-server user …`: accepted, kept out of the running configuration as IOS does.
    SnmpUser,
    /// `switchport …` with an effect beyond the line (items say which).
    Switchport,
    /// `channel-group N mode …`: creates `Port-channelN` when missing.
    ChannelGroup,
    /// `ip address …`: items hold a `Bad mask` message when the mask does not fit.
    IpAddress,
    /// `crypto key …`: an action, not configuration.
    CryptoKey,
    /// Accepted and ignored (`version 17.9` from a pasted configuration).
    Ignore,
    /// Leaves the current sub-mode (`exit-address-family`).
    Exit,
    /// `ip access-list resequence NAME START STEP`: renumbers a list's entries.
    AclResequence,
}

const fn enter(name: &'static str, next: Next<Act>, mode: Mode) -> Kw<Act> {
    Kw::act(name, next, Act::Enter(mode))
}

const fn act(name: &'static str, next: Next<Act>, action: Act) -> Kw<Act> {
    Kw::act(name, next, action)
}

// ---------------------------------------------------------------------------------------
// Global configuration.

static AAA: &[Kw<Act>] = &[
    args("accounting"),
    args("attribute"),
    args("authentication"),
    args("authorization"),
    args("cache"),
    args("common-criteria"),
    args("configuration"),
    sub(
        "group",
        &[sub(
            "server",
            &[
                args("ldap"),
                enter("radius", Next::Custom(v::one_word), Mode::SgRadius),
                enter("tacacs+", Next::Custom(v::one_word), Mode::SgTacacs),
            ],
        )],
    ),
    args("local"),
    flag("new-model"),
    args("password"),
    args("policy"),
    args("server"),
    args("session-id"),
];

static CDP_GLOBAL: &[Kw<Act>] = &[
    opt("advertise-v2"),
    args("holdtime"),
    flag("run"),
    args("source-interface"),
    args("timer"),
];

static CLOCK: &[Kw<Act>] = &[
    flag("calendar-valid"),
    args("summer-time"),
    args("timezone"),
];

static CRYPTO: &[Kw<Act>] = &[
    args("engine"),
    args("ikev2"),
    args("ipsec"),
    args("isakmp"),
    act("key", Next::Args, Act::CryptoKey),
    args("map"),
    sub(
        "pki",
        &[
            args("certificate"),
            args("import"),
            args("profile"),
            args("server"),
            enter("trustpoint", Next::Custom(v::one_word), Mode::Trustpoint),
        ],
    ),
    args("signaling"),
];

static ERRDISABLE_GLOBAL: &[Kw<Act>] = &[args("detect"), args("flap-setting"), args("recovery")];

static HTTP: &[Kw<Act>] = &[
    args("access-class"),
    opt("active-session-modules"),
    args("authentication"),
    args("client"),
    args("max-connections"),
    args("path"),
    args("port"),
    opt("secure-active-session-modules"),
    args("secure-ciphersuite"),
    args("secure-port"),
    flag("secure-server"),
    args("secure-trustpoint"),
    flag("server"),
    opt("session-module-list"),
    args("timeout-policy"),
    args("tls-version"),
];

static SSH: &[Kw<Act>] = &[
    args("authentication-retries"),
    args("break-string"),
    args("bulkmode"),
    args("client"),
    args("dh"),
    args("dscp"),
    args("logging"),
    args("maxstartups"),
    args("port"),
    args("pubkey-chain"),
    args("rsa"),
    args("server"),
    custom("source-interface", v::interface_arg),
    args("stricthostkeycheck"),
    args("time-out"),
    custom("version", v::ssh_version),
    args("window-size"),
];

static IP_DHCP_GLOBAL: &[Kw<Act>] = &[
    args("bootp"),
    opt("conflict"),
    args("excluded-address"),
    args("ping"),
    enter("pool", Next::Custom(v::one_word), Mode::DhcpPool),
    args("relay"),
    opt("snooping"),
    args("use"),
];

static IP_GLOBAL: &[Kw<Act>] = &[
    sub(
        "access-list",
        &[
            enter("extended", Next::Custom(v::one_word), Mode::ExtNacl),
            args("log-update"),
            args("logging"),
            act("resequence", Next::Args, Act::AclResequence),
            args("role-based"),
            enter("standard", Next::Custom(v::one_word), Mode::StdNacl),
        ],
    ),
    args("admission"),
    args("arp"),
    args("as-path"),
    args("bgp-community"),
    args("bootp"),
    opt("cef"),
    flag("classless"),
    args("community-list"),
    custom("default-gateway", v::ipv4_only),
    args("device"),
    sub("dhcp", IP_DHCP_GLOBAL),
    args("dns"),
    sub(
        "domain",
        &[
            args("list"),
            opt("lookup"),
            custom("name", v::one_word),
            args("timeout"),
        ],
    ),
    opt("domain-lookup"),
    custom("domain-name", v::one_word),
    args("explicit-path"),
    args("extcommunity-list"),
    opt("finger"),
    args("flow-export"),
    args("forward-protocol"),
    args("ftp"),
    opt("gratuitous-arps"),
    args("host"),
    sub("http", HTTP),
    args("icmp"),
    args("igmp"),
    args("local"),
    opt("multicast-routing"),
    args("name-server"),
    args("nat"),
    args("nbar"),
    args("options"),
    args("ospf"),
    args("pim"),
    args("prefix-list"),
    args("radius"),
    args("rcmd"),
    custom("route", v::ip_route),
    opt("routing"),
    args("scp"),
    enter("sla", Next::Args, Mode::IpSla),
    opt("source-route"),
    sub("ssh", SSH),
    flag("subnet-zero"),
    args("tacacs"),
    args("tcp"),
    args("telnet"),
    args("tftp"),
    args("vrf"),
    args("wccp"),
];

static IPV6_GLOBAL: &[Kw<Act>] = &[
    enter("access-list", Next::Custom(v::one_word), Mode::Ipv6Acl),
    opt("cef"),
    sub(
        "dhcp",
        &[
            args("guard"),
            enter("pool", Next::Custom(v::one_word), Mode::Ipv6DhcpPool),
            args("relay"),
            args("server"),
        ],
    ),
    args("general-prefix"),
    args("host"),
    args("icmp"),
    args("mld"),
    opt("multicast-routing"),
    args("nd"),
    args("neighbor"),
    args("pim"),
    args("prefix-list"),
    args("route"),
    args("router"),
    args("snooping"),
    opt("source-route"),
    opt("unicast-routing"),
];

static KEY: &[Kw<Act>] = &[
    enter("chain", Next::Custom(v::one_word), Mode::KeyChain),
    args("config-key"),
];

static LLDP_GLOBAL: &[Kw<Act>] = &[
    args("holdtime"),
    args("management-address"),
    args("reinit"),
    flag("run"),
    args("timer"),
    args("tlv-select"),
];

static LOGGING_GLOBAL: &[Kw<Act>] = &[
    flag("alarm"),
    opt("buffered"),
    opt("console"),
    opt("count"),
    args("discriminator"),
    args("event"),
    args("facility"),
    args("filter"),
    args("history"),
    args("host"),
    opt("monitor"),
    flag("on"),
    args("origin-id"),
    opt("persistent"),
    args("rate-limit"),
    args("snmp-trap"),
    custom("source-interface", v::interface_arg),
    opt("trap"),
    flag("userinfo"),
];

static LOGIN: &[Kw<Act>] = &[
    args("block-for"),
    args("delay"),
    args("on-failure"),
    args("on-success"),
    args("quiet-mode"),
];

static NTP: &[Kw<Act>] = &[
    args("access-group"),
    flag("authenticate"),
    args("authentication-key"),
    opt("logging"),
    opt("master"),
    args("max-associations"),
    args("peer"),
    args("server"),
    custom("source", v::interface_arg),
    args("trusted-key"),
    flag("update-calendar"),
];

static ROUTER_KINDS: &[Kw<Act>] = &[
    enter("bgp", Next::Args, Mode::Router),
    enter("eigrp", Next::Args, Mode::Router),
    enter("isis", Next::Opt, Mode::Router),
    enter("ospf", Next::Args, Mode::Router),
    enter("ospfv3", Next::Args, Mode::Router),
    enter("rip", Next::Flag, Mode::Router),
];

static SNMP: &[Kw<Act>] = &[
    text("chassis-id"),
    args("community"),
    text("contact"),
    args("context"),
    args("enable"),
    args("engineID"),
    args("file-transfer"),
    args("group"),
    args("host"),
    args("ifindex"),
    args("inform"),
    text("location"),
    flag("manager"),
    args("packetsize"),
    args("queue-length"),
    custom("source-interface", v::interface_arg),
    flag("system-shutdown"),
    args("tftp-server-list"),
    args("trap"),
    custom("trap-source", v::interface_arg),
    args("trap-timeout"),
    act("user", Next::Args, Act::SnmpUser),
    args("view"),
];

static STP_GLOBAL: &[Kw<Act>] = &[
    flag("backbonefast"),
    args("etherchannel"),
    sub("extend", &[flag("system-id")]),
    opt("logging"),
    opt("loopguard"),
    sub("mode", &[flag("mst"), flag("pvst"), flag("rapid-pvst")]),
    args("mst"),
    args("pathcost"),
    args("portfast"),
    args("transmit"),
    opt("uplinkfast"),
    args("vlan"),
];

static VRF_GLOBAL: &[Kw<Act>] = &[enter("definition", Next::Custom(v::one_word), Mode::Vrf)];

static VTP: &[Kw<Act>] = &[
    args("domain"),
    args("file"),
    args("interface"),
    args("mode"),
    args("password"),
    opt("pruning"),
    args("version"),
];

static WIRELESS: &[Kw<Act>] = &[
    args("aaa"),
    args("client"),
    args("config"),
    args("country"),
    args("ewc-ap"),
    args("fabric"),
    args("ipv6"),
    args("load-balancing"),
    sub("management", &[custom("interface", v::interface_arg)]),
    args("media-stream"),
    args("mobility"),
    args("multicast"),
    sub(
        "profile",
        &[
            args("airtime-fairness"),
            args("ap"),
            args("calendar"),
            args("fabric"),
            args("flex"),
            args("image-download"),
            args("mesh"),
            enter("policy", Next::Custom(v::one_word), Mode::WirelessPolicy),
            args("radio"),
        ],
    ),
    args("rf-network"),
    args("rfid"),
    args("security"),
    sub(
        "tag",
        &[
            enter("policy", Next::Custom(v::one_word), Mode::PolicyTag),
            enter("rf", Next::Custom(v::one_word), Mode::RfTag),
            enter("site", Next::Custom(v::one_word), Mode::SiteTag),
        ],
    ),
    args("wps"),
];

/// Global configuration.
pub static GLOBAL: &[Kw<Act>] = &[
    sub("aaa", AAA),
    args("access-list"),
    args("alias"),
    args("ap"),
    enter("archive", Next::Flag, Mode::Archive),
    args("arp"),
    args("authentication"),
    act("banner", Next::Custom(v::banner), Act::Banner),
    args("boot"),
    flag("boot-end-marker"),
    flag("boot-start-marker"),
    args("call-home"),
    sub("cdp", CDP_GLOBAL),
    enter("class-map", Next::Custom(v::class_map), Mode::ClassMap),
    sub("clock", CLOCK),
    enter("control-plane", Next::Opt, Mode::ControlPlane),
    sub("crypto", CRYPTO),
    args("device-tracking"),
    args("diagnostic"),
    args("dot1x"),
    custom("enable", v::enable),
    sub("errdisable", ERRDISABLE_GLOBAL),
    args("event"),
    args("file"),
    custom("hostname", v::hostname),
    act("interface", Next::Custom(v::interface), Act::Interface),
    sub("ip", IP_GLOBAL),
    sub("ipv6", IPV6_GLOBAL),
    sub("key", KEY),
    args("license"),
    act("line", Next::Custom(v::line), Act::Line),
    sub("lldp", LLDP_GLOBAL),
    sub("logging", LOGGING_GLOBAL),
    sub("login", LOGIN),
    args("mac"),
    args("memory"),
    args("mls"),
    args("monitor"),
    opt("netconf-yang"),
    sub("ntp", NTP),
    args("parameter-map"),
    args("platform"),
    enter("policy-map", Next::Custom(v::class_map), Mode::PolicyMap),
    args("port-channel"),
    args("power"),
    args("privilege"),
    sub(
        "radius",
        &[enter(
            "server",
            Next::Custom(v::one_word),
            Mode::RadiusServer,
        )],
    ),
    args("radius-server"),
    enter("redundancy", Next::Flag, Mode::Redundancy),
    flag("restconf"),
    enter("route-map", Next::Args, Mode::RouteMap),
    sub("router", ROUTER_KINDS),
    args("security"),
    args("service"),
    sub("snmp-server", SNMP),
    sub("spanning-tree", STP_GLOBAL),
    args("switch"),
    args("system"),
    sub(
        "tacacs",
        &[enter(
            "server",
            Next::Custom(v::one_word),
            Mode::TacacsServer,
        )],
    ),
    args("tacacs-server"),
    enter("track", Next::Args, Mode::Track),
    args("transceiver"),
    args("udld"),
    custom("username", v::username),
    act("version", Next::Opt, Act::Ignore),
    act("vlan", Next::Custom(v::vlan), Act::Vlan),
    sub("vrf", VRF_GLOBAL),
    sub("vtp", VTP),
    sub("wireless", WIRELESS),
    enter("wlan", Next::Custom(v::wlan), Mode::Wlan),
];

// ---------------------------------------------------------------------------------------
// Interfaces.

static IP_IF: &[Kw<Act>] = &[
    args("access-group"),
    args("accounting"),
    act("address", Next::Custom(v::ip_address), Act::IpAddress),
    args("admission"),
    sub("arp", &[sub("inspection", &[args("limit"), flag("trust")])]),
    args("authentication"),
    args("bandwidth-percent"),
    sub(
        "dhcp",
        &[
            args("client"),
            args("relay"),
            flag("smart-relay"),
            sub("snooping", &[args("limit"), flag("trust")]),
        ],
    ),
    opt("directed-broadcast"),
    args("eigrp"),
    args("flow"),
    args("hello-interval"),
    args("helper-address"),
    sub(
        "igmp",
        &[
            args("access-group"),
            args("helper-address"),
            args("join-group"),
            args("query-interval"),
            args("static-group"),
            args("version"),
        ],
    ),
    opt("information-reply"),
    args("irdp"),
    opt("local-proxy-arp"),
    opt("mask-reply"),
    opt("mroute-cache"),
    args("mtu"),
    sub("nat", &[flag("inside"), flag("outside")]),
    sub("nbar", &[flag("protocol-discovery")]),
    args("ospf"),
    sub(
        "pim",
        &[
            args("bfd"),
            flag("dense-mode"),
            args("dr-priority"),
            flag("passive"),
            args("query-interval"),
            flag("sparse-dense-mode"),
            flag("sparse-mode"),
        ],
    ),
    args("policy"),
    opt("proxy-arp"),
    opt("redirects"),
    args("rip"),
    opt("route-cache"),
    args("security"),
    opt("split-horizon"),
    opt("sticky-arp"),
    args("summary-address"),
    sub("tcp", &[args("adjust-mss"), args("header-compression")]),
    args("unnumbered"),
    opt("unreachables"),
    args("verify"),
    opt("virtual-reassembly"),
    sub(
        "vrf",
        &[args("forwarding"), args("receive"), args("sitemap")],
    ),
];

static IPV6_IF: &[Kw<Act>] = &[
    args("address"),
    sub("dhcp", &[args("client"), args("relay"), args("server")]),
    args("eigrp"),
    flag("enable"),
    args("flow"),
    args("mld"),
    args("mtu"),
    args("nd"),
    args("ospf"),
    args("pim"),
    args("policy"),
    opt("redirects"),
    args("rip"),
    args("snooping"),
    args("traffic-filter"),
    opt("unreachables"),
    args("verify"),
];

static STP_IF: &[Kw<Act>] = &[
    sub("bpdufilter", &[flag("disable"), flag("enable")]),
    sub("bpduguard", &[flag("disable"), flag("enable")]),
    args("cost"),
    sub("guard", &[flag("loop"), flag("none"), flag("root")]),
    args("link-type"),
    args("mst"),
    sub_opt(
        "portfast",
        &[
            flag("disable"),
            sub_opt("edge", &[flag("trunk")]),
            flag("network"),
            flag("trunk"),
        ],
    ),
    args("port-priority"),
    custom("vlan", v::stp_if_vlan),
];

static STORM_CONTROL: &[Kw<Act>] = &[
    args("action"),
    args("broadcast"),
    args("multicast"),
    args("unicast"),
];

/// Interface configuration of a hardware port or a port-channel.
pub static IF_PHYS: &[Kw<Act>] = &[
    sub(
        "access-session",
        &[
            flag("closed"),
            args("control-direction"),
            args("host-mode"),
            args("interface-template"),
            args("port-control"),
        ],
    ),
    sub("arp", &[args("inspection"), args("timeout")]),
    sub(
        "authentication",
        &[
            args("control-direction"),
            args("event"),
            args("fallback"),
            args("host-mode"),
            flag("open"),
            args("order"),
            flag("periodic"),
            args("port-control"),
            args("priority"),
            args("timer"),
            args("violation"),
        ],
    ),
    args("auto"),
    args("bandwidth"),
    args("carrier-delay"),
    sub("cdp", &[flag("enable"), args("tlv")]),
    act(
        "channel-group",
        Next::Custom(v::channel_group),
        Act::ChannelGroup,
    ),
    args("channel-protocol"),
    args("datalink"),
    args("delay"),
    text("description"),
    sub_opt("device-tracking", &[args("attach-policy"), args("vlan")]),
    sub(
        "dot1x",
        &[
            args("authenticator"),
            args("credentials"),
            args("max-reauth-req"),
            args("max-req"),
            args("pae"),
            args("supplicant"),
            args("timeout"),
        ],
    ),
    args("duplex"),
    args("encapsulation"),
    sub("errdisable", &[args("detect")]),
    args("flowcontrol"),
    args("hold-queue"),
    sub("ip", IP_IF),
    sub("ipv6", IPV6_IF),
    opt("keepalive"),
    args("lacp"),
    args("link"),
    sub(
        "lldp",
        &[
            args("med-tlv-select"),
            flag("receive"),
            args("tlv-select"),
            flag("transmit"),
        ],
    ),
    args("load-interval"),
    sub("logging", &[args("event")]),
    opt("mab"),
    custom("mac-address", v::mac_arg),
    args("macro"),
    args("media-type"),
    sub(
        "mls",
        &[sub(
            "qos",
            &[args("cos"), args("trust"), flag("vlan-based")],
        )],
    ),
    args("mtu"),
    args("negotiation"),
    args("nmsp"),
    sub("power", &[args("efficient-ethernet"), args("inline")]),
    args("priority-queue"),
    args("queue-set"),
    args("service-policy"),
    flag("shutdown"),
    args("small-frame"),
    sub("snmp", &[args("trap")]),
    args("source"),
    sub("spanning-tree", STP_IF),
    args("speed"),
    args("srr-queue"),
    args("standby"),
    sub("storm-control", STORM_CONTROL),
    act("switchport", Next::Custom(v::switchport), Act::Switchport),
    args("trust"),
    sub("udld", &[args("port")]),
    sub("vrf", &[args("forwarding")]),
    args("vrrp"),
    flag("vtp"),
];

/// Interface configuration of an SVI, a loopback or a tunnel.
pub static IF_L3: &[Kw<Act>] = &[
    sub("arp", &[args("timeout")]),
    opt("autostate"),
    args("bandwidth"),
    args("carrier-delay"),
    args("delay"),
    text("description"),
    args("hold-queue"),
    sub("ip", IP_IF),
    sub("ipv6", IPV6_IF),
    opt("keepalive"),
    args("load-interval"),
    sub("logging", &[args("event")]),
    custom("mac-address", v::mac_arg),
    args("mtu"),
    args("service-policy"),
    flag("shutdown"),
    sub("snmp", &[args("trap")]),
    args("standby"),
    args("tunnel"),
    sub("vrf", &[args("forwarding")]),
    args("vrrp"),
];

// ---------------------------------------------------------------------------------------
// Other sub-modes.

static VLAN: &[Kw<Act>] = &[
    args("are"),
    args("backupcrf"),
    args("bridge"),
    args("media"),
    args("mtu"),
    custom("name", v::vlan_name),
    args("parent"),
    args("private-vlan"),
    flag("remote-span"),
    args("ring"),
    args("said"),
    flag("shutdown"),
    sub("state", &[flag("active"), flag("suspend")]),
    args("ste"),
    args("stp"),
];

static LINE: &[Kw<Act>] = &[
    args("absolute-timeout"),
    args("access-class"),
    args("accounting"),
    flag("activation-character"),
    args("authorization"),
    args("autocommand"),
    args("databits"),
    opt("escape-character"),
    opt("exec"),
    flag("exec-banner"),
    custom("exec-timeout", v::exec_timeout),
    args("flowcontrol"),
    args("history"),
    sub("ipv6", &[args("access-class")]),
    args("length"),
    text("location"),
    sub("logging", &[opt("synchronous")]),
    sub_opt("login", &[args("authentication"), flag("local")]),
    flag("motd-banner"),
    flag("notify"),
    args("parity"),
    args("password"),
    sub("privilege", &[args("level")]),
    args("session-disconnect-warning"),
    args("session-timeout"),
    args("speed"),
    args("stopbits"),
    args("terminal-type"),
    sub(
        "transport",
        &[
            custom("input", v::transport),
            custom("output", v::transport),
            custom("preferred", v::transport),
        ],
    ),
    args("width"),
];

static ROUTER: &[Kw<Act>] = &[
    enter("address-family", Next::Args, Mode::RouterAf),
    args("area"),
    args("auto-cost"),
    flag("auto-summary"),
    args("bfd"),
    args("bgp"),
    args("capability"),
    args("compatible"),
    args("default-information"),
    args("default-metric"),
    args("distance"),
    args("distribute-list"),
    args("eigrp"),
    args("graceful-restart"),
    args("ispf"),
    opt("log-adjacency-changes"),
    args("max-metric"),
    args("maximum-paths"),
    args("metric"),
    args("neighbor"),
    args("network"),
    opt("nsf"),
    args("offset-list"),
    args("passive-interface"),
    args("prefix-suppression"),
    args("redistribute"),
    args("router-id"),
    flag("shutdown"),
    args("summary-address"),
    flag("synchronization"),
    args("timers"),
    args("variance"),
    args("version"),
];

static ROUTER_AF: &[Kw<Act>] = &[
    args("aggregate-address"),
    flag("auto-summary"),
    args("bgp"),
    args("default-information"),
    args("default-metric"),
    args("distance"),
    act("exit-address-family", Next::Flag, Act::Exit),
    args("maximum-paths"),
    args("neighbor"),
    args("network"),
    args("redistribute"),
    flag("synchronization"),
];

static STD_NACL: &[Kw<Act>] = &[
    custom("deny", v::acl_standard),
    custom("permit", v::acl_standard),
    text("remark"),
];

static EXT_NACL: &[Kw<Act>] = &[
    custom("deny", v::acl_extended),
    args("dynamic"),
    args("evaluate"),
    custom("permit", v::acl_extended),
    text("remark"),
];

static IPV6_ACL: &[Kw<Act>] = &[
    args("deny"),
    args("permit"),
    text("remark"),
    args("sequence"),
];

static ARCHIVE: &[Kw<Act>] = &[
    sub("log", &[enter("config", Next::Flag, Mode::ArchiveLogCfg)]),
    args("maximum"),
    args("path"),
    args("rollback"),
    args("time-period"),
    flag("write-memory"),
];

static ARCHIVE_LOG_CFG: &[Kw<Act>] = &[
    flag("hidekeys"),
    sub(
        "logging",
        &[flag("enable"), args("persistent"), args("size")],
    ),
    sub("notify", &[args("syslog")]),
    args("record"),
];

static WLAN: &[Kw<Act>] = &[
    args("accounting-list"),
    args("assisted-roaming"),
    flag("band-select"),
    flag("broadcast-ssid"),
    flag("call-snoop"),
    args("ccx"),
    args("chd"),
    args("client"),
    args("dot11ax"),
    args("dot11be"),
    args("dtim"),
    args("exclusionlist"),
    sub("ip", &[args("access-group"), args("flow"), args("verify")]),
    flag("load-balance"),
    opt("mac-filtering"),
    args("max-associated-clients"),
    flag("mobility"),
    flag("nac"),
    args("peer-blocking"),
    sub("radio", &[args("policy")]),
    sub(
        "security",
        &[
            args("dot1x"),
            args("ft"),
            args("pmf"),
            args("static-wep-key"),
            args("web-auth"),
            opt("wpa"),
        ],
    ),
    args("session-timeout"),
    flag("shutdown"),
    args("wifi6"),
];

static WIRELESS_POLICY: &[Kw<Act>] = &[
    flag("aaa-override"),
    args("accounting-list"),
    args("autoqos"),
    args("central"),
    text("description"),
    flag("dhcp-tlv-caching"),
    args("exclusionlist"),
    flag("http-tlv-caching"),
    args("idle-timeout"),
    args("ipv4"),
    args("ipv6"),
    flag("nac"),
    flag("passive-client"),
    flag("radius-profiling"),
    args("service-policy"),
    args("session-timeout"),
    flag("shutdown"),
    args("vlan"),
];

static POLICY_TAG: &[Kw<Act>] = &[text("description"), args("wlan")];

static SITE_TAG: &[Kw<Act>] = &[
    args("ap-profile"),
    text("description"),
    args("flex-profile"),
    args("local-site"),
];

static RF_TAG: &[Kw<Act>] = &[
    args("24ghz-rf-policy"),
    args("5ghz-rf-policy"),
    args("6ghz-rf-policy"),
    text("description"),
];

static CLASS_MAP: &[Kw<Act>] = &[text("description"), args("match")];

static POLICY_MAP: &[Kw<Act>] = &[
    enter("class", Next::Args, Mode::PolicyMapClass),
    text("description"),
];

static POLICY_MAP_CLASS: &[Kw<Act>] = &[
    args("bandwidth"),
    flag("drop"),
    opt("fair-queue"),
    args("police"),
    args("priority"),
    args("queue-buffers"),
    args("queue-limit"),
    args("random-detect"),
    args("service-policy"),
    args("set"),
    args("shape"),
    args("trust"),
];

static ROUTE_MAP: &[Kw<Act>] = &[
    opt("continue"),
    text("description"),
    args("match"),
    args("set"),
];

static DHCP_POOL: &[Kw<Act>] = &[
    args("bootfile"),
    args("class"),
    args("client-identifier"),
    args("default-router"),
    args("dns-server"),
    args("domain-name"),
    args("hardware-address"),
    args("host"),
    args("lease"),
    args("netbios-name-server"),
    args("netbios-node-type"),
    args("network"),
    args("next-server"),
    args("option"),
    args("relay"),
];

static IPV6_DHCP_POOL: &[Kw<Act>] = &[
    args("address"),
    args("dns-server"),
    args("domain-name"),
    args("link-address"),
    args("prefix-delegation"),
];

static VRF: &[Kw<Act>] = &[
    enter("address-family", Next::Args, Mode::VrfAf),
    text("description"),
    args("rd"),
    args("route-target"),
    args("vpn"),
];

static VRF_AF: &[Kw<Act>] = &[
    act("exit-address-family", Next::Flag, Act::Exit),
    args("export"),
    args("import"),
    args("route-target"),
];

static KEY_CHAIN: &[Kw<Act>] = &[enter("key", Next::Args, Mode::KeyChainKey)];

static KEY_CHAIN_KEY: &[Kw<Act>] = &[
    args("accept-lifetime"),
    args("cryptographic-algorithm"),
    text("key-string"),
    args("send-lifetime"),
];

static SG_RADIUS: &[Kw<Act>] = &[
    args("deadtime"),
    args("ip"),
    args("load-balance"),
    args("server"),
];

static SG_TACACS: &[Kw<Act>] = &[args("ip"), args("server"), args("timeout")];

static RADIUS_SERVER: &[Kw<Act>] = &[
    args("address"),
    args("automate-tester"),
    args("key"),
    args("pac"),
    args("retransmit"),
    args("timeout"),
];

static TACACS_SERVER: &[Kw<Act>] = &[
    args("address"),
    args("key"),
    args("port"),
    flag("single-connection"),
    args("timeout"),
];

static TRUSTPOINT: &[Kw<Act>] = &[
    args("auto-enroll"),
    args("eku"),
    args("enrollment"),
    args("fqdn"),
    args("hash"),
    opt("ip-address"),
    args("revocation-check"),
    args("rsakeypair"),
    opt("serial-number"),
    args("source"),
    args("subject-alt-name"),
    text("subject-name"),
    args("usage"),
    args("vrf"),
];

static CONTROL_PLANE: &[Kw<Act>] = &[args("service-policy")];

static REDUNDANCY: &[Kw<Act>] = &[args("mode")];

static TRACK: &[Kw<Act>] = &[
    args("default-state"),
    args("delay"),
    args("ip"),
    args("object"),
];

static IP_SLA: &[Kw<Act>] = &[
    args("frequency"),
    args("history"),
    args("http"),
    args("icmp-echo"),
    args("request-data-size"),
    args("tag"),
    args("threshold"),
    args("timeout"),
    args("tos"),
    args("udp-echo"),
    args("udp-jitter"),
    args("vrf"),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every table lists each keyword once, in lower case: a duplicate would make both
    /// ambiguous, an upper-case one unreachable.
    #[test]
    fn tables_are_well_formed() {
        fn check(table: &'static [Kw<Act>], path: &str) {
            let mut seen = std::collections::HashSet::new();
            for kw in table {
                assert!(seen.insert(kw.name), "{path} {} twice", kw.name);
                assert!(
                    kw.name != "no" && kw.name != "default" && kw.name != "do",
                    "{path} {} is handled by the engine",
                    kw.name
                );
                if let Next::Sub(next) | Next::SubOpt(next) = kw.next {
                    check(next, &format!("{path} {}", kw.name));
                }
            }
        }
        let modes = [
            Mode::Global,
            Mode::Interface,
            Mode::Vlan,
            Mode::Line,
            Mode::Router,
            Mode::RouterAf,
            Mode::StdNacl,
            Mode::ExtNacl,
            Mode::Ipv6Acl,
            Mode::Archive,
            Mode::ArchiveLogCfg,
            Mode::Wlan,
            Mode::WirelessPolicy,
            Mode::PolicyTag,
            Mode::SiteTag,
            Mode::RfTag,
            Mode::ClassMap,
            Mode::PolicyMap,
            Mode::PolicyMapClass,
            Mode::RouteMap,
            Mode::DhcpPool,
            Mode::Ipv6DhcpPool,
            Mode::Vrf,
            Mode::VrfAf,
            Mode::KeyChain,
            Mode::KeyChainKey,
            Mode::SgRadius,
            Mode::SgTacacs,
            Mode::RadiusServer,
            Mode::TacacsServer,
            Mode::Trustpoint,
            Mode::ControlPlane,
            Mode::Redundancy,
            Mode::Track,
            Mode::IpSla,
        ];
        for mode in modes {
            check(mode.table(false), mode.prompt());
            check(mode.table(true), mode.prompt());
        }
    }
}
