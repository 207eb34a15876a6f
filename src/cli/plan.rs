//! `netparc plan`: utilisation per site and VLAN, and `plan next-free <site> <vlan>`.

use super::{Format, print_diagnostics};
use crate::inventory::Inventory;
use anyhow::Result;
use std::io::Write;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The inventory folder (the one holding netparc.yml).
    #[arg(short, long, env = "NETPARC_INVENTORY", default_value = ".")]
    inventory: std::path::PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    #[command(subcommand)]
    action: Option<Action>,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Print the next free static address of a VLAN: never the network, broadcast or gateway
    /// address, a DHCP pool, a reserved range or an address already given to an asset.
    NextFree {
        /// Site name, as in the plan (`hq`).
        site: String,
        /// VLAN name (`users`).
        vlan: String,
        /// Allocate from the VLAN's IPv6 subnet instead of its IPv4 one.
        #[arg(long)]
        ipv6: bool,
    },
}

pub fn run(args: Args) -> Result<ExitCode> {
    let outcome = Inventory::load(&args.inventory);
    let Some(inventory) = outcome.inventory else {
        print_diagnostics(&outcome.diagnostics)?;
        return Ok(ExitCode::FAILURE);
    };
    let mut out = std::io::stdout().lock();
    match args.action {
        Some(Action::NextFree { site, vlan, ipv6 }) => {
            match crate::plan::next_free(&inventory, &site, &vlan, ipv6) {
                Ok(address) => {
                    if args.format == Format::Json {
                        let value =
                            serde_json::json!({"site": site, "vlan": vlan, "address": address});
                        writeln!(out, "{value}")?;
                    } else {
                        writeln!(out, "{address}")?;
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => {
                    writeln!(std::io::stderr(), "error: {error}")?;
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        None => {
            let usage = crate::plan::utilisation(&inventory);
            if args.format == Format::Json {
                serde_json::to_writer_pretty(&mut out, &usage)?;
                writeln!(out)?;
                return Ok(ExitCode::SUCCESS);
            }
            for (site, entries) in crate::plan::by_site(&usage) {
                writeln!(out, "site {site}")?;
                writeln!(
                    out,
                    "  {:>4}  {:<12} {:<10} {:<22} {:>8} {:>8} {:>8} {:>8} {:>8} {:>6}",
                    "VLAN",
                    "name",
                    "purpose",
                    "prefix",
                    "size",
                    "dhcp",
                    "reserved",
                    "used",
                    "free",
                    "util"
                )?;
                for u in entries {
                    writeln!(
                        out,
                        "  {:>4}  {:<12} {:<10} {:<22} {:>8} {:>8} {:>8} {:>8} {:>8} {:>5.1}%",
                        u.vlan_id,
                        u.vlan,
                        format!("{:?}", u.purpose).to_lowercase(),
                        u.prefix,
                        count(u.size),
                        count(u.dhcp),
                        count(u.reserved),
                        count(u.used),
                        count(u.free),
                        u.utilisation
                    )?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// IPv6 subnets hold more addresses than a column can show: print powers of two.
fn count(value: u128) -> String {
    if value < 100_000_000 {
        value.to_string()
    } else {
        format!("~2^{}", 127 - value.leading_zeros())
    }
}
