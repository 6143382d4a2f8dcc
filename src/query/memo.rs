//! The memo of resolved days: for a total of a period, the group of each
//! day with claims about events on exactly that day (its figure, chosen
//! claim and independent sources under one policy) is kept in the cache's
//! memo tree with the day's version (`Cache::day_versions`: the last seq
//! that added or ended such a claim). A memo entry is used only while its
//! version is the day's, so a new, retracted or corrected claim makes the
//! next total resolve that day again; nothing else is ever stale. Totals
//! with a filter, and explain (which lists every claim), do not use it.

use super::estimate::Estimate;
use super::resolve::Policy;
use super::view::Group;
use crate::event::Hash32;
use crate::model::Day;

/// `metric \0 breakdown \0 policy \0 day` (days since the epoch, i32 BE).
pub fn key(metric: &str, breakdown: &str, policy: Policy, day: Day) -> Vec<u8> {
    [
        metric.as_bytes(),
        b"\0",
        breakdown.as_bytes(),
        b"\0",
        policy.name().as_bytes(),
        b"\0",
        &day.epoch_days().to_be_bytes(),
    ]
    .concat()
}

type Stored = (
    u64,
    String,
    Option<(i64, Option<i64>, Option<i64>, bool)>,
    Option<Hash32>,
    u64,
);

pub fn encode(version: u64, g: &Group) -> Vec<u8> {
    let v: Stored = (
        version,
        g.label.clone(),
        g.estimate.map(|e| (e.best, e.low, e.high, e.approx)),
        g.chosen,
        u64::try_from(g.independent_sources).unwrap_or(u64::MAX),
    );
    bincode::encode_to_vec(v, bincode::config::standard()).expect("memo values encode")
}

/// The group stored in `bytes` if it was resolved at `version`; anything
/// else (older, unreadable) is `None` and gets resolved again.
pub fn decode(bytes: &[u8], version: u64, group_key: &str) -> Option<Group> {
    let ((v, label, est, chosen, sources), used): (Stored, usize) =
        bincode::decode_from_slice(bytes, bincode::config::standard()).ok()?;
    if v != version || used != bytes.len() {
        return None;
    }
    Some(Group {
        key: group_key.to_string(),
        label,
        estimate: est.map(|(best, low, high, approx)| Estimate {
            best,
            low,
            high,
            approx,
        }),
        chosen,
        independent_sources: usize::try_from(sources).ok()?,
        claims: Vec::new(),
    })
}
