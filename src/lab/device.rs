//! One twin device: what it is (`DeviceSpec`, fixed at start), what it is now
//! (`DeviceState`, behind a lock shared by its SSH sessions, its SNMP agent and the fault
//! controls), and the two interfaces a simulated platform implements: its state
//! (`PlatformState`) and its command line (`CliSession`). A new simulated platform is one
//! new file implementing both, plus one line in `platform_for`.
//!
//! What survives a power cut (an IOS startup configuration, a Linux disk's `/etc`) is a
//! platform's choice: [`PlatformState::persisted`] and [`PlatformState::boot_from`] turn it
//! into bytes and back. The bytes go through a [`SaveSink`] the lab hands the device, so
//! platforms never do I/O themselves.

use crate::inventory::AssetKind;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Which simulated platform a twin runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// IOS-style CLI: switches and access points (`platform: ios`).
    Ios,
    /// Linux shell: VPN gateways, Linux access points (`platform: linux`).
    Linux,
    /// An end device (workstation, printer): answers ping when its port allows, nothing else.
    Host,
}

/// SNMP access the twin's agent grants (from the inventory's effective SNMP profile).
#[derive(Debug, Clone)]
pub enum SnmpAccess {
    /// v2c with this community.
    V2c {
        /// The community.
        community: String,
    },
    /// v3 USM user with authentication and privacy.
    V3 {
        /// User name.
        user: String,
        /// Authentication protocol.
        auth: crate::inventory::SnmpAuthProtocol,
        /// Authentication passphrase.
        auth_password: String,
        /// Privacy protocol.
        privacy: crate::inventory::SnmpPrivProtocol,
        /// Privacy passphrase.
        priv_password: String,
    },
}

/// A hardware port of the twin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec {
    /// Full interface name (`GigabitEthernet1/0/12`).
    pub name: String,
    /// Nominal speed in Mbit/s (ifHighSpeed).
    pub speed_mbps: u32,
}

/// What a twin is: fixed for its lifetime (taken from the inventory at start).
#[derive(Debug, Clone)]
pub struct DeviceSpec {
    /// Asset name.
    pub name: String,
    /// Asset kind.
    pub kind: AssetKind,
    /// Simulated platform.
    pub platform: Platform,
    /// The twin's loopback address (where its SSH and SNMP listen).
    pub address: IpAddr,
    /// The address the inventory gives the real device (shown, never contacted).
    pub real_address: Option<IpAddr>,
    /// Hardware model (show version, show inventory, sysDescr).
    pub model: String,
    /// Serial number (show inventory, ENTITY-MIB).
    pub serial: String,
    /// Login user.
    pub username: String,
    /// Login password (cleartext: the twin checks it like a device would).
    pub password: String,
    /// Privileged-mode secret, for `enable`.
    pub enable_secret: Option<String>,
    /// OpenSSH-format public keys accepted for public-key authentication.
    pub authorized_keys: Vec<String>,
    /// SNMP access, when the inventory gives the asset an SNMP profile.
    pub snmp: Option<SnmpAccess>,
    /// sysContact.
    pub contact: String,
    /// sysLocation.
    pub location: String,
    /// Hardware ports, in order (ifIndex = position + 1 for IOS-style devices).
    pub ports: Vec<PortSpec>,
    /// Management VLAN id, for the factory configuration's SVI.
    pub management_vlan: Option<u32>,
    /// Management address with prefix length, for the factory configuration's SVI.
    pub management_prefix: Option<(IpAddr, u8)>,
}

/// Faults a test or `netparc lab fault` can switch on. All off by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Nothing answers: SSH and SNMP drop everything (and ping, where namespaces allow).
    pub down: bool,
    /// SSH connections are refused.
    pub ssh_refused: bool,
    /// SSH connections are accepted and never answered (a stuck daemon, a firewall that
    /// drops what it lets through).
    pub ssh_hang: bool,
    /// Every authentication attempt fails.
    pub auth_failure: bool,
    /// Each CLI line is answered after this delay.
    pub slow_cli: Option<Duration>,
    /// The SSH connection is dropped after this many configuration lines.
    pub drop_after_config_lines: Option<u32>,
    /// SNMP requests are not answered.
    pub snmp_timeout: bool,
    /// sysName is reported as this instead of the hostname.
    pub wrong_sysname: Option<String>,
    /// These interfaces are operationally down whatever their configuration.
    pub interfaces_down: Vec<String>,
    /// `write memory` is refused as an unknown command, as on platforms that only know
    /// `copy running-config startup-config`.
    pub no_write_memory: bool,
    /// The SSH server offers only what IOS 15 offers (SHA-1 Diffie-Hellman, CBC, HMAC-SHA1).
    pub legacy_ssh: bool,
}

