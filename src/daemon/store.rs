//! The daemon's database: incidents (ITIL, with their GTI/GTR clocks), state changes (what
//! availability is computed from) and the probe history, in SQLite (`state/netparc.db`,
//! WAL, so `netparc incidents` and `netparc sla` read while the daemon writes).
//!
//! Times are milliseconds since the epoch (UTC) everywhere: one integer compares and
//! subtracts, and the status page formats them. Availability comes from the state changes
//! (one row per change), not from the checks, so a month of 30 s checks on 10,000 assets
//! is not scanned to answer `netparc sla`; the checks table is the recent history the
//! status page and the API show, pruned after `history_days`. Planned maintenance is left
//! out of the measured period ([`Store::sla_excluding`]: the windows come from the policy).
//!
//! An incident keeps a copy of its service level's terms when it opens: the targets, and
//! for a business-hours level the business hours, so its clocks read the same in the
//! daemon, the API and `netparc incidents` (which never loads the inventory), and never
//! move with a later edit of netparc.yml.
//!
//! Architecture invariant: no secret is ever stored here (reasons come from probes, whose
//! texts name no secret; the acknowledging person is a name given to the API).

use super::calendar::Calendar;
use super::machine::Status;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

/// What can go wrong with the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite said no.
    #[error("database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: String,
        /// Why.
        source: rusqlite::Error,
    },
    /// No such incident.
    #[error("no incident #{0}")]
    NotFound(i64),
    /// The incident is already resolved: nothing to acknowledge or resolve.
    #[error("incident #{0} is already resolved")]
    Resolved(i64),
}

/// One incident, with its SLA clocks.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Incident {
    /// Its number.
    pub id: i64,
    /// The asset.
    pub asset: String,
    /// Its site.
    pub site: String,
    /// `down`, `degraded` or `flapping`.
    pub kind: String,
    /// 1 (critical) … 5.
    pub priority: u8,
    /// Why it opened.
    pub reason: String,
    /// The service level's name, if the asset has one.
    pub service_level: Option<String>,
    /// GTI target, ms.
    pub gti_target_ms: Option<i64>,
    /// GTR target, ms.
    pub gtr_target_ms: Option<i64>,
    /// Opened, ms since the epoch.
    pub opened_at: i64,
    /// Acknowledged (intervention started), ms since the epoch.
    pub acknowledged_at: Option<i64>,
    /// Who acknowledged.
    pub acknowledged_by: Option<String>,
    /// Resolved, ms since the epoch.
    pub resolved_at: Option<i64>,
    /// `auto` or who resolved it.
    pub resolved_by: Option<String>,
    /// A note given when resolving by hand.
    pub resolution: Option<String>,
    /// Some: the clocks count only these business hours (`hours: business`).
    pub business_hours: Option<Calendar>,
}

/// Which time the SLA clocks of an incident count.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub enum ClockHours {
    /// Round the clock.
    #[serde(rename = "24/7")]
    Always,
    /// Within the business hours only.
    #[serde(rename = "business")]
    Business,
}

impl ClockHours {
    /// `24/7` or `business`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClockHours::Always => "24/7",
            ClockHours::Business => "business",
        }
    }
}

/// The SLA clocks of an incident at some instant.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Clocks {
    /// Time to intervention so far (stops at acknowledgement, or at resolution when nobody
    /// acknowledged), ms.
    pub gti_ms: i64,
    /// Time to restoration so far (stops at resolution), ms.
    pub gtr_ms: i64,
    /// GTI exceeded its target.
    pub gti_breached: bool,
    /// GTR exceeded its target.
    pub gtr_breached: bool,
    /// The GTI clock still runs.
    pub gti_running: bool,
    /// The GTR clock still runs.
    pub gtr_running: bool,
    /// Which time the clocks count.
    pub hours: ClockHours,
    /// When the GTI target is (or was) reached, ms since the epoch.
    pub gti_due_at: Option<i64>,
    /// When the GTR target is (or was) reached, ms since the epoch.
    pub gtr_due_at: Option<i64>,
}

impl Incident {
    /// The clocks at `now`: elapsed time (business time for a business-hours level)
    /// against the targets, and when each target falls due.
    pub fn clocks(&self, now: i64) -> Clocks {
        let gti_end = self.acknowledged_at.or(self.resolved_at);
        let elapsed = |end: i64| match &self.business_hours {
            Some(calendar) => calendar.business_ms(self.opened_at, end),
            None => end - self.opened_at,
        };
        let due = |target: Option<i64>| {
            let target = target?;
            match &self.business_hours {
                Some(calendar) => calendar.deadline(self.opened_at, target),
                None => Some(self.opened_at + target),
            }
        };
        let gti_ms = elapsed(gti_end.unwrap_or(now));
        let gtr_ms = elapsed(self.resolved_at.unwrap_or(now));
        Clocks {
            gti_ms,
            gtr_ms,
            gti_breached: self.gti_target_ms.is_some_and(|t| gti_ms > t),
            gtr_breached: self.gtr_target_ms.is_some_and(|t| gtr_ms > t),
            gti_running: gti_end.is_none(),
            gtr_running: self.resolved_at.is_none(),
            hours: self.clock_hours(),
            gti_due_at: due(self.gti_target_ms),
            gtr_due_at: due(self.gtr_target_ms),
        }
    }

