//! The twin lab at scale: how long `Lab::start` takes and how much memory the process holds
//! with one twin per asset of a large inventory, and whether the running lab answers.
//!
//! The targets, on a 2-core machine: 1,000 twin devices in one process, **started
//! in under 5 s**, in **under 500 MB RSS**.
//!
//! The benchmark generates, in a temporary owner-only folder, an inventory of N assets
//! (`NETPARC_LAB_ASSETS`, default 1,000): eight sites with valid addressing plans; defaults
//! with credentials and an SNMPv3 authPriv profile behind `file:` secrets (mode 0600, 24
//! random characters); 60 % IOS access switches with 24 or 48 ports plus two uplinks, 25 %
//! IOS access points, 5 % Linux WireGuard gateways with peers, 10 % workstations plugged
//! into switch ports. It is loaded and validated (not timed: `benches/check_speed.rs`
//! measures that), then, on a multi-thread Tokio runtime with one worker per core:
//!
//! 1. `Lab::start` (ports 0, a salt unique to the run, a fresh state folder, so every host
//!    key is generated and written: the first start of a lab), with the process's RSS
//!    (`VmRSS` of /proc/self/status) before and after, and its open file descriptors
//!    against the soft `ulimit -n`;
//! 2. a smoke of the running lab: SSH connect + password authentication + one command over
//!    an exec channel (`show version` on IOS twins, `uname -a` on Linux ones) through
//!    netparc's own `SshSession` to `NETPARC_LAB_SSH_SAMPLE` random twins (default 50),
//!    then an SNMPv3 authPriv GET of sysName through async-snmp (a client per twin, engine
//!    discovery included, master keys derived once as a poller would) to as many other
//!    random twins (`NETPARC_LAB_SNMP_SAMPLE`). Each answer is checked. The first
//!    `NETPARC_LAB_ALONE` targets (default 10) are done one at a time, for the cost of one
//!    operation on an idle lab, then all targets at once. Clients and twins share the
//!    process and its cores, so the concurrent figures include the clients' own crypto.
//!    Every operation's latency is reported (min, median, p95, max);
//! 3. `Lab::stop`;
//! 4. a second `Lab::start` on the same state folder (host keys read back: every later
//!    start of the same lab) and its stop.
//!
//! Then ("Where the start time goes") the steps of `Lab::start` are timed one by one through
//! the same public functions, with a cheaper variant where one shows what a change in src/
//! would gain, and the heap each step's products keep (a counting global allocator: bytes
//! allocated, touched or not, where RSS counts only touched pages);
//! `NETPARC_LAB_BREAKDOWN=0` skips it.
//!
//! Figures are printed as Markdown (for docs/benchmarks.md); nothing is asserted on time,
//! but a smoke operation that fails makes the run exit 1. `NETPARC_LAB_SEED` changes which
//! twins the smoke picks.
//!
//! Run it with `cargo bench --bench lab_scale` (release build).

#[path = "common/inventory.rs"]
mod inventory;

#[path = "common/knobs.rs"]
mod knobs;
use async_snmp::{Client, MasterKeys, Retry, UsmConfig, Value};
use inventory::{Mix, Rng, generate};
use netparc::check::open_resolver;
use netparc::inventory::{Inventory, Selector, SnmpAuthProtocol, SnmpPrivProtocol};
use netparc::lab::device::Platform;
use netparc::lab::{Lab, LabOptions, build, platforms, snmp, ssh};
use netparc::secrets::Secret;
use netparc::transport::ssh::{Credential, HostKeyPolicy, SshOptions, SshSession};
use russh::keys::{Algorithm, PrivateKey};
use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::fs;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counts the bytes the process holds on the heap, so the benchmark can say what each part
/// of the lab keeps, which RSS cannot once the allocator reuses freed pages.
struct Counting;

static HEAP: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed to the system allocator unchanged; only a counter is kept.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        HEAP.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        HEAP.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HEAP.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        HEAP.fetch_add(new_size, Ordering::Relaxed);
        HEAP.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes held on the heap now.
fn heap() -> usize {
    HEAP.load(Ordering::Relaxed)
}

/// A heap difference in MB, signed.
fn heap_mb(before: usize, after: usize) -> String {
    format!("{:+.1} MB", (after as f64 - before as f64) / 1048576.0)
}

