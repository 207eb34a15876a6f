//! `netparc restore` as a library call: put a backed-up configuration (the latest revision,
//! or a given one) back on a device. The device's current configuration is committed to the
//! backups first, so a restore can itself be undone; the driver restores (replace mode) and
//! saves, and refuses to report success while anything still differs.

use crate::access::Access;
use crate::backup::{BackupStore, Revision};
use crate::driver::{self, DriverOptions, Mode, Timeouts};
use crate::inventory::Inventory;
use crate::secrets::{Redactor, SecretResolver};

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The device already holds that revision.
    AlreadyEqual,
    /// Check mode: the device differs and would be restored.
    WouldRestore,
    /// Restored and saved; `replaced` is the revision of the configuration it replaced.
    Restored {
        /// The backup of what was there before.
        replaced: String,
    },
}

/// A restore's result.
#[derive(Debug, Clone)]
pub struct Restore {
    /// The revision restored (or that would be).
    pub revision: Revision,
    /// Running → backup, redacted ("" when equal).
    pub diff: String,
    /// What happened.
    pub outcome: Outcome,
}

/// Restore `asset` to `revision` (latest when None). Errors are one line for people.
pub async fn restore(
    access: &Access,
    inventory: &Inventory,
    resolver: &SecretResolver,
    store: &BackupStore,
    asset: &str,
    revision: Option<&str>,
    check: bool,
) -> Result<Restore, String> {
    let located = inventory
        .assets
        .iter()
        .find(|a| a.value.name == asset)
        .ok_or_else(|| format!("no asset `{asset}` in the inventory"))?;
    let (revision, wanted) = store.get(asset, revision).map_err(|e| e.to_string())?;
    let endpoint = access
        .endpoint(inventory, located, resolver)
        .map_err(|d| d.message.clone())?;
    let redactor = Redactor::from_secrets(&endpoint.secrets);
    let address = endpoint
        .address
        .ok_or_else(|| String::from("no address to contact (the asset has no `address`)"))?;
    let options = DriverOptions {
        timeouts: Timeouts::default(),
        enable: endpoint.enable.clone(),
        transcript: None,
        secrets: endpoint.secrets.clone(),
        // A file-based driver finds which file it manages in the backup's own header; a
        // backup taken before netparc managed the file has none: the intent's says.
        intended: Some(if wanted.starts_with("# netparc:") {
            wanted.clone()
        } else {
            intended_text(inventory, resolver, asset).unwrap_or_else(|| wanted.clone())
        }),
    };
    let mut device = driver::connect(
        &endpoint.platform,
        &endpoint.asset,
        address,
        &endpoint.ssh,
        options,
    )
    .await
    .map_err(|e| e.to_string())?;
    let result: Result<(String, Outcome), String> = async {
        let running = device.running_config().await.map_err(|e| e.to_string())?;
        let plan = device
            .plan(&wanted, &running, Mode::Replace)
            .map_err(|e| e.to_string())?;
        let diff = redactor.apply(&plan.diff);
        if plan.is_empty() {
            return Ok((diff, Outcome::AlreadyEqual));
        }
        if check {
            return Ok((diff, Outcome::WouldRestore));
        }
        let message = format!("before restoring {}", revision.short);
        let (saver, name, text) = (store.clone(), asset.to_string(), running.clone());
        let before = tokio::task::spawn_blocking(move || saver.save(&name, &text, &message))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("cannot back up the current configuration first: {e}"))?;
        device.restore(&wanted).await.map_err(|e| e.to_string())?;
        Ok((
            diff,
            Outcome::Restored {
                replaced: before.short,
            },
        ))
    }
    .await;
    device.close().await;
    let (diff, outcome) = result?;
    Ok(Restore {
        revision,
        diff,
        outcome,
    })
}

/// The asset's rendered intended configuration, when it has a template that renders.
fn intended_text(inventory: &Inventory, resolver: &SecretResolver, asset: &str) -> Option<String> {
    let templates = crate::check::load_templates(inventory).ok()?;
    let selector = crate::inventory::Selector::parse(&format!("name:{asset}")).ok()?;
    let (intents, _) = crate::intent::render_selected(inventory, &templates, resolver, &selector);
    intents
        .into_iter()
        .find(|i| i.asset == asset)
        .map(|i| i.text)
}
