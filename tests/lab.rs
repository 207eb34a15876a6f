//! The twin lab of an inventory, end to end through real clients: our SSH transport against
//! the IOS-style and Linux twins, async-snmp and net-snmp's tools against their agents,
//! faults switched through the library and through the control socket.

use crate::util::Fixture;
use async_snmp::{Client, Retry, UsmConfig, Value};
use netparc::check::open_resolver;
use netparc::inventory::{Inventory, Selector};
use netparc::lab::control::FaultRequest;
use netparc::lab::{Lab, LabOptions};
use netparc::secrets::Secret;
use netparc::transport::ssh::{Credential, HostKeyPolicy, SshOptions, SshSession, TransportError};
use regex::Regex;
use std::net::SocketAddr;
use std::time::Duration;

pub(crate) const VPN: &str = "\
name: vpn1
kind: vpn_gateway
platform: linux
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
";

struct Running {
    _fixture: Fixture,
    lab: Lab,
    known_hosts: tempfile::TempDir,
}

async fn start(salt: &str) -> Running {
    let fixture = Fixture::new();
    fixture.write("assets/vpn1.yml", VPN);
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
        _fixture: fixture,
        lab,
        known_hosts: tempfile::tempdir().unwrap(),
    }
}

fn ssh_options(running: &Running) -> SshOptions {
    SshOptions {
        username: String::from("netadmin"),
        credential: Credential::Password(Secret::new(crate::util::SECRETS[0].1)),
        host_keys: HostKeyPolicy {
            known_hosts: running.known_hosts.path().join("known_hosts"),
            accept_new: true,
        },
        connect_timeout: Duration::from_secs(5),
        auth_timeout: Duration::from_secs(5),
        keepalive: None,
        lab_mode: true,
        algorithms: Default::default(),
    }
}

fn ssh_of(running: &Running, asset: &str) -> SocketAddr {
    running
        .lab
        .twin(asset)
        .and_then(|t| t.ssh)
        .expect("twin with SSH")
}

fn snmp_of(running: &Running, asset: &str) -> SocketAddr {
    running
        .lab
        .twin(asset)
        .and_then(|t| t.snmp)
        .expect("twin with SNMP")
}

