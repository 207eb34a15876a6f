//! A site's DHCP configuration in the format of its DHCP server (`dhcp_server:` in
//! `plan/<site>.yml`): a complete ISC Kea `kea-dhcp4` configuration, or dnsmasq lines.
//!
//! Rendering is a pure function of the inventory: scopes come from the addressing plan (one
//! per IPv4 subnet with a DHCP pool or at least one reservation), reservations from the
//! site's assets (each one with a MAC address and an IPv4 address inside a scope). Onboarding
//! adds an asset and renders again; offboarding removes it and renders again, which drops its
//! reservation. [`write_site`] puts the result under `state/dhcp/<site>/`, netparc-owned.
//!
//! Kea keeps leases by subnet id, so ids must not move when the plan grows: a scope's id is
//! `VLAN id × 100 + n`, where n (1–99) is the subnet's rank among the VLAN's IPv4 subnets in
//! plan order (VLAN 10's first IPv4 subnet is 1001). IPv6 subnets are not served (Kea's
//! DHCPv6 server is another program, and dnsmasq's IPv6 ranges another format).
//!
//! Every problem (a MAC that cannot be parsed, one MAC or one address on two assets, a name
//! that cannot be a host name, a pool outside its subnet) is reported in one pass, each
//! naming its asset and file position; nothing is rendered until all are fixed.
//!
//! Architecture invariant: no sockets, no server. Only [`write_site`] touches files.

use crate::diag::{Diagnostic, Diagnostics};
use crate::fsutil;
use crate::inventory::{Asset, DhcpServerKind, Inventory, Located, Site};
use crate::ypath;
use ipnetwork::{IpNetwork, Ipv4Network};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

/// Lease time given by both servers, in seconds (one working day and night).
pub const LEASE_SECONDS: u32 = 86_400;

/// File name of the Kea configuration in a site's DHCP folder.
pub const KEA_FILE: &str = "kea-dhcp4.conf";

/// File name of the dnsmasq configuration in a site's DHCP folder.
pub const DNSMASQ_FILE: &str = "dnsmasq.conf";

/// Where Kea keeps its leases (the Debian package's default; recent Kea versions refuse a
/// lease file outside their data folder).
const KEA_LEASE_FILE: &str = "/var/lib/kea/kea-leases4.csv";

/// Mode of the written files: like every rendered file of netparc, private to its owner.
const FILE_MODE: u32 = 0o600;

/// Why a site's DHCP configuration could not be rendered or written.
#[derive(Debug, thiserror::Error)]
pub enum DhcpError {
    /// The addressing plan has no such site.
    #[error("no site `{site}` in the addressing plan (sites: {known})")]
    UnknownSite {
        /// The site asked for.
        site: String,
        /// The sites the plan has, comma-separated.
        known: String,
    },
    /// The inventory holds data no DHCP server would accept; every problem found.
    #[error("the DHCP configuration of site `{site}` cannot be rendered:\n{problems}")]
    Invalid {
        /// The site.
        site: String,
        /// Each problem, with its asset and position.
        problems: Diagnostics,
    },
    /// The site name cannot be a folder name.
    #[error(
        "`{0}` cannot name a folder under state/dhcp (no `/`, no leading `.`, no control characters)"
    )]
    InvalidSiteName(String),
    /// Creating, writing or removing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
}

/// A site's DHCP configuration, per server: the one its `dhcp_server` names is `Some`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DhcpConfigs {
    /// The complete `kea-dhcp4` configuration file, when the site's server is Kea.
    pub kea: Option<String>,
    /// The dnsmasq configuration file, when the site's server is dnsmasq.
    pub dnsmasq: Option<String>,
}

/// The complete `kea-dhcp4` configuration file of `site` (JSON after one comment line).
pub fn render_kea(inventory: &Inventory, site: &str) -> Result<String, DhcpError> {
    let model = SiteDhcp::build(inventory, site)?;
    Ok(model.kea(&inventory.settings.value.name))
}

/// The dnsmasq configuration file of `site` (`dhcp-range`, `dhcp-option`, `dhcp-host`).
pub fn render_dnsmasq(inventory: &Inventory, site: &str) -> Result<String, DhcpError> {
    let model = SiteDhcp::build(inventory, site)?;
    Ok(model.dnsmasq(&inventory.settings.value.name))
}

