//! The backup store on real temporary folders with the real `git`: creation, no-op saves,
//! one commit per device, history, revisions, diffs, names, permissions, corruption, and
//! writers racing in threads and in processes.

use super::git::{Git, ObjectFormat};
use super::*;
use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

fn store() -> (tempfile::TempDir, BackupStore) {
    let root = tempfile::tempdir().expect("tempdir");
    let store = BackupStore::open(root.path()).expect("open");
    (root, store)
}

/// git's own view, once every save answered so far has reached it.
fn git(store: &BackupStore, args: &[&str]) -> String {
    store.flush().expect("flush");
    let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    let out = Git::new(store.path()).run(&args, None).expect("git");
    String::from_utf8(out).expect("utf-8").trim().to_string()
}

fn commits(store: &BackupStore) -> usize {
    git(store, &["rev-list", "--count", "refs/heads/main"])
        .parse()
        .expect("count")
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

/// A plausible running configuration of about 5 KB.
fn config(asset: &str, version: usize) -> String {
    let mut text = format!("hostname {asset}\n! version {version}\n");
    for port in 0..60 {
        text.push_str(&format!(
            "interface GigabitEthernet1/0/{port}\n description user port {port}\n switchport access vlan 20\n!\n"
        ));
    }
    text
}

#[test]
fn first_save_creates_the_repository_and_one_private_commit() {
    let (root, store) = store();
    let dir = root.path().join("state/backups");
    assert_eq!(store.path(), dir);
    let revision = store
        .save("sw1", "hostname sw1\n", "before CHG-1")
        .expect("save");
    assert!(revision.changed);
    assert_eq!(revision.id.len(), 40);
    assert_eq!(revision.short, revision.id[..12]);
    assert_eq!(commits(&store), 1);
    assert_eq!(git(&store, &["rev-parse", "refs/heads/main"]), revision.id);
    assert_eq!(
        git(&store, &["log", "-1", "--format=%an <%ae>|%s"])
            .split('|')
            .nth(1),
        Some("sw1: before CHG-1")
    );
    // The readable copy and the folder are private: configurations hold secrets' hashes.
    let file = dir.join("sw1.cfg");
    assert_eq!(
        std::fs::read_to_string(&file).expect("copy"),
        "hostname sw1\n"
    );
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join(".git")), 0o700);
    let mut folders = vec![dir.join(".git")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("read_dir") {
            let path = entry.expect("entry").path();
            assert_eq!(mode(&path) & 0o077, 0, "{} is not private", path.display());
            if path.is_dir() {
                folders.push(path);
            }
        }
    }
    // Nothing but the copies and git's own in the folder.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(names, [".git", "sw1.cfg"]);
    // Reopening finds the same history.
    let again = BackupStore::open(root.path()).expect("reopen");
    assert_eq!(again.history("sw1").expect("history").len(), 1);
}

#[test]
fn unchanged_configuration_is_a_no_op_returning_its_revision() {
    let (root, store) = store();
    let first = store.save("sw1", &config("sw1", 1), "one").expect("save");
    let same = store.save("sw1", &config("sw1", 1), "two").expect("save");
    assert!(!same.changed);
    assert_eq!(same.id, first.id);
    assert_eq!(commits(&store), 1);
    // Still the revision that last changed sw1 after other devices moved the branch, also
    // for a fresh process that has to look it up in the history.
    store.save("sw2", &config("sw2", 1), "other").expect("save");
    let fresh = BackupStore::open(root.path()).expect("reopen");
    let same = fresh.save("sw1", &config("sw1", 1), "three").expect("save");
    assert_eq!((same.id.as_str(), same.changed), (first.id.as_str(), false));
    assert_eq!(commits(&store), 2);
    // A lost readable copy comes back with the next save, changed or not.
    let copy = root.path().join("state/backups/sw1.cfg");
    std::fs::remove_file(&copy).expect("remove");
    fresh.save("sw1", &config("sw1", 1), "four").expect("save");
    // Copies are written behind the answers, with the commits.
    fresh.flush().expect("flush");
    assert_eq!(
        std::fs::read_to_string(&copy).expect("copy"),
        config("sw1", 1)
    );
    assert_eq!(mode(&copy), 0o600);
}

