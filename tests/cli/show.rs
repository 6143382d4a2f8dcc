//! show: a claim's fields, status, and every event that touched it.

use crate::{claim_id, id_in, Store};

#[test]
fn show_prints_fields_status_and_the_adding_event_with_seq_and_hash() {
    let s = Store::seeded();
    let id = claim_id(&s, "people_returned", "seed-001-outlet", 1358);
    let out = s.ok(["show", &id[..8]]);
    assert!(out.starts_with(&format!("claim {id}  (active)\n")), "{out}");
    for want in [
        "  metric     people_returned\n",
        "  quantity   1358 (exact)\n",
        "  scope      period 2024\n",
        "  source     seed-001-outlet\n",
        "  published  date unknown\n",
        "  quote      \"Ukraine has reported significant progress",
        "events:\n",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    let events: Vec<&str> = out.lines().filter(|l| l.starts_with("  seq ")).collect();
    assert_eq!(events.len(), 1, "{out}");
    assert!(events[0].starts_with("  seq 17 "), "{}", events[0]);
    assert!(
        events[0].contains(&id),
        "the event hash is the claim id: {}",
        events[0]
    );
    assert!(events[0].contains("claim_added"), "{}", events[0]);
}

#[test]
fn show_of_a_retracted_claim_lists_the_retraction_event() {
    let s = Store::seeded();
    let id = claim_id(&s, "people_returned", "seed-001-outlet", 1358);
    s.ok(["retract", &id, "--reason", "outlet unnamed"]);
    let out = s.ok(["show", &id]);
    assert!(
        out.starts_with(&format!("claim {id}  (retracted)")),
        "{out}"
    );
    let events: Vec<&str> = out.lines().filter(|l| l.starts_with("  seq ")).collect();
    assert_eq!(events.len(), 2, "{out}");
    assert!(events[0].starts_with("  seq 17 ") && events[0].contains("claim_added"));
    assert!(events[1].starts_with("  seq 42 ") && events[1].contains("claim_retracted"));
    assert!(events[1].contains(&format!("retract claim {}: outlet unnamed", &id[..12])));
    let head_hash = s.head().split_once(' ').unwrap().1.to_string();
    assert!(events[1].contains(&head_hash), "{}", events[1]);
}

#[test]
fn show_follows_a_correction_chain_from_either_end() {
    let s = Store::seeded();
    let old = claim_id(&s, "exchanges", "kyiv-independent", 11);
    let out = s.ok(["correct", &old, "--exact", "12", "--reason", "typo"]);
    let new = id_in(&out);
    let old_view = s.ok(["show", &old]);
    assert!(old_view.contains("(corrected)"), "{old_view}");
    let new_view = s.ok(["show", &new]);
    assert!(new_view.contains("(active)"), "{new_view}");
    assert!(new_view.contains("quantity   12 (exact)"), "{new_view}");
    for v in [&old_view, &new_view] {
        let events: Vec<&str> = v.lines().filter(|l| l.starts_with("  seq ")).collect();
        assert_eq!(events.len(), 2, "{v}");
        assert!(events[0].starts_with("  seq 28 ") && events[0].contains("claim_added"));
        assert!(events[1].starts_with("  seq 42 ") && events[1].contains("claim_corrected"));
        assert!(events[1].contains(&new), "{}", events[1]);
    }
}

#[test]
fn show_json_has_the_entry_and_its_events() {
    let s = Store::seeded();
    let id = claim_id(&s, "people_returned", "kyiv-independent", 1358);
    s.ok(["retract", &id, "--reason", "test"]);
    let j = s.json(["show", &id]);
    assert_eq!(j["claim"]["id"], id.as_str());
    assert_eq!(j["claim"]["status"]["status"], "retracted");
    assert_eq!(j["claim"]["status"]["seq"], 42);
    assert_eq!(j["claim"]["status"]["reason"], "test");
    assert_eq!(j["claim"]["claim"]["quantity"]["exact"], 1358);
    let ev = j["events"].as_array().unwrap();
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0]["hash"], id.as_str());
    assert_eq!(ev[0]["event"]["type"], "claim_added");
    assert_eq!(ev[1]["seq"], 42);
    assert_eq!(ev[1]["event"]["type"], "claim_retracted");
    assert_eq!(
        ev[1]["prev"],
        s.json(["log", "--from", "41", "--to", "42"])[0]["hash"]
    );
}

