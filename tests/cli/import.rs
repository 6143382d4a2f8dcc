//! import: counts, idempotence, stdin, references within a file.

use crate::{claim_add, claim_line, id_in, Store, SEED};
use serde_json::json;

#[test]
fn import_of_the_seed_reports_counts_and_the_seq_range() {
    let s = Store::fresh();
    let out = s.ok(["import", SEED]);
    assert!(
        out.contains("imported 41 line(s): 9 source(s), 32 claim(s), 0 retraction(s), 0 correction(s) appended"),
        "{out}"
    );
    let head = s.head();
    let hash = head.strip_prefix("41 ").expect("head at seq 41");
    assert!(out.contains(&format!("seq 1..=41; head {hash}")), "{out}");
    assert_eq!(s.all_claims().len(), 32);
}

#[test]
fn reimporting_the_same_file_appends_nothing_and_reports_the_skipped_duplicates() {
    let s = Store::seeded();
    let head = s.head();
    let out = s.ok(["import", SEED]);
    assert!(
        out.contains("imported 41 line(s): 0 source(s), 0 claim(s), 0 retraction(s), 0 correction(s) appended"),
        "{out}"
    );
    assert!(
        out.contains("skipped 32 claim(s) identical to active claims already recorded, and 9 source(s) already registered"),
        "{out}"
    );
    let hash = head.strip_prefix("41 ").unwrap();
    assert!(
        out.contains(&format!("nothing new to append; head unchanged {hash}")),
        "{out}"
    );
    assert_eq!(s.head(), head);
    let j = s.json(["import", SEED]);
    assert_eq!(j["duplicate_claims_skipped"], 32);
    assert_eq!(j["duplicate_sources_skipped"], 9);
    assert_eq!(j["claims_added"], 0);
    assert!(j["first_seq"].is_null());
    assert_eq!(j["duplicates"].as_array().unwrap().len(), 32);
    assert_eq!(s.head(), head);
}

#[test]
fn import_from_stdin_with_dash() {
    let s = Store::fresh();
    let seed = std::fs::read(SEED).unwrap();
    let r = s.run_stdin(["import", "-"], seed);
    assert_eq!(r.code, Some(0), "{r:#?}");
    assert!(
        r.stdout.contains("9 source(s), 32 claim(s)"),
        "{}",
        r.stdout
    );
    assert!(s.head().starts_with("41 "));
}

#[test]
fn import_json_reports_the_outcome_with_claim_ids() {
    let s = Store::fresh();
    let j = s.json(["import", SEED]);
    assert_eq!(j["lines"], 41);
    assert_eq!(j["sources_added"], 9);
    assert_eq!(j["claims_added"], 32);
    assert_eq!(j["retracted"], 0);
    assert_eq!(j["corrected"], 0);
    assert_eq!(j["first_seq"], 1);
    assert_eq!(j["last_seq"], 41);
    let ids = j["claim_ids"].as_array().unwrap();
    assert_eq!(ids.len(), 32);
    // The first claim is seed line 10, appended at seq 10.
    let log = s.json(["log", "--from", "10", "--to", "11"]);
    assert_eq!(ids[0], log[0]["hash"]);
}

#[test]
fn a_partly_new_file_appends_only_the_new_lines() {
    let s = Store::with_source();
    let old = claim_line(json!({}));
    s.ok([
        "import",
        s.file("a.jsonl", format!("{old}\n")).to_str().unwrap(),
    ]);
    let new = claim_line(json!({"quantity": {"exact": 6}, "quote": "Six."}));
    let out = s.ok([
        "import",
        s.file("b.jsonl", format!("{old}\n{new}\n"))
            .to_str()
            .unwrap(),
    ]);
    assert!(
        out.contains("imported 2 line(s): 0 source(s), 1 claim(s)"),
        "{out}"
    );
    assert!(out.contains("skipped 1 claim(s)"), "{out}");
    assert_eq!(s.all_claims().len(), 2);
}

