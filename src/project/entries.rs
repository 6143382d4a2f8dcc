//! What the cache holds under each key. The cache is derived state: every
//! value here is a function of the log, rebuilt by replaying it.

use crate::event::Hash32;
use crate::log::Position;
use crate::model::{
    Breakdown, Claim, FuzzyDate, Name, Origin, Quantity, Scope, Slug, Source, SourceId, Text,
};
use bincode::{Decode, Encode};
use serde::Serialize;

/// Bump when keys or values change: a cache of another version is rebuilt.
pub const CACHE_VERSION: u32 = 22;

/// The last record applied to the cache and where the log ends after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct Checkpoint {
    pub seq: u64,
    pub hash: Hash32,
    pub end_segment: u32,
    pub end_offset: u64,
}

/// Where record `seq` lives in the log, kept for every `keys::SEQ_STRIDE`th
/// record (an anchor): a record between anchors is found by reading the
/// log forward from the anchor before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct Location {
    pub segment: u32,
    pub offset: u64,
    pub hash: Hash32,
    /// The hash of the record before (zero for seq 0): what its frame
    /// must chain to.
    pub prev: Hash32,
}

#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct GenesisEntry {
    #[serde(serialize_with = "hex16")]
    pub store_id: [u8; 16],
    pub origin: Origin,
}

fn hex16<S: serde::Serializer>(b: &[u8; 16], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(b))
}

#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize, schemars::JsonSchema)]
pub struct SourceEntry {
    pub source: Source,
    pub seq: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ClaimStatus {
    Active,
    Retracted {
        seq: u64,
        hash: Hash32,
        reason: Text,
        /// When the retraction was recorded (for `--recorded-before`).
        #[serde(skip)]
        recorded_at_ms: i64,
    },
    Corrected {
        seq: u64,
        by: Hash32,
        reason: Text,
        /// When the correction was recorded (for `--recorded-before`).
        #[serde(skip)]
        recorded_at_ms: i64,
    },
}

impl ClaimStatus {
    pub fn is_active(&self) -> bool {
        matches!(self, ClaimStatus::Active)
    }
    /// The seq and time of the event that ended the claim, if one did.
    pub fn ended(&self) -> Option<(u64, i64)> {
        match self {
            ClaimStatus::Active => None,
            ClaimStatus::Retracted {
                seq,
                recorded_at_ms,
                ..
            }
            | ClaimStatus::Corrected {
                seq,
                recorded_at_ms,
                ..
            } => Some((*seq, *recorded_at_ms)),
        }
    }
    pub fn name(&self) -> &'static str {
        match self {
            ClaimStatus::Active => "active",
            ClaimStatus::Retracted { .. } => "retracted",
            ClaimStatus::Corrected { .. } => "corrected",
        }
    }
}

/// The fields of a claim that totals, checks and listings use: all but
/// its words (quote, url, note), which stay in the log and are read back
/// by the entry's frame (`Cache::full_claim`). A `g/` value holds them but
/// metric and breakdown, which its key holds, in the claim's field order:
/// those bytes are the claim's with the others left out
/// (`ClaimEntry::active_value_of_bytes`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimCore {
    pub metric: Slug,
    pub breakdown: Breakdown,
    pub quantity: Quantity,
    pub scope: Scope,
    pub source: SourceId,
    pub speaker: Option<Name>,
    pub cites: Option<SourceId>,
    pub published: FuzzyDate,
}

impl From<&Claim> for ClaimCore {
    fn from(c: &Claim) -> ClaimCore {
        ClaimCore {
            metric: c.metric.clone(),
            breakdown: c.breakdown.clone(),
            quantity: c.quantity,
            scope: c.scope.clone(),
            source: c.source.clone(),
            speaker: c.speaker.clone(),
            cites: c.cites.clone(),
            published: c.published,
        }
    }
}

/// The fields of `ClaimCore` that a `g/` value holds (metric and
/// breakdown are its key's), borrowed, for encoding.
#[derive(Encode, PartialEq)]
struct CoreRef<'a> {
    quantity: &'a Quantity,
    scope: &'a Scope,
    source: &'a SourceId,
    speaker: &'a Option<Name>,
    cites: &'a Option<SourceId>,
    published: &'a FuzzyDate,
}

/// A `CoreRef` to the fields of a `Claim` or a `ClaimCore`, which name
/// them alike.
macro_rules! core_ref {
    ($c:expr) => {{
        let c = $c;
        CoreRef {
            quantity: &c.quantity,
            scope: &c.scope,
            source: &c.source,
            speaker: &c.speaker,
            cites: &c.cites,
            published: &c.published,
        }
    }};
}

impl<'a> From<&'a Claim> for CoreRef<'a> {
    fn from(c: &'a Claim) -> CoreRef<'a> {
        core_ref!(c)
    }
}

