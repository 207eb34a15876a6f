//! Reference checks across files: unique asset names, known sites, VLANs, groups,
//! platforms, templates and switch ports. The addressing rules live in `crate::plan`.

use super::load::Inventory;
use crate::diag::{Diagnostic, Diagnostics, did_you_mean};
use crate::ypath;
use std::collections::HashMap;

/// A CRL this close to its next update is reported: past it, OpenVPN refuses every client.
const CRL_EXPIRY_WARNING_DAYS: i64 = 30;

/// Platforms netparc has (or will have) a driver for.
pub const PLATFORMS: [&str; 2] = ["ios", "linux"];

/// Run every reference check and the addressing plan's rules.
pub fn validate(inventory: &Inventory) -> Diagnostics {
    let mut diagnostics = crate::plan::validate_sites(&inventory.sites);
    diagnostics.extend(check_references(inventory));
    diagnostics.extend(crate::plan::validate_asset_addresses(inventory));
    diagnostics.extend(check_macs(inventory));
    diagnostics.extend(check_vpn_clients(inventory));
    for gateway in &inventory.assets {
        diagnostics.extend(check_openvpn_gateway(inventory, gateway));
    }
    diagnostics
}

/// An OpenVPN gateway has what its configuration and its clients' certificates need: the
/// CA certificate (a readable PEM CA file in the inventory), the CA key reference, its own
/// certificate issued by that CA and its key reference; the CRL, when present, is signed
/// by that CA. A WireGuard gateway's peers have public keys. Other assets: nothing.
pub fn check_openvpn_gateway(
    inventory: &Inventory,
    gateway: &super::Located<super::Asset>,
) -> Diagnostics {
    use super::model::VpnType;
    let mut diagnostics = Diagnostics::new();
    let a = &gateway.value;
    let Some(vpn) = &a.vpn else {
        return diagnostics;
    };
    let at = |path: &[crate::yaml::PathSegment]| gateway.origin.locate(path);
    if vpn.vpn_type == VpnType::Wireguard {
        for (index, peer) in vpn.peers.iter().enumerate() {
            if peer.public_key.is_none() {
                diagnostics.push(
                    Diagnostic::error(
                        "inventory.vpn-peer-no-key",
                        format!(
                            "WireGuard peer `{}` of `{}` has no public key",
                            peer.name, a.name
                        ),
                    )
                    .at(at(&ypath!["vpn", "peers", index]))
                    .asset(&a.name)
                    .field(format!("vpn.peers[{index}].public_key")),
                );
            }
        }
        return diagnostics;
    }
    let read = |file: &str| std::fs::read_to_string(inventory.root.join(file));
    let mut ca_pem = None;
    match &vpn.ca {
        None => diagnostics.push(
            Diagnostic::error(
                "inventory.openvpn-no-ca",
                format!("OpenVPN gateway `{}` has no CA certificate", a.name),
            )
            .at(at(&ypath!["vpn"]))
            .asset(&a.name)
            .field("vpn.ca")
            .expected(
                "`ca: pki/<gateway>-ca.crt`, the CA's certificate (PEM) kept in the inventory",
            )
            .hint("the CA issues the gateway's and every client's certificate"),
        ),
        Some(file) => {
            let checked = read(file)
                .map_err(|e| format!("cannot read {file}: {e}"))
                .and_then(|pem| {
                    let info = crate::pki::read_certificate(&pem)
                        .map_err(|problem| format!("{file}: {problem}"))?;
                    if !info.is_ca {
                        return Err(format!(
                            "{file}: `{}` is not a CA certificate (basicConstraints CA:TRUE)",
                            info.subject
                        ));
                    }
                    Ok(pem)
                });
            match checked {
                Ok(pem) => ca_pem = Some(pem),
                Err(problem) => diagnostics.push(
                    Diagnostic::error(
                        "inventory.openvpn-bad-ca",
                        format!("the CA of OpenVPN gateway `{}`: {problem}", a.name),
                    )
                    .at(at(&ypath!["vpn", "ca"]))
                    .asset(&a.name)
                    .field("vpn.ca")
                    .expected("a PEM CA certificate, path relative to the inventory"),
                ),
            }
        }
    }
    if vpn.ca_key.is_none() {
        diagnostics.push(
            Diagnostic::error(
                "inventory.openvpn-no-ca-key",
                format!("OpenVPN gateway `{}` has no CA key reference", a.name),
            )
            .at(at(&ypath!["vpn"]))
            .asset(&a.name)
            .field("vpn.ca_key")
            .expected("`ca_key: vault:<name>`: the CA's private key in the secrets store")
            .hint("it signs client certificates at onboarding and the CRL at offboarding"),
        );
    }
    match &vpn.cert {
        None => diagnostics.push(
            Diagnostic::error(
                "inventory.openvpn-no-cert",
                format!("OpenVPN gateway `{}` has no certificate of its own", a.name),
            )
            .at(at(&ypath!["vpn"]))
            .asset(&a.name)
            .field("vpn.cert")
            .expected("`cert: pki/<gateway>.crt`, issued by the CA, its key in `private_key`"),
        ),
        Some(file) => {
            let checked = read(file)
                .map_err(|e| format!("cannot read {file}: {e}"))
                .and_then(|pem| {
                    crate::pki::read_certificate(&pem)
                        .map_err(|problem| format!("{file}: {problem}"))?;
                    match &ca_pem {
                        Some(ca) => crate::pki::check_issued_by(&pem, ca)
                            .map_err(|problem| format!("{file}: {problem}")),
                        None => Ok(()),
                    }
                });
            if let Err(problem) = checked {
                diagnostics.push(
                    Diagnostic::error(
                        "inventory.openvpn-bad-cert",
                        format!("the certificate of OpenVPN gateway `{}`: {problem}", a.name),
                    )
                    .at(at(&ypath!["vpn", "cert"]))
                    .asset(&a.name)
                    .field("vpn.cert"),
                );
            }
        }
    }
    if vpn.private_key.is_none() {
        diagnostics.push(
            Diagnostic::error(
                "inventory.openvpn-no-key",
                format!("OpenVPN gateway `{}` has no private key reference", a.name),
            )
            .at(at(&ypath!["vpn"]))
            .asset(&a.name)
            .field("vpn.private_key")
            .expected("`private_key: vault:<name>`: the key of the gateway's certificate (PEM)"),
        );
    }
    if vpn.endpoint.is_none() {
        diagnostics.push(
            Diagnostic::error(
                "inventory.openvpn-no-endpoint",
                format!(
                    "OpenVPN gateway `{}` has no endpoint for its clients to dial",
                    a.name
                ),
            )
            .at(at(&ypath!["vpn"]))
            .asset(&a.name)
            .field("vpn.endpoint")
            .expected("`endpoint: host:port`"),
        );
    }
    let crl = vpn.crl_path(&a.name);
    let crl_at = if vpn.crl.is_some() {
        at(&ypath!["vpn", "crl"])
    } else {
        at(&ypath!["vpn"])
    };
    match (read(&crl), &ca_pem) {
        (Ok(pem), Some(ca)) => {
            match crate::pki::read_crl(&pem, ca) {
                Err(problem) => diagnostics.push(
                    Diagnostic::error(
                        "inventory.openvpn-bad-crl",
                        format!("the CRL {crl} of OpenVPN gateway `{}`: {problem}", a.name),
                    )
                    .at(crl_at)
                    .asset(&a.name)
                    .field("vpn.crl"),
                ),
                // OpenVPN refuses every client once the CRL it checks is past its next
                // update: the whole VPN stops, not one user.
                Ok(info) => {
                    if let Some(next) = info.next_update
                        && crate::inventory::date::Date::today().days_until(next)
                            < CRL_EXPIRY_WARNING_DAYS
                    {
                        diagnostics.push(
                            Diagnostic::warning(
                                "inventory.openvpn-crl-expiring",
                                format!(
                                    "the CRL {crl} of OpenVPN gateway `{}` expires on {next}: after that OpenVPN refuses every client",
                                    a.name
                                ),
                            )
                            .at(crl_at)
                            .asset(&a.name)
                            .field("vpn.crl")
                            .hint("the next onboarding or offboarding at this gateway signs a new CRL, valid ten years"),
                        );
                    }
                }
            }
        }
        (Err(_), _) => diagnostics.push(
            Diagnostic::warning(
                "inventory.openvpn-no-crl",
                format!(
                    "OpenVPN gateway `{}` has no CRL yet ({crl}): its configuration checks none",
                    a.name
                ),
            )
            .at(crl_at)
            .asset(&a.name)
            .field("vpn.crl")
            .hint(
                "netparc signs one with the CA at the next onboarding or offboarding of a client",
            ),
        ),
        _ => {}
    }
    for (index, peer) in vpn.peers.iter().enumerate() {
        if peer.certificate.is_none() {
            diagnostics.push(
                Diagnostic::error(
                    "inventory.vpn-peer-no-certificate",
                    format!(
                        "OpenVPN client `{}` of `{}` has no certificate",
                        peer.name, a.name
                    ),
                )
                .at(at(&ypath!["vpn", "peers", index]))
                .asset(&a.name)
                .field(format!("vpn.peers[{index}].certificate"))
                .expected("`certificate: {serial: …}` of the client certificate issued by the CA"),
            );
        }
    }
    diagnostics
}

