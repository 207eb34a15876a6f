//! What a run did: per asset a status (ok, changed, failed, unreachable, rolled back,
//! skipped) with its reason and the result of each step, and for the run the change record,
//! the options and the timings. Saved as JSON under the inventory (`state/runs/`), so the
//! change record and its outcome stay together. Text here has been through the asset's
//! [`Redactor`](crate::secrets::Redactor) before it got in.

use super::model::ChangeRecord;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// How an asset ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Everything passed; nothing had to change.
    Ok,
    /// Everything passed; the device was changed (in check mode: would be).
    Changed,
    /// A step failed; the device was not changed, or its state is unknown (see the reason).
    Failed,
    /// The device could not be reached or logged into; nothing was changed.
    Unreachable,
    /// A change was applied, then undone from the backup (verification failed, the device
    /// stopped answering, a line was refused, or the run was interrupted).
    RolledBack,
    /// Not touched: the rollout stopped before it, or the run was interrupted.
    Skipped,
}

impl Status {
    /// The word of the recap.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Changed => "changed",
            Status::Failed => "failed",
            Status::Unreachable => "unreachable",
            Status::RolledBack => "rolled back",
            Status::Skipped => "skipped",
        }
    }

    /// True for the outcomes that count against `max_fail_percentage` and the exit code.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Status::Failed | Status::Unreachable | Status::RolledBack
        )
    }
}

/// How one step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Done, nothing changed.
    Ok,
    /// Done, the device changed (or would, in check mode).
    Changed,
    /// Failed.
    Failed,
    /// Not run (`when` false, check mode, or an earlier step failed).
    Skipped,
}

/// One step on one asset.
#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    /// The step's name, or its action.
    pub name: String,
    /// `render`, `backup`, `push`, `command`, `verify`, `record`.
    pub action: &'static str,
    /// How it ended.
    pub status: StepStatus,
    /// What happened, in one line (the output of a command is in `output`).
    pub detail: String,
    /// A command's output, redacted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// Wall time, milliseconds.
    pub duration_ms: u64,
}

/// One asset's run.
#[derive(Debug, Clone, Serialize)]
pub struct AssetReport {
    /// The asset.
    pub asset: String,
    /// Its batch (1-based).
    pub batch: usize,
    /// How it ended.
    pub status: Status,
    /// Why, when not plainly ok or changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Running → intended, redacted, when a push found differences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// The commands a push sent (or would send, in check mode), redacted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<String>,
    /// The backup revision taken before any change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_revision: Option<String>,
    /// Each step, in order.
    pub steps: Vec<StepResult>,
    /// The session transcript (redacted), for troubleshooting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcript: Option<String>,
    /// Wall time, milliseconds.
    pub duration_ms: u64,
}

impl AssetReport {
    /// An asset not started (yet): skipped, with why.
    pub fn skipped(asset: &str, batch: usize, reason: impl Into<String>) -> AssetReport {
        AssetReport {
            asset: asset.to_string(),
            batch,
            status: Status::Skipped,
            reason: Some(reason.into()),
            diff: None,
            commands: Vec::new(),
            backup_revision: None,
            steps: Vec::new(),
            transcript: None,
            duration_ms: 0,
        }
    }
}

/// Counts per status.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Ok.
    pub ok: usize,
    /// Changed.
    pub changed: usize,
    /// Failed.
    pub failed: usize,
    /// Unreachable.
    pub unreachable: usize,
    /// Rolled back.
    pub rolled_back: usize,
    /// Skipped.
    pub skipped: usize,
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// Identifier: start time and playbook file stem (`20261125T120322Z-voice-vlan-hq`).
    pub run: String,
    /// The playbook's name.
    pub playbook: String,
    /// The playbook file.
    pub file: String,
    /// The change record (the 7 R), as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<ChangeRecord>,
    /// Check mode: nothing was changed.
    pub check: bool,
    /// The `--limit` given, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
    /// Against the twin lab.
    pub lab: bool,
    /// Start, UTC.
    pub started: String,
    /// End, UTC.
    pub finished: String,
    /// Wall time, milliseconds.
    pub duration_ms: u64,
    /// Ctrl-C was pressed.
    pub interrupted: bool,
    /// Why the rollout stopped early, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// Counts.
    pub summary: Summary,
    /// Per asset, in target order.
    pub assets: Vec<AssetReport>,
}

impl RunReport {
    /// Fill the summary from the assets.
    pub fn tally(&mut self) {
        let mut summary = Summary::default();
        for asset in &self.assets {
            match asset.status {
                Status::Ok => summary.ok += 1,
                Status::Changed => summary.changed += 1,
                Status::Failed => summary.failed += 1,
                Status::Unreachable => summary.unreachable += 1,
                Status::RolledBack => summary.rolled_back += 1,
                Status::Skipped => summary.skipped += 1,
            }
        }
        self.summary = summary;
    }

    /// True when no asset failed, was unreachable or rolled back, and the run was complete.
    pub fn succeeded(&self) -> bool {
        !self.interrupted
            && self.stopped.is_none()
            && !self.assets.iter().any(|a| a.status.is_failure())
    }

    /// Write the report atomically to `<inventory>/state/runs/<run>.json` (mode 0600: it
    /// names devices and their changes); returns the path.
    pub fn save(&self, inventory_root: &Path) -> std::io::Result<PathBuf> {
        let dir = inventory_root.join("state").join("runs");
        crate::fsutil::create_private_dir(&dir)?;
        let path = dir.join(format!("{}.json", self.run));
        let mut text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        text.push('\n');
        crate::fsutil::write_file(&path, text.as_bytes(), 0o600)?;
        Ok(path)
    }
}