#[test]
fn retract_and_correct_lines_can_point_at_earlier_lines_of_the_same_file() {
    let s = Store::fresh();
    let lines = [
        json!({"type": "source", "id": "test-outlet", "name": "Test Outlet", "kind": "media"}).to_string(),
        claim_line(json!({"quantity": {"exact": 10}, "quote": "ten came home"})),
        claim_line(json!({"quantity": {"exact": 20}, "quote": "twenty came home", "scope": {"kind": "event", "date": "2024-04-01"}})),
        json!({"type": "retract", "line": 2, "reason": "wrong article"}).to_string(),
        json!({"type": "correct", "line": 3, "reason": "typo", "new": serde_json::from_str::<serde_json::Value>(
            &claim_line(json!({"type": null, "quantity": {"exact": 21}, "quote": "twenty-one came home", "scope": {"kind": "event", "date": "2024-04-01"}}))
        ).unwrap()}).to_string(),
    ];
    let f = s.file("refs.jsonl", lines.join("\n") + "\n");
    let out = s.ok(["import", f.to_str().unwrap()]);
    assert!(
        out.contains("imported 5 line(s): 1 source(s), 2 claim(s), 1 retraction(s), 1 correction(s) appended"),
        "{out}"
    );
    let all = s.all_claims();
    assert_eq!(all.len(), 3);
    let status = |n: i64| {
        all.iter()
            .find(|c| c["claim"]["quantity"]["exact"] == n)
            .map(|c| c["status"].clone())
            .unwrap()
    };
    assert_eq!(status(10)["status"], "retracted");
    assert_eq!(status(10)["reason"], "wrong article");
    assert_eq!(status(20)["status"], "corrected");
    assert_eq!(status(21)["status"], "active");
    let old20 = all
        .iter()
        .find(|c| c["claim"]["quantity"]["exact"] == 20)
        .unwrap();
    let new21 = all
        .iter()
        .find(|c| c["claim"]["quantity"]["exact"] == 21)
        .unwrap();
    assert_eq!(new21["replaces"], old20["id"]);
    assert_eq!(status(20)["by"], new21["id"]);
}

#[test]
fn retract_lines_can_name_an_existing_claim_by_id_prefix() {
    let s = Store::seeded();
    let id = crate::claim_id(&s, "exchanges", "rubryka", 50);
    let line = json!({"type": "retract", "claim": &id[..10], "reason": "ordinal, not a count"});
    let f = s.file("r.jsonl", format!("{line}\n"));
    let out = s.ok(["import", f.to_str().unwrap()]);
    assert!(
        out.contains("1 retraction(s), 0 correction(s) appended"),
        "{out}"
    );
    let j = s.json(["show", &id]);
    assert_eq!(j["claim"]["status"]["status"], "retracted");
}

#[test]
fn crlf_line_endings_and_blank_lines_are_accepted() {
    let s = Store::with_source();
    let a = claim_line(json!({}));
    let b = claim_line(json!({"quantity": {"exact": 6}}));
    let f = s.file("crlf.jsonl", format!("{a}\r\n\r\n   \r\n{b}\r\n"));
    let out = s.ok(["import", f.to_str().unwrap()]);
    assert!(
        out.contains("imported 4 line(s): 0 source(s), 2 claim(s)"),
        "{out}"
    );
}

#[test]
fn a_file_that_cannot_be_read_exits_2_naming_it() {
    let s = Store::fresh();
    let missing = s.tmp().join("missing.jsonl");
    s.rejects(
        ["import", missing.to_str().unwrap()],
        &["missing.jsonl", "No such file"],
    );
    let dir = s.tmp().to_str().unwrap().to_string();
    let err = s.rejects(
        ["import", &dir],
        &["reading failed", "nothing was appended"],
    );
    assert!(err.contains(&dir), "{err}");
}

