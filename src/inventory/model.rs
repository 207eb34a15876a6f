//! The inventory's schema: what a technician writes in the human-owned YAML files. Pure data
//! with serde derives; loading lives in `load.rs`, checks in `validate.rs` and `crate::plan`.
//!
//! Layout of an inventory folder (each file optional except `netparc.yml`):
//! ```text
//! netparc.yml        settings: name, templates and playbooks folders, secrets, policy
//! plan/<site>.yml    addressing plan, one site per file
//! groups.yml         groups: name -> vars, credentials, snmp   (or groups/*.yml)
//! defaults.yml       the same shape as a group, applied to every asset
//! assets/**/*.yml    one asset per file (a mapping) or several (a sequence)
//! secrets.age        the encrypted secrets store (`vault:NAME` references)
//! state/             netparc-owned: what netparc writes back; never edited by hand
//! ```

pub use super::monitoring::{MonitoringSettings, MonitoringVars};
use crate::secrets::SecretRef;
pub use crate::transport::ssh::SshAlgorithms;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// `netparc.yml`: how this inventory is laid out and which rules apply to it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Settings {
    /// Short name of the inventory (shown in reports).
    pub name: String,
    /// One line saying whose network this is.
    #[serde(default)]
    pub description: Option<String>,
    /// Templates folder, relative to the inventory.
    #[serde(default = "default_templates")]
    pub templates: String,
    /// Playbooks folder, relative to the inventory.
    #[serde(default = "default_playbooks")]
    pub playbooks: String,
    /// Where the encrypted secrets live.
    #[serde(default)]
    pub secrets: SecretsSettings,
    /// Fields allowed to hold several lines (banners); every other string is single-line.
    #[serde(default = "default_multiline_fields")]
    pub multiline_fields: Vec<String>,
    /// Audit rule severities, by diagnostic code (`audit.password-weak: error`).
    #[serde(default)]
    pub policy: PolicySettings,
    /// Availability monitoring (the daemon): service levels, maintenance windows, per-kind
    /// values, API token, webhook.
    #[serde(default)]
    pub monitoring: MonitoringSettings,
    /// Who users call (printed on onboarding handover sheets).
    #[serde(default)]
    pub support: Option<Support>,
}

fn default_templates() -> String {
    String::from("templates")
}
fn default_playbooks() -> String {
    String::from("playbooks")
}
fn default_multiline_fields() -> Vec<String> {
    vec![String::from("banner"), String::from("motd")]
}

/// Where the encrypted store, its recipients and the identity that opens it live.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SecretsSettings {
    /// The age-encrypted store, relative to the inventory.
    #[serde(default = "default_store")]
    pub store: String,
    /// Public keys the store is encrypted to, one per line.
    #[serde(default = "default_recipients")]
    pub recipients: String,
    /// Identity (private key) that opens the store; `NETPARC_IDENTITY` overrides it. Left
    /// empty, `~/.config/netparc/identity.txt` is used. An identity inside the inventory is
    /// for demos only, and the audit says so.
    #[serde(default)]
    pub identity: Option<String>,
}

fn default_store() -> String {
    String::from("secrets.age")
}
fn default_recipients() -> String {
    String::from("secrets.recipients")
}

impl Default for SecretsSettings {
    fn default() -> Self {
        SecretsSettings {
            store: default_store(),
            recipients: default_recipients(),
            identity: None,
        }
    }
}

/// Audit configuration.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct PolicySettings {
    /// Severity per audit code: `error`, `warning` or `note`.
    #[serde(default)]
    pub severity: BTreeMap<String, String>,
}

