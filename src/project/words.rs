//! Claims read back from the log. The cache keeps only what totals use
//! (`ClaimCore`); whatever shows a claim whole reads its record by the
//! position the entry noted, and takes it only if the record hashes to
//! the claim's id and agrees with the entry. The id index (`c/`) holds
//! only that position, too: a claim's entry is found by its record.

use super::cache::Cache;
use super::entries::ClaimEntry;
use super::ProjectError;
use crate::chain::record_hash;
use crate::event::{decode_record, Hash32};
use crate::log::{FrameReader, LogError, Position};
use crate::model::Claim;
use std::sync::Mutex;

/// What a failed read of a claim's frame says: the log disagrees with
/// the cache (`fail`: exit 1, run verify) unless the system could not read
/// a segment that is there (an I/O error: exit 3).
fn unreadable(e: LogError, fail: &dyn Fn(String) -> ProjectError) -> ProjectError {
    match e {
        LogError::Io { ref source, .. } if source.kind() != std::io::ErrorKind::NotFound => {
            ProjectError::LogRead(e)
        }
        e => fail(e.to_string()),
    }
}

/// The claim the record starting at `at` adds, taken only if the record
/// hashes to `id` (and is record `seq`, when given): how both the id
/// index and a claim's words are read back from the log.
fn claim_at(
    frames: &Mutex<FrameReader>,
    at: Position,
    id: &Hash32,
    seq: Option<u64>,
    fail: &dyn Fn(String) -> ProjectError,
) -> Result<Claim, ProjectError> {
    let frame = frames
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .read(at)
        .map_err(|x| unreadable(x, fail))?;
    let rec = decode_record(&frame.bytes).map_err(|x| fail(x.to_string()))?;
    if seq.is_some_and(|s| s != rec.seq) || record_hash(&rec.prev, &frame.bytes) != *id {
        return Err(fail(format!(
            "the record at segment {} offset {} is not the claim's (seq {}); run `claimlog verify`",
            at.segment, at.offset, rec.seq
        )));
    }
    rec.event
        .into_added_claim()
        .ok_or_else(|| fail("the record adds no claim".into()))
}

/// The `g/` key of claim `id`, whose record starts at `at` in the log
/// `frames` reads (`claim_at`).
pub(crate) fn claim_key_at(
    frames: &Mutex<FrameReader>,
    id: &Hash32,
    at: Position,
) -> Result<Vec<u8>, ProjectError> {
    let fail = |reason: String| ProjectError::Record {
        id: id.short(),
        reason,
    };
    let claim = claim_at(frames, at, id, None, &fail)?;
    Ok(super::fold::claim_key(&claim, id))
}

impl Cache {
    /// The whole claim of entry `e`, from its record in the log.
    pub fn full_claim(&self, e: &ClaimEntry) -> Result<Claim, ProjectError> {
        let fail = |reason: String| ProjectError::Words {
            id: e.id.short(),
            seq: e.seq,
            reason,
        };
        let frames = self
            .frames()
            .ok_or_else(|| fail("this cache has no log beside it".into()))?;
        let claim = claim_at(frames, e.at, &e.id, Some(e.seq), &fail)?;
        if !e.claim.is_core_of(&claim) {
            return Err(fail(
                "the record's claim differs from the cache's entry; run `claimlog verify`".into(),
            ));
        }
        Ok(claim)
    }
}
