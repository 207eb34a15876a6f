//! The write path: one writer per process and one per repository across processes, with a
//! write-ahead journal so a device waits for one `fdatasync`, not for git.
//!
//! `save` calls from any number of threads join a queue; the first caller that finds no
//! writer at work becomes the writer, lingers while saves keep arriving (a few
//! milliseconds), then takes everything queued (group commit). For that batch it decides,
//! without a process, which configurations changed (blob ids hashed here) and what commit
//! each will be (tree and commit ids hashed here, byte for byte as `git fast-import` writes
//! them), appends one record per changed configuration to the journal
//! (`.git/netparc-journal`, `journal.rs`), flushes it, and answers every caller: the backup
//! is durable and its revision known. Each device is then changed while the store's
//! committer thread streams the records to one `git fast-import` (one commit each, onto a
//! scratch ref, with git's own fsyncs), moves the branch and deletes the scratch ref in one
//! `update-ref` transaction that names the tip it started from (compare-and-swap), empties
//! the journal, and writes the readable copies.
//!
//! The process holds `state/backups.lock` (`flock`) from the first record journaled until
//! the journal is empty again, so a daemon and a technician's run never interleave, and what
//! this process knows of the branch stays true meanwhile. A commit made behind netparc's back
//! (outside the lock) makes the compare-and-swap fail: the records are then committed onto
//! the new tip, nothing is lost, and the revisions that changed are logged. A journal found
//! non-empty when the lock is taken (a process stopped between journal and git) is committed
//! first, with the revisions its callers were given. A commit that fails stalls the store for
//! this process: later saves fail (no device is changed on a store that cannot commit), and
//! the journal keeps what was acknowledged for the next opening.

use super::error::BackupError;
use super::git::{Git, ObjectFormat, Tree, quote_path};
use super::journal::{Journal, Record};
use super::{Revision, short};
use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Where fast-import builds a batch before the branch moves to it in one transaction.
const SCRATCH_REF: &str = "refs/netparc/import";

/// The journal, inside the repository's own folder (git ignores files it does not know).
pub(super) const JOURNAL: &str = "netparc-journal";

/// How long a writer waits for another process's batch before giving up. A batch of 1,000
/// devices takes seconds; minutes mean a stuck process.
const LOCK_TIMEOUT: Duration = Duration::from_secs(300);

/// fsync objects and refs once committed: the journal is emptied after this, so git's copy
/// must be on the disk by then. (Git before 2.36 ignores the key.)
const DURABLE: &str = "core.fsync=committed";

/// One flush for a batch's loose objects instead of one per object (git 2.37+): a batch of
/// ten single-device commits otherwise costs thirty fsyncs.
const DURABLE_BATCH: &str = "core.fsyncMethod=batch";

/// How long the writer waits without a new save before it journals (see `Core::linger`).
const LINGER_QUIET: Duration = Duration::from_millis(3);

/// The shortest such wait, for saves arriving in a dense burst.
const LINGER_QUIET_MIN: Duration = Duration::from_micros(500);

/// The longest the writer lingers before journaling what it has.
const LINGER_MAX: Duration = Duration::from_millis(30);

/// The committer starts once no record was journaled for this long (see `commit_delay`)…
const COMMIT_QUIET: Duration = Duration::from_millis(5);

/// …or once the oldest waiting record has waited this long…
const COMMIT_MAX_DELAY: Duration = Duration::from_millis(100);

/// …or once this many records wait.
const COMMIT_MAX_RECORDS: usize = 512;

/// Attempts at moving the branch when something else moved it meanwhile.
const CAS_ATTEMPTS: usize = 3;

/// One `save` call.
pub(super) struct Job {
    pub(super) asset: String,
    pub(super) config: String,
    pub(super) message: String,
}

/// The group-commit queue.
#[derive(Default)]
struct Queue {
    /// Jobs waiting for a writer, with their ticket.
    pending: Vec<(u64, Job)>,
    /// Results not yet collected by their caller, by ticket.
    done: HashMap<u64, Result<Revision, BackupError>>,
    /// A caller is journaling a batch now.
    writing: bool,
    /// The last batch was a single save: saves are coming one after another, not together.
    last_alone: bool,
    /// The next ticket.
    next: u64,
}

/// What this process knows of the branch, journaled records included; true while the lock
/// is held, checked against git each time it is taken again.
struct Cache {
    /// The tip once every journaled record is committed (`None`: no commit yet).
    tip: Option<String>,
    /// Its tree.
    tree: Tree,
    /// `<asset>.cfg` → the latest commit that changed it (what an unchanged save returns).
    last_touch: HashMap<String, String>,
}

/// The lock and the journal, held together.
struct Held {
    _lock: FileLock,
    journal: Journal,
}

