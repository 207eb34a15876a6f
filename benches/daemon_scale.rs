//! The daemon at scale: `netparc daemon` checking thousands of twins every 30 s (ping +
//! SNMP), its CPU and RSS, and the checks that started late; then the approach users run
//! today, blackbox_exporter (icmp) + snmp_exporter, probing the same twins at the same rate,
//! and the CPU each side spends per check.
//!
//! 1. An inventory of `NETPARC_SCALE_ASSETS` network devices (switches, access points, VPN
//!    gateways; SNMPv3 authPriv) is generated and its twins started by `netparc lab` — the
//!    release binary, in a process of its own, so the daemon's figures are its own.
//! 2. A copy of the inventory gives each asset its twin's loopback address as its own
//!    `address:`, so `netparc daemon` (not `--lab`) pings it and polls it on port 161 as
//!    it would a real device. Every destination is a 127.x twin.
//! 3. The daemon runs for a warm-up (`NETPARC_SCALE_WARMUP`, the first round and the
//!    start), then a measured window (`NETPARC_SCALE_DURATION`): CPU time from
//!    `/proc/<pid>/stat`, RSS from `/proc/<pid>/status` every second, and from `/metrics`
//!    the checks started, the late ones (`netparc_checks_late_total`: started more than 1 s
//!    after their due time) and the batches.
//! 4. blackbox_exporter and snmp_exporter (Debian packages, `benches/daemon_scale.sh`
//!    installs them) listen on 127.0.0.1; a driver scrapes, like Prometheus would, for each
//!    twin every interval `/probe?module=icmp` and `/snmp?module=netparc` (the same objects
//!    as the daemon's poll: system group, seven interface columns, entPhysicalSerialNum),
//!    spread over the interval, with bounded concurrency over keep-alive connections. The
//!    exporters' CPU time over the same window, per check, against the daemon's.
//!
//! Run with `benches/daemon_scale.sh` (root: ports 161/22 for the twins, raw ICMP for
//! blackbox_exporter; it raises `ulimit -n`). Knobs (environment): NETPARC_SCALE_ASSETS
//! (10,000), NETPARC_SCALE_INTERVAL (s, 30), NETPARC_SCALE_WARMUP (s, 60),
//! NETPARC_SCALE_DURATION (s, 300: one write-back of every verified state falls in it), NETPARC_SCALE_CONCURRENCY (the daemon's
//! `monitoring.concurrency`, 512), NETPARC_SCALE_EXPORTERS (0 skips them),
//! NETPARC_SCALE_DRIVER_CONCURRENCY (scrapes in flight, 256).

#[path = "common/inventory.rs"]
mod inventory;

#[path = "common/knobs.rs"]
mod knobs;
use inventory::{Mix, generate};
use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader as StdBufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const NETPARC_BIN: &str = env!("CARGO_BIN_EXE_netparc");
const DAEMON_LISTEN: &str = "127.0.0.1:19180";
const BLACKBOX_LISTEN: &str = "127.0.0.1:19115";
const SNMP_EXPORTER_LISTEN: &str = "127.0.0.1:19116";

struct Config {
    assets: usize,
    interval: u64,
    warmup: u64,
    duration: u64,
    concurrency: usize,
    exporters: bool,
    driver_concurrency: usize,
}

impl Config {
    fn from_env() -> Config {
        let number = |name: &str, default: usize| knobs::count(name).unwrap_or(default);
        Config {
            assets: number("NETPARC_SCALE_ASSETS", 10_000).max(20),
            interval: number("NETPARC_SCALE_INTERVAL", 30).max(1) as u64,
            warmup: number("NETPARC_SCALE_WARMUP", 60) as u64,
            duration: number("NETPARC_SCALE_DURATION", 300).max(10) as u64,
            concurrency: number("NETPARC_SCALE_CONCURRENCY", 512).max(1),
            exporters: number("NETPARC_SCALE_EXPORTERS", 1) != 0,
            driver_concurrency: number("NETPARC_SCALE_DRIVER_CONCURRENCY", 256).max(1),
        }
    }
}

/// A twin as `netparc lab` lists it.
struct Twin {
    name: String,
    real: String,
    address: String,
    snmp: Option<String>,
}

