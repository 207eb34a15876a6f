//! Unit and property tests of the comparison and remediation: text in, lines out, plus a
//! small pure simulator of how IOS applies lines (for the property "applying the
//! remediation yields the intended configuration") and an evaluator of standard ACLs (for
//! "an ACL change never denies what both versions permit").

use super::normalize::{Context, key_of, same_setting};
use super::*;
use proptest::prelude::*;

fn lines(text: &[&str]) -> Vec<String> {
    text.iter().map(|s| s.to_string()).collect()
}

fn merge(running: &str, intended: &str) -> Vec<String> {
    remediation(running, intended, Mode::Merge)
}

fn replace(running: &str, intended: &str) -> Vec<String> {
    remediation(running, intended, Mode::Replace)
}

#[test]
fn a_line_removed_inside_an_interface_is_negated_in_its_block() {
    let running = "interface GigabitEthernet1/0/5\n description desk\n switchport voice vlan 20\n spanning-tree portfast\n";
    let intended = "interface Gi1/0/5\n description desk\n spanning-tree portfast\n";
    assert_eq!(
        replace(running, intended),
        lines(&["interface Gi1/0/5", " no switchport voice vlan 20"])
    );
    // Merge leaves what the intent does not mention.
    assert!(merge(running, intended).is_empty());
}

#[test]
fn single_valued_settings_are_typed_in_place_without_a_no() {
    let running =
        "hostname old\ninterface Gi1/0/1\n description old text\n switchport access vlan 10\n";
    let intended =
        "hostname new\ninterface Gi1/0/1\n description new text\n switchport access vlan 20\n";
    let expected = lines(&[
        "hostname new",
        // IOS would create the VLAN a port is put in: the remediation says so first.
        "vlan 20",
        "interface Gi1/0/1",
        " description new text",
        " switchport access vlan 20",
    ]);
    assert_eq!(replace(running, intended), expected);
    assert_eq!(merge(running, intended), expected);
}

#[test]
fn nested_blocks_are_entered_and_exited() {
    let running = "policy-map QOS\n class VOICE\n  set dscp ef\n class VIDEO\n  set dscp af41\nrouter ospf 1\n router-id 1.1.1.1\n";
    let intended = "policy-map QOS\n class VOICE\n  set dscp ef\n  police 1000000\n class VIDEO\n  set dscp af31\n class BULK\n  set dscp af11\nrouter ospf 1\n router-id 1.1.1.1\n address-family ipv4 unicast\n  maximum-paths 4\n exit-address-family\nntp server 10.0.0.1\n";
    assert_eq!(
        replace(running, intended),
        lines(&[
            "policy-map QOS",
            " class VOICE",
            "  police 1000000",
            "  exit",
            " class VIDEO",
            "  no set dscp af41",
            "  set dscp af31",
            "  exit",
            " class BULK",
            "  set dscp af11",
            "  exit",
            "router ospf 1",
            " address-family ipv4 unicast",
            "  maximum-paths 4",
            "  exit",
            " exit",
            "ntp server 10.0.0.1",
        ])
    );
}

#[test]
fn replace_removes_top_level_lines_and_blocks_after_the_additions() {
    let running = "hostname a\nntp server 10.0.0.9\nvlan 50\n name printers\nvlan 60\n name old\ninterface Vlan60\n ip address 10.0.60.1 255.255.255.0\nbanner motd ^C\nhello\n^C\n";
    let intended = "hostname a\nvlan 60\n name old\nntp server 10.0.0.1\n";
    assert_eq!(
        replace(running, intended),
        lines(&[
            "ntp server 10.0.0.1",
            "no ntp server 10.0.0.9",
            "no vlan 50",
            "no banner motd",
            // The only SVI with an address is taken for the management one: it goes last.
            "no interface Vlan60",
        ])
    );
    assert_eq!(merge(running, intended), lines(&["ntp server 10.0.0.1"]));
}

#[test]
fn dropping_aaa_new_model_comes_before_the_line_logins_it_would_discard() {
    let commands = replace(
        "aaa new-model\naaa authentication login default local\nline vty 0 15\n transport input ssh\n",
        "line vty 0 15\n login local\n transport input ssh\n",
    );
    assert_eq!(
        commands.first().map(String::as_str),
        Some("no aaa new-model"),
        "{commands:#?}"
    );
    let login = commands.iter().position(|c| c.trim() == "login local");
    assert!(login.is_some(), "{commands:#?}");
}

