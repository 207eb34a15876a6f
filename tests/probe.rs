//! The probes against real peers on loopback: ICMP to 1,000 addresses at once, SNMP v2c and
//! v3 against the twins' agents (facts, faults, wrong credentials), SNMP against a fake
//! agent on a raw UDP socket answering garbage, truncated packets or the wrong request id,
//! TCP connect, and ping to a twin that is down in the isolated lab.

use crate::util::Fixture;
use netparc::check::open_resolver;
use netparc::inventory::{Inventory, Selector};
use netparc::lab::control::FaultRequest;
use netparc::lab::{Lab, LabOptions, netns};
use netparc::probe::icmp::{IcmpProbe, PingOptions};
use netparc::probe::snmp::{SnmpCredentials, SnmpError, SnmpProbe, SnmpSettings};
use netparc::probe::tcp::{TcpOptions, TcpProbe};
use netparc::probe::verdict::{self, ConfigSync, Expectations, Measurements, Verdict};
use netparc::secrets::Secret;
use netparc::transport::ssh::{Credential, HostKeyPolicy, SshOptions};
use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// A lab of the base fixture (optionally edited first), every twin on ports 0.
struct Running {
    fixture: Fixture,
    inventory: Inventory,
    lab: Lab,
}

async fn start(salt: &str, edit: impl FnOnce(&Fixture)) -> Running {
    let fixture = Fixture::new();
    edit(&fixture);
    let inventory = Inventory::load(fixture.path())
        .inventory
        .expect("fixture loads");
    let resolver = open_resolver(&inventory);
    let options = LabOptions {
        ssh_port: 0,
        snmp_port: 0,
        state_dir: fixture.file("state/lab"),
        salt: salt.to_string(),
        selector: Selector::all(),
        isolated: false,
    };
    let lab = Lab::start(&inventory, &resolver, &options)
        .await
        .expect("lab starts");
    Running {
        fixture,
        inventory,
        lab,
    }
}

impl Running {
    fn settings(&self, asset: &str) -> SnmpSettings {
        let resolver = open_resolver(&self.inventory);
        let located = self.inventory.asset(asset).expect("asset");
        let mut settings = SnmpSettings::for_asset(&self.inventory, located, &resolver)
            .expect("secrets resolve")
            .expect("an SNMP profile");
        // Patient enough for a debug build on a busy machine, short enough for the tests
        // that must time out.
        settings.timeout = Duration::from_millis(1500);
        settings
    }

    fn snmp(&self, asset: &str) -> SocketAddr {
        self.lab
            .twin(asset)
            .and_then(|t| t.snmp)
            .expect("SNMP twin")
    }

