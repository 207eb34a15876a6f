//! `netparc render`: each selected asset's intended configuration, to stdout or to files.

use super::{InventoryArgs, print_diagnostics};
use crate::check::{load_templates, open_resolver};
use crate::intent::render_selected;
use crate::inventory::{Inventory, Selector};
use anyhow::{Context, Result};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    inventory: InventoryArgs,
    /// Write one file per asset (`<asset>.cfg`, mode 0600: configurations hold secrets)
    /// into this folder instead of printing.
    #[arg(short, long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let limit = match args.inventory.limit.as_deref() {
        Some(text) => Selector::parse(text).map_err(|e| anyhow::anyhow!("--limit: {e}"))?,
        None => Selector::all(),
    };
    let outcome = Inventory::load(&args.inventory.inventory);
    let Some(inventory) = outcome.inventory else {
        print_diagnostics(&outcome.diagnostics)?;
        return Ok(ExitCode::FAILURE);
    };
    let mut diagnostics = outcome.diagnostics;
    diagnostics.extend(crate::inventory::validate::validate(&inventory));
    if diagnostics.has_errors() {
        diagnostics.sort();
        print_diagnostics(&diagnostics)?;
        return Ok(ExitCode::FAILURE);
    }
    if !limit.is_all() && !inventory.assets.iter().any(|a| limit.matches(&a.value)) {
        anyhow::bail!("--limit `{limit}` matches no asset");
    }
    let templates = match load_templates(&inventory) {
        Ok(templates) => templates,
        Err(found) => {
            print_diagnostics(&found)?;
            return Ok(ExitCode::FAILURE);
        }
    };
    let resolver = open_resolver(&inventory);
    let (intents, mut found) = render_selected(&inventory, &templates, &resolver, &limit);
    if found.has_errors() {
        // All or nothing: a half-rendered set of configurations is worse than none.
        found.merge_repeats();
        found.sort();
        print_diagnostics(&found)?;
        return Ok(ExitCode::FAILURE);
    }
    match &args.out {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            for intent in &intents {
                let path = dir.join(format!("{}.cfg", intent.asset));
                crate::fsutil::write_file(&path, intent.text.as_bytes(), 0o600)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            writeln!(
                std::io::stderr(),
                "rendered {} configurations into {}",
                intents.len(),
                dir.display()
            )?;
        }
        None => {
            let mut out = std::io::stdout().lock();
            for intent in &intents {
                writeln!(out, "! ==== {} ({}) ====", intent.asset, intent.template)?;
                out.write_all(intent.text.as_bytes())?;
                if !intent.text.ends_with('\n') {
                    writeln!(out)?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
