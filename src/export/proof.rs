//! Inclusion proofs for one event, and consistency between an old snapshot
//! and the store now.

use super::check::{check_checkpoint, note_text};
use super::read::{read_snapshot, ReadEvent, SnapshotHandler};
use super::types::{record_value, ProofBundle, PROOF_FORMAT};
use super::write::{checkpoint_for, snapshot_event};
use super::ExportError;
use crate::chain::record_hash;
use crate::checkpoint::{Checkpoint, Signer, Verifier};
use crate::event::{decode_record, Hash32};
use crate::merkle::{
    consistency_proof, hash_leaf, root, verify_consistency, verify_inclusion, Hash,
    InclusionBuilder,
};
use crate::store::Store;
use base64::Engine;
use serde::Serialize;

/// An inclusion proof bundle for event `seq`. With `checkpoint` (an older
/// checkpoint text), the proof is for that checkpoint's tree, which must be
/// a prefix of this log; otherwise for the log as it is now.
pub fn prove(
    store: &Store,
    seq: u64,
    checkpoint: Option<&str>,
    signer: Option<&Signer>,
) -> Result<ProofBundle, ExportError> {
    let origin = store
        .cache()
        .genesis()?
        .ok_or_else(|| ExportError::Invalid("the store has no genesis event".into()))?
        .origin
        .to_string();
    let size = match checkpoint {
        Some(text) => {
            let cp = Checkpoint::parse_body(note_text(text))
                .map_err(|e| ExportError::Invalid(format!("checkpoint: {e}")))?;
            if cp.size() > store.len() {
                return Err(ExportError::Invalid(format!(
                    "the checkpoint is for {} events, the store has {}",
                    cp.size(),
                    store.len()
                )));
            }
            cp.size()
        }
        None => store.len(),
    };
    if seq >= size {
        return Err(ExportError::Invalid(format!(
            "seq {seq} is not in a tree of {size} events"
        )));
    }
    // One pass over the leaves gives the proof and the root.
    let mut b =
        InclusionBuilder::new(seq, size).map_err(|e| ExportError::Invalid(e.to_string()))?;
    store.for_each_record_hash(size, |h| b.push(hash_leaf(&h.0)))?;
    let (proof, root) = b
        .finish()
        .map_err(|e| ExportError::Invalid(e.to_string()))?;
    let r = Hash32(root);
    let cp_text = match checkpoint {
        Some(text) => text.to_string(),
        None => checkpoint_for(&origin, size, r, signer)?,
    };
    check_checkpoint(&cp_text, &origin, size, &r, &[]).map_err(|e| {
        ExportError::Invalid(format!(
            "{e}: the store's first {size} events do not match that checkpoint"
        ))
    })?;
    let rec = store.record(seq)?;
    Ok(ProofBundle {
        format: PROOF_FORMAT.into(),
        origin,
        event: snapshot_event(&rec),
        leaf_index: seq,
        tree_size: size,
        inclusion_proof: proof.into_iter().map(Hash32).collect(),
        root: r,
        checkpoint: cp_text,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct ProofReport {
    pub seq: u64,
    pub hash: Hash32,
    pub tree_size: u64,
    pub signed_by: Vec<String>,
}

/// Checks a proof bundle offline.
pub fn verify_proof(b: &ProofBundle, verifiers: &[Verifier]) -> Result<ProofReport, String> {
    if b.format != PROOF_FORMAT {
        return Err(format!("format {:?} is not {PROOF_FORMAT:?}", b.format));
    }
    let e = &b.event;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&e.bytes)
        .map_err(|x| format!("event bytes are not valid base64: {x}"))?;
    let rec = decode_record(&bytes).map_err(|x| format!("event bytes: {x}"))?;
    if rec.seq != e.seq || e.seq != b.leaf_index {
        return Err(format!(
            "seq mismatch: bytes say {}, event says {}, leaf_index {}",
            rec.seq, e.seq, b.leaf_index
        ));
    }
    if record_value(&rec) != e.record {
        return Err("the readable record JSON does not match the record bytes".into());
    }
    let h = record_hash(&rec.prev, &bytes);
    if h != e.hash {
        return Err(format!(
            "hash mismatch: the bundle says {}, the bytes hash to {}",
            e.hash.short(),
            h.short()
        ));
    }
    let proof: Vec<Hash> = b.inclusion_proof.iter().map(|h| h.0).collect();
    verify_inclusion(
        &hash_leaf(&h.0),
        b.leaf_index,
        b.tree_size,
        &proof,
        &b.root.0,
    )
    .map_err(|x| format!("inclusion proof: {x}"))?;
    let signed_by = check_checkpoint(&b.checkpoint, &b.origin, b.tree_size, &b.root, verifiers)?;
    Ok(ProofReport {
        seq: e.seq,
        hash: h,
        tree_size: b.tree_size,
        signed_by,
    })
}

/// What `verify --against` found.
#[derive(Debug, Clone, Serialize)]
pub struct ConsistencyReport {
    pub old_size: u64,
    pub new_size: u64,
    pub old_root: Hash32,
    pub new_root: Hash32,
    pub proof: Vec<Hash32>,
    /// The first seq whose hash differs from the old snapshot's, if any.
    pub first_rewritten: Option<u64>,
    pub failure: Option<String>,
}

struct OldHeader {
    root: Option<Hash32>,
    size: Option<u64>,
    checkpoint: Option<String>,
    origin: Option<String>,
    hashes: Vec<(u64, Hash32)>,
}

impl SnapshotHandler for OldHeader {
    fn field(&mut self, name: &str, value: serde_json::Value) -> Result<(), String> {
        let s = |v: &serde_json::Value| v.as_str().map(str::to_string);
        match name {
            "root" => self.root = s(&value).as_deref().and_then(Hash32::from_hex),
            "tree_size" => self.size = value.as_u64(),
            "checkpoint" => self.checkpoint = s(&value),
            "origin" => self.origin = s(&value),
            _ => {}
        }
        Ok(())
    }
    fn event(&mut self, e: ReadEvent) -> Result<(), String> {
        // 36 bytes an event: enough to point at the first rewritten seq.
        self.hashes.push((e.seq, e.hash));
        Ok(())
    }
}

/// Proves that `store` only appended to what the old snapshot showed.
pub fn check_against(
    store: &Store,
    old: impl std::io::Read,
    verifiers: &[Verifier],
) -> Result<ConsistencyReport, ExportError> {
    let mut h = OldHeader {
        root: None,
        size: None,
        checkpoint: None,
        origin: None,
        hashes: vec![],
    };
    read_snapshot(old, &mut h).map_err(|e| ExportError::Invalid(format!("old snapshot: {e}")))?;
    let (Some(old_root), Some(m), Some(cp), Some(origin)) =
        (h.root, h.size, h.checkpoint, h.origin)
    else {
        return Err(ExportError::Invalid(
            "old snapshot: missing root, tree_size, checkpoint or origin".into(),
        ));
    };
    check_checkpoint(&cp, &origin, m, &old_root, verifiers)
        .map_err(|e| ExportError::Invalid(format!("old snapshot: {e}")))?;
    let n = store.len();
    // One read of the log's hashes serves the comparison and the proof.
    let current = store.record_hashes(n)?;
    let l: Vec<Hash> = current.iter().map(|h| hash_leaf(&h.0)).collect();
    let new_root = Hash32(root(&l));
    let mut report = ConsistencyReport {
        old_size: m,
        new_size: n,
        old_root,
        new_root,
        proof: vec![],
        first_rewritten: None,
        failure: None,
    };
    report.first_rewritten = h
        .hashes
        .iter()
        .find(|(seq, hash)| usize::try_from(*seq).ok().and_then(|i| current.get(i)) != Some(hash))
        .map(|(seq, _)| *seq);
    if m > n {
        report.failure = Some(format!(
            "the old snapshot has {m} events, the store only {n}: history was truncated"
        ));
        return Ok(report);
    }
    let proof =
        consistency_proof(l.as_slice(), m, n).map_err(|e| ExportError::Invalid(e.to_string()))?;
    report.proof = proof.iter().copied().map(Hash32).collect();
    if let Err(e) = verify_consistency(m, n, &old_root.0, &new_root.0, &proof) {
        report.failure = Some(format!(
            "the store is not an extension of the old snapshot ({e}): history was rewritten{}",
            report
                .first_rewritten
                .map(|s| format!(", first at seq {s}"))
                .unwrap_or_default()
        ));
    }
    Ok(report)
}
