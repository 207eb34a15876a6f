//! What people write about availability monitoring, pure data:
//! - `monitoring:` in `defaults.yml`, a group or an asset ([`MonitoringVars`]): intervals,
//!   retries, thresholds, service level, impact and urgency, taken field by field after the
//!   usual precedence (asset > groups in order > per-kind settings > defaults);
//! - `monitoring:` in `netparc.yml` ([`MonitoringSettings`]): the service levels the company
//!   promised (GTI/GTR, round the clock or within `business_hours`), maintenance windows (one-off or recurring, for any selector: an
//!   asset, a group, a site), per-kind values, the API token reference and the webhook.
//!
//! The daemon turns these into one effective policy per asset (`daemon::policy`).

use crate::secrets::SecretRef;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// A duration written as `30s`, `5m`, `1h`, `2d`, `500ms` or a number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span(pub Duration);

impl Span {
    /// Parse `30s`, `5m`, `1h30m`, `2d`, `500ms` or bare seconds.
    pub fn parse(text: &str) -> Result<Span, String> {
        let text = text.trim();
        if let Ok(seconds) = text.parse::<u64>() {
            return Ok(Span(Duration::from_secs(seconds)));
        }
        let mut total = Duration::ZERO;
        let mut rest = text;
        if rest.is_empty() {
            return Err(String::from("an empty duration"));
        }
        while !rest.is_empty() {
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if digits == 0 {
                return Err(format!(
                    "`{text}` is not a duration (expected e.g. 30s, 5m, 1h, 2d, 500ms)"
                ));
            }
            let number: u64 = rest[..digits]
                .parse()
                .map_err(|_| format!("`{text}`: number too large"))?;
            rest = &rest[digits..];
            let unit_len = rest.len()
                - rest
                    .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                    .len();
            let unit = &rest[..unit_len];
            rest = &rest[unit_len..];
            let millis: u64 = match unit {
                "ms" => 1,
                "s" => 1_000,
                "m" | "min" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                "w" => 7 * 86_400_000,
                _ => {
                    return Err(format!(
                        "`{text}`: unknown unit `{unit}` (expected ms, s, m, h, d or w)"
                    ));
                }
            };
            let part = number
                .checked_mul(millis)
                .ok_or_else(|| format!("`{text}`: too large"))?;
            total += Duration::from_millis(part);
        }
        Ok(Span(total))
    }

    /// Milliseconds, saturating.
    pub fn millis(self) -> i64 {
        i64::try_from(self.0.as_millis()).unwrap_or(i64::MAX)
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms.is_multiple_of(86_400_000) && ms > 0 {
            write!(f, "{}d", ms / 86_400_000)
        } else if ms.is_multiple_of(3_600_000) && ms > 0 {
            write!(f, "{}h", ms / 3_600_000)
        } else if ms.is_multiple_of(60_000) && ms > 0 {
            write!(f, "{}m", ms / 60_000)
        } else if ms.is_multiple_of(1000) {
            write!(f, "{}s", ms / 1000)
        } else {
            write!(f, "{ms}ms")
        }
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Seconds(u64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Seconds(s) => Ok(Span(Duration::from_secs(s))),
            Raw::Text(t) => Span::parse(&t).map_err(serde::de::Error::custom),
        }
    }
}

impl Serialize for Span {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// ITIL impact or urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Many users or a whole site.
    High,
    /// A team or a service.
    Medium,
    /// One user, a workaround exists.
    Low,
}

impl Level {
    /// 1 for high, 3 for low.
    pub fn rank(self) -> u8 {
        match self {
            Level::High => 1,
            Level::Medium => 2,
            Level::Low => 3,
        }
    }

    /// The next level down (high → medium → low).
    pub fn lower(self) -> Level {
        match self {
            Level::High => Level::Medium,
            _ => Level::Low,
        }
    }
}

/// Flapping detection: more than `changes` state changes within `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub struct Flapping {
    /// State changes that make an asset flapping.
    pub changes: u32,
    /// Within this time.
    pub window: Span,
}

