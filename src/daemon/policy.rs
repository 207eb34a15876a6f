//! The effective monitoring policy of each asset, and maintenance windows, pure.
//!
//! Precedence in one place, as for variables: the asset's `monitoring:`, then its groups'
//! in the order it lists them, then `monitoring.kinds.<kind>` of netparc.yml, then the
//! defaults' `monitoring:`, then the built-in values below. Field by field: a group that
//! only sets `interval` leaves the retries to the next level.

use crate::diag::{Diagnostic, Diagnostics};
use crate::inventory::monitoring::{
    Flapping, Level, Maintenance, MonitoringVars, Recurrence, ServiceLevel, Span,
};
use crate::inventory::{Asset, Inventory, Located, Selector};
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
    /// The service level's name and targets, when one applies.
    pub service_level: Option<(String, ServiceLevel)>,
    /// ITIL impact.
    pub impact: Level,
    /// ITIL urgency when the asset is down (degraded: one level lower).
    pub urgency: Level,
}

/// Built-in values: Zabbix-like (1 min, 3 retries), a 10 s re-check while failing.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
const DEFAULT_RETRY: Duration = Duration::from_secs(10);

/// The levels of `monitoring:` that apply to `asset`, highest precedence first.
fn levels<'a>(inventory: &'a Inventory, asset: &'a Located<Asset>) -> Vec<&'a MonitoringVars> {
    let mut levels = Vec::new();
    levels.extend(asset.value.monitoring.as_ref());
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

/// The effective policy of `asset`.
pub fn resolve(inventory: &Inventory, asset: &Located<Asset>) -> Policy {
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
            .map(|level| (name, *level))
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

/// What `netparc check` reports about monitoring: unknown service levels, broken
/// maintenance windows.
pub fn validate(inventory: &Inventory) -> Diagnostics {
    let settings = &inventory.settings.value.monitoring;
    let (_, mut found) = windows(&settings.maintenance);
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
            asset.value.monitoring.as_ref(),
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
}