fn main() {
    let config = Config::from_env();
    let cores = std::thread::available_parallelism().map_or(1, |p| p.get());
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
    assets: usize,
    ssh_sample: usize,
    snmp_sample: usize,
    alone: usize,
    seed: u64,
    breakdown: bool,
}

impl Config {
    fn from_env() -> Config {
        let number = knobs::positive;
        let sample = number("NETPARC_LAB_SSH_SAMPLE", 50);
        Config {
            assets: number("NETPARC_LAB_ASSETS", 1_000).max(20),
            ssh_sample: sample,
            snmp_sample: number("NETPARC_LAB_SNMP_SAMPLE", sample),
            alone: number("NETPARC_LAB_ALONE", 10),
            seed: number("NETPARC_LAB_SEED", 0x5eed) as u64,
            breakdown: std::env::var("NETPARC_LAB_BREAKDOWN").map_or(true, |v| v != "0"),
        }
    }
}

/// The whole benchmark; true when a smoke operation failed.
async fn run(config: &Config, cores: usize) -> bool {
    let rss_at_start = memory().rss_kb;
    let dir = tempfile::Builder::new()
        .prefix("netparc-lab-bench-")
        .tempdir()
        .expect("temporary folder");
    // Secrets and host keys live here: owner-only.
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).expect("chmod");
    let root = dir.path().join("inventory");
    let generated = generate(&root, &Mix::lab_scale(config.assets));
    println!(
        "generated {} assets: {} IOS switches ({} ports in all), {} IOS access points, {} Linux VPN gateways, {} workstations",
        generated.total(),
        generated.switches,
        generated.ports,
        generated.access_points,
        generated.vpn_gateways,
        generated.workstations,
    );

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
    println!(
        "loaded and validated in {:.2} s (not part of the start figure)",
        loading.elapsed().as_secs_f64()
    );

    // A salt of its own, so this lab's addresses collide with no other lab on the machine.
    let salt = format!(
        "lab-scale-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    let options = LabOptions {
        ssh_port: 0,
        snmp_port: 0,
        state_dir: dir.path().join("state/lab"),
        salt,
        selector: Selector::all(),
        isolated: false,
    };

    // 1. Cold start: every host key generated and written.
    let before = memory();
    let heap_before = heap();
    let fds_before = open_fds();
    let started = Instant::now();
    let lab = match Lab::start(&inventory, &resolver, &options).await {
        Ok(lab) => lab,
        Err(error) => {
            eprintln!("benchmark broken: the lab does not start: {error}");
            eprintln!("{}", error.diagnostics());
            if error.to_string().contains("os error 24") {
                eprintln!(
                    "each twin holds about three file descriptors and `ulimit -n` is {}: raise it (`ulimit -n 20000`) or lower NETPARC_LAB_ASSETS",
                    fd_limit()
                );
            }
            std::process::exit(1);
        }
    };
    let cold = started.elapsed();
    let after = memory();
    let heap_after = heap();
    let fds_after = open_fds();
    let twins = lab.twins().len();
    let with_ssh = lab.twins().iter().filter(|t| t.ssh.is_some()).count();
    let with_snmp = lab.twins().iter().filter(|t| t.snmp.is_some()).count();

    // 2. Smoke.
    let secrets = Secrets::read(&root);
    let mut rng = Rng(config.seed);
    let mut order: Vec<usize> = (0..twins).collect();
    rng.shuffle(&mut order);
    let ssh_targets: Vec<Target> = order
        .iter()
        .map(|&i| &lab.twins()[i])
        .filter_map(|t| {
            Some(Target {
                name: t.device.spec.name.clone(),
                platform: t.device.spec.platform,
                address: t.ssh?,
            })
        })
        .take(config.ssh_sample)
        .collect();
    let snmp_targets: Vec<Target> = order
        .iter()
        .map(|&i| &lab.twins()[i])
        .filter(|t| !ssh_targets.iter().any(|s| s.name == t.device.spec.name))
        .filter_map(|t| {
            Some(Target {
                name: t.device.spec.name.clone(),
                platform: t.device.spec.platform,
                address: t.snmp?,
            })
        })
        .take(config.snmp_sample)
        .collect();
    let known_hosts = dir.path().join("known_hosts");
    fs::create_dir_all(&known_hosts).expect("mkdir");
    // First a few one at a time (what one operation costs on an idle lab), then every
    // target at once (what a playbook's forks or a poller's sweep meet).
    let alone = config.alone.min(ssh_targets.len());
    let mut latencies = Vec::new();
    let mut failures = Vec::new();
    let batches = [
        (&ssh_targets[..alone], false, "one at a time"),
        (&ssh_targets[..], true, "all at once"),
    ];
    for (targets, concurrent, how) in batches {
        let (rows, failed) = ssh_smoke(targets, &secrets, &known_hosts, concurrent, how).await;
        latencies.extend(rows);
        failures.extend(failed);
    }
    let alone = config.alone.min(snmp_targets.len());
    let batches = [
        (&snmp_targets[..alone], false, "one at a time"),
        (&snmp_targets[..], true, "all at once"),
    ];
    for (targets, concurrent, how) in batches {
        let (rows, failed) = snmp_smoke(targets, &secrets, concurrent, how).await;
        latencies.extend(rows);
        failures.extend(failed);
    }
    let after_smoke = memory();

    // 3. Stop.
    let stopping = Instant::now();
    lab.stop().await;
    let stop = stopping.elapsed();
    drop(lab);
    let after_stop = memory();

    // 4. Warm start: the same state folder, host keys read back.
    let started = Instant::now();
    let again = Lab::start(&inventory, &resolver, &options)
        .await
        .expect("second start");
    let warm = started.elapsed();
    let stopping = Instant::now();
    again.stop().await;
    let warm_stop = stopping.elapsed();
    drop(again);

    // Report.
    let mb = |kb: u64| kb as f64 / 1024.0;
    let start_met = cold < Duration::from_secs(5) && warm < Duration::from_secs(5);
    let rss_met = after.rss_kb < 500 * 1024 && after_smoke.rss_kb < 500 * 1024;
    println!();
    println!(
        "## {} assets: {twins} twins ({with_ssh} with SSH, {with_snmp} with SNMP), {cores} cores",
        generated.total()
    );
    println!();
    println!("| measure | value | target |");
    println!("|---|---:|---|");
    println!(
        "| `Lab::start`, first start (host keys generated and written) | **{:.2} s** | < 5 s: {} |",
        cold.as_secs_f64(),
        verdict(cold < Duration::from_secs(5))
    );
    println!(
        "| `Lab::start`, later start (host keys read back) | **{:.2} s** | < 5 s: {} |",
        warm.as_secs_f64(),
        verdict(warm < Duration::from_secs(5))
    );
    println!("| RSS at process start | {:.1} MB | |", mb(rss_at_start));
    println!(
        "| RSS before `Lab::start` (inventory loaded) | {:.1} MB | |",
        mb(before.rss_kb)
    );
    println!(
        "| RSS after `Lab::start` | **{:.1} MB** | < 500 MB: {} |",
        mb(after.rss_kb),
        verdict(after.rss_kb < 500 * 1024)
    );
    println!(
        "| RSS added by the lab, per twin | {:.1} MB, {:.0} KB | |",
        mb(after.rss_kb.saturating_sub(before.rss_kb)),
        after.rss_kb.saturating_sub(before.rss_kb) as f64 / twins.max(1) as f64
    );
    println!(
        "| heap held by the lab (counting allocator), per twin | {:.1} MB, {:.0} KB | |",
        heap_after.saturating_sub(heap_before) as f64 / 1048576.0,
        heap_after.saturating_sub(heap_before) as f64 / 1024.0 / twins.max(1) as f64
    );
    println!(
        "| RSS after the smoke | {:.1} MB | < 500 MB: {} |",
        mb(after_smoke.rss_kb),
        verdict(after_smoke.rss_kb < 500 * 1024)
    );
    println!(
        "| peak RSS (VmHWM) by the end of the smoke | {:.1} MB | |",
        mb(after_smoke.hwm_kb)
    );
    println!(
        "| RSS after `Lab::stop` (and drop) | {:.1} MB | |",
        mb(after_stop.rss_kb)
    );
    println!(
        "| open file descriptors, before / after start (soft limit) | {fds_before} / {fds_after} ({}) | |",
        fd_limit()
    );
    println!(
        "| `Lab::stop` (first lab / second lab) | {} / {} | |",
        ms(stop),
        ms(warm_stop)
    );
    println!();
    println!("| operation | n | ok | min | median | p95 | max | batch wall time |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for row in &latencies {
        println!("{}", row.markdown());
    }
    println!();
    println!(
        "- start under 5 s: {}; RSS under 500 MB: {}; smoke: {}",
        verdict(start_met),
        verdict(rss_met),
        if failures.is_empty() {
            String::from("every operation answered correctly")
        } else {
            format!("{} FAILED", failures.len())
        }
    );
    for failure in &failures {
        println!("  - {failure}");
    }

    if config.breakdown {
        println!();
        println!("### Where the start time goes");
        println!();
        print!(
            "{}",
            breakdown(&inventory, &resolver, &options, dir.path()).await
        );
    }
    !failures.is_empty()
}

