//! retract and correct: the old claim stays in the log, totals follow.

use crate::{claim_add, claim_id, id_in, Store};
use serde_json::{json, Value};

fn claim_fields(s: &Store, id: &str) -> Value {
    s.json(["show", id])["claim"]["claim"].clone()
}

#[test]
fn retract_ends_a_claim_and_the_total_stops_counting_it() {
    let s = Store::seeded();
    let id = claim_id(&s, "people_returned", "seed-001-outlet", 1358);
    let out = s.ok(["retract", &id[..6], "--reason", "outlet not named"]);
    assert_eq!(
        out.trim(),
        format!("retracted claim {} at seq 42", &id[..12])
    );
    assert!(s.head().starts_with("42 "));
    let t = s.json(["total", "--metric", "people_returned", "--period", "2024"]);
    assert_eq!(t["answer"]["estimate"]["best"], 1358);
    assert_eq!(t["answer"]["independent_sources"], 1);
    let explain = s.ok(["explain", "--metric", "people_returned", "--period", "2024"]);
    assert!(
        explain.contains("✘ retracted 1358 per seed-001-outlet"),
        "{explain}"
    );
    assert!(
        explain.contains("retracted at seq 42: outlet not named"),
        "{explain}"
    );
    // Still in the log, still listed with --all.
    assert!(s
        .ok(["claims", "--all"])
        .contains(&format!("{}  seq 17    retracted", &id[..12])));
}

#[test]
fn correct_changes_only_the_given_field_and_inherits_the_rest() {
    let s = Store::seeded();
    let old = claim_id(&s, "exchanges", "kyiv-independent", 11);
    let before = claim_fields(&s, &old);
    let out = s.ok([
        "correct",
        &old,
        "--exact",
        "12",
        "--reason",
        "typo in the first version",
    ]);
    let new = id_in(&out);
    assert_eq!(
        out.trim(),
        format!(
            "corrected claim {} at seq 42: the new claim is {} (id {new})",
            &old[..12],
            &new[..12]
        )
    );
    let after = claim_fields(&s, &new);
    let mut expected = before.clone();
    expected["quantity"] = json!({"exact": 12});
    assert_eq!(after, expected, "only the quantity may change");
    // speaker, cites, published, note, scope all came along.
    assert_eq!(after["cites"], "coordination-hq");
    assert_eq!(after["published"], "2025-01-01");
    assert!(after["note"].as_str().unwrap().starts_with("seed 003"));
    let j = s.json(["show", &new]);
    assert_eq!(j["claim"]["replaces"], old.as_str());
    assert_eq!(j["claim"]["seq"], 42);
    let j = s.json(["show", &old]);
    assert_eq!(j["claim"]["status"]["status"], "corrected");
    assert_eq!(j["claim"]["status"]["by"], new.as_str());
    assert_eq!(j["claim"]["status"]["reason"], "typo in the first version");
}

#[test]
fn correct_can_change_the_scope_kind_dropping_fields_of_the_old_kind() {
    let s = Store::with_source();
    let old = id_in(&s.ok(claim_add(&[("--label", Some("first exchange"))])));
    let out = s.ok([
        "correct",
        &old,
        "--scope",
        "period",
        "--period",
        "2024-03",
        "--reason",
        "a monthly figure",
    ]);
    let c = claim_fields(&s, &id_in(&out));
    assert_eq!(
        c["scope"],
        json!({"kind": "period", "from": "2024-03-01", "to": "2024-03-31"})
    );
    assert_eq!(c["quantity"], json!({"exact": 5}));
    assert_eq!(c["quote"], "Five people came home.");
}

#[test]
fn correct_can_add_and_remove_a_breakdown() {
    let s = Store::with_source();
    let a = id_in(&s.ok(claim_add(&[])));
    let b = id_in(&s.ok([
        "correct",
        &a,
        "--breakdown",
        "category=civilian",
        "--reason",
        "civilians only",
    ]));
    assert_eq!(
        claim_fields(&s, &b)["breakdown"],
        json!({"category": "civilian"})
    );
    let c = id_in(&s.ok(["correct", &b, "--no-breakdown", "--reason", "all of them"]));
    assert!(claim_fields(&s, &c)["breakdown"].is_null());
}

#[test]
fn total_follows_a_correction() {
    let s = Store::seeded();
    for src in ["kyiv-independent", "seed-001-outlet"] {
        let id = claim_id(&s, "exchanges", src, 11);
        s.ok(["correct", &id, "--exact", "12", "--reason", "recount"]);
    }
    let t = s.json(["total", "--metric", "exchanges", "--period", "2024"]);
    assert_eq!(t["answer"]["estimate"]["best"], 12);
    assert_eq!(t["answer"]["route"], "stated");
    assert_eq!(t["answer"]["independent_sources"], 2);
}

#[test]
fn retract_and_correct_need_a_non_blank_reason() {
    let s = Store::seeded();
    let id = claim_id(&s, "exchanges", "rubryka", 50);
    s.rejects(
        ["retract", &id, "--reason", "  "],
        &["--reason", "must not be empty"],
    );
    s.rejects(
        ["correct", &id, "--exact", "51", "--reason", ""],
        &["--reason", "must not be empty"],
    );
}

/// The id index points at a claim's record, and the claim's entry is found
/// from that record: a record whose words were changed in the log is not
/// the claim's, so retracting or correcting it is refused (exit 1, a
/// pointer to `verify`) and nothing is appended.
#[test]
fn retract_and_correct_refuse_a_claim_whose_record_was_changed_in_the_log() {
    let s = crate::show::seed_behind_an_anchor();
    let id = claim_id(&s, "people_returned", "seed-001-outlet", 1358);
    crate::show::change_words_in_the_log(&s);
    let head = s.head();
    for args in [
        vec!["retract", &id[..], "--reason", "outlet not named"],
        vec!["correct", &id[..], "--exact", "1359", "--reason", "typo"],
    ] {
        let r = s.run(args);
        assert_eq!(r.code, Some(1), "{r:#?}");
        assert!(r.stderr.contains("claimlog verify"), "{}", r.stderr);
        assert_eq!(s.head(), head);
    }
}
