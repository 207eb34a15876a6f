//! The playbook schema: targets (a selector), the change record (ITIL's 7 R), the rollout
//! policy and ordered steps, each with one action, an optional name and an optional `when`.

use crate::diag::{Diagnostic, Diagnostics};
use crate::inventory::load::Origin;
use crate::inventory::{Inventory, Selector};
use crate::yaml::{self, PathSegment};
use crate::ypath;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Duration;

/// A playbook file.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Playbook {
    /// What it does, in one line.
    pub name: String,
    /// More words, if needed.
    #[serde(default)]
    pub description: Option<String>,
    /// Which assets: a selector, as `--limit` takes (which narrows it further). Not for
    /// an onboarding or offboarding playbook, whose devices follow from the workstation.
    #[serde(default)]
    pub targets: String,
    /// The change record; required when a step may change a device.
    #[serde(default)]
    pub change: Option<ChangeRecord>,
    /// How the run is spread over the targets.
    #[serde(default)]
    pub rollout: Rollout,
    /// What to do, in order.
    #[serde(default)]
    pub steps: Vec<Step>,
    /// An onboarding playbook: the workstation's defaults; `--var key=value` gives the rest.
    #[serde(default)]
    pub onboard: Option<OnboardSpec>,
    /// An offboarding playbook (`--var name=…`).
    #[serde(default)]
    pub offboard: Option<OffboardSpec>,
}

/// What `netparc onboard` takes, as a playbook's defaults (each also a `--var`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct OnboardSpec {
    /// Site.
    #[serde(default)]
    pub site: Option<String>,
    /// Workstation name.
    #[serde(default)]
    pub name: Option<String>,
    /// Its user.
    #[serde(default)]
    pub user: Option<String>,
    /// Its MAC address.
    #[serde(default)]
    pub mac: Option<String>,
    /// VLAN.
    #[serde(default)]
    pub vlan: Option<String>,
    /// Switch.
    #[serde(default)]
    pub switch: Option<String>,
    /// Port.
    #[serde(default)]
    pub port: Option<String>,
    /// Wi-Fi profiles.
    #[serde(default)]
    pub wifi: Option<bool>,
    /// VPN profile.
    #[serde(default)]
    pub vpn: Option<bool>,
    /// Free text for the asset.
    #[serde(default)]
    pub description: Option<String>,
}

/// An offboarding playbook's defaults.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct OffboardSpec {
    /// The workstation to retire (usually a `--var`).
    #[serde(default)]
    pub name: Option<String>,
}

/// ITIL's 7 R of change management: who Requested it, the Reason, the expected Return, the
/// Risks, the Resources, who is Responsible, its Relations to other changes.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ChangeRecord {
    /// Change ticket reference (`CHG-2026-041`).
    #[serde(default)]
    pub id: Option<String>,
    /// Who requested the change.
    pub requested_by: String,
    /// Why.
    pub reason: String,
    /// The benefit expected.
    pub expected_return: String,
    /// What could go wrong, and the fallback.
    pub risks: String,
    /// People, time and equipment needed.
    pub resources: String,
    /// Who builds, tests and ships it.
    pub responsible: String,
    /// Related changes.
    #[serde(default)]
    pub relations: Vec<String>,
}

/// How many devices at once, in which batches, and when to stop.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Rollout {
    /// Devices handled at once (default 20).
    #[serde(default)]
    pub forks: Option<u32>,
    /// Batch sizes: a count, a percentage ("25%"), or a list of them (the last repeats).
    #[serde(default)]
    pub serial: Option<serde_json::Value>,
    /// Stop the run when more than this percentage of a batch failed.
    #[serde(default)]
    pub max_fail_percentage: Option<u32>,
    /// Wait between batches (`30s`, `5m`).
    #[serde(default)]
    pub pause: Option<String>,
}

