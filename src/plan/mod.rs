//! The addressing plan, pure: validation of sites, VLANs and subnets, the addresses assets
//! use, utilisation per subnet, and "next free address in VLAN users". No I/O here: inputs
//! are the loaded inventory, outputs are diagnostics and numbers, so every rule is a
//! `check(input, expected)` test.

use crate::diag::{Diagnostic, Diagnostics, SourceLocation};
use crate::inventory::{Inventory, Located, Site, Subnet, Vlan};
use crate::ypath;
use ipnetwork::IpNetwork;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An address as a number, so ranges are plain integer intervals for both families.
fn to_number(address: IpAddr) -> u128 {
    match address {
        IpAddr::V4(v4) => u32::from(v4) as u128,
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn from_number(number: u128, ipv4: bool) -> IpAddr {
    if ipv4 {
        IpAddr::V4(Ipv4Addr::from(number as u32))
    } else {
        IpAddr::V6(Ipv6Addr::from(number))
    }
}

/// First and last address of a prefix, as numbers (host bits ignored).
fn bounds(prefix: &IpNetwork) -> (u128, u128) {
    let bits: u32 = if prefix.is_ipv4() { 32 } else { 128 };
    let host_bits = bits - u32::from(prefix.prefix());
    let start = to_number(prefix.network());
    let span = if host_bits >= 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    (start, start.saturating_add(span))
}

/// The addresses of a subnet that can be given to a host: without network and broadcast for
/// IPv4 prefixes up to /30, without the subnet-router anycast (the all-zero host) for IPv6.
pub fn host_range(prefix: &IpNetwork) -> (u128, u128) {
    let (first, last) = bounds(prefix);
    match prefix {
        IpNetwork::V4(v4) if v4.prefix() <= 30 => (first + 1, last - 1),
        IpNetwork::V4(_) => (first, last),
        IpNetwork::V6(v6) if v6.prefix() < 128 => (first + 1, last),
        IpNetwork::V6(_) => (first, last),
    }
}

/// True when `address` is the network or broadcast address of an IPv4 prefix up to /30.
fn is_network_or_broadcast(prefix: &IpNetwork, address: IpAddr) -> Option<&'static str> {
    if let IpNetwork::V4(v4) = prefix
        && v4.prefix() <= 30
    {
        if address == prefix.network() {
            return Some("network");
        }
        if address == prefix.broadcast() {
            return Some("broadcast");
        }
    }
    None
}

fn same_family(a: IpAddr, b: IpAddr) -> bool {
    a.is_ipv4() == b.is_ipv4()
}

/// Validate every site: VLAN ids and names, prefixes, gateways, pools, reservations, and
/// overlaps inside each routing domain.
pub fn validate_sites(sites: &[Located<Site>]) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    let mut site_names: HashMap<&str, SourceLocation> = HashMap::new();
    // (routing domain, family, start, end, label, location) of every subnet.
    let mut spans: Vec<(String, bool, u128, u128, String, SourceLocation)> = Vec::new();
    for site in sites {
        let name = site.value.site.as_str();
        if let Some(first) = site_names.get(name) {
            diagnostics.push(
                Diagnostic::error(
                    "plan.duplicate-site",
                    format!("site `{name}` is defined twice"),
                )
                .at(site.origin.locate(&ypath!["site"]))
                .hint(format!("the first definition is at {first}")),
            );
        } else {
            site_names.insert(name, site.origin.locate(&ypath!["site"]));
        }
        let mut ids: HashMap<u32, SourceLocation> = HashMap::new();
        let mut names: HashMap<&str, SourceLocation> = HashMap::new();
        for (vi, vlan) in site.value.vlans.iter().enumerate() {
            let id_at = site.origin.locate(&ypath!["vlans", vi, "id"]);
            if !(1..=4094).contains(&vlan.id) {
                diagnostics.push(
                    Diagnostic::error(
                        "plan.vlan-id-range",
                        format!("VLAN `{}` has id {}, outside 1–4094", vlan.name, vlan.id),
                    )
                    .at(id_at.clone())
                    .expected("an 802.1Q VLAN id from 1 to 4094")
                    .hint("0 and 4095 are reserved by 802.1Q"),
                );
            }
            match ids.get(&vlan.id) {
                Some(first) => diagnostics.push(
                    Diagnostic::error(
                        "plan.duplicate-vlan-id",
                        format!("VLAN id {} is used twice in site `{name}`", vlan.id),
                    )
                    .at(id_at)
                    .hint(format!("the first use is at {first}")),
                ),
                None => {
                    ids.insert(vlan.id, id_at);
                }
            }
            let name_at = site.origin.locate(&ypath!["vlans", vi, "name"]);
            match names.get(vlan.name.as_str()) {
                Some(first) => diagnostics.push(
                    Diagnostic::error(
                        "plan.duplicate-vlan-name",
                        format!("VLAN name `{}` is used twice in site `{name}`", vlan.name),
                    )
                    .at(name_at)
                    .hint(format!("the first use is at {first}")),
                ),
                None => {
                    names.insert(vlan.name.as_str(), name_at);
                }
            }
            for (si, subnet) in vlan.subnets.iter().enumerate() {
                validate_subnet(site, vi, si, subnet, &mut diagnostics);
                let (start, end) = bounds(&subnet.prefix.0);
                spans.push((
                    site.value.routing_domain.clone(),
                    subnet.prefix.0.is_ipv4(),
                    start,
                    end,
                    format!("{} (site {name}, VLAN {})", subnet.prefix.0, vlan.name),
                    site.origin
                        .locate(&ypath!["vlans", vi, "subnets", si, "prefix"]),
                ));
            }
        }
    }
    spans.sort_by(|a, b| {
        (&a.0, a.1, a.2, std::cmp::Reverse(a.3)).cmp(&(&b.0, b.1, b.2, std::cmp::Reverse(b.3)))
    });
    // Sweep: remember the subnet reaching furthest; anything starting before its end overlaps.
    let mut widest: Option<usize> = None;
    for index in 0..spans.len() {
        if let Some(w) = widest {
            let (domain, family, _, end, label, location) = &spans[w];
            let current = &spans[index];
            if *domain == current.0 && *family == current.1 && current.2 <= *end {
                diagnostics.push(
                    Diagnostic::error(
                        "plan.subnet-overlap",
                        format!("subnet {} overlaps {label}", current.4),
                    )
                    .at(current.5.clone())
                    .expected(format!(
                        "subnets that do not overlap within routing domain `{domain}`"
                    ))
                    .hint(format!(
                        "the other subnet is at {location}; renumber one of them, or put the \
                         sites in different `routing_domain`s if they never route to each other"
                    )),
                );
                if current.3 > *end {
                    widest = Some(index);
                }
                continue;
            }
        }
        widest = Some(index);
    }
    diagnostics
}

