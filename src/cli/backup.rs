//! `netparc backup` (save the running configuration of the selected devices in the backup
//! repository, as a one-step playbook run: same forks, recap and report) and
//! `netparc restore <asset> [<revision>]` (put a backed-up configuration back on a device:
//! its current configuration is backed up first, so a restore can itself be undone).

use super::{InventoryArgs, print_diagnostics};
use crate::access::{Access, AccessOptions};
use crate::backup::BackupStore;
use crate::check::open_resolver;
use crate::driver::{self, Mode, Timeouts};
use crate::inventory::{Inventory, Selector};
use crate::playbook::engine::{self, Event, EventSink, RunOptions};
use crate::playbook::model::{BackupStep, Playbook, Rollout, Step};
use crate::playbook::prepare;
use crate::secrets::Redactor;
use anyhow::{Context, Result};
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

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub fn backup(args: BackupArgs) -> Result<ExitCode> {
    runtime()?.block_on(backup_async(args))
}

pub fn restore(args: RestoreArgs) -> Result<ExitCode> {
    runtime()?.block_on(restore_async(args))
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
        Ok(access) => access,
        Err(found) => {
            print_diagnostics(&found)?;
            return Ok(ExitCode::FAILURE);
        }
    };
    let targets = match prepare::targets(
        &inventory, &resolver, None, &playbook, &selector, &assets, &access,
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
        Some(store),
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
    let Some(asset) = inventory.assets.iter().find(|a| a.value.name == args.asset) else {
        anyhow::bail!("no asset `{}` in the inventory", args.asset);
    };
    let store = BackupStore::open(&inventory.root)
        .map_err(|e| anyhow::anyhow!("cannot open the backup repository: {e}"))?;
    let (revision, wanted) = store
        .get(&args.asset, args.revision.as_deref())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let resolver = open_resolver(&inventory);
    let selector = Selector::parse(&args.asset).map_err(|e| anyhow::anyhow!("{e}"))?;
    let access_options = AccessOptions {
        lab: args.lab,
        faults: Vec::new(),
        accept_new: args.accept_new || args.lab,
    };
    let access = match Access::open(&inventory, &resolver, &selector, &access_options).await {
        Ok(access) => access,
        Err(found) => {
            print_diagnostics(&found)?;
            return Ok(ExitCode::FAILURE);
        }
    };
    let result = restore_on(
        &access,
        &inventory,
        asset,
        &resolver,
        &store,
        &revision.short,
        &wanted,
        args.check,
    )
    .await;
    access.close().await;
    let mut out = std::io::stdout().lock();
    match result {
        Ok(message) => {
            writeln!(out, "{}: {message}", args.asset)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(message) => {
            writeln!(std::io::stderr(), "netparc: {}: {message}", args.asset)?;
            Ok(ExitCode::FAILURE)
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn restore_on(
    access: &Access,
    inventory: &Inventory,
    asset: &crate::inventory::Located<crate::inventory::Asset>,
    resolver: &crate::secrets::SecretResolver,
    store: &BackupStore,
    short: &str,
    wanted: &str,
    check: bool,
) -> Result<String, String> {
    let endpoint = access
        .endpoint(inventory, asset, resolver)
        .map_err(|d| d.to_string())?;
    let redactor = Redactor::from_secrets(&endpoint.secrets);
    let address = endpoint
        .address
        .ok_or_else(|| String::from("no address to contact (the asset has no `address`)"))?;
    let options = driver::DriverOptions {
        timeouts: Timeouts::default(),
        enable: endpoint.enable.clone(),
        transcript: None,
        secrets: endpoint.secrets.clone(),
        // A file-based driver finds which file it manages in the backup's own header.
        intended: Some(wanted.to_string()),
    };
    let mut device = driver::connect(
        &endpoint.platform,
        &endpoint.asset,
        address,
        &endpoint.ssh,
        options,
    )
    .await
    .map_err(|e| e.to_string())?;
    let outcome = async {
        let running = device.running_config().await.map_err(|e| e.to_string())?;
        let plan = device
            .plan(wanted, &running, Mode::Replace)
            .map_err(|e| e.to_string())?;
        if plan.is_empty() {
            return Ok(format!("already equal to revision {short}: nothing to do"));
        }
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", redactor.apply(&plan.diff));
        if check {
            return Ok(format!(
                "would restore revision {short} (check mode: nothing changed)"
            ));
        }
        let before = store
            .save(
                &endpoint.asset,
                &running,
                &format!("{}: before restoring {short}", endpoint.asset),
            )
            .map_err(|e| format!("cannot back up the current configuration first: {e}"))?;
        device.restore(wanted).await.map_err(|e| e.to_string())?;
        Ok(format!(
            "revision {short} restored and saved (the configuration it replaced is revision {})",
            before.short
        ))
    }
    .await;
    device.close().await;
    outcome
}
