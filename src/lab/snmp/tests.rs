//! The agent through real clients on loopback: async-snmp's client and net-snmp's tools.
//! Each test binds its own 127.77.0.x address (port 0) and talks to nothing else.

use super::*;
use crate::inventory::AssetKind;
use crate::lab::device::{DeviceFacts, DeviceSpec, InterfaceFacts, Platform, PlatformState};
use async_snmp::v3::ReportStatus;
use async_snmp::{Auth, Client, Retry, UdpClient, UsmConfig, Value, VarBind};
use std::any::Any;
use std::process::Command;
use tokio::sync::oneshot;

// ---------------------------------------------------------------------------------------
// A platform whose facts the tests control.

struct TestPlatform {
    hostname: String,
    interfaces: Vec<InterfaceFacts>,
}

impl PlatformState for TestPlatform {
    fn facts(&self, spec: &DeviceSpec) -> DeviceFacts {
        DeviceFacts {
            descr: format!("netparc twin {}", spec.model),
            object_id: "1.3.6.1.4.1.9.1.2134".into(),
            name: self.hostname.clone(),
            contact: spec.contact.clone(),
            location: spec.location.clone(),
            serial: spec.serial.clone(),
            interfaces: self.interfaces.clone(),
        }
    }
    fn reboot(&mut self, _spec: &DeviceSpec) {}
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

fn interface(index: u32, name: &str, alias: &str, up: bool) -> InterfaceFacts {
    InterfaceFacts {
        index,
        name: name.into(),
        alias: alias.into(),
        admin_up: up,
        oper_up: up,
        speed_mbps: 1000,
        if_type: 6,
        in_octets: 1000 * u64::from(index),
        out_octets: 2000 * u64::from(index),
    }
}

const COMMUNITY: &str = "lab-community";
const USER: &str = "netparc";
const AUTH_PASS: &str = "auth-passphrase-1";
const PRIV_PASS: &str = "priv-passphrase-2";

fn v2c() -> SnmpAccess {
    SnmpAccess::V2c {
        community: COMMUNITY.into(),
    }
}

fn v3(auth: SnmpAuthProtocol, privacy: SnmpPrivProtocol) -> SnmpAccess {
    SnmpAccess::V3 {
        user: USER.into(),
        auth,
        auth_password: AUTH_PASS.into(),
        privacy,
        priv_password: PRIV_PASS.into(),
    }
}

fn v3_default() -> SnmpAccess {
    v3(SnmpAuthProtocol::Sha256, SnmpPrivProtocol::Aes)
}

fn device(name: &str, ip: [u8; 4], snmp: SnmpAccess) -> Arc<Device> {
    let spec = DeviceSpec {
        name: name.into(),
        kind: AssetKind::Switch,
        platform: Platform::Ios,
        address: IpAddr::from(ip),
        real_address: None,
        model: "WS-C2960X-48FPD-L".into(),
        serial: "FOC1234X0AB".into(),
        username: "admin".into(),
        password: "unused".into(),
        enable_secret: None,
        authorized_keys: Vec::new(),
        snmp: Some(snmp),
        contact: "noc@example.test".into(),
        location: "Paris, baie 2".into(),
        ports: Vec::new(),
        management_vlan: None,
        management_prefix: None,
    };
    let platform = TestPlatform {
        hostname: name.into(),
        interfaces: vec![
            interface(1, "GigabitEthernet1/0/1", "uplink core", true),
            interface(2, "GigabitEthernet1/0/2", "", false),
            interface(3, "GigabitEthernet1/0/3", "printer", true),
        ],
    };
    Arc::new(Device::new(spec, Box::new(platform)))
}

fn set_hostname(device: &Device, hostname: &str) {
    let mut state = device.state();
    let platform = state
        .platform
        .as_any_mut()
        .downcast_mut::<TestPlatform>()
        .expect("test platform");
    platform.hostname = hostname.into();
}

/// An agent serving in a task; stopped (and awaited) by `stop`.
struct Running {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), SnmpAgentError>>,
}

impl Running {
    async fn start(device: &Arc<Device>) -> Running {
        let bind = SocketAddr::new(device.spec.address, 0);
        let agent = SnmpAgent::bind(Arc::clone(device), bind)
            .await
            .expect("agent binds");
        let addr = agent.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(agent.run(async {
            let _ = stopped.await;
        }));
        Running {
            addr,
            stop: Some(stop),
            task,
        }
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let result = (&mut self.task).await.expect("agent task");
        result.expect("agent stops cleanly");
    }
}

/// Patient enough for debug builds on a busy machine.
const PATIENT: Duration = Duration::from_secs(3);
/// For requests that must go unanswered.
const SHORT: Duration = Duration::from_millis(200);

