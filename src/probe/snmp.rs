//! SNMP polling through async-snmp: v1/v2c communities and v3 USM (MD5, SHA-1, SHA-2 auth;
//! DES, AES priv; engine discovery), timeouts and retries per profile. Reads the facts
//! verification needs — the system group, the interfaces (IF-MIB ifTable and ifXTable
//! columns, by GETBULK-based walks) and the chassis serial (ENTITY-MIB) — and reports
//! them, or why there are none, in words a technician can act on.
//!
//! Every poll goes through one UDP socket per address family, shared by all agents
//! (async-snmp correlates answers by request id). Not a socket per poll: async-snmp binds
//! client sockets with SO_REUSEADDR, and Linux may then hand two of a thousand concurrent
//! sockets the same ephemeral port — one of them loses its answer (measured: 1–5 % of a
//! 1,000-agent poll timed out). When a poll times out while the shared socket received
//! datagrams that answered nothing (malformed, or matching no request), the poll is
//! repeated once on a socket of its own, whose counters then tell a silent device from one
//! that answers garbage. SNMPv3 key derivation (a megabyte hashed per passphrase) is done
//! once per set of credentials and discovered engines are shared through one
//! [`EngineCache`].
//!
//! A wrong v3 passphrase draws an unauthenticated usmStats report from the agent. By
//! default async-snmp discards those (they could be spoofed) and the poll would time out;
//! netparc accepts them (`allow_unauthenticated_v3_time_correction`) so that "authentication
//! failed" is reported in a millisecond, distinct from a timeout. A spoofed report can only
//! make a poll fail, which someone able to inject packets could do by dropping them anyway.