async fn sys_name(address: SocketAddr) -> Result<String, String> {
    match snmp_value(address, &[1, 3, 6, 1, 2, 1, 1, 5, 0]).await? {
        Value::OctetString(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        other => Err(format!("unexpected {other:?}")),
    }
}

#[tokio::test]
async fn every_asset_gets_a_stable_loopback_twin() {
    let running = start("lab-stable").await;
    let names: Vec<&str> = running
        .lab
        .twins()
        .iter()
        .map(|t| t.device.spec.name.as_str())
        .collect();
    assert_eq!(names.len(), 5, "{names:?}");
    for twin in running.lab.twins() {
        assert!(twin.device.spec.address.is_loopback());
    }
    // end devices have no SSH; network gear has SSH and SNMP
    assert!(running.lab.twin("pc1").unwrap().ssh.is_none());
    assert!(running.lab.twin("sw1").unwrap().ssh.is_some());
    let again = netparc::lab::address::assign("lab-stable", names.iter().map(|n| n.to_string()));
    for twin in running.lab.twins() {
        assert_eq!(
            std::net::IpAddr::V4(again[&twin.device.spec.name]),
            twin.device.spec.address
        );
    }
    running.lab.stop().await;
}

#[tokio::test]
async fn configuring_the_ios_twin_over_ssh_changes_what_snmp_reports() {
    let running = start("lab-ios").await;
    let (session, mut shell) =
        crate::util::privileged_shell("sw1", ssh_of(&running, "sw1"), &ssh_options(&running)).await;
    let any_prompt = Regex::new(r"(?m)^[\w.-]+(\([\w-]+\))?[>#]\s*$").unwrap();
    assert_eq!(sys_name(snmp_of(&running, "sw1")).await.unwrap(), "sw1");
    for line in [
        "terminal length 0",
        "configure terminal",
        "hostname core-hq",
        "interface GigabitEthernet1/0/1",
        "description uplink to desk 1",
        "end",
    ] {
        shell.send(&format!("{line}\n")).await.unwrap();
        shell
            .read_until(&any_prompt, Duration::from_secs(5))
            .await
            .unwrap();
    }
    shell
        .send("show running-config | include hostname\n")
        .await
        .unwrap();
    let shown = shell
        .read_until(
            &Regex::new(r"(?m)^core-hq#\s*$").unwrap(),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert!(shown.contains("hostname core-hq"), "{shown}");
    shell
        .send("show running-config interface GigabitEthernet1/0/1\n")
        .await
        .unwrap();
    let shown = shell
        .read_until(
            &Regex::new(r"(?m)^core-hq#\s*$").unwrap(),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert!(shown.contains(" description uplink to desk 1"), "{shown}");
    assert_eq!(
        sys_name(snmp_of(&running, "sw1")).await.unwrap(),
        "core-hq",
        "SNMP answers from live state"
    );
    shell.send("configure terminal\n").await.unwrap();
    shell
        .read_until(&any_prompt, Duration::from_secs(5))
        .await
        .unwrap();
    shell.send("interfce gi1/0/1\n").await.unwrap();
    let error = shell
        .read_until(&any_prompt, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(
        error.contains("% Invalid input detected at '^' marker."),
        "{error}"
    );
    session.close().await;
    running.lab.stop().await;
}

#[tokio::test]
async fn the_linux_twin_writes_files_atomically_and_reloads_wireguard() {
    let running = start("lab-linux").await;
    let session = SshSession::connect("vpn1", ssh_of(&running, "vpn1"), &ssh_options(&running))
        .await
        .unwrap();
    let peer = "cGVlcnBlZXJwZWVycGVlcnBlZXJwZWVycGVlcnBlZXI=";
    let script = format!(
        "cat > /etc/wireguard/wg0.conf.tmp <<'EOF'\n[Interface]\nListenPort = 51820\nPrivateKey = aW50ZXJmYWNlaW50ZXJmYWNlaW50ZXJmYWNlaW50ZXI=\n\n[Peer]\nPublicKey = {peer}\nAllowedIPs = 10.0.100.41/32\nEOF\nmv /etc/wireguard/wg0.conf.tmp /etc/wireguard/wg0.conf && wg syncconf wg0 /etc/wireguard/wg0.conf"
    );
    let result = session.exec(&script, Duration::from_secs(5)).await.unwrap();
    assert_eq!(
        result.status,
        Some(0),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let shown = session
        .exec("wg show wg0 peers", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&shown.stdout).trim(), peer);
    let missing = session
        .exec("cat /etc/nope", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(missing.status, Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("No such file or directory"));
    running.lab.stop().await;
}

#[tokio::test]
async fn faults_through_the_lab_down_wrong_sysname_and_host_key_change() {
    let running = start("lab-faults").await;
    let fault = |asset: &str, fault: &str, on: bool| FaultRequest {
        asset: asset.into(),
        fault: fault.into(),
        on,
    };
    running
        .lab
        .fault(&fault("sw1", "wrong-sysname=imposter", true))
        .unwrap();
    assert_eq!(
        sys_name(snmp_of(&running, "sw1")).await.unwrap(),
        "imposter"
    );
    running
        .lab
        .fault(&fault("sw1", "wrong-sysname", false))
        .unwrap();
    running.lab.fault(&fault("sw1", "down", true)).unwrap();
    let error = sys_name(snmp_of(&running, "sw1")).await.unwrap_err();
    assert!(
        error.to_lowercase().contains("timeout") || error.to_lowercase().contains("timed out"),
        "{error}"
    );
    let error = SshSession::connect("sw1", ssh_of(&running, "sw1"), &ssh_options(&running))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(
            error,
            TransportError::Refused { .. } | TransportError::Disconnected { .. }
        ),
        "{error}"
    );
    running.lab.fault(&fault("sw1", "down", false)).unwrap();
    let options = ssh_options(&running);
    SshSession::connect("sw1", ssh_of(&running, "sw1"), &options)
        .await
        .unwrap()
        .close()
        .await;
    let message = running
        .lab
        .fault(&fault("sw1", "host-key-changed", true))
        .unwrap();
    assert!(message.contains("now offers host key SHA256:"), "{message}");
    let error = SshSession::connect("sw1", ssh_of(&running, "sw1"), &options)
        .await
        .err()
        .unwrap();
    assert!(
        matches!(error, TransportError::HostKeyChanged { .. }),
        "{error}"
    );
    let unknown = running.lab.fault(&fault("sw1", "dwon", true)).unwrap_err();
    assert!(
        unknown.contains("unknown fault `dwon` (did you mean `down`?)"),
        "{unknown}"
    );
    let unknown = running.lab.fault(&fault("sw9", "down", true)).unwrap_err();
    assert!(
        unknown.contains("no twin named `sw9` (did you mean `sw1`?)"),
        "{unknown}"
    );
    running.lab.stop().await;
}

#[tokio::test]
async fn host_keys_persist_from_run_to_run() {
    let fixture = Fixture::new();
    let inventory = Inventory::load(fixture.path()).inventory.unwrap();
    let resolver = open_resolver(&inventory);
    let options = LabOptions {
        ssh_port: 0,
        snmp_port: 0,
        state_dir: fixture.file("state/lab"),
        salt: String::from("lab-persist"),
        selector: Selector::parse("sw1").unwrap(),
        isolated: false,
    };
    let first = Lab::start(&inventory, &resolver, &options).await.unwrap();
    let fingerprint = first.twin("sw1").unwrap().host_key_fingerprint.clone();
    first.stop().await;
    let second = Lab::start(&inventory, &resolver, &options).await.unwrap();
    assert_eq!(
        second.twin("sw1").unwrap().host_key_fingerprint,
        fingerprint
    );
    assert_eq!(second.twins().len(), 1, "--limit narrows the lab");
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_snmp_tools_read_the_twin() {
    let running = start("lab-netsnmp").await;
    let address = snmp_of(&running, "sw1");
    // A blocking subprocess: run it off the runtime so the agent keeps answering.
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("snmpget")
            .args([
                "-v3",
                "-l",
                "authPriv",
                "-u",
                "netparc",
                "-a",
                "SHA-256",
                "-A",
                crate::util::SECRETS[2].1,
                "-x",
                "AES",
                "-X",
                crate::util::SECRETS[3].1,
                "-On",
                "-Oqv",
                "-t",
                "2",
                "-r",
                "0",
                &format!("udp:{}:{}", address.ip(), address.port()),
                "1.3.6.1.2.1.1.5.0",
            ])
            .output()
    })
    .await
    .unwrap()
    .expect("net-snmp's snmpget is installed (.ci/run installs the `snmp` package)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout)
            .trim()
            .trim_matches('"'),
        "sw1"
    );
    running.lab.stop().await;
}

/// Run OpenSSH's own client against a twin (off the runtime: it blocks).
async fn openssh(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || std::process::Command::new("ssh").args(args).output())
        .await
        .unwrap()
        .expect("OpenSSH's ssh client is installed (.ci/run installs openssh-client)")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssh_client_logs_in_with_the_inventory_key() {
    let fixture = Fixture::new();
    let key =
        russh::keys::PrivateKey::random(&mut rand::rng(), russh::keys::Algorithm::Ed25519).unwrap();
    let text = key
        .to_openssh(russh::keys::ssh_key::LineEnding::LF)
        .unwrap();
    fixture.write_secret("secrets/ssh_key", &text);
    fixture.edit(
        "defaults.yml",
        "  enable: file:secrets/enable\n",
        "  enable: file:secrets/enable\n  ssh_key: file:secrets/ssh_key\n",
    );
    let inventory = Inventory::load(fixture.path()).inventory.unwrap();
    let resolver = open_resolver(&inventory);
    let options = LabOptions {
        ssh_port: 0,
        snmp_port: 0,
        state_dir: fixture.file("state/lab"),
        salt: String::from("lab-openssh"),
        selector: Selector::parse("sw1,vpn*").unwrap(),
        isolated: false,
    };
    let lab = Lab::start(&inventory, &resolver, &options).await.unwrap();
    let address = lab.twin("sw1").unwrap().ssh.unwrap();
    let known_hosts = fixture.file("known_hosts");
    let args = |command: &str| -> Vec<String> {
        vec![
            "-i".into(),
            fixture.file("secrets/ssh_key").display().to_string(),
            "-p".into(),
            address.port().to_string(),
            "-o".into(),
            "BatchMode=yes".into(),
            "-o".into(),
            "IdentitiesOnly=yes".into(),
            "-o".into(),
            format!("UserKnownHostsFile={}", known_hosts.display()),
            "-o".into(),
            "StrictHostKeyChecking=accept-new".into(),
            "-o".into(),
            "ConnectTimeout=5".into(),
            format!("netadmin@{}", address.ip()),
            command.into(),
        ]
    };
    let output = openssh(args("show version")).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("Cisco IOS") && text.contains("uptime is"),
        "{text}"
    );
    // OpenSSH recorded the twin's key; a second run verifies it without prompting
    let output = openssh(args("show inventory")).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("FOC0001"));
    // What an IOS twin offers, as OpenSSH sees it: IOS XE 17.16's key exchanges, no SHA-1.
    let with_kex = |kex: &str| -> Vec<String> {
        let mut args = args("show clock");
        args.splice(0..0, ["-o".to_string(), format!("KexAlgorithms={kex}")]);
        args
    };
    let output = openssh(with_kex("diffie-hellman-group14-sha1")).await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no matching key exchange method found. Their offer: curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group14-sha256,diffie-hellman-group16-sha512"),
        "{stderr}"
    );
    let output = openssh(with_kex("ecdh-sha2-nistp256")).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // With `legacy-ssh`, the twin offers only what IOS 15 does.
    let device = lab.twin("sw1").unwrap().device.clone();
    device.set_faults(|f| f.legacy_ssh = true);
    let output = openssh(with_kex("diffie-hellman-group14-sha1")).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = openssh(args("show clock")).await;
    assert!(
        !output.status.success(),
        "OpenSSH 9 offers no SHA-1 key exchange by default"
    );
    device.set_faults(|f| f.legacy_ssh = false);
    lab.stop().await;
}