fn validate_subnet(
    site: &Located<Site>,
    vi: usize,
    si: usize,
    subnet: &Subnet,
    diagnostics: &mut Diagnostics,
) {
    let prefix = subnet.prefix.0;
    let at = |sub: &[crate::yaml::PathSegment]| {
        let mut path = ypath!["vlans", vi, "subnets", si].to_vec();
        path.extend_from_slice(sub);
        site.origin.locate(&path)
    };
    if prefix.ip() != prefix.network() {
        diagnostics.push(
            Diagnostic::error(
                "plan.prefix-host-bits",
                format!("prefix {prefix} has host bits set"),
            )
            .at(at(&ypath!["prefix"]))
            .expected(format!(
                "the network address: {}/{}",
                prefix.network(),
                prefix.prefix()
            ))
            .hint(format!(
                "did you mean {}/{}?",
                prefix.network(),
                prefix.prefix()
            )),
        );
    }
    let (first, last) = bounds(&prefix);
    let inside = |address: IpAddr| {
        same_family(address, prefix.ip()) && (first..=last).contains(&to_number(address))
    };
    if let Some(gateway) = subnet.gateway {
        if !inside(gateway) {
            diagnostics.push(
                Diagnostic::error(
                    "plan.gateway-outside-subnet",
                    format!("gateway {gateway} is outside its subnet {prefix}"),
                )
                .at(at(&ypath!["gateway"]))
                .expected(format!("an address inside {prefix}"))
                .hint(
                    "fix the gateway or the prefix; usually the gateway is the first or last host",
                ),
            );
        } else if let Some(which) = is_network_or_broadcast(&prefix, gateway) {
            diagnostics.push(
                Diagnostic::error(
                    "plan.gateway-reserved-address",
                    format!("gateway {gateway} is the {which} address of {prefix}"),
                )
                .at(at(&ypath!["gateway"]))
                .expected(format!("a host address of {prefix}"))
                .hint("the network and broadcast addresses cannot be given to a router"),
            );
        }
    }
    for (pi, pool) in subnet.dhcp.iter().enumerate() {
        let pool_at = at(&ypath!["dhcp", pi]);
        if !inside(pool.start) || !inside(pool.end) {
            diagnostics.push(
                Diagnostic::error(
                    "plan.dhcp-outside-subnet",
                    format!("DHCP pool {pool} is not inside its subnet {prefix}"),
                )
                .at(pool_at)
                .expected(format!("a range inside {prefix}")),
            );
            continue;
        }
        for (which, address) in [
            ("network", Some(prefix.network())),
            ("broadcast", prefix.is_ipv4().then(|| prefix.broadcast())),
            ("gateway", subnet.gateway),
        ] {
            if let Some(address) = address
                && pool.contains(address)
                && (which == "gateway" || is_network_or_broadcast(&prefix, address).is_some())
            {
                diagnostics.push(
                    Diagnostic::error(
                        "plan.dhcp-includes-reserved",
                        format!("DHCP pool {pool} includes the {which} address {address}"),
                    )
                    .at(pool_at.clone())
                    .hint(format!("shrink the pool so it leaves {address} out")),
                );
            }
        }
        for (pj, other) in subnet.dhcp.iter().enumerate().skip(pi + 1) {
            if pool.overlaps(other) {
                diagnostics.push(
                    Diagnostic::error(
                        "plan.dhcp-overlap",
                        format!("DHCP pools {pool} and {other} overlap"),
                    )
                    .at(at(&ypath!["dhcp", pj])),
                );
            }
        }
    }
    for (ri, reservation) in subnet.reserved.iter().enumerate() {
        let range = reservation.range;
        let reserved_at = at(&ypath!["reserved", ri, "range"]);
        if !inside(range.start) || !inside(range.end) {
            diagnostics.push(
                Diagnostic::error(
                    "plan.reserved-outside-subnet",
                    format!("reserved range {range} is not inside its subnet {prefix}"),
                )
                .at(reserved_at)
                .expected(format!("a range inside {prefix}")),
            );
            continue;
        }
        if let Some(pool) = subnet.dhcp.iter().find(|pool| pool.overlaps(&range)) {
            diagnostics.push(
                Diagnostic::error(
                    "plan.reserved-in-dhcp",
                    format!("reserved range {range} lies inside DHCP pool {pool}"),
                )
                .at(reserved_at)
                .hint("a DHCP server would lease those addresses anyway: move the reservation out of the pool, or shrink the pool"),
            );
        }
    }
}

