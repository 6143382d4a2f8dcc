//! tests/data/conflicts.jsonl: a dataset built to conflict, with the
//! expected best/low/high for each question.

use super::{answer, query, route, store_with, total};
use claimlog::{Policy, Severity, Tolerance};

const DATA: &str = include_str!("../data/conflicts.jsonl");

#[test]
fn competing_yearly_totals_give_best_low_high_under_every_policy() {
    let tmp = tempfile::tempdir().unwrap();
    let s = store_with(&tmp.path().join("s"), DATA);
    let cases = [
        // HQ publishes its own figure: official-first takes it.
        (Policy::OfficialFirst, 300, 1),
        // Latest publication: NGO X, 2024-03-01.
        (Policy::Latest, 310, 2),
        (Policy::Conservative, 300, 1),
        // 310 has two independent origins (outlet C, NGO X); 300 has one
        // (the HQ, repeated by outlet A citing it).
        (Policy::Corroborated, 310, 2),
    ];
    for (policy, best, sources) in cases {
        let t = total(&s, &query("people_returned", Some("2023"), policy));
        assert_eq!(
            answer(&t),
            Some(("stated", best, Some(300), Some(310))),
            "{policy:?}"
        );
        assert_eq!(
            t.answer.as_ref().unwrap().independent_sources,
            sources,
            "{policy:?}"
        );
    }
}

#[test]
fn retracted_claim_is_shown_but_not_counted_until_as_of_before_its_retraction() {
    let tmp = tempfile::tempdir().unwrap();
    let s = store_with(&tmp.path().join("s"), DATA);
    let t = total(
        &s,
        &query("people_returned", Some("2023"), Policy::OfficialFirst),
    );
    let stated = &t.routes[0].groups[0];
    let retracted: Vec<_> = stated
        .claims
        .iter()
        .filter(|c| c.role == claimlog::Role::Retracted)
        .collect();
    assert_eq!(retracted.len(), 1);
    assert_eq!(retracted[0].quantity, claimlog::Quantity::Exact(500));
    assert!(retracted[0]
        .ended
        .as_deref()
        .unwrap()
        .contains("included bodies"));
    // Before the retraction (the last event), the 500 still widened the range.
    let mut q = query("people_returned", Some("2023"), Policy::OfficialFirst);
    q.filter.as_of_seq = Some(s.head().seq - 1);
    assert_eq!(
        answer(&total(&s, &q)),
        Some(("stated", 300, Some(300), Some(500)))
    );
}

#[test]
fn every_route_for_2023_and_the_change_route_for_2024() {
    let tmp = tempfile::tempdir().unwrap();
    let s = store_with(&tmp.path().join("s"), DATA);
    let t = total(
        &s,
        &query("people_returned", Some("2023"), Policy::OfficialFirst),
    );
    // 1300 as of 2023-12-31 minus 1000 as of 2022-12-31.
    assert_eq!(
        route(&t, "cumulative").map(|e| (e.best, e.kind())),
        Some((300, "exact"))
    );
    // 95 (2023-06-11) + at least 40 (August) + 75 (corrected from 70); the
    // undated "spring swap" is left out; 3 of 5 exchanges: a lower bound.
    let summed = route(&t, "summed").unwrap();
    assert_eq!(
        (summed.best, summed.low, summed.high, summed.kind()),
        (210, Some(210), None, "at_least")
    );
    // 2024 has only "50 more than 2023": 300 + 50, and 310 + 50 at the top.
    let t24 = total(
        &s,
        &query("people_returned", Some("2024"), Policy::OfficialFirst),
    );
    assert_eq!(answer(&t24), Some(("change", 350, Some(350), Some(360))));
    // The corrected 70 is shown as corrected, the 75 counts.
    let e = &t.routes.iter().find(|r| r.name == "summed").unwrap().groups;
    let oct = e.iter().find(|g| g.key == "event:2023-10-05").unwrap();
    assert_eq!(oct.estimate.unwrap().best, 75);
    assert!(oct.claims.iter().any(
        |c| c.role == claimlog::Role::Corrected && c.quantity == claimlog::Quantity::Exact(70)
    ));
}

