//! The playbook engine against the twin lab, on a copy of the shipped example inventory
//! (inventories/hq with its templates and playbooks): changed then ok, check mode touching
//! nothing, rollback on a refused line, on a failed verification and on a dropped connection,
//! unreachable devices and the rollout stopping, host keys, slow devices, Ctrl-C, and every
//! shipped playbook running green.

use netparc::access::{Access, AccessOptions};
use netparc::check::open_resolver;
use netparc::driver::{Mode, Timeouts};
use netparc::inventory::{Inventory, Selector};
use netparc::lab::Lab;
use netparc::lab::control::FaultRequest;
use netparc::lab::ios::IosState;
use netparc::playbook::engine::{Event, EventSink, RunOptions};
use netparc::playbook::launch::launch;
use netparc::playbook::report::{RunReport, Status, StepStatus};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A copy of the example inventory, templates and playbooks in a temporary folder (the
/// relative paths of netparc.yml keep working).
pub struct Hq {
    dir: tempfile::TempDir,
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "state" {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

impl Hq {
    pub fn new() -> Hq {
        let dir = tempfile::tempdir().unwrap();
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        copy_tree(
            &repo.join("inventories/hq"),
            &dir.path().join("inventories/hq"),
        );
        copy_tree(&repo.join("templates"), &dir.path().join("templates"));
        copy_tree(&repo.join("playbooks"), &dir.path().join("playbooks"));
        Hq { dir }
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("inventories/hq")
    }

    pub fn playbook(&self, name: &str) -> PathBuf {
        self.dir.path().join("playbooks").join(name)
    }

    pub fn write_playbook(&self, name: &str, text: &str) -> PathBuf {
        let path = self.playbook(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn inventory(&self) -> Inventory {
        let outcome = Inventory::load(&self.root());
        outcome.inventory.expect("the example inventory loads")
    }
}

/// The inventory, its lab, and the events of the last run.
pub struct Bench {
    pub inventory: Inventory,
    pub access: Access,
    pub events: Arc<Mutex<Vec<Event>>>,
}

impl Bench {
    pub async fn start(hq: &Hq, selector: &str, accept_new: bool) -> Bench {
        let inventory = hq.inventory();
        let resolver = open_resolver(&inventory);
        let options = AccessOptions {
            lab: true,
            faults: Vec::new(),
            accept_new,
        };
        let selector = Selector::parse(selector).unwrap();
        let access = Access::open(&inventory, &resolver, &selector, &options)
            .await
            .unwrap_or_else(|found| panic!("the lab starts: {found}"));
        Bench {
            inventory,
            access,
            events: Arc::new(Mutex::new(Vec::new())),
        }
    }

    pub fn lab(&self) -> &Arc<Lab> {
        self.access.lab().expect("a lab")
    }

    pub fn fault(&self, asset: &str, fault: &str, on: bool) {
        self.lab()
            .fault(&FaultRequest {
                asset: asset.to_string(),
                fault: fault.to_string(),
                on,
            })
            .unwrap();
    }

    /// The twin's configuration is back to `before`: nothing to change either way (IOS may
    /// keep an emptied block such as `line con 0`, as a device would), and it is saved.
    pub fn assert_restored(&self, asset: &str, before: &str) {
        let (after, _) = self.ios_configs(asset);
        let clean = |text: &str| netparc::driver::ios::clean_running_config(text);
        let diff = netparc::config::unified_diff(&clean(&after), &clean(before), asset);
        assert_eq!(diff, "", "{asset} not restored");
        assert!(
            netparc::config::remediation(&clean(&after), &clean(before), Mode::Replace).is_empty(),
            "{asset} not restored"
        );
        assert!(
            self.ios_saved(asset),
            "{asset}: the restored configuration is not saved"
        );
    }

    /// True when an IOS twin's startup configuration equals its running one.
    pub fn ios_saved(&self, asset: &str) -> bool {
        let device = self.lab().twin(asset).expect("twin").device.clone();
        let state = device.state();
        let ios = state
            .platform
            .as_any()
            .downcast_ref::<IosState>()
            .expect("an IOS twin");
        ios.is_saved()
    }

    /// Running and startup configuration of an IOS twin.
    pub fn ios_configs(&self, asset: &str) -> (String, String) {
        let device = self.lab().twin(asset).expect("twin").device.clone();
        let state = device.state();
        let ios = state
            .platform
            .as_any()
            .downcast_ref::<IosState>()
            .expect("an IOS twin");
        (ios.running_config(), ios.startup_config())
    }

    pub async fn run_with(
        &self,
        playbook: &Path,
        options: RunOptions,
        hook: impl Fn(&Event) + Send + Sync + 'static,
        cancel: tokio::sync::watch::Receiver<bool>,
    ) -> RunReport {
        let events = self.events.clone();
        events.lock().unwrap().clear();
        let sink: EventSink = Arc::new(move |event| {
            hook(&event);
            events.lock().unwrap().push(event);
        });
        let resolver = open_resolver(&self.inventory);
        launch(
            &self.inventory,
            &resolver,
            playbook,
            &self.access,
            RunOptions {
                lab: true,
                ..options
            },
            sink,
            cancel,
        )
        .await
        .unwrap_or_else(|found| panic!("the run starts: {found}"))
    }

    pub async fn run(&self, playbook: &Path, options: RunOptions) -> RunReport {
        let (_tx, cancel) = tokio::sync::watch::channel(false);
        self.run_with(playbook, options, |_| {}, cancel).await
    }
}

fn status_of(report: &RunReport, asset: &str) -> Status {
    report
        .assets
        .iter()
        .find(|a| a.asset == asset)
        .unwrap_or_else(|| panic!("{asset} in the report: {report:#?}"))
        .status
}

fn reason_of(report: &RunReport, asset: &str) -> String {
    report
        .assets
        .iter()
        .find(|a| a.asset == asset)
        .and_then(|a| a.reason.clone())
        .unwrap_or_default()
}

const PROVISION: &str = "provision-access-switches.yml";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisioning_changes_then_reports_no_change_and_saves() {
    let hq = Hq::new();
    let bench = Bench::start(&hq, "role:access-switch", true).await;
    let first = bench
        .run(&hq.playbook(PROVISION), RunOptions::default())
        .await;
    assert!(first.succeeded(), "{first:#?}");
    for asset in ["sw-hq-02", "sw-lyon-01"] {
        assert_eq!(status_of(&first, asset), Status::Changed, "{first:#?}");
        let (running, _) = bench.ios_configs(asset);
        assert!(
            bench.ios_saved(asset),
            "{asset}: saved to startup after verification"
        );
        assert!(running.contains("switchport voice vlan 20") || asset == "sw-lyon-01");
    }
    let report_asset = first.assets.iter().find(|a| a.asset == "sw-hq-02").unwrap();
    assert!(report_asset.backup_revision.is_some());
    let diff = report_asset.diff.as_deref().unwrap_or_default();
    assert!(
        diff.contains("+hostname sw-hq-02") || diff.contains("+service"),
        "{diff}"
    );
    // Secrets of the intent never reach the report.
    let json = serde_json::to_string(&first).unwrap();
    for (_, secret) in netparc_example_secrets(&bench) {
        assert!(!json.contains(&secret), "a secret leaked into the report");
    }
    let second = bench
        .run(&hq.playbook(PROVISION), RunOptions::default())
        .await;
    assert!(second.succeeded(), "{second:#?}");
    for asset in ["sw-hq-02", "sw-lyon-01"] {
        assert_eq!(status_of(&second, asset), Status::Ok, "{second:#?}");
        let push = second
            .assets
            .iter()
            .find(|a| a.asset == asset)
            .unwrap()
            .steps
            .iter()
            .find(|s| s.action == "push")
            .unwrap()
            .clone();
        assert_eq!(push.detail, "no change");
    }
    // The report is saved with the change record.
    let path = second.save(&hq.root()).unwrap();
    let saved = std::fs::read_to_string(path).unwrap();
    assert!(saved.contains("CHG-2026-046"), "{saved}");
    bench.access.close().await;
}

/// Every secret value of the targeted assets (to check reports never show them).
fn netparc_example_secrets(bench: &Bench) -> Vec<(String, String)> {
    let resolver = open_resolver(&bench.inventory);
    let mut out = Vec::new();
    for asset in &bench.inventory.assets {
        if asset.value.platform.is_none() {
            continue;
        }
        if let Ok(endpoint) = bench.access.endpoint(&bench.inventory, asset, &resolver) {
            for secret in endpoint.secrets {
                out.push((asset.value.name.clone(), secret.expose().to_string()));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_mode_leaves_running_and_startup_byte_identical() {
    let hq = Hq::new();
    let bench = Bench::start(&hq, "sw-hq-02", true).await;
    let before = bench.ios_configs("sw-hq-02");
    let report = bench
        .run(
            &hq.playbook(PROVISION),
            RunOptions {
                check: true,
                limit: Some(String::from("sw-hq-02")),
                ..RunOptions::default()
            },
        )
        .await;
    assert_eq!(
        status_of(&report, "sw-hq-02"),
        Status::Changed,
        "{report:#?}"
    );
    assert!(report.assets[0].diff.is_some());
    assert!(!report.assets[0].commands.is_empty());
    assert_eq!(
        bench.ios_configs("sw-hq-02"),
        before,
        "check mode changed the device"
    );
    assert!(
        !hq.root().join("state/backups").exists(),
        "check mode wrote a backup"
    );
    assert!(
        !hq.root().join("state/changes").exists(),
        "check mode recorded a change"
    );
    bench.access.close().await;
}

/// A first push creates the backup store (with the factory configuration) and provisions
/// sw-hq-02, whose running configuration is then no backup yet; then the intent changes
/// (a VLAN more), so the next push is a change. The playbook, the template and its text
/// before the change.
async fn provisioned_then_changed(hq: &Hq, bench: &Bench) -> (PathBuf, PathBuf, String) {
    let playbook = hq.write_playbook("push.yml", &small_playbook("  - push: {}\n"));
    let first = bench.run(&playbook, RunOptions::default()).await;
    assert_eq!(status_of(&first, "sw-hq-02"), Status::Changed, "{first:#?}");
    let template = hq.dir.path().join("templates/ios/access-switch.tera");
    let text = std::fs::read_to_string(&template).unwrap();
    std::fs::write(
        &template,
        text.replace("no ip routing\n", "no ip routing\nvlan 3999\n"),
    )
    .unwrap();
    (playbook, template, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_that_cannot_be_stored_stops_the_push_before_any_change() {
    let hq = Hq::new();
    let bench = Bench::start(&hq, "sw-hq-02", true).await;
    // The store's journal, where a backup is durable before any change, can no longer be
    // written.
    let (playbook, _, _) = provisioned_then_changed(&hq, &bench).await;
    let journal = hq.root().join("state/backups/.git/netparc-journal");
    std::fs::remove_file(&journal).unwrap();
    std::fs::create_dir(&journal).unwrap();
    let before = bench.ios_configs("sw-hq-02");
    let report = bench.run(&playbook, RunOptions::default()).await;
    assert_eq!(
        status_of(&report, "sw-hq-02"),
        Status::Failed,
        "{report:#?}"
    );
    let reason = reason_of(&report, "sw-hq-02");
    assert!(reason.contains("cannot store the backup"), "{reason}");
    assert_eq!(
        bench.ios_configs("sw-hq-02"),
        before,
        "the device changed without a stored backup"
    );
    bench.access.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_folder_that_is_no_repository_fails_the_run_before_any_change() {
    let hq = Hq::new();
    let bench = Bench::start(&hq, "sw-hq-02", true).await;
    let playbook = hq.write_playbook("push.yml", &small_playbook("  - push: {}\n"));
    // Someone kept their own notes where the backups go: netparc never writes over them.
    let folder = hq.root().join("state/backups");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("notes.txt"), "mine\n").unwrap();
    let before = bench.ios_configs("sw-hq-02");
    let report = bench.run(&playbook, RunOptions::default()).await;
    assert!(!report.succeeded());
    let reason = reason_of(&report, "sw-hq-02");
    assert_eq!(
        status_of(&report, "sw-hq-02"),
        Status::Failed,
        "{report:#?}"
    );
    assert!(
        reason.starts_with("cannot open the backup repository: ")
            && reason.contains("the folder exists but holds no git repository"),
        "{reason}"
    );
    assert_eq!(
        bench.ios_configs("sw-hq-02"),
        before,
        "the device changed without a stored backup"
    );
    let stopped = report.stopped.as_deref().unwrap_or_default();
    assert!(
        stopped.contains("cannot open the backup repository"),
        "{report:#?}"
    );
    assert_eq!(
        std::fs::read_dir(&folder).unwrap().count(),
        1,
        "the folder was written to"
    );
    bench.access.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_git_cannot_commit_stay_in_the_journal_and_fail_the_run() {
    let hq = Hq::new();
    let bench = Bench::start(&hq, "sw-hq-02", true).await;
    let (playbook, template, text) = provisioned_then_changed(&hq, &bench).await;
    // git can no longer write a pack: the backup is durable in the journal (so the device
    // may change), but it cannot reach git.
    let packs = hq.root().join("state/backups/.git/objects/pack");
    std::fs::remove_dir_all(&packs).unwrap();
    std::fs::write(&packs, "not a folder\n").unwrap();
    let report = bench.run(&playbook, RunOptions::default()).await;
    assert_eq!(
        status_of(&report, "sw-hq-02"),
        Status::Changed,
        "{report:#?}"
    );
    assert!(!report.succeeded());
    let stopped = report.stopped.clone().unwrap_or_default();
    assert!(
        stopped.contains("could not be committed to git")
            && stopped.contains("kept in the store's journal"),
        "{stopped}"
    );
    let journal = hq.root().join("state/backups/.git/netparc-journal");
    let kept = std::fs::read_to_string(&journal).unwrap();
    assert!(kept.contains("sw-hq-02: "), "the journal lost the backup");
    // The next run finds the store unusable and changes nothing.
    std::fs::write(
        &template,
        text.replace("no ip routing\n", "no ip routing\nvlan 3998\n"),
    )
    .unwrap();
    let before = bench.ios_configs("sw-hq-02");
    let refused = bench.run(&playbook, RunOptions::default()).await;
    assert_eq!(status_of(&refused, "sw-hq-02"), Status::Failed);
    let reason = reason_of(&refused, "sw-hq-02");
    assert!(
        reason.starts_with("cannot open the backup repository: git fast-import failed"),
        "{reason}"
    );
    assert_eq!(
        bench.ios_configs("sw-hq-02"),
        before,
        "changed without a backup in git"
    );
    // Once git can write again, the journaled backup lands under its announced revision.
    std::fs::remove_file(&packs).unwrap();
    std::fs::create_dir(&packs).unwrap();
    let store = netparc::backup::BackupStore::open(&hq.root()).unwrap();
    let history = store.history("sw-hq-02").unwrap();
    assert_eq!(history.len(), 2, "{history:#?}");
    assert_eq!(std::fs::metadata(&journal).unwrap().len(), 0);
    bench.access.close().await;
}

fn small_playbook(steps: &str) -> String {
    format!(
        "name: test\ntargets: \"sw-hq-02\"\nchange:\n  requested_by: a\n  reason: b\n  expected_return: c\n  risks: d\n  resources: e\n  responsible: f\n  relations: []\nsteps:\n{steps}"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_line_rolls_the_device_back() {
    let hq = Hq::new();
    let template = hq.dir.path().join("templates/ios/access-switch.tera");
    let text = std::fs::read_to_string(&template).unwrap();
    let text = text.replace(
        "no ip routing\n",
        "no ip routing\nspanning-tree mode banana\n",
    );
    std::fs::write(&template, text).unwrap();
    let bench = Bench::start(&hq, "sw-hq-02", true).await;
    let before = bench.ios_configs("sw-hq-02");
    let playbook = hq.write_playbook("bad.yml", &small_playbook("  - push: {}\n"));
    let report = bench.run(&playbook, RunOptions::default()).await;
    assert_eq!(
        status_of(&report, "sw-hq-02"),
        Status::RolledBack,
        "{report:#?}"
    );
    let reason = reason_of(&report, "sw-hq-02");
    assert!(reason.contains("spanning-tree mode banana"), "{reason}");
    bench.assert_restored("sw-hq-02", &before.0);
    assert!(!report.succeeded());
    bench.access.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_verification_rolls_the_device_back() {
    let hq = Hq::new();
    let bench = Bench::start(&hq, "sw-hq-02", true).await;
    let before = bench.ios_configs("sw-hq-02");
    let playbook = hq.write_playbook(
        "verify.yml",
        &small_playbook(
            "  - push: {}\n  - name: impossible\n    command: {run: show vlan brief, expect: [\"no such vlan\"]}\n",
        ),
    );
    let report = bench.run(&playbook, RunOptions::default()).await;
    assert_eq!(
        status_of(&report, "sw-hq-02"),
        Status::RolledBack,
        "{report:#?}"
    );
    assert!(reason_of(&report, "sw-hq-02").contains("does not match `no such vlan`"));
    bench.assert_restored("sw-hq-02", &before.0);
    bench.access.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_down_is_unreachable_and_stops_the_rollout() {
    let hq = Hq::new();
    let bench = Bench::start(&hq, "role:access-switch", true).await;
    let order: Vec<String> = bench
        .inventory
        .assets
        .iter()
        .filter(|a| a.value.role.as_deref() == Some("access-switch"))
        .map(|a| a.value.name.clone())
        .collect();
    bench.fault(&order[0], "down", true);
    let report = bench
        .run(&hq.playbook(PROVISION), RunOptions::default())
        .await;
    assert_eq!(
        status_of(&report, &order[0]),
        Status::Unreachable,
        "{report:#?}"
    );
    assert_eq!(
        status_of(&report, &order[1]),
        Status::Skipped,
        "{report:#?}"
    );
    assert!(reason_of(&report, &order[1]).contains("rollout stopped"));
    assert!(report.stopped.is_some());
    bench.access.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_and_changed_host_key_are_unreachable() {
    let hq = Hq::new();
    let bench = Bench::start(&hq, "role:access-switch", true).await;
    let playbook = hq.write_playbook(
        "read.yml",
        "name: read\ntargets: \"role:access-switch\"\nsteps:\n  - command: {run: show clock}\n",
    );
    // First contact records both keys.
    let report = bench.run(&playbook, RunOptions::default()).await;
    assert!(report.succeeded(), "{report:#?}");
    bench.fault("sw-hq-02", "auth-failure", true);
    bench.fault("sw-lyon-01", "host-key-changed", true);
    let report = bench.run(&playbook, RunOptions::default()).await;
    assert_eq!(status_of(&report, "sw-hq-02"), Status::Unreachable);
    assert!(reason_of(&report, "sw-hq-02").contains("authentication failed"));
    assert_eq!(status_of(&report, "sw-lyon-01"), Status::Unreachable);
    let reason = reason_of(&report, "sw-lyon-01");
    assert!(reason.contains("HOST KEY CHANGED"), "{reason}");
    assert_eq!(
        reason.matches("SHA256:").count(),
        2,
        "both fingerprints: {reason}"
    );
    bench.access.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_switch_is_unreachable_until_its_asset_allows_legacy_algorithms() {
    let hq = Hq::new();
    let bench = Bench::start(&hq, "sw-hq-02", true).await;
    let playbook = hq.write_playbook(
        "read.yml",
        "name: read\ntargets: \"sw-hq-02\"\nsteps:\n  - command: {run: show clock}\n",
    );
    bench.fault("sw-hq-02", "legacy-ssh", true);
    let report = bench.run(&playbook, RunOptions::default()).await;
    assert_eq!(status_of(&report, "sw-hq-02"), Status::Unreachable);
    let reason = reason_of(&report, "sw-hq-02");
    assert!(
        reason.contains(
            "no common key exchange algorithm: the device offers diffie-hellman-group14-sha1, diffie-hellman-group1-sha1 (SHA-1 or CBC only)"
        ) && reason.contains("set `ssh: { algorithms: legacy }` on this asset or its group"),
        "{reason}"
    );
    // The technician allows the fallback for this switch only.
    let file = hq.root().join("assets/switches/sw-hq-02.yml");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("ssh:\n  algorithms: legacy\n");
    std::fs::write(&file, text).unwrap();
    let bench = Bench {
        inventory: hq.inventory(),
        ..bench
    };
    let report = bench.run(&playbook, RunOptions::default()).await;
    assert_eq!(status_of(&report, "sw-hq-02"), Status::Ok, "{report:#?}");
    bench.access.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_ssh_daemon_is_unreachable_after_the_assets_own_timeout() {
    let hq = Hq::new();
    let file = hq.root().join("assets/switches/sw-hq-02.yml");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("ssh:\n  timeout: 1s\n");
    std::fs::write(&file, text).unwrap();
    let bench = Bench::start(&hq, "sw-hq-02", true).await;
    let playbook = hq.write_playbook(
        "read.yml",
        "name: read\ntargets: \"sw-hq-02\"\nsteps:\n  - command: {run: show clock}\n",
    );
    bench.fault("sw-hq-02", "ssh-hang", true);
    let report = bench.run(&playbook, RunOptions::default()).await;
    assert_eq!(status_of(&report, "sw-hq-02"), Status::Unreachable);
    let reason = reason_of(&report, "sw-hq-02");
    assert!(
        reason.ends_with("timed out after 1.0 s while connecting"),
        "{reason}"
    );
    bench.access.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_host_key_is_refused_without_accept_new() {
    let hq = Hq::new();
    let bench = Bench::start(&hq, "sw-hq-02", false).await;
    let _ = std::fs::remove_file(hq.root().join("state/lab/known_hosts"));
    let playbook = hq.write_playbook(
        "read.yml",
        "name: read\ntargets: \"sw-hq-02\"\nsteps:\n  - command: {run: show clock}\n",
    );
    let report = bench.run(&playbook, RunOptions::default()).await;
    assert_eq!(status_of(&report, "sw-hq-02"), Status::Unreachable);
    let reason = reason_of(&report, "sw-hq-02");
    assert!(
        reason.contains("unknown host key") && reason.contains("--accept-new"),
        "{reason}"
    );
    bench.access.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_device_passes_with_the_default_timeout_and_fails_with_a_short_one() {
    let hq = Hq::new();
    let bench = Bench::start(&hq, "sw-hq-02", true).await;
    let playbook = hq.write_playbook(
        "slow.yml",
        "name: slow\ntargets: \"sw-hq-02\"\nsteps:\n  - command: {run: show clock}\n",
    );
    bench.fault("sw-hq-02", "slow-cli=2000", true);
    let report = bench.run(&playbook, RunOptions::default()).await;
    assert_eq!(status_of(&report, "sw-hq-02"), Status::Ok, "{report:#?}");
    let short = RunOptions {
        timeouts: Timeouts {
            command: Duration::from_secs(1),
            ..Timeouts::default()
        },
        ..RunOptions::default()
    };
    let report = bench.run(&playbook, short).await;
    assert_ne!(status_of(&report, "sw-hq-02"), Status::Ok, "{report:#?}");
    assert!(
        reason_of(&report, "sw-hq-02").contains("timed out"),
        "{report:#?}"
    );
    bench.access.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_mid_configuration_is_rolled_back_on_reconnect_or_reported_unknown() {
    let hq = Hq::new();
    let bench = Bench::start(&hq, "sw-hq-02", true).await;
    let playbook = hq.write_playbook("push.yml", &small_playbook("  - push: {}\n"));
    // The link drops after the first configuration line of every session, and the device
    // stops answering right after: the rollback cannot reach it; never reported ok.
    bench.fault("sw-hq-02", "drop-config=1", true);
    let lab = bench.lab().clone();
    let take_down = move |event: &Event| {
        if let Event::Step {
            status: StepStatus::Failed,
            step,
            ..
        } = event
            && step == "push"
        {
            let _ = lab.fault(&FaultRequest {
                asset: String::from("sw-hq-02"),
                fault: String::from("down"),
                on: true,
            });
        }
    };
    let (_tx, cancel) = tokio::sync::watch::channel(false);
    let report = bench
        .run_with(&playbook, RunOptions::default(), take_down, cancel)
        .await;
    assert_eq!(
        status_of(&report, "sw-hq-02"),
        Status::Failed,
        "{report:#?}"
    );
    let reason = reason_of(&report, "sw-hq-02");
    assert!(
        reason.contains("connection lost while waiting for the device's prompt"),
        "{reason}"
    );
    assert!(reason.contains("state unknown"), "{reason}");
    // The device is back and the fault clears before the reconnection: the backup (taken by
    // this run, from the half-changed configuration the first run left) goes back.
    bench.fault("sw-hq-02", "down", false);
    let before = bench.ios_configs("sw-hq-02");
    let lab = bench.lab().clone();
    let hook = move |event: &Event| {
        if let Event::Step {
            status: StepStatus::Failed,
            step,
            ..
        } = event
            && step == "push"
        {
            let _ = lab.fault(&FaultRequest {
                asset: String::from("sw-hq-02"),
                fault: String::from("drop-config"),
                on: false,
            });
        }
    };
    let (_tx, cancel) = tokio::sync::watch::channel(false);
    let report = bench
        .run_with(&playbook, RunOptions::default(), hook, cancel)
        .await;
    assert_eq!(
        status_of(&report, "sw-hq-02"),
        Status::RolledBack,
        "{report:#?}"
    );
    bench.assert_restored("sw-hq-02", &before.0);
    bench.access.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_rolls_back_the_device_in_flight_and_skips_the_rest() {
    let hq = Hq::new();
    let bench = Bench::start(&hq, "role:access-switch", true).await;
    let playbook = hq.write_playbook(
        "serial.yml",
        &small_playbook("  - push: {}\n  - command: {run: show clock}\n  - verify: {}\n").replace(
            "targets: \"sw-hq-02\"",
            "targets: \"role:access-switch\"\nrollout: {serial: 1}",
        ),
    );
    let first = bench
        .inventory
        .assets
        .iter()
        .find(|a| a.value.role.as_deref() == Some("access-switch"))
        .unwrap()
        .value
        .name
        .clone();
    let before = bench.ios_configs(&first);
    let (tx, cancel) = tokio::sync::watch::channel(false);
    let watched = first.clone();
    let hook = move |event: &Event| {
        if let Event::Step { asset, step, .. } = event
            && asset == &watched
            && step == "push"
        {
            let _ = tx.send(true);
        }
    };
    let report = bench
        .run_with(&playbook, RunOptions::default(), hook, cancel)
        .await;
    assert!(report.interrupted);
    assert_eq!(
        status_of(&report, &first),
        Status::RolledBack,
        "{report:#?}"
    );
    bench.assert_restored(&first, &before.0);
    let other = report.assets.iter().find(|a| a.asset != first).unwrap();
    assert_eq!(other.status, Status::Skipped);
    assert!(!report.succeeded());
    bench.access.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_false_skips_the_step() {
    let hq = Hq::new();
    let bench = Bench::start(&hq, "sw-hq-02", true).await;
    let playbook = hq.write_playbook(
        "when.yml",
        "name: when\ntargets: \"sw-hq-02\"\nsteps:\n  - name: never\n    when: \"asset.name == 'nope'\"\n    command: {run: show clock, expect: [impossible]}\n  - name: always\n    when: \"asset.kind == 'switch'\"\n    command: {run: show clock}\n",
    );
    let report = bench.run(&playbook, RunOptions::default()).await;
    assert_eq!(status_of(&report, "sw-hq-02"), Status::Ok, "{report:#?}");
    let steps = &report.assets[0].steps;
    assert_eq!(steps[0].status, StepStatus::Skipped);
    assert_eq!(steps[1].status, StepStatus::Ok);
    bench.access.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_steps_and_empty_targets_are_refused_before_any_contact() {
    let hq = Hq::new();
    let bench = Bench::start(&hq, "sw-hq-02", true).await;
    let resolver = open_resolver(&bench.inventory);
    let (_tx, cancel) = tokio::sync::watch::channel(false);
    let sink: EventSink = Arc::new(|_| {});
    let typo = hq.write_playbook(
        "typo.yml",
        "name: typo\ntargets: \"sw-hq-02\"\nsteps:\n  - pussh: {}\n",
    );
    let error = launch(
        &bench.inventory,
        &resolver,
        &typo,
        &bench.access,
        RunOptions::default(),
        sink.clone(),
        cancel.clone(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(error.contains("pussh") && error.contains("push"), "{error}");
    let nothing = hq.write_playbook(
        "nothing.yml",
        "name: nothing\ntargets: \"kind:router\"\nsteps:\n  - command: {run: show clock}\n",
    );
    let error = launch(
        &bench.inventory,
        &resolver,
        &nothing,
        &bench.access,
        RunOptions::default(),
        sink,
        cancel,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(error.contains("match no asset"), "{error}");
    bench.access.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shipped_playbook_runs_green_on_the_lab() {
    let hq = Hq::new();
    let bench = Bench::start(&hq, "*", true).await;
    let mut names: Vec<String> = std::fs::read_dir(hq.dir.path().join("playbooks"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yml"))
        // Onboarding and offboarding playbooks run a built-in procedure (tests/onboard.rs).
        .filter(|n| !n.contains("board-workstation"))
        .collect();
    names.sort();
    // Provisioning first: the other playbooks build on configured devices.
    names.sort_by_key(|n| n != PROVISION);
    for name in names {
        let options = RunOptions {
            forks: Some(10),
            ..RunOptions::default()
        };
        let mut playbook_text = std::fs::read_to_string(hq.playbook(&name)).unwrap();
        // No waiting between batches in a test.
        playbook_text = playbook_text
            .replace("pause: 5m", "pause: 0s")
            .replace("pause: 2m", "pause: 0s");
        std::fs::write(hq.playbook(&name), playbook_text).unwrap();
        let report = bench.run(&hq.playbook(&name), options).await;
        assert!(report.succeeded(), "{name}: {report:#?}");
    }
    bench.access.close().await;
}

fn netparc() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_netparc"))
}

#[test]
fn netparc_run_check_diff_prints_the_recap_and_saves_the_report() {
    let hq = Hq::new();
    let output = netparc()
        .args(["run", "-i"])
        .arg(hq.root())
        .arg(hq.playbook(PROVISION))
        .args(["--lab", "--check", "--diff", "--limit", "sw-hq-02"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("RECAP Provision the access switches (check mode"),
        "{stdout}"
    );
    assert!(
        stdout.contains("sw-hq-02") && stdout.contains("changed"),
        "{stdout}"
    );
    assert!(stderr.contains("--- sw-hq-02: differences"), "{stderr}");
    assert!(stderr.contains("+service password-encryption"), "{stderr}");
    let runs: Vec<_> = std::fs::read_dir(hq.root().join("state/runs"))
        .unwrap()
        .collect();
    assert_eq!(runs.len(), 1);
}

/// A technician runs the provisioning playbook on the lab twice, as two commands: the
/// twins kept the configuration the first run saved on them, so the second run finds
/// nothing to change, as on real switches. `lab reset` then brings the factory back.
#[test]
fn provisioning_twice_through_netparc_run_lab_is_changed_then_ok() {
    let hq = Hq::new();
    let switches: Vec<String> = hq
        .inventory()
        .assets
        .iter()
        .filter(|a| {
            Selector::parse("kind:switch,&role:access-switch")
                .unwrap()
                .matches(&a.value)
        })
        .map(|a| a.value.name.clone())
        .collect();
    let run = || {
        let output = netparc()
            .args(["run", "-i"])
            .arg(hq.root())
            .arg(hq.playbook(PROVISION))
            .args(["--lab", "--format", "json"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "{stderr}");
        let report: serde_json::Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)));
        let statuses: Vec<(String, String)> = report["assets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["asset"].as_str().unwrap().to_string(),
                    a["status"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        (statuses, stderr)
    };
    let (first, _) = run();
    let names: Vec<&str> = first.iter().map(|(name, _)| name.as_str()).collect();
    assert!(!names.is_empty());
    assert_eq!(names, switches, "the playbook targets the access switches");
    for (asset, status) in &first {
        assert_eq!(status, "changed", "{asset}: first run on factory twins");
    }
    let (second, stderr) = run();
    assert_eq!(second.len(), first.len());
    for (asset, status) in &second {
        assert_eq!(
            status, "ok",
            "{asset}: the twin kept its saved configuration\n{stderr}"
        );
    }
    let output = netparc()
        .args(["lab", "-i"])
        .arg(hq.root())
        .arg("reset")
        .output()
        .unwrap();
    assert!(output.status.success());
    let (third, _) = run();
    for (asset, status) in &third {
        assert_eq!(status, "changed", "{asset}: back to factory after reset");
    }
}

#[test]
fn ctrl_c_on_netparc_run_skips_what_is_left_and_still_writes_the_report() {
    use std::io::BufRead;
    let hq = Hq::new();
    let playbook = hq.write_playbook(
        "slow.yml",
        "name: slow\ntargets: \"role:access-switch\"\nrollout: {serial: 1}\nsteps:\n  - command: {run: show clock}\n  - command: {run: show version}\n  - command: {run: show clock}\n",
    );
    let mut child = netparc()
        .args(["run", "-i"])
        .arg(hq.root())
        .arg(&playbook)
        .args([
            "--lab",
            "--fault",
            "sw-hq-02:slow-cli=300",
            "--fault",
            "sw-lyon-01:slow-cli=300",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = std::io::BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    // The first step of the first device is done: interrupt.
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push(line.clone());
        if line.contains(": command: ok") {
            break;
        }
    }
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: plain kill(2) on our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    for line in lines {
        seen.push(line.unwrap());
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = seen.join("\n");
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(stdout.contains("skipped"), "{stdout}");
    let runs: Vec<_> = std::fs::read_dir(hq.root().join("state/runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(runs.len(), 1);
    let report = std::fs::read_to_string(&runs[0]).unwrap();
    assert!(report.contains("\"interrupted\": true"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_commit_once_per_change_and_restore_brings_a_revision_back() {
    let hq = Hq::new();
    let bench = Bench::start(&hq, "sw-hq-02", true).await;
    let backup = hq.write_playbook(
        "backup.yml",
        "name: backup\ntargets: \"sw-hq-02\"\nsteps:\n  - backup: {message: nightly}\n",
    );
    let factory = bench.ios_configs("sw-hq-02").0;
    let first = bench.run(&backup, RunOptions::default()).await;
    assert!(first.succeeded(), "{first:#?}");
    let factory_revision = first.assets[0].backup_revision.clone().unwrap();
    // Unchanged: the same revision, no new commit.
    let again = bench.run(&backup, RunOptions::default()).await;
    assert_eq!(
        again.assets[0].backup_revision.as_ref(),
        Some(&factory_revision)
    );
    assert!(
        again.assets[0].steps[0].detail.contains("unchanged"),
        "{again:#?}"
    );
    // Provision, then back up the provisioned configuration: a new revision.
    let provision = bench
        .run(
            &hq.playbook(PROVISION),
            RunOptions {
                limit: Some(String::from("sw-hq-02")),
                ..RunOptions::default()
            },
        )
        .await;
    assert!(provision.succeeded(), "{provision:#?}");
    let after = bench.run(&backup, RunOptions::default()).await;
    let provisioned_revision = after.assets[0].backup_revision.clone().unwrap();
    assert_ne!(provisioned_revision, factory_revision);
    let store = netparc::backup::BackupStore::open(&hq.root()).unwrap();
    let history = store.history("sw-hq-02").unwrap();
    assert_eq!(history.len(), 2, "one commit per change: {history:#?}");
    assert_eq!(history[0].id, provisioned_revision);
    // `sw-hq-02: <step> (run <id>)` in git, the asset named once.
    assert!(
        history[0]
            .message
            .ends_with(&format!(" (run {})", after.run))
            && !history[0].message.contains("sw-hq-02"),
        "{history:#?}"
    );
    // Restore the factory revision (by its short hash): check mode first, then for real.
    let resolver = open_resolver(&bench.inventory);
    let short = &factory_revision[..8];
    let checked = netparc::restore::restore(
        &bench.access,
        &bench.inventory,
        &resolver,
        &store,
        "sw-hq-02",
        Some(short),
        true,
    )
    .await
    .unwrap();
    assert_eq!(checked.outcome, netparc::restore::Outcome::WouldRestore);
    assert!(
        checked.diff.contains("-service password-encryption"),
        "{}",
        checked.diff
    );
    let restored = netparc::restore::restore(
        &bench.access,
        &bench.inventory,
        &resolver,
        &store,
        "sw-hq-02",
        Some(short),
        false,
    )
    .await
    .unwrap();
    let netparc::restore::Outcome::Restored { replaced } = &restored.outcome else {
        panic!("{restored:#?}");
    };
    assert!(provisioned_revision.starts_with(replaced.as_str()));
    bench.assert_restored("sw-hq-02", &factory);
    let again = netparc::restore::restore(
        &bench.access,
        &bench.inventory,
        &resolver,
        &store,
        "sw-hq-02",
        Some(short),
        false,
    )
    .await
    .unwrap();
    assert_eq!(again.outcome, netparc::restore::Outcome::AlreadyEqual);
    let error = netparc::restore::restore(
        &bench.access,
        &bench.inventory,
        &resolver,
        &store,
        "sw-hq-02",
        Some("deadbeef"),
        false,
    )
    .await
    .unwrap_err();
    assert!(error.contains("deadbeef"), "{error}");
    bench.access.close().await;
}

#[test]
fn netparc_backup_and_restore_from_the_command_line() {
    let hq = Hq::new();
    let output = netparc()
        .args(["backup", "-i"])
        .arg(hq.root())
        .args(["--lab", "--limit", "kind:switch,kind:vpn_gateway"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("5 backed up, 0 failed"), "{stdout}");
    assert!(hq.root().join("state/backups/vpn-hq-01.cfg").exists());
    let output = netparc()
        .args(["restore", "-i"])
        .arg(hq.root())
        .args(["--lab", "sw-hq-02"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("sw-hq-02: already equal to revision"),
        "{stdout}"
    );
    let output = netparc()
        .args(["restore", "-i"])
        .arg(hq.root())
        .args(["--lab", "sw-nowhere"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no asset `sw-nowhere` in the inventory"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verify_step_runs_the_probes_records_them_and_rolls_back_on_a_failed_expectation() {
    let hq = Hq::new();
    let bench = Bench::start(&hq, "role:access-switch", true).await;
    let limit = |name: &str| RunOptions {
        limit: Some(name.to_string()),
        ..RunOptions::default()
    };
    let report = bench.run(&hq.playbook(PROVISION), limit("sw-hq-02")).await;
    assert!(report.succeeded(), "{report:#?}");
    let verify = report.assets[0]
        .steps
        .iter()
        .find(|s| s.action == "verify")
        .unwrap();
    assert!(
        verify.detail.contains("probes: reachable via"),
        "{}",
        verify.detail
    );
    let store = netparc::state::StateStore::open(&hq.root());
    let verification = store.section("sw-hq-02", "verification").unwrap().unwrap();
    assert_eq!(verification["verdict"], serde_json::json!("passed"));
    assert_eq!(
        verification["config"]["state"],
        serde_json::json!("in_sync")
    );
    // The device answers with another sysName: the expectation fails, the change goes.
    let before = bench.ios_configs("sw-lyon-01");
    bench.fault("sw-lyon-01", "wrong-sysname=core-old", true);
    let report = bench
        .run(&hq.playbook(PROVISION), limit("sw-lyon-01"))
        .await;
    assert_eq!(
        status_of(&report, "sw-lyon-01"),
        Status::RolledBack,
        "{report:#?}"
    );
    let reason = reason_of(&report, "sw-lyon-01");
    assert!(
        reason.contains("verification failed") && reason.contains("core-old"),
        "{reason}"
    );
    bench.assert_restored("sw-lyon-01", &before.0);
    bench.access.close().await;
}