/// A child process stopped (SIGTERM, then SIGKILL) when dropped.
struct Process {
    child: Child,
    what: &'static str,
}

impl Process {
    fn pid(&self) -> u32 {
        self.child.id()
    }
    fn signal(&mut self, signal: i32, wait: Duration) {
        let pid = self.child.id() as i32;
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(pid, signal) };
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        eprintln!("{} did not stop in time: killed", self.what);
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.signal(libc::SIGTERM, Duration::from_secs(20));
        }
    }
}

/// CPU time (user + system) of a process, seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command (which may hold spaces) start at the closing parenthesis.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of stat(5): 12 and 13 after the command.
    (ticks(11) + ticks(12)) as f64 / clock_ticks()
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

/// (VmRSS, VmHWM) in KB.
fn memory(pid: u32) -> (u64, u64) {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn main() {
    let config = Config::from_env();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(&config));
}

async fn run(config: &Config) {
    let dir = tempfile::Builder::new()
        .prefix("netparc-daemon-scale-")
        .tempdir()
        .expect("temporary folder");
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).expect("chmod");
    let lab_root = dir.path().join("lab");
    // Network devices only: every asset is pinged and polled over SNMP.
    let switches = config.assets * 65 / 100;
    let vpn_gateways = (config.assets * 5 / 100).max(1);
    let mix = Mix {
        name: "daemon-scale",
        description: "generated by benches/daemon_scale.rs",
        switches,
        access_points: config.assets - switches - vpn_gateways,
        vpn_gateways,
        workstations: 0,
    };
    let generated = generate(&lab_root, &mix);
    println!(
        "generated {} assets: {} IOS switches, {} IOS access points, {} Linux VPN gateways; interval {} s, daemon concurrency {}",
        generated.total(),
        generated.switches,
        generated.access_points,
        generated.vpn_gateways,
        config.interval,
        config.concurrency,
    );

    // 1. The twins, in processes of their own: each twin holds about three file
    // descriptors, so the lab is split over enough `netparc lab` processes to stay under
    // `ulimit -n` (hard limit 20,000 here), each on its own copy of the inventory, with
    // `--limit` naming its assets. Twin addresses are assigned per lab from the selected
    // names: the split is adjusted until no two labs want the same address.
    let started = Instant::now();
    let names = asset_names(&lab_root);
    let parts = names.len().div_ceil(LAB_PART);
    let split = split_without_collisions(&names, parts);
    let mut labs = Vec::new();
    let mut twins = Vec::new();
    for (part, selected) in split.iter().enumerate() {
        let root = if part == 0 {
            lab_root.clone()
        } else {
            let root = dir.path().join(format!("lab-{part}"));
            copy_tree(&lab_root, &root);
            root
        };
        let mut child = Command::new(NETPARC_BIN)
            .args(["lab", "-i"])
            .arg(&root)
            .arg("--limit")
            .arg(selected.join(","))
            .stdout(Stdio::piped())
            .stderr(Stdio::from(
                fs::File::create(dir.path().join(format!("lab-{part}.log"))).expect("log"),
            ))
            .spawn()
            .expect("netparc lab starts");
        let stdout = child.stdout.take().expect("stdout");
        labs.push(Process {
            child,
            what: "netparc lab",
        });
        twins.extend(read_twins(stdout));
    }
    if twins.len() != generated.total() {
        eprintln!(
            "benchmark broken: the labs listed {} twins of {} (see {}/lab-*.log)",
            twins.len(),
            generated.total(),
            dir.path().display()
        );
        std::process::exit(1);
    }
    let lab_start = started.elapsed();
    let lab_memory: u64 = labs.iter().map(|l| memory(l.pid()).0).sum();
    for twin in &twins {
        let ip: std::net::IpAddr = twin.address.parse().expect("twin address");
        assert!(ip.is_loopback(), "{} twin at {ip}: not loopback", twin.name);
        if let Some(snmp) = &twin.snmp
            && !snmp.ends_with(":161")
        {
            eprintln!(
                "benchmark broken: twin SNMP agents must listen on port 161 (run as root): {snmp}"
            );
            std::process::exit(1);
        }
    }
    let with_snmp = twins.iter().filter(|t| t.snmp.is_some()).count();
    println!(
        "lab: {} twins ({} with SNMP) in {} process(es), started in {:.1} s, {:.0} MB RSS (not the daemon's)",
        twins.len(),
        with_snmp,
        labs.len(),
        lab_start.as_secs_f64(),
        lab_memory as f64 / 1024.0
    );

    // 2. The daemon's inventory: the same, each asset at its twin's loopback address.
    let daemon_root = dir.path().join("daemon");
    copy_tree(&lab_root, &daemon_root);
    let by_real: BTreeMap<&str, &str> = twins
        .iter()
        .map(|t| (t.real.as_str(), t.address.as_str()))
        .collect();
    readdress(&daemon_root.join("assets"), &by_real);
    append(
        &daemon_root.join("netparc.yml"),
        &format!("monitoring:\n  concurrency: {}\n", config.concurrency),
    );
    append(
        &daemon_root.join("defaults.yml"),
        &format!(
            "monitoring:\n  interval: {}s\n  retry_interval: 10s\n",
            config.interval
        ),
    );

    // 3. The daemon.
    let daemon_log = dir.path().join("daemon.log");
    let mut daemon = Process {
        // `NETPARC_SCALE_DAEMON_BIN` runs another build as the daemon (one built with
        // `--features system-allocator`, to compare allocators' RSS on the same load).
        child: Command::new(
            std::env::var_os("NETPARC_SCALE_DAEMON_BIN").unwrap_or_else(|| NETPARC_BIN.into()),
        )
        .args(["daemon", "-i"])
        .arg(&daemon_root)
        .args(["--listen", DAEMON_LISTEN])
        .stdout(Stdio::from(fs::File::create(&daemon_log).expect("log")))
        .stderr(Stdio::from(
            fs::File::options()
                .append(true)
                .open(&daemon_log)
                .expect("log"),
        ))
        .spawn()
        .expect("netparc daemon starts"),
        what: "netparc daemon",
    };
    let daemon_started = Instant::now();
    let mut up = false;
    for _ in 0..600 {
        if http_get_once(DAEMON_LISTEN, "/healthz").await.is_some() {
            up = true;
            break;
        }
        if matches!(daemon.child.try_wait(), Ok(Some(_))) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !up {
        eprintln!(
            "benchmark broken: the daemon does not answer; its log:\n{}",
            fs::read_to_string(&daemon_log).unwrap_or_default()
        );
        std::process::exit(1);
    }
    println!(
        "daemon up in {:.1} s; warm-up {} s, then {} s measured (load average {})",
        daemon_started.elapsed().as_secs_f64(),
        config.warmup,
        config.duration,
        load_average()
    );
    let pid = daemon.pid();
    let mut peak_warmup = 0;
    let warm_until = Instant::now() + Duration::from_secs(config.warmup);
    while Instant::now() < warm_until {
        peak_warmup = peak_warmup.max(memory(pid).0);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let cpu0 = cpu_seconds(pid);
    let t0 = Instant::now();
    let counters0 = daemon_counters().await;
    let mut rss_max = 0;
    let mut rss_sum = 0u64;
    let mut samples = 0u64;
    let mut load = Vec::new();
    while t0.elapsed() < Duration::from_secs(config.duration) {
        let (rss, _) = memory(pid);
        rss_max = rss_max.max(rss);
        rss_sum += rss;
        samples += 1;
        if samples % 30 == 1 {
            load.push(load_average());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let cpu1 = cpu_seconds(pid);
    let window = t0.elapsed().as_secs_f64();
    let counters1 = daemon_counters().await;
    let (_, hwm) = memory(pid);
    let views = http_get_once(DAEMON_LISTEN, "/api/assets")
        .await
        .unwrap_or_default();
    let up_assets = views.matches("\"status\":\"up\"").count();
    daemon.signal(libc::SIGTERM, Duration::from_secs(60));
    let delta =
        |name: &str| counters1.get(name).unwrap_or(&0.0) - counters0.get(name).unwrap_or(&0.0);
    let checks = delta("netparc_checks_total");
    let late = delta("netparc_checks_late_total");
    let batches = delta("netparc_check_batches_total");
    let lateness = counters1
        .get("netparc_check_lateness_max_seconds")
        .copied()
        .unwrap_or(0.0);
    let cpu = cpu1 - cpu0;
    let expected = config.assets as f64 * window / config.interval as f64;
    let daemon_per_check_us = cpu / checks.max(1.0) * 1e6;
    println!();
    println!(
        "## netparc daemon, {} assets every {} s, {:.0} s window",
        config.assets, config.interval, window
    );
    println!();
    println!("| measure | value | target |");
    println!("|---|---:|---|");
    println!(
        "| CPU, % of one core | {:.1} % | < 15 % |",
        cpu / window * 100.0
    );
    println!(
        "| RSS, max in the window (mean) | {:.0} MB ({:.0} MB) | < 300 MB |",
        rss_max as f64 / 1024.0,
        rss_sum as f64 / samples.max(1) as f64 / 1024.0
    );
    println!(
        "| RSS, peak since start (VmHWM; warm-up max {:.0} MB) | {:.0} MB | |",
        peak_warmup as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
    println!(
        "| checks started (expected {:.0}) | {:.0} | |",
        expected, checks
    );
    println!("| late checks (> 1 s after due) | {late:.0} | 0 |");
    println!("| worst lateness since start (first checks aside) | {lateness:.3} s | |");
    println!(
        "| batches (verify_assets calls), mean size | {:.0}, {:.1} | |",
        batches,
        checks / batches.max(1.0)
    );
    println!("| CPU per check | {daemon_per_check_us:.0} µs | |");
    println!(
        "| assets up at the end (of {}) | {} | |",
        config.assets, up_assets
    );
    println!("| load average during the window | {} | |", load.join("; "));
    println!();

    if config.exporters {
        exporters(config, dir.path(), &lab_root, &twins, daemon_per_check_us).await;
    }
    for lab in &mut labs {
        lab.signal(libc::SIGINT, Duration::from_secs(60));
    }
    if std::env::var_os("NETPARC_SCALE_KEEP").is_some() {
        println!("kept: {}", dir.keep().display());
    }
}

/// Twins per `netparc lab` process (about 3 descriptors each, under a 20,000 limit).
const LAB_PART: usize = 5_000;

/// The asset names of the generated inventory (`name: ` lines of the asset files).
fn asset_names(root: &Path) -> Vec<String> {
    let mut names = Vec::new();
    let mut stack = vec![root.join("assets")];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read_dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            for line in fs::read_to_string(&path).expect("read").lines() {
                let line = line.trim_start_matches("- ");
                if let Some(name) = line.strip_prefix("name: ") {
                    names.push(name.trim().to_string());
                }
            }
        }
    }
    names.sort();
    names
}

/// `names` in `parts` parts whose twin addresses (assigned per lab, as `netparc lab` does)
/// never collide across parts: a name whose address another part holds moves to that part.
fn split_without_collisions(names: &[String], parts: usize) -> Vec<Vec<String>> {
    let mut split: Vec<Vec<String>> = vec![Vec::new(); parts.max(1)];
    for (i, name) in names.iter().enumerate() {
        split[i % parts.max(1)].push(name.clone());
    }
    for _ in 0..100 {
        let assigned: Vec<BTreeMap<String, std::net::Ipv4Addr>> = split
            .iter()
            .map(|part| netparc::lab::address::assign("", part.iter().cloned()))
            .collect();
        let mut owner: BTreeMap<std::net::Ipv4Addr, usize> = BTreeMap::new();
        let mut moved = None;
        'find: for (part, addresses) in assigned.iter().enumerate() {
            for (name, address) in addresses {
                match owner.get(address) {
                    Some(&other) if other != part => {
                        moved = Some((part, other, name.clone()));
                        break 'find;
                    }
                    _ => {
                        owner.insert(*address, part);
                    }
                }
            }
        }
        let Some((from, to, name)) = moved else {
            return split;
        };
        split[from].retain(|n| *n != name);
        split[to].push(name);
    }
    panic!("twin addresses keep colliding across labs");
}

/// The twins a `netparc lab` lists, up to its "twins running" line.
fn read_twins(stdout: std::process::ChildStdout) -> Vec<Twin> {
    let mut twins = Vec::new();
    for line in StdBufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        if line.contains("twins running") {
            break;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 5 || fields[0] == "asset" {
            continue;
        }
        let snmp = (fields[4] != "-").then(|| fields[4].to_string());
        let address = snmp
            .as_deref()
            .or((fields[3] != "-").then_some(fields[3]))
            .and_then(|a| a.rsplit_once(':'))
            .map(|(ip, _)| ip.to_string());
        if let Some(address) = address {
            twins.push(Twin {
                name: fields[0].to_string(),
                real: fields[2].to_string(),
                address,
                snmp,
            });
        }
    }
    twins
}

/// The scheduler's counters from `/metrics` (read at the edges of the window: a scrape
/// computes 24 h availability for every asset, not free at 10,000).
async fn daemon_counters() -> BTreeMap<String, f64> {
    let body = http_get_once(DAEMON_LISTEN, "/metrics")
        .await
        .unwrap_or_default();
    body.lines()
        .filter(|l| l.starts_with("netparc_check"))
        .filter_map(|l| {
            let (name, value) = l.split_once(' ')?;
            Some((name.to_string(), value.trim().parse().ok()?))
        })
        .collect()
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read_dir").flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            if entry.file_name() != "state" {
                copy_tree(&path, &target);
            }
        } else {
            fs::copy(&path, &target).expect("copy");
        }
    }
}