use super::{Probe, ProbeTarget};
use crate::inventory::{
    Asset, Inventory, Located, SnmpAuthProtocol, SnmpPrivProtocol, SnmpVersion, vars,
};
use crate::secrets::{Secret, SecretResolver};
use async_snmp::v3::ReportStatus;
use async_snmp::{
    Auth, Client, DesSaltState, EngineCache, Error as SnmpLibError, ErrorStatus, MasterKeys, Oid,
    PersistedDesSaltState, Retry, UdpClient, UdpStats, UdpTransport, UsmConfig, Value, VarBind,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The system group (1.3.6.1.2.1.1.x.0), in the order of [`SystemFacts`].
const SYS_DESCR: [u32; 9] = [1, 3, 6, 1, 2, 1, 1, 1, 0];
const SYS_OBJECT_ID: [u32; 9] = [1, 3, 6, 1, 2, 1, 1, 2, 0];
const SYS_UPTIME: [u32; 9] = [1, 3, 6, 1, 2, 1, 1, 3, 0];
const SYS_CONTACT: [u32; 9] = [1, 3, 6, 1, 2, 1, 1, 4, 0];
const SYS_NAME: [u32; 9] = [1, 3, 6, 1, 2, 1, 1, 5, 0];
const SYS_LOCATION: [u32; 9] = [1, 3, 6, 1, 2, 1, 1, 6, 0];

/// IF-MIB columns read per interface.
const IF_DESCR: [u32; 10] = [1, 3, 6, 1, 2, 1, 2, 2, 1, 2];
const IF_SPEED: [u32; 10] = [1, 3, 6, 1, 2, 1, 2, 2, 1, 5];
const IF_ADMIN_STATUS: [u32; 10] = [1, 3, 6, 1, 2, 1, 2, 2, 1, 7];
const IF_OPER_STATUS: [u32; 10] = [1, 3, 6, 1, 2, 1, 2, 2, 1, 8];
const IF_NAME: [u32; 11] = [1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1];
const IF_HIGH_SPEED: [u32; 11] = [1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 15];
const IF_ALIAS: [u32; 11] = [1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18];
/// ENTITY-MIB entPhysicalSerialNum.
const ENT_SERIAL: [u32; 12] = [1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 11];

/// Rows asked per GETBULK: a 48-port switch's column in two or three requests, while an
/// answer stays under the 1472-octet message size clients advertise.
const MAX_REPETITIONS: u32 = 24;

/// Default wait for one answer, when the profile sets none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
/// Default retries after a timeout, when the profile sets none.
pub const DEFAULT_RETRIES: u32 = 1;

/// How to speak SNMP to one device: the inventory's profile with its secrets resolved.
/// `Debug` shows no secret (`Secret` redacts itself).
#[derive(Debug, Clone)]
pub struct SnmpSettings {
    /// Version and credentials.
    pub credentials: SnmpCredentials,
    /// Wait for one answer.
    pub timeout: Duration,
    /// Retries after a timeout.
    pub retries: u32,
}

/// Version and credentials.
#[derive(Debug, Clone)]
pub enum SnmpCredentials {
    /// SNMPv1 with a community.
    V1 {
        /// The community.
        community: Secret,
    },
    /// SNMPv2c with a community.
    V2c {
        /// The community.
        community: Secret,
    },
    /// SNMPv3 USM, authPriv.
    V3 {
        /// The user name (not a secret).
        user: String,
        /// Authentication protocol.
        auth: SnmpAuthProtocol,
        /// Authentication passphrase.
        auth_password: Secret,
        /// Privacy protocol.
        privacy: SnmpPrivProtocol,
        /// Privacy passphrase.
        priv_password: Secret,
    },
}

impl SnmpSettings {
    /// The settings of `asset` from its effective SNMP profile (asset, groups, defaults),
    /// secrets resolved; None when it has no profile. Defaults match the twin lab's: SHA-256
    /// and AES-128 when a v3 profile names no protocol, user `netparc`.
    pub fn for_asset(
        inventory: &Inventory,
        asset: &Located<Asset>,
        resolver: &SecretResolver,
    ) -> Result<Option<SnmpSettings>, crate::diag::Diagnostic> {
        let Some(profile) = vars::snmp(inventory, asset) else {
            return Ok(None);
        };
        let p = profile.value;
        let name = &asset.value.name;
        let secret = |reference: &Option<crate::secrets::SecretRef>, field: &str| {
            let reference = reference.as_ref().ok_or_else(|| {
                crate::diag::Diagnostic::error(
                    "probe.snmp-incomplete",
                    format!("the SNMP profile of `{name}` has no `{field}`"),
                )
                .asset(name)
                .field(format!("snmp.{field}"))
            })?;
            resolver
                .resolve(reference)
                .map_err(|e| e.to_diagnostic().asset(name).field(format!("snmp.{field}")))
        };
        let credentials = match p.version {
            SnmpVersion::V1 => SnmpCredentials::V1 {
                community: secret(&p.community, "community")?,
            },
            SnmpVersion::V2c => SnmpCredentials::V2c {
                community: secret(&p.community, "community")?,
            },
            SnmpVersion::V3 => SnmpCredentials::V3 {
                user: p.user.clone().unwrap_or_else(|| String::from("netparc")),
                auth: p.auth.unwrap_or(SnmpAuthProtocol::Sha256),
                auth_password: secret(&p.auth_password, "auth_password")?,
                privacy: p.privacy.unwrap_or(SnmpPrivProtocol::Aes),
                priv_password: secret(&p.priv_password, "priv_password")?,
            },
        };
        Ok(Some(SnmpSettings {
            credentials,
            timeout: p.timeout_ms.map_or(DEFAULT_TIMEOUT, Duration::from_millis),
            retries: p.retries.unwrap_or(DEFAULT_RETRIES),
        }))
    }

    fn is_v3(&self) -> bool {
        matches!(self.credentials, SnmpCredentials::V3 { .. })
    }
}

/// sysDescr, sysObjectID, sysUpTime, sysContact, sysName, sysLocation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SystemFacts {
    /// sysDescr.
    pub descr: String,
    /// sysObjectID, dotted.
    pub object_id: String,
    /// sysUpTime, hundredths of a second since the agent started.
    pub uptime_ticks: u32,
    /// sysContact.
    pub contact: String,
    /// sysName.
    pub name: String,
    /// sysLocation.
    pub location: String,
}

/// One interface as IF-MIB reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InterfaceFact {
    /// ifIndex.
    pub index: u32,
    /// ifName (ifXTable), else ifDescr.
    pub name: String,
    /// ifDescr.
    pub descr: String,
    /// ifAlias (the configured description).
    pub alias: String,
    /// ifAdminStatus: up, down, testing.
    pub admin_status: String,
    /// ifOperStatus: up, down, testing, unknown, dormant, notPresent, lowerLayerDown.
    pub oper_status: String,
    /// ifHighSpeed, else ifSpeed / 10⁶, Mbit/s.
    pub speed_mbps: Option<u64>,
}