#[test]
fn replace_leaves_what_the_device_writes_for_itself() {
    let running = "boot-start-marker\nboot-end-marker\nlicense boot level network-advantage addon dna-advantage\nredundancy\n mode sso\ncrypto pki trustpoint TP-self-signed-123\n enrollment selfsigned\ncrypto pki certificate chain TP-self-signed-123\n certificate self-signed 01\n  30820330 30820218 A0030201\n  \tquit\nline con 0\n stopbits 1\nhostname a\nntp server 10.0.0.9\n";
    assert_eq!(
        replace(running, "hostname a\n"),
        lines(&["no ntp server 10.0.0.9"])
    );
    let diff = unified_diff(running, "hostname a\nline con 0\n", "x");
    assert!(
        diff.ends_with("\n hostname a\n-ntp server 10.0.0.9\n"),
        "{diff}"
    );
}

#[test]
fn a_port_removed_from_the_intent_is_defaulted_not_negated() {
    let running = "interface GigabitEthernet1/0/7\n description old desk\n switchport access vlan 10\n shutdown\ninterface GigabitEthernet1/0/8\ninterface Loopback0\n ip address 10.255.0.1 255.255.255.255\n";
    let intended = "interface Gi1/0/8\n";
    assert_eq!(
        replace(running, intended),
        lines(&[
            "default interface GigabitEthernet1/0/7",
            "no interface Loopback0"
        ])
    );
    // An unconfigured port is the same as a port not mentioned.
    assert!(replace("interface GigabitEthernet1/0/8\n", "").is_empty());
    assert!(replace("", "interface GigabitEthernet1/0/8\n").is_empty());
}

#[test]
fn secrets_compare_by_everything_but_the_value() {
    let running =
        "enable secret 9 $9$abc$def\nusername netadmin privilege 15 secret 9 $9$xyz$uvw\n";
    let intended = "enable algorithm-type scrypt secret Cleartext-1\nusername netadmin privilege 15 algorithm-type scrypt secret Other-2\n";
    assert!(replace(running, intended).is_empty());
    assert_eq!(unified_diff(running, intended, "sw1"), "");
    // Anything else on the line is compared; the old user line is replaced in place.
    let intended = "enable algorithm-type scrypt secret Cleartext-1\nusername netadmin privilege 1 algorithm-type scrypt secret Other-2\n";
    assert_eq!(
        replace(running, intended),
        lines(&["username netadmin privilege 1 algorithm-type scrypt secret Other-2"])
    );
    // A user the intent drops goes by name.
    assert_eq!(
        replace(running, "enable secret 9 $9$q\n"),
        lines(&["no username netadmin"])
    );
    // The diff never shows a secret.
    let diff = unified_diff(running, intended, "sw1");
    assert!(
        !diff.contains("Other-2") && diff.contains("<secret>"),
        "{diff}"
    );
}

#[test]
fn hidden_defaults_and_show_headers_are_not_differences() {
    let running = "Building configuration...\n\nCurrent configuration : 99 bytes\n!\nversion 17.9\nhostname a\n!\ninterface Vlan99\n ip address 10.0.99.2 255.255.255.0\n no ip proxy-arp\n!\nend\n";
    let intended = "hostname a\ninterface vlan99\n ip address 10.0.99.2 255.255.255.0\n no ip proxy-arp\n no shutdown\n switchport\nip cef\n";
    assert!(replace(running, intended).is_empty());
    assert_eq!(unified_diff(running, intended, "sw1"), "");
}

#[test]
fn a_hidden_default_is_sent_when_the_device_says_otherwise() {
    let running = "interface GigabitEthernet1/0/3\n description desk\n shutdown\n no cdp enable\n";
    let intended = "interface Gi1/0/3\n description desk\n no shutdown\n cdp enable\n";
    let expected = lines(&["interface Gi1/0/3", " no shutdown", " cdp enable"]);
    assert_eq!(merge(running, intended), expected);
    assert_eq!(replace(running, intended), expected);
    // Once in force, IOS shows neither: nothing left to do.
    assert!(
        merge(
            "interface GigabitEthernet1/0/3\n description desk\n",
            intended
        )
        .is_empty()
    );
    let diff = unified_diff(running, intended, "sw1");
    assert!(
        diff.contains("\n- shutdown\n") && !diff.contains("+ no shutdown"),
        "{diff}"
    );
}

