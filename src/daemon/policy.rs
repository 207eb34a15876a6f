//! The effective monitoring policy of each asset, and maintenance windows, pure.
//!
//! Precedence in one place, as for variables: the asset's `monitoring:`, then its groups'
//! in the order it lists them, then `monitoring.kinds.<kind>` of netparc.yml, then the
//! defaults' `monitoring:`, then the built-in values below. Field by field: a group that
//! only sets `interval` leaves the retries to the next level.
//!
//! Maintenance windows serve twice: no incident opens while one runs
//! ([`in_maintenance`]), and their time is left out of availability ([`maintenance_spans`]
//! expands the recurring ones over a period). A service level's clocks count round the
//! clock, or only within `monitoring.business_hours` (`hours: business`, [`Calendar`]).

use super::calendar::Calendar;
use super::store::SlaTerms;
use crate::diag::{Diagnostic, Diagnostics};
use crate::inventory::monitoring::{
    Flapping, Level, Maintenance, MonitoringSettings, MonitoringVars, Recurrence, ServiceLevel,
    Span,
};
use crate::inventory::{Asset, Inventory, Located, Selector};
use crate::ypath;
use std::sync::Arc;
use std::time::Duration;

/// What the daemon does for one asset.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Checked at all.
    pub enabled: bool,
    /// Between two checks while fine, ms.
    pub interval_ms: i64,
    /// Between two checks while failing, ms.
    pub retry_interval_ms: i64,
    /// Consecutive failures before down.
    pub failures: u32,
    /// Consecutive successes before up again.
    pub successes: u32,
    /// Degraded above this loss, %.
    pub loss_percent: f64,
    /// Degraded above this average rtt, ms.
    pub rtt_ms: f64,
    /// Flapping detection.
    pub flapping: Flapping,
    /// The service level's name and terms, when one applies.
    pub service_level: Option<(String, Terms)>,
    /// ITIL impact.
    pub impact: Level,
    /// ITIL urgency when the asset is down (degraded: one level lower).
    pub urgency: Level,
}

/// A service level as the daemon applies it.
#[derive(Debug, Clone, PartialEq)]
pub struct Terms {
    /// Guaranteed time to intervention.
    pub gti: Span,
    /// Guaranteed time to restoration.
    pub gtr: Span,
    /// Some: the clocks count business time only (`hours: business`).
    pub business_hours: Option<Arc<Calendar>>,
}

impl Policy {
    /// What a new incident of this asset records: the service level's name, targets and
    /// (a copy of) its business hours.
    pub fn incident_terms(&self) -> Option<SlaTerms> {
        self.service_level.as_ref().map(|(name, terms)| SlaTerms {
            name: name.clone(),
            gti_ms: terms.gti.millis(),
            gtr_ms: terms.gtr.millis(),
            business_hours: terms.business_hours.as_deref().cloned(),
        })
    }
}

/// Whether a service level counts business hours only: `hours:` absent or `24/7` (also
/// `24x7`) is round the clock, `business` is business hours.
pub fn counts_business_hours(level: &ServiceLevel) -> Result<bool, String> {
    match level.hours.as_deref().map(str::trim) {
        None | Some("24/7" | "24x7") => Ok(false),
        Some("business") => Ok(true),
        Some(other) => Err(format!(
            "`hours: {other}` is not known (expected business or 24/7)"
        )),
    }
}

/// Compile `monitoring.business_hours` (None when absent or broken: the problems come back
/// as diagnostics, and business-hours service levels then count round the clock).
pub fn calendar(
    settings: &MonitoringSettings,
) -> (Option<Arc<Calendar>>, Vec<super::calendar::Problem>) {
    match settings.business_hours.as_ref().map(Calendar::compile) {
        None => (None, Vec::new()),
        Some(Ok(calendar)) => (Some(Arc::new(calendar)), Vec::new()),
        Some(Err(problems)) => (None, problems),
    }
}

/// Built-in values: Zabbix-like (1 min, 3 retries), a 10 s re-check while failing.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
const DEFAULT_RETRY: Duration = Duration::from_secs(10);