impl InterfaceFact {
    /// Operationally up.
    pub fn is_up(&self) -> bool {
        self.oper_status == "up"
    }
}

/// Everything one SNMP poll read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SnmpFacts {
    /// The system group.
    pub system: SystemFacts,
    /// Interfaces, by ifIndex.
    pub interfaces: Vec<InterfaceFact>,
    /// The first non-empty entPhysicalSerialNum (the chassis on common devices).
    pub serial: Option<String>,
}

/// Why a poll produced no facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SnmpError {
    /// No usable answer within the timeout and retries.
    #[error("{}", timeout_message(address, *timeout_ms, *retries, *malformed, *unmatched, *community))]
    Timeout {
        /// The agent.
        address: SocketAddr,
        /// Wait per attempt.
        timeout_ms: u64,
        /// Retries made.
        retries: u32,
        /// Datagrams that came back but are not SNMP (malformed, truncated).
        malformed: u64,
        /// Answers that matched no request (wrong request id, community or source).
        unmatched: u64,
        /// A community was used (v1/v2c: agents drop a wrong community silently).
        community: bool,
    },
    /// The agent refused the v3 credentials.
    #[error("SNMP authentication failed at {address}: {reason}")]
    AuthFailed {
        /// The agent.
        address: SocketAddr,
        /// Which part was wrong, in words.
        reason: String,
    },
    /// Nothing listens on the SNMP port (ICMP port unreachable), or the network refused.
    #[error("SNMP request to {address} failed: {reason}")]
    Network {
        /// The agent.
        address: SocketAddr,
        /// The system's reason.
        reason: String,
    },
    /// The agent answered with an error, or an answer that does not fit the request.
    #[error("SNMP agent {address} answered with an error: {reason}")]
    Protocol {
        /// The agent.
        address: SocketAddr,
        /// What was wrong.
        reason: String,
    },
    /// The credentials cannot be used (e.g. a passphrase under 8 characters).
    #[error("SNMP settings for {address} are unusable: {reason}")]
    Config {
        /// The agent.
        address: SocketAddr,
        /// What async-snmp refused (never the secret itself).
        reason: String,
    },
}

fn timeout_message(
    address: &SocketAddr,
    timeout_ms: u64,
    retries: u32,
    malformed: u64,
    unmatched: u64,
    community: bool,
) -> String {
    let mut text = format!(
        "SNMP timeout: no valid answer from {address} within {timeout_ms} ms ({retries} \
         retries)"
    );
    if malformed > 0 {
        text.push_str(&format!(
            "; {malformed} datagram(s) came back that are not valid SNMP (malformed or \
             truncated)"
        ));
    }
    if unmatched > 0 {
        text.push_str(&format!(
            "; {unmatched} answer(s) matched no request sent (wrong request id, community \
             or source)"
        ));
    }
    if malformed == 0 && unmatched == 0 {
        text.push_str(if community {
            ": the device is down, filtered, or the community is wrong (agents drop a \
             wrong community silently)"
        } else {
            ": the device is down or filtered (not even engine discovery was answered)"
        });
    }
    text
}

impl SnmpError {
    /// A short stable name: `timeout`, `auth_failed`, `network`, `protocol`, `config`.
    pub fn kind(&self) -> &'static str {
        match self {
            SnmpError::Timeout { .. } => "timeout",
            SnmpError::AuthFailed { .. } => "auth_failed",
            SnmpError::Network { .. } => "network",
            SnmpError::Protocol { .. } => "protocol",
            SnmpError::Config { .. } => "config",
        }
    }
}

/// Credentials whose master keys were derived: (user, auth, auth pass, priv, priv pass).
type KeyCacheEntry = (
    (SnmpAuthProtocol, String, SnmpPrivProtocol, String),
    MasterKeys,
);

/// The SNMP prober: shared engine discovery and derived keys; cheap to clone.
#[derive(Clone, Default)]
pub struct SnmpProbe {
    engines: Arc<EngineCache>,
    /// Master keys per set of v3 credentials, derived once per run (in memory only).
    keys: Arc<Mutex<Vec<KeyCacheEntry>>>,
    /// DES salt state shared by every DES sender of this process (see [`des_salt_state`]).
    des: Arc<std::sync::OnceLock<Result<DesSaltState, String>>>,
    /// One UDP socket per address family shared by every poll (see the module doc).
    v4: Arc<tokio::sync::OnceCell<UdpTransport>>,
    v6: Arc<tokio::sync::OnceCell<UdpTransport>>,
}

