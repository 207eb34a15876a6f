//! How fast `netparc check` is on a large inventory, cold (every file parsed) and warm (the
//! parse cache in `state/cache/` up to date), and how netparc's rendering compares with
//! Python's Jinja2 on the same data in the same run.
//!
//! The benchmark generates, in a temporary folder, a realistic inventory of N assets
//! (`NETPARC_BENCH_ASSETS`, default 10,000) in one of two mixes (`NETPARC_BENCH_MIX`):
//!
//! - `heavy` (the default): 70 % access switches with 24 or 48 ports (one file each), 10 %
//!   access points, 18 % workstations and 2 % printers (list files, workstations plugged
//!   into switch ports): 2.5 KB of YAML per asset, the worst case for parsing;
//! - `fleet`, a large company's parc: 4 % access switches (48 ports), 6 % access points,
//!   75 % workstations, 6 % IP phones, 4 % printers and 5 % servers.
//!
//! Both have eight sites whose plans have /16 user, voice, Wi-Fi and management subnets;
//! defaults with credentials and SNMPv3 behind `file:` secret references (mode 0600, strong
//! values); groups; and an IOS template set (a base template that access-switch and
//! access-point templates extend, an included partial, loops, branches and the network
//! filters). Then it measures, each over `NETPARC_BENCH_REPS` runs (default 5), min and
//! median wall-clock time of:
//!
//! - (a) `Inventory::load`, cold (the parse cache removed before each run, so each run
//!   parses every file and writes the cache) and warm (every file served by the cache; the
//!   warm inventory is checked identical to the cold one);
//! - (b) `inventory::validate::validate`;
//! - (c) templates load + `intent::render_selected` for every asset (context building,
//!   secrets, rendering), split as (c1) context building alone and (c2) `TemplateSet::render`
//!   alone over the prebuilt contexts;
//! - (c3) the audit over the rendered configurations;
//! - (d) `check::check` in process, warm;
//! - (e) the real binary, `netparc check -i <dir>`, as a subprocess (one warm-up, then
//!   `NETPARC_BENCH_RUNS` runs, default 5), cold and warm: the "under one second" figures.
//!   The binary is copied at start (`NETPARC_BENCH_BIN` picks another one), since a target
//!   folder shared with other worktrees may be rebuilt during the run.
//!
//! The peer: the exact per-asset contexts of (c2) are dumped as one JSON file, and
//! `benches/jinja_render.py` renders them with a Jinja2 translation of the same templates
//! (`benches/templates/jinja`), timing the JSON load and the rendering loop apart. Python
//! comes from `NETPARC_BENCH_PYTHON` (default `benches/.venv/bin/python`, which
//! `benches/run.sh` creates); without it the peer is skipped with a note. A sample of outputs
//! (every `NETPARC_BENCH_SAMPLE_EVERY`-th asset, default 97) must be identical text from both
//! engines, or the comparison is reported as meaningless.
//!
//! A breakdown ("Where the time goes") then times the parts of load, context building,
//! rendering and audit one by one, each beside a cheaper variant that shows what a change in
//! src/ would gain (parallel parsing, direct Tera contexts, parallel rendering...), and what
//! the parse cache costs (its key, writing it); `NETPARC_BENCH_BREAKDOWN=0` skips it.
//!
//! Figures are printed (as Markdown rows, for docs/benchmarks.md); nothing is asserted on
//! time. `NETPARC_BENCH_KEEP=1` keeps the generated inventory for profiling.

#[path = "common/knobs.rs"]
mod knobs;
use netparc::check::{check, load_templates, open_resolver};
use netparc::intent::{CachedResolver, ContextBase, asset_context, render_selected, template_name};
use netparc::inventory::cache::cache_file;
use netparc::inventory::validate::validate;
use netparc::inventory::{Inventory, Selector};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

// The shipped binary allocates with mimalloc (src/main.rs); the in-process stages must pay
// what netparc pays, not glibc's malloc, for the ratio against Jinja2 to mean anything.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");
const NETPARC_BIN: &str = env!("CARGO_BIN_EXE_netparc");