impl ClaimCore {
    /// Whether `c` has these fields (what `ClaimCore::from(c) == *self`
    /// says, without copying them).
    pub fn is_core_of(&self, c: &Claim) -> bool {
        self.metric == c.metric && self.breakdown == c.breakdown && core_ref!(self) == core_ref!(c)
    }
}

/// A claim as the cache knows it. Stored under its `g/` key without its
/// id, which ends that key (`StoredClaim`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimEntry {
    pub id: Hash32,
    /// The record that introduced this claim (ClaimAdded or ClaimCorrected).
    pub seq: u64,
    pub recorded_at_ms: i64,
    /// The claim this one corrected, if it came from a correction.
    pub replaces: Option<Hash32>,
    pub status: ClaimStatus,
    /// Where the record `seq` starts in the log: its frame, whose hash is
    /// `id`, holds the whole claim.
    pub at: Position,
    pub claim: ClaimCore,
}

/// An entry with its whole claim (`Cache::full_claim`), as commands
/// print it in JSON.
#[derive(Serialize)]
pub struct WholeEntry<'a> {
    pub id: Hash32,
    pub seq: u64,
    pub recorded_at_ms: i64,
    pub replaces: Option<Hash32>,
    pub status: &'a ClaimStatus,
    pub claim: &'a Claim,
}

impl ClaimEntry {
    /// This entry with `claim`, its whole claim, for printing.
    pub fn with_whole<'a>(&'a self, claim: &'a Claim) -> WholeEntry<'a> {
        WholeEntry {
            id: self.id,
            seq: self.seq,
            recorded_at_ms: self.recorded_at_ms,
            replaces: self.replaces,
            status: &self.status,
            claim,
        }
    }
}

/// The part of a `g/` value before the claim's core.
#[derive(Encode)]
struct HeadRef<'a> {
    seq: u64,
    recorded_at_ms: i64,
    replaces: &'a Option<Hash32>,
    status: &'a ClaimStatus,
    at: (u32, u64),
}

#[derive(Decode)]
struct StoredClaim {
    seq: u64,
    recorded_at_ms: i64,
    replaces: Option<Hash32>,
    status: ClaimStatus,
    at: (u32, u64),
    quantity: Quantity,
    scope: Scope,
    source: SourceId,
    speaker: Option<Name>,
    cites: Option<SourceId>,
    published: FuzzyDate,
}

fn head(
    seq: u64,
    recorded_at_ms: i64,
    replaces: &Option<Hash32>,
    status: &ClaimStatus,
    at: Position,
) -> Vec<u8> {
    super::fold::enc(&HeadRef {
        seq,
        recorded_at_ms,
        replaces,
        status,
        at: (at.segment, at.offset),
    })
}

/// Bytes of `v`'s encoding.
fn encoded_len<T: Encode>(v: &T) -> usize {
    let mut w = bincode::enc::write::SizeWriter::default();
    bincode::encode_into_writer(v, &mut w, bincode::config::standard())
        .expect("a validated value always encodes");
    w.bytes_written
}

impl ClaimEntry {
    /// The value stored under the entry's `g/` key.
    pub(crate) fn to_value(&self) -> Vec<u8> {
        let mut v = head(
            self.seq,
            self.recorded_at_ms,
            &self.replaces,
            &self.status,
            self.at,
        );
        let core = core_ref!(&self.claim);
        bincode::encode_into_std_write(core, &mut v, bincode::config::standard())
            .expect("a validated claim always encodes");
        v
    }

    /// The value of a new, active entry for `claim`, recorded at `at`:
    /// what `to_value` gives, without building the entry (which would copy
    /// the claim).
    pub(crate) fn active_value(
        seq: u64,
        recorded_at_ms: i64,
        replaces: &Option<Hash32>,
        at: Position,
        claim: &Claim,
    ) -> Vec<u8> {
        let mut v = head(seq, recorded_at_ms, replaces, &ClaimStatus::Active, at);
        bincode::encode_into_std_write(CoreRef::from(claim), &mut v, bincode::config::standard())
            .expect("a validated claim always encodes");
        v
    }

    /// `active_value` from the claim's canonical bytes `bytes` as well:
    /// a value is its fields' encodings back to back, and the stored
    /// core's are the claim's but for metric, breakdown, url, quote and
    /// note, so they are copied (the claim tells how long those are).
    pub(crate) fn active_value_of_bytes(
        seq: u64,
        recorded_at_ms: i64,
        replaces: &Option<Hash32>,
        at: Position,
        claim: &Claim,
        bytes: &[u8],
    ) -> Vec<u8> {
        let words_end = bytes.len() - encoded_len(&claim.note) - encoded_len(&claim.quote);
        let published = words_end - encoded_len(&claim.published);
        let url = published - encoded_len(&claim.url);
        let quantity = encoded_len(&claim.metric) + encoded_len(&claim.breakdown);
        let mut v = head(seq, recorded_at_ms, replaces, &ClaimStatus::Active, at);
        v.extend_from_slice(&bytes[quantity..url]);
        v.extend_from_slice(&bytes[published..words_end]);
        v
    }