/// Receive buffer of the shared sockets: a thousand answers arriving at once (~300 octets
/// each) overflow the kernel's default ~208 KB.
const SHARED_RECEIVE_BUFFER: usize = 8 * 1024 * 1024;

/// DES privacy needs a salt that never repeats under one key. async-snmp builds it from a
/// "boots" epoch and a counter, and wants the epoch kept durably. A poller keeps no state
/// between runs, so the epoch is the number of seconds since 2020-01-01 when the process
/// first uses DES: later runs start from a larger epoch, and within a run the counter
/// advances. Two processes starting DES in the same second could repeat salts; DES is
/// legacy (the audit flags it) and this is the documented limit.
fn des_salt_state() -> Result<DesSaltState, String> {
    const EPOCH_2020: u64 = 1_577_836_800;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let epoch = u32::try_from(now.saturating_sub(EPOCH_2020)).unwrap_or(u32::MAX / 2);
    PersistedDesSaltState::new(epoch.max(1))
        .and_then(|previous| DesSaltState::restart(previous, |_| Ok::<(), Infallible>(())))
        .map_err(|e| e.to_string())
}

impl SnmpProbe {
    /// A prober with empty caches.
    pub fn new() -> SnmpProbe {
        SnmpProbe::default()
    }

    /// A session to one agent: the primitive operations (get, getnext, bulk walk) with
    /// errors in netparc's terms. It uses the shared socket of the address family.
    pub async fn session(
        &self,
        address: SocketAddr,
        settings: &SnmpSettings,
    ) -> Result<SnmpSession, SnmpError> {
        self.open(address, settings, false).await
    }

    /// The shared socket for `address`'s family, bound on first use.
    async fn transport(&self, address: SocketAddr) -> Result<&UdpTransport, SnmpError> {
        let (cell, bind) = if address.is_ipv4() {
            (&self.v4, "0.0.0.0:0")
        } else {
            (&self.v6, "[::]:0")
        };
        cell.get_or_try_init(|| async move {
            UdpTransport::builder()
                .bind(bind)
                .recv_buffer_size(SHARED_RECEIVE_BUFFER)
                // Agents on several addresses (loopback twins, multihomed devices) answer
                // from the address asked: no warning per answer.
                .warn_on_source_mismatch(false)
                .build()
                .await
        })
        .await
        .map_err(|e| SnmpError::Network {
            address,
            reason: format!("cannot open the SNMP socket: {e}"),
        })
    }

    async fn open(
        &self,
        address: SocketAddr,
        settings: &SnmpSettings,
        dedicated: bool,
    ) -> Result<SnmpSession, SnmpError> {
        let config_error = |reason: String| SnmpError::Config { address, reason };
        let retry = Retry::fixed(settings.retries, Duration::ZERO)
            .map_err(|e| config_error(e.to_string()))?;
        let builder = match &settings.credentials {
            SnmpCredentials::V1 { community } => {
                Client::builder(address, Auth::v1(community.expose()))
            }
            SnmpCredentials::V2c { community } => {
                Client::builder(address, Auth::v2c(community.expose()))
            }
            SnmpCredentials::V3 {
                user,
                auth,
                auth_password,
                privacy,
                priv_password,
            } => {
                let keys = self
                    .master_keys(*auth, auth_password, *privacy, priv_password)
                    .map_err(|e| config_error(format!("v3 user `{user}`: {e}")))?;
                let usm = UsmConfig::new(user.clone())
                    .with_master_keys(keys)
                    .map_err(|e| config_error(format!("v3 user `{user}`: {e}")))?;
                let builder = Client::builder(address, usm)
                    .engine_cache(self.engines.clone())
                    .allow_unauthenticated_v3_time_correction(true);
                if *privacy == SnmpPrivProtocol::Des {
                    let state = self
                        .des
                        .get_or_init(des_salt_state)
                        .clone()
                        .map_err(|e| config_error(format!("DES privacy: {e}")))?;
                    builder.des_salt_state(state)
                } else {
                    builder
                }
            }
        };
        let builder = builder.request_timeout(settings.timeout).retry(retry);
        let client = if dedicated {
            builder.connect().await
        } else {
            builder.build_with(self.transport(address).await?).await
        }
        .map_err(|e| SnmpError::Network {
            address,
            reason: e.to_string(),
        })?;
        let baseline = client.stats();
        Ok(SnmpSession {
            client,
            dedicated,
            baseline,
            address,
            timeout: settings.timeout,
            retries: settings.retries,
            community: !settings.is_v3(),
            bulk: !matches!(settings.credentials, SnmpCredentials::V1 { .. }),
        })
    }