/// One site of the addressing plan (`plan/<site>.yml`).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Site {
    /// Short identifier used by assets and selectors (`hq`).
    pub site: String,
    /// Human name (`Head office, Paris`).
    #[serde(default)]
    pub name: Option<String>,
    /// Postal address, for the documentation.
    #[serde(default)]
    pub address: Option<String>,
    /// Subnets must not overlap inside one routing domain; sites joined by the VPN share one.
    #[serde(default = "default_routing_domain")]
    pub routing_domain: String,
    /// DNS resolvers handed to this site's clients.
    #[serde(default)]
    pub dns: Vec<IpAddr>,
    /// NTP servers the devices of this site sync to.
    #[serde(default)]
    pub ntp: Vec<IpAddr>,
    /// Syslog collectors the devices of this site log to.
    #[serde(default)]
    pub syslog: Vec<IpAddr>,
    /// DNS domain of the site.
    #[serde(default)]
    pub domain: Option<String>,
    /// Which DHCP server renders this site's reservations.
    #[serde(default)]
    pub dhcp_server: Option<DhcpServerKind>,
    /// Security requirements the audit enforces for this site.
    #[serde(default)]
    pub policy: SitePolicy,
    /// The VLANs of the site, each with its subnets.
    #[serde(default)]
    pub vlans: Vec<Vlan>,
}

fn default_routing_domain() -> String {
    String::from("default")
}

/// DHCP servers whose reservation format netparc writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DhcpServerKind {
    /// ISC Kea (JSON).
    Kea,
    /// dnsmasq (`dhcp-host=` lines).
    Dnsmasq,
}

/// Per-site security requirements.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct SitePolicy {
    /// Minimum SNMP version devices of this site must use.
    #[serde(default)]
    pub snmp: Option<SnmpVersion>,
    /// Wi-Fi security modes allowed at this site; empty = any but open.
    #[serde(default)]
    pub wifi: Vec<WifiSecurity>,
}

/// A VLAN and its addressing.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Vlan {
    /// 802.1Q id, 1–4094.
    pub id: u32,
    /// Name used everywhere else (`users`).
    pub name: String,
    /// What the VLAN is for.
    pub purpose: VlanPurpose,
    /// Free text for the documentation.
    #[serde(default)]
    pub description: Option<String>,
    /// IPv4 and IPv6 subnets of the VLAN (a VLAN without subnets is layer 2 only).
    #[serde(default)]
    pub subnets: Vec<Subnet>,
}

/// The purpose of a VLAN, as the plan records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VlanPurpose {
    /// Workstations.
    Data,
    /// IP phones.
    Voice,
    /// Device management.
    Management,
    /// Visitors.
    Guest,
    /// Staff Wi-Fi.
    Wifi,
    /// Servers.
    Servers,
    /// Printers and scanners.
    Printers,
    /// VPN clients.
    Vpn,
    /// Point-to-point and transit links.
    Transit,
    /// Cameras, badges, building systems.
    Iot,
    /// Where unused ports are parked (no routing, no clients).
    Parking,
    /// The trunks' untagged VLAN, kept empty on purpose.
    Native,
}

/// One subnet with its gateway, DHCP pools and reservations.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Subnet {
    /// The prefix (`10.1.10.0/24`, `2001:db8:1:10::/64`).
    pub prefix: Prefix,
    /// Default gateway.
    #[serde(default)]
    pub gateway: Option<IpAddr>,
    /// Address ranges served by DHCP (`10.1.10.100-10.1.10.199`).
    #[serde(default)]
    pub dhcp: Vec<IpRange>,
    /// Ranges kept out of allocation, with why.
    #[serde(default)]
    pub reserved: Vec<Reservation>,
}

/// A range kept out of allocation.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Reservation {
    /// The addresses.
    pub range: IpRange,
    /// Why (shown in the documentation).
    #[serde(default)]
    pub reason: Option<String>,
}

/// An IP prefix, kept as written so host bits can be reported rather than silently dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Prefix(pub ipnetwork::IpNetwork);

