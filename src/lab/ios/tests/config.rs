//! Configuration semantics: replacement, negation, defaults, ranges, saving and reloading,
//! filters, VLANs, banners, and the configurations netparc renders.

use super::*;
use crate::lab::device::PlatformState;

/// The children of an interface block, as text lines.
fn block(device: &Device, header: &str) -> Vec<String> {
    ios(device, |s| {
        s.running()
            .lines
            .iter()
            .find(|n| n.text == header)
            .map(|n| n.children.iter().map(|c| c.text.clone()).collect())
            .unwrap_or_default()
    })
}

#[test]
fn single_valued_lines_are_replaced_in_place() {
    let d = device();
    let mut t = Term::config(&d);
    t.quiet(&[
        "interface Gi1/0/1",
        "description first",
        "switchport mode access",
        "switchport access vlan 1",
        "spanning-tree portfast",
        "description second one",
        "switchport access vlan 1",
        "switchport mode trunk",
        "spanning-tree portfast",
    ]);
    assert_eq!(
        block(&d, "interface GigabitEthernet1/0/1"),
        vec![
            "description second one",
            "switchport mode trunk",
            "switchport access vlan 1",
            "spanning-tree portfast",
        ]
    );
    t.quiet(&["hostname core", "hostname core2"]);
    let run = running(&d);
    assert_eq!(run.matches("hostname").count(), 1, "{run}");
    assert!(run.contains("hostname core2\n"));
    assert_eq!(t.prompt(), "core2(config-if)#".replace("-if", ""));
}

#[test]
fn negation_removes_the_line_in_its_context() {
    let d = device();
    let mut t = Term::config(&d);
    t.quiet(&["vlan 30", "name printers", "vlan 40", "exit"]);
    t.send("interface gi1/0/2");
    t.quiet(&[
        "description printer",
        "shutdown",
        "switchport voice vlan 40",
        "ip address 10.0.0.1 255.255.255.0",
        "no description",
        "no shutdown",
        "no switchport voice vlan",
        "no ip address",
        "no ip proxy-arp",
    ]);
    // A default-on feature turned off is shown in its `no` form; so is the address.
    assert_eq!(
        block(&d, "interface GigabitEthernet1/0/2"),
        vec!["no ip address", "no ip proxy-arp"]
    );
    t.quiet(&["ip proxy-arp", "ip address 10.0.0.1 255.255.255.0"]);
    assert_eq!(
        block(&d, "interface GigabitEthernet1/0/2"),
        vec!["ip address 10.0.0.1 255.255.255.0"]
    );
    // `no vlan` and `no interface Vlan` remove whole blocks, from any sub-mode.
    t.quiet(&["interface vlan 30", "description x", "no vlan 30"]);
    assert_eq!(t.prompt(), "sw1(config)#");
    t.quiet(&["no interface Vlan30"]);
    let run = running(&d);
    assert!(!run.contains("vlan 30\n"), "{run}");
    assert!(!run.contains("interface Vlan30"), "{run}");
    assert!(run.contains("vlan 40\n"), "{run}");
    // Physical ports cannot be removed.
    let out = t.send("no interface gi1/0/3");
    assert_eq!(
        out,
        format!(
            "{}^\n% Invalid input detected at '^' marker.\n\n",
            " ".repeat(12 + 13)
        )
    );
    assert_eq!(t.send("no vlan 1"), "%Default VLAN 1 may not be deleted.\n");
}

#[test]
fn default_interface_resets_the_port() {
    let d = device();
    let mut t = Term::config(&d);
    t.quiet(&["int gi1/0/4", "description uplink", "shutdown", "exit"]);
    assert_eq!(
        t.send("default interface gi1/0/4"),
        "Interface GigabitEthernet1/0/4 set to default configuration\n"
    );
    assert!(block(&d, "interface GigabitEthernet1/0/4").is_empty());
    assert!(running(&d).contains("interface GigabitEthernet1/0/4\n!\n"));
}