async fn v2c_client(addr: SocketAddr, community: &str, timeout: Duration) -> UdpClient {
    Client::builder(addr, Auth::v2c(community))
        .request_timeout(timeout)
        .retry(Retry::none())
        .connect()
        .await
        .expect("v2c client")
}

async fn v3_client(addr: SocketAddr, usm: UsmConfig, timeout: Duration) -> UdpClient {
    Client::builder(addr, usm)
        .request_timeout(timeout)
        .retry(Retry::none())
        // Report wrong credentials as errors instead of timing out on them.
        .allow_unauthenticated_v3_time_correction(true)
        .connect()
        .await
        .expect("v3 client")
}

fn usm(auth: SnmpAuthProtocol, privacy: SnmpPrivProtocol, auth_pass: &str) -> UsmConfig {
    UsmConfig::new(USER)
        .auth_priv(
            auth_protocol(auth),
            auth_pass,
            priv_protocol(privacy),
            PRIV_PASS,
        )
        .expect("usm config")
}

fn oid(arcs: &[u32]) -> Oid {
    Oid::from_slice(arcs)
}

const SYS_NAME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 5, 0];
const SYS_UPTIME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 3, 0];
const IF_TABLE: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2];
const IF_X_TABLE: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1];
const ENGINE_BOOTS: &[u32] = &[1, 3, 6, 1, 6, 3, 10, 2, 1, 2, 0];

async fn get(client: &UdpClient, arcs: &[u32]) -> async_snmp::Result<Value> {
    let response = client.get(&oid(arcs)).await?;
    let vb = response.single().expect("one varbind");
    Ok(vb.value.clone())
}

fn string(value: &Value) -> String {
    match value {
        Value::OctetString(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        other => panic!("not a string: {other:?}"),
    }
}

fn is_authorization_error(result: &async_snmp::Result<Value>) -> bool {
    matches!(result, Err(e) if matches!(**e, async_snmp::Error::Snmp {
        status: async_snmp::ErrorStatus::AuthorizationError,
        ..
    }))
}

fn is_timeout(error: &async_snmp::Error) -> bool {
    matches!(error, async_snmp::Error::Timeout { .. })
}

// ---------------------------------------------------------------------------------------
// async-snmp's client.

#[tokio::test]
async fn v2c_sys_name_follows_a_live_hostname_change() {
    let device = device("sw1", [127, 77, 0, 1], v2c());
    let agent = Running::start(&device).await;
    let client = v2c_client(agent.addr, COMMUNITY, PATIENT).await;

    assert_eq!(string(&get(&client, SYS_NAME).await.expect("get")), "sw1");
    set_hostname(&device, "sw1-renamed");
    assert_eq!(
        string(&get(&client, SYS_NAME).await.expect("get")),
        "sw1-renamed"
    );
    // The wrong_sysname fault is applied by facts(): the agent shows it too.
    device.set_faults(|f| f.wrong_sysname = Some("imposter".into()));
    assert_eq!(
        string(&get(&client, SYS_NAME).await.expect("get")),
        "imposter"
    );
    agent.stop().await;
}

#[tokio::test]
async fn v3_auth_priv_sys_name_follows_a_live_hostname_change() {
    let device = device("sw2", [127, 77, 0, 2], v3_default());
    let agent = Running::start(&device).await;
    let client = v3_client(
        agent.addr,
        usm(SnmpAuthProtocol::Sha256, SnmpPrivProtocol::Aes, AUTH_PASS),
        PATIENT,
    )
    .await;

    assert_eq!(string(&get(&client, SYS_NAME).await.expect("get")), "sw2");
    set_hostname(&device, "sw2-new");
    assert_eq!(
        string(&get(&client, SYS_NAME).await.expect("get")),
        "sw2-new"
    );
    agent.stop().await;
}

#[tokio::test]
async fn walk_and_bulk_walk_if_table() {
    let device = device("sw3", [127, 77, 0, 3], v2c());
    device.set_faults(|f| f.interfaces_down = vec!["GigabitEthernet1/0/3".into()]);
    let agent = Running::start(&device).await;
    let client = v2c_client(agent.addr, COMMUNITY, PATIENT).await;

    let walked = client
        .walk(oid(IF_TABLE))
        .expect("walk")
        .collect()
        .await
        .expect("walk ifTable");
    // 15 columns × 3 rows, all inside ifTable, strictly increasing.
    assert_eq!(walked.len(), 15 * 3);
    assert!(walked.iter().all(|vb| vb.oid.starts_with(&oid(IF_TABLE))));
    assert!(walked.windows(2).all(|w| w[0].oid < w[1].oid));
    let value_of = |vbs: &[VarBind], arcs: &[u32]| {
        vbs.iter()
            .find(|vb| vb.oid == oid(arcs))
            .map(|vb| vb.value.clone())
            .unwrap_or_else(|| panic!("{arcs:?} missing"))
    };
    assert_eq!(
        string(&value_of(&walked, &[1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 1])),
        "GigabitEthernet1/0/1"
    );
    // ifAdminStatus.2 down (shut), ifOperStatus.3 down (interfaces_down fault).
    assert_eq!(
        value_of(&walked, &[1, 3, 6, 1, 2, 1, 2, 2, 1, 7, 2]),
        Value::Integer(2)
    );
    assert_eq!(
        value_of(&walked, &[1, 3, 6, 1, 2, 1, 2, 2, 1, 7, 3]),
        Value::Integer(1)
    );
    assert_eq!(
        value_of(&walked, &[1, 3, 6, 1, 2, 1, 2, 2, 1, 8, 3]),
        Value::Integer(2)
    );

    let bulk = client
        .bulk_walk(oid(IF_TABLE), 10)
        .expect("bulk walk")
        .collect()
        .await
        .expect("bulk walk ifTable");
    assert_eq!(bulk, walked);

    let x = client
        .bulk_walk(oid(IF_X_TABLE), 25)
        .expect("bulk walk")
        .collect()
        .await
        .expect("bulk walk ifXTable");
    assert_eq!(x.len(), 5 * 3);
    assert_eq!(
        value_of(&x, &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 3]),
        Value::Counter64(3000)
    );
    assert_eq!(
        string(&value_of(&x, &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18, 1])),
        "uplink core"
    );

    // The whole of mib-2 in one bulk walk ends where the twin's MIB ends.
    let all = client
        .bulk_walk(oid(&mib::MIB2), 50)
        .expect("bulk walk")
        .collect()
        .await
        .expect("bulk walk mib-2");
    assert_eq!(all.len(), 7 + 1 + 15 * 3 + 5 * 3 + 8);
    agent.stop().await;
}