impl FromStr for Prefix {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if !s.contains('/') {
            return Err(format!(
                "`{s}` is not a prefix: expected address/length, e.g. 10.1.10.0/24"
            ));
        }
        s.parse::<ipnetwork::IpNetwork>()
            .map(Prefix)
            .map_err(|error| format!("`{s}` is not a valid prefix: {error}"))
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl<'de> Deserialize<'de> for Prefix {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for Prefix {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// An inclusive range of addresses: `10.1.10.100-10.1.10.199`, or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpRange {
    /// First address.
    pub start: IpAddr,
    /// Last address (inclusive).
    pub end: IpAddr,
}

impl IpRange {
    /// True when `address` lies in the range.
    pub fn contains(&self, address: IpAddr) -> bool {
        match (address, self.start, self.end) {
            (IpAddr::V4(a), IpAddr::V4(s), IpAddr::V4(e)) => s <= a && a <= e,
            (IpAddr::V6(a), IpAddr::V6(s), IpAddr::V6(e)) => s <= a && a <= e,
            _ => false,
        }
    }

    /// True when the two ranges share at least one address.
    pub fn overlaps(&self, other: &IpRange) -> bool {
        self.contains(other.start)
            || self.contains(other.end)
            || other.contains(self.start)
            || other.contains(self.end)
    }
}

impl FromStr for IpRange {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parse = |part: &str| {
            part.trim().parse::<IpAddr>().map_err(|_| {
                format!("`{s}` is not an address range: expected first-last, e.g. 10.1.10.100-10.1.10.199")
            })
        };
        let (start, end) = match s.split_once('-') {
            Some((start, end)) => (parse(start)?, parse(end)?),
            None => {
                let single = parse(s)?;
                (single, single)
            }
        };
        if start.is_ipv4() != end.is_ipv4() {
            return Err(format!("`{s}` mixes IPv4 and IPv6"));
        }
        if start > end {
            return Err(format!("`{s}` ends before it starts"));
        }
        Ok(IpRange { start, end })
    }
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}-{}", self.start, self.end)
        }
    }
}

impl<'de> Deserialize<'de> for IpRange {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for IpRange {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A group, or the defaults: values shared by many assets. Precedence: the asset's own
/// value, then its groups in the order it lists them, then the defaults.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct GroupVars {
    /// What the group is.
    #[serde(default)]
    pub description: Option<String>,
    /// Template variables, merged key by key.
    #[serde(default)]
    pub vars: BTreeMap<String, serde_json::Value>,
    /// Login credentials.
    #[serde(default)]
    pub credentials: Option<Credentials>,
    /// SNMP profile.
    #[serde(default)]
    pub snmp: Option<SnmpProfile>,
    /// How netparc reaches the devices over SSH (port, algorithms).
    #[serde(default)]
    pub ssh: Option<SshSettings>,
    /// Named secrets templates need (RADIUS keys, NTP keys…), as references; a template
    /// sees them as `secrets.<name>`. Merged key by key like `vars`.
    #[serde(default)]
    pub secrets: BTreeMap<String, SecretRef>,
    /// Availability monitoring values (intervals, retries, thresholds, service level).
    #[serde(default)]
    pub monitoring: Option<MonitoringVars>,
}

/// What kind of equipment an asset is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetKind {
    /// Ethernet switch.
    Switch,
    /// Wi-Fi access point.
    AccessPoint,
    /// VPN concentrator.
    VpnGateway,
    /// Router.
    Router,
    /// Firewall.
    Firewall,
    /// Server.
    Server,
    /// Desktop or laptop.
    Workstation,
    /// Printer or multifunction device.
    Printer,
    /// IP phone.
    Phone,
    /// Anything else with an address.
    Other,
}