    fn master_keys(
        &self,
        auth: SnmpAuthProtocol,
        auth_password: &Secret,
        privacy: SnmpPrivProtocol,
        priv_password: &Secret,
    ) -> Result<MasterKeys, async_snmp::CryptoError> {
        let wanted = (
            auth,
            auth_password.expose().to_owned(),
            privacy,
            priv_password.expose().to_owned(),
        );
        let mut cache = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, keys)) = cache.iter().find(|(c, _)| *c == wanted) {
            return Ok(keys.clone());
        }
        let keys = MasterKeys::new(
            crate::lab::snmp::auth_protocol(auth),
            auth_password.expose().as_bytes(),
        )?;
        let privacy_protocol = crate::lab::snmp::priv_protocol(privacy);
        let keys = if auth_password.expose() == priv_password.expose() {
            keys.with_privacy_same_password(privacy_protocol)?
        } else {
            keys.with_privacy(privacy_protocol, priv_password.expose().as_bytes())?
        };
        cache.push((wanted, keys.clone()));
        Ok(keys)
    }

    /// Poll one agent: system group, interfaces, serial.
    pub async fn poll(
        &self,
        address: SocketAddr,
        settings: &SnmpSettings,
    ) -> Result<SnmpFacts, SnmpError> {
        let session = self.session(address, settings).await?;
        match session.facts().await {
            Err(SnmpError::Timeout { .. }) if session.foreign_datagrams() => {
                self.open(address, settings, true).await?.facts().await
            }
            other => other,
        }
    }

    /// [`SnmpProbe::poll`] without the inventory facts that do not change from one
    /// monitoring interval to the next (serial, speeds, aliases).
    pub async fn poll_status(
        &self,
        address: SocketAddr,
        settings: &SnmpSettings,
    ) -> Result<SnmpFacts, SnmpError> {
        let session = self.session(address, settings).await?;
        match session.status().await {
            Err(SnmpError::Timeout { .. }) if session.foreign_datagrams() => {
                self.open(address, settings, true).await?.status().await
            }
            other => other,
        }
    }

    /// Only the system group (one GET): what a sweep of many devices needs.
    pub async fn poll_system(
        &self,
        address: SocketAddr,
        settings: &SnmpSettings,
    ) -> Result<SystemFacts, SnmpError> {
        let session = self.session(address, settings).await?;
        match session.system().await {
            Err(SnmpError::Timeout { .. }) if session.foreign_datagrams() => {
                self.open(address, settings, true).await?.system().await
            }
            other => other,
        }
    }
}

#[async_trait::async_trait]
impl Probe for SnmpProbe {
    type Measurement = Option<SnmpFacts>;
    type Error = SnmpError;
    const KIND: &'static str = "snmp";

    /// None when the target has no SNMP profile.
    async fn probe(&self, target: &ProbeTarget) -> Result<Option<SnmpFacts>, SnmpError> {
        match &target.snmp {
            Some(snmp) => self.poll(snmp.address, &snmp.settings).await.map(Some),
            None => Ok(None),
        }
    }
}

/// An open client to one agent.
pub struct SnmpSession {
    client: UdpClient,
    /// On a socket of its own (its counters are this agent's alone).
    dedicated: bool,
    /// The socket's counters when the session opened.
    baseline: UdpStats,
    address: SocketAddr,
    timeout: Duration,
    retries: u32,
    community: bool,
    /// GETBULK is v2c/v3 only.
    bulk: bool,
}

impl SnmpSession {
    /// Whether datagrams that answered nothing (malformed, or matching no request) reached
    /// the shared socket since this session opened: then a timeout may be this agent
    /// answering garbage, and the poll is repeated on a socket of its own to tell.
    pub fn foreign_datagrams(&self) -> bool {
        if self.dedicated {
            return false;
        }
        let now = self.client.stats();
        now.malformed_datagrams > self.baseline.malformed_datagrams
            || now.discarded_datagrams > self.baseline.discarded_datagrams
    }