/// Where an asset's address belongs in the plan.
#[derive(Debug, Clone)]
pub struct Placement<'a> {
    /// The site.
    pub site: &'a Located<Site>,
    /// The VLAN.
    pub vlan: &'a Vlan,
    /// The subnet holding the address.
    pub subnet: &'a Subnet,
}

/// Find the VLAN and subnet of an address at a site: the named VLAN if given, else the
/// subnet containing it.
pub fn place<'a>(
    site: &'a Located<Site>,
    vlan_name: Option<&str>,
    address: IpAddr,
) -> Option<Placement<'a>> {
    site.value
        .vlans
        .iter()
        .filter(|vlan| vlan_name.is_none_or(|name| vlan.name == name))
        .find_map(|vlan| {
            vlan.subnets
                .iter()
                .find(|subnet| {
                    same_family(address, subnet.prefix.0.ip()) && subnet.prefix.0.contains(address)
                })
                .map(|subnet| Placement { site, vlan, subnet })
        })
}

/// Where an address in use comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressUse {
    /// An asset's own (management) address.
    Asset,
    /// A routed port's address.
    RoutedPort,
    /// A VPN client's tunnel address.
    VpnPeer,
    /// A VPN gateway's own tunnel address.
    VpnTunnel,
}

/// One address the inventory gives out, with everything the rules need.
#[derive(Debug, Clone)]
pub struct UsedAddress<'a> {
    /// The address.
    pub address: IpAddr,
    /// Who holds it, as shown in messages (`sw1`, `fw1 Gi0/1`, `vpn1 peer laptop-3`).
    pub holder: String,
    /// The asset it belongs to.
    pub asset: &'a str,
    /// The site whose plan it must fit.
    pub site: &'a str,
    /// The VLAN it must be in, when the inventory says.
    pub vlan: Option<&'a str>,
    /// The entity it is written in.
    pub origin: &'a crate::inventory::Origin,
    /// Its path below the entity (located only when a finding needs it).
    pub path: crate::yaml::YamlPath,
    /// The field, as a path below the asset (`vpn.peers[2].address`).
    pub field: String,
    /// Which kind of use.
    pub usage: AddressUse,
    /// Routers, firewalls, layer-3 switches and VPN gateways may hold their subnet's
    /// gateway address: they are the gateway.
    pub may_be_gateway: bool,
}