impl AssetKind {
    /// Every kind, for selectors' "did you mean".
    pub const ALL: [(&'static str, AssetKind); 10] = [
        ("switch", AssetKind::Switch),
        ("access_point", AssetKind::AccessPoint),
        ("vpn_gateway", AssetKind::VpnGateway),
        ("router", AssetKind::Router),
        ("firewall", AssetKind::Firewall),
        ("server", AssetKind::Server),
        ("workstation", AssetKind::Workstation),
        ("printer", AssetKind::Printer),
        ("phone", AssetKind::Phone),
        ("other", AssetKind::Other),
    ];

    /// The name as written in YAML.
    pub fn as_str(self) -> &'static str {
        AssetKind::ALL
            .iter()
            .find(|(_, kind)| *kind == self)
            .map(|(name, _)| *name)
            .unwrap_or("other")
    }
}

impl fmt::Display for AssetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One piece of equipment.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Asset {
    /// Unique name (also the hostname configured on the device).
    pub name: String,
    /// What it is.
    pub kind: AssetKind,
    /// Which driver speaks to it (`ios`, `linux`); absent for things netparc does not configure.
    #[serde(default)]
    pub platform: Option<String>,
    /// Its role, which with the platform picks the template (`ios/access-switch.tera`).
    #[serde(default)]
    pub role: Option<String>,
    /// An explicit template, overriding platform/role.
    #[serde(default)]
    pub template: Option<String>,
    /// The site it belongs to.
    pub site: String,
    /// Management address (the workstation's own address for end devices).
    #[serde(default)]
    pub address: Option<IpAddr>,
    /// The VLAN its address belongs to; inferred from the subnets when absent.
    #[serde(default)]
    pub vlan: Option<String>,
    /// Groups, in precedence order (first wins).
    #[serde(default)]
    pub groups: Vec<String>,
    /// Free text for humans.
    #[serde(default)]
    pub description: Option<String>,
    /// Hardware model.
    #[serde(default)]
    pub model: Option<String>,
    /// Serial number, as SNMP's ENTITY-MIB will report it.
    #[serde(default)]
    pub serial: Option<String>,
    /// Fleet-management dates.
    #[serde(default)]
    pub lifecycle: Lifecycle,
    /// MAC address (end devices).
    #[serde(default)]
    pub mac: Option<String>,
    /// Who uses it (workstations).
    #[serde(default)]
    pub user: Option<String>,
    /// The switch port an end device is plugged into.
    #[serde(default)]
    pub connected_to: Option<PortRef>,
    /// Login credentials (references to secrets, never inline).
    #[serde(default)]
    pub credentials: Option<Box<Credentials>>,
    /// SNMP profile.
    #[serde(default)]
    pub snmp: Option<Box<SnmpProfile>>,
    /// How netparc reaches it over SSH, overriding its groups' and the defaults' (per field).
    #[serde(default)]
    pub ssh: Option<Box<SshSettings>>,
    /// Template variables (highest precedence).
    #[serde(default)]
    pub vars: BTreeMap<String, serde_json::Value>,
    /// Named secrets for templates (`secrets.<name>`), as references.
    #[serde(default)]
    pub secrets: BTreeMap<String, SecretRef>,
    /// Ports (switches, routers, access points' uplinks).
    #[serde(default)]
    pub interfaces: Vec<Interface>,
    /// Wireless networks broadcast (access points).
    #[serde(default)]
    pub ssids: Vec<Ssid>,
    /// VPN service (gateways).
    #[serde(default)]
    pub vpn: Option<Box<VpnService>>,
    /// Login banner (multi-line by design).
    #[serde(default)]
    pub banner: Option<String>,
    /// Availability monitoring values, overriding its groups' and the defaults'.
    #[serde(default)]
    pub monitoring: Option<Box<MonitoringVars>>,
    /// The SSIDs a workstation was given a Wi-Fi profile for (onboarding).
    #[serde(default)]
    pub wifi: Vec<String>,
    /// A workstation's remote-access VPN peer on a gateway: the gateway's configuration
    /// gains this peer, so onboarding never rewrites the gateway's file.
    #[serde(default)]
    pub vpn_client: Option<Box<VpnClient>>,
    /// Retired (offboarded): kept for fleet history, no longer configured, monitored or
    /// holding an address. What it held is kept here for the record.
    #[serde(default)]
    pub retired: Option<Box<Retirement>>,
}

