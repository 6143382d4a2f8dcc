//! claim add (every quantity kind, every scope kind, optional fields) and
//! the claims listing with its filters.

use crate::{claim_add, claim_id, id_in, seed_lines_where, Store};
use serde_json::{json, Value};

/// Adds a claim and returns its full id, from "added claim X at seq N (id ID)".
fn add(s: &Store, overrides: &[(&str, Option<&str>)]) -> String {
    let out = s.ok(claim_add(overrides));
    assert!(out.starts_with("added claim "), "{out}");
    id_in(&out)
}

fn claim_json(s: &Store, id: &str) -> Value {
    s.json(["show", id])["claim"].clone()
}

#[test]
fn claim_add_records_every_quantity_kind() {
    let s = Store::with_source();
    let cases: [(&str, &str, Value, &str); 5] = [
        ("--exact", "207", json!({"exact": 207}), "207"),
        (
            "--at-least",
            "7000",
            json!({"at_least": 7000}),
            "at least 7000",
        ),
        ("--at-most", "40", json!({"at_most": 40}), "at most 40"),
        ("--approx", "8000", json!({"approx": 8000}), "about 8000"),
        (
            "--range",
            "40..50",
            json!({"range": {"low": 40, "high": 50}}),
            "40..50",
        ),
    ];
    for (i, (flag, value, stored, shown)) in cases.into_iter().enumerate() {
        let date = format!("2024-03-{:02}", i + 1);
        let id = add(
            &s,
            &[
                ("--exact", None),
                (flag, Some(value)),
                ("--date", Some(&date)),
            ],
        );
        let c = claim_json(&s, &id);
        assert_eq!(c["claim"]["quantity"], stored, "{flag}");
        let text = s.ok(["show", &id]);
        assert!(
            text.contains(&format!("quantity   {shown} (")),
            "{flag}: {text}"
        );
    }
    assert_eq!(s.all_claims().len(), 5);
}

#[test]
fn claim_add_records_every_scope_kind() {
    let s = Store::with_source();
    let event = add(
        &s,
        &[
            ("--date", Some("unknown")),
            ("--label", Some("19 March exchange (year not stated)")),
        ],
    );
    let period = add(
        &s,
        &[
            ("--scope", Some("period")),
            ("--date", None),
            ("--period", Some("2024-03")),
        ],
    );
    let cumulative = add(
        &s,
        &[
            ("--scope", Some("cumulative")),
            ("--date", None),
            ("--since", Some("2022-02-24")),
            ("--as-of", Some("2025-01")),
            ("--label", Some("since the full-scale invasion")),
            ("--exact", Some("3956")),
        ],
    );
    // A change is signed: a negative figure is allowed here only.
    let change = add(
        &s,
        &[
            ("--scope", Some("change")),
            ("--date", None),
            ("--period", Some("2024")),
            ("--baseline", Some("2023-01-01..2023-12-31")),
            ("--exact", Some("-12")),
        ],
    );
    assert_eq!(
        claim_json(&s, &event)["claim"]["scope"],
        json!({"kind": "event", "date": "unknown", "label": "19 March exchange (year not stated)"})
    );
    assert_eq!(
        claim_json(&s, &period)["claim"]["scope"],
        json!({"kind": "period", "from": "2024-03-01", "to": "2024-03-31"})
    );
    assert_eq!(
        claim_json(&s, &cumulative)["claim"]["scope"],
        json!({"kind": "cumulative", "since": "2022-02-24", "as_of": "2025-01", "label": "since the full-scale invasion"})
    );
    let ch = claim_json(&s, &change);
    assert_eq!(
        ch["claim"]["scope"],
        json!({"kind": "change",
               "period": {"from": "2024-01-01", "to": "2024-12-31"},
               "baseline": {"from": "2023-01-01", "to": "2023-12-31"}})
    );
    assert_eq!(ch["claim"]["quantity"], json!({"exact": -12}));
    let list = s.ok(["claims"]);
    assert!(
        list.contains("[event on unknown (19 March exchange"),
        "{list}"
    );
    assert!(list.contains("[period 2024-03-01..2024-03-31]"), "{list}");
    assert!(
        list.contains("[cumulative since 2022-02-24 as of 2025-01"),
        "{list}"
    );
    assert!(list.contains("= -12 [change 2024 vs 2023]"), "{list}");
}

