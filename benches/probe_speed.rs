//! Probe speed, each figure against its peer in the same run (ratios, not absolute claims):
//!
//! 1. **Ping sweep** of N loopback targets (`NETPARC_PROBE_TARGETS`, default 1,000;
//!    127.124.0.0/16, all answering) with netparc's ICMP probe (one echo each, timeout 1 s,
//!    one shared socket) vs `fping -i 0 -r 0 -t 1000 -q -f LIST` (its fastest pacing, as
//!    root) on the same list. Each side runs `NETPARC_PROBE_RUNS` times (default 5) after
//!    one warm-up; min and median wall time are reported. Every target must answer.
//! 2. **Half silent**: in a private network namespace (entered by a thread of its own, as
//!    root) N/2 addresses exist on `lo` and answer; the other N/2 lie in 127.126.0.0/16,
//!    routed to `lo` where no address exists, so echoes leave and are never answered (a
//!    `blackhole` route would fail at `sendto` with EINVAL and measure nothing). A sweep of
//!    all N must take about one timeout (1 s), not many; fping on the same list beside it.
//! 3. **SNMP system-group poll** of N twin agents (an inventory of N servers generated in a
//!    temporary folder, SNMP v2c, the lab started in-process): netparc's
//!    `SnmpProbe::poll_system` (6 objects in one GET per device, all devices at once) vs a
//!    bare async-snmp loop doing the same GET per device at once through one shared socket
//!    (what the tool adds; a variant with a socket per device is shown for information), vs
//!    pysnmp 7 (asyncio, all devices gathered; its own timing, imports excluded) and vs
//!    net-snmp's `snmpget` run once per device, one after the other. Every answer's sysName
//!    is checked.
//!
//! Nothing is asserted on time; a probe that fails makes the run exit 1. Figures print as
//! Markdown for docs/benchmarks.md. Run with `benches/probe_speed.sh` (installs fping and
//! pysnmp, builds in release).

#[path = "common/knobs.rs"]
mod knobs;
use async_snmp::{Auth, Client, Oid, Retry};
use netparc::check::open_resolver;
use netparc::inventory::{Inventory, Selector};
use netparc::lab::{Lab, LabOptions, netns};
use netparc::probe::icmp::{IcmpProbe, PingOptions};
use netparc::probe::snmp::{SnmpCredentials, SnmpProbe, SnmpSettings};
use netparc::secrets::Secret;
use std::fmt::Write as _;
use std::fs;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const SYSTEM_GROUP: [[u32; 9]; 6] = [
    [1, 3, 6, 1, 2, 1, 1, 1, 0],
    [1, 3, 6, 1, 2, 1, 1, 2, 0],
    [1, 3, 6, 1, 2, 1, 1, 3, 0],
    [1, 3, 6, 1, 2, 1, 1, 4, 0],
    [1, 3, 6, 1, 2, 1, 1, 5, 0],
    [1, 3, 6, 1, 2, 1, 1, 6, 0],
];

use knobs::positive as number;

struct Timing {
    min: Duration,
    median: Duration,
}