    /// GET of several objects; exceptions (noSuchObject…) come back as values.
    pub async fn get(&self, oids: &[Oid]) -> Result<Vec<VarBind>, SnmpError> {
        match self.client.get_many(oids).await {
            Ok(response) => Ok(response.varbinds),
            Err(error) => Err(self.error(&error)),
        }
    }

    /// GETNEXT: the first object after `oid`.
    pub async fn get_next(&self, oid: &Oid) -> Result<VarBind, SnmpError> {
        match self.client.get_next(oid).await {
            Ok(response) => response
                .single()
                .cloned()
                .ok_or_else(|| SnmpError::Protocol {
                    address: self.address,
                    reason: String::from("a GETNEXT answer without exactly one value"),
                }),
            Err(error) => Err(self.error(&error)),
        }
    }

    /// Several table columns walked side by side: each GETBULK asks for the next rows of
    /// every column not yet finished, so a 30-port switch's four columns come in one or two
    /// exchanges instead of four walks (v2c/v3 only). A column absent from the agent (an old
    /// agent without ifXTable) comes back empty.
    pub async fn walk_columns(&self, columns: &[Oid]) -> Result<Vec<Vec<VarBind>>, SnmpError> {
        let mut cursors: Vec<Option<Oid>> = columns.iter().cloned().map(Some).collect();
        let mut out: Vec<Vec<VarBind>> = vec![Vec::new(); columns.len()];
        loop {
            let active: Vec<usize> = (0..columns.len())
                .filter(|&i| cursors[i].is_some())
                .collect();
            let asked: Vec<Oid> = active.iter().filter_map(|&i| cursors[i].clone()).collect();
            if asked.is_empty() {
                return Ok(out);
            }
            let varbinds = self
                .client
                .get_bulk(&asked, 0, MAX_REPETITIONS)
                .await
                .map_err(|e| self.error(&e))?;
            let mut progressed = false;
            for (position, varbind) in varbinds.into_iter().enumerate() {
                let column = active[position % active.len()];
                let Some(cursor) = &cursors[column] else {
                    continue;
                };
                // Past the column, the end of the MIB, or not moving forward: done with it.
                if !varbind.oid.starts_with(&columns[column])
                    || matches!(varbind.value, Value::EndOfMibView)
                    || varbind.oid <= *cursor
                {
                    cursors[column] = None;
                    continue;
                }
                cursors[column] = Some(varbind.oid.clone());
                out[column].push(varbind);
                progressed = true;
            }
            if !progressed {
                return Ok(out);
            }
        }
    }

    /// Every object under `oid`: GETBULK-based on v2c/v3, GETNEXT on v1.
    pub async fn walk(&self, oid: &Oid) -> Result<Vec<VarBind>, SnmpError> {
        let stream = if self.bulk {
            self.client.bulk_walk(oid.clone(), MAX_REPETITIONS)
        } else {
            self.client.walk_getnext(oid.clone())
        };
        let stream = stream.map_err(|e| self.error(&e))?;
        stream.collect().await.map_err(|e| self.error(&e))
    }

    /// The system group.
    pub async fn system(&self) -> Result<SystemFacts, SnmpError> {
        let oids: Vec<Oid> = [
            &SYS_DESCR[..],
            &SYS_OBJECT_ID,
            &SYS_UPTIME,
            &SYS_CONTACT,
            &SYS_NAME,
            &SYS_LOCATION,
        ]
        .iter()
        .map(|arcs| Oid::from_slice(arcs))
        .collect();
        let varbinds = self.get(&oids).await?;
        let mut facts = SystemFacts::default();
        for varbind in &varbinds {
            let value = &varbind.value;
            match varbind.oid.arcs() {
                a if a == SYS_DESCR => facts.descr = text(value),
                a if a == SYS_OBJECT_ID => {
                    facts.object_id = value.as_oid().map(|o| o.to_string()).unwrap_or_default()
                }
                a if a == SYS_UPTIME => facts.uptime_ticks = value.as_u32().unwrap_or_default(),
                a if a == SYS_CONTACT => facts.contact = text(value),
                a if a == SYS_NAME => facts.name = text(value),
                a if a == SYS_LOCATION => facts.location = text(value),
                _ => {}
            }
        }
        Ok(facts)
    }