/// The levels of `monitoring:` that apply to `asset`, highest precedence first.
fn levels<'a>(inventory: &'a Inventory, asset: &'a Located<Asset>) -> Vec<&'a MonitoringVars> {
    let mut levels = Vec::new();
    levels.extend(asset.value.monitoring.as_deref());
    for group in &asset.value.groups {
        if let Some(found) = inventory.groups.get(group) {
            levels.extend(found.value.monitoring.as_ref());
        }
    }
    levels.extend(
        inventory
            .settings
            .value
            .monitoring
            .kinds
            .get(asset.value.kind.as_str()),
    );
    levels.extend(inventory.defaults.value.monitoring.as_ref());
    levels
}

/// The effective policy of `asset` (compiles the business hours: for many assets, use
/// [`resolve_with`] and [`calendar`] once).
pub fn resolve(inventory: &Inventory, asset: &Located<Asset>) -> Policy {
    let (calendar, _) = calendar(&inventory.settings.value.monitoring);
    resolve_with(inventory, asset, calendar.as_ref())
}

/// The effective policy of `asset`, given the compiled business hours.
pub fn resolve_with(
    inventory: &Inventory,
    asset: &Located<Asset>,
    business_hours: Option<&Arc<Calendar>>,
) -> Policy {
    let levels = levels(inventory, asset);
    macro_rules! first {
        ($field:ident) => {
            levels.iter().find_map(|l| l.$field.clone())
        };
    }
    let interval = first!(interval).unwrap_or(Span(DEFAULT_INTERVAL));
    let retry = first!(retry_interval).unwrap_or(Span(DEFAULT_RETRY.min(interval.0)));
    let service_level = first!(service_level).and_then(|name| {
        inventory
            .settings
            .value
            .monitoring
            .service_levels
            .get(&name)
            .map(|level| {
                let terms = Terms {
                    gti: level.gti,
                    gtr: level.gtr,
                    // A wrong `hours:` or missing business hours: round the clock (and
                    // `netparc check` says so).
                    business_hours: match counts_business_hours(level) {
                        Ok(true) => business_hours.cloned(),
                        _ => None,
                    },
                };
                (name, terms)
            })
    });
    Policy {
        enabled: first!(enabled).unwrap_or(true),
        // A zero interval would spin: at least 100 ms.
        interval_ms: interval.millis().max(100),
        retry_interval_ms: retry.millis().max(100),
        failures: first!(failures).unwrap_or(3).max(1),
        successes: first!(successes).unwrap_or(2).max(1),
        loss_percent: first!(loss_percent).unwrap_or(20.0),
        rtt_ms: first!(rtt_ms).unwrap_or(200.0),
        flapping: first!(flapping).unwrap_or(Flapping {
            changes: 5,
            window: Span(Duration::from_secs(600)),
        }),
        service_level,
        impact: first!(impact).unwrap_or(Level::Medium),
        urgency: first!(urgency).unwrap_or(Level::Medium),
    }
}

/// ITIL priority from impact and urgency: 1 (critical) to 5 (planning).
pub fn priority(impact: Level, urgency: Level) -> u8 {
    impact.rank() + urgency.rank() - 1
}

/// A maintenance window ready to test against a time.
#[derive(Debug, Clone)]
pub struct Window {
    /// Its name.
    pub name: String,
    /// Which assets.
    pub selector: Selector,
    /// First start, ms since the epoch (UTC).
    pub start_ms: i64,
    /// Length, ms.
    pub duration_ms: i64,
    /// Period for recurring windows, ms.
    pub period_ms: Option<i64>,
}

impl Window {
    /// The times it runs that overlap `[since, until)`, clipped to it, in order.
    pub fn occurrences(&self, since: i64, until: i64) -> Vec<(i64, i64)> {
        let mut found = Vec::new();
        if self.duration_ms <= 0 || until <= since {
            return found;
        }
        let clip = |start: i64| {
            let (from, to) = (start.max(since), (start + self.duration_ms).min(until));
            (from < to).then_some((from, to))
        };
        match self.period_ms {
            Some(period) if period > 0 => {
                // The first occurrence that may still run at `since`.
                let mut k = (since - self.start_ms - self.duration_ms)
                    .div_euclid(period)
                    .max(0);
                while self.start_ms + k * period < until {
                    found.extend(clip(self.start_ms + k * period));
                    k += 1;
                }
            }
            _ => found.extend(clip(self.start_ms)),
        }
        found
    }

