//! `netparc run PLAYBOOK`: load and validate the playbook against the inventory, prepare the
//! targets (render, logins, `when`), run the engine with live progress (bars per batch on a
//! terminal, plain lines otherwise), print the recap per asset, save the JSON report under
//! the inventory. Ctrl-C interrupts: devices in flight finish or roll back, and the report is
//! still written. Exit code 0 when every asset is ok or changed.

use super::{Format, InventoryArgs, print_diagnostics};
use crate::access::{Access, AccessOptions};
use crate::check::open_resolver;
use crate::driver::Timeouts;
use crate::inventory::Inventory;
use crate::playbook::engine::{Event, EventSink, RunOptions};
use crate::playbook::launch;
use crate::playbook::report::{RunReport, Status, StepStatus};
use anyhow::Result;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    inventory: InventoryArgs,
    /// Change nothing: read each device, show what would change, and exit.
    #[arg(long)]
    check: bool,
    /// Show the differences (running → intended) of every device that changes.
    #[arg(long)]
    diff: bool,
    /// Devices handled at once (overrides the playbook's rollout.forks).
    #[arg(long)]
    forks: Option<usize>,
    /// Run against the twin lab (started in-process) instead of the real devices.
    #[arg(long)]
    lab: bool,
    /// With --lab: switch a fault on before the run, as ASSET:FAULT (repeatable), e.g.
    /// `--fault sw-hq-02:slow-cli=2000`.
    #[arg(long = "fault", value_name = "ASSET:FAULT", requires = "lab")]
    faults: Vec<String>,
    /// Record unknown host keys in known_hosts on first contact (a changed key is always
    /// refused).
    #[arg(long)]
    accept_new: bool,
    /// Time allowed per configuration line or command (seconds); raise it for slow devices.
    #[arg(long, default_value_t = 10)]
    line_timeout: u64,
    /// Output format of the recap (json: the run report on stdout).
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// A variable of an onboarding or offboarding playbook (`--var mac=aa:bb:cc:dd:ee:ff`);
    /// repeatable.
    #[arg(long = "var", value_name = "KEY=VALUE")]
    vars: Vec<String>,
    /// The playbook file.
    playbook: PathBuf,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let runtime = super::runtime()?;
    runtime.block_on(run_async(args))
}

