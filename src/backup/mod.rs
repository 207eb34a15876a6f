//! Configuration backups in git, as Oxidized keeps them: before any change the running
//! configuration of a device is saved, one commit per device per change, so history and
//! diffs come free.
//!
//! # Layout
//! `<inventory>/state/backups/` (netparc-owned, mode 0700) holds `<asset>.cfg` per device
//! and git's own `.git/` — a bare repository (`core.bare = true`) whose branch `main` is the
//! backup history. The `.cfg` files are a readable copy of the latest commit for people to
//! `cat` and `grep`, written 0600; edits to them are ignored (the commits are the backups).
//! `state/backups.lock` serialises writers across processes. `.git/netparc-journal` is the
//! write-ahead journal a save is durable in before its commit lands (see `writer.rs`). An
//! inventory kept in git should ignore both (the backups are their own repository).
//!
//! # Files
//! - `mod.rs` — [`BackupStore`]: opening (and creating) the repository, validating names and
//!   revisions, and the read side: [`BackupStore::history`], [`BackupStore::get`],
//!   [`BackupStore::diff`].
//! - `writer.rs` — the write side: the in-process group-commit queue, the cross-process lock,
//!   commit ids computed ahead, the committer thread (one `git fast-import` per batch, the
//!   compare-and-swap of the branch), the readable copies.
//! - `journal.rs` — the write-ahead journal a save is durable in before git has run.
//! - `git.rs` — running `git` in an isolated environment, blob ids, plumbing parsers.
//! - `error.rs` — [`BackupError`].
//!
//! # Commits
//! One per device per change, message `<asset>: <message>`, author and committer the user's
//! git identity when their configuration has one, else `netparc <netparc@localhost>`.
//! Saving an unchanged configuration commits nothing and answers the revision that last
//! changed it. Messages are the caller's change reference, never configuration text.
//!
//! # Why the git command line
//! No crate: `gix` (85 `gix-*` crates, ~38 s more to compile here) or `git2` (libgit2 in C)
//! would add build time and binary size for what a handful of plumbing commands do, and the
//! command line keeps git's own locking and ref-transaction semantics. `git` must be
//! installed; [`BackupError::GitMissing`] says so.
//!
//! Architecture invariant: this module never contacts a device and knows nothing of
//! drivers; callers hand it configuration text.

mod error;
mod git;
mod journal;
mod writer;

#[cfg(test)]
mod tests;

pub use error::BackupError;

use git::{Git, ObjectFormat};
use serde::Serialize;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use writer::{FileLock, Job, Writer};

/// Committer identity when the user's git configuration names none.
const DEFAULT_IDENTITY: &str = "netparc <netparc@localhost>";

/// How many revisions an "unknown revision" error lists.
const LATEST_LISTED: usize = 5;

/// Longest asset name: `<asset>.cfg` must fit a 255-byte file name.
const MAX_ASSET_LEN: usize = 200;

/// The backup repository of one inventory. Cheap to clone (shared); `Send + Sync`.
///
/// Every method blocks on git processes: from async code call it through
/// `tokio::task::spawn_blocking` (a clone moves into the closure). Concurrent
/// [`save`](BackupStore::save)s are committed together by one writer, still one commit each.
#[derive(Clone)]
pub struct BackupStore {
    inner: Arc<Inner>,
}

struct Inner {
    /// How to run git on this repository.
    git: Git,
    /// The branch holding the history (`refs/heads/main` unless someone changed HEAD).
    branch: String,
    /// The write side, shared by every clone so a process has one writer.
    writer: Writer,
}

/// One backup revision of an asset, as [`BackupStore::save`] and [`BackupStore::get`] give it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revision {
    /// The full commit hash.
    pub id: String,
    /// Its first 12 digits, for people (unambiguous in any realistic history).
    pub short: String,
    /// True when `save` made a new commit; false for an unchanged configuration (and for
    /// revisions that were looked up rather than saved).
    pub changed: bool,
}