#[test]
fn a_writer_whose_remembered_tip_is_stale_loses_nothing() {
    // Two stores on one inventory: two writers, each remembering the tip it last wrote,
    // as two netparc processes would.
    let (root, first) = store();
    let second = BackupStore::open(root.path()).expect("open");
    first.save("sw1", &config("sw1", 1), "a").expect("save");
    second.save("sw1", &config("sw1", 2), "b").expect("save");
    // `first` still remembers sw1 at version 1, but the branch holds version 2: saving
    // version 1 again is a change, not a no-op.
    let again = first.save("sw1", &config("sw1", 1), "c").expect("save");
    assert!(again.changed);
    assert_eq!(commits(&first), 3);
    // A commit from a stale tip is refused by the branch's compare-and-swap and rebuilt on
    // the new one: the other writer's commit stays in the history.
    let other = second.save("sw2", &config("sw2", 1), "d").expect("save");
    let mine = first.save("sw3", &config("sw3", 1), "e").expect("save");
    assert_eq!(commits(&first), 5);
    let history = git(&first, &["rev-list", "refs/heads/main"]);
    assert!(
        history.contains(&other.id) && history.contains(&mine.id),
        "{history}"
    );
    assert_eq!(
        git(&first, &["ls-tree", "--name-only", "refs/heads/main"]),
        "sw1.cfg\nsw2.cfg\nsw3.cfg"
    );
}

#[test]
fn a_change_makes_one_commit_touching_only_that_asset() {
    let (_root, store) = store();
    store.save("sw1", "hostname sw1\n", "a").expect("save");
    store.save("sw2", "hostname sw2\n", "b").expect("save");
    let changed = store
        .save("sw1", "hostname sw1\nvlan 30\n", "c")
        .expect("save");
    assert!(changed.changed);
    assert_eq!(commits(&store), 3);
    let touched = git(&store, &["show", "--name-only", "--format=", &changed.id]);
    assert_eq!(touched, "sw1.cfg");
    assert_eq!(
        git(&store, &["ls-tree", "--name-only", "refs/heads/main"]),
        "sw1.cfg\nsw2.cfg"
    );
}

#[test]
fn history_is_newest_first() {
    let (_root, store) = store();
    let one = store.save("ap-1", "v1\n", "first").expect("save");
    store.save("sw9", "x\n", "unrelated").expect("save");
    let two = store
        .save("ap-1", "v2\n", "second\twith tab")
        .expect("save");
    let history = store.history("ap-1").expect("history");
    let got: Vec<(&str, &str)> = history
        .iter()
        .map(|e| (e.id.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (two.id.as_str(), "second with tab"),
            (one.id.as_str(), "first")
        ]
    );
    assert!(history[0].time >= history[1].time);
    assert!(history[0].time > 1_700_000_000);
    assert_eq!(history[0].short, two.short);
    assert!(store.history("never").expect("history").is_empty());
}

#[test]
fn get_by_full_short_abbreviated_and_latest() {
    let (_root, store) = store();
    let one = store.save("sw1", "v1\n", "a").expect("save");
    let two = store.save("sw1", "v2\n", "b").expect("save");
    let (latest, text) = store.get("sw1", None).expect("latest");
    assert_eq!(
        (latest.id.as_str(), text.as_str()),
        (two.id.as_str(), "v2\n")
    );
    let (revision, text) = store.get("sw1", Some(&one.id)).expect("full");
    assert_eq!(
        (revision.id.as_str(), text.as_str()),
        (one.id.as_str(), "v1\n")
    );
    let (revision, text) = store.get("sw1", Some(&one.short)).expect("short");
    assert_eq!(
        (revision.id.as_str(), text.as_str()),
        (one.id.as_str(), "v1\n")
    );
    let upper = one.id[..8].to_ascii_uppercase();
    let (revision, _) = store.get("sw1", Some(&upper)).expect("abbreviated");
    assert_eq!(revision.id, one.id);
}