fn main() {
    let config = Config::from_env();
    let dir = tempfile::Builder::new()
        .prefix("netparc-bench-")
        .tempdir()
        .expect("temporary folder");
    // Secrets, contexts and rendered samples live here in clear: owner-only.
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).expect("chmod");
    // The binary under test, copied first thing: the target folder may be shared with other
    // worktrees, and a build there would otherwise swap the binary in the middle of the run.
    let binary_path = dir.path().join("netparc");
    fs::copy(&config.binary, &binary_path).expect("copy the netparc binary");
    let root = dir.path().join("inventory");
    let started = Instant::now();
    let generated = generate(&root, config.assets, config.mix);
    println!(
        "generated the {} mix: {} assets ({} switches, {} access points, {} workstations, {} phones, {} printers, {} servers; {} interfaces) in {} files, {:.1} MB of YAML, in {:.2} s",
        config.mix.name(),
        generated.total(),
        generated.switches,
        generated.access_points,
        generated.workstations,
        generated.phones,
        generated.printers,
        generated.servers,
        generated.interfaces,
        generated.files,
        generated.yaml_bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    // (a) load, cold: no parse cache (each run parses every file, then writes the cache).
    let (load_cold, outcome) = measure_with(
        config.reps,
        || forget_cache(&root),
        || Inventory::load(&root),
    );
    if outcome.diagnostics.has_errors() {
        fail(
            "the generated inventory does not load",
            &outcome.diagnostics,
        );
    }
    if !outcome.cache.written {
        eprintln!("benchmark broken: a cold load did not write the parse cache");
        std::process::exit(1);
    }
    let cold = outcome.inventory.expect("inventory");
    let cache_bytes = fs::metadata(cache_file(&root)).map_or(0, |m| m.len());
    // (a) load, warm: every file unchanged since the cache was written.
    let (load_warm, outcome) = measure(config.reps, || Inventory::load(&root));
    if outcome.cache.parsed != 0 || outcome.cache.written {
        eprintln!(
            "benchmark broken: a warm load was not served by the cache ({:?})",
            outcome.cache
        );
        std::process::exit(1);
    }
    let inventory = outcome.inventory.expect("inventory");
    if let Some(difference) = differs(&cold, &inventory) {
        eprintln!("benchmark broken: the cache changes the inventory: {difference}");
        std::process::exit(1);
    }
    drop(cold);
    println!(
        "parse cache: {:.1} MB for {} files; the warm inventory is identical to the cold one",
        cache_bytes as f64 / 1e6,
        outcome.cache.hits
    );
    // (b) validate
    let (validation, found) = measure(config.reps, || validate(&inventory));
    if found.has_errors() {
        fail("the generated inventory does not validate", &found);
    }
    // (c) templates + render_selected
    let all = Selector::all();
    let (render, (intents, found)) = measure(config.reps, || {
        let resolver = open_resolver(&inventory);
        let templates = load_templates(&inventory).expect("templates load");
        render_selected(&inventory, &templates, &resolver, &all)
    });
    if found.has_errors() {
        fail("the generated inventory does not render", &found);
    }
    // (c1) contexts alone, kept for (c2) and for the peer.
    let resolver = open_resolver(&inventory);
    let (contexts_time, contexts) = measure(config.reps, || contexts(&inventory, &resolver));
    // (c2) TemplateSet::render alone over the same contexts.
    let templates = load_templates(&inventory).expect("templates load");
    let (render_only, chars) = measure(config.reps, || {
        let mut chars = 0;
        for (asset, template, context) in &contexts {
            chars += templates
                .render(template, asset, context)
                .expect("render")
                .len();
        }
        chars
    });
    // (c3) the audit of the rendered configurations.
    let (audit, _) = measure(config.reps, || {
        let mut secrets = CachedResolver::new(&resolver);
        netparc::audit::audit(&inventory, &all, &intents, &mut secrets)
    });
    // (d) check in process (warm: the cache is in place)
    let (whole, report) = measure(config.reps, || check(&root, &all));
    if report.errors > 0 {
        fail("`check` finds errors", &report.diagnostics);
    }
    // (e) the binary, cold then warm.
    let (binary_cold, _) = run_binary(&binary_path, &root, config.binary_runs, true);
    let (binary, summary) = run_binary(&binary_path, &root, config.binary_runs, false);

    let lines: usize = intents.iter().map(|i| i.text.lines().count()).sum();
    println!(
        "rendered {} configurations, {:.0} lines and {:.1} KB each on average ({:.1} MB in all)",
        intents.len(),
        lines as f64 / intents.len().max(1) as f64,
        chars as f64 / intents.len().max(1) as f64 / 1e3,
        chars as f64 / 1e6
    );
    println!("netparc check: {summary}");

    let peer = jinja(&config, dir.path(), &contexts, &intents);

    let n = inventory.assets.len();
    let rendered = intents.len();
    let mut table = String::new();
    let _ = writeln!(table, "| stage | min | median | per second (median) |");
    let _ = writeln!(table, "|---|---:|---:|---:|");
    let mut row = |name: &str, timing: Timing, count: usize, unit: &str| {
        let _ = writeln!(
            table,
            "| {name} | {} | {} | {:.0} {unit}/s |",
            ms(timing.min),
            ms(timing.median),
            count as f64 / timing.median.as_secs_f64()
        );
    };
    row("(a) `Inventory::load`, cold", load_cold, n, "assets");
    row("(a) `Inventory::load`, warm", load_warm, n, "assets");
    row("(b) `validate`", validation, n, "assets");
    row(
        "(c) templates + `render_selected`",
        render,
        rendered,
        "renders",
    );
    row("(c1) contexts only", contexts_time, rendered, "contexts");
    row(
        "(c2) `TemplateSet::render` only",
        render_only,
        rendered,
        "renders",
    );
    row("(c3) audit", audit, n, "assets");
    row("(d) `check()` in process, warm", whole, n, "assets");
    row("(e) `netparc check` binary, cold", binary_cold, n, "assets");
    row("(e) `netparc check` binary, warm", binary, n, "assets");
    if let Some(peer) = &peer {
        row("jinja2: JSON load", peer.json_load, rendered, "contexts");
        row("jinja2: render only", peer.render, rendered, "renders");
    }
    println!();
    println!(
        "## {} mix: {n} assets, {rendered} rendered, {} cores",
        config.mix.name(),
        std::thread::available_parallelism().map_or(1, |p| p.get())
    );
    println!();
    print!("{table}");
    println!();
    let verdict = |t: Timing| {
        if t.median < Duration::from_secs(1) {
            "MET"
        } else {
            "MISSED"
        }
    };
    println!(
        "- `netparc check` on {n} assets, cold (no cache; writes it): median {} — target under 1 s: {}",
        ms(binary_cold.median),
        verdict(binary_cold)
    );
    println!(
        "- `netparc check` on {n} assets, warm (parse cache up to date): median {} — target under 1 s: {}",
        ms(binary.median),
        verdict(binary)
    );
    match &peer {
        Some(peer) => {
            let like = peer.render.median.as_secs_f64() / render_only.median.as_secs_f64();
            let full = peer.render.median.as_secs_f64() / render.median.as_secs_f64();
            println!(
                "- ratio jinja2 / netparc, rendering the same contexts (c2): {like:.1}x; jinja2 render only / netparc templates + contexts + secrets + render (c): {full:.1}x — target 5x: {}",
                if full >= 5.0 { "MET" } else { "MISSED" }
            );
            println!(
                "- outputs compared: {} of {rendered} ({}), {}",
                peer.compared,
                peer.versions,
                if peer.mismatches == 0 {
                    String::from("all identical")
                } else {
                    format!("{} DIFFER: the ratio is meaningless", peer.mismatches)
                }
            );
        }
        None => println!("- jinja2 peer skipped (see above)"),
    }
    if config.breakdown {
        println!();
        println!("### Where the time goes");
        println!();
        print!(
            "{}",
            breakdown(&config, &root, &inventory, &contexts, &intents)
        );
    }
    if config.keep {
        let kept = dir.keep();
        println!("- inventory kept at {}", kept.join("inventory").display());
    }
}

/// Settings read from the environment.
struct Config {
    mix: Mix,
    binary: PathBuf,
    assets: usize,
    reps: usize,
    binary_runs: usize,
    python: PathBuf,
    python_reps: usize,
    sample_every: usize,
    keep: bool,
    breakdown: bool,
}

