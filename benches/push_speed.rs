//! Provisioning speed: push a 20-line change and read back the running configuration on N
//! IOS twins (N = 100 and 1,000), with netparc's playbook engine and with Nornir + Netmiko
//! against the same kind of twins, in the same run, as a ratio.
//!
//! The issue's targets: **at least 30x faster than Nornir + Netmiko at 100 devices**, and
//! **1,000 devices in under 5 s**.
//!
//! For each size the benchmark generates, in a temporary owner-only folder, an inventory of
//! N IOS access switches (the generator of `benches/common/inventory.rs`, shared with
//! `lab_scale`: eight sites, `file:` secrets, 24 or 48 ports) and an
//! `ios/access-switch.tera` template whose intended configuration is the twin's hostname
//! plus the 20 lines of [`PUSHED`]: five VLANs with names and their five SVIs with
//! descriptions, none of which the factory configuration has. A merge push therefore sends
//! exactly those 20 lines; the bench checks it in the run report.
//!
//! On a Tokio multi-thread runtime with one worker per core (as `netparc run` has), with the
//! twins in the same process (as `netparc run --lab` has them):
//!
//! 1. **netparc, as shipped**: `playbook::launch::launch` of `push.yml` (`push: {mode: merge,
//!    save: false}`, then `command: {run: show running-config}`) with `forks` = N
//!    (`NETPARC_PUSH_FORKS`). A push backs the running configuration up into the inventory's
//!    git store first (`state/backups/`, emptied before each run, so each run commits N
//!    first backups): this is what a technician gets.
//! 2. **netparc, no backup store**: the same playbook, same preparation
//!    (`playbook::prepare`), then `engine::run` with no `BackupStore`: the engine reads the
//!    running configuration before the push as always but commits it nowhere. `launch` never
//!    does this; the engine has no such option and the bench adds none. It is the like-for-
//!    like figure against Nornir, which backs nothing up.
//! 3. **Nornir + Netmiko**: `benches/nornir_push.py` as a subprocess, with a SimpleInventory
//!    of the twins (address and port of each from `Lab::twins`), `num_workers: 20`
//!    (`NETPARC_PUSH_WORKERS`), task `netmiko_send_config` with the same 20 lines then
//!    `netmiko_send_command("show running-config")`, Netmiko's `cisco_ios` defaults
//!    (`fast_cli`, no host key check). At 1,000 devices this takes about 30 s against the
//!    twins (minutes against real devices, which answer slower), so by default Nornir runs
//!    only up to 100 devices (`NETPARC_PUSH_NORNIR_MAX=1000` includes 1,000;
//!    `NETPARC_PUSH_NORNIR=0` skips it).
//!
//! Every run starts a fresh lab (twins in their factory state, `Access::open` with `lab`),
//! and the known_hosts of the lab is removed first, so every run is a first contact with
//! accept-new, as `--lab` does. Each run is checked: every asset `changed`, exactly the 20
//! lines sent, the read-back (the command step's output, or Netmiko's) holding all 20, and
//! the twins' own running configurations holding them too. A failed check makes the bench
//! exit 1; nothing is asserted on time.
//!
//! Then, "where the time goes" (`NETPARC_PUSH_BREAKDOWN=0` skips it): the preparation
//! against the engine, the preparation's parts timed alone, the step durations of the run
//! reports (a third playbook with an explicit `backup` step first, which does the same device
//! work but splits connect + read from plan + apply), the same playbook on ten devices one at
//! a time (the floor per device on an idle lab), and smaller `forks`
//! (`NETPARC_PUSH_FORKS_SWEEP`, default `5,20,100,250`, those below N; 5 is the engine's
//! default when neither the playbook nor `--forks` sets it).
//!
//! Every run also gives the CPU time of the process (`getrusage`): netparc's and the twins',
//! which share it, as `netparc run --lab` does, and apart, that of the git processes the
//! backup store ran (`RUSAGE_CHILDREN`); for Nornir, the Python process's own.
//! The bench runs with mimalloc as its global allocator, as the `netparc` binary does.
//!
//! Knobs: `NETPARC_PUSH_DEVICES` (default `100,1000`), `NETPARC_PUSH_REPS` (netparc runs per
//! size and mode, default 3), `NETPARC_PUSH_FORKS`, `NETPARC_PUSH_FORKS_SWEEP`,
//! `NETPARC_PUSH_NORNIR`,
//! `NETPARC_PUSH_NORNIR_MAX`, `NETPARC_PUSH_WORKERS`, `NETPARC_PUSH_PYTHON` (default
//! `benches/.venv/bin/python`, which `benches/push.sh` creates), `NETPARC_PUSH_KEEP=1` (keep
//! the generated folders, secrets included, for profiling).
//!
//! Run it with `benches/push.sh` (venv, release build, run).

#[path = "common/inventory.rs"]
mod inventory;

#[path = "common/knobs.rs"]
mod knobs;
use inventory::{Mix, generate};
use netparc::access::{Access, AccessOptions};
use netparc::check::{load_templates, open_resolver};
use netparc::inventory::{Inventory, Selector};
use netparc::lab::ios::IosState;
use netparc::playbook::engine::{self, EventSink, RunOptions};
use netparc::playbook::report::{RunReport, Status};
use netparc::playbook::{launch, load_playbook, prepare, validate_playbook};
use netparc::secrets::SecretResolver;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

// The allocator the `netparc` binary runs with (src/main.rs): the figures are those of
// `netparc run`, not of glibc's malloc, which a first profile of this bench showed at about a
// fifth of the CPU time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The change: 20 configuration lines, none in a twin's factory configuration, as a merge
/// push sends them (children indented by one space, as IOS shows them). The Nornir side
/// sends the same list.
const PUSHED: [&str; 20] = [
    "vlan 310",
    " name bench-data",
    "vlan 320",
    " name bench-voice",
    "vlan 330",
    " name bench-printers",
    "vlan 340",
    " name bench-cameras",
    "vlan 350",
    " name bench-iot",
    "interface Vlan310",
    " description bench data SVI",
    "interface Vlan320",
    " description bench voice SVI",
    "interface Vlan330",
    " description bench printers SVI",
    "interface Vlan340",
    " description bench cameras SVI",
    "interface Vlan350",
    " description bench IoT SVI",
];

/// The change record every changing playbook must carry.
const CHANGE: &str = "\
change:
  id: BENCH-PUSH
  requested_by: benches/push_speed.rs
  reason: measure a 20-line push and its read-back
  expected_return: figures for docs/benchmarks.md
  risks: none, twins only
  resources: the machine running the bench
  responsible: the engineer running the bench
";

/// The playbook of the issue: push (merge, not saved), then read the configuration back.
const PUSH_STEPS: &str = "\
steps:
  - name: push
    push: {mode: merge, save: false}
  - name: read back
    command: {run: show running-config}
";

