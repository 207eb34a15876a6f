//! `netparc exec`: run one command on the selected devices over SSH (exec channel), in
//! parallel, and show each output, like `ansible -m raw`. With `--lab` the command runs
//! against the twin of each device, started in-process, and nothing but loopback is
//! contacted.

use super::{Format, InventoryArgs, print_diagnostics};
use crate::access::{Access, AccessOptions};
use crate::check::open_resolver;
use crate::diag::Diagnostics;
use crate::inventory::{Asset, Inventory, Located, Selector};
use crate::transport::ssh::SshSession;
use anyhow::Result;
use serde::Serialize;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    inventory: InventoryArgs,
    /// Run against the twin lab (started in-process) instead of the real devices.
    #[arg(long)]
    lab: bool,
    /// Record unknown host keys in known_hosts on first contact (a changed key is always
    /// refused).
    #[arg(long)]
    accept_new: bool,
    /// Devices contacted at once.
    #[arg(long, default_value_t = 10)]
    forks: usize,
    /// Time allowed per device for the command (seconds).
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// The command line to run on each device.
    command: String,
}

/// One device's outcome.
#[derive(Debug, Serialize)]
struct Outcome {
    asset: String,
    ok: bool,
    status: Option<u32>,
    stdout: String,
    stderr: String,
    error: Option<String>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let runtime = super::runtime()?;
    runtime.block_on(run_async(args))
}

async fn run_async(args: Args) -> Result<ExitCode> {
    let outcome = Inventory::load(&args.inventory.inventory);
    let Some(inventory) = outcome.inventory else {
        print_diagnostics(&outcome.diagnostics)?;
        return Ok(ExitCode::FAILURE);
    };
    let selector = match &args.inventory.limit {
        Some(text) => Selector::parse(text).map_err(|e| anyhow::anyhow!("--limit: {e}"))?,
        None => Selector::all(),
    };
    let targets: Vec<&Located<Asset>> = inventory
        .assets
        .iter()
        .filter(|a| selector.matches(&a.value) && a.value.platform.is_some())
        .collect();
    if targets.is_empty() {
        anyhow::bail!(
            "--limit `{selector}` selects no device netparc can log into (none with a platform)"
        );
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
    let mut problems = Diagnostics::new();
    let mut endpoints = Vec::new();
    for asset in &targets {
        match access.endpoint(&inventory, asset, &resolver) {
            Ok(endpoint) => endpoints.push(endpoint),
            Err(diagnostic) => problems.push(diagnostic),
        }
    }
    if !problems.is_empty() {
        access.close().await;
        problems.merge_repeats();
        print_diagnostics(&problems)?;
        return Ok(ExitCode::FAILURE);
    }
    let semaphore = Arc::new(tokio::sync::Semaphore::new(args.forks.max(1)));
    let mut tasks = Vec::new();
    for endpoint in endpoints {
        let command = args.command.clone();
        let semaphore = semaphore.clone();
        let timeout = Duration::from_secs(args.timeout);
        tasks.push(tokio::spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            let name = endpoint.asset.clone();
            let mut outcome = Outcome {
                asset: name.clone(),
                ok: false,
                status: None,
                stdout: String::new(),
                stderr: String::new(),
                error: None,
            };
            let Some(address) = endpoint.address else {
                outcome.error = Some(String::from(
                    "no address to contact (the asset has no `address`)",
                ));
                return outcome;
            };
            match SshSession::connect(&name, address, &endpoint.ssh).await {
                Err(error) => outcome.error = Some(error.to_string()),
                Ok(session) => {
                    match session.exec(&command, timeout).await {
                        Ok(result) => {
                            outcome.status = result.status;
                            outcome.ok = result.status == Some(0);
                            outcome.stdout = String::from_utf8_lossy(&result.stdout).into_owned();
                            outcome.stderr = String::from_utf8_lossy(&result.stderr).into_owned();
                        }
                        Err(error) => outcome.error = Some(error.to_string()),
                    }
                    session.close().await;
                }
            }
            outcome
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        if let Ok(outcome) = task.await {
            outcomes.push(outcome);
        }
    }
    access.close().await;
    let failed = outcomes.iter().filter(|o| !o.ok).count();
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &outcomes)?;
            writeln!(out)?;
        }
        Format::Text => {
            for outcome in &outcomes {
                let verdict = match (&outcome.error, outcome.status) {
                    (Some(_), _) => String::from("unreachable"),
                    (None, Some(0)) => String::from("ok"),
                    (None, Some(status)) => format!("failed, exit {status}"),
                    (None, None) => String::from("failed, no exit status"),
                };
                writeln!(out, "=== {} ({verdict})", outcome.asset)?;
                if let Some(error) = &outcome.error {
                    writeln!(out, "{error}")?;
                }
                out.write_all(outcome.stdout.as_bytes())?;
                if !outcome.stderr.is_empty() {
                    writeln!(out, "--- stderr")?;
                    out.write_all(outcome.stderr.as_bytes())?;
                }
            }
            writeln!(
                out,
                "\n{} ok, {failed} failed or unreachable",
                outcomes.len() - failed
            )?;
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