    /// The entry stored as `value` under `g/` key `key`.
    pub(crate) fn from_value(key: &[u8], value: &[u8]) -> Result<ClaimEntry, super::ProjectError> {
        let s: StoredClaim = super::fold::dec(key, value)?;
        let bad = |reason: String| super::ProjectError::BadValue {
            key: String::from_utf8_lossy(key).into_owned(),
            reason,
        };
        let id = super::keys::trailing_id(key)
            .ok_or_else(|| bad("a claim key does not end in an id".into()))?;
        let (metric, breakdown) = super::keys::part_of_claim_key(key)
            .ok_or_else(|| bad("a claim key names no metric and breakdown".into()))?;
        let metric = Slug::new(metric).map_err(|e| bad(format!("its metric: {e}")))?;
        let items: Vec<String> = breakdown
            .split(',')
            .filter(|i| !i.is_empty())
            .map(str::to_string)
            .collect();
        let breakdown =
            Breakdown::parse_items(&items).map_err(|e| bad(format!("its breakdown: {e}")))?;
        Ok(ClaimEntry {
            id,
            seq: s.seq,
            recorded_at_ms: s.recorded_at_ms,
            replaces: s.replaces,
            status: s.status,
            at: Position {
                segment: s.at.0,
                offset: s.at.1,
            },
            claim: ClaimCore {
                metric,
                breakdown,
                quantity: s.quantity,
                scope: s.scope,
                source: s.source,
                speaker: s.speaker,
                cites: s.cites,
                published: s.published,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ClaimFields, Day, Url};

    fn worded(breakdown: &[(&str, &str)], speaker: Option<&str>) -> Claim {
        let day = Day::from_ymd(2024, 1, 31).unwrap();
        Claim::new(ClaimFields {
            metric: Slug::new("people_returned").unwrap(),
            breakdown: Breakdown::new(
                breakdown
                    .iter()
                    .map(|(k, v)| (Slug::new(*k).unwrap(), Slug::new(*v).unwrap()))
                    .collect(),
            )
            .unwrap(),
            quantity: Quantity::AtLeast(207),
            scope: Scope::Event {
                date: FuzzyDate::Day(day),
                label: Some(Name::new("the exchange").unwrap()),
            },
            source: SourceId::new("rubryka").unwrap(),
            speaker: speaker.map(|s| Name::new(s).unwrap()),
            cites: Some(SourceId::new("president").unwrap()),
            url: Some(Url::new("https://example.org/a").unwrap()),
            published: FuzzyDate::Day(day),
            quote: Text::new("207 soldiers and civilians returned").unwrap(),
            note: Some(Text::new("a note").unwrap()),
        })
        .unwrap()
    }

    /// A `g/` value leaves out what the key holds (metric, breakdown) and
    /// what the log alone keeps (the words), and reads back whole from the
    /// key and value; copied from the claim's bytes it is the same value.
    #[test]
    fn a_claim_value_reads_back_with_its_keys_metric_and_breakdown() {
        for (breakdown, speaker) in [
            (&[][..], None),
            (&[("category", "civilian")][..], Some("the President")),
            (&[("category", "soldier"), ("region", "kyiv")][..], None),
        ] {
            let claim = worded(breakdown, speaker);
            let id = Hash32([7; 32]);
            let at = Position {
                segment: 3,
                offset: 70_000,
            };
            let replaces = Some(Hash32([9; 32]));
            let value = ClaimEntry::active_value(5, 1_700_000_000_000, &replaces, at, &claim);
            let bytes = bincode::encode_to_vec(&claim, bincode::config::standard()).unwrap();
            assert_eq!(
                ClaimEntry::active_value_of_bytes(
                    5,
                    1_700_000_000_000,
                    &replaces,
                    at,
                    &claim,
                    &bytes
                ),
                value
            );
            for word in [
                &b"people_returned"[..],
                b"civilian",
                b"soldier",
                b"207 soldiers",
                b"a note",
                b"example.org",
            ] {
                assert!(
                    !value.windows(word.len()).any(|w| w == word),
                    "{word:?} in the value"
                );
            }
            let key = crate::project::keys::by_scope(
                claim.metric.as_str(),
                &claim.breakdown.to_string(),
                &claim.scope,
                &Hash32([1; 32]),
                &id,
            );
            let e = ClaimEntry::from_value(&key, &value).unwrap();
            assert_eq!(e.claim, ClaimCore::from(&claim));
            assert_eq!((e.id, e.seq, e.at, e.replaces), (id, 5, at, replaces));
            assert_eq!(e.to_value(), value);
        }
    }
}