/// One line of an asset's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The full commit hash.
    pub id: String,
    /// Its first 12 digits.
    pub short: String,
    /// Commit time, seconds since the Unix epoch (UTC).
    pub time: i64,
    /// The message given to `save`.
    pub message: String,
}

impl Entry {
    /// `YYYY-MM-DD HH:MM UTC`, how errors and listings show the time.
    pub fn time_utc(&self) -> String {
        let days = self.time.div_euclid(86_400);
        let seconds = self.time.rem_euclid(86_400);
        format!(
            "{} {:02}:{:02} UTC",
            crate::inventory::date::Date::from_days_since_epoch(days),
            seconds / 3600,
            seconds % 3600 / 60
        )
    }
}

/// The first 12 digits of a commit hash.
pub(crate) fn short(id: &str) -> String {
    id.chars().take(12).collect()
}

/// Check that `asset` can safely become `<asset>.cfg` inside the backup folder.
pub fn validate_asset(asset: &str) -> Result<(), BackupError> {
    let reason = if asset.is_empty() {
        Some("it is empty")
    } else if asset.len() > MAX_ASSET_LEN {
        Some("it is longer than 200 bytes")
    } else if asset.contains('/') {
        Some("it contains `/`")
    } else if asset.contains("..") {
        Some("it contains `..`")
    } else if asset.starts_with('.') {
        Some("it starts with `.`")
    } else if asset.chars().any(char::is_control) {
        Some("it contains a control character")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(BackupError::InvalidAsset {
            name: asset.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

/// A commit message fit for one line of `git log`: control characters become spaces.
/// Callers pass change references, never configuration text (commits are not secret-free
/// otherwise).
fn clean_message(message: &str) -> String {
    let cleaned: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() {
        "backup".to_string()
    } else {
        cleaned.to_string()
    }
}

impl BackupStore {
    /// Open the backup repository of the inventory at `inventory_root`, creating
    /// `state/backups/` on first use. An existing folder that is not a usable repository is
    /// an error and is never modified.
    pub fn open(inventory_root: &Path) -> Result<BackupStore, BackupError> {
        let state = inventory_root.join("state");
        let dir = state.join("backups");
        let lock_path = state.join("backups.lock");
        let git = Git::new(&dir);
        if std::fs::symlink_metadata(&git.git_dir).is_err() {
            create(inventory_root, &state, &dir, &lock_path)?;
        }
        let format = check_repository(&git)?;
        let branch = head_branch(&git)?;
        keep_private(&dir)?;
        let identity = identity(&git);
        let writer = Writer::new(git.clone(), format, branch.clone(), lock_path, identity)?;
        writer.recover()?;
        Ok(BackupStore {
            inner: Arc::new(Inner {
                git,
                branch,
                writer,
            }),
        })
    }

    /// The backup folder (`<inventory>/state/backups`).
    pub fn path(&self) -> &Path {
        &self.inner.git.dir
    }

    /// Save `config` as the latest backup of `asset`: one commit whose message is
    /// `<asset>: <message>`. An unchanged configuration makes no commit and returns the
    /// revision that last changed it, with `changed: false`. Returns once the backup is
    /// durable (flushed to the store's journal) with the revision its commit has; the commit
    /// itself follows (see [`BackupStore::flush`]). Blocking (see [`BackupStore`]).
    pub fn save(&self, asset: &str, config: &str, message: &str) -> Result<Revision, BackupError> {
        validate_asset(asset)?;
        self.inner.writer.save(Job {
            asset: asset.to_string(),
            config: config.to_string(),
            message: clean_message(message),
        })
    }

    /// Wait until every save answered so far is committed to git (a save returns once its
    /// backup is durable in the store's journal; git follows within milliseconds). The error
    /// that stalled the store, if a commit failed: the saves it answered are in the journal
    /// and reach git when the store is next opened. Blocking.
    pub fn flush(&self) -> Result<(), BackupError> {
        self.inner.writer.flush()
    }

    /// The revisions that changed `asset`, newest first (empty when never backed up).
    pub fn history(&self, asset: &str) -> Result<Vec<Entry>, BackupError> {
        validate_asset(asset)?;
        self.log(asset, None)
    }

    /// The configuration of `asset` at `revision` (a full or abbreviated commit hash, any
    /// revision of the history), or its latest backup when `None`.
    pub fn get(
        &self,
        asset: &str,
        revision: Option<&str>,
    ) -> Result<(Revision, String), BackupError> {
        validate_asset(asset)?;
        let id = match revision {
            Some(revision) => self.resolve(asset, revision)?,
            None => self
                .log(asset, Some(1))?
                .into_iter()
                .next()
                .map(|entry| entry.id)
                .ok_or_else(|| BackupError::NoBackup {
                    asset: asset.to_string(),
                })?,
        };
        let config = self
            .blob(asset, &id)?
            .ok_or_else(|| self.unknown(asset, revision.unwrap_or(&id)))?;
        Ok((
            Revision {
                short: short(&id),
                id,
                changed: false,
            },
            config,
        ))
    }

    /// A unified diff of `asset` from revision `from` to `to` (the latest when `None`);
    /// empty when the configuration is the same.
    pub fn diff(&self, asset: &str, from: &str, to: Option<&str>) -> Result<String, BackupError> {
        validate_asset(asset)?;
        let from_id = self.resolve(asset, from)?;
        let to_id = match to {
            Some(to) => self.resolve(asset, to)?,
            None => self.inner.branch.clone(),
        };
        let path = format!("{asset}.cfg");
        for (revision, id) in [(from, &from_id), (to.unwrap_or(from), &to_id)] {
            let spec = format!("{id}:{path}");
            let present = self
                .inner
                .git
                .output(
                    {
                        let mut command = self.inner.git.command();
                        command.args(["cat-file", "-e"]).arg(&spec);
                        command
                    },
                    None,
                )?
                .status
                .success();
            if !present {
                return Err(self.unknown(asset, revision));
            }
        }
        let out = self.inner.git.run(
            &[
                "diff".as_ref(),
                "--no-color".as_ref(),
                "--no-ext-diff".as_ref(),
                "--no-textconv".as_ref(),
                "--src-prefix=a/".as_ref(),
                "--dst-prefix=b/".as_ref(),
                from_id.as_ref(),
                to_id.as_ref(),
                "--".as_ref(),
                path.as_ref(),
            ],
            None,
        )?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// `git log` of the asset's file, newest first, at most `limit` entries.
    fn log(&self, asset: &str, limit: Option<usize>) -> Result<Vec<Entry>, BackupError> {
        self.settle();
        if self.inner.writer.read_tip()?.is_none() {
            return Ok(Vec::new());
        }
        let path = format!("{asset}.cfg");
        let limit = limit.map(|n| format!("--max-count={n}"));
        let mut args: Vec<&OsStr> = vec![
            "log".as_ref(),
            "-z".as_ref(),
            "--format=%H%x1f%ct%x1f%B".as_ref(),
        ];
        if let Some(limit) = &limit {
            args.push(limit.as_ref());
        }
        args.extend::<[&OsStr; 3]>([self.inner.branch.as_ref(), "--".as_ref(), path.as_ref()]);
        let out = self.inner.git.run(&args, None)?;
        let text = String::from_utf8_lossy(&out);
        let prefix = format!("{asset}: ");
        Ok(text
            .split('\0')
            .filter_map(|record| {
                let mut fields = record.trim_start_matches('\n').splitn(3, '\u{1f}');
                let id = fields.next()?.to_string();
                let time = fields.next()?.parse().ok()?;
                let body = fields.next()?.trim_end();
                let message = body.strip_prefix(&prefix).unwrap_or(body).to_string();
                Some(Entry {
                    short: short(&id),
                    id,
                    time,
                    message,
                })
            })
            .collect())
    }

    /// Reads see every save answered before them: wait for this process's commits in
    /// flight. A stalled store still reads what git has.
    fn settle(&self) {
        let _ = self.inner.writer.flush();
    }

    /// The full commit hash `revision` names in the backup history.
    fn resolve(&self, asset: &str, revision: &str) -> Result<String, BackupError> {
        self.settle();
        let hex = revision.len() >= 4
            && revision.len() <= 64
            && revision.chars().all(|c| c.is_ascii_hexdigit());
        if !hex {
            return Err(BackupError::InvalidRevision {
                revision: revision.to_string(),
            });
        }
        let revision_lower = revision.to_ascii_lowercase();
        let spec = format!("{revision_lower}^{{commit}}");
        let git = &self.inner.git;
        let mut command = git.command();
        command.args(["rev-parse", "-q", "--verify"]).arg(&spec);
        let output = git.output(command, None)?;
        let id = String::from_utf8_lossy(&output.stdout).trim().to_string();
        if !output.status.success() || id.is_empty() {
            return Err(self.unknown(asset, revision));
        }
        // Only commits of the backup history count, not objects a failed batch left behind.
        let mut command = git.command();
        command
            .args(["merge-base", "--is-ancestor"])
            .arg(&id)
            .arg(&self.inner.branch);
        if !git.output(command, None)?.status.success() {
            return Err(self.unknown(asset, revision));
        }
        Ok(id)
    }

    /// The asset's file at commit `id`, `None` when it did not exist there.
    fn blob(&self, asset: &str, id: &str) -> Result<Option<String>, BackupError> {
        let git = &self.inner.git;
        let mut command = git.command();
        command
            .args(["cat-file", "blob"])
            .arg(format!("{id}:{asset}.cfg"));
        let output = git.output(command, None)?;
        if !output.status.success() {
            return Ok(None);
        }
        String::from_utf8(output.stdout)
            .map(Some)
            .map_err(|_| BackupError::Corrupt {
                path: git.dir.clone(),
                detail: format!("the backup of {asset} at {} is not UTF-8 text", short(id)),
            })
    }

    /// The "no such revision" error, listing the asset's latest revisions.
    fn unknown(&self, asset: &str, revision: &str) -> BackupError {
        let latest = match self.log(asset, Some(LATEST_LISTED)) {
            Ok(entries) if entries.is_empty() => {
                return BackupError::NoBackup {
                    asset: asset.to_string(),
                };
            }
            Ok(entries) => entries
                .iter()
                .map(|e| format!("{} ({}) {}", e.short, e.time_utc(), e.message))
                .collect::<Vec<_>>()
                .join("; "),
            Err(error) => format!("(history unavailable: {error})"),
        };
        BackupError::UnknownRevision {
            asset: asset.to_string(),
            revision: revision.to_string(),
            latest,
        }
    }
}

/// Create `state/backups` as a new repository: built in a temporary folder and renamed into
/// place, under the lock, so no process ever sees half a repository.
fn create(
    inventory_root: &Path,
    state: &Path,
    dir: &Path,
    lock_path: &Path,
) -> Result<(), BackupError> {
    if !inventory_root.is_dir() {
        return Err(BackupError::io(
            inventory_root,
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "the inventory folder does not exist",
            ),
        ));
    }
    let not_empty = |dir: &Path| {
        std::fs::read_dir(dir)
            .map(|mut entries| entries.next().is_some())
            .unwrap_or(false)
    };
    if not_empty(dir) {
        return Err(BackupError::Corrupt {
            path: dir.to_path_buf(),
            detail: "the folder exists but holds no git repository (`.git` is missing)".into(),
        });
    }
    crate::fsutil::create_private_dir(state).map_err(|e| BackupError::io(state, e))?;
    let _lock = FileLock::acquire(lock_path, std::time::Duration::from_secs(60))?;
    if std::fs::symlink_metadata(dir.join(".git")).is_ok() {
        return Ok(()); // another process created it while we waited
    }
    let tmp = tempfile::Builder::new()
        .prefix(".backups-init.")
        .tempdir_in(state)
        .map_err(|e| BackupError::io(state, e))?;
    Git::new(tmp.path()).run(
        &[
            "init".as_ref(),
            "--quiet".as_ref(),
            "--bare".as_ref(),
            // Objects 0400, folders 0700, whatever the umask: backups hold secrets' hashes.
            "--shared=0600".as_ref(),
            "--object-format=sha1".as_ref(),
            "--initial-branch=main".as_ref(),
            // No template: no sample hooks, description or info/exclude, nothing a backup
            // repository uses (a third of the files a default init creates).
            "--template=".as_ref(),
        ],
        None,
    )?;
    // The journal exists from the start, so a first save does not create it (and flush a
    // folder) while devices wait.
    let journal = tmp.path().join(".git").join(writer::JOURNAL);
    crate::fsutil::write_file(&journal, b"", 0o600).map_err(|e| BackupError::io(&journal, e))?;
    let built: PathBuf = tmp.keep();
    // rename(2) replaces an empty folder and fails on a non-empty one: never overwrites.
    if let Err(error) = std::fs::rename(&built, dir) {
        let _ = std::fs::remove_dir_all(&built);
        return Err(BackupError::io(dir, error));
    }
    // Saves are durable in the journal: its path must survive a power cut too.
    for folder in [dir, state] {
        crate::fsutil::sync_dir(folder).map_err(|e| BackupError::io(folder, e))?;
    }
    Ok(())
}

/// Check the repository is readable and return its object format. Never repairs.
fn check_repository(git: &Git) -> Result<ObjectFormat, BackupError> {
    let mut command = git.command();
    command.args(["rev-parse", "--show-object-format"]);
    let output = git.output(command, None)?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(BackupError::Corrupt {
            path: git.dir.clone(),
            detail: format!(
                "not a usable git repository (git says: {})",
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        });
    }
    match stdout.trim() {
        "sha1" => Ok(ObjectFormat::Sha1),
        "sha256" => Ok(ObjectFormat::Sha256),
        other => Err(BackupError::Corrupt {
            path: git.dir.clone(),
            detail: format!("unsupported object format {other:?}"),
        }),
    }
}

/// The branch HEAD names.
fn head_branch(git: &Git) -> Result<String, BackupError> {
    let mut command = git.command();
    command.args(["symbolic-ref", "HEAD"]);
    let output = git.output(command, None)?;
    let branch = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if output.status.success() && branch.starts_with("refs/heads/") {
        Ok(branch)
    } else {
        // Also where a broken branch file lands: git no longer resolves HEAD through it.
        Err(BackupError::Corrupt {
            path: git.dir.clone(),
            detail: format!(
                "HEAD does not name a usable branch (git says: {})",
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        })
    }
}

/// Make the backup folder 0700 again if someone opened it up.
fn keep_private(dir: &Path) -> Result<(), BackupError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)
            .map_err(|e| BackupError::io(dir, e))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            tracing::warn!(folder = %dir.display(), "backup folder was readable by others; made private (0700)");
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| BackupError::io(dir, e))?;
        }
    }
    Ok(())
}

/// `Name <email>` from the user's git configuration (any level, the repository's included),
/// else netparc's own; anything fast-import would misread falls back too.
fn identity(git: &Git) -> String {
    let mut command = git.bare_command();
    command.arg("--git-dir").arg(&git.git_dir).args([
        "config",
        "--get-regexp",
        r"^user\.(name|email)$",
    ]);
    match git.output(command, None) {
        Ok(output) => parse_identity(&String::from_utf8_lossy(&output.stdout)),
        Err(_) => DEFAULT_IDENTITY.to_string(),
    }
}

/// The identity in `git config --get-regexp` output, or netparc's.
fn parse_identity(text: &str) -> String {
    let (mut name, mut email) = (None, None);
    for line in text.lines() {
        match line.split_once(' ') {
            Some(("user.name", value)) => name = Some(value.trim()),
            Some(("user.email", value)) => email = Some(value.trim()),
            _ => {}
        }
    }
    let fine =
        |s: &str| !s.is_empty() && !s.contains(['<', '>']) && !s.chars().any(char::is_control);
    match (name, email) {
        (Some(name), Some(email)) if fine(name) && fine(email) => format!("{name} <{email}>"),
        _ => DEFAULT_IDENTITY.to_string(),
    }
}
