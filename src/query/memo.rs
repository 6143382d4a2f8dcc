//! The memo of resolved days: for a total of a period or of all time, the
//! group of each day with claims about events on exactly that day (its
//! figure, chosen claim and independent sources under one policy, with
//! what explain says of the claims it does not list; and in a second value
//! the same with the views of the claims explain lists, ready to serve) is
//! kept in the cache's memo tree with the day's version
//! (`Cache::day_versions`: the last seq that added or ended such a claim).
//! A memo entry is used only while its version is the day's, so a new,
//! retracted or corrected claim makes the next total resolve that day
//! again; nothing else is ever stale. Each kind of value is in day order
//! under its own prefix, so a total reads its days in one scan beside the
//! day versions. Totals with a filter, and `explain --all` (which lists
//! every claim), do not use it.

use super::estimate::Estimate;
use super::resolve::Policy;
use super::view::{ClaimView, Group, Named, Omitted};
use crate::event::Hash32;
use crate::model::Day;

/// `f metric \0 breakdown \0 policy \0 day`: a day's figures. The claims
/// explain lists are under the same key with `l` first (`listed_key`), so
/// that a period's days of either kind are one key range, read by one scan
/// (`range`) instead of a lookup a day.
pub fn key(metric: &str, breakdown: &str, policy: Policy, day: Day) -> Vec<u8> {
    let mut keys = DayKeys::new(metric, breakdown, policy, false);
    keys.key(day);
    keys.buf
}

/// The keys of one metric, part and policy, day after day, built in one
/// buffer: an all-time total looks up every day on record (about 1 500
/// over four years), and building each key anew was a fifth of its time.
pub struct DayKeys {
    buf: Vec<u8>,
    stem: usize,
}

impl DayKeys {
    /// Figures' keys, or with `listed` the keys of the claims explain lists.
    pub fn new(metric: &str, breakdown: &str, policy: Policy, listed: bool) -> DayKeys {
        let buf = stem(if listed { b'l' } else { b'f' }, metric, breakdown, policy);
        DayKeys {
            stem: buf.len(),
            buf,
        }
    }

    /// `key` of `day` (or its `listed_key`), valid until the next call.
    pub fn key(&mut self, day: Day) -> &[u8] {
        self.buf.truncate(self.stem);
        self.buf.extend_from_slice(&day.sort_key());
        &self.buf
    }
}

fn stem(kind: u8, metric: &str, breakdown: &str, policy: Policy) -> Vec<u8> {
    [
        &[kind][..],
        metric.as_bytes(),
        b"\0",
        breakdown.as_bytes(),
        b"\0",
        policy.name().as_bytes(),
        b"\0",
    ]
    .concat()
}

/// The key range of the days `from..=to` (every day if `None`) of one
/// metric, part and policy: figures, or with `listed` the claims explain
/// lists.
pub fn range(
    metric: &str,
    breakdown: &str,
    policy: Policy,
    days: Option<(Day, Day)>,
    listed: bool,
) -> (Vec<u8>, Vec<u8>) {
    let stem = stem(if listed { b'l' } else { b'f' }, metric, breakdown, policy);
    match days {
        Some((from, to)) => (
            [&stem[..], &from.sort_key()].concat(),
            [&stem[..], &to.sort_key(), &[0]].concat(),
        ),
        None => {
            let end = crate::project::prefix_end(&stem).expect("ends in a 0 byte");
            (stem, end)
        }
    }
}

/// The first byte of every memo value. Bump it when what a value holds, or
/// the rule that made it (the policies, what explain lists), changes: a
/// value of another layout is resolved again, never served.
const LAYOUT: u8 = 7;

fn tagged(bytes: Vec<u8>) -> Vec<u8> {
    [&[LAYOUT][..], &bytes].concat()
}

fn untagged(bytes: &[u8]) -> Option<&[u8]> {
    bytes.strip_prefix(&[LAYOUT])
}

type Stored = (
    u64,
    String,
    Option<(i64, Option<i64>, Option<i64>, bool)>,
    Option<Hash32>,
    u64,
    Option<Counts>,
);

/// Omitted: agrees, competing, retracted, corrected, low and high set by.
type Counts = ([u64; 4], Option<(Hash32, u64)>, Option<(Hash32, u64)>);