/// The same device work with the backup as a step of its own, so the report splits
/// connect + read (+ commit) from plan + apply.
const SPLIT_STEPS: &str = "\
steps:
  - name: backup
    backup: {}
  - name: push
    push: {mode: merge, save: false}
  - name: read back
    command: {run: show running-config}
";

fn main() {
    let config = Config::from_env();
    let cores = std::thread::available_parallelism().map_or(1, |p| p.get());
    // One worker per core, as `netparc run`'s default runtime has.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()
        .expect("runtime");
    let failed = runtime.block_on(run(&config, cores));
    if failed {
        std::process::exit(1);
    }
}

/// Settings read from the environment.
struct Config {
    sizes: Vec<usize>,
    reps: usize,
    forks: Option<usize>,
    /// Smaller `forks` values tried in the breakdown (those below the main one).
    sweep: Vec<usize>,
    nornir: bool,
    nornir_max: usize,
    workers: usize,
    python: PathBuf,
    breakdown: bool,
    keep: bool,
}

impl Config {
    fn from_env() -> Config {
        let number = knobs::positive;
        let flag = |name: &str, default: bool| {
            std::env::var(name).map_or(default, |v| !matches!(v.trim(), "0" | "" | "no"))
        };
        let list = |name: &str, default: &[usize]| {
            std::env::var(name)
                .ok()
                .map(|v| {
                    v.split(',')
                        .filter_map(|n| n.trim().replace('_', "").parse().ok())
                        .filter(|n: &usize| *n > 0)
                        .collect::<Vec<_>>()
                })
                .filter(|list| !list.is_empty())
                .unwrap_or_else(|| default.to_vec())
        };
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        Config {
            sizes: list("NETPARC_PUSH_DEVICES", &[100, 1_000]),
            sweep: list("NETPARC_PUSH_FORKS_SWEEP", &[5, 20, 100, 250]),
            reps: number("NETPARC_PUSH_REPS", 3),
            forks: std::env::var("NETPARC_PUSH_FORKS")
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .filter(|n: &usize| *n > 0),
            nornir: flag("NETPARC_PUSH_NORNIR", true),
            nornir_max: number("NETPARC_PUSH_NORNIR_MAX", 100),
            workers: number("NETPARC_PUSH_WORKERS", 20),
            python: std::env::var_os("NETPARC_PUSH_PYTHON")
                .map(PathBuf::from)
                .unwrap_or_else(|| manifest.join("benches/.venv/bin/python")),
            breakdown: flag("NETPARC_PUSH_BREAKDOWN", true),
            keep: flag("NETPARC_PUSH_KEEP", false),
        }
    }
}

/// One size's figures, for the summary.
struct Summary {
    devices: usize,
    forks: usize,
    shipped: Vec<Duration>,
    bare: Vec<Duration>,
    shipped_per_device: Option<Duration>,
    bare_per_device: Option<Duration>,
    nornir: Option<NornirFigures>,
    /// Every check of every run passed: otherwise the figures time failures, not pushes.
    ok: bool,
}

/// The whole benchmark; true when a check failed.
async fn run(config: &Config, cores: usize) -> bool {
    println!(
        "# Provisioning: push 20 lines and read back, netparc vs Nornir + Netmiko ({cores} cores, load average {})",
        load_average()
    );
    let mut failed = false;
    let mut summaries = Vec::new();
    for &devices in &config.sizes {
        let (summary, ok) = size(config, devices).await;
        failed |= !ok;
        summaries.push(summary);
    }
    println!();
    println!("## Summary");
    println!();
    println!(
        "| devices | forks | netparc, as shipped (min / median) | netparc, no backup store (min / median) | Nornir + Netmiko, job (process) | ratio: Nornir job ÷ netparc as shipped | ratio ÷ no backup store | per device, median: netparc as shipped / no store / Nornir |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for s in &summaries {
        let (nornir, ratio, ratio_bare, nornir_device) = match &s.nornir {
            Some(n) => (
                format!("{} ({})", secs(n.job), secs(n.process)),
                format!("**{:.0}x**", ratio(n.job, min(&s.shipped))),
                format!("{:.0}x", ratio(n.job, min(&s.bare))),
                n.per_host.median().map_or_else(|| "–".into(), ms),
            ),
            None => (
                String::from("not run"),
                String::from("–"),
                String::from("–"),
                String::from("–"),
            ),
        };
        println!(
            "| {} | {} | **{}** / {} | {} / {} | {nornir} | {ratio} | {ratio_bare} | {} / {} / {nornir_device} |",
            s.devices,
            s.forks,
            secs(min(&s.shipped)),
            secs(median(&s.shipped)),
            secs(min(&s.bare)),
            secs(median(&s.bare)),
            s.shipped_per_device.map_or_else(|| "–".into(), ms),
            s.bare_per_device.map_or_else(|| "–".into(), ms),
        );
    }
    println!();
    for s in &summaries {
        if !s.ok {
            println!(
                "- {} devices: a check FAILED (see above): these figures time failures, not pushes, and say nothing about the targets",
                s.devices
            );
            continue;
        }
        if s.devices == 100
            && let Some(n) = &s.nornir
        {
            let r = ratio(n.job, min(&s.shipped));
            println!(
                "- 100 devices, at least 30x faster than Nornir + Netmiko: {} ({r:.0}x as shipped, {:.0}x without the backup store)",
                verdict(r >= 30.0),
                ratio(n.job, min(&s.bare))
            );
        }
        if s.devices == 1_000 {
            let t = min(&s.shipped);
            println!(
                "- 1,000 devices in under 5 s: {} ({} as shipped, {} without the backup store; best of {})",
                verdict(t < Duration::from_secs(5)),
                secs(t),
                secs(min(&s.bare)),
                s.shipped.len()
            );
        }
    }
    println!(
        "- load average at the end: {}; checks: {}",
        load_average(),
        if failed { "SOME FAILED" } else { "all passed" }
    );
    failed
}

/// The median time to create a small file next to the inventory (what each transcript and
/// readable backup copy costs the file system), measured on 100 files then removed.
fn file_creation_cost(root: &Path) -> String {
    let dir = root.join("state").join("bench-file-cost");
    fs::create_dir_all(&dir).expect("mkdir");
    let mut latencies = Latencies::default();
    for i in 0..100 {
        let started = Instant::now();
        fs::write(dir.join(format!("{i}.log")), [b'x'; 4096]).expect("write");
        latencies.samples.push(started.elapsed());
    }
    let _ = fs::remove_dir_all(&dir);
    latencies.median().map_or_else(|| String::from("–"), ms)
}

