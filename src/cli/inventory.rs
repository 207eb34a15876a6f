//! `netparc inventory`: the assets merged with their verified state and lifecycle, as a
//! table for people, JSON for scripts, or CSV for a spreadsheet. Expiries within 90 days
//! (or past) are flagged with `!` in the table.

use super::{InventoryArgs, print_diagnostics};
use crate::fleet::{self, Row};
use crate::inventory::date::Date;
use crate::inventory::{Inventory, Selector};
use anyhow::Result;
use clap::ValueEnum;
use std::io::Write;
use std::process::ExitCode;

/// Output formats of `netparc inventory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Aligned columns.
    Table,
    /// One JSON array.
    Json,
    /// Comma-separated values with a header line.
    Csv,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    inventory: InventoryArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: ListFormat,
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
    let (rows, errors) = fleet::rows(&inventory, &selector, Date::today());
    for error in &errors {
        writeln!(std::io::stderr(), "warning: {error}")?;
    }
    let mut out = std::io::stdout().lock();
    match args.format {
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
        ListFormat::Csv => write_csv(&mut out, &rows)?,
        ListFormat::Table => write_table(&mut out, &rows)?,
    }
    Ok(ExitCode::SUCCESS)
}

const COLUMNS: [&str; 14] = [
    "name",
    "kind",
    "site",
    "address",
    "model",
    "serial",
    "warranty_end",
    "licence_end",
    "expiring",
    "verified_at",
    "verdict",
    "rtt_ms",
    "config",
    "last_change",
];

fn cells(row: &Row) -> [String; 14] {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        row.name.clone(),
        row.kind.clone(),
        row.site.clone(),
        opt(&row.address),
        opt(&row.model),
        opt(&row.serial),
        opt(&row.warranty_end),
        opt(&row.licence_end),
        row.expiring.join("; "),
        opt(&row.verified_at),
        row.retired
            .as_ref()
            .map(|d| format!("retired {d}"))
            .or_else(|| row.verdict.clone())
            .unwrap_or_default(),
        row.rtt_ms.map(|r| format!("{r:.2}")).unwrap_or_default(),
        opt(&row.config),
        opt(&row.last_change_at),
    ]
}

fn write_csv(out: &mut impl Write, rows: &[Row]) -> Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(COLUMNS)?;
    for row in rows {
        writer.write_record(cells(row))?;
    }
    writer.flush()?;
    Ok(())
}

fn write_table(out: &mut impl Write, rows: &[Row]) -> Result<()> {
    // The table shows what fits a terminal; JSON and CSV carry every column.
    let header = [
        "name",
        "kind",
        "site",
        "address",
        "serial",
        "warranty",
        "licence",
        "verified",
        "verdict",
        "rtt ms",
        "config",
        "last change",
    ];
    let lines: Vec<[String; 12]> = rows
        .iter()
        .map(|row| {
            let flag = |what: &str, end: &Option<String>| match end {
                Some(date) if row.expiring.iter().any(|e| e.starts_with(what)) => {
                    format!("{date}!")
                }
                Some(date) => date.clone(),
                None => String::from("-"),
            };
            let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| String::from("-"));
            [
                row.name.clone(),
                row.kind.clone(),
                row.site.clone(),
                opt(&row.address),
                opt(&row.serial),
                flag("warranty", &row.warranty_end),
                flag("licence", &row.licence_end),
                row.verified_at.as_deref().map_or_else(
                    || String::from("never"),
                    |t| t.replace('T', " ").replace('Z', ""),
                ),
                row.retired
                    .as_ref()
                    .map(|d| format!("retired {d}"))
                    .or_else(|| row.verdict.clone())
                    .unwrap_or_default(),
                row.rtt_ms
                    .map_or_else(|| String::from("-"), |r| format!("{r:.2}")),
                opt(&row.config),
                row.last_change_at.as_deref().map_or_else(
                    || String::from("-"),
                    |t| t.replace('T', " ").replace('Z', ""),
                ),
            ]
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for line in &lines {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let print = |out: &mut dyn Write, cells: &[String]| -> std::io::Result<()> {
        let text: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        writeln!(out, "{}", text.join("  ").trim_end())
    };
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    print(out, &header)?;
    for line in &lines {
        print(out, line)?;
    }
    let flagged: Vec<String> = rows
        .iter()
        .flat_map(|r| r.expiring.iter().map(move |e| format!("{}: {e}", r.name)))
        .collect();
    if !flagged.is_empty() {
        writeln!(
            out,
            "\n! within {} days or past:",
            fleet::EXPIRY_HORIZON_DAYS
        )?;
        for line in flagged {
            writeln!(out, "  {line}")?;
        }
    }
    Ok(())
}