#[test]
fn interface_range_applies_to_every_member() {
    let d = device();
    let mut t = Term::config(&d);
    assert_eq!(t.send("interface range Gi1/0/1 - 3 , Gi1/0/6"), "");
    assert_eq!(t.prompt(), "sw1(config-if-range)#");
    assert_eq!(
        t.send("switchport access vlan 10"),
        "% Access VLAN does not exist. Creating vlan 10\n"
    );
    t.quiet(&["switchport mode access", "description users"]);
    for n in [1, 2, 3, 6] {
        assert_eq!(
            block(&d, &format!("interface GigabitEthernet1/0/{n}")),
            vec![
                "switchport access vlan 10",
                "switchport mode access",
                "description users"
            ],
            "Gi1/0/{n}"
        );
    }
    assert!(block(&d, "interface GigabitEthernet1/0/4").is_empty());
    // The glued form, and a range of SVIs (created on the fly).
    t.quiet(&[
        "interface range gi1/0/7-8",
        "shutdown",
        "interface range vlan 20 - 21",
        "shutdown",
    ]);
    assert_eq!(
        block(&d, "interface GigabitEthernet1/0/8"),
        vec!["shutdown"]
    );
    assert_eq!(block(&d, "interface Vlan21"), vec!["shutdown"]);
    // A member that does not exist refuses the whole range.
    let out = t.send("interface range gi1/0/7 - 9");
    assert!(out.contains("% Invalid input detected"), "{out}");
}

#[test]
fn trunk_allowed_vlans_add_and_remove() {
    let d = device();
    let mut t = Term::config(&d);
    t.quiet(&[
        "interface te1/1/1",
        "switchport mode trunk",
        "switchport trunk allowed vlan 10,20",
        "switchport trunk allowed vlan add 30-32",
        "switchport trunk allowed vlan remove 31",
    ]);
    assert_eq!(
        block(&d, "interface TenGigabitEthernet1/1/1"),
        vec![
            "switchport mode trunk",
            "switchport trunk allowed vlan 10,20,30,32"
        ]
    );
    t.quiet(&["switchport trunk allowed vlan all"]);
    assert_eq!(
        block(&d, "interface TenGigabitEthernet1/1/1"),
        vec!["switchport mode trunk"]
    );
    t.quiet(&["switchport trunk allowed vlan remove 1"]);
    assert_eq!(
        block(&d, "interface TenGigabitEthernet1/1/1"),
        vec![
            "switchport mode trunk",
            "switchport trunk allowed vlan 2-4094"
        ]
    );
}

#[test]
fn write_memory_then_reload_keeps_saved_and_loses_unsaved_changes() {
    let d = device();
    let mut t = Term::config(&d);
    t.quiet(&["interface gi1/0/1", "description saved", "end"]);
    assert_eq!(t.send("write memory"), "Building configuration...\n[OK]\n");
    t.send("conf t");
    t.quiet(&[
        "interface gi1/0/2",
        "description unsaved",
        "hostname lost",
        "end",
    ]);
    assert_eq!(t.send("reload"), "");
    assert_eq!(t.prompt(), "Proceed with reload? [confirm]");
    let out = t.execute("");
    assert!(out.reload && out.close, "{out:?}");
    // The SSH layer reboots the device when it sees `reload`.
    d.reboot();
    let run = running(&d);
    assert!(run.contains(" description saved\n"), "{run}");
    assert!(!run.contains("unsaved"), "{run}");
    assert!(run.contains("hostname sw1\n"), "{run}");
    assert_eq!(Term::new(&d).prompt(), "sw1>");
    assert!(ios(&d, |s| s.is_saved()));
}

#[test]
fn copy_running_config_asks_for_the_destination() {
    let d = device();
    let mut t = Term::config(&d);
    t.quiet(&["hostname sw9", "end"]);
    assert_eq!(t.send("copy run start"), "");
    assert_eq!(t.prompt(), "Destination filename [startup-config]? ");
    assert_eq!(t.send(""), "Building configuration...\n[OK]\n");
    assert_eq!(t.prompt(), "sw9#");
    assert!(ios(&d, |s| s.startup_config().contains("hostname sw9\n")));
    // A reload cancelled at the confirmation does nothing.
    t.send("reload");
    let out = t.execute("n");
    assert!(!out.reload && !out.close);
    assert_eq!(t.prompt(), "sw9#");
}

