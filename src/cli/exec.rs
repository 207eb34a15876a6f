//! `netparc exec`: run one command on the selected devices over SSH (exec channel), in
//! parallel, and show each output, like `ansible -m raw`. With `--lab` the command runs
//! against the twin of each device, started in-process, and nothing but loopback is
//! contacted.

use super::{Format, InventoryArgs, print_diagnostics};
use crate::check::open_resolver;
use crate::diag::{Diagnostic, Diagnostics};
use crate::inventory::{Asset, Inventory, Located, Selector, vars};
use crate::lab::{Lab, LabOptions};
use crate::secrets::SecretResolver;
use crate::transport::ssh::{Credential, HostKeyPolicy, SshOptions, SshSession};
use anyhow::{Context, Result};
use serde::Serialize;
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    inventory: InventoryArgs,
    /// Run against the twin lab (started in-process) instead of the real devices.
    #[arg(long)]
    lab: bool,
    /// Record unknown host keys in known_hosts on first contact (a changed key is always
    /// refused).
    #[arg(long)]
    accept_new: bool,
    /// Devices contacted at once.
    #[arg(long, default_value_t = 10)]
    forks: usize,
    /// Time allowed per device for the command (seconds).
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// The command line to run on each device.
    command: String,
}

/// One device's outcome.
#[derive(Debug, Serialize)]
struct Outcome {
    asset: String,
    ok: bool,
    status: Option<u32>,
    stdout: String,
    stderr: String,
    error: Option<String>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(run_async(args))
}

