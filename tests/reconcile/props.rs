//! Property tests against a simple in-memory model: for random claim sets
//! appended in random batches, (1) the cache holds exactly the model's
//! claims and statuses, (2) the incrementally maintained cache equals a
//! rebuild from the log, key for key, (3) a query `--as-of-seq N` on the
//! full store equals the same query on a store holding only the first N+1
//! events, and (4) `total_brief` and `explain`, which read resolved days
//! from the memo, give what `total` computes from every claim (`explain`:
//! the part of it the listing rule keeps), after every batch.

use claimlog::{
    Claim, ClaimFields, Correction, Event, FuzzyDate, Hash32, Name, Origin, Period, Policy,
    Quantity, Retraction, Scope, Slug, Source, SourceId, SourceKind, Store, StoreOptions, Text,
};
use proptest::prelude::*;
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
enum Op {
    Add {
        metric: u8,
        scope: u8,
        value: i64,
        source: u8,
        cites: bool,
    },
    Retract {
        pick: usize,
    },
    Correct {
        pick: usize,
        value: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..2, 0u8..16, 0i64..400, 0u8..3, any::<bool>())
            .prop_map(|(metric, scope, value, source, cites)| Op::Add { metric, scope, value, source, cites }),
        1 => any::<usize>().prop_map(|pick| Op::Retract { pick }),
        1 => (any::<usize>(), 0i64..400).prop_map(|(pick, value)| Op::Correct { pick, value }),
    ]
}

/// `op()`, with half the claims crowded onto the two exact days (scopes 0
/// and 2), so that their groups outgrow what explain lists whole.
fn crowded_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        op(),
        (
            0u8..2,
            prop_oneof![Just(0u8), Just(2u8)],
            0i64..400,
            0u8..3,
            any::<bool>()
        )
            .prop_map(|(metric, scope, value, source, cites)| Op::Add {
                metric,
                scope,
                value,
                source,
                cites
            }),
    ]
}

fn day(s: &str) -> claimlog::Day {
    s.parse().unwrap()
}

fn scope(i: u8) -> Scope {
    let p = |y| Period::year(y).unwrap();
    match i {
        0 => Scope::Event {
            date: FuzzyDate::parse("2023-03-05").unwrap(),
            label: None,
        },
        1 => Scope::Event {
            date: FuzzyDate::parse("2023-07").unwrap(),
            label: Some(Name::new("July swap").unwrap()),
        },
        2 => Scope::Event {
            date: FuzzyDate::parse("2024-02-02").unwrap(),
            label: None,
        },
        3 => Scope::Event {
            date: FuzzyDate::Unknown,
            label: Some(Name::new("undated").unwrap()),
        },
        4 => Scope::Period {
            from: p(2023).from,
            to: p(2023).to,
        },
        5 => Scope::Period {
            from: p(2024).from,
            to: p(2024).to,
        },
        6 => Scope::Cumulative {
            since: FuzzyDate::parse("2022-02-24").unwrap(),
            as_of: FuzzyDate::Day(day("2023-12-31")),
            label: None,
        },
        7 => Scope::Cumulative {
            since: FuzzyDate::parse("2022-02-24").unwrap(),
            as_of: FuzzyDate::Day(day("2022-12-31")),
            label: None,
        },
        8 => Scope::Cumulative {
            since: FuzzyDate::parse("2022-02-24").unwrap(),
            as_of: FuzzyDate::parse("2023-12").unwrap(),
            label: Some(Name::new("Big").unwrap()),
        },
        9 => Scope::Cumulative {
            since: FuzzyDate::parse("2022-02-24").unwrap(),
            as_of: FuzzyDate::parse("2023-12").unwrap(),
            label: Some(Name::new("BIG").unwrap()),
        },
        10 => Scope::Cumulative {
            since: FuzzyDate::parse("2022-02-24").unwrap(),
            as_of: FuzzyDate::Unknown,
            label: None,
        },
        11 => Scope::Cumulative {
            since: FuzzyDate::parse("2022-02-24").unwrap(),
            as_of: FuzzyDate::parse("2023").unwrap(),
            label: None,
        },
        12 => Scope::Event {
            date: FuzzyDate::parse("2023").unwrap(),
            label: None,
        },
        13 => Scope::Event {
            date: FuzzyDate::parse("2023-03-05").unwrap(),
            label: Some(Name::new("Swap").unwrap()),
        },
        14 => Scope::Event {
            date: FuzzyDate::parse("2023-07").unwrap(),
            label: Some(Name::new("JULY SWAP").unwrap()),
        },
        _ => Scope::Change {
            period: Period::year(2024).unwrap(),
            baseline: Period::year(2023).unwrap(),
        },
    }
}