async fn run_async(args: Args) -> Result<ExitCode> {
    // Onboarding and offboarding playbooks run the built-in procedure.
    if let Ok((playbook, _, _)) = crate::playbook::load_playbook(&args.playbook)
        && (playbook.onboard.is_some() || playbook.offboard.is_some())
    {
        let procedure = super::onboard::FromPlaybook {
            inventory: args.inventory.inventory.clone(),
            check: args.check,
            diff: args.diff,
            lab: args.lab,
            faults: args.faults.clone(),
            accept_new: args.accept_new,
            format: args.format,
            vars: args.vars.clone(),
        };
        return procedure.run(&playbook).await;
    }
    if !args.vars.is_empty() {
        anyhow::bail!("--var is for onboarding and offboarding playbooks only");
    }
    let outcome = Inventory::load(&args.inventory.inventory);
    let Some(inventory) = outcome.inventory else {
        print_diagnostics(&outcome.diagnostics)?;
        return Ok(ExitCode::FAILURE);
    };
    let selector =
        match launch::targets_selector(&inventory, &args.playbook, args.inventory.limit.as_deref())
        {
            Ok(selector) => selector,
            Err(found) => {
                print_diagnostics(&found)?;
                return Ok(ExitCode::FAILURE);
            }
        };
    let resolver = open_resolver(&inventory);
    let access_options = AccessOptions {
        lab: args.lab,
        faults: args.faults.clone(),
        accept_new: args.accept_new || args.lab,
    };
    let access = match Access::open(&inventory, &resolver, &selector, &access_options).await {
        Ok(access) => {
            // Twins that could not use what they saved start from factory: say so.
            print_diagnostics(&access.lab_warnings())?;
            access
        }
        Err(found) => {
            print_diagnostics(&found)?;
            return Ok(ExitCode::FAILURE);
        }
    };
    let (cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
    let interrupt = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = writeln!(
                std::io::stderr(),
                "\ninterrupted: no new device starts; devices in flight finish or roll back"
            );
            let _ = cancel_tx.send(true);
        }
    });
    let progress = Progress::new(args.diff, args.format == Format::Json);
    let sink: EventSink = {
        let progress = progress.clone();
        Arc::new(move |event| progress.show(event))
    };
    let options = RunOptions {
        check: args.check,
        forks: args.forks,
        timeouts: Timeouts {
            command: Duration::from_secs(args.line_timeout.max(1)),
            ..Timeouts::default()
        },
        limit: args.inventory.limit.clone(),
        lab: args.lab,
        verifier: None,
    };
    let report = launch::launch(
        &inventory,
        &resolver,
        &args.playbook,
        &access,
        options,
        sink,
        cancel_rx,
    )
    .await;
    interrupt.abort();
    access.close().await;
    progress.finish();
    let report = match report {
        Ok(report) => report,
        Err(found) => {
            print_diagnostics(&found)?;
            return Ok(ExitCode::FAILURE);
        }
    };
    let saved = report.save(&inventory.root);
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        Format::Text => print_recap(&mut out, &report)?,
    }
    match saved {
        Ok(path) => writeln!(std::io::stderr(), "report: {}", path.display())?,
        Err(error) => writeln!(
            std::io::stderr(),
            "netparc: cannot save the run report: {error}"
        )?,
    }
    Ok(if report.succeeded() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub(super) fn print_recap(out: &mut impl Write, report: &RunReport) -> std::io::Result<()> {
    let mode = if report.check {
        " (check mode: nothing changed)"
    } else {
        ""
    };
    writeln!(out, "\nRECAP {}{mode}", report.playbook)?;
    let width = report
        .assets
        .iter()
        .map(|a| a.asset.len())
        .max()
        .unwrap_or(5)
        .max(5);
    for asset in &report.assets {
        let reason = asset
            .reason
            .as_deref()
            .map(|r| format!("  {r}"))
            .unwrap_or_default();
        writeln!(
            out,
            "  {:<width$}  {:<11}{reason}",
            asset.asset,
            asset.status.as_str()
        )?;
    }
    let s = &report.summary;
    writeln!(
        out,
        "{} ok, {} changed, {} failed, {} unreachable, {} rolled back, {} skipped in {:.1} s",
        s.ok,
        s.changed,
        s.failed,
        s.unreachable,
        s.rolled_back,
        s.skipped,
        report.duration_ms as f64 / 1000.0
    )?;
    if let Some(stopped) = &report.stopped {
        writeln!(out, "{stopped}")?;
    }
    Ok(())
}

/// Live progress: bars per batch on a terminal, plain lines otherwise (logs, CI, pipes).
#[derive(Clone)]
pub(super) struct Progress {
    inner: Arc<Mutex<ProgressState>>,
}

struct ProgressState {
    bars: Option<MultiProgress>,
    batch: Option<ProgressBar>,
    show_diff: bool,
    quiet: bool,
}

impl Progress {
    pub(super) fn new(show_diff: bool, quiet: bool) -> Progress {
        let bars = (!quiet && std::io::stderr().is_terminal()).then(MultiProgress::new);
        Progress {
            inner: Arc::new(Mutex::new(ProgressState {
                bars,
                batch: None,
                show_diff,
                quiet,
            })),
        }
    }

    fn line(state: &ProgressState, text: &str) {
        if state.quiet {
            return;
        }
        match &state.bars {
            Some(bars) => {
                let _ = bars.println(text);
            }
            None => {
                let _ = writeln!(std::io::stderr(), "{text}");
            }
        }
    }

    pub(super) fn show(&self, event: Event) {
        let Ok(mut state) = self.inner.lock() else {
            return;
        };
        match event {
            Event::Batch { index, of, assets } => {
                Self::line(
                    &state,
                    &format!("batch {index}/{of}: {}", assets.join(", ")),
                );
                if let Some(bars) = &state.bars {
                    let bar = bars.add(ProgressBar::new(assets.len() as u64));
                    if let Ok(style) =
                        ProgressStyle::with_template("batch {prefix} [{bar:30}] {pos}/{len} {msg}")
                    {
                        bar.set_style(style.progress_chars("=> "));
                    }
                    bar.set_prefix(format!("{index}/{of}"));
                    if let Some(old) = state.batch.replace(bar) {
                        old.finish();
                    }
                }
            }
            Event::Step {
                asset,
                step,
                status,
                detail,
            } => {
                let word = match status {
                    StepStatus::Ok => "ok",
                    StepStatus::Changed => "changed",
                    StepStatus::Failed => "FAILED",
                    StepStatus::Skipped => "skipped",
                };
                match &state.batch {
                    Some(bar) => bar.set_message(format!("{asset}: {step}")),
                    None => Self::line(&state, &format!("  {asset}: {step}: {word} ({detail})")),
                }
                if status == StepStatus::Failed && state.batch.is_some() {
                    Self::line(&state, &format!("  {asset}: {step}: FAILED ({detail})"));
                }
            }
            Event::Diff { asset, diff } => {
                if state.show_diff {
                    Self::line(&state, &format!("--- {asset}: differences\n{diff}"));
                }
            }
            Event::Done {
                asset,
                status,
                reason,
            } => {
                if let Some(bar) = &state.batch {
                    bar.inc(1);
                }
                let reason = reason.map(|r| format!(" ({r})")).unwrap_or_default();
                if status != Status::Ok || state.batch.is_none() {
                    Self::line(&state, &format!("{asset}: {}{reason}", status.as_str()));
                }
            }
            Event::Pause(duration) => {
                Self::line(
                    &state,
                    &format!(
                        "pausing {} s before the next batch (Ctrl-C stops)",
                        duration.as_secs()
                    ),
                );
            }
            Event::Stopped(reason) => Self::line(&state, &reason),
        }
    }

    pub(super) fn finish(&self) {
        if let Ok(mut state) = self.inner.lock()
            && let Some(bar) = state.batch.take()
        {
            bar.finish();
        }
    }
}
