//! `BackupError`: every way the backup store fails, each message saying what to do next.
//! Errors are `Clone` because one failed batch answers every caller waiting on it.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

/// Why a backup operation failed. Messages never hold configuration text.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BackupError {
    /// `git` could not be started.
    #[error(
        "git is not installed or not on PATH: netparc keeps configuration backups in a git \
         repository; install git (e.g. `apt-get install git`) and run again"
    )]
    GitMissing,
    /// The asset name cannot become a file name.
    #[error("invalid asset name {name:?} for a backup: {reason}")]
    InvalidAsset {
        /// The name as given.
        name: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// A revision that is not a (possibly abbreviated) hexadecimal commit hash.
    #[error(
        "invalid revision {revision:?}: expected a commit hash, full or abbreviated \
         (at least 4 hexadecimal digits), as `netparc backup history` shows"
    )]
    InvalidRevision {
        /// The revision as given.
        revision: String,
    },
    /// The asset has never been backed up.
    #[error("{asset} has no backup yet: run `netparc backup --limit {asset}` first")]
    NoBackup {
        /// The asset.
        asset: String,
    },
    /// The revision does not name a backup of this asset.
    #[error("{asset} has no backup at revision {revision:?}; latest revisions: {latest}")]
    UnknownRevision {
        /// The asset.
        asset: String,
        /// The revision as given.
        revision: String,
        /// The asset's latest few revisions, formatted `short (date) message`, `; `-separated.
        latest: String,
    },
    /// `state/backups` exists but is not a repository netparc can use; left untouched.
    #[error(
        "{}: {detail}; it was left untouched: inspect it (`git -C {} fsck`), repair it or \
         move it aside so netparc starts a new backup history",
        path.display(), path.display()
    )]
    Corrupt {
        /// The backup folder.
        path: PathBuf,
        /// What is wrong, git's own words included.
        detail: String,
    },
    /// The branch moved under netparc's feet (something other than netparc committed).
    #[error(
        "{}: the backup branch kept moving while netparc committed (is another tool writing \
         to this repository?); nothing was lost, run the backup again",
        path.display()
    )]
    Contended {
        /// The backup folder.
        path: PathBuf,
    },
    /// Another process held the backup lock for too long.
    #[error(
        "{}: another netparc process has held the backup lock for {seconds} s; wait for it \
         to finish, or check that no netparc process is stuck",
        path.display()
    )]
    LockTimeout {
        /// The lock file.
        path: PathBuf,
        /// How long we waited.
        seconds: u64,
    },
    /// A file system operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: Arc<io::Error>,
    },
    /// A git command failed unexpectedly.
    #[error(
        "git {command} failed in {}: {stderr}; check the repository with `git -C {} fsck`",
        path.display(), path.display()
    )]
    Git {
        /// The backup folder.
        path: PathBuf,
        /// The git subcommand.
        command: String,
        /// What git printed (never configuration text: only plumbing commands' messages).
        stderr: String,
    },
    /// Saves reached the journal but their git commit failed: this process takes no more
    /// backups (its devices must not be changed on a store that cannot commit).
    #[error(
        "{}: backups taken earlier in this run could not be committed to git ({cause}); they \
         are kept in the store's journal and committed when it is next opened; fix the cause \
         and run again",
        path.display()
    )]
    Stalled {
        /// The backup folder.
        path: PathBuf,
        /// Why the commit failed.
        cause: Arc<BackupError>,
    },
    /// The writer of this process stopped abnormally (a bug); the batch was not committed.
    #[error(
        "the backup writer stopped unexpectedly; nothing was committed for this asset, run the backup again"
    )]
    WriterFailed,
}

impl BackupError {
    pub(super) fn io(path: impl Into<PathBuf>, source: io::Error) -> BackupError {
        BackupError::Io {
            path: path.into(),
            source: Arc::new(source),
        }
    }
}
