//! A twin's SNMP agent: v2c or v3 USM (authPriv) per `DeviceSpec.snmp`, answering from the
//! device's live state (`Device::facts()`, `Device::uptime_ticks()`), with its faults applied
//! at request time and its reboots visible to SNMPv3 (engine boots bumped, engine time reset).
//!
//! # How it is built
//! The protocol work — BER, USM, VACM, engine discovery, usmStats reports, GETBULK — is
//! async-snmp's `Agent`. That agent binds its own socket and offers no hook before it
//! answers, yet a twin must be able to stay silent (faults `down` and `snmp_timeout` drop
//! even engine discovery) and must restart its SNMP engine when the device reboots (the
//! engine's boots and time are fixed when the `Agent` is built). So each twin is two layers:
//!
//! - a **front** socket on the twin's address, owned here. For every datagram it reads the
//!   device state once: a drop fault discards the datagram; a changed `DeviceState.boots`
//!   first replaces the engine; otherwise the datagram goes on to
//! - an **engine**: an async-snmp `Agent` on the same loopback address, ephemeral port, with
//!   `mib::DeviceMib` serving mib-2. It is rebuilt with
//!   `AuthoritativeEngine::restart(PersistedAuthoritativeEngine::new(id, boots - 1))` when
//!   the device reboots, so long-lived v3 clients get a notInTimeWindow report carrying the
//!   new boots and carry on.
//!
//! Between the two, one small relay socket per client (at most [`MAX_RELAYS`], idle ones
//! evicted) carries the engine's replies back to that client through the front socket, so
//! clients only ever talk to the twin's address. Nothing is buffered while idle: receive
//! buffers are allocated per datagram, which keeps a thousand agents in a few megabytes.
//!
//! # Protocols
//! Every `SnmpAuthProtocol` (MD5, SHA-1, SHA-224/256/384/512) and `SnmpPrivProtocol` (DES,
//! AES-128/192/256) maps onto async-snmp; see [`auth_protocol`] and [`priv_protocol`] for
//! the AES-192/256 key-extension choice. VACM grants read-only access to everything: to the
//! community for v2c, to the user at authPriv only for v3 (a noAuthNoPriv or authNoPriv
//! request naming the user gets an authorizationError, never data). A wrong community is
//! dropped silently and wrong v3 credentials draw usmStats reports, as with net-snmp.

mod mib;
#[cfg(test)]
mod tests;

use crate::inventory::{SnmpAuthProtocol, SnmpPrivProtocol};
use crate::lab::device::{Device, SnmpAccess};
use async_snmp::{
    Agent, AuthProtocol, AuthoritativeEngine, DesSaltState, MasterKeys, Oid,
    PersistedAuthoritativeEngine, PersistedDesSaltState, PrivProtocol, SecurityLevel,
    SecurityModel,
};
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

/// Most clients one twin relays for at once; the least recently used is evicted beyond.
pub const MAX_RELAYS: usize = 32;

/// A client silent for this long loses its relay socket (a new one is made if it returns).
const RELAY_IDLE: Duration = Duration::from_secs(120);

/// Largest UDP payload; receive buffers are allocated (uninitialised) at this size per
/// datagram, so a truncated datagram is impossible and nothing is held while idle.
const MAX_DATAGRAM: usize = 65_535;

/// Largest response the engine builds (msgMaxSize it advertises). Above the 1472-octet
/// default so a GETBULK fills more than a few ifTable rows, still far below the relay's
/// buffer.
const MAX_MESSAGE_SIZE: usize = 8_192;

/// The VACM group and view every accepted identity maps to.
const GROUP: &str = "netparc-ro";
const VIEW: &str = "all";