/// One step: exactly one action, an optional name and an optional condition.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Step {
    /// Shown in the progress and the recap.
    #[serde(default)]
    pub name: Option<String>,
    /// A Tera expression over the asset's context; the step is skipped when false.
    #[serde(default)]
    pub when: Option<String>,
    /// Render the intended configuration.
    #[serde(default)]
    pub render: Option<RenderStep>,
    /// Save the running configuration in the backup repository.
    #[serde(default)]
    pub backup: Option<BackupStep>,
    /// Push the intended configuration.
    #[serde(default)]
    pub push: Option<PushStep>,
    /// Run a command and capture its output.
    #[serde(default)]
    pub command: Option<CommandStep>,
    /// Verify the device answers and matches expectations.
    #[serde(default)]
    pub verify: Option<VerifyStep>,
    /// Write the verified state back into the inventory.
    #[serde(default)]
    pub record: Option<RecordStep>,
}

/// The action names, for messages.
pub const ACTIONS: [&str; 6] = ["render", "backup", "push", "command", "verify", "record"];

impl Step {
    /// The actions present in this step (a valid step has exactly one).
    pub fn actions(&self) -> Vec<&'static str> {
        let present = [
            self.render.is_some(),
            self.backup.is_some(),
            self.push.is_some(),
            self.command.is_some(),
            self.verify.is_some(),
            self.record.is_some(),
        ];
        ACTIONS
            .iter()
            .zip(present)
            .filter(|(_, present)| *present)
            .map(|(name, _)| *name)
            .collect()
    }

    /// True when the step may change a device.
    pub fn changes_devices(&self) -> bool {
        self.push.is_some() || self.command.as_ref().is_some_and(|c| c.config)
    }
}

/// `render: {}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RenderStep {
    /// Also write the rendered files to this folder.
    #[serde(default)]
    pub out: Option<String>,
}

/// `backup: {}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct BackupStep {
    /// Commit message suffix in the backup repository.
    #[serde(default)]
    pub message: Option<String>,
}

/// How a push applies the intended configuration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PushMode {
    /// Apply the remediation (the minimal commands); keep what the intent does not mention.
    #[default]
    Merge,
    /// Make the running configuration equal to the intended one.
    Replace,
}

/// `push: {mode: merge}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct PushStep {
    /// Merge or replace.
    #[serde(default)]
    pub mode: PushMode,
    /// Save to startup after a successful verification.
    #[serde(default = "default_true")]
    pub save: bool,
}

fn default_true() -> bool {
    true
}

/// `command: {run: "show vlan brief", expect: ["voice"]}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct CommandStep {
    /// The command line.
    pub run: String,
    /// Regular expressions the output must match.
    #[serde(default)]
    pub expect: Vec<String>,
    /// Run in configuration mode (changes the device).
    #[serde(default)]
    pub config: bool,
}

/// `verify: {}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct VerifyStep {
    /// Probes to run (default: all that apply to the asset).
    #[serde(default)]
    pub probes: Vec<String>,
}

/// `record: {}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RecordStep {}

/// Parse a duration such as `30s`, `5m`, `1h30m` or a number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => return Err(format!("`{text}` is not a duration: unknown unit `{c}`")),
        };
        let value: u64 = number
            .parse()
            .map_err(|_| format!("`{text}` is not a duration: a number must precede `{c}`"))?;
        total = total.saturating_add(value.saturating_mul(unit));
        number.clear();
    }
    if !number.is_empty() {
        return Err(format!(
            "`{text}` is not a duration: `{number}` has no unit"
        ));
    }
    if text.is_empty() {
        return Err(String::from("empty duration"));
    }
    Ok(Duration::from_secs(total))
}

/// Check one `serial` entry: a positive count or a percentage from 1 to 100.
fn check_batch(value: &serde_json::Value) -> Result<(), String> {
    match value {
        serde_json::Value::Number(n) if n.as_u64().is_some_and(|n| n >= 1) => Ok(()),
        serde_json::Value::String(s) => match s.strip_suffix('%').map(str::parse::<u32>) {
            Some(Ok(p)) if (1..=100).contains(&p) => Ok(()),
            _ => Err(format!("`{s}` is not a batch size")),
        },
        other => Err(format!("`{other}` is not a batch size")),
    }
}