    /// The interfaces: one walk per column, all at once.
    pub async fn interfaces(&self) -> Result<Vec<InterfaceFact>, SnmpError> {
        let columns: [&[u32]; 7] = [
            &IF_DESCR,
            &IF_SPEED,
            &IF_ADMIN_STATUS,
            &IF_OPER_STATUS,
            &IF_NAME,
            &IF_HIGH_SPEED,
            &IF_ALIAS,
        ];
        let walks = columns.map(|column| async move {
            let prefix = Oid::from_slice(column);
            (column, self.walk(&prefix).await)
        });
        let [a, b, c, d, e, f, g] = walks;
        let results = tokio::join!(a, b, c, d, e, f, g);
        Self::interface_rows(vec![
            results.0, results.1, results.2, results.3, results.4, results.5, results.6,
        ])
    }

    /// The interfaces' names and states only (ifDescr, ifName, admin and oper status): what
    /// availability monitoring needs every interval, in four walks instead of seven.
    pub async fn interface_states(&self) -> Result<Vec<InterfaceFact>, SnmpError> {
        let columns: [&[u32]; 4] = [&IF_DESCR, &IF_ADMIN_STATUS, &IF_OPER_STATUS, &IF_NAME];
        if self.bulk {
            let prefixes: Vec<Oid> = columns.iter().map(|c| Oid::from_slice(c)).collect();
            let walked = self.walk_columns(&prefixes).await?;
            return Self::interface_rows(
                columns
                    .into_iter()
                    .zip(walked.into_iter().map(Ok))
                    .collect(),
            );
        }
        let walks = columns.map(|column| async move {
            let prefix = Oid::from_slice(column);
            (column, self.walk(&prefix).await)
        });
        let [a, b, c, d] = walks;
        let results = tokio::join!(a, b, c, d);
        Self::interface_rows(vec![results.0, results.1, results.2, results.3])
    }

    /// Rows from column walks (each `(column, varbinds)`).
    #[allow(clippy::type_complexity)]
    fn interface_rows(
        results: Vec<(&[u32], Result<Vec<VarBind>, SnmpError>)>,
    ) -> Result<Vec<InterfaceFact>, SnmpError> {
        let mut rows: BTreeMap<u32, InterfaceFact> = BTreeMap::new();
        let mut high_speed: BTreeMap<u32, u64> = BTreeMap::new();
        for (column, result) in results {
            let varbinds = match result {
                Ok(varbinds) => varbinds,
                // ifXTable is optional on old agents; the ifTable columns are not.
                Err(_) if column.len() == 11 => continue,
                Err(error) => return Err(error),
            };
            for varbind in varbinds {
                let arcs = varbind.oid.arcs();
                let [index] = arcs.get(column.len()..).unwrap_or_default() else {
                    continue;
                };
                let row = rows.entry(*index).or_insert_with(|| InterfaceFact {
                    index: *index,
                    ..InterfaceFact::default()
                });
                let value = &varbind.value;
                match column {
                    c if c == IF_DESCR => row.descr = text(value),
                    c if c == IF_NAME => row.name = text(value),
                    c if c == IF_ALIAS => row.alias = text(value),
                    c if c == IF_ADMIN_STATUS => row.admin_status = status(value),
                    c if c == IF_OPER_STATUS => row.oper_status = status(value),
                    c if c == IF_SPEED => {
                        if let Some(bps) = value.as_u32() {
                            row.speed_mbps = Some(u64::from(bps) / 1_000_000);
                        }
                    }
                    c if c == IF_HIGH_SPEED => {
                        if let Some(mbps) = value.as_u32() {
                            high_speed.insert(*index, u64::from(mbps));
                        }
                    }
                    _ => {}
                }
            }
        }
        for (index, row) in &mut rows {
            if row.name.is_empty() {
                row.name = row.descr.clone();
            }
            // ifSpeed saturates at 4.29 Gbit/s: ifHighSpeed, when present, is the truth.
            if let Some(mbps) = high_speed.get(index) {
                row.speed_mbps = Some(*mbps);
            }
        }
        Ok(rows.into_values().collect())
    }