    /// Whether the window runs at `now` (ms since the epoch).
    pub fn active_at(&self, now: i64) -> bool {
        if now < self.start_ms {
            return false;
        }
        let since = now - self.start_ms;
        let offset = match self.period_ms {
            Some(period) if period > 0 => since % period,
            _ => since,
        };
        offset < self.duration_ms
    }
}

/// Parse `YYYY-MM-DDTHH:MM[:SS][Z]` (a space instead of `T` too) as UTC, ms since the epoch.
pub fn parse_utc(text: &str) -> Result<i64, String> {
    let bad = || format!("`{text}` is not a UTC time like 2026-12-24T22:00");
    let text = text.trim().trim_end_matches('Z');
    let (date, time) = text.split_once(['T', ' ']).ok_or_else(bad)?;
    let date: crate::inventory::date::Date = date.parse().map_err(|_| bad())?;
    let mut parts = time.split(':');
    let mut next = |max: i64| -> Result<i64, String> {
        match parts.next() {
            None => Ok(0),
            Some(p) => match p.parse::<i64>() {
                Ok(v) if (0..max).contains(&v) && p.len() == 2 => Ok(v),
                _ => Err(bad()),
            },
        }
    };
    let (hours, minutes, seconds) = (next(24)?, next(60)?, next(60)?);
    if time.split(':').count() < 2 {
        return Err(bad());
    }
    Ok(((date.days_since_epoch() * 24 + hours) * 60 + minutes) * 60_000 + seconds * 1000)
}

/// Compile the windows of netparc.yml; problems come back as diagnostics (also reported
/// by `netparc check`), and a broken window is left out rather than stopping the daemon.
pub fn windows(maintenance: &[Maintenance]) -> (Vec<Window>, Diagnostics) {
    let mut found = Diagnostics::new();
    let mut windows = Vec::new();
    for (index, window) in maintenance.iter().enumerate() {
        let selector = Selector::parse(&window.limit);
        let start = parse_utc(&window.start);
        match (selector, start) {
            (Ok(selector), Ok(start_ms)) => windows.push(Window {
                name: window.name.clone(),
                selector,
                start_ms,
                duration_ms: window.duration.millis(),
                period_ms: window.every.map(|every| match every {
                    Recurrence::Daily => 86_400_000,
                    Recurrence::Weekly => 7 * 86_400_000,
                }),
            }),
            (selector, start) => {
                let reason = [
                    selector.err().map(|e| format!("limit: {e}")),
                    start.err().map(|e| format!("start: {e}")),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("; ");
                found.push(
                    Diagnostic::error(
                        "monitoring.maintenance",
                        format!(
                            "maintenance window {} (`{}`): {reason}",
                            index + 1,
                            window.name
                        ),
                    )
                    .hint("e.g. {name: patch night, limit: site:hq, start: 2026-12-01T22:00, duration: 2h, every: weekly}"),
                );
            }
        }
    }
    (windows, found)
}

/// The name of a window that covers `asset` at `now`, if any.
pub fn in_maintenance<'a>(windows: &'a [Window], asset: &Asset, now: i64) -> Option<&'a str> {
    windows
        .iter()
        .find(|w| w.selector.matches(asset) && w.active_at(now))
        .map(|w| w.name.as_str())
}

/// When `asset` was in maintenance within `[since, until)`: every window that selects it,
/// expanded (recurring ones) and merged, in order. Availability leaves this time out.
pub fn maintenance_spans(
    windows: &[Window],
    asset: &Asset,
    since: i64,
    until: i64,
) -> Vec<(i64, i64)> {
    let mut spans: Vec<(i64, i64)> = windows
        .iter()
        .filter(|w| w.selector.matches(asset))
        .flat_map(|w| w.occurrences(since, until))
        .collect();
    spans.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(spans.len());
    for (from, to) in spans {
        match merged.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => merged.push((from, to)),
        }
    }
    merged
}