/// Everything the savers and the committer share, under one mutex.
#[derive(Default)]
struct State {
    /// Taken by the first batch, released once nothing waits for git.
    held: Option<Held>,
    /// `None` until first read from git.
    cache: Option<Cache>,
    /// The tip in git: where the committer's next stream starts and history walks begin.
    committed: Option<String>,
    /// Journaled records not yet in git, in order.
    pending: Vec<Record>,
    /// Readable copies missing for unchanged saves: `(asset, configuration)`.
    copies: Vec<(String, String)>,
    /// The committer is working (git, then the copies).
    committing: bool,
    /// Why a commit failed; every later save fails with it.
    failed: Option<Arc<BackupError>>,
    /// The store is being dropped: the committer finishes and stops.
    closing: bool,
    /// Callers of `flush` waiting: the committer starts at once.
    flushing: usize,
    /// When records were last journaled, and when the oldest pending one was.
    journaled_at: Option<Instant>,
    oldest_pending_at: Option<Instant>,
    /// Tests: the committer leaves journaled records alone, as if the process had died.
    #[cfg(test)]
    hold: bool,
}

impl State {
    fn idle(&self) -> bool {
        self.pending.is_empty() && self.copies.is_empty() && !self.committing
    }
}

/// The shared half of a writer.
struct Core {
    git: Git,
    format: ObjectFormat,
    /// The branch backups are committed to (`refs/heads/main`).
    branch: String,
    /// `state/backups.lock`, outside the repository so it also guards its creation.
    lock_path: PathBuf,
    journal_path: PathBuf,
    /// `Name <email>` for author and committer.
    identity: String,
    queue: Mutex<Queue>,
    wake: Condvar,
    /// Signalled when a save joins the queue.
    arrived: Condvar,
    state: Mutex<State>,
    /// Signalled when records are journaled, committed, or the store closes.
    changed: Condvar,
}

/// The write half of a store: the queue, and the committer thread.
pub(super) struct Writer {
    core: Arc<Core>,
    committer: Option<std::thread::JoinHandle<()>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The queue and state stay consistent even if a holder panicked: a panicking writer's
    // jobs are answered by `Leader::drop`, and the cache is re-validated against the tip.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn wait<'m, T>(condvar: &Condvar, guard: MutexGuard<'m, T>) -> MutexGuard<'m, T> {
    condvar.wait(guard).unwrap_or_else(PoisonError::into_inner)
}

/// How much longer the committer lets journaled records wait at `now`, while saves are
/// still arriving: a run's devices journal their backups within milliseconds of each other,
/// and one git round for all of them costs a fraction of the CPU of one per batch (each
/// round is a `fast-import` and an `update-ref` process), and keeps git's fsyncs away from
/// the journal's while devices wait on it. None: commit now (nothing came for
/// `COMMIT_QUIET`, the oldest record waited `COMMIT_MAX_DELAY`, `COMMIT_MAX_RECORDS` wait,
/// or someone flushes or closes the store).
fn commit_delay(state: &State, now: Instant) -> Option<Duration> {
    if state.pending.is_empty()
        || state.flushing > 0
        || state.closing
        || state.pending.len() >= COMMIT_MAX_RECORDS
    {
        return None;
    }
    let quiet_end = state.journaled_at? + COMMIT_QUIET;
    let age_end = state.oldest_pending_at? + COMMIT_MAX_DELAY;
    let due = quiet_end.min(age_end);
    (due > now).then(|| due - now)
}

impl Writer {
    pub(super) fn new(
        git: Git,
        format: ObjectFormat,
        branch: String,
        lock_path: PathBuf,
        identity: String,
    ) -> Result<Writer, BackupError> {
        let core = Arc::new(Core {
            journal_path: git.git_dir.join(JOURNAL),
            git,
            format,
            branch,
            lock_path,
            identity,
            queue: Mutex::default(),
            wake: Condvar::new(),
            arrived: Condvar::new(),
            state: Mutex::default(),
            changed: Condvar::new(),
        });
        let committer = {
            let shared = core.clone();
            std::thread::Builder::new()
                .name("netparc-backups".into())
                .spawn(move || {
                    let run = std::panic::AssertUnwindSafe(|| shared.commit_loop());
                    if std::panic::catch_unwind(run).is_err() {
                        // A bug: stall the store rather than leave flush() waiting forever.
                        let mut state = lock(&shared.state);
                        state.failed = Some(Arc::new(BackupError::WriterFailed));
                        state.pending.clear();
                        state.copies.clear();
                        state.committing = false;
                        state.held = None;
                        drop(state);
                        shared.changed.notify_all();
                    }
                })
                .map_err(|error| BackupError::io(&core.git.dir, error))?
        };
        Ok(Writer {
            core,
            committer: Some(committer),
        })
    }

    /// Queue `job` and wait until it is journaled (durable, its revision known).
    pub(super) fn save(&self, job: Job) -> Result<Revision, BackupError> {
        self.core.save(job)
    }

    /// Commit what a stopped process left in the journal, if anything.
    pub(super) fn recover(&self) -> Result<(), BackupError> {
        let leftover =
            std::fs::metadata(&self.core.journal_path).is_ok_and(|m| m.is_file() && m.len() > 0);
        if !leftover {
            return Ok(());
        }
        let mut state = lock(&self.core.state);
        if state.held.is_none() {
            self.core.take_lock(&mut state)?;
            self.core.release_if_idle(&mut state);
        }
        Ok(())
    }