fn verdict(met: bool) -> &'static str {
    if met { "MET" } else { "MISSED" }
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

// ---- process figures ----------------------------------------------------------------------

/// Resident memory now and at its peak, from /proc/self/status.
struct Memory {
    rss_kb: u64,
    hwm_kb: u64,
}

fn memory() -> Memory {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse().ok())
            .unwrap_or(0)
    };
    Memory {
        rss_kb: field("VmRSS:"),
        hwm_kb: field("VmHWM:"),
    }
}

fn open_fds() -> usize {
    fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

/// The soft limit on open files (`ulimit -n`): each twin holds about three descriptors, so
/// this, not memory, is what a common default of 1024 runs out of first.
fn fd_limit() -> String {
    fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            limits
                .lines()
                .find(|line| line.starts_with("Max open files"))
                .and_then(|line| line.split_whitespace().nth(3).map(str::to_string))
        })
        .unwrap_or_else(|| String::from("unknown"))
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

/// Latencies of one kind of operation.
struct Latencies {
    name: String,
    samples: Vec<Duration>,
    tried: usize,
    wall: Option<Duration>,
}

impl Latencies {
    fn new(name: &str, tried: usize) -> Latencies {
        Latencies {
            name: name.to_string(),
            samples: Vec::new(),
            tried,
            wall: None,
        }
    }