#[test]
fn write_erase_then_reload_boots_empty_with_every_port() {
    let d = device();
    let mut t = Term::enabled(&d);
    t.send("write erase");
    assert_eq!(t.send(""), "[OK]\nErase of nvram: complete\n");
    assert_eq!(
        t.send("show startup-config"),
        "startup-config is not present\n"
    );
    d.reboot();
    let run = running(&d);
    assert!(run.contains("interface GigabitEthernet1/0/8\n"), "{run}");
    assert!(!run.contains("hostname"), "{run}");
    assert_eq!(Term::new(&d).prompt(), "Switch#");
}

#[test]
fn show_running_config_shape_and_filters() {
    let d = device();
    let mut t = Term::config(&d);
    t.quiet(&["int gi1/0/1", "desc to printer", "end"]);
    let run = t.send("show running-config");
    let mut lines = run.lines();
    assert_eq!(lines.next(), Some("Building configuration..."));
    assert_eq!(lines.next(), Some(""));
    let size = lines.next().unwrap_or_default();
    let body: String = run.splitn(4, '\n').nth(3).unwrap_or_default().to_string();
    assert_eq!(
        size,
        format!("Current configuration : {} bytes", body.len())
    );
    assert!(body.starts_with("!\nversion 17.9\n"), "{body}");
    assert!(body.ends_with("!\nend\n"), "{body}");
    assert!(body.contains("interface GigabitEthernet1/0/1\n description to printer\n!\n"));
    // Secrets never appear in clear.
    assert!(
        !run.contains("Enable-Secret-1") && !run.contains("Admin-Pass-1"),
        "{run}"
    );
    assert!(run.contains("enable secret 9 $9$"), "{run}");
    assert_eq!(
        t.send("sh run | i description|hostname"),
        "hostname sw1\n description to printer\n"
    );
    assert_eq!(
        t.send("show running-config | section line vty"),
        "line vty 0 15\n login local\n transport input ssh\n"
    );
    assert_eq!(
        t.send("show running-config | section ip address"),
        "interface Vlan99\n ip address 10.0.99.11 255.255.255.0\n"
    );
    assert!(
        t.send("show run | begin ^line")
            .starts_with("line vty 0 15\n")
    );
    assert!(!t.send("show run | exclude interface").contains("interface"));
    assert_eq!(
        t.send("show running-config interface gi1/0/1"),
        "Building configuration...\n\nCurrent configuration : 61 bytes\n!\ninterface GigabitEthernet1/0/1\n description to printer\nend\n"
    );
    // A filter only follows a show command.
    let out = t.send("write memory | include x");
    assert!(out.contains("% Invalid input detected"), "{out}");
}

