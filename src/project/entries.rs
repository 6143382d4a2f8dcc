//! What the cache holds under each key. The cache is derived state: every
//! value here is a function of the log, rebuilt by replaying it.

use crate::event::Hash32;
use crate::model::{Claim, Origin, Source, Text};
use bincode::{Decode, Encode};
use serde::Serialize;

/// Bump when keys or values change: a cache of another version is rebuilt.
pub const CACHE_VERSION: u32 = 9;

/// The last record applied to the cache and where the log ends after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct Checkpoint {
    pub seq: u64,
    pub hash: Hash32,
    pub end_segment: u32,
    pub end_offset: u64,
}

/// Where record `seq` lives in the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct Location {
    pub segment: u32,
    pub offset: u64,
    pub hash: Hash32,
    pub recorded_at_ms: i64,
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
    },
    Corrected {
        seq: u64,
        by: Hash32,
        reason: Text,
    },
}

impl ClaimStatus {
    pub fn is_active(&self) -> bool {
        matches!(self, ClaimStatus::Active)
    }
    pub fn name(&self) -> &'static str {
        match self {
            ClaimStatus::Active => "active",
            ClaimStatus::Retracted { .. } => "retracted",
            ClaimStatus::Corrected { .. } => "corrected",
        }
    }
}

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
