//! Verification of a selection of assets as one library call: where each asset is reached
//! (its own address, or its twin's with `--lab`), which probes run, all assets at once
//! within a limit, and the verdict of each through [`crate::probe::verdict::assess`].
//! `netparc verify` prints what this returns; the playbook engine's `verify` step calls
//! [`verify_assets`] for the assets of a batch.
//!
//! Architecture invariant: no printing here; the CLI and the playbook engine are observers
//! of the returned [`VerifiedState`]s.

use crate::access::Access;
use crate::diag::{Diagnostic, Diagnostics};
use crate::driver::{self, DriverOptions, Mode, Timeouts};
use crate::intent::Intent;
use crate::inventory::{Asset, Inventory, Located};
use crate::lab::address::guard_lab_destination;
use crate::probe::icmp::{IcmpProbe, PingOptions};
use crate::probe::snmp::{SnmpProbe, SnmpSettings};
use crate::probe::tcp::{TcpOptions, TcpProbe};
use crate::probe::verdict::{self, ConfigSync, Expectations, Measurements, VerifiedState};
use crate::probe::{ProbeTarget, SnmpTarget};
use crate::secrets::SecretResolver;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Which probes run and how.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Ping, with these settings (None: no ICMP).
    pub ping: Option<PingOptions>,
    /// TCP connect, with these settings (None: no TCP probe).
    pub tcp: Option<TcpOptions>,
    /// Poll SNMP where the asset has a profile.
    pub snmp: bool,
    /// Compare the running configuration with the intended one (needs a driver).
    pub config: bool,
    /// Assets checked at once.
    pub concurrency: usize,
    /// sysUpTime ticks at each asset's previous verification (from the state store).
    pub previous_uptime: HashMap<String, u32>,
    /// Interfaces that must be up, replacing the inventory's list (a playbook's choice).
    pub interfaces_up: Option<Vec<String>>,
    /// Probers kept across calls (the daemon: ICMP sockets, SNMP engine discovery and
    /// derived v3 keys reused from one check to the next); None: fresh ones per call.
    pub probers: Option<Probers>,
}

/// Probers shared by many calls of [`verify_assets`].
#[derive(Clone, Default)]
pub struct Probers {
    /// Used when `ping` is set (its options then come from the prober, not `ping`).
    pub icmp: Option<IcmpProbe>,
    /// Used for every SNMP poll.
    pub snmp: SnmpProbe,
}

impl std::fmt::Debug for Probers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probers")
            .field("icmp", &self.icmp.as_ref().map(IcmpProbe::options))
            .finish_non_exhaustive()
    }
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            ping: Some(PingOptions::default()),
            tcp: None,
            snmp: true,
            config: true,
            concurrency: 256,
            previous_uptime: HashMap::new(),
            interfaces_up: None,
            probers: None,
        }
    }
}

/// Where the probes of one asset go, or why they cannot run.
fn target_for(
    inventory: &Inventory,
    asset: &Located<Asset>,
    resolver: &SecretResolver,
    access: &Access,
    options: &VerifyOptions,
) -> Result<ProbeTarget, Diagnostic> {
    let name = &asset.value.name;
    let (address, tcp_at, snmp_at): (IpAddr, Option<SocketAddr>, Option<SocketAddr>) =
        match access.lab() {
            Some(lab) => {
                let twin = lab.twin(name).ok_or_else(|| {
                    Diagnostic::error("verify.no-twin", format!("`{name}` has no twin in the lab"))
                        .asset(name)
                })?;
                // The twin's SSH port stands in for port 22 of the real device.
                let tcp = twin.ssh.or_else(|| {
                    options
                        .tcp
                        .map(|t| SocketAddr::new(twin.device.spec.address, t.port))
                });
                (twin.device.spec.address, tcp, twin.snmp)
            }
            None => {
                let address = asset.value.address.ok_or_else(|| {
                    Diagnostic::error(
                        "verify.no-address",
                        format!("`{name}` has no `address`: nothing to probe"),
                    )
                    .asset(name)
                })?;
                let port = options.tcp.map_or(22, |t| t.port);
                (
                    address,
                    Some(SocketAddr::new(address, port)),
                    Some(SocketAddr::new(address, 161)),
                )
            }
        };
    if access.lab().is_some() {
        for destination in [
            Some(address),
            tcp_at.map(|a| a.ip()),
            snmp_at.map(|a| a.ip()),
        ]
        .into_iter()
        .flatten()
        {
            guard_lab_destination(destination).map_err(|message| {
                Diagnostic::error("verify.lab-destination", message).asset(name)
            })?;
        }
    }
    let snmp = if options.snmp {
        match (
            SnmpSettings::for_asset(inventory, asset, resolver)?,
            snmp_at,
        ) {
            (Some(settings), Some(address)) => Some(SnmpTarget { address, settings }),
            _ => None,
        }
    } else {
        None
    };
    Ok(ProbeTarget {
        asset: name.clone(),
        address,
        tcp: tcp_at,
        snmp,
    })
}

