//! `netparc docs [--out DIR]`: the network documentation generated from the inventory and
//! its verified state; Markdown on stdout, or `network.md` and a self-contained
//! `network.html` written (atomically) into a folder.

use super::{InventoryArgs, print_diagnostics};
use crate::inventory::date::Date;
use crate::inventory::{Inventory, Selector};
use anyhow::{Context, Result};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    inventory: InventoryArgs,
    /// Write network.md and network.html into this folder instead of printing Markdown.
    #[arg(short, long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let outcome = Inventory::load(&args.inventory.inventory);
    let Some(inventory) = outcome.inventory else {
        print_diagnostics(&outcome.diagnostics)?;
        return Ok(ExitCode::FAILURE);
    };
    let selector = match &args.inventory.limit {
        Some(text) => Selector::parse(text).map_err(|e| anyhow::anyhow!("--limit: {e}"))?,
        None => Selector::all(),
    };
    let document = crate::docs::document(&inventory, &selector, Date::today());
    let Some(dir) = args.out else {
        std::io::stdout().write_all(crate::docs::markdown(&document).as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, text) in [
        ("network.md", crate::docs::markdown(&document)),
        ("network.html", crate::docs::html(&document)),
    ] {
        let path = dir.join(name);
        crate::fsutil::write_file(&path, text.as_bytes(), 0o644)
            .with_context(|| format!("cannot write {}", path.display()))?;
        writeln!(std::io::stdout(), "wrote {}", path.display())?;
    }
    Ok(ExitCode::SUCCESS)
}