#[test]
fn lines_compare_line_by_line_whatever_their_grouping() {
    // IOS may show one `line vty 0 15` as two blocks.
    let running = "line con 0\n exec-timeout 10 0\nline vty 0 4\n exec-timeout 10 0\n transport input ssh\nline vty 5 15\n transport input ssh\n exec-timeout 10 0\n";
    let intended =
        "line con 0\n exec-timeout 10 0\nline vty 0 15\n exec-timeout 10 0\n transport input ssh\n";
    assert!(replace(running, intended).is_empty());
    assert_eq!(unified_diff(running, intended, "sw1"), "");
    // Only the lines that differ get commands, under one header per run of lines.
    let running = "line con 0\n exec-timeout 10 0\nline vty 0 4\n exec-timeout 10 0\n transport input ssh\nline vty 5 15\n exec-timeout 5 0\n transport input telnet ssh\n logging synchronous\n";
    assert_eq!(
        replace(running, intended),
        lines(&[
            "line vty 5 15",
            " no logging synchronous",
            " exec-timeout 10 0",
            " transport input ssh",
        ])
    );
    assert_eq!(
        merge(running, intended),
        lines(&[
            "line vty 5 15",
            " exec-timeout 10 0",
            " transport input ssh"
        ])
    );
    // Lines the intent does not mention are emptied in replace mode, never removed.
    assert_eq!(
        replace("line aux 0\n exec-timeout 0 0\n", ""),
        lines(&["line aux 0", " no exec-timeout 0 0"])
    );
}

#[test]
fn banners_compare_by_text_whatever_their_delimiter() {
    let running = "banner motd ^C\nAuthorised access only.\n^C\n";
    assert!(replace(running, "banner motd #\nAuthorised access only.\n#\n").is_empty());
    assert_eq!(
        replace(running, "banner motd ^C\nAuthorised staff only.\n^C\n"),
        lines(&["banner motd ^C", "Authorised staff only.", "^C"])
    );
}

#[test]
fn snmp_users_go_with_their_group() {
    let intended =
        "snmp-server group G v3 priv\nsnmp-server user u G v3 auth sha-2 256 A priv aes 128 B\n";
    assert_eq!(
        merge("", intended),
        lines(&[
            "snmp-server group G v3 priv",
            "snmp-server user u G v3 auth sha-2 256 A priv aes 128 B"
        ])
    );
    // IOS never shows the user: once the group is there, nothing is left to do.
    assert!(merge("snmp-server group G v3 priv\n", intended).is_empty());
    assert!(replace("snmp-server group G v3 priv\n", intended).is_empty());
}

#[test]
fn the_management_svi_and_its_vlan_come_last() {
    let running = "vlan 10\n name users\nvlan 99\n name mgmt\ninterface Vlan99\n ip address 10.0.99.2 255.255.255.0\nip default-gateway 10.0.99.1\nip ssh source-interface Vlan99\n";
    let intended = "vlan 10\n name staff\nvlan 99\n name management\ninterface Vlan99\n description Management\n ip address 10.0.99.3 255.255.255.0\ninterface Gi1/0/1\n switchport access vlan 10\nip default-gateway 10.0.99.254\nip ssh source-interface Vlan99\nntp server 10.0.0.1\n";
    assert_eq!(
        merge(running, intended),
        lines(&[
            "vlan 10",
            " name staff",
            "interface Gi1/0/1",
            " switchport access vlan 10",
            " exit",
            "ntp server 10.0.0.1",
            "vlan 99",
            " name management",
            "interface Vlan99",
            " description Management",
            " ip address 10.0.99.3 255.255.255.0",
            " exit",
            "ip default-gateway 10.0.99.254",
        ])
    );
    // Several SVIs with addresses and no `ip ssh source-interface`: the hint decides.
    let running = "interface Vlan10\n ip address 10.0.10.1 255.255.255.0\ninterface Vlan98\n ip address 10.0.98.2 255.255.255.0\n";
    let intended = "interface Vlan10\n ip address 10.0.10.2 255.255.255.0\ninterface Vlan98\n ip address 10.0.98.3 255.255.255.0\nhostname b\n";
    let planned = remediation_with(running, intended, Mode::Merge, Some(10));
    assert_eq!(
        planned.last().map(String::as_str),
        Some(" ip address 10.0.10.2 255.255.255.0")
    );
    assert_eq!(planned[planned.len() - 2], "interface Vlan10");
}

#[test]
fn the_uplink_carrying_management_changes_after_the_other_ports() {
    let running = "vlan 10\ninterface Gi1/1/1\n switchport mode trunk\n switchport trunk allowed vlan 10,20,99\ninterface Gi1/0/2\n switchport mode access\n switchport access vlan 10\ninterface Vlan99\n ip address 10.0.99.2 255.255.255.0\n";
    let intended = "interface Gi1/1/1\n description uplink\n switchport mode trunk\n switchport trunk allowed vlan 10,20,30,99\ninterface Gi1/0/2\n description desk\n switchport mode access\n switchport access vlan 10\ninterface Vlan99\n ip address 10.0.99.2 255.255.255.0\n";
    assert_eq!(
        merge(running, intended),
        lines(&[
            "interface Gi1/0/2",
            " description desk",
            "interface Gi1/1/1",
            " description uplink",
            " switchport trunk allowed vlan 10,20,30,99",
        ])
    );
}