/// `monitoring:` at the defaults, a group, an asset or a kind: every field optional, taken
/// from the first level that sets it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct MonitoringVars {
    /// Not monitored at all (e.g. laptops that go home at night).
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Time between two checks while the asset is fine.
    #[serde(default)]
    pub interval: Option<Span>,
    /// Time between two checks while it fails (faster, to confirm or clear sooner).
    #[serde(default)]
    pub retry_interval: Option<Span>,
    /// Consecutive failed checks before the asset is down (Zabbix/Uptime Kuma "retries").
    #[serde(default)]
    pub failures: Option<u32>,
    /// Consecutive good checks before a down asset is up again.
    #[serde(default)]
    pub successes: Option<u32>,
    /// Degraded above this ping loss, %.
    #[serde(default)]
    pub loss_percent: Option<f64>,
    /// Degraded above this average round trip, ms.
    #[serde(default)]
    pub rtt_ms: Option<f64>,
    /// Flapping detection.
    #[serde(default)]
    pub flapping: Option<Flapping>,
    /// The service level (a key of `monitoring.service_levels` in netparc.yml).
    #[serde(default)]
    pub service_level: Option<String>,
    /// How many are affected when this asset fails.
    #[serde(default)]
    pub impact: Option<Level>,
    /// How fast it must be dealt with when it goes down.
    #[serde(default)]
    pub urgency: Option<Level>,
}

/// A service level: guaranteed intervention and restoration times.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ServiceLevel {
    /// Guaranteed time to intervention (acknowledgement).
    pub gti: Span,
    /// Guaranteed time to restoration.
    pub gtr: Span,
    /// Which time the clocks count: `24/7` (the default) or `business` (only within
    /// `monitoring.business_hours`, as "GTI 4h ouvrées" contracts do). Kept as text so
    /// `netparc check` reports a wrong value with its line instead of failing the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
}

/// `monitoring.business_hours`: when business-hours clocks run. Kept as written (text) so
/// `netparc check` reports every mistake with its line; `daemon::calendar` compiles it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct BusinessHours {
    /// Working days: `mon` … `sun` (or the full English names).
    pub days: Vec<String>,
    /// Opening time, `HH:MM`, local time.
    pub from: String,
    /// Closing time, `HH:MM`, after `from` (no shift across midnight).
    pub to: String,
    /// The local time's fixed offset from UTC (`+01:00`, `-05:00`, `UTC`); default UTC.
    /// Zone names (daylight saving time) are not followed: no time zone database is shipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Days off, `YYYY-MM-DD`: no clock runs on them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<String>,
}

/// How often a maintenance window comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Recurrence {
    /// Every day at the start's time.
    Daily,
    /// Every week on the start's weekday and time.
    Weekly,
}

/// A maintenance window: incidents are not opened for the selected assets while it runs,
/// and its time is left out of their availability (planned maintenance is not measured).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Maintenance {
    /// What the window is for (shown on the status page).
    pub name: String,
    /// Which assets, as a `--limit` selector (`sw-hq-02`, `group:switches`, `site:lyon`).
    pub limit: String,
    /// First (or only) start, UTC: `YYYY-MM-DDTHH:MM` (or with `:SS`, and a trailing `Z`).
    pub start: String,
    /// How long it lasts.
    pub duration: Span,
    /// Recurring windows: daily or weekly from `start`; absent for a one-off.
    #[serde(default)]
    pub every: Option<Recurrence>,
}

/// `monitoring:` in netparc.yml.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct MonitoringSettings {
    /// Service levels by name (`gold: {gti: 1h, gtr: 4h}`).
    #[serde(default)]
    pub service_levels: BTreeMap<String, ServiceLevel>,
    /// When business-hours service levels (`hours: business`) count time.
    #[serde(default)]
    pub business_hours: Option<BusinessHours>,
    /// Values per asset kind, between the groups and the defaults in precedence.
    #[serde(default)]
    pub kinds: BTreeMap<String, MonitoringVars>,
    /// Maintenance windows.
    #[serde(default)]
    pub maintenance: Vec<Maintenance>,
    /// Checks running at once.
    #[serde(default)]
    pub concurrency: Option<usize>,
    /// Bearer token for the API's write endpoints, as a secret reference (`vault:`, `env:`).
    #[serde(default)]
    pub api_token: Option<SecretRef>,
    /// URL receiving a JSON POST when an incident opens, is acknowledged or resolved.
    #[serde(default)]
    pub webhook: Option<String>,
    /// Days of probe history kept in the database.
    #[serde(default)]
    pub history_days: Option<u32>,
}
