//! The playbook engine: runs a playbook's steps on its targets in batches (`serial`), a few
//! devices at once (`forks`), stopping when a batch fails beyond `max_fail_percentage`, with
//! commit-confirmed semantics on every platform: before any change the running configuration
//! is backed up; after a push the device must still answer on a fresh connection and its
//! configuration must match the intent, and every later step must pass, or the backup is put
//! back and the asset reported "rolled back". The change is saved to startup only then.
//!
//! `--check` reads and plans but changes nothing: no configuration line, no save, no
//! backup commit, no state written. Ctrl-C (the `cancel` signal) starts nothing new; an asset
//! in flight stops at its next step and undoes its change.
//!
//! Everything leaving the engine (events, report) goes through the asset's
//! [`Redactor`]: diffs and command output never show a secret.

use super::model::{Playbook, PushMode, Step};
use super::report::{AssetReport, RunReport, Status, StepResult, StepStatus};
use super::rollout;
use crate::access::Endpoint;
use crate::backup::BackupStore;
use crate::driver::{self, Driver, DriverError, DriverOptions, Mode, Timeouts};
use crate::probe::verdict::{ConfigSync, VerifiedState};
use crate::secrets::Redactor;
use crate::transport::transcript::Transcript;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::watch;

/// How a run goes, beyond the playbook.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Change nothing: read, plan and report what would change.
    pub check: bool,
    /// Devices at once (overrides the playbook's `forks`).
    pub forks: Option<usize>,
    /// Per-line and read timeouts.
    pub timeouts: Timeouts,
    /// The `--limit` given (for the report).
    pub limit: Option<String>,
    /// Against the twin lab (for the report).
    pub lab: bool,
    /// The probes a `verify` step runs (ping, SNMP, TCP); without one, `verify` checks
    /// reachability over SSH and the configuration only.
    pub verifier: Option<VerifierHandle>,
}

/// Runs the probes of one asset: `(asset, probes asked for)` → what they saw. Built by
/// [`super::launch`] from the inventory and the access the run uses.
pub type Verifier = Arc<
    dyn Fn(
            String,
            Vec<String>,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<VerifiedState, String>> + Send>,
        > + Send
        + Sync,
>;

/// A [`Verifier`] that can sit in [`RunOptions`].
#[derive(Clone)]
pub struct VerifierHandle(pub Verifier);

impl std::fmt::Debug for VerifierHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Verifier")
    }
}

/// One asset, ready to run: how to reach it, what it should look like, which steps apply.
pub struct Target {
    /// Login and address.
    pub endpoint: Endpoint,
    /// The rendered intended configuration (holds secrets), when the asset has a template.
    pub intended: Option<String>,
    /// Per step: whether its `when` holds for this asset (or why it could not be evaluated).
    pub enabled: Vec<Result<bool, String>>,
    /// Hides the asset's secret values.
    pub redactor: Redactor,
}

/// Progress, as it happens (the CLI draws bars or prints lines from these).
#[derive(Debug, Clone)]
pub enum Event {
    /// A batch starts.
    Batch {
        /// 1-based.
        index: usize,
        /// How many batches.
        of: usize,
        /// Its assets.
        assets: Vec<String>,
    },
    /// A step ended on an asset.
    Step {
        /// The asset.
        asset: String,
        /// The step's name.
        step: String,
        /// How it ended.
        status: StepStatus,
        /// One line about it.
        detail: String,
    },
    /// A push found differences (already redacted).
    Diff {
        /// The asset.
        asset: String,
        /// Unified diff, running → intended.
        diff: String,
    },
    /// An asset is done.
    Done {
        /// Its report line.
        asset: String,
        /// How it ended.
        status: Status,
        /// Why.
        reason: Option<String>,
    },
    /// Waiting between batches.
    Pause(Duration),
    /// The rollout stops (too many failures, or Ctrl-C).
    Stopped(String),
}

/// Devices handled at once when neither `--forks` nor the playbook says.
pub const DEFAULT_FORKS: usize = 20;

/// Receives the events.
pub type EventSink = Arc<dyn Fn(Event) + Send + Sync>;

/// The run's backup store, possibly still opening: opening runs git a few times and creates
/// the repository on first use, while devices are connecting and reading their configuration
/// anyway. A device's first save waits for it; a store that cannot be opened fails each
/// device before any change, and the run. Cloning shares it.
#[derive(Clone)]
pub struct Backups {
    opened: watch::Receiver<Option<Result<BackupStore, String>>>,
}

