//! The drivers against the twin lab on loopback, through `driver::connect` and nothing but
//! our own transport: the IOS driver (running config, apply, a refused line, save, restore,
//! slow and dropping devices, wrong credentials, host keys) and the Linux driver (WireGuard
//! file with one more peer, peers kept across reload, failing reload, hostile content),
//! with transcripts checked for secrets.

use crate::util::{Fixture, SECRETS};
use netparc::check::open_resolver;
use netparc::driver::{self, Driver, DriverError, DriverOptions, Mode, Timeouts};
use netparc::inventory::{Inventory, Selector};
use netparc::lab::control::FaultRequest;
use netparc::lab::linux::LinuxState;
use netparc::lab::{Lab, LabOptions};
use netparc::secrets::Secret;
use netparc::transport::ssh::{Credential, HostKeyPolicy, SshOptions, TransportError};
use netparc::transport::transcript::Transcript;
use std::net::SocketAddr;
use std::time::Duration;

const VPN: &str = "\
name: vpn1
kind: vpn_gateway
platform: linux
site: hq
address: 10.0.99.30
vlan: management
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
        known_hosts: tempfile::tempdir().expect("tempdir"),
    }
}

impl Running {
    fn ssh(&self, password: &str, accept_new: bool) -> SshOptions {
        SshOptions {
            username: String::from("netadmin"),
            credential: Credential::Password(Secret::new(password)),
            host_keys: HostKeyPolicy {
                known_hosts: self.known_hosts.path().join("known_hosts"),
                accept_new,
            },
            connect_timeout: Duration::from_secs(5),
            auth_timeout: Duration::from_secs(5),
            keepalive: None,
            lab_mode: true,
            algorithms: Default::default(),
        }
    }

    fn address(&self, asset: &str) -> SocketAddr {
        self.lab
            .twin(asset)
            .and_then(|t| t.ssh)
            .expect("twin with SSH")
    }

    fn fault(&self, asset: &str, fault: &str, on: bool) {
        self.lab
            .fault(&FaultRequest {
                asset: asset.into(),
                fault: fault.into(),
                on,
            })
            .expect("fault applies");
    }

    async fn ios(&self, options: DriverOptions) -> Box<dyn Driver> {
        driver::connect(
            "ios",
            "sw1",
            self.address("sw1"),
            &self.ssh(SECRETS[0].1, true),
            options,
        )
        .await
        .expect("ios driver connects")
    }

    async fn linux(&self, options: DriverOptions) -> Box<dyn Driver> {
        driver::connect(
            "linux",
            "vpn1",
            self.address("vpn1"),
            &self.ssh(SECRETS[0].1, true),
            options,
        )
        .await
        .expect("linux driver connects")
    }

    fn with_linux<T>(&self, read: impl FnOnce(&LinuxState) -> T) -> T {
        let twin = self.lab.twin("vpn1").expect("vpn1 twin");
        let state = twin.device.state();
        let linux = state
            .platform
            .as_any()
            .downcast_ref::<LinuxState>()
            .expect("a Linux twin");
        read(linux)
    }
}

fn enable() -> DriverOptions {
    DriverOptions {
        enable: Some(Secret::new(SECRETS[1].1)),
        ..Default::default()
    }
}

/// The startup configuration as `show startup-config` prints it, cleaned as the driver
/// cleans a running configuration (comparable with `running_config`).
async fn startup_config(ios: &mut dyn Driver) -> String {
    let startup = ios.command("show startup-config").await.unwrap().text;
    let startup: String = startup
        .lines()
        .filter(|l| !l.starts_with("Using "))
        .map(|l| format!("{l}\n"))
        .collect();
    netparc::driver::ios::clean_running_config(&startup)
}