    /// Which time its clocks count.
    pub fn clock_hours(&self) -> ClockHours {
        if self.business_hours.is_some() {
            ClockHours::Business
        } else {
            ClockHours::Always
        }
    }

    /// Open or acknowledged or resolved.
    pub fn state(&self) -> &'static str {
        if self.resolved_at.is_some() {
            "resolved"
        } else if self.acknowledged_at.is_some() {
            "acknowledged"
        } else {
            "open"
        }
    }
}

/// A new incident.
#[derive(Debug, Clone)]
pub struct NewIncident {
    /// The asset.
    pub asset: String,
    /// Its site.
    pub site: String,
    /// `down`, `degraded` or `flapping`.
    pub kind: String,
    /// 1 … 5.
    pub priority: u8,
    /// Why.
    pub reason: String,
    /// The service level's terms.
    pub service_level: Option<SlaTerms>,
    /// When.
    pub opened_at: i64,
}

/// What an incident records of its service level when it opens.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaTerms {
    /// The service level's name.
    pub name: String,
    /// GTI target, ms (business time with `business_hours`).
    pub gti_ms: i64,
    /// GTR target, ms (business time with `business_hours`).
    pub gtr_ms: i64,
    /// Some: the clocks count only these hours.
    pub business_hours: Option<Calendar>,
}

/// One check in the history.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CheckRow {
    /// When, ms.
    pub at: i64,
    /// `good`, `degraded` or `failed`.
    pub outcome: String,
    /// The state after it.
    pub status: String,
    /// How long the check took, ms.
    pub duration_ms: f64,
    /// Round trip, ms, when measured.
    pub rtt_ms: Option<f64>,
    /// Why, when not good.
    pub reason: String,
}

/// Availability and incidents of one asset over a period.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AssetSla {
    /// The asset.
    pub asset: String,
    /// Its site.
    pub site: String,
    /// Available time / observed time (None: never observed outside maintenance in the
    /// period).
    pub availability: Option<f64>,
    /// Observed time outside maintenance windows, ms: the measured period.
    pub observed_ms: i64,
    /// Unavailable (down or flapping) time outside maintenance windows, ms.
    pub down_ms: i64,
    /// Observed time inside maintenance windows, ms: left out of the measured period.
    pub maintenance_ms: i64,
    /// … of which the asset was down or flapping (not counted against it), ms.
    pub down_in_maintenance_ms: i64,
    /// Incidents opened in the period.
    pub incidents: u32,
    /// … whose GTI was met / breached (running clocks count as they stand).
    pub gti_met: u32,
    /// GTI breached.
    pub gti_breached: u32,
    /// GTR met.
    pub gtr_met: u32,
    /// GTR breached.
    pub gtr_breached: u32,
}

