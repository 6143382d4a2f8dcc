//! A claim's words (quote, url, note) read back from the log. The cache
//! keeps only what totals use (`ClaimCore`); whatever shows a claim whole
//! reads its record by the position the entry noted, and takes it only if
//! the record hashes to the claim's id and agrees with the entry.

use super::cache::Cache;
use super::entries::ClaimEntry;
use super::ProjectError;
use crate::chain::record_hash;
use crate::event::decode_record;
use crate::model::Claim;

impl Cache {
    /// The whole claim of entry `e`, from its record in the log.
    pub fn full_claim(&self, e: &ClaimEntry) -> Result<Claim, ProjectError> {
        let fail = |reason: String| ProjectError::Words {
            id: e.id.short(),
            seq: e.seq,
            reason,
        };
        let frame = self
            .frame_at(e.at)
            .ok_or_else(|| fail("this cache has no log beside it".into()))?
            .map_err(|x| fail(x.to_string()))?;
        let rec = decode_record(&frame.bytes).map_err(|x| fail(x.to_string()))?;
        if rec.seq != e.seq || record_hash(&rec.prev, &frame.bytes) != e.id {
            return Err(fail(format!(
                "the record at segment {} offset {} is not the claim's (seq {}); run `claimlog verify`",
                e.at.segment, e.at.offset, rec.seq
            )));
        }
        let claim = rec
            .event
            .into_added_claim()
            .ok_or_else(|| fail("the record adds no claim".into()))?;
        if !e.claim.is_core_of(&claim) {
            return Err(fail(
                "the record's claim differs from the cache's entry; run `claimlog verify`".into(),
            ));
        }
        Ok(claim)
    }
}
