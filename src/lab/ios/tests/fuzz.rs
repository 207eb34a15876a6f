//! Arbitrary lines in every mode never panic, and leave the twin coherent.

use super::*;
use crate::lab::device::CliSession;
use proptest::prelude::*;

/// Words that reach deep into the grammar, mixed with noise.
const VOCABULARY: &[&str] = &[
    "",
    "no",
    "default",
    "do",
    "end",
    "exit",
    "conf",
    "t",
    "configure",
    "terminal",
    "show",
    "run",
    "running-config",
    "int",
    "interface",
    "range",
    "gi1/0/1",
    "Gi1/0/2",
    "gi",
    "1/0/3",
    "-",
    "4",
    ",",
    "vlan",
    "10",
    "5000",
    "0",
    "name",
    "x",
    "switchport",
    "mode",
    "access",
    "trunk",
    "allowed",
    "add",
    "remove",
    "10,20-30",
    "voice",
    "description",
    "shutdown",
    "ip",
    "address",
    "10.0.0.1",
    "255.255.255.0",
    "255.0.255.0",
    "secondary",
    "banner",
    "motd",
    "^C",
    "#",
    "|",
    "include",
    "section",
    "begin",
    "(",
    "enable",
    "secret",
    "username",
    "line",
    "vty",
    "0",
    "15",
    "hostname",
    "archive",
    "log",
    "config",
    "access-list",
    "extended",
    "permit",
    "deny",
    "any",
    "host",
    "wlan",
    "router",
    "ospf",
    "write",
    "memory",
    "copy",
    "startup-config",
    "reload",
    "channel-group",
    "1",
    "active",
    "spanning-tree",
    "portfast",
    "\u{1a}",
    "é",
    "?",
    "!",
    "ping",
    "terminal",
    "length",
    "po1",
    "vlan99",
    "lo0",
];

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(prop::sample::select(VOCABULARY), 0..7)
            .prop_map(|words| words.join(" ")),
        1 => "\\PC{0,24}",
        1 => "[ a-z0-9/|,.^#-]{0,30}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_lines_never_panic(start in 0usize..4, lines in prop::collection::vec(line(), 1..25)) {
        let d = device();
        let mut session = new_session();
        session.greeting(&d);
        // Start in each family of modes.
        let setup: &[&str] = match start {
            0 => &[],
            1 => &["enable", "Enable-Secret-1"],
            2 => &["enable", "Enable-Secret-1", "conf t", "int gi1/0/1"],
            _ => &["enable", "Enable-Secret-1", "conf t", "interface range gi1/0/1 - 3"],
        };
        for l in setup {
            session.execute(&d, l);
        }
        for l in &lines {
            let out = session.execute(&d, l);
            let prompt = session.prompt(&d);
            if out.reload {
                d.reboot();
                break;
            }
            if out.close {
                break;
            }
            // A prompt is always there, except while a banner is being typed.
            prop_assert!(!prompt.is_empty() || l.contains("banner") || lines.iter().any(|x| x.contains("banner")));
            let _ = session.page_length();
            let _ = session.hides_input();
        }
        let run = ios(&d, |s| s.running_config());
        prop_assert!(run.ends_with("!\nend\n"), "{}", run);
        // Every port is still there.
        for n in 1..=8 {
            let header = format!("interface GigabitEthernet1/0/{n}\n");
            prop_assert!(run.contains(&header));
        }
        // What the configuration shows can be typed again.
        let saved = ios(&d, |s| s.running().render(&|_| 0));
        let copy = device();
        let replay = ios(&copy, |s| s.configure(&saved));
        prop_assert!(replay.is_ok(), "{:?}\n{}", replay, saved);
        for l in &lines {
            let _ = new_session().exec(&d, l);
        }
    }
}
