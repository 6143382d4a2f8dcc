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
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Genesis(_) => "genesis",
            Event::SourceRegistered(_) => "source_registered",
            Event::ClaimAdded(_) => "claim_added",
            Event::ClaimRetracted(_) => "claim_retracted",
            Event::ClaimCorrected(_) => "claim_corrected",
        }
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