    fn markdown(&self) -> String {
        let mut sorted = self.samples.clone();
        sorted.sort();
        let at = |q: f64| -> String {
            if sorted.is_empty() {
                return String::from("–");
            }
            let index = ((sorted.len() - 1) as f64 * q).round() as usize;
            ms(sorted[index])
        };
        format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            self.name,
            self.tried,
            sorted.len(),
            at(0.0),
            at(0.5),
            at(0.95),
            at(1.0),
            self.wall.map_or_else(String::new, ms)
        )
    }
}

// ---- smoke --------------------------------------------------------------------------------

/// A twin the smoke talks to.
#[derive(Clone)]
struct Target {
    name: String,
    platform: Platform,
    address: SocketAddr,
}

/// The generated inventory's secrets, read back from their files, and the SNMPv3 master
/// keys derived from them once, as a poller meeting many engines with one set of
/// credentials does (so the smoke measures the twins, not 1 MB of hashing per client).
#[derive(Clone)]
struct Secrets {
    admin: String,
    snmp_keys: MasterKeys,
}

impl Secrets {
    fn read(root: &Path) -> Secrets {
        let read =
            |name: &str| fs::read_to_string(root.join("secrets").join(name)).expect("secret");
        let snmp_keys = MasterKeys::new(
            snmp::auth_protocol(SnmpAuthProtocol::Sha256),
            read("snmp-auth").as_bytes(),
        )
        .and_then(|keys| {
            keys.with_privacy(
                snmp::priv_protocol(SnmpPrivProtocol::Aes),
                read("snmp-priv").as_bytes(),
            )
        })
        .expect("SNMP master keys");
        Secrets {
            admin: read("admin"),
            snmp_keys,
        }
    }
}

