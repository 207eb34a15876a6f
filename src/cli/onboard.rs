//! `netparc onboard` and `netparc offboard`: a workstation connected, verified, recorded
//! and handed over, or retired, in one command.

use super::{Format, print_diagnostics};
use crate::driver::Timeouts;
use crate::onboard::request::Request;
use crate::onboard::workflow::{self, Options, Outcome, Report};
use crate::playbook::engine::EventSink;
use anyhow::Result;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// What both commands share.
#[derive(Debug, clap::Args)]
pub struct Common {
    /// The inventory folder (the one holding netparc.yml).
    #[arg(short, long, env = "NETPARC_INVENTORY", default_value = ".")]
    inventory: PathBuf,
    /// Change nothing: validate, allocate on paper and show the device changes.
    #[arg(long)]
    check: bool,
    /// Show each device's configuration diff.
    #[arg(long)]
    diff: bool,
    /// Against the twin lab instead of the real devices.
    #[arg(long)]
    lab: bool,
    /// Switch a fault on a twin first (`vpn-hq-01:down`); repeatable.
    #[arg(long = "fault", value_name = "ASSET:FAULT", requires = "lab")]
    faults: Vec<String>,
    /// Record unknown device host keys (first contact).
    #[arg(long)]
    accept_new: bool,
    /// Change ticket reference, kept in the change record.
    #[arg(long)]
    ticket: Option<String>,
    /// Who does it (change record, handover sheet).
    #[arg(long)]
    technician: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// `netparc onboard`.
#[derive(Debug, clap::Args)]
pub struct OnboardArgs {
    #[command(flatten)]
    common: Common,
    /// Site it joins.
    #[arg(long)]
    site: String,
    /// Workstation name (hostname).
    #[arg(long)]
    name: String,
    /// Who uses it.
    #[arg(long)]
    user: String,
    /// MAC address of its wired card.
    #[arg(long)]
    mac: String,
    /// VLAN it gets an address in.
    #[arg(long)]
    vlan: String,
    /// Switch it is plugged into.
    #[arg(long, requires = "port")]
    switch: Option<String>,
    /// Switch port (`Gi1/0/12`).
    #[arg(long, requires = "switch")]
    port: Option<String>,
    /// Issue Wi-Fi profiles for the site's staff networks.
    #[arg(long)]
    wifi: bool,
    /// Issue a WireGuard profile (peer added to the site's VPN gateway).
    #[arg(long)]
    vpn: bool,
    /// Free text for the asset (model, desk).
    #[arg(long)]
    description: Option<String>,
    /// Where profiles and the handover sheet go (default state/handover/<name>/).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `netparc offboard`.
#[derive(Debug, clap::Args)]
pub struct OffboardArgs {
    #[command(flatten)]
    common: Common,
    /// The workstation to retire.
    name: String,
}

fn options(common: &Common, out: Option<PathBuf>) -> Options {
    Options {
        check: common.check,
        lab: common.lab,
        faults: common.faults.clone(),
        accept_new: common.accept_new,
        timeouts: Timeouts {
            command: Duration::from_secs(10),
            ..Timeouts::default()
        },
        out,
    }
}

fn sink(common: &Common) -> (super::run::Progress, EventSink) {
    let progress = super::run::Progress::new(common.diff, common.format == Format::Json);
    let shown = progress.clone();
    (progress, Arc::new(move |event| shown.show(event)))
}

/// Run `netparc onboard`.
pub fn onboard(args: OnboardArgs) -> Result<ExitCode> {
    let request = Request {
        site: args.site,
        name: args.name,
        user: args.user,
        mac: args.mac,
        vlan: args.vlan,
        switch: args.switch,
        port: args.port,
        wifi: args.wifi,
        vpn: args.vpn,
        description: args.description,
        ticket: args.common.ticket.clone(),
        technician: args.common.technician.clone(),
    };
    let options = options(&args.common, args.out);
    let (progress, events) = sink(&args.common);
    let runtime = super::runtime()?;
    let outcome = runtime.block_on(workflow::onboard(
        &args.common.inventory,
        &request,
        &options,
        events,
    ));
    progress.finish();
    finish(outcome, &args.common, "onboarded")
}

/// Run `netparc offboard`.
pub fn offboard(args: OffboardArgs) -> Result<ExitCode> {
    let mut options = options(&args.common, None);
    options.out = None;
    let (progress, events) = sink(&args.common);
    let runtime = super::runtime()?;
    let outcome = runtime.block_on(workflow::offboard(
        &args.common.inventory,
        &args.name,
        args.common.ticket.as_deref(),
        &options,
        events,
    ));
    progress.finish();
    finish(outcome, &args.common, "offboarded")
}

fn finish(
    outcome: Result<Report, crate::diag::Diagnostics>,
    common: &Common,
    done: &str,
) -> Result<ExitCode> {
    let report = match outcome {
        Ok(report) => report,
        Err(found) => {
            print_diagnostics(&found)?;
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut out = std::io::stdout().lock();
    if common.format == Format::Json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        if let Some(run) = &report.run {
            super::run::print_recap(&mut out, run)?;
        }
        print_report(&mut out, &report, done)?;
    }
    Ok(match report.outcome {
        Outcome::RolledBack => ExitCode::FAILURE,
        Outcome::Checked if report.reason.is_some() => ExitCode::FAILURE,
        _ => ExitCode::SUCCESS,
    })
}

fn print_report(out: &mut impl Write, report: &Report, done: &str) -> std::io::Result<()> {
    let headline = match report.outcome {
        Outcome::Done => format!("{} {done}", report.name),
        Outcome::Checked => format!("{} checked (check mode: nothing changed)", report.name),
        Outcome::RolledBack => format!("{} NOT {done}: every change was undone", report.name),
    };
    writeln!(out, "\n{headline}")?;
    if let Some(reason) = &report.reason {
        writeln!(out, "  reason:   {reason}")?;
    }
    if let Some(address) = report.address {
        writeln!(out, "  address:  {address}")?;
    }
    if let Some((switch, port)) = &report.port {
        writeln!(out, "  port:     {switch} {port}")?;
    }
    if let Some((gateway, address)) = &report.vpn {
        writeln!(out, "  vpn:      {address} on {gateway}")?;
    }
    if let Some(file) = &report.asset_file
        && report.outcome == Outcome::Done
    {
        writeln!(out, "  asset:    {}", file.display())?;
    }
    for proof in &report.proofs {
        let mark = if proof.ok { "ok  " } else { "FAIL" };
        writeln!(out, "  {mark} {}: {}", proof.check, proof.detail)?;
    }
    for file in &report.files {
        writeln!(out, "  file:     {}", file.display())?;
    }
    if let Some(path) = &report.run_report {
        writeln!(out, "  report:   {}", path.display())?;
    }
    if let Some(qr) = &report.qr_terminal
        && std::io::stdout().is_terminal()
    {
        writeln!(
            out,
            "\nWireGuard profile for a phone (scan it in the WireGuard app; it holds the private key):\n{qr}"
        )?;
    }
    Ok(())
}

/// `netparc run` on an onboarding or offboarding playbook: its `onboard:` (or `offboard:`)
/// block gives defaults, `--var key=value` the rest, the change record the ticket and the
/// technician.
pub struct FromPlaybook {
    pub inventory: PathBuf,
    pub check: bool,
    pub diff: bool,
    pub lab: bool,
    pub faults: Vec<String>,
    pub accept_new: bool,
    pub format: Format,
    pub vars: Vec<String>,
}

impl FromPlaybook {
    pub async fn run(self, playbook: &crate::playbook::Playbook) -> Result<ExitCode> {
        let mut vars = std::collections::BTreeMap::new();
        for pair in &self.vars {
            let Some((key, value)) = pair.split_once('=') else {
                anyhow::bail!("--var `{pair}`: expected KEY=VALUE");
            };
            vars.insert(key.trim().to_string(), value.to_string());
        }
        let common = Common {
            inventory: self.inventory.clone(),
            check: self.check,
            diff: self.diff,
            lab: self.lab,
            faults: self.faults.clone(),
            accept_new: self.accept_new,
            ticket: playbook.change.as_ref().and_then(|c| c.id.clone()),
            technician: playbook.change.as_ref().map(|c| c.responsible.clone()),
            format: self.format,
        };
        let options = options(&common, None);
        let (progress, events) = sink(&common);
        let known: &[&str] = if playbook.onboard.is_some() {
            &[
                "site",
                "name",
                "user",
                "mac",
                "vlan",
                "switch",
                "port",
                "wifi",
                "vpn",
                "description",
            ]
        } else {
            &["name"]
        };
        if let Some(unknown) = vars.keys().find(|k| !known.contains(&k.as_str())) {
            anyhow::bail!(
                "--var `{unknown}` is not a variable of this playbook (known: {})",
                known.join(", ")
            );
        }
        let text = |key: &str, default: &Option<String>| {
            vars.get(key).cloned().or_else(|| default.clone())
        };
        let flag = |key: &str, default: Option<bool>| -> Result<bool> {
            match vars.get(key).map(String::as_str) {
                None => Ok(default.unwrap_or(false)),
                Some("true" | "yes" | "1") => Ok(true),
                Some("false" | "no" | "0") => Ok(false),
                Some(other) => anyhow::bail!("--var {key}={other}: expected true or false"),
            }
        };
        let outcome = if let Some(spec) = &playbook.onboard {
            let required = |key: &str, default: &Option<String>| -> Result<String> {
                text(key, default).ok_or_else(|| {
                    anyhow::anyhow!(
                        "this playbook needs `--var {key}=…` (or `{key}:` under `onboard:`)"
                    )
                })
            };
            let request = Request {
                site: required("site", &spec.site)?,
                name: required("name", &spec.name)?,
                user: required("user", &spec.user)?,
                mac: required("mac", &spec.mac)?,
                vlan: required("vlan", &spec.vlan)?,
                switch: text("switch", &spec.switch),
                port: text("port", &spec.port),
                wifi: flag("wifi", spec.wifi)?,
                vpn: flag("vpn", spec.vpn)?,
                description: text("description", &spec.description),
                ticket: common.ticket.clone(),
                technician: common.technician.clone(),
            };
            workflow::onboard(&common.inventory, &request, &options, events).await
        } else {
            let spec = playbook.offboard.clone().unwrap_or_default();
            let name = text("name", &spec.name).ok_or_else(|| {
                anyhow::anyhow!("this playbook needs `--var name=…`: the workstation to retire")
            })?;
            workflow::offboard(
                &common.inventory,
                &name,
                common.ticket.as_deref(),
                &options,
                events,
            )
            .await
        };
        progress.finish();
        let done = if playbook.onboard.is_some() {
            "onboarded"
        } else {
            "offboarded"
        };
        finish(outcome, &common, done)
    }
}