/// Replace every `address: <real>` by `address: <twin>` in the asset files.
fn readdress(dir: &Path, by_real: &BTreeMap<&str, &str>) {
    for entry in fs::read_dir(dir).expect("read_dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            readdress(&path, by_real);
            continue;
        }
        let text = fs::read_to_string(&path).expect("read");
        let mut out = String::with_capacity(text.len());
        for line in text.split_inclusive('\n') {
            let trimmed = line.trim_end();
            let replaced = trimmed
                .trim_start()
                .strip_prefix("address: ")
                .and_then(|real| by_real.get(real))
                .filter(|_| !trimmed.trim_start().starts_with("- "));
            match replaced {
                Some(twin) => {
                    let indent = &trimmed[..trimmed.len() - trimmed.trim_start().len()];
                    out.push_str(&format!("{indent}address: {twin}\n"));
                }
                None => out.push_str(line),
            }
        }
        fs::write(&path, out).expect("write");
    }
}

fn append(path: &Path, text: &str) {
    let mut old = fs::read_to_string(path).expect("read");
    if !old.ends_with('\n') {
        old.push('\n');
    }
    old.push_str(text);
    fs::write(path, old).expect("write");
}

/// One GET on a new connection; the body when 200.
async fn http_get_once(address: &str, path: &str) -> Option<String> {
    let stream = tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(address))
        .await
        .ok()?
        .ok()?;
    let mut connection = Connection {
        reader: BufReader::new(stream),
    };
    let (status, body) =
        tokio::time::timeout(Duration::from_secs(60), connection.get(address, path))
            .await
            .ok()?
            .ok()?;
    (status == 200).then_some(body)
}

