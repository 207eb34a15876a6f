//! `netparc check` as a library call: load, validate, render every asset, audit, validate
//! every playbook. Touches no device. The report is what both the text and JSON outputs
//! show.

use crate::diag::{Diagnostic, Diagnostics, SourceLocation};
use crate::intent::{CachedResolver, render_selected};
use crate::inventory::{Inventory, Selector};
use crate::render::TemplateSet;
use crate::secrets::{SecretResolver, StorePaths};
use serde::Serialize;
use std::path::Path;

/// What a check found.
#[derive(Debug, Serialize)]
pub struct CheckReport {
    /// The inventory folder.
    pub inventory: String,
    /// Assets loaded.
    pub assets: usize,
    /// Assets selected by `--limit`.
    pub selected: usize,
    /// Configurations rendered.
    pub rendered: usize,
    /// Templates loaded.
    pub templates: usize,
    /// Playbooks validated.
    pub playbooks: usize,
    /// Errors found.
    pub errors: usize,
    /// Warnings found.
    pub warnings: usize,
    /// Every finding, sorted by file and line.
    pub diagnostics: Diagnostics,
}

impl CheckReport {
    /// The closing line of the text output.
    pub fn summary(&self) -> String {
        let verdict = if self.errors > 0 { "FAILED" } else { "ok" };
        format!(
            "check {verdict}: {} assets ({} selected), {} rendered, {} templates, {} playbooks — {} errors, {} warnings",
            self.assets,
            self.selected,
            self.rendered,
            self.templates,
            self.playbooks,
            self.errors,
            self.warnings
        )
    }
}

/// Open the secrets resolver an inventory's settings describe. The identity path may be
/// relative to the inventory or start with `~/`; `NETPARC_IDENTITY` still wins over it.
pub fn open_resolver(inventory: &Inventory) -> SecretResolver {
    let settings = &inventory.settings.value.secrets;
    let identity = identity_path(&inventory.root, settings.identity.as_deref());
    SecretResolver::new(
        &inventory.root,
        Some(StorePaths {
            store: inventory.root.join(&settings.store),
            recipients: inventory.root.join(&settings.recipients),
            identity,
        }),
    )
}

/// The inventory's secrets store opened for reading and writing, with the identity the
/// settings name (or `NETPARC_IDENTITY`, or the user's): what `netparc secrets` and
/// onboarding change.
pub fn open_secret_store(
    root: &Path,
    settings: &crate::inventory::model::SecretsSettings,
) -> Result<crate::secrets::store::SecretStore, crate::secrets::SecretError> {
    let identity = identity_path(root, settings.identity.as_deref());
    let location =
        crate::secrets::store::locate_identity_for_inventory(root, identity.as_deref(), &|name| {
            std::env::var_os(name)
        })?;
    crate::secrets::store::SecretStore::open_with_identity(
        root.join(&settings.store),
        root.join(&settings.recipients),
        &location,
    )
}

/// The identity named in the settings, made absolute: relative to the inventory, or to the
/// home folder when it starts with `~/`.
pub fn identity_path(root: &Path, identity: Option<&str>) -> Option<std::path::PathBuf> {
    identity.map(|path| match path.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME")
            .map(std::path::PathBuf::from)
            .unwrap_or_default()
            .join(rest),
        None => root.join(path),
    })
}

/// Load templates, turning a missing folder into a located diagnostic.
pub fn load_templates(inventory: &Inventory) -> Result<TemplateSet, Diagnostics> {
    let dir = inventory.templates_dir();
    if !dir.is_dir() {
        return Err(Diagnostic::error(
            "inventory.missing-templates",
            format!("templates folder {} does not exist", dir.display()),
        )
        .at(inventory
            .settings
            .origin
            .locate(&crate::ypath!["templates"]))
        .hint("set `templates:` in netparc.yml to the folder holding the .tera files")
        .into());
    }
    TemplateSet::load(&dir)
}

/// Run every check on the inventory at `root`, for the assets `limit` selects.
pub fn check(root: &Path, limit: &Selector) -> CheckReport {
    check_keeping(root, limit).0
}

/// [`check`], also handing back the loaded inventory (a command that exits right after can
/// skip freeing it, which takes a noticeable time for thousands of assets).
pub fn check_keeping(root: &Path, limit: &Selector) -> (CheckReport, Option<Inventory>) {
    let outcome = Inventory::load(root);
    let mut diagnostics = outcome.diagnostics;
    let mut report = CheckReport {
        inventory: root.display().to_string(),
        assets: 0,
        selected: 0,
        rendered: 0,
        templates: 0,
        playbooks: 0,
        errors: 0,
        warnings: 0,
        diagnostics: Diagnostics::new(),
    };
    if let Some(inventory) = &outcome.inventory {
        report.assets = inventory.assets.len();
        report.selected = inventory
            .assets
            .iter()
            .filter(|a| limit.matches(&a.value))
            .count();
        if !limit.is_all() && report.selected == 0 {
            diagnostics.push(Diagnostic::error(
                "inventory.limit-matches-nothing",
                format!("--limit `{limit}` matches no asset"),
            ));
        }
        diagnostics.extend(crate::inventory::validate::validate(inventory));
        diagnostics.extend(crate::daemon::policy::validate(inventory));
        let resolver = open_resolver(inventory);
        match load_templates(inventory) {
            Ok(templates) => {
                report.templates = templates.names().len();
                let (intents, found) = render_selected(inventory, &templates, &resolver, limit);
                report.rendered = intents.len();
                diagnostics.extend(found);
                let mut secrets = CachedResolver::new(&resolver);
                let mut audit = crate::audit::audit(inventory, limit, &intents, &mut secrets);
                crate::audit::apply_policy(inventory, &mut audit);
                diagnostics.extend(audit);
            }
            Err(found) => diagnostics.extend(found),
        }
        let (count, found) = check_playbooks(&inventory.playbooks_dir(), Some(inventory));
        report.playbooks = count;
        diagnostics.extend(found);
    }
    diagnostics.merge_repeats();
    diagnostics.sort();
    report.errors = diagnostics.error_count();
    report.warnings = diagnostics.warning_count();
    report.diagnostics = diagnostics;
    (report, outcome.inventory)
}

/// Validate every playbook of a folder (schema, and targets against the inventory).
pub fn check_playbooks(dir: &Path, inventory: Option<&Inventory>) -> (usize, Diagnostics) {
    let mut diagnostics = Diagnostics::new();
    let files = crate::inventory::load::yaml_files(dir);
    for file in &files {
        match crate::playbook::load_playbook(file) {
            Ok((playbook, origin, found)) => {
                diagnostics.extend(found);
                diagnostics.extend(crate::playbook::validate_playbook(
                    &playbook, &origin, inventory,
                ));
            }
            Err(found) => diagnostics.extend(found),
        }
    }
    if !dir.is_dir() {
        diagnostics.push(
            Diagnostic::warning(
                "inventory.missing-playbooks",
                format!("playbooks folder {} does not exist", dir.display()),
            )
            .at(SourceLocation::file(dir)),
        );
    }
    (files.len(), diagnostics)
}