const SOURCES: [(&str, SourceKind); 3] = [
    ("hq", SourceKind::Official),
    ("a", SourceKind::Media),
    ("b", SourceKind::Media),
];

fn claim(metric: u8, sc: u8, value: i64, source: u8, cites: bool) -> Claim {
    Claim::new(ClaimFields {
        metric: Slug::new(if metric == 0 {
            "people_returned"
        } else {
            "exchanges"
        })
        .unwrap(),
        breakdown: Default::default(),
        quantity: if value % 7 == 0 {
            Quantity::AtLeast(value)
        } else {
            Quantity::Exact(value)
        },
        scope: scope(sc),
        source: SourceId::new(SOURCES[usize::from(source)].0).unwrap(),
        speaker: None,
        cites: cites.then(|| SourceId::new("hq").unwrap()),
        url: None,
        published: FuzzyDate::parse(["2024-01-01", "2024-02", "unknown"][usize::from(source)])
            .unwrap(),
        quote: Text::new(format!("{value} people")).unwrap(),
        note: None,
    })
    .unwrap()
}

const POLICIES: [Policy; 4] = [
    Policy::OfficialFirst,
    Policy::Latest,
    Policy::Conservative,
    Policy::Corroborated,
];

/// The model: claim id -> (claim, active).
type Model = BTreeMap<Hash32, (Claim, bool)>;

fn build(dir: &std::path::Path, ops: &[Op], splits: &[usize]) -> (Store, Model) {
    build_with(dir, ops, splits, &mut |_| {})
}

/// `build`, calling `after_batch` with the store after every batch.
fn build_with(
    dir: &std::path::Path,
    ops: &[Op],
    splits: &[usize],
    after_batch: &mut dyn FnMut(&Store),
) -> (Store, Model) {
    let mut s = Store::create(
        dir,
        Origin::new("prop.example/x").unwrap(),
        StoreOptions::default(),
    )
    .unwrap();
    s.append(
        SOURCES
            .iter()
            .map(|(id, kind)| {
                Event::SourceRegistered(Source {
                    id: SourceId::new(*id).unwrap(),
                    name: Name::new(id.to_uppercase()).unwrap(),
                    kind: *kind,
                    homepage: None,
                })
            })
            .collect(),
    )
    .unwrap();
    let mut model = Model::new();
    let mut order: Vec<Hash32> = Vec::new();
    let mut i = 0;
    let mut k = 0;
    while i < ops.len() {
        let n = (splits.get(k).copied().unwrap_or(1) % 4 + 1).min(ops.len() - i);
        k += 1;
        let mut b = s.batch();
        let mut staged: Vec<(Hash32, Claim, Option<Hash32>)> = Vec::new();
        let mut ended: Vec<Hash32> = Vec::new();
        for op in &ops[i..i + n] {
            let active: Vec<Hash32> = order
                .iter()
                .chain(staged.iter().map(|x| &x.0))
                .filter(|id| model.get(*id).map(|m| m.1).unwrap_or(true) && !ended.contains(id))
                .copied()
                .collect();
            match op {
                Op::Add {
                    metric,
                    scope,
                    value,
                    source,
                    cites,
                } => {
                    let c = claim(*metric, *scope, *value, *source, *cites);
                    let a = b.push(Event::ClaimAdded(c.clone())).unwrap();
                    staged.push((a.hash, c, None));
                }
                Op::Retract { pick } if !active.is_empty() => {
                    let id = active[pick % active.len()];
                    b.push(Event::ClaimRetracted(Retraction {
                        claim: id,
                        reason: Text::new("withdrawn").unwrap(),
                    }))
                    .unwrap();
                    ended.push(id);
                }
                Op::Correct { pick, value } if !active.is_empty() => {
                    let id = active[pick % active.len()];
                    let old = model
                        .get(&id)
                        .map(|m| m.0.clone())
                        .or_else(|| staged.iter().find(|x| x.0 == id).map(|x| x.1.clone()))
                        .unwrap();
                    let mut f = old.fields().clone();
                    f.quantity = Quantity::Exact(*value);
                    f.quote = Text::new(format!("corrected to {value}")).unwrap();
                    let new = Claim::new(f).unwrap();
                    let a = b
                        .push(Event::ClaimCorrected(Correction {
                            old: id,
                            new: new.clone(),
                            reason: Text::new("typo").unwrap(),
                        }))
                        .unwrap();
                    ended.push(id);
                    staged.push((a.hash, new, Some(id)));
                }
                _ => {}
            }
        }
        if !b.is_empty() {
            b.commit().unwrap();
            for (id, c, _) in staged {
                model.insert(id, (c, true));
                order.push(id);
            }
            for id in ended {
                model.get_mut(&id).unwrap().1 = false;
            }
            after_batch(&s);
        }
        i += n;
    }
    (s, model)
}

