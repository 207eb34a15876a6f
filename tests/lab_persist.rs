//! Twins remember what was saved on them from one lab run to the next, as devices keep it
//! through a power cut: an IOS twin its startup configuration (not its unsaved running
//! changes), a Linux twin its files under /etc (and boots from them). A saved file that
//! cannot be used leaves the twin at factory with a warning, never a failed start; and
//! `netparc lab reset` forgets it all. Every test runs on its own temporary inventory, so
//! nothing saved leaks from one test to another.

use crate::util::Fixture;
use netparc::check::open_resolver;
use netparc::inventory::{Inventory, Selector};
use netparc::lab::ios::IosState;
use netparc::lab::linux::LinuxState;
use netparc::lab::{Lab, LabOptions};
use netparc::secrets::Secret;
use netparc::transport::ssh::{Credential, HostKeyPolicy, Shell, SshOptions, SshSession};
use regex::Regex;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

/// An inventory with a switch (sw1), an access point, a VPN gateway (vpn1) and end devices;
/// its lab can be started, stopped and started again on the same state folder.
struct Bed {
    fixture: Fixture,
    salt: String,
}

impl Bed {
    fn new(salt: &str) -> Bed {
        let fixture = Fixture::new();
        fixture.write("assets/vpn1.yml", crate::lab::VPN);
        Bed {
            fixture,
            salt: salt.to_string(),
        }
    }

    /// Start the lab of sw1 and vpn1, always with the same state folder and addresses.
    async fn start(&self) -> Lab {
        let inventory = Inventory::load(self.fixture.path())
            .inventory
            .expect("fixture loads");
        let resolver = open_resolver(&inventory);
        let options = LabOptions {
            ssh_port: 0,
            snmp_port: 0,
            state_dir: self.fixture.file("state/lab"),
            salt: self.salt.clone(),
            selector: Selector::parse("sw1,vpn1").unwrap(),
            isolated: false,
        };
        Lab::start(&inventory, &resolver, &options)
            .await
            .expect("the lab starts")
    }

    fn saved_file(&self, name: &str) -> std::path::PathBuf {
        self.fixture.file(&format!("state/lab/devices/{name}"))
    }

    fn ssh(&self) -> SshOptions {
        SshOptions {
            username: String::from("netadmin"),
            credential: Credential::Password(Secret::new(crate::util::SECRETS[0].1)),
            host_keys: HostKeyPolicy {
                known_hosts: self.fixture.file("state/lab/known_hosts"),
                accept_new: true,
            },
            connect_timeout: Duration::from_secs(5),
            auth_timeout: Duration::from_secs(5),
            keepalive: None,
            lab_mode: true,
            algorithms: Default::default(),
        }
    }

    /// Type lines at sw1's privileged prompt, each answered before the next.
    async fn ios(&self, lab: &Lab, lines: &[&str]) -> String {
        let address = lab.twin("sw1").and_then(|t| t.ssh).expect("sw1 has SSH");
        let (session, mut shell) = crate::util::privileged_shell("sw1", address, &self.ssh()).await;
        let output = type_lines(&mut shell, lines).await;
        session.close().await;
        output
    }

    /// Run a command line on vpn1; fails the test unless it exits 0.
    async fn linux(&self, lab: &Lab, command: &str) -> String {
        let address = lab.twin("vpn1").and_then(|t| t.ssh).expect("vpn1 has SSH");
        let session = SshSession::connect("vpn1", address, &self.ssh())
            .await
            .unwrap();
        let result = session.exec(command, Duration::from_secs(5)).await.unwrap();
        session.close().await;
        assert_eq!(
            result.status,
            Some(0),
            "{command}: {}",
            String::from_utf8_lossy(&result.stderr)
        );
        String::from_utf8_lossy(&result.stdout).into_owned()
    }
}

async fn type_lines(shell: &mut Shell, lines: &[&str]) -> String {
    let any_prompt = Regex::new(r"(?m)^[\w.-]+(\([\w-]+\))?[>#]\s*$").unwrap();
    let mut output = String::new();
    for line in lines {
        shell.send(&format!("{line}\n")).await.unwrap();
        let answer = shell
            .read_until(&any_prompt, Duration::from_secs(5))
            .await
            .unwrap();
        output.push_str(&answer);
    }
    output
}

