//! `verify --against OLD`: a store that only appended since OLD passes with
//! a consistency proof; a store whose past differs from OLD (rewritten or
//! cut short) fails, naming the first rewritten seq.

use crate::common::*;
use claimlog::export::{record_value, SnapshotEvent};
use claimlog::{Event, Hash32};
use predicates::prelude::*;
use serde_json::json;
use std::path::Path;

/// Builds at `dir` the history of `snap` with the claim at seq `k` given
/// another quote and every later record re-chained onto it: same genesis,
/// same store id, same timestamps, a valid chain — a careful rewrite.
pub fn forge_store(snap: &Snap, k: u64, dir: &Path) {
    let mut prev = Hash32::ZERO;
    let mut lines = String::new();
    for e in &snap.events {
        let mut rec = claimlog::decode_record(&b64_decode(&e.bytes)).unwrap();
        if rec.seq == k {
            let mut v = e.record["event"].clone();
            v.as_object_mut().unwrap().remove("type");
            v["quote"] = json!("A different quote, put in later.");
            rec.event = Event::ClaimAdded(claimlog::parse_claim_value(v).unwrap());
        }
        rec.prev = prev;
        let bytes = claimlog::encode_record(&rec).unwrap();
        let hash = claimlog::record_hash(&prev, &bytes);
        let ev = SnapshotEvent {
            seq: rec.seq,
            hash,
            bytes: b64_encode(&bytes),
            record: record_value(&rec),
        };
        lines += &serde_json::to_string(&ev).unwrap();
        lines.push('\n');
        prev = hash;
    }
    claimlog::export::restore(dir, lines.as_bytes(), true).unwrap();
}

fn against(store: &Path, old: &Path, pubkey: Option<&Path>) -> assert_cmd::assert::Assert {
    let mut c = cli_at(store);
    c.args(["verify", "--against"]).arg(old);
    if let Some(k) = pubkey {
        c.arg("--pubkey").arg(k);
    }
    c.assert()
}

fn two_more_claims() -> &'static str {
    concat!(
        r#"{"type":"claim","metric":"people_returned","quantity":{"exact":12},"scope":{"kind":"event","date":"2025-03-01"},"source":"rubryka","published":"2025-03-02","quote":"Twelve came home."}"#,
        "\n",
        r#"{"type":"claim","metric":"people_returned","quantity":{"at_least":30},"scope":{"kind":"event","date":"2025-04-01"},"source":"ukrinform","published":"2025-04-02","quote":"At least thirty came home."}"#,
        "\n"
    )
}

#[test]
fn store_that_only_appended_passes_with_a_consistency_proof() {
    let fx = Fixture::seed();
    let old = fx.export("old.json", true);
    fx.import("more.jsonl", two_more_claims());
    against(&fx.store, &old, Some(&fx.pubkey))
        .success()
        .stdout(predicate::str::starts_with("ok: the store (44 events"))
        .stdout(predicate::str::contains("extends the snapshot (42 events"));
    let a = cli_at(&fx.store)
        .args(["verify", "--json", "--against"])
        .arg(&old)
        .assert()
        .success();
    let r: serde_json::Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    assert_eq!(r["failure"], serde_json::Value::Null);
    assert_eq!(r["first_rewritten"], serde_json::Value::Null);
    assert_eq!(
        (r["old_size"].as_u64(), r["new_size"].as_u64()),
        (Some(42), Some(44))
    );
    // Check the proof it printed independently of the tool's verdict.
    let h = |v: &serde_json::Value| Hash32::from_hex(v.as_str().unwrap()).unwrap().0;
    let proof: Vec<[u8; 32]> = r["proof"].as_array().unwrap().iter().map(h).collect();
    assert!(!proof.is_empty());
    claimlog::merkle::verify_consistency(42, 44, &h(&r["old_root"]), &h(&r["new_root"]), &proof)
        .expect("the printed consistency proof verifies");
    let old_root = Snap::parse(&std::fs::read_to_string(&old).unwrap()).get("root");
    assert_eq!(r["old_root"], old_root);
}

#[test]
fn rewritten_past_event_fails_naming_the_first_rewritten_seq() {
    let fx = Fixture::empty();
    let snap = Snap::parse(&shared().signed);
    let old = fx.path("old.json");
    std::fs::write(&old, &shared().signed).unwrap();
    let k = 17;
    forge_store(&snap, k, &fx.store);
    // The rewritten store is sound in itself: only the old snapshot shows it.
    cli_at(&fx.store).arg("verify").assert().success();
    against(&fx.store, &old, Some(&fx.pubkey))
        .code(1)
        .stdout(predicate::str::contains(format!(
            "history was rewritten, first at seq {k}"
        )));
    let a = cli_at(&fx.store)
        .args(["verify", "--json", "--against"])
        .arg(&old)
        .assert()
        .code(1);
    let r: serde_json::Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    assert_eq!(r["first_rewritten"], json!(k));
}

#[test]
fn store_rewritten_by_truncating_and_reappending_fails() {
    let fx = Fixture::seed();
    let old = fx.export("old.json", true);
    let b = fx.path("rewritten");
    copy_dir(&fx.store, &b);
    truncate_log_before(&b, 20);
    let tail = fx.path("tail.jsonl");
    std::fs::write(&tail, seed_tail_with_changed_quote(19)).unwrap();
    cli_at(&b).arg("import").arg(&tail).assert().success();
    cli_at(&b).arg("verify").assert().success();
    assert_eq!(open_store(&b).len(), SEED_EVENTS);
    against(&b, &old, Some(&fx.pubkey))
        .code(1)
        .stdout(predicate::str::contains(
            "history was rewritten, first at seq 20",
        ));
    // Appending more does not hide it.
    let more = fx.path("more.jsonl");
    std::fs::write(&more, two_more_claims()).unwrap();
    cli_at(&b).arg("import").arg(&more).assert().success();
    against(&b, &old, None)
        .code(1)
        .stdout(predicate::str::contains(
            "history was rewritten, first at seq 20",
        ));
}

#[test]
fn truncated_store_fails_against_a_longer_snapshot() {
    let fx = Fixture::seed();
    let old = fx.export("old.json", true);
    truncate_log_before(&fx.store, 30);
    against(&fx.store, &old, Some(&fx.pubkey))
        .code(1)
        .stdout(predicate::str::contains(
            "the old snapshot has 42 events, the store only 30: history was truncated",
        ));
}

#[test]
fn snapshot_of_another_store_fails_at_seq_0() {
    let fx = Fixture::seed();
    let other = Fixture::seed();
    let old = other.export("other.json", false);
    against(&fx.store, &old, None)
        .code(1)
        .stdout(predicate::str::contains(
            "history was rewritten, first at seq 0",
        ));
}

#[test]
fn against_with_a_pubkey_that_did_not_sign_fails() {
    let fx = Fixture::seed();
    let old = fx.export("old.json", true);
    let other = fx.path("other.pub");
    std::fs::write(&other, format!("{}\n", shared().other_pubkey)).unwrap();
    against(&fx.store, &old, Some(&other))
        .code(1)
        .stderr(predicate::str::contains(
            "old snapshot: checkpoint signature",
        ));
}