#[test]
fn unknown_revision_lists_the_latest_ones() {
    let (_root, store) = store();
    let one = store.save("sw1", "v1\n", "first").expect("save");
    let two = store.save("sw1", "v2\n", "second").expect("save");
    let history = store.history("sw1").expect("history");
    let error = store.get("sw1", Some("deadbeef")).expect_err("unknown");
    assert_eq!(
        error.to_string(),
        format!(
            "sw1 has no backup at revision \"deadbeef\"; latest revisions: {} ({}) second; {} ({}) first",
            two.short,
            history[0].time_utc(),
            one.short,
            history[1].time_utc()
        )
    );
    assert_eq!(
        store
            .get("sw1", Some("HEAD~1"))
            .expect_err("invalid")
            .to_string(),
        "invalid revision \"HEAD~1\": expected a commit hash, full or abbreviated (at least 4 \
         hexadecimal digits), as `netparc backup history` shows"
    );
    // A revision from before the asset existed.
    let other = store.save("sw2", "x\n", "x").expect("save");
    assert!(matches!(
        store.get("sw2", Some(&one.id)),
        Err(BackupError::UnknownRevision { .. })
    ));
    assert_eq!(store.get("sw2", Some(&other.id)).expect("get").1, "x\n");
    assert_eq!(
        store.get("sw3", None).expect_err("none").to_string(),
        "sw3 has no backup yet: run `netparc backup --limit sw3` first"
    );
}

#[test]
fn diff_is_unified() {
    let (_root, store) = store();
    let old = "hostname sw1\nvlan 10\n name users\n";
    let new = "hostname sw1\nvlan 10\n name staff\n";
    let one = store.save("sw1", old, "a").expect("save");
    let two = store.save("sw1", new, "b").expect("save");
    let blob = |text: &str| ObjectFormat::Sha1.blob_id(text.as_bytes())[..7].to_string();
    let expected = format!(
        "diff --git a/sw1.cfg b/sw1.cfg\nindex {}..{} 100644\n--- a/sw1.cfg\n+++ b/sw1.cfg\n\
         @@ -1,3 +1,3 @@\n hostname sw1\n vlan 10\n- name users\n+ name staff\n",
        blob(old),
        blob(new)
    );
    assert_eq!(
        store.diff("sw1", &one.short, Some(&two.id)).expect("diff"),
        expected
    );
    assert_eq!(
        store.diff("sw1", &one.id, None).expect("diff to latest"),
        expected
    );
    assert_eq!(store.diff("sw1", &two.id, None).expect("no change"), "");
    assert!(matches!(
        store.diff("sw1", "abcdef12", None),
        Err(BackupError::UnknownRevision { .. })
    ));
}

#[test]
fn invalid_asset_names_are_refused() {
    let (root, store) = store();
    let cases = [
        ("", "invalid asset name \"\" for a backup: it is empty"),
        (
            "a/b",
            "invalid asset name \"a/b\" for a backup: it contains `/`",
        ),
        (
            "..",
            "invalid asset name \"..\" for a backup: it contains `..`",
        ),
        (
            "x..y",
            "invalid asset name \"x..y\" for a backup: it contains `..`",
        ),
        (
            ".git",
            "invalid asset name \".git\" for a backup: it starts with `.`",
        ),
        (
            "sw\n1",
            "invalid asset name \"sw\\n1\" for a backup: it contains a control character",
        ),
    ];
    for (name, message) in cases {
        let error = store.save(name, "x", "m").expect_err(name);
        assert_eq!(error.to_string(), message);
        assert!(store.history(name).is_err());
        assert!(store.get(name, None).is_err());
    }
    assert!(store.save(&"a".repeat(201), "x", "m").is_err());
    // Odd but valid names round-trip (quoting in fast-import, literal pathspecs).
    for name in ["sw 1", "ap[1]*", "\"q\\uoted", "crème-brûlée"] {
        let revision = store.save(name, name, "odd").expect(name);
        assert_eq!(store.get(name, None).expect(name).1, name);
        assert_eq!(store.history(name).expect(name)[0].id, revision.id);
    }
    assert!(!root.path().join("state/a").exists());
}