/// Why a twin's SNMP agent could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum SnmpAgentError {
    /// The device spec grants no SNMP access: the twin has no agent to run.
    #[error("{device}: no SNMP access configured, so no SNMP agent")]
    NotConfigured {
        /// Device name.
        device: String,
    },
    /// A socket could not be bound.
    #[error("{device}: cannot bind SNMP socket on {addr}: {source}")]
    Bind {
        /// Device name.
        device: String,
        /// The address asked for.
        addr: SocketAddr,
        /// The system's reason.
        #[source]
        source: io::Error,
    },
    /// The v3 credentials cannot be used (e.g. a passphrase shorter than 8 characters).
    #[error("{device}: SNMPv3 user {user:?}: {source}")]
    Credentials {
        /// Device name.
        device: String,
        /// The USM user.
        user: String,
        /// What async-snmp rejected.
        #[source]
        source: async_snmp::CryptoError,
    },
    /// The SNMP engine could not be set up.
    #[error("{device}: SNMP engine: {source}")]
    Engine {
        /// Device name.
        device: String,
        /// What failed.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The front socket failed while serving.
    #[error("{device}: SNMP socket {addr}: {source}")]
    Io {
        /// Device name.
        device: String,
        /// The front socket's address.
        addr: SocketAddr,
        /// The system's reason.
        #[source]
        source: io::Error,
    },
}

/// Bind `bind` for `device`, then serve until `shutdown` completes.
///
/// Equivalent to [`SnmpAgent::bind`] followed by [`SnmpAgent::run`]; use those two when the
/// caller needs to know the agent is listening (or its port, for port 0) before requests
/// are sent.
pub async fn serve(
    device: Arc<Device>,
    bind: SocketAddr,
    shutdown: impl Future<Output = ()>,
) -> Result<(), SnmpAgentError> {
    SnmpAgent::bind(device, bind).await?.run(shutdown).await
}

/// One twin's SNMP agent, bound and ready: requests sent to [`local_addr`](Self::local_addr)
/// after [`bind`](Self::bind) returns are queued and answered once [`run`](Self::run) is
/// polled.
pub struct SnmpAgent {
    socket: Arc<UdpSocket>,
    local_addr: SocketAddr,
    builder: EngineBuilder,
    engine: Engine,
    /// The engine's current port, read by relay tasks to accept its replies only.
    engine_port: Arc<AtomicU16>,
    relays: HashMap<SocketAddr, Relay>,
}

impl std::fmt::Debug for SnmpAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnmpAgent")
            .field("device", &self.builder.device.spec.name)
            .field("local_addr", &self.local_addr)
            .field("engine", &self.engine.addr)
            .field("boots", &self.engine.boots)
            .field("relays", &self.relays.len())
            .finish()
    }
}

impl SnmpAgent {
    /// Bind the twin's SNMP socket on `bind` and start its engine. When this returns the
    /// agent is reachable (datagrams queue in the socket until [`run`](Self::run)).
    ///
    /// Binds only `bind`'s address (and ephemeral ports on the same address for the
    /// engine and relays); with an unspecified address the engine side uses loopback.
    pub async fn bind(device: Arc<Device>, bind: SocketAddr) -> Result<SnmpAgent, SnmpAgentError> {
        let name = device.spec.name.clone();
        if device.spec.snmp.is_none() {
            return Err(SnmpAgentError::NotConfigured { device: name });
        }
        let socket = UdpSocket::bind(bind)
            .await
            .map_err(|source| SnmpAgentError::Bind {
                device: name.clone(),
                addr: bind,
                source,
            })?;
        let local_addr = socket.local_addr().map_err(|source| SnmpAgentError::Bind {
            device: name.clone(),
            addr: bind,
            source,
        })?;
        let engine_ip = match bind.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        let builder = EngineBuilder::new(device, engine_ip)?;
        let boots = builder.device.state().boots;
        let engine = builder.start(boots).await?;
        let engine_port = Arc::new(AtomicU16::new(engine.addr.port()));
        Ok(SnmpAgent {
            socket: Arc::new(socket),
            local_addr,
            builder,
            engine,
            engine_port,
            relays: HashMap::new(),
        })
    }

