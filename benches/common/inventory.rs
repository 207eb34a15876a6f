//! The generated inventory shared by the benches that need twins (`lab_scale`,
//! `push_speed`): eight sites with valid addressing plans, defaults with credentials and an
//! SNMPv3 authPriv profile behind `file:` secrets (mode 0600, 24 random characters), and a
//! [`Mix`] of IOS access switches, IOS access points, Linux WireGuard gateways and
//! workstations plugged into switch ports. Deterministic: the same mix gives the same
//! inventory on every run (one seeded [`Rng`]).
//!
//! Included by each bench with `#[path = "common/inventory.rs"] mod inventory;`.

// Each bench uses a part of this module (`push_speed` has no use for `Rng::shuffle`, for
// instance), and a bench is its own crate: what one leaves unused is not dead code.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// A small deterministic PRNG (SplitMix64): the same inventory and sample on every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn token(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len())] as char)
            .collect()
    }
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
    /// A WireGuard-style public key: 32 random bytes, base64.
    pub fn wireguard_key(&mut self) -> String {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let bytes: Vec<u8> = (0..32).map(|_| self.next() as u8).collect();
        let mut out = String::with_capacity(44);
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
                if i <= chunk.len() {
                    out.push(ALPHABET[((n >> shift) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}

/// What was generated.
#[derive(Default)]
pub struct Generated {
    /// IOS access switches (`sw-<site>-NNNN`, one file each).
    pub switches: usize,
    /// IOS access points (`ap-<site>-NNNN`, a list per site).
    pub access_points: usize,
    /// Linux WireGuard gateways (`vpn-<site>-NN`).
    pub vpn_gateways: usize,
    /// Workstations (`pc-<site>-NNNNN`), the first eight per switch plugged into it.
    pub workstations: usize,
    /// Switch ports in all (24 or 48 access ports plus two uplinks per switch).
    pub ports: usize,
}

impl Generated {
    pub fn total(&self) -> usize {
        self.switches + self.access_points + self.vpn_gateways + self.workstations
    }
}

/// Sites: short name and name.
pub const SITES: [(&str, &str); 8] = [
    ("hq", "Head office"),
    ("lyon", "Lyon agency"),
    ("lille", "Lille agency"),
    ("nantes", "Nantes agency"),
    ("bordeaux", "Bordeaux agency"),
    ("marseille", "Marseille agency"),
    ("rennes", "Rennes agency"),
    ("dc", "Datacenter"),
];

/// Second octet of a site's first /16; each site uses eight consecutive ones (users, voice,
/// Wi-Fi, guest, printers, management, servers, VPN clients).
pub fn octet(site: usize) -> usize {
    16 + site * 8
}

/// The k-th static host of a /16 starting at 10.b.0.0: third octet from 1, fourth from 2 to
/// 251, so never the network, broadcast or gateway address, nor inside a DHCP pool below.
pub fn host(b: usize, k: usize) -> String {
    format!("10.{b}.{}.{}", 1 + k / 250, 2 + k % 250)
}

pub fn plan(site: usize) -> String {
    let (short, name) = SITES[site];
    let b = octet(site);
    format!(
        "\
site: {short}
name: {name}
routing_domain: corp
dns: [10.{s}.0.10]
ntp: [10.{s}.0.11]
syslog: [10.{s}.0.12]
policy:
  snmp: v3
  wifi: [wpa3-sae, wpa2-wpa3]
vlans:
  - id: 10
    name: users
    purpose: data
    subnets:
      - prefix: 10.{b}.0.0/16
        gateway: 10.{b}.0.1
        dhcp: [10.{b}.192.1-10.{b}.255.254]
  - id: 20
    name: voice
    purpose: voice
    subnets:
      - prefix: 10.{v}.0.0/16
        gateway: 10.{v}.0.1
        dhcp: [10.{v}.0.10-10.{v}.255.254]
  - id: 30
    name: wifi-staff
    purpose: wifi
    subnets:
      - prefix: 10.{w}.0.0/16
        gateway: 10.{w}.0.1
        dhcp: [10.{w}.0.10-10.{w}.255.254]
  - id: 40
    name: guest
    purpose: guest
    subnets:
      - prefix: 10.{g}.0.0/16
        gateway: 10.{g}.0.1
        dhcp: [10.{g}.0.10-10.{g}.255.254]
  - id: 99
    name: management
    purpose: management
    subnets:
      - prefix: 10.{m}.0.0/16
        gateway: 10.{m}.0.1
  - id: 100
    name: servers
    purpose: servers
    subnets:
      - prefix: 10.{s}.0.0/16
        gateway: 10.{s}.0.1
  - id: 200
    name: vpn
    purpose: vpn
    subnets:
      - prefix: 10.{n}.0.0/16
        gateway: 10.{n}.0.1
  - id: 999
    name: parking
    purpose: data
",
        v = b + 1,
        w = b + 2,
        g = b + 3,
        m = b + 5,
        s = b + 6,
        n = b + 7,
    )
}

pub const DEFAULTS: &str = "\
credentials:
  username: netadmin
  password: file:secrets/admin
  enable: file:secrets/enable
snmp:
  version: v3
  user: netparc
  auth: sha256
  auth_password: file:secrets/snmp-auth
  privacy: aes
  priv_password: file:secrets/snmp-priv
  contact: noc@corp.example
";

pub const GROUPS: &str = "\
switches:
  description: every access switch
access-points:
  description: every Wi-Fi access point
vpn:
  description: remote-access VPN gateways
";

/// What to generate: the inventory's name and how many assets of each kind.
pub struct Mix {
    /// `name:` of `netparc.yml`.
    pub name: &'static str,
    /// `description:` of `netparc.yml` (which bench generated it).
    pub description: &'static str,
    /// IOS access switches: a third with 48 ports, the rest 24, plus two 10G uplinks.
    pub switches: usize,
    /// IOS access points with two SSIDs.
    pub access_points: usize,
    /// Linux WireGuard gateways with four peers each.
    pub vpn_gateways: usize,
    /// Workstations, eight per switch on its odd ports, the rest unplugged.
    pub workstations: usize,
}

impl Mix {
    /// The lab-scale mix of `assets` assets: 60 % switches, 25 % access points, 5 % VPN
    /// gateways (at least one), the rest workstations.
    pub fn lab_scale(assets: usize) -> Mix {
        let switches = assets * 60 / 100;
        let access_points = assets * 25 / 100;
        let vpn_gateways = (assets * 5 / 100).max(1);
        Mix {
            name: "lab-scale",
            description: "generated by benches/lab_scale.rs",
            switches,
            access_points,
            vpn_gateways,
            workstations: assets - switches - access_points - vpn_gateways,
        }
    }
}

/// Write the inventory at `root`; panics on I/O errors (this is the bench's own data).
pub fn generate(root: &Path, mix: &Mix) -> Generated {
    let mut rng = Rng(0x6c61_625f_7363_616c);
    let mut out = Generated::default();
    let write = |relative: &str, text: &str| {
        let path = root.join(relative);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(&path, text).expect("write");
    };
    write(
        "netparc.yml",
        &format!(
            "name: {}\ndescription: {}\ntemplates: templates\nplaybooks: playbooks\n",
            mix.name, mix.description
        ),
    );
    for (site, (short, _)) in SITES.iter().enumerate() {
        write(&format!("plan/{short}.yml"), &plan(site));
    }
    write("defaults.yml", DEFAULTS);
    write("groups.yml", GROUPS);
    // Strong secrets (about 140 bits each), files private to their owner as netparc requires.
    let alphabet = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!@*-_+=.";
    for name in [
        "admin",
        "enable",
        "snmp-auth",
        "snmp-priv",
        "wifi-staff",
        "wifi-guest",
    ] {
        let path = root.join("secrets").join(name);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(&path, "").expect("create");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
        fs::write(&path, rng.token(alphabet, 24)).expect("write");
    }

    out.switches = mix.switches;
    out.access_points = mix.access_points;
    out.vpn_gateways = mix.vpn_gateways;
    out.workstations = mix.workstations;
    let sites = SITES.len();
    let mut management_next = [0usize; SITES.len()];
    let mut switches_of = [0usize; SITES.len()];
    let serial = b"0123456789ABCDEFGHJKLMNPRSTUVWXYZ";

    for i in 0..out.switches {
        let site = i % sites;
        let number = i / sites + 1;
        let short = SITES[site].0;
        let name = format!("sw-{short}-{number:04}");
        let ports = if i % 3 == 0 { 48 } else { 24 };
        switches_of[site] += 1;
        let address = host(octet(site) + 5, management_next[site]);
        management_next[site] += 1;
        let mut text = format!(
            "\
name: {name}
kind: switch
platform: ios
role: access-switch
site: {short}
address: {address}
vlan: management
groups: [switches]
model: C9200L-{ports}P-4X
serial: FOC{serial}
interfaces:
",
            serial = rng.token(serial, 8),
        );
        for port in 1..=ports {
            if port > ports - 4 {
                let _ = write!(
                    text,
                    "  - name: Gi1/0/{port}\n    description: spare\n    mode: unused\n"
                );
            } else {
                let _ = write!(
                    text,
                    "  - name: Gi1/0/{port}\n    description: desk {port:02}\n    vlan: users\n    voice_vlan: voice\n"
                );
            }
        }
        for uplink in 1..=2 {
            let _ = write!(
                text,
                "  - name: Te1/1/{uplink}\n    description: uplink {uplink}\n    mode: trunk\n    native_vlan: parking\n    allowed_vlans: [users, voice, wifi-staff, guest, management]\n"
            );
        }
        out.ports += ports + 2;
        write(&format!("assets/{short}/switches/{name}.yml"), &text);
    }

    let mut lists: Vec<String> = vec![String::new(); sites];
    for i in 0..out.access_points {
        let site = i % sites;
        let short = SITES[site].0;
        let address = host(octet(site) + 5, management_next[site]);
        management_next[site] += 1;
        let _ = write!(
            lists[site],
            "\
- name: ap-{short}-{number:04}
  kind: access_point
  platform: ios
  role: access-point
  site: {short}
  address: {address}
  vlan: management
  groups: [access-points]
  model: C9120AXI-E
  serial: FGL{serial}
  ssids:
    - name: Corp
      vlan: wifi-staff
      security: wpa3-sae
      psk: file:secrets/wifi-staff
    - name: Corp-Guest
      vlan: guest
      security: wpa2-wpa3
      psk: file:secrets/wifi-guest
",
            number = i / sites + 1,
            serial = rng.token(serial, 8),
        );
    }
    for (site, text) in lists.iter().enumerate() {
        if !text.is_empty() {
            write(&format!("assets/{}/access-points.yml", SITES[site].0), text);
        }
    }

    for i in 0..out.vpn_gateways {
        let site = i % sites;
        let short = SITES[site].0;
        let k = i / sites;
        let n = octet(site) + 7;
        // Each gateway serves its own /24 of the site's VPN /16; the first holds the gateway.
        let mut text = format!(
            "\
name: vpn-{short}-{number:02}
kind: vpn_gateway
platform: linux
role: wireguard-gateway
site: {short}
address: 10.{s}.0.{a}
vlan: servers
groups: [vpn]
model: Dell PowerEdge R250
serial: {serial}
vpn:
  type: wireguard
  interface: wg0
  listen_port: 51820
  client_vlan: vpn
  tunnel_address: 10.{n}.{k}.1/24
  public_key: {key}
  peers:
",
            number = k + 1,
            s = octet(site) + 6,
            a = 20 + k,
            serial = rng.token(serial, 7),
            key = rng.wireguard_key(),
        );
        for peer in 0..4 {
            let _ = write!(
                text,
                "    - name: laptop-{short}-{k}-{peer}\n      public_key: {}\n      address: 10.{n}.{k}.{}\n",
                rng.wireguard_key(),
                10 + peer
            );
        }
        write(
            &format!("assets/{short}/vpn/vpn-{short}-{:02}.yml", k + 1),
            &text,
        );
    }

    let mut lists: Vec<String> = vec![String::new(); sites];
    let mut per_site = [0usize; SITES.len()];
    for i in 0..out.workstations {
        let site = i % sites;
        let short = SITES[site].0;
        let k = per_site[site];
        per_site[site] += 1;
        // Eight workstations per switch, on odd access ports.
        let link = if k / 8 < switches_of[site] {
            format!(
                "  connected_to: {{switch: sw-{short}-{:04}, port: Gi1/0/{}}}\n",
                k / 8 + 1,
                1 + 2 * (k % 8)
            )
        } else {
            String::new()
        };
        let _ = write!(
            lists[site],
            "\
- name: pc-{short}-{k:05}
  kind: workstation
  site: {short}
  address: {address}
  vlan: users
  mac: 3c:52:82:{site:02x}:{hi:02x}:{lo:02x}
  model: Latitude 5440
{link}",
            address = host(octet(site), k),
            hi = (k >> 8) & 0xff,
            lo = k & 0xff,
        );
    }
    for (site, text) in lists.iter().enumerate() {
        if !text.is_empty() {
            write(&format!("assets/{}/workstations.yml", SITES[site].0), text);
        }
    }
    out
}
