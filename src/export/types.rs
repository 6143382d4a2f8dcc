//! The JSON documents claimlog hands to others: snapshots, JSONL dumps and
//! proof bundles (docs/FORMAT.md, "Snapshot"). Serializable types here are
//! a compatibility promise; schemas/ is generated from them.

use crate::event::{Hash32, Record};
use crate::project::SourceEntry;
use crate::query::Total;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub const SNAPSHOT_FORMAT: &str = "claimlog-snapshot/1";
pub const PROOF_FORMAT: &str = "claimlog-proof/1";

/// One event of a snapshot or a JSONL dump: its canonical bytes (the truth)
/// and a readable rendering that must match them.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotEvent {
    pub seq: u64,
    /// Record hash (hex): blake3 derive_key over prev || bytes.
    pub hash: Hash32,
    /// The canonical record bytes, base64 (standard alphabet, padded).
    pub bytes: String,
    /// The decoded record as JSON.
    pub record: serde_json::Value,
}

/// The head of the log a snapshot covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeadJson {
    pub seq: u64,
    pub hash: Hash32,
}

/// A whole snapshot. Written and read field by field in this order, with
/// `events` streamed, so no side holds the whole file in memory. (This type
/// describes the document for schemas/snapshot.schema.json.)
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// Always "claimlog-snapshot/1".
    pub format: String,
    /// When the snapshot was written (RFC 3339). Not covered by any check.
    pub exported_at: String,
    pub origin: String,
    /// The store id from the genesis event (hex).
    pub store_id: String,
    /// Number of events, = Merkle tree size.
    pub tree_size: u64,
    pub head: HeadJson,
    /// Merkle root over the record hashes (hex).
    pub root: Hash32,
    /// A C2SP checkpoint: the body alone, or a signed note when a key was given.
    pub checkpoint: String,
    pub sources: Vec<SourceEntry>,
    pub events: Vec<SnapshotEvent>,
    /// Totals and derivations recomputed from the events by the verifier.
    pub totals: Vec<Total>,
}

/// Everything needed to check offline that one event is in the log.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProofBundle {
    /// Always "claimlog-proof/1".
    pub format: String,
    pub origin: String,
    pub event: SnapshotEvent,
    /// Leaf index (= seq) and tree size the proof is for.
    pub leaf_index: u64,
    pub tree_size: u64,
    /// Inclusion proof: sibling hashes from the leaf up (hex), RFC 9162 order.
    pub inclusion_proof: Vec<Hash32>,
    pub root: Hash32,
    /// The checkpoint (signed note or bare body) that commits to `root`.
    pub checkpoint: String,
}

/// The readable JSON of a record: its fields as serde renders them.
pub fn record_value(r: &Record) -> serde_json::Value {
    serde_json::to_value(r).expect("records always serialize")
}

/// `record_value(r)` as the text export writes (compact, every object's
/// keys sorted), written straight from the record (sorted.rs).
pub fn record_json(r: &Record) -> String {
    let mut out = Vec::new();
    super::sorted::write_sorted(&mut out, r, &mut Default::default())
        .expect("records always serialize");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}
