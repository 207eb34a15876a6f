//! The fleet as technicians list it: every asset of the inventory merged with what netparc
//! last saw of it (the verified state in `state/assets/`: verification, last change) and its
//! lifecycle (serial, warranty and licence ends, with those ending within 90 days, or
//! already ended, flagged). Rows for `netparc inventory` and the generated documentation.

use crate::inventory::date::Date;
use crate::inventory::{Inventory, Selector};
use crate::state::{StateError, StateStore};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

/// How far ahead an expiry is flagged.
pub const EXPIRY_HORIZON_DAYS: i64 = 90;

/// One asset, merged with its verified state.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Row {
    /// Name.
    pub name: String,
    /// Kind (`switch`, `workstation`…).
    pub kind: String,
    /// Site.
    pub site: String,
    /// Address.
    pub address: Option<String>,
    /// Platform.
    pub platform: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Serial number (the inventory's).
    pub serial: Option<String>,
    /// End of warranty.
    pub warranty_end: Option<String>,
    /// End of licence or support.
    pub licence_end: Option<String>,
    /// Expiries within the horizon, or past (`warranty ends in 25 days`).
    pub expiring: Vec<String>,
    /// When the probes last ran.
    pub verified_at: Option<String>,
    /// Their conclusion (`passed`, `failed`, `unreachable`).
    pub verdict: Option<String>,
    /// Answered a probe.
    pub reachable: Option<bool>,
    /// Round trip, ms.
    pub rtt_ms: Option<f64>,
    /// Configuration in sync or drifted, as last verified.
    pub config: Option<String>,
    /// When the last playbook run touched it.
    pub last_change_at: Option<String>,
    /// That run.
    pub last_change_run: Option<String>,
    /// Whether that run changed it.
    pub last_change_changed: Option<bool>,
    /// The backup revision taken before that change.
    pub backup_revision: Option<String>,
    /// Offboarding date, for a retired asset (kept for the history).
    pub retired: Option<String>,
}

/// Rows for the selected assets, in inventory order; state files that cannot be read are
/// returned beside them (their assets' rows show no verified state).
pub fn rows(
    inventory: &Inventory,
    selector: &Selector,
    today: Date,
) -> (Vec<Row>, Vec<StateError>) {
    let store = StateStore::open(&inventory.root);
    let (states, errors) = store.load_all();
    let states: HashMap<String, serde_json::Map<String, Value>> = states.into_iter().collect();
    let rows = inventory
        .assets
        .iter()
        .filter(|a| selector.matches_record(&a.value))
        .map(|located| {
            let asset = &located.value;
            let mut row = Row {
                name: asset.name.clone(),
                kind: asset.kind.as_str().to_string(),
                site: asset.site.clone(),
                address: asset.address.map(|a| a.to_string()),
                platform: asset.platform.clone(),
                model: asset.model.clone(),
                serial: asset.serial.clone(),
                warranty_end: asset.lifecycle.warranty_end.clone(),
                licence_end: asset.lifecycle.licence_end.clone(),
                retired: asset.retired.as_ref().map(|r| r.date.clone()),
                ..Row::default()
            };
            for (what, end) in [
                ("warranty", &asset.lifecycle.warranty_end),
                ("licence", &asset.lifecycle.licence_end),
            ] {
                if let Some(flag) = end
                    .as_deref()
                    .filter(|_| asset.retired.is_none())
                    .and_then(|e| expiry(what, e, today))
                {
                    row.expiring.push(flag);
                }
            }
            if let Some(sections) = states.get(&asset.name) {
                let text = |section: &str, pointer: &str| {
                    sections
                        .get(section)
                        .and_then(|v| v.pointer(pointer))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                };
                let verification = sections.get("verification");
                row.verified_at = text("verification", "/checked_at");
                row.verdict = text("verification", "/verdict");
                row.reachable = verification
                    .and_then(|v| v.pointer("/reachability/reachable"))
                    .and_then(Value::as_bool);
                row.rtt_ms = verification
                    .and_then(|v| v.pointer("/reachability/rtt_ms"))
                    .and_then(Value::as_f64);
                row.config = verification.and_then(|v| v.get("config")).map(config_label);
                row.last_change_at = text("last_change", "/at");
                row.last_change_run = text("last_change", "/run");
                row.last_change_changed = sections
                    .get("last_change")
                    .and_then(|v| v.get("changed"))
                    .and_then(Value::as_bool);
                row.backup_revision = text("last_change", "/backup_revision");
            }
            row
        })
        .collect();
    (rows, errors)
}

/// The configuration state as one word, whatever shape the verification wrote it in.
fn config_label(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Object(map) => match (map.get("state"), map.get("differences")) {
            (Some(Value::String(state)), Some(n)) => format!("{state} ({n})"),
            (Some(Value::String(state)), None) => state.clone(),
            _ => String::from("unknown"),
        },
        other => other.to_string(),
    }
}

/// `warranty ends in 25 days` / `warranty ended 3 days ago` within the horizon; None
/// further away (or for a date that does not parse: `netparc check` reports those).
pub fn expiry(what: &str, end: &str, today: Date) -> Option<String> {
    let end: Date = end.parse().ok()?;
    let days = today.days_until(end);
    match days {
        d if d < 0 => Some(format!("{what} ended {} days ago", -d)),
        0 => Some(format!("{what} ends today")),
        d if d <= EXPIRY_HORIZON_DAYS => Some(format!("{what} ends in {d} days")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiries_within_ninety_days_or_past_are_flagged() {
        let today: Date = "2026-11-25".parse().unwrap();
        assert_eq!(
            expiry("warranty", "2026-12-20", today).as_deref(),
            Some("warranty ends in 25 days")
        );
        assert_eq!(
            expiry("licence", "2026-11-22", today).as_deref(),
            Some("licence ended 3 days ago")
        );
        assert_eq!(
            expiry("warranty", "2026-11-25", today).as_deref(),
            Some("warranty ends today")
        );
        assert_eq!(
            expiry("warranty", "2027-02-23", today).as_deref(),
            Some("warranty ends in 90 days")
        );
        assert_eq!(expiry("warranty", "2027-02-24", today), None);
        assert_eq!(expiry("warranty", "not a date", today), None);
    }
}
