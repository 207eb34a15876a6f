//! `netparc verify`: probe the selected assets (ping, SNMP, optionally TCP; the running
//! configuration against the intended one) all at once, and print one line per asset or
//! a JSON document. Exit code 0 only when every asset passed. With `--lab` the probes go
//! to each asset's twin, started in-process, and nothing but loopback is contacted.

use super::{InventoryArgs, print_diagnostics};
use crate::access::{Access, AccessOptions};
use crate::check::{load_templates, open_resolver};
use crate::inventory::{Asset, Inventory, Located, Selector};
use crate::probe::icmp::PingOptions;
use crate::probe::tcp::TcpOptions;
use crate::probe::verdict::{Verdict, VerifiedState};
use crate::verify::{VerifyOptions, verify_assets};
use anyhow::Result;
use clap::ValueEnum;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

/// Output formats of `verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerifyFormat {
    /// One line per asset, for people.
    Table,
    /// One JSON document (every measurement and check).
    Json,
}

/// Probe kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProbeKind {
    /// ICMP echo.
    Icmp,
    /// SNMP poll (system group, interfaces, serial).
    Snmp,
    /// TCP connect to the SSH port (where ICMP is filtered).
    Tcp,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    inventory: InventoryArgs,
    /// Probe the twin lab (started in-process) instead of the real devices.
    #[arg(long)]
    lab: bool,
    /// Faults to switch on in the lab first (`ASSET:FAULT`, repeatable; needs --lab).
    #[arg(long = "fault", value_name = "ASSET:FAULT")]
    faults: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: VerifyFormat,
    /// Probes to run (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "icmp,snmp")]
    probe: Vec<ProbeKind>,
    /// Echoes per asset.
    #[arg(long, default_value_t = 3)]
    count: u16,
    /// Milliseconds between two echoes to one asset.
    #[arg(long, default_value_t = 100)]
    interval_ms: u64,
    /// Milliseconds an echo (or a TCP connect) waits for its answer.
    #[arg(long, default_value_t = 1000)]
    timeout_ms: u64,
    /// Port of the TCP probe.
    #[arg(long, default_value_t = 22)]
    tcp_port: u16,
    /// Do not log in to compare the running configuration with the intended one.
    #[arg(long)]
    skip_config: bool,
    /// Assets checked at once.
    #[arg(long, default_value_t = 256)]
    forks: usize,
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
    let assets: Vec<&Located<Asset>> = inventory
        .assets
        .iter()
        .filter(|a| selector.matches(&a.value))
        .collect();
    if assets.is_empty() {
        anyhow::bail!("--limit `{selector}` selects no asset");
    }
    let resolver = open_resolver(&inventory);
    let timeout = Duration::from_millis(args.timeout_ms);
    let options = VerifyOptions {
        ping: args
            .probe
            .contains(&ProbeKind::Icmp)
            .then_some(PingOptions {
                count: args.count.max(1),
                interval: Duration::from_millis(args.interval_ms),
                timeout,
            }),
        tcp: args.probe.contains(&ProbeKind::Tcp).then_some(TcpOptions {
            port: args.tcp_port,
            timeout,
        }),
        snmp: args.probe.contains(&ProbeKind::Snmp),
        config: !args.skip_config,
        concurrency: args.forks.max(1),
        ..VerifyOptions::default()
    };
    // Intended configurations first (CPU only); a template problem only makes the config
    // column unknown, the probes still run.
    let intents = if options.config {
        match load_templates(&inventory) {
            Ok(templates) => {
                crate::intent::render_selected(&inventory, &templates, &resolver, &selector).0
            }
            Err(_) => Vec::new(),
        }
    } else {
        Vec::new()
    };
    // The "did not restart" check compares with the uptime seen at the last verification.
    let store = crate::state::StateStore::open(&inventory.root);
    let (previous, unreadable) = crate::verify::previous_uptimes(&store, &assets);
    let options = VerifyOptions {
        previous_uptime: previous,
        ..options
    };
    if !unreadable.is_empty() {
        print_diagnostics(&unreadable)?;
    }
    let access_options = AccessOptions {
        lab: args.lab,
        faults: args.faults.clone(),
        accept_new: args.lab,
    };
    let access = match Access::open(&inventory, &resolver, &selector, &access_options).await {
        Ok(access) => access,
        Err(found) => {
            print_diagnostics(&found)?;
            return Ok(ExitCode::FAILURE);
        }
    };
    let (states, problems) =
        verify_assets(&inventory, &resolver, &access, &assets, &intents, &options).await;
    access.close().await;
    if !problems.is_empty() {
        print_diagnostics(&problems)?;
    }
    // What was seen goes back into the inventory's verified state. A state file that does
    // not parse (hand-edited) is reported and left as it is; the others are still written.
    let mut recorded = true;
    for state in &states {
        let Ok(value) = serde_json::to_value(state) else {
            continue;
        };
        if let Err(error) = store.update(&state.asset, crate::verify::STATE_SECTION, value) {
            recorded = false;
            writeln!(std::io::stderr(), "netparc: not recorded: {error}")?;
        }
    }
    let mut out = std::io::stdout().lock();
    match args.format {
        VerifyFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &states)?;
            writeln!(out)?;
        }
        VerifyFormat::Table => write_table(&mut out, &states)?,
    }
    let passed =
        problems.is_empty() && recorded && states.iter().all(|s| s.verdict == Verdict::Passed);
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The table: one line per asset, then the failed checks of each asset that did not pass.
fn write_table(out: &mut impl Write, states: &[VerifiedState]) -> std::io::Result<()> {
    let header = [
        "ASSET",
        "REACHABLE",
        "RTT",
        "SNMP NAME",
        "UPTIME",
        "IFS UP/DOWN",
        "CONFIG",
        "VERDICT",
    ];
    let rows: Vec<[String; 8]> = states.iter().map(row).collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    writeln!(out, "{}", line(&header.map(String::from)))?;
    for row in &rows {
        writeln!(out, "{}", line(row))?;
    }
    let mut first = true;
    // ICMP that cannot be used at all fails every asset the same way: said once.
    let mut said: Vec<&str> = Vec::new();
    for state in states.iter().filter(|s| s.verdict != Verdict::Passed) {
        if first {
            writeln!(out)?;
            first = false;
        }
        for check in state.failures() {
            if check.name == "icmp" {
                if !said.contains(&check.reason.as_str()) {
                    said.push(&check.reason);
                    writeln!(out, "every asset: icmp: {}", check.reason)?;
                }
                continue;
            }
            writeln!(out, "{}: {}: {}", state.asset, check.name, check.reason)?;
        }
    }
    let count = |v: Verdict| states.iter().filter(|s| s.verdict == v).count();
    writeln!(
        out,
        "\n{} passed, {} failed, {} unreachable",
        count(Verdict::Passed),
        count(Verdict::Failed),
        count(Verdict::Unreachable)
    )
}

