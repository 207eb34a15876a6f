//! What a technician asks for (`netparc onboard …`) and everything checked before anything
//! changes: name, MAC, site, VLAN, switch port, Wi-Fi networks, VPN gateway and the
//! addresses to give out. Every problem is reported in one pass; none leaves a trace.

use crate::diag::{Diagnostic, Diagnostics, did_you_mean};
use crate::inventory::model::{PortMode, Ssid, VlanPurpose, WifiSecurity};
use crate::inventory::{Asset, AssetKind, Inventory, Located};
use crate::ypath;
use std::net::IpAddr;

/// A new workstation, as the technician describes it.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Site it joins.
    pub site: String,
    /// Its name (hostname), unique in the inventory.
    pub name: String,
    /// Who uses it.
    pub user: String,
    /// Its wired network card.
    pub mac: String,
    /// The VLAN it gets an address in.
    pub vlan: String,
    /// The switch it is plugged into (with `port`).
    pub switch: Option<String>,
    /// The switch port (`Gi1/0/12` or full name).
    pub port: Option<String>,
    /// Issue Wi-Fi profiles for the site's staff networks.
    pub wifi: bool,
    /// Issue a VPN profile.
    pub vpn: bool,
    /// Free text for the asset (model, desk…).
    pub description: Option<String>,
    /// Change ticket reference.
    pub ticket: Option<String>,
    /// Who does it (for the change record and the handover sheet).
    pub technician: Option<String>,
}

/// A request that passed every check, with what it will use.
#[derive(Debug, Clone)]
pub struct Placement {
    /// The workstation's address (next free in its VLAN).
    pub address: IpAddr,
    /// Prefix length of its subnet.
    pub prefix_len: u8,
    /// Its subnet's gateway.
    pub gateway: Option<IpAddr>,
    /// Switch and full port name.
    pub port: Option<(String, String)>,
    /// The staff Wi-Fi networks of the site (SSID, from the access points' lists).
    pub ssids: Vec<Ssid>,
    /// The VPN gateway and the client's tunnel address.
    pub vpn: Option<(String, IpAddr)>,
    /// MAC in colon form, lower case.
    pub mac: String,
}

impl Placement {
    /// The devices the onboarding changes: the switch, then the VPN gateway.
    pub fn devices(&self) -> Vec<String> {
        let switch = self.port.as_ref().map(|(switch, _)| switch.clone());
        let gateway = self.vpn.as_ref().map(|(gateway, _)| gateway.clone());
        switch.into_iter().chain(gateway).collect()
    }
}

fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(code, message)
}

