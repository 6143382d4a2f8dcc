//! demo: the tour runs in a throwaway store and shows tamper evidence.

use crate::Store;

#[test]
fn demo_runs_the_tour_and_shows_tamper_evidence() {
    let s = Store::blank();
    let out = s.ok(["demo"]);
    assert!(out.contains("Imported 9 sources and 32 claims"), "{out}");
    assert!(out.contains("people_returned, 2024: 1358 [exact"), "{out}");
    assert!(out.contains("people_returned, 2023: 1002 [exact"), "{out}");
    assert!(
        out.contains("verify: ok, chain intact and cache consistent"),
        "{out}"
    );
    assert!(out.contains("Tamper evidence"), "{out}");
    assert!(
        out.contains("verify: FAILED at seq 17: hash mismatch"),
        "{out}"
    );
    // The demo never touches --store.
    assert!(!s.dir.exists());
}

#[test]
fn demo_keep_leaves_a_store_that_verifies_and_answers_queries() {
    let s = Store::blank();
    let out = s.ok(["demo", "--keep", s.dir.to_str().unwrap()]);
    assert!(out.contains("The demo store was kept in"), "{out}");
    assert!(s.ok(["verify", "--deep"]).starts_with("ok: 42 records"));
    let t = s.json(["total", "--metric", "exchanges", "--period", "2024"]);
    assert_eq!(t["answer"]["estimate"]["best"], 11);
}