/// `netparc lab` as a technician runs it: the mapping printed, a fault switched from another
/// process through the control socket, a clean stop on Ctrl-C (SIGINT).
#[test]
fn the_lab_command_prints_its_twins_and_takes_faults_from_another_process() {
    use std::io::{BufRead, BufReader};
    let fixture = Fixture::new();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_netparc"))
        .args([
            "lab",
            "-i",
            ".",
            "--ssh-port",
            "0",
            "--snmp-port",
            "0",
            "--limit",
            "sw1,ap1",
            "--fault",
            "ap1:auth-failure",
        ])
        .current_dir(fixture.path())
        .env_remove("NETPARC_INVENTORY")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut mapping = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        mapping.push_str(&line);
        mapping.push('\n');
        if line.contains("twins running") {
            break;
        }
    }
    assert!(
        mapping.contains("sw1") && mapping.contains("ap1") && mapping.contains("SHA256:"),
        "{mapping}"
    );
    assert!(
        mapping.contains("10.0.99.11"),
        "the real address is shown beside the twin's: {mapping}"
    );
    let fault = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_netparc"))
            .args(["lab", "-i", ".", "fault"])
            .args(args)
            .current_dir(fixture.path())
            .env_remove("NETPARC_INVENTORY")
            .output()
            .unwrap()
    };
    let out = fault(&["sw1", "down", "on"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "sw1: down on");
    let out = fault(&["sw1", "dwon"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `down`?"));
    // SAFETY: kill(2) on our own child's pid, as Ctrl-C would.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert!(status.success(), "Ctrl-C stops the lab cleanly");
    let out = fault(&["sw1", "down", "off"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no running lab answers"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `netparc exec --lab`: one command on every selected device's twin, in parallel, with a
/// recap; a failing command fails the run.
#[test]
fn exec_runs_a_command_on_the_twins_of_the_selected_devices() {
    let fixture = Fixture::new();
    fixture.write("assets/vpn1.yml", VPN);
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_netparc"))
            .arg("exec")
            .args(args)
            .current_dir(fixture.path())
            .env_remove("NETPARC_INVENTORY")
            .output()
            .unwrap()
    };
    let out = run(&["-i", ".", "--lab", "--limit", "kind:switch", "show version"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("=== sw1 (ok)") && text.contains("Cisco IOS"),
        "{text}"
    );
    assert!(text.contains("1 ok, 0 failed or unreachable"), "{text}");
    let out = run(&[
        "-i",
        ".",
        "--lab",
        "--limit",
        "vpn1",
        "--format",
        "json",
        "cat /etc/nope",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[0]["asset"], "vpn1");
    assert_eq!(json[0]["status"], 1);
    assert!(
        json[0]["stderr"]
            .as_str()
            .unwrap()
            .contains("No such file or directory")
    );
    let out = run(&[
        "-i",
        ".",
        "--lab",
        "--limit",
        "kind:printer",
        "show version",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("selects no device netparc can log into")
    );
}

async fn snmp_value(address: SocketAddr, arcs: &[u32]) -> Result<Value, String> {
    let usm = UsmConfig::new("netparc")
        .auth_priv(
            netparc::lab::snmp::auth_protocol(netparc::inventory::SnmpAuthProtocol::Sha256),
            crate::util::SECRETS[2].1,
            netparc::lab::snmp::priv_protocol(netparc::inventory::SnmpPrivProtocol::Aes),
            crate::util::SECRETS[3].1,
        )
        .map_err(|e| e.to_string())?;
    let client = Client::builder(address, usm)
        .request_timeout(Duration::from_millis(300))
        .retry(Retry::none())
        .connect()
        .await
        .map_err(|e| e.to_string())?;
    let response = client
        .get(&async_snmp::Oid::from_slice(arcs))
        .await
        .map_err(|e| e.to_string())?;
    response
        .single()
        .map(|vb| vb.value.clone())
        .ok_or_else(|| String::from("no varbind"))
}

#[tokio::test]
async fn faults_drop_config_interface_down_snmp_timeout_and_reboot() {
    let running = start("lab-faults-2").await;
    let fault = |asset: &str, fault: &str, on: bool| FaultRequest {
        asset: asset.into(),
        fault: fault.into(),
        on,
    };
    let snmp = snmp_of(&running, "sw1");
    // ifOperStatus of the first port (ifIndex 1): up, then down under the fault
    let oper = [1, 3, 6, 1, 2, 1, 2, 2, 1, 8, 1];
    assert_eq!(snmp_value(snmp, &oper).await.unwrap(), Value::Integer(1));
    running
        .lab
        .fault(&fault("sw1", "interface-down=GigabitEthernet1/0/1", true))
        .unwrap();
    assert_eq!(snmp_value(snmp, &oper).await.unwrap(), Value::Integer(2));
    running
        .lab
        .fault(&fault("sw1", "interface-down=GigabitEthernet1/0/1", false))
        .unwrap();
    // SNMP stops answering while SSH still works
    running
        .lab
        .fault(&fault("sw1", "snmp-timeout", true))
        .unwrap();
    assert!(snmp_value(snmp, &oper).await.is_err());
    running
        .lab
        .fault(&fault("sw1", "snmp-timeout", false))
        .unwrap();
    // the connection drops after the second configuration line: the first two are applied
    running
        .lab
        .fault(&fault("sw1", "drop-config=2", true))
        .unwrap();
    let (_session, mut shell) =
        crate::util::privileged_shell("sw1", ssh_of(&running, "sw1"), &ssh_options(&running)).await;
    let any_prompt = Regex::new(r"(?m)^[\w.-]+(\([\w-]+\))?[>#]\s*$").unwrap();
    shell.send("configure terminal\n").await.unwrap();
    shell
        .read_until(&any_prompt, Duration::from_secs(5))
        .await
        .unwrap();
    shell.send("hostname half-done\n").await.unwrap();
    shell
        .read_until(&any_prompt, Duration::from_secs(5))
        .await
        .unwrap();
    shell.send("vlan 77\n").await.unwrap();
    let error = shell
        .read_until(&any_prompt, Duration::from_secs(5))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(error, TransportError::Disconnected { .. }),
        "{error}"
    );
    assert_eq!(
        sys_name(snmp).await.unwrap(),
        "half-done",
        "lines before the drop are applied"
    );
    // a reboot loses what was not saved and resets the uptime
    let uptime = [1, 3, 6, 1, 2, 1, 1, 3, 0];
    running.lab.fault(&fault("sw1", "reboot", true)).unwrap();
    assert_eq!(
        sys_name(snmp).await.unwrap(),
        "sw1",
        "the unsaved hostname is gone"
    );
    match snmp_value(snmp, &uptime).await.unwrap() {
        Value::TimeTicks(ticks) => assert!(ticks < 500, "uptime restarted: {ticks}"),
        other => panic!("{other:?}"),
    }
    running.lab.stop().await;
}