/// The configuration of `site` for the server its plan names; both `None` when it names none.
pub fn render_site(inventory: &Inventory, site: &str) -> Result<DhcpConfigs, DhcpError> {
    let located = find_site(inventory, site)?;
    let Some(server) = located.value.dhcp_server else {
        return Ok(DhcpConfigs::default());
    };
    let model = SiteDhcp::build(inventory, site)?;
    let name = &inventory.settings.value.name;
    Ok(match server {
        DhcpServerKind::Kea => DhcpConfigs {
            kea: Some(model.kea(name)),
            dnsmasq: None,
        },
        DhcpServerKind::Dnsmasq => DhcpConfigs {
            kea: None,
            dnsmasq: Some(model.dnsmasq(name)),
        },
    })
}

/// The folder holding `site`'s rendered DHCP configuration: `<inventory>/state/dhcp/<site>/`.
pub fn site_dir(root: &Path, site: &str) -> Result<PathBuf, DhcpError> {
    let valid = !site.is_empty()
        && !site.starts_with('.')
        && !site.contains(['/', '\\'])
        && !site.chars().any(char::is_control);
    if !valid {
        return Err(DhcpError::InvalidSiteName(site.to_string()));
    }
    Ok(root.join("state").join("dhcp").join(site))
}

/// Render `site` ([`render_site`]) and write it under [`site_dir`]: `kea-dhcp4.conf` or
/// `dnsmasq.conf`, each replaced atomically (0600). The file of a server the site no longer
/// uses is removed, so the folder always matches the inventory. Nothing is written when
/// rendering fails. Returns the paths written.
pub fn write_site(inventory: &Inventory, site: &str) -> Result<Vec<PathBuf>, DhcpError> {
    let configs = render_site(inventory, site)?;
    let dir = site_dir(&inventory.root, site)?;
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DhcpError::Io { path, source }
    };
    let mut written = Vec::new();
    for (file, content) in [(KEA_FILE, configs.kea), (DNSMASQ_FILE, configs.dnsmasq)] {
        let path = dir.join(file);
        match content {
            Some(content) => {
                fsutil::create_private_dir(&dir).map_err(io_error(&dir))?;
                fsutil::write_file(&path, content.as_bytes(), FILE_MODE)
                    .map_err(io_error(&path))?;
                written.push(path);
            }
            None => match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(error) => return Err(io_error(&path)(error)),
            },
        }
    }
    Ok(written)
}

fn find_site<'a>(inventory: &'a Inventory, site: &str) -> Result<&'a Located<Site>, DhcpError> {
    inventory.site(site).ok_or_else(|| DhcpError::UnknownSite {
        site: site.to_string(),
        known: inventory
            .sites
            .iter()
            .map(|s| format!("`{}`", s.value.site))
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// A MAC address (EUI-48).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// Parse the forms technicians meet: `3c:ec:ef:4a:10:21`, `3C-EC-EF-4A-10-21`
    /// (Windows), `3cec.ef4a.1021` (Cisco), `3cecef4a1021`. A multicast, broadcast or
    /// all-zero address cannot be a host's and is refused.
    pub fn parse(text: &str) -> Result<Mac, String> {
        let text = text.trim();
        let hex: String = match text.len() {
            17 if [':', '-'].iter().any(|sep| {
                text.char_indices()
                    .all(|(i, c)| if i % 3 == 2 { c == *sep } else { c != *sep })
            }) =>
            {
                text.chars().filter(|c| *c != ':' && *c != '-').collect()
            }
            14 if text
                .char_indices()
                .all(|(i, c)| if i % 5 == 4 { c == '.' } else { c != '.' }) =>
            {
                text.chars().filter(|c| *c != '.').collect()
            }
            12 => text.to_string(),
            _ => {
                return Err(String::from(
                    "expected six bytes in hexadecimal, e.g. 3c:ec:ef:4a:10:21",
                ));
            }
        };
        if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(String::from(
                "expected six bytes in hexadecimal, e.g. 3c:ec:ef:4a:10:21",
            ));
        }
        let mut bytes = [0u8; 6];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
                .map_err(|_| String::from("not hexadecimal"))?;
        }
        if bytes == [0; 6] {
            return Err(String::from("the all-zero address belongs to no interface"));
        }
        if bytes[0] & 1 == 1 {
            return Err(String::from(
                "a multicast or broadcast address (first byte odd) belongs to no interface",
            ));
        }
        Ok(Mac(bytes))
    }
}

