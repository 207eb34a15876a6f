//! The one place where measurements become a verdict: [`assess`] takes what the probes
//! measured, what the inventory (or a playbook) expects, and the configuration's sync
//! state, and returns the [`VerifiedState`] of the asset — what `netparc verify` prints,
//! what the write-back will record and what the daemon's metrics will export.
//!
//! Pure: no I/O, no clock (the time of the check is an input), so every rule is tested
//! with plain data.

use super::icmp::PingReport;
use super::snmp::{SnmpError, SnmpFacts};
use super::tcp::TcpReport;
use crate::inventory::Asset;
use serde::Serialize;
use std::collections::HashMap;

/// sysObjectID prefixes per platform: the vendor's enterprise subtree. `ios`: Cisco (9);
/// `linux`: net-snmp (8072), what Linux agents report. A platform not listed is not checked.
pub const OBJECT_ID_PREFIXES: &[(&str, &str)] =
    &[("ios", "1.3.6.1.4.1.9."), ("linux", "1.3.6.1.4.1.8072.")];

/// The expected sysObjectID prefix of a platform.
pub fn object_id_prefix(platform: &str) -> Option<&'static str> {
    OBJECT_ID_PREFIXES
        .iter()
        .find(|(name, _)| *name == platform)
        .map(|(_, prefix)| *prefix)
}

/// What the asset should look like, from the inventory or a playbook.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Expectations {
    /// sysName must equal this (the asset's name).
    pub sys_name: Option<String>,
    /// These interfaces must be operationally up (names as written in the inventory:
    /// `Gi1/0/1` matches ifName/ifDescr `GigabitEthernet1/0/1`).
    pub interfaces_up: Vec<String>,
    /// sysUpTime at the previous verification, in ticks: a smaller value now means the
    /// device restarted since (the state store provides it; None: not checked).
    pub previous_uptime_ticks: Option<u32>,
    /// The platform, whose sysObjectID prefix is checked ([`OBJECT_ID_PREFIXES`]).
    pub platform: Option<String>,
    /// The serial ENTITY-MIB must report.
    pub serial: Option<String>,
}

impl Expectations {
    /// What the inventory says of `asset`: its name, its interfaces that are not shut
    /// down, its platform and its serial. The previous uptime is the caller's to add.
    pub fn for_asset(asset: &Asset) -> Expectations {
        Expectations {
            sys_name: Some(asset.name.clone()),
            interfaces_up: asset
                .interfaces
                .iter()
                .filter(|i| !i.shutdown && i.mode != crate::inventory::PortMode::Unused)
                .map(|i| i.name.clone())
                .collect(),
            previous_uptime_ticks: None,
            platform: asset.platform.clone(),
            serial: asset.serial.clone(),
        }
    }
}

/// Whether the running configuration matches the intended one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConfigSync {
    /// The driver's plan from running to intended is empty.
    InSync,
    /// The plan has this many changes.
    Drifted {
        /// Commands or files the plan holds.
        differences: usize,
    },
    /// Not compared.
    Unknown {
        /// Why (no driver, no template, device unreachable…).
        reason: String,
    },
}

impl ConfigSync {
    /// `in sync`, `drifted (N)`, `unknown`.
    pub fn label(&self) -> String {
        match self {
            ConfigSync::InSync => String::from("in sync"),
            ConfigSync::Drifted { differences } => format!("drifted ({differences})"),
            ConfigSync::Unknown { .. } => String::from("unknown"),
        }
    }
}

/// What the probes measured for one asset. A probe that did not run is None.
#[derive(Debug, Clone, Default)]
pub struct Measurements {
    /// ICMP: the report, or why ICMP could not be used at all.
    pub ping: Option<Result<PingReport, String>>,
    /// TCP connect.
    pub tcp: Option<TcpReport>,
    /// SNMP poll: facts, or why there are none.
    pub snmp: Option<Result<SnmpFacts, SnmpError>>,
}

/// One expectation's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable name: `sys_name`, `interface_up`, `uptime`, `object_id`, `serial`, `snmp`,
    /// `reachable`, `config`.
    pub name: String,
    /// Passed.
    pub passed: bool,
    /// What was expected and what was seen, in words.
    pub reason: String,
}

/// Reachability, and how it was established.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reachability {
    /// Answered at least one probe; None when no probe could run.
    pub reachable: Option<bool>,
    /// Which probe showed it (`icmp`, `tcp`, `snmp`).
    pub via: Option<String>,
    /// Mean ICMP round trip, else the TCP connect time, ms.
    pub rtt_ms: Option<f64>,
    /// ICMP loss, percent.
    pub loss_percent: Option<f64>,
}

/// Interfaces as SNMP reported them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InterfaceCounts {
    /// Operationally up.
    pub up: usize,
    /// Not up (down, lowerLayerDown, notPresent…).
    pub down: usize,
}