#[test]
fn bounds_and_approximations_keep_their_kind() {
    let tmp = tempfile::tempdir().unwrap();
    let s = store_with(&tmp.path().join("s"), DATA);
    // All time: the latest running total (1300, exact).
    let t = total(&s, &query("people_returned", None, Policy::OfficialFirst));
    assert_eq!(
        answer(&t),
        Some(("latest_cumulative", 1300, Some(1300), Some(1300)))
    );
    // Summed over every event: includes "about 60" (undated), so it is approximate.
    assert_eq!(route(&t, "summed").unwrap().kind(), "approx");
    // bodies: "at least 7000" (March) vs "6500" (June): the later, exact one
    // is the latest running total, and the disagreement shows in low/high.
    let b = total(
        &s,
        &query("bodies_repatriated", None, Policy::OfficialFirst),
    );
    assert_eq!(answer(&b).map(|a| a.1), Some(6500));
}

#[test]
fn check_names_each_planted_inconsistency_and_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let s = store_with(&tmp.path().join("s"), DATA);
    let findings = claimlog::check(s.cache(), Tolerance::default()).unwrap();
    let mut bad: Vec<(&str, String)> = findings
        .iter()
        .filter(|f| f.severity == Severity::Inconsistent)
        .map(|f| (f.relation, f.subject.clone()))
        .collect();
    bad.sort();
    assert_eq!(
        bad,
        vec![
            (
                "cumulative_decrease",
                "bodies_repatriated, running total since 2022-02-24".to_string()
            ),
            (
                "disagreement",
                "people_returned, event on 2023-06-11".to_string()
            ),
            ("disagreement", "people_returned, period 2023".to_string()),
            (
                "parts_of_whole",
                "people_returned, event on 2023-06-11 (by category)".to_string()
            ),
        ]
    );
    // The retracted 500 takes part in nothing.
    assert!(findings
        .iter()
        .all(|f| f.claims.iter().all(|c| c.value != "500")));
    // The running totals bracket the stated year: 1300 - 1000 = 300 is not a finding
    // of its own, but 2023's figures sit inside the running total since 2022-02-24.
    assert!(findings
        .iter()
        .any(|f| f.relation == "cumulative_vs_parts" && f.severity == Severity::Consistent));
}