impl Asset {
    /// Offboarded: history only.
    pub fn is_retired(&self) -> bool {
        self.retired.is_some()
    }
}

/// A workstation's VPN peer on a gateway: a WireGuard public key, or an OpenVPN client
/// certificate (identified by its serial).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct VpnClient {
    /// The gateway asset.
    pub gateway: String,
    /// Its tunnel address, in the gateway's client VLAN.
    pub address: IpAddr,
    /// WireGuard: its public key (the private key is in the secrets store).
    #[serde(default)]
    pub public_key: Option<String>,
    /// OpenVPN: the client certificate issued by the gateway's CA (the key is in the
    /// secrets store; the certificate itself is in the user's profile).
    #[serde(default)]
    pub certificate: Option<VpnCertificate>,
    /// WireGuard: the pre-shared key shared with the gateway.
    #[serde(default)]
    pub preshared_key: Option<SecretRef>,
    /// The client's private key, kept for re-issuing its profile.
    #[serde(default)]
    pub private_key: Option<SecretRef>,
}

/// What identifies an OpenVPN client certificate, as the CA issued it: enough to revoke it
/// (serial) and to recognise it (fingerprint, expiry) without keeping the certificate.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct VpnCertificate {
    /// Serial number, upper-case hex without separators (as `openssl x509 -serial` prints).
    pub serial: String,
    /// SHA-256 of the DER certificate, upper-case hex with colons (as `openssl x509
    /// -fingerprint -sha256` prints).
    #[serde(default)]
    pub sha256: Option<String>,
    /// Last day of validity (YYYY-MM-DD).
    #[serde(default)]
    pub not_after: Option<String>,
}

/// What an offboarded asset held, and when it left.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Retirement {
    /// Offboarding date (YYYY-MM-DD).
    pub date: String,
    /// Why, or the ticket.
    #[serde(default)]
    pub reason: Option<String>,
    /// The address it held (released).
    #[serde(default)]
    pub address: Option<IpAddr>,
    /// Its MAC address.
    #[serde(default)]
    pub mac: Option<String>,
    /// The switch port it was plugged into (shut until another device is onboarded there).
    #[serde(default)]
    pub connected_to: Option<PortRef>,
    /// The VPN gateway and tunnel address it had.
    #[serde(default)]
    pub vpn: Option<String>,
    /// Its OpenVPN client certificate, revoked on the retirement date (listed in the
    /// gateway's CRL).
    #[serde(default)]
    pub vpn_certificate: Option<VpnCertificate>,
}

/// Dates a fleet manager tracks.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Lifecycle {
    /// Purchase date (YYYY-MM-DD).
    #[serde(default)]
    pub purchased: Option<String>,
    /// End of hardware warranty (YYYY-MM-DD).
    #[serde(default)]
    pub warranty_end: Option<String>,
    /// End of software licence or support contract (YYYY-MM-DD).
    #[serde(default)]
    pub licence_end: Option<String>,
    /// Who owns the contract.
    #[serde(default)]
    pub supplier: Option<String>,
}

/// The help desk users call.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Support {
    /// Team or person.
    pub name: String,
    /// Phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// Opening hours.
    #[serde(default)]
    pub hours: Option<String>,
}

/// A port on another asset.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PortRef {
    /// The switch's asset name.
    pub switch: String,
    /// The interface name on it.
    pub port: String,
}

/// Login credentials. The secrets are references (`vault:`, `env:`, `file:`).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Credentials {
    /// Login name.
    pub username: String,
    /// Login password.
    #[serde(default)]
    pub password: Option<SecretRef>,
    /// Privileged-mode secret (IOS `enable secret`).
    #[serde(default)]
    pub enable: Option<SecretRef>,
    /// Private key (OpenSSH format) for public-key login; the twin lab authorizes its
    /// public half. A key, not a password: never rendered into templates.
    #[serde(default)]
    pub ssh_key: Option<SecretRef>,
}