#[test]
fn a_new_management_svi_is_in_place_before_the_old_one_goes() {
    let running = "vlan 99\n name mgmt\ninterface Vlan99\n ip address 10.0.99.2 255.255.255.0\nip ssh source-interface Vlan99\nhostname a\n";
    let intended = "vlan 98\n name mgmt-new\ninterface Vlan98\n ip address 10.0.98.2 255.255.255.0\nip ssh source-interface Vlan98\nhostname b\n";
    assert_eq!(
        replace(running, intended),
        lines(&[
            "ip ssh source-interface Vlan98",
            "hostname b",
            "vlan 98",
            " name mgmt-new",
            "interface Vlan98",
            " ip address 10.0.98.2 255.255.255.0",
            " exit",
            "no interface Vlan99",
            "no vlan 99",
        ])
    );
}

#[test]
fn the_unified_diff_shows_changes_with_context() {
    let running = "hostname a\nntp server 10.0.0.1\nntp server 10.0.0.2\nntp server 10.0.0.3\nlogging host 10.0.0.5\ninterface Gi1/0/1\n description old\n";
    let intended = "hostname a\nntp server 10.0.0.1\nntp server 10.0.0.2\nntp server 10.0.0.3\nlogging host 10.0.0.6\ninterface GigabitEthernet1/0/1\n description new\n";
    let diff = unified_diff(running, intended, "sw-hq-02");
    assert!(
        diff.starts_with("--- running (sw-hq-02)\n+++ intended (sw-hq-02)\n@@ "),
        "{diff}"
    );
    for expected in [
        "\n ntp server 10.0.0.3\n",
        "\n-logging host 10.0.0.5\n",
        "\n+logging host 10.0.0.6\n",
        "\n interface GigabitEthernet1/0/1\n",
        "\n- description old\n",
        "\n+ description new\n",
    ] {
        assert!(diff.contains(expected), "{expected:?} in\n{diff}");
    }
    // Order alone is not a difference: IOS files lines in its own order.
    assert_eq!(
        unified_diff(
            "ntp server 1.1.1.1\nhostname a\n",
            "hostname a\nntp server 1.1.1.1\n",
            "x"
        ),
        ""
    );
}

/// A standard ACL entry: permit?, network, wildcard.
fn entry(key: &str) -> Option<(bool, u32, u32)> {
    let words: Vec<&str> = key.split(' ').collect();
    let permit = match *words.first()? {
        "permit" => true,
        "deny" => false,
        _ => return None,
    };
    let ip = |s: &str| s.parse::<std::net::Ipv4Addr>().ok().map(u32::from);
    match &words[1..] {
        ["any", ..] => Some((permit, 0, u32::MAX)),
        ["host", a, ..] => Some((permit, ip(a)?, 0)),
        [a, w, ..] if ip(w).is_some() => Some((permit, ip(a)?, ip(w)?)),
        [a, ..] => Some((permit, ip(a)?, 0)),
        [] => None,
    }
}

/// What a standard ACL (entries in order, remarks ignored) does with a source.
fn permits(entries: &[String], source: u32) -> bool {
    entries
        .iter()
        .filter_map(|e| entry(e))
        .find(|(_, net, wild)| source & !wild == net & !wild)
        .is_some_and(|(permit, _, _)| permit)
}

/// The entries of `name` in a simulated configuration, in order.
fn acl_entries(config: &[Sim], name: &str) -> Vec<String> {
    config
        .iter()
        .find(|n| n.key.starts_with("ip access-list ") && n.key.ends_with(&format!(" {name}")))
        .map(|n| n.children.iter().map(|c| c.key.clone()).collect())
        .unwrap_or_default()
}

