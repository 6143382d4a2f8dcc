use super::hash::Hash32;
use crate::model::{Claim, Name, Origin, Source, Text};
use bincode::{Decode, Encode};
use serde::Serialize;

/// The envelope format this build writes and the only one it reads.
pub const FORMAT_VERSION: u32 = 1;

/// The first event of every store.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct Genesis {
    /// 16 random bytes, so two stores with the same origin still differ.
    #[serde(serialize_with = "hex_bytes")]
    pub store_id: [u8; 16],
    pub origin: Origin,
}

fn hex_bytes<S: serde::Serializer>(b: &[u8; 16], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(b))
}

#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct Retraction {
    /// The id (record hash) of the claim withdrawn.
    pub claim: Hash32,
    pub reason: Text,
}

#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct Correction {
    /// The id of the claim replaced. The new claim's id is this event's hash.
    pub old: Hash32,
    pub new: Claim,
    pub reason: Text,
}

/// Everything that can happen to a ledger. Variant order is the encoding tag:
/// append new variants at the end, never reorder (docs/FORMAT.md).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Genesis(Genesis),
    SourceRegistered(Source),
    ClaimAdded(Claim),
    ClaimRetracted(Retraction),
    ClaimCorrected(Correction),
}

impl Event {
    /// Each variant's name, at its tag.
    pub const KINDS: [&'static str; 5] = [
        "genesis",
        "source_registered",
        "claim_added",
        "claim_retracted",
        "claim_corrected",
    ];

    /// The variants' encoding tags: their places in the enum (frozen).
    pub const GENESIS_TAG: u32 = 0;
    pub const SOURCE_TAG: u32 = 1;
    pub const ADDED_TAG: u32 = 2;
    pub const RETRACTED_TAG: u32 = 3;
    pub const CORRECTED_TAG: u32 = 4;

    /// The variant's encoding tag.
    pub fn tag(&self) -> u32 {
        match self {
            Event::Genesis(_) => Self::GENESIS_TAG,
            Event::SourceRegistered(_) => Self::SOURCE_TAG,
            Event::ClaimAdded(_) => Self::ADDED_TAG,
            Event::ClaimRetracted(_) => Self::RETRACTED_TAG,
            Event::ClaimCorrected(_) => Self::CORRECTED_TAG,
        }
    }

    pub fn kind(&self) -> &'static str {
        Self::KINDS[self.tag() as usize]
    }

    /// The claim this event adds: a new one, or a correction's
    /// replacement (whose id is the event's record hash either way).
    pub fn into_added_claim(self) -> Option<Claim> {
        match self {
            Event::ClaimAdded(c) => Some(c),
            Event::ClaimCorrected(c) => Some(c.new),
            _ => None,
        }
    }
}

/// The envelope around each event: what is encoded, framed and hashed.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
pub struct Record {
    pub format: u32,
    pub seq: u64,
    pub prev: Hash32,
    /// Milliseconds since the Unix epoch, UTC, when the record was appended.
    pub recorded_at_ms: i64,
    pub recorded_by: Option<Name>,
    pub event: Event,
}