/// How netparc reaches a device over SSH. Each field is taken from the first level that sets
/// it (asset, groups, defaults).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct SshSettings {
    /// TCP port (default 22).
    #[serde(default)]
    pub port: Option<std::num::NonZeroU16>,
    /// Algorithms offered: `modern` (default) or `legacy` (adds SHA-1 and CBC for old
    /// firmware; the audit flags it).
    #[serde(default)]
    pub algorithms: Option<SshAlgorithms>,
    /// Time allowed to connect and finish the handshake, and again to log in (default
    /// 10s): raise it for sites behind slow links.
    #[serde(default, deserialize_with = "positive_timeout")]
    pub timeout: Option<super::monitoring::Span>,
}

/// A timeout of zero would fail every connection before it starts.
fn positive_timeout<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<super::monitoring::Span>, D::Error> {
    let span = super::monitoring::Span::deserialize(deserializer)?;
    if span.0.is_zero() {
        return Err(serde::de::Error::custom(
            "a timeout of 0 fails every connection: give at least 1s",
        ));
    }
    Ok(Some(span))
}

/// SNMP versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SnmpVersion {
    /// SNMPv1 (community, cleartext).
    V1,
    /// SNMPv2c (community, cleartext).
    V2c,
    /// SNMPv3 (USM).
    V3,
}

/// SNMPv3 authentication protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SnmpAuthProtocol {
    /// HMAC-MD5-96 (weak; legacy devices only).
    Md5,
    /// HMAC-SHA-96.
    Sha,
    /// HMAC-SHA-224.
    Sha224,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-384.
    Sha384,
    /// HMAC-SHA-512.
    Sha512,
}

/// SNMPv3 privacy protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SnmpPrivProtocol {
    /// DES (weak; legacy devices only).
    Des,
    /// AES-128.
    Aes,
    /// AES-192.
    Aes192,
    /// AES-256.
    Aes256,
}

/// How netparc (and the device's agent) speak SNMP.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SnmpProfile {
    /// Protocol version.
    pub version: SnmpVersion,
    /// v1/v2c community (a secret reference).
    #[serde(default)]
    pub community: Option<SecretRef>,
    /// v3 user name.
    #[serde(default)]
    pub user: Option<String>,
    /// v3 authentication protocol.
    #[serde(default)]
    pub auth: Option<SnmpAuthProtocol>,
    /// v3 authentication passphrase.
    #[serde(default)]
    pub auth_password: Option<SecretRef>,
    /// v3 privacy protocol.
    #[serde(default)]
    pub privacy: Option<SnmpPrivProtocol>,
    /// v3 privacy passphrase.
    #[serde(default)]
    pub priv_password: Option<SecretRef>,
    /// Where to contact the device's owner (sysContact).
    #[serde(default)]
    pub contact: Option<String>,
    /// Physical location (sysLocation).
    #[serde(default)]
    pub location: Option<String>,
    /// How long netparc's poller waits for one answer, in milliseconds (default 2000).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// How many times the poller asks again after a timeout (default 1).
    #[serde(default)]
    pub retries: Option<u32>,
}

/// Port modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PortMode {
    /// One untagged VLAN (plus an optional voice VLAN).
    Access,
    /// Several tagged VLANs.
    Trunk,
    /// Layer 3 port with its own address.
    Routed,
    /// Not in use: shut down in the parking VLAN.
    Unused,
}