impl UsedAddress<'_> {
    /// Where it is written.
    pub fn location(&self) -> SourceLocation {
        self.origin.locate(&self.path)
    }
}

/// Every address the inventory gives out: assets' addresses, routed ports, VPN peers.
pub fn used_addresses(inventory: &Inventory) -> Vec<UsedAddress<'_>> {
    use crate::inventory::AssetKind;
    let mut used = Vec::new();
    for asset in &inventory.assets {
        let a = &asset.value;
        let routing = matches!(
            a.kind,
            AssetKind::Router | AssetKind::Firewall | AssetKind::Switch | AssetKind::VpnGateway
        );
        if let Some(address) = a.address {
            used.push(UsedAddress {
                address,
                holder: a.name.clone(),
                asset: &a.name,
                site: &a.site,
                vlan: a.vlan.as_deref(),
                origin: &asset.origin,
                path: ypath!["address"].to_vec(),
                field: String::from("address"),
                usage: AddressUse::Asset,
                may_be_gateway: routing,
            });
        }
        for (index, interface) in a.interfaces.iter().enumerate() {
            let Some(Ok(network)) = interface.address.as_deref().map(str::parse::<IpNetwork>)
            else {
                continue; // a malformed routed address is reported by `validate_interfaces`
            };
            used.push(UsedAddress {
                address: network.ip(),
                holder: format!("{} {}", a.name, interface.name),
                asset: &a.name,
                site: &a.site,
                vlan: None,
                origin: &asset.origin,
                path: ypath!["interfaces", index, "address"].to_vec(),
                field: format!("interfaces[{index}].address"),
                usage: AddressUse::RoutedPort,
                may_be_gateway: routing,
            });
        }
        if let Some(vpn) = &a.vpn {
            if let Ok(network) = vpn.tunnel_address.parse::<IpNetwork>() {
                used.push(UsedAddress {
                    address: network.ip(),
                    holder: format!("{} tunnel", a.name),
                    asset: &a.name,
                    site: &a.site,
                    vlan: Some(&vpn.client_vlan),
                    origin: &asset.origin,
                    path: ypath!["vpn", "tunnel_address"].to_vec(),
                    field: String::from("vpn.tunnel_address"),
                    usage: AddressUse::VpnTunnel,
                    may_be_gateway: true,
                });
            }
            for (index, peer) in vpn.peers.iter().enumerate() {
                used.push(UsedAddress {
                    address: peer.address,
                    holder: format!("{} peer {}", a.name, peer.name),
                    asset: &a.name,
                    site: &a.site,
                    vlan: Some(&vpn.client_vlan),
                    origin: &asset.origin,
                    path: ypath!["vpn", "peers", index, "address"].to_vec(),
                    field: format!("vpn.peers[{index}].address"),
                    usage: AddressUse::VpnPeer,
                    may_be_gateway: false,
                });
            }
        }
        // A workstation's own peer belongs to its gateway's site and client VLAN.
        if let Some(client) = &a.vpn_client
            && let Some(gateway) = inventory
                .assets
                .iter()
                .find(|g| g.value.name == client.gateway)
            && let Some(vpn) = &gateway.value.vpn
        {
            used.push(UsedAddress {
                address: client.address,
                holder: format!("{} peer {}", client.gateway, a.name),
                asset: &a.name,
                site: &gateway.value.site,
                vlan: Some(&vpn.client_vlan),
                origin: &asset.origin,
                path: ypath!["vpn_client", "address"].to_vec(),
                field: String::from("vpn_client.address"),
                usage: AddressUse::VpnPeer,
                may_be_gateway: false,
            });
        }
    }
    used
}