#[test]
fn show_vlan_brief_lists_vlans_and_access_ports() {
    let d = device();
    let mut t = Term::config(&d);
    t.quiet(&[
        "vlan 10",
        "name users",
        "vlan 20",
        "name voice",
        "vlan 30",
        "shutdown",
        "interface range gi1/0/1 - 2",
        "switchport mode access",
        "switchport access vlan 10",
        "switchport voice vlan 20",
        "interface te1/1/1",
        "switchport mode trunk",
        "interface gi1/0/8",
        "no switchport",
        "end",
    ]);
    assert_eq!(
        t.send("show vlan brief"),
        "
VLAN Name                             Status    Ports
---- -------------------------------- --------- -------------------------------
1    default                          active    Gi1/0/3, Gi1/0/4, Gi1/0/5, Gi1/0/6
                                                Gi1/0/7, Te1/1/2
10   users                            active    Gi1/0/1, Gi1/0/2
20   voice                            active    Gi1/0/1, Gi1/0/2
30   VLAN0030                         act/lshut
1002 fddi-default                     act/unsup
1003 token-ring-default               act/unsup
1004 fddinet-default                  act/unsup
1005 trnet-default                    act/unsup
"
    );
    assert!(t.send("show vlan id 20").contains("20   voice"));
    assert_eq!(
        t.send("show vlan id 77"),
        "VLAN id 77 not found in current VLAN database\n"
    );
    let status = t.send("show interfaces status");
    assert!(status.contains("Gi1/0/1                         connected    10         a-full a-1000 10/100/1000BaseTX\n"), "{status}");
    assert!(
        status.contains("Gi1/0/8                         connected    routed"),
        "{status}"
    );
    assert!(
        status.contains("Te1/1/1                         connected    trunk        full    10G"),
        "{status}"
    );
    // The running configuration lists VLANs in order, before interfaces.
    let run = running(&d);
    let at = |s: &str| run.find(s).unwrap_or(usize::MAX);
    assert!(
        at("vlan 10\n") < at("vlan 20\n") && at("vlan 30\n") < at("interface Gi"),
        "{run}"
    );
}

#[test]
fn banner_motd_spans_lines_until_its_delimiter() {
    let d = device();
    let mut t = Term::config(&d);
    assert_eq!(
        t.send("banner motd ^C"),
        "Enter TEXT message.  End with the character '^C'.\n"
    );
    assert_eq!(t.prompt(), "");
    t.quiet(&[
        "Authorised access only.",
        "  Disconnect now if you are not.",
    ]);
    assert_eq!(t.send("^C"), "");
    assert_eq!(t.prompt(), "sw1(config)#");
    t.quiet(&["end"]);
    let run = running(&d);
    assert!(
        run.contains(
            "banner motd ^C\nAuthorised access only.\n  Disconnect now if you are not.\n^C\n"
        ),
        "{run}"
    );
    let mut next = new_session();
    assert_eq!(
        next.greeting(&d),
        "Authorised access only.\n  Disconnect now if you are not.\n"
    );
    // IOS fills in $(hostname) when it shows the banner.
    ios(&d, |s| s.configure("banner motd %Welcome to $(hostname)%")).expect("banner accepted");
    assert_eq!(new_session().greeting(&d), "Welcome to sw1\n");
    // One line, any delimiter; replacing it keeps one banner.
    let mut t = Term::config(&d);
    t.quiet(&["banner motd #Private#"]);
    assert_eq!(ios(&d, |s| s.banner("motd")), Some("Private".to_string()));
    t.quiet(&["no banner motd"]);
    assert_eq!(ios(&d, |s| s.banner("motd")), None);
}

#[test]
fn secrets_are_hashed_and_still_checked() {
    let d = device();
    let mut t = Term::config(&d);
    t.quiet(&[
        "enable algorithm-type scrypt secret N3w-Enable",
        "username ops privilege 15 algorithm-type scrypt secret Ops-Pass-1",
        "end",
    ]);
    let run = running(&d);
    assert!(
        !run.contains("N3w-Enable") && !run.contains("Ops-Pass-1"),
        "{run}"
    );
    assert!(
        run.contains("username ops privilege 15 secret 9 $9$"),
        "{run}"
    );
    assert_eq!(run.matches("enable secret").count(), 1, "{run}");
    assert_eq!(ios(&d, |s| s.check_login("ops", "Ops-Pass-1")), Some(true));
    assert_eq!(ios(&d, |s| s.check_login("ops", "nope")), Some(false));
    assert_eq!(ios(&d, |s| s.check_login("nobody", "x")), None);
    assert_eq!(ios(&d, |s| s.user_privilege("ops")), Some(15));
    let mut t = Term::new(&d);
    t.send("enable");
    t.send("N3w-Enable");
    assert_eq!(t.prompt(), "sw1#");
}

