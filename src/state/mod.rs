//! The verified state netparc writes back into an inventory: one netparc-owned YAML file per
//! asset under `state/assets/`, never a human-owned file. A file holds named sections —
//! `verification` (what the probes saw), `last_change` (the last run that changed the asset
//! and its backup revision) — each written by its owner through [`StateStore::update`].
//!
//! Writes are atomic (a temporary file in the same folder, fsync, rename, fsync of the
//! folder: a crash leaves the previous or the next complete file) and serialised across
//! processes by `state/assets.lock`, held for the read-modify-write of each update, so a
//! daemon and a technician's run never lose each other's sections. A file that no longer
//! parses (hand-edited) is an error naming its line and column, and is never overwritten.

use crate::fsutil::{self, FileLock};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How long an update waits for another process's update.
const LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// The first lines of every state file: who owns it.
const HEADER: &str = "# Written by netparc: the verified state of this asset. Do not edit: netparc\n# rewrites it after each verification or change (human-owned files are elsewhere).\n";

/// Why the state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The file exists but is not a valid state file.
    #[error(
        "{path}:{line}:{column}: the state file is not valid YAML ({message}); netparc leaves it untouched: fix it, or delete it and the next verification writes a fresh one"
    )]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Line (1-based; 0 when unknown).
        line: u32,
        /// Column.
        column: u32,
        /// The parser's message.
        message: String,
    },
    /// The asset name cannot be a file name.
    #[error("`{0}` cannot name a state file (no `/`, no leading `.`, no control characters)")]
    InvalidAsset(String),
    /// Reading, writing or locking failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
}

/// One asset's sections, by section name.
pub type Sections = Map<String, Value>;

/// The state files of one inventory.
#[derive(Debug, Clone)]
pub struct StateStore {
    dir: PathBuf,
    lock: PathBuf,
}

impl StateStore {
    /// The store of the inventory at `root` (`state/assets/`, created on first write).
    pub fn open(root: &Path) -> StateStore {
        let state = root.join("state");
        StateStore {
            dir: state.join("assets"),
            lock: state.join("assets.lock"),
        }
    }

    /// The folder holding the files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of `asset`.
    pub fn path(&self, asset: &str) -> Result<PathBuf, StateError> {
        let valid = !asset.is_empty()
            && !asset.starts_with('.')
            && !asset.contains('/')
            && !asset.contains('\\')
            && !asset.chars().any(char::is_control);
        if !valid {
            return Err(StateError::InvalidAsset(asset.to_string()));
        }
        Ok(self.dir.join(format!("{asset}.yml")))
    }

    /// The sections of `asset`'s file (empty when it has none yet).
    pub fn load(&self, asset: &str) -> Result<Map<String, Value>, StateError> {
        let path = self.path(asset)?;
        read(&path)
    }

    /// One section of `asset`'s file, if present.
    pub fn section(&self, asset: &str, section: &str) -> Result<Option<Value>, StateError> {
        Ok(self.load(asset)?.remove(section))
    }

    /// Every asset's sections, by asset name. A file that does not parse is an error (the
    /// others are still returned beside it).
    pub fn load_all(&self) -> (Vec<(String, Sections)>, Vec<StateError>) {
        let mut states = Vec::new();
        let mut errors = Vec::new();
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return (states, errors);
            }
            Err(source) => {
                errors.push(StateError::Io {
                    path: self.dir.clone(),
                    source,
                });
                return (states, errors);
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|x| x == "yml")
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        paths.sort();
        for path in paths {
            let asset = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            match read(&path) {
                Ok(sections) => states.push((asset, sections)),
                Err(error) => errors.push(error),
            }
        }
        (states, errors)
    }

    /// Replace `section` of `asset`'s file with `value`, keeping every other section, under
    /// the lock. The file's `updated` field records when.
    pub fn update(&self, asset: &str, section: &str, value: Value) -> Result<(), StateError> {
        self.update_many(&[(asset.to_string(), section.to_string(), value)])
    }

    /// Replace `section` with what `change` makes of its current value (None when absent),
    /// under the lock: a read-modify-write no other process can interleave with.
    pub fn modify(
        &self,
        asset: &str,
        section: &str,
        change: impl FnOnce(Option<&Value>) -> Value,
    ) -> Result<(), StateError> {
        let _lock = self.lock()?;
        let path = self.path(asset)?;
        let mut sections = read(&path)?;
        let value = change(sections.get(section));
        sections.insert(section.to_string(), value);
        write(&path, asset, sections)
    }

    fn lock(&self) -> Result<FileLock, StateError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StateError::Io { path, source }
        };
        fsutil::create_private_dir(&self.dir).map_err(io(&self.dir))?;
        FileLock::acquire(&self.lock, LOCK_TIMEOUT).map_err(io(&self.lock))
    }

    /// Several updates under one lock acquisition (a daemon flushing many assets).
    pub fn update_many(&self, updates: &[(String, String, Value)]) -> Result<(), StateError> {
        let _lock = self.lock()?;
        for (asset, section, value) in updates {
            let path = self.path(asset)?;
            let mut sections = read(&path)?;
            sections.insert(section.clone(), value.clone());
            write(&path, asset, sections)?;
        }
        Ok(())
    }
}

/// Write a state file (the caller holds the lock).
fn write(path: &Path, asset: &str, mut sections: Map<String, Value>) -> Result<(), StateError> {
    sections.insert(String::from("asset"), Value::String(asset.to_string()));
    sections.insert(
        String::from("updated"),
        Value::String(crate::inventory::date::Date::timestamp(SystemTime::now())),
    );
    let mut text = String::from(HEADER);
    let body = crate::yaml::to_string(&sections).map_err(|message| StateError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(message),
    })?;
    text.push_str(&body);
    fsutil::write_file(path, text.as_bytes(), 0o600).map_err(|source| StateError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn read(path: &Path) -> Result<Map<String, Value>, StateError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Map::new()),
        Err(source) => {
            return Err(StateError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    match crate::yaml::parse::<Option<Map<String, Value>>>(&text, path, &[]) {
        Ok((loaded, _)) => Ok(loaded.value.unwrap_or_default()),
        Err(found) => {
            let first = found.iter().next();
            let (line, column) = first
                .and_then(|d| d.location.as_ref())
                .map_or((0, 0), |l| (l.line, l.column));
            Err(StateError::Invalid {
                path: path.to_path_buf(),
                line,
                column,
                message: first.map_or_else(|| String::from("unreadable"), |d| d.message.clone()),
            })
        }
    }
}