#[test]
fn an_acl_change_puts_new_permits_first_and_never_cuts_management() {
    let running = "ip access-list standard MGMT\n permit 10.10.99.0 0.0.0.255\n permit 10.10.50.0 0.0.0.255\n deny   any log\n";
    let intended = "ip access-list standard MGMT\n permit 10.10.100.0 0.0.0.255\n permit 10.10.99.0 0.0.0.255\n permit 10.20.99.0 0.0.0.255\n deny   any log\n";
    let planned = merge(running, intended);
    assert_eq!(
        planned,
        lines(&[
            "ip access-list resequence MGMT 20 20",
            "ip access-list standard MGMT",
            " 10 permit 10.10.100.0 0.0.0.255",
            " 30 permit 10.20.99.0 0.0.0.255",
            " no 40",
        ])
    );
    // Step by step, nothing that both versions permit is denied.
    let sources: Vec<u32> = [
        "10.10.99.7",
        "10.10.100.7",
        "10.20.99.7",
        "10.10.50.7",
        "192.0.2.1",
    ]
    .iter()
    .filter_map(|s| s.parse::<std::net::Ipv4Addr>().ok().map(u32::from))
    .collect();
    let mut config = sim_parse(running);
    let mut stack = Vec::new();
    let old = acl_entries(&config, "MGMT");
    let new: Vec<String> = sim_parse(intended)[0]
        .children
        .iter()
        .map(|c| c.key.clone())
        .collect();
    for step in 0..planned.len() {
        sim_apply(&mut config, &mut stack, &planned[step..=step]);
        let now = acl_entries(&config, "MGMT");
        for s in &sources {
            if permits(&old, *s) && permits(&new, *s) {
                assert!(
                    permits(&now, *s),
                    "source {s:x} cut after {:?}: {now:?}",
                    planned[step]
                );
            }
        }
    }
    assert_eq!(acl_entries(&config, "MGMT"), new);
    assert!(merge(&sim_render(&config), intended).is_empty());
}

#[test]
fn an_acl_rebuilt_from_scratch_is_safe_at_every_step() {
    // A deny moves in front of an old permit, and most entries change.
    let running = "ip access-list standard MGMT\n permit 10.0.0.0 0.255.255.255\n deny   any\n";
    let intended = "ip access-list standard MGMT\n deny   host 10.9.9.9\n permit 10.10.0.0 0.0.255.255\n permit 10.0.0.0 0.255.255.255\n deny   any log\n";
    let planned = replace(running, intended);
    let mut config = sim_parse(running);
    let mut stack = Vec::new();
    let old = acl_entries(&config, "MGMT");
    let new: Vec<String> = sim_parse(intended)[0]
        .children
        .iter()
        .map(|c| c.key.clone())
        .collect();
    let sources: Vec<u32> = (0..=255u32)
        .map(|i| (10 << 24) | (i << 16) | 0x0909)
        .collect();
    for step in 0..planned.len() {
        sim_apply(&mut config, &mut stack, &planned[step..=step]);
        let now = acl_entries(&config, "MGMT");
        for s in &sources {
            if permits(&old, *s) && permits(&new, *s) {
                assert!(permits(&now, *s), "{s:x} cut after {:?}", planned[step]);
            }
        }
    }
    assert_eq!(acl_entries(&config, "MGMT"), new);
}

/// An ACL change goes through the twin's command line unrefused, and converges.
#[test]
fn an_acl_change_converges_on_the_twin() {
    use super::twin_tests::{Cli, hq_ios_assets, twin};
    let Some((_, _, spec)) = hq_ios_assets().into_iter().find(|a| a.0 == "sw-hq-02") else {
        panic!("sw-hq-02 renders");
    };
    let device = twin(spec);
    let mut cli = Cli::open(&device);
    let first = "ip access-list standard MGMT\n permit 10.10.99.0 0.0.0.255\n permit 10.10.50.0 0.0.0.255\n deny   any log\nline vty 0 15\n access-class MGMT in\n";
    let steps = [
        first,
        "ip access-list standard MGMT\n remark management only\n permit 10.10.100.0 0.0.0.255\n permit 10.10.99.0 0.0.0.255\n deny   host 10.10.50.9\n permit 10.10.50.0 0.0.0.255\n deny   any log\nline vty 0 15\n access-class MGMT in\n",
        "ip access-list standard MGMT\n permit 10.10.99.0 0.0.0.255\n deny   any log\nline vty 0 15\n access-class MGMT in\n",
    ];
    for intended in steps {
        let running = cli.running();
        cli.configure("sw1", &merge(&running, intended));
        let running = cli.running();
        assert!(merge(&running, intended).is_empty(), "{running}");
        let lists = cli.send("show ip access-lists MGMT");
        let expected: Vec<String> = sim_parse(intended)[0]
            .children
            .iter()
            .map(|c| c.key.clone())
            .collect();
        let shown: Vec<String> = lists
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
            .collect();
        assert_eq!(shown, expected, "{lists}");
    }
}

// ---------------------------------------------------------------------------------------
// A pure simulator of IOS applying remediation lines, for the property tests.

/// One simulated configuration line.
#[derive(Debug, Clone)]
struct Sim {
    key: String,
    text: String,
    children: Vec<Sim>,
    seq: Option<u64>,
    banner: Option<Vec<String>>,
}

