//! Modes, prompts, abbreviations and error shapes.

use super::*;
use crate::lab::device::CliSession;

#[test]
fn prompts_through_every_mode() {
    let d = device();
    let mut t = Term::new(&d);
    assert_eq!(t.prompt(), "sw1>");
    let steps = [
        ("", "sw1>"),
        ("enable", "Password: "),
        ("Enable-Secret-1", "sw1#"),
        ("configure terminal", "sw1(config)#"),
        ("interface GigabitEthernet1/0/1", "sw1(config-if)#"),
        ("exit", "sw1(config)#"),
        ("interface range gi1/0/1 - 2", "sw1(config-if-range)#"),
        ("vlan 10", "sw1(config-vlan)#"),
        ("line vty 0 4", "sw1(config-line)#"),
        ("router ospf 1", "sw1(config-router)#"),
        ("ip access-list extended WEB", "sw1(config-ext-nacl)#"),
        ("ip access-list standard MGMT", "sw1(config-std-nacl)#"),
        ("archive", "sw1(config-archive)#"),
        ("log config", "sw1(config-archive-log-cfg)#"),
        ("exit", "sw1(config-archive)#"),
        ("wlan GUEST 2 GUEST", "sw1(config-wlan)#"),
        (
            "wireless profile policy PP-GUEST",
            "sw1(config-wireless-policy)#",
        ),
        ("wireless tag policy PT-1", "sw1(config-policy-tag)#"),
        ("policy-map QOS", "sw1(config-pmap)#"),
        ("class VOICE", "sw1(config-pmap-c)#"),
        ("exit", "sw1(config-pmap)#"),
        ("ip dhcp pool USERS", "sw1(dhcp-config)#"),
        // The configured hostname shows at once.
        ("hostname core1", "core1(config)#"),
        ("interface vlan 99", "core1(config-if)#"),
        ("end", "core1#"),
        ("configure terminal", "core1(config)#"),
        ("interface lo0", "core1(config-if)#"),
        ("\u{1a}", "core1#"),
        ("disable", "core1>"),
    ];
    for (line, prompt) in steps {
        let out = t.send(line);
        assert_eq!(t.prompt(), prompt, "after {line:?}: {out}");
    }
    let out = t.execute("exit");
    assert!(out.close);
}

#[test]
fn exit_from_privileged_and_config_tops() {
    let d = device();
    let mut t = Term::config(&d);
    assert!(!t.execute("exit").close);
    assert_eq!(t.prompt(), "sw1#");
    assert!(t.execute("logout").close);
}

#[test]
fn without_an_enable_secret_sessions_start_privileged() {
    let mut spec = spec();
    spec.enable_secret = None;
    let d = device_from(spec);
    let mut t = Term::new(&d);
    assert_eq!(t.prompt(), "sw1#");
    t.send("disable");
    assert_eq!(t.prompt(), "sw1>");
    assert_eq!(t.send("enable"), "");
    assert_eq!(t.prompt(), "sw1#");
    assert!(!running(&d).contains("enable secret"));
}

#[test]
fn enable_refuses_wrong_secrets_three_times() {
    let d = device();
    let mut t = Term::new(&d);
    t.send("en");
    assert!(t.session.hides_input());
    assert_eq!(t.send("wrong"), "% Access denied\n");
    assert_eq!(t.prompt(), "Password: ");
    assert_eq!(t.send(""), "% Access denied\n");
    assert_eq!(t.send("Enable-secret-1"), "% Access denied\n");
    assert_eq!(t.prompt(), "sw1>");
    assert!(!t.session.hides_input());
    t.send("enable");
    t.send("Enable-Secret-1");
    assert_eq!(t.prompt(), "sw1#");
}