#[test]
fn reimporting_a_file_that_retracts_and_corrects_its_own_lines_appends_nothing() {
    let s = Store::fresh();
    let f = s.generated(1500, 11);
    let first = s.json(["import", f.to_str().unwrap()]);
    assert!(first["retracted"].as_u64().unwrap() > 0, "{first}");
    assert!(first["corrected"].as_u64().unwrap() > 0, "{first}");
    let head = s.head();
    let again = s.json(["import", f.to_str().unwrap()]);
    assert_eq!(s.head(), head, "{again}");
    for k in ["sources_added", "claims_added", "retracted", "corrected"] {
        assert_eq!(again[k], 0, "{k}: {again}");
    }
    // Each retract or correct line, and the claim line it ends.
    let ended = first["retracted"].as_u64().unwrap() + first["corrected"].as_u64().unwrap();
    assert_eq!(
        again["already_recorded"].as_u64().unwrap(),
        2 * ended,
        "{again}"
    );
    let out = s.ok(["import", f.to_str().unwrap()]);
    assert!(
        out.contains("line(s) already recorded (imported before)"),
        "{out}"
    );
    assert!(
        out.contains("nothing new to append; head unchanged"),
        "{out}"
    );
}

#[test]
fn importing_a_file_that_grew_appends_what_importing_it_whole_would() {
    let whole = Store::fresh();
    let f = whole.generated(1500, 11);
    whole.ok(["import", f.to_str().unwrap()]);
    let text = std::fs::read_to_string(&f).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Cut points before, between and after the lines that end earlier ones.
    for cut in [400, 900, lines.len() - 3] {
        let grown = Store::fresh();
        let part = grown.file("part.jsonl", lines[..cut].join("\n") + "\n");
        grown.ok(["import", part.to_str().unwrap()]);
        grown.ok(["import", f.to_str().unwrap()]);
        assert_eq!(
            grown.head().split(' ').next(),
            whole.head().split(' ').next(),
            "cut at line {cut}: a different number of events"
        );
        for metric in ["people_returned", "soldiers_returned", "bodies_returned"] {
            // The same figures; seqs and ids differ with the order of events.
            let answer = |s: &Store| {
                let t = s.json(["total", "--metric", metric]);
                let routes: Vec<String> = t["routes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| format!("{} {}", r["name"], r["estimate"]))
                    .collect();
                (t["answer"]["estimate"].to_string(), routes)
            };
            assert_eq!(
                answer(&grown),
                answer(&whole),
                "cut at line {cut}: {metric}"
            );
        }
        let statuses = |s: &Store| {
            let mut v: Vec<String> = s
                .all_claims()
                .iter()
                .map(|c| format!("{} {}", c["claim"], c["status"]["status"]))
                .collect();
            v.sort();
            v
        };
        assert_eq!(statuses(&grown), statuses(&whole), "cut at line {cut}");
    }
}

#[test]
fn a_retract_line_whose_claim_was_retracted_another_way_is_skipped_as_recorded() {
    let s = Store::with_source();
    let claim = claim_line(json!({}));
    s.ok([
        "import",
        s.file("a.jsonl", format!("{claim}\n")).to_str().unwrap(),
    ]);
    let id = s.all_claims()[0]["id"].as_str().unwrap().to_string();
    s.ok(["retract", &id, "--reason", "withdrawn by the outlet"]);
    let head = s.head();
    let retract = json!({"type": "retract", "line": 1, "reason": "withdrawn"}).to_string();
    let j = s.json([
        "import",
        s.file("b.jsonl", format!("{claim}\n{retract}\n"))
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(j["already_recorded"], 2, "{j}");
    assert_eq!(s.head(), head);
    // Without the retract line the claim line is still the recorded
    // claim: importing it again does not undo the retraction.
    let j = s.json([
        "import",
        s.file("c.jsonl", format!("{claim}\n")).to_str().unwrap(),
    ]);
    assert_eq!(j["claims_added"], 0, "{j}");
    assert_eq!(j["already_recorded"], 1, "{j}");
    assert_eq!(s.head(), head);
    assert_eq!(s.all_claims()[0]["status"]["status"], "retracted");
}

#[test]
fn a_retract_line_whose_recorded_claim_was_corrected_instead_is_refused() {
    let s = Store::with_source();
    let claim = claim_line(json!({}));
    s.ok([
        "import",
        s.file("a.jsonl", format!("{claim}\n")).to_str().unwrap(),
    ]);
    let id = s.all_claims()[0]["id"].as_str().unwrap().to_string();
    s.ok(["correct", &id, "--reason", "typo", "--exact", "6"]);
    let head = s.head();
    let retract = json!({"type": "retract", "line": 1, "reason": "withdrawn"}).to_string();
    let f = s.file("b.jsonl", format!("{claim}\n{retract}\n"));
    let err = s.rejects(
        ["import", f.to_str().unwrap()],
        &["line 2", "was corrected at seq"],
    );
    assert!(err.contains("this line retracts it"), "{err}");
    assert_eq!(s.head(), head);
}

#[test]
fn claim_add_of_a_claim_identical_to_a_retracted_one_adds_it_again() {
    let s = Store::with_source();
    let out = s.ok(claim_add(&[]));
    let id = id_in(&out);
    s.ok(["retract", &id, "--reason", "withdrawn"]);
    let out = s.ok(claim_add(&[]));
    let again = id_in(&out);
    assert_ne!(again, id, "{out}");
    let statuses: Vec<String> = s
        .all_claims()
        .iter()
        .map(|c| c["status"]["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(statuses.len(), 2, "{statuses:?}");
    assert!(statuses.contains(&"active".to_string()), "{statuses:?}");
}

/// A file's claim line identical to both an active claim and a retracted
/// one stands for the active one unless the file ends it exactly as the
/// retracted one was ended: a correction then acts on the active claim.
#[test]
fn a_correct_line_acts_on_the_active_twin_when_no_ended_twin_was_corrected_so() {
    let s = Store::with_source();
    let claim = claim_line(json!({}));
    let retract = json!({"type": "retract", "line": 1, "reason": "withdrawn"}).to_string();
    s.ok([
        "import",
        s.file("a.jsonl", format!("{claim}\n{retract}\n{claim}\n"))
            .to_str()
            .unwrap(),
    ]);
    let new: serde_json::Value =
        serde_json::from_str(&claim_line(json!({"type": null, "quantity": {"exact": 7}}))).unwrap();
    let correct = json!({"type": "correct", "line": 1, "reason": "typo", "new": new}).to_string();
    let j = s.json([
        "import",
        s.file("b.jsonl", format!("{claim}\n{correct}\n"))
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(j["corrected"], 1, "{j}");
    let mut statuses: Vec<String> = s
        .all_claims()
        .iter()
        .map(|c| {
            format!(
                "{} {}",
                c["claim"]["quantity"]["exact"],
                c["status"]["status"].as_str().unwrap()
            )
        })
        .collect();
    statuses.sort();
    assert_eq!(statuses, ["5 corrected", "5 retracted", "7 active"]);
}

#[test]
fn reimporting_retract_and_correct_lines_that_name_claims_by_id_appends_nothing() {
    let s = Store::with_source();
    let x = claim_line(json!({}));
    let y = claim_line(json!({"quantity": {"exact": 6}}));
    s.ok([
        "import",
        s.file("a.jsonl", format!("{x}\n{y}\n")).to_str().unwrap(),
    ]);
    let id = |n: i64| {
        s.all_claims()
            .iter()
            .find(|c| c["claim"]["quantity"]["exact"] == n)
            .map(|c| c["id"].as_str().unwrap()[..12].to_string())
            .unwrap()
    };
    let (x_id, y_id) = (id(5), id(6));
    let new: serde_json::Value =
        serde_json::from_str(&claim_line(json!({"type": null, "quantity": {"exact": 7}}))).unwrap();
    let b = s.file(
        "b.jsonl",
        format!(
            "{}\n{}\n",
            json!({"type": "retract", "claim": x_id, "reason": "withdrawn"}),
            json!({"type": "correct", "claim": y_id, "reason": "typo", "new": new})
        ),
    );
    let first = s.json(["import", b.to_str().unwrap()]);
    assert_eq!(
        (first["retracted"].clone(), first["corrected"].clone()),
        (json!(1), json!(1))
    );
    let head = s.head();
    let again = s.json(["import", b.to_str().unwrap()]);
    assert_eq!(again["already_recorded"], 2, "{again}");
    assert_eq!(s.head(), head);
    // Ended otherwise, the claim cannot be retracted by a file either.
    let c = s.file(
        "c.jsonl",
        format!(
            "{}\n",
            json!({"type": "retract", "claim": y_id, "reason": "r"})
        ),
    );
    s.rejects(["import", c.to_str().unwrap()], &["no longer active"]);
}
