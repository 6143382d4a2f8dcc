//! Key layout of the cache tree. One tree, prefixes by kind, big-endian
//! numbers so that byte order is numeric order.

use crate::event::Hash32;
use crate::log::Position;

pub const VERSION: &[u8] = b"!version";
pub const CHECKPOINT: &[u8] = b"!checkpoint";
pub const GENESIS: &[u8] = b"!genesis";
/// Present while a large batch is being written in parts: the cache holds
/// records the log has not acknowledged yet. A cache found dirty on open is
/// rebuilt.
pub const DIRTY: &[u8] = b"!dirty";

/// `c/<id[..8]><seq>`: the id index, one key per claim: the first
/// `ID_PREFIX` bytes of its id, then the seq of the record that added it
/// (8 bytes, big-endian; two ids that share their first bytes still have
/// keys of their own). Its value is where the claim's record starts in
/// the log (`position`): a lookup reads that record and takes it only if
/// it hashes to the id sought, and the claim's `g/` key is computed from
/// it. A cache with no log beside it holds the claim's whole `g/` key
/// instead, which ends with the id. Half the bytes of a key holding the
/// whole id (docs/PERFORMANCE.md, eighteenth session). The tree holds it
/// packed in groups (project/packed.rs), as it does `g/` keys.
pub const CLAIM: &[u8] = b"c/";
pub const SOURCE: &[u8] = b"S/";
pub const BY_SCOPE: &[u8] = b"g/";
pub const SEQ: &[u8] = b"q/";
/// `q/<seq>` is kept for every this-many-th record (seq 0, 64, ...): one
/// entry per record would be a third of the cache's entries, and a record
/// is found from the anchor before it by reading at most 63 frames.
pub const SEQ_STRIDE: u64 = 64;
pub const COUNT: &[u8] = b"k/";
/// `v/<metric>\0<breakdown>\0<day>`: the last seq that added or ended a
/// claim about an event on exactly that day. What a day's resolved figure
/// depends on; the query layer's memo of it is valid while this holds.
pub const DAY_VERSION: &[u8] = b"v/";

/// `y/<metric>\0<breakdown>\0[<year>]`: a metric and part claims were
/// recorded for (no year), and each calendar year one of its claims lies
/// within (`Scope::years`): the list of a snapshot's standard totals,
/// without reading every claim.
pub const YEAR: &[u8] = b"y/";

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Bytes of a claim's id in its `c/` key.
pub const ID_PREFIX: usize = 8;

/// The `c/` key of claim `id`, added by record `seq`.
pub fn claim(id: &Hash32, seq: u64) -> Vec<u8> {
    cat(&[CLAIM, &id.0[..ID_PREFIX], &seq.to_be_bytes()])
}

/// `c/<id[..8]>`: the `c/` keys of `id` and of any other id that starts
/// with the same bytes.
pub fn claim_prefix(id: &Hash32) -> Vec<u8> {
    cat(&[CLAIM, &id.0[..ID_PREFIX]])
}

/// The id's first bytes and the seq an id key holds, if `key` is one.
pub fn parts_of_claim(key: &[u8]) -> Option<(&[u8], u64)> {
    let rest = key.strip_prefix(CLAIM)?;
    if rest.len() != ID_PREFIX + 8 {
        return None;
    }
    let (id_prefix, seq) = rest.split_at(ID_PREFIX);
    Some((id_prefix, u64::from_be_bytes(seq.try_into().ok()?)))
}
pub fn source(id: &str) -> Vec<u8> {
    cat(&[SOURCE, id.as_bytes()])
}
/// `g/<metric>\0`: every claim of one metric (any breakdown, any scope).
pub fn by_metric_prefix(metric: &str) -> Vec<u8> {
    cat(&[BY_SCOPE, metric.as_bytes(), b"\0"])
}
pub fn seq(seq: u64) -> Vec<u8> {
    cat(&[SEQ, &seq.to_be_bytes()])
}
pub fn count(kind: &str) -> Vec<u8> {
    cat(&[COUNT, kind.as_bytes()])
}

/// What a `c/` key holds: where the claim's record starts in the log.
/// Its `g/` key (about 35 bytes before the id) took a third of the cache.
pub fn position(at: Position) -> Vec<u8> {
    super::fold::enc(&(at.segment, at.offset))
}

/// The position a `c/` value holds.
pub fn position_of(value: &[u8]) -> Result<Position, super::ProjectError> {
    let (segment, offset): (u32, u64) = super::fold::dec(CLAIM, value)?;
    Ok(Position { segment, offset })
}

/// The id at the end of a `g/` key (or of what a `c/` key holds in a
/// cache with no log beside it).
pub fn trailing_id(key: &[u8]) -> Option<Hash32> {
    let tail = key.get(key.len().checked_sub(32)?..)?;
    let mut h = [0u8; 32];
    h.copy_from_slice(tail);
    Some(Hash32(h))
}

/// The metric and breakdown (as `Breakdown`'s Display writes it) a `g/`
/// key names.
pub fn part_of_claim_key(key: &[u8]) -> Option<(&str, &str)> {
    let rest = key.strip_prefix(BY_SCOPE)?;
    let mut parts = rest.splitn(3, |b| *b == 0);
    let metric = std::str::from_utf8(parts.next()?).ok()?;
    let breakdown = std::str::from_utf8(parts.next()?).ok()?;
    parts.next()?;
    Some((metric, breakdown))
}