fn sim_parse(text: &str) -> Vec<Sim> {
    fn convert(items: &[normalize::Item]) -> Vec<Sim> {
        items
            .iter()
            .enumerate()
            .map(|(i, item)| Sim {
                key: item.key.clone(),
                text: item.text.clone(),
                children: convert(&item.children),
                seq: Some(10 * (i as u64 + 1)),
                banner: item.banner.clone(),
            })
            .collect()
    }
    // One block per line: commands on a range of lines edit each of them.
    let mut config = Vec::new();
    for item in convert(&normalize::normalize(&tree::parse(text))) {
        match normalize::line_range(&item.key) {
            Some((kind, first, last)) => {
                for n in first..=last {
                    let mut one = item.clone();
                    one.key = normalize::line_header(&kind, n, n);
                    one.text = one.key.clone();
                    config.push(one);
                }
            }
            None => config.push(item),
        }
    }
    config
}

fn sim_render(config: &[Sim]) -> String {
    fn render(items: &[Sim], depth: usize, out: &mut String) {
        for item in items {
            match &item.banner {
                Some(body) => {
                    out.push_str(&format!("{} ^C\n", item.text));
                    for line in body {
                        out.push_str(line);
                        out.push('\n');
                    }
                    out.push_str("^C\n");
                }
                None => out.push_str(&format!("{}{}\n", " ".repeat(depth), item.text)),
            }
            render(&item.children, depth + 1, out);
        }
    }
    let mut out = String::new();
    render(config, 0, &mut out);
    out
}

/// The block at `path` (header keys), created when missing.
fn sim_block<'a>(config: &'a mut Vec<Sim>, path: &[String]) -> &'a mut Vec<Sim> {
    let mut level = config;
    let mut context = Context::Global;
    for header in path {
        let (key, _) = key_of(header, context);
        let index = match level.iter().position(|n| n.key == key) {
            Some(i) => i,
            None => {
                level.push(Sim {
                    key: key.clone(),
                    text: header.clone(),
                    children: Vec::new(),
                    seq: None,
                    banner: None,
                });
                level.len() - 1
            }
        };
        context = Context::of_block(&key);
        level = &mut level[index].children;
    }
    level
}

fn context_of(path: &[String]) -> Context {
    path.last().map_or(Context::Global, |h| {
        Context::of_block(&key_of(h, Context::Global).0)
    })
}

/// Apply remediation lines the way IOS would (for what the remediation emits).
fn sim_apply(config: &mut Vec<Sim>, stack: &mut Vec<String>, lines: &[String]) {
    let mut iter = lines.iter();
    while let Some(raw) = iter.next() {
        let depth = raw.len() - raw.trim_start().len();
        let text = raw.trim();
        if text == "exit" {
            continue;
        }
        stack.truncate(depth);
        let path = stack.clone();
        let context = context_of(&path);
        let words: Vec<&str> = text.split(' ').collect();
        match words.as_slice() {
            ["banner", kind, delimiter] => {
                let mut body = Vec::new();
                for line in iter.by_ref() {
                    if line == delimiter {
                        break;
                    }
                    body.push(line.clone());
                }
                config.retain(|n| n.key != format!("banner {kind}"));
                config.push(Sim {
                    key: format!("banner {kind}"),
                    text: format!("banner {kind}"),
                    children: Vec::new(),
                    seq: None,
                    banner: Some(body),
                });
            }
            ["ip", "access-list", "resequence", name, start, step] => {
                let (start, step): (u64, u64) =
                    (start.parse().unwrap_or(10), step.parse().unwrap_or(10));
                for node in config.iter_mut() {
                    if node.key.starts_with("ip access-list ")
                        && node.key.ends_with(&format!(" {name}"))
                    {
                        for (i, c) in node.children.iter_mut().enumerate() {
                            c.seq = Some(start + step * i as u64);
                        }
                    }
                }
            }
            ["default", "interface", name] => {
                let key = format!("interface {}", normalize::interface_name(name));
                if let Some(n) = config.iter_mut().find(|n| n.key == key) {
                    n.children.clear();
                }
            }
            ["no", seq] if context == Context::Acl && seq.parse::<u64>().is_ok() => {
                let seq = seq.parse::<u64>().ok();
                for level in sim_blocks(config, &path) {
                    level.retain(|n| n.seq != seq);
                }
            }
            [seq, ..] if context == Context::Acl && seq.parse::<u64>().is_ok() => {
                let seq = seq.parse::<u64>().ok();
                let entry = text[words[0].len()..].trim();
                let level = sim_block(config, &path);
                let at = level
                    .iter()
                    .position(|n| n.seq > seq)
                    .unwrap_or(level.len());
                level.insert(
                    at,
                    Sim {
                        key: key_of(entry, Context::Acl).0,
                        text: entry.to_string(),
                        children: Vec::new(),
                        seq,
                        banner: None,
                    },
                );
            }
            ["no", rest @ ..] if !rest.is_empty() => {
                let target = key_of(&rest.join(" "), context).0;
                for level in sim_blocks(config, &path) {
                    let before = level.len();
                    level.retain(|n| n.key != target && !n.key.starts_with(&format!("{target} ")));
                    if level.len() == before {
                        level.push(Sim {
                            key: key_of(text, context).0,
                            text: text.to_string(),
                            children: Vec::new(),
                            seq: None,
                            banner: None,
                        });
                    }
                }
            }
            // Entering lines: the commands typed next go to each line of the range.
            _ if path.is_empty() && normalize::line_range(&key_of(text, context).0).is_some() => {
                stack.push(text.to_string());
            }
            _ => {
                let key = key_of(text, context).0;
                for level in sim_blocks(config, &path) {
                    sim_set(level, context, &key, text);
                }
                stack.push(text.to_string());
            }
        }
    }
}