fn timing(mut samples: Vec<Duration>) -> Timing {
    samples.sort();
    Timing {
        min: samples[0],
        median: samples[samples.len() / 2],
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let targets = number("NETPARC_PROBE_TARGETS", 1_000).clamp(2, 60_000);
    let runs = number("NETPARC_PROBE_RUNS", 5);
    let mut failed = false;
    let mut out = String::new();
    let load = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let _ = writeln!(
        out,
        "## Probes ({targets} targets, {runs} runs each; load average {})\n",
        load.split_whitespace().next().unwrap_or("?")
    );

    // NETPARC_PROBE_PARTS picks parts (`1,3`); all by default.
    let parts = std::env::var("NETPARC_PROBE_PARTS").unwrap_or_else(|_| String::from("1,2,3"));
    let part = |n: &str| parts.split(',').any(|p| p.trim() == n);

    // NETPARC_PROBE_WORKERS: Tokio worker threads (default 2, the cores of the reference
    // machine).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(number("NETPARC_PROBE_WORKERS", 2))
        .enable_all()
        .build()
        .expect("runtime");
    if part("1") {
        failed |= runtime.block_on(ping_sweep(targets, runs, &mut out));
    }
    // Part 2 on a thread of its own (a namespace belongs to the thread that enters it),
    // after part 1 so the two do not share the cores.
    let silent = part("2").then(|| std::thread::spawn(move || half_silent(targets)));
    match silent.map(|thread| thread.join()) {
        None => {}
        Some(Ok(Ok(text))) => out.push_str(&text),
        Some(Ok(Err(error))) => {
            failed = true;
            let _ = writeln!(out, "half-silent sweep broken: {error}\n");
        }
        Some(Err(_)) => failed = true,
    }
    if part("3") {
        failed |= runtime.block_on(snmp_poll(targets, runs, &mut out));
    }
    println!("{out}");
    if failed {
        std::process::exit(1);
    }
}

/// Run fping on a list file; (wall time, exit code).
fn fping(list: &Path) -> Option<(Duration, Option<i32>)> {
    let started = Instant::now();
    let status = Command::new("fping")
        .args(["-i", "0", "-r", "0", "-t", "1000", "-q", "-f"])
        .arg(list)
        .status()
        .ok()?;
    Some((started.elapsed(), status.code()))
}

async fn sweep(probe: &IcmpProbe, targets: &[IpAddr]) -> (Duration, usize) {
    let started = Instant::now();
    let answered = match probe.sweep(targets).await {
        Ok(reports) => reports.iter().filter(|r| r.reachable()).count(),
        Err(_) => 0,
    };
    (started.elapsed(), answered)
}

async fn ping_sweep(n: usize, runs: usize, out: &mut String) -> bool {
    let targets: Vec<IpAddr> = (0..n)
        .map(|i| {
            IpAddr::V4(Ipv4Addr::new(
                127,
                124,
                (i / 250) as u8,
                (i % 250 + 1) as u8,
            ))
        })
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let list = dir.path().join("targets.txt");
    let text: String = targets.iter().map(|t| format!("{t}\n")).collect();
    fs::write(&list, text).expect("list");
    let probe = IcmpProbe::new(PingOptions {
        count: 1,
        interval: Duration::ZERO,
        timeout: Duration::from_secs(1),
    });
    if let Err(error) = probe.ready(targets[0]).await {
        let _ = writeln!(out, "ping sweep broken: {error}\n");
        return true;
    }
    let mut failed = false;
    let _ = sweep(&probe, &targets).await; // warm-up
    let mut ours = Vec::new();
    for _ in 0..runs {
        let (elapsed, answered) = sweep(&probe, &targets).await;
        if answered != n {
            failed = true;
            let _ = writeln!(out, "netparc sweep: only {answered} of {n} answered");
        }
        ours.push(elapsed);
    }
    let mut theirs = Vec::new();
    let _ = fping(&list); // warm-up
    for _ in 0..runs {
        match fping(&list) {
            Some((elapsed, Some(0))) => theirs.push(elapsed),
            Some((_, code)) => {
                failed = true;
                let _ = writeln!(out, "fping exited {code:?}: not every target answered");
            }
            None => {
                failed = true;
                let _ = writeln!(out, "fping is not installed (apt-get install fping)");
                break;
            }
        }
    }
    let ours = timing(ours);
    let _ = writeln!(
        out,
        "### 1. Ping sweep, {n} loopback targets, 1 echo each\n"
    );
    let _ = writeln!(out, "| tool | min | median | ratio (fping median / ours) |");
    let _ = writeln!(out, "|---|---|---|---|");
    let _ = writeln!(
        out,
        "| netparc (surge-ping, one socket) | {} | {} | |",
        ms(ours.min),
        ms(ours.median)
    );
    if !theirs.is_empty() {
        let theirs = timing(theirs);
        let _ = writeln!(
            out,
            "| `fping -i 0 -r 0 -t 1000 -q` | {} | {} | **{:.1}x** |",
            ms(theirs.min),
            ms(theirs.median),
            theirs.median.as_secs_f64() / ours.median.as_secs_f64()
        );
    }
    out.push('\n');
    failed
}

/// Part 2, on a thread of its own inside a private network namespace.
fn half_silent(n: usize) -> Result<String, String> {
    netns::enter_private_namespace().map_err(|e| e.to_string())?;
    let half = n / 2;
    let answering: Vec<Ipv4Addr> = (0..half)
        .map(|i| Ipv4Addr::new(127, 125, (i / 250) as u8, (i % 250 + 1) as u8))
        .collect();
    let silent: Vec<Ipv4Addr> = (0..n - half)
        .map(|i| Ipv4Addr::new(127, 126, (i / 250) as u8, (i % 250 + 1) as u8))
        .collect();
    // One `ip -batch` for every address: a process per address would take seconds.
    let mut batch: String = answering
        .iter()
        .map(|a| format!("addr add {a}/32 dev lo\n"))
        .collect();
    batch.push_str("route add 127.126.0.0/16 dev lo\n");
    let mut child = Command::new("ip")
        .args(["-batch", "-"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("ip: {e}"))?;
    {
        use std::io::Write;
        let stdin = child.stdin.as_mut().ok_or("ip: no stdin")?;
        stdin
            .write_all(batch.as_bytes())
            .map_err(|e| format!("ip: {e}"))?;
    }
    let status = child.wait().map_err(|e| format!("ip: {e}"))?;
    if !status.success() {
        return Err(format!("ip -batch failed: {status}"));
    }
    // Interleaved, as a real fleet would be.
    let targets: Vec<IpAddr> = answering
        .iter()
        .zip(&silent)
        .flat_map(|(a, s)| [IpAddr::V4(*a), IpAddr::V4(*s)])
        .collect();
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let list = dir.path().join("targets.txt");
    let text: String = targets.iter().map(|t| format!("{t}\n")).collect();
    fs::write(&list, text).map_err(|e| e.to_string())?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### 2. Sweep where half never answers ({half} answering, {} silent, private netns)\n",
        n - half
    );
    let _ = writeln!(out, "| tool | settings | wall time | answered |");
    let _ = writeln!(out, "|---|---|---|---|");
    for (count, interval) in [(1u16, 0u64), (3, 100)] {
        let probe = IcmpProbe::new(PingOptions {
            count,
            interval: Duration::from_millis(interval),
            timeout: Duration::from_secs(1),
        });
        let (elapsed, answered) = runtime.block_on(sweep(&probe, &targets));
        if answered != half {
            return Err(format!("{answered} answered, {half} expected"));
        }
        let _ = writeln!(
            out,
            "| netparc | {count} echo(es), {interval} ms apart, timeout 1 s | {} | {answered} |",
            ms(elapsed)
        );
    }
    if let Some((elapsed, code)) = fping(&list) {
        let _ = writeln!(
            out,
            "| `fping -i 0 -r 0 -t 1000 -q` | 1 echo, no retry | {} | exit {} (1: some unreachable) |",
            ms(elapsed),
            code.unwrap_or(-1)
        );
    }
    out.push('\n');
    Ok(out)
}

const COMMUNITY: &str = "Bench-Comm-7f3Q9xLp2Wz8";

/// An inventory of `n` servers with an SNMP v2c profile, in `root`.
fn generate(root: &Path, n: usize) {
    let write = |relative: &str, text: &str| {
        let path = root.join(relative);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(&path, text).expect("write");
    };
    write("netparc.yml", "name: probe-bench\n");
    write(
        "plan/hq.yml",
        "site: hq\nname: Bench\nvlans:\n  - id: 100\n    name: servers\n    purpose: servers\n    subnets:\n      - prefix: 10.1.0.0/16\n        gateway: 10.1.0.1\n",
    );
    write(
        "defaults.yml",
        "snmp:\n  version: v2c\n  community: file:secrets/community\n  contact: bench\n  location: bench\n",
    );
    write("secrets/community", COMMUNITY);
    fs::set_permissions(
        root.join("secrets/community"),
        fs::Permissions::from_mode(0o600),
    )
    .expect("chmod");
    let mut assets = String::new();
    for i in 0..n {
        let _ = writeln!(
            assets,
            "- name: srv-{i:05}\n  kind: server\n  site: hq\n  address: 10.1.{}.{}",
            i / 250,
            i % 250 + 2
        );
    }
    write("assets/servers.yml", &assets);
}

/// The bare async-snmp loop: the same GET per device, all at once, through one shared
/// socket (`transport`, kept across runs as netparc keeps its own, as the crate documents
/// for many devices) or a socket per device (`connect()` each, when None).
async fn bare_poll(
    targets: &[(String, SocketAddr)],
    transport: Option<&async_snmp::UdpTransport>,
) -> (Duration, usize) {
    let oids: Vec<Oid> = SYSTEM_GROUP.iter().map(|a| Oid::from_slice(a)).collect();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (name, address) in targets.iter().cloned() {
        let oids = oids.clone();
        let transport = transport.cloned();
        tasks.spawn(async move {
            let builder = Client::builder(address, Auth::v2c(COMMUNITY))
                .request_timeout(Duration::from_secs(2))
                .retry(Retry::fixed(1, Duration::ZERO).ok()?);
            let client = match &transport {
                Some(transport) => builder.build_with(transport).await.ok()?,
                None => builder.connect().await.ok()?,
            };
            let response = client.get_many(&oids).await.ok()?;
            let sys_name = response.varbinds.get(4)?.value.as_str()?.to_string();
            (sys_name == name).then_some(())
        });
    }
    let mut ok = 0;
    while let Some(done) = tasks.join_next().await {
        if let Ok(Some(())) = done {
            ok += 1;
        }
    }
    (started.elapsed(), ok)
}

async fn netparc_poll(
    probe: &SnmpProbe,
    settings: &SnmpSettings,
    targets: &[(String, SocketAddr)],
) -> (Duration, usize) {
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (name, address) in targets.iter().cloned() {
        let probe = probe.clone();
        let settings = settings.clone();
        tasks.spawn(async move {
            let facts = probe.poll_system(address, &settings).await.ok()?;
            (facts.name == name).then_some(())
        });
    }
    let mut ok = 0;
    while let Some(done) = tasks.join_next().await {
        if let Ok(Some(())) = done {
            ok += 1;
        }
    }
    (started.elapsed(), ok)
}

/// Run a peer's process on a blocking thread: the runtime's workers keep serving the twin
/// agents meanwhile.
async fn blocking(mut command: Command) -> std::io::Result<std::process::Output> {
    tokio::task::spawn_blocking(move || command.output())
        .await
        .map_err(std::io::Error::other)?
}

async fn snmp_poll(n: usize, runs: usize, out: &mut String) -> bool {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).expect("chmod");
    let root = dir.path().join("inventory");
    generate(&root, n);
    let loaded = Inventory::load(&root);
    let Some(inventory) = loaded.inventory else {
        let _ = writeln!(out, "SNMP bench broken: {}", loaded.diagnostics);
        return true;
    };
    let resolver = open_resolver(&inventory);
    let options = LabOptions {
        ssh_port: 0,
        snmp_port: 0,
        state_dir: dir.path().join("state/lab"),
        salt: format!("probe-bench-{}", std::process::id()),
        selector: Selector::all(),
        isolated: false,
    };
    let lab = match Lab::start(&inventory, &resolver, &options).await {
        Ok(lab) => lab,
        Err(error) => {
            let _ = writeln!(out, "SNMP bench broken: the lab does not start: {error}");
            return true;
        }
    };
    let targets: Vec<(String, SocketAddr)> = lab
        .twins()
        .iter()
        .filter_map(|t| Some((t.device.spec.name.clone(), t.snmp?)))
        .collect();
    let settings = SnmpSettings {
        credentials: SnmpCredentials::V2c {
            community: Secret::new(COMMUNITY),
        },
        timeout: Duration::from_secs(2),
        retries: 1,
    };
    let probe = SnmpProbe::new();
    let failed = std::cell::Cell::new(false);
    let total = targets.len();
    let check = |what: &str, ok: usize, out: &mut String| {
        if ok != total {
            failed.set(true);
            let _ = writeln!(out, "{what}: {ok} of {total} answered correctly");
        }
    };
    let _ = netparc_poll(&probe, &settings, &targets).await; // warm-up
    let shared = async_snmp::UdpTransport::builder()
        .bind("0.0.0.0:0")
        .recv_buffer_size(8 * 1024 * 1024)
        .warn_on_source_mismatch(false)
        .build()
        .await
        .ok();
    let (mut ours, mut bare) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let (elapsed, ok) = netparc_poll(&probe, &settings, &targets).await;
        check("netparc", ok, out);
        ours.push(elapsed);
        let (elapsed, ok) = match &shared {
            Some(transport) => bare_poll(&targets, Some(transport)).await,
            None => (Duration::ZERO, 0),
        };
        check("bare async-snmp", ok, out);
        bare.push(elapsed);
    }
    // Informational, once (each twin keeps a relay socket per client port for two minutes,
    // so every extra run costs a thousand descriptors): a socket per device loses answers
    // to ephemeral ports shared under SO_REUSEADDR; see src/probe/snmp.rs.
    let (bare_connect, connect_ok) = bare_poll(&targets, None).await;

    // The peers read the targets from a file; the lab keeps serving on this runtime while
    // they run (their processes are awaited asynchronously).
    let list = dir.path().join("snmp-targets.txt");
    let text: String = targets
        .iter()
        .map(|(name, a)| format!("{name} {} {}\n", a.ip(), a.port()))
        .collect();
    fs::write(&list, text).expect("list");
    let python = std::env::var("NETPARC_BENCH_PYTHON")
        .unwrap_or_else(|_| String::from("benches/.venv/bin/python"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/snmp_pysnmp.py");
    let mut pysnmp = None;
    let mut pysnmp_ok = total;
    for _ in 0..runs.min(3) {
        let mut command = Command::new(&python);
        command
            .arg(&script)
            .arg(&list)
            .env("SNMP_COMMUNITY", COMMUNITY);
        match blocking(command).await {
            Ok(o) if o.status.success() => {
                let text = String::from_utf8_lossy(&o.stdout);
                // "ok N seconds S"
                let fields: Vec<&str> = text.split_whitespace().collect();
                let ok: usize = fields.get(1).and_then(|v| v.parse().ok()).unwrap_or(0);
                let secs: f64 = fields.get(3).and_then(|v| v.parse().ok()).unwrap_or(0.0);
                // The peer's own timeouts are its result, reported in the table; only a
                // peer that barely works makes the figures meaningless.
                pysnmp_ok = pysnmp_ok.min(ok);
                if ok < total * 9 / 10 {
                    check("pysnmp", ok, out);
                }
                let elapsed = Duration::from_secs_f64(secs);
                pysnmp = Some(pysnmp.map_or(elapsed, |d: Duration| d.min(elapsed)));
            }
            Ok(o) => {
                failed.set(true);
                let _ = writeln!(
                    out,
                    "pysnmp failed: {}",
                    String::from_utf8_lossy(&o.stderr)
                        .lines()
                        .last()
                        .unwrap_or("")
                );
                break;
            }
            Err(error) => {
                failed.set(true);
                let _ = writeln!(out, "pysnmp not runnable ({python}): {error}");
                break;
            }
        }
    }
    let started = Instant::now();
    let mut snmpget_ok = 0;
    let mut snmpget_error: Option<String> = None;
    for (name, address) in &targets {
        let mut command = Command::new("snmpget");
        command.args(["-v2c", "-c", COMMUNITY, "-r", "1", "-t", "2", "-Oqv"]);
        command.arg(format!("{}:{}", address.ip(), address.port()));
        for oid in SYSTEM_GROUP {
            command.arg(
                oid.iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join("."),
            );
        }
        match blocking(command).await {
            Ok(o)
                if o.status.success()
                    && String::from_utf8_lossy(&o.stdout).contains(name.as_str()) =>
            {
                snmpget_ok += 1;
            }
            Ok(o) => {
                if snmpget_error.is_none() {
                    snmpget_error = Some(String::from_utf8_lossy(&o.stderr).trim().to_string());
                }
            }
            Err(error) => {
                if snmpget_error.is_none() {
                    snmpget_error = Some(error.to_string());
                }
            }
        }
    }
    let snmpget = started.elapsed();
    check("snmpget", snmpget_ok, out);
    if let Some(error) = snmpget_error {
        let _ = writeln!(out, "first snmpget failure: {error}");
    }
    lab.stop().await;

    let ours = timing(ours);
    let bare = timing(bare);
    let ratio = |d: Duration| d.as_secs_f64() / ours.median.as_secs_f64();
    let _ = writeln!(
        out,
        "### 3. SNMP v2c system group (6 objects, one GET) from {} twin agents\n",
        targets.len()
    );
    let _ = writeln!(out, "| poller | min | median | vs netparc |");
    let _ = writeln!(out, "|---|---|---|---|");
    let _ = writeln!(
        out,
        "| netparc `SnmpProbe::poll_system`, all at once | {} | {} | 1.0x |",
        ms(ours.min),
        ms(ours.median)
    );
    let _ = writeln!(
        out,
        "| bare async-snmp loop (client + get_many per device, one shared socket), all at once | {} | {} | {:.2}x |",
        ms(bare.min),
        ms(bare.median),
        ratio(bare.median)
    );
    let _ = writeln!(
        out,
        "| bare async-snmp, `connect()` per device (socket each), once — {connect_ok} of {} correct | {} | | {:.2}x |",
        targets.len(),
        ms(bare_connect),
        ratio(bare_connect)
    );
    if let Some(p) = pysnmp {
        let _ = writeln!(
            out,
            "| pysnmp 7 asyncio, gathered, 100 in flight (best of {}; worst run {pysnmp_ok} of {total} correct) | {} | | **{:.0}x slower** |",
            runs.min(3),
            ms(p),
            ratio(p)
        );
    }
    let _ = writeln!(
        out,
        "| net-snmp `snmpget`, one process per device | {} | | **{:.0}x slower** |",
        ms(snmpget),
        ratio(snmpget)
    );
    out.push('\n');
    failed.get()
}
