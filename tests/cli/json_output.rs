//! `--json` on every read command parses, and carries the seed's values.

use crate::{claim_id, Store, SEED};
use serde_json::Value;

#[test]
fn every_read_command_prints_parseable_json() {
    let s = Store::seeded();
    let id = claim_id(&s, "people_returned", "kyiv-independent", 1358);
    for args in [
        vec!["log"],
        vec!["head"],
        vec!["sources"],
        vec!["claims"],
        vec!["claims", "--all", "--metric", "exchanges"],
        vec!["show", &id],
        vec!["total", "--metric", "people_returned", "--period", "2024"],
        vec!["explain", "--metric", "people_returned", "--period", "2023"],
        vec!["verify"],
        vec!["verify", "--deep"],
        vec!["import", SEED],
    ] {
        let v = s.json(&args);
        assert!(v.is_object() || v.is_array(), "{args:?}: {v}");
    }
}

#[test]
fn log_json_is_an_array_of_records_linked_by_prev_hash() {
    let s = Store::seeded();
    let log = s.json(["log"]);
    let recs = log.as_array().expect("log --json is a JSON array");
    assert_eq!(recs.len(), 42);
    assert_eq!(recs[0]["event"]["type"], "genesis");
    assert_eq!(recs[0]["prev"], "0".repeat(64));
    assert_eq!(recs[0]["event"]["origin"], "test.example/cli");
    for w in recs.windows(2) {
        assert_eq!(
            w[1]["prev"], w[0]["hash"],
            "chain broken at seq {}",
            w[1]["seq"]
        );
        assert_eq!(w[1]["seq"].as_u64(), w[0]["seq"].as_u64().map(|n| n + 1));
    }
    let types: Vec<&str> = recs
        .iter()
        .map(|r| r["event"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types.iter().filter(|t| **t == "source_registered").count(),
        9
    );
    assert_eq!(types.iter().filter(|t| **t == "claim_added").count(), 32);
    for r in recs {
        assert!(r["recorded_at"].as_str().unwrap().ends_with('Z'));
        assert!(r["recorded_at_ms"].as_i64().unwrap() > 0);
    }
}

#[test]
fn head_json_has_seq_and_hash() {
    let s = Store::seeded();
    let h = s.json(["head"]);
    assert_eq!(h["seq"], 41);
    assert_eq!(h["hash"].as_str().unwrap().len(), 64);
}

#[test]
fn verify_json_reports_counts_and_no_problem() {
    let s = Store::seeded();
    let v = s.json(["verify"]);
    assert_eq!(v["records"], 42);
    assert_eq!(v["segments"], 1);
    assert_eq!(v["head"]["seq"], 41);
    assert_eq!(v["counts"]["claim_added"], 32);
    assert_eq!(v["counts"]["source_registered"], 9);
    assert_eq!(v["counts"]["genesis"], 1);
    assert!(v["problem"].is_null());
    assert!(v["torn_tail"].is_null());
}

#[test]
fn claims_json_entries_carry_id_seq_status_and_fields() {
    let s = Store::seeded();
    let v = s.json(["claims", "--metric", "exchanges", "--period", "2024"]);
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 2);
    for c in arr {
        assert_eq!(c["id"].as_str().unwrap().len(), 64);
        assert!(c["seq"].is_u64());
        assert_eq!(c["status"]["status"], "active");
        assert!(c["replaces"].is_null());
        assert_eq!(c["claim"]["quantity"]["exact"], 11);
        assert_eq!(c["claim"]["scope"]["from"], "2024-01-01");
    }
    let sources: Vec<&Value> = arr.iter().map(|c| &c["claim"]["source"]).collect();
    assert_eq!(sources, ["seed-001-outlet", "kyiv-independent"]);
}

#[test]
fn total_json_has_answer_estimate_and_routes() {
    let s = Store::seeded();
    let t = s.json(["total", "--metric", "people_returned", "--period", "2024"]);
    assert_eq!(t["answer"]["estimate"]["best"], 1358);
    assert_eq!(t["answer"]["route"], "stated");
    let stated = &t["routes"][0];
    assert_eq!(stated["name"], "stated");
    let group = &stated["groups"][0];
    assert_eq!(group["independent_sources"], 2);
    let chosen = group["chosen"].as_str().unwrap();
    assert!(group["claims"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == chosen && c["role"] == "chosen"));
}
