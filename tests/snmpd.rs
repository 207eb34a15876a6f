//! Interop: netparc's SNMP poller (`probe::snmp`) against net-snmp's own agent, `snmpd`,
//! started by hand on a loopback address with a private configuration: SNMPv2c with a
//! community, SNMPv3 authPriv (SHA-256, AES-128) with a user, and this host's real
//! interfaces in IF-MIB. A missing snmpd fails the test with how to install it: `.ci/run`
//! installs the snmpd package without starting its service.

use crate::util::ServerProcess;
use netparc::inventory::{SnmpAuthProtocol, SnmpPrivProtocol};
use netparc::probe::snmp::{SnmpCredentials, SnmpProbe, SnmpSettings};
use netparc::secrets::Secret;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const SNMPD: &str = "/usr/sbin/snmpd";
const COMMUNITY: &str = "interop-Community-7";
const AUTH: &str = "interop-auth-Phrase-7";
const PRIV: &str = "interop-priv-Phrase-7";

/// One snmpd, killed when dropped.
struct Snmpd {
    _process: ServerProcess,
    address: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Snmpd {
    /// Start snmpd on `ip` and wait until it says it runs.
    fn start(ip: &str) -> Snmpd {
        assert!(
            Path::new(SNMPD).exists(),
            "net-snmp's agent is not installed at {SNMPD}: install the snmpd package (as \
             .ci/run does, with its service kept stopped)"
        );
        let dir = tempfile::tempdir().unwrap();
        // A free port on this loopback address; snmpd binds it right after.
        let port = std::net::UdpSocket::bind(format!("{ip}:0"))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = format!(
            "agentAddress udp:{ip}:{port}\n\
             rocommunity {COMMUNITY} default\n\
             createUser netparc SHA-256 \"{AUTH}\" AES \"{PRIV}\"\n\
             rouser netparc priv\n\
             sysName snmpd-interop\n\
             sysContact noc@example.test\n\
             sysLocation rack B2\n"
        );
        let config_path = dir.path().join("snmpd.conf");
        std::fs::write(&config_path, config).unwrap();
        let mut command = Command::new(SNMPD);
        // Foreground, log to stderr, no configuration but this one.
        command.args(["-f", "-Le", "-C", "-c"]).arg(&config_path);
        // Its persistent state (the v3 user's keys) stays in the test's folder; no MIB file
        // is read (the test asks by OID).
        command
            .env("SNMP_PERSISTENT_DIR", dir.path().join("persist"))
            .env("MIBS", "")
            .env("MIBDIRS", dir.path().join("no-mibs"));
        let process = ServerProcess::start(command, |line| line.starts_with("NET-SNMP version"));
        Snmpd {
            _process: process,
            address: format!("{ip}:{port}").parse().unwrap(),
            _dir: dir,
        }
    }
}

fn settings(credentials: SnmpCredentials) -> SnmpSettings {
    SnmpSettings {
        credentials,
        timeout: Duration::from_millis(500),
        retries: 1,
    }
}

fn v3(auth_password: &str) -> SnmpSettings {
    settings(SnmpCredentials::V3 {
        user: String::from("netparc"),
        auth: SnmpAuthProtocol::Sha256,
        auth_password: Secret::new(auth_password),
        privacy: SnmpPrivProtocol::Aes,
        priv_password: Secret::new(PRIV),
    })
}

/// Why polling with `settings` fails (it must).
async fn refusal(probe: &SnmpProbe, address: SocketAddr, settings: &SnmpSettings) -> String {
    match probe.poll(address, settings).await {
        Ok(facts) => panic!("{address} answered: {facts:?}"),
        Err(error) => error.to_string(),
    }
}

#[tokio::test]
async fn v2c_and_v3_polls_read_net_snmps_system_group_and_the_hosts_interfaces() {
    let snmpd = Snmpd::start("127.95.0.1");
    let probe = SnmpProbe::new();
    let v2c = settings(SnmpCredentials::V2c {
        community: Secret::new(COMMUNITY),
    });
    let facts = probe.poll(snmpd.address, &v2c).await.unwrap();
    assert_eq!(facts.system.name, "snmpd-interop");
    assert_eq!(facts.system.contact, "noc@example.test");
    assert_eq!(facts.system.location, "rack B2");
    // net-snmp's own enterprise subtree.
    assert!(
        facts.system.object_id.starts_with("1.3.6.1.4.1.8072."),
        "{:?}",
        facts.system
    );
    let lo = facts
        .interfaces
        .iter()
        .find(|i| i.name == "lo")
        .unwrap_or_else(|| panic!("no `lo` in {:?}", facts.interfaces));
    assert!(lo.is_up(), "{lo:?}");
    // The same agent through SNMPv3 authPriv: the same facts.
    let secured = probe.poll(snmpd.address, &v3(AUTH)).await.unwrap();
    assert_eq!(secured.system.name, facts.system.name);
    assert_eq!(secured.interfaces.len(), facts.interfaces.len());
}

#[tokio::test]
async fn net_snmp_refusals_read_as_what_went_wrong() {
    let snmpd = Snmpd::start("127.95.0.2");
    let probe = SnmpProbe::new();
    // A wrong v3 passphrase: net-snmp reports it (usmStatsWrongDigests).
    let error = refusal(&probe, snmpd.address, &v3("not-the-passphrase-7")).await;
    assert_eq!(
        error,
        format!(
            "SNMP authentication failed at {}: wrong authentication passphrase (or protocol): the agent reports a wrong digest",
            snmpd.address
        )
    );
    // A wrong community: dropped silently, as by every agent.
    let wrong = settings(SnmpCredentials::V2c {
        community: Secret::new("not-the-community"),
    });
    let error = refusal(&probe, snmpd.address, &wrong).await;
    assert_eq!(
        error,
        format!(
            "SNMP timeout: no valid answer from {} within 500 ms (1 retries): the device is down, filtered, or the community is wrong (agents drop a wrong community silently)",
            snmpd.address
        )
    );
}
