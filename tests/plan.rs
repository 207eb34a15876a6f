//! The addressing plan's rules, one test each, asserting message and location; utilisation
//! and next-free allocation.

use crate::util::{Fixture, assert_clean, expect};
use netparc::plan::{AllocationError, next_free, utilisation};
use std::net::IpAddr;

#[test]
fn base_fixture_is_valid() {
    assert_clean(&Fixture::new().validate());
}

#[test]
fn vlan_id_outside_range() {
    let f = Fixture::new();
    f.edit("plan/hq.yml", "id: 30", "id: 4095");
    let d = f.validate();
    let e = expect(
        &d,
        "plan.vlan-id-range",
        "VLAN `wifi-staff` has id 4095, outside 1–4094",
        "plan/hq.yml:23:9",
    );
    assert_eq!(
        e.expected.as_deref(),
        Some("an 802.1Q VLAN id from 1 to 4094")
    );
    f.edit("plan/hq.yml", "id: 4095", "id: 0");
    expect(
        &f.validate(),
        "plan.vlan-id-range",
        "has id 0",
        "plan/hq.yml:23:9",
    );
}

#[test]
fn duplicate_vlan_id_and_name() {
    let f = Fixture::new();
    f.edit("plan/hq.yml", "id: 30", "id: 10");
    f.edit("plan/hq.yml", "name: servers", "name: users");
    let d = f.validate();
    let e = expect(
        &d,
        "plan.duplicate-vlan-id",
        "VLAN id 10 is used twice in site `hq`",
        "plan/hq.yml:23:9",
    );
    assert!(
        e.hint
            .as_deref()
            .unwrap_or_default()
            .contains("plan/hq.yml:11:9"),
        "{e}"
    );
    expect(
        &d,
        "plan.duplicate-vlan-name",
        "VLAN name `users` is used twice",
        "plan/hq.yml:37:11",
    );
}

#[test]
fn overlapping_subnets_in_one_routing_domain() {
    let f = Fixture::new();
    f.edit("plan/hq.yml", "prefix: 10.0.30.0/24", "prefix: 10.0.0.0/16");
    f.edit("plan/hq.yml", "gateway: 10.0.30.1", "gateway: 10.0.0.1");
    f.edit(
        "plan/hq.yml",
        "dhcp: [10.0.30.50-10.0.30.250]",
        "dhcp: [10.0.200.50-10.0.200.250]",
    );
    let d = f.validate();
    // the /16 swallows users, management and servers: one finding each
    let overlaps: Vec<_> = d
        .iter()
        .filter(|d| d.code == "plan.subnet-overlap")
        .collect();
    assert_eq!(overlaps.len(), 3, "{d}");
    expect(
        &d,
        "plan.subnet-overlap",
        "subnet 10.0.10.0/24 (site hq, VLAN users) overlaps 10.0.0.0/16 (site hq, VLAN wifi-staff)",
        "plan/hq.yml:15:17",
    );
}

#[test]
fn overlap_across_sites_only_within_a_routing_domain() {
    let f = Fixture::new();
    let branch = "site: branch\nrouting_domain: corp\nvlans:\n  - id: 10\n    name: users\n    purpose: data\n    subnets:\n      - prefix: 10.0.10.128/25\n";
    f.write("plan/branch.yml", branch);
    expect(
        &f.validate(),
        "plan.subnet-overlap",
        "subnet 10.0.10.128/25 (site branch, VLAN users) overlaps 10.0.10.0/24 (site hq, VLAN users)",
        "plan/branch.yml:8:17",
    );
    f.edit(
        "plan/branch.yml",
        "routing_domain: corp",
        "routing_domain: guest-isolated",
    );
    assert_clean(&f.validate());
}

#[test]
fn gateway_outside_subnet() {
    let f = Fixture::new();
    f.edit("plan/hq.yml", "gateway: 10.0.10.1", "gateway: 10.0.11.1");
    let d = f.validate();
    let e = expect(
        &d,
        "plan.gateway-outside-subnet",
        "gateway 10.0.11.1 is outside its subnet 10.0.10.0/24",
        "plan/hq.yml:16:18",
    );
    assert_eq!(
        e.expected.as_deref(),
        Some("an address inside 10.0.10.0/24")
    );
    assert!(e.hint.is_some());
}

