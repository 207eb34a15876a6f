//! When each asset is checked and what follows from a result.
//!
//! One loop owns every asset's [`Machine`]: it wakes at the earliest due time, starts the
//! due checks as tasks (at most `monitoring.concurrency` assets at once, through a
//! semaphore) and takes their results from a channel, one batch at a time, so the state
//! machines, the database and the write-back see results in one order and need no lock of
//! their own. The first check of each asset is spread over its interval, and every next one
//! is jittered by ±10 %, so a thousand assets with the same interval never fire together. A
//! failing asset is re-checked at its `retry_interval`. Intervals run from start to start
//! (from the end of the check when it outlasted its interval).
//!
//! Checks that fall due together run as one batch: everything due now, and what falls due
//! within [`BATCH_WINDOW`] (never earlier than a tenth of the asset's interval, inside its
//! own jitter), up to `concurrency` assets, goes through one [`verify_assets`] call (one
//! ICMP sweep on the shared socket, SNMP polls side by side) and its rows into the database
//! in one transaction ([`super::store::Store::record_checks`]). At 10,000 assets every 30 s
//! that is a few dozen assets per call instead of one.
//!
//! A check that starts more than [`LATE_AFTER`] after its due time is counted late
//! (`netparc_checks_late_total`): the sign of a daemon that cannot keep up. An asset's first
//! check has no deadline (its due time is only a spread of the start).
//!
//! Write-back of the verified state is coalesced: at once when an asset's state changes,
//! otherwise at most every `writeback_every`, in one locked batch (`StateStore::update_many`).

use super::machine::{Action, Machine, Outcome, Status};
use super::store::{CheckRow, NewIncident};
use super::{AssetView, DaemonOptions, Shared, World, load_world, now_ms, policy};
use crate::access::Access;
use crate::probe::icmp::{IcmpProbe, PingOptions};
use crate::probe::snmp::SnmpProbe;
use crate::probe::verdict::{Verdict, VerifiedState};
use crate::verify::{Probers, STATE_SECTION, VerifyOptions, verify_assets};
use rand::RngExt;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::Instant;

/// One asset in the loop.
struct Slot {
    machine: Machine,
    next_due: Instant,
    in_flight: bool,
    /// The verified state not yet written back, packed (see [`Packed`]), and when it was
    /// last written.
    pending: Option<Packed>,
    last_written: Option<Instant>,
    since: Option<i64>,
    /// Checked at least once since the daemon started (the first check has no deadline).
    checked: bool,
}

/// A finished check.
struct Done {
    asset: String,
    state: Option<VerifiedState>,
    /// Why no state (no twin, unresolvable secrets).
    problem: Option<String>,
    started_ms: i64,
    /// When its batch started (the next check is due an interval later).
    started: Instant,
    /// How long its batch took: the checks of a batch end together.
    duration: Duration,
}

/// Checks due within this much of the earliest due one start with it, in one batch.
pub const BATCH_WINDOW: Duration = Duration::from_millis(250);

/// A check that starts later than its due time by more than this is late.
pub const LATE_AFTER: Duration = Duration::from_secs(1);

/// What the scheduler counts, for `/metrics` (and the scale benchmark).
#[derive(Debug, Default)]
pub struct Counters {
    /// Checks started.
    pub checks: AtomicU64,
    /// Checks started more than [`LATE_AFTER`] after their due time (first checks aside).
    pub late: AtomicU64,
    /// `verify_assets` calls (batches) made.
    pub batches: AtomicU64,
    /// The largest lateness seen, ms (first checks aside).
    pub max_lateness_ms: AtomicU64,
}

/// The scheduling loop.
pub struct Scheduler {
    shared: Arc<Shared>,
    access: Access,
    options: DaemonOptions,
    slots: BTreeMap<String, Slot>,
    /// Due times of the slots not in flight, earliest first: the loop wakes for the first
    /// and pops what is due, without looking at the other assets (10,000 of them, maybe).
    queue: BTreeSet<(Instant, String)>,
    semaphore: Arc<Semaphore>,
    /// `monitoring.concurrency`: the most assets in flight, and the largest batch.
    concurrency: usize,
    /// States of the assets whose status changed in the batch being applied, written back
    /// together at its end.
    changed: Vec<(String, VerifiedState)>,
    writeback: WriteBack,
    /// One ICMP socket per family, SNMP engines and derived v3 keys, kept from one check to
    /// the next (deriving a v3 key is a megabyte of hashing: once per credential set).
    probers: Probers,
}

