//! The cache is derived: deleting it, or `rebuild`, changes no answer.

use crate::{claim_id, Store};

const QUERIES: &[&[&str]] = &[
    &["total", "--metric", "people_returned", "--period", "2024"],
    &["total", "--metric", "people_returned", "--period", "2023"],
    &["total", "--metric", "exchanges", "--period", "2024"],
    &["total", "--metric", "bodies_repatriated"],
    &[
        "total",
        "--metric",
        "people_returned",
        "--breakdown",
        "category=civilian",
    ],
    &["explain", "--metric", "people_returned", "--period", "2024"],
    &["explain", "--metric", "people_returned", "--period", "2023"],
    &["explain", "--metric", "people_returned"],
    &[
        "explain",
        "--metric",
        "held_in_captivity",
        "--policy",
        "conservative",
    ],
    &["claims", "--all"],
    &["sources"],
    &["head"],
];

/// Every query, as text and as JSON.
fn answers(s: &Store) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for q in QUERIES {
        let text = s.ok(q.iter());
        let json = s.ok(q.iter().chain(&["--json"]));
        serde_json::from_str::<serde_json::Value>(&json).expect("valid JSON");
        out.push((text, json));
    }
    out
}

/// The seed, plus a retraction and a correction so the cache holds statuses.
fn store() -> Store {
    let s = Store::seeded();
    let a = claim_id(&s, "people_returned", "seed-001-outlet", 1358);
    s.ok(["retract", &a, "--reason", "unnamed outlet"]);
    let b = claim_id(&s, "exchanges", "kyiv-independent", 11);
    s.ok(["correct", &b, "--exact", "12", "--reason", "recount"]);
    s
}

#[test]
fn deleting_the_cache_changes_no_total_explain_or_listing() {
    let s = store();
    let before = answers(&s);
    let cache = s.dir.join("cache");
    assert!(cache.is_dir(), "the store keeps its cache in STORE/cache");
    std::fs::remove_dir_all(&cache).unwrap();
    let after = answers(&s);
    assert!(cache.is_dir(), "the cache was rebuilt on open");
    for (q, (b, a)) in QUERIES.iter().zip(before.iter().zip(&after)) {
        assert_eq!(b.0, a.0, "text of {q:?} changed");
        assert_eq!(b.1, a.1, "JSON of {q:?} changed");
    }
    assert!(s.ok(["verify", "--deep"]).contains("cache checked: deep"));
}

#[test]
fn rebuild_command_rebuilds_and_changes_no_answer() {
    let s = store();
    let before = answers(&s);
    let out = s.ok(["rebuild"]);
    assert_eq!(out.trim(), "cache rebuilt from 44 records");
    assert_eq!(answers(&s), before);
    assert!(s.ok(["verify", "--deep"]).starts_with("ok: 44 records"));
}