#[test]
fn gateway_on_network_or_broadcast_address() {
    let f = Fixture::new();
    f.edit("plan/hq.yml", "gateway: 10.0.99.1", "gateway: 10.0.99.255");
    expect(
        &f.validate(),
        "plan.gateway-reserved-address",
        "gateway 10.0.99.255 is the broadcast address of 10.0.99.0/24",
        "plan/hq.yml:35:18",
    );
    f.edit("plan/hq.yml", "gateway: 10.0.99.255", "gateway: 10.0.99.0");
    expect(
        &f.validate(),
        "plan.gateway-reserved-address",
        "is the network address",
        "plan/hq.yml:35:18",
    );
}

#[test]
fn prefix_with_host_bits() {
    let f = Fixture::new();
    f.edit(
        "plan/hq.yml",
        "prefix: 10.0.100.0/24",
        "prefix: 10.0.100.7/24",
    );
    let d = f.validate();
    let e = expect(
        &d,
        "plan.prefix-host-bits",
        "prefix 10.0.100.7/24 has host bits set",
        "plan/hq.yml:40:17",
    );
    assert_eq!(e.hint.as_deref(), Some("did you mean 10.0.100.0/24?"));
}

#[test]
fn dhcp_pool_outside_subnet() {
    let f = Fixture::new();
    f.edit(
        "plan/hq.yml",
        "dhcp: [10.0.10.100-10.0.10.199]",
        "dhcp: [10.0.10.100-10.0.11.20]",
    );
    expect(
        &f.validate(),
        "plan.dhcp-outside-subnet",
        "DHCP pool 10.0.10.100-10.0.11.20 is not inside its subnet 10.0.10.0/24",
        "plan/hq.yml:17:16",
    );
}

#[test]
fn dhcp_pool_covering_the_gateway() {
    let f = Fixture::new();
    f.edit(
        "plan/hq.yml",
        "dhcp: [10.0.30.50-10.0.30.250]",
        "dhcp: [10.0.30.1-10.0.30.250]",
    );
    expect(
        &f.validate(),
        "plan.dhcp-includes-reserved",
        "DHCP pool 10.0.30.1-10.0.30.250 includes the gateway address 10.0.30.1",
        "plan/hq.yml:29:16",
    );
}

#[test]
fn reservation_inside_a_dhcp_pool() {
    let f = Fixture::new();
    f.edit(
        "plan/hq.yml",
        "range: 10.0.10.2-10.0.10.9",
        "range: 10.0.10.150-10.0.10.160",
    );
    expect(
        &f.validate(),
        "plan.reserved-in-dhcp",
        "reserved range 10.0.10.150-10.0.10.160 lies inside DHCP pool 10.0.10.100-10.0.10.199",
        "plan/hq.yml:19:20",
    );
}

#[test]
fn static_address_inside_a_dhcp_pool() {
    let f = Fixture::new();
    f.edit(
        "assets/workstations.yml",
        "address: 10.0.10.20",
        "address: 10.0.10.120",
    );
    let d = f.validate();
    let e = expect(
        &d,
        "plan.static-in-dhcp",
        "static address 10.0.10.120 of `pc1` lies inside DHCP pool 10.0.10.100-10.0.10.199",
        "assets/workstations.yml:4:12",
    );
    assert_eq!(e.asset.as_deref(), Some("pc1"));
}

#[test]
fn two_assets_with_one_address() {
    let f = Fixture::new();
    f.edit(
        "assets/workstations.yml",
        "address: 10.0.10.30",
        "address: 10.0.10.20",
    );
    let d = f.validate();
    let e = expect(
        &d,
        "plan.duplicate-address",
        "address 10.0.10.20 of `printer1` is also used by `pc1`",
        "assets/workstations.yml:12:12",
    );
    assert!(
        e.hint
            .as_deref()
            .unwrap_or_default()
            .contains("assets/workstations.yml:4:12")
    );
}

#[test]
fn asset_address_outside_its_vlan() {
    let f = Fixture::new();
    f.edit(
        "assets/sw1.yml",
        "address: 10.0.99.11",
        "address: 10.0.10.11",
    );
    let d = f.validate();
    let e = expect(
        &d,
        "plan.address-outside-vlan",
        "address 10.0.10.11 of `sw1` is outside the subnets of VLAN `management`",
        "assets/sw1.yml:6:10",
    );
    assert_eq!(e.expected.as_deref(), Some("an address in 10.0.99.0/24"));
}