/// A keep-alive HTTP/1.1 connection (what Prometheus keeps to each exporter).
struct Connection {
    reader: BufReader<TcpStream>,
}

impl Connection {
    async fn get(&mut self, host: &str, path: &str) -> std::io::Result<(u16, String)> {
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: netparc-bench\r\n\r\n");
        self.reader.get_mut().write_all(request.as_bytes()).await?;
        let mut line = String::new();
        self.reader.read_line(&mut line).await?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let mut length = None;
        let mut chunked = false;
        loop {
            line.clear();
            if self.reader.read_line(&mut line).await? == 0 {
                return Err(std::io::Error::other("closed"));
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let lower = header.to_ascii_lowercase();
            if let Some(value) = lower.strip_prefix("content-length:") {
                length = value.trim().parse::<usize>().ok();
            } else if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                chunked = true;
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line).await?;
                let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                    .map_err(|_| std::io::Error::other("bad chunk"))?;
                let mut chunk = vec![0; size + 2];
                self.reader.read_exact(&mut chunk).await?;
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        } else if let Some(length) = length {
            body.resize(length, 0);
            self.reader.read_exact(&mut body).await?;
        } else {
            self.reader.read_to_end(&mut body).await?;
        }
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }
}

/// Keep-alive connections to one exporter, reused across scrapes.
struct Pool {
    address: &'static str,
    idle: std::sync::Mutex<Vec<Connection>>,
}