fn is_interface_address(text: &str) -> bool {
    text.contains('/') && text.parse::<IpNetwork>().is_ok()
}

/// Routed ports and tunnels carry `address/length`; check the form before the plan rules
/// use it.
fn validate_interfaces(inventory: &Inventory, diagnostics: &mut Diagnostics) {
    for asset in &inventory.assets {
        if let Some(vpn) = &asset.value.vpn
            && !is_interface_address(&vpn.tunnel_address)
        {
            diagnostics.push(
                Diagnostic::error(
                    "plan.bad-interface-address",
                    format!(
                        "the tunnel address `{}` of `{}` is not address/length",
                        vpn.tunnel_address, asset.value.name
                    ),
                )
                .at(asset.origin.locate(&ypath!["vpn", "tunnel_address"]))
                .asset(&asset.value.name)
                .field("vpn.tunnel_address")
                .expected("an address with its prefix length, e.g. 10.10.200.1/24"),
            );
        }
        for (index, interface) in asset.value.interfaces.iter().enumerate() {
            let Some(text) = &interface.address else {
                continue;
            };
            if !is_interface_address(text) {
                diagnostics.push(
                    Diagnostic::error(
                        "plan.bad-interface-address",
                        format!("interface {} of `{}` has address `{text}`, which is not address/length", interface.name, asset.value.name),
                    )
                    .at(asset.origin.locate(&ypath!["interfaces", index, "address"]))
                    .asset(&asset.value.name)
                    .field(format!("interfaces[{index}].address"))
                    .expected("an address with its prefix length, e.g. 10.10.250.2/29"),
                );
            }
        }
    }
}

