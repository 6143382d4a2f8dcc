//! The totals a snapshot carries: every metric and breakdown on record, for
//! all time and for each calendar year its claims are about. A verifier
//! derives the same list from the events, so the list itself is checked too.

use crate::model::{Breakdown, Period, Slug};
use crate::project::{Cache, ProjectError};
use crate::query::{total_brief, Filter, Policy, Query, Total};
use std::collections::{BTreeMap, BTreeSet};

pub fn standard_queries(cache: &Cache) -> Result<Vec<Query>, ProjectError> {
    // In the order of the metric's name, then the breakdown's own order.
    let mut groups: BTreeMap<(String, Breakdown), (Slug, BTreeSet<i32>)> = BTreeMap::new();
    for (metric, breakdown, year) in cache.metric_years()? {
        let (_, years) = groups
            .entry((metric.to_string(), breakdown))
            .or_insert_with(|| (metric, BTreeSet::new()));
        years.extend(year);
    }
    let mut out = Vec::new();
    for ((_, breakdown), (metric, years)) in groups {
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
