//! From inventory to twins: one `DeviceSpec` per asset, with the credentials, SNMP access,
//! ports and management addressing the inventory gives it (secrets resolved, so the twin
//! checks passwords like the real device would).

use super::device::{DeviceSpec, Platform, PortSpec, SnmpAccess};
use crate::diag::{Diagnostic, Diagnostics};
use crate::inventory::{Asset, AssetKind, Inventory, Located, SnmpVersion, vars};
use crate::secrets::{SecretRef, SecretResolver};
use std::net::{IpAddr, Ipv4Addr};

/// Nominal speed from the interface name, the way IOS names ports.
pub fn port_speed(name: &str) -> u32 {
    let lower = name.to_ascii_lowercase();
    let prefixes: [(&str, u32); 8] = [
        ("hundredgig", 100_000),
        ("hu", 100_000),
        ("fortygig", 40_000),
        ("twentyfivegig", 25_000),
        ("twe", 25_000),
        ("tengig", 10_000),
        ("te", 10_000),
        ("fa", 100),
    ];
    prefixes
        .iter()
        .find(|(prefix, _)| lower.starts_with(prefix))
        .map_or(1000, |(_, speed)| *speed)
}

fn platform_of(asset: &Asset) -> Platform {
    match asset.platform.as_deref() {
        Some("ios") => Platform::Ios,
        Some("linux") => Platform::Linux,
        _ => Platform::Host,
    }
}

/// Resolve a reference for the twin, naming the asset and field on failure.
fn reveal(
    resolver: &SecretResolver,
    reference: &SecretRef,
    asset: &str,
    field: &str,
) -> Result<String, Diagnostic> {
    resolver
        .resolve(reference)
        .map(|secret| secret.expose().to_string())
        .map_err(|error| error.to_diagnostic().asset(asset).field(field))
}