/// The maintenance spans of every asset of `inventory` selected by a window, by name
/// (what [`super::store::Store::sla_excluding`] takes).
pub fn maintenance_by_asset(
    windows: &[Window],
    inventory: &Inventory,
    since: i64,
    until: i64,
) -> std::collections::BTreeMap<String, Vec<(i64, i64)>> {
    if windows.is_empty() {
        return Default::default();
    }
    inventory
        .assets
        .iter()
        .map(|a| {
            let spans = maintenance_spans(windows, &a.value, since, until);
            (a.value.name.clone(), spans)
        })
        .filter(|(_, spans)| !spans.is_empty())
        .collect()
}

/// What `netparc check` reports about monitoring: unknown service levels, broken
/// maintenance windows, business hours and `hours:` values.
pub fn validate(inventory: &Inventory) -> Diagnostics {
    let settings = &inventory.settings.value.monitoring;
    let origin = &inventory.settings.origin;
    let (_, mut found) = windows(&settings.maintenance);
    let (_, problems) = calendar(settings);
    for problem in problems {
        let mut path = ypath!["monitoring", "business_hours"].to_vec();
        path.extend(problem.at);
        found.push(
            Diagnostic::error(
                "monitoring.business-hours",
                format!("business_hours: {}", problem.message),
            )
            .at(origin.locate(&path))
            .hint("e.g. business_hours: {days: [mon, tue, wed, thu, fri], from: \"08:30\", to: \"18:00\", timezone: \"+01:00\"}"),
        );
    }
    for (name, level) in &settings.service_levels {
        let at = || {
            origin.locate(&ypath![
                "monitoring",
                "service_levels",
                name.as_str(),
                "hours"
            ])
        };
        match counts_business_hours(level) {
            Err(message) => found.push(
                Diagnostic::error(
                    "monitoring.service-level-hours",
                    format!("service level `{name}`: {message}"),
                )
                .at(at()),
            ),
            Ok(true) if settings.business_hours.is_none() => {
                found.push(
                    Diagnostic::error(
                        "monitoring.service-level-hours",
                        format!(
                            "service level `{name}` counts business hours, but \
                             monitoring.business_hours is not defined"
                        ),
                    )
                    .at(at())
                    .hint("define monitoring.business_hours in netparc.yml, or drop `hours: business`"),
                );
            }
            _ => {}
        }
    }
    let mut check = |vars: Option<&MonitoringVars>, whose: &str| {
        if let Some(name) = vars.and_then(|v| v.service_level.as_ref())
            && !settings.service_levels.contains_key(name)
        {
            found.push(
                Diagnostic::error(
                    "monitoring.unknown-service-level",
                    format!("{whose}: service level `{name}` is not defined"),
                )
                .hint("define it under monitoring.service_levels in netparc.yml"),
            );
        }
    };
    check(inventory.defaults.value.monitoring.as_ref(), "defaults");
    for (name, group) in &inventory.groups {
        check(group.value.monitoring.as_ref(), &format!("group `{name}`"));
    }
    for (kind, vars) in &settings.kinds {
        check(Some(vars), &format!("kind `{kind}`"));
    }
    for asset in &inventory.assets {
        check(
            asset.value.monitoring.as_deref(),
            &format!("asset `{}`", asset.value.name),
        );
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_parse() {
        assert_eq!(Span::parse("90").unwrap().millis(), 90_000);
        assert_eq!(Span::parse("1h30m").unwrap().millis(), 5_400_000);
        assert_eq!(Span::parse("250ms").unwrap().millis(), 250);
        assert!(Span::parse("5 parsecs").is_err());
        assert!(Span::parse("").is_err());
    }

    #[test]
    fn priority_matrix() {
        assert_eq!(priority(Level::High, Level::High), 1);
        assert_eq!(priority(Level::High, Level::Low), 3);
        assert_eq!(priority(Level::Low, Level::Low), 5);
    }

    #[test]
    fn utc_times() {
        assert_eq!(parse_utc("1970-01-02T00:00").unwrap(), 86_400_000);
        assert_eq!(parse_utc("1970-01-01T01:00:30Z").unwrap(), 3_630_000);
        assert!(parse_utc("1970-01-01").is_err());
        assert!(parse_utc("1970-01-01T25:00").is_err());
    }

    #[test]
    fn recurring_and_one_off_windows() {
        let day = 86_400_000;
        let window = |period| Window {
            name: "w".into(),
            selector: Selector::parse("sw-*").unwrap(),
            start_ms: day,
            duration_ms: 3_600_000,
            period_ms: period,
        };
        let once = window(None);
        assert!(!once.active_at(day - 1));
        assert!(once.active_at(day));
        assert!(!once.active_at(day + 3_600_000));
        assert!(!once.active_at(8 * day));
        let weekly = window(Some(7 * day));
        assert!(weekly.active_at(8 * day + 60_000));
        assert!(!weekly.active_at(9 * day));
    }

    fn asset(name: &str, site: &str) -> Asset {
        serde_json::from_value(serde_json::json!({"name": name, "kind": "switch", "site": site}))
            .unwrap()
    }

    #[test]
    fn maintenance_expands_over_a_period_and_merges() {
        let day = 86_400_000;
        let hour = 3_600_000;
        let window = |name: &str, limit: &str, start_ms, duration_ms, period_ms| Window {
            name: name.into(),
            selector: Selector::parse(limit).unwrap(),
            start_ms,
            duration_ms,
            period_ms,
        };
        // Nightly 22:00–01:00 from day 1, plus a one-off 00:00–02:00 on day 3 for lyon.
        let windows = [
            window("nightly", "sw-*", day + 22 * hour, 3 * hour, Some(day)),
            window("swap", "site:lyon", 3 * day, 2 * hour, None),
            window("elsewhere", "ap-*", 0, 100 * day, None),
        ];
        // From day 2 12:00 to day 4 23:00: day 2 22:00–day 3 02:00 (merged with the
        // one-off), day 3 22:00–day 4 01:00, day 4 22:00–23:00 (clipped).
        let lyon = asset("sw-lyon-01", "lyon");
        assert_eq!(
            maintenance_spans(&windows, &lyon, 2 * day + 12 * hour, 4 * day + 23 * hour),
            vec![
                (2 * day + 22 * hour, 3 * day + 2 * hour),
                (3 * day + 22 * hour, 4 * day + hour),
                (4 * day + 22 * hour, 4 * day + 23 * hour),
            ]
        );
        // Starting inside an occurrence that began before the period.
        let hq = asset("sw-hq-01", "hq");
        assert_eq!(
            maintenance_spans(&windows, &hq, 3 * day, 3 * day + 12 * hour),
            vec![(3 * day, 3 * day + hour)]
        );
        // Before the first start, nothing.
        assert!(maintenance_spans(&windows, &hq, 0, day).is_empty());
        let total: i64 = maintenance_spans(&windows, &hq, day, 31 * day)
            .iter()
            .map(|(a, b)| b - a)
            .sum();
        // Thirty nights from day 1 22:00; the last is cut at midnight (2h of its 3h).
        assert_eq!(total, 30 * 3 * hour - hour);
    }

    #[test]
    fn service_level_hours() {
        let level = |hours: Option<&str>| ServiceLevel {
            gti: Span(Duration::from_secs(3600)),
            gtr: Span(Duration::from_secs(4 * 3600)),
            hours: hours.map(String::from),
        };
        assert_eq!(counts_business_hours(&level(None)), Ok(false));
        assert_eq!(counts_business_hours(&level(Some("24/7"))), Ok(false));
        assert_eq!(counts_business_hours(&level(Some("business"))), Ok(true));
        assert_eq!(
            counts_business_hours(&level(Some("ouvrées"))),
            Err("`hours: ouvrées` is not known (expected business or 24/7)".into())
        );
    }
}
