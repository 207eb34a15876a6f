//! The verdict rules on plain data: each expectation passing and failing, reachability from
//! each probe, and the final verdict.

use super::*;
use crate::probe::icmp::{EchoSample, rtt_stats};
use crate::probe::snmp::{InterfaceFact, SystemFacts};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, UNIX_EPOCH};

fn facts() -> SnmpFacts {
    SnmpFacts {
        system: SystemFacts {
            descr: String::from("Cisco IOS Software"),
            object_id: String::from("1.3.6.1.4.1.9.1.2593"),
            uptime_ticks: 360_000,
            contact: String::new(),
            name: String::from("sw1"),
            location: String::new(),
        },
        interfaces: vec![
            interface(1, "GigabitEthernet1/0/1", "up"),
            interface(2, "GigabitEthernet1/0/2", "lowerLayerDown"),
        ],
        serial: Some(String::from("FOC0001")),
    }
}

fn interface(index: u32, name: &str, oper: &str) -> InterfaceFact {
    InterfaceFact {
        index,
        name: name.into(),
        descr: name.into(),
        alias: String::new(),
        admin_status: String::from("up"),
        oper_status: oper.into(),
        speed_mbps: Some(1000),
    }
}

fn expected() -> Expectations {
    Expectations {
        sys_name: Some(String::from("sw1")),
        interfaces_up: vec![String::from("Gi1/0/1")],
        previous_uptime_ticks: Some(100),
        platform: Some(String::from("ios")),
        serial: Some(String::from("FOC0001")),
    }
}

fn ping(replies: usize, sent: usize) -> PingReport {
    let address: IpAddr = "127.0.0.1".parse().unwrap();
    let samples: Vec<EchoSample> = (0..sent)
        .map(|i| EchoSample {
            sequence: i as u16,
            rtt_ms: (i < replies).then_some(0.1 * (i + 1) as f64),
            from: (i < replies).then_some(address),
            error: (i >= replies).then(|| String::from("timeout")),
        })
        .collect();
    let rtts: Vec<f64> = samples.iter().filter_map(|s| s.rtt_ms).collect();
    PingReport {
        address,
        sent: sent as u16,
        received: replies as u16,
        loss_percent: 100.0 * (sent - replies) as f64 / sent as f64,
        rtt: rtt_stats(&rtts),
        samples,
    }
}

fn run(measurements: Measurements, expected: &Expectations) -> VerifiedState {
    assess(
        "sw1",
        measurements,
        expected,
        ConfigSync::InSync,
        UNIX_EPOCH + Duration::from_secs(1_764_072_000),
    )
}

/// (name, passed, reason) of every check but reachability.
fn checks(state: &VerifiedState) -> Vec<(String, bool, String)> {
    state
        .checks
        .iter()
        .filter(|c| c.name != "reachable")
        .map(|c| (c.name.clone(), c.passed, c.reason.clone()))
        .collect()
}

#[test]
fn a_device_as_the_inventory_says_passes_every_check() {
    let state = run(
        Measurements {
            ping: Some(Ok(ping(3, 3))),
            tcp: None,
            snmp: Some(Ok(facts())),
        },
        &expected(),
    );
    assert_eq!(state.verdict, Verdict::Passed, "{:?}", state.checks);
    assert_eq!(state.checked_at, "2025-11-25T12:00:00Z");
    assert_eq!(state.reachability.reachable, Some(true));
    assert_eq!(state.reachability.via.as_deref(), Some("icmp"));
    assert_eq!(state.reachability.loss_percent, Some(0.0));
    assert!((state.reachability.rtt_ms.unwrap() - 0.2).abs() < 1e-9);
    assert_eq!(state.interfaces, Some(InterfaceCounts { up: 1, down: 1 }));
    assert_eq!(
        checks(&state),
        vec![
            ("sys_name".into(), true, "sysName is `sw1`".into()),
            ("interface_up".into(), true, "Gi1/0/1 is up".into()),
            (
                "uptime".into(),
                true,
                "up 0d 01:00:00 since the last verification".into()
            ),
            (
                "object_id".into(),
                true,
                "sysObjectID 1.3.6.1.4.1.9.1.2593 fits platform ios".into()
            ),
            ("serial".into(), true, "serial FOC0001".into()),
        ]
    );
}