/// A batch of state sections to write: (asset, section, value).
/// The values travel packed: unpacked and parsed a few hundred at a time by the writer, so a
/// write-back of every asset never holds every parsed state at once.
type Updates = Vec<(String, String, Packed)>;

/// A verified state waiting for its write-back: its JSON text, deflated.
///
/// Between two write-backs the daemon holds one for every asset. A switch's state, with a
/// check and the facts of each port, is 8–12 KB of JSON that repeats itself ("GigabitEthernet1/0/7
/// is up"): 10,000 of them were 60–70 MB, a fifth of the daemon's memory. Deflated at the
/// fastest level they are about five times smaller, for some 30 µs per check on the
/// scheduling loop; the writer thread inflates them.
pub(crate) struct Packed(Box<[u8]>);

impl Packed {
    /// The state's JSON, deflated (None when it cannot be serialised).
    pub(crate) fn of(state: &impl serde::Serialize) -> Option<Packed> {
        use std::io::Write as _;
        let json = serde_json::to_vec(state).ok()?;
        let mut deflate = flate2::write::DeflateEncoder::new(
            Vec::with_capacity(json.len() / 4),
            flate2::Compression::fast(),
        );
        deflate.write_all(&json).ok()?;
        deflate
            .finish()
            .ok()
            .map(|packed| Packed(packed.into_boxed_slice()))
    }

    /// The JSON text back (None when the bytes are not what [`Packed::of`] made).
    pub(crate) fn json(&self) -> Option<Vec<u8>> {
        use std::io::Read as _;
        let mut json = Vec::with_capacity(self.0.len() * 6);
        flate2::read::DeflateDecoder::new(&self.0[..])
            .read_to_end(&mut json)
            .ok()?;
        Some(json)
    }

    /// Bytes held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}

/// The verified-state write-back, off the scheduling loop: thousands of state files (each
/// written atomically and synced) take seconds, during which no check would start. A
/// thread of its own writes what the loop queues, the latest state of each asset winning
/// when several wait.
#[derive(Default)]
struct WriteBack {
    queue: Option<std::sync::mpsc::Sender<Updates>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Written in place when the thread could not start or is gone.
    inline: Option<crate::state::StateStore>,
}

impl WriteBack {
    fn start(store: crate::state::StateStore) -> WriteBack {
        let (queue, received) = std::sync::mpsc::channel::<Updates>();
        let writer = store.clone();
        let thread = std::thread::Builder::new()
            .name(String::from("netparc-writeback"))
            .spawn(move || {
                while let Ok(first) = received.recv() {
                    let mut latest: BTreeMap<(String, String), Packed> = BTreeMap::new();
                    for batch in std::iter::once(first).chain(received.try_iter()) {
                        for (asset, section, value) in batch {
                            latest.insert((asset, section), value);
                        }
                    }
                    let updates: Updates = latest
                        .into_iter()
                        .map(|((asset, section), value)| (asset, section, value))
                        .collect();
                    write_states(&writer, &updates);
                }
            });
        match thread {
            Ok(thread) => WriteBack {
                queue: Some(queue),
                thread: Some(thread),
                // Should the thread be gone, the loop writes itself rather than lose states.
                inline: Some(store),
            },
            Err(error) => {
                tracing::warn!(%error, "no write-back thread: states are written in the loop");
                WriteBack {
                    queue: None,
                    thread: None,
                    inline: Some(store),
                }
            }
        }
    }

    fn send(&self, updates: Updates) {
        match (&self.queue, &self.inline) {
            (Some(queue), _) => {
                if let Err(std::sync::mpsc::SendError(updates)) = queue.send(updates)
                    && let Some(store) = &self.inline
                {
                    write_states(store, &updates);
                }
            }
            (None, Some(store)) => write_states(store, &updates),
            (None, None) => {}
        }
    }