impl Config {
    fn from_env() -> Config {
        let number = knobs::positive;
        let mix = match std::env::var("NETPARC_BENCH_MIX").as_deref() {
            Err(_) | Ok("" | "heavy") => Mix::Heavy,
            Ok("fleet") => Mix::Fleet,
            Ok(other) => {
                eprintln!("NETPARC_BENCH_MIX: unknown mix `{other}`, expected heavy or fleet");
                std::process::exit(2);
            }
        };
        Config {
            mix,
            binary: std::env::var_os("NETPARC_BENCH_BIN")
                .map_or_else(|| PathBuf::from(NETPARC_BIN), PathBuf::from),
            assets: number("NETPARC_BENCH_ASSETS", 10_000).max(10),
            reps: number("NETPARC_BENCH_REPS", 5),
            binary_runs: number("NETPARC_BENCH_RUNS", 5),
            python: std::env::var_os("NETPARC_BENCH_PYTHON")
                .map(PathBuf::from)
                .unwrap_or_else(|| Path::new(MANIFEST_DIR).join("benches/.venv/bin/python")),
            python_reps: number("NETPARC_BENCH_PY_REPS", 3),
            sample_every: number("NETPARC_BENCH_SAMPLE_EVERY", 97),
            keep: std::env::var("NETPARC_BENCH_KEEP").is_ok_and(|v| v == "1"),
            breakdown: std::env::var("NETPARC_BENCH_BREAKDOWN").map_or(true, |v| v != "0"),
        }
    }
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

// ---- timing -------------------------------------------------------------------------------

/// Min and median of a few runs.
#[derive(Debug, Clone, Copy)]
struct Timing {
    min: Duration,
    median: Duration,
}

impl Timing {
    fn of(mut samples: Vec<Duration>) -> Timing {
        samples.sort();
        let mid = samples.len() / 2;
        let median = if samples.len().is_multiple_of(2) {
            (samples[mid - 1] + samples[mid]) / 2
        } else {
            samples[mid]
        };
        Timing {
            min: samples[0],
            median,
        }
    }
}

/// Run `f` `reps` times; the result of the last run is kept (earlier ones are dropped outside
/// the timed region).
fn measure<T>(reps: usize, f: impl FnMut() -> T) -> (Timing, T) {
    measure_with(reps, || {}, f)
}

/// [`measure`], running `setup` (untimed) before each run.
fn measure_with<T>(reps: usize, mut setup: impl FnMut(), mut f: impl FnMut() -> T) -> (Timing, T) {
    let mut samples = Vec::with_capacity(reps);
    let mut last = None;
    for _ in 0..reps.max(1) {
        setup();
        let start = Instant::now();
        let out = f();
        samples.push(start.elapsed());
        last = Some(out);
    }
    (Timing::of(samples), last.expect("at least one run"))
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

/// Remove the inventory's parse cache, so the next load is cold.
fn forget_cache(root: &Path) {
    match fs::remove_file(cache_file(root)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => panic!("cannot remove the parse cache: {e}"),
    }
}

/// Where the cold and warm inventories differ (values as JSON, and every origin), if they do.
fn differs(a: &Inventory, b: &Inventory) -> Option<String> {
    use netparc::inventory::Located;
    fn one<T: serde::Serialize>(what: &str, a: &Located<T>, b: &Located<T>) -> Option<String> {
        let json = |v: &T| serde_json::to_value(v).expect("json");
        if json(&a.value) != json(&b.value) {
            return Some(format!("{what}: values differ"));
        }
        if a.origin.file.path != b.origin.file.path || a.origin.path != b.origin.path {
            return Some(format!("{what}: origins differ"));
        }
        None
    }
    if a.sites.len() != b.sites.len()
        || a.assets.len() != b.assets.len()
        || a.groups.len() != b.groups.len()
    {
        return Some(String::from("counts differ"));
    }
    one("settings", &a.settings, &b.settings)
        .or_else(|| one("defaults", &a.defaults, &b.defaults))
        .or_else(|| {
            a.sites
                .iter()
                .zip(&b.sites)
                .find_map(|(x, y)| one(&x.value.site, x, y))
        })
        .or_else(|| {
            a.groups.iter().zip(&b.groups).find_map(|((n, x), (m, y))| {
                if n == m {
                    one(n, x, y)
                } else {
                    Some(format!("group {n} vs {m}"))
                }
            })
        })
        .or_else(|| {
            a.assets
                .iter()
                .zip(&b.assets)
                .find_map(|(x, y)| one(&x.value.name, x, y))
        })
}

/// `netparc check -i root`, hyperfine-style: one warm-up, then `runs` timed runs; `cold`
/// removes the parse cache before each (so each run parses everything and writes it again).
fn run_binary(binary: &Path, root: &Path, runs: usize, cold: bool) -> (Timing, String) {
    let run = || {
        let output = Command::new(binary)
            .arg("check")
            .arg("-i")
            .arg(root)
            .env_remove("NETPARC_INVENTORY")
            .env_remove("NETPARC_IDENTITY")
            .output()
            .expect("run netparc");
        if !output.status.success() {
            eprintln!(
                "benchmark broken: `netparc check` failed ({}):\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .take(20)
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            std::process::exit(1);
        }
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    };
    run();
    let measured = measure_with(
        runs,
        || {
            if cold {
                forget_cache(root)
            }
        },
        run,
    );
    if !cache_file(root).exists() {
        eprintln!(
            "benchmark broken: {} wrote no parse cache; is it a build of this worktree?",
            binary.display()
        );
        std::process::exit(1);
    }
    measured
}

// ---- where the time goes ------------------------------------------------------------------

/// Time the parts of load, context building, rendering and audit one by one, each the way
/// netparc does it (or a copy of a private step), plus one cheaper variant where it shows
/// what a change in src/ would gain. Rows are Markdown, like the main table.
fn breakdown(
    config: &Config,
    root: &Path,
    inventory: &Inventory,
    contexts: &[(String, String, serde_json::Value)],
    intents: &[netparc::intent::Intent],
) -> String {
    use netparc::inventory::{Asset, GroupVars, Settings, Site};
    use netparc::yaml::{PositionIndex, root_is_sequence};
    let reps = config.reps.min(3);
    let mut table =
        String::from("| part | min | median | per item (median) |\n|---|---:|---:|---:|\n");
    let mut row = |name: &str, timing: Timing, count: usize| {
        let _ = writeln!(
            table,
            "| {name} | {} | {} | {:.1} µs |",
            ms(timing.min),
            ms(timing.median),
            timing.median.as_secs_f64() * 1e6 / count.max(1) as f64
        );
    };

    // Load: the same files Inventory::load reads.
    let mut files = vec![
        root.join("netparc.yml"),
        root.join("defaults.yml"),
        root.join("groups.yml"),
    ];
    let plans = netparc::inventory::load::yaml_files(&root.join("plan"));
    let assets = netparc::inventory::load::yaml_files(&root.join("assets"));
    files.extend(plans.iter().cloned());
    files.extend(assets.iter().cloned());
    let (read, texts) = measure(reps, || {
        files
            .iter()
            .map(|f| fs::read_to_string(f).expect("read"))
            .collect::<Vec<String>>()
    });
    row("load: read the YAML files", read, files.len());
    // Typed parse as netparc::yaml::parse does it (its fast path, serde-saphyr for what the
    // fast path leaves), no index.
    fn typed<T: serde::de::DeserializeOwned>(text: &str) -> T {
        netparc::yaml::parse::<T>(text, Path::new("bench.yml"), &[])
            .expect("typed parse")
            .0
            .value
    }
    // The same with serde-saphyr for every file (what yaml::parse did before its fast path).
    fn saphyr_only<T: serde::de::DeserializeOwned>(text: &str) -> T {
        serde_saphyr::with_deserializer_from_str(text, |d| serde_ignored::deserialize(d, |_| {}))
            .expect("typed parse")
    }
    macro_rules! parse_all {
        ($parse:ident) => {
            measure(reps, || {
                let settings: Settings = $parse(&texts[0]);
                let defaults: GroupVars = $parse(&texts[1]);
                let groups: std::collections::BTreeMap<String, GroupVars> = $parse(&texts[2]);
                let sites: Vec<Site> = texts[3..3 + plans.len()]
                    .iter()
                    .map(|t| $parse(t))
                    .collect();
                let mut count = 0;
                for text in &texts[3 + plans.len()..] {
                    count += if root_is_sequence(text) {
                        $parse::<Vec<Asset>>(text).len()
                    } else {
                        $parse::<Asset>(text);
                        1
                    };
                }
                (settings, defaults, groups, sites, count)
            })
        };
    }
    let (parse, _) = parse_all!(typed);
    row(
        "load: typed parse (`yaml::parse`: fast path, serde-saphyr for the rest)",
        parse,
        files.len(),
    );
    let (parse, _) = parse_all!(saphyr_only);
    row(
        "load: typed parse, serde-saphyr for every file (variant: no fast path)",
        parse,
        files.len(),
    );
    let asset_texts = &texts[3 + plans.len()..];
    let (parallel, _) = measure(reps, || {
        let workers = std::thread::available_parallelism().map_or(1, |p| p.get());
        let chunk = asset_texts.len().div_ceil(workers).max(1);
        std::thread::scope(|scope| {
            let handles: Vec<_> = asset_texts
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|text| {
                                if root_is_sequence(text) {
                                    typed::<Vec<Asset>>(text)
                                } else {
                                    vec![typed::<Asset>(text)]
                                }
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("parse thread").len())
                .sum::<usize>()
        })
    });
    row(
        "load: typed parse of the asset files, one thread per core (variant)",
        parallel,
        asset_texts.len(),
    );
    let (events, _) = measure(reps, || {
        texts
            .iter()
            .map(|t| serde_saphyr::granit_parser::Parser::new_from_str(t).count())
            .sum::<usize>()
    });
    row(
        "load: YAML parser events alone (floor of one parse)",
        events,
        files.len(),
    );
    let (index, _) = measure(reps, || {
        texts
            .iter()
            .map(|t| PositionIndex::build(t))
            .collect::<Vec<_>>()
    });
    row(
        "load: `PositionIndex::build` (second parse, every path)",
        index,
        files.len(),
    );
    // The parse cache: its key over every file's text, and what writing it adds to a cold
    // load (measured by making the cache folder unwritable: a regular file in its place).
    let (hash, _) = measure(reps, || {
        texts
            .iter()
            .map(|t| netparc::inventory::cache::content_hash(t.as_bytes()))
            .fold(0, u64::wrapping_add)
    });
    row(
        "load: `content_hash` of every file (the cache key)",
        hash,
        files.len(),
    );
    let cache_dir = cache_file(root)
        .parent()
        .expect("cache folder")
        .to_path_buf();
    let kept = cache_dir.with_extension("kept");
    fs::rename(&cache_dir, &kept).expect("move the cache aside");
    fs::write(&cache_dir, "").expect("block the cache folder");
    let (unwritable, outcome) = measure(reps, || Inventory::load(root));
    assert!(outcome.cache.parsed > 0 && !outcome.cache.written);
    fs::remove_file(&cache_dir).expect("unblock the cache folder");
    fs::rename(&kept, &cache_dir).expect("restore the cache");
    row(
        "load: cold, cache not writable (variant: cold minus writing the cache)",
        unwritable,
        inventory.assets.len(),
    );
    let mut drops = Vec::new();
    for _ in 0..reps {
        let loaded = Inventory::load(root);
        let start = Instant::now();
        drop(loaded);
        drops.push(start.elapsed());
    }
    row(
        "load: dropping the loaded inventory",
        Timing::of(drops),
        inventory.assets.len(),
    );

    // Contexts.
    let rendered: Vec<&netparc::inventory::Located<Asset>> = inventory
        .assets
        .iter()
        .filter(|a| template_name(&a.value).is_some())
        .collect();
    let (to_value, _) = measure(reps, || {
        rendered
            .iter()
            .map(|a| serde_json::to_value(&a.value).expect("json"))
            .collect::<Vec<_>>()
    });
    row(
        "contexts: `serde_json::to_value(asset)`",
        to_value,
        rendered.len(),
    );
    let (direct, _) = measure(reps, || {
        rendered
            .iter()
            .map(|a| tera::Value::from_serializable(&a.value))
            .collect::<Vec<_>>()
    });
    row(
        "contexts: asset struct straight to `tera::Value` (variant)",
        direct,
        rendered.len(),
    );
    let (clone, _) = measure(reps, || {
        contexts
            .iter()
            .map(|(_, _, c)| (c["site"].clone(), c["vlans"].clone()))
            .collect::<Vec<_>>()
    });
    row(
        "contexts: cloning the site's plan and VLANs per asset",
        clone,
        contexts.len(),
    );
    let (fields, _) = measure(reps, || {
        rendered
            .iter()
            .map(|a| netparc::intent::secret_fields(inventory, a).len())
            .sum::<usize>()
    });
    row(
        "contexts and audit: `secret_fields` (locations built eagerly)",
        fields,
        rendered.len(),
    );

    // Rendering: conversion to Tera values, the engine alone, the markup scan.
    let (convert, prepared) = measure(reps, || {
        contexts
            .iter()
            .map(|(_, _, c)| tera::Context::from_serialize(c).expect("context"))
            .collect::<Vec<_>>()
    });
    row(
        "render: `tera::Context::from_serialize` (whole context)",
        convert,
        contexts.len(),
    );
    // The shared parts converted once per site; per asset only asset, vars and connected.
    let mut shared: HashMap<String, (tera::Value, tera::Value)> = HashMap::new();
    for (_, _, c) in contexts {
        let site = c["site"]["site"].as_str().unwrap_or_default().to_string();
        shared.entry(site).or_insert_with(|| {
            (
                tera::Value::from_serializable(&c["site"]),
                tera::Value::from_serializable(&c["vlans"]),
            )
        });
    }
    let inventory_value = tera::Value::from_serializable(&contexts[0].2["inventory"]);
    let (convert_shared, _) = measure(reps, || {
        contexts
            .iter()
            .map(|(_, _, c)| {
                let (site, vlans) = &shared[c["site"]["site"].as_str().unwrap_or_default()];
                let mut context = tera::Context::new();
                context.insert("asset", &c["asset"]);
                context.insert("vars", &c["vars"]);
                context.insert("connected", &c["connected"]);
                context.insert_value("site", site.clone());
                context.insert_value("vlans", vlans.clone());
                context.insert_value("inventory", inventory_value.clone());
                context
            })
            .collect::<Vec<_>>()
    });
    row(
        "render: same, site/VLANs converted once per site (variant)",
        convert_shared,
        contexts.len(),
    );
    let mut engine = tera::Tera::default();
    engine.autoescape_on(Vec::<&str>::new());
    netparc::render::filters::register(&mut engine);
    let dir = inventory.templates_dir().join("ios");
    let sources: Vec<(String, String)> = fs::read_dir(&dir)
        .expect("templates")
        .map(|e| {
            let path = e.expect("entry").path();
            let name = format!("ios/{}", path.file_name().expect("name").to_string_lossy());
            (name, fs::read_to_string(&path).expect("template"))
        })
        .collect();
    engine
        .add_raw_templates(sources.iter().map(|(n, s)| (n.as_str(), s.as_str())))
        .expect("templates");
    let (engine_only, _) = measure(reps, || {
        contexts
            .iter()
            .zip(&prepared)
            .map(|((_, template, _), context)| {
                engine.render(template, context).expect("render").len()
            })
            .sum::<usize>()
    });
    row(
        "render: Tera engine alone (prepared contexts)",
        engine_only,
        contexts.len(),
    );
    // The same engine with netparc's filters replaced by pass-throughs: what the filters cost.
    let mut bare = tera::Tera::default();
    bare.autoescape_on(Vec::<&str>::new());
    for name in netparc::render::filters::FILTER_NAMES {
        bare.register_filter(
            *name,
            |v: &tera::Value, _: tera::Kwargs, _: &tera::State| v.clone(),
        );
    }
    bare.register_test(
        "ip_in",
        |_: &tera::Value, _: tera::Kwargs, _: &tera::State| true,
    );
    bare.add_raw_templates(sources.iter().map(|(n, s)| (n.as_str(), s.as_str())))
        .expect("templates");
    let (bare_time, _) = measure(reps, || {
        contexts
            .iter()
            .zip(&prepared)
            .map(|((_, template, _), context)| {
                bare.render(template, context).expect("render").len()
            })
            .sum::<usize>()
    });
    row(
        "render: Tera engine, netparc filters replaced by pass-throughs (variant)",
        bare_time,
        contexts.len(),
    );
    let (engine_parallel, _) = measure(reps, || {
        let workers = std::thread::available_parallelism().map_or(1, |p| p.get());
        let chunk = contexts.len().div_ceil(workers).max(1);
        let engine = &engine;
        std::thread::scope(|scope| {
            let handles: Vec<_> = contexts
                .chunks(chunk)
                .zip(prepared.chunks(chunk))
                .map(|(jobs, ready)| {
                    scope.spawn(move || {
                        jobs.iter()
                            .zip(ready)
                            .map(|((_, template, _), context)| {
                                engine.render(template, context).expect("render").len()
                            })
                            .sum::<usize>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("render thread"))
                .sum::<usize>()
        })
    });
    row(
        "render: Tera engine, one thread per core (variant)",
        engine_parallel,
        contexts.len(),
    );
    let (scan, _) = measure(reps, || {
        intents
            .iter()
            .filter(|i| leftover_markup(&i.text).is_some())
            .count()
    });
    row(
        "render: leftover-markup scan (copy of set.rs)",
        scan,
        intents.len(),
    );
    let (scan_fast, _) = measure(reps, || {
        intents
            .iter()
            .filter(|i| leftover_markup_fast(&i.text).is_some())
            .count()
    });
    row(
        "render: same scan, byte-pair match (variant)",
        scan_fast,
        intents.len(),
    );

    // Audit: strength assessed per asset and field, although all share a few references.
    let resolver = open_resolver(inventory);
    let mut secrets = CachedResolver::new(&resolver);
    let pairs: Vec<(String, netparc::secrets::strength::SecretClass)> = inventory
        .assets
        .iter()
        .flat_map(|a| {
            netparc::intent::secret_fields(inventory, a)
                .into_iter()
                .map(|f| (f, a.value.name.clone()))
                .collect::<Vec<_>>()
        })
        .map(|(f, name)| {
            let secret = secrets.resolve(&f, &name).expect("secret");
            (secret.expose().to_string(), f.class)
        })
        .collect();
    let (assess, _) = measure(reps, || {
        pairs
            .iter()
            .map(|(value, class)| netparc::secrets::strength::assess(value, *class).entropy_bits)
            .sum::<f64>()
    });
    row(
        "audit: `strength::assess` per asset and field",
        assess,
        pairs.len(),
    );
    table
}

/// A copy of `leftover_markup`'s search in src/render/set.rs (private there).
fn leftover_markup(output: &str) -> Option<usize> {
    const MARKERS: [&[u8; 2]; 6] = [b"{{", b"}}", b"{%", b"%}", b"{#", b"#}"];
    output
        .as_bytes()
        .windows(2)
        .position(|w| MARKERS.iter().any(|m| w == *m))
}

/// The same search matching the byte pair directly.
fn leftover_markup_fast(output: &str) -> Option<usize> {
    output.as_bytes().windows(2).position(|w| {
        matches!(
            (w[0], w[1]),
            (b'{', b'{' | b'%' | b'#') | (b'}' | b'%' | b'#', b'}')
        )
    })
}

// ---- contexts and the Jinja2 peer ---------------------------------------------------------

/// Every rendered asset's (name, template, context), as `render_selected` builds them.
fn contexts(
    inventory: &Inventory,
    resolver: &netparc::secrets::SecretResolver,
) -> Vec<(String, String, serde_json::Value)> {
    let base = ContextBase::new(inventory);
    let mut secrets = CachedResolver::new(resolver);
    inventory
        .assets
        .iter()
        .filter_map(|asset| {
            let template = template_name(&asset.value)?;
            let context =
                asset_context(inventory, &base, asset, &mut secrets).expect("context builds");
            Some((asset.value.name.clone(), template, context))
        })
        .collect()
}

/// What the peer measured.
struct Peer {
    versions: String,
    json_load: Timing,
    render: Timing,
    compared: usize,
    mismatches: usize,
}

fn jinja(
    config: &Config,
    scratch: &Path,
    contexts: &[(String, String, serde_json::Value)],
    intents: &[netparc::intent::Intent],
) -> Option<Peer> {
    if !config.python.exists() {
        println!(
            "jinja2 peer skipped: no Python at {}. Create it with\n    python3 -m venv benches/.venv && benches/.venv/bin/pip install jinja2\n(or run benches/run.sh), or point NETPARC_BENCH_PYTHON at a Python that has jinja2.",
            config.python.display()
        );
        return None;
    }
    // The contexts hold cleartext secrets, like the rendered configurations: owner-only.
    let dump = scratch.join("contexts.json");
    let renders: Vec<serde_json::Value> = contexts
        .iter()
        .map(|(asset, template, context)| {
            serde_json::json!({"asset": asset, "template": template, "context": context})
        })
        .collect();
    let text = serde_json::to_string(&serde_json::json!({ "renders": renders })).expect("json");
    write_private(&dump, &text);
    let samples = scratch.join("samples.json");
    let output = Command::new(&config.python)
        .arg(Path::new(MANIFEST_DIR).join("benches/jinja_render.py"))
        .arg(&dump)
        .arg(Path::new(MANIFEST_DIR).join("benches/templates/jinja"))
        .arg("--reps")
        .arg(config.python_reps.to_string())
        .arg("--samples")
        .arg(&samples)
        .arg("--sample-every")
        .arg(config.sample_every.to_string())
        .output()
        .expect("run python");
    if !output.status.success() {
        println!(
            "jinja2 peer skipped: {} failed ({}):\n{}",
            config.python.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
        return None;
    }
    let figures: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("peer prints JSON");
    let seconds = |v: &serde_json::Value| Duration::from_secs_f64(v.as_f64().unwrap_or(0.0));
    let render_runs: Vec<Duration> = figures["render_s"]
        .as_array()
        .map(|runs| runs.iter().map(seconds).collect())
        .unwrap_or_default();
    let json_load = seconds(&figures["json_load_s"]);
    let versions = format!(
        "Python {}, Jinja2 {}",
        figures["python"].as_str().unwrap_or("?"),
        figures["jinja2"].as_str().unwrap_or("?")
    );
    println!(
        "{versions}: JSON load {}, templates compile {}",
        ms(json_load),
        ms(seconds(&figures["compile_s"]))
    );

    let theirs: HashMap<String, String> =
        serde_json::from_str(&fs::read_to_string(&samples).expect("samples")).expect("samples");
    let ours: HashMap<&str, &str> = intents
        .iter()
        .map(|i| (i.asset.as_str(), i.text.as_str()))
        .collect();
    let mut mismatches = 0;
    let mut names: Vec<&String> = theirs.keys().collect();
    names.sort();
    for name in names {
        let their = &theirs[name];
        let our = ours.get(name.as_str()).copied().unwrap_or("");
        if let Some(difference) = first_difference(our, their) {
            mismatches += 1;
            if mismatches <= 3 {
                println!("OUTPUTS DIFFER for {name}: {difference}");
            }
        }
    }
    Some(Peer {
        versions,
        json_load: Timing {
            min: json_load,
            median: json_load,
        },
        render: Timing::of(render_runs),
        compared: theirs.len(),
        mismatches,
    })
}

/// The first line where two outputs differ, quoted from both.
fn first_difference(ours: &str, theirs: &str) -> Option<String> {
    if ours == theirs {
        return None;
    }
    let mut a = ours.split('\n');
    let mut b = theirs.split('\n');
    let mut line = 1;
    loop {
        match (a.next(), b.next()) {
            (Some(x), Some(y)) if x == y => line += 1,
            (x, y) => {
                return Some(format!(
                    "line {line}: netparc {:?} / jinja2 {:?}",
                    x.unwrap_or("<end>"),
                    y.unwrap_or("<end>")
                ));
            }
        }
    }
}

// ---- the generated inventory --------------------------------------------------------------

/// Which kind of inventory to generate (`NETPARC_BENCH_MIX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mix {
    /// 70 % access switches with 24 or 48 ports, 10 % access points, 18 % workstations, 2 %
    /// printers: 2.5 KB of YAML per asset, the worst case for parsing.
    Heavy,
    /// A large company's parc: 4 % access switches (48 ports), 6 % access points, 75 %
    /// workstations, 6 % IP phones, 4 % printers, the rest (5 %) servers.
    Fleet,
}

impl Mix {
    fn name(self) -> &'static str {
        match self {
            Mix::Heavy => "heavy",
            Mix::Fleet => "fleet",
        }
    }
}

/// What `generate` wrote.
#[derive(Debug, Default)]
struct Generated {
    switches: usize,
    access_points: usize,
    workstations: usize,
    phones: usize,
    printers: usize,
    servers: usize,
    interfaces: usize,
    files: usize,
    yaml_bytes: usize,
}

impl Generated {
    fn total(&self) -> usize {
        self.switches
            + self.access_points
            + self.workstations
            + self.phones
            + self.printers
            + self.servers
    }
}

/// A small deterministic generator (splitmix64): the same inventory on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn token(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len())] as char)
            .collect()
    }
}

/// Sites: short name, name, postal address.
const SITES: [(&str, &str, &str); 8] = [
    ("hq", "Head office", "12 rue de la Paix, 75002 Paris"),
    ("lyon", "Lyon agency", "5 quai Perrache, 69002 Lyon"),
    ("lille", "Lille agency", "40 rue Nationale, 59000 Lille"),
    (
        "nantes",
        "Nantes agency",
        "3 cours Olivier de Clisson, 44000 Nantes",
    ),
    (
        "bordeaux",
        "Bordeaux agency",
        "18 allees de Tourny, 33000 Bordeaux",
    ),
    (
        "marseille",
        "Marseille agency",
        "60 la Canebiere, 13001 Marseille",
    ),
    (
        "rennes",
        "Rennes agency",
        "9 place de Bretagne, 35000 Rennes",
    ),
    (
        "dc",
        "Datacenter",
        "Zone industrielle nord, 93200 Saint-Denis",
    ),
];

/// Second octet of a site's first /16; each site uses eight consecutive ones.
fn octet(site: usize) -> usize {
    16 + site * 8
}

/// The k-th static host of a /16 (or /20) starting at 10.b.0.0: third octet from 1, fourth
/// from 2 to 251, so it is never the network, broadcast, gateway or a reserved address.
fn host(b: usize, k: usize) -> String {
    format!("10.{b}.{}.{}", 1 + k / 250, 2 + k % 250)
}

/// The plan of a site. `servers_len` is the servers subnet's prefix length: 24 for the heavy
/// mix (as in every figure published before the fleet mix), 20 for the fleet mix's servers.
fn plan(site: usize, servers_len: u8) -> String {
    let (short, name, address) = SITES[site];
    let b = octet(site);
    let servers = b + 6;
    format!(
        "\
site: {short}
name: {name}
address: {address}
routing_domain: corp
domain: {short}.corp.example
dns: [10.{servers}.0.10, 10.{servers}.0.11]
ntp: [10.{servers}.0.12, 10.{servers}.0.13]
syslog: [10.{servers}.0.14, 10.{servers}.0.15]
dhcp_server: kea
policy:
  snmp: v3
  wifi: [wpa3-sae, wpa2-wpa3]
vlans:
  - id: 10
    name: users
    purpose: data
    description: staff workstations
    subnets:
      - prefix: 10.{b}.0.0/16
        gateway: 10.{b}.0.1
        dhcp: [10.{b}.192.1-10.{b}.255.254]
        reserved:
          - range: 10.{b}.0.2-10.{b}.0.250
            reason: infrastructure
      - prefix: 2001:db8:{site}:10::/64
        gateway: 2001:db8:{site}:10::1
  - id: 20
    name: voice
    purpose: voice
    subnets:
      - prefix: 10.{v}.0.0/16
        gateway: 10.{v}.0.1
        dhcp: [10.{v}.0.10-10.{v}.255.254]
  - id: 30
    name: wifi-staff
    purpose: wifi
    subnets:
      - prefix: 10.{w}.0.0/16
        gateway: 10.{w}.0.1
        dhcp: [10.{w}.0.10-10.{w}.255.254]
  - id: 40
    name: guest
    purpose: guest
    subnets:
      - prefix: 10.{g}.0.0/16
        gateway: 10.{g}.0.1
        dhcp: [10.{g}.0.10-10.{g}.255.254]
  - id: 50
    name: printers
    purpose: printers
    subnets:
      - prefix: 10.{p}.0.0/20
        gateway: 10.{p}.0.1
  - id: 99
    name: management
    purpose: management
    subnets:
      - prefix: 10.{m}.0.0/16
        gateway: 10.{m}.0.1
        reserved:
          - range: 10.{m}.0.2-10.{m}.0.250
            reason: routers and firewalls
  - id: 100
    name: servers
    purpose: servers
    subnets:
      - prefix: 10.{servers}.0.0/{servers_len}
        gateway: 10.{servers}.0.1
  - id: 999
    name: parking
    purpose: data
    description: unused ports, layer 2 only
",
        v = b + 1,
        w = b + 2,
        g = b + 3,
        p = b + 4,
        m = b + 5,
    )
}

const DEFAULTS: &str = "\
vars:
  timezone: CET
  utc_offset: 1
  syslog_level: warnings
  banner: |-
    Authorised access only. This equipment belongs to Example Corp.
    Every connection is logged; disconnect now if you are not authorised.
credentials:
  username: netadmin
  password: file:secrets/admin
  enable: file:secrets/enable
snmp:
  version: v3
  user: netparc
  auth: sha256
  auth_password: file:secrets/snmp-auth
  privacy: aes
  priv_password: file:secrets/snmp-priv
  contact: noc@corp.example
";

const GROUPS: &str = "\
switches:
  description: every access switch
  vars:
    syslog_level: informational
critical:
  description: switches serving critical rooms, logged in detail
  vars:
    syslog_level: debugging
access-points:
  description: every Wi-Fi access point
  vars:
    country: FR
";

const PLAYBOOK: &str = "\
name: Roll out the users VLAN
targets: \"kind:switch\"
change:
  requested_by: Jeanne Martin
  reason: new floor
  expected_return: desks connected
  risks: port flaps during push
  resources: one technician, 30 minutes
  responsible: Paul Durand
  relations: []
rollout:
  forks: 5
  serial: [1, \"50%\"]
  max_fail_percentage: 20
  pause: 30s
steps:
  - backup: {}
  - render: {}
  - push: {mode: merge}
  - verify: {}
";

const FIRST_NAMES: [&str; 12] = [
    "Jeanne", "Paul", "Camille", "Louis", "Chloe", "Hugo", "Manon", "Lucas", "Ines", "Nathan",
    "Lea", "Arthur",
];
const LAST_NAMES: [&str; 12] = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent",
];

/// Write the inventory at `root`; panics on I/O errors (this is the bench's own data).
fn generate(root: &Path, assets: usize, mix: Mix) -> Generated {
    let mut rng = Rng(0x6e65_7470_6172_6321);
    let mut out = Generated::default();
    let write = |relative: &str, text: &str| {
        let path = root.join(relative);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(&path, text).expect("write");
        (text.len(), path)
    };
    let mut files = 0;
    let mut bytes = 0;
    let mut add = |relative: &str, text: &str| {
        let (len, _) = write(relative, text);
        files += 1;
        bytes += len;
    };

    add(
        "netparc.yml",
        "name: bench\ndescription: generated by benches/check_speed.rs\ntemplates: templates\nplaybooks: playbooks\n",
    );
    for (site, (short, ..)) in SITES.iter().enumerate() {
        let servers_len = if mix == Mix::Fleet { 20 } else { 24 };
        add(&format!("plan/{short}.yml"), &plan(site, servers_len));
    }
    add("defaults.yml", DEFAULTS);
    add("groups.yml", GROUPS);
    add("playbooks/users.yml", PLAYBOOK);
    let templates = Path::new(MANIFEST_DIR).join("benches/templates/tera/ios");
    for name in [
        "_base.tera",
        "_management.tera",
        "access-switch.tera",
        "access-point.tera",
    ] {
        let text = fs::read_to_string(templates.join(name)).expect("bench template");
        fs::create_dir_all(root.join("templates/ios")).expect("mkdir");
        fs::write(root.join("templates/ios").join(name), text).expect("write");
    }
    // Strong secrets (about 140 bits each), files private to their owner as netparc requires.
    let alphabet = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!@*-_+=.";
    for name in [
        "admin",
        "enable",
        "snmp-auth",
        "snmp-priv",
        "wifi-staff",
        "wifi-guest",
    ] {
        let path = root.join("secrets").join(name);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(&path, rng.token(alphabet, 24)).expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
    }

    let (switches, access_points, workstations, phones, printers, servers) = match mix {
        Mix::Heavy => {
            let switches = assets * 7 / 10;
            let access_points = assets / 10;
            let end_devices = assets - switches - access_points;
            let printers = end_devices / 10;
            (
                switches,
                access_points,
                end_devices - printers,
                0,
                printers,
                0,
            )
        }
        Mix::Fleet => {
            let switches = assets * 4 / 100;
            let access_points = assets * 6 / 100;
            let workstations = assets * 75 / 100;
            let phones = assets * 6 / 100;
            let printers = assets * 4 / 100;
            let servers = assets - switches - access_points - workstations - phones - printers;
            (
                switches,
                access_points,
                workstations,
                phones,
                printers,
                servers,
            )
        }
    };
    // End devices are plugged into odd ports (phones into even ones): eight per switch on the
    // heavy mix's 24-port switches, twenty-two on the fleet's 48-port ones.
    let per_switch = if mix == Mix::Fleet { 22 } else { 8 };
    let sites = SITES.len();
    // Devices of one site are numbered per site: switch i is the (i / sites)-th of site i % sites.
    let mut management_next = [0usize; SITES.len()];
    let mut ports_of: Vec<Vec<usize>> = vec![Vec::new(); sites];

    for i in 0..switches {
        let site = i % sites;
        let number = i / sites + 1;
        let short = SITES[site].0;
        let name = format!("sw-{short}-{number:04}");
        let ports = if mix == Mix::Fleet || i % 3 == 0 {
            48
        } else {
            24
        };
        ports_of[site].push(ports);
        let address = host(octet(site) + 5, management_next[site]);
        management_next[site] += 1;
        let groups = if i % 20 == 7 {
            "[critical, switches]"
        } else {
            "[switches]"
        };
        let floor = 1 + number % 6;
        let mut text = format!(
            "\
# Access switch, building {building}, floor {floor}
name: {name}
kind: switch
platform: ios
role: access-switch
site: {short}
address: {address}
vlan: management
groups: {groups}
description: access switch, building {building} floor {floor}
model: C9200L-{ports}P-4X
serial: FOC{serial}
lifecycle:
  purchased: '2023-03-14'
  warranty_end: '2028-03-14'
  licence_end: '2026-12-31'
  supplier: Example Distribution
interfaces:
",
            building = ["A", "B", "C"][number % 3],
            serial = rng.token(b"0123456789ABCDEFGHJKLMNPRSTUVWXYZ", 8),
        );
        for port in 1..=ports {
            if port > ports - 4 {
                let _ = write!(
                    text,
                    "  - name: Gi1/0/{port}\n    description: spare\n    mode: unused\n"
                );
            } else {
                let _ = write!(
                    text,
                    "  - name: Gi1/0/{port}\n    description: desk {floor}-{desk:02}\n    vlan: users\n    voice_vlan: voice\n",
                    desk = port + rng.below(3),
                );
                if port % 6 == 0 {
                    text.push_str("    poe: false\n");
                }
            }
        }
        for uplink in 1..=2 {
            let _ = write!(
                text,
                "  - name: Te1/1/{uplink}\n    description: uplink to dist-{short}-{uplink}\n    mode: trunk\n    native_vlan: parking\n    allowed_vlans: [users, voice, wifi-staff, guest, printers, management]\n"
            );
        }
        out.interfaces += ports + 2;
        add(&format!("assets/{short}/switches/{name}.yml"), &text);
    }
    out.switches = switches;

    let mut lists: Vec<Vec<String>> = vec![Vec::new(); sites];
    for i in 0..access_points {
        let site = i % sites;
        let short = SITES[site].0;
        let address = host(octet(site) + 5, management_next[site]);
        management_next[site] += 1;
        lists[site].push(format!(
            "\
- name: ap-{short}-{number:04}
  kind: access_point
  platform: ios
  role: access-point
  site: {short}
  address: {address}
  vlan: management
  groups: [access-points]
  model: C9120AXI-E
  serial: FGL{serial}
  ssids:
    - name: Corp
      vlan: wifi-staff
      security: wpa3-sae
      psk: file:secrets/wifi-staff
      bands: ['5', '6']
    - name: Corp-Guest
      vlan: guest
      security: wpa2-wpa3
      psk: file:secrets/wifi-guest
      bands: ['2.4', '5']
",
            number = i / sites + 1,
            serial = rng.token(b"0123456789ABCDEFGHJKLMNPRSTUVWXYZ", 8),
        ));
    }
    out.access_points = access_points;
    write_lists(&mut add, &lists, "access-points", 50);

    let mut lists: Vec<Vec<String>> = vec![Vec::new(); sites];
    let mut per_site = [0usize; SITES.len()];
    for i in 0..workstations {
        let site = i % sites;
        let short = SITES[site].0;
        let k = per_site[site];
        per_site[site] += 1;
        let user = format!("{} {}", rng.pick(&FIRST_NAMES), rng.pick(&LAST_NAMES));
        let mac = format!(
            "3c:52:82:{:02x}:{:02x}:{:02x}",
            site,
            (k >> 8) & 0xff,
            k & 0xff
        );
        // Odd ports from 1: always access ports.
        let link = link(&ports_of[site], short, k, per_switch, 1);
        lists[site].push(format!(
            "\
- name: pc-{short}-{k:05}
  kind: workstation
  site: {short}
  address: {address}
  vlan: users
  mac: {mac}
  user: {user}
  model: Latitude 5440
  serial: {serial}
  lifecycle: {{purchased: '2024-09-02', warranty_end: '2027-09-02'}}
{link}",
            address = host(octet(site), k),
            serial = rng.token(b"0123456789ABCDEFGHJKLMNPRSTUVWXYZ", 7),
        ));
    }
    out.workstations = workstations;
    write_lists(&mut add, &lists, "workstations", 100);

    let mut lists: Vec<Vec<String>> = vec![Vec::new(); sites];
    for i in 0..printers {
        let site = i % sites;
        let short = SITES[site].0;
        let k = i / sites;
        lists[site].push(format!(
            "\
- name: prn-{short}-{k:04}
  kind: printer
  site: {short}
  address: {address}
  vlan: printers
  mac: 00:1b:a9:{site:02x}:{:02x}:{:02x}
  model: MFC-L8900CDW
",
            (k >> 8) & 0xff,
            k & 0xff,
            address = host(octet(site) + 4, k),
        ));
    }
    out.printers = printers;
    write_lists(&mut add, &lists, "printers", 100);

    // Phones: on the voice VLAN by DHCP (no static address), each on the even port beside
    // its desk's workstation.
    let mut lists: Vec<Vec<String>> = vec![Vec::new(); sites];
    for i in 0..phones {
        let site = i % sites;
        let short = SITES[site].0;
        let k = i / sites;
        let user = format!("{} {}", rng.pick(&FIRST_NAMES), rng.pick(&LAST_NAMES));
        lists[site].push(format!(
            "\
- name: tel-{short}-{k:05}
  kind: phone
  site: {short}
  vlan: voice
  mac: 00:04:f2:{site:02x}:{:02x}:{:02x}
  user: {user}
  model: CP-8841
  serial: {serial}
{link}",
            (k >> 8) & 0xff,
            k & 0xff,
            serial = rng.token(b"0123456789ABCDEFGHJKLMNPRSTUVWXYZ", 11),
            link = link(&ports_of[site], short, k, per_switch, 2),
        ));
    }
    out.phones = phones;
    write_lists(&mut add, &lists, "phones", 100);

    let mut lists: Vec<Vec<String>> = vec![Vec::new(); sites];
    for i in 0..servers {
        let site = i % sites;
        let short = SITES[site].0;
        let k = i / sites;
        lists[site].push(format!(
            "\
- name: srv-{short}-{k:04}
  kind: server
  site: {short}
  address: {address}
  vlan: servers
  description: application server
  model: PowerEdge R660
  serial: {serial}
  lifecycle:
    purchased: '2025-01-15'
    warranty_end: '2030-01-15'
    licence_end: '2030-01-15'
    supplier: Example Distribution
",
            address = host(octet(site) + 6, k),
            serial = rng.token(b"0123456789ABCDEFGHJKLMNPRSTUVWXYZ", 7),
        ));
    }
    out.servers = servers;
    write_lists(&mut add, &lists, "servers", 50);

    out.files = files;
    out.yaml_bytes = bytes;
    out
}

/// The `connected_to` line of the `k`-th end device of a site: port `first + 2 * (k %
/// per_switch)` of switch `k / per_switch`, or nothing when the site has too few switches.
fn link(switches: &[usize], short: &str, k: usize, per_switch: usize, first: usize) -> String {
    let switch = k / per_switch;
    if switch < switches.len() {
        format!(
            "  connected_to: {{switch: sw-{short}-{:04}, port: Gi1/0/{}}}\n",
            switch + 1,
            first + 2 * (k % per_switch)
        )
    } else {
        String::new()
    }
}

/// Write each site's items as list files of `chunk` assets: `assets/<site>/<kind>-NNN.yml`.
fn write_lists(add: &mut impl FnMut(&str, &str), lists: &[Vec<String>], kind: &str, chunk: usize) {
    for (site, items) in lists.iter().enumerate() {
        for (index, part) in items.chunks(chunk).enumerate() {
            let text = format!("# {kind} of site {}\n{}", SITES[site].0, part.concat());
            add(
                &format!("assets/{}/{kind}-{index:03}.yml", SITES[site].0),
                &text,
            );
        }
    }
}

fn write_private(path: &Path, text: &str) {
    fs::write(path, "").expect("create");
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).expect("chmod");
    fs::write(path, text).expect("write");
}