#[test]
fn sub_mode_lines_fall_back_to_parent_modes() {
    let d = device();
    let result = ios(&d, |s| {
        s.configure(
            "archive\n log config\n  logging enable\n  hidekeys\n path flash:archive\nip access-list extended GUEST-IN\n 10 remark first\n permit udp any any eq bootps\n deny   ip any 10.0.0.0 0.255.255.255 log\n 15 permit tcp any host 10.0.0.1 eq 443\nline con 0\n exec-timeout 10 0\nlogging host 10.0.0.5\nend\nhostname never\n",
        )
    });
    assert_eq!(result, Ok(()));
    let run = running(&d);
    assert!(
        run.contains("archive\n log config\n  logging enable\n  hidekeys\n path flash:archive\n"),
        "{run}"
    );
    assert!(
        run.contains("ip access-list extended GUEST-IN\n remark first\n permit tcp any host 10.0.0.1 eq 443\n permit udp any any eq bootps\n deny   ip any 10.0.0.0 0.255.255.255 log\n"),
        "{run}"
    );
    assert!(run.contains("logging host 10.0.0.5\n"), "{run}");
    assert!(
        !run.contains("hostname never"),
        "text after `end` is not configuration"
    );
    let mut t = Term::config(&d);
    // Numbers are IOS's: the entry typed as 15 is 15, the others kept 10, 20, 30.
    t.quiet(&["ip access-list extended GUEST-IN", "no 15"]);
    let run = running(&d);
    assert!(!run.contains("host 10.0.0.1 eq 443"), "{run}");
    assert!(run.contains("permit udp any any eq bootps"), "{run}");
    t.quiet(&["exit", "ip access-list resequence GUEST-IN 100 100"]);
    let lists = t.send("do show ip access-lists");
    assert!(
        lists.contains("    200 permit udp any any eq bootps\n"),
        "{lists}"
    );
    t.quiet(&[
        "ip access-list extended GUEST-IN",
        "250 permit tcp any any eq 22",
        "no 200",
    ]);
    let run = running(&d);
    assert!(
        run.contains(" remark first\n permit tcp any any eq 22\n deny "),
        "{run}"
    );
}

#[test]
fn facts_follow_the_configuration() {
    let d = device();
    let mut t = Term::config(&d);
    t.quiet(&[
        "hostname access-9",
        "snmp-server location Paris, floor 2",
        "interface gi1/0/3",
        "description desk 12",
        "shutdown",
        "interface vlan 10",
        "description users",
        "end",
    ]);
    let facts = d.facts();
    assert_eq!(facts.name, "access-9");
    assert_eq!(facts.location, "Paris, floor 2");
    assert_eq!(facts.contact, "noc@example.test");
    assert_eq!(facts.serial, "FOC2345X0YZ");
    assert_eq!(facts.object_id, "1.3.6.1.4.1.9.1.2593");
    assert_eq!(
        facts.descr,
        "Cisco IOS Software [netparc twin], C9300-48P Software, Version 17.9.4"
    );
    let names: Vec<(u32, &str, u32)> = facts
        .interfaces
        .iter()
        .map(|i| (i.index, i.name.as_str(), i.if_type))
        .collect();
    assert_eq!(names.len(), 12);
    assert_eq!(names[0], (1, "GigabitEthernet1/0/1", 6));
    assert_eq!(names[9], (10, "TenGigabitEthernet1/1/2", 6));
    assert_eq!(names[10], (20, "Vlan10", 53));
    assert_eq!(names[11], (109, "Vlan99", 53));
    let gi3 = &facts.interfaces[2];
    assert_eq!(gi3.alias, "desk 12");
    assert!(!gi3.admin_up && !gi3.oper_up);
    assert_eq!(facts.interfaces[10].alias, "users");
    assert_eq!(facts.interfaces[8].speed_mbps, 10_000);
    // Faults apply on top (Device::facts), and show in show commands too.
    d.set_faults(|f| f.interfaces_down = vec!["GigabitEthernet1/0/4".into()]);
    assert!(!d.facts().interfaces[3].oper_up);
    let status = t.send("show interfaces status");
    assert!(
        status.contains("Gi1/0/4                         notconnect"),
        "{status}"
    );
    // The state's own facts, without faults.
    let spec = d.spec.clone();
    let own = ios(&d, |s| s.facts(&spec));
    assert!(own.interfaces[3].oper_up);
}