/// Store a line in a block: nothing if it is there, else in place of the same setting.
fn sim_set(level: &mut Vec<Sim>, context: Context, key: &str, text: &str) {
    if level.iter().any(|n| n.key == key) {
        return;
    }
    level.retain(|n| !(n.children.is_empty() && same_setting(context, &n.key, key)));
    let last = level.iter().filter_map(|n| n.seq).max().unwrap_or(0);
    level.push(Sim {
        key: key.to_string(),
        text: text.to_string(),
        children: Vec::new(),
        seq: Some(last + 10),
        banner: None,
    });
}

/// The blocks a path edits: one, or each line of a `line` range (lines are configured one
/// by one, as on IOS; the simulated configuration keeps one block per line).
fn sim_blocks<'a>(config: &'a mut Vec<Sim>, path: &[String]) -> Vec<&'a mut Vec<Sim>> {
    if let [header] = path
        && let Some((kind, first, last)) = normalize::line_range(&key_of(header, Context::Global).0)
    {
        for n in first..=last {
            let one = normalize::line_header(&kind, n, n);
            if !config.iter().any(|i| i.key == one) {
                config.push(Sim {
                    key: one.clone(),
                    text: one,
                    children: Vec::new(),
                    seq: None,
                    banner: None,
                });
            }
        }
        return config
            .iter_mut()
            .filter(|i| {
                normalize::line_range(&i.key)
                    .is_some_and(|(k, a, b)| k == kind && first <= a && b <= last)
            })
            .map(|i| &mut i.children)
            .collect();
    }
    vec![sim_block(config, path)]
}

/// Generated configurations: the blocks and lines templates produce, in any order.
fn arb_config() -> impl Strategy<Value = String> {
    let port_line = prop::sample::select(vec![
        "description desk",
        "description printer room",
        "switchport mode access",
        "switchport mode trunk",
        "switchport access vlan 10",
        "switchport access vlan 20",
        "switchport voice vlan 20",
        "spanning-tree portfast",
        "storm-control broadcast level 5.00",
        "shutdown",
        "no shutdown",
        "no cdp enable",
        "switchport trunk allowed vlan 10,20,30-32",
        "switchport trunk allowed vlan 10-12",
    ]);
    let port = (1u8..6, prop::collection::vec(port_line, 0..5))
        .prop_map(|(n, lines)| format!("interface GigabitEthernet1/0/{n}\n{}", indent(&lines, 1)));
    let vlan = (
        prop::sample::select(vec![10u16, 20, 30, 50]),
        prop::sample::select(vec!["users", "voice", "printers"]),
    )
        .prop_map(|(id, name)| format!("vlan {id}\n name {name}\n"));
    let global = prop::sample::select(vec![
        "hostname sw1\n",
        "hostname sw2\n",
        "ntp server 10.0.0.1\n",
        "ntp server 10.0.0.2\n",
        "logging host 10.0.0.5\n",
        "ip domain name example.test\n",
        "snmp-server location Paris\n",
        "interface Loopback0\n ip address 10.255.0.1 255.255.255.255\n",
        "banner motd ^C\nAuthorised access only.\n^C\n",
        "banner motd ^C\nStaff only.\n^C\n",
        "policy-map QOS\n class VOICE\n  set dscp ef\n",
        "policy-map QOS\n class VOICE\n  set dscp af41\n class BULK\n  set dscp af11\n",
        "line vty 0 15\n exec-timeout 10 0\n transport input ssh\n",
        "line vty 0 15\n exec-timeout 5 0\n",
        "line vty 0 4\n exec-timeout 15 0\n logging synchronous\n",
        "line vty 5 15\n transport input ssh\n",
        "interface Vlan99\n description Management\n ip address 10.10.99.12 255.255.255.0\n no ip proxy-arp\n",
        "interface Vlan99\n ip address 10.10.99.13 255.255.255.0\n",
        "ip default-gateway 10.10.99.1\n",
        "ip default-gateway 10.10.99.254\n",
        "username ops privilege 15 algorithm-type scrypt secret Pa55-word-1\n",
        "username ops privilege 1 algorithm-type scrypt secret Pa55-word-2\n",
        "spanning-tree vlan 10,20 priority 4096\n",
        "snmp-server group G v3 priv\nsnmp-server user u G v3 auth sha-2 256 Auth-Pass-1 priv aes 128 Priv-Pass-1\n",
    ])
    .prop_map(str::to_string);
    let acl_entry = prop::sample::select(vec![
        "permit 10.10.99.0 0.0.0.255",
        "permit 10.10.100.0 0.0.0.255",
        "permit host 10.1.1.1",
        "deny   host 10.10.99.66",
        "remark management",
    ]);
    let acl = prop::collection::vec(acl_entry, 1..5).prop_map(|mut entries| {
        entries.dedup();
        format!(
            "ip access-list standard MGMT\n{} deny   any log\n",
            indent(&entries, 1)
        )
    });
    // The VLANs the ports use exist, as on a device (IOS creates them otherwise).
    prop::collection::vec(prop_oneof![port, vlan, global, acl], 0..8).prop_map(|parts| {
        let mut config = parts.concat();
        for id in [10, 20] {
            if !config.lines().any(|l| l == format!("vlan {id}")) {
                config.push_str(&format!("vlan {id}\n"));
            }
        }
        config
    })
}