fn wide(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The key of the claims explain lists for the day of memo key `key`.
pub fn listed_key(key: &[u8]) -> Vec<u8> {
    let mut k = key.to_vec();
    k[0] = b'l';
    k
}

/// What a memo value says of a group: its figure and sources, and what
/// explain says of the claims it does not list.
fn stored(version: u64, g: &Group) -> Stored {
    let named = |n: Option<Named>| n.map(|n| (n.id, n.seq));
    (
        version,
        g.label.clone(),
        g.estimate.map(|e| (e.best, e.low, e.high, e.approx)),
        g.chosen,
        wide(g.independent_sources),
        g.omitted.map(|o| {
            (
                [
                    wide(o.agrees),
                    wide(o.competing),
                    wide(o.retracted),
                    wide(o.corrected),
                ],
                named(o.low_set_by),
                named(o.high_set_by),
            )
        }),
    )
}

fn encoded<T: bincode::Encode>(v: T) -> Vec<u8> {
    tagged(bincode::encode_to_vec(v, bincode::config::standard()).expect("memo values encode"))
}

/// `g`'s figures, without its claims or what explain says of them: what
/// total reads.
pub fn encode(version: u64, g: &Group) -> Vec<u8> {
    let (v, label, est, chosen, sources, _omitted) = stored(version, g);
    encoded((v, label, est, chosen, sources, None::<Counts>))
}

/// The same group with the claims explain lists, and their roles: what
/// explain reads (one value a day, like total).
/// The claims are kept as their views, as explain shows them: serving a
/// day then decodes no claim and formats nothing.
pub fn encode_listed(version: u64, g: &Group, listed: &[ClaimView]) -> Vec<u8> {
    encoded((stored(version, g), listed))
}

fn decoded<T: bincode::Decode<()>>(bytes: &[u8]) -> Option<T> {
    let bytes = untagged(bytes)?;
    let (v, used): (T, usize) =
        bincode::decode_from_slice(bytes, bincode::config::standard()).ok()?;
    (used == bytes.len()).then_some(v)
}

/// The group stored in `bytes` if it was resolved at `version`; anything
/// else (older, unreadable, of an earlier layout) is `None` and gets
/// resolved again.
pub fn decode(bytes: &[u8], version: u64, group_key: &str) -> Option<Group> {
    group_of(decoded(bytes)?, version, group_key)
}

/// The group and the claims explain lists, stored in `bytes` by
/// `encode_listed`, if resolved at `version`.
pub fn decode_listed(
    bytes: &[u8],
    version: u64,
    group_key: &str,
) -> Option<(Group, Vec<ClaimView>)> {
    let (s, listed): (Stored, Vec<ClaimView>) = decoded(bytes)?;
    Some((group_of(s, version, group_key)?, listed))
}

fn group_of(s: Stored, version: u64, group_key: &str) -> Option<Group> {
    let (v, label, est, chosen, sources, omitted) = s;
    if v != version {
        return None;
    }
    let named = |n: Option<(Hash32, u64)>| n.map(|(id, seq)| Named { id, seq });
    let omitted = match omitted {
        Some(([a, c, r, k], low, high)) => Some(Omitted {
            agrees: usize::try_from(a).ok()?,
            competing: usize::try_from(c).ok()?,
            retracted: usize::try_from(r).ok()?,
            corrected: usize::try_from(k).ok()?,
            low_set_by: named(low),
            high_set_by: named(high),
        }),
        None => None,
    };
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
        omitted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An all-time total finds each day's memo value under the key
    /// DayKeys builds in its reused buffer: the same bytes as `key` (and
    /// `listed_key`) build one by one, inside `range` of all time.
    #[test]
    fn day_keys_are_the_keys_built_one_by_one() {
        let days = [(2021, 1, 1), (2022, 12, 31), (2024, 2, 29), (2024, 1, 31)];
        for policy in [Policy::OfficialFirst, Policy::Latest] {
            for listed in [false, true] {
                let mut keys = DayKeys::new("people_returned", "sex=male", policy, listed);
                let (from, to) = range("people_returned", "sex=male", policy, None, listed);
                for (y, m, d) in days {
                    let day = Day::from_ymd(y, m, d).unwrap();
                    let one = key("people_returned", "sex=male", policy, day);
                    let one = if listed { listed_key(&one) } else { one };
                    let built = keys.key(day);
                    assert_eq!(built, &one[..], "{day} listed={listed}");
                    assert!(from.as_slice() <= built && built < to.as_slice());
                }
            }
        }
    }
}
