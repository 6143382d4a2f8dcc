//! The in-process half of the performance suite, driven by benches/run.sh
//! (see docs/PERFORMANCE.md). Each subcommand measures one thing once and
//! prints `RESULT<TAB>n<TAB>name<TAB>value<TAB>unit` lines; `report` turns
//! the collected lines into the table of figures and ratios.
//!
//! Besides claimlog itself it measures the limits (raw write+fdatasync,
//! raw read + blake3 chain, serde_json parse, raw sled inserts) and a peer, an SQLite table
//! (sqlite_peer.rs), on the same data in the same run. The peer is a
//! dev-dependency of the benches only; claimlog never uses it.

mod limits;
mod report;
mod sqlite_peer;

use claimlog::{Event, Parsed, Store, StoreOptions};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

/// What the claimlog binary runs on, so that in-process figures (single
/// appends, queries) are the binary's.
#[global_allocator]
static ALLOCATOR: claimlog::Allocator = claimlog::Allocator;

const USAGE: &str = "usage: suite <command> [--flag value]...
  append --store DIR --jsonl FILE --count K --n N   K durable single appends, and the raw write+fdatasync loop
  scan   --store DIR --n N                          raw read + blake3 chain over the segment files
  parse  --jsonl FILE --n N                         serde_json parse of every line
  sled   --dir DIR --n N [--value BYTES]            raw sled: N inserts (48-byte random key), flushed
  query  --store DIR --n N [--metric M] [--period P] [--seconds S]   total/explain p50/p99
  prove  --store DIR --n N [--seconds S]            inclusion proof generation and check, in-process
  keys   --store DIR --n N                          the cache's keys and bytes, by key prefix
  load   --store DIR --dir DIR --n N                raw sled: the cache's own entries, in claimlog's load order, into a fresh tree
  sqlite --jsonl FILE --dir DIR --count K --n N     the SQLite peer: import, appends, chain check, total
  report FILE                                       the markdown table of figures and ratios";

pub type Flags = BTreeMap<String, String>;

fn flags(args: &[String]) -> Flags {
    let mut m = BTreeMap::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if let Some(k) = a.strip_prefix("--") {
            let v = match it.clone().next() {
                Some(v) if !v.starts_with("--") => it.next().cloned().unwrap_or_default(),
                _ => String::new(),
            };
            m.insert(k.to_string(), v);
        }
    }
    m
}

pub fn get<'a>(f: &'a Flags, k: &str) -> &'a str {
    f.get(k)
        .map(String::as_str)
        .unwrap_or_else(|| panic!("missing --{k}\n{USAGE}"))
}

/// `--jsonl A,B,...`: the workload files (a store larger than one import
/// file is built from several, in order).
pub fn files(f: &Flags) -> Vec<String> {
    get(f, "jsonl").split(',').map(str::to_string).collect()
}