/// Every IOS configuration netparc renders from the example inventory is accepted line by
/// line, and shows up in the running configuration.
#[test]
fn rendered_example_configurations_push_cleanly() {
    use crate::check::{load_templates, open_resolver};
    use crate::intent::render_selected;
    use crate::inventory::{Inventory, Selector};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inventories/hq");
    let Some(inventory) = Inventory::load(&root).inventory else {
        panic!("the example inventory loads");
    };
    let templates = load_templates(&inventory).expect("templates load");
    let resolver = open_resolver(&inventory);
    let (intents, diagnostics) =
        render_selected(&inventory, &templates, &resolver, &Selector::all());
    assert!(diagnostics.is_empty(), "{diagnostics}");
    let ios_intents: Vec<_> = intents
        .iter()
        .filter(|i| i.template.starts_with("ios/"))
        .collect();
    assert!(ios_intents.len() >= 5, "switches and access points render");
    for intent in ios_intents {
        let mut spec = spec();
        spec.name = intent.asset.clone();
        // The twin's ports are the physical interfaces the configuration names.
        spec.ports = intent
            .text
            .lines()
            .filter_map(|l| l.strip_prefix("interface "))
            .filter(|n| {
                super::super::ifname::class_of(n) == super::super::ifname::IfClass::Physical
            })
            .map(|n| PortSpec {
                name: n.trim().to_string(),
                speed_mbps: 1000,
            })
            .collect();
        let d = device_from(spec);
        let result = ios(&d, |s| s.configure(&intent.text));
        if let Err(errors) = result {
            let list: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            panic!("{}: {}", intent.asset, list.join("\n"));
        }
        let run = running(&d);
        assert!(
            run.contains(&format!("hostname {}\n", intent.asset)),
            "{run}"
        );
        for expected in [
            "transport input ssh",
            "logging enable",
            "snmp-server location",
        ] {
            assert!(
                run.contains(expected),
                "{}: {expected}\n{run}",
                intent.asset
            );
        }
        // The pushed banner is the one a login shows.
        if intent.text.contains("banner motd") {
            assert!(ios(&d, |s| s.banner("motd")).is_some_and(|b| !b.is_empty()));
        }
        // Pushing the same configuration again changes nothing (idempotent lines).
        let before = run.clone();
        assert_eq!(ios(&d, |s| s.configure(&intent.text)), Ok(()));
        assert_eq!(running(&d), before, "{}", intent.asset);
        // Saved, then kept across lab runs: the twin booted from what it persisted runs
        // exactly the same configuration (a provisioned switch stays "ok" run after run).
        ios(&d, |s| s.save());
        let saved = d.state().platform.persisted().expect("IOS twins persist");
        let mut booted = new_state(&d.spec);
        assert_eq!(
            booted.boot_from(&saved, &d.spec),
            Ok(()),
            "{}",
            intent.asset
        );
        assert_eq!(booted.running_config(), before, "{}", intent.asset);
        assert!(booted.is_saved());
        assert_eq!(booted.persisted(), Some(saved), "{}", intent.asset);
    }
}

