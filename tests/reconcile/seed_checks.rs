//! `check` on the seed articles finds what a careful reader finds by hand,
//! and no false inconsistency.

use super::{answer, query, store_with, total};
use claimlog::{Finding, Policy, Severity, Tolerance};

const SEED: &str = include_str!("../../docs/examples/seed-claims.jsonl");

fn findings() -> Vec<Finding> {
    let tmp = tempfile::tempdir().unwrap();
    let s = store_with(&tmp.path().join("s"), SEED);
    claimlog::check(s.cache(), Tolerance::default()).unwrap()
}

fn find<'a>(fs: &'a [Finding], relation: &str, subject: &str) -> &'a Finding {
    fs.iter()
        .find(|f| f.relation == relation && f.subject.contains(subject))
        .unwrap_or_else(|| panic!("no {relation} finding about {subject}"))
}

fn sources(f: &Finding) -> Vec<&str> {
    let mut v: Vec<&str> = f.claims.iter().map(|c| c.source.as_str()).collect();
    v.sort();
    v
}

#[test]
fn seed_has_no_inconsistency() {
    let fs = findings();
    let bad: Vec<_> = fs
        .iter()
        .filter(|f| f.severity == Severity::Inconsistent)
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn kyiv_independent_and_the_unnamed_outlet_agree_on_1358_for_2024() {
    let fs = findings();
    let f = find(&fs, "agreement", "people_returned, period 2024");
    assert_eq!(sources(f), ["kyiv-independent", "seed-001-outlet"]);
    assert!(f.claims.iter().all(|c| c.value == "1358"));
}

#[test]
fn two_outlets_agree_on_356_more_than_2023_and_on_11_exchanges() {
    let fs = findings();
    assert_eq!(
        sources(find(&fs, "agreement", "change 2024 vs 2023")),
        ["kyiv-independent", "seed-001-outlet"]
    );
    assert_eq!(
        sources(find(&fs, "agreement", "exchanges, period 2024")),
        ["kyiv-independent", "seed-001-outlet"]
    );
}

#[test]
fn yearly_and_change_figures_fit_inside_the_running_total_since_the_invasion() {
    let fs = findings();
    let f = find(&fs, "cumulative_vs_parts", "since 2022-02-24");
    // 2023 = 1358 - 356 = 1002 (implied), + 2024 = 1358: 2360 <= 3956.
    assert!(
        f.arithmetic.contains("1002 (= 1358 - 356)"),
        "{}",
        f.arithmetic
    );
    assert!(
        f.arithmetic.contains("= 2360 <= running total 3956"),
        "{}",
        f.arithmetic
    );
    assert!(f
        .claims
        .iter()
        .any(|c| c.value == "3956" && c.source == "kyiv-independent"));
}

#[test]
fn unit_breakdown_of_the_30_december_exchange_adds_up_to_187_of_189() {
    let fs = findings();
    let f = fs
        .iter()
        .find(|f| {
            f.relation == "parts_of_whole"
                && f.subject.contains("30 December")
                && f.subject.contains("by unit")
        })
        .expect("unit breakdown finding");
    assert_eq!(f.severity, Severity::Consistent);
    assert!(
        f.arithmetic
            .contains("= 187 <= whole 189 (2 not broken down)"),
        "{}",
        f.arithmetic
    );
}

#[test]
fn six_civilians_among_230_and_27_mariupol_defenders_among_307_are_parts() {
    let fs = findings();
    assert!(fs.iter().any(|f| f.relation == "parts_of_whole"
        && f.arithmetic
            .contains("category=civilian: 6 = 6 <= whole 230")));
    assert!(fs.iter().any(|f| f.relation == "parts_of_whole"
        && f.arithmetic
            .contains("group=mariupol_defenders: 27 = 27 <= whole 307")));
}

#[test]
fn the_189_of_30_december_is_flagged_as_possibly_the_same_exchange_twice() {
    let fs = findings();
    let f = find(&fs, "possible_same_event", "people_returned");
    assert_eq!(f.severity, Severity::Info);
    assert_eq!(sources(f), ["kyiv-independent", "seed-001-outlet"]);
}

#[test]
fn summed_2024_events_are_a_lower_bound_of_the_stated_total_with_coverage_2_of_11() {
    let fs = findings();
    assert!(find(&fs, "stated_vs_summed", "people_returned, 2024")
        .arithmetic
        .contains("sum to 379 <= stated 1358"));
    assert!(find(&fs, "coverage", "people_returned, 2024")
        .arithmetic
        .contains("2 of 11"));
}

#[test]
fn totals_on_the_seed_come_from_the_right_routes() {
    let tmp = tempfile::tempdir().unwrap();
    let s = store_with(&tmp.path().join("s"), SEED);
    let t = |m: &str, p: Option<&str>| answer(&total(&s, &query(m, p, Policy::OfficialFirst)));
    assert_eq!(
        t("people_returned", Some("2024")),
        Some(("stated", 1358, Some(1358), Some(1358)))
    );
    assert_eq!(
        t("people_returned", Some("2023")),
        Some(("change", 1002, Some(1002), Some(1002)))
    );
    assert_eq!(
        t("exchanges", Some("2024")),
        Some(("stated", 11, Some(11), Some(11)))
    );
    assert_eq!(
        t("bodies_repatriated", None),
        Some(("latest_cumulative", 7000, Some(7000), None))
    );
}