/// Everything for one size: generate, load, the netparc runs, Nornir, the breakdown.
async fn size(config: &Config, devices: usize) -> (Summary, bool) {
    let dir = tempfile::Builder::new()
        .prefix("netparc-push-bench-")
        .tempdir()
        .expect("temporary folder");
    // Secrets, host keys and the Nornir inventory live here: owner-only.
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).expect("chmod");
    let root = dir.path().join("inventory");
    generate(
        &root,
        &Mix {
            name: "push-speed",
            description: "generated by benches/push_speed.rs",
            switches: devices,
            access_points: 0,
            vpn_gateways: 0,
            workstations: 0,
        },
    );
    write_template(&root);
    let forks = config.forks.unwrap_or(devices);
    let push = write_playbook(&root, "push", PUSH_STEPS);
    let split = write_playbook(&root, "push-split", SPLIT_STEPS);

    let loading = Instant::now();
    let outcome = Inventory::load(&root);
    if outcome.diagnostics.has_errors() {
        fail(
            "the generated inventory does not load",
            &outcome.diagnostics,
        );
    }
    let inventory = outcome.inventory.expect("inventory");
    let found = netparc::inventory::validate::validate(&inventory);
    if found.has_errors() {
        fail("the generated inventory does not validate", &found);
    }
    let resolver = open_resolver(&inventory);
    let load = loading.elapsed();

    println!();
    println!("## {devices} IOS access switches, forks {forks}");
    println!();
    println!(
        "Inventory loaded and validated in {} (not in the figures below; `netparc run` pays it once). Load average {}.",
        ms(load),
        load_average()
    );
    println!(
        "Creating a file in the bench's folder: {} each (median of 100 files; under 30 µs where nothing was deleted lately, ten times more after mass deletions on ext4 without a journal, which inflates the as-shipped figure most: see docs/benchmarks.md).",
        file_creation_cost(&root)
    );
    let mut ok = true;
    let mut rows = Vec::new();

    // 1. and 2.: netparc as shipped and without the backup store, alternated so a change in
    // the machine's load touches both alike.
    let mut shipped = Runs::default();
    let mut bare = Runs::default();
    for _ in 0..config.reps {
        for store in [true, false] {
            let run = netparc_run(&inventory, &resolver, &push, forks, store, None).await;
            ok &= run.problems.is_empty();
            report_problems(&run);
            if store {
                shipped.add(run);
            } else {
                bare.add(run);
            }
        }
    }
    rows.push(shipped.row(&format!(
        "netparc, as shipped (`launch`, backups committed to git), {} runs",
        config.reps
    )));
    rows.push(bare.row(&format!(
        "netparc, no backup store (`engine::run`), {} runs",
        config.reps
    )));

    // 3.: Nornir + Netmiko.
    let nornir = if config.nornir && devices <= config.nornir_max {
        match nornir_run(config, &inventory, &resolver, dir.path()).await {
            Ok(figures) => {
                ok &= figures.problems.is_empty();
                for problem in figures.problems.iter().take(10) {
                    println!("- Nornir check FAILED: {problem}");
                }
                rows.push(figures.row(config.workers));
                Some(figures)
            }
            Err(why) => {
                println!("- Nornir + Netmiko not run: {why}");
                None
            }
        }
    } else {
        println!(
            "- Nornir + Netmiko not run at {devices} devices (NETPARC_PUSH_NORNIR_MAX={}; set it to {devices} to include it)",
            config.nornir_max
        );
        None
    };

    println!();
    println!(
        "| run | wall (min) | wall (median) | CPU, median (per device), and git's | per device: median | p95 | max | checks |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    for row in &rows {
        println!("{row}");
    }

    if config.breakdown {
        ok &= breakdown(
            &inventory,
            &resolver,
            &Playbooks {
                push: push.clone(),
                split: split.clone(),
            },
            forks,
            &shipped,
            &bare,
            &config.sweep,
        )
        .await;
    }

    if config.keep {
        let kept = dir.keep();
        println!("- kept {}", kept.display());
    }
    let summary = Summary {
        devices,
        forks,
        shipped: shipped.walls.clone(),
        bare: bare.walls.clone(),
        shipped_per_device: shipped.per_device.median(),
        bare_per_device: bare.per_device.median(),
        nornir,
        ok,
    };
    (summary, ok)
}

/// The two playbook files of a size.
struct Playbooks {
    /// The issue's: push, then read back.
    push: PathBuf,
    /// The same with the backup as a step of its own.
    split: PathBuf,
}