fn indent(lines: &[&str], depth: usize) -> String {
    lines
        .iter()
        .map(|l| format!("{}{l}\n", " ".repeat(depth)))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn a_configuration_compared_with_itself_needs_nothing(config in arb_config()) {
        prop_assert!(merge(&config, &config).is_empty());
        prop_assert!(replace(&config, &config).is_empty());
        prop_assert_eq!(unified_diff(&config, &config, "x"), "");
    }

    #[test]
    fn applying_the_replace_remediation_yields_the_intended_configuration(
        running in arb_config(),
        intended in arb_config(),
    ) {
        let planned = replace(&running, &intended);
        let mut config = sim_parse(&running);
        sim_apply(&mut config, &mut Vec::new(), &planned);
        let result = sim_render(&config);
        prop_assert_eq!(
            unified_diff(&result, &intended, "sim"),
            "",
            "running:\n{}\nintended:\n{}\nplanned:\n{}\nresult:\n{}",
            running,
            intended,
            planned.join("\n"),
            result
        );
        prop_assert!(replace(&result, &intended).is_empty());
    }
}

proptest! {
    // Each case drives the twin's command line twice: fewer cases, same generator.
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The simulator above is ours; the twin is the independent model of IOS. From any
    /// generated running configuration to any generated intent, one replace push converges.
    #[test]
    fn the_replace_remediation_converges_on_the_twin(running in arb_config(), intended in arb_config()) {
        use super::twin_tests::{Cli, hq_ios_assets, twin};
        let spec = TWIN_SPEC.with(|s| s.clone());
        let device = twin(spec);
        let mut cli = Cli::open(&device);
        let factory = cli.running();
        cli.configure("start", &replace(&factory, &running));
        let before = cli.running();
        prop_assert!(replace(&before, &running).is_empty(), "start not reached:\n{}", before);
        let planned = replace(&before, &intended);
        cli.configure("sw", &planned);
        let after = cli.running();
        prop_assert_eq!(
            unified_diff(&after, &intended, "sw"),
            "",
            "planned:\n{}\nafter:\n{}",
            planned.join("\n"),
            after
        );
        prop_assert!(replace(&after, &intended).is_empty());
        let _ = hq_ios_assets;
    }
}

thread_local! {
    /// The spec of sw-hq-02 (rendering the inventory once per thread, not per case).
    static TWIN_SPEC: crate::lab::device::DeviceSpec = super::twin_tests::hq_ios_assets()
        .into_iter()
        .find(|a| a.0 == "sw-hq-02")
        .map(|a| a.2)
        .unwrap_or_else(|| panic!("sw-hq-02 renders"));
}

#[test]
fn remediation_and_diff_together_equal_each_alone() {
    let running = "hostname a\ninterface Gi1/0/1\n description old\n";
    let intended = "hostname b\ninterface GigabitEthernet1/0/1\n description new\n";
    let (commands, diff) = remediation_and_diff(running, intended, Mode::Replace, "sw1");
    assert_eq!(commands, remediation(running, intended, Mode::Replace));
    assert_eq!(diff, unified_diff(running, intended, "sw1"));
    assert!(!diff.is_empty());
    assert_eq!(
        remediation_and_diff(intended, intended, Mode::Merge, "sw1"),
        (Vec::new(), String::new())
    );
}