/// Run the operations all at once (`concurrent`) or one after the other, collecting each
/// one's latencies (three phases) or its failure.
async fn drive<F>(
    operations: Vec<F>,
    concurrent: bool,
) -> (Vec<[Duration; 3]>, Vec<String>, Duration)
where
    F: Future<Output = Result<[Duration; 3], String>> + Send + 'static,
{
    let batch = Instant::now();
    let mut results = Vec::new();
    if concurrent {
        let tasks: Vec<_> = operations.into_iter().map(tokio::spawn).collect();
        for task in tasks {
            results.push(task.await.expect("task"));
        }
    } else {
        for operation in operations {
            results.push(tokio::spawn(operation).await.expect("task"));
        }
    }
    let wall = batch.elapsed();
    let (mut ok, mut failures) = (Vec::new(), Vec::new());
    for result in results {
        match result {
            Ok(phases) => ok.push(phases),
            Err(failure) => failures.push(failure),
        }
    }
    (ok, failures, wall)
}

/// Rows for one batch: the three phases' latencies, the batch's wall time on the last.
fn rows(names: [&str; 3], tried: usize, ok: &[[Duration; 3]], wall: Duration) -> Vec<Latencies> {
    let mut rows: Vec<Latencies> = names
        .iter()
        .enumerate()
        .map(|(phase, name)| {
            let mut row = Latencies::new(name, tried);
            row.samples = ok.iter().map(|phases| phases[phase]).collect();
            row
        })
        .collect();
    rows[2].wall = Some(wall);
    rows
}

/// Connect, authenticate and run one command on every target (`show version` on IOS,
/// `uname -a` on Linux), checking the answer. `how` names the batch in the rows.
async fn ssh_smoke(
    targets: &[Target],
    secrets: &Secrets,
    known_hosts: &Path,
    concurrent: bool,
    how: &str,
) -> (Vec<Latencies>, Vec<String>) {
    let operations: Vec<_> = targets
        .iter()
        .cloned()
        .map(|target| {
            let options = SshOptions {
                username: String::from("netadmin"),
                credential: Credential::Password(Secret::new(&secrets.admin)),
                host_keys: HostKeyPolicy {
                    // One file per twin: concurrent first contacts never write the same file.
                    known_hosts: known_hosts.join(&target.name),
                    accept_new: true,
                },
                connect_timeout: Duration::from_secs(10),
                auth_timeout: Duration::from_secs(10),
                keepalive: None,
                lab_mode: true,
                algorithms: Default::default(),
            };
            async move {
                let (command, expect) = match target.platform {
                    Platform::Linux => ("uname -a", "Linux"),
                    _ => ("show version", "Cisco IOS"),
                };
                let started = Instant::now();
                let session = SshSession::connect(&target.name, target.address, &options)
                    .await
                    .map_err(|e| format!("ssh {}: {e}", target.name))?;
                let connected = started.elapsed();
                let result = session
                    .exec(command, Duration::from_secs(10))
                    .await
                    .map_err(|e| format!("ssh {} `{command}`: {e}", target.name))?;
                let total = started.elapsed();
                session.close().await;
                let stdout = String::from_utf8_lossy(&result.stdout);
                if result.status != Some(0) || !stdout.contains(expect) {
                    return Err(format!(
                        "ssh {} `{command}`: status {:?}, output {:?}",
                        target.name,
                        result.status,
                        stdout.chars().take(80).collect::<String>()
                    ));
                }
                Ok([connected, total - connected, total])
            }
        })
        .collect();
    let (ok, failures, wall) = drive(operations, concurrent).await;
    let names = [
        format!("SSH connect + authenticate, {how}"),
        format!("SSH `show version` / `uname -a` (exec), {how}"),
        format!("SSH connect to answer, {how}"),
    ];
    let names = [names[0].as_str(), names[1].as_str(), names[2].as_str()];
    (rows(names, targets.len(), &ok, wall), failures)
}