#[test]
fn abbreviations_expand_to_full_keywords_and_names() {
    let d = device();
    let mut t = Term::enabled(&d);
    t.send("conf t");
    t.quiet(&[
        "int gi1/0/1",
        "desc  two  spaces",
        "sw mo acc",
        "swi acc vl 1",
        "spanning-tree portf",
        "spann bpdug en",
        "int Te1/1/1",
        "sw mode trunk",
        "sw tr nat vl 1",
        "int GigabitEthernet1/0/2",
        "shut",
        "int g 1/0/3",
        "no shut",
        "int po1",
        "int VLAN99",
        "no sh",
        "ip ssh ver 2",
        "logg host 10.0.0.5",
        "end",
    ]);
    assert_eq!(t.send("wr mem"), "Building configuration...\n[OK]\n");
    let run = t.send("sh run");
    for line in [
        "interface GigabitEthernet1/0/1\n description two  spaces\n switchport mode access\n switchport access vlan 1\n spanning-tree portfast\n spanning-tree bpduguard enable\n",
        "interface TenGigabitEthernet1/1/1\n switchport mode trunk\n switchport trunk native vlan 1\n",
        "interface GigabitEthernet1/0/2\n shutdown\n",
        "interface Port-channel1\n!\n",
        "logging host 10.0.0.5\n",
    ] {
        assert!(run.contains(line), "{line}\n{run}");
    }
    // Port-channels come before the ports, SVIs after.
    assert!(
        run.find("interface Port-channel1").unwrap()
            < run.find("interface GigabitEthernet1/0/1").unwrap()
    );
    assert!(
        t.send("sh ip int br")
            .contains("Vlan99                 10.0.99.11      YES NVRAM  up")
    );
    assert!(t.send("SH VER").contains("sw1 uptime is "));
}

/// One case of the error table: where to type the line, the line, what IOS prints.
struct ErrorCase {
    setup: &'static [&'static str],
    line: &'static str,
    expected: String,
}

fn caret(column: usize) -> String {
    format!(
        "{}^\n% Invalid input detected at '^' marker.\n\n",
        " ".repeat(column)
    )
}

