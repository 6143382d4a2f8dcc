//! What the cache holds under each key. The cache is derived state: every
//! value here is a function of the log, rebuilt by replaying it.

use crate::event::Hash32;
use crate::model::{Claim, Origin, Source, Text};
use bincode::{Decode, Encode};
use serde::Serialize;

/// Bump when keys or values change: a cache of another version is rebuilt.
pub const CACHE_VERSION: u32 = 16;

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

/// A claim as the cache knows it. Stored under its `g/` key without its
/// id, which ends that key (`StoredClaim`).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct ClaimEntry {
    pub id: Hash32,
    /// The record that introduced this claim (ClaimAdded or ClaimCorrected).
    pub seq: u64,
    pub recorded_at_ms: i64,
    /// The claim this one corrected, if it came from a correction.
    pub replaces: Option<Hash32>,
    pub status: ClaimStatus,
    pub claim: Claim,
}

/// A `g/` value: a `ClaimEntry` but its id (32 bytes a claim saved).
#[derive(Encode)]
struct StoredClaimRef<'a> {
    seq: u64,
    recorded_at_ms: i64,
    replaces: &'a Option<Hash32>,
    status: &'a ClaimStatus,
    claim: &'a Claim,
}

fn value(
    seq: u64,
    recorded_at_ms: i64,
    replaces: &Option<Hash32>,
    status: &ClaimStatus,
    claim: &Claim,
) -> Vec<u8> {
    super::fold::enc(&StoredClaimRef {
        seq,
        recorded_at_ms,
        replaces,
        status,
        claim,
    })
}

#[derive(Decode)]
struct StoredClaim {
    seq: u64,
    recorded_at_ms: i64,
    replaces: Option<Hash32>,
    status: ClaimStatus,
    claim: Claim,
}

impl ClaimEntry {
    /// The value stored under the entry's `g/` key.
    pub(crate) fn to_value(&self) -> Vec<u8> {
        value(
            self.seq,
            self.recorded_at_ms,
            &self.replaces,
            &self.status,
            &self.claim,
        )
    }

    /// The value of a new, active entry: what `to_value` gives, without
    /// building the entry (which would copy the claim).
    pub(crate) fn active_value(
        seq: u64,
        recorded_at_ms: i64,
        replaces: &Option<Hash32>,
        claim: &Claim,
    ) -> Vec<u8> {
        value(seq, recorded_at_ms, replaces, &ClaimStatus::Active, claim)
    }

    /// `active_value` from the claim's canonical bytes: a value is its
    /// fields' encodings back to back, the claim's last.
    pub(crate) fn active_value_of_bytes(
        seq: u64,
        recorded_at_ms: i64,
        replaces: &Option<Hash32>,
        claim: &[u8],
    ) -> Vec<u8> {
        let mut v = super::fold::enc(&(seq, recorded_at_ms, replaces, &ClaimStatus::Active));
        v.extend_from_slice(claim);
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
            claim: s.claim,
        })
    }
}