    /// Write what is queued, then stop the thread.
    fn finish(&mut self) {
        self.queue = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn write_states(store: &crate::state::StateStore, updates: &Updates) {
    for chunk in updates.chunks(256) {
        let parsed: Vec<(String, String, serde_json::Value)> = chunk
            .iter()
            .filter_map(|(asset, section, packed)| {
                let value = packed
                    .json()
                    .and_then(|text| serde_json::from_slice(&text).ok());
                if value.is_none() {
                    tracing::error!(asset, "a pending verified state could not be unpacked");
                }
                value.map(|value| (asset.clone(), section.clone(), value))
            })
            .collect();
        if let Err(error) = store.update_many(&parsed) {
            tracing::error!(%error, "verified state write-back failed");
        } else {
            tracing::debug!(assets = parsed.len(), "verified state written back");
        }
    }
}

/// How every check pings: three echoes 200 ms apart, each waiting up to a second.
const PING: PingOptions = PingOptions {
    count: 3,
    interval: Duration::from_millis(200),
    timeout: Duration::from_secs(1),
};

impl Scheduler {
    /// Machines resumed from the database: a down asset stays down across restarts and
    /// reloads, its open incident stays the one incident.
    pub fn new(shared: Arc<Shared>, access: Access, options: DaemonOptions) -> Scheduler {
        let world = shared.world();
        let concurrency = world
            .inventory
            .settings
            .value
            .monitoring
            .concurrency
            .unwrap_or(64)
            .max(1);
        let writeback = WriteBack::start(crate::state::StateStore::open(&world.inventory.root));
        let mut scheduler = Scheduler {
            shared,
            access,
            options,
            slots: BTreeMap::new(),
            queue: BTreeSet::new(),
            semaphore: Arc::new(Semaphore::new(concurrency)),
            concurrency,
            changed: Vec::new(),
            writeback,
            probers: Probers {
                icmp: Some(IcmpProbe::new(PING)),
                snmp: SnmpProbe::new(),
            },
        };
        scheduler.adopt(&world);
        scheduler
    }

    /// Make the slots match `world`: keep the machines of assets still there, resume new
    /// ones from the database, drop the rest.
    fn adopt(&mut self, world: &World) {
        let statuses = match self.shared.store.last_statuses() {
            Ok(statuses) => statuses,
            Err(error) => {
                tracing::error!(%error, "cannot read the last states; starting from unknown");
                BTreeMap::new()
            }
        };
        let now = Instant::now();
        let mut slots = BTreeMap::new();
        let mut views = BTreeMap::new();
        for (asset, policy) in world.assets() {
            let name = asset.value.name.clone();
            let slot = match self.slots.remove(&name) {
                Some(slot) => slot,
                None => {
                    let open = matches!(self.shared.store.open_incident_for(&name), Ok(Some(_)));
                    let (machine, since) = match statuses.get(&name) {
                        Some((status, at)) => (Machine::resume(*status, open), Some(*at)),
                        None => (Machine::new(open), None),
                    };
                    let spread = rand::rng().random_range(0..policy.interval_ms.max(1) as u64);
                    Slot {
                        machine,
                        // Spread over the interval (at most 10 s, so a fresh start shows states soon).
                        next_due: now + Duration::from_millis(spread.min(10_000)),
                        in_flight: false,
                        pending: None,
                        last_written: None,
                        since,
                        checked: false,
                    }
                }
            };
            let previous = self.shared.views().get(&name).cloned();
            views.insert(
                name.clone(),
                AssetView {
                    name: name.clone(),
                    site: asset.value.site.clone(),
                    kind: asset.value.kind.as_str().to_string(),
                    status: slot.machine.status(),
                    since: slot.since,
                    last_check: previous.as_ref().and_then(|v| v.last_check),
                    last_success: previous.as_ref().and_then(|v| v.last_success),
                    last_duration_seconds: previous.as_ref().and_then(|v| v.last_duration_seconds),
                    rtt_ms: previous.as_ref().and_then(|v| v.rtt_ms),
                    reason: slot.machine.last_reason.clone(),
                    maintenance: None,
                    service_level: policy.service_level.as_ref().map(|(n, _)| n.clone()),
                },
            );
            slots.insert(name, slot);
        }
        // Removed assets: their pending write-back is flushed before they go.
        let leaving: Vec<(String, Slot)> = std::mem::take(&mut self.slots).into_iter().collect();
        self.flush_pending(
            leaving
                .into_iter()
                .filter_map(|(n, s)| s.pending.map(|p| (n, p))),
        );
        self.queue = slots
            .iter()
            .filter(|(_, s)| !s.in_flight)
            .map(|(name, s)| (s.next_due, name.clone()))
            .collect();
        self.slots = slots;
        match self.shared.views.write() {
            Ok(mut guard) => *guard = views,
            Err(poisoned) => *poisoned.into_inner() = views,
        }
    }

    /// Run until `stop` says so.
    pub async fn run(
        mut self,
        mut reload: mpsc::UnboundedReceiver<()>,
        mut stop: watch::Receiver<bool>,
    ) {
        let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Vec<Done>>();
        let mut flush_timer =
            tokio::time::interval(self.options.writeback_every.min(Duration::from_secs(60)));
        flush_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut prune_timer = tokio::time::interval(Duration::from_secs(3600));
        tracing::info!(assets = self.slots.len(), "daemon started");
        loop {
            let world = self.shared.world();
            self.start_due(&world, &done_tx);
            let wake = self
                .queue
                .first()
                .map(|(due, _)| *due)
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(1));
            tokio::select! {
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() { break; }
                }
                Some(()) = reload.recv() => self.reload(),
                Some(batch) = done_rx.recv() => self.take_batch(&world, batch),
                _ = tokio::time::sleep_until(wake) => {}
                _ = flush_timer.tick() => self.flush_due(false),
                _ = prune_timer.tick() => self.prune(&world),
            }
        }
        self.flush_due(true);
        // Everything queued is on disk before the daemon says it stopped (SIGTERM flushes).
        let mut writeback = std::mem::take(&mut self.writeback);
        let _ = tokio::task::spawn_blocking(move || writeback.finish()).await;
        tracing::info!("scheduler stopped");
    }