/// An SNMPv3 authPriv GET of sysName on every target, each with a client of its own (as a
/// poller meeting the device for the first time: engine discovery included), checking the
/// answer is the asset's name.
async fn snmp_smoke(
    targets: &[Target],
    secrets: &Secrets,
    concurrent: bool,
    how: &str,
) -> (Vec<Latencies>, Vec<String>) {
    let operations: Vec<_> = targets
        .iter()
        .cloned()
        .map(|target| {
            let keys = secrets.snmp_keys.clone();
            async move {
                let started = Instant::now();
                let usm = UsmConfig::new("netparc")
                    .with_master_keys(keys)
                    .map_err(|e| format!("snmp {}: {e}", target.name))?;
                let client = Client::builder(target.address, usm)
                    .request_timeout(Duration::from_secs(2))
                    .retry(Retry::none())
                    .connect()
                    .await
                    .map_err(|e| format!("snmp {}: {e}", target.name))?;
                let ready = started.elapsed();
                let oid = async_snmp::Oid::from_slice(&[1, 3, 6, 1, 2, 1, 1, 5, 0]);
                let response = client
                    .get(&oid)
                    .await
                    .map_err(|e| format!("snmp {} get sysName: {e}", target.name))?;
                let total = started.elapsed();
                let name = match response.single().map(|vb| vb.value.clone()) {
                    Some(Value::OctetString(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
                    other => return Err(format!("snmp {}: sysName is {other:?}", target.name)),
                };
                if name != target.name {
                    return Err(format!("snmp {}: sysName is {name:?}", target.name));
                }
                Ok([ready, total - ready, total])
            }
        })
        .collect();
    let (ok, failures, wall) = drive(operations, concurrent).await;
    let names = [
        format!("SNMP client setup, {how}"),
        format!("SNMP GET sysName (engine discovery + GET), {how}"),
        format!("SNMP setup to answer, {how}"),
    ];
    let names = [names[0].as_str(), names[1].as_str(), names[2].as_str()];
    (rows(names, targets.len(), &ok, wall), failures)
}

// ---- where the start time goes ------------------------------------------------------------

/// Time the steps `Lab::start` takes, one at a time, through the same public functions, and
/// beside them the cheaper variants a change in src/ could use. Rows are Markdown.
async fn breakdown(
    inventory: &Inventory,
    resolver: &netparc::secrets::SecretResolver,
    options: &LabOptions,
    scratch: &Path,
) -> String {
    let mut table = String::from(
        "| step | total | per item | items | heap kept |\n|---|---:|---:|---:|---:|\n",
    );
    // `kept`: heap bytes before the step, when what it builds is kept (the lab keeps it).
    let mut row = |name: &str, took: Duration, count: usize, kept: Option<usize>| {
        let _ = writeln!(
            table,
            "| {name} | {} | {:.1} µs | {count} | {} |",
            ms(took),
            took.as_secs_f64() * 1e6 / count.max(1) as f64,
            kept.map_or_else(String::new, |before| heap_mb(before, heap()))
        );
    };

    let (started, kept) = (Instant::now(), heap());
    let addresses = netparc::lab::address::assign(
        &options.salt,
        inventory.assets.iter().map(|a| a.value.name.clone()),
    );
    row(
        "addresses (`address::assign`)",
        started.elapsed(),
        addresses.len(),
        Some(kept),
    );

    let (started, kept) = (Instant::now(), heap());
    let specs: Vec<_> = inventory
        .assets
        .iter()
        .map(|asset| {
            build::spec_for(inventory, asset, resolver, addresses[&asset.value.name]).expect("spec")
        })
        .collect();
    row(
        "specs (`build::spec_for`, secrets resolved)",
        started.elapsed(),
        specs.len(),
        Some(kept),
    );

    let (started, kept) = (Instant::now(), heap());
    let devices: Vec<Arc<netparc::lab::device::Device>> = specs
        .into_iter()
        .map(|spec| {
            let state = platforms::state_for(&spec);
            Arc::new(netparc::lab::device::Device::new(spec, state))
        })
        .collect();
    row(
        "factory states (`platforms::state_for`)",
        started.elapsed(),
        devices.len(),
        Some(kept),
    );

    let with_cli: Vec<_> = devices
        .iter()
        .filter(|d| platforms::sessions_for(d.spec.platform).is_some())
        .cloned()
        .collect();
    let (started, kept) = (Instant::now(), heap());
    let keys: Vec<PrivateKey> = with_cli
        .iter()
        .map(|_| PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519).expect("key"))
        .collect();
    row(
        "host keys: generate Ed25519",
        started.elapsed(),
        keys.len(),
        Some(kept),
    );

    let texts: Vec<String> = keys
        .iter()
        .map(|k| {
            k.to_openssh(russh::keys::ssh_key::LineEnding::LF)
                .expect("openssh")
                .to_string()
        })
        .collect();
    let synced = scratch.join("breakdown-keys-synced");
    let started = Instant::now();
    netparc::fsutil::create_private_dir(&synced).expect("mkdir");
    for (device, text) in with_cli.iter().zip(&texts) {
        netparc::fsutil::write_file(
            &synced.join(format!("{}.key", device.spec.name)),
            text.as_bytes(),
            0o600,
        )
        .expect("write key");
    }
    row(
        "host keys: write (`fsutil::write_file`: atomic, fsync)",
        started.elapsed(),
        texts.len(),
        None,
    );
    let plain = scratch.join("breakdown-keys-plain");
    let started = Instant::now();
    fs::create_dir_all(&plain).expect("mkdir");
    for (device, text) in with_cli.iter().zip(&texts) {
        use std::io::Write as _;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(plain.join(format!("{}.key", device.spec.name)))
            .expect("open");
        file.write_all(text.as_bytes()).expect("write");
    }
    row(
        "host keys: write, 0600, no fsync (variant)",
        started.elapsed(),
        texts.len(),
        None,
    );
    let started = Instant::now();
    for device in &with_cli {
        let text =
            fs::read_to_string(synced.join(format!("{}.key", device.spec.name))).expect("read");
        PrivateKey::from_openssh(&text).expect("parse");
    }
    row(
        "host keys: read back (`PrivateKey::from_openssh`)",
        started.elapsed(),
        with_cli.len(),
        None,
    );

    let (started, kept) = (Instant::now(), heap());
    let mut listeners = Vec::new();
    for (device, key) in with_cli.iter().zip(keys) {
        let twin = ssh::SshTwin {
            device: device.clone(),
            host_key: Arc::new(std::sync::Mutex::new(key)),
            sessions: platforms::sessions_for(device.spec.platform).expect("sessions"),
        };
        let (_, serve) = ssh::bind(twin, SocketAddr::new(device.spec.address, 0))
            .await
            .expect("ssh bind");
        // Never polled: the listener stays bound and idle until dropped.
        listeners.push(Box::pin(serve));
    }
    row(
        "SSH listeners (`ssh::bind`)",
        started.elapsed(),
        listeners.len(),
        Some(kept),
    );

    let with_snmp: Vec<_> = devices.iter().filter(|d| d.spec.snmp.is_some()).collect();
    let (started, kept) = (Instant::now(), heap());
    let mut agents = Vec::new();
    for device in &with_snmp {
        let agent =
            snmp::SnmpAgent::bind(Arc::clone(device), SocketAddr::new(device.spec.address, 0))
                .await
                .expect("snmp bind");
        agents.push(agent);
    }
    row(
        "SNMP agents (`SnmpAgent::bind`: master keys, engine, sockets)",
        started.elapsed(),
        agents.len(),
        Some(kept),
    );

    // The expensive part of key setup depends on the passwords alone (RFC 3414
    // password-to-key: 1 MB hashed per key); src/lab/snmp derives it once per distinct
    // credentials and shares it, so it is paid once per lab, not per twin.
    let access = with_snmp.iter().find_map(|d| match &d.spec.snmp {
        Some(netparc::lab::device::SnmpAccess::V3 {
            auth,
            auth_password,
            privacy,
            priv_password,
            ..
        }) => Some((
            *auth,
            auth_password.clone(),
            *privacy,
            priv_password.clone(),
        )),
        _ => None,
    });
    if let Some((auth, auth_password, privacy, priv_password)) = access {
        let started = Instant::now();
        let keys = MasterKeys::new(snmp::auth_protocol(auth), auth_password.as_bytes())
            .and_then(|k| k.with_privacy(snmp::priv_protocol(privacy), priv_password.as_bytes()))
            .expect("master keys");
        std::hint::black_box(keys);
        row(
            "SNMP: one master-key derivation (auth + priv; once per lab)",
            started.elapsed(),
            1,
            None,
        );
    }
    // Everything built above stays alive to here, as in a running lab, so each step's
    // "heap kept" is what the lab holds for it.
    drop((listeners, agents, devices));
    table
}
