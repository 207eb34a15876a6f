//! The twins' SSH server through the real russh client (our transport): authentication,
//! host keys against known_hosts, exec and shell channels, paging, several sessions at once,
//! and the faults applied at the protocol edge. A toy platform stands in for IOS/Linux so
//! these tests pin the SSH layer alone.

use netparc::inventory::AssetKind;
use netparc::lab::device::{
    CliOutput, CliSession, Device, DeviceFacts, DeviceSpec, Platform, PlatformState,
};
use netparc::lab::ssh::{SshTwin, bind};
use netparc::secrets::Secret;
use netparc::transport::ssh::{
    Credential, HostKeyPolicy, SshAlgorithms, SshOptions, SshSession, TransportError,
};
use regex::Regex;
use russh::keys::{Algorithm, PrivateKey};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

struct ToyState {
    reboots: u32,
}

impl PlatformState for ToyState {
    fn facts(&self, spec: &DeviceSpec) -> DeviceFacts {
        DeviceFacts {
            name: spec.name.clone(),
            ..Default::default()
        }
    }
    fn reboot(&mut self, _: &DeviceSpec) {
        self.reboots += 1;
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}

#[derive(Default)]
struct ToyCli {
    length: usize,
}

impl CliSession for ToyCli {
    fn greeting(&mut self, _: &Device) -> String {
        String::from("Welcome to the toy\n")
    }
    fn prompt(&self, device: &Device) -> String {
        format!("{}#", device.spec.name)
    }
    fn execute(&mut self, _: &Device, line: &str) -> CliOutput {
        let line = line.trim();
        if let Some(n) = line.strip_prefix("terminal length ") {
            self.length = n.parse().unwrap_or(0);
            return CliOutput::default();
        }
        match line {
            "long" => CliOutput {
                text: (1..=30).map(|i| format!("line {i}\n")).collect(),
                ..Default::default()
            },
            "bye" => CliOutput {
                close: true,
                ..Default::default()
            },
            "reload" => CliOutput {
                text: String::from("reloading\n"),
                reload: true,
                ..Default::default()
            },
            other => CliOutput {
                text: format!("you said: {other}\n"),
                ..Default::default()
            },
        }
    }
    fn page_length(&self) -> usize {
        self.length
    }
}

fn spec(name: &str, address: &str) -> DeviceSpec {
    DeviceSpec {
        name: name.to_string(),
        kind: AssetKind::Switch,
        platform: Platform::Ios,
        address: address.parse().unwrap(),
        real_address: None,
        model: String::from("toy"),
        serial: String::from("T1"),
        username: String::from("netadmin"),
        password: String::from("s3cret-Passw0rd!"),
        enable_secret: None,
        authorized_keys: Vec::new(),
        snmp: None,
        contact: String::new(),
        location: String::new(),
        ports: Vec::new(),
        management_vlan: None,
        management_prefix: None,
    }
}

struct Running {
    device: Arc<Device>,
    address: SocketAddr,
    host_key: PrivateKey,
    known_hosts: tempfile::TempDir,
}

async fn start(name: &str, address: &str, spec_change: impl FnOnce(&mut DeviceSpec)) -> Running {
    let mut spec = spec(name, address);
    spec_change(&mut spec);
    let device = Arc::new(Device::new(spec, Box::new(ToyState { reboots: 0 })));
    let host_key = PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519).unwrap();
    let twin = SshTwin {
        device: device.clone(),
        host_key: Arc::new(std::sync::Mutex::new(host_key.clone())),
        sessions: Arc::new(|| Box::new(ToyCli::default())),
    };
    let (address, serve) = bind(twin, format!("{address}:0").parse().unwrap())
        .await
        .unwrap();
    tokio::spawn(serve);
    Running {
        device,
        address,
        host_key,
        known_hosts: tempfile::tempdir().unwrap(),
    }
}

fn options(running: &Running, password: &str, accept_new: bool) -> SshOptions {
    SshOptions {
        username: String::from("netadmin"),
        credential: Credential::Password(Secret::new(password)),
        host_keys: HostKeyPolicy {
            known_hosts: running.known_hosts.path().join("known_hosts"),
            accept_new,
        },
        connect_timeout: Duration::from_secs(5),
        auth_timeout: Duration::from_secs(5),
        keepalive: None,
        lab_mode: true,
        algorithms: Default::default(),
    }
}

const PASSWORD: &str = "s3cret-Passw0rd!";

