//! TEMPORARY STUB (not committed): replaced by the backup branch.
use std::path::Path;
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BackupError(String);
pub struct BackupStore;
pub struct Revision {
    pub id: String,
    pub short: String,
    pub changed: bool,
}
impl BackupStore {
    pub fn open(_root: &Path) -> Result<BackupStore, BackupError> {
        Ok(BackupStore)
    }
    pub fn save(
        &self,
        _asset: &str,
        _config: &str,
        _message: &str,
    ) -> Result<Revision, BackupError> {
        Ok(Revision {
            id: "0".repeat(40),
            short: "0000000".into(),
            changed: true,
        })
    }
    pub fn get(
        &self,
        _asset: &str,
        _revision: Option<&str>,
    ) -> Result<(Revision, String), BackupError> {
        Err(BackupError("stub".into()))
    }
}