    /// Start what is due: everything due now and what falls due within the batch window
    /// (see the module documentation), in batches of at most `concurrency` assets.
    fn start_due(&mut self, world: &Arc<World>, done: &mpsc::UnboundedSender<Vec<Done>>) {
        let now = Instant::now();
        if self.queue.first().is_none_or(|(due, _)| *due > now) {
            return;
        }
        let mut taken: Vec<(Instant, String)> = Vec::new();
        for (due, name) in &self.queue {
            if *due > now + BATCH_WINDOW {
                break;
            }
            if *due > now {
                // Early only inside the asset's own jitter (a tenth of its interval).
                let Some((_, policy)) = world.asset(name) else {
                    continue;
                };
                let early =
                    Duration::from_millis(u64::try_from(policy.interval_ms / 10).unwrap_or(0));
                if *due > now + early {
                    continue;
                }
            }
            taken.push((*due, name.clone()));
        }
        let mut batch: Vec<(usize, Instant, bool)> = Vec::new();
        for (due, name) in taken {
            self.queue.remove(&(due, name.clone()));
            let (Some(&position), Some(slot)) = (world.index.get(&name), self.slots.get_mut(&name))
            else {
                continue;
            };
            slot.in_flight = true;
            batch.push((position, due, slot.checked));
            slot.checked = true;
        }
        for chunk in batch.chunks(self.concurrency) {
            self.spawn_batch(world, chunk.to_vec(), done);
        }
    }