#[tokio::test]
async fn exec_and_shell_with_password_and_accept_new() {
    let running = start("sw1", "127.91.0.1", |_| {}).await;
    // first contact without accept-new: refused, fingerprint shown
    let error = SshSession::connect("sw1", running.address, &options(&running, PASSWORD, false))
        .await
        .err()
        .unwrap();
    let offered = running
        .host_key
        .public_key()
        .fingerprint(russh::keys::HashAlg::Sha256)
        .to_string();
    match &error {
        TransportError::HostKeyUnknown { fingerprint, .. } => assert_eq!(fingerprint, &offered),
        other => panic!("{other}"),
    }
    assert!(error.to_string().contains("--accept-new"));
    // accept-new records it; the next run needs no flag
    let session = SshSession::connect("sw1", running.address, &options(&running, PASSWORD, true))
        .await
        .unwrap();
    session.close().await;
    let session = SshSession::connect("sw1", running.address, &options(&running, PASSWORD, false))
        .await
        .unwrap();
    let result = session.exec("hello", Duration::from_secs(5)).await.unwrap();
    assert_eq!(String::from_utf8_lossy(&result.stdout), "you said: hello\n");
    assert_eq!(result.status, Some(0));
    let mut shell = session.shell().await.unwrap();
    let prompt = Regex::new(r"sw1#$").unwrap();
    let greeting = shell
        .read_until(&prompt, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(greeting.contains("Welcome to the toy"), "{greeting:?}");
    shell.send("ping\n").await.unwrap();
    let out = shell
        .read_until(&prompt, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(out, "ping\nyou said: ping\nsw1#");
    session.close().await;
}

#[tokio::test]
async fn a_changed_host_key_is_always_refused_with_both_fingerprints() {
    let running = start("sw2", "127.91.0.2", |_| {}).await;
    SshSession::connect("sw2", running.address, &options(&running, PASSWORD, true))
        .await
        .unwrap()
        .close()
        .await;
    // another twin on the same address and port, new key: what a replaced device looks like
    let old = running
        .host_key
        .public_key()
        .fingerprint(russh::keys::HashAlg::Sha256)
        .to_string();
    let replacement = start("sw2", "127.91.0.2", |_| {}).await;
    let path = running.known_hosts.path().join("known_hosts");
    let recorded = running.host_key.public_key().to_openssh().unwrap();
    std::fs::write(
        &path,
        format!("[127.91.0.2]:{} {recorded}\n", replacement.address.port()),
    )
    .unwrap();
    let mut opts = options(&running, PASSWORD, true);
    opts.host_keys.known_hosts = path;
    let error = refusal("sw2", replacement.address, &opts).await;
    let new = replacement
        .host_key
        .public_key()
        .fingerprint(russh::keys::HashAlg::Sha256)
        .to_string();
    match &error {
        TransportError::HostKeyChanged {
            expected,
            offered,
            line,
            ..
        } => {
            assert_eq!(expected, &old);
            assert_eq!(offered, &new);
            assert_eq!(*line, 1);
        }
        other => panic!("expected a changed key, got {other}"),
    }
    assert!(
        error.to_string().contains("HOST KEY CHANGED"),
        "even with accept-new"
    );
}

#[tokio::test]
async fn wrong_password_and_public_key_authentication() {
    let client_key = PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519).unwrap();
    let authorized = client_key.public_key().to_openssh().unwrap();
    let running = start("sw3", "127.91.0.3", |spec| {
        spec.authorized_keys.push(authorized)
    })
    .await;
    let error = SshSession::connect("sw3", running.address, &options(&running, "wrong", true))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(error, TransportError::AuthFailed { .. }),
        "{error}"
    );
    assert!(
        !error.to_string().contains("wrong"),
        "the password never appears"
    );
    let mut opts = options(&running, "", true);
    opts.credential = Credential::Key(Arc::new(client_key));
    let session = SshSession::connect("sw3", running.address, &opts)
        .await
        .unwrap();
    assert_eq!(
        session
            .exec("key", Duration::from_secs(5))
            .await
            .unwrap()
            .stdout,
        b"you said: key\n"
    );
}