fn row(state: &VerifiedState) -> [String; 8] {
    let reachable = match state.reachability.reachable {
        Some(true) => format!(
            "yes ({})",
            state.reachability.via.as_deref().unwrap_or_default()
        ),
        Some(false) => String::from("no"),
        None => String::from("-"),
    };
    let rtt = state
        .reachability
        .rtt_ms
        .map_or_else(|| String::from("-"), |ms| format!("{ms:.2} ms"));
    let (name, uptime) = match (&state.snmp, &state.snmp_error) {
        (Some(facts), _) => (facts.system.name.clone(), uptime(facts.system.uptime_ticks)),
        (None, Some(error)) => (
            format!("({})", error.kind().replace('_', " ")),
            String::from("-"),
        ),
        (None, None) => (String::from("-"), String::from("-")),
    };
    let interfaces = state
        .interfaces
        .as_ref()
        .map_or_else(|| String::from("-"), |i| format!("{}/{}", i.up, i.down));
    [
        state.asset.clone(),
        reachable,
        rtt,
        name,
        uptime,
        interfaces,
        state.config.label(),
        state.verdict.as_str().to_string(),
    ]
}

/// `3d 04:05` or `04:05:06`.
fn uptime(ticks: u32) -> String {
    let seconds = ticks / 100;
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    if days > 0 {
        format!("{days}d {:02}:{:02}", rest / 3600, rest % 3600 / 60)
    } else {
        format!(
            "{:02}:{:02}:{:02}",
            rest / 3600,
            rest % 3600 / 60,
            rest % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::verdict::{ConfigSync, Expectations, Measurements, assess};

    #[test]
    fn an_icmp_permission_problem_is_said_once_for_every_asset() {
        let state = |asset: &str| {
            assess(
                asset,
                Measurements {
                    ping: Some(Err(String::from(
                        "cannot open an ICMPv4 socket: permission denied (x)",
                    ))),
                    tcp: None,
                    snmp: None,
                },
                &Expectations::default(),
                ConfigSync::InSync,
                std::time::UNIX_EPOCH,
            )
        };
        let mut out = Vec::new();
        write_table(&mut out, &[state("sw1"), state("sw2")]).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text.matches(
                "every asset: icmp: cannot open an ICMPv4 socket: permission denied (x)\n"
            )
            .count(),
            1,
            "{text}"
        );
        assert!(
            text.contains("sw1: reachable: no probe could run: ICMP is not usable here and no other probe was asked for (add --probe tcp)\n"),
            "{text}"
        );
        assert!(
            text.ends_with("0 passed, 0 failed, 2 unreachable\n"),
            "{text}"
        );
    }
}