#[tokio::test]
async fn exceptions_no_such_object_no_such_instance_end_of_mib_view() {
    let device = device("sw4", [127, 77, 0, 4], v2c());
    let agent = Running::start(&device).await;
    let client = v2c_client(agent.addr, COMMUNITY, PATIENT).await;

    // A column that exists, a row that does not.
    assert_eq!(
        get(&client, &[1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 99])
            .await
            .expect("get"),
        Value::NoSuchInstance
    );
    // A scalar without its `.0`.
    assert_eq!(
        get(&client, &[1, 3, 6, 1, 2, 1, 1, 5]).await.expect("get"),
        Value::NoSuchInstance
    );
    // Objects the twin does not implement, inside and outside mib-2.
    assert_eq!(
        get(&client, &[1, 3, 6, 1, 2, 1, 25, 1, 1, 0])
            .await
            .expect("get"),
        Value::NoSuchObject
    );
    assert_eq!(
        get(&client, &[1, 3, 6, 1, 4, 1, 9, 9, 1, 0])
            .await
            .expect("get"),
        Value::NoSuchObject
    );
    // Past the last object of the whole agent.
    let next = client
        .get_next(&oid(&[1, 3, 6, 1, 7]))
        .await
        .expect("getnext");
    assert_eq!(
        next.single().map(|vb| vb.value.clone()),
        Some(Value::EndOfMibView)
    );
    // GETNEXT from the end of the twin's MIB leaves mib-2 for the engine's own groups.
    let next = client
        .get_next(&oid(&[1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 16, 1]))
        .await
        .expect("getnext");
    let vb = next.single().expect("one varbind");
    assert!(vb.oid.starts_with(&oid(&[1, 3, 6, 1, 6, 3])), "{vb:?}");
    agent.stop().await;
}

#[tokio::test]
async fn wrong_community_is_silently_dropped() {
    let device = device("sw5", [127, 77, 0, 5], v2c());
    let agent = Running::start(&device).await;
    let wrong = v2c_client(agent.addr, "not-the-community", SHORT).await;
    let error = get(&wrong, SYS_NAME).await.expect_err("no answer");
    assert!(is_timeout(&error), "{error}");
    // The right one is still answered.
    let right = v2c_client(agent.addr, COMMUNITY, PATIENT).await;
    assert!(get(&right, SYS_NAME).await.is_ok());
    agent.stop().await;
}