fn lines(text: &[&str]) -> Vec<String> {
    text.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn ios_saves_with_copy_where_write_memory_is_unknown() {
    let running = start("drv-ios-copy").await;
    running.fault("sw1", "no-write-memory", true);
    let mut ios = running.ios(enable()).await;
    // The twin refuses `write memory` as IOS refuses a word it does not know.
    let refused = ios
        .command("write memory")
        .await
        .expect_err("refused")
        .to_string();
    assert!(
        refused.contains("write memory") && refused.contains("% Invalid input detected"),
        "{refused}"
    );
    let backup = ios.running_config().await.unwrap();
    let intended = format!("{backup}vlan 51\n name saved-by-copy\n");
    let plan = ios.plan(&intended, &backup, Mode::Merge).unwrap();
    ios.apply(&plan).await.unwrap();
    let changed = ios.running_config().await.unwrap();
    // Saving falls back to `copy running-config startup-config`, answering its question.
    ios.save().await.unwrap();
    assert_eq!(
        startup_config(ios.as_mut()).await,
        changed,
        "show startup-config after the copy"
    );
    ios.close().await;
}

#[tokio::test]
async fn ios_reads_applies_saves_and_restores_the_exact_backup() {
    let running = start("drv-ios").await;
    let mut ios = running.ios(enable()).await;
    let backup = ios.running_config().await.unwrap();
    assert!(
        !backup.contains("Building configuration") && !backup.contains("Current configuration"),
        "{backup}"
    );
    assert!(!backup.starts_with('\n'), "{backup}");
    assert!(backup.contains("hostname sw1\n"), "{backup}");
    // a change through plan + apply: a new hostname (the prompt changes mid-push), one more
    // VLAN and a port description
    let port = backup
        .lines()
        .find(|l| l.starts_with("interface GigabitEthernet"))
        .expect("a port")
        .to_string();
    let intended = format!(
        "{}vlan 50\n name driver-test\n{port}\n description set by the driver\n",
        backup.replace("hostname sw1\n", "hostname sw1-renamed\n")
    );
    let plan = ios.plan(&intended, &backup, Mode::Merge).unwrap();
    assert!(
        plan.commands
            .contains(&String::from(" description set by the driver")),
        "{:?}",
        plan.commands
    );
    assert!(plan.diff.contains("+vlan 50"), "{}", plan.diff);
    ios.apply(&plan).await.unwrap();
    let changed = ios.running_config().await.unwrap();
    assert!(
        changed.contains(&format!("{port}\n description set by the driver\n")),
        "{changed}"
    );
    assert!(
        changed.contains("vlan 50\n name driver-test\n"),
        "{changed}"
    );
    assert!(changed.contains("hostname sw1-renamed\n"), "{changed}");
    assert!(
        ios.plan(&intended, &changed, Mode::Merge)
            .unwrap()
            .is_empty(),
        "in sync after the push"
    );
    // save: startup equals running
    ios.save().await.unwrap();
    assert_eq!(
        startup_config(ios.as_mut()).await,
        changed,
        "show startup-config after save"
    );
    // restore the backup: the exact running configuration comes back, and is saved
    ios.restore(&backup).await.unwrap();
    assert_eq!(ios.running_config().await.unwrap(), backup);
    ios.close().await;
    running.lab.stop().await;
}

#[tokio::test]
async fn ios_rejected_line_is_named_and_the_session_is_back_at_the_privileged_prompt() {
    let running = start("drv-reject").await;
    let transcript = Transcript::new();
    let mut options = enable();
    options.transcript = Some(transcript.clone());
    let mut ios = running.ios(options).await;
    let error = ios
        .configure(&lines(&[
            "interface GigabitEthernet1/0/2",
            " description before the bad line",
            " switchport mode banana",
            " description never sent",
        ]))
        .await
        .unwrap_err();
    match &error {
        DriverError::Rejected {
            asset,
            line,
            message,
        } => {
            assert_eq!(asset, "sw1");
            assert_eq!(line, "switchport mode banana");
            assert!(message.contains("% Invalid input"), "{message}");
        }
        other => panic!("expected Rejected, got {other}"),
    }
    assert!(!error.connection_lost());
    assert!(error.to_string().contains("switchport mode banana"));
    // back at `#`: an EXEC command works (in configuration mode it would be refused)
    let shown = ios
        .command("show running-config | include hostname")
        .await
        .unwrap();
    assert_eq!(shown.text.trim(), "hostname sw1");
    let text = transcript.render();
    assert!(text.contains("sw1(config-if)#"), "{text}");
    assert!(
        !text.contains("description never sent"),
        "lines after the refusal are not sent"
    );
    // a refusal outside configuration mode is named too
    let error = ios.command("show banana").await.unwrap_err();
    assert!(matches!(error, DriverError::Rejected { ref line, .. } if line == "show banana"));
    // a control character would act on the terminal: refused before anything is typed
    let error = ios.command("show clock\u{1a}").await.unwrap_err();
    assert!(error.to_string().contains("control character"), "{error}");
    // a multi-line string is its lines, one prompt awaited for each
    ios.configure(&lines(&["vlan 81\n name from-one-string"]))
        .await
        .unwrap();
    let vlan = ios
        .command("show running-config | section vlan 81")
        .await
        .unwrap();
    assert!(vlan.text.contains("name from-one-string"), "{}", vlan.text);
    ios.close().await;
    running.lab.stop().await;
}

#[tokio::test]
async fn ios_transcript_never_holds_the_enable_secret_or_a_registered_secret() {
    let running = start("drv-transcript").await;
    let transcript = Transcript::new();
    let user_secret = "Zq7!pLm2#Rv9$Tx4@Nc8";
    let mut options = enable();
    options.transcript = Some(transcript.clone());
    options.secrets = vec![Secret::new(user_secret)];
    let mut ios = running.ios(options).await;
    let intended_line = format!("username operator privilege 1 secret {user_secret}");
    let running_config = ios.running_config().await.unwrap();
    let plan = ios
        .plan(
            &format!("{running_config}{intended_line}\n"),
            &running_config,
            Mode::Merge,
        )
        .unwrap();
    assert!(!plan.diff.contains(user_secret), "{}", plan.diff);
    assert!(plan.diff.contains("secret <redacted>"), "{}", plan.diff);
    ios.apply(&plan).await.unwrap();
    ios.close().await;
    let text = transcript.render();
    assert!(
        text.contains(">>\n  enable\n"),
        "the enable step is recorded: {text}"
    );
    for secret in [SECRETS[0].1, SECRETS[1].1, user_secret] {
        assert!(
            !text.contains(secret),
            "a secret leaked into the transcript"
        );
    }
    assert!(text.contains("username operator privilege 1 secret <redacted>"));
    // timestamped entries, written privately
    assert!(text.starts_with("20"), "{text}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sw1.transcript");
    transcript.write_to(&path).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    running.lab.stop().await;
}

#[tokio::test]
async fn ios_slow_device_passes_with_a_long_line_timeout_and_times_out_with_a_short_one() {
    let running = start("drv-slow").await;
    let mut patient = running.ios(enable()).await;
    let mut hasty = running
        .ios(DriverOptions {
            timeouts: Timeouts {
                command: Duration::from_secs(1),
                read: Duration::from_secs(1),
            },
            ..enable()
        })
        .await;
    running.fault("sw1", "slow-cli=2000", true);
    // configure terminal, one line, end: 3 lines at 2 s each, each well within 10 s
    patient
        .configure(&lines(&["vlan 61"]))
        .await
        .expect("a slow device within the line timeout");
    let error = hasty.configure(&lines(&["vlan 62"])).await.unwrap_err();
    assert!(
        matches!(
            error,
            DriverError::Transport(TransportError::Timeout { .. })
        ),
        "{error}"
    );
    assert!(error.connection_lost());
    running.fault("sw1", "slow-cli", false);
    running.lab.stop().await;
}

#[tokio::test]
async fn ios_dropped_connection_mid_configuration_is_connection_lost() {
    let running = start("drv-drop").await;
    let mut ios = running.ios(enable()).await;
    running.fault("sw1", "drop-config=2", true);
    let error = ios
        .configure(&lines(&[
            "vlan 71",
            " name first",
            "vlan 72",
            " name second",
        ]))
        .await
        .unwrap_err();
    assert!(error.connection_lost(), "{error}");
    running.lab.stop().await;
}

#[tokio::test]
async fn ios_login_failures_unknown_platform_and_host_keys() {
    let running = start("drv-login").await;
    let address = running.address("sw1");
    // host keys through the driver: on first contact an unknown key is refused without
    // accept-new (later, once recorded, a changed key is refused even with it)
    let strict = running.ssh(SECRETS[0].1, false);
    let error = driver::connect("ios", "sw1", address, &strict, enable())
        .await
        .err()
        .unwrap();
    assert!(
        matches!(
            error,
            DriverError::Transport(TransportError::HostKeyUnknown { .. })
        ),
        "{error}"
    );
    // wrong password
    let error = driver::connect(
        "ios",
        "sw1",
        address,
        &running.ssh("wrong-Passw0rd", true),
        enable(),
    )
    .await
    .err()
    .unwrap();
    assert!(
        matches!(
            error,
            DriverError::Transport(TransportError::AuthFailed { .. })
        ),
        "{error}"
    );
    // wrong enable secret: refused, never shown
    let error = driver::connect(
        "ios",
        "sw1",
        address,
        &running.ssh(SECRETS[0].1, true),
        DriverOptions {
            enable: Some(Secret::new("not-the-enable-secret")),
            ..Default::default()
        },
    )
    .await
    .err()
    .unwrap();
    assert!(
        error
            .to_string()
            .ends_with("`enable` refused the given secret: check credentials.enable"),
        "{error}"
    );
    assert!(!error.to_string().contains("not-the-enable-secret"));
    // a platform without a driver fails before any connection
    let error = driver::connect(
        "iso",
        "sw1",
        address,
        &running.ssh(SECRETS[0].1, true),
        enable(),
    )
    .await
    .err()
    .unwrap();
    assert!(
        error.to_string().contains("known platforms: ios, linux"),
        "{error}"
    );
    // recorded by accept-new, then a changed key is refused even with it, both shown
    driver::connect(
        "ios",
        "sw1",
        address,
        &running.ssh(SECRETS[0].1, true),
        enable(),
    )
    .await
    .unwrap()
    .close()
    .await;
    let old = running
        .lab
        .twin("sw1")
        .and_then(|t| t.host_key_fingerprint.clone())
        .unwrap();
    running.fault("sw1", "host-key-changed", true);
    let error = driver::connect(
        "ios",
        "sw1",
        address,
        &running.ssh(SECRETS[0].1, true),
        enable(),
    )
    .await
    .err()
    .unwrap();
    match &error {
        DriverError::Transport(TransportError::HostKeyChanged {
            expected, offered, ..
        }) => {
            assert_eq!(expected, &old);
            assert_ne!(offered, &old);
            assert!(error.to_string().contains(offered.as_str()));
        }
        other => panic!("expected a changed host key, got {other}"),
    }
    running.lab.stop().await;
}

/// A wg-quick file with the install header, the twin's own private key and `peers`.
fn wg_conf(private_key: &str, peers: &[(String, String)]) -> String {
    let mut text = String::from(
        "# netparc: path=/etc/wireguard/wg0.conf mode=0600 reload=\"systemctl reload wg-quick@wg0\"\n# /etc/wireguard/wg0.conf on vpn1\n\n[Interface]\nAddress = 10.0.100.2/24\nListenPort = 51820\n",
    );
    text.push_str(&format!("PrivateKey = {private_key}\n"));
    for (n, (public, psk)) in peers.iter().enumerate() {
        text.push_str(&format!(
            "\n# peer {n}\n[Peer]\nPublicKey = {public}\nPresharedKey = {psk}\nAllowedIPs = 10.0.100.{}/32\n",
            40 + n
        ));
    }
    text
}

#[tokio::test]
async fn linux_writes_wireguard_with_one_more_peer_and_reload_keeps_the_others() {
    let running = start("drv-linux").await;
    let private_key = netparc::lab::linux::wg_keypair("drv-linux", 1).0;
    let peers: Vec<(String, String)> = (0..3)
        .map(|n| {
            (
                netparc::lab::linux::wg_keypair("drv-peer", n).1,
                netparc::lab::linux::wg_keypair("drv-psk", n).0,
            )
        })
        .collect();
    let first = wg_conf(&private_key, &peers[..2]);
    let transcript = Transcript::new();
    let mut linux = running
        .linux(DriverOptions {
            intended: Some(first.clone()),
            transcript: Some(transcript.clone()),
            ..Default::default()
        })
        .await;
    // the factory file, then two peers
    let factory = linux.running_config().await.unwrap();
    assert!(factory.contains("[Interface]"), "{factory}");
    let plan = linux.plan(&first, &factory, Mode::Merge).unwrap();
    assert_eq!(plan.files.len(), 1);
    assert_eq!(plan.files[0].mode, 0o600);
    assert_eq!(
        plan.reloads,
        vec![String::from("systemctl reload wg-quick@wg0")]
    );
    linux.apply(&plan).await.unwrap();
    let epoch = running.with_linux(|l| l.wg_epoch("wg0"));
    assert_eq!(running.with_linux(|l| l.loaded_peers("wg0")).len(), 2);
    // one more peer: whole-file plan, the diff shows it and hides the keys
    let second = wg_conf(&private_key, &peers);
    let current = linux.running_config().await.unwrap();
    assert_eq!(current, first, "read back equal");
    let plan = linux.plan(&second, &current, Mode::Merge).unwrap();
    assert!(
        plan.diff.contains(&format!("+PublicKey = {}", peers[2].0)),
        "{}",
        plan.diff
    );
    assert!(
        plan.diff.contains("+PresharedKey = <redacted>"),
        "{}",
        plan.diff
    );
    assert!(!plan.diff.contains(&peers[2].1) && !plan.diff.contains(&private_key));
    linux.apply(&plan).await.unwrap();
    linux.save().await.unwrap();
    assert_eq!(linux.running_config().await.unwrap(), second);
    let loaded = running.with_linux(|l| l.loaded_peers("wg0"));
    let keys: Vec<&str> = loaded.iter().map(|p| p.public_key.as_str()).collect();
    for (public, _) in &peers {
        assert!(
            keys.contains(&public.as_str()),
            "{public} not loaded: {keys:?}"
        );
    }
    assert_eq!(
        running.with_linux(|l| l.wg_epoch("wg0")),
        epoch,
        "reload is a syncconf: the interface was not restarted"
    );
    assert_eq!(
        running.with_linux(|l| l.file_mode("/etc/wireguard/wg0.conf")),
        Some(0o600)
    );
    assert!(running.with_linux(|l| l.file_mode("/etc/wireguard").is_some()),);
    let leftovers = linux.command("ls -a /etc/wireguard").await.unwrap().text;
    assert!(
        !leftovers.contains("netparc-"),
        "no temporary file left: {leftovers}"
    );
    // restore the factory file
    linux.restore(&factory).await.unwrap();
    assert_eq!(linux.running_config().await.unwrap(), factory);
    assert!(running.with_linux(|l| l.loaded_peers("wg0")).is_empty());
    linux.close().await;
    // no key, no payload in the transcript
    let text = transcript.render();
    assert!(text.contains("sha256sum"), "{text}");
    assert!(
        !text.contains(&private_key),
        "private key in the transcript"
    );
    for (_, psk) in &peers {
        assert!(
            !text.contains(psk.as_str()),
            "preshared key in the transcript"
        );
    }
    let factory_key = factory
        .lines()
        .find_map(|l| l.strip_prefix("PrivateKey = "))
        .unwrap();
    assert!(
        !text.contains(factory_key),
        "the device's own key, read back, is hidden too"
    );
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(second.as_bytes());
    assert!(!text.contains(&encoded[..40]), "the encoded file is hidden");
    assert!(
        text.contains("bytes of base64: the file, not recorded>"),
        "{text}"
    );
    running.lab.stop().await;
}

#[tokio::test]
async fn linux_failing_reload_and_hostile_content() {
    let running = start("drv-linux-odd").await;
    let mut linux = running.linux(DriverOptions::default()).await;
    // no header, no known file: say what is missing
    let error = linux.running_config().await.unwrap_err();
    assert!(error.to_string().contains("# netparc:"), "{error}");
    // a reload command that fails: its status and stderr in the error
    let bad =
        "# netparc: path=/etc/netparc-a.conf mode=0644 reload=\"systemctl reload nope\"\nx = 1\n";
    let plan = linux.plan(bad, "", Mode::Merge).unwrap();
    let error = linux.apply(&plan).await.unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("`systemctl reload nope` failed (exit status 5)"),
        "{message}"
    );
    assert!(message.contains("Unit nope.service not found"), "{message}");
    // content that would break a naive heredoc or quoting arrives byte-exact
    // ~50 KB: the base64 payload travels as one long line
    let filler: String = (0..2000)
        .map(|n| format!("line {n} of a long file\n"))
        .collect();
    let hostile: &str = &[
        "# netparc: path=\"/etc/it's odd.conf\" mode=0640\n",
        &filler,
        "quote ' and \"double\"\n$(touch /tmp/pwned) `touch /tmp/pwned2` ${HOME}\nEOF\nNETPARC_BASE64\n\\ backslash \\\\n\ttab  trailing spaces   \nno final newline é",
    ]
    .concat();
    let plan = linux.plan(hostile, "", Mode::Replace).unwrap();
    assert!(plan.reloads.is_empty());
    linux.apply(&plan).await.unwrap();
    assert_eq!(linux.running_config().await.unwrap(), hostile);
    let on_disk = running.with_linux(|l| {
        (
            l.file("/etc/it's odd.conf").map(<[u8]>::to_vec),
            l.file_mode("/etc/it's odd.conf"),
            l.file("/tmp/pwned").is_some() || l.file("/tmp/pwned2").is_some(),
        )
    });
    assert_eq!(on_disk.0.as_deref(), Some(hostile.as_bytes()));
    assert_eq!(on_disk.1, Some(0o640));
    assert!(!on_disk.2, "nothing in the content ran");
    // an operational command keeps its status; configure fails on one
    let out = linux.command("false").await.unwrap();
    assert_eq!(out.status, Some(1));
    let error = linux
        .configure(&lines(&["true", "ls /nonexistent"]))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("`ls /nonexistent` failed"),
        "{error}"
    );
    linux.close().await;
    running.lab.stop().await;
}