/// "Where the time goes" for one size; false when a check failed.
async fn breakdown(
    inventory: &Inventory,
    resolver: &SecretResolver,
    playbooks: &Playbooks,
    forks: usize,
    shipped: &Runs,
    bare: &Runs,
    sweep: &[usize],
) -> bool {
    let (push, split) = (playbooks.push.as_path(), playbooks.split.as_path());
    let mut ok = true;
    println!();
    println!("### Where netparc's time goes");
    println!();
    println!(
        "Preparation (load and validate the playbook, render every intended configuration, logins) against the engine (`RunReport::duration_ms`), medians over the runs above:"
    );
    println!();
    println!("| run | wall | preparation | engine |");
    println!("|---|---:|---:|---:|");
    for (name, runs) in [("as shipped", shipped), ("no backup store", bare)] {
        println!(
            "| {name} | {} | {} | {} |",
            secs(median(&runs.walls)),
            ms(median(&runs.preparation)),
            ms(median(&runs.engine)),
        );
    }
    print!("{}", preparation(inventory, resolver, push).await);
    println!();
    println!(
        "Step durations from the run reports (per device: median, p95, max). The split playbook runs `backup` as a step of its own before `push`: the same device work, with connect + read (+ commit) apart from plan + apply. \"close\" is the asset's time outside its steps (closing the session, writing its transcript); the reports count whole milliseconds, truncated, so for a lone device it also holds up to 1 ms per step."
    );
    println!();
    println!(
        "| run | wall (CPU of netparc and twins) | step | per device: median | p95 | max | sum over devices |"
    );
    println!("|---|---:|---|---:|---:|---:|---:|");
    let sample: Vec<String> = inventory
        .assets
        .iter()
        .take(10)
        .map(|a| a.value.name.clone())
        .collect();
    let limit = sample.join(",");
    let runs = [
        ("push.yml, as shipped", push, true, forks, None),
        ("split, as shipped", split, true, forks, None),
        ("split, no backup store", split, false, forks, None),
        (
            "split, no backup store, 10 devices one at a time",
            split,
            false,
            1,
            Some(limit.as_str()),
        ),
        (
            "split, as shipped, 10 devices one at a time",
            split,
            true,
            1,
            Some(limit.as_str()),
        ),
    ];
    let mut transcript: Option<String> = None;
    for (name, playbook, store, forks, limit) in runs {
        let run = netparc_run(inventory, resolver, playbook, forks, store, limit).await;
        ok &= run.problems.is_empty();
        report_problems(&run);
        let Some(report) = &run.report else { continue };
        if transcript.is_none() {
            transcript = report
                .assets
                .first()
                .and_then(|a| a.transcript.as_deref())
                .and_then(|path| fs::read_to_string(path).ok());
        }
        for (step, latencies) in step_latencies(report) {
            println!(
                "| {name} | {} ({} CPU) | {step} | {} | {} |",
                secs(run.wall),
                secs(run.cpu),
                latencies.cells(),
                secs(latencies.sum())
            );
        }
    }
    ok &= driver_floor(inventory, resolver, &sample).await;
    if let Some(text) = &transcript {
        print!(
            "{}",
            variants(&inventory.root, text, inventory.assets.len())
        );
    }

    let sweep: Vec<usize> = sweep.iter().copied().filter(|f| *f < forks).collect();
    if !sweep.is_empty() {
        println!();
        println!(
            "Fewer devices at once (`forks`), one run each; all devices go through, {} at a time:",
            sweep
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
        println!();
        println!(
            "| forks | run | wall | CPU of netparc and twins | per device: median | p95 | max |"
        );
        println!("|---:|---|---:|---:|---:|---:|---:|");
        for &forks in sweep.iter().chain(std::iter::once(&forks)) {
            for store in [true, false] {
                let run = netparc_run(inventory, resolver, push, forks, store, None).await;
                ok &= run.problems.is_empty();
                report_problems(&run);
                let mut per_device = Latencies::default();
                if let Some(report) = &run.report {
                    per_device.samples = report
                        .assets
                        .iter()
                        .map(|a| Duration::from_millis(a.duration_ms))
                        .collect();
                }
                println!(
                    "| {forks} | {} | {} | {} | {} |",
                    if store {
                        "as shipped"
                    } else {
                        "no backup store"
                    },
                    secs(run.wall),
                    secs(run.cpu),
                    per_device.cells()
                );
            }
        }
    }
    ok
}

/// The floor per device, in microseconds: the same work as the engine does for one asset,
/// through the driver directly, on ten twins one at a time (a lab of those ten): each
/// operation timed with `Instant` (the run reports count whole milliseconds). Once with a
/// session transcript as the engine records it, once without (`DriverOptions::transcript`
/// None: the engine has no such option); then the parts the engine adds around a device:
/// writing its transcript and committing its backup. False when a check failed.
async fn driver_floor(inventory: &Inventory, resolver: &SecretResolver, sample: &[String]) -> bool {
    use netparc::driver::{self, DriverOptions, Mode, Timeouts};
    use netparc::transport::transcript::Transcript;
    let selector = Selector::parse(&sample.join(",")).expect("the sample's selector");
    let mut ok = true;
    let names = [
        "connect, log in, prompt, `terminal length 0` / `width 511` (`driver::connect`)",
        "`running_config` (`show running-config`)",
        "`plan` (remediation and diff)",
        "`apply` (`configure terminal`, 20 lines, `end`)",
        "`command(\"show running-config\")` (read-back)",
        "`close`",
        "the whole device",
    ];
    let mut table = String::from(
        "\nThe floor per device: the engine's work for one asset through the driver directly, ten twins one at a time, timed in microseconds (the run reports count whole milliseconds):\n\n| part | with transcript: median | p95 | max | without transcript: median | p95 | max |\n|---|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut columns: Vec<Vec<Latencies>> = Vec::new();
    let mut transcripts: Vec<Transcript> = Vec::new();
    for with_transcript in [true, false] {
        let _ = fs::remove_file(inventory.root.join("state/lab/known_hosts"));
        let access = open_lab(inventory, resolver, &selector).await;
        let mut parts: Vec<Latencies> = names.iter().map(|_| Latencies::default()).collect();
        for asset in inventory
            .assets
            .iter()
            .filter(|a| sample.contains(&a.value.name))
        {
            let endpoint = access
                .endpoint(inventory, asset, resolver)
                .expect("a login");
            let address = endpoint.address.expect("a twin address");
            let intended = format!(
                "hostname {}\n!\n{}\nend\n",
                endpoint.asset,
                PUSHED.join("\n")
            );
            let transcript = with_transcript.then(Transcript::new);
            let options = DriverOptions {
                timeouts: Timeouts::default(),
                enable: endpoint.enable.clone(),
                transcript: transcript.clone(),
                secrets: endpoint.secrets.clone(),
                intended: Some(intended.clone()),
            };
            let mut marks = vec![Instant::now()];
            let result = async {
                let mut driver = driver::connect(
                    &endpoint.platform,
                    &endpoint.asset,
                    address,
                    &endpoint.ssh,
                    options,
                )
                .await?;
                marks.push(Instant::now());
                let running = driver.running_config().await?;
                marks.push(Instant::now());
                let plan = driver.plan(&intended, &running, Mode::Merge)?;
                marks.push(Instant::now());
                driver.apply(&plan).await?;
                marks.push(Instant::now());
                let read_back = driver.command("show running-config").await?;
                marks.push(Instant::now());
                driver.close().await;
                marks.push(Instant::now());
                Ok::<_, netparc::driver::DriverError>((plan.commands.len(), read_back.text))
            }
            .await;
            match result {
                Ok((sent, text)) => {
                    if sent != PUSHED.len() || missing_line(&text).is_some() {
                        ok = false;
                        println!(
                            "- driver floor check FAILED: {}: {sent} line(s) sent, read-back lacks {:?}",
                            endpoint.asset,
                            missing_line(&text)
                        );
                    }
                    for (i, part) in parts.iter_mut().take(6).enumerate() {
                        part.samples.push(marks[i + 1] - marks[i]);
                    }
                    parts[6].samples.push(marks[6] - marks[0]);
                }
                Err(error) => {
                    ok = false;
                    println!("- driver floor FAILED: {error}");
                }
            }
            transcripts.extend(transcript);
        }
        access.close().await;
        columns.push(parts);
    }
    for (i, name) in names.iter().enumerate() {
        table.push_str(&format!(
            "| {name} | {} | {} |\n",
            columns[0][i].cells(),
            columns[1][i].cells()
        ));
    }
    // What the engine adds around each device: its transcript written out, its backup.
    let dir = inventory.root.join("state").join("bench-floor");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("mkdir");
    let mut write = Latencies::default();
    for (i, transcript) in transcripts.iter().enumerate() {
        let started = Instant::now();
        let _ = transcript.write_to(&dir.join(format!("{i}.log")));
        write.samples.push(started.elapsed());
    }
    let _ = fs::remove_dir_all(&dir);
    let _ = fs::remove_dir_all(inventory.root.join("state").join("backups"));
    let store = netparc::backup::BackupStore::open(&inventory.root).expect("the backup store");
    let mut commit = Latencies::default();
    for (i, name) in sample.iter().enumerate() {
        let config = format!("!\nhostname {name}\n! backup {i}\nend\n");
        let started = Instant::now();
        let saved = store.save(name, &config, "bench: one backup at a time");
        commit.samples.push(started.elapsed());
        if let Err(error) = saved {
            ok = false;
            println!("- backup commit FAILED: {error}");
        }
    }
    table.push_str(&format!(
        "| and around it, in the engine: the transcript written (`Transcript::write_to`: atomic, fsync) | {} | | | |\n| and the backup committed (`BackupStore::save`, alone: one commit) | {} | | | |\n",
        write.cells(),
        commit.cells()
    ));
    print!("{table}");
    ok
}

/// What two per-device costs of the engine and the IOS driver are, timed alone with a
/// cheaper variant beside each: writing the session transcript (`fsutil::write_file`: a
/// temporary file, fsync, rename, fsync of the folder, on the runtime's worker thread), and
/// compiling the prompt pattern (`Ios::own_prompt` builds a `Regex` for every EXEC command
/// it sends; copied here). `transcript` is a real one of this run.
fn variants(root: &Path, transcript: &str, devices: usize) -> String {
    let count = devices.clamp(10, 200);
    let dir = root.join("state").join("bench-transcripts");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("mkdir");
    let time_each = |name: &str, write: &dyn Fn(&Path)| {
        let mut each = Latencies::default();
        for i in 0..count {
            let path = dir.join(format!("{name}-{i}.log"));
            let started = Instant::now();
            write(&path);
            each.samples.push(started.elapsed());
        }
        each
    };
    let atomic = time_each("atomic", &|path| {
        netparc::fsutil::write_file(path, transcript.as_bytes(), 0o600).expect("write")
    });
    let plain = time_each("plain", &|path| {
        // Same bytes, same rename into place, no fsync (variant).
        let tmp = path.with_extension("tmp");
        fs::write(&tmp, transcript.as_bytes()).expect("write");
        fs::rename(&tmp, path).expect("rename");
    });
    let _ = fs::remove_dir_all(&dir);
    let host = "sw-marseille-0125";
    let pattern = format!(
        r"(?:^|\n){}(?:\([A-Za-z0-9_. /-]*\))?[>#] ?$",
        regex::escape(host)
    );
    let mut compile = Latencies::default();
    for _ in 0..count {
        let started = Instant::now();
        let regex = regex::Regex::new(&pattern).expect("the driver's pattern");
        // A first search, as `read_until` does: the lazy DFA builds its start states.
        let _ = regex.is_match("show clock\n12:00:00 UTC\nsw-marseille-0125#");
        compile.samples.push(started.elapsed());
    }
    let compiled = regex::Regex::new(&pattern).expect("the driver's pattern");
    let mut reuse = Latencies::default();
    for _ in 0..count {
        let started = Instant::now();
        let _ = compiled.is_match("show clock\n12:00:00 UTC\nsw-marseille-0125#");
        reuse.samples.push(started.elapsed());
    }
    let mut table = format!(
        "\nTwo per-device costs timed alone, {count} times each, with a cheaper variant (a transcript of this run: {} bytes):\n\n| part | median | p95 | max |\n|---|---:|---:|---:|\n",
        transcript.len()
    );
    for (name, each) in [
        (
            "transcript written as the engine does (`fsutil::write_file`: fsync of the file and the folder)",
            &atomic,
        ),
        (
            "same bytes, written and renamed without fsync (variant)",
            &plain,
        ),
        (
            "`Regex::new` of the IOS prompt pattern and a first match (`Ios::own_prompt`, each EXEC command)",
            &compile,
        ),
        ("the same pattern compiled once, a match (variant)", &reuse),
    ] {
        table.push_str(&format!("| {name} | {} |\n", each.cells()));
    }
    table
}

/// The parts of the preparation `launch` does before the engine starts, each timed alone
/// (min of three) through the same public functions, as a Markdown table.
async fn preparation(
    inventory: &Inventory,
    resolver: &SecretResolver,
    playbook_file: &Path,
) -> String {
    fn best<T>(mut part: impl FnMut() -> T) -> (Duration, T) {
        let mut best = Duration::MAX;
        let mut last = None;
        for _ in 0..3 {
            let started = Instant::now();
            let value = part();
            best = best.min(started.elapsed());
            last = Some(value);
        }
        (best, last.expect("three runs"))
    }
    let mut table = String::from(
        "\nThe preparation's parts, each timed alone (min of 3):\n\n| part | total | per device |\n|---|---:|---:|\n",
    );
    let devices = inventory.assets.len().max(1);
    let mut row = |name: &str, time: Duration, per_device: bool| {
        let each = if per_device {
            ms(time / devices as u32)
        } else {
            String::new()
        };
        table.push_str(&format!("| {name} | {} | {each} |\n", ms(time)));
    };
    let (time, loaded) = best(|| {
        let (playbook, origin, _) = load_playbook(playbook_file).expect("the bench's playbook");
        let found = validate_playbook(&playbook, &origin, Some(inventory));
        assert!(!found.has_errors(), "the bench's playbook is valid");
        playbook
    });
    row("load and validate the playbook", time, false);
    let (time, (selector, _)) =
        best(|| prepare::select(inventory, &loaded, None).expect("the playbook's targets"));
    row("select the targets", time, false);
    let (time, templates) = best(|| load_templates(inventory).expect("the bench's templates"));
    row("load the templates", time, false);
    let (time, _) =
        best(|| netparc::intent::render_selected(inventory, &templates, resolver, &selector));
    row(
        "render every intended configuration (`intent::render_selected`)",
        time,
        true,
    );
    // Without a lab: `endpoint` looks the twin's address up in the lab, which costs nothing.
    let access = Access::open(inventory, resolver, &selector, &AccessOptions::default())
        .await
        .expect("access without a lab");
    let (time, endpoints) = best(|| {
        inventory
            .assets
            .iter()
            .map(|asset| {
                access
                    .endpoint(inventory, asset, resolver)
                    .expect("a login")
            })
            .collect::<Vec<_>>()
    });
    row(
        "logins (`Access::endpoint`: credentials, secrets)",
        time,
        true,
    );
    let (time, _) = best(|| {
        endpoints
            .iter()
            .map(|e| netparc::secrets::Redactor::from_secrets(&e.secrets))
            .collect::<Vec<_>>()
    });
    row("redactors (`Redactor::new`)", time, true);
    let (time, _) = best(|| {
        let assets: Vec<_> = inventory.assets.iter().collect();
        prepare::targets(
            inventory,
            resolver,
            Some(&templates),
            &loaded,
            &selector,
            &assets,
            &access,
        )
        .map(|targets| targets.len())
        .expect("targets")
    });
    row(
        "all of `prepare::targets` (render, logins, redactors)",
        time,
        true,
    );
    let backups = inventory.root.join("state").join("backups");
    let (time, _) = best(|| {
        let _ = fs::remove_dir_all(&backups);
        netparc::backup::BackupStore::open(&inventory.root)
            .map(|_| ())
            .is_ok()
    });
    row(
        "`BackupStore::open`, first use (creates the repository)",
        time,
        false,
    );
    let (time, _) = best(|| {
        netparc::backup::BackupStore::open(&inventory.root)
            .map(|_| ())
            .is_ok()
    });
    row("`BackupStore::open`, existing repository", time, false);
    table
}

// ---- netparc ------------------------------------------------------------------------------

/// One netparc run: its wall time, report and what its checks found.
struct NetparcRun {
    wall: Duration,
    /// Wall time minus the engine's own (`RunReport::duration_ms`): playbook, render,
    /// logins, backup store.
    preparation: Duration,
    /// CPU time of the process during the run: netparc's and the twins' together.
    cpu: Duration,
    /// CPU time of the git processes the backup store ran and waited for meanwhile.
    git_cpu: Duration,
    report: Option<RunReport>,
    problems: Vec<String>,
}

/// Run `playbook` on a fresh lab: through `launch` (with the backup store, as shipped) or
/// through `prepare` and `engine::run` with no backup store. `limit` narrows the targets.
async fn netparc_run(
    inventory: &Inventory,
    resolver: &SecretResolver,
    playbook: &Path,
    forks: usize,
    store: bool,
    limit: Option<&str>,
) -> NetparcRun {
    let selector = match limit {
        Some(limit) => Selector::parse(limit).expect("the sample's selector"),
        None => Selector::all(),
    };
    // A fresh lab: factory twins, and a first contact for every host key, as each `--lab`
    // run with new ports is.
    let lab_state = inventory.root.join("state").join("lab");
    let _ = fs::remove_file(lab_state.join("known_hosts"));
    // Every run commits first backups, not "unchanged since" ones.
    let _ = fs::remove_dir_all(inventory.root.join("state").join("backups"));
    let _ = fs::remove_file(inventory.root.join("state").join("backups.lock"));
    let access = open_lab(inventory, resolver, &selector).await;
    let options = RunOptions {
        forks: Some(forks),
        limit: limit.map(str::to_string),
        lab: true,
        ..RunOptions::default()
    };
    let events: EventSink = Arc::new(|_| {});
    let (_cancel_tx, cancel) = tokio::sync::watch::channel(false);
    let cpu_before = cpu_time(libc::RUSAGE_SELF);
    let git_before = cpu_time(libc::RUSAGE_CHILDREN);
    let started = Instant::now();
    let result = if store {
        launch::launch(
            inventory, resolver, playbook, &access, options, events, cancel,
        )
        .await
    } else {
        without_store(
            inventory, resolver, playbook, &access, options, events, cancel,
        )
        .await
    };
    let wall = started.elapsed();
    let cpu = cpu_time(libc::RUSAGE_SELF).saturating_sub(cpu_before);
    let git_cpu = cpu_time(libc::RUSAGE_CHILDREN).saturating_sub(git_before);
    let mut problems = Vec::new();
    let report = match result {
        Ok(report) => Some(report),
        Err(found) => {
            problems.push(format!("the run did not start: {found}"));
            None
        }
    };
    if let Some(report) = &report {
        problems.extend(check_report(report));
        problems.extend(check_twins(&access, report.assets.iter().map(|a| &a.asset)));
    }
    access.close().await;
    let preparation = report.as_ref().map_or(Duration::ZERO, |r| {
        wall.saturating_sub(Duration::from_millis(r.duration_ms))
    });
    NetparcRun {
        wall,
        cpu,
        git_cpu,
        preparation,
        report,
        problems,
    }
}

/// `launch` without the backup store: the same load, validation and preparation, then
/// `engine::run` with `None` for the store.
async fn without_store(
    inventory: &Inventory,
    resolver: &SecretResolver,
    playbook_file: &Path,
    access: &Access,
    options: RunOptions,
    events: EventSink,
    cancel: tokio::sync::watch::Receiver<bool>,
) -> Result<RunReport, netparc::diag::Diagnostics> {
    let (playbook, origin, mut found) = load_playbook(playbook_file)?;
    found.extend(validate_playbook(&playbook, &origin, Some(inventory)));
    if found.has_errors() {
        return Err(found);
    }
    let limit = options
        .limit
        .as_deref()
        .map(|l| Selector::parse(l).expect("the sample's selector"));
    let (selector, assets) = prepare::select(inventory, &playbook, limit.as_ref())
        .map_err(netparc::diag::Diagnostics::from)?;
    // As `launch` does: a playbook that pushes needs its templates.
    let templates = Some(load_templates(inventory)?);
    let targets = prepare::targets(
        inventory,
        resolver,
        templates.as_ref(),
        &playbook,
        &selector,
        &assets,
        access,
    )?;
    Ok(engine::run(
        &playbook,
        playbook_file,
        &inventory.root,
        targets,
        options,
        None,
        events,
        cancel,
    )
    .await)
}

/// Start a lab of the selected assets, as `netparc run --lab` does.
async fn open_lab(inventory: &Inventory, resolver: &SecretResolver, selector: &Selector) -> Access {
    let options = AccessOptions {
        lab: true,
        faults: Vec::new(),
        accept_new: true,
    };
    match Access::open(inventory, resolver, selector, &options).await {
        Ok(access) => access,
        Err(found) => {
            let text = found.to_string();
            if text.contains("os error 24") {
                eprintln!(
                    "each twin holds about three file descriptors: raise `ulimit -n` (e.g. 20000)"
                );
            }
            fail("the lab does not start", &found)
        }
    }
}

/// What the report must show: every asset changed, the 20 lines sent, the read-back
/// holding them.
fn check_report(report: &RunReport) -> Vec<String> {
    let mut problems = Vec::new();
    let mut wanted: Vec<&str> = PUSHED.iter().map(|l| l.trim()).collect();
    wanted.sort_unstable();
    for asset in &report.assets {
        if asset.status != Status::Changed {
            problems.push(format!(
                "{}: {} ({})",
                asset.asset,
                asset.status.as_str(),
                asset.reason.as_deref().unwrap_or("no reason given")
            ));
            continue;
        }
        let mut sent: Vec<&str> = asset.commands.iter().map(|c| c.trim()).collect();
        sent.sort_unstable();
        if sent != wanted {
            problems.push(format!(
                "{}: the push sent {} line(s), not the 20 expected: {:?}",
                asset.asset,
                asset.commands.len(),
                asset.commands
            ));
        }
        let read_back = asset
            .steps
            .iter()
            .rev()
            .find(|s| s.action == "command")
            .and_then(|s| s.output.as_deref())
            .unwrap_or_default();
        if let Some(missing) = missing_line(read_back) {
            problems.push(format!("{}: the read-back lacks `{missing}`", asset.asset));
        }
    }
    problems
}

/// The first pushed line `config` does not hold (compared trimmed, line by line).
fn missing_line(config: &str) -> Option<&'static str> {
    let present: std::collections::HashSet<&str> = config.lines().map(str::trim).collect();
    PUSHED.iter().find(|l| !present.contains(l.trim())).copied()
}

/// What the twins themselves hold: each named twin's running configuration has the 20 lines.
fn check_twins<'a>(access: &Access, assets: impl Iterator<Item = &'a String>) -> Vec<String> {
    let Some(lab) = access.lab() else {
        return vec![String::from("no lab")];
    };
    let mut problems = Vec::new();
    for asset in assets {
        let Some(twin) = lab.twin(asset) else {
            problems.push(format!("{asset}: no twin"));
            continue;
        };
        let state = twin.device.state();
        let Some(ios) = state.platform.as_any().downcast_ref::<IosState>() else {
            problems.push(format!("{asset}: not an IOS twin"));
            continue;
        };
        if let Some(missing) = missing_line(&ios.running_config()) {
            problems.push(format!(
                "{asset}: the twin's running configuration lacks `{missing}`"
            ));
        }
    }
    problems
}