#[test]
fn fifty_threads_lose_no_commit() {
    // Two saves per thread, of two assets: the second ones are journaled while the first are
    // committed, so the committer drains the journal over several rounds.
    let (root, store) = store();
    let threads: Vec<_> = (0..50)
        .map(|i| {
            let store = store.clone();
            std::thread::spawn(move || {
                let (first, second) = (format!("sw{i}"), format!("ap{i}"));
                let first = store.save(&first, &config(&first, 1), "parallel")?;
                let second = store.save(&second, &config(&second, 1), "parallel")?;
                Ok::<_, BackupError>([first.id, second.id])
            })
        })
        .collect();
    let mut ids: Vec<String> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("thread").expect("save"))
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 100);
    assert_eq!(commits(&store), 100);
    for asset in (0..50).flat_map(|i| [format!("sw{i}"), format!("ap{i}")]) {
        assert_eq!(store.history(&asset).expect("history").len(), 1);
        assert_eq!(store.get(&asset, None).expect("get").1, config(&asset, 1));
        // Every readable copy is written, whichever round committed it.
        let copy = root.path().join(format!("state/backups/{asset}.cfg"));
        assert_eq!(
            std::fs::read_to_string(&copy).expect("copy"),
            config(&asset, 1)
        );
    }
}

/// Env switch: when set (to an inventory folder), [`helper_process_saves`] is the helper
/// process of [`two_processes_lose_no_commit`]; otherwise it does nothing.
const HELPER_ROOT: &str = "NETPARC_BACKUP_TEST_ROOT";
const HELPER_PREFIX: &str = "NETPARC_BACKUP_TEST_PREFIX";

