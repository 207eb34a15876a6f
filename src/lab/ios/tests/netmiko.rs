//! A session as Netmiko's `cisco_ios` driver runs it: find the prompt, set the terminal, enter
//! enable mode with the secret, push configuration lines, leave, save, read back.

use super::*;

#[test]
fn netmiko_like_session() {
    let d = device();
    let mut t = Term::new(&d);
    // session_preparation(): a bare return shows the prompt; base prompt is `sw1`.
    assert_eq!(t.send(""), "");
    let prompt = t.prompt();
    assert_eq!(prompt, "sw1>");
    // set_terminal_width() and disable_paging().
    assert_eq!(t.send("terminal width 511"), "");
    assert_eq!(t.send("terminal length 0"), "");
    // enable(): `enable`, wait for "ssword", send the secret, check the prompt ends in '#'.
    assert_eq!(t.send("enable"), "");
    assert!(t.prompt().contains("ssword"));
    assert!(t.session.hides_input());
    assert_eq!(t.send("Enable-Secret-1"), "");
    assert!(t.prompt().ends_with('#'));
    // send_config_set(): config_mode() checks for ")#".
    assert_eq!(
        t.send("configure terminal"),
        "Enter configuration commands, one per line.  End with CNTL/Z.\n"
    );
    assert!(t.prompt().contains(")#"));
    let config = [
        "vlan 10",
        " name users",
        "vlan 20",
        " name voice",
        "interface GigabitEthernet1/0/5",
        " description pc-hq-05 (alice)",
        " switchport mode access",
        " switchport access vlan 10",
        " switchport voice vlan 20",
        " spanning-tree portfast",
        " spanning-tree bpduguard enable",
        " no shutdown",
        "interface GigabitEthernet1/0/6",
        " description spare",
        " shutdown",
        "snmp-server contact it@atelier.test",
    ];
    for line in config {
        let out = t.send(line);
        assert!(!out.contains('%'), "{line}: {out}");
    }
    // exit_config_mode(): `end`, back to '#'.
    assert_eq!(t.send("end"), "");
    assert_eq!(t.prompt(), "sw1#");
    // save_config(): `write mem`.
    assert_eq!(t.send("write mem"), "Building configuration...\n[OK]\n");
    // send_command(): output is what precedes the next prompt, no paging.
    assert_eq!(t.session.page_length(), 0);
    let run = t.send("show running-config");
    assert!(run.contains(
        "interface GigabitEthernet1/0/5\n description pc-hq-05 (alice)\n switchport mode access\n switchport access vlan 10\n switchport voice vlan 20\n spanning-tree portfast\n spanning-tree bpduguard enable\n!\n"
    ), "{run}");
    assert!(
        run.contains("vlan 10\n name users\n!\nvlan 20\n name voice\n!\n"),
        "{run}"
    );
    assert!(ios(&d, |s| s.is_saved()));
    // What SNMP and verification read.
    let facts = d.facts();
    assert_eq!(facts.name, "sw1");
    assert_eq!(facts.contact, "it@atelier.test");
    let gi5 = &facts.interfaces[4];
    assert_eq!(
        (gi5.name.as_str(), gi5.alias.as_str(), gi5.admin_up),
        ("GigabitEthernet1/0/5", "pc-hq-05 (alice)", true)
    );
    let gi6 = &facts.interfaces[5];
    assert_eq!((gi6.alias.as_str(), gi6.admin_up), ("spare", false));
    // disconnect(): `exit` closes the session.
    assert!(t.execute("exit").close);
}

#[test]
fn the_screen_reads_like_a_switch() {
    let d = device();
    let mut t = Term::enabled(&d);
    assert_eq!(
        t.screen(&[
            "conf t",
            "interfce gi1/0/1",
            "int gi1/0/1",
            "switchport access vlan",
            "end"
        ]),
        "sw1#conf t
Enter configuration commands, one per line.  End with CNTL/Z.
sw1(config)#interfce gi1/0/1
            ^
% Invalid input detected at '^' marker.

sw1(config)#int gi1/0/1
sw1(config-if)#switchport access vlan
% Incomplete command.

sw1(config-if)#end
sw1#"
    );
}