#[test]
fn error_shapes_are_exact() {
    const INCOMPLETE: &str = "% Incomplete command.\n\n";
    let conf: &[&str] = &["conf t"];
    let intf: &[&str] = &["conf t", "int gi1/0/1"];
    let cases = [
        // sw1(config)# is 12 characters: the caret lands under the typo.
        ErrorCase {
            setup: conf,
            line: "interfce gi1/0/1",
            expected: caret(12),
        },
        ErrorCase {
            setup: conf,
            line: "  interfce gi1/0/1",
            expected: caret(14),
        },
        ErrorCase {
            setup: conf,
            line: "vlan 5000",
            expected: caret(12 + 5),
        },
        ErrorCase {
            setup: conf,
            line: "interface gi1/0/99",
            expected: caret(12 + 10 + 2),
        },
        ErrorCase {
            setup: conf,
            line: "show version",
            expected: caret(12),
        },
        ErrorCase {
            setup: conf,
            line: "interface",
            expected: INCOMPLETE.into(),
        },
        ErrorCase {
            setup: conf,
            line: "hostname a b",
            expected: caret(12 + 11),
        },
        ErrorCase {
            setup: conf,
            line: "e",
            expected: "% Ambiguous command:  \"e\"\n".into(),
        },
        // sw1(config-if)# is 15 characters.
        ErrorCase {
            setup: intf,
            line: "switchport acess vlan 10",
            expected: caret(15 + 11),
        },
        ErrorCase {
            setup: intf,
            line: "switchport access vlan",
            expected: INCOMPLETE.into(),
        },
        ErrorCase {
            setup: intf,
            line: "switchport access vlan 0",
            expected: caret(15 + 23),
        },
        ErrorCase {
            setup: intf,
            line: "switchport mode acces trunk",
            expected: caret(15 + 22),
        },
        ErrorCase {
            setup: intf,
            line: "ip adress 10.0.0.1 255.255.255.0",
            expected: caret(15 + 3),
        },
        ErrorCase {
            setup: intf,
            line: "ip address 10.0.0.1",
            expected: INCOMPLETE.into(),
        },
        ErrorCase {
            setup: intf,
            line: "ip address 10.0.0.300 255.0.0.0",
            expected: caret(15 + 11),
        },
        ErrorCase {
            setup: intf,
            line: "shutdown now",
            expected: caret(15 + 9),
        },
        ErrorCase {
            setup: intf,
            line: "spanning-tree bpduguard",
            expected: INCOMPLETE.into(),
        },
        ErrorCase {
            setup: intf,
            line: "n",
            expected: "% Ambiguous command:  \"n\"\n".into(),
        },
        ErrorCase {
            setup: intf,
            line: "no",
            expected: INCOMPLETE.into(),
        },
        // sw1# is 4 characters.
        ErrorCase {
            setup: &[],
            line: "sh ip int brieff",
            expected: caret(4 + 10),
        },
        ErrorCase {
            setup: &[],
            line: "co",
            expected: "% Ambiguous command:  \"co\"\n".into(),
        },
        ErrorCase {
            setup: &[],
            line: "s",
            expected: "% Ambiguous command:  \"s\"\n".into(),
        },
        ErrorCase {
            setup: &[],
            line: "show",
            expected: INCOMPLETE.into(),
        },
        ErrorCase {
            setup: &[],
            line: "terminal length 600",
            expected: caret(4 + 16),
        },
        ErrorCase {
            setup: &[],
            line: "show run | foo x",
            expected: caret(4 + 11),
        },
        ErrorCase {
            setup: &[],
            line: "show run |",
            expected: INCOMPLETE.into(),
        },
        ErrorCase {
            setup: &[],
            line: "end",
            expected: caret(4),
        },
    ];
    for case in cases {
        let d = device();
        let mut t = Term::enabled(&d);
        for line in case.setup {
            t.send(line);
        }
        let prompt = t.prompt();
        assert_eq!(t.send(case.line), case.expected, "{prompt}{}", case.line);
    }
}

#[test]
fn privileged_commands_are_invalid_in_user_mode() {
    let d = device();
    let mut t = Term::new(&d);
    // sw1> is 4 characters.
    for (line, column) in [
        ("configure terminal", 4),
        ("conf t", 4),
        ("write memory", 4),
        ("show running-config", 4 + 5),
        ("sh run", 4 + 3),
        ("reload", 4),
    ] {
        assert_eq!(t.send(line), caret(column), "{line}");
        assert_eq!(t.prompt(), "sw1>");
    }
    assert!(t.send("show version").contains("Version 17.9.4"));
    assert_eq!(t.send("show privilege"), "Current privilege level is 1\n");
}

#[test]
fn do_runs_exec_commands_from_configuration_mode() {
    let d = device();
    let mut t = Term::config(&d);
    t.send("int gi1/0/5");
    let out = t.send("do show run | i hostname");
    assert_eq!(out, "hostname sw1\n");
    assert_eq!(t.prompt(), "sw1(config-if)#");
    // The caret counts the `do` prefix.
    assert_eq!(t.send("do sh foo"), caret(15 + 6));
    assert_eq!(t.send("do wr"), "Building configuration...\n[OK]\n");
}

#[test]
fn exec_channel_runs_privileged_commands() {
    let d = device();
    let mut session = new_session();
    let ok = session.exec(&d, "show running-config | include hostname");
    assert_eq!(ok.status, 0);
    assert_eq!(String::from_utf8_lossy(&ok.stdout), "hostname sw1\n");
    let bad = session.exec(&d, "show runing-config");
    assert_eq!(bad.status, 1);
    assert_eq!(String::from_utf8_lossy(&bad.stdout), caret(5));
    // Several lines run in one privileged context.
    let conf = session.exec(&d, "configure terminal\nhostname edge\nend\nwrite memory");
    assert_eq!(conf.status, 0, "{}", String::from_utf8_lossy(&conf.stdout));
    assert!(ios(&d, |s| s.is_saved() && s.hostname() == "edge"));
    // The interactive session is untouched.
    assert_eq!(session.prompt(&d), "edge>");
}