#[test]
fn each_expectation_fails_with_what_was_seen() {
    let mut seen = facts();
    seen.system.name = String::from("switch-07");
    seen.system.uptime_ticks = 50;
    seen.system.object_id = String::from("1.3.6.1.4.1.8072.3.2.10");
    seen.serial = Some(String::from("XYZ"));
    let mut wanted = expected();
    wanted.interfaces_up = vec!["Gi1/0/2".into(), "Gi1/0/9".into()];
    let state = run(
        Measurements {
            ping: Some(Ok(ping(3, 3))),
            tcp: None,
            snmp: Some(Ok(seen)),
        },
        &wanted,
    );
    assert_eq!(state.verdict, Verdict::Failed);
    assert_eq!(
        checks(&state),
        vec![
            (
                "sys_name".into(),
                false,
                "sysName is `switch-07`, expected `sw1`".into()
            ),
            (
                "interface_up".into(),
                false,
                "Gi1/0/2 is lowerLayerDown (admin up), expected up".into()
            ),
            (
                "interface_up".into(),
                false,
                "interface Gi1/0/9 is not reported by the device".into()
            ),
            (
                "uptime".into(),
                false,
                "uptime went back from 0d 00:00:01 to 0d 00:00:00: the device restarted since \
                 the last verification"
                    .into()
            ),
            (
                "object_id".into(),
                false,
                "sysObjectID 1.3.6.1.4.1.8072.3.2.10 does not fit platform ios (expected \
                 1.3.6.1.4.1.9.*)"
                    .into()
            ),
            (
                "serial".into(),
                false,
                "serial is `XYZ`, the inventory says `FOC0001`".into()
            ),
        ]
    );
}

#[test]
fn a_fully_qualified_sysname_matches_and_a_missing_serial_fails() {
    let mut seen = facts();
    seen.system.name = String::from("sw1.hq.example.net");
    seen.serial = None;
    let state = run(
        Measurements {
            ping: None,
            tcp: None,
            snmp: Some(Ok(seen)),
        },
        &expected(),
    );
    let found = checks(&state);
    assert!(found.contains(&(
        "sys_name".into(),
        true,
        "sysName is `sw1.hq.example.net`".into()
    )));
    assert!(found.contains(&(
        "serial".into(),
        false,
        "the device reports no serial (ENTITY-MIB), the inventory says `FOC0001`".into()
    )));
    assert_eq!(state.reachability.via.as_deref(), Some("snmp"));
}

#[test]
fn unknown_platforms_and_absent_expectations_are_not_checked() {
    let state = run(
        Measurements {
            ping: Some(Ok(ping(1, 3))),
            tcp: None,
            snmp: Some(Ok(facts())),
        },
        &Expectations {
            platform: Some(String::from("junos")),
            ..Expectations::default()
        },
    );
    assert!(checks(&state).is_empty(), "{:?}", state.checks);
    assert_eq!(state.verdict, Verdict::Passed);
    assert_eq!(object_id_prefix("linux"), Some("1.3.6.1.4.1.8072."));
    assert_eq!(object_id_prefix("junos"), None);
}

#[test]
fn silence_everywhere_is_unreachable_with_each_probes_reason() {
    let address: SocketAddr = "127.0.0.9:161".parse().unwrap();
    let timeout = SnmpError::Timeout {
        address,
        timeout_ms: 500,
        retries: 1,
        malformed: 0,
        unmatched: 0,
        community: false,
    };
    let state = run(
        Measurements {
            ping: Some(Ok(ping(0, 3))),
            tcp: Some(TcpReport {
                address: "127.0.0.9:22".parse().unwrap(),
                connected: false,
                connect_ms: None,
                error: Some(String::from("timeout: no answer")),
            }),
            snmp: Some(Err(timeout.clone())),
        },
        &expected(),
    );
    assert_eq!(state.verdict, Verdict::Unreachable);
    assert_eq!(state.reachability.reachable, Some(false));
    assert_eq!(state.snmp_error, Some(timeout));
    let reachable = state.checks.iter().find(|c| c.name == "reachable").unwrap();
    assert_eq!(
        reachable.reason,
        "no reply to 3 ping(s) (100% loss); timeout: no answer; no SNMP answer"
    );
    let snmp = state.checks.iter().find(|c| c.name == "snmp").unwrap();
    assert_eq!(
        snmp.reason,
        "SNMP timeout: no valid answer from 127.0.0.9:161 within 500 ms (1 retries): the \
         device is down or filtered (not even engine discovery was answered)"
    );
}