/// Login options for an asset from its effective credentials.
fn login(
    inventory: &Inventory,
    asset: &Located<Asset>,
    resolver: &SecretResolver,
) -> Result<(String, Credential), Diagnostic> {
    let name = &asset.value.name;
    let credentials = vars::credentials(inventory, asset).ok_or_else(|| {
        Diagnostic::error(
            "exec.no-credentials",
            format!("`{name}` has no credentials"),
        )
        .asset(name)
        .hint("give it (or a group, or the defaults) `credentials:`")
    })?;
    let username = credentials.value.username.clone();
    let credential = if let Some(reference) = &credentials.value.ssh_key {
        let text = resolver
            .resolve(reference)
            .map_err(|e| e.to_diagnostic().asset(name).field("credentials.ssh_key"))?;
        let key = russh::keys::PrivateKey::from_openssh(text.expose()).map_err(|e| {
            Diagnostic::error(
                "exec.bad-ssh-key",
                format!("the SSH key of `{name}` is not an OpenSSH private key: {e}"),
            )
            .asset(name)
        })?;
        Credential::Key(Arc::new(key))
    } else if let Some(reference) = &credentials.value.password {
        Credential::Password(
            resolver
                .resolve(reference)
                .map_err(|e| e.to_diagnostic().asset(name).field("credentials.password"))?,
        )
    } else if std::env::var_os("SSH_AUTH_SOCK").is_some() {
        // Neither secret in the inventory: the user's SSH agent holds the key.
        Credential::Agent(None)
    } else {
        return Err(Diagnostic::error(
            "exec.no-credentials",
            format!("`{name}` has neither a password nor an SSH key, and no SSH agent runs"),
        )
        .asset(name)
        .hint("give `credentials.password` or `credentials.ssh_key`, or start ssh-agent (SSH_AUTH_SOCK)"));
    };
    Ok((username, credential))
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
    let targets: Vec<&Located<Asset>> = inventory
        .assets
        .iter()
        .filter(|a| selector.matches(&a.value) && a.value.platform.is_some())
        .collect();
    if targets.is_empty() {
        anyhow::bail!(
            "--limit `{selector}` selects no device netparc can log into (none with a platform)"
        );
    }
    let resolver = open_resolver(&inventory);
    let mut problems = Diagnostics::new();
    let mut plans = Vec::new();
    for asset in &targets {
        match login(&inventory, asset, &resolver) {
            Ok(login) => plans.push((asset.value.name.clone(), asset.value.address, login)),
            Err(diagnostic) => problems.push(diagnostic),
        }
    }
    if !problems.is_empty() {
        problems.merge_repeats();
        print_diagnostics(&problems)?;
        return Ok(ExitCode::FAILURE);
    }
    let state = inventory.root.join("state");
    let (lab, known_hosts) = if args.lab {
        let mut options = LabOptions::for_inventory(&inventory);
        options.ssh_port = 0;
        options.snmp_port = 0;
        options.selector = selector.clone();
        let lab = match Lab::start(&inventory, &resolver, &options).await {
            Ok(lab) => lab,
            Err(error) => {
                print_diagnostics(&error.diagnostics())?;
                return Ok(ExitCode::FAILURE);
            }
        };
        // The twins' keys are the lab's own: its known_hosts lives beside them.
        (Some(lab), options.state_dir.join("known_hosts"))
    } else {
        (None, state.join("known_hosts"))
    };
    let semaphore = Arc::new(tokio::sync::Semaphore::new(args.forks.max(1)));
    let mut tasks = Vec::new();
    for (name, real_address, (username, credential)) in plans {
        let address: Option<SocketAddr> = match &lab {
            Some(lab) => lab.twin(&name).and_then(|t| t.ssh),
            None => real_address.map(|ip| SocketAddr::new(ip, 22)),
        };
        let options = SshOptions {
            username,
            credential,
            host_keys: HostKeyPolicy {
                known_hosts: known_hosts.clone(),
                accept_new: args.accept_new || lab.is_some(),
            },
            connect_timeout: Duration::from_secs(10),
            auth_timeout: Duration::from_secs(10),
            keepalive: Some(Duration::from_secs(15)),
            lab_mode: lab.is_some(),
        };
        let command = args.command.clone();
        let semaphore = semaphore.clone();
        let timeout = Duration::from_secs(args.timeout);
        tasks.push(tokio::spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            let mut outcome = Outcome {
                asset: name.clone(),
                ok: false,
                status: None,
                stdout: String::new(),
                stderr: String::new(),
                error: None,
            };
            let Some(address) = address else {
                outcome.error = Some(String::from(
                    "no address to contact (the asset has no `address`)",
                ));
                return outcome;
            };
            match SshSession::connect(&name, address, &options).await {
                Err(error) => outcome.error = Some(error.to_string()),
                Ok(session) => {
                    match session.exec(&command, timeout).await {
                        Ok(result) => {
                            outcome.status = result.status;
                            outcome.ok = result.status == Some(0);
                            outcome.stdout = String::from_utf8_lossy(&result.stdout).into_owned();
                            outcome.stderr = String::from_utf8_lossy(&result.stderr).into_owned();
                        }
                        Err(error) => outcome.error = Some(error.to_string()),
                    }
                    session.close().await;
                }
            }
            outcome
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        if let Ok(outcome) = task.await {
            outcomes.push(outcome);
        }
    }
    if let Some(lab) = &lab {
        lab.stop().await;
    }
    let failed = outcomes.iter().filter(|o| !o.ok).count();
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &outcomes)?;
            writeln!(out)?;
        }
        Format::Text => {
            for outcome in &outcomes {
                let verdict = match (&outcome.error, outcome.status) {
                    (Some(_), _) => String::from("unreachable"),
                    (None, Some(0)) => String::from("ok"),
                    (None, Some(status)) => format!("failed, exit {status}"),
                    (None, None) => String::from("failed, no exit status"),
                };
                writeln!(out, "=== {} ({verdict})", outcome.asset)?;
                if let Some(error) = &outcome.error {
                    writeln!(out, "{error}")?;
                }
                out.write_all(outcome.stdout.as_bytes())?;
                if !outcome.stderr.is_empty() {
                    writeln!(out, "--- stderr")?;
                    out.write_all(outcome.stderr.as_bytes())?;
                }
            }
            writeln!(
                out,
                "\n{} ok, {failed} failed or unreachable",
                outcomes.len() - failed
            )?;
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
