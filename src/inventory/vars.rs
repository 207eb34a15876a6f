//! Precedence in one place, as Nornir does it: an asset's own value, then its groups in the
//! order it lists them (first wins), then the defaults. Variables merge key by key; the
//! credentials and the SNMP profile are taken whole from the first level that has one; the
//! SSH settings field by field.

use super::load::{Inventory, Located, Origin};
use super::model::{Asset, Credentials, GroupVars, SnmpProfile, SshAlgorithms, SshSettings};
use crate::secrets::SecretRef;
use crate::yaml::{PathSegment, YamlPath};
use std::collections::BTreeMap;

/// A value and the place it was written, so a finding about an inherited value points at the
/// group or defaults file that set it.
#[derive(Debug, Clone)]
pub struct Sourced<'a, T> {
    /// The value.
    pub value: &'a T,
    /// The file and path of the entity holding it.
    pub origin: &'a Origin,
    /// Path of the field below the origin (`credentials`, `vars.ntp_key`).
    pub field: YamlPath,
}

impl<'a, T> Sourced<'a, T> {
    /// The entity and full path of a sub-field, for locating it later if needed.
    pub fn at(&self, sub: &[PathSegment]) -> (&'a Origin, YamlPath) {
        let mut path = self.field.clone();
        path.extend_from_slice(sub);
        (self.origin, path)
    }

    /// Location of a sub-field of this value.
    pub fn locate(&self, sub: &[PathSegment]) -> crate::diag::SourceLocation {
        let mut path = self.field.clone();
        path.extend_from_slice(sub);
        self.origin.locate(&path)
    }
}

/// The levels that apply to an asset, highest precedence first: the asset, its groups in
/// order, the defaults. Unknown groups are skipped here (validation reports them).
pub fn levels<'a>(
    inventory: &'a Inventory,
    asset: &'a Located<Asset>,
) -> Vec<(&'a Origin, LevelView<'a>)> {
    let mut levels = vec![(&asset.origin, LevelView::Asset(&asset.value))];
    for group in &asset.value.groups {
        if let Some(found) = inventory.groups.get(group) {
            levels.push((&found.origin, LevelView::Group(&found.value)));
        }
    }
    levels.push((
        &inventory.defaults.origin,
        LevelView::Group(&inventory.defaults.value),
    ));
    levels
}

/// One level of precedence.
#[derive(Debug, Clone, Copy)]
pub enum LevelView<'a> {
    /// The asset itself.
    Asset(&'a Asset),
    /// A group or the defaults.
    Group(&'a GroupVars),
}

impl<'a> LevelView<'a> {
    fn vars(self) -> &'a BTreeMap<String, serde_json::Value> {
        match self {
            LevelView::Asset(asset) => &asset.vars,
            LevelView::Group(group) => &group.vars,
        }
    }
    fn secrets(self) -> &'a BTreeMap<String, SecretRef> {
        match self {
            LevelView::Asset(asset) => &asset.secrets,
            LevelView::Group(group) => &group.secrets,
        }
    }
    fn credentials(self) -> Option<&'a Credentials> {
        match self {
            LevelView::Asset(asset) => asset.credentials.as_deref(),
            LevelView::Group(group) => group.credentials.as_ref(),
        }
    }
    fn ssh(self) -> Option<&'a SshSettings> {
        match self {
            LevelView::Asset(asset) => asset.ssh.as_deref(),
            LevelView::Group(group) => group.ssh.as_ref(),
        }
    }
    fn snmp(self) -> Option<&'a SnmpProfile> {
        match self {
            LevelView::Asset(asset) => asset.snmp.as_deref(),
            LevelView::Group(group) => group.snmp.as_ref(),
        }
    }
}

/// The asset's variables after precedence.
pub fn merged_vars(
    inventory: &Inventory,
    asset: &Located<Asset>,
) -> BTreeMap<String, serde_json::Value> {
    let mut merged = BTreeMap::new();
    for (_, level) in levels(inventory, asset).into_iter().rev() {
        for (key, value) in level.vars() {
            merged.insert(key.clone(), value.clone());
        }
    }
    merged
}

/// The credentials that apply, and where they were written.
pub fn credentials<'a>(
    inventory: &'a Inventory,
    asset: &'a Located<Asset>,
) -> Option<Sourced<'a, Credentials>> {
    levels(inventory, asset)
        .into_iter()
        .find_map(|(origin, level)| {
            level.credentials().map(|value| Sourced {
                value,
                origin,
                field: vec![PathSegment::Key(String::from("credentials"))],
            })
        })
}

/// The SNMP profile that applies, and where it was written.
pub fn snmp<'a>(
    inventory: &'a Inventory,
    asset: &'a Located<Asset>,
) -> Option<Sourced<'a, SnmpProfile>> {
    levels(inventory, asset)
        .into_iter()
        .find_map(|(origin, level)| {
            level.snmp().map(|value| Sourced {
                value,
                origin,
                field: vec![PathSegment::Key(String::from("snmp"))],
            })
        })
}

/// The SSH port that applies (22 unless a level sets one).
pub fn ssh_port(inventory: &Inventory, asset: &Located<Asset>) -> u16 {
    levels(inventory, asset)
        .into_iter()
        .find_map(|(_, level)| level.ssh().and_then(|ssh| ssh.port))
        .map_or(22, |port| port.get())
}

/// The SSH connect and login timeout that applies (10 s unless a level sets one).
pub fn ssh_timeout(inventory: &Inventory, asset: &Located<Asset>) -> std::time::Duration {
    levels(inventory, asset)
        .into_iter()
        .find_map(|(_, level)| level.ssh().and_then(|ssh| ssh.timeout))
        .map_or(std::time::Duration::from_secs(10), |span| span.0)
}

/// The SSH algorithm set that applies, and where it was written (None: the default,
/// `modern`).
pub fn ssh_algorithms<'a>(
    inventory: &'a Inventory,
    asset: &'a Located<Asset>,
) -> Option<Sourced<'a, SshAlgorithms>> {
    levels(inventory, asset)
        .into_iter()
        .find_map(|(origin, level)| {
            level
                .ssh()
                .and_then(|ssh| ssh.algorithms.as_ref())
                .map(|value| Sourced {
                    value,
                    origin,
                    field: vec![
                        PathSegment::Key(String::from("ssh")),
                        PathSegment::Key(String::from("algorithms")),
                    ],
                })
        })
}

/// The named secrets that apply (`secrets:` maps, merged key by key like `vars`), each with
/// where its reference is written.
pub fn named_secrets<'a>(
    inventory: &'a Inventory,
    asset: &'a Located<Asset>,
) -> BTreeMap<String, Sourced<'a, SecretRef>> {
    let mut merged = BTreeMap::new();
    for (origin, level) in levels(inventory, asset).into_iter().rev() {
        for (name, reference) in level.secrets() {
            merged.insert(
                name.clone(),
                Sourced {
                    value: reference,
                    origin,
                    field: vec![
                        PathSegment::Key(String::from("secrets")),
                        PathSegment::Key(name.clone()),
                    ],
                },
            );
        }
    }
    merged
}