#[tokio::test]
async fn wrong_v3_credentials_draw_reports() {
    let device = device("sw6", [127, 77, 0, 6], v3_default());
    let agent = Running::start(&device).await;

    let wrong_pass = v3_client(
        agent.addr,
        usm(
            SnmpAuthProtocol::Sha256,
            SnmpPrivProtocol::Aes,
            "wrong-passphrase",
        ),
        PATIENT,
    )
    .await;
    let error = get(&wrong_pass, SYS_NAME).await.expect_err("rejected");
    assert!(
        matches!(&*error, async_snmp::Error::Report { status, .. }
            if matches!(**status, ReportStatus::WrongDigest { .. })),
        "{error}"
    );

    let unknown_user = v3_client(
        agent.addr,
        UsmConfig::new("intruder")
            .auth_priv(
                AuthProtocol::Sha256,
                AUTH_PASS,
                PrivProtocol::Aes128,
                PRIV_PASS,
            )
            .expect("usm"),
        PATIENT,
    )
    .await;
    let error = get(&unknown_user, SYS_NAME).await.expect_err("rejected");
    assert!(
        matches!(&*error, async_snmp::Error::Report { status, .. }
            if matches!(**status, ReportStatus::UnknownUserName { .. })),
        "{error}"
    );
    agent.stop().await;
}

#[tokio::test]
async fn the_v3_user_gets_no_data_below_auth_priv() {
    let device = device("sw7", [127, 77, 0, 7], v3_default());
    let agent = Running::start(&device).await;
    let no_auth = v3_client(agent.addr, UsmConfig::new(USER), PATIENT).await;
    let result = get(&no_auth, SYS_NAME).await;
    assert!(is_authorization_error(&result), "noAuthNoPriv: {result:?}");
    let auth_only = v3_client(
        agent.addr,
        UsmConfig::new(USER)
            .auth(AuthProtocol::Sha256, AUTH_PASS)
            .expect("usm"),
        PATIENT,
    )
    .await;
    let result = get(&auth_only, SYS_NAME).await;
    assert!(is_authorization_error(&result), "authNoPriv: {result:?}");
    agent.stop().await;
}

#[tokio::test]
async fn down_and_snmp_timeout_faults_silence_the_agent() {
    let v2 = device("sw8", [127, 77, 0, 8], v2c());
    let v3d = device("sw9", [127, 77, 0, 9], v3_default());
    let a2 = Running::start(&v2).await;
    let a3 = Running::start(&v3d).await;

    v2.set_faults(|f| f.down = true);
    let client = v2c_client(a2.addr, COMMUNITY, SHORT).await;
    let error = get(&client, SYS_NAME).await.expect_err("down");
    assert!(is_timeout(&error), "{error}");

    // Even engine discovery goes unanswered.
    v3d.set_faults(|f| f.snmp_timeout = true);
    let fresh = v3_client(
        a3.addr,
        usm(SnmpAuthProtocol::Sha256, SnmpPrivProtocol::Aes, AUTH_PASS),
        SHORT,
    )
    .await;
    let error = get(&fresh, SYS_NAME).await.expect_err("snmp_timeout");
    assert!(is_timeout(&error), "{error}");

    // Clearing the faults brings the answers back.
    v2.set_faults(|f| f.down = false);
    v3d.set_faults(|f| f.snmp_timeout = false);
    let client = v2c_client(a2.addr, COMMUNITY, PATIENT).await;
    assert_eq!(string(&get(&client, SYS_NAME).await.expect("get")), "sw8");
    let client = v3_client(
        a3.addr,
        usm(SnmpAuthProtocol::Sha256, SnmpPrivProtocol::Aes, AUTH_PASS),
        PATIENT,
    )
    .await;
    assert_eq!(string(&get(&client, SYS_NAME).await.expect("get")), "sw9");
    a2.stop().await;
    a3.stop().await;
}

#[tokio::test]
async fn a_long_lived_v3_client_survives_a_reboot() {
    let device = device("sw10", [127, 77, 0, 10], v3_default());
    let agent = Running::start(&device).await;
    let client = v3_client(
        agent.addr,
        usm(SnmpAuthProtocol::Sha256, SnmpPrivProtocol::Aes, AUTH_PASS),
        PATIENT,
    )
    .await;
    assert_eq!(
        get(&client, ENGINE_BOOTS).await.expect("boots"),
        Value::Integer(1)
    );
    // Let uptime grow measurably before the reboot resets it.
    let Value::TimeTicks(_) = get(&client, SYS_UPTIME).await.expect("uptime") else {
        panic!("sysUpTime is not TimeTicks");
    };
    {
        let mut state = device.state();
        state.booted = state
            .booted
            .checked_sub(Duration::from_secs(60))
            .expect("a minute of monotonic clock");
    }
    let Value::TimeTicks(before) = get(&client, SYS_UPTIME).await.expect("uptime") else {
        panic!("sysUpTime is not TimeTicks");
    };
    assert!(before >= 6_000, "{before}");

    device.reboot();
    assert_eq!(
        get(&client, ENGINE_BOOTS)
            .await
            .expect("same client after reboot"),
        Value::Integer(2)
    );
    let Value::TimeTicks(after) = get(&client, SYS_UPTIME).await.expect("uptime") else {
        panic!("sysUpTime is not TimeTicks");
    };
    assert!(after < before, "{after} !< {before}");
    assert_eq!(string(&get(&client, SYS_NAME).await.expect("get")), "sw10");

    device.reboot();
    device.reboot();
    assert_eq!(
        get(&client, ENGINE_BOOTS).await.expect("after two more"),
        Value::Integer(4)
    );
    agent.stop().await;
}

