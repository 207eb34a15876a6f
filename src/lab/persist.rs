//! What twins keep from one lab run to the next, on disk: one file per twin under the lab's
//! state folder, `devices/<asset><suffix>` (the suffix names the platform:
//! [`platforms::saved_suffix`]), holding the bytes its platform persists
//! ([`PlatformState::persisted`](super::device::PlatformState::persisted)). Files are 0600
//! (an IOS configuration holds hashed secrets, a Linux `/etc` WireGuard keys) in a 0700
//! folder, and replaced atomically, so a killed lab leaves the previous file or the new one,
//! never half of one.
//!
//! The only module of the lab that reads or writes these files: the platforms stay pure,
//! the lab asks this module at start and hands it to each device as its
//! [`SaveSink`]; `netparc lab reset` removes the files.

use super::device::{DeviceSpec, Platform, SaveSink};
use super::platforms;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The folder under the lab's state folder that holds the twins' saved state.
pub const FOLDER: &str = "devices";

/// Largest saved file read back: above anything a twin can persist (a Linux twin's disk is
/// capped at 64 MiB, base64 adds a third), low enough that a wrong file cannot exhaust memory.
const MAX_SAVED_BYTES: u64 = 96 << 20;

/// The saved-state folder of one lab.
#[derive(Debug, Clone)]
pub struct SavedStates {
    /// `<state_dir>/devices`.
    dir: PathBuf,
    /// `<state_dir>/boots`: when each twin last booted (see [`SavedStates::load_boot`]).
    boots: PathBuf,
}

/// A saved file found for a twin that cannot be used, with why (for the lab's warnings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable {
    /// The file.
    pub path: PathBuf,
    /// Why it is ignored.
    pub reason: String,
}

impl SavedStates {
    /// The saved states under a lab's state folder (nothing is created until a twin saves).
    pub fn new(state_dir: &Path) -> SavedStates {
        SavedStates {
            dir: state_dir.join(FOLDER),
            boots: state_dir.join("boots"),
        }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file that keeps what a twin of `platform` named `asset` saved; None when the
    /// platform keeps nothing, or when the name cannot be a file name of this folder (a
    /// slash, a leading dot): such a twin simply starts from factory every time.
    pub fn file(&self, asset: &str, platform: Platform) -> Option<PathBuf> {
        let suffix = platforms::saved_suffix(platform)?;
        usable_name(asset).then(|| self.dir.join(format!("{asset}{suffix}")))
    }

    /// Every saved file of `asset`, whatever its platform.
    pub fn files_of(&self, asset: &str) -> Vec<PathBuf> {
        platforms::ALL
            .iter()
            .filter_map(|&platform| self.file(asset, platform))
            .filter(|path| path.exists())
            .collect()
    }

    /// What the twin of `spec` saved on an earlier run, if anything; files that exist but
    /// cannot be used (another platform's, unreadable) come back in `unusable`.
    pub fn load(&self, spec: &DeviceSpec, unusable: &mut Vec<Unusable>) -> Option<Vec<u8>> {
        for &other in platforms::ALL.iter().filter(|&&p| p != spec.platform) {
            if let Some(path) = self.file(&spec.name, other).filter(|p| p.exists()) {
                unusable.push(Unusable {
                    path,
                    reason: format!(
                        "saved by {} twin, but `{}` is now {} twin",
                        platform_name(other),
                        spec.name,
                        platform_name(spec.platform)
                    ),
                });
            }
        }
        let path = self.file(&spec.name, spec.platform)?;
        match read_saved(&path) {
            Ok(bytes) => bytes,
            Err(reason) => {
                unusable.push(Unusable { path, reason });
                None
            }
        }
    }

    /// When the twin of `asset` last booted (UNIX milliseconds) and how many times it had booted:
    /// a lab process that stops and starts again is not a reboot of its twins, so their
    /// sysUpTime goes on from there (a device that kept running), and `netparc verify` run
    /// twice against the lab does not see a restart. None when never recorded.
    pub fn load_boot(&self, asset: &str) -> Option<(u64, u32)> {
        if !usable_name(asset) {
            return None;
        }
        let text = std::fs::read_to_string(self.boots.join(asset)).ok()?;
        let mut words = text.split_whitespace();
        let millis = words.next()?.parse().ok()?;
        let boots = words.next()?.parse().ok()?;
        Some((millis, boots))
    }

    /// Record a boot of the twin of `asset` (at start from factory, and at every reboot).
    pub fn store_boot(&self, asset: &str, unix_millis: u64, boots: u32) -> Result<(), String> {
        if !usable_name(asset) {
            return Ok(());
        }
        let path = self.boots.join(asset);
        crate::fsutil::create_private_dir(&self.boots)
            .and_then(|()| {
                crate::fsutil::write_file(
                    &path,
                    format!("{unix_millis} {boots}\n").as_bytes(),
                    0o600,
                )
            })
            .map_err(|error| format!("{}: {error}", path.display()))
    }

    /// Remove the saved state of the named assets, or of every twin when `assets` is None.
    /// Returns the files removed. Host keys stay: a reset twin keeps its identity, so
    /// known_hosts entries remain valid.
    pub fn reset(&self, assets: Option<&[String]>) -> std::io::Result<Vec<PathBuf>> {
        let files: Vec<PathBuf> = match assets {
            Some(names) => names.iter().flat_map(|n| self.files_of(n)).collect(),
            None => match std::fs::read_dir(&self.dir) {
                Ok(entries) => entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| is_saved_file(p))
                    .collect(),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                Err(error) => return Err(error),
            },
        };
        // A reset twin is a factory twin that just booted: its boot record goes too (not
        // listed among the files removed: it holds no configuration).
        let boots: Vec<PathBuf> = match assets {
            Some(names) => names.iter().map(|n| self.boots.join(n)).collect(),
            None => std::fs::read_dir(&self.boots)
                .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
                .unwrap_or_default(),
        };
        for boot in boots {
            let _ = std::fs::remove_file(boot);
        }
        let mut removed = Vec::new();
        for file in files {
            match std::fs::remove_file(&file) {
                Ok(()) => removed.push(file),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(error),
            }
        }
        removed.sort();
        Ok(removed)
    }
}