impl Backups {
    /// Open the store of the inventory at `inventory_root` in the background.
    pub fn open(inventory_root: PathBuf) -> Backups {
        let (sender, opened) = watch::channel(None);
        tokio::task::spawn_blocking(move || {
            let result = BackupStore::open(&inventory_root).map_err(|error| error.to_string());
            let _ = sender.send(Some(result));
        });
        Backups { opened }
    }

    /// The store, once open (or why it could not be).
    async fn store(&self) -> Result<BackupStore, String> {
        let mut opened = self.opened.clone();
        let result = match opened.wait_for(Option::is_some).await {
            Ok(result) => result.clone(),
            // The opener's sender is gone without an answer: its thread panicked.
            Err(_) => None,
        };
        result
            .unwrap_or_else(|| Err(crate::backup::BackupError::WriterFailed.to_string()))
            .map_err(|error| format!("cannot open the backup repository: {error}"))
    }
}

impl From<BackupStore> for Backups {
    fn from(store: BackupStore) -> Backups {
        let (_, opened) = watch::channel(Some(Ok(store)));
        Backups { opened }
    }
}

struct Shared {
    playbook: Playbook,
    options: RunOptions,
    backups: Option<Backups>,
    inventory_root: PathBuf,
    run: String,
    events: EventSink,
    cancel: watch::Receiver<bool>,
}

impl Shared {
    fn cancelled(&self) -> bool {
        *self.cancel.borrow()
    }
}

/// Run `playbook` on `targets` (in target order). `cancel` turns true on Ctrl-C.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    playbook: &Playbook,
    playbook_file: &std::path::Path,
    inventory_root: &std::path::Path,
    targets: Vec<Target>,
    options: RunOptions,
    backups: Option<Backups>,
    events: EventSink,
    cancel: watch::Receiver<bool>,
) -> RunReport {
    let started_at = SystemTime::now();
    let clock = Instant::now();
    let stem = playbook_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| String::from("playbook"));
    let run_id = format!(
        "{}-{stem}",
        crate::inventory::date::Date::timestamp(started_at)
            .replace(['-', ':'], "")
            .trim_end_matches('Z')
            .to_string()
            + "Z"
    );
    let forks = options
        .forks
        .or(playbook.rollout.forks.map(|f| f as usize))
        // Nornir's default: enough to keep a site's switches busy, few enough to read the
        // progress of each.
        .unwrap_or(DEFAULT_FORKS)
        .max(1);
    let max_fail = playbook.rollout.max_fail_percentage;
    let pause = match &playbook.rollout.pause {
        Some(text) if !options.check => super::model::parse_duration(text).ok(),
        _ => None,
    };
    let sizes = rollout::batch_sizes(targets.len(), playbook.rollout.serial.as_ref());
    let shared = Arc::new(Shared {
        playbook: playbook.clone(),
        options: options.clone(),
        backups,
        inventory_root: inventory_root.to_path_buf(),
        run: run_id.clone(),
        events: events.clone(),
        cancel: cancel.clone(),
    });
    let mut reports: Vec<AssetReport> = Vec::with_capacity(targets.len());
    let mut stopped: Option<String> = None;
    let mut queue = targets.into_iter();
    let batches = sizes.len();
    for (index, size) in sizes.into_iter().enumerate() {
        let batch_number = index + 1;
        let batch: Vec<Target> = queue.by_ref().take(size).collect();
        if stopped.is_some() || shared.cancelled() {
            let reason = stopped
                .clone()
                .unwrap_or_else(|| String::from("interrupted (Ctrl-C) before it started"));
            for target in batch {
                reports.push(AssetReport::skipped(
                    &target.endpoint.asset,
                    batch_number,
                    reason.clone(),
                ));
            }
            continue;
        }
        events(Event::Batch {
            index: batch_number,
            of: batches,
            assets: batch.iter().map(|t| t.endpoint.asset.clone()).collect(),
        });
        let semaphore = Arc::new(tokio::sync::Semaphore::new(forks));
        let mut tasks = Vec::with_capacity(batch.len());
        for target in batch {
            let shared = shared.clone();
            let semaphore = semaphore.clone();
            let name = target.endpoint.asset.clone();
            let task = tokio::spawn(async move {
                let _permit = semaphore.acquire_owned().await;
                if shared.cancelled() {
                    return AssetReport::skipped(
                        &target.endpoint.asset,
                        batch_number,
                        "interrupted (Ctrl-C) before it started",
                    );
                }
                let report = Worker::new(&shared, &target, batch_number).run().await;
                (shared.events)(Event::Done {
                    asset: report.asset.clone(),
                    status: report.status,
                    reason: report.reason.clone(),
                });
                report
            });
            tasks.push((name, task));
        }
        let mut failed = 0;
        let count = tasks.len();
        for (name, task) in tasks {
            let report = task.await.unwrap_or_else(|error| {
                let mut report = AssetReport::skipped(&name, batch_number, "");
                report.status = Status::Failed;
                report.reason = Some(format!(
                    "internal error: the task ended abnormally ({error}); state unknown"
                ));
                report
            });
            if report.status.is_failure() {
                failed += 1;
            }
            reports.push(report);
        }
        if rollout::exceeds(failed, count, max_fail) {
            let reason = format!(
                "rollout stopped: {failed} of {count} failed in batch {batch_number} (max_fail_percentage {})",
                max_fail.unwrap_or(0)
            );
            events(Event::Stopped(reason.clone()));
            stopped = Some(reason);
            continue;
        }
        if shared.cancelled() {
            continue;
        }
        if let Some(pause) = pause
            && batch_number < batches
        {
            events(Event::Pause(pause));
            let mut cancel = cancel.clone();
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = cancel.wait_for(|c| *c) => {}
            }
        }
    }
    let interrupted = shared.cancelled();
    if interrupted {
        events(Event::Stopped(String::from("interrupted (Ctrl-C)")));
    }
    // Backups are durable in the store's journal when a device is changed; the report names
    // their revisions, so they are in git before it is written.
    let mut backups_unsettled = None;
    if let Some(backups) = shared.backups.clone() {
        match backups.store().await {
            Ok(store) => {
                let flushed = tokio::task::spawn_blocking(move || store.flush())
                    .await
                    .unwrap_or(Err(crate::backup::BackupError::WriterFailed));
                if let Err(error) = flushed {
                    backups_unsettled = Some(error.to_string());
                }
            }
            Err(error) => backups_unsettled = Some(error),
        }
    }
    // A run whose backups did not reach git fails, whatever its devices did.
    let stopped = match (stopped, backups_unsettled) {
        (Some(stopped), Some(backups)) => Some(format!("{stopped}; {backups}")),
        (stopped, backups) => stopped.or(backups),
    };
    let mut report = RunReport {
        run: run_id,
        playbook: playbook.name.clone(),
        file: playbook_file.display().to_string(),
        change: playbook.change.clone(),
        check: options.check,
        limit: options.limit.clone(),
        lab: options.lab,
        started: crate::inventory::date::Date::timestamp(started_at),
        finished: crate::inventory::date::Date::timestamp(SystemTime::now()),
        duration_ms: clock.elapsed().as_millis() as u64,
        interrupted,
        stopped,
        summary: Default::default(),
        assets: reports,
    };
    report.tally();
    report
}