/// Verify `assets`: every probe asked for, all assets at once (up to
/// `options.concurrency`), each turned into its [`VerifiedState`]. `intents` are the
/// rendered intended configurations (from [`crate::intent::render_selected`]) used for the
/// in-sync column; an asset without one gets `unknown`. Assets that cannot be probed at
/// all (no address, unresolvable SNMP secrets) come back as diagnostics, the rest as
/// states, in the order given.
pub async fn verify_assets(
    inventory: &Inventory,
    resolver: &SecretResolver,
    access: &Access,
    assets: &[&Located<Asset>],
    intents: &[Intent],
    options: &VerifyOptions,
) -> (Vec<VerifiedState>, Diagnostics) {
    let mut problems = Diagnostics::new();
    let shared = options.probers.as_ref();
    let icmp = options.ping.map(|ping| {
        shared
            .and_then(|p| p.icmp.clone())
            .unwrap_or_else(|| IcmpProbe::new(ping))
    });
    let tcp = options.tcp.map(TcpProbe::new);
    let snmp = shared.map(|p| p.snmp.clone()).unwrap_or_default();
    let semaphore = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
    let intended: HashMap<&str, &str> = intents
        .iter()
        .map(|i| (i.asset.as_str(), i.text.as_str()))
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for (position, asset) in assets.iter().enumerate() {
        let target = match target_for(inventory, asset, resolver, access, options) {
            Ok(target) => target,
            Err(diagnostic) => {
                problems.push(diagnostic);
                continue;
            }
        };
        let mut expected = Expectations::for_asset(&asset.value);
        expected.previous_uptime_ticks = options.previous_uptime.get(&asset.value.name).copied();
        if let Some(list) = &options.interfaces_up {
            expected.interfaces_up = list.clone();
        }
        let config_job = if options.config {
            config_job(
                inventory,
                asset,
                resolver,
                access,
                intended.get(asset.value.name.as_str()),
            )
        } else {
            ConfigJob::Skip(String::from("not compared (--skip-config)"))
        };
        let (icmp, tcp, snmp) = (icmp.clone(), tcp, snmp.clone());
        let semaphore = semaphore.clone();
        tasks.spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            let ping = async {
                match &icmp {
                    Some(probe) => {
                        Some(probe.ping(target.address).await.map_err(|e| e.to_string()))
                    }
                    None => None,
                }
            };
            let connect = async {
                match (&tcp, target.tcp) {
                    (Some(probe), Some(address)) => Some(probe.connect(address).await),
                    _ => None,
                }
            };
            let poll = async {
                match &target.snmp {
                    Some(s) => Some(snmp.poll(s.address, &s.settings).await),
                    None => None,
                }
            };
            let (ping, tcp, snmp, config) = tokio::join!(ping, connect, poll, config_job.run());
            let state = verdict::assess(
                &target.asset,
                Measurements { ping, tcp, snmp },
                &expected,
                config,
                std::time::SystemTime::now(),
            );
            (position, state)
        });
    }
    let mut states = Vec::with_capacity(assets.len());
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(done) => states.push(done),
            Err(error) => problems.push(Diagnostic::error(
                "verify.task",
                format!("a verification task failed: {error}"),
            )),
        }
    }
    states.sort_by_key(|(position, _)| *position);
    (states.into_iter().map(|(_, s)| s).collect(), problems)
}

/// How the configuration of one asset will be compared.
enum ConfigJob {
    /// Not compared, for this reason.
    Skip(String),
    /// Log in with the driver and plan intended against running.
    Compare {
        endpoint: Box<crate::access::Endpoint>,
        address: SocketAddr,
        intended: String,
    },
}