    fn fault(&self, asset: &str, fault: &str) {
        self.lab
            .fault(&FaultRequest {
                asset: asset.into(),
                fault: fault.into(),
                on: true,
            })
            .expect("fault applies");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_loopback_targets_at_once_each_reply_matched_to_its_target() {
    let probe = IcmpProbe::new(PingOptions {
        count: 2,
        interval: Duration::from_millis(20),
        timeout: Duration::from_secs(3),
    });
    // 1,000 distinct addresses in 127.123.0.0/16: on loopback every one of them answers.
    let targets: Vec<IpAddr> = (0..1000u32)
        .map(|i| {
            IpAddr::V4(Ipv4Addr::new(
                127,
                123,
                (i / 250) as u8,
                (i % 250 + 1) as u8,
            ))
        })
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for target in targets.clone() {
        let probe = probe.clone();
        tasks.spawn(async move { (target, probe.ping(target).await) });
    }
    let mut sequences = HashSet::new();
    let mut answered = HashSet::new();
    while let Some(joined) = tasks.join_next().await {
        let (target, report) = joined.expect("task");
        let report = report.expect("ICMP is permitted (the tests run as root)");
        assert_eq!(report.address, target);
        assert_eq!((report.sent, report.received), (2, 2), "{report:?}");
        assert_eq!(report.loss_percent, 0.0);
        let rtt = report.rtt.expect("round trips");
        assert!(rtt.min_ms <= rtt.avg_ms && rtt.avg_ms <= rtt.max_ms && rtt.mdev_ms >= 0.0);
        for sample in &report.samples {
            assert_eq!(
                sample.from,
                Some(target),
                "a reply from another target: {sample:?}"
            );
            assert_eq!(sample.error, None);
            assert!(
                sequences.insert(sample.sequence),
                "sequence {} used twice while in flight",
                sample.sequence
            );
        }
        answered.insert(target);
    }
    assert_eq!(answered.len(), 1000, "every target answered, once each");
}

#[tokio::test]
async fn ping_reports_loss_and_round_trips_of_one_target() {
    let probe = IcmpProbe::new(PingOptions {
        count: 4,
        interval: Duration::from_millis(10),
        timeout: Duration::from_secs(2),
    });
    let report = probe.ping("::1".parse().unwrap()).await.expect("ICMPv6");
    assert_eq!((report.sent, report.received), (4, 4));
    let report = probe.ping(IpAddr::V4(Ipv4Addr::LOCALHOST)).await.unwrap();
    assert_eq!(report.samples.len(), 4);
    let sequences: Vec<u16> = report.samples.iter().map(|s| s.sequence).collect();
    let distinct: HashSet<_> = sequences.iter().collect();
    assert_eq!(distinct.len(), 4, "{sequences:?}");
}

#[tokio::test]
async fn snmp_v3_facts_of_a_twin_meet_the_inventory() {
    let running = start("probe-v3", |_| {}).await;
    // A description configured on the device is its ifAlias; a port forced down is
    // reported down.
    let ssh = SshOptions {
        username: String::from("netadmin"),
        credential: Credential::Password(Secret::new(crate::util::SECRETS[0].1)),
        host_keys: HostKeyPolicy {
            known_hosts: running.fixture.file("known_hosts"),
            accept_new: true,
        },
        connect_timeout: Duration::from_secs(5),
        auth_timeout: Duration::from_secs(5),
        keepalive: None,
        lab_mode: true,
        algorithms: Default::default(),
    };
    let twin_ssh = running.lab.twin("sw1").and_then(|t| t.ssh).unwrap();
    let (session, mut shell) = crate::util::privileged_shell("sw1", twin_ssh, &ssh).await;
    let prompt = regex::Regex::new(r"(?m)^sw1(\([\w-]+\))?#\s*$").unwrap();
    for line in [
        "configure terminal",
        "interface Gi1/0/1",
        "description desk 1",
        "end",
    ] {
        shell.send(&format!("{line}\n")).await.unwrap();
        shell
            .read_until(&prompt, Duration::from_secs(5))
            .await
            .unwrap();
    }
    session.close().await;
    running.fault("sw1", "interface-down=Vlan99");
    let facts = SnmpProbe::new()
        .poll(running.snmp("sw1"), &running.settings("sw1"))
        .await
        .expect("v3 authPriv poll");
    assert_eq!(facts.system.name, "sw1");
    assert!(
        facts.system.object_id.starts_with("1.3.6.1.4.1.9."),
        "{facts:?}"
    );
    assert!(facts.system.descr.contains("IOS"), "{}", facts.system.descr);
    assert_eq!(facts.serial.as_deref(), Some("FOC0001"));
    let port = facts
        .interfaces
        .iter()
        .find(|i| i.name == "GigabitEthernet1/0/1")
        .expect("ifName of port 1");
    assert_eq!(port.index, 1);
    assert_eq!(
        port.alias, "desk 1",
        "ifAlias is the configured description"
    );
    assert_eq!(
        (port.admin_status.as_str(), port.oper_status.as_str()),
        ("up", "up")
    );
    assert_eq!(port.speed_mbps, Some(1000));
    let names: Vec<&str> = facts.interfaces.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "GigabitEthernet1/0/1",
            "GigabitEthernet1/0/2",
            "GigabitEthernet1/0/48",
            "Vlan99"
        ]
    );
    let forced = facts
        .interfaces
        .iter()
        .find(|i| i.name == "Vlan99")
        .unwrap();
    assert_eq!(
        (forced.admin_status.as_str(), forced.oper_status.as_str()),
        ("up", "down")
    );

    let asset = running.inventory.asset("sw1").unwrap();
    let state = verdict::assess(
        "sw1",
        Measurements {
            ping: None,
            tcp: None,
            snmp: Some(Ok(facts)),
        },
        &Expectations::for_asset(&asset.value),
        ConfigSync::InSync,
        std::time::SystemTime::now(),
    );
    assert_eq!(state.verdict, Verdict::Passed, "{:?}", state.checks);
    // name, three ports up, object id, serial
    assert_eq!(state.checks.len(), 1 + 1 + 3 + 1 + 1, "{:?}", state.checks);
    running.lab.stop().await;
}