/// The final word on one asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Reachable and every check passed.
    Passed,
    /// Reachable, but a check failed.
    Failed,
    /// Answered nothing.
    Unreachable,
}

impl Verdict {
    /// `passed`, `failed`, `unreachable`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::Unreachable => "unreachable",
        }
    }
}

/// What netparc saw of an asset, and when: the record the write-back keeps and the
/// daemon's metrics export. Holds no secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifiedState {
    /// The asset.
    pub asset: String,
    /// When the probes ran (RFC 3339, UTC).
    pub checked_at: String,
    /// Reachability and round trip.
    pub reachability: Reachability,
    /// The ICMP measurement, when pinged.
    pub ping: Option<PingReport>,
    /// The TCP measurement, when connected to.
    pub tcp: Option<TcpReport>,
    /// SNMP facts, when polled successfully.
    pub snmp: Option<SnmpFacts>,
    /// Why SNMP gave no facts (timeout, authentication failed…).
    pub snmp_error: Option<SnmpError>,
    /// Interfaces up and down, from SNMP.
    pub interfaces: Option<InterfaceCounts>,
    /// Running configuration vs intended.
    pub config: ConfigSync,
    /// Every expectation checked, passed or failed, with its reason.
    pub checks: Vec<Check>,
    /// The conclusion.
    pub verdict: Verdict,
}

impl VerifiedState {
    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.passed)
    }
}

fn check(name: &str, passed: bool, reason: String) -> Check {
    Check {
        name: name.to_string(),
        passed,
        reason,
    }
}

/// The expectations against the SNMP facts.
pub fn check_facts(facts: &SnmpFacts, expected: &Expectations) -> Vec<Check> {
    let mut checks = Vec::new();
    if let Some(name) = &expected.sys_name {
        let seen = &facts.system.name;
        // sysName is often the FQDN (`sw1.example.net`): its first label is the host name.
        let host = seen.split('.').next().unwrap_or_default();
        let passed = seen == name || host == name;
        checks.push(check(
            "sys_name",
            passed,
            if passed {
                format!("sysName is `{seen}`")
            } else {
                format!("sysName is `{seen}`, expected `{name}`")
            },
        ));
    }
    // Every reported name and description in both forms, once per poll (comparing each
    // wanted interface with each reported one canonicalised both names every time: most of
    // a monitoring check's CPU on a 48-port switch). The first interface wins, as in order.
    let canonical = crate::lab::ios::ifname::canonical;
    let mut reported: HashMap<String, usize> = HashMap::new();
    if !expected.interfaces_up.is_empty() {
        for (position, interface) in facts.interfaces.iter().enumerate() {
            for text in [&interface.name, &interface.descr] {
                if text.is_empty() {
                    continue;
                }
                reported
                    .entry(text.to_ascii_lowercase())
                    .or_insert(position);
                reported
                    .entry(canonical(text).to_ascii_lowercase())
                    .or_insert(position);
            }
        }
    }
    for wanted in &expected.interfaces_up {
        let exact = reported.get(&wanted.to_ascii_lowercase());
        let by_form = reported.get(&canonical(wanted).to_ascii_lowercase());
        let found = match (exact, by_form) {
            (Some(a), Some(b)) => Some(*a.min(b)),
            (a, b) => a.or(b).copied(),
        }
        .and_then(|position| facts.interfaces.get(position));
        let (passed, reason) = match found {
            None => (
                false,
                format!("interface {wanted} is not reported by the device"),
            ),
            Some(i) if i.is_up() => (true, format!("{wanted} is up")),
            Some(i) => (
                false,
                format!(
                    "{wanted} is {} (admin {}), expected up",
                    i.oper_status, i.admin_status
                ),
            ),
        };
        checks.push(check("interface_up", passed, reason));
    }
    if let Some(previous) = expected.previous_uptime_ticks {
        let now = facts.system.uptime_ticks;
        let passed = now >= previous;
        checks.push(check(
            "uptime",
            passed,
            if passed {
                format!("up {} since the last verification", ticks(now))
            } else {
                format!(
                    "uptime went back from {} to {}: the device restarted since the last \
                     verification",
                    ticks(previous),
                    ticks(now)
                )
            },
        ));
    }
    if let Some(prefix) = expected.platform.as_deref().and_then(object_id_prefix) {
        let seen = &facts.system.object_id;
        let passed = seen.starts_with(prefix);
        let platform = expected.platform.as_deref().unwrap_or_default();
        checks.push(check(
            "object_id",
            passed,
            if passed {
                format!("sysObjectID {seen} fits platform {platform}")
            } else {
                format!("sysObjectID {seen} does not fit platform {platform} (expected {prefix}*)")
            },
        ));
    }
    if let Some(serial) = &expected.serial {
        let (passed, reason) = match &facts.serial {
            Some(seen) if seen.trim() == serial.trim() => (true, format!("serial {seen}")),
            Some(seen) => (
                false,
                format!("serial is `{seen}`, the inventory says `{serial}`"),
            ),
            None => (
                false,
                format!("the device reports no serial (ENTITY-MIB), the inventory says `{serial}`"),
            ),
        };
        checks.push(check("serial", passed, reason));
    }
    checks
}