#[test]
fn show_of_an_unknown_claim_exits_2() {
    let s = Store::seeded();
    s.rejects(
        ["show", "0000ffff"],
        &["no claim has an id starting with 0000ffff"],
    );
    s.rejects(["show", "xyz"], &["must be 4 to 64 hex digits"]);
}

/// The seed data and 100 generated claims after it. Opening a store
/// checks the records from the cache's last anchor (one every 64 seqs) to
/// its head, so a seed claim changed in the log is first met when its
/// words are read, not when the store is opened.
pub(crate) fn seed_behind_an_anchor() -> Store {
    let s = Store::seeded();
    s.import_generated(100, 7);
    let head = s.head();
    let seq: u64 = head.split_whitespace().next().unwrap().parse().unwrap();
    assert!(seq > 128, "head {head}");
    s
}

/// Changes "Ukraine has reported significant progress" (the quote of
/// seed-001-outlet's 1358) to "Russia  has reported significant progress"
/// in the log's bytes (other seed quotes name Russia).
pub(crate) fn change_words_in_the_log(s: &Store) {
    let needle = b"Ukraine has reported significant progress";
    let mut changed = 0;
    for f in std::fs::read_dir(s.dir.join("log")).unwrap() {
        let path = f.unwrap().path();
        let mut bytes = std::fs::read(&path).unwrap();
        if let Some(at) = bytes.windows(needle.len()).position(|w| w == needle) {
            bytes[at..at + 7].copy_from_slice(b"Russia ");
            std::fs::write(&path, bytes).unwrap();
            changed += 1;
        }
    }
    assert_eq!(changed, 1);
}

/// The quote is read from the log, where the claim's hash pins it: words
/// changed there are refused with exit 1 and a pointer to `verify`, never
/// printed.
#[test]
fn show_refuses_a_claim_whose_words_were_changed_in_the_log() {
    let s = seed_behind_an_anchor();
    let id = claim_id(&s, "people_returned", "seed-001-outlet", 1358);
    change_words_in_the_log(&s);
    let r = s.run(["show", &id]);
    assert_eq!(r.code, Some(1), "{r:#?}");
    assert!(r.stderr.contains("claimlog verify"), "{}", r.stderr);
    assert!(!r.stderr.contains("rebuilding"), "{}", r.stderr);
    assert!(!r.stdout.contains("Russia  has reported"), "{}", r.stdout);
}

/// `claims --json` prints its list as it reads it: the claims before the
/// changed one are printed, the changed one is refused as `show` refuses
/// it (exit 1, a pointer to verify), and the list stops there.
#[test]
fn claims_json_stops_at_a_claim_whose_words_were_changed_in_the_log() {
    let s = seed_behind_an_anchor();
    let listed = s.json(["claims", "--metric", "people_returned"]);
    let listed = listed.as_array().unwrap();
    let id = claim_id(&s, "people_returned", "seed-001-outlet", 1358);
    let before = listed.iter().position(|c| c["id"] == id.as_str()).unwrap();
    assert!(before > 0, "the changed claim is not the first listed");
    change_words_in_the_log(&s);
    let r = s.run(["claims", "--metric", "people_returned", "--json"]);
    assert_eq!(r.code, Some(1), "{r:#?}");
    assert!(r.stderr.contains("claimlog verify"), "{}", r.stderr);
    assert!(!r.stderr.contains("rebuilding"), "{}", r.stderr);
    assert!(!r.stdout.contains("Russia  has reported"), "{}", r.stdout);
    for c in &listed[..before] {
        let id = c["id"].as_str().unwrap();
        assert!(
            r.stdout.contains(id),
            "claim {id}, before it, is missing: {r:#?}"
        );
    }
    for c in &listed[before..] {
        let id = c["id"].as_str().unwrap();
        assert!(!r.stdout.contains(id), "claim {id}, from it on, is printed");
    }
}