#[tokio::test]
async fn every_auth_and_privacy_protocol_with_async_snmp() {
    // DES is left to the net-snmp test: async-snmp's client wants durable DES salt state.
    let mut combos: Vec<(SnmpAuthProtocol, SnmpPrivProtocol)> = [
        SnmpAuthProtocol::Md5,
        SnmpAuthProtocol::Sha,
        SnmpAuthProtocol::Sha224,
        SnmpAuthProtocol::Sha256,
        SnmpAuthProtocol::Sha384,
        SnmpAuthProtocol::Sha512,
    ]
    .into_iter()
    .map(|a| (a, SnmpPrivProtocol::Aes))
    .collect();
    combos.extend([
        (SnmpAuthProtocol::Sha, SnmpPrivProtocol::Aes192),
        (SnmpAuthProtocol::Md5, SnmpPrivProtocol::Aes256),
        (SnmpAuthProtocol::Sha512, SnmpPrivProtocol::Aes256),
    ]);
    for (n, (auth, privacy)) in combos.into_iter().enumerate() {
        let name = format!("combo{n}");
        let device = device(&name, [127, 77, 1, n as u8 + 1], v3(auth, privacy));
        let agent = Running::start(&device).await;
        let client = v3_client(agent.addr, usm(auth, privacy, AUTH_PASS), PATIENT).await;
        let value = get(&client, SYS_NAME)
            .await
            .unwrap_or_else(|e| panic!("{auth:?}/{privacy:?}: {e}"));
        assert_eq!(string(&value), name, "{auth:?}/{privacy:?}");
        agent.stop().await;
    }
}

#[tokio::test]
async fn agent_without_snmp_access_is_refused_and_stop_frees_the_address() {
    let mut spec = device("nosnmp", [127, 77, 0, 11], v2c()).spec.clone();
    spec.snmp = None;
    let platform = TestPlatform {
        hostname: "nosnmp".into(),
        interfaces: Vec::new(),
    };
    let bare = Arc::new(Device::new(spec, Box::new(platform)));
    let error = SnmpAgent::bind(bare, SocketAddr::from(([127, 77, 0, 11], 0)))
        .await
        .expect_err("no access, no agent");
    assert!(matches!(error, SnmpAgentError::NotConfigured { .. }));

    // A fixed port can be bound again once the agent has stopped.
    let device = device("rebind", [127, 77, 0, 12], v2c());
    let first = Running::start(&device).await;
    let addr = first.addr;
    first.stop().await;
    let again = SnmpAgent::bind(Arc::clone(&device), addr)
        .await
        .expect("address free again");
    assert_eq!(again.local_addr(), addr);
}

#[test]
fn engine_ids_are_stable_and_valid() {
    let id = engine_id_for("sw1");
    assert_eq!(id, [0x80, 0x00, 0x1f, 0x88, 4, b's', b'w', b'1']);
    let long = engine_id_for("a-very-long-device-name-beyond-27-octets");
    assert_eq!(long.len(), 5 + 16);
    assert_eq!(
        long,
        engine_id_for("a-very-long-device-name-beyond-27-octets")
    );
    assert_ne!(
        long,
        engine_id_for("a-very-long-device-name-beyond-27-octetz")
    );
    for id in [id, long, engine_id_for(""), engine_id_for("é")] {
        assert!((5..=32).contains(&id.len()));
    }
}

// ---------------------------------------------------------------------------------------
// net-snmp's tools.