/// The database, shared by the scheduler, the HTTP handlers and the commands.
pub struct Store {
    connection: Mutex<Connection>,
    path: String,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS incidents (
  id INTEGER PRIMARY KEY,
  asset TEXT NOT NULL,
  site TEXT NOT NULL,
  kind TEXT NOT NULL,
  priority INTEGER NOT NULL,
  reason TEXT NOT NULL,
  service_level TEXT,
  gti_target_ms INTEGER,
  gtr_target_ms INTEGER,
  opened_at INTEGER NOT NULL,
  acknowledged_at INTEGER,
  acknowledged_by TEXT,
  resolved_at INTEGER,
  resolved_by TEXT,
  resolution TEXT
);
CREATE INDEX IF NOT EXISTS incidents_opened ON incidents(opened_at);
CREATE INDEX IF NOT EXISTS incidents_unresolved ON incidents(asset) WHERE resolved_at IS NULL;
CREATE TABLE IF NOT EXISTS transitions (
  asset TEXT NOT NULL,
  site TEXT NOT NULL,
  at INTEGER NOT NULL,
  status TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS transitions_asset_at ON transitions(asset, at);
CREATE TABLE IF NOT EXISTS checks (
  asset TEXT NOT NULL,
  at INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  status TEXT NOT NULL,
  duration_ms REAL NOT NULL,
  rtt_ms REAL,
  reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS checks_asset_at ON checks(asset, at);
CREATE INDEX IF NOT EXISTS checks_at ON checks(at);
";

const INCIDENT_COLUMNS: &str = "id, asset, site, kind, priority, reason, service_level, \
     gti_target_ms, gtr_target_ms, opened_at, acknowledged_at, acknowledged_by, resolved_at, \
     resolved_by, resolution, business_hours";

/// Columns added after the first release, added to an older database when it opens.
/// `business_hours`: the business hours of the incident's service level (JSON, as written
/// in netparc.yml), NULL for round-the-clock clocks.
fn migrate(connection: &Connection) -> rusqlite::Result<()> {
    let has_business_hours: bool = connection.query_row(
        "SELECT COUNT(*) FROM pragma_table_info('incidents') WHERE name = 'business_hours'",
        [],
        |row| row.get::<_, i64>(0).map(|n| n > 0),
    )?;
    if !has_business_hours {
        connection.execute_batch("ALTER TABLE incidents ADD COLUMN business_hours TEXT;")?;
    }
    Ok(())
}

fn incident_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Incident> {
    Ok(Incident {
        id: row.get(0)?,
        asset: row.get(1)?,
        site: row.get(2)?,
        kind: row.get(3)?,
        priority: row.get(4)?,
        reason: row.get(5)?,
        service_level: row.get(6)?,
        gti_target_ms: row.get(7)?,
        gtr_target_ms: row.get(8)?,
        opened_at: row.get(9)?,
        acknowledged_at: row.get(10)?,
        acknowledged_by: row.get(11)?,
        resolved_at: row.get(12)?,
        resolved_by: row.get(13)?,
        resolution: row.get(14)?,
        business_hours: match row.get::<_, Option<String>>(15)? {
            None => None,
            Some(json) => Some(serde_json::from_str(&json).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(15, rusqlite::types::Type::Text, e.into())
            })?),
        },
    })
}

impl Store {
    /// Open (or create) the database at `path`, in WAL mode.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let name = path.display().to_string();
        let wrap = |source| StoreError::Sqlite {
            path: name.clone(),
            source,
        };
        if let Some(parent) = path.parent() {
            // A missing state folder is created like every other state file; failure is
            // reported by SQLite's open below.
            let _ = std::fs::create_dir_all(parent);
        }
        let connection = Connection::open(path).map_err(wrap)?;
        // WAL: readers (`netparc sla`, the API) never block the scheduler's writes. NORMAL
        // sync in WAL loses at most the last transactions on power loss, never integrity;
        // SIGTERM checkpoints.
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(wrap)?;
        connection
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(wrap)?;
        connection
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(wrap)?;
        connection.execute_batch(SCHEMA).map_err(wrap)?;
        migrate(&connection).map_err(wrap)?;
        Ok(Store {
            connection: Mutex::new(connection),
            path: name,
        })
    }