#[test]
fn asset_address_in_no_subnet_of_its_site() {
    let f = Fixture::new();
    f.edit(
        "assets/workstations.yml",
        "address: 10.0.10.30",
        "address: 10.9.9.9",
    );
    expect(
        &f.validate(),
        "plan.address-outside-vlan",
        "address 10.9.9.9 of `printer1` is in no subnet of site `hq`",
        "assets/workstations.yml:12:12",
    );
}

#[test]
fn asset_on_the_gateway_address() {
    let f = Fixture::new();
    f.edit(
        "assets/workstations.yml",
        "address: 10.0.10.30",
        "address: 10.0.10.1",
    );
    expect(
        &f.validate(),
        "plan.address-reserved",
        "address 10.0.10.1 of `printer1` is the gateway of 10.0.10.0/24",
        "assets/workstations.yml:12:12",
    );
}

#[test]
fn every_problem_is_reported_in_one_pass() {
    let f = Fixture::new();
    f.edit("plan/hq.yml", "id: 30", "id: 5000");
    f.edit("plan/hq.yml", "gateway: 10.0.10.1", "gateway: 10.0.11.1");
    f.edit("assets/sw1.yml", "site: hq", "site: hq2");
    f.edit(
        "assets/workstations.yml",
        "address: 10.0.10.30",
        "address: 10.0.10.20",
    );
    let d = f.validate();
    for code in [
        "plan.vlan-id-range",
        "plan.gateway-outside-subnet",
        "inventory.unknown-site",
        "plan.duplicate-address",
    ] {
        assert!(d.iter().any(|x| x.code == code), "missing {code} in:\n{d}");
    }
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn next_free_skips_network_gateway_reserved_pool_and_assigned() {
    let f = Fixture::new();
    let (inventory, _) = f.load();
    let inventory = inventory.unwrap();
    // .0 network, .1 gateway, .2-.9 reserved: .10 is first
    assert_eq!(
        next_free(&inventory, "hq", "users", false),
        Ok(ip("10.0.10.10"))
    );
    // management: .1 gateway, .11 sw1, .21 ap1
    assert_eq!(
        next_free(&inventory, "hq", "management", false),
        Ok(ip("10.0.99.2"))
    );
    assert_eq!(
        next_free(&inventory, "hq", "users", true),
        Ok(ip("2001:db8:10::2"))
    );
}

#[test]
fn next_free_walks_past_assigned_addresses() {
    let f = Fixture::new();
    let mut list = String::new();
    for host in 10..=20 {
        list.push_str(&format!(
            "- name: pc{host}\n  kind: workstation\n  site: hq\n  address: 10.0.10.{host}\n"
        ));
    }
    f.write("assets/more.yml", &list);
    f.edit(
        "assets/workstations.yml",
        "address: 10.0.10.20",
        "address: 10.0.10.22",
    );
    let (inventory, d) = f.load();
    assert!(!d.has_errors(), "{d}");
    assert_eq!(
        next_free(&inventory.unwrap(), "hq", "users", false),
        Ok(ip("10.0.10.21"))
    );
}

#[test]
fn next_free_in_a_full_vlan_says_so_with_utilisation() {
    let f = Fixture::new();
    f.edit(
        "plan/hq.yml",
        "dhcp: [10.0.30.50-10.0.30.250]",
        "dhcp: [10.0.30.2-10.0.30.254]",
    );
    let (inventory, _) = f.load();
    let error = next_free(&inventory.unwrap(), "hq", "wifi-staff", false).unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, AllocationError::Full { .. }));
    assert!(text.contains("VLAN `wifi-staff` is full: no free static address left in 10.0.30.0/24 (utilisation 100.0%, 253 addresses in DHCP pools)"), "{text}");
}

#[test]
fn next_free_unknown_names_suggest() {
    let f = Fixture::new();
    let (inventory, _) = f.load();
    let inventory = inventory.unwrap();
    let text = next_free(&inventory, "hq", "user", false)
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("site `hq` has no VLAN `user` (did you mean `users`?)"),
        "{text}"
    );
    let text = next_free(&inventory, "hg", "users", false)
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("unknown site `hg` (did you mean `hq`?)"),
        "{text}"
    );
}