/// Why an asset's run ends early.
struct Stop {
    status: Status,
    reason: String,
}

/// One asset's run: its connection, its backup, whether a change is in place.
struct Worker<'a> {
    shared: &'a Shared,
    target: &'a Target,
    report: AssetReport,
    driver: Option<Box<dyn Driver>>,
    /// The running configuration read before any change (what a rollback restores).
    backup: Option<String>,
    /// The running configuration as last read (a push plans from it).
    running: Option<String>,
    /// A change was applied in this run and not yet confirmed.
    changed: bool,
    /// Save to startup once everything passed.
    save: bool,
    /// Everything sent and received, redacted (written to `state/transcripts/<run>/`).
    transcript: Transcript,
    /// What the probes of the last `verify` step saw (the `record` step writes it back).
    verified: Option<VerifiedState>,
}

impl<'a> Worker<'a> {
    fn new(shared: &'a Shared, target: &'a Target, batch: usize) -> Worker<'a> {
        let mut report = AssetReport::skipped(&target.endpoint.asset, batch, "");
        report.status = Status::Ok;
        report.reason = None;
        Worker {
            shared,
            target,
            report,
            driver: None,
            backup: None,
            running: None,
            changed: false,
            save: false,
            transcript: Transcript::new(),
            verified: None,
        }
    }

    fn asset(&self) -> &str {
        &self.target.endpoint.asset
    }

    fn redact(&self, text: &str) -> String {
        self.target.redactor.apply(text)
    }

    async fn run(mut self) -> AssetReport {
        let clock = Instant::now();
        let outcome = self.steps().await;
        let outcome = match outcome {
            Ok(()) if self.changed && self.save && !self.shared.options.check => {
                match self.save_config().await {
                    Ok(()) => Ok(()),
                    Err(error) => Err(self.undo(format!("saving failed: {error}")).await),
                }
            }
            other => other,
        };
        match outcome {
            Ok(()) => {
                if self
                    .report
                    .steps
                    .iter()
                    .any(|s| s.status == StepStatus::Changed)
                {
                    self.report.status = Status::Changed;
                }
            }
            Err(stop) => {
                self.report.status = stop.status;
                self.report.reason = Some(self.redact(&stop.reason));
            }
        }
        if let Some(driver) = self.driver.take() {
            driver.close().await;
        }
        self.save_transcript().await;
        self.report.duration_ms = clock.elapsed().as_millis() as u64;
        self.report
    }

    /// Keep the session transcript for troubleshooting: `state/transcripts/<run>/<asset>.log`
    /// (0600; secrets were replaced before anything was recorded). A transcript that cannot
    /// be written is a note in the report, not a failure of the device.
    async fn save_transcript(&mut self) {
        if self.transcript.entries().is_empty() {
            return;
        }
        let dir = self
            .shared
            .inventory_root
            .join("state")
            .join("transcripts")
            .join(&self.shared.run);
        let path = dir.join(format!("{}.log", self.asset()));
        let transcript = self.transcript.clone();
        let target = path.clone();
        // File I/O off the runtime's workers: a thousand devices finish at once.
        let written = tokio::task::spawn_blocking(move || {
            crate::fsutil::create_private_dir(&dir).and_then(|()| transcript.write_to(&target))
        })
        .await
        .unwrap_or_else(|error| Err(std::io::Error::other(error.to_string())));
        match written {
            Ok(()) => self.report.transcript = Some(path.display().to_string()),
            Err(error) => {
                self.report.transcript = Some(format!("not written: {error}"));
            }
        }
    }

    async fn save_config(&mut self) -> Result<(), DriverError> {
        let clock = Instant::now();
        let result = match self.driver.as_mut() {
            Some(driver) => driver.save().await,
            None => Ok(()),
        };
        let (status, detail) = match &result {
            Ok(()) => (StepStatus::Ok, String::from("saved to startup")),
            Err(error) => (StepStatus::Failed, error.to_string()),
        };
        self.record("save", "push", status, detail, None, clock);
        result
    }

    fn record(
        &mut self,
        name: &str,
        action: &'static str,
        status: StepStatus,
        detail: String,
        output: Option<String>,
        clock: Instant,
    ) {
        let detail = self.redact(&detail);
        (self.shared.events)(Event::Step {
            asset: self.asset().to_string(),
            step: name.to_string(),
            status,
            detail: detail.clone(),
        });
        self.report.steps.push(StepResult {
            name: name.to_string(),
            action,
            status,
            detail,
            output: output.map(|o| self.redact(&o)),
            duration_ms: clock.elapsed().as_millis() as u64,
        });
    }

    async fn steps(&mut self) -> Result<(), Stop> {
        let steps = self.shared.playbook.steps.clone();
        for (index, step) in steps.iter().enumerate() {
            let action = step.actions().first().copied().unwrap_or("unknown");
            let name = step.name.clone().unwrap_or_else(|| action.to_string());
            if self.shared.cancelled() {
                let reason = String::from("interrupted (Ctrl-C)");
                return Err(if self.changed {
                    self.undo(reason).await
                } else {
                    Stop {
                        status: Status::Skipped,
                        reason,
                    }
                });
            }
            let clock = Instant::now();
            match self.target.enabled.get(index) {
                Some(Ok(true)) | None => {}
                Some(Ok(false)) => {
                    self.record(
                        &name,
                        action,
                        StepStatus::Skipped,
                        String::from("`when` is false"),
                        None,
                        clock,
                    );
                    continue;
                }
                Some(Err(error)) => {
                    let reason = format!("step `{name}`: `when` cannot be evaluated: {error}");
                    return Err(self.step_failed(&name, action, reason, clock).await);
                }
            }
            self.step(step, &name, action, clock).await?;
        }
        Ok(())
    }

    async fn step(
        &mut self,
        step: &Step,
        name: &str,
        action: &'static str,
        clock: Instant,
    ) -> Result<(), Stop> {
        let check = self.shared.options.check;
        if let Some(render) = &step.render {
            let Some(intended) = &self.target.intended else {
                let reason = format!("`{}` has no template to render", self.asset());
                return Err(self.step_failed(name, action, reason, clock).await);
            };
            let mut detail = format!("{} lines", intended.lines().count());
            if let Some(out) = &render.out
                && !check
            {
                let dir = self.shared.inventory_root.join(out);
                let path = dir.join(format!("{}.cfg", self.asset()));
                let written = crate::fsutil::create_private_dir(&dir)
                    .and_then(|()| crate::fsutil::write_file(&path, intended.as_bytes(), 0o600));
                if let Err(error) = written {
                    let reason = format!("cannot write {}: {error}", path.display());
                    return Err(self.step_failed(name, action, reason, clock).await);
                }
                detail = format!("{detail}, written to {}", path.display());
            }
            self.record(name, action, StepStatus::Ok, detail, None, clock);
            return Ok(());
        }
        if let Some(backup) = &step.backup {
            let message = backup.message.clone().unwrap_or_else(|| name.to_string());
            let detail = self.take_backup(&message).await?;
            self.record(name, action, StepStatus::Ok, detail, None, clock);
            return Ok(());
        }
        if let Some(push) = &step.push {
            return self.push(name, push.mode, push.save, clock).await;
        }
        if let Some(command) = &step.command {
            if check {
                self.record(
                    name,
                    action,
                    StepStatus::Skipped,
                    String::from("not run in check mode"),
                    None,
                    clock,
                );
                return Ok(());
            }
            if command.config && self.backup.is_none() {
                self.take_backup(&format!("before `{}`", command.run))
                    .await?;
            }
            let driver = self.connect().await?;
            let result = if command.config {
                driver
                    .configure(std::slice::from_ref(&command.run))
                    .await
                    .map(|()| String::new())
            } else {
                driver.command(&command.run).await.map(|o| o.text)
            };
            let output = match result {
                Ok(output) => output,
                Err(error) => {
                    let reason = format!("`{}`: {error}", command.run);
                    self.record(
                        name,
                        action,
                        StepStatus::Failed,
                        reason.clone(),
                        None,
                        clock,
                    );
                    return Err(self.after_failure(reason, &error).await);
                }
            };
            if command.config {
                self.changed = true;
            }
            for pattern in &command.expect {
                let matched = regex::Regex::new(pattern).is_ok_and(|re| re.is_match(&output));
                if !matched {
                    let reason = format!(
                        "step `{name}`: the output of `{}` does not match `{pattern}`",
                        command.run
                    );
                    self.record(
                        name,
                        action,
                        StepStatus::Failed,
                        reason.clone(),
                        Some(output),
                        clock,
                    );
                    return Err(self.fail(reason).await);
                }
            }
            let status = if command.config {
                StepStatus::Changed
            } else {
                StepStatus::Ok
            };
            let detail = if command.expect.is_empty() {
                String::from("ran")
            } else {
                format!("output matches {} pattern(s)", command.expect.len())
            };
            self.record(name, action, status, detail, Some(output), clock);
            return Ok(());
        }
        if let Some(verify) = &step.verify {
            return self.verify(name, &verify.probes, clock).await;
        }
        if step.record.is_some() {
            if check {
                self.record(
                    name,
                    action,
                    StepStatus::Skipped,
                    String::from("nothing recorded in check mode"),
                    None,
                    clock,
                );
                return Ok(());
            }
            let detail = match self.write_record() {
                Ok(path) => format!("recorded in {}", path.display()),
                Err(error) => {
                    let reason = format!("cannot record the change: {error}");
                    return Err(self.step_failed(name, action, reason, clock).await);
                }
            };
            self.record(name, action, StepStatus::Ok, detail, None, clock);
            return Ok(());
        }
        let reason = format!("step `{name}` has no action");
        self.record(
            name,
            action,
            StepStatus::Failed,
            reason.clone(),
            None,
            clock,
        );
        Err(self.fail(reason).await)
    }

    /// The driver, connecting on first use. A failure before any change is "unreachable".
    async fn connect(&mut self) -> Result<&mut Box<dyn Driver>, Stop> {
        if self.driver.is_none() {
            let driver = open(self.target, &self.transcript, self.shared.options.timeouts)
                .await
                .map_err(|error| Stop {
                    status: if self.changed {
                        Status::Failed
                    } else {
                        Status::Unreachable
                    },
                    reason: error.to_string(),
                })?;
            self.driver = Some(driver);
        }
        self.driver.as_mut().ok_or_else(|| Stop {
            status: Status::Failed,
            reason: String::from("internal error: no connection"),
        })
    }

    /// Read the running configuration and (outside check mode) commit it to the backups.
    async fn take_backup(&mut self, message: &str) -> Result<String, Stop> {
        let clock = Instant::now();
        let driver = self.connect().await?;
        let running = match driver.running_config().await {
            Ok(running) => running,
            Err(error) => {
                let reason = format!("cannot read the running configuration: {error}");
                self.record(
                    "backup",
                    "backup",
                    StepStatus::Failed,
                    reason.clone(),
                    None,
                    clock,
                );
                return Err(self.after_failure(reason, &error).await);
            }
        };
        if self.backup.is_none() {
            self.backup = Some(running.clone());
        }
        self.running = Some(running.clone());
        let lines = running.lines().count();
        let Some(backups) = &self.shared.backups else {
            return Ok(format!("read {lines} lines (check mode: not stored)"));
        };
        let store = match backups.store().await {
            Ok(store) => store,
            Err(reason) => return Err(self.fail(reason).await),
        };
        // The store puts the asset's name in front of the commit message itself.
        let message = format!("{message} (run {})", self.shared.run);
        // The store runs git: a blocking call, kept off the runtime's workers.
        let (asset, text) = (self.asset().to_string(), running.clone());
        let saved = tokio::task::spawn_blocking(move || store.save(&asset, &text, &message))
            .await
            .unwrap_or(Err(crate::backup::BackupError::WriterFailed));
        match saved {
            Ok(revision) => {
                self.report.backup_revision = Some(revision.id.clone());
                Ok(if revision.changed {
                    format!("{lines} lines saved as revision {}", revision.short)
                } else {
                    format!("{lines} lines, unchanged since revision {}", revision.short)
                })
            }
            Err(error) => {
                let reason = format!("cannot store the backup: {error}");
                Err(self.fail(reason).await)
            }
        }
    }

    async fn push(
        &mut self,
        name: &str,
        mode: PushMode,
        save: bool,
        clock: Instant,
    ) -> Result<(), Stop> {
        let Some(intended) = self.target.intended.clone() else {
            let reason = format!("`{}` has no template: nothing to push", self.asset());
            return Err(self.step_failed(name, "push", reason, clock).await);
        };
        if self.backup.is_none() || self.running.is_none() {
            self.take_backup(&format!("before {name}")).await?;
        }
        let running = self.running.clone().unwrap_or_default();
        let mode = match mode {
            PushMode::Merge => Mode::Merge,
            PushMode::Replace => Mode::Replace,
        };
        let driver = self.connect().await?;
        let plan = match driver.plan(&intended, &running, mode) {
            Ok(plan) => plan,
            Err(error) => {
                let reason = format!("cannot plan the change: {error}");
                return Err(self.step_failed(name, "push", reason, clock).await);
            }
        };
        if plan.is_empty() {
            self.record(
                name,
                "push",
                StepStatus::Ok,
                String::from("no change"),
                None,
                clock,
            );
            return Ok(());
        }
        let diff = self.redact(&plan.diff);
        self.report.diff = Some(diff.clone());
        self.report.commands = plan.commands.iter().map(|c| self.redact(c)).collect();
        for file in &plan.files {
            self.report
                .commands
                .push(format!("install {} ({:o})", file.path, file.mode));
        }
        for path in &plan.removals {
            self.report.commands.push(format!("remove {path}"));
        }
        self.report.commands.extend(plan.reloads.iter().cloned());
        (self.shared.events)(Event::Diff {
            asset: self.asset().to_string(),
            diff,
        });
        let size = if plan.commands.is_empty() {
            format!("{} file(s)", plan.files.len() + plan.removals.len())
        } else {
            format!("{} command(s)", plan.commands.len())
        };
        if self.shared.options.check {
            self.record(
                name,
                "push",
                StepStatus::Changed,
                format!("would send {size} (check mode)"),
                None,
                clock,
            );
            return Ok(());
        }
        self.changed = true;
        self.save |= save;
        let applied = match self.driver.as_mut() {
            Some(driver) => driver.apply(&plan).await,
            None => Ok(()),
        };
        match applied {
            Ok(()) => {
                self.running = None;
                self.record(
                    name,
                    "push",
                    StepStatus::Changed,
                    format!("sent {size}"),
                    None,
                    clock,
                );
                Ok(())
            }
            Err(error) => {
                let reason = format!("push failed: {error}");
                self.record(
                    name,
                    "push",
                    StepStatus::Failed,
                    reason.clone(),
                    None,
                    clock,
                );
                Err(self.after_failure(reason, &error).await)
            }
        }
    }

    /// Reachability and configuration check: a fresh connection (the management access still
    /// works after the change) and, after a push, the running configuration equal to the
    /// intent. Until the probes of the verification work land, this is the verify step.
    async fn verify(&mut self, name: &str, probes: &[String], clock: Instant) -> Result<(), Stop> {
        let fresh = open(self.target, &self.transcript, self.shared.options.timeouts).await;
        let mut fresh = match fresh {
            Ok(driver) => driver,
            Err(error) => {
                let reason = format!("verification failed: the device no longer answers: {error}");
                self.record(
                    name,
                    "verify",
                    StepStatus::Failed,
                    reason.clone(),
                    None,
                    clock,
                );
                return Err(if self.changed {
                    self.undo(reason).await
                } else {
                    Stop {
                        status: Status::Unreachable,
                        reason,
                    }
                });
            }
        };
        let mut detail = String::from("answers on a new SSH session");
        let mut sync = None;
        if let Some(intended) = self.target.intended.clone() {
            let drift = match fresh.running_config().await {
                Ok(running) => fresh
                    .plan(&intended, &running, Mode::Merge)
                    .map(|plan| plan.commands.len() + plan.files.len())
                    .map_err(|e| e.to_string()),
                Err(error) => Err(error.to_string()),
            };
            match drift {
                Ok(0) => {
                    sync = Some(ConfigSync::InSync);
                    detail.push_str("; running configuration matches the intent");
                }
                // Before any change (a read-only run, or check mode) drift is a finding,
                // not a failure: the push is what fixes it.
                Ok(left) if !self.changed => {
                    sync = Some(ConfigSync::Drifted { differences: left });
                    detail.push_str(&format!("; configuration drifted ({left} difference(s))"));
                }
                Ok(left) => {
                    fresh.close().await;
                    let reason = format!(
                        "verification failed: the change did not take ({left} difference(s) left)"
                    );
                    self.record(
                        name,
                        "verify",
                        StepStatus::Failed,
                        reason.clone(),
                        None,
                        clock,
                    );
                    return Err(self.undo(reason).await);
                }
                Err(error) if !self.changed => {
                    sync = Some(ConfigSync::Unknown {
                        reason: error.clone(),
                    });
                }
                Err(error) => {
                    fresh.close().await;
                    let reason = format!("verification failed: {error}");
                    self.record(
                        name,
                        "verify",
                        StepStatus::Failed,
                        reason.clone(),
                        None,
                        clock,
                    );
                    return Err(self.undo(reason).await);
                }
            }
        }
        fresh.close().await;
        if let Some(verifier) = self.shared.options.verifier.clone() {
            match (verifier.0)(self.asset().to_string(), probes.to_vec()).await {
                Ok(mut state) => {
                    if let Some(sync) = sync {
                        state.config = sync;
                    }
                    let failures: Vec<String> = state
                        .failures()
                        .filter(|c| c.name != "config")
                        .map(|c| c.reason.clone())
                        .collect();
                    let passed = state.reachability.reachable != Some(false) && failures.is_empty();
                    let summary = match state.reachability.rtt_ms {
                        Some(rtt) => format!(
                            "; probes: reachable via {} in {rtt:.2} ms",
                            state.reachability.via.as_deref().unwrap_or("?")
                        ),
                        None => String::from("; probes ran"),
                    };
                    self.verified = Some(state);
                    if !passed {
                        let reason = format!(
                            "verification failed: {}",
                            if failures.is_empty() {
                                String::from("the device answers no probe")
                            } else {
                                failures.join("; ")
                            }
                        );
                        return Err(self.step_failed(name, "verify", reason, clock).await);
                    }
                    detail.push_str(&summary);
                }
                Err(error) => {
                    let reason = format!("verification failed: the probes could not run: {error}");
                    return Err(self.step_failed(name, "verify", reason, clock).await);
                }
            }
        }
        self.record(name, "verify", StepStatus::Ok, detail, None, clock);
        Ok(())
    }

    /// The last change of the asset, written to its verified state (`state/assets/`,
    /// section `last_change`): when, by which run and playbook, the change ticket, whether
    /// the device changed, and the backup revision taken before.
    fn write_record(&self) -> Result<PathBuf, crate::state::StateError> {
        let store = crate::state::StateStore::open(&self.shared.inventory_root);
        let changed = self
            .report
            .steps
            .iter()
            .any(|s| s.status == StepStatus::Changed);
        let record = serde_json::json!({
            "run": self.shared.run,
            "playbook": self.shared.playbook.name,
            "change": self.shared.playbook.change.as_ref().and_then(|c| c.id.clone()),
            "at": crate::inventory::date::Date::timestamp(SystemTime::now()),
            "changed": changed,
            "backup_revision": self.report.backup_revision,
        });
        let mut updates = vec![(
            self.asset().to_string(),
            String::from("last_change"),
            record,
        )];
        if let Some(state) = &self.verified
            && let Ok(value) = serde_json::to_value(state)
        {
            updates.push((
                self.asset().to_string(),
                String::from(crate::verify::STATE_SECTION),
                value,
            ));
        }
        store.update_many(&updates)?;
        store.path(self.asset())
    }

    /// A step failed: record it, then [`Worker::fail`].
    async fn step_failed(
        &mut self,
        name: &str,
        action: &'static str,
        reason: String,
        clock: Instant,
    ) -> Stop {
        self.record(
            name,
            action,
            StepStatus::Failed,
            reason.clone(),
            None,
            clock,
        );
        self.fail(reason).await
    }

    /// A failure: undo the change if one is in place, else report it as failed.
    async fn fail(&mut self, reason: String) -> Stop {
        if self.changed && !self.shared.options.check {
            self.undo(reason).await
        } else {
            Stop {
                status: Status::Failed,
                reason,
            }
        }
    }

    /// A driver error: the same, with "unreachable" when nothing changed and the connection
    /// could not be used.
    async fn after_failure(&mut self, reason: String, error: &DriverError) -> Stop {
        if error.connection_lost() {
            // The session is dead: a rollback needs a new one.
            if let Some(driver) = self.driver.take() {
                driver.close().await;
            }
        }
        if !self.changed && matches!(error, DriverError::Transport(_)) {
            return Stop {
                status: Status::Unreachable,
                reason,
            };
        }
        self.fail(reason).await
    }

    /// Put the backup back: on the open session, or on a new one when that one is gone.
    /// "Rolled back" when the device confirms; "failed, state unknown" when it cannot be
    /// reached to undo the change.
    async fn undo(&mut self, reason: String) -> Stop {
        let clock = Instant::now();
        let Some(backup) = self.backup.clone() else {
            return Stop {
                status: Status::Failed,
                reason: format!("{reason}; no backup to roll back to: state unknown"),
            };
        };
        let mut last_error = None;
        for attempt in 0..2 {
            if self.driver.is_none() || attempt > 0 {
                if let Some(old) = self.driver.take() {
                    old.close().await;
                }
                match open(self.target, &self.transcript, self.shared.options.timeouts).await {
                    Ok(driver) => self.driver = Some(driver),
                    Err(error) => {
                        last_error = Some(error.to_string());
                        continue;
                    }
                }
            }
            let Some(driver) = self.driver.as_mut() else {
                continue;
            };
            match driver.restore(&backup).await {
                Ok(()) => {
                    self.changed = false;
                    self.record(
                        "rollback",
                        "push",
                        StepStatus::Ok,
                        String::from("backup restored"),
                        None,
                        clock,
                    );
                    return Stop {
                        status: Status::RolledBack,
                        reason,
                    };
                }
                Err(error) => last_error = Some(error.to_string()),
            }
        }
        let error = last_error.unwrap_or_else(|| String::from("no connection"));
        self.record(
            "rollback",
            "push",
            StepStatus::Failed,
            error.clone(),
            None,
            clock,
        );
        Stop {
            status: Status::Failed,
            reason: format!("{reason}; rollback failed: {error}; state unknown: check the device"),
        }
    }
}

/// Open a driver for a target, recording the session in `transcript`.
async fn open(
    target: &Target,
    transcript: &Transcript,
    timeouts: Timeouts,
) -> Result<Box<dyn Driver>, DriverError> {
    let endpoint = &target.endpoint;
    let Some(address) = endpoint.address else {
        return Err(DriverError::Failed {
            asset: endpoint.asset.clone(),
            message: String::from("no address to contact (the asset has no `address`)"),
        });
    };
    let options = DriverOptions {
        timeouts,
        enable: endpoint.enable.clone(),
        transcript: Some(transcript.clone()),
        secrets: endpoint.secrets.clone(),
        intended: target.intended.clone(),
    };
    driver::connect(
        &endpoint.platform,
        &endpoint.asset,
        address,
        &endpoint.ssh,
        options,
    )
    .await
}