/// A port of a switch, router or access point.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Interface {
    /// Interface name as the device knows it (`GigabitEthernet1/0/12`).
    pub name: String,
    /// Description (lands in the config: single line, checked).
    #[serde(default)]
    pub description: Option<String>,
    /// Port mode.
    #[serde(default = "default_port_mode")]
    pub mode: PortMode,
    /// Access VLAN (name from the plan).
    #[serde(default)]
    pub vlan: Option<String>,
    /// Voice VLAN (name from the plan).
    #[serde(default)]
    pub voice_vlan: Option<String>,
    /// Trunk: VLANs allowed.
    #[serde(default)]
    pub allowed_vlans: Vec<String>,
    /// Trunk: native VLAN.
    #[serde(default)]
    pub native_vlan: Option<String>,
    /// Administratively down.
    #[serde(default)]
    pub shutdown: bool,
    /// Routed ports: address with prefix length.
    #[serde(default)]
    pub address: Option<String>,
    /// Power over Ethernet enabled on the port (absent: the device's default).
    #[serde(default)]
    pub poe: Option<bool>,
}

fn default_port_mode() -> PortMode {
    PortMode::Access
}

/// Wi-Fi security modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WifiSecurity {
    /// No encryption (captive portals only).
    Open,
    /// WPA2 with a pre-shared key.
    Wpa2Psk,
    /// WPA2 with 802.1X.
    Wpa2Enterprise,
    /// WPA3-SAE.
    Wpa3Sae,
    /// WPA2/WPA3 transition (PSK and SAE on one SSID).
    Wpa2Wpa3,
    /// WPA3 with 802.1X.
    Wpa3Enterprise,
}

/// A wireless network.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Ssid {
    /// Network name as broadcast.
    pub name: String,
    /// VLAN its clients land in (name from the plan).
    pub vlan: String,
    /// Security mode.
    pub security: WifiSecurity,
    /// Pre-shared key, for PSK and SAE modes.
    #[serde(default)]
    pub psk: Option<SecretRef>,
    /// Not broadcast.
    #[serde(default)]
    pub hidden: bool,
    /// Bands (`2.4`, `5`, `6`).
    #[serde(default)]
    pub bands: Vec<String>,
}

/// VPN technologies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VpnType {
    /// WireGuard.
    Wireguard,
    /// OpenVPN.
    Openvpn,
}

/// OpenVPN transports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VpnProto {
    /// UDP (OpenVPN's default, and the better choice).
    Udp,
    /// TCP (where only TCP gets through).
    Tcp,
}

/// A VPN gateway's service.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct VpnService {
    /// Technology.
    #[serde(rename = "type")]
    pub vpn_type: VpnType,
    /// Tunnel interface (`wg0`; `tun0` for OpenVPN).
    #[serde(default = "default_vpn_interface")]
    pub interface: String,
    /// Port the gateway listens on (UDP, or TCP for OpenVPN over TCP).
    #[serde(default = "default_vpn_port")]
    pub listen_port: u16,
    /// OpenVPN: transport protocol (udp when absent).
    #[serde(default)]
    pub proto: Option<VpnProto>,
    /// OpenVPN: the CA certificate (PEM file, path relative to the inventory,
    /// `pki/<gateway>-ca.crt`). Clients' certificates are issued by it.
    #[serde(default)]
    pub ca: Option<String>,
    /// OpenVPN: the CA's private key (a secret reference, `vault:`): signs client
    /// certificates and the CRL on the technician's machine, never sent to the gateway.
    #[serde(default)]
    pub ca_key: Option<SecretRef>,
    /// OpenVPN: the gateway's own certificate (PEM file relative to the inventory), issued
    /// by `ca`; its private key is `private_key`.
    #[serde(default)]
    pub cert: Option<String>,
    /// OpenVPN: the tls-crypt static key (a secret reference) shared with every client.
    #[serde(default)]
    pub tls_crypt: Option<SecretRef>,
    /// OpenVPN: the certificate revocation list (PEM file relative to the inventory,
    /// default `pki/<gateway>-crl.pem`), written by netparc when it revokes a client.
    #[serde(default)]
    pub crl: Option<String>,
    /// OpenVPN: days a client certificate is valid (default 825).
    #[serde(default)]
    pub client_cert_days: Option<u32>,
    /// Public endpoint clients dial (host:port).
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The VLAN of VPN client addresses (name from the plan).
    pub client_vlan: String,
    /// The gateway's own tunnel address, with prefix length.
    pub tunnel_address: String,
    /// The gateway's private key (WireGuard key, or the PEM key of its OpenVPN
    /// certificate).
    #[serde(default)]
    pub private_key: Option<SecretRef>,
    /// WireGuard: the gateway's public key (given to clients).
    #[serde(default)]
    pub public_key: Option<String>,
    /// Routes pushed to clients.
    #[serde(default)]
    pub routes: Vec<String>,
    /// Clients.
    #[serde(default)]
    pub peers: Vec<VpnPeer>,
}

