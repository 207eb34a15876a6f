//! `netparc daemon`: continuous availability checks, incidents and the status page, until
//! SIGTERM or Ctrl-C; SIGHUP reloads the inventory. Also `netparc incidents` and
//! `netparc sla`, which read the daemon's database directly (no daemon needed).

use super::InventoryArgs;
use crate::daemon::http::human;
use crate::daemon::store::{Store, site_availability};
use crate::daemon::{Daemon, DaemonOptions, now_ms, policy};
use crate::inventory::Inventory;
use crate::inventory::monitoring::Span;
use anyhow::{Context, Result};
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    inventory: InventoryArgs,
    /// Address of the status page, API and metrics. Localhost unless told otherwise.
    #[arg(long, default_value = "127.0.0.1:9180")]
    listen: SocketAddr,
    /// Check the twins of a lab started in-process (`netparc lab -i DIR fault ...` reaches it).
    #[arg(long)]
    lab: bool,
    /// Logs as JSON lines (for journald or a collector) instead of text.
    #[arg(long)]
    json_logs: bool,
    /// Write the verified state back at most this often per asset when its state does not
    /// change (e.g. 5m).
    #[arg(long, default_value = "5m", value_parser = parse_span)]
    writeback: Span,
}

fn parse_span(text: &str) -> Result<Span, String> {
    Span::parse(text)
}

/// Logs to stderr, text or JSON; `RUST_LOG` filters (default info, and the SNMP client's
/// per-timeout errors hidden: a down device is the daemon's business, not an error).
fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,async_snmp=off"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Colours for a terminal only: journald and files get plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

pub fn run(args: Args) -> Result<ExitCode> {
    init_logs(args.json_logs);
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let mut options = DaemonOptions::new(&args.inventory.inventory);
        options.listen = args.listen;
        options.lab = args.lab;
        options.limit = args.inventory.limit.clone();
        options.writeback_every = args.writeback.0;
        let daemon = match Daemon::start(options).await {
            Ok(daemon) => daemon,
            Err(error) => {
                let _ = writeln!(std::io::stderr(), "{error}");
                return Ok(ExitCode::from(2));
            }
        };
        let reload = daemon.shared().reload.clone();
        let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            .context("cannot handle SIGHUP")?;
        tokio::spawn(async move {
            while hangup.recv().await.is_some() {
                tracing::info!("SIGHUP: reloading");
                if reload.send(()).is_err() {
                    return;
                }
            }
        });
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .context("cannot handle SIGTERM")?;
        let shutdown = async move {
            tokio::select! {
                _ = terminate.recv() => tracing::info!("SIGTERM: stopping"),
                _ = tokio::signal::ctrl_c() => tracing::info!("interrupted: stopping"),
            }
        };
        // Printed once the signal handlers exist: whoever reads it may signal at once.
        if let Some(address) = daemon.local_addr() {
            // The bound address on stdout: `--listen 127.0.0.1:0` users (tests) read it.
            let mut out = std::io::stdout().lock();
            writeln!(out, "netparc daemon: http://{address}/")?;
            out.flush()?;
        }
        daemon.run(shutdown).await;
        Ok(ExitCode::SUCCESS)
    })
}

/// Options of `netparc incidents`.
#[derive(Debug, clap::Args)]
pub struct IncidentsArgs {
    /// The inventory folder.
    #[arg(short, long, env = "NETPARC_INVENTORY", default_value = ".")]
    inventory: std::path::PathBuf,
    /// Also resolved incidents opened within this period (e.g. 7d); default: open ones only.
    #[arg(long, value_parser = parse_span)]
    since: Option<Span>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: super::Format,
}

fn open_store(inventory: &Path) -> Result<Store> {
    let path = inventory.join("state").join("netparc.db");
    if !path.exists() {
        anyhow::bail!(
            "no database at {} (the daemon creates it: netparc daemon -i {})",
            path.display(),
            inventory.display()
        );
    }
    Ok(Store::open(&path)?)
}