fn valid_hostname(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// Check `request` against `inventory` and find what it will use. Nothing is written.
pub fn validate(inventory: &Inventory, request: &Request) -> Result<Placement, Diagnostics> {
    let mut found = Diagnostics::new();
    if !valid_hostname(&request.name) {
        found.push(
            error(
                "onboard.bad-name",
                format!("`{}` is not a valid host name", request.name),
            )
            .expected(
                "letters, digits and hyphens, at most 63, not starting or ending with a hyphen",
            ),
        );
    }
    if let Some(existing) = inventory.asset(&request.name) {
        let retired = if existing.value.is_retired() {
            " (retired, kept for the fleet history)"
        } else {
            ""
        };
        found.push(
            error(
                "onboard.duplicate-name",
                format!("an asset named `{}` already exists{retired}", request.name),
            )
            .at(existing.origin.locate(&ypath!["name"]))
            .asset(&request.name)
            .hint("choose another name"),
        );
    }
    for (field, value) in [
        ("user", Some(request.user.as_str())),
        ("description", request.description.as_deref()),
        ("ticket", request.ticket.as_deref()),
        ("technician", request.technician.as_deref()),
    ] {
        if let Some(value) = value
            && value.chars().any(char::is_control)
        {
            found.push(error(
                "onboard.injection",
                format!("--{field} holds a line break or control character"),
            ));
        }
    }
    if request.user.trim().is_empty() {
        found.push(error(
            "onboard.no-user",
            "--user is empty: say who uses the workstation",
        ));
    }
    let mac = match crate::render::filters::parse_mac(&request.mac) {
        Ok(bytes) => {
            if let Some(owner) = inventory.assets.iter().find(|a| {
                a.value
                    .mac
                    .as_deref()
                    .and_then(|m| crate::render::filters::parse_mac(m).ok())
                    == Some(bytes)
            }) {
                found.push(
                    error(
                        "onboard.duplicate-mac",
                        format!(
                            "MAC address {} is already `{}`'s",
                            request.mac, owner.value.name
                        ),
                    )
                    .at(owner.origin.locate(&ypath!["mac"]))
                    .asset(&owner.value.name)
                    .hint("one network card, one asset: offboard the old one first (`netparc offboard`)"),
                );
            }
            bytes
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(":")
        }
        Err(reason) => {
            found.push(
                error(
                    "onboard.bad-mac",
                    format!("`{}` is not a MAC address: {reason}", request.mac),
                )
                .expected(
                    "six bytes in hex: aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff or aabb.ccdd.eeff",
                ),
            );
            String::new()
        }
    };
    let Some(site) = inventory.site(&request.site) else {
        let known: Vec<&str> = inventory
            .sites
            .iter()
            .map(|s| s.value.site.as_str())
            .collect();
        found.push(
            error(
                "onboard.unknown-site",
                format!("no site `{}`", request.site),
            )
            .hint(suggest(&request.site, &known)),
        );
        return Err(found);
    };
    let vlan = site.value.vlans.iter().find(|v| v.name == request.vlan);
    if vlan.is_none() {
        let known: Vec<&str> = site.value.vlans.iter().map(|v| v.name.as_str()).collect();
        found.push(
            error(
                "onboard.unknown-vlan",
                format!("site `{}` has no VLAN `{}`", request.site, request.vlan),
            )
            .hint(suggest(&request.vlan, &known)),
        );
    }
    let port = check_port(inventory, request, &mut found);
    let ssids = if request.wifi {
        staff_ssids(inventory, &request.site, &mut found)
    } else {
        Vec::new()
    };
    let mut vpn = None;
    if request.vpn {
        match vpn_gateway(inventory, &request.site) {
            Ok(gateway) => {
                // WireGuard or OpenVPN: either way the client gets the next free address
                // of the gateway's client VLAN (the workflow makes its keys or certificate).
                if let Some(service) = gateway.value.vpn.as_ref() {
                    match crate::plan::next_free(
                        inventory,
                        &gateway.value.site,
                        &service.client_vlan,
                        false,
                    ) {
                        Ok(address) => vpn = Some((gateway.value.name.clone(), address)),
                        Err(reason) => found.push(error(
                            "onboard.vpn-full",
                            format!("no VPN address left on `{}`: {reason}", gateway.value.name),
                        )),
                    }
                }
            }
            Err(diagnostic) => found.push(diagnostic),
        }
    }
    let mut address = None;
    if let Some(vlan) = vlan {
        match crate::plan::next_free(inventory, &request.site, &vlan.name, false) {
            Ok(free) => address = Some(free),
            Err(reason) => found.push(error("onboard.vlan-full", reason.to_string())),
        }
    }
    if found.has_errors() {
        return Err(found);
    }
    let (Some(address), Some(vlan)) = (address, vlan) else {
        return Err(found);
    };
    let subnet = vlan
        .subnets
        .iter()
        .find(|s| s.prefix.0.is_ipv4() && s.prefix.0.contains(address));
    Ok(Placement {
        address,
        prefix_len: subnet.map_or(32, |s| s.prefix.0.prefix()),
        gateway: subnet.and_then(|s| s.gateway),
        port,
        ssids,
        vpn,
        mac,
    })
}

fn suggest(word: &str, known: &[&str]) -> String {
    match did_you_mean(word, known.iter().copied()) {
        Some(s) => format!("did you mean `{s}`? known: {}", known.join(", ")),
        None => format!("known: {}", known.join(", ")),
    }
}

/// The switch port: exists, is an access port, nobody is plugged into it.
fn check_port(
    inventory: &Inventory,
    request: &Request,
    found: &mut Diagnostics,
) -> Option<(String, String)> {
    let (switch_name, port_name) = match (&request.switch, &request.port) {
        (None, None) => return None,
        (Some(switch), Some(port)) => (switch, port),
        _ => {
            found.push(error(
                "onboard.port-needs-switch",
                "--switch and --port go together: the port is on that switch",
            ));
            return None;
        }
    };
    let switches: Vec<&Located<Asset>> = inventory
        .assets
        .iter()
        .filter(|a| a.value.kind == AssetKind::Switch && a.value.site == request.site)
        .collect();
    let Some(switch) = switches.iter().find(|s| &s.value.name == switch_name) else {
        let known: Vec<&str> = switches.iter().map(|s| s.value.name.as_str()).collect();
        found.push(
            error(
                "onboard.unknown-switch",
                format!("site `{}` has no switch `{switch_name}`", request.site),
            )
            .hint(suggest(switch_name, &known)),
        );
        return None;
    };
    let full = crate::config::normalize::interface_name(port_name);
    let Some((index, port)) = switch
        .value
        .interfaces
        .iter()
        .enumerate()
        .find(|(_, i)| i.name == full || i.name == *port_name)
    else {
        let known: Vec<&str> = switch
            .value
            .interfaces
            .iter()
            .map(|i| i.name.as_str())
            .collect();
        found.push(
            error(
                "onboard.unknown-port",
                format!("switch `{switch_name}` has no port `{port_name}`"),
            )
            .at(switch.origin.locate(&ypath!["interfaces"]))
            .hint(match did_you_mean(&full, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => String::from("list the port under the switch's interfaces first"),
            }),
        );
        return None;
    };
    if port.mode != PortMode::Access {
        found.push(
            error(
                "onboard.port-not-access",
                format!(
                    "port {} of `{switch_name}` is not an access port (mode {:?})",
                    port.name, port.mode
                ),
            )
            .at(switch.origin.locate(&ypath!["interfaces", index]))
            .expected("an access port (`mode: access`, with a vlan)")
            .hint("declare it as an access port in the switch's file first, or pick another port"),
        );
    }
    if let Some(occupant) = inventory.assets.iter().find(|a| {
        a.value
            .connected_to
            .as_ref()
            .is_some_and(|link| &link.switch == switch_name && link.port == port.name)
    }) {
        found.push(
            error(
                "onboard.port-in-use",
                format!(
                    "port {} of `{switch_name}` is already used by `{}`",
                    port.name, occupant.value.name
                ),
            )
            .at(occupant.origin.locate(&ypath!["connected_to"]))
            .asset(&occupant.value.name)
            .hint("pick a free port, or offboard the device plugged into it first"),
        );
    }
    Some((switch_name.clone(), port.name.clone()))
}

/// The site's staff Wi-Fi networks: the SSIDs its access points broadcast, except guest
/// and open networks.
fn staff_ssids(inventory: &Inventory, site_name: &str, found: &mut Diagnostics) -> Vec<Ssid> {
    let guest: Vec<&str> = inventory
        .site(site_name)
        .map(|site| {
            site.value
                .vlans
                .iter()
                .filter(|v| v.purpose == VlanPurpose::Guest)
                .map(|v| v.name.as_str())
                .collect()
        })
        .unwrap_or_default();
    let mut ssids: Vec<Ssid> = Vec::new();
    for ap in inventory
        .assets
        .iter()
        .filter(|a| a.value.site == site_name && !a.value.is_retired())
    {
        for ssid in &ap.value.ssids {
            if ssid.security != WifiSecurity::Open
                && !guest.contains(&ssid.vlan.as_str())
                && !ssids.iter().any(|s| s.name == ssid.name)
            {
                ssids.push(ssid.clone());
            }
        }
    }
    if ssids.is_empty() {
        found.push(
            error(
                "onboard.no-wifi",
                format!(
                    "site `{site_name}` has no staff Wi-Fi network (no access point lists one)"
                ),
            )
            .hint("onboard without --wifi"),
        );
    }
    ssids
}

/// The gateway a site's workstations use: one at the site, else the inventory's only one.
pub fn vpn_gateway<'a>(
    inventory: &'a Inventory,
    site: &str,
) -> Result<&'a Located<Asset>, Diagnostic> {
    let gateways: Vec<&Located<Asset>> = inventory
        .assets
        .iter()
        .filter(|a| a.value.vpn.is_some() && !a.value.is_retired())
        .collect();
    if let Some(local) = gateways.iter().find(|g| g.value.site == site) {
        return Ok(local);
    }
    match gateways.as_slice() {
        [only] => Ok(only),
        [] => Err(error(
            "onboard.no-vpn-gateway",
            "the inventory has no VPN gateway (an asset with a `vpn:` section)",
        )
        .hint("onboard without --vpn")),
        _ => Err(error(
            "onboard.no-vpn-gateway",
            format!("site `{site}` has no VPN gateway of its own and the inventory has several"),
        )),
    }
}