    /// Wait until every save answered so far is in git; the error that stalled the store,
    /// if one did.
    pub(super) fn flush(&self) -> Result<(), BackupError> {
        let mut state = lock(&self.core.state);
        state.flushing += 1;
        self.core.changed.notify_all();
        while !state.idle() {
            state = wait(&self.core.changed, state);
        }
        state.flushing -= 1;
        match &state.failed {
            Some(cause) => Err(self.core.stalled(cause)),
            None => Ok(()),
        }
    }

    /// The branch tip in git, `None` before the first backup.
    pub(super) fn read_tip(&self) -> Result<Option<String>, BackupError> {
        self.core.read_tip()
    }

    /// Tests: stop (or resume) committing journaled records.
    #[cfg(test)]
    pub(super) fn hold_commits(&self, hold: bool) {
        lock(&self.core.state).hold = hold;
        self.core.changed.notify_all();
    }

    /// Tests: what a process killed between journal and git leaves: the journal as it is,
    /// the lock released, nothing more committed by this writer.
    #[cfg(test)]
    pub(super) fn die(&self) {
        let mut state = lock(&self.core.state);
        state.hold = true;
        state.held = None;
        state.pending.clear();
        state.copies.clear();
    }
}

impl Drop for Writer {
    /// Records journaled by this process reach git before it goes on (or exits).
    fn drop(&mut self) {
        lock(&self.core.state).closing = true;
        self.core.changed.notify_all();
        if let Some(committer) = self.committer.take() {
            let _ = committer.join();
        }
    }
}

impl Core {
    fn save(&self, job: Job) -> Result<Revision, BackupError> {
        let mut queue = lock(&self.queue);
        let ticket = queue.next;
        queue.next += 1;
        queue.pending.push((ticket, job));
        // A leader lingering for company hears of each arrival.
        self.arrived.notify_all();
        loop {
            if let Some(result) = queue.done.remove(&ticket) {
                return result;
            }
            if !queue.writing {
                queue.writing = true;
                queue = self.linger(queue);
                let batch = std::mem::take(&mut queue.pending);
                queue.last_alone = batch.len() == 1;
                drop(queue);
                let (tickets, jobs): (Vec<u64>, Vec<Job>) = batch.into_iter().unzip();
                let mut leader = Leader {
                    core: self,
                    tickets,
                    results: None,
                };
                let started = Instant::now();
                let results: Vec<Result<Revision, BackupError>> = match self.journal_batch(&jobs) {
                    Ok(revisions) => revisions.into_iter().map(Ok).collect(),
                    Err(error) => jobs.iter().map(|_| Err(error.clone())).collect(),
                };
                tracing::debug!(
                    saves = jobs.len(),
                    ms = started.elapsed().as_millis() as u64,
                    "backup batch journaled"
                );
                leader.results = Some(results);
                drop(leader);
                queue = lock(&self.queue);
                continue;
            }
            queue = wait(&self.wake, queue);
        }
    }