    /// The address clients send to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The authoritative SNMPv3 engine id (stable per device name; see [`engine_id_for`]).
    pub fn engine_id(&self) -> &[u8] {
        &self.builder.engine_id
    }

    /// Serve until `shutdown` completes, then stop the engine and release every socket.
    /// Returns an error only if the front socket fails for good.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) -> Result<(), SnmpAgentError> {
        let mut shutdown = std::pin::pin!(shutdown);
        let result = loop {
            tokio::select! {
                biased;
                () = &mut shutdown => break Ok(()),
                ready = self.socket.readable() => {
                    if let Err(source) = ready {
                        break Err(self.io_error(source));
                    }
                }
            }
            let mut datagram = Vec::with_capacity(MAX_DATAGRAM);
            match self.socket.try_recv_buf_from(&mut datagram) {
                Ok((_, client)) => self.forward(&datagram, client).await,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // ICMP errors from earlier replies and signals: nothing wrong with the socket.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionRefused
                            | io::ErrorKind::ConnectionReset
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(source) => break Err(self.io_error(source)),
            }
        };
        self.relays.clear();
        self.engine.agent.cancel();
        // Wait for the engine to let go of its socket, so the caller may bind again.
        if let Err(e) = (&mut self.engine.task).await {
            tracing::debug!(device = %self.builder.device.spec.name, error = %e, "SNMP engine task ended abnormally");
        }
        result
    }

    fn io_error(&self, source: io::Error) -> SnmpAgentError {
        SnmpAgentError::Io {
            device: self.builder.device.spec.name.clone(),
            addr: self.local_addr,
            source,
        }
    }

    /// Pass one client datagram to the engine, unless a fault says the twin is silent.
    async fn forward(&mut self, datagram: &[u8], client: SocketAddr) {
        let (silent, boots) = {
            let state = self.builder.device.state();
            (state.faults.down || state.faults.snmp_timeout, state.boots)
        };
        if silent {
            return;
        }
        if boots != self.engine.boots || self.engine.task.is_finished() {
            // The device rebooted since the engine started: a new engine with the new boots
            // and a fresh engine time. The old one is dropped (cancelled) on replacement.
            // (An engine whose socket failed and stopped is replaced the same way.)
            match self.builder.start(boots).await {
                Ok(engine) => {
                    self.engine_port
                        .store(engine.addr.port(), Ordering::Release);
                    self.engine = engine;
                }
                Err(e) => {
                    tracing::warn!(device = %self.builder.device.spec.name, error = %e, "SNMP engine restart failed; request dropped");
                    return;
                }
            }
        }
        let relay = match self.relay_for(client).await {
            Ok(relay) => relay,
            Err(e) => {
                tracing::warn!(device = %self.builder.device.spec.name, %client, error = %e, "no relay socket; request dropped");
                return;
            }
        };
        if let Err(e) = relay.send_to(datagram, self.engine.addr).await {
            tracing::debug!(device = %self.builder.device.spec.name, %client, error = %e, "relay to engine failed");
        }
    }

    /// The relay socket for `client`, created on first use.
    async fn relay_for(&mut self, client: SocketAddr) -> io::Result<Arc<UdpSocket>> {
        let now = Instant::now();
        if let Some(relay) = self.relays.get_mut(&client) {
            relay.last_used = now;
            return Ok(Arc::clone(&relay.socket));
        }
        self.relays
            .retain(|_, relay| now.duration_since(relay.last_used) < RELAY_IDLE);
        if self.relays.len() >= MAX_RELAYS
            && let Some(oldest) = self
                .relays
                .iter()
                .min_by_key(|(_, relay)| relay.last_used)
                .map(|(addr, _)| *addr)
        {
            self.relays.remove(&oldest);
        }
        let socket = Arc::new(UdpSocket::bind(SocketAddr::new(self.builder.engine_ip, 0)).await?);
        let task = tokio::spawn(relay_replies(
            Arc::clone(&socket),
            Arc::clone(&self.socket),
            client,
            SocketAddr::new(self.builder.engine_ip, 0),
            Arc::clone(&self.engine_port),
        ));
        self.relays.insert(
            client,
            Relay {
                socket: Arc::clone(&socket),
                task,
                last_used: now,
            },
        );
        Ok(socket)
    }
}

