//! The daemon: continuous availability checks of every asset, incidents with their SLA
//! clocks, and the HTTP status page, API and metrics.
//!
//! - [`policy`]: the effective monitoring policy of each asset, maintenance windows (pure).
//! - [`calendar`]: business hours, for `hours: business` service levels (pure).
//! - [`machine`]: one asset's state with hysteresis and flapping; incident wanted or not
//!   (pure, time is an input).
//! - [`store`]: SQLite (WAL): incidents, state changes, probe history; SLA figures.
//! - [`scheduler`]: when each asset is checked, the checks themselves (through
//!   [`crate::verify::verify_assets`]), and what follows from a result.
//! - [`http`]: axum: status page, JSON API, `/metrics`, `/healthz`.
//! - [`notify`]: the optional webhook.
//!
//! [`Daemon::start`] loads, opens the database, starts the lab (`--lab`) and binds the
//! listener before returning, so a caller (a test) knows the address at once; [`Daemon::run`]
//! takes the shutdown as a future: only the binary reads signals.
//!
//! Architecture invariant: the daemon never judges a probe (the verdict does) and never
//! prints; it logs through `tracing`.

pub mod calendar;
pub mod http;
pub mod machine;
pub mod notify;
pub mod policy;
pub mod scheduler;
pub mod store;

use crate::access::{Access, AccessOptions};
use crate::check::open_resolver;
use crate::diag::Diagnostics;
use crate::inventory::{Asset, Inventory, Located, Selector};
use crate::lab::Lab;
use crate::secrets::{Secret, SecretResolver};
use machine::Status;
use policy::{Policy, Window};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use store::Store;

/// How the daemon runs.
#[derive(Debug, Clone)]
pub struct DaemonOptions {
    /// The inventory folder.
    pub inventory: PathBuf,
    /// Where the HTTP server listens (localhost by default).
    pub listen: SocketAddr,
    /// Check the twins of an in-process lab instead of the devices.
    pub lab: bool,
    /// Which assets (a `--limit` selector).
    pub limit: Option<String>,
    /// Write the verified state back at most this often per asset when nothing changes.
    pub writeback_every: Duration,
    /// Look for inventory file changes this often (None: only SIGHUP reloads).
    pub watch_every: Option<Duration>,
}

impl DaemonOptions {
    /// Defaults for `inventory`: 127.0.0.1:9180, write-back every 5 minutes, watch every 2 s.
    pub fn new(inventory: impl Into<PathBuf>) -> DaemonOptions {
        DaemonOptions {
            inventory: inventory.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 9180)),
            lab: false,
            limit: None,
            writeback_every: Duration::from_secs(300),
            watch_every: Some(Duration::from_secs(2)),
        }
    }
}

/// Why the daemon cannot start.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The inventory does not load, or the lab cannot start.
    #[error("{}", render_diagnostics(.0))]
    Inventory(Diagnostics),
    /// The database.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// The listener or the control socket.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// `--limit` does not parse.
    #[error("--limit: {0}")]
    Limit(String),
}