/// Runs a net-snmp tool: (success, stdout, stdout + stderr). Fails the test (never skips
/// it) when the tools are missing.
async fn net_snmp(tool: &str, args: Vec<String>) -> (bool, String, String) {
    let tool = tool.to_owned();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(&tool)
            // No MIB files are needed (numeric OIDs) and none should be loaded: stable
            // output whatever is installed. No persistent state either.
            .env("MIBS", "")
            .env("MIBDIRS", "/nonexistent")
            .env("SNMPCONFPATH", "/nonexistent")
            .env(
                "SNMP_PERSISTENT_DIR",
                std::env::temp_dir().join("netparc-snmp-test"),
            )
            .args(&args)
            .output()
            .map_err(|e| (tool, e))
    })
    .await
    .expect("spawn_blocking");
    match output {
        Ok(output) => {
            let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
            let all = format!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
            (output.status.success(), stdout, all)
        }
        Err((tool, e)) => panic!(
            "cannot run net-snmp's {tool} ({e}): install net-snmp's tools \
             (`apt-get install snmp`; .ci/run does it)"
        ),
    }
}

fn common(addr: SocketAddr) -> Vec<String> {
    // -On numeric OIDs, -t/-r: patient but bounded, no retries.
    ["-On", "-t", "3", "-r", "0"]
        .iter()
        .map(|s| s.to_string())
        .chain(std::iter::once(format!("udp:{addr}")))
        .collect()
}

fn v2c_args(addr: SocketAddr, community: &str) -> Vec<String> {
    let mut args = vec!["-v2c".to_string(), "-c".into(), community.into()];
    args.extend(common(addr));
    args
}

fn net_snmp_auth(auth: SnmpAuthProtocol) -> &'static str {
    match auth {
        SnmpAuthProtocol::Md5 => "MD5",
        SnmpAuthProtocol::Sha => "SHA",
        SnmpAuthProtocol::Sha224 => "SHA-224",
        SnmpAuthProtocol::Sha256 => "SHA-256",
        SnmpAuthProtocol::Sha384 => "SHA-384",
        SnmpAuthProtocol::Sha512 => "SHA-512",
    }
}

fn net_snmp_priv(privacy: SnmpPrivProtocol) -> &'static str {
    match privacy {
        SnmpPrivProtocol::Des => "DES",
        SnmpPrivProtocol::Aes => "AES",
        SnmpPrivProtocol::Aes192 => "AES-192",
        SnmpPrivProtocol::Aes256 => "AES-256",
    }
}