#[tokio::test]
async fn snmp_get_getnext_and_walk_primitives() {
    let running = start("probe-prims", |_| {}).await;
    let session = SnmpProbe::new()
        .session(running.snmp("ap1"), &running.settings("ap1"))
        .await
        .expect("session");
    let sys_name = async_snmp::Oid::from_slice(&[1, 3, 6, 1, 2, 1, 1, 5, 0]);
    let got = session.get(std::slice::from_ref(&sys_name)).await.unwrap();
    assert_eq!(got[0].value.as_str(), Some("ap1"));
    let next = session
        .get_next(&async_snmp::Oid::from_slice(&[1, 3, 6, 1, 2, 1, 1, 5]))
        .await
        .unwrap();
    assert_eq!(next.oid, sys_name);
    let system = session
        .walk(&async_snmp::Oid::from_slice(&[1, 3, 6, 1, 2, 1, 1]))
        .await
        .unwrap();
    assert_eq!(system.len(), 7, "the seven scalars of the system group");
    running.lab.stop().await;
}

#[tokio::test]
async fn snmp_v2c_community_right_and_wrong() {
    let running = start("probe-v2c", |fixture| {
        fixture.write_secret("secrets/community", "Kq3!vR8#pL2$wT6@zM9x");
        fixture.edit(
            "defaults.yml",
            "snmp:\n  version: v3\n  user: netparc\n  auth: sha256\n  auth_password: file:secrets/snmp-auth\n  privacy: aes\n  priv_password: file:secrets/snmp-priv\n",
            "snmp:\n  version: v2c\n  community: file:secrets/community\n  timeout_ms: 300\n  retries: 0\n",
        );
    })
    .await;
    let settings = running.settings("sw1");
    assert!(matches!(settings.credentials, SnmpCredentials::V2c { .. }));
    assert_eq!(settings.retries, 0, "retries come from the profile");
    let probe = SnmpProbe::new();
    let facts = probe
        .poll(running.snmp("sw1"), &settings)
        .await
        .expect("v2c poll");
    assert_eq!(facts.system.name, "sw1");

    let mut wrong = settings.clone();
    wrong.timeout = Duration::from_millis(300);
    wrong.credentials = SnmpCredentials::V2c {
        community: Secret::new("not-the-community"),
    };
    let error = probe.poll(running.snmp("sw1"), &wrong).await.unwrap_err();
    let text = error.to_string();
    assert_eq!(error.kind(), "timeout");
    assert_eq!(
        text,
        format!(
            "SNMP timeout: no valid answer from {} within 300 ms (0 retries): the device is \
             down, filtered, or the community is wrong (agents drop a wrong community silently)",
            running.snmp("sw1")
        )
    );
    assert!(!text.contains("not-the-community") && !format!("{wrong:?}").contains("not-the"));
    running.lab.stop().await;
}

#[tokio::test]
async fn a_wrong_v3_passphrase_is_authentication_failed_not_a_timeout() {
    let running = start("probe-v3-auth", |_| {}).await;
    let settings = running.settings("sw1");
    let with = |change: &dyn Fn(&mut String, &mut Secret)| {
        let mut changed = settings.clone();
        if let SnmpCredentials::V3 {
            user,
            auth_password,
            ..
        } = &mut changed.credentials
        {
            change(user, auth_password);
        }
        changed
    };
    let wrong_password = with(&|_, password| {
        *password = Secret::new("definitely-wrong-passphrase");
    });
    let unknown_user = with(&|user, _| *user = String::from("nobody"));
    let probe = SnmpProbe::new();
    let address = running.snmp("sw1");

    let error = probe.poll(address, &wrong_password).await.unwrap_err();
    assert_eq!(error.kind(), "auth_failed");
    assert_eq!(
        error.to_string(),
        format!(
            "SNMP authentication failed at {address}: wrong authentication passphrase (or \
             protocol): the agent reports a wrong digest"
        )
    );
    assert!(!format!("{error:?}{wrong_password:?}").contains("definitely-wrong"));

    let error = probe.poll(address, &unknown_user).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("SNMP authentication failed at {address}: the agent does not know this user name")
    );
    running.lab.stop().await;
}