fn render_diagnostics(found: &Diagnostics) -> String {
    found
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// What the daemon knows of the inventory: replaced whole on reload.
pub struct World {
    /// The loaded inventory.
    pub inventory: Inventory,
    /// Its secrets.
    pub resolver: SecretResolver,
    /// Indexes into `inventory.assets` of the monitored assets.
    pub monitored: Vec<usize>,
    /// Effective policy per monitored asset, same order.
    pub policies: Vec<Policy>,
    /// Maintenance windows.
    pub windows: Vec<Window>,
    /// The API token (None: write endpoints refuse everything).
    pub token: Option<Secret>,
    /// The webhook URL.
    pub webhook: Option<String>,
    /// `--lab`: the webhook, like every destination, must be on loopback.
    pub lab: bool,
    /// Position in `monitored` of each monitored asset, by name.
    pub index: std::collections::HashMap<String, usize>,
}

impl World {
    /// A monitored asset and its policy, by name.
    pub fn asset(&self, name: &str) -> Option<(&Located<Asset>, &Policy)> {
        let &position = self.index.get(name)?;
        Some((
            &self.inventory.assets[self.monitored[position]],
            &self.policies[position],
        ))
    }

    /// The monitored assets with their policies.
    pub fn assets(&self) -> impl Iterator<Item = (&Located<Asset>, &Policy)> {
        self.monitored
            .iter()
            .zip(&self.policies)
            .map(|(&i, p)| (&self.inventory.assets[i], p))
    }
}

/// What the status page, the API and the metrics show of one asset.
#[derive(Debug, Clone, Serialize)]
pub struct AssetView {
    /// Name.
    pub name: String,
    /// Site.
    pub site: String,
    /// Kind.
    pub kind: String,
    /// Shown state.
    pub status: Status,
    /// Since when, ms (None: not settled yet).
    pub since: Option<i64>,
    /// Last check, ms.
    pub last_check: Option<i64>,
    /// Last check passed (blackbox `probe_success`).
    pub last_success: Option<bool>,
    /// Last check's duration, s.
    pub last_duration_seconds: Option<f64>,
    /// Last round trip, ms.
    pub rtt_ms: Option<f64>,
    /// Why, when not up.
    pub reason: String,
    /// The maintenance window covering it now.
    pub maintenance: Option<String>,
    /// Its service level.
    pub service_level: Option<String>,
}

/// State shared by the scheduler and the HTTP handlers.
pub struct Shared {
    /// The database.
    pub store: Store,
    /// The inventory as last loaded.
    pub world: RwLock<Arc<World>>,
    /// Per asset, what the last check left.
    pub views: RwLock<BTreeMap<String, AssetView>>,
    /// Reload requests (SIGHUP, file changes, tests).
    pub reload: tokio::sync::mpsc::UnboundedSender<()>,
    /// What the scheduler counts (checks, late ones, batches), for `/metrics`.
    pub counters: Arc<scheduler::Counters>,
}

impl Shared {
    /// The current world.
    pub fn world(&self) -> Arc<World> {
        match self.world.read() {
            Ok(world) => world.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// A snapshot of the views.
    pub fn views(&self) -> BTreeMap<String, AssetView> {
        match self.views.read() {
            Ok(views) => views.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

/// A started daemon: database open, lab running, listener bound.
pub struct Daemon {
    shared: Arc<Shared>,
    access: Access,
    options: DaemonOptions,
    listener: tokio::net::TcpListener,
    reload_rx: tokio::sync::mpsc::UnboundedReceiver<()>,
    control_socket: Option<PathBuf>,
    /// The inventory's files as loaded, for the watcher.
    fingerprint: scheduler::Fingerprint,
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Load the inventory and build the world; problems as diagnostics.
pub fn load_world(options: &DaemonOptions) -> Result<World, DaemonError> {
    let outcome = Inventory::load(&options.inventory);
    let Some(inventory) = outcome.inventory else {
        return Err(DaemonError::Inventory(outcome.diagnostics));
    };
    if outcome.diagnostics.has_errors() {
        return Err(DaemonError::Inventory(outcome.diagnostics));
    }
    let selector = match &options.limit {
        Some(limit) => Selector::parse(limit).map_err(|e| DaemonError::Limit(e.to_string()))?,
        None => Selector::default(),
    };
    let resolver = open_resolver(&inventory);
    let settings = inventory.settings.value.monitoring.clone();
    let (windows, problems) = policy::windows(&settings.maintenance);
    for problem in problems.iter() {
        tracing::warn!(problem = %problem.message, "maintenance window ignored");
    }
    let (calendar, problems) = policy::calendar(&settings);
    for problem in &problems {
        tracing::warn!(problem = %problem.message, "business_hours ignored: business-hours service levels count round the clock");
    }
    let token = match &settings.api_token {
        Some(reference) => match resolver.resolve(reference) {
            Ok(secret) => Some(secret),
            Err(error) => {
                // The error names the reference, never a value.
                tracing::warn!(%error, "API token unavailable: write endpoints refuse everything");
                None
            }
        },
        None => None,
    };
    let mut monitored = Vec::new();
    let mut policies = Vec::new();
    for (index, asset) in inventory.assets.iter().enumerate() {
        if !selector.matches(&asset.value) {
            continue;
        }
        let policy = policy::resolve_with(&inventory, asset, calendar.as_ref());
        if policy.enabled {
            monitored.push(index);
            policies.push(policy);
        }
    }
    if monitored.is_empty()
        && let Some(limit) = &options.limit
    {
        return Err(DaemonError::Limit(format!(
            "`{limit}` selects no monitored asset"
        )));
    }
    let index = monitored
        .iter()
        .enumerate()
        .map(|(position, &i)| (inventory.assets[i].value.name.clone(), position))
        .collect();
    // The daemon holds its inventory all day: the 25 MB of YAML text a 10,000-switch
    // inventory was parsed from is only needed to point at a line, which can read the
    // file again.
    inventory.release_texts();
    Ok(World {
        inventory,
        resolver,
        monitored,
        policies,
        windows,
        token,
        webhook: settings.webhook,
        lab: options.lab,
        index,
    })
}

impl Daemon {
    /// Load, open `state/netparc.db`, start the lab with `--lab` (and its control socket,
    /// so `netparc lab fault` reaches it), bind the listener.
    pub async fn start(options: DaemonOptions) -> Result<Daemon, DaemonError> {
        // Taken before loading: a change made while loading is then seen as a change.
        let fingerprint = scheduler::fingerprint(&options.inventory);
        let world = load_world(&options)?;
        let store = Store::open(&world.inventory.root.join("state").join("netparc.db"))?;
        let selector = match &options.limit {
            Some(limit) => Selector::parse(limit).map_err(|e| DaemonError::Limit(e.to_string()))?,
            None => Selector::default(),
        };
        let access = Access::open(
            &world.inventory,
            &world.resolver,
            &selector,
            &AccessOptions {
                lab: options.lab,
                faults: Vec::new(),
                accept_new: options.lab,
            },
        )
        .await
        .map_err(DaemonError::Inventory)?;
        let mut control_socket = None;
        if let Some(lab) = access.lab() {
            let path = crate::lab::LabOptions::for_inventory(&world.inventory)
                .state_dir
                .join("control.sock");
            lab.serve_control(&path).map_err(|source| DaemonError::Io {
                what: format!("cannot open the lab control socket {}", path.display()),
                source,
            })?;
            control_socket = Some(path);
        }
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .map_err(|source| DaemonError::Io {
                what: format!("cannot listen on {}", options.listen),
                source,
            })?;
        if !options.listen.ip().is_loopback() {
            // Allowed (a status screen on the LAN), but said loudly: reads need no token.
            tracing::warn!(address = %options.listen, "listening beyond localhost: the status page, API reads and metrics are open to that network");
        }
        let (reload, reload_rx) = tokio::sync::mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            store,
            world: RwLock::new(Arc::new(world)),
            views: RwLock::new(BTreeMap::new()),
            reload,
            counters: Arc::default(),
        });
        Ok(Daemon {
            shared,
            access,
            options,
            listener,
            reload_rx,
            control_socket,
            fingerprint,
        })
    }

    /// Where the HTTP server listens.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// The in-process lab (`--lab`), for tests that switch faults.
    pub fn lab(&self) -> Option<Arc<Lab>> {
        self.access.lab().cloned()
    }

    /// The shared state (database, views), for tests and embedding.
    pub fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    /// Run until `shutdown` completes: then stop checking, flush the verified state and the
    /// database, stop the lab.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let http = tokio::spawn(http::serve(
            self.listener,
            self.shared.clone(),
            wait_for_stop(stop_rx.clone()),
        ));
        if let Some(every) = self.options.watch_every {
            tokio::spawn(scheduler::watch_files(
                self.options.inventory.clone(),
                self.fingerprint,
                every,
                self.shared.reload.clone(),
                stop_rx.clone(),
            ));
        }
        let scheduler = scheduler::Scheduler::new(
            self.shared.clone(),
            self.access.clone(),
            self.options.clone(),
        );
        let stop = async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        };
        tokio::spawn(stop);
        scheduler.run(self.reload_rx, stop_rx).await;
        let _ = http.await;
        if let Err(error) = self.shared.store.checkpoint() {
            tracing::error!(%error, "database checkpoint failed");
        }
        if let Some(lab) = self.access.lab() {
            lab.stop().await;
        }
        if let Some(path) = self.control_socket {
            let _ = std::fs::remove_file(path);
        }
        tracing::info!("stopped; state and database flushed");
    }
}

async fn wait_for_stop(mut stop: tokio::sync::watch::Receiver<bool>) {
    while !*stop.borrow_and_update() {
        if stop.changed().await.is_err() {
            return;
        }
    }
}