    /// Wait, as the writer about to journal, while saves keep arriving: devices of a run
    /// reach their backup within milliseconds of each other, and one flush for all of them
    /// beats one each. Stops once no save came for a few times the usual spacing of this
    /// burst (`LINGER_QUIET_MIN` to `LINGER_QUIET`; before a second save, `LINGER_QUIET`, or
    /// `LINGER_QUIET_MIN` when the last batch was a lone save too), or after `LINGER_MAX` in
    /// all: every device of the batch waits for the quiet period.
    fn linger<'q>(&self, mut queue: MutexGuard<'q, Queue>) -> MutexGuard<'q, Queue> {
        let start = Instant::now();
        let first = queue.pending.len();
        loop {
            let before = queue.pending.len();
            let Some(left) = LINGER_MAX.checked_sub(start.elapsed()) else {
                return queue;
            };
            let quiet = match u32::try_from(before - first) {
                // Saves arriving one by one (a restore, a script) wait for nobody long.
                Ok(0) if queue.last_alone => LINGER_QUIET_MIN,
                Ok(0) | Err(_) => LINGER_QUIET,
                Ok(arrived) => {
                    (start.elapsed() / arrived * 4).clamp(LINGER_QUIET_MIN, LINGER_QUIET)
                }
            };
            let (guard, _) = self
                .arrived
                .wait_timeout(queue, quiet.min(left))
                .unwrap_or_else(PoisonError::into_inner);
            queue = guard;
            if queue.pending.len() == before {
                return queue;
            }
        }
    }

    /// Journal `jobs`, one record per changed configuration, and answer their revisions.
    fn journal_batch(&self, jobs: &[Job]) -> Result<Vec<Revision>, BackupError> {
        let mut state = lock(&self.state);
        if let Some(cause) = &state.failed {
            return Err(self.stalled(cause));
        }
        if state.held.is_none() {
            self.take_lock(&mut state)?;
        }
        let result = self.plan_and_journal(&mut state, jobs);
        self.release_if_idle(&mut state);
        drop(state);
        self.changed.notify_all();
        result
    }

    fn plan_and_journal(
        &self,
        state: &mut State,
        jobs: &[Job],
    ) -> Result<Vec<Revision>, BackupError> {
        let time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let candidates: Vec<Record> = jobs
            .iter()
            .map(|job| Record {
                asset: job.asset.clone(),
                config: job.config.clone(),
                message: format!("{}: {}\n", job.asset, job.message),
                identity: self.identity.clone(),
                time,
                id: String::new(),
            })
            .collect();
        let Some(cache) = state.cache.as_mut() else {
            return Err(BackupError::WriterFailed);
        };
        let chain = self.chain(cache.tip.as_deref(), cache.tree.clone(), &candidates);
        let records: Vec<Record> = candidates
            .into_iter()
            .zip(&chain.ids)
            .filter_map(|(mut record, id)| {
                record.id = id.clone()?;
                Some(record)
            })
            .collect();
        if !records.is_empty() {
            let Some(held) = state.held.as_mut() else {
                return Err(BackupError::WriterFailed);
            };
            held.journal
                .append(&records)
                .map_err(|error| BackupError::io(held.journal.path(), error))?;
        }
        cache.tip = chain.tip;
        cache.tree = chain.tree;
        for record in &records {
            cache
                .last_touch
                .insert(format!("{}.cfg", record.asset), record.id.clone());
        }
        // Journaled means committed, whatever happens to the answers below.
        if !records.is_empty() {
            let now = Instant::now();
            state.journaled_at = Some(now);
            if state.pending.is_empty() {
                state.oldest_pending_at = Some(now);
            }
        }
        state.pending.extend(records);
        // Unchanged files whose last commit is not known yet: one history walk for all.
        let unknown: HashSet<String> = jobs
            .iter()
            .zip(&chain.ids)
            .filter(|(_, id)| id.is_none())
            .map(|(job, _)| format!("{}.cfg", job.asset))
            .filter(|path| !cache.last_touch.contains_key(path))
            .collect();
        if let (false, Some(tip)) = (unknown.is_empty(), state.committed.clone()) {
            self.find_last_touches(&tip, unknown, &mut cache.last_touch)?;
        }
        let mut revisions = Vec::with_capacity(jobs.len());
        for (job, id) in jobs.iter().zip(&chain.ids) {
            let (id, changed) = match id {
                Some(id) => (id.clone(), true),
                None => {
                    let path = format!("{}.cfg", job.asset);
                    if !self.git.dir.join(&path).exists() {
                        state.copies.push((job.asset.clone(), job.config.clone()));
                    }
                    let id = cache
                        .last_touch
                        .get(&path)
                        .or(cache.tip.as_ref())
                        .cloned()
                        .unwrap_or_default();
                    (id, false)
                }
            };
            revisions.push(Revision {
                short: short(&id),
                id,
                changed,
            });
        }
        Ok(revisions)
    }

    /// Take the lock and open the journal; learn the branch again if it moved since this
    /// process last held the lock; commit any record a stopped process left behind.
    fn take_lock(&self, state: &mut State) -> Result<(), BackupError> {
        let lock = FileLock::acquire(&self.lock_path, LOCK_TIMEOUT)?;
        let (journal, leftovers) = Journal::open(&self.journal_path)
            .map_err(|error| BackupError::io(&self.journal_path, error))?;
        let tip = self.read_tip()?;
        if state.cache.as_ref().is_none_or(|cache| cache.tip != tip) {
            state.cache = Some(Cache {
                tree: match &tip {
                    Some(tip) => self.load_tree(tip)?,
                    None => Tree::default(),
                },
                tip: tip.clone(),
                last_touch: HashMap::new(),
            });
        }
        state.committed = tip;
        state.held = Some(Held {
            _lock: lock,
            journal,
        });
        if leftovers.is_empty() {
            return Ok(());
        }
        tracing::warn!(
            saves = leftovers.len(),
            "the backup journal holds saves that are not in git yet (a netparc process stopped before committing them): committing them now"
        );
        let replayed = self
            .replay(state, &leftovers)
            .and_then(|()| self.clear_journal(state));
        if replayed.is_err() {
            state.held = None;
        }
        replayed
    }

    fn clear_journal(&self, state: &mut State) -> Result<(), BackupError> {
        match state.held.as_mut() {
            Some(held) => held
                .journal
                .clear()
                .map_err(|error| BackupError::io(held.journal.path(), error)),
            None => Ok(()),
        }
    }

    /// Let other processes in once nothing waits for git.
    fn release_if_idle(&self, state: &mut State) {
        if state.idle() {
            state.held = None;
        }
    }

    fn stalled(&self, cause: &Arc<BackupError>) -> BackupError {
        BackupError::Stalled {
            path: self.git.dir.clone(),
            cause: cause.clone(),
        }
    }

    /// Commit `records` onto git's tip as it is now, under the lock: those already there (the
    /// tip is one of them, or a descendant of the last) are skipped, the others committed,
    /// and the cache rebuilt on the result. Used for a journal left by a stopped process and
    /// when the branch moved behind netparc's back.
    fn replay(&self, state: &mut State, records: &[Record]) -> Result<(), BackupError> {
        for _ in 0..CAS_ATTEMPTS {
            let tip = self.read_tip()?;
            let done = match (&tip, records.last()) {
                (Some(tip), Some(last)) => match records.iter().rposition(|r| &r.id == tip) {
                    Some(index) => index + 1,
                    None if self.is_ancestor(&last.id, tip)? => records.len(),
                    None => 0,
                },
                _ => 0,
            };
            let rest = &records[done..];
            let tree = match (&state.cache, &tip) {
                (Some(cache), _) if cache.tip == tip => cache.tree.clone(),
                (_, Some(tip)) => self.load_tree(tip)?,
                (_, None) => Tree::default(),
            };
            let chain = self.chain(tip.as_deref(), tree, rest);
            let committed: Vec<&String> = chain.ids.iter().flatten().collect();
            if !committed.is_empty() {
                let changed: Vec<&Record> = rest
                    .iter()
                    .zip(&chain.ids)
                    .filter_map(|(record, id)| id.as_ref().map(|_| record))
                    .collect();
                let ids = self.fast_import(&stream(tip.as_deref(), &changed), committed.len())?;
                if ids
                    .iter()
                    .zip(&committed)
                    .any(|(made, planned)| made != *planned)
                {
                    tracing::error!(
                        "git's commit ids differ from the ones netparc computed; the backups are committed, but the revisions just logged are git's"
                    );
                }
                let new_tip = ids.last().cloned();
                if !self.move_branch(tip.as_deref(), new_tip.as_deref().unwrap_or_default())? {
                    continue;
                }
                for (record, id) in rest.iter().zip(&chain.ids) {
                    if let Some(id) = id
                        && *id != record.id
                    {
                        tracing::warn!(
                            asset = %record.asset,
                            announced = %short(&record.id),
                            committed = %short(id),
                            "a backup was committed under another revision than its run reported (the branch had moved)"
                        );
                    }
                }
            }
            let mut last_touch = HashMap::new();
            for (record, id) in rest.iter().zip(&chain.ids) {
                if let Some(id) = id {
                    last_touch.insert(format!("{}.cfg", record.asset), id.clone());
                }
            }
            state.committed = chain.tip.clone();
            state.cache = Some(Cache {
                tip: chain.tip,
                tree: chain.tree,
                last_touch,
            });
            return Ok(());
        }
        Err(BackupError::Contended {
            path: self.git.dir.clone(),
        })
    }

    /// The commits `records` make onto `tip` with `tree`: one per record whose configuration
    /// differs from the file at that point (`ids[i]` is `None` for the others), their ids, and
    /// the resulting tip and tree. No process.
    fn chain(&self, tip: Option<&str>, mut tree: Tree, records: &[Record]) -> Chain {
        let mut ids = Vec::with_capacity(records.len());
        let mut tip = tip.map(str::to_string);
        for record in records {
            let path = format!("{}.cfg", record.asset);
            let blob = self.format.blob_id(record.config.as_bytes());
            if tree.file(&path) == Some(blob.as_str()) {
                ids.push(None);
                continue;
            }
            tree.set_file(&path, &blob);
            let id = self.format.commit_id(
                &tree.id(self.format),
                tip.as_deref(),
                &record.identity,
                record.time,
                &record.message,
            );
            tip = Some(id.clone());
            ids.push(Some(id));
        }
        Chain { ids, tip, tree }
    }

    /// The committer thread: commits journaled records to git in order, empties the
    /// journal, writes the readable copies; until the store closes.
    fn commit_loop(&self) {
        // Commits made since git last had a chance to pack them.
        let mut unpacked = false;
        let mut state = lock(&self.state);
        loop {
            #[cfg(test)]
            let held_back = state.hold;
            #[cfg(not(test))]
            let held_back = false;
            if held_back || (state.pending.is_empty() && state.copies.is_empty()) {
                if state.closing {
                    return;
                }
                state = wait(&self.changed, state);
                continue;
            }
            if let Some(left) = commit_delay(&state, Instant::now()) {
                state = self
                    .changed
                    .wait_timeout(state, left)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
                continue;
            }
            let records = state.pending.clone();
            let base = state.committed.clone();
            state.committing = true;
            drop(state);
            let outcome = self.import(base.as_deref(), &records);
            state = lock(&self.state);
            let committed = match outcome {
                Ok(Some(ids)) => {
                    state.pending.drain(..records.len());
                    state.committed = ids.last().cloned().or(base);
                    let announced = records.iter().map(|record| &record.id);
                    if ids.iter().ne(announced) {
                        // Never expected: the same bytes hash the same. Rebuild what is left
                        // on git's own tip so later commits do not name a missing parent.
                        tracing::error!(
                            "git's commit ids differ from the ones netparc computed; the backups are committed, later ones are rebuilt on git's tip"
                        );
                        let rest = std::mem::take(&mut state.pending);
                        self.replay(&mut state, &rest)
                    } else {
                        Ok(())
                    }
                }
                Ok(None) => {
                    // The branch moved outside the lock: everything journaled goes onto its
                    // new tip, the savers waiting meanwhile.
                    let all = std::mem::take(&mut state.pending);
                    self.replay(&mut state, &all)
                }
                Err(error) => Err(error),
            };
            if let Err(error) = committed {
                tracing::error!(%error, "backups journaled but not committed to git; this process takes no more backups, the journal keeps them for the next opening");
                state.failed = Some(Arc::new(error));
                state.pending.clear();
                state.copies.clear();
                state.committing = false;
                // The journal stays as it is: whoever takes the lock next commits it.
                state.held = None;
                self.changed.notify_all();
                continue;
            }
            // Each committed configuration gets its readable copy, in commit order, once the
            // journal is drained (records journaled meanwhile are committed first).
            state.copies.extend(
                records
                    .iter()
                    .map(|record| (record.asset.clone(), record.config.clone())),
            );
            unpacked |= !records.is_empty();
            if state.pending.is_empty() {
                if let Err(error) = self.clear_journal(&mut state) {
                    tracing::warn!(%error, "the backup journal could not be emptied; its records are in git and will be recognised");
                }
                let copies = std::mem::take(&mut state.copies);
                drop(state);
                self.write_copies(&copies);
                if std::mem::take(&mut unpacked) {
                    self.gc_auto();
                }
                state = lock(&self.state);
            }
            state.committing = false;
            self.release_if_idle(&mut state);
            self.changed.notify_all();
        }
    }

    /// Stream `records` (planned onto `base`) to fast-import and move the branch to the last
    /// one: git's id of each, or `None` when the branch was no longer at `base`.
    fn import(
        &self,
        base: Option<&str>,
        records: &[Record],
    ) -> Result<Option<Vec<String>>, BackupError> {
        if records.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let all: Vec<&Record> = records.iter().collect();
        let ids = self.fast_import(&stream(base, &all), records.len())?;
        let tip = ids.last().cloned().unwrap_or_default();
        Ok(self.move_branch(base, &tip)?.then_some(ids))
    }

    /// `<asset>.cfg` (0600) for people to read and grep; the last content of each asset
    /// wins. Best effort: the commit is the backup; a copy not written is logged, and the
    /// next save of that asset writes it.
    fn write_copies(&self, copies: &[(String, String)]) {
        let mut latest: HashMap<&str, &str> = HashMap::new();
        for (asset, config) in copies {
            latest.insert(asset, config);
        }
        for (asset, config) in latest {
            let path = self.git.dir.join(format!("{asset}.cfg"));
            // Atomic (a reader never sees half a file), not flushed: git holds the durable copy.
            if let Err(error) = crate::fsutil::write_file_quick(&path, config.as_bytes(), 0o600) {
                tracing::warn!(file = %path.display(), %error, "backup committed, but its readable copy was not written");
            }
        }
    }

    /// The tip as git's files backend keeps it, without a process: the loose ref holding a
    /// full id, or no ref at all (no loose ref, no `packed-refs`). `None` whenever git must
    /// say: a reftable repository, packed refs, a symbolic or damaged ref file.
    fn read_loose_tip(&self) -> Option<Option<String>> {
        if self.git.git_dir.join("reftable").exists() {
            return None;
        }
        match std::fs::read_to_string(self.git.git_dir.join(&self.branch)) {
            Ok(text) => {
                // git writes a ref through a lock file and a rename: never half a file.
                let id = text.strip_suffix('\n')?;
                let full = matches!(id.len(), 40 | 64)
                    && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
                full.then(|| Some(id.to_string()))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let packed = self.git.git_dir.join("packed-refs");
                (!packed.exists()).then_some(None)
            }
            Err(_) => None,
        }
    }

    fn load_tree(&self, tip: &str) -> Result<Tree, BackupError> {
        let out = self
            .git
            .run(&["ls-tree".as_ref(), "-z".as_ref(), tip.as_ref()], None)?;
        Ok(Tree::parse_ls_tree(&out))
    }

    /// True when commit `ancestor` is in the history of `tip` (false if it does not exist).
    fn is_ancestor(&self, ancestor: &str, tip: &str) -> Result<bool, BackupError> {
        let mut command = self.git.command();
        command
            .args(["merge-base", "--is-ancestor"])
            .arg(ancestor)
            .arg(tip);
        Ok(self.git.output(command, None)?.status.success())
    }

    /// The branch tip, `None` before the first backup.
    pub(super) fn read_tip(&self) -> Result<Option<String>, BackupError> {
        if let Some(tip) = self.read_loose_tip() {
            return Ok(tip);
        }
        let args: [&OsStr; 4] = [
            "rev-parse".as_ref(),
            "-q".as_ref(),
            "--verify".as_ref(),
            self.branch.as_ref(),
        ];
        let mut command = self.git.command();
        command.args(args);
        let output = self.git.output(command, None)?;
        match output.status.code() {
            Some(0) => Ok(Some(
                String::from_utf8_lossy(&output.stdout).trim().to_string(),
            )),
            // Quiet verify exits 1 without output for an unborn branch, and also for a branch
            // file holding garbage, which only a warning tells apart: a commit's parent must
            // never be guessed, so that one is an error.
            Some(1)
                if output.stdout.is_empty()
                    && !String::from_utf8_lossy(&output.stderr).contains("broken ref") =>
            {
                Ok(None)
            }
            _ => Err(self.git.failed(&args, &output)),
        }
    }

    /// Run the stream; the commit id of each mark, in order.
    fn fast_import(&self, stream: &[u8], commits: usize) -> Result<Vec<String>, BackupError> {
        let marks = tempfile::Builder::new()
            .prefix("netparc-marks.")
            .tempfile_in(&self.git.git_dir)
            .map_err(|e| BackupError::io(&self.git.git_dir, e))?;
        let mut export = std::ffi::OsString::from("--export-marks=");
        export.push(marks.path());
        self.git.run(
            &[
                "-c".as_ref(),
                DURABLE.as_ref(),
                "-c".as_ref(),
                DURABLE_BATCH.as_ref(),
                "fast-import".as_ref(),
                "--quiet".as_ref(),
                "--done".as_ref(),
                // The scratch ref is ours; a stale one from a crash is simply replaced.
                "--force".as_ref(),
                &export,
            ],
            Some(stream.to_vec()),
        )?;
        let text =
            std::fs::read_to_string(marks.path()).map_err(|e| BackupError::io(marks.path(), e))?;
        let mut ids = vec![String::new(); commits];
        for line in text.lines() {
            let Some((mark, id)) = line.split_once(' ') else {
                continue;
            };
            if let Some(slot) = mark
                .strip_prefix(':')
                .and_then(|m| m.parse::<usize>().ok())
                .and_then(|m| m.checked_sub(1))
                .and_then(|m| ids.get_mut(m))
            {
                *slot = id.to_string();
            }
        }
        if ids.iter().any(String::is_empty) {
            return Err(BackupError::Git {
                path: self.git.dir.clone(),
                command: "fast-import".into(),
                stderr: "a commit is missing from the exported marks".into(),
            });
        }
        Ok(ids)
    }

    /// Compare-and-swap the branch from `old` to `new` and drop the scratch ref, in one
    /// transaction. False when the branch is no longer at `old`.
    fn move_branch(&self, expected: Option<&str>, new: &str) -> Result<bool, BackupError> {
        let old = expected.map_or_else(|| self.format.zero_id(), str::to_string);
        let input = format!("update {} {new} {old}\ndelete {SCRATCH_REF}\n", self.branch);
        let args: [&OsStr; 4] = [
            "-c".as_ref(),
            DURABLE.as_ref(),
            "update-ref".as_ref(),
            "--stdin".as_ref(),
        ];
        let mut command = self.git.command();
        command.args(args);
        let output = self.git.output(command, Some(input.into_bytes()))?;
        if output.status.success() {
            return Ok(true);
        }
        if self.read_tip()?.as_deref() != expected {
            return Ok(false);
        }
        Err(self.git.failed(&args, &output))
    }

    /// Walk history from `tip` until every path in `wanted` has its latest commit, noting
    /// every path met on the way; stops reading (and kills git) as soon as all are found.
    fn find_last_touches(
        &self,
        tip: &str,
        mut wanted: HashSet<String>,
        last_touch: &mut HashMap<String, String>,
    ) -> Result<(), BackupError> {
        let mut command = self.git.command();
        command
            .args([
                "log",
                "-z",
                "--format=%x01%H",
                "--name-only",
                "--no-renames",
            ])
            .arg(tip)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = command.spawn().map_err(|e| self.git.spawn_error(e))?;
        let Some(stdout) = child.stdout.take() else {
            return Ok(());
        };
        let mut reader = BufReader::new(stdout);
        let mut current = String::new();
        let mut field = Vec::new();
        while !wanted.is_empty() {
            field.clear();
            match reader.read_until(0, &mut field) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            if field.last() == Some(&0) {
                field.pop();
            }
            let text = String::from_utf8_lossy(&field);
            let text = text.trim_start_matches('\n');
            if let Some(id) = text.strip_prefix('\u{1}') {
                current = id.to_string();
            } else if !text.is_empty() && !last_touch.contains_key(text) {
                wanted.remove(text);
                last_touch.insert(text.to_string(), current.clone());
            }
        }
        drop(reader);
        let _ = child.kill();
        let _ = child.wait();
        Ok(())
    }

    /// Let git pack loose objects when it judges it useful (thousands of saves make thousands
    /// of objects). Foreground, under the lock: a detached gc would race the next batch. Only
    /// asked when the repository nears half of `git gc --auto`'s own thresholds (git-gc(1):
    /// about 6,700 loose objects, estimated from `objects/17`, or 50 packs), so most batches
    /// cost no process for it.
    fn gc_auto(&self) {
        let count = |folder: &str, wanted: fn(&str) -> bool| {
            std::fs::read_dir(self.git.git_dir.join(folder)).map_or(0, |entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|entry| wanted(&entry.file_name().to_string_lossy()))
                    .count()
            })
        };
        let loose = count("objects/17", |_| true);
        let packs = count("objects/pack", |name| name.ends_with(".pack"));
        if loose < 6_700 / 256 / 2 && packs < 50 / 2 {
            return;
        }
        let mut command = self.git.command();
        command
            .args(["-c", "gc.autoDetach=false", "gc", "--auto", "--quiet"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Err(error) = command.status() {
            tracing::warn!(%error, "git gc --auto could not run");
        }
    }
}