#[tokio::test]
async fn paging_shows_more_until_space_and_several_sessions_run_at_once() {
    let running = start("sw4", "127.91.0.4", |_| {}).await;
    let opts = options(&running, PASSWORD, true);
    let session = SshSession::connect("sw4", running.address, &opts)
        .await
        .unwrap();
    let mut shell = session.shell().await.unwrap();
    let prompt = Regex::new(r"sw4#$").unwrap();
    shell
        .read_until(&prompt, Duration::from_secs(5))
        .await
        .unwrap();
    shell.send("terminal length 10\n").await.unwrap();
    shell
        .read_until(&prompt, Duration::from_secs(5))
        .await
        .unwrap();
    shell.send("long\n").await.unwrap();
    let first = shell
        .read_until(&Regex::new("--More--").unwrap(), Duration::from_secs(5))
        .await
        .unwrap();
    assert!(
        first.contains("line 9\n") && !first.contains("line 10"),
        "{first}"
    );
    shell.send(" ").await.unwrap();
    let second = shell
        .read_until(&Regex::new("--More--").unwrap(), Duration::from_secs(5))
        .await
        .unwrap();
    assert!(
        second.contains("line 18\n") && !second.contains("line 19"),
        "{second}"
    );
    shell.send("q").await.unwrap();
    shell
        .read_until(&prompt, Duration::from_secs(5))
        .await
        .unwrap();
    // ten sessions at once on the same twin
    let mut tasks = Vec::new();
    for i in 0..10 {
        let opts = opts.clone();
        let address = running.address;
        tasks.push(tokio::spawn(async move {
            let session = SshSession::connect("sw4", address, &opts).await.unwrap();
            session
                .exec(&format!("n{i}"), Duration::from_secs(5))
                .await
                .unwrap()
                .stdout
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        assert_eq!(
            task.await.unwrap(),
            format!("you said: n{i}\n").into_bytes()
        );
    }
}

#[tokio::test]
async fn faults_refused_down_auth_slow_and_dropped() {
    let running = start("sw5", "127.91.0.5", |_| {}).await;
    let opts = options(&running, PASSWORD, true);
    running.device.set_faults(|f| f.ssh_refused = true);
    let error = refusal("sw5", running.address, &opts).await;
    assert!(
        matches!(
            error,
            TransportError::Refused { .. } | TransportError::Disconnected { .. }
        ),
        "{error}"
    );
    running.device.set_faults(|f| {
        f.ssh_refused = false;
        f.auth_failure = true;
    });
    let error = refusal("sw5", running.address, &opts).await;
    assert!(
        matches!(error, TransportError::AuthFailed { .. }),
        "{error}"
    );
    running.device.set_faults(|f| {
        f.auth_failure = false;
        f.slow_cli = Some(Duration::from_millis(300));
    });
    let session = SshSession::connect("sw5", running.address, &opts)
        .await
        .unwrap();
    let error = session
        .exec("slow", Duration::from_millis(100))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(
            error,
            TransportError::Timeout {
                stage: "running a command",
                ..
            }
        ),
        "{error}"
    );
    running.device.set_faults(|f| f.slow_cli = None);
    // reload drops the connection and reboots the device
    let mut shell = session.shell().await.unwrap();
    let prompt = Regex::new(r"sw5#$").unwrap();
    shell
        .read_until(&prompt, Duration::from_secs(5))
        .await
        .unwrap();
    shell.send("reload\n").await.unwrap();
    let error = shell
        .read_until(&prompt, Duration::from_secs(5))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(error, TransportError::Disconnected { .. }),
        "{error}"
    );
    let state = running.device.state();
    assert_eq!(state.boots, 2);
}

#[tokio::test]
async fn an_old_firmware_needs_legacy_algorithms_and_says_which_it_offers() {
    let running = start("sw8", "127.91.0.8", |_| {}).await;
    running.device.set_faults(|f| f.legacy_ssh = true);
    let modern = options(&running, PASSWORD, true);
    let error = refusal("sw8", running.address, &modern).await;
    assert!(
        matches!(
            error,
            TransportError::NoCommonAlgorithm {
                kind: "key exchange",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "sw8 ({}): no common key exchange algorithm: the device offers diffie-hellman-group14-sha1, diffie-hellman-group1-sha1 (SHA-1 or CBC only); netparc offers modern algorithms unless told otherwise: set `ssh: {{ algorithms: legacy }}` on this asset or its group to allow them, and plan the firmware upgrade",
            running.address
        )
    );
    let legacy = SshOptions {
        algorithms: SshAlgorithms::Legacy,
        ..modern.clone()
    };
    let session = SshSession::connect("sw8", running.address, &legacy)
        .await
        .unwrap();
    let result = session.exec("hello", Duration::from_secs(5)).await.unwrap();
    assert_eq!(String::from_utf8_lossy(&result.stdout), "you said: hello\n");
    session.close().await;
    // legacy puts the strong algorithms first: a modern device still negotiates them
    running.device.set_faults(|f| f.legacy_ssh = false);
    log_in_and_out("sw8", running.address, &legacy).await;
}

/// Why connecting with `opts` fails (it must).
async fn refusal(name: &str, address: SocketAddr, opts: &SshOptions) -> TransportError {
    match SshSession::connect(name, address, opts).await {
        Ok(_) => panic!("{name}: connected, but should not have"),
        Err(error) => error,
    }
}

/// Connect, authenticate and close: the device is reachable with `opts`.
async fn log_in_and_out(name: &str, address: SocketAddr, opts: &SshOptions) {
    let session = SshSession::connect(name, address, opts).await.unwrap();
    session.close().await;
}

#[tokio::test]
async fn a_device_that_accepts_and_never_answers_times_out_while_connecting() {
    let running = start("sw9", "127.91.0.9", |_| {}).await;
    running.device.set_faults(|f| f.ssh_hang = true);
    let opts = SshOptions {
        connect_timeout: Duration::from_millis(300),
        ..options(&running, PASSWORD, true)
    };
    let error = refusal("sw9", running.address, &opts).await;
    assert!(
        matches!(
            error,
            TransportError::Timeout {
                stage: "connecting",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "sw9 ({}): timed out after 0.3 s while connecting",
            running.address
        )
    );
    // Answering again: the next connection works.
    running.device.set_faults(|f| f.ssh_hang = false);
    log_in_and_out("sw9", running.address, &opts).await;
}

#[tokio::test]
async fn lab_mode_refuses_any_destination_outside_loopback() {
    let running = start("sw6", "127.91.0.6", |_| {}).await;
    let opts = options(&running, PASSWORD, true);
    // never sent: the guard refuses before connecting
    let error = refusal("sw6", "10.10.99.11:22".parse().unwrap(), &opts).await;
    assert!(
        matches!(error, TransportError::LabDestination(_)),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("refusing to contact 10.10.99.11 in lab mode")
    );
}

/// A real OpenSSH agent on a private socket, stopped when dropped.
struct Agent {
    child: std::process::Child,
    socket: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Agent {
    fn start() -> Agent {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("agent.sock");
        let child = std::process::Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("ssh-agent (openssh-client) is installed");
        // -D stays in the foreground: wait for its socket instead of sleeping blindly.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !socket.exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "ssh-agent did not start"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        Agent {
            child,
            socket,
            _dir: dir,
        }
    }

    fn add(&self, key: &PrivateKey) {
        let file = self._dir.path().join("id_test");
        std::fs::write(
            &file,
            key.to_openssh(russh::keys::ssh_key::LineEnding::LF)
                .unwrap(),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let status = std::process::Command::new("ssh-add")
            .arg(&file)
            .env("SSH_AUTH_SOCK", &self.socket)
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "ssh-add");
        std::fs::remove_file(&file).unwrap();
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn agent_authentication_with_a_real_ssh_agent() {
    let authorized_key = PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519).unwrap();
    let other_key = PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519).unwrap();
    let authorized = authorized_key.public_key().to_openssh().unwrap();
    let running = start("sw7", "127.91.0.7", |spec| {
        spec.authorized_keys.push(authorized)
    })
    .await;
    let agent = Agent::start();
    let mut opts = options(&running, "", true);
    opts.credential = Credential::Agent(Some(agent.socket.clone()));
    // an empty agent: said so, not a vague authentication failure
    let error = refusal("sw7", running.address, &opts).await;
    assert!(
        matches!(error, TransportError::Agent { .. }) && error.to_string().contains("no key"),
        "{error}"
    );
    // a key the device does not know, then the one it does: each is offered in turn
    agent.add(&other_key);
    let error = refusal("sw7", running.address, &opts).await;
    assert!(
        matches!(error, TransportError::AuthFailed { .. }),
        "{error}"
    );
    agent.add(&authorized_key);
    let session = SshSession::connect("sw7", running.address, &opts)
        .await
        .unwrap();
    assert_eq!(
        session
            .exec("agent", Duration::from_secs(5))
            .await
            .unwrap()
            .stdout,
        b"you said: agent\n"
    );
    session.close().await;
    // no agent at that socket
    drop(agent);
    let error = refusal("sw7", running.address, &opts).await;
    assert!(
        matches!(error, TransportError::Agent { .. }) && error.to_string().contains("cannot reach"),
        "{error}"
    );
}