    fn with<T>(
        &self,
        work: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let mut connection = match self.connection.lock() {
            Ok(guard) => guard,
            // A panic while holding the lock cannot leave SQLite inconsistent (transactions).
            Err(poisoned) => poisoned.into_inner(),
        };
        work(&mut connection).map_err(|source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        })
    }

    /// Open an incident; its number.
    pub fn open_incident(&self, new: &NewIncident) -> Result<i64, StoreError> {
        let terms = new.service_level.as_ref();
        let business_hours = terms
            .and_then(|t| t.business_hours.as_ref())
            .map(|c| serde_json::to_string(c).unwrap_or_default());
        self.with(|c| {
            c.execute(
                "INSERT INTO incidents (asset, site, kind, priority, reason, service_level, \
                 gti_target_ms, gtr_target_ms, opened_at, business_hours) \
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
                params![
                    new.asset,
                    new.site,
                    new.kind,
                    new.priority,
                    new.reason,
                    terms.map(|t| t.name.clone()),
                    terms.map(|t| t.gti_ms),
                    terms.map(|t| t.gtr_ms),
                    new.opened_at,
                    business_hours,
                ],
            )?;
            Ok(c.last_insert_rowid())
        })
    }

    /// One incident.
    pub fn incident(&self, id: i64) -> Result<Incident, StoreError> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = ?1"),
                [id],
                incident_from_row,
            )
            .optional()
        })?
        .ok_or(StoreError::NotFound(id))
    }

    /// Acknowledge: someone is on it; the GTI clock stops. Acknowledging twice keeps the
    /// first time (the clock stopped then).
    pub fn acknowledge(&self, id: i64, by: &str, now: i64) -> Result<Incident, StoreError> {
        let incident = self.incident(id)?;
        if incident.resolved_at.is_some() {
            return Err(StoreError::Resolved(id));
        }
        self.with(|c| {
            c.execute(
                "UPDATE incidents SET acknowledged_at = ?2, acknowledged_by = ?3 \
                 WHERE id = ?1 AND acknowledged_at IS NULL",
                params![id, now, by],
            )
        })?;
        self.incident(id)
    }

    /// Resolve by hand (or `by = "auto"` when the asset is back); the GTR clock stops.
    pub fn resolve(
        &self,
        id: i64,
        by: &str,
        note: Option<&str>,
        now: i64,
    ) -> Result<Incident, StoreError> {
        let incident = self.incident(id)?;
        if incident.resolved_at.is_some() {
            return Err(StoreError::Resolved(id));
        }
        self.with(|c| {
            c.execute(
                "UPDATE incidents SET resolved_at = ?2, resolved_by = ?3, resolution = ?4 \
                 WHERE id = ?1 AND resolved_at IS NULL",
                params![id, now, by, note],
            )
        })?;
        self.incident(id)
    }

    /// Raise the unresolved incident of `asset` to `kind` and at least `priority` (a lower
    /// number is more urgent); its number when one was changed.
    pub fn escalate(
        &self,
        asset: &str,
        kind: &str,
        priority: u8,
    ) -> Result<Option<i64>, StoreError> {
        let Some(open) = self.open_incident_for(asset)? else {
            return Ok(None);
        };
        if open.kind == kind && open.priority <= priority {
            return Ok(None);
        }
        self.with(|c| {
            c.execute(
                "UPDATE incidents SET kind = ?2, priority = MIN(priority, ?3) WHERE id = ?1",
                params![open.id, kind, priority],
            )
        })?;
        Ok(Some(open.id))
    }

    /// The unresolved incident of `asset`, if any (there is at most one: the machine opens
    /// one only when none is open).
    pub fn open_incident_for(&self, asset: &str) -> Result<Option<Incident>, StoreError> {
        self.with(|c| {
            c.query_row(
                &format!(
                    "SELECT {INCIDENT_COLUMNS} FROM incidents \
                     WHERE asset = ?1 AND resolved_at IS NULL ORDER BY id DESC LIMIT 1"
                ),
                [asset],
                incident_from_row,
            )
            .optional()
        })
    }

    /// Unresolved incidents, highest priority first.
    pub fn open_incidents(&self) -> Result<Vec<Incident>, StoreError> {
        self.query_incidents(
            "WHERE resolved_at IS NULL ORDER BY priority, opened_at",
            params![],
        )
    }

    /// Incidents opened since `since` or still open, newest first, at most `limit`.
    pub fn incidents_since(&self, since: i64, limit: u32) -> Result<Vec<Incident>, StoreError> {
        self.query_incidents(
            "WHERE opened_at >= ?1 OR resolved_at IS NULL ORDER BY opened_at DESC LIMIT ?2",
            params![since, limit],
        )
    }

    fn query_incidents(
        &self,
        clause: &str,
        values: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<Incident>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {INCIDENT_COLUMNS} FROM incidents {clause}"
            ))?;
            let rows = statement.query_map(values, incident_from_row)?;
            rows.collect()
        })
    }

    /// Record a state change.
    pub fn record_transition(
        &self,
        asset: &str,
        site: &str,
        at: i64,
        status: Status,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            c.prepare_cached(
                "INSERT INTO transitions (asset, site, at, status) VALUES (?1,?2,?3,?4)",
            )?
            .execute(params![asset, site, at, status.as_str()])
            .map(|_| ())
        })
    }

    /// Record one check.
    pub fn record_check(&self, asset: &str, row: &CheckRow) -> Result<(), StoreError> {
        self.with(|c| {
            c.prepare_cached(
                "INSERT INTO checks (asset, at, outcome, status, duration_ms, rtt_ms, reason) \
                 VALUES (?1,?2,?3,?4,?5,?6,?7)",
            )?
            .execute(params![
                asset,
                row.at,
                row.outcome,
                row.status,
                row.duration_ms,
                row.rtt_ms,
                row.reason
            ])
            .map(|_| ())
        })
    }

    /// Record a batch of checks in one transaction (one commit, one WAL sync, instead of
    /// one per check: what the scheduler writes for the checks of one batch).
    pub fn record_checks(&self, rows: &[(String, CheckRow)]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        self.with(|c| {
            let transaction = c.transaction()?;
            {
                let mut statement = transaction.prepare_cached(
                    "INSERT INTO checks (asset, at, outcome, status, duration_ms, rtt_ms, reason) \
                     VALUES (?1,?2,?3,?4,?5,?6,?7)",
                )?;
                for (asset, row) in rows {
                    statement.execute(params![
                        asset,
                        row.at,
                        row.outcome,
                        row.status,
                        row.duration_ms,
                        row.rtt_ms,
                        row.reason
                    ])?;
                }
            }
            transaction.commit()
        })
    }

    /// The last `limit` checks of `asset`, newest first.
    pub fn history(&self, asset: &str, limit: u32) -> Result<Vec<CheckRow>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT at, outcome, status, duration_ms, rtt_ms, reason FROM checks \
                 WHERE asset = ?1 ORDER BY at DESC LIMIT ?2",
            )?;
            let rows = statement.query_map(params![asset, limit], |row| {
                Ok(CheckRow {
                    at: row.get(0)?,
                    outcome: row.get(1)?,
                    status: row.get(2)?,
                    duration_ms: row.get(3)?,
                    rtt_ms: row.get(4)?,
                    reason: row.get(5)?,
                })
            })?;
            rows.collect()
        })
    }

    /// The last recorded state of every asset and since when (what a restarted daemon
    /// resumes from).
    pub fn last_statuses(&self) -> Result<BTreeMap<String, (Status, i64)>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT asset, status, at FROM transitions t WHERE at = \
                 (SELECT MAX(at) FROM transitions WHERE asset = t.asset)",
            )?;
            let rows = statement.query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                ))
            })?;
            rows.map(|r| r.map(|(a, s, at)| (a, (Status::parse(&s), at))))
                .collect()
        })
    }

    /// Forget checks older than `before` (state changes and incidents are kept: they are
    /// the SLA record).
    pub fn prune(&self, before: i64) -> Result<usize, StoreError> {
        self.with(|c| c.execute("DELETE FROM checks WHERE at < ?1", [before]))
    }

    /// Fold the WAL into the database file (on shutdown).
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.with(|c| c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);"))
    }

    /// Availability and incidents per asset over `[since, now]`, every moment measured
    /// (no maintenance known): [`Store::sla_excluding`] with no windows.
    pub fn sla(&self, since: i64, now: i64) -> Result<Vec<AssetSla>, StoreError> {
        self.sla_excluding(since, now, &BTreeMap::new())
    }

    /// Availability and incidents per asset over `[since, now]`. Time before an asset's
    /// first state (unknown) is not observed; down and flapping count as unavailable,
    /// degraded as available (it answers). `maintenance` gives, per asset, the sorted
    /// disjoint spans of its maintenance windows (`policy::maintenance_by_asset`): that
    /// time is left out of the measured period, whatever the state (the SLA convention:
    /// availability = up time / (period − planned maintenance)).
    pub fn sla_excluding(
        &self,
        since: i64,
        now: i64,
        maintenance: &BTreeMap<String, Vec<(i64, i64)>>,
    ) -> Result<Vec<AssetSla>, StoreError> {
        let mut per: BTreeMap<String, AssetSla> = BTreeMap::new();
        let entry = |asset: &str, site: &str| -> AssetSla {
            AssetSla {
                asset: asset.to_string(),
                site: site.to_string(),
                availability: None,
                observed_ms: 0,
                down_ms: 0,
                maintenance_ms: 0,
                down_in_maintenance_ms: 0,
                incidents: 0,
                gti_met: 0,
                gti_breached: 0,
                gtr_met: 0,
                gtr_breached: 0,
            }
        };
        // The state each asset was in at `since`, then every change after it.
        let changes: Vec<(String, String, i64, String)> = self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT asset, site, MAX(at), status FROM transitions WHERE at <= ?1 GROUP BY asset \
                 UNION ALL \
                 SELECT asset, site, at, status FROM transitions WHERE at > ?1 \
                 ORDER BY 1, 3",
            )?;
            let rows = statement.query_map([since], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })?;
            rows.collect()
        })?;
        let mut current: Option<(String, i64, Status)> = None;
        let close = |per: &mut BTreeMap<String, AssetSla>,
                     asset: &str,
                     from: i64,
                     to: i64,
                     status: Status| {
            let from = from.max(since);
            let span = to.saturating_sub(from).max(0);
            let planned = maintenance
                .get(asset)
                .map_or(0, |spans| overlap(spans, from, to));
            if let Some(row) = per.get_mut(asset) {
                match status {
                    Status::Unknown => {}
                    Status::Down | Status::Flapping => {
                        row.observed_ms += span - planned;
                        row.down_ms += span - planned;
                        row.maintenance_ms += planned;
                        row.down_in_maintenance_ms += planned;
                    }
                    Status::Up | Status::Degraded => {
                        row.observed_ms += span - planned;
                        row.maintenance_ms += planned;
                    }
                }
            }
        };
        for (asset, site, at, status) in changes {
            per.entry(asset.clone())
                .or_insert_with(|| entry(&asset, &site));
            if let Some((previous, from, state)) = current.take() {
                let to = if previous == asset { at } else { now };
                close(&mut per, &previous, from, to, state);
            }
            current = Some((asset, at, Status::parse(&status)));
        }
        if let Some((previous, from, state)) = current {
            close(&mut per, &previous, from, now, state);
        }
        for incident in self.incidents_since(since, u32::MAX)? {
            if incident.opened_at < since {
                continue;
            }
            let row = per
                .entry(incident.asset.clone())
                .or_insert_with(|| entry(&incident.asset, &incident.site));
            let clocks = incident.clocks(now);
            row.incidents += 1;
            if clocks.gti_breached {
                row.gti_breached += 1;
            } else if incident.gti_target_ms.is_some() {
                row.gti_met += 1;
            }
            if clocks.gtr_breached {
                row.gtr_breached += 1;
            } else if incident.gtr_target_ms.is_some() {
                row.gtr_met += 1;
            }
        }
        for row in per.values_mut() {
            if row.observed_ms > 0 {
                row.availability =
                    Some((row.observed_ms - row.down_ms) as f64 / row.observed_ms as f64);
            }
        }
        Ok(per.into_values().collect())
    }
}