impl fmt::Display for Mac {
    /// Lowercase, colon-separated: the form both Kea and dnsmasq print.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

/// True when `name` can be a DHCP host name or domain: dot-separated labels of letters,
/// digits and hyphens, 1–63 characters each, no hyphen at either end, 253 at most.
fn is_host_name(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// One reservation.
#[derive(Debug, Clone)]
struct Host {
    name: String,
    mac: Mac,
    address: Ipv4Addr,
}

/// One served IPv4 subnet.
#[derive(Debug, Clone)]
struct Scope {
    id: u32,
    vlan_id: u32,
    vlan_name: String,
    /// The subnet's rank among its VLAN's IPv4 subnets (1-based).
    rank: u32,
    prefix: Ipv4Network,
    gateway: Option<Ipv4Addr>,
    pools: Vec<(Ipv4Addr, Ipv4Addr)>,
    hosts: Vec<Host>,
}

impl Scope {
    /// dnsmasq tag of the scope: `vlan10`, `vlan10-2` for the VLAN's second subnet.
    fn tag(&self) -> String {
        if self.rank == 1 {
            format!("vlan{}", self.vlan_id)
        } else {
            format!("vlan{}-{}", self.vlan_id, self.rank)
        }
    }
}

/// What both formats need from one site, validated.
#[derive(Debug, Clone)]
struct SiteDhcp {
    site: String,
    domain: Option<String>,
    dns: Vec<Ipv4Addr>,
    ntp: Vec<Ipv4Addr>,
    scopes: Vec<Scope>,
}

fn ipv4(address: IpAddr) -> Option<Ipv4Addr> {
    match address {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(_) => None,
    }
}

impl SiteDhcp {
    fn build(inventory: &Inventory, site_name: &str) -> Result<SiteDhcp, DhcpError> {
        let located = find_site(inventory, site_name)?;
        let site = &located.value;
        let mut problems = Diagnostics::new();

        let domain = site.domain.clone();
        if let Some(domain) = &domain
            && !is_host_name(domain)
        {
            problems.push(
                Diagnostic::error(
                    "dhcp.domain-invalid",
                    format!(
                        "site `{site_name}` has domain `{domain}`, which DHCP clients cannot use"
                    ),
                )
                .at(located.origin.locate(&ypath!["domain"]))
                .field("domain")
                .expected("dot-separated labels of letters, digits and hyphens"),
            );
        }

        // Every IPv4 subnet of the plan, with its stable id, whether served or not.
        let mut scopes = Vec::new();
        let mut ids: BTreeMap<u32, String> = BTreeMap::new();
        for (v, vlan) in site.vlans.iter().enumerate() {
            let v4_subnets = vlan
                .subnets
                .iter()
                .enumerate()
                .filter_map(|(s, subnet)| match subnet.prefix.0 {
                    IpNetwork::V4(prefix) => Some((s, subnet, prefix)),
                    IpNetwork::V6(_) => None,
                });
            for (rank, (s, subnet, prefix)) in (1u32..).zip(v4_subnets) {
                let location = || located.origin.locate(&ypath!["vlans", v, "subnets", s]);
                let id = vlan
                    .id
                    .checked_mul(100)
                    .and_then(|base| base.checked_add(rank));
                let id = match id {
                    Some(id) if rank <= 99 => id,
                    _ => {
                        problems.push(
                            Diagnostic::error(
                                "dhcp.subnet-id",
                                format!(
                                    "subnet {} of VLAN {} gets no Kea subnet id: a VLAN holds at most 99 IPv4 subnets",
                                    subnet.prefix, vlan.id
                                ),
                            )
                            .at(location()),
                        );
                        continue;
                    }
                };
                if let Some(other) = ids.insert(id, subnet.prefix.to_string()) {
                    problems.push(
                        Diagnostic::error(
                            "dhcp.subnet-id",
                            format!(
                                "subnets {other} and {} would share Kea subnet id {id} (two VLANs with id {})",
                                subnet.prefix, vlan.id
                            ),
                        )
                        .at(location()),
                    );
                }
                let mut pools = Vec::new();
                for (p, range) in subnet.dhcp.iter().enumerate() {
                    let (Some(start), Some(end)) = (ipv4(range.start), ipv4(range.end)) else {
                        continue;
                    };
                    if !prefix.contains(start) || !prefix.contains(end) {
                        problems.push(
                            Diagnostic::error(
                                "dhcp.pool-outside-subnet",
                                format!("DHCP pool {range} is not inside subnet {}", subnet.prefix),
                            )
                            .at(located
                                .origin
                                .locate(&ypath!["vlans", v, "subnets", s, "dhcp", p])),
                        );
                        continue;
                    }
                    pools.push((start, end));
                }
                scopes.push(Scope {
                    id,
                    vlan_id: vlan.id,
                    vlan_name: vlan.name.clone(),
                    rank,
                    prefix,
                    gateway: subnet
                        .gateway
                        .and_then(ipv4)
                        .filter(|g| prefix.contains(*g)),
                    pools,
                    hosts: Vec::new(),
                });
            }
        }

        // Reservations: the site's assets with a MAC and an IPv4 address. One whose address
        // lies in no subnet of the plan is left to the plan's own checks (`netparc check`).
        let mut by_mac: BTreeMap<Mac, &Asset> = BTreeMap::new();
        let mut by_address: BTreeMap<Ipv4Addr, &Asset> = BTreeMap::new();
        for located_asset in inventory
            .assets
            .iter()
            .filter(|a| a.value.site == site_name)
        {
            let asset = &located_asset.value;
            let (Some(mac_text), Some(address)) = (&asset.mac, asset.address.and_then(ipv4)) else {
                continue;
            };
            let at = |field: &str| located_asset.origin.locate(&ypath![field]);
            let mac = match Mac::parse(mac_text) {
                Ok(mac) => Some(mac),
                Err(reason) => {
                    problems.push(
                        Diagnostic::error(
                            "dhcp.mac-invalid",
                            format!(
                                "asset `{}` has MAC address `{mac_text}`: {reason}",
                                asset.name
                            ),
                        )
                        .at(at("mac"))
                        .asset(&asset.name)
                        .field("mac")
                        .expected("six bytes in hexadecimal, e.g. 3c:ec:ef:4a:10:21"),
                    );
                    None
                }
            };
            if !is_host_name(&asset.name) {
                problems.push(
                    Diagnostic::error(
                        "dhcp.hostname-invalid",
                        format!(
                            "asset `{}` cannot be given its name as a DHCP host name",
                            asset.name
                        ),
                    )
                    .at(at("name"))
                    .asset(&asset.name)
                    .field("name")
                    .expected("letters, digits and hyphens (dot-separated labels)"),
                );
            }
            if let Some(mac) = mac
                && let Some(first) = by_mac.insert(mac, asset)
            {
                problems.push(
                    Diagnostic::error(
                        "dhcp.mac-duplicate",
                        format!(
                            "assets `{}` and `{}` of site `{site_name}` have the same MAC address {mac}: a DHCP server can reserve one address per MAC",
                            first.name, asset.name
                        ),
                    )
                    .at(at("mac"))
                    .asset(&asset.name)
                    .field("mac"),
                );
            }
            let Some(scope) = scopes.iter_mut().find(|s| s.prefix.contains(address)) else {
                continue;
            };
            if let Some(first) = by_address.insert(address, asset) {
                problems.push(
                    Diagnostic::error(
                        "dhcp.address-duplicate",
                        format!(
                            "assets `{}` and `{}` both have address {address}: a DHCP server reserves an address for one MAC",
                            first.name, asset.name
                        ),
                    )
                    .at(at("address"))
                    .asset(&asset.name)
                    .field("address"),
                );
            }
            if let Some(mac) = mac {
                scope.hosts.push(Host {
                    name: asset.name.clone(),
                    mac,
                    address,
                });
            }
        }

        if !problems.is_empty() {
            return Err(DhcpError::Invalid {
                site: site_name.to_string(),
                problems,
            });
        }
        scopes.retain(|scope| !scope.pools.is_empty() || !scope.hosts.is_empty());
        scopes.sort_by_key(|scope| (scope.prefix.network(), scope.prefix.prefix()));
        for scope in &mut scopes {
            scope.hosts.sort_by_key(|host| host.address);
        }
        Ok(SiteDhcp {
            site: site_name.to_string(),
            domain,
            dns: site.dns.iter().copied().filter_map(ipv4).collect(),
            ntp: site.ntp.iter().copied().filter_map(ipv4).collect(),
            scopes,
        })
    }

    fn header(&self, inventory: &str, comment: &str) -> String {
        format!(
            "{comment} Generated by netparc from inventory `{inventory}`, site `{}`: do not edit by hand (edit the inventory and render again).\n",
            self.site
        )
    }

    fn kea(&self, inventory: &str) -> String {
        let list = |addresses: &[Ipv4Addr]| {
            addresses
                .iter()
                .map(Ipv4Addr::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut options = Vec::new();
        if !self.dns.is_empty() {
            options.push(json!({"name": "domain-name-servers", "data": list(&self.dns)}));
        }
        if let Some(domain) = &self.domain {
            options.push(json!({"name": "domain-name", "data": domain}));
        }
        if !self.ntp.is_empty() {
            options.push(json!({"name": "ntp-servers", "data": list(&self.ntp)}));
        }
        let subnets: Vec<Value> = self
            .scopes
            .iter()
            .map(|scope| {
                let mut subnet = json!({
                    "id": scope.id,
                    "subnet": scope.prefix.to_string(),
                    "user-context": {"vlan": scope.vlan_id, "vlan-name": scope.vlan_name},
                    "pools": scope.pools.iter()
                        .map(|(start, end)| json!({"pool": format!("{start} - {end}")}))
                        .collect::<Vec<_>>(),
                    "reservations": scope.hosts.iter()
                        .map(|host| json!({
                            "hw-address": host.mac.to_string(),
                            "ip-address": host.address.to_string(),
                            "hostname": host.name,
                        }))
                        .collect::<Vec<_>>(),
                });
                if let Some(gateway) = scope.gateway {
                    subnet["option-data"] =
                        json!([{"name": "routers", "data": gateway.to_string()}]);
                }
                subnet
            })
            .collect();
        let config = json!({
            "Dhcp4": {
                "interfaces-config": {"interfaces": ["*"]},
                "lease-database": {
                    "type": "memfile",
                    "persist": true,
                    "name": KEA_LEASE_FILE,
                    "lfc-interval": 3600,
                },
                "valid-lifetime": LEASE_SECONDS,
                "option-data": options,
                "subnet4": subnets,
            }
        });
        let mut text = self.header(inventory, "//");
        text.push_str(
            &serde_json::to_string_pretty(&config).expect("a JSON value always serializes"),
        );
        text.push('\n');
        text
    }

    fn dnsmasq(&self, inventory: &str) -> String {
        let list = |addresses: &[Ipv4Addr]| {
            addresses
                .iter()
                .map(Ipv4Addr::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut text = self.header(inventory, "#");
        // `write!` into a String cannot fail.
        if let Some(domain) = &self.domain {
            let _ = writeln!(text, "domain={domain}");
        }
        if !self.dns.is_empty() {
            let _ = writeln!(text, "dhcp-option=option:dns-server,{}", list(&self.dns));
        }
        if !self.ntp.is_empty() {
            let _ = writeln!(text, "dhcp-option=option:ntp-server,{}", list(&self.ntp));
        }
        for scope in &self.scopes {
            let tag = scope.tag();
            let mask = scope.prefix.mask();
            let _ = writeln!(
                text,
                "\n# VLAN {} {}: {} (subnet id {})",
                scope.vlan_id, scope.vlan_name, scope.prefix, scope.id
            );
            if scope.pools.is_empty() {
                // Reservations only: a static range makes dnsmasq answer in this subnet.
                let _ = writeln!(
                    text,
                    "dhcp-range=set:{tag},{},static,{mask},{}",
                    scope.prefix.network(),
                    LEASE_SECONDS
                );
            }
            for (start, end) in &scope.pools {
                let _ = writeln!(
                    text,
                    "dhcp-range=set:{tag},{start},{end},{mask},{}",
                    LEASE_SECONDS
                );
            }
            if let Some(gateway) = scope.gateway {
                let _ = writeln!(text, "dhcp-option=tag:{tag},option:router,{gateway}");
            }
            for host in &scope.hosts {
                let _ = writeln!(
                    text,
                    "dhcp-host={},{},{}",
                    host.mac, host.address, host.name
                );
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Origin, Settings};
    use serde_json::json;

    fn located<T>(value: T) -> Located<T> {
        Located {
            value,
            origin: Origin::none(),
        }
    }

    fn workstation(name: &str, address: &str, mac: &str) -> Value {
        json!({"name": name, "kind": "workstation", "site": "hq", "address": address, "mac": mac})
    }

    /// A one-site inventory: users (pool, gateway) with an IPv6 subnet beside, printers
    /// (no pool), management (no pool, no assets).
    fn inventory(server: &str, assets: Vec<Value>) -> Inventory {
        let settings: Settings = serde_json::from_value(json!({"name": "unit"})).expect("settings");
        let site: Site = serde_json::from_value(json!({
            "site": "hq",
            "domain": "hq.example.internal",
            "dhcp_server": server,
            "dns": ["10.0.100.10", "2001:db8::53", "10.0.100.11"],
            "ntp": ["10.0.100.12"],
            "vlans": [
                {"id": 10, "name": "users", "purpose": "data", "subnets": [
                    {"prefix": "2001:db8:10::/64", "gateway": "2001:db8:10::1"},
                    {"prefix": "10.0.10.0/24", "gateway": "10.0.10.1",
                     "dhcp": ["10.0.10.100-10.0.10.199"]},
                ]},
                {"id": 50, "name": "printers", "purpose": "printers", "subnets": [
                    {"prefix": "10.0.50.0/24", "gateway": "10.0.50.1"},
                ]},
                {"id": 99, "name": "management", "purpose": "management", "subnets": [
                    {"prefix": "10.0.99.0/24", "gateway": "10.0.99.1"},
                ]},
            ],
        }))
        .expect("site");
        Inventory {
            root: PathBuf::from("/nonexistent"),
            settings: located(settings),
            sites: vec![located(site)],
            groups: BTreeMap::new(),
            defaults: located(Default::default()),
            assets: assets
                .into_iter()
                .map(|a| located(serde_json::from_value::<Asset>(a).expect("asset")))
                .collect(),
        }
    }

    fn fleet() -> Vec<Value> {
        vec![
            workstation("pc-3", "10.0.10.23", "A4-BB-6D-91-02-3E"),
            workstation("pc-1", "10.0.10.21", "3cec.ef4a.1021"),
            json!({"name": "prn-1", "kind": "printer", "site": "hq", "address": "10.0.50.21",
                   "mac": "00:26:73:5c:8e:12"}),
            // No MAC, IPv6 only, another site: no reservation.
            json!({"name": "sw-1", "kind": "switch", "site": "hq", "address": "10.0.99.2"}),
            workstation("pc-6", "2001:db8:10::6", "3c:ec:ef:4a:10:26"),
            json!({"name": "pc-lyon", "kind": "workstation", "site": "lyon",
                   "address": "10.0.10.40", "mac": "3c:ec:ef:4a:10:40"}),
        ]
    }

    fn kea_json(text: &str) -> Value {
        let (header, body) = text.split_once('\n').expect("a header line");
        assert!(header.starts_with("// Generated by netparc"), "{header}");
        assert!(header.contains("do not edit by hand"), "{header}");
        serde_json::from_str(body).expect("the body is JSON")
    }

    #[test]
    fn kea_has_one_scope_per_served_subnet_with_sorted_reservations() {
        let config = kea_json(&render_kea(&inventory("kea", fleet()), "hq").expect("renders"));
        let dhcp4 = &config["Dhcp4"];
        assert_eq!(dhcp4["valid-lifetime"], 86400);
        assert_eq!(dhcp4["lease-database"]["type"], "memfile");
        assert_eq!(
            dhcp4["option-data"],
            json!([
                {"name": "domain-name-servers", "data": "10.0.100.10, 10.0.100.11"},
                {"name": "domain-name", "data": "hq.example.internal"},
                {"name": "ntp-servers", "data": "10.0.100.12"},
            ])
        );
        let subnets = dhcp4["subnet4"].as_array().expect("subnet4");
        // users (pool) and printers (a reservation); management has neither; no IPv6.
        let ids: Vec<_> = subnets
            .iter()
            .map(|s| (s["id"].clone(), s["subnet"].clone()))
            .collect();
        assert_eq!(
            ids,
            vec![
                (json!(1001), json!("10.0.10.0/24")),
                (json!(5001), json!("10.0.50.0/24")),
            ]
        );
        let users = &subnets[0];
        assert_eq!(
            users["pools"],
            json!([{"pool": "10.0.10.100 - 10.0.10.199"}])
        );
        assert_eq!(
            users["option-data"],
            json!([{"name": "routers", "data": "10.0.10.1"}])
        );
        assert_eq!(
            users["reservations"],
            json!([
                {"hw-address": "3c:ec:ef:4a:10:21", "ip-address": "10.0.10.21", "hostname": "pc-1"},
                {"hw-address": "a4:bb:6d:91:02:3e", "ip-address": "10.0.10.23", "hostname": "pc-3"},
            ])
        );
        assert_eq!(subnets[1]["pools"], json!([]));
        assert_eq!(subnets[1]["reservations"][0]["hostname"], "prn-1");
    }

    #[test]
    fn an_offboarded_asset_leaves_no_reservation() {
        let mut assets = fleet();
        assets.retain(|a| a["name"] != "pc-3");
        let text = render_kea(&inventory("kea", assets), "hq").expect("renders");
        assert!(
            !text.contains("pc-3") && !text.contains("a4:bb:6d:91:02:3e"),
            "{text}"
        );
        let config = kea_json(&text);
        assert_eq!(
            config["Dhcp4"]["subnet4"][0]["reservations"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );

        // The printer gone, its pool-less subnet is no longer served.
        let mut assets = fleet();
        assets.retain(|a| a["name"] != "prn-1");
        let config = kea_json(&render_kea(&inventory("kea", assets), "hq").expect("renders"));
        assert_eq!(config["Dhcp4"]["subnet4"].as_array().map(Vec::len), Some(1));
    }

    #[test]
    fn rendering_is_deterministic_whatever_the_asset_order() {
        let mut reversed = fleet();
        reversed.reverse();
        assert_eq!(
            render_kea(&inventory("kea", fleet()), "hq").expect("renders"),
            render_kea(&inventory("kea", reversed.clone()), "hq").expect("renders")
        );
        assert_eq!(
            render_dnsmasq(&inventory("kea", fleet()), "hq").expect("renders"),
            render_dnsmasq(&inventory("kea", reversed), "hq").expect("renders")
        );
    }

    #[test]
    fn dnsmasq_lines() {
        let text = render_dnsmasq(&inventory("dnsmasq", fleet()), "hq").expect("renders");
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        assert_eq!(
            lines,
            vec![
                "domain=hq.example.internal",
                "dhcp-option=option:dns-server,10.0.100.10,10.0.100.11",
                "dhcp-option=option:ntp-server,10.0.100.12",
                "dhcp-range=set:vlan10,10.0.10.100,10.0.10.199,255.255.255.0,86400",
                "dhcp-option=tag:vlan10,option:router,10.0.10.1",
                "dhcp-host=3c:ec:ef:4a:10:21,10.0.10.21,pc-1",
                "dhcp-host=a4:bb:6d:91:02:3e,10.0.10.23,pc-3",
                "dhcp-range=set:vlan50,10.0.50.0,static,255.255.255.0,86400",
                "dhcp-option=tag:vlan50,option:router,10.0.50.1",
                "dhcp-host=00:26:73:5c:8e:12,10.0.50.21,prn-1",
            ]
        );
        assert!(text.starts_with("# Generated by netparc"), "{text}");
    }

    #[test]
    fn render_site_follows_the_sites_server() {
        let kea = render_site(&inventory("kea", fleet()), "hq").expect("renders");
        assert!(kea.kea.is_some() && kea.dnsmasq.is_none());
        let dnsmasq = render_site(&inventory("dnsmasq", fleet()), "hq").expect("renders");
        assert!(dnsmasq.kea.is_none() && dnsmasq.dnsmasq.is_some());
        let mut none = inventory("kea", fleet());
        none.sites[0].value.dhcp_server = None;
        assert_eq!(
            render_site(&none, "hq").expect("renders"),
            DhcpConfigs::default()
        );
        let unknown = render_site(&none, "paris").expect_err("no such site");
        assert_eq!(
            unknown.to_string(),
            "no site `paris` in the addressing plan (sites: `hq`)"
        );
    }

    #[test]
    fn every_problem_is_reported_naming_its_assets() {
        let mut assets = fleet();
        assets.push(workstation("pc-bad", "10.0.10.30", "3c:ec:ef:4a:10"));
        assets.push(workstation("pc-twin", "10.0.10.31", "3C:EC:EF:4A:10:21"));
        assets.push(workstation("pc-same", "10.0.10.21", "3c:ec:ef:4a:10:99"));
        assets.push(workstation("pc_under", "10.0.10.32", "01:00:5e:00:00:01"));
        let Err(DhcpError::Invalid { site, problems }) =
            render_kea(&inventory("kea", assets), "hq")
        else {
            panic!("expected problems");
        };
        assert_eq!(site, "hq");
        let found: Vec<(&str, String)> = problems
            .iter()
            .map(|p| (p.code, p.message.clone()))
            .collect();
        assert_eq!(
            found,
            vec![
                (
                    "dhcp.mac-invalid",
                    String::from(
                        "asset `pc-bad` has MAC address `3c:ec:ef:4a:10`: expected six bytes in hexadecimal, e.g. 3c:ec:ef:4a:10:21"
                    )
                ),
                (
                    "dhcp.mac-duplicate",
                    String::from(
                        "assets `pc-1` and `pc-twin` of site `hq` have the same MAC address 3c:ec:ef:4a:10:21: a DHCP server can reserve one address per MAC"
                    )
                ),
                (
                    "dhcp.address-duplicate",
                    String::from(
                        "assets `pc-1` and `pc-same` both have address 10.0.10.21: a DHCP server reserves an address for one MAC"
                    )
                ),
                (
                    "dhcp.mac-invalid",
                    String::from(
                        "asset `pc_under` has MAC address `01:00:5e:00:00:01`: a multicast or broadcast address (first byte odd) belongs to no interface"
                    )
                ),
                (
                    "dhcp.hostname-invalid",
                    String::from("asset `pc_under` cannot be given its name as a DHCP host name")
                ),
            ]
        );
    }

    #[test]
    fn mac_forms() {
        for text in [
            "3c:ec:ef:4a:10:21",
            "3C-EC-EF-4A-10-21",
            "3cec.ef4a.1021",
            "3CECEF4A1021",
        ] {
            assert_eq!(
                Mac::parse(text).map(|m| m.to_string()),
                Ok(String::from("3c:ec:ef:4a:10:21")),
                "{text}"
            );
        }
        for text in [
            "",
            "3c:ec:ef:4a:10",
            "3c:ec:ef:4a:10:2g",
            "3c:ec-ef:4a:10:21",
            "3cec.ef4a.10210",
            "3c:ec:ef:4a:1:021",
            "00:00:00:00:00:00",
            "ff:ff:ff:ff:ff:ff",
            "+3cecef4a102",
        ] {
            assert!(Mac::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn site_dir_refuses_names_that_escape_state() {
        let root = Path::new("/inv");
        assert_eq!(
            site_dir(root, "hq").expect("valid"),
            Path::new("/inv/state/dhcp/hq")
        );
        for bad in ["", "..", ".hidden", "a/b", "a\nb"] {
            assert!(site_dir(root, bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn write_site_writes_the_servers_file_and_removes_the_other() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut inv = inventory("kea", fleet());
        inv.root = dir.path().to_path_buf();
        let written = write_site(&inv, "hq").expect("writes");
        let kea = dir.path().join("state/dhcp/hq/kea-dhcp4.conf");
        assert_eq!(written, vec![kea.clone()]);
        assert_eq!(
            std::fs::read_to_string(&kea).expect("read"),
            render_kea(&inv, "hq").expect("renders")
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&kea).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        inv.sites[0].value.dhcp_server = Some(DhcpServerKind::Dnsmasq);
        let written = write_site(&inv, "hq").expect("writes");
        assert_eq!(written, vec![dir.path().join("state/dhcp/hq/dnsmasq.conf")]);
        assert!(
            !kea.exists(),
            "the Kea file of a site now on dnsmasq is removed"
        );

        // A problem writes nothing and keeps the previous file.
        let before = std::fs::read_to_string(&written[0]).expect("read");
        inv.assets[0].value.mac = Some(String::from("nonsense"));
        assert!(matches!(
            write_site(&inv, "hq"),
            Err(DhcpError::Invalid { .. })
        ));
        assert_eq!(std::fs::read_to_string(&written[0]).expect("read"), before);
        assert!(fsutil::tests::leftover_tempfiles(&dir.path().join("state/dhcp/hq")).is_empty());
    }
}
