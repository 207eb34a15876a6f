//! The write path: one writer per process and one per repository across processes.
//!
//! `save` calls from any number of threads join a queue; the first caller that finds no
//! writer at work becomes the writer, lingers while saves keep arriving (a few
//! milliseconds), then commits everything queued (group commit), so 1,000 concurrent saves
//! cost a handful of git processes, while each device still gets its own commit. The writer holds `state/backups.lock` (`flock`) while it commits, so a daemon and
//! a technician's run never interleave; the branch is moved by one `update-ref`
//! transaction that names the tip it started from (compare-and-swap), so a commit made
//! behind netparc's back is never lost either.
//!
//! A batch is: read the tip, compare each configuration's blob id with the tip's tree (no
//! process: the id is hashed here), stream the changed ones to one `git fast-import` as one
//! commit each onto a scratch ref, then move the branch and delete the scratch ref in one
//! transaction, answer the callers, then mirror the changed files into the folder for people
//! to read.

use super::error::BackupError;
use super::git::{Git, ObjectFormat, parse_ls_tree, quote_path};
use super::{Revision, short};
use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Where fast-import builds a batch before the branch moves to it in one transaction.
const SCRATCH_REF: &str = "refs/netparc/import";

/// How long a writer waits for another process's batch before giving up. A batch of 1,000
/// devices takes seconds; minutes mean a stuck process.
const LOCK_TIMEOUT: Duration = Duration::from_secs(300);

/// fsync objects and refs before a save returns: the caller changes the device next, and a
/// backup lost to a power cut would leave no way back. (Git before 2.36 ignores the key.)
const DURABLE: &str = "core.fsync=committed";

/// One flush for a batch's loose objects instead of one per object (git 2.37+): a batch of
/// ten single-device commits otherwise costs thirty fsyncs.
const DURABLE_BATCH: &str = "core.fsyncMethod=batch";

/// How long the writer waits without a new save before it commits (see `Writer::linger`).
const LINGER_QUIET: Duration = Duration::from_millis(3);

/// The longest the writer lingers before committing what it has.
const LINGER_MAX: Duration = Duration::from_millis(30);

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
    /// A caller is committing a batch now.
    writing: bool,
    /// The next ticket.
    next: u64,
}

/// What the writer knows of the branch, valid while the tip is unchanged; only the writer
/// touches it, so a batch whose tip did not move costs no `ls-tree`.
#[derive(Default)]
struct Cache {
    /// The tip this cache describes (`None`: no commit yet).
    tip: Option<String>,
    /// `<asset>.cfg` → blob id in the tip's tree.
    tree: HashMap<String, String>,
    /// `<asset>.cfg` → the latest commit that changed it (what an unchanged save returns).
    last_touch: HashMap<String, String>,
}

/// The write half of a store.
pub(super) struct Writer {
    git: Git,
    format: ObjectFormat,
    /// The branch backups are committed to (`refs/heads/main`).
    branch: String,
    /// `state/backups.lock`, outside the repository so it also guards its creation.
    lock_path: PathBuf,
    /// `Name <email>` for author and committer.
    identity: String,
    queue: Mutex<Queue>,
    wake: Condvar,
    /// Signalled when a save joins the queue.
    arrived: Condvar,
    cache: Mutex<Cache>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The queue and cache stay consistent even if a holder panicked: a panicking writer's
    // jobs are answered by `Leader::drop`, and the cache is re-validated against the tip.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Writer {
    pub(super) fn new(
        git: Git,
        format: ObjectFormat,
        branch: String,
        lock_path: PathBuf,
        identity: String,
    ) -> Writer {
        Writer {
            git,
            format,
            branch,
            lock_path,
            identity,
            queue: Mutex::default(),
            wake: Condvar::new(),
            arrived: Condvar::new(),
            cache: Mutex::default(),
        }
    }