#[test]
fn paging_and_terminal_settings() {
    let d = device();
    let mut t = Term::new(&d);
    assert_eq!(t.session.page_length(), 24);
    t.quiet(&["terminal length 0", "terminal width 511", "term mon"]);
    assert_eq!(t.session.page_length(), 0);
    assert!(
        t.send("show terminal")
            .contains("Length: 0 lines, Width: 511 columns")
    );
    t.send("ter len 40");
    assert_eq!(t.session.page_length(), 40);
}

#[test]
fn show_commands_have_their_ios_shape() {
    let d = device();
    let mut t = Term::enabled(&d);
    let version = t.send("show version");
    for line in [
        "Cisco IOS XE Software, Version 17.09.04\n",
        "Cisco IOS Software [netparc twin], C9300-48P Software (CAT9K_IOSXE), Version 17.9.4, RELEASE SOFTWARE (fc5)\n",
        "sw1 uptime is 0 minutes\n",
        "Processor board ID FOC2345X0YZ\n",
        "8 Gigabit Ethernet interfaces\n2 Ten Gigabit Ethernet interfaces\n",
        "Configuration register is 0x102\n",
    ] {
        assert!(version.contains(line), "{line}\n{version}");
    }
    assert_eq!(
        t.send("show inventory"),
        "NAME: \"Chassis\", DESCR: \"Cisco C9300-48P Chassis\"\nPID: C9300-48P         , VID: V01  , SN: FOC2345X0YZ\n\n"
    );
    let clock = t.send("show clock");
    assert!(clock.starts_with('*') && clock.contains(" UTC "), "{clock}");
    t.send("conf t");
    t.quiet(&["clock timezone CET 1 0", "ntp server 10.0.0.1", "end"]);
    let clock = t.send("show clock");
    assert!(
        !clock.starts_with('*') && clock.contains(" CET "),
        "{clock}"
    );
    assert_eq!(
        t.send("show ip interface brief | include Vlan"),
        "Vlan99                 10.0.99.11      YES NVRAM  up                    up\n"
    );
    let brief = t.send("show ip interface brief");
    assert!(
        brief.contains("TenGigabitEthernet1/1/1 unassigned      YES unset  up"),
        "{brief}"
    );
    assert!(
        t.send("show interfaces gi1/0/1")
            .starts_with("GigabitEthernet1/0/1 is up, line protocol is up (connected) \n")
    );
    assert!(
        t.send("show interfaces description")
            .starts_with("Interface                      Status         Protocol Description\n")
    );
    assert!(
        t.send("show interfaces gi1/0/1 switchport")
            .contains("Administrative Mode: dynamic auto\n")
    );
    assert!(t.send("show history").contains("show inventory"));
}

#[test]
fn ping_answers_for_the_twin_itself() {
    let d = device();
    let mut t = Term::new(&d);
    assert!(
        t.send("ping 10.0.99.11")
            .contains("Success rate is 100 percent (5/5)")
    );
    assert!(
        t.send("ping 10.0.99.1")
            .contains("Success rate is 0 percent (0/5)")
    );
    assert_eq!(
        t.send("ping nowhere"),
        "% Unrecognized host or address, or protocol not running.\n\n"
    );
}