fn report_problems(run: &NetparcRun) {
    for problem in run.problems.iter().take(10) {
        println!("- netparc check FAILED: {problem}");
    }
    if run.problems.len() > 10 {
        println!("- … and {} more", run.problems.len() - 10);
    }
}

/// Several runs of one kind.
#[derive(Default)]
struct Runs {
    walls: Vec<Duration>,
    cpu: Vec<Duration>,
    git_cpu: Vec<Duration>,
    preparation: Vec<Duration>,
    engine: Vec<Duration>,
    per_device: Latencies,
    devices: usize,
    failed: usize,
}

impl Runs {
    fn add(&mut self, run: NetparcRun) {
        self.walls.push(run.wall);
        self.cpu.push(run.cpu);
        self.git_cpu.push(run.git_cpu);
        self.preparation.push(run.preparation);
        if !run.problems.is_empty() {
            self.failed += 1;
        }
        if let Some(report) = run.report {
            self.engine.push(Duration::from_millis(report.duration_ms));
            self.devices = report.assets.len();
            for asset in &report.assets {
                self.per_device
                    .samples
                    .push(Duration::from_millis(asset.duration_ms));
            }
        }
    }

    fn row(&self, name: &str) -> String {
        format!(
            "| {name} | **{}** | {} | {}{} | {} | {} |",
            secs(min(&self.walls)),
            secs(median(&self.walls)),
            cpu_cell(median(&self.cpu), self.devices),
            match median(&self.git_cpu) {
                git if git.is_zero() => String::new(),
                git => format!(", git {}", secs(git)),
            },
            self.per_device.cells(),
            if self.failed == 0 {
                format!("{} devices changed, 20 lines each, read back", self.devices)
            } else {
                format!("{} run(s) FAILED", self.failed)
            }
        )
    }
}