    /// The first non-empty entPhysicalSerialNum; None when ENTITY-MIB is absent.
    pub async fn serial(&self) -> Result<Option<String>, SnmpError> {
        let column = Oid::from_slice(&ENT_SERIAL);
        match self.walk(&column).await {
            Ok(varbinds) => Ok(varbinds
                .iter()
                .map(|v| text(&v.value))
                .find(|s| !s.trim().is_empty())),
            // Not every agent implements ENTITY-MIB: a missing serial is not a failed poll.
            Err(SnmpError::Protocol { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// The system group and the interfaces' states, no serial: a monitoring interval's poll.
    pub async fn status(&self) -> Result<SnmpFacts, SnmpError> {
        let system = self.system().await?;
        Ok(SnmpFacts {
            system,
            interfaces: self.interface_states().await?,
            serial: None,
        })
    }

    /// System group, interfaces and serial. The system group goes first: a device that does
    /// not answer it is reported once, not per walk.
    pub async fn facts(&self) -> Result<SnmpFacts, SnmpError> {
        let system = self.system().await?;
        let (interfaces, serial) = tokio::join!(self.interfaces(), self.serial());
        Ok(SnmpFacts {
            system,
            interfaces: interfaces?,
            serial: serial?,
        })
    }

    /// Our error for async-snmp's, using this session's socket counters to tell a silent
    /// device from one that answers garbage.
    fn error(&self, error: &SnmpLibError) -> SnmpError {
        let address = self.address;
        match error.exchange_source() {
            SnmpLibError::Timeout { .. } => {
                // On the shared socket the counters mix every agent's datagrams: only a
                // dedicated socket's tell what this agent sent (see `foreign_datagrams`).
                let (malformed, unmatched) = if self.dedicated {
                    let stats = self.client.stats();
                    (stats.malformed_datagrams, stats.discarded_datagrams)
                } else {
                    (0, 0)
                };
                SnmpError::Timeout {
                    address,
                    timeout_ms: u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX),
                    retries: self.retries,
                    malformed,
                    unmatched,
                    community: self.community,
                }
            }
            SnmpLibError::Report { status, .. } => {
                let reason = match &**status {
                    ReportStatus::WrongDigest { .. } => String::from(
                        "wrong authentication passphrase (or protocol): the agent reports a \
                         wrong digest",
                    ),
                    ReportStatus::UnknownUserName { .. } => {
                        String::from("the agent does not know this user name")
                    }
                    ReportStatus::DecryptionError { .. } => String::from(
                        "wrong privacy passphrase (or protocol): the agent could not decrypt",
                    ),
                    ReportStatus::UnsupportedSecurityLevel { .. } => String::from(
                        "the user does not support authentication with privacy (authPriv)",
                    ),
                    other => format!("the agent sent a report: {other}"),
                };
                SnmpError::AuthFailed { address, reason }
            }
            SnmpLibError::Auth { .. } => SnmpError::AuthFailed {
                address,
                reason: String::from(
                    "the answer failed authentication (wrong passphrase on either side)",
                ),
            },
            SnmpLibError::Snmp { status, .. }
                if matches!(
                    status,
                    ErrorStatus::AuthorizationError | ErrorStatus::NoAccess
                ) =>
            {
                SnmpError::AuthFailed {
                    address,
                    reason: format!("access denied by the agent ({status})"),
                }
            }
            SnmpLibError::Network { source, .. } => SnmpError::Network {
                address,
                reason: if source.kind() == std::io::ErrorKind::ConnectionRefused {
                    String::from("nothing listens on the SNMP port (ICMP port unreachable)")
                } else {
                    source.to_string()
                },
            },
            SnmpLibError::Config(reason) => SnmpError::Config {
                address,
                reason: reason.to_string(),
            },
            other => SnmpError::Protocol {
                address,
                reason: other.to_string(),
            },
        }
    }
}

/// An OctetString as text (lossy: device strings are not always UTF-8); empty otherwise.
fn text(value: &Value) -> String {
    match value.as_bytes() {
        Some(bytes) => String::from_utf8_lossy(bytes)
            .trim_end_matches('\0')
            .to_string(),
        None => String::new(),
    }
}

/// ifAdminStatus / ifOperStatus names (RFC 2863).
fn status(value: &Value) -> String {
    match value.as_i32() {
        Some(1) => "up",
        Some(2) => "down",
        Some(3) => "testing",
        Some(4) => "unknown",
        Some(5) => "dormant",
        Some(6) => "notPresent",
        Some(7) => "lowerLayerDown",
        _ => "invalid",
    }
    .to_string()
}