    /// One task: wait for a permit per asset, then one `verify_assets` call for all of them.
    fn spawn_batch(
        &self,
        world: &Arc<World>,
        batch: Vec<(usize, Instant, bool)>,
        done: &mpsc::UnboundedSender<Vec<Done>>,
    ) {
        let (world, access, semaphore, done, probers, counters) = (
            world.clone(),
            self.access.clone(),
            self.semaphore.clone(),
            done.clone(),
            self.probers.clone(),
            self.shared.counters.clone(),
        );
        let lab = self.options.lab;
        tokio::spawn(async move {
            let permits = u32::try_from(batch.len()).unwrap_or(u32::MAX);
            // One permit per asset, each given back as that asset's probes end.
            let held = semaphore
                .acquire_many_owned(permits)
                .await
                .ok()
                .map(crate::verify::HeldPermits::new);
            let started = Instant::now();
            counters.batches.fetch_add(1, Ordering::Relaxed);
            counters
                .checks
                .fetch_add(batch.len() as u64, Ordering::Relaxed);
            for (_, due, deadline) in &batch {
                if !*deadline {
                    continue;
                }
                let lateness = started.saturating_duration_since(*due);
                if lateness > LATE_AFTER {
                    counters.late.fetch_add(1, Ordering::Relaxed);
                }
                counters.max_lateness_ms.fetch_max(
                    u64::try_from(lateness.as_millis()).unwrap_or(u64::MAX),
                    Ordering::Relaxed,
                );
            }
            let assets: Vec<_> = batch
                .iter()
                .map(|(position, ..)| &world.inventory.assets[world.monitored[*position]])
                .collect();
            let options = VerifyOptions {
                // On the shared loopback every 127.x address answers ping, down twin or
                // not: with --lab only SNMP tells (a down twin's agent goes silent).
                ping: (!lab).then_some(PING),
                tcp: None,
                snmp: true,
                // Every interval: the system group and the interfaces' states, not the
                // inventory facts (serial, speeds, aliases) that `netparc verify` reads.
                snmp_scope: crate::verify::SnmpScope::States,
                config: false,
                // The permits are taken: every asset of the batch at once.
                concurrency: assets.len(),
                held,
                probers: Some(probers),
                ..VerifyOptions::default()
            };
            let started_ms = now_ms();
            let (states, problems) = verify_assets(
                &world.inventory,
                &world.resolver,
                &access,
                &assets,
                &[],
                &options,
            )
            .await;
            let duration = started.elapsed();
            let mut states: HashMap<String, VerifiedState> = states
                .into_iter()
                .map(|state| (state.asset.clone(), state))
                .collect();
            // The first problem of each asset.
            let mut first: HashMap<String, String> = HashMap::new();
            for problem in problems.iter() {
                if let Some(asset) = &problem.asset {
                    first
                        .entry(asset.clone())
                        .or_insert_with(|| problem.message.clone());
                }
            }
            let mut problems = first;
            let results = assets
                .iter()
                .map(|asset| {
                    let name = &asset.value.name;
                    let state = states.remove(name);
                    let problem =
                        match &state {
                            Some(_) => None,
                            None => Some(problems.remove(name).unwrap_or_else(|| {
                                String::from("the check ended without a result")
                            })),
                        };
                    Done {
                        asset: name.clone(),
                        state,
                        problem,
                        started_ms,
                        started,
                        duration,
                    }
                })
                .collect();
            let _ = done.send(results);
        });
    }

    /// Apply a batch of results, one at a time, then write their check rows in one
    /// transaction.
    fn take_batch(&mut self, world: &World, batch: Vec<Done>) {
        let rows: Vec<(String, CheckRow)> = batch
            .into_iter()
            .filter_map(|done| self.take(world, done))
            .collect();
        if let Err(error) = self.shared.store.record_checks(&rows) {
            tracing::error!(%error, checks = rows.len(), "cannot record checks");
        }
        let changed = std::mem::take(&mut self.changed);
        self.flush(changed);
    }