/// Per step name, its per-device durations; "close" is an asset's time outside its steps.
fn step_latencies(report: &RunReport) -> Vec<(String, Latencies)> {
    let mut steps: Vec<(String, Latencies)> = Vec::new();
    let mut close = Latencies::default();
    let mut total = Latencies::default();
    for asset in &report.assets {
        let mut inside = 0;
        for step in &asset.steps {
            inside += step.duration_ms;
            let position = match steps.iter().position(|(name, _)| *name == step.name) {
                Some(position) => position,
                None => {
                    steps.push((step.name.clone(), Latencies::default()));
                    steps.len() - 1
                }
            };
            steps[position]
                .1
                .samples
                .push(Duration::from_millis(step.duration_ms));
        }
        close.samples.push(Duration::from_millis(
            asset.duration_ms.saturating_sub(inside),
        ));
        total.samples.push(Duration::from_millis(asset.duration_ms));
    }
    steps.push((String::from("close"), close));
    steps.push((String::from("whole asset"), total));
    steps
}

// ---- Nornir + Netmiko ---------------------------------------------------------------------

/// What the Nornir run gave.
struct NornirFigures {
    /// The subprocess, start to exit (Python start, imports, inventory, run, close).
    process: Duration,
    /// `nr.run` plus closing the connections, as the script timed it.
    job: Duration,
    /// Python start and imports, `InitNornir`, as the script timed them.
    start: Duration,
    /// Per host: the task (connect + config + read-back).
    per_host: Latencies,
    /// Per host: opening the Netmiko connection (connect, login, session preparation).
    connect: Latencies,
    /// Per host: `netmiko_send_config` with the 20 lines.
    config: Latencies,
    /// Per host: `netmiko_send_command("show running-config")`.
    read_back: Latencies,
    /// CPU time of the Python process (`RUSAGE_CHILDREN`).
    cpu_child: Duration,
    /// CPU time of this process meanwhile: the twins serving Nornir.
    cpu_twins: Duration,
    versions: String,
    hosts: usize,
    problems: Vec<String>,
}

