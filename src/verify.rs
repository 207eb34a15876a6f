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
    /// What SNMP reads: everything (`netparc verify`), or the states monitoring needs.
    pub snmp_scope: SnmpScope,
    /// Permits the caller took for these assets (the daemon's concurrency): one goes back
    /// as each asset's probes end, so one slow asset does not hold the others' permits.
    pub held: Option<HeldPermits>,
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

/// Permits of a caller's semaphore, one per asset of a [`verify_assets`] call.
#[derive(Debug, Clone)]
pub struct HeldPermits(Arc<std::sync::Mutex<tokio::sync::OwnedSemaphorePermit>>);

impl HeldPermits {
    /// Hold `permits` for the call.
    pub fn new(permits: tokio::sync::OwnedSemaphorePermit) -> HeldPermits {
        HeldPermits(Arc::new(std::sync::Mutex::new(permits)))
    }

    /// Give one permit back.
    fn release_one(&self) {
        let mut permits = self.0.lock().unwrap_or_else(|p| p.into_inner());
        drop(permits.split(1));
    }
}

/// How much an SNMP poll reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SnmpScope {
    /// System group, every interface column, the serial: a verification.
    #[default]
    Full,
    /// System group and the interfaces' names and states: an availability check, every
    /// interval (the serial, speeds and aliases do not change between two).
    States,
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
            snmp_scope: SnmpScope::Full,
            held: None,
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

impl VerifyOptions {
    /// The options of a playbook's `verify: {probes: [...]}` (empty: the defaults, ICMP and
    /// SNMP). An unknown name is an error naming the known ones.
    pub fn for_probes(names: &[String]) -> Result<VerifyOptions, String> {
        let mut options = VerifyOptions::default();
        if names.is_empty() {
            return Ok(options);
        }
        options.ping = None;
        options.snmp = false;
        for name in names {
            match name.as_str() {
                "icmp" => options.ping = Some(PingOptions::default()),
                "snmp" => options.snmp = true,
                "tcp" => options.tcp = Some(TcpOptions::default()),
                other => {
                    let hint = crate::diag::did_you_mean(other, crate::probe::KINDS)
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_default();
                    return Err(format!(
                        "unknown probe `{other}`{hint}; known probes: {}",
                        crate::probe::KINDS.join(", ")
                    ));
                }
            }
        }
        Ok(options)
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
    let intended: HashMap<&str, &str> = intents
        .iter()
        .map(|i| (i.asset.as_str(), i.text.as_str()))
        .collect();
    // The daemon keeps its probers across checks; anyone else gets fresh ones.
    let probes = match &options.probers {
        Some(kept) => Probes {
            icmp: kept
                .icmp
                .clone()
                .unwrap_or_else(|| IcmpProbe::new(PingOptions::default())),
            snmp: kept.snmp.clone(),
        },
        None => Probes::new(),
    };
    verify_with(
        &probes, inventory, resolver, access, assets, &intended, options,
    )
    .await
}

/// The probers a caller keeps across verifications (the playbook engine, the daemon): one
/// ICMP socket and one SNMP socket per address family, SNMPv3 keys derived and engines
/// discovered once. Cheap to clone.
#[derive(Clone)]
pub struct Probes {
    icmp: IcmpProbe,
    snmp: SnmpProbe,
}

impl Probes {
    /// Probers with no socket open yet (each opens on first use).
    pub fn new() -> Probes {
        Probes {
            icmp: IcmpProbe::new(PingOptions::default()),
            snmp: SnmpProbe::new(),
        }
    }
}

impl Default for Probes {
    fn default() -> Self {
        Probes::new()
    }
}

/// Verify one asset: what the playbook engine's `verify` step calls for the device it has
/// just changed, with the intended configuration it pushed (None: the config column is
/// `unknown`), through `probes` kept for the whole run. Fails only when the asset cannot be probed at all (no address, SNMP secrets
/// that do not resolve); everything else is in the returned state.
pub async fn verify_asset(
    probes: &Probes,
    inventory: &Inventory,
    resolver: &SecretResolver,
    access: &Access,
    asset: &Located<Asset>,
    intended: Option<&str>,
    options: &VerifyOptions,
) -> Result<VerifiedState, Diagnostics> {
    let intended: HashMap<&str, &str> = intended
        .map(|text| (asset.value.name.as_str(), text))
        .into_iter()
        .collect();
    let (mut states, problems) = verify_with(
        probes,
        inventory,
        resolver,
        access,
        &[asset],
        &intended,
        options,
    )
    .await;
    match states.pop() {
        Some(state) if problems.is_empty() => Ok(state),
        _ => Err(problems),
    }
}

async fn verify_with(
    probes: &Probes,
    inventory: &Inventory,
    resolver: &SecretResolver,
    access: &Access,
    assets: &[&Located<Asset>],
    intended: &HashMap<&str, &str>,
    options: &VerifyOptions,
) -> (Vec<VerifiedState>, Diagnostics) {
    let mut problems = Diagnostics::new();
    let icmp = options.ping.map(|ping| probes.icmp.with_options(ping));
    let tcp = options.tcp.map(TcpProbe::new);
    let snmp = probes.snmp.clone();
    let semaphore = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    // ICMP goes in one sweep over every target (one task, one socket per family); the
    // other probes and the configuration comparison run per asset under the limit.
    let mut pinged: Vec<(usize, IpAddr)> = Vec::new();
    for (position, asset) in assets.iter().enumerate() {
        let target = match target_for(inventory, asset, resolver, access, options) {
            Ok(target) => target,
            Err(diagnostic) => {
                problems.push(diagnostic);
                continue;
            }
        };
        pinged.push((position, target.address));
        let mut expected = Expectations::for_asset(&asset.value);
        // A port whose device was offboarded is shut on purpose until the next onboarding.
        let parked = parked_ports(inventory, &asset.value.name);
        expected.interfaces_up.retain(|port| !parked.contains(port));
        if options.snmp_scope == SnmpScope::States {
            // Not read at this scope: nothing to compare.
            expected.serial = None;
        }
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
        let (tcp, snmp) = (tcp, snmp.clone());
        let semaphore = semaphore.clone();
        let scope = options.snmp_scope;
        let held = options.held.clone();
        tasks.spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            let connect = async {
                match (&tcp, target.tcp) {
                    (Some(probe), Some(address)) => Some(probe.connect(address).await),
                    _ => None,
                }
            };
            let poll = async {
                match &target.snmp {
                    Some(s) if scope == SnmpScope::States => {
                        Some(snmp.poll_status(s.address, &s.settings).await)
                    }
                    Some(s) => Some(snmp.poll(s.address, &s.settings).await),
                    None => None,
                }
            };
            let (tcp, snmp, config) = tokio::join!(connect, poll, config_job.run());
            if let Some(held) = held {
                held.release_one();
            }
            (position, target.asset, expected, tcp, snmp, config)
        });
    }
    let sweep = async {
        let Some(probe) = &icmp else {
            return HashMap::new();
        };
        let addresses: Vec<IpAddr> = pinged.iter().map(|(_, address)| *address).collect();
        match probe.sweep(&addresses).await {
            Ok(reports) => pinged
                .iter()
                .zip(reports)
                .map(|((position, _), report)| (*position, Ok(report)))
                .collect(),
            Err(error) => pinged
                .iter()
                .map(|(position, _)| (*position, Err(error.to_string())))
                .collect::<HashMap<usize, Result<_, String>>>(),
        }
    };
    let collect = async {
        let mut done = Vec::with_capacity(assets.len());
        let mut failed = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(result) => done.push(result),
                Err(error) => failed.push(Diagnostic::error(
                    "verify.task",
                    format!("a verification task failed: {error}"),
                )),
            }
        }
        (done, failed)
    };
    let (mut pings, (mut done, failed)) = tokio::join!(sweep, collect);
    problems.extend(failed);
    done.sort_by_key(|(position, ..)| *position);
    let checked_at = std::time::SystemTime::now();
    let states = done
        .into_iter()
        .map(|(position, asset, expected, tcp, snmp, config)| {
            verdict::assess(
                &asset,
                Measurements {
                    ping: pings.remove(&position),
                    tcp,
                    snmp,
                },
                &expected,
                config,
                checked_at,
            )
        })
        .collect();
    (states, problems)
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

