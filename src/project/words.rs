//! Claims read back from the log. The cache keeps only what totals use
//! (`ClaimCore`); whatever shows a claim whole reads its record by the
//! position the entry noted, and takes it only if the record hashes to
//! the claim's id and agrees with the entry. The id index (`c/`) holds
//! only that position, too, under the id's first bytes: a claim's entry is
//! found by its record, the one there that hashes to its id.

use super::cache::Cache;
use super::entries::ClaimEntry;
use super::keys;
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

/// The record starting at `at`, if it is record `seq`, adds a claim and
/// hashes to an id that starts with `id_prefix`: its id and the claim.
/// Anything else there means the cache disagrees with the log (`fail`):
/// the record was changed, or the cache points at another one. (Only a
/// record changed so that its hash keeps its first 8 bytes would pass
/// here and be taken for another claim whose id starts alike: that costs
/// about 2^64 tries.)
fn claim_record_at(
    frames: &Mutex<FrameReader>,
    at: Position,
    seq: u64,
    id_prefix: &[u8],
    fail: &dyn Fn(String) -> ProjectError,
) -> Result<(Hash32, Claim), ProjectError> {
    let frame = frames
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .read(at)
        .map_err(|x| unreadable(x, fail))?;
    let rec = decode_record(&frame.bytes).map_err(|x| fail(x.to_string()))?;
    if rec.seq != seq {
        return Err(fail(format!(
            "the record at segment {} offset {} is seq {}, not {seq}; run `claimlog verify`",
            at.segment, at.offset, rec.seq
        )));
    }
    let id = record_hash(&rec.prev, &frame.bytes);
    if !id.0.starts_with(id_prefix) {
        return Err(fail(format!(
            "the record at segment {} offset {} (seq {seq}) is not the claim's; run `claimlog verify`",
            at.segment, at.offset
        )));
    }
    let claim = rec
        .event
        .into_added_claim()
        .ok_or_else(|| fail("the record adds no claim".into()))?;
    Ok((id, claim))
}

/// The claim id key `key` (`c/<id[..8]><seq>`, holding `value`) names:
/// its whole id and its `g/` key. With a log (`frames`), read from the
/// record the key points at; without, the `g/` key the value holds, which
/// ends with the id. How a lookup by id and a short id tell apart the
/// claims whose ids share the key's bytes.
pub(crate) fn claim_of_id_key(
    frames: Option<&Mutex<FrameReader>>,
    key: &[u8],
    value: &[u8],
) -> Result<(Hash32, Vec<u8>), ProjectError> {
    let bad = |reason: &str| ProjectError::BadValue {
        key: String::from_utf8_lossy(key).into_owned(),
        reason: reason.into(),
    };
    let (id_prefix, seq) = keys::parts_of_claim(key).ok_or_else(|| bad("not an id key"))?;
    match frames {
        Some(frames) => {
            let fail = |reason: String| ProjectError::Record {
                id: format!("{} (seq {seq})", hex::encode(id_prefix)),
                reason,
            };
            let at = keys::position_of(value)?;
            let (id, claim) = claim_record_at(frames, at, seq, id_prefix, &fail)?;
            Ok((id, super::fold::claim_key(&claim, &id)))
        }
        None => {
            let id = keys::trailing_id(value).ok_or_else(|| bad("no id at its end"))?;
            Ok((id, value.to_vec()))
        }
    }
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
        // The whole id as the prefix: only the claim's own record passes.
        let (_, claim) = claim_record_at(frames, e.at, e.seq, &e.id.0, &fail)?;
        if !e.claim.is_core_of(&claim) {
            return Err(fail(
                "the record's claim differs from the cache's entry; run `claimlog verify`".into(),
            ));
        }
        Ok(claim)
    }
}