/// Carries the engine's replies for one client back through the front socket.
async fn relay_replies(
    relay: Arc<UdpSocket>,
    front: Arc<UdpSocket>,
    client: SocketAddr,
    engine: SocketAddr,
    engine_port: Arc<AtomicU16>,
) {
    loop {
        if relay.readable().await.is_err() {
            return;
        }
        let mut datagram = Vec::with_capacity(MAX_DATAGRAM);
        match relay.try_recv_buf_from(&mut datagram) {
            // Only the current engine's replies: a replaced engine still draining, or
            // anything else sending to this port, is ignored.
            Ok((_, from))
                if from.ip() == engine.ip()
                    && from.port() == engine_port.load(Ordering::Acquire) =>
            {
                if let Err(e) = front.send_to(&datagram, client).await {
                    tracing::debug!(%client, error = %e, "SNMP reply to client failed");
                }
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => tracing::debug!(%client, error = %e, "SNMP relay receive failed"),
        }
    }
}

/// One client's relay socket and the task forwarding replies from it.
struct Relay {
    socket: Arc<UdpSocket>,
    task: JoinHandle<()>,
    last_used: Instant,
}

impl Drop for Relay {
    fn drop(&mut self) {
        // The task holds the socket: stopping it closes the socket.
        self.task.abort();
    }
}

/// A running async-snmp agent for one boots epoch of the device.
struct Engine {
    agent: Agent,
    addr: SocketAddr,
    boots: u32,
    task: JoinHandle<()>,
}

impl Drop for Engine {
    fn drop(&mut self) {
        // Stops `run()`: it drains in-flight requests, then the task ends and the socket
        // closes. Requests still arriving for it are gone with it, as on a rebooting device.
        self.agent.cancel();
    }
}

/// Everything needed to (re)start the engine of one device.
struct EngineBuilder {
    device: Arc<Device>,
    engine_ip: IpAddr,
    engine_id: Vec<u8>,
    mib: Arc<mib::DeviceMib>,
    /// v3 only: master keys, derived once (the expensive part of key setup).
    keys: Option<MasterKeys>,
}

impl EngineBuilder {
    fn new(device: Arc<Device>, engine_ip: IpAddr) -> Result<EngineBuilder, SnmpAgentError> {
        let keys = match &device.spec.snmp {
            Some(SnmpAccess::V3 {
                user,
                auth,
                auth_password,
                privacy,
                priv_password,
            }) => Some(
                master_keys(*auth, auth_password, *privacy, priv_password).map_err(|source| {
                    SnmpAgentError::Credentials {
                        device: device.spec.name.clone(),
                        user: user.clone(),
                        source,
                    }
                })?,
            ),
            _ => None,
        };
        Ok(EngineBuilder {
            engine_id: engine_id_for(&device.spec.name),
            mib: Arc::new(mib::DeviceMib::new(Arc::clone(&device))),
            device,
            engine_ip,
            keys,
        })
    }

    fn engine_error(
        &self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> SnmpAgentError {
        SnmpAgentError::Engine {
            device: self.device.spec.name.clone(),
            source: source.into(),
        }
    }

    /// Build and spawn an engine whose snmpEngineBoots is `boots` and engine time 0.
    async fn start(&self, boots: u32) -> Result<Engine, SnmpAgentError> {
        let view = async_snmp::View::new().include(Oid::from_slice(&[1, 3, 6, 1]));
        let mut builder = Agent::builder()
            .bind(SocketAddr::new(self.engine_ip, 0).to_string())
            // Only the front talks to this socket: the kernel's default buffer is plenty,
            // and a thousand 4 MiB requests would only waste kernel memory.
            .recv_buffer_size(None)
            .max_concurrent_requests(Some(64))
            .max_message_size(MAX_MESSAGE_SIZE)
            .handler(Oid::from_slice(&mib::MIB2), self.mib.clone());
        match &self.device.spec.snmp {
            None => {
                return Err(SnmpAgentError::NotConfigured {
                    device: self.device.spec.name.clone(),
                });
            }
            Some(SnmpAccess::V2c { community }) => {
                builder = builder.community(community.as_str()).vacm(|v| {
                    v.group(community.clone(), SecurityModel::V2c, GROUP)
                        .access(
                            GROUP,
                            SecurityModel::V2c,
                            SecurityLevel::NoAuthNoPriv,
                            |a| a.read_view(VIEW),
                        )
                        .view(VIEW, |_| view)
                });
            }
            Some(SnmpAccess::V3 { user, privacy, .. }) => {
                // boots 0 would be invalid for an engine; DeviceState starts at 1.
                let boots = boots.max(1);
                let engine = if boots == 1 {
                    AuthoritativeEngine::install(self.engine_id.clone(), no_persistence)
                } else {
                    PersistedAuthoritativeEngine::new(self.engine_id.clone(), boots - 1)
                        .and_then(|previous| AuthoritativeEngine::restart(previous, no_persistence))
                }
                .map_err(|e| self.engine_error(e))?;
                if *privacy == SnmpPrivProtocol::Des {
                    // async-snmp requires DES salt state, in step with the engine's boots,
                    // so salts never repeat across reboots.
                    let salts = if boots == 1 {
                        DesSaltState::install(no_persistence)
                    } else {
                        PersistedDesSaltState::new(boots - 1)
                            .and_then(|previous| DesSaltState::restart(previous, no_persistence))
                    }
                    .map_err(|e| self.engine_error(e))?;
                    builder = builder.des_salt_state(salts);
                }
                let keys = self
                    .keys
                    .clone()
                    .ok_or_else(|| self.engine_error("v3 user without keys"))?;
                builder = builder
                    .authoritative_engine(engine)
                    .usm_user(user.clone(), |u| u.with_master_keys(keys))
                    .map_err(|source| SnmpAgentError::Credentials {
                        device: self.device.spec.name.clone(),
                        user: user.clone(),
                        source,
                    })?
                    .vacm(|v| {
                        v.group(user.clone(), SecurityModel::Usm, GROUP)
                            // The minimum level: noAuthNoPriv and authNoPriv requests naming
                            // the user are refused.
                            .access(GROUP, SecurityModel::Usm, SecurityLevel::AuthPriv, |a| {
                                a.read_view(VIEW)
                            })
                            .view(VIEW, |_| view)
                    });
            }
        }
        let agent = builder.build().await.map_err(|e| self.engine_error(e))?;
        let addr = agent.local_addr();
        let runner = agent.clone();
        let device = self.device.spec.name.clone();
        let task = tokio::spawn(async move {
            if let Err(e) = runner.run().await {
                tracing::warn!(%device, error = %e, "SNMP engine stopped");
            }
        });
        Ok(Engine {
            agent,
            addr,
            boots,
            task,
        })
    }
}

/// The twin keeps its engine state in memory: the device's `boots` is the durable record.
fn no_persistence<T>(_: &T) -> Result<(), Infallible> {
    Ok(())
}

/// The authoritative engine id of a twin, derived from its name alone so it survives
/// restarts of the lab (RFC 3411 format: enterprise 8072 (net-snmp), then the name as text
/// when it is printable ASCII of at most 27 octets, else a 16-octet hash of it).
pub fn engine_id_for(device_name: &str) -> Vec<u8> {
    let mut id = vec![0x80, 0x00, 0x1f, 0x88];
    let name = device_name.as_bytes();
    if !name.is_empty() && name.len() <= 27 && name.iter().all(|b| b.is_ascii_graphic()) {
        id.push(4);
        id.extend_from_slice(name);
    } else {
        id.push(5);
        id.extend_from_slice(&fnv1a64(name, 1).to_be_bytes());
        id.extend_from_slice(&fnv1a64(name, 2).to_be_bytes());
    }
    id
}

/// FNV-1a, 64-bit, with a seed byte mixed in first: stable across Rust releases (unlike
/// `DefaultHasher`), which engine ids and MAC addresses need.
pub(crate) fn fnv1a64(data: &[u8], seed: u8) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in std::iter::once(&seed).chain(data) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The async-snmp authentication protocol for an inventory one (all six exist there).
pub fn auth_protocol(protocol: SnmpAuthProtocol) -> AuthProtocol {
    match protocol {
        SnmpAuthProtocol::Md5 => AuthProtocol::Md5,
        SnmpAuthProtocol::Sha => AuthProtocol::Sha1,
        SnmpAuthProtocol::Sha224 => AuthProtocol::Sha224,
        SnmpAuthProtocol::Sha256 => AuthProtocol::Sha256,
        SnmpAuthProtocol::Sha384 => AuthProtocol::Sha384,
        SnmpAuthProtocol::Sha512 => AuthProtocol::Sha512,
    }
}

/// The async-snmp privacy protocol for an inventory one.
///
/// AES-192/256 need a longer key than MD5, SHA-1 (and, for AES-256, SHA-224) produce, and
/// two incompatible extensions exist: Blumenthal (draft-blumenthal-aes-usm; net-snmp's
/// `-x AES192`/`AES256`) and Reeder (Cisco's; net-snmp's `AES192C`/`AES256C`). The twin uses
/// Blumenthal, so the net-snmp tools talk to it with their plain names; a poller must pick
/// the same. With SHA-256 and stronger both extensions give the same key.
pub fn priv_protocol(protocol: SnmpPrivProtocol) -> PrivProtocol {
    match protocol {
        SnmpPrivProtocol::Des => PrivProtocol::Des,
        SnmpPrivProtocol::Aes => PrivProtocol::Aes128,
        SnmpPrivProtocol::Aes192 => PrivProtocol::Aes192Blumenthal,
        SnmpPrivProtocol::Aes256 => PrivProtocol::Aes256Blumenthal,
    }
}

/// Master keys for a set of v3 credentials. Password-to-key derivation hashes a megabyte
/// per passphrase; twins of one inventory share their SNMP profile, so the result is kept
/// (a few entries, in memory only) and a thousand agents derive it once.
fn master_keys(
    auth: SnmpAuthProtocol,
    auth_password: &str,
    privacy: SnmpPrivProtocol,
    priv_password: &str,
) -> Result<MasterKeys, async_snmp::CryptoError> {
    type Credentials = (SnmpAuthProtocol, String, SnmpPrivProtocol, String);
    const KEPT: usize = 16;
    static CACHE: Mutex<Vec<(Credentials, MasterKeys)>> = Mutex::new(Vec::new());

    let wanted = (
        auth,
        auth_password.to_owned(),
        privacy,
        priv_password.to_owned(),
    );
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((_, keys)) = cache.iter().find(|(c, _)| *c == wanted) {
        return Ok(keys.clone());
    }
    let keys = MasterKeys::new(auth_protocol(auth), auth_password.as_bytes())?;
    let keys = if auth_password == priv_password {
        keys.with_privacy_same_password(priv_protocol(privacy))?
    } else {
        keys.with_privacy(priv_protocol(privacy), priv_password.as_bytes())?
    };
    if cache.len() >= KEPT {
        cache.remove(0);
    }
    cache.push((wanted, keys.clone()));
    Ok(keys)
}
