//! `netparc lab`: start the twin lab of an inventory and keep it running until Ctrl-C, or
//! `netparc lab fault` to switch a fault on a running lab.

use super::{InventoryArgs, print_diagnostics};
use crate::check::open_resolver;
use crate::inventory::{Inventory, Selector};
use crate::lab::control::{self, FaultRequest};
use crate::lab::{Lab, LabOptions};
use anyhow::{Context, Result};
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    inventory: InventoryArgs,
    /// SSH port of every twin (default 22 as root, 10022 otherwise).
    #[arg(long)]
    ssh_port: Option<u16>,
    /// SNMP port of every twin (default 161 as root, 10161 otherwise).
    #[arg(long)]
    snmp_port: Option<u16>,
    /// Start with a fault switched on, as ASSET:FAULT (repeatable), e.g.
    /// `--fault sw-hq-02:down --fault ap-hq-01:slow-cli=800`.
    #[arg(long = "fault", value_name = "ASSET:FAULT")]
    faults: Vec<String>,
    #[command(subcommand)]
    action: Option<Action>,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Switch a fault on or off in a running lab (`netparc lab` in another terminal).
    /// Faults: down, ssh-refused, auth-failure, slow-cli[=MS], drop-config[=LINES],
    /// host-key-changed, snmp-timeout, wrong-sysname[=NAME], interface-down=IFNAME, reboot,
    /// clear.
    Fault {
        /// The asset whose twin to affect.
        asset: String,
        /// The fault.
        fault: String,
        /// on or off.
        #[arg(default_value = "on", value_parser = ["on", "off"])]
        state: String,
    },
}

pub fn run(args: Args) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(run_async(args))
}

async fn run_async(args: Args) -> Result<ExitCode> {
    let outcome = Inventory::load(&args.inventory.inventory);
    let Some(inventory) = outcome.inventory else {
        print_diagnostics(&outcome.diagnostics)?;
        return Ok(ExitCode::FAILURE);
    };
    let mut options = LabOptions::for_inventory(&inventory);
    let socket = options.state_dir.join("control.sock");
    if let Some(Action::Fault {
        asset,
        fault,
        state,
    }) = args.action
    {
        let request = FaultRequest {
            asset,
            fault,
            on: state == "on",
        };
        let reply = control::send(&socket, &request).await.with_context(|| {
            format!(
                "no running lab answers on {} (start one with `netparc lab -i {}`)",
                socket.display(),
                args.inventory.inventory.display()
            )
        })?;
        if reply.ok {
            writeln!(std::io::stdout(), "{}", reply.message)?;
            return Ok(ExitCode::SUCCESS);
        }
        writeln!(std::io::stderr(), "error: {}", reply.message)?;
        return Ok(ExitCode::FAILURE);
    }
    if let Some(port) = args.ssh_port {
        options.ssh_port = port;
    }
    if let Some(port) = args.snmp_port {
        options.snmp_port = port;
    }
    if let Some(limit) = &args.inventory.limit {
        options.selector = Selector::parse(limit).map_err(|e| anyhow::anyhow!("--limit: {e}"))?;
    }
    let resolver = open_resolver(&inventory);
    let lab = match Lab::start(&inventory, &resolver, &options).await {
        Ok(lab) => Arc::new(lab),
        Err(error) => {
            let mut found = error.diagnostics();
            found.sort();
            print_diagnostics(&found)?;
            return Ok(ExitCode::FAILURE);
        }
    };
    for spec in &args.faults {
        let Some((asset, fault)) = spec.split_once(':') else {
            lab.stop().await;
            anyhow::bail!("--fault `{spec}`: expected ASSET:FAULT, e.g. sw-hq-02:down");
        };
        let request = FaultRequest {
            asset: asset.to_string(),
            fault: fault.to_string(),
            on: true,
        };
        if let Err(message) = lab.fault(&request) {
            lab.stop().await;
            anyhow::bail!("--fault `{spec}`: {message}");
        }
    }
    lab.serve_control(&socket)
        .with_context(|| format!("cannot open the control socket {}", socket.display()))?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "{:<16} {:<13} {:<16} {:<22} {:<22} host key",
            "asset", "kind", "real address", "ssh", "snmp"
        )?;
        for twin in lab.twins() {
            let spec = &twin.device.spec;
            writeln!(
                out,
                "{:<16} {:<13} {:<16} {:<22} {:<22} {}",
                spec.name,
                spec.kind.as_str(),
                spec.real_address
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| "-".into()),
                twin.ssh
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| "-".into()),
                twin.snmp
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| "-".into()),
                twin.host_key_fingerprint.as_deref().unwrap_or("-"),
            )?;
        }
        writeln!(
            out,
            "\n{} twins running; faults: netparc lab -i {} fault <asset> <fault> [on|off]; Ctrl-C stops",
            lab.twins().len(),
            args.inventory.inventory.display()
        )?;
        out.flush()?;
    }
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    lab.stop().await;
    let _ = std::fs::remove_file(&socket);
    Ok(ExitCode::SUCCESS)
}
