//! The isolated lab: in a private network namespace only present twins exist, so the system
//! `ping` sees a device go down and a workstation come up once its switch port is
//! configured for it. Runs on this test's own thread (namespaces belong to threads), on a
//! current-thread runtime, as root.

use crate::util::Fixture;
use netparc::check::open_resolver;
use netparc::inventory::{Inventory, Selector};
use netparc::lab::control::FaultRequest;
use netparc::lab::{Lab, LabOptions, netns};
use netparc::secrets::Secret;
use netparc::transport::ssh::{Credential, HostKeyPolicy, SshOptions, SshSession};
use regex::Regex;
use std::net::IpAddr;
use std::time::Duration;

/// One ICMP echo with the system's ping (blocking is fine: the kernel answers, not a task).
fn ping(address: IpAddr) -> bool {
    std::process::Command::new("ping")
        .args(["-c", "1", "-W", "1", "-n", &address.to_string()])
        .output()
        .expect("the system ping is installed (.ci/run installs iputils-ping)")
        .status
        .success()
}

#[test]
fn down_twins_and_unplugged_workstations_do_not_answer_ping() {
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
            salt: String::from("isolated"),
            selector: Selector::all(),
            isolated: true,
        };
        let lab = Lab::start(&inventory, &resolver, &options)
            .await
            .expect("isolated lab");
        let sw1 = lab.twin("sw1").unwrap().device.spec.address;
        let pc1 = lab.twin("pc1").unwrap().device.spec.address;
        let unrelated: IpAddr = "127.200.200.200".parse().unwrap();
        assert!(ping(sw1), "a running switch answers");
        assert!(
            !ping(unrelated),
            "in the isolated network, an unused loopback address does not"
        );
        assert!(!ping(pc1), "pc1's port is not configured for its VLAN yet");

        let options = SshOptions {
            username: String::from("netadmin"),
            credential: Credential::Password(Secret::new(crate::util::SECRETS[0].1)),
            host_keys: HostKeyPolicy {
                known_hosts: fixture.file("known_hosts"),
                accept_new: true,
            },
            connect_timeout: Duration::from_secs(5),
            auth_timeout: Duration::from_secs(5),
            keepalive: None,
            lab_mode: true,
            algorithms: Default::default(),
        };
        let session = SshSession::connect("sw1", lab.twin("sw1").unwrap().ssh.unwrap(), &options)
            .await
            .unwrap();
        let mut shell = session.shell().await.unwrap();
        let prompt = Regex::new(r"(?m)^[\w.-]+(\([\w-]+\))?[>#]\s*$").unwrap();
        let first = shell
            .read_until(&prompt, Duration::from_secs(5))
            .await
            .unwrap();
        let mut lines = vec![];
        if first.trim_end().ends_with('>') {
            lines.push("enable".to_string());
            lines.push(crate::util::SECRETS[1].1.to_string());
        }
        for line in [
            "configure terminal",
            "interface GigabitEthernet1/0/1",
            "switchport mode access",
            "switchport access vlan 10",
            "end",
        ] {
            lines.push(line.to_string());
        }
        let answered = Regex::new(r"(?m)([>#]\s*$|Password:\s*$)").unwrap();
        for line in &lines {
            shell.send(&format!("{line}\n")).await.unwrap();
            shell
                .read_until(&answered, Duration::from_secs(5))
                .await
                .unwrap();
        }
        lab.reconcile().unwrap();
        assert!(
            ping(pc1),
            "pc1 answers once its port is an access port in VLAN 10"
        );
        for line in [
            "configure terminal",
            "interface GigabitEthernet1/0/1",
            "shutdown",
            "end",
        ] {
            shell.send(&format!("{line}\n")).await.unwrap();
            shell
                .read_until(&prompt, Duration::from_secs(5))
                .await
                .unwrap();
        }
        lab.reconcile().unwrap();
        assert!(!ping(pc1), "a shut port cuts pc1 off");
        session.close().await;

        lab.fault(&FaultRequest {
            asset: "sw1".into(),
            fault: "down".into(),
            on: true,
        })
        .unwrap();
        assert!(!ping(sw1), "a device that is down stops answering ping");
        let error = SshSession::connect("sw1", lab.twin("sw1").unwrap().ssh.unwrap(), &options)
            .await
            .err()
            .unwrap();
        assert!(error.to_string().contains("sw1"), "{error}");
        lab.fault(&FaultRequest {
            asset: "sw1".into(),
            fault: "down".into(),
            on: false,
        })
        .unwrap();
        assert!(ping(sw1), "and answers again when it comes back");
        lab.stop().await;
    });
}