impl NornirFigures {
    fn row(&self, workers: usize) -> String {
        format!(
            "| Nornir + Netmiko ({}), {workers} workers: job (`nr.run` + close), 1 run | **{}** | | {} Python, {} twins | {} | {} |",
            self.versions,
            secs(self.job),
            cpu_cell(self.cpu_child, self.hosts),
            cpu_cell(self.cpu_twins, self.hosts),
            self.per_host.cells(),
            if self.problems.is_empty() {
                format!("{} hosts ok, 20 lines each, read back", self.hosts)
            } else {
                format!("{} problem(s)", self.problems.len())
            }
        ) + &format!(
            "\n| Nornir + Netmiko, whole process (Python start, imports and `InitNornir`: {}) | {} | | | | | | |\n| Nornir + Netmiko, per host: open the connection (connect, login, session preparation) | | | | {} | |\n| Nornir + Netmiko, per host: `netmiko_send_config` (20 lines) | | | | {} | |\n| Nornir + Netmiko, per host: `netmiko_send_command(\"show running-config\")` | | | | {} | |",
            secs(self.start),
            secs(self.process),
            self.connect.cells(),
            self.config.cells(),
            self.read_back.cells(),
        )
    }
}

/// Run `benches/nornir_push.py` against a fresh lab of every asset.
async fn nornir_run(
    config: &Config,
    inventory: &Inventory,
    resolver: &SecretResolver,
    dir: &Path,
) -> Result<NornirFigures, String> {
    if !config.python.exists() {
        return Err(format!(
            "no Python at {}: run benches/push.sh (it creates benches/.venv with nornir, nornir-netmiko and netmiko) or set NETPARC_PUSH_PYTHON",
            config.python.display()
        ));
    }
    let access = open_lab(inventory, resolver, &Selector::all()).await;
    let lab = access.lab().expect("a lab").clone();
    let folder = dir.join("nornir");
    fs::create_dir_all(&folder).expect("mkdir");
    let mut hosts = String::new();
    for twin in lab.twins() {
        let address = twin.ssh.expect("IOS twins have SSH");
        hosts.push_str(&format!(
            "{}:\n  hostname: {}\n  port: {}\n  platform: cisco_ios\n",
            twin.device.spec.name,
            address.ip(),
            address.port()
        ));
    }
    fs::write(folder.join("hosts.yaml"), hosts).expect("hosts.yaml");
    fs::write(folder.join("groups.yaml"), "{}\n").expect("groups.yaml");
    fs::write(folder.join("defaults.yaml"), "username: netadmin\n").expect("defaults.yaml");
    let lines: Vec<String> = PUSHED.iter().map(|l| l.to_string()).collect();
    fs::write(
        folder.join("lines.json"),
        serde_json::to_string(&lines).expect("json"),
    )
    .expect("lines.json");
    let secret = |name: &str| {
        fs::read_to_string(inventory.root.join("secrets").join(name)).expect("secret file")
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/nornir_push.py");
    let mut command = Command::new(&config.python);
    command
        .arg(&script)
        .arg(&folder)
        // Secrets through the environment, never on a command line others can read.
        .env("NETPARC_PUSH_PASSWORD", secret("admin"))
        .env("NETPARC_PUSH_SECRET", secret("enable"))
        .env("NETPARC_PUSH_WORKERS", config.workers.to_string())
        .current_dir(&folder);
    println!(
        "- Nornir + Netmiko: {} twins, {} workers, started (load average {})",
        lab.twins().len(),
        config.workers,
        load_average()
    );
    let children_before = cpu_time(libc::RUSAGE_CHILDREN);
    let self_before = cpu_time(libc::RUSAGE_SELF);
    let started = Instant::now();
    // The child blocks; it waits on the blocking pool while the runtime's workers serve the
    // twins it talks to.
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the Nornir subprocess thread")
        .map_err(|e| format!("cannot run {}: {e}", config.python.display()))?;
    let process = started.elapsed();
    let cpu_child = cpu_time(libc::RUSAGE_CHILDREN).saturating_sub(children_before);
    let cpu_twins = cpu_time(libc::RUSAGE_SELF).saturating_sub(self_before);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report: serde_json::Value = serde_json::from_str(&stdout).map_err(|e| {
        format!(
            "the script printed no JSON ({e}), exit {:?}:\n{stdout}\nstderr:\n{stderr}",
            output.status.code()
        )
    })?;
    if report["stage"] == "import" {
        return Err(format!("{}", report["error"]));
    }
    let mut problems: Vec<String> = report["problems"]
        .as_array()
        .map(|p| {
            p.iter()
                .map(|v| v.as_str().unwrap_or("?").to_string())
                .collect()
        })
        .unwrap_or_default();
    if !output.status.success() && problems.is_empty() {
        problems.push(format!(
            "exit {:?}: {}",
            output.status.code(),
            report["error"]
        ));
    }
    let names: Vec<String> = lab
        .twins()
        .iter()
        .map(|t| t.device.spec.name.clone())
        .collect();
    problems.extend(check_twins(&access, names.iter()));
    access.close().await;
    let seconds = |v: &serde_json::Value| Duration::from_secs_f64(v.as_f64().unwrap_or(0.0));
    let latencies = |key: &str| Latencies {
        samples: report["per_host"][key]
            .as_array()
            .map(|a| a.iter().map(seconds).collect())
            .unwrap_or_default(),
    };
    Ok(NornirFigures {
        process,
        cpu_child,
        cpu_twins,
        job: seconds(&report["seconds"]["run"]) + seconds(&report["seconds"]["close"]),
        start: seconds(&report["seconds"]["imports"]) + seconds(&report["seconds"]["init"]),
        per_host: latencies("task"),
        connect: latencies("connect"),
        config: latencies("config"),
        read_back: latencies("read_back"),
        versions: format!(
            "nornir {}, netmiko {}",
            report["versions"]["nornir"].as_str().unwrap_or("?"),
            report["versions"]["netmiko"].as_str().unwrap_or("?")
        ),
        hosts: report["hosts_ok"].as_u64().unwrap_or(0) as usize,
        problems,
    })
}

// ---- the generated files ------------------------------------------------------------------

/// The access-switch template: the hostname the twin already has, then the 20 lines.
fn write_template(root: &Path) {
    let mut text = String::from("hostname {{ asset.name }}\n!\n");
    for line in PUSHED {
        text.push_str(line);
        text.push('\n');
    }
    text.push_str("end\n");
    let path = root.join("templates/ios/access-switch.tera");
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(&path, text).expect("template");
}

fn write_playbook(root: &Path, name: &str, steps: &str) -> PathBuf {
    let text = format!(
        "name: Bench push ({name})\ndescription: 20 configuration lines and a read-back, benches/push_speed.rs\ntargets: \"kind:switch\"\n{CHANGE}{steps}"
    );
    let path = root.join("playbooks").join(format!("{name}.yml"));
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(&path, text).expect("playbook");
    path
}

// ---- figures ------------------------------------------------------------------------------

/// Latencies of one kind of operation.
#[derive(Default)]
struct Latencies {
    samples: Vec<Duration>,
}

impl Latencies {
    fn sorted(&self) -> Vec<Duration> {
        let mut sorted = self.samples.clone();
        sorted.sort();
        sorted
    }

    fn at(&self, q: f64) -> Option<Duration> {
        let sorted = self.sorted();
        if sorted.is_empty() {
            return None;
        }
        Some(sorted[((sorted.len() - 1) as f64 * q).round() as usize])
    }

    fn median(&self) -> Option<Duration> {
        self.at(0.5)
    }

    /// median | p95 | max, three Markdown cells.
    fn cells(&self) -> String {
        let cell = |q: f64| self.at(q).map_or_else(|| String::from("–"), ms);
        format!("{} | {} | {}", cell(0.5), cell(0.95), cell(1.0))
    }

    /// All samples added up: for a step, the device time it cost over the whole run.
    fn sum(&self) -> Duration {
        self.samples.iter().sum()
    }
}

/// CPU time and its share per device.
fn cpu_cell(cpu: Duration, devices: usize) -> String {
    format!("{} ({})", secs(cpu), ms(cpu / devices.max(1) as u32))
}

fn min(walls: &[Duration]) -> Duration {
    walls.iter().min().copied().unwrap_or_default()
}

fn median(walls: &[Duration]) -> Duration {
    let mut sorted = walls.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

fn ratio(slow: Duration, fast: Duration) -> f64 {
    slow.as_secs_f64() / fast.as_secs_f64().max(1e-9)
}

fn verdict(met: bool) -> &'static str {
    if met { "MET" } else { "MISSED" }
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 10.0 {
        format!("{s:.1} s")
    } else if s >= 1.0 {
        format!("{s:.2} s")
    } else {
        ms(d)
    }
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms >= 1.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.0} µs", ms * 1e3)
    }
}

/// CPU time (user + system) used so far by this process (`who` = `RUSAGE_SELF`: netparc
/// and the twins, which share it) or by its finished children (`RUSAGE_CHILDREN`: the Nornir
/// subprocess).
fn cpu_time(who: libc::c_int) -> Duration {
    // SAFETY: getrusage only writes the struct it is given, which is zeroed and ours.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid `who` and a valid pointer; on failure the struct stays zeroed.
    let _ = unsafe { libc::getrusage(who, &mut usage) };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// The 1, 5 and 15 minute load averages (the machine is shared: say how busy it was).
fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| String::from("unknown"))
}

fn fail(what: &str, diagnostics: &netparc::diag::Diagnostics) -> ! {
    let shown: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .take(10)
        .map(ToString::to_string)
        .collect();
    eprintln!(
        "benchmark broken: {what} ({} errors); first ones:\n{}",
        diagnostics.error_count(),
        shown.join("\n")
    );
    std::process::exit(1);
}