/// What an IOS twin keeps across lab runs is its startup configuration: unsaved changes are
/// lost, `write erase` is kept as an empty startup, and a file it cannot take whole (cut
/// short, another platform's) is refused without touching the state.
#[test]
fn the_startup_configuration_is_what_persists() {
    let d = device();
    let mut t = Term::config(&d);
    t.quiet(&["interface GigabitEthernet1/0/1", "description saved", "end"]);
    assert!(t.send("write memory").contains("[OK]"));
    t.send("configure terminal");
    t.quiet(&[
        "interface GigabitEthernet1/0/2",
        "description unsaved",
        "end",
    ]);
    let saved = d.state().platform.persisted().unwrap();
    let mut booted = new_state(&d.spec);
    assert_eq!(booted.boot_from(&saved, &d.spec), Ok(()));
    let run = booted.running_config();
    assert!(run.contains(" description saved\n"), "{run}");
    assert!(!run.contains("unsaved"), "{run}");

    t.send("write erase");
    t.send("");
    assert!(ios(&d, |s| s.startup().lines.is_empty()), "erased");
    let erased = d.state().platform.persisted().unwrap();
    let mut booted = new_state(&d.spec);
    assert_eq!(booted.boot_from(&erased, &d.spec), Ok(()));
    assert_eq!(
        booted.startup_config(),
        "startup-config is not present\n",
        "erased stays erased"
    );
    assert!(!booted.running_config().contains("hostname"));

    let factory = new_state(&d.spec).running_config();
    let text = String::from_utf8(saved).unwrap();
    let cut = &text[..text.len() / 2];
    for bad in [
        cut,
        "{\"platform\": \"linux\", \"version\": 1}",
        "!\ninterfce Gi1/0/1\n!\nend\n",
    ] {
        let mut state = new_state(&d.spec);
        let error = state.boot_from(bad.as_bytes(), &d.spec).unwrap_err();
        assert!(!error.is_empty());
        assert_eq!(state.running_config(), factory, "left as it was: {bad}");
    }
    assert!(
        new_state(&d.spec)
            .boot_from(&[0xff, 0xfe], &d.spec)
            .unwrap_err()
            .contains("not UTF-8")
    );
}

/// The rollback NAPALM performs: snapshot to flash, change, `configure replace` back.
#[test]
fn flash_snapshots_and_configure_replace() {
    let d = device();
    let mut t = Term::config(&d);
    t.quiet(&["hostname before", "end"]);
    assert_eq!(t.send("copy running-config flash:rollback.cfg"), "");
    assert_eq!(t.prompt(), "Destination filename [rollback.cfg]? ");
    let copied = t.send("");
    assert!(copied.contains(" bytes copied in "), "{copied}");
    t.send("conf t");
    t.quiet(&[
        "hostname after",
        "int gi1/0/1",
        "description new",
        "vlan 77",
        "end",
    ]);
    assert_eq!(
        t.send("configure replace flash:rollback.cfg force"),
        "Total number of passes: 1\nRollback Done\n\n"
    );
    let run = running(&d);
    assert!(run.contains("hostname before\n"), "{run}");
    assert!(
        !run.contains("description new") && !run.contains("vlan 77"),
        "{run}"
    );
    assert!(run.contains("interface GigabitEthernet1/0/8\n"), "{run}");
    assert_eq!(t.prompt(), "before#");
    assert!(t.send("dir").contains("rollback.cfg"));
    assert!(
        t.send("more flash:rollback.cfg")
            .starts_with("!\nversion 17.9\n")
    );
    // Without `force`, IOS asks first; anything but yes leaves things as they are.
    t.send("configure replace nvram:startup-config");
    assert!(
        t.prompt()
            .ends_with("Enter Y if you are sure you want to proceed. ? [no]: ")
    );
    assert_eq!(t.send("n"), "");
    assert!(running(&d).contains("hostname before\n"));
    t.send("configure replace nvram:startup-config");
    assert_eq!(t.send("y"), "Total number of passes: 1\nRollback Done\n\n");
    assert!(running(&d).contains("hostname sw1\n"));
    // Files survive a reload; delete asks twice.
    d.reboot();
    assert!(ios(&d, |s| s.flash_read("flash:/rollback.cfg").is_some()));
    t.send("delete flash:rollback.cfg");
    assert_eq!(t.prompt(), "Delete filename [rollback.cfg]? ");
    t.send("");
    assert_eq!(t.prompt(), "Delete flash:/rollback.cfg? [confirm]");
    t.send("");
    assert!(ios(&d, |s| s.flash_files().is_empty()));
    assert_eq!(
        t.send("copy tftp://10.0.0.1/x.cfg running-config"),
        "%Error opening tftp://10.0.0.1/x.cfg (Not supported by the netparc twin)\n"
    );
    assert_eq!(
        t.send("copy flash:nope.cfg running-config"),
        "%Error opening flash:/nope.cfg (No such file or directory)\n"
    );
    // A file copied into the running configuration is merged, as on IOS.
    ios(&d, |s| {
        s.flash_write(
            "flash:extra.cfg",
            "interface gi1/0/2\n description merged\nend\n",
        )
    });
    t.send("copy flash:extra.cfg running-config");
    assert_eq!(t.prompt(), "Destination filename [running-config]? ");
    assert!(t.send("").contains("bytes copied"));
    assert!(running(&d).contains(" description merged\n"));
}