#[test]
fn claim_add_keeps_optional_provenance_fields_and_breakdown() {
    let s = Store::with_source();
    s.ok(["source", "add", "hq", "--name", "HQ", "--kind", "official"]);
    let id = add(
        &s,
        &[
            ("--speaker", Some("Dmytro Lubinets")),
            ("--cites", Some("hq")),
            ("--url", Some("https://example.org/a?b=1")),
            ("--note", Some("a note\nover two lines")),
            ("--breakdown", Some("category=civilian")),
            ("--published", Some("unknown")),
        ],
    );
    let shown = claim_json(&s, &id);
    let c = &shown["claim"];
    assert_eq!(c["speaker"], "Dmytro Lubinets");
    assert_eq!(c["cites"], "hq");
    assert_eq!(c["url"], "https://example.org/a?b=1");
    assert_eq!(c["note"], "a note\nover two lines");
    assert_eq!(c["breakdown"], json!({"category": "civilian"}));
    assert_eq!(c["published"], "unknown");
    let text = s.ok(["show", &id]);
    assert!(
        text.contains("metric     people_returned [category=civilian]"),
        "{text}"
    );
    assert!(text.contains("published  date unknown"), "{text}");
}

#[test]
fn claim_add_of_an_identical_active_claim_appends_nothing() {
    let s = Store::with_source();
    let id = add(&s, &[]);
    let head = s.head();
    let out = s.ok(claim_add(&[]));
    assert_eq!(
        out.trim(),
        format!(
            "an identical active claim is already recorded: {} (nothing appended)",
            &id[..12]
        )
    );
    assert_eq!(s.head(), head);
}

#[test]
fn claim_add_reports_the_seq_and_full_id() {
    let s = Store::with_source();
    let out = s.ok(claim_add(&[]));
    // genesis 0, source 1, this claim 2.
    let id = out
        .trim()
        .rsplit_once("(id ")
        .unwrap()
        .1
        .trim_end_matches(')');
    assert_eq!(id.len(), 64);
    assert_eq!(
        out.trim(),
        format!("added claim {} at seq 2 (id {id})", &id[..12])
    );
    assert_eq!(s.head(), format!("2 {id}"));
}

#[test]
fn claims_without_filters_lists_the_32_active_seed_claims_in_seq_order() {
    let s = Store::seeded();
    let list = s.ok(["claims"]);
    assert_eq!(list.lines().count(), 32);
    let seqs: Vec<u64> = list
        .lines()
        .map(|l| l.split_whitespace().nth(2).unwrap().parse().unwrap())
        .collect();
    assert_eq!(seqs, (10..=41).collect::<Vec<u64>>());
}

#[test]
fn claims_filters_by_metric() {
    let s = Store::seeded();
    let list = s.ok(["claims", "--metric", "exchanges"]);
    assert_eq!(list.lines().count(), 4, "{list}");
    assert!(list.lines().all(|l| l.contains(" exchanges = ")), "{list}");
}

#[test]
fn claims_filters_by_source() {
    let s = Store::seeded();
    let j = s.json(["claims", "--source", "rubryka"]);
    let n = j.as_array().unwrap().len();
    assert_eq!(n, seed_lines_where("source", "rubryka"));
    assert!(n > 0);
    assert!(j
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["claim"]["source"] == "rubryka"));
}

#[test]
fn claims_filters_by_period_overlap_and_combines_filters() {
    let s = Store::seeded();
    let j = s.json(["claims", "--metric", "exchanges", "--period", "2024"]);
    let q: Vec<&Value> = j
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["claim"]["quantity"])
        .collect();
    assert_eq!(q, [&json!({"exact": 11}), &json!({"exact": 11})]);
    let j = s.json([
        "claims",
        "--metric",
        "exchanges",
        "--period",
        "2024",
        "--source",
        "kyiv-independent",
    ]);
    assert_eq!(j.as_array().unwrap().len(), 1);
    // Dated events: 2024-10-18 and 2024-12-30 fall in 2024-10..2024-12-31.
    let j = s.json([
        "claims",
        "--metric",
        "people_returned",
        "--period",
        "2024-10-01..2024-12-31",
    ]);
    let vals: Vec<i64> = j
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["claim"]["scope"]["kind"] == "event")
        .map(|c| c["claim"]["quantity"]["exact"].as_i64().unwrap())
        .collect();
    assert_eq!(vals, [189, 190]);
}