impl Pool {
    async fn get(&self, path: &str) -> Option<String> {
        let kept = self.idle.lock().expect("pool").pop();
        let mut connection = match kept {
            Some(c) => c,
            None => Connection {
                reader: BufReader::new(TcpStream::connect(self.address).await.ok()?),
            },
        };
        let (status, body) =
            tokio::time::timeout(Duration::from_secs(30), connection.get(self.address, path))
                .await
                .ok()?
                .ok()?;
        self.idle.lock().expect("pool").push(connection);
        (status == 200).then_some(body)
    }
}

/// What the driver counts.
#[derive(Default)]
struct Tally {
    checks: AtomicU64,
    icmp_ok: AtomicU64,
    snmp_ok: AtomicU64,
    failed: AtomicU64,
}

async fn exporters(
    config: &Config,
    dir: &Path,
    lab_root: &Path,
    twins: &[Twin],
    daemon_per_check_us: f64,
) {
    let blackbox_bin = which("prometheus-blackbox-exporter");
    let snmp_bin = which("prometheus-snmp-exporter");
    let (Some(blackbox_bin), Some(snmp_bin)) = (blackbox_bin, snmp_bin) else {
        println!(
            "exporters not installed (apt-get install prometheus-blackbox-exporter prometheus-snmp-exporter): skipped"
        );
        return;
    };
    let secret = |name: &str| {
        fs::read_to_string(lab_root.join("secrets").join(name))
            .expect("secret")
            .trim()
            .to_string()
    };
    let blackbox_config = dir.join("blackbox.yml");
    fs::write(
        &blackbox_config,
        "modules:\n  icmp:\n    prober: icmp\n    timeout: 5s\n    icmp:\n      preferred_ip_protocol: ip4\n",
    )
    .expect("write");
    let snmp_config = dir.join("snmp.yml");
    fs::write(
        &snmp_config,
        snmp_module(&secret("snmp-auth"), &secret("snmp-priv")),
    )
    .expect("write");
    fs::set_permissions(&snmp_config, fs::Permissions::from_mode(0o600)).expect("chmod");
    let log = |name: &str| Stdio::from(fs::File::create(dir.join(name)).expect("log"));
    let blackbox = Process {
        child: Command::new(&blackbox_bin)
            .arg(format!("--config.file={}", blackbox_config.display()))
            .arg(format!("--web.listen-address={BLACKBOX_LISTEN}"))
            .stdout(log("blackbox.out"))
            .stderr(log("blackbox.log"))
            .spawn()
            .expect("blackbox_exporter starts"),
        what: "blackbox_exporter",
    };
    let snmp = Process {
        child: Command::new(&snmp_bin)
            .arg(format!("--config.file={}", snmp_config.display()))
            .arg(format!("--web.listen-address={SNMP_EXPORTER_LISTEN}"))
            .stdout(log("snmp_exporter.out"))
            .stderr(log("snmp_exporter.log"))
            .spawn()
            .expect("snmp_exporter starts"),
        what: "snmp_exporter",
    };
    for listen in [BLACKBOX_LISTEN, SNMP_EXPORTER_LISTEN] {
        let mut up = false;
        for _ in 0..100 {
            if http_get_once(listen, "/metrics").await.is_some() {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if !up {
            eprintln!(
                "benchmark broken: no exporter answers on {listen} (logs in {})",
                dir.display()
            );
            // Returning stops the exporters (and the caller stops the labs).
            return;
        }
    }
    // A smoke check first: both exporters must see the first twin.
    let first = &twins[0];
    let probe = http_get_once(
        BLACKBOX_LISTEN,
        &format!("/probe?module=icmp&target={}", first.address),
    )
    .await
    .unwrap_or_default();
    let polled = http_get_once(
        SNMP_EXPORTER_LISTEN,
        &format!("/snmp?module=netparc&target={}", first.address),
    )
    .await
    .unwrap_or_default();
    if !probe.contains("probe_success 1") || !polled.contains("sysName") {
        eprintln!(
            "benchmark broken: the exporters do not reach twin {} ({}):\n{probe}\n{polled}",
            first.name, first.address
        );
        // Returning stops the exporters (and the caller stops the labs).
        return;
    }
    println!(
        "exporters up: {} / {} ({} scrapes in flight at most)",
        blackbox_bin.display(),
        snmp_bin.display(),
        config.driver_concurrency
    );

    let pools = Arc::new((
        Pool {
            address: BLACKBOX_LISTEN,
            idle: std::sync::Mutex::new(Vec::new()),
        },
        Pool {
            address: SNMP_EXPORTER_LISTEN,
            idle: std::sync::Mutex::new(Vec::new()),
        },
    ));
    let tally = Arc::new(Tally::default());
    let semaphore = Arc::new(tokio::sync::Semaphore::new(config.driver_concurrency));
    let interval = Duration::from_secs(config.interval);
    let targets: Vec<String> = twins.iter().map(|t| t.address.clone()).collect();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let driver = {
        let (pools, tally, semaphore, stop) = (
            pools.clone(),
            tally.clone(),
            semaphore.clone(),
            stop.clone(),
        );
        tokio::spawn(async move {
            let start = tokio::time::Instant::now();
            let n = targets.len() as u32;
            let mut round = 0u32;
            while !stop.load(Ordering::Relaxed) {
                for (i, target) in targets.iter().enumerate() {
                    let due = start + interval * round + interval * i as u32 / n;
                    tokio::time::sleep_until(due).await;
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let permit = semaphore.clone().acquire_owned().await.expect("semaphore");
                    let (pools, tally, target) = (pools.clone(), tally.clone(), target.clone());
                    tokio::spawn(async move {
                        let _permit = permit;
                        // Prometheus scrapes both jobs independently: side by side.
                        let (probe, poll) = (
                            format!("/probe?module=icmp&target={target}"),
                            format!("/snmp?module=netparc&target={target}"),
                        );
                        let (icmp, snmp) = tokio::join!(pools.0.get(&probe), pools.1.get(&poll));
                        tally.checks.fetch_add(1, Ordering::Relaxed);
                        let icmp = icmp.is_some_and(|b| b.contains("probe_success 1"));
                        let snmp = snmp.is_some_and(|b| b.contains("sysName"));
                        if icmp {
                            tally.icmp_ok.fetch_add(1, Ordering::Relaxed);
                        }
                        if snmp {
                            tally.snmp_ok.fetch_add(1, Ordering::Relaxed);
                        }
                        if !(icmp && snmp) {
                            tally.failed.fetch_add(1, Ordering::Relaxed);
                        }
                    });
                }
                round += 1;
            }
        })
    };
    let (bb, sn) = (blackbox.pid(), snmp.pid());
    tokio::time::sleep(Duration::from_secs(config.warmup.min(config.interval * 2))).await;
    let cpu0 = (cpu_seconds(bb), cpu_seconds(sn));
    let count0 = (
        tally.checks.load(Ordering::Relaxed),
        tally.failed.load(Ordering::Relaxed),
    );
    let t0 = Instant::now();
    let mut rss_max = (0, 0);
    let mut load = Vec::new();
    let mut seconds = 0u64;
    while t0.elapsed() < Duration::from_secs(config.duration) {
        rss_max.0 = rss_max.0.max(memory(bb).0);
        rss_max.1 = rss_max.1.max(memory(sn).0);
        if seconds.is_multiple_of(30) {
            load.push(load_average());
        }
        seconds += 1;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let cpu1 = (cpu_seconds(bb), cpu_seconds(sn));
    let window = t0.elapsed().as_secs_f64();
    let checks = (tally.checks.load(Ordering::Relaxed) - count0.0) as f64;
    let failed = tally.failed.load(Ordering::Relaxed) - count0.1;
    stop.store(true, Ordering::Relaxed);
    driver.abort();
    drop(blackbox);
    drop(snmp);
    let cpu = (cpu1.0 - cpu0.0, cpu1.1 - cpu0.1);
    let per_check_us = (cpu.0 + cpu.1) / checks.max(1.0) * 1e6;
    println!(
        "## blackbox_exporter (icmp) + snmp_exporter (same objects), {} targets every {} s, {:.0} s window",
        twins.len(),
        config.interval,
        window
    );
    println!();
    println!("| measure | value |");
    println!("|---|---:|");
    println!(
        "| CPU, % of one core: blackbox / snmp / both | {:.1} % / {:.1} % / {:.1} % |",
        cpu.0 / window * 100.0,
        cpu.1 / window * 100.0,
        (cpu.0 + cpu.1) / window * 100.0
    );
    println!(
        "| RSS max: blackbox / snmp | {:.0} MB / {:.0} MB |",
        rss_max.0 as f64 / 1024.0,
        rss_max.1 as f64 / 1024.0
    );
    println!(
        "| checks completed (expected {:.0}) | {:.0} |",
        twins.len() as f64 * window / config.interval as f64,
        checks
    );
    println!("| checks with a failed probe or scrape | {failed} |");
    println!("| CPU per check (icmp probe + snmp scrape) | {per_check_us:.0} µs |");
    println!("| load average during the window | {} |", load.join("; "));
    println!();
    println!(
        "per-check CPU, exporters / netparc daemon: {:.1}x ({per_check_us:.0} µs / {daemon_per_check_us:.0} µs)",
        per_check_us / daemon_per_check_us.max(1e-9)
    );
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// snmp_exporter 0.21 configuration: one module polling what the daemon's check reads (the
/// system group by GET, ifDescr, ifAdminStatus, ifOperStatus and ifName by walks: the
/// monitoring scope, `verify::SnmpScope::States`),
/// SNMPv3 authPriv SHA-256 / AES-128 as the twins want.
fn snmp_module(auth: &str, privacy: &str) -> String {
    let scalars = [
        ("sysDescr", "1.3.6.1.2.1.1.1", "DisplayString"),
        ("sysObjectID", "1.3.6.1.2.1.1.2", "OctetString"),
        ("sysUpTime", "1.3.6.1.2.1.1.3", "gauge"),
        ("sysContact", "1.3.6.1.2.1.1.4", "DisplayString"),
        ("sysName", "1.3.6.1.2.1.1.5", "DisplayString"),
        ("sysLocation", "1.3.6.1.2.1.1.6", "DisplayString"),
    ];
    let columns = [
        ("ifDescr", "1.3.6.1.2.1.2.2.1.2", "DisplayString", "ifIndex"),
        ("ifAdminStatus", "1.3.6.1.2.1.2.2.1.7", "gauge", "ifIndex"),
        ("ifOperStatus", "1.3.6.1.2.1.2.2.1.8", "gauge", "ifIndex"),
        (
            "ifName",
            "1.3.6.1.2.1.31.1.1.1.1",
            "DisplayString",
            "ifIndex",
        ),
    ];
    let mut out = String::from("netparc:\n  version: 3\n  timeout: 5s\n  retries: 1\n  get:\n");
    for (_, oid, _) in scalars {
        out.push_str(&format!("  - {oid}.0\n"));
    }
    out.push_str("  walk:\n");
    for (_, oid, _, _) in columns {
        out.push_str(&format!("  - {oid}\n"));
    }
    out.push_str("  metrics:\n");
    for (name, oid, kind) in scalars {
        out.push_str(&format!(
            "  - name: {name}\n    oid: {oid}\n    type: {kind}\n    help: {name}\n"
        ));
    }
    for (name, oid, kind, index) in columns {
        out.push_str(&format!(
            "  - name: {name}\n    oid: {oid}\n    type: {kind}\n    help: {name}\n    indexes:\n    - labelname: {index}\n      type: gauge\n"
        ));
    }
    out.push_str(&format!(
        "  auth:\n    username: netparc\n    security_level: authPriv\n    password: '{auth}'\n    auth_protocol: SHA256\n    priv_protocol: AES\n    priv_password: '{privacy}'\n"
    ));
    out
}