fn config_job(
    inventory: &Inventory,
    asset: &Located<Asset>,
    resolver: &SecretResolver,
    access: &Access,
    intended: Option<&&str>,
) -> ConfigJob {
    let Some(intended) = intended else {
        return ConfigJob::Skip(String::from("no intended configuration (no template)"));
    };
    let endpoint = match access.endpoint(inventory, asset, resolver) {
        Ok(endpoint) => endpoint,
        Err(diagnostic) => return ConfigJob::Skip(diagnostic.message),
    };
    let Some(address) = endpoint.address else {
        return ConfigJob::Skip(String::from("no SSH address"));
    };
    ConfigJob::Compare {
        endpoint: Box::new(endpoint),
        address,
        intended: intended.to_string(),
    }
}

impl ConfigJob {
    async fn run(self) -> ConfigSync {
        match self {
            ConfigJob::Skip(reason) => ConfigSync::Unknown { reason },
            ConfigJob::Compare {
                endpoint,
                address,
                intended,
            } => config_sync(&endpoint, address, &intended).await,
        }
    }
}

/// Whether the running configuration of a device matches `intended`: the driver's merge
/// plan from running to intended is empty. Any failure (no driver for the platform yet,
/// login refused, device unreachable) is `unknown` with its reason, never a crash: the
/// other columns still stand.
pub async fn config_sync(
    endpoint: &crate::access::Endpoint,
    address: SocketAddr,
    intended: &str,
) -> ConfigSync {
    let unknown = |reason: String| {
        // Reports must not carry secrets the device may echo back.
        let redactor = crate::secrets::Redactor::from_secrets(&endpoint.secrets);
        ConfigSync::Unknown {
            reason: redactor.apply(&reason),
        }
    };
    let options = DriverOptions {
        timeouts: Timeouts::default(),
        enable: endpoint.enable.clone(),
        transcript: None,
        secrets: endpoint.secrets.clone(),
        // File-based drivers learn from it which files they manage.
        intended: Some(intended.to_string()),
    };
    let mut driver = match driver::connect(
        &endpoint.platform,
        &endpoint.asset,
        address,
        &endpoint.ssh,
        options,
    )
    .await
    {
        Ok(driver) => driver,
        Err(error) => return unknown(error.to_string()),
    };
    let outcome = match driver.running_config().await {
        Ok(running) => match driver.plan(intended, &running, Mode::Merge) {
            Ok(plan) if plan.is_empty() => ConfigSync::InSync,
            Ok(plan) => ConfigSync::Drifted {
                differences: plan.commands.len() + plan.files.len(),
            },
            Err(error) => unknown(error.to_string()),
        },
        Err(error) => unknown(error.to_string()),
    };
    driver.close().await;
    outcome
}

/// The section of the verified state store that holds a [`VerifiedState`] (the write-back
/// stores it there as serialised).
pub const STATE_SECTION: &str = "verification";

/// sysUpTime at each asset's previous verification, read from the verified state store
/// (`verification.snmp.system.uptime_ticks`), for the "did not restart" check. An asset
/// never verified has none; a state file that does not parse is reported, not fatal (and,
/// as everywhere, never overwritten by this read).
pub fn previous_uptimes(
    store: &crate::state::StateStore,
    assets: &[&Located<Asset>],
) -> (HashMap<String, u32>, Diagnostics) {
    let mut uptimes = HashMap::new();
    let mut problems = Diagnostics::new();
    for asset in assets {
        let name = &asset.value.name;
        match store.section(name, STATE_SECTION) {
            Ok(Some(section)) => {
                let ticks = section
                    .pointer("/snmp/system/uptime_ticks")
                    .and_then(serde_json::Value::as_u64)
                    .and_then(|t| u32::try_from(t).ok());
                if let Some(ticks) = ticks {
                    uptimes.insert(name.clone(), ticks);
                }
            }
            Ok(None) => {}
            Err(error) => problems.push(
                Diagnostic::warning(
                    "verify.state-unreadable",
                    format!("previous verification of `{name}` unreadable: {error}"),
                )
                .asset(name)
                .hint("the restart check is skipped for this asset"),
            ),
        }
    }
    (uptimes, problems)
}