/// Validate every address the inventory gives out against the plan: inside its VLAN, not a
/// network, broadcast or (unless it is a router) gateway address, not inside a DHCP pool,
/// never given twice in a routing domain.
pub fn validate_asset_addresses(inventory: &Inventory) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    validate_interfaces(inventory, &mut diagnostics);
    let mut seen: HashMap<(String, IpAddr), UsedAddress<'_>> = HashMap::new();
    for used in used_addresses(inventory) {
        let address = used.address;
        let holder = &used.holder;
        let Some(site) = inventory.site(used.site) else {
            continue; // reported as an unknown site by the reference checks
        };
        if let Some(name) = used.vlan
            && !site.value.vlans.iter().any(|vlan| vlan.name == name)
        {
            continue; // reported as an unknown VLAN by the reference checks
        }
        let located = |d: Diagnostic| {
            d.at(used.location())
                .asset(used.asset)
                .field(used.field.clone())
        };
        let key = (site.value.routing_domain.clone(), address);
        match seen.get(&key) {
            Some(other) => diagnostics.push(located(
                Diagnostic::error(
                    "plan.duplicate-address",
                    format!(
                        "address {address} of `{holder}` is also used by `{}`",
                        other.holder
                    ),
                )
                .hint(format!(
                    "`{}` has it at {}; `netparc plan next-free` gives a free one",
                    other.holder,
                    other.location()
                )),
            )),
            None => {
                seen.insert(key, used.clone());
            }
        }
        let Some(placement) = place(site, used.vlan, address) else {
            let message = match used.vlan {
                Some(name) => format!(
                    "address {address} of `{holder}` is outside the subnets of VLAN `{name}`"
                ),
                None => format!(
                    "address {address} of `{holder}` is in no subnet of site `{}`",
                    site.value.site
                ),
            };
            let expected = match used
                .vlan
                .and_then(|name| site.value.vlans.iter().find(|v| v.name == name))
            {
                Some(vlan) => format!(
                    "an address in {}",
                    vlan.subnets
                        .iter()
                        .map(|s| s.prefix.to_string())
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
                None => String::from("an address in one of the site's subnets"),
            };
            diagnostics.push(located(
                Diagnostic::error("plan.address-outside-vlan", message).expected(expected),
            ));
            continue;
        };
        let prefix = placement.subnet.prefix.0;
        if let Some(which) = is_network_or_broadcast(&prefix, address) {
            diagnostics.push(located(Diagnostic::error(
                "plan.address-reserved",
                format!("address {address} of `{holder}` is the {which} address of {prefix}"),
            )));
        } else if placement.subnet.gateway == Some(address) && !used.may_be_gateway {
            diagnostics.push(located(
                Diagnostic::error(
                    "plan.address-reserved",
                    format!("address {address} of `{holder}` is the gateway of {prefix}"),
                )
                .hint("an address in two places: give it another one (only a router, firewall, layer-3 switch or VPN gateway may hold its subnet's gateway address)"),
            ));
        }
        if let Some(pool) = placement
            .subnet
            .dhcp
            .iter()
            .find(|pool| pool.contains(address))
        {
            diagnostics.push(located(
                Diagnostic::error(
                    "plan.static-in-dhcp",
                    format!("static address {address} of `{holder}` lies inside DHCP pool {pool}"),
                )
                .hint("the DHCP server could lease it to another client: pick an address outside the pool (`netparc plan next-free`)"),
            ));
        }
    }
    diagnostics
}

/// How full one subnet is.
#[derive(Debug, Clone, Serialize)]
pub struct SubnetUsage {
    /// Site name.
    pub site: String,
    /// VLAN id.
    pub vlan_id: u32,
    /// VLAN name.
    pub vlan: String,
    /// VLAN purpose.
    pub purpose: crate::inventory::VlanPurpose,
    /// The prefix.
    pub prefix: String,
    /// Gateway, if any.
    pub gateway: Option<IpAddr>,
    /// Addresses a host can have.
    pub size: u128,
    /// Of those, in DHCP pools.
    pub dhcp: u128,
    /// Of those, reserved (outside pools).
    pub reserved: u128,
    /// Of those, used by the gateway and assets (outside pools and reservations).
    pub used: u128,
    /// Free for static allocation.
    pub free: u128,
    /// (size − free) / size, in percent.
    pub utilisation: f64,
}

/// Merge intervals and count the addresses they cover inside `[first, last]`.
fn merged(mut intervals: Vec<(u128, u128)>, first: u128, last: u128) -> Vec<(u128, u128)> {
    intervals.retain(|(s, e)| *e >= first && *s <= last);
    for interval in &mut intervals {
        interval.0 = interval.0.max(first);
        interval.1 = interval.1.min(last);
    }
    intervals.sort_unstable();
    let mut out: Vec<(u128, u128)> = Vec::with_capacity(intervals.len());
    for (start, end) in intervals {
        match out.last_mut() {
            Some(previous) if start <= previous.1.saturating_add(1) => {
                previous.1 = previous.1.max(end)
            }
            _ => out.push((start, end)),
        }
    }
    out
}

fn covered(intervals: &[(u128, u128)]) -> u128 {
    intervals
        .iter()
        .map(|(s, e)| (e - s).saturating_add(1))
        .fold(0u128, u128::saturating_add)
}

/// Addresses of assets, by routing domain, for allocation and utilisation.
fn assigned_addresses(inventory: &Inventory) -> HashMap<String, Vec<u128>> {
    let domains: HashMap<&str, &str> = inventory
        .sites
        .iter()
        .map(|s| (s.value.site.as_str(), s.value.routing_domain.as_str()))
        .collect();
    let mut by_domain: HashMap<String, Vec<u128>> = HashMap::new();
    for used in used_addresses(inventory) {
        if let Some(domain) = domains.get(used.site) {
            by_domain
                .entry(domain.to_string())
                .or_default()
                .push(to_number(used.address));
        }
    }
    for addresses in by_domain.values_mut() {
        addresses.sort_unstable();
    }
    by_domain
}