pub fn incidents(args: IncidentsArgs) -> Result<ExitCode> {
    let store = open_store(&args.inventory)?;
    let now = now_ms();
    let list = match args.since {
        Some(span) => store.incidents_since(now - span.millis(), u32::MAX)?,
        None => store.open_incidents()?,
    };
    let mut out = std::io::stdout().lock();
    if args.format == super::Format::Json {
        let rows: Vec<_> = list
            .iter()
            .map(
                |i| serde_json::json!({"incident": i, "state": i.state(), "clocks": i.clocks(now)}),
            )
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{:>5} {:<3} {:<16} {:<8} {:<10} {:<13} {:<20} {:<8} {:<18} {:<18} reason",
        "#", "P", "asset", "site", "kind", "state", "opened", "clock", "GTI", "GTR"
    )?;
    for i in &list {
        let c = i.clocks(now);
        let clock = |ms: i64, target: Option<i64>, breached: bool| {
            format!(
                "{}{}{}",
                human(ms),
                target.map(|t| format!("/{}", human(t))).unwrap_or_default(),
                if breached { " BREACHED" } else { "" }
            )
        };
        let opened = crate::inventory::date::Date::timestamp(
            std::time::UNIX_EPOCH + Duration::from_millis(u64::try_from(i.opened_at).unwrap_or(0)),
        );
        writeln!(
            out,
            "{:>5} P{:<2} {:<16} {:<8} {:<10} {:<13} {:<20} {:<8} {:<18} {:<18} {}",
            i.id,
            i.priority,
            i.asset,
            i.site,
            i.kind,
            i.state(),
            opened,
            c.hours.as_str(),
            clock(c.gti_ms, i.gti_target_ms, c.gti_breached),
            clock(c.gtr_ms, i.gtr_target_ms, c.gtr_breached),
            i.reason
        )?;
    }
    writeln!(out, "{} incident(s)", list.len())?;
    Ok(ExitCode::SUCCESS)
}

/// Options of `netparc sla`.
#[derive(Debug, clap::Args)]
pub struct SlaArgs {
    /// The inventory folder.
    #[arg(short, long, env = "NETPARC_INVENTORY", default_value = ".")]
    inventory: std::path::PathBuf,
    /// The period, back from now (e.g. 30d, 7d, 24h).
    #[arg(long, default_value = "30d", value_parser = parse_span)]
    since: Span,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: super::Format,
}

pub fn sla(args: SlaArgs) -> Result<ExitCode> {
    let store = open_store(&args.inventory)?;
    let now = now_ms();
    let since = now - args.since.millis();
    // The maintenance windows are in the inventory: their time is left out of the period.
    let maintenance = match Inventory::load(&args.inventory).inventory {
        Some(inventory) => {
            let (windows, _) = policy::windows(&inventory.settings.value.monitoring.maintenance);
            Some(policy::maintenance_by_asset(
                &windows, &inventory, since, now,
            ))
        }
        None => None,
    };
    let excluded = maintenance.is_some();
    let rows = store.sla_excluding(since, now, &maintenance.unwrap_or_default())?;
    let sites = site_availability(&rows);
    let mut site_maintenance: std::collections::BTreeMap<&str, i64> = Default::default();
    for row in &rows {
        *site_maintenance.entry(row.site.as_str()).or_default() += row.maintenance_ms;
    }
    let mut out = std::io::stdout().lock();
    if args.format == super::Format::Json {
        let json = serde_json::json!({
            "since": args.since.to_string(),
            "maintenance_excluded": excluded,
            "assets": rows,
            "sites": sites,
            "site_maintenance_ms": site_maintenance,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let percent = |a: Option<f64>| {
        a.map(|a| format!("{:.3}%", a * 100.0))
            .unwrap_or_else(|| "-".into())
    };
    writeln!(
        out,
        "availability over {} (down and flapping time count as unavailable; {})\n",
        args.since,
        if excluded {
            "maintenance windows are left out of the period, down time in them included"
        } else {
            "the inventory does not load, so maintenance windows are NOT left out"
        }
    )?;
    writeln!(
        out,
        "{:<16} {:<8} {:>10} {:>10} {:>10} {:>11} {:>7} {:>8} {:>8} {:>8} {:>8}",
        "asset",
        "site",
        "avail.",
        "down",
        "maint.",
        "down maint.",
        "incid.",
        "GTI met",
        "GTI miss",
        "GTR met",
        "GTR miss"
    )?;
    for r in &rows {
        writeln!(
            out,
            "{:<16} {:<8} {:>10} {:>10} {:>10} {:>11} {:>7} {:>8} {:>8} {:>8} {:>8}",
            r.asset,
            r.site,
            percent(r.availability),
            human(r.down_ms),
            human(r.maintenance_ms),
            human(r.down_in_maintenance_ms),
            r.incidents,
            r.gti_met,
            r.gti_breached,
            r.gtr_met,
            r.gtr_breached
        )?;
    }
    writeln!(out)?;
    for (site, ratio) in &sites {
        let planned = site_maintenance.get(site.as_str()).copied().unwrap_or(0);
        let planned = if planned > 0 {
            format!(" (maintenance left out: {})", human(planned))
        } else {
            String::new()
        };
        writeln!(out, "site {site}: {}{planned}", percent(*ratio))?;
    }
    Ok(ExitCode::SUCCESS)
}