/// Facts every platform exposes, for its SNMP agent and for verification.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceFacts {
    /// sysDescr.
    pub descr: String,
    /// sysObjectID, dotted.
    pub object_id: String,
    /// sysName (the configured hostname).
    pub name: String,
    /// sysContact.
    pub contact: String,
    /// sysLocation.
    pub location: String,
    /// ENTITY-MIB entPhysicalSerialNum of the chassis.
    pub serial: String,
    /// Interfaces, in ifIndex order.
    pub interfaces: Vec<InterfaceFacts>,
}

/// One row of IF-MIB's ifTable/ifXTable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InterfaceFacts {
    /// ifIndex.
    pub index: u32,
    /// ifDescr / ifName (full name).
    pub name: String,
    /// ifAlias (the configured description).
    pub alias: String,
    /// ifAdminStatus up (not `shutdown`).
    pub admin_up: bool,
    /// ifOperStatus up.
    pub oper_up: bool,
    /// ifHighSpeed, Mbit/s.
    pub speed_mbps: u32,
    /// ifType (6 ethernetCsmacd, 53 propVirtual, 24 softwareLoopback, 131 tunnel).
    pub if_type: u32,
    /// ifHCInOctets.
    pub in_octets: u64,
    /// ifHCOutOctets.
    pub out_octets: u64,
}

/// The state of a simulated platform. Implemented once per platform.
pub trait PlatformState: Send {
    /// The facts SNMP and verification read, computed from the live state.
    fn facts(&self, spec: &DeviceSpec) -> DeviceFacts;
    /// A reload: unsaved configuration is lost, the saved one becomes the running one.
    fn reboot(&mut self, spec: &DeviceSpec);
    /// What this device keeps across a power cut, as bytes the lab stores (the IOS startup
    /// configuration, the Linux files under `/etc` that differ from the factory), or `None`
    /// when the platform keeps nothing. Called after every command, so it must be cheap
    /// enough for that and deterministic: the lab writes only when the bytes change.
    fn persisted(&self) -> Option<Vec<u8>> {
        None
    }
    /// Boot from bytes [`PlatformState::persisted`] once returned (on another run, maybe by
    /// another version): the device comes up as after a reload with that saved state. On
    /// error the state must be left as it was (the lab then keeps the factory twin); the
    /// default refuses, so a platform that keeps nothing never half-applies a file.
    fn boot_from(&mut self, saved: &[u8], spec: &DeviceSpec) -> Result<(), String> {
        let _ = (saved, spec);
        Err(String::from("this platform keeps no saved state"))
    }
    /// Let the platform downcast itself (tests and end-device reachability read details).
    fn as_any(&self) -> &dyn std::any::Any;
    /// Mutable downcast.
    fn as_any_mut(&mut self) -> &mut dyn std::any::Any;
}

/// Where a device's persisted bytes go (the lab's state folder). Blocking: the device calls
/// it from a blocking thread, never from the async runtime's workers.
pub trait SaveSink: Send + Sync {
    /// Store `saved` durably for `spec`'s device, replacing what was stored before.
    fn store(&self, spec: &DeviceSpec, saved: &[u8]) -> Result<(), String>;
    /// Record that the device booted at `unix_millis`, its `boots`-th boot.
    fn store_boot(&self, spec: &DeviceSpec, unix_millis: u64, boots: u32) -> Result<(), String> {
        let _ = (spec, unix_millis, boots);
        Ok(())
    }
}

