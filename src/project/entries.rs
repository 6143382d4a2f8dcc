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
pub const CACHE_VERSION: u32 = 17;

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
/// by the entry's frame (`Cache::full_claim`). Field order is the claim's
/// without those three, so its encoding is the claim's bytes with theirs
/// left out (`ClaimEntry::active_value_of_bytes`).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
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

/// The fields of `ClaimCore`, borrowed from a claim, for encoding.
#[derive(Encode)]
struct CoreRef<'a> {
    metric: &'a Slug,
    breakdown: &'a Breakdown,
    quantity: &'a Quantity,
    scope: &'a Scope,
    source: &'a SourceId,
    speaker: &'a Option<Name>,
    cites: &'a Option<SourceId>,
    published: &'a FuzzyDate,
}

impl<'a> From<&'a Claim> for CoreRef<'a> {
    fn from(c: &'a Claim) -> CoreRef<'a> {
        CoreRef {
            metric: &c.metric,
            breakdown: &c.breakdown,
            quantity: &c.quantity,
            scope: &c.scope,
            source: &c.source,
            speaker: &c.speaker,
            cites: &c.cites,
            published: &c.published,
        }
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
    claim: ClaimCore,
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
        bincode::encode_into_std_write(&self.claim, &mut v, bincode::config::standard())
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
    /// a value is its fields' encodings back to back, and the core's are
    /// the claim's but for url, quote and note, so they are copied (the
    /// claim tells only how long its last four fields' encodings are).
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
        let mut v = head(seq, recorded_at_ms, replaces, &ClaimStatus::Active, at);
        v.extend_from_slice(&bytes[..url]);
        v.extend_from_slice(&bytes[published..words_end]);
        v
    }

    /// The entry stored as `value` under `g/` key `key`.
    pub(crate) fn from_value(key: &[u8], value: &[u8]) -> Result<ClaimEntry, super::ProjectError> {
        let s: StoredClaim = super::fold::dec(key, value)?;
        let id = super::keys::trailing_id(key).ok_or_else(|| super::ProjectError::BadValue {
            key: String::from_utf8_lossy(key).into_owned(),
            reason: "a claim key does not end in an id".into(),
        })?;
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
            claim: s.claim,
        })
    }
}