#[test]
fn claims_all_includes_retracted_and_corrected_claims() {
    let s = Store::seeded();
    let a = claim_id(&s, "exchanges", "kyiv-independent", 11);
    let b = claim_id(&s, "exchanges", "seed-001-outlet", 11);
    s.ok(["retract", &a, "--reason", "test"]);
    s.ok(["correct", &b, "--exact", "12", "--reason", "test"]);
    let active = s.ok(["claims", "--metric", "exchanges"]);
    assert_eq!(active.lines().count(), 3, "{active}");
    assert!(
        !active.contains("retracted") && !active.contains("corrected"),
        "{active}"
    );
    let all = s.ok(["claims", "--metric", "exchanges", "--all"]);
    assert_eq!(all.lines().count(), 5, "{all}");
    assert!(
        all.contains(&format!("{}  seq 28    retracted", &a[..12])),
        "{all}"
    );
    assert!(
        all.contains("corrected exchanges = 11 [period 2024] per seed-001-outlet"),
        "{all}"
    );
}

#[test]
fn claims_with_no_match_says_so_and_succeeds() {
    let s = Store::seeded();
    let r = s.run(["claims", "--metric", "nothing_like_this"]);
    assert_eq!(r.code, Some(0));
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("no claims match"), "{}", r.stderr);
    assert_eq!(s.json(["claims", "--source", "nobody"]), json!([]));
}

#[test]
fn claims_rejects_a_malformed_period() {
    let s = Store::seeded();
    s.rejects(["claims", "--period", "2024-13"], &["--period", "month 13"]);
    s.rejects(
        ["claims", "--period", "2024-05-01..2024-01-01"],
        &["--period", "starts (2024-05-01) after it ends (2024-01-01)"],
    );
}

/// `claims` lists in the order claims were recorded, though the cache
/// holds them by metric, part and scope: 1400 generated claims (dates
/// out of order, some retracted or corrected) go through the on-disk sort
/// (runs of 65 in a debug build: past 20 of them, extsort merges with a
/// heap, as it does for a large store) and, with --json, chunks of 64.
#[test]
fn claims_of_a_large_store_come_in_seq_order_through_the_on_disk_sort() {
    let s = Store::fresh();
    s.import_generated(1400, 11);
    let all = s.all_claims();
    let seqs: Vec<u64> = all.iter().map(|c| c["seq"].as_u64().unwrap()).collect();
    assert!(seqs.len() > 20 * 65, "{} claims", seqs.len());
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "not in seq order");
    let ended = all
        .iter()
        .filter(|c| c["status"]["status"] != "active")
        .count();
    assert!(ended > 0, "the workload ends some claims");
    // Every claim a metric's listing holds, in the same order.
    let mut by_metric: Vec<u64> = Vec::new();
    let metrics: std::collections::BTreeSet<String> = all
        .iter()
        .map(|c| c["claim"]["metric"].as_str().unwrap().to_string())
        .collect();
    for m in &metrics {
        let j = s.json(["claims", "--all", "--metric", m]);
        let mine: Vec<u64> = j
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["seq"].as_u64().unwrap())
            .collect();
        assert!(mine.windows(2).all(|w| w[0] < w[1]), "{m} not in seq order");
        by_metric.extend(mine);
    }
    by_metric.sort_unstable();
    assert_eq!(by_metric, seqs);
    // The text listing: the active ones, in the same order.
    let active: Vec<u64> = all
        .iter()
        .filter(|c| c["status"]["status"] == "active")
        .map(|c| c["seq"].as_u64().unwrap())
        .collect();
    let text: Vec<u64> = s
        .ok(["claims"])
        .lines()
        .map(|l| l.split_whitespace().nth(2).unwrap().parse().unwrap())
        .collect();
    assert_eq!(text, active);
}

/// Regression: a listing its reader stops (`claims | head`) is ended by
/// SIGPIPE before any destructor runs; the sort's runs it had written (in
/// the store directory) are removed by the next command that opens the
/// store, and none went to the system's temporary directory.
#[test]
fn claims_stopped_by_its_reader_leaves_no_runs_behind_after_the_next_open() {
    let s = Store::fresh();
    // More claims than the binary sorts in memory (runs of 64 in a debug
    // build, 25,000 in a release one; this test is built alike), and
    // more text than a pipe buffers.
    s.import_generated(if cfg!(debug_assertions) { 1500 } else { 26_000 }, 5);
    let tmp = tempfile::tempdir().unwrap();
    s.stopped_by_its_reader(&["claims", "--all"], tmp.path());
    let runs = || {
        std::fs::read_dir(&s.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".rebuild-"))
            .count()
    };
    assert_eq!(runs(), 1, "the stopped listing's runs are where expected");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    s.ok(["head"]);
    assert_eq!(runs(), 0, "the next open removes them");
}