#[tokio::test]
async fn an_snmp_timeout_fault_is_reported_as_a_timeout() {
    let running = start("probe-timeout", |_| {}).await;
    running.fault("sw1", "snmp-timeout");
    let mut settings = running.settings("sw1");
    settings.timeout = Duration::from_millis(200);
    settings.retries = 1;
    let address = running.snmp("sw1");
    let error = SnmpProbe::new().poll(address, &settings).await.unwrap_err();
    assert_eq!(
        error,
        SnmpError::Timeout {
            address,
            timeout_ms: 200,
            retries: 1,
            malformed: 0,
            unmatched: 0,
            community: false
        }
    );
    assert_eq!(
        error.to_string(),
        format!(
            "SNMP timeout: no valid answer from {address} within 200 ms (1 retries): the device \
             is down or filtered (not even engine discovery was answered)"
        )
    );
    running.lab.stop().await;
}

/// How the fake agent answers each request.
#[derive(Clone, Copy)]
enum Answer {
    /// Bytes that are not SNMP at all.
    Garbage,
    /// A well-formed answer cut in half.
    Truncated,
    /// A well-formed answer to another request id.
    WrongRequestId,
}

/// A BER header at `at`: (tag, offset of the content, content length).
fn tlv(packet: &[u8], at: usize) -> Option<(u8, usize, usize)> {
    let tag = *packet.get(at)?;
    let first = *packet.get(at + 1)? as usize;
    if first < 0x80 {
        return Some((tag, at + 2, first));
    }
    let count = first & 0x7f;
    let mut length = 0usize;
    for i in 0..count {
        length = (length << 8) | *packet.get(at + 2 + i)? as usize;
    }
    Some((tag, at + 2 + count, length))
}

/// Turn a v2c GET request into a response in place (same lengths): the PDU tag becomes
/// GetResponse, and with `wrong_id` the request id's last octet changes.
fn respond(request: &[u8], wrong_id: bool) -> Option<Vec<u8>> {
    let mut packet = request.to_vec();
    let (_, message, _) = tlv(&packet, 0)?; // Message SEQUENCE
    let (_, version, version_len) = tlv(&packet, message)?;
    let (_, community, community_len) = tlv(&packet, version + version_len)?;
    let pdu_at = community + community_len;
    let (_, pdu, _) = tlv(&packet, pdu_at)?;
    packet[pdu_at] = 0xa2;
    let (_, id, id_len) = tlv(&packet, pdu)?;
    if wrong_id {
        packet[id + id_len - 1] ^= 0x01;
    }
    Some(packet)
}

/// A fake SNMP agent on 127.0.0.1: a plain UDP socket that answers every datagram the
/// `answer` way. Returns its address; the task ends with the test's runtime.
async fn fake_agent(answer: Answer) -> SocketAddr {
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let address = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buffer = vec![0u8; 65_535];
        // Bounded: a test sends at most a few requests.
        for _ in 0..64 {
            let Ok((size, from)) = socket.recv_from(&mut buffer).await else {
                return;
            };
            let request = &buffer[..size];
            let reply = match answer {
                Answer::Garbage => b"\xde\xad\xbe\xef this is not SNMP".to_vec(),
                Answer::Truncated => {
                    let whole = respond(request, false).expect("a v2c request");
                    whole[..whole.len() / 2].to_vec()
                }
                Answer::WrongRequestId => respond(request, true).expect("a v2c request"),
            };
            let _ = socket.send_to(&reply, from).await;
        }
    });
    address
}

fn v2c(timeout_ms: u64) -> SnmpSettings {
    SnmpSettings {
        credentials: SnmpCredentials::V2c {
            community: Secret::new("fake-agent-community"),
        },
        timeout: Duration::from_millis(timeout_ms),
        retries: 1,
    }
}

#[tokio::test]
async fn malformed_truncated_and_misaddressed_answers_are_clear_errors() {
    let probe = SnmpProbe::new();
    let garbage = fake_agent(Answer::Garbage).await;
    let error = probe.poll_system(garbage, &v2c(300)).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "SNMP timeout: no valid answer from {garbage} within 300 ms (1 retries); 2 \
             datagram(s) came back that are not valid SNMP (malformed or truncated)"
        )
    );

    let truncated = fake_agent(Answer::Truncated).await;
    let error = probe.poll_system(truncated, &v2c(300)).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "SNMP timeout: no valid answer from {truncated} within 300 ms (1 retries); 2 \
             datagram(s) came back that are not valid SNMP (malformed or truncated)"
        )
    );

    let misaddressed = fake_agent(Answer::WrongRequestId).await;
    let error = probe
        .poll_system(misaddressed, &v2c(300))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "SNMP timeout: no valid answer from {misaddressed} within 300 ms (1 retries); 2 \
             answer(s) matched no request sent (wrong request id, community or source)"
        )
    );
}