pub fn num(f: &Flags, k: &str, default: f64) -> f64 {
    f.get(k).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// One figure, in the line format `report` reads.
pub fn result(n: &str, name: &str, value: f64, unit: &str) {
    println!("RESULT\t{n}\t{name}\t{value}\t{unit}");
}

/// Sorted latencies in seconds -> the q-quantile (nearest rank).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Runs `f` until `seconds` have passed (at least 5 and at most 10,000
/// times) and returns the sorted latencies in seconds.
pub fn sample(seconds: f64, mut f: impl FnMut()) -> Vec<f64> {
    let start = Instant::now();
    let mut v = Vec::new();
    while v.len() < 10_000 && (v.len() < 5 || start.elapsed().as_secs_f64() < seconds) {
        let t = Instant::now();
        f();
        v.push(t.elapsed().as_secs_f64());
    }
    v.sort_by(f64::total_cmp);
    v
}

/// The first `k` claim lines of an import file, as events.
pub fn claim_events(jsonl: &str, k: usize) -> Vec<Event> {
    let text = std::fs::File::open(jsonl).expect("workload file");
    let mut out = Vec::with_capacity(k);
    for line in std::io::BufRead::lines(std::io::BufReader::new(text)) {
        if out.len() == k {
            break;
        }
        let line = line.expect("read");
        if let Ok(Parsed::Claim(c)) = claimlog::parse_line(&line) {
            out.push(Event::ClaimAdded(c));
        }
    }
    out
}

/// Rounds of `suite append`: the store's appends and the two raw loops
/// take turns, so that a drift of the machine over the run (other I/O,
/// the disk's state) falls on all three alike.
const APPEND_ROUNDS: usize = 10;

fn append(f: &Flags) {
    let n = get(f, "n");
    let dir = PathBuf::from(get(f, "store"));
    let k = num(f, "count", 1000.0) as usize;
    let mut events = claim_events(&files(f)[0], k).into_iter();
    let k = events.len();
    let mut store = Store::open(&dir, StoreOptions::default()).expect("open store");
    let seg_before = limits::log_bytes(&dir);
    // The raw loops write frames of the store's average size: measured on
    // a first round of appends, which is not timed.
    let warm = (k / (APPEND_ROUNDS + 1)).max(1);
    for e in events.by_ref().take(warm) {
        store.append(vec![e]).expect("append");
    }
    let frame = (limits::log_bytes(&dir) - seg_before) / warm as u64;
    let timed = events.len();
    let mut raw = limits::SyncLoop::new(&dir, "raw-append.tmp", timed, frame as usize, false);
    let mut over = limits::SyncLoop::new(&dir, "raw-overwrite.tmp", timed, frame as usize, true);
    let (mut t_store, mut t_raw, mut t_over) = (0.0, 0.0, 0.0);
    let mut ratios = Vec::new();
    for round in 0..APPEND_ROUNDS {
        let share = timed / APPEND_ROUNDS + usize::from(round < timed % APPEND_ROUNDS);
        let t = Instant::now();
        for e in events.by_ref().take(share) {
            store.append(vec![e]).expect("append");
        }
        // A round ends when its last write has reached the cache.
        store.cache().settle().expect("settle");
        let s = t.elapsed().as_secs_f64();
        let r = raw.run(share);
        t_over += over.run(share);
        t_store += s;
        t_raw += r;
        ratios.push(r / s);
    }
    store.flush().expect("flush");
    drop(store);
    ratios.sort_by(f64::total_cmp);
    result(n, "append.claimlog", timed as f64 / t_store, "appends/s");
    result(n, "append.count", timed as f64, "appends");
    result(n, "append.frame_bytes", frame as f64, "bytes");
    result(n, "append.raw", timed as f64 / t_raw, "appends/s");
    result(
        n,
        "append.raw_overwrite",
        timed as f64 / t_over,
        "appends/s",
    );
    result(n, "append.rounds", APPEND_ROUNDS as f64, "rounds");
    result(n, "append.round_ratio_min", ratios[0], "x");
    result(n, "append.round_ratio_max", ratios[ratios.len() - 1], "x");
}

fn scan(f: &Flags) {
    let n = get(f, "n");
    let (records, bytes, secs) = limits::read_chain(&PathBuf::from(get(f, "store")).join("log"));
    result(n, "verify.raw", secs, "s");
    result(n, "scan.records", records as f64, "records");
    result(n, "scan.bytes", bytes as f64, "bytes");
}

fn sled(f: &Flags) {
    let n = get(f, "n");
    let count: u64 = n.parse().expect("--n is a number");
    let value = num(f, "value", 256.0) as usize;
    let (secs, bytes) = limits::sled_fill(&PathBuf::from(get(f, "dir")), count, value);
    result(n, "sled.fill", secs, "s");
    result(n, "sled.disk", bytes as f64, "bytes");
    result(n, "sled.value", value as f64, "bytes");
}

/// The cache's entries read into memory, then timed into a fresh sled
/// tree (`limits::sled_load`): what writing the cache costs at least.
fn load(f: &Flags) {
    let n = get(f, "n");
    let entries: Vec<(sled::IVec, sled::IVec)> = {
        let store = Store::open(&PathBuf::from(get(f, "store")), StoreOptions::default())
            .expect("open store");
        let tree = store.cache().raw_tree();
        tree.iter().map(|kv| kv.expect("cache entry")).collect()
    };
    let (secs, bytes) = limits::sled_load(&PathBuf::from(get(f, "dir")), &entries);
    result(n, "sled.load", secs, "s");
    result(n, "sled.load_disk", bytes as f64, "bytes");
}

fn parse(f: &Flags) {
    let n = get(f, "n");
    let (mut lines, mut secs) = (0, 0.0);
    for file in files(f) {
        let (l, s) = limits::parse_json(&file);
        lines += l;
        secs += s;
    }
    result(n, "import.parse_json", secs, "s");
    result(n, "parse.lines", lines as f64, "lines");
}

fn query(f: &Flags) {
    let n = get(f, "n");
    let store =
        Store::open(&PathBuf::from(get(f, "store")), StoreOptions::default()).expect("open store");
    let q = claimlog::Query {
        metric: claimlog::Slug::new(f.get("metric").map_or("people_returned", |s| s))
            .expect("metric"),
        breakdown: claimlog::Breakdown::default(),
        period: Some(
            claimlog::Period::parse(f.get("period").map_or("2024", |s| s)).expect("period"),
        ),
        policy: "official-first".parse().expect("policy"),
        filter: claimlog::Filter::default(),
    };
    let secs = num(f, "seconds", 10.0);
    let mut answer = None;
    // `claimlog total`: the figures only (resolved days come from the memo,
    // filled by the first run; `total via CLI` in run.sh is that first run).
    let t = sample(secs, || {
        answer = Some(claimlog::total_brief(store.cache(), &q).expect("total"));
    });
    result(n, "total.p50", quantile(&t, 0.5) * 1e3, "ms");
    result(n, "total.p99", quantile(&t, 0.99) * 1e3, "ms");
    result(n, "total.samples", t.len() as f64, "runs");
    // The same for all time: every day of the memo, and the running
    // totals of the latest as-of days (read backwards from the last).
    let all_time = claimlog::Query {
        period: None,
        ..q.clone()
    };
    let t = sample(secs, || {
        claimlog::total_brief(store.cache(), &all_time).expect("all-time total");
    });
    result(n, "total_all_time.p50", quantile(&t, 0.5) * 1e3, "ms");
    result(n, "total_all_time.p99", quantile(&t, 0.99) * 1e3, "ms");
    // `explain --json`: the same total with the claims each group's
    // figure rests on (from the memo, like total), rendered; and
    // `explain --all --json`: every claim of every group (no memo).
    type Explain =
        fn(&claimlog::Cache, &claimlog::Query) -> Result<claimlog::Total, claimlog::ProjectError>;
    let runs: [(&str, Explain); 2] = [
        ("explain", claimlog::explain),
        ("explain_all", claimlog::total),
    ];
    for (name, explain) in runs {
        let mut bytes = 0;
        let e = sample(secs, || {
            let t = explain(store.cache(), &q).expect(name);
            bytes = serde_json::to_string(&t).expect("json").len();
        });
        result(n, &format!("{name}.p50"), quantile(&e, 0.5) * 1e3, "ms");
        result(n, &format!("{name}.p99"), quantile(&e, 0.99) * 1e3, "ms");
        result(n, &format!("{name}.bytes"), bytes as f64, "bytes");
    }
    if let Some(a) = answer.and_then(|t| t.answer) {
        eprintln!("total: {} via {}", a.estimate, a.route);
    }
}

fn prove(f: &Flags) {
    let n = get(f, "n");
    let store =
        Store::open(&PathBuf::from(get(f, "store")), StoreOptions::default()).expect("open store");
    let len = store.len();
    let mut i = 0u64;
    let mut bundle = None;
    let g = sample(num(f, "seconds", 5.0), || {
        i = (i * 7919 + 104_729) % len;
        bundle = Some(claimlog::export::prove(&store, i, None, None).expect("prove"));
    });
    let b = bundle.expect("a bundle");
    let c = sample(1.0, || {
        claimlog::export::verify_proof(&b, &[]).expect("a valid proof");
    });
    result(n, "prove.p50", quantile(&g, 0.5) * 1e3, "ms");
    result(n, "verify_proof.p50", quantile(&c, 0.5) * 1e3, "ms");
}

/// What the cache holds, by key prefix (`g/`, `c/`, ...): entries, key
/// bytes and value bytes per claim, and in all. Where sled's bytes and
/// pages come from, for deciding what a layout change would save.
fn keys(f: &Flags) {
    let n = get(f, "n");
    let per: f64 = n.parse().expect("--n");
    let store =
        Store::open(&PathBuf::from(get(f, "store")), StoreOptions::default()).expect("open store");
    let mut by: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    for kv in store.cache().raw_tree().iter() {
        let (k, v) = kv.expect("cache entry");
        let prefix = match k.iter().position(|b| *b == b'/') {
            Some(i) => String::from_utf8_lossy(&k[..=i]).into_owned(),
            None => String::from_utf8_lossy(&k).into_owned(),
        };
        let e = by.entry(prefix).or_default();
        e.0 += 1;
        e.1 += k.len() as u64;
        e.2 += v.len() as u64;
    }
    let (mut entries, mut bytes) = (0, 0);
    for (prefix, (count, kb, vb)) in &by {
        let name = prefix.trim_end_matches('/').replace('!', "meta_");
        result(
            n,
            &format!("keys.{name}.entries_per_claim"),
            *count as f64 / per,
            "entries",
        );
        result(
            n,
            &format!("keys.{name}.key_bytes_per_claim"),
            *kb as f64 / per,
            "bytes",
        );
        result(
            n,
            &format!("keys.{name}.value_bytes_per_claim"),
            *vb as f64 / per,
            "bytes",
        );
        entries += count;
        bytes += kb + vb;
    }
    result(n, "keys.entries_per_claim", entries as f64 / per, "entries");
    result(n, "keys.bytes_per_claim", bytes as f64 / per, "bytes");
}

fn main() {
    // `cargo bench` adds a bare `--bench`; the suite has no use for it.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let f = flags(&args);
    match args.first().map(String::as_str) {
        Some("append") => append(&f),
        Some("scan") => scan(&f),
        Some("parse") => parse(&f),
        Some("sled") => sled(&f),
        Some("query") => query(&f),
        Some("prove") => prove(&f),
        Some("keys") => keys(&f),
        Some("load") => load(&f),
        Some("sqlite") => sqlite_peer::run(&f),
        Some("report") => report::run(&args[1]),
        // `cargo test --benches` and `cargo bench` without arguments land
        // here: the suite is driven by benches/run.sh, not by cargo.
        _ => eprintln!("{USAGE}\n(run benches/run.sh; nothing measured)"),
    }
}