/// The ports of `switch` left shut by an offboarding: a retired asset was plugged there and
/// no active one is now.
pub fn parked_ports(inventory: &Inventory, switch: &str) -> Vec<String> {
    let on = |link: &crate::inventory::model::PortRef, port: &str| {
        link.switch == switch && link.port == port
    };
    let mut parked: Vec<String> = inventory
        .assets
        .iter()
        .filter_map(|a| a.value.retired.as_ref()?.connected_to.as_ref())
        .filter(|link| link.switch == switch)
        .map(|link| link.port.clone())
        .collect();
    parked.retain(|port| {
        !inventory
            .assets
            .iter()
            .any(|a| a.value.connected_to.as_ref().is_some_and(|l| on(l, port)))
    });
    parked
}

#[cfg(test)]
mod tests {

    #[tokio::test]
    async fn held_permits_go_back_one_by_one() {
        let semaphore = Arc::new(tokio::sync::Semaphore::new(3));
        let held = HeldPermits::new(semaphore.clone().acquire_many_owned(3).await.unwrap());
        assert_eq!(semaphore.available_permits(), 0);
        held.release_one();
        assert_eq!(semaphore.available_permits(), 1);
        held.clone().release_one();
        assert_eq!(semaphore.available_permits(), 2);
        drop(held);
        assert_eq!(semaphore.available_permits(), 3);
    }

    use super::*;

    #[test]
    fn a_playbooks_probe_list_picks_the_probes() {
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let options = VerifyOptions::for_probes(&names(&["tcp", "snmp"])).unwrap();
        assert!(options.ping.is_none() && options.snmp && options.tcp.is_some());
        let options = VerifyOptions::for_probes(&[]).unwrap();
        assert!(options.ping.is_some() && options.snmp && options.tcp.is_none());
        assert_eq!(
            VerifyOptions::for_probes(&names(&["icnp"])).unwrap_err(),
            "unknown probe `icnp` (did you mean `icmp`?); known probes: icmp, snmp, tcp"
        );
    }
}