/// MAC addresses are well-formed and belong to one active asset each (a retired asset's
/// MAC moved into its `retired` record: the hardware may come back under a new name).
fn check_macs(inventory: &Inventory) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    let mut seen: HashMap<[u8; 6], &str> = HashMap::new();
    for asset in &inventory.assets {
        let a = &asset.value;
        let Some(mac) = &a.mac else { continue };
        match crate::render::filters::parse_mac(mac) {
            Err(error) => diagnostics.push(
                Diagnostic::error(
                    "inventory.bad-mac",
                    format!("`{mac}` is not a MAC address: {error}"),
                )
                .at(asset.origin.locate(&ypath!["mac"]))
                .asset(&a.name)
                .field("mac")
                .expected(
                    "six bytes in hex: aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff or aabb.ccdd.eeff",
                ),
            ),
            Ok(bytes) => {
                if let Some(other) = seen.insert(bytes, &a.name) {
                    diagnostics.push(
                        Diagnostic::error(
                            "inventory.duplicate-mac",
                            format!("MAC address {mac} of `{}` is already `{other}`'s", a.name),
                        )
                        .at(asset.origin.locate(&ypath!["mac"]))
                        .asset(&a.name)
                        .field("mac")
                        .hint("one network card, one asset: retire the old asset first (`netparc offboard`)"),
                    );
                }
            }
        }
    }
    diagnostics
}