/// Commits planned by [`Core::chain`].
struct Chain {
    /// Per record: the commit it makes, `None` when its file is unchanged.
    ids: Vec<Option<String>>,
    /// The tip after them.
    tip: Option<String>,
    /// The tree after them.
    tree: Tree,
}

/// The fast-import input committing each of `records` in order onto `base`, on the scratch
/// ref, with the record's own identity and time (so replaying a journal gives the same ids).
fn stream(base: Option<&str>, records: &[&Record]) -> Vec<u8> {
    let mut stream = Vec::new();
    stream.extend_from_slice(format!("feature done\nreset {SCRATCH_REF}\n").as_bytes());
    for (index, record) in records.iter().enumerate() {
        let mark = index + 1;
        let who = format!("{} {} +0000", record.identity, record.time);
        stream.extend_from_slice(
            format!(
                "commit {SCRATCH_REF}\nmark :{mark}\nauthor {who}\ncommitter {who}\ndata {}\n",
                record.message.len()
            )
            .as_bytes(),
        );
        stream.extend_from_slice(record.message.as_bytes());
        if mark == 1
            && let Some(base) = base
        {
            stream.extend_from_slice(format!("from {base}\n").as_bytes());
        }
        stream.extend_from_slice(
            format!(
                "M 100644 inline {}\ndata {}\n",
                quote_path(&format!("{}.cfg", record.asset)),
                record.config.len()
            )
            .as_bytes(),
        );
        stream.extend_from_slice(record.config.as_bytes());
        stream.extend_from_slice(b"\n\n");
    }
    stream.extend_from_slice(b"done\n");
    stream
}

