//! Claims with their words, for listings that print many of them. The
//! cache keeps no words (project/words.rs): a few claims are read one by
//! one where their entries say they are, many in one pass over the part of
//! the log they span.

use super::{Store, StoreError};
use crate::event::Event;
use crate::model::Claim;
use crate::project::ClaimEntry;

/// Up to this many claims are read one by one (two reads each, at their
/// frames' positions); more, in one pass over the log from the first to
/// the last. Chosen when each read also opened its segment file, which
/// `FrameReader` now keeps open: not measured again since.
const ONE_BY_ONE: usize = 256;

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
            (Some(a), Some(b)) if entries.len() > ONE_BY_ONE => Some((a.seq, b.seq + 1)),
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
                let whole = match r.record.event {
                    Event::ClaimAdded(c) => c,
                    Event::ClaimCorrected(c) => c.new,
                    _ => {
                        return Err(StoreError::Corrupt {
                            seq: e.seq,
                            reason: "the record adds no claim".into(),
                        })
                    }
                };
                return Ok((e, whole));
            }
        }))
    }
}