#[test]
fn question_mark_lists_what_may_come_next() {
    let d = device();
    let mut t = Term::new(&d);
    assert_eq!(t.send("sh?"), "show\n\n");
    assert_eq!(t.send("s?"), "show  ssh\n\n");
    let show = t.send("show ?");
    assert!(
        show.contains("  version\n") && !show.contains("running-config"),
        "{show}"
    );
    let mut t = Term::config(&d);
    t.send("int gi1/0/1");
    // Arguments checked by a validator are not introspected: IOS would list them.
    assert_eq!(t.send("switchport ?"), "  WORD\n\n");
    assert_eq!(
        t.send("spanning-tree bpduguard ?"),
        "  disable\n  enable\n\n"
    );
    assert_eq!(t.send("shut?"), "shutdown\n\n");
    assert_eq!(t.send("desc ?"), "  LINE\n\n");
    assert_eq!(t.send("interfce ?"), "% Unrecognized command\n");
    // Nothing ran.
    assert!(block_is_empty(&d));
}

fn block_is_empty(d: &Device) -> bool {
    ios(d, |s| {
        s.interface_block("GigabitEthernet1/0/1")
            .is_some_and(|b| b.children.is_empty())
    })
}

/// What the guest-SSID and voice playbooks read: `show wlan summary`, `show wlan name X`
/// (the 9800 layout the playbook's `SAE : Enabled` / `PMF … Required` checks expect),
/// `show power inline` and a filtered running configuration.
#[test]
fn wlan_and_power_inline_show_commands_follow_the_configuration() {
    let d = device();
    let mut t = Term::config(&d);
    t.quiet(&[
        "wlan Atelier-Invites 2 Atelier-Invites",
        "no security wpa akm dot1x",
        "no security wpa wpa2",
        "security wpa akm sae",
        "security wpa wpa3",
        "security pmf mandatory",
        "no shutdown",
        "wlan Staff 1 Staff",
        "security wpa akm psk",
        "exit",
    ]);
    t.send("interface gi1/0/3");
    t.send("switchport voice vlan 20");
    t.quiet(&[
        "interface gi1/0/4",
        "shutdown",
        "switchport voice vlan 20",
        "end",
    ]);
    let summary = t.send("show wlan summary");
    assert!(summary.contains("Number of WLANs: 2"), "{summary}");
    let guest = summary
        .lines()
        .find(|l| l.starts_with("2    Atelier-Invites"))
        .unwrap_or_default();
    assert!(
        guest.contains(" UP ") && guest.ends_with("[WPA3][SAE][AES]"),
        "{summary}"
    );
    let staff = summary
        .lines()
        .find(|l| l.starts_with("1    Staff"))
        .unwrap_or_default();
    assert!(staff.contains(" DOWN "), "{summary}");
    let detail = t.send("show wlan name Atelier-Invites");
    let sae = regex::Regex::new(r"SAE\s*:\s*Enabled").expect("regex");
    let pmf = regex::Regex::new(r"PMF\s+.*Required").expect("regex");
    assert!(sae.is_match(&detail) && pmf.is_match(&detail), "{detail}");
    assert!(detail.contains("Network Name (SSID)                            : Atelier-Invites"));
    let staff = t.send("show wlan id 1");
    assert!(!sae.is_match(&staff) && !pmf.is_match(&staff), "{staff}");
    assert_eq!(t.send("show wlan name Nope"), "% WLAN not found\n");
    let power = t.send("show power inline");
    assert!(power.contains("Available"), "{power}");
    assert!(
        power.contains("\n1            740.0        6.3       733.7\n"),
        "{power}"
    );
    assert!(
        power.contains("\nGi1/0/3   auto   on         6.3     IP Phone 8845       2     30.0\n"),
        "{power}"
    );
    assert!(
        power.contains("\nGi1/0/4   auto   off        0.0     n/a"),
        "{power}"
    );
    // 10G uplinks carry no power.
    assert!(!power.contains("Te1/1/1"), "{power}");
    let one = t.send("show power inline Gi1/0/3");
    assert_eq!(one.matches("IP Phone").count(), 1, "{one}");
    let voice = t.send("show running-config | include switchport voice vlan");
    assert_eq!(
        voice,
        " switchport voice vlan 20\n switchport voice vlan 20\n"
    );
}
