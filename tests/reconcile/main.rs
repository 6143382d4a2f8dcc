//! Reconciliation: totals that weigh competing claims, checks that relate
//! claims to each other, and time travel. One test binary, a module per area.

mod conflicts;
mod props;
mod reimport;
mod seed_checks;

use claimlog::{
    Breakdown, Filter, Origin, Period, Policy, Query, Slug, Store, StoreOptions, Total,
};
use std::path::Path;

pub fn store_with(dir: &Path, jsonl: &str) -> Store {
    let mut s = Store::create(
        dir,
        Origin::new("test.example/reconcile").unwrap(),
        StoreOptions::default(),
    )
    .unwrap();
    claimlog::import(&mut s, std::io::Cursor::new(jsonl.to_string())).unwrap();
    s
}

pub fn query(metric: &str, period: Option<&str>, policy: Policy) -> Query {
    Query {
        metric: Slug::new(metric).unwrap(),
        breakdown: Breakdown::default(),
        period: period.map(|p| Period::parse(p).unwrap()),
        policy,
        filter: Filter::default(),
    }
}

pub fn total(s: &Store, q: &Query) -> Total {
    claimlog::total(s.cache(), q).unwrap()
}

/// (route, best, low, high) of the answer.
pub fn answer(t: &Total) -> Option<(&'static str, i64, Option<i64>, Option<i64>)> {
    t.answer
        .as_ref()
        .map(|a| (a.route, a.estimate.best, a.estimate.low, a.estimate.high))
}

pub fn route(t: &Total, name: &str) -> Option<claimlog::Estimate> {
    t.routes
        .iter()
        .find(|r| r.name == name)
        .and_then(|r| r.estimate)
}