#[test]
fn helper_process_saves() {
    let (Some(root), Some(prefix)) = (
        std::env::var_os(HELPER_ROOT),
        std::env::var(HELPER_PREFIX).ok(),
    ) else {
        return;
    };
    let store = BackupStore::open(std::path::Path::new(&root)).expect("open");
    // Ten threads of ten saves: batches in this process race the other process's.
    let threads: Vec<_> = (0..10)
        .map(|t| {
            let (store, prefix) = (store.clone(), prefix.clone());
            std::thread::spawn(move || {
                for i in 0..10 {
                    let asset = format!("{prefix}-{t}-{i}");
                    store
                        .save(&asset, &config(&asset, 1), "helper")
                        .expect("save");
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("thread");
    }
}

#[test]
fn two_processes_lose_no_commit() {
    // Nothing exists yet: both helpers also race to create the repository.
    let root = tempfile::tempdir().expect("tempdir");
    let exe = std::env::current_exe().expect("current_exe");
    let children: Vec<_> = ["a", "b"]
        .iter()
        .map(|prefix| {
            Command::new(&exe)
                .args([
                    "backup::tests::helper_process_saves",
                    "--exact",
                    "--test-threads=1",
                ])
                .env(HELPER_ROOT, root.path())
                .env(HELPER_PREFIX, prefix)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("spawn helper")
        })
        .collect();
    // Both started before either is waited for, so they overlap.
    for child in children {
        let output = child.wait_with_output().expect("helper");
        assert!(
            output.status.success(),
            "helper failed: {}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
    let store = BackupStore::open(root.path()).expect("open");
    assert_eq!(commits(&store), 200);
    // Each commit touches one file, and every asset's file was touched exactly once.
    let mut touched: Vec<String> = git(&store, &["log", "--format=", "--name-only"])
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(touched.len(), 200);
    touched.sort();
    touched.dedup();
    assert_eq!(touched.len(), 200);
    assert!(touched.iter().all(|name| name.ends_with(".cfg")));
}

#[test]
fn corrupt_repository_is_reported_and_left_alone() {
    let (root, store) = store();
    store.save("sw1", "x\n", "x").expect("save");
    let head = root.path().join("state/backups/.git/HEAD");
    std::fs::write(&head, "garbage\n").expect("write");
    let error = BackupStore::open(root.path()).err().expect("corrupt");
    assert!(matches!(error, BackupError::Corrupt { .. }), "{error}");
    let text = error.to_string();
    assert!(text.contains("not a usable git repository"), "{text}");
    assert!(text.contains("it was left untouched"), "{text}");
    assert_eq!(std::fs::read_to_string(&head).expect("read"), "garbage\n");
    // A broken branch is not overwritten by the next save either.
    let (root, store) = self::store();
    store.save("sw1", "x\n", "x").expect("save");
    store.flush().expect("flush");
    let branch = root.path().join("state/backups/.git/refs/heads/main");
    std::fs::write(&branch, "garbage\n").expect("write");
    let error = BackupStore::open(root.path()).err().expect("broken branch");
    let text = error.to_string();
    assert!(
        text.contains("HEAD does not name a usable branch"),
        "{text}"
    );
    // An already open store finds it on its next save and refuses too, before journaling.
    let error = store.save("sw1", "y\n", "y").expect_err("broken branch");
    let text = error.to_string();
    assert!(text.starts_with("git rev-parse failed in "), "{text}");
    assert!(text.contains("broken ref refs/heads/main"), "{text}");
    assert_eq!(
        std::fs::metadata(root.path().join("state/backups/.git/netparc-journal"))
            .expect("journal")
            .len(),
        0
    );
    assert_eq!(std::fs::read_to_string(&branch).expect("read"), "garbage\n");
    // A folder holding files but no repository is not taken over either.
    let other = tempfile::tempdir().expect("tempdir");
    let dir = other.path().join("state/backups");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("notes.txt"), "mine").expect("write");
    let error = BackupStore::open(other.path()).err().expect("not ours");
    assert!(
        error.to_string().contains("holds no git repository"),
        "{error}"
    );
    assert!(!dir.join(".git").exists());
}

/// Env switch: when set, [`helper_without_git`] opens a store (its PATH holds no git).
const HELPER_NO_GIT: &str = "NETPARC_BACKUP_TEST_NO_GIT";

#[test]
fn helper_without_git() {
    if std::env::var_os(HELPER_NO_GIT).is_none() {
        return;
    }
    let root = tempfile::tempdir().expect("tempdir");
    match BackupStore::open(root.path()) {
        Err(error @ BackupError::GitMissing) => println!("ERROR: {error}"),
        Err(other) => panic!("expected GitMissing, got {other}"),
        Ok(_) => panic!("opened without git"),
    }
}

#[test]
fn missing_git_says_to_install_it() {
    // A child process with an empty PATH: changing PATH here would race other tests.
    let output = Command::new(std::env::current_exe().expect("current_exe"))
        .args([
            "backup::tests::helper_without_git",
            "--exact",
            "--nocapture",
        ])
        .env(HELPER_NO_GIT, "1")
        .env("PATH", "/nonexistent")
        .output()
        .expect("spawn helper");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains(
            "ERROR: git is not installed or not on PATH: netparc keeps configuration backups in \
             a git repository; install git (e.g. `apt-get install git`) and run again"
        ),
        "{stdout}"
    );
}

#[test]
fn identity_comes_from_git_config_or_is_netparc() {
    assert_eq!(parse_identity(""), "netparc <netparc@localhost>");
    assert_eq!(
        parse_identity("user.name Ada Lovelace\nuser.email ada@example.org\n"),
        "Ada Lovelace <ada@example.org>"
    );
    // Half an identity, or one fast-import would misread, is not used.
    assert_eq!(
        parse_identity("user.name Ada\n"),
        "netparc <netparc@localhost>"
    );
    assert_eq!(
        parse_identity("user.name A <b>\nuser.email a@b\n"),
        "netparc <netparc@localhost>"
    );
}

#[test]
fn times_show_in_utc() {
    let entry = Entry {
        id: String::new(),
        short: String::new(),
        time: 1_764_073_800,
        message: String::new(),
    };
    assert_eq!(entry.time_utc(), "2025-11-25 12:30 UTC");
}

#[test]
fn a_held_lock_times_out_with_advice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("backups.lock");
    let _held = writer::FileLock::acquire(&path, std::time::Duration::from_secs(1)).expect("lock");
    let error = writer::FileLock::acquire(&path, std::time::Duration::from_millis(100))
        .err()
        .expect("timeout");
    assert!(matches!(error, BackupError::LockTimeout { .. }));
    assert!(
        error
            .to_string()
            .contains("another netparc process has held the backup lock")
    );
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn blob_ids_match_git() {
    let (_root, store) = store();
    let id = git(&store, &["hash-object", "--stdin"]);
    // hash-object of empty stdin is the empty blob.
    assert_eq!(id, ObjectFormat::Sha1.blob_id(b""));
}

/// Measurement, not a check: `cargo test --lib backup::tests::thousand_saves -- --ignored
/// --nocapture`.
#[test]
#[ignore]
fn thousand_saves() {
    let (_root, store) = store();
    let configs: Vec<(String, String)> = (0..1000)
        .map(|i| {
            let asset = format!("dev{i:04}");
            let text = config(&asset, 1);
            (asset, text)
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .build()
        .expect("runtime");
    let started = std::time::Instant::now();
    runtime.block_on(async {
        let tasks: Vec<_> = configs
            .iter()
            .cloned()
            .map(|(asset, text)| {
                let store = store.clone();
                tokio::task::spawn_blocking(move || store.save(&asset, &text, "bench"))
            })
            .collect();
        for task in tasks {
            assert!(task.await.expect("join").expect("save").changed);
        }
    });
    let concurrent = started.elapsed();
    assert_eq!(commits(&store), 1000);
    let started = std::time::Instant::now();
    for (asset, text) in &configs {
        assert!(!store.save(asset, text, "again").expect("save").changed);
    }
    let unchanged = started.elapsed();
    let started = std::time::Instant::now();
    for (asset, text) in configs.iter().take(200) {
        store
            .save(asset, &format!("{text}! more\n"), "seq")
            .expect("save");
    }
    let sequential = started.elapsed();
    println!(
        "1,000 concurrent saves (5 KB each): {concurrent:?}; 1,000 unchanged sequential: \
         {unchanged:?}; 200 changed sequential: {sequential:?}"
    );
}

/// Commit behind netparc's back with plumbing, as a person with git could: `files` added to
/// the branch's tree (`(name, mode, content)`, a `dir/name` entry making a sub-folder).
fn commit_behind_netparcs_back(store: &BackupStore, files: &[(&str, &str, &str)]) -> String {
    // While the store is idle, as a person would (not racing a commit in flight).
    let _ = store.flush();
    let dir = store.path();
    let run = |args: &[&str], input: Option<&str>| {
        let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        let out = Git::new(dir)
            .run(&args, input.map(|text| text.as_bytes().to_vec()))
            .expect("git");
        String::from_utf8(out).expect("utf-8").trim().to_string()
    };
    let tip = run(&["rev-parse", "refs/heads/main"], None);
    let mut top = run(&["ls-tree", &tip], None);
    let mut folders: std::collections::BTreeMap<&str, String> = Default::default();
    for (name, mode, content) in files {
        let blob = run(&["hash-object", "-w", "--stdin"], Some(content));
        match name.split_once('/') {
            Some((folder, file)) => {
                folders
                    .entry(folder)
                    .or_default()
                    .push_str(&format!("{mode} blob {blob}\t{file}\n"));
            }
            None => top.push_str(&format!("\n{mode} blob {blob}\t{name}")),
        }
    }
    for (folder, entries) in folders {
        let tree = run(&["mktree"], Some(&entries));
        top.push_str(&format!("\n040000 tree {tree}\t{folder}"));
    }
    let tree = run(&["mktree"], Some(top.trim()));
    let commit = run(
        &[
            "-c",
            "user.name=Someone",
            "-c",
            "user.email=someone@example.org",
            "commit-tree",
            &tree,
            "-p",
            &tip,
            "-m",
            "by hand",
        ],
        None,
    );
    run(&["update-ref", "refs/heads/main", &commit, &tip], None);
    commit
}

#[test]
fn revisions_are_known_before_git_runs_and_are_gits_own() {
    // Names fast-import must quote, folders, links and executables someone added by hand:
    // the tree ids computed here must match git's for every shape of tree.
    let (_root, store) = store();
    let names = [
        "sw 1",
        "sw\"quoted\"",
        "back\\slash",
        "rtr-é-ü",
        "a",
        "a-b",
        "a.b",
        "z",
    ];
    let mut answered = Vec::new();
    for (round, name) in names.iter().enumerate() {
        answered.push(
            store
                .save(name, &config(name, round), "first")
                .expect("save"),
        );
    }
    commit_behind_netparcs_back(
        &store,
        &[
            ("a/notes.txt", "100644", "notes\n"),
            ("a.b/deeper", "100644", "x\n"),
            ("run.sh", "100755", "#!/bin/sh\n"),
            ("link", "120000", "sw 1.cfg"),
        ],
    );
    // Concurrent saves: one batch, one chain of commits computed ahead.
    let threads: Vec<_> = names
        .iter()
        .map(|name| {
            let (store, name) = (store.clone(), name.to_string());
            std::thread::spawn(move || store.save(&name, &config(&name, 99), "second"))
        })
        .collect();
    for thread in threads {
        answered.push(thread.join().expect("thread").expect("save"));
    }
    let history = git(&store, &["rev-list", "refs/heads/main"]);
    for revision in &answered {
        assert!(revision.changed);
        assert!(history.contains(&revision.id), "{} not in git", revision.id);
    }
    assert_eq!(commits(&store), names.len() * 2 + 1);
    // What was added by hand is still there.
    let files = git(&store, &["ls-tree", "-r", "--name-only", "refs/heads/main"]);
    assert!(
        files.contains("a/notes.txt") && files.contains("run.sh"),
        "{files}"
    );
}

#[test]
fn a_sha256_repository_gets_its_own_ids_right() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("state/backups");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let status = Command::new("git")
        .args(["init", "--quiet", "--bare", "--object-format=sha256"])
        .args(["--initial-branch=main"])
        .arg(dir.join(".git"))
        .env("GIT_CONFIG_GLOBAL", "https://gh.072103.xyz/dev/null")
        .status()
        .expect("git init");
    assert!(status.success());
    let store = BackupStore::open(root.path()).expect("open");
    let first = store.save("sw1", &config("sw1", 1), "one").expect("save");
    let second = store.save("sw1", &config("sw1", 2), "two").expect("save");
    assert_eq!(first.id.len(), 64);
    assert_eq!(git(&store, &["rev-parse", "refs/heads/main"]), second.id);
    assert_eq!(git(&store, &["rev-parse", "refs/heads/main~1"]), first.id);
}

#[test]
fn saves_journaled_by_a_process_that_died_reach_git_with_their_revisions() {
    let (root, store) = store();
    let before = store
        .save("sw0", &config("sw0", 1), "earlier")
        .expect("save");
    store.flush().expect("flush");
    store.inner.writer.hold_commits(true);
    let answered: Vec<Revision> = (1..=3)
        .map(|i| {
            let asset = format!("sw{i}");
            store
                .save(&asset, &config(&asset, 1), "before change")
                .expect("save")
        })
        .collect();
    let journal = root.path().join("state/backups/.git/netparc-journal");
    let left = std::fs::read(&journal).expect("journal");
    assert_eq!(left.iter().filter(|&&b| b == b'\n').count(), 3);
    // The process dies: the lock goes with it, the journal stays, git never heard of them.
    store.inner.writer.die();
    drop(store);
    let tip = Git::new(&root.path().join("state/backups"))
        .run(&["rev-parse".as_ref(), "refs/heads/main".as_ref()], None)
        .expect("git");
    assert_eq!(String::from_utf8_lossy(&tip).trim(), before.id);

    // The next opening commits them, under the revisions their callers were given.
    let reopened = BackupStore::open(root.path()).expect("open");
    assert_eq!(commits(&reopened), 4);
    let history = git(&reopened, &["rev-list", "refs/heads/main"]);
    for revision in &answered {
        assert!(history.contains(&revision.id), "{}", revision.id);
    }
    assert_eq!(std::fs::metadata(&journal).expect("journal").len(), 0);
    let (revision, text) = reopened.get("sw2", None).expect("get");
    assert_eq!(
        (revision.id.as_str(), text),
        (answered[1].id.as_str(), config("sw2", 1))
    );
    drop(reopened);

    // A journal whose emptying was lost (power cut) holds records git already has: they
    // are recognised, nothing is committed twice.
    std::fs::write(&journal, &left).expect("write");
    let again = BackupStore::open(root.path()).expect("open");
    assert_eq!(commits(&again), 4);
    assert_eq!(std::fs::metadata(&journal).expect("journal").len(), 0);
}

/// `sw0` committed, then `sw1` journaled and answered but held back from git (the store's
/// committer told to wait): what a process leaves if it stops between the two. `sw1`'s
/// revision as answered.
fn journaled_not_committed(store: &BackupStore) -> Revision {
    store
        .save("sw0", &config("sw0", 1), "earlier")
        .expect("save");
    store.flush().expect("flush");
    store.inner.writer.hold_commits(true);
    store
        .save("sw1", &config("sw1", 1), "journaled")
        .expect("save")
}

#[test]
fn journaled_saves_go_onto_a_branch_moved_behind_netparcs_back() {
    let (root, store) = store();
    let announced = journaled_not_committed(&store);
    store.inner.writer.die();
    // Someone commits by hand before netparc opens the store again.
    let by_hand = commit_behind_netparcs_back(&store, &[("notes.txt", "100644", "mine\n")]);
    drop(store);
    let reopened = BackupStore::open(root.path()).expect("open");
    // Nothing lost: the hand-made commit stays, sw1's backup goes on top of it, under a new
    // revision (its parent changed).
    assert_eq!(commits(&reopened), 3);
    let history = git(&reopened, &["rev-list", "refs/heads/main"]);
    assert!(history.contains(&by_hand), "{history}");
    assert!(!history.contains(&announced.id), "{history}");
    let (_, text) = reopened.get("sw1", None).expect("get");
    assert_eq!(text, config("sw1", 1));
}

#[test]
fn a_commit_that_fails_stalls_the_store_and_keeps_the_journal() {
    let (root, store) = store();
    journaled_not_committed(&store);
    let branch = root.path().join("state/backups/.git/refs/heads/main");
    std::fs::write(&branch, "garbage\n").expect("write");
    store.inner.writer.hold_commits(false);
    let error = store.flush().expect_err("stalled");
    let text = error.to_string();
    assert!(
        text.contains("could not be committed to git")
            && text.contains("kept in the store's journal"),
        "{text}"
    );
    // No more backups from this process: its devices must not be changed.
    let error = store.save("sw2", "y\n", "y").expect_err("stalled");
    assert!(matches!(error, BackupError::Stalled { .. }), "{error}");
    let journal = root.path().join("state/backups/.git/netparc-journal");
    assert!(std::fs::metadata(&journal).expect("journal").len() > 0);
    assert_eq!(std::fs::read_to_string(&branch).expect("read"), "garbage\n");
}

#[test]
fn the_tip_is_read_from_loose_or_packed_refs_alike() {
    let (root, store) = store();
    let first = store.save("sw1", &config("sw1", 1), "one").expect("save");
    store.flush().expect("flush");
    assert_eq!(
        store.inner.writer.read_tip().expect("tip"),
        Some(first.id.clone())
    );
    // `git gc` packs refs: the loose file goes, `packed-refs` holds the branch.
    git(&store, &["pack-refs", "--all"]);
    assert!(
        !root
            .path()
            .join("state/backups/.git/refs/heads/main")
            .exists()
    );
    let reopened = BackupStore::open(root.path()).expect("open");
    assert_eq!(
        reopened.inner.writer.read_tip().expect("tip"),
        Some(first.id.clone())
    );
    let second = reopened
        .save("sw1", &config("sw1", 2), "two")
        .expect("save");
    assert_eq!(
        git(&reopened, &["rev-parse", "refs/heads/main~1"]),
        first.id
    );
    assert_eq!(git(&reopened, &["rev-parse", "refs/heads/main"]), second.id);
}

#[test]
fn many_packs_are_consolidated_after_a_commit() {
    // git gc --auto repacks past 50 packs; the committer only asks git near that point.
    let (root, store) = store();
    store.save("sw1", &config("sw1", 1), "one").expect("save");
    let pack_dir = root.path().join("state/backups/.git/objects/pack");
    for i in 0..52 {
        let blob = {
            let args: Vec<&OsStr> = ["hash-object", "-w", "--stdin"].map(OsStr::new).to_vec();
            let out = Git::new(store.path())
                .run(&args, Some(format!("filler {i}\n").into_bytes()))
                .expect("hash-object");
            String::from_utf8(out).expect("utf-8")
        };
        let base = pack_dir.join("pack");
        let args: Vec<&OsStr> = ["pack-objects", "-q"]
            .map(OsStr::new)
            .into_iter()
            .chain([base.as_os_str()])
            .collect();
        Git::new(store.path())
            .run(&args, Some(blob.into_bytes()))
            .expect("pack-objects");
    }
    let packs = |dir: &std::path::Path| {
        std::fs::read_dir(dir)
            .expect("packs")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".pack"))
            .count()
    };
    assert!(packs(&pack_dir) > 50);
    store.save("sw1", &config("sw1", 2), "two").expect("save");
    store.flush().expect("flush");
    assert!(packs(&pack_dir) < 5, "{} packs left", packs(&pack_dir));
    assert_eq!(commits(&store), 2);
}