fn default_vpn_interface() -> String {
    String::from("wg0")
}
fn default_vpn_port() -> u16 {
    51820
}

/// Days an OpenVPN client certificate is valid when `client_cert_days` is absent (825:
/// the longest validity browsers ever accepted; a workstation is re-issued well before).
pub const DEFAULT_CLIENT_CERT_DAYS: u32 = 825;

impl VpnService {
    /// The CRL file (relative to the inventory) of an OpenVPN gateway named `gateway`.
    pub fn crl_path(&self, gateway: &str) -> String {
        self.crl
            .clone()
            .unwrap_or_else(|| format!("pki/{gateway}-crl.pem"))
    }

    /// Days a client certificate of this gateway is valid.
    pub fn client_cert_days(&self) -> u32 {
        self.client_cert_days.unwrap_or(DEFAULT_CLIENT_CERT_DAYS)
    }
}

/// A VPN client.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct VpnPeer {
    /// Who (usually the workstation's name; an OpenVPN client's certificate CN).
    pub name: String,
    /// WireGuard: the client's public key.
    #[serde(default)]
    pub public_key: Option<String>,
    /// OpenVPN: the client's certificate.
    #[serde(default)]
    pub certificate: Option<VpnCertificate>,
    /// The client's tunnel address.
    pub address: IpAddr,
    /// Optional pre-shared key (post-quantum hardening).
    #[serde(default)]
    pub preshared_key: Option<SecretRef>,
    /// Networks reachable through this peer besides its own address (site-to-site).
    #[serde(default)]
    pub allowed_ips: Vec<Prefix>,
    /// Where the gateway reaches the peer (site-to-site peers with a fixed address).
    #[serde(default)]
    pub endpoint: Option<String>,
}

/// Every field name the schema knows, for "did you mean" on unknown keys.
pub fn vocabulary() -> Vec<&'static str> {
    use crate::yaml::struct_fields;
    let mut words: Vec<&'static str> = [
        struct_fields::<Settings>(),
        struct_fields::<SecretsSettings>(),
        struct_fields::<PolicySettings>(),
        struct_fields::<Site>(),
        struct_fields::<SitePolicy>(),
        struct_fields::<Vlan>(),
        struct_fields::<Subnet>(),
        struct_fields::<Reservation>(),
        struct_fields::<GroupVars>(),
        struct_fields::<Asset>(),
        struct_fields::<Lifecycle>(),
        struct_fields::<PortRef>(),
        struct_fields::<VpnClient>(),
        struct_fields::<Retirement>(),
        struct_fields::<Support>(),
        struct_fields::<Credentials>(),
        struct_fields::<SnmpProfile>(),
        struct_fields::<SshSettings>(),
        struct_fields::<Interface>(),
        struct_fields::<Ssid>(),
        struct_fields::<VpnService>(),
        struct_fields::<VpnPeer>(),
        struct_fields::<VpnCertificate>(),
    ]
    .concat();
    words.sort_unstable();
    words.dedup();
    words
}