#[tokio::test]
async fn tcp_connect_measures_a_listener_and_names_a_closed_port() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let open = listener.local_addr().unwrap();
    let probe = TcpProbe::new(TcpOptions {
        port: 22,
        timeout: Duration::from_secs(2),
    });
    let report = probe.connect(open).await;
    assert!(report.connected && report.host_answered(), "{report:?}");
    assert!(report.connect_ms.is_some_and(|ms| ms >= 0.0));
    assert_eq!(report.error, None);

    drop(listener);
    let report = probe.connect(open).await;
    assert!(!report.connected);
    assert!(report.host_answered(), "a refusal comes from a live host");
    assert_eq!(
        report.error.as_deref(),
        Some(
            format!(
                "connection refused by {open}: the host is up but nothing listens on port {}",
                open.port()
            )
            .as_str()
        )
    );
}

/// In the isolated lab (a private network namespace, as root) a twin that is down does not
/// answer ping: the probe reports 100 % loss and the verdict says unreachable.
#[test]
fn ping_to_a_down_twin_in_the_isolated_lab() {
    assert!(
        netparc::lab::running_as_root(),
        "the isolated lab needs root (a private network namespace); CI runs as root"
    );
    netns::enter_private_namespace().expect("private network namespace");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let fixture = Fixture::new();
        let inventory = Inventory::load(fixture.path()).inventory.unwrap();
        let resolver = open_resolver(&inventory);
        let options = LabOptions {
            ssh_port: 0,
            snmp_port: 0,
            state_dir: fixture.file("state/lab"),
            salt: String::from("probe-isolated"),
            selector: Selector::all(),
            isolated: true,
        };
        let lab = Lab::start(&inventory, &resolver, &options)
            .await
            .expect("isolated lab");
        let sw1 = lab.twin("sw1").unwrap().device.spec.address;
        let probe = IcmpProbe::new(PingOptions {
            count: 2,
            interval: Duration::from_millis(10),
            timeout: Duration::from_millis(300),
        });
        let up = probe.ping(sw1).await.expect("ICMP in the namespace");
        assert_eq!(up.received, 2, "{up:?}");

        lab.fault(&FaultRequest {
            asset: "sw1".into(),
            fault: "down".into(),
            on: true,
        })
        .unwrap();
        let down = probe.ping(sw1).await.expect("ICMP in the namespace");
        assert_eq!((down.sent, down.received, down.loss_percent), (2, 0, 100.0));
        assert_eq!(down.rtt, None);
        for sample in &down.samples {
            let error = sample.error.as_deref().unwrap_or_default();
            assert!(
                error == "timeout" || error.starts_with("not sent: Network is unreachable"),
                "{error}"
            );
        }
        let state = verdict::assess(
            "sw1",
            Measurements {
                ping: Some(Ok(down)),
                tcp: None,
                snmp: None,
            },
            &Expectations::default(),
            ConfigSync::Unknown {
                reason: String::from("not compared"),
            },
            std::time::SystemTime::now(),
        );
        assert_eq!(state.verdict, Verdict::Unreachable);
        assert_eq!(state.checks[0].reason, "no reply to 2 ping(s) (100% loss)");
        lab.stop().await;
    });
}

#[tokio::test]
async fn snmp_v3_with_each_family_of_protocols() {
    for (auth, privacy) in [("md5", "des"), ("sha", "aes"), ("sha512", "aes256")] {
        let running = start(&format!("probe-{auth}-{privacy}"), |fixture| {
            fixture.edit(
                "defaults.yml",
                "  auth: sha256\n  auth_password: file:secrets/snmp-auth\n  privacy: aes\n",
                &format!(
                    "  auth: {auth}\n  auth_password: file:secrets/snmp-auth\n  privacy: {privacy}\n"
                ),
            );
        })
        .await;
        let facts = SnmpProbe::new()
            .poll(running.snmp("ap1"), &running.settings("ap1"))
            .await
            .unwrap_or_else(|e| panic!("{auth}/{privacy}: {e}"));
        assert_eq!(facts.system.name, "ap1", "{auth}/{privacy}");
        running.lab.stop().await;
    }
}
