//! `netparc lab`: start the twin lab of an inventory and keep it running until Ctrl-C,
//! `netparc lab fault` to switch a fault on a running lab, or `netparc lab reset` to send
//! twins back to factory (they otherwise keep what was saved on them from run to run).

use super::{InventoryArgs, print_diagnostics};
use crate::check::open_resolver;
use crate::inventory::{Inventory, Selector};
use crate::lab::control::{self, FaultRequest};
use crate::lab::persist::SavedStates;
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
    /// Faults: down, ssh-refused, ssh-hang, auth-failure, slow-cli[=MS],
    /// drop-config[=LINES], host-key-changed, snmp-timeout, wrong-sysname[=NAME],
    /// interface-down=IFNAME, no-write-memory, legacy-ssh, reboot, clear.
    Fault {
        /// The asset whose twin to affect.
        asset: String,
        /// The fault.
        fault: String,
        /// on or off.
        #[arg(default_value = "on", value_parser = ["on", "off"])]
        state: String,
    },
    /// Forget what twins saved (IOS startup configurations, Linux files under /etc), so
    /// they start from factory next time: every twin, or the named ones. Host keys stay.
    Reset {
        /// The assets whose twins to reset (all when none is named).
        assets: Vec<String>,
    },
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
    let mut options = LabOptions::for_inventory(&inventory);
    let socket = options.state_dir.join("control.sock");
    if let Some(Action::Reset { assets }) = args.action {
        return reset(&inventory, &options, &socket, &assets).await;
    }
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
    print_diagnostics(lab.warnings())?;
    // Listen for Ctrl-C before the twins are announced: a caller that interrupts as soon as
    // it reads the list must get a clean stop (and the twins' state stored), not the
    // default death by SIGINT.
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .context("cannot listen for Ctrl-C")?;
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
        let restored = lab.twins().iter().filter(|t| t.from_saved).count();
        if restored > 0 {
            // A demo audience expects factory devices unless told otherwise.
            writeln!(
                out,
                "\n{restored} twin{} booted from what was saved on them earlier (factory again: netparc lab -i {} reset)",
                if restored == 1 { "" } else { "s" },
                args.inventory.inventory.display()
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
    interrupt.recv().await;
    lab.stop().await;
    let _ = std::fs::remove_file(&socket);
    Ok(ExitCode::SUCCESS)
}

/// `netparc lab reset [ASSET…]`: remove the saved state of the named twins (all without
/// names). Every name is checked before anything is removed; a running lab is refused, as
/// it would write its twins' state back when it stops.
async fn reset(
    inventory: &Inventory,
    options: &LabOptions,
    socket: &std::path::Path,
    assets: &[String],
) -> Result<ExitCode> {
    let saved = SavedStates::new(&options.state_dir);
    if tokio::net::UnixStream::connect(socket).await.is_ok() {
        anyhow::bail!(
            "a lab is running on this inventory (it answers on {}): stop it first (Ctrl-C); its twins store what they saved when it stops",
            socket.display()
        );
    }
    for asset in assets {
        // A twin no longer in the inventory may still have left a file: that name is fine.
        if inventory.asset(asset).is_none() && saved.files_of(asset).is_empty() {
            let names = inventory.assets.iter().map(|a| a.value.name.as_str());
            let hint = crate::diag::did_you_mean(asset, names)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            anyhow::bail!("no asset `{asset}` in the inventory{hint}");
        }
    }
    let names = (!assets.is_empty()).then_some(assets);
    let removed = saved
        .reset(names)
        .with_context(|| format!("cannot remove saved state under {}", saved.dir().display()))?;
    let mut out = std::io::stdout().lock();
    for file in &removed {
        let asset = crate::lab::persist::asset_of(file).unwrap_or_default();
        writeln!(
            out,
            "{asset}: saved state removed ({})",
            file.strip_prefix(&inventory.root).unwrap_or(file).display()
        )?;
    }
    for asset in assets {
        if !removed
            .iter()
            .any(|f| crate::lab::persist::asset_of(f).as_deref() == Some(asset.as_str()))
        {
            writeln!(out, "{asset}: nothing saved, already factory")?;
        }
    }
    let twins = removed
        .iter()
        .filter_map(|f| crate::lab::persist::asset_of(f))
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    if removed.is_empty() && assets.is_empty() {
        writeln!(
            out,
            "no twin has saved state: every twin starts from factory"
        )?;
    } else {
        writeln!(
            out,
            "{twins} twin{} back to factory at the next lab start",
            if twins == 1 { "" } else { "s" }
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