/// How much of `[from, to)` the sorted disjoint `spans` cover, ms.
fn overlap(spans: &[(i64, i64)], from: i64, to: i64) -> i64 {
    spans
        .iter()
        .map(|&(start, end)| (end.min(to) - start.max(from)).max(0))
        .sum()
}

/// Availability per site: observed-time-weighted over its assets (maintenance time being
/// out of each asset's observed time, it is out of the site's too).
pub fn site_availability(rows: &[AssetSla]) -> BTreeMap<String, Option<f64>> {
    let mut sums: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for row in rows {
        let sum = sums.entry(row.site.clone()).or_default();
        sum.0 += row.observed_ms;
        sum.1 += row.down_ms;
    }
    sums.into_iter()
        .map(|(site, (observed, down))| {
            let ratio = (observed > 0).then(|| (observed - down) as f64 / observed as f64);
            (site, ratio)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("state/netparc.db")).unwrap();
        (dir, store)
    }

    fn new(asset: &str, at: i64) -> NewIncident {
        NewIncident {
            asset: asset.into(),
            site: "hq".into(),
            kind: "down".into(),
            priority: 2,
            reason: "no reply".into(),
            service_level: Some(SlaTerms {
                name: "gold".into(),
                gti_ms: 3_600_000,
                gtr_ms: 4 * 3_600_000,
                business_hours: None,
            }),
            opened_at: at,
        }
    }

    #[test]
    fn acknowledgement_stops_gti_and_resolution_gtr() {
        let (_dir, store) = store();
        let id = store.open_incident(&new("sw1", 1_000)).unwrap();
        let open = store.incident(id).unwrap();
        assert_eq!(open.clocks(61_000).gti_ms, 60_000);
        let acked = store.acknowledge(id, "alice", 121_000).unwrap();
        assert_eq!(acked.clocks(10_000_000).gti_ms, 120_000, "stopped at ack");
        assert!(acked.clocks(10_000_000).gtr_running);
        let again = store.acknowledge(id, "bob", 500_000).unwrap();
        assert_eq!(again.acknowledged_by.as_deref(), Some("alice"));
        let done = store.resolve(id, "auto", None, 5 * 3_600_000).unwrap();
        let clocks = done.clocks(99_999_999);
        assert_eq!(clocks.gtr_ms, 5 * 3_600_000 - 1_000);
        assert!(clocks.gtr_breached && !clocks.gti_breached);
        assert!(matches!(
            store.resolve(id, "x", None, 0),
            Err(StoreError::Resolved(_))
        ));
        assert!(matches!(
            store.acknowledge(99, "x", 0),
            Err(StoreError::NotFound(99))
        ));
        assert!(store.open_incidents().unwrap().is_empty());
    }

    #[test]
    fn escalation_raises_never_lowers() {
        let (_dir, store) = store();
        let mut degraded = new("sw1", 0);
        degraded.kind = "degraded".into();
        degraded.priority = 3;
        let id = store.open_incident(&degraded).unwrap();
        assert_eq!(store.escalate("sw1", "down", 2).unwrap(), Some(id));
        let raised = store.incident(id).unwrap();
        assert_eq!((raised.kind.as_str(), raised.priority), ("down", 2));
        assert_eq!(store.escalate("sw1", "down", 4).unwrap(), None);
        assert_eq!(store.incident(id).unwrap().priority, 2);
        assert_eq!(store.escalate("sw2", "down", 1).unwrap(), None);
    }

    #[test]
    fn maintenance_is_left_out_of_availability() {
        let (_dir, store) = store();
        // sw1: up from 0, down 10,000–12,000, up again until 20,000; in maintenance
        // 0–10,000 (half its time, none of its down time).
        store.record_transition("sw1", "hq", 0, Status::Up).unwrap();
        store
            .record_transition("sw1", "hq", 10_000, Status::Down)
            .unwrap();
        store
            .record_transition("sw1", "hq", 12_000, Status::Up)
            .unwrap();
        // sw2: up from 10,000, no maintenance.
        store
            .record_transition("sw2", "hq", 10_000, Status::Up)
            .unwrap();
        // ap1: down 4,000–8,000 inside its maintenance 3,000–9,000: not counted.
        store
            .record_transition("ap1", "lyon", 0, Status::Up)
            .unwrap();
        store
            .record_transition("ap1", "lyon", 4_000, Status::Down)
            .unwrap();
        store
            .record_transition("ap1", "lyon", 8_000, Status::Up)
            .unwrap();
        let maintenance = BTreeMap::from([
            ("sw1".to_string(), vec![(0, 10_000)]),
            ("ap1".to_string(), vec![(3_000, 9_000)]),
        ]);
        let rows = store.sla_excluding(0, 20_000, &maintenance).unwrap();
        let row = |name: &str| rows.iter().find(|r| r.asset == name).unwrap().clone();
        let sw1 = row("sw1");
        assert_eq!(
            (
                sw1.observed_ms,
                sw1.down_ms,
                sw1.maintenance_ms,
                sw1.down_in_maintenance_ms
            ),
            (10_000, 2_000, 10_000, 0)
        );
        assert_eq!(sw1.availability, Some(0.8), "8 s up of 20 s − 10 s planned");
        let ap1 = row("ap1");
        assert_eq!(
            (
                ap1.observed_ms,
                ap1.down_ms,
                ap1.maintenance_ms,
                ap1.down_in_maintenance_ms
            ),
            (14_000, 0, 6_000, 4_000)
        );
        assert_eq!(ap1.availability, Some(1.0), "down only while planned");
        // Without the windows, the same history says otherwise.
        let plain = store.sla(0, 20_000).unwrap();
        let ap1_plain = plain.iter().find(|r| r.asset == "ap1").unwrap();
        assert_eq!(ap1_plain.availability, Some(0.8));
        assert_eq!(ap1_plain.maintenance_ms, 0);
        // Per site, weighted by measured time: hq = (10 s + 10 s − 2 s) / 20 s.
        let sites = site_availability(&rows);
        assert_eq!(sites["hq"], Some(0.9));
        assert_eq!(sites["lyon"], Some(1.0));
        // A period starting inside the window counts the window from the period's start.
        let rows = store.sla_excluding(5_000, 20_000, &maintenance).unwrap();
        let sw1 = rows.iter().find(|r| r.asset == "sw1").unwrap();
        assert_eq!(
            (
                sw1.observed_ms,
                sw1.down_ms,
                sw1.maintenance_ms,
                sw1.availability
            ),
            (10_000, 2_000, 5_000, Some(0.8))
        );
        // Wholly in maintenance: nothing measured, no figure.
        let all = BTreeMap::from([("sw2".to_string(), vec![(0, 30_000)])]);
        let rows = store.sla_excluding(0, 20_000, &all).unwrap();
        let sw2 = rows.iter().find(|r| r.asset == "sw2").unwrap();
        assert_eq!(
            (sw2.observed_ms, sw2.maintenance_ms, sw2.availability),
            (0, 10_000, None)
        );
    }

    #[test]
    fn business_hours_clocks_survive_the_database() {
        let (_dir, store) = store();
        let hours = crate::inventory::monitoring::BusinessHours {
            days: ["mon", "tue", "wed", "thu", "fri"]
                .map(String::from)
                .to_vec(),
            from: "08:30".into(),
            to: "18:00".into(),
            timezone: None,
            holidays: vec!["2026-03-10".into()],
        };
        let calendar = Calendar::compile(&hours).unwrap();
        let at = |text: &str| crate::daemon::policy::parse_utc(text).unwrap();
        let hour = 3_600_000;
        let mut incident = new("sw1", at("2026-03-06T17:00"));
        incident.service_level = Some(SlaTerms {
            name: "silver".into(),
            gti_ms: 4 * hour,
            gtr_ms: 8 * hour,
            business_hours: Some(calendar.clone()),
        });
        let id = store.open_incident(&incident).unwrap();
        let stored = store.incident(id).unwrap();
        assert_eq!(stored.business_hours, Some(calendar));
        // Friday 17:00 → Monday 11:00: 1h + 2h30 of business time, not 66 h.
        let clocks = stored.clocks(at("2026-03-09T11:00"));
        assert_eq!(clocks.hours, ClockHours::Business);
        assert_eq!(
            (clocks.gti_ms, clocks.gti_breached),
            (3 * hour + 1_800_000, false)
        );
        assert_eq!(clocks.gti_due_at, Some(at("2026-03-09T11:30")));
        // GTR: 1h Friday, 9h30 Monday, Tuesday a holiday: 8h reached Monday 15:30.
        assert_eq!(clocks.gtr_due_at, Some(at("2026-03-09T15:30")));
        let late = stored.clocks(at("2026-03-09T12:00"));
        assert_eq!(
            (late.gti_ms, late.gti_breached),
            (4 * hour + 1_800_000, true)
        );
        // Acknowledged Monday 10:00: GTI stopped at 2h30, met.
        let acked = store
            .acknowledge(id, "alice", at("2026-03-09T10:00"))
            .unwrap();
        let clocks = acked.clocks(at("2026-03-11T09:00"));
        assert_eq!(
            (clocks.gti_ms, clocks.gti_breached),
            (2 * hour + 1_800_000, false)
        );
        // GTR still running Wednesday 09:00: 1h + 9h30 + 0 (holiday) + 30 min = 11h.
        assert_eq!((clocks.gtr_ms, clocks.gtr_breached), (11 * hour, true));
        // The SLA counts it with the business clocks.
        let rows = store
            .sla(at("2026-03-01T00:00"), at("2026-03-11T09:00"))
            .unwrap();
        assert_eq!(
            (rows[0].gti_met, rows[0].gti_breached, rows[0].gtr_breached),
            (1, 0, 1)
        );
        // A round-the-clock incident says so and is due at opening + target.
        let plain = store.open_incident(&new("sw2", 0)).unwrap();
        let clocks = store.incident(plain).unwrap().clocks(0);
        assert_eq!(
            (clocks.hours, clocks.gti_due_at, clocks.gtr_due_at),
            (ClockHours::Always, Some(hour), Some(4 * hour))
        );
        let json = serde_json::to_value(clocks).unwrap();
        assert_eq!(json["hours"], "24/7");
    }

    #[test]
    fn an_older_database_gains_the_business_hours_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("netparc.db");
        {
            let old = Connection::open(&path).unwrap();
            old.execute_batch(SCHEMA).unwrap();
            old.execute(
                "INSERT INTO incidents (asset, site, kind, priority, reason, opened_at) \
                 VALUES ('sw1', 'hq', 'down', 2, 'no reply', 5)",
                [],
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let incident = store.incident(1).unwrap();
        assert_eq!((incident.opened_at, incident.business_hours), (5, None));
        drop(store);
        // Opening again finds the column there.
        let store = Store::open(&path).unwrap();
        assert_eq!(store.incident(1).unwrap().clock_hours(), ClockHours::Always);
    }

    #[test]
    fn availability_from_state_changes() {
        let (_dir, store) = store();
        store.record_transition("sw1", "hq", 0, Status::Up).unwrap();
        store
            .record_transition("sw1", "hq", 9_000, Status::Down)
            .unwrap();
        store
            .record_transition("sw1", "hq", 10_000, Status::Up)
            .unwrap();
        store
            .record_transition("ap1", "lyon", 5_000, Status::Up)
            .unwrap();
        let rows = store.sla(0, 20_000).unwrap();
        let sw1 = rows.iter().find(|r| r.asset == "sw1").unwrap();
        assert_eq!(sw1.availability, Some(0.95));
        let ap1 = rows.iter().find(|r| r.asset == "ap1").unwrap();
        assert_eq!((ap1.observed_ms, ap1.availability), (15_000, Some(1.0)));
        // From 9,500: the state at the start of the period counts from there.
        let rows = store.sla(9_500, 20_000).unwrap();
        let sw1 = rows.iter().find(|r| r.asset == "sw1").unwrap();
        assert_eq!((sw1.observed_ms, sw1.down_ms), (10_500, 500));
        let sites = site_availability(&store.sla(0, 20_000).unwrap());
        assert_eq!(sites["lyon"], Some(1.0));
        assert_eq!(
            store.last_statuses().unwrap().get("sw1"),
            Some(&(Status::Up, 10_000))
        );
    }

    #[test]
    fn a_batch_of_checks_is_one_transaction() {
        let (_dir, store) = store();
        let row = |at: i64, outcome: &str| CheckRow {
            at,
            outcome: outcome.to_string(),
            status: String::from("up"),
            duration_ms: 12.5,
            rtt_ms: Some(0.1),
            reason: String::new(),
        };
        let rows: Vec<(String, CheckRow)> = (0..50)
            .map(|i| (format!("sw{}", i % 5), row(1_000 + i, "good")))
            .collect();
        let commits = |store: &Store| {
            store
                .with(|c| c.query_row("PRAGMA data_version", [], |r| r.get::<_, i64>(0)))
                .unwrap()
        };
        // data_version moves when another connection commits: a second connection watches.
        let watcher = Store::open(std::path::Path::new(&store.path)).unwrap();
        let before = commits(&watcher);
        store.record_checks(&rows).unwrap();
        assert_eq!(commits(&watcher), before + 1, "one commit for the batch");
        for i in 0..5 {
            let history = store.history(&format!("sw{i}"), 100).unwrap();
            assert_eq!(history.len(), 10);
            assert_eq!(history[0], row(1_045 + i, "good"));
        }
        store.record_checks(&[]).unwrap();
        assert_eq!(commits(&watcher), before + 1, "nothing to write, no commit");
    }
}