/// What is taken in a subnet's host range, as merged intervals of address numbers.
struct Taken {
    /// DHCP pools and reservations.
    planned: Vec<(u128, u128)>,
    /// Pools, reservations, the gateway and assigned addresses.
    everything: Vec<(u128, u128)>,
    /// First host address.
    first: u128,
    /// Last host address.
    last: u128,
}

/// Everything taken in a subnet's host range.
fn taken(subnet: &Subnet, assigned: &[u128]) -> Taken {
    let prefix = subnet.prefix.0;
    let (first, last) = host_range(&prefix);
    let ipv4 = prefix.is_ipv4();
    let same = |address: IpAddr| address.is_ipv4() == ipv4;
    let pools: Vec<(u128, u128)> = subnet
        .dhcp
        .iter()
        .filter(|p| same(p.start))
        .map(|p| (to_number(p.start), to_number(p.end)))
        .collect();
    let reserved: Vec<(u128, u128)> = subnet
        .reserved
        .iter()
        .filter(|r| same(r.range.start))
        .map(|r| (to_number(r.range.start), to_number(r.range.end)))
        .collect();
    let low = assigned.partition_point(|a| *a < first);
    let high = assigned.partition_point(|a| *a <= last);
    let mut statics: Vec<(u128, u128)> = assigned[low..high].iter().map(|a| (*a, *a)).collect();
    if let Some(gateway) = subnet.gateway.filter(|g| same(*g)) {
        statics.push((to_number(gateway), to_number(gateway)));
    }
    let planned = merged(
        pools.iter().chain(&reserved).copied().collect(),
        first,
        last,
    );
    let everything = merged(
        planned.iter().chain(&statics).copied().collect(),
        first,
        last,
    );
    Taken {
        planned,
        everything,
        first,
        last,
    }
}

/// Utilisation of every subnet of every site, in plan order.
pub fn utilisation(inventory: &Inventory) -> Vec<SubnetUsage> {
    let assigned = assigned_addresses(inventory);
    let empty = Vec::new();
    let mut usage = Vec::new();
    for site in &inventory.sites {
        let addresses = assigned.get(&site.value.routing_domain).unwrap_or(&empty);
        for vlan in &site.value.vlans {
            for subnet in &vlan.subnets {
                let prefix = subnet.prefix.0;
                let Taken {
                    planned,
                    everything,
                    first,
                    last,
                } = taken(subnet, addresses);
                let size = (last - first).saturating_add(1);
                let ipv4 = prefix.is_ipv4();
                let dhcp = covered(&merged(
                    subnet
                        .dhcp
                        .iter()
                        .filter(|p| p.start.is_ipv4() == ipv4)
                        .map(|p| (to_number(p.start), to_number(p.end)))
                        .collect(),
                    first,
                    last,
                ));
                let reserved = covered(&planned).saturating_sub(dhcp);
                let taken_count = covered(&everything);
                let used = taken_count.saturating_sub(covered(&planned));
                let free = size.saturating_sub(taken_count);
                let utilisation = if size == 0 {
                    100.0
                } else {
                    (size - free) as f64 * 100.0 / size as f64
                };
                usage.push(SubnetUsage {
                    site: site.value.site.clone(),
                    vlan_id: vlan.id,
                    vlan: vlan.name.clone(),
                    purpose: vlan.purpose,
                    prefix: prefix.to_string(),
                    gateway: subnet.gateway,
                    size,
                    dhcp,
                    reserved,
                    used,
                    free,
                    utilisation,
                });
            }
        }
    }
    usage
}

