//! Probes: the ways netparc checks an asset, one file per kind, behind one trait.
//!
//! - [`icmp`]: ping through one shared ICMP socket per address family (surge-ping).
//! - [`snmp`]: SNMP v1/v2c/v3 polling of the system group, interfaces and serial.
//! - [`tcp`]: a TCP connect, where ICMP is filtered.
//! - [`verdict`]: the one place that turns measurements and expectations into a
//!   [`verdict::VerifiedState`] (what the write-back and the daemon's metrics use).
//!
//! As in blackbox_exporter, a probe reports only its own measurements: whether the asset
//! passes is decided in [`verdict`], never in a probe. Running probes over a selection of
//! assets (addresses, lab mode, concurrency) is [`crate::verify`]'s job.
//!
//! Architecture invariant: probes know nothing of inventories except how to read an SNMP
//! profile ([`snmp::SnmpSettings::for_asset`]); they never decide a verdict.

pub mod icmp;
pub mod snmp;
pub mod tcp;
pub mod verdict;

use std::net::{IpAddr, SocketAddr};

/// What one probe run is pointed at.
#[derive(Debug, Clone)]
pub struct ProbeTarget {
    /// The asset's name (for messages).
    pub asset: String,
    /// Where ICMP echoes go.
    pub address: IpAddr,
    /// Where the TCP probe connects (None: `address` on the probe's default port).
    pub tcp: Option<SocketAddr>,
    /// The SNMP agent and how to speak to it (None: the asset has no SNMP profile).
    pub snmp: Option<SnmpTarget>,
}

/// An SNMP agent to poll.
#[derive(Debug, Clone)]
pub struct SnmpTarget {
    /// The agent's address and port.
    pub address: SocketAddr,
    /// Version, credentials, timeout and retries.
    pub settings: snmp::SnmpSettings,
}

/// One way of checking an asset. Implementations return their own measurements, or why
/// there are none; they never judge them.
#[async_trait::async_trait]
pub trait Probe: Send + Sync {
    /// What the probe measured.
    type Measurement: serde::Serialize + Send;
    /// Why it could not measure.
    type Error: std::error::Error + Send;
    /// The probe's name in reports and `--probe` (`icmp`, `snmp`, `tcp`).
    const KIND: &'static str;
    /// Run once against `target`.
    async fn probe(&self, target: &ProbeTarget) -> Result<Self::Measurement, Self::Error>;
}

/// Every probe kind, for `--probe` and playbooks' `verify: {probes: […]}`.
pub const KINDS: [&str; 3] = [
    icmp::IcmpProbe::KIND,
    snmp::SnmpProbe::KIND,
    tcp::TcpProbe::KIND,
];
