//! The command line: one file per subcommand, each a thin call into the library. Parsing
//! only validates; inventories, templates and secrets are opened afterwards by the command.

use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

mod backup;
mod check;
mod daemon;
mod docs;
mod exec;
mod inventory;
mod lab;
mod onboard;
mod plan;
mod render;
mod run;
mod secrets;
mod verify;

/// netparc: provision and verify network equipment from a YAML inventory.
///
/// An inventory folder holds the addressing plan, the assets, groups and defaults; Tera
/// templates turn each asset into its intended configuration. Start with `netparc check`:
/// it validates everything and touches no device.
#[derive(Debug, Parser)]
#[command(
    name = "netparc",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate an inventory, its templates (by rendering every asset) and its playbooks, and
    /// audit its secrets and policies. Touches no device. Exit code 1 when errors are found.
    Check(check::Args),
    /// Render each selected asset's intended configuration (to stdout, or one file per asset).
    Render(render::Args),
    /// Show the addressing plan's utilisation per site and VLAN, or allocate an address.
    Plan(plan::Args),
    /// Manage the age-encrypted secrets store of an inventory.
    Secrets(secrets::Args),
    /// Start the twin lab: one simulated device per asset on loopback (SSH and SNMP), until
    /// Ctrl-C; twins keep what was saved on them from run to run. Or switch faults on a
    /// running lab, or reset twins to factory.
    Lab(lab::Args),
    /// Run one command on the selected devices over SSH and show each output (`--lab`: on
    /// their twins).
    Exec(exec::Args),
    /// Run a playbook: back up, push the intended configurations, verify, roll back what
    /// fails; `--check --diff` previews without touching anything.
    Run(run::Args),
    /// Connect a new workstation: next free address, asset file, DHCP reservation, switch
    /// port, Wi-Fi and VPN profiles, verified, recorded and a handover sheet for its user.
    Onboard(onboard::OnboardArgs),
    /// Retire a workstation: VPN peer removed, port shut and reset, address and DHCP
    /// reservation released, asset archived as retired.
    Offboard(onboard::OffboardArgs),
    /// Save the running configuration of the selected devices in the backup repository
    /// (`state/backups`, one git commit per device that changed).
    Backup(backup::BackupArgs),
    /// Put a backed-up configuration back on a device (the latest, or a given revision).
    Restore(backup::RestoreArgs),
    /// List the assets with their verified state and lifecycle (serial, warranty and licence
    /// ends; expiries within 90 days flagged), as a table, JSON or CSV.
    Inventory(inventory::Args),
    /// Generate the network documentation (addressing plan, equipment, port maps) from the
    /// inventory and its verified state: Markdown, or Markdown and HTML files with --out.
    Docs(docs::Args),
    /// Prove the selected devices work: ping, SNMP facts and expectations (sysName, interfaces
    /// up, no restart, platform, serial), running configuration in sync. Exit code 0 only
    /// when every device passed.
    Verify(verify::Args),
    /// Watch every asset all day: ping and SNMP on each asset's interval, incidents with
    /// GTI/GTR clocks, a status page, a JSON API and Prometheus metrics (localhost:9180).
    /// SIGHUP or an inventory file change reloads; SIGTERM flushes and stops.
    Daemon(daemon::Args),
    /// List the daemon's incidents (open ones, or all since a period) with their SLA clocks.
    Incidents(daemon::IncidentsArgs),
    /// Availability per asset and site, incidents, GTI/GTR met or breached, over a period.
    Sla(daemon::SlaArgs),
}

/// Options every inventory command shares.
#[derive(Debug, clap::Args)]
pub struct InventoryArgs {
    /// The inventory folder (the one holding netparc.yml).
    #[arg(short, long, env = "NETPARC_INVENTORY", default_value = ".")]
    pub inventory: PathBuf,
    /// Which assets: comma-separated name globs or field:glob terms (kind, site, group,
    /// platform, role, name); `!term` excludes, `&term` is required.
    /// Example: 'site:hq,&kind:switch,!sw-hq-03'.
    #[arg(short, long, value_name = "SELECTOR")]
    pub limit: Option<String>,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// For pipelines (one JSON document on stdout).
    Json,
}

/// Run the command line and turn the outcome into an exit code: 0 success, 1 problems found,
/// 2 usage or environment errors. A closed stdout (`| head`) is not an error.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Render(args) => render::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Secrets(args) => secrets::run(args),
        Command::Lab(args) => lab::run(args),
        Command::Exec(args) => exec::run(args),
        Command::Run(args) => run::run(args),
        Command::Onboard(args) => onboard::onboard(args),
        Command::Offboard(args) => onboard::offboard(args),
        Command::Backup(args) => backup::backup(args),
        Command::Restore(args) => backup::restore(args),
        Command::Inventory(args) => inventory::run(args),
        Command::Docs(args) => docs::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Daemon(args) => daemon::run(args),
        Command::Incidents(args) => daemon::incidents(args),
        Command::Sla(args) => daemon::sla(args),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            if is_broken_pipe(&error) {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(std::io::stderr(), "netparc: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The async runtime every device-touching command runs on (one worker per core).
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Print diagnostics for people (stderr) with a closing count line.
pub fn print_diagnostics(diagnostics: &crate::diag::Diagnostics) -> std::io::Result<()> {
    let mut err = std::io::stderr().lock();
    for diagnostic in diagnostics.iter() {
        writeln!(err, "{diagnostic}\n")?;
    }
    Ok(())
}