impl SaveSink for SavedStates {
    fn store_boot(&self, spec: &DeviceSpec, unix_millis: u64, boots: u32) -> Result<(), String> {
        SavedStates::store_boot(self, &spec.name, unix_millis, boots)
    }

    fn store(&self, spec: &DeviceSpec, saved: &[u8]) -> Result<(), String> {
        let Some(path) = self.file(&spec.name, spec.platform) else {
            return Ok(());
        };
        crate::fsutil::create_private_dir(&self.dir)
            .and_then(|()| crate::fsutil::write_file(&path, saved, 0o600))
            .map_err(|error| format!("{}: {error}", path.display()))
    }
}

/// The asset name of a saved file, when `path` is one (`sw1.ios.cfg` → `sw1`).
pub fn asset_of(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    platforms::ALL
        .iter()
        .filter_map(|&p| platforms::saved_suffix(p))
        .find_map(|suffix| name.strip_suffix(suffix))
        .filter(|asset| usable_name(asset))
        .map(str::to_string)
}

fn is_saved_file(path: &Path) -> bool {
    path.is_file() && asset_of(path).is_some()
}

/// A name that is one plain file name in the folder: not empty, no slash, no NUL, not
/// hidden (tempfiles of the atomic writes start with a dot).
fn usable_name(asset: &str) -> bool {
    !asset.is_empty() && !asset.starts_with('.') && !asset.contains(['/', '\0'])
}

/// The platform with its article, for messages.
fn platform_name(platform: Platform) -> &'static str {
    match platform {
        Platform::Ios => "an IOS",
        Platform::Linux => "a Linux",
        Platform::Host => "an end-device",
    }
}

/// The file's bytes; Ok(None) when there is none. Only a regular file is opened (a FIFO
/// would block the lab's start), and only up to [`MAX_SAVED_BYTES`].
fn read_saved(path: &Path) -> Result<Option<Vec<u8>>, String> {
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error.to_string()),
    };
    if !metadata.is_file() {
        return Err(String::from("not a regular file"));
    }
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(MAX_SAVED_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_SAVED_BYTES {
        return Err(format!("larger than {} MiB", MAX_SAVED_BYTES >> 20));
    }
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_carry_the_platform_and_refuse_odd_asset_names() {
        let saved = SavedStates::new(Path::new("/x/state/lab"));
        assert_eq!(
            saved.file("sw1", Platform::Ios),
            Some(PathBuf::from("/x/state/lab/devices/sw1.ios.cfg"))
        );
        assert_eq!(
            saved.file("gw", Platform::Linux),
            Some(PathBuf::from("/x/state/lab/devices/gw.linux.json"))
        );
        assert_eq!(saved.file("pc1", Platform::Host), None);
        assert_eq!(saved.file("../sw1", Platform::Ios), None);
        assert_eq!(saved.file(".hidden", Platform::Ios), None);
        assert_eq!(
            asset_of(Path::new("/d/sw-hq-02.ios.cfg")),
            Some(String::from("sw-hq-02"))
        );
        assert_eq!(asset_of(Path::new("/d/.tmpXYZ")), None);
        assert_eq!(asset_of(Path::new("/d/notes.txt")), None);
    }
}