/// The writer of a batch; answers every job of it when dropped, even if the writer panicked,
/// so no caller waits forever.
struct Leader<'a> {
    core: &'a Core,
    tickets: Vec<u64>,
    results: Option<Vec<Result<Revision, BackupError>>>,
}

impl Leader<'_> {
    /// Hand every job of the batch its result (an error for each the writer did not
    /// answer), and wake the callers; this process stays the writer until dropped.
    fn answer(&mut self) {
        let mut results = self.results.take().unwrap_or_default().into_iter();
        let mut queue = lock(&self.core.queue);
        for ticket in std::mem::take(&mut self.tickets) {
            let result = results.next().unwrap_or(Err(BackupError::WriterFailed));
            queue.done.insert(ticket, result);
        }
        drop(queue);
        self.core.wake.notify_all();
    }
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        self.answer();
        lock(&self.core.queue).writing = false;
        self.core.wake.notify_all();
    }
}

/// The process-wide file lock ([`crate::fsutil::FileLock`]) with the store's errors.
pub(super) struct FileLock {
    _lock: crate::fsutil::FileLock,
}

impl FileLock {
    /// Take the lock on `path`, waiting at most `timeout`.
    pub(super) fn acquire(path: &Path, timeout: Duration) -> Result<FileLock, BackupError> {
        let started = Instant::now();
        match crate::fsutil::FileLock::acquire(path, timeout) {
            Ok(lock) => Ok(FileLock { _lock: lock }),
            Err(error) if error.kind() == std::io::ErrorKind::TimedOut => {
                Err(BackupError::LockTimeout {
                    path: path.to_path_buf(),
                    seconds: started.elapsed().as_secs(),
                })
            }
            Err(error) => Err(BackupError::io(path, error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiting(records: usize, journaled: Instant, oldest: Instant) -> State {
        State {
            pending: vec![Record::default(); records],
            journaled_at: Some(journaled),
            oldest_pending_at: Some(oldest),
            ..State::default()
        }
    }

    #[test]
    fn the_committer_waits_for_a_quiet_moment_but_not_for_ever() {
        let now = Instant::now();
        // Nothing to commit: nothing to wait for.
        assert_eq!(commit_delay(&State::default(), now), None);
        // A batch just journaled: wait for the quiet period.
        assert_eq!(commit_delay(&waiting(3, now, now), now), Some(COMMIT_QUIET));
        // Quiet long enough: commit.
        let quiet = now + COMMIT_QUIET;
        assert_eq!(commit_delay(&waiting(3, now, now), quiet), None);
        // Saves keep coming, but the oldest has waited its longest: commit.
        let later = now + COMMIT_MAX_DELAY;
        assert_eq!(commit_delay(&waiting(3, later, now), later), None);
        let almost = later - Duration::from_millis(2);
        assert_eq!(
            commit_delay(&waiting(3, almost, now), almost),
            Some(Duration::from_millis(2))
        );
        // Enough records, a flush, or closing: commit now.
        assert_eq!(
            commit_delay(&waiting(COMMIT_MAX_RECORDS, now, now), now),
            None
        );
        let mut flushed = waiting(3, now, now);
        flushed.flushing = 1;
        assert_eq!(commit_delay(&flushed, now), None);
        let mut closing = waiting(3, now, now);
        closing.closing = true;
        assert_eq!(commit_delay(&closing, now), None);
    }
}