/// Read a playbook file.
pub fn load_playbook(file: &Path) -> Result<(Playbook, Origin, Diagnostics), Diagnostics> {
    let words = playbook_vocabulary();
    let (loaded, diagnostics) = yaml::load::<Playbook>(file, &words)?;
    let origin = Origin {
        file: loaded.source,
        path: Vec::new(),
    };
    Ok((loaded.value, origin, diagnostics))
}

fn playbook_vocabulary() -> Vec<&'static str> {
    use crate::yaml::struct_fields;
    let mut words = [
        struct_fields::<Playbook>(),
        struct_fields::<ChangeRecord>(),
        struct_fields::<OnboardSpec>(),
        struct_fields::<OffboardSpec>(),
        struct_fields::<Rollout>(),
        struct_fields::<Step>(),
        struct_fields::<PushStep>(),
        struct_fields::<CommandStep>(),
        struct_fields::<RenderStep>(),
        struct_fields::<BackupStep>(),
        struct_fields::<VerifyStep>(),
    ]
    .concat();
    words.sort_unstable();
    words.dedup();
    words
}

/// Check a parsed playbook against the inventory it targets: the selector parses and matches
/// at least one asset, each step has exactly one action, a change record is present when a
/// step may change a device, and the rollout values make sense.
pub fn validate_playbook(
    playbook: &Playbook,
    origin: &Origin,
    inventory: Option<&Inventory>,
) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    let at = |path: &[PathSegment]| origin.locate(path);
    if playbook.onboard.is_some() || playbook.offboard.is_some() {
        let which = if playbook.onboard.is_some() {
            "onboard"
        } else {
            "offboard"
        };
        if playbook.onboard.is_some() && playbook.offboard.is_some() {
            diagnostics.push(
                Diagnostic::error(
                    "playbook.onboard-and-offboard",
                    "a playbook onboards or offboards, not both",
                )
                .at(at(&ypath!["offboard"])),
            );
        }
        if !playbook.targets.is_empty() || !playbook.steps.is_empty() {
            diagnostics.push(
                Diagnostic::error(
                    "playbook.onboard-with-steps",
                    format!(
                        "an `{which}` playbook has no targets or steps: the procedure is built in"
                    ),
                )
                .at(at(&ypath![which]))
                .hint("remove `targets` and `steps`, or make two playbooks"),
            );
        }
        return diagnostics;
    }
    match Selector::parse(&playbook.targets) {
        Err(error) => diagnostics
            .push(Diagnostic::error("playbook.bad-targets", error).at(at(&ypath!["targets"]))),
        Ok(selector) => {
            if let Some(inventory) = inventory
                && !inventory.assets.iter().any(|a| selector.matches(&a.value))
            {
                diagnostics.push(
                    Diagnostic::error(
                        "playbook.no-targets",
                        format!(
                            "targets `{}` match no asset of inventory `{}`",
                            playbook.targets, inventory.settings.value.name
                        ),
                    )
                    .at(at(&ypath!["targets"]))
                    .hint("check the selector against `netparc render --limit '<selector>'`"),
                );
            }
        }
    }
    if playbook.steps.is_empty() {
        diagnostics.push(
            Diagnostic::error("playbook.no-steps", "the playbook has no steps")
                .at(at(&ypath!["steps"]))
                .expected(format!(
                    "a list of steps, each with one of: {}",
                    ACTIONS.join(", ")
                )),
        );
    }
    for (index, step) in playbook.steps.iter().enumerate() {
        let actions = step.actions();
        match actions.len() {
            1 => {}
            0 => diagnostics.push(
                Diagnostic::error(
                    "playbook.step-without-action",
                    format!("step {} has no action", index + 1),
                )
                .at(at(&ypath!["steps", index]))
                .expected(format!("exactly one of: {}", ACTIONS.join(", "))),
            ),
            _ => diagnostics.push(
                Diagnostic::error(
                    "playbook.step-several-actions",
                    format!(
                        "step {} has several actions: {}",
                        index + 1,
                        actions.join(", ")
                    ),
                )
                .at(at(&ypath!["steps", index]))
                .hint("split it into one step per action"),
            ),
        }
        if let Some(when) = &step.when
            && let Err(error) = crate::render::check_expression(when)
        {
            diagnostics.push(
                Diagnostic::error(
                    "playbook.bad-when",
                    format!(
                        "step {} has an invalid `when` expression: {error}",
                        index + 1
                    ),
                )
                .at(at(&ypath!["steps", index, "when"]))
                .expected("a Tera expression over the asset's context, e.g. vars.poe == true"),
            );
        }
        if let Some(verify) = &step.verify {
            for (pi, probe) in verify.probes.iter().enumerate() {
                if !crate::probe::KINDS.contains(&probe.as_str()) {
                    let hint = crate::diag::did_you_mean(probe, crate::probe::KINDS)
                        .map(|s| format!("did you mean `{s}`?"))
                        .unwrap_or_else(|| String::from("leave `probes` out to run them all"));
                    diagnostics.push(
                        Diagnostic::error(
                            "playbook.unknown-probe",
                            format!("step {} asks for an unknown probe `{probe}`", index + 1),
                        )
                        .at(at(&ypath!["steps", index, "verify", "probes", pi]))
                        .expected(crate::probe::KINDS.join(", "))
                        .hint(hint),
                    );
                }
            }
        }
        if let Some(command) = &step.command {
            for (ei, pattern) in command.expect.iter().enumerate() {
                if let Err(error) = regex::Regex::new(pattern) {
                    diagnostics.push(
                        Diagnostic::error(
                            "playbook.bad-pattern",
                            format!("expected pattern `{pattern}` is not a valid regular expression: {error}"),
                        )
                        .at(at(&ypath!["steps", index, "command", "expect", ei])),
                    );
                }
            }
        }
    }
    if playbook.change.is_none() && playbook.steps.iter().any(Step::changes_devices) {
        diagnostics.push(
            Diagnostic::error(
                "playbook.change-record-missing",
                "this playbook changes devices but has no change record",
            )
            .at(at(&[]))
            .expected("a `change:` section with requested_by, reason, expected_return, risks, resources, responsible and relations (the 7 R)")
            .hint("every change answers the 7 R so it can be shown in the change review"),
        );
    }
    if let Some(forks) = playbook.rollout.forks
        && forks == 0
    {
        diagnostics.push(
            Diagnostic::error("playbook.bad-rollout", "forks must be at least 1")
                .at(at(&ypath!["rollout", "forks"])),
        );
    }
    if let Some(percentage) = playbook.rollout.max_fail_percentage
        && percentage > 100
    {
        diagnostics.push(
            Diagnostic::error(
                "playbook.bad-rollout",
                format!("max_fail_percentage {percentage} is above 100"),
            )
            .at(at(&ypath!["rollout", "max_fail_percentage"]))
            .expected("a percentage from 0 to 100"),
        );
    }
    if let Some(serial) = &playbook.rollout.serial {
        let entries: Vec<&serde_json::Value> = match serial {
            serde_json::Value::Array(list) => list.iter().collect(),
            one => vec![one],
        };
        for entry in entries {
            if let Err(error) = check_batch(entry) {
                diagnostics.push(
                    Diagnostic::error("playbook.bad-rollout", format!("serial: {error}"))
                        .at(at(&ypath!["rollout", "serial"]))
                        .expected("a count (2), a percentage (\"25%\") or a list of them"),
                );
            }
        }
    }
    if let Some(pause) = &playbook.rollout.pause
        && let Err(error) = parse_duration(pause)
    {
        diagnostics.push(
            Diagnostic::error("playbook.bad-rollout", format!("pause: {error}"))
                .at(at(&ypath!["rollout", "pause"]))
                .expected("a duration such as 30s, 5m or 1h"),
        );
    }
    diagnostics
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert!(
            parse_duration("5 minutes")
                .unwrap_err()
                .contains("unknown unit")
        );
        assert!(parse_duration("10").is_ok());
        assert!(parse_duration("m").is_err());
    }

    #[test]
    fn batches() {
        assert!(check_batch(&serde_json::json!(2)).is_ok());
        assert!(check_batch(&serde_json::json!("25%")).is_ok());
        assert!(check_batch(&serde_json::json!("0%")).is_err());
        assert!(check_batch(&serde_json::json!(0)).is_err());
        assert!(check_batch(&serde_json::json!("half")).is_err());
    }
}