/// Regression: a correction whose new claim is identical to another active
/// claim would leave two identical active claims; it is refused.
#[test]
fn correction_into_a_copy_of_an_active_claim_is_refused_and_nothing_appended() {
    let tmp = tempfile::tempdir().unwrap();
    let claim = |n: u32| {
        format!(
            r#"{{"type":"claim","metric":"exchanges","quantity":{{"exact":{n}}},"scope":{{"kind":"event","date":"2024-01-03"}},"source":"a","published":"unknown","quote":"q"}}"#
        )
    };
    let base = format!(
        "{}\n{}\n{}\n",
        r#"{"type":"source","id":"a","name":"A","kind":"media"}"#,
        claim(5),
        claim(6)
    );
    let mut s = store_with(&tmp.path().join("s"), &base);
    let head = s.head();
    let fix = format!(
        r#"{{"type":"correct","line":3,"reason":"typo","new":{}}}"#,
        claim(5).replace(r#""type":"claim","#, "")
    );
    let input = format!("{base}{fix}\n");
    match claimlog::import(&mut s, std::io::Cursor::new(input)) {
        Err(claimlog::IngestError::Lines(errs)) => {
            assert_eq!(errs.len(), 1);
            assert_eq!(errs[0].line, 4);
            assert!(
                errs[0].message.contains("identical to active claim"),
                "{}",
                errs[0].message
            );
        }
        other => panic!("expected a line error, got {other:?}"),
    }
    assert_eq!(s.head(), head);
}

/// Running totals are read by their as-of day; the cumulative route must
/// still find those as of the day after each bound ("as of 1 January"),
/// and ignore those as of days inside the period.
#[test]
fn cumulative_route_reads_running_totals_as_of_the_days_after_the_bounds() {
    let tmp = tempfile::tempdir().unwrap();
    let line = |n: u64, as_of: &str| {
        format!(
            r#"{{"type":"claim","metric":"people_returned","quantity":{{"exact":{n}}},"scope":{{"kind":"cumulative","since":"2022-02-24","as_of":"{as_of}"}},"source":"hq","published":"2025-01-02","quote":"Since the invasion, {n} have come home."}}"#
        )
    };
    let data = [
        r#"{"type":"source","id":"hq","name":"Coordination HQ (test)","kind":"official"}"#
            .to_string(),
        line(1000, "2024-01-01"),
        line(1200, "2024-06-30"),
        line(1500, "2025-01-01"),
        line(9999, "2025"),
    ]
    .join("\n");
    let s = store_with(&tmp.path().join("s"), &data);
    let t = total(
        &s,
        &query("people_returned", Some("2024"), Policy::OfficialFirst),
    );
    assert_eq!(
        route(&t, "cumulative").map(|e| (e.best, e.kind())),
        Some((500, "exact"))
    );
    // A one-day period: the same running total is its start and its end
    // candidate, read once.
    let t = total(
        &s,
        &query("people_returned", Some("2024-06-30"), Policy::OfficialFirst),
    );
    let groups = &t
        .routes
        .iter()
        .find(|r| r.name == "cumulative")
        .unwrap()
        .groups;
    assert!(groups.iter().all(|g| g.claims.len() <= 1), "{groups:?}");
}

/// Regression: `check` holds one metric's claims at a time, and
/// `coverage` sets a metric's period against the exchanges counted for
/// it: a metric that sorts before `exchanges` must still be set against
/// them (a first attempt at checking metric by metric lost these).
#[test]
fn coverage_is_found_for_a_metric_listed_before_exchanges() {
    let tmp = tempfile::tempdir().unwrap();
    let claim = |metric: &str, n: u32, scope: &str| {
        format!(
            r#"{{"type":"claim","metric":"{metric}","quantity":{{"exact":{n}}},"scope":{scope},"source":"a","published":"unknown","quote":"q {metric} {n}"}}"#
        )
    };
    let year = r#"{"kind":"period","from":"2024-01-01","to":"2024-12-31"}"#;
    let day = |d: &str| format!(r#"{{"kind":"event","date":"{d}"}}"#);
    let data = [
        r#"{"type":"source","id":"a","name":"A","kind":"media"}"#.to_string(),
        claim("bodies_repatriated", 90, year),
        claim("bodies_repatriated", 50, &day("2024-03-01")),
        claim("bodies_repatriated", 40, &day("2024-05-01")),
        claim("exchanges", 1, year),
        claim("people_returned", 300, year),
        claim("people_returned", 100, &day("2024-03-01")),
    ]
    .join("\n");
    let s = store_with(&tmp.path().join("s"), &data);
    let findings = claimlog::check(s.cache(), Tolerance::default()).unwrap();
    let coverage: Vec<(&str, Severity, &str)> = findings
        .iter()
        .filter(|f| f.relation == "coverage")
        .map(|f| (f.subject.as_str(), f.severity, f.claims[0].quote.as_str()))
        .collect();
    assert_eq!(
        coverage,
        vec![
            // Two exchanges on record against one stated: cannot all hold.
            (
                "bodies_repatriated, 2024",
                Severity::Inconsistent,
                "q exchanges 1"
            ),
            ("people_returned, 2024", Severity::Info, "q exchanges 1"),
        ]
    );
    // Most severe first, whatever metric they came from.
    let severities: Vec<Severity> = findings.iter().map(|f| f.severity).collect();
    let mut sorted = severities.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(severities, sorted);
}