/// The scope part of a `g/` key: a kind byte, then what orders it.
/// Events with known dates sort by their first possible day, running
/// totals by the last possible day they are as of, then the first
/// (unknown last): an all-time total wants the running total with the
/// latest last possible day, and reads them backwards from the end until
/// the last day falls below the best found (`Cache::running_totals_latest_first`).
pub fn scope_part(scope: &crate::model::Scope) -> Vec<u8> {
    use crate::model::Scope;
    match scope {
        // Events on one known day ('e') apart from events known only to a
        // span of days ('f'), so that a period's days are one key range.
        Scope::Event { date, .. } => match (date, date.bounds()) {
            (crate::model::FuzzyDate::Day(d), _) => {
                [&b"e"[..], &d.sort_key(), &d.sort_key()].concat()
            }
            (_, Some((a, b))) => [&b"f"[..], &a.sort_key(), &b.sort_key()].concat(),
            (_, None) => b"u".to_vec(),
        },
        Scope::Period { from, to } => [&b"p"[..], &from.sort_key(), &to.sort_key()].concat(),
        // Running totals sort by the days they are as of, so that a total
        // for a period reads only those as of its bounds (a day's first
        // and last are the same).
        Scope::Cumulative { as_of, .. } => match as_of.bounds() {
            Some((a, b)) => [&b"c"[..], &b.sort_key(), &a.sort_key()].concat(),
            None => [&b"c"[..], &[0xff; 8]].concat(),
        },
        Scope::Change { .. } => b"x".to_vec(),
    }
}

/// `g/<metric>\0<breakdown>\0`: claims of one metric and part, by scope.
pub fn by_scope_prefix(metric: &str, breakdown: &str) -> Vec<u8> {
    cat(&[
        BY_SCOPE,
        metric.as_bytes(),
        b"\0",
        breakdown.as_bytes(),
        b"\0",
    ])
}

/// Bytes of the claim content hash in a `g/` key, after the scope part:
/// claims with equal content share metric, breakdown and scope, so the
/// claims with one content are one short key range (no index of their
/// own to write per claim).
pub const CONTENT_BYTES: usize = 8;

/// `g/<metric>\0<breakdown>\0<scope part><content[..8]>`: the claims that
/// may have exactly this content.
pub fn by_content_prefix(
    metric: &str,
    breakdown: &str,
    scope: &crate::model::Scope,
    content: &Hash32,
) -> Vec<u8> {
    cat(&[
        &by_scope_prefix(metric, breakdown),
        &scope_part(scope),
        &content.0[..CONTENT_BYTES],
    ])
}

pub fn by_scope(
    metric: &str,
    breakdown: &str,
    scope: &crate::model::Scope,
    content: &Hash32,
    id: &Hash32,
) -> Vec<u8> {
    cat(&[&by_content_prefix(metric, breakdown, scope, content), &id.0])
}

/// The (first, last) day bytes of a dated-event `g/` key under `prefix`.
pub fn event_days(prefix_len: usize, key: &[u8]) -> Option<([u8; 4], [u8; 4])> {
    let b = key.get(prefix_len + 1..prefix_len + 9)?;
    Some((b[..4].try_into().ok()?, b[4..].try_into().ok()?))
}

/// The `g/` key range of events of `kind` (`e` or `f`) whose first
/// possible day is in `from..=to`.
pub fn event_range(
    metric: &str,
    breakdown: &str,
    kind: u8,
    from: crate::model::Day,
    to: crate::model::Day,
) -> (Vec<u8>, Vec<u8>) {
    let p = by_scope_prefix(metric, breakdown);
    (
        cat(&[&p, &[kind], &from.sort_key()]),
        cat(&[&p, &[kind], &to.sort_key(), &[0xff; 5]]),
    )
}

pub fn year(metric: &str, breakdown: &str, year: Option<i32>) -> Vec<u8> {
    let y = year.map(|y| ((i64::from(y) + (1i64 << 31)) as u32).to_be_bytes());
    cat(&[
        YEAR,
        metric.as_bytes(),
        b"\0",
        breakdown.as_bytes(),
        b"\0",
        y.as_ref().map_or(&[][..], |b| &b[..]),
    ])
}

/// `v/<metric>\0<breakdown>\0`: the versions of every day of one part.
pub fn day_versions_prefix(metric: &str, breakdown: &str) -> Vec<u8> {
    cat(&[
        DAY_VERSION,
        metric.as_bytes(),
        b"\0",
        breakdown.as_bytes(),
        b"\0",
    ])
}

pub fn day_version(metric: &str, breakdown: &str, day: crate::model::Day) -> Vec<u8> {
    cat(&[&day_versions_prefix(metric, breakdown), &day.sort_key()])
}

/// The first key after every key that starts with `prefix` (none if the
/// prefix is all 0xff): the end of a prefix as a key range.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// The day of a `v/` key (its last four bytes).
pub fn day_of_version_key(key: &[u8]) -> Option<crate::model::Day> {
    crate::model::Day::from_sort_key(key.get(key.len().checked_sub(4)?..)?.try_into().ok()?)
}