/// The sink and what it last stored, for one device.
struct Saving {
    sink: std::sync::Arc<dyn SaveSink>,
    /// What the sink holds now (or what the device booted with): a command that leaves the
    /// persisted bytes as they are writes nothing. The async lock orders the writes of
    /// concurrent sessions, so an older state never lands after a newer one.
    stored: tokio::sync::Mutex<Option<Vec<u8>>>,
}

/// Milliseconds since the UNIX epoch (0 if the clock is before it).
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// What a twin is now.
pub struct DeviceState {
    /// The platform's own state (configuration, files…).
    pub platform: Box<dyn PlatformState>,
    /// When the device last booted (sysUpTime counts from here).
    pub booted: Instant,
    /// How many times it booted (SNMPv3 engine boots).
    pub boots: u32,
    /// Faults in effect.
    pub faults: Faults,
}

/// One twin device.
pub struct Device {
    /// What it is.
    pub spec: DeviceSpec,
    state: Mutex<DeviceState>,
    /// Woken after anything that may change what the device looks like from outside (a CLI
    /// line, a fault, a reboot): the lab re-evaluates reachability then.
    on_change: std::sync::OnceLock<std::sync::Arc<tokio::sync::Notify>>,
    /// Where what the device keeps across runs goes (set once, by the lab; none in tests
    /// that build a device by hand).
    saving: std::sync::OnceLock<Saving>,
}

impl Device {
    /// A device in the given platform state, just booted.
    pub fn new(spec: DeviceSpec, platform: Box<dyn PlatformState>) -> Device {
        Device {
            spec,
            state: Mutex::new(DeviceState {
                platform,
                booted: Instant::now(),
                boots: 1,
                faults: Faults::default(),
            }),
            on_change: std::sync::OnceLock::new(),
            saving: std::sync::OnceLock::new(),
        }
    }

    /// Store what the device persists through `sink` whenever it changes; `stored` is what
    /// the sink already holds, or what the device booted with (set once, by the lab).
    pub fn save_to(&self, sink: std::sync::Arc<dyn SaveSink>, stored: Option<Vec<u8>>) {
        let _ = self.saving.set(Saving {
            sink,
            stored: tokio::sync::Mutex::new(stored),
        });
    }

    /// After a command: if what the platform persists changed, store it before the command's
    /// output is sent, so a `write memory` the client saw succeed survives the lab process
    /// being killed. When nothing changed it costs `persisted` and one comparison, no I/O.
    /// A failed write is logged and retried after the next command (the twin keeps running,
    /// as a device with a full flash would).
    pub async fn sync_saved(self: &std::sync::Arc<Self>) {
        let Some(saving) = self.saving.get() else {
            return;
        };
        let mut stored = saving.stored.lock().await;
        let Some(now) = self.state().platform.persisted() else {
            return;
        };
        if stored.as_deref() == Some(now.as_slice()) {
            return;
        }
        let sink = saving.sink.clone();
        let device = self.clone();
        let bytes = now.clone();
        let written = tokio::task::spawn_blocking(move || sink.store(&device.spec, &bytes)).await;
        match written {
            Ok(Ok(())) => *stored = Some(now),
            Ok(Err(error)) => {
                tracing::warn!(device = %self.spec.name, %error, "saved state not written");
            }
            Err(error) => {
                tracing::warn!(device = %self.spec.name, %error, "saved state not written");
            }
        }
    }

    /// Wake `notify` after every change (set once, by the lab).
    pub fn watch_changes(&self, notify: std::sync::Arc<tokio::sync::Notify>) {
        let _ = self.on_change.set(notify);
    }

    /// Tell the watcher something changed (a stored permit: no change is missed while the
    /// watcher is busy).
    pub fn notify_changed(&self) {
        if let Some(notify) = self.on_change.get() {
            notify.notify_one();
        }
    }

    /// Lock the state. A poisoned lock (a panicking session) still yields the state: one
    /// broken session must not take the twin down with it.
    pub fn state(&self) -> MutexGuard<'_, DeviceState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The live facts, with faults applied (wrong sysName, interfaces forced down).
    pub fn facts(&self) -> DeviceFacts {
        let state = self.state();
        let mut facts = state.platform.facts(&self.spec);
        if let Some(name) = &state.faults.wrong_sysname {
            facts.name = name.clone();
        }
        for interface in &mut facts.interfaces {
            if state
                .faults
                .interfaces_down
                .iter()
                .any(|n| n == &interface.name)
            {
                interface.oper_up = false;
            }
        }
        facts
    }