/// A workstation's `vpn_client` names a WireGuard gateway.
fn check_vpn_clients(inventory: &Inventory) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    let gateways: Vec<&str> = inventory
        .assets
        .iter()
        .filter(|g| g.value.vpn.is_some())
        .map(|g| g.value.name.as_str())
        .collect();
    for asset in &inventory.assets {
        let Some(client) = &asset.value.vpn_client else {
            continue;
        };
        if let Some(service) = inventory
            .asset(&client.gateway)
            .and_then(|g| g.value.vpn.as_ref())
        {
            let openvpn = service.vpn_type == super::model::VpnType::Openvpn;
            let (missing, field) = if openvpn {
                (client.certificate.is_none(), "certificate")
            } else {
                (client.public_key.is_none(), "public_key")
            };
            if missing {
                diagnostics.push(
                    Diagnostic::error(
                        "inventory.vpn-client-incomplete",
                        format!(
                            "`{}` is a client of {} gateway `{}` but has no {field}",
                            asset.value.name,
                            if openvpn { "OpenVPN" } else { "WireGuard" },
                            client.gateway
                        ),
                    )
                    .at(asset.origin.locate(&ypath!["vpn_client"]))
                    .asset(&asset.value.name)
                    .field(format!("vpn_client.{field}")),
                );
            }
        }
        if !gateways.contains(&client.gateway.as_str()) {
            diagnostics.push(
                Diagnostic::error(
                    "inventory.unknown-vpn-gateway",
                    format!(
                        "`{}` is a client of `{}`, which is not a VPN gateway",
                        asset.value.name, client.gateway
                    ),
                )
                .at(asset.origin.locate(&ypath!["vpn_client", "gateway"]))
                .asset(&asset.value.name)
                .field("vpn_client.gateway")
                .hint(suggestion(&client.gateway, gateways.iter().copied())),
            );
        }
    }
    diagnostics
}

fn suggestion<'a>(word: &str, known: impl IntoIterator<Item = &'a str> + Clone) -> String {
    let list: Vec<&str> = known.clone().into_iter().collect();
    match did_you_mean(word, known) {
        Some(s) => format!("did you mean `{s}`? known: {}", list.join(", ")),
        None if list.is_empty() => String::from("none is defined"),
        None => format!("known: {}", list.join(", ")),
    }
}