    /// Apply one result: machine, state changes, incidents, views, write-back; the check's
    /// row for the database (written with the rest of its batch).
    fn take(&mut self, world: &World, done: Done) -> Option<(String, CheckRow)> {
        // None: removed by a reload while in flight.
        let (asset, policy) = world.asset(&done.asset)?;
        let slot = self.slots.get_mut(&done.asset)?;
        slot.in_flight = false;
        let now = done.started_ms + i64::try_from(done.duration.as_millis()).unwrap_or(0);
        let outcome = match (&done.state, &done.problem) {
            (Some(state), _) => classify(state, policy),
            (None, Some(problem)) => Outcome::Failed(problem.clone()),
            (None, None) => Outcome::Failed(String::from("no result")),
        };
        let maintenance = policy::in_maintenance(&world.windows, &asset.value, now);
        let before = slot.machine.status();
        let actions = slot
            .machine
            .observe(now, &outcome, policy, maintenance.is_some());
        let jitter = |ms: i64| {
            let spread = (ms / 10).max(1);
            ms + rand::rng().random_range(-spread..=spread)
        };
        let next = if slot.machine.failing {
            policy.retry_interval_ms
        } else {
            policy.interval_ms
        };
        let interval = Duration::from_millis(u64::try_from(jitter(next)).unwrap_or(1_000));
        // From start to start; from the end when the check outlasted its interval.
        let finished = Instant::now();
        slot.next_due = if done.started + interval > finished {
            done.started + interval
        } else {
            finished + interval
        };
        self.queue.insert((slot.next_due, done.asset.clone()));
        let store = &self.shared.store;
        let status = slot.machine.status();
        let row = CheckRow {
            at: now,
            outcome: match &outcome {
                Outcome::Good => "good",
                Outcome::Degraded(_) => "degraded",
                Outcome::Failed(_) => "failed",
            }
            .to_string(),
            status: status.as_str().to_string(),
            duration_ms: done.duration.as_secs_f64() * 1000.0,
            rtt_ms: done.state.as_ref().and_then(|s| s.reachability.rtt_ms),
            reason: if outcome == Outcome::Good {
                String::new()
            } else {
                outcome.reason()
            },
        };
        let site = asset.value.site.clone();
        for action in &actions {
            match action {
                Action::Changed { from, to } => {
                    slot.since = Some(now);
                    tracing::info!(asset = %done.asset, from = from.as_str(), to = to.as_str(), reason = %row.reason, "state changed");
                    if let Err(error) = store.record_transition(&done.asset, &site, now, *to) {
                        tracing::error!(%error, "cannot record a state change");
                    }
                    // A degraded asset that goes down keeps its one incident, raised to
                    // `down` with the down priority (never lowered on the way back).
                    if *to == Status::Down && *from == Status::Degraded {
                        let priority = policy::priority(policy.impact, policy.urgency);
                        match store.escalate(&done.asset, "down", priority) {
                            Ok(Some(id)) => {
                                tracing::warn!(asset = %done.asset, incident = id, priority, "incident escalated: down")
                            }
                            Ok(None) => {}
                            Err(error) => tracing::error!(%error, "cannot escalate an incident"),
                        }
                    }
                }
                Action::Open { status, reason } => {
                    let urgency = if *status == Status::Degraded {
                        policy.urgency.lower()
                    } else {
                        policy.urgency
                    };
                    let new = NewIncident {
                        asset: done.asset.clone(),
                        site: site.clone(),
                        kind: status.as_str().to_string(),
                        priority: policy::priority(policy.impact, urgency),
                        reason: reason.clone(),
                        service_level: policy.incident_terms(),
                        opened_at: now,
                    };
                    match store.open_incident(&new) {
                        Ok(id) => {
                            tracing::warn!(asset = %done.asset, incident = id, priority = new.priority, kind = %new.kind, reason = %new.reason, "incident opened");
                            if let Ok(incident) = store.incident(id) {
                                super::notify::send(world, "opened", &incident);
                            }
                        }
                        Err(error) => tracing::error!(%error, "cannot open an incident"),
                    }
                }
                Action::Resolve => match store.open_incident_for(&done.asset) {
                    Ok(Some(open)) => match store.resolve(open.id, "auto", None, now) {
                        Ok(incident) => {
                            tracing::info!(asset = %done.asset, incident = incident.id, "incident resolved");
                            super::notify::send(world, "resolved", &incident);
                        }
                        Err(error) => tracing::error!(%error, "cannot resolve an incident"),
                    },
                    // Resolved by hand already.
                    Ok(None) => {}
                    Err(error) => tracing::error!(%error, "cannot find the open incident"),
                },
            }
        }
        // A person may have resolved the incident by hand: the machine learns it here, so
        // a still-failing asset opens a new one (level-triggered).
        if slot.machine.incident_open
            && !actions.iter().any(|a| matches!(a, Action::Open { .. }))
            && matches!(store.open_incident_for(&done.asset), Ok(None))
        {
            slot.machine.incident_open = false;
        }
        let view = AssetView {
            name: done.asset.clone(),
            site,
            kind: asset.value.kind.as_str().to_string(),
            status,
            since: slot.since,
            last_check: Some(now),
            last_success: Some(outcome == Outcome::Good),
            last_duration_seconds: Some(done.duration.as_secs_f64()),
            rtt_ms: row.rtt_ms,
            reason: row.reason.clone(),
            maintenance: maintenance.map(str::to_string),
            service_level: policy.service_level.as_ref().map(|(n, _)| n.clone()),
        };
        match self.shared.views.write() {
            Ok(mut views) => {
                views.insert(done.asset.clone(), view);
            }
            Err(poisoned) => {
                poisoned.into_inner().insert(done.asset.clone(), view);
            }
        }
        if let Some(state) = done.state {
            if status != before {
                // Written with the rest of the batch, in one locked write.
                slot.pending = None;
                slot.last_written = Some(Instant::now());
                self.changed.push((done.asset.clone(), state));
            } else {
                slot.pending = Packed::of(&state);
            }
        }
        Some((done.asset, row))
    }