fn ios_running(lab: &Lab) -> (String, bool) {
    let state = lab.twin("sw1").unwrap().device.state();
    let ios = state
        .platform
        .as_any()
        .downcast_ref::<IosState>()
        .expect("sw1 is an IOS twin");
    (ios.running_config(), ios.is_saved())
}

fn ios_factory(lab: &Lab) -> String {
    netparc::lab::ios::new_state(&lab.twin("sw1").unwrap().device.spec).running_config()
}

fn mode_of(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[tokio::test]
async fn an_ios_configuration_saved_with_write_memory_survives_a_lab_restart() {
    let bed = Bed::new("persist-ios-saved");
    let lab = bed.start().await;
    let saved = bed.saved_file("sw1.ios.cfg");
    assert!(!saved.exists(), "a factory twin writes nothing");
    let answer = bed
        .ios(
            &lab,
            &[
                "configure terminal",
                "hostname core-hq",
                "interface GigabitEthernet1/0/1",
                "description uplink to desk 1",
                "end",
                "write memory",
            ],
        )
        .await;
    assert!(answer.contains("[OK]"), "{answer}");
    // On disk as soon as the prompt came back, before any stop: a killed lab loses nothing.
    let text = std::fs::read_to_string(&saved).expect("saved right after write memory");
    assert!(text.contains(" description uplink to desk 1"), "{text}");
    assert_eq!(mode_of(&saved), 0o600, "it holds hashed secrets");
    assert_eq!(mode_of(saved.parent().unwrap()), 0o700);
    lab.stop().await;

    let lab = bed.start().await;
    assert!(lab.warnings().is_empty(), "{}", lab.warnings());
    assert!(lab.twin("sw1").unwrap().from_saved);
    assert!(
        !lab.twin("vpn1").unwrap().from_saved,
        "nothing saved on vpn1"
    );
    let shown = bed
        .ios(
            &lab,
            &[
                "terminal length 0",
                "show running-config interface GigabitEthernet1/0/1",
            ],
        )
        .await;
    assert!(shown.contains(" description uplink to desk 1"), "{shown}");
    assert!(shown.contains("core-hq#"), "the saved hostname: {shown}");
    let (running, saved_now) = ios_running(&lab);
    assert!(running.contains("hostname core-hq"), "{running}");
    assert!(saved_now, "booted from its startup configuration");
    lab.stop().await;
}

#[tokio::test]
async fn unsaved_ios_changes_are_gone_after_a_lab_restart() {
    let bed = Bed::new("persist-ios-unsaved");
    let lab = bed.start().await;
    bed.ios(
        &lab,
        &[
            "configure terminal",
            "interface GigabitEthernet1/0/1",
            "description saved port",
            "end",
            "write memory",
            "configure terminal",
            "interface GigabitEthernet1/0/2",
            "description never saved",
            "end",
        ],
    )
    .await;
    let (running, saved) = ios_running(&lab);
    assert!(running.contains("never saved") && !saved, "{running}");
    lab.stop().await;

    let lab = bed.start().await;
    let (running, saved) = ios_running(&lab);
    assert!(running.contains(" description saved port"), "{running}");
    assert!(
        !running.contains("never saved"),
        "lost, as after a power cut: {running}"
    );
    assert!(saved);
    lab.stop().await;
}

#[tokio::test]
async fn a_linux_twin_keeps_its_etc_files_and_boots_from_them() {
    let bed = Bed::new("persist-linux");
    let lab = bed.start().await;
    let peer = "cGVlcnBlZXJwZWVycGVlcnBlZXJwZWVycGVlcnBlZXI=";
    bed.linux(
        &lab,
        &format!(
            "umask 077\ncat > /etc/wireguard/wg0.conf <<'EOF'\n[Interface]\nAddress = 10.0.100.1/24\nListenPort = 51820\nPrivateKey = aW50ZXJmYWNlaW50ZXJmYWNlaW50ZXJmYWNlaW50ZXI=\n\n[Peer]\nPublicKey = {peer}\nAllowedIPs = 10.0.100.41/32\nEOF\nsystemctl reload wg-quick@wg0"
        ),
    )
    .await;
    bed.linux(
        &lab,
        "printf 'net.core.rmem_max = 4194304\\n' > /etc/sysctl.d/90-buffers.conf && chmod 0640 /etc/sysctl.d/90-buffers.conf",
    )
    .await;
    assert!(
        bed.saved_file("vpn1.linux.json").exists(),
        "saved as soon as a file under /etc changed"
    );
    // Runtime state alone is not saved: a file under /tmp is lost.
    bed.linux(&lab, "echo scratch > /tmp/scratch").await;
    lab.stop().await;
    assert_eq!(mode_of(&bed.saved_file("vpn1.linux.json")), 0o600);

    let lab = bed.start().await;
    assert!(lab.warnings().is_empty(), "{}", lab.warnings());
    {
        let state = lab.twin("vpn1").unwrap().device.state();
        let linux = state
            .platform
            .as_any()
            .downcast_ref::<LinuxState>()
            .expect("vpn1 is a Linux twin");
        let conf = String::from_utf8_lossy(linux.file("/etc/wireguard/wg0.conf").unwrap());
        assert!(conf.contains(peer), "{conf}");
        assert_eq!(linux.file_mode("/etc/wireguard/wg0.conf"), Some(0o600));
        assert_eq!(
            linux.file_mode("/etc/sysctl.d/90-buffers.conf"),
            Some(0o640)
        );
        assert!(linux.file("/tmp/scratch").is_none());
        assert!(linux.service_active("wg-quick@wg0"));
        let loaded: Vec<String> = linux
            .loaded_peers("wg0")
            .iter()
            .map(|p| p.public_key.clone())
            .collect();
        assert_eq!(loaded, [peer], "wg0 came up from its file at boot");
    }
    let shown = bed.linux(&lab, "wg show wg0 peers").await;
    assert_eq!(shown.trim(), peer);
    let applied = bed.linux(&lab, "sysctl -n net.core.rmem_max").await;
    assert_eq!(applied.trim(), "4194304", "sysctl.d applied at boot");
    lab.stop().await;
}

#[tokio::test]
async fn a_corrupt_or_foreign_saved_file_leaves_the_twin_at_factory_and_the_lab_starts() {
    let bed = Bed::new("persist-corrupt");
    std::fs::create_dir_all(bed.saved_file("")).unwrap();
    // Cut short (no final `end`), and a JSON file where a configuration is expected.
    std::fs::write(
        bed.saved_file("sw1.ios.cfg"),
        "!\nversion 17.9\nhostname broken\ninterface Gi",
    )
    .unwrap();
    std::fs::write(
        bed.saved_file("vpn1.linux.json"),
        "{\"platform\": \"linux\", ",
    )
    .unwrap();
    // Left by vpn1 when it was an IOS device: belongs to another platform.
    std::fs::write(bed.saved_file("vpn1.ios.cfg"), "!\nhostname vpn1\n!\nend\n").unwrap();
    let lab = bed.start().await;
    let (running, _) = ios_running(&lab);
    assert_eq!(running, ios_factory(&lab), "sw1 starts from factory");
    assert!(!lab.twin("sw1").unwrap().from_saved);
    {
        let state = lab.twin("vpn1").unwrap().device.state();
        let linux = state
            .platform
            .as_any()
            .downcast_ref::<LinuxState>()
            .unwrap();
        assert!(
            linux.service_active("wg-quick@wg0"),
            "vpn1 boots as from factory"
        );
    }
    let warnings = lab.warnings().to_string();
    assert_eq!(lab.warnings().iter().count(), 3, "{warnings}");
    assert!(
        warnings.contains("`sw1` starts from factory")
            && warnings.contains("does not end with `end`"),
        "{warnings}"
    );
    assert!(warnings.contains("vpn1.linux.json"), "{warnings}");
    assert!(
        warnings.contains("saved by an IOS twin, but `vpn1` is now a Linux twin"),
        "{warnings}"
    );
    // The next save replaces the corrupt file.
    bed.ios(&lab, &["write memory"]).await;
    let text = std::fs::read_to_string(bed.saved_file("sw1.ios.cfg")).unwrap();
    assert!(text.trim_end().ends_with("end"), "{text}");
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netparc_lab_reset_forgets_what_the_twins_saved() {
    let bed = Bed::new("persist-reset");
    let lab = bed.start().await;
    let fingerprint = lab.twin("sw1").unwrap().host_key_fingerprint.clone();
    bed.ios(
        &lab,
        &[
            "configure terminal",
            "hostname core-hq",
            "end",
            "write memory",
        ],
    )
    .await;
    bed.linux(&lab, "echo 'welcome' > /etc/motd").await;
    lab.stop().await;
    assert!(bed.saved_file("sw1.ios.cfg").exists());
    assert!(bed.saved_file("vpn1.linux.json").exists());

    // `netparc lab` says which twins are not factory, and how to get factory back.
    {
        use std::io::{BufRead, BufReader};
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_netparc"))
            .args(["lab", "-i", ".", "--ssh-port", "0", "--snmp-port", "0"])
            .args(["--limit", "sw1,vpn1"])
            .current_dir(bed.fixture.path())
            .env_remove("NETPARC_INVENTORY")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut shown = String::new();
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let line = line.unwrap();
            shown.push_str(&line);
            shown.push('\n');
            if line.contains("twins running") {
                break;
            }
        }
        // SAFETY: kill(2) on our own child's pid, as Ctrl-C would.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        assert!(child.wait().unwrap().success());
        assert!(
            shown.contains(
                "2 twins booted from what was saved on them earlier (factory again: netparc lab -i . reset)"
            ),
            "{shown}"
        );
    }

    let run = |args: &[&str]| {
        let output = bed.fixture.run(args);
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, _, stderr) = run(&["lab", "-i", ".", "reset", "sw2"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("no asset `sw2` in the inventory (did you mean `sw1`?)"),
        "{stderr}"
    );
    assert!(bed.saved_file("sw1.ios.cfg").exists(), "nothing removed");

    let (code, stdout, stderr) = run(&["lab", "-i", ".", "reset", "sw1"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout,
        "sw1: saved state removed (state/lab/devices/sw1.ios.cfg)\n1 twin back to factory at the next lab start\n"
    );
    assert!(!bed.saved_file("sw1.ios.cfg").exists());
    assert!(bed.saved_file("vpn1.linux.json").exists(), "only sw1");

    let (code, stdout, stderr) = run(&["lab", "-i", ".", "reset"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout,
        "vpn1: saved state removed (state/lab/devices/vpn1.linux.json)\n1 twin back to factory at the next lab start\n"
    );
    let (code, stdout, _) = run(&["lab", "-i", ".", "reset"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        stdout,
        "no twin has saved state: every twin starts from factory\n"
    );

    let lab = bed.start().await;
    let (running, _) = ios_running(&lab);
    assert_eq!(running, ios_factory(&lab), "sw1 is factory again");
    {
        let state = lab.twin("vpn1").unwrap().device.state();
        let linux = state
            .platform
            .as_any()
            .downcast_ref::<LinuxState>()
            .unwrap();
        assert!(linux.file("/etc/motd").is_none(), "vpn1 is factory again");
    }
    assert_eq!(
        lab.twin("sw1").unwrap().host_key_fingerprint,
        fingerprint,
        "host keys stay: known_hosts remains valid"
    );
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lab_restart_is_not_a_reboot_but_a_reboot_fault_is() {
    let bed = Bed::new("persist-uptime");
    let lab = bed.start().await;
    let before = lab.twin("sw1").unwrap().device.uptime_ticks();
    lab.stop().await;
    let lab = bed.start().await;
    let device = lab.twin("sw1").unwrap().device.clone();
    // The boot time was kept: uptime went on, never back.
    assert!(
        device.uptime_ticks() >= before,
        "uptime went back after a lab restart"
    );
    assert_eq!(device.state().boots, 1);
    lab.fault(&netparc::lab::control::FaultRequest {
        asset: String::from("sw1"),
        fault: String::from("reboot"),
        on: true,
    })
    .unwrap();
    lab.stop().await;
    let lab = bed.start().await;
    let device = lab.twin("sw1").unwrap().device.clone();
    assert_eq!(
        device.state().boots,
        2,
        "the reboot is remembered (SNMPv3 engine boots)"
    );
    lab.stop().await;
    // A reset twin is a factory twin that just booted.
    netparc::lab::persist::SavedStates::new(&bed.fixture.file("state/lab"))
        .reset(None)
        .unwrap();
    let lab = bed.start().await;
    assert_eq!(lab.twin("sw1").unwrap().device.state().boots, 1);
    lab.stop().await;
}