    /// Hundredths of a second since boot (sysUpTime).
    pub fn uptime_ticks(&self) -> u32 {
        let elapsed = self.state().booted.elapsed();
        (elapsed.as_millis() / 10).min(u128::from(u32::MAX)) as u32
    }

    /// Reload the device: uptime restarts, unsaved configuration is lost.
    pub fn reboot(&self) {
        let boots = {
            let mut state = self.state();
            state.platform.reboot(&self.spec);
            state.booted = Instant::now();
            state.boots += 1;
            state.boots
        };
        if let Some(saving) = self.saving.get()
            && let Err(error) = saving.sink.store_boot(&self.spec, unix_now(), boots)
        {
            tracing::warn!(device = %self.spec.name, %error, "boot time not recorded");
        }
        self.notify_changed();
    }

    /// Carry on from a boot recorded by an earlier lab run (`unix_millis`, `boots`), as a
    /// device that kept running; or record now as this twin's boot when there is none (or
    /// it lies in the future).
    pub fn resume_boot(&self, recorded: Option<(u64, u32)>) {
        let now = unix_now();
        let resumed = recorded.and_then(|(at, boots)| {
            let ago = std::time::Duration::from_millis(now.checked_sub(at)?);
            Some((Instant::now().checked_sub(ago)?, boots))
        });
        match resumed {
            Some((booted, boots)) => {
                let mut state = self.state();
                state.booted = booted;
                state.boots = boots.max(1);
            }
            None => {
                let boots = self.state().boots;
                if let Some(saving) = self.saving.get() {
                    let _ = saving.sink.store_boot(&self.spec, now, boots);
                }
            }
        }
    }

    /// Current faults.
    pub fn faults(&self) -> Faults {
        self.state().faults.clone()
    }

    /// Change the faults.
    pub fn set_faults(&self, change: impl FnOnce(&mut Faults)) {
        change(&mut self.state().faults);
        self.notify_changed();
    }
}

/// What a line typed at a CLI produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CliOutput {
    /// Text to print before the next prompt (lines end with `\n`; the SSH layer turns them
    /// into `\r\n`).
    pub text: String,
    /// The session ends (`exit` at the top level, `reload`).
    pub close: bool,
    /// The device reloads after this output is sent (the SSH layer drops the connection).
    pub reload: bool,
}

/// What a command run over an exec channel produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecOutput {
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error.
    pub stderr: Vec<u8>,
    /// Exit status.
    pub status: u32,
}

/// One interactive session on a twin's command line: its mode and context (privileged or
/// not, inside which `interface`…). The SSH layer owns echo, line editing, paging and the
/// connection; the session owns meaning. Implemented once per platform.
pub trait CliSession: Send {
    /// Text sent when the session opens (banner, MOTD), before the first prompt.
    fn greeting(&mut self, device: &Device) -> String;
    /// The prompt to show now (`sw1#`, `sw1(config-if)#`, `root@gw:~# `).
    fn prompt(&self, device: &Device) -> String;
    /// Run one line typed at the prompt.
    fn execute(&mut self, device: &Device, line: &str) -> CliOutput;
    /// Lines per page for `--More--` paging (0 = no paging); `terminal length` sets it.
    fn page_length(&self) -> usize;
    /// True while the session waits for a secret (`enable`'s `Password:`): no echo.
    fn hides_input(&self) -> bool {
        false
    }
    /// Run a command over an exec channel (no PTY, no prompt), e.g. `show version` or a
    /// shell command line; the default runs it as a line in a fresh session context.
    fn exec(&mut self, device: &Device, command: &str) -> ExecOutput {
        let output = self.execute(device, command);
        ExecOutput {
            stdout: output.text.into_bytes(),
            stderr: Vec::new(),
            status: 0,
        }
    }
}