fn check_references(inventory: &Inventory) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    // Locations are computed only for findings: building a file's position index costs as
    // much as parsing it.
    let mut names: HashMap<&str, &super::Origin> = HashMap::new();
    let site_names: Vec<&str> = inventory
        .sites
        .iter()
        .map(|s| s.value.site.as_str())
        .collect();
    let group_names: Vec<&str> = inventory.groups.keys().map(String::as_str).collect();
    for asset in &inventory.assets {
        let a = &asset.value;
        let at = |path: &[crate::yaml::PathSegment]| asset.origin.locate(path);
        match names.get(a.name.as_str()) {
            Some(first) => diagnostics.push(
                Diagnostic::error(
                    "inventory.duplicate-asset",
                    format!("asset name `{}` is used twice", a.name),
                )
                .at(at(&ypath!["name"]))
                .asset(&a.name)
                .hint(format!(
                    "the first is at {}; asset names must be unique",
                    first.locate(&ypath!["name"])
                )),
            ),
            None => {
                names.insert(a.name.as_str(), &asset.origin);
            }
        }
        let site = inventory.site(&a.site);
        if site.is_none() {
            diagnostics.push(
                Diagnostic::error(
                    "inventory.unknown-site",
                    format!("unknown site `{}`", a.site),
                )
                .at(at(&ypath!["site"]))
                .asset(&a.name)
                .field("site")
                .hint(suggestion(&a.site, site_names.iter().copied())),
            );
        }
        for (gi, group) in a.groups.iter().enumerate() {
            if !inventory.groups.contains_key(group) {
                diagnostics.push(
                    Diagnostic::error(
                        "inventory.unknown-group",
                        format!("unknown group `{group}`"),
                    )
                    .at(at(&ypath!["groups", gi]))
                    .asset(&a.name)
                    .field(format!("groups[{gi}]"))
                    .hint(suggestion(group, group_names.iter().copied())),
                );
            }
        }
        if let Some(platform) = &a.platform
            && !PLATFORMS.contains(&platform.as_str())
        {
            diagnostics.push(
                Diagnostic::error(
                    "inventory.unknown-platform",
                    format!("unknown platform `{platform}`"),
                )
                .at(at(&ypath!["platform"]))
                .asset(&a.name)
                .field("platform")
                .hint(suggestion(platform, PLATFORMS)),
            );
        }
        if a.role.is_some() && a.platform.is_none() && a.template.is_none() {
            diagnostics.push(
                Diagnostic::error(
                    "inventory.role-without-platform",
                    format!(
                        "`{}` has a role but no platform, so no template can be chosen",
                        a.name
                    ),
                )
                .at(at(&ypath!["role"]))
                .asset(&a.name)
                .hint("add `platform: ios` (or linux), or name the template with `template:`"),
            );
        }
        for (name, value) in [
            ("purchased", &a.lifecycle.purchased),
            ("warranty_end", &a.lifecycle.warranty_end),
            ("licence_end", &a.lifecycle.licence_end),
        ] {
            if let Some(text) = value
                && let Err(error) = text.parse::<super::date::Date>()
            {
                diagnostics.push(
                    Diagnostic::error("inventory.bad-date", error)
                        .at(at(&ypath!["lifecycle", name]))
                        .asset(&a.name)
                        .field(format!("lifecycle.{name}"))
                        .expected("a date written YYYY-MM-DD"),
                );
            }
        }
        let Some(site) = site else { continue };
        let vlan_names: Vec<&str> = site.value.vlans.iter().map(|v| v.name.as_str()).collect();
        let mut check_vlan = |name: &str, path: &[crate::yaml::PathSegment], field: String| {
            if !vlan_names.contains(&name) {
                diagnostics.push(
                    Diagnostic::error(
                        "inventory.unknown-vlan",
                        format!("site `{}` has no VLAN `{name}`", site.value.site),
                    )
                    .at(asset.origin.locate(path))
                    .asset(&a.name)
                    .field(field)
                    .hint(suggestion(name, vlan_names.iter().copied())),
                );
            }
        };
        if let Some(vlan) = &a.vlan {
            check_vlan(vlan, &ypath!["vlan"], String::from("vlan"));
        }
        for (ii, interface) in a.interfaces.iter().enumerate() {
            let base = format!("interfaces[{ii}]");
            if let Some(vlan) = &interface.vlan {
                check_vlan(
                    vlan,
                    &ypath!["interfaces", ii, "vlan"],
                    format!("{base}.vlan"),
                );
            }
            if let Some(vlan) = &interface.voice_vlan {
                check_vlan(
                    vlan,
                    &ypath!["interfaces", ii, "voice_vlan"],
                    format!("{base}.voice_vlan"),
                );
            }
            if let Some(vlan) = &interface.native_vlan {
                check_vlan(
                    vlan,
                    &ypath!["interfaces", ii, "native_vlan"],
                    format!("{base}.native_vlan"),
                );
            }
            for (vi, vlan) in interface.allowed_vlans.iter().enumerate() {
                check_vlan(
                    vlan,
                    &ypath!["interfaces", ii, "allowed_vlans", vi],
                    format!("{base}.allowed_vlans[{vi}]"),
                );
            }
        }
        for (si, ssid) in a.ssids.iter().enumerate() {
            check_vlan(
                &ssid.vlan,
                &ypath!["ssids", si, "vlan"],
                format!("ssids[{si}].vlan"),
            );
        }
        if let Some(vpn) = &a.vpn {
            check_vlan(
                &vpn.client_vlan,
                &ypath!["vpn", "client_vlan"],
                String::from("vpn.client_vlan"),
            );
        }
        let mut interface_names: HashMap<&str, usize> = HashMap::new();
        for (ii, interface) in a.interfaces.iter().enumerate() {
            if let Some(first) = interface_names.insert(interface.name.as_str(), ii) {
                diagnostics.push(
                    Diagnostic::error(
                        "inventory.duplicate-interface",
                        format!(
                            "interface `{}` is listed twice on `{}`",
                            interface.name, a.name
                        ),
                    )
                    .at(at(&ypath!["interfaces", ii, "name"]))
                    .asset(&a.name)
                    .hint(format!("the first is interfaces[{first}]")),
                );
            }
        }
    }
    // Links from end devices to switch ports, and ports claimed twice.
    let by_name: HashMap<&str, &super::Located<super::Asset>> = inventory
        .assets
        .iter()
        .map(|a| (a.value.name.as_str(), a))
        .collect();
    let mut claimed: HashMap<(&str, &str), &str> = HashMap::new();
    for asset in &inventory.assets {
        let a = &asset.value;
        let Some(link) = &a.connected_to else {
            continue;
        };
        let Some(switch) = by_name.get(link.switch.as_str()) else {
            let switches: Vec<&str> = inventory
                .assets
                .iter()
                .filter(|s| s.value.kind == super::AssetKind::Switch)
                .map(|s| s.value.name.as_str())
                .collect();
            diagnostics.push(
                Diagnostic::error(
                    "inventory.unknown-switch",
                    format!(
                        "`{}` is connected to unknown switch `{}`",
                        a.name, link.switch
                    ),
                )
                .at(asset.origin.locate(&ypath!["connected_to", "switch"]))
                .asset(&a.name)
                .field("connected_to.switch")
                .hint(suggestion(&link.switch, switches)),
            );
            continue;
        };
        if !switch.value.interfaces.iter().any(|i| i.name == link.port) {
            let ports: Vec<&str> = switch
                .value
                .interfaces
                .iter()
                .map(|i| i.name.as_str())
                .collect();
            diagnostics.push(
                Diagnostic::error(
                    "inventory.unknown-port",
                    format!("switch `{}` has no port `{}`", link.switch, link.port),
                )
                .at(asset.origin.locate(&ypath!["connected_to", "port"]))
                .asset(&a.name)
                .field("connected_to.port")
                .hint(match did_you_mean(&link.port, ports) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => String::from("list the port under the switch's interfaces"),
                }),
            );
            continue;
        }
        if let Some(other) =
            claimed.insert((link.switch.as_str(), link.port.as_str()), a.name.as_str())
        {
            diagnostics.push(
                Diagnostic::error(
                    "inventory.port-in-use",
                    format!(
                        "port {} of `{}` is already used by `{other}`",
                        link.port, link.switch
                    ),
                )
                .at(asset.origin.locate(&ypath!["connected_to", "port"]))
                .asset(&a.name)
                .field("connected_to.port"),
            );
        }
    }
    diagnostics
}