/// The twin spec of one asset at `address`.
pub fn spec_for(
    inventory: &Inventory,
    asset: &Located<Asset>,
    resolver: &SecretResolver,
    address: Ipv4Addr,
) -> Result<DeviceSpec, Diagnostics> {
    let a = &asset.value;
    let mut problems = Diagnostics::new();
    let platform = platform_of(a);
    let (mut username, mut password, mut enable_secret) = (String::new(), String::new(), None);
    let mut authorized_keys = Vec::new();
    if platform != Platform::Host {
        match vars::credentials(inventory, asset) {
            Some(credentials) => {
                username = credentials.value.username.clone();
                if let Some(reference) = &credentials.value.password {
                    match reveal(resolver, reference, &a.name, "credentials.password") {
                        Ok(value) => password = value,
                        Err(diagnostic) => problems.push(diagnostic),
                    }
                }
                if let Some(reference) = &credentials.value.enable {
                    match reveal(resolver, reference, &a.name, "credentials.enable") {
                        Ok(value) => enable_secret = Some(value),
                        Err(diagnostic) => problems.push(diagnostic),
                    }
                }
                if let Some(reference) = &credentials.value.ssh_key {
                    match reveal(resolver, reference, &a.name, "credentials.ssh_key")
                        .and_then(|text| public_half(&text, &a.name))
                    {
                        Ok(public) => authorized_keys.push(public),
                        Err(diagnostic) => problems.push(diagnostic),
                    }
                }
            }
            None => problems.push(
                Diagnostic::error(
                    "lab.no-credentials",
                    format!(
                        "`{}` has a platform but no credentials, so its twin cannot accept a login",
                        a.name
                    ),
                )
                .at(asset.origin.here())
                .asset(&a.name)
                .hint("give it (or one of its groups, or the defaults) `credentials:`"),
            ),
        }
    }
    let snmp = match vars::snmp(inventory, asset) {
        None => None,
        Some(profile) => {
            let p = profile.value;
            let mut get = |reference: &Option<SecretRef>, field: &str| match reference {
                Some(reference) => match reveal(resolver, reference, &a.name, field) {
                    Ok(value) => value,
                    Err(diagnostic) => {
                        problems.push(diagnostic);
                        String::new()
                    }
                },
                None => String::new(),
            };
            match p.version {
                SnmpVersion::V3 => Some(SnmpAccess::V3 {
                    user: p.user.clone().unwrap_or_else(|| String::from("netparc")),
                    auth: p.auth.unwrap_or(crate::inventory::SnmpAuthProtocol::Sha256),
                    auth_password: get(&p.auth_password, "snmp.auth_password"),
                    privacy: p.privacy.unwrap_or(crate::inventory::SnmpPrivProtocol::Aes),
                    priv_password: get(&p.priv_password, "snmp.priv_password"),
                }),
                SnmpVersion::V1 | SnmpVersion::V2c => Some(SnmpAccess::V2c {
                    community: get(&p.community, "snmp.community"),
                }),
            }
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let site = inventory.site(&a.site);
    let management = a.address.and_then(|real| {
        let site = site?;
        let placement = crate::plan::place(site, a.vlan.as_deref(), real)?;
        Some((placement.vlan.id, real, placement.subnet.prefix.0.prefix()))
    });
    let snmp_profile = vars::snmp(inventory, asset);
    let contact = snmp_profile
        .as_ref()
        .and_then(|p| p.value.contact.clone())
        .unwrap_or_else(|| String::from("noc@example.net"));
    let location = snmp_profile
        .as_ref()
        .and_then(|p| p.value.location.clone())
        .or_else(|| site.and_then(|s| s.value.name.clone()))
        .unwrap_or_else(|| a.site.clone());
    Ok(DeviceSpec {
        name: a.name.clone(),
        kind: a.kind,
        platform,
        address: IpAddr::V4(address),
        real_address: a.address,
        model: a
            .model
            .clone()
            .unwrap_or_else(|| default_model(a.kind).to_string()),
        serial: a
            .serial
            .clone()
            .unwrap_or_else(|| format!("TWIN{:08X}", fnv(&a.name))),
        username,
        password,
        enable_secret,
        authorized_keys,
        snmp,
        contact,
        location,
        ports: a
            .interfaces
            .iter()
            .map(|i| PortSpec {
                name: i.name.clone(),
                speed_mbps: port_speed(&i.name),
            })
            .collect(),
        management_vlan: management.map(|(vlan, ..)| vlan),
        management_prefix: management.map(|(_, address, length)| (address, length)),
    })
}

/// The OpenSSH public line of a private key (the twin authorizes it, as `authorized_keys`
/// would on a device).
fn public_half(private: &str, asset: &str) -> Result<String, Diagnostic> {
    russh::keys::PrivateKey::from_openssh(private)
        .map_err(|error| {
            Diagnostic::error(
                "lab.bad-ssh-key",
                format!("the SSH key of `{asset}` is not an OpenSSH private key: {error}"),
            )
            .asset(asset)
            .field("credentials.ssh_key")
        })
        .and_then(|key| {
            key.public_key().to_openssh().map_err(|error| {
                Diagnostic::error(
                    "lab.bad-ssh-key",
                    format!("cannot encode the public key of `{asset}`: {error}"),
                )
                .asset(asset)
            })
        })
}

fn fnv(name: &str) -> u32 {
    name.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

fn default_model(kind: AssetKind) -> &'static str {
    match kind {
        AssetKind::Switch => "C9200L-48P-4G",
        AssetKind::AccessPoint => "C9120AXI-E",
        AssetKind::VpnGateway => "Debian GNU/Linux 12",
        AssetKind::Router => "ISR4331/K9",
        AssetKind::Firewall => "FPR-1010",
        _ => "generic",
    }
}

#[cfg(test)]
mod tests {
    use super::port_speed;

    #[test]
    fn speeds_follow_ios_names() {
        assert_eq!(port_speed("GigabitEthernet1/0/1"), 1000);
        assert_eq!(port_speed("TenGigabitEthernet1/1/1"), 10_000);
        assert_eq!(port_speed("Te1/1/1"), 10_000);
        assert_eq!(port_speed("FastEthernet0/1"), 100);
        assert_eq!(port_speed("TwentyFiveGigE1/0/1"), 25_000);
        assert_eq!(port_speed("eth0"), 1000);
    }
}
