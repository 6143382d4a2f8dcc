//! Criterion micro-benchmarks: the per-operation costs behind the suite's
//! whole-run figures (docs/PERFORMANCE.md), each next to its limit.
//!
//!     cargo bench --bench micro
//!
//! Runs on the bundled seed dataset in a temporary store; the large-store
//! figures come from benches/run.sh.

use claimlog::{Event, Parsed, Store, StoreOptions};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::io::Write;
use std::time::Duration;

const SEED: &str = include_str!("../docs/examples/seed-claims.jsonl");

fn seed_store(dir: &std::path::Path) -> Store {
    let mut s = Store::create(
        &dir.join("store"),
        claimlog::Origin::new("bench.example/micro").expect("origin"),
        StoreOptions::default(),
    )
    .expect("create");
    claimlog::import(&mut s, SEED.as_bytes()).expect("import the seed dataset");
    s
}

fn claim_line() -> &'static str {
    SEED.lines()
        .find(|l| matches!(claimlog::parse_line(l), Ok(Parsed::Claim(_))))
        .expect("a claim line")
}

fn benches(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut store = seed_store(tmp.path());
    let line = claim_line();
    let Ok(Parsed::Claim(claim)) = claimlog::parse_line(line) else {
        unreachable!("checked by claim_line")
    };
    let rec = store.record(store.head().seq).expect("head record");
    let frame = vec![7u8; rec.bytes.len() + claimlog::FRAME_OVERHEAD];

    let mut g = c.benchmark_group("append");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    g.bench_function("claimlog durable single append", |b| {
        b.iter(|| {
            store
                .append(vec![Event::ClaimAdded(claim.clone())])
                .expect("append")
        })
    });
    let raw_path = tmp.path().join("raw");
    let mut raw = std::fs::File::create(&raw_path).expect("raw file");
    g.bench_function("limit: write + fdatasync of one frame", |b| {
        b.iter(|| {
            raw.write_all(&frame).expect("write");
            raw.sync_data().expect("fdatasync");
        })
    });
    g.finish();

    let mut g = c.benchmark_group("per record");
    g.sample_size(30)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    g.bench_function("claimlog parse_line (claim)", |b| {
        b.iter(|| claimlog::parse_line(black_box(line)).expect("parse"))
    });
    g.bench_function("limit: serde_json Value parse", |b| {
        b.iter(|| serde_json::from_str::<serde_json::Value>(black_box(line)).expect("json"))
    });
    g.bench_function("claimlog decode_record", |b| {
        b.iter(|| claimlog::decode_record(black_box(&rec.bytes)).expect("decode"))
    });
    g.bench_function("limit: blake3 record hash", |b| {
        b.iter(|| claimlog::record_hash(black_box(&rec.record.prev), black_box(&rec.bytes)))
    });
    g.finish();

    let q = claimlog::Query {
        metric: claimlog::Slug::new("people_returned").expect("metric"),
        breakdown: claimlog::Breakdown::default(),
        period: Some(claimlog::Period::parse("2024").expect("period")),
        policy: "official-first".parse().expect("policy"),
        filter: claimlog::Filter::default(),
    };
    let mut g = c.benchmark_group("query");
    g.sample_size(30)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    g.bench_function("total people_returned 2024 (seed store)", |b| {
        b.iter(|| claimlog::total(store.cache(), black_box(&q)).expect("total"))
    });
    g.finish();
}

criterion_group!(micro, benches);
criterion_main!(micro);