    /// Write back every pending state whose last write is older than `writeback_every`
    /// (all of them with `all`, at shutdown).
    fn flush_due(&mut self, all: bool) {
        let every = self.options.writeback_every;
        let now = Instant::now();
        let mut batch = Vec::new();
        for (name, slot) in &mut self.slots {
            let due = all
                || slot
                    .last_written
                    .is_none_or(|t| now.duration_since(t) >= every);
            if due && let Some(state) = slot.pending.take() {
                slot.last_written = Some(now);
                batch.push((name.clone(), state));
            }
        }
        self.flush_pending(batch);
    }

    fn flush(&self, states: impl IntoIterator<Item = (String, VerifiedState)>) {
        self.flush_pending(
            states
                .into_iter()
                .filter_map(|(name, state)| Packed::of(&state).map(|packed| (name, packed))),
        );
    }

    /// Write back pending states.
    fn flush_pending(&self, pending: impl IntoIterator<Item = (String, Packed)>) {
        let updates: Updates = pending
            .into_iter()
            .map(|(name, packed)| (name, STATE_SECTION.to_string(), packed))
            .collect();
        if updates.is_empty() {
            return;
        }
        self.writeback.send(updates);
    }

    fn reload(&mut self) {
        match load_world(&self.options) {
            Ok(world) => {
                let world = Arc::new(world);
                match self.shared.world.write() {
                    Ok(mut guard) => *guard = world.clone(),
                    Err(poisoned) => *poisoned.into_inner() = world.clone(),
                }
                self.adopt(&world);
                tracing::info!(assets = self.slots.len(), "inventory reloaded");
            }
            Err(error) => {
                tracing::error!(%error, "reload failed: keeping the previous inventory");
            }
        }
    }

    fn prune(&self, world: &World) {
        let days = i64::from(
            world
                .inventory
                .settings
                .value
                .monitoring
                .history_days
                .unwrap_or(35),
        );
        if let Err(error) = self.shared.store.prune(now_ms() - days * 86_400_000) {
            tracing::error!(%error, "cannot prune the probe history");
        }
    }
}

/// Good, degraded or failed, from what the probes saw and the asset's thresholds.
pub fn classify(state: &VerifiedState, policy: &policy::Policy) -> Outcome {
    if state.verdict == Verdict::Unreachable {
        let reason = state
            .checks
            .iter()
            .find(|c| c.name == "reachable")
            .map(|c| c.reason.clone())
            .unwrap_or_else(|| String::from("unreachable"));
        return Outcome::Failed(reason);
    }
    let mut reasons = Vec::new();
    if let Some(loss) = state.reachability.loss_percent
        && loss > policy.loss_percent
    {
        reasons.push(format!(
            "ping loss {loss:.0}% above {}%",
            policy.loss_percent
        ));
    }
    if let Some(rtt) = state.reachability.rtt_ms
        && rtt > policy.rtt_ms
    {
        reasons.push(format!("rtt {rtt:.1} ms above {} ms", policy.rtt_ms));
    }
    // The configuration drift is a change-management matter, not availability.
    for check in state.failures().filter(|c| c.name != "config") {
        reasons.push(format!("{}: {}", check.name, check.reason));
    }
    if reasons.is_empty() {
        Outcome::Good
    } else {
        Outcome::Degraded(reasons)
    }
}

/// Ask for a reload when a file of the inventory changes (modification time or size of
/// any file outside `state/`) from `last` (taken when the daemon started, so a change made
/// right after start is not missed), checked every `every`.
pub async fn watch_files(
    root: PathBuf,
    mut last: Fingerprint,
    every: Duration,
    reload: mpsc::UnboundedSender<()>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        let root2 = root.clone();
        let now = tokio::task::spawn_blocking(move || fingerprint(&root2))
            .await
            .unwrap_or_default();
        if now != last {
            last = now;
            tracing::info!("inventory files changed: reloading");
            if reload.send(()).is_err() {
                return;
            }
        }
    }
}