/// Global commands typed in an interface block move to global configuration, even when they
/// start with a keyword interfaces have too.
#[test]
fn shared_keywords_fall_back_to_global() {
    let d = device();
    let mut t = Term::config(&d);
    for line in [
        "ip dhcp snooping vlan 10",
        "ip arp inspection vlan 10",
        "ip igmp snooping querier",
        "mls qos map cos-dscp 0 8 16 24 32 46 48 56",
        "spanning-tree vlan 10 priority 4096",
        "logging host 10.0.0.9",
        "mac address-table aging-time 600",
        "vtp mode transparent",
        "ipv6 dhcp pool V6",
    ] {
        t.send("interface gi1/0/1");
        assert_eq!(t.send(line), "", "{line}");
        assert_ne!(
            t.prompt(),
            "sw1(config-if)#",
            "{line} stayed in the interface"
        );
        let run = running(&d);
        assert!(
            run.contains(&format!("\n{line}\n")),
            "{line} is a global line\n{run}"
        );
    }
    // While interface commands sharing those keywords stay in the interface.
    t.send("interface gi1/0/2");
    t.quiet(&[
        "ip dhcp snooping trust",
        "ip arp inspection trust",
        "mls qos trust cos",
    ]);
    assert_eq!(t.prompt(), "sw1(config-if)#");
    assert!(running(&d).contains(
        "interface GigabitEthernet1/0/2\n ip dhcp snooping trust\n ip arp inspection trust\n mls qos trust cos\n"
    ));
}

/// Lines are configured one by one: a range cuts the blocks it overlaps, and the
/// configuration shows consecutive lines with the same settings as one range, as IOS does.
#[test]
fn line_ranges_split_and_group_like_ios() {
    let d = device();
    let mut t = Term::config(&d);
    t.quiet(&[
        "line vty 0 15",
        "exec-timeout 10 0",
        "line vty 5 15",
        "exec-timeout 5 0",
    ]);
    let run = running(&d);
    assert!(
        run.replace("!\n", "").contains("line vty 0 4\n login local\n transport input ssh\n exec-timeout 10 0\nline vty 5 15\n login local\n transport input ssh\n exec-timeout 5 0\n"),
        "{run}"
    );
    t.quiet(&["line vty 5 15", "exec-timeout 10 0"]);
    let run = running(&d);
    assert!(
        run.contains("line vty 0 15\n login local\n transport input ssh\n exec-timeout 10 0\n"),
        "{run}"
    );
    assert!(!run.contains("line vty 5 15"), "{run}");
    // A range starting at 0 inside a wider block.
    t.quiet(&["line vty 0 2", "length 0", "line vty 0 15", "no length"]);
    let run = running(&d);
    assert!(
        run.replace("!\n", "").contains(
            "line vty 0 15\n login local\n transport input ssh\n exec-timeout 10 0\nend\n"
        ),
        "{run}"
    );
    // Lines no block covered yet get one; `no` on a range edits each line.
    t.quiet(&["line vty 10 20", "no exec-timeout"]);
    let run = running(&d);
    assert!(
        run.replace("!\n", "").contains("line vty 0 9\n login local\n transport input ssh\n exec-timeout 10 0\nline vty 10 15\n login local\n transport input ssh\nline vty 16 20\n"),
        "{run}"
    );
}