fn v3_args(
    addr: SocketAddr,
    level: &str,
    auth: SnmpAuthProtocol,
    privacy: SnmpPrivProtocol,
    auth_pass: &str,
) -> Vec<String> {
    let mut args: Vec<String> = ["-v3", "-l", level, "-u", USER, "-a"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend([
        net_snmp_auth(auth).into(),
        "-A".into(),
        auth_pass.into(),
        "-x".into(),
        net_snmp_priv(privacy).into(),
        "-X".into(),
        PRIV_PASS.into(),
    ]);
    args.extend(common(addr));
    args
}

fn with(mut args: Vec<String>, more: &[&str]) -> Vec<String> {
    args.extend(more.iter().map(|s| s.to_string()));
    args
}

#[tokio::test]
async fn net_snmp_v2c_get_walk_bulkwalk() {
    let device = device("ns1", [127, 77, 0, 21], v2c());
    let agent = Running::start(&device).await;
    let args = v2c_args(agent.addr, COMMUNITY);

    let (ok, out, all) = net_snmp("snmpget", with(args.clone(), &[".1.3.6.1.2.1.1.5.0"])).await;
    assert!(ok, "{all}");
    assert_eq!(out.trim(), ".1.3.6.1.2.1.1.5.0 = STRING: \"ns1\"", "{all}");

    set_hostname(&device, "ns1-renamed");
    let (ok, out, all) = net_snmp(
        "snmpget",
        with(args.clone(), &["-Oqv", ".1.3.6.1.2.1.1.5.0"]),
    )
    .await;
    assert!(ok, "{all}");
    assert_eq!(out.trim(), "\"ns1-renamed\"", "{all}");

    let (ok, out, all) = net_snmp("snmpwalk", with(args.clone(), &[".1.3.6.1.2.1.2.2"])).await;
    assert!(ok, "{all}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 15 * 3, "{all}");
    assert!(
        lines.contains(&".1.3.6.1.2.1.2.2.1.2.3 = STRING: \"GigabitEthernet1/0/3\""),
        "{all}"
    );
    assert!(
        lines.contains(&".1.3.6.1.2.1.2.2.1.5.1 = Gauge32: 1000000000"),
        "{all}"
    );

    let (ok, out, all) = net_snmp(
        "snmpbulkwalk",
        with(args.clone(), &["-Cr25", ".1.3.6.1.2.1.31.1.1"]),
    )
    .await;
    assert!(ok, "{all}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5 * 3, "{all}");
    assert!(
        lines.contains(&".1.3.6.1.2.1.31.1.1.1.10.2 = Counter64: 4000"),
        "{all}"
    );

    // Exceptions as net-snmp prints them.
    let (_, out, all) = net_snmp(
        "snmpget",
        with(
            args.clone(),
            &[".1.3.6.1.2.1.2.2.1.2.99", ".1.3.6.1.2.1.25.1.1.0"],
        ),
    )
    .await;
    assert!(
        out.contains(".1.3.6.1.2.1.2.2.1.2.99 = No Such Instance currently exists at this OID"),
        "{all}"
    );
    assert!(
        out.contains(".1.3.6.1.2.1.25.1.1.0 = No Such Object available on this agent at this OID"),
        "{all}"
    );
    let (_, _, all) = net_snmp("snmpgetnext", with(args.clone(), &[".1.3.6.1.7"])).await;
    assert!(
        all.contains("No more variables left in this MIB View"),
        "{all}"
    );

    // A wrong community: no answer at all.
    let wrong: Vec<String> = ["-v2c", "-c", "nope", "-t", "0.3", "-r", "0"]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("udp:{}", agent.addr), ".1.3.6.1.2.1.1.5.0".into()])
        .collect();
    let (ok, _, all) = net_snmp("snmpget", wrong).await;
    assert!(!ok && all.contains("Timeout"), "{all}");
    agent.stop().await;
}

#[tokio::test]
async fn net_snmp_v3_auth_priv_get_walk_bulkwalk() {
    let device = device("ns2", [127, 77, 0, 22], v3_default());
    let agent = Running::start(&device).await;
    let args = v3_args(
        agent.addr,
        "authPriv",
        SnmpAuthProtocol::Sha256,
        SnmpPrivProtocol::Aes,
        AUTH_PASS,
    );

    let (ok, out, all) = net_snmp("snmpget", with(args.clone(), &[".1.3.6.1.2.1.1.5.0"])).await;
    assert!(ok, "{all}");
    assert_eq!(out.trim(), ".1.3.6.1.2.1.1.5.0 = STRING: \"ns2\"", "{all}");

    let (ok, out, all) = net_snmp("snmpwalk", with(args.clone(), &[".1.3.6.1.2.1.1"])).await;
    assert!(ok, "{all}");
    assert_eq!(out.lines().count(), 7, "{all}");
    assert!(
        out.contains(".1.3.6.1.2.1.1.2.0 = OID: .1.3.6.1.4.1.9.1.2134"),
        "{all}"
    );

    let (ok, out, all) = net_snmp(
        "snmpbulkwalk",
        with(args.clone(), &[".1.3.6.1.2.1.47.1.1.1.1"]),
    )
    .await;
    assert!(ok, "{all}");
    assert!(
        out.contains(".1.3.6.1.2.1.47.1.1.1.1.11.1 = STRING: \"FOC1234X0AB\""),
        "{all}"
    );
    assert!(
        out.contains(".1.3.6.1.2.1.47.1.1.1.1.5.1 = INTEGER: 3"),
        "{all}"
    );

    // The engine id net-snmp discovers is the one derived from the name.
    let (ok, out, all) = net_snmp(
        "snmpget",
        with(args.clone(), &["-Oqv", ".1.3.6.1.6.3.10.2.1.1.0"]),
    )
    .await;
    assert!(ok, "{all}");
    assert_eq!(
        out.split_whitespace()
            .collect::<String>()
            .trim_matches('"')
            .to_lowercase(),
        "80001f88046e7332",
        "{all}"
    );

    // Wrong passphrase: net-snmp reports the authentication failure (usmStatsWrongDigests).
    let wrong = v3_args(
        agent.addr,
        "authPriv",
        SnmpAuthProtocol::Sha256,
        SnmpPrivProtocol::Aes,
        "wrong-passphrase",
    );
    let (ok, _, all) = net_snmp("snmpget", with(wrong, &[".1.3.6.1.2.1.1.5.0"])).await;
    assert!(!ok && all.contains("Authentication failure"), "{all}");

    // noAuthNoPriv naming the user: refused, no data.
    let mut no_auth: Vec<String> = ["-v3", "-l", "noAuthNoPriv", "-u", USER]
        .iter()
        .map(|s| s.to_string())
        .collect();
    no_auth.extend(common(agent.addr));
    let (ok, out, all) = net_snmp("snmpget", with(no_auth, &[".1.3.6.1.2.1.1.5.0"])).await;
    assert!(
        !ok && !out.contains("STRING") && all.contains("authorizationError"),
        "{all}"
    );

    // After a reboot, snmpEngineBoots shows it.
    device.reboot();
    let (ok, out, all) = net_snmp(
        "snmpget",
        with(args.clone(), &["-Oqv", ".1.3.6.1.6.3.10.2.1.2.0"]),
    )
    .await;
    assert!(ok, "{all}");
    assert_eq!(out.trim(), "2", "{all}");
    agent.stop().await;
}

#[tokio::test]
async fn net_snmp_every_auth_and_privacy_protocol() {
    let auths = [
        SnmpAuthProtocol::Md5,
        SnmpAuthProtocol::Sha,
        SnmpAuthProtocol::Sha224,
        SnmpAuthProtocol::Sha256,
        SnmpAuthProtocol::Sha384,
        SnmpAuthProtocol::Sha512,
    ];
    let privs = [
        SnmpPrivProtocol::Des,
        SnmpPrivProtocol::Aes,
        SnmpPrivProtocol::Aes192,
        SnmpPrivProtocol::Aes256,
    ];
    let mut n = 0u8;
    for auth in auths {
        for privacy in privs {
            n += 1;
            let name = format!("p{n}");
            let device = device(&name, [127, 77, 2, n], v3(auth, privacy));
            let agent = Running::start(&device).await;
            let args = v3_args(agent.addr, "authPriv", auth, privacy, AUTH_PASS);
            let (ok, out, all) =
                net_snmp("snmpget", with(args, &["-Oqv", ".1.3.6.1.2.1.1.5.0"])).await;
            assert!(ok, "{auth:?}/{privacy:?}: {all}");
            assert_eq!(out.trim(), format!("\"{name}\""), "{auth:?}/{privacy:?}");
            agent.stop().await;
        }
    }
}

// ---------------------------------------------------------------------------------------
// Scale. Each in its own process, for a clean RSS baseline:
//   cargo test --release --lib lab::snmp::tests::scale_1000_v2c -- --ignored --nocapture
//   cargo test --release --lib lab::snmp::tests::scale_1000_v3 -- --ignored --nocapture

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement: 1,000 v2c agents; run alone with --ignored --nocapture"]
async fn scale_1000_v2c() {
    scale(v2c(), "v2c").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement: 1,000 v3 agents; run alone with --ignored --nocapture"]
async fn scale_1000_v3() {
    scale(v3_default(), "v3 SHA-256/AES-128").await;
}

/// Starts 1,000 agents on 127.78.x.y, then asks each for sysName once (so each also holds a
/// relay), printing start time and RSS growth.
async fn scale(access: SnmpAccess, label: &str) {
    let before = rss_kib();
    let started = Instant::now();
    let mut agents = Vec::new();
    for i in 0..1000u32 {
        let ip = [127, 78, (i / 250) as u8, (i % 250) as u8 + 1];
        let device = device(&format!("scale{i}"), ip, access.clone());
        agents.push((Running::start(&device).await, device));
    }
    let elapsed = started.elapsed();
    let after_start = rss_kib();

    // One client for all (as a poller would): v3 discovery per agent, keys derived once.
    let transport = async_snmp::UdpTransport::bind("127.78.255.1:0")
        .await
        .expect("client transport");
    let asked = Instant::now();
    for (agent, device) in &agents {
        let builder = match &access {
            SnmpAccess::V2c { .. } => Client::builder(agent.addr, Auth::v2c(COMMUNITY)),
            SnmpAccess::V3 {
                auth,
                auth_password,
                privacy,
                priv_password,
                ..
            } => Client::builder(
                agent.addr,
                UsmConfig::new(USER)
                    .with_master_keys(
                        master_keys(*auth, auth_password, *privacy, priv_password).expect("keys"),
                    )
                    .expect("usm"),
            ),
        };
        let client = builder
            .request_timeout(PATIENT)
            .retry(Retry::none())
            .build_with(&transport)
            .await
            .expect("client");
        let name = get(&client, SYS_NAME).await.expect("get");
        assert_eq!(string(&name), device.spec.name);
    }
    let asked = asked.elapsed();
    let after_use = rss_kib();
    println!(
        "{label}: 1000 agents started in {:.3} s, RSS +{} KiB ({} B/agent); \
         one get each in {:.2} s, then RSS +{} KiB ({} B/agent)",
        elapsed.as_secs_f64(),
        after_start.saturating_sub(before),
        after_start.saturating_sub(before) * 1024 / 1000,
        asked.as_secs_f64(),
        after_use.saturating_sub(before),
        after_use.saturating_sub(before) * 1024 / 1000,
    );
    let stopping = Instant::now();
    for (agent, _) in agents {
        agent.stop().await;
    }
    println!(
        "{label}: stopped in {:.3} s",
        stopping.elapsed().as_secs_f64()
    );
}
