//! `netparc backup` (save the running configuration of the selected devices in the backup
//! repository, as a one-step playbook run: same forks, recap and report) and
//! `netparc restore <asset> [<revision>]` (put a backed-up configuration back on a device:
//! its current configuration is backed up first, so a restore can itself be undone).

use super::{InventoryArgs, print_diagnostics};
use crate::access::{Access, AccessOptions};
use crate::backup::BackupStore;
use crate::check::open_resolver;
use crate::inventory::{Inventory, Selector};
use crate::playbook::engine::{self, Event, EventSink, RunOptions};
use crate::playbook::model::{BackupStep, Playbook, Rollout, Step};
use crate::playbook::prepare;
use crate::restore::Outcome;
use anyhow::Result;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    #[command(flatten)]
    inventory: InventoryArgs,
    /// Against the twin lab (started in-process).
    #[arg(long)]
    lab: bool,
    /// Record unknown host keys on first contact.
    #[arg(long)]
    accept_new: bool,
    /// Devices at once.
    #[arg(long, default_value_t = 10)]
    forks: usize,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The inventory folder (the one holding netparc.yml).
    #[arg(short, long, env = "NETPARC_INVENTORY", default_value = ".")]
    inventory: std::path::PathBuf,
    /// Against the twin lab (started in-process).
    #[arg(long)]
    lab: bool,
    /// Record unknown host keys on first contact.
    #[arg(long)]
    accept_new: bool,
    /// Show what would change and change nothing.
    #[arg(long)]
    check: bool,
    /// The device.
    asset: String,
    /// The revision to restore (a hash or its prefix; default: the latest).
    revision: Option<String>,
}

pub fn backup(args: BackupArgs) -> Result<ExitCode> {
    super::runtime()?.block_on(backup_async(args))
}

pub fn restore(args: RestoreArgs) -> Result<ExitCode> {
    super::runtime()?.block_on(restore_async(args))
}

async fn backup_async(args: BackupArgs) -> Result<ExitCode> {
    let outcome = Inventory::load(&args.inventory.inventory);
    let Some(inventory) = outcome.inventory else {
        print_diagnostics(&outcome.diagnostics)?;
        return Ok(ExitCode::FAILURE);
    };
    let playbook = Playbook {
        name: String::from("Back up running configurations"),
        description: None,
        targets: String::from("*"),
        change: None,
        rollout: Rollout {
            forks: Some(args.forks.max(1) as u32),
            ..Rollout::default()
        },
        steps: vec![Step {
            backup: Some(BackupStep {
                message: Some(String::from("on demand")),
            }),
            ..Step::default()
        }],
        onboard: None,
        offboard: None,
    };
    let limit = match &args.inventory.limit {
        Some(text) => Some(Selector::parse(text).map_err(|e| anyhow::anyhow!("--limit: {e}"))?),
        None => None,
    };
    let (selector, assets) = match prepare::select(&inventory, &playbook, limit.as_ref()) {
        Ok(selected) => selected,
        Err(diagnostic) => {
            print_diagnostics(&diagnostic.into())?;
            return Ok(ExitCode::FAILURE);
        }
    };
    // Only what netparc can log into has a configuration to back up.
    let assets: Vec<_> = assets
        .into_iter()
        .filter(|a| a.value.platform.is_some())
        .collect();
    if assets.is_empty() {
        anyhow::bail!("the selection holds no device netparc can log into (none with a platform)");
    }
    let resolver = open_resolver(&inventory);
    let access_options = AccessOptions {
        lab: args.lab,
        faults: Vec::new(),
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
    // Templates tell file-based drivers which file they manage; without them, IOS still works.
    let templates = crate::check::load_templates(&inventory).ok();
    let targets = match prepare::targets(
        &inventory,
        &resolver,
        templates.as_ref(),
        &playbook,
        &selector,
        &assets,
        &access,
    ) {
        Ok(targets) => targets,
        Err(found) => {
            access.close().await;
            print_diagnostics(&found)?;
            return Ok(ExitCode::FAILURE);
        }
    };
    let store = match BackupStore::open(&inventory.root) {
        Ok(store) => store,
        Err(error) => {
            access.close().await;
            anyhow::bail!("cannot open the backup repository: {error}");
        }
    };
    let sink: EventSink = Arc::new(|event| {
        if let Event::Step {
            asset,
            status,
            detail,
            ..
        } = event
        {
            let word = match status {
                crate::playbook::report::StepStatus::Failed => "FAILED",
                _ => "ok",
            };
            let _ = writeln!(std::io::stdout(), "{asset}: {word} ({detail})");
        }
    });
    let (_cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
    let options = RunOptions {
        limit: args.inventory.limit.clone(),
        lab: args.lab,
        ..RunOptions::default()
    };
    let report = engine::run(
        &playbook,
        Path::new("backup"),
        &inventory.root,
        targets,
        options,
        Some(store.into()),
        sink,
        cancel_rx,
    )
    .await;
    access.close().await;
    for asset in report.assets.iter().filter(|a| a.status.is_failure()) {
        let reason = asset.reason.as_deref().unwrap_or("");
        writeln!(
            std::io::stdout(),
            "{}: {} {reason}",
            asset.asset,
            asset.status.as_str()
        )?;
    }
    let failed = report
        .assets
        .iter()
        .filter(|a| a.status.is_failure())
        .count();
    writeln!(
        std::io::stdout(),
        "{} backed up, {failed} failed; repository {}",
        report.assets.len() - failed,
        inventory.root.join("state").join("backups").display()
    )?;
    let _ = report.save(&inventory.root);
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn restore_async(args: RestoreArgs) -> Result<ExitCode> {
    let outcome = Inventory::load(&args.inventory);
    let Some(inventory) = outcome.inventory else {
        print_diagnostics(&outcome.diagnostics)?;
        return Ok(ExitCode::FAILURE);
    };
    if !inventory.assets.iter().any(|a| a.value.name == args.asset) {
        anyhow::bail!("no asset `{}` in the inventory", args.asset);
    }
    let store = BackupStore::open(&inventory.root)
        .map_err(|e| anyhow::anyhow!("cannot open the backup repository: {e}"))?;
    let resolver = open_resolver(&inventory);
    let selector = Selector::parse(&args.asset).map_err(|e| anyhow::anyhow!("{e}"))?;
    let access_options = AccessOptions {
        lab: args.lab,
        faults: Vec::new(),
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
    let result = crate::restore::restore(
        &access,
        &inventory,
        &resolver,
        &store,
        &args.asset,
        args.revision.as_deref(),
        args.check,
    )
    .await;
    access.close().await;
    let mut out = std::io::stdout().lock();
    match result {
        Ok(restore) => {
            if !restore.diff.is_empty() {
                writeln!(out, "{}", restore.diff)?;
            }
            let short = &restore.revision.short;
            let message = match restore.outcome {
                Outcome::AlreadyEqual => {
                    format!("already equal to revision {short}: nothing to do")
                }
                Outcome::WouldRestore => {
                    format!("would restore revision {short} (check mode: nothing changed)")
                }
                Outcome::Restored { replaced } => format!(
                    "revision {short} restored and saved (the configuration it replaced is revision {replaced})"
                ),
            };
            writeln!(out, "{}: {message}", args.asset)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(message) => {
            writeln!(std::io::stderr(), "netparc: {}: {message}", args.asset)?;
            Ok(ExitCode::FAILURE)
        }
    }
}
