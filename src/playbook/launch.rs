//! A playbook run as one library call, shared by `netparc run` and the tests: load and
//! validate the playbook against the inventory, select its targets (narrowed by `--limit`),
//! prepare them (render, logins, `when`), open the backup repository (not in check mode) and
//! run the engine. Nothing is contacted before every check has passed.

use super::engine::{self, EventSink, RunOptions};
use super::report::RunReport;
use super::{load_playbook, prepare, validate_playbook};
use crate::access::Access;
use crate::check::load_templates;
use crate::diag::{Diagnostic, Diagnostics};
use crate::inventory::{Inventory, Selector};
use crate::secrets::SecretResolver;
use std::path::Path;
use tokio::sync::watch;

/// The selector a playbook file's run covers (for opening the [`Access`] first).
pub fn targets_selector(
    inventory: &Inventory,
    playbook_file: &Path,
    limit: Option<&str>,
) -> Result<Selector, Diagnostics> {
    let (playbook, _, _) = load_playbook(playbook_file)?;
    let limit = parse_limit(limit)?;
    prepare::select(inventory, &playbook, limit.as_ref())
        .map(|(selector, _)| selector)
        .map_err(Diagnostics::from)
}

fn parse_limit(limit: Option<&str>) -> Result<Option<Selector>, Diagnostics> {
    limit
        .map(|text| {
            Selector::parse(text).map_err(|e| {
                Diagnostics::from(Diagnostic::error("cli.bad-limit", format!("--limit: {e}")))
            })
        })
        .transpose()
}

/// Run the playbook in `playbook_file` on the devices `access` reaches.
pub async fn launch(
    inventory: &Inventory,
    resolver: &SecretResolver,
    playbook_file: &Path,
    access: &Access,
    options: RunOptions,
    events: EventSink,
    cancel: watch::Receiver<bool>,
) -> Result<RunReport, Diagnostics> {
    let (playbook, origin, mut found) = load_playbook(playbook_file)?;
    found.extend(validate_playbook(&playbook, &origin, Some(inventory)));
    if found.has_errors() {
        return Err(found);
    }
    let limit = parse_limit(options.limit.as_deref())?;
    let (selector, assets) =
        prepare::select(inventory, &playbook, limit.as_ref()).map_err(Diagnostics::from)?;
    // Opening the backup store runs git a few times (and creates the repository on first
    // use): done while the intents are rendered and devices connect, not before.
    let backups = (!options.check).then(|| engine::Backups::open(inventory.root.clone()));
    let needs_intent = playbook
        .steps
        .iter()
        .any(|s| s.push.is_some() || s.render.is_some());
    let templates = match load_templates(inventory) {
        Ok(templates) => Some(templates),
        Err(found) if needs_intent => return Err(found),
        Err(_) => None,
    };
    let targets = prepare::targets(
        inventory,
        resolver,
        templates.as_ref(),
        &playbook,
        &selector,
        &assets,
        access,
    )?;
    let mut options = options;
    if options.verifier.is_none() && playbook.steps.iter().any(|s| s.verify.is_some()) {
        options.verifier = Some(verifier(inventory, access));
    }
    Ok(engine::run(
        &playbook,
        playbook_file,
        &inventory.root,
        targets,
        options,
        backups,
        events,
        cancel,
    )
    .await)
}

/// The probes of a `verify` step, for one asset at a time: ping (3 echoes, 100 ms apart),
/// a TCP connect to the SSH port (reachability where ICMP is filtered or not permitted) and
/// SNMP where the asset has a profile; the configuration is compared by the engine itself
/// on its fresh session. A step's `probes: [icmp, snmp, tcp]` narrows the list. The
/// "did not restart since the last verification" check is left to `netparc verify` and the
/// daemon: a run may follow a planned reboot (or a restarted lab), which is no failure of
/// the change.
fn verifier(inventory: &Inventory, access: &Access) -> engine::VerifierHandle {
    use crate::probe::icmp::PingOptions;
    use crate::probe::tcp::TcpOptions;
    let inventory = std::sync::Arc::new(inventory.clone());
    let resolver = std::sync::Arc::new(crate::check::open_resolver(&inventory));
    let access = access.clone();
    // One ICMP and one SNMP socket per address family for the whole run, shared by every
    // asset's verification.
    let probes = crate::verify::Probes::new();
    let run: engine::Verifier =
        std::sync::Arc::new(move |asset: String, probes_wanted: Vec<String>| {
            let (inventory, resolver, access, probes) = (
                inventory.clone(),
                resolver.clone(),
                access.clone(),
                probes.clone(),
            );
            Box::pin(async move {
                let wants = |name: &str| {
                    probes_wanted.is_empty() || probes_wanted.iter().any(|p| p == name)
                };
                let options = crate::verify::VerifyOptions {
                    snmp_scope: crate::verify::SnmpScope::Full,
                    held: None,
                    ping: wants("icmp").then(PingOptions::default),
                    tcp: wants("tcp").then(TcpOptions::default),
                    snmp: wants("snmp"),
                    config: false,
                    concurrency: 1,
                    previous_uptime: Default::default(),
                    interfaces_up: None,
                    // The run's own `Probes` (passed to verify_asset) are the shared ones.
                    probers: None,
                };
                let located = inventory
                    .assets
                    .iter()
                    .find(|a| a.value.name == asset)
                    .ok_or_else(|| format!("no asset `{asset}`"))?;
                crate::verify::verify_asset(
                    &probes, &inventory, &resolver, &access, located, None, &options,
                )
                .await
                .map_err(|problems| {
                    problems
                        .iter()
                        .next()
                        .map(|d| d.message.clone())
                        .unwrap_or_else(|| String::from("no probe could run"))
                })
            })
        });
    engine::VerifierHandle(run)
}
