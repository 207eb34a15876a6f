//! TCP connect: the probe for sites where ICMP is filtered. Opens a connection to one port
//! (22 by default, the management access netparc itself needs), measures the time the
//! handshake took, and closes it at once without sending a byte.

use super::{Probe, ProbeTarget};
use serde::Serialize;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// How the TCP probe connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpOptions {
    /// The port when the target does not name one.
    pub port: u16,
    /// How long the handshake may take.
    pub timeout: Duration,
}

impl Default for TcpOptions {
    fn default() -> Self {
        TcpOptions {
            port: 22,
            timeout: Duration::from_secs(2),
        }
    }
}

/// What one connection attempt measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TcpReport {
    /// Where it connected.
    pub address: SocketAddr,
    /// The handshake completed.
    pub connected: bool,
    /// How long the handshake took, ms (when connected).
    pub connect_ms: Option<f64>,
    /// Why it did not connect.
    pub error: Option<String>,
}

impl TcpReport {
    /// The host answered at the TCP level: connected, or actively refused (a RST comes from
    /// a live host, which is what reachability asks).
    pub fn host_answered(&self) -> bool {
        self.connected
            || self
                .error
                .as_deref()
                .is_some_and(|e| e.starts_with("connection refused"))
    }
}

/// The TCP prober.
#[derive(Debug, Clone, Copy, Default)]
pub struct TcpProbe {
    options: TcpOptions,
}

impl TcpProbe {
    /// A prober with these options.
    pub fn new(options: TcpOptions) -> TcpProbe {
        TcpProbe { options }
    }

    /// Connect to `address` once.
    pub async fn connect(&self, address: SocketAddr) -> TcpReport {
        let started = Instant::now();
        let attempt = tokio::time::timeout(
            self.options.timeout,
            tokio::net::TcpStream::connect(address),
        )
        .await;
        let elapsed = started.elapsed();
        let (connected, error) = match attempt {
            Ok(Ok(stream)) => {
                drop(stream);
                (true, None)
            }
            Ok(Err(error)) => (false, Some(describe(&error, address))),
            Err(_) => (
                false,
                Some(format!(
                    "timeout: no answer from {address} within {} ms (a firewall dropping \
                     the port, or the host is down)",
                    self.options.timeout.as_millis()
                )),
            ),
        };
        TcpReport {
            address,
            connected,
            connect_ms: connected.then_some(elapsed.as_secs_f64() * 1000.0),
            error,
        }
    }
}

fn describe(error: &io::Error, address: SocketAddr) -> String {
    match error.kind() {
        io::ErrorKind::ConnectionRefused => format!(
            "connection refused by {address}: the host is up but nothing listens on port {}",
            address.port()
        ),
        _ => format!("cannot connect to {address}: {error}"),
    }
}

#[async_trait::async_trait]
impl Probe for TcpProbe {
    type Measurement = TcpReport;
    type Error = std::convert::Infallible;
    const KIND: &'static str = "tcp";

    async fn probe(&self, target: &ProbeTarget) -> Result<TcpReport, Self::Error> {
        let address = target
            .tcp
            .unwrap_or_else(|| SocketAddr::new(target.address, self.options.port));
        Ok(self.connect(address).await)
    }
}