/// Why no address could be allocated.
#[derive(Debug, Clone, PartialEq)]
pub enum AllocationError {
    /// No such site.
    UnknownSite(String, Vec<String>),
    /// No such VLAN at the site.
    UnknownVlan(String, String, Vec<String>),
    /// The VLAN has no subnet of the family asked for.
    NoSubnet(String, &'static str),
    /// Every address is taken.
    Full {
        /// The VLAN.
        vlan: String,
        /// Its prefix.
        prefix: String,
        /// The utilisation, in percent.
        utilisation: f64,
        /// How many addresses the DHCP pools hold.
        dhcp: u128,
    },
}

impl std::fmt::Display for AllocationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let suggest = |word: &str, choices: &[String]| {
            crate::diag::did_you_mean(word, choices.iter().map(String::as_str))
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default()
        };
        match self {
            AllocationError::UnknownSite(site, known) => write!(
                f,
                "unknown site `{site}`{}; known sites: {}",
                suggest(site, known),
                known.join(", ")
            ),
            AllocationError::UnknownVlan(site, vlan, known) => write!(
                f,
                "site `{site}` has no VLAN `{vlan}`{}; its VLANs: {}",
                suggest(vlan, known),
                known.join(", ")
            ),
            AllocationError::NoSubnet(vlan, family) => {
                write!(f, "VLAN `{vlan}` has no {family} subnet")
            }
            AllocationError::Full {
                vlan,
                prefix,
                utilisation,
                dhcp,
            } => write!(
                f,
                "VLAN `{vlan}` is full: no free static address left in {prefix} \
                 (utilisation {utilisation:.1}%, {dhcp} addresses in DHCP pools); \
                 widen the prefix, shrink a DHCP pool or free an address"
            ),
        }
    }
}

/// The lowest free address of the VLAN's first subnet of the family: never the network,
/// broadcast or gateway address, a DHCP pool address, a reserved address or an assigned one.
pub fn next_free(
    inventory: &Inventory,
    site_name: &str,
    vlan_name: &str,
    ipv6: bool,
) -> Result<IpAddr, AllocationError> {
    let site = inventory.site(site_name).ok_or_else(|| {
        AllocationError::UnknownSite(
            site_name.to_string(),
            inventory
                .sites
                .iter()
                .map(|s| s.value.site.clone())
                .collect(),
        )
    })?;
    let vlan = site
        .value
        .vlans
        .iter()
        .find(|vlan| vlan.name == vlan_name)
        .ok_or_else(|| {
            AllocationError::UnknownVlan(
                site_name.to_string(),
                vlan_name.to_string(),
                site.value.vlans.iter().map(|v| v.name.clone()).collect(),
            )
        })?;
    let family = if ipv6 { "IPv6" } else { "IPv4" };
    let subnet = vlan
        .subnets
        .iter()
        .find(|subnet| subnet.prefix.0.is_ipv6() == ipv6)
        .ok_or_else(|| AllocationError::NoSubnet(vlan_name.to_string(), family))?;
    let assigned = assigned_addresses(inventory);
    let empty = Vec::new();
    let addresses = assigned.get(&site.value.routing_domain).unwrap_or(&empty);
    let Taken {
        everything,
        first,
        last,
        ..
    } = taken(subnet, addresses);
    let mut candidate = first;
    for (start, end) in everything {
        if start > candidate {
            break;
        }
        candidate = end.saturating_add(1);
    }
    if candidate <= last && candidate >= first {
        return Ok(from_number(candidate, !ipv6));
    }
    let usage = utilisation(inventory).into_iter().find(|u| {
        u.site == site_name && u.vlan == vlan_name && u.prefix == subnet.prefix.0.to_string()
    });
    Err(AllocationError::Full {
        vlan: vlan_name.to_string(),
        prefix: subnet.prefix.0.to_string(),
        utilisation: usage.as_ref().map_or(100.0, |u| u.utilisation),
        dhcp: usage.map_or(0, |u| u.dhcp),
    })
}

/// Utilisation grouped by site, for display.
pub fn by_site(usage: &[SubnetUsage]) -> BTreeMap<&str, Vec<&SubnetUsage>> {
    let mut sites: BTreeMap<&str, Vec<&SubnetUsage>> = BTreeMap::new();
    for entry in usage {
        sites.entry(entry.site.as_str()).or_default().push(entry);
    }
    sites
}