/// What the watcher compares: (path, modified, length) of every file, sorted.
pub type Fingerprint = Vec<(PathBuf, Option<std::time::SystemTime>, u64)>;

/// The fingerprint of every file under `root` except `state/` (and `.git/`).
pub fn fingerprint(root: &std::path::Path) -> Fingerprint {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                if path
                    .file_name()
                    .is_some_and(|n| n == "state" || n == ".git")
                    && dir == root
                {
                    continue;
                }
                stack.push(path);
            } else {
                found.push((path, meta.modified().ok(), meta.len()));
            }
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::monitoring::{Flapping, Level, Span};
    use crate::probe::icmp::{PingReport, RttStats};
    use crate::probe::verdict::{ConfigSync, Expectations, Measurements, assess};

    #[test]
    fn a_pending_state_is_held_deflated_and_unpacks_to_its_json() {
        let checks: Vec<serde_json::Value> = (1..=48)
            .map(|port| {
                serde_json::json!({
                    "name": "interface_up",
                    "passed": true,
                    "reason": format!("GigabitEthernet1/0/{port} is up"),
                })
            })
            .collect();
        let state = serde_json::json!({"asset": "sw-01", "checks": checks});
        let json = serde_json::to_vec(&state).unwrap();
        let packed = Packed::of(&state).unwrap();
        assert!(
            packed.len() * 4 < json.len(),
            "{} bytes packed for {} of JSON",
            packed.len(),
            json.len()
        );
        assert_eq!(packed.json().unwrap(), json);
        assert!(Packed(Box::from(&b"not deflate"[..])).json().is_none());
    }

    fn policy() -> policy::Policy {
        policy::Policy {
            enabled: true,
            interval_ms: 1000,
            retry_interval_ms: 500,
            failures: 3,
            successes: 2,
            loss_percent: 20.0,
            rtt_ms: 100.0,
            flapping: Flapping {
                changes: 4,
                window: Span(Duration::from_secs(60)),
            },
            service_level: None,
            impact: Level::Medium,
            urgency: Level::Medium,
        }
    }

    fn pinged(received: u16, avg_ms: f64, config: ConfigSync) -> VerifiedState {
        let report = PingReport {
            address: "127.0.0.1".parse().unwrap(),
            sent: 3,
            received,
            loss_percent: f64::from(3 - received) * 100.0 / 3.0,
            rtt: (received > 0).then_some(RttStats {
                min_ms: avg_ms,
                avg_ms,
                max_ms: avg_ms,
                mdev_ms: 0.0,
            }),
            samples: Vec::new(),
        };
        assess(
            "sw1",
            Measurements {
                ping: Some(Ok(report)),
                tcp: None,
                snmp: None,
            },
            &Expectations::default(),
            config,
            std::time::SystemTime::UNIX_EPOCH,
        )
    }

    #[test]
    fn classify_by_thresholds() {
        assert_eq!(
            classify(&pinged(3, 1.0, ConfigSync::InSync), &policy()),
            Outcome::Good
        );
        // A drifted configuration is a change matter, not an availability one.
        assert_eq!(
            classify(
                &pinged(3, 1.0, ConfigSync::Drifted { differences: 2 }),
                &policy()
            ),
            Outcome::Good
        );
        let Outcome::Degraded(reasons) = classify(&pinged(1, 1.0, ConfigSync::InSync), &policy())
        else {
            panic!("67% loss is degraded");
        };
        assert_eq!(reasons, ["ping loss 67% above 20%"]);
        let Outcome::Degraded(reasons) = classify(&pinged(3, 250.0, ConfigSync::InSync), &policy())
        else {
            panic!("slow is degraded");
        };
        assert_eq!(reasons, ["rtt 250.0 ms above 100 ms"]);
        let Outcome::Failed(reason) = classify(&pinged(0, 0.0, ConfigSync::InSync), &policy())
        else {
            panic!("no reply is failed");
        };
        assert!(reason.contains("no reply to 3 ping(s)"), "{reason}");
    }
}