#[test]
fn utilisation_counts() {
    let f = Fixture::new();
    let (inventory, _) = f.load();
    let usage = utilisation(&inventory.unwrap());
    let users = usage
        .iter()
        .find(|u| u.vlan == "users" && u.prefix == "10.0.10.0/24")
        .unwrap();
    assert_eq!(users.size, 254);
    assert_eq!(users.dhcp, 100);
    assert_eq!(users.reserved, 8);
    assert_eq!(users.used, 3); // gateway, pc1, printer1
    assert_eq!(users.free, 254 - 100 - 8 - 3);
    assert!((users.utilisation - (111.0 * 100.0 / 254.0)).abs() < 1e-9);
}

#[test]
fn plan_commands_through_the_binary() {
    let f = Fixture::new();
    let out = f.run(&["plan", "-i", ".", "next-free", "hq", "users"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "10.0.10.10");
    let out = f.run(&["plan", "-i", "."]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("site hq"), "{text}");
    assert!(text.contains("10.0.10.0/24"), "{text}");
    let out = f.run(&["plan", "-i", ".", "next-free", "hq", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("site `hq` has no VLAN `nope`"));
}

#[test]
fn a_router_may_hold_its_subnets_gateway_but_a_printer_may_not() {
    let f = Fixture::new();
    f.write(
        "assets/fw1.yml",
        "name: fw1\nkind: firewall\nsite: hq\naddress: 10.0.100.1\nvlan: servers\n",
    );
    assert_clean(&f.validate());
    f.edit("assets/fw1.yml", "kind: firewall", "kind: printer");
    expect(
        &f.validate(),
        "plan.address-reserved",
        "address 10.0.100.1 of `fw1` is the gateway of 10.0.100.0/24",
        "assets/fw1.yml:4:10",
    );
}

const VPN: &str = "\
name: vpn1
kind: vpn_gateway
site: hq
address: 10.0.99.30
vlan: management
vpn:
  type: wireguard
  client_vlan: servers
  tunnel_address: 10.0.100.2/24
  peers:
    - name: laptop-1
      public_key: aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd28=
      address: 10.0.100.40
    - name: lyon
      public_key: bGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd28=
      address: 10.0.100.41
      allowed_ips: [10.20.0.0/16]
      endpoint: lyon.example.net:51820
";

#[test]
fn vpn_peer_addresses_belong_to_the_plan() {
    let f = Fixture::new();
    f.write("assets/vpn1.yml", VPN);
    assert_clean(&f.validate());
    let (inventory, _) = f.load();
    // .1 gateway, then .2 … the peers hold .40 and .41
    let inventory = inventory.unwrap();
    let usage = utilisation(&inventory);
    let servers = usage.iter().find(|u| u.vlan == "servers").unwrap();
    assert_eq!(servers.used, 4, "gateway, the tunnel address and two peers");
    f.edit(
        "assets/vpn1.yml",
        "address: 10.0.100.41",
        "address: 10.0.99.11",
    );
    let d = f.validate();
    let e = expect(
        &d,
        "plan.address-outside-vlan",
        "address 10.0.99.11 of `vpn1 peer lyon` is outside the subnets of VLAN `servers`",
        "assets/vpn1.yml:16:16",
    );
    assert_eq!(e.field.as_deref(), Some("vpn.peers[1].address"));
    expect(
        &d,
        "plan.duplicate-address",
        "address 10.0.99.11 of `vpn1 peer lyon` is also used by `sw1`",
        "assets/vpn1.yml:16:16",
    );
}

#[test]
fn routed_port_addresses_are_checked_and_counted() {
    let f = Fixture::new();
    f.edit(
        "assets/sw1.yml",
        "  - name: Gi1/0/48\n",
        "  - name: Gi1/0/47\n    mode: routed\n    address: 10.0.100.5/24\n  - name: Gi1/0/48\n",
    );
    assert_clean(&f.validate());
    let (inventory, _) = f.load();
    let usage = utilisation(&inventory.unwrap());
    assert_eq!(usage.iter().find(|u| u.vlan == "servers").unwrap().used, 2);
    f.edit(
        "assets/sw1.yml",
        "address: 10.0.100.5/24",
        "address: 10.0.100.5",
    );
    expect(
        &f.validate(),
        "plan.bad-interface-address",
        "interface Gi1/0/47 of `sw1` has address `10.0.100.5`, which is not address/length",
        "assets/sw1.yml:19:14",
    );
}