#[tokio::test]
async fn linux_installs_the_rendered_example_gateway_through_its_own_header() {
    // The example inventory's VPN gateway, rendered by the shipped template: the header the
    // template writes is what tells the driver where, how and what to reload.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inventories/hq");
    let inventory = Inventory::load(&root).inventory.expect("example loads");
    let resolver = open_resolver(&inventory);
    let selector = Selector::parse("vpn-hq-01").unwrap();
    let templates = netparc::render::TemplateSet::load(&inventory.templates_dir()).unwrap();
    let (intents, problems) =
        netparc::intent::render_selected(&inventory, &templates, &resolver, &selector);
    assert!(!problems.has_errors(), "{problems}");
    let intended = intents[0].text.clone();
    assert!(
        intended.starts_with("# netparc: path=\"/etc/wireguard/wg0.conf\" mode=0600 reload=\"systemctl reload wg-quick@wg0\"\n"),
        "{intended}"
    );
    let state = tempfile::tempdir().unwrap();
    let lab = Lab::start(
        &inventory,
        &resolver,
        &LabOptions {
            ssh_port: 0,
            snmp_port: 0,
            state_dir: state.path().to_path_buf(),
            salt: String::from("drv-example"),
            selector: selector.clone(),
            isolated: false,
        },
    )
    .await
    .expect("lab starts");
    let asset = inventory
        .assets
        .iter()
        .find(|a| a.value.name == "vpn-hq-01")
        .unwrap();
    let credentials = netparc::inventory::vars::credentials(&inventory, asset).unwrap();
    let password = resolver
        .resolve(credentials.value.password.as_ref().unwrap())
        .unwrap();
    let ssh = SshOptions {
        username: credentials.value.username.clone(),
        credential: Credential::Password(password),
        host_keys: HostKeyPolicy {
            known_hosts: state.path().join("known_hosts"),
            accept_new: true,
        },
        connect_timeout: Duration::from_secs(5),
        auth_timeout: Duration::from_secs(5),
        keepalive: Some(Duration::from_secs(15)),
        lab_mode: true,
        algorithms: Default::default(),
    };
    let address = lab.twin("vpn-hq-01").and_then(|t| t.ssh).unwrap();
    let mut linux = driver::connect(
        "linux",
        "vpn-hq-01",
        address,
        &ssh,
        DriverOptions {
            intended: Some(intended.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let before = linux.running_config().await.unwrap();
    let plan = linux.plan(&intended, &before, Mode::Merge).unwrap();
    let private_key = intended
        .lines()
        .find_map(|l| l.strip_prefix("PrivateKey = "))
        .unwrap();
    assert!(!plan.diff.contains(private_key), "{}", plan.diff);
    assert!(
        plan.diff.contains("+PrivateKey = <redacted>"),
        "{}",
        plan.diff
    );
    linux.apply(&plan).await.unwrap();
    let after = linux.running_config().await.unwrap();
    assert_eq!(after, intended);
    assert!(
        linux
            .plan(&intended, &after, Mode::Merge)
            .unwrap()
            .is_empty()
    );
    let twin = lab.twin("vpn-hq-01").unwrap();
    let loaded = {
        let state = twin.device.state();
        let linux = state
            .platform
            .as_any()
            .downcast_ref::<LinuxState>()
            .unwrap();
        linux.loaded_peers("wg0").len()
    };
    assert_eq!(loaded, intended.matches("[Peer]").count());
    linux.close().await;
    lab.stop().await;
}
