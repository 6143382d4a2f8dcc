//! total and explain on the seed dataset: figures, bound kinds, routes.

use crate::{claim_id, claim_line, Store};
use serde_json::json;
use serde_json::Value;

fn total(s: &Store, args: &[&str]) -> Value {
    let mut a = vec!["total"];
    a.extend_from_slice(args);
    s.json(a)
}

#[test]
fn people_returned_2024_is_1358_exact_stated_by_two_independent_sources() {
    let s = Store::seeded();
    let t = total(&s, &["--metric", "people_returned", "--period", "2024"]);
    let a = &t["answer"];
    assert_eq!(a["route"], "stated");
    assert_eq!(a["kind"], "exact");
    assert_eq!(a["estimate"]["best"], 1358);
    assert_eq!(a["estimate"]["low"], 1358);
    assert_eq!(a["estimate"]["high"], 1358);
    assert_eq!(a["estimate"]["approx"], false);
    assert_eq!(a["independent_sources"], 2);
    assert_eq!(t["metric"], "people_returned");
    assert_eq!(t["period"], "2024");
    assert_eq!(t["policy"], "official-first");
    let routes: Vec<&str> = t["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(routes, ["stated", "cumulative", "change", "summed"]);
    let text = s.ok(["total", "--metric", "people_returned", "--period", "2024"]);
    assert_eq!(
        text.lines().next().unwrap(),
        "people_returned, 2024: 1358 [exact; best 1358, low 1358, high 1358] via the stated route, \
         2 independent source(s) (policy official-first)"
    );
    assert!(text.contains("  summed             at least 379"), "{text}");
}

#[test]
fn people_returned_2023_is_1002_derived_by_the_change_route() {
    let s = Store::seeded();
    let t = total(&s, &["--metric", "people_returned", "--period", "2023"]);
    assert_eq!(t["answer"]["route"], "change");
    assert_eq!(t["answer"]["kind"], "exact");
    assert_eq!(t["answer"]["estimate"]["best"], 1002);
    let text = s.ok(["total", "--metric", "people_returned", "--period", "2023"]);
    assert!(
        text.starts_with("people_returned, 2023: 1002 [exact"),
        "{text}"
    );
    assert!(text.contains("via the change route"), "{text}");
}

#[test]
fn exchanges_2024_is_11() {
    let s = Store::seeded();
    let t = total(&s, &["--metric", "exchanges", "--period", "2024"]);
    assert_eq!(t["answer"]["estimate"]["best"], 11);
    assert_eq!(t["answer"]["route"], "stated");
    assert_eq!(t["answer"]["independent_sources"], 2);
}

#[test]
fn bodies_repatriated_all_time_is_at_least_7000_with_an_open_upper_side() {
    let s = Store::seeded();
    let t = total(&s, &["--metric", "bodies_repatriated"]);
    assert!(t["period"].is_null());
    assert_eq!(t["answer"]["kind"], "at_least");
    assert_eq!(t["answer"]["estimate"]["best"], 7000);
    assert!(t["answer"]["estimate"]["high"].is_null());
    let text = s.ok(["total", "--metric", "bodies_repatriated"]);
    assert!(
        text.starts_with("bodies_repatriated, all time: at least 7000 [at_least; best 7000, low 7000, high open]"),
        "{text}"
    );
}

#[test]
fn from_and_to_mean_the_same_as_period() {
    let s = Store::seeded();
    let a = s.ok(["total", "--metric", "people_returned", "--period", "2024"]);
    let b = s.ok([
        "total",
        "--metric",
        "people_returned",
        "--from",
        "2024-01-01",
        "--to",
        "2024-12-31",
    ]);
    assert_eq!(a, b);
}

#[test]
fn a_metric_with_no_claims_has_no_figure() {
    let s = Store::seeded();
    let out = s.ok(["total", "--metric", "tanks_destroyed", "--period", "2024"]);
    assert!(
        out.starts_with("tanks_destroyed, 2024: no figure on record"),
        "{out}"
    );
    assert!(total(&s, &["--metric", "tanks_destroyed"])["answer"].is_null());
}

#[test]
fn as_of_seq_shows_what_the_ledger_knew_then() {
    let s = Store::seeded();
    // seq 17 is the first 1358 claim; the second (seq 31) is not yet known.
    let t = total(
        &s,
        &[
            "--metric",
            "people_returned",
            "--period",
            "2024",
            "--as-of-seq",
            "17",
        ],
    );
    assert_eq!(t["answer"]["estimate"]["best"], 1358);
    assert_eq!(t["answer"]["independent_sources"], 1);
    assert_eq!(t["filter"]["as_of_seq"], 17);
    let t = total(
        &s,
        &[
            "--metric",
            "people_returned",
            "--period",
            "2024",
            "--as-of-seq",
            "16",
        ],
    );
    assert!(t["answer"].is_null(), "{t}");
}

#[test]
fn as_of_seq_undoes_a_later_retraction() {
    let s = Store::seeded();
    let id = claim_id(&s, "exchanges", "kyiv-independent", 11);
    s.ok(["retract", &id, "--reason", "test"]);
    let now = total(&s, &["--metric", "exchanges", "--period", "2024"]);
    assert_eq!(now["answer"]["independent_sources"], 1);
    let then = total(
        &s,
        &[
            "--metric",
            "exchanges",
            "--period",
            "2024",
            "--as-of-seq",
            "41",
        ],
    );
    assert_eq!(then["answer"]["independent_sources"], 2);
}

#[test]
fn every_policy_is_accepted_and_reported() {
    let s = Store::seeded();
    for p in ["official-first", "latest", "conservative", "corroborated"] {
        let t = total(
            &s,
            &[
                "--metric",
                "people_returned",
                "--period",
                "2024",
                "--policy",
                p,
            ],
        );
        assert_eq!(t["policy"], p);
        assert_eq!(t["answer"]["estimate"]["best"], 1358, "policy {p}");
    }
}

#[test]
fn explain_names_every_claim_with_quote_seq_and_event_hash() {
    let s = Store::seeded();
    let out = s.ok(["explain", "--metric", "people_returned", "--period", "2024"]);
    let first = out.lines().next().unwrap();
    assert!(
        first.starts_with("people_returned, 2024: 1358 [exact"),
        "{out}"
    );
    let ki = claim_id(&s, "people_returned", "kyiv-independent", 1358);
    let so = claim_id(&s, "people_returned", "seed-001-outlet", 1358);
    for (id, seq) in [(&ki, 31), (&so, 17)] {
        assert!(
            out.contains(&format!(
                "claim {} · seq {seq} · event hash {id}",
                &id[..12]
            )),
            "{id} at seq {seq} missing:\n{out}"
        );
    }
    assert!(
        out.contains("✔ chosen 1358 per kyiv-independent, quoting Coordination Headquarters"),
        "{out}"
    );
    assert!(
        out.contains("= agrees 1358 per seed-001-outlet; published date unknown"),
        "{out}"
    );
    assert!(out.contains("\"Since the start of the full-scale invasion, 3,956 people have been released, including 1,358 in 2024.\""), "{out}");
    assert!(out.contains("├─ stated: 1358"), "{out}");
    assert!(out.contains("└─ summed: at least 379"), "{out}");
    assert!(
        out.contains("note: a change against 2023 is on record, but no stated figure for 2023"),
        "{out}"
    );
}

#[test]
fn explain_json_lists_groups_with_chosen_and_agreeing_claims() {
    let s = Store::seeded();
    let t = s.json(["explain", "--metric", "people_returned", "--period", "2023"]);
    assert_eq!(t["answer"]["estimate"]["best"], 1002);
    let change = t["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "change")
        .unwrap();
    assert_eq!(change["estimate"]["best"], 1002);
    let claims: Vec<&Value> = change["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["claims"].as_array().unwrap())
        .collect();
    assert!(claims
        .iter()
        .any(|c| c["role"] == "chosen" && c["quantity"]["exact"] == 1358));
    assert!(claims
        .iter()
        .any(|c| c["role"] == "chosen" && c["quantity"]["exact"] == 356));
    for c in &claims {
        assert_eq!(c["id"].as_str().unwrap().len(), 64);
        assert!(c["seq"].as_u64().unwrap() >= 10);
        assert!(!c["quote"].as_str().unwrap().is_empty());
    }
}

#[test]
fn total_rejects_bad_query_flags_with_exit_2() {
    let s = Store::seeded();
    s.rejects(
        ["total", "--metric", "People-Returned"],
        &["--metric", "People-Returned"],
    );
    s.rejects(
        [
            "total",
            "--metric",
            "people_returned",
            "--period",
            "2024-13",
        ],
        &["--period", "month 13"],
    );
    s.rejects(
        [
            "total",
            "--metric",
            "people_returned",
            "--policy",
            "loudest",
        ],
        &["--policy"],
    );
    s.rejects(
        [
            "explain",
            "--metric",
            "people_returned",
            "--from",
            "2024-02-30",
            "--to",
            "2024-03-01",
        ],
        &["--from/--to", "2024-02-30"],
    );
    s.rejects(
        [
            "total",
            "--metric",
            "people_returned",
            "--breakdown",
            "civilian",
        ],
        &["--breakdown", "key=value"],
    );
    // clap: --from needs --to, --period excludes --from.
    s.rejects(
        ["total", "--metric", "x", "--from", "2024-01-01"],
        &["--to"],
    );
    s.rejects(
        [
            "total",
            "--metric",
            "x",
            "--period",
            "2024",
            "--from",
            "2024-01-01",
            "--to",
            "2024-02-01",
        ],
        &["cannot be used with"],
    );
}

/// Eight claims about one day: A=5 B=5 C=3 D=9 E=5 F=7 G=5 (chosen: the
/// latest of equal rank), and H=5, retracted.
fn crowded_day() -> Store {
    let s = Store::with_source();
    let mut lines: Vec<String> = [5, 5, 3, 9, 5, 7, 5, 5]
        .iter()
        .enumerate()
        .map(|(i, n)| {
            claim_line(json!({
                "quantity": {"exact": n},
                "quote": format!("Report {i}: {n} people came home."),
            }))
        })
        .collect();
    lines.push(json!({"type": "retract", "line": 8, "reason": "misread"}).to_string());
    s.ok([
        "import",
        s.file("day.jsonl", lines.join("\n")).to_str().unwrap(),
    ]);
    s
}

#[test]
fn explain_of_a_crowded_group_lists_the_chosen_claim_and_names_those_setting_its_bounds() {
    let s = crowded_day();
    let args = [
        "explain",
        "--metric",
        "people_returned",
        "--period",
        "2024-03",
    ];
    let out = s.ok(args);
    assert!(out.contains("event on 2024-03-01: 5 (range 3..9)"), "{out}");
    assert!(out.contains("✔ chosen 5 per test-outlet"), "{out}");
    assert!(out.contains("\"Report 6: 5 people came home.\""), "{out}");
    assert!(!out.contains("≠ competing"), "{out}");
    assert!(!out.contains("= agrees"), "{out}");
    assert!(
        out.contains(
            "+ 7 more not listed: 3 agreeing, 3 competing, 1 retracted (explain --all lists them)"
        ),
        "{out}"
    );
    let id = |n: i64| claim_id(&s, "people_returned", "test-outlet", n);
    let (low, high) = (id(3), id(9));
    assert!(
        out.contains(&format!(
            "low 3 set by claim {} (seq 4); high 9 set by claim {} (seq 5)",
            &low[..12],
            &high[..12]
        )),
        "{out}"
    );
    let group = |t: &Value| {
        t["routes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "summed")
            .unwrap()["groups"][0]
            .clone()
    };
    let g = group(&s.json(args));
    assert_eq!(g["claims"].as_array().unwrap().len(), 1, "{g}");
    assert_eq!(g["claims"][0]["role"], "chosen", "{g}");
    assert_eq!(
        g["omitted"],
        json!({"agrees": 3, "competing": 3, "retracted": 1, "corrected": 0,
               "low_set_by": {"id": low, "seq": 4}, "high_set_by": {"id": high, "seq": 5}})
    );
    // Again, now that the first run filled the memo: the same.
    assert_eq!(group(&s.json(args)), g);

    let all = s.ok(args.iter().copied().chain(["--all"]));
    assert_eq!(all.matches("= agrees 5").count(), 3, "{all}");
    assert!(all.contains("≠ competing 7 per test-outlet"), "{all}");
    assert!(all.contains("✘ retracted 5 per test-outlet"), "{all}");
    assert!(!all.contains("more not listed"), "{all}");
    let g = group(&s.json(args.iter().copied().chain(["--all"])));
    assert_eq!(g["claims"].as_array().unwrap().len(), 8, "{g}");
    assert!(g.get("omitted").is_none(), "{g}");
    // `total` prints figures only, and its JSON every claim.
    let t = group(&s.json([
        "total",
        "--metric",
        "people_returned",
        "--period",
        "2024-03",
    ]));
    assert_eq!(t["claims"].as_array().unwrap().len(), 8, "{t}");
}

#[test]
fn history_shows_each_event_that_changed_the_answer_ending_with_the_current_one() {
    let s = Store::seeded();
    let args = ["history", "--metric", "people_returned", "--period", "2024"];
    let out = s.ok(args);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(
        lines[0].starts_with("seq     17 ")
            && lines[0].ends_with("people_returned = 1358 [period 2024] per seed-001-outlet"),
        "{out}"
    );
    assert!(lines[1].contains("1358 [exact") && lines[1].contains("1 independent source(s)"));
    assert!(lines[2].starts_with("seq     31 ") && lines[2].contains("per kyiv-independent"));
    assert!(lines[3].contains("2 independent source(s)"), "{out}");
    let steps = s.json(args);
    let steps = steps.as_array().unwrap();
    let now = total(&s, &["--metric", "people_returned", "--period", "2024"]);
    assert_eq!(steps.last().unwrap()["answer"], now["answer"]);
    assert_eq!(
        s.ok(["history", "--metric", "people_returned", "--period", "2019"]),
        "no event has given this total a figure\n"
    );
}

/// Two running totals whose as-of dates end on the same day ("March 2024"
/// and "31 March 2024"): the one whose group key sorts last is the answer,
/// as brief totals (and the snapshots holding them) always chose, in
/// total, total --json and explain alike. Ranking by the claims a group
/// lists made explain and total --json pick the newer claim instead.
#[test]
fn equal_as_of_days_pick_the_same_running_total_in_every_output() {
    let s = Store::with_source();
    let lines = [("2024-03", 2900), ("2024-03-31", 3000)].map(|(as_of, n)| {
        claim_line(json!({
            "quantity": {"exact": n},
            "scope": {"kind": "cumulative", "since": "2022-02-24", "as_of": as_of},
            "quote": format!("{n} since the invasion."),
        }))
    });
    s.ok([
        "import",
        s.file("c.jsonl", lines.join("\n")).to_str().unwrap(),
    ]);
    let args = ["--metric", "people_returned"];
    let text = s.ok(["total", "--metric", "people_returned"]);
    assert!(
        text.starts_with("people_returned, all time: 2900 [exact"),
        "{text}"
    );
    for cmd in ["total", "explain"] {
        let t = s.json([cmd].into_iter().chain(args));
        assert_eq!(t["answer"]["route"], "latest_cumulative", "{cmd}: {t}");
        assert_eq!(t["answer"]["estimate"]["best"], 2900, "{cmd}: {t}");
    }
}

/// `--recorded-before T` shows what the ledger knew at time T: a claim
/// recorded before T counts, its retraction recorded at T does not yet.
#[test]
fn recorded_before_sees_a_claim_before_its_retraction_and_nothing_before_the_claim() {
    let s = Store::with_source();
    let out = s.ok(crate::claim_add(&[]));
    let id = crate::id_in(&out);
    std::thread::sleep(std::time::Duration::from_millis(20));
    s.ok(["retract", &id, "--reason", "misread"]);
    let log = s.json(["log"]);
    let at = |seq: usize| log[seq]["recorded_at"].as_str().unwrap().to_string();
    assert_eq!(log[3]["event"]["type"], "claim_retracted", "{log}");
    let answer = |before: Option<String>| {
        let mut args = vec!["--metric", "people_returned", "--period", "2024-03"];
        let b;
        if let Some(t) = before {
            b = t;
            args.extend(["--recorded-before", b.as_str()]);
        }
        total(&s, &args)["answer"].clone()
    };
    assert_eq!(answer(None), Value::Null);
    let then = answer(Some(at(3)));
    assert_eq!(then["route"], "summed", "{then}");
    assert_eq!(then["estimate"]["best"], 5, "{then}");
    assert_eq!(answer(Some(at(2))), Value::Null);
}