/// Ticks as `3d 04:05:06`.
fn ticks(ticks: u32) -> String {
    let seconds = ticks / 100;
    let days = seconds / 86_400;
    let rest = seconds % 86_400;
    format!(
        "{days}d {:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Turn one asset's measurements into its verified state.
pub fn assess(
    asset: &str,
    measurements: Measurements,
    expected: &Expectations,
    config: ConfigSync,
    checked_at: std::time::SystemTime,
) -> VerifiedState {
    let mut checks = Vec::new();
    let icmp_unusable = matches!(measurements.ping, Some(Err(_)));
    let ping = match measurements.ping {
        Some(Ok(report)) => Some(report),
        Some(Err(reason)) => {
            checks.push(check("icmp", false, reason));
            None
        }
        None => None,
    };
    let (snmp, snmp_error) = match measurements.snmp {
        Some(Ok(facts)) => (Some(facts), None),
        Some(Err(error)) => (None, Some(error)),
        None => (None, None),
    };
    let tcp = measurements.tcp;

    let pinged = ping.as_ref().map(PingReport::reachable);
    let connected = tcp.as_ref().map(TcpReport::host_answered);
    // An agent that answered, even to refuse the credentials, is a live host.
    let polled = match (&snmp, &snmp_error) {
        (Some(_), _) => Some(true),
        (None, Some(SnmpError::Timeout { .. })) => Some(false),
        (None, Some(_)) => Some(true),
        (None, None) => None,
    };
    let (reachable, via) = [("icmp", pinged), ("tcp", connected), ("snmp", polled)]
        .iter()
        .fold((None, None), |(seen, via), (name, answer)| match answer {
            Some(true) if seen != Some(true) => (Some(true), Some(name.to_string())),
            Some(false) if seen.is_none() => (Some(false), via),
            _ => (seen, via),
        });
    let rtt_ms = ping
        .as_ref()
        .and_then(|p| p.rtt.map(|r| r.avg_ms))
        .or_else(|| tcp.as_ref().and_then(|t| t.connect_ms));
    let reachability = Reachability {
        reachable,
        via,
        rtt_ms,
        loss_percent: ping.as_ref().map(|p| p.loss_percent),
    };

    checks.push(match reachable {
        Some(true) => check(
            "reachable",
            true,
            format!(
                "answers {}",
                reachability.via.as_deref().unwrap_or_default()
            ),
        ),
        Some(false) => check(
            "reachable",
            false,
            unreachable_reason(ping.as_ref(), tcp.as_ref(), snmp_error.as_ref()),
        ),
        None => check(
            "reachable",
            false,
            String::from(if icmp_unusable {
                "no probe could run: ICMP is not usable here and no other probe was asked for \
                 (add --probe tcp)"
            } else {
                "no probe could run"
            }),
        ),
    });
    if let Some(error) = &snmp_error {
        checks.push(check("snmp", false, error.to_string()));
    }
    if let Some(facts) = &snmp {
        checks.extend(check_facts(facts, expected));
    }
    if let ConfigSync::Drifted { differences } = config {
        checks.push(check(
            "config",
            false,
            format!("the running configuration differs from the intended one ({differences} change(s) to make)"),
        ));
    }
    let interfaces = snmp.as_ref().map(|facts| {
        let up = facts.interfaces.iter().filter(|i| i.is_up()).count();
        InterfaceCounts {
            up,
            down: facts.interfaces.len() - up,
        }
    });
    let verdict = if reachable != Some(true) {
        Verdict::Unreachable
    } else if checks.iter().all(|c| c.passed) {
        Verdict::Passed
    } else {
        Verdict::Failed
    };
    VerifiedState {
        asset: asset.to_string(),
        checked_at: crate::inventory::date::Date::timestamp(checked_at),
        reachability,
        ping,
        tcp,
        snmp,
        snmp_error,
        interfaces,
        config,
        checks,
        verdict,
    }
}

fn unreachable_reason(
    ping: Option<&PingReport>,
    tcp: Option<&TcpReport>,
    snmp: Option<&SnmpError>,
) -> String {
    let mut parts = Vec::new();
    if let Some(p) = ping {
        parts.push(format!(
            "no reply to {} ping(s) ({}% loss)",
            p.sent, p.loss_percent
        ));
    }
    if let Some(t) = tcp {
        parts.push(t.error.clone().unwrap_or_default());
    }
    if snmp.is_some() {
        parts.push(String::from("no SNMP answer"));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests;
