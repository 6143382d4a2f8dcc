//! The totals a snapshot carries: every metric and breakdown on record, for
//! all time and for each calendar year its claims are about. A verifier
//! derives the same list from the events, so the list itself is checked too.

use crate::model::{Breakdown, Period, Scope, Slug};
use crate::project::{Cache, ProjectError};
use crate::query::{total_brief, Filter, Policy, Query, Total};
use std::collections::{BTreeMap, BTreeSet};

fn years_of(scope: &Scope, out: &mut BTreeSet<i32>) {
    let mut one = |a: crate::model::Day, b: crate::model::Day| {
        if a.year() == b.year() {
            out.insert(a.year());
        }
    };
    match scope {
        Scope::Event { date, .. } => {
            if let Some((a, b)) = date.bounds() {
                one(a, b)
            }
        }
        Scope::Period { from, to } => one(*from, *to),
        Scope::Cumulative { as_of, .. } => {
            if let Some((a, b)) = as_of.bounds() {
                one(a, b)
            }
        }
        Scope::Change { period, baseline } => {
            one(period.from, period.to);
            one(baseline.from, baseline.to);
        }
    }
}

pub fn standard_queries(cache: &Cache) -> Result<Vec<Query>, ProjectError> {
    let mut groups: BTreeMap<(String, Breakdown), BTreeSet<i32>> = BTreeMap::new();
    for e in cache.claims() {
        let e = e?;
        let years = groups
            .entry((e.claim.metric.to_string(), e.claim.breakdown.clone()))
            .or_default();
        years_of(&e.claim.scope, years);
    }
    let mut out = Vec::new();
    for ((metric, breakdown), years) in groups {
        let metric = Slug::new(metric).map_err(|e| ProjectError::NotFound(e.to_string()))?;
        let periods =
            std::iter::once(None).chain(years.into_iter().filter_map(Period::year).map(Some));
        for period in periods {
            out.push(Query {
                metric: metric.clone(),
                breakdown: breakdown.clone(),
                period,
                policy: Policy::default(),
                filter: Filter::default(),
            });
        }
    }
    Ok(out)
}

/// The totals a snapshot carries, one at a time, in order. Each is the
/// brief form: every route and group with its figure and chosen claim id,
/// without repeating the claims themselves (they are the snapshot's events).
pub fn standard_totals(
    cache: &Cache,
) -> Result<impl Iterator<Item = Result<Total, ProjectError>> + '_, ProjectError> {
    Ok(standard_queries(cache)?
        .into_iter()
        .map(move |q| total_brief(cache, &q)))
}
