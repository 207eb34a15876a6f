//! What a Linux twin keeps across lab runs: its `/etc` as it differs from the factory
//! (files with their content and mode, directories with their mode, factory entries that
//! were removed) and which units are enabled where that differs from the factory (systemd
//! keeps this as symlinks under `/etc`; the twin keeps a flag). Everything else — `/tmp`,
//! `/run`, loaded WireGuard peers, the journal — is runtime state a reboot loses anyway.
//!
//! The format is JSON (content in base64, modes in octal), versioned, sorted so the same
//! state always gives the same bytes (the lab writes only when they change). Pure: the lab
//! does the file I/O.

use super::fs::{Node, normalize, parent};
use super::state::{LinuxState, unit_kind};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `platform` every saved Linux twin carries.
const PLATFORM: &str = "linux";
/// The format version written; another one is refused, not guessed at.
const VERSION: u32 = 1;

/// The saved file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Saved {
    /// Always `linux`: a file meant for another platform is refused by its first field.
    platform: String,
    /// [`VERSION`].
    version: u32,
    /// Factory entries under `/etc` that are gone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    removed: Vec<String>,
    /// New or changed entries under `/etc`, parents before their children.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    files: Vec<Entry>,
    /// Units whose enablement differs from the factory's: unit → enabled.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    units: BTreeMap<String, bool>,
}

/// One entry under `/etc`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    /// Absolute, normalised path under `/etc/`.
    path: String,
    /// Permission bits in octal (`0600`), as `ls` and `chmod` speak of them.
    mode: String,
    /// The content in base64; absent for a directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content: Option<String>,
}

/// The factory's `/etc` and unit enablement, against which the saved difference is taken.
#[derive(Debug, Clone, Default)]
pub(crate) struct Factory {
    etc: BTreeMap<String, Node>,
    units: BTreeMap<String, bool>,
}

fn under_etc(path: &str) -> bool {
    path.starts_with("/etc/")
}

impl Factory {
    /// Remember the factory state of a twin just built.
    pub(crate) fn of(state: &LinuxState) -> Factory {
        Factory {
            etc: state
                .fs
                .paths()
                .filter(|p| under_etc(p))
                .filter_map(|p| Some((p.to_string(), state.fs.get(p)?.clone())))
                .collect(),
            units: state
                .units
                .iter()
                .map(|(name, unit)| (name.clone(), unit.enabled))
                .collect(),
        }
    }
}

/// The saved bytes of `state` (see the module documentation).
pub(crate) fn persisted(state: &LinuxState) -> Vec<u8> {
    let factory = &state.factory;
    let base64 = base64::engine::general_purpose::STANDARD;
    let mut saved = Saved {
        platform: PLATFORM.to_string(),
        version: VERSION,
        removed: factory
            .etc
            .keys()
            .filter(|p| state.fs.get(p).is_none())
            .cloned()
            .collect(),
        files: Vec::new(),
        units: BTreeMap::new(),
    };
    for path in state.fs.paths().filter(|p| under_etc(p)) {
        let Some(node) = state.fs.get(path) else {
            continue;
        };
        if factory.etc.get(path) == Some(node) {
            continue;
        }
        saved.files.push(Entry {
            path: path.to_string(),
            mode: format!("{:04o}", node.mode()),
            content: match node {
                Node::File { data, .. } => Some(base64.encode(data)),
                Node::Dir { .. } => None,
            },
        });
    }
    for (name, unit) in &state.units {
        if factory.units.get(name).copied().unwrap_or(false) != unit.enabled {
            saved.units.insert(name.clone(), unit.enabled);
        }
    }
    // Serialising plain strings, numbers and maps cannot fail; an empty answer would only
    // make the next start refuse the file and use the factory state.
    serde_json::to_vec_pretty(&saved).unwrap_or_default()
}

/// `state` with `saved` applied to its `/etc` and units (not yet rebooted), or why not.
pub(crate) fn apply(state: &LinuxState, saved: &[u8]) -> Result<LinuxState, String> {
    let saved: Saved = serde_json::from_slice(saved).map_err(|e| {
        if serde_json::from_slice::<serde_json::Value>(saved).is_err() {
            String::from("not a saved Linux twin: the file is not JSON")
        } else {
            format!("not a saved Linux twin: {e}")
        }
    })?;
    if saved.platform != PLATFORM {
        return Err(format!(
            "saved by a `{}` twin, not a Linux one",
            saved.platform
        ));
    }
    if saved.version != VERSION {
        return Err(format!(
            "saved in format version {}, this netparc reads version {VERSION}",
            saved.version
        ));
    }
    let base64 = base64::engine::general_purpose::STANDARD;
    let mut next = state.clone();
    for path in &saved.removed {
        let path = checked_path(path)?;
        // Already gone (removed with its parent) is fine.
        if next.fs.get(&path).is_some() {
            next.fs
                .remove_tree(&path)
                .map_err(|e| format!("{path}: {}", e.message()))?;
        }
    }
    for entry in &saved.files {
        let path = checked_path(&entry.path)?;
        let mode = u32::from_str_radix(&entry.mode, 8)
            .ok()
            .filter(|m| *m <= 0o7777)
            .ok_or_else(|| format!("{path}: mode `{}` is not octal permission bits", entry.mode))?;
        let fail = |e: super::fs::FsError| format!("{path}: {}", e.message());
        // A directory where a file was (or the reverse) replaces it whole.
        let is_dir = entry.content.is_none();
        if next.fs.get(&path).is_some_and(|n| n.is_dir() != is_dir) {
            next.fs.remove_tree(&path).map_err(fail)?;
        }
        next.fs.mkdir_all(parent(&path), 0o755).map_err(fail)?;
        match &entry.content {
            None => next.fs.mkdir_all(&path, mode).map_err(fail)?,
            Some(content) => {
                let data = base64
                    .decode(content)
                    .map_err(|e| format!("{path}: content is not base64: {e}"))?;
                next.fs.write(&path, &data, false, mode).map_err(fail)?;
            }
        }
        next.fs.set_mode(&path, mode).map_err(fail)?;
    }
    for (name, enabled) in &saved.units {
        match unit_kind(name) {
            Some((canonical, _)) if canonical == *name => next.set_unit_enabled(name, *enabled),
            _ => return Err(format!("unit `{name}` is not one this twin has")),
        }
    }
    Ok(next)
}

/// A saved path, refused unless it is normalised and under `/etc/` (a saved file never
/// reaches elsewhere on the twin's disk).
fn checked_path(path: &str) -> Result<String, String> {
    if under_etc(path) && normalize("/", path) == path {
        Ok(path.to_string())
    } else {
        Err(format!("`{path}` is not a path under /etc"))
    }
}
