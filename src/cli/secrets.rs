//! `netparc secrets`: the inventory's age-encrypted store (like Ansible Vault). Values are
//! read from stdin, never from the command line, so they stay out of shell history.

use super::print_diagnostics;
use crate::diag::Diagnostics;
use crate::inventory::load::load_settings;
use crate::secrets::{SecretError, cli};
use anyhow::Result;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The inventory folder (the one holding netparc.yml).
    #[arg(short, long, env = "NETPARC_INVENTORY", default_value = ".")]
    inventory: PathBuf,
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Create the store, its recipients file and (if needed) your identity.
    Init,
    /// Decrypt into a private temporary file, open $VISUAL/$EDITOR, re-encrypt.
    Edit,
    /// Set an entry from stdin (one trailing newline is dropped).
    Set {
        /// Entry name, e.g. devices/netadmin.
        name: String,
    },
    /// Print an entry's value.
    Get {
        /// Entry name.
        name: String,
    },
    /// List entry names (never values).
    List,
    /// Remove an entry.
    Rm {
        /// Entry name.
        name: String,
    },
    /// Re-encrypt to the current recipients (after adding a colleague's key).
    Rekey,
}

fn fail(error: SecretError) -> Result<ExitCode> {
    print_diagnostics(&Diagnostics::from(error.to_diagnostic()))?;
    Ok(ExitCode::FAILURE)
}

pub fn run(args: Args) -> Result<ExitCode> {
    let settings = match load_settings(&args.inventory) {
        Ok(settings) => settings,
        Err(diagnostics) => {
            print_diagnostics(&diagnostics)?;
            return Ok(ExitCode::FAILURE);
        }
    };
    let root = &args.inventory;
    let secrets = &settings.value.secrets;
    let identity = crate::check::identity_path(root, secrets.identity.as_deref());
    let mut out = std::io::stdout().lock();
    if let Action::Init = args.action {
        return match cli::init(root, identity.as_deref(), &mut out) {
            Ok(_) => Ok(ExitCode::SUCCESS),
            Err(error) => fail(error),
        };
    }
    let mut store = match crate::check::open_secret_store(root, secrets) {
        Ok(store) => store,
        Err(error) => return fail(error),
    };
    let result = match args.action {
        Action::Init => Ok(()),
        Action::Edit => cli::edit(&mut store, &cli::editor_command()).map(|outcome| {
            let _ = writeln!(
                std::io::stderr(),
                "{} added, {} changed, {} removed",
                outcome.added.len(),
                outcome.changed.len(),
                outcome.removed.len()
            );
        }),
        Action::Set { name } => {
            cli::set(&mut store, &name, std::io::stdin().lock()).map(|outcome| {
                if let Some(diagnostic) = outcome.assessment.to_diagnostic(&name) {
                    let _ = writeln!(std::io::stderr(), "{diagnostic}");
                }
            })
        }
        Action::Get { name } => cli::get(&store, &name, &mut out),
        Action::List => cli::list(&store, &mut out),
        Action::Rm { name } => cli::rm(&mut store, &name),
        Action::Rekey => cli::rekey(&mut store),
    };
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(error) => fail(error),
    }
}