    /// Queue `job` and wait for its commit, becoming the writer if none is at work.
    pub(super) fn save(&self, job: Job) -> Result<Revision, BackupError> {
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
                drop(queue);
                let (tickets, jobs): (Vec<u64>, Vec<Job>) = batch.into_iter().unzip();
                let mut leader = Leader {
                    writer: self,
                    tickets,
                    results: None,
                };
                let started = Instant::now();
                let results: Vec<Result<Revision, BackupError>> = match self.commit_batch(&jobs) {
                    Ok(revisions) => revisions.into_iter().map(Ok).collect(),
                    Err(error) => jobs.iter().map(|_| Err(error.clone())).collect(),
                };
                let committed = results
                    .iter()
                    .any(|result| result.as_ref().is_ok_and(|revision| revision.changed));
                tracing::debug!(
                    saves = jobs.len(),
                    ms = started.elapsed().as_millis() as u64,
                    "backup batch committed"
                );
                let mirrored = self.mirror_plan(&jobs, &results);
                leader.results = Some(results);
                // The callers have their backups and go on changing their devices; the
                // readable copies and the housekeeping come after, still as this process's
                // writer so no batch races them.
                leader.answer();
                self.after_batch(mirrored, committed);
                drop(leader);
                queue = lock(&self.queue);
                continue;
            }
            queue = self
                .wake
                .wait(queue)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Wait, as the writer about to commit, while saves keep arriving: devices of a run reach
    /// their backup within milliseconds of each other, and each commit costs its fsyncs
    /// (≈ 10–20 ms), so a first device committed alone makes all the others wait for two.
    /// Stops after a quiet `LINGER_QUIET` or `LINGER_MAX` in all.
    fn linger<'q>(&self, mut queue: MutexGuard<'q, Queue>) -> MutexGuard<'q, Queue> {
        let start = Instant::now();
        loop {
            let before = queue.pending.len();
            let Some(left) = LINGER_MAX.checked_sub(start.elapsed()) else {
                return queue;
            };
            let (guard, _) = self
                .arrived
                .wait_timeout(queue, LINGER_QUIET.min(left))
                .unwrap_or_else(PoisonError::into_inner);
            queue = guard;
            if queue.pending.len() == before {
                return queue;
            }
        }
    }

    /// Commit `jobs` in order, one commit per changed configuration. All or nothing: the
    /// branch moves once, at the end.
    fn commit_batch(&self, jobs: &[Job]) -> Result<Vec<Revision>, BackupError> {
        let _lock = FileLock::acquire(&self.lock_path, LOCK_TIMEOUT)?;
        let mut cache = lock(&self.cache);
        for attempt in 0..CAS_ATTEMPTS {
            // Under the lock, the tip this process last wrote is the branch's unless git was
            // used behind netparc's back: a commit catches that (the branch moves by
            // compare-and-swap), so only a batch that commits nothing asks git first.
            let (tip, asked) = match (&cache.tip, attempt) {
                (Some(tip), 0) => (Some(tip.clone()), false),
                _ => (self.read_tip()?, true),
            };
            if cache.tip != tip {
                *cache = Cache {
                    tree: match &tip {
                        Some(tip) => self.load_tree(tip)?,
                        None => HashMap::new(),
                    },
                    tip: tip.clone(),
                    last_touch: HashMap::new(),
                };
            }
            let plan = self.plan(jobs, &cache.tree, tip.as_deref());
            if plan.commits == 0 {
                if !asked && self.read_tip()? != tip {
                    cache.tip = None;
                    continue;
                }
                return self.resolve(jobs, &plan.outcomes, &[], &mut cache);
            }
            let ids = self.fast_import(&plan.stream, plan.commits)?;
            let new_tip = ids[plan.commits - 1].clone();
            if !self.move_branch(tip.as_deref(), &new_tip)? {
                // Something moved the branch outside the lock: rebuild on its new tip.
                cache.tip = None;
                continue;
            }
            cache.tip = Some(new_tip);
            cache.tree = plan.tree;
            for (path, mark) in &plan.touched {
                cache
                    .last_touch
                    .insert(path.clone(), ids[*mark - 1].clone());
            }
            return self.resolve(jobs, &plan.outcomes, &ids, &mut cache);
        }
        Err(BackupError::Contended {
            path: self.git.dir.clone(),
        })
    }

    /// Decide, without a process, which jobs change their file, and write the fast-import
    /// stream for those.
    fn plan(&self, jobs: &[Job], tree: &HashMap<String, String>, tip: Option<&str>) -> Plan {
        let mut plan = Plan {
            tree: tree.clone(),
            ..Plan::default()
        };
        let time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let stream = &mut plan.stream;
        stream.extend_from_slice(format!("feature done\nreset {SCRATCH_REF}\n").as_bytes());
        for job in jobs {
            let path = format!("{}.cfg", job.asset);
            let id = self.format.blob_id(job.config.as_bytes());
            if plan.tree.get(&path) == Some(&id) {
                let mark = plan.touched.get(&path).copied();
                plan.outcomes.push(Outcome::Same { path, mark });
                continue;
            }
            plan.commits += 1;
            let mark = plan.commits;
            let message = format!("{}: {}\n", job.asset, job.message);
            let who = format!("{} {time} +0000", self.identity);
            stream.extend_from_slice(
                format!(
                    "commit {SCRATCH_REF}\nmark :{mark}\nauthor {who}\ncommitter {who}\ndata {}\n",
                    message.len()
                )
                .as_bytes(),
            );
            stream.extend_from_slice(message.as_bytes());
            if mark == 1
                && let Some(tip) = tip
            {
                stream.extend_from_slice(format!("from {tip}\n").as_bytes());
            }
            stream.extend_from_slice(
                format!(
                    "M 100644 inline {}\ndata {}\n",
                    quote_path(&path),
                    job.config.len()
                )
                .as_bytes(),
            );
            stream.extend_from_slice(job.config.as_bytes());
            stream.extend_from_slice(b"\n\n");
            plan.tree.insert(path.clone(), id);
            plan.touched.insert(path, mark);
            plan.outcomes.push(Outcome::New { mark });
        }
        stream.extend_from_slice(b"done\n");
        plan
    }

    /// The revisions answered to each job.
    fn resolve(
        &self,
        jobs: &[Job],
        outcomes: &[Outcome],
        ids: &[String],
        cache: &mut Cache,
    ) -> Result<Vec<Revision>, BackupError> {
        // Unchanged files whose last commit is not known yet: one history walk for all.
        let unknown: HashSet<String> = outcomes
            .iter()
            .filter_map(|o| match o {
                Outcome::Same { path, mark: None } if !cache.last_touch.contains_key(path) => {
                    Some(path.clone())
                }
                _ => None,
            })
            .collect();
        if let (false, Some(tip)) = (unknown.is_empty(), cache.tip.clone()) {
            self.find_last_touches(&tip, unknown, &mut cache.last_touch)?;
        }
        let mut revisions = Vec::with_capacity(jobs.len());
        for outcome in outcomes {
            let (id, changed) = match outcome {
                Outcome::New { mark } => (ids[*mark - 1].clone(), true),
                Outcome::Same {
                    mark: Some(mark), ..
                } => (ids[*mark - 1].clone(), false),
                Outcome::Same { path, mark: None } => {
                    let id = cache
                        .last_touch
                        .get(path)
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

    /// The branch tip, `None` before the first backup.
    pub(super) fn read_tip(&self) -> Result<Option<String>, BackupError> {
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
            // Quiet verify exits 1 without output for an unborn branch.
            Some(1) if output.stdout.is_empty() => Ok(None),
            _ => Err(self.git.failed(&args, &output)),
        }
    }

    fn load_tree(&self, tip: &str) -> Result<HashMap<String, String>, BackupError> {
        let out = self
            .git
            .run(&["ls-tree".as_ref(), "-z".as_ref(), tip.as_ref()], None)?;
        Ok(parse_ls_tree(&out))
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

    /// The readable copies a batch calls for: `<asset>.cfg` for each asset whose
    /// configuration changed, and any missing one (a failed earlier write, a repository
    /// restored without them), with the asset's latest content. None when the batch failed.
    fn mirror_plan<'j>(
        &self,
        jobs: &'j [Job],
        results: &[Result<Revision, BackupError>],
    ) -> Vec<(PathBuf, &'j str)> {
        // The last job of an asset holds its latest content, changed or not.
        let mut latest: HashMap<&str, (&Job, bool)> = HashMap::new();
        for (job, result) in jobs.iter().zip(results) {
            let Ok(revision) = result else {
                return Vec::new();
            };
            let changed =
                latest.get(job.asset.as_str()).is_some_and(|(_, c)| *c) || revision.changed;
            latest.insert(job.asset.as_str(), (job, changed));
        }
        latest
            .into_values()
            .map(|(job, changed)| {
                (
                    self.git.dir.join(format!("{}.cfg", job.asset)),
                    job,
                    changed,
                )
            })
            .filter(|(path, _, changed)| *changed || !path.exists())
            .map(|(path, job, _)| (path, job.config.as_str()))
            .collect()
    }

    /// After a batch's callers have their answers: write its readable copies (0600, for
    /// people to read and grep) and let git pack loose objects if the batch committed. Under
    /// the lock, so copies land in commit order across processes. Best effort: the commit is
    /// the backup; a copy not written is logged, and the next save of that asset writes it.
    fn after_batch(&self, mirrored: Vec<(PathBuf, &str)>, committed: bool) {
        if mirrored.is_empty() && !committed {
            return;
        }
        let Ok(_lock) = FileLock::acquire(&self.lock_path, LOCK_TIMEOUT) else {
            return;
        };
        for (path, config) in mirrored {
            if let Err(error) = write_private(&self.git.dir, &path, config.as_bytes()) {
                tracing::warn!(file = %path.display(), %error, "backup committed, but its readable copy was not written");
            }
        }
        if committed {
            self.gc_auto();
        }
    }

    /// Let git pack loose objects when it judges it useful (thousands of saves make thousands
    /// of objects). Foreground, under the lock: a detached gc would race the next batch.
    fn gc_auto(&self) {
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

/// A batch, planned.
#[derive(Default)]
struct Plan {
    /// The fast-import input.
    stream: Vec<u8>,
    /// How many commits it makes (marks are 1..=commits).
    commits: usize,
    /// One per job, in order.
    outcomes: Vec<Outcome>,
    /// The tree after the batch.
    tree: HashMap<String, String>,
    /// Path → the last mark that changed it in this batch.
    touched: HashMap<String, usize>,
}

/// What a job became.
enum Outcome {
    /// A new commit, by fast-import mark.
    New { mark: usize },
    /// No change; `mark` when an earlier job of the same batch made this content.
    Same { path: String, mark: Option<usize> },
}

/// The writer of a batch; answers every job of it when dropped, even if the writer panicked,
/// so no caller waits forever.
struct Leader<'a> {
    writer: &'a Writer,
    tickets: Vec<u64>,
    results: Option<Vec<Result<Revision, BackupError>>>,
}

impl Leader<'_> {
    /// Hand every job of the batch its result (an error for each the writer did not
    /// answer), and wake the callers; this process stays the writer until dropped.
    fn answer(&mut self) {
        let mut results = self.results.take().unwrap_or_default().into_iter();
        let mut queue = lock(&self.writer.queue);
        for ticket in std::mem::take(&mut self.tickets) {
            let result = results.next().unwrap_or(Err(BackupError::WriterFailed));
            queue.done.insert(ticket, result);
        }
        drop(queue);
        self.writer.wake.notify_all();
    }
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        self.answer();
        lock(&self.writer.queue).writing = false;
        self.writer.wake.notify_all();
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

/// Replace `path` with `content`, mode 0600, through a tempfile and a rename so a reader
/// never sees half a file. No fsync: git holds the durable copy.
fn write_private(dir: &Path, path: &Path, content: &[u8]) -> std::io::Result<()> {
    // tempfile creates files 0600, which the rename keeps.
    let mut tmp = tempfile::Builder::new()
        .prefix(".netparc-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(content)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
