//! Claims with their words, for listings that print many of them. The
//! cache keeps no words (project/words.rs): claims scattered over the log
//! are read one by one where their entries say they are, claims dense in
//! the part of the log they span in one pass over it.

use super::{Store, StoreError};
use crate::event::{decode_record, ends_a_claim, Event, Hash32};
use crate::log::Scanner;
use crate::model::Claim;
use crate::project::ClaimEntry;
use std::collections::HashMap;

/// Claims are read in one pass over the part of the log they span when
/// they are at least one in this many of its records; else one by one, at
/// their frames' positions. Measured at 1M (`claims --json`, page cache
/// warm): a claim read alone cost about 7 µs, a record passed over about
/// 1.6 µs, so the pass pays off from about one in four; one in eight
/// leaves room for a cold cache, where reads at scattered positions cost
/// more than a sequential pass (with the page cache dropped, 675 and 41k
/// scattered claims still took 0.35 and 0.58 s one by one). A fixed count
/// of 256 made 675 claims of one day, spread over the whole log, take
/// 1.9 s instead of 0.16 s.
const SCAN_DENSITY: u64 = 8;

impl Store {
    /// Each of `entries` (in seq order) with its whole claim, in constant
    /// memory beyond the entries themselves.
    pub fn whole_claims(
        &self,
        entries: Vec<ClaimEntry>,
    ) -> Result<impl Iterator<Item = Result<(ClaimEntry, Claim), StoreError>> + '_, StoreError>
    {
        debug_assert!(entries.windows(2).all(|w| w[0].seq < w[1].seq));
        let span = match (entries.first(), entries.last()) {
            (Some(a), Some(b))
                if (b.seq + 1 - a.seq) <= (entries.len() as u64).saturating_mul(SCAN_DENSITY) =>
            {
                Some((a.seq, b.seq + 1))
            }
            _ => None,
        };
        let mut log = span.map(|(from, to)| self.read(from, to)).transpose()?;
        Ok(entries.into_iter().map(move |e| {
            let Some(log) = log.as_mut() else {
                let whole = self.cache().full_claim(&e)?;
                return Ok((e, whole));
            };
            loop {
                let r = log.next().ok_or_else(|| StoreError::Corrupt {
                    seq: e.seq,
                    reason: "the log ends before this claim's record".into(),
                })??;
                if r.record.seq < e.seq {
                    continue;
                }
                if r.hash != e.id {
                    return Err(StoreError::Corrupt {
                        seq: e.seq,
                        reason: format!("the record is not claim {}'s", e.id.short()),
                    });
                }
                let whole =
                    r.record
                        .event
                        .into_added_claim()
                        .ok_or_else(|| StoreError::Corrupt {
                            seq: e.seq,
                            reason: "the record adds no claim".into(),
                        })?;
                return Ok((e, whole));
            }
        }))
    }

    /// The claims a retraction or a correction in the log ended, each
    /// with the name of its status (`retracted`, `corrected`): one pass
    /// that decodes only those records, for listings in log order that
    /// need every claim's status without holding every claim. Hashes are
    /// not checked here; the pass that reads the claims checks them.
    pub fn ended_claims(&self) -> Result<HashMap<Hash32, &'static str>, StoreError> {
        let mut ended = HashMap::new();
        let mut scanner = Scanner::new(&self.log_dir())?;
        for seq in 0..self.len() {
            let corrupt = |reason: String| StoreError::Corrupt { seq, reason };
            let frame = scanner
                .next_frame()?
                .ok_or_else(|| corrupt("the log ends before this record".into()))?;
            if !ends_a_claim(&frame.bytes).map_err(|e| corrupt(e.to_string()))? {
                continue;
            }
            match decode_record(&frame.bytes)
                .map_err(|e| corrupt(e.to_string()))?
                .event
            {
                Event::ClaimRetracted(r) => ended.insert(r.claim, "retracted"),
                Event::ClaimCorrected(c) => ended.insert(c.old, "corrected"),
                _ => return Err(corrupt("its tag ends a claim, its event does not".into())),
            };
        }
        Ok(ended)
    }
}