#[test]
fn a_refused_tcp_port_or_an_snmp_refusal_still_proves_the_host_is_up() {
    let refused = TcpReport {
        address: "127.0.0.9:22".parse().unwrap(),
        connected: false,
        connect_ms: None,
        error: Some(String::from(
            "connection refused by 127.0.0.9:22: the host is up but nothing listens on port 22",
        )),
    };
    let auth = SnmpError::AuthFailed {
        address: "127.0.0.9:161".parse().unwrap(),
        reason: String::from("the agent does not know this user name"),
    };
    let state = run(
        Measurements {
            ping: Some(Ok(ping(0, 2))),
            tcp: Some(refused),
            snmp: Some(Err(auth)),
        },
        &expected(),
    );
    assert_eq!(state.reachability.reachable, Some(true));
    assert_eq!(state.reachability.via.as_deref(), Some("tcp"));
    assert_eq!(state.verdict, Verdict::Failed);
    assert!(state.failures().any(|c| c.name == "snmp"
        && c.reason
            == "SNMP authentication failed at 127.0.0.9:161: the agent does not know this user name"));
}

#[test]
fn drift_fails_and_an_unknown_config_does_not() {
    let measurements = || Measurements {
        ping: Some(Ok(ping(3, 3))),
        tcp: None,
        snmp: None,
    };
    let drifted = assess(
        "sw1",
        measurements(),
        &Expectations::default(),
        ConfigSync::Drifted { differences: 4 },
        UNIX_EPOCH,
    );
    assert_eq!(drifted.verdict, Verdict::Failed);
    assert_eq!(drifted.config.label(), "drifted (4)");
    assert!(drifted.failures().any(|c| c.reason
        == "the running configuration differs from the intended one (4 change(s) to make)"));
    let unknown = assess(
        "sw1",
        measurements(),
        &Expectations::default(),
        ConfigSync::Unknown {
            reason: String::from("no driver"),
        },
        UNIX_EPOCH,
    );
    assert_eq!(unknown.verdict, Verdict::Passed);
    assert_eq!(unknown.config.label(), "unknown");
}

#[test]
fn an_icmp_permission_problem_is_a_failed_check_with_its_text() {
    let state = run(
        Measurements {
            ping: Some(Err(String::from(
                "cannot open an ICMPv4 socket: permission denied",
            ))),
            tcp: None,
            snmp: Some(Ok(facts())),
        },
        &Expectations::default(),
    );
    assert_eq!(state.verdict, Verdict::Failed);
    assert!(
        state
            .failures()
            .any(|c| c.name == "icmp"
                && c.reason == "cannot open an ICMPv4 socket: permission denied")
    );
}

#[test]
fn the_inventory_expects_its_name_live_ports_platform_and_serial() {
    let asset: crate::inventory::Asset = serde_json::from_value(serde_json::json!({
        "name": "sw1", "kind": "switch", "platform": "ios", "site": "hq", "serial": "FOC1",
        "interfaces": [
            {"name": "Gi1/0/1"},
            {"name": "Gi1/0/2", "shutdown": true},
            {"name": "Gi1/0/3", "mode": "unused"},
            {"name": "Gi1/0/48", "mode": "trunk"}
        ]
    }))
    .unwrap();
    let expected = Expectations::for_asset(&asset);
    assert_eq!(expected.sys_name.as_deref(), Some("sw1"));
    assert_eq!(expected.interfaces_up, vec!["Gi1/0/1", "Gi1/0/48"]);
    assert_eq!(expected.platform.as_deref(), Some("ios"));
    assert_eq!(expected.serial.as_deref(), Some("FOC1"));
    assert_eq!(expected.previous_uptime_ticks, None);
}

#[test]
fn the_state_serialises_without_secrets_or_surprises() {
    let state = run(
        Measurements {
            ping: Some(Ok(ping(3, 3))),
            tcp: None,
            snmp: Some(Ok(facts())),
        },
        &expected(),
    );
    let json = serde_json::to_value(&state).unwrap();
    assert_eq!(json["verdict"], "passed");
    assert_eq!(json["config"]["state"], "in_sync");
    assert_eq!(json["snmp"]["system"]["name"], "sw1");
    assert_eq!(json["reachability"]["via"], "icmp");
    let error = serde_json::to_value(SnmpError::AuthFailed {
        address: "127.0.0.9:161".parse().unwrap(),
        reason: String::from("x"),
    })
    .unwrap();
    assert_eq!(error["kind"], "auth_failed");
}