fn prefix_store(dir: &std::path::Path, full: &Store, upto: u64) -> Store {
    let mut records = full.read(0, upto + 1).unwrap();
    let genesis = records.next().unwrap().unwrap().bytes;
    let mut s = Store::create_restored(dir, genesis, StoreOptions::default()).unwrap();
    let rest: Vec<Vec<u8>> = records.map(|r| r.unwrap().bytes).collect();
    if !rest.is_empty() {
        let mut b = s.batch();
        for bytes in rest {
            b.push_encoded(bytes).unwrap();
        }
        b.commit().unwrap();
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn folds_match_the_model_a_rebuild_and_prefix_stores(
        ops in proptest::collection::vec(op(), 1..24),
        splits in proptest::collection::vec(any::<usize>(), 0..24),
        cut in any::<u64>(),
        policy in 0u8..4,
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let (mut s, model) = build(&tmp.path().join("full"), &ops, &splits);
        // (1) the cache holds exactly the model's claims and statuses.
        let cached: Model = s.cache().claims().map(|e| { let e = e.unwrap(); (e.id, (s.cache().full_claim(&e).unwrap(), e.status.is_active())) }).collect();
        prop_assert_eq!(&cached, &model);
        // (2) incremental == rebuild, key for key.
        let before = s.cache().dump().unwrap();
        s.rebuild_cache().unwrap();
        prop_assert_eq!(before, s.cache().dump().unwrap());
        // (3) as-of-seq N == the store of the first N+1 events.
        let n = cut % (s.head().seq + 1);
        let prefix = prefix_store(&tmp.path().join("prefix"), &s, n);
        let policy = POLICIES[usize::from(policy)];
        for (metric, period) in [("people_returned", Some("2023")), ("people_returned", Some("2024")), ("people_returned", None), ("exchanges", Some("2023"))] {
            let mut q = super::query(metric, period, policy);
            let on_prefix = claimlog::total(prefix.cache(), &q).unwrap();
            q.filter.as_of_seq = Some(n);
            let as_of = claimlog::total(s.cache(), &q).unwrap();
            prop_assert_eq!(serde_json::to_value(&as_of.answer).unwrap(), serde_json::to_value(&on_prefix.answer).unwrap());
            prop_assert_eq!(serde_json::to_value(&as_of.routes).unwrap(), serde_json::to_value(&on_prefix.routes).unwrap());
        }
    }
}

/// `t` without the claims its groups list (what `total_brief` leaves out).
fn figures(t: &claimlog::Total) -> serde_json::Value {
    let mut v = serde_json::to_value(t).unwrap();
    for r in v["routes"].as_array_mut().unwrap() {
        for g in r["groups"].as_array_mut().unwrap() {
            g["claims"] = serde_json::json!([]);
        }
    }
    v
}

/// The model of what `explain` lists, applied to `total`'s every claim:
/// a group of at most LIST_ALL_UP_TO claims whole; of a larger one the
/// chosen claim, the rest counted by role, and the first active claims
/// (in listing order) whose low and high are the group's named.
fn derived(t: &claimlog::Total) -> serde_json::Value {
    let mut v = serde_json::to_value(t).unwrap();
    for r in v["routes"].as_array_mut().unwrap() {
        for g in r["groups"].as_array_mut().unwrap() {
            let claims = g["claims"].as_array().unwrap().clone();
            if claims.len() <= claimlog::LIST_ALL_UP_TO {
                continue;
            }
            let active = |c: &serde_json::Value| {
                ["chosen", "agrees", "competing"].contains(&c["role"].as_str().unwrap())
            };
            let keep: Vec<usize> = claims
                .iter()
                .position(|c| c["role"] == "chosen")
                .into_iter()
                .collect();
            let mut counts = BTreeMap::<&str, usize>::new();
            for (i, c) in claims.iter().enumerate() {
                if !keep.contains(&i) {
                    *counts.entry(c["role"].as_str().unwrap()).or_default() += 1;
                }
            }
            let n = |r: &str| counts.get(r).copied().unwrap_or(0);
            let mut omitted = serde_json::json!({
                "agrees": n("agrees"), "competing": n("competing"),
                "retracted": n("retracted"), "corrected": n("corrected"),
            });
            if !g["estimate"].is_null() {
                for side in ["low", "high"] {
                    let c = claims
                        .iter()
                        .find(|c| active(c) && c["estimate"][side] == g["estimate"][side])
                        .unwrap();
                    omitted[format!("{side}_set_by")] =
                        serde_json::json!({"id": c["id"], "seq": c["seq"]});
                }
            }
            g["omitted"] = omitted;
            g["claims"] = keep.iter().map(|&i| claims[i].clone()).collect();
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn memoised_days_give_the_totals_computed_from_every_claim_after_every_batch_all_time_too(
        ops in proptest::collection::vec(crowded_op(), 1..48),
        splits in proptest::collection::vec(any::<usize>(), 0..24),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let mut failures = Vec::new();
        let mut check = |s: &Store| {
            for (i, policy) in POLICIES.into_iter().enumerate() {
                for (metric, period) in [("people_returned", "2023"), ("people_returned", "2024"), ("exchanges", "2023")] {
                    let q = super::query(metric, Some(period), policy);
                    // Half the policies ask explain first, so that explain
                    // both resolves days itself and reads days total resolved.
                    if i % 2 == 1 {
                        let explained = serde_json::to_value(claimlog::explain(s.cache(), &q).unwrap()).unwrap();
                        let listed = derived(&claimlog::total(s.cache(), &q).unwrap());
                        if explained != listed {
                            failures.push(format!("explain first {metric} {period} {policy:?} at seq {}:\n{explained}\n!=\n{listed}", s.head().seq));
                        }
                    }
                    let every = claimlog::total(s.cache(), &q).unwrap();
                    let full = figures(&every);
                    let listed = derived(&every);
                    // Twice: the first may fill the memo, the second reads it.
                    for _ in 0..2 {
                        let brief = figures(&claimlog::total_brief(s.cache(), &q).unwrap());
                        if brief != full {
                            failures.push(format!("{metric} {period} {policy:?} at seq {}:\n{brief}\n!=\n{full}", s.head().seq));
                        }
                        let explained = serde_json::to_value(claimlog::explain(s.cache(), &q).unwrap()).unwrap();
                        if explained != listed {
                            failures.push(format!("explain {metric} {period} {policy:?} at seq {}:\n{explained}\n!=\n{listed}", s.head().seq));
                        }
                    }
                    // All time reads the same memoised days (twice: fill,
                    // then read); with a filter nothing comes from the memo.
                    let all_time = super::query(metric, None, policy);
                    let every = claimlog::total(s.cache(), &all_time).unwrap();
                    let (full, listed) = (figures(&every), derived(&every));
                    for _ in 0..2 {
                        let brief = figures(&claimlog::total_brief(s.cache(), &all_time).unwrap());
                        if brief != full {
                            failures.push(format!("all time {metric} {policy:?} at seq {}:\n{brief}\n!=\n{full}", s.head().seq));
                        }
                        let explained = serde_json::to_value(claimlog::explain(s.cache(), &all_time).unwrap()).unwrap();
                        if explained != listed {
                            failures.push(format!("explain all time {metric} {policy:?}:\n{explained}\n!=\n{listed}"));
                        }
                    }
                    let mut past = q.clone();
                    past.filter.as_of_seq = Some(s.head().seq / 2);
                    let explained = serde_json::to_value(claimlog::explain(s.cache(), &past).unwrap()).unwrap();
                    let listed = derived(&claimlog::total(s.cache(), &past).unwrap());
                    if explained != listed {
                        failures.push(format!("explain as of {} {metric} {period} {policy:?}:\n{explained}\n!=\n{listed}", s.head().seq / 2));
                    }
                }
            }
        };
        let (mut s, _) = build_with(&tmp.path().join("s"), &ops, &splits, &mut check);
        prop_assert!(failures.is_empty(), "{}", failures.join("\n\n"));
        // The snapshot's list of totals, kept in `y/`, is the one every
        // claim (any status) gives: each metric and part, all time and
        // each calendar year a claim lies within.
        let mut expected: std::collections::BTreeMap<(String, claimlog::Breakdown), std::collections::BTreeSet<i32>> = Default::default();
        for e in s.cache().claims() {
            let e = e.unwrap();
            expected.entry((e.claim.metric.to_string(), e.claim.breakdown.clone())).or_default().extend(e.claim.scope.years());
        }
        let listed: Vec<(String, String, Option<Period>)> = claimlog::export::standard_queries(s.cache()).unwrap().into_iter()
            .map(|q| (q.metric.to_string(), q.breakdown.to_string(), q.period)).collect();
        let mut want: Vec<(String, String, Option<Period>)> = Vec::new();
        for ((m, b), years) in expected {
            let b = b.to_string();
            want.push((m.clone(), b.clone(), None));
            want.extend(years.into_iter().map(|y| (m.clone(), b.clone(), Period::year(y))));
        }
        prop_assert_eq!(listed, want);
        // A rebuild clears the memo; the figures stay.
        let q = super::query("people_returned", Some("2023"), Policy::OfficialFirst);
        let before = figures(&claimlog::total_brief(s.cache(), &q).unwrap());
        s.rebuild_cache().unwrap();
        prop_assert_eq!(before, figures(&claimlog::total_brief(s.cache(), &q).unwrap()));
    }
}

/// `totals_over_log` for `q` steps in log order, never past the query's
/// own `--as-of-seq`, and as of every seq the last step before it is the
/// brief total computed afresh (with a filter, nothing comes from the memo).
fn history_gives_the_total_as_of_every_seq(
    s: &Store,
    q: &claimlog::Query,
) -> Result<(), TestCaseError> {
    let upto = q.filter.as_of_seq;
    let mut steps = Vec::new();
    claimlog::totals_over_log(
        s.cache(),
        q,
        |seq, t| -> Result<(), claimlog::ProjectError> {
            steps.push((seq, t));
            Ok(())
        },
    )
    .unwrap();
    prop_assert!(steps.windows(2).all(|w| w[0].0 < w[1].0));
    prop_assert!(steps.iter().all(|(k, _)| upto.is_none_or(|u| *k <= u)));
    // The brief total of an empty ledger, then of each step.
    let mut last = serde_json::to_value(
        claimlog::total_brief(s.cache(), &{
            let mut none = q.clone();
            none.filter.as_of_seq = Some(0);
            none
        })
        .unwrap(),
    )
    .unwrap();
    let mut next = steps.iter().peekable();
    for seq in 0..=s.head().seq {
        let mut at = q.clone();
        // A user's --as-of-seq caps every step.
        at.filter.as_of_seq = Some(upto.map_or(seq, |u| seq.min(u)));
        let t = serde_json::to_value(claimlog::total_brief(s.cache(), &at).unwrap()).unwrap();
        if let Some((_, step)) = next.next_if(|(k, _)| *k == seq) {
            last = serde_json::to_value(step).unwrap();
        }
        last["filter"] = t["filter"].clone();
        prop_assert_eq!(
            &last,
            &t,
            "{} {:?} {:?} at seq {}",
            q.metric,
            q.period,
            q.filter,
            seq
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// `history`: the total is recomputed only at the seqs
    /// `totals_over_log` returns, so between them it must not change.
    #[test]
    fn history_steps_give_the_total_as_of_every_seq(
        ops in proptest::collection::vec(crowded_op(), 1..32),
        splits in proptest::collection::vec(any::<usize>(), 0..24),
        policy in 0u8..4,
        cut in any::<u64>(),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let (s, _) = build(&tmp.path().join("s"), &ops, &splits);
        let policy = POLICIES[usize::from(policy)];
        let cut = cut % (s.head().seq + 1);
        for (metric, period, upto) in [("people_returned", Some("2023"), None), ("people_returned", Some("2024"), None), ("people_returned", None, None), ("exchanges", Some("2023"), None), ("people_returned", Some("2023"), Some(cut))] {
            let mut q = super::query(metric, period, policy);
            q.filter.as_of_seq = upto;
            history_gives_the_total_as_of_every_seq(&s, &q)?;
        }
    }
}

/// All-time totals take running totals an as-of date at a time and days
/// from the memo; their ties and day order must be `total`'s: equal last
/// possible days go to the group whose key sorts last, and days before
/// 1970 sort before it (the memo's day bytes are shifted).
#[test]
fn all_time_memo_and_streamed_running_totals_keep_totals_ties_and_day_order() {
    let tmp = tempfile::tempdir().unwrap();
    let running = |n: u64, since: &str, as_of: &str, label: &str| {
        format!(
            r#"{{"type":"claim","metric":"people_returned","quantity":{{"exact":{n}}},"scope":{{"kind":"cumulative","since":"{since}","as_of":"{as_of}","label":"{label}"}},"source":"hq","published":"2025-01-02","quote":"Since {since}, {n} have come home."}}"#
        )
    };
    let event = |n: u64, date: &str, source: &str| {
        format!(
            r#"{{"type":"claim","metric":"people_returned","quantity":{{"exact":{n}}},"scope":{{"kind":"event","date":"{date}"}},"source":"{source}","published":"2025-01-02","quote":"{n} came home on {date}."}}"#
        )
    };
    let data = [
        r#"{"type":"source","id":"hq","name":"Coordination HQ (test)","kind":"official"}"#
            .to_string(),
        r#"{"type":"source","id":"news","name":"News (test)","kind":"media"}"#.to_string(),
        // Three running totals whose last possible day is 2024-12-31: the
        // index reads "2024" first and "2024-12-31" last, but the group key
        // ("cumulative:<since>:<as_of>:<label>") of "2024-12" sorts last.
        running(100, "2022-02-24", "2024", "year"),
        running(120, "2023-01-01", "2024-12", "month"),
        running(110, "2022-02-24", "2024-12-31", "day"),
        running(90, "2022-02-24", "2023-06-01", "older"),
        running(500, "2022-02-24", "unknown", "undated"),
        event(7, "1969-12-31", "hq"),
        event(9, "1969-12-31", "news"),
        event(11, "1970-01-01", "news"),
        event(13, "1960-05-05", "hq"),
        event(17, "2024-03-01", "news"),
        event(19, "1969-12", "hq"),
    ]
    .join("\n");
    let s = super::store_with(&tmp.path().join("s"), &data);
    for policy in POLICIES {
        for period in [
            None,
            Some("1969"),
            Some("1960-01-01..1970-01-01"),
            Some("2024"),
        ] {
            let q = super::query("people_returned", period, policy);
            let every = claimlog::total(s.cache(), &q).unwrap();
            let (full, listed) = (figures(&every), derived(&every));
            for round in 0..2 {
                let brief = claimlog::total_brief(s.cache(), &q).unwrap();
                assert_eq!(figures(&brief), full, "{period:?} {policy:?} round {round}");
                let explained =
                    serde_json::to_value(claimlog::explain(s.cache(), &q).unwrap()).unwrap();
                assert_eq!(
                    explained, listed,
                    "explain {period:?} {policy:?} round {round}"
                );
                if period.is_none() {
                    assert_eq!(
                        super::route(&brief, "latest_cumulative").map(|e| e.best),
                        Some(120)
                    );
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, .. ProptestConfig::default() })]

    /// `history` under every filter: `totals_over_log` keeps its groups
    /// from step to step, so a group must change only at the seqs that add
    /// or end one of its claims, whatever else the filter hides. Batches
    /// are 2 ms apart so that `--recorded-before` cuts between them.
    #[test]
    fn history_steps_under_every_filter_give_the_total_as_of_every_seq(
        ops in proptest::collection::vec(crowded_op(), 1..40),
        splits in proptest::collection::vec(any::<usize>(), 0..24),
        policy in 0u8..4,
        cut in any::<u64>(),
        rcut in any::<u64>(),
        pb in 0u8..4,
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let (s, _) = build_with(&tmp.path().join("s"), &ops, &splits, &mut |_| std::thread::sleep(std::time::Duration::from_millis(2)));
        let policy = POLICIES[usize::from(policy)];
        let cut = cut % (s.head().seq + 1);
        let mut rec: Vec<i64> = s.cache().claims().map(|e| e.unwrap().recorded_at_ms).collect();
        rec.sort();
        let rb = if rec.is_empty() { None } else { Some(rec[(rcut as usize) % rec.len()]) };
        let pbd = [None, Some(day("2024-01-15")), Some(day("2024-03-01")), Some(day("2023-01-01"))][usize::from(pb)];
        for (metric, period) in [("people_returned", Some("2023")), ("people_returned", Some("2024")), ("people_returned", None), ("exchanges", Some("2023")), ("exchanges", None), ("people_returned", Some("2023-07-10..2024-02-02"))] {
          for (upto, rbx, pbx) in [(None, None, None), (Some(cut), None, None), (None, rb, None), (None, None, pbd), (Some(cut), rb, pbd)] {
            let mut q = super::query(metric, period, policy);
            q.filter.as_of_seq = upto;
            q.filter.recorded_before_ms = rbx;
            q.filter.published_before = pbx;
            history_gives_the_total_as_of_every_seq(&s, &q)?;
          }
        }
    }
}
