//! `netparc check`: validate an inventory, its templates and playbooks, and audit it.

use super::{Format, InventoryArgs, print_diagnostics};
use anyhow::Result;
use std::io::Write;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    inventory: InventoryArgs,
    /// Output format: text for people, json for CI pipelines.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let limit = match args
        .inventory
        .limit
        .as_deref()
        .map(crate::inventory::Selector::parse)
    {
        Some(Err(error)) => anyhow::bail!("--limit: {error}"),
        Some(Ok(selector)) => selector,
        None => crate::inventory::Selector::all(),
    };
    let (report, inventory) = crate::check::check_keeping(&args.inventory.inventory, &limit);
    match args.format {
        Format::Json => {
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        Format::Text => {
            print_diagnostics(&report.diagnostics)?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", report.summary())?;
        }
    }
    let code = if report.diagnostics.has_errors() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    };
    // The process ends now: freeing a large inventory piece by piece would only add time.
    std::mem::forget(report);
    std::mem::forget(inventory);
    Ok(code)
}
